"""REINVENT-style reinforcement learning of a SMILES prior toward a scorer.

Olivecrona et al., "Molecular de-novo design through deep reinforcement learning",
J. Cheminform. 2017; Blaschke et al., "REINVENT 2.0", J. Chem. Inf. Model. 2020. The agent
starts as a copy of the prior; each step it samples a batch, the batch is scored, the
scaffold filter turns scores into rewards, and the agent minimises
``(log P_prior(x) + sigma * reward(x) - log P_agent(x))^2`` over the batch plus molecules
replayed from the best seen so far. The prior stays frozen.
"""

from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from molgen.generate.optimize.diversity import ScaffoldFilter
from molgen.generate.optimize.oracle import BUDGET_EXHAUSTED, Oracle
from molgen.generate.optimize.replay import ExperienceReplay
from molgen.generate.optimize.run import (
    OptimizationResult,
    as_stages,
    concat_histories,
    restore_histories,
    resume_from,
    save_checkpoint,
)

_AGENT_DIR = "agent"
_TORCH_STATE = "optimizer.pt"


class Reinvent:
    """Reinforcement learning of a :class:`~molgen.generate.Prior` toward a scorer.

    Defaults follow the PMO benchmark's tuned REINVENT (batch 64, sigma 500, learning rate
    5e-4, 24 replayed molecules). Invalid SMILES get reward 0 (their score stays NaN in the
    history); molecules left unscored when the budget runs out are left out of the loss.
    Each stage of a staged run starts a fresh scaffold filter and replay memory; the agent
    carries over.

    Parameters
    ----------
    prior : Prior
        The pretrained prior; it is not modified.
    batch_size : int
        Molecules sampled per step.
    sigma : float
        Weight of the reward in the augmented likelihood.
    learning_rate : float
        Adam learning rate of the agent.
    diversity_filter : dict or None
        Keyword arguments of :class:`ScaffoldFilter` (``None``: no filter). Default
        ``{"bucket_size": 25, "minimum_score": 0.4}``.
    replay : dict or None
        Keyword arguments of :class:`ExperienceReplay` (``None``: no replay). Default
        ``{"capacity": 100, "sample_size": 24}``.
    temperature : float
        Sampling temperature.
    seed : int
        Seeds sampling and replay; same seed, same results.
    learn : bool
        ``False`` samples from the unchanged prior (the plain-sampling baseline).

    Raises
    ------
    ValueError
        For non-positive sizes, sigma or learning rate.
    """

    method = "reinvent"

    def __init__(
        self,
        prior,
        *,
        batch_size: int = 64,
        sigma: float = 500.0,
        learning_rate: float = 5e-4,
        diversity_filter: dict | None = {"bucket_size": 25, "minimum_score": 0.4},  # noqa: B006 (never mutated)
        replay: dict | None = {"capacity": 100, "sample_size": 24},  # noqa: B006
        temperature: float = 1.0,
        seed: int = 0,
        learn: bool = True,
    ):
        if not hasattr(prior, "sample_sequences") or not hasattr(prior, "log_likelihood"):
            raise ValueError(f"prior must be a molgen.generate.Prior, got {type(prior).__name__}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        if not sigma > 0 or not learning_rate > 0 or not temperature > 0:
            raise ValueError("sigma, learning_rate and temperature must be > 0")
        self.prior = prior
        self.batch_size = batch_size
        self.sigma = float(sigma)
        self.learning_rate = float(learning_rate)
        self.diversity_filter = None if diversity_filter is None else dict(diversity_filter)
        self.replay = None if replay is None else dict(replay)
        self.temperature = float(temperature)
        self.seed = int(seed)
        self.learn = bool(learn)
        if self.diversity_filter is not None:
            ScaffoldFilter(**self.diversity_filter)  # validate now
        if self.replay is not None:
            ExperienceReplay(**self.replay)
        if not learn:
            self.method = "prior_sampling"

    def config(self) -> dict:
        return {
            "batch_size": self.batch_size,
            "sigma": self.sigma,
            "learning_rate": self.learning_rate,
            "diversity_filter": self.diversity_filter,
            "replay": self.replay,
            "temperature": self.temperature,
            "learn": self.learn,
        }

    def _fresh_memory(self):
        filt = None if self.diversity_filter is None else ScaffoldFilter(**self.diversity_filter)
        replay = None if self.replay is None else ExperienceReplay(**self.replay)
        return filt, replay

    # ------------------------------------------------------------------ one step
    def _step(self, agent, optimizer, oracle, filt, replay, generator, rng) -> dict:
        if self.learn:
            seqs, agent_ll = agent.sample_sequences(self.batch_size, temperature=self.temperature, generator=generator)
        else:
            with torch.no_grad():
                seqs, agent_ll = agent.sample_sequences(self.batch_size, temperature=self.temperature, generator=generator)
        raw = agent.decode(seqs)
        table = oracle.score(raw)
        scores = table["score"].to_numpy(dtype=float)
        keys = table["smiles"].tolist()
        rewards = filt(keys, scores) if filt is not None else scores.copy()
        rewards = np.nan_to_num(rewards, nan=0.0)
        scored = (table["state"] != BUDGET_EXHAUSTED).to_numpy()
        info = {
            "valid": float((table["smiles"] != "").mean()),
            "mean_score": float(np.nanmean(scores)) if np.isfinite(scores).any() else float("nan"),
        }
        if not self.learn or not scored.any():
            return info
        keep = torch.as_tensor(np.flatnonzero(scored), device=agent.device)
        seqs, agent_ll = seqs[keep], agent_ll[keep]
        reward_t = torch.as_tensor(rewards[scored], dtype=torch.float32, device=agent.device)
        with torch.no_grad():
            prior_ll = self.prior.log_likelihood(seqs)
        augmented = prior_ll + self.sigma * reward_t
        loss_terms = [(augmented - agent_ll) ** 2]
        if replay is not None:
            replay_smiles, replay_rewards = replay.sample(rng)
            if replay_smiles:
                exp_seqs = agent.encode(replay_smiles)
                exp_agent = agent.log_likelihood(exp_seqs)
                with torch.no_grad():
                    exp_prior = self.prior.log_likelihood(exp_seqs)
                exp_aug = exp_prior + self.sigma * torch.as_tensor(replay_rewards, dtype=torch.float32, device=agent.device)
                loss_terms.append((exp_aug - exp_agent) ** 2)
            good = [i for i in np.flatnonzero(scored) if keys[i] and _encodable(agent, raw[i])]
            replay.add([raw[i] for i in good], rewards[good])
        loss = torch.cat(loss_terms).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        info["loss"] = float(loss.detach())
        return info

    # ------------------------------------------------------------------ run
    def run(
        self,
        scorer,
        budget: int | None = None,
        *,
        checkpoint_dir=None,
        resume: bool = False,
        max_steps: int | None = None,
        progress: bool = False,
    ) -> OptimizationResult:
        """Optimize under ``scorer`` (with ``budget``) or a list of :class:`Stage`.

        Parameters
        ----------
        scorer : Scorer, callable or list of Stage
        budget : int, optional
            Required with a single scorer.
        checkpoint_dir : path, optional
            The checkpoint (agent weights, optimizer and random states, memories, history)
            is written there after every step.
        resume : bool
            Continue from the checkpoint in ``checkpoint_dir`` (a fresh start if none).
        max_steps : int, optional
            Stop after this many steps in this call (the run can be resumed).
        progress : bool
            Show a progress bar of scorer calls.

        Returns
        -------
        OptimizationResult
            ``info`` holds ``steps`` and the per-step ``log`` (valid fraction, mean score,
            loss). The trained agent (a :class:`Prior`) is kept as ``self.agent_``.

        Raises
        ------
        CheckpointMismatchError
            When resuming from a checkpoint of another method, seed, stage plan or setting.
        """
        stages = as_stages(scorer, budget)
        plan = [[s.name, s.budget] for s in stages]
        device = self.prior.device
        agent = self.prior.copy()  # the prior itself is only read, under no_grad
        for p in agent.module.parameters():
            p.requires_grad_(self.learn)
        optimizer = torch.optim.Adam(agent.module.parameters(), lr=self.learning_rate) if self.learn else None
        generator = torch.Generator(device=device).manual_seed(self.seed)
        rng = np.random.default_rng(self.seed)
        stage_i, step, finished, log = 0, 0, False, []
        filt, replay = self._fresh_memory()
        oracles = [Oracle(s.scorer, s.budget, stage=s.name) for s in stages]
        loaded = resume_from(checkpoint_dir, resume, {"method": self.method, "seed": self.seed, "stages": plan, "config": self.config()})
        if loaded is not None:
            state, history, path = loaded
            stage_i, step, finished, log = state["stage_index"], state["step"], state["finished"], state["log"]
            rng.bit_generator.state = state["rng"]
            if state["filter"] is not None:
                filt = ScaffoldFilter.from_dict(state["filter"])
            if state["replay"] is not None:
                replay = ExperienceReplay.from_dict(state["replay"])
            restore_histories(oracles, history)
            extra = torch.load(Path(path) / _TORCH_STATE, weights_only=True)
            generator.set_state(extra["generator"])
            if self.learn:
                from safetensors.torch import load_file

                agent.module.load_state_dict(load_file(str(Path(path) / _AGENT_DIR / "weights.safetensors"), device=str(device)))
                optimizer.load_state_dict(extra["optimizer"])

        def checkpoint():
            if checkpoint_dir is None:
                return

            def write_torch(folder: Path):
                from safetensors.torch import save_file

                if self.learn:
                    (folder / _AGENT_DIR).mkdir()
                    weights = {k: v.detach().cpu().contiguous() for k, v in agent.module.state_dict().items()}
                    save_file(weights, str(folder / _AGENT_DIR / "weights.safetensors"))
                torch.save(
                    {"generator": generator.get_state(), "optimizer": optimizer.state_dict() if self.learn else {}}, folder / _TORCH_STATE
                )

            state = {
                "method": self.method,
                "seed": self.seed,
                "stages": plan,
                "config": self.config(),
                "stage_index": stage_i,
                "step": step,
                "finished": finished,
                "log": log,
                "rng": rng.bit_generator.state,
                "filter": None if filt is None else filt.to_dict(),
                "replay": None if replay is None else replay.to_dict(),
            }
            save_checkpoint(checkpoint_dir, state, concat_histories(oracles), write_torch)

        bar = tqdm(total=sum(s.budget for s in stages), desc=self.method.replace("_", " "), unit="call", disable=not progress)
        bar.update(sum(o.n_calls for o in oracles))
        steps_run, stale = 0, 0
        while not finished and (max_steps is None or steps_run < max_steps):
            oracle = oracles[stage_i]
            oracle.step = step
            before = oracle.n_calls
            info = self._step(agent, optimizer, oracle, filt, replay, generator, rng)
            info.update(stage=stages[stage_i].name, step=step, calls=oracle.n_calls)
            log.append(info)
            bar.update(oracle.n_calls - before)
            stale = stale + 1 if oracle.n_calls == before else 0
            step += 1
            steps_run += 1
            if oracle.exhausted or stale >= 50:  # 50 steps without a new molecule: mode collapse
                stage_i += 1
                filt, replay = self._fresh_memory()
                finished = stage_i >= len(stages)
            checkpoint()
        bar.close()
        self.agent_ = agent
        return OptimizationResult(
            self.method, self.seed, concat_histories(oracles), [s.name for s in stages], finished, {"steps": step, "log": log}
        )


class PriorSampling(Reinvent):
    """Plain sampling from the prior under the same budget: the baseline of the benchmark.

    Takes the same arguments as :class:`Reinvent` (``batch_size``, ``temperature``,
    ``seed``); nothing is learned, and neither filter nor replay is used.
    """

    def __init__(self, prior, *, batch_size: int = 64, temperature: float = 1.0, seed: int = 0):
        super().__init__(prior, batch_size=batch_size, temperature=temperature, seed=seed, diversity_filter=None, replay=None, learn=False)


def _encodable(agent, smiles: str) -> bool:
    try:
        return len(agent.tokenizer.encode(smiles)) <= agent.max_length
    except (KeyError, ValueError):
        return False

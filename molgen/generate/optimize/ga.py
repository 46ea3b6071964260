"""Graph-based genetic algorithm (Jensen's GB-GA, as run in the PMO benchmark)."""

from collections.abc import Sequence

import numpy as np
import pandas as pd
from rdkit import Chem
from tqdm.auto import tqdm

from molgen.chem import parse_smiles_batch
from molgen.generate.optimize.graph_ops import crossover, mutate
from molgen.generate.optimize.oracle import Oracle
from molgen.generate.optimize.run import (
    OptimizationResult,
    as_stages,
    concat_histories,
    restore_histories,
    resume_from,
    save_checkpoint,
)
from molgen.utils.quiet import rdkit_quiet

_MIN_WEIGHT = 1e-10


class GraphGA:
    """Evolve molecules under a scorer with GB-GA mutations and crossover.

    Each generation draws a mating pool of ``offspring_size`` molecules from the population
    with probability proportional to score, makes ``offspring_size`` children (crossover of
    two parents from the pool, then a mutation with probability ``mutation_rate``), scores
    them, and keeps the best ``population_size`` distinct molecules. The first population is
    ``population_size`` molecules drawn at random from ``start`` (defaults follow PMO's
    GB-GA: 120, 70, 0.067).

    Every random choice comes from one ``numpy`` generator seeded with ``seed``, so a run is
    reproducible, and its state is checkpointed so that a resumed run equals an
    uninterrupted one.

    Parameters
    ----------
    start : sequence of str
        Starting pool (e.g. MOSES or ChEMBL SMILES); invalid entries are skipped.
    population_size, offspring_size : int
    mutation_rate : float
        Probability that a child is mutated, in [0, 1].
    patience : int
        Stop a stage after this many generations in a row that scored no new molecule.
    seed : int

    Raises
    ------
    ValueError
        For fewer than two valid starting molecules or bad sizes/rates.

    Examples
    --------
    >>> from molgen.scoring import Objective, Scorer
    >>> ga = GraphGA(["CCOc1ccccc1", "CC(=O)Nc1ccc(O)cc1", "c1ccncc1CCN"], population_size=3,
    ...              offspring_size=4, seed=0)
    >>> result = ga.run(Scorer([Objective("qed", "qed")]), budget=12)
    >>> result.n_calls <= 12
    True
    """

    method = "graph_ga"

    def __init__(
        self,
        start: Sequence[str],
        *,
        population_size: int = 120,
        offspring_size: int = 70,
        mutation_rate: float = 0.067,
        patience: int = 5,
        seed: int = 0,
    ):
        for name, value in (("population_size", population_size), ("offspring_size", offspring_size), ("patience", patience)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if not 0.0 <= mutation_rate <= 1.0:
            raise ValueError(f"mutation_rate must lie in [0, 1], got {mutation_rate}")
        parsed = parse_smiles_batch(list(start))
        with rdkit_quiet():
            pool = list(dict.fromkeys(Chem.MolToSmiles(m) for m in parsed.mols if m is not None))
        if len(pool) < 2:
            raise ValueError(f"need at least two valid starting molecules, got {len(pool)} of {len(parsed)}")
        self.start = pool
        self.population_size = int(population_size)
        self.offspring_size = int(offspring_size)
        self.mutation_rate = float(mutation_rate)
        self.patience = int(patience)
        self.seed = int(seed)

    def config(self) -> dict:
        return {
            "population_size": self.population_size,
            "offspring_size": self.offspring_size,
            "mutation_rate": self.mutation_rate,
            "patience": self.patience,
            "n_start": len(self.start),
        }

    # ------------------------------------------------------------------ one generation
    def _children(self, population: list[tuple[str, float]], rng: np.random.Generator) -> list[str]:
        scores = np.array([max(s, 0.0) for _, s in population]) + _MIN_WEIGHT
        mols = [Chem.MolFromSmiles(s) for s, _ in population]
        pool = rng.choice(len(population), size=self.offspring_size, replace=True, p=scores / scores.sum())
        children = []
        for _ in range(self.offspring_size):
            a, b = mols[int(pool[rng.integers(len(pool))])], mols[int(pool[rng.integers(len(pool))])]
            child = crossover(a, b, rng)
            if child is not None:
                child = mutate(child, rng, self.mutation_rate)
            if child is not None:
                with rdkit_quiet():
                    smi = Chem.MolToSmiles(child)
                if smi:
                    children.append(smi)
        return children

    def _select(self, population: list[tuple[str, float]], table: pd.DataFrame) -> list[tuple[str, float]]:
        merged = dict(population)
        for smi, score in zip(table["smiles"], table["score"]):
            if smi and np.isfinite(score):
                merged[smi] = float(score)
        ranked = sorted(merged.items(), key=lambda kv: (-kv[1], kv[0]))
        return ranked[: self.population_size]

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
            Where the checkpoint is written after every generation.
        resume : bool
            Continue from the checkpoint in ``checkpoint_dir`` (a fresh start if it has none).
        max_steps : int, optional
            Stop after this many generations in this call (the run can be resumed).
        progress : bool
            Show a progress bar of scorer calls.

        Returns
        -------
        OptimizationResult

        Raises
        ------
        CheckpointMismatchError
            When resuming from a checkpoint of a different method, seed or stage plan.
        """
        stages = as_stages(scorer, budget)
        plan = [[s.name, s.budget] for s in stages]
        rng = np.random.default_rng(self.seed)
        stage_i, step, population, finished = 0, 0, None, False
        stale = 0
        loaded = resume_from(checkpoint_dir, resume, {"method": self.method, "seed": self.seed, "stages": plan, "config": self.config()})
        if loaded is not None:
            state, history, _ = loaded
            rng.bit_generator.state = state["rng"]
            stage_i, step, stale, finished = state["stage_index"], state["step"], state["stale"], state["finished"]
            population = [(s, float(v)) for s, v in state["population"]] if state["population"] is not None else None
        steps_run = 0
        bar = tqdm(total=sum(s.budget for s in stages), desc="graph GA", unit="call", disable=not progress)
        oracles = [Oracle(stage.scorer, stage.budget, stage=stage.name) for stage in stages]
        if loaded is not None:
            restore_histories(oracles, history)
        bar.update(sum(o.n_calls for o in oracles))

        def checkpoint():
            if checkpoint_dir is None:
                return
            state = {
                "method": self.method,
                "seed": self.seed,
                "stages": plan,
                "config": self.config(),
                "stage_index": stage_i,
                "step": step,
                "stale": stale,
                "finished": finished,
                "population": None if population is None else [[s, v] for s, v in population],
                "rng": rng.bit_generator.state,
            }
            save_checkpoint(checkpoint_dir, state, concat_histories(oracles))

        while not finished and (max_steps is None or steps_run < max_steps):
            oracle = oracles[stage_i]
            before = oracle.n_calls
            oracle.step = step
            if population is None:  # the first population of the run
                pick = rng.choice(len(self.start), size=min(self.population_size, len(self.start)), replace=False)
                table = oracle.score([self.start[j] for j in sorted(pick)])
                population = self._select([], table)
            elif oracle.n_calls == 0 and stage_i > 0:  # a new stage: rescore the population
                table = oracle.score([s for s, _ in population])
                population = self._select([], table)
            else:
                table = oracle.score(self._children(population, rng))
                population = self._select(population, table)
            stale = stale + 1 if oracle.n_calls == before else 0
            bar.update(oracle.n_calls - before)
            step += 1
            steps_run += 1
            if oracle.exhausted or stale >= self.patience or not population:
                stage_i, stale = stage_i + 1, 0
                if stage_i >= len(stages):
                    finished = True
            checkpoint()
        bar.close()
        return OptimizationResult(
            self.method,
            self.seed,
            concat_histories(oracles),
            [s.name for s in stages],
            finished,
            {"generations": step, "population": [s for s, _ in population or []]},
        )

"""The generative prior: a SMILES tokenizer plus an autoregressive network, saved without pickle."""

from __future__ import annotations

import copy as _copy
import hashlib
import json
from importlib import resources
from pathlib import Path

import numpy as np
import torch

from molgen.generate.modules import build_module
from molgen.generate.tokenizer import SmilesTokenizer, tokenizer_from_dict
from molgen.utils.files import write_bytes

__all__ = ["DEFAULT_MAX_LENGTH", "Prior", "PriorLoadError", "load_prior", "shipped_prior_path"]

#: Longest sampled sequence in tokens, BOS and EOS included.
DEFAULT_MAX_LENGTH = 128
FORMAT = "molgen-prior"
FORMAT_VERSION = 1
WEIGHTS_FILE = "weights.safetensors"
CONFIG_FILE = "prior.json"


class PriorLoadError(ValueError):
    """A prior directory that is incomplete, corrupted or of an unknown format."""


class Prior:
    """A SMILES language model: tokenizer, network and device.

    Parameters
    ----------
    tokenizer : SmilesTokenizer or SelfiesTokenizer
        Maps SMILES to token ids and back.
    architecture : {"gru", "lstm", "transformer"}
        Network family.
    max_length : int
        Longest sequence sampled, BOS and EOS included.
    device : str or torch.device or None
        Where the network lives (``None``: CUDA when present, else CPU).
    metadata : dict or None
        Free JSON-ready information saved with the model (training budget, metrics).
    **hyperparameters
        Passed to the network (``hidden_size``, ``num_layers``, ``embedding_dim``, ``dropout``
        for RNNs; ``d_model``, ``num_heads``, ``num_layers``, ``dropout`` for the transformer).

    Examples
    --------
    >>> from molgen.generate import load_prior
    >>> prior = load_prior()
    >>> table = prior.sample(100, seed=0)
    >>> list(table.columns)
    ['smiles', 'raw_smiles', 'state', 'error', 'log_likelihood']
    """

    def __init__(
        self,
        tokenizer: SmilesTokenizer,
        *,
        architecture: str = "gru",
        max_length: int = DEFAULT_MAX_LENGTH,
        device=None,
        metadata: dict | None = None,
        **hyperparameters,
    ):
        if not isinstance(tokenizer, SmilesTokenizer):
            raise TypeError(f"tokenizer must be a SmilesTokenizer, got {type(tokenizer).__name__}")
        if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 3:
            raise ValueError(f"max_length must be an integer >= 3, got {max_length!r}")
        if architecture == "transformer":
            hyperparameters.setdefault("max_length", max_length)
        self.tokenizer = tokenizer
        self.architecture = architecture
        self.max_length = max_length
        self.metadata = dict(metadata or {})
        self.device = resolve_device(device)
        self.module = build_module(architecture, len(tokenizer), pad_id=tokenizer.pad_id, **hyperparameters)
        self.module.to(self.device).eval()

    def __repr__(self) -> str:
        cfg = {k: v for k, v in self.module.config.items() if k not in ("vocab_size", "pad_id")}
        return f"Prior(architecture={self.architecture!r}, vocab_size={len(self.tokenizer)}, {cfg}, device={self.device})"

    @property
    def hyperparameters(self) -> dict:
        """The network's hyperparameters (JSON-ready)."""
        return {k: v for k, v in self.module.config.items() if k not in ("vocab_size", "pad_id", "cell", "max_length")}

    # ---------------------------------------------------------------- encoding
    def encode(self, smiles: list[str]) -> torch.LongTensor:
        """``n x L`` padded token ids (BOS/EOS included) on the prior's device.

        Raises
        ------
        UnknownTokenError
            A SMILES with a token outside the vocabulary.
        ValueError
            A SMILES longer than ``max_length`` tokens, or an empty list.
        """
        if isinstance(smiles, str):
            raise TypeError("encode takes a list of SMILES, not one string")
        rows = [self.tokenizer.encode(s) for s in smiles]
        if not rows:
            raise ValueError("encode needs at least one SMILES")
        return pad_sequences(rows, self.tokenizer.pad_id, self.max_length).to(self.device)

    def decode(self, sequences) -> list[str]:
        """SMILES strings of ``n x L`` token ids (each stops at its EOS)."""
        if isinstance(sequences, torch.Tensor):
            sequences = sequences.detach().cpu().tolist()
        return [self.tokenizer.decode(row) for row in sequences]

    # ---------------------------------------------------------------- likelihood
    def log_likelihood(self, sequences: torch.LongTensor) -> torch.Tensor:
        """Log-likelihood of each sequence under the network, with gradient.

        Parameters
        ----------
        sequences : torch.LongTensor
            ``n x L`` ids starting with BOS, ending with EOS then padding (as from
            :meth:`encode` or :meth:`sample_sequences`).

        Returns
        -------
        torch.Tensor
            ``n`` summed log-probabilities of every token after BOS up to and including EOS.
        """
        sequences = self._check_sequences(sequences)
        logits = self.module(sequences[:, :-1])
        targets = sequences[:, 1:]
        real = targets != self.tokenizer.pad_id
        safe = targets.masked_fill(~real, self.tokenizer.eos_id)  # padding scores 0, never -inf * 0
        logp = self._log_probs(logits).gather(2, safe[..., None])[..., 0]
        return torch.where(real, logp, torch.zeros_like(logp)).sum(dim=1)

    def _log_probs(self, logits: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
        """Next-token log-probabilities; PAD and BOS can never follow (their logits are masked)."""
        logits = logits.float()
        if temperature != 1.0:
            logits = logits / temperature
        banned = torch.zeros(logits.shape[-1], dtype=torch.bool, device=logits.device)
        banned[[self.tokenizer.pad_id, self.tokenizer.bos_id]] = True
        return torch.log_softmax(logits.masked_fill(banned, float("-inf")), dim=-1)

    def nll_loss(self, sequences: torch.LongTensor) -> torch.Tensor:
        """Mean negative log-likelihood per molecule (the training loss, teacher forcing)."""
        return -self.log_likelihood(sequences).mean()

    def _check_sequences(self, sequences) -> torch.Tensor:
        if not isinstance(sequences, torch.Tensor) or sequences.dim() != 2 or sequences.shape[1] < 2:
            raise ValueError("sequences must be an n x L (L >= 2) tensor of token ids")
        if sequences.dtype != torch.long:
            sequences = sequences.long()
        return sequences.to(self.device)

    # ---------------------------------------------------------------- sampling
    def sample_sequences(
        self, n: int, *, temperature: float = 1.0, generator: torch.Generator | None = None
    ) -> tuple[torch.LongTensor, torch.Tensor]:
        """Sample ``n`` token sequences with their log-likelihoods (with gradient).

        Parameters
        ----------
        n : int
            Number of sequences.
        temperature : float
            Softmax temperature for drawing tokens (> 0; below 1 sharpens).
        generator : torch.Generator or None
            Source of randomness on the prior's device (``None``: torch's global RNG).

        Returns
        -------
        sequences : torch.LongTensor
            ``n x L`` ids: BOS, tokens, EOS (absent when ``max_length`` was hit), then padding.
        log_likelihood : torch.Tensor
            ``n`` log-likelihoods under the untempered network (as :meth:`log_likelihood`),
            differentiable with respect to the network's parameters.
        """
        n = _check_count(n)
        temperature = _check_temperature(temperature)
        pad, bos, eos = self.tokenizer.pad_id, self.tokenizer.bos_id, self.tokenizer.eos_id
        token = torch.full((n,), bos, dtype=torch.long, device=self.device)
        columns = [token]
        total = torch.zeros(n, device=self.device)
        done = torch.zeros(n, dtype=torch.bool, device=self.device)
        state = None
        for _ in range(self.max_length - 1):
            logits, state = self.module.step(token, state)
            probs = self._log_probs(logits.detach(), temperature).exp()
            nxt = torch.multinomial(probs, 1, generator=generator)[:, 0]
            nxt = torch.where(done, torch.full_like(nxt, pad), nxt)
            logp = self._log_probs(logits).gather(1, torch.where(done, torch.full_like(nxt, eos), nxt)[:, None])[:, 0]
            total = total + torch.where(done, torch.zeros_like(logp), logp)
            columns.append(nxt)
            done = done | (nxt == eos)
            token = nxt
            if bool(done.all()):
                break
        return torch.stack(columns, dim=1), total

    def sample(self, n: int, *, temperature: float = 1.0, seed: int | None = None, batch_size: int = 1024):
        """Sample ``n`` SMILES and check each with RDKit.

        Parameters
        ----------
        n : int
            Number of strings.
        temperature : float
            Softmax temperature (> 0).
        seed : int or None
            Same seed, ``n``, ``batch_size`` and device → same table.
        batch_size : int
            Sequences drawn at once.

        Returns
        -------
        pandas.DataFrame
            ``n`` rows in draw order: ``smiles`` (RDKit canonical when valid, else the raw
            string), ``raw_smiles``, ``state`` (``valid``; ``duplicate`` for a repeat of an
            earlier valid row's canonical SMILES; ``invalid_smiles`` for any string RDKit
            cannot read, with the reason in ``error``), ``error``, ``log_likelihood``.
        """
        n = _check_count(n)
        batch_size = _check_count(batch_size, "batch_size")
        generator = None
        if seed is not None:
            generator = torch.Generator(device=self.device).manual_seed(int(seed))
        raw, loglik = [], []
        with torch.no_grad(), _progress(n, "sampling") as bar:
            for start in range(0, n, batch_size):
                size = min(batch_size, n - start)
                seqs, ll = self.sample_sequences(size, temperature=temperature, generator=generator)
                raw.extend(self.decode(seqs))
                loglik.append(ll.cpu().numpy())
                bar.update(size)
        table = label_smiles(raw)
        table["log_likelihood"] = np.concatenate(loglik).astype(float)
        return table

    # ---------------------------------------------------------------- persistence
    def copy(self) -> Prior:
        """An independent deep copy (same weights, own parameters), e.g. an RL agent."""
        return _copy.deepcopy(self)

    def to(self, device) -> Prior:
        """Move the network to ``device`` in place; returns ``self``."""
        self.device = resolve_device(device)
        self.module.to(self.device)
        return self

    def config(self) -> dict:
        """The JSON header saved beside the weights (without the checksum)."""
        from molgen import __version__

        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "molgen_version": __version__,
            "architecture": self.architecture,
            "hyperparameters": self.hyperparameters,
            "max_length": self.max_length,
            "tokenizer": self.tokenizer.to_dict(),
            "metadata": self.metadata,
        }

    def save(self, path) -> None:
        """Write ``path/weights.safetensors`` and ``path/prior.json`` (with the weights' sha256).

        Each file is written to a temporary name and renamed into place, with the mode
        from the umask; ``path`` is created when missing.

        Raises
        ------
        OSError
            ``path`` cannot be created.
        molgen.utils.files.FileWriteError
            A file cannot be written (disk full, permissions); the old file stays.
        """
        from safetensors.torch import save

        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().cpu().contiguous() for k, v in self.module.state_dict().items()}
        blob = save(state)
        config = self.config()
        config["weights_sha256"] = hashlib.sha256(blob).hexdigest()
        write_bytes(path / WEIGHTS_FILE, blob)
        write_bytes(path / CONFIG_FILE, (json.dumps(config, indent=2) + "\n").encode())

    @classmethod
    def load(cls, path, device=None) -> Prior:
        """Load a prior saved by :meth:`save`.

        Raises
        ------
        FileNotFoundError
            ``path`` does not exist.
        PriorLoadError
            ``path`` is not a prior directory, a file is missing or corrupted (checksum),
            or the format is unknown.
        """
        from safetensors.torch import load

        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such prior directory")
        if not path.is_dir():
            raise PriorLoadError(f"{path} is not a directory; a prior is a folder with {CONFIG_FILE} and {WEIGHTS_FILE}")
        config_path, weights_path = path / CONFIG_FILE, path / WEIGHTS_FILE
        for f in (config_path, weights_path):
            if not f.is_file():
                raise PriorLoadError(f"{path} is not a saved prior: {f.name} is missing")
        try:
            config = json.loads(config_path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise PriorLoadError(f"{config_path} is not valid JSON: {err}") from None
        if not isinstance(config, dict) or config.get("format") != FORMAT:
            raise PriorLoadError(f"{config_path} is not a molgen prior header (format != {FORMAT!r})")
        if config.get("format_version") != FORMAT_VERSION:
            raise PriorLoadError(f"{config_path}: unsupported prior format version {config.get('format_version')!r}")
        blob = weights_path.read_bytes()
        if hashlib.sha256(blob).hexdigest() != config.get("weights_sha256"):
            raise PriorLoadError(f"{weights_path} does not match the checksum in {CONFIG_FILE} (corrupted or replaced)")
        try:
            tokenizer = tokenizer_from_dict(config["tokenizer"])
            prior = cls(
                tokenizer,
                architecture=config["architecture"],
                max_length=config["max_length"],
                device="cpu",
                metadata=config.get("metadata") or {},
                **config["hyperparameters"],
            )
            prior.module.load_state_dict(load(blob))
        except (KeyError, TypeError, ValueError, RuntimeError) as err:
            raise PriorLoadError(f"{path}: cannot rebuild the prior from its files: {err}") from None
        return prior.to(device)


def load_prior(path=None, device=None) -> Prior:
    """Load a saved prior, or the small pretrained MOSES prior shipped with molgen.

    Parameters
    ----------
    path : str or Path or None
        A directory written by :meth:`Prior.save`; ``None`` loads the shipped prior.
    device : str or torch.device or None
        ``None``: CUDA when present, else CPU.

    Raises
    ------
    FileNotFoundError, PriorLoadError
        See :meth:`Prior.load`.
    """
    return Prior.load(shipped_prior_path() if path is None else path, device=device)


def shipped_prior_path() -> Path:
    """Folder of the pretrained prior inside the installed package."""
    return Path(str(resources.files("molgen.generate") / "data" / "prior"))


# -------------------------------------------------------------------- helpers
def resolve_device(device) -> torch.device:
    """``None`` → CUDA when available else CPU; strings and devices pass through."""
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device} was asked for but CUDA is not available; use 'cpu'")
    return device


def pad_sequences(rows: list[list[int]], pad_id: int, max_length: int | None = None) -> torch.LongTensor:
    """Right-pad id lists into an ``n x L`` LongTensor; rows over ``max_length`` raise ValueError."""
    width = max(len(r) for r in rows)
    if max_length is not None and width > max_length:
        raise ValueError(f"a SMILES has {width} tokens with BOS/EOS, more than max_length={max_length}")
    out = torch.full((len(rows), width), pad_id, dtype=torch.long)
    for i, r in enumerate(rows):
        out[i, : len(r)] = torch.tensor(r, dtype=torch.long)
    return out


def label_smiles(raw: list[str]):
    """Parse sampled strings: canonical SMILES, state (valid/duplicate/failure) and error."""
    import pandas as pd
    from rdkit import Chem

    from molgen.chem import MolState, parse_smiles_batch

    parsed = parse_smiles_batch(raw)
    seen: set[str] = set()
    smiles, states, errors = [], [], []
    for text, mol, state, error in zip(raw, parsed.mols, parsed.states, parsed.errors):
        if mol is None:  # every parse failure is one state; the error keeps RDKit's reason
            smiles.append(text)
            states.append(MolState.INVALID_SMILES.value)
            errors.append(error if state == MolState.INVALID_SMILES.value else f"{state}: {error}")
            continue
        canon = Chem.MolToSmiles(mol)
        smiles.append(canon)
        if canon in seen:
            states.append(MolState.DUPLICATE.value)
            errors.append("repeats an earlier sample")
        else:
            seen.add(canon)
            states.append(MolState.VALID.value)
            errors.append("")
    return pd.DataFrame({"smiles": smiles, "raw_smiles": raw, "state": states, "error": errors})


def _check_count(n, name: str = "n") -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{name} must be a positive integer, got {n!r}")
    return int(n)


def _check_temperature(t) -> float:
    try:
        t = float(t)
    except (TypeError, ValueError):
        raise ValueError(f"temperature must be a positive number, got {t!r}") from None
    if not np.isfinite(t) or t <= 0:
        raise ValueError(f"temperature must be a positive number, got {t!r}")
    return t


def _progress(total: int, desc: str):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="mol", disable=total < 5000, leave=False)

"""REINVENT's scaffold-memory diversity filter: penalise over-visited Bemis–Murcko scaffolds."""

from collections.abc import Sequence

import numpy as np
from rdkit import Chem

from molgen.chem.scaffolds import murcko_scaffold
from molgen.utils.quiet import rdkit_quiet


def scaffold_key(smiles: str, generic: bool = False) -> str | None:
    """Bemis–Murcko scaffold SMILES (``""`` for acyclic molecules, ``None`` if unparsable).

    With ``generic`` every atom becomes carbon and every bond single (REINVENT's
    ``ScaffoldSimilarity``-style "generic scaffold" buckets).
    """
    with rdkit_quiet():
        mol = Chem.MolFromSmiles(smiles)
        if mol is None:
            return None
        return murcko_scaffold(mol, chirality=True, generic=generic)


class ScaffoldFilter:
    """Scaffold memory that turns repeated chemotypes into low rewards (REINVENT 2).

    Each molecule scoring at least ``minimum_score`` goes to the bucket of its
    Bemis–Murcko scaffold. Once a bucket holds ``bucket_size`` molecules, further
    molecules with that scaffold have their reward multiplied by ``penalty`` (0 by
    default, REINVENT's binary filter); a molecule already in memory is penalised the
    same way, so the agent gains nothing from sampling it again. Scores below
    ``minimum_score`` pass unchanged and are not remembered. The raw scores (what the
    oracle reports) are never changed; only the reward the optimizer sees.

    Parameters
    ----------
    bucket_size : int
        Molecules per scaffold before the scaffold is penalised (REINVENT default 25).
    minimum_score : float
        Only molecules scoring at least this enter memory (REINVENT default 0.4).
    generic : bool
        Bucket by generic (all-carbon, single-bond) scaffolds.
    penalty : float
        Multiplier in [0, 1) for penalised molecules.

    Raises
    ------
    ValueError
        For ``bucket_size < 1``, a ``minimum_score`` outside [0, 1] or a ``penalty``
        outside [0, 1).

    Examples
    --------
    >>> f = ScaffoldFilter(bucket_size=2, minimum_score=0.5)
    >>> f(["c1ccccc1C", "c1ccccc1CC", "c1ccccc1CCC", "CCO"], [0.9, 0.8, 0.9, 0.9]).tolist()
    [0.9, 0.8, 0.0, 0.9]
    """

    def __init__(self, bucket_size: int = 25, minimum_score: float = 0.4, *, generic: bool = False, penalty: float = 0.0):
        if isinstance(bucket_size, bool) or not isinstance(bucket_size, (int, np.integer)) or bucket_size < 1:
            raise ValueError(f"bucket_size must be a positive int, got {bucket_size!r}")
        if not 0.0 <= float(minimum_score) <= 1.0:
            raise ValueError(f"minimum_score must lie in [0, 1], got {minimum_score}")
        if not 0.0 <= float(penalty) < 1.0:
            raise ValueError(f"penalty must lie in [0, 1), got {penalty}")
        self.bucket_size = int(bucket_size)
        self.minimum_score = float(minimum_score)
        self.generic = bool(generic)
        self.penalty = float(penalty)
        self.buckets: dict[str, list[tuple[str, float]]] = {}
        self._seen: set[str] = set()

    def __call__(self, smiles: Sequence[str], scores) -> np.ndarray:
        """Rewards for a batch (aligned); updates the memory. NaN scores stay NaN."""
        scores = np.asarray(scores, dtype=float)
        if len(smiles) != len(scores):
            raise ValueError(f"{len(smiles)} SMILES but {len(scores)} scores")
        out = scores.copy()
        for i, (smi, score) in enumerate(zip(smiles, scores)):
            if not smi or not np.isfinite(score) or score < self.minimum_score:
                continue
            if smi in self._seen:
                out[i] = score * self.penalty
                continue
            key = scaffold_key(smi, self.generic)
            if key is None:
                continue
            bucket = self.buckets.setdefault(key, [])
            if len(bucket) >= self.bucket_size:
                out[i] = score * self.penalty
            else:
                bucket.append((smi, float(score)))
                self._seen.add(smi)
        return out

    def is_full(self, smiles: str) -> bool:
        """Whether the scaffold bucket of ``smiles`` is full."""
        key = scaffold_key(smiles, self.generic)
        return key is not None and len(self.buckets.get(key, ())) >= self.bucket_size

    @property
    def n_scaffolds(self) -> int:
        return len(self.buckets)

    def to_dict(self) -> dict:
        """JSON-ready state (settings and memory)."""
        return {
            "bucket_size": self.bucket_size,
            "minimum_score": self.minimum_score,
            "generic": self.generic,
            "penalty": self.penalty,
            "buckets": {k: [[s, v] for s, v in rows] for k, rows in self.buckets.items()},
        }

    @classmethod
    def from_dict(cls, data: dict) -> "ScaffoldFilter":
        out = cls(data["bucket_size"], data["minimum_score"], generic=data["generic"], penalty=data["penalty"])
        for key, rows in data["buckets"].items():
            out.buckets[key] = [(s, float(v)) for s, v in rows]
            out._seen.update(s for s, _ in rows)
        return out

    def __repr__(self) -> str:
        return f"ScaffoldFilter(bucket_size={self.bucket_size}, minimum_score={self.minimum_score}, scaffolds={self.n_scaffolds})"

"""Experience replay for REINVENT: a memory of the best molecules seen, replayed each step."""

from collections.abc import Sequence

import numpy as np


class ExperienceReplay:
    """The ``capacity`` best distinct molecules seen so far, by reward.

    Each step :meth:`sample` draws ``sample_size`` of them without replacement, with
    probability proportional to reward (REINVENT's ``Experience``); the agent is trained on
    them alongside the fresh batch.

    Parameters
    ----------
    capacity : int
        Molecules kept (best first).
    sample_size : int
        Molecules replayed per step (0 disables replay).
    minimum_score : float
        Molecules with a lower reward are not stored.

    Raises
    ------
    ValueError
        For negative or non-integer sizes.
    """

    def __init__(self, capacity: int = 100, sample_size: int = 24, minimum_score: float = 0.0):
        for name, value in (("capacity", capacity), ("sample_size", sample_size)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
                raise ValueError(f"{name} must be a non-negative int, got {value!r}")
        self.capacity = int(capacity)
        self.sample_size = int(sample_size)
        self.minimum_score = float(minimum_score)
        self.memory: dict[str, float] = {}

    def __len__(self) -> int:
        return len(self.memory)

    def add(self, smiles: Sequence[str], rewards) -> None:
        """Offer molecules; keeps the best ``capacity`` (ties: earlier first). NaN is ignored."""
        for smi, r in zip(smiles, np.asarray(rewards, dtype=float)):
            if smi and np.isfinite(r) and r >= self.minimum_score and r > self.memory.get(smi, -np.inf):
                self.memory[smi] = float(r)
        if len(self.memory) > self.capacity:
            best = sorted(self.memory.items(), key=lambda kv: -kv[1])[: self.capacity]
            self.memory = dict(best)

    def sample(self, rng: np.random.Generator) -> tuple[list[str], np.ndarray]:
        """Up to ``sample_size`` stored molecules and their rewards, drawn by reward."""
        n = min(self.sample_size, len(self.memory))
        if n == 0:
            return [], np.empty(0)
        items = sorted(self.memory.items(), key=lambda kv: (-kv[1], kv[0]))
        smiles = [s for s, _ in items]
        rewards = np.array([r for _, r in items])
        weights = rewards + 1e-6
        idx = rng.choice(len(items), size=n, replace=False, p=weights / weights.sum())
        return [smiles[i] for i in idx], rewards[idx]

    def to_dict(self) -> dict:
        return {
            "capacity": self.capacity,
            "sample_size": self.sample_size,
            "minimum_score": self.minimum_score,
            "memory": [[s, r] for s, r in self.memory.items()],
        }

    @classmethod
    def from_dict(cls, data: dict) -> "ExperienceReplay":
        out = cls(data["capacity"], data["sample_size"], data["minimum_score"])
        out.memory = {s: float(r) for s, r in data["memory"]}
        return out

"""Per-target standard scaling that ignores missing labels."""

from dataclasses import dataclass

import numpy as np


@dataclass
class TargetScaler:
    """Scale regression targets to zero mean and unit variance, column by column.

    NaN labels are ignored when fitting and stay NaN. A column with zero spread keeps
    a scale of 1.
    """

    mean_: np.ndarray | None = None
    std_: np.ndarray | None = None

    def fit(self, y) -> "TargetScaler":
        y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        if np.isnan(y).all(axis=0).any():
            raise ValueError("a target column has no observed values in the training part")
        self.mean_ = np.nanmean(y, axis=0)
        std = np.nanstd(y, axis=0)
        self.std_ = np.where(std > 0, std, 1.0)
        return self

    def transform(self, y) -> np.ndarray:
        return (np.asarray(y, dtype=np.float64) - self.mean_) / self.std_

    def inverse(self, y) -> np.ndarray:
        return np.asarray(y, dtype=np.float64) * self.std_ + self.mean_

    def inverse_std(self, sigma) -> np.ndarray:
        return np.asarray(sigma, dtype=np.float64) * self.std_

    def to_dict(self) -> dict:
        return {"mean": self.mean_.tolist(), "std": self.std_.tolist()}

    @classmethod
    def from_dict(cls, data: dict) -> "TargetScaler":
        return cls(np.asarray(data["mean"], dtype=np.float64), np.asarray(data["std"], dtype=np.float64))


@dataclass
class IdentityScaler:
    """No scaling (classification labels)."""

    def fit(self, y) -> "IdentityScaler":
        return self

    def transform(self, y) -> np.ndarray:
        return np.asarray(y, dtype=np.float64)

    inverse = transform

    def inverse_std(self, sigma) -> np.ndarray:
        return np.asarray(sigma, dtype=np.float64)

    def to_dict(self) -> dict:
        return {}

"""Tanimoto kernel ridge regression on fingerprint bits: the fingerprint member of an ensemble.

On small congeneric series, kernel models on Morgan bits capture additive substituent
effects that message passing learns slowly; :mod:`molgen.efficacy` blends one (Tanimoto on
Morgan and atom-pair bits, averaged) with the graph ensemble, weighted on the validation part.
"""

from dataclasses import dataclass

import numpy as np
import torch

from molgen.models._labels import labelled_rows, target_matrix
from molgen.utils.tanimoto import tanimoto_matrix

__all__ = ["LAMBDAS", "KernelRidge", "leave_one_out_residuals", "tanimoto_matrix"]

#: Ridge penalties tried for each target, chosen by exact leave-one-out error.
LAMBDAS = (0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)


@dataclass
class KernelRidge:
    """Kernel ridge regression, one penalty per target (targets centred on their means).

    Attributes
    ----------
    alpha : ndarray, ``n_train x n_tasks``
        Dual coefficients (0 for rows without a label of that target).
    mean : ndarray, ``n_tasks``
        Target means added back at prediction.
    lam : ndarray, ``n_tasks``
        Ridge penalty of each target.
    """

    alpha: np.ndarray
    mean: np.ndarray
    lam: np.ndarray

    @classmethod
    def fit(cls, K: np.ndarray, y: np.ndarray, lam=None) -> "KernelRidge":
        """Fit on a square kernel matrix ``K`` and targets ``y`` (``n x n_tasks``, NaN = missing).

        ``lam`` (one per target) fixes the penalties; by default each target's is the
        :data:`LAMBDAS` value with the lowest exact leave-one-out RMSE.

        Raises
        ------
        ValueError
            If ``K`` is not ``n x n`` for the ``n`` rows of ``y``, or a target has fewer than two labels.
        """
        K = np.asarray(K, dtype=np.float64)
        y = target_matrix(y)
        if K.shape != (len(y), len(y)):
            raise ValueError(f"kernel matrix of shape {K.shape} for {len(y)} targets rows")
        n, t = y.shape
        alpha, mean, lams = np.zeros((n, t)), np.zeros(t), np.zeros(t)
        for k, rows in labelled_rows(y, "kernel ridge"):
            mean[k] = y[rows, k].mean()
            yc = torch.from_numpy(y[rows, k] - mean[k])
            w, V = torch.linalg.eigh(torch.from_numpy(K[np.ix_(rows, rows)]))
            w = w.clamp_min(0.0)
            Vy = V.T @ yc
            choices = LAMBDAS if lam is None else (float(np.atleast_1d(lam)[k]),)
            best = None
            for value in choices:
                a, loo = _dual_and_loo(w, V, Vy, value)
                rmse = float(loo.square().mean().sqrt())
                if best is None or rmse < best[0]:
                    best = (rmse, value, a)
            lams[k], alpha[rows, k] = best[1], best[2].numpy()
        return cls(alpha=alpha, mean=mean, lam=lams)

    def predict(self, K: np.ndarray) -> np.ndarray:
        """Predictions (``n x n_tasks``) from a query-by-training kernel matrix."""
        return np.asarray(K, dtype=np.float64) @ self.alpha + self.mean


def leave_one_out_residuals(K: np.ndarray, y: np.ndarray, lam: float) -> np.ndarray:
    """Exact leave-one-out residuals (``y`` minus each row's prediction without it) of kernel
    ridge with penalty ``lam`` on the square kernel matrix ``K`` and one target ``y`` (centred
    on its mean, as :meth:`KernelRidge.fit` does)."""
    y = np.asarray(y, dtype=np.float64)
    w, V = torch.linalg.eigh(torch.from_numpy(np.asarray(K, dtype=np.float64)))
    w = w.clamp_min(0.0)
    return _dual_and_loo(w, V, V.T @ torch.from_numpy(y - y.mean()), float(lam))[1].numpy()


def _dual_and_loo(w: torch.Tensor, V: torch.Tensor, Vy: torch.Tensor, lam: float):
    """Dual coefficients and exact leave-one-out residuals from ``K = V diag(w) V^T``."""
    inv = 1.0 / (w + lam)
    a = V @ (Vy * inv)
    return a, a / ((V**2) @ inv)

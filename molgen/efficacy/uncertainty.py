"""The uncertainty of a kernel-blended prediction: how far from the data, and how well the neighbours are predicted.

A blended prediction is mostly the kernel member's, so its uncertainty comes from the kernel
too. Per target, the variance of a molecule's error is modelled as

    sigma^2(x) = a * v(x) + b * e(x)^2

- ``v(x)``, the Gaussian-process posterior variance of the kernel ridge member (the same
  kernel and penalty): ``1 + lam - k_x' (K + lam I)^-1 k_x``. It grows as ``x`` moves away
  from the training molecules and shrinks where many of them are close.
- ``e(x)``, the local error: the similarity-weighted (weights ``s^3``) mean absolute
  leave-one-out residual of the ``NEIGHBOURS`` most similar training molecules. It is large
  where the activity landscape is rough (activity cliffs), which distance alone misses.

``a`` and ``b`` (non-negative) maximize the Gaussian likelihood of the training molecules'
exact leave-one-out residuals under their own leave-one-out ``v`` and ``e``, so no molecule
of the calibration or test part is spent on them. The conformal calibrator then scales
``sigma`` to the requested coverage on the calibration part. Chosen on 5-fold cross-validation
inside the train splits of the MoleculeACE development series (BENCHMARKS.md, "MoleculeACE").
"""

from dataclasses import dataclass, field

import numpy as np
import torch

from molgen.models._labels import labelled_rows

#: Training neighbours whose leave-one-out errors make the local error.
NEIGHBOURS = 10
#: Mixing weights of the two variance terms tried when fitting ``a`` and ``b``.
MIX_GRID = np.linspace(0.0, 1.0, 21)


@dataclass
class KernelUncertainty:
    """Per-target ``a``, ``b`` and the training molecules' absolute leave-one-out residuals.

    Attributes
    ----------
    a, b : ndarray, ``n_tasks``
        Weights of the posterior variance and of the squared local error.
    loo : ndarray, ``n_train x n_tasks``
        Absolute leave-one-out residuals of the kernel member (NaN where unlabelled).
    lam : ndarray, ``n_tasks``
        The kernel member's ridge penalties.
    """

    a: np.ndarray
    b: np.ndarray
    loo: np.ndarray
    lam: np.ndarray
    neighbours: int = NEIGHBOURS
    #: per target, ``(rows, V, w)`` of the training kernel (built on first use; not saved)
    _factors: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def fit(cls, K: np.ndarray, y: np.ndarray, lam) -> "KernelUncertainty":
        """Fit on the training kernel ``K`` (``n x n``), targets ``y`` (``n x n_tasks``, NaN = missing)
        and the kernel member's penalties ``lam``."""
        K = np.asarray(K, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64).reshape(len(K), -1)
        lam = np.atleast_1d(np.asarray(lam, dtype=np.float64))
        t = y.shape[1]
        a, b, loo = np.zeros(t), np.zeros(t), np.full(y.shape, np.nan)
        out = cls(a=a, b=b, loo=loo, lam=lam)
        for k, rows in labelled_rows(y, "kernel uncertainty"):
            rows, V, w = out._factor(K, k, rows)
            inv = 1.0 / (w + lam[k])
            yc = torch.from_numpy(y[rows, k] - y[rows, k].mean())
            alpha = V @ ((V.T @ yc) * inv)
            diag = (V**2) @ inv
            residual = (alpha / diag).numpy()
            loo[rows, k] = np.abs(residual)
            variance = (1.0 / diag).numpy()  # leave-one-out posterior variance of y_i (noise included)
            S = K[np.ix_(rows, rows)].copy()
            np.fill_diagonal(S, -np.inf)  # a molecule is not its own neighbour
            local = _local_error(S, loo[rows, k], out.neighbours)
            a[k], b[k] = _fit_weights(residual, variance, local)
        return out

    def sigma(self, K_query: np.ndarray, K_train=None) -> np.ndarray:
        """``n_query x n_tasks`` standard deviations from the query-by-training kernel matrix.

        ``K_train``, the training kernel or a function that returns it, is needed only the
        first time, to factor it (the factors are kept).
        """
        K_query = np.asarray(K_query, dtype=np.float64)
        t = len(self.a)
        out = np.full((len(K_query), t), np.nan)
        if not len(K_query):
            return out
        for k in range(t):
            if k not in self._factors:
                if K_train is None:
                    raise ValueError("the training kernel is needed to factor it once")
                K_train = K_train() if callable(K_train) else K_train
            rows, V, w = self._factor(K_train, k, np.flatnonzero(np.isfinite(self.loo[:, k])))
            Z = torch.from_numpy(K_query[:, rows]) @ V
            variance = 1.0 + self.lam[k] - (Z**2 / (w + self.lam[k])).sum(1).numpy()
            local = _local_error(K_query[:, rows], self.loo[rows, k], self.neighbours)
            out[:, k] = np.sqrt(np.maximum(self.a[k] * np.maximum(variance, 0.0) + self.b[k] * local**2, 1e-12))
        return out

    def _factor(self, K, k: int, rows: np.ndarray):
        if k not in self._factors:
            w, V = torch.linalg.eigh(torch.from_numpy(np.asarray(K, dtype=np.float64)[np.ix_(rows, rows)]))
            self._factors[k] = (rows, V, w.clamp_min(0.0))
        return self._factors[k]

    def to_dict(self) -> dict:
        return {"kind": "gp_variance+local_error", "a": self.a.tolist(), "b": self.b.tolist(), "neighbours": self.neighbours}

    @classmethod
    def from_dict(cls, spec: dict, loo: np.ndarray, lam: np.ndarray) -> "KernelUncertainty":
        """Rebuild from :meth:`to_dict` and the saved residuals; raises ``ValueError`` on a mismatch."""
        if spec.get("kind") != "gp_variance+local_error":
            raise ValueError(f"unknown uncertainty model {spec.get('kind')!r}")
        a, b = np.asarray(spec["a"], dtype=np.float64), np.asarray(spec["b"], dtype=np.float64)
        lam = np.atleast_1d(np.asarray(lam, dtype=np.float64))
        if not a.shape == b.shape == lam.shape or loo.ndim != 2 or loo.shape[1] != len(a):
            raise ValueError(f"uncertainty weights of shape {a.shape} / {b.shape} for residuals {loo.shape}")
        return cls(a=a, b=b, loo=np.asarray(loo, dtype=np.float64), lam=lam, neighbours=int(spec["neighbours"]))


def _local_error(S: np.ndarray, errors: np.ndarray, k: int) -> np.ndarray:
    """Similarity-weighted (``s^3``) mean of ``errors`` over each row's ``k`` most similar columns."""
    k = min(k, S.shape[1])
    if k == 0:
        return np.zeros(len(S))
    idx = np.argpartition(-S, k - 1, axis=1)[:, :k]
    weights = np.maximum(np.take_along_axis(S, idx, 1), 0.0) ** 3 + 1e-9
    return (errors[idx] * weights).sum(1) / weights.sum(1)


def _fit_weights(residual: np.ndarray, variance: np.ndarray, local: np.ndarray) -> tuple[float, float]:
    """``a, b >= 0`` maximizing the Gaussian likelihood of ``residual`` with variance ``a * variance + b * local^2``."""
    g = variance / max(variance.mean(), 1e-12)
    e2 = local**2 / max((local**2).mean(), 1e-12)
    best = None
    for mix in MIX_GRID:
        v0 = np.maximum(mix * g + (1 - mix) * e2, 1e-6)
        scale = float(np.mean(residual**2 / v0))
        nll = float(np.mean(np.log(scale * v0)))
        if best is None or nll < best[0]:
            best = (nll, mix, scale)
    _, mix, scale = best
    return scale * mix / max(variance.mean(), 1e-12), scale * (1 - mix) / max((local**2).mean(), 1e-12)

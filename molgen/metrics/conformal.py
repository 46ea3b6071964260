"""Split-conformal prediction intervals, normalized by a per-molecule uncertainty."""

import math

import numpy as np

from molgen.metrics._arrays import observed_rows

_FORMAT = "molgen.ConformalCalibrator/1"


def conformal_quantile(scores, coverage: float) -> float:
    """The split-conformal quantile of nonconformity ``scores`` for a target ``coverage``.

    The ``ceil((n + 1) * coverage)``-th smallest score, i.e. the empirical quantile at level
    ``ceil((n + 1) * coverage) / n``: the finite-sample correction that guarantees marginal
    coverage of at least ``coverage`` for exchangeable data.

    Parameters
    ----------
    scores : array-like of shape (n,)
        Finite nonconformity scores from the calibration set.
    coverage : float
        Target coverage, ``1 - alpha``, strictly between 0 and 1.

    Returns
    -------
    float
        The ``ceil((n + 1) * coverage)``-th smallest score.

    Raises
    ------
    ValueError
        If ``coverage`` is outside (0, 1), ``scores`` is empty or non-finite, or there are
        too few scores for the coverage (the interval would be infinite).
    """
    _check_coverage(coverage)
    scores = np.sort(np.asarray(scores, dtype=float).ravel())
    n = len(scores)
    if n == 0 or not np.all(np.isfinite(scores)):
        raise ValueError("scores must be a non-empty array of finite values")
    k = math.ceil((n + 1) * coverage - 1e-9)
    if k > n:
        need = next(m for m in range(n, 10 * n + 1000) if math.ceil((m + 1) * coverage - 1e-9) <= m)
        raise ValueError(f"{n} calibration points are too few for coverage {coverage}; need at least {need}")
    return float(scores[k - 1])


def _check_coverage(coverage) -> None:
    if isinstance(coverage, bool) or not isinstance(coverage, (int, float)) or not 0 < coverage < 1:
        raise ValueError(f"coverage must be a number strictly between 0 and 1, got {coverage!r}")


def _as_2d(values, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.ndim not in (1, 2):
        raise ValueError(f"{name} must be 1-D (n,) or 2-D (n, n_tasks), got shape {arr.shape}")
    return arr.reshape(len(arr), -1)


class ConformalCalibrator:
    """Normalized split-conformal intervals ``mu ± q * sigma`` with guaranteed coverage.

    Fit on a held-out calibration set (never the training data). With ``sigma`` (ensemble
    spread, a mean-variance head's standard deviation, or both combined) the nonconformity
    score is ``|y - mu| / sigma``, giving intervals that widen where the model is unsure;
    without it the score is the plain absolute residual and every interval has the same width.

    Parameters
    ----------
    coverage : float
        Target marginal coverage, ``1 - alpha`` (default 0.9).

    Attributes
    ----------
    quantile_ : float or ndarray of shape (n_tasks,)
        The conformal quantile ``q`` (per task for 2-D inputs).
    n_calibration_ : int or ndarray of shape (n_tasks,)
        Calibration rows used (finite ``y``, ``mu`` and ``sigma``).
    normalized_ : bool
        Whether the calibrator was fit with ``sigma`` (and so needs it in :meth:`interval`).

    Examples
    --------
    >>> cal = ConformalCalibrator(coverage=0.8).fit([0.0, 1.0, 2.0, 3.0, 4.0], [0.5, 1.0, 1.0, 3.5, 4.0])
    >>> cal.interval([2.0])
    (array([1.]), array([3.]))
    """

    def __init__(self, coverage: float = 0.9):
        self.coverage = coverage

    def fit(self, y_true, y_pred, sigma=None) -> "ConformalCalibrator":
        """Compute the conformal quantile from calibration data.

        Parameters
        ----------
        y_true, y_pred : array-like of shape (n,) or (n, n_tasks)
            Measurements (NaN where missing) and point predictions.
        sigma : array-like of the same shape, optional
            Predicted standard deviations, strictly positive where observed.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            If shapes differ, a ``sigma`` is zero or negative, a task has no observed row,
            or there are too few rows for the coverage.
        """
        _check_coverage(self.coverage)
        y, mu = _as_2d(y_true, "y_true"), _as_2d(y_pred, "y_pred")
        s = np.ones_like(mu) if sigma is None else _as_2d(sigma, "sigma")
        if not y.shape == mu.shape == s.shape:
            raise ValueError(f"y_true, y_pred and sigma must have the same shape, got {y.shape}, {mu.shape}, {s.shape}")
        quantiles, counts = [], []
        for j in range(y.shape[1]):
            mask = np.isfinite(y[:, j]) & np.isfinite(mu[:, j]) & np.isfinite(s[:, j])
            if not mask.any():
                raise ValueError(f"task {j}: no calibration row has finite y_true, y_pred and sigma")
            if np.any(s[mask, j] <= 0):
                raise ValueError(f"task {j}: sigma must be > 0, found {int(np.sum(s[mask, j] <= 0))} rows <= 0")
            scores = np.abs(y[mask, j] - mu[mask, j]) / s[mask, j]
            quantiles.append(conformal_quantile(scores, self.coverage))
            counts.append(int(mask.sum()))
        one_task = np.ndim(y_true) == 1
        self.quantile_ = quantiles[0] if one_task else np.array(quantiles)
        self.n_calibration_ = counts[0] if one_task else np.array(counts)
        self.normalized_ = sigma is not None
        return self

    def interval(self, mu, sigma=None) -> tuple[np.ndarray, np.ndarray]:
        """Prediction intervals for new predictions.

        Parameters
        ----------
        mu : array-like of shape (n,) or (n, n_tasks)
            Point predictions, shaped like the calibration predictions.
        sigma : array-like of the same shape
            Required if (and only if) the calibrator was fit with ``sigma``.

        Returns
        -------
        lower, upper : ndarray
            Same shape as ``mu``; NaN where ``mu`` or ``sigma`` is NaN.

        Raises
        ------
        ValueError
            If not fitted, ``sigma`` is missing or unexpected, shapes disagree, or a
            ``sigma`` is negative.
        """
        if not hasattr(self, "quantile_"):
            raise ValueError("ConformalCalibrator is not fitted; call fit() or from_dict() first")
        if self.normalized_ and sigma is None:
            raise ValueError("this calibrator was fit with sigma; pass sigma to interval()")
        if not self.normalized_ and sigma is not None:
            raise ValueError("this calibrator was fit without sigma; call interval(mu) without it")
        mu = np.asarray(mu, dtype=float)
        q = np.asarray(self.quantile_, dtype=float)
        if mu.ndim != q.ndim + 1 or (q.ndim == 1 and mu.shape[1] != len(q)):
            expected = "(n,)" if q.ndim == 0 else f"(n, {len(q)})"
            raise ValueError(f"mu must have shape {expected}, got {mu.shape}")
        s = np.ones_like(mu) if sigma is None else np.asarray(sigma, dtype=float)
        if s.shape != mu.shape:
            raise ValueError(f"sigma must have the shape of mu {mu.shape}, got {s.shape}")
        if np.any(s < 0):
            raise ValueError("sigma must be >= 0")
        half = q * s
        return mu - half, mu + half

    def to_dict(self) -> dict:
        """A JSON-able description of the fitted calibrator, for a checkpoint header."""
        if not hasattr(self, "quantile_"):
            raise ValueError("ConformalCalibrator is not fitted; nothing to save")
        return {
            "format": _FORMAT,
            "coverage": float(self.coverage),
            "normalized": bool(self.normalized_),
            "quantile": np.asarray(self.quantile_).tolist(),
            "n_calibration": np.asarray(self.n_calibration_).tolist(),
        }

    @classmethod
    def from_dict(cls, data: dict) -> "ConformalCalibrator":
        """Rebuild a fitted calibrator from :meth:`to_dict` output.

        Raises
        ------
        ValueError
            If keys are missing or unknown, or the format tag does not match.
        """
        expected = {"format", "coverage", "normalized", "quantile", "n_calibration"}
        if not isinstance(data, dict) or set(data) != expected or data["format"] != _FORMAT:
            got = sorted(data) if isinstance(data, dict) else type(data).__name__
            raise ValueError(f"not a {_FORMAT} dict: expected keys {sorted(expected)}, got {got}")
        obj = cls(coverage=data["coverage"])
        _check_coverage(obj.coverage)
        q, n = data["quantile"], data["n_calibration"]
        obj.quantile_ = float(q) if np.ndim(q) == 0 else np.asarray(q, dtype=float)
        obj.n_calibration_ = int(n) if np.ndim(n) == 0 else np.asarray(n, dtype=int)
        obj.normalized_ = bool(data["normalized"])
        return obj

    def __repr__(self) -> str:
        return f"ConformalCalibrator(coverage={self.coverage!r})"


def calibrate_sigma(y_true, y_pred, sigma) -> float:
    """Variance scaling: the factor ``s`` that makes ``s * sigma`` best fit the residuals.

    Minimizes the Gaussian negative log-likelihood on a calibration set, which has the
    closed form ``s = sqrt(mean((y - mu)**2 / sigma**2))``. Use as ``sigma_new = s * sigma``;
    ``s > 1`` means the model was overconfident.

    Parameters
    ----------
    y_true, y_pred, sigma : array-like of shape (n,)
        NaN rows are ignored; observed ``sigma`` must be > 0.

    Returns
    -------
    float
        The factor ``s`` (``>= 0``) to multiply ``sigma`` by.

    Raises
    ------
    ValueError
        If lengths differ, no row is observed, or a ``sigma`` is <= 0.
    """
    y, mu, s = observed_rows(y_true=y_true, y_pred=y_pred, sigma=sigma)
    if np.any(s <= 0):
        raise ValueError("sigma must be > 0 where observed")
    return float(np.sqrt(np.mean(((y - mu) / s) ** 2)))

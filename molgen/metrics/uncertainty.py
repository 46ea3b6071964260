"""How good are predicted uncertainties: coverage, miscalibration area, ranking, NLL."""

import numpy as np
from scipy import stats

from molgen.metrics._arrays import observed_rows
from molgen.metrics.regression import spearman


def coverage(y_true, lower, upper) -> float:
    """Fraction of observed values inside their interval, ``lower <= y <= upper``.

    Parameters
    ----------
    y_true, lower, upper : array-like of shape (n,)
        Rows with a NaN anywhere are ignored.

    Returns
    -------
    float
        The fraction covered, in [0, 1].

    Raises
    ------
    ValueError
        If lengths differ or no row is observed.

    Examples
    --------
    >>> coverage([1.0, 5.0], [0.0, 0.0], [2.0, 2.0])
    0.5
    """
    y, lo, hi = observed_rows(y_true=y_true, lower=lower, upper=upper)
    return float(np.mean((lo <= y) & (y <= hi)))


def miscalibration_area(y_true, y_pred, sigma, *, n_bins: int = 100) -> float:
    """Area between the observed and expected proportion-in-interval curves.

    For each expected proportion ``p`` on a grid of ``n_bins + 1`` points in [0, 1], the
    centered Gaussian interval ``mu ± z(p) * sigma`` with ``z(p) = Φ⁻¹((1 + p) / 2)`` should
    contain a fraction ``p`` of the observations; the observed fraction is compared with
    ``p`` and ``|observed - p|`` is integrated over ``p`` (trapezoid rule). This is the
    Chemprop / Uncertainty Toolbox "miscalibration area" for interval proportions: 0 for
    perfectly calibrated Gaussian uncertainties, up to 0.5 for useless ones.

    Parameters
    ----------
    y_true, y_pred, sigma : array-like of shape (n,)
        Measurements, predicted means and predicted standard deviations (>= 0);
        NaN rows are ignored.
    n_bins : int
        Grid intervals over [0, 1] (default 100, as in Chemprop).

    Returns
    -------
    float
        The area, in [0, 0.5].

    Raises
    ------
    ValueError
        If lengths differ, no row is observed, a ``sigma`` is negative, or ``n_bins < 1``.
    """
    if isinstance(n_bins, bool) or not isinstance(n_bins, int) or n_bins < 1:
        raise ValueError(f"n_bins must be a positive int, got {n_bins!r}")
    y, mu, s = observed_rows(y_true=y_true, y_pred=y_pred, sigma=sigma)
    if np.any(s < 0):
        raise ValueError("sigma must be >= 0")
    expected = np.linspace(0.0, 1.0, n_bins + 1)
    z = stats.norm.ppf((1.0 + expected) / 2.0)  # 0 at p=0, inf at p=1
    abs_err = np.abs(y - mu)
    observed_frac = np.array([np.mean(abs_err <= zi * s) if np.isfinite(zi) else 1.0 for zi in z])
    gap = np.abs(observed_frac - expected)
    return float(np.sum(np.diff(expected) * (gap[1:] + gap[:-1]) / 2.0))


def uncertainty_spearman(y_true, y_pred, sigma) -> float:
    """Spearman correlation between absolute error ``|y - mu|`` and predicted ``sigma``.

    Positive values mean the model is least sure where it is most wrong (a useful ranking);
    NaN when fewer than two rows are observed or either side is constant.

    Raises
    ------
    ValueError
        If lengths differ or no row is observed.
    """
    y, mu, s = observed_rows(y_true=y_true, y_pred=y_pred, sigma=sigma)
    return spearman(np.abs(y - mu), s)


def gaussian_nll(y_true, y_pred, sigma) -> float:
    """Mean Gaussian negative log-likelihood of the observations under ``N(mu, sigma²)``.

    Raises
    ------
    ValueError
        If lengths differ, no row is observed, or an observed ``sigma`` is <= 0.
    """
    y, mu, s = observed_rows(y_true=y_true, y_pred=y_pred, sigma=sigma)
    if np.any(s <= 0):
        raise ValueError("sigma must be > 0 where observed")
    return float(np.mean(0.5 * np.log(2 * np.pi * s**2) + 0.5 * ((y - mu) / s) ** 2))

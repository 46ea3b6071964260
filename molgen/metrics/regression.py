"""Regression metrics with NaN masking: RMSE, MAE, R², Spearman."""

import warnings

import numpy as np
from scipy import stats

from molgen.metrics._arrays import observed_rows


def spearman(a, b) -> float:
    """Spearman rank correlation of two 1-D arrays, ignoring rows where either is NaN.

    Parameters
    ----------
    a, b : array-like of shape (n,)

    Returns
    -------
    float
        NaN when fewer than two rows are observed or either input is constant there.

    Raises
    ------
    ValueError
        If the lengths differ, an input is not 1-D, or no row is observed.
    """
    a, b = observed_rows(a=a, b=b)
    if len(a) < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(stats.spearmanr(a, b).statistic)


def regression_metrics(y_true, y_pred) -> dict:
    """RMSE, MAE, R² and Spearman correlation over the rows where both inputs are finite.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        Measured and predicted values; NaN marks a missing measurement or a failed prediction.
        Multi-task outputs: call once per task column.

    Returns
    -------
    dict
        ``rmse``, ``mae``, ``r2``, ``spearman`` (floats) and ``n`` (rows used). ``r2`` is NaN
        when fewer than two rows are observed or ``y_true`` is constant there; ``spearman``
        likewise when either side is constant.

    Raises
    ------
    ValueError
        If the lengths differ, an input is not 1-D or not numeric, or no row is observed.

    Examples
    --------
    >>> m = regression_metrics([1.0, 2.0, float("nan")], [1.0, 3.0, 5.0])
    >>> round(m["mae"], 3), m["n"]
    (0.5, 2)
    """
    t, p = observed_rows(y_true=y_true, y_pred=y_pred)
    err = p - t
    ss_tot = float(np.sum((t - t.mean()) ** 2))
    r2 = 1.0 - float(np.sum(err**2)) / ss_tot if len(t) >= 2 and ss_tot > 0 else float("nan")
    return {
        "rmse": float(np.sqrt(np.mean(err**2))),
        "mae": float(np.mean(np.abs(err))),
        "r2": r2,
        "spearman": spearman(t, p),
        "n": len(t),
    }

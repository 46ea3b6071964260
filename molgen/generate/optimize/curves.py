"""PMO-style sample-efficiency metrics: top-k means and the area under the top-k curve.

Gao et al., "Sample efficiency matters: a benchmark for practical molecular optimization"
(NeurIPS 2022 Datasets and Benchmarks). Scores are taken in scorer-call order.
"""

from collections.abc import Sequence

import numpy as np

__all__ = ["pmo_summary", "top_k_auc", "top_k_curve", "top_k_mean"]


def _scores(scores) -> np.ndarray:
    arr = np.asarray(scores, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"scores must be one-dimensional (in call order), got shape {arr.shape}")
    return arr


def _check_k(k) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive int, got {k!r}")
    return int(k)


def top_k_mean(scores, k: int = 10) -> float:
    """Mean of the ``k`` best scores; NaN (failed) scores count as 0, and when fewer than
    ``k`` molecules were scored the missing places count as 0 too.

    Raises
    ------
    ValueError
        For ``k < 1`` or scores that are not one-dimensional.
    """
    k = _check_k(k)
    arr = np.nan_to_num(_scores(scores), nan=0.0)
    if arr.size == 0:
        return 0.0
    top = np.sort(arr)[::-1][:k]
    return float(top.sum() / k)


def top_k_curve(scores, k: int = 10, freq: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """The top-``k`` mean after every ``freq`` calls (and after the last call).

    Returns
    -------
    calls : ndarray of int
    values : ndarray of float
    """
    k = _check_k(k)
    arr = np.nan_to_num(_scores(scores), nan=0.0)
    if freq < 1:
        raise ValueError(f"freq must be >= 1, got {freq}")
    calls = list(range(freq, arr.size, freq)) + ([arr.size] if arr.size else [])
    values, best = [], np.empty(0)
    prev = 0
    for n in calls:
        best = np.sort(np.concatenate([best, arr[prev:n]]))[::-1][:k]
        values.append(best.sum() / k)
        prev = n
    return np.asarray(calls, dtype=np.int64), np.asarray(values, dtype=float)


def top_k_auc(scores, k: int = 10, budget: int | None = None, freq: int = 100) -> float:
    """Area under the top-``k``-mean curve against calls, divided by ``budget`` (PMO's AUC).

    The curve is sampled every ``freq`` calls and integrated with the trapezoid rule from
    (0, 0); a run that stopped before ``budget`` calls keeps its last value to the end, and
    calls past ``budget`` are ignored. 1.0 means a perfect molecule from the first call.

    Parameters
    ----------
    scores : 1-D array-like
        Scores in call order (NaN counts as 0).
    k : int
    budget : int, optional
        Defaults to the number of scores.
    freq : int
        Sampling interval of the curve (PMO uses 100).

    Raises
    ------
    ValueError
        For ``k < 1``, ``freq < 1`` or a non-positive budget.
    """
    arr = _scores(scores)
    budget = arr.size if budget is None else int(budget)
    if budget < 1:
        raise ValueError(f"budget must be >= 1, got {budget}")
    calls, values = top_k_curve(arr[:budget], k, freq)
    area, prev_n, prev_v = 0.0, 0, 0.0
    for n, v in zip(calls, values):
        area += (n - prev_n) * (v + prev_v) / 2
        prev_n, prev_v = n, v
    area += (budget - prev_n) * prev_v
    return float(area / budget)


def pmo_summary(scores, checkpoints: Sequence[int] = (1000, 5000, 10000), freq: int = 100) -> dict:
    """Top-10 mean, top-100 mean and top-10 AUC after each number of calls in ``checkpoints``.

    Returns
    -------
    dict
        ``{n: {"top10": ..., "top100": ..., "auc_top10": ..., "calls": min(n, available)}}``.
    """
    arr = _scores(scores)
    out = {}
    for n in checkpoints:
        part = arr[: int(n)]
        out[int(n)] = {
            "calls": int(part.size),
            "top1": top_k_mean(part, 1),
            "top10": top_k_mean(part, 10),
            "top100": top_k_mean(part, 100),
            "auc_top10": top_k_auc(part, 10, budget=int(n), freq=freq),
        }
    return out

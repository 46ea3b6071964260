"""Classification metrics with NaN masking: ROC-AUC, PR-AUC, balanced accuracy."""

import numpy as np

from molgen.metrics._arrays import as_float_1d, observed, same_length


def _balanced_accuracy(labels: np.ndarray, predicted: np.ndarray) -> float:
    """Mean recall over the classes present in ``labels`` (sklearn's definition, no warnings)."""
    return float(np.mean([np.mean(predicted[labels == c] == c) for c in np.unique(labels)]))


def _integer_labels(y: np.ndarray, n_classes: int, name: str) -> np.ndarray:
    if not np.all(np.isin(y, np.arange(n_classes))):
        bad = np.unique(y[~np.isin(y, np.arange(n_classes))])[:5]
        raise ValueError(f"{name} must hold class labels 0..{n_classes - 1}, found {bad.tolist()}")
    return y.astype(int)


def classification_metrics(y_true, y_score, *, threshold: float = 0.5) -> dict:
    """ROC-AUC, PR-AUC (average precision) and balanced accuracy, ignoring NaN rows.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Labels: 0/1 for a binary task, 0..k-1 for a multiclass one; NaN marks a missing label.
    y_score : array-like of shape (n,) or (n, k)
        Binary: the score (probability) of class 1. Multiclass: one column of class
        probabilities (or scores) per class; dispatches to :func:`multiclass_metrics`.
    threshold : float
        Binary only: a score at or above it predicts class 1 (for balanced accuracy).

    Returns
    -------
    dict
        ``roc_auc``, ``pr_auc``, ``balanced_accuracy`` and ``n`` (rows used). The two AUCs
        are NaN when only one class is observed; balanced accuracy is then the recall of
        that class.

    Raises
    ------
    ValueError
        If the lengths differ, labels are not 0/1, or no row is observed.

    Examples
    --------
    >>> classification_metrics([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.9])["roc_auc"]
    0.75
    """
    from sklearn.metrics import average_precision_score, roc_auc_score  # slow import, pulls pandas

    score = np.asarray(y_score, dtype=float)
    if score.ndim == 2:
        return multiclass_metrics(y_true, score)
    score = as_float_1d(score, "y_score")
    y = as_float_1d(y_true, "y_true")
    same_length(y_true=y, y_score=score)
    mask = observed(y, score)
    y, score = _integer_labels(y[mask], 2, "y_true"), score[mask]
    both = len(np.unique(y)) == 2
    return {
        "roc_auc": float(roc_auc_score(y, score)) if both else float("nan"),
        "pr_auc": float(average_precision_score(y, score)) if both else float("nan"),
        "balanced_accuracy": _balanced_accuracy(y, (score >= threshold).astype(int)),
        "n": int(mask.sum()),
    }


def multiclass_metrics(y_true, y_score) -> dict:
    """Macro one-vs-rest ROC-AUC and PR-AUC, and balanced accuracy of the arg-max class.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Class labels 0..k-1; NaN marks a missing label.
    y_score : array-like of shape (n, k)
        Per-class probabilities or scores; a row with any NaN is ignored.

    Returns
    -------
    dict
        ``roc_auc`` and ``pr_auc``: unweighted means over the classes that are observed both
        present and absent (NaN when fewer than two classes are observed);
        ``balanced_accuracy``: mean recall over observed classes; ``n``: rows used.

    Raises
    ------
    ValueError
        If shapes disagree, labels fall outside 0..k-1, or no row is observed.
    """
    from sklearn.metrics import average_precision_score, roc_auc_score

    score = np.asarray(y_score, dtype=float)
    if score.ndim != 2 or score.shape[1] < 2:
        raise ValueError(f"y_score must have shape (n, k) with k >= 2, got {score.shape}")
    y = as_float_1d(y_true, "y_true")
    same_length(y_true=y, y_score=score)
    mask = observed(y, score)
    y, score = _integer_labels(y[mask], score.shape[1], "y_true"), score[mask]
    present = np.unique(y)
    roc, pr = float("nan"), float("nan")
    if len(present) >= 2:
        roc = float(np.mean([roc_auc_score(y == c, score[:, c]) for c in present]))
        pr = float(np.mean([average_precision_score(y == c, score[:, c]) for c in present]))
    return {
        "roc_auc": roc,
        "pr_auc": pr,
        "balanced_accuracy": _balanced_accuracy(y, score.argmax(axis=1)),
        "n": int(mask.sum()),
    }

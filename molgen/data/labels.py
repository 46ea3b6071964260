"""Target labels: numbers, or two text class labels mapped to 0/1, and the task they fit.

Used by ``molgen train`` and the Ray training job (through :func:`molgen.efficacy.fit_from_file`)
and by ``molgen evaluate``, which maps text labels through the mapping stored with a model.
"""

import numpy as np
import pandas as pd

from molgen.data.table import MISSING_TOKENS, target_to_float

__all__ = [
    "NEGATIVE_LABELS",
    "POSITIVE_LABELS",
    "encode_labels",
    "map_two_labels",
    "read_targets",
    "resolve_task",
]

#: Text labels read as the positive (1) or negative (0) class when a column has two of them.
POSITIVE_LABELS = frozenset({"active", "true", "yes", "positive", "pos", "hit", "binder", "toxic", "y", "t"})
NEGATIVE_LABELS = frozenset(
    {"inactive", "false", "no", "negative", "neg", "nonhit", "non-binder", "nonbinder", "nontoxic", "non-toxic", "n", "f"}
)


def _texts(values) -> list:
    """Each value stripped, or ``None`` for a blank or missing-value token."""
    return [None if pd.isna(v) or str(v).strip().lower() in MISSING_TOKENS else str(v).strip() for v in values]


def read_targets(frame: pd.DataFrame, cols, *, classification: bool) -> tuple[pd.DataFrame, dict]:
    """Float target columns, and ``{column: {label: class}}`` for text class labels mapped to 0/1.

    Parameters
    ----------
    frame : pandas.DataFrame
    cols : sequence of str
        Target columns of ``frame``.
    classification : bool
        Allow two distinct text labels per column (see :func:`map_two_labels`).

    Raises
    ------
    ValueError
        A non-numeric or infinite value (regression), or a text column without exactly
        two distinct labels (classification).
    """
    targets, mapping = {}, {}
    for col in cols:
        try:
            targets[col] = target_to_float(frame[col], col)
        except ValueError:
            if not classification:
                raise
            targets[col], mapping[col] = map_two_labels(frame[col], col)
    return pd.DataFrame(targets, index=frame.index), mapping


def map_two_labels(values: pd.Series, col: str) -> tuple[pd.Series, dict]:
    """Two distinct text labels -> 0/1 (active, true, yes, ... is 1; else alphabetical order).

    Returns the float64 codes (NaN for a blank) and the ``{label: class}`` mapping.

    Raises
    ------
    ValueError
        If the column does not hold exactly two distinct labels.
    """
    text = _texts(values)
    distinct = sorted({t for t in text if t is not None})
    if len(distinct) != 2:
        shown = ", ".join(map(repr, distinct[:6])) + (", ..." if len(distinct) > 6 else "")
        raise ValueError(
            f"target column {col!r} has {len(distinct)} distinct text labels ({shown}); class labels must be "
            "numbers (0/1, or 0..k-1) or exactly two distinct texts such as active/inactive"
        )
    low = [d.lower() for d in distinct]
    negative, positive = distinct
    if (low[0] in POSITIVE_LABELS and low[1] not in POSITIVE_LABELS) or (low[1] in NEGATIVE_LABELS and low[0] not in NEGATIVE_LABELS):
        negative, positive = positive, negative
    labels = {negative: 0, positive: 1}
    codes = [float("nan") if t is None else float(labels[t]) for t in text]
    return pd.Series(codes, index=values.index, dtype="float64"), labels


def encode_labels(values, col: str, mapping: dict) -> np.ndarray:
    """Text labels -> classes through a stored ``{label: class}`` mapping (NaN for a blank).

    Raises
    ------
    ValueError
        A label that ``mapping`` does not hold.
    """
    text = _texts(values)
    unknown = sorted({t for t in text if t is not None and t not in mapping})
    if unknown:
        raise ValueError(
            f"target column {col!r} has labels {', '.join(map(repr, unknown[:5]))} that the model does not know; "
            f"it was trained with {', '.join(f'{k!r} -> {v}' for k, v in mapping.items())}"
        )
    return np.array([np.nan if t is None else float(mapping[t]) for t in text])


def resolve_task(task: str, targets: pd.DataFrame) -> str:
    """The fitted task; checks class labels (0/1 for binary, integers 0..k-1 for multiclass).

    ``"classification"`` becomes ``"binary"`` or ``"multiclass"`` by the labels.

    Raises
    ------
    ValueError
        Fewer than two classes, labels that are not integers 0..k-1, or non-0/1 labels for
        ``"binary"``.
    """
    if task == "regression":
        return task
    values = targets.to_numpy(dtype="float64").ravel()
    classes = np.unique(values[~np.isnan(values)])
    if len(classes) < 2:
        raise ValueError(f"classification needs at least two classes; the labels hold {classes.tolist()}")
    if np.any(classes != np.round(classes)) or classes.min() < 0:
        raise ValueError(f"class labels must be integers 0..k-1 (or two text labels); found {classes[:8].tolist()}")
    is_binary = set(classes.tolist()) <= {0.0, 1.0}
    if task == "classification":
        return "binary" if is_binary else "multiclass"
    if task == "binary" and not is_binary:
        raise ValueError(f"binary labels must be 0/1 (or two text labels); found {classes[:8].tolist()}; use --task multiclass")
    return task

"""Input checks shared by the metric functions: shapes, lengths, NaN masks."""

import numpy as np


def as_float_1d(values, name: str) -> np.ndarray:
    """``values`` as a 1-D float array; raises ``ValueError`` naming ``name`` otherwise."""
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numeric, got {type(values).__name__}") from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    return arr


def same_length(**arrays: np.ndarray) -> int:
    """Common first dimension of ``arrays``; raises ``ValueError`` listing them if they differ."""
    lengths = {name: len(arr) for name, arr in arrays.items()}
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"{name}={n}" for name, n in lengths.items())
        raise ValueError(f"inputs must have the same length, got {shown}")
    return next(iter(lengths.values()))


def observed(*arrays: np.ndarray, what: str = "pairs") -> np.ndarray:
    """Boolean mask of rows that are finite in every array; raises if no row is."""
    mask = np.ones(len(arrays[0]), dtype=bool)
    for arr in arrays:
        mask &= np.isfinite(arr) if arr.ndim == 1 else np.isfinite(arr).all(axis=1)
    if not mask.any():
        raise ValueError(f"no observed {what}: every row has a NaN or infinite value (n={len(mask)})")
    return mask


def observed_rows(**named) -> list[np.ndarray]:
    """The named inputs as 1-D float arrays, cut to the rows that are finite in all of them.

    Raises ``ValueError`` naming the input for one that is not numeric or not 1-D, listing
    the lengths when they differ, and when no row is observed.
    """
    arrays = {name: as_float_1d(values, name) for name, values in named.items()}
    same_length(**arrays)
    mask = observed(*arrays.values())
    return [arr[mask] for arr in arrays.values()]

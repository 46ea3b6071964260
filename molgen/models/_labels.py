"""Target checks shared by the fingerprint members (kernel ridge, forest): numpy only."""

from collections.abc import Iterator

import numpy as np


def target_matrix(y) -> np.ndarray:
    """``y`` as a float64 ``n x n_tasks`` matrix (a 1-D ``y`` is one target), NaN = missing."""
    return np.asarray(y, dtype=np.float64).reshape(len(y), -1)


def labelled_rows(y: np.ndarray, model: str) -> Iterator[tuple[int, np.ndarray]]:
    """Each target's column index and the rows where it is labelled (finite).

    Raises ``ValueError`` naming ``model`` when a target has fewer than two labelled rows.
    """
    for k in range(y.shape[1]):
        rows = np.flatnonzero(np.isfinite(y[:, k]))
        if len(rows) < 2:
            raise ValueError(f"target {k} has {len(rows)} labelled rows; {model} needs at least 2")
        yield k, rows

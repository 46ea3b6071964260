"""Bridge to DeepChem: arrays or SMILES to ``deepchem.data.NumpyDataset`` and back.

DeepChem marks a missing label with weight 0 (the label itself is stored as 0, because
losses multiply by the weight and ``NaN * 0`` is ``NaN``). :func:`to_numpy_dataset` applies
that convention to NaN labels, and :func:`from_numpy_dataset` turns weight-0 labels back
into NaN. ``NumpyDataset`` does not store task names: pass them to
:func:`from_numpy_dataset` to get named columns.

DeepChem is imported on first use, quietly (``molgen.utils.quiet_import``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from molgen.chem.parse import parse_smiles
from molgen.chem.states import InvalidMoleculeError
from molgen.featurize.fingerprints import fingerprint_matrix
from molgen.utils.quiet import quiet_import

#: Fingerprint kinds accepted by :func:`smiles_to_numpy_dataset`.
FINGERPRINTS = ("morgan_counts", "morgan_bits")


def _labels(y, n: int) -> np.ndarray:
    labels = np.asarray(y, dtype=np.float64)
    if labels.ndim == 1:
        labels = labels[:, None]
    if labels.ndim != 2 or labels.shape[0] != n:
        raise ValueError(f"y must have shape (n,) or (n, n_tasks) with n = {n}, got {np.shape(y)}")
    return labels


def to_numpy_dataset(X, y=None, w=None, ids=None):
    """Wrap arrays in a ``deepchem.data.NumpyDataset``, with weight 0 for missing labels.

    Parameters
    ----------
    X : array-like, n x d (or n x ...)
        Features; the first axis is the sample axis.
    y : array-like, shape n or n x n_tasks, optional
        Labels; NaN means missing. Stored as ``n x n_tasks`` float64 with NaN replaced by 0.
        ``None`` gives an unlabeled data set (DeepChem's zero labels and zero weights).
    w : array-like, shape n or n x n_tasks, optional
        Weights (default 1). Forced to 0 wherever ``y`` is NaN.
    ids : sequence, optional
        One identifier per sample (SMILES, compound ids); default ``0 .. n-1``.

    Returns
    -------
    deepchem.data.NumpyDataset

    Raises
    ------
    ValueError
        Mismatched lengths or shapes.
    """
    dc = quiet_import("deepchem")
    features = np.asarray(X)
    if features.ndim < 1 or features.shape[0] == 0:
        raise ValueError("X must have at least one sample")
    n = features.shape[0]
    if ids is not None:
        ids = np.asarray(list(ids), dtype=object)
        if ids.shape != (n,):
            raise ValueError(f"ids must have one entry per sample ({n}), got shape {ids.shape}")
    if y is None:
        if w is not None:
            raise ValueError("w was given without y")
        return dc.data.NumpyDataset(features, ids=ids)
    labels = _labels(y, n)
    missing = np.isnan(labels)
    if w is None:
        weights = np.ones_like(labels)
    else:
        weights = np.asarray(w, dtype=np.float64)
        if weights.ndim == 1:
            weights = weights[:, None]
        try:
            weights = np.broadcast_to(weights, labels.shape).copy()
        except ValueError:
            raise ValueError(f"w must match y's shape {labels.shape}, got {np.shape(w)}") from None
    weights[missing] = 0.0
    labels = np.where(missing, 0.0, labels)
    return dc.data.NumpyDataset(features, labels, weights, ids, n_tasks=labels.shape[1])


def morgan_matrix(smiles: Sequence[str], *, counts: bool = True, radius: int = 2, n_bits: int = 2048) -> np.ndarray:
    """Morgan fingerprints (ECFP-like) of SMILES as an ``n x n_bits`` float32 matrix.

    Computed with :func:`molgen.featurize.fingerprints.fingerprint_matrix`; ``counts=True``
    gives count fingerprints, ``False`` bit fingerprints. Raises :class:`InvalidMoleculeError`
    naming the first unparsable row, ``ValueError`` for empty input or bad settings.
    """
    mols = []
    for row, text in enumerate(smiles):
        try:
            mols.append(parse_smiles(text, max_heavy_atoms=None))
        except InvalidMoleculeError as err:
            raise InvalidMoleculeError(err.smiles, err.state, f"row {row}: {err.reason}") from None
    if not mols:
        raise ValueError("smiles is empty")
    return fingerprint_matrix(mols, radius=radius, n_bits=n_bits, counts=counts).astype(np.float32)


def smiles_to_numpy_dataset(
    smiles: Sequence[str],
    y=None,
    w=None,
    *,
    fingerprint: str = "morgan_counts",
    radius: int = 2,
    n_bits: int = 2048,
):
    """Featurize SMILES with Morgan fingerprints and wrap them in a ``NumpyDataset``.

    Parameters
    ----------
    smiles : sequence of str
        Valid SMILES (filter with ``molgen.chem.clean_smiles`` first); they become the ids.
    y, w : array-like, optional
        Labels and weights as for :func:`to_numpy_dataset` (NaN labels get weight 0).
        A pandas DataFrame or Series is accepted.
    fingerprint : {"morgan_counts", "morgan_bits"}
        Count or bit Morgan fingerprint.
    radius, n_bits : int
        Morgan radius (2 = ECFP4) and fingerprint length.

    Returns
    -------
    deepchem.data.NumpyDataset
        ``X`` is ``n x n_bits`` float32, ids are the SMILES as given (stripped).

    Raises
    ------
    ValueError
        Unknown fingerprint, empty input or mismatched shapes.
    InvalidMoleculeError
        A SMILES does not parse; the message names the row.
    """
    if fingerprint not in FINGERPRINTS:
        raise ValueError(f"unknown fingerprint {fingerprint!r}; choose one of: {', '.join(FINGERPRINTS)}")
    if isinstance(smiles, str):
        raise ValueError("smiles must be a sequence of SMILES strings, not a single string")
    texts = [str(text).strip() for text in smiles]
    X = morgan_matrix(texts, counts=fingerprint == "morgan_counts", radius=radius, n_bits=n_bits)
    return to_numpy_dataset(X, y, w, ids=texts)


def from_numpy_dataset(dataset, task_names: Sequence[str] | None = None, *, missing_as_nan: bool = True) -> pd.DataFrame:
    """A DeepChem data set's ids, labels and weights as a DataFrame (features left out).

    Parameters
    ----------
    dataset : deepchem.data.Dataset
        A ``NumpyDataset`` (or any DeepChem data set with ``ids``, ``y`` and ``w``).
    task_names : sequence of str, optional
        Names of the label columns. Default: the data set's task names when they are
        strings, else ``task_0``, ``task_1``, ...
    missing_as_nan : bool
        Show labels with weight 0 as NaN (DeepChem stores them as 0).

    Returns
    -------
    pandas.DataFrame
        ``smiles`` (when every id is a string) or ``id``, then one column per task, then
        ``w_<task>`` weight columns.

    Raises
    ------
    ValueError
        ``task_names`` has the wrong length.
    """
    ids = np.asarray(dataset.ids, dtype=object)
    labels = np.asarray(dataset.y, dtype=np.float64)
    weights = np.asarray(dataset.w, dtype=np.float64)
    if labels.ndim == 1:
        labels = labels[:, None]
    if weights.ndim == 1:
        weights = weights[:, None]
    weights = np.broadcast_to(weights, labels.shape)
    names = _task_names(dataset, labels.shape[1], task_names)
    id_col = "smiles" if len(ids) and all(isinstance(i, str) for i in ids) else "id"
    columns: dict[str, object] = {id_col: list(ids)}
    for t, name in enumerate(names):
        values = labels[:, t].copy()
        if missing_as_nan:
            values[weights[:, t] == 0] = np.nan
        columns[name] = values
    for t, name in enumerate(names):
        columns[f"w_{name}"] = weights[:, t].copy()
    return pd.DataFrame(columns)


def _task_names(dataset, n_tasks: int, task_names) -> list[str]:
    if task_names is not None:
        names = [str(name) for name in task_names]
        if len(names) != n_tasks:
            raise ValueError(f"got {len(names)} task names for {n_tasks} tasks")
        return names
    given = list(dataset.get_task_names()) if hasattr(dataset, "get_task_names") else []
    if len(given) == n_tasks and all(isinstance(name, str) for name in given):
        return given
    return [f"task_{t}" for t in range(n_tasks)]


__all__ = ["FINGERPRINTS", "from_numpy_dataset", "morgan_matrix", "smiles_to_numpy_dataset", "to_numpy_dataset"]

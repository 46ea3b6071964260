"""Helpers shared by the model subcommands: column checks, output paths, atomic writes, metric lines.

Output tables are written by extension (``.csv``, ``.tsv``, either optionally ``.gz``, or
``.parquet``/``.pq``) into a temporary file in the destination folder and renamed into place,
so an interrupted or failed command never leaves a half-written file behind.
"""

import os
from pathlib import Path

from molgen.cli import UserError
from molgen.data.table import COLLISION_PREFIX, join_columns  # noqa: F401 (the commands import them from here)
from molgen.utils.files import atomic_path

#: output extension (after stripping ``.gz``) -> table format
TABLE_FORMATS = {".csv": "csv", ".tsv": "tsv", ".parquet": "parquet", ".pq": "parquet"}
SUPPORTED_OUTPUTS = ".csv, .csv.gz, .tsv, .tsv.gz, .parquet"

#: metric key -> label, in display order
METRIC_LABELS = {
    "rmse": "RMSE",
    "mae": "MAE",
    "r2": "R2",
    "spearman": "Spearman",
    "coverage": "coverage",
    "miscalibration_area": "miscalibration area",
    "roc_auc": "ROC-AUC",
    "pr_auc": "PR-AUC",
    "balanced_accuracy": "balanced accuracy",
    "n": "n",
}


def check_columns(frame, smiles_col: str, target_cols=(), id_col: str | None = None) -> None:
    """Raise the :class:`molgen.data.MoleculeTable` error for a missing or clashing column.

    The check runs on zero rows, so it is instant; the message names the missing column,
    suggests close matches and lists the columns of the file.
    """
    from molgen.data import MoleculeTable

    MoleculeTable.from_frame(frame.iloc[:0], smiles_col, list(target_cols), id_col)


def table_format(path) -> tuple[str, str | None]:
    """``(format, compression)`` of an output table path, or :class:`UserError`."""
    path = Path(path)
    name = path.name.lower()
    compression = None
    if name.endswith(".gz"):
        name, compression = name[:-3], "gzip"
    fmt = TABLE_FORMATS.get(Path(name).suffix)
    if fmt is None or (fmt == "parquet" and compression):
        raise UserError(f"{path}: unsupported output file type; use {SUPPORTED_OUTPUTS}")
    return fmt, compression


def check_output_file(path) -> Path:
    """Check, before any work is done, that a table can be written to ``path``.

    Raises
    ------
    UserError
        Unknown extension, ``path`` is a folder, or its folder is missing or not writable.
    """
    path = Path(path)
    table_format(path)
    if path.is_dir():
        raise UserError(f"{path}: is a folder; give a file name such as {path / 'out.csv'}")
    check_writable_folder(path.parent, path)
    return path


def check_writable_folder(folder, target) -> None:
    """:class:`UserError` unless ``folder`` exists, is a folder and is writable."""
    folder = Path(folder)
    if not folder.exists():
        raise UserError(f"cannot write {target}: folder {folder} does not exist")
    if not folder.is_dir():
        raise UserError(f"cannot write {target}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UserError(f"cannot write {target}: folder {folder} is not writable")


def write_table(frame, path) -> Path:
    """Write ``frame`` (without its index) atomically, in the format of ``path``'s extension."""
    fmt, compression = table_format(path)
    with atomic_path(path) as tmp:
        if fmt == "parquet":
            from pyarrow.lib import ArrowException

            try:
                frame.to_parquet(tmp, index=False)
            except ArrowException as err:
                raise UserError(f"cannot write {path} as Parquet: {err}") from None
        else:
            frame.to_csv(tmp, sep="\t" if fmt == "tsv" else ",", index=False, compression=compression)
    return Path(path)


def format_metrics(metrics: dict) -> str:
    """``RMSE 0.812  MAE 0.650 ...`` for the known metric keys present in ``metrics``."""
    parts = []
    for key, label in METRIC_LABELS.items():
        if key not in metrics:
            continue
        value = metrics[key]
        if value is None or (isinstance(value, float) and value != value):
            shown = "n/a"
        elif key == "n":
            shown = str(int(value))
        else:
            shown = f"{value:.3f}"
        parts.append(f"{label} {shown}" if key != "n" else f"n={shown}")
    return "  ".join(parts)


def json_safe(value):
    """``value`` with NaN/inf floats replaced by ``None`` and numpy scalars made plain."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", None) == 0:
        value = value.item()
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    return value


def state_summary(states) -> str:
    """``12 rows: 10 valid, 1 empty, 1 invalid_smiles`` (valid first, then most common)."""
    counts = states.value_counts()
    parts = [f"{int(counts.get('valid', 0))} valid"]
    parts += [f"{int(n)} {state}" for state, n in counts.items() if state != "valid"]
    return f"{len(states)} rows: {', '.join(parts)}"


def apply_record_states(frame, table, positions=None):
    """Carry an SDF reader's per-record failure (``_sdf_state`` / ``_sdf_error``) into ``table``.

    ``table`` rows correspond to ``frame`` rows at ``positions`` (default: row for row). A
    broken record otherwise shows only as an empty SMILES; this keeps its real reason.
    """
    import numpy as np

    from molgen.data.readers import SDF_ERROR_COL, SDF_STATE_COL

    if SDF_STATE_COL not in frame.columns or "state" not in table.columns:
        return table
    positions = np.arange(len(frame)) if positions is None else np.asarray(positions)
    states = frame[SDF_STATE_COL].to_numpy(dtype=object)[positions]
    errors = (
        frame[SDF_ERROR_COL].fillna("").to_numpy(dtype=object) if SDF_ERROR_COL in frame.columns else np.full(len(frame), "", dtype=object)
    )[positions]
    broken = np.array([s is not None and s == s and s != "valid" for s in states], dtype=bool)
    if broken.any():
        table = table.copy()
        table.loc[table.index[broken], "state"] = states[broken]
        table.loc[table.index[broken], "error"] = errors[broken]
    return table


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value

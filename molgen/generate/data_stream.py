"""Stream SMILES from large (optionally gzipped) files in chunks, never all at once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

__all__ = ["count_smiles", "iter_smiles_chunks", "resolve_training_data"]

#: Column names tried, in order, when a CSV's SMILES column is not named.
SMILES_COLUMNS = ("SMILES", "smiles", "Smiles", "canonical_smiles")
_LINE_SUFFIXES = (".smi", ".txt")


def resolve_training_data(data=None) -> Path:
    """The file to train on: ``data`` as given, or the MOSES training set (molsets wheel).

    Raises
    ------
    FileNotFoundError
        ``data`` does not exist.
    ModuleNotFoundError
        ``data`` is ``None`` and molsets is not installed.
    """
    if data is None:
        from molgen.data.datasets import dataset_path

        return dataset_path("moses_train")
    path = Path(data).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such SMILES file")
    return path


def _is_line_file(path: Path) -> bool:
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    return name.endswith(_LINE_SUFFIXES)


def iter_smiles_chunks(path, *, chunk_size: int = 50_000, smiles_col: str | None = None) -> Iterator[list[str]]:
    """Yield lists of up to ``chunk_size`` SMILES strings in file order.

    Parameters
    ----------
    path : str or Path
        ``.csv``/``.tsv`` (with a header, optionally ``.gz``) or ``.smi``/``.txt`` (first
        whitespace-separated field of each line, no header).
    chunk_size : int
        Rows per chunk.
    smiles_col : str or None
        CSV column; ``None`` tries ``SMILES``, ``smiles``, ``Smiles``, ``canonical_smiles``.

    Raises
    ------
    ValueError
        No SMILES column was found (the message lists the file's columns).
    """
    import pandas as pd

    path = Path(path)
    if _is_line_file(path):
        reader = pd.read_csv(path, sep=r"\s+", header=None, usecols=[0], names=["smiles"], dtype=str, chunksize=chunk_size)
        col = "smiles"
    else:
        sep = "\t" if ".tsv" in path.name.lower() else ","
        header = pd.read_csv(path, sep=sep, nrows=0).columns
        col = smiles_col or next((c for c in SMILES_COLUMNS if c in header), None)
        if col is None or col not in header:
            wanted = smiles_col or " or ".join(SMILES_COLUMNS)
            raise ValueError(f"{path}: no column {wanted}; the file has columns {list(header)}")
        reader = pd.read_csv(path, sep=sep, usecols=[col], dtype=str, chunksize=chunk_size)
    for frame in reader:
        values = frame[col].dropna().str.strip()
        yield [s for s in values.tolist() if s]


def count_smiles(path, *, smiles_col: str | None = None) -> int:
    """Number of non-empty SMILES in ``path`` (one streaming pass)."""
    return sum(len(chunk) for chunk in iter_smiles_chunks(path, chunk_size=200_000, smiles_col=smiles_col))

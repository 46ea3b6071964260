"""Read molecule files (CSV, TSV, Parquet, SDF, SMILES), plain or gzipped, into data frames.

Every reader keeps the rows of the file in order and reads text columns as strings, so
identifiers such as ``"00123"`` keep their leading zeros. Problems with the file itself
(missing, empty, truncated, corrupt, not UTF-8) raise :class:`DataFileError`, whose
message names the file.
"""

import warnings
from pathlib import Path

import pandas as pd

from molgen.utils.text_files import DataFileError, open_text  # noqa: F401  (DataFileError is re-exported by molgen.data)
from molgen.utils.text_files import file_error as _file_error
from molgen.utils.text_files import magic_bytes as _magic

PARQUET_MAGIC = b"PAR1"

#: file extension (after stripping ``.gz``) -> format name
EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".sdf": "sdf",
    ".sd": "sdf",
    ".smi": "smi",
    ".smiles": "smi",
}

#: Columns added to SDF tables: the record title, and the parse outcome of each record.
SDF_NAME_COL = "_name"
SDF_STATE_COL = "_sdf_state"
SDF_ERROR_COL = "_sdf_error"

#: Cell values read as missing from CSV/TSV files: the empty string only.
_NA_VALUES = [""]


def _check_file(path) -> Path:
    path = Path(path)
    if not path.exists():
        raise _file_error(path, "no such file")
    if path.is_dir():
        raise _file_error(path, "is a directory, not a file")
    if path.stat().st_size == 0:
        raise _file_error(path, "file is empty (0 bytes)")
    return path


def detect_format(path) -> str:
    """The format of ``path``: ``"csv"``, ``"tsv"``, ``"parquet"``, ``"sdf"`` or ``"smi"``.

    Parquet is recognized by its magic bytes; other formats by the extension, after
    stripping a trailing ``.gz``.

    Raises
    ------
    DataFileError
        If the file is missing or empty, the extension is unknown (the message lists the
        supported ones), or a ``.parquet`` file lacks Parquet's magic bytes.
    """
    path = _check_file(path)
    magic = _magic(path)
    if magic == PARQUET_MAGIC:
        return "parquet"
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    fmt = EXTENSIONS.get(Path(name).suffix)
    if fmt is None:
        supported = ", ".join(list(EXTENSIONS) + [ext + ".gz" for ext in EXTENSIONS if EXTENSIONS[ext] != "parquet"])
        raise _file_error(path, f"unknown file type {Path(name).suffix or '(no extension)'!r}; supported: {supported}")
    if fmt == "parquet":
        raise _file_error(path, "not a Parquet file (magic bytes 'PAR1' missing); corrupt or mislabeled")
    return fmt


def read_table(path, *, sep: str | None = None) -> pd.DataFrame:
    """Read a molecule file into a data frame, one row per record in file order.

    Parameters
    ----------
    path : str or pathlib.Path
        A ``.csv``, ``.tsv``, ``.parquet``, ``.sdf`` or ``.smi`` file; text formats may be
        gzipped (``.csv.gz``, ...; gzip is recognized by its magic bytes).
    sep : str, optional
        Field separator for CSV/TSV files (default ``","`` and tab). Ignored otherwise.

    Returns
    -------
    pandas.DataFrame
        CSV/TSV: every column as strings, empty cells missing. Parquet: the stored types.
        SMI: columns ``smiles`` and ``id`` (missing when a line has no name); a first line
        whose first token is ``smiles`` (any case) is a header and is skipped.
        SDF: ``smiles`` (canonical SMILES of the record, ``""`` when it could not be read),
        one string column per data item, ``_name`` (record title), and ``_sdf_state`` /
        ``_sdf_error`` (``"valid"``/``""`` or why the record is broken) so that broken
        records are kept as rows. A record declaring more than
        :data:`molgen.chem.MAX_SDF_RECORD_ATOMS` atoms, or longer than
        :data:`molgen.chem.MAX_SDF_RECORD_CHARS` characters, is not parsed (state
        ``too_many_atoms`` / ``invalid_record``). CSV/TSV cells keep line breaks inside
        quotes as written.

    Raises
    ------
    DataFileError
        If the file is missing, empty (0 bytes, or no data rows: a header-only CSV counts
        as empty), of an unknown type, truncated, corrupt, malformed or not UTF-8.
    """
    fmt = detect_format(path)
    path = Path(path)
    if fmt == "parquet":
        frame = _read_parquet(path)
    elif fmt == "sdf":
        frame = _read_sdf(path)
    elif fmt == "smi":
        frame = _read_smi(path)
    else:
        frame = _read_delimited(path, sep if sep is not None else ("," if fmt == "csv" else "\t"))
    if len(frame) == 0:
        raise _file_error(path, "file has no data rows")
    return frame


def _read_delimited(path: Path, sep: str) -> pd.DataFrame:
    try:
        with open_text(path, newline="") as handle, warnings.catch_warnings():
            # pandas only warns, and drops the extra cells, when the first data row has
            # more fields than the header: make that an error naming the row.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            return pd.read_csv(handle, sep=sep, dtype=str, keep_default_na=False, na_values=_NA_VALUES, index_col=False)
    except pd.errors.EmptyDataError:
        raise _file_error(path, "file is empty (no header and no data rows)") from None
    except pd.errors.ParserError as err:
        raise _file_error(path, f"malformed delimited file ({' '.join(str(err).split())})") from None
    except pd.errors.ParserWarning:
        raise _file_error(path, _extra_fields(path, sep)) from None


def _extra_fields(path: Path, sep: str) -> str:
    """Describe the first row that has more fields than the header."""
    import csv

    header: list = []
    try:
        with open_text(path, newline="") as handle:
            reader = csv.reader(handle, delimiter=sep)
            header = next(reader, [])
            for line, row in enumerate(reader, start=2):
                if len(row) > len(header):
                    return (
                        f"line {line} has {len(row)} fields but the header has {len(header)}; check the separator (--sep) and the quoting"
                    )
    except csv.Error:
        pass
    return f"a row has more fields than the header ({len(header)}); check the separator (--sep) and the quoting"


def _read_parquet(path: Path) -> pd.DataFrame:
    from pyarrow.lib import ArrowException

    try:
        frame = pd.read_parquet(path)
    except (ArrowException, OSError, ValueError) as err:
        raise _file_error(path, f"corrupt or unreadable Parquet file ({err})") from None
    except Exception as err:  # damaged pandas metadata in the footer surfaces as KeyError, TypeError, ...
        raise _file_error(path, f"corrupt or unreadable Parquet file ({type(err).__name__}: {err})") from None
    _check_arrow_text(frame, path)
    return frame


def _check_arrow_text(frame: pd.DataFrame, path: Path) -> None:
    """Refuse Arrow-backed text columns holding invalid UTF-8 (Parquet readers do not check it).

    Such bytes would otherwise surface later, far from the file, as an ``ArrowException``
    when the column is first converted to Python strings.
    """
    import pyarrow as pa

    for col in frame.columns:
        values = frame[col].array
        if not hasattr(values, "__arrow_array__"):
            continue
        try:
            pa.chunked_array(values.__arrow_array__()).validate(full=True)
        except pa.ArrowException as err:
            raise _file_error(path, f"corrupt Parquet file: column {str(col)!r} holds invalid data ({err})") from None


def _read_smi(path: Path) -> pd.DataFrame:
    rows = []
    first = True
    with open_text(path) as handle:
        for line in handle:
            parts = line.strip().split(None, 1)
            if not parts:
                continue
            if first:
                first = False
                if parts[0].lower() == "smiles":
                    continue
            rows.append((parts[0], parts[1].strip() if len(parts) > 1 else None))
    return pd.DataFrame(rows, columns=["smiles", "id"], dtype="str")


def _read_sdf(path: Path) -> pd.DataFrame:
    from rdkit import Chem

    from molgen.chem.parse import iter_sdf
    from molgen.utils.quiet import rdkit_quiet

    rows = []
    with rdkit_quiet():
        for record in iter_sdf(path, max_heavy_atoms=None):
            mol = record.mol
            row = {"smiles": Chem.MolToSmiles(mol) if mol is not None else ""}
            row.update(record.props)
            row[SDF_NAME_COL] = mol.GetProp("_Name") if mol is not None and mol.HasProp("_Name") else ""
            row[SDF_STATE_COL] = record.state
            row[SDF_ERROR_COL] = record.error
            rows.append(row)
    return pd.DataFrame(rows, dtype="str")

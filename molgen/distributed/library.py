"""Screening libraries: find the input files, plan deterministic shards, read one shard.

A library is one file or a folder of files (``.smi``/``.smiles``, ``.csv``, ``.tsv``,
each optionally gzipped, and ``.parquet``). It is cut into shards of at most
``shard_size`` rows; a shard is ``(file, first row, row count)``, so the same library and
shard size always give the same shards, whatever the cluster.

Rows
----
For text files every line after the header (``.smi`` files have no header unless
their first token is ``smiles``) is one row, blank lines included (they come out with
state ``empty``). A line that cannot be split into the header's fields becomes a row with
state ``invalid_record``; it never fails its shard. Parquet rows are the file's rows.
Records spanning several lines (quoted newlines in CSV) are not supported: convert such
files to Parquet.

Memory is bounded by the shard: planning streams through text files once (counting
lines, recording byte offsets of plain files) and reads only Parquet metadata.
"""

import csv
import dataclasses
import difflib
import gzip
import hashlib
import io
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from molgen.chem import MolState

#: extension (after stripping ``.gz``) -> format
FORMATS = {".smi": "smi", ".smiles": "smi", ".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".parquet": "parquet", ".pq": "parquet"}
DEFAULT_SHARD_SIZE = 8192
_CHUNK = 1 << 22
_GZIP_MAGIC = b"\x1f\x8b"


class LibraryError(ValueError):
    """A library that cannot be screened: missing, empty, unknown format, missing column."""


@dataclasses.dataclass(frozen=True)
class LibraryFile:
    """One input file of a library.

    Attributes
    ----------
    path : str
        Absolute path.
    name : str
        Path relative to the library root (the ``file`` column of the results).
    format : str
        ``smi``, ``csv``, ``tsv`` or ``parquet``.
    gzipped : bool
    size : int
        Bytes.
    fingerprint : str
        sha256 of the size, the first and the last MiB: identifies the content cheaply.
    n_rows : int
    columns : tuple of str
        Header fields (``("smiles", "id")`` for ``.smi``).
    header_lines : int
        Lines before the first row (0 or 1).
    offsets : tuple of int
        Plain text files: byte offset of the first line of every shard; else empty.
    """

    path: str
    name: str
    format: str
    gzipped: bool
    size: int
    fingerprint: str
    n_rows: int
    columns: tuple
    header_lines: int
    offsets: tuple = ()

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["columns"], data["offsets"] = list(self.columns), list(self.offsets)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "LibraryFile":
        return cls(**{**data, "columns": tuple(data["columns"]), "offsets": tuple(data["offsets"])})

    def identity(self) -> dict:
        """What must not change between a run and its resumption."""
        return {"name": self.name, "size": self.size, "fingerprint": self.fingerprint, "n_rows": self.n_rows}


@dataclasses.dataclass(frozen=True)
class Shard:
    """Rows ``start .. start + count - 1`` of file number ``file`` of a library."""

    index: int
    file: int
    start: int
    count: int
    offset: int = -1  # byte offset of the first line (plain text files), else -1

    @property
    def name(self) -> str:
        return f"part-{self.index:06d}"


def _format_of(path: Path) -> tuple[str, bool] | None:
    name = path.name.lower()
    gz = name.endswith(".gz")
    if gz:
        name = name[:-3]
    fmt = FORMATS.get(Path(name).suffix)
    if fmt is None or (fmt == "parquet" and gz):
        return None
    return fmt, gz


def find_files(library) -> tuple[Path, list[Path]]:
    """The library root and its input files, sorted by relative path.

    A folder is searched recursively; hidden files and files of other types are skipped.

    Raises
    ------
    LibraryError
        Missing path, a file of an unsupported type, or a folder without input files.
    """
    root = Path(library).expanduser().resolve()
    supported = ", ".join(sorted(FORMATS)) + " (text formats may end in .gz)"
    if not root.exists():
        raise LibraryError(f"{library}: no such file or folder")
    if root.is_file():
        if _format_of(root) is None:
            raise LibraryError(f"{library}: unsupported library file type; use {supported}")
        return root.parent, [root]
    files = sorted(
        (p for p in root.rglob("*") if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)),
        key=lambda p: p.relative_to(root).as_posix(),
    )
    files = [p for p in files if _format_of(p) is not None]
    if not files:
        raise LibraryError(f"{library}: folder holds no library files ({supported})")
    return root, files


def _fingerprint(path: Path, size: int) -> str:
    digest = hashlib.sha256(str(size).encode())
    with open(path, "rb") as handle:
        digest.update(handle.read(1 << 20))
        if size > 2 << 20:
            handle.seek(size - (1 << 20))
        digest.update(handle.read(1 << 20))
    return digest.hexdigest()


def _open_binary(path: Path, gzipped: bool):
    return gzip.open(path, "rb") if gzipped else open(path, "rb")


def _decode(raw: bytes, path, line_no: int) -> str:
    try:
        return raw.decode("utf-8-sig" if line_no == 0 else "utf-8")
    except UnicodeDecodeError as err:
        raise LibraryError(f"{path}: line {line_no + 1} is not valid UTF-8 ({err.reason}); re-save the file as UTF-8") from None


def _split_fields(line: str, fmt: str) -> list[str]:
    line = line.rstrip("\r\n")
    if fmt == "smi":
        parts = line.strip().split(None, 1)
        return [parts[0], parts[1].strip()] if len(parts) == 2 else parts
    return next(csv.reader([line], delimiter="," if fmt == "csv" else "\t"), [])


def _scan_text(path: Path, fmt: str, gzipped: bool, shard_size: int) -> tuple[tuple, int, int, tuple]:
    """(columns, header_lines, n_rows, shard offsets) in one streaming pass."""
    try:
        with _open_binary(path, gzipped) as handle:
            first = handle.readline()
        if not first:
            raise LibraryError(f"{path}: file is empty")
        fields = _split_fields(_decode(first, path, 0), fmt)
        if fmt == "smi":
            header = 1 if fields and fields[0].lower() == "smiles" else 0
            columns = ("smiles", "id")
        else:
            header, columns = 1, tuple(f.strip() for f in fields)
            if not any(columns):
                raise LibraryError(f"{path}: the first line (the header) is blank")
        newlines, pos, last = 0, 0, b""
        offsets = [0] if header == 0 else []
        with _open_binary(path, gzipped) as handle:
            while True:
                block = handle.read(_CHUNK)
                if not block:
                    break
                if gzipped:
                    newlines += block.count(b"\n")
                else:  # byte offset of every shard's first line, for seeking
                    ends = np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == 10)
                    line = newlines + 1 + np.arange(len(ends))  # index of the line starting after each newline
                    keep = (line >= header) & ((line - header) % shard_size == 0)
                    offsets.extend((pos + ends[keep] + 1).tolist())
                    newlines += len(ends)
                pos += len(block)
                last = block[-1:]
    except (EOFError, gzip.BadGzipFile, zlib.error) as err:
        raise LibraryError(f"{path}: truncated or corrupt gzip data ({err})") from None
    n_lines = newlines + (1 if last not in (b"\n", b"") else 0)
    n_rows = max(n_lines - header, 0)
    n_shards = (n_rows + shard_size - 1) // shard_size
    return columns, header, n_rows, (tuple(offsets[:n_shards]) if not gzipped else ())


def scan_file(path, root, shard_size: int = DEFAULT_SHARD_SIZE) -> LibraryFile:
    """Describe one library file (one streaming pass for text, metadata only for Parquet).

    Raises
    ------
    LibraryError
        Unsupported type, empty or header-only file, corrupt gzip or Parquet, not UTF-8.
    """
    path = Path(path)
    found = _format_of(path)
    if found is None:
        raise LibraryError(f"{path}: unsupported library file type")
    fmt, gzipped = found
    size = path.stat().st_size
    if size == 0:
        raise LibraryError(f"{path}: file is empty (0 bytes)")
    if not gzipped and fmt != "parquet":
        with open(path, "rb") as handle:
            gzipped = handle.read(2) == _GZIP_MAGIC
    if fmt == "parquet":
        import pyarrow.parquet as pq
        from pyarrow.lib import ArrowException

        try:
            meta = pq.ParquetFile(path)
            columns, n_rows, header, offsets = tuple(meta.schema_arrow.names), meta.metadata.num_rows, 0, ()
        except (ArrowException, OSError) as err:
            raise LibraryError(f"{path}: corrupt or unreadable Parquet file ({err})") from None
    else:
        columns, header, n_rows, offsets = _scan_text(path, fmt, gzipped, shard_size)
    if n_rows == 0:
        raise LibraryError(f"{path}: file has no data rows")
    return LibraryFile(
        path=str(path),
        name=path.relative_to(root).as_posix(),
        format=fmt,
        gzipped=gzipped,
        size=size,
        fingerprint=_fingerprint(path, size),
        n_rows=int(n_rows),
        columns=columns,
        header_lines=header,
        offsets=tuple(int(o) for o in offsets),
    )


def check_column(file: LibraryFile, column: str, what: str) -> None:
    """:class:`LibraryError` naming the file, the column and close matches, if missing."""
    if column in file.columns:
        return
    close = difflib.get_close_matches(column, file.columns, n=3)
    hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
    raise LibraryError(f"{file.path}: no {what} column {column!r}{hint} (columns: {', '.join(map(str, file.columns))})")


def plan_shards(files: list[LibraryFile], shard_size: int = DEFAULT_SHARD_SIZE) -> list[Shard]:
    """Cut every file into consecutive shards of ``shard_size`` rows (the last may be shorter)."""
    if shard_size < 1:
        raise ValueError(f"shard_size must be >= 1, got {shard_size}")
    shards = []
    for f_idx, file in enumerate(files):
        for k, start in enumerate(range(0, file.n_rows, shard_size)):
            offset = file.offsets[k] if file.offsets else -1
            shards.append(Shard(len(shards), f_idx, start, min(shard_size, file.n_rows - start), offset))
    return shards


def _text_lines(file: LibraryFile, shard: Shard) -> list[bytes]:
    """The raw lines of a shard: seek to its offset (plain files) or skip lines (gzip)."""
    with _open_binary(Path(file.path), file.gzipped) as handle:
        if shard.offset >= 0:
            handle.seek(shard.offset)
        else:
            to_skip = file.header_lines + shard.start
            pending = b""
            while to_skip:
                block = handle.read(_CHUNK)
                if not block:
                    break
                n = block.count(b"\n")
                if n < to_skip:
                    to_skip -= n
                    continue
                cut = -1
                for _ in range(to_skip):
                    cut = block.index(b"\n", cut + 1)
                pending, to_skip = block[cut + 1 :], 0
            handle = io.BufferedReader(_Prepend(pending, handle)) if pending else handle
        lines = []
        for _ in range(shard.count):
            line = handle.readline()
            if not line:
                break
            lines.append(line)
    return lines


class _Prepend(io.RawIOBase):
    """A readable stream that yields ``head`` and then the rest of ``stream``."""

    def __init__(self, head: bytes, stream):
        self._head, self._stream = head, stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n], self._head = self._head[:n], self._head[n:]
            return n
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def read_shard(file: LibraryFile, shard: Shard, *, smiles_col: str, id_col: str | None = None) -> dict:
    """The rows of one shard as a batch dict of numpy arrays.

    Returns
    -------
    dict
        ``smiles`` (str), ``id`` (str, only with ``id_col``), ``file`` (the file's
        relative name), ``row`` (int64, 0-based row in the file), ``state`` and ``error``
        (``"invalid_record"`` for a line without the expected fields, else ``""``:
        molecules are judged later). Exactly ``shard.count`` rows.

    Raises
    ------
    LibraryError
        If the file has fewer rows than planned (it changed since planning).
    """
    if file.format == "parquet":
        smiles, ids, states, errors = _parquet_rows(file, shard, smiles_col, id_col)
    else:
        smiles, ids, states, errors = _text_rows(file, shard, smiles_col, id_col)
    if len(smiles) != shard.count:
        raise LibraryError(f"{file.path}: expected {shard.count} rows from row {shard.start}, found {len(smiles)}; did the file change?")
    batch = {
        "smiles": np.array(smiles, dtype=object),
        "file": np.full(shard.count, file.name, dtype=object),
        "row": np.arange(shard.start, shard.start + shard.count, dtype=np.int64),
        "state": np.array(states, dtype=object),
        "error": np.array(errors, dtype=object),
    }
    if id_col is not None:
        batch["id"] = np.array(ids, dtype=object)
    return batch


def _text_rows(file: LibraryFile, shard: Shard, smiles_col: str, id_col: str | None):
    s_idx = file.columns.index(smiles_col)
    i_idx = file.columns.index(id_col) if id_col is not None else None
    n_fields = len(file.columns)
    smiles, ids, states, errors = [], [], [], []
    for k, raw in enumerate(_text_lines(file, shard)):
        line_no = file.header_lines + shard.start + k  # 0-based line in the file
        try:
            text = raw.decode("utf-8-sig" if line_no == 0 else "utf-8")
        except UnicodeDecodeError as err:
            smiles.append(""), ids.append("")
            states.append(MolState.INVALID_RECORD.value), errors.append(f"line {line_no + 1}: not valid UTF-8 ({err.reason})")
            continue
        fields = _split_fields(text, file.format)
        if file.format == "smi":
            fields = fields + [""] * (2 - len(fields))
        elif text.strip() and len(fields) != n_fields:
            smiles.append(""), ids.append("")
            states.append(MolState.INVALID_RECORD.value)
            errors.append(f"line {line_no + 1}: {len(fields)} fields, expected {n_fields}")
            continue
        elif not text.strip():
            fields = [""] * n_fields
        smiles.append(fields[s_idx].strip())
        ids.append(fields[i_idx] if i_idx is not None else "")
        states.append(""), errors.append("")
    return smiles, ids, states, errors


def _parquet_rows(file: LibraryFile, shard: Shard, smiles_col: str, id_col: str | None):
    import pyarrow.parquet as pq

    columns = [smiles_col] + ([id_col] if id_col is not None and id_col != smiles_col else [])
    pf = pq.ParquetFile(file.path)
    # Read only the row groups that overlap the shard.
    starts = np.cumsum([0] + [pf.metadata.row_group(i).num_rows for i in range(pf.num_row_groups)])
    first = int(np.searchsorted(starts, shard.start, side="right") - 1)
    last = int(np.searchsorted(starts, shard.start + shard.count, side="left"))
    table = pf.read_row_groups(list(range(first, max(last, first + 1))), columns=columns)
    table = table.slice(shard.start - int(starts[first]), shard.count)

    def text(col):
        values = table.column(col).to_pylist()
        return ["" if v is None else str(v) for v in values]

    smiles = [s.strip() for s in text(smiles_col)]
    ids = text(id_col) if id_col is not None else [""] * len(smiles)
    return smiles, ids, [""] * len(smiles), [""] * len(smiles)


def iter_shard_batches(files: list[LibraryFile], shards: list[Shard], **kwargs) -> Iterator[tuple[Shard, dict]]:
    """``(shard, batch)`` for each shard in order (the single-process path)."""
    for shard in shards:
        yield shard, read_shard(files[shard.file], shard, **kwargs)

"""Open plain or gzipped text files for reading; :class:`DataFileError` names the file on any problem.

The bottom layer: :mod:`molgen.chem` (SDF records) and :mod:`molgen.data` (tables) both read through it.
"""

import contextlib
import gzip
import io
import zlib
from collections.abc import Iterator
from pathlib import Path

__all__ = ["GZIP_MAGIC", "DataFileError", "file_error", "magic_bytes", "open_text"]

GZIP_MAGIC = b"\x1f\x8b"


class DataFileError(ValueError):
    """A data file that cannot be read: missing, empty, truncated, corrupt or not UTF-8."""


def file_error(path, problem: str) -> DataFileError:
    return DataFileError(f"{path}: {problem}")


def magic_bytes(path: Path, n: int = 4) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(n)


@contextlib.contextmanager
def open_text(path, *, newline: str | None = None) -> Iterator[io.TextIOBase]:
    """Open a plain or gzipped text file as UTF-8.

    Gzip is recognized by its magic bytes, whatever the extension. A UTF-8 byte-order
    mark is skipped.

    Parameters
    ----------
    path : str or pathlib.Path
        The file to open.
    newline : str or None
        As for :func:`open`: ``None`` (default) gives universal newlines; the CSV reader
        passes ``""`` so that line breaks inside quoted cells are kept as written.

    Yields
    ------
    io.TextIOBase
        A text stream with universal newlines.

    Raises
    ------
    DataFileError
        If the file is missing or is a directory, or, while the stream is read inside the
        ``with`` block, if the text is not valid UTF-8 or the gzip stream is truncated or
        corrupt. The message names the file.
    """
    path = Path(path)
    if not path.exists():
        raise file_error(path, "no such file")
    if path.is_dir():
        raise file_error(path, "is a directory, not a file")
    gzipped = magic_bytes(path, 2) == GZIP_MAGIC
    opener = gzip.open if gzipped else open
    try:
        with opener(path, "rt", encoding="utf-8-sig", newline=newline) as handle:
            yield handle
    except UnicodeDecodeError as err:
        raise file_error(path, f"not valid UTF-8 text ({err.reason}); re-save it as UTF-8") from None
    except (EOFError, gzip.BadGzipFile, zlib.error) as err:
        raise file_error(path, f"truncated or corrupt gzip data ({err})") from None

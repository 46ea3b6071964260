"""Write files and folders atomically, with the modes a new file or folder gets from the umask.

Everything molgen writes for the user goes through here. A file is written under a
temporary name in its own folder (``.NAME.XXXX.tmp``), flushed to disk, given the mode
``0o666 & ~umask`` and renamed over ``NAME``; a folder is built the same way and gets
``0o777 & ~umask`` (its files ``0o666 & ~umask``). A killed or failed writer leaves
either the old output or the new one, never half of one, and removes its temporary.

``OSError`` (disk full, quota, permissions, a missing folder) becomes
:class:`FileWriteError`, a ``ValueError`` whose one-line message is
``cannot write PATH: REASON``; the command line prints it as is.

The bottom layer: no RDKit, torch or pandas imports.
"""

import contextlib
import functools
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = [
    "FileWriteError",
    "atomic_folder",
    "atomic_path",
    "content_sha256",
    "current_umask",
    "sha256_file",
    "write_bytes",
    "write_json",
    "write_text",
]

TMP_SUFFIX = ".tmp"


class FileWriteError(ValueError):
    """A file or folder that cannot be written; ``path`` and ``reason`` are kept as attributes."""

    def __init__(self, path, reason: str):
        super().__init__(f"cannot write {path}: {reason}")
        self.path, self.reason = Path(path), reason


def _error(path, err: OSError) -> FileWriteError:
    return FileWriteError(path, err.strerror or str(err))


@functools.cache
def _umask_once() -> int:
    # os.umask can only be read by setting it: done once, then cached. Another thread
    # creating a file in that instant would get mode 0o022 applied.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def current_umask() -> int:
    """The process umask, which sets the modes of everything written here.

    On Linux it is read from ``/proc/self/status`` at each call: no side effect, and a
    later ``os.umask`` call is followed. Elsewhere :func:`os.umask` is the only way to
    read it, by setting it and setting it back, which is process-wide; that is done once,
    at the first write, and cached, so a later ``os.umask`` call is not seen there.

    Returns
    -------
    int
        For example ``0o022``.
    """
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/self/status", encoding="ascii", errors="replace") as handle:
            for line in handle:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    return _umask_once()


def _fsync(path) -> None:
    fd = os.open(path, os.O_RDWR if os.name == "nt" else os.O_RDONLY)  # Windows syncs writable handles only
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; it replaces ``path`` when the block succeeds.

    For writers that take a path (``DataFrame.to_parquet``, ``safetensors.torch.save_file``,
    ``Figure.savefig`` with ``format=``). The file is synced to disk, given the mode
    ``0o666 & ~umask`` and renamed over ``path``.

    Parameters
    ----------
    path : str or pathlib.Path
        The file to write. Its folder must exist.

    Yields
    ------
    pathlib.Path
        An empty temporary file, ``.NAME.XXXX.tmp``, in ``path``'s folder.

    Raises
    ------
    FileWriteError
        If the folder is missing or not writable, or the block or the rename raises
        ``OSError``. Any other exception from the block passes through unchanged. In every
        failure the temporary file is removed and ``path`` is left as it was.

    Examples
    --------
    >>> with atomic_path(tmp_dir / "table.parquet") as tmp:  # doctest: +SKIP
    ...     frame.to_parquet(tmp, index=False)
    """
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TMP_SUFFIX)
    except OSError as err:
        raise _error(path, err) from None
    os.close(fd)
    try:
        yield Path(tmp)
        _fsync(tmp)
        os.chmod(tmp, 0o666 & ~current_umask())
        os.replace(tmp, path)
    except OSError as err:
        raise _error(path, err) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def write_bytes(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; returns ``path``. Raises :class:`FileWriteError` as :func:`atomic_path`."""
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        handle.write(data)
    return path


def write_text(path, text: str, *, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically; returns ``path``. Raises :class:`FileWriteError` as :func:`atomic_path`."""
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "w", encoding=encoding) as handle:
        handle.write(text)
    return path


def write_json(path, data, *, indent: int | None = 2, allow_nan: bool = False, default=None) -> Path:
    """Write ``json.dumps(data, ...)`` and a final newline to ``path`` atomically; returns ``path``.

    Raises
    ------
    ValueError
        ``data`` holds NaN or infinity and ``allow_nan`` is false (nothing is written).
    TypeError
        ``data`` holds a value JSON cannot represent and ``default`` does not convert it.
    FileWriteError
        As for :func:`atomic_path`.
    """
    text = json.dumps(data, indent=indent, allow_nan=allow_nan, default=default) + "\n"
    return write_text(path, text)


def _settle(folder: Path) -> None:
    """Give every folder and file under ``folder`` the umask modes and sync the files."""
    mask = current_umask()
    os.chmod(folder, 0o777 & ~mask)
    for root, dirs, files in os.walk(folder):
        for name in dirs:
            if not os.path.islink(os.path.join(root, name)):
                os.chmod(os.path.join(root, name), 0o777 & ~mask)
        for name in files:
            file = os.path.join(root, name)
            if not os.path.islink(file):
                os.chmod(file, 0o666 & ~mask)
                _fsync(file)


def _swap(tmp: Path, path: Path, backup: Path) -> None:
    """Rename ``tmp`` to ``path``; an existing ``path`` goes to ``backup`` first, then is deleted."""
    shutil.rmtree(backup, ignore_errors=True)
    if not (path.exists() or path.is_symlink()):
        os.replace(tmp, path)
        return
    os.replace(path, backup)
    try:
        os.replace(tmp, path)
    except OSError:
        os.replace(backup, path)
        raise
    shutil.rmtree(backup, ignore_errors=True)


@contextlib.contextmanager
def atomic_folder(path, *, backup=None) -> Iterator[Path]:
    """Yield an empty temporary folder next to ``path``; it replaces ``path`` as a whole when the block succeeds.

    On success every folder in it gets the mode ``0o777 & ~umask`` and every file
    ``0o666 & ~umask`` (``tempfile.mkdtemp`` makes ``0o700`` folders and some writers,
    safetensors among them, ``0o600`` files); the files are synced to disk. An existing
    ``path`` is first renamed to ``backup`` and deleted once the new folder is in place,
    so a crash in between leaves the old contents at ``backup``.

    Parameters
    ----------
    path : str or pathlib.Path
        The folder to write. Its parent must exist. Callers check what they may replace.
    backup : str or pathlib.Path, optional
        Where the old folder waits during the swap; default ``.NAME.old`` beside ``path``.

    Yields
    ------
    pathlib.Path
        The temporary folder, ``.NAME.XXXX.tmp``.

    Raises
    ------
    FileWriteError
        If the parent is missing or not writable, or the mode change or the rename fails.
        Exceptions from the block pass through unchanged (``OSError`` included: the block
        may read as well as write). In every failure the temporary folder is removed and
        ``path`` is left as it was.
    """
    path = Path(path)
    backup = Path(backup) if backup is not None else path.with_name(f".{path.name}.old")
    try:
        tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=TMP_SUFFIX))
    except OSError as err:
        raise _error(path, err) from None
    try:
        yield tmp
        try:
            _settle(tmp)
            _swap(tmp, path, backup)
        except OSError as err:
            raise _error(path, err) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def sha256_file(path) -> str:
    """The sha256 of a file's bytes (hex), read in 1 MiB blocks; ``OSError`` if it cannot be read."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def content_sha256(data: dict, *, skip: str) -> str:
    """sha256 of ``data`` without the key ``skip``, as canonical JSON.

    Canonical: the JSON round trip of ``data`` (tuples become lists, keys strings), then
    ``json.dumps`` with sorted keys, no white space, ASCII only, NaN and infinity as
    ``NaN``/``Infinity``. A record and its parsed copy have the same checksum.

    Raises
    ------
    TypeError
        ``data`` holds a value JSON cannot represent.
    """
    plain = json.loads(json.dumps({k: v for k, v in data.items() if k != skip}, allow_nan=True))
    text = json.dumps(plain, sort_keys=True, separators=(",", ":"), allow_nan=True, ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()

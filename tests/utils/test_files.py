"""Atomic writes: modes from the umask, nothing left behind on failure, one-line errors."""

import errno
import json
import os
import stat

import pytest

from molgen.utils import files
from molgen.utils.files import FileWriteError, atomic_folder, atomic_path, current_umask, write_bytes, write_json, write_text


@pytest.fixture
def umask_022():
    """Run the test under umask 022 (restored afterwards)."""
    old = os.umask(0o022)
    files._umask_once.cache_clear()
    yield
    os.umask(old)
    files._umask_once.cache_clear()


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def assert_tree_modes(root) -> None:
    """``root`` and every folder under it 0755, every file 0644."""
    assert mode(root) == 0o755, root
    for folder, dirs, names in os.walk(root):
        for name in dirs:
            assert mode(os.path.join(folder, name)) == 0o755, os.path.join(folder, name)
        for name in names:
            assert mode(os.path.join(folder, name)) == 0o644, os.path.join(folder, name)


def test_current_umask_follows_os_umask(umask_022):
    assert current_umask() == 0o022
    os.umask(0o027)
    files._umask_once.cache_clear()
    assert current_umask() == 0o027


def test_writers_give_umask_modes(tmp_path, umask_022):
    assert write_text(tmp_path / "a.txt", "héllo\n") == tmp_path / "a.txt"
    write_bytes(tmp_path / "b.bin", b"\x00\x01")
    write_json(tmp_path / "c.json", {"x": [1, 2]}, indent=1)
    with atomic_path(tmp_path / "d.bin") as tmp:
        assert mode(tmp) == 0o600  # mkstemp's mode, until the rename
        tmp.write_bytes(b"d")
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "héllo\n"
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    assert (tmp_path / "c.json").read_text() == '{\n "x": [\n  1,\n  2\n ]\n}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.bin", "c.json", "d.bin"]
    assert all(mode(p) == 0o644 for p in tmp_path.iterdir())


def test_other_umask_is_followed(tmp_path, umask_022):
    os.umask(0o077)
    files._umask_once.cache_clear()
    write_text(tmp_path / "private.txt", "x")
    assert mode(tmp_path / "private.txt") == 0o600


def test_write_replaces_an_existing_file(tmp_path, umask_022):
    (tmp_path / "a.txt").write_text("old")
    os.chmod(tmp_path / "a.txt", 0o600)
    write_text(tmp_path / "a.txt", "new")
    assert (tmp_path / "a.txt").read_text() == "new" and mode(tmp_path / "a.txt") == 0o644


def test_json_refuses_nan_and_writes_nothing(tmp_path):
    with pytest.raises(ValueError, match="Out of range float"):
        write_json(tmp_path / "a.json", {"x": float("nan")})
    write_json(tmp_path / "b.json", {"x": float("nan")}, allow_nan=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.json"]


def test_temp_file_removed_when_the_writer_raises(tmp_path):
    (tmp_path / "out.csv").write_text("old")
    with pytest.raises(RuntimeError, match="writer broke"):
        with atomic_path(tmp_path / "out.csv") as tmp:
            tmp.write_text("half")
            raise RuntimeError("writer broke")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]
    assert (tmp_path / "out.csv").read_text() == "old"


def test_os_error_in_the_writer_is_one_line(tmp_path):
    with pytest.raises(FileWriteError) as info:
        with atomic_path(tmp_path / "out.csv"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    assert str(info.value) == f"cannot write {tmp_path / 'out.csv'}: No space left on device"
    assert info.value.reason == "No space left on device" and info.value.path == tmp_path / "out.csv"
    assert isinstance(info.value, ValueError)  # the CLI prints it as one line
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("writer", [lambda p: write_text(p, "x"), lambda p: write_bytes(p, b"x"), lambda p: write_json(p, {})])
def test_missing_or_bad_folder_is_one_line(writer, tmp_path):
    (tmp_path / "a_file").write_text("x")
    with pytest.raises(FileWriteError, match=r"^cannot write .*missing/out: No such file or directory$"):
        writer(tmp_path / "missing" / "out")
    with pytest.raises(FileWriteError, match=r"^cannot write .*a_file/out: Not a directory$"):
        writer(tmp_path / "a_file" / "out")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_folder_is_one_line(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(FileWriteError, match=r"^cannot write .*ro/out.txt: Permission denied$"):
            write_text(folder / "out.txt", "x")
    finally:
        folder.chmod(0o755)


def test_atomic_folder_modes_and_swap(tmp_path, umask_022):
    target = tmp_path / "model"
    for version in ("one", "two"):
        with atomic_folder(target) as tmp:
            assert mode(tmp) == 0o700  # mkdtemp's mode, until the swap
            (tmp / "sub").mkdir(mode=0o700)
            (tmp / "sub" / "weights.bin").write_bytes(version.encode())
            os.chmod(tmp / "sub" / "weights.bin", 0o600)  # as safetensors writes them
            (tmp / "meta.json").write_text(json.dumps(version))
    assert (target / "sub" / "weights.bin").read_bytes() == b"two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]
    assert_tree_modes(target)


def test_atomic_folder_backup_name(tmp_path):
    (tmp_path / "checkpoint").mkdir()
    (tmp_path / "checkpoint.old").mkdir()  # left by an interrupted swap
    with atomic_folder(tmp_path / "checkpoint", backup=tmp_path / "checkpoint.old") as tmp:
        (tmp / "state.json").write_text("{}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint"]
    assert (tmp_path / "checkpoint" / "state.json").is_file()


def test_atomic_folder_failure_keeps_the_old_folder(tmp_path):
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "old.txt").write_text("old")
    with pytest.raises(OSError, match="disk full"):  # the block's own errors pass through
        with atomic_folder(tmp_path / "model") as tmp:
            (tmp / "new.txt").write_text("half")
            raise OSError("disk full")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]
    assert [p.name for p in (tmp_path / "model").iterdir()] == ["old.txt"]


def test_atomic_folder_missing_parent_is_one_line(tmp_path):
    with pytest.raises(FileWriteError, match=r"^cannot write .*missing/model: No such file or directory$"):
        with atomic_folder(tmp_path / "missing" / "model"):
            pass

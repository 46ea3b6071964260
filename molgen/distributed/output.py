"""The screening output folder: manifest, shard files, top-k table and summary.

Layout of ``OUT_DIR``::

    manifest.json            model, library and settings identity (with the scorer models' sha256); the shard plan
    shards/part-000000.parquet   every row of shard 0, in input order
    shards/part-000000.json      its marker: row count, byte size and sha256 of the Parquet file,
                                 counts by state and best rows, and the sha256 of the marker's own
                                 content (written last: a shard is done when its marker exists
                                 and matches the Parquet file)
    top_k.parquet, top_k.csv     the best rows overall, best first
    summary.json                 counts by state, throughput, identities
    quarantine/                  files a resumed run found in shards/ that no shard owns (moved
                                 here, never deleted)

Every file is written to a temporary name in its folder and renamed into place
(:mod:`molgen.utils.files`, modes from the umask), so a killed job leaves either a
whole file or none. A file damaged afterwards (a partial copy, a failing disk) is found by
:func:`check_shard`: a resumed run redoes such a shard, and :func:`verify_output` lists it.
Markers written before the checksums (molgen 0.1.0 of 2026-12-03 and earlier) are accepted
when their Parquet file reads whole with the right row count.
"""

import contextlib
import dataclasses
import hashlib
import json
import logging
import shutil
from pathlib import Path

import numpy as np

from molgen.distributed.library import LibraryFile, Shard, plan_shards
from molgen.utils.files import content_sha256, sha256_file
from molgen.utils.files import write_json as _write_json

FORMAT = "molgen-screen"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SUMMARY = "summary.json"
SHARDS = "shards"
TOP_PARQUET = "top_k.parquet"
TOP_CSV = "top_k.csv"
QUARANTINE = "quarantine"
#: the marker's key holding the sha256 of the rest of it
MARKER_CHECKSUM = "marker_sha256"

log = logging.getLogger(__name__)


class OutputError(ValueError):
    """An output folder that cannot be used: written by another model, library or config."""


def write_json(data, path) -> None:
    """Write ``data`` (NaN as ``null``) to ``path`` atomically; :class:`molgen.utils.files.FileWriteError` if it cannot."""
    _write_json(path, json_safe(data), indent=1)


def json_safe(value):
    """``value`` with NaN/inf as ``None`` and numpy scalars as Python values."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def model_identity(model_dir) -> dict:
    """``sha256`` of the model's ``molgen_model.json`` (which holds its weights' checksums), and facts."""
    from molgen.efficacy.checkpoint import MANIFEST as MODEL_MANIFEST
    from molgen.efficacy.checkpoint import read_manifest

    manifest = read_manifest(model_dir)
    digest = hashlib.sha256((Path(model_dir) / MODEL_MANIFEST).read_bytes()).hexdigest()
    return {
        "sha256": digest,
        "path": str(Path(model_dir).resolve()),
        "targets": manifest.get("target_names"),
        "task": manifest.get("model_config", {}).get("task"),
        "molgen_version": manifest.get("molgen_version"),
    }


def check_out_dir(out_dir, manifest: dict) -> bool:
    """Check ``out_dir`` against a new run's manifest; ``True`` if it resumes an earlier run.

    Raises
    ------
    OutputError
        ``out_dir`` is a file, holds other files without a manifest, or holds a run of a
        different model, library or configuration (the message says which differs).
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is not a folder")
    path = out / MANIFEST
    if not path.exists():
        if out.exists() and any(out.iterdir()):
            raise OutputError(f"{out}: folder is not empty and holds no screening {MANIFEST}; choose another --out")
        return False
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise OutputError(f"{path}: corrupt manifest ({err}); choose another --out") from None
    if not isinstance(old, dict) or old.get("format") != FORMAT:
        raise OutputError(f"{path}: not a molgen screening manifest; choose another --out")
    problems = []
    if old.get("model", {}).get("sha256") != manifest["model"]["sha256"]:
        problems.append(
            f"model (it holds results of {old.get('model', {}).get('path')!r}, sha256 {str(old.get('model', {}).get('sha256'))[:12]})"
        )
    if old.get("library", {}).get("files") != manifest["library"]["files"]:
        problems.append(f"library (it holds results for {old.get('library', {}).get('root')!r}, or those files changed)")
    if old.get("settings") != manifest["settings"]:
        diff = sorted(k for k in manifest["settings"] if old.get("settings", {}).get(k) != manifest["settings"][k])
        problems.append(f"settings ({', '.join(diff) or 'format'})")
    if problems:
        raise OutputError(
            f"{out}: was written by a different {'; '.join(problems)}; refusing to mix results: choose another --out or delete it"
        )
    return True


def shard_paths(out_dir, name: str) -> tuple[Path, Path]:
    folder = Path(out_dir) / SHARDS
    return folder / f"{name}.parquet", folder / f"{name}.json"


def file_record(path) -> dict:
    """What a marker records of its Parquet file: ``bytes`` and ``sha256``."""
    path = Path(path)
    return {"bytes": path.stat().st_size, "sha256": sha256_file(path)}


def seal_marker(stats: dict) -> dict:
    """``stats`` (made JSON-safe) with :data:`MARKER_CHECKSUM`, the sha256 of the rest of it."""
    stats = json_safe(stats)
    return {**stats, MARKER_CHECKSUM: content_sha256(stats, skip=MARKER_CHECKSUM)}


def check_shard(out_dir, shard: Shard, *, file_name: str | None = None) -> tuple[dict | None, str | None]:
    """Whether a shard is done and intact: ``(stats, None)``, ``(None, None)`` or ``(None, problem)``.

    A shard is done when its marker and Parquet file are both there, the marker is intact
    (its own checksum) and names this shard and its row count, and the Parquet file has the
    byte size and sha256 the marker records. A marker written before the checksums is
    accepted when its Parquet file reads whole with the marker's row count. With
    ``file_name`` (a thorough check) the ``file`` and ``row`` columns must also be exactly the
    shard's input rows, in order.

    Returns
    -------
    stats : dict or None
        The marker's content if the shard is done and intact.
    problem : str or None
        Why a shard with files is not done (``None`` when it has no file at all, or is fine).
    """
    data_path, stats_path = shard_paths(out_dir, shard.name)
    has_data, has_stats = data_path.is_file(), stats_path.is_file()
    if not (has_data or has_stats):
        return None, None
    if not has_stats:
        return None, f"{data_path.name} has no marker {stats_path.name} (a run stopped while writing it)"
    if not has_data:
        return None, f"marker {stats_path.name} without its Parquet file {data_path.name}"
    try:
        stats = json.loads(stats_path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, OSError) as err:
        return None, f"marker {stats_path.name} is unreadable ({type(err).__name__})"
    if not isinstance(stats, dict):
        return None, f"marker {stats_path.name} is not a screening marker"
    if MARKER_CHECKSUM in stats and stats[MARKER_CHECKSUM] != content_sha256(stats, skip=MARKER_CHECKSUM):
        return None, f"marker {stats_path.name}: checksum mismatch (changed or damaged after writing)"
    if stats.get("shard") != shard.index or stats.get("rows") != shard.count:
        return None, (
            f"marker {stats_path.name} is for shard {stats.get('shard')!r} with {stats.get('rows')!r} rows, "
            f"not shard {shard.index} with {shard.count}"
        )
    try:
        if "sha256" in stats:
            size = data_path.stat().st_size
            if size != stats.get("bytes"):
                return None, f"{data_path.name} has {size} bytes, its marker records {stats.get('bytes')} (truncated or changed)"
            if sha256_file(data_path) != stats["sha256"]:
                return None, f"{data_path.name}: checksum mismatch (changed or damaged after writing)"
        table = _read_parquet(data_path, ["file", "row"] if file_name is not None else None, legacy="sha256" not in stats)
    except (OSError, ValueError) as err:
        return None, f"{data_path.name} is unreadable ({' '.join(str(err).split())[:200]})"
    if table is not None and table.num_rows != shard.count:
        return None, f"{data_path.name} holds {table.num_rows} rows, its marker records {shard.count}"
    if file_name is not None:
        files, rows = table.column("file").to_pylist(), table.column("row").to_pylist()
        if set(files) != {file_name} or rows != list(range(shard.start, shard.start + shard.count)):
            return None, f"{data_path.name} does not hold rows {shard.start}..{shard.start + shard.count - 1} of {file_name} in order"
    return stats, None


def _read_parquet(path: Path, columns: list | None, *, legacy: bool):
    """The Parquet table (``columns`` only), or ``None`` when neither a thorough nor a legacy check needs it.

    Raises ``ValueError`` (pyarrow's errors are ``ArrowException``, a subclass) if it cannot be read.
    """
    if columns is None and not legacy:
        return None
    import pyarrow.parquet as pq
    from pyarrow.lib import ArrowException

    try:
        return pq.read_table(path, columns=columns)
    except ArrowException as err:
        raise ValueError(str(err)) from None


def discard_shard(out_dir, shard: Shard) -> None:
    """Remove a shard's marker and Parquet file (the marker first: never a marker without its data)."""
    data_path, stats_path = shard_paths(out_dir, shard.name)
    for path in (stats_path, data_path):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def foreign_entries(out_dir, shards: list[Shard]) -> list[Path]:
    """Entries of ``shards/`` that belong to no planned shard (temporary files of a writer excluded)."""
    folder = Path(out_dir) / SHARDS
    if not folder.is_dir():
        return []
    owned = {p.name for s in shards for p in shard_paths(out_dir, s.name)}
    return sorted(p for p in folder.iterdir() if p.name not in owned and not (p.name.startswith(".") and p.name.endswith(".tmp")))


def quarantine(out_dir, paths: list[Path]) -> list[Path]:
    """Move ``paths`` into ``OUT_DIR/quarantine/`` (never overwriting); returns where each went."""
    folder = Path(out_dir) / QUARANTINE
    moved = []
    for path in paths:
        folder.mkdir(exist_ok=True)
        target, k = folder / path.name, 1
        while target.exists() or target.is_symlink():
            target, k = folder / f"{path.name}.{k}", k + 1
        shutil.move(str(path), str(target))
        moved.append(target)
    return moved


def planned_shards(manifest: dict) -> tuple[list[LibraryFile], list[Shard]]:
    """The library files and the shard plan an output's ``manifest.json`` describes."""
    files = [LibraryFile.from_dict(f) for f in manifest["library"]["scans"]]
    return files, plan_shards(files, manifest["settings"]["shard_size"])


@dataclasses.dataclass
class Verification:
    """What :func:`verify_output` found: ``problems`` (one line each; empty when the output is whole)."""

    out_dir: Path
    shards: int = 0
    rows: int = 0
    problems: list = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def report(self) -> str:
        """A few lines for a person."""
        if self.ok:
            return f"{self.out_dir}: intact: {self.shards} shards, every one of the {self.rows} input rows present once"
        head = f"{self.out_dir}: {len(self.problems)} problem{'s' if len(self.problems) != 1 else ''}"
        tail = "run the same 'molgen screen' command again to redo the damaged shards"
        return "\n".join([head, *(f"  {p}" for p in self.problems), tail])


def verify_output(out_dir) -> Verification:
    """Check a finished screening output: every input row present exactly once, every shard intact.

    Reads every shard's ``file`` and ``row`` columns and checksums every Parquet file
    (:func:`check_shard`), lists files in ``shards/`` that no shard owns, and checks that
    ``summary.json`` and ``top_k.parquet`` exist and agree with the shards. Nothing is changed.

    Returns
    -------
    Verification
        ``problems`` lists each missing, damaged or foreign shard file and each summary
        mismatch; empty when the output is whole.

    Raises
    ------
    OutputError
        ``out_dir`` is not a screening output folder (no or a foreign ``manifest.json``).
    """
    out = Path(out_dir)
    path = out / MANIFEST
    if not path.is_file():
        raise OutputError(f"{out}: not a screening output folder (no {MANIFEST})")
    try:
        manifest = json.loads(path.read_bytes().decode("utf-8"))
        files, shards = planned_shards(manifest)
    except (UnicodeDecodeError, json.JSONDecodeError, AttributeError, KeyError, TypeError, ValueError) as err:
        raise OutputError(f"{path}: corrupt or foreign screening manifest ({type(err).__name__}: {err})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise OutputError(f"{path}: not a molgen screening manifest")
    result = Verification(out, shards=len(shards), rows=sum(s.count for s in shards))
    problems = result.problems
    if len(shards) != manifest.get("shards"):
        problems.append(f"{MANIFEST} plans {manifest.get('shards')} shards, its library and shard size make {len(shards)}")
    stats = {}
    for shard in shards:
        stats[shard.index], problem = check_shard(out, shard, file_name=files[shard.file].name)
        if stats[shard.index] is None:
            problems.append(f"{shard.name}: {problem or 'missing (no Parquet file, no marker)'}")
    for entry in foreign_entries(out, shards):
        problems.append(f"{SHARDS}/{entry.name}: belongs to no shard of this run")
    problems.extend(_check_summary(out, manifest, shards, stats))
    return result


def _check_summary(out: Path, manifest: dict, shards: list[Shard], stats: dict) -> list[str]:
    """Whether ``summary.json`` and ``top_k.parquet`` exist and agree with the (intact) shards."""
    try:
        summary = json.loads((out / SUMMARY).read_bytes().decode("utf-8"))
    except FileNotFoundError:
        return [f"{SUMMARY}: missing (the run did not finish)"]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        return [f"{SUMMARY}: unreadable ({type(err).__name__})"]
    problems = []
    rows = manifest.get("library", {}).get("rows")
    if not isinstance(summary, dict) or summary.get("rows") != rows:
        problems.append(f"{SUMMARY}: reports {summary.get('rows') if isinstance(summary, dict) else None!r} rows, the library has {rows}")
    elif all(stats[s.index] is not None for s in shards):
        states: dict = {}
        for s in shards:
            for k, v in stats[s.index].get("states", {}).items():
                states[k] = states.get(k, 0) + v
        if summary.get("states") != states:
            problems.append(f"{SUMMARY}: counts by state {summary.get('states')} differ from the shards' {states}")
    if not (out / TOP_PARQUET).is_file():
        return [*problems, f"{TOP_PARQUET}: missing"]
    try:
        n_top = _read_parquet(out / TOP_PARQUET, None, legacy=True).num_rows
    except (OSError, ValueError) as err:
        return [*problems, f"{TOP_PARQUET}: unreadable ({' '.join(str(err).split())[:200]})"]
    if isinstance(summary, dict) and n_top > int(summary.get("top_k") or 0):
        problems.append(f"{TOP_PARQUET}: {n_top} rows, more than top_k {summary.get('top_k')}")
    return problems


def clean_temporary(out_dir) -> int:
    """Remove temporary files left by a killed run; returns how many."""
    removed = 0
    for folder in (Path(out_dir), Path(out_dir) / SHARDS):
        if folder.is_dir():
            for tmp in folder.glob(".*.tmp"):
                with contextlib.suppress(FileNotFoundError):
                    tmp.unlink()
                    removed += 1
    return removed

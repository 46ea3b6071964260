"""The screening output folder: manifest, shard files, top-k table and summary.

Layout of ``OUT_DIR``::

    manifest.json            model, library and settings identity (with the scorer models' sha256); the shard plan
    shards/part-000000.parquet   every row of shard 0, in input order
    shards/part-000000.json      its row count, counts by state and best rows (written last:
                                 a shard is done when this file exists)
    top_k.parquet, top_k.csv     the best rows overall, best first
    summary.json                 counts by state, throughput, identities

Every file is written to a temporary name in its folder and renamed into place
(:mod:`molgen.utils.files`, modes from the umask), so a killed job leaves either a
whole file or none.
"""

import contextlib
import hashlib
import json
from pathlib import Path

import numpy as np

from molgen.utils.files import write_json as _write_json

FORMAT = "molgen-screen"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SUMMARY = "summary.json"
SHARDS = "shards"
TOP_PARQUET = "top_k.parquet"
TOP_CSV = "top_k.csv"


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


def shard_done(out_dir, name: str, count: int) -> dict | None:
    """The shard's stats if its Parquet and JSON files are both there and agree, else ``None``."""
    data_path, stats_path = shard_paths(out_dir, name)
    if not (data_path.exists() and stats_path.exists()):
        return None
    try:
        stats = json.loads(stats_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, OSError):
        return None
    return stats if stats.get("rows") == count else None


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

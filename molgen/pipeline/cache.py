"""Stage outputs cached by a key of their config and their inputs' keys.

A stage's folder is ``<root>/<name>-<key>``; it counts as done when its ``stage.json``
exists. Outputs are written into a temporary sibling folder that is renamed into place
only when the stage finishes (:func:`molgen.utils.files.atomic_folder`, modes from the
umask), so a killed run never leaves a half-written stage behind.
Changing a stage's config changes its key and, through ``upstream``, the key of every
stage after it; earlier stages keep their keys and are reused.
"""

import hashlib
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from molgen.utils.files import atomic_folder


@dataclass(frozen=True)
class StageResult:
    name: str
    key: str
    path: Path
    reused: bool
    seconds: float
    info: dict


def stage_key(name: str, config: dict, upstream: tuple[str, ...] = ()) -> str:
    """A short hash of the stage name, its config, its inputs' keys and the molgen version."""
    from molgen import __version__

    text = json.dumps({"stage": name, "config": config, "upstream": list(upstream), "molgen": __version__}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


class StageCache:
    """Runs stages once per key under ``root``."""

    def __init__(self, root):
        self.root = Path(root)

    def path(self, name: str, key: str) -> Path:
        return self.root / f"{name}-{key}"

    def remove_unfinished(self) -> None:
        """Delete temporary folders that a killed run left behind."""
        if self.root.is_dir():
            for path in self.root.glob(".*.tmp"):
                shutil.rmtree(path, ignore_errors=True)

    def run(self, name: str, config: dict, upstream: tuple[str, ...], fn: Callable[[Path], dict]) -> StageResult:
        """Return the cached stage, or run ``fn(folder)`` and cache what it writes there.

        ``fn`` returns a JSON-ready dict of facts about the stage, kept in ``stage.json``.
        """
        key = stage_key(name, config, upstream)
        final = self.path(name, key)
        marker = final / "stage.json"
        if marker.is_file():
            info = json.loads(marker.read_text())
            return StageResult(name, key, final, True, float(info.get("seconds", 0.0)), info.get("info", {}))
        self.root.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(final, ignore_errors=True)  # a folder without its marker is unfinished
        with atomic_folder(final) as tmp:
            t0 = time.perf_counter()
            info = fn(tmp) or {}
            seconds = time.perf_counter() - t0
            record = {"stage": name, "key": key, "config": config, "upstream": list(upstream), "seconds": seconds, "info": info}
            (tmp / "stage.json").write_text(json.dumps(record, indent=2, default=str) + "\n")
        return StageResult(name, key, final, False, seconds, info)

"""Unattended screening runs (issue 7): killed model workers, a killed driver, a foreign output folder.

Each run is compared with the uninterrupted run of ``test_screen.first_run``: rows out equal
rows in, and every output row and the top-k table are identical.
"""

import hashlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest

from molgen.distributed import OutputError, screen
from tests.distributed.conftest import N_LIBRARY, SHARD
from tests.distributed.conftest import shard_rows as _shards

pytestmark = pytest.mark.ray
SMALL_SHARD = 50  # many shards, so that kills land while work is in flight
N_SHARDS = -(-N_LIBRARY // SMALL_SHARD)
ARGS = {"smiles_col": "smiles", "id_col": "name", "top_k": 25, "shard_size": SMALL_SHARD}


def _done(out: Path) -> int:
    return len(list((out / "shards").glob("part-*.json"))) if (out / "shards").is_dir() else 0


def _model_workers() -> dict[int, psutil.Process]:
    """Live worker processes of this session's Ray instance hosting a screening model actor.

    The local Ray instance was started by this test process, so its workers are our
    descendants; their process title (``ray::...``) names the actor class.
    """
    found = {}
    for proc in psutil.Process().children(recursive=True):
        try:
            cmd = " ".join(proc.cmdline())
            if cmd.startswith("ray::") and "ModelWorker" in cmd and proc.status() != psutil.STATUS_ZOMBIE:
                found[proc.pid] = proc
        except psutil.Error:
            continue
    return found


def _wait(condition, timeout: float, stop: threading.Event | None = None) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if stop is not None and stop.is_set():
            return False
        if condition():
            return True
        time.sleep(0.05)
    return False


class WorkerKiller(threading.Thread):
    """SIGKILL every model-actor process at random points, ``rounds`` times, while shards are written.

    Each round waits for the pipeline to make progress (a new finished shard), sleeps a
    random 0-0.4 s (so the kill lands mid-batch, between batches or mid-write) and kills
    all model workers. ``self.kills`` records ``(shards done, pids)`` per round.
    """

    def __init__(self, out: Path, rounds: int, seed: int):
        super().__init__(daemon=True)
        self.out, self.rounds, self.rng = out, rounds, random.Random(seed)
        self.stop = threading.Event()
        self.kills: list[tuple[int, list[int]]] = []

    def run(self) -> None:
        for _ in range(self.rounds):
            seen = _done(self.out)
            if not _wait(lambda seen=seen: _done(self.out) > seen and _model_workers(), 600, self.stop):
                return
            time.sleep(self.rng.uniform(0.0, 0.4))
            victims = _model_workers()
            for proc in victims.values():
                try:
                    proc.send_signal(signal.SIGKILL)
                except psutil.Error:
                    pass
            if victims:
                self.kills.append((_done(self.out), sorted(victims)))


@pytest.mark.slow
def test_model_workers_killed_repeatedly_still_finish_identically(first_run, tiny_model, library, tmp_path):
    out = tmp_path / "killed_workers"
    killer = WorkerKiller(out, rounds=3, seed=7)
    killer.start()
    try:
        result = screen(tiny_model, library, out_dir=out, num_workers=2, progress=False, stall_timeout_s=300, **ARGS)
    finally:
        killer.stop.set()
        killer.join(10)
    assert len(killer.kills) >= 2, f"the run ended before the workers could be killed twice: {killer.kills}"
    assert result.summary["rows"] == N_LIBRARY and result.summary["shards"] == N_SHARDS
    assert result.summary["run"]["shards_run"] == N_SHARDS  # all in this one call: retried, not left for a rerun
    pd.testing.assert_frame_equal(_shards(out), _shards(first_run.out_dir))
    pd.testing.assert_frame_equal(result.top, first_run.top)


DRIVER = """
import sys
from molgen.distributed import screen
screen({model!r}, {library!r}, out_dir={out!r}, num_workers=2, address={address!r}, progress=False, **{args!r})
sys.exit(3)  # reached only if the driver was not killed in time
"""


def test_driver_killed_and_restarted_gives_the_uninterrupted_result(first_run, ray_session, tiny_model, library, tmp_path):
    out = tmp_path / "killed_driver"
    address = ray_session.get_runtime_context().gcs_address
    code = DRIVER.format(model=str(tiny_model), library=str(library), out=str(out), address=address, args=ARGS)
    driver = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        started = _wait(lambda: _done(out) >= 2 or driver.poll() is not None, 600)
        time.sleep(random.Random(11).uniform(0.0, 0.3))
        os.kill(driver.pid, signal.SIGKILL)
    finally:
        _, err = driver.communicate(timeout=60)
    assert started and driver.returncode == -signal.SIGKILL, err[-3000:]
    killed_at = _done(out)
    assert 0 < killed_at < N_SHARDS and not (out / "summary.json").exists()

    result = screen(tiny_model, library, out_dir=out, num_workers=2, progress=False, stall_timeout_s=300, **ARGS)
    run = result.summary["run"]
    assert run["shards_skipped"] >= killed_at and run["shards_run"] == N_SHARDS - run["shards_skipped"] > 0
    assert not list(out.rglob(".*.tmp"))
    pd.testing.assert_frame_equal(_shards(out), _shards(first_run.out_dir))
    pd.testing.assert_frame_equal(result.top, first_run.top)


def _snapshot(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_finished_run_of_another_model_is_refused_and_left_intact(first_run, other_model, library):
    before = _snapshot(first_run.out_dir)
    for _ in range(2):  # asking twice changes nothing either
        with pytest.raises(OutputError, match="different model") as info:
            screen(
                other_model,
                library,
                out_dir=first_run.out_dir,
                smiles_col="smiles",
                id_col="name",
                top_k=25,
                shard_size=SHARD,
                num_workers=2,
                progress=False,
            )
        assert str(first_run.out_dir) in str(info.value) and "refusing to mix" in str(info.value)
    assert _snapshot(first_run.out_dir) == before
    rows = _shards(first_run.out_dir)
    assert len(rows) == N_LIBRARY and rows["row"].tolist() == list(range(N_LIBRARY))

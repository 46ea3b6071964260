"""A real multi-node Ray cluster on this machine, used as README's "Running on a Ray cluster" says.

Every node joins with Ray 2.60's token authentication (``RAY_AUTH_MODE=token`` and the head's token,
here from ``RAY_AUTH_TOKEN_PATH`` rather than ``~/.ray/auth_token``, so that the user's own token is
not touched). README's platform-engineer ``ray job submit`` line runs through the real ``ray job
submit`` (Ray's Job Submission client), with ``$PWD`` a folder laid out like a checkout (``ray_jobs/``,
``runs/default/model``, ``library/``) on the disk all nodes share.

The head (``ray start --head``, dashboard on) has no CPUs, as Ray advises for a head node: it runs
the job's driver and the zero-CPU read and write tasks, and the model actor has to run on the second
node (``ray start --address``, one CPU). That node's raylet is killed once the first shard is written,
so the actor and its shard in flight are lost for certain; two new nodes join, Ray restarts the actor
on one of them, and the job must finish with every input row once and the bad rows' states kept. Then
``ray_jobs/train.py`` trains one member with two DDP workers, which one CPU per node puts on the two
new nodes.

Every process the test starts runs in a session of its own (``start_new_session``) and is killed by
session id at the end, whatever happened; Ray's global ``ray stop`` is never used, so other Ray
instances on the machine are left alone. The temp dir is short: Ray's socket paths must fit 107 bytes.
"""

import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest

from tests.distributed.conftest import BAD_LINES, N_LIBRARY

pytestmark = [pytest.mark.ray, pytest.mark.slow]
pytest.importorskip("ray.dashboard.modules.job.sdk", reason="ray job submit needs ray[default] (the cluster extra)")
requests = pytest.importorskip("requests", reason="ray job submit needs ray[default] (the cluster extra)")

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent  # ray, python: the interpreter's own, as on a cluster node
SHARD_SIZE = 50  # 30 shards: most are left when the node goes


def _snippet(name: str) -> str:
    text = (ROOT / "README.md").read_text()
    block = re.search(rf"<!-- readme-snippet: {name} -->\n```bash\n(.*?)```", text, flags=re.S)
    assert block, f"README.md has no bash snippet {name!r}"
    return " ".join(line.rstrip("\\").strip() for line in block.group(1).strip().splitlines())


def _free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _wait(condition, timeout: float, what: str, poll: float = 0.2):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


class Cluster:
    """Ray nodes started with ``ray start --block``, each in its own session, killed by session id."""

    def __init__(self, root: Path):
        self.root = root
        self.temp_dir = Path(tempfile.mkdtemp(prefix="mgray", dir="/tmp"))
        token = root / "auth_token"
        token.write_text(secrets.token_hex(32))
        token.chmod(0o600)
        env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
        self.env = {**env, "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}", "RAY_AUTH_MODE": "token"}
        self.env["RAY_AUTH_TOKEN_PATH"] = str(token)
        self.env["RAY_USAGE_STATS_ENABLED"] = "0"
        # GCS, dashboard, Ray client server, and a dashboard agent port for each of the four nodes started
        self.gcs_port, self.dashboard_port, self._client_port, *self._agent_ports = _free_ports(7)
        self.nodes: list[subprocess.Popen] = []

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.gcs_port}"

    @property
    def dashboard(self) -> str:
        return f"http://127.0.0.1:{self.dashboard_port}"

    def _start(self, num_cpus: int, *args: str) -> subprocess.Popen:
        """``ray start --block`` in a session of its own; returns once the node has registered with the GCS.

        Each node has its own temp dir: nodes sharing one would pick their socket names from it and, started
        close together or after a node was killed (which leaves its sockets behind), collide.
        """
        index = len(self.nodes)
        log_path = self.root / f"node{index}.log"
        temp_dir = self.temp_dir / f"n{index}"
        argv = [str(BIN / "ray"), "start", "--block", "--num-cpus", str(num_cpus), "--num-gpus", "0", "--node-ip-address", "127.0.0.1"]
        argv += ["--temp-dir", str(temp_dir), "--dashboard-agent-listen-port", str(self._agent_ports.pop()), "--disable-usage-stats", *args]
        with open(log_path, "wb") as log:
            node = subprocess.Popen(argv, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.nodes.append(node)

        def started() -> bool:
            if node.poll() is not None:
                raise AssertionError(f"ray start exited with {node.returncode}: {log_path.read_text()[-3000:]}")
            return b"Ray runtime started" in log_path.read_bytes()

        _wait(started, 180, f"node {index} to start (log: {log_path})", poll=0.5)
        return node

    def start_head(self) -> None:
        self._start(0, "--head", "--port", str(self.gcs_port), "--include-dashboard", "true", "--dashboard-host", "127.0.0.1",
                    "--dashboard-port", str(self.dashboard_port), "--ray-client-server-port", str(self._client_port))  # fmt: skip
        _wait(lambda: self._alive_nodes() == 1, 180, "the head's dashboard", poll=0.5)

    def add_nodes(self, n: int) -> list[subprocess.Popen]:
        """Start ``n`` one-CPU nodes that join the head, one after the other."""
        return [self._start(1, "--address", self.address) for _ in range(n)]

    def _headers(self) -> dict:
        return {"Authorization": f"Bearer {Path(self.env['RAY_AUTH_TOKEN_PATH']).read_text()}"}

    def state(self, what: str) -> list[dict]:
        """Rows of the head's state API (``nodes``, ``actors``, ...), dead ones included."""
        reply = requests.get(f"{self.dashboard}/api/v0/{what}", params={"limit": 10000, "detail": 1}, headers=self._headers(), timeout=10)
        reply.raise_for_status()
        return reply.json()["data"]["result"]["result"]

    def _alive_nodes(self) -> int:
        """ALIVE nodes (0 while the dashboard is not up yet)."""
        if self.nodes[0].poll() is not None:
            raise AssertionError(f"ray start --head exited with {self.nodes[0].returncode}; see {self.root / 'node0.log'}")
        try:
            return sum(1 for n in self.state("nodes") if n.get("state") == "ALIVE")
        except (requests.RequestException, ValueError, KeyError, TypeError):
            return 0

    def processes(self, node: subprocess.Popen | None = None) -> list[psutil.Process]:
        """Every live process in the sessions of the nodes started (or of ``node``)."""
        sessions = {n.pid for n in ([node] if node else self.nodes)}
        found = []
        for proc in psutil.process_iter():
            try:
                if os.getsid(proc.pid) in sessions and proc.status() != psutil.STATUS_ZOMBIE:
                    found.append(proc)
            except (OSError, psutil.Error):
                continue
        return found

    def kill_raylet(self, node: subprocess.Popen) -> int:
        raylets = [p for p in self.processes(node) if p.name() == "raylet"]
        assert len(raylets) == 1, raylets
        raylets[0].send_signal(signal.SIGKILL)
        return raylets[0].pid

    def shutdown(self) -> None:
        """SIGTERM every process of the cluster's sessions, then SIGKILL what is left after 5 s."""
        for sig, grace in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
            procs = self.processes()
            for proc in procs:
                try:
                    proc.send_signal(sig)
                except psutil.Error:
                    pass
            psutil.wait_procs(procs, timeout=grace)
        for node in self.nodes:
            node.wait(timeout=10)
        shutil.rmtree(self.temp_dir, ignore_errors=True)

    def submit(self, command: str, cwd: Path) -> subprocess.Popen:
        """Run a ``ray job submit ...`` command line with bash, as a user types it, against this cluster."""
        env = {**self.env, "RAY_ADDRESS": self.dashboard}
        log = open(cwd / f"submit-{secrets.token_hex(4)}.log", "w")  # read back by _finish
        job = subprocess.Popen(["bash", "-c", command], cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
        job.log_path = log.name
        log.close()
        return job


@pytest.fixture
def cluster(tmp_path):
    """A head node; stopped, with every process it started, however the test ends (SIGTERM included)."""

    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, interrupt)  # a CI timeout's SIGTERM still runs the clean-up
    cluster = Cluster(tmp_path)
    try:
        cluster.start_head()
        yield cluster
    finally:
        cluster.shutdown()
        signal.signal(signal.SIGTERM, previous)
        assert not cluster.processes(), "processes of the test cluster outlived it"


@pytest.fixture
def checkout(tmp_path, tiny_model, library):
    """A working folder laid out like a checkout after `make demo`: ray_jobs/, runs/default/model, library/."""
    work = tmp_path / "work"
    shutil.copytree(ROOT / "ray_jobs", work / "ray_jobs", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(tiny_model, work / "runs" / "default" / "model")
    (work / "library").mkdir()
    shutil.copy(library, work / "library" / "lib.csv")
    return work


def _finish(job: subprocess.Popen, timeout: float) -> str:
    try:
        job.wait(timeout=timeout)
    finally:
        if job.poll() is None:
            job.kill()
            job.wait()
    log = Path(job.log_path).read_text()
    assert job.returncode == 0, log[-4000:]
    return log


def _model_actors(cluster: Cluster) -> list[dict]:
    """The screening job's model actors (Ray Data's ``MapWorker(MapBatches(ModelWorker))``)."""
    return [a for a in cluster.state("actors") if "ModelWorker" in (a["class_name"] or "")]


def test_screen_job_survives_a_lost_node_then_ddp_training_spans_two_nodes(cluster, checkout):
    assert requests.get(f"{cluster.dashboard}/api/v0/nodes", timeout=10).status_code == 401  # token authentication is on
    (second,) = cluster.add_nodes(1)

    # README's platform-engineer line, exactly as written, plus small shards so that work is left when the node goes
    command = _snippet("platform-engineer")
    assert command.startswith("ray job submit") and "--address" not in command  # RAY_ADDRESS names the cluster
    job = cluster.submit(f"{command} --shard-size {SHARD_SIZE} --no-progress", checkout)
    out = checkout / "screen_out"
    try:
        _wait(lambda: job.poll() is not None or list((out / "shards").glob("part-*.json")), 300, "the first shard", poll=0.1)
        assert job.poll() is None, Path(job.log_path).read_text()[-4000:]
        done_before = len(list((out / "shards").glob("part-*.json")))
        cluster.kill_raylet(second)
        # the job waits for a CPU: two nodes replace the lost one, the actor is restarted on one of them
        cluster.add_nodes(2)
        log = _finish(job, 600)
    finally:
        if job.poll() is None:
            job.kill()
    n_shards = -(-N_LIBRARY // SHARD_SIZE)
    assert done_before < n_shards, "the job was finished before the node was lost"
    assert "succeeded" in log.lower(), log[-3000:]
    lost = _wait(lambda: {n["node_id"] for n in cluster.state("nodes") if n["state"] == "DEAD"}, 120, "the lost node to be DEAD")
    assert len(lost) == 1 and [int(a["num_restarts"]) for a in _model_actors(cluster)] == [1]  # one actor, restarted once

    summary = json.loads((out / "summary.json").read_text())
    assert summary["rows"] == N_LIBRARY and summary["shards"] == n_shards
    rows = pd.concat([pd.read_parquet(p) for p in sorted((out / "shards").glob("part-*.parquet"))], ignore_index=True)
    assert len(rows) == N_LIBRARY and not rows.duplicated(["file", "row"]).any()
    assert sorted(rows["row"]) == list(range(N_LIBRARY))
    states = rows.set_index("row")["state"]
    assert {i: states[i] for i in BAD_LINES} == {i: state for i, (_, state) in BAD_LINES.items()}
    assert (states.drop(list(BAD_LINES)) == "valid").all()
    assert rows["prediction"].notna().tolist() == (rows["state"] == "valid").tolist()
    from molgen.distributed.output import verify_output

    assert verify_output(out).problems == []

    # Ray Train across the two new nodes: two DDP workers of one CPU each (the head has none)
    train = pd.read_csv(ROOT / "molgen" / "data" / "bundled" / "chembl2321810.csv").head(150)
    train.to_csv(checkout / "train.csv", index=False)
    argv = ["ray", "job", "submit", "--working-dir", "ray_jobs", "--", "python", "train.py", "--data", "$PWD/train.csv"]
    argv += ["--smiles-col", "smiles", "--target-col", "pIC50", "--out", "$PWD/models/ddp", "--ensemble-size", "1", "--num-workers", "2"]
    argv += ["--epochs", "2", "--hidden", "32", "--ffn-hidden", "32", "--depth", "2", "--split", "random", "--kernel", "none"]
    log = _finish(cluster.submit(" ".join(a if a.startswith("$") else shlex.quote(a) for a in argv), checkout), 600)
    assert "succeeded" in log.lower(), log[-3000:]
    train_nodes = {a["node_id"] for a in cluster.state("actors") if a.get("class_name") == "RayTrainWorker"}
    assert len(train_nodes) == 2 and not train_nodes & lost, cluster.state("actors")
    import molgen

    model = molgen.load_model(checkout / "models" / "ddp")
    assert model.info["ray_train"]["num_workers"] == 2
    table = model.predict(["CC(=O)Oc1ccccc1C(=O)O", "not a smiles"])
    assert table["state"].tolist() == ["valid", "invalid_smiles"] and table["prediction"].notna().tolist() == [True, False]

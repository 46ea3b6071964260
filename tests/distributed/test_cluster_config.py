"""``ray_jobs/cluster.yaml``: a valid cluster-launcher config that installs the wheel of this version."""

import importlib.util
import json
from pathlib import Path

import pytest
import yaml

import molgen

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def config() -> dict:
    return yaml.safe_load((ROOT / "ray_jobs" / "cluster.yaml").read_text())


def test_matches_ray_cluster_schema(config):
    jsonschema = pytest.importorskip("jsonschema")
    ray_dir = Path(importlib.util.find_spec("ray").origin).parent  # located, not imported
    jsonschema.validate(config, json.loads((ray_dir / "autoscaler" / "ray-schema.json").read_text()))


def test_installs_the_uploaded_wheel_with_the_cluster_extra(config):
    wheel = f"molgen_toolkit-{molgen.__version__}-py3-none-any.whl"  # what `python -m build` writes
    mounts = config["file_mounts"]
    assert mounts[f"~/{wheel}"] == f"./dist/{wheel}"
    assert mounts["~/.ray/auth_token"] == "~/.ray/auth_token"
    setup = " && ".join(config["setup_commands"])
    assert f'"$HOME/{wheel}[cluster]"' in setup and 'install --quiet "molgen-toolkit' not in setup
    for key in ("head_start_ray_commands", "worker_start_ray_commands"):
        start = [c for c in config[key] if "ray start" in c]
        assert start and all(c.startswith("RAY_AUTH_MODE=token ") for c in start), start

"""The README's quick-start snippets run as written (against small, freshly trained models)."""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from molgen.data import load_dataset
from molgen.data.datasets import dataset_path
from molgen.efficacy import fit_efficacy_model
from molgen.train import TrainConfig

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def _snippet(name: str, lang: str = "python") -> str:
    match = re.search(rf"<!-- readme-snippet: {name} -->\s*```{lang}\n(.*?)```", README.read_text(), re.S)
    assert match, f"README snippet {name!r} not found"
    return match.group(1)


@pytest.fixture(scope="module")
def small_model(tmp_path_factory):
    data = load_dataset("chembl2321810").frame.head(120)
    model = fit_efficacy_model(
        data["smiles"], data["pIC50"], ensemble_size=2, train_config=TrainConfig(epochs=2, warmup_epochs=1), model_options={"hidden": 32}
    )
    folder = tmp_path_factory.mktemp("models")
    model.save(folder / "model")
    return folder / "model"


def _place(model: Path, where: Path) -> None:
    import shutil

    where.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(model, where)


@pytest.mark.slow
def test_application_developer_snippet(small_model, tmp_path, monkeypatch, capsys):
    _place(small_model, tmp_path / "runs" / "default" / "model")
    monkeypatch.chdir(tmp_path)
    exec(compile(_snippet("python-api"), "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "invalid_smiles" in out
    assert "score" in out and "rank" in out


@pytest.mark.slow
def test_chemist_snippet(small_model, tmp_path, monkeypatch):
    _place(small_model, tmp_path / "runs" / "default" / "model")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(_snippet("chemist"), "README.md", "exec"), namespace)
    top = namespace["top"]
    assert isinstance(top, pd.DataFrame) and 0 < len(top) <= 10
    assert top["prediction"].is_monotonic_decreasing and (top["state"] == "valid").all()


@pytest.mark.slow
@pytest.mark.ray
def test_platform_engineer_snippet(small_model, tmp_path, monkeypatch, capsys):
    """The job's entry point (what `ray job submit ... -- CMD` runs), then reading its output."""
    _place(small_model, tmp_path / "runs" / "default" / "model")
    library = tmp_path / "library"
    library.mkdir()
    lines = dataset_path("nci_5k").read_text().splitlines()[:300]
    (library / "nci.smi").write_text("\n".join(lines) + "\n")
    submit = _snippet("platform-engineer", "bash")
    command = " ".join(line.rstrip("\\").strip() for line in submit.strip().splitlines())
    assert command.startswith("ray job submit") and " -- " in command
    argv = shlex.split(command.split(" -- ", 1)[1])
    assert argv[:2] == ["python", "ray_jobs/screen.py"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, str(ROOT / argv[1]), *argv[2:]], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    monkeypatch.chdir(tmp_path)
    exec(compile(_snippet("platform-read"), "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "rows" in out and "score" in out

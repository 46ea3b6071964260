"""The README's Python snippet runs as written against a freshly trained model."""

import re
from pathlib import Path

import pytest

from molgen.data import load_dataset
from molgen.predict import fit_efficacy_model
from molgen.train import TrainConfig

README = Path(__file__).resolve().parents[1] / "README.md"


def _snippet(name: str) -> str:
    match = re.search(rf"<!-- readme-snippet: {name} -->\s*```python\n(.*?)```", README.read_text(), re.S)
    assert match, f"README snippet {name!r} not found"
    return match.group(1)


@pytest.mark.slow
def test_python_api_snippet(tmp_path, monkeypatch, capsys):
    data = load_dataset("chembl2321810").frame.head(120)
    model = fit_efficacy_model(
        data["smiles"], data["pIC50"], ensemble_size=2, train_config=TrainConfig(epochs=2, warmup_epochs=1), model_options={"hidden": 32}
    )
    model.save(tmp_path / "models" / "pic50")
    monkeypatch.chdir(tmp_path)
    exec(compile(_snippet("python-api"), "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "invalid_smiles" in out
    assert "score" in out and "rank" in out

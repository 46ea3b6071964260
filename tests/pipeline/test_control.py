"""The control stage of ``molgen run`` and its place in the report, without the slow stages."""

import json

import numpy as np
import pandas as pd
import pytest

from molgen.data import load_dataset
from molgen.pipeline import StageCache, load_run_config
from molgen.pipeline.build_report import _control_summary, with_control
from molgen.pipeline.stages import control_stage, read_control
from molgen.scoring import ConfigError


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """A data stage folder (80 series molecules) and a generate stage folder (12 ranked candidates)."""
    root = tmp_path_factory.mktemp("stages")
    frame = load_dataset("chembl2321810").frame
    data_dir, generate_dir = root / "data", root / "generate"
    data_dir.mkdir()
    generate_dir.mkdir()
    frame.head(80)[["smiles", "pIC50"]].to_parquet(data_dir / "data.parquet", index=False)
    (data_dir / "summary.json").write_text(json.dumps({"target": "pIC50"}))
    smiles = frame["smiles"].iloc[100:112].tolist()
    candidates = pd.DataFrame({"rank": np.arange(1, 13), "smiles": smiles, "score": np.linspace(1, 0.5, 12)})
    candidates["prediction"] = np.linspace(9.0, 7.0, 12)
    candidates["uncertainty"] = 0.5
    candidates.to_parquet(generate_dir / "candidates.parquet", index=False)
    return root, data_dir, generate_dir, candidates, frame.head(80)["pIC50"].mean()


def _config(tmp_path, text: str = ""):
    path = tmp_path / "run.toml"
    path.write_text("[control]\nn_estimators = 20\ntop_n = 10\n" + text)
    return load_run_config(path)


def test_control_stage_predicts_every_candidate_and_compares_the_top(folders, tmp_path):
    root, data_dir, generate_dir, candidates, series_mean = folders
    config = _config(tmp_path)
    cache = StageCache(root / "cache")
    fn = lambda d: control_stage(config, data_dir, generate_dir, d)  # noqa: E731
    result = cache.run("control", config.section("control"), ("data", "generate"), fn)
    record, predictions = read_control(result.path)
    assert predictions["smiles"].tolist() == candidates["smiles"].tolist() and predictions["rank"].tolist() == list(range(1, 13))
    assert predictions["control_prediction"].notna().all() and set(predictions["control_state"]) == {"valid"}
    top = predictions["control_prediction"].head(10).mean()
    assert record["top_n"] == 10 and record["compared"] == 10 and record["training_molecules"] == 80
    assert record["molgen_mean"] == pytest.approx(candidates["prediction"].head(10).mean())
    assert record["control_mean"] == pytest.approx(top) and record["gap"] == pytest.approx(record["molgen_mean"] - top)
    assert record["series_mean"] == pytest.approx(series_mean) and "random forest (20 trees)" in record["model"]
    assert result.info["gap"] == pytest.approx(record["gap"])
    again = cache.run("control", config.section("control"), ("data", "generate"), fn)
    assert again.reused and again.path == result.path

    table = with_control(candidates, predictions)
    assert list(table.columns).index("control_prediction") == list(table.columns).index("prediction") + 1
    assert len(table) == len(candidates) and "control_prediction" not in candidates.columns
    html = _control_summary(config, record, "pIC50")
    assert "top-10 mean, control (pIC50)" in html and "gap (molgen - control)" in html and "Renz et al. 2019" in html


def test_control_stage_skips_a_table_without_one_prediction_column(folders, tmp_path):
    _, data_dir, _, candidates, _ = folders
    generate_dir = tmp_path / "generate"
    generate_dir.mkdir()
    candidates.rename(columns={"prediction": "prediction_a"}).to_parquet(generate_dir / "candidates.parquet", index=False)
    out = tmp_path / "control"
    out.mkdir()
    config = _config(tmp_path)
    info = control_stage(config, data_dir, generate_dir, out)
    record, predictions = read_control(out)
    assert "one regression target" in info["skipped"] and predictions is None
    assert "Not compared" in _control_summary(config, record, "pIC50")
    assert with_control(candidates, None) is candidates


def test_stale_control_predictions_are_refused(folders):
    _, _, _, candidates, _ = folders
    stale = pd.DataFrame({"smiles": candidates["smiles"][::-1].tolist(), "control_prediction": 1.0})
    with pytest.raises(ValueError, match="row for row"):
        with_control(candidates, stale)


def test_control_section_config(tmp_path):
    default = load_run_config()
    assert (default.control.enabled, default.control.n_estimators, default.control.top_n) == (True, 500, 100)
    off = _config(tmp_path, "enabled = false\n")
    assert off.control.enabled is False and "Not run" in _control_summary(off, {}, "pIC50")
    path = tmp_path / "bad.toml"
    bad = {"n_estimators = 0": "control.n_estimators", "trees = 5": "control.trees", 'enabled = "no"': "control.enabled"}
    for text, where in bad.items():
        path.write_text(f"[control]\n{text}\n")
        with pytest.raises(ConfigError, match=where):
            load_run_config(path)

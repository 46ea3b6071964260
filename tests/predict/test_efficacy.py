import json

import numpy as np
import pandas as pd
import pytest

import molgen
from molgen.data import load_dataset
from molgen.predict import CheckpointError, fit_efficacy_model, load_model
from molgen.train import TrainConfig

QUICK = TrainConfig(epochs=3, warmup_epochs=1)
SMALL = {"hidden": 32, "ffn_hidden": 32}


@pytest.fixture(scope="module")
def chembl():
    return load_dataset("chembl2321810").frame.head(150)


@pytest.fixture(scope="module")
def regression_model(chembl, tmp_path_factory):
    model = fit_efficacy_model(chembl["smiles"], chembl["pIC50"], ensemble_size=2, train_config=QUICK, model_options=SMALL)
    path = model.save(tmp_path_factory.mktemp("models") / "pic50")
    return model, path


def test_fit_reports_metrics_and_counts(regression_model):
    model, _ = regression_model
    counts = model.metrics["counts"]
    assert counts["train"] + counts["valid"] + counts["calibration"] + counts["test"] == 150
    test = model.metrics["test"]["target"] if "target" in model.metrics["test"] else model.metrics["test"]["pIC50"]
    assert {"rmse", "mae", "r2", "spearman", "coverage", "miscalibration_area"} <= set(test)
    assert model.calibrator is not None and model.calibrator.normalized_


def test_save_load_predict_identical(regression_model, chembl):
    model, path = regression_model
    smiles = chembl["smiles"].tolist()[:20]
    before = model.predict(smiles)
    after = molgen.load_model(path).predict(smiles)
    pd.testing.assert_frame_equal(before, after)
    assert (before["lower"] <= before["prediction"]).all() and (before["prediction"] <= before["upper"]).all()
    assert before["ad_similarity"].between(0, 1).all()


def test_predict_aligns_invalid_rows(regression_model, zoo):
    model, _ = regression_model
    names = list(zoo)
    frame = pd.DataFrame({"smi": [s for s, _ in zoo.values()]}, index=[f"r{i}" for i in range(len(zoo))])
    out = model.predict(frame, smiles_col="smi")
    assert list(out.index) == list(frame.index)
    for i, name in enumerate(names):
        expected = zoo[name][1]
        assert out["state"].iloc[i] == expected, name
        assert np.isnan(out["prediction"].iloc[i]) == (expected != "valid"), name
        assert (out["error"].iloc[i] == "") == (expected == "valid"), name


def test_training_set_molecule_has_similarity_one(regression_model, chembl):
    model, _ = regression_model
    out = model.predict(chembl["smiles"].tolist()[:50])
    assert out["ad_similarity"].max() == pytest.approx(1.0)
    assert model.predict(["CCO"])["ad_similarity"][0] < 0.3


def test_multitarget_masking_and_column_names(chembl):
    y = pd.DataFrame({"a": chembl["pIC50"], "b": -chembl["pIC50"]})
    y.loc[y.index[::3], "b"] = np.nan  # a third of b missing
    model = fit_efficacy_model(chembl["smiles"], y, ensemble_size=1, train_config=QUICK, model_options=SMALL)
    out = model.predict(["CCO", "xx"])
    for col in ("prediction_a", "prediction_b", "uncertainty_a", "lower_b", "upper_b"):
        assert col in out.columns
    assert np.isfinite(out.loc[0, ["prediction_a", "prediction_b"]].to_numpy(float)).all()
    assert model.metrics["test"]["b"]["n"] < model.metrics["test"]["a"]["n"]


def test_binary_classification(chembl):
    labels = (chembl["pIC50"] > chembl["pIC50"].median()).astype(float).rename("active")
    model = fit_efficacy_model(chembl["smiles"], labels, task="binary", ensemble_size=1, train_config=QUICK, model_options=SMALL)
    out = model.predict(chembl["smiles"].tolist()[:10])
    assert out["prediction"].between(0, 1).all()
    assert "lower" not in out.columns
    assert {"roc_auc", "pr_auc", "balanced_accuracy"} <= set(model.metrics["test"]["active"])


def test_bad_inputs_to_fit(chembl):
    with pytest.raises(ValueError, match="unknown task"):
        fit_efficacy_model(chembl["smiles"], chembl["pIC50"], task="ranking")
    with pytest.raises(ValueError, match="target rows"):
        fit_efficacy_model(chembl["smiles"], chembl["pIC50"][:10])
    with pytest.raises(ValueError, match="at least 10"):
        fit_efficacy_model(["CCO", "xx"], [1.0, 2.0])


def _copy(path, tmp_path):
    import shutil

    dest = tmp_path / "copy"
    shutil.copytree(path, dest)
    return dest


def test_tampered_weights_are_refused(regression_model, tmp_path):
    _, path = regression_model
    copy = _copy(path, tmp_path)
    weights = copy / "member_0.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="checksum"):
        load_model(copy)


def test_truncated_and_foreign_and_future_checkpoints(regression_model, tmp_path):
    _, path = regression_model
    copy = _copy(path, tmp_path)
    manifest = json.loads((copy / "molgen_model.json").read_text())
    (copy / "molgen_model.json").write_text(json.dumps({**manifest, "format_version": 99, "molgen_version": "9.0.0"}))
    with pytest.raises(CheckpointError, match="newer|upgrade"):
        load_model(copy)
    (copy / "molgen_model.json").write_text('{"format": "molgen-model", ')
    with pytest.raises(CheckpointError, match="corrupt"):
        load_model(copy)
    foreign = tmp_path / "chemprop_model"
    foreign.mkdir()
    (foreign / "best.pt").write_bytes(b"\x80\x04not really")
    with pytest.raises(CheckpointError, match="not a molgen model"):
        load_model(foreign)
    with pytest.raises(CheckpointError, match="no such folder"):
        load_model(tmp_path / "missing")


def test_save_refuses_foreign_folder(regression_model, tmp_path):
    model, _ = regression_model
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(CheckpointError, match="not a molgen model"):
        model.save(tmp_path)


def test_valid_split_keeps_the_test_part_and_changes_the_rest():
    from molgen.predict.prepare import four_way_split

    smiles = load_dataset("chembl2321810").frame["smiles"].tolist()
    same = four_way_split(smiles, "scaffold", (0.7, 0.1, 0.1, 0.1), 0)
    mixed = four_way_split(smiles, "scaffold", (0.7, 0.1, 0.1, 0.1), 0, "random")
    assert sorted(same[3]) == sorted(mixed[3])  # the same unseen-scaffold test part
    assert sorted(np.concatenate(mixed)) == list(range(len(smiles)))  # every molecule once
    assert set(same[1]) != set(mixed[1])
    # a scaffold valid part shares no scaffold with train; a random one mostly does
    from molgen.data.splits import scaffold_groups

    groups = scaffold_groups(smiles)
    assert not set(groups[same[1]]) & set(groups[same[0]])
    assert np.isin(groups[mixed[1]], groups[mixed[0]]).mean() > 0.5


def test_fit_records_valid_split(chembl):
    model = fit_efficacy_model(chembl["smiles"], chembl["pIC50"], ensemble_size=1, train_config=QUICK, model_options=SMALL,
                               valid_split="random")
    assert model.info["split_method"] == "scaffold" and model.info["valid_split"] == "random"
    with pytest.raises(ValueError, match="unknown"):
        fit_efficacy_model(chembl["smiles"], chembl["pIC50"], valid_split="by-colour")

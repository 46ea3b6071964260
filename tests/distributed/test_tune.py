"""Ray Tune: ASHA search over the model's hyperparameters writes the best configuration and its model."""

import json

import pytest

import molgen

pytestmark = [pytest.mark.ray, pytest.mark.slow]

SPACE = {"depth": ("choice", [1, 2]), "hidden": ("choice", [16, 32]), "batch_size": ("choice", [32])}


def test_tune_writes_best_config_and_a_loadable_model(ray_session, tmp_path):
    from molgen.data import load_dataset
    from molgen.distributed.tune import tune_efficacy_model
    from molgen.train import TrainConfig

    data = load_dataset("chembl2321810").frame.iloc[:120]
    record = tune_efficacy_model(
        data["smiles"].tolist(),
        data["pIC50"].to_numpy(),
        out_dir=tmp_path / "tune",
        num_samples=3,
        epochs=3,
        grace_period=1,
        space=SPACE,
        split_method="random",
        train_config=TrainConfig(warmup_epochs=1),
        seed=0,
    )
    saved = json.loads((tmp_path / "tune" / "best_config.json").read_text())
    assert saved == json.loads(json.dumps(record))
    assert record["num_samples"] == 3 and 1 <= record["epochs"] <= 3
    assert record["config"]["depth"] in (1, 2) and record["config"]["hidden"] in (16, 32)
    assert 1e-4 <= record["config"]["max_lr"] <= 3e-3 and 0.0 <= record["config"]["dropout"] <= 0.3

    # the reported best is the lowest validation loss over every trial's reports
    trials = sorted((tmp_path / "tune" / "ray_tune" / "molgen-tune").glob("*/result.json"))
    reports = [[json.loads(line) for line in t.read_text().splitlines() if line.strip()] for t in trials]
    assert len(reports) == 3 and all(reports)
    last = [r[-1] for r in reports]
    assert record["val_loss"] == pytest.approx(min(r["val_loss"] for r in last))
    assert all(r["epoch"] == len(rows) for r, rows in zip(last, reports))  # one report per epoch, stopped or not

    model = molgen.load_model(tmp_path / "tune" / "model")
    assert model.info["tune"]["config"] == record["config"]
    assert model.model_config.depth == record["config"]["depth"] and model.model_config.hidden == record["config"]["hidden"]
    table = model.predict(["CC(=O)Oc1ccccc1C(=O)O", "not a smiles"])
    assert table["state"].tolist() == ["valid", "invalid_smiles"]


def test_tune_refuses_unknown_hyperparameters(ray_session, tmp_path):
    from molgen.distributed.tune import tune_efficacy_model

    with pytest.raises(ValueError, match="unknown hyperparameter"):
        tune_efficacy_model(["CCO"] * 10, [1.0] * 10, out_dir=tmp_path / "t", space={"width": ("choice", [1])})

"""Ray Train: data-parallel training with two CPU workers, surviving a worker failure."""

import pytest

import molgen

pytestmark = [pytest.mark.ray, pytest.mark.slow]


def test_ddp_training_with_two_workers_recovers_and_loads(ray_session, tmp_path):
    from molgen.data import load_dataset
    from molgen.distributed.train import fit_distributed
    from molgen.train import TrainConfig

    data = load_dataset("chembl2321810").frame.iloc[:150]
    model = fit_distributed(
        data["smiles"],
        data["pIC50"],
        out_dir=tmp_path / "model",
        ensemble_size=1,
        num_workers=2,
        split_method="random",
        model_options={"hidden": 32, "ffn_hidden": 32, "depth": 2},
        descriptors="morgan_counts",
        train_config=TrainConfig(epochs=3, warmup_epochs=1, batch_size=32),
        fail_after_epoch=0,
        storage_path=tmp_path / "runs",
    )
    run = model.info["ray_train"]["runs"][0]
    assert model.info["ray_train"]["num_workers"] == 2
    assert run["final_metrics"]["epoch"] == 2  # failed once after epoch 0, resumed from its checkpoint, finished
    loaded = molgen.load_model(tmp_path / "model")
    assert loaded.descriptors.kind == "morgan_counts"  # the DDP workers trained on graphs carrying them
    table = loaded.predict(["CC(=O)Oc1ccccc1C(=O)O", "not a smiles"])
    assert table["state"].tolist() == ["valid", "invalid_smiles"] and table["prediction"].notna().tolist() == [True, False]

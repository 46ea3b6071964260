"""The CUDA path of fitting and predicting (skipped without a CUDA device; see tests/conftest.py)."""

import numpy as np
import pandas as pd
import pytest

from molgen.data import load_dataset
from molgen.efficacy import fit_efficacy_model, load_model
from molgen.train import TrainConfig

pytestmark = [pytest.mark.gpu, pytest.mark.slow]
SMILES = ["CC(=O)Oc1ccccc1C(=O)O", "not a smiles", "Cn1c(=O)c2c(ncn2C)n(C)c1=O", ""]


def _devices(model) -> set[str]:
    return {p.device.type for member in model.members for p in member.parameters()}


def _same_predictions(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Row for row the same states; numbers equal up to float32 differences between CUDA and CPU kernels."""
    assert a["state"].tolist() == b["state"].tolist()
    for column in ("prediction", "uncertainty", "lower", "upper", "ad_similarity"):
        np.testing.assert_allclose(a[column].to_numpy(float), b[column].to_numpy(float), rtol=1e-4, atol=1e-4, err_msg=column)


def test_fit_on_cuda_then_save_load_predicts_the_same_on_cpu(tmp_path):
    frame = load_dataset("chembl2321810").frame.head(200)
    model = fit_efficacy_model(
        frame["smiles"],
        frame["pIC50"],
        ensemble_size=2,
        split_method="random",
        model_options={"hidden": 64, "ffn_hidden": 64, "depth": 2},
        train_config=TrainConfig(epochs=6, warmup_epochs=1, batch_size=32, device="cuda"),
    )
    assert _devices(model) == {"cuda"}
    assert np.isfinite(model.metrics["test"]["pIC50"]["rmse"])
    smiles = frame["smiles"].tolist()[:64] + SMILES
    on_gpu = model.predict(smiles)
    loaded = load_model(model.save(tmp_path / "model"))
    assert _devices(loaded) == {"cpu"}  # a checkpoint written from CUDA loads anywhere
    on_cpu = loaded.predict(smiles)
    _same_predictions(on_gpu, on_cpu)
    assert on_cpu["state"].tolist()[-4:] == ["valid", "invalid_smiles", "valid", "empty"]
    assert on_cpu["prediction"].notna().tolist() == (on_cpu["state"] == "valid").tolist()


def test_predict_on_cuda_matches_cpu(tiny_model_dir):
    smiles = load_dataset("chembl2321810").frame["smiles"].tolist()[100:400] + SMILES
    on_cpu = load_model(tiny_model_dir).predict(smiles)
    model = load_model(tiny_model_dir)
    for member in model.members:
        member.to("cuda")
    assert _devices(model) == {"cuda"}
    _same_predictions(model.predict(smiles), on_cpu)

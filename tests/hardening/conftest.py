"""Fixtures for the hardening tests: one tiny real model, trained once per session."""

import pytest

from molgen.data import load_dataset
from molgen.efficacy import fit_efficacy_model
from molgen.train import TrainConfig


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """A model directory fitted on 100 CHEMBL2321810 molecules (2 epochs, 1 member)."""
    frame = load_dataset("chembl2321810").frame.head(100)
    model = fit_efficacy_model(
        frame["smiles"],
        frame["pIC50"],
        ensemble_size=1,
        sizes=(0.6, 0.1, 0.2, 0.1),
        train_config=TrainConfig(epochs=2, warmup_epochs=1),
        model_options={"hidden": 16, "ffn_hidden": 16, "depth": 2},
    )
    return model.save(tmp_path_factory.mktemp("hardening_model") / "pic50")

"""Shared fixtures: a molecule zoo with deliberately bad entries, and one tiny real model."""

import pytest

from molgen.data import load_dataset
from molgen.efficacy import fit_efficacy_model
from molgen.train import TrainConfig

#: name -> (SMILES, expected state after parsing + standardization)
ZOO = {
    "aspirin": ("CC(=O)Oc1ccccc1C(=O)O", "valid"),
    "caffeine": ("Cn1c(=O)c2c(ncn2C)n(C)c1=O", "valid"),
    "sodium_acetate_salt": ("CC(=O)[O-].[Na+]", "valid"),
    "hydrochloride_salt": ("CN1CCC[C@H]1c1cccnc1.Cl", "valid"),
    "zwitterion": ("[NH3+]CC(=O)[O-]", "valid"),
    "quaternary_ammonium": ("C[N+](C)(C)C", "valid"),
    "stereo": ("C[C@H](N)C(=O)O", "valid"),
    "ez_stereo": ("C/C=C/C", "valid"),
    "nitro_unnormalized": ("CN(=O)=O", "valid"),
    "empty": ("", "empty"),
    "whitespace": ("   ", "empty"),
    "garbage": ("this is not a smiles", "invalid_smiles"),
    "unclosed_ring": ("C1CCCC", "invalid_smiles"),
    "bad_bracket": ("C[C", "invalid_smiles"),
    "pentavalent_carbon": ("C(C)(C)(C)(C)C", "sanitization_error"),
    "bad_aromaticity": ("c1cccc1", "sanitization_error"),
    "huge_macrocycle": ("C1" + "C" * 298 + "1", "too_many_atoms"),
}


@pytest.fixture(scope="session")
def zoo():
    """Dict of name -> (SMILES, expected state)."""
    return dict(ZOO)


@pytest.fixture(scope="session")
def zoo_smiles():
    return [smi for smi, _ in ZOO.values()]


@pytest.fixture(scope="session")
def zoo_states():
    return [state for _, state in ZOO.values()]


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """A model directory fitted on 100 CHEMBL2321810 molecules (2 epochs, 1 member); copy it before changing it."""
    frame = load_dataset("chembl2321810").frame.head(100)
    model = fit_efficacy_model(
        frame["smiles"],
        frame["pIC50"],
        ensemble_size=1,
        sizes=(0.6, 0.1, 0.2, 0.1),
        train_config=TrainConfig(epochs=2, warmup_epochs=1),
        model_options={"hidden": 16, "ffn_hidden": 16, "depth": 2},
    )
    return model.save(tmp_path_factory.mktemp("tiny_model") / "pic50")


def pytest_collection_modifyitems(config, items):
    """Tests marked ``gpu`` skip themselves without a CUDA device (``MOLGEN_REQUIRE_GPU=1``: run, and fail, instead)."""
    import os

    gpu = [item for item in items if item.get_closest_marker("gpu")]
    if not gpu or os.environ.get("MOLGEN_REQUIRE_GPU") == "1":
        return
    import torch

    if not torch.cuda.is_available():
        skip = pytest.mark.skip(reason="needs a CUDA device (torch.cuda.is_available() is False; MOLGEN_REQUIRE_GPU=1 runs it anyway)")
        for item in gpu:
            item.add_marker(skip)

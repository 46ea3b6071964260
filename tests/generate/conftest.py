"""Fixtures for the prior tests: a slice of MOSES and a tiny trained prior."""

import pytest


@pytest.fixture(scope="session")
def moses_smiles():
    """The first 2,000 SMILES of the MOSES training set."""
    from molgen.data.datasets import load_dataset

    return load_dataset("moses_train", nrows=2000).smiles.tolist()


@pytest.fixture(scope="session")
def moses_csv(tmp_path_factory, moses_smiles):
    """A CSV (column ``SMILES``, as in MOSES) of 300 MOSES molecules."""
    import pandas as pd

    path = tmp_path_factory.mktemp("moses") / "small.csv"
    pd.DataFrame({"SMILES": moses_smiles[:300]}).to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def tiny_prior(moses_smiles):
    """An untrained small GRU prior with a vocabulary built from MOSES SMILES."""
    import torch

    from molgen.generate import Prior, SmilesTokenizer

    torch.manual_seed(0)
    return Prior(SmilesTokenizer.build(moses_smiles), hidden_size=32, num_layers=2, embedding_dim=16, device="cpu")

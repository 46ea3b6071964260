"""The prior on CUDA: sampling, and fine-tuning the shipped prior (skipped without a CUDA device; tests/conftest.py)."""

import pytest
import torch

from molgen.generate import load_prior, train_prior
from molgen.generate.prior import shipped_prior_path

pytestmark = [pytest.mark.gpu, pytest.mark.slow]


def test_sample_on_cuda_is_valid_and_seeded():
    prior = load_prior(device="cuda")
    assert prior.device.type == "cuda" and next(prior.module.parameters()).device.type == "cuda"
    table = prior.sample(500, seed=0, batch_size=256)
    assert len(table) == 500 and (table["state"] == "valid").mean() > 0.85  # 0.953 on 10k (BENCHMARKS.md)
    assert table["log_likelihood"].lt(0).all()
    again = prior.sample(500, seed=0, batch_size=256)
    assert again["raw_smiles"].tolist() == table["raw_smiles"].tolist()  # same seed, n, batch size and device


def test_fine_tune_the_shipped_prior_on_cuda(tmp_path, moses_csv):
    tuned = train_prior(
        tmp_path / "tuned",
        data=moses_csv,
        init_from=shipped_prior_path(),
        max_molecules=256,
        batch_size=32,
        chunk_size=100,
        val_size=40,
        learning_rate=1e-4,
        checkpoint_every=4,
        device="cuda",
        progress=False,
    )
    assert tuned.device.type == "cuda"
    machine = tuned.metadata["training"]["machine"]
    assert machine["device"] == torch.cuda.get_device_name(0)
    assert tuned.metadata["training"]["molecules_seen"] >= 256
    shipped = load_prior(device="cpu").module.state_dict()
    saved = load_prior(tmp_path / "tuned", device="cpu").module.state_dict()
    assert not all(torch.equal(shipped[k], saved[k]) for k in shipped)  # trained on from the shipped weights
    sample = load_prior(tmp_path / "tuned", device="cuda").sample(200, seed=1)
    assert (sample["state"] == "valid").mean() > 0.8

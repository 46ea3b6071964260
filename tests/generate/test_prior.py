"""The Prior: sampling, likelihoods, save/load, copies and the overfit check."""

import json

import numpy as np
import pandas as pd
import pytest
import torch

from molgen.generate import Prior, PriorLoadError, SmilesTokenizer, UnknownTokenError, load_prior, train_prior


def test_sample_table_is_reproducible_with_seed(tiny_prior):
    a = tiny_prior.sample(40, seed=7, batch_size=16)
    b = tiny_prior.sample(40, seed=7, batch_size=16)
    c = tiny_prior.sample(40, seed=8, batch_size=16)
    assert list(a.columns) == ["smiles", "raw_smiles", "state", "error", "log_likelihood"]
    assert len(a) == 40
    pd.testing.assert_frame_equal(a, b)
    assert not a["raw_smiles"].equals(c["raw_smiles"])
    assert set(a["state"]) <= {"valid", "invalid_smiles", "duplicate"}
    assert (a["log_likelihood"] < 0).all()
    bad = a["state"] == "invalid_smiles"
    assert (a.loc[bad, "error"] != "").all() and (a.loc[bad, "smiles"] == a.loc[bad, "raw_smiles"]).all()


def test_sampled_log_likelihood_matches_teacher_forcing(tiny_prior):
    gen = torch.Generator().manual_seed(0)
    seqs, ll = tiny_prior.sample_sequences(12, generator=gen)
    assert seqs.dtype == torch.long and seqs.shape[0] == 12 and (seqs[:, 0] == tiny_prior.tokenizer.bos_id).all()
    assert ll.requires_grad
    again = tiny_prior.log_likelihood(seqs)
    torch.testing.assert_close(ll, again, rtol=1e-4, atol=1e-4)
    # temperature changes the draws, never the likelihood's definition (the untempered model)
    seqs_t, ll_t = tiny_prior.sample_sequences(6, temperature=0.5, generator=gen)
    torch.testing.assert_close(ll_t, tiny_prior.log_likelihood(seqs_t), rtol=1e-4, atol=1e-4)
    ll.sum().backward()
    missing = [name for name, p in tiny_prior.module.named_parameters() if p.requires_grad and p.grad is None]
    assert missing == []
    assert all(torch.isfinite(p.grad).all() for p in tiny_prior.module.parameters())
    tiny_prior.module.zero_grad(set_to_none=True)


def test_duplicates_are_flagged():
    from molgen.generate.prior import label_smiles

    table = label_smiles(["CCO", "OCC", "C1CC", "CCO", "c1ccccc1"])
    assert table["state"].tolist() == ["valid", "duplicate", "invalid_smiles", "duplicate", "valid"]
    assert table["smiles"].tolist()[:2] == ["CCO", "CCO"]


def test_encode_errors(tiny_prior):
    with pytest.raises(UnknownTokenError):
        tiny_prior.encode(["CC[Xe]"])
    with pytest.raises(ValueError, match="max_length"):
        tiny_prior.encode(["C" * 200])
    with pytest.raises(TypeError):
        tiny_prior.encode("CCO")
    with pytest.raises(ValueError):
        tiny_prior.sample(0)
    with pytest.raises(ValueError, match="temperature"):
        tiny_prior.sample(3, temperature=0)


@pytest.mark.parametrize("architecture", ["gru", "lstm", "transformer"])
def test_save_load_gives_identical_log_likelihoods(tmp_path, moses_smiles, architecture):
    tok = SmilesTokenizer.build(moses_smiles)
    sizes = {"d_model": 32, "num_heads": 4, "num_layers": 2} if architecture == "transformer" else {"hidden_size": 32, "num_layers": 2}
    prior = Prior(tok, architecture=architecture, device="cpu", metadata={"note": "test"}, **sizes)
    prior.save(tmp_path / "p")
    loaded = load_prior(tmp_path / "p", device="cpu")
    batch = prior.encode(moses_smiles[:20])
    assert torch.equal(prior.log_likelihood(batch), loaded.log_likelihood(batch))
    assert loaded.metadata == {"note": "test"} and loaded.architecture == architecture
    assert loaded.sample(5, seed=1)["raw_smiles"].tolist() == prior.sample(5, seed=1)["raw_smiles"].tolist()


def test_copy_is_independent(tiny_prior):
    agent = tiny_prior.copy()
    batch = tiny_prior.encode(["CCO", "c1ccccc1"])
    assert torch.equal(agent.log_likelihood(batch), tiny_prior.log_likelihood(batch))
    with torch.no_grad():
        next(agent.module.parameters()).add_(1.0)
    assert not torch.equal(agent.log_likelihood(batch), tiny_prior.log_likelihood(batch))


def test_bad_model_dir_gives_clear_errors(tmp_path, tiny_prior):
    with pytest.raises(FileNotFoundError, match="no such prior"):
        load_prior(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(PriorLoadError, match="prior.json is missing"):
        load_prior(tmp_path / "empty")
    tiny_prior.save(tmp_path / "p")
    weights = tmp_path / "p" / "weights.safetensors"
    weights.write_bytes(weights.read_bytes()[:-8] + b"corrupt!")
    with pytest.raises(PriorLoadError, match="checksum"):
        load_prior(tmp_path / "p")
    tiny_prior.save(tmp_path / "q")
    (tmp_path / "q" / "prior.json").write_text("{not json")
    with pytest.raises(PriorLoadError, match="not valid JSON"):
        load_prior(tmp_path / "q")
    tiny_prior.save(tmp_path / "r")
    header = json.loads((tmp_path / "r" / "prior.json").read_text())
    header["architecture"] = "mamba"
    (tmp_path / "r" / "prior.json").write_text(json.dumps(header))
    with pytest.raises(PriorLoadError, match="choose one of"):
        load_prior(tmp_path / "r")


def _validity(prior, n=200):
    table = prior.sample(n, seed=0)
    return float((table["state"] != "invalid_smiles").mean())


@pytest.mark.slow
def test_tiny_prior_overfits_and_validity_rises(tmp_path, moses_smiles):
    path = tmp_path / "fifty.csv"
    pd.DataFrame({"smiles": moses_smiles[:50]}).to_csv(path, index=False)
    prior = train_prior(
        tmp_path / "run",
        data=path,
        hidden_size=128,
        num_layers=2,
        embedding_dim=32,
        batch_size=25,
        learning_rate=5e-3,
        epochs=100,
        val_size=0,
        checkpoint_every=1000,
        progress=False,
        device="cpu",
    )
    assert prior.metadata["training"]["molecules_seen"] == 50 * 100
    nll = float(-prior.log_likelihood(prior.encode(moses_smiles[:50])).mean().detach())
    assert nll < 15, nll  # from ~100 nats per molecule at random init
    validity = _validity(prior)
    assert validity >= 0.6, validity
    # and an untrained prior with the same vocabulary is almost never valid
    torch.manual_seed(0)
    untrained = Prior(prior.tokenizer, hidden_size=128, num_layers=2, embedding_dim=32, device="cpu")
    assert _validity(untrained) < 0.1
    novel = prior.sample(200, seed=1)
    assert np.isin(novel.loc[novel["state"] == "valid", "smiles"], moses_smiles[:50]).mean() > 0.5  # memorised


def test_shipped_prior_is_the_trained_moses_prior():
    prior = load_prior(device="cpu")
    info = prior.metadata["training"]
    assert info["data"] == "train.csv.gz" and info["molecules_seen"] > 3_000_000
    assert info["settings"]["shuffle"] == "global" and info["settings"]["init_from"]["molecules_seen"] > 900_000
    table = prior.sample(300, seed=0)
    valid = table["state"] != "invalid_smiles"
    # 0.953 on 10k samples (BENCHMARKS.md); 0.90 is four standard errors of 300 samples below it
    assert valid.mean() >= 0.90, valid.mean()
    assert (table["state"] == "duplicate").sum() <= 3

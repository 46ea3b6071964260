"""Training: streaming, checkpoints, exact resume, settings checks."""

import pytest
import torch

from molgen.generate import load_prior, train_prior
from molgen.generate.train import CHECKPOINT_FILE

TINY = dict(
    hidden_size=24,
    num_layers=2,
    embedding_dim=8,
    batch_size=16,
    chunk_size=100,
    val_size=40,
    learning_rate=3e-3,
    lr_decay=0.5,
    lr_decay_molecules=200,
    checkpoint_every=4,
    progress=False,
    device="cpu",
    dropout=0.1,
    seed=3,
)


def _weights(path):
    return load_prior(path, device="cpu").module.state_dict()


@pytest.mark.parametrize("shuffle", ["global", "chunk"])
def test_resume_gives_identical_weights(tmp_path, moses_csv, shuffle):
    # 260 training rows in 3 chunks; 416 molecules cross an epoch and chunk boundaries
    full = train_prior(tmp_path / "full", data=moses_csv, max_molecules=416, epochs=5, shuffle=shuffle, **TINY)
    part = train_prior(tmp_path / "part", data=moses_csv, max_molecules=208, epochs=5, shuffle=shuffle, **TINY)
    assert 208 <= part.metadata["training"]["molecules_seen"] < 208 + 16
    resumed = train_prior(tmp_path / "part", data=moses_csv, max_molecules=416, epochs=5, resume=True, **TINY)
    assert resumed.metadata["training"]["settings"]["shuffle"] == shuffle  # from the checkpoint
    info, full_info = resumed.metadata["training"], full.metadata["training"]
    assert info["molecules_seen"] == full_info["molecules_seen"] >= 416
    assert info["steps"] == full_info["steps"] > 18  # more than one epoch of about 18 batches
    assert info["epochs"] == pytest.approx(info["molecules_seen"] / 260, abs=1e-3)
    a, b = _weights(tmp_path / "full"), _weights(tmp_path / "part")
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert info["final_val_nll"] == full.metadata["training"]["final_val_nll"]
    steps = [h["step"] for h in info["history"]]
    assert steps == sorted(steps) and steps[-1] == info["steps"]
    assert all(h["val_nll"] is not None for h in info["history"] if h["step"] % 4 == 0)


def test_checkpoint_guards(tmp_path, moses_csv):
    with pytest.raises(FileNotFoundError, match="cannot resume"):
        train_prior(tmp_path / "none", data=moses_csv, max_molecules=32, resume=True, **TINY)
    train_prior(tmp_path / "run", data=moses_csv, max_molecules=32, **TINY)
    assert (tmp_path / "run" / CHECKPOINT_FILE).is_file()
    with pytest.raises(ValueError, match="resume"):
        train_prior(tmp_path / "run", data=moses_csv, max_molecules=32, **TINY)
    state = torch.load(tmp_path / "run" / CHECKPOINT_FILE, weights_only=True)  # no pickle needed
    assert 32 <= state["position"]["molecules"] < 48


def test_bad_settings_are_rejected(tmp_path, moses_csv):
    with pytest.raises(ValueError, match="choose one of"):
        train_prior(tmp_path / "a", data=moses_csv, **{**TINY, "hidden_size": 8}, architecture="rnn")
    with pytest.raises(ValueError, match="epochs"):
        train_prior(tmp_path / "b", data=moses_csv, epochs=0, **TINY)
    with pytest.raises(ValueError, match="val_size"):
        train_prior(tmp_path / "c", data=moses_csv, **{**TINY, "val_size": 5000})
    with pytest.raises(ValueError, match="unknown shuffle"):
        train_prior(tmp_path / "f", data=moses_csv, shuffle="none", **TINY)
    with pytest.raises(FileNotFoundError):
        train_prior(tmp_path / "d", data=tmp_path / "nope.csv", **TINY)
    bad = tmp_path / "bad.csv"
    bad.write_text("name,value\na,1\n")
    with pytest.raises(ValueError, match="no column"):
        train_prior(tmp_path / "e", data=bad, **TINY)


def test_smi_file_and_transformer(tmp_path, moses_smiles):
    path = tmp_path / "mols.smi"
    path.write_text("".join(f"{s} id{i}\n" for i, s in enumerate(moses_smiles[:80])))
    prior = train_prior(
        tmp_path / "tr",
        data=path,
        architecture="transformer",
        d_model=16,
        num_heads=2,
        num_layers=1,
        batch_size=16,
        val_size=16,
        max_molecules=32,
        progress=False,
        device="cpu",
    )
    assert prior.architecture == "transformer"
    assert prior.metadata["training"]["data_rows"] == 80
    assert len(load_prior(tmp_path / "tr").sample(4, seed=0)) == 4


def test_selfies_prior_trains_saves_and_samples(tmp_path, moses_csv):
    from rdkit import Chem

    prior = train_prior(tmp_path / "sf", data=moses_csv, tokenizer="selfies", max_molecules=64, **TINY)
    loaded = load_prior(tmp_path / "sf", device="cpu")
    assert loaded.tokenizer.kind == "selfies" and loaded.tokenizer == prior.tokenizer
    table = loaded.sample(64, seed=0)
    # an almost untrained SELFIES prior writes only molecules, or nothing (EOS or symbols that decode to nothing)
    failed = table[table["state"] == "invalid_smiles"]
    assert (failed["raw_smiles"] == "").all() and len(failed) < len(table) / 2
    assert all(Chem.MolFromSmiles(s) is not None for s in table.loc[table["state"] == "valid", "smiles"])
    smi = table.loc[table["state"] == "valid", "smiles"].iloc[0]
    assert torch.isfinite(loaded.log_likelihood(loaded.encode([smi]))).all()
    with pytest.raises(ValueError, match="unknown tokenizer"):
        train_prior(tmp_path / "x", data=moses_csv, tokenizer="bpe", **TINY)


def test_checkpoint_without_shuffle_setting_resumes_by_chunks(tmp_path, moses_csv):
    """Checkpoints written before ``shuffle`` existed trained on consecutive rows and continue so."""
    full = train_prior(tmp_path / "full", data=moses_csv, max_molecules=160, shuffle="chunk", **TINY)
    train_prior(tmp_path / "old", data=moses_csv, max_molecules=80, shuffle="chunk", **TINY)
    state = torch.load(tmp_path / "old" / CHECKPOINT_FILE, weights_only=True)
    del state["settings"]["shuffle"]
    torch.save(state, tmp_path / "old" / CHECKPOINT_FILE)
    resumed = train_prior(tmp_path / "old", data=moses_csv, max_molecules=160, resume=True, **TINY)
    assert resumed.metadata["training"]["final_val_nll"] == full.metadata["training"]["final_val_nll"]
    a, b = _weights(tmp_path / "full"), _weights(tmp_path / "old")
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_init_from_a_saved_prior_continues_its_network(tmp_path, moses_csv):
    first = train_prior(tmp_path / "first", data=moses_csv, max_molecules=64, **TINY)
    # size options are ignored: the network and vocabulary come from the starting prior
    second = train_prior(
        tmp_path / "second",
        data=moses_csv,
        max_molecules=64,
        init_from=tmp_path / "first",
        **{**TINY, "hidden_size": 99, "learning_rate": 1e-4},
    )
    assert second.hyperparameters == first.hyperparameters and second.tokenizer.vocab == first.tokenizer.vocab
    start = second.metadata["training"]["settings"]["init_from"]
    assert start["path"] == str((tmp_path / "first").resolve()) and start["molecules_seen"] == first.metadata["training"]["molecules_seen"]
    assert start["weights_sha256"] and second.metadata["training"]["settings"]["learning_rate"] == 1e-4
    a, b = _weights(tmp_path / "first"), _weights(tmp_path / "second")
    assert not all(torch.equal(a[k], b[k]) for k in a)  # trained on from there
    with pytest.raises(FileNotFoundError):
        train_prior(tmp_path / "third", data=moses_csv, max_molecules=64, init_from=tmp_path / "nope", **TINY)

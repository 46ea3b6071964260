"""MoleculeModel: shapes for every encoder x readout x task, batching, descriptors, save/load."""

import itertools

import pytest
import torch
from torch_geometric.data import Batch

from molgen.models import (
    AttentiveFPEncoder,
    DMPNNEncoder,
    ModelConfig,
    MoleculeModel,
    RegressionHead,
    SumReadout,
    build_model,
)

ATOM_DIM, BOND_DIM, N_TASKS, N_CLASSES = 10, 4, 3, 4
SMALL = dict(atom_dim=ATOM_DIM, bond_dim=BOND_DIM, hidden=16, depth=2, ffn_hidden=8, n_tasks=N_TASKS)
TASKS = {
    "regression": dict(task="regression"),
    "mean_variance": dict(task="regression", mean_variance=True),
    "binary": dict(task="binary"),
    "multiclass": dict(task="multiclass", n_classes=N_CLASSES),
}
CASES = [(e, r, t) for e, r, t in itertools.product(["dmpnn", "gine"], ["sum", "mean", "norm"], TASKS)]
CASES += [("attentivefp", None, t) for t in TASKS]


def small_config(**overrides) -> ModelConfig:
    return ModelConfig(**{**SMALL, **overrides})


@pytest.mark.parametrize(("encoder", "readout", "task"), CASES)
def test_output_shapes(encoder, readout, task, batch):
    model = build_model(small_config(encoder=encoder, readout=readout, **TASKS[task]))
    n = batch.num_graphs
    assert model.embed(batch).shape == (n, 16) == (n, model.embedding_dim)
    out = model(batch)
    expected = {
        "regression": (n, N_TASKS),
        "mean_variance": (n, N_TASKS, 2),
        "binary": (n, N_TASKS),
        "multiclass": (n, N_TASKS, N_CLASSES),
    }[task]
    assert out.shape == expected
    assert torch.isfinite(out).all()
    pred = model.predict(batch)
    if task == "mean_variance":
        assert (out[..., 1] > 0).all()
    if task == "binary":
        assert ((pred > 0) & (pred < 1)).all()
    if task == "multiclass":
        torch.testing.assert_close(pred.sum(-1), torch.ones(n, N_TASKS))


@pytest.mark.parametrize("encoder", ["dmpnn", "gine", "attentivefp"])
def test_every_parameter_gets_a_gradient(encoder, batch):
    model = build_model(small_config(encoder=encoder))
    model(batch).sum().backward()
    missing = [name for name, p in model.named_parameters() if p.grad is None]
    assert not missing


@pytest.mark.parametrize("encoder", ["dmpnn", "gine", "attentivefp"])
def test_batching_invariance(encoder, graphs):
    model = build_model(small_config(encoder=encoder, dropout=0.2)).eval()
    with torch.no_grad():
        together = model(Batch.from_data_list(graphs))
        alone = torch.cat([model(Batch.from_data_list([g])) for g in graphs])
        single_data = torch.cat([model(g) for g in graphs])
    torch.testing.assert_close(together, alone, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(single_data, alone, rtol=1e-5, atol=1e-5)


def test_dropout_only_in_training(batch):
    model = build_model(small_config(dropout=0.5))
    assert not torch.equal(model(batch), model(batch))
    model.eval()
    assert torch.equal(model(batch), model(batch))


def test_descriptors_are_appended_after_readout(graphs):
    for i, g in enumerate(graphs):
        g.descriptors = torch.full((1, 2), float(i))
    batch = Batch.from_data_list(graphs)
    model = build_model(small_config(descriptor_dim=2)).eval()
    z = model.embed(batch)
    assert z.shape == (len(graphs), 18)
    torch.testing.assert_close(z[:, 16:], batch.descriptors)
    assert model(batch).shape == (len(graphs), N_TASKS)

    del batch.descriptors
    with pytest.raises(ValueError, match="descriptors"):
        model(batch)
    batch.descriptors = torch.zeros(len(graphs), 3)
    with pytest.raises(ValueError, match="descriptors"):
        model(batch)


def test_composition_is_checked():
    encoder = DMPNNEncoder(ATOM_DIM, BOND_DIM, hidden=16)
    with pytest.raises(ValueError, match="readout"):
        MoleculeModel(encoder, None, RegressionHead(16, 1))
    with pytest.raises(ValueError, match="readout=None"):
        MoleculeModel(AttentiveFPEncoder(ATOM_DIM, BOND_DIM, hidden=16), SumReadout(), RegressionHead(16, 1))
    with pytest.raises(ValueError, match="input_dim"):
        MoleculeModel(encoder, SumReadout(), RegressionHead(16, 1), descriptor_dim=2)


@pytest.mark.parametrize("encoder", ["dmpnn", "gine", "attentivefp"])
def test_save_load_gives_identical_outputs(encoder, batch, tmp_path):
    config = small_config(encoder=encoder, task="multiclass", n_classes=3)
    model = build_model(config).eval()
    path = tmp_path / "model.pt"
    torch.save({"config": config.to_dict(), "state_dict": model.state_dict()}, path)

    checkpoint = torch.load(path, weights_only=True)
    torch.manual_seed(123)  # a different initialization, overwritten by the state dict
    restored = build_model(ModelConfig.from_dict(checkpoint["config"])).eval()
    restored.load_state_dict(checkpoint["state_dict"])
    with torch.no_grad():
        assert torch.equal(model(batch), restored(batch))


def test_build_model_needs_a_config():
    with pytest.raises(TypeError, match="from_dict"):
        build_model(dict(SMALL))

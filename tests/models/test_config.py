"""ModelConfig: validation, JSON round-trip, strict from_dict."""

import dataclasses
import json

import pytest

from molgen.models import ModelConfig, build_model

DIMS = dict(atom_dim=10, bond_dim=4)


def test_defaults_follow_chemprop():
    config = ModelConfig(**DIMS)
    assert (config.encoder, config.hidden, config.depth, config.readout, config.readout_norm) == (
        "dmpnn",
        300,
        3,
        "norm",
        100.0,
    )
    assert (config.task, config.n_tasks, config.ffn_layers, config.ffn_hidden) == ("regression", 1, 1, 300)


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"encoder": "GINE", "readout": "Mean", "task": "binary", "n_tasks": 5, "dropout": 0.1},
        {"encoder": "attentivefp", "task": "multiclass", "n_classes": 3, "descriptor_dim": 7},
        {"mean_variance": True, "ffn_layers": 0, "ffn_activation": "gelu", "readout_norm": 50},
    ],
)
def test_json_round_trip(overrides):
    config = ModelConfig(**DIMS, **overrides)
    data = json.loads(json.dumps(config.to_dict()))
    assert ModelConfig.from_dict(data) == config
    assert set(data) == {f.name for f in dataclasses.fields(ModelConfig)}


def test_names_are_normalized_and_readout_resolved():
    config = ModelConfig(**DIMS, encoder="GINE", task="Binary", ffn_activation="ReLU")
    assert (config.encoder, config.task, config.ffn_activation, config.readout) == ("gine", "binary", "relu", "norm")
    assert ModelConfig(**DIMS, encoder="attentivefp").readout is None


def test_unknown_key_lists_valid_keys():
    data = {**ModelConfig(**DIMS).to_dict(), "hidden_size": 300}
    with pytest.raises(ValueError, match="hidden_size") as err:
        ModelConfig.from_dict(data)
    assert "atom_dim" in str(err.value) and "mean_variance" in str(err.value)


def test_missing_required_key():
    with pytest.raises(ValueError, match="bond_dim"):
        ModelConfig.from_dict({"atom_dim": 10})
    with pytest.raises(TypeError):
        ModelConfig.from_dict([("atom_dim", 10)])


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"hidden": 0}, "hidden"),
        ({"depth": 2.0}, "depth"),
        ({"dropout": 1.5}, "dropout"),
        ({"encoder": "gcn"}, "attentivefp, dmpnn, gine"),
        ({"readout": "max"}, "mean, norm, sum"),
        ({"task": "ranking"}, "binary, multiclass, regression"),
        ({"ffn_activation": "swishy"}, "relu"),
        ({"encoder": "attentivefp", "readout": "sum"}, "attention readout"),
        ({"task": "multiclass"}, "n_classes"),
        ({"task": "multiclass", "n_classes": 1}, "n_classes"),
        ({"n_classes": 3}, "n_classes"),
        ({"task": "binary", "mean_variance": True}, "mean_variance"),
        ({"mean_variance": 1}, "mean_variance"),
        ({"readout_norm": 0}, "readout_norm"),
        ({"descriptor_dim": -1}, "descriptor_dim"),
    ],
)
def test_invalid_values(overrides, match):
    with pytest.raises(ValueError, match=match):
        ModelConfig(**DIMS, **overrides)


def test_frozen_and_buildable():
    config = ModelConfig(**DIMS, hidden=8, ffn_hidden=8)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.hidden = 16
    model = build_model(config)
    assert model.encoder.hidden == 8 and model.readout.norm == 100.0

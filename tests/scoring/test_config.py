import json
import math
from pathlib import Path

import numpy as np
import pytest
import yaml

import molgen.scoring
from molgen.scoring import ConfigError, Scorer, ScorerConfig, dump_toml, load_config, write_config

EXAMPLE = Path(molgen.scoring.__file__).parent / "example_scorer.toml"

BASE = """\
aggregation = "weighted_geometric"

[[objectives]]
name = "qed"
kind = "qed"

[[objectives]]
name = "sa"
kind = "sa"
weight = 2
transform = { kind = "reverse_sigmoid", low = 2.5, high = 5.5 }

[[objectives]]
name = "mw"
kind = "mw"
transform = { kind = "double_sigmoid", low = 200.0, high = 500.0 }
"""


def _write(tmp_path, text, name="scorer.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_example_config_loads_and_scores(element_model):
    loaded = []
    scorer = Scorer.from_config(EXAMPLE, model_loader=lambda spec: loaded.append(spec) or element_model)
    assert loaded == ["models/pic50"]
    assert [o.name for o in scorer.objectives][:3] == ["efficacy", "qed", "sa"]
    table = scorer.score(["CC(=O)Oc1ccccc1C(=O)O", "CCS", "nope"])
    assert table["score"].iloc[:1].between(0, 1).all()
    assert math.isnan(table["score"][1]) and math.isnan(table["score"][2])


@pytest.mark.parametrize("suffix", [".toml", ".yaml", ".json"])
def test_round_trip_through_files(tmp_path, element_model, suffix):
    scorer = Scorer.from_config(EXAMPLE, model_loader=lambda spec: element_model)
    config = scorer.to_config()
    path = tmp_path / f"copy{suffix}"
    scorer.save_config(path)
    again = Scorer.from_config(path, model_loader=lambda spec: element_model)
    assert again.to_config() == config
    assert Scorer.from_config(config, model_loader=lambda spec: element_model).to_config() == config
    smiles = ["CC(=O)Oc1ccccc1C(=O)O", "c1ccccc1CCN", "x"]
    np.testing.assert_array_equal(again(smiles), scorer(smiles))


def test_toml_and_yaml_give_the_same_config(tmp_path):
    from_toml = load_config(_write(tmp_path, BASE))
    data = from_toml.to_dict()
    yaml_path = _write(tmp_path, yaml.safe_dump(data, sort_keys=False), "scorer.yaml")
    assert load_config(yaml_path) == from_toml
    assert ScorerConfig.from_dict(data) == from_toml
    assert from_toml.objectives[1].weight == 2.0 and isinstance(from_toml.objectives[1].weight, float)
    assert from_toml.objectives[0].transform.kind == "identity"  # the kind's default, written out
    assert load_config(_write(tmp_path, dump_toml(data), "again.toml")).to_dict() == data


def _error(tmp_path, text, name="scorer.toml"):
    path = _write(tmp_path, text, name)
    with pytest.raises(ConfigError) as info:
        Scorer.from_config(path)
    assert str(info.value).startswith(f"{path}: ")
    return str(info.value)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            'transform = { kind = "double_sigmoid"',
            'tranform = { kind = "double_sigmoid"',
            "objectives[2].tranform: unknown key for kind 'mw'; valid keys: kind, name, transform, weight",
        ),
        ("low = 2.5", "lo = 2.5", "objectives[1].transform.lo: unknown key for kind 'reverse_sigmoid'; valid keys: high, k, kind, low"),
        ("weight = 2", 'weight = "high"', "objectives[1].weight: expected a number, got str 'high'"),
        ("weight = 2", "weight = 0", "objectives[1].weight: must be a finite number > 0, got 0"),
        ("weight = 2", "weight = -1.5", "objectives[1].weight: must be a finite number > 0"),
        ("low = 2.5", 'low = "2.5"', "objectives[1].transform.low: expected a number, got str '2.5'"),
        ('kind = "sa"', 'kind = "synth"', "objectives[1].kind: unknown objective kind 'synth'; choose one of: alerts, descriptor,"),
        ('kind = "reverse_sigmoid"', 'kind = "reverse"', "objectives[1].transform.kind: unknown transform 'reverse'; choose one of: clip,"),
        ('aggregation = "weighted_geometric"', 'aggregation = "mean"', "aggregation: unknown aggregation 'mean'; choose one of:"),
        ('aggregation = "weighted_geometric"', "scorer = 1", "scorer: unknown key; valid keys: aggregation, objectives"),
        ('name = "qed"', 'name = "sa"', "objectives[1].name: duplicate objective name 'sa'"),
        ('name = "qed"', "name = 3", "objectives[0].name: expected letters"),
        ('name = "qed"\n', "", "objectives[0].name: required key missing"),
        ('transform = { kind = "reverse_sigmoid", low = 2.5, high = 5.5 }\n', "", "objectives[1].transform: required for kind 'sa'"),
        ("high = 5.5", "high = 1.5", "objectives[1].transform.high: must be greater than low"),
        ('kind = "qed"', 'kind = "qed"\ncatalogs = ["pains"]', "objectives[0].catalogs: unknown key for kind 'qed'"),
        (
            'transform = { kind = "reverse_sigmoid", low = 2.5, high = 5.5 }',
            'transform = "reverse_sigmoid"',
            "objectives[1].transform.low: required key missing for kind 'reverse_sigmoid'",
        ),
    ],
)
def test_toml_errors_name_the_file_and_key(tmp_path, old, new, expected):
    assert old in BASE
    message = _error(tmp_path, BASE.replace(old, new, 1))
    assert expected in message


def test_yaml_errors_name_the_key(tmp_path):
    data = load_config(_write(tmp_path, BASE)).to_dict()
    data["objectives"][2]["transform"]["coef_div"] = "wide"
    message = _error(tmp_path, yaml.safe_dump(data), "scorer.yml")
    assert "objectives[2].transform.coef_div: expected a number, got str 'wide'" in message


def test_kind_specific_errors(tmp_path):
    alerts = BASE + '\n[[objectives]]\nname = "alerts"\nkind = "alerts"\ncatalogs = ["pains", "nih"]\n'
    assert "objectives[3].catalogs[1]: unknown alert catalog 'nih'" in _error(tmp_path, alerts)
    sim = BASE + '\n[[objectives]]\nname = "sim"\nkind = "similarity"\nreferences = "CCO"\n'
    assert "objectives[3].references: expected a list, got str" in _error(tmp_path, sim)
    model = BASE + '\n[[objectives]]\nname = "pic50"\nkind = "model"\ntransform = "identity"\n'
    assert "objectives[3].model: required key missing" in _error(tmp_path, model)
    model += 'model = "a.pt"\n'  # the default loader is molgen.load_model: a model directory
    assert "objectives[3].model: cannot load 'a.pt': a.pt: not a model directory" in _error(tmp_path, model)


def test_file_level_errors(tmp_path):
    assert "invalid TOML" in _error(tmp_path, "objectives = [")
    assert "invalid YAML" in _error(tmp_path, "objectives: [", "s.yaml")
    assert "unsupported config extension '.ini'" in _error(tmp_path, "", "s.ini")
    assert "objectives: required key missing" in _error(tmp_path, 'aggregation = "weighted_arithmetic"\n')
    with pytest.raises(ConfigError, match="<dict>: objectives: expected a non-empty list"):
        Scorer.from_config({"objectives": []})
    with pytest.raises(ConfigError, match=r"<dict>: objectives\[0\]: expected a table, got str"):
        Scorer.from_config({"objectives": ["qed"]})
    with pytest.raises(FileNotFoundError):
        Scorer.from_config(tmp_path / "missing.toml")


def test_model_loader_is_called_once_per_model(tmp_path, element_model):
    text = BASE + "".join(
        f'\n[[objectives]]\nname = "m{i}"\nkind = "model"\nmodel = "{spec}"\ntransform = {{ kind = "clip", high = 30.0 }}\n'
        for i, spec in enumerate(["a.pt", "a.pt", "b.pt"])
    )
    calls = []
    scorer = Scorer.from_config(_write(tmp_path, text), model_loader=lambda spec: calls.append(spec) or element_model)
    assert calls == ["a.pt", "b.pt"]
    scorer.score(["CCO"])
    assert element_model.calls == 1  # one predictor object: one predict call per batch

    def broken(spec):
        raise OSError(f"no such checkpoint {spec}")

    with pytest.raises(ConfigError, match=r"objectives\[3\].model: cannot load 'a.pt': no such checkpoint"):
        Scorer.from_config(_write(tmp_path, text), model_loader=broken)


def test_write_config_is_atomic_and_checks_extension(tmp_path):
    data = load_config(_write(tmp_path, BASE)).to_dict()
    write_config(data, tmp_path / "out.json")
    assert json.loads((tmp_path / "out.json").read_text()) == data
    with pytest.raises(ValueError, match="unsupported config extension"):
        write_config(data, tmp_path / "out.cfg")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json", "scorer.toml"]

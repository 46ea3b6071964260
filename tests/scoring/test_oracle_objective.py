"""The ``oracle`` objective kind: benchmark oracles (molgen.scoring.oracles) in scorer configs."""

import numpy as np
import pytest

from molgen.scoring import OBJECTIVES, ConfigError, Objective, Scorer, load_config
from molgen.scoring.oracles import score_oracle

OSIMERTINIB = "COc1cc(N(C)CCN(C)C)c(NC(=O)C=C)cc1Nc2nccc(n2)c3cn(C)c4ccccc34"

CONFIG = """\
[[objectives]]
name = "osimertinib_mpo"
kind = "oracle"
oracle = "osimertinib_mpo"
"""


def test_oracle_kind_is_registered():
    assert "oracle" in OBJECTIVES


def test_a_config_names_an_oracle(tmp_path):
    path = tmp_path / "oracle.toml"
    path.write_text(CONFIG)
    scorer = Scorer.from_config(path)
    smiles = [OSIMERTINIB, "CC(=O)Nc1ccc(O)cc1", "not a smiles"]
    table = scorer.score(smiles)
    expected = [score_oracle("osimertinib_mpo", s) for s in smiles[:2]]
    assert table["score"].tolist()[:2] == pytest.approx(expected)
    assert table["osimertinib_mpo"].tolist()[:2] == pytest.approx(expected)  # identity transform: raw = desirability
    assert np.isnan(table["score"].iloc[2]) and table["state"].iloc[2] == "invalid_smiles"
    assert scorer.to_config()["objectives"][0] == {
        "name": "osimertinib_mpo",
        "kind": "oracle",
        "weight": 1.0,
        "transform": {"kind": "identity"},
        "oracle": "osimertinib_mpo",
    }


def test_an_oracle_combines_with_other_objectives():
    scorer = Scorer([Objective("deco", "oracle", params={"oracle": "deco_hop"}), Objective("qed", "qed")])
    table = scorer.score(["CCCOc1cc2ncnc(Nc3ccc4ncsc4c3)c2cc1S(=O)(=O)C(C)(C)C"])
    assert table["deco"].iloc[0] == pytest.approx(0.5)
    assert table["score"].iloc[0] == pytest.approx(np.sqrt(0.5 * table["qed"].iloc[0]))


def test_bad_oracle_configs_name_the_key():
    with pytest.raises(ConfigError, match=r"objectives\[0\]\.oracle: unknown oracle 'jnk3'; choose one of: albuterol_similarity"):
        load_config({"objectives": [{"name": "x", "kind": "oracle", "oracle": "jnk3"}]})
    with pytest.raises(ConfigError, match=r"objectives\[0\]\.oracle: required key missing for kind 'oracle'"):
        load_config({"objectives": [{"name": "qed", "kind": "oracle"}]})
    with pytest.raises(ConfigError, match=r"objectives\[0\]\.oracle: expected a string"):
        load_config({"objectives": [{"name": "x", "kind": "oracle", "oracle": 3}]})

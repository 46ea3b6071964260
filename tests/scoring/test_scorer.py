import math

import numpy as np
import pandas as pd
import pytest

import molgen.scoring
from molgen.scoring import OBJECTIVES, Objective, Scorer

AZO = "CN(C)c1ccc(N=Nc2ccccc2)cc1"  # PAINS azo_A and anil_di_alk_A
ASPIRIN = "CC(=O)Oc1ccccc1C(=O)O"


def _drug_like():
    return Scorer(
        [
            Objective("qed", "qed"),
            Objective("sa", "sa", transform={"kind": "reverse_sigmoid", "low": 2.5, "high": 5.5}),
            Objective(
                "mw",
                "mw",
                transform={"kind": "double_sigmoid", "low": 150.0, "high": 500.0, "coef_div": 500.0, "coef_si": 20.0, "coef_se": 20.0},
            ),
            Objective("logp", "logp", transform={"kind": "step", "low": -1.0, "high": 5.0}, weight=0.5),
            Objective("tpsa", "tpsa", transform={"kind": "step", "high": 140.0}),
            Objective("hbd", "descriptor", transform={"kind": "step", "high": 5.0}, params={"descriptor": "hbd"}),
        ]
    )


def test_scores_in_unit_interval_and_nan_for_bad_smiles(zoo_smiles, zoo_states):
    table = _drug_like().score(zoo_smiles)
    assert list(table["smiles"]) == [str(s) for s in zoo_smiles]
    assert list(table.columns[:3]) == ["smiles", "state", "error"]
    assert table.columns[-1] == "score"
    assert {"qed", "qed_desirability", "hbd", "hbd_desirability"} <= set(table.columns)
    assert list(table["state"]) == zoo_states
    bad = table["state"] != "valid"
    assert table.loc[bad, "score"].isna().all()  # never 0
    assert (table.loc[bad, "error"] != "").all()
    good = table.loc[~bad, "score"]
    assert good.notna().all() and ((good >= 0) & (good <= 1)).all()
    assert (table.loc[~bad, "error"] == "").all()


def test_weighted_aggregation_by_hand(element_model):
    objectives = [
        Objective("atoms", "model", transform={"kind": "clip", "low": 0.0, "high": 10.0}, weight=2.0, predictor=element_model),
        Objective("heavy", "descriptor", transform={"kind": "clip", "low": 0.0, "high": 20.0}, params={"descriptor": "heavy_atoms"}),
    ]
    smiles = ["CCCCC", "CCO"]  # 5 and 3 heavy atoms
    geo = Scorer(objectives).score(smiles)
    ari = Scorer(objectives, aggregation="weighted_arithmetic").score(smiles)
    np.testing.assert_allclose(geo["atoms_desirability"], [0.5, 0.3])
    np.testing.assert_allclose(geo["heavy_desirability"], [0.25, 0.15])
    assert geo["score"][0] == pytest.approx(0.5 ** (2 / 3) * 0.25 ** (1 / 3))  # = 2 ** (-4 / 3)
    assert geo["score"][1] == pytest.approx(0.3 ** (2 / 3) * 0.15 ** (1 / 3))
    assert ari["score"][0] == pytest.approx((2 * 0.5 + 0.25) / 3)
    assert ari["score"][1] == pytest.approx((2 * 0.3 + 0.15) / 3)


def test_zero_desirability_is_zero_but_model_failure_is_nan(element_model):
    scorer = Scorer(
        [
            Objective("atoms", "model", transform={"kind": "clip", "low": 0.0, "high": 10.0}, predictor=element_model),
            Objective("alerts", "alerts", params={"catalogs": ["pains"]}),
        ]
    )
    table = scorer.score([AZO, "CCS", "CCO", "bad("])
    assert table["score"][0] == 0.0  # valid molecule with an alert: a real 0
    assert math.isnan(table["score"][1])  # the model cannot featurize sulfur
    assert table["state"][1] == "featurization_failed"
    assert "atoms: model" in table["error"][1] and "unsupported element S" in table["error"][1]
    assert table["alerts_desirability"][1] == 1.0  # other objectives still reported
    assert table["score"][2] == pytest.approx(math.sqrt(0.3 * 1.0))
    assert math.isnan(table["score"][3]) and table["state"][3] == "invalid_smiles"


def test_predictor_is_called_once_per_batch_and_sees_only_valid_smiles(element_model):
    scorer = Scorer(
        [
            Objective("atoms", "model", transform="clip", predictor=element_model, params={"column": "prediction"}),
            Objective("atoms2", "model", transform={"kind": "clip", "high": 40.0}, predictor=element_model, params={"column": "atoms_x2"}),
        ]
    )
    seen = []
    original = element_model.predict
    element_model.predict = lambda smiles: seen.append(list(smiles)) or original(smiles)
    table = scorer.score(["CCO", "", "xx", "  CCN "])
    assert seen == [["CCO", "CCN"]]
    np.testing.assert_allclose(table["atoms2"], [6.0, np.nan, np.nan, 6.0])


def test_predictor_contract_violations_raise(element_model):
    class Short:
        def predict(self, smiles):
            return pd.DataFrame({"prediction": [1.0]})

    with pytest.raises(ValueError, match="1 rows for 2 SMILES"):
        Scorer([Objective("m", "model", transform="identity", predictor=Short())]).score(["CC", "CCC"])
    with pytest.raises(ValueError, match="no column 'pIC50'"):
        Scorer([Objective("m", "model", transform="identity", predictor=element_model, params={"column": "pIC50"})]).score(["CC"])


def test_identity_out_of_range_is_recorded_not_clipped():
    table = Scorer([Objective("mw", "mw", transform="identity")]).score(["CCO"])
    assert math.isnan(table["score"][0])
    assert "mw: no desirability for raw value 46.069 (identity)" in table["error"][0]


def test_rank_orders_best_first_with_failures_last():
    scorer = Scorer([Objective("heavy", "descriptor", transform={"kind": "clip", "high": 10.0}, params={"descriptor": "heavy_atoms"})])
    smiles = ["CCO", "garbage", "CCCCCC", "C", "", "CCCCCC"]
    ranked = scorer.rank(smiles)
    assert list(ranked.index) == [2, 5, 0, 3, 1, 4]  # ties keep input order
    assert list(ranked["rank"]) == [1, 2, 3, 4, pd.NA, pd.NA]
    scores = ranked["score"].to_numpy()
    assert (np.diff(scores[:4]) <= 0).all() and np.isnan(scores[4:]).all()
    assert list(scorer.rank(smiles, top_k=2)["smiles"]) == ["CCCCCC", "CCCCCC"]
    with pytest.raises(ValueError, match="top_k"):
        scorer.rank(smiles, top_k=0)
    np.testing.assert_allclose(scorer(smiles), scorer.score(smiles)["score"])


def test_similarity_is_one_for_a_reference_and_alerts_penalize_azo():
    scorer = Scorer(
        [
            Objective("sim", "similarity", params={"references": [ASPIRIN, "c1ccccc1"]}),
            Objective("alerts", "alerts", params={"catalogs": ["pains"]}),
        ],
        aggregation="weighted_arithmetic",
    )
    table = scorer.score([ASPIRIN, "c1ccccc1", AZO, "CCCCCCCC"])
    np.testing.assert_allclose(table["sim"][:2], 1.0)
    assert table["sim"][3] < 0.3
    assert list(table["alerts"]) == [0.0, 0.0, 2.0, 0.0]
    assert list(table["alerts_desirability"]) == [1.0, 1.0, 0.0, 1.0]


def test_objective_and_scorer_validation(element_model):
    with pytest.raises(ValueError, match="transform: required for kind 'sa'"):
        Objective("sa", "sa")
    with pytest.raises(ValueError, match="weight: must be a finite number > 0"):
        Objective("qed", "qed", weight=0)
    with pytest.raises(ValueError, match="name: expected"):
        Objective("score", "qed")
    with pytest.raises(ValueError, match="unknown objective kind 'qedd'; choose one of: alerts"):
        Objective("q", "qedd")
    with pytest.raises(ValueError, match="references\\[1\\]: invalid_smiles"):
        Objective("s", "similarity", params={"references": ["CCO", "C1CC"]})
    with pytest.raises(ValueError, match="needs predictor="):
        Objective("m", "model", transform="identity")
    with pytest.raises(ValueError, match="only a 'model' objective"):
        Objective("q", "qed", predictor=element_model)
    with pytest.raises(ValueError, match="duplicate columns: qed"):
        Scorer([Objective("qed", "qed"), Objective("qed", "qed")])
    with pytest.raises(ValueError, match="unknown aggregation 'mean'"):
        Scorer([Objective("qed", "qed")], aggregation="mean")
    with pytest.raises(ValueError, match="at least one"):
        Scorer([])


def test_public_surface():
    namespace = {}
    exec("from molgen.scoring import *", namespace)
    assert all(name in namespace for name in molgen.scoring.__all__)
    assert set(OBJECTIVES) == {"alerts", "descriptor", "logp", "model", "mw", "oracle", "qed", "ring_size", "sa", "similarity", "tpsa"}


def test_descriptor_objective_covers_every_chem_descriptor():
    from molgen.chem import DESCRIPTOR_NAMES, descriptors, parse_smiles

    expected = descriptors(parse_smiles(ASPIRIN))
    for name in DESCRIPTOR_NAMES:
        table = Scorer([Objective("d", "descriptor", transform="clip", params={"descriptor": name})]).score([ASPIRIN])
        assert table["d"][0] == pytest.approx(expected[name])


def test_alerts_take_catalogs_and_own_smarts_and_ring_size_stops_macrocycles():
    scorer = Scorer.from_config(
        {
            "objectives": [
                {"name": "alerts", "kind": "alerts", "catalogs": ["reinvent"], "smarts": ["[Si]"]},
                {"name": "rings", "kind": "ring_size"},
            ]
        }
    )
    table = scorer.score(["CCO", "C[Si](C)(C)C", "CNNC", "C1CCCCCCCCCCCCCCCCCCC1", "c1ccccc1"])
    assert table["alerts"].tolist() == [0.0, 1.0, 1.0, 0.0, 0.0]
    assert table["rings"].tolist() == [0.0, 0.0, 0.0, 20.0, 6.0]
    assert table["score"].tolist() == [1.0, 0.0, 0.0, 0.0, 1.0]
    with pytest.raises(ValueError, match=r"smarts\[0\]: not a valid SMARTS"):
        Scorer.from_config({"objectives": [{"name": "a", "kind": "alerts", "smarts": ["[Si"]}]})
    with pytest.raises(ValueError, match="unknown alert catalog 'nope'; choose one of: brenk, pains, reinvent"):
        Scorer.from_config({"objectives": [{"name": "a", "kind": "alerts", "catalogs": ["nope"]}]})


class _UncertainModel:
    """Prediction 7 for every molecule; uncertainty 0.5 per heavy atom past 3; in domain below 5 atoms."""

    def predict(self, smiles):
        atoms = np.array([len(s.replace("(", "").replace(")", "")) for s in smiles], dtype=float)
        return pd.DataFrame(
            {
                "prediction": np.full(len(smiles), 7.0),
                "uncertainty": 0.5 * np.maximum(atoms - 3, 0),
                "in_domain": atoms < 5,
                "state": "valid",
                "error": "",
            }
        )


def test_uncertainty_penalty_scores_a_lower_confidence_bound_and_in_domain_reads_as_0_1():
    model = _UncertainModel()
    objectives = [
        Objective("lcb", "model", transform={"kind": "step", "low": 5}, params={"uncertainty_penalty": 2.0}, predictor=model),
        Objective("domain", "model", transform={"kind": "step", "low": 1}, params={"column": "in_domain"}, predictor=model),
    ]
    table = Scorer(objectives).score(["CCC", "CCCC", "CCCCCC"])
    assert table["lcb"].tolist() == [7.0, 6.0, 4.0]
    assert table["domain"].tolist() == [1.0, 1.0, 0.0]
    assert table["score"].tolist() == [1.0, 1.0, 0.0]
    with pytest.raises(ValueError, match="uncertainty_penalty: must be a finite number >= 0"):
        Objective("lcb", "model", transform="identity", params={"uncertainty_penalty": -1.0}, predictor=model)


def test_score_table_shows_what_the_model_says_of_its_reliability_once_per_predictor():
    model = _UncertainModel()
    objectives = [
        Objective("pic50", "model", transform={"kind": "sigmoid", "low": 5, "high": 8}, predictor=model),
        Objective("domain", "model", transform={"kind": "step", "low": 1}, params={"column": "in_domain"}, predictor=model),
    ]
    table = Scorer(objectives).score(["CCC", "CCCCCC", "nope"])
    assert table["pic50_uncertainty"].tolist()[:2] == [0.0, 1.5] and np.isnan(table["pic50_uncertainty"].iloc[2])
    assert table["pic50_in_domain"].tolist()[:2] == [1.0, 0.0]
    assert not [c for c in table.columns if c.startswith("domain_") and c != "domain_desirability"]


def test_missing_transform_error_shows_a_working_example():
    with pytest.raises(ValueError, match=r"transform: required for kind 'model'.*e\.g\. transform = \{\"kind\": \"sigmoid\""):
        Objective("pIC50", "model", predictor=_UncertainModel())

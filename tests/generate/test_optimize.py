"""Goal-directed generation: oracle, PMO curves, diversity filter, replay, GB-GA, candidate tables."""

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem

from molgen.data import load_dataset
from molgen.generate.optimize import (
    BUDGET_EXHAUSTED,
    CheckpointMismatchError,
    ExperienceReplay,
    GraphGA,
    Oracle,
    ScaffoldFilter,
    Stage,
    candidate_table,
    crossover,
    draw_candidates,
    mutate,
    pmo_summary,
    top_k_auc,
    top_k_mean,
)
from molgen.scoring import Objective, Scorer


class CountingScorer:
    """A real QED scorer that records every molecule it is asked to score."""

    def __init__(self):
        self.scorer = Scorer([Objective("qed", "qed")])
        self.seen = []

    def score(self, smiles):
        self.seen.extend(smiles)
        return self.scorer.score(smiles)


@pytest.fixture(scope="module")
def qed_scorer():
    return Scorer([Objective("qed", "qed")])


@pytest.fixture(scope="module")
def start_pool():
    return load_dataset("nci_5k", nrows=200).frame["smiles"].tolist()


# ---------------------------------------------------------------- oracle
def test_oracle_counts_distinct_valid_molecules_and_enforces_budget_exactly():
    counting = CountingScorer()
    oracle = Oracle(counting, budget=3)
    table = oracle.score(["CCO", "OCC", "not smiles", "c1ccccc1", ""])
    assert oracle.n_calls == 2  # CCO and OCC are one molecule; invalid strings are free
    assert table["score"].iloc[0] == table["score"].iloc[1]
    assert table["state"].tolist()[2:] == ["invalid_smiles", "valid", "empty"]
    assert np.isnan(table["score"].iloc[2])
    table = oracle.score(["CCN", "CCCl", "CCO", "CCBr"])
    assert oracle.n_calls == 3 and oracle.exhausted and oracle.remaining == 0
    assert table["state"].tolist() == ["valid", BUDGET_EXHAUSTED, "valid", BUDGET_EXHAUSTED]
    assert table["new"].tolist() == [True, False, False, False]
    assert np.isnan(table["score"].iloc[1]) and np.isfinite(table["score"].iloc[2])
    assert sorted(counting.seen) == sorted(["CCO", "c1ccccc1", "CCN"])  # the scorer saw each once
    history = oracle.history()
    assert history["call"].tolist() == [1, 2, 3] and len(history) == oracle.n_calls
    assert {"qed", "qed_desirability"} <= set(history.columns)


def test_oracle_history_round_trip(qed_scorer):
    oracle = Oracle(qed_scorer, budget=10, stage="s")
    oracle.score(["CCO", "c1ccncc1", "CC(=O)O"])
    again = Oracle(qed_scorer, budget=10, stage="s").load_history(oracle.history())
    assert again.n_calls == 3
    assert again.lookup("CCO") == oracle.lookup("CCO")
    again.score(["CCO", "CCN"])
    assert again.n_calls == 4


def test_oracle_rejects_bad_budget(qed_scorer):
    with pytest.raises(ValueError, match="budget"):
        Oracle(qed_scorer, budget=0)


# ---------------------------------------------------------------- PMO curves
def test_top_k_mean_and_auc():
    assert top_k_mean([0.1, 0.9, np.nan, 0.5], k=2) == pytest.approx(0.7)
    assert top_k_mean([0.4], k=4) == pytest.approx(0.1)  # missing places count as 0
    assert top_k_auc(np.ones(100), k=1, freq=1) == pytest.approx(0.995)  # trapezoid from (0, 0)
    # a run that stopped at 50 of 100 calls keeps its last value
    assert top_k_auc(np.ones(50), k=1, budget=100, freq=10) == pytest.approx((5 + 40 + 50) / 100)
    better = top_k_auc(np.linspace(1, 0, 200), k=10)
    worse = top_k_auc(np.linspace(0, 1, 200), k=10)
    assert better > worse
    summary = pmo_summary(np.linspace(0, 1, 300), checkpoints=(100, 300))
    assert summary[300]["top10"] > summary[100]["top10"]
    assert summary[100]["calls"] == 100
    with pytest.raises(ValueError):
        top_k_mean([1.0], k=0)


# ---------------------------------------------------------------- diversity filter and replay
def test_scaffold_filter_penalises_full_buckets_and_repeats():
    f = ScaffoldFilter(bucket_size=2, minimum_score=0.5)
    benzenes = ["c1ccccc1C", "c1ccccc1CC", "c1ccccc1CCC", "c1ccccc1CCCC"]
    out = f(benzenes, [0.9, 0.8, 0.9, 0.7])
    assert out.tolist() == [0.9, 0.8, 0.0, 0.0]
    out = f(["C1CCCCC1C", "c1ccccc1C", "c1ccccc1O", "CCO"], [0.9, 0.9, 0.3, np.nan])
    assert out[0] == 0.9  # another scaffold has its own bucket
    assert out[1] == 0.0  # a molecule already in memory earns nothing again
    assert out[2] == 0.3  # below the minimum score: unchanged and not remembered
    assert np.isnan(out[3])
    assert f.n_scaffolds == 2 and f.is_full("c1ccccc1N")
    copy = ScaffoldFilter.from_dict(f.to_dict())
    assert copy(["c1ccccc1CCCCC"], [0.9]).tolist() == [0.0]
    soft = ScaffoldFilter(bucket_size=1, minimum_score=0.0, penalty=0.5)
    assert soft(["c1ccccc1C", "c1ccccc1N"], [0.8, 0.8]).tolist() == [0.8, 0.4]
    with pytest.raises(ValueError, match="bucket_size"):
        ScaffoldFilter(bucket_size=0)


def test_experience_replay_keeps_the_best_and_samples_reproducibly():
    replay = ExperienceReplay(capacity=3, sample_size=2)
    replay.add(["A", "B", "C", "D"], [0.1, 0.9, 0.5, np.nan])
    replay.add(["E", "B"], [0.7, 0.2])
    assert replay.memory == {"B": 0.9, "E": 0.7, "C": 0.5}
    a = replay.sample(np.random.default_rng(1))
    b = ExperienceReplay.from_dict(replay.to_dict()).sample(np.random.default_rng(1))
    assert a[0] == b[0] and len(set(a[0])) == 2


# ---------------------------------------------------------------- GB-GA
def test_mutation_and_crossover_give_valid_new_molecules():
    rng = np.random.default_rng(0)
    a, b = Chem.MolFromSmiles("CC(=O)Oc1ccccc1C(=O)O"), Chem.MolFromSmiles("Cn1c(=O)c2c(ncn2C)n(C)c1=O")
    before = Chem.MolToSmiles(a)
    children = [crossover(a, b, rng) for _ in range(20)]
    children = [c for c in children if c is not None]
    assert len(children) >= 10
    assert Chem.MolToSmiles(a) == before  # parents untouched
    for child in children:
        smi = Chem.MolToSmiles(child)
        assert Chem.MolFromSmiles(smi) is not None
        assert smi not in (before, Chem.MolToSmiles(b))
    mutated = [mutate(c, rng, 1.0) for c in children]
    assert any(m is not None and Chem.MolToSmiles(m) != Chem.MolToSmiles(c) for m, c in zip(mutated, children))
    assert mutate(a, rng, 0.0) is a


def test_ga_improves_qed_over_its_start_population(qed_scorer, start_pool):
    ga = GraphGA(start_pool, population_size=20, offspring_size=20, seed=0)
    result = ga.run(qed_scorer, budget=200)
    assert result.finished and result.n_calls == 200
    scores = result.scores()
    start = scores[:20]  # the first population is scored first
    assert top_k_mean(scores, 5) > top_k_mean(start, 5) + 0.05
    assert top_k_mean(scores, 5) > 0.85


def test_ga_is_reproducible_from_its_seed(qed_scorer, start_pool):
    runs = [GraphGA(start_pool, population_size=10, offspring_size=10, seed=s).run(qed_scorer, budget=60) for s in (3, 3, 4)]
    pd.testing.assert_frame_equal(runs[0].history, runs[1].history)
    assert runs[0].history["smiles"].tolist() != runs[2].history["smiles"].tolist()


def test_ga_resume_equals_uninterrupted_run(qed_scorer, start_pool, tmp_path):
    ga = GraphGA(start_pool, population_size=10, offspring_size=10, seed=5)
    full = ga.run(qed_scorer, budget=80)
    part = ga.run(qed_scorer, budget=80, checkpoint_dir=tmp_path, max_steps=3)
    assert not part.finished and part.n_calls < 80
    assert (tmp_path / "checkpoint" / "state.json").is_file()
    resumed = GraphGA(start_pool, population_size=10, offspring_size=10, seed=5).run(
        qed_scorer, budget=80, checkpoint_dir=tmp_path, resume=True
    )
    assert resumed.finished
    pd.testing.assert_frame_equal(resumed.history, full.history, check_dtype=False)
    with pytest.raises(CheckpointMismatchError, match="seed"):
        GraphGA(start_pool, population_size=10, offspring_size=10, seed=6).run(qed_scorer, budget=80, checkpoint_dir=tmp_path, resume=True)


def test_staged_ga_run_uses_each_stage_budget(qed_scorer, start_pool):
    cheap = Scorer([Objective("alerts", "alerts")])
    stages = [Stage(cheap, 30, "filters"), Stage(qed_scorer, 40, "qed")]
    result = GraphGA(start_pool, population_size=10, offspring_size=10, seed=0).run(stages)
    counts = result.history["stage"].value_counts().to_dict()
    assert counts == {"filters": 30, "qed": 40}
    assert result.stages == ["filters", "qed"] and len(result.scores()) == 40
    assert "qed" not in result.stage_history("filters").dropna(axis=1, how="all").columns
    with pytest.raises(ValueError, match="budget"):
        GraphGA(start_pool).run(qed_scorer)


def test_ga_rejects_a_tiny_start_pool():
    with pytest.raises(ValueError, match="two valid"):
        GraphGA(["CCO", "garbage"])


# ---------------------------------------------------------------- output for chemists
def test_candidate_table_and_image_grid(qed_scorer, start_pool, tmp_path):
    result = GraphGA(start_pool, population_size=10, offspring_size=10, seed=1).run(qed_scorer, budget=40)
    actives = pd.DataFrame({"smiles": ["CC(=O)Nc1ccc(O)cc1", "CC(=O)Oc1ccccc1C(=O)O"], "pIC50": [6.5, 7.1]})
    table = candidate_table(result, training_smiles=start_pool, actives=actives, activity_col="pIC50", top_n=15)
    assert len(table) == 15 and table["rank"].tolist() == list(range(1, 16))
    assert table["score"].is_monotonic_decreasing
    for col in (
        "smiles",
        "qed",
        "train_similarity",
        "novel",
        "nearest_active",
        "nearest_active_similarity",
        "nearest_active_pIC50",
        "alerts",
    ):
        assert col in table.columns, col
    assert table["train_similarity"].between(0, 1).all()
    start_canon = {Chem.MolToSmiles(Chem.MolFromSmiles(s)) for s in start_pool if Chem.MolFromSmiles(s)}
    assert table["novel"].tolist() == [s not in start_canon for s in table["smiles"]]
    assert (table.loc[~table["novel"], "train_similarity"] == 1.0).all()
    assert set(table["nearest_active"]) <= set(actives["smiles"])
    plain = candidate_table(["CCO", "bad", "c1ccccc1O"], scorer=qed_scorer)
    assert len(plain) == 2 and "alerts" in plain.columns
    png = draw_candidates(table, tmp_path / "top.png", n=6)
    assert (tmp_path / "top.png").read_bytes()[:4] == b"\x89PNG" and png.size == (4 * 260, 2 * 220)  # 6 molecules, 4 per row
    svg = draw_candidates(table, tmp_path / "top.svg", n=4)
    assert "<svg" in svg and (tmp_path / "top.svg").is_file()
    with pytest.raises(ValueError, match="scorer"):
        candidate_table(["CCO"])
    with pytest.raises(ValueError, match=".png or .svg"):
        draw_candidates(table, tmp_path / "top.jpg")

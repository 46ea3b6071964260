"""REINVENT-style RL and the plain-sampling baseline, on a tiny prior that needs no training.

The tiny prior's vocabulary is C, O and N only, so every non-empty string it samples is a
valid chain molecule; an untrained GRU makes short chains, and the scorer rewards size.
"""

import numpy as np
import pandas as pd
import pytest
import torch

from molgen.generate import Prior, SmilesTokenizer
from molgen.generate.optimize import (
    CheckpointMismatchError,
    PriorSampling,
    Reinvent,
    Stage,
    candidate_table,
    top_k_mean,
)
from molgen.scoring import Objective, Scorer


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Small recurrent nets run faster on one thread, above all on a busy machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def tiny_prior():
    torch.manual_seed(0)
    return Prior(
        SmilesTokenizer(["C", "O", "N"]), architecture="gru", hidden_size=32, num_layers=1, embedding_dim=8, max_length=24, device="cpu"
    )


@pytest.fixture(scope="module")
def size_scorer():
    return Scorer(
        [Objective("size", "descriptor", params={"descriptor": "heavy_atoms"}, transform={"kind": "sigmoid", "low": 2.0, "high": 14.0})]
    )


def _agent(prior, seed=0, **kw):
    return Reinvent(prior, batch_size=32, sigma=50.0, learning_rate=5e-3, seed=seed, **kw)


def _weights(prior):
    return {k: v.clone() for k, v in prior.module.state_dict().items()}


def test_rl_raises_the_mean_score_and_leaves_the_prior_alone(tiny_prior, size_scorer):
    before = _weights(tiny_prior)
    result = _agent(tiny_prior).run(size_scorer, budget=300)
    log = pd.DataFrame(result.info["log"])
    assert result.finished and result.n_calls == 300
    assert log["mean_score"].tail(3).mean() > log["mean_score"].head(3).mean() + 0.15
    for k, v in _weights(tiny_prior).items():
        assert torch.equal(v, before[k]), k
    baseline = PriorSampling(tiny_prior, batch_size=32, seed=0).run(size_scorer, budget=300)
    assert baseline.n_calls == 300
    assert top_k_mean(result.scores(), 10) > top_k_mean(baseline.scores(), 10)


def test_rl_is_reproducible_and_resume_equals_uninterrupted(tiny_prior, size_scorer, tmp_path):
    full = _agent(tiny_prior, seed=7).run(size_scorer, budget=150)
    again = _agent(tiny_prior, seed=7).run(size_scorer, budget=150)
    pd.testing.assert_frame_equal(full.history, again.history)
    part = _agent(tiny_prior, seed=7).run(size_scorer, budget=150, checkpoint_dir=tmp_path, max_steps=2)
    assert not part.finished
    assert (tmp_path / "checkpoint" / "agent" / "weights.safetensors").is_file()
    resumed = _agent(tiny_prior, seed=7).run(size_scorer, budget=150, checkpoint_dir=tmp_path, resume=True)
    assert resumed.finished
    pd.testing.assert_frame_equal(resumed.history, full.history, check_dtype=False)
    pd.testing.assert_frame_equal(pd.DataFrame(resumed.info["log"]), pd.DataFrame(full.info["log"]))
    with pytest.raises(CheckpointMismatchError, match="config"):
        _agent(tiny_prior, seed=7, replay=None).run(size_scorer, budget=150, checkpoint_dir=tmp_path, resume=True)


def test_staged_rl_run_and_budget_accounting(tiny_prior, size_scorer):
    qed = Scorer([Objective("qed", "qed")])
    result = _agent(tiny_prior, seed=1).run([Stage(qed, 40, "druglike"), Stage(size_scorer, 50, "size")])
    assert result.history["stage"].value_counts().to_dict() == {"druglike": 40, "size": 50}
    assert result.history.groupby("stage")["call"].max().to_dict() == {"druglike": 40, "size": 50}
    assert np.isfinite(result.scores()).all()
    table = candidate_table(result, top_n=5)
    assert len(table) == 5 and table["score"].is_monotonic_decreasing


def test_rl_rejects_bad_settings(tiny_prior):
    with pytest.raises(ValueError, match="batch_size"):
        Reinvent(tiny_prior, batch_size=0)
    with pytest.raises(ValueError, match="bucket_size"):
        Reinvent(tiny_prior, diversity_filter={"bucket_size": 0})
    with pytest.raises(ValueError, match="Prior"):
        Reinvent(object())

"""``molgen generate optimize`` end to end with a GA, a real (tiny) efficacy model and staged scorers."""

import contextlib
import io
import json

import numpy as np
import pandas as pd
import pytest

from molgen.cli import main
from molgen.data import load_dataset
from molgen.efficacy import fit_efficacy_model
from molgen.train import TrainConfig

MODEL_SCORER = """
[[objectives]]
name = "efficacy"
kind = "model"
model = "unused-when-model-dir-is-given"
weight = 2.0
transform = { kind = "sigmoid", low = 5.0, high = 8.0 }

[[objectives]]
name = "qed"
kind = "qed"
"""

FILTER_SCORER = """
[[objectives]]
name = "alerts"
kind = "alerts"

[[objectives]]
name = "sa"
kind = "sa"
transform = { kind = "reverse_sigmoid", low = 2.5, high = 5.5 }
"""


def _run(*args):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["generate", "optimize", *map(str, args)])
    return code, err.getvalue()


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    folder = tmp_path_factory.mktemp("optimize_cli")
    data = load_dataset("chembl2321810").frame
    train = data.head(120)
    model = fit_efficacy_model(
        train.smiles,
        train.pIC50,
        target_names=["pIC50"],
        ensemble_size=2,
        coverage=0.8,
        model_options={"hidden": 16},
        train_config=TrainConfig(epochs=2, warmup_epochs=1),
    )
    model.save(folder / "model")
    data.iloc[120:180][["smiles"]].to_csv(folder / "start.csv", index=False)
    train[["smiles", "pIC50"]].to_csv(folder / "actives.csv", index=False)
    (folder / "model.toml").write_text(MODEL_SCORER)
    (folder / "filters.toml").write_text(FILTER_SCORER)
    return folder


def test_staged_ga_run_writes_a_ranked_annotated_table(work):
    out = work / "run"
    args = [
        "--method",
        "ga",
        "--scorer",
        work / "filters.toml",
        "--budget",
        30,
        "--scorer",
        work / "model.toml",
        "--budget",
        40,
        "--model-dir",
        work / "model",
        "--start",
        work / "start.csv",
        "--population-size",
        12,
        "--offspring-size",
        12,
        "--actives",
        work / "actives.csv",
        "--activity-col",
        "pIC50",
        "--train-data",
        work / "actives.csv",
        "--top",
        10,
        "--seed",
        3,
        "--out",
        out,
        "--quiet",
    ]
    code, err = _run(*args)
    assert code == 0, err
    table = pd.read_csv(out / "candidates.csv")
    assert len(table) == 10 and table["rank"].tolist() == list(range(1, 11))
    for col in (
        "smiles",
        "score",
        "efficacy",
        "efficacy_desirability",
        "qed",
        "prediction",
        "uncertainty",
        "lower",
        "upper",
        "ad_similarity",
        "train_similarity",
        "novel",
        "nearest_active",
        "nearest_active_similarity",
        "nearest_active_pIC50",
        "alerts",
    ):
        assert col in table.columns, col
    # the model the scorer used (float32 sums differ slightly between batch compositions)
    assert np.allclose(table["prediction"], table["efficacy"], rtol=1e-4)
    history = pd.read_csv(out / "history.csv")
    assert history["stage"].value_counts().to_dict() == {"0-filters": 30, "1-model": 40}
    summary = json.loads((out / "summary.json").read_text())
    assert summary["stages"]["1-model"] == {"budget": 40, "calls": 40} and summary["finished"]
    assert (out / "top.png").read_bytes()[:4] == b"\x89PNG"

    code, err = _run(*args)  # same folder without --resume: refused, nothing overwritten
    assert code == 2 and "--resume" in err
    code, err = _run(*args, "--resume")  # a finished run resumes to the same result
    assert code == 0, err
    pd.testing.assert_frame_equal(pd.read_csv(out / "candidates.csv"), table)


def test_optimize_reports_bad_input_in_one_line(work):
    code, err = _run(
        "--method", "ga", "--scorer", work / "missing.toml", "--budget", 10, "--out", work / "x", "--start", work / "start.csv"
    )
    assert code == 2 and "missing.toml" in err
    code, err = _run(
        "--method",
        "ga",
        "--scorer",
        work / "filters.toml",
        "--budget",
        10,
        "--budget",
        20,
        "--scorer",
        work / "filters.toml",
        "--scorer",
        work / "filters.toml",
        "--out",
        work / "y",
        "--start",
        work / "start.csv",
    )
    assert code == 2 and "--budget" in err


SIZE_SCORER = """
[[objectives]]
name = "size"
kind = "descriptor"
descriptor = "heavy_atoms"
transform = { kind = "sigmoid", low = 2.0, high = 14.0 }
"""


def test_rl_run_with_a_custom_prior_saves_the_tuned_agent(work):
    import torch

    from molgen.generate import Prior, SmilesTokenizer

    torch.manual_seed(0)
    Prior(SmilesTokenizer(["C", "O", "N"]), hidden_size=16, num_layers=1, embedding_dim=8, max_length=20, device="cpu").save(
        work / "tiny_prior"
    )
    (work / "size.toml").write_text(SIZE_SCORER)
    out = work / "rl"
    code, err = _run(
        "--method",
        "rl",
        "--scorer",
        work / "size.toml",
        "--budget",
        40,
        "--prior",
        work / "tiny_prior",
        "--batch-size",
        16,
        "--sigma",
        50,
        "--out",
        out,
        "--quiet",
        "--top",
        5,
    )
    assert code == 0, err
    assert len(pd.read_csv(out / "history.csv")) == 40
    assert len(pd.read_csv(out / "candidates.csv")) == 5
    agent = Prior.load(out / "agent")
    assert agent.tokenizer.vocab == Prior.load(work / "tiny_prior").tokenizer.vocab

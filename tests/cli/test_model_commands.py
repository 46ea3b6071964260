"""``molgen train / predict / evaluate / score``: tiny models, aligned outputs, one-line user errors."""

import contextlib
import io
import json
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from molgen.cli import main
from molgen.data import load_dataset
from molgen.efficacy import load_model

TINY = ["--epochs", "2", "--hidden", "32", "--quiet"]
#: 80 rows give too few calibration molecules for 90 % intervals with the default sizes.
SIZES = ["--sizes", "0.6", "0.1", "0.15", "0.15"]

#: Prediction input: two good molecules around three bad rows, and a column named like an output.
QUERY = """id,smiles,prediction
q1,CC(=O)Oc1ccccc1C(=O)O,1
q2,,2
q3,not a smiles,3
q4,C1CC,4
q5,Cn1c(=O)c2c(ncn2C)n(C)c1=O,5
"""
QUERY_STATES = ["valid", "empty", "invalid_smiles", "invalid_smiles", "valid"]


def _run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def _one_line_error(code, out, err, message):
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert message in err, err


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli_models")
    frame = load_dataset("chembl2321810").frame.head(80)
    frame.to_csv(folder / "train.csv", index=False)
    (folder / "query.csv").write_text(QUERY)
    return folder


@pytest.fixture(scope="module")
def trained(work):
    """A tiny regression model trained once through ``molgen train``; (model dir, stdout, stderr)."""
    model_dir = work / "models" / "pic50"
    args = ["train", "--data", work / "train.csv", "--smiles-col", "smiles", "--target-col", "pIC50", "--id-col", "id"]
    args += ["--out", model_dir, "--ensemble-size", "2", "--seed", "1", *TINY, *SIZES]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    assert code == 0, err.getvalue()
    return model_dir, out.getvalue(), err.getvalue()


# ----------------------------------------------------------------------------- train


def test_train_summary_and_model(trained):
    model_dir, out, err = trained
    assert err == ""  # --quiet: no progress bars
    assert "80 read" in out and "80 molecules used" in out
    parts = re.search(r"train (\d+), valid (\d+), calibration (\d+), test (\d+)", out)
    assert parts and sum(map(int, parts.groups())) == 80 and int(parts.group(3)) >= 9
    for word in ("RMSE", "MAE", "R2", "Spearman", "coverage", str(model_dir)):
        assert word in out, word
    model = load_model(model_dir)
    assert model.task == "regression" and len(model.members) == 2 and model.calibrator is not None
    assert model.model_config.hidden == 32 and model.info["train_config"]["epochs"] == 2
    assert model.info["data"]["smiles_col"] == "smiles"
    assert model.kernel is not None and model.forest is None
    assert re.search(r"blend +pIC50: ensemble [01]\.\d\d, kernel [01]\.\d\d \(weights chosen on the valid part\)", out)


def test_train_binary_text_labels(work, tmp_path, capsys):
    frame = load_dataset("chembl2321810").frame.head(80).copy()
    frame["activity"] = np.where(frame["pIC50"] > frame["pIC50"].median(), "active", "inactive")
    frame.loc[3, "activity"] = ""  # a missing label is dropped and counted
    data = tmp_path / "labels.csv"
    frame.drop(columns="pIC50").to_csv(data, index=False)
    model_dir = tmp_path / "binary"
    code, out, err = _run(
        capsys,
        "train",
        "--data",
        data,
        "--smiles-col",
        "smiles",
        "--target-col",
        "activity",
        "--task",
        "classification",
        "--out",
        model_dir,
        "--ensemble-size",
        "1",
        *TINY,
    )
    assert code == 0, err
    assert "'inactive' -> 0, 'active' -> 1" in err
    assert "ROC-AUC" in out and "balanced accuracy" in out and "1 without a label" in out
    model = load_model(model_dir)
    assert model.task == "binary"
    assert model.info["label_mapping"] == {"activity": {"inactive": 0, "active": 1}}

    # evaluate maps the text labels through the stored mapping and draws a ROC curve
    code, out, err = _run(
        capsys,
        "evaluate",
        "--model",
        model_dir,
        "--data",
        data,
        "--smiles-col",
        "smiles",
        "--target-col",
        "activity",
        "--out",
        tmp_path / "eval",
        "--json",
    )
    assert code == 0, err
    report = json.loads(out)
    assert report["targets"]["activity"]["n"] == 79
    assert {"roc_auc", "pr_auc", "balanced_accuracy"} <= set(report["targets"]["activity"])
    assert (tmp_path / "eval" / "roc_activity.png").read_bytes()[:4] == b"\x89PNG"


def test_train_three_text_labels_is_an_error(work, tmp_path, capsys):
    data = tmp_path / "three.csv"
    data.write_text("smiles,label\nCCO,a\nCCN,b\nCCC,c\n")
    code, out, err = _run(
        capsys,
        "train",
        "--data",
        data,
        "--smiles-col",
        "smiles",
        "--target-col",
        "label",
        "--task",
        "binary",
        "--out",
        tmp_path / "m",
    )
    _one_line_error(code, out, err, "3 distinct text labels")
    assert not (tmp_path / "m").exists()


def test_train_with_descriptors_then_predict(work, tmp_path, capsys):
    model_dir = tmp_path / "desc"
    code, out, err = _run(
        capsys,
        "train",
        "--data",
        work / "train.csv",
        "--smiles-col",
        "smiles",
        "--target-col",
        "pIC50",
        "--descriptors",
        "morgan_counts",
        "--valid-split",
        "random",
        "--kernel",
        "none",
        "--forest",
        "--out",
        model_dir,
        "--ensemble-size",
        "1",
        *TINY,
        *SIZES,
    )
    assert code == 0, err
    model = load_model(model_dir)
    assert model.kernel is None and model.info["blend"]["members"] == ["ensemble", "forest"]
    assert (model.forest is None) == (not (model_dir / "kernel.safetensors").exists())  # kept only with weight
    assert model.descriptors.kind == "morgan_counts" and model.model_config.descriptor_dim == 2048
    assert model.info["split_method"] == "scaffold" and model.info["valid_split"] == "random"
    code, out, err = _run(
        capsys, "predict", "--model", model_dir, "--data", work / "query.csv", "--smiles-col", "smiles", "--out", tmp_path / "p.csv"
    )
    assert code == 0, err
    assert pd.read_csv(tmp_path / "p.csv", keep_default_na=False)["state"].tolist() == QUERY_STATES
    with pytest.raises(SystemExit) as exit_info:
        _run(
            capsys,
            "train",
            "--data",
            work / "train.csv",
            "--smiles-col",
            "smiles",
            "--target-col",
            "pIC50",
            "--descriptors",
            "mordred",
            "--out",
            tmp_path / "m2",
        )
    assert exit_info.value.code == 2 and "invalid choice: 'mordred'" in capsys.readouterr().err


# ----------------------------------------------------------------------------- predict


def test_predict_keeps_rows_order_and_columns(trained, work, tmp_path, capsys):
    model_dir, _, _ = trained
    out_path = tmp_path / "pred.csv"
    code, out, err = _run(
        capsys, "predict", "--model", model_dir, "--data", work / "query.csv", "--smiles-col", "smiles", "--out", out_path
    )
    assert code == 0, err
    assert out == "" and "5 rows: 2 valid" in err and "2 invalid_smiles" in err and "1 empty" in err
    table = pd.read_csv(out_path, dtype={"id": str})
    assert table["id"].tolist() == ["q1", "q2", "q3", "q4", "q5"]
    assert table.columns[:3].tolist() == ["id", "smiles", "prediction"]  # input columns first, untouched
    assert table["prediction"].tolist() == [1, 2, 3, 4, 5]
    assert list(table.columns).count("smiles") == 1 and "smiles_std" in table.columns
    assert {"molgen_prediction", "uncertainty", "lower", "upper", "ad_similarity", "state", "error"} <= set(table.columns)
    assert table["state"].tolist() == QUERY_STATES
    bad = table["state"] != "valid"
    assert table.loc[bad, "molgen_prediction"].isna().all() and table.loc[~bad, "molgen_prediction"].notna().all()
    assert table.loc[bad, "error"].notna().all()
    assert [p.name for p in tmp_path.iterdir()] == ["pred.csv"]  # no temporary files left behind


@pytest.mark.parametrize("name", ["pred.parquet", "pred.csv.gz"])
def test_predict_other_formats(trained, work, tmp_path, capsys, name):
    model_dir, _, _ = trained
    code, _, err = _run(
        capsys,
        "predict",
        "--model",
        model_dir,
        "--data",
        work / "query.csv",
        "--smiles-col",
        "smiles",
        "--out",
        tmp_path / name,
        "--batch-size",
        "2",
    )
    assert code == 0, err
    table = pd.read_parquet(tmp_path / name) if name.endswith(".parquet") else pd.read_csv(tmp_path / name)
    assert len(table) == 5 and table["state"].tolist() == QUERY_STATES
    assert table["id"].tolist() == ["q1", "q2", "q3", "q4", "q5"]


# ----------------------------------------------------------------------------- evaluate


def test_evaluate_writes_metrics_and_parity_plot(trained, work, tmp_path, capsys):
    model_dir, _, _ = trained
    frame = pd.read_csv(work / "train.csv").rename(columns={"pIC50": "measured"})
    data = tmp_path / "labelled.parquet"
    frame.to_parquet(data)
    out_dir = tmp_path / "report"
    code, out, err = _run(
        capsys,
        "evaluate",
        "--model",
        model_dir,
        "--data",
        data,
        "--smiles-col",
        "smiles",
        "--target-col",
        "measured",
        "--out",
        out_dir,
    )
    assert code == 0, err
    assert "'measured' -> 'pIC50'" in err  # mapped by position, and said so
    assert "RMSE" in out and "coverage" in out
    metrics = json.loads((out_dir / "metrics.json").read_text())
    target = metrics["targets"]["pIC50"]
    assert target["column"] == "measured" and target["n"] == 80
    assert {"rmse", "mae", "r2", "spearman", "coverage", "miscalibration_area"} <= set(target)
    assert 0 <= target["coverage"] <= 1
    assert (out_dir / "parity_pIC50.png").read_bytes()[:4] == b"\x89PNG"
    assert sorted(p.name for p in out_dir.iterdir()) == ["metrics.json", "parity_pIC50.png"]


def test_evaluate_wrong_number_of_targets(trained, work, capsys):
    model_dir, _, _ = trained
    code, out, err = _run(
        capsys,
        "evaluate",
        "--model",
        model_dir,
        "--data",
        work / "train.csv",
        "--smiles-col",
        "smiles",
        "--target-col",
        "pIC50",
        "--target-col",
        "id",
    )
    _one_line_error(code, out, err, "predicts 1 target(s) (pIC50)")


# ----------------------------------------------------------------------------- score


def test_score_ranks_with_model_and_qed(trained, work, tmp_path, capsys, monkeypatch):
    model_dir, _, _ = trained
    config = model_dir.parent / "scorer.toml"  # the model path is relative to the config's folder
    config.write_text(
        '[[objectives]]\nname = "efficacy"\nkind = "model"\nmodel = "pic50"\nweight = 2.0\n'
        'transform = { kind = "sigmoid", low = 4.0, high = 8.0 }\n\n'
        '[[objectives]]\nname = "qed"\nkind = "qed"\n'
    )
    monkeypatch.chdir(tmp_path)
    code, _, err = _run(capsys, "score", "--config", config, "--data", work / "query.csv", "--smiles-col", "smiles", "--out", "ranked.csv")
    assert code == 0, err
    assert "2 scored, 3 failed" in err
    table = pd.read_csv(tmp_path / "ranked.csv", dtype={"id": str})
    assert len(table) == 5 and sorted(table["id"]) == ["q1", "q2", "q3", "q4", "q5"]
    assert table.columns[:4].tolist() == ["rank", "id", "smiles", "prediction"]
    assert {"efficacy", "efficacy_desirability", "qed", "qed_desirability", "score", "state", "error"} <= set(table.columns)
    scores = table["score"].to_numpy()
    assert np.isfinite(scores[:2]).all() and np.isnan(scores[2:]).all()  # NaN scores last
    assert scores[0] >= scores[1]
    assert table["rank"].tolist()[:2] == [1, 2] and table["rank"].iloc[2:].isna().all()
    assert set(table["id"].iloc[:2]) == {"q1", "q5"}
    # each row keeps its own input columns
    assert all(table["prediction"] == table["id"].str[1:].astype(int))

    code, _, err = _run(
        capsys,
        "score",
        "--config",
        config,
        "--data",
        work / "query.csv",
        "--smiles-col",
        "smiles",
        "--out",
        "top.parquet",
        "--top-k",
        "1",
    )
    assert code == 0, err
    top = pd.read_parquet(tmp_path / "top.parquet")
    assert len(top) == 1 and top["id"].iloc[0] == table["id"].iloc[0]


# ----------------------------------------------------------------------------- errors


def test_user_errors_are_one_line(trained, work, tmp_path, capsys):
    model_dir, _, _ = trained
    query = work / "query.csv"
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "weights.pt").write_bytes(b"not a model")
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "molgen_model.json").write_text('{"format": "something-else"}')
    not_a_folder = tmp_path / "file.txt"
    not_a_folder.write_text("x")
    bad_config = tmp_path / "bad.toml"
    bad_config.write_text('[[objectives]]\nname = "x"\nkind = "qedd"\n')
    out = tmp_path / "out.csv"
    predict = ["predict", "--model", model_dir, "--data", query, "--smiles-col", "smiles"]
    cases = [
        (
            ["predict", "--model", model_dir, "--data", query, "--smiles-col", "smile", "--out", out],
            "'smile' not found; did you mean 'smiles'? (columns: id, smiles, prediction)",
        ),
        (
            ["train", "--data", work / "train.csv", "--smiles-col", "smiles", "--target-col", "pic50", "--out", tmp_path / "m"],
            "column 'pic50' not found; did you mean 'pIC50'? (columns: id, smiles, pIC50)",
        ),
        (
            ["predict", "--model", foreign, "--data", query, "--smiles-col", "smiles", "--out", out],
            "not a molgen model directory (no molgen_model.json; found: weights.pt)",
        ),
        (
            ["evaluate", "--model", corrupt, "--data", query, "--smiles-col", "smiles", "--target-col", "prediction"],
            "not a molgen model (format tag",
        ),
        (
            ["predict", "--model", tmp_path / "missing_model", "--data", query, "--smiles-col", "smiles", "--out", out],
            "not a model directory (no such folder)",
        ),
        ([*predict[:3], "--data", tmp_path / "missing.csv", "--smiles-col", "smiles", "--out", out], "missing.csv: no such file"),
        ([*predict, "--out", not_a_folder / "out.csv"], "is not a folder"),
        ([*predict, "--out", tmp_path / "nowhere" / "out.csv"], "does not exist"),
        ([*predict, "--out", tmp_path / "out.xlsx"], "unsupported output file type"),
        (
            ["score", "--config", bad_config, "--data", query, "--smiles-col", "smiles", "--out", out],
            "objectives[0].kind: unknown objective kind 'qedd'",
        ),
        (["score", "--config", tmp_path / "none.toml", "--data", query, "--smiles-col", "smiles", "--out", out], "no such config file"),
        (
            ["train", "--data", work / "train.csv", "--smiles-col", "smiles", "--target-col", "pIC50", "--out", foreign, *TINY, *SIZES],
            "exists and is not a molgen model directory",
        ),
        (
            [
                "train",
                "--data",
                work / "train.csv",
                "--smiles-col",
                "smiles",
                "--target-col",
                "pIC50",
                "--out",
                tmp_path / "m",
                "--split",
                "scaffolds",
            ],
            "unknown split method 'scaffolds'; choose one of:",
        ),
    ]
    for args, message in cases:
        code, stdout, err = _run(capsys, *args)
        _one_line_error(code, stdout, err, message)
    assert not out.exists() and not (tmp_path / "m").exists()
    assert sorted(p.name for p in foreign.iterdir()) == ["weights.pt"]


def test_failed_write_leaves_no_file(trained, work, tmp_path, capsys, monkeypatch):
    model_dir, _, _ = trained

    def disk_full(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", disk_full)
    code, out, err = _run(
        capsys,
        "predict",
        "--model",
        model_dir,
        "--data",
        work / "query.csv",
        "--smiles-col",
        "smiles",
        "--out",
        tmp_path / "pred.csv",
    )
    _one_line_error(code, out, err, "No space left on device")
    assert list(tmp_path.iterdir()) == []


def test_subprocess_train_too_small_for_calibration(work, tmp_path):
    """``python -m molgen train``: a calibration part too small for the coverage fails before training."""
    model_dir = tmp_path / "never"
    command = [sys.executable, "-m", "molgen", "train", "--data", str(work / "train.csv"), "--smiles-col", "smiles"]
    command += ["--target-col", "pIC50", "--out", str(model_dir), *TINY]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1
    assert "calibration" in done.stderr and "--sizes" in done.stderr
    assert not model_dir.exists()

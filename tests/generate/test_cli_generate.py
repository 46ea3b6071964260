"""``molgen generate sample`` and ``train-prior`` through the CLI."""

import re

import pandas as pd
import pytest

from molgen.cli import main


def test_sample_with_shipped_prior_csv_and_parquet(tmp_path):
    out = tmp_path / "samples.csv"
    assert main(["generate", "sample", "--n", "64", "--seed", "5", "--out", str(out)]) == 0
    table = pd.read_csv(out, keep_default_na=False)
    assert len(table) == 64
    assert {"smiles", "state", "error", "log_likelihood"} <= set(table.columns)
    assert set(table["state"]) <= {"valid", "invalid_smiles", "duplicate"}
    pq = tmp_path / "samples.parquet"
    assert main(["generate", "sample", "--n", "64", "--seed", "5", "--out", str(pq)]) == 0
    again = pd.read_parquet(pq)
    assert again["raw_smiles"].tolist() == table["raw_smiles"].tolist()


def test_sample_bad_model_dir_is_a_clear_error(tmp_path, capsys):
    assert main(["generate", "sample", "--n", "3", "--out", str(tmp_path / "o.csv"), "--model", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "prior.json is missing" in err and err.count("\n") == 1
    assert main(["generate", "sample", "--n", "3", "--out", str(tmp_path / "o.txt")]) == 2
    assert "unsupported output" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["generate", "sample", "--n", "0", "--out", str(tmp_path / "o.csv")])


def test_train_prior_then_sample_and_resume(tmp_path, moses_csv, capsys):
    args = [
        "generate",
        "train-prior",
        "--data",
        str(moses_csv),
        "--out",
        str(tmp_path / "p"),
        "--hidden-size",
        "16",
        "--num-layers",
        "1",
        "--embedding-dim",
        "8",
        "--batch-size",
        "32",
        "--val-size",
        "20",
        "--device",
        "cpu",
        "--quiet",
    ]
    assert main([*args, "--max-molecules", "64"]) == 0
    assert re.search(r"trained on \d+ molecules", capsys.readouterr().err)
    assert main([*args, "--max-molecules", "64"]) == 2  # a checkpoint exists: must say --resume
    assert "resume" in capsys.readouterr().err
    assert main([*args, "--max-molecules", "128", "--resume"]) == 0
    assert "validation NLL" in capsys.readouterr().err
    out = tmp_path / "s.csv"
    assert main(["generate", "sample", "--n", "10", "--model", str(tmp_path / "p"), "--out", str(out)]) == 0
    assert len(pd.read_csv(out)) == 10

"""``molgen generate evaluate`` end to end on ~200 molecules with small reference files."""

import json

import pandas as pd
import pytest

from molgen.data.datasets import load_dataset


def _run(argv):
    from molgen.cli import main

    return main(["generate", "evaluate", *argv])


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("evaluate")
    train = load_dataset("moses_train", nrows=300).smiles.tolist()
    test = load_dataset("moses_test", nrows=80).smiles.tolist()
    scaffolds = load_dataset("moses_test_scaffolds", nrows=80).smiles.tolist()
    samples = train[:150] + test[:40] + ["C1CC", "not_a_smiles", ""] + train[:7]  # 200 rows
    pd.DataFrame({"smiles": samples, "state": ["x"] * len(samples)}).to_csv(root / "samples.csv", index=False)
    for name, smiles in (("train", train), ("test", test), ("scaf", scaffolds)):
        pd.DataFrame({"smiles": smiles}).to_csv(root / f"{name}.csv", index=False)
    return root


@pytest.mark.slow  # the whole command in a fresh interpreter, FCD included
def test_evaluate_cli_end_to_end(files, capsys):
    out = files / "out"
    common = ["--train", str(files / "train.csv"), "--test", str(files / "test.csv"), "--test-scaffolds", str(files / "scaf.csv")]
    argv = ["--samples", str(files / "samples.csv"), "--out", str(out), "--no-moses", "--cache-dir", str(files / "cache"), *common]
    assert _run(argv) == 0
    report = json.loads((out / "metrics.json").read_text())
    metrics = report["metrics"]
    assert metrics["n_samples"] == 200 and metrics["n_valid"] == 197
    assert metrics["valid"] == pytest.approx(197 / 200)
    assert metrics["unique@1000"] == pytest.approx(190 / 197)  # 7 repeats
    assert metrics["Novelty"] == pytest.approx(40 / 190)  # only the test molecules are new
    assert 0 < metrics["FCD/Test"] < metrics["FCD/TestSF"]
    assert metrics["Filters"] == pytest.approx(1.0)  # MOSES molecules pass the MOSES filters
    assert 0.8 < metrics["IntDiv"] < 0.9
    assert any("unique@10000" in note for note in report["notes"])
    assert (out / "properties.png").stat().st_size > 10_000
    assert len(list((files / "cache").glob("reference-*.npz"))) == 2

    # --n keeps the first rows; the cached reference statistics are reused
    assert _run([*argv, "--n", "60"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())["metrics"]
    assert metrics["n_samples"] == 60 and metrics["valid"] == 1.0 and metrics["Novelty"] == 0.0


def test_evaluate_cli_bad_input(files, capsys):
    assert _run(["--samples", str(files / "samples.csv"), "--smiles-col", "nope", "--out", str(files / "o2"), "--no-moses"]) == 2
    captured = capsys.readouterr()
    assert "no column 'nope'" in captured.err + captured.out
    assert _run(["--samples", str(files / "samples.csv"), "--n", "0", "--out", str(files / "o3")]) == 2

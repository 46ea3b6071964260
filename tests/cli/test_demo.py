import json

import pytest

from molgen.cli import main


@pytest.mark.slow  # standardizes and splits all 1,017 molecules of the data set
def test_demo_json_report(capsys):
    assert main(["demo", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    summary = report["summary"]
    assert (summary["rows"], summary["valid"], summary["invalid"]) == (1017, 1017, 0)
    assert report["dataset"]["name"] == "chembl2321810"
    parts = report["scaffold_split"]
    assert parts["train"] + parts["valid"] + parts["test"] == summary["unique"]
    assert 0 < report["druglikeness"]["lipinski_pass"] <= 1


def test_demo_text_and_unknown_dataset(capsys):
    assert main(["demo", "--dataset", "freesolv"]) == 0
    out = capsys.readouterr().out
    assert "freesolv" in out and "expt" in out
    assert main(["demo", "--dataset", "nope"]) == 2
    err = capsys.readouterr().err
    assert "chembl2321810" in err and "nope" in err

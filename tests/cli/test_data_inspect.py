"""``molgen data inspect``: exact counts, clean JSON on stdout, one-line user errors."""

import gzip
import json
import subprocess
import sys

import pytest

from molgen.cli import main

#: 10 rows: 6 valid (CCO, OCC, CCO.Cl -> ethanol twice repeated; benzene; caffeine; aspirin),
#: 1 empty, 2 garbage, 1 pentavalent carbon.
CRAFTED = """id,smiles,pIC50
001,CCO,5.0
002,OCC,6.0
003,CCO.Cl,
004,,4.0
005,not a smiles,3.0
006,C1CCC,3.0
007,C(C)(C)(C)(C)C,7.0
008,c1ccccc1,6.5
009,Cn1c(=O)c2c(ncn2C)n(C)c1=O,8.0
010,CC(=O)Oc1ccccc1C(=O)O,
"""

EXPECTED = {
    "rows": 10,
    "valid": 6,
    "invalid": 4,
    "duplicates": 2,
    "unique": 4,
    "conflicting_duplicates": 1,
}


@pytest.fixture
def crafted(tmp_path):
    path = tmp_path / "crafted.csv"
    path.write_text(CRAFTED)
    return path


def _inspect(capsys, *args):
    code = main(["data", "inspect", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_counts(crafted, capsys):
    code, out, _ = _inspect(capsys, crafted, "--smiles-col", "smiles", "--target-col", "pIC50", "--id-col", "id", "--json")
    assert code == 0
    summary = json.loads(out)
    for key, value in EXPECTED.items():
        assert type(summary[key]) is int, key
        assert summary[key] == value, key
    assert summary["invalid_by_reason"] == {"invalid_smiles": 2, "empty": 1, "sanitization_error": 1}
    assert summary["file"] == str(crafted) and summary["smiles_col"] == "smiles"
    stats = summary["targets"]["pIC50"]
    assert (stats["count"], stats["missing"], stats["min"], stats["max"]) == (4, 2, 5.0, 8.0)
    assert set(stats) == {"count", "missing", "mean", "std", "min", "median", "max"}


def test_no_standardize_keeps_salt_forms_apart(crafted, capsys):
    _, out, _ = _inspect(capsys, crafted, "--smiles-col", "smiles", "--json", "--no-standardize")
    summary = json.loads(out)
    assert (summary["valid"], summary["duplicates"], summary["unique"]) == (6, 1, 5)
    assert summary["standardized"] is False


def test_text_output(crafted, capsys):
    code, out, _ = _inspect(capsys, crafted, "--smiles-col", "smiles", "--target-col", "pIC50")
    assert code == 0
    lines = out.splitlines()
    assert any(line.split()[:2] == ["rows", "10"] for line in lines)
    assert any(line.split()[:2] == ["duplicates", "2"] for line in lines)
    assert "pIC50" in out and "sanitization_error" in out


def test_gzipped_smi(tmp_path, capsys):
    path = tmp_path / "m.smi.gz"
    path.write_bytes(gzip.compress(b"SMILES Name\nCCO a\nOCC b\nxx c\n"))
    _, out, _ = _inspect(capsys, path, "--smiles-col", "smiles", "--id-col", "id", "--json")
    summary = json.loads(out)
    assert (summary["rows"], summary["valid"], summary["duplicates"]) == (3, 2, 1)


@pytest.mark.parametrize(
    "args,message",
    [
        (["--smiles-col", "smile"], "'smile' not found; did you mean 'smiles'"),
        (["--smiles-col", "smiles", "--target-col", "id", "--target-col", "pic50"], "'pic50' not found"),
        (["--smiles-col", "smiles", "--target-col", "smiles_x"], "columns: id, smiles, pIC50"),
    ],
)
def test_column_errors(crafted, capsys, args, message):
    code, out, err = _inspect(capsys, crafted, *args, "--json")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_non_numeric_target_error(tmp_path, capsys):
    path = tmp_path / "m.csv"
    path.write_text("smiles,y\nCCO,1\nCCN,high\n")
    code, _, err = _inspect(capsys, path, "--smiles-col", "smiles", "--target-col", "y")
    assert code == 2 and "'y'" in err and "2 ('high')" in err


def test_empty_and_missing_files(tmp_path, capsys):
    header_only = tmp_path / "header.csv"
    header_only.write_text("smiles,y\n")
    code, out, err = _inspect(capsys, header_only, "--smiles-col", "smiles", "--json")
    assert code == 2 and out == "" and "no data rows" in err
    code, _, err = _inspect(capsys, tmp_path / "missing.csv", "--smiles-col", "smiles")
    assert code == 2 and "no such file" in err


def test_subprocess_json_and_error(crafted):
    command = [sys.executable, "-m", "molgen", "data", "inspect", str(crafted), "--json", "--smiles-col"]
    done = subprocess.run(command + ["smiles"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["valid"] == 6
    bad = subprocess.run(command + ["nope"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and bad.stdout == ""
    assert "Traceback" not in bad.stderr and "'nope' not found" in bad.stderr

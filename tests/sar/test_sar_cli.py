"""``molgen sar``: writes its three tables, prints a summary, one-line errors for bad input."""

import re
import shlex

import pandas as pd
import pytest

from molgen.cli import main
from molgen.cli.sar import OUTPUTS
from tests.sar.conftest import CORE, README


@pytest.fixture
def series_file(additive_series, tmp_path):
    frame = additive_series[["smiles", "pIC50"]].copy()
    frame.insert(0, "id", [f"m{i}" for i in range(len(frame))])
    extra = pd.DataFrame(
        {"id": ["bad", "other", "salt"], "smiles": ["not smiles", "CCO", "Clc1ccc(cc1)C(=O)NC.Cl"], "pIC50": [5.0, 6.0, 5.8]}
    )
    path = tmp_path / "series.csv"
    pd.concat([frame, extra], ignore_index=True).to_csv(path, index=False)
    return path


def _sar(capsys, *args):
    code = main(["sar", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("core", [CORE, None])
def test_writes_tables_and_summary(series_file, tmp_path, capsys, core):
    out_dir = tmp_path / "out" / "sar"
    args = ["--data", series_file, "--smiles-col", "smiles", "--target-col", "pIC50", "--out", out_dir, "--top", "5"]
    code, out, err = _sar(capsys, *args, *(["--core", core] if core else []))
    assert code == 0, err
    assert sorted(p.name for p in out_dir.iterdir()) == sorted(OUTPUTS)
    rgroups = pd.read_csv(out_dir / "rgroups.csv", keep_default_na=False)
    assert rgroups["id"].tolist() == pd.read_csv(series_file)["id"].tolist()  # every input row, input columns first
    states = dict(zip(rgroups["id"], rgroups["state"], strict=True))
    assert (states["bad"], states["other"], states["salt"]) == ("invalid_smiles", "no_core_match", "valid")
    assert {"core", "state", "error", "prediction", "loo_prediction"} <= set(rgroups.columns)
    contributions = pd.read_csv(out_dir / "contributions.csv")
    assert list(contributions.columns) == ["position", "substituent", "n", "contribution", "std_error", "lower", "upper"]
    untested = pd.read_csv(out_dir / "untested.csv")
    assert 1 <= len(untested) <= 5 and untested["prediction"].is_monotonic_decreasing
    assert "decomposed 20 rows: 18 valid, 1 invalid_smiles, 1 no_core_match" in out
    assert re.search(r"Free-Wilson on 18 molecules, \d+ substituents: R2 [\d.]+  leave-one-out RMSE [\d.]+", out)
    assert ("core (maximum common substructure)" in err) == (core is None)


def test_missing_column_is_a_one_line_error(series_file, tmp_path, capsys):
    code, out, err = _sar(capsys, "--data", series_file, "--smiles-col", "smiles", "--target-col", "pic50", "--out", tmp_path / "o")
    assert code == 2 and out == ""
    assert err.strip() == ("molgen sar: error: column 'pic50' not found; did you mean 'pIC50'? (columns: id, smiles, pIC50)")
    assert not (tmp_path / "o").exists()


def test_core_matching_nothing_is_a_user_error(series_file, tmp_path, capsys):
    code, _, err = _sar(
        capsys, "--data", series_file, "--smiles-col", "smiles", "--target-col", "pIC50", "--core", "c1ccncc1[*:1]", "--out", tmp_path / "o"
    )
    assert code == 2
    assert err.startswith("molgen sar: error: 0 molecule(s) contain the core c1ccncc1[*:1]") and err.count("\n") == 1


@pytest.mark.slow  # decomposes the 1,017 molecules of CHEMBL2321810 around a core it finds (about 20 s on 2 cores)
def test_readme_block_runs(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(README.parent)
    block = re.search(r"<!-- readme-not-run: run by tests/sar/test_sar_cli.py -->\s*```bash\n(.*?)```", README.read_text(), re.S)
    assert block, "the README's molgen sar block is missing"
    (argv,) = [shlex.split(line) for line in block.group(1).replace("\\\n", " ").splitlines() if line.strip()]
    assert argv[:2] == ["molgen", "sar"]
    out_dir = tmp_path / "sar"
    argv[argv.index("--out") + 1] = str(out_dir)
    assert main(argv[1:]) == 0
    out = capsys.readouterr().out
    assert "decomposed 1017 rows" in out
    assert sorted(p.name for p in out_dir.iterdir()) == sorted(OUTPUTS)

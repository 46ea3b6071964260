"""MoleculeTable: per-row states, duplicates, target conversion, deduplication, summary."""

import json
import math

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem

from molgen.data.summary import format_summary, summarize
from molgen.data.table import ADDED_COLUMNS, ColumnError, MoleculeTable, read_molecule_table


def _table(smiles, targets=None, **kw):
    frame = pd.DataFrame({"smiles": smiles})
    if targets is not None:
        frame["y"] = targets
    return MoleculeTable.from_frame(frame, "smiles", ["y"] if targets is not None else [], **kw)


def test_zoo_alignment(zoo):
    names = list(zoo)
    frame = pd.DataFrame({"name": names, "smiles": [zoo[n][0] for n in names]})
    table = MoleculeTable.from_frame(frame, "smiles", id_col="name")
    assert table.frame["state"].tolist() == [zoo[n][1] for n in names]
    assert table.frame["name"].tolist() == names
    assert list(table.frame.columns) == ["name", "smiles", *ADDED_COLUMNS]
    expected_valid = sum(state == "valid" for _, state in zoo.values())
    counts = table.counts()
    assert counts["rows"] == len(zoo)
    assert counts["valid"] == expected_valid
    assert counts["invalid"] == len(zoo) - expected_valid
    assert sum(table.invalid_by_reason().values()) == counts["invalid"]
    invalid = table.frame[table.frame["state"] != "valid"]
    assert (invalid["error"] != "").all() and (invalid["smiles_std"] == "").all()
    valid = table.valid
    assert (valid["inchikey"].str.len() == 27).all() and (valid["error"] == "").all()


def test_duplicates_by_inchikey_across_spellings_and_salts():
    table = _table(["CCO", "c1ccccc1", "OCC", "CCO.Cl", "[O-]CC.[Na+]", "C1=CC=CC=C1", "xx"])
    frame = table.frame
    assert frame["state"].tolist() == ["valid"] * 6 + ["invalid_smiles"]
    assert frame["is_duplicate"].tolist() == [False, False, True, True, True, True, False]
    assert frame["duplicate_of"].tolist()[2:6] == [0, 0, 0, 1]
    assert frame["duplicate_of"].isna().tolist() == [True, True, False, False, False, False, True]
    assert table.counts() == {"rows": 7, "valid": 6, "invalid": 1, "duplicates": 4, "unique": 2}
    assert len(table.unique) == 2


def test_without_standardizer_salt_forms_are_distinct():
    table = _table(["CCO", "OCC", "CCO.Cl"], standardizer=None)
    assert table.frame["is_duplicate"].tolist() == [False, True, False]
    assert table.frame["smiles_std"].tolist() == ["CCO", "CCO", "CCO.Cl"]


def test_duplicate_of_uses_index_labels():
    frame = pd.DataFrame({"smiles": ["CCO", "OCC", "CCN"]}, index=["a", "b", "c"])
    table = MoleculeTable.from_frame(frame, "smiles")
    assert table.frame["duplicate_of"].tolist()[1] == "a"
    assert list(table.frame.index) == ["a", "b", "c"]


def test_targets_blank_is_missing_and_input_not_modified():
    frame = pd.DataFrame({"smiles": ["CCO", "CCN", "CCC", "CCCC"], "y": ["1.5", "", "NA", None]})
    table = MoleculeTable.from_frame(frame, "smiles", "y")
    assert table.frame["y"].dtype == np.float64
    assert table.frame["y"].isna().tolist() == [False, True, True, True]
    assert frame["y"].tolist()[0] == "1.5"


def test_numeric_targets_pass_through():
    frame = pd.DataFrame({"smiles": ["CCO", "CCN"], "y": pd.array([1, None], dtype="Int64")})
    assert MoleculeTable.from_frame(frame, "smiles", ["y"]).frame["y"].isna().tolist() == [False, True]
    labels = pd.DataFrame({"smiles": ["CCO", "CCN"], "active": [True, False]})
    assert MoleculeTable.from_frame(labels, "smiles", ["active"]).frame["active"].tolist() == [1.0, 0.0]


def test_non_numeric_target_names_column_rows_and_values():
    values = ["1", "abc", "2", ">10", "3", "x", "y", "z", "w", "q"]
    with pytest.raises(ValueError, match=r"'pIC50'.*7 non-numeric.*2 \('abc'\), 4 \('>10'\)") as info:
        MoleculeTable.from_frame(pd.DataFrame({"smiles": ["C"] * 10, "pIC50": values}), "smiles", ["pIC50"])
    assert "'w'" not in str(info.value)  # at most five rows shown


def test_infinite_target():
    with pytest.raises(ValueError, match=r"'y'.*infinite.*rows 2 \(inf\)"):
        _table(["C", "CC"], ["1", "inf"])
    with pytest.raises(ValueError, match="infinite"):
        _table(["C", "CC"], [1.0, -np.inf])


def test_missing_column_lists_columns_and_suggests():
    frame = pd.DataFrame({"SMILES": ["C"], "pIC50": ["1"], "compound_id": ["x"]})
    with pytest.raises(ColumnError) as info:
        MoleculeTable.from_frame(frame, "smiles", ["pic50"])
    message = str(info.value)
    assert "'smiles' not found" in message and "did you mean 'SMILES'" in message
    assert "columns: SMILES, pIC50, compound_id" in message
    with pytest.raises(KeyError, match="did you mean 'pIC50'"):
        MoleculeTable.from_frame(frame, "SMILES", ["pIC_50"])
    with pytest.raises(ValueError, match="'nothing_like_it' not found \\(columns"):
        MoleculeTable.from_frame(frame, "SMILES", id_col="nothing_like_it")


def test_bad_column_choices():
    frame = pd.DataFrame({"smiles": ["C"], "state": ["CA"], "y": ["1"]})
    with pytest.raises(ValueError, match="more than once"):
        MoleculeTable.from_frame(frame, "smiles", ["y", "y"])
    with pytest.raises(ValueError, match="'state' would be overwritten"):
        MoleculeTable.from_frame(frame, "smiles", id_col="state")


def _assay():
    smiles = ["CCO", "OCC", "CCO.Cl", "c1ccccc1", "C1=CC=CC=C1", "CCN", "bad", "c1ccccc1"]
    frame = pd.DataFrame(
        {
            "id": [f"{i:03d}" for i in range(8)],
            "smiles": smiles,
            "a": ["1.0", "2.0", "", "5.0", "5.2", "7", "9", "5.1"],
            "b": ["", "", "", "1", "3", "", "", ""],
        }
    )
    return MoleculeTable.from_frame(frame, "smiles", ["a", "b"], "id")


@pytest.mark.parametrize("policy,ethanol,benzene", [("mean", 1.5, 5.1), ("median", 1.5, 5.1), ("first", 1.0, 5.0)])
def test_deduplicate_policies(policy, ethanol, benzene):
    unique, _ = _assay().deduplicate(policy)
    assert list(unique.columns) == ["first_row", "id", "smiles_std", "inchikey", "a", "b", "n_measurements"]
    assert unique["id"].tolist() == ["000", "003", "005"]
    assert unique["smiles_std"].tolist() == ["CCO", "c1ccccc1", "CCN"]
    assert unique["n_measurements"].tolist() == [3, 3, 1]
    assert unique["a"].tolist() == pytest.approx([ethanol, benzene, 7.0])
    assert math.isnan(unique["b"][0]) and unique["b"][2] != unique["b"][2]
    assert unique["b"][1] == (1.0 if policy == "first" else 2.0)


def test_conflict_report():
    table = _assay()
    _, conflicts = table.deduplicate()
    assert conflicts[["id", "target"]].values.tolist() == [["000", "a"], ["003", "b"]]
    first = conflicts.iloc[0]
    assert first["values"] == [1.0, 2.0] and first["rows"] == [0, 1]
    assert first["n_values"] == 2 and first["range"] == pytest.approx(1.0)
    assert len(table.conflicts(conflict_tol=5.0)) == 0
    assert len(table.conflicts(conflict_tol=0.15)) == 3
    with pytest.raises(ValueError, match="conflict_tol"):
        table.conflicts(-1)


def test_unknown_policy_lists_choices():
    with pytest.raises(ValueError, match="first, mean, median"):
        _assay().deduplicate("max")


def test_summary_counts_and_json():
    summary = summarize(_assay())
    for key in ("rows", "valid", "invalid", "duplicates", "unique", "conflicting_duplicates"):
        assert type(summary[key]) is int
    assert (summary["rows"], summary["valid"], summary["invalid"]) == (8, 7, 1)
    assert (summary["duplicates"], summary["unique"], summary["conflicting_duplicates"]) == (4, 3, 2)
    assert summary["invalid_by_reason"] == {"invalid_smiles": 1}
    stats_a = summary["targets"]["a"]
    assert stats_a["count"] == 6 and stats_a["missing"] == 1 and stats_a["max"] == 7.0
    assert summarize(_table(["CCO"], [""]))["targets"]["y"]["mean"] is None
    json.dumps(summary, allow_nan=False)
    text = format_summary(summary)
    assert "duplicates" in text and "invalid_smiles" in text and "median" in text


def test_read_molecule_table_keeps_broken_sdf_record(tmp_path):
    path = tmp_path / "m.sdf"
    writer = Chem.SDWriter(str(path))
    for smi in ("CCO", "OCC"):
        mol = Chem.MolFromSmiles(smi)
        mol.SetProp("y", "1")
        writer.write(mol)
    writer.close()
    with open(path, "a") as handle:
        handle.write("broken\n\n\n  garbage counts line\nM  END\n> <y>\n2\n\n$$$$\n")
    table = read_molecule_table(path, "smiles", ["y"])
    assert table.frame["state"].tolist() == ["valid", "valid", "invalid_record"]
    assert table.frame["is_duplicate"].tolist() == [False, True, False]
    assert table.frame["y"].tolist() == [1.0, 1.0, 2.0]
    assert table.source == str(path)


def test_read_molecule_table_keeps_leading_zeros(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("id,smiles,y\n00123,CCO,1\n0007,CCN,\n")
    table = read_molecule_table(path, "smiles", ["y"], "id")
    assert table.frame["id"].tolist() == ["00123", "0007"]
    assert table.deduplicate()[0]["id"].tolist() == ["00123", "0007"]

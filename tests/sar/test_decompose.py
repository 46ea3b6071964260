"""R-group decomposition: aligned with the input, bad and non-matching rows kept with a reason."""

import pandas as pd
import pytest
from rdkit import Chem

from molgen.chem import Standardizer
from molgen.sar import NO_CORE_MATCH, assemble, decompose, find_core, position_columns
from tests.sar.conftest import CORE, R1, R2, series_smiles


def test_table_is_aligned_with_the_input_and_keeps_every_row(zoo_smiles, zoo_states):
    series = [series_smiles("Cl", "C"), series_smiles("", "CC"), series_smiles("OC", "c1ccccc1")]
    smiles = pd.Series([*series, *zoo_smiles], index=[f"id{i}" for i in range(len(series) + len(zoo_smiles))])
    table = decompose(smiles, core=CORE)
    assert list(table.index) == list(smiles.index)
    assert list(table.columns) == ["core", "R1", "R2", "state", "error"]
    assert table["state"].iloc[:3].tolist() == ["valid"] * 3
    assert table[["R1", "R2"]].iloc[:3].values.tolist() == [["Cl[*:1]", "C[*:2]"], ["[H][*:1]", "CC[*:2]"], ["OC[*:1]", "c1ccc([*:2])cc1"]]
    assert (table["error"].iloc[:3] == "").all()
    rest = table.iloc[3:]
    parse_failed = [state != "valid" for state in zoo_states]
    # molecules of the zoo that parse do not contain the benzamide core; the others keep their parse state
    expected = [state if failed else NO_CORE_MATCH for state, failed in zip(zoo_states, parse_failed, strict=True)]
    assert rest["state"].tolist() == expected
    assert (rest["error"] != "").all()
    assert rest.loc[rest["state"] == NO_CORE_MATCH, "error"].str.contains("does not contain the core").all()
    assert (rest[["core", "R1", "R2"]] == "").all().all()


def test_rows_rejoin_into_the_input_molecules():
    smiles = [series_smiles(r1, r2) for r1 in R1 for r2 in R2]
    table = decompose(smiles, core=CORE)
    for smi, row in zip(smiles, table.itertuples(), strict=True):
        assert assemble(row.core, [row.R1, row.R2]) == Chem.CanonSmiles(smi)


def test_core_as_smarts_gives_the_same_table():
    smiles = [series_smiles("Cl", "C"), series_smiles("F", "CC")]
    by_smiles = decompose(smiles, core=CORE)
    by_smarts = decompose(smiles, core="[*:1]-[#6]1:[#6]:[#6]:[#6](:[#6]:[#6]:1)-[#6](=[#8])-[#7]-[*:2]")
    assert by_smarts[["R1", "R2", "state"]].equals(by_smiles[["R1", "R2", "state"]])


def test_unlabelled_core_gets_labels_from_rdkit():
    table = decompose([series_smiles("Cl", "C"), series_smiles("F", "CC")], core="c1ccccc1C(=O)N")
    assert table["state"].tolist() == ["valid", "valid"]
    assert len(position_columns(table.columns)) == 3  # core, and the two substituted atoms


def test_salt_is_stripped_by_the_standardizer():
    salt = series_smiles("Cl", "C") + ".Cl"
    assert decompose([salt], core=CORE, standardizer=Standardizer())["R1"].tolist() == ["Cl[*:1]"]


@pytest.mark.parametrize(("core", "message"), [("not a core((", "neither a valid SMILES nor a valid SMARTS"), ("  ", "core is empty")])
def test_bad_core_raises(core, message):
    with pytest.raises(ValueError, match=message):
        decompose(["CCO"], core=core)


def test_found_core_decomposes_the_series(additive_series):
    core = find_core(additive_series["smiles"], threshold=1.0)
    assert Chem.MolFromSmarts(core).GetNumAtoms() == 9  # benzene ring and C(=O)N: the N's carbon is in a ring or not
    table = decompose(additive_series["smiles"], core=core)
    assert (table["state"] == "valid").all()


def test_default_core_is_found():
    table = decompose([series_smiles(r1, r2) for r1 in R1 for r2 in R2])
    assert (table["state"] == "valid").all()


def test_no_common_core_is_a_clear_error():
    with pytest.raises(ValueError, match="no common core found.*give the core as SMARTS"):
        find_core(["CCO", "c1ccccc1", "CC(=O)O", "N#N"])
    with pytest.raises(ValueError, match="at least 2 valid molecules"):
        find_core(["CCO", "not smiles"])


def test_assemble_reports_an_open_attachment_point():
    with pytest.raises(ValueError, match="left open"):
        assemble("c1cc([*:2])ccc1[*:1]", ["Cl[*:1]"])


def test_a_small_outlier_does_not_shrink_the_core(additive_series):
    # RDKit's MCS starts from the smallest molecule; ethanol must not become the seed
    core = find_core([*additive_series["smiles"], "CCO"])
    assert Chem.MolFromSmarts(core).GetNumAtoms() == 9

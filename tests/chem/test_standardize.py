import pickle

import pytest
from rdkit import Chem

from molgen.chem import (
    InvalidMoleculeError,
    Standardizer,
    clean_smiles,
    inchikey,
    standardize_smiles,
)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("CC(=O)[O-].[Na+]", "CC(=O)O"),  # salt stripped, neutralized
        ("CN1CCC[C@H]1c1cccnc1.Cl", "CN1CCC[C@H]1c1cccnc1"),  # HCl salt
        ("[NH3+]CC(=O)[O-]", "NCC(=O)O"),  # zwitterion neutralized
        ("CN(=O)=O", "C[N+](=O)[O-]"),  # nitro normalized
        ("C[N+](C)(C)C", "C[N+](C)(C)C"),  # quaternary N stays charged
        ("[2H]C([2H])([2H])O", "[2H]C([2H])([2H])O"),  # isotopes kept
    ],
)
def test_standardize_known_cases(raw, expected):
    assert standardize_smiles(raw) == Chem.CanonSmiles(expected)


def test_canonical_tautomer_is_optional():
    plain = standardize_smiles("Oc1ccccn1")
    taut = standardize_smiles("Oc1ccccn1", standardizer=Standardizer(canonical_tautomer=True))
    assert plain == "Oc1ccccn1"
    assert taut == "O=c1cccc[nH]1"
    assert standardize_smiles("O=c1cccc[nH]1", standardizer=Standardizer(canonical_tautomer=True)) == taut


def test_stereo_is_kept():
    assert standardize_smiles("C[C@H](N)C(=O)O") == "C[C@H](N)C(=O)O"
    assert standardize_smiles("C/C=C/C") == "C/C=C/C"


def test_standardize_raises_typed_error():
    with pytest.raises(InvalidMoleculeError):
        standardize_smiles("not a smiles")


def test_standardizer_pickles_after_use():
    std = Standardizer(canonical_tautomer=True)
    std(Chem.MolFromSmiles("CC[O-].[Na+]"))
    clone = pickle.loads(pickle.dumps(std))
    assert clone == std
    assert Chem.MolToSmiles(clone(Chem.MolFromSmiles("CC[O-].[Na+]"))) == "CCO"


def test_clean_smiles_aligned_and_counted(zoo):
    smiles = [s for s, _ in zoo.values()] + [None, float("nan")]
    table = clean_smiles(smiles)
    assert len(table) == len(smiles)
    assert list(table["state"]) == [s for _, s in zoo.values()] + ["empty", "empty"]
    valid = table["state"] == "valid"
    assert (table.loc[valid, "smiles"] != "").all()
    assert table.loc[valid, "inchikey"].str.fullmatch(r"[A-Z]{14}-[A-Z]{10}-[A-Z]").all()
    assert (table.loc[~valid, "error"] != "").all()
    assert (table.loc[~valid, "smiles"] == "").all()


def test_salt_forms_share_identity():
    table = clean_smiles(["CCO", "OCC", "CCO.Cl", "[Na+].CC[O-]"])
    assert table["inchikey"].nunique() == 1
    assert inchikey(Chem.MolFromSmiles("CCO")) == table["inchikey"][0]


def test_without_standardizer_salts_are_kept():
    table = clean_smiles(["CC(=O)[O-].[Na+]"], standardizer=None, with_inchikey=False)
    assert "." in table["smiles"][0]
    assert table["inchikey"][0] == ""


def test_standardization_failure_has_its_own_state():
    broken = Chem.MolFromSmiles("C(C)(C)(C)(C)C", sanitize=False)
    with pytest.raises(InvalidMoleculeError) as info:
        Standardizer()(broken)
    assert info.value.state.value == "standardization_failed"

"""Atom and bond feature definitions: dimensions, names, one-hot blocks, "other" slots."""

import numpy as np
import pytest
from rdkit import Chem

from molgen.featurize import (
    ATOM_FDIM,
    BOND_FDIM,
    atom_feature_names,
    atom_features,
    bond_feature_names,
    bond_features,
)

ATOM_NAMES = atom_feature_names()
BOND_NAMES = bond_feature_names()


def col(name: str, names=ATOM_NAMES) -> int:
    return names.index(name)


def block(prefix: str, names=ATOM_NAMES) -> list[int]:
    return [i for i, n in enumerate(names) if n.startswith(prefix + "=")]


def test_dimensions_and_names():
    assert (ATOM_FDIM, BOND_FDIM) == (73, 14)
    assert len(ATOM_NAMES) == ATOM_FDIM and len(set(ATOM_NAMES)) == ATOM_FDIM
    assert len(BOND_NAMES) == BOND_FDIM and len(set(BOND_NAMES)) == BOND_FDIM
    for prefix in ("element", "degree", "formal_charge", "chiral_tag", "num_hs", "hybridization"):
        assert ATOM_NAMES[block(prefix)[-1]] == f"{prefix}=other"
    assert ATOM_NAMES[-3:] == ("aromatic", "in_ring", "mass/100")
    assert "element=I" in ATOM_NAMES and "bond_type=other" in BOND_NAMES and "stereo=other" in BOND_NAMES


def test_every_one_hot_block_has_exactly_one_bit():
    mol = Chem.MolFromSmiles("C[C@H](N)C(=O)Oc1ccc(cc1)[N+](=O)[O-].[Na+].[U].FS(F)(F)(F)(F)F")
    for atom in mol.GetAtoms():
        row = atom_features(atom)
        assert row.dtype == np.float32 and row.shape == (ATOM_FDIM,)
        for prefix in ("element", "degree", "formal_charge", "chiral_tag", "num_hs", "hybridization"):
            assert row[block(prefix)].sum() == 1, (atom.GetSymbol(), prefix)
    for bond in mol.GetBonds():
        row = bond_features(bond)
        assert row.shape == (BOND_FDIM,) and row[block("bond_type", BOND_NAMES)].sum() == 1
        assert row[block("stereo", BOND_NAMES)].sum() == 1


def test_ethanol_oxygen():
    oxygen = Chem.MolFromSmiles("CCO").GetAtomWithIdx(2)
    row = atom_features(oxygen)
    on = {ATOM_NAMES[i] for i in np.flatnonzero(row[:-1])}
    assert on == {"element=O", "degree=2", "formal_charge=0", "chiral_tag=CHI_UNSPECIFIED", "num_hs=1", "hybridization=SP3"}
    assert row[col("mass/100")] == pytest.approx(0.01 * oxygen.GetMass())


@pytest.mark.parametrize(
    "smiles, index, expected",
    [
        ("[U]", 0, "element=other"),
        ("FS(F)(F)(F)(F)F", 1, "degree=other"),  # total degree 6
        ("[Fe+3]", 0, "formal_charge=other"),
        ("[Fe+3]", 0, "element=Fe"),
        ("C", 0, "num_hs=4"),
        ("*C", 0, "hybridization=other"),  # dummy atom: unspecified
        ("*C", 0, "element=other"),
        ("C[C@H](N)C(=O)O", 1, "chiral_tag=CHI_TETRAHEDRAL_CCW"),
        ("C[C@@H](N)C(=O)O", 1, "chiral_tag=CHI_TETRAHEDRAL_CW"),
    ],
)
def test_atom_values(smiles, index, expected):
    mol = Chem.MolFromSmiles(smiles)
    assert atom_features(mol.GetAtomWithIdx(index))[col(expected)] == 1


def test_explicit_hydrogens_are_neighbours_not_counts():
    silane = Chem.AddHs(Chem.MolFromSmiles("[SiH4]"))
    row = atom_features(silane.GetAtomWithIdx(0))
    assert row[col("num_hs=0")] == 1 and row[col("degree=4")] == 1
    assert atom_features(silane.GetAtomWithIdx(1))[col("element=H")] == 1


def test_mass_is_isotope_aware():
    plain = atom_features(Chem.MolFromSmiles("C").GetAtomWithIdx(0))
    heavy = atom_features(Chem.MolFromSmiles("[13CH4]").GetAtomWithIdx(0))
    assert plain[col("mass/100")] == pytest.approx(0.12011, abs=1e-4)
    assert heavy[col("mass/100")] == pytest.approx(0.13003, abs=1e-4)
    assert np.array_equal(plain[:-1], heavy[:-1])


def test_bond_values():
    benzene = Chem.MolFromSmiles("c1ccccc1")
    row = bond_features(benzene.GetBondWithIdx(0))
    assert {BOND_NAMES[i] for i in np.flatnonzero(row)} == {"bond_type=AROMATIC", "conjugated", "in_ring", "stereo=STEREONONE"}
    alkene = Chem.MolFromSmiles("F/C=C/F")
    assert bond_features(alkene.GetBondWithIdx(1))[col("stereo=STEREOE", BOND_NAMES)] == 1
    assert bond_features(Chem.MolFromSmiles("F/C=C\\F").GetBondWithIdx(1))[col("stereo=STEREOZ", BOND_NAMES)] == 1
    single = bond_features(Chem.MolFromSmiles("CC").GetBondWithIdx(0))
    assert {BOND_NAMES[i] for i in np.flatnonzero(single)} == {"bond_type=SINGLE", "stereo=STEREONONE"}


def test_unusual_bond_type_goes_to_other():
    dative = Chem.MolFromSmiles("[NH3]->[Pt]")
    row = bond_features(dative.GetBondWithIdx(0))
    assert row[col("bond_type=other", BOND_NAMES)] == 1


@pytest.mark.slow  # imports torch in a fresh interpreter
def test_featurize_stays_in_its_layer():
    import subprocess
    import sys

    code = (
        "import sys, molgen.featurize; "
        "print(sorted(m for m in sys.modules if m.startswith(('molgen.data', 'molgen.cli', 'deepchem', 'ray'))))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"

"""Bemis-Murcko scaffolds: each option gives the documented definition."""

import pytest
from rdkit import Chem
from rdkit.Chem.Scaffolds import MurckoScaffold

from molgen.chem import murcko_scaffold, scaffold_mol

STEREO = "[13CH3]c1cc([C@@H]2CCCN2)ccc1"
DRUGS = ["CC(=O)Oc1ccccc1C(=O)O", "CN1CCC[C@H]1c1cccnc1", "O=C(Nc1ccccc1)C1CC1", "CCO", STEREO, "c1ccc2ccccc2c1"]


def _mol(smiles):
    return Chem.MolFromSmiles(smiles)


def test_default_is_the_scaffold_split_definition():
    for smiles in DRUGS:
        expected = MurckoScaffold.MurckoScaffoldSmiles(mol=_mol(smiles), includeChirality=False)
        assert murcko_scaffold(_mol(smiles)) == expected
    assert murcko_scaffold(_mol(STEREO)) == "c1ccc(C2CCCN2)cc1"


def test_chirality_keeps_stereo():
    assert murcko_scaffold(_mol(STEREO), chirality=True) == "c1ccc([C@@H]2CCCN2)cc1"
    assert murcko_scaffold(_mol(STEREO), chirality=True) == Chem.MolToSmiles(MurckoScaffold.GetScaffoldForMol(_mol(STEREO)))


def test_acyclic_and_min_rings():
    assert murcko_scaffold(_mol("CCO")) == ""
    assert murcko_scaffold(_mol("CCO"), min_rings=1) is None
    assert murcko_scaffold(_mol("O=C(Nc1ccccc1)C1CC1"), min_rings=2) == "O=C(Nc1ccccc1)C1CC1"
    assert murcko_scaffold(_mol("Cc1ccccc1"), min_rings=2) is None


def test_generic_scaffold():
    assert murcko_scaffold(_mol("O=C(Nc1ccccc1)C1CC1"), generic=True) == "C1CCC(CCC2CC2)CC1"
    assert murcko_scaffold(_mol("c1ccncc1"), generic=True) == murcko_scaffold(_mol("C1CCCCC1"))
    assert scaffold_mol(_mol("CCO"), generic=True).GetNumAtoms() == 0


def test_rdkit_errors_propagate():
    mol = _mol("C1CN[Co]23(N1)(NCCN2)NCCN3")  # a generic carbon cannot hold cobalt's six bonds
    with pytest.raises(ValueError):
        murcko_scaffold(mol, generic=True)

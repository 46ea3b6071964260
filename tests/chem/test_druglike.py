import math

import pytest
from rdkit import Chem

from molgen.chem import (
    DESCRIPTOR_NAMES,
    descriptor_table,
    descriptors,
    filter_table,
    passes_lipinski,
    passes_veber,
    qed,
    sa_score,
    structural_alerts,
)

ASPIRIN = Chem.MolFromSmiles("CC(=O)Oc1ccccc1C(=O)O")


def test_descriptors_of_aspirin():
    d = descriptors(ASPIRIN)
    assert set(d) == set(DESCRIPTOR_NAMES)
    assert d["mw"] == pytest.approx(180.159, abs=1e-3)
    assert d["clogp"] == pytest.approx(1.31, abs=0.01)
    assert d["tpsa"] == pytest.approx(63.6, abs=0.1)
    assert (d["hbd"], d["hba"], d["rotatable_bonds"], d["heavy_atoms"], d["rings"]) == (1, 3, 2, 13, 1)
    assert d["qed"] == pytest.approx(0.550, abs=1e-3)


def test_sa_score_orders_simple_below_complex():
    simple = sa_score(Chem.MolFromSmiles("CCO"))
    complex_ = sa_score(Chem.MolFromSmiles("C[C@H]1C[C@@]2(O)[C@@H](C)C[C@]3(C)[C@H]2C[C@@H]1[C@]3(C)O"))
    assert 1 <= simple < complex_ <= 10


def test_qed_range():
    assert 0 < qed(ASPIRIN) < 1


def test_rule_filters():
    assert passes_lipinski(ASPIRIN) and passes_veber(ASPIRIN)
    greasy = Chem.MolFromSmiles("C" * 40 + "c1ccc(cc1)" + "C" * 5)  # MW > 500, logP > 5
    assert not passes_lipinski(greasy)
    assert not passes_veber(greasy)  # > 10 rotatable bonds


def test_structural_alerts_pains_and_brenk():
    azo = Chem.MolFromSmiles("Oc1ccc(N=Nc2ccccc2)cc1")
    alerts = structural_alerts(azo)
    assert any(a.startswith("PAINS:") for a in alerts)
    assert any(a.startswith("BRENK:") for a in alerts)
    assert structural_alerts(Chem.MolFromSmiles("CCO")) == []
    assert all(a.startswith("BRENK") for a in structural_alerts(azo, catalogs=["brenk"]))


def test_unknown_catalog_lists_choices():
    with pytest.raises(ValueError, match="brenk, pains"):
        structural_alerts(ASPIRIN, catalogs=["nope"])


def test_tables_are_aligned_with_nan_for_failures(zoo):
    smiles = [s for s, _ in zoo.values()]
    desc = descriptor_table(smiles)
    flags = filter_table(smiles)
    assert len(desc) == len(flags) == len(smiles)
    for i, (_, expected) in enumerate(zoo.values()):
        assert desc["state"][i] == flags["state"][i] == expected
        if desc["state"][i] == "valid":
            assert not math.isnan(desc["mw"][i])
        else:
            assert math.isnan(desc["qed"][i])
            assert flags["lipinski"].isna()[i]


def test_reinvent_alerts_match_their_patterns_and_name_them():
    from molgen.chem import REINVENT_ALERTS

    assert len(REINVENT_ALERTS) == 14
    cases = {
        "C1CCCCCCCCC1": "ring of 8-17 atoms",
        "CCOOCC": "O-O bond",
        "CSSC": "S-S bond",
        "CNNC": "non-aromatic N-N bond",
        "CC#CC": "C#C triple bond",
        "CC(=O)O": "acid, ester or thioester",
        "CN(C)CN(C)C": "N-C-N (aminal)",
        "COCOC": "O-C-O (acetal)",
    }
    for smiles, name in cases.items():
        assert f"REINVENT: {name}" in structural_alerts(Chem.MolFromSmiles(smiles), ["reinvent"]), smiles
    # aromatic N-N (pyrazole), an amide carbon between N and O, and a 20-ring (past r{8-17}) do not match
    for smiles in ("c1cc[nH]n1", "CNC(=O)OC", "C1CCCCCCCCCCCCCCCCCCC1"):
        alerts = structural_alerts(Chem.MolFromSmiles(smiles), ["reinvent"])
        assert not [a for a in alerts if "N-N" in a or "N-C-O" in a or "ring" in a], (smiles, alerts)


def test_largest_ring_size():
    from molgen.chem import largest_ring_size

    assert largest_ring_size(Chem.MolFromSmiles("CCO")) == 0
    assert largest_ring_size(Chem.MolFromSmiles("c1ccc2ccccc2c1")) == 6
    assert largest_ring_size(Chem.MolFromSmiles("C1CCCCCCCCCCCCCCCCCCC1")) == 20

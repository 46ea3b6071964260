import pytest
from rdkit import Chem

from molgen.chem import InvalidMoleculeError, MolState, iter_sdf, parse_smiles, parse_smiles_batch


def test_parse_valid_returns_sanitized_mol():
    mol = parse_smiles("  c1ccccc1O ")
    assert mol.GetNumAtoms() == 7
    assert mol.GetAtomWithIdx(0).GetIsAromatic()


@pytest.mark.parametrize(
    "smiles, state",
    [
        ("", MolState.EMPTY),
        (None, MolState.EMPTY),
        (float("nan"), MolState.EMPTY),
        ("xyz", MolState.INVALID_SMILES),
        ("C1CC", MolState.INVALID_SMILES),
        ("C(C)(C)(C)(C)C", MolState.SANITIZATION_ERROR),
        ("c1cccc1", MolState.SANITIZATION_ERROR),
        ("C" * 30, MolState.TOO_MANY_ATOMS),
    ],
)
def test_parse_failures_raise_typed_error(smiles, state):
    with pytest.raises(InvalidMoleculeError) as info:
        parse_smiles(smiles, max_heavy_atoms=20)
    assert info.value.state is state
    assert info.value.reason
    assert state.value in str(info.value)


def test_valence_error_names_the_atom():
    with pytest.raises(InvalidMoleculeError, match="valence"):
        parse_smiles("C(C)(C)(C)(C)C")


def test_heavy_atom_limit_is_configurable():
    assert parse_smiles("C" * 30, max_heavy_atoms=None).GetNumAtoms() == 30
    with pytest.raises(InvalidMoleculeError):
        parse_smiles("C" * 30, max_heavy_atoms=29)


def test_batch_is_aligned_with_input(zoo):
    smiles = [s for s, _ in zoo.values()]
    result = parse_smiles_batch(smiles)
    assert len(result) == len(smiles)
    for (name, (_, expected)), mol, state, error in zip(zoo.items(), result.mols, result.states, result.errors):
        assert state == expected, name
        assert (mol is not None) == (state == "valid"), name
        assert (error == "") == (state == "valid"), name


def test_batch_does_not_print_rdkit_errors(capfd):
    parse_smiles_batch(["C1CC", "C(C)(C)(C)(C)C"])
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def _sdf_text(tmp_path):
    path = tmp_path / "mols.sdf"
    writer = Chem.SDWriter(str(path))
    for i, smi in enumerate(["CCO", "c1ccccc1"]):
        mol = Chem.MolFromSmiles(smi)
        mol.SetProp("pIC50", str(5.0 + i))
        writer.write(mol)
    writer.close()
    return path.read_text()


def test_sdf_records_keep_props_and_broken_records(tmp_path):
    text = _sdf_text(tmp_path)
    broken = "broken\n  nothing here\n\n  2  1  0  0\nM  END\n> <pIC50>\n7.0\n\n$$$$\n"
    records = list(iter_sdf(iter((text + broken).splitlines(keepends=True))))
    assert [r.state for r in records] == ["valid", "valid", "invalid_record"]
    assert [r.props.get("pIC50") for r in records] == ["5.0", "6.0", "7.0"]
    assert Chem.MolToSmiles(records[1].mol) == "c1ccccc1"
    assert records[2].mol is None and records[2].error

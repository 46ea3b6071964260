"""Morgan fingerprints: dtypes, alignment, failure rows, agreement with RDKit."""

import numpy as np
import pytest
from rdkit import Chem
from rdkit.Chem import rdFingerprintGenerator

from molgen.chem import InvalidMoleculeError, MolState
from molgen.featurize import FingerprintBatch, morgan_fingerprint, morgan_fingerprints

SMILES = ["CCO", "c1ccccc1O", "CC(=O)Oc1ccccc1C(=O)O", "C[C@H](N)C(=O)O"]


def test_bits_and_counts():
    bits = morgan_fingerprints(SMILES)
    counts = morgan_fingerprints(SMILES, counts=True)
    assert isinstance(bits, FingerprintBatch) and len(bits) == 4
    assert bits.array.shape == (4, 2048) and bits.array.dtype == np.uint8
    assert counts.array.dtype == np.int32 and counts.array.shape == (4, 2048)
    assert set(np.unique(bits.array)) <= {0, 1}
    assert np.array_equal(bits.array, (counts.array > 0).astype(np.uint8))
    assert counts.array.sum() > bits.array.sum()


def test_matches_rdkit_generator():
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=3, fpSize=1024)
    ours = morgan_fingerprints(SMILES, radius=3, n_bits=1024)
    ours_counts = morgan_fingerprints(SMILES, radius=3, n_bits=1024, counts=True)
    for i, s in enumerate(SMILES):
        mol = Chem.MolFromSmiles(s)
        assert np.array_equal(ours.array[i], generator.GetFingerprintAsNumPy(mol))
        assert np.array_equal(ours_counts.array[i], generator.GetCountFingerprintAsNumPy(mol))
        assert np.array_equal(morgan_fingerprint(mol, radius=3, n_bits=1024), generator.GetFingerprintAsNumPy(mol))


def test_failures_are_zero_rows_aligned_with_input(zoo):
    batch = morgan_fingerprints([s for s, _ in zoo.values()], counts=True)
    assert batch.states == [state for _, state in zoo.values()]
    mask = batch.valid_mask
    assert mask.tolist() == [state == "valid" for _, state in zoo.values()]
    assert not batch.array[~mask].any() and batch.array[mask].sum(axis=1).min() > 0
    assert all(e for e, ok in zip(batch.errors, mask) if not ok)


def test_mixed_inputs():
    batch = morgan_fingerprints([Chem.MolFromSmiles("CCO"), "CCO", None, Chem.MolFromSmiles("CCO", sanitize=False)])
    assert batch.states[:3] == ["valid", "valid", "empty"]
    assert np.array_equal(batch.array[0], batch.array[1])
    assert batch.states[3] in ("valid", "featurization_failed")  # RDKit may fingerprint unsanitized input


def test_chirality_option():
    a, b = morgan_fingerprints(["C[C@H](N)C(=O)O", "C[C@@H](N)C(=O)O"], chirality=True).array
    assert not np.array_equal(a, b)
    a, b = morgan_fingerprints(["C[C@H](N)C(=O)O", "C[C@@H](N)C(=O)O"]).array
    assert np.array_equal(a, b)


def test_single_molecule_errors():
    with pytest.raises(InvalidMoleculeError) as info:
        morgan_fingerprint("C1CC")
    assert info.value.state is MolState.INVALID_SMILES
    with pytest.raises(InvalidMoleculeError):
        morgan_fingerprint(None)
    for bad in ({"radius": -1}, {"n_bits": 0}, {"n_bits": 2.5}):
        with pytest.raises(ValueError):
            morgan_fingerprints(["CCO"], **bad)


def test_empty_input():
    batch = morgan_fingerprints([], n_bits=64)
    assert batch.array.shape == (0, 64) and batch.states == [] and batch.valid_mask.shape == (0,)

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


def test_generators_are_built_once_per_setting():
    from molgen.featurize import fingerprint_generator

    assert fingerprint_generator(radius=3, n_bits=512) is fingerprint_generator("morgan", radius=3, n_bits=512)
    assert fingerprint_generator(radius=3, n_bits=512) is not fingerprint_generator(radius=3, n_bits=512, chirality=True)
    assert fingerprint_generator("atom_pair", radius=1) is fingerprint_generator("atom_pair", radius=2)  # radius unused
    for bad in ({"kind": "maccs"}, {"radius": -1}, {"n_bits": 0}):
        with pytest.raises(ValueError):
            fingerprint_generator(**bad)


def test_matrix_and_packed_match_rdkit():
    from molgen.featurize import fingerprint_matrix, packed_fingerprints

    mols = [Chem.MolFromSmiles(s) for s in SMILES] + [None]
    morgan = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=1024)
    pairs = rdFingerprintGenerator.GetAtomPairGenerator(fpSize=2048)
    counts = fingerprint_matrix(mols, radius=2, n_bits=1024, counts=True)
    pair_bits = fingerprint_matrix(mols, "atom_pair")
    assert counts.dtype == np.int32 and pair_bits.dtype == np.uint8
    for i, mol in enumerate(mols[:-1]):
        assert np.array_equal(counts[i], morgan.GetCountFingerprintAsNumPy(mol))
        assert np.array_equal(pair_bits[i], pairs.GetFingerprintAsNumPy(mol))
    assert not counts[-1].any() and not pair_bits[-1].any()  # None -> zero row
    packed = packed_fingerprints(mols, "atom_pair")
    assert packed.shape == (len(mols), 256) and np.array_equal(packed, np.packbits(pair_bits, axis=1))


def test_shared_generator_from_threads():
    from concurrent.futures import ThreadPoolExecutor

    from molgen.featurize import fingerprint_matrix

    mols = [Chem.MolFromSmiles(s) for s in SMILES * 25]
    expected = fingerprint_matrix(mols)
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda _: fingerprint_matrix(mols), range(32)))
    assert all(np.array_equal(r, expected) for r in results)

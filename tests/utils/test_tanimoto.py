"""Tanimoto similarity: every path agrees with RDKit (or with MOSES's convention)."""

import subprocess
import sys

import numpy as np
import pytest
from rdkit import Chem, DataStructs
from rdkit.Chem import rdFingerprintGenerator

from molgen.utils import tanimoto
from molgen.utils.tanimoto import (
    max_tanimoto,
    popcount_tanimoto_blocks,
    tanimoto_blocks,
    tanimoto_matrix,
    tanimoto_neighbors,
    tanimoto_tiles,
)

SMILES = (
    "CC(=O)Oc1ccccc1C(=O)O Cn1c(=O)c2c(ncn2C)n(C)c1=O CC(C)Cc1ccc(C(C)C(=O)O)cc1 CCO CN1CCC[C@H]1c1cccnc1 "
    "c1ccc2ccccc2c1 CCN(CC)CC CC(=O)Nc1ccc(O)cc1 C c1ccncc1"
).split()


@pytest.fixture(scope="module")
def fps():
    """RDKit bit vectors and the same bits as a 0/1 uint8 matrix (Morgan r=2, 1024 bits)."""
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=1024)
    mols = [Chem.MolFromSmiles(s) for s in SMILES]
    bits = np.stack([gen.GetFingerprintAsNumPy(m) for m in mols]).astype(np.uint8)
    return [gen.GetFingerprint(m) for m in mols], bits


def _rdkit_matrix(vectors):
    return np.array([DataStructs.BulkTanimotoSimilarity(v, vectors) for v in vectors])


@pytest.mark.parametrize("popcount", [True, False])
def test_matrix_and_max_agree_with_rdkit(fps, popcount, monkeypatch):
    monkeypatch.setattr(tanimoto, "POPCOUNT_MAX_PAIRS", 10**6 if popcount else 0)
    vectors, bits = fps
    expected = _rdkit_matrix(vectors)
    packed = np.packbits(bits, axis=1)
    np.testing.assert_allclose(tanimoto_matrix(packed, packed, chunk_size=3), expected, rtol=0, atol=1e-12)
    sim, idx = max_tanimoto(packed[:4], packed[4:], packed=True, return_index=True)
    np.testing.assert_allclose(sim, expected[:4, 4:].max(axis=1), rtol=0, atol=1e-12)
    assert idx.tolist() == expected[:4, 4:].argmax(axis=1).tolist()


def test_blocks_and_neighbors_agree_with_rdkit(fps):
    vectors, bits = fps
    expected = _rdkit_matrix(vectors)
    for start, sim in popcount_tanimoto_blocks(np.packbits(bits, axis=1), np.packbits(bits, axis=1), rows_per_block=4):
        np.testing.assert_allclose(sim, expected[start : start + len(sim)], rtol=0, atol=1e-12)
    for start, sim in tanimoto_blocks(bits, bits, rows_per_block=3):
        np.testing.assert_allclose(sim, expected[start : start + len(sim)], rtol=0, atol=1e-12)
    neighbors = tanimoto_neighbors(bits, 0.8)
    for i, row in enumerate(neighbors):
        assert row.tolist() == np.flatnonzero((1 - expected[i] <= 0.8) | (np.arange(len(bits)) == i)).tolist()


def test_empty_fingerprints_rdkit_versus_moses():
    zero = np.zeros((2, 16), dtype=np.uint8)
    assert tanimoto_matrix(np.packbits(zero, axis=1), np.packbits(zero, axis=1)).tolist() == [[0.0, 0.0], [0.0, 0.0]]
    tiles = list(tanimoto_tiles(zero, zero))
    assert len(tiles) == 1 and tiles[0][2].tolist() == [[1.0, 1.0], [1.0, 1.0]]  # MOSES counts them as equal


def test_tiles_cover_the_matrix_in_float32(fps):
    vectors, bits = fps
    expected = _rdkit_matrix(vectors)
    out = np.full((7, len(bits)), np.nan)
    for j, i, sim in tanimoto_tiles(bits[:7], bits, tile_size=3):
        out[j : j + sim.shape[0], i : i + sim.shape[1]] = sim
    np.testing.assert_allclose(out, expected[:7], rtol=1e-6)  # float32 ratio, as MOSES


def test_bad_inputs():
    with pytest.raises(ValueError, match="uint8"):
        tanimoto_matrix(np.zeros((1, 4)), np.zeros((1, 4)))
    with pytest.raises(ValueError, match="bytes per row"):
        tanimoto_matrix(np.zeros((1, 4), np.uint8), np.zeros((1, 8), np.uint8))


def test_importable_without_rdkit_or_torch():
    code = "import sys, molgen.utils.tanimoto; print([m for m in ('torch', 'rdkit') if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

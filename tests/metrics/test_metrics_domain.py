import subprocess
import sys

import numpy as np
import pytest
from rdkit import Chem, DataStructs
from rdkit.Chem import rdFingerprintGenerator

import molgen.metrics
from molgen.metrics import max_tanimoto
from molgen.utils import tanimoto

TRAIN = [
    "CC(=O)Oc1ccccc1C(=O)O",
    "Cn1c(=O)c2c(ncn2C)n(C)c1=O",
    "CC(C)Cc1ccc(C(C)C(=O)O)cc1",
    "CN1CCC[C@H]1c1cccnc1",
    "c1ccc2ccccc2c1",
    "CCN(CC)CC",
    "OC(=O)CCC(=O)O",
    "c1ccncc1",
    "CC(=O)Nc1ccc(O)cc1",
    "COc1ccc2[nH]cc(CCN)c2c1",
    "CCOC(=O)c1ccccc1",
    "C1CCNCC1",
    "Clc1ccc(Cl)cc1",
    "NC(=O)c1cccnc1",
    "CC1=CC(=O)CC(C)(C)C1",
]
QUERY = ["CCO", "CC(=O)Oc1ccccc1C(=O)O", "CC(=O)Oc1ccccc1", "c1ccccc1", "CCN(CC)CCO", "O=C(O)c1ccccc1O", "C"]


def _fps(smiles):
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    mols = [Chem.MolFromSmiles(s) for s in smiles]
    return [gen.GetFingerprint(m) for m in mols], np.stack([gen.GetFingerprintAsNumPy(m) for m in mols]).astype(np.uint8)


@pytest.mark.parametrize("packed,popcount", [(False, False), (True, False), (True, True)])
def test_max_tanimoto_matches_rdkit_bulk_tanimoto(packed, popcount, monkeypatch):
    # small packed inputs take the popcount path; a zero threshold forces the matrix-product one
    monkeypatch.setattr(tanimoto, "POPCOUNT_MAX_PAIRS", 10**6 if popcount else 0)
    train_bv, train = _fps(TRAIN)
    query_bv, query = _fps(QUERY)
    expected = np.array([max(DataStructs.BulkTanimotoSimilarity(q, train_bv)) for q in query_bv])
    if packed:
        train, query = np.packbits(train, axis=1), np.packbits(query, axis=1)
    sim, idx = max_tanimoto(query, train, packed=packed, chunk_size=3, train_chunk_size=4, return_index=True)
    np.testing.assert_allclose(sim, expected, rtol=0, atol=1e-12)
    assert sim[1] == 1.0 and idx[1] == 0  # aspirin is in the training set
    for q, i, s in zip(query_bv, idx, sim):
        assert DataStructs.TanimotoSimilarity(q, train_bv[i]) == pytest.approx(s)


def test_popcount_and_matrix_paths_agree(monkeypatch):
    rng = np.random.default_rng(0)
    train = np.packbits(rng.random((300, 2048)) < 0.03, axis=1)
    query = np.packbits(rng.random((70, 2048)) < 0.03, axis=1)
    query[5] = train[17]  # an exact match
    query[6] = 0  # an empty fingerprint
    valid = np.ones(70, dtype=bool)
    valid[9] = False
    fast = max_tanimoto(query, train, packed=True, valid=valid, return_index=True)
    monkeypatch.setattr(tanimoto, "POPCOUNT_MAX_PAIRS", 0)
    slow = max_tanimoto(query, train, packed=True, valid=valid, return_index=True)
    np.testing.assert_allclose(fast[0], slow[0], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(fast[1], slow[1])
    assert fast[0][5] == 1.0 and fast[1][5] == 17 and fast[0][6] == 0.0 and np.isnan(fast[0][9])


def test_max_tanimoto_invalid_rows_are_nan():
    _, train = _fps(TRAIN)
    _, query = _fps(QUERY)
    sim, idx = max_tanimoto(query, train, valid=[True, False] + [True] * 5, return_index=True)
    assert np.isnan(sim[1]) and idx[1] == -1 and not np.isnan(sim[[0, 2]]).any()
    floats = query.astype(float)
    floats[3] = np.nan  # a molecule that failed to featurize
    sim = max_tanimoto(floats, train)
    assert np.isnan(sim[3]) and np.isfinite(np.delete(sim, 3)).all()


def test_max_tanimoto_empty_fingerprints_and_errors():
    zeros = np.zeros((2, 16), dtype=np.uint8)
    np.testing.assert_array_equal(max_tanimoto(zeros, zeros), [0.0, 0.0])  # as RDKit
    with pytest.raises(ValueError, match="packed=True"):
        max_tanimoto(np.full((1, 16), 3, dtype=np.uint8), zeros)
    with pytest.raises(ValueError, match="columns"):
        max_tanimoto(np.zeros((1, 8)), zeros)
    with pytest.raises(ValueError, match="empty"):
        max_tanimoto(zeros, zeros[:0])
    with pytest.raises(ValueError, match="valid has 3"):
        max_tanimoto(zeros, zeros, valid=[True] * 3)


def test_star_import_and_no_heavy_imports():
    namespace = {}
    exec("from molgen.metrics import *", namespace)
    assert all(name in namespace for name in molgen.metrics.__all__)
    code = "import sys, molgen.metrics; print([m for m in ('torch', 'rdkit', 'pandas') if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

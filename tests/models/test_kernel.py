import numpy as np
import pytest
from rdkit import Chem, DataStructs
from rdkit.Chem import rdFingerprintGenerator

from molgen.models.kernel import LAMBDAS, KernelRidge, leave_one_out_residuals, tanimoto_matrix
from molgen.utils import tanimoto

SMILES = ["CCO", "CCN", "c1ccccc1O", "c1ccccc1N", "CC(=O)O", "CCCCCC", "C1CCCCC1", "CC(C)O"]


def _fps(smiles):
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    return [gen.GetFingerprint(Chem.MolFromSmiles(s)) for s in smiles]


def _packed(fps):
    return np.packbits(np.array([list(fp) for fp in fps], dtype=np.uint8), axis=1)


@pytest.mark.parametrize("path", ["popcount", "matrix"])
def test_tanimoto_matrix_matches_rdkit(path, monkeypatch):
    if path == "matrix":
        monkeypatch.setattr(tanimoto, "POPCOUNT_MAX_PAIRS", 0)
    fps = _fps(SMILES)
    K = tanimoto_matrix(_packed(fps[:3]), _packed(fps), chunk_size=2)
    expected = np.array([DataStructs.BulkTanimotoSimilarity(fp, fps) for fp in fps[:3]])
    np.testing.assert_allclose(K, expected, rtol=1e-12)
    zero = np.zeros((1, 256), dtype=np.uint8)
    assert tanimoto_matrix(zero, zero)[0, 0] == 0.0  # RDKit's convention for two empty fingerprints


def test_tanimoto_matrix_rejects_bad_input():
    with pytest.raises(ValueError, match="uint8"):
        tanimoto_matrix(np.zeros((2, 256)), np.zeros((2, 256), dtype=np.uint8))
    with pytest.raises(ValueError, match="bytes per row"):
        tanimoto_matrix(np.zeros((2, 128), dtype=np.uint8), np.zeros((2, 256), dtype=np.uint8))


def _data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    K = np.exp(-((X[:, None] - X[None]) ** 2).sum(-1) / 4)
    y = X @ [1.0, -2.0, 0.5] + 0.1 * rng.normal(size=n)
    return K, y


def test_fixed_penalty_gives_the_ridge_solution():
    K, y = _data()
    model = KernelRidge.fit(K, y, lam=[0.1])
    assert model.lam[0] == 0.1
    expected = np.linalg.solve(K + 0.1 * np.eye(len(y)), y - y.mean())
    np.testing.assert_allclose(model.alpha[:, 0], expected, rtol=1e-8, atol=1e-10)


def test_penalty_minimises_brute_force_leave_one_out_error():
    K, y = _data(n=30, seed=3)
    yc = y - y.mean()
    rows = np.arange(len(y))

    def loo_rmse(lam):
        errors = []
        for i in rows:
            keep = rows != i
            alpha = np.linalg.solve(K[np.ix_(keep, keep)] + lam * np.eye(len(y) - 1), yc[keep])
            errors.append(K[i, keep] @ alpha - yc[i])
        return np.sqrt(np.mean(np.square(errors)))

    assert KernelRidge.fit(K, y).lam[0] == min(LAMBDAS, key=loo_rmse)


def test_leave_one_out_residuals_match_refits_without_each_row():
    K, y = _data(n=25, seed=5)
    yc, rows = y - y.mean(), np.arange(len(y))
    expected = []
    for i in rows:
        keep = rows != i
        alpha = np.linalg.solve(K[np.ix_(keep, keep)] + 0.3 * np.eye(len(y) - 1), yc[keep])
        expected.append(yc[i] - K[i, keep] @ alpha)
    np.testing.assert_allclose(leave_one_out_residuals(K, y, 0.3), expected, rtol=1e-7, atol=1e-9)


def test_penalty_is_chosen_from_the_grid_and_fits_well():
    K, y = _data(seed=1)
    model = KernelRidge.fit(K, y)
    assert model.lam[0] in LAMBDAS
    pred = model.predict(K)[:, 0]
    assert np.sqrt(np.mean((pred - y) ** 2)) < 0.5 * y.std()


def test_missing_labels_are_masked_per_target():
    K, y = _data()
    Y = np.stack([y, -y], axis=1)
    Y[::4, 1] = np.nan
    model = KernelRidge.fit(K, Y)
    assert model.alpha.shape == (len(y), 2)
    assert (model.alpha[::4, 1] == 0).all() and np.isfinite(model.predict(K)).all()
    with pytest.raises(ValueError, match="at least 2"):
        KernelRidge.fit(K[:3, :3], np.array([1.0, np.nan, np.nan]))
    with pytest.raises(ValueError, match="kernel matrix"):
        KernelRidge.fit(K, y[:-1])

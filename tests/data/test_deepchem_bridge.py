"""DeepChem bridge: arrays and SMILES to NumpyDataset and back, NaN labels as weight 0."""

import numpy as np
import pandas as pd
import pytest

from molgen.chem import InvalidMoleculeError
from molgen.data.deepchem import from_numpy_dataset, morgan_matrix, smiles_to_numpy_dataset, to_numpy_dataset
from molgen.utils import quiet_import

SMILES = ["CCO", "c1ccccc1O", "CC(=O)Oc1ccccc1C(=O)O", "CN1CCC[C@H]1c1cccnc1"]


@pytest.fixture(scope="module")
def dc():
    return quiet_import("deepchem")


def test_round_trip_values_ids_and_missing_weights(dc):
    X = np.arange(12, dtype=np.float32).reshape(4, 3)
    y = np.array([[1.0, np.nan], [2.0, 20.0], [np.nan, 30.0], [4.0, 40.0]])
    ds = to_numpy_dataset(X, y, ids=SMILES)
    assert isinstance(ds, dc.data.NumpyDataset)
    assert ds.y.shape == ds.w.shape == (4, 2)
    assert not np.isnan(ds.y).any()
    assert np.array_equal(ds.w, np.isfinite(y).astype(float))
    np.testing.assert_array_equal(ds.X, X)

    frame = from_numpy_dataset(ds, task_names=["pIC50", "logS"])
    assert list(frame.columns) == ["smiles", "pIC50", "logS", "w_pIC50", "w_logS"]
    assert frame["smiles"].tolist() == SMILES
    np.testing.assert_array_equal(frame[["pIC50", "logS"]].to_numpy(), y)  # NaN where missing
    assert frame["w_pIC50"].tolist() == [1.0, 1.0, 0.0, 1.0]


def test_user_weights_are_kept_and_zeroed_for_missing():
    y = np.array([1.0, np.nan, 3.0])
    ds = to_numpy_dataset(np.zeros((3, 2)), y, w=[0.5, 2.0, 3.0])
    assert ds.w[:, 0].tolist() == [0.5, 0.0, 3.0]
    frame = from_numpy_dataset(ds)
    assert list(frame.columns) == ["id", "task_0", "w_task_0"]
    assert frame["id"].tolist() == [0, 1, 2]
    assert np.isnan(frame["task_0"][1]) and frame["task_0"][2] == 3.0


def test_missing_as_nan_can_be_turned_off():
    ds = to_numpy_dataset(np.zeros((2, 1)), [np.nan, 1.0])
    assert from_numpy_dataset(ds, missing_as_nan=False)["task_0"].tolist() == [0.0, 1.0]


def test_unlabeled_dataset():
    ds = to_numpy_dataset(np.ones((3, 4)), ids=["a", "b", "c"])
    frame = from_numpy_dataset(ds)
    assert frame["smiles"].tolist() == ["a", "b", "c"]
    assert frame["task_0"].isna().all()


def test_smiles_to_numpy_dataset_counts_and_bits():
    y = pd.Series([1.0, 2.0, np.nan, 4.0], name="pIC50")
    ds = smiles_to_numpy_dataset(SMILES, y, n_bits=1024)
    assert ds.X.shape == (4, 1024) and ds.X.dtype == np.float32
    assert ds.X.max() > 1  # counts
    assert list(ds.ids) == SMILES
    assert ds.w[:, 0].tolist() == [1.0, 1.0, 0.0, 1.0]
    bits = smiles_to_numpy_dataset(SMILES, fingerprint="morgan_bits", n_bits=1024)
    assert set(np.unique(bits.X)) <= {0.0, 1.0}
    np.testing.assert_array_equal(bits.X, (ds.X > 0).astype(np.float32))


def test_morgan_matrix_matches_rdkit():
    from rdkit import Chem
    from rdkit.Chem import rdFingerprintGenerator

    generator = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    expected = generator.GetCountFingerprintAsNumPy(Chem.MolFromSmiles(SMILES[2]))
    np.testing.assert_array_equal(morgan_matrix(SMILES)[2], expected)


def test_bad_inputs():
    with pytest.raises(InvalidMoleculeError, match="row 1"):
        smiles_to_numpy_dataset(["CCO", "C1CC"])
    with pytest.raises(ValueError, match="fingerprint"):
        smiles_to_numpy_dataset(SMILES, fingerprint="maccs")
    with pytest.raises(ValueError, match="shape"):
        to_numpy_dataset(np.zeros((3, 2)), [1.0, 2.0])
    with pytest.raises(ValueError, match="ids"):
        to_numpy_dataset(np.zeros((3, 2)), ids=["a"])
    with pytest.raises(ValueError, match="w must match"):
        to_numpy_dataset(np.zeros((3, 2)), np.zeros((3, 2)), w=np.ones((3, 3)))
    with pytest.raises(ValueError, match="task names"):
        from_numpy_dataset(to_numpy_dataset(np.zeros((2, 1)), [1.0, 2.0]), task_names=["a", "b"])

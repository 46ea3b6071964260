"""Built-in data sets: row counts, dtypes, provenance checksums and error messages."""

import hashlib
import re
from pathlib import Path

import numpy as np
import pytest

from molgen.data import datasets
from molgen.data.datasets import Dataset, data_dir, dataset_path, list_datasets, load_dataset

BUNDLED = {"chembl2321810": 1017, "freesolv": 642, "solubility": 1282, "nci_5k": 4999}
MOSES = {"moses_train": 1_584_663, "moses_test": 176_074, "moses_test_scaffolds": 176_225}


def test_list_datasets():
    assert list_datasets() == sorted([*BUNDLED, *MOSES])


@pytest.mark.parametrize("name, rows", BUNDLED.items())
def test_bundled_sets_load_with_documented_rows(name, rows):
    ds = load_dataset(name)
    assert isinstance(ds, Dataset)
    assert len(ds) == len(ds.frame) == rows
    assert ds.smiles_col == "smiles"
    assert ds.smiles.notna().all()
    assert all(isinstance(s, str) and s for s in ds.smiles)
    if ds.id_col is not None:
        assert all(isinstance(i, str) for i in ds.frame[ds.id_col])
    for col in ds.target_cols:
        assert np.issubdtype(ds.frame[col].dtype, np.floating)
        assert ds.frame[col].notna().all()
    assert ds.task == ("regression" if ds.target_cols else "none")
    assert ds.source and ds.license and ds.description
    assert name in repr(ds)


def test_chembl_values():
    ds = load_dataset("chembl2321810")
    assert ds.target_cols == ("pIC50",)
    assert ds.frame["id"].is_unique
    first = ds.frame.iloc[0]
    assert (first["id"], first["pIC50"]) == ("1520012", 5.48)
    assert 3 < ds.frame["pIC50"].min() < ds.frame["pIC50"].max() < 12
    assert "CC BY-SA 3.0" in ds.license


def test_freesolv_columns():
    ds = load_dataset("freesolv")
    assert {"smiles", "expt", "calc", "iupac"} <= set(ds.frame.columns)
    assert ds.target_cols == ("expt",)
    assert ds.units.startswith("kcal/mol")
    assert np.issubdtype(ds.frame["calc"].dtype, np.floating)


def test_solubility_published_split():
    ds = load_dataset("solubility")
    assert ds.split_col == "split"
    assert ds.frame["split"].value_counts().to_dict() == {"train": 1025, "test": 257}
    assert list(ds.frame["split"].iloc[[0, -1]]) == ["train", "test"]
    assert ds.target_cols == ("logS",)


def test_nrows_reads_the_head():
    assert len(load_dataset("chembl2321810", nrows=5)) == 5


@pytest.mark.parametrize("name", MOSES)
def test_moses_head(name):
    ds = load_dataset(name, nrows=50)
    assert len(ds) == 50
    assert list(ds.frame.columns) == ["smiles"]
    assert ds.id_col is None and ds.target_cols == () and ds.task == "none"
    assert dataset_path(name).name.endswith(".csv.gz")


@pytest.mark.slow
@pytest.mark.parametrize("name, rows", MOSES.items())
def test_moses_full_row_counts(name, rows):
    assert len(load_dataset(name)) == rows


def test_unknown_name_lists_choices():
    with pytest.raises(ValueError, match="chembl2321810.*freesolv"):
        load_dataset("tox21")


@pytest.mark.parametrize("nrows", [0, -1, 2.5, True])
def test_bad_nrows(nrows):
    with pytest.raises(ValueError, match="nrows"):
        load_dataset("freesolv", nrows=nrows)


def test_name_is_case_insensitive():
    assert load_dataset("FreeSolv").name == "freesolv"


def test_bundled_files_are_package_data(monkeypatch):
    import molgen

    monkeypatch.delenv(datasets.DATA_DIR_ENV, raising=False)
    assert data_dir() == Path(molgen.__file__).resolve().parent / "data" / "bundled"
    assert dataset_path("chembl2321810") == data_dir() / "chembl2321810.csv"


def test_data_dir_override_and_missing_file(monkeypatch, tmp_path):
    monkeypatch.setenv(datasets.DATA_DIR_ENV, str(tmp_path))
    assert data_dir() == tmp_path
    with pytest.raises(FileNotFoundError, match="MOLGEN_DATA_DIR"):
        load_dataset("chembl2321810")


def test_missing_molsets_says_how_to_install(monkeypatch):
    monkeypatch.setattr(datasets, "_MOSES_PACKAGE", "molgen_no_such_package")
    with pytest.raises(ModuleNotFoundError, match=re.escape("pip install --no-deps molsets==0.3.1")):
        load_dataset("moses_test", nrows=5)


def test_shipped_files_match_readme_checksums():
    readme = (data_dir() / "README.md").read_text()
    table = dict(re.findall(r"^\| `([\w.]+\.csv)` \| [\d,]+ \| `([0-9a-f]{64})` \|$", readme, flags=re.M))
    assert set(table) == {"chembl2321810.csv", "freesolv.csv", "solubility.csv"}
    for filename, digest in table.items():
        assert hashlib.sha256((data_dir() / filename).read_bytes()).hexdigest() == digest, filename

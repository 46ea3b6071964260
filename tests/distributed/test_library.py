"""Library planning and shard reading, without Ray."""

import gzip

import numpy as np
import pandas as pd
import pytest

from molgen.distributed import LibraryError, find_files, plan_shards, read_shard, scan_file
from tests.distributed.conftest import BAD_LINES, N_LIBRARY  # noqa: F401


def _rows(path, shard_size, **kw):
    root, files = find_files(path)
    scanned = [scan_file(f, root, shard_size) for f in files]
    shards = plan_shards(scanned, shard_size)
    parts = [read_shard(scanned[s.file], s, **kw) for s in shards]
    return scanned, shards, {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


@pytest.mark.parametrize("name", ["lib.csv", "lib.csv.gz"])
def test_shards_cover_every_row_once(library, name):
    scanned, shards, rows = _rows(library.parent / name, 400, smiles_col="smiles", id_col="name")
    assert scanned[0].n_rows == N_LIBRARY and len(shards) == 4
    assert rows["row"].tolist() == list(range(N_LIBRARY))
    assert rows["id"][0] == "m0" and rows["id"][N_LIBRARY - 1] == f"m{N_LIBRARY - 1}"
    assert rows["state"][5] == "invalid_record" and "3 fields, expected 2" in rows["error"][5]
    assert rows["smiles"][10] == "" and rows["smiles"][11] == "not_a_smiles"


def test_plain_and_gzip_give_the_same_rows(library):
    a = _rows(library, 333, smiles_col="smiles")[2]
    b = _rows(library.parent / "lib.csv.gz", 333, smiles_col="smiles")[2]
    for key in ("smiles", "row", "state", "error"):
        assert a[key].tolist() == b[key].tolist()


def test_parquet_and_smi_and_folder(tmp_path):
    pd.DataFrame({"smi": ["CCO", None, "c1ccccc1"], "id": ["a", "b", "c"]}).to_parquet(tmp_path / "p.parquet")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "x.smi").write_text("CCN n1\n\nCCC\n")
    root, files = find_files(tmp_path)
    assert [f.relative_to(root).as_posix() for f in files] == ["p.parquet", "sub/x.smi"]
    parquet = _rows(tmp_path / "p.parquet", 2, smiles_col="smi", id_col="id")[2]
    assert parquet["smiles"].tolist() == ["CCO", "", "c1ccccc1"] and parquet["id"].tolist() == ["a", "b", "c"]
    smi = _rows(tmp_path / "sub" / "x.smi", 2, smiles_col="smiles", id_col="id")[2]
    assert smi["smiles"].tolist() == ["CCN", "", "CCC"] and smi["id"].tolist() == ["n1", "", ""]


def test_clear_errors(tmp_path, library):
    with pytest.raises(LibraryError, match="no such file"):
        find_files(tmp_path / "missing.csv")
    (tmp_path / "header.csv").write_text("smiles,id\n")
    with pytest.raises(LibraryError, match="no data rows"):
        scan_file(tmp_path / "header.csv", tmp_path)
    (tmp_path / "bad.csv.gz").write_bytes(gzip.compress(b"smiles\nCCO\n" * 1000)[:-30])
    with pytest.raises(LibraryError, match="gzip"):
        scan_file(tmp_path / "bad.csv.gz", tmp_path)
    from molgen.distributed.library import check_column

    with pytest.raises(LibraryError, match="did you mean 'smiles'"):
        check_column(scan_file(library, library.parent), "smile", "SMILES")

"""File readers: every format plain and gzipped, and clear errors for bad files."""

import gzip

import pandas as pd
import pytest
from rdkit import Chem

from molgen.data.readers import DataFileError, detect_format, open_text, read_table

ROWS = [("CCO", "00123", "5.1"), ("c1ccccc1", "007", ""), ("CC(=O)O", "42", "6")]

BROKEN_RECORD = (
    "broken\n  manual\n\n  2  1  0  0  0  0  0  0  0  0999 V2000\n"
    "    0.0000    0.0000    0.0000 C   0  0\ngarbage\nM  END\n> <pIC50>\n4.2\n\n$$$$\n"
)


def _truncated_gzip(text: bytes) -> bytes:
    data = gzip.compress(text)
    return data[: len(data) // 2]


def _write(path, text: str, gz: bool):
    data = text.encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def _sdf_text(tmp_path) -> str:
    scratch = tmp_path / "scratch.sdf"
    writer = Chem.SDWriter(str(scratch))
    for smi, ident, y in ROWS:
        mol = Chem.MolFromSmiles(smi)
        mol.SetProp("_Name", ident)
        mol.SetProp("id", ident)
        mol.SetProp("pIC50", y)
        writer.write(mol)
    writer.close()
    return scratch.read_text()


def _expect_rows(frame):
    assert list(frame["smiles"]) == [smi for smi, _, _ in ROWS]
    assert list(frame["id"]) == [ident for _, ident, _ in ROWS]


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("ext,sep", [("csv", ","), ("tsv", "\t")])
def test_delimited(tmp_path, ext, sep, gz):
    text = sep.join(["smiles", "id", "pIC50"]) + "\n" + "".join(sep.join(r) + "\n" for r in ROWS)
    path = _write(tmp_path / (f"m.{ext}" + (".gz" if gz else "")), text, gz)
    frame = read_table(path)
    _expect_rows(frame)
    assert frame["pIC50"].isna().tolist() == [False, True, False]
    assert all(pd.api.types.is_string_dtype(frame[c]) for c in frame.columns)


def test_csv_with_custom_separator(tmp_path):
    path = _write(tmp_path / "m.csv", "smiles;id\nCCO;001\n", False)
    assert read_table(path, sep=";")["id"].tolist() == ["001"]


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("header", [False, True], ids=["no_header", "header"])
def test_smi(tmp_path, header, gz):
    text = ("SMILES Name\n" if header else "") + "".join(f"{smi}\t{ident}\n" for smi, ident, _ in ROWS) + "\n"
    path = _write(tmp_path / ("m.smi" + (".gz" if gz else "")), text, gz)
    frame = read_table(path)
    assert list(frame.columns) == ["smiles", "id"]
    _expect_rows(frame)


def test_smi_without_names_and_names_with_spaces(tmp_path):
    path = _write(tmp_path / "m.smi", "CCO\nc1ccccc1   benzene ring\n", False)
    frame = read_table(path)
    assert frame["smiles"].tolist() == ["CCO", "c1ccccc1"]
    assert pd.isna(frame["id"][0]) and frame["id"][1] == "benzene ring"


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
def test_sdf(tmp_path, gz):
    path = _write(tmp_path / ("m.sdf" + (".gz" if gz else "")), _sdf_text(tmp_path), gz)
    frame = read_table(path)
    _expect_rows(frame)
    assert frame["_name"].tolist() == ["00123", "007", "42"]
    assert frame["pIC50"].tolist() == ["5.1", "", "6"]
    assert set(frame["_sdf_state"]) == {"valid"}


def test_sdf_broken_records_are_kept(tmp_path):
    bad = Chem.MolFromSmiles("C(C)(C)(C)(C)C", sanitize=False)
    bad.UpdatePropertyCache(strict=False)
    pentavalent = Chem.MolToMolBlock(bad, kekulize=False) + "> <pIC50>\n3.3\n\n$$$$\n"
    path = _write(tmp_path / "m.sdf", _sdf_text(tmp_path) + pentavalent + BROKEN_RECORD, False)
    frame = read_table(path)
    assert len(frame) == 5
    assert frame["_sdf_state"].tolist() == ["valid"] * 3 + ["sanitization_error", "invalid_record"]
    assert frame["smiles"].tolist()[3:] == ["", ""]
    assert frame["pIC50"].tolist()[3:] == ["3.3", "4.2"]
    assert frame["_sdf_error"].iloc[4] != ""


def test_parquet_and_magic_bytes(tmp_path):
    source = pd.DataFrame({"smiles": [r[0] for r in ROWS], "id": [r[1] for r in ROWS], "y": [1.0, None, 2.0]})
    source.to_parquet(tmp_path / "m.parquet")
    source.to_parquet(tmp_path / "m.data")
    for name in ("m.parquet", "m.data"):
        frame = read_table(tmp_path / name)
        _expect_rows(frame)
        assert frame["y"].isna().tolist() == [False, True, False]
    assert detect_format(tmp_path / "m.data") == "parquet"


def test_gzip_detected_by_magic_bytes_not_extension(tmp_path):
    path = _write(tmp_path / "m.csv", "smiles,id\nCCO,001\n", True)
    assert read_table(path)["id"].tolist() == ["001"]


def test_open_text_plain_and_gzip(tmp_path):
    for gz in (False, True):
        path = _write(tmp_path / f"t{gz}.txt", "\ufeffhello\nworld\n", gz)
        with open_text(path) as handle:
            assert handle.read() == "hello\nworld\n"


BAD_FILES = [
    ("empty.csv", b"", "0 bytes"),
    ("blank.csv", b"\n\n", "empty"),
    ("header.csv", b"smiles,id,pIC50\n", "no data rows"),
    ("header.csv.gz", gzip.compress(b"smiles,id\n"), "no data rows"),
    ("header.smi", b"smiles name\n", "no data rows"),
    ("nothing.sdf", b"\n\n", "no data rows"),
    ("latin1.csv", "smiles,id\nCCO,caf\xe9\n".encode("latin-1"), "UTF-8"),
    ("truncated.csv.gz", _truncated_gzip(b"smiles,id\n" + b"CCO,1\n" * 5000), "truncated"),
    ("truncated.sdf.gz", _truncated_gzip(b"x" * 5000), "truncated"),
    ("corrupt.parquet", b"PAR1 this is not really parquet PAR1", "Parquet"),
    ("mislabeled.parquet", b"smiles,id\nCCO,1\n", "Parquet"),
    ("ragged.csv", b"a,b\n1,2\n1,2,3\n", "malformed"),
]


@pytest.mark.parametrize("name,content,message", BAD_FILES, ids=[case[0] for case in BAD_FILES])
def test_bad_files(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DataFileError, match=message) as info:
        read_table(path)
    assert name in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(DataFileError, match="no such file"):
        read_table(tmp_path / "nope.csv")
    with pytest.raises(DataFileError, match="directory"):
        read_table(tmp_path)


def test_unknown_extension_lists_supported(tmp_path):
    path = tmp_path / "m.xlsx"
    path.write_bytes(b"something")
    with pytest.raises(DataFileError, match=r"'\.xlsx'.*\.csv.*\.parquet.*\.sdf\.gz.*\.smi\.gz"):
        read_table(path)


def test_data_file_error_is_value_error():
    assert issubclass(DataFileError, ValueError)

"""The bad-input matrix: what a user sees from ``molgen data inspect / train / predict / score``.

Every case must end with exit status 2, nothing on stdout, exactly one line on stderr
that names the file (or the row, column or config key) and what was expected, no
traceback, and no output file or temporary file left behind. The same table, with the
messages, is in the README's "Troubleshooting" section.
"""

import builtins
import errno
import gzip
import io
import json
import os
import pickle
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from molgen.cli import main
from molgen.data import load_dataset

GOOD_CSV = "id,smiles,pIC50\na,CCO,5.0\nb,c1ccccc1O,6.1\nc,CC(=O)O,4\n"
QED_CONFIG = '[[objectives]]\nname = "qed"\nkind = "qed"\n'

MOLBLOCK = """ethanol
  molgen

  3  2  0  0  0  0  0  0  0  0999 V2000
    0.0000    0.0000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0
    1.2990    0.7500    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0
    2.5981    0.0000    0.0000 O   0  0  0  0  0  0  0  0  0  0  0  0
  1  2  1  0
  2  3  1  0
M  END
> <pIC50>
5.5

$$$$
"""
BROKEN_RECORD = "broken\n  molgen\n\n  2  1  0  0  0  0  0  0  0  0999 V2000\nnonsense\n$$$$\n"


def _truncated_gzip() -> bytes:
    rng = random.Random(0)
    rows = "".join(f"{'C' * rng.randint(1, 30)}O,{rng.random():.6f}\n" for _ in range(3000))
    data = gzip.compress(("smiles,pIC50\n" + rows).encode())
    return data[: len(data) // 2]


def _corrupt_parquet() -> bytes:
    buf = io.BytesIO()
    pd.DataFrame({"smiles": ["CCO"] * 10, "pIC50": [5.0] * 10}).to_parquet(buf, index=False)
    raw = buf.getvalue()
    return raw[:4] + b"\x00" * (len(raw) - 12) + raw[-8:]  # magic bytes and footer length kept, body zeroed


def _parquet_invalid_utf8() -> bytes:
    """A Parquet file whose string column holds bytes that are not UTF-8 (found by the fuzzer)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    offsets = np.array([0, 3, 7], dtype=np.int32)
    smiles = pa.Array.from_buffers(pa.string(), 2, [None, pa.py_buffer(offsets.tobytes()), pa.py_buffer(b"CCOC\xffCC")])
    buf = io.BytesIO()
    pq.write_table(pa.table({"smiles": smiles, "pIC50": pa.array([5.0, 6.0])}), buf)
    return buf.getvalue()


#: name -> (file name, bytes)
DATA_FILES = {
    "empty file": ("empty.csv", b""),
    "header-only file": ("header.csv", b"id,smiles,pIC50\n"),
    "UTF-16 file": ("utf16.csv", "smiles,pIC50\nCCO,5\n".encode("utf-16")),
    "latin-1 file": ("latin1.csv", "smiles,pIC50,name\nCCO,5,caf\xe9\n".encode("latin-1")),
    "truncated gzip": ("truncated.csv.gz", _truncated_gzip()),
    "corrupt Parquet": ("corrupt.parquet", _corrupt_parquet()),
    "Parquet named .csv": ("mislabeled.parquet", b"smiles,pIC50\nCCO,5\n"),
    "Parquet with invalid UTF-8 text": ("bad_text.parquet", _parquet_invalid_utf8()),
    "row with extra fields": ("ragged.csv", b"smiles,pIC50\nCCO,5,7\n"),
    "unknown extension": ("data.xlsx", b"PK\x03\x04"),
    "non-numeric target": ("text_target.csv", b"smiles,pIC50\nCCO,5\nCCN,high\n"),
    "infinite target": ("inf_target.csv", b"smiles,pIC50\nCCO,5\nCCN,inf\n"),
    "good": ("good.csv", GOOD_CSV.encode()),
    "garbage SMILES": ("garbage.csv", ("smiles,pIC50\n" + "".join(f"garbage{i},{i % 7}\n" for i in range(40))).encode()),
    "SDF with broken records": ("broken.sdf", (MOLBLOCK + BROKEN_RECORD + MOLBLOCK).encode()),
}

#: name -> expected fragments of the message, for every command that reads the file.
FILE_ERRORS = {
    "empty file": ["empty.csv: file is empty (0 bytes)"],
    "header-only file": ["header.csv: file has no data rows"],
    "UTF-16 file": ["utf16.csv: not valid UTF-8 text", "re-save it as UTF-8"],
    "latin-1 file": ["latin1.csv: not valid UTF-8 text", "re-save it as UTF-8"],
    "truncated gzip": ["truncated.csv.gz: truncated or corrupt gzip data"],
    "corrupt Parquet": ["corrupt.parquet: corrupt or unreadable Parquet file"],
    "Parquet named .csv": ["mislabeled.parquet: not a Parquet file (magic bytes 'PAR1' missing)"],
    "Parquet with invalid UTF-8 text": ["bad_text.parquet: corrupt Parquet file: column 'smiles' holds invalid data", "Invalid UTF8"],
    "row with extra fields": ["ragged.csv: line 2 has 3 fields but the header has 2", "--sep"],
    "unknown extension": ["data.xlsx: unknown file type '.xlsx'; supported: .csv"],
}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad_inputs")
    paths = {}
    for name, (file_name, data) in DATA_FILES.items():
        paths[name] = folder / file_name
        paths[name].write_bytes(data)
    (folder / "qed.toml").write_text(QED_CONFIG)
    train = load_dataset("chembl2321810").frame.head(40)
    train.to_csv(folder / "train40.csv", index=False)
    return folder, paths


@pytest.fixture
def out_dir(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def run_cli(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def assert_user_error(code, out, err, fragments, out_dir=None):
    assert code == 2, (code, err)
    assert out == "", out
    assert err.endswith("\n") and err.count("\n") == 1, f"not one line: {err!r}"
    assert "Traceback" not in err, err
    assert err.startswith("molgen "), err
    for fragment in fragments:
        assert fragment in err, f"{fragment!r} not in {err!r}"
    if out_dir is not None:
        assert list(Path(out_dir).iterdir()) == [], "output or temporary files left behind"


def command(kind, data, folder, out_dir, model=None, config=None, target="pIC50"):
    if kind == "inspect":
        return ["data", "inspect", data, "--smiles-col", "smiles", "--target-col", target]
    if kind == "train":
        return [
            "train",
            "--data",
            data,
            "--smiles-col",
            "smiles",
            "--target-col",
            target,
            "--out",
            out_dir / "model",
            "--epochs",
            "1",
            "--quiet",
        ]
    if kind == "predict":
        return ["predict", "--model", model, "--data", data, "--smiles-col", "smiles", "--out", out_dir / "pred.csv"]
    return ["score", "--config", config or folder / "qed.toml", "--data", data, "--smiles-col", "smiles", "--out", out_dir / "ranked.csv"]


COMMANDS = ("inspect", "train", "predict", "score")


# ----------------------------------------------------------------------------- data files


@pytest.mark.parametrize("kind", COMMANDS)
@pytest.mark.parametrize("case", list(FILE_ERRORS))
def test_bad_data_file(case, kind, files, out_dir, tiny_model_dir, capsys):
    folder, paths = files
    args = command(kind, paths[case], folder, out_dir, model=tiny_model_dir)
    assert_user_error(*run_cli(capsys, *args), FILE_ERRORS[case], out_dir)


@pytest.mark.parametrize("kind", COMMANDS)
def test_misspelled_column(kind, files, out_dir, tiny_model_dir, capsys):
    folder, paths = files
    args = command(kind, paths["good"], folder, out_dir, model=tiny_model_dir)
    args[args.index("--smiles-col") + 1] = "SMILE"
    expected = ["column 'SMILE' not found; did you mean 'smiles'?", "(columns: id, smiles, pIC50)"]
    assert_user_error(*run_cli(capsys, *args), expected, out_dir)


@pytest.mark.parametrize("kind", ["inspect", "train"])
def test_misspelled_target_column(kind, files, out_dir, capsys):
    folder, paths = files
    args = command(kind, paths["good"], folder, out_dir, target="pic50")
    assert_user_error(*run_cli(capsys, *args), ["column 'pic50' not found; did you mean 'pIC50'?"], out_dir)


@pytest.mark.parametrize("kind", ["inspect", "train"])
@pytest.mark.parametrize(
    "case, fragments",
    [
        ("non-numeric target", ["target column 'pIC50'", "non-numeric", "data rows 2 ('high')", "leave a cell blank"]),
        ("infinite target", ["target column 'pIC50'", "infinite value(s) in data rows 2 (inf)"]),
    ],
)
def test_bad_targets(case, fragments, kind, files, out_dir, capsys):
    folder, paths = files
    assert_user_error(*run_cli(capsys, *command(kind, paths[case], folder, out_dir)), fragments, out_dir)


def test_garbage_smiles_is_rows_not_an_error(files, out_dir, tiny_model_dir, capsys):
    """A SMILES column full of garbage: predict and score keep every row, with its state and NaN."""
    folder, paths = files
    code, _, err = run_cli(capsys, *command("predict", paths["garbage SMILES"], folder, out_dir, model=tiny_model_dir))
    assert code == 0 and "40 rows: 0 valid, 40 invalid_smiles" in err
    table = pd.read_csv(out_dir / "pred.csv")
    assert list(table["state"]) == ["invalid_smiles"] * 40 and table["prediction"].isna().all()
    code, _, err = run_cli(capsys, *command("score", paths["garbage SMILES"], folder, out_dir))
    assert code == 0 and "0 scored, 40 failed" in err
    code, out, _ = run_cli(capsys, "data", "inspect", paths["garbage SMILES"], "--smiles-col", "smiles", "--json")
    assert code == 0 and json.loads(out)["invalid_by_reason"] == {"invalid_smiles": 40}


def test_garbage_smiles_cannot_train(files, out_dir, capsys):
    folder, paths = files
    args = command("train", paths["garbage SMILES"], folder, out_dir) + ["--sizes", "0.6", "0.1", "0.2", "0.1", "--coverage", "0.8"]
    assert_user_error(*run_cli(capsys, *args), ["only 0 valid, labelled molecules; need at least 10 to train"], out_dir)


def test_sdf_broken_records_inspect(files, capsys):
    _, paths = files
    code, out, _ = run_cli(capsys, "data", "inspect", paths["SDF with broken records"], "--smiles-col", "smiles", "--json")
    summary = json.loads(out)
    assert code == 0 and summary["rows"] == 3 and summary["invalid_by_reason"] == {"invalid_record": 1}


@pytest.mark.parametrize("kind", ["predict", "score"])
def test_sdf_broken_records_are_rows(kind, files, out_dir, tiny_model_dir, capsys):
    folder, paths = files
    code, _, err = run_cli(capsys, *command(kind, paths["SDF with broken records"], folder, out_dir, model=tiny_model_dir))
    assert code == 0, err
    table = pd.read_csv(next(out_dir.iterdir()))
    assert sorted(table["state"]) == ["invalid_record", "valid", "valid"]


# ----------------------------------------------------------------------------- model directories


class PlantedPayload:
    """Unpickling this would create the marker file: proof that code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _model_cases(model_dir: Path, folder: Path):
    """name -> (model path, expected fragments); every folder is built from ``model_dir``."""
    import shutil

    marker = folder / "PWNED"
    cases = {}

    chemprop = folder / "chemprop_run"
    (chemprop / "model_0").mkdir(parents=True)
    (chemprop / "model_0" / "best.pt").write_bytes(pickle.dumps(PlantedPayload(marker)))
    (chemprop / "args.json").write_text("{}")
    cases["Chemprop-like folder"] = (
        chemprop,
        ["chemprop_run: not a molgen model directory (no molgen_model.json; found: args.json, model_0)"],
    )
    sklearn = folder / "sklearn_model"
    sklearn.mkdir()
    (sklearn / "model.pkl").write_bytes(pickle.dumps(PlantedPayload(marker)))
    cases["scikit-learn pickle folder"] = (sklearn, ["sklearn_model: not a molgen model directory", "found: model.pkl"])
    cases["a .pt file, not a folder"] = (chemprop / "model_0" / "best.pt", ["best.pt: is a file, not a molgen model directory"])

    def copy(name):
        target = folder / name
        shutil.copytree(model_dir, target)
        return target

    truncated = copy("truncated")
    weights = truncated / "member_0.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    cases["truncated checkpoint"] = (
        truncated,
        ["member_0.safetensors: checksum mismatch (the file was changed or truncated after saving)"],
    )
    tampered = copy("tampered")
    fps = tampered / "domain_fingerprints.npy"
    data = bytearray(fps.read_bytes())
    data[-1] ^= 0xFF
    fps.write_bytes(bytes(data))
    cases["tampered checkpoint"] = (tampered, ["domain_fingerprints.npy: checksum mismatch"])
    future = copy("future")
    manifest = json.loads((future / "molgen_model.json").read_text())
    manifest.update(format_version=99, molgen_version="9.0.0")
    (future / "molgen_model.json").write_text(json.dumps(manifest))
    cases["checkpoint from a future molgen"] = (future, ["written by molgen 9.0.0 (model format 99)", "upgrade molgen"])
    corrupt = copy("corrupt_json")
    (corrupt / "molgen_model.json").write_bytes(b'{"format": "molgen-model", ')
    cases["corrupt metadata"] = (corrupt, ["molgen_model.json: corrupt model metadata, not JSON"])
    return cases, marker


@pytest.fixture(scope="module")
def model_cases(tiny_model_dir, tmp_path_factory):
    return _model_cases(tiny_model_dir, tmp_path_factory.mktemp("model_cases"))


MODEL_CASE_NAMES = [
    "Chemprop-like folder",
    "scikit-learn pickle folder",
    "a .pt file, not a folder",
    "truncated checkpoint",
    "tampered checkpoint",
    "checkpoint from a future molgen",
    "corrupt metadata",
]


@pytest.mark.parametrize("case", MODEL_CASE_NAMES)
def test_bad_model_directory_predict(case, model_cases, files, out_dir, capsys):
    cases, marker = model_cases
    folder, paths = files
    model, fragments = cases[case]
    assert_user_error(*run_cli(capsys, *command("predict", paths["good"], folder, out_dir, model=model)), fragments, out_dir)
    assert not marker.exists()


@pytest.mark.parametrize("case", ["Chemprop-like folder", "truncated checkpoint", "checkpoint from a future molgen"])
def test_bad_model_directory_score(case, model_cases, files, out_dir, tmp_path, capsys):
    cases, marker = model_cases
    folder, paths = files
    model, fragments = cases[case]
    config = tmp_path / "model.toml"
    config.write_text(
        f'[[objectives]]\nname = "pic50"\nkind = "model"\nmodel = {json.dumps(str(model))}\n'
        'transform = { kind = "sigmoid", low = 5, high = 8 }\n'
    )
    code, out, err = run_cli(capsys, *command("score", paths["good"], folder, out_dir, config=config))
    assert_user_error(code, out, err, ["model.toml: objectives[0].model:", *fragments], out_dir)
    assert not marker.exists()


# ----------------------------------------------------------------------------- scorer configs

CONFIG_CASES = {
    "unknown top-level key": ('colour = "blue"\n' + QED_CONFIG, ["bad.toml: colour: unknown key; valid keys: aggregation, objectives"]),
    "unknown objective key": (QED_CONFIG + "wieght = 2\n", ["bad.toml: objectives[0]", "wieght"]),
    "wrong type": (QED_CONFIG + 'weight = "heavy"\n', ["bad.toml: objectives[0].weight: expected a number, got str 'heavy'"]),
    "wrong transform type": (
        QED_CONFIG + 'transform = { kind = "sigmoid", low = "a", high = 1 }\n',
        ["bad.toml: objectives[0].transform.low"],
    ),
    "no objectives": ('aggregation = "weighted_geometric"\n', ["bad.toml: objectives: required key missing"]),
    "TOML syntax error": ("[[objectives]\nname = ", ["bad.toml: invalid TOML"]),
}


@pytest.mark.parametrize("case", list(CONFIG_CASES))
def test_bad_scorer_config(case, files, out_dir, tmp_path, capsys):
    folder, paths = files
    text, fragments = CONFIG_CASES[case]
    config = tmp_path / "bad.toml"
    config.write_text(text)
    assert_user_error(*run_cli(capsys, *command("score", paths["good"], folder, out_dir, config=config)), fragments, out_dir)


def test_yaml_config_cannot_run_code(files, out_dir, tmp_path, capsys):
    folder, paths = files
    marker = tmp_path / "PWNED"
    config = tmp_path / "evil.yaml"
    config.write_text(f"!!python/object/apply:os.system ['touch {marker}']\n")
    assert_user_error(
        *run_cli(capsys, *command("score", paths["good"], folder, out_dir, config=config)), ["evil.yaml: invalid YAML"], out_dir
    )
    assert not marker.exists()


# ----------------------------------------------------------------------------- outputs


@pytest.mark.parametrize(
    "where, fragments",
    [
        ("missing/pred.csv", ["cannot write", "missing/pred.csv: folder", "does not exist"]),
        ("a_file.txt/pred.csv", ["is not a folder"]),
        ("a_folder.csv", ["a_folder.csv: is a folder; give a file name"]),
        ("pred.xlsx", ["pred.xlsx: unsupported output file type; use .csv, .csv.gz, .tsv, .tsv.gz, .parquet"]),
    ],
)
@pytest.mark.parametrize("kind", ["predict", "score"])
def test_output_cannot_be_written(kind, where, fragments, files, tmp_path, tiny_model_dir, capsys):
    folder, paths = files
    (tmp_path / "a_file.txt").write_text("x")
    (tmp_path / "a_folder.csv").mkdir()
    before = sorted(p.name for p in tmp_path.iterdir())
    args = command(kind, paths["good"], folder, tmp_path, model=tiny_model_dir)
    args[-1] = tmp_path / where
    assert_user_error(*run_cli(capsys, *args), fragments)
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_train_output_cannot_be_written(files, tmp_path, capsys):
    folder, paths = files
    (tmp_path / "a_file.txt").write_text("x")
    args = command("train", folder / "train40.csv", folder, tmp_path)
    args[args.index("--out") + 1] = tmp_path / "a_file.txt" / "model"
    args += ["--sizes", "0.6", "0.1", "0.2", "0.1", "--coverage", "0.8"]
    assert_user_error(*run_cli(capsys, *args), ["cannot write", "is not a folder"])


class _FullDisk:
    """A file object whose writes fail with ENOSPC after the first few bytes, like a full disk."""

    def __init__(self, handle):
        self._handle, self._written = handle, 0

    def write(self, data):
        if self._written > 16:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self._written += len(data)
        return self._handle.write(data)

    def __getattr__(self, name):
        return getattr(self._handle, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._handle.close()


@pytest.mark.parametrize("kind, name", [("predict", "pred.csv"), ("predict", "pred.csv.gz"), ("score", "ranked.tsv")])
def test_disk_full_leaves_nothing(kind, name, files, out_dir, tiny_model_dir, monkeypatch, capsys):
    """Writes into the output folder fail with ENOSPC at the file-object level: one line, no leftovers."""
    folder, paths = files
    real_open = builtins.open

    def full_open(file, mode="r", *args, **kwargs):
        handle = real_open(file, mode, *args, **kwargs)
        if any(m in mode for m in "wax") and str(file).startswith(str(out_dir)):
            return _FullDisk(handle)
        return handle

    monkeypatch.setattr(builtins, "open", full_open)
    args = command(kind, paths["good"], folder, out_dir, model=tiny_model_dir)
    args[-1] = out_dir / name
    assert_user_error(*run_cli(capsys, *args), [f"cannot write {out_dir / name}: No space left on device"], out_dir)


def test_model_save_disk_full_leaves_nothing(tiny_model_dir, tmp_path, monkeypatch):
    import numpy as np

    from molgen.efficacy import CheckpointError, load_model

    model = load_model(tiny_model_dir)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(np, "save", full)
    with pytest.raises(CheckpointError, match="cannot write the model directory \\(No space left on device\\)"):
        model.save(tmp_path / "copy")
    assert list(tmp_path.iterdir()) == []


FSIZE_SCRIPT = textwrap.dedent(
    """
    import json, resource, signal, sys
    from molgen.cli import main
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG instead
    limit = int(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    codes = []
    for argv in json.loads(sys.argv[2]):
        codes.append(main(argv))
        sys.stderr.flush()
    print(json.dumps(codes))
    """
)


@pytest.mark.slow
def test_file_size_limit_subprocess(files, tmp_path, tiny_model_dir):
    """A real OS-level write failure (RLIMIT_FSIZE, no root needed) while ``train`` saves a model
    and ``predict`` writes Parquet: one line each, exit 2, nothing left behind."""
    folder, _ = files
    out = tmp_path / "out"
    out.mkdir()
    train = ["train", "--data", folder / "train40.csv", "--smiles-col", "smiles", "--target-col", "pIC50", "--out", out / "model"]
    train += [
        "--epochs",
        "1",
        "--hidden",
        "8",
        "--ensemble-size",
        "1",
        "--sizes",
        "0.6",
        "0.1",
        "0.2",
        "0.1",
        "--coverage",
        "0.8",
        "--quiet",
    ]
    predict = [
        "predict",
        "--model",
        tiny_model_dir,
        "--data",
        folder / "train40.csv",
        "--smiles-col",
        "smiles",
        "--out",
        out / "pred.parquet",
    ]
    commands = json.dumps([[str(a) for a in args] for args in (train, predict)])
    done = subprocess.run([sys.executable, "-c", FSIZE_SCRIPT, "2048", commands], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and json.loads(done.stdout.strip().splitlines()[-1]) == [2, 2], done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    train_line, predict_line = done.stderr.strip().splitlines()[-2:]
    assert train_line.startswith("molgen train: error:") and "model: cannot write the model directory" in train_line
    assert predict_line.startswith("molgen predict: error: cannot write") and "pred.parquet" in predict_line
    assert "File too large" in train_line and "File too large" in predict_line
    assert list(out.iterdir()) == []

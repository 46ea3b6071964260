"""The README cannot drift: its code blocks run, and the error messages it quotes are the real ones.

Conventions in README.md (HTML comments, which GitHub does not show):

``<!-- readme-snippet: NAME -->`` right before a fenced code block
    A test below runs the block as written (``_snippet(NAME)`` finds it).
``<!-- readme-not-run: REASON -->`` right before a fenced code block
    The tests do not run the block, for the reason given (it installs software, needs a
    cluster or runs for hours).
``<!-- readme-error: NAME -->`` right before a backtick-quoted error message
    ``ERRORS[NAME]`` below triggers the real error, and the quote must equal its message;
    ``...`` in a quote stands for any text (an OS or library detail, a version).

A fenced block without one of the first two markers, a marker without its test, and a quoted
message in the "Troubleshooting" table without the third fail the tests.
"""

import builtins
import errno
import gzip
import io
import json
import os
import random
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from molgen.data import load_dataset
from molgen.data.datasets import dataset_path
from molgen.efficacy import fit_efficacy_model
from molgen.train import TrainConfig

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
TEXT = README.read_text()

SNIPPET = re.compile(r"<!-- readme-snippet: ([\w-]+) -->")
NOT_RUN = re.compile(r"<!-- readme-not-run: (\S.*?) -->")
ERROR = re.compile(r"<!-- readme-error: ([\w-]+) -->`([^`]+)`")


def _snippet(name: str, lang: str = "python") -> str:
    match = re.search(rf"<!-- readme-snippet: {name} -->\s*```{lang}\n(.*?)```", TEXT, re.S)
    assert match, f"README snippet {name!r} not found"
    return match.group(1)


def _blocks() -> list[tuple[int, str, str]]:
    """(line number, language, the marker line before it) of every fenced block in the README."""
    lines = TEXT.splitlines()
    blocks, inside = [], False
    for i, line in enumerate(lines):
        if not line.startswith("```"):
            continue
        if not inside:
            before = next((lines[j] for j in range(i - 1, -1, -1) if lines[j].strip()), "")
            blocks.append((i + 1, line[3:].strip(), before.strip()))
        inside = not inside
    assert not inside, "README.md has an unclosed code block"
    return blocks


def _matches(quote: str, message: str) -> bool:
    """``quote`` equals ``message``, where each ``...`` in ``quote`` stands for any text."""
    return re.fullmatch(".*".join(map(re.escape, quote.split("..."))), message, re.S) is not None


def _run_lines(block: str) -> list[list[str]]:
    """The commands of a shell block: continuation lines joined, comments dropped."""
    commands = (shlex.split(line, comments=True) for line in block.replace("\\\n", " ").splitlines())
    return [argv for argv in commands if argv]


# ----------------------------------------------------------------------------- every block is accounted for

#: Snippet names run by the tests in this file.
SNIPPETS_RUN = {"inspect", "quick-start", "chemist", "platform-engineer", "platform-read", "python-api"}


def test_every_code_block_is_run_or_excused():
    unmarked = [f"README.md:{n} ```{lang}" for n, lang, before in _blocks() if not (SNIPPET.fullmatch(before) or NOT_RUN.fullmatch(before))]
    assert unmarked == [], (
        "each code block in README.md needs <!-- readme-snippet: NAME --> (and a test in tests/test_readme.py) "
        "or <!-- readme-not-run: REASON --> on the line before it"
    )
    names = [SNIPPET.fullmatch(before).group(1) for _, _, before in _blocks() if SNIPPET.fullmatch(before)]
    assert sorted(names) == sorted(SNIPPETS_RUN)


# ----------------------------------------------------------------------------- quick start


@pytest.fixture
def assay_files(tmp_path, monkeypatch):
    """The files the quick start names, in a fresh working folder: 120 CHEMBL2321810 molecules."""
    frame = load_dataset("chembl2321810").frame
    frame.head(120).to_csv(tmp_path / "my_assay.csv", index=False)
    frame.iloc[120:160][["smiles"]].to_csv(tmp_path / "candidates.csv", index=False)
    frame.iloc[160:200].to_csv(tmp_path / "external.csv", index=False)
    (tmp_path / "molgen" / "scoring").mkdir(parents=True)
    shutil.copy(ROOT / "molgen" / "scoring" / "example_scorer.toml", tmp_path / "molgen" / "scoring")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _molgen(argv: list[str], capsys) -> str:
    from molgen.cli import main

    assert argv[0] == "molgen", argv
    code = main(argv[1:])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def test_inspect_snippet(assay_files, capsys):
    text, as_json = (_molgen(argv, capsys) for argv in _run_lines(_snippet("inspect", "bash")))
    assert "my_assay.csv" in text and "pIC50" in text
    summary = json.loads(as_json)
    assert (summary["rows"], summary["valid"], summary["invalid"]) == (120, 120, 0)
    assert summary["unique"] == summary["valid"] - summary["duplicates"]


#: Appended to the quick start's ``molgen train``: its defaults train for minutes, not seconds.
SMALL_BUDGET = ["--epochs", "2", "--ensemble-size", "1", "--hidden", "32"]


@pytest.mark.slow
def test_quick_start_snippet(assay_files, capsys):
    """Train (on 120 molecules, with a small budget), predict, evaluate and score, as written."""
    commands = _run_lines(_snippet("quick-start", "bash"))
    assert [argv[1] for argv in commands] == ["train", "predict", "evaluate", "score"]
    for argv in commands:
        _molgen(argv + SMALL_BUDGET if argv[1] == "train" else argv, capsys)
    assert (assay_files / "models" / "pic50" / "molgen_model.json").is_file()
    predictions = pd.read_parquet(assay_files / "predictions.parquet")
    assert len(predictions) == 40 and predictions["prediction"].notna().all()
    report = json.loads((assay_files / "eval" / "metrics.json").read_text())
    assert (report["rows"], report["states"], list(report["targets"])) == (40, {"valid": 40}, ["pIC50"])
    ranked = pd.read_csv(assay_files / "ranked.csv")
    assert ranked["rank"].tolist() == list(range(1, 41)) and ranked["efficacy"].notna().all()


# ----------------------------------------------------------------------------- three ways in


@pytest.fixture(scope="module")
def small_model(tmp_path_factory):
    data = load_dataset("chembl2321810").frame.head(120)
    model = fit_efficacy_model(
        data["smiles"], data["pIC50"], ensemble_size=2, train_config=TrainConfig(epochs=2, warmup_epochs=1), model_options={"hidden": 32}
    )
    folder = tmp_path_factory.mktemp("models")
    model.save(folder / "model")
    return folder / "model"


def _place(model: Path, where: Path) -> None:
    where.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(model, where)


@pytest.mark.slow
def test_application_developer_snippet(small_model, tmp_path, monkeypatch, capsys):
    _place(small_model, tmp_path / "runs" / "default" / "model")
    monkeypatch.chdir(tmp_path)
    exec(compile(_snippet("python-api"), "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "invalid_smiles" in out
    assert "score" in out and "rank" in out


@pytest.mark.slow
def test_chemist_snippet(small_model, tmp_path, monkeypatch):
    _place(small_model, tmp_path / "runs" / "default" / "model")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(_snippet("chemist"), "README.md", "exec"), namespace)
    top = namespace["top"]
    assert isinstance(top, pd.DataFrame) and 0 < len(top) <= 10
    assert top["prediction"].is_monotonic_decreasing and (top["state"] == "valid").all()


@pytest.mark.slow
@pytest.mark.ray
def test_platform_engineer_snippet(small_model, tmp_path, monkeypatch, capsys):
    """The job's entry point (what `ray job submit ... -- CMD` runs, in a copy of the working dir), then reading
    its output. tests/distributed/test_cluster.py submits the same line to a multi-node cluster."""
    _place(small_model, tmp_path / "runs" / "default" / "model")
    library = tmp_path / "library"
    library.mkdir()
    lines = dataset_path("nci_5k").read_text().splitlines()[:300]
    (library / "nci.smi").write_text("\n".join(lines) + "\n")
    submit = _snippet("platform-engineer", "bash")
    command = " ".join(line.rstrip("\\").strip() for line in submit.strip().splitlines())
    assert command.startswith("ray job submit") and " -- " in command
    options, entrypoint = (shlex.split(part) for part in command.split(" -- ", 1))
    working_dir = options[options.index("--working-dir") + 1]
    # the job runs in Ray's copy of the working dir: relative paths would point into it, so there are none
    uploaded = tmp_path / "ray_working_dir"
    shutil.copytree(ROOT / working_dir, uploaded)
    monkeypatch.setenv("PWD", str(tmp_path))
    argv = [os.path.expandvars(arg) for arg in entrypoint]
    assert argv[:2] == ["python", "screen.py"] and all(
        Path(argv[i + 1]).is_absolute() for i, a in enumerate(argv) if a in ("--model", "--library", "--out")
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, str(uploaded / argv[1]), *argv[2:]], cwd=uploaded, env=env, capture_output=True, text=True, timeout=900
    )
    assert run.returncode == 0, run.stderr[-3000:]
    monkeypatch.chdir(tmp_path)
    exec(compile(_snippet("platform-read"), "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "rows" in out and "score" in out


# ----------------------------------------------------------------------------- quoted error messages


class Context:
    """What a trigger gets: the working folder is a fresh temporary folder."""

    def __init__(self, request, monkeypatch, capsys):
        self.request, self.monkeypatch, self.capsys = request, monkeypatch, capsys

    def cli_error(self, *argv) -> str:
        """Run ``molgen ARGV``; it must fail as a user error. Returns the message after ``error: ``."""
        from molgen.cli import main

        code = main([str(a) for a in argv])
        out, err = self.capsys.readouterr()
        prefix = f"molgen {argv[0]}: error: "
        assert code == 2 and err.startswith(prefix) and err.count("\n") == 1, (code, err)
        return err[len(prefix) : -1]

    def model(self, where: str = "models/x") -> Path:
        """A copy of the tiny model at ``where``."""
        shutil.copytree(self.request.getfixturevalue("tiny_model_dir"), where)
        return Path(where)

    def full_disk(self, folder: str) -> None:
        """Opening a file under ``folder`` for writing fails with ENOSPC, as on a full disk."""
        real_open, root = builtins.open, Path(folder).resolve()

        def full_open(file, mode="r", *args, **kwargs):
            if any(m in mode for m in "wax") and root in Path(file).resolve().parents:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(file))
            return real_open(file, mode, *args, **kwargs)

        self.monkeypatch.setattr(builtins, "open", full_open)


def _write(name: str, data) -> str:
    Path(name).parent.mkdir(parents=True, exist_ok=True)
    Path(name).write_bytes(data if isinstance(data, bytes) else data.encode())
    return name


def _inspect(ctx, name, *extra) -> str:
    return ctx.cli_error("data", "inspect", name, "--smiles-col", "smiles", *extra)


def _predict(ctx, model, out="pred.csv") -> str:
    _write("good.csv", "smiles\nCCO\nc1ccccc1O\n")
    return ctx.cli_error("predict", "--model", model, "--data", "good.csv", "--smiles-col", "smiles", "--out", out)


def _score(ctx, config_text: str | None = None, out="ranked.csv") -> str:
    _write("good.csv", "smiles\nCCO\nc1ccccc1O\n")
    _write("scorer.toml", config_text or '[[objectives]]\nname = "qed"\nkind = "qed"\n')
    return ctx.cli_error("score", "--config", "scorer.toml", "--data", "good.csv", "--smiles-col", "smiles", "--out", out)


def _truncated_gzip() -> bytes:
    rng = random.Random(0)
    rows = "".join(f"{'C' * rng.randint(1, 30)}O,{rng.random():.6f}\n" for _ in range(3000))
    data = gzip.compress(("smiles,pIC50\n" + rows).encode())
    return data[: len(data) // 2]


def _parquet(**columns) -> bytes:
    buf = io.BytesIO()
    pd.DataFrame(columns).to_parquet(buf, index=False)
    return buf.getvalue()


def _parquet_invalid_utf8() -> bytes:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    offsets = np.array([0, 3, 7], dtype=np.int32)
    smiles = pa.Array.from_buffers(pa.string(), 2, [None, pa.py_buffer(offsets.tobytes()), pa.py_buffer(b"CCOC\xffCC")])
    buf = io.BytesIO()
    pq.write_table(pa.table({"smiles": smiles, "pIC50": pa.array([5.0, 6.0])}), buf)
    return buf.getvalue()


#: README marker name -> trigger(ctx) -> the real message.
ERRORS = {}


def trigger(name):
    def register(function):
        ERRORS[name] = function
        return function

    return register


@trigger("empty-file")
def _(ctx):
    return _inspect(ctx, _write("data.csv", b""))


@trigger("header-only")
def _(ctx):
    return _inspect(ctx, _write("data.csv", "id,smiles,pIC50\n"))


@trigger("missing-column")
def _(ctx):
    return ctx.cli_error("data", "inspect", _write("data.csv", "id,smiles,pIC50\na,CCO,5\n"), "--smiles-col", "SMILE")


def _train(ctx, data: str) -> str:
    return ctx.cli_error("train", "--data", data, "--smiles-col", "smiles", "--target-col", "pIC50", "--out", "models/x")


@trigger("non-numeric-target")
def _(ctx):
    return _train(ctx, _write("data.csv", "smiles,pIC50\nCCO,5\nCCN,high\n"))


@trigger("infinite-target")
def _(ctx):
    return _train(ctx, _write("data.csv", "smiles,pIC50\nCCO,5\nCCN,inf\n"))


@trigger("wrong-encoding")
def _(ctx):
    return _inspect(ctx, _write("data.csv", "smiles,pIC50\nCCO,5\n".encode("utf-16")))


@trigger("truncated-gzip")
def _(ctx):
    return _inspect(ctx, _write("data.csv.gz", _truncated_gzip()))


@trigger("corrupt-parquet")
def _(ctx):
    raw = _parquet(smiles=["CCO"] * 10, pIC50=[5.0] * 10)
    return _inspect(ctx, _write("data.parquet", raw[:4] + b"\0" * (len(raw) - 12) + raw[-8:]))  # magic and footer length kept


@trigger("not-parquet")
def _(ctx):
    return _inspect(ctx, _write("data.parquet", "smiles,pIC50\nCCO,5\n"))


@trigger("parquet-invalid-text")
def _(ctx):
    return _inspect(ctx, _write("data.parquet", _parquet_invalid_utf8()))


@trigger("extra-fields")
def _(ctx):
    return _inspect(ctx, _write("data.csv", "smiles,pIC50\nCCO,5,7\n"))


@trigger("unknown-file-type")
def _(ctx):
    return _inspect(ctx, _write("data.xlsx", b"PK\x03\x04"))


@trigger("nothing-to-train")
def _(ctx):
    garbage = "smiles,pIC50\n" + "".join(f"garbage{i},{i % 7}\n" for i in range(200))
    return _train(ctx, _write("data.csv", garbage))


@trigger("foreign-model")
def _(ctx):
    _write("runs/chemprop/args.json", "{}")
    _write("runs/chemprop/model_0/best.pt", b"\x80\x04")
    return _predict(ctx, "runs/chemprop")


@trigger("model-is-a-file")
def _(ctx):
    return _predict(ctx, _write("best.pt", b"\x80\x04"))


@trigger("checksum-mismatch")
def _(ctx):
    weights = ctx.model() / "member_0.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    return _predict(ctx, "models/x")


@trigger("newer-format")
def _(ctx):
    manifest = ctx.model() / "molgen_model.json"
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "format_version": 99, "molgen_version": "9.0.0"}))
    return _predict(ctx, "models/x")


@trigger("corrupt-metadata")
def _(ctx):
    (ctx.model() / "molgen_model.json").write_bytes(b'{"format": "molgen-model", ')
    return _predict(ctx, "models/x")


@trigger("config-unknown-key")
def _(ctx):
    return _score(ctx, '[[objectives]]\nname = "qed"\nkind = "qed"\nwieght = 2\n')


@trigger("config-wrong-type")
def _(ctx):
    return _score(ctx, '[[objectives]]\nname = "qed"\nkind = "qed"\nweight = "heavy"\n')


@trigger("config-syntax")
def _(ctx):
    return _score(ctx, "[[objectives]\nname = ")


@trigger("output-folder-missing")
def _(ctx):
    return _score(ctx, out="out/pred.csv")


@trigger("output-folder-is-a-file")
def _(ctx):
    return _score(ctx, out=_write("out", "x") + "/pred.csv")


@trigger("output-is-a-folder")
def _(ctx):
    Path("out.csv").mkdir()
    return _score(ctx, out="out.csv")


@trigger("output-file-type")
def _(ctx):
    return _score(ctx, out="pred.xlsx")


@trigger("disk-full")
def _(ctx):
    model = ctx.model()
    _write("good.csv", "smiles\nCCO\nc1ccccc1O\n")
    ctx.full_disk(".")
    message = ctx.cli_error("predict", "--model", model, "--data", "good.csv", "--smiles-col", "smiles", "--out", "pred.csv")
    assert sorted(p.name for p in Path().iterdir()) == ["good.csv", "models"], "a half-written file was left behind"
    return message


@trigger("disk-full-train")
def _(ctx):
    """``train`` ends by saving the model, which is where a full disk shows."""
    from molgen.efficacy import CheckpointError, load_model

    model = load_model(ctx.request.getfixturevalue("tiny_model_dir"))
    Path("models").mkdir()
    ctx.full_disk("models")
    with pytest.raises(CheckpointError) as caught:
        model.save("models/x")
    assert list(Path("models").iterdir()) == [], "a half-written model was left behind"
    return str(caught.value)


QUOTES = [(name, quote) for name, quote in ERROR.findall(TEXT)]


def test_every_quoted_error_has_a_trigger():
    names = [name for name, _ in QUOTES]
    assert len(names) == len(set(names)), "a readme-error name is used twice"
    assert sorted(names) == sorted(ERRORS)


def test_troubleshooting_quotes_are_marked():
    """Every backtick quote in the table's message column is a marked message, a state or a command."""
    from molgen.chem import MolState
    from molgen.cli import COMMANDS

    section = TEXT.split("## Troubleshooting", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| problem")]
    assert len(rows) >= 20
    words = {s.value for s in MolState} | set(COMMANDS) | {"data inspect", "invalid_by_reason", "!!python/object"}
    unmarked = []
    for row in rows:
        cell = row.split(" | ")[1]
        for marker, quote in re.findall(r"(<!-- readme-error: [\w-]+ -->)?`([^`]+)`", cell):
            if not marker and quote not in words:
                unmarked.append(quote)
    assert unmarked == [], "quote these messages with <!-- readme-error: NAME --> and add NAME to ERRORS"


@pytest.mark.parametrize("name, quote", QUOTES, ids=[name for name, _ in QUOTES])
def test_quoted_error_is_the_real_message(name, quote, request, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    message = ERRORS[name](Context(request, monkeypatch, capsys))
    assert _matches(quote, message), f"README.md quotes\n  {quote}\nbut molgen says\n  {message}"

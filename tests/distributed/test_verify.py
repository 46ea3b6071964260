"""Verified screening shards (issue 25): damage is found by ``molgen screen verify`` and healed by a rerun.

Each case damages a copy of one finished output (300 NCI molecules, 6 shards of 50, in-process
engine: no Ray), checks that :func:`verify_output` and ``molgen screen verify`` report it, reruns
the same screen and checks that the output is whole again, row for row equal to the original.
"""

import json
import logging
import shutil

import pandas as pd
import pytest

from molgen.distributed import screen
from molgen.distributed.output import MARKER_CHECKSUM, OutputError, verify_output
from tests.distributed.conftest import shard_rows

N_ROWS, SHARD_SIZE = 300, 50
ARGS = {"smiles_col": "smiles", "id_col": "id", "top_k": 10, "shard_size": SHARD_SIZE, "engine": "local", "progress": False}


@pytest.fixture(scope="module")
def nci_library(tmp_path_factory):
    from molgen.data import load_dataset

    path = tmp_path_factory.mktemp("nci") / "nci.csv"
    load_dataset("nci_5k").frame.head(N_ROWS)[["smiles", "id"]].to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def reference(tiny_model, nci_library, tmp_path_factory):
    """The undamaged output that every case copies and is compared with."""
    return screen(tiny_model, nci_library, out_dir=tmp_path_factory.mktemp("ref") / "out", **ARGS)


def _shard(out, index: int, ext: str):
    return out / "shards" / f"part-{index:06d}.{ext}"


def _truncate(out):
    path = _shard(out, 1, "parquet")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _flip_byte(out):
    path = _shard(out, 2, "parquet")
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def _edit_marker(out):  # the stored top rows (top_k is built from them) changed, the Parquet file intact
    path = _shard(out, 5, "json")
    marker = json.loads(path.read_text())
    marker["top"][0]["score"] = 99.0
    path.write_text(json.dumps(marker))


def _copy_over(out):  # shard 1's files copied over shard 0's: right sizes, wrong rows
    for ext in ("parquet", "json"):
        shutil.copy(_shard(out, 1, ext), _shard(out, 0, ext))


def _foreign(out):
    shutil.copy(_shard(out, 0, "parquet"), _shard(out, 99, "parquet"))
    (out / "shards" / "notes.txt").write_text("mine")


#: name -> (damage, a problem verify must report, shards a rerun must redo)
DAMAGE = {
    "truncated shard": (_truncate, "part-000001: part-000001.parquet has", ["part-000001"]),
    "flipped byte": (_flip_byte, "part-000002: part-000002.parquet: checksum mismatch", ["part-000002"]),
    "marker without shard": (
        lambda out: _shard(out, 3, "parquet").unlink(),
        "part-000003: marker part-000003.json without",
        ["part-000003"],
    ),
    "shard without marker": (
        lambda out: _shard(out, 4, "json").unlink(),
        "part-000004: part-000004.parquet has no marker",
        ["part-000004"],
    ),
    "foreign files": (_foreign, "shards/notes.txt: belongs to no shard", []),
    "edited marker": (_edit_marker, "part-000005: marker part-000005.json: checksum mismatch", ["part-000005"]),
    "shard copied over another": (_copy_over, "part-000000: marker part-000000.json is for shard 1", ["part-000000"]),
}


def _verify_cli(out, capsys) -> tuple[int, str]:
    from molgen.cli import main

    code = main(["screen", "verify", str(out)])
    return code, capsys.readouterr().out


@pytest.mark.parametrize("name", list(DAMAGE))
def test_damage_is_found_and_healed_by_a_rerun(name, reference, tiny_model, nci_library, tmp_path, capsys, caplog):
    damage, problem, redone = DAMAGE[name]
    out = tmp_path / "out"
    shutil.copytree(reference.out_dir, out)
    assert verify_output(out).ok
    damage(out)
    found = verify_output(out)
    assert not found.ok and any(p.startswith(problem) for p in found.problems), found.problems
    code, printed = _verify_cli(out, capsys)
    assert code == 1 and problem in printed

    with caplog.at_level(logging.WARNING, logger="molgen.distributed.screen"):
        result = screen(tiny_model, nci_library, out_dir=out, **ARGS)
    assert result.summary["run"]["shards_redone"] == redone
    for shard in redone:
        assert any(r.message.startswith(f"{shard}: redoing this shard: ") for r in caplog.records), caplog.text
    if name == "foreign files":
        assert sorted(result.summary["run"]["quarantined"]) == ["notes.txt", "part-000099.parquet"]
        assert (out / "quarantine" / "notes.txt").read_text() == "mine"  # moved, never deleted
    assert verify_output(out).ok
    assert _verify_cli(out, capsys)[0] == 0
    rows = shard_rows(out)
    assert len(rows) == N_ROWS and rows["row"].tolist() == list(range(N_ROWS))  # 0 rows lost
    pd.testing.assert_frame_equal(rows, shard_rows(reference.out_dir))
    pd.testing.assert_frame_equal(result.top, reference.top)
    assert result.summary["rows"] == N_ROWS and result.summary["states"] == reference.summary["states"]


def test_markers_of_an_older_molgen_are_accepted_when_their_shard_reads_whole(reference, tiny_model, nci_library, tmp_path):
    out = tmp_path / "old"
    shutil.copytree(reference.out_dir, out)
    for path in sorted((out / "shards").glob("part-*.json")):  # as molgen wrote them before the checksums
        marker = json.loads(path.read_text())
        for key in ("bytes", "sha256", MARKER_CHECKSUM):
            marker.pop(key)
        path.write_text(json.dumps(marker))
    assert verify_output(out).ok
    assert screen(tiny_model, nci_library, out_dir=out, **ARGS).summary["run"]["shards_run"] == 0
    _truncate(out)
    found = verify_output(out)
    assert [p.split(" (")[0] for p in found.problems] == ["part-000001: part-000001.parquet is unreadable"]
    result = screen(tiny_model, nci_library, out_dir=out, **ARGS)
    assert result.summary["run"]["shards_redone"] == ["part-000001"] and verify_output(out).ok
    pd.testing.assert_frame_equal(shard_rows(out), shard_rows(reference.out_dir))
    assert "sha256" in json.loads(_shard(out, 1, "json").read_text())  # the redone shard has a new marker


def test_verify_reports_a_missing_summary_and_refuses_other_folders(reference, tmp_path, capsys):
    out = tmp_path / "out"
    shutil.copytree(reference.out_dir, out)
    (out / "summary.json").unlink()
    assert verify_output(out).problems == ["summary.json: missing (the run did not finish)"]
    (tmp_path / "other").mkdir()
    with pytest.raises(OutputError, match="not a screening output folder"):
        verify_output(tmp_path / "other")
    from molgen.cli import main

    assert main(["screen", "verify", str(tmp_path / "other")]) == 2
    assert "molgen screen: error: " in capsys.readouterr().err


def test_screen_without_its_options_says_which_are_missing(capsys):
    from molgen.cli import main

    assert main(["screen", "--model", "m"]) == 2
    assert "the following arguments are required: --library, --smiles-col, --top-k, --out" in capsys.readouterr().err

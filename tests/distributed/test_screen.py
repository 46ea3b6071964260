"""Screening end to end on Ray: rows out == rows in, states, resume, refusal, a two-node cluster."""

import json
import shutil
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

from molgen.distributed import OutputError, screen
from tests.distributed.conftest import BAD_LINES, N_LIBRARY, SHARD
from tests.distributed.conftest import shard_rows as _shards

pytestmark = pytest.mark.ray


def test_every_row_once_with_states(first_run):
    rows = _shards(first_run.out_dir)
    assert len(rows) == N_LIBRARY and rows["row"].tolist() == list(range(N_LIBRARY))
    assert list(rows.columns[:5]) == ["name", "smiles", "smiles_std", "state", "error"]
    for i, (_, state) in BAD_LINES.items():
        assert rows.at[i, "state"] == state, (i, rows.loc[i].to_dict())
        assert pd.isna(rows.at[i, "score"]) and pd.isna(rows.at[i, "prediction"])
    good = rows.drop(index=list(BAD_LINES))
    assert (good["state"] == "valid").all() and good["score"].notna().all() and good["uncertainty"].notna().all()
    summary = json.loads((first_run.out_dir / "summary.json").read_text())
    assert summary["rows"] == N_LIBRARY and summary["states"]["valid"] == N_LIBRARY - len(BAD_LINES)
    assert summary["model"]["sha256"] and summary["library"]["rows"] == N_LIBRARY
    top = pd.read_parquet(first_run.out_dir / "top_k.parquet")
    assert len(top) == 25 and top["score"].is_monotonic_decreasing
    assert top["score"].iloc[0] == pytest.approx(good["score"].max())


def test_local_loop_gives_identical_rows(first_run, tiny_model, library, tmp_path):
    local = screen(
        tiny_model,
        library,
        out_dir=tmp_path / "local",
        smiles_col="smiles",
        id_col="name",
        top_k=25,
        shard_size=SHARD,
        engine="local",
        progress=False,
    )
    pd.testing.assert_frame_equal(_shards(local.out_dir), _shards(first_run.out_dir))
    pd.testing.assert_frame_equal(local.top, first_run.top)


def test_resume_finishes_missing_shards_identically(first_run, tiny_model, library, tmp_path):
    out = tmp_path / "resumed"
    shutil.copytree(first_run.out_dir, out)
    for name in ("part-000001", "part-000003"):  # as if the job died before writing them
        (out / "shards" / f"{name}.json").unlink()
    (out / "shards" / "part-000003.parquet").unlink()
    (out / "shards" / ".part-000003.parquet.abc.tmp").write_bytes(b"half")  # a killed writer's leftover
    result = screen(
        tiny_model, library, out_dir=out, smiles_col="smiles", id_col="name", top_k=25, shard_size=SHARD, num_workers=2, progress=False
    )
    assert result.summary["run"]["shards_run"] == 2 and result.summary["run"]["shards_skipped"] == 2
    assert not list((out / "shards").glob(".*.tmp"))
    pd.testing.assert_frame_equal(_shards(out), _shards(first_run.out_dir))
    pd.testing.assert_frame_equal(result.top, first_run.top)


def test_refuses_output_of_another_model_or_library(first_run, other_model, tiny_model, library, tmp_path):
    with pytest.raises(OutputError, match="different model"):
        screen(
            other_model, library, out_dir=first_run.out_dir, smiles_col="smiles", id_col="name", top_k=25, shard_size=SHARD, progress=False
        )
    with pytest.raises(OutputError, match="different settings"):
        screen(tiny_model, library, out_dir=first_run.out_dir, smiles_col="smiles", top_k=25, shard_size=SHARD, progress=False)
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="not empty"):
        screen(tiny_model, library, out_dir=tmp_path / "busy", smiles_col="smiles", top_k=5, progress=False)


@pytest.mark.slow
def test_two_node_cluster_runs_the_same_job(first_run, tiny_model, library, tmp_path):
    """A simulated two-node cluster (ray.cluster_utils.Cluster) in its own process."""
    out = tmp_path / "cluster"
    script = textwrap.dedent(f"""
        from ray.cluster_utils import Cluster
        from molgen.distributed import screen
        cluster = Cluster(initialize_head=True, head_node_args={{"num_cpus": 1}})
        cluster.add_node(num_cpus=1)
        cluster.wait_for_nodes()
        result = screen({str(tiny_model)!r}, {str(library)!r}, out_dir={str(out)!r}, smiles_col="smiles", id_col="name",
                        top_k=25, shard_size={SHARD}, num_workers=2, address=cluster.address, progress=False)
        import ray; ray.shutdown(); cluster.shutdown()
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    pd.testing.assert_frame_equal(_shards(out), _shards(first_run.out_dir))


def test_cli_screen_reports_and_refuses(first_run, other_model, library, tmp_path, capsys):
    from molgen.cli import main

    code = main(
        [
            "screen",
            "--model",
            str(other_model),
            "--library",
            str(library),
            "--smiles-col",
            "smiles",
            "--id-col",
            "name",
            "--top-k",
            "25",
            "--shard-size",
            str(SHARD),
            "--out",
            str(first_run.out_dir),
            "--no-progress",
        ]
    )
    assert code == 2 and "different model" in capsys.readouterr().err
    code = main(
        [
            "screen",
            "--model",
            str(other_model),
            "--library",
            str(library),
            "--smiles-col",
            "smile",
            "--top-k",
            "5",
            "--out",
            str(tmp_path / "o"),
            "--no-progress",
        ]
    )
    assert code == 2 and "did you mean 'smiles'" in capsys.readouterr().err


def test_refuses_to_resume_when_a_scorer_model_changed(tiny_model, other_model, tmp_path):
    lines = ["smiles,name"] + [f"{s},m{i}" for i, s in enumerate(["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1", "CCN(CC)CC"] * 5)]
    (tmp_path / "lib.csv").write_text("\n".join(lines) + "\n")
    scorer_model = tmp_path / "scorer_model"
    shutil.copytree(other_model, scorer_model)
    config = tmp_path / "scorer.toml"
    config.write_text(
        textwrap.dedent("""\
        [[objectives]]
        name = "second_opinion"
        kind = "model"
        model = "scorer_model"
        transform = { kind = "sigmoid", low = 5.0, high = 8.0 }
        """)
    )
    args = dict(
        out_dir=tmp_path / "out", smiles_col="smiles", id_col="name", top_k=5, shard_size=10, engine="local", scorer=config, progress=False
    )
    first = screen(tiny_model, tmp_path / "lib.csv", **args)
    manifest = json.loads((first.out_dir / "manifest.json").read_text())
    assert set(manifest["settings"]["scorer_models"]) == {"scorer_model"}
    assert screen(tiny_model, tmp_path / "lib.csv", **args).summary["run"]["shards_skipped"] == 2  # same models: resumes
    shutil.rmtree(scorer_model)
    shutil.copytree(tiny_model, scorer_model)  # same path and config, different weights
    with pytest.raises(OutputError, match="different settings \\(scorer_models\\)"):
        screen(tiny_model, tmp_path / "lib.csv", **args)

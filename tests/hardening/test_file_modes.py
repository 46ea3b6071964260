"""Every public writer leaves files 0644 and folders 0755 under umask 022, so colleagues can read them.

The writers build in temporary files and folders (``mkstemp`` 0600, ``mkdtemp`` 0700,
safetensors 0600); :mod:`molgen.utils.files` gives the final names the umask's modes.
"""

import os
import stat
from collections import Counter

import numpy as np
import pandas as pd
import pytest

from molgen.cli import main
from molgen.data import load_dataset
from molgen.utils import files

QED_CONFIG = '[[objectives]]\nname = "qed"\nkind = "qed"\n'


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    files._umask_once.cache_clear()
    yield
    os.umask(old)
    files._umask_once.cache_clear()


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("file_modes")
    frame = load_dataset("chembl2321810").frame.head(40)
    frame.to_csv(folder / "train40.csv", index=False)
    frame[["smiles"]].head(12).to_csv(folder / "query.csv", index=False)
    (folder / "qed.toml").write_text(QED_CONFIG)
    return folder


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def assert_modes(*paths) -> None:
    """Files 0644; folders 0755, and everything under them likewise."""
    for root in paths:
        assert os.path.exists(root), root
        if not os.path.isdir(root):
            assert mode(root) == 0o644, root
            continue
        assert mode(root) == 0o755, root
        for folder, dirs, names in os.walk(root):
            for name in dirs:
                assert mode(os.path.join(folder, name)) == 0o755, os.path.join(folder, name)
            for name in names:
                assert mode(os.path.join(folder, name)) == 0o644, os.path.join(folder, name)


def cli(*args) -> None:
    code = main([str(a) for a in args])
    assert code == 0, args


def test_model_save(tiny_model_dir, tmp_path, umask_022):
    from molgen.efficacy import load_model

    model = load_model(tiny_model_dir)
    model.save(tmp_path / "m")
    assert_modes(tmp_path / "m")
    model.save(tmp_path / "m")  # replacing an older model
    assert_modes(tmp_path / "m")
    assert [p.name for p in tmp_path.iterdir()] == ["m"]


@pytest.mark.slow
def test_train_cli(data, tmp_path, umask_022):
    cli(
        "train",
        "--data",
        data / "train40.csv",
        "--smiles-col",
        "smiles",
        "--target-col",
        "pIC50",
        "--out",
        tmp_path / "m",
        "--epochs",
        "1",
        "--quiet",
        "--sizes",
        "0.6",
        "0.1",
        "0.2",
        "0.1",
        "--coverage",
        "0.8",
    )
    assert_modes(tmp_path / "m")


def test_predict_and_score_cli(tiny_model_dir, data, tmp_path, umask_022):
    query = data / "query.csv"
    cli("predict", "--model", tiny_model_dir, "--data", query, "--smiles-col", "smiles", "--out", tmp_path / "pred.csv")
    cli("predict", "--model", tiny_model_dir, "--data", query, "--smiles-col", "smiles", "--out", tmp_path / "pred.parquet")
    cli("score", "--config", data / "qed.toml", "--data", query, "--smiles-col", "smiles", "--out", tmp_path / "ranked.tsv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pred.csv", "pred.parquet", "ranked.tsv"]
    assert_modes(*tmp_path.iterdir())


def test_screen_local(tiny_model_dir, data, tmp_path, umask_022):
    from molgen.distributed import screen

    screen(
        tiny_model_dir,
        data / "query.csv",
        out_dir=tmp_path / "out",
        smiles_col="smiles",
        top_k=3,
        shard_size=5,
        engine="local",
        progress=False,
    )
    names = {p.name for p in (tmp_path / "out").iterdir()}
    assert {"manifest.json", "summary.json", "top_k.parquet", "top_k.csv", "shards"} <= names
    assert len(list((tmp_path / "out" / "shards").iterdir())) == 6  # 12 rows in shards of 5: 3 x (parquet + json)
    assert_modes(tmp_path / "out")


def test_prior_save(tmp_path, umask_022):
    from molgen.generate import Prior, SmilesTokenizer

    prior = Prior(SmilesTokenizer(["C", "O", "N"]), hidden_size=8, num_layers=1, embedding_dim=4, max_length=20, device="cpu")
    prior.save(tmp_path / "prior")
    assert_modes(tmp_path / "prior")


def test_optimize_cli_outputs_and_checkpoint(tmp_path, data, umask_022):
    import torch

    from molgen.generate import Prior, SmilesTokenizer

    torch.manual_seed(0)
    Prior(SmilesTokenizer(["C", "O", "N"]), hidden_size=8, num_layers=1, embedding_dim=4, max_length=20, device="cpu").save(
        tmp_path / "prior"
    )
    out = tmp_path / "rl"
    cli(
        "generate",
        "optimize",
        "--method",
        "rl",
        "--scorer",
        data / "qed.toml",
        "--budget",
        20,
        "--prior",
        tmp_path / "prior",
        "--batch-size",
        16,
        "--out",
        out,
        "--quiet",
        "--top",
        3,
    )
    assert {"candidates.csv", "history.csv", "summary.json", "agent", "checkpoint"} <= {p.name for p in out.iterdir()}
    assert (out / "checkpoint" / "agent").is_dir()  # the safetensors weights inside the checkpoint
    assert_modes(out)


def test_candidate_image(tmp_path, umask_022):
    from molgen.generate.optimize import draw_candidates

    table = pd.DataFrame({"smiles": ["CCO", "c1ccccc1"], "score": [0.5, 0.4]})
    draw_candidates(table, tmp_path / "top.svg")
    draw_candidates(table, tmp_path / "top.png")
    assert_modes(tmp_path / "top.svg", tmp_path / "top.png")


def test_pipeline_stage_and_publish(tiny_model_dir, tmp_path, umask_022):
    from molgen.pipeline.cache import StageCache
    from molgen.pipeline.run import _publish, _publish_model

    def stage(folder):
        (folder / "tables").mkdir()
        (folder / "tables" / "a.csv").write_text("x\n1\n")
        os.chmod(folder / "tables" / "a.csv", 0o600)  # as safetensors and mkstemp write
        (folder / "report.html").write_text("<html></html>")
        return {"rows": 1}

    result = StageCache(tmp_path / "run" / "stages").run("report", {"a": 1}, (), stage)
    assert not result.reused and (result.path / "stage.json").is_file()
    _publish(result.path, tmp_path / "run")
    _publish_model(tiny_model_dir, tmp_path / "run" / "model")
    _publish_model(tiny_model_dir, tmp_path / "run" / "model")  # replacing
    assert_modes(tmp_path / "run")
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["model", "report.html", "stages", "tables"]


def test_scorer_config(tmp_path, umask_022):
    from molgen.scoring import write_config

    for suffix in ("toml", "yaml", "json"):
        write_config({"objectives": [{"name": "qed", "kind": "qed"}]}, tmp_path / f"scorer.{suffix}")
    assert_modes(*tmp_path.iterdir())


def test_moses_reference_and_plot(tmp_path, umask_022):
    from molgen.generate.moses import plot_property_distributions
    from molgen.generate.moses.reference import ReferenceStats

    stats = ReferenceStats(
        key="k",
        n_input=2,
        n_valid=2,
        fcd_mu=np.zeros(4),
        fcd_sigma=np.eye(4),
        fingerprints=np.zeros((2, 128), dtype=np.uint8),
        fragments=Counter({"C": 2}),
        scaffolds=Counter(),
        properties=np.ones((2, 4)),
    )
    stats.save(tmp_path / "cache" / "reference.npz")
    assert ReferenceStats.load(tmp_path / "cache" / "reference.npz").n_valid == 2
    plot_property_distributions(np.random.default_rng(0).normal(size=(20, 4)), None, tmp_path / "plots" / "properties.png")
    assert_modes(tmp_path / "cache", tmp_path / "plots")


def test_full_disk_is_one_line_and_leaves_nothing(tiny_model_dir, tmp_path, monkeypatch):
    import errno

    from molgen.efficacy import CheckpointError, load_model
    from molgen.generate import Prior, SmilesTokenizer
    from molgen.utils.files import FileWriteError

    model = load_model(tiny_model_dir)
    prior = Prior(SmilesTokenizer(["C", "O", "N"]), hidden_size=8, num_layers=1, embedding_dim=4, max_length=20, device="cpu")

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(FileWriteError, match=r"^cannot write .*prior/weights.safetensors: No space left on device$"):
        prior.save(tmp_path / "prior")
    assert list((tmp_path / "prior").iterdir()) == []
    with pytest.raises(CheckpointError, match=r"m: cannot write the model directory \(No space left on device\)$"):
        model.save(tmp_path / "m")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["prior"]

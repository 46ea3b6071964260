"""Renamed names (issue 24) still work until molgen 0.2, with a DeprecationWarning that points at the caller."""

import importlib.util
from pathlib import Path

import pytest

from molgen.cli import main
from molgen.utils.renamed import renamed_keywords

ROOT = Path(__file__).resolve().parents[1]


def _warns(message: str):
    return pytest.warns(DeprecationWarning, match=message)


def _at_caller(record) -> None:
    ours = [w for w in record if "is deprecated; use" in str(w.message)]  # not torch's import-time warnings
    assert ours and [Path(w.filename).name for w in ours] == [Path(__file__).name] * len(ours)


def test_renamed_keyword_works_warns_and_refuses_both():
    @renamed_keywords(old="new")
    def f(*, new=1):
        return new

    with _warns(r"f\(old=...\) is deprecated; use new=") as record:
        assert f(old=5) == 5
    _at_caller(record)
    with pytest.raises(TypeError, match="both 'old' and its new name 'new'"):
        f(old=1, new=2)
    assert f(new=3) == 3


def test_parallel_map_n_jobs():
    from molgen.generate.moses.reference import parallel_map

    with _warns("n_jobs") as record:
        assert parallel_map(str, [1, 2], n_jobs=1) == ["1", "2"]
    _at_caller(record)


@pytest.mark.parametrize(
    "call, old, error",
    [
        (
            lambda: __import__("molgen.train", fromlist=["x"]).train_ensemble(None, [], [], n_members=0),
            "n_members",
            "ensemble_size must be >= 1",
        ),
        (
            lambda: __import__("molgen.efficacy", fromlist=["x"]).assemble_efficacy_model(None, [], coverage_target=0.8),
            "coverage_target",
            "no trained members",
        ),
        (
            lambda: __import__("molgen.efficacy", fromlist=["x"]).fit_efficacy_model(["CCO"], [1.0], coverage_target=0.8),
            "coverage_target",
            "need at least 10",
        ),
        (lambda: __import__("molgen.generate.moses", fromlist=["x"]).evaluate_samples("CCO", n_jobs=1), "n_jobs", "single string"),
        (
            lambda: __import__("molgen.generate.moses", fromlist=["x"]).reference_stats(["CCO"], n_jobs=0, use_cache=False),
            "n_jobs",
            "num_workers must be",
        ),
        (
            lambda: __import__("molgen.distributed", fromlist=["x"]).screen("m", "l", out_dir="o", smiles_col="s", workers=2, engine="x"),
            "workers",
            "unknown engine",
        ),
    ],
)
def test_old_keyword_reaches_the_function(call, old, error):
    """The old keyword is accepted (and warned about); the function then fails fast on the other input."""
    with _warns(old) as record, pytest.raises(ValueError, match=error):
        call()
    _at_caller(record)


@pytest.mark.parametrize(
    "module, name, renames",
    [
        ("molgen.distributed.train", "fit_distributed", {"out": "out_dir", "coverage_target": "coverage"}),
        ("molgen.distributed.tune", "tune_efficacy_model", {"out": "out_dir", "max_epochs": "epochs"}),
    ],
)
def test_ray_functions_map_their_old_keywords(module, name, renames):
    """Without starting Ray: giving an old and its new name is refused before the function runs."""
    func = getattr(__import__(module, fromlist=[name]), name)
    for old, new in renames.items():
        with pytest.raises(TypeError, match=f"both '{old}' and its new name '{new}'"):
            func([], [], **{old: 1, new: 1})


@pytest.mark.parametrize(
    "argv, old, error",
    [
        (
            ["screen", "--model", "m", "--library", "l", "--smiles-col", "s", "--top-k", "1", "--out", "o", "--workers", "0"],
            "--workers",
            "--num-workers must be >= 1",
        ),
        (["generate", "evaluate", "--samples", "s.csv", "--out", "o", "--n-jobs", "0"], "--n-jobs", "--num-workers must be >= 1"),
        (
            ["evaluate", "--model", "missing_model", "--data", "d.csv", "--smiles-col", "s", "--target-col", "t", "--out-dir", "o"],
            "--out-dir",
            "not a model directory",
        ),
    ],
)
def test_old_cli_flags(argv, old, error, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with _warns(f"{old} is deprecated; use --") as record:
        code = main(argv)
    _at_caller(record)
    assert code == 2 and error in capsys.readouterr().err


def _ray_job(name: str):
    spec = importlib.util.spec_from_file_location(f"ray_job_{name}", ROOT / "ray_jobs" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "job, argv, expected",
    [
        ("train", ["--ensemble", "2", "--workers", "3"], {"ensemble_size": 2, "num_workers": 3}),
        ("tune", ["--ensemble", "2", "--max-epochs", "5"], {"ensemble_size": 2, "epochs": 5}),
    ],
)
def test_old_ray_job_flags(job, argv, expected):
    from molgen.cli.options import parse_args

    required = ["--data", "x.csv", "--smiles-col", "s", "--target-col", "y", "--out", "o"]
    with _warns("is deprecated; use --") as record:
        args = parse_args(_ray_job(job).build_parser(), required + argv)
    assert {k: getattr(args, k) for k in expected} == expected
    assert len([w for w in record if "is deprecated; use" in str(w.message)]) == 2


def test_old_run_config_key(tmp_path, monkeypatch):
    from molgen.pipeline import run as pipeline_run
    from molgen.pipeline.config import load_run_config
    from molgen.scoring import ConfigError

    path = tmp_path / "run.toml"
    path.write_text("[screen]\nworkers = 1\n")
    with _warns(r"screen.workers is deprecated; use screen.num_workers") as record:
        config = load_run_config(path)
    _at_caller(record)
    assert config.screen.num_workers == 1

    seen = {}

    class Result:
        report = tmp_path / "report.html"

    monkeypatch.setattr(pipeline_run, "run_pipeline", lambda config, **kw: seen.setdefault("config", config) and Result())
    with _warns("screen.workers") as record:
        assert main(["run", str(path)]) == 0
    _at_caller(record)
    assert seen["config"].screen.num_workers == 1

    path.write_text("[screen]\nworkers = 1\nnum_workers = 2\n")
    with pytest.raises(ConfigError, match="screen.workers"):
        load_run_config(path)

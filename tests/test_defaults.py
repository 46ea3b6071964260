"""One source for the fitting defaults: FitConfig / TrainConfig / ModelConfig, read by the API, the CLI,
the pipeline config and the Ray jobs (issue 24)."""

import dataclasses
import importlib.util
import inspect
import re
from pathlib import Path

import pytest
import tomllib

from molgen.models import ModelConfig
from molgen.train import FitConfig, TrainConfig

ROOT = Path(__file__).resolve().parents[1]
FIT, TRAIN = FitConfig(), TrainConfig()
MODEL = {f.name: f.default for f in dataclasses.fields(ModelConfig)}
REQUIRED = ["--data", "x.csv", "--smiles-col", "smiles", "--target-col", "y", "--out", "out"]


def _ray_job(name: str):
    """A ray_jobs script as a module, without running it."""
    spec = importlib.util.spec_from_file_location(f"ray_job_{name}", ROOT / "ray_jobs" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _train_parser():
    import argparse

    from molgen.cli import train

    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    train.add_parser(sub)
    return parser, train


def _defaults(signature_of) -> dict:
    return {k: p.default for k, p in inspect.signature(signature_of).parameters.items() if p.default is not inspect.Parameter.empty}


def test_fit_config_is_frozen_and_checked():
    with pytest.raises(dataclasses.FrozenInstanceError):
        FIT.coverage = 0.8
    with pytest.raises(ValueError, match="coverage"):
        FitConfig(coverage=1.0)
    with pytest.raises(ValueError, match="ensemble_size"):
        FitConfig(ensemble_size=0)


@pytest.mark.parametrize("where", ["fit_efficacy_model", "fit_from_file", "fit_distributed"])
def test_library_signatures_take_the_fit_config(where):
    from molgen.distributed.train import fit_distributed
    from molgen.efficacy import fit_efficacy_model, fit_from_file

    func = {"fit_efficacy_model": fit_efficacy_model, "fit_from_file": fit_from_file, "fit_distributed": fit_distributed}[where]
    defaults = _defaults(func)
    for name, value in FIT.to_dict().items():
        assert defaults[name] == value, (where, name)


def test_other_library_defaults():
    from molgen.distributed.tune import tune_efficacy_model
    from molgen.efficacy import assemble_efficacy_model, prepare_training_data
    from molgen.train import train_ensemble

    assert _defaults(train_ensemble)["ensemble_size"] == FIT.ensemble_size
    assert {k: _defaults(assemble_efficacy_model)[k] for k in ("coverage", "kernel", "forest")} == {
        "coverage": FIT.coverage,
        "kernel": FIT.kernel,
        "forest": FIT.forest,
    }
    prepare = _defaults(prepare_training_data)
    assert (prepare["split_method"], tuple(prepare["sizes"]), prepare["valid_split"]) == (FIT.split_method, FIT.sizes, FIT.valid_split)
    tune = _defaults(tune_efficacy_model)
    assert tune["epochs"] == TRAIN.epochs and tune["split_method"] == FIT.split_method


def test_cli_train_defaults():
    parser, train = _train_parser()
    args = parser.parse_args(["train", *REQUIRED])
    assert args.ensemble_size == FIT.ensemble_size and args.split == FIT.split_method and args.valid_split == FIT.valid_split
    assert tuple(args.sizes) == FIT.sizes and args.coverage == FIT.coverage
    assert args.kernel == FIT.kernel and args.forest is FIT.forest and args.refit is FIT.refit
    assert (args.epochs, args.batch_size, args.seed, args.device) == (TRAIN.epochs, TRAIN.batch_size, TRAIN.seed, TRAIN.device)
    options = train.fit_options(args, device=args.device)
    assert options["model_options"] == {}  # ModelConfig's defaults apply
    assert options["train_config"] == TrainConfig(warmup_epochs=TRAIN.warmup_epochs)
    assert {k: options[k] for k in FIT.to_dict()} == FIT.to_dict()


def test_cli_train_help_states_the_model_defaults():
    """The model options default to None (ModelConfig's defaults); their help states those defaults."""
    parser, _ = _train_parser()
    train = next(a for a in parser._actions if a.dest != "help").choices["train"]
    helps = {a.dest: a.help for a in train._actions}
    assert f"(default: {MODEL['hidden']})" in helps["hidden"]
    assert f"(default: {MODEL['depth']})" in helps["depth"]
    assert f"(default: {MODEL['dropout']})" in helps["dropout"]
    assert f"{MODEL['encoder']} (default)" in helps["encoder"]
    assert f"{FIT.kernel} (default)" in helps["kernel"].replace("\n", " ")
    assert MODEL["ffn_hidden"] == MODEL["hidden"]  # --ffn-hidden defaults to --hidden


def test_pipeline_model_section_defaults():
    from molgen.pipeline.config import load_run_config

    config = load_run_config()
    model = config.model
    assert (model.ensemble_size, model.split, model.coverage, model.kernel, model.forest, model.refit) == (
        FIT.ensemble_size,
        FIT.split_method,
        FIT.coverage,
        FIT.kernel,
        FIT.forest,
        FIT.refit,
    )
    assert (model.epochs, model.patience, config.run.seed) == (TRAIN.epochs, TRAIN.patience, TRAIN.seed)


def test_default_run_toml_shows_the_dataclass_defaults():
    """[model] (and run.seed) are left to the dataclasses; the commented lines show their values."""
    from molgen.pipeline.config import default_config_text

    text = default_config_text()
    parsed = tomllib.loads(text)
    assert parsed["model"] == {} and "seed" not in parsed["run"]
    shown = {}
    section = None
    for line in text.splitlines():
        header = re.match(r"\[(\w+)\]", line)
        section = header.group(1) if header else section
        commented = re.match(r"# (\w+ = \S+)", line)
        if commented and section in ("run", "model"):
            shown.update({(section, k): v for k, v in tomllib.loads(commented.group(1)).items()})
    expected = {("run", "seed"): TRAIN.seed, ("model", "ensemble_size"): FIT.ensemble_size, ("model", "split"): FIT.split_method,
                ("model", "epochs"): TRAIN.epochs, ("model", "patience"): TRAIN.patience, ("model", "coverage"): FIT.coverage,
                ("model", "kernel"): FIT.kernel, ("model", "forest"): FIT.forest,
                ("model", "refit"): FIT.refit}  # fmt: skip
    assert shown == expected


def test_ray_train_job_defaults_match_the_cli():
    parser, _ = _train_parser()
    cli = vars(parser.parse_args(["train", *REQUIRED]))
    job = vars(_ray_job("train").build_parser().parse_args(REQUIRED))
    shared = set(cli) & set(job) - {"run"}
    assert {"ensemble_size", "epochs", "batch_size", "split", "sizes", "coverage", "kernel", "seed"} <= shared
    assert {k: job[k] for k in shared} == {k: cli[k] for k in shared}
    from molgen.distributed.train import fit_distributed

    ray = _defaults(fit_distributed)
    assert (job["num_workers"], job["max_failures"]) == (ray["num_workers"], ray["max_failures"])


def test_ray_tune_job_defaults():
    from molgen.distributed.tune import tune_efficacy_model

    job = _ray_job("tune").build_parser().parse_args(["--data", "x.csv", "--smiles-col", "s", "--target-col", "y", "--out", "o"])
    tune = _defaults(tune_efficacy_model)
    assert (job.epochs, job.split, job.ensemble_size) == (TRAIN.epochs, FIT.split_method, tune["ensemble_size"])
    assert (job.samples, job.grace_period) == (tune["num_samples"], tune["grace_period"])

"""``molgen run``: data -> model -> generation -> control model -> screening -> report, each stage cached."""

import dataclasses
import logging
import shutil
from pathlib import Path

from molgen.pipeline import stages
from molgen.pipeline.cache import StageCache, StageResult
from molgen.pipeline.config import RunConfig
from molgen.utils.files import atomic_folder, atomic_path

log = logging.getLogger(__name__)


@dataclasses.dataclass
class RunResult:
    """Where a run's outputs are: ``report`` is the HTML page, ``model`` the trained model
    folder (also at ``<out_dir>/model``), ``stages`` the stage results by name."""

    out_dir: Path
    report: Path
    model: Path
    stages: dict

    def timings(self) -> dict:
        return {name: {"seconds": round(s.seconds, 2), "reused": s.reused} for name, s in self.stages.items()}


def run_pipeline(config: RunConfig, *, out_dir=None, announce=None) -> RunResult:
    """Run every stage of ``config`` (reusing cached ones) and write the report.

    Parameters
    ----------
    config : RunConfig
        From :func:`molgen.pipeline.load_run_config`.
    out_dir : path, optional
        Overrides ``config.run.out_dir``.
    announce : callable, optional
        Called with one line per stage as it starts and ends (the CLI prints them).

    Returns
    -------
    RunResult

    Raises
    ------
    ValueError, FileNotFoundError
        From the stages: bad data, an unknown data set or library, a bad scorer.
    """
    out = Path(out_dir or config.run.out_dir)
    cache = StageCache(out / "stages")
    cache.remove_unfinished()
    say = announce or (lambda line: log.info(line))
    done: dict[str, StageResult] = {}
    total = 5 + config.control.enabled + (config.focus.enabled and config.generate.method == "rl")

    def stage(name: str, section: dict, upstream: tuple[str, ...], fn) -> StageResult:
        say(f"[{len(done) + 1}/{total}] {name} ...")
        result = cache.run(name, section, upstream, fn)
        say(f"[{len(done) + 1}/{total}] {name}: {'reused' if result.reused else 'done'} in {result.seconds:.0f} s -> {result.path}")
        done[name] = result
        return result

    seed = {"seed": config.run.seed}
    data = stage("data", config.section("data"), (), lambda d: stages.data_stage(config, d))
    model = stage("model", {**config.section("model"), **seed}, (data.key,), lambda d: stages.model_stage(config, data.path, d))
    model_dir = model.path / "model"
    focus = None
    if config.focus.enabled and config.generate.method == "rl":
        focus_config = {**config.section("focus"), "prior": config.generate.prior, **seed}
        focus = stage("focus", focus_config, (data.key,), lambda d: stages.focus_stage(config, data.path, d))
    prior_dir = focus.path / "prior" if focus is not None else None
    gen_config = {**config.section("generate"), **seed, "scorer": config.section("scorer")}
    gen_upstream = (data.key, model.key) + ((focus.key,) if focus is not None else ())
    generate = stage(
        "generate", gen_config, gen_upstream, lambda d: stages.generate_stage(config, data.path, model_dir, d, prior_dir=prior_dir)
    )  # fmt: skip
    control = None
    if config.control.enabled:
        control_config, control_upstream = {**config.section("control"), **seed}, (data.key, generate.key)
        control = stage("control", control_config, control_upstream, lambda d: stages.control_stage(config, data.path, generate.path, d))
    screen_config = {**config.section("screen"), "scorer": config.section("scorer")}
    screen = stage(
        "screen", screen_config, (model.key, generate.key),
        lambda d: stages.screen_stage(config, model_dir, generate.path / "candidates.parquet", d),
    )  # fmt: skip
    report_config = config.section("report")
    upstream = (data.key, model.key, generate.key, screen.key) + ((control.key,) if control is not None else ())
    report = stage("report", report_config, upstream, lambda d: _report_stage(config, done, d))
    page = out / "report.html"
    _publish(report.path, out)
    _publish_model(model_dir, out / "model")
    say(f"report: {page.resolve()}")
    return RunResult(out, page, out / "model", dict(done))


def _report_stage(config: RunConfig, done: dict, out: Path) -> dict:
    from molgen.pipeline.build_report import build_report

    timings = {name: {"seconds": round(s.seconds, 1), "reused": s.reused} for name, s in done.items()}
    return build_report(config, {name: s.path for name, s in done.items()}, timings, out)


def _publish_model(model_dir: Path, target: Path) -> None:
    """Copy the trained model to ``<out>/model`` (replacing an older one as a whole)."""
    with atomic_folder(target) as tmp:
        shutil.copytree(model_dir, tmp, dirs_exist_ok=True)


def _publish(report_dir: Path, out: Path) -> None:
    """Copy the report page and tables to the run folder's top level (atomically per file)."""
    tables = out / "tables"
    tables.mkdir(parents=True, exist_ok=True)
    for path in sorted((report_dir / "tables").glob("*")):
        with atomic_path(tables / path.name) as tmp:
            shutil.copyfile(path, tmp)
    with atomic_path(out / "report.html") as tmp:
        shutil.copyfile(report_dir / "report.html", tmp)

"""End-to-end jobs built from the library layers: ``molgen run`` (data -> model -> generation -> control model ->
screening -> report, each stage cached) and the ``molgen demo`` data report."""

from molgen.pipeline.cache import StageCache, StageResult, stage_key
from molgen.pipeline.config import RunConfig, default_config_text, load_run_config
from molgen.pipeline.demo import demo_report, format_demo_report
from molgen.pipeline.run import RunResult, run_pipeline

__all__ = [
    "RunConfig",
    "RunResult",
    "StageCache",
    "StageResult",
    "default_config_text",
    "demo_report",
    "format_demo_report",
    "load_run_config",
    "run_pipeline",
    "stage_key",
]

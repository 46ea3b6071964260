"""Ray glue: distributed virtual screening, data-parallel training and hyperparameter search.

The stage classes are plain Python (load once in ``__init__``, map a batch dict in
``__call__``) and run without Ray; Ray itself is imported only when a job uses it.
"""

from molgen.distributed.library import (
    DEFAULT_SHARD_SIZE,
    LibraryError,
    LibraryFile,
    Shard,
    find_files,
    plan_shards,
    read_shard,
    scan_file,
)
from molgen.distributed.output import OutputError
from molgen.distributed.runtime import ensure_ray
from molgen.distributed.screen import ENGINES, ScreenResult, screen
from molgen.distributed.stages import FeaturizeStage, PredictStage, PrepareStage, ScoreStage
from molgen.distributed.workers import FeaturizeWorker, ModelWorker, ReadShard, WriteShard

__all__ = [
    "DEFAULT_SHARD_SIZE",
    "ENGINES",
    "FeaturizeStage",
    "FeaturizeWorker",
    "LibraryError",
    "LibraryFile",
    "ModelWorker",
    "OutputError",
    "PredictStage",
    "PrepareStage",
    "ReadShard",
    "ScoreStage",
    "ScreenResult",
    "Shard",
    "WriteShard",
    "ensure_ray",
    "find_files",
    "plan_shards",
    "read_shard",
    "scan_file",
    "screen",
]

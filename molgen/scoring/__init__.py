"""Multi-objective scoring: predictors and drug-likeness objectives, each mapped through a
desirability transform to [0, 1] and combined into one score (REINVENT-style)."""

from molgen.scoring.config import (
    ConfigError,
    ObjectiveConfig,
    ScorerConfig,
    dump_toml,
    load_config,
    read_config_file,
    write_config,
)
from molgen.scoring.objectives import OBJECTIVES, Predictor, Term, TermValues
from molgen.scoring.scorer import AGGREGATIONS, Objective, Scorer, weighted_arithmetic, weighted_geometric
from molgen.scoring.transforms import (
    TRANSFORMS,
    Clip,
    DoubleSigmoid,
    Identity,
    ReverseSigmoid,
    Sigmoid,
    Step,
    Transform,
    make_transform,
)

__all__ = [
    "AGGREGATIONS",
    "OBJECTIVES",
    "TRANSFORMS",
    "Clip",
    "ConfigError",
    "DoubleSigmoid",
    "Identity",
    "Objective",
    "ObjectiveConfig",
    "Predictor",
    "ReverseSigmoid",
    "Scorer",
    "ScorerConfig",
    "Sigmoid",
    "Step",
    "Term",
    "TermValues",
    "Transform",
    "dump_toml",
    "load_config",
    "make_transform",
    "read_config_file",
    "weighted_arithmetic",
    "weighted_geometric",
    "write_config",
]

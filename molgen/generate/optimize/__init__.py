"""Goal-directed generation: REINVENT-style reinforcement learning of a prior, a graph-based
genetic algorithm, and the run machinery they share (a counting oracle, staged runs,
checkpoints, PMO metrics, candidate tables).

Not re-exported from :mod:`molgen.generate`; import it as ``molgen.generate.optimize``.
"""

from molgen.generate.optimize.curves import pmo_summary, top_k_auc, top_k_curve, top_k_mean
from molgen.generate.optimize.diversity import ScaffoldFilter, scaffold_key
from molgen.generate.optimize.ga import GraphGA
from molgen.generate.optimize.graph_ops import crossover, mutate
from molgen.generate.optimize.oracle import BUDGET_EXHAUSTED, Oracle
from molgen.generate.optimize.reinvent import PriorSampling, Reinvent
from molgen.generate.optimize.replay import ExperienceReplay
from molgen.generate.optimize.report import candidate_table, draw_candidates
from molgen.generate.optimize.run import (
    CheckpointMismatchError,
    OptimizationResult,
    Stage,
    find_checkpoint,
    load_checkpoint,
)

__all__ = [
    "BUDGET_EXHAUSTED",
    "CheckpointMismatchError",
    "ExperienceReplay",
    "GraphGA",
    "OptimizationResult",
    "Oracle",
    "PriorSampling",
    "Reinvent",
    "ScaffoldFilter",
    "Stage",
    "candidate_table",
    "crossover",
    "draw_candidates",
    "find_checkpoint",
    "load_checkpoint",
    "mutate",
    "pmo_summary",
    "scaffold_key",
    "top_k_auc",
    "top_k_curve",
    "top_k_mean",
]

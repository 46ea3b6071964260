"""Run machinery shared by the optimizers: stages, results and atomic checkpoints."""

import dataclasses
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from molgen.generate.optimize.curves import pmo_summary
from molgen.utils.files import atomic_folder

CHECKPOINT_VERSION = 1
_STATE = "state.json"
_HISTORY = "history.csv"


class CheckpointMismatchError(ValueError):
    """A checkpoint directory that belongs to another kind of run (method, seed, stages)."""


@dataclasses.dataclass(frozen=True)
class Stage:
    """One stage of a staged run: a scorer and the number of distinct molecules it may score.

    Parameters
    ----------
    scorer : Scorer or callable
        See :class:`~molgen.generate.optimize.Oracle`.
    budget : int
        Scorer calls (distinct molecules) for this stage, >= 1.
    name : str
        Label in the history's ``stage`` column (default ``"stage<i>"``).

    Raises
    ------
    ValueError
        For a budget that is not a positive int.
    """

    scorer: object
    budget: int
    name: str = ""

    def __post_init__(self):
        if isinstance(self.budget, bool) or not isinstance(self.budget, (int, np.integer)) or self.budget < 1:
            raise ValueError(f"stage budget must be a positive int, got {self.budget!r}")


def as_stages(scorer_or_stages, budget: int | None) -> list[Stage]:
    """A list of named stages from one scorer plus ``budget``, or from a list of stages."""
    if isinstance(scorer_or_stages, Stage):
        scorer_or_stages = [scorer_or_stages]
    if isinstance(scorer_or_stages, (list, tuple)):
        if budget is not None:
            raise ValueError("give budget= only with a single scorer; stages carry their own budgets")
        stages = list(scorer_or_stages)
        if not stages or not all(isinstance(s, Stage) for s in stages):
            raise ValueError("expected a scorer or a non-empty list of Stage objects")
    else:
        if budget is None:
            raise ValueError("budget= is required with a single scorer")
        stages = [Stage(scorer_or_stages, budget)]
    named = [dataclasses.replace(s, name=s.name or f"stage{i}") for i, s in enumerate(stages)]
    names = [s.name for s in named]
    if len(set(names)) != len(names):
        raise ValueError(f"stage names must be unique, got {names}")
    return named


@dataclasses.dataclass
class OptimizationResult:
    """What an optimizer run produced.

    Attributes
    ----------
    method : str
        ``"reinvent"``, ``"graph_ga"`` or ``"prior_sampling"``.
    seed : int
    history : pandas.DataFrame
        Every scored molecule, in call order within each stage (see
        :meth:`Oracle.history`).
    stages : list of str
    finished : bool
        False when the run was stopped early (``max_steps``) and can be resumed.
    info : dict
        Method-specific counters (steps, generations, ...).
    """

    method: str
    seed: int
    history: pd.DataFrame
    stages: list
    finished: bool
    info: dict = dataclasses.field(default_factory=dict)

    def stage_history(self, stage: str | None = None) -> pd.DataFrame:
        """History of one stage (default: the last)."""
        name = self.stages[-1] if stage is None else stage
        if name not in self.stages:
            raise ValueError(f"unknown stage {name!r}; stages: {', '.join(self.stages)}")
        return self.history[self.history["stage"] == name].reset_index(drop=True)

    def scores(self, stage: str | None = None) -> np.ndarray:
        """Scores in call order for one stage (default: the last)."""
        return self.stage_history(stage)["score"].to_numpy(dtype=float)

    @property
    def n_calls(self) -> int:
        return len(self.history)

    def top(self, k: int = 100, stage: str | None = None) -> pd.DataFrame:
        """The ``k`` best scored molecules of a stage (default: the last), best first."""
        frame = self.stage_history(stage)
        frame = frame[np.isfinite(frame["score"].to_numpy(dtype=float))]
        return frame.sort_values("score", ascending=False, kind="mergesort").head(k).reset_index(drop=True)

    def summary(self, checkpoints: Sequence[int] | None = None, stage: str | None = None) -> dict:
        """PMO metrics (top-10, top-100, top-10 AUC) of a stage at ``checkpoints`` calls
        (default: the stage's own number of calls)."""
        scores = self.scores(stage)
        return pmo_summary(scores, checkpoints or (max(len(scores), 1),))


# ------------------------------------------------------------------ checkpoints
def _json_default(value):
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} to a checkpoint")


def save_checkpoint(directory, state: dict, history: pd.DataFrame, extra: Callable[[Path], None] | None = None) -> Path:
    """Write ``directory/checkpoint`` atomically: a complete new folder replaces the old one.

    The folder holds ``state.json`` (JSON, no pickle), ``history.csv`` and whatever
    ``extra(folder)`` writes. A crash leaves either the old or the new checkpoint
    (``checkpoint.old`` during the swap). Modes come from the umask.

    Raises
    ------
    molgen.utils.files.FileWriteError
        The folder cannot be written (disk full, permissions); the old checkpoint stays.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / "checkpoint"
    with atomic_folder(final, backup=directory / "checkpoint.old") as tmp:
        payload = {"version": CHECKPOINT_VERSION, **state}
        (tmp / _STATE).write_text(json.dumps(payload, default=_json_default, allow_nan=True), encoding="utf-8")
        history.to_csv(tmp / _HISTORY, index=False)
        if extra is not None:
            extra(tmp)
    return final


def find_checkpoint(directory) -> Path | None:
    """The checkpoint folder under ``directory`` (or the one left by an interrupted swap)."""
    directory = Path(directory)
    for name in ("checkpoint", "checkpoint.old"):
        path = directory / name
        if (path / _STATE).is_file() and (path / _HISTORY).is_file():
            return path
    return None


def load_checkpoint(directory) -> tuple[dict, pd.DataFrame, Path] | None:
    """``(state, history, folder)`` from ``directory``, or ``None`` when there is none.

    Raises
    ------
    ValueError
        For a checkpoint written by an incompatible version.
    """
    path = find_checkpoint(directory)
    if path is None:
        return None
    state = json.loads((path / _STATE).read_text(encoding="utf-8"))
    if state.get("version") != CHECKPOINT_VERSION:
        raise ValueError(f"{path}: checkpoint version {state.get('version')!r}; this molgen reads {CHECKPOINT_VERSION}")
    text = ("error", "stage", "state", "smiles")
    history = pd.read_csv(path / _HISTORY, keep_default_na=False, na_values=[""], dtype={c: object for c in text})
    for col in text:
        if col in history.columns:
            history[col] = history[col].fillna("").astype(str)
    return state, history, path


def check_resume(state: dict, expected: dict, path) -> None:
    """Raise :class:`CheckpointMismatchError` if ``state`` disagrees with ``expected`` keys."""
    for key, value in expected.items():
        if state.get(key) != value:
            raise CheckpointMismatchError(
                f"{path}: checkpoint has {key}={state.get(key)!r}, this run has {value!r}; use another output folder or the same settings"
            )


def resume_from(checkpoint_dir, resume: bool, expected: dict) -> tuple[dict, pd.DataFrame, Path] | None:
    """``(state, history, folder)`` of the checkpoint a run resumes from, or ``None``.

    ``None`` (a fresh start) unless ``resume`` is true and ``checkpoint_dir`` holds a
    checkpoint (:func:`load_checkpoint`), which is then checked against ``expected``.

    Raises
    ------
    CheckpointMismatchError
        If the checkpoint disagrees with ``expected`` (:func:`check_resume`).
    ValueError
        For a checkpoint written by an incompatible version.
    """
    loaded = load_checkpoint(checkpoint_dir) if (resume and checkpoint_dir is not None) else None
    if loaded is not None:
        check_resume(loaded[0], expected, loaded[2])
    return loaded


def concat_histories(oracles) -> pd.DataFrame:
    """The histories of a run's oracles (one per stage), stage after stage."""
    parts = [o.history() for o in oracles if o.n_calls]
    return pd.concat(parts, ignore_index=True) if parts else oracles[0].history()


def restore_histories(oracles, history: pd.DataFrame) -> None:
    """Give each oracle its stage's rows of a checkpoint's ``history`` (undoes :func:`concat_histories`)."""
    for oracle in oracles:
        part = history[history["stage"] == oracle.stage].reset_index(drop=True)
        if len(part):
            oracle.load_history(part)

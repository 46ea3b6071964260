"""The ``molgen run`` config: one strictly validated TOML file, with an embedded default.

Sections (all optional; see ``default_run.toml`` for every key and its default):
``[run]`` output folder and seed, ``[data]`` the efficacy data, ``[model]`` the ensemble,
``[generate]`` goal-directed generation, ``[focus]`` transfer learning of the prior on the
series before it, ``[scorer]`` the objectives (the format of
:mod:`molgen.scoring.config`, where ``model = "@efficacy"`` names the trained model),
``[screen]`` the library to screen, ``[control]`` the control model the candidates are checked
against, ``[report]`` what the report shows.

The ``[model]`` keys (and ``run.seed``) default to :class:`molgen.train.FitConfig` and
:class:`molgen.train.TrainConfig`, the defaults of ``molgen train`` and the Ray jobs.
Renamed keys (``screen.workers``, now ``screen.num_workers``) still work with a
``DeprecationWarning`` until molgen 0.2.
"""

import dataclasses
import typing
import warnings
from importlib import resources
from pathlib import Path

import tomllib

from molgen.scoring.config import ConfigError
from molgen.train.config import FitConfig, TrainConfig

EFFICACY_REF = "@efficacy"

#: (section, old key) -> new key; the old key works, with a DeprecationWarning, until molgen 0.2.
RENAMED_KEYS = {("screen", "workers"): "num_workers"}


@dataclasses.dataclass(frozen=True)
class RunSection:
    out_dir: str = "runs/default"
    seed: int = TrainConfig.seed


@dataclasses.dataclass(frozen=True)
class DataSection:
    dataset: str | None = None
    file: str | None = None
    smiles_col: str = "smiles"
    target_col: str | None = None


@dataclasses.dataclass(frozen=True)
class ModelSection:
    ensemble_size: int = FitConfig.ensemble_size
    split: str = FitConfig.split_method
    epochs: int = TrainConfig.epochs
    patience: int = TrainConfig.patience
    coverage: float = FitConfig.coverage
    kernel: str = FitConfig.kernel
    forest: bool = FitConfig.forest
    refit: bool = FitConfig.refit


@dataclasses.dataclass(frozen=True)
class GenerateSection:
    method: str = "rl"
    budget: int = 2000
    batch_size: int = 64
    prior: str | None = None
    keep: int = 200


@dataclasses.dataclass(frozen=True)
class FocusSection:
    """Transfer learning of the prior on the series before RL (REINVENT 4's TL-then-RL workflow)."""

    enabled: bool = True
    epochs: float = 20.0
    learning_rate: float = 1e-4
    batch_size: int = 64
    samples: int = 1000  # molecules sampled from each prior to measure the focus


@dataclasses.dataclass(frozen=True)
class ScreenSection:
    library: str = "nci_5k"
    smiles_col: str = "smiles"
    id_col: str | None = None
    top_k: int = 100
    num_workers: int = 2


@dataclasses.dataclass(frozen=True)
class ControlSection:
    """The control model (:class:`molgen.efficacy.ControlModel`): a random forest on Morgan counts."""

    enabled: bool = True
    n_estimators: int = 500
    top_n: int = 100  # best candidates whose mean predictions the report compares


@dataclasses.dataclass(frozen=True)
class ReportSection:
    top_n: int = 24
    attributions: int = 4


SECTIONS = {
    "run": RunSection,
    "data": DataSection,
    "model": ModelSection,
    "generate": GenerateSection,
    "focus": FocusSection,
    "screen": ScreenSection,
    "control": ControlSection,
    "report": ReportSection,
}
CHOICES = {
    ("generate", "method"): ("rl", "ga"),
    ("model", "split"): ("scaffold", "random", "scaffold_balanced", "cluster"),
    ("model", "kernel"): ("tanimoto", "tanimoto_morgan", "none"),
}
POSITIVE = {("model", "ensemble_size"), ("model", "epochs"), ("model", "patience"), ("generate", "budget"),
            ("generate", "batch_size"), ("generate", "keep"), ("screen", "top_k"), ("screen", "num_workers"),
            ("control", "n_estimators"), ("control", "top_n"), ("focus", "epochs"), ("focus", "batch_size"), ("focus", "samples"), ("report", "top_n")}  # fmt: skip


@dataclasses.dataclass(frozen=True)
class RunConfig:
    """A validated pipeline config. Build it with :func:`load_run_config`."""

    run: RunSection
    data: DataSection
    model: ModelSection
    generate: GenerateSection
    focus: FocusSection
    screen: ScreenSection
    control: ControlSection
    report: ReportSection
    scorer: dict
    source: str = dataclasses.field(default="<dict>", compare=False)

    def section(self, name: str) -> dict:
        """One section as a plain dict (the scorer section as written)."""
        return dict(self.scorer) if name == "scorer" else dataclasses.asdict(getattr(self, name))

    def to_dict(self) -> dict:
        return {name: self.section(name) for name in (*SECTIONS, "scorer")}


def default_config_text() -> str:
    """The embedded default config (TOML)."""
    return resources.files("molgen.pipeline").joinpath("default_run.toml").read_text()


def load_run_config(path=None) -> RunConfig:
    """Read and validate a run config; ``None`` gives the embedded default.

    Sections left out take the embedded default's values, key by key, except ``[scorer]``,
    which replaces the default scorer as a whole.

    Raises
    ------
    ConfigError
        Naming the file and the key path: unknown section or key, wrong type, bad choice.
    FileNotFoundError
        When ``path`` does not exist.
    """
    default = tomllib.loads(default_config_text())
    if path is None:
        return from_dict(default, "<default run config>")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"run config {path} does not exist")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(str(path), "", f"not valid TOML: {err}") from None
    data = _rename_keys(data, str(path))
    merged = {name: {**default.get(name, {}), **data.get(name, {})} for name in SECTIONS if name in default or name in data}
    user_data = data.get("data", {})
    if isinstance(user_data, dict) and "file" in user_data and "dataset" not in user_data:
        merged["data"].pop("dataset", None)  # a file replaces the default data set
    merged.update({k: v for k, v in data.items() if k not in SECTIONS})
    merged.setdefault("scorer", default["scorer"])
    return from_dict(merged, str(path))


def from_dict(data: dict, source: str = "<dict>") -> RunConfig:
    """Validate a parsed config mapping (see :func:`load_run_config`)."""
    if not isinstance(data, dict):
        raise ConfigError(source, "", "expected a table of sections")
    data = _rename_keys(data, source)
    unknown = sorted(set(data) - set(SECTIONS) - {"scorer"})
    if unknown:
        raise ConfigError(source, unknown[0], f"unknown section; valid: {', '.join([*SECTIONS, 'scorer'])}")
    sections = {name: _section(source, name, cls, data.get(name, {})) for name, cls in SECTIONS.items()}
    if (sections["data"].dataset is None) == (sections["data"].file is None):
        raise ConfigError(source, "data", "give exactly one of 'dataset' (a built-in name) or 'file'")
    if sections["data"].file is not None and not sections["data"].target_col:
        raise ConfigError(source, "data.target_col", "required with 'file'")
    scorer = data.get("scorer")
    if not isinstance(scorer, dict):
        raise ConfigError(source, "scorer", "missing or not a table")
    _check_scorer(source, scorer)
    return RunConfig(**sections, scorer=scorer, source=source)


def _rename_keys(data: dict, source: str) -> dict:
    """``data`` with renamed keys under their new names; warns at the caller of the public function."""
    data = dict(data)
    for (name, old), new in RENAMED_KEYS.items():
        section = data.get(name)
        if not isinstance(section, dict) or old not in section:
            continue
        if new in section:
            raise ConfigError(source, f"{name}.{old}", f"renamed to {name}.{new}; give only {name}.{new}")
        warnings.warn(f"{source}: {name}.{old} is deprecated; use {name}.{new} (the old name goes in molgen 0.2)",
                      DeprecationWarning, stacklevel=3)  # fmt: skip
        data[name] = {(new if key == old else key): value for key, value in section.items()}
    return data


def _section(source: str, name: str, cls, values) -> object:
    if not isinstance(values, dict):
        raise ConfigError(source, name, "expected a table")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key, value in values.items():
        if key not in fields:
            raise ConfigError(source, f"{name}.{key}", f"unknown key; valid: {', '.join(fields)}")
        _check_type(source, f"{name}.{key}", value, fields[key].type)
        choices = CHOICES.get((name, key))
        if choices and value not in choices:
            raise ConfigError(source, f"{name}.{key}", f"{value!r} is not one of {', '.join(choices)}")
        if (name, key) in POSITIVE and value < 1:
            raise ConfigError(source, f"{name}.{key}", f"must be >= 1, got {value}")
    if name == "focus" and "learning_rate" in values and not 0 < values["learning_rate"] < 1:
        raise ConfigError(source, "focus.learning_rate", f"must be in (0, 1), got {values['learning_rate']}")
    if name == "model" and "coverage" in values and not 0 < values["coverage"] < 1:
        raise ConfigError(source, "model.coverage", f"must be in (0, 1), got {values['coverage']}")
    return cls(**values)


def _check_type(source: str, path: str, value, annotation) -> None:
    allowed = tuple(t for t in (typing.get_args(annotation) or (annotation,)) if t is not type(None))
    if float in allowed:
        allowed += (int,)
    if (isinstance(value, bool) and bool not in allowed) or not isinstance(value, allowed):
        expected = " or ".join(t.__name__ for t in allowed)
        raise ConfigError(source, path, f"expected {expected}, got {type(value).__name__} {value!r}")


def _check_scorer(source: str, scorer: dict) -> None:
    """Validate the scorer section with the scorer's own strict rules."""
    from molgen.scoring import ScorerConfig

    try:
        config = ScorerConfig.from_dict(scorer, source=f"{source} [scorer]")
    except ConfigError:
        raise
    models = [o for o in config.objectives if o.kind == "model"]
    for objective in models:
        if objective.params.get("model") != EFFICACY_REF:
            raise ConfigError(source, f"scorer.objectives.{objective.name}.model", f"must be {EFFICACY_REF!r} (the model this run trains)")
    if not models:
        raise ConfigError(source, "scorer.objectives", f"needs a 'model' objective with model = {EFFICACY_REF!r}")

"""Scorer config files (TOML, YAML, JSON): strict validation with key paths, and writing."""

import dataclasses
import importlib
import json
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path

import tomllib

from molgen.scoring._fields import ParamError, build
from molgen.scoring.objectives import OBJECTIVES, transform_required
from molgen.scoring.scorer import AGGREGATIONS, Objective, Scorer, check_name, check_weight
from molgen.scoring.transforms import Transform, make_transform
from molgen.utils.files import write_text

TOP_LEVEL_KEYS = ("aggregation", "objectives")
OBJECTIVE_KEYS = ("name", "kind", "weight", "transform")


class ConfigError(ValueError):
    """A config that does not validate; the message starts with the file and the key path."""

    def __init__(self, source: str, path: str, message: str):
        self.source, self.path, self.message = source, path, message
        super().__init__(f"{source}: {path}: {message}" if path else f"{source}: {message}")


@dataclasses.dataclass(frozen=True)
class ObjectiveConfig:
    """One validated ``[[objectives]]`` entry; ``params`` are the kind's parameters."""

    name: str
    kind: str
    weight: float
    transform: Transform
    params: Mapping

    def to_dict(self) -> dict:
        return {"name": self.name, "kind": self.kind, "weight": self.weight, "transform": self.transform.to_dict(), **self.params}


@dataclasses.dataclass(frozen=True)
class ScorerConfig:
    """A validated scorer config. Build it with :meth:`from_dict` or :func:`load_config`."""

    objectives: tuple[ObjectiveConfig, ...]
    aggregation: str = "weighted_geometric"
    source: str = dataclasses.field(default="<dict>", compare=False)

    @classmethod
    def from_dict(cls, data, source: str = "<dict>") -> "ScorerConfig":
        """Validate a parsed config mapping.

        Raises
        ------
        ConfigError
            At the first problem, naming ``source`` and the key path
            (e.g. ``objectives[2].transform.low``).
        """
        if not isinstance(data, Mapping):
            raise ConfigError(source, "", f"expected a table at the top level, got {type(data).__name__}")
        for key in data:
            if key not in TOP_LEVEL_KEYS:
                raise ConfigError(source, str(key), f"unknown key; valid keys: {', '.join(TOP_LEVEL_KEYS)}")
        aggregation = data.get("aggregation", "weighted_geometric")
        if not isinstance(aggregation, str) or aggregation not in AGGREGATIONS:
            raise ConfigError(source, "aggregation", f"unknown aggregation {aggregation!r}; choose one of: {', '.join(AGGREGATIONS)}")
        entries = data.get("objectives")
        if entries is None:
            raise ConfigError(source, "objectives", "required key missing")
        if not isinstance(entries, list) or not entries:
            raise ConfigError(source, "objectives", "expected a non-empty list of tables ([[objectives]] in TOML)")
        objectives, seen = [], set()
        for i, entry in enumerate(entries):
            path = f"objectives[{i}]"
            if not isinstance(entry, Mapping):
                raise ConfigError(source, path, f"expected a table, got {type(entry).__name__}")
            try:
                objective = _objective(entry)
            except ParamError as err:
                raise ConfigError(source, f"{path}.{err.key}", err.message) from None
            if objective.name in seen:
                raise ConfigError(source, f"{path}.name", f"duplicate objective name {objective.name!r}")
            seen.add(objective.name)
            objectives.append(objective)
        return cls(tuple(objectives), aggregation.lower(), source)

    def to_dict(self) -> dict:
        """Plain data for TOML/YAML/JSON, with every default written out."""
        return {"aggregation": self.aggregation, "objectives": [o.to_dict() for o in self.objectives]}

    def build(self, model_loader: Callable[[str], object] | None = None) -> Scorer:
        """The :class:`Scorer`; ``model_loader(model)`` is called once per distinct ``model``.

        Without ``model_loader``, ``model`` is a model directory for :func:`molgen.load_model`.
        """
        loaded: dict = {}
        objectives = []
        model_loader = model_loader or load_model_directory
        for i, oc in enumerate(self.objectives):
            predictor = None
            if oc.kind == "model":
                spec = oc.params["model"]
                if spec not in loaded:
                    try:
                        loaded[spec] = model_loader(spec)
                    except Exception as err:
                        raise ConfigError(self.source, f"objectives[{i}].model", f"cannot load {spec!r}: {err}") from err
                predictor = loaded[spec]
            try:
                objectives.append(Objective(oc.name, oc.kind, oc.transform, oc.weight, dict(oc.params), predictor))
            except ParamError as err:
                raise ConfigError(self.source, f"objectives[{i}].{err.key}", err.message) from None
        return Scorer(objectives, aggregation=self.aggregation)


def load_model_directory(path: str):
    """:func:`molgen.load_model` (looked up when called: scoring sits beside efficacy in the layering)."""
    return importlib.import_module("molgen.efficacy").load_model(path)


def _objective(entry) -> ObjectiveConfig:
    params = {k: v for k, v in entry.items() if k not in ("name", "weight", "transform")}
    term = build(OBJECTIVES, params, extra_keys=OBJECTIVE_KEYS)  # kind, unknown keys, types
    if "name" not in entry:
        raise ParamError("name", "required key missing")
    name = check_name(entry["name"])
    weight = check_weight(entry.get("weight", 1.0))
    if term.kind == "model" and "model" not in params:
        raise ParamError("model", "required key missing for kind 'model' (it is passed to model_loader)")
    spec = entry.get("transform", term.default_transform)
    if spec is None:
        raise ParamError("transform", transform_required(term.kind))
    try:
        transform = make_transform(spec)
    except ParamError as err:
        key = "transform" if isinstance(spec, str) and err.key == "kind" else f"transform.{err.key}"
        raise ParamError(key, err.message) from None
    return ObjectiveConfig(name, term.kind, weight, transform, term.to_dict())


def read_config_file(path) -> dict:
    """Parse a ``.toml``, ``.yaml``/``.yml`` or ``.json`` file into plain data.

    Raises
    ------
    ConfigError
        For an unsupported extension or a syntax error. A missing file raises
        ``FileNotFoundError``.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".toml":
            with path.open("rb") as handle:
                return tomllib.load(handle)
        if suffix in (".yaml", ".yml"):
            import yaml

            with path.open(encoding="utf-8") as handle:
                return yaml.safe_load(handle)
        if suffix == ".json":
            with path.open(encoding="utf-8") as handle:
                return json.load(handle)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, ValueError) as err:
        raise ConfigError(str(path), "", f"invalid {suffix[1:].upper()}: {err}") from None
    except Exception as err:
        if type(err).__module__.startswith("yaml"):
            raise ConfigError(str(path), "", f"invalid YAML: {err}") from None
        raise
    raise ConfigError(str(path), "", f"unsupported config extension {suffix!r}; use .toml, .yaml, .yml or .json")


def load_config(config) -> ScorerConfig:
    """A validated :class:`ScorerConfig` from a path or an already-parsed mapping."""
    if isinstance(config, ScorerConfig):
        return config
    if isinstance(config, Mapping):
        return ScorerConfig.from_dict(config)
    if isinstance(config, (str, os.PathLike)):
        return ScorerConfig.from_dict(read_config_file(config), source=str(config))
    raise TypeError(f"expected a path, a mapping or a ScorerConfig, got {type(config).__name__}")


_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key)


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return "nan"
        return {float("inf"): "inf", float("-inf"): "-inf"}.get(value, repr(value))
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def dump_toml(data: Mapping) -> str:
    """TOML text for a scorer config: top-level values, then ``[[objectives]]`` tables."""
    lines, tables = [], []
    for key, value in data.items():
        if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            tables.append((key, value))
        else:
            lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
    for key, rows in tables:
        for row in rows:
            lines += ["", f"[[{_toml_key(key)}]]"]
            lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in row.items()]
    return "\n".join(lines) + "\n"


def write_config(data: Mapping, path) -> None:
    """Write config data to ``path`` atomically; the format follows the extension.

    Raises
    ------
    ValueError
        For an unsupported extension.
    molgen.utils.files.FileWriteError
        ``path`` cannot be written (its folder is missing, disk full, permissions); nothing is left behind.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".toml":
        text = dump_toml(data)
    elif suffix in (".yaml", ".yml"):
        import yaml

        text = yaml.safe_dump(dict(data), sort_keys=False, allow_unicode=True)
    elif suffix == ".json":
        text = json.dumps(data, indent=2) + "\n"
    else:
        raise ValueError(f"unsupported config extension {suffix!r}; use .toml, .yaml, .yml or .json")
    write_text(path, text)

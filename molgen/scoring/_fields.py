"""Typed, named parameters for the frozen dataclasses behind transforms and objectives."""

import dataclasses
import math
import types
import typing


class ParamError(ValueError):
    """A bad parameter value; ``key`` names the parameter so callers can prefix a path."""

    def __init__(self, key: str, message: str):
        self.key = key
        self.message = message
        super().__init__(f"{key}: {message}")


def config_fields(cls) -> list[dataclasses.Field]:
    """Fields that can be set from a config file (``metadata={"config": False}`` opts out)."""
    return [f for f in dataclasses.fields(cls) if f.init and f.metadata.get("config", True)]


def required_keys(cls) -> list[str]:
    return [f.name for f in config_fields(cls) if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]


def _describe(value) -> str:
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
    return f"{type(value).__name__} {shown}"


def coerce(value, tp, key: str):
    """Check ``value`` against annotation ``tp`` and normalize it (int -> float, list -> tuple).

    Supports ``float``, ``int``, ``str``, ``bool``, ``X | None`` and ``tuple[str, ...]``.

    Raises
    ------
    ParamError
        Naming ``key`` and the expected type.
    """
    args = typing.get_args(tp)
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return coerce(value, inner, key)
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
            raise ParamError(key, f"expected a number, got {_describe(value)}")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ParamError(key, f"expected an integer, got {_describe(value)}")
        return value
    if tp is bool or tp is str:
        if not isinstance(value, tp):
            raise ParamError(key, f"expected a {'boolean' if tp is bool else 'string'}, got {_describe(value)}")
        return value
    if typing.get_origin(tp) is tuple and args[1:] == (Ellipsis,):
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            raise ParamError(key, f"expected a list, got {_describe(value)}")
        return tuple(coerce(v, args[0], f"{key}[{i}]") for i, v in enumerate(value))
    raise TypeError(f"unsupported parameter annotation {tp!r} for {key}")


def check_fields(obj) -> None:
    """Validate and normalize every config field of a frozen dataclass instance in place."""
    for f in config_fields(type(obj)):
        object.__setattr__(obj, f.name, coerce(getattr(obj, f.name), f.type, f.name))


def to_params(obj) -> dict:
    """Config fields of ``obj`` as plain TOML/YAML/JSON values; ``None`` values are left out."""
    out = {}
    for f in config_fields(type(obj)):
        value = getattr(obj, f.name)
        if value is not None:
            out[f.name] = list(value) if isinstance(value, tuple) else value
    return out


def build(registry, spec, *, extra_keys=(), **runtime):
    """Instantiate ``registry.get(spec["kind"])`` from a mapping, naming any bad key.

    Parameters
    ----------
    registry : Registry
        Maps kind names to frozen dataclasses.
    spec : Mapping
        ``{"kind": ..., **params}``.
    extra_keys : iterable of str
        Keys the caller handles itself; only listed in the "valid keys" message.
    **runtime
        Non-config constructor arguments (e.g. a loaded predictor).

    Raises
    ------
    ParamError
        For a missing or unknown kind, an unknown or missing key, or a bad value.
    """
    if not isinstance(spec, dict):
        raise ParamError("kind", f"expected a table with a 'kind' key, got {_describe(spec)}")
    if "kind" not in spec:
        raise ParamError("kind", "required key missing")
    kind = spec["kind"]
    if not isinstance(kind, str):
        raise ParamError("kind", f"expected a string, got {_describe(kind)}")
    try:
        cls = registry.get(kind)
    except ValueError as err:
        raise ParamError("kind", str(err)) from None
    names = [f.name for f in config_fields(cls)]
    valid = ", ".join(sorted({"kind", *names, *extra_keys}))
    params = {k: v for k, v in spec.items() if k != "kind"}
    for key in params:
        if key not in names:
            raise ParamError(str(key), f"unknown key for kind {kind!r}; valid keys: {valid}")
    for key in required_keys(cls):
        if key not in params:
            raise ParamError(key, f"required key missing for kind {kind!r}")
    return cls(**params, **runtime)

"""Desirability transforms: map raw objective values onto [0, 1] (1 = most desirable).

Every transform maps a float array elementwise to [0, 1] and keeps NaN as NaN. The sigmoid
family follows REINVENT's score transformations (Blaschke et al. 2020).
"""

import dataclasses
from typing import ClassVar

import numpy as np
from scipy.special import expit

from molgen.scoring._fields import ParamError, build, check_fields, to_params
from molgen.utils.registry import Registry

#: name -> transform class (a frozen dataclass).
TRANSFORMS: Registry = Registry("transform")

_LN10 = float(np.log(10.0))


def _register(name: str):
    def add(cls):
        cls.kind = name
        return TRANSFORMS.register(name)(cls)

    return add


class Transform:
    """Base class: subclasses are frozen dataclasses that implement ``_map``."""

    kind: ClassVar[str] = ""

    def __post_init__(self):
        check_fields(self)
        self._check()

    def _check(self) -> None:
        """Cross-parameter checks; raise :class:`ParamError`."""

    def _map(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __call__(self, values) -> np.ndarray:
        """Desirabilities in [0, 1] for ``values`` (any shape); NaN stays NaN."""
        x = np.asarray(values, dtype=float)
        out = np.clip(self._map(x), 0.0, 1.0)
        return np.where(np.isnan(x), np.nan, out)

    def to_dict(self) -> dict:
        """``{"kind": ..., **params}``: the config-file form (``None`` parameters left out)."""
        return {"kind": self.kind, **to_params(self)}


def _check_window(low: float, high: float) -> None:
    if not low < high:
        raise ParamError("high", f"must be greater than low (got low={low}, high={high})")


@_register("identity")
@dataclasses.dataclass(frozen=True)
class Identity(Transform):
    """For values that already are desirabilities (QED, a probability, a similarity).

    A value outside [0, 1] (beyond 1e-9) becomes NaN, so a mis-specified objective shows up
    as a failed score with an error rather than being silently clipped; use ``clip`` to clip.
    """

    def _map(self, x):
        with np.errstate(invalid="ignore"):
            inside = (x >= -1e-9) & (x <= 1 + 1e-9)
        return np.where(inside, x, np.nan)


@_register("clip")
@dataclasses.dataclass(frozen=True)
class Clip(Transform):
    """Linear ramp from 0 at ``low`` to 1 at ``high``, clipped to [0, 1].

    With the defaults (0, 1) it clips values to [0, 1]. ``low > high`` gives a falling ramp.
    """

    low: float = 0.0
    high: float = 1.0

    def _check(self):
        if self.low == self.high:
            raise ParamError("high", f"must differ from low (both {self.low})")

    def _map(self, x):
        return (x - self.low) / (self.high - self.low)


@_register("sigmoid")
@dataclasses.dataclass(frozen=True)
class Sigmoid(Transform):
    """Rises from ~0 at ``low`` to ~1 at ``high`` (REINVENT ``sigmoid``).

    ``d(x) = 1 / (1 + 10 ** (-10 k (x - (low + high) / 2) / (high - low)))``; it is 0.5 at the
    midpoint and ``1 / (1 + 10 ** (5 k))`` at ``low`` (0.003 for ``k = 0.5``). Larger ``k``
    is steeper.
    """

    low: float
    high: float
    k: float = 0.5

    def _check(self):
        _check_window(self.low, self.high)
        if self.k <= 0:
            raise ParamError("k", f"must be > 0, got {self.k}")

    def _z(self, x):
        return 10.0 * self.k * (x - 0.5 * (self.low + self.high)) / (self.high - self.low)

    def _map(self, x):
        return expit(_LN10 * self._z(x))


@_register("reverse_sigmoid")
@dataclasses.dataclass(frozen=True)
class ReverseSigmoid(Sigmoid):
    """Falls from ~1 at ``low`` to ~0 at ``high`` (REINVENT ``reverse_sigmoid``): ``1 - sigmoid``."""

    def _map(self, x):
        return expit(-_LN10 * self._z(x))


@_register("double_sigmoid")
@dataclasses.dataclass(frozen=True)
class DoubleSigmoid(Transform):
    """A soft window: ~1 between ``low`` and ``high``, ~0 well outside (REINVENT ``double_sigmoid``).

    ``d(x) = 1 / (1 + 10 ** (coef_se (low - x) / coef_div))
    - 1 / (1 + 10 ** (coef_si (high - x) / coef_div))``, REINVENT's formula written in a
    form that cannot overflow. Each edge is 0.5 at its bound and changes by a factor of ten
    (in odds) every ``coef_div / coef_se`` (left) or ``coef_div / coef_si`` (right) units.
    REINVENT's defaults (100, 150, 150) give near-vertical edges (tenfold per 0.67 units);
    for molecular weight try ``coef_div = 500, coef_si = coef_se = 20`` (tenfold per 25 Da),
    for cLogP ``coef_div = 1, coef_si = coef_se = 2`` (tenfold per 0.5 units).
    """

    low: float
    high: float
    coef_div: float = 100.0
    coef_si: float = 150.0
    coef_se: float = 150.0

    def _check(self):
        _check_window(self.low, self.high)
        for name in ("coef_div", "coef_si", "coef_se"):
            if getattr(self, name) <= 0:
                raise ParamError(name, f"must be > 0, got {getattr(self, name)}")

    def _map(self, x):
        rise = expit(_LN10 * self.coef_se * (x - self.low) / self.coef_div)
        fall = expit(_LN10 * self.coef_si * (x - self.high) / self.coef_div)
        return rise - fall


@_register("step")
@dataclasses.dataclass(frozen=True)
class Step(Transform):
    """1 inside the closed window ``[low, high]``, 0 outside; a missing bound is open-ended."""

    low: float | None = None
    high: float | None = None

    def _check(self):
        if self.low is None and self.high is None:
            raise ParamError("low", "give low, high or both")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ParamError("high", f"must be >= low (got low={self.low}, high={self.high})")

    def _map(self, x):
        with np.errstate(invalid="ignore"):
            inside = np.ones(x.shape, dtype=bool)
            if self.low is not None:
                inside &= x >= self.low
            if self.high is not None:
                inside &= x <= self.high
        return inside.astype(float)


def make_transform(spec) -> Transform:
    """A transform from an instance, a kind name (``"identity"``) or a mapping.

    Parameters
    ----------
    spec : Transform, str or dict
        E.g. ``{"kind": "sigmoid", "low": 5.0, "high": 8.0, "k": 0.5}``.

    Returns
    -------
    Transform

    Raises
    ------
    ParamError
        (a ``ValueError``) naming the bad key: unknown kind (listing the choices), unknown or
        missing parameter, wrong type, or inconsistent values.
    """
    if isinstance(spec, Transform):
        return spec
    if isinstance(spec, str):
        spec = {"kind": spec}
    return build(TRANSFORMS, spec)

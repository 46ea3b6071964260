"""Combine objectives through desirability transforms into one score in [0, 1]."""

import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping

import numpy as np
import pandas as pd

from molgen.chem import parse_smiles_batch
from molgen.scoring._fields import ParamError, build
from molgen.scoring.objectives import OBJECTIVES, Term, transform_required
from molgen.scoring.transforms import Transform, make_transform
from molgen.utils.registry import Registry

#: name -> function(desirabilities n x m, weights m) -> scores n.
AGGREGATIONS: Registry = Registry("aggregation")

RESERVED_COLUMNS = ("smiles", "state", "error", "score", "rank")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]*$")


def _text(smiles) -> str:
    if smiles is None or (isinstance(smiles, float) and np.isnan(smiles)):
        return ""
    return str(smiles)


@AGGREGATIONS.register("weighted_geometric")
def weighted_geometric(d: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``prod_i d_i ** (w_i / sum(w))``: any zero desirability zeroes the score (REINVENT)."""
    return np.prod(d ** (weights / weights.sum()), axis=1)


@AGGREGATIONS.register("weighted_arithmetic")
def weighted_arithmetic(d: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``sum_i w_i d_i / sum(w)``: objectives can compensate for each other."""
    return d @ (weights / weights.sum())


def check_name(name) -> str:
    """Raise :class:`ParamError` unless ``name`` can be an objective (column) name."""
    if not isinstance(name, str) or not _NAME.match(name) or name in RESERVED_COLUMNS:
        raise ParamError(
            "name",
            f"expected letters, digits, '_' or '-', starting with a letter, and not one of {', '.join(RESERVED_COLUMNS)}; got {name!r}",
        )
    return name


def check_weight(weight) -> float:
    """``weight`` as a float; raise :class:`ParamError` unless it is a finite number > 0."""
    if isinstance(weight, bool) or not isinstance(weight, (int, float)):
        raise ParamError("weight", f"expected a number, got {type(weight).__name__} {weight!r}")
    if not (np.isfinite(weight) and weight > 0):
        raise ParamError("weight", f"must be a finite number > 0, got {weight}")
    return float(weight)


@dataclasses.dataclass(frozen=True)
class Objective:
    """One named, weighted objective: a kind (what to compute) and a transform (how to judge it).

    Parameters
    ----------
    name : str
        Column name in the score table: letters, digits, ``_`` or ``-``, starting with a
        letter; not one of ``smiles``, ``state``, ``error``, ``score``, ``rank``.
    kind : str
        One of :data:`OBJECTIVES`: ``qed``, ``sa``, ``mw``, ``logp``, ``tpsa``,
        ``descriptor``, ``alerts``, ``ring_size``, ``similarity``, ``model``.
    transform : Transform, str or dict, optional
        Desirability transform (see :data:`~molgen.scoring.TRANSFORMS`); defaults to the
        kind's own (``identity`` for ``qed``/``similarity``, ``step`` at 0 for ``alerts``)
        and is required for the others.
    weight : float
        Relative weight, > 0.
    params : dict
        The kind's parameters, e.g. ``{"references": [...]}`` for ``similarity`` or
        ``{"model": "runs/default/model", "uncertainty_penalty": 1.0}`` for ``model``.
    predictor : object, optional
        ``model`` kind only: an object with ``predict(smiles) -> DataFrame``.

    Raises
    ------
    ValueError
        (:class:`~molgen.scoring._fields.ParamError`) naming the bad parameter.
    """

    name: str
    kind: str
    transform: Transform | str | Mapping | None = None
    weight: float = 1.0
    params: Mapping = dataclasses.field(default_factory=dict)
    predictor: object = dataclasses.field(default=None, compare=False, repr=False)
    term: Term = dataclasses.field(init=False, repr=False)

    def __post_init__(self):
        check_name(self.name)
        object.__setattr__(self, "weight", check_weight(self.weight))
        if isinstance(self.kind, str):
            object.__setattr__(self, "kind", self.kind.lower())
        if not isinstance(self.params, Mapping):
            raise ParamError("params", f"expected a mapping, got {type(self.params).__name__}")
        runtime = {}
        if self.predictor is not None:
            if self.kind != "model":
                raise ParamError("predictor", f"only a 'model' objective takes a predictor, not {self.kind!r}")
            runtime["predictor"] = self.predictor
        for key in ("kind", "name", "weight", "transform"):
            if key in self.params:
                raise ParamError(key, "give it as an Objective argument, not in params")
        term = build(OBJECTIVES, {"kind": self.kind, **self.params}, extra_keys=("name", "weight", "transform"), **runtime)
        if self.kind == "model" and term.predictor is None:
            raise ParamError("predictor", "a 'model' objective needs predictor= (or Scorer.from_config with a model_loader)")
        object.__setattr__(self, "term", term)
        object.__setattr__(self, "params", dict(self.params))
        spec = self.transform if self.transform is not None else term.default_transform
        if spec is None:
            raise ParamError("transform", transform_required(self.kind))
        try:
            object.__setattr__(self, "transform", make_transform(spec))
        except ParamError as err:
            raise ParamError(f"transform.{err.key}", err.message) from None

    @property
    def desirability_column(self) -> str:
        return f"{self.name}_desirability"

    def to_dict(self) -> dict:
        """The config-file form: ``name``, ``kind``, ``weight``, ``transform`` and parameters."""
        params = self.term.to_dict()
        if self.kind == "model" and "model" not in params:
            raise ValueError(f"objective {self.name!r}: set params['model'] to write a config for its predictor")
        return {"name": self.name, "kind": self.kind, "weight": self.weight, "transform": self.transform.to_dict(), **params}


class Scorer:
    """Score molecules by combining objectives into one desirability in [0, 1].

    Each objective computes a raw value per valid molecule, its transform maps that to a
    desirability in [0, 1], and the aggregation combines desirabilities with the weights.
    Molecules that fail to parse, and valid molecules for which any objective gives no
    desirability (a model failure, a raw value outside ``identity``'s range), score NaN
    with the reason in ``error``; they never score 0.

    Parameters
    ----------
    objectives : sequence of Objective
        At least one; names must be unique.
    aggregation : {"weighted_geometric", "weighted_arithmetic"}
        Geometric (default, REINVENT-like: one zero vetoes) or arithmetic weighted mean.

    Raises
    ------
    ValueError
        For no objectives, duplicate or clashing names, or an unknown aggregation.

    Examples
    --------
    >>> scorer = Scorer([Objective("qed", "qed")])
    >>> table = scorer.score(["CCO", "not a smiles"])
    >>> table["score"].isna().tolist()
    [False, True]
    """

    def __init__(self, objectives: Iterable[Objective], aggregation: str = "weighted_geometric"):
        self.objectives = tuple(objectives)
        self.aggregation = aggregation
        if not self.objectives:
            raise ValueError("a Scorer needs at least one objective")
        for obj in self.objectives:
            if not isinstance(obj, Objective):
                raise ValueError(f"objectives must be Objective instances, got {type(obj).__name__}")
        columns = [c for o in self.objectives for c in (o.name, o.desirability_column)]
        clashes = sorted({c for c in columns if columns.count(c) > 1})
        if clashes:
            raise ValueError(f"objective names give duplicate columns: {', '.join(clashes)}")
        self._aggregate = AGGREGATIONS.get(aggregation)

    @property
    def weights(self) -> np.ndarray:
        return np.array([o.weight for o in self.objectives])

    def score(self, smiles: Iterable[str] | str) -> pd.DataFrame:
        """Score a batch of SMILES.

        Parameters
        ----------
        smiles : iterable of str, or one str
            Any strings; bad ones are recorded, not raised.

        Returns
        -------
        pandas.DataFrame
            One row per input, in input order: ``smiles``, ``state`` (the parse state, or a
            failing model's state), ``error`` ("" when scored), then per objective the raw
            value ``<name>`` and ``<name>_desirability``, and ``score`` (NaN for failures).
            The first ``model`` objective of each predictor also brings what the model says
            of its own reliability, where the predictor gives it: ``<name>_uncertainty``,
            ``<name>_lower``, ``<name>_upper``, ``<name>_ad_similarity``, ``<name>_in_domain``.

        Raises
        ------
        ValueError
            If a predictor breaks its contract (wrong number of rows, missing column);
            exceptions raised inside ``predict`` propagate.
        """
        inputs = [smiles] if isinstance(smiles, str) else list(smiles)
        parsed = parse_smiles_batch(inputs)
        n = len(inputs)
        valid = np.flatnonzero(np.array(parsed.states, dtype=object) == "valid")
        mols = [parsed.mols[i] for i in valid]
        valid_smiles = [str(inputs[i]).strip() for i in valid]
        states = list(parsed.states)
        errors = [[e] if e else [] for e in parsed.errors]
        table = {"smiles": [_text(s) for s in inputs]}
        desirability = np.full((n, len(self.objectives)), np.nan)
        cache: dict = {}
        shown: set = set()  # a predictor's extra columns appear once, under its first objective
        for j, obj in enumerate(self.objectives):
            result = obj.term.compute(mols, valid_smiles, cache)
            raw = np.full(n, np.nan)
            raw[valid] = result.values
            d = obj.transform(raw)
            desirability[:, j] = d
            table[obj.name], table[obj.desirability_column] = raw, d
            for col, values in (result.extra or {}).items():
                if f"{obj.name}_{col}" not in table and id(values) not in shown:
                    shown.add(id(values))
                    table[f"{obj.name}_{col}"] = np.full(n, np.nan)
                    table[f"{obj.name}_{col}"][valid] = values
            for k, i in enumerate(valid):
                if np.isnan(d[i]):
                    reason = result.errors[k] or f"no desirability for raw value {raw[i]:.6g} ({obj.transform.kind})"
                    errors[i].append(f"{obj.name}: {reason}")
                    if result.states and result.states[k] != "valid" and states[i] == "valid":
                        states[i] = result.states[k]
        frame = pd.DataFrame(table)
        frame.insert(1, "state", states)
        frame.insert(2, "error", ["; ".join(e) for e in errors])
        frame["score"] = np.clip(self._aggregate(desirability, self.weights), 0.0, 1.0)
        return frame

    def __call__(self, smiles: Iterable[str] | str) -> np.ndarray:
        """Just the scores (NaN for failures), aligned with ``smiles``."""
        return self.score(smiles)["score"].to_numpy()

    def rank(self, smiles: Iterable[str] | str, top_k: int | None = None) -> pd.DataFrame:
        """The score table sorted best first, NaN scores last, with a 1-based ``rank``.

        Ties keep input order; the index still holds each row's input position. Failed rows
        get rank ``<NA>``. ``top_k`` keeps the first ``top_k`` rows of the sorted table
        (which include failed rows only when fewer than ``top_k`` molecules scored).

        Raises
        ------
        ValueError
            If ``top_k`` is not a positive int or None.
        """
        if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1):
            raise ValueError(f"top_k must be a positive int or None, got {top_k!r}")
        table = self.score(smiles).sort_values("score", ascending=False, na_position="last", kind="mergesort")
        ranks = pd.array(np.arange(1, len(table) + 1), dtype="Int64")
        ranks[table["score"].isna().to_numpy()] = pd.NA
        table.insert(0, "rank", ranks)
        return table if top_k is None else table.head(top_k)

    def to_config(self) -> dict:
        """The config-file form of this scorer (see :meth:`from_config`)."""
        return {"aggregation": self.aggregation, "objectives": [o.to_dict() for o in self.objectives]}

    @classmethod
    def from_config(cls, config, model_loader: Callable[[str], object] | None = None) -> "Scorer":
        """Build a scorer from a TOML/YAML/JSON file or a dict, validated strictly.

        Parameters
        ----------
        config : str, Path, dict or ScorerConfig
            A path (format by extension: ``.toml``, ``.yaml``/``.yml``, ``.json``) or the
            parsed mapping. See ``molgen/scoring/example_scorer.toml`` for the schema.
        model_loader : callable, optional
            ``model_loader(model) -> predictor`` for ``model`` objectives, called once per
            distinct ``model`` string (passed as written in the config). Default:
            :func:`molgen.load_model`, so ``model`` is a model directory.

        Raises
        ------
        ConfigError
            (a ``ValueError``) naming the file and key path: unknown key, wrong type,
            unknown kind (listing the choices), weight <= 0, a ``model`` that does not load.
        """
        from molgen.scoring.config import ScorerConfig, load_config

        cfg = config if isinstance(config, ScorerConfig) else load_config(config)
        return cfg.build(model_loader)

    def save_config(self, path) -> None:
        """Write :meth:`to_config` to ``path`` (``.toml``, ``.yaml``/``.yml`` or ``.json``)."""
        from molgen.scoring.config import write_config

        write_config(self.to_config(), path)

    def __repr__(self) -> str:
        names = ", ".join(o.name for o in self.objectives)
        return f"Scorer([{names}], aggregation={self.aggregation!r})"

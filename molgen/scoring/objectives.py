"""Objective kinds: turn valid molecules into one raw number each (QED, SA, a model, ...)."""

import dataclasses
from typing import ClassVar, NamedTuple, Protocol, runtime_checkable

import numpy as np
import pandas as pd
from rdkit import Chem
from rdkit.Chem import Crippen, Descriptors, Lipinski, rdMolDescriptors

from molgen.chem import DESCRIPTOR_NAMES, InvalidMoleculeError, largest_ring_size, parse_smiles, qed, sa_score, structural_alerts
from molgen.chem.filters import ALERT_CATALOGS, smarts_catalog
from molgen.featurize.fingerprints import fingerprint_matrix
from molgen.scoring._fields import ParamError, check_fields, to_params
from molgen.scoring.oracles import ORACLES, oracle_function
from molgen.scoring.transforms import Identity, Step, Transform
from molgen.utils.quiet import rdkit_quiet
from molgen.utils.registry import Registry
from molgen.utils.tanimoto import max_tanimoto

#: name -> objective kind class (a frozen dataclass with ``compute``).
OBJECTIVES: Registry = Registry("objective kind")

_DESCRIPTORS = {
    "mw": Descriptors.MolWt,
    "clogp": Crippen.MolLogP,
    "tpsa": rdMolDescriptors.CalcTPSA,
    "hbd": Lipinski.NumHDonors,
    "hba": Lipinski.NumHAcceptors,
    "rotatable_bonds": rdMolDescriptors.CalcNumRotatableBonds,
    "heavy_atoms": lambda mol: mol.GetNumHeavyAtoms(),
    "rings": rdMolDescriptors.CalcNumRings,
    "qed": qed,
    "sa_score": sa_score,
}


@runtime_checkable
class Predictor(Protocol):
    """What a ``"model"`` objective needs: ``predict`` returning a table aligned with its input.

    The DataFrame has one row per input SMILES, a numeric column named by the objective's
    ``column`` and, ideally, ``state`` (``"valid"`` or why the row failed) and ``error``.
    """

    def predict(self, smiles: list[str]) -> pd.DataFrame: ...


class TermValues(NamedTuple):
    """Raw values for the valid molecules of a batch, with per-row error messages.

    ``extra``: further columns to show beside the value (a model's uncertainty, ...).
    """

    values: np.ndarray
    errors: list[str]
    states: list[str] | None = None
    extra: dict | None = None


#: A predictor's columns about its own reliability, carried into the score table.
RELIABILITY_COLUMNS = ("uncertainty", "lower", "upper", "ad_similarity", "in_domain")

#: A working transform per kind that needs one, shown when it is missing.
TRANSFORM_EXAMPLES = {
    "model": '{"kind": "sigmoid", "low": 5.0, "high": 8.0} (a pIC50: 0 at 5, 1 at 8)',
    "sa": '{"kind": "reverse_sigmoid", "low": 2.5, "high": 5.0}',
    "mw": '{"kind": "double_sigmoid", "low": 250.0, "high": 500.0, "coef_div": 500.0, "coef_si": 20.0, "coef_se": 20.0}',
    "logp": '{"kind": "double_sigmoid", "low": 1.0, "high": 4.0, "coef_div": 1.0, "coef_si": 2.0, "coef_se": 2.0}',
    "tpsa": '{"kind": "step", "high": 140.0}',
    "descriptor": '{"kind": "step", "high": 5.0} (e.g. for hbd)',
}


def transform_required(kind: str) -> str:
    """The message for a missing transform, with a working example for ``kind``."""
    example = TRANSFORM_EXAMPLES.get(kind, '{"kind": "clip", "low": 0.0, "high": 1.0}')
    return f"required for kind {kind!r}; its raw values are not desirabilities. Give one, e.g. transform = {example}"


def _register(name: str):
    def add(cls):
        cls.kind = name
        return OBJECTIVES.register(name)(cls)

    return add


def _per_mol(fn, mols) -> TermValues:
    values, errors = np.full(len(mols), np.nan), [""] * len(mols)
    with rdkit_quiet():
        for i, mol in enumerate(mols):
            try:
                values[i] = float(fn(mol))
            except Exception as err:  # one bad molecule must not sink the batch
                errors[i] = f"{type(err).__name__}: {err}"
    return TermValues(values, errors)


def _numeric(column: pd.Series) -> np.ndarray:
    """A prediction column as floats (booleans as 0 / 1), unreadable entries NaN."""
    return pd.to_numeric(column.astype(object) if column.dtype == bool else column, errors="coerce").to_numpy(
        dtype=float, na_value=np.nan, copy=True
    )


class Term:
    """Base class of objective kinds; subclasses are frozen dataclasses.

    ``default_transform`` is used when an objective gives none; ``None`` means the objective
    must give one (the raw value is not a desirability).
    """

    kind: ClassVar[str] = ""
    default_transform: ClassVar[Transform | None] = None

    def __post_init__(self):
        check_fields(self)
        self._check()

    def _check(self) -> None:
        """Cross-parameter checks; raise :class:`ParamError`."""

    def compute(self, mols: list, smiles: list[str], cache: dict) -> TermValues:
        """Raw values for ``mols`` (all valid), aligned with them; ``smiles`` are their inputs."""
        raise NotImplementedError

    def to_dict(self) -> dict:
        """Config parameters (without ``kind``); ``None`` values left out."""
        return to_params(self)


class _Fixed(Term):
    descriptor: ClassVar[str] = ""

    def compute(self, mols, smiles, cache):
        return _per_mol(_DESCRIPTORS[self.descriptor], mols)


def _fixed(kind: str, descriptor: str, doc: str, default_transform: Transform | None = None) -> type:
    """Register objective kind ``kind``, without parameters: ``_DESCRIPTORS[descriptor]`` of each
    molecule. The class is named after the kind (``"logp"`` makes ``LogpTerm``)."""
    namespace = {"__doc__": doc, "__module__": __name__, "descriptor": descriptor}
    if default_transform is not None:
        namespace["default_transform"] = default_transform
    cls = type(f"{kind.capitalize()}Term", (_Fixed,), namespace)
    return _register(kind)(dataclasses.dataclass(frozen=True)(cls))


QedTerm = _fixed("qed", "qed", "QED drug-likeness, already in [0, 1] (default transform ``identity``).", Identity())
SaTerm = _fixed("sa", "sa_score", "SA score, 1 (easy) to 10 (hard); lower is better, so pair it with ``reverse_sigmoid``.")
MwTerm = _fixed("mw", "mw", "Molecular weight (Da); pair it with a window (``double_sigmoid`` or ``step``).")
LogpTerm = _fixed("logp", "clogp", "Crippen cLogP; pair it with a window (``double_sigmoid`` or ``step``).")
TpsaTerm = _fixed("tpsa", "tpsa", "Topological polar surface area (Å²).")


@_register("descriptor")
@dataclasses.dataclass(frozen=True)
class DescriptorTerm(Term):
    """Any of ``molgen.chem.DESCRIPTOR_NAMES`` (``hbd``, ``rotatable_bonds``, ...) by name."""

    descriptor: str

    def _check(self):
        if self.descriptor not in _DESCRIPTORS:
            raise ParamError("descriptor", f"unknown descriptor {self.descriptor!r}; choose one of: {', '.join(DESCRIPTOR_NAMES)}")

    def compute(self, mols, smiles, cache):
        return _per_mol(_DESCRIPTORS[self.descriptor], mols)


@_register("alerts")
@dataclasses.dataclass(frozen=True)
class AlertsTerm(Term):
    """Number of structural alerts matched: named catalogs and the objective's own SMARTS.

    ``catalogs`` names :data:`molgen.chem.filters.ALERT_CATALOGS` (``pains``, ``brenk``,
    ``reinvent``: REINVENT 4's standard custom alerts); ``smarts`` adds unwanted patterns
    of one's own (e.g. ``["[#7;!n][#7;!n]", "[Si]"]``). The default transform ``step`` with
    ``high = 0`` gives 1 with no alert and 0 otherwise; a ``reverse_sigmoid`` (e.g. low 0,
    high 3) gives a softer penalty per alert.
    """

    catalogs: tuple[str, ...] = ("pains", "brenk")
    smarts: tuple[str, ...] | None = None
    default_transform = Step(high=0.0)
    _own: object = dataclasses.field(init=False, repr=False, compare=False)

    def _check(self):
        if not self.catalogs and not self.smarts:
            raise ParamError("catalogs", "give at least one alert catalog or SMARTS")
        for i, name in enumerate(self.catalogs):
            if name not in ALERT_CATALOGS:
                raise ParamError(f"catalogs[{i}]", f"unknown alert catalog {name!r}; choose one of: {', '.join(ALERT_CATALOGS)}")
        for i, pattern in enumerate(self.smarts or ()):
            try:
                smarts_catalog({pattern: pattern})
            except ValueError:
                raise ParamError(f"smarts[{i}]", f"not a valid SMARTS: {pattern!r}") from None
        object.__setattr__(self, "_own", smarts_catalog({p: p for p in self.smarts}) if self.smarts else None)

    def compute(self, mols, smiles, cache):
        def count(mol):
            own = len(self._own.GetMatches(mol)) if self._own is not None else 0
            return len(structural_alerts(mol, self.catalogs)) + own

        return _per_mol(count, mols)


@_register("ring_size")
@dataclasses.dataclass(frozen=True)
class RingSizeTerm(Term):
    """Atoms in the molecule's largest ring (0 without rings; :func:`molgen.chem.largest_ring_size`).

    The default transform ``step`` with ``high = 7`` keeps rings of at most 7 atoms, so
    macrocycles of any size (REINVENT's ``[*;r{8-17}]`` alert stops at 17) score 0.
    """

    default_transform = Step(high=7.0)

    def compute(self, mols, smiles, cache):
        return _per_mol(largest_ring_size, mols)


@_register("similarity")
@dataclasses.dataclass(frozen=True)
class SimilarityTerm(Term):
    """Maximum Tanimoto similarity to ``references`` on Morgan bit fingerprints, in [0, 1].

    ``radius`` 2 and ``n_bits`` 2048 by default (ECFP4-like). Default transform ``identity``;
    use ``reverse_sigmoid`` or ``step`` to reward novelty instead.
    """

    references: tuple[str, ...]
    radius: int = 2
    n_bits: int = 2048
    default_transform = Identity()
    _reference_fps: np.ndarray = dataclasses.field(init=False, repr=False, compare=False)

    def _check(self):
        if not self.references:
            raise ParamError("references", "give at least one reference SMILES")
        if self.radius < 0:
            raise ParamError("radius", f"must be >= 0, got {self.radius}")
        if self.n_bits < 1:
            raise ParamError("n_bits", f"must be >= 1, got {self.n_bits}")
        mols = []
        for i, smi in enumerate(self.references):
            try:
                mols.append(parse_smiles(smi, max_heavy_atoms=None))
            except InvalidMoleculeError as err:
                raise ParamError(f"references[{i}]", str(err)) from None
        object.__setattr__(self, "_reference_fps", self.fingerprints(mols))

    def fingerprints(self, mols) -> np.ndarray:
        """Morgan bit fingerprints of ``mols`` as a ``n_mols x n_bits`` uint8 array."""
        return fingerprint_matrix(mols, radius=self.radius, n_bits=self.n_bits)

    def compute(self, mols, smiles, cache):
        if not mols:
            return TermValues(np.empty(0), [])
        return TermValues(max_tanimoto(self.fingerprints(mols), self._reference_fps), [""] * len(mols))


@_register("model")
@dataclasses.dataclass(frozen=True)
class ModelTerm(Term):
    """A predictor's output column, e.g. predicted pIC50 or an activity probability.

    ``model`` is what the ``model_loader`` given to :meth:`Scorer.from_config` receives
    (typically a model directory); ``column`` is the prediction column to read (``prediction``,
    ``lower``, ``ad_similarity``, ``in_domain``, ...). Rows the predictor marks with a
    ``state`` other than ``"valid"``, or leaves NaN, fail with its ``error``. Objectives
    sharing one predictor object share one ``predict`` call per batch.

    ``uncertainty_penalty`` k scores a lower confidence bound, ``column - k * uncertainty``
    (the predictor's ``uncertainty`` column, a standard deviation), so that an optimizer
    gains nothing from molecules the model knows little about; ``column = "lower"`` (the
    conformal interval's lower end) is the other choice.
    """

    model: str | None = None
    column: str = "prediction"
    uncertainty_penalty: float | None = None
    predictor: object = dataclasses.field(default=None, compare=False, repr=False, metadata={"config": False})

    def _check(self):
        if self.predictor is not None and not callable(getattr(self.predictor, "predict", None)):
            raise ParamError("predictor", f"{type(self.predictor).__name__} has no predict(smiles) method")
        if self.uncertainty_penalty is not None and not (np.isfinite(self.uncertainty_penalty) and self.uncertainty_penalty >= 0):
            raise ParamError("uncertainty_penalty", f"must be a finite number >= 0, got {self.uncertainty_penalty}")

    @property
    def label(self) -> str:
        return repr(self.model) if self.model else type(self.predictor).__name__

    def compute(self, mols, smiles, cache):
        if self.predictor is None:
            raise ValueError(f"model objective {self.label} has no predictor; pass predictor= or a model_loader")
        if not smiles:
            return TermValues(np.empty(0), [], [])
        key = id(self.predictor)
        if key not in cache:
            cache[key] = self.predictor.predict(list(smiles))
        frame = cache[key]
        if not isinstance(frame, pd.DataFrame) or len(frame) != len(smiles):
            got = f"{len(frame)} rows" if isinstance(frame, pd.DataFrame) else type(frame).__name__
            raise ValueError(f"{self.label}.predict returned {got} for {len(smiles)} SMILES; expected an aligned DataFrame")
        if self.column not in frame.columns:
            raise ValueError(f"{self.label}.predict returned no column {self.column!r}; columns: {list(frame.columns)}")
        values = _numeric(frame[self.column])
        if self.uncertainty_penalty:
            if "uncertainty" not in frame.columns:
                raise ValueError(
                    f"{self.label}.predict returned no column 'uncertainty' for uncertainty_penalty; columns: {list(frame.columns)}"
                )
            values = values - self.uncertainty_penalty * _numeric(frame["uncertainty"])
        states = frame["state"].astype(str).tolist() if "state" in frame.columns else ["valid"] * len(frame)
        reasons = frame["error"].fillna("").astype(str).tolist() if "error" in frame.columns else [""] * len(frame)
        errors = []
        for i, (state, reason) in enumerate(zip(states, reasons)):
            if state != "valid":
                values[i] = np.nan
                errors.append(f"model {self.label}: {state}" + (f" ({reason})" if reason else ""))
            elif not np.isfinite(values[i]):
                errors.append(f"model {self.label} gave no value in column {self.column!r}")
            else:
                errors.append("")
        key = ("extra", id(self.predictor))
        if key not in cache:  # one array per column and predictor: the scorer shows each once
            cache[key] = {c: _numeric(frame[c]) for c in RELIABILITY_COLUMNS if c in frame.columns}
        return TermValues(values, errors, states, cache[key])


@_register("oracle")
@dataclasses.dataclass(frozen=True)
class OracleTerm(Term):
    """A benchmark oracle by name: the PMO / GuacaMol scoring functions of :mod:`molgen.scoring.oracles`.

    ``oracle`` is one of :data:`molgen.scoring.oracles.ORACLES` (``osimertinib_mpo``,
    ``celecoxib_rediscovery``, ``deco_hop``, ``zaleplon_mpo_prev``, ...). Values lie in [0, 1]
    (default transform ``identity``). Each molecule is scored from its RDKit canonical SMILES,
    as the PMO benchmark scores it. In a config::

        [[objectives]]
        name = "osimertinib_mpo"
        kind = "oracle"
        oracle = "osimertinib_mpo"
    """

    oracle: str
    default_transform = Identity()

    def _check(self):
        if self.oracle not in ORACLES:
            raise ParamError("oracle", f"unknown oracle {self.oracle!r}; choose one of: {', '.join(ORACLES.names())}")

    def compute(self, mols, smiles, cache):
        score = oracle_function(self.oracle)
        return _per_mol(lambda mol: score(Chem.MolToSmiles(mol)), mols)

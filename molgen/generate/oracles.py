"""PMO's accounting: the benchmark tasks, a budgeted oracle and the area under the top-k curve.

PMO (Gao et al., "Sample Efficiency Matters: A Benchmark for Practical Molecular
Optimization", NeurIPS 2022 Datasets and Benchmarks; code ``github.com/wenhao-gao/mol_opt``,
``main/optimizer.py``) counts oracle calls as follows, and so does everything here:

* a call is one new valid molecule scored, keyed by RDKit canonical SMILES; invalid SMILES
  and repeats cost nothing (a repeat returns the cached score);
* a run may make at most ``budget`` calls (10,000);
* every 100 calls the top-k means and the AUC so far are logged;
* the AUC top-k is the area under the curve of the top-k mean against calls, sampled every
  100 calls from (0, 0) and integrated by the trapezoid rule, divided by the budget; a run
  that stops early is extended flat at its last top-k mean to the budget. It lies in [0, 1].

The oracles themselves are pure RDKit functions in :mod:`molgen.scoring.oracles`; here they
are named as PMO's tasks (:data:`PMO_TASKS`) and wrapped for optimizers:
:func:`oracle_scorer` gives a :class:`~molgen.scoring.Scorer` for molgen's own optimizers
(:mod:`molgen.generate.optimize`, whose ``Oracle`` does the same counting), and
:class:`PMOOracle` a budgeted ``f(list of SMILES) -> list of scores`` for any other optimizer.
"""

import logging
from collections.abc import Iterable

import numpy as np
import pandas as pd

from molgen.generate.optimize.oracle import Oracle
from molgen.scoring import Objective, Scorer
from molgen.scoring.oracles import ORACLES

__all__ = [
    "DOWNLOAD_TASKS",
    "FIXED_ISOMER_ORACLES",
    "PMO_BUDGET",
    "PMO_FREQ",
    "PMO_TASKS",
    "BudgetSpentError",
    "PMOOracle",
    "oracle_scorer",
    "pmo_auc",
    "pmo_log",
    "pmo_metrics",
]

logger = logging.getLogger(__name__)

#: Oracle calls per run in PMO.
PMO_BUDGET = 10_000
#: PMO logs (and samples the AUC curve) every this many calls.
PMO_FREQ = 100

#: The 20 PMO tasks that need no downloaded model file -> the oracle that scores them as PMO did
#: (the isomer terms of four of them with TDC's pre-2022-08-26 count, the ``_prev`` oracles).
PMO_TASKS: dict[str, str] = {
    "albuterol_similarity": "albuterol_similarity",
    "amlodipine_mpo": "amlodipine_mpo",
    "celecoxib_rediscovery": "celecoxib_rediscovery",
    "deco_hop": "deco_hop",
    "fexofenadine_mpo": "fexofenadine_mpo",
    "isomers_c7h8n2o2": "isomers_c7h8n2o2_prev",
    "isomers_c9h10n2o2pf2cl": "isomers_c9h10n2o2pf2cl_prev",
    "median1": "median1",
    "median2": "median2",
    "mestranol_similarity": "mestranol_similarity",
    "osimertinib_mpo": "osimertinib_mpo",
    "perindopril_mpo": "perindopril_mpo",
    "qed": "qed",
    "ranolazine_mpo": "ranolazine_mpo",
    "scaffold_hop": "scaffold_hop",
    "sitagliptin_mpo": "sitagliptin_mpo_prev",
    "thiothixene_rediscovery": "thiothixene_rediscovery",
    "troglitazone_rediscovery": "troglitazone_rediscovery",
    "valsartan_smarts": "valsartan_smarts",
    "zaleplon_mpo": "zaleplon_mpo_prev",
}
#: The PMO tasks left out: their oracles are scikit-learn models that are downloads.
DOWNLOAD_TASKS = ("drd2", "gsk3b", "jnk3")
#: The four PMO tasks with an isomer term -> the oracle with the atom count fixed (GuacaMol; TDC >= 2022-08-26).
FIXED_ISOMER_ORACLES: dict[str, str] = {
    "isomers_c7h8n2o2": "isomers_c7h8n2o2",
    "isomers_c9h10n2o2pf2cl": "isomers_c9h10n2o2pf2cl",
    "sitagliptin_mpo": "sitagliptin_mpo",
    "zaleplon_mpo": "zaleplon_mpo",
}


def _scores(scores) -> np.ndarray:
    arr = np.asarray(scores, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"scores must be one-dimensional (in call order), got shape {arr.shape}")
    return np.nan_to_num(arr, nan=0.0)


def _check_positive(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return int(value)


def _top_mean(values: np.ndarray, k: int) -> float:
    """Mean of the ``k`` largest of ``values`` (of all of them when there are fewer)."""
    if values.size <= k:
        return float(values.mean())
    return float(np.partition(values, values.size - k)[values.size - k :].mean())


def pmo_auc(scores, k: int = 10, *, budget: int = PMO_BUDGET, freq: int = PMO_FREQ, finish: bool = True) -> float:
    """PMO's AUC top-``k``: the area under the top-``k``-mean curve divided by ``budget``.

    The definition of ``top_auc`` in mol_opt's ``main/optimizer.py``: the curve is the mean of
    the ``k`` best scores among the first ``n`` calls (all of them when fewer than ``k``),
    taken at ``n = freq, 2 freq, ...`` below ``min(len(scores), budget)`` and at the last call,
    joined by straight lines from (0, 0). With ``finish`` (how PMO reports a finished run) a
    run with fewer than ``budget`` calls keeps its last value to ``budget``.

    Parameters
    ----------
    scores : 1-D array-like
        Scores in call order; NaN (a failed score) counts as 0.
    k : int
    budget : int
        PMO's maximum number of oracle calls (10,000).
    freq : int
        Sampling interval of the curve (100).
    finish : bool
        Extend a short run flat to ``budget`` (False: the AUC so far, as logged mid-run).

    Returns
    -------
    float
        In [0, 1] for scores in [0, 1]; 0 for no scores.

    Raises
    ------
    ValueError
        For non-positive ``k``, ``budget`` or ``freq``, or scores that are not 1-D.

    Examples
    --------
    >>> round(pmo_auc([1.0] * 100, k=1, budget=100, freq=10), 3)  # trapezoid from (0, 0)
    0.95
    >>> round(pmo_auc([1.0] * 50, k=1, budget=100, freq=10), 3)  # stopped at 50: flat to 100
    0.95
    """
    arr = _scores(scores)
    k, budget, freq = _check_positive("k", k), _check_positive("budget", budget), _check_positive("freq", freq)
    if arr.size == 0:
        return 0.0
    area, previous, called = 0.0, 0.0, 0
    for n in range(freq, min(arr.size, budget), freq):
        current = _top_mean(arr[:n], k)
        area += freq * (current + previous) / 2
        previous, called = current, n
    current = _top_mean(arr, k)
    area += (arr.size - called) * (current + previous) / 2
    if finish and arr.size < budget:
        area += (budget - arr.size) * current
    return float(area / budget)


def pmo_log(scores, *, budget: int = PMO_BUDGET, freq: int = PMO_FREQ) -> pd.DataFrame:
    """What PMO logs every ``freq`` calls: the top-1/10/100 means and AUCs so far.

    Returns
    -------
    pandas.DataFrame
        One row per ``freq`` calls made (and one for the last call, if it is not a multiple):
        ``calls``, ``top1``, ``top10``, ``top100``, ``auc_top1``, ``auc_top10``,
        ``auc_top100`` (each AUC as logged at that point, without the flat extension).
    """
    arr = _scores(scores)[: _check_positive("budget", budget)]
    freq = _check_positive("freq", freq)
    points = list(range(freq, arr.size + 1, freq))
    if arr.size and (not points or points[-1] != arr.size):
        points.append(arr.size)
    rows = []
    for n in points:
        part = arr[:n]
        row = {"calls": n}
        row.update({f"top{k}": _top_mean(part, k) for k in (1, 10, 100)})
        row.update({f"auc_top{k}": pmo_auc(part, k, budget=budget, freq=freq, finish=False) for k in (1, 10, 100)})
        rows.append(row)
    return pd.DataFrame(rows, columns=["calls", "top1", "top10", "top100", "auc_top1", "auc_top10", "auc_top100"])


def pmo_metrics(scores, *, budget: int = PMO_BUDGET, freq: int = PMO_FREQ) -> dict:
    """PMO's final figures of a run: AUC top-1/10/100 (extended to ``budget``) and top-1/10/100 means.

    Only the first ``budget`` scores count.
    """
    arr = _scores(scores)[: _check_positive("budget", budget)]
    out = {"calls": int(arr.size)}
    for k in (1, 10, 100):
        out[f"auc_top{k}"] = pmo_auc(arr, k, budget=budget, freq=freq, finish=True)
    for k in (1, 10, 100):
        out[f"top{k}"] = _top_mean(arr, k) if arr.size else 0.0
    return out


def oracle_scorer(oracle: str) -> Scorer:
    """A one-objective :class:`~molgen.scoring.Scorer` for oracle ``oracle`` (score = oracle value).

    ``oracle`` is a name of :data:`molgen.scoring.oracles.ORACLES`. For a PMO task, use the
    oracle that :data:`PMO_TASKS` maps it to: the task and oracle names differ for the four
    isomer tasks (``zaleplon_mpo`` is the fixed count, ``zaleplon_mpo_prev`` PMO's).

    Raises
    ------
    ValueError
        For an unknown name, listing the valid ones.
    """
    if not isinstance(oracle, str) or oracle not in ORACLES:
        ORACLES.get(str(oracle))  # raises, listing the choices
    return Scorer([Objective(oracle, "oracle", params={"oracle": oracle})])


class BudgetSpentError(RuntimeError):
    """Raised by a :class:`PMOOracle` with ``stop=True`` when it is called after its budget is spent."""


class PMOOracle:
    """A budgeted, caching, counting oracle in PMO's accounting, for any optimizer.

    Call it with a list of SMILES; it returns one float per SMILES, as mol_opt's oracle does:
    0.0 for an invalid SMILES (free), the cached score for a repeat (free), a new score for a
    new valid molecule (one call), and 0.0 for new molecules once ``budget`` calls are made.
    Counting and caching are molgen's :class:`~molgen.generate.optimize.Oracle`. Every
    ``freq`` calls it logs (``logging``, this module's logger, level INFO) the top-10 mean and
    the AUC top-10 so far.

    Parameters
    ----------
    oracle : str or Scorer
        An oracle name (see :func:`oracle_scorer`), or any scorer.
    budget : int
    freq : int
    stop : bool
        Raise :class:`BudgetSpentError` when called after the budget is spent, to stop an
        optimizer that has no budget of its own (the call that spends the budget returns).

    Raises
    ------
    ValueError
        For an unknown oracle name or a non-positive budget.

    Examples
    --------
    >>> f = PMOOracle("qed", budget=2)
    >>> [round(s, 3) for s in f(["CCO", "OCC", "bad", "c1ccccc1", "CCN"])]
    [0.407, 0.407, 0.0, 0.443, 0.0]
    >>> f.n_calls, f.finished
    (2, True)
    """

    def __init__(self, oracle, budget: int = PMO_BUDGET, *, freq: int = PMO_FREQ, stop: bool = False):
        scorer = oracle_scorer(oracle) if isinstance(oracle, str) else oracle
        self.name = oracle if isinstance(oracle, str) else type(oracle).__name__
        self.budget = _check_positive("budget", budget)
        self.freq = _check_positive("freq", freq)
        self.stop = bool(stop)
        self.oracle_ = Oracle(scorer, self.budget)
        self._logged = 0

    @property
    def n_calls(self) -> int:
        """New valid molecules scored so far."""
        return self.oracle_.n_calls

    @property
    def finished(self) -> bool:
        """True once ``budget`` calls are made."""
        return self.oracle_.exhausted

    def __call__(self, smiles: Iterable[str] | str) -> list[float]:
        if self.stop and self.finished:
            raise BudgetSpentError(f"{self.name}: the budget of {self.budget} oracle calls is spent")
        table = self.oracle_.score(smiles)
        self._log()
        return np.nan_to_num(table["score"].to_numpy(dtype=float), nan=0.0).tolist()

    def _log(self) -> None:
        while self._logged + self.freq <= self.n_calls:
            self._logged += self.freq
            part = self.scores()[: self._logged]
            logger.info(
                "%s: %d/%d calls, top-10 %.3f, AUC top-10 %.3f",
                self.name,
                self._logged,
                self.budget,
                _top_mean(_scores(part), 10),
                pmo_auc(part, 10, budget=self.budget, freq=self.freq, finish=False),
            )

    def scores(self) -> np.ndarray:
        """Scores in call order (NaN where the scorer failed)."""
        return self.oracle_.history()["score"].to_numpy(dtype=float)

    def history(self) -> pd.DataFrame:
        """Every scored molecule in call order (see :meth:`molgen.generate.optimize.Oracle.history`)."""
        return self.oracle_.history()

    def auc(self, k: int = 10) -> float:
        """AUC top-``k`` of the run so far, extended flat to the budget (PMO's final figure)."""
        return pmo_auc(self.scores(), k, budget=self.budget, freq=self.freq, finish=True)

    def log(self) -> pd.DataFrame:
        """The every-``freq``-calls log of :func:`pmo_log`."""
        return pmo_log(self.scores(), budget=self.budget, freq=self.freq)

    def metrics(self) -> dict:
        """:func:`pmo_metrics` of the run so far."""
        return pmo_metrics(self.scores(), budget=self.budget, freq=self.freq)

    def __repr__(self) -> str:
        return f"PMOOracle({self.name!r}, calls={self.n_calls}, budget={self.budget})"

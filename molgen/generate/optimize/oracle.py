"""A counting, caching, budget-enforcing wrapper around a :class:`~molgen.scoring.Scorer`."""

from collections.abc import Iterable

import numpy as np
import pandas as pd
from rdkit import Chem

from molgen.chem import parse_smiles_batch
from molgen.utils.quiet import rdkit_quiet

#: State of a valid molecule that was not scored because the budget was spent.
BUDGET_EXHAUSTED = "budget_exhausted"
#: Columns every history table starts with; the scorer's own columns follow.
HISTORY_COLUMNS = ("call", "smiles", "score", "state", "error", "stage", "step")


class Oracle:
    """Score molecules through a scorer, counting every distinct molecule scored.

    Molecules are keyed by RDKit canonical SMILES: a molecule is scored once and later
    requests are answered from the cache without counting. Invalid SMILES are never
    sent to the scorer and do not count (as in the PMO benchmark). Once ``budget``
    distinct molecules have been scored, new molecules get NaN with state
    ``"budget_exhausted"``; within a batch new molecules are scored in input order
    until the budget is spent, so the count is exact.

    Parameters
    ----------
    scorer : callable
        A :class:`~molgen.scoring.Scorer` (anything with ``score(smiles) -> DataFrame``
        holding ``smiles``, ``state``, ``error``, ``score`` and component columns, or a
        plain ``f(smiles) -> array`` of scores).
    budget : int or None
        Maximum number of distinct molecules to score (``None``: unlimited).
    stage : str
        Label written to the ``stage`` column of the history.

    Attributes
    ----------
    n_calls : int
        Distinct molecules scored so far (the scorer-call count of PMO).
    n_requests : int
        Valid molecules asked for, cache hits included.
    step : int
        Set by the optimizer before each request; written to the history.

    Raises
    ------
    ValueError
        For a budget that is not a positive int or ``None``.

    Examples
    --------
    >>> from molgen.scoring import Objective, Scorer
    >>> oracle = Oracle(Scorer([Objective("qed", "qed")]), budget=2)
    >>> scores = oracle(["CCO", "OCC", "c1ccccc1", "CCN", "bad"])
    >>> oracle.n_calls, [round(s, 3) if s == s else None for s in scores]
    (2, [0.407, 0.407, 0.443, None, None])
    """

    def __init__(self, scorer, budget: int | None = None, *, stage: str = ""):
        if budget is not None and (isinstance(budget, bool) or not isinstance(budget, (int, np.integer)) or budget < 1):
            raise ValueError(f"budget must be a positive int or None, got {budget!r}")
        if not (callable(getattr(scorer, "score", None)) or callable(scorer)):
            raise ValueError(f"scorer must have score(smiles) or be callable, got {type(scorer).__name__}")
        self.scorer = scorer
        self.budget = None if budget is None else int(budget)
        self.stage = stage
        self.step = 0
        self.n_requests = 0
        self._rows: list[dict] = []
        self._index: dict[str, int] = {}

    # ------------------------------------------------------------------ counting
    @property
    def n_calls(self) -> int:
        return len(self._rows)

    @property
    def remaining(self) -> int | None:
        return None if self.budget is None else self.budget - self.n_calls

    @property
    def exhausted(self) -> bool:
        return self.budget is not None and self.n_calls >= self.budget

    # ------------------------------------------------------------------ scoring
    def __call__(self, smiles: Iterable[str]) -> np.ndarray:
        """Scores aligned with ``smiles``: NaN for invalid, failed or unscored molecules."""
        return self.score(smiles)["score"].to_numpy(dtype=float)

    def score(self, smiles: Iterable[str]) -> pd.DataFrame:
        """Score a batch; returns one row per input.

        Returns
        -------
        pandas.DataFrame
            ``input`` (the string given), ``smiles`` (canonical, ``""`` when invalid),
            ``score``, ``state`` (parse state, the scorer's state, or
            ``"budget_exhausted"``), ``error`` and ``new`` (scored by this request).
        """
        inputs = [smiles] if isinstance(smiles, str) else list(smiles)
        parsed = parse_smiles_batch(inputs)
        keys = [""] * len(inputs)
        with rdkit_quiet():
            for i, mol in enumerate(parsed.mols):
                if mol is not None:
                    keys[i] = Chem.MolToSmiles(mol)
        fresh = []
        for key in keys:
            if key and key not in self._index and key not in fresh:
                fresh.append(key)
        if self.remaining is not None:
            fresh = fresh[: max(self.remaining, 0)]
        if fresh:
            self._record(fresh)
        score = np.full(len(inputs), np.nan)
        states, errors, new = list(parsed.states), list(parsed.errors), [False] * len(inputs)
        fresh_set = set(fresh)
        for i, key in enumerate(keys):
            if not key:
                continue
            self.n_requests += 1
            j = self._index.get(key)
            if j is None:
                states[i], errors[i] = BUDGET_EXHAUSTED, f"scorer budget of {self.budget} molecules spent"
                continue
            row = self._rows[j]
            score[i], states[i], errors[i] = row["score"], row["state"], row["error"]
            new[i] = key in fresh_set
        return pd.DataFrame({"input": inputs, "smiles": keys, "score": score, "state": states, "error": errors, "new": new})

    def _record(self, smiles: list[str]) -> None:
        if callable(getattr(self.scorer, "score", None)):
            table = self.scorer.score(smiles)
        else:
            values = np.asarray(self.scorer(smiles), dtype=float)
            table = pd.DataFrame({"score": values, "state": "valid", "error": ""})
            table.loc[np.isnan(values), ["state", "error"]] = ["scoring_failed", "scorer returned NaN"]
        if len(table) != len(smiles):
            raise ValueError(f"scorer returned {len(table)} rows for {len(smiles)} SMILES")
        extra = [c for c in table.columns if c not in HISTORY_COLUMNS]
        records = table.to_dict("records")
        for key, rec in zip(smiles, records):
            row = {
                "call": len(self._rows) + 1,
                "smiles": key,
                "score": float(rec["score"]) if rec["score"] is not None else np.nan,
                "state": str(rec.get("state", "valid")),
                "error": "" if pd.isna(rec.get("error", "")) else str(rec.get("error", "")),
                "stage": self.stage,
                "step": int(self.step),
            }
            row.update({c: rec[c] for c in extra})
            self._index[key] = len(self._rows)
            self._rows.append(row)

    # ------------------------------------------------------------------ history
    def history(self) -> pd.DataFrame:
        """Every scored molecule in call order: ``call``, ``smiles``, ``score``, ``state``,
        ``error``, ``stage``, ``step``, then the scorer's component columns."""
        if not self._rows:
            return pd.DataFrame({c: pd.Series(dtype=float if c in ("score",) else object) for c in HISTORY_COLUMNS})
        return pd.DataFrame(self._rows)

    def lookup(self, smiles: str) -> float:
        """Cached score of a canonical SMILES (NaN when not scored)."""
        j = self._index.get(smiles)
        return np.nan if j is None else self._rows[j]["score"]

    def load_history(self, frame: pd.DataFrame) -> "Oracle":
        """Restore the cache and the count from a :meth:`history` table (for resuming)."""
        missing = [c for c in HISTORY_COLUMNS if c not in frame.columns]
        if missing:
            raise ValueError(f"history table lacks columns {missing}")
        self._rows, self._index = [], {}
        for rec in frame.to_dict("records"):
            rec["error"] = "" if pd.isna(rec["error"]) else str(rec["error"])
            rec["stage"] = "" if pd.isna(rec["stage"]) else str(rec["stage"])
            self._index[rec["smiles"]] = len(self._rows)
            self._rows.append(rec)
        return self

    def __repr__(self) -> str:
        return f"Oracle(calls={self.n_calls}, budget={self.budget}, stage={self.stage!r})"

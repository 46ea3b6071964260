"""Free-Wilson analysis: activity as a sum of per-substituent contributions (Free & Wilson 1964).

Fitted on the R-group table of :func:`molgen.sar.decompose`: one indicator column per
substituent at each position (the core included, for series with several core forms), ridge
regression with an unpenalized intercept, closed-form leave-one-out errors, confidence
intervals from the regression covariance, and the untested combinations predicted best.
"""

import heapq
import logging
import numbers
from collections.abc import Iterator

import numpy as np
import pandas as pd
from scipy import stats

from molgen.metrics.regression import regression_metrics
from molgen.sar.decompose import CORE_COL, assemble, attachment_positions, position_columns

__all__ = ["FreeWilson"]

log = logging.getLogger(__name__)


class FreeWilson:
    """Free-Wilson model: ``y = intercept + sum of the contributions of a molecule's substituents``.

    Each (position, substituent) pair seen in the data is an indicator column; an empty cell
    (no substituent there) adds nothing. The contributions are fitted by ridge regression
    with an unpenalized intercept, as in RDKit's Contrib Free-Wilson (scikit-learn's
    ``Ridge(alpha=1.0)``): the indicators of one position always sum to one, so plain least
    squares has no unique solution, and a substituent seen once would otherwise absorb its
    molecule's whole residual. Contributions are relative to the series mean, not to a
    reference substituent.

    Parameters
    ----------
    alpha : float
        Ridge penalty on the contributions, > 0.
    confidence : float
        Level of the confidence intervals, in (0, 1).

    Attributes
    ----------
    contributions_ : pandas.DataFrame
        One row per substituent: ``position``, ``substituent``, ``n`` (training molecules
        carrying it), ``contribution``, ``std_error``, ``lower`` and ``upper`` (the interval at
        ``confidence``). Intervals come from the ridge estimate's covariance
        ``sigma^2 A^-1 Z'Z A^-1`` (``A = Z'Z + alpha I``, ``sigma^2`` the residual variance
        over ``n - trace(H)`` degrees of freedom) with Student-t quantiles. They leave out
        the ridge's shrinkage bias, which pulls rare substituents towards zero: read them
        with ``n``.
    intercept_ : float
    features_ : list of (str, str)
        The ``(position, substituent)`` of each indicator column.
    coef_ : numpy.ndarray of shape (n_features,)
        Their contributions (as in ``contributions_``).
    cov_ : numpy.ndarray of shape (n_features + 1, n_features + 1)
        Covariance of ``(intercept_, *coef_)``.
    r2_, rmse_ : float
        Fit to the training molecules.
    loo_rmse_, loo_r2_ : float
        Leave-one-out RMSE and R² (q²), exact for this linear model (``e_i / (1 - h_ii)``).
    loo_predictions_ : numpy.ndarray
        Aligned with the rows given to :meth:`fit`; NaN for rows not fitted.
    n_samples_ : int
        Training molecules: valid rows of the table with a finite target.
    positions_ : list of str
        ``core``, ``R1``, ...
    sigma_ : float
        Residual standard deviation (NaN without residual degrees of freedom).
    quantile_ : float
        The Student-t quantile the intervals use.

    Examples
    --------
    >>> from molgen.sar import decompose
    >>> smiles = ["Oc1ccc(C)cc1", "Oc1ccc(Cl)cc1", "Nc1ccc(C)cc1", "Nc1ccc(Cl)cc1", "Nc1ccc(Br)cc1"]
    >>> table = decompose(smiles, core="[*:1]c1ccc([*:2])cc1")
    >>> model = FreeWilson(alpha=1e-6).fit(table, [5.0, 6.0, 5.5, 6.5, 7.0])
    >>> round(float(model.predict(table)[0]), 3), model.n_samples_
    (5.0, 5)
    """

    def __init__(self, *, alpha: float = 1.0, confidence: float = 0.95):
        self.alpha = alpha
        self.confidence = confidence

    def fit(self, table: pd.DataFrame, y) -> "FreeWilson":
        """Fit the contributions to the valid rows of ``table`` that have a finite ``y``.

        Parameters
        ----------
        table : pandas.DataFrame
            An R-group table from :func:`molgen.sar.decompose` (columns ``core``, ``R1``, ...,
            ``state``). Rows whose ``state`` is not ``"valid"`` are left out.
        y : array-like of shape (n_rows,)
            Targets aligned with ``table`` by position; NaN marks a missing value (row left out).

        Returns
        -------
        FreeWilson
            ``self``.

        Raises
        ------
        ValueError
            ``alpha`` not > 0, ``confidence`` not in (0, 1), ``table`` without a ``core``
            column, lengths that differ, or fewer than two rows to fit.
        """
        if isinstance(self.alpha, bool) or not (isinstance(self.alpha, numbers.Real) and self.alpha > 0):
            raise ValueError(
                f"alpha must be > 0, got {self.alpha!r}: each position's indicators sum to the intercept column, "
                "so least squares without a penalty has no unique solution"
            )
        if not 0 < self.confidence < 1:
            raise ValueError(f"confidence must be in (0, 1), got {self.confidence!r}")
        positions = _positions(table)
        target = np.asarray(y.to_numpy() if isinstance(y, pd.Series) else y, dtype=float)
        if target.ndim != 1 or len(target) != len(table):
            raise ValueError(f"y must be 1-D with one value per table row ({len(table)}), got shape {target.shape}")
        rows = _valid_rows(table) & np.isfinite(target)
        if rows.sum() < 2:
            raise ValueError(f"a Free-Wilson fit needs at least 2 decomposed molecules with a target value, got {int(rows.sum())}")
        cells = table.loc[rows, positions].fillna("").astype(str).to_numpy(dtype=object)
        features: dict[tuple[str, str], int] = {}
        for row in cells:
            for position, value in zip(positions, row, strict=True):
                if value:
                    features.setdefault((position, value), len(features))
        design = np.zeros((len(cells), len(features) + 1))
        design[:, 0] = 1.0
        for i, row in enumerate(cells):
            for position, value in zip(positions, row, strict=True):
                if value:
                    design[i, features[(position, value)] + 1] = 1.0
        values = target[rows]
        gram = design.T @ design
        penalty = np.full(len(gram), float(self.alpha))
        penalty[0] = 0.0  # the intercept is not penalized
        inverse = np.linalg.inv(gram + np.diag(penalty))
        beta = inverse @ (design.T @ values)
        fitted = design @ beta
        leverage = np.einsum("ij,jk,ik->i", design, inverse, design)
        loo = values - (values - fitted) / (1.0 - leverage)
        dof = len(values) - float(leverage.sum())
        sigma2 = float(((values - fitted) ** 2).sum() / dof) if dof > 0 else float("nan")
        self.cov_ = sigma2 * inverse @ gram @ inverse
        self.quantile_ = float(stats.t.ppf(0.5 + self.confidence / 2, dof)) if dof > 0 else float("nan")
        self.positions_ = positions
        self.features_ = list(features)
        self.intercept_ = float(beta[0])
        self.coef_ = beta[1:]
        self.counts_ = design[:, 1:].sum(axis=0).astype(int)
        self.sigma_ = float(np.sqrt(sigma2))
        self.dof_ = dof
        self.n_samples_ = int(rows.sum())
        fit, cross = regression_metrics(values, fitted), regression_metrics(values, loo)
        self.r2_, self.rmse_ = fit["r2"], fit["rmse"]
        self.loo_r2_, self.loo_rmse_ = cross["r2"], cross["rmse"]
        self.loo_predictions_ = np.full(len(table), np.nan)
        self.loo_predictions_[rows] = loo
        self.contributions_ = self._contributions()
        self.tested_ = {tuple(row) for row in cells}
        self.tested_smiles_ = set()
        for row in cells:
            try:
                self.tested_smiles_.add(assemble(row[0], row[1:]))
            except ValueError:
                pass  # a training molecule that does not re-join is still excluded by its R groups
        return self

    def _contributions(self) -> pd.DataFrame:
        std_error = np.sqrt(np.clip(np.diag(self.cov_)[1:], 0.0, None))
        frame = pd.DataFrame(
            {
                "position": [p for p, _ in self.features_],
                "substituent": [s for _, s in self.features_],
                "n": self.counts_,
                "contribution": self.coef_,
                "std_error": std_error,
                "lower": self.coef_ - self.quantile_ * std_error,
                "upper": self.coef_ + self.quantile_ * std_error,
            }
        )
        order = {p: i for i, p in enumerate(self.positions_)}
        frame["_order"] = frame["position"].map(order)
        return (
            frame.sort_values(["_order", "contribution"], ascending=[True, False], kind="stable")
            .drop(columns="_order")
            .reset_index(drop=True)
        )

    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise ValueError("this FreeWilson model is not fitted yet; call fit(table, y) first")

    def predict(self, table: pd.DataFrame) -> np.ndarray:
        """Predictions for the rows of an R-group table.

        Parameters
        ----------
        table : pandas.DataFrame
            From :func:`molgen.sar.decompose`, with the fitted model's positions (others are
            ignored).

        Returns
        -------
        numpy.ndarray of shape (n_rows,)
            NaN for a row that is not valid or carries a substituent the model has not seen
            (its contribution is unknown).

        Raises
        ------
        ValueError
            Not fitted, or ``table`` has no ``core`` column.
        """
        self._check_fitted()
        _positions(table)
        contribution = {feature: c for feature, c in zip(self.features_, self.coef_, strict=True)}
        columns = [p for p in self.positions_ if p in table.columns]
        out = np.full(len(table), np.nan)
        valid = _valid_rows(table)
        for i, row in enumerate(table[columns].fillna("").astype(str).to_numpy(dtype=object)):
            if not valid[i]:
                continue
            parts = [contribution.get((p, v)) for p, v in zip(columns, row, strict=True) if v]
            if None not in parts:
                out[i] = self.intercept_ + sum(parts)
        return out

    def untested(self, top: int = 20, *, maximize: bool = True, min_count: int = 1, max_evaluated: int = 100_000) -> pd.DataFrame:
        """The combinations of seen substituents predicted best that are not in the training data.

        For each core form, every attachment point takes any substituent seen at that
        position. Because the model is additive, the combinations are visited best first
        (a best-first search over each position's substituents sorted by contribution), so
        the top ones are found without enumerating the whole product, which for a real
        series runs to millions. Combinations present in the data (by R groups or by the
        joined molecule) and combinations that do not join into a valid molecule are skipped.

        Parameters
        ----------
        top : int
            Rows to return.
        maximize : bool
            ``True`` when a higher target is better (pIC50); ``False`` for IC50-like targets.
        min_count : int
            Use only substituents seen in at least this many training molecules (a rare
            substituent's contribution is the least certain).
        max_evaluated : int
            Stop after visiting this many combinations (a warning is logged), so that a
            series whose best combinations are all tested or unjoinable cannot run long.

        Returns
        -------
        pandas.DataFrame
            Best first: ``smiles`` (the joined molecule), ``prediction``, ``lower`` and
            ``upper`` (confidence interval of the predicted mean at ``confidence``), ``min_n``
            (training molecules carrying its rarest substituent), then the position columns.
            Fewer than ``top`` rows when fewer untested combinations exist.

        Raises
        ------
        ValueError
            Not fitted, or ``top``, ``min_count`` or ``max_evaluated`` < 1.
        """
        self._check_fitted()
        for name, value in (("top", top), ("min_count", min_count), ("max_evaluated", max_evaluated)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        sign = 1.0 if maximize else -1.0
        choices: dict[str, list[int]] = {p: [] for p in self.positions_}
        for j, (position, _) in enumerate(self.features_):
            if position != CORE_COL and self.counts_[j] >= min_count:
                choices[position].append(j)
        for position in choices:
            choices[position].sort(key=lambda j: -sign * self.coef_[j])
        searches = []
        for j, (position, core) in enumerate(self.features_):
            if position != CORE_COL:
                continue
            slots = [p for p in attachment_positions(core) if p in choices]
            options = [choices[p] for p in slots]
            if all(options):
                searches.append(self._best_first(j, slots, options, sign))
        records, seen, evaluated = [], set(), 0
        for _, core_index, slots, picked in heapq.merge(*searches):
            evaluated += 1
            if evaluated > max_evaluated:
                log.warning("stopped after %d combinations with %d of %d untested ones found", max_evaluated, len(records), top)
                break
            groups = dict(zip(slots, (self.features_[j][1] for j in picked), strict=True))
            core = self.features_[core_index][1]
            cells = [core, *(groups.get(p, "") for p in self.positions_[1:])]
            if tuple(cells) in self.tested_:
                continue
            try:
                smiles = assemble(core, list(groups.values()))
            except ValueError:
                continue
            if smiles in self.tested_smiles_ or smiles in seen:
                continue
            seen.add(smiles)
            records.append(self._record(smiles, [core_index, *picked], cells))
            if len(records) == top:
                break
        columns = ["smiles", "prediction", "lower", "upper", "min_n", *self.positions_]
        return pd.DataFrame(records, columns=columns)

    def _best_first(self, core_index: int, slots: list, options: list[list[int]], sign: float) -> Iterator[tuple]:
        """``(sort key, core, slots, picked features)``, best combination first, for one core form."""
        base = self.coef_[core_index]

        def key(state: tuple) -> float:
            return -sign * (base + sum(self.coef_[options[k][i]] for k, i in enumerate(state)))

        start = (0,) * len(options)
        heap, visited = [(key(start), start)], {start}
        while heap:
            score, state = heapq.heappop(heap)
            yield score, core_index, slots, [options[k][i] for k, i in enumerate(state)]
            for k in range(len(state)):
                if state[k] + 1 < len(options[k]):
                    step = state[:k] + (state[k] + 1,) + state[k + 1 :]
                    if step not in visited:
                        visited.add(step)
                        heapq.heappush(heap, (key(step), step))

    def _record(self, smiles: str, picked: list[int], cells: list[str]) -> list:
        x = np.zeros(len(self.coef_) + 1)
        x[0] = 1.0
        x[[j + 1 for j in picked]] = 1.0
        prediction = self.intercept_ + float(self.coef_[picked].sum())
        half = self.quantile_ * float(np.sqrt(max(x @ self.cov_ @ x, 0.0)))
        rarest = int(self.counts_[picked[1:]].min()) if len(picked) > 1 else int(self.counts_[picked[0]])
        return [smiles, prediction, prediction - half, prediction + half, rarest, *cells]


def _positions(table) -> list[str]:
    if not isinstance(table, pd.DataFrame) or CORE_COL not in table.columns:
        raise ValueError("expected an R-group table from molgen.sar.decompose (a DataFrame with columns core, R1, ...)")
    return position_columns(table.columns)


def _valid_rows(table: pd.DataFrame) -> np.ndarray:
    """Rows with a core, and state ``"valid"`` where the table has a state column."""
    has_core = table[CORE_COL].fillna("").astype(str).str.len().to_numpy() > 0
    if "state" not in table.columns:
        return has_core
    return has_core & (table["state"] == "valid").to_numpy()

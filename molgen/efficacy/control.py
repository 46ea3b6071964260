"""A control model: an independent check on the predictions an optimizer was steered by.

An optimizer that maximizes one model's prediction can find that model's blind spots instead of
potent molecules (Renz et al. 2019, "On failure modes in molecule generation and optimization").
A second model with a different representation, fitted on the same measurements, shows it: where
the optimized model is far more optimistic than the control, the optimizer ran away from the data.

:class:`ControlModel` is a scikit-learn random forest (500 trees) on Morgan count fingerprints
(radius 2, 2048 bits), nothing shared with the efficacy model but the data. It is cheap to refit
(seconds) and is not saved. :func:`control_summary` compares the two models on a ranked list.
"""

from collections.abc import Sequence

import numpy as np
import pandas as pd

from molgen.chem.states import MolState
from molgen.featurize.fingerprints import morgan_fingerprints

__all__ = ["ControlModel", "control_summary"]

#: State of a training row whose label is missing (NaN or not a number).
MISSING_LABEL = "missing_label"


class ControlModel:
    """A random forest regressor on Morgan count fingerprints.

    Parameters
    ----------
    n_estimators : int
        Trees in the forest.
    radius, n_bits : int
        Morgan fingerprint radius and length (counts, folded).
    max_features : float, int or str
        Features tried at each split, as for ``sklearn.ensemble.RandomForestRegressor``
        (``1.0``, its default for regression: all of them).
    random_state : int or None
        Seeds the bootstrap and the feature draws; with it the trees are the same for any
        ``n_jobs``.
    n_jobs : int or None
        Parallel jobs for fitting and predicting (``-1``: every CPU; ``None``: one).

    Attributes
    ----------
    forest_ : sklearn.ensemble.RandomForestRegressor
        The fitted forest.
    n_train_ : int
        Training rows used.
    train_states_ : list of str
        Per training row: ``"valid"``, a :class:`molgen.chem.MolState` value for a molecule that
        could not be fingerprinted, or ``"missing_label"``; only ``"valid"`` rows were used.

    Examples
    --------
    >>> control = ControlModel(n_estimators=10).fit(["CCO", "CCN", "CCC", "CCCl"], [1.0, 2.0, 3.0, 4.0])
    >>> control.predict(["CCO", "oops"])["state"].tolist()
    ['valid', 'sanitization_error']
    """

    def __init__(
        self,
        *,
        n_estimators: int = 500,
        radius: int = 2,
        n_bits: int = 2048,
        max_features: float | int | str = 1.0,
        random_state: int | None = 0,
        n_jobs: int | None = None,
    ):
        self.n_estimators = n_estimators
        self.radius = radius
        self.n_bits = n_bits
        self.max_features = max_features
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _features(self, smiles: Sequence[str]):
        batch = morgan_fingerprints(list(smiles), radius=self.radius, n_bits=self.n_bits, counts=True)
        return batch.array.astype(np.float32), batch

    def fit(self, smiles: Sequence[str], y) -> "ControlModel":
        """Fit the forest on the molecules that can be fingerprinted and have a label.

        Parameters
        ----------
        smiles : sequence of str
            Training molecules; invalid ones are skipped (and counted in :attr:`train_states_`).
        y : array-like of float, shape ``n``
            Measured values; NaN rows are skipped.

        Returns
        -------
        ControlModel
            ``self``.

        Raises
        ------
        ValueError
            If ``y`` is not one number per molecule, or fewer than two rows are usable.
        """
        from sklearn.ensemble import RandomForestRegressor

        smiles = list(smiles)
        try:
            values = np.asarray(pd.to_numeric(pd.Series(y, dtype=object), errors="coerce"), dtype=float)
        except (TypeError, ValueError) as err:
            raise ValueError(f"y must be one number per molecule: {err}") from None
        if values.ndim != 1 or len(values) != len(smiles):
            raise ValueError(f"y must be one number per molecule: {values.shape} values for {len(smiles)} molecules")
        X, batch = self._features(smiles)
        labelled = np.isfinite(values)
        states = [s if s != MolState.VALID.value or ok else MISSING_LABEL for s, ok in zip(batch.states, labelled)]
        rows = np.flatnonzero([s == MolState.VALID.value for s in states])
        if len(rows) < 2:
            raise ValueError(f"a control model needs at least two valid, labelled molecules; got {len(rows)} of {len(smiles)}")
        self.forest_ = RandomForestRegressor(
            n_estimators=self.n_estimators, max_features=self.max_features, random_state=self.random_state, n_jobs=self.n_jobs
        ).fit(X[rows], values[rows])
        self.n_train_ = int(len(rows))
        self.train_states_ = states
        return self

    def predict(self, smiles: Sequence[str]) -> pd.DataFrame:
        """Predict molecules, row for row.

        Parameters
        ----------
        smiles : sequence of str

        Returns
        -------
        pandas.DataFrame
            One row per input: ``smiles`` (as given), ``prediction`` (NaN where the molecule
            could not be fingerprinted), ``state`` and ``error``.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before :meth:`fit` (a ``ValueError``).
        """
        if not hasattr(self, "forest_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("this ControlModel is not fitted yet; call fit() first")
        smiles = list(smiles)
        X, batch = self._features(smiles)
        prediction = np.full(len(smiles), np.nan)
        ok = batch.valid_mask
        if ok.any():
            prediction[ok] = self.forest_.predict(X[ok])
        return pd.DataFrame({"smiles": smiles, "prediction": prediction, "state": batch.states, "error": batch.errors})


def control_summary(prediction, control, series, *, top_n: int = 100) -> dict:
    """Compare the optimized model and the control on the first ``top_n`` rows of a ranked list.

    Parameters
    ----------
    prediction, control : array-like of float, shape ``n``
        The optimized model's and the control's predictions, best-ranked first.
    series : array-like of float
        The measured values of the series both models were fitted on.
    top_n : int
        Rows compared.

    Returns
    -------
    dict
        ``top_n``; ``compared`` (rows among them where both predictions are finite);
        ``molgen_mean`` and ``control_mean`` (their means over those rows, NaN if none);
        ``gap`` (``molgen_mean - control_mean``: large and positive when the optimizer exploited
        the model); ``series_mean`` (of the finite measured values, NaN if none).

    Raises
    ------
    ValueError
        If ``prediction`` and ``control`` differ in length or ``top_n`` is not positive.
    """
    prediction = np.asarray(prediction, dtype=float).ravel()
    control = np.asarray(control, dtype=float).ravel()
    if len(prediction) != len(control):
        raise ValueError(f"prediction has {len(prediction)} rows but control has {len(control)}")
    if isinstance(top_n, bool) or not isinstance(top_n, (int, np.integer)) or top_n < 1:
        raise ValueError(f"top_n must be a positive int, got {top_n!r}")
    p, c = prediction[:top_n], control[:top_n]
    both = np.isfinite(p) & np.isfinite(c)
    series = np.asarray(series, dtype=float).ravel()
    series = series[np.isfinite(series)]
    molgen_mean = float(p[both].mean()) if both.any() else float("nan")
    control_mean = float(c[both].mean()) if both.any() else float("nan")
    return {
        "top_n": int(top_n),
        "compared": int(both.sum()),
        "molgen_mean": molgen_mean,
        "control_mean": control_mean,
        "gap": molgen_mean - control_mean,
        "series_mean": float(series.mean()) if len(series) else float("nan"),
    }

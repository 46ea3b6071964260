"""Free-Wilson: recovers exact additive contributions, exact leave-one-out, ranks untested combinations."""

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem
from sklearn.linear_model import Ridge

from molgen.sar import FreeWilson, decompose
from tests.sar.conftest import BASE, CORE, LEFT_OUT, R1, R2, series_smiles


@pytest.fixture(scope="module")
def table(additive_series):
    return decompose(additive_series["smiles"], core=CORE)


def _label(template_value: str, n: int) -> str:
    """The R-group SMILES decompose() gives for a substituent written into the template."""
    return "[H][*:1]" if not template_value else Chem.CanonSmiles(f"{template_value}[*:{n}]")


def test_recovers_exact_additive_contributions(additive_series, table):
    model = FreeWilson(alpha=1e-8).fit(table, additive_series["pIC50"])
    got = {(r.position, r.substituent): r.contribution for r in model.contributions_.itertuples()}
    # contributions of one position are fixed up to a shared constant; the ridge picks the one centred on zero
    for position, truth, n in (("R1", R1, 1), ("R2", R2, 2)):
        mean = np.mean(list(truth.values()))
        for value, contribution in truth.items():
            assert got[(position, _label(value, n))] == pytest.approx(contribution - mean, abs=1e-5)
    assert got[("core", table["core"].iloc[0])] == pytest.approx(0.0, abs=1e-6)
    assert model.intercept_ == pytest.approx(BASE + np.mean(list(R1.values())) + np.mean(list(R2.values())), abs=1e-5)
    assert model.predict(table) == pytest.approx(additive_series["pIC50"].to_numpy(), abs=1e-5)
    assert model.r2_ == pytest.approx(1.0) and model.loo_rmse_ < 1e-4
    assert model.n_samples_ == len(additive_series)
    assert set(model.contributions_.columns) == {"position", "substituent", "n", "contribution", "std_error", "lower", "upper"}
    assert (model.contributions_["lower"] <= model.contributions_["contribution"] + 1e-12).all()


def test_untested_combinations_are_the_left_out_ones_best_first(additive_series, table):
    model = FreeWilson(alpha=1e-8).fit(table, additive_series["pIC50"])
    untested = model.untested(top=10)
    truth = {series_smiles(r1, r2): BASE + R1[r1] + R2[r2] for r1, r2 in LEFT_OUT}
    assert len(untested) == len(LEFT_OUT)  # every other combination is in the data
    assert dict(zip(untested["smiles"], untested["prediction"], strict=True)) == pytest.approx(
        {Chem.CanonSmiles(smi): value for smi, value in truth.items()}, abs=1e-5
    )
    assert untested["smiles"].iloc[0] == Chem.CanonSmiles(series_smiles("Cl", "C1CC1"))
    assert untested["prediction"].is_monotonic_decreasing
    assert (untested["lower"] <= untested["prediction"]).all() and (untested["prediction"] <= untested["upper"]).all()
    worst_first = model.untested(top=1, maximize=False)
    assert worst_first["smiles"].tolist() == [Chem.CanonSmiles(series_smiles("F", "c1ccccc1"))]


def test_noisy_series_intervals_and_exact_leave_one_out(additive_series, table):
    noisy = additive_series["pIC50"] + np.random.default_rng(0).normal(0, 0.2, len(additive_series))
    model = FreeWilson(alpha=1.0).fit(table, noisy)
    assert (model.contributions_["std_error"].iloc[1:] > 0).all()  # the single core form is fixed at zero
    # the closed-form leave-one-out equals refitting without each molecule
    brute = []
    for i in range(len(table)):
        y = noisy.to_numpy().copy()
        y[i] = np.nan
        brute.append(FreeWilson(alpha=1.0).fit(table, y).predict(table.iloc[[i]])[0])
    assert model.loo_predictions_ == pytest.approx(np.array(brute), abs=1e-8)
    # the same ridge as scikit-learn's (and so RDKit Contrib's) on the same indicators
    design = pd.get_dummies(table[["core", "R1", "R2"]]).astype(float)
    ridge = Ridge(alpha=1.0).fit(design, noisy)
    by_name = dict(zip(design.columns, ridge.coef_, strict=True))
    ours = {f"{r.position}_{r.substituent}": r.contribution for r in model.contributions_.itertuples()}
    assert ours == pytest.approx(by_name, abs=1e-8)
    assert model.intercept_ == pytest.approx(ridge.intercept_)


def test_rows_without_a_core_or_target_are_left_out_and_predicted_nan(additive_series):
    smiles = [*additive_series["smiles"], "CCO", "not smiles", series_smiles("Br", "C")]
    y = [*additive_series["pIC50"], 5.0, 5.0, np.nan]
    table = decompose(smiles, core=CORE)
    model = FreeWilson().fit(table, y)
    assert model.n_samples_ == len(additive_series)
    prediction = model.predict(table)
    assert np.isfinite(prediction[: len(additive_series)]).all()
    assert np.isnan(prediction[-3:]).all()  # no core, unparsable, unseen substituent (Br)
    assert np.isnan(model.loo_predictions_[-3:]).all()


def test_min_count_keeps_rare_substituents_out(additive_series, table):
    model = FreeWilson().fit(table, additive_series["pIC50"])
    counts = model.contributions_.set_index("substituent")["n"]
    untested = model.untested(top=5, min_count=4)
    assert (untested["min_n"] >= 4).all()
    assert all(counts[s] >= 4 for s in untested["R1"]) and all(counts[s] >= 4 for s in untested["R2"])


@pytest.mark.parametrize(
    ("kwargs", "y", "message"),
    [
        ({"alpha": 0.0}, None, "alpha must be > 0"),
        ({"confidence": 1.0}, None, "confidence must be in"),
        ({}, [1.0, 2.0], "one value per table row"),
        ({}, "all-missing", "at least 2 decomposed molecules"),
    ],
)
def test_bad_arguments_raise(additive_series, table, kwargs, y, message):
    y = additive_series["pIC50"] if y is None else np.full(len(table), np.nan) if y == "all-missing" else y
    with pytest.raises(ValueError, match=message):
        FreeWilson(**kwargs).fit(table, y)


def test_unfitted_model_and_foreign_tables_raise():
    with pytest.raises(ValueError, match="not fitted"):
        FreeWilson().predict(pd.DataFrame({"core": []}))
    with pytest.raises(ValueError, match="R-group table"):
        FreeWilson().fit(pd.DataFrame({"smiles": ["CCO"]}), [1.0])

"""The control model: a random forest on Morgan counts, and the comparison the run report shows."""

import numpy as np
import pytest

from molgen.data import load_dataset
from molgen.efficacy import ControlModel, control_summary


@pytest.fixture(scope="module")
def series():
    frame = load_dataset("chembl2321810").frame.head(120)
    return frame["smiles"].tolist(), frame["pIC50"].to_numpy(float)


@pytest.fixture(scope="module")
def fitted(series):
    smiles, y = series
    return ControlModel(n_estimators=30, random_state=0).fit(smiles[:100], y[:100])


def test_fits_and_learns_the_training_series(fitted, series):
    smiles, y = series
    assert fitted.n_train_ == 100 and fitted.forest_.n_estimators == 30
    assert fitted.forest_.n_features_in_ == 2048
    train = fitted.predict(smiles[:100])["prediction"].to_numpy()
    assert np.corrcoef(train, y[:100])[0, 1] > 0.8  # a forest fits its own data closely
    held_out = fitted.predict(smiles[100:])["prediction"].to_numpy()
    assert np.isfinite(held_out).all() and y.min() <= held_out.min() and held_out.max() <= y.max()


def test_predictions_are_aligned_with_invalid_rows_as_nan_and_a_state(fitted, zoo_smiles, zoo_states):
    out = fitted.predict(zoo_smiles)
    assert list(out.columns) == ["smiles", "prediction", "state", "error"]
    assert out["smiles"].tolist() == zoo_smiles and out["state"].tolist() == zoo_states
    valid = out["state"] == "valid"
    assert out.loc[valid, "prediction"].notna().all() and out.loc[~valid, "prediction"].isna().all()
    assert (out.loc[~valid, "error"] != "").all() and (out.loc[valid, "error"] == "").all()
    assert len(fitted.predict([])) == 0


def test_fit_skips_invalid_molecules_and_missing_labels(series):
    smiles, y = series
    rows = [*smiles[:20], "garbage", "", smiles[20]]
    labels = [*y[:20], 5.0, 6.0, np.nan]
    control = ControlModel(n_estimators=5).fit(rows, labels)
    assert control.n_train_ == 20
    assert control.train_states_[-3:] == ["invalid_smiles", "empty", "missing_label"]


def test_same_seed_same_forest_whatever_the_jobs(series):
    smiles, y = series
    a = ControlModel(n_estimators=8, random_state=3, n_jobs=1).fit(smiles[:60], y[:60]).predict(smiles[60:])
    b = ControlModel(n_estimators=8, random_state=3, n_jobs=2).fit(smiles[:60], y[:60]).predict(smiles[60:])
    c = ControlModel(n_estimators=8, random_state=4, n_jobs=1).fit(smiles[:60], y[:60]).predict(smiles[60:])
    np.testing.assert_allclose(a["prediction"], b["prediction"], rtol=1e-12)  # the trees match; sums may round apart
    assert not np.array_equal(a["prediction"], c["prediction"])


def test_bad_input_raises():
    with pytest.raises(ValueError, match="one number per molecule"):
        ControlModel().fit(["CCO", "CCN"], [1.0])
    with pytest.raises(ValueError, match="at least two valid, labelled molecules"):
        ControlModel().fit(["CCO", "garbage", "CCN"], [1.0, 2.0, np.nan])
    with pytest.raises(ValueError, match="not fitted"):
        ControlModel().predict(["CCO"])


def test_control_summary():
    summary = control_summary([9.0, 8.0, 7.0, 1.0], [6.0, np.nan, 5.0, 0.0], [6.0, 7.0, np.nan], top_n=3)
    assert summary == {"top_n": 3, "compared": 2, "molgen_mean": 8.0, "control_mean": 5.5, "gap": 2.5, "series_mean": 6.5}
    empty = control_summary([np.nan], [1.0], [], top_n=100)
    assert empty["compared"] == 0 and np.isnan(empty["gap"]) and np.isnan(empty["series_mean"])
    with pytest.raises(ValueError, match="rows"):
        control_summary([1.0, 2.0], [1.0], [1.0])
    with pytest.raises(ValueError, match="top_n"):
        control_summary([1.0], [1.0], [1.0], top_n=0)

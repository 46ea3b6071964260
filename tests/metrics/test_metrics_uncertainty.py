import json

import numpy as np
import pytest

from molgen.metrics import (
    ConformalCalibrator,
    calibrate_sigma,
    conformal_quantile,
    coverage,
    gaussian_nll,
    miscalibration_area,
    uncertainty_spearman,
)


def _gaussian(n, seed):
    """Heteroscedastic data whose true noise sd is ``sigma``."""
    rng = np.random.default_rng(seed)
    mu = rng.normal(size=n)
    sigma = 0.2 + np.abs(rng.normal(size=n))
    return mu + sigma * rng.normal(size=n), mu, sigma


def test_conformal_quantile_finite_sample_correction():
    scores = np.arange(1.0, 11.0)  # n = 10
    assert conformal_quantile(scores, 0.9) == 10.0  # ceil(11 * 0.9) = 10th smallest
    assert conformal_quantile(scores, 0.8) == 9.0  # ceil(11 * 0.8) = 9th
    assert conformal_quantile(scores[::-1], 0.5) == 6.0  # ceil(5.5) = 6th
    with pytest.raises(ValueError, match="need at least 9"):
        conformal_quantile(scores[:5], 0.9)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        conformal_quantile(scores, 1.0)


@pytest.mark.parametrize("normalized", [True, False])
def test_conformal_coverage_on_gaussian_data(normalized):
    y_cal, mu_cal, s_cal = _gaussian(2000, seed=0)
    y, mu, s = _gaussian(20000, seed=1)
    cal = ConformalCalibrator(coverage=0.9).fit(y_cal, mu_cal, s_cal if normalized else None)
    lower, upper = cal.interval(mu, s if normalized else None)
    assert abs(coverage(y, lower, upper) - 0.9) <= 0.03
    assert cal.n_calibration_ == 2000
    widths = upper - lower
    if normalized:  # intervals follow sigma
        assert np.corrcoef(widths, s)[0, 1] > 0.99
    else:
        assert np.ptp(widths) == pytest.approx(0.0)


def test_conformal_ignores_nan_rows_and_round_trips_through_json():
    y, mu, s = _gaussian(500, seed=2)
    y[:10] = np.nan
    cal = ConformalCalibrator(coverage=0.8).fit(y, mu, s)
    assert cal.n_calibration_ == 490
    restored = ConformalCalibrator.from_dict(json.loads(json.dumps(cal.to_dict())))
    np.testing.assert_array_equal(restored.interval(mu, s)[1], cal.interval(mu, s)[1])
    lower, upper = cal.interval(np.array([np.nan, 1.0]), np.array([1.0, np.nan]))
    assert np.isnan(lower).all() and np.isnan(upper).all()


def test_conformal_multitask_has_one_quantile_per_task():
    y0, mu0, s0 = _gaussian(400, seed=3)
    y = np.stack([y0, 10 * y0], axis=1)
    mu = np.stack([mu0, 10 * mu0], axis=1)
    cal = ConformalCalibrator(0.9).fit(y, mu)
    assert cal.quantile_.shape == (2,)
    assert cal.quantile_[1] == pytest.approx(10 * cal.quantile_[0])
    restored = ConformalCalibrator.from_dict(cal.to_dict())
    assert restored.interval(mu)[0].shape == (400, 2)
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        cal.interval(mu0)


def test_conformal_errors():
    cal = ConformalCalibrator(0.9)
    with pytest.raises(ValueError, match="not fitted"):
        cal.interval([1.0])
    with pytest.raises(ValueError, match="sigma must be > 0"):
        cal.fit(np.zeros(20), np.zeros(20), np.zeros(20))
    cal.fit(np.arange(20.0), np.zeros(20), np.ones(20))
    with pytest.raises(ValueError, match="pass sigma"):
        cal.interval([1.0])
    with pytest.raises(ValueError, match="same shape"):
        ConformalCalibrator().fit([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="expected keys"):
        ConformalCalibrator.from_dict({"quantile": 1.0})


def test_coverage_hand_computed():
    y = [1.0, 5.0, 3.0, np.nan]
    assert coverage(y, [0, 0, 3, 0], [2, 2, 4, 1]) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="same length"):
        coverage([1.0], [0.0, 0.0], [2.0, 2.0])


def test_miscalibration_area():
    y, mu, s = _gaussian(5000, seed=4)
    assert miscalibration_area(y, mu, s) < 0.02
    assert miscalibration_area(y, mu, s / 5) > 0.3  # overconfident
    assert miscalibration_area(y, mu, 5 * s) > 0.2  # underconfident
    # zero errors: every interval (even the empty-width one) holds all points: area = ∫(1 - p) dp
    assert miscalibration_area([1.0, 2.0], [1.0, 2.0], [1.0, 1.0]) == pytest.approx(0.5)


def test_calibrate_sigma_recovers_the_scale():
    y, mu, s = _gaussian(5000, seed=5)
    assert calibrate_sigma(y, mu, s / 3) == pytest.approx(3.0, rel=0.05)
    assert miscalibration_area(y, mu, calibrate_sigma(y, mu, s / 3) * s / 3) < 0.02


def test_uncertainty_spearman_and_nll():
    y = np.array([0.0, 1.0, 3.0, 6.0])
    mu = np.zeros(4)
    assert uncertainty_spearman(y, mu, [0.1, 0.5, 1.0, 2.0]) == pytest.approx(1.0)
    assert uncertainty_spearman(y, mu, [2.0, 1.0, 0.5, 0.1]) == pytest.approx(-1.0)
    assert gaussian_nll([1.0, 2.0], [1.0, 2.0], [1.0, 1.0]) == pytest.approx(0.5 * np.log(2 * np.pi))
    with pytest.raises(ValueError, match="sigma must be > 0"):
        gaussian_nll([1.0], [1.0], [0.0])

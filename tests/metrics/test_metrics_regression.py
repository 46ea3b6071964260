import math
import warnings

import numpy as np
import pytest

from molgen.metrics import classification_metrics, multiclass_metrics, regression_metrics, spearman


def test_regression_metrics_hand_computed_with_nan_rows():
    y = [1.0, 2.0, 3.0, 4.0, np.nan, 7.0]
    p = [1.0, 2.0, 3.0, 5.0, 9.0, np.nan]
    m = regression_metrics(y, p)
    # errors 0, 0, 0, 1 on the four observed rows; mean of y is 2.5, so SS_tot = 5
    assert m["n"] == 4
    assert m["rmse"] == pytest.approx(0.5)
    assert m["mae"] == pytest.approx(0.25)
    assert m["r2"] == pytest.approx(1 - 1 / 5)
    assert m["spearman"] == pytest.approx(1.0)


def test_regression_metrics_constant_target_gives_nan_not_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = regression_metrics([2.0, 2.0, 2.0], [1.0, 2.0, 3.0])
    assert math.isnan(m["r2"]) and math.isnan(m["spearman"])
    assert m["mae"] == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    ("y", "p", "match"),
    [
        ([1.0, 2.0], [1.0], "same length"),
        ([np.nan, 1.0], [1.0, np.nan], "no observed"),
        ([[1.0, 2.0]], [[1.0, 2.0]], "1-D"),
        (["a", "b"], [1.0, 2.0], "numeric"),
    ],
)
def test_regression_metrics_bad_input(y, p, match):
    with pytest.raises(ValueError, match=match):
        regression_metrics(y, p)


def test_spearman_ranks():
    assert spearman([1, 2, 3, 4], [10, 20, 30, 25]) == pytest.approx(0.8)
    assert spearman([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)


def test_binary_classification_hand_computed():
    m = classification_metrics([0, 0, 1, 1, np.nan], [0.1, 0.6, 0.4, 0.9, 0.5])
    assert m["n"] == 4
    assert m["roc_auc"] == pytest.approx(0.75)  # 3 of 4 positive/negative pairs ordered
    assert m["pr_auc"] == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)
    assert m["balanced_accuracy"] == pytest.approx(0.5)  # predictions 0, 1, 0, 1


def test_binary_single_class_is_nan_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = classification_metrics([1, 1, 1], [0.2, 0.7, 0.9])
    assert math.isnan(m["roc_auc"]) and math.isnan(m["pr_auc"])
    assert m["balanced_accuracy"] == pytest.approx(2 / 3)


def test_binary_rejects_non_binary_labels_and_length_mismatch():
    with pytest.raises(ValueError, match="class labels 0..1"):
        classification_metrics([0, 2], [0.1, 0.9])
    with pytest.raises(ValueError, match="same length"):
        classification_metrics([0, 1, 1], [0.1, 0.9])


def test_multiclass_hand_computed():
    y = [0, 1, 2, 2]
    s = [[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.2, 0.7], [0.5, 0.1, 0.05]]
    m = classification_metrics(y, s)  # dispatches on the 2-D score
    # one-vs-rest AUC: class 0 -> 1, class 1 -> 1, class 2 -> 0.5 (0.05 is below both negatives' 0.1)
    assert m["roc_auc"] == pytest.approx((1 + 1 + 0.5) / 3)
    # arg-max predicts 0, 1, 2, 0: recalls 1, 1, 1/2
    assert m["balanced_accuracy"] == pytest.approx((1 + 1 + 0.5) / 3)
    assert 0 < m["pr_auc"] <= 1
    assert m == multiclass_metrics(y, s)


def test_multiclass_single_class_and_bad_shapes():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = multiclass_metrics([1, 1], [[0.2, 0.8], [0.6, 0.4]])
    assert math.isnan(m["roc_auc"]) and m["balanced_accuracy"] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="0..2"):
        multiclass_metrics([0, 3], [[1, 0, 0], [0, 1, 0]])
    with pytest.raises(ValueError, match=r"\(n, k\)"):
        multiclass_metrics([0, 1], [[1.0], [0.0]])

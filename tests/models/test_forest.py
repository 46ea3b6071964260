import numpy as np
import pytest
from sklearn.ensemble import RandomForestRegressor

from molgen.models.forest import MAX_FEATURES, Forest


def _data(n=120, d=64, seed=0):
    rng = np.random.default_rng(seed)
    X = (rng.random((n, d)) < 0.2).astype(np.float32)
    y = np.stack([X[:, :4].sum(1), X[:, 4:8] @ np.arange(1, 5)], axis=1) + rng.normal(scale=0.1, size=(n, 2))
    return X, y


def test_predictions_equal_scikit_learn_forests():
    X, y = _data()
    forest = Forest.fit(X[:100], y[:100], n_trees=20, seed=3)
    for k in range(2):
        rf = RandomForestRegressor(n_estimators=20, max_features=MAX_FEATURES, n_jobs=1, random_state=3).fit(X[:100], y[:100, k])
        np.testing.assert_allclose(forest.predict(X[100:])[:, k], rf.predict(X[100:]), rtol=1e-12)


def test_missing_labels_are_left_out_per_target():
    X, y = _data()
    y[:50, 1] = np.nan
    forest = Forest.fit(X, y, n_trees=10)
    rf = RandomForestRegressor(n_estimators=10, max_features=MAX_FEATURES, n_jobs=1, random_state=0).fit(X[50:], y[50:, 1])
    np.testing.assert_allclose(forest.predict(X)[:, 1], rf.predict(X), rtol=1e-12)
    y[1:, 0] = np.nan
    with pytest.raises(ValueError, match="target 0 has 1 labelled rows"):
        Forest.fit(X, y)


def test_tensors_round_trip_and_bad_arrays_are_refused():
    X, y = _data()
    forest = Forest.fit(X, y, n_trees=5)
    tensors = forest.to_tensors()
    again = Forest.from_tensors(tensors, n_features=X.shape[1], n_tasks=2)
    np.testing.assert_array_equal(again.predict(X), forest.predict(X))
    with pytest.raises(ValueError, match="lacks roots"):
        Forest.from_tensors({k: v for k, v in tensors.items() if k != "forest.roots"}, n_features=64, n_tasks=2)
    with pytest.raises(ValueError, match="out of range"):
        Forest.from_tensors(tensors, n_features=3, n_tasks=2)  # splits on features the input lacks
    inner = int(np.flatnonzero(tensors["forest.left"] >= 0)[0])
    cyclic = {**tensors, "forest.left": tensors["forest.left"].copy()}
    cyclic["forest.left"][inner] = inner  # a node that is its own child would loop forever
    with pytest.raises(ValueError, match="out of range"):
        Forest.from_tensors(cyclic, n_features=64, n_tasks=2)
    with pytest.raises(ValueError, match="inconsistent shapes"):
        Forest.from_tensors({**tensors, "forest.value": tensors["forest.value"][:-1]}, n_features=64, n_tasks=2)

import numpy as np
import pytest

from molgen.scoring import TRANSFORMS, Clip, DoubleSigmoid, Identity, ReverseSigmoid, Sigmoid, Step, make_transform

X = np.array([-100.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 100.0, np.nan])

EXAMPLES = {
    "identity": Identity(),
    "clip": Clip(low=1.0, high=5.0),
    "sigmoid": Sigmoid(low=2.0, high=4.0, k=0.5),
    "reverse_sigmoid": ReverseSigmoid(low=2.0, high=4.0),
    "double_sigmoid": DoubleSigmoid(low=2.0, high=4.0, coef_div=1.0, coef_si=2.0, coef_se=2.0),
    "step": Step(low=1.0, high=3.0),
}


def test_every_registered_transform_has_an_example():
    assert set(EXAMPLES) == set(TRANSFORMS)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_range_shape_and_nan(name):
    t = EXAMPLES[name]
    out = t(X)
    assert out.shape == X.shape
    assert np.isnan(out[-1])
    finite = out[~np.isnan(out)]
    assert ((finite >= 0) & (finite <= 1)).all()
    grid = X[:-1].reshape(3, 3)
    assert t(grid).shape == (3, 3)
    assert t.kind == name
    assert make_transform(t.to_dict()) == t


def test_sigmoid_rises_and_reverse_falls():
    x = np.linspace(-10, 20, 301)
    up, down = Sigmoid(2.0, 8.0)(x), ReverseSigmoid(2.0, 8.0)(x)
    assert (np.diff(up) >= 0).all() and (np.diff(down) <= 0).all()
    assert Sigmoid(2.0, 8.0)([5.0])[0] == pytest.approx(0.5)
    # REINVENT: 1 / (1 + 10 ** (5 k)) at low
    assert Sigmoid(2.0, 8.0, k=0.5)([2.0])[0] == pytest.approx(1 / (1 + 10**2.5))
    np.testing.assert_allclose(up + down, 1.0)
    assert Sigmoid(2.0, 8.0, k=1.0)([3.0])[0] < Sigmoid(2.0, 8.0, k=0.25)([3.0])[0]  # steeper


def test_double_sigmoid_is_a_window_and_never_overflows():
    t = DoubleSigmoid(low=200.0, high=500.0)  # REINVENT defaults
    d = t([0.0, 200.0, 350.0, 500.0, 800.0, 1e6, -1e6])
    np.testing.assert_allclose(d, [0.0, 0.5, 1.0, 0.5, 0.0, 0.0, 0.0], atol=1e-6)
    # REINVENT's own formula where it does not overflow
    x, low, high, div, si, se = 3.3, 2.0, 4.0, 1.0, 2.0, 2.0
    reinvent = 10 ** (se * x / div) / (10 ** (se * x / div) + 10 ** (se * low / div)) - 10 ** (si * x / div) / (
        10 ** (si * x / div) + 10 ** (si * high / div)
    )
    assert DoubleSigmoid(low, high, div, si, se)([x])[0] == pytest.approx(reinvent)


def test_step_and_identity_and_clip():
    np.testing.assert_array_equal(Step(low=1.0, high=3.0)([0.5, 1.0, 2.0, 3.0, 3.5]), [0, 1, 1, 1, 0])
    np.testing.assert_array_equal(Step(high=0.0)([0.0, 1.0, 2.0]), [1, 0, 0])
    out = Identity()([0.0, 0.3, 1.0, 1.5, -0.2])
    np.testing.assert_array_equal(out[:3], [0.0, 0.3, 1.0])
    assert np.isnan(out[3:]).all()  # out of range is an error, not silently clipped
    np.testing.assert_allclose(Clip()([-1.0, 0.5, 2.0]), [0.0, 0.5, 1.0])
    np.testing.assert_allclose(Clip(low=10.0, high=0.0)([0.0, 5.0, 10.0]), [1.0, 0.5, 0.0])


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ({"kind": "sigmoid", "low": 5.0, "high": 1.0}, "high: must be greater than low"),
        ({"kind": "sigmoid", "low": "a", "high": 1.0}, "low: expected a number, got str 'a'"),
        ({"kind": "sigmoid", "low": 1.0, "high": 2.0, "k": 0}, "k: must be > 0"),
        ({"kind": "sigmoid", "low": 1.0}, "high: required key missing"),
        ({"kind": "sigmoid", "low": 1.0, "high": 2.0, "steep": 1}, "steep: unknown key.*valid keys: high, k, kind, low"),
        ({"kind": "sigmoidal"}, "unknown transform 'sigmoidal'; choose one of: clip, double_sigmoid"),
        ({"kind": "step"}, "give low, high or both"),
        ({"kind": "step", "low": True}, "low: expected a number, got bool"),
        ({"low": 1.0}, "kind: required key missing"),
    ],
)
def test_bad_parameters_name_the_key(spec, match):
    with pytest.raises(ValueError, match=match):
        make_transform(spec)

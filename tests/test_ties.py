"""Ties no input breaks: a ReLU net without biases at W1 = 0, where every pre-activation is 0
whatever X is. Backpropagation's ReLU'(0) = 0 (or 1) there is the gradient of the same net
with its ties broken one way (`derivcheck._engine._ties`), and verifies; a slope no
direction gives is refuted."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import derivcheck as dc
from derivcheck._engine import _kinks, _ties

NET = dc.Space(W1=dc.real("D H"), W2=dc.real("H"), X=dc.real("N D"), y=dc.real("N"))


def _loss(W1, W2, X, y):  # jnp.maximum: JAX gives each side half the slope at a tie
    return 0.5 * jnp.mean((jnp.maximum(X @ W1, 0.0) @ W2 - y) ** 2)


def _backprop(at_tie):
    def grad_W1(W1, W2, X, y):
        z = X @ W1
        r = (jnp.maximum(z, 0.0) @ W2 - y) / X.shape[0]
        return X.T @ (jnp.outer(r, W2) * ((z > 0) + at_tie * (z == 0)))
    return grad_W1


@pytest.mark.parametrize("at_tie", [0.0, 1.0], ids=["relu'(0)=0", "relu'(0)=1"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_backpropagation_through_a_relu_net_without_biases_is_verified(at_tie, seed):
    r = dc.check_gradient(_loss, _backprop(at_tie), space=NET, wrt="W1", seed=seed)
    assert r.status == "verified", str(r)
    assert "the gradient with every tie broken one way" in (r.message or ""), r.message


@pytest.mark.parametrize("at_tie", [2.0, -1.0], ids=["relu'(0)=2", "relu'(0)=-1"])
@pytest.mark.parametrize("seed", [0, 1])
def test_a_slope_at_the_ties_no_direction_gives_is_refuted(at_tie, seed):  # the twin
    r = dc.check_gradient(_loss, _backprop(at_tie), space=NET, wrt="W1", seed=seed)
    assert r.status == "refuted", str(r)


def test_without_broken_ties_the_net_without_biases_is_refuted(monkeypatch):  # the twin
    monkeypatch.setattr(_kinks, "tied_problem", lambda ck, b, part, plans:
                        dict.fromkeys(plans, False))
    r = dc.check_gradient(_loss, _backprop(0.0), space=NET, wrt="W1")
    assert r.status == "refuted", str(r)  # what the first test guards against


def test_a_missing_mean_beside_the_ties_is_still_refuted():
    def no_mean(W1, W2, X, y):
        return _backprop(0.0)(W1, W2, X, y) * X.shape[0]
    r = dc.check_gradient(_loss, no_mean, space=NET, wrt="W1")
    assert r.status == "refuted", str(r)


def test_backpropagation_written_in_numpy_through_the_same_ties_is_verified():
    def grad_W1(W1, W2, X, y):
        z = X @ W1
        r = (np.maximum(z, 0.0) @ W2 - y) / X.shape[0]
        return X.T @ (np.outer(r, W2) * (z > 0))
    r = dc.check_gradient(_loss, dc.numpy_fn(grad_W1), space=NET, wrt="W1")
    assert r.status == "verified", str(r)


DEEP = dc.Space(W1=dc.real("D H"), W2=dc.real("H G"), w3=dc.real("G"), X=dc.real("N D"),
                y=dc.real("N"))


def _deep_loss(W1, W2, w3, X, y):  # the second ReLU written the other way round
    h2 = jnp.maximum(0.0, jnp.maximum(X @ W1, 0.0) @ W2)
    return 0.5 * jnp.sum((h2 @ w3 - y) ** 2)


def _deep_backprop(at_tie):
    def grad_W1(W1, W2, w3, X, y):
        z1 = X @ W1
        z2 = jnp.maximum(z1, 0.0) @ W2
        d2 = jnp.outer(jnp.maximum(z2, 0.0) @ w3 - y, w3) * ((z2 > 0) + at_tie * (z2 == 0))
        return X.T @ ((d2 @ W2.T) * ((z1 > 0) + at_tie * (z1 == 0)))
    return grad_W1


@pytest.mark.parametrize("at_tie", [0.0, 1.0], ids=["relu'(0)=0", "relu'(0)=1"])
def test_two_relu_layers_written_either_way_round_take_one_convention(at_tie):
    r = dc.check_gradient(_deep_loss, _deep_backprop(at_tie), space=DEEP, wrt="W1")
    assert r.status == "verified", str(r)


def test_two_relu_layers_with_a_slope_of_two_at_their_ties_are_refuted():  # the twin
    r = dc.check_gradient(_deep_loss, _deep_backprop(2.0), space=DEEP, wrt="W1")
    assert r.status == "refuted", str(r)


VEC = dc.Space(x=dc.real("K"))


def test_the_first_maximum_as_the_gradient_of_a_max_is_verified():
    r = dc.check_gradient(lambda x: jnp.max(x), lambda x: jax.nn.one_hot(jnp.argmax(x),
                          x.shape[0]), space=VEC, wrt="x")
    assert r.status == "verified", str(r)


def test_every_maximum_as_the_gradient_of_a_max_is_refuted():  # the twin: [1, 1] at a tie
    r = dc.check_gradient(lambda x: jnp.max(x), lambda x: (x == jnp.max(x)).astype(x.dtype),
                          space=VEC, wrt="x")
    assert r.status == "refuted", str(r)


# The resolved function itself: the reference's values exactly, the derivative one way


def _grad(f, x):
    return jax.grad(lambda v: f({"x": v}))(jnp.asarray(x))


@pytest.mark.parametrize(("direction", "expected"), [(1.0, [1.0, 1.0, 0.0]),
                                                 (-1.0, [0.0, 1.0, 0.0])])
def test_a_tie_in_max_goes_to_the_side_the_direction_names(direction, expected):
    f = _ties.resolved(lambda d: jnp.sum(jnp.maximum(d["x"], 0.0)), direction)
    assert _grad(f, [0.0, 2.0, -1.0]).tolist() == expected


def test_jax_itself_splits_a_tie_in_max_in_half():  # the twin: what resolved changes
    f = lambda d: jnp.sum(jnp.maximum(d["x"], 0.0))  # noqa: E731
    assert _grad(f, [0.0, 2.0, -1.0]).tolist() == [0.5, 1.0, 0.0]


@pytest.mark.parametrize(("direction", "expected"), [(1.0, [1.0, 0.0, 0.0]),
                                                 (-1.0, [0.0, 0.0, 1.0])])
def test_a_tie_in_a_reduction_goes_to_its_first_or_last_entry(direction, expected):
    f = _ties.resolved(lambda d: jnp.max(d["x"]), direction)
    assert _grad(f, [3.0, 1.0, 3.0]).tolist() == expected


@pytest.mark.parametrize("direction", [1.0, -1.0])
def test_abs_at_zero_takes_the_slope_of_its_side(direction):
    f = _ties.resolved(lambda d: jnp.sum(jnp.abs(d["x"])), direction)
    assert _grad(f, [0.0, -2.0]).tolist() == [direction, -1.0]


def test_values_are_the_references_exactly_at_ties_zeros_and_infinities():
    def f(d):
        x = d["x"]
        return jnp.stack([jnp.maximum(x, 0.0).sum(), jnp.abs(x).sum(), jnp.max(x),
                          jnp.clip(x, -1.0, 1.0).sum(), jnp.where(x > 0, x, 0.0).sum(),
                          1.0 / jnp.abs(x[0])])
    for x in ([0.0, 0.0, 2.0], [-0.0, 1.0, 1.0], [np.inf, -np.inf, 0.0], [1.0, -1.0, 3.0]):
        for direction in (1.0, -1.0):
            got = np.asarray(_ties.resolved(f, direction)({"x": jnp.asarray(x)}))
            want = np.asarray(f({"x": jnp.asarray(x)}))
            assert np.array_equal(got, want, equal_nan=True), (x, direction, got, want)


def _relu_loss(W1, W2, X, y):  # jax.nn.relu: its own rule takes ReLU'(0) = 0
    return 0.5 * jnp.mean((jax.nn.relu(X @ W1) @ W2 - y) ** 2)


def test_relu_as_jax_nn_relu_takes_the_other_convention_too():
    r = dc.check_gradient(_relu_loss, _backprop(1.0), space=NET, wrt="W1")
    assert r.status == "verified", str(r)


def test_relu_as_jax_nn_relu_with_a_slope_of_two_at_the_ties_is_refuted():  # the twin
    r = dc.check_gradient(_relu_loss, _backprop(2.0), space=NET, wrt="W1")
    assert r.status == "refuted", str(r)


# float32: two inputs 1 ulp of float64 apart round to one float32 value, a tie for a line
# that computes in float32 (and for the truth, which sees the same rounded values)

def _first_argmax(x):
    return jax.nn.one_hot(jnp.argmax(x), x.shape[0])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_in_float32_the_first_maximum_as_the_gradient_of_a_max_is_verified(seed):
    r = dc.check_gradient(lambda x: jnp.max(x), _first_argmax, space=VEC, wrt="x",
                          dtype="float32", seed=seed)
    assert r.status == "verified", str(r)


def test_in_float32_ties_looked_for_before_rounding_refute_the_first_maximum(monkeypatch):
    monkeypatch.setattr(_kinks, "as_seen", lambda batch, dtype: batch)  # the twin
    r = dc.check_gradient(lambda x: jnp.max(x), _first_argmax, space=VEC, wrt="x",
                          dtype="float32")
    assert r.status == "refuted", str(r)


def test_in_float32_every_maximum_as_the_gradient_of_a_max_is_refuted():
    r = dc.check_gradient(lambda x: jnp.max(x), lambda x: (x == jnp.max(x)).astype(x.dtype),
                          space=VEC, wrt="x", dtype="float32")
    assert r.status == "refuted", str(r)


# Max pooling over pairs: at a tie the gradient goes to the first maximum. In float32 a
# batch holds more ties than the kink test takes at once (rounding makes them), and every
# one of them must be explained, not only the first MAX_TESTED

POOL = dc.Space(x=dc.real("B 4"))
WEIGHTS = np.array([1.0, -2.0])  # float64 (a jnp.array made at import would be float32)


def _pool(x):
    return jnp.sum(jnp.max(x.reshape(x.shape[0], 2, 2), axis=2) * WEIGHTS)


def _pool_first(x):
    r = x.reshape(x.shape[0], 2, 2)
    return (jax.nn.one_hot(jnp.argmax(r, axis=2), 2) * WEIGHTS[None, :, None]).reshape(x.shape)


def _pool_every(x):
    r = x.reshape(x.shape[0], 2, 2)
    hit = (r == jnp.max(r, axis=2, keepdims=True)).astype(x.dtype)
    return (hit * WEIGHTS[None, :, None]).reshape(x.shape)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("seed", [0, 1])
def test_max_pooling_to_the_first_maximum_is_verified(dtype, seed):
    r = dc.check_gradient(_pool, _pool_first, space=POOL, wrt="x", dtype=dtype, seed=seed)
    assert r.status == "verified", str(r)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_max_pooling_to_every_maximum_is_refuted(dtype):  # the twin
    r = dc.check_gradient(_pool, _pool_every, space=POOL, wrt="x", dtype=dtype)
    assert r.status == "refuted", str(r)


def test_kinks_tested_a_few_inputs_at_a_time_still_verify_max_pooling(monkeypatch):
    monkeypatch.setattr(_kinks, "MAX_TESTED", 4)
    r = dc.check_gradient(_pool, _pool_first, space=POOL, wrt="x")
    assert r.status == "verified", str(r)


def test_kinks_tested_a_few_inputs_at_a_time_still_refute_every_maximum(monkeypatch):  # twin
    monkeypatch.setattr(_kinks, "MAX_TESTED", 4)
    r = dc.check_gradient(_pool, _pool_every, space=POOL, wrt="x")
    assert r.status == "refuted", str(r)

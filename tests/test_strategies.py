"""The public Hypothesis strategies draw valid inputs from a Space (each with a failing twin)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import find, given, settings

import derivcheck as dc
from derivcheck import strategies

jax.config.update("jax_enable_x64", True)  # the strategies draw float64, as derivcheck does

SPACE = dc.Space(W=dc.real("D K"), X=dc.real("N D"), Y=dc.one_hot("N K"),
                 p=dc.simplex("K"), lam=dc.positive(), t=dc.labels("N", classes="K"),
                 b=dc.binary("N"))


def risk(W, X, Y):
    return -jnp.mean(jnp.sum(Y * jax.nn.log_softmax(X @ W, axis=-1), axis=-1))


@settings(max_examples=25, deadline=None)
@given(strategies.inputs(SPACE))
def test_inputs_respect_every_kind_and_share_dimensions(x):
    n, d = x["X"].shape
    d2, k = x["W"].shape
    assert d == d2
    assert x["Y"].shape == (n, k)
    assert x["t"].shape == (n,)
    assert x["p"].shape == (k,)
    assert set(np.unique(x["Y"])) <= {0.0, 1.0}
    assert (x["Y"].sum(axis=-1) == 1).all()
    assert np.isclose(x["p"].sum(), 1.0)
    assert (x["p"] > 0).all()
    assert x["lam"].shape == ()
    assert x["lam"] > 0
    assert x["t"].dtype == np.int64
    assert ((x["t"] >= 0) & (x["t"] < k)).all()
    assert set(np.unique(x["b"])) <= {0.0, 1.0}
    assert all(x[name].dtype == np.float64 for name in ("W", "X", "Y", "p", "lam", "b"))


@settings(max_examples=10, deadline=None)
@given(strategies.inputs(dc.Space(W=dc.real("D K"), X=dc.real("N D"), Y=dc.one_hot("N K")),
                         regimes=["moderate", "integers"]))
def test_inputs_feed_a_jax_gradient_property(x):
    g = jax.grad(risk)(x["W"], x["X"], x["Y"])
    # the rows of the softmax gradient sum to zero over the classes
    np.testing.assert_allclose(np.asarray(g).sum(axis=1), 0.0, atol=1e-10)


def test_a_wrong_gradient_is_found_by_a_given_test_using_inputs():
    space = dc.Space(x=dc.real("D"))

    def claimed_wrong(x):
        return 3 * x

    failing = find(strategies.inputs(space, regimes=["moderate"]),
                   lambda x: not np.allclose(claimed_wrong(x["x"]),
                                             jax.grad(lambda v: (v**2).sum())(x["x"])),
                   settings=settings(max_examples=50, deadline=None))
    assert failing["x"].shape == (1,)  # shrunk to the smallest dimension


def test_inputs_shrink_to_the_smallest_bucket_and_moderate_values():
    x = find(strategies.inputs(SPACE), lambda x: True)
    assert x["W"].shape == (1, 2)
    assert x["X"].shape == (1, 1)
    assert np.abs(x["W"]).max() < 10  # "moderate" comes first in REGIMES


def test_a_fixed_bucket_dict_fixes_every_shape():
    x = find(strategies.inputs(SPACE, bucket={"D": 3, "K": 4, "N": 5}), lambda x: True)
    assert x["W"].shape == (3, 4)
    assert x["X"].shape == (5, 3)
    assert x["Y"].shape == (5, 4)


def test_an_int_bucket_uses_the_spaces_bucket():
    x = find(strategies.inputs(SPACE, bucket=2), lambda x: True)
    dims = SPACE.bucket(2)
    assert x["W"].shape == (dims["D"], dims["K"])


def test_the_large_regime_draws_large_magnitudes_and_moderate_does_not():
    space = dc.Space(w=dc.real("D"))
    big = find(strategies.inputs(space, bucket={"D": 4}, regimes=["large"]), lambda x: True)
    small = find(strategies.inputs(space, bucket={"D": 4}, regimes=["moderate"]),
                 lambda x: True)
    assert np.abs(big["w"]).max() > 50
    assert np.abs(small["w"]).max() < 10


@settings(max_examples=25, deadline=None)
@given(strategies.shapes(SPACE))
def test_shapes_stay_within_every_dimension_range(dims):
    assert set(dims) == {"D", "K", "N"}
    for d, v in dims.items():
        lo, hi = SPACE.ranges[d]
        assert lo <= v <= hi


@settings(max_examples=10, deadline=None)
@given(strategies.shapes(SPACE, buckets=3))
def test_shapes_with_buckets_are_the_engines_buckets(dims):
    assert dims in [SPACE.bucket(i) for i in range(3)]


def test_shapes_can_find_an_assignment_where_dimensions_differ():
    dims = find(strategies.shapes(SPACE), lambda d: d["D"] > d["K"] > d["N"])
    assert dims == {"D": 3, "K": 2, "N": 1}  # minimal: K counts classes, so K >= 2


def test_a_bucket_dict_missing_a_dimension_is_rejected_with_the_names():
    with pytest.raises(ValueError, match=r"misses dimensions \['N'\]"):
        strategies.inputs(SPACE, bucket={"D": 2, "K": 2})


def test_an_unknown_regime_is_rejected_with_the_choices():
    with pytest.raises(ValueError, match="unknown regimes.*choose from moderate"):
        strategies.inputs(SPACE, regimes=["huge"])


def test_something_that_is_not_a_space_is_rejected():
    with pytest.raises(TypeError, match="expected a dc.Space"):
        strategies.shapes({"x": dc.real("D")})


def test_zero_buckets_is_rejected():
    with pytest.raises(ValueError, match="buckets must be a positive int"):
        strategies.shapes(SPACE, buckets=0)


def test_a_failing_user_property_shrinks_to_one_offending_entry_and_zeros_elsewhere():
    space = dc.Space(x=dc.real("D"))
    x = find(strategies.inputs(space, bucket={"D": 4}, regimes=["moderate"]),
             lambda x: not (x["x"] < 0.5).all(), settings=settings(max_examples=200))
    v = x["x"]
    assert v.shape == (4,)
    assert np.count_nonzero(v) == 1  # one entry breaks the property, the rest shrank to 0
    assert 0.5 <= v.max() <= 1.0  # a simple value at the edge: 0.5 or 1


def test_a_failing_user_property_shrinks_to_the_smallest_shape():
    space = dc.Space(x=dc.real("D"))
    x = find(strategies.inputs(space, regimes=["moderate"]), lambda x: not (x["x"] < 0.5).all(),
             settings=settings(max_examples=200))
    assert x["x"].shape == (1,) and 0.5 <= x["x"][0] <= 1.0


@settings(max_examples=30, deadline=None)
@given(strategies.inputs(dc.Space(x=dc.real("D")), regimes=["moderate"]))
def test_the_twin_property_that_holds_passes(x):
    assert (x["x"] <= 1.5).all()


def test_labels_and_one_hot_rows_shrink_to_class_zero():
    space = dc.Space(Y=dc.one_hot("N K"), t=dc.labels("N", classes="K"), b=dc.binary("N"))
    x = find(strategies.inputs(space, bucket={"N": 3, "K": 3}), lambda x: True)
    assert (x["Y"].argmax(axis=-1) == 0).all() and not x["t"].any() and not x["b"].any()
    y = find(strategies.inputs(space, bucket={"N": 3, "K": 3}), lambda x: x["t"].max() == 2)
    assert sorted(y["t"]) == [0, 0, 2]  # the twin: only the entry the property needs moves

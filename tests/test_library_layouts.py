"""Spaces for a library's layouts: derived dimensions, counts, labels that cover every class.

Each property is checked through the public API (``dc.Space``, its buckets and
draws, ``derivcheck.strategies``, ``dc.check_gradient``), with a twin showing
the check can fail.
"""

import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings

import derivcheck as dc
from derivcheck import strategies

MNL = dc.Space(params=dc.real("K-1 D+1"), X=dc.real("N D"),
               y=dc.labels("N", classes="K", all_classes=True))


# -- derived dimensions ----------------------------------------------------------

@pytest.mark.parametrize("b", range(6))
def test_a_derived_dimension_follows_its_name_in_every_bucket(b):
    bucket = MNL.bucket(b)
    assert MNL.shape_of("params", bucket) == (bucket["K"] - 1, bucket["D"] + 1)
    x = MNL.draw(bucket, seed=b, size=4)
    assert x["params"].shape[1:] == (bucket["K"] - 1, x["X"].shape[2] + 1)


def test_a_plain_dimension_does_not_follow_another():
    space = dc.Space(params=dc.real("J D"), y=dc.labels("N", classes="K"))
    assert any(space.bucket(b)["J"] != space.bucket(b)["K"] - 1 for b in range(6))


def test_an_expression_that_could_be_empty_raises_the_range_of_its_name():
    space = dc.Space(b=dc.real("M-2"))
    assert space.ranges["M"][0] == 3
    assert space.shape_of("b", space.bucket(0)) == (1,)


@pytest.mark.parametrize("shape", ["K*K", "1-K", "K - 1", "K-", "0K"])
def test_a_token_outside_the_grammar_is_a_space_error_saying_what_to_write(shape):
    with pytest.raises(dc.SpaceError, match=r"bad dimension"):
        dc.real(shape)


def test_a_fixed_dimension_too_small_for_its_expression_is_a_space_error():
    with pytest.raises(dc.SpaceError, match="needs K ≥ 2"):
        dc.Space(b=dc.real("K-1"), dims={"K": 1})


def _intercept_loglike(b, X, y):
    z = b[0] + X @ b[1:]
    return jnp.sum(y * z - jnp.logaddexp(0.0, z))


def _intercept_score(b, X, y):
    z = b[0] + X @ b[1:]
    r = y - 1 / (1 + jnp.exp(-z))
    return jnp.concatenate([jnp.sum(r, keepdims=True), X.T @ r])


LOGIT = dc.Space(b=dc.real("D+1"), X=dc.real("N D"), y=dc.binary("N"))


def test_a_gradient_over_an_intercept_layout_verifies():
    r = dc.check_gradient(_intercept_loglike, _intercept_score, space=LOGIT, wrt="b",
                          profile="quick")
    assert r.status == "verified", str(r)


def test_a_gradient_that_forgets_the_intercept_row_is_an_error_naming_shapes():
    r = dc.check_gradient(_intercept_loglike, lambda b, X, y: _intercept_score(b, X, y)[1:],
                          space=LOGIT, wrt="b", profile="quick")
    assert r.status == "error"
    assert "shape" in r.message


# -- counts ------------------------------------------------------------------------

COUNTS = dc.Space(y=dc.counts("N"), dims={"N": 6})


def test_counts_are_non_negative_integers_with_zeros_and_large_counts():
    y = COUNTS.draw(COUNTS.bucket(1), seed=0, size=64)["y"]
    assert y.dtype == np.float64
    assert np.all(y >= 0) and np.all(y == np.round(y))
    assert np.any(y == 0) and np.any(y >= 50)


def test_real_values_are_not_counts():
    space = dc.Space(y=dc.real("N"), dims={"N": 6})
    y = space.draw(space.bucket(1), seed=0, size=64)["y"]
    assert np.any(y < 0) or np.any(y != np.round(y))


def test_the_calm_version_of_counts_is_small():
    y = COUNTS.draw(COUNTS.bucket(1), seed=0, size=64)
    calm = COUNTS.calm(y)["y"]
    assert calm.max() <= 5 and np.any(calm > 0)


@settings(max_examples=20, deadline=None)
@given(strategies.inputs(COUNTS))
def test_the_counts_strategy_draws_counts(x):
    assert np.all(x["y"] >= 0) and np.all(x["y"] == np.round(x["y"]))


POISSON = dc.Space(b=dc.real("D"), X=dc.real("N D"), y=dc.counts("N"))


def _poisson(b, X, y):
    z = X @ b
    return jnp.sum(y * z - jnp.exp(z))


def test_a_poisson_score_over_counts_verifies():
    r = dc.check_gradient(_poisson, lambda b, X, y: X.T @ (y - jnp.exp(X @ b)), space=POISSON,
                          wrt="b", profile="quick")
    assert r.status == "verified", str(r)


def test_a_poisson_score_that_ignores_the_counts_is_refuted():
    r = dc.check_gradient(_poisson, lambda b, X, y: X.T @ (1.0 - jnp.exp(X @ b)),
                          space=POISSON, wrt="b", profile="quick")
    assert r.status == "refuted"


# -- labels that cover every class ---------------------------------------------------

@pytest.mark.parametrize("b", range(6))
def test_labels_with_all_classes_hold_every_class_in_every_draw(b):
    bucket = MNL.bucket(b)
    assert bucket["N"] >= bucket["K"]
    y = MNL.draw(bucket, seed=b, size=32)["y"]
    assert all(len(np.unique(row)) == bucket["K"] for row in y)


def test_labels_without_all_classes_miss_a_class_sometimes():
    space = dc.Space(y=dc.labels("N", classes="K"), dims={"N": 4, "K": 4})
    y = space.draw(space.bucket(1), seed=0, size=32)["y"]
    assert any(len(np.unique(row)) < 4 for row in y)


def test_labels_that_cannot_hold_every_class_are_a_space_error():
    with pytest.raises(dc.SpaceError, match="cannot hold all 3 classes"):
        dc.Space(y=dc.labels("N", classes="K", all_classes=True), dims={"N": 2, "K": 3})


@settings(max_examples=20, deadline=None)
@given(strategies.inputs(MNL))
def test_the_strategy_of_labels_with_all_classes_covers_every_class(x):
    k = x["params"].shape[0] + 1
    assert set(np.unique(x["y"])) == set(range(k))


def _shrunk_labels(all_classes):
    space = dc.Space(z=dc.real("K"), y=dc.labels("N", classes="K", all_classes=all_classes))
    r = dc.check_gradient(lambda z, y: 0.5 * jnp.sum(z ** 2), lambda z, y: -z, space=space,
                          wrt="z", profile="quick")
    assert r.status == "refuted"
    return r.counterexample["y"], r.counterexample["z"].shape[0]


def test_a_shrunk_counterexample_keeps_every_class():
    y, k = _shrunk_labels(True)
    assert len(np.unique(y)) == k


def test_a_shrunk_counterexample_without_all_classes_drops_classes():
    y, k = _shrunk_labels(False)
    assert len(np.unique(y)) < k


# -- a tiny positive is as far from calm as a large one --------------------------------

def test_a_tiny_positive_input_is_not_calm():
    space = dc.Space(w=dc.real("D"), alpha=dc.positive())
    assert space.magnitude({"w": np.array([0.5]), "alpha": np.array(1e-40)}) > 1.0
    assert space.magnitude({"w": np.array([0.5]), "alpha": np.array(0.5)}) <= 1.0


def test_a_tiny_real_input_is_calm():
    space = dc.Space(w=dc.real("D"), alpha=dc.real())
    assert space.magnitude({"w": np.array([0.5]), "alpha": np.array(1e-40)}) <= 1.0

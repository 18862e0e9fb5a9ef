"""dc.assert_* and dc.check_* work inside a user's own Hypothesis test (no nested @given)."""

import hypothesis
import hypothesis.strategies as st
import jax.numpy as jnp
import pytest

import derivcheck as dc

SPACE = dc.Space(x=dc.real("D"))


def _in_given(grad):
    @hypothesis.settings(max_examples=3, deadline=None, database=None)
    @hypothesis.given(k=st.integers(1, 3))
    def user_test(k):
        dc.assert_gradient(lambda x: k * jnp.sum(x ** 2), lambda x: grad(k, x),
                           space=SPACE, wrt="x", profile="quick")

    user_test()


def test_a_right_gradient_passes_inside_the_users_given():
    _in_given(lambda k, x: 2 * k * x)


def test_a_wrong_gradient_inside_the_users_given_fails_with_the_verdict():
    with pytest.raises(AssertionError, match="refuted"):
        _in_given(lambda k, x: -2 * k * x)


def test_check_inside_given_reaches_the_same_verdicts_as_outside():
    outside = dc.check_gradient(lambda x: jnp.sum(x ** 3), lambda x: 2 * x ** 2, space=SPACE,
                                wrt="x", profile="quick")
    seen = []

    @hypothesis.settings(max_examples=1, deadline=None, database=None)
    @hypothesis.given(st.just(0))
    def user_test(_):
        seen.append(dc.check_gradient(lambda x: jnp.sum(x ** 3), lambda x: 2 * x ** 2,
                                      space=SPACE, wrt="x", profile="quick"))

    user_test()
    assert outside.status == seen[0].status == "refuted"
    assert seen[0].examples > 0

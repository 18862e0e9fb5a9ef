"""References and claimed functions are plain callables, by name or in the space's order."""

import functools

import jax
import jax.numpy as jnp
import pytest

import derivcheck as dc

SPACE = dc.Space(b=dc.real("D"), X=dc.real("N D"), y=dc.binary("N"))


def loglike(params, data, target):  # a library's names, not the space's: positional
    z = data @ params
    return jnp.sum(target * z - jnp.logaddexp(0.0, z))


def score(params, data, target):
    return data.T @ (target - jax.nn.sigmoid(data @ params))


def hessian(params, data, target):
    p = jax.nn.sigmoid(data @ params)
    return -(data * (p * (1 - p))[:, None]).T @ data


def test_functions_taking_the_inputs_positionally_are_checked():
    r = dc.check_gradient(loglike, score, space=SPACE, wrt="b", profile="quick")
    assert r.status == "verified", str(r)


def test_a_wrong_function_taking_the_inputs_positionally_is_refuted():
    r = dc.check_gradient(loglike, lambda p, d, t: -score(p, d, t), space=SPACE, wrt="b",
                          profile="quick")
    assert r.status == "refuted"
    assert "sign error" in r.diagnosis


def test_jax_grad_of_a_positional_loglike_is_a_reference():
    r = dc.check_jacobian(jax.grad(loglike), hessian, space=SPACE, wrt="b", profile="quick")
    assert r.status == "verified", str(r)


def test_jax_grad_against_a_wrong_hessian_is_refuted():
    r = dc.check_jacobian(jax.grad(loglike), lambda p, d, t: hessian(p, d, t).T * 2,
                          space=SPACE, wrt="b", profile="quick")
    assert r.status == "refuted"


def test_jax_jacobian_of_jax_grad_is_a_reference():
    r = dc.check_equal(jax.jacobian(jax.grad(loglike)), hessian, space=SPACE, profile="quick")
    assert r.status == "verified", str(r)


def test_a_partial_with_a_keyword_bound_is_called_by_name():
    def ll(b, X, y, scale):
        return scale * loglike(b, X, y)

    r = dc.check_gradient(functools.partial(ll, scale=2.0),
                          lambda b, X, y: 2.0 * score(b, X, y), space=SPACE, wrt="b",
                          profile="quick")
    assert r.status == "verified", str(r)
    r = dc.check_gradient(functools.partial(ll, scale=2.0), score, space=SPACE, wrt="b",
                          profile="quick")
    assert r.status == "refuted"


def test_names_after_the_inputs_in_any_order_still_bind_by_name():
    r = dc.check_gradient(lambda y, X, b: loglike(b, X, y), lambda X, b, y: score(b, X, y),
                          space=SPACE, wrt="b", profile="quick")
    assert r.status == "verified", str(r)


def test_an_argument_named_after_another_input_is_not_passed_by_position():
    def swapped(X, b, target):  # 'X' and 'b' sit at each other's positions
        return score(b, X, target)

    r = dc.check_gradient(loglike, swapped, space=SPACE, wrt="b", profile="quick")
    assert r.status == "error"
    assert "asks for input 'target', which the space does not have (it has b, X, y)" in \
        r.message
    assert "take all 3 inputs positionally in the space's order (b, X, y)" in r.message


@pytest.mark.parametrize("fn", [lambda b, Z: 0.0, lambda a, c, e, f: 0.0],
                         ids=["too_few", "too_many"])
def test_a_signature_matching_neither_way_is_one_line_naming_the_inputs(fn):
    r = dc.check_gradient(loglike, fn, space=SPACE, wrt="b", profile="quick")
    assert r.status == "error"
    assert "(it has b, X, y)" in r.message and "\n" not in r.message


def test_a_wrapper_that_takes_keywords_only_gets_the_inputs_by_name():
    wrapped = functools.wraps(score)(lambda **kw: score(kw["params"], kw["data"], kw["target"]))
    r = dc.check_gradient(loglike, lambda b, X, y: wrapped(params=b, data=X, target=y),
                          space=SPACE, wrt="b", profile="quick")
    assert r.status == "verified", str(r)

    def by_name(b, X, y):
        return score(b, X, y)

    keyword_only = functools.wraps(by_name)(lambda **kw: by_name(**kw))
    r = dc.check_gradient(loglike, keyword_only, space=SPACE, wrt="b", profile="quick")
    assert r.status == "verified", str(r)
    r = dc.check_gradient(loglike, functools.wraps(by_name)(lambda **kw: -by_name(**kw)),
                          space=SPACE, wrt="b", profile="quick")
    assert r.status == "refuted"

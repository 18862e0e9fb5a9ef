"""Diagnosis by fitted coefficients, end to end through dc.check_gradient (softmax, λ‖W‖²).

Each wrong gradient is refuted and named; the right one verifies with no
diagnosis; and no mistake's name appears in another's diagnosis.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import derivcheck as dc

SPACE = dc.Space(W=dc.real("D K"), X=dc.real("N D"), Y=dc.one_hot("N K"), lam=dc.positive())


def loss(W, X, Y, lam):
    return -jnp.mean(jnp.sum(Y * jax.nn.log_softmax(X @ W), axis=-1)) + lam * jnp.sum(W ** 2)


def data(W, X, Y):
    return X.T @ (jax.nn.softmax(X @ W) - Y) / X.shape[0]


CASES = {
    "regularization missing": (
        lambda W, X, Y, lam: data(W, X, Y),
        "claimed - autodiff = -2·lam·W: the regularization term is missing (penalty lam‖W‖²)"),
    "regularization gradient lam/2": (
        lambda W, X, Y, lam: data(W, X, Y) + 0.5 * lam * W,
        "the claimed regularization gradient is 1/2·lam·W, but the penalty lam‖W‖² gives "
        "2·lam·W"),
    "lambda sign flipped": (
        lambda W, X, Y, lam: data(W, X, Y) - 2 * lam * W,
        "claimed - autodiff = -4·lam·W: the regularization term has the wrong sign"),
    "missing 1/N next to a regularization term": (
        lambda W, X, Y, lam: data(W, X, Y) * X.shape[0] + 2 * lam * W,
        "the data term is N × too large: a missing 1/N"),
    "regularization divided by N": (
        lambda W, X, Y, lam: data(W, X, Y) + 2 * lam * W / X.shape[0],
        "the regularization term is divided by N (penalty lam‖W‖²)"),
}

_RESULTS: dict = {}


def _check(name):
    if name not in _RESULTS:
        _RESULTS[name] = dc.check_gradient(loss, CASES[name][0], space=SPACE, wrt="W",
                                           profile="quick")
    return _RESULTS[name]


@pytest.mark.parametrize("name", list(CASES))
def test_a_wrong_regularized_gradient_is_refuted_and_named(name):
    r = _check(name)
    assert r.status == "refuted"
    assert CASES[name][1] in r.diagnosis


@pytest.mark.parametrize("name", list(CASES))
def test_the_name_of_one_mistake_is_not_given_to_another(name):
    for other in CASES:
        if other != name:
            assert CASES[name][1] not in _check(other).diagnosis, other


def test_the_right_regularized_gradient_verifies_without_diagnosis():
    r = dc.check_gradient(loss, lambda W, X, Y, lam: data(W, X, Y) + 2 * lam * W, space=SPACE,
                          wrt="W", profile="quick")
    assert r.status == "verified", str(r)
    assert r.diagnosis is None


# -- the same mistakes against NumPy code (finite differences), and in float32 mode -------------

def loss_numpy(W, X, Y, lam):  # the same loss in NumPy: JAX cannot trace it, so the truth is
    s = X @ W                   # finite differences, and its terms are not in a jaxpr
    s = s - s.max(axis=1, keepdims=True)
    logp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
    return -np.mean(np.sum(Y * logp, axis=-1)) + lam * np.sum(W ** 2)


@pytest.mark.parametrize("name", list(CASES))
def test_against_a_numpy_reference_each_mistake_gets_the_same_name(name):
    r = dc.check_gradient(loss_numpy, CASES[name][0], space=SPACE, wrt="W", profile="quick")
    assert (r.status, r.oracle) == ("refuted", "finite differences"), str(r)
    assert CASES[name][1].replace("autodiff", "finite differences") in r.diagnosis


def test_without_the_terms_finite_differences_find_the_data_term_goes_unnamed(monkeypatch):
    from derivcheck._engine._fd_check import FiniteDifferenceChecker

    monkeypatch.setattr(FiniteDifferenceChecker, "strength_terms", lambda *a: None)  # the twin
    r = dc.check_gradient(loss_numpy, CASES["missing 1/N next to a regularization term"][0],
                          space=SPACE, wrt="W", profile="quick")
    assert r.status == "refuted"
    assert "missing 1/N" not in r.diagnosis, r.diagnosis


@pytest.mark.parametrize("name", list(CASES))
def test_in_float32_mode_each_mistake_gets_the_same_name(name):
    r = dc.check_gradient(loss, CASES[name][0], space=SPACE, wrt="W", profile="quick",
                          dtype="float32")
    assert r.status == "refuted", str(r)
    assert CASES[name][1] in r.diagnosis


def test_in_float32_mode_coefficients_matched_as_in_float64_go_unnamed(monkeypatch):  # twin
    from derivcheck._diagnose import _names

    # the float64 match, 1e-8, over the ratio of thresholds the diagnosis widens it by
    monkeypatch.setattr(_names, "MATCH", 1e-8 * dc_threshold_ratio())
    r = dc.check_gradient(loss, CASES["missing 1/N next to a regularization term"][0],
                          space=SPACE, wrt="W", profile="quick", dtype="float32")
    assert r.status == "refuted"
    assert "missing 1/N" not in r.diagnosis, r.diagnosis


def dc_threshold_ratio() -> float:
    from derivcheck import _tolerance as tol

    return tol.THRESHOLD / tol.threshold("float32")

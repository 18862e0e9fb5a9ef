"""Diagnosis by fitted coefficients, on NumPy values: each named mistake, and only it.

The claimed and true values are computed here in NumPy (a softmax loss with
an L2 or L1 penalty); the claim only supplies the reference whose additive
terms the diagnosis finds. Every case is also a negative control for the
others: a mistake's name must not appear in any other mistake's diagnosis.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import derivcheck as dc
from derivcheck._diagnose import diagnose

SPACE = dc.Space(W=dc.real("D K"), X=dc.real("N D"), Y=dc.one_hot("N K"), lam=dc.positive())


def loss_l2(W, X, Y, lam):
    return -jnp.mean(jnp.sum(Y * jax.nn.log_softmax(X @ W), axis=-1)) + lam * jnp.sum(W ** 2)


def loss_l1(W, X, Y, lam):
    return -jnp.mean(jnp.sum(Y * jax.nn.log_softmax(X @ W), axis=-1)) + lam * jnp.sum(jnp.abs(W))


L2 = dc.gradient(loss_l2, lambda W: W, space=SPACE, wrt="W")
L1 = dc.gradient(loss_l1, lambda W: W, space=SPACE, wrt="W")


def inputs(sizes, seed=0):
    """One input per (N, D, K) in ``sizes``: several sizes tell N apart from a constant."""
    rng = np.random.default_rng(seed)
    out = []
    for n, d, k in sizes:
        out.append({"W": rng.uniform(-1, 1, (d, k)), "X": rng.uniform(-1, 1, (n, d)),
                    "Y": np.eye(k)[rng.integers(k, size=n)],
                    "lam": np.asarray(rng.uniform(0.5, 2))})
    return out


def data_grad(x):
    z = x["X"] @ x["W"]
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    return x["X"].T @ (p - x["Y"]) / x["X"].shape[0]


def n_of(x):
    return x["X"].shape[0]


SIZES = [(5, 3, 4), (7, 2, 3), (3, 4, 2)]  # (N, D, K): no two dimensions alike

# name: (reference claim, claimed(x), a phrase only this mistake's diagnosis has)
L2_CASES = {
    "regularization missing": (
        L2, lambda x: data_grad(x),
        "claimed - autodiff = -2·lam·W: the regularization term is missing (penalty lam‖W‖²)"),
    "regularization gradient lam/2": (
        L2, lambda x: data_grad(x) + 0.5 * x["lam"] * x["W"],
        "the claimed regularization gradient is 1/2·lam·W, but the penalty lam‖W‖² gives "
        "2·lam·W"),
    "regularization sign flipped": (
        L2, lambda x: data_grad(x) - 2 * x["lam"] * x["W"],
        "claimed - autodiff = -4·lam·W: the regularization term has the wrong sign"),
    "regularization gradient -lam W": (
        L2, lambda x: data_grad(x) - x["lam"] * x["W"],
        "the claimed regularization gradient is -lam·W, but the penalty lam‖W‖² gives 2·lam·W"),
    "data term missing 1/N": (
        L2, lambda x: n_of(x) * data_grad(x) + 2 * x["lam"] * x["W"],
        "claimed - autodiff = (N - 1)·data term: the data term is N × too large: a missing 1/N"),
    "regularization divided by N": (
        L2, lambda x: data_grad(x) + 2 * x["lam"] * x["W"] / n_of(x),
        "the regularization term is divided by N (penalty lam‖W‖²)"),
    "data term doubled": (
        L2, lambda x: 2 * data_grad(x) + 2 * x["lam"] * x["W"],
        "the data term is 2 × its value"),
    "L1 regularization missing": (
        L1, lambda x: data_grad(x),
        "claimed - autodiff = -lam·sign(W): the regularization term is missing "
        "(penalty lam‖W‖₁)"),
    "L1 written as L2": (
        L1, lambda x: data_grad(x) + 2 * x["lam"] * x["W"],
        "claimed - autodiff = -lam·sign(W) + 2·lam·W: the regularization term is missing "
        "(penalty lam‖W‖₁); an extra term 2·lam·W"),
}


def _truth(claim, x):
    if claim is L1:
        return data_grad(x) + x["lam"] * np.sign(x["W"])
    return data_grad(x) + 2 * x["lam"] * x["W"]


def _diagnosis(claim, claimed, xs):
    return diagnose([claimed(x) for x in xs], [_truth(claim, x) for x in xs], xs, claim=claim)


@pytest.mark.parametrize("name", list(L2_CASES))
def test_each_mistake_is_named_by_its_fitted_coefficients(name):
    claim, claimed, phrase = L2_CASES[name]
    assert phrase in _diagnosis(claim, claimed, inputs(SIZES))


@pytest.mark.parametrize("name", list(L2_CASES))
def test_no_other_mistake_gets_that_name(name):
    phrase = L2_CASES[name][2]
    xs = inputs(SIZES, seed=1)
    for other, (claim, claimed, _) in L2_CASES.items():
        if other != name:
            assert phrase not in _diagnosis(claim, claimed, xs), other


@pytest.mark.parametrize("claim", [L2, L1], ids=["L2", "L1"])
def test_the_right_gradient_gets_no_diagnosis(claim):
    xs = inputs(SIZES)
    assert _diagnosis(claim, lambda x: _truth(claim, x), xs) is None


def test_regularization_over_n_is_not_called_minus_lam_w_at_n_equal_2():
    claim, claimed, _ = L2_CASES["regularization divided by N"]
    text = _diagnosis(claim, claimed, inputs([(2, 3, 4), (5, 3, 4)]))
    assert "divided by N" in text and "-lam·W" not in text


def test_one_input_size_names_both_readings_of_an_ambiguous_coefficient():
    claim, claimed, _ = L2_CASES["regularization divided by N"]
    text = _diagnosis(claim, claimed, inputs([(2, 3, 4), (2, 3, 4)]))
    assert "regularization gradient is lam·W" in text  # the constant reading, 1/2
    assert "or 1/N × its value: inputs of one size cannot tell" in text


def test_a_regularization_term_the_reference_lacks_is_named_by_its_formula():
    plain = dc.gradient(lambda W, X, Y, lam: -jnp.mean(jnp.sum(Y * jax.nn.log_softmax(X @ W),
                                                                axis=-1)),
                        lambda W: W, space=SPACE, wrt="W")
    xs = inputs(SIZES)
    text = diagnose([data_grad(x) + 3 * x["lam"] * x["W"] for x in xs],
                    [data_grad(x) for x in xs], xs, claim=plain)
    assert text == "looks like a regularization term: claimed - autodiff = 3·lam·W"


PLAIN = dc.gradient(lambda W, X, Y, lam: -jnp.mean(jnp.sum(Y * jax.nn.log_softmax(X @ W),
                                                            axis=-1)),
                    lambda W: W, space=SPACE, wrt="W")


def test_a_one_number_counterexample_is_not_fitted_to_a_term():
    # D = K = 1: claimed - autodiff is one number (here 10, the claim off by a constant),
    # which c·sign(W) fits whatever it is; it was named "10·sign(W)"
    xs = inputs([(1, 1, 1)])
    text = diagnose([data_grad(x) + 10.0 for x in xs], [data_grad(x) for x in xs], xs,
                    claim=PLAIN)
    assert "sign(W)" not in text and "regularization term:" not in text, text


def test_a_term_is_still_named_from_an_input_of_more_numbers_than_coefficients():
    xs = inputs([(1, 2, 1)])  # W holds two numbers: one coefficient is checked by the other
    text = diagnose([data_grad(x) + 3 * x["lam"] * x["W"] for x in xs],
                    [data_grad(x) for x in xs], xs, claim=PLAIN)
    assert text == "looks like a regularization term: claimed - autodiff = 3·lam·W"


def test_a_reference_jax_cannot_trace_still_gets_the_plain_bases():
    def numpy_loss(W, X, Y, lam):
        return float(np.sum(np.asarray(W) ** 2))  # NumPy: no jaxpr, no terms

    claim = dc.gradient(numpy_loss, lambda W: W, space=SPACE, wrt="W")
    xs = inputs(SIZES)
    text = diagnose([data_grad(x) for x in xs], [data_grad(x) + 2 * x["lam"] * x["W"]
                                                  for x in xs], xs, claim=claim)
    assert text == "looks like a regularization term: claimed - autodiff = -2·lam·W"


# -- near-threshold context ----------------------------------------------------

def test_a_tiny_discrepancy_reads_as_a_numerical_approximation():
    xs = inputs(SIZES)
    ts = [_truth(L2, x) for x in xs]
    rng = np.random.default_rng(3)
    gs = [t + 2e-6 * np.max(np.abs(t)) * rng.uniform(-1, 1, t.shape) for t in ts]
    text = diagnose(gs, ts, xs, claim=L2)
    assert text.startswith("differs by at most ")
    assert text.endswith("relative: consistent with a numerical approximation, "
                         "not a wrong formula")
    worst = float(text.split()[4])
    assert 1e-6 < worst <= 2e-6


def test_a_large_unexplained_discrepancy_is_not_called_an_approximation():
    xs = inputs(SIZES)
    ts = [_truth(L2, x) for x in xs]
    rng = np.random.default_rng(3)
    gs = [t + 0.3 * np.max(np.abs(t)) * rng.uniform(-1, 1, t.shape) for t in ts]
    assert diagnose(gs, ts, xs, claim=L2).startswith("no simple relation fits")


# -- a reference without a penalty: its own terms -------------------------------

POISSON = dc.Space(b=dc.real("D"), X=dc.real("N D"), y=dc.real("N"))


def poisson_loglike(b, X, y):
    z = X @ b
    return jnp.sum(y * z) - jnp.sum(jnp.exp(z))


POISSON_CLAIM = dc.gradient(poisson_loglike, lambda b: b, space=POISSON, wrt="b")


def _poisson(seed=0):
    rng = np.random.default_rng(seed)
    xs = [{"b": rng.uniform(-1, 1, d), "X": rng.uniform(-1, 1, (n, d)),
           "y": rng.integers(0, 5, n).astype(float)} for n, d in ((5, 3), (4, 2))]
    data = [x["X"].T @ x["y"] for x in xs]
    rate = [x["X"].T @ np.exp(x["X"] @ x["b"]) for x in xs]
    return xs, data, rate


def test_a_missing_term_of_a_reference_without_penalty_is_named_by_its_position():
    xs, data, rate = _poisson()
    ts = [d - r for d, r in zip(data, rate, strict=True)]
    text = diagnose([-r for r in rate], ts, xs, claim=POISSON_CLAIM)
    assert text == ("claimed - autodiff = -(term 1): term 1 of the reference's 2 "
                    "(in the order written) is missing")


def test_a_wrong_term_of_a_reference_without_penalty_gets_another_name():
    xs, data, rate = _poisson()
    ts = [d - r for d, r in zip(data, rate, strict=True)]
    text = diagnose([d + r for d, r in zip(data, rate, strict=True)], ts, xs,
                    claim=POISSON_CLAIM)
    assert "term 2 of the reference's 2 (in the order written) has the wrong sign" in text
    assert "term 1" not in text

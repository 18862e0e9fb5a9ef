
"""Course-style NumPy code, right and wrong, checked through the public API as written.

No wrappers: each function goes to derivcheck exactly as a student would
hand it in (``(loss, dW)`` functions, backward passes that take ``dout`` and
the forward inputs by name). References that JAX cannot trace are
differentiated by finite differences. Every right version must verify and
every wrong one must be refuted (or, for a wrong shape, be an error that
says what to do).
"""

from __future__ import annotations

import re

import classifier_softmax
import classifier_svm
import logistic_newton
import nn_layers as layers
import pytest

import derivcheck as dc

PROFILE = "quick"

CLASSIFIER_SPACE = dc.Space(W=dc.real("D C"), X=dc.real("N D"), y=dc.labels("N", classes="C"),
                            reg=dc.positive())

CLASSIFIERS = [(m, f) for m in (classifier_softmax, classifier_svm) for f in m.RIGHT]
WRONG_CLASSIFIERS = [(m, f) for m in (classifier_softmax, classifier_svm) for f in m.WRONG]


def _id(case):
    module, fn = case
    return f"{module.__name__}.{fn.__name__}"


@pytest.mark.parametrize("case", CLASSIFIERS, ids=_id)
def test_a_right_loss_and_gradient_function_is_verified_by_finite_differences(case):
    _, loss_and_grad = case
    r = dc.check_gradient(loss_and_grad, space=CLASSIFIER_SPACE, wrt="W", profile=PROFILE)
    assert r.status == "verified", str(r)
    assert r.oracle == "finite differences"
    assert r.examples > 0 and r.accuracy < 1e-6


@pytest.mark.parametrize("case", WRONG_CLASSIFIERS, ids=_id)
def test_a_wrong_loss_and_gradient_function_is_refuted(case):
    _, loss_and_grad = case
    r = dc.check_gradient(loss_and_grad, space=CLASSIFIER_SPACE, wrt="W", profile=PROFILE)
    assert r.status == "refuted", str(r)
    assert r.oracle == "finite differences"
    assert r.counterexample is not None


def test_a_transposed_gradient_is_diagnosed_as_a_transpose():
    r = dc.check_gradient(classifier_softmax.wrong_transposed_gradient, space=CLASSIFIER_SPACE,
                          wrt="W", profile=PROFILE)
    assert r.status == "refuted"
    assert "transpose" in r.diagnosis and "finite differences" in r.diagnosis


def test_a_numpy_loss_and_gradient_pair_checks_with_one_call():
    def loss(W, X, y, reg):
        return classifier_softmax.softmax_loss_vectorized(W, X, y, reg)[0]

    def grad(W, X, y, reg):
        return classifier_softmax.softmax_loss_naive(W, X, y, reg)[1]

    right = dc.check_gradient(loss, grad, space=CLASSIFIER_SPACE, wrt="W", profile=PROFILE)
    assert (right.status, right.oracle) == ("verified", "finite differences")

    def grad_without_reg(W, X, y, reg):
        return classifier_softmax.wrong_dropped_regularization(W, X, y, reg)[1]

    wrong = dc.check_gradient(loss, grad_without_reg, space=CLASSIFIER_SPACE, wrt="W",
                              profile=PROFILE)
    assert wrong.status == "refuted"


AFFINE_SPACE = dc.Space(x=dc.real("N D"), w=dc.real("D M"), b=dc.real("M"), dout=dc.real("N M"))
BATCHNORM_SPACE = dc.Space(x=dc.real("N D"), gamma=dc.real("D"), beta=dc.real("D"),
                           dout=dc.real("N D"), dims={"N": (2, 8)})
RELU_SPACE = dc.Space(x=dc.real("N D"), dout=dc.real("N D"))

BACKWARDS = {
    "affine": (layers.affine_forward, AFFINE_SPACE, ("x", "w", "b"), [layers.affine_backward],
               {layers.wrong_affine_transposed_dw: ("verified", "refuted", "verified"),
                layers.wrong_affine_db_mean: ("verified", "verified", "refuted"),
                layers.wrong_affine_db_keepdims: ("verified", "verified", "error")}),
    "batchnorm": (layers.batchnorm_forward, BATCHNORM_SPACE, ("x", "gamma", "beta"),
                  [layers.batchnorm_backward, layers.batchnorm_backward_alt],
                  {layers.wrong_batchnorm_dgamma_unnormalized: ("verified", "refuted", "verified"),
                   layers.wrong_batchnorm_dx_missing_variance_term:
                       ("refuted", "verified", "verified")}),
    "relu": (layers.relu_forward, RELU_SPACE, ("x",), [layers.relu_backward],
             {layers.wrong_relu_masks_by_dout: ("refuted",),
              layers.wrong_relu_forgets_dout: ("refuted",)}),
}
RIGHT_BACKWARDS = [(layer, bw) for layer, case in BACKWARDS.items() for bw in case[3]]
WRONG_BACKWARDS = [(layer, bw, want) for layer, case in BACKWARDS.items()
                   for bw, want in case[4].items()]


@pytest.mark.parametrize(("layer", "backward"), RIGHT_BACKWARDS,
                         ids=[bw.__name__ for _, bw in RIGHT_BACKWARDS])
def test_a_right_backward_pass_gets_one_verdict_with_a_verified_line_per_output(layer, backward):
    forward, space, wrt, _, _ = BACKWARDS[layer]
    r = dc.check_vjp(forward, backward, space=space, wrt=wrt, cotangent="dout", profile=PROFILE)
    assert r.status == "verified", str(r)
    assert [ln.latex for ln in r.lines] == [f"∂/∂{name}" for name in wrt]
    assert all(ln.status == "verified" for ln in r.lines)


@pytest.mark.parametrize(("layer", "backward", "want"), WRONG_BACKWARDS,
                         ids=[bw.__name__ for _, bw, _ in WRONG_BACKWARDS])
def test_a_wrong_backward_pass_is_refuted_on_exactly_the_wrong_output(layer, backward, want):
    forward, space, wrt, _, _ = BACKWARDS[layer]
    r = dc.check_vjp(forward, backward, space=space, wrt=wrt, cotangent="dout", profile=PROFILE)
    assert tuple(ln.status for ln in r.lines) == want, str(r)
    assert r.status == dc.Status.worst(want)


def test_a_keepdims_bias_gradient_says_to_squeeze_it():
    forward, space, wrt, _, _ = BACKWARDS["affine"]
    r = dc.check_vjp(forward, layers.wrong_affine_db_keepdims, space=space, wrt=wrt,
                     profile=PROFILE)
    assert re.fullmatch(r"returns shape \(1, (\d+)\), but the truth has shape \(\1,\); the "
                        r"claimed value has an extra axis of length 1; squeeze it",
                        r.lines[2].message), r.lines[2].message


def test_the_batchnorm_forward_pass_in_numpy_is_differentiated_by_finite_differences():
    forward, space, wrt, rights, _ = BACKWARDS["batchnorm"]
    r = dc.check_vjp(forward, rights[0], space=space, wrt=wrt, profile=PROFILE)
    assert r.oracle == "finite differences"
    jax_forward = dc.check_vjp(layers.affine_forward, layers.affine_backward, space=AFFINE_SPACE,
                               wrt=("x", "w", "b"), profile=PROFILE)
    assert jax_forward.oracle == "autodiff"  # the twin: x.dot(w) + b traces, so autodiff


LOGISTIC_SPACE = dc.Space(theta=dc.real("D"), X=dc.real("N D"), y=dc.binary("N"),
                          reg=dc.positive())


def test_the_logistic_hessian_is_verified_and_its_wrong_versions_refuted():
    right = dc.check_hessian(logistic_newton.loss, logistic_newton.hessian,
                             space=LOGISTIC_SPACE, wrt="theta", profile=PROFILE)
    assert (right.status, right.oracle) == ("verified", "finite differences")
    for wrong in (logistic_newton.wrong_hessian_h_not_h1mh,
                  logistic_newton.wrong_hessian_missing_mean):
        r = dc.check_hessian(logistic_newton.loss, wrong, space=LOGISTIC_SPACE, wrt="theta",
                             profile=PROFILE)
        assert r.status == "refuted", wrong.__name__


def test_a_hessian_vector_product_is_checked_without_forming_the_hessian():
    space = dc.Space(theta=dc.real("D"), X=dc.real("N D"), y=dc.binary("N"), reg=dc.positive(),
                     v=dc.real("D"))
    right = dc.check_hvp(logistic_newton.loss, logistic_newton.hvp, space=space, wrt="theta",
                         vector="v", profile=PROFILE)
    wrong = dc.check_hvp(logistic_newton.loss, logistic_newton.wrong_hvp_dropped_regularization,
                         space=space, wrt="theta", vector="v", profile=PROFILE)
    assert (right.status, wrong.status) == ("verified", "refuted")


def test_the_logistic_hessian_is_positive_semidefinite_and_its_negation_is_not():
    def convex(theta, X, y, reg):
        return dc.is_psd(logistic_newton.hessian(theta, X, y, reg))

    def concave(theta, X, y, reg):
        return dc.is_psd(-logistic_newton.hessian(theta, X, y, reg))

    assert dc.check_holds(convex, space=LOGISTIC_SPACE, profile=PROFILE).status == "verified"
    assert dc.check_holds(concave, space=LOGISTIC_SPACE, profile=PROFILE).status == "refuted"


def test_a_newton_step_is_checked_against_one_computed_by_autodiff():
    import jax
    import jax.numpy as jnp

    def J(theta, X, y, reg):
        z = X @ theta
        return jnp.mean(jnp.logaddexp(0.0, z) - y * z) + reg * theta @ theta

    def newton(theta, X, y, reg):
        H = jax.hessian(J)(theta, X, y, reg)
        return theta - jnp.linalg.solve(H, jax.grad(J)(theta, X, y, reg))

    right = dc.check_equal(newton, logistic_newton.newton_step, space=LOGISTIC_SPACE,
                           profile=PROFILE)
    wrong = dc.check_equal(newton, logistic_newton.wrong_newton_step_plus,
                           space=LOGISTIC_SPACE, profile=PROFILE)
    assert (right.status, wrong.status) == ("verified", "refuted")

"""NumPy code, the finite-difference oracle, shape hints and float32, through the public API."""

from __future__ import annotations

import functools
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import derivcheck as dc

Q = "quick"
SPACE = dc.Space(W=dc.real("D K"), X=dc.real("N D"), y=dc.labels("N", classes="K"))


def ce_jax(W, X, y):
    logp = jax.nn.log_softmax(X @ W, axis=-1)
    return -jnp.mean(logp[jnp.arange(X.shape[0]), y])


def ce_numpy(W, X, y):
    s = X @ W
    s = s - s.max(axis=1, keepdims=True)
    return -np.mean(s[range(len(y)), y] - np.log(np.exp(s).sum(axis=1)))


def probs(W, X):
    p = np.exp(X @ W - (X @ W).max(axis=1, keepdims=True))
    return p / p.sum(axis=1, keepdims=True)


# -- claimed sides in NumPy, against a JAX reference: the idioms that used to be errors --------

def grad_fancy_range(W, X, y):
    p = probs(W, X)
    p[range(len(y)), y] -= 1  # fancy indexing with range, in-place
    return X.T @ p / len(y)


def grad_boolean_mask(W, X, y):
    onehot = np.zeros((len(y), W.shape[1]))
    onehot[np.arange(len(y)), y] = 1
    d = probs(W, X) - onehot
    d[np.abs(d) <= 0] = 0  # boolean-mask assignment (changes nothing)
    return X.T @ d / len(y)


def grad_shuffled(W, X, y):
    order = np.random.permutation(len(y))  # noqa: NPY002 - np.random inside, on purpose
    return grad_fancy_range(W, X[order], y[order])


@pytest.mark.parametrize("grad", [grad_fancy_range, grad_boolean_mask, grad_shuffled],
                         ids=lambda f: f.__name__)
def test_numpy_idioms_in_a_claimed_gradient_run_with_numpy_semantics(grad):
    r = dc.check_gradient(ce_jax, grad, space=SPACE, wrt="W", profile=Q)
    assert (r.status, r.oracle) == ("verified", "autodiff"), str(r)


@pytest.mark.parametrize("grad", [grad_fancy_range, grad_boolean_mask, grad_shuffled],
                         ids=lambda f: f.__name__)
def test_the_same_idioms_with_a_sign_error_are_refuted(grad):
    r = dc.check_gradient(ce_jax, lambda W, X, y: -grad(W, X, y), space=SPACE, wrt="W",
                          profile=Q)
    assert r.status == "refuted"
    assert r.diagnosis == "looks like a sign error: claimed = -1 × autodiff"


def test_a_numpy_line_that_fails_on_numpy_arrays_too_is_an_error_with_its_own_message():
    def broken(W, X, y):
        return probs(W, X)[range(len(y)), y, 0]  # too many indices, in NumPy as well

    r = dc.check_gradient(ce_jax, broken, space=SPACE, wrt="W", profile=Q)
    assert r.status == "error"
    assert r.message.startswith("raised IndexError") and "NumPy arrays" in r.message


# -- the finite-difference oracle ---------------------------------------------------------------

def test_a_numpy_reference_is_differentiated_by_finite_differences():
    def grad(W, X, y):
        return jax.grad(ce_jax)(W, X, y)

    r = dc.check_gradient(ce_numpy, grad, space=SPACE, wrt="W", profile=Q)
    assert (r.status, r.oracle) == ("verified", "finite differences")
    assert 0 < r.accuracy < 1e-7
    twin = dc.check_gradient(ce_jax, grad, space=SPACE, wrt="W", profile=Q)
    assert (twin.oracle, twin.accuracy) == ("autodiff", None)


def test_a_wrong_gradient_against_a_numpy_reference_is_refuted_and_diagnosed():
    r = dc.check_gradient(ce_numpy, lambda W, X, y: 2 * grad_fancy_range(W, X, y), space=SPACE,
                          wrt="W", profile=Q)
    assert r.status == "refuted"
    assert r.diagnosis.startswith("looks like a wrong factor: claimed = 2")
    assert r.diagnosis.endswith("× finite differences")


def test_a_reference_declared_numpy_is_never_traced():
    seen = []

    @dc.numpy_fn
    def loss(W, X, y):
        seen.append(type(W))
        return ce_numpy(W, X, y)

    r = dc.check_gradient(loss, grad_fancy_range, space=SPACE, wrt="W", profile=Q)
    assert (r.status, r.oracle) == ("verified", "finite differences")
    assert set(seen) == {np.ndarray}
    traced = dc.check_gradient(ce_jax, grad_fancy_range, space=SPACE, wrt="W", profile=Q)
    assert traced.oracle == "autodiff"  # the twin: undeclared JAX code is traced


def test_a_reference_that_fails_on_numpy_arrays_too_is_an_error_naming_its_exception():
    def loss(W, X, y):
        return ce_numpy(W, X, y) + undefined_name  # noqa: F821

    r = dc.check_gradient(loss, grad_fancy_range, space=SPACE, wrt="W", profile=Q)
    assert r.status == "error"
    assert "NameError" in r.message and "fix the function" in r.message


def test_finite_difference_noise_of_a_float32_reference_never_refutes_a_right_gradient():
    def loss32(W, X, y):  # computes in float32 inside, returns a Python float
        return float(ce_numpy(W.astype(np.float32), X.astype(np.float32), y))

    right = dc.check_gradient(loss32, grad_fancy_range, space=SPACE, wrt="W", profile=Q)
    assert right.status == "verified", str(right)
    assert right.examples >= 24
    assert right.accuracy > 1e-7  # it knows the truth is only float32-accurate
    wrong = dc.check_gradient(loss32, lambda W, X, y: 1.1 * grad_fancy_range(W, X, y),
                              space=SPACE, wrt="W", profile=Q)
    assert wrong.status == "refuted"  # the twin: a 10% error is far above that noise


def test_a_reference_too_noisy_for_finite_differences_is_not_refuted_and_says_why():
    def loss16(W, X, y):  # float16 inside: finite differences cannot resolve its slope
        return float(ce_numpy(W.astype(np.float16), X.astype(np.float16), y))

    r = dc.check_gradient(loss16, grad_fancy_range, space=SPACE, wrt="W", profile=Q)
    assert r.status != "refuted", str(r)  # a right gradient, never refuted on that noise
    assert "finite differences resolved the reference's derivative at only" in r.message


# -- a reference that cancels at some inputs: log(1 - σ(z)) at a large z -----------------------
LOGISTIC = dc.Space(w=dc.real("d"), X=dc.real("m d"), y=dc.binary("m"))


def logistic_loss_numpy(w, X, y, scale=1.0):  # the textbook form, as students write it
    s = 1 / (1 + np.exp(-X @ w))
    return scale * -np.mean(y * np.log(s) + (1 - y) * np.log(1 - s))


def logistic_grad(w, X, y, scale=1.0, factor=1.0):
    s = 1 / (1 + np.exp(-X @ w))
    return scale * factor * X.T @ (s - y) / X.shape[0]


# (scale, seed) pairs where the right gradient was refuted before the local precision
# was measured (1 - σ(20) keeps 8 of 16 digits there)
CANCELLING = [(1e12, 0), (1.0, 2), (1e-12, 1)]


@pytest.mark.parametrize(("scale", "seed"), CANCELLING)
def test_a_right_gradient_is_verified_where_the_numpy_reference_cancels(scale, seed):
    r = dc.check_gradient(functools.partial(logistic_loss_numpy, scale=scale),
                          functools.partial(logistic_grad, scale=scale),
                          space=LOGISTIC, wrt="w", seed=seed)
    assert (r.status, r.oracle) == ("verified", "finite differences"), str(r)


@pytest.mark.parametrize(("scale", "seed"), CANCELLING)
def test_a_gradient_off_by_a_tenth_of_a_percent_is_still_refuted_there(scale, seed):  # twin
    r = dc.check_gradient(functools.partial(logistic_loss_numpy, scale=scale),
                          functools.partial(logistic_grad, scale=scale, factor=1.001),
                          space=LOGISTIC, wrt="w", seed=seed)
    assert r.status == "refuted", str(r)


def test_a_sign_error_against_a_numpy_reference_is_named_at_scale_1e_minus_12():
    r = dc.check_gradient(functools.partial(logistic_loss_numpy, scale=1e-12),
                          functools.partial(logistic_grad, scale=1e-12, factor=-1.0),
                          space=LOGISTIC, wrt="w")
    assert r.status == "refuted", str(r)
    assert r.diagnosis == "looks like a sign error: claimed = -1 × finite differences"


def test_judged_against_an_absolute_unit_of_1_the_same_mistake_goes_unnamed(monkeypatch):
    from derivcheck._engine import _diagnosis  # the twin: how finite differences were judged

    monkeypatch.setattr(_diagnosis, "_unit", lambda ck, b: 1.0)
    r = dc.check_gradient(functools.partial(logistic_loss_numpy, scale=1e-12),
                          functools.partial(logistic_grad, scale=1e-12, factor=-1.0),
                          space=LOGISTIC, wrt="w")
    assert r.status == "refuted"
    assert r.diagnosis is None


def test_without_the_local_precision_the_right_gradient_is_refuted(monkeypatch):
    from derivcheck._engine import _fd_recheck

    monkeypatch.setattr(_fd_recheck, "NOISIER", float("inf"))  # never checked again
    scale, seed = CANCELLING[0]
    r = dc.check_gradient(functools.partial(logistic_loss_numpy, scale=scale),
                          functools.partial(logistic_grad, scale=scale),
                          space=LOGISTIC, wrt="w", seed=seed)
    assert r.status == "refuted"  # what the test above guards against


ABS_SPACE = dc.Space(x=dc.real("D"))


def test_a_subgradient_at_a_kink_of_a_numpy_reference_is_accepted():
    r = dc.check_gradient(lambda x: float(np.abs(x).sum()), np.sign, space=ABS_SPACE, wrt="x",
                          profile=Q)
    assert r.status == "verified", str(r)


def test_a_value_outside_the_subdifferential_is_refuted():
    r = dc.check_gradient(lambda x: float(np.abs(x).sum()), lambda x: 2 * np.sign(x),
                          space=ABS_SPACE, wrt="x", profile=Q)
    assert r.status == "refuted"


def _svm_loss(W, X, y, reg):
    import jax.numpy as jnp

    n = X.shape[0]
    s = X @ W
    m = jnp.maximum(0, s - s[jnp.arange(n), y][:, None] + 1)
    m = m.at[jnp.arange(n), y].set(0)
    return m.sum() / n + reg * jnp.sum(W * W)


def _svm_grad_numpy(tie_value):
    """cs231n's svm_loss_vectorized gradient (in-place NumPy); a margin exactly at 0 (a
    tie) counts ``tie_value`` of the class's column (0 as written: a valid subgradient)."""
    def grad(W, X, y, reg):
        n = X.shape[0]
        s = X.dot(W)
        margins = s - s[np.arange(n), y][:, None] + 1
        m = np.maximum(0, margins)
        m[np.arange(n), y] = 0
        mask = (m > 0).astype(float)
        mask[(margins == 0) & (m == 0)] = tie_value
        mask[np.arange(n), y] = 0
        mask[np.arange(n), y] = -mask.sum(axis=1)
        return X.T.dot(mask) / n + 2 * reg * W
    return grad


SVM = dc.Space(W=dc.real("D C"), X=dc.real("N D"), y=dc.labels("N", classes="C"),
               reg=dc.positive())


def test_a_numpy_subgradient_at_margin_ties_is_accepted_against_a_jax_reference():
    r = dc.check_gradient(_svm_loss, _svm_grad_numpy(0.0), space=SVM, wrt="W")
    assert r.status == "verified", str(r)
    assert "valid subgradient" in (r.message or ""), r.message


def test_a_numpy_value_outside_the_subdifferential_at_ties_is_refuted():  # the twin
    r = dc.check_gradient(_svm_loss, _svm_grad_numpy(2.0), space=SVM, wrt="W")
    assert r.status == "refuted", str(r)


def test_a_numpy_relu_mask_at_zero_is_refuted_when_exact_agreement_is_demanded():  # twin
    r = dc.check_gradient(_svm_loss, _svm_grad_numpy(0.0), space=SVM, wrt="W",
                          subgradient=False)
    assert r.status == "refuted", str(r)


def test_a_jacobian_of_numpy_code_is_checked_by_finite_differences():
    def softmax(z):
        e = np.exp(z - z.max())
        return e / e.sum()

    def jac(z):
        p = softmax(z)
        return np.diag(p) - np.outer(p, p)

    space = dc.Space(z=dc.real("K"))
    right = dc.check_jacobian(softmax, jac, space=space, wrt="z", profile=Q)
    wrong = dc.check_jacobian(softmax, lambda z: jac(z).T * 2, space=space, wrt="z", profile=Q)
    assert (right.status, right.oracle) == ("verified", "finite differences")
    assert wrong.status == "refuted"


def test_an_identity_with_a_numpy_side_uses_its_value_as_the_truth():
    space = dc.Space(z=dc.real("K"))
    r = dc.check_equal(lambda z: np.log(np.exp(z).sum()),
                       lambda z: z.max() + np.log(np.exp(z - z.max()).sum()), space=space,
                       profile=Q)
    assert r.status in ("verified", "unstable")
    wrong = dc.check_equal(lambda z: np.log(np.exp(z).sum()), lambda z: z.max(), space=space,
                           profile=Q)
    assert wrong.status == "refuted"


# -- backward functions ---------------------------------------------------------------------------

def test_a_backward_returning_the_wrong_number_of_arrays_says_what_it_should_return():
    space = dc.Space(x=dc.real("N"), w=dc.real("N"), dout=dc.real("N"))
    r = dc.check_vjp(lambda x, w: x * w, lambda x, w, dout: dout * w, space=space,
                     wrt=("x", "w"), profile=Q)
    assert r.status == "error"
    assert "it should return 2 arrays, one per wrt name (x, w), in order" in r.message


def test_a_cotangent_missing_from_the_space_is_a_clear_error():
    with pytest.raises(dc.ClaimError, match="'dout' is not an input of the space"):
        dc.vjp(lambda x: x, lambda dout: dout, space=dc.Space(x=dc.real("N")), wrt="x")


def test_a_vjp_claim_in_a_proof_file_checks_like_check_vjp():
    space = dc.Space(x=dc.real("N"), w=dc.real("N"), dout=dc.real("N"))
    claim = dc.vjp(lambda x, w: jnp.tanh(x * w),
                   lambda x, w, dout: (dout * w / jnp.cosh(x * w) ** 2,
                                       dout * x / jnp.cosh(x * w) ** 2),
                   space=space, wrt=("x", "w"), id="tanh_layer")
    r = dc.check(claim, profile=Q)
    assert r.status == "verified" and [ln.status for ln in r.lines] == ["verified"] * 2
    assert json.loads(json.dumps(r.to_dict()))["kind"] == "vjp"


# -- shape hints ----------------------------------------------------------------------------------

def test_a_claimed_row_vector_where_a_vector_is_expected_says_squeeze_it():
    space = dc.Space(w=dc.real("D"))
    r = dc.check_gradient(lambda w: (w ** 2).sum(), lambda w: 2 * w[None, :], space=space,
                          wrt="w", profile=Q)
    assert r.status == "error"
    assert r.message.endswith("the claimed value has an extra axis of length 1; squeeze it")


def test_a_claimed_vector_where_a_column_is_expected_says_how_to_reshape_it():
    space = dc.Space(w=dc.real("D 1"))
    r = dc.check_gradient(lambda w: (w ** 2).sum(), lambda w: 2 * w[:, 0], space=space, wrt="w",
                          profile=Q)
    assert r.status == "error"
    assert "lacks an axis of length 1; reshape it to" in r.message


# -- float32 --------------------------------------------------------------------------------------

def grad32(W, X, y):
    return grad_fancy_range(W.astype(np.float32), X.astype(np.float32), y)


def test_float32_code_is_verified_in_float32_mode():
    r = dc.check_gradient(ce_jax, grad32, space=SPACE, wrt="W", profile=Q, dtype="float32")
    assert r.status == "verified", str(r)
    assert r.max_error > 1e-9  # float32 rounding is visible, and within the float32 tolerance


def test_a_wrong_float32_gradient_is_refuted_in_float32_mode():
    r = dc.check_gradient(ce_jax, lambda W, X, y: 0.5 * grad32(W, X, y), space=SPACE, wrt="W",
                          profile=Q, dtype="float32")
    assert r.status == "refuted"


def test_float32_code_in_float64_mode_is_an_error_that_names_the_float32_mode():
    r = dc.check_gradient(ce_jax, grad32, space=SPACE, wrt="W", profile=Q)
    assert r.status == "error"
    assert 'dtype="float32" (--dtype float32)' in r.message


def test_an_unknown_dtype_is_refused():
    with pytest.raises(ValueError, match="unknown dtype 'float16'"):
        dc.check_gradient(ce_jax, grad32, space=SPACE, wrt="W", profile=Q, dtype="float16")


# -- the oracle in reports -------------------------------------------------------------------------

def test_a_finite_difference_result_says_so_with_its_accuracy():
    r = dc.check_gradient(ce_numpy, grad_fancy_range, space=SPACE, wrt="W", profile=Q)
    assert "truth by finite differences (accurate to " in str(r)
    d = r.to_dict()
    assert d["oracle"] == "finite differences" and d["accuracy"] == r.accuracy
    twin = dc.check_gradient(ce_jax, grad_fancy_range, space=SPACE, wrt="W", profile=Q)
    assert "finite differences" not in str(twin) and twin.to_dict()["oracle"] == "autodiff"


# -- a three-line PyTorch adapter (README "Checking NumPy code") -----------------------------------

def _readme_adapter(torch):
    import functools

    def from_torch(fn):  # the three lines of the README, as written there
        to_torch = lambda x: {k: torch.from_numpy(np.asarray(v)) for k, v in x.items()}  # noqa: E731
        return dc.numpy_fn(functools.wraps(fn)(lambda **x: fn(**to_torch(x)).detach().numpy()))

    return from_torch


class _StandInTensor(np.ndarray):
    """Just enough of a torch tensor for the adapter: ``.detach().numpy()``."""

    def detach(self):
        return self

    def numpy(self):
        return np.asarray(self)


def test_the_readme_pytorch_adapter_binds_inputs_by_name_and_declares_numpy_code():
    import types

    stand_in = types.SimpleNamespace(from_numpy=lambda a: a.view(_StandInTensor))
    from_torch = _readme_adapter(stand_in)
    seen = []

    def loss(W, X):  # only some of the space's inputs, by name
        seen.append(type(W))
        return (X @ W ** 2).sum()

    space = dc.Space(W=dc.real("D"), X=dc.real("N D"), unused=dc.real())
    right = dc.check_gradient(from_torch(loss), lambda W, X: 2 * W * X.sum(axis=0), space=space,
                              wrt="W", profile=Q)
    assert (right.status, right.oracle) == ("verified", "finite differences")
    assert set(seen) == {_StandInTensor}
    wrong = dc.check_gradient(from_torch(loss), lambda W, X: W * X.sum(axis=0), space=space,
                              wrt="W", profile=Q)
    assert wrong.status == "refuted"


def test_the_readme_pytorch_adapter_checks_a_torch_function():
    torch = pytest.importorskip("torch", reason="torch is not installed; the adapter is "
                                "documentation only (its stand-in test runs)")
    from_torch = _readme_adapter(torch)
    loss = from_torch(lambda x: (x ** 3).sum())
    space = dc.Space(x=dc.real("D"))
    right = dc.check_gradient(loss, lambda x: 3 * x ** 2, space=space, wrt="x", profile=Q)
    assert (right.status, right.oracle) == ("verified", "finite differences")
    assert dc.check_gradient(loss, lambda x: 3 * x, space=space, wrt="x",
                             profile=Q).status == "refuted"


def _softmax_reference(W, X, y):
    import jax

    return -jax.numpy.mean(jax.nn.log_softmax(X @ W)[np.arange(X.shape[0]), y])


def _unshifted_softmax_gradient(sign):
    def grad(W, X, y):  # NumPy, exp without subtracting the max: overflows in float32
        e = np.exp(X.dot(W))
        p = e / e.sum(axis=1, keepdims=True)
        p[np.arange(X.shape[0]), y] -= 1
        return sign * X.T.dot(p) / X.shape[0]
    return grad


SOFTMAX = dc.Space(W=dc.real("D C"), X=dc.real("N D"), y=dc.labels("N", classes="C"))


def test_a_numpy_line_that_overflows_in_float32_is_unstable_not_refuted():
    r = dc.check_gradient(_softmax_reference, _unshifted_softmax_gradient(1.0), space=SOFTMAX,
                          wrt="W", dtype="float32")
    assert r.status == "unstable", str(r)
    assert "not finite" in r.message


def test_the_same_numpy_line_with_its_sign_flipped_is_refuted_in_float32():  # the twin
    r = dc.check_gradient(_softmax_reference, _unshifted_softmax_gradient(-1.0), space=SOFTMAX,
                          wrt="W", dtype="float32")
    assert r.status == "refuted", str(r)


def _unshifted_softmax_loss_and_gradient(sign):
    def loss_and_grad(W, X, y):  # (loss, grad) as assignments return them, unshifted exp
        p = np.exp(X.dot(W))
        p /= p.sum(axis=1, keepdims=True)
        loss = -np.mean(np.log(p[np.arange(X.shape[0]), y]))
        p[np.arange(X.shape[0]), y] -= 1
        return loss, sign * X.T.dot(p) / X.shape[0]
    return loss_and_grad


def test_a_numpy_loss_and_gradient_that_overflow_in_float32_are_unstable_not_refuted():
    r = dc.check_gradient(_unshifted_softmax_loss_and_gradient(1.0), space=SOFTMAX, wrt="W",
                          dtype="float32")
    assert (r.status, r.oracle) == ("unstable", "finite differences"), str(r)
    assert "not finite" in r.message


def test_the_same_loss_and_gradient_with_its_sign_flipped_are_refuted_in_float32():  # twin
    r = dc.check_gradient(_unshifted_softmax_loss_and_gradient(-1.0), space=SOFTMAX, wrt="W",
                          dtype="float32")
    assert r.status == "refuted", str(r)


def test_without_the_claimed_value_as_evidence_the_overflow_is_refuted(monkeypatch):
    from derivcheck._engine._fd_check import FiniteDifferenceChecker

    monkeypatch.setattr(FiniteDifferenceChecker, "claimed_value", lambda *a: None)
    r = dc.check_gradient(_unshifted_softmax_loss_and_gradient(1.0), space=SOFTMAX, wrt="W",
                          dtype="float32")
    assert r.status == "refuted"  # what the first test above guards against


def _two_layer_net(at_tie):
    def loss_and_grad(W1, b1, W2, b2, X, y, reg):  # cs231n's two-layer net, (loss, dW1)
        z = X.dot(W1) + b1
        s = np.maximum(0, z).dot(W2) + b2
        p = np.exp(s - s.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        loss = -np.log(p[np.arange(X.shape[0]), y]).mean() + reg * (np.sum(W1 * W1)
                                                                    + np.sum(W2 * W2))
        p[np.arange(X.shape[0]), y] -= 1
        dh = p.dot(W2.T) / X.shape[0]
        dh = np.where(z > 0, dh, np.where(z == 0, at_tie * dh, 0.0))
        return loss, X.T.dot(dh) + 2 * reg * W1
    return loss_and_grad


TWO_LAYER = dc.Space(W1=dc.real("D H"), b1=dc.real("H"), W2=dc.real("H C"), b2=dc.real("C"),
                     X=dc.real("N D"), y=dc.labels("N", classes="C"), reg=dc.positive())


@pytest.mark.parametrize("seed", [0, 2, 5])  # seed 2 ties every pre-activation at 0
def test_a_numpy_two_layer_net_with_relu_ties_is_verified_by_finite_differences(seed):
    r = dc.check_gradient(_two_layer_net(0.0), space=TWO_LAYER, wrt="W1", seed=seed)
    assert (r.status, r.oracle) == ("verified", "finite differences"), str(r)


@pytest.mark.parametrize("seed", [0, 2, 5])
def test_the_same_net_with_twice_the_slope_at_ties_is_refuted(seed):  # the twin
    r = dc.check_gradient(_two_layer_net(2.0), space=TWO_LAYER, wrt="W1", seed=seed)
    assert r.status == "refuted", str(r)


def test_without_nearby_problems_the_net_is_refuted_where_relus_tie(monkeypatch):
    from derivcheck._engine import _fd_recheck

    monkeypatch.setattr(_fd_recheck, "_nearby_problem", lambda *a: None)
    r = dc.check_gradient(_two_layer_net(0.0), space=TWO_LAYER, wrt="W1", seed=2)
    assert r.status == "refuted"  # what the first test above guards against


def test_a_precision_measured_across_a_kink_makes_the_nearby_problems_unresolved(monkeypatch):
    from derivcheck._engine import _fd_check

    # measured at the first inputs even where they sit at a kink, as before: the fit
    # straddles the ReLUs tied at 0 and reads 1e-10, too coarse for the nearby problems
    monkeypatch.setattr(_fd_check, "at_kink", lambda probes: False)
    r = dc.check_gradient(_two_layer_net(0.0), space=TWO_LAYER, wrt="W1", seed=2)
    assert r.status == "refuted"


# -- backward functions at ties (check_vjp, a forward JAX can trace) ----------------------

def _relu_forward(x):
    return x * (x > 0)


def _relu_backward(at_zero):
    def backward(dout, x):  # a layer's backward in NumPy, cs231n style
        dx = np.where(x > 0, dout, 0.0)
        dx[x == 0] = at_zero * dout[x == 0]
        return dx
    return backward


RELU = dc.Space(x=dc.real("N D"), dout=dc.real("N D"))


def test_a_relu_backward_passing_dout_at_zero_is_a_valid_subgradient():
    r = dc.check_vjp(_relu_forward, _relu_backward(1.0), space=RELU, wrt="x", cotangent="dout")
    assert r.status == "verified", str(r)
    assert "valid subgradient" in (r.message or ""), r.message


def test_a_relu_backward_doubling_dout_at_zero_is_refuted():  # the twin
    r = dc.check_vjp(_relu_forward, _relu_backward(2.0), space=RELU, wrt="x", cotangent="dout")
    assert r.status == "refuted", str(r)

"""The judge's rules: ``unstable`` needs evidence of floating-point breakdown, and
verdicts do not depend on the scale of the function (issue 11, items 3 and 4).

Every "refuted" test here has a twin that verifies the correct formula, and the
literal softmax (the one unstable case) has a stable twin that verifies.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import derivcheck as dc
from derivcheck._engine._kinks import MAX_TESTED, _at_entries, _between, _distinct, _kinked


def _entries_inside(infos: list, sides: list) -> list[bool]:
    """For each off entry ``infos[k] = (g, t, c, tol_abs)``, whether it lies between
    differing one-sided values ``sides[2k]`` and ``sides[2k + 1]`` (as ``_explained``
    decides it, all entries at once)."""
    vals, gv, tol_abs = _at_entries(infos, sides)
    return [bool(v) for v in _kinked(vals, tol_abs) & _between(vals, gv, tol_abs)]

X = dc.Space(x=dc.real("D"))
XL = dc.Space(x=dc.real("D"), lam=dc.positive())


def huber(x):
    return jnp.sum(jnp.where(jnp.abs(x) <= 1.0, 0.5 * x ** 2, jnp.abs(x) - 0.5))


def clipped(x):
    return jnp.sum(jnp.clip(x, -2.0, 2.0) ** 2)


def with_penalty_past_3(x):
    return jnp.sum(x ** 2 + jnp.maximum(jnp.abs(x) - 3.0, 0.0) ** 2)


def ridge(x, lam):
    return jnp.sum(lam * x ** 2)


# name: (f, wrong gradient (finite, wrong only beyond ±1), right gradient, space)
OUTER_ONLY = {
    "huber_wrong_sign_in_outer_branch": (
        huber, lambda x: jnp.where(jnp.abs(x) <= 1.0, x, -jnp.sign(x)),
        lambda x: jnp.where(jnp.abs(x) <= 1.0, x, jnp.sign(x)), X),
    "forgotten_clip": (
        clipped, lambda x: 2 * x, lambda x: jnp.where(jnp.abs(x) <= 2.0, 2 * x, 0.0), X),
    "dropped_term_past_a_threshold": (
        with_penalty_past_3, lambda x: 2 * x,
        lambda x: 2 * x + 2 * jnp.sign(x) * jnp.maximum(jnp.abs(x) - 3.0, 0.0), X),
    "lambda_clamped_at_1": (
        ridge, lambda x, lam: 2 * jnp.minimum(lam, 1.0) * x, lambda x, lam: 2 * lam * x, XL),
}


@pytest.mark.parametrize("name", list(OUTER_ONLY))
def test_a_formula_wrong_only_beyond_one_is_refuted_not_unstable(name):
    f, wrong, _, space = OUTER_ONLY[name]
    r = dc.check_gradient(f, wrong, space=space, wrt="x", profile="quick")
    assert r.status == "refuted", str(r)
    assert r.counterexample is not None


@pytest.mark.parametrize("name", list(OUTER_ONLY))
def test_the_same_formula_written_right_is_verified(name):  # the twin
    f, _, right, space = OUTER_ONLY[name]
    r = dc.check_gradient(f, right, space=space, wrt="x", profile="quick")
    assert r.status == "verified", str(r)


def test_an_identity_that_holds_only_on_minus_one_to_one_is_refuted():
    r = dc.check_equal(lambda x: jnp.clip(x, -1.0, 1.0), lambda x: x, space=X, profile="quick")
    assert r.status == "refuted", str(r)


def test_an_identity_that_holds_everywhere_is_verified():  # the twin
    r = dc.check_equal(lambda x: jnp.clip(x, -1.0, 1.0), lambda x: jnp.minimum(
        jnp.maximum(x, -1.0), 1.0), space=X, profile="quick")
    assert r.status == "verified", str(r)


def literal_softmax(x):
    return jnp.exp(x) / jnp.sum(jnp.exp(x))


def test_the_literal_softmax_is_unstable_and_says_why():
    r = dc.check_equal(jax.nn.softmax, literal_softmax, space=X, profile="quick")
    assert r.status == "unstable", str(r)
    assert r.unstable_from is not None and r.unstable_from > 1.0
    assert "not finite" in (r.message or ""), r.message  # the evidence it rests on


def test_the_stable_softmax_is_verified():  # the twin
    r = dc.check_equal(jax.nn.softmax, lambda x: jnp.exp(x - jnp.max(x)) / jnp.sum(
        jnp.exp(x - jnp.max(x))), space=X, profile="quick")
    assert r.status == "verified", str(r)


def test_a_cancelling_formula_is_unstable_by_its_float32_evidence():
    # log(1 + e^x) - x, differentiated by hand as e^x/(1+e^x) - 1: at x ~ 40 the
    # claimed side rounds to 0 while the truth is -1/(1+e^x); float32 moves it.
    def f(x):
        return jnp.sum(jax.nn.softplus(x) - x)

    def cancelling(x):
        return jnp.exp(x) / (1 + jnp.exp(x)) - 1

    r = dc.check_gradient(f, cancelling, space=X, wrt="x", profile="quick")
    assert r.status == "unstable", str(r)


def test_the_same_gradient_without_cancellation_is_verified():  # the twin
    def f(x):
        return jnp.sum(jax.nn.softplus(x) - x)

    r = dc.check_gradient(f, lambda x: -jax.nn.sigmoid(-x), space=X, wrt="x", profile="quick")
    assert r.status == "verified", str(r)


# -- scale (item 4) -------------------------------------------------------------------

def tiny_potential(x):
    return 1e-11 * jnp.sum(jnp.sin(x))


@pytest.mark.parametrize("claimed", [
    pytest.param(lambda x: jnp.zeros_like(x), id="zero"),
    pytest.param(lambda x: -1e-11 * jnp.cos(x), id="sign_flipped"),
])
def test_a_wrong_gradient_of_a_tiny_potential_is_refuted(claimed):
    r = dc.check_gradient(tiny_potential, claimed, space=X, wrt="x", profile="quick")
    assert r.status == "refuted", str(r)


def test_the_right_gradient_of_a_tiny_potential_is_verified():  # the twin
    r = dc.check_gradient(tiny_potential, lambda x: 1e-11 * jnp.cos(x), space=X, wrt="x",
                          profile="quick")
    assert r.status == "verified", str(r)


def test_an_error_of_1e_4_on_a_gradient_of_1e_5_is_refuted_not_unstable():
    r = dc.check_gradient(lambda x: 1e-5 * jnp.sum(x ** 2) / 2,
                          lambda x: 1e-5 * x + 1e-4, space=X, wrt="x", profile="quick")
    assert r.status == "refuted", str(r)


# -- kinks (item 6) -------------------------------------------------------------------

HINGE = dc.Space(w=dc.real("D"), X=dc.real("N D"), y=dc.real("N"))
WL = dc.Space(w=dc.real("D"), lam=dc.positive())


def hinge(w, X, y):
    return jnp.sum(jnp.maximum(0.0, 1 - jnp.sign(y) * (X @ w)))


def _hinge_subgradient(active):
    def g(w, X, y):
        return -X.T @ (jnp.sign(y) * active(1 - jnp.sign(y) * (X @ w)))
    return g


SUBGRADIENTS = {
    "hinge_with_gt": (hinge, _hinge_subgradient(lambda m: m > 0), HINGE, "w"),
    "hinge_with_ge": (hinge, _hinge_subgradient(lambda m: m >= 0), HINGE, "w"),
    "relu_as_indicator": (lambda x: jnp.sum(jnp.maximum(x, 0.0)),
                          lambda x: (x > 0).astype(jnp.float64), X, "x"),
    "abs_as_sign": (lambda x: jnp.sum(jnp.abs(x)), jnp.sign, X, "x"),
    "l1_plus_l2": (lambda w, lam: lam * jnp.sum(jnp.abs(w)) + jnp.sum(w ** 2),
                   lambda w, lam: lam * jnp.sign(w) + 2 * w, WL, "w"),
    "max_by_argmax": (jnp.max, lambda x: jax.nn.one_hot(jnp.argmax(x), x.shape[0]), X, "x"),
    "linf_by_argmax": (lambda x: jnp.max(jnp.abs(x)), lambda x: jnp.sign(x) * jax.nn.one_hot(
        jnp.argmax(jnp.abs(x)), x.shape[0]), X, "x"),
}

#: Entry by entry inside the one-sided values, but not subgradients along a tie.
NOT_SUBGRADIENTS = {
    "max_as_indicator_of_every_tied_entry": (
        jnp.max, lambda x: (x == jnp.max(x)).astype(jnp.float64), X, "x"),
    "linf_as_sign_of_every_tied_entry": (
        lambda x: jnp.max(jnp.abs(x)),
        lambda x: jnp.sign(x) * (jnp.abs(x) == jnp.max(jnp.abs(x))), X, "x"),
}


@pytest.mark.parametrize("name", list(SUBGRADIENTS))
def test_a_valid_subgradient_at_kinks_is_verified_with_a_note(name):
    f, g, space, wrt = SUBGRADIENTS[name]
    r = dc.check_gradient(f, g, space=space, wrt=wrt, profile="quick")
    assert r.status == "verified", str(r)
    assert "non-differentiable point" in (r.message or ""), r.message
    assert "valid subgradient" in r.message


@pytest.mark.parametrize("name", ["relu_as_indicator", "abs_as_sign", "l1_plus_l2"])
def test_the_same_subgradient_is_refuted_when_exact_agreement_is_demanded(name):  # twin
    f, g, space, wrt = SUBGRADIENTS[name]
    r = dc.check_gradient(f, g, space=space, wrt=wrt, profile="quick", subgradient=False)
    assert r.status == "refuted", str(r)


@pytest.mark.parametrize("name", list(NOT_SUBGRADIENTS))
def test_entries_each_between_one_sided_values_but_not_a_subgradient_at_a_tie_are_refuted(
        name):  # the twin of the max and L-infinity subgradients above
    f, g, space, wrt = NOT_SUBGRADIENTS[name]
    r = dc.check_gradient(f, g, space=space, wrt=wrt, profile="quick")
    assert r.status == "refuted", str(r)


def test_a_value_outside_the_subdifferential_is_refuted():
    r = dc.check_gradient(lambda x: jnp.sum(jnp.abs(x)), lambda x: 2 * jnp.sign(x), space=X,
                          wrt="x", profile="quick")
    assert r.status == "refuted", str(r)
    # the shrinker pulls toward 0, where 2·sign(0) = 0 is a valid subgradient: the
    # counterexample must be a point where the claim is really wrong
    assert abs(r.counterexample["x"]).max() > 0, r.counterexample


SCALAR = dc.Space(x=dc.real())


def test_a_subgradient_of_a_scalar_input_at_its_kink_is_verified():
    r = dc.check_gradient(jnp.abs, jnp.sign, space=SCALAR, wrt="x", profile="quick")
    assert r.status == "verified", str(r)
    assert "valid subgradient" in (r.message or ""), r.message


def test_a_wrong_gradient_of_a_scalar_input_is_refuted_not_an_error():  # the twin
    r = dc.check_gradient(lambda x: x ** 2, lambda x: 3 * x, space=SCALAR, wrt="x",
                          profile="quick")
    assert r.status == "refuted", str(r)
    assert "3/2" in (r.diagnosis or ""), r.diagnosis


# One hidden ReLU unit written as jnp.maximum (autodiff splits a tie 1/2-1/2), a softmax
# and a weight decay; the NumPy backward takes ReLU'(0) = 0, a valid subgradient: each
# W1 entry moves one pre-activation, of one sample
RELU_NET = dc.Space(W1=dc.real("D H"), b1=dc.real("H"), W2=dc.real("H C"), b2=dc.real("C"),
                    X=dc.real("N D"), y=dc.labels("N", classes="C"), reg=dc.positive(),
                    dims={"N": 1, "D": 1, "H": 1})


def _relu_net_loss(W1, b1, W2, b2, X, y, reg):
    h = jnp.maximum(0, X @ W1 + b1)
    logp = jax.nn.log_softmax(h @ W2 + b2)
    return -logp[jnp.arange(X.shape[0]), y].mean() + reg * (jnp.sum(W1 ** 2) + jnp.sum(W2 ** 2))


def _relu_net_backward(at_tie):
    def grad(W1, b1, W2, b2, X, y, reg):
        z = X.dot(W1) + b1
        s = np.maximum(0, z).dot(W2) + b2
        p = np.exp(s - s.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        p[np.arange(X.shape[0]), y] -= 1
        dh = p.dot(W2.T) / X.shape[0]
        dh = np.where(z > 0, dh, np.where(z == 0, at_tie * dh, 0.0))
        return X.T.dot(dh) + 2 * reg * W1
    return grad


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_relu_subgradient_beside_a_weight_decay_is_verified(seed):
    # the one-sided values are taken 1e-7 away, where the decay 2·reg·W1 has moved by
    # 2e-7: more than the tolerance of a small truth, unless extrapolated back to the tie
    r = dc.check_gradient(_relu_net_loss, _relu_net_backward(0.0), space=RELU_NET, wrt="W1",
                          seed=seed)
    assert r.status == "verified", str(r)
    assert "valid subgradient" in (r.message or ""), r.message
    assert "moved a little" not in r.message  # one sample per unit: subgradients only


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_twice_the_relu_slope_at_the_tie_is_refuted_beside_the_same_decay(seed):  # twin
    r = dc.check_gradient(_relu_net_loss, _relu_net_backward(2.0), space=RELU_NET, wrt="W1",
                          seed=seed)
    assert r.status == "refuted", str(r)


# Several samples and units: the search's zeros tie every pre-activation at 0 at once,
# where backpropagation's ReLU'(0) = 0 (or 1) is no subgradient along a W1 coordinate
# (samples of opposite signs pull it apart) but is the gradient with b1 a little lower
# (higher): the convention, not a wrong formula
RELU_NETS = dc.Space(W1=dc.real("D H"), b1=dc.real("H"), W2=dc.real("H C"), b2=dc.real("C"),
                     X=dc.real("N D"), y=dc.labels("N", classes="C"), reg=dc.positive())


@pytest.mark.parametrize("at_tie", [0.0, 1.0], ids=["relu'(0)=0", "relu'(0)=1"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_backpropagation_through_tied_relus_is_verified(at_tie, seed):
    r = dc.check_gradient(_relu_net_loss, _relu_net_backward(at_tie), space=RELU_NETS,
                          wrt="W1", seed=seed)
    assert r.status == "verified", str(r)
    assert "the gradient with another input moved a little" in (r.message or ""), r.message


@pytest.mark.parametrize("at_tie", [2.0, -1.0], ids=["relu'(0)=2", "relu'(0)=-1"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_slope_at_tied_relus_no_nudge_gives_is_refuted(at_tie, seed):  # the twin
    r = dc.check_gradient(_relu_net_loss, _relu_net_backward(at_tie), space=RELU_NETS,
                          wrt="W1", seed=seed)
    assert r.status == "refuted", str(r)


def _relu_net_without_decay(W1, b1, W2, b2, X, y, reg):
    return _relu_net_backward(0.0)(W1, b1, W2, b2, X, y, reg) - 2 * reg * W1


def test_a_missing_decay_beside_tied_relus_is_named():
    r = dc.check_gradient(_relu_net_loss, _relu_net_without_decay, space=RELU_NETS, wrt="W1")
    assert r.status == "refuted", str(r)
    assert "the regularization term is missing" in (r.diagnosis or ""), r.diagnosis


def test_diagnosed_at_inputs_where_relus_tie_the_missing_decay_goes_unnamed(monkeypatch):
    from derivcheck._engine import _diagnosis  # the twin: every input counted as tie-free

    monkeypatch.setattr(_diagnosis, "_special", lambda space, batch: np.zeros(
        len(next(iter(batch.values()))), dtype=bool))
    r = dc.check_gradient(_relu_net_loss, _relu_net_without_decay, space=RELU_NETS, wrt="W1")
    assert r.status == "refuted"
    assert "the regularization term is missing" not in (r.diagnosis or ""), r.diagnosis


def test_without_nearby_problems_backpropagation_through_tied_relus_is_refuted(monkeypatch):
    from derivcheck._engine import _kinks

    monkeypatch.setattr(_kinks, "_nearby_problem", lambda ck, b, part, wrt, plans:
                        dict.fromkeys(plans, False))
    monkeypatch.setattr(_kinks, "tied_problem", lambda ck, b, part, plans:  # nor ties broken
                        dict.fromkeys(plans, False))
    r = dc.check_gradient(_relu_net_loss, _relu_net_backward(0.0), space=RELU_NETS, wrt="W1")
    assert r.status == "refuted"  # what the first test above guards against


LOGISTIC = dc.Space(theta=dc.real("D"), X=dc.real("N D"), y=dc.binary("N"))
STEEP = 30.0  # logits 30·xθ: calm inputs reach the logits where 1 - h cancels


def _logistic_cost_as_printed(theta, X, y):
    """J with log(1 - h): where h is within a few roundings of 1 (a logit near 33),
    1 - h keeps only a few correct digits, and so does its autodiff."""
    h = 1 / (1 + jnp.exp(-STEEP * (X @ theta)))
    return -jnp.mean(y * jnp.log(h) + (1 - y) * jnp.log(1 - h))


def _logistic_gradient(scale):
    def g(theta, X, y):
        h = 1 / (1 + jnp.exp(-STEEP * (X @ theta)))
        return scale * STEEP * X.T @ (h - y) / X.shape[0]
    return g


def test_the_textbook_logistic_gradient_is_not_refuted_where_the_printed_cost_cancels():
    r = dc.check_gradient(_logistic_cost_as_printed, _logistic_gradient(1.0), space=LOGISTIC,
                          wrt="theta")
    assert r.status in ("verified", "unstable"), str(r)


@pytest.mark.parametrize("scale", [-1.0, 2.0, 1.001], ids=["sign", "factor-2", "1.001"])
def test_a_wrong_logistic_gradient_against_the_same_cost_is_refuted(scale):  # the twin
    r = dc.check_gradient(_logistic_cost_as_printed, _logistic_gradient(scale),
                          space=LOGISTIC, wrt="theta")
    assert r.status == "refuted", str(r)


def test_a_smooth_function_gets_no_kink_note():
    r = dc.check_gradient(lambda x: jnp.sum(x ** 3), lambda x: 3 * x ** 2, space=X, wrt="x",
                          profile="quick")
    assert r.status == "verified" and r.message is None, str(r)


def test_subgradient_false_is_a_keyword_of_the_claim_builders():
    d = dc.Derivation(target=dc.grad_of(lambda x: jnp.sum(jnp.abs(x)), wrt="x"),
                      lines=[dc.Line("sign", jnp.sign)], space=X, subgradient=False)
    assert dc.check(d, profile="quick").status == "refuted"
    assert dc.check(dc.gradient(lambda x: jnp.sum(jnp.abs(x)), jnp.sign, space=X, wrt="x"),
                    profile="quick").status == "verified"


def _distinct_by_bytes(batch, idx, cap):
    """The spelling _distinct replaced: a bytes key per row, in a dict."""
    keys, rows = {}, []
    for i in map(int, idx):
        key = b"".join(np.ascontiguousarray(v[i]).tobytes() for v in batch.values())
        if key not in keys and len(keys) < cap:
            keys[key] = i
        if key in keys:
            rows.append((i, keys[key]))
    return list(keys.values()), rows


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 40), st.integers(0, 2**32 - 1))
def test_kink_candidates_are_the_distinct_failing_inputs_as_first_seen(n, seed):
    rng = np.random.default_rng(seed)
    batch = {"w": rng.integers(0, 2, (n, 2)).astype(np.float64),  # many repeated rows
             "k": rng.integers(0, 2, (n,)).astype(np.int32)}
    idx = np.flatnonzero(rng.random(n) < 0.7)
    assert _distinct(batch, idx) == _distinct_by_bytes(batch, idx, MAX_TESTED)


def test_kink_candidates_stop_at_the_cap_and_leave_later_inputs_out():  # twin: the cap bites
    batch = {"x": np.arange(MAX_TESTED + 10, dtype=np.float64)[:, None]}
    idx = np.arange(MAX_TESTED + 10)
    firsts, rows = _distinct(batch, idx)
    assert firsts == list(range(MAX_TESTED))
    assert [i for i, _ in rows] == list(range(MAX_TESTED))
    assert (firsts, rows) != _distinct_by_bytes(batch, idx, MAX_TESTED + 10)


# -- a float32 reference (item 8) -----------------------------------------------------

SM = dc.Space(W=dc.real("D K"), X=dc.real("N D"), Y=dc.one_hot("N K"))


def softmax_grad(W, X, Y):
    return X.T @ (jax.nn.softmax(X @ W) - Y) / X.shape[0]


def test_a_reference_computing_in_float32_is_named_in_one_line():
    def loss32(W, X, Y):
        return -jnp.mean(jnp.sum(Y * jax.nn.log_softmax((X @ W).astype(jnp.float32)), axis=-1))

    r = dc.check_gradient(loss32, softmax_grad, space=SM, wrt="W", profile="quick")
    assert r.status != "verified", str(r)
    note = " ".join(filter(None, [r.diagnosis, r.message]))
    assert "the reference computes in float32" in note, str(r)
    assert "\n" not in note


def test_a_float64_reference_gets_no_float32_note():  # the twin
    def loss64(W, X, Y):
        return -jnp.mean(jnp.sum(Y * jax.nn.log_softmax(X @ W), axis=-1))

    wrong = dc.check_gradient(loss64, lambda W, X, Y: -softmax_grad(W, X, Y), space=SM, wrt="W",
                              profile="quick")
    assert wrong.status == "refuted"
    assert "float32" not in " ".join(filter(None, [wrong.diagnosis, wrong.message])), str(wrong)
    assert dc.check_gradient(loss64, softmax_grad, space=SM, wrt="W",
                             profile="quick").status == "verified"


def test_a_claimed_line_computing_in_float32_is_named_as_the_claimed_line():
    def loss64(W, X, Y):
        return -jnp.mean(jnp.sum(Y * jax.nn.log_softmax(X @ W), axis=-1))

    def claimed32(W, X, Y):
        p = jax.nn.softmax((X @ W).astype(jnp.float32))
        return X.T @ (p.astype(jnp.float64) - Y) / X.shape[0]

    r = dc.check_gradient(loss64, claimed32, space=SM, wrt="W", profile="quick")
    assert r.status != "verified", str(r)
    assert "claimed line 1 computes in float32" in " ".join(
        filter(None, [r.diagnosis, r.message])), str(r)


def _side_traces(monkeypatch) -> list:
    from derivcheck._engine import _dtypes

    calls, real = [], _dtypes._traced_dtype
    monkeypatch.setattr(_dtypes, "_traced_dtype", lambda *a: calls.append(1) or real(*a))
    return calls


def test_an_all_float64_check_gets_no_float32_note_without_tracing_each_side(monkeypatch):
    calls = _side_traces(monkeypatch)  # the check traced for the shapes holds every side
    wrong = dc.check_gradient(lambda W, X, Y: -jnp.mean(jnp.sum(
        Y * jax.nn.log_softmax(X @ W), axis=-1)), lambda W, X, Y: -softmax_grad(W, X, Y),
        space=SM, wrt="W", profile="quick")
    assert wrong.status == "refuted" and "float32" not in str(wrong), str(wrong)
    assert not calls


def test_a_check_holding_a_float32_value_still_traces_each_side_to_name_it(monkeypatch):
    calls = _side_traces(monkeypatch)  # the twin: a float32 value somewhere in the check
    r = dc.check_gradient(lambda W, X, Y: -jnp.mean(jnp.sum(
        Y * jax.nn.log_softmax(X @ W), axis=-1)), lambda W, X, Y: -softmax_grad(
        W.astype(jnp.float32), X, Y), space=SM, wrt="W", profile="quick")
    assert calls and "claimed line 1 computes in float32" in str(r), str(r)


# -- shape coverage (item 5) ----------------------------------------------------------

ROWS = dc.Space(w=dc.real("D"), X=dc.real("N D"), y=dc.real("N"), dims={"N": (1, 100)})


def mse(w, X, y):
    return jnp.mean((X @ w - y) ** 2)


def mse_grad(w, X, y):
    return 2 * X.T @ (X @ w - y) / X.shape[0]


def test_a_gradient_using_only_the_first_4_rows_is_refuted_at_the_default_profile():
    r = dc.check_gradient(mse, lambda w, X, y: mse_grad(w, X[:4], y[:4]), space=ROWS, wrt="w")
    assert r.status == "refuted", str(r)
    assert r.bucket["N"] > 4


def test_the_gradient_using_every_row_is_verified_at_the_default_profile():  # the twin
    r = dc.check_gradient(mse, mse_grad, space=ROWS, wrt="w")
    assert r.status == "verified", str(r)


def ce(W, X, Y):
    return -jnp.mean(jnp.sum(Y * jax.nn.log_softmax(X @ W), axis=-1))


def test_a_gradient_ignoring_classes_from_3_on_is_refuted_at_the_default_profile():
    r = dc.check_gradient(ce, lambda W, X, Y: softmax_grad(W, X, Y).at[:, 3:].set(0.0),
                          space=SM, wrt="W")
    assert r.status == "refuted", str(r)
    assert r.bucket["K"] > 3


@pytest.mark.parametrize("profile", ["quick", "default", "thorough"])
def test_every_profile_reaches_each_dimension_maximum(profile):
    count = dc.PROFILES[profile].buckets
    space = dc.Space(X=dc.real("N D"), Y=dc.one_hot("N K"), dims={"N": (1, 100)})
    seen = [space.bucket_in(b, count) for b in range(count)]
    assert max(s["N"] for s in seen) == 100
    assert max(s["D"] for s in seen) == 6 and max(s["K"] for s in seen) == 6
    assert seen[0] == {"D": 1, "K": 2, "N": 1}


def test_a_property_false_only_beyond_ten_without_rounding_is_refuted():
    r = dc.check_holds(lambda x: jnp.all(x ** 2 <= 400.0), space=X, profile="quick")
    assert r.status == "refuted", str(r)


def test_a_property_false_only_where_float64_rounds_is_unstable():  # the twin
    r = dc.check_holds(lambda x: jnp.all(jax.nn.softmax(x) < 1.0),
                       space=dc.Space(x=dc.real("D"), dims={"D": (2, 6)}), profile="quick")
    assert r.status == "unstable", str(r)
    assert "float32" in (r.message or ""), r.message


def _inside(info, sides) -> bool:
    """The kink test of one input, entry by entry (the engine's former loop): every
    off entry lies between differing one-sided values of the truth."""
    g, t, coords, tol_abs = info
    for k, c in enumerate(coords):
        sel = (Ellipsis, *c)
        vals = np.stack([t[sel], sides[2 * k][sel], sides[2 * k + 1][sel]])
        lo, hi = vals.min(axis=0), vals.max(axis=0)
        if not np.all(np.isfinite(vals)) or not np.any(hi - lo > tol_abs):
            return False
        if np.any(g[sel] < lo - tol_abs) or np.any(g[sel] > hi + tol_abs):
            return False
    return True


def _kink_cases(rng, lead, wshape, n=64):
    """Inputs with one off entry each: the truth t, its one-sided values, a claimed g."""
    shape = lead + wshape
    infos, sides, alone = [], [], []
    for _ in range(n):
        t = rng.normal(size=shape)
        plus, minus = t + rng.choice([0.0, 1.0], size=shape), t - rng.choice([0.0, 1.0], size=shape)
        g = (plus + minus) / 2 if rng.random() < 0.5 else t + rng.uniform(-1.5, 1.5, size=shape)
        c = tuple(int(rng.integers(d)) for d in wshape)
        tol = float(rng.choice([1e-9, 0.1]))
        infos.append((g, t, c, tol))
        sides += [plus, minus]
        alone.append(_inside((g, t, [c], tol), [plus, minus]))
    return infos, sides, alone


@pytest.mark.parametrize(("lead", "wshape"), [((), ()), ((), (3,)), ((4,), (2, 3)), ((2,), ())])
def test_off_entries_tested_all_at_once_agree_with_one_input_at_a_time(lead, wshape):

    infos, sides, alone = _kink_cases(np.random.default_rng(7), lead, wshape)
    assert _entries_inside(infos, sides) == alone
    assert any(alone) and not all(alone)  # both outcomes occur


def test_an_off_entry_outside_its_one_sided_values_is_not_explained_all_at_once():  # twin

    t = np.zeros(3)
    infos = [(np.array([0.0, 5.0, 0.0]), t, (1,), 1e-9)]
    sides = [np.array([0.0, 1.0, 0.0]), np.array([0.0, -1.0, 0.0])]  # a kink of width 2
    assert _entries_inside(infos, sides) == [False]
    infos = [(np.array([0.0, 0.5, 0.0]), t, (1,), 1e-9)]  # inside it: explained
    assert _entries_inside(infos, sides) == [True]


def _explained_relu(g, monkeypatch):
    """Whether the kink test explains claimed ``g`` for the gradient of sum(relu(x)) at
    x = [0, 1, 0] (kinks at entries 0 and 2, smooth at entry 1)."""
    from derivcheck._engine import _kinks

    monkeypatch.setattr(_kinks, "_truths",
                        lambda ck, b, xs, part: [(x["x"] > 0).astype(float) for x in xs])
    x = np.array([0.0, 1.0, 0.0])
    t = (x > 0).astype(float)
    coords = [tuple(c) for c in np.argwhere(np.abs(g - t) > 1e-9)]
    plans = {0: ({"x": x}, x, (g, t, coords, 1e-9))}
    return _kinks._explained(None, 0, None, "x", plans)[0]


def test_an_input_with_a_smooth_off_entry_between_kinks_is_not_explained(monkeypatch):
    assert not _explained_relu(np.array([1.0, 2.0, 1.0]), monkeypatch)


def test_an_input_whose_off_entries_all_sit_at_kinks_is_explained(monkeypatch):  # the twin
    assert _explained_relu(np.array([1.0, 1.0, 1.0]), monkeypatch)


# -- inputs where the truth is not finite ---------------------------------------------

def _norm(x):
    return jnp.sqrt(jnp.sum(x ** 2))


def test_inputs_where_autodiff_is_nan_are_named_as_not_checked():
    r = dc.check_gradient(_norm, lambda x: x / _norm(x), space=X, wrt="x", profile="quick")
    assert r.status == "verified", str(r)
    assert "where the truth is nan or inf" in (r.message or ""), r.message


def test_a_claim_checked_where_the_truth_is_always_finite_gets_no_such_note():  # the twin
    r = dc.check_gradient(lambda x: jnp.sum(x ** 2), lambda x: 2 * x, space=X, wrt="x",
                          profile="quick")
    assert r.status == "verified" and r.message is None, str(r)

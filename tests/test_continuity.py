"""Truths that cannot jump (``_engine/_continuity.py``): their failures skip the kink test.

The kink test accepts a claim between the truth's one-sided values where those
differ. A truth whose every step is continuous in the moved input has no such
place, so its failures are failures without the test (Speed II: the test cost
a fifth of a warm catalog run, nearly all of it on smooth softmax claims).
Every "continuous" case here has a twin that may jump and keeps the test.
"""

import jax
import jax.numpy as jnp
import pytest

import derivcheck as dc
from derivcheck._engine import _continuity, _kinks
from derivcheck._engine._continuity import continuous


@jax.custom_vjp
def _relu_vjp(x):
    return jnp.maximum(x, 0.0)


_relu_vjp.defvjp(lambda x: (_relu_vjp(x), x), lambda x, g: (jnp.where(x > 0, g, 0.0),))


@jax.custom_vjp
def _square_vjp(x):
    return x ** 2


_square_vjp.defvjp(lambda x: (x ** 2, x), lambda x, g: (2 * x * g,))


def _grad_continuous(loss, *args, moved=None):
    closed = jax.make_jaxpr(jax.grad(loss))(*args)
    return continuous(closed, moved or [True] * len(args))


V = jnp.array([0.5, -1.0, 2.0])
M = jnp.ones((4, 3)) * 0.25

SMOOTH = {
    "log_softmax cross-entropy": lambda w: -jax.nn.log_softmax(M @ w)[0],
    "softmax by hand": lambda w: jnp.sum(jnp.exp(w) / jnp.sum(jnp.exp(w)) * V),
    "log_sigmoid": lambda w: jnp.sum(jax.nn.log_sigmoid(M @ w)),
    "softplus": lambda w: jnp.sum(jax.nn.softplus(w)),
    "sigmoid and tanh": lambda w: jnp.sum(jax.nn.sigmoid(jnp.tanh(w))),
    "norm": lambda w: jnp.linalg.norm(w),
    "L2 penalty": lambda w: jnp.sum((M @ w) ** 2) + 0.1 * jnp.sum(w ** 2),
    "float32 inside": lambda w: jnp.sum(jnp.exp(w.astype(jnp.float32))),
    "a custom_vjp square": lambda w: jnp.sum(_square_vjp(w)),
    "tanh under jax.checkpoint": lambda w: jnp.sum(jax.checkpoint(jnp.tanh)(w)),
    "tanh summed in a fori_loop": lambda w: jax.lax.fori_loop(
        0, 3, lambda i, c: c + jnp.tanh(w[i]), 0.0),
}

KINKED = {
    "relu": lambda w: jnp.sum(jax.nn.relu(w)),
    "abs (L1 penalty)": lambda w: jnp.sum(w ** 2) + jnp.sum(jnp.abs(w)),
    "max": jnp.max,
    "hinge": lambda w: jnp.sum(jnp.maximum(0.0, 1.0 - M @ w)),
    "where on the input": lambda w: jnp.sum(jnp.where(w > 0, w, 0.1 * w)),
    "clip": lambda w: jnp.sum(jnp.clip(w, -1.0, 1.0) ** 2),
    "sort": lambda w: jnp.sort(w)[0] ** 2,
    "floor": lambda w: jnp.sum(jnp.floor(w) * w),
    "an index from argmax": lambda w: w[jnp.argmax(w)] ** 2,
    "logsumexp (a select on the sum's sign)": jax.scipy.special.logsumexp,
    "a custom_vjp relu": lambda w: jnp.sum(_relu_vjp(w)),
    "abs under jax.checkpoint": lambda w: jnp.sum(jax.checkpoint(jnp.abs)(w)),
    "relu summed in a fori_loop": lambda w: jax.lax.fori_loop(
        0, 3, lambda i, c: c + jnp.maximum(w[i], 0.0), 0.0),
}


@pytest.mark.parametrize("name", list(SMOOTH))
def test_the_gradient_of_a_smooth_loss_is_found_continuous(name):
    assert _grad_continuous(SMOOTH[name], V)


@pytest.mark.parametrize("name", list(KINKED))
def test_the_gradient_of_a_loss_with_a_kink_or_an_unknown_step_may_jump(name):  # the twins
    assert not _grad_continuous(KINKED[name], V)


def test_a_step_not_read_here_a_while_loop_may_jump():
    def looped(w):  # a truth computed by a loop (its own derivative code, say)
        return jax.lax.while_loop(lambda c: c[1] < 3,
                                  lambda c: (c[0] + jnp.tanh(w[c[1]]), c[1] + 1), (0.0, 0))[0]
    assert not continuous(jax.make_jaxpr(looped)(V), [True])
    assert continuous(jax.make_jaxpr(lambda w: jnp.sum(jnp.tanh(w)))(V), [True])  # its twin


def _pick(w, y):
    return w[jnp.argmax(y)] ** 2


def test_an_index_read_from_an_input_the_kink_test_does_not_move_keeps_it_continuous():
    assert _grad_continuous(_pick, V, V, moved=[True, False])


def test_the_same_index_read_from_a_moved_input_may_jump():  # the twin
    assert not _grad_continuous(_pick, V, V, moved=[True, True])


def test_a_select_on_isfinite_or_isnan_of_the_input_is_continuous():
    def guarded(w):
        return jnp.sum(jnp.where(jnp.isfinite(w) & ~jnp.isnan(w), w ** 2, 0.0))
    assert _grad_continuous(guarded, V)


def test_a_select_on_the_input_compared_with_a_finite_value_may_jump():  # the twin
    assert not _grad_continuous(lambda w: jnp.sum(jnp.where(w != 0.0, w ** 2, 0.0)), V)


def test_a_cond_on_a_constant_and_a_scan_of_smooth_steps_are_continuous():
    def scanned(w):
        carry, _ = jax.lax.scan(lambda c, x: (c * jnp.tanh(x) + x, None), 1.0, w)
        return jax.lax.cond(True, lambda c: c ** 2, lambda c: jnp.exp(c), carry)
    assert _grad_continuous(scanned, V)


def test_a_cond_on_the_input_and_a_scan_carrying_a_max_may_jump():  # the twin
    def scanned(w):
        carry, _ = jax.lax.scan(lambda c, x: (jnp.maximum(c, x) * x, None), 0.0, w)
        return jax.lax.cond(carry > 0, lambda c: c ** 2, lambda c: jnp.exp(c), carry)
    assert not _grad_continuous(scanned, V)
    assert not _grad_continuous(lambda w: jax.lax.cond(w[0] > 0, jnp.sum, jnp.prod, w ** 2), V)


def test_a_reference_jax_cannot_trace_is_not_taken_as_continuous():
    import numpy as np
    assert not _continuity.truth_is_continuous(lambda x: np.asarray(x["w"]) * 2,
                                               {"w": np.ones(3)}, {"w"})


# -- end to end: the kink test is skipped only where no kink can be -------------------

SPACE = dc.Space(W=dc.real("C D"), x=dc.real("D"), y=dc.one_hot("C"))


def _ce(W, x, y):
    return -jnp.sum(y * jax.nn.log_softmax(W @ x))


def _relu_ce(W, x, y):
    return -jnp.sum(y * jax.nn.log_softmax(jax.nn.relu(W @ x)))


def _tested(monkeypatch) -> list:
    calls = []
    real = _kinks._explained

    def spy(*a, **k):
        calls.append(1)
        return real(*a, **k)
    monkeypatch.setattr(_kinks, "_explained", spy)
    return calls


def test_a_wrong_smooth_gradient_is_refuted_without_a_kink_test(monkeypatch):
    calls = _tested(monkeypatch)
    wrong = lambda W, x, y: 2.0 * jnp.outer(jax.nn.softmax(W @ x) - y, x)  # noqa: E731
    r = dc.check_gradient(_ce, wrong, space=SPACE, wrt="W", profile="quick")
    assert r.status == "refuted" and "2" in (r.diagnosis or ""), str(r)
    assert not calls


def test_a_wrong_gradient_through_a_relu_is_still_tested_for_kinks(monkeypatch):  # the twin
    calls = _tested(monkeypatch)

    def wrong(W, x, y):
        z = W @ x
        return 2.0 * jnp.outer((jax.nn.softmax(jax.nn.relu(z)) - y) * (z > 0), x)
    r = dc.check_gradient(_relu_ce, wrong, space=SPACE, wrt="W", profile="quick")
    assert r.status == "refuted", str(r)
    assert calls, "the kink test never ran: this twin shows nothing"


def test_a_right_relu_gradient_is_still_verified_as_a_subgradient_at_its_kinks():
    def right(W, x, y):
        z = W @ x
        return jnp.outer((jax.nn.softmax(jax.nn.relu(z)) - y) * (z > 0), x)
    r = dc.check_gradient(_relu_ce, right, space=SPACE, wrt="W", profile="quick")
    assert r.status == "verified", str(r)


def test_a_program_the_reader_does_not_expect_is_taken_as_possibly_jumping(monkeypatch):
    def broken(*a):
        raise KeyError("branches")  # a parameter a newer JAX renamed, say
    monkeypatch.setattr(_continuity, "continuous", broken)
    assert not _continuity.truth_is_continuous(lambda x: x["w"] ** 2, {"w": V}, {"w"})


def test_a_program_the_reader_expects_is_read():  # the twin
    assert _continuity.truth_is_continuous(lambda x: x["w"] ** 2, {"w": V}, {"w"})

"""The finite-difference core (``derivcheck._fd``): accuracy, error estimates, kinks.

These are unit tests of the oracle's numerics; the checks that use it go
through the public API in ``tests/test_numpy_path.py``.
"""

from __future__ import annotations

import numpy as np
import pytest

from derivcheck import _fd, _fd_noise, _fd_second

RNG_SEED = 20261126


def _softmax_ce(W, X, y):
    s = X @ W
    s = s - s.max(axis=1, keepdims=True)
    return -np.mean(s[range(len(y)), y] - np.log(np.exp(s).sum(axis=1)))


def _softmax_ce_grad(W, X, y):
    s = X @ W
    p = np.exp(s - s.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[range(len(y)), y] -= 1
    return X.T @ p / len(y)


_X = np.random.default_rng(1).normal(size=(6, 4))
_Y = np.array([0, 2, 1, 1, 0, 2])

# (f, exact gradient or Jacobian-vector product, shape of x); scalar f gives a gradient.
SMOOTH = {
    "sin": (lambda x: np.sin(x).sum(), lambda x, v: np.cos(x) @ v, (5,)),
    "exp": (lambda x: np.exp(x).sum(), lambda x, v: np.exp(x) @ v, (5,)),
    "polynomial": (lambda x: (x ** 5 - 3 * x ** 2).sum(),
                   lambda x, v: (5 * x ** 4 - 6 * x) @ v, (5,)),
    "log1p": (lambda x: np.log1p(x ** 2).sum(), lambda x, v: (2 * x / (1 + x ** 2)) @ v, (5,)),
    "tanh (vector output)": (np.tanh, lambda x, v: (1 - np.tanh(x) ** 2) * v, (4,)),
    "softmax cross-entropy": (lambda W: _softmax_ce(W, _X, _Y),
                              lambda W, v: np.sum(_softmax_ce_grad(W, _X, _Y) * v), (4, 3)),
    "logistic": (lambda w: np.mean(np.logaddexp(0, _X @ w) - (_Y > 0) * (_X @ w)),
                 lambda w, v: (_X.T @ (1 / (1 + np.exp(-_X @ w)) - (_Y > 0)) / len(_Y)) @ v, (4,)),
}


def _probes(n=60):
    rng = np.random.default_rng(RNG_SEED)
    for name, (f, jvp, shape) in SMOOTH.items():
        for _ in range(n):
            x = rng.uniform(-2, 2, size=shape)
            v = _fd.random_direction(shape, rng)
            yield name, f, jvp, x, v


def _scale(jvp, x, v):
    """The size of the probe: max|J| times |v|, summed (no cancellation)."""
    basis = zip(np.eye(x.size), v.ravel(), strict=True)
    parts = [abs(jvp(x, e.reshape(x.shape) * s)) for e, s in basis]
    return np.sum(parts, axis=0)


def test_smooth_directional_derivatives_are_recovered_to_1e_10_and_within_their_error_estimate():
    worst, evaluations = 0.0, []
    for name, f, jvp, x, v in _probes():
        d = _fd.directional(f, x, v)
        exact = jvp(x, v)
        err = np.abs(d.value - exact)
        assert not np.any(d.kink), name
        assert np.all(err <= d.error), (name, err, d.error)
        worst = max(worst, float(np.max(err / _scale(jvp, x, v))))
        evaluations.append(d.evaluations)
    assert worst < 1e-10
    assert np.median(evaluations) <= 15


def test_a_wrong_directional_derivative_exceeds_the_error_estimate_by_far():
    for name, f, jvp, x, v in _probes(20):
        d = _fd.directional(f, x, v)
        exact = jvp(x, v)
        wrong = exact + 1e-6 * _scale(jvp, x, v)  # a relative slip of one in a million
        assert np.all(d.accepts(exact)), name
        assert not np.any(d.accepts(wrong, margin=100.0)), name


def test_abs_at_zero_is_a_kink_with_one_sided_derivatives_minus_one_and_one():
    d = _fd.directional(np.abs, np.array(0.0), np.array(1.0))
    assert bool(d.kink)
    assert float(d.left) == pytest.approx(-1.0, abs=1e-12)
    assert float(d.right) == pytest.approx(1.0, abs=1e-12)
    assert d.accepts(0.0) and d.accepts(-1.0) and d.accepts(0.7)
    assert not d.accepts(2.0) and not d.accepts(-1.5)


def test_abs_away_from_zero_is_smooth_even_when_the_first_steps_cross_the_kink():
    d = _fd.directional(np.abs, np.array(1e-3), np.array(1.0))
    assert not bool(d.kink)
    assert abs(float(d.value) - 1.0) <= float(d.error) < 1e-9
    assert not d.accepts(-1.0, margin=100.0)


def test_kinks_of_relu_hinge_and_l1_are_reported_per_output_element():
    relu = _fd.directional(lambda x: np.maximum(x, 0.0), np.array([0.0, 1.0, -2.0]),
                           np.array([1.0, -1.0, 1.0]))
    assert relu.kink.tolist() == [True, False, False]
    assert relu.left.tolist() == pytest.approx([0.0, -1.0, 0.0], abs=1e-12)
    assert relu.right.tolist() == pytest.approx([1.0, -1.0, 0.0], abs=1e-12)
    hinge = _fd.directional(lambda m: np.maximum(0.0, 1.0 - m).sum(), np.array([1.0, 0.3]),
                            np.array([1.0, 1.0]))
    assert bool(hinge.kink) and hinge.accepts(-1.0) and hinge.accepts(-2.0)
    assert not hinge.accepts(-3.0)
    # L1 + L2 at two zero coordinates: subgradient g = sign(w) + 2w with g_i in [-1, 1] at 0.
    w, v = np.array([0.0, 0.5, 0.0]), np.array([1.0, -1.0, -1.0])
    l1 = _fd.directional(lambda w: np.abs(w).sum() + (w ** 2).sum(), w, v)
    assert bool(l1.kink)
    good = np.array([0.3, 1.0 + 1.0, -1.0]) @ v
    bad = np.array([2.0, 2.0, -2.0]) @ v  # 2·sign(w) + 2w with "sign(0)" taken as ±1, doubled
    assert l1.accepts(good) and not l1.accepts(bad)


def test_a_step_outside_the_domain_restarts_at_smaller_steps():
    d = _fd.directional(lambda x: np.log(x).sum(), np.array([1e-3, 1.0]), np.array([1.0, 1.0]))
    assert abs(float(d.value) - 1001.0) <= float(d.error) < 1e-5
    capped = _fd.directional(lambda x: np.log(x).sum(), np.array([1e-3, 1.0]), np.array([1.0, 1.0]),
                             max_step=5e-4)
    assert capped.evaluations < d.evaluations


def test_an_unresolvable_near_kink_gives_no_confident_value():
    d = _fd.directional(np.abs, np.array(1e-12), np.array(1.0))
    assert not np.isfinite(float(d.error)) or bool(d.kink)


def test_precision_detects_a_function_that_computes_in_float32_inside():
    rng = np.random.default_rng(RNG_SEED)
    x, v = rng.uniform(-2, 2, 6), _fd.random_direction((6,), rng)
    assert _fd_noise.precision(lambda x: float(np.sin(x).sum()), x, v) < 1e-14
    worst = 0.0
    for _ in range(40):
        x, v = rng.uniform(-2, 2, 6), _fd.random_direction((6,), rng)

        def f32(x):  # off the float32 grid (a float64 factor): measured, not seen
            return float(np.sum(3 * np.sin(x.astype(np.float32)))) * np.pi

        eps = max(_fd_noise.precision(f32, x, v), _fd_noise.precision(f32, x, -v))
        d = _fd.directional(f32, x, v, eps=eps)
        worst = max(worst, float(abs(d.value - 3 * np.pi * np.cos(x) @ v) / d.error))
    assert worst <= 1.0


def test_without_the_measured_precision_a_float32_function_looks_more_accurate_than_it_is():
    rng = np.random.default_rng(RNG_SEED)
    worst = 0.0
    for _ in range(40):
        x, v = rng.uniform(-2, 2, 6), _fd.random_direction((6,), rng)
        # float32 inside, then a float64 factor: off the float32 grid, so only measuring
        # (precision()) can tell its precision
        d = _fd.directional(lambda x: float(np.sum(3 * np.sin(x.astype(np.float32)))) * np.pi,
                            x, v)
        worst = max(worst, float(abs(d.value - 3 * np.pi * np.cos(x) @ v) / d.error))
    assert worst > 1.0


def test_a_float32_result_sets_the_precision_without_measuring():
    x, v = np.linspace(-1, 1, 4), np.ones(4)
    d = _fd.directional(lambda x: np.sin(x.astype(np.float32)).sum(), x, v)
    assert abs(float(d.value) - np.cos(x).sum()) <= float(d.error)


def test_the_full_gradient_matches_the_exact_one_within_its_errors():
    rng = np.random.default_rng(RNG_SEED)
    W = rng.normal(size=(4, 3))
    g, e = _fd.gradient(lambda W: _softmax_ce(W, _X, _Y), W)
    exact = _softmax_ce_grad(W, _X, _Y)
    assert g.shape == W.shape
    assert np.all(np.abs(g - exact) <= e)
    assert np.max(np.abs(g - exact)) < 1e-10 * np.max(np.abs(exact))
    assert not np.all(np.abs(g - exact.T.reshape(W.shape)) <= 100 * e)


def _logistic_hessian_case(rng):
    X = rng.normal(size=(8, 4))
    y = (rng.random(8) > 0.5) * 1.0

    def J(t):
        z = X @ t
        return np.mean(np.logaddexp(0, z) - y * z) + 0.3 * t @ t

    def H(t, *, mean=True):
        h = 1 / (1 + np.exp(-X @ t))
        return X.T @ np.diag(h * (1 - h)) @ X / (8 if mean else 1) + 0.6 * np.eye(4)

    return J, H


def test_second_directional_derivatives_of_the_logistic_loss_match_its_hessian():
    rng = np.random.default_rng(RNG_SEED)
    J, H = _logistic_hessian_case(rng)
    worst = 0.0
    for _ in range(40):
        t = rng.uniform(-2, 2, 4)
        u, v = _fd.random_direction((4,), rng), _fd.random_direction((4,), rng)
        for w in (u, v):
            e = _fd_second.second_directional(J, t, u, None if w is u else w)
            exact = u @ H(t) @ w
            assert abs(e.value - exact) <= e.error
            worst = max(worst, float(abs(e.value - exact) / (np.abs(u) @ np.abs(H(t)) @ np.abs(w))))
    assert worst < 1e-10


def test_a_hessian_missing_its_mean_is_far_outside_the_second_difference_error():
    rng = np.random.default_rng(RNG_SEED)
    J, H = _logistic_hessian_case(rng)
    t = rng.uniform(-2, 2, 4)
    u, v = _fd.random_direction((4,), rng), _fd.random_direction((4,), rng)
    e = _fd_second.second_directional(J, t, u, v)
    wrong = u @ H(t, mean=False) @ v
    assert abs(e.value - wrong) > 100 * e.error


def test_a_second_derivative_at_a_kink_has_no_finite_error():
    e = _fd_second.second_directional(lambda x: np.abs(x).sum(), np.array([0.0, 1.0]),
                               np.array([1.0, 1.0]))
    assert not np.isfinite(float(e.error))


def test_a_kink_is_found_even_where_the_central_difference_converges_at_once():
    # A hinge plus a quadratic along the direction: the central difference is exact at
    # the first steps, the one-sided ones are not; found by the search on an SVM loss.
    def f(w):
        return 1.75 * w[0] + 0.25 * np.maximum(0.0, w[0]) + (w ** 2).sum()

    d = _fd.directional(f, np.array([0.0, 1.0]), np.array([1.0, 0.0]))
    assert bool(d.kink)
    assert (float(d.left), float(d.right)) == pytest.approx((1.75, 2.0), abs=1e-9)
    assert d.accepts(2.0) and d.accepts(1.75) and not d.accepts(2.1)


def _log_one_minus_sigmoid(x):
    return np.log(1 - 1 / (1 + np.exp(-x))).sum()


def test_extended_precision_sees_the_cancellation_of_log_one_minus_sigmoid():
    x, v = np.array([33.0, 1.0]), np.array([1.0, 0.5])
    # 1 - σ(33) keeps about 5 bits: its float64 values move in flat steps
    assert _fd_noise.extended_gap(_log_one_minus_sigmoid, x, v) > 1e-6
    assert _fd_noise.extended_gap(_log_one_minus_sigmoid, x, v) > \
        1e6 * _fd_noise.precision(_log_one_minus_sigmoid, x, v)  # which the fit misses here


def test_extended_precision_sees_nothing_where_the_same_loss_is_written_stably():  # twin
    x, v = np.array([33.0, 1.0]), np.array([1.0, 0.5])
    assert _fd_noise.extended_gap(lambda x: -np.logaddexp(0, x).sum(), x, v) < 1e-14


def test_extended_precision_tells_nothing_about_code_that_casts_to_float64():
    x, v = np.array([33.0, 1.0]), np.array([1.0, 0.5])
    cast = lambda x: _log_one_minus_sigmoid(np.asarray(x, dtype=np.float64))  # noqa: E731
    assert _fd_noise.extended_gap(cast, x, v) == 0.0

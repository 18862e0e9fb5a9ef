"""Each diagnosis relation is named for a wrong formula that has it, and never for a right one."""

import numpy as np
import pytest

import derivcheck as dc
from derivcheck._diagnose import diagnose

RNG = np.random.default_rng(0)
SPACE = dc.Space(W=dc.real("D K"), X=dc.real("N D"), lam=dc.positive())
CLAIM = dc.gradient(lambda W, X, lam: (W**2).sum(), lambda W, X, lam: 2 * W, space=SPACE,
                    wrt="W")


def inputs(n=5, d=3, k=4, count=3):
    return [{"W": RNG.normal(size=(d, k)), "X": RNG.normal(size=(n, d)),
             "lam": np.asarray(RNG.uniform(0.5, 2.0))} for _ in range(count)]


def truths(xs):
    return [RNG.normal(size=x["W"].shape) for x in xs]


RELATIONS = {
    "sign": (lambda t, x: -t, "sign error"),
    "factor N": (lambda t, x: t * x["X"].shape[0], "claimed = N × autodiff"),
    "factor 1/N": (lambda t, x: t / x["X"].shape[0], "claimed = 1/N × autodiff"),
    "factor 2": (lambda t, x: 2 * t, "claimed = 2 × autodiff"),
    "factor 1/2": (lambda t, x: t / 2, "claimed = 1/2 × autodiff"),
    "lam W": (lambda t, x: t + x["lam"] * x["W"], "= lam·W"),
    "minus lam W": (lambda t, x: t - x["lam"] * x["W"], "= -lam·W"),
    "lam/2 W": (lambda t, x: t + x["lam"] / 2 * x["W"], "= 1/2·lam·W"),
    "lam sign W": (lambda t, x: t + x["lam"] * np.sign(x["W"]), "= lam·sign(W)"),
    "classes shifted": (lambda t, x: np.roll(t, 1, axis=1), "classes shifted by +1"),
    "classes permuted": (lambda t, x: t[:, [1, 0, 3, 2]], "classes permuted"),
    "constant term": (lambda t, x: t + 0.5, "constant term"),
}


@pytest.mark.parametrize("name", list(RELATIONS))
def test_a_wrong_formula_with_a_simple_relation_is_named(name):
    rel, expected = RELATIONS[name]
    xs = inputs()
    ts = truths(xs)
    gs = [rel(t, x) for t, x in zip(ts, xs, strict=True)]
    assert expected in diagnose(gs, ts, xs, claim=CLAIM)


def test_a_transposed_result_is_named_a_layout_error():
    xs = inputs(d=3, k=4)
    ts = truths(xs)
    assert "transpose" in diagnose([t.T for t in ts], ts, xs, claim=CLAIM)


def test_a_square_transpose_is_named_by_its_values():
    xs = inputs(d=4, k=4)
    ts = truths(xs)
    assert "claimed = autodiffᵀ" in diagnose([t.T for t in ts], ts, xs, claim=CLAIM)


def test_a_factor_equal_to_two_dimensions_names_both():
    xs = inputs(n=3, d=3)
    ts = truths(xs)
    text = diagnose([3 * t for t in ts], ts, xs, claim=CLAIM)
    assert "claimed = D or N × autodiff" in text


def test_a_correct_formula_gets_no_diagnosis():
    xs = inputs()
    ts = truths(xs)
    assert diagnose([t.copy() for t in ts], ts, xs, claim=CLAIM) is None


def test_noise_fits_no_simple_relation():
    xs = inputs()
    ts = truths(xs)
    gs = [RNG.normal(size=t.shape) for t in ts]
    assert diagnose(gs, ts, xs, claim=CLAIM).startswith("no simple relation fits")


def test_a_claim_that_cancels_to_zero_is_named_as_such():
    xs = inputs()
    ts = truths(xs)
    text = diagnose([np.zeros_like(t) for t in ts], ts, xs, claim=CLAIM)
    assert text.startswith("claimed is 0 at every input")


def test_a_claim_that_is_zero_up_to_rounding_is_named_zero():
    xs = inputs()
    ts = truths(xs)
    text = diagnose([1e-17 * t for t in ts], ts, xs, claim=CLAIM)
    assert text.startswith("claimed is 0 at every input")


def test_a_claim_that_is_zero_somewhere_only_is_not_called_zero():
    xs = inputs()
    ts = truths(xs)
    gs = [np.zeros_like(t) for t in ts]
    gs[0] = -ts[0]
    assert not diagnose(gs, ts, xs, claim=CLAIM).startswith("claimed is 0")


def test_classes_shifted_are_named_across_inputs_of_two_sizes():
    xs = inputs(d=3, k=4, count=2) + inputs(n=4, d=2, k=3, count=2)
    ts = truths(xs)
    text = diagnose([np.roll(t, 1, axis=1) for t in ts], ts, xs, claim=CLAIM)
    assert "classes shifted by +1" in text


def test_classes_shifted_at_some_inputs_only_are_not_named():
    xs = inputs(d=3, k=4, count=2) + inputs(n=4, d=2, k=3, count=2)
    ts = truths(xs)
    gs = [np.roll(t, 1, axis=1) for t in ts[:3]] + [-ts[3]]
    assert "classes shifted" not in diagnose(gs, ts, xs, claim=CLAIM)


SQUARE = dc.Space(w=dc.real("D"), dims={"D": 3})


def _square_grad_times(k):
    return dc.check_gradient(lambda w: (w ** 2).sum(), lambda w: k * 2 * w, space=SQUARE,
                             wrt="w", profile="quick")


def test_a_factor_that_rounds_to_one_is_called_a_small_relative_error_not_a_factor():
    r = _square_grad_times(1.0001)
    assert r.status == "refuted"
    assert "claimed = 1.0001 × autodiff: a small relative error" in r.diagnosis
    assert "wrong factor" not in r.diagnosis and "= 1 ×" not in r.diagnosis


def test_a_factor_of_two_is_still_named_a_wrong_factor():
    r = _square_grad_times(2.0)
    assert r.status == "refuted"
    assert r.diagnosis == "looks like a wrong factor: claimed = 2 × autodiff"

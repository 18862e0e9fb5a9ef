"""Layout diagnosis on NumPy values: the truth's entries, laid out another way, are named."""

import numpy as np
import pytest

import derivcheck as dc
from derivcheck._diagnose import diagnose

D, K = 3, 4
SPACE = dc.Space(W=dc.real("D K"), X=dc.real("N D"))
CLAIM = dc.gradient(lambda W, X: (W ** 2).sum(), lambda W: W, space=SPACE, wrt="W")


def _inputs(count=3, seed=0):
    rng = np.random.default_rng(seed)
    return [{"W": rng.uniform(-1, 1, (D, K)), "X": rng.uniform(-1, 1, (5, D))}
            for _ in range(count)]


def _hessians(xs, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for _ in xs:
        a = rng.uniform(-1, 1, (D * K, D * K))
        out.append((a + a.T).reshape(D, K, D, K))  # symmetric, as a Hessian is
    return out


def _grads(xs, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1, 1, (D, K)) for _ in xs]


def _class_major(h):
    """A (D, K, D, K) Hessian flattened class-major, then read back row-major as (D, K, D, K)."""
    return h.transpose(1, 0, 3, 2).reshape(D, K, D, K)


LAYOUTS = {
    "column-major flat gradient": (
        _grads, lambda t: t.reshape(-1, order="F"),
        "claimed = autodiff read column-major into shape (12,)"),
    "class-major Hessian": (
        _hessians, _class_major,
        "claimed = autodiff with axes (K, D, K, D), read row-major into shape (3, 4, 3, 4)"),
    "class-major flattened Hessian": (
        _hessians, lambda h: h.transpose(1, 0, 3, 2).reshape(D * K, D * K),
        "claimed = autodiff with axes (K, D, K, D), read row-major into shape (12, 12)"),
    "dropped reference class": (
        _grads, lambda t: t[:, 1:],
        "claimed = autodiff without the first K (a dropped reference block)"),
    "dropped last class of a flattened Hessian": (
        _hessians, lambda h: h[:, :-1, :, :-1].reshape(D * (K - 1), D * (K - 1)),
        "claimed = autodiff without the last K (a dropped reference block), read row-major "
        "into shape (9, 9)"),
    "transposed parameter layout": (
        _grads, lambda t: t.T, "claimed = autodiffᵀ"),
}


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_a_layout_mapping_is_named(name):
    truths, relayout, phrase = LAYOUTS[name]
    xs = _inputs()
    ts = truths(xs)
    assert phrase in diagnose([relayout(t) for t in ts], ts, xs, claim=CLAIM)


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_a_scrambled_layout_of_the_same_shape_is_not_named(name):
    truths, relayout, phrase = LAYOUTS[name]
    xs = _inputs()
    ts = truths(xs)
    rng = np.random.default_rng(5)
    scrambled = []
    for t in ts:
        g = relayout(t)
        scrambled.append(rng.permutation(g.reshape(-1)).reshape(g.shape))
    text = diagnose(scrambled, ts, xs, claim=CLAIM)
    assert phrase not in text and not text.startswith("looks like a layout")


def test_the_right_layout_gets_no_diagnosis():
    xs = _inputs()
    ts = _hessians(xs)
    assert diagnose([t.copy() for t in ts], ts, xs, claim=CLAIM) is None

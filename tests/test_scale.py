"""Metamorphic test of the scale rule (issue 11, item 4): scaling a function and
its claimed derivative by 10^k changes no verdict, for the whole catalog and the
engine's negative controls (wrong formulas), and for every k in -12..12 on two
small claims. Its failing twin: the old absolute floor (unit fixed at 1) is
shown to change a verdict under scaling, through the tiny-potential tests of
``test_judge.py`` (a zero gradient of a 1e-11 potential is refuted there).
"""

import copy
import dataclasses
import functools
from pathlib import Path

import jax.numpy as jnp
import numpy as np
import pytest
from test_engine import RIGHT, SPACE, WRONG

import derivcheck as dc
from derivcheck._loader import discover, load_file

PROOFS = Path(__file__).resolve().parent.parent / "proofs"


def _times(fn, c):
    if fn is None:
        return None

    @functools.wraps(fn)
    def scaled(*args, **kwargs):
        return c * fn(*args, **kwargs)
    return scaled


def scaled_claim(claim, c):
    """The same claim with its target and every line (and fix) multiplied by ``c``."""
    if claim.target.is_property:
        return claim
    out = copy.copy(claim)
    out.target = dataclasses.replace(claim.target, fn=_times(claim.target.fn, c))
    out.lines = [dataclasses.replace(
        ln, fn=_times(ln.fn, c),
        fix=None if ln.fix is None else dataclasses.replace(ln.fix, fn=_times(ln.fix.fn, c)))
        for ln in claim.lines]
    return out


def verdicts(claim):
    r = dc.check(claim, profile="quick")
    return r.status, [(ln.status, ln.fix.status if ln.fix else None) for ln in r.lines]


def _catalog():
    out = []
    for f in sorted(discover([str(PROOFS)])):
        claims, err = load_file(f)
        assert err is None, str(err)
        out.extend(c for c in claims if not c.target.is_property)
    return out


def _controls():
    out = [dc.gradient(f, g, space=SPACE, wrt="W", id=f"wrong_{n}") for n, (f, g, _) in
           WRONG.items()]
    out += [dc.gradient(f, g, space=SPACE, wrt="W", id=f"right_{n}") for n, (f, g) in
            RIGHT.items()]
    return out


@pytest.mark.parametrize("k", [-12, 12])
def test_scaling_the_catalog_and_the_negative_controls_changes_no_verdict(k):
    claims = _catalog() + _controls()
    base = [verdicts(c) for c in claims]
    scaled = [verdicts(scaled_claim(c, 10.0 ** k)) for c in claims]
    changed = [(c.qualname, a, b) for c, a, b in zip(claims, base, scaled, strict=True)
               if a != b]
    assert not changed, changed
    assert {"refuted", "verified", "unstable"} <= {v[0] for v in base}  # not vacuous


SQUARE = dc.Space(x=dc.real("D"))
SMALL = {
    "right": dc.gradient(lambda x: jnp.sum(x ** 2), lambda x: 2 * x, space=SQUARE, wrt="x"),
    "wrong_sign": dc.gradient(lambda x: jnp.sum(x ** 2), lambda x: -2 * x, space=SQUARE,
                              wrt="x"),
}


@pytest.mark.parametrize("name", list(SMALL))
def test_every_scale_from_1e_minus_12_to_1e12_gives_the_same_verdict(name):
    claim = SMALL[name]
    base = verdicts(claim)
    for k in range(-12, 13):
        assert verdicts(scaled_claim(claim, 10.0 ** k)) == base, k
    assert base[0] == ("verified" if name == "right" else "refuted")


def _tiny_sign_error(unit):
    from derivcheck._diagnose import diagnose

    t = np.array([1.0, -2.0, 0.5]) * 1e-12
    return diagnose([-t], [t], [{"w": np.array([0.5, 0.25, 1.0])}], unit=unit)


def test_a_sign_error_at_scale_1e_minus_12_is_diagnosed_against_the_claims_unit():
    assert _tiny_sign_error(1e-12) == "looks like a sign error: claimed = -1 × autodiff"


def test_against_an_absolute_floor_of_1_the_tiny_sign_error_was_not_named():  # the twin
    assert _tiny_sign_error(1.0) is None


def test_a_tiny_claim_off_by_a_small_factor_is_diagnosed_as_at_scale_1():
    S = dc.Space(x=dc.real("D"))
    notes = [dc.check(dc.gradient(lambda x, c=c: c * jnp.sum(x ** 2),
                                  lambda x, c=c: 1.0001 * c * 2 * x, space=S, wrt="x"),
                      profile="quick").diagnosis for c in (1.0, 1e-12)]
    assert notes[0] is not None and notes[0] == notes[1]


# -- a NumPy reference (finite differences) measures the claim's unit too ----------------

NP_SPACE = dc.Space(theta=dc.real("D"), X=dc.real("N D"), y=dc.binary("N"))


def _np_logistic(scale):
    def cost(theta, X, y):  # NumPy code JAX cannot trace: finite differences are the truth
        h = 1.0 / (1.0 + np.exp(-(np.asarray(X) @ np.asarray(theta))))
        return float(-scale * np.mean(y * np.log(h) + (1 - y) * np.log(1 - h)))

    def grad(factor):
        def g(theta, X, y):
            h = 1.0 / (1.0 + np.exp(-(np.asarray(X) @ np.asarray(theta))))
            return factor * scale * np.asarray(X).T @ (h - y) / len(y)
        return g
    return cost, grad


@pytest.mark.parametrize("factor", [-1.0, 0.0], ids=["sign", "zero"])
def test_a_wrong_gradient_of_a_tiny_numpy_loss_is_refuted(factor):
    cost, grad = _np_logistic(1e-12)
    r = dc.check_gradient(cost, grad(factor), space=NP_SPACE, wrt="theta", profile="quick")
    assert (r.status, r.oracle) == ("refuted", "finite differences"), str(r)


def test_the_right_gradient_of_a_tiny_numpy_loss_is_verified():  # the twin
    cost, grad = _np_logistic(1e-12)
    r = dc.check_gradient(cost, grad(1.0), space=NP_SPACE, wrt="theta", profile="quick")
    assert (r.status, r.oracle) == ("verified", "finite differences"), str(r)

"""A second look at an input finite differences fail, where the reference is noisier.

:class:`~._fd_check.FiniteDifferenceChecker` checks each input once, with the
reference's precision measured at the first inputs. ``log(1 - σ(z))`` at a
large ``z`` cancels to a few digits; its float64 values move in flat steps,
and finite differences of it are off by far more than an estimate made for
float64's rounding (they may even give a derivative of 0). So where a line
fails, :func:`recheck` measures the precision there (the fit of
:func:`derivcheck._fd_noise.precision`, and the reference's distance from its
own values in extended precision, :func:`derivcheck._fd_noise.extended_gap`)
and, where it is coarser, checks the input again with it. Where it is too
coarse to resolve the derivative, the input is not counted.

At a kink (one-sided values that differ along the probe's direction), an input
still failing agrees where the claim is the gradient of a nearby problem:
another real input moved by ``±h`` as a whole, the limit ``h → 0``
(backpropagation's ``ReLU'(0) = 0`` at every tie at once is the gradient with
the biases a little lower), as :func:`derivcheck._engine._kinks._nearby_problem`
accepts on the compiled path.
"""

from __future__ import annotations

import numpy as np

from .. import _fd
from .._targets import Probe
from ._kinks import nudges
from ._records import Errors
from ._rules import failing

__all__ = ["recheck"]

#: A failing input is checked again where the reference's values are this many times
#: noisier than its measured precision.
NOISIER = 4.0
#: How far (relative to its size) another input is moved for a nearby problem, and
#: the first finite-difference step there (relative to the wrt input's size), far
#: below it so that the steps stay on the nearby problem's side of the tie.
NUDGE, NUDGE_STEP = 1e-4, 1e-6


def at_kink(probes: dict) -> bool:
    """Whether finite differences found a kink at the input (one-sided values differ)."""
    return any(np.any(np.asarray(pr.lo) != np.asarray(pr.hi)) for pr in probes.values())


def recheck(ck, b: int, i: int, x: dict, probes: dict, out: Errors, unit: float,
            accuracy: float) -> None:
    """Check failing input ``i`` (at ``x``, first checked against ``probes``) again:
    with the reference's precision there, then (at a kink) against nearby problems.
    ``accuracy`` is the checker's before that first check."""
    _noisier(ck, b, i, x, probes, out, unit, accuracy)
    if failing(out)[i].any() and at_kink(probes):
        _nearby_problem(ck, b, i, x, out, unit)


def _noisier(ck, b: int, i: int, x: dict, probes: dict, out: Errors, unit: float,
             accuracy: float) -> None:
    """Check again with the reference's precision at ``x``, where it is coarser than
    the measured one. At a kink the fit would straddle it, so only the extended
    precision is asked there."""
    rng = ck._rng(x)
    try:
        with np.errstate(all="ignore"):
            eps = ck.oracle.precision_at(x, rng, fit=not at_kink(probes), extended=True)
    except Exception:  # noqa: BLE001 - a nearby point out of the reference's domain
        return
    known = max(ck.oracle.eps or 0.0, float(np.finfo(np.float64).eps))
    if not eps > NOISIER * known:
        return
    again = ck._probes(b, x, rng, eps=eps)
    if again is None:
        return
    ck.probed -= 1  # the first check of this input is replaced
    ck.resolved -= int(out.tfin[i])
    ck.accuracy = accuracy
    out.err[i], out.step[i], out.slack[i] = np.nan, np.nan, 0.0
    out.fin[i], out.tfin[i], out.ran[i] = True, False, False
    ck._check_input(b, i, x, again, out, unit)


def _nearby_problem(ck, b: int, i: int, x: dict, out: Errors, unit: float) -> None:
    """Clear the failures of input ``i`` where the claim is the gradient of a nearby
    problem: another real input moved by ``±h`` as a whole, the limit ``h → 0``."""
    bad = failing(out)[i]
    for n, v, h in nudges(ck.space, x, set(ck.oracle.target.wrt_names), NUDGE):
        lim = _nearby_probes(ck, x, n, v, h)
        if lim is None or at_kink(lim):
            continue
        row = _check_one(ck, b, x, lim, out.mag[i], out.threshold, unit)
        if row is not None and not failing(row)[0][bad].any():
            out.err[i, bad] = 0.0  # the gradient of a nearby problem: it agrees
            return


def _nearby_probes(ck, x: dict, name: str, v: np.ndarray, h: float) -> dict | None:
    """The truth's probes at ``x`` with input ``name`` moved by ``h``: the limit from
    ``h`` and ``2h`` (along the same directions); None where the reference fails."""
    parts = {slot.part for slot in ck.slots}
    try:
        with np.errstate(all="ignore"), _fd.first_step(NUDGE_STEP):
            near = {p: ck.oracle.probe({**x, name: v + h}, p, ck._rng(x, 7)) for p in parts}
            far = {p: ck.oracle.probe({**x, name: v + 2 * h}, p, ck._rng(x, 7)) for p in parts}
    except Exception:  # noqa: BLE001 - out of the reference's domain: no nearby problem
        return None
    return {p: Probe(2 * np.asarray(near[p].lo) - far[p].lo, 2 * np.asarray(near[p].hi)
                     - far[p].hi, 2 * np.asarray(near[p].error) + far[p].error,
                     near[p].weight, near[p].project, near[p].shape) for p in parts}


def _check_one(ck, b: int, x: dict, probes: dict, mag: float, threshold: float,
               unit: float) -> Errors | None:
    """The claim at ``x`` against ``probes``, in a row of its own (the checker's
    counters kept); None where the probes do not resolve the truth."""
    n = len(ck.slots)
    row = Errors(err=np.full((1, n), np.nan), step=np.full((1, n), np.nan),
                 fin=np.ones((1, n), dtype=bool), tfin=np.zeros(1, dtype=bool),
                 mag=np.array([mag]), ran=np.zeros((1, n), dtype=bool),
                 slack=np.zeros((1, n)), threshold=threshold)
    kept = ck.probed, ck.resolved, ck.accuracy
    try:
        ck._check_input(b, 0, x, probes, row, unit)
    finally:
        ck.probed, ck.resolved, ck.accuracy = kept
    return row if row.tfin[0] else None

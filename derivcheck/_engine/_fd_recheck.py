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
"""

from __future__ import annotations

import numpy as np

from ._records import Errors

__all__ = ["recheck"]

#: A failing input is checked again where the reference's values are this many times
#: noisier than its measured precision.
NOISIER = 4.0


def at_kink(probes: dict) -> bool:
    """Whether finite differences found a kink at the input (one-sided values differ)."""
    return any(np.any(np.asarray(pr.lo) != np.asarray(pr.hi)) for pr in probes.values())


def recheck(ck, b: int, i: int, x: dict, probes: dict, out: Errors, unit: float,
            accuracy: float) -> None:
    """Check failing input ``i`` (at ``x``, first checked against ``probes``) again with
    the reference's precision there, where it is coarser than the measured one.
    ``accuracy`` is the checker's before that first check. At a kink the fit would
    straddle it, so only the extended precision is asked there."""
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

"""Evidence of floating-point breakdown, for the judge's ``unstable`` verdict.

A line that fails only beyond the calm bound is ``unstable`` when its
failure rests on evidence that float64 broke down there, and ``refuted``
otherwise (input magnitude alone is no such evidence):

- the claimed value is not finite where the truth is (overflow, 0/0);
- or evaluating one side (the claimed line, or the reference) in float32
  instead of float64 moves it by at least
  :data:`~derivcheck._tolerance.PRECISION_RATIO` times the float64 error. A
  rounding error scales with the precision's epsilon (float32's is 5e8 times
  float64's); a wrong formula's error stays where it is. A float32 value
  that is not finite says nothing either way (float32 overflows at 3e38);
  then a step of that side, followed in float64, that turns finite values
  into inf or nan, or non-zero values into 0 (underflow), is the evidence;
- or, where float32 says nothing, or even at a calm input, the side's
  rounding spread reaches the error: perturbing float64 step results at random
  (a quarter of them, down by up to one unit in the last place: a lower bound of
  one rounding's, see :class:`._steps._Cursor`) moves the side by at least the
  error, or makes it not finite (``log(1 - h)`` with ``h`` near 1 at a moderate logit). A wrong
  formula's error does not move with the rounding (:mod:`._steps`).

For a property (``dc.holds``), whose predicate says only true or false, the
evidence is a predicate that fails in float32 at points of the same ray
where it holds in float64: where it starts failing depends on the precision.

The float64 values come from the bucket's compiled check; each float32
evaluation is one jitted call on the one input (one compile, where running
the side op by op compiled every operation on its own).
"""

from __future__ import annotations

import warnings

import numpy as np

from .. import _tolerance as tol
from .._shrink import magnitude
from ._evaluate import Checker
from ._records import LineMode, LineSlot, part_of
from ._steps import as_dtype, jitted, overflows_at, rounding_spread

__all__ = ["breakdown"]


def _value(fn, x: dict, dtype, *, transpose: bool = False) -> np.ndarray | None:
    """``fn`` at ``x`` with float inputs in ``dtype``, as float64 (None if it raises).

    For a traced side, ``fn`` is its jitted form (:func:`._steps.jitted`), called on NumPy
    arrays like a NumPy side: a jitted call takes them as they are, where making them
    JAX arrays first ran (and compiled) an operation per input."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            raw = fn(as_dtype(x, dtype))
            out = np.dtype(getattr(raw, "dtype", np.float64))
            if np.issubdtype(out, np.floating) and out != np.dtype(dtype):
                return None  # it computed in another precision (float64 constants)
            v = np.asarray(raw, dtype=np.float64)
    except Exception:  # a side that cannot run in float32 gives no evidence
        return None
    return v.T if transpose else v


def breakdown(ck: Checker, slot: LineSlot, b: int, x: dict,
              onset: float | None = None, *, calm: bool = False) -> str | None:
    """Why the failure of ``slot`` at ``x`` (bucket ``b``) is floating point, or None.

    ``onset`` is the smallest failing magnitude on the ray through ``x``
    (used for properties). ``calm``: ``x`` is a calm input; a side's float32 move, a
    step that overflows and the rounding spread count there too (a moderate input
    can be an extreme logit, ``1 - h`` with ``h`` near 1), not magnitude alone.
    """
    if ck.property:
        return None if calm else _property_breakdown(ck, slot, b, x, onset)
    traced = slot.mode.get(b) is not LineMode.NUMPY
    transpose = slot.mode.get(b) is LineMode.TRANSPOSED
    whole = ck.oracle.truth

    def truth(inputs):  # the part of the truth this line claims
        return part_of(whole(inputs), slot.part)

    # Both sides in float64 come from the bucket's compiled check (no eager run).
    res = ck.call(b, ck.batch_from([x], b))
    if res is None:  # no compiled check (finite differences): the claimed value alone
        claimed = getattr(ck, "claimed_value", None)
        g = None if calm or claimed is None else claimed(b, slot, x)
        if g is not None and not np.all(np.isfinite(g)):
            return "the claimed value is not finite there (overflow or 0/0)"
        return None
    # to NumPy first, then the row: indexing a device array is an operation of its own,
    # compiled for each shape
    t64 = np.asarray(part_of(res[1], slot.part), dtype=np.float64)[0]
    if traced:
        g64 = np.asarray(res[2][slot.index], dtype=np.float64)[0]
        g64 = g64.T if transpose else g64
    else:
        g64 = _value(slot.fn, x, np.float64)
        low = np.dtype(ck.profile.dtype)
        if low != np.float64 and g64 is not None:  # NumPy code as checked: in float32
            g_low = _value(slot.fn, x, low, transpose=transpose)
            if g_low is not None and not np.all(np.isfinite(g_low)):
                return None if calm else "the claimed value is not finite there (overflow or 0/0)"
    if t64 is None or g64 is None or g64.shape != t64.shape:
        return None
    if not np.all(np.isfinite(g64)):
        return None if calm else "the claimed value is not finite there (overflow or 0/0)"
    err = float(np.max(np.abs(g64 - t64))) if g64.size else 0.0
    sides = (("claimed line", slot.fn, g64, traced, transpose, ("line", slot.index), slot.fn),
             ("reference", truth, t64, True, False, ("truth", slot.part), whole))
    inconclusive = []
    for side, fn, v64, tr, tp, key, made_of in sides:
        v32 = _value(jitted(ck, key, fn, functions=[made_of]) if tr else fn, x, np.float32,
                     transpose=tp)
        if v32 is None or v32.shape != v64.shape or not np.all(np.isfinite(v32)):
            inconclusive.append((side, fn, tr, key, made_of, v64, tp))
            continue
        moved = float(np.max(np.abs(v32 - v64))) if v32.size else 0.0
        if moved > 0 and moved >= tol.PRECISION_RATIO * err:
            return (f"the {side} moves by {moved / max(err, 1e-300):.2g}× its float64 "
                    "error when evaluated in float32 (a rounding error)")
    for side, fn, tr, key, made_of, _, _ in inconclusive:  # float32 overflowed: float64
        if tr and overflows_at(ck, fn, x, key, made_of):
            return (f"an intermediate step of the {side} overflows or underflows in float64 "
                    "(inf, nan, or a non-zero product rounded to 0)")
    why = _spread_explains(ck, x, err, inconclusive)
    if why is not None:
        return why
    if not calm and len(inconclusive) == len(sides) and not all(
            tr for _, _, tr, *_ in inconclusive):
        # NumPy code that cannot run in float32 (it promotes to float64): no
        # precision test is possible, so a failure only beyond the calm range
        # is not called a wrong formula on magnitude alone, nor silently passed.
        return ("fails only beyond the calm range, and neither side could be re-evaluated "
                "in float32 to tell rounding from a wrong formula")
    return None


def _spread_explains(ck: Checker, x: dict, err: float, sides: list) -> str | None:
    """Whether a traced side's rounding spread at ``x`` reaches the float64 error ``err``
    (``sides``: (name, fn, traced, key, made_of, float64 value, transposed))."""
    for side, fn, tr, key, made_of, v64, tp in sides:
        moved = rounding_spread(ck, fn, x, key, made_of, v64, tp) if tr and err > 0 else 0.0
        if moved == np.inf:
            return (f"the {side} is not finite when each float64 step's rounding is "
                    "perturbed: it is within one rounding of breaking down there (as is "
                    "log(1 - h) with h near 1)")
        if moved >= tol.PRECISION_RATIO * err > 0:
            return (f"the {side} moves by {moved / err:.2g}× its float64 error when each "
                    "float64 step's rounding is perturbed (a rounding error, as in 1 - h "
                    "with h near 1)")
    return None


#: Points tried below a property's onset, at onset · 2^(-k/2) for k = 1..8.
_RAY_POINTS = 8


def _property_breakdown(ck: Checker, slot: LineSlot, b: int, x: dict,
                        onset: float | None) -> str | None:
    mag = magnitude(ck.space, x)
    if not mag or not onset:
        return None
    cands = [ck.space.scaled(x, onset / mag * 2.0 ** (-k / 2)) for k in range(1, _RAY_POINTS + 1)]
    holds64 = ~ck.fails_on(b, slot.index, cands)
    traced = slot.mode.get(b) is not LineMode.NUMPY
    for c, ok in zip(cands, holds64, strict=True):
        if not ok:
            continue
        fn = (jitted(ck, ("line", slot.index), slot.fn, functions=[slot.fn]) if traced
              else slot.fn)
        v32 = _value(fn, c, np.float32)
        if v32 is not None and not bool(np.all(v32)):
            return (f"it fails in float32 from magnitude {magnitude(ck.space, c):.3g}, "
                    f"in float64 only from {onset:.3g} (rounding)")
    return None

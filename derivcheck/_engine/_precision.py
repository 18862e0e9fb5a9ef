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
  into inf or nan, or non-zero values into 0 (underflow), is the evidence.

For a property (``dc.holds``), whose predicate says only true or false, the
evidence is a predicate that fails in float32 at points of the same ray
where it holds in float64: where it starts failing depends on the precision.

The float64 values come from the bucket's compiled check; each float32
evaluation is one jitted call on the one input (one compile, where running
the side op by op compiled every operation on its own).
"""

from __future__ import annotations

import enum
import warnings

import numpy as np

from .. import _tolerance as tol
from .._shrink import magnitude
from ._evaluate import Checker
from ._records import LineMode, LineSlot, part_of

__all__ = ["breakdown"]


def _as(x: dict, dtype) -> dict:
    """``x`` as NumPy arrays, its floats in ``dtype`` (jitted and traced sides take NumPy
    arrays as they are; making JAX arrays first ran, and compiled, an operation each)."""
    out = {}
    for k, v in x.items():
        v = np.asarray(v)
        out[k] = v.astype(dtype) if np.issubdtype(v.dtype, np.floating) else v
    return out


def _jitted(ck: Checker, key: tuple, fn, *, functions: list):
    """``jax.jit(fn)``, one per checker and ``key``: a side evaluated at several inputs
    of one shape (the lines of a chain share their reference) is traced once, and
    its compiled programs are kept in the program store (``functions`` and ``key``
    are what ``fn`` is made of)."""
    cache = ck.memos.setdefault("jitted", {})
    if key not in cache:
        cache[key] = ck.compiler.stored_jit(fn, functions=functions,
                                            extra=("precision", key, ck.profile.dtype))
    return cache[key]


def _value(fn, x: dict, dtype, *, transpose: bool = False) -> np.ndarray | None:
    """``fn`` at ``x`` with float inputs in ``dtype``, as float64 (None if it raises).

    For a traced side, ``fn`` is its jitted form (:func:`_jitted`), called on NumPy
    arrays like a NumPy side: a jitted call takes them as they are, where making them
    JAX arrays first ran (and compiled) an operation per input."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            raw = fn(_as(x, dtype))
            out = np.dtype(getattr(raw, "dtype", np.float64))
            if np.issubdtype(out, np.floating) and out != np.dtype(dtype):
                return None  # it computed in another precision (float64 constants)
            v = np.asarray(raw, dtype=np.float64)
    except Exception:  # a side that cannot run in float32 gives no evidence
        return None
    return v.T if transpose else v


def breakdown(ck: Checker, slot: LineSlot, b: int, x: dict,
              onset: float | None = None) -> str | None:
    """Why the failure of ``slot`` at ``x`` (bucket ``b``) is floating point, or None.

    ``onset`` is the smallest failing magnitude on the ray through ``x``
    (used for properties).
    """
    if ck.property:
        return _property_breakdown(ck, slot, b, x, onset)
    traced = slot.mode.get(b) is not LineMode.NUMPY
    transpose = slot.mode.get(b) is LineMode.TRANSPOSED
    whole = ck.oracle.truth

    def truth(inputs):  # the part of the truth this line claims
        return part_of(whole(inputs), slot.part)

    # Both sides in float64 come from the bucket's compiled check (no eager run).
    res = ck.call(b, ck.batch_from([x], b))
    if res is None:
        return None
    # to NumPy first, then the row: indexing a device array is an operation of its own,
    # compiled for each shape
    t64 = np.asarray(part_of(res[1], slot.part), dtype=np.float64)[0]
    if traced:
        g64 = np.asarray(res[2][slot.index], dtype=np.float64)[0]
        g64 = g64.T if transpose else g64
    else:
        g64 = _value(slot.fn, x, np.float64)
    if t64 is None or g64 is None or g64.shape != t64.shape:
        return None
    if not np.all(np.isfinite(g64)):
        return "the claimed value is not finite there (overflow or 0/0)"
    err = float(np.max(np.abs(g64 - t64))) if g64.size else 0.0
    sides = (("claimed line", slot.fn, g64, traced, transpose, ("line", slot.index), slot.fn),
             ("reference", truth, t64, True, False, ("truth", slot.part), whole))
    inconclusive = []
    for side, fn, v64, tr, tp, key, made_of in sides:
        v32 = _value(_jitted(ck, key, fn, functions=[made_of]) if tr else fn, x, np.float32,
                     transpose=tp)
        if v32 is None or v32.shape != v64.shape or not np.all(np.isfinite(v32)):
            inconclusive.append((side, fn, tr, key, made_of))
            continue
        moved = float(np.max(np.abs(v32 - v64))) if v32.size else 0.0
        if moved > 0 and moved >= tol.PRECISION_RATIO * err:
            return (f"the {side} moves by {moved / max(err, 1e-300):.2g}× its float64 "
                    "error when evaluated in float32 (a rounding error)")
    for side, fn, tr, key, made_of in inconclusive:  # float32 overflowed: look in float64
        if tr and _overflows_at(ck, fn, x, key, made_of):
            return (f"an intermediate step of the {side} overflows or underflows in float64 "
                    "(inf, nan, or a non-zero product rounded to 0)")
    if len(inconclusive) == len(sides) and not all(tr for _, _, tr, _, _ in inconclusive):
        # NumPy code that cannot run in float32 (it promotes to float64): no
        # precision test is possible, so a failure only beyond the calm range
        # is not called a wrong formula on magnitude alone, nor silently passed.
        return ("fails only beyond the calm range, and neither side could be re-evaluated "
                "in float32 to tell rounding from a wrong formula")
    return None


def _overflows_at(ck: Checker, fn, x: dict, key: tuple, made_of) -> bool:
    """:func:`_overflows` of a traced side ``fn`` (made of ``made_of``; ``key`` names
    the side) at ``x``, kept in the program store as a fact of the side and the
    input's values: a warm run neither traces the side again nor steps through it."""
    jaxprs = ck.memos.setdefault("jaxprs", {})  # a side's program, per input shape
    return bool(ck.compiler.fact(
        "overflows", functions=[made_of], shapes=(key, _as(x, np.float64)),
        compute=lambda: _overflows(fn, x, _stored_ops(ck), jaxprs=jaxprs, key=key)))


#: Primitives whose inner program is followed step by step.
_CALLS = frozenset({"pjit", "jit", "closed_call", "core_call", "custom_jvp_call",
                    "custom_vjp_call", "custom_vjp_call_jaxpr", "remat", "checkpoint"})


def _inexact(a) -> bool:
    return np.issubdtype(np.asarray(a).dtype, np.inexact)


def _finite(vals) -> bool:
    return all(np.all(np.isfinite(np.asarray(a))) for a in vals if _inexact(a))


#: Primitives whose result is 0 only by underflow when no operand is 0.
_UNDERFLOWING = frozenset({"mul", "div", "exp", "exp2", "integer_pow", "pow"})


def _underflow(eqn, ins, outs) -> bool:
    """A product, quotient, power or exponential of non-zero values that rounded to 0."""
    if eqn.primitive.name not in _UNDERFLOWING or not all(_inexact(o) for o in outs):
        return False
    if eqn.primitive.name not in ("exp", "exp2") and not all(
            np.all(np.asarray(a) != 0) for a in ins):
        return False
    return any(np.any(np.asarray(o) == 0) for o in outs)


def _eager(eqn, ins):
    return eqn.primitive.bind(*ins, **eqn.params)


def _run(closed, args, op=_eager) -> tuple[bool, list]:
    """Evaluate a jaxpr step by step: (did a step turn finite values into inf/nan, outputs).

    ``op(eqn, ins)`` runs one step (default: the primitive, eagerly)."""
    from jax.extend import core as jcore

    jaxpr = getattr(closed, "jaxpr", closed)
    env = dict(zip(jaxpr.constvars, getattr(closed, "consts", ()), strict=False))
    env.update(zip(jaxpr.invars, args, strict=True))

    def read(v):
        return v.val if isinstance(v, jcore.Literal) else env[v]

    found = False
    for eqn in jaxpr.eqns:
        ins = [read(v) for v in eqn.invars]
        sub = next((eqn.params[k] for k in ("jaxpr", "call_jaxpr", "fun_jaxpr")
                    if k in eqn.params), None)
        if sub is not None and eqn.primitive.name in _CALLS:
            inner, outs = _run(sub, ins, op)
            found |= inner
        else:
            outs = op(eqn, ins)
            outs = list(outs) if eqn.primitive.multiple_results else [outs]
            found |= _finite(ins) and (not _finite(outs) or _underflow(eqn, ins, outs))
        env.update(zip(eqn.outvars, outs, strict=True))
    return found, [read(v) for v in jaxpr.outvars]


def _plain(v) -> bool:
    """Whether a primitive's parameter is a plain value its ``repr`` names fully."""
    if isinstance(v, (tuple, list)):
        return all(_plain(i) for i in v)
    return (v is None or isinstance(v, (bool, int, float, complex, str, np.dtype, enum.Enum,
                                        np.generic))  # np.int64(2) in a reduction's axes
            or (isinstance(v, type) and issubclass(v, np.generic)))


def _stored_ops(ck: Checker):
    """A step runner for :func:`_run` that runs each step as its own compiled program,
    as an eager call does (``jax.jit`` of the one primitive, JAX's default options),
    kept in the program store: in a new process an eager step is lowered again
    (about 5 ms each), where a kept one is loaded. Steps with parameters other
    than plain values (a sub-program, a sharding) run eagerly."""
    if ck.compiler.store is None:
        return _eager
    cache = ck.memos.setdefault("steps", {})

    def op(eqn, ins):
        prim, params = eqn.primitive, eqn.params
        if not all(_plain(v) for v in params.values()):
            return _eager(eqn, ins)
        key = (prim.name, tuple(sorted((k, repr(v)) for k, v in params.items())))
        if key not in cache:
            cache[key] = ck.compiler.stored_jit(lambda *a: prim.bind(*a, **params),
                                                functions=[], extra=("step", *key))
        try:
            return cache[key](*ins)
        except Exception:  # whatever the compiled form cannot take runs eagerly
            return _eager(eqn, ins)

    return op


def _overflows(fn, x: dict, op=_eager, *, jaxprs: dict | None = None, key=None) -> bool:
    """Whether some step of ``fn`` at ``x`` in float64 turns finite values into inf or
    nan, or non-zero ones into 0 (see :func:`_underflow`).

    ``jaxprs``: a memo of ``fn``'s program per input shape, under ``key`` (a side
    checked at several inputs of one shape is traced once)."""
    import jax

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            x64 = _as(x, np.float64)
            shapes = (key, tuple((k, v.shape, v.dtype.str) for k, v in x64.items()))
            closed = None if jaxprs is None else jaxprs.get(shapes)
            if closed is None:
                closed = jax.make_jaxpr(lambda *a: fn(dict(zip(x64, a, strict=True))))(
                    *x64.values())
                if jaxprs is not None:
                    jaxprs[shapes] = closed
            return _run(closed, list(x64.values()), op)[0]
    except Exception:  # a program this interpreter cannot follow gives no evidence
        return False


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
        fn = (_jitted(ck, ("line", slot.index), slot.fn, functions=[slot.fn]) if traced
              else slot.fn)
        v32 = _value(fn, c, np.float32)
        if v32 is not None and not bool(np.all(v32)):
            return (f"it fails in float32 from magnitude {magnitude(ck.space, c):.3g}, "
                    f"in float64 only from {onset:.3g} (rounding)")
    return None

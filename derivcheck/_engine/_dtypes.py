"""Low precision inside a claim: a reference or line that computes in float32.

derivcheck checks in float64. A loss that casts to float32 inside
(``x.astype(jnp.float32)``, a float32 constant) makes its autodiff truth
accurate to float32 only, so a correct float64 gradient fails by rounding.
:func:`low_precision_note` finds such a side by tracing it once on one input
and looking for a value of a lower float dtype anywhere in its program.
"""

from __future__ import annotations

import numpy as np

__all__ = ["as_seen", "jaxpr_of", "low_dtype", "low_precision_note"]

_LOW = ("float32", "float16", "bfloat16")


def _subjaxprs(params: dict):
    for v in params.values():
        for item in (v if isinstance(v, (list, tuple)) else (v,)):
            if hasattr(item, "eqns") or hasattr(getattr(item, "jaxpr", None), "eqns"):
                yield item


def low_dtype(closed) -> str | None:
    """The first lower-precision float dtype among the program's values, or None."""
    jaxpr = getattr(closed, "jaxpr", closed)
    for var in list(jaxpr.constvars) + [o for e in jaxpr.eqns for o in e.outvars]:
        name = str(getattr(getattr(var, "aval", None), "dtype", ""))
        if name in _LOW:
            return name
    for eqn in jaxpr.eqns:
        for sub in _subjaxprs(eqn.params):
            found = low_dtype(sub)
            if found:
                return found
    return None


def jaxpr_of(fn, x: dict):
    """The jaxpr of ``fn`` (a function of one input dict) at ``x``, its inputs in the
    order of ``x``; None where JAX cannot trace it (NumPy code, a broken side)."""
    import jax
    import jax.numpy as jnp

    vals = {k: jnp.asarray(np.asarray(v)) for k, v in x.items()}
    try:
        return jax.make_jaxpr(lambda *a: fn(dict(zip(vals, a, strict=True))))(*vals.values())
    except Exception:  # noqa: BLE001 - a side JAX cannot trace is not inspected
        return None


def _traced_dtype(fn, x: dict) -> str | None:
    closed = jaxpr_of(fn, x)
    return None if closed is None else low_dtype(closed)


def low_precision_note(ck, slot, x: dict) -> str | None:
    """One line naming the side (reference or claimed line) that computes below float64."""
    key = tuple(sorted((k, np.shape(v)) for k, v in x.items()))  # a trace record's key
    record = getattr(getattr(ck, "fused", None), "records", {}).get(key)
    if getattr(record, "all_float64", False):
        return None  # the check traced for these shapes holds every side, all float64
    sides = []
    if ck.oracle is not None:
        sides.append(("the reference", ck.oracle.truth))
    line = (f"claimed line {slot.index + 1}" if slot.index < len(ck.claim.lines)
            else "the fix")
    sides.append((line, slot.fn))
    memo = ck.memos.setdefault("low_dtypes", {})  # the reference, once per claim and shape
    shapes = tuple((k, np.shape(v), np.asarray(v).dtype.str) for k, v in x.items())
    for side, fn in sides:
        if side == "the reference" and shapes in memo:
            dtype = memo[shapes]
        else:  # kept in the program store across runs: tracing a side is the cost here
            dtype = ck.compiler.fact("low_dtype", functions=[fn], shapes=shapes,
                                     compute=lambda fn=fn: _traced_dtype(fn, x))
        if side == "the reference":
            memo[shapes] = dtype
        if dtype:
            return (f"{side} computes in {dtype} (a {dtype} value inside it), so it is "
                    f"accurate to {dtype} only; derivcheck checks in float64: remove the "
                    f"{dtype} cast or constant (e.g. .astype(jnp.{dtype}))")
    return None


def as_seen(batch: dict, dtype) -> dict:
    """``batch`` as a check in ``dtype`` saw it: each float input rounded to ``dtype`` (and
    back to float64). Lines in float32 compute at those values, and the truth with them, so
    a tie the rounding made (two entries 1 ulp of float32 apart) is a tie there.

    >>> as_seen({"x": np.array([1.0, 1.0 + 1e-9])}, "float32")["x"].tolist()
    [1.0, 1.0]
    """
    if np.dtype(dtype) == np.float64:
        return batch
    return {k: np.asarray(v).astype(dtype).astype(np.float64)
            if np.issubdtype(np.asarray(v).dtype, np.floating) else v for k, v in batch.items()}


"""The traced body of a fused check (:class:`._compile.FusedCheck`): for one example,
the truth from the oracle and each traceable line's value. Their errors are computed
on the host from these values (:mod:`._outcome`): the comparison's exact steps need
no compiling.

While JAX traces it, each line's :class:`.LineMode` is decided and kept in the
check's trace record for those shapes: a line that raises is caught (its columns
hold NaN), a line that JAX cannot trace is marked as NumPy code.
"""

from __future__ import annotations

import traceback

import jax.numpy as jnp

from .._claims import ClaimError
from ._records import LineMode, TraceRecord, part_of, shapes_of
from ._rules import first_line, judge_output

__all__ = ["single_fn"]


def single_fn(check, slots, truth):
    """The body of a fused check: one example's truth, every traceable line's value and
    every predicate's value (see :class:`._compile.FusedCheck`). Tracing it records each
    line's mode in ``check.records`` and counts ``check.traces``."""
    prop = truth is None
    n = len(slots)
    slot_fns = [(sl.index, sl.fn, sl.numpy, sl.part) for sl in slots]

    low = check.dtype == "float32"

    def single(inp):
        check.traces += 1  # runs once per trace
        rec = check.records[shapes_of(inp, batched=False)] = TraceRecord()
        line_inp = inp
        if low:  # lines compute in float32; the truth sees the same values in float64
            line_inp = {k: v.astype(jnp.float32) if jnp.issubdtype(v.dtype, jnp.floating)
                        else v for k, v in inp.items()}
            inp = {k: v.astype(jnp.float64) if jnp.issubdtype(v.dtype, jnp.floating)
                   else v for k, v in line_inp.items()}
        nan = jnp.asarray(jnp.nan)
        preds = [nan] * n  # each predicate's value (a property's lines)
        t = None
        if not prop:
            try:
                t = truth(inp)
                t = (tuple(jnp.asarray(p, jnp.float64) for p in t) if isinstance(t, tuple)
                     else jnp.asarray(t, jnp.float64))
            except Exception as exc:  # NumPy code, or a broken reference
                rec.truth_untraceable = not isinstance(exc, ClaimError)
                rec.truth_error = (f"the reference raised {first_line(exc)}; fix the "
                                   "function (--traceback shows where)")
                rec.truth_trace = traceback.format_exc()
                return nan, (nan,) * n, (nan,) * n
            rec.truth_shape = (tuple(p.shape for p in t) if isinstance(t, tuple)
                               else tuple(t.shape))
        raws = [nan] * n  # each line's own output, for the diagnosis
        for i, fn, numpy, part in slot_fns:
            if numpy:  # declared NumPy code (dc.numpy_fn): never traced
                rec.modes[i] = LineMode.NUMPY
                continue
            try:
                raw = fn(line_inp)
            except ClaimError as exc:
                rec.modes[i], rec.messages[i] = LineMode.ERROR, str(exc)
                continue
            except Exception:  # noqa: BLE001 - any failure under tracing: try NumPy
                # NumPy code fails under tracing in many ways (np.exp of a tracer,
                # scores[range(N), y], in-place assignment, `if x > 0`). The line
                # then runs on NumPy arrays; if it fails there too, that is its error.
                rec.modes[i] = LineMode.NUMPY
                continue
            mode, why = judge_output(raw, part_of(rec.truth_shape, part), prop=prop,
                                     dtype=check.dtype)
            rec.modes[i] = mode
            if why:
                rec.messages[i] = why
            if mode is LineMode.ERROR:
                continue
            if prop:
                try:
                    preds[i] = jnp.asarray(raw)
                except Exception as exc:  # not a boolean at all, e.g. a string
                    rec.modes[i] = LineMode.ERROR
                    rec.messages[i] = (f"returns a {type(raw).__name__} ({first_line(exc)}); "
                                       "a dc.holds predicate must return a boolean array")
                continue
            raws[i] = jnp.asarray(raw, jnp.float64)
        return (nan if prop else t), tuple(raws), tuple(preds)

    return single

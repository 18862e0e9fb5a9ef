"""The traced body of a fused check (:class:`._compile.FusedCheck`): for one example,
the truth from the oracle, each traceable line and its errors, packed into one vector.

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


def _maxabs(a):
    return jnp.max(jnp.abs(a)) if a.size else jnp.asarray(0.0)


def single_fn(check, slots, truth, float_names):
    """The body of a fused check: one example's truth, every traceable line, their
    errors packed into one vector (see :class:`._compile.FusedCheck`). Tracing it
    records each line's mode in ``check.records`` and counts ``check.traces``."""
    prop = truth is None
    n = len(slots)
    slot_fns = [(sl.index, sl.fn, sl.prev, sl.numpy, sl.part) for sl in slots]

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
        mags = [jnp.max(jnp.abs(inp[k])) for k in float_names if inp[k].size]
        s = jnp.max(jnp.stack(mags)) if mags else jnp.asarray(0.0)
        nan = jnp.asarray(jnp.nan)
        errs, steps, fins = [nan] * n, [nan] * n, [jnp.asarray(True)] * n
        refs = [nan] * n  # max|reference| of each line's step error
        tscales = [nan] * n  # max|truth| (its part) of each line
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
                return jnp.zeros(5 * n + 3), nan, (nan,) * n
            rec.truth_shape = (tuple(p.shape for p in t) if isinstance(t, tuple)
                               else tuple(t.shape))
            tmax = jnp.max(jnp.stack([_maxabs(p) for p in
                                      (t if isinstance(t, tuple) else (t,))]))
        vals = {}
        raws = [nan] * n  # each line's own output, for the diagnosis
        for i, fn, prev, numpy, part in slot_fns:
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
                    errs[i] = jnp.where(jnp.all(jnp.asarray(raw)), 0.0, 1.0)
                except Exception as exc:  # not a boolean at all, e.g. a string
                    rec.modes[i] = LineMode.ERROR
                    rec.messages[i] = (f"returns a {type(raw).__name__} ({first_line(exc)}); "
                                       "a dc.holds predicate must return a boolean array")
                    continue
                steps[i] = jnp.asarray(0.0)
                continue
            g = raws[i] = jnp.asarray(raw, jnp.float64)
            if mode is LineMode.TRANSPOSED:
                g = g.T
            vals[i] = g
            # Absolute differences: the evaluate stage divides them by the
            # floor of :mod:`.._tolerance`, which needs the claim's unit.
            tpart = part_of(t, part)
            errs[i] = _maxabs(g - tpart)
            tscales[i] = _maxabs(tpart)
            ref = vals.get(prev) if prev is not None else None
            steps[i] = errs[i] if ref is None else _maxabs(g - ref)
            refs[i] = tscales[i] if ref is None else _maxabs(ref)
            fins[i] = jnp.all(jnp.isfinite(g))
        tfin = (jnp.asarray(True) if prop else
                jnp.all(jnp.stack([jnp.all(jnp.isfinite(p)) for p in
                                   (t if isinstance(t, tuple) else (t,))])))
        tmax = nan if prop else tmax
        # One packed vector per input: a single device-to-host transfer per batch.
        packed = jnp.concatenate([
            jnp.stack(errs), jnp.stack(steps), jnp.stack(refs),
            jnp.stack(fins).astype(jnp.float64), jnp.stack(tscales),
            jnp.stack([tfin.astype(jnp.float64), s, tmax])])
        return packed, (nan if prop else t), tuple(raws)

    return single

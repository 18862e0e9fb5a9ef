"""The verdict rules: what a line's output must look like, and what counts as failing.

- :func:`judge_output`: is what a line returned checkable (shape, dtype)?
  Its :class:`LineMode` in a bucket follows.
- :func:`failing`: which inputs a line fails, by the tolerance of
  :mod:`derivcheck._tolerance`.
- :func:`step_failing`: at which inputs a derivation line differs from the
  line before it (its step), by the same tolerance.
- :func:`plainly_passing`: whether a batch NumPy ran leaves nothing to judge (else
  its bucket's results are XLA's from then on).

The compile stage applies :func:`judge_output` while tracing; search and
judge apply :func:`failing` to every batch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._records import Errors, LineMode

__all__ = ["CLEAN_SHARE", "failing", "first_line", "judge_output", "plainly_passing",
           "shape_hint", "step_failing"]


def first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".strip()


def judge_output(raw: Any, tshape: tuple | None, *, prop: bool,
                 dtype: str = "float64") -> tuple[LineMode, str | None]:
    """A line's mode from what it returned: jax, transposed or error (with why)."""
    if isinstance(raw, (tuple, list, dict)):
        return LineMode.ERROR, f"returns a {type(raw).__name__}; return one array"
    if prop:
        if raw is None:
            return LineMode.ERROR, ("returns None; a dc.holds predicate must return a boolean "
                                    "or a boolean array, e.g. `return jnp.all(p > 0)` "
                                    "(is a `return` missing?)")
        return LineMode.JAX, None
    if isinstance(raw, (bool, int, float, complex)) and tshape != ():
        return LineMode.ERROR, (f"returns a Python {type(raw).__name__}, not an array of "
                                f"shape {tshape}; return a jnp array")
    want = dtype
    shape = tuple(getattr(raw, "shape", ()))
    dtype = np.dtype(getattr(raw, "dtype", np.float64))
    if shape != tshape:
        if len(shape) >= 2 and shape == tshape[::-1]:
            return LineMode.TRANSPOSED, None
        return LineMode.ERROR, (f"returns shape {shape}, but the truth has shape {tshape}; "
                                + shape_hint(shape, tshape))
    if dtype == np.float32 and want == "float32":
        return LineMode.JAX, None
    if dtype != np.float64 and not isinstance(raw, (int, float)):
        if dtype == np.float32:
            return LineMode.ERROR, ("returns float32, not float64; derivcheck checks in "
                                    "float64, so compute with float64 arrays, or check "
                                    "float32 code with dtype=\"float32\" (--dtype float32)")
        return LineMode.ERROR, (f"returns {dtype}, not float64; derivcheck checks in float64, "
                                "so compute with float64 arrays")
    return LineMode.JAX, None


def shape_hint(shape: tuple, tshape: tuple) -> str:
    """What to do about a claimed ``shape`` where the truth has ``tshape``.

    >>> shape_hint((1, 5), (5,))
    'the claimed value has an extra axis of length 1; squeeze it'
    >>> shape_hint((5,), (5, 1))
    'the claimed value lacks an axis of length 1; reshape it to (5, 1)'
    >>> shape_hint((3, 4), (4, 5))
    'check the layout of the claimed expression'
    """
    squeezed = tuple(d for d in shape if d != 1)
    tsqueezed = tuple(d for d in tshape if d != 1)
    if squeezed == tsqueezed and shape and tshape is not None:
        if len(shape) > len(tshape):
            extra = len(shape) - len(tshape)
            axes = "an extra axis" if extra == 1 else f"{extra} extra axes"
            return f"the claimed value has {axes} of length 1; squeeze it"
        if len(shape) < len(tshape):
            return f"the claimed value lacks an axis of length 1; reshape it to {tshape}"
    if tsqueezed and squeezed == tsqueezed and not shape:
        return f"the claimed value is a scalar; reshape it to {tshape}"
    return "check the layout of the claimed expression"


def failing(out: Errors) -> np.ndarray:
    """(B, L) mask: the truth is finite and the line is non-finite or too far off."""
    with np.errstate(invalid="ignore"):
        limit = out.threshold if out.slack is None else np.maximum(out.threshold, out.slack)
        bad = (~out.fin) | (out.err > limit)
    return bad & out.tfin[:, None] & out.ran


def step_failing(out: Errors, j: int, prev: int) -> tuple[np.ndarray, np.ndarray]:
    """Where line ``j`` differs from line ``prev``, and where that could be judged.

    Returns two (B,) masks: *judged* (both lines ran and are finite) and
    *failing* (judged, and the step error is above the threshold). The truth
    plays no part: a step can hold between two wrong lines.
    """
    judged = out.ran[:, j] & out.ran[:, prev] & out.fin[:, j] & out.fin[:, prev]
    with np.errstate(invalid="ignore"):
        bad = judged & ~(out.step[:, j] <= out.threshold)
    return judged, bad


#: A batch NumPy ran is plainly passing where every error is below this share of
#: the threshold (see :meth:`._evaluate.Checker.collect`).
CLEAN_SHARE = 0.01


def plainly_passing(out: Errors, slots: list, b: int) -> bool:
    """Whether a batch's compiled-line results leave nothing to judge: every truth and
    every traced line finite, every error far below the threshold."""
    traced = [s.index for s in slots if s.mode.get(b) is not None and s.mode[b].runs
              and s.mode[b] is not LineMode.NUMPY]
    if not out.tfin.all() or any(s.mode.get(b) is LineMode.TRANSPOSED for s in slots):
        return False
    if not traced:
        return True
    limit = CLEAN_SHARE * out.threshold
    with np.errstate(invalid="ignore"):
        return bool(out.fin[:, traced].all() and (out.err[:, traced] <= limit).all()
                    and (out.step[:, traced] <= limit).all())

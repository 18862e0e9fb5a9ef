"""The host half of a fused check: from the values its program returns (the truth and
each line's value, per input) to the packed vector of errors the evaluate stage reads.

The program (:mod:`._single`) computes only what needs XLA's (or, interpreted, the same
NumPy steps') arithmetic: the truth and the lines. Their comparison uses exact steps
alone: a difference, an absolute value, a maximum, a finiteness test. So it is done
here, in NumPy, with the same results as inside the program: XLA compiled one
reduction per line and error (a third of a catalog's compile time) for what NumPy does
in microseconds. XLA's CPU code flushes subnormal numbers to zero, on the way in and
out of each step; so do these steps (:func:`._interp_ops._flushed`).

Each row of the packed array holds, for ``n`` lines: ``n`` errors (max |line - truth|),
``n`` step errors (max |line - previous line|), ``n`` step scales (max |previous
line|), ``n`` finiteness flags, ``n`` truth scales (max |truth|), then whether the truth
is finite, the input's magnitude and max |truth|.

>>> import numpy as np
>>> from derivcheck._engine._records import LineMode, TraceRecord
>>> rec = TraceRecord(truth_shape=(2,), modes={0: LineMode.JAX})
>>> spec = Spec(lines=((0, None, None),), float_names=("x",), dtype="float64", prop=False)
>>> t = np.array([[1.0, -2.0]]); g = np.array([[1.0, -2.5]])
>>> packed(spec, rec, {"x": np.array([[3.0, -4.0]])}, (t, (g,), (np.nan,))).tolist()
[[0.5, 0.5, 2.0, 1.0, 2.0, 1.0, 4.0, 2.0]]
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from ._interp_ops import _flushed
from ._records import LineMode, TraceRecord

__all__ = ["Outcome", "Spec", "packed"]


@dataclasses.dataclass(frozen=True)
class Spec:
    """What the host half needs of a fused check: each traced line as (index, previous
    line's index or None, truth part or None), the float inputs' names, the dtype the
    lines compute in, and whether the claim is a property (``dc.holds``)."""

    lines: tuple[tuple[int, int | None, int | None], ...]
    float_names: tuple[str, ...]
    dtype: str
    prop: bool


_TINY64, _TINY32 = np.finfo(np.float64).tiny, np.finfo(np.float32).tiny


def _rows(a: Any, size: int) -> np.ndarray:
    """``a`` as one flat row per input."""
    a = np.asarray(a)
    return a.reshape(size, -1) if a.ndim else np.broadcast_to(a, (size,)).reshape(size, 1)


def _maxabs(a: Any, size: int) -> np.ndarray:
    """max |a| of each input's value (0 for an empty value), as ``jnp.max(jnp.abs(a))``;
    nan where a value holds nan.

    NumPy reduces a short row slowly (about 50 µs for 1,024 rows of 6), so short rows
    are reduced as columns, which takes a tenth of that."""
    rows = np.abs(_rows(a, size))
    k = rows.shape[1]
    if k == 0:
        return np.zeros(size)
    if k == 1:
        return rows[:, 0]
    if k <= _SHORT_ROW:
        return np.ascontiguousarray(rows.T).max(axis=0)
    return rows.max(axis=1)


#: Rows of at most this many values are reduced as columns (see :func:`_maxabs`).
_SHORT_ROW = 32


def _flush(m: np.ndarray, tiny: float) -> np.ndarray:
    """Per-input maxima of absolute values, subnormal ones flushed to 0: the maximum of
    the flushed values, without a pass over all of them (flushing keeps the order)."""
    return np.where(m < tiny, 0.0, m)


def _aligned(a: np.ndarray, ndim: int) -> np.ndarray:
    """A batched value with axes added after the batch axis, so that each input's value
    broadcasts as the program's unbatched one did."""
    return a.reshape(a.shape[:1] + (1,) * (ndim - a.ndim) + a.shape[1:])


def _diff(a: np.ndarray, b: np.ndarray, size: int) -> np.ndarray:
    """max |a - b| per input (``a`` and ``b`` flushed), each difference flushed, with the
    per-input broadcasting of the program."""
    nd = max(a.ndim, b.ndim)
    with np.errstate(all="ignore"):
        return _flush(_maxabs(_aligned(a, nd) - _aligned(b, nd), size), _TINY64)


def _batched(a: Any, size: int) -> np.ndarray:
    """A value the program returned, as float64 with one row per input, subnormals flushed
    (XLA's steps read them as zeros)."""
    a = _flushed(np.asarray(a, dtype=np.float64))
    return a if a.ndim else np.broadcast_to(a, (size,))


def magnitudes(spec: Spec, batch: dict, size: int) -> np.ndarray:
    """Each input's magnitude: the largest |x| over its float inputs, as the lines see
    them (rounded to float32, and flushed there, where they compute in float32: rounding
    keeps the order, so the largest is rounded alone)."""
    mags = []
    for k in spec.float_names:
        v = np.asarray(batch[k])
        if v[0].size if v.ndim else True:
            m = _flush(_maxabs(v, size), _TINY64)
            if spec.dtype == "float32" and np.issubdtype(v.dtype, np.floating):
                with np.errstate(over="ignore"):  # beyond float32's range: inf, as in XLA
                    m = _flush(m.astype(np.float32), _TINY32).astype(np.float64)
            mags.append(m)
    return np.max(np.stack(mags), axis=0) if mags else np.zeros(size)


def packed(spec: Spec, record: TraceRecord, batch: dict, values: tuple) -> np.ndarray:
    """The packed errors of a batch (one row per input; see the module's docstring) from
    the program's ``values``: (truth, each line's value, each predicate's value)."""
    size = len(next(iter(batch.values())))
    t, raws, preds = values
    n = len(raws)
    nan, zero, one = np.full(size, np.nan), np.zeros(size), np.ones(size)
    errs, steps, refs, fins, tscales = ([nan] * n, [nan] * n, [nan] * n, [one] * n,
                                        [nan] * n)
    parts = None if spec.prop else (t if isinstance(t, tuple) else (t,))
    parts = None if parts is None else tuple(_batched(p, size) for p in parts)
    vals: dict[int, np.ndarray] = {}
    scale: dict[int, np.ndarray] = {}  # max |value| of each line run, per input
    pscale = None if parts is None else [_maxabs(p, size) for p in parts]
    for i, prev, part in spec.lines:
        mode = record.modes.get(i)
        if mode is None or not mode.runs or mode is LineMode.NUMPY:
            continue
        if spec.prop:
            errs[i] = np.where(np.all(_rows(_flushed(np.asarray(preds[i])), size) != 0,
                                      axis=1), 0.0, 1.0)
            steps[i] = zero
            continue
        g = _batched(raws[i], size)
        if mode is LineMode.TRANSPOSED:
            g = g.transpose(0, *range(g.ndim - 1, 0, -1))
        vals[i], scale[i] = g, _maxabs(g, size)
        whole = part is None or not isinstance(t, tuple)
        tpart = parts[0] if whole else parts[part]
        errs[i] = _diff(g, tpart, size)
        tscales[i] = pscale[0] if whole else pscale[part]
        ref = vals.get(prev) if prev is not None else None
        steps[i] = errs[i] if ref is None else _diff(g, ref, size)
        refs[i] = tscales[i] if ref is None else scale[prev]
        # a value is finite where its max |value| is: nan and inf carry through the max
        fins[i] = np.isfinite(scale[i]).astype(np.float64)
    if spec.prop:
        tfin, tmax = one, nan
    else:
        tmax = np.max(np.stack(pscale), axis=0)
        tfin = np.isfinite(tmax).astype(np.float64)
    cols = [*errs, *steps, *refs, *fins, *tscales, tfin, magnitudes(spec, batch, size), tmax]
    return np.stack(cols, axis=1) if cols else np.zeros((size, 0))


def _head(values: Any, rows: int) -> Any:
    """The first ``rows`` rows of each array in a tuple tree of batched values."""
    if isinstance(values, tuple):
        return tuple(_head(v, rows) for v in values)
    return np.asarray(values)[:rows]


class Outcome:
    """A dispatched fused check's result, as (packed errors, truth, each line's value):
    the program's values, and the packed errors computed from them when first read.

    Attributes:
      interpreted: NumPy ran the program (:mod:`._interp`), not XLA.
    """

    def __init__(self, spec: Spec, record: TraceRecord, batch: dict, values: tuple, *,
                 interpreted: bool) -> None:
        self.spec, self.record, self.batch, self.values = spec, record, batch, values
        self.interpreted = interpreted
        self._packed: np.ndarray | None = None

    @property
    def packed(self) -> np.ndarray:
        if self._packed is None:
            self._packed = packed(self.spec, self.record, self.batch, self.values)
        return self._packed

    def head(self, rows: int) -> Outcome:
        """The outcome of the batch's first ``rows`` inputs alone (the rest pad it)."""
        return Outcome(self.spec, self.record, {k: v[:rows] for k, v in self.batch.items()},
                       _head(self.values, rows), interpreted=self.interpreted)

    def __getitem__(self, i: int) -> Any:
        return (self.packed, self.values[0], self.values[1])[i]

    def __iter__(self):
        return iter((self.packed, self.values[0], self.values[1]))

    def __len__(self) -> int:
        return 3

"""The NumPy function of each jaxpr step :mod:`._interp` knows, with XLA's rules.

Each takes the step's input arrays and its parameters, and returns its result
(a list for a step with several), or None where it cannot take these values
(the check is compiled then). :func:`_flushed` is XLA's flush of subnormal
numbers to zero. ``tests/test_interp.py`` compares every step here with XLA's
own at special values.

>>> import numpy as np
>>> _FUNCTIONS["integer_pow"](np.array([2.0, -3.0]), y=3).tolist()
[8.0, -27.0]
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._interp_index import gather, scatter, scatter_add

__all__: list[str] = []  # private to _interp


def _int_pow(x, *, y):
    """x**y by squaring, multiplying in the order XLA's lowering does."""
    if y == 0:
        return np.ones_like(x)
    n, acc, base = abs(y), None, x
    while n:
        if n & 1:
            acc = base if acc is None else acc * base
        n >>= 1
        if n:
            base = base * base
    return 1 / acc if y < 0 else acc


def _div(x, y):
    if np.issubdtype(x.dtype, np.integer):
        with np.errstate(all="ignore"):
            q = np.abs(x) // np.where(y == 0, 1, np.abs(y))
        return np.where(y == 0, -1, np.sign(x) * np.sign(y) * q).astype(x.dtype)
    return np.divide(x, y)


def _rem(x, y):
    if np.issubdtype(x.dtype, np.integer):  # XLA: x % 0 is x
        return np.where(y == 0, x, np.fmod(x, np.where(y == 0, 1, y)))
    return np.fmod(x, y)


def _convert(x, *, new_dtype, **_):
    new = np.dtype(new_dtype)
    return x != 0 if new == np.bool_ else x.astype(new)


def _reduce(fn, lowest):
    def run(x, *, axes, **_):
        if x.size == 0 and lowest is not None:  # XLA starts a max from -inf, a min from inf
            start = (-np.inf if np.issubdtype(x.dtype, np.floating)
                     else np.iinfo(x.dtype).min) if lowest == "max" else (
                np.inf if np.issubdtype(x.dtype, np.floating) else np.iinfo(x.dtype).max)
            return fn(x, axis=tuple(axes), initial=start)
        return fn(x, axis=tuple(axes))
    return run


def _argmax(x, *, axes, index_dtype, pick=np.argmax):
    if len(axes) != 1 or x.shape[axes[0]] == 0:
        return None
    return pick(x, axis=axes[0]).astype(index_dtype)


def _broadcast(x, *, shape, broadcast_dimensions):
    expanded = [1] * len(shape)
    for src, dst in enumerate(broadcast_dimensions):
        expanded[dst] = x.shape[src]
    return np.broadcast_to(np.reshape(x, expanded), tuple(shape))


def _iota(*, dtype, shape, dimension):
    ramp = np.arange(shape[dimension], dtype=dtype)
    expanded = [1] * len(shape)
    expanded[dimension] = shape[dimension]
    return np.broadcast_to(ramp.reshape(expanded), tuple(shape))


def _dot(lhs, rhs, *, dimension_numbers, preferred_element_type=None):
    (lc, rc), (lb, rb) = dimension_numbers
    lf = [d for d in range(lhs.ndim) if d not in lc and d not in lb]
    rf = [d for d in range(rhs.ndim) if d not in rc and d not in rb]
    size = (lambda a, ds: int(np.prod([a.shape[d] for d in ds], dtype=np.int64)))
    bshape = [lhs.shape[d] for d in lb]
    a = np.transpose(lhs, [*lb, *lf, *lc]).reshape(size(lhs, lb), size(lhs, lf), size(lhs, lc))
    b = np.transpose(rhs, [*rb, *rc, *rf]).reshape(size(rhs, rb), size(rhs, rc), size(rhs, rf))
    out = np.matmul(a, b)
    shape = [*bshape, *[lhs.shape[d] for d in lf], *[rhs.shape[d] for d in rf]]
    out = out.reshape(shape)
    if preferred_element_type is not None:
        out = out.astype(preferred_element_type)
    return out


def _select(which, *cases):
    if which.dtype == np.bool_:
        return np.where(which, cases[1], cases[0])
    return np.choose(which, cases)


def _slice(x, *, start_indices, limit_indices, strides=None):
    strides = strides or (1,) * x.ndim
    bounds = zip(start_indices, limit_indices, strides, strict=True)
    return x[tuple(slice(s, e, st) for s, e, st in bounds)]


def _pad(x, value, *, padding_config):
    if any(lo < 0 or hi < 0 for lo, hi, _ in padding_config):
        return None
    shape = [lo + hi + (n + (n - 1) * inner if n else 0)
             for (lo, hi, inner), n in zip(padding_config, x.shape, strict=True)]
    out = np.full(shape, value, dtype=x.dtype)
    out[tuple(slice(lo, lo + (n + (n - 1) * inner if n else 0), inner + 1)
              for (lo, _, inner), n in zip(padding_config, x.shape, strict=True))] = x
    return out


def _dynamic_slice(x, *starts, slice_sizes):
    starts = [int(np.clip(s, 0, n - k))
              for s, n, k in zip(starts, x.shape, slice_sizes, strict=True)]
    return x[tuple(slice(s, s + k) for s, k in zip(starts, slice_sizes, strict=True))]


def _dynamic_update_slice(x, update, *starts):
    starts = [int(np.clip(s, 0, n - k))
              for s, n, k in zip(starts, x.shape, update.shape, strict=True)]
    out = x.copy()
    out[tuple(slice(s, s + k) for s, k in zip(starts, update.shape, strict=True))] = update
    return out


def _split(x, *, sizes, axis):
    return list(np.split(x, np.cumsum([int(s) for s in sizes])[:-1], axis=axis))


def _squeeze(x, *, dimensions):
    return np.squeeze(x, axis=tuple(dimensions))


def _reshape(x, *, new_sizes, dimensions=None):
    if dimensions is not None:
        return None
    return np.reshape(x, tuple(int(n) for n in new_sizes))


_UNARY = {"abs": np.abs, "neg": np.negative, "sign": np.sign, "exp": np.exp, "log": np.log,
          "log1p": np.log1p, "sqrt": np.sqrt, "is_finite": np.isfinite, "not": np.invert,
          "stop_gradient": lambda x: x, "expm1": np.expm1, "tanh": np.tanh,
          "floor": np.floor, "ceil": np.ceil, "square": np.square, "sin": np.sin,
          "cos": np.cos, "tan": np.tan, "asin": np.arcsin, "acos": np.arccos,
          "atan": np.arctan, "sinh": np.sinh, "cosh": np.cosh, "cbrt": np.cbrt,
          "exp2": np.exp2, "rsqrt": lambda x: 1 / np.sqrt(x), "copy": np.copy,
          "logistic": lambda x: 1 / (1 + np.exp(-x)), "imag": np.imag, "real": np.real}
_BINARY = {"add": np.add, "add_any": np.add, "sub": np.subtract, "mul": np.multiply,
           "div": _div, "rem": _rem, "max": np.maximum, "min": np.minimum, "pow": np.power,
           "eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal,
           "gt": np.greater, "ge": np.greater_equal, "and": np.bitwise_and,
           "or": np.bitwise_or, "xor": np.bitwise_xor, "atan2": np.arctan2}
#: Unary primitives whose only parameter is ``accuracy`` (None: the default).

_PARAMETRIC: dict[str, Callable] = {
    "integer_pow": _int_pow, "convert_element_type": _convert,
    "reduce_sum": _reduce(np.sum, None), "reduce_max": _reduce(np.max, "max"),
    "reduce_min": _reduce(np.min, "min"), "reduce_prod": _reduce(np.prod, None),
    "reduce_and": _reduce(np.all, None), "reduce_or": _reduce(np.any, None),
    "argmax": _argmax, "broadcast_in_dim": _broadcast, "iota": _iota, "dot_general": _dot,
    "transpose": lambda x, *, permutation: np.transpose(x, permutation),
    "squeeze": _squeeze, "reshape": _reshape, "slice": _slice, "pad": _pad,
    "concatenate": lambda *xs, dimension: np.concatenate(xs, axis=dimension),
    "stack": lambda *xs, axis: np.stack(xs, axis=axis), "split": _split,
    "select_n": _select, "clamp": lambda lo, x, hi: np.minimum(np.maximum(x, lo), hi),
    "rev": lambda x, *, dimensions: np.flip(x, axis=tuple(dimensions)),
    "argmin": lambda x, *, axes, index_dtype: _argmax(x, axes=axes, index_dtype=index_dtype,
                                                      pick=np.argmin),
    "cumsum": lambda x, *, axis, reverse: (np.flip(np.cumsum(np.flip(x, axis), axis), axis)
                                           if reverse else np.cumsum(x, axis)),
    "dynamic_slice": _dynamic_slice, "dynamic_update_slice": _dynamic_update_slice,
    "gather": gather, "scatter": scatter, "scatter-add": scatter_add,
}


#: The smallest normal number of each float dtype.
_TINY = {np.dtype(t): np.finfo(t).tiny for t in (np.float16, np.float32, np.float64)}


def _flushed(a: np.ndarray) -> np.ndarray:
    """``a`` with subnormal entries replaced by zeros of their sign: XLA's CPU code runs
    with flush-to-zero and denormals-are-zero, so a subnormal never reaches or leaves
    one of its steps (``exp(-710)`` is 0, ``log(1e-310)`` is -inf)."""
    tiny = _TINY.get(a.dtype)
    if tiny is None or not a.size:
        return a
    mag = np.abs(a)
    sub = (mag < tiny) & (mag > 0)
    return np.where(sub, np.copysign(np.zeros((), a.dtype), a), a) if sub.any() else a


#: Steps that only move values (or their sign bit): their results need no flush when
#: their inputs had one (a program's inputs and constants are flushed on entry).
_MOVES = frozenset({
    "broadcast_in_dim", "reshape", "transpose", "squeeze", "slice", "concatenate", "stack",
    "split", "pad", "rev", "gather", "dynamic_slice", "dynamic_update_slice", "select_n",
    "copy", "stop_gradient", "iota", "abs", "neg", "scatter", "is_finite", "eq", "ne", "lt",
    "le", "gt", "ge", "and", "or", "xor", "not", "argmax", "argmin", "reduce_and",
    "reduce_or", "reduce_max", "reduce_min", "max", "min", "clamp", "sign"})


_FUNCTIONS: dict[str, Callable] = {**_UNARY, **_BINARY, **_PARAMETRIC}

"""Run a traced check with NumPy, step by step, instead of compiling it.

Most of a catalog's compiled checks run once or twice per bucket, so XLA's
compile (about 30 ms a program) and the lowering before it (about 10 ms)
cost far more than the running. This module evaluates the check's jaxpr
directly: one NumPy call per primitive on the whole batch. A jaxpr that uses a
primitive (or a parameter) this module does not know is not interpreted: the
caller compiles it as before (:func:`plan` returns None).

NumPy rounds some steps differently from XLA (its own ``exp`` and ``log``,
pairwise sums, OpenBLAS products): the results agree to a few roundings, not
bit for bit. See :mod:`._compile` for which checks are interpreted.

>>> import jax, jax.numpy as jnp, numpy as np
>>> traced = jax.jit(lambda x: jnp.sum(jnp.exp(x) * 2.0)).trace(np.ones(3))
>>> program = plan(traced.jaxpr)
>>> float(program([np.zeros(3)])[0])
6.0
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._interp_index import gather, scatter, scatter_add

__all__ = ["CROSSOVER", "MAX_FLOATS", "Interpreted", "Program", "plan", "step"]


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
    if np.issubdtype(x.dtype, np.integer):
        return np.fmod(x, np.where(y == 0, 1, y))
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
          "log1p": np.log1p, "sqrt": np.sqrt, "is_finite": np.isfinite, "not": np.logical_not,
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
           "or": np.bitwise_or, "xor": np.bitwise_xor, "atan2": np.arctan2,
           "nextafter": np.nextafter}
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


class _Unsupported(Exception):
    pass


_CALLS = ("jit", "pjit", "closed_call", "core_call", "custom_jvp_call", "custom_vjp_call")
#: Parameters that must be None (or absent) for a step to be run here.
_MUST_BE_NONE = ("accuracy", "out_dtype")
#: Parameters that cannot change a value on one device.
_IGNORED = ("sharding", "out_sharding")


def _checked(eqn) -> tuple[str, dict]:
    """An equation's primitive name and the parameters its NumPy step takes."""
    name, params = eqn.primitive.name, dict(eqn.params)
    for p in _IGNORED:
        params.pop(p, None)
    for p in _MUST_BE_NONE:
        if params.pop(p, None) is not None:
            raise _Unsupported(f"{name} with {p}")
    if name in _UNARY or name in _BINARY:
        if params:
            raise _Unsupported(f"{name} with {sorted(params)}")
        return name, {}
    if name not in _PARAMETRIC:
        raise _Unsupported(name)
    if name == "convert_element_type":
        params.pop("weak_type", None)
        new = np.dtype(params["new_dtype"])
        if (np.issubdtype(np.dtype(eqn.invars[0].aval.dtype), np.inexact)
                and not np.issubdtype(new, np.inexact) and new != np.bool_):
            raise _Unsupported("float to integer")  # XLA's rounding and clamping
    if name.startswith("scatter"):  # the update is add or set: its jaxpr says no more
        for p in ("update_jaxpr", "update_consts", "indices_are_sorted", "unique_indices"):
            params.pop(p, None)
    if name == "dot_general":
        params.pop("precision", None)  # NumPy computes in the arrays' own dtype
        if len({np.dtype(v.aval.dtype) for v in eqn.invars}) != 1:
            raise _Unsupported("dot_general of mixed dtypes")
    return name, params


class Program:
    """A check's jaxpr as a flat list of NumPy steps (calls inlined); picklable, so the
    program store can keep it.

    Attributes:
      steps: ``(name, params, inputs, outputs, dtypes)`` each; an input is a slot
        number or a ``("const", array)`` pair, an output a slot number.
    """

    def __init__(self, closed) -> None:
        self.steps: list[tuple] = []
        self._slots = 0
        jaxpr = closed.jaxpr
        self.inputs = self._fresh(len(jaxpr.invars))
        env = dict(zip(jaxpr.invars, self.inputs, strict=True))
        self.outputs = self._inline(jaxpr, list(closed.consts), env)

    def _fresh(self, n: int) -> list[int]:
        self._slots += n
        return list(range(self._slots - n, self._slots))

    def _inline(self, jaxpr, consts: list, env: dict) -> list:
        env.update((v, ("const", np.asarray(c)))
                   for v, c in zip(jaxpr.constvars, consts, strict=True))

        def ref(v):
            return ("const", np.asarray(v.val)) if hasattr(v, "val") else env[v]

        for eqn in jaxpr.eqns:
            ins = [ref(v) for v in eqn.invars]
            if eqn.primitive.name in _CALLS:
                inner = (eqn.params.get("jaxpr") or eqn.params.get("call_jaxpr")
                         or eqn.params.get("fun_jaxpr"))
                if inner is None or len(inner.jaxpr.invars) != len(ins):
                    raise _Unsupported(eqn.primitive.name)
                sub = dict(zip(inner.jaxpr.invars, ins, strict=True))
                outs = self._inline(inner.jaxpr, list(inner.consts), sub)
                env.update(zip(eqn.outvars, outs, strict=True))
                continue
            name, params = _checked(eqn)
            outs = self._fresh(len(eqn.outvars))
            dtypes = [np.dtype(v.aval.dtype) for v in eqn.outvars]
            self.steps.append((name, params, ins, outs, dtypes))
            env.update(zip(eqn.outvars, outs, strict=True))
        return [ref(v) for v in jaxpr.outvars]

    def __call__(self, args: list) -> list:
        """Run on flat input arrays; return the flat outputs (NumPy arrays).

        Raises ValueError where a step meets values it does not take."""
        slots: list[Any] = [None] * self._slots
        for i, a in zip(self.inputs, args, strict=True):
            slots[i] = np.asarray(a)

        def read(r):
            return r[1] if isinstance(r, tuple) else slots[r]

        with np.errstate(all="ignore"):
            for name, params, ins, outs, dtypes in self.steps:
                try:
                    res = _FUNCTIONS[name](*[read(r) for r in ins], **params)
                except Exception as exc:  # noqa: BLE001 - XLA may take what NumPy does not
                    raise ValueError(f"{name} on these values: {exc}") from None
                if res is None:
                    raise ValueError(f"{name} on these values is not interpretable")
                res = res if isinstance(res, list) else [res]
                for o, r, dt in zip(outs, res, dtypes, strict=True):
                    r = np.asarray(r)
                    slots[o] = r if r.dtype == dt else r.astype(dt)
        return [read(r) for r in self.outputs]


_FUNCTIONS: dict[str, Callable] = {**_UNARY, **_BINARY, **_PARAMETRIC}


def step(eqn, ins: list) -> list | None:
    """One jaxpr equation run by NumPy on ``ins``: its outputs, or None where this module
    does not know the step or cannot take these values (the caller runs it by JAX)."""
    try:
        name, params = _checked(eqn)
    except _Unsupported:
        return None
    try:
        with np.errstate(all="ignore"):
            res = _FUNCTIONS[name](*[np.asarray(a) for a in ins], **params)
    except Exception:  # noqa: BLE001 - XLA may take what NumPy does not
        return None
    if res is None:
        return None
    res = res if isinstance(res, list) else [res]
    return [np.asarray(r).astype(v.aval.dtype, copy=False)
            for r, v in zip(res, eqn.outvars, strict=True)]


def plan(closed) -> Program | None:
    """A NumPy :class:`Program` for a closed jaxpr, or None where a step is not known here."""
    try:
        return Program(closed)
    except _Unsupported:
        return None


#: Calls of a check run by NumPy before it is compiled: a catalog check runs on
#: a median of 2 batches per bucket, a shrinking search on up to a few hundred.
CROSSOVER = 16
#: Checks whose example holds more floats than this are compiled from the start:
#: on big arrays XLA's fused loops beat one NumPy call per step (the medium
#: benchmark claim, 19,000 floats, ran its first check 1.17x slower by NumPy).
MAX_FLOATS = 1024


class Interpreted:
    """A fused check run by its :class:`Program` on whole batches, until it has
    been called :data:`CROSSOVER` times (then its caller compiles it).

    Takes and returns what the jitted check does (a dict of batched inputs; the
    same output tree), with NumPy arrays for JAX's."""

    def __init__(self, program: Program, out_tree: Any) -> None:
        self.program, self.out_tree, self.calls = program, out_tree, 0

    @property
    def spent(self) -> bool:
        return self.calls >= CROSSOVER

    def __getstate__(self) -> dict:
        return {**self.__dict__, "calls": 0}  # a stored program starts afresh

    def __call__(self, batch: dict) -> Any:
        import jax

        self.calls += 1
        flat = self.program(jax.tree_util.tree_leaves(batch))
        return jax.tree_util.tree_unflatten(self.out_tree, flat)

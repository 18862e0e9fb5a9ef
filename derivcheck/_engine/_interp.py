"""Run a traced check with NumPy, step by step, instead of compiling it.

Most of a catalog's compiled checks run once or twice per bucket, so XLA's
compile (about 30 ms a program) and the lowering before it (about 10 ms)
cost far more than the running. This module evaluates the check's jaxpr
directly: one NumPy call per primitive on the whole batch. A jaxpr that uses a
primitive (or a parameter) this module does not know is not interpreted: the
caller compiles it as before (:func:`plan` returns None).

NumPy rounds some steps differently from XLA (its own ``exp`` and ``log``,
pairwise sums, OpenBLAS products): the results agree to a few roundings, not
bit for bit. XLA's CPU code flushes subnormal numbers to zero; so do these
steps (:func:`._interp_ops._flushed`). Each step is compared with XLA's at special values
(inf, nan, signed zeros, overflow edges) in ``tests/test_interp.py``. Which
checks run here, and how a failure still gets XLA's arithmetic: see
:meth:`._compile.Compiler.interprets` and ``Checker.collect``.

>>> import jax, jax.numpy as jnp, numpy as np
>>> traced = jax.jit(lambda x: jnp.sum(jnp.exp(x) * 2.0)).trace(np.ones(3))
>>> program = plan(traced.jaxpr)
>>> float(program([np.zeros(3)])[0])
6.0
"""

from __future__ import annotations

import math
from typing import Any

import jax
import numpy as np

from ._interp_ops import _BINARY, _FUNCTIONS, _MOVES, _PARAMETRIC, _UNARY, _flushed

__all__ = ["CROSSOVER", "MAX_CALL_SECONDS", "MAX_FLOATS", "Interpreted", "Program", "plan",
           "step"]


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
        #: Values all steps write in one call (with the steps, the cost of a call).
        self.work = 0
        self._slots = 0
        jaxpr = closed.jaxpr
        self.inputs = self._fresh(len(jaxpr.invars))
        env = dict(zip(jaxpr.invars, self.inputs, strict=True))
        self.outputs = self._inline(jaxpr, list(closed.consts), env)

    def _fresh(self, n: int) -> list[int]:
        self._slots += n
        return list(range(self._slots - n, self._slots))

    def _inline(self, jaxpr, consts: list, env: dict) -> list:
        env.update((v, ("const", _flushed(np.asarray(c))))
                   for v, c in zip(jaxpr.constvars, consts, strict=True))

        def ref(v):
            return ("const", _flushed(np.asarray(v.val))) if hasattr(v, "val") else env[v]

        for eqn in jaxpr.eqns:
            ins = [ref(v) for v in eqn.invars]
            if eqn.primitive.name == "platform_index":  # which branch the CPU takes
                env[eqn.outvars[0]] = ("const", np.int32(_cpu_branch(eqn.params["platforms"])))
                continue
            if eqn.primitive.name == "cond":  # on a known index: that branch, inlined
                branches = eqn.params["branches"]
                if not (isinstance(ins[0], tuple) and np.ndim(ins[0][1]) == 0):
                    raise _Unsupported("cond on a computed index")
                inner = branches[int(np.clip(ins[0][1], 0, len(branches) - 1))]
                sub = dict(zip(inner.jaxpr.invars, ins[1:], strict=True))
                outs = self._inline(inner.jaxpr, list(inner.consts), sub)
                env.update(zip(eqn.outvars, outs, strict=True))
                continue
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
            self.work += sum(math.prod(v.aval.shape) for v in eqn.outvars)
            self.steps.append((name, params, ins, outs, dtypes))
            env.update(zip(eqn.outvars, outs, strict=True))
        return [ref(v) for v in jaxpr.outvars]

    @property
    def seconds(self) -> float:
        """The estimated time of one call: 6.4 µs a step and 4.1 ns a value written, as
        fitted (correlation 0.993) to 342 programs of the catalog and seed 000 on the
        2-core machine of ``bench/``. A deterministic figure, so that whether a check
        runs here does not depend on the load of the machine."""
        return 6.4e-6 * len(self.steps) + 4.1e-9 * self.work

    def __call__(self, args: list) -> list:
        """Run on flat input arrays; return the flat outputs (NumPy arrays).

        Raises ValueError where a step meets values it does not take."""
        slots: list[Any] = [None] * self._slots
        for i, a in zip(self.inputs, args, strict=True):
            slots[i] = _flushed(np.asarray(a))

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
                    r = r if r.dtype == dt else r.astype(dt)
                    slots[o] = r if name in _MOVES else _flushed(r)
        return [read(r) for r in self.outputs]


def _cpu_branch(platforms: tuple) -> int:
    """The branch ``platform_index`` picks on the CPU (as JAX's lowering does): the first
    whose platforms name the CPU, else the default one (None).

    >>> _cpu_branch((("mosaic",), None)), _cpu_branch((("cpu", "cuda"), None))
    (1, 0)
    """
    for i, names in enumerate(platforms):
        if names is not None and "cpu" in names:
            return i
    if None in platforms:
        return platforms.index(None)
    raise _Unsupported(f"platform_index without the CPU among {platforms}")


def step(eqn, ins: list) -> list | None:
    """One jaxpr equation run by NumPy on ``ins``: its outputs, or None where this module
    does not know the step or cannot take these values (the caller runs it by JAX)."""
    try:
        name, params = _checked(eqn)
    except _Unsupported:
        return None
    try:
        with np.errstate(all="ignore"):
            res = _FUNCTIONS[name](*[_flushed(np.asarray(a)) for a in ins], **params)
    except Exception:  # noqa: BLE001 - XLA may take what NumPy does not
        return None
    if res is None:
        return None
    res = res if isinstance(res, list) else [res]
    return [_flushed(np.asarray(r).astype(v.aval.dtype, copy=False))
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
#: Checks whose calls are estimated to take longer (:attr:`Program.seconds`) are
#: compiled: a warm run loads a compiled check in about 5 ms, and a bucket runs
#: one or two batches, so a longer call would make warm runs slower.
MAX_CALL_SECONDS = 3e-3
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
        self.calls += 1
        flat = self.program(jax.tree_util.tree_leaves(batch))
        return jax.tree_util.tree_unflatten(self.out_tree, flat)

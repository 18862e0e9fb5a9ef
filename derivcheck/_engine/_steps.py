"""Following one side of a line step by step in float64, for :mod:`._precision`.

A side's program (its jaxpr, at one input) is walked step by step by :func:`_run`:

- the overflow test (:func:`overflows_at`): does a step turn finite values into inf
  or nan, or non-zero values into 0? Each step runs as its own compiled program, as
  an eager call does, kept in the program store;
- the rounding spread (:func:`rounding_spread`): how far does the side move when
  step results in float64 are perturbed at random, downwards by up to one unit in
  the last place ("Monte Carlo arithmetic", one-sided: see :class:`_Cursor`)? The
  walk is traced into one compiled program.

Both results are kept in the store as facts of the side and the input's values.
"""

from __future__ import annotations

import enum
import warnings

import numpy as np

from . import _interp
from ._evaluate import Checker

__all__ = ["as_dtype", "jitted", "overflows_at", "rounding_spread"]


def as_dtype(x: dict, dtype) -> dict:
    """``x`` as NumPy arrays, its floats in ``dtype`` (jitted and traced sides take NumPy
    arrays as they are; making JAX arrays first ran, and compiled, an operation each)."""
    out = {}
    for k, v in x.items():
        v = np.asarray(v)
        out[k] = v.astype(dtype) if np.issubdtype(v.dtype, np.floating) else v
    return out


def jitted(ck: Checker, key: tuple, fn, *, functions: list):
    """``jax.jit(fn)``, one per checker and ``key``: a side evaluated at several inputs
    of one shape (the lines of a chain share their reference) is traced once, and
    its compiled programs are kept in the program store (``functions`` and ``key``
    are what ``fn`` is made of)."""
    cache = ck.memos.setdefault("jitted", {})
    if key not in cache:
        cache[key] = ck.compiler.stored_jit(fn, functions=functions,
                                            extra=("precision", key, ck.profile.dtype))
    return cache[key]


def overflows_at(ck: Checker, fn, x: dict, key: tuple, made_of) -> bool:
    """:func:`_overflows` of a traced side ``fn`` (made of ``made_of``; ``key`` names
    the side) at ``x``, kept in the program store as a fact of the side and the
    input's values: a warm run neither traces the side again nor steps through it."""
    jaxprs = ck.memos.setdefault("jaxprs", {})  # a side's program, per input shape
    return bool(ck.compiler.fact(
        "overflows", functions=[made_of], shapes=(key, as_dtype(x, np.float64)),
        compute=lambda: _overflows(fn, x, _stored_ops(ck), jaxprs=jaxprs, key=key)))


#: Runs of :func:`rounding_spread`, each with other perturbations.
_PERTURBED_RUNS = 8
#: float64's unit roundoff: one rounding moves a value by at most this, relatively.
_UNIT_ROUNDOFF = 2.0 ** -53
#: The most step results :func:`rounding_spread` perturbs (else it gives no evidence).
_MAX_PERTURBED = 1 << 22


def rounding_spread(ck: Checker, fn, x: dict, key: tuple, made_of, v64, transpose) -> float:
    """How far a traced side ``fn`` at ``x`` moves from its float64 value ``v64`` when
    float64 step results are perturbed at random (down by up to one unit in the last
    place, a quarter of them: see :class:`_Cursor`): the spread of its rounding errors
    ("Monte Carlo arithmetic", a lower bound of one rounding's), where float32 says
    nothing (it overflows) or the input is calm; inf if a perturbed run is not finite
    (one rounding from breaking down: log of 1 - h, h within a rounding of 1). One
    compiled program per side and input shape, run :data:`_PERTURBED_RUNS` times on
    seeded perturbations; kept in the store as a fact of the side and the input's
    values. 0.0 if it cannot be followed."""
    import jax

    jaxprs = ck.memos.setdefault("jaxprs", {})
    x64 = as_dtype(x, np.float64)
    shapes = (key, tuple((k, v.shape, v.dtype.str) for k, v in x64.items()))

    def compute() -> float:
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                closed = jaxprs.get(shapes)
                if closed is None:
                    closed = jaxprs[shapes] = jax.make_jaxpr(
                        lambda *a: fn(dict(zip(x64, a, strict=True))))(*x64.values())
                size = _results(closed)
                if not 0 < size <= _MAX_PERTURBED:
                    return 0.0
                run = jitted(ck, ("perturbed", shapes), lambda u, *a: _run(
                    closed, list(a), perturb=_Cursor(u))[1][0], functions=[made_of])
                moved = 0.0
                for seed in range(_PERTURBED_RUNS):
                    u = np.random.default_rng(seed).uniform(-1.0, 1.0, size)
                    v = np.asarray(run(u, *x64.values()), dtype=np.float64)
                    v = v.T if transpose else v
                    if v.shape != v64.shape:
                        return 0.0
                    if not np.all(np.isfinite(v)):  # one rounding from breaking down
                        return np.inf
                    moved = max(moved, float(np.max(np.abs(v - v64))) if v.size else 0.0)
                return moved
        except Exception:  # a program this interpreter cannot follow gives no evidence
            return 0.0

    return float(ck.compiler.fact("rounding", functions=[made_of], shapes=(key, x64),
                                  compute=compute))


def _subprogram(eqn):
    """The inner program of a call step that :func:`_run` follows, or None."""
    if eqn.primitive.name not in _CALLS:
        return None
    return next((eqn.params[k] for k in ("jaxpr", "call_jaxpr", "fun_jaxpr")
                 if k in eqn.params), None)


def _results(closed) -> int:
    """How many float64 values the steps :func:`_run` takes of ``closed`` produce."""
    total = 0
    for eqn in getattr(closed, "jaxpr", closed).eqns:
        sub = _subprogram(eqn)
        if sub is not None:
            total += _results(sub)
            continue
        if eqn.primitive.name in _ROUNDING:
            total += sum(int(np.prod(v.aval.shape)) for v in eqn.outvars
                         if getattr(v.aval, "dtype", None) == np.float64)
    return total


#: Primitives whose float64 result is rounded (not exact, as a copy, a comparison, a
#: select, max, abs or a reshape are): only these are perturbed.
_ROUNDING = frozenset({
    "add", "sub", "mul", "div", "exp", "exp2", "log", "log1p", "expm1", "pow", "integer_pow",
    "sqrt", "rsqrt", "cbrt", "square", "tanh", "logistic", "sin", "cos", "tan", "asin", "acos",
    "atan", "atan2", "sinh", "cosh", "asinh", "acosh", "atanh", "erf", "erfc", "erf_inv",
    "lgamma", "digamma", "dot_general", "reduce_sum", "reduce_prod", "cumsum", "cumprod",
    "cumlogsumexp", "conv_general_dilated"})


class _Cursor:
    """Perturbs each rounded float64 step result ``v`` (:data:`_ROUNDING`; not where it
    is an integer, which is exact) by the factor ``1 + r·u`` (``r`` float64's unit
    roundoff), taking ``u`` (uniform in [-1, 1]) in turn from one flat array: as many
    values as :func:`_results` counts.

    The factor is computed in float64, so it rounds to 1 unless ``u < -1/2``, where it
    is ``1 - r``: about a quarter of the results move, each down by at most one unit in
    the last place, and none move up. The spread this finds is a lower bound of one
    rounding's; a perturbation both ways would find more, and would change which
    failures the judge calls rounding, so it is kept as is (known, not changed).

    >>> r = _UNIT_ROUNDOFF
    >>> sorted({1.0 + r * u for u in (-1.0, -0.6, -0.4, 0.0, 0.7, 1.0)})
    [0.9999999999999999, 1.0]
    """

    def __init__(self, u) -> None:
        self.u, self.at = u, 0

    def __call__(self, eqn, v):
        if eqn.primitive.name not in _ROUNDING or getattr(v, "dtype", None) != np.float64:
            return v
        import jax.numpy as jnp

        shape = np.shape(v)
        n = int(np.prod(shape))
        piece = self.u[self.at:self.at + n].reshape(shape)
        self.at += n
        # an integer value is exact (an index, a count, 1[y = j]): it is not rounded
        return v * (1.0 + _UNIT_ROUNDOFF * jnp.where(v == jnp.round(v), 0.0, piece))


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


def _run(closed, args, op=_eager, perturb=None) -> tuple[bool, list]:
    """Evaluate a jaxpr step by step: (did a step turn finite values into inf/nan, outputs).

    ``op(eqn, ins)`` runs one step (default: the primitive, eagerly). ``perturb``, a
    :class:`_Cursor` (while tracing), perturbs each step's float64 results (see
    :func:`rounding_spread`)."""
    from jax.extend import core as jcore

    jaxpr = getattr(closed, "jaxpr", closed)
    env = dict(zip(jaxpr.constvars, getattr(closed, "consts", ()), strict=False))
    env.update(zip(jaxpr.invars, args, strict=True))

    def read(v):
        return v.val if isinstance(v, jcore.Literal) else env[v]

    found = False
    for eqn in jaxpr.eqns:
        ins = [read(v) for v in eqn.invars]
        sub = _subprogram(eqn)
        if sub is not None:
            inner, outs = _run(sub, ins, op, perturb)
            found |= inner
        else:
            outs = op(eqn, ins)
            outs = list(outs) if eqn.primitive.multiple_results else [outs]
            if perturb is not None:
                outs = [perturb(eqn, o) for o in outs]
            else:
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
        by_numpy = _interp.step(eqn, ins)
        if by_numpy is not None:  # no compile at all (see ._interp)
            return by_numpy if prim.multiple_results else by_numpy[0]
        if not all(_plain(v) for v in params.values()):
            return _eager(eqn, ins)
        key = (prim.name, tuple(sorted((k, repr(v)) for k, v in params.items())))
        if key not in cache:
            cache[key] = ck.compiler.stored_jit(lambda *a: prim.bind(*a, **params),
                                                functions=[], extra=("step", *key), fast=False)
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
            x64 = as_dtype(x, np.float64)
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

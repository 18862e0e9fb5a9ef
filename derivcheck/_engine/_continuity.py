"""Whether a truth is continuous in the inputs a kink test moves: then it has no kink.

The kink test (:mod:`._kinks`) accepts a claimed value between the truth's
one-sided values where those differ: where autodiff's gradient jumps. A
gradient whose program only takes continuous steps of ``wrt`` (sums,
products, ``exp``, ``log``, ``max`` of values, a ``select`` on a
predicate that does not depend on ``wrt``) cannot jump, so no input of it is
at a kink, and its failures need no test. JAX's derivative of a kink always
takes a step that can jump: ``sign`` for ``abs``, a comparison and a
``select`` for ``max`` and ReLU, ``argmax`` for an index, a cast to an
integer for ``floor``. Those, and every step not known here, make the
answer "may jump", and the test runs as before.

This reads the truth's jaxpr once per claim and input shape (a fact kept in
the program store, :meth:`._compile.Compiler.fact`). A value that is
continuous where it is finite counts as continuous (``1/x``, ``log``): the
kink test needs finite one-sided values. ``isfinite`` of a continuous value
is taken as constant, as it is wherever that value is finite (the max of a
stable log-sum-exp), and so is ``x != x`` or ``x == inf`` (``logaddexp``).

>>> import jax, jax.numpy as jnp
>>> smooth = jax.make_jaxpr(jax.grad(lambda w: jnp.sum(jax.nn.log_softmax(w))))(jnp.ones(3))
>>> continuous(smooth, [True])
True
>>> relu = jax.make_jaxpr(jax.grad(lambda w: jnp.sum(jax.nn.relu(w))))(jnp.ones(3))
>>> continuous(relu, [True])
False
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ._dtypes import jaxpr_of

__all__ = ["continuous", "no_kinks", "truth_is_continuous"]

#: Levels of a value: constant in the moved inputs, continuous in them, or may jump.
CONST, CONT, JUMP = 0, 1, 2

#: Steps continuous in every operand (where their result is finite).
_CONTINUOUS = frozenset("""
abs acos acosh add add_any asin asinh atan atanh broadcast_in_dim cbrt clamp concatenate
conj copy copy_p cos cosh cumlogsumexp cummax cummin cumprod cumsum digamma div dot_general
erf erf_inv erfc exp exp2 expand_dims expm1 imag integer_pow lgamma log log1p logistic max
min mul neg optimization_barrier pad pow real reduce_max reduce_min reduce_precision
reduce_prod reduce_sum reshape rev rsqrt sin sinh slice split sqrt square squeeze
stop_gradient sub tan tanh transpose conv_general_dilated reduce_window_sum
""".split())
#: Steps whose listed operands are indices: continuous in the rest if those are constant.
_INDEXED = {"gather": (1,), "dynamic_slice": None, "dynamic_update_slice": None,
            "scatter": (1,), "scatter-add": (1,), "scatter_add": (1,), "scatter-mul": (1,),
            "scatter_mul": (1,)}
#: Calls whose body is one jaxpr, by the parameter that holds it.
_CALLS = {"jit": "jaxpr", "pjit": "jaxpr", "closed_call": "call_jaxpr",
          "core_call": "call_jaxpr", "custom_jvp_call": "call_jaxpr",
          "custom_vjp_call": "call_jaxpr", "custom_vjp_call_jaxpr": "fun_jaxpr",
          "remat": "jaxpr", "remat2": "jaxpr", "checkpoint": "jaxpr"}
#: Boolean steps that keep a "constant where finite" predicate one.
_LOGIC = frozenset({"and", "or", "not"})
_COMPARE = frozenset({"eq", "ne", "lt", "le", "gt", "ge"})


def _at_infinity(eqn) -> bool:
    """Whether a comparison is constant wherever its operands are finite: ``x != x``
    (``isnan``), or ``x`` against an infinite or NaN constant (``x == inf``)."""
    a, b = eqn.invars
    if a is b:
        return True
    for v in (a, b):
        val = getattr(v, "val", None)
        if val is not None and np.ndim(val) == 0 and not np.isfinite(val):
            return True
    return False


def _open(jaxpr) -> tuple[Any, list]:
    """The open jaxpr and its constants' levels (all constant)."""
    inner = getattr(jaxpr, "jaxpr", jaxpr)
    return inner, [CONST] * len(inner.constvars)


def _levels(jaxpr, levels: Sequence[int], preds: Sequence[bool] = ()) -> list[int]:
    """Each output's level, given each input's (:data:`CONST`, :data:`CONT`, :data:`JUMP`);
    ``preds``: which inputs are predicates constant where finite (``isfinite``)."""
    inner, consts = _open(jaxpr)
    env: dict = dict(zip(inner.constvars, consts, strict=True))
    env.update(zip(inner.invars, levels, strict=True))
    # isfinite of a continuous value: constant where it is finite (also in a called jaxpr)
    finite_preds: set = {v for v, p in zip(inner.invars, preds, strict=False) if p}

    def level(v) -> int:
        return env.get(v, CONST) if not hasattr(v, "val") else CONST

    def is_pred(v) -> bool:  # a literal is no variable (and cannot be hashed)
        return not hasattr(v, "val") and v in finite_preds

    for eqn in inner.eqns:
        name = eqn.primitive.name
        ins = [level(v) for v in eqn.invars]
        top = max(ins, default=CONST)
        outs = [_step(name, eqn, ins, top, is_pred)] * len(eqn.outvars)
        if name in _CALLS and _CALLS[name] in eqn.params:
            outs = _levels(eqn.params[_CALLS[name]], ins,
                           [is_pred(v) for v in eqn.invars])
        elif name == "cond":
            outs = _cond(eqn, ins)
        elif name == "scan":
            outs = _scan(eqn, ins)
        if top == CONT and (name == "is_finite" or name in _COMPARE and _at_infinity(eqn)) or (
                name in _LOGIC and top > CONST and all(
                    level(v) == CONST or is_pred(v) for v in eqn.invars)):
            finite_preds.update(eqn.outvars)
            outs = [JUMP]  # as a number it steps; as a select's predicate it is constant
        env.update(zip(eqn.outvars, outs, strict=True))
    return [level(v) for v in inner.outvars]


def _step(name: str, eqn, ins: list[int], top: int, is_pred) -> int:
    """The level of a plain step's outputs."""
    if top == CONST:
        return CONST
    if name in _CONTINUOUS:
        return top
    if name == "convert_element_type":
        return top if np.issubdtype(np.dtype(eqn.params["new_dtype"]), np.inexact) else JUMP
    if name == "select_n":
        pred = eqn.invars[0]
        if ins[0] == CONST or is_pred(pred):
            return max(ins[1:], default=CONST)
        return JUMP
    if name in _INDEXED:
        at = _INDEXED[name]
        idx = at if at is not None else range(1 if name == "dynamic_slice" else 2, len(ins))
        if any(ins[i] != CONST for i in idx):
            return JUMP
        return max((lv for i, lv in enumerate(ins) if i not in idx), default=CONST)
    return JUMP  # comparisons, sign, floor, argmax, sort, unknown steps


def _cond(eqn, ins: list[int]) -> list[int]:
    branches = eqn.params["branches"]
    if ins[0] != CONST:
        return [JUMP if max(ins) > CONST else CONST] * len(eqn.outvars)
    outs = [CONST] * len(eqn.outvars)
    for br in branches:
        outs = [max(a, b) for a, b in zip(outs, _levels(br, ins[1:]), strict=True)]
    return outs


def _scan(eqn, ins: list[int]) -> list[int]:
    """A scan's levels: its carry's taken to a fixed point (levels only rise)."""
    body, nc, ncarry = eqn.params["jaxpr"], eqn.params["num_consts"], eqn.params["num_carry"]
    carry = ins[nc:nc + ncarry]
    for _ in range(JUMP + 1):
        outs = _levels(body, [*ins[:nc], *carry, *ins[nc + ncarry:]])
        new = [max(a, b) for a, b in zip(carry, outs[:ncarry], strict=True)]
        if new == carry:
            break
        carry = new
    return [*carry, *outs[ncarry:]]


def continuous(jaxpr, moved: Sequence[bool]) -> bool:
    """Whether every output of ``jaxpr`` is continuous in the inputs flagged ``moved``
    (where finite): no step of it can jump as they move."""
    levels = _levels(jaxpr, [CONT if m else CONST for m in moved])
    return all(lv != JUMP for lv in levels)


def truth_is_continuous(truth, x: dict, moved: set[str]) -> bool:
    """:func:`continuous` for ``truth`` (a function of one input dict) at ``x``, moving
    the inputs named in ``moved``; False where JAX cannot trace it, or where its
    program holds something this reader does not expect."""
    closed = jaxpr_of(truth, x)
    if closed is None:
        return False
    try:
        return continuous(closed, [n in moved for n in x])
    except Exception:  # noqa: BLE001 - a program read unlike expected: test as before
        return False


def no_kinks(ck, b: int, batch: dict, moved: set[str]) -> bool:
    """Whether the truth of ``ck``'s claim is continuous in ``moved`` at the shapes of
    bucket ``b`` (so no input there is at a kink): once per check and bucket, and kept
    in the program store across runs."""
    memo = ck.memos.setdefault("continuous", {})
    if b not in memo:
        x = {k: np.asarray(v[0], np.float64) if np.issubdtype(np.asarray(v).dtype, np.floating)
             else np.asarray(v[0]) for k, v in batch.items()}
        shapes = tuple((k, v.shape, v.dtype.str) for k, v in x.items())
        truth = ck.oracle.truth
        memo[b] = bool(ck.compiler.fact(
            "continuous", functions=[truth], shapes=(shapes, tuple(sorted(moved))),
            compute=lambda: truth_is_continuous(truth, x, moved)))
    return memo[b]

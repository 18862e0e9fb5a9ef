"""Ties broken one way: the truth of the nearby problem a backpropagation convention solves.

At an exact tie (a pre-activation at 0 in ``max(z, 0)``, two equal entries of a
``max``) JAX's derivative takes its own convention: half to each side for
``max``/``min`` and ``reduce_max``, ``sign(0) = 0`` for ``|x|``. Hand-written
backpropagation takes another, the same at every tie: ``ReLU'(0) = 0`` (the
mask ``z > 0``) or ``ReLU'(0) = 1`` (``z >= 0``). Where many ties sit at once,
as in a ReLU net without biases at ``W1 = 0`` (every pre-activation is 0,
whatever ``X`` is), no single coordinate or other input breaks them, and such a
claim is neither a subgradient along a coordinate nor the truth at a moved input
(:mod:`._kinks`). It is the gradient of a nearby problem, though: the same
function with each tied value moved a hair the same way, as a bias would move it.

:func:`resolved` is that function. It runs the reference's own program, and
at each step that can tie (``max``, ``min``, ``abs``, ``clamp``, the float
comparisons, ``reduce_max``/``reduce_min``) decides an exact tie as if the
operand that depends on the inputs sat a hair higher (``direction`` +1) or
lower (-1); a reduction's tie goes to its first (last) entry. Every value is
exactly the reference's (a tie's sides are equal), so a tie further on stays a
tie; only the derivative at a tie follows the choice. ``[1, 1]`` for
``max(x1, x2)`` at a tie is the truth of neither direction and stays refuted;
so is a net that takes ``ReLU'(0) = 1`` at one unit and 0 at another.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.extend.core import jaxprs_in_params

__all__ = ["resolved", "tie_truths", "tied_problem"]

_BINARY = {"max", "min", "gt", "ge", "lt", "le"}
_CALLS = {"pjit", "jit", "closed_call", "core_call", "remat2", "checkpoint"}


def _routed(sel, orig):
    """``orig``'s value with ``sel``'s derivative (``sel`` equals ``orig`` where finite)."""
    return jnp.where(jnp.isfinite(orig), sel + lax.stop_gradient(orig - sel), orig)


def _floating(v) -> bool:
    return bool(jnp.issubdtype(jnp.result_type(v), jnp.floating))


def _binary(name: str, a, b, orig, first_moves: bool, up: bool):
    """``name`` of ``(a, b)`` as if the operand that moves with the inputs (the first if
    ``first_moves``) were a hair higher (``up``) or lower where they tie."""
    tie = a == b
    if name in ("max", "min"):
        first_wins = (up if name == "max" else not up) == first_moves
        sel = jnp.where((a > b if name == "max" else a < b) | (tie & first_wins), a, b)
        return _routed(sel, orig)
    at_tie = (up if name in ("gt", "ge") else not up) == first_moves
    return jnp.where(tie, at_tie, orig)


def _reduce(x, axes: Sequence[int], direction: float, pick: Callable):
    """``reduce_max``/``reduce_min`` over ``axes`` whose derivative goes to one entry: the
    first of the tied ones (``direction`` > 0), or the last."""
    keep = [d for d in range(x.ndim) if d not in axes]
    moved = jnp.transpose(x, keep + list(axes)).reshape([x.shape[d] for d in keep] + [-1])
    if direction < 0:
        moved = moved[..., ::-1]
    at = pick(moved, axis=-1)
    return jnp.take_along_axis(moved, at[..., None], axis=-1)[..., 0]  # the value: exact


def _depends(jaxpr, flags: list[bool]) -> dict:
    """Which variables of ``jaxpr`` depend on its inputs flagged in ``flags``."""
    dep = dict(zip(jaxpr.invars, flags, strict=True))
    for eqn in jaxpr.eqns:
        d = any(dep.get(v, False) for v in eqn.invars if not hasattr(v, "val"))
        for o in eqn.outvars:
            dep[o] = d
    return dep


def _has_ties(jaxpr) -> bool:
    """Whether ``jaxpr`` (or a program inside it) has a step that can tie."""
    for eqn in jaxpr.eqns:
        if eqn.primitive.name in _BINARY | {"abs", "clamp", "reduce_max", "reduce_min"}:
            return True
        if any(_has_ties(j.jaxpr if hasattr(j, "jaxpr") else j)
               for j in jaxprs_in_params(eqn.params)):
            return True
    return False


def _run(jaxpr, consts: list, args: list, flags: list[bool], direction: float) -> list:
    """``jaxpr`` evaluated with its ties broken towards ``direction`` (see the module)."""
    env: dict = dict(zip(jaxpr.constvars, consts, strict=True))
    env.update(zip(jaxpr.invars, args, strict=True))
    dep = _depends(jaxpr, list(flags))  # constants depend on nothing

    def read(v):
        return v.val if hasattr(v, "val") else env[v]

    for eqn in jaxpr.eqns:
        name, ins = eqn.primitive.name, [read(v) for v in eqn.invars]
        deps = [False if hasattr(v, "val") else dep.get(v, False) for v in eqn.invars]
        outs = None
        up = direction > 0
        if name in _BINARY and len(ins) == 2 and _floating(ins[0]):
            orig = eqn.primitive.bind(*ins, **eqn.primitive.get_bind_params(eqn.params))
            outs = [_binary(name, *ins, orig, deps[0] or not deps[1], up)]
        elif name == "abs" and _floating(ins[0]):
            x = ins[0]
            sel = jnp.where((x > 0) | ((x == 0) & up), x, -x)
            outs = [_routed(sel, jnp.abs(x))]
        elif name == "clamp" and _floating(ins[1]):
            lo, x, hi = ins
            sel = jnp.where((x < lo) | ((x == lo) & (not up)), lo,
                            jnp.where((x > hi) | ((x == hi) & up), hi, x))
            outs = [_routed(sel, lax.clamp(lo, x, hi))]
        elif name in ("reduce_max", "reduce_min") and _floating(ins[0]):
            pick = jnp.argmax if name == "reduce_max" else jnp.argmin
            orig = eqn.primitive.bind(*ins, **eqn.primitive.get_bind_params(eqn.params))
            outs = [_routed(_reduce(ins[0], tuple(eqn.params["axes"]), direction, pick), orig)]
        elif name in _CALLS or (name == "custom_jvp_call"
                                and _has_ties(eqn.params["call_jaxpr"].jaxpr)):
            inner = eqn.params.get("jaxpr") or eqn.params.get("call_jaxpr")
            closed = inner if hasattr(inner, "consts") else None
            body = closed.jaxpr if closed is not None else inner
            outs = _run(body, list(closed.consts) if closed is not None else [], ins, deps,
                        direction)
        if outs is None:
            ans = eqn.primitive.bind(*ins, **eqn.primitive.get_bind_params(eqn.params))
            outs = ans if eqn.primitive.multiple_results else [ans]
        for o, val in zip(eqn.outvars, outs, strict=True):
            env[o] = val
    return [read(v) for v in jaxpr.outvars]


def resolved(f: Callable[[dict], Any], direction: float) -> Callable[[dict], Any]:
    """``f`` (a function of one input dict, traceable by JAX) with every exact tie broken
    towards ``direction`` (+1 or -1): the same values, and the derivative of the nearby
    problem backpropagation solves.

    >>> relu_sum = lambda inp: jnp.sum(jnp.maximum(inp["z"], 0.0))
    >>> z = {"z": jnp.array([0.0, 2.0, -1.0])}
    >>> [jax.grad(lambda d: g(d))(z)["z"].tolist()
    ...  for g in (relu_sum, resolved(relu_sum, 1.0), resolved(relu_sum, -1.0))]
    [[0.5, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 1.0, 0.0]]
    """
    def g(inp: dict) -> Any:
        closed, shape = jax.make_jaxpr(f, return_shape=True)(inp)
        leaves = jax.tree_util.tree_leaves(inp)
        outs = _run(closed.jaxpr, list(closed.consts), leaves, [True] * len(leaves),
                    direction)
        return jax.tree_util.tree_unflatten(jax.tree_util.tree_structure(shape), outs)

    return g


def tie_truths(ck, b: int, part, xs: list[dict]) -> list[list[np.ndarray]]:
    """The truth of ``ck``'s claim at each input of ``xs`` with its ties broken each way
    (one list per direction, +1 then -1); empty where the claim has no JAX reference.
    Compiled once per check, bucket and direction."""
    from ._records import part_of

    reference = getattr(getattr(ck, "oracle", None), "reference", None)
    if reference is None:  # no JAX reference (finite differences, a property)
        return []
    memo = ck.memos.setdefault("ties", {})
    out = []
    for direction in (1.0, -1.0):
        if (b, direction) not in memo:
            truth = ck.claim.target.autodiff(resolved(reference, direction))
            memo[b, direction] = jax.jit(jax.vmap(truth))
        vals: list[np.ndarray] = []
        size = ck.batch_of(b)
        for start in range(0, len(xs), size):
            chunk = xs[start:start + size]
            res = memo[b, direction](ck.batch_from(chunk, b))
            vals.extend(np.asarray(part_of(res, part))[:len(chunk)])
        out.append(vals)
    return out


def tied_problem(ck, b: int, part, plans: dict) -> dict:
    """For each failing input of ``plans`` (as :mod:`._kinks` makes them: ``(x, w, (g, t,
    coords, tol_abs))``), whether the whole claimed value is the truth with every tie
    broken one way, entry by entry within the tolerance."""
    out = dict.fromkeys(plans, False)
    try:
        each_way = tie_truths(ck, b, part, [p[0] for p in plans.values()])
    except Exception:  # noqa: BLE001 - a program this cannot rerun: no such explanation
        return out
    for vals in each_way:
        for (i, p), t in zip(plans.items(), vals, strict=True):
            g, tol_abs = np.asarray(p[2][0], dtype=np.float64), p[2][3]
            with np.errstate(invalid="ignore"):
                out[i] = out[i] or (g.shape == t.shape and bool(np.all(np.abs(g - t) <= tol_abs)))
    return out

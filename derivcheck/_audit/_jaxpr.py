"""Dropping one additive term of a traced line: the ``drop term`` mutant.

The line is traced with :func:`jax.make_jaxpr`; the floating-point additive
equation (``add``, ``sub``, ``add_any``) nearest to the output is found
breadth-first and the jaxpr is re-evaluated with that equation replaced by
one operand.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.extend import core as jcore

__all__ = ["additive_eqn", "drop_mutant"]

_ADDITIVE = ("add", "sub", "add_any")


def additive_eqn(jaxpr) -> int | None:
    """Index of the add/sub equation nearest to the output (breadth-first)."""
    producer = {}
    for k, eqn in enumerate(jaxpr.eqns):
        for v in eqn.outvars:
            producer[v] = k
    queue = [v for v in jaxpr.outvars if not isinstance(v, jcore.Literal)]
    seen = set()
    while queue:
        v = queue.pop(0)
        k = producer.get(v)
        if k is None or k in seen:
            continue
        seen.add(k)
        eqn = jaxpr.eqns[k]
        if eqn.primitive.name in _ADDITIVE and len(eqn.invars) == 2 and \
                jnp.issubdtype(eqn.outvars[0].aval.dtype, jnp.floating):
            return k  # a term of the formula (integer adds are index arithmetic)
        queue.extend(u for u in eqn.invars if not isinstance(u, jcore.Literal))
    return None


def _eval_dropping(closed, args: Sequence[Any], target: int, keep: int) -> list[Any]:
    """Evaluate ``closed`` with equation ``target`` replaced by its operand ``keep``."""
    jaxpr = closed.jaxpr
    env: dict = {}

    def read(v):
        return v.val if isinstance(v, jcore.Literal) else env[v]

    for v, c in zip(jaxpr.constvars, closed.consts, strict=True):
        env[v] = c
    for v, a in zip(jaxpr.invars, args, strict=True):
        env[v] = a
    for k, eqn in enumerate(jaxpr.eqns):
        invals = [read(v) for v in eqn.invars]
        if k == target:
            aval = eqn.outvars[0].aval
            kept = invals[keep]
            if keep == 1 and eqn.primitive.name == "sub":
                kept = -kept
            outs = [jnp.broadcast_to(jnp.asarray(kept, aval.dtype), aval.shape)]
        else:
            params = eqn.primitive.get_bind_params(eqn.params)
            if isinstance(params, tuple):  # older JAX: (subfuns, params)
                subfuns, params = params
                invals = [*subfuns, *invals]
            with eqn.ctx.manager:
                outs = eqn.primitive.bind(*invals, **params)
            if not eqn.primitive.multiple_results:
                outs = [outs]
        for v, o in zip(eqn.outvars, outs, strict=True):
            if not isinstance(v, jcore.DropVar):
                env[v] = o
    return [read(v) for v in jaxpr.outvars]


def drop_mutant(f: Callable[[dict], Any], keep: int):
    def mutant(**inputs):
        names = sorted(inputs)
        spec = [jax.ShapeDtypeStruct(np.shape(inputs[n]), jnp.asarray(inputs[n]).dtype)
                for n in names]
        closed = jax.make_jaxpr(lambda *xs: f(dict(zip(names, xs, strict=True))))(*spec)
        target = additive_eqn(closed.jaxpr)
        if target is None:
            raise ValueError("no additive term in this line's trace")
        (out,) = _eval_dropping(closed, [inputs[n] for n in names], target, keep)
        return out
    return mutant

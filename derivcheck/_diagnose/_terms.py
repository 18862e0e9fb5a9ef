"""The reference's own additive terms, found in its jaxpr, and their truths.

``J = data(W) + lam * ||W||^2`` is traced with :func:`jax.make_jaxpr`; the
floating-point ``add``/``sub`` nearest to the output splits it into two
terms, each evaluated by re-running the jaxpr with that equation replaced by
one operand (the mutation audit's ``drop term`` machinery, reused). Each term
is split once more, and a split counts only where it is additive at the input
(``term0 + term1 == J``), so a sum under a nonlinearity (``exp(a + b)``) is
never taken apart. The truth of each term (its gradient, Jacobian or value,
as the claim's target says) is what the diagnosis fits claimed - truth with.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = ["reference_terms"]

#: How many times a term is split in two (2 gives at most 4 terms).
DEPTH = 2

#: Per claim, per input shapes: the split tree and its jitted term truths, kept
#: while the claim lives (diagnosing the same claim again compiles nothing).
_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _jaxpr_tools():
    from .._audit._jaxpr import _eval_dropping, additive_eqn

    return additive_eqn, _eval_dropping


def _autodiff(target, f: Callable[[dict], Any]) -> Callable[[dict], Any]:
    """The truth of the claim's ``target`` computed from ``f`` in place of its reference."""
    if hasattr(target, "autodiff"):
        return target.autodiff(f)
    import jax  # TODO(merge): before targets were objects

    if target.mode == "value":
        return f
    d = jax.grad if target.mode == "grad" else jax.jacobian
    return lambda inp: d(lambda v: f({**inp, target.wrt: v}))(inp[target.wrt])


def _split(f: Callable[[dict], Any], spec: dict) -> list[Callable[[dict], Any]] | None:
    """``f`` as two terms at the shapes of ``spec`` (None if its trace has no sum)."""
    import jax

    additive_eqn, eval_dropping = _jaxpr_tools()
    names = sorted(spec)

    def closed_at(inputs):
        shapes = [jax.ShapeDtypeStruct(np.shape(inputs[n]), inputs[n].dtype) for n in names]
        return jax.make_jaxpr(lambda *a: f(dict(zip(names, a, strict=True))))(*shapes)

    target = additive_eqn(closed_at(spec).jaxpr)
    if target is None:
        return None

    def term(keep):
        def fn(inputs):
            (out,) = eval_dropping(closed_at(inputs), [inputs[n] for n in names], target, keep)
            return out
        return fn

    return [term(0), term(1)]


def _tree(f, spec, depth) -> list[tuple[Callable, int | None]]:
    """Nodes ``(fn, parent index)`` of the split tree, root first, breadth-first."""
    nodes: list[tuple[Callable, int | None]] = [(f, None)]
    frontier = [0]
    for _ in range(depth):
        nxt = []
        for i in frontier:
            parts = _split(nodes[i][0], spec)
            for part in parts or []:
                nodes.append((part, i))
                nxt.append(len(nodes) - 1)
        frontier = nxt
    return nodes


def _sums_to(truths, kids, whole) -> bool:
    """Whether the children's truths sum to ``whole`` at every input."""
    total = sum(truths[k] for k in kids)
    scale = 1e-9 * (1.0 + np.max(np.abs(whole)))
    return total.shape == whole.shape and bool(np.all(np.abs(total - whole) <= scale))


def _group(claim, f, xs: list[dict], ts: np.ndarray) -> list[np.ndarray] | None:
    """Term truths (each stacked over ``xs``, inputs of one shape), or None.

    A split counts where the children's truths sum to the parent's: a sum
    under a nonlinearity (``exp(a + b)``) fails that and is not taken apart.
    """
    import jax
    import jax.numpy as jnp

    spec = {k: jax.ShapeDtypeStruct(np.shape(v), jnp.asarray(v).dtype) for k, v in xs[0].items()}
    key = tuple((k, v.shape, str(v.dtype)) for k, v in sorted(spec.items()))
    try:
        per_claim = _COMPILED.setdefault(claim, {})
    except TypeError:  # a claim that cannot be weakly referenced: no reuse
        per_claim = {}
    if key not in per_claim:
        nodes = _tree(f, spec, DEPTH)
        target = claim.target  # not the claim: the cache entry must not keep it alive

        def one(x):
            return [jnp.asarray(_autodiff(target, fn)(x), jnp.float64) for fn, _ in nodes[1:]]

        per_claim[key] = (nodes, jax.jit(jax.vmap(one)) if len(nodes) >= 3 else None)
    nodes, fn = per_claim[key]
    if fn is None:
        return None
    batch = {k: np.stack([np.asarray(x[k]) for x in xs]) for k in xs[0]}
    truths = [ts] + [np.asarray(t) for t in fn(batch)]  # one compilation per shape
    kids = {i: [k for k, (_, p) in enumerate(nodes) if p == i] for i in range(len(nodes))}
    if not _sums_to(truths, kids[0], ts):
        return None
    leaves = []
    for c in kids[0]:
        split = kids[c] and _sums_to(truths, kids[c], truths[c])
        leaves.extend(kids[c] if split else [c])
    return [truths[i] for i in leaves]


def reference_terms(claim, f: Callable[[dict], Any], xs: Sequence[dict],
                    ts: Sequence[np.ndarray]) -> list[list[np.ndarray]] | None:
    """The truth of each additive term of reference ``f`` at each input of ``xs``.

    Returns one list per term (one array per input), or None when the
    reference has fewer than two terms, cannot be traced, or splits
    differently at inputs of different shapes. The terms' truths sum to ``ts``.
    """
    import jax

    groups: dict[tuple, list[int]] = {}
    for i, x in enumerate(xs):
        groups.setdefault(tuple((k, np.shape(v)) for k, v in sorted(x.items())), []).append(i)
    per_input: list = [None] * len(xs)
    with jax.enable_x64(True):  # as the engine checks: float64, whatever the user's setting
        for idx in groups.values():
            terms = _group(claim, f, [xs[i] for i in idx],
                           np.stack([np.asarray(ts[i], np.float64) for i in idx]))
            if terms is None:
                return None
            for j, i in enumerate(idx):
                per_input[i] = [t[j] for t in terms]
    if len({len(v) for v in per_input}) != 1:
        return None
    for vals, t in zip(per_input, ts, strict=True):
        if any(v.shape != np.shape(t) for v in vals) or \
                not np.allclose(sum(vals), t, rtol=1e-7, atol=1e-9 * (1 + np.max(np.abs(t)))):
            return None
    return [list(col) for col in zip(*per_input, strict=True)]

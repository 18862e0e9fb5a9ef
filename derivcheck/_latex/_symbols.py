"""Symbols, their indices, and derivatives with respect to them.

A symbol of the notation stands for an input (or a defined quantity, computed
from the inputs); its subscripts and sample superscript select entries of that
array. ``\\partial E / \\partial \\theta_j`` is the Jacobian of E with respect to
the whole array behind θ, of which the entries θ_j are then selected.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from . import _ast as A
from ._ast import Unsupported
from ._expand import expand, is_transpose, quantity_dims, sup_index
from ._values import Env, V, _size, transpose, vmapped


def full_symbol(name: str, env: Env):
    """The whole array behind a symbol or quantity (with overrides for differentiation)."""
    import jax.numpy as jnp

    nt = env.nt
    if name in nt.symbols:
        sym = nt.symbols[name]
        if sym.input is None:
            raise Unsupported(f"{name} is not bound to an input")
        key = ("in", sym.input)
        arr = env.over.get(key, env.inputs[sym.input])
        if nt.label_classes(sym.input) is not None:
            arr = arr.astype(jnp.float64) + 1.0
        return arr
    key = ("q", name)
    if key in env.over:
        return env.over[key]
    q = nt.quantities[name]
    if ("body", name) not in nt._cache:
        nt._cache["body", name] = expand(q.body, nt), quantity_dims(name, nt)
    body, found = nt._cache["body", name]
    names = list(q.sup) + list(q.sub)
    dims = [_size(env, found.get(n)) for n in names]
    outer = {k: v for k, v in env.idx.items() if k not in names}
    # one evaluation per quantity, overrides and enclosing indices within a trace
    memo_key = (name, tuple((k, id(v)) for k, v in env.over.items()),
                tuple((k, id(v)) for k, v in outer.items()))
    if memo_key not in env.memo:
        env.memo[memo_key] = (vmapped(lambda b: env.ev(body, env.bind_all({**outer, **b})).arr,
                                      names, dims), env.over, outer)
    return env.memo[memo_key][0]


def _axes(name: str, env: Env) -> tuple[list[str], list[str]]:
    """(sub axis names, sup axis names) of the array behind a symbol or quantity."""
    nt = env.nt
    if name in nt.symbols:
        sym = nt.symbols[name]
        dims = nt.input_dims(sym.input)
        subs = list(sym.sub or [d for d in dims if d not in sym.sup])
        return subs, list(sym.sup)
    q = nt.quantities[name]
    return list(q.sub) + [f"·{k}" for k in range(4)], list(q.sup)


def axis_order(name: str, env: Env) -> list[str]:
    nt = env.nt
    if name in nt.symbols:
        return list(nt.input_dims(nt.symbols[name].input))
    q = nt.quantities[name]
    return list(q.sup) + list(q.sub) + [f"·{k}" for k in range(4)]


def index_value(node: A.Node, env: Env):
    """The (1-based) integer value of an index expression."""
    import jax.numpy as jnp

    if isinstance(node, A.Name) and node.name in env.idx:
        return env.idx[node.name]
    if isinstance(node, A.Num):
        return int(node.value)
    if isinstance(node, A.Name) and node.name in env.nt.symbols and \
            env.nt.symbols[node.name].dim is not None:
        return _size(env, env.nt.symbols[node.name].dim)
    if isinstance(node, A.Mul) and all(isinstance(f, A.Name) for f in node.factors):
        word = "".join(f.name for f in node.factors)
        raise Unsupported(f"a word as a subscript ({word})")
    val = env.ev(node, env).arr
    if getattr(val, "ndim", 0) != 0:
        raise Unsupported("an index that is not a scalar")
    return jnp.round(val).astype(jnp.int32)


def select(arr, name: str, node: A.Script | A.Name, env: Env, *, lead: int = 0):
    """Index the array behind ``name`` with the subscripts and sample index of ``node``."""
    from jax import lax

    subs_ax, sup_ax = _axes(name, env)
    order = axis_order(name, env)
    picks: list[tuple[str, Any]] = []
    if isinstance(node, A.Script):
        if len(node.subs) > len(subs_ax):
            raise Unsupported(f"{name} with {len(node.subs)} subscripts")
        picks += list(zip(subs_ax, node.subs, strict=False))
        sup = sup_index(node, env.nt)
        if sup is None and isinstance(node.sup, A.Name) and node.sup.name in env.idx and sup_ax:
            sup = node.sup
        if sup is not None and getattr(env.nt.symbols.get(name), "drop_sup", False):
            sup = None
        if sup is not None:
            if not sup_ax:
                raise Unsupported(f"{name} takes no superscript index in the notation")
            picks.append((sup_ax[0], sup))
    sym = env.nt.symbols.get(name) or env.nt.quantities.get(name)
    written = {a for a, _ in picks}
    for attr, axes in (("implicit", sup_ax), ("implicit_sub", subs_ax)):
        implicit = getattr(sym, attr, None)
        if implicit and axes and axes[0] not in written and implicit in env.idx:
            picks.append((axes[0], A.Name(implicit)))
    values = [(order.index(ax), index_value(ix, env)) for ax, ix in picks]
    for axis, v in sorted(values, key=lambda p: -p[0]):
        arr = lax.dynamic_index_in_dim(arr, v - 1, lead + axis, keepdims=False)
    return arr


def _symbol_value(node: A.Node, env: Env) -> V:
    import jax.numpy as jnp

    name = node.base.name if isinstance(node, A.Script) else node.name
    sym = env.nt.symbols.get(name)
    if sym is not None and sym.dim is not None:
        return V(jnp.asarray(float(_size(env, sym.dim))))
    if sym is not None and sym.value is not None:
        return V(jnp.asarray(sym.value))
    has_index = isinstance(node, A.Script) and (node.subs or sup_index(node, env.nt) is not None)
    if sym is not None and sym.bare and not has_index and \
            not (sym.implicit and sym.implicit in env.idx):
        arr = jnp.asarray(env.inputs[sym.bare], dtype=jnp.float64)
        if env.nt.label_classes(sym.bare) is not None:
            arr = arr + 1.0  # then its superscript (x^T, x^2) as for any symbol
    elif sym is not None and sym.whole:
        arr = full_symbol(name, env)
    else:
        arr = select(full_symbol(name, env), name, node, env)
    out = V(jnp.asarray(arr, dtype=jnp.float64), bool(sym and sym.row))
    sup = node.sup if isinstance(node, A.Script) else None
    if is_transpose(sup) or (isinstance(sup, A.Mul) and is_transpose(sup.factors[-1])):
        return transpose(out)
    if sup is not None and sup_index(node, env.nt) is None and not (
            isinstance(sup, A.Name) and sup.name in env.idx):
        return V(out.arr ** env.ev(sup, env).arr, out.row)
    return out


def _is_symbol(node: A.Node, env: Env) -> bool:
    name = node.name if isinstance(node, A.Name) else (
        node.base.name if isinstance(node, A.Script) and isinstance(node.base, A.Name) else None)
    return name is not None and name not in env.idx and (
        name in env.nt.symbols or name in env.nt.quantities)


def _deriv(node: A.Deriv, env: Env) -> V:
    import jax

    wrt = node.wrt
    name = wrt.name if isinstance(wrt, A.Name) else (
        wrt.base.name if isinstance(wrt, A.Script) and isinstance(wrt.base, A.Name) else None)
    nt = env.nt
    if name is None or not (name in nt.symbols and nt.symbols[name].input or
                            name in nt.quantities):
        raise Unsupported("a derivative with respect to something the notation does not bind")
    key = ("in", nt.symbols[name].input) if name in nt.symbols else ("q", name)
    if key[0] == "in" and nt.label_classes(key[1]) is not None:
        raise Unsupported("a derivative with respect to labels")
    s0 = full_symbol(name, env)
    row: list[bool] = []

    def f(s):
        out = env.ev(node.num, dataclasses.replace(env, over={**env.over, key: s}))
        row.append(out.row)
        return out.arr

    jac = jax.jacobian(f)(s0)
    sym = nt.symbols.get(name)
    if sym is not None and sym.whole:
        return V(jac)
    return V(select(jac, name, wrt, env, lead=jac.ndim - s0.ndim))

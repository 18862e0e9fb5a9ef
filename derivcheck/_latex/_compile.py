"""Syntax tree → a JAX function of the inputs, with index semantics.

Bound indices are lexically scoped (an inner ``\\sum_j`` shadows an outer j);
free indices become leading axes, in alphabetical order, with sizes from the
notation; ``\\partial E / \\partial \\theta_j`` is autodiff of E with respect to
the input (or defined quantity) behind θ, then the slice θ_j of it.

JAX is imported inside the functions, when a formula is traced.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from . import _ast as A
from ._ast import Unsupported
from ._expand import (
    elided,
    expand,
    index_dim,
    is_transpose,
    quantity_dims,
    sum_var,
    sup_index,
)


@dataclasses.dataclass
class V:
    """A value: an array, and whether a vector is a row (a transposed column)."""

    arr: Any
    row: bool = False


@dataclasses.dataclass
class Env:
    nt: Any
    inputs: dict
    sizes: dict
    idx: dict
    over: dict
    memo: dict = dataclasses.field(default_factory=dict)

    def bind_all(self, idx: dict) -> Env:
        return dataclasses.replace(self, idx=idx)

    def bind(self, name: str, value) -> Env:
        return dataclasses.replace(self, idx={**self.idx, name: value})


def sizes_of(nt, inputs: dict) -> dict[str, int]:
    out: dict[str, int] = {}
    for name, arr in inputs.items():
        if name in nt.inputs:
            for d, n in zip(nt.input_dims(name), arr.shape, strict=False):
                out[d] = int(n)
    return out


def static_int(node: A.Node, env: Env) -> int:
    if isinstance(node, A.Num) and float(node.value).is_integer():
        return int(node.value)
    if isinstance(node, A.Name):
        sym = env.nt.symbols.get(node.name)
        if sym is not None and sym.dim is not None:
            return _size(env, sym.dim)
    raise Unsupported("a sum bound that is not a number or a dimension")


def _size(env: Env, dim: str | None) -> int:
    if dim is None or dim not in env.sizes:
        raise Unsupported(f"an index range with no size (dimension {dim})")
    return env.sizes[dim]


def vmapped(fn, names: list[str], dims: list[int]):
    """``fn(**{name: value})`` evaluated over 1..size for each name; axes in order."""
    import jax
    import jax.numpy as jnp

    def call(bound: dict, k: int):
        if k == len(names):
            return fn(bound)
        vals = jnp.arange(1, dims[k] + 1)
        return jax.vmap(lambda v: call({**bound, names[k]: v}, k + 1))(vals)

    return call({}, 0)


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
    if ("body", name) not in nt.cache:
        nt.cache["body", name] = expand(q.body, nt), quantity_dims(name, nt)
    body, found = nt.cache["body", name]
    names = list(q.sup) + list(q.sub)
    dims = [_size(env, found.get(n)) for n in names]
    outer = {k: v for k, v in env.idx.items() if k not in names}
    # one evaluation per quantity, overrides and enclosing indices within a trace
    memo_key = (name, tuple((k, id(v)) for k, v in env.over.items()),
                tuple((k, id(v)) for k, v in outer.items()))
    if memo_key not in env.memo:
        env.memo[memo_key] = (vmapped(lambda b: ev(body, env.bind_all({**outer, **b})).arr,
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
    val = ev(node, env).arr
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
                raise Unsupported(f"{name} has no sample index (i) in the notation")
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
            arr = arr + 1.0
        return V(arr, sym.row)
    if sym is not None and sym.whole:
        arr = full_symbol(name, env)
    else:
        arr = select(full_symbol(name, env), name, node, env)
    out = V(jnp.asarray(arr, dtype=jnp.float64), bool(sym and sym.row))
    sup = node.sup if isinstance(node, A.Script) else None
    if is_transpose(sup) or (isinstance(sup, A.Mul) and is_transpose(sup.factors[-1])):
        return transpose(out)
    if sup is not None and sup_index(node, env.nt) is None and not (
            isinstance(sup, A.Name) and sup.name in env.idx):
        return V(out.arr ** ev(sup, env).arr, out.row)
    return out


def _is_symbol(node: A.Node, env: Env) -> bool:
    name = node.name if isinstance(node, A.Name) else (
        node.base.name if isinstance(node, A.Script) and isinstance(node.base, A.Name) else None)
    return name is not None and name not in env.idx and (
        name in env.nt.symbols or name in env.nt.quantities)


def ev(node: A.Node, env: Env) -> V:
    """Evaluate ``node`` (during tracing)."""
    import jax.numpy as jnp

    if isinstance(node, A.Num):
        return V(jnp.asarray(node.value, dtype=jnp.float64))
    if isinstance(node, A.Name):
        if node.name in env.idx:
            return V(jnp.asarray(env.idx[node.name], dtype=jnp.float64))
        if _is_symbol(node, env):
            return _symbol_value(node, env)
        if node.name == "e":
            return V(jnp.asarray(jnp.e))
        if node.name == "pi":
            return V(jnp.asarray(jnp.pi))
        raise Unsupported(f"`{node.name}` is not in the notation")
    if isinstance(node, A.Script):
        return _script(node, env)
    if isinstance(node, A.Group):
        return _group(node, env)
    if isinstance(node, A.Add):
        return _add(node, env)
    if isinstance(node, A.Mul):
        out = ev(node.factors[0], env)
        for f in node.factors[1:]:
            out = mul(out, ev(f, env))
        return out
    if isinstance(node, A.Frac):
        num, den = ev(node.num, env), ev(node.den, env)
        if den.arr.ndim and num.arr.shape != den.arr.shape:
            raise Unsupported("a fraction over a vector")
        return V(num.arr / den.arr, num.row)
    if isinstance(node, A.Func):
        x = ev(node.arg, env)
        fn = {"exp": jnp.exp, "log": jnp.log, "ln": jnp.log, "sqrt": jnp.sqrt}[node.name]
        return V(fn(x.arr), x.row)
    if isinstance(node, A.Abs):
        x = ev(node.arg, env)
        return V(jnp.abs(x.arr), x.row)
    if isinstance(node, A.Norm):
        x = ev(node.arg, env).arr
        p = 2 if node.p is None else static_int(node.p, env)
        if p == 1:
            return V(jnp.sum(jnp.abs(x)))
        if p == 2:
            return V(jnp.sqrt(jnp.sum(x ** 2)))
        raise Unsupported(f"the {p}-norm")
    if isinstance(node, A.Indicator):
        return V(jnp.where(_holds(node.cond, env), 1.0, 0.0))
    if isinstance(node, A.BigOp):
        return _bigop(node, env)
    if isinstance(node, A.Deriv):
        return _deriv(node, env)
    if isinstance(node, A.Dots):
        raise Unsupported("elided terms (\\dots) outside a list or a sum")
    if isinstance(node, A.Rel):
        raise Unsupported(f"a relation {node.op} inside an expression")
    raise Unsupported(type(node).__name__)


def _holds(rel: A.Node, env: Env):
    if not isinstance(rel, A.Rel):
        raise Unsupported("an indicator of something that is not a relation")
    a, b = ev(rel.lhs, env).arr, ev(rel.rhs, env).arr
    ops = {"=": lambda: a == b, "\\neq": lambda: a != b, "<": lambda: a < b,
           ">": lambda: a > b, "\\leq": lambda: a <= b, "\\geq": lambda: a >= b}
    if rel.op not in ops:
        raise Unsupported(f"the relation {rel.op} in a condition")
    return ops[rel.op]()


def _script(node: A.Script, env: Env) -> V:
    import jax.numpy as jnp

    if _is_symbol(node, env):
        return _symbol_value(node, env)
    base = node.base
    if node.subs:
        raise Unsupported(f"subscripts on {_describe(base)}, which the notation does not bind")
    if base == A.Name("e") and "e" not in env.idx:
        return V(jnp.exp(ev(node.sup, env).arr))
    x = ev(base, env)
    if is_transpose(node.sup):
        return transpose(x)
    if sup_index(node, env.nt) is not None and not isinstance(base, A.Group):
        raise Unsupported(f"a sample index on {_describe(base)}")
    p = ev(node.sup, env)
    return V(x.arr ** p.arr, x.row)


def _describe(node: A.Node) -> str:
    return f"`{node.name}`" if isinstance(node, A.Name) else "an expression"


def transpose(x: V) -> V:
    if x.arr.ndim == 2:
        return V(x.arr.T)
    return V(x.arr, not x.row) if x.arr.ndim == 1 else x


def mul(a: V, b: V) -> V:
    """Juxtaposition, ``\\cdot`` and ``\\times``: scalar, dot, outer or matrix products."""
    import jax.numpy as jnp

    x, y = a.arr, b.arr
    if x.ndim == 0 or y.ndim == 0:
        return V(x * y, a.row if x.ndim else b.row)
    if x.ndim == 1 and y.ndim == 1:
        if a.row and not b.row:
            return V(jnp.dot(x, y))
        if not a.row and b.row:
            return V(jnp.outer(x, y))
        raise Unsupported("a product of two vectors that is neither x^T y nor x y^T")
    if x.ndim == 2 and y.ndim == 1 and not b.row:
        return V(x @ y)
    if x.ndim == 1 and a.row and y.ndim == 2:
        return V(x @ y, True)
    if x.ndim == 2 and y.ndim == 2:
        return V(x @ y)
    raise Unsupported("a product of arrays whose shapes do not multiply")


def _add(node: A.Add, env: Env) -> V:
    import jax.numpy as jnp

    terms = node.terms
    if any(isinstance(t, A.Dots) for t in terms):
        if len(set(node.signs)) != 1:
            raise Unsupported("elided terms (\\dots) with mixed signs")
        var, start, end, body = elided(terms)
        total = _range_eval(body, var, start, static_int(end, env), env)
        return V(node.signs[0] * jnp.sum(total.arr, axis=0), total.row)
    out = None
    for t, s in zip(terms, node.signs, strict=True):
        v = ev(t, env)
        if out is None:
            out = V(s * v.arr, v.row)
        else:
            if out.arr.ndim and v.arr.ndim and out.arr.shape != v.arr.shape:
                raise Unsupported("a sum of terms of different shapes")
            out = V(out.arr + s * v.arr, out.row if out.arr.ndim else v.row)
    return out


def _range_eval(body: A.Node, var: str, start: int, end: int, env: Env) -> V:
    import jax
    import jax.numpy as jnp

    seen: list[bool] = []

    def one(v):
        out = ev(body, env.bind(var, v))
        seen.append(out.row)
        return out.arr

    vals = jnp.arange(start, end + 1)
    if len(vals) == 0:
        raise Unsupported("an empty range")
    stacked = jax.vmap(one)(vals)
    return V(stacked, bool(seen and seen[0]))


def _rows(node: A.Group) -> list[A.Node]:
    """The rows of a matrix literal, each a ``{…}`` group of its columns (or ``\\dots``)."""
    rows, cur, seps = [], [], []
    for k, item in enumerate(node.items):
        cur.append(item)
        sep = node.seps[k] if k < len(node.seps) else ";"
        if sep == ";":
            rows.append(cur[0] if len(cur) == 1 else A.Group("{", tuple(cur), tuple(seps)))
            cur, seps = [], []
        else:
            seps.append(sep)
    return rows


def _matrix(node: A.Group, env: Env) -> V:
    import jax.numpy as jnp

    rows = _rows(node)
    el = elided(tuple(rows))
    if el is not None:
        var, start, end, body = el
        return _range_eval(body, var, start, static_int(end, env), env)
    return V(jnp.stack([ev(r, env).arr for r in rows], axis=0))


def _group(node: A.Group, env: Env) -> V:
    import jax.numpy as jnp

    if node.kind == "mat":
        return _matrix(node, env)
    if node.kind == "{" and (len(node.items) > 1 or node.seps):
        el = elided(node.items)
        if el is not None:
            var, start, end, body = el
            vals = _range_eval(body, var, start, static_int(end, env), env)
            return V(jnp.moveaxis(vals.arr, 0, -1))
        parts = [ev(t, env).arr for t in node.items]
        return V(jnp.stack(parts, axis=-1))
    if len(node.items) != 1:
        raise Unsupported(f"a tuple {node.kind}…{node.seps[0] if node.seps else ''}…")
    return ev(node.items[0], env)


def _bigop(node: A.BigOp, env: Env) -> V:
    import jax.numpy as jnp

    var = sum_var(node)
    if var is None:
        raise Unsupported("a sum without an index")
    lo = node.lower
    start, cond = 1, None
    if isinstance(lo, A.Rel) and lo.op == "=":
        start = static_int(lo.rhs, env)
    elif isinstance(lo, A.Rel):
        cond = lo
    end = static_int(node.upper, env) if node.upper is not None else \
        _size(env, index_dim(node.body, var, env.nt))
    vals = _range_eval(node.body, var, start, end, env)
    arr = vals.arr
    if cond is not None:
        keep = jnp.stack([_holds(cond, env.bind(var, v)) for v in range(start, end + 1)])
        keep = keep.reshape(keep.shape[:1] + (1,) * (arr.ndim - 1))
        arr = jnp.where(keep, arr, 0.0 if node.op == "sum" else 1.0)
    red = jnp.sum if node.op == "sum" else jnp.prod
    return V(red(arr, axis=0), vals.row)


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
        out = ev(node.num, dataclasses.replace(env, over={**env.over, key: s}))
        row.append(out.row)
        return out.arr

    out_shape = jax.eval_shape(f, s0).shape
    jac = jax.jacobian(f)(s0)
    sym = nt.symbols.get(name)
    if sym is not None and sym.whole:
        return V(jac)
    return V(select(jac, name, wrt, env, lead=len(out_shape)))

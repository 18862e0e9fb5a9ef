"""Syntax tree → a JAX function of the inputs, with index semantics.

Bound indices are lexically scoped (an inner ``\\sum_j`` shadows an outer j);
free indices become leading axes, in alphabetical order, with sizes from the
notation; ``\\partial E / \\partial \\theta_j`` is autodiff of E with respect to
the input (or defined quantity) behind θ, then the slice θ_j of it.

JAX is imported inside the functions, when a formula is traced.
"""

from __future__ import annotations

from . import _ast as A
from ._ast import Unsupported
from ._expand import (
    elided,
    index_dim,
    is_transpose,
    sum_var,
    sup_index,
)
from ._symbols import _deriv, _is_symbol, _symbol_value
from ._values import Env, V, _size, static_int, transpose


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

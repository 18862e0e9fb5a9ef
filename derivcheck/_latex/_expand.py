"""Rewrites before compiling: declared functions expanded, elided terms ``a_1 + \\dots + a_D``
turned into sums, and the free indices of a formula found.

Everything here works on syntax trees and the notation; no JAX.
"""

from __future__ import annotations

import hashlib

from . import _ast as A
from ._ast import Unsupported


def _fresh(var: str, node) -> str:
    """A name for a bound variable that no argument can capture: ``var§`` and a digest of
    what it binds in. It depends on the formula alone, not on what this process
    expanded before, so a compiled formula's program-store key is the same in
    every run.

    >>> _fresh("k", (A.Name("x"),)) == _fresh("k", (A.Name("x"),)) != _fresh("k", (A.Name("y"),))
    True
    """
    return f"{var}§{hashlib.sha1(repr(node).encode()).hexdigest()[:10]}"

SPECIAL = ("e", "pi")


def known(name: str, nt) -> bool:
    """Whether ``name`` means something in the notation (not an index letter)."""
    return (name in nt.symbols or name in nt.quantities or name in nt.functions
            or name in SPECIAL)


def base_name(node: A.Node) -> str | None:
    if isinstance(node, A.Name):
        return node.name
    if isinstance(node, A.Script) and isinstance(node.base, A.Name):
        return node.base.name
    return None


def uses(node: A.Node, var: str) -> bool:
    """Whether ``var`` occurs free in ``node`` (not rebound by an inner sum)."""
    if node == A.Name(var):
        return True
    if isinstance(node, A.BigOp) and sum_var(node) == var:
        return any(uses(c, var) for c in (node.lower, node.upper) if c is not None
                   and not (isinstance(c, A.Rel) and c.lhs == A.Name(var)))
    return any(uses(c, var) for c in A.children(node))


def extend_sums(node: A.Add) -> A.Add:
    """``\\sum_i a_i + b_i``: a later term that uses the summation index i belongs to the sum."""
    terms, signs = list(node.terms), list(node.signs)
    k = 0
    while k < len(terms):
        t = terms[k]
        var = sum_var(t) if isinstance(t, A.BigOp) else None
        if var is not None:
            extra = [j for j in range(k + 1, len(terms)) if uses(terms[j], var)]
            if extra and extra == list(range(k + 1, k + 1 + len(extra))):
                body = A.Add((t.body,) + tuple(terms[j] for j in extra),
                             (1,) + tuple(signs[j] * signs[k] for j in extra))
                terms[k] = A.BigOp(t.op, t.lower, t.upper, body)
                del terms[k + 1:k + 1 + len(extra)]
                del signs[k + 1:k + 1 + len(extra)]
        k += 1
    if len(terms) == 1 and signs[0] == 1:
        return terms[0]
    return A.Add(tuple(terms), tuple(signs))


def expand(node: A.Node, nt) -> A.Node:
    """Expand calls of declared functions; drop the argument lists of quantities, ``J(\\theta)``."""
    node = A.rebuild(node, lambda c: expand(c, nt))
    if isinstance(node, A.Add) and not any(isinstance(t, A.Dots) for t in node.terms):
        node = extend_sums(node)
    if not isinstance(node, A.Mul):
        return node
    out: list[A.Node] = []
    k = 0
    fs = node.factors
    while k < len(fs):
        f, nxt = fs[k], fs[k + 1] if k + 1 < len(fs) else None
        name = base_name(f)
        if name is not None and name in nt.functions and isinstance(nxt, A.Script) \
                and isinstance(nxt.base, A.Group) and nxt.base.kind == "(" and not nxt.subs:
            applied = _apply(nt.functions[name], name, nxt.base, nt,
                             f.subs if isinstance(f, A.Script) else ())
            out.append(A.Script(applied, (), nxt.sup))
            k += 2
            continue
        if name is not None and isinstance(nxt, A.Group) and nxt.kind == "(":
            if name in nt.functions:
                out.append(_apply(nt.functions[name], name, nxt, nt,
                                  f.subs if isinstance(f, A.Script) else ()))
                k += 2
                continue
            sym = nt.symbols.get(name)
            if isinstance(f, A.Name) and _argument_list(nxt, nt) and (
                    name in nt.quantities or (sym is not None and sym.input is None
                                              and sym.dim is None and sym.value is None)):
                out.append(f)
                k += 2
                continue
        if name is not None and name in nt.functions and not isinstance(f, A.Script):
            raise Unsupported(f"function {name} written without its arguments")
        out.append(f)
        k += 1
    return out[0] if len(out) == 1 else A.Mul(tuple(out))


def _argument_list(group: A.Group, nt) -> bool:
    """``(\theta)``, ``(W)``, ``(x_i)``: the arguments of ``J(\theta)``, not a factor."""
    return all(base_name(item) in nt.symbols for item in group.items)


def _apply(fn, name: str, group: A.Group, nt, subs=()) -> A.Node:
    if len(group.items) < len(fn.args):
        raise Unsupported(f"{name}(…) with {len(group.items)} argument(s); the notation "
                          f"declares {len(fn.args)}")
    binding: dict[str, A.Node] = {}
    for pattern, arg in zip(fn.args, group.items, strict=False):
        if not _match(pattern, arg, fn.params, binding):
            raise Unsupported(f"{name}(…): an argument does not have the declared form")
    body = fn.body
    if subs and fn.sub_body is not None:
        body = fn.sub_body
        binding[fn.sub] = subs[0]
    body = _hygienic(body)
    return A.Group("(", (expand(_substitute(body, binding), nt),))


def _match(pat: A.Node, node: A.Node, params, binding) -> bool:
    if isinstance(pat, A.Name) and pat.name in params:
        if pat.name in binding:
            return binding[pat.name] == node
        binding[pat.name] = node
        return True
    if type(pat) is not type(node):
        return False
    if isinstance(pat, (A.Name, A.Num)):
        return pat == node
    pc, nc = A.children(pat), A.children(node)
    if len(pc) != len(nc):
        return False
    if isinstance(pat, A.Script) and (pat.sup is None) != (node.sup is None):
        return False
    return all(_match(p, n, params, binding) for p, n in zip(pc, nc, strict=True))


def _hygienic(node: A.Node) -> A.Node:
    """Rename the summation variables of a function body so arguments cannot be captured."""
    if isinstance(node, A.BigOp):
        var = sum_var(node)
        if var is not None:
            new = _fresh(var, node)
            node = _substitute(node, {var: A.Name(new)})
    return A.rebuild(node, _hygienic)


def _substitute(node: A.Node, binding: dict[str, A.Node]) -> A.Node:
    if isinstance(node, A.Name) and node.name in binding:
        return binding[node.name]
    return A.rebuild(node, lambda c: _substitute(c, binding))


def sum_var(op: A.BigOp) -> str | None:
    lo = op.lower
    if isinstance(lo, A.Rel) and isinstance(lo.lhs, A.Name):
        return lo.lhs.name
    if isinstance(lo, A.Name):
        return lo.name
    return None


# -- elided terms -----------------------------------------------------------

def elided(items: tuple[A.Node, ...]) -> tuple[str, int, A.Node, A.Node] | None:
    """``a_1, a_2, \\dots, a_D`` as (variable, start, end, body), or None without ``\\dots``.

    Raises:
      Unsupported: if the written terms follow no single pattern.
    """
    if not any(isinstance(t, A.Dots) for t in items):
        return None
    terms = [t for t in items if not isinstance(t, A.Dots)]
    if len(terms) < 2 or isinstance(items[-1], A.Dots):
        raise Unsupported("elided terms (\\dots) without a last term")
    var = _fresh("v", items)
    pairs: list[tuple[A.Node, A.Node]] = []
    body = _unify(terms[0], terms[-1], var, pairs)
    if body is None or not pairs or len(set(pairs)) != 1:
        raise Unsupported("elided terms (\\dots) that follow no single pattern")
    start, end = pairs[0]
    for mid in terms[1:-1]:
        if _unify(body, mid, var, []) is None and _unify(terms[0], mid, var, []) is None:
            raise Unsupported("elided terms (\\dots) that follow no single pattern")
    return var, int(start.value), end, body


def _label(node: A.Node) -> tuple:
    return getattr(node, "op", None), getattr(node, "name", None)


def _unify(a: A.Node, z: A.Node, var: str, pairs) -> A.Node | None:
    if a == z:
        return z
    if isinstance(a, A.BigOp) and isinstance(z, A.BigOp):
        va, vz = sum_var(a), sum_var(z)
        if va and vz and va != vz:
            z = _substitute(z, {vz: A.Name(va)})
            if a == z:
                return z
    if isinstance(a, A.Num) and isinstance(z, (A.Name, A.Num)):
        pairs.append((a, z))
        return A.Name(var)
    if isinstance(a, A.Name) and a.name == var:
        return a
    if type(a) is not type(z):
        return None
    ac, zc = A.children(a), A.children(z)
    if len(ac) != len(zc) or isinstance(a, (A.Name, A.Num)):
        return None
    if isinstance(a, A.Script) and (a.sup is None) != (z.sup is None):
        return None
    if isinstance(a, A.Add) and a.signs != z.signs:
        return None
    if isinstance(a, (A.BigOp, A.Func, A.Rel)) and _label(a) != _label(z):
        return None
    new = []
    for x, y in zip(ac, zc, strict=True):
        u = _unify(x, y, var, pairs)
        if u is None:
            return None
        new.append(u)
    it = iter(new)
    return A.rebuild(z, lambda _c: next(it))


# -- free indices -------------------------------------------------------------

def free_indices(node: A.Node, nt, bound: frozenset = frozenset(), out=None) -> dict:
    """Index letters used but not bound, with the dimension they index (or None)."""
    out = {} if out is None else out

    def note(name: str, dim: str | None) -> None:
        if name in bound or known(name, nt):
            return
        if out.get(name) is None:
            out[name] = dim if dim is not None else nt.indices.get(name)

    if isinstance(node, A.BigOp):
        var = sum_var(node)
        if var is None and node.lower is not None:
            raise Unsupported(f"a sum over {_show(node.lower)} (not an index letter)")
        if isinstance(node.lower, A.Rel):
            free_indices(node.lower.rhs, nt, bound, out)
            if isinstance(node.lower.rhs, A.Name) and node.lower.op != "=":
                note(node.lower.rhs.name, index_dim(node.body, var, nt))
        if node.upper is not None:
            free_indices(node.upper, nt, bound, out)
        free_indices(node.body, nt, bound | {var} if var else bound, out)
        return out
    if isinstance(node, A.Script) and isinstance(node.base, A.Name) and \
            (node.base.name in nt.symbols or node.base.name in nt.quantities):
        for idx, dim in slots(node, nt):
            if isinstance(idx, A.Name):
                note(idx.name, dim)
            else:
                free_indices(idx, nt, bound, out)
        return out
    if isinstance(node, A.Rel):
        for side, other in ((node.lhs, node.rhs), (node.rhs, node.lhs)):
            if isinstance(side, A.Name):
                note(side.name, label_classes(other, nt))
            else:
                free_indices(side, nt, bound, out)
        return out
    if isinstance(node, A.Name) and len(node.name) == 1 and node.name in nt.indices:
        note(node.name, None)
        return out
    for c in A.children(node):
        free_indices(c, nt, bound, out)
    return out


def _show(node: A.Node) -> str:
    if isinstance(node, A.Rel):
        return _show(node.lhs)
    if isinstance(node, A.Script) and isinstance(node.base, A.Name):
        subs = ",".join(_show(s) for s in node.subs)
        return f"{node.base.name}_{subs}"
    if isinstance(node, A.Name):
        return node.name
    return type(node).__name__.lower()


def label_classes(node: A.Node, nt) -> str | None:
    name = base_name(node)
    sym = nt.symbols.get(name) if name else None
    if sym is not None and sym.input is not None:
        return nt.label_classes(sym.input)
    return None


def slots(node: A.Script, nt) -> list[tuple[A.Node, str | None]]:
    """(index expression, dimension it selects) for each index written on a symbol."""
    name = node.base.name
    sup_idx = sup_index(node, nt)
    sym = nt.symbols.get(name)
    if sym is not None:
        if sym.whole:
            return []
        dims = nt.input_dims(sym.input) if sym.input else ()
        sup_dims = sym.sup
        sub_dims = sym.sub or tuple(d for d in dims if d not in sup_dims)
    else:
        q = nt.quantities[name]
        dims = quantity_dims(name, nt)
        sup_dims = tuple(dims.get(n) for n in q.sup)
        sub_dims = tuple(dims.get(n) for n in q.sub) + (None,) * 4
    out = [(s, sub_dims[k] if k < len(sub_dims) else None) for k, s in enumerate(node.subs)]
    if sup_idx is not None:
        out.append((sup_idx, sup_dims[0] if sup_dims else None))
    return out


def sup_index(node: A.Script, nt) -> A.Node | None:
    """The sample index of ``x^{(i)}`` / ``y^{(n)T}`` (None for a power or a transpose)."""
    sup = node.sup
    if isinstance(sup, A.Mul) and len(sup.factors) == 2 and is_transpose(sup.factors[1]):
        sup = sup.factors[0]
    if isinstance(sup, A.Group) and sup.kind == "(" and len(sup.items) == 1:
        return sup.items[0]
    return None


def is_transpose(node: A.Node | None) -> bool:
    return node in (A.Name("T"), A.Name("top"))


def index_dim(body: A.Node, var: str | None, nt) -> str | None:
    """The dimension a summation variable indexes inside ``body``."""
    if var is None:
        return None
    found = free_indices(body, nt)
    return found.get(var) or nt.indices.get(var)


_DIMS_BUSY: set = set()


def quantity_dims(name: str, nt) -> dict:
    """The dimension of each index a defined quantity is written with."""
    q = nt.quantities[name]
    if name in _DIMS_BUSY:
        return {n: nt.indices.get(n) for n in q.sup + q.sub}
    _DIMS_BUSY.add(name)
    try:
        found = free_indices(expand(q.body, nt), nt)
    finally:
        _DIMS_BUSY.discard(name)
    return {n: found.get(n) or nt.indices.get(n) for n in q.sup + q.sub}

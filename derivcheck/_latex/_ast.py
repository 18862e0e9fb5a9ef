"""The syntax tree of a formula: small frozen nodes, compared and rewritten structurally.

Nothing here knows the notation: ``x_i`` is a :class:`Script` of the name ``x``
with the subscript ``i`` whether ``x`` is an input, a defined quantity or an
index. The compiler decides, with the document's notation file.
"""

from __future__ import annotations

import dataclasses


class Unsupported(Exception):
    """A construct the compiler cannot check; its message names the construct."""


@dataclasses.dataclass(frozen=True)
class Node:
    pass


@dataclasses.dataclass(frozen=True)
class Num(Node):
    value: float


@dataclasses.dataclass(frozen=True)
class Name(Node):
    """A symbol: ``x``, ``theta``, ``hat y`` (accents kept, bold and calligraphy dropped)."""

    name: str


@dataclasses.dataclass(frozen=True)
class Script(Node):
    """``base_{subs}^{sup}``: subscripts as written (split into items), superscript raw."""

    base: Node
    subs: tuple[Node, ...] = ()
    sup: Node | None = None


@dataclasses.dataclass(frozen=True)
class Group(Node):
    """A bracketed group: ``kind`` is ``(``, ``[``, ``{`` (a ``\\{...\\}`` set) or ``tex``."""

    kind: str
    items: tuple[Node, ...]
    seps: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Add(Node):
    """A sum of terms; ``signs[k]`` is +1 or -1."""

    terms: tuple[Node, ...]
    signs: tuple[int, ...]


@dataclasses.dataclass(frozen=True)
class Mul(Node):
    factors: tuple[Node, ...]


@dataclasses.dataclass(frozen=True)
class Frac(Node):
    num: Node
    den: Node


@dataclasses.dataclass(frozen=True)
class Func(Node):
    """A built-in elementwise function applied to its argument: exp, log, ln, sqrt."""

    name: str
    arg: Node


@dataclasses.dataclass(frozen=True)
class Abs(Node):
    arg: Node


@dataclasses.dataclass(frozen=True)
class Norm(Node):
    arg: Node
    p: Node | None = None


@dataclasses.dataclass(frozen=True)
class Indicator(Node):
    """``1\\{cond\\}``, ``\\mathbb1\\{cond\\}`` or ``I(cond)``."""

    cond: Node


@dataclasses.dataclass(frozen=True)
class BigOp(Node):
    """``\\sum`` or ``\\prod`` with its scripts and its body."""

    op: str
    lower: Node | None
    upper: Node | None
    body: Node


@dataclasses.dataclass(frozen=True)
class Deriv(Node):
    """``\\frac{\\partial num}{\\partial wrt}``."""

    num: Node
    wrt: Node


@dataclasses.dataclass(frozen=True)
class Rel(Node):
    """A relation ``lhs op rhs`` inside an expression (in an indicator or a sum's condition)."""

    op: str
    lhs: Node
    rhs: Node


@dataclasses.dataclass(frozen=True)
class Dots(Node):
    pass


@dataclasses.dataclass(frozen=True)
class Chain:
    """A chain ``e0 op1 e1 op2 e2 ...``; ``exprs[0]`` is None when the line starts with ``=``."""

    exprs: tuple[Node | None, ...]
    ops: tuple[str, ...]


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-nodes of ``node``."""
    out = []
    for f in dataclasses.fields(node):
        v = getattr(node, f.name)
        if isinstance(v, Node):
            out.append(v)
        elif isinstance(v, tuple):
            out.extend(x for x in v if isinstance(x, Node))
    return tuple(out)


def rebuild(node: Node, fn) -> Node:
    """``node`` with ``fn`` applied to each direct sub-node."""
    changes = {}
    for f in dataclasses.fields(node):
        v = getattr(node, f.name)
        if isinstance(v, Node):
            changes[f.name] = fn(v)
        elif isinstance(v, tuple) and any(isinstance(x, Node) for x in v):
            changes[f.name] = tuple(fn(x) if isinstance(x, Node) else x for x in v)
    return dataclasses.replace(node, **changes) if changes else node


def walk(node: Node):
    """Every node of the tree, depth first."""
    yield node
    for c in children(node):
        yield from walk(c)

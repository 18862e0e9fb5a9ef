"""From LaTeX source to a syntax tree, with a lark grammar.

:func:`parse_expr` turns one cleaned side of a relation (see :mod:`._clean`)
into a syntax tree.
"""

from __future__ import annotations

import functools

from . import _ast as A
from ._clean import clean as clean
from ._clean import unescape_markdown as unescape_markdown

GRAMMAR = r"""
?start: expr
    | expr RELOP expr              -> rel_top

chain: expr (RELOP expr)*          -> chain

?expr: sum
?sum: term
    | sum PLUS term                -> add
    | sum MINUS term               -> sub
    | MINUS term                   -> neg
    | PLUS term                    -> pos
?term: factor
    | factor term                  -> mul
    | factor MULOP term            -> mul_op
    | bigop term                   -> bigop_apply
    | FUNC term                    -> func_apply
    | dop term                     -> deriv_apply
bigop: BIGOP script*
dop: FRAC "{" PARTIAL "}" "{" PARTIAL expr "}"
?factor: atom
    | atom script+                 -> scripted
script: SUB sarg | SUP sarg
?sarg: "{" inner "}"            -> texgroup
    | NAME -> name
    | NUMBER -> number
    | CMD -> cmd
?atom: NAME                        -> name
    | NUMBER                       -> number
    | CMD                          -> cmd
    | ONE                          -> one
    | DOTS                         -> dots
    | "(" inner ")"                -> paren
    | "[" inner "]"                -> bracket
    | "\\{" inner "\\}"            -> set
    | MAT "{" inner "}"            -> mat
    | "{" inner "}"                -> texgroup
    | FRAC "{" expr "}" "{" expr "}"   -> frac
    | FRAC "{" PARTIAL expr "}" "{" PARTIAL expr "}" -> dfrac
    | SQRT "{" expr "}"            -> sqrt
    | LVERT expr RVERT             -> abs
    | LNORM expr RNORM             -> norm
    | ACCENT "{" expr "}"          -> accent
    | ACCENT NAME                  -> accent
    | ACCENT CMD                   -> accent
inner: chain ((COMMA | SEMI | MID) chain)*

RELOP.2: /:=|=|<|>|\\(neq|leq?|geq?|approx|in|equiv|propto)(?![A-Za-z])/
PLUS: "+"
MINUS: "-"
MULOP.2: /\\cdot(?![A-Za-z])|\\times(?![A-Za-z])|\*/
BIGOP.2: /\\(sum|prod)(?![A-Za-z])/
FUNC.2: /\\(log|ln|exp)(?![A-Za-z])/
FRAC.2: /\\frac(?![A-Za-z])/
PARTIAL.2: /\\partial(?![A-Za-z])/
SQRT.2: /\\sqrt(?![A-Za-z])/
MAT.2: /\\mat(?![A-Za-z])/
ONE.2: /\\one(?![A-Za-z])/
DOTS.2: /\\(dots|cdots|ldots|vdots|ddots)(?![A-Za-z])/
ACCENT.2: /\\(hat|bar|tilde|vec|mathbf|boldsymbol|bm|mathcal|mathrm|mathit|widehat|overline)\b/
LNORM.2: /\\lVert(?![A-Za-z])/
RNORM.2: /\\rVert(?![A-Za-z])/
LVERT.2: /\\lvert(?![A-Za-z])/
RVERT.2: /\\rvert(?![A-Za-z])/
MID.2: /\\mid(?![A-Za-z])/
SUB: "_"
SUP: "^"
COMMA: ","
SEMI: ";"
CMD: /\\[A-Za-z]+/
NAME: /[A-Za-z]/
NUMBER: /\d+(\.\d+)?/
%ignore /\s+/
"""

@functools.lru_cache(maxsize=1)
def _parser():
    from lark import Lark

    return Lark(GRAMMAR, parser="lalr")


class ParseError(A.Unsupported):
    """The text is not a formula the grammar reads."""


def parse_expr(text: str) -> A.Node:
    """Parse one cleaned expression (no top-level relation).

    >>> parse_expr("a + b").signs
    (1, 1)
    """
    from lark.exceptions import LarkError

    try:
        tree = _parser().parse(text)
    except LarkError as exc:
        raise ParseError(_describe(exc, text)) from None
    return _ToAst().transform(tree)


def _describe(exc: Exception, text: str) -> str:
    pos = getattr(exc, "pos_in_stream", None)
    if pos is None:
        pos = getattr(exc, "column", 0) - 1
    token = getattr(exc, "token", None)
    if token is not None and str(token) == "" or pos is None or pos < 0 or pos >= len(text):
        return "incomplete formula (it ends where the grammar expects more)"
    snippet = text[max(0, pos - 12):pos + 12].strip()
    return f"notation the grammar does not read, near `{snippet}`"


def _transformer_base():
    from lark import Transformer

    return Transformer


class _ToAst(_transformer_base()):  # type: ignore[misc]
    """lark tree → :mod:`._ast` nodes."""

    def chain(self, items):
        exprs, ops = [items[0]], []
        for k in range(1, len(items), 2):
            ops.append(_relop(items[k]))
            exprs.append(items[k + 1])
        return A.Chain(tuple(exprs), tuple(ops))

    def rel_top(self, items):
        return A.Rel(_relop(items[1]), items[0], items[2])

    def add(self, items):
        return _add(items[0], items[2], 1)

    def sub(self, items):
        return _add(items[0], items[2], -1)

    def neg(self, items):
        return A.Add((items[1],), (-1,))

    def pos(self, items):
        return items[1]

    def mul(self, items):
        return _mul(items[0], items[1])

    def mul_op(self, items):
        return _mul(items[0], items[2])

    def bigop_apply(self, items):
        op, scripts = items[0]
        lower = upper = None
        for kind, arg in scripts:
            if kind == "_":
                lower = arg
            else:
                upper = arg
        return A.BigOp(op, lower, upper, items[1])

    def bigop(self, items):
        return str(items[0])[1:], items[1:]

    def func_apply(self, items):
        name, body = str(items[0])[1:], items[1]
        if isinstance(body, A.Mul) and isinstance(body.factors[0], A.Group) \
                and body.factors[0].kind == "(":
            rest = body.factors[1:]
            head = A.Func(name, _unwrap(body.factors[0]))
            return _mul(head, rest[0] if len(rest) == 1 else A.Mul(rest))
        return A.Func(name, _unwrap(body))

    def dop(self, items):
        return items[-1]

    def deriv_apply(self, items):
        return A.Deriv(items[1], items[0])

    def dfrac(self, items):
        return A.Deriv(items[2], items[4])

    def scripted(self, items):
        base, subs, sup = items[0], [], None
        for kind, arg in items[1:]:
            if kind == "_":
                subs.extend(_split_sub(arg))
            elif sup is None:
                sup = arg
            else:
                sup = A.Mul((sup, arg))
        if isinstance(base, A.Script) or not subs and sup is None:
            return base if not subs and sup is None else A.Script(base, tuple(subs), sup)
        if isinstance(base, A.Norm) and subs:
            base, subs = A.Norm(base.arg, subs[0]), []
            return A.Script(base, (), sup) if sup is not None else base
        return A.Script(base, tuple(subs), sup)

    def script(self, items):
        return str(items[0]), items[1]

    def name(self, items):
        return A.Name(str(items[0]))

    def number(self, items):
        return A.Num(float(str(items[0])))

    def cmd(self, items):
        return A.Name(str(items[0])[1:])

    def one(self, items):
        return A.Name("𝟙")

    def dots(self, items):
        return A.Dots()

    def inner(self, items):
        chains = items[0::2]
        seps = tuple(str(t) for t in items[1::2])
        return [_chain_expr(c) for c in chains], seps

    def paren(self, items):
        return _group("(", items[0])

    def bracket(self, items):
        return _group("[", items[0])

    def set(self, items):
        return _group("{", items[0])

    def mat(self, items):
        return _group("mat", items[1])

    def texgroup(self, items):
        exprs, seps = items[0]
        return exprs[0] if len(exprs) == 1 else A.Group("tex", tuple(exprs), seps)

    def frac(self, items):
        return A.Frac(items[1], items[2])

    def sqrt(self, items):
        return A.Func("sqrt", items[1])

    def abs(self, items):
        return A.Abs(items[1])

    def norm(self, items):
        return A.Norm(items[1])

    def accent(self, items):
        acc, inner = str(items[0])[1:], items[1]
        if not isinstance(inner, A.Node):
            inner = A.Name(str(inner).lstrip("\\"))
        if acc in ("hat", "bar", "tilde", "widehat", "overline") and isinstance(inner, A.Name):
            return A.Name(f"{'bar' if acc == 'overline' else acc.replace('wide', '')} {inner.name}")
        if acc in ("hat", "bar", "tilde", "widehat", "overline"):
            raise ParseError(f"\\{acc} over an expression")
        return inner


def _relop(tok) -> str:
    return {"\\le": "\\leq", "\\ge": "\\geq"}.get(str(tok), str(tok))


def _chain_expr(chain: A.Chain) -> A.Node:
    if chain.exprs[0] is None:
        raise ParseError("a relation with no left side inside a group")
    if not chain.ops:
        return chain.exprs[0]
    if len(chain.ops) == 1:
        return A.Rel(chain.ops[0], chain.exprs[0], chain.exprs[1])
    raise ParseError("a chain of relations inside a group")


def _group(kind: str, inner) -> A.Node:
    exprs, seps = inner
    return A.Group(kind, tuple(exprs), seps)


def _unwrap(node: A.Node) -> A.Node:
    if isinstance(node, A.Group) and node.kind in ("(", "[", "tex") and len(node.items) == 1:
        return node.items[0]
    return node


def _add(left: A.Node, right: A.Node, sign: int) -> A.Add:
    if isinstance(left, A.Add):
        return A.Add(left.terms + (right,), left.signs + (sign,))
    return A.Add((left, right), (1, sign))


def _mul(left: A.Node, right: A.Node) -> A.Node:
    rest = right.factors if isinstance(right, A.Mul) else (right,)
    factors = (left,) + rest
    out: list[A.Node] = []
    k = 0
    while k < len(factors):
        f = factors[k]
        nxt = factors[k + 1] if k + 1 < len(factors) else None
        if _is_indicator_head(f) and isinstance(nxt, A.Group) and len(nxt.items) == 1 \
                and isinstance(nxt.items[0], A.Rel) and nxt.kind in ("(", "{"):
            out.append(A.Indicator(nxt.items[0]))
            k += 2
            continue
        out.append(f)
        k += 1
    return out[0] if len(out) == 1 else A.Mul(tuple(out))


def _is_indicator_head(node: A.Node) -> bool:
    return node in (A.Name("𝟙"), A.Name("I"), A.Num(1.0))


def _split_sub(arg: A.Node) -> list[A.Node]:
    """``_{ij}`` is two indices, ``_{i,j}`` too; ``_{y_i}`` or ``_{k=1}`` is one item."""
    if isinstance(arg, A.Group) and arg.kind == "tex" and all(s == "," for s in arg.seps):
        return list(arg.items)
    if isinstance(arg, A.Mul) and all(isinstance(f, A.Name) and len(f.name) == 1
                                      for f in arg.factors):
        return list(arg.factors)
    return [arg]

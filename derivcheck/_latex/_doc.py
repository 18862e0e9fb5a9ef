"""Check a document as written: its relation chains, compiled from the LaTeX.

Each chain ``e0 = e1 = e2 ...`` becomes one :class:`derivcheck.Derivation`:
its truth is ``e0`` (a defined quantity reads its definition from the
notation; ``\\partial J/\\partial \\theta_j`` is autodiff), its lines are
``e1 ... en``, and, for the steps, ``e0 + (e_k - e_{k-1})``, which equals the
truth exactly when line k equals line k-1. One claim per chain, so JAX
compiles once per chain and shape bucket.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from . import _ast as A
from ._ast import Unsupported
from ._chain import check_chain
from ._compile import ev
from ._expand import expand, free_indices
from ._extract import rows
from ._parse import clean, parse_expr
from ._values import Env, sizes_of, vmapped

_UNSUPPORTED_RAW = [
    (re.compile(r"\\begin\{(cases)\}"), "cases (\\begin{{{0}}})"),
    (re.compile(r"\\(min|max|arg|lim|int|infty|in|forall|exists)(?![A-Za-z])"), "\\{0}"),
]
_ESCAPED = re.compile(r"\\\\|\\[{}]")
_LAYOUT = re.compile(r"\\(begin|end)\{(aligned|align\*?|split|gathered|equation\*?)\}|&")


@dataclasses.dataclass
class Formula:
    """One relation of the document and its verdicts."""

    line: int
    latex: str
    status: str = "skipped"
    step_status: str | None = None
    reason: str | None = None
    diagnosis: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass
class _Side:
    text: str
    line: int
    op: str | None
    fn: Any = None
    node: Any = None
    free: dict = dataclasses.field(default_factory=dict)
    reason: str | None = None


def _compile_side(side: _Side, nt) -> None:
    text = _LAYOUT.sub(" ", side.text).strip()
    plain = _ESCAPED.sub("", text)
    if plain.count("{") != plain.count("}"):
        side.reason = "unbalanced braces ({}) on this row (the grammar does not read it)".format(
            "{ without }" if plain.count("{") > plain.count("}") else "} without {")
        return
    for pat, what in _UNSUPPORTED_RAW:
        m = pat.search(text)
        if m:
            side.reason = what.format(m.group(1))
            return
    if not text:
        side.reason = "an empty side"
        return
    for op, cl in (("(", ")"), ("[", "]"), ("\\{", "\\}")):
        if text.count(op) != text.count(cl):
            side.reason = (f"unbalanced brackets ({text.count(op)} {op} against "
                           f"{text.count(cl)} {cl})")
            return
    if re.search(r"=\s*\d+\s*,\s*\d+\s*,", " = " + text):
        side.reason = "a list of values (an index range)"
        return
    try:
        node = expand(parse_expr(clean(text, words=nt.words)), nt)
        side.free = free_indices(node, nt)
    except Unsupported as exc:
        side.reason = str(exc)
        return
    side.fn = node
    side.node = node


def _not_a_claim(lhs: _Side, rhs: _Side, nt) -> str | None:
    """Relations that state no checkable fact: case conditions and example values."""
    a, b = getattr(lhs, "node", None), getattr(rhs, "node", None)
    names = [n for n in (a, b) if isinstance(n, A.Name)]
    if len(names) == 2 and all(n.name not in nt.symbols and n.name not in nt.quantities
                               for n in names):
        return f"a case condition on indices ({a.name} {rhs.op} {b.name})"
    for x, y in ((a, b), (b, a)):
        sym = nt.symbols.get(x.name) if isinstance(x, A.Name) else None
        if sym is not None and sym.dim is not None and isinstance(y, A.Num):
            return f"an example value of a dimension ({x.name} = {y.value:g})"
    return None


def _chains(doc: str):
    """Rows grouped into chains: a row starting with a relation sign continues the last one."""
    chains: list[list[_Side]] = []
    for row in rows(doc):
        sides = [_Side(p.text, p.line, p.op) for p in row.pieces]
        head = _LAYOUT.sub(" ", sides[0].text).strip()
        if len(sides) == 1:
            continue
        if not head and chains:
            chains[-1].extend(sides[1:])
        else:
            chains.append(sides)
    return chains


def _relation_text(chain: list[_Side], k: int) -> str:
    rhs = f"{chain[k].op} {_LAYOUT.sub(' ', chain[k].text).strip()}"
    if k == 1:
        return f"{_LAYOUT.sub(' ', chain[0].text).strip()} {rhs}"
    return rhs


def _make_fn(node: A.Node, nt, free_names: list[str], free_dims: list[str], assume):
    def fn(**inputs):
        import jax.numpy as jnp

        sizes = sizes_of(nt, inputs)
        dims = []
        for d in free_dims:
            if d not in sizes:
                raise Unsupported(f"a free index over {d}, which no input has")
            dims.append(sizes[d])

        def body(bound):
            env = Env(nt=nt, inputs=inputs, sizes=sizes, idx=dict(bound), over={}, ev=ev)
            val = ev(node, env).arr
            if assume is not None:
                from ._compile import _holds

                val = jnp.where(_holds(assume, env), val, 0.0)
            return jnp.asarray(val, dtype=jnp.float64)

        return vmapped(body, free_names, dims)

    return _memo(fn)


class _Last:
    """A formula's last inputs and value. Its attribute is private: the program store's
    key does not read it (it holds tracers; it changes nothing a trace computes)."""

    def __init__(self) -> None:
        self._entry: tuple | None = None


def _memo(fn):
    """Trace each formula once per set of input tracers (steps reuse the lines' values)."""
    last = _Last()

    def cached(**inputs):
        key = tuple(id(v) for v in inputs.values())
        if last._entry is not None and last._entry[0] == key:
            return last._entry[2]
        out = fn(**inputs)
        last._entry = (key, list(inputs.values()), out)
        return out

    return cached


def chain_count(doc: str) -> int:
    """How many relation chains ``doc`` holds."""
    return len(_chains(doc))


def check_document(doc: str, nt, *, name: str, profile: str | None = None,
                   seed: int = 0) -> list[Formula]:
    """Check every relation of ``doc`` with the notation ``nt``."""
    return [f for _, formulas in check_chains(doc, nt, name=name, profile=profile, seed=seed)
            for f in formulas]


def check_chains(doc: str, nt, *, name: str, profile: str | None = None, seed: int = 0,
                 share: tuple[int, int] = (0, 1), start: int = 0,
                 stop: int | None = None) -> list[tuple[int, list[Formula]]]:
    """Each relation chain of ``doc`` (its index, its formulas), checked where the index
    ``i`` is ``k`` modulo ``n`` (``share``: (k, n)) and ``start <= i < stop``; the others
    are compiled from the LaTeX, not checked. A chain's verdicts depend on the chain, the
    notation and the seed alone, so processes checking one share each give the verdicts
    of one process (``derivcheck doc -j``)."""
    space = nt.space()
    out: list[tuple[int, list[Formula]]] = []
    for index, chain in enumerate(_chains(doc)):
        nt_here = nt.at(chain[0].line)
        formulas = [Formula(line=chain[k].line, latex=_relation_text(chain, k))
                    for k in range(1, len(chain))]
        out.append((index, formulas))
        if len(chain) > 1 and chain[1].op == ":=" and nt_here.update:
            chain[0] = _Side(nt_here.update, chain[0].line, None)
            chain[1].op = "="
        if nt_here.skip:
            for f in formulas:
                f.reason = nt_here.skip
            continue
        for side in chain:
            _compile_side(side, nt_here)
        for k in range(1, len(chain)):
            why = _not_a_claim(chain[k - 1], chain[k], nt_here)
            if why:
                formulas[k - 1].reason = why
                chain[k].fn = chain[k - 1].fn = None
        free: dict[str, str | None] = {}
        for side in chain:
            if side.fn is not None:
                for k, v in side.free.items():
                    free[k] = free.get(k) or v
        if nt_here.assume is not None:
            for k, v in free_indices(nt_here.assume, nt_here).items():
                free[k] = free.get(k) or v
        names = sorted(free)
        dims = [free[k] or nt_here.indices.get(k) for k in names]
        for side in chain:
            if side.fn is None:
                continue
            missing = [k for k in side.free if not (free[k] or nt_here.indices.get(k))]
            if missing:
                side.reason, side.fn = f"free index {missing[0]} with no known range", None
                continue
            side.fn = _make_fn(side.fn, nt_here, names, dims, nt_here.assume)
        for k in range(1, len(chain)):
            f = formulas[k - 1]
            if f.reason is None and chain[k].op != "=":
                f.reason = "an assignment (:=)" if chain[k].op == ":=" else \
                    f"the relation {chain[k].op}"
            elif f.reason is None and chain[k].fn is None:
                f.reason = chain[k].reason
        if index % share[1] != share[0] or index < start or (stop is not None and index >= stop):
            continue  # another process (or another call) checks it
        try:
            check_chain(chain, formulas, space, name=name, profile=profile, seed=seed)
        except Exception as exc:  # noqa: BLE001 - one broken chain never stops the others
            first = (str(exc).splitlines() or [""])[0]
            for f in formulas:
                if f.status == "skipped" and f.reason is None:
                    f.status, f.diagnosis = "error", f"{type(exc).__name__}: {first}"
    return out


def summary(formulas: list[Formula]) -> dict[str, int]:
    skipped = sum(f.status == "skipped" for f in formulas)
    return {"formulas": len(formulas), "checked": len(formulas) - skipped, "skipped": skipped}

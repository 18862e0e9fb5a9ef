"""A document's notation file (TOML): what its symbols mean.

Example (``proofs/notation/<document stem>.toml``)::

    [inputs]                      # the input space: name = "kind dims"
    X = "real N D"
    W = "real D K"
    y = "labels N K"              # labels over N with classes K

    [symbols]                     # LaTeX symbol -> input (and index roles) or a dimension
    x = { input = "X", sub = "N" }            # x_i is row i of X
    "\\theta" = { input = "W", sub = "K" }    # theta_j is column j of W
    y = { input = "y", sub = "N" }
    m = "N"                                   # m is the size of dimension N

    [functions]                   # f(args) expands to latex with the args substituted
    p = { args = ["a = c", "x"],
          latex = "\\frac{e^{\\theta_c^T x}}{\\sum_{k=1}^K e^{\\theta_k^T x}}" }

    [quantities]                  # defined quantities: J is checked against this
    J = "-\\frac{1}{m} \\sum_{i=1}^m \\log p(y_i = y_i | x_i)"

    [[blocks]]                    # lines 40-55 of the document, read with i = j
    lines = [40, 55]
    assume = "i = j"

In a block, ``update = "..."`` gives the meaning of an assignment ``a := b`` written
there (e.g. a gradient step), against which ``b`` is checked.

A block follows its text when the document is edited: ``at = '...'`` is a piece
of its first line (as written, or with Markdown's ``\\_`` written ``_``); the
block starts at the line holding it nearest to ``lines[0]`` and keeps its
length, or, with ``until = '...'`` (a piece of its last line), ends at the
first line from its start holding that. An anchor not found leaves the block
at ``lines``, with a warning.

A symbol's ``sub`` / ``sup`` name the dimensions its subscripts and its
sample superscript ``(i)`` select, in order; axes not named are selected by
the remaining subscripts in order. ``implicit = "i"`` reads an omitted
superscript as the index i when i is bound; ``bare = "x1"`` reads the
symbol written with no index as another input; ``whole = true`` reads
``theta_j`` as the whole of theta (a line checked for every j at once);
``row = true`` makes its vectors rows.
"""

from __future__ import annotations

import dataclasses
import re
import sys
from pathlib import Path
from typing import Any

from . import _ast as A
from ._clean import unescape_markdown

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


class NotationError(ValueError):
    """The notation file is malformed; the message names the file and the entry."""


@dataclasses.dataclass(frozen=True)
class Symbol:
    """What a LaTeX symbol stands for."""

    input: str | None = None          # an input of the space
    dim: str | None = None            # or the size of a dimension
    value: float | None = None        # or a constant
    sub: tuple[str, ...] = ()
    sup: tuple[str, ...] = ()
    implicit: str | None = None
    implicit_sub: str | None = None
    bare: str | None = None
    whole: bool = False
    row: bool = False
    drop_sup: bool = False            # a sample index written on it is ignored (W^{(n)} is W)


@dataclasses.dataclass(frozen=True)
class Function:
    args: tuple[A.Node, ...]
    params: frozenset[str]
    body: A.Node
    sub: str | None = None            # h_j(x): the subscript binds this name in sub_body
    sub_body: A.Node | None = None


@dataclasses.dataclass(frozen=True)
class Quantity:
    body: A.Node
    sub: tuple[str, ...] = ()
    sup: tuple[str, ...] = ()
    implicit: str | None = None
    implicit_sub: str | None = None


@dataclasses.dataclass
class Block:
    lines: tuple[int, int]
    assume: A.Node | None = None
    symbols: dict[str, Symbol] = dataclasses.field(default_factory=dict)
    quantities: dict[str, Quantity] = dataclasses.field(default_factory=dict)
    functions: dict[str, Function] = dataclasses.field(default_factory=dict)
    indices: dict[str, str] = dataclasses.field(default_factory=dict)
    skip: str | None = None
    update: str | None = None
    at: str | None = None             # text on its first line: the block follows it
    until: str | None = None          # text on its last line


@dataclasses.dataclass
class Notation:
    """The parsed notation: inputs, symbols, functions, quantities and blocks."""

    path: str
    inputs: dict[str, str]
    dims: dict[str, Any]
    symbols: dict[str, Symbol]
    functions: dict[str, Function]
    quantities: dict[str, Quantity]
    indices: dict[str, str]
    words: tuple[str, ...]
    blocks: list[Block]
    #: Quantities expanded so far (private: the program store's key reads the notation,
    #: and this memo fills as formulas run).
    _cache: dict = dataclasses.field(default_factory=dict, repr=False)

    def at(self, line: int) -> Notation:
        """The notation in force at a document line (blocks override the top level)."""
        out = dataclasses.replace(self, symbols=dict(self.symbols),
                                  functions=dict(self.functions),
                                  quantities=dict(self.quantities),
                                  indices=dict(self.indices), blocks=[], _cache={})
        out.assume, out.skip, out.update = None, None, None
        for b in self.blocks:
            if b.lines[0] <= line <= b.lines[1]:
                out.symbols.update(b.symbols)
                out.functions.update(b.functions)
                out.quantities.update(b.quantities)
                out.indices.update(b.indices)
                out.assume = b.assume if b.assume is not None else out.assume
                out.skip = b.skip or out.skip
                out.update = b.update or out.update
        return out

    def placed(self, doc: str) -> tuple[Notation, list[str]]:
        """The notation with its anchored blocks moved to their text in ``doc``.

        Returns (notation, warnings): one warning per anchor not found, unless the
        block's lines are blank there (it then applies to nothing).
        """
        lines, text = doc.split("\n"), [doc, unescape_markdown(doc)]
        blocks, warnings = [], []
        for k, b in enumerate(self.blocks):
            a, z = b.lines
            found = _lines_of(b.at, text) if b.at is not None else [a]
            miss = None if found else b.at
            if found:
                start = min(found, key=lambda n: (abs(n - a), n))
                a, z = start, z + start - a
                if b.until is not None:
                    ends = [n for n in _lines_of(b.until, text, end=True) if n >= a]
                    z, miss = (min(ends), None) if ends else (z, b.until)
            if miss is not None and any(x.strip() for x in lines[max(a - 1, 0):z]):
                key, which = ("at", "first") if miss == b.at else ("until", "last")
                warnings.append(
                    f"{self.path}: [[blocks]] #{k + 1}: {key} = '{miss}' is not in the "
                    f"document, so the block is read at lines = [{a}, {z}]: update its "
                    f"{key} (or lines) to text on the block's {which} line".replace("\n", "\\n"))
            blocks.append(dataclasses.replace(b, lines=(a, z)))
        return dataclasses.replace(self, blocks=blocks, _cache={}), warnings

    def space(self):
        """The :class:`derivcheck.Space` of the inputs."""
        import derivcheck as dc

        made = {}
        for name, spec in self.inputs.items():
            kind, *dims = spec.split()
            if kind == "labels":
                made[name] = dc.labels(" ".join(dims[:-1]), classes=dims[-1])
            elif kind in ("real", "positive", "simplex", "one_hot", "binary"):
                made[name] = getattr(dc, kind)(" ".join(dims))
            else:
                raise NotationError(f"{self.path}: input {name}: unknown kind {kind!r}")
        dims = {k: tuple(v) if isinstance(v, list) else v for k, v in self.dims.items()}
        return dc.Space(**made, dims=dims or None)

    def input_dims(self, name: str) -> tuple[str, ...]:
        kind, *dims = self.inputs[name].split()
        return tuple(dims[:-1]) if kind == "labels" else tuple(dims)

    def label_classes(self, name: str) -> str | None:
        kind, *dims = self.inputs[name].split()
        return dims[-1] if kind == "labels" else None


def _lines_of(needle: str, texts: list[str], *, end: bool = False) -> list[int]:
    """The lines (1-based) where ``needle`` starts (or ``end``s) in any of ``texts``."""
    out = set()
    for text in texts:
        for m in re.finditer(re.escape(needle), text):
            out.add(text.count("\n", 0, m.end() if end else m.start()) + 1)
    return sorted(out)


def _key(latex: str, words: tuple[str, ...], where: str) -> str:
    from ._parse import clean, parse_expr

    node = parse_expr(clean(latex, words=words))
    if isinstance(node, A.Name):
        return node.name
    raise NotationError(f"{where}: {latex!r} is not a single symbol")


def _symbol(spec: Any, where: str) -> Symbol:
    if isinstance(spec, str):
        return Symbol(dim=spec)
    if isinstance(spec, (int, float)):
        return Symbol(value=float(spec))
    if not isinstance(spec, dict):
        raise NotationError(f"{where}: expected a table or a dimension name, got {spec!r}")
    known = {f.name for f in dataclasses.fields(Symbol)}
    bad = set(spec) - known
    if bad:
        raise NotationError(f"{where}: unknown keys {sorted(bad)} (known: {sorted(known)})")
    spec = dict(spec)
    for k in ("sub", "sup"):
        spec[k] = tuple(spec.get(k, "").split())
    return Symbol(**spec)


def _section(raw: dict, words, where, symbols, functions, quantities) -> None:
    from ._parse import clean, parse_expr

    for key, spec in raw.get("symbols", {}).items():
        symbols[_key(key, words, f"{where} [symbols] {key}")] = _symbol(
            spec, f"{where} [symbols] {key}")
    for key, spec in raw.get("functions", {}).items():
        w = f"{where} [functions] {key}"
        if not isinstance(spec, dict) or "latex" not in spec:
            raise NotationError(f"{w}: needs latex = ... and args = [...]")
        args = tuple(parse_expr(clean(a, words=words)) for a in spec.get("args", []))
        params = frozenset(n.name for a in args for n in A.walk(a) if isinstance(n, A.Name))
        sub_body = spec.get("sub_latex")
        functions[_key(key, words, w)] = Function(
            args, params, parse_expr(clean(spec["latex"], words=words)), spec.get("sub"),
            parse_expr(clean(sub_body, words=words)) if sub_body else None)
    for key, spec in raw.get("quantities", {}).items():
        w = f"{where} [quantities] {key}"
        if isinstance(spec, str):
            spec = {"latex": spec}
        quantities[_key(key, words, w)] = Quantity(
            parse_expr(clean(spec["latex"], words=words)),
            tuple(spec.get("sub", "").split()), tuple(spec.get("sup", "").split()),
            spec.get("implicit"), spec.get("implicit_sub"))


def load(path: str | Path) -> Notation:
    """Read a notation file.

    Raises:
      NotationError: naming the file and the entry that is wrong.
    """
    from ._ast import Unsupported
    from ._parse import clean, parse_expr

    path = str(path)
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise NotationError(f"{path}: {exc}") from None
    words = tuple(raw.get("words", ()))
    symbols: dict[str, Symbol] = {}
    functions: dict[str, Function] = {}
    quantities: dict[str, Quantity] = {}
    try:
        _section(raw, words, path, symbols, functions, quantities)
        blocks = []
        for k, b in enumerate(raw.get("blocks", [])):
            for key in ("at", "until"):
                if key in b and not (isinstance(b[key], str) and b[key].strip()):
                    raise NotationError(f"{path} [[blocks]] #{k + 1}: {key} must be a piece "
                                        f"of the document's text, got {b[key]!r}")
            blk = Block(lines=tuple(b.get("lines", (0, 10 ** 9))), skip=b.get("skip"),
                        update=b.get("update"),
                        indices=dict(b.get("indices", {})), at=b.get("at"),
                        until=b.get("until"))
            if "assume" in b:
                blk.assume = parse_expr(clean(b["assume"], words=words))
            _section(b, words, f"{path} [[blocks]] #{k + 1}", blk.symbols, blk.functions,
                     blk.quantities)
            blocks.append(blk)
    except Unsupported as exc:
        raise NotationError(f"{path}: {exc}") from None
    for name, sym in symbols.items():
        if sym.input is not None and sym.input not in raw.get("inputs", {}):
            raise NotationError(f"{path}: symbol {name} uses input {sym.input!r}, "
                                "which [inputs] does not declare")
    return Notation(path=path, inputs=dict(raw.get("inputs", {})), dims=dict(raw.get("dims", {})),
                    symbols=symbols, functions=functions, quantities=quantities,
                    indices=dict(raw.get("indices", {})), words=words, blocks=blocks)

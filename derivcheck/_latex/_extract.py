"""Find the relations of a Markdown or LaTeX document.

Display formulas (``$$…$$``, ``\\[…\\]``, ``align``/``equation`` environments)
and inline ``$…$`` that state a relation are cut into rows (``\\\\``), rows
into relation chains, and chains into pieces at the top-level relation signs.
Each piece keeps its text and its 1-based line in the document.
"""

from __future__ import annotations

import dataclasses
import re

from ._parse import unescape_markdown

_DISPLAY = re.compile(
    r"\$\$(.+?)\$\$|\\\[(.+?)\\\]|(\\begin\{(align\*?|equation\*?|gather\*?)\}.+?\\end\{\4\})",
    re.S)
_INLINE = re.compile(r"(?<![\\$])\$([^$\n]+?)\$(?!\$)")
_RELOPS = re.compile(r":=|=|\\neq?(?![A-Za-z])|\\leq?(?![A-Za-z])|\\geq?(?![A-Za-z])|"
                     r"\\approx(?![A-Za-z])|\\in(?![A-Za-z])|(?<!\\)<|(?<!\\)>")
_SEPARATORS = re.compile(r"\\(Rightarrow|rightarrow|Longrightarrow|implies|therefore)(?![A-Za-z])"
                         r"|\\xrightarrow\s*\{(?:[^{}]|\{[^{}]*\})*\}")
_OPENERS = {"(": ")", "[": "]", "{": "}"}
_ENV = re.compile(r"\\(begin|end)\{(\w+\*?)\}")
_LAYOUT_ENVS = ("aligned", "align", "align*", "split", "gathered", "equation", "equation*",
                "gather", "gather*")
_LINE_START = re.compile(r"[ \t]*&?[ \t]*")
_TAIL = re.compile(r"(?:\s|\\\\|&|\\end\{\w+\*?\})*")
_ALIGN_ENVS = ("aligned", "align", "align*", "split", "gathered", "gather", "gather*")


@dataclasses.dataclass
class Piece:
    """One side of a relation: its text, its line, and the relation sign before it."""

    text: str
    line: int
    op: str | None


@dataclasses.dataclass
class Row:
    """A relation chain as written: pieces, and whether it continues the chain before."""

    pieces: list[Piece]
    display: bool


def _line_at(doc: str, offset: int) -> int:
    return doc.count("\n", 0, offset) + 1


def formulas(doc: str) -> list[tuple[str, int, bool]]:
    """(body, offset of the body, display?) for each formula, in document order."""
    found = []
    taken = []
    for m in _DISPLAY.finditer(doc):
        g = 1 if m.group(1) is not None else 2 if m.group(2) is not None else 3
        found.append((m.group(g), m.start(g), True))
        taken.append((m.start(), m.end()))
    for m in _INLINE.finditer(doc):
        if any(a <= m.start() < b for a, b in taken):
            continue
        found.append((m.group(1), m.start(1), False))
    found.sort(key=lambda f: f[1])
    return found


def _depth_scan(text: str):
    """Yield (position, depth, env depth) for each character."""
    depth, env = 0, 0
    k = 0
    while k < len(text):
        m = _ENV.match(text, k)
        if m:
            if m.group(2) not in _LAYOUT_ENVS:
                env += 1 if m.group(1) == "begin" else -1
            k = m.end()
            continue
        ch = text[k]
        if ch == "\\" and k + 1 < len(text) and text[k + 1] in "{}":
            depth += 1 if text[k + 1] == "{" else -1
            yield k, depth, env
            k += 2
            continue
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        yield k, depth, env
        k += 1


def _scan(body: str) -> tuple[list[int], list[int], list[tuple[int, int]]]:
    """Brace and bracket depth before each character, and the candidate row breaks.

    A break is ``(position, width)``: a ``\\\\`` outside nested environments
    (width 2), or a line end inside an align-like environment (width 1).
    """
    n = len(body)
    curly, square = [0] * (n + 1), [0] * (n + 1)
    breaks: list[tuple[int, int]] = []
    c = b = env = align = 0
    k = 0
    while k < n:
        step, dc, db = 1, 0, 0
        m = _ENV.match(body, k)
        ch = body[k]
        if m:
            sign = 1 if m.group(1) == "begin" else -1
            if m.group(2) not in _LAYOUT_ENVS:
                env += sign
            elif m.group(2) in _ALIGN_ENVS:
                align += sign
            step = m.end() - k
        elif ch == "\\" and body[k + 1:k + 2] in ("{", "}"):
            db, step = (1 if body[k + 1] == "{" else -1), 2
        elif body.startswith("\\\\", k) and env == 0 and (k == 0 or body[k - 1] != "\\"):
            breaks.append((k, 2))
        elif ch == "\n" and env == 0 and align > 0:
            breaks.append((k, 1))
        elif ch in "{}":
            dc = 1 if ch == "{" else -1
        elif ch in "([)]":
            db = 1 if ch in "([" else -1
        curly[k:k + step] = [c] * step
        square[k:k + step] = [b] * step
        c, b, k = c + dc, b + db, k + step
    curly[n], square[n] = c, b
    return curly, square, breaks


def _suffix_min(depth: list[int]) -> list[int]:
    out = depth[:]
    for k in range(len(out) - 2, -1, -1):
        out[k] = min(out[k], out[k + 1])
    return out


def _split_rows(body: str) -> list[tuple[str, int]]:
    """Rows at top-level ``\\\\``; a row with an open bracket or a trailing + continues.

    A brace or bracket opened on a row and closed on a later one (``\\left[ …
    \\right. \\\\ \\left. … \\right]``, ``\\substack{i \\\\ j}``) holds the rows
    together. One that never closes does not: the row ends at its ``\\\\``, or, in
    an align-like environment, at the line end before a line starting with a
    relation sign, so that a missing ``}`` breaks only its own row (the last
    row keeps the layout after it, as a balanced one does).
    """
    curly, square, breaks = _scan(body)
    low_c, low_s = _suffix_min(curly), _suffix_min(square)
    cut: list[tuple[int, int, bool]] = []
    start = 0
    for pos, width in breaks:
        rel_c, rel_s = curly[pos] - curly[start], square[pos] - square[start]
        held = (rel_c > 0 and low_c[pos + 1] < curly[pos]) or \
            (rel_s > 0 and low_s[pos + 1] < square[pos])
        if width == 2 and rel_c + rel_s == 0:
            cut.append((pos, width, False))
        elif rel_c + rel_s != 0 and not held and not _TAIL.fullmatch(body, pos) and \
                (width == 2 or _starts_relation(body, pos + 1)):
            cut.append((pos, width, True))
        else:
            continue
        start = pos + width
    rows, start = [], 0
    for pos, width, broken in cut + [(len(body), 0, False)]:
        rows.append((body[start:pos], start, broken))
        start = pos + width
    merged: list[tuple[str, int, bool]] = []
    for text, off, broken in rows:
        if merged and not merged[-1][2] and _open(merged[-1][0]):
            prev, poff, _ = merged[-1]
            merged[-1] = (prev + " " + text, poff, broken)
        else:
            merged.append((text, off, broken))
    return [(text, off) for text, off, _ in merged]


def _starts_relation(body: str, k: int) -> bool:
    """Whether the line from ``k`` starts with a relation sign (after ``&``)."""
    m = _LINE_START.match(body, k)
    return bool(_RELOPS.match(body, m.end()))


def _open(text: str) -> bool:
    t = re.sub(r"\\(left|right)\s*\.", "", text)
    t = re.sub(r"\\(left|right)(?![A-Za-z])", "", t)
    bal = sum(1 if c in "([" else -1 if c in ")]" else 0 for c in t)
    bal += t.count("\\{") - t.count("\\}")
    stripped = t.strip()
    return bal > 0 or stripped.endswith(("+", "-", "\\cdot", "\\times"))


def _split_relations(text: str) -> list[tuple[str, int, str | None]]:
    """Pieces of a row at its top-level relation signs: (text, offset, sign before)."""
    cuts, stray = [], False
    for k, depth, env in _depth_scan(text):
        stray = stray or depth < 0  # after a stray closer, no sign is top-level
        if depth == 0 and env == 0 and not stray:
            m = _RELOPS.match(text, k)
            if m and not (text[k] == "=" and k > 0 and text[k - 1] == ":"):
                if cuts and cuts[-1][1] > k:
                    continue
                cuts.append((k, m.end(), m.group(0)))
    out, start, op = [], 0, None
    for a, b, sign in cuts:
        out.append((text[start:a], start, op))
        start, op = b, sign
    out.append((text[start:], start, op))
    return out


def rows(doc: str) -> list[Row]:
    """Every relation chain of the document, in order."""
    out: list[Row] = []
    for body, offset, display in formulas(doc):
        if "\\_" in body or "\\\\\\\\" in body:
            fixed = unescape_markdown(body)
            shift = None
        else:
            fixed, shift = body, 0
        for row_text, row_off in _split_rows(fixed):
            segs, last = [], 0
            for m in _SEPARATORS.finditer(row_text):
                segs.append((row_text[last:m.start()], last))
                last = m.end()
            segs.append((row_text[last:], last))
            for seg, seg_off in segs:
                pieces = []
                for text, off, op in _split_relations(seg):
                    pos = offset + (row_off + seg_off + off if shift is not None else 0)
                    line = _line_at(doc, pos) if shift is not None else \
                        _line_at(doc, offset) + row_text[:0].count("\n") + \
                        fixed[:row_off + seg_off + off].count("\n")
                    pieces.append(Piece(text.strip(), line, op))
                if len(pieces) > 1 or (pieces and display):
                    out.append(Row(pieces, display))
    return out

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


def _split_rows(body: str) -> list[tuple[str, int]]:
    """Rows at top-level ``\\\\``; a row with an open bracket or a trailing + continues."""
    rows, start = [], 0
    stops = []
    for k, depth, env in _depth_scan(body):
        if body.startswith("\\\\", k) and depth == 0 and env == 0 and \
                (k == 0 or body[k - 1] != "\\"):
            stops.append(k)
    stops = [s for s in stops if not any(s == t + 1 for t in stops)]
    for s in stops + [len(body)]:
        rows.append((body[start:s], start))
        start = s + 2
    merged: list[tuple[str, int]] = []
    for text, off in rows:
        if merged and _open(merged[-1][0]):
            prev, poff = merged[-1]
            merged[-1] = (prev + " " + " " * 0 + text, poff)
        else:
            merged.append((text, off))
    return merged


def _open(text: str) -> bool:
    t = re.sub(r"\\(left|right)\s*\.", "", text)
    t = re.sub(r"\\(left|right)(?![A-Za-z])", "", t)
    bal = sum(1 if c in "([" else -1 if c in ")]" else 0 for c in t)
    bal += t.count("\\{") - t.count("\\}")
    stripped = t.strip()
    return bal > 0 or stripped.endswith(("+", "-", "\\cdot", "\\times"))


def _split_relations(text: str) -> list[tuple[str, int, str | None]]:
    """Pieces of a row at its top-level relation signs: (text, offset, sign before)."""
    cuts = []
    for k, depth, env in _depth_scan(text):
        if depth == 0 and env == 0:
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

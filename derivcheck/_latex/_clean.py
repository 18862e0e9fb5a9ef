"""Before parsing: layout, prose and Markdown escaping out, bars and matrices marked.

:func:`clean` rewrites ``\\left``, ``\\,``, ``\\text{...}``, ``\\_``, matrix
environments and the three kinds of bar into the plain math the grammar reads.
"""

from __future__ import annotations

import re

from ._ast import Unsupported

BUILTIN_WORDS = ("log", "ln", "exp", "sqrt")

_SPACES = re.compile(r"\\[,;:! ]|\\(quad|qquad|displaystyle|limits|nolimits)(?![A-Za-z])|~")
_SIZES = re.compile(r"\\(big|Big|bigg|Bigg)[lr]?(?![A-Za-z])")
_TEXTLIKE = re.compile(r"\\(text|mathrm|operatorname|textrm|mbox)\s*\{([^{}]*)\}")
_ONE = re.compile(r"\\mathbb\s*\{?\s*1\s*\}?")
_CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]+")


_MATRIX = re.compile(r"\\begin\{([bBpvV]?matrix|array)\}(\{[^{}]*\})?(.*?)\\end\{\1\}", re.S)


def _matrix(m: re.Match) -> str:
    """A matrix or array literal as ``\\mat{a, b; c, d}``: rows by ``;``, columns by ``,``."""
    rows = [r.strip() for r in m.group(3).split("\\\\")]
    rows = [re.sub(r"\s*&\s*", ", ", r) for r in rows if r]
    return " \\mat{" + " ; ".join(rows) + "} "


def _bars(s: str) -> str:
    r"""Tell the bars apart: paired ``\|`` are norms, a lone ``|`` in a group is a
    condition (``p(y|x)``), paired ``|`` are absolute values.
    """
    s = re.sub(r"\\left\s*\\\||\\right\s*\\\|", r"\\|", s)
    parts = s.split("\\|")
    s = parts[0] + "".join(("\\lVert " if k % 2 == 0 else "\\rVert ") + p
                           for k, p in enumerate(parts[1:]))
    out = list(s)
    frames: list[list[int]] = [[]]
    for k, ch in enumerate(s):
        if ch in "([{" and (k == 0 or s[k - 1] != "\\"):
            frames.append([])
        elif ch in ")]}" and len(frames) > 1:
            _mark(out, frames.pop())
        elif ch == "|":
            frames[-1].append(k)
    for f in frames:
        _mark(out, f)
    return "".join(out)


def _mark(out: list[str], bars: list[int]) -> None:
    if len(bars) % 2 == 1:
        for k in bars:
            out[k] = " \\mid "
        return
    for n, k in enumerate(bars):
        out[k] = " \\lvert " if n % 2 == 0 else " \\rvert "


def unescape_markdown(src: str) -> str:
    r"""Undo the Markdown escaping some notes use: ``\_`` is ``_`` and ``\\\\`` is ``\\``.

    >>> unescape_markdown(r"\sum\_{i=1} a \\\\ b")
    '\\sum_{i=1} a \\\\ b'
    """
    return src.replace("\\\\\\\\", "\\\\").replace("\\_", "_").replace("\\*", "*")


def clean(src: str, *, words: tuple[str, ...] = ()) -> str:
    r"""The plain math of one relation: layout, sizes and prose removed.

    ``words`` are the multi-letter names the notation declares (``softmax``,
    ``Loss``); they become commands so that they are not read as products of
    letters.

    >>> " ".join(clean(r"\left( a \,+\, \text{则 } b \right) + |x|").split())
    '( a + b ) + \\lvert x \\rvert'
    """
    known = set(BUILTIN_WORDS) | set(words)

    def textlike(m: re.Match) -> str:
        body = m.group(2).strip()
        if body in known:
            return f" \\{body} "
        upright = m.group(1) in ("mathrm", "operatorname")
        if re.fullmatch(r"[A-Za-z]", body) and upright:
            return f" {body} "  # an upright letter: x^{\mathrm{T}}
        applied = re.match(r"\s*(\\left\s*)?\(", m.string[m.end():])
        if re.fullmatch(r"[A-Za-z]{2,}", body) and (upright or applied):
            # a function name (\mathrm{sign}(x)): dropping it would check another formula
            raise Unsupported(f"`{body}` is not in the notation (declare it in the notation "
                              "file's words and functions)")
        return " "  # prose: \text{则 }, \text{if }

    s = _MATRIX.sub(_matrix, src)
    s = re.sub(r"\\\\(\[[^\]]*\])?", " ", s)
    s = _TEXTLIKE.sub(textlike, s)
    s = _ONE.sub(r"\\one ", s)
    s = re.sub(r"\\(left|right)\s*\.", " ", s)
    s = re.sub(r"\\(left|right)(?![A-Za-z])", "", s)
    s = _SIZES.sub("", s)
    s = _SPACES.sub(" ", s)
    s = re.sub(r"\\(dfrac|tfrac)(?![A-Za-z])", r"\\frac", s)
    s = re.sub(r"\\ne(?![A-Za-z])", r"\\neq", s)
    s = re.sub(r"\\(nonumber|notag)(?![A-Za-z])", " ", s)
    s = re.sub(r"\\tag\s*\{[^{}]*\}", " ", s)
    s = _CJK.sub(" ", s)
    s = _bars(s.replace("&", " "))
    if known:
        pat = "|".join(sorted((re.escape(w) for w in known), key=len, reverse=True))
        s = re.sub(rf"(?<![\\A-Za-z])({pat})(?![A-Za-z])", r"\\\1 ", s)
    return s

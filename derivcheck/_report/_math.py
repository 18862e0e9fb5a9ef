"""LaTeX → MathML for the reports, with latex2mathml; never raises.

A formula latex2mathml cannot read, or one with a command it does not know
(it would print ``\\foo`` as a letter), is shown as its escaped source in
``<code class="tex">``. Markdown-escaped LaTeX (``\\_``) is unescaped first.
The source is kept as an ``application/x-tex`` annotation.
"""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET

__all__ = ["latex_to_mathml"]

_NS = ' xmlns="http://www.w3.org/1998/Math/MathML"'


def _e(s: str) -> str:
    return html.escape(s, quote=True)


def _code(latex: str) -> str:
    return f'<code class="tex">{_e(latex)}</code>'


def latex_to_mathml(latex: str, *, display: bool = False, large: bool = False) -> str:
    """``latex`` as a ``<math>`` element, or as escaped ``<code>`` if it cannot be converted.

    ``display`` makes a centred block; ``large`` keeps it inline but typesets
    fractions and sums at full size (MathML ``displaystyle``).

    >>> print(latex_to_mathml(r"x^2")[:61])
    <math display="inline"><semantics><mrow><msup><mi>x</mi><mn>2
    >>> latex_to_mathml(r"\\unknowncommand{<b>}")
    '<code class="tex">\\\\unknowncommand{&lt;b&gt;}</code>'
    """
    from latex2mathml.converter import convert

    from .._latex._clean import unescape_markdown

    src = unescape_markdown(latex) if "\\_" in latex else latex
    try:
        out = convert(src, display="block" if display or large else "inline")
        root = ET.fromstring(out.replace(_NS, "", 1))
    except Exception:  # noqa: BLE001 - the converter's errors are many; show the source
        return _code(latex)
    if any((el.text or "").startswith("\\") for el in root.iter()):
        return _code(latex)  # a command latex2mathml does not know
    body = list(root)
    for child in body:
        root.remove(child)
    semantics = ET.SubElement(root, "semantics")
    holder = ET.SubElement(semantics, "mstyle", displaystyle="true") if large else semantics
    holder.extend(body)
    ET.SubElement(semantics, "annotation", encoding="application/x-tex").text = latex
    if large:
        root.set("display", "inline")
    return ET.tostring(root, encoding="unicode")

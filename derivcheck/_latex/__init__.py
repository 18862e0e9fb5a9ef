"""Executable LaTeX: parse the math of a derivation, compile it to JAX, check a document.

The flow is document → relations (``_extract``) → syntax trees (``_parse``,
lark) → rewrites (``_expand``) → JAX functions (``_compile``) → one
:class:`derivcheck.Derivation` per chain (``_doc``) → report (``_render``).
The notation file (``_notation``) says what the symbols mean.
"""

from ._ast import Unsupported as Unsupported
from ._doc import Formula as Formula
from ._doc import check_document as check_document
from ._doc import summary as summary
from ._notation import NotationError as NotationError
from ._notation import load as load_notation
from ._render import RENDERERS as RENDERERS


def render(fmt: str, document: str, formulas, summary_: dict) -> str:
    """The report in ``fmt`` (table, json, markdown or html)."""
    return RENDERERS[fmt](document, formulas, summary_)


__all__ = ["Formula", "NotationError", "RENDERERS", "Unsupported", "check_document",
           "load_notation", "render", "summary"]

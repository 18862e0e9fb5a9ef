"""LaTeX in proof files: lines with only LaTeX, and transcription checks.

A proof file may name its notation file (``NOTATION = "notation/x.toml"``,
relative to the file). Then

- a ``dc.Line(latex)`` without code is compiled from its LaTeX;
- a line with both LaTeX and code gets a claim of its own,
  ``<claim>:transcription[k]``, that the compiled LaTeX equals the code. A
  transcriber who read the line differently from its writer shows up there as
  a refuted claim, whatever the verdict on the line itself.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from .._claims import Claim, equal
from ._ast import Unsupported
from ._doc import _compile_side, _make_fn, _Side
from ._notation import NotationError, load


def compile_latex(latex: str, nt) -> Callable[..., Any]:
    """A function of the inputs computing ``latex`` read with the notation ``nt``.

    Free indices become leading axes, in alphabetical order.

    Raises:
      Unsupported: naming the construct the compiler does not read.
    """
    side = _Side(latex, 0, None)
    _compile_side(side, nt)
    if side.fn is None:
        raise Unsupported(side.reason or "nothing to compile")
    names = sorted(side.free)
    dims = [side.free[k] or nt.indices.get(k) for k in names]
    missing = [k for k, d in zip(names, dims, strict=True) if d is None]
    if missing:
        raise Unsupported(f"free index {missing[0]} with no known range")
    return _make_fn(side.fn, nt, names, dims, None)


def resolve(claims: list[Claim], notation: str | None, *, file: Path,
            shown: str) -> tuple[list[Claim], list[str]]:
    """Compile LaTeX-only lines and add transcription claims; returns (claims, problems).

    A claim whose LaTeX-only line cannot be compiled is left out, and the
    problem says why and what to do.
    """
    problems: list[str] = []
    nt = None
    if notation is not None:
        try:
            nt = load(file.parent / notation)
        except NotationError as exc:
            return [], [f"NOTATION: {exc}"]
    out: list[Claim] = []
    for claim in claims:
        extra, bad = [], None
        for k, line in enumerate(claim.lines, start=1):
            if line.fn is None:
                if nt is None:
                    bad = (f"{claim.id} line {k} has only LaTeX; set NOTATION = '<file>.toml' in "
                           f"{shown} to compile it, or give the line its code (fn=...)")
                    break
                try:
                    line.fn = compile_latex(line.latex, nt)
                except Unsupported as exc:
                    bad = (f"{claim.id} line {k}: its LaTeX cannot be compiled ({exc}); give "
                           "the line its code (fn=...)")
                    break
            elif nt is not None:
                try:
                    compiled = compile_latex(line.latex, nt)
                    _trace(compiled, claim.space)
                except Unsupported:
                    continue   # LaTeX the compiler does not read: no transcription check
                extra.append(equal(
                    compiled, line.fn, space=claim.space,
                    id=f"{claim.id}:transcription[{k}]", latex=line.latex,
                    source=claim.source,
                    note=f"transcription check: the LaTeX of {claim.id} line {k}, compiled "
                         "with the file's notation, against the line's code"))
        if bad is not None:
            problems.append(bad)
            continue
        out.append(claim)
        out.extend(extra)
    return out, problems


def _trace(fn: Callable[..., Any], space) -> None:
    """Trace ``fn`` once on an input of ``space`` (raises Unsupported for unread notation)."""
    import warnings

    import jax

    batch = space.draw(space.bucket(1), seed=0, size=1)
    sample = {k: jax.ShapeDtypeStruct(v.shape[1:], v.dtype) for k, v in batch.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            jax.eval_shape(lambda a: fn(**a), sample)
        except Unsupported:
            raise
        except Exception as exc:  # noqa: BLE001 - not a transcription we can check
            raise Unsupported(f"cannot be traced ({type(exc).__name__})") from None

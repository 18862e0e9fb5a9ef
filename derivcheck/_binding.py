"""Binding user functions to a claim's inputs: by name or by position, then packed.

:func:`bind` wraps a reference or a line to take the inputs dict (the rules
are in :mod:`derivcheck._calls`); :func:`bind_line` also packs a claimed
value the way the claim's target lays out a derivative over several inputs
(:mod:`derivcheck._pack`). Both raise :class:`~derivcheck.ClaimError` with
one line saying what to change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import _calls
from ._claims import Claim, ClaimError
from ._space import Space

__all__ = ["bind", "bind_line"]


def bind(fn: Callable[..., Any], space: Space, *, where: str) -> Callable[[dict], Any]:
    """Wrap ``fn`` to take the inputs dict: by name, or positionally in the space's order.

    See :mod:`derivcheck._calls` for the rules.

    Raises:
      ClaimError: if ``fn`` matches the inputs neither by name nor by position, or
        is missing (a line with only LaTeX outside a proof file with a NOTATION).
    """
    if fn is None:
        raise ClaimError(f"{where} has only LaTeX; LaTeX-only lines are compiled with the "
                         "NOTATION of a proof file (derivcheck check, pytest); give it fn=...")
    try:
        return _calls.bind(fn, space.names, where=where)
    except _calls.CallError as exc:
        raise ClaimError(str(exc)) from None


def bind_line(fn: Callable[..., Any], claim: Claim, *, where: str) -> Callable[[dict], Any]:
    """:func:`bind`, then the claimed value packed as the claim's target lays it out.

    Raises (when called):
      ClaimError: a claimed tuple whose blocks do not match ``wrt``.
    """
    f = bind(fn, claim.space, where=where)
    packing = getattr(claim.target, "packing", None)
    if packing is None:
        return f
    from ._pack import PackError

    def line(inputs):
        try:
            return packing.pack_claimed(f(inputs), inputs)
        except PackError as exc:
            raise ClaimError(str(exc)) from None
    return line

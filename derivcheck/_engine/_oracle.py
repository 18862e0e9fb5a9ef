"""THE ORACLE SEAM: where the truth comes from.

Every non-property claim compares its lines with a *truth*. An :class:`Oracle`
computes that truth for one input dict, inside the fused check, so it must be
traceable by JAX (the engine wraps it in ``jit(vmap(...))``).

Autodiff (:class:`AutodiffOracle`) is the first implementation: it asks the
claim's target (:mod:`derivcheck._targets`) how JAX computes its truth.

To add an oracle (a finite-difference one, say):

1. write a class here with a ``name`` (it keys the compiled-check cache, so
   two oracles for one claim never share a compiled function) and a
   ``truth(inputs) -> array`` method, traceable by JAX;
2. build it for a claim the way :func:`autodiff` does (return None for a
   property, which has no truth);
3. pass it to :func:`derivcheck._engine.run_claim` as ``oracle=``; nothing
   else in the engine changes: compile, search, judge and verdict assembly
   only ever call ``oracle.truth``.
"""

from __future__ import annotations

from typing import Any, Protocol

from .._claims import Claim, bind

__all__ = ["AutodiffOracle", "Oracle", "autodiff"]


class Oracle(Protocol):
    """Where the truth comes from: ``truth(inputs)`` for one input dict."""

    name: str

    def truth(self, inputs: dict[str, Any]) -> Any:
        """The true value at one input (traceable by JAX)."""


class AutodiffOracle:
    """The truth by JAX autodiff of the claim's target (``jax.grad``, ``jax.jacobian``,
    or the target's value itself)."""

    name = "autodiff"

    def __init__(self, claim: Claim) -> None:
        f = bind(claim.target.fn, claim.space, where=f"{claim.qualname} (reference)")
        self.truth = claim.target.autodiff(f)


def autodiff(claim: Claim) -> Oracle | None:
    """The autodiff oracle of ``claim``, or None for a property (no truth)."""
    return None if claim.target.is_property else AutodiffOracle(claim)

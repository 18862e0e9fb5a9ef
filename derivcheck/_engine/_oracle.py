"""THE ORACLE SEAM: where the truth comes from.

Two oracles: autodiff (traced into the fused check) and finite differences
(for a reference JAX cannot trace; checked one input at a time by
:class:`~._fd_check.FiniteDifferenceChecker`).

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

from .._binding import bind
from .._claims import Claim

__all__ = ["AutodiffOracle", "FiniteDifferenceOracle", "Oracle", "autodiff", "runs_on_numpy"]


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
        self.reference = f  # the bound reference itself (:mod:`._ties` reruns its program)
        self.truth = claim.target.autodiff(f)


def autodiff(claim: Claim) -> Oracle | None:
    """The autodiff oracle of ``claim``, or None for a property (no truth)."""
    return None if claim.target.is_property else AutodiffOracle(claim)


class FiniteDifferenceOracle:
    """The truth by finite differences of a reference JAX cannot trace (NumPy, SciPy,
    PyTorch through ``.numpy()``, any Python), run on NumPy arrays.

    It has no traceable ``truth``: :class:`~._fd_check.FiniteDifferenceChecker`
    asks :meth:`probe` for the truth along random directions at each input,
    with its error estimate (:mod:`derivcheck._fd`). ``eps``, the precision of
    the reference's values, is measured on the first inputs (a function that
    computes in float32 inside shows float32's rounding).
    """

    name = "finite differences"
    truth = None

    def __init__(self, claim: Claim) -> None:
        self.target = claim.target
        self.f = bind(claim.target.fn, claim.space, where=f"{claim.qualname} (reference)")
        self.eps: float | None = None

    def precision_at(self, inp: dict[str, Any], rng: Any, *, fit: bool = True,
                     extended: bool = False) -> float:
        """The precision the reference's values show near ``inp``, the largest over its
        ``wrt`` inputs: ``fit``, by :func:`derivcheck._fd_noise.precision`; ``extended``,
        against its own values in extended precision
        (:func:`derivcheck._fd_noise.extended_gap`)."""
        from .. import _fd, _fd_noise

        eps = 0.0
        for name in self.target.wrt_names:
            w = inp[name]

            def f_w(z, name=name):
                return self.f({**inp, name: z})

            v = _fd.random_direction(w.shape, rng)
            if fit:
                eps = max(eps, _fd_noise.precision(f_w, w, v),
                          _fd_noise.precision(f_w, w, -v))
            if extended:
                eps = max(eps, _fd_noise.extended_gap(f_w, w, v))
        return eps

    def measure(self, inp: dict[str, Any], rng: Any) -> None:
        """Raise :attr:`eps` to the precision the reference shows near ``inp``."""
        eps = self.precision_at(inp, rng)
        self.eps = eps if self.eps is None else max(self.eps, eps)

    def probe(self, inp: dict[str, Any], part: int | None, rng: Any, *,
              eps: float | None = None) -> Any:
        """The truth at ``inp`` along random directions (a :class:`~derivcheck._targets.Probe`);
        ``eps``: the precision of the reference's values there, if known to be coarser
        than :attr:`eps`."""
        return self.target.finite_differences(self.f, inp, part=part, rng=rng,
                                              eps=self.eps if eps is None else eps)


def runs_on_numpy(claim: Claim, inp: dict[str, Any]) -> str | None:
    """Why the claim's reference fails on NumPy arrays at ``inp``, or None if it runs."""
    import numpy as np

    f = bind(claim.target.fn, claim.space, where=f"{claim.qualname} (reference)")
    try:
        with np.errstate(all="ignore"):
            f(inp)
    except Exception as exc:  # noqa: BLE001 - any failure is the user's to see
        text = str(exc).strip().splitlines()
        return f"{type(exc).__name__}: {text[0] if text else ''}".strip()
    return None

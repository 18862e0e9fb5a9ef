"""Claim kinds and truth kinds: the only place that knows what each kind means.

A claim has a *kind* (:class:`ClaimKind`: gradient, jacobian, equality,
property, derivation) and a *target*, the truth its lines are compared with.
Targets are objects: each knows whether it has a truth at all (a property has
none: its line is a predicate) and how autodiff computes that truth. The
engine asks them; it never compares kind strings.

No JAX at import: :meth:`Target.autodiff` imports it when a check runs.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable
from typing import Any, ClassVar

__all__ = ["ClaimKind", "Gradient", "Jacobian", "Property", "Target", "Value"]


class ClaimKind(str, enum.Enum):
    """What a claim states. A ``str`` enum, so reports and JSON see ``"gradient"`` etc.

    >>> ClaimKind.DERIVATION.chained, ClaimKind.GRADIENT == "gradient"
    (True, True)
    """

    GRADIENT = "gradient"
    JACOBIAN = "jacobian"
    EQUALITY = "equality"
    PROPERTY = "property"
    DERIVATION = "derivation"
    #: Independent lines against one truth (the mutation audit's bundles of mutants).
    AUDIT = "audit"

    __str__ = str.__str__
    __format__ = str.__format__
    __repr__ = str.__repr__

    @property
    def chained(self) -> bool:
        """Whether each line is also compared with the line before it (a derivation)."""
        return self is ClaimKind.DERIVATION

    @property
    def is_property(self) -> bool:
        """Whether the claim is a predicate that must hold (``dc.holds``), with no truth."""
        return self is ClaimKind.PROPERTY


Fn = Callable[[dict], Any]


@dataclasses.dataclass(frozen=True)
class Target:
    """The truth of a claim: a function of the inputs and what is taken of it.

    Attributes:
      fn: the user's function (None for a property).
      wrt: the input differentiated with respect to, if any, or a tuple of
        inputs differentiated together (see :mod:`derivcheck._pack`).
      flat: the claimed derivative is one packed array, not a tuple of blocks.
    """

    fn: Callable[..., Any] | None
    wrt: str | tuple[str, ...] | None = None
    flat: bool = False

    #: The kind of a one-line claim with this target.
    claim_kind = ClaimKind.EQUALITY
    #: A property has no truth: its line is a predicate judged on its own.
    is_property = False
    #: The derivative taken ("grad", "jacobian", "hessian"), None for a value.
    order: ClassVar[str | None] = None

    @property
    def wrts(self) -> tuple[str, ...]:
        """The inputs differentiated with respect to, as a tuple (empty for none)."""
        if self.wrt is None:
            return ()
        return (self.wrt,) if isinstance(self.wrt, str) else tuple(self.wrt)

    @property
    def packing(self):
        """How a derivative over several inputs (or ``flat=True``) is packed, else None."""
        if self.order is None or (isinstance(self.wrt, str) and not self.flat):
            return None
        from ._pack import Packing

        return Packing(self.order, self.wrts, flat=self.flat)

    def autodiff(self, f: Fn) -> Fn:
        """The truth at one input, computed by JAX from ``f`` (``fn`` bound to an inputs dict)."""
        raise NotImplementedError


class Value(Target):
    """The truth is ``fn`` itself (an identity, or a derivation rewriting a value)."""

    def autodiff(self, f: Fn) -> Fn:
        import jax.numpy as jnp

        return lambda inp: jnp.asarray(f(inp))


def _of_wrt(f: Fn, inp: dict, wrt: str) -> Fn:
    return lambda v: f({**inp, wrt: v})


class Gradient(Target):
    """The truth is ``jax.grad(fn)`` with respect to ``wrt``."""

    claim_kind = ClaimKind.GRADIENT
    order = "grad"

    def autodiff(self, f: Fn) -> Fn:
        import jax

        if self.packing is not None:
            return self.packing.truth(f)
        return lambda inp: jax.grad(_of_wrt(f, inp, self.wrt))(inp[self.wrt])


class Jacobian(Target):
    """The truth is ``jax.jacobian(fn)`` with respect to ``wrt`` (``out.shape + wrt.shape``)."""

    claim_kind = ClaimKind.JACOBIAN
    order = "jacobian"

    def autodiff(self, f: Fn) -> Fn:
        import jax

        if self.packing is not None:
            return self.packing.truth(f)
        return lambda inp: jax.jacobian(_of_wrt(f, inp, self.wrt))(inp[self.wrt])


class Property(Target):
    """No truth: the claim's line is a predicate that must hold."""

    claim_kind = ClaimKind.PROPERTY
    is_property = True


_BY_MODE = {"grad": Gradient, "jacobian": Jacobian, "value": Value, "property": Property}


def _Target(mode: str, fn: Callable[..., Any] | None, wrt: str | None = None) -> Target:
    """The target of ``mode`` ("grad", "jacobian", "value", "property"): the older spelling.

    >>> _Target("value", abs).claim_kind
    'equality'
    """
    return _BY_MODE[mode](fn, wrt)

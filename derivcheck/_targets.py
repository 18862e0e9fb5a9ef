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
from typing import Any

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
      wrt: the input differentiated with respect to, if any.
    """

    fn: Callable[..., Any] | None
    wrt: str | None = None

    #: The kind of a one-line claim with this target.
    claim_kind = ClaimKind.EQUALITY
    #: A property has no truth: its line is a predicate judged on its own.
    is_property = False

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

    def autodiff(self, f: Fn) -> Fn:
        import jax

        return lambda inp: jax.grad(_of_wrt(f, inp, self.wrt))(inp[self.wrt])


class Jacobian(Target):
    """The truth is ``jax.jacobian(fn)`` with respect to ``wrt`` (``out.shape + wrt.shape``)."""

    claim_kind = ClaimKind.JACOBIAN

    def autodiff(self, f: Fn) -> Fn:
        import jax

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

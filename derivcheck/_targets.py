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

import numpy as np

from . import _fd, _fd_second

__all__ = ["HVP", "VJP", "ClaimKind", "Gradient", "Hessian", "Jacobian", "Probe", "Property",
           "Target", "Value"]


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
    #: A backward pass: one line per input it returns a gradient for.
    VJP = "vjp"
    HESSIAN = "hessian"
    #: A Hessian-vector product.
    HVP = "hvp"

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
    #: Whether the truth has one part per line (a VJP: one gradient per input).
    parts = False

    @property
    def wrt_names(self) -> tuple[str, ...]:
        """The inputs differentiated with respect to (empty for none)."""
        if self.wrt is None:
            return ()
        return (self.wrt,) if isinstance(self.wrt, str) else tuple(self.wrt)

    @property
    def packing(self):
        """How a derivative over several inputs (or ``flat=True``) is packed, else None."""
        if self.order is None or (isinstance(self.wrt, str) and not self.flat):
            return None
        from ._pack import Packing

        return Packing(self.order, self.wrt_names, flat=self.flat)

    @property
    def extra_inputs(self) -> tuple[str, ...]:
        """Other inputs the target names (a cotangent, a vector)."""
        return ()

    def autodiff(self, f: Fn) -> Fn:
        """The truth at one input, computed by JAX from ``f`` (``fn`` bound to an inputs dict)."""
        raise NotImplementedError

    def fd_wrt(self) -> str:
        """The one input finite differences move (they take neither tuples nor ``flat``)."""
        if self.flat:
            raise ValueError("flat=True needs a reference in JAX; finite differences give "
                             "the derivative in the input's own shape")
        return _single(self.wrt)

    def finite_differences(self, f: Fn, inp: dict, *, part: int | None,
                           rng: np.random.Generator, eps: float | None) -> Probe:
        """The truth at one input seen along random directions, by finite differences.

        ``f`` is the reference bound to an inputs dict, run on NumPy arrays.
        """
        raise NotImplementedError


class Value(Target):
    """The truth is ``fn`` itself (an identity, or a derivation rewriting a value)."""

    def autodiff(self, f: Fn) -> Fn:
        import jax.numpy as jnp

        return lambda inp: jnp.asarray(f(inp))

    def finite_differences(self, f, inp, *, part, rng, eps):
        t = np.asarray(f(inp), dtype=np.float64)  # nothing to differentiate: exact
        return Probe(t, t, np.zeros_like(t), 1.0, lambda g: g, t.shape)


def _of_wrt(f: Fn, inp: dict, wrt: str) -> Fn:
    return lambda v: f({**inp, wrt: v})


class NotByFiniteDifferences(ValueError):
    """A claim derivcheck cannot check by finite differences (its limit, not the user's
    code): the message says what to do instead."""


def _single(wrt) -> str:
    """``wrt`` if it names one input; finite differences take one at a time."""
    if not isinstance(wrt, str):
        raise NotByFiniteDifferences(
            f"derivcheck's finite differences take one wrt input at a time, not {wrt!r} "
            "(the reference is NumPy code JAX cannot trace): check each input in a claim "
            "of its own, or write the reference in JAX")
    return wrt


def _along(f: Fn, inp: dict, wrt: str, rng: np.random.Generator, eps: float | None):
    """Input ``wrt``, a random direction ``v`` and the derivative of ``f`` along it."""
    wrt = _single(wrt)
    w = np.asarray(inp[wrt], dtype=np.float64)
    v = _fd.random_direction(w.shape, rng)
    return w, v, _fd.directional(_of_wrt(f, inp, wrt), w, v, eps=eps)


class Gradient(Target):
    """The truth is ``jax.grad(fn)`` with respect to ``wrt``."""

    claim_kind = ClaimKind.GRADIENT
    order = "grad"

    def autodiff(self, f: Fn) -> Fn:
        import jax

        if self.packing is not None:
            return self.packing.truth(f)
        return lambda inp: jax.grad(_of_wrt(f, inp, self.wrt))(inp[self.wrt])

    def finite_differences(self, f, inp, *, part, rng, eps):
        w, v, d = _along(f, inp, self.fd_wrt(), rng, eps)
        if d.value.shape != ():
            raise ValueError(f"the reference returns shape {d.value.shape}, not a scalar; "
                             "a gradient is taken of a scalar function (use dc.jacobian)")
        return Probe.of(d, float(np.sum(np.abs(v))), lambda g: np.sum(g * v), w.shape)


class Jacobian(Target):
    """The truth is ``jax.jacobian(fn)`` with respect to ``wrt`` (``out.shape + wrt.shape``)."""

    claim_kind = ClaimKind.JACOBIAN
    order = "jacobian"

    def autodiff(self, f: Fn) -> Fn:
        import jax

        if self.packing is not None:
            return self.packing.truth(f)
        return lambda inp: jax.jacobian(_of_wrt(f, inp, self.wrt))(inp[self.wrt])

    def finite_differences(self, f, inp, *, part, rng, eps):
        w, v, d = _along(f, inp, self.fd_wrt(), rng, eps)
        return Probe.of(d, float(np.sum(np.abs(v))),
                        lambda g: np.tensordot(g, v, axes=w.ndim), d.value.shape + w.shape)


@dataclasses.dataclass(frozen=True)
class VJP(Target):
    """The truth is ``jax.vjp`` of ``fn`` at the cotangent input, one part per ``wrt`` name."""

    cotangent: str = "dout"

    claim_kind = ClaimKind.VJP
    parts = True

    @property
    def extra_inputs(self) -> tuple[str, ...]:
        return (self.cotangent,)

    def autodiff(self, f: Fn) -> Fn:
        import jax

        names = self.wrt_names

        def truth(inp):
            def forward(*ws):
                return f({**inp, **dict(zip(names, ws, strict=True))})

            _, pull = jax.vjp(forward, *(inp[n] for n in names))
            return tuple(pull(inp[self.cotangent]))

        return truth

    def finite_differences(self, f, inp, *, part, rng, eps):
        w, v, d = _along(f, inp, self.wrt_names[part], rng, eps)
        dout = np.asarray(inp[self.cotangent], dtype=np.float64)
        if dout.shape != d.value.shape:
            raise ValueError(f"the cotangent {self.cotangent!r} has shape {dout.shape}, but "
                             f"the forward output has shape {d.value.shape}; declare it with "
                             "the output's shape")
        # <dout, J v>: smooth entries add exactly, kinked ones add their intervals.
        lo_i = np.where(d.kink, np.minimum(dout * d.left, dout * d.right), dout * d.value)
        hi_i = np.where(d.kink, np.maximum(dout * d.left, dout * d.right), dout * d.value)
        err = np.abs(dout) * np.where(d.kink, d.side_error, d.error)
        return Probe(np.sum(lo_i), np.sum(hi_i), np.sum(err), float(np.sum(np.abs(v))),
                     lambda g: np.sum(g * v), w.shape)


class Hessian(Target):
    """The truth is ``jax.hessian(fn)`` with respect to ``wrt`` (``wrt.shape * 2``)."""

    claim_kind = ClaimKind.HESSIAN
    order = "hessian"

    def autodiff(self, f: Fn) -> Fn:
        import jax

        if self.packing is not None:
            return self.packing.truth(f)
        return lambda inp: jax.hessian(_of_wrt(f, inp, self.wrt))(inp[self.wrt])

    def finite_differences(self, f, inp, *, part, rng, eps):
        w = np.asarray(inp[self.fd_wrt()], dtype=np.float64)
        u, v = _fd.random_direction(w.shape, rng), _fd.random_direction(w.shape, rng)
        e = _fd_second.second_directional(_of_wrt(f, inp, self.wrt), w, u, v, eps=eps)
        n = w.size
        return Probe(e.value, e.value, e.error, float(np.sum(np.abs(u)) * np.sum(np.abs(v))),
                     lambda h: u.ravel() @ np.reshape(h, (n, n)) @ v.ravel(), w.shape * 2)


@dataclasses.dataclass(frozen=True)
class HVP(Target):
    """The truth is the Hessian of ``fn`` over ``wrt`` times the input ``vector``."""

    vector: str = "v"

    claim_kind = ClaimKind.HVP

    @property
    def extra_inputs(self) -> tuple[str, ...]:
        return (self.vector,)

    def autodiff(self, f: Fn) -> Fn:
        import jax

        def truth(inp):
            g = jax.grad(_of_wrt(f, inp, self.wrt))
            return jax.jvp(g, (inp[self.wrt],), (inp[self.vector],))[1]

        return truth

    def finite_differences(self, f, inp, *, part, rng, eps):
        w = np.asarray(inp[self.wrt], dtype=np.float64)
        u = _fd.random_direction(w.shape, rng)
        vec = np.asarray(inp[self.vector], dtype=np.float64)
        e = _fd_second.second_directional(_of_wrt(f, inp, self.wrt), w, u, vec, eps=eps)
        return Probe(e.value, e.value, e.error, float(np.sum(np.abs(u))),
                     lambda hv: np.sum(hv * u), w.shape)


@dataclasses.dataclass(frozen=True)
class Probe:
    """The truth at one input as finite differences see it: a projection along random
    directions, known to lie in ``[lo − error, hi + error]`` (``lo == hi`` where
    the reference is smooth; the one-sided derivatives at a kink).

    Attributes:
      lo, hi, error: the projected truth (arrays of one shape).
      weight: the sum of the directions' absolute entries, which scales the
        tolerance's floor as the projection scales a per-entry error.
      project: takes a claimed value to the same projection.
      shape: the shape a claimed value must have.
    """

    lo: Any
    hi: Any
    error: Any
    weight: float
    project: Callable[[Any], Any]
    shape: tuple[int, ...]

    @classmethod
    def of(cls, d: Any, weight: float, project: Callable[[Any], Any],
           shape: tuple[int, ...]) -> Probe:
        """From a :class:`derivcheck._fd.Directional`."""
        lo = np.where(d.kink, np.minimum(d.left, d.right), d.value)
        hi = np.where(d.kink, np.maximum(d.left, d.right), d.value)
        return cls(lo, hi, np.where(d.kink, d.side_error, d.error), weight, project, shape)


class Property(Target):
    """No truth: the claim's line is a predicate that must hold."""

    claim_kind = ClaimKind.PROPERTY
    is_property = True


_BY_MODE = {"grad": Gradient, "jacobian": Jacobian, "value": Value, "property": Property,
            "hessian": Hessian}


def _Target(mode: str, fn: Callable[..., Any] | None, wrt: str | None = None) -> Target:
    """The target of ``mode`` ("grad", "jacobian", "value", "property"): the older spelling.

    >>> _Target("value", abs).claim_kind
    'equality'
    """
    return _BY_MODE[mode](fn, wrt)

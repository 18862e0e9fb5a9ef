"""Checking now: the eager front door of the engine, and assertion helpers.

These import the engine (and so JAX) only when called, which keeps
``import derivcheck`` light.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import _claims
from ._claims import Claim
from ._profiles import Profile, get_profile
from ._space import Space
from ._verdict import Result

__all__ = [
    "assert_equal",
    "assert_gradient",
    "assert_jacobian",
    "check",
    "check_equal",
    "check_gradient",
    "check_jacobian",
]


def check(claim: Claim, *, profile: str | Profile | None = None, seed: int = 0,
          max_examples: int | None = None) -> Result:
    """Check a claim against autodiff and return its :class:`Result`.

    Args:
      claim: built by :func:`gradient`, :func:`jacobian`, :func:`equal`,
        :func:`holds` or :class:`Derivation`.
      profile: "quick", "default" or "thorough" (default: ``DERIVCHECK_PROFILE``
        or "default").
      seed: the search seed; the same seed reproduces the same run.
      max_examples: overrides the profile's number of Hypothesis examples.

    >>> import derivcheck as dc
    >>> c = dc.gradient(lambda x: (x ** 2).sum(), lambda x: 2 * x,
    ...                 space=dc.Space(x=dc.real("D")), wrt="x", id="square")
    >>> dc.check(c, profile="quick").status
    'verified'
    """
    from ._engine import run_claim

    prof = get_profile(profile, max_examples=max_examples)
    return run_claim(claim, profile=prof, seed=seed)


def check_gradient(f: Callable[..., Any], grad: Callable[..., Any], *, space: Space, wrt: str,
                   profile: str | Profile | None = None, seed: int = 0,
                   max_examples: int | None = None, id: str = "gradient") -> Result:
    """Check that ``grad(**inputs)`` is ``∂f/∂wrt``.

    >>> import derivcheck as dc, jax.numpy as jnp
    >>> space = dc.Space(w=dc.real("D"), x=dc.real("D"))
    >>> r = dc.check_gradient(lambda w, x: jnp.dot(w, x) ** 2,
    ...                       lambda w, x: -2 * jnp.dot(w, x) * x,
    ...                       space=space, wrt="w", profile="quick")
    >>> r.status, r.diagnosis
    ('refuted', 'looks like a sign error: claimed = -1 × autodiff')
    """
    claim = _claims.gradient(f, grad, space=space, wrt=wrt, id=id)
    return check(claim, profile=profile, seed=seed, max_examples=max_examples)


def check_jacobian(fn: Callable[..., Any], jac: Callable[..., Any], *, space: Space, wrt: str,
                   profile: str | Profile | None = None, seed: int = 0,
                   max_examples: int | None = None, id: str = "jacobian") -> Result:
    """Check that ``jac(**inputs)`` is the Jacobian of ``fn`` (``out.shape + wrt.shape``).

    >>> import derivcheck as dc, jax, jax.numpy as jnp
    >>> r = dc.check_jacobian(jax.nn.softmax,
    ...     lambda z: jnp.diag(jax.nn.softmax(z)) - jnp.outer(jax.nn.softmax(z), jax.nn.softmax(z)),
    ...     space=dc.Space(z=dc.real("K")), wrt="z", profile="quick")
    >>> r.status
    'verified'
    """
    claim = _claims.jacobian(fn, jac, space=space, wrt=wrt, id=id)
    return check(claim, profile=profile, seed=seed, max_examples=max_examples)


def check_equal(lhs: Callable[..., Any], rhs: Callable[..., Any], *, space: Space,
                profile: str | Profile | None = None, seed: int = 0,
                max_examples: int | None = None, id: str = "equality") -> Result:
    """Check the identity ``lhs(**inputs) == rhs(**inputs)``.

    >>> import derivcheck as dc, jax, jax.numpy as jnp
    >>> r = dc.check_equal(lambda z, psi: jax.nn.softmax(z - psi), lambda z: jax.nn.softmax(z),
    ...                    space=dc.Space(z=dc.real("K"), psi=dc.real()), profile="quick")
    >>> r.status
    'verified'
    """
    claim = _claims.equal(lhs, rhs, space=space, id=id)
    return check(claim, profile=profile, seed=seed, max_examples=max_examples)


def _assert(result: Result) -> Result:
    if result.status != "verified":
        detail = str(result)
        if result.counterexample:
            detail += "\n" + result.reproduce()
        raise AssertionError(detail)
    return result


def assert_gradient(f, grad, *, space: Space, wrt: str, **options: Any) -> Result:
    """Like :func:`check_gradient`, but raise AssertionError unless verified.

    >>> import derivcheck as dc
    >>> _ = dc.assert_gradient(lambda x: (x ** 3).sum(), lambda x: 3 * x ** 2,
    ...                        space=dc.Space(x=dc.real("D")), wrt="x", profile="quick")
    """
    return _assert(check_gradient(f, grad, space=space, wrt=wrt, **options))


def assert_jacobian(fn, jac, *, space: Space, wrt: str, **options: Any) -> Result:
    """Like :func:`check_jacobian`, but raise AssertionError unless verified.

    >>> import derivcheck as dc, jax.numpy as jnp
    >>> _ = dc.assert_jacobian(lambda z: 2 * z, lambda z: 2 * jnp.eye(z.shape[0]),
    ...                        space=dc.Space(z=dc.real("K")), wrt="z", profile="quick")
    """
    return _assert(check_jacobian(fn, jac, space=space, wrt=wrt, **options))


def assert_equal(lhs, rhs, *, space: Space, **options: Any) -> Result:
    """Like :func:`check_equal`, but raise AssertionError unless verified.

    >>> import derivcheck as dc
    >>> _ = dc.assert_equal(lambda a: a + a, lambda a: 2 * a,
    ...                     space=dc.Space(a=dc.real("D")), profile="quick")
    """
    return _assert(check_equal(lhs, rhs, space=space, **options))

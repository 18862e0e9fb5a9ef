"""Checking now: one spelling per act.

``check_*`` returns a :class:`Result`; ``assert_*`` raises ``AssertionError``
unless the claim is verified. :func:`check` and :func:`assert_claim` take any
built claim (:func:`gradient`, :func:`jacobian`, :func:`equal`, :func:`holds`,
:class:`Derivation`).

Every function here leaves the user's JAX configuration as it found it (the
engine turns on float64 only inside its own work), and works inside the
user's own Hypothesis test: there the engine does not nest ``@given`` but
drives the same seeded batches with a plain loop.

These import the engine (and so JAX) only when called, which keeps
``import derivcheck`` light.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import _claims
from ._claims import Claim, Wrt
from ._profiles import Profile, get_profile
from ._space import Space
from ._verdict import Result

__all__ = [
    "assert_claim",
    "assert_equal",
    "assert_gradient",
    "assert_holds",
    "assert_jacobian",
    "check",
    "check_equal",
    "check_gradient",
    "check_holds",
    "check_jacobian",
]

Fn = Callable[..., Any]
ProfileArg = str | Profile | None


def check(claim: Claim, *, profile: ProfileArg = None, seed: int = 0,
          max_examples: int | None = None, dtype: str = "float64") -> Result:
    """Check a built claim against autodiff and return its :class:`Result`.

    Works inside your own Hypothesis test too (``@given``): there the seeded
    batches run in a plain loop instead of a nested ``@given``.

    Args:
      claim: built by :func:`gradient`, :func:`jacobian`, :func:`equal`,
        :func:`holds` or :class:`Derivation`.
      profile: "quick", "default" or "thorough" (default: ``DERIVCHECK_PROFILE``
        or "default").
      seed: the search seed; the same seed reproduces the same run.
      max_examples: overrides the profile's number of Hypothesis examples.
      dtype: "float64", or "float32" for code that only runs in float32: the
        claimed side then gets float32 inputs and the float32 tolerance applies.

    Returns:
      The :class:`Result`; its ``status`` is "verified", "refuted", "unstable"
      or "error".

    >>> import derivcheck as dc
    >>> c = dc.gradient(lambda x: (x ** 2).sum(), lambda x: 2 * x,
    ...                 space=dc.Space(x=dc.real("D")), wrt="x", id="square")
    >>> dc.check(c, profile="quick").status
    'verified'
    """
    from ._engine import run_claim

    if not isinstance(claim, Claim):
        raise TypeError(f"dc.check takes a claim built by dc.gradient, dc.jacobian, dc.equal, "
                        f"dc.holds or dc.Derivation, got {type(claim).__name__}")
    prof = get_profile(profile, max_examples=max_examples, dtype=dtype)
    return run_claim(claim, profile=prof, seed=seed)


def assert_claim(claim: Claim, *, profile: ProfileArg = None, seed: int = 0,
                 max_examples: int | None = None, dtype: str = "float64") -> Result:
    """Like :func:`check`, but raise ``AssertionError`` unless the claim is verified.

    The message is the verdict with its counterexample and how to reproduce it.

    Raises:
      AssertionError: if the claim is refuted, unstable or an error.

    >>> import derivcheck as dc
    >>> d = dc.Derivation(target=dc.grad_of(lambda x: (x ** 2).sum(), wrt="x"),
    ...                   lines=[dc.Line("2x", lambda x: 2 * x)], space=dc.Space(x=dc.real("D")))
    >>> dc.assert_claim(d, profile="quick").status
    'verified'
    """
    result = check(claim, profile=profile, seed=seed, max_examples=max_examples, dtype=dtype)
    if result.status != "verified":
        detail = str(result)
        if result.counterexample:
            detail += "\n" + result.reproduce()
        raise AssertionError(detail)
    return result


def check_gradient(f: Fn, grad: Fn | None = None, *, space: Space, wrt: Wrt,
                   flat: bool = False, rtol: float | None = None, profile: ProfileArg = None,
                   seed: int = 0, max_examples: int | None = None, dtype: str = "float64",
                   id: str = "gradient", subgradient: bool = True) -> Result:
    """Check that ``grad(**inputs)`` is ``∂f/∂wrt``. Options as for :func:`check`.

    Without ``grad``, ``f`` returns ``(loss, gradient)``. ``f`` and ``grad`` may
    be NumPy code: a reference JAX cannot trace is differentiated by finite
    differences (``Result.oracle`` says which). They take the inputs by name,
    or all of them positionally in the space's order. ``wrt`` may be a tuple of
    inputs (``grad`` returns one block per input, or one packed vector with
    ``flat=True``); ``rtol`` is the claim's own tolerance (see
    :func:`derivcheck.gradient`).

    Where ``f`` is not differentiable (a kink: a tie in a max, ``|x|`` at 0),
    any value between its one-sided derivatives is accepted; pass
    ``subgradient=False`` to demand exact agreement with autodiff there too.

    >>> import derivcheck as dc, jax.numpy as jnp
    >>> space = dc.Space(w=dc.real("D"), x=dc.real("D"))
    >>> r = dc.check_gradient(lambda w, x: jnp.dot(w, x) ** 2,
    ...                       lambda w, x: -2 * jnp.dot(w, x) * x,
    ...                       space=space, wrt="w", profile="quick")
    >>> r.status, r.diagnosis
    ('refuted', 'looks like a sign error: claimed = -1 × autodiff')
    """
    claim = _claims.gradient(f, grad, space=space, wrt=wrt, flat=flat, rtol=rtol, id=id,
                             subgradient=subgradient)
    return check(claim, profile=profile, seed=seed, max_examples=max_examples, dtype=dtype)


def check_jacobian(fn: Fn, jac: Fn, *, space: Space, wrt: Wrt, flat: bool = False,
                   rtol: float | None = None, profile: ProfileArg = None,
                   seed: int = 0, max_examples: int | None = None, dtype: str = "float64",
                   id: str = "jacobian", subgradient: bool = True) -> Result:
    """Check that ``jac(**inputs)`` is the Jacobian of ``fn`` (``out.shape + wrt.shape``).

    ``wrt``, ``flat`` and ``rtol`` as for :func:`check_gradient`; ``fn`` may be
    ``jax.grad(loglike)`` (a Hessian as the Jacobian of the gradient).

    >>> import derivcheck as dc, jax, jax.numpy as jnp
    >>> r = dc.check_jacobian(jax.nn.softmax,
    ...     lambda z: jnp.diag(jax.nn.softmax(z)) - jnp.outer(jax.nn.softmax(z), jax.nn.softmax(z)),
    ...     space=dc.Space(z=dc.real("K")), wrt="z", profile="quick")
    >>> r.status
    'verified'
    """
    claim = _claims.jacobian(fn, jac, space=space, wrt=wrt, flat=flat, rtol=rtol, id=id,
                             subgradient=subgradient)
    return check(claim, profile=profile, seed=seed, max_examples=max_examples, dtype=dtype)


def check_equal(lhs: Fn, rhs: Fn, *, space: Space, profile: ProfileArg = None, seed: int = 0,
                max_examples: int | None = None,
                dtype: str = "float64", id: str = "equality") -> Result:
    """Check the identity ``lhs(**inputs) == rhs(**inputs)``.

    >>> import derivcheck as dc, jax, jax.numpy as jnp
    >>> r = dc.check_equal(lambda z, psi: jax.nn.softmax(z - psi), lambda z: jax.nn.softmax(z),
    ...                    space=dc.Space(z=dc.real("K"), psi=dc.real()), profile="quick")
    >>> r.status
    'verified'
    """
    claim = _claims.equal(lhs, rhs, space=space, id=id)
    return check(claim, profile=profile, seed=seed, max_examples=max_examples, dtype=dtype)


def check_holds(predicate: Fn, *, space: Space, profile: ProfileArg = None, seed: int = 0,
                max_examples: int | None = None,
                dtype: str = "float64", id: str = "property") -> Result:
    """Check that ``predicate(**inputs)`` is true (every entry, if an array).

    >>> import derivcheck as dc, jax.numpy as jnp
    >>> dc.check_holds(lambda p: jnp.all(p > 0), space=dc.Space(p=dc.simplex("K")),
    ...                profile="quick").status
    'verified'
    """
    claim = _claims.holds(predicate, space=space, id=id)
    return check(claim, profile=profile, seed=seed, max_examples=max_examples, dtype=dtype)


def assert_gradient(f: Fn, grad: Fn | None = None, *, space: Space, wrt: Wrt,
                    flat: bool = False, rtol: float | None = None, profile: ProfileArg = None,
                    seed: int = 0, max_examples: int | None = None,
                    dtype: str = "float64", id: str = "gradient",
                    subgradient: bool = True) -> Result:
    """Like :func:`check_gradient`, but raise AssertionError unless verified.

    Works inside your own ``@given`` test (no nested ``@given``).

    >>> import derivcheck as dc
    >>> _ = dc.assert_gradient(lambda x: (x ** 3).sum(), lambda x: 3 * x ** 2,
    ...                        space=dc.Space(x=dc.real("D")), wrt="x", profile="quick")
    """
    return assert_claim(_claims.gradient(f, grad, space=space, wrt=wrt, flat=flat, rtol=rtol,
                                         id=id, subgradient=subgradient),
                        profile=profile, seed=seed, max_examples=max_examples, dtype=dtype)


def assert_jacobian(fn: Fn, jac: Fn, *, space: Space, wrt: Wrt, flat: bool = False,
                    rtol: float | None = None, profile: ProfileArg = None,
                    seed: int = 0, max_examples: int | None = None, dtype: str = "float64",
                    id: str = "jacobian", subgradient: bool = True) -> Result:
    """Like :func:`check_jacobian`, but raise AssertionError unless verified.

    >>> import derivcheck as dc, jax.numpy as jnp
    >>> _ = dc.assert_jacobian(lambda z: 2 * z, lambda z: 2 * jnp.eye(z.shape[0]),
    ...                        space=dc.Space(z=dc.real("K")), wrt="z", profile="quick")
    """
    return assert_claim(_claims.jacobian(fn, jac, space=space, wrt=wrt, flat=flat, rtol=rtol,
                                         id=id, subgradient=subgradient),
                        profile=profile, seed=seed, max_examples=max_examples, dtype=dtype)


def assert_equal(lhs: Fn, rhs: Fn, *, space: Space, profile: ProfileArg = None, seed: int = 0,
                 max_examples: int | None = None,
                 dtype: str = "float64", id: str = "equality") -> Result:
    """Like :func:`check_equal`, but raise AssertionError unless verified.

    >>> import derivcheck as dc
    >>> _ = dc.assert_equal(lambda a: a + a, lambda a: 2 * a,
    ...                     space=dc.Space(a=dc.real("D")), profile="quick")
    """
    return assert_claim(_claims.equal(lhs, rhs, space=space, id=id),
                        profile=profile, seed=seed, max_examples=max_examples, dtype=dtype)


def assert_holds(predicate: Fn, *, space: Space, profile: ProfileArg = None, seed: int = 0,
                 max_examples: int | None = None,
                 dtype: str = "float64", id: str = "property") -> Result:
    """Like :func:`check_holds`, but raise AssertionError unless verified.

    >>> import derivcheck as dc
    >>> _ = dc.assert_holds(lambda p: p.sum() > 0, space=dc.Space(p=dc.simplex("K")),
    ...                     profile="quick")
    """
    return assert_claim(_claims.holds(predicate, space=space, id=id),
                        profile=profile, seed=seed, max_examples=max_examples, dtype=dtype)

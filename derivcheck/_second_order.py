"""Second order: Hessians, Hessian-vector products and convexity.

The truth is ``jax.hessian`` (or the JVP of ``jax.grad`` for a product),
or, for a NumPy reference, second differences along random directions
(``uᵀ H v`` by :func:`derivcheck._fd.second_directional`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._claims import Claim, Line, Wrt, _wrt
from ._space import Space
from ._targets import HVP, ClaimKind, Hessian
from ._verdict import Result

__all__ = ["assert_hessian", "assert_hvp", "check_hessian", "check_hvp", "hessian", "hvp",
           "is_psd"]

Fn = Callable[..., Any]


def hessian(f: Fn, H: Fn, *, space: Space, wrt: Wrt, flat: bool = False,
            rtol: float | None = None, id: str | None = None,
            latex: str = "", source: str = "", erratum: str | None = None,
            expect: str | None = None, fix: Line | None = None,
            note: str | None = None) -> Claim:
    """Claim that ``H(**inputs)`` is the Hessian of ``f`` over ``wrt`` (for proof files).

    The Hessian has shape ``wrt.shape + wrt.shape``. Over a tuple of inputs,
    ``H`` returns nested tuples of blocks (row ``i`` holds ``∂²f/∂wrt_i∂wrt_j``
    for every ``j``), or, with ``flat=True``, one ``(P, P)`` matrix over the
    inputs raveled and concatenated in the order of ``wrt``. ``rtol`` as for
    :func:`derivcheck.gradient`.

    >>> import derivcheck as dc, jax.numpy as jnp
    >>> c = dc.hessian(lambda x: (x ** 3).sum(), lambda x: jnp.diag(6 * x),
    ...                space=dc.Space(x=dc.real("D")), wrt="x")
    >>> c.kind
    'hessian'
    """
    line = Line(latex, H, erratum=erratum, expect=expect, fix=fix, note=note)
    return Claim(kind=ClaimKind.HESSIAN, target=Hessian(f, _wrt(wrt), flat), lines=[line],
                 space=space, id=id, latex=latex, source=source, note=note, rtol=rtol)


def hvp(f: Fn, product: Fn, *, space: Space, wrt: str, vector: str = "v",
        id: str | None = None, latex: str = "", source: str = "",
        erratum: str | None = None, expect: str | None = None, fix: Line | None = None,
        note: str | None = None) -> Claim:
    """Claim that ``product(**inputs)`` is ``H v``: the Hessian of ``f`` over ``wrt`` times
    the input ``vector`` (declared in the space with ``wrt``'s shape). For inputs too
    large to form the Hessian.

    >>> import derivcheck as dc
    >>> c = dc.hvp(lambda x: (x ** 3).sum(), lambda x, v: 6 * x * v,
    ...            space=dc.Space(x=dc.real("D"), v=dc.real("D")), wrt="x")
    >>> c.kind
    'hvp'
    """
    line = Line(latex, product, erratum=erratum, expect=expect, fix=fix, note=note)
    return Claim(kind=ClaimKind.HVP, target=HVP(f, wrt, vector=vector), lines=[line],
                 space=space, id=id, latex=latex, source=source, note=note)


def check_hessian(f: Fn, H: Fn, *, space: Space, wrt: Wrt, flat: bool = False,
                  rtol: float | None = None, profile: Any = None, seed: int = 0,
                  max_examples: int | None = None, dtype: str = "float64",
                  id: str = "hessian") -> Result:
    """Check that ``H(**inputs)`` is the Hessian of ``f`` over ``wrt``, now.

    Options as for :func:`derivcheck.check`; ``wrt`` may be a tuple of inputs
    and ``flat=True`` packs them (see :func:`hessian`).

    >>> import derivcheck as dc, jax, jax.numpy as jnp
    >>> space = dc.Space(theta=dc.real("D"), X=dc.real("N D"))
    >>> def J(theta, X):
    ...     return jnp.mean(jnp.logaddexp(0.0, X @ theta))
    >>> def H(theta, X):
    ...     h = jax.nn.sigmoid(X @ theta)
    ...     return X.T @ jnp.diag(h * (1 - h)) @ X / X.shape[0]
    >>> dc.check_hessian(J, H, space=space, wrt="theta", profile="quick").status
    'verified'
    """
    from ._checks import check

    return check(hessian(f, H, space=space, wrt=wrt, flat=flat, rtol=rtol, id=id),
                 profile=profile, seed=seed, max_examples=max_examples, dtype=dtype)


def check_hvp(f: Fn, product: Fn, *, space: Space, wrt: str, vector: str = "v",
              profile: Any = None, seed: int = 0, max_examples: int | None = None,
              dtype: str = "float64", id: str = "hvp") -> Result:
    """Check a Hessian-vector product ``product(**inputs) = H v`` now.

    >>> import derivcheck as dc
    >>> space = dc.Space(x=dc.real("D"), v=dc.real("D"))
    >>> dc.check_hvp(lambda x: (x ** 3).sum(), lambda x, v: -6 * x * v, space=space,
    ...              wrt="x", profile="quick").diagnosis
    'looks like a sign error: claimed = -1 × autodiff'
    """
    from ._checks import check

    return check(hvp(f, product, space=space, wrt=wrt, vector=vector, id=id),
                 profile=profile, seed=seed, max_examples=max_examples, dtype=dtype)


def assert_hessian(f: Fn, H: Fn, *, space: Space, wrt: Wrt, flat: bool = False,
                   rtol: float | None = None, profile: Any = None,
                   seed: int = 0, max_examples: int | None = None, dtype: str = "float64",
                   id: str = "hessian") -> Result:
    """Like :func:`check_hessian`, but raise AssertionError unless verified.

    >>> import derivcheck as dc, jax.numpy as jnp
    >>> _ = dc.assert_hessian(lambda x: (x ** 2).sum(), lambda x: 2 * jnp.eye(x.shape[0]),
    ...                       space=dc.Space(x=dc.real("D")), wrt="x", profile="quick")
    """
    from ._checks import assert_claim

    return assert_claim(hessian(f, H, space=space, wrt=wrt, flat=flat, rtol=rtol, id=id),
                        profile=profile, seed=seed, max_examples=max_examples, dtype=dtype)


def assert_hvp(f: Fn, product: Fn, *, space: Space, wrt: str, vector: str = "v",
               profile: Any = None, seed: int = 0, max_examples: int | None = None,
               dtype: str = "float64", id: str = "hvp") -> Result:
    """Like :func:`check_hvp`, but raise AssertionError unless verified.

    >>> import derivcheck as dc
    >>> _ = dc.assert_hvp(lambda x: (x ** 2).sum(), lambda v: 2 * v,
    ...                   space=dc.Space(x=dc.real("D"), v=dc.real("D")), wrt="x",
    ...                   profile="quick")
    """
    from ._checks import assert_claim

    return assert_claim(hvp(f, product, space=space, wrt=wrt, vector=vector, id=id),
                        profile=profile, seed=seed, max_examples=max_examples, dtype=dtype)


def is_psd(H: Any, *, tol: float = 1e-9) -> Any:
    """Whether the matrix ``H`` is positive semidefinite: convexity, for a Hessian.

    Its symmetric part has no eigenvalue below ``−tol·max(1, max|H|)``. Works on
    NumPy arrays and inside JAX (a traced ``dc.holds`` predicate), on a matrix
    or a Hessian of shape ``wrt.shape * 2``.

    Args:
      H: a square matrix, or an array of shape ``s + s``.
      tol: the relative tolerance for rounding.

    Returns:
      A boolean (a JAX boolean inside a traced predicate).

    >>> import numpy as np
    >>> import derivcheck as dc
    >>> bool(dc.is_psd(np.array([[2.0, 1.0], [1.0, 2.0]]))), bool(dc.is_psd(-np.eye(2)))
    (True, False)
    """
    xp = np
    if type(H).__module__.startswith(("jax", "jaxlib")):
        import jax.numpy as xp
    H = xp.asarray(H)
    n = int(np.prod(H.shape[: H.ndim // 2])) if H.ndim else 1
    M = xp.reshape(H, (n, n))
    M = (M + M.T) / 2
    scale = xp.maximum(1.0, xp.max(xp.abs(M)))
    return xp.min(xp.linalg.eigvalsh(M)) >= -tol * scale

"""Backward functions: a layer's backward pass checked against its forward pass.

A backward pass takes the upstream gradient (the *cotangent*, ``dout``) and
returns one gradient per input, as ``(dx, dgamma, dbeta)``. The truth is
``jax.vjp`` of the forward function at ``dout``, or finite differences of it
when the forward function is NumPy code. One claim, one line per output.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ._claims import Claim, ClaimError, Line, output
from ._space import Space
from ._targets import VJP, ClaimKind
from ._verdict import Result

__all__ = ["assert_vjp", "check_vjp", "vjp"]

Fn = Callable[..., Any]


def vjp(forward: Fn, backward: Fn, *, space: Space, wrt: str | Sequence[str],
        cotangent: str = "dout", id: str | None = None, latex: str = "",
        source: str = "", note: str | None = None) -> Claim:
    """Claim that ``backward`` is the vector-Jacobian product of ``forward`` (for proof files).

    Args:
      forward: the forward pass, a function of the inputs by name.
      backward: the backward pass. It receives the space's inputs by name, the
        cotangent included, and returns one array per ``wrt`` name, in order
        (a single array when there is one name).
      space: the inputs; it declares the cotangent with the forward output's
        shape, e.g. ``dout=dc.real("N D")``.
      wrt: the inputs ``backward`` returns gradients for, in order.
      cotangent: the name of the upstream gradient input.

    Returns:
      A claim with one line per ``wrt`` name (``∂/∂x``, ...).

    Raises:
      ClaimError: if a name is not an input of the space, or is repeated.

    >>> import derivcheck as dc
    >>> space = dc.Space(x=dc.real("N"), w=dc.real("N"), dout=dc.real("N"))
    >>> c = dc.vjp(lambda x, w: x * w, lambda x, w, dout: (dout * w, dout * x),
    ...            space=space, wrt=("x", "w"))
    >>> c.kind, [line.latex for line in c.lines]
    ('vjp', ['∂/∂x', '∂/∂w'])
    """
    names = (wrt,) if isinstance(wrt, str) else tuple(wrt)
    if not names:
        raise ClaimError("wrt names no input; give the inputs backward returns gradients for")
    if len(set(names)) != len(names):
        raise ClaimError(f"wrt={names!r} repeats a name")
    if cotangent in names:
        raise ClaimError(f"the cotangent {cotangent!r} is also in wrt={names!r}")
    what = f"arrays, one per wrt name ({', '.join(names)})"
    lines = [Line(f"∂/∂{name}", output(backward, k, count=len(names), what=what))
             for k, name in enumerate(names)]
    return Claim(kind=ClaimKind.VJP, target=VJP(forward, names, cotangent=cotangent),
                 lines=lines, space=space, id=id, latex=latex, source=source, note=note)


def check_vjp(forward: Fn, backward: Fn, *, space: Space, wrt: str | Sequence[str],
              cotangent: str = "dout", profile: Any = None, seed: int = 0,
              max_examples: int | None = None, dtype: str = "float64",
              id: str = "vjp") -> Result:
    """Check a backward pass against its forward pass now; one verdict, a line per output.

    Options as for :func:`derivcheck.check`; the arguments as for :func:`vjp`.

    >>> import numpy as np
    >>> import derivcheck as dc
    >>> def relu(x):
    ...     return np.maximum(0, x)
    >>> def relu_backward(dout, x):
    ...     dx = dout.copy()
    ...     dx[x <= 0] = 0
    ...     return dx
    >>> r = dc.check_vjp(relu, relu_backward, space=dc.Space(x=dc.real("N"), dout=dc.real("N")),
    ...                  wrt="x", profile="quick")
    >>> r.status, r.oracle
    ('verified', 'finite differences')
    """
    from ._checks import check

    return check(vjp(forward, backward, space=space, wrt=wrt, cotangent=cotangent, id=id),
                 profile=profile, seed=seed, max_examples=max_examples, dtype=dtype)


def assert_vjp(forward: Fn, backward: Fn, *, space: Space, wrt: str | Sequence[str],
               cotangent: str = "dout", profile: Any = None, seed: int = 0,
               max_examples: int | None = None, dtype: str = "float64",
               id: str = "vjp") -> Result:
    """Like :func:`check_vjp`, but raise AssertionError unless verified.

    >>> import derivcheck as dc
    >>> space = dc.Space(x=dc.real("N"), dout=dc.real("N"))
    >>> _ = dc.assert_vjp(lambda x: 3 * x, lambda dout: 3 * dout, space=space, wrt="x",
    ...                   profile="quick")
    """
    from ._checks import assert_claim

    return assert_claim(vjp(forward, backward, space=space, wrt=wrt, cotangent=cotangent, id=id),
                        profile=profile, seed=seed, max_examples=max_examples, dtype=dtype)

"""Declaring NumPy code: functions derivcheck never traces with JAX.

derivcheck first tries to trace every function with JAX, which is fast. A
function that fails under tracing, for any reason (``np.exp`` of a tracer,
``scores[range(N), y]``, ``margins[margins <= 0] = 0``, ``if x > 0:``),
runs instead on real NumPy arrays, one input at a time, with NumPy's
semantics; if it also fails there, that failure is reported. A reference
that JAX cannot trace is differentiated by finite differences.

:func:`numpy_fn` declares a function NumPy code up front. Use it when the
function would trace but mean something else under JAX (integer overflow,
out-of-bounds indexing, which JAX clamps) or to skip the tracing attempt.

No JAX here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

__all__ = ["is_numpy_fn", "numpy_fn"]

_FLAG = "__derivcheck_numpy__"


def numpy_fn(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Declare ``fn`` NumPy code: derivcheck calls it on NumPy arrays, never under JAX.

    As a reference (the function a gradient, Jacobian, VJP or Hessian is taken
    of), it is differentiated by finite differences; as a claimed side, it
    runs one input at a time. Use it as a decorator or a call.

    Args:
      fn: any Python function of the inputs (NumPy, SciPy, PyTorch through
        ``.numpy()``, ...).

    Returns:
      ``fn`` itself, marked (or, for a callable that takes no attributes such
      as a NumPy ufunc, a thin wrapper with the same signature).

    >>> import numpy as np
    >>> import derivcheck as dc
    >>> @dc.numpy_fn
    ... def loss(w):
    ...     return float(np.sum(w ** 2))
    >>> dc.is_numpy_fn(loss), dc.is_numpy_fn(np.sum)
    (True, False)
    """
    if not callable(fn):
        raise TypeError(f"dc.numpy_fn takes a function, got {type(fn).__name__}")
    try:
        setattr(fn, _FLAG, True)
        return fn
    except (AttributeError, TypeError):
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return fn(*args, **kwargs)

        setattr(wrapper, _FLAG, True)
        return wrapper


def is_numpy_fn(fn: Any) -> bool:
    """Whether ``fn`` was declared NumPy code with :func:`numpy_fn`.

    >>> is_numpy_fn(len)
    False
    """
    return bool(getattr(fn, _FLAG, False))

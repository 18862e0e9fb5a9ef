"""Calling user functions with the inputs of a space: by name, or by position.

A function written for derivcheck names its arguments after the inputs
(``def grad(W, X, lam)``), takes any subset in any order, and gets them by
name. A function written for something else takes them positionally, in the
order of the space: a statistics library's ``loglike(params, X, y)``, a
reference built by ``jax.grad(loglike)`` or ``jax.jacobian`` (which
differentiate their first positional argument), a ``functools.partial``.

The signature decides:

- every argument without a default is an input of the space: by name. The
  leading ones are passed positionally, in the function's own order (so
  ``jax.grad(f)`` differentiates its first argument), the rest by keyword;
- otherwise, if the function takes the space's inputs positionally (as many
  positional parameters as inputs, or ``*args``) and no argument named after
  an input sits at another input's position: every input, in the space's order;
- otherwise: a one-line error naming the arguments the space offers.

No JAX here.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["CallError", "CallSpec", "bind", "call_spec"]

_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


class CallError(ValueError):
    """A function whose arguments match the space neither by name nor by position."""


@dataclasses.dataclass(frozen=True)
class CallSpec:
    """Which inputs a function gets, positionally then by keyword.

    >>> spec = CallSpec(("W", "X"), ("lam",))
    >>> spec.call(lambda W, X, lam: W + X * lam, {"W": 1, "X": 2, "lam": 3, "Y": 4})
    7
    """

    positional: tuple[str, ...]
    keywords: tuple[str, ...] = ()

    def call(self, fn: Callable[..., Any], inputs: dict) -> Any:
        return fn(*(inputs[n] for n in self.positional),
                  **{n: inputs[n] for n in self.keywords})


def _by_name(params, names: Sequence[str]) -> CallSpec | None:
    """Pass the inputs the function names, or None if it asks for one the space lacks."""
    pos: list[str] = []
    kw: list[str] = []
    leading = True
    for p in params:
        if p.kind is inspect.Parameter.VAR_POSITIONAL:
            leading = False
            continue
        if p.kind is inspect.Parameter.VAR_KEYWORD:
            kw.extend(n for n in names if n not in pos and n not in kw)
            continue
        if p.name not in names:
            if p.default is inspect.Parameter.empty:
                return None
            leading = False  # a later input cannot be passed positionally past it
            continue
        if leading and p.kind in _POSITIONAL:
            pos.append(p.name)
        else:
            leading = False
            kw.append(p.name)
    return CallSpec(tuple(pos), tuple(kw))


def _by_position(params, names: Sequence[str]) -> CallSpec | None:
    """Pass every input positionally in the space's order, if the function takes that."""
    positional = [p for p in params if p.kind in _POSITIONAL]
    required = [p for p in positional if p.default is inspect.Parameter.empty]
    star = any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params)
    if any(p.kind is inspect.Parameter.KEYWORD_ONLY and p.default is inspect.Parameter.empty
           for p in params):
        return None
    if len(required) > len(names) or (len(positional) < len(names) and not star):
        return None
    for i, p in enumerate(positional[:len(names)]):
        if p.name in names and p.name != names[i]:
            return None  # named after another input: passing by position would swap them
    return CallSpec(tuple(names))


def _takes_positional(fn: Callable[..., Any], count: int) -> bool:
    """Whether ``fn`` itself (not the function it wraps) accepts ``count`` positional args."""
    try:
        inspect.signature(fn, follow_wrapped=False).bind_partial(*([None] * count))
    except TypeError:
        return False
    except ValueError:  # no signature to ask: assume it does
        return True
    return True


def call_spec(fn: Callable[..., Any], names: Sequence[str], *, where: str) -> CallSpec:
    """How to call ``fn`` with the inputs ``names`` (in the space's order).

    A mismatch gets one line naming the inputs the space offers.

    Raises:
      CallError: the arguments match the inputs neither by name nor by position.

    >>> call_spec(lambda X, W: 0, ["W", "X", "lam"], where="grad")
    CallSpec(positional=('X', 'W'), keywords=())
    >>> call_spec(lambda b, data, y: 0, ["params", "X", "y"], where="loglike").positional
    ('params', 'X', 'y')
    """
    names = list(names)
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):  # a builtin without a signature: the space's order
        return CallSpec(tuple(names))
    spec = _by_name(params, names)
    star = any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params)
    if spec is None or (star and not spec.positional and not spec.keywords):
        spec = (_by_position(params, names) if _takes_positional(fn, len(names)) else None) \
            or spec
    if spec is not None and spec.positional and not _takes_positional(fn, len(spec.positional)):
        # a wrapper that shows its function's signature but takes keywords only
        # (``functools.wraps(f)(lambda **x: ...)``): the same inputs, by name
        spec = CallSpec((), spec.positional + spec.keywords)
    if spec is not None:
        return spec
    missing = [p.name for p in params if p.kind in (*_POSITIONAL, inspect.Parameter.KEYWORD_ONLY)
               and p.default is inspect.Parameter.empty and p.name not in names]
    have = ", ".join(names)
    asks = f"asks for input {missing[0]!r}" if missing else "takes its arguments in another order"
    raise CallError(
        f"{where} {asks}, which the space does not have (it has {have}); add it to the "
        f"Space or rename the argument, or take all {len(names)} inputs positionally in the "
        f"space's order ({have})")


def bind(fn: Callable[..., Any], names: Sequence[str], *, where: str
         ) -> Callable[[dict], Any]:
    """``fn`` as a function of the inputs dict (see :func:`call_spec`)."""
    spec = call_spec(fn, names, where=where)
    return lambda inputs: spec.call(fn, inputs)

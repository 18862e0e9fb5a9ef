"""A runnable reproducer for a check made from Python (not from a proof file).

The snippet rebuilds the failing input, imports the user's functions by their
``__module__`` and ``__qualname__`` where that works (a module-level function
of an importable module), computes the truth with JAX as derivcheck does, and
prints how far the claimed value is from it. A function that cannot be
imported (a lambda, a closure, one defined in ``__main__`` or wrapped by
``jax.grad`` or ``functools.partial``) is left as a named placeholder with a
comment saying where it is defined.

Plain Python and NumPy: no JAX import.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import inspect
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = ["Origin", "origin_of", "python_snippet"]


@dataclasses.dataclass(frozen=True)
class Origin:
    """What an inline check was made of, kept on its Result for :func:`python_snippet`.

    Attributes:
      order: "grad", "jacobian", "hessian" or "value" (an identity ``lhs == rhs``).
      wrt: the input(s) differentiated with respect to (None for "value").
      flat: the claimed derivative is one packed array.
      reference, claimed: the user's functions.
      reference_call, claimed_call: how derivcheck calls each: the input names
        passed positionally, then those passed by keyword.
    """

    order: str
    wrt: str | tuple[str, ...] | None
    flat: bool
    reference: Callable[..., Any]
    claimed: Callable[..., Any]
    reference_call: tuple[tuple[str, ...], tuple[str, ...]]
    claimed_call: tuple[tuple[str, ...], tuple[str, ...]]


def origin_of(claim) -> Origin | None:
    """The :class:`Origin` of a one-line claim made from Python, else None.

    A claim from a proof file (``claim.file`` set) reproduces with the CLI; a
    derivation or a property has no single claimed function to call.
    """
    from ._calls import CallError, call_spec

    target = claim.target
    if getattr(claim, "file", None) or len(claim.lines) != 1 or target.fn is None or \
            claim.lines[0].fn is None:
        return None
    names = claim.space.names
    try:
        ref = call_spec(target.fn, names, where="reference")
        line = call_spec(claim.lines[0].fn, names, where="claimed")
    except CallError:
        return None
    return Origin(getattr(target, "order", None) or "value", target.wrt,
                  bool(getattr(target, "flat", False)), target.fn, claim.lines[0].fn,
                  (ref.positional, ref.keywords), (line.positional, line.keywords))


def _importable(fn) -> tuple[str, str] | None:
    """``(module, name)`` if ``from module import name`` gives back ``fn`` itself."""
    if isinstance(fn, functools.partial) or hasattr(fn, "__wrapped__"):
        return None
    module, qualname = getattr(fn, "__module__", None), getattr(fn, "__qualname__", "")
    if not module or module == "__main__" or "<" in qualname or "." in qualname:
        return None
    try:
        found = getattr(importlib.import_module(module), qualname, None)
    except Exception:  # not importable from here: a placeholder instead
        return None
    return (module, qualname) if found is fn else None


def _where(fn) -> str:
    target = fn.func if isinstance(fn, functools.partial) else inspect.unwrap(fn)
    name = getattr(target, "__qualname__", type(target).__name__)
    try:
        file = inspect.getsourcefile(target)
        line = inspect.getsourcelines(target)[1]
    except (TypeError, OSError):
        return name
    return f"{name}, {file}:{line}"


def _call(name: str, how: tuple[Sequence[str], Sequence[str]]) -> str:
    pos, kw = how
    args = [f'inputs["{n}"]' for n in pos] + [f'{n}=inputs["{n}"]' for n in kw]
    return f"{name}({', '.join(args)})"


def _array(v: Any) -> str:
    a = np.asarray(v)
    dtype = "" if a.dtype == np.float64 else f", dtype=np.{a.dtype}"
    return f"np.array({a.tolist()!r}{dtype})"


def python_snippet(counterexample: dict[str, Any], origin: Origin) -> str:
    """The reproducer: a short script that recomputes both sides at the counterexample.

    >>> import numpy as np
    >>> o = Origin("grad", "x", False, np.sum, np.sign, (("x",), ()), (("x",), ()))
    >>> print(python_snippet({"x": np.array([1.0])}, o).splitlines()[-1])
    print("max |claimed - truth| =", np.max(np.abs(np.asarray(claimed) - np.asarray(truth))))
    """
    lines = ["import jax", "import numpy as np", ""]
    names = {}
    for role, fn in (("reference", origin.reference), ("claimed_fn", origin.claimed)):
        found = _importable(fn)
        if found:
            module, qual = found
            lines.append(f"from {module} import {qual}")
            names[role] = qual
        else:
            lines.append(f"{role} = ...  # define as in your code: {_where(fn)}")
            names[role] = role
    lines += ["", "inputs = {"]
    lines += [f'    "{k}": {_array(v)},' for k, v in counterexample.items()]
    lines += ["}", "with jax.enable_x64(True):  # derivcheck checks in float64"]
    ref = names["reference"]
    if origin.order == "value":
        lines.append(f"    truth = {_call(ref, origin.reference_call)}")
    else:
        wrts = (origin.wrt,) if isinstance(origin.wrt, str) else tuple(origin.wrt)
        op = {"grad": "jax.grad", "jacobian": "jax.jacobian", "hessian": "jax.hessian"}[
            origin.order]
        pos, kw = origin.reference_call

        def arg(n):
            return n if n in wrts else f'inputs["{n}"]'

        args = ", ".join([arg(n) for n in pos] + [f"{n}={arg(n)}" for n in kw])
        argnums = "" if len(wrts) == 1 else f", argnums={tuple(range(len(wrts)))}"
        at = ", ".join(f'inputs["{w}"]' for w in wrts)
        lines.append(f"    truth = {op}(lambda {', '.join(wrts)}: {ref}({args}){argnums})({at})")
        if len(wrts) > 1 or origin.flat:
            lines.append("    # one block per input of wrt; derivcheck compares them packed "
                         "(each raveled, concatenated)")
    lines.append(f"    claimed = {_call(names['claimed_fn'], origin.claimed_call)}")
    if origin.order != "value" and (not isinstance(origin.wrt, str) or origin.flat):
        lines.append('print("truth:", truth)')
        lines.append('print("claimed:", claimed)')
    else:
        lines.append('print("max |claimed - truth| =", '
                     "np.max(np.abs(np.asarray(claimed) - np.asarray(truth))))")
    return "\n".join(lines)

"""The mutant operators of the audit: each a small, typical mistake.

Mutant operators (every mutant wraps the line's function; no source is
rewritten):

- ``sign``: ``-line``.
- ``scale 2``, ``scale 1/2``, ``scale N``, ``scale 1/N``: ``N`` is the first
  dimension named ``N``, ``m`` or ``M``, else the first dimension of the first
  input of rank >= 2 (read from the input's shape at run time); the two ``N``
  mutants are skipped when there is no such dimension.
- ``transpose``: ``line.T`` when the line's value is 2-D.
- ``drop term``: the line is traced with :func:`jax.make_jaxpr`; the
  floating-point additive equation (``add``, ``sub``, ``add_any``; integer
  adds are index arithmetic, not terms) nearest to the output in the trace
  (breadth-first from the output, library functions such as
  ``jax.nn.log_softmax`` staying opaque when JAX keeps them as calls) is
  found, and the jaxpr is re-evaluated with that equation replaced by one
  operand: ``a ± b → a`` (left kept) and
  ``a + b → b``, ``a - b → -b`` (right kept). So one term really disappears.
  Functions JAX cannot trace get no such mutant.
- ``swap``: two label-like inputs (one-hot, simplex or binary) of the same
  shape exchanged, e.g. ``y`` and ``ŷ`` when ``ŷ`` is a simplex input; and a
  binary input ``y`` replaced by ``1 - y``. (When ``ŷ`` is computed inside the
  line, ``ŷ - y ↔ y - ŷ`` of a linear residual is the ``sign`` mutant.)
- ``class shift``: the line evaluated with a one-hot or simplex input rolled
  by one class (``jnp.roll(y, 1, axis=-1)``) or integer labels shifted
  (``(c + 1) mod K``); and the line's value rolled by one along each axis whose
  length is a class dimension (matched by size in a shape bucket where that
  size is unique).
- ``λ×2``, ``λ/2``: the line evaluated with a positive scalar input it takes
  doubled or halved.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .._binding import bind
from .._claims import Line
from .._engine import in_float64
from .._space import Space, _class_dims
from ._jaxpr import additive_eqn, drop_mutant
from ._records import Mutant

__all__ = ["mutants_of"]

_N_NAMES = ("N", "m", "M")


# -- reading dimensions at run time ---------------------------------------------

def _dim_reader(space: Space, dim: str) -> tuple[Callable[[dict], int], str] | None:
    """A function reading dimension ``dim`` from the inputs' shapes, and where it reads."""
    if dim.isdigit():
        return (lambda inputs: int(dim)), dim
    for name, inp in space.inputs.items():
        if dim in inp.dims:
            axis = inp.dims.index(dim)
            return (lambda inputs, n=name, a=axis: int(np.shape(inputs[n])[a])), \
                f"axis {axis} of {name}"
    return None


def _count_dim(space: Space) -> str | None:
    dims = [d for inp in space.inputs.values() for d in inp.dims]
    for name in _N_NAMES:
        if name in dims:
            return name
    for inp in space.inputs.values():
        if len(inp.dims) >= 2:
            return inp.dims[0]
    return None


def _probe_bucket(space: Space) -> dict[str, int]:
    """A shape bucket whose dimensions are pairwise different, if one is near."""
    for b in range(1, 9):
        bucket = space.bucket(b)
        vals = list(bucket.values())
        if len(set(vals)) == len(vals):
            return bucket
    return space.bucket(1)


def _takes(fn: Callable[..., Any], name: str) -> bool:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return True
    return any(p.name == name or p.kind is inspect.Parameter.VAR_KEYWORD for p in params)


# -- the mutant functions ---------------------------------------------------------

def _value_mutant(f: Callable[[dict], Any], op: Callable[[Any, dict], Any]):
    def mutant(**inputs):
        return op(f(inputs), inputs)
    return mutant


def _input_mutant(f: Callable[[dict], Any], name: str, change: Callable[[Any, dict], Any]):
    def mutant(**inputs):
        return f({**inputs, name: change(inputs[name], inputs)})
    return mutant


def _swap_mutant(f: Callable[[dict], Any], a: str, b: str):
    def mutant(**inputs):
        return f({**inputs, a: inputs[b], b: inputs[a]})
    return mutant


def _shape_of(f: Callable[[dict], Any], x: dict) -> jax.ShapeDtypeStruct:
    """The output's shape, abstractly if JAX can trace ``f``, else by calling it."""
    try:
        return jax.eval_shape(f, x)
    except (jax.errors.TracerArrayConversionError, jax.errors.ConcretizationTypeError,
            jax.errors.TracerBoolConversionError, jax.errors.TracerIntegerConversionError):
        return np.asarray(f({k: np.asarray(v) for k, v in x.items()}))


@in_float64
def mutants_of(line: Line, space: Space, *, where: str, label: str) -> list[Mutant]:
    """The mutants of one line (not yet checked).

    Args:
      line: the verified line.
      space: its claim's space.
      where: the line's name in messages.
      label: the mutant's line label, e.g. ``"line 2"``.

    >>> import derivcheck as dc
    >>> space = dc.Space(W=dc.real("D K"), X=dc.real("N D"), Y=dc.one_hot("N K"))
    >>> line = dc.Line("X^T (softmax(XW) - Y) / N",
    ...                lambda W, X, Y: X.T @ (jax.nn.softmax(X @ W, axis=-1) - Y) / X.shape[0])
    >>> [m.operator for m in mutants_of(line, space, where="g", label="line 1")][:6]
    ['sign', 'scale 2', 'scale 1/2', 'scale N', 'scale 1/N', 'transpose']
    """
    f = bind(line.fn, space, where=where)
    bucket = _probe_bucket(space)
    x = {k: jnp.asarray(v[0]) for k, v in space.draw(bucket, seed=0, size=1).items()}
    value = _shape_of(f, x)
    out: list[Mutant] = [
        Mutant(label, "sign", "", _value_mutant(f, lambda g, i: -g)),
        Mutant(label, "scale 2", "", _value_mutant(f, lambda g, i: 2.0 * g)),
        Mutant(label, "scale 1/2", "", _value_mutant(f, lambda g, i: 0.5 * g)),
    ]
    count = _count_dim(space)
    reader = _dim_reader(space, count) if count else None
    if reader is not None:
        read, at = reader
        out.append(Mutant(label, "scale N", f"N = dim {count}, {at}",
                          _value_mutant(f, lambda g, i, r=read: g * r(i))))
        out.append(Mutant(label, "scale 1/N", f"N = dim {count}, {at}",
                          _value_mutant(f, lambda g, i, r=read: g / r(i))))
    if len(value.shape) == 2:
        out.append(Mutant(label, "transpose", "", _value_mutant(f, lambda g, i: g.T)))
    try:
        traceable = additive_eqn(jax.make_jaxpr(f)(x).jaxpr) is not None
    except Exception:  # NumPy code or no trace: no term to drop
        traceable = False
    if traceable:
        out.append(Mutant(label, "drop term", "right operand of the outermost add/sub",
                          drop_mutant(f, 0)))
        out.append(Mutant(label, "drop term", "left operand of the outermost add/sub",
                          drop_mutant(f, 1)))
    kinds = {n: inp.kind_object for n, inp in space.inputs.items()}
    labelish = [n for n, k in kinds.items() if k.label_like]
    for a_i, a in enumerate(labelish):
        for b in labelish[a_i + 1:]:
            if space.inputs[a].dims == space.inputs[b].dims:
                out.append(Mutant(label, "swap", f"{a} ↔ {b}", _swap_mutant(f, a, b)))
        flip = kinds[a].complement(jnp)
        if flip is not None:
            out.append(Mutant(label, "swap", f"{a} → 1 - {a}", _input_mutant(f, a, flip)))
    for n, inp in space.inputs.items():
        if not _takes(line.fn, n):
            continue
        count = _dim_reader(space, inp.classes) if inp.classes else None
        if inp.classes and count is None:
            continue
        shift = kinds[n].class_shift(inp, n, jnp, count[0] if count else None)
        if shift is not None:
            out.append(Mutant(label, "class shift", shift[0], _input_mutant(f, n, shift[1])))
    for d in sorted(_class_dims(space.inputs)):
        size = bucket.get(d)
        if size is None or list(bucket.values()).count(size) != 1:
            continue
        for axis, s in enumerate(value.shape):
            if s == size:
                out.append(Mutant(label, "class shift", f"value rolled along axis {axis} ({d})",
                                  _value_mutant(f, lambda g, i, a=axis: jnp.roll(g, 1, axis=a))))
    for n, inp in space.inputs.items():
        if _takes(line.fn, n):
            out.extend(Mutant(label, op, detail, _input_mutant(f, n, change))
                       for op, detail, change in kinds[n].strength_changes(inp, n))
    for m in out:  # a mutant that cannot even run is listed as invalid, never checked
        try:
            _shape_of(lambda inputs, fn=m.fn: fn(**inputs), x)
        except Exception as exc:
            m.outcome, m.status = "invalid", "error"
            m.message = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0][:120]}"
    return out

"""Layout diagnosis: the claimed values are the truth's, laid out differently.

A library that flattens its parameters has a layout of its own: column-major
(class-major) where JAX is row-major, a Hessian flattened class-major, a
parameter matrix stored transposed, a reference class dropped. Each mapping
is an index map from the truth's entries to the claimed entries, built from
``arange(truth.size)`` by the same transformation; the claimed value matches
one when ``G == T.flat[index]`` at every input.

Mappings tried (the first that fits is named):

- the truth's axes permuted (for a 4-axis Hessian ``(D, K, D, K)`` that
  includes the class-major ``(K, D, K, D)``), read row- or column-major, and
  reshaped to the claimed shape;
- the same after dropping the first or last index along every axis of one
  size (a dropped reference class, in every block of a Hessian).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence

import numpy as np

__all__ = ["layout"]

#: Axis permutations are tried for truths of at most this many axes.
MAX_AXES = 5


def _axes_text(perm, names) -> str:
    return "(" + ", ".join(names[p] for p in perm) + ")"


def _maps(tshape: tuple, gshape: tuple, names: Sequence[str]
          ) -> Iterator[tuple[str, np.ndarray]]:
    """(description, index map) pairs for every layout tried, simplest first."""
    index = np.arange(int(np.prod(tshape, dtype=np.int64))).reshape(tshape)
    drops: list[tuple[str, np.ndarray]] = [("", index)]
    for size in sorted(set(tshape)):
        axes = [a for a, n in enumerate(tshape) if n == size]
        if size < 2:
            continue
        for which, sl in (("first", slice(1, None)), ("last", slice(None, -1))):
            cut = index
            for a in axes:
                cut = np.take(cut, np.arange(size)[sl], axis=a)
            label = names[axes[0]] if names else f"axis {axes[0]}"
            drops.append((f"without the {which} {label} (a dropped reference block)", cut))
    perms = list(itertools.permutations(range(len(tshape)))) if len(tshape) <= MAX_AXES \
        else [tuple(range(len(tshape)))]
    orders = (("C", "row-major"), ("F", "column-major"))
    # a matrix is named by its flatten order first; a Hessian by its axes (class-major)
    combos = [(p, o) for p in perms for o in orders] if len(tshape) <= 2 else \
        [(p, o) for o in orders for p in perms]
    for drop_text, arr in drops:
        for perm, (order, order_text) in combos:
            moved = arr.transpose(perm)
            if moved.size != int(np.prod(gshape, dtype=np.int64)):
                continue
            idx = moved.reshape(-1, order=order).reshape(gshape)
            parts = [drop_text] if drop_text else []
            if perm != tuple(range(len(tshape))):
                parts.append(f"with axes {_axes_text(perm, names)}")
            if order == "F" or moved.shape != gshape:
                parts.append(f"read {order_text} into shape {gshape}")
            yield ", ".join(parts), idx


def _names(tshape: tuple, axis_names: Sequence[str] | None) -> list[str]:
    if axis_names and len(axis_names) == len(tshape):
        return list(axis_names)
    return [f"axis {a}" for a in range(len(tshape))]


def layout(pairs: Sequence[tuple[np.ndarray, np.ndarray]], close: Callable[..., bool],
           *, axis_names: Sequence[str] | None = None) -> str | None:
    """Name the layout mapping that turns every truth into its claimed value.

    Args:
      pairs: (claimed, truth) arrays; all truths share one shape, all claims one.
      close: ``close(i, g, model)``: whether claimed ``g`` equals ``model`` at input ``i``.
      axis_names: the truth's axes by dimension name, e.g. ``("D", "K", "D", "K")``.

    >>> import numpy as np
    >>> t = np.arange(6.0).reshape(2, 3) + 0.5
    >>> same = lambda i, g, t: g.shape == t.shape and np.allclose(g, t)
    >>> layout([(t.reshape(-1, order="F"), t)], same, axis_names=("D", "K"))
    'claimed = autodiff read column-major into shape (6,)'
    """
    if not pairs:
        return None
    tshape, gshape = pairs[0][1].shape, pairs[0][0].shape
    if any(t.shape != tshape or g.shape != gshape for g, t in pairs):
        return None
    names = _names(tshape, axis_names)
    for text, idx in _maps(tshape, gshape, names):
        if not text:
            continue  # the identity: not a layout mistake
        if all(close(i, g, t.reshape(-1)[idx]) for i, (g, t) in enumerate(pairs)):
            return f"claimed = autodiff {text}"
    return None

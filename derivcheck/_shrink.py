"""Shrinking a failing input toward the simplest values that still fail.

Candidates are built here in NumPy from what each input's kind offers (see
``_kinds.py``); the engine evaluates a whole round of candidates in one
compiled call and keeps the simplest one that still fails.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._space import Space

__all__ = ["magnitude", "shrink", "simplicity"]

Inputs = dict[str, np.ndarray]

#: Whole-input moves of the searched (real and positive) inputs, tried on all
#: of them together and then on each alone: round and clip to ±1, ±3, round,
#: then scale by 1/2 and 1/10.
_MOVES = (
    lambda v: np.clip(np.round(v), -1.0, 1.0),
    lambda v: np.clip(np.round(v), -3.0, 3.0),
    np.round,
    lambda v: v * 0.5,
    lambda v: v * 0.1,
)


def magnitude(space: Space, x: Inputs) -> float:
    """The largest absolute entry of the real, positive and simplex inputs."""
    return space.magnitude(x)


def simplicity(space: Space, x: Inputs) -> tuple:
    """A sort key: fewer non-integers, then smaller magnitude, then fewer non-zeros."""
    nonint = 0
    nnz = 0
    total = 0.0
    for name, inp in space.inputs.items():
        a, b, c = inp.kind_object.simplicity(np.asarray(x[name], dtype=np.float64))
        nonint += a
        nnz += b
        total += c
    return (nonint, round(space.magnitude(x), 12), nnz, total)


def _candidates(space: Space, x: Inputs) -> list[Inputs]:
    """Simpler variants of ``x``, each changing one or all searched inputs."""
    out: list[Inputs] = []
    searched = [n for n, i in space.inputs.items() if i.kind_object.searched]

    def with_(**changes):
        y = dict(x)
        for k, v in changes.items():
            inp = space.inputs[k]
            y[k] = inp.kind_object.fix(inp, np.asarray(v, dtype=x[k].dtype))
        return y

    for move in _MOVES:
        out.append(with_(**{n: move(x[n]) for n in searched}))
        out.extend(with_(**{n: move(x[n])}) for n in searched)
    for n in searched:
        out.extend(with_(**{n: v}) for v in space.inputs[n].kind_object.entry_candidates(x[n]))
    for n, inp in space.inputs.items():
        out.extend(with_(**{n: v}) for v in inp.kind_object.reset_candidates(x[n]))
    return out


def shrink(space: Space, x: Inputs, still_fails: Callable[[list[Inputs]], np.ndarray], *,
           rounds: int = 40) -> Inputs:
    """Greedily replace ``x`` by the simplest candidate that still fails.

    Args:
      still_fails: evaluates a list of candidate inputs, returning a boolean
        array (True where the candidate still fails).
    """
    best = x
    key = simplicity(space, best)
    for _ in range(rounds):
        keyed = [(k, c) for c in _candidates(space, best) if (k := simplicity(space, c)) < key]
        if not keyed:
            break
        ok = np.asarray(still_fails([c for _, c in keyed]))
        failing = [kc for kc, f in zip(keyed, ok, strict=True) if f]
        if not failing:
            break
        key, best = min(failing, key=lambda kc: kc[0])
    return {k: (v + 0.0 if np.issubdtype(np.asarray(v).dtype, np.floating) else v)
            for k, v in best.items()}  # no negative zeros in reports

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


class _Scorer:
    """:func:`simplicity` for the candidates of one round, with each input's share
    computed once per array: a candidate shares all but one or two of its arrays
    with the input it came from (scoring every input anew took most of a shrink)."""

    def __init__(self, space: Space) -> None:
        self.space = space
        self.memo: dict[tuple[str, int], tuple] = {}
        self.keep: list = []  # the arrays whose ids are in ``memo``

    def __call__(self, x: Inputs) -> tuple:
        nonint = nnz = 0
        total = mag = 0.0
        for name, inp in self.space.inputs.items():
            v = x[name]
            share = self.memo.get((name, id(v)))
            if share is None:
                a, b, c = inp.kind_object.simplicity(np.asarray(v, dtype=np.float64))
                share = (a, b, c, inp.kind_object.magnitude(np.asarray(v)))
                self.memo[(name, id(v))] = share
                self.keep.append(v)
            nonint += share[0]
            nnz += share[1]
            total += share[2]
            mag = max(mag, share[3])
        return (nonint, round(mag, 12), nnz, total)


def _candidates(space: Space, x: Inputs) -> list[Inputs]:
    """Simpler variants of ``x``: whole-input moves (all inputs together, then each
    alone), then what each input's kind offers, pass by pass."""
    out: list[Inputs] = []

    def with_(**changes):
        y = dict(x)
        for k, v in changes.items():
            inp = space.inputs[k]
            y[k] = inp.kind_object.fix(inp, np.asarray(v, dtype=x[k].dtype))
        return y

    moves = {n: m for n, inp in space.inputs.items()
             if (m := inp.kind_object.shrink_moves(inp, x[n]))}
    for i in range(max((len(m) for m in moves.values()), default=0)):
        out.append(with_(**{n: m[i] for n, m in moves.items() if i < len(m)}))
        out.extend(with_(**{n: m[i]}) for n, m in moves.items() if i < len(m))
    own = [(stage, n, c) for n, inp in space.inputs.items()
           for stage, c in inp.kind_object.shrink_candidates(inp, x[n])]
    out.extend(with_(**{n: c}) for _, n, c in sorted(own, key=lambda snc: snc[0]))
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
        score = _Scorer(space)
        keyed = [(k, c) for c in _candidates(space, best) if (k := score(c)) < key]
        if not keyed:
            break
        ok = np.asarray(still_fails([c for _, c in keyed]))
        failing = [kc for kc, f in zip(keyed, ok, strict=True) if f]
        if not failing:
            break
        key, best = min(failing, key=lambda kc: kc[0])
    return {k: (v + 0.0 if np.issubdtype(np.asarray(v).dtype, np.floating) else v)
            for k, v in best.items()}  # no negative zeros in reports

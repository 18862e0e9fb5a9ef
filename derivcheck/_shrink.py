"""Shrinking a failing input toward the simplest values that still fail.

Candidates are built here in NumPy; the engine evaluates a whole round of
candidates in one compiled call and keeps the simplest one that still fails.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._space import Space

__all__ = ["magnitude", "shrink", "simplicity"]

Inputs = dict[str, np.ndarray]


def magnitude(space: Space, x: Inputs) -> float:
    """The largest absolute entry of the real, positive and simplex inputs."""
    m = 0.0
    for name, inp in space.inputs.items():
        if inp.varies and x[name].size:
            m = max(m, float(np.max(np.abs(x[name]))))
    return m


def simplicity(space: Space, x: Inputs) -> tuple:
    """A sort key: fewer non-integers, then smaller magnitude, then fewer non-zeros."""
    nonint = 0
    nnz = 0
    total = 0.0
    for name, inp in space.inputs.items():
        v = np.asarray(x[name], dtype=np.float64)
        if inp.kind in ("real", "positive"):
            nonint += int(np.count_nonzero(v != np.round(v)))
            nnz += int(np.count_nonzero(v))
            total += float(np.sum(np.abs(v)))
        elif inp.kind in ("labels", "one_hot"):
            total += float(np.sum(np.argmax(v, axis=-1) if inp.kind == "one_hot" else v)) * 1e-3
    return (nonint, round(magnitude(space, x), 12), nnz, total)


def _candidates(space: Space, x: Inputs) -> list[Inputs]:
    out: list[Inputs] = []
    floats = [n for n, i in space.inputs.items() if i.kind in ("real", "positive")]

    def fix(name, v):
        inp = space.inputs[name]
        if inp.kind == "positive":
            v = np.where(v <= 0, 1.0, v)
        if inp.nonzero:
            v = np.where(v == 0, 1.0, v)
        return v

    def with_(**changes):
        y = dict(x)
        for k, v in changes.items():
            y[k] = fix(k, np.asarray(v, dtype=x[k].dtype))
        return y

    for lim in (1.0, 3.0, None):
        def rnd(v, lim=lim):
            r = np.round(v)
            return r if lim is None else np.clip(r, -lim, lim)
        out.append(with_(**{n: rnd(x[n]) for n in floats}))
        out.extend(with_(**{n: rnd(x[n])}) for n in floats)
    for f in (0.5, 0.1):
        out.append(with_(**{n: x[n] * f for n in floats}))
        out.extend(with_(**{n: x[n] * f}) for n in floats)
    for n in floats:
        flat = x[n].reshape(-1)
        for j in range(min(flat.size, 24)):  # all zero but one entry, set to ±1
            v = np.zeros_like(flat)
            v[j] = 1.0 if flat[j] >= 0 else -1.0
            out.append(with_(**{n: v.reshape(x[n].shape)}))
        for j in range(min(flat.size, 24)):
            if flat[j] == 0:
                continue
            for val in (0.0, np.round(flat[j]), np.sign(flat[j])):
                if val == flat[j]:
                    continue
                v = flat.copy()
                v[j] = val
                out.append(with_(**{n: v.reshape(x[n].shape)}))
    for n, inp in space.inputs.items():
        if inp.kind == "labels" and np.any(x[n]):
            out.append(with_(**{n: np.zeros_like(x[n])}))
        elif inp.kind == "one_hot" and np.any(np.argmax(x[n], axis=-1)):
            v = np.zeros_like(x[n])
            v[..., 0] = 1.0
            out.append(with_(**{n: v}))
        elif inp.kind == "binary" and np.any(x[n]):
            out.append(with_(**{n: np.zeros_like(x[n])}))
        elif inp.kind == "simplex":
            k = x[n].shape[-1]
            out.append(with_(**{n: np.full_like(x[n], 1.0 / k)}))
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

"""The counts kind: non-negative integers as float64, for Poisson and negative-binomial responses.

Counts follow regimes of their own, mixed into every batch like the real
ones: small counts (0 to 5), mostly zeros, ties (every count equal), 0 or 1,
and large counts (50 to 2,000; up to 100,000 in the thorough profile). A
count adds nothing to an input's magnitude: a correct formula for a
count model does not overflow because a count is large, so failing at a large
count is a wrong formula, not instability. The calm version of a count is at
most 5, and a failing count shrinks toward 0 and 1.

Plain NumPy: no JAX import.
"""

from __future__ import annotations

import numpy as np

from ._kinds import Kind
from ._regimes import regime_views

__all__ = ["COUNT_KINDS", "Counts"]

#: The largest calm count.
CALM_COUNT = 5.0

#: Inclusive ranges of the counts of each regime (others draw small counts).
_RANGES = {"moderate": (0, 5), "integers": (0, 3), "tiny": (0, 1), "large": (50, 2000),
           "huge": (1000, 100_000), "zeros": (1, 3)}

#: Entries of one input the shrinker tries one by one.
_ENTRY_LIMIT = 24


class Counts(Kind):
    """Non-negative integer counts, as float64."""

    name = "counts"

    def draw(self, inp, shape, regimes, rng, *, classes=None):
        v = np.empty(shape)
        for regime, view in regime_views(v, regimes):
            lo, hi = _RANGES.get(regime, (0, 5))
            view[...] = rng.integers(lo, hi + 1, size=view.shape)
            if regime == "zeros":  # mostly zeros: about 70%
                view[rng.random(view.shape) < 0.7] = 0.0
            elif regime == "ties":  # one count for the whole example
                flat = view.reshape(view.shape[0], -1)
                flat[...] = flat[:, :1]
            elif regime == "mixed":  # zeros, small and large counts in one example
                pick = rng.integers(0, 3, size=view.shape)
                view[pick == 0] = 0.0
                view[pick == 2] = rng.integers(50, 500, size=int(np.sum(pick == 2)))
        return v

    def strategy(self, inp, shape, regime, *, classes=None):
        from hypothesis import strategies as st
        from hypothesis.extra import numpy as hnp

        from ._elements import fill_for

        lo, hi = _RANGES.get(regime, (0, 5))
        return hnp.arrays(np.float64, shape, elements=st.integers(0 if regime == "zeros" else lo,
                                                                  hi).map(float),
                          fill=fill_for(shape))

    def calm(self, inp, v):
        return np.minimum(v, CALM_COUNT)

    def simplicity(self, v):
        return 0, int(np.count_nonzero(v)), float(np.sum(v))

    def fix(self, inp, v):
        return np.maximum(np.round(v), 0.0)

    def entry_candidates(self, v):
        out = []
        flat = v.reshape(-1)
        for j in range(min(flat.size, _ENTRY_LIMIT)):
            for val in (0.0, 1.0, np.floor(flat[j] / 2)):
                if val < flat[j]:
                    u = flat.copy()
                    u[j] = val
                    out.append(u.reshape(v.shape))
        return out

    def reset_candidates(self, v):
        return [np.zeros_like(v)] if np.any(v) else []


#: The kinds of this module, by name (``_space.py`` adds them to the registry).
COUNT_KINDS: dict[str, Kind] = {"counts": Counts()}

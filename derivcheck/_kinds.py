"""Input kinds: what a real, positive, simplex, one-hot, label or binary input is.

Each kind is one object that owns everything derivcheck does differently per
kind: how a batch of its values is drawn (the value *regimes*), its calm
version, how a failing value shrinks, how much it adds to an input's
magnitude, and what the mutation audit may do to it. :class:`~derivcheck.Space`
only combines kinds; no other module tests a kind's name.

A new input kind is a subclass of :class:`Kind` registered in :data:`KINDS`,
plus a public constructor in ``_space.py``.

Everything here is plain NumPy: no JAX import.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._regimes import MODERATE, draw_real, per_example, regime_views

__all__ = ["KINDS", "Kind"]

#: How many entries of one input the shrinker tries one by one.
_ENTRY_LIMIT = 24

#: Whole-input shrink moves of real and positive inputs: round and clip to ±1,
#: to ±3, round, then scale by 1/2 and by 1/10.
_MOVES = (
    lambda v: np.clip(np.round(v), -1.0, 1.0),
    lambda v: np.clip(np.round(v), -3.0, 3.0),
    np.round,
    lambda v: v * 0.5,
    lambda v: v * 0.1,
)

#: A change of one input inside a mutant: ``(value, all inputs) -> new value``.
Change = Callable[[Any, dict], Any]


class Kind:
    """One kind of input. Subclasses override what differs from these defaults.

    Attributes:
      name: the kind's name, as in ``dc.real`` (used in reprs and JSON only).
      is_float: values are float64 (labels are int64).
      varies: values follow the value regimes and count toward the
        input's magnitude.
      differentiable: allowed as ``wrt`` of a gradient or Jacobian.
      counts_classes: the last axis is a class dimension (at least 2).
      label_like: a label the audit may swap with another of the same shape.
    """

    name = ""
    is_float = True
    varies = False
    differentiable = False
    counts_classes = False
    label_like = False

    def draw(self, inp, shape, regimes, rng, *, classes=None) -> np.ndarray:
        """A batch of ``shape = (size, *dims)`` values (example ``b`` in ``regimes[b % len]``)."""
        raise NotImplementedError

    def calm(self, inp, v: np.ndarray) -> np.ndarray:
        """The calm version of drawn values ``v`` (moderate magnitudes)."""
        return v

    def scaled(self, inp, v, t: float):
        """``v`` moved along the ray from the origin (only real inputs move)."""
        return v

    def magnitude(self, v: np.ndarray) -> float:
        """This input's share of the input magnitude: its largest absolute entry."""
        if self.varies and v.size:
            return float(np.max(np.abs(v)))
        return 0.0

    def simplicity(self, v: np.ndarray) -> tuple[int, int, float]:
        """``(non-integer entries, non-zero entries, size)``: smaller is simpler."""
        return 0, 0, 0.0

    def fix(self, inp, v: np.ndarray) -> np.ndarray:
        """Bring a shrink candidate back into the kind (e.g. positive stays > 0)."""
        return v

    def shrink_moves(self, inp, v: np.ndarray) -> list[np.ndarray]:
        """Whole-input moves toward simpler values, tried on every input that has
        them together and then on each alone ([] for a kind that does not move)."""
        return []

    def shrink_candidates(self, inp, v: np.ndarray) -> list[tuple[int, np.ndarray]]:
        """Simpler values of this input alone (not yet :meth:`fix`-ed), each with its
        pass: 0 changes single entries, 1 is the kind's simplest value. The
        shrinker tries pass 0 of every input before pass 1 of any."""
        return ([(0, c) for c in self.entry_candidates(v)]
                + [(1, c) for c in self.reset_candidates(v)])

    def entry_candidates(self, v: np.ndarray) -> list[np.ndarray]:
        """Simpler values changing single entries (not yet :meth:`fix`-ed)."""
        return []

    def reset_candidates(self, v: np.ndarray) -> list[np.ndarray]:
        """The kind's simplest value, when ``v`` is not already it."""
        return []

    def strategy(self, inp, shape: tuple[int, ...], regime: str, *, classes=None):
        """A Hypothesis strategy of one value of ``shape``, shrinking toward simple values."""
        raise NotImplementedError

    # -- what the mutation audit may do to an input of this kind ------------------
    def complement(self, xp) -> Change | None:
        """The input's complement (binary ``1 - y``), if the kind has one."""
        return None

    def class_shift(self, inp, name: str, xp, class_count) -> tuple[str, Change] | None:
        """``(detail, change)`` moving every value to the next class, if any."""
        return None

    def strength_changes(self, inp, name: str) -> list[tuple[str, str, Change]]:
        """``(operator, detail, change)`` rescaling a regularization strength."""
        return []

    def is_strength(self, inp) -> bool:
        """A positive scalar: a regularization strength such as ``lam``."""
        return False


#: A ``nonzero=True`` real is drawn at least this far from 0.
NONZERO_MIN = 1e-3


def _away_from_zero(v: np.ndarray, to: float) -> np.ndarray:
    """``v`` with entries nearer 0 than :data:`NONZERO_MIN` moved to ``±to`` (0 to ``to``):
    a shrunk or calmed ``nonzero=True`` input stays in its kind.

    >>> _away_from_zero(np.array([0.0, -1e-9, 2e-4, 0.5]), 1.0).tolist()
    [1.0, -1.0, 1.0, 0.5]
    """
    return np.where(np.abs(v) < NONZERO_MIN, np.where(v < 0, -to, to), v)


class _Real(Kind):
    name = "real"
    varies = differentiable = True

    def draw(self, inp, shape, regimes, rng, *, classes=None):
        v = draw_real(shape, regimes, rng)
        if inp.nonzero:
            small = np.abs(v) < NONZERO_MIN
            v = np.where(small, np.where(v < 0, -1.0, 1.0) * (0.5 + rng.random(v.shape)), v)
        return v

    def strategy(self, inp, shape, regime, *, classes=None):
        from ._elements import float_arrays, real_elements

        values = float_arrays(shape, real_elements(regime))
        if inp.nonzero:  # as drawn: entries near zero move to ±[0.5, 1.5)
            values = values.map(lambda v: np.where(np.abs(v) < NONZERO_MIN, np.where(
                v < 0, -0.5, 0.5), v))
        return values

    def calm(self, inp, v):
        v = np.clip(v, -1.0, 1.0) * 0.5
        return _away_from_zero(v, 0.25) if inp.nonzero else v

    def scaled(self, inp, v, t):
        return v * t

    def simplicity(self, v):
        return (int(np.count_nonzero(v != np.round(v))), int(np.count_nonzero(v)),
                float(np.sum(np.abs(v))))

    def fix(self, inp, v):
        return _away_from_zero(v, 1.0) if inp.nonzero else v

    def shrink_moves(self, inp, v):
        return [move(v) for move in _MOVES]

    def entry_candidates(self, v):
        out = []
        flat = v.reshape(-1)
        for j in range(min(flat.size, _ENTRY_LIMIT)):  # all zero but one entry, set to ±1
            u = np.zeros_like(flat)
            u[j] = 1.0 if flat[j] >= 0 else -1.0
            out.append(u.reshape(v.shape))
        for j in range(min(flat.size, _ENTRY_LIMIT)):
            if flat[j] == 0:
                continue
            for val in (0.0, np.round(flat[j]), np.sign(flat[j])):
                if val == flat[j]:
                    continue
                u = flat.copy()
                u[j] = val
                out.append(u.reshape(v.shape))
        return out


class _Positive(_Real):
    name = "positive"

    def draw(self, inp, shape, regimes, rng, *, classes=None):
        v = np.empty(shape)
        for regime, view in regime_views(v, regimes):
            view[...] = self._regime(view.shape, regime, rng)
        return v

    @staticmethod
    def _regime(shape, regime, rng) -> np.ndarray:
        if regime in ("large", "huge"):
            return 10.0 ** rng.uniform(1.0, 2.5 if regime == "large" else 4.0, size=shape)
        if regime == "tiny":
            return 10.0 ** rng.uniform(-7.0, -4.0, size=shape)
        if regime == "integers":
            return rng.integers(1, 4, size=shape).astype(np.float64)
        if regime == "ties":
            return np.exp(per_example(rng, shape, -1.0, 1.0)) * (
                1.0 + rng.uniform(-MODERATE, MODERATE, size=shape) * 1e-7)
        return np.exp(rng.uniform(-MODERATE, MODERATE, size=shape))

    def strategy(self, inp, shape, regime, *, classes=None):
        from ._elements import float_arrays, positive_elements

        return float_arrays(shape, positive_elements(regime))

    def calm(self, inp, v):
        return np.clip(v, 0.1, 1.0)

    def magnitude(self, v):
        """Large and tiny values alike are far from calm: ``max(v, 0.1 / v)``, at most 1
        exactly on the calm range [0.1, 1]. A correct formula in 1/λ or log λ breaks
        down at λ = 1e-40 as surely as one in λ at 1e40."""
        if not v.size:
            return 0.0
        return float(max(np.max(v), 0.1 / np.min(v)))

    def scaled(self, inp, v, t):
        return v

    def fix(self, inp, v):
        v = np.where(v <= 0, 1.0, v)
        return np.where(v == 0, 1.0, v) if inp.nonzero else v

    def is_strength(self, inp):
        return not inp.dims

    def strength_changes(self, inp, name):
        if not self.is_strength(inp):
            return []
        return [("λ×2", f"{name} doubled", lambda v, i: 2.0 * v),
                ("λ/2", f"{name} halved", lambda v, i: 0.5 * v)]


class _Simplex(Kind):
    name = "simplex"
    varies = differentiable = counts_classes = label_like = True

    def draw(self, inp, shape, regimes, rng, *, classes=None):
        logits = draw_real(shape, regimes, rng)
        for regime, view in regime_views(logits, regimes):
            if regime in ("large", "mixed", "huge"):
                np.clip(view, -30.0, 30.0, out=view)  # keep entries representable (> 1e-26)
        z = np.exp(logits - logits.max(axis=-1, keepdims=True))
        return z / z.sum(axis=-1, keepdims=True)

    def strategy(self, inp, shape, regime, *, classes=None):
        from ._elements import float_arrays, real_elements

        def normalise(logits):
            if regime in ("large", "mixed"):
                logits = np.clip(logits, -30.0, 30.0)
            z = np.exp(logits - logits.max(axis=-1, keepdims=True))
            return z / z.sum(axis=-1, keepdims=True)

        return float_arrays(shape, real_elements(regime)).map(normalise)

    def reset_candidates(self, v):
        return [np.full_like(v, 1.0 / v.shape[-1])]

    def class_shift(self, inp, name, xp, class_count):
        return f"{name} rolled by one class", lambda v, i: xp.roll(v, 1, axis=-1)


class _OneHot(_Simplex):
    name = "one_hot"
    varies = differentiable = False

    def draw(self, inp, shape, regimes, rng, *, classes=None):
        k = shape[-1]
        idx = rng.integers(k, size=shape[:-1])
        return np.eye(k)[idx]

    def strategy(self, inp, shape, regime, *, classes=None):
        from hypothesis import strategies as st
        from hypothesis.extra import numpy as hnp

        from ._elements import fill_for

        k = shape[-1]
        return hnp.arrays(np.int64, shape[:-1], elements=st.integers(0, k - 1),
                          fill=fill_for(shape)).map(
            lambda idx: np.eye(k)[idx])

    def simplicity(self, v):
        return 0, 0, float(np.sum(np.argmax(v, axis=-1))) * 1e-3

    def reset_candidates(self, v):
        if not np.any(np.argmax(v, axis=-1)):
            return []
        u = np.zeros_like(v)
        u[..., 0] = 1.0
        return [u]


def _covering(v: np.ndarray, k: int) -> np.ndarray:
    """The simplest labels of ``v``'s shape holding every class: 0, 1, ..., k-1, then 0s."""
    u = np.zeros(v.size, dtype=v.dtype)
    u[:k] = np.arange(k)
    return u.reshape(v.shape)


def _cover(v: np.ndarray, k: int) -> np.ndarray:
    """``v`` with its first ``k`` labels set to 0, 1, ..., k-1 (if it has that many)."""
    u = np.array(v).reshape(-1)
    if u.size >= k:
        u[:k] = np.arange(k)
    return u.reshape(np.shape(v))


class _Labels(Kind):
    name = "labels"
    is_float = False

    def draw(self, inp, shape, regimes, rng, *, classes=None):
        v = rng.integers(classes, size=shape).astype(np.int64)
        if inp.all_classes:  # every class at random places of every example
            flat = v.reshape(shape[0], -1)
            at = np.argsort(rng.random(flat.shape), axis=1)[:, :classes]
            flat[np.arange(shape[0])[:, None], at] = np.arange(classes)
        return v

    def strategy(self, inp, shape, regime, *, classes=None):
        from hypothesis import strategies as st
        from hypothesis.extra import numpy as hnp

        from ._elements import fill_for

        values = hnp.arrays(np.int64, shape, elements=st.integers(0, classes - 1),
                            fill=fill_for(shape))
        if inp.all_classes:  # the first labels name every class once
            values = values.map(lambda v: _cover(v, classes))
        return values

    def simplicity(self, v):
        return 0, 0, float(np.sum(v)) * 1e-3

    def reset_candidates(self, v):
        return [np.zeros_like(v)] if np.any(v) else []

    def shrink_candidates(self, inp, v):
        if inp.all_classes:  # shrink only to labels that still hold every class
            simplest = _covering(v, int(np.max(v)) + 1)
            return [] if np.array_equal(simplest, v) else [(1, simplest)]
        return super().shrink_candidates(inp, v)

    def class_shift(self, inp, name, xp, class_count):
        return (f"{name} → ({name} + 1) mod {inp.classes}",
                lambda c, i: (c + 1) % class_count(i))


class _Binary(Kind):
    name = "binary"
    label_like = True

    def draw(self, inp, shape, regimes, rng, *, classes=None):
        return rng.integers(0, 2, size=shape).astype(np.float64)

    def strategy(self, inp, shape, regime, *, classes=None):
        from hypothesis import strategies as st
        from hypothesis.extra import numpy as hnp

        from ._elements import fill_for

        return hnp.arrays(np.float64, shape, elements=st.sampled_from([0.0, 1.0]),
                          fill=fill_for(shape))

    def reset_candidates(self, v):
        return [np.zeros_like(v)] if np.any(v) else []

    def complement(self, xp):
        return lambda v, i: 1.0 - v


#: Every input kind by name.
KINDS: dict[str, Kind] = {k.name: k for k in (_Real(), _Positive(), _Simplex(), _OneHot(),
                                               _Labels(), _Binary())}

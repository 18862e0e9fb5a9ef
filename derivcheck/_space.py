"""Input spaces: named arrays with symbolic shapes, and how to sample them.

A :class:`Space` maps input names to kinds (``real("N D")``, ``one_hot("N K")``,
...). Dimensions are shared by name. The space fixes a short list of *shape
buckets* (concrete dimension assignments, smallest first) so that the engine
compiles once per bucket, and draws whole batches of values with NumPy from a
seed, mixing value *regimes* (moderate, small integers, large magnitudes,
near-ties, exact zeros, tiny values, mixed scales) inside every batch.

Everything here is plain NumPy: no JAX import.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ._dims import axis_length, cover_classes, lowest, names_in
from ._inputs import (
    Input,
    SpaceError,
    binary,
    counts,
    labels,
    one_hot,
    positive,
    real,
    simplex,
)

__all__ = [
    "EXTREME_REGIMES",
    "REGIMES",
    "Input",
    "Space",
    "SpaceError",
    "binary",
    "counts",
    "labels",
    "one_hot",
    "positive",
    "real",
    "simplex",
]

#: Value regimes mixed into every batch. "moderate" comes first and twice, so
#: that every batch holds plenty of ordinary inputs.
REGIMES = (
    "moderate",
    "moderate",
    "integers",
    "large",
    "ties",
    "zeros",
    "tiny",
    "mixed",
)

#: The thorough profile adds magnitudes far past float64's exp() range.
EXTREME_REGIMES = REGIMES + ("huge",)

#: Default inclusive range of a dimension. Class-count dimensions (the last
#: axis of a one-hot matrix or simplex, ``classes=`` of labels) start at 2.
DEFAULT_DIM_RANGE = (1, 6)
DEFAULT_CLASS_RANGE = (2, 6)

#: The largest size of one dimension, and the most entries of one input (one
#: example: 128 MB of float64). The engine draws whole batches of examples, so
#: larger inputs would exhaust memory before the first check.
MAX_DIM = 4096
MAX_ENTRIES = 2**24

def _bytes(n: int) -> str:
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n} bytes"


def _class_dims(inputs: Mapping[str, Input]) -> set[str]:
    out = set()
    for inp in inputs.values():
        if inp.kind_object.counts_classes and inp.dims:
            out.add(inp.dims[-1])
        if inp.classes:
            out.add(inp.classes)
    return out


class Space:
    """Named inputs whose symbolic shapes share dimensions.

    Args:
      dims: optional overrides, each an ``int`` (fixed) or an inclusive
        ``(low, high)`` range, e.g. ``dims={"N": (1, 4), "K": 3}``.
      **inputs: the named inputs.

    Raises:
      SpaceError: if a dimension range is empty, a class dimension may be
        smaller than 2, or an input is not built by :func:`real` and friends.

    >>> space = Space(W=real("D K"), X=real("N D"), Y=one_hot("N K"))
    >>> space.bucket(0)
    {'D': 1, 'K': 2, 'N': 1}
    """

    def __init__(self, *, dims: Mapping[str, int | tuple[int, int]] | None = None,
                 **inputs: Input) -> None:
        if not inputs:
            raise SpaceError("a space needs at least one input, e.g. Space(x=real('D'))")
        for name, inp in inputs.items():
            if not isinstance(inp, Input):
                raise SpaceError(
                    f"input {name!r} is {inp!r}; declare it with dc.real(...), "
                    "dc.positive(...), dc.simplex(...), dc.one_hot(...), "
                    "dc.labels(...) or dc.binary(...)"
                )
        self.inputs: dict[str, Input] = dict(inputs)
        self._buckets: dict[int, dict[str, int]] = {}
        tokens = [d for i in inputs.values() for d in i.dims]
        names = sorted(names_in(tokens) | {i.classes for i in inputs.values() if i.classes})
        classes = _class_dims(inputs)
        self.ranges: dict[str, tuple[int, int]] = {}
        overrides = dict(dims or {})
        unknown = set(overrides) - set(names)
        if unknown:
            raise SpaceError(
                f"dims= names {sorted(unknown)} that no input uses (inputs use {names})"
            )
        for d in names:
            lo, hi = DEFAULT_CLASS_RANGE if d in classes else DEFAULT_DIM_RANGE
            if d in overrides:
                v = overrides[d]
                lo, hi = (v, v) if isinstance(v, int) else tuple(v)
            if not (isinstance(lo, int) and isinstance(hi, int)) or lo < 1 or hi < lo:
                raise SpaceError(f"dimension {d!r} has an empty or invalid range ({lo}, {hi})")
            if d in classes and lo < 2:
                raise SpaceError(
                    f"dimension {d!r} counts classes and must be at least 2, got ({lo}, {hi})"
                )
            self.ranges[d] = (lo, hi)
        for d, need in lowest(tokens).items():  # K-1 needs K >= 2
            lo, hi = self.ranges[d]
            if hi < need:
                raise SpaceError(f"dimension {d!r} is at most {hi}, but a shape uses it in an "
                                 f"expression that needs {d} ≥ {need}")
            self.ranges[d] = (max(lo, need), hi)
        #: (labels dims, class dimension) of the labels that cover every class
        self._cover = [(i.dims, i.classes) for i in inputs.values() if i.all_classes]
        for dims_, k in self._cover:
            top = cover_classes({**{d: hi for d, (_, hi) in self.ranges.items()},
                                 k: self.ranges[k][0]}, [], self.ranges)
            if int(np.prod([axis_length(t, top) for t in dims_])) < self.ranges[k][0]:
                raise SpaceError(f"labels of shape {' '.join(dims_)!r} cannot hold all "
                                 f"{self.ranges[k][0]} classes of {k}; allow larger dimensions")
        self._check_sizes()

    def _check_sizes(self) -> None:
        """Refuse dimensions whose inputs would not fit in memory, saying what to change."""
        for name, inp in self.inputs.items():
            top = {d: hi for d, (_, hi) in self.ranges.items()}
            sizes = [axis_length(d, top) for d in inp.dims]
            entries = int(np.prod(sizes, dtype=np.int64))
            big = [d for d, n in zip(inp.dims, sizes, strict=True) if n > MAX_DIM]
            if big or entries > MAX_ENTRIES:
                what = (f"dimension {big[0]} up to {axis_length(big[0], top)}" if big
                        else f"dimensions {inp.shape_string()!r} up to "
                             f"{' × '.join(str(n) for n in sizes)}")
                raise SpaceError(
                    f"{what} would make input {name!r} of {_bytes(entries * 8)} per example; "
                    f"keep every dimension ≤ {MAX_DIM} and every input ≤ {MAX_ENTRIES:,} "
                    f"entries, e.g. dims={{{(big or list(inp.dims))[0]!r}: (1, 64)}}")

    def __repr__(self) -> str:
        body = ", ".join(f"{k}={v!r}" for k, v in self.inputs.items())
        return f"Space({body})"

    def __contains__(self, name: str) -> bool:
        return name in self.inputs

    @property
    def names(self) -> list[str]:
        return list(self.inputs)

    # -- shapes ------------------------------------------------------------
    def bucket(self, index: int) -> dict[str, int]:
        """The dimension assignment of shape bucket ``index`` (0 is the smallest).

        Bucket 0 puts every dimension at its minimum. Later buckets grow and
        are drawn so that neighbouring dimensions tend to differ (a transposed
        result then has the wrong shape as well as the wrong values).
        """
        cached = self._buckets.get(index)
        if cached is None:
            cached = self._buckets[index] = self.constrain(self._make_bucket(index))
        return dict(cached)

    def constrain(self, dims: Mapping[str, int]) -> dict[str, int]:
        """``dims`` adjusted so that labels with ``all_classes=True`` can hold every class.

        >>> Space(y=labels("N", classes="K", all_classes=True)).constrain({"N": 1, "K": 4})
        {'N': 4, 'K': 4}
        """
        return cover_classes(dict(dims), self._cover, self.ranges)

    def bucket_in(self, index: int, count: int) -> dict[str, int]:
        """Bucket ``index`` of a profile of ``count`` buckets: the last puts every
        dimension at its declared maximum, the others are :meth:`bucket` (and
        ``index == count`` is the bucket the maximum displaced).

        >>> space = Space(X=real("N D"), dims={"N": (1, 100)})
        >>> space.bucket_in(0, 3), space.bucket_in(2, 3)
        ({'D': 1, 'N': 1}, {'D': 6, 'N': 100})
        """
        if count > 1 and index == count - 1:
            return self.constrain({d: hi for d, (_, hi) in self.ranges.items()})
        return self.bucket(count - 1 if index == count else index)

    def _make_bucket(self, index: int) -> dict[str, int]:
        if index == 0:
            return {d: lo for d, (lo, _) in self.ranges.items()}
        rng = np.random.default_rng([7919, index])
        caps = (0, 4, 5, 6, 8, 12, 16)
        cap = caps[min(index, len(caps) - 1)] + max(0, index - len(caps) + 1) * 4
        out = {}
        used: set[int] = set()
        for d, (lo, hi) in self.ranges.items():
            start = min(max(lo + 1, 2), hi)  # every bucket after 0 differs from it
            top = max(start, min(hi, cap))
            pool = list(range(start, top + 1))
            choices = [v for v in pool if v not in used] or pool
            v = int(choices[rng.integers(len(choices))]) if index > 1 else int(choices[0])
            used.add(v)
            out[d] = v
        return out

    def shape_of(self, name: str, bucket: Mapping[str, int]) -> tuple[int, ...]:
        """The shape of input ``name`` in a bucket (derived dimensions such as ``K-1`` included).

        >>> Space(b=real("K-1 D+1")).shape_of("b", {"K": 3, "D": 2})
        (2, 3)
        """
        return tuple(axis_length(d, bucket) for d in self.inputs[name].dims)

    # -- values ------------------------------------------------------------
    def draw(self, bucket: Mapping[str, int], *, seed: int, size: int,
             regimes: tuple[str, ...] = REGIMES, part: int = 0) -> dict[str, np.ndarray]:
        """Draw ``size`` inputs as one batch (leading axis), mixing the regimes.

        Input ``b`` of the batch follows regime ``regimes[b % len(regimes)]``.
        ``part`` numbers further, independent batches from the same seed.

        >>> space = Space(x=real("D"))
        >>> batch = space.draw({"D": 3}, seed=0, size=8)
        >>> batch["x"].shape
        (8, 3)
        """
        # SFC64 is the fastest of NumPy's bit generators; inputs need speed, not
        # cryptographic quality
        rng = np.random.Generator(np.random.SFC64(
            [int(seed) & 0xFFFFFFFF, 0x5EED] + ([int(part)] if part else [])))
        out = {}
        for name, inp in self.inputs.items():
            shape = self.shape_of(name, bucket)
            k = bucket[inp.classes] if inp.classes else None
            out[name] = inp.kind_object.draw(inp, (size, *shape), regimes, rng, classes=k)
        return out

    def calm(self, batch: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The calm version of a drawn batch: moderate reals, positives in [0.1, 1].

        Real entries become ``clip(v, -1, 1) / 2`` (nonzero ones kept off 0),
        positive ones ``clip(v, 0.1, 1)``; other kinds are left as drawn.

        >>> space = Space(x=real("D"), lam=positive())
        >>> calm = space.calm(space.draw({"D": 3}, seed=0, size=8, regimes=("large",)))
        >>> float(abs(calm["x"]).max()) <= 0.5, float(calm["lam"].max()) <= 1.0
        (True, True)
        """
        return {name: self.inputs[name].kind_object.calm(self.inputs[name], v)
                for name, v in batch.items()}

    def scaled(self, x: Mapping[str, np.ndarray], t: float) -> dict[str, np.ndarray]:
        """One input dict with its real inputs multiplied by ``t`` (the others as they are).

        >>> Space(x=real(), lam=positive()).scaled({"x": 4.0, "lam": 2.0}, 0.5)
        {'x': 2.0, 'lam': 2.0}
        """
        return {name: self.inputs[name].kind_object.scaled(self.inputs[name], v, t)
                for name, v in x.items()}

    def magnitude(self, x: Mapping[str, np.ndarray]) -> float:
        """The largest absolute entry of the real, positive and simplex inputs of ``x``.

        >>> Space(x=real("D"), y=binary("D")).magnitude(
        ...     {"x": np.array([1.0, -3.0]), "y": np.array([1.0, 1.0])})
        3.0
        """
        m = 0.0
        for name, inp in self.inputs.items():
            m = max(m, inp.kind_object.magnitude(np.asarray(x[name])))
        return m

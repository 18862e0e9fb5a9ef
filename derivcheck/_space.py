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

import dataclasses
import re
from collections.abc import Mapping

import numpy as np

from ._kinds import KINDS, Kind

__all__ = [
    "EXTREME_REGIMES",
    "REGIMES",
    "Input",
    "Space",
    "SpaceError",
    "binary",
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

_DIM_NAME = re.compile(r"^[A-Za-z_][A-Za-z_0-9]*$")


class SpaceError(ValueError):
    """A space is declared inconsistently (bad shape string, dimension range)."""


def _bytes(n: int) -> str:
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n} bytes"


def _parse_shape(shape: str) -> tuple[str, ...]:
    if not isinstance(shape, str):
        raise SpaceError(
            f"shape must be a string of dimension names such as 'N D', got {shape!r}"
        )
    dims = tuple(shape.split())
    for d in dims:
        if d.isdigit():
            continue
        if not _DIM_NAME.match(d):
            raise SpaceError(f"bad dimension name {d!r} in shape {shape!r}")
    return dims


@dataclasses.dataclass(frozen=True)
class Input:
    """One named input of a space: its kind, symbolic shape and options.

    Build inputs with :func:`real`, :func:`positive`, :func:`simplex`,
    :func:`one_hot`, :func:`labels` or :func:`binary` rather than directly.
    ``kind`` is the kind's name; what the kind does lives in
    :attr:`kind_object` (see ``_kinds.py``).
    """

    kind: str
    dims: tuple[str, ...]
    classes: str | None = None
    nonzero: bool = False

    @property
    def kind_object(self) -> Kind:
        """The :class:`~derivcheck._kinds.Kind` that draws, calms and shrinks this input."""
        return KINDS[self.kind]

    @property
    def is_float(self) -> bool:
        return self.kind_object.is_float

    @property
    def varies(self) -> bool:
        """Whether values of this input follow the value regimes."""
        return self.kind_object.varies

    @property
    def differentiable(self) -> bool:
        """Whether the input may be the ``wrt`` of a gradient or Jacobian.

        >>> real("D").differentiable, one_hot("K").differentiable
        (True, False)
        """
        return self.kind_object.differentiable

    def shape_string(self) -> str:
        return " ".join(self.dims)

    def __repr__(self) -> str:
        extra = f", classes={self.classes!r}" if self.classes else ""
        extra += ", nonzero=True" if self.nonzero else ""
        return f"{self.kind}({self.shape_string()!r}{extra})"


def real(shape: str = "", *, nonzero: bool = False) -> Input:
    """Real arrays of any rank (``""`` is a scalar).

    Args:
      shape: dimension names separated by spaces, e.g. ``"N D"``.
      nonzero: keep every entry away from zero (for subgradients of ``|w|``).

    >>> real("N D")
    real('N D')
    """
    return Input("real", _parse_shape(shape), nonzero=nonzero)


def positive(shape: str = "") -> Input:
    """Strictly positive reals, e.g. a regularization strength ``lam > 0``.

    >>> positive()
    positive('')
    """
    return Input("positive", _parse_shape(shape))


def simplex(shape: str) -> Input:
    """Probability vectors: positive entries summing to one over the last axis.

    >>> simplex("K")
    simplex('K')
    """
    dims = _parse_shape(shape)
    if not dims:
        raise SpaceError("simplex needs at least one dimension, e.g. simplex('K')")
    return Input("simplex", dims)


def one_hot(shape: str) -> Input:
    """One-hot label rows over the last axis (float64 zeros and ones).

    >>> one_hot("N K")
    one_hot('N K')
    """
    dims = _parse_shape(shape)
    if not dims:
        raise SpaceError("one_hot needs at least one dimension, e.g. one_hot('N K')")
    return Input("one_hot", dims)


def labels(shape: str, *, classes: str) -> Input:
    """Integer class labels in ``[0, classes)``.

    >>> labels("N", classes="K")
    labels('N', classes='K')
    """
    if not isinstance(classes, str) or not _DIM_NAME.match(classes):
        raise SpaceError(f"classes must name a dimension such as 'K', got {classes!r}")
    return Input("labels", _parse_shape(shape), classes=classes)


def binary(shape: str) -> Input:
    """Binary labels in {0, 1}, as float64.

    >>> binary("N")
    binary('N')
    """
    return Input("binary", _parse_shape(shape))


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
        names = sorted({d for i in inputs.values() for d in i.dims if not d.isdigit()}
                       | {i.classes for i in inputs.values() if i.classes})
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
        self._check_sizes()

    def _check_sizes(self) -> None:
        """Refuse dimensions whose inputs would not fit in memory, saying what to change."""
        for name, inp in self.inputs.items():
            entries = 1
            for d in inp.dims:
                entries *= int(d) if d.isdigit() else self.ranges[d][1]
            big = [d for d in inp.dims if not d.isdigit() and self.ranges[d][1] > MAX_DIM]
            if big or entries > MAX_ENTRIES:
                what = (f"dimension {big[0]} up to {self.ranges[big[0]][1]}" if big
                        else f"dimensions {inp.shape_string()!r} up to "
                             f"{' × '.join(str(self.ranges[d][1]) for d in inp.dims)}")
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
            cached = self._buckets[index] = self._make_bucket(index)
        return dict(cached)

    def bucket_in(self, index: int, count: int) -> dict[str, int]:
        """Bucket ``index`` of a profile of ``count`` buckets: the last puts every
        dimension at its declared maximum, the others are :meth:`bucket` (and
        ``index == count`` is the bucket the maximum displaced).

        >>> space = Space(X=real("N D"), dims={"N": (1, 100)})
        >>> space.bucket_in(0, 3), space.bucket_in(2, 3)
        ({'D': 1, 'N': 1}, {'D': 6, 'N': 100})
        """
        if count > 1 and index == count - 1:
            return {d: hi for d, (_, hi) in self.ranges.items()}
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
        return tuple(int(d) if d.isdigit() else bucket[d] for d in self.inputs[name].dims)

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

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

_DIM_NAME = re.compile(r"^[A-Za-z_][A-Za-z_0-9]*$")


class SpaceError(ValueError):
    """A space is declared inconsistently (bad shape string, dimension range)."""


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
    """

    kind: str
    dims: tuple[str, ...]
    classes: str | None = None
    nonzero: bool = False

    @property
    def is_float(self) -> bool:
        return self.kind in ("real", "positive", "simplex", "one_hot", "binary")

    @property
    def varies(self) -> bool:
        """Whether values of this input follow the value regimes."""
        return self.kind in ("real", "positive", "simplex")

    @property
    def differentiable(self) -> bool:
        """Whether a claim may differentiate with respect to this input (``wrt``)."""
        return self.kind in ("real", "positive", "simplex")

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
        if inp.kind in ("one_hot", "simplex") and inp.dims:
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
            out[name] = _draw_input(inp, (size, *shape), regimes, rng, classes=k)
        return out

    def calm(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The calm version of a drawn batch: real entries clipped into ±1 and
        halved (kept off 0 where ``nonzero``), positive ones into [0.1, 1].

        >>> space = Space(x=real("D"))
        >>> space.calm({"x": np.array([[4.0, -0.5]])})["x"].tolist()
        [[0.5, -0.25]]
        """
        out = dict(batch)
        for name, inp in self.inputs.items():
            if inp.kind == "real":
                v = np.clip(batch[name], -1.0, 1.0) * 0.5
                out[name] = np.where(v == 0, 0.25, v) if inp.nonzero else v
            elif inp.kind == "positive":
                out[name] = np.clip(batch[name], 0.1, 1.0)
        return out

    def scaled(self, x: dict[str, np.ndarray], t: float) -> dict[str, np.ndarray]:
        """One input with its real entries multiplied by ``t`` (a ray through ``x``).

        >>> Space(x=real("D"), p=positive()).scaled({"x": np.ones(2), "p": 2.0}, 0.5)["p"]
        2.0
        """
        return {k: v * t if self.inputs[k].kind == "real" else v for k, v in x.items()}


def _per_example(rng, shape, low, high):
    """One value per example (leading axis), broadcastable against ``shape``."""
    return rng.uniform(low, high, size=(shape[0],) + (1,) * (len(shape) - 1))


#: Half-width of the "moderate" values. Uniform on [-1.5, 1.5] keeps about
#: two thirds of the entries calm (within ±1), as a standard normal would, at a
#: quarter of the cost of drawing normals: medium inputs are tens of thousands
#: of floats, and drawing them would otherwise cost more than checking them.
MODERATE = 1.5

#: Decades of the "mixed" regime: each entry is a moderate mantissa times one
#: of these powers of ten.
_DECADES = 10.0 ** np.arange(-3, 3)


def _regime_views(arr: np.ndarray, regimes):
    """``(regime, view)`` pairs: example ``b`` follows ``regimes[b % len(regimes)]``.

    The views are strided slices, so transforming them in place fills ``arr``
    without gathering or scattering copies.
    """
    for r, regime in enumerate(regimes):
        view = arr[r::len(regimes)]
        if view.shape[0]:
            yield regime, view


def _real_in_place(u: np.ndarray, regime: str, rng) -> None:
    """Turn uniform numbers in [0, 1) into one regime's values, in place.

    Every regime starts from the same single uniform draw per entry (no
    normals, no per-entry powers), so an entry costs a few nanoseconds.
    """
    shape = u.shape
    if regime == "integers":
        u *= 7.0
        np.floor(u, out=u)
        u -= 3.0  # integers in [-3, 3]
        flat = u.reshape(shape[0], -1)
        if flat.shape[1] > 1:  # never a constant array
            same = np.flatnonzero(np.all(flat == flat[:, :1], axis=1))
            u[(same,) + (0,) * (len(shape) - 1)] += 1.0
        return
    if regime == "zeros":  # below 0.3: an exact zero; above: a moderate value
        zero = u < 0.3
        u -= 0.3
        u *= 2 * MODERATE / 0.7
        u -= MODERATE
        u[zero] = 0.0
        return
    if regime == "mixed":  # the integer part of 6u picks the decade, the fraction the mantissa
        u *= len(_DECADES)
        decade = u.astype(np.intp)
        u -= decade
        u *= 2 * MODERATE
        u -= MODERATE
        u *= _DECADES[decade]
        return
    u *= 2 * MODERATE
    u -= MODERATE  # moderate: uniform on [-MODERATE, MODERATE]
    if regime == "large":
        u *= 10.0 ** _per_example(rng, shape, 2.0, 2.9)
    elif regime == "ties":
        u *= 1e-7
        u += _per_example(rng, shape, -3.0, 3.0)
    elif regime == "tiny":
        u *= 1e-7
    elif regime == "huge":
        u *= 10.0 ** _per_example(rng, shape, 3.0, 5.0)
    elif regime != "moderate":
        raise AssertionError(regime)  # pragma: no cover - the regimes are closed


def _draw_real(shape, regimes, rng) -> np.ndarray:
    """Real values of ``shape = (size, *dims)``, example ``b`` in regime ``b % len``."""
    u = rng.random(size=shape)
    for regime, view in _regime_views(u, regimes):
        _real_in_place(view, regime, rng)
    return u


def _positive(shape, regime, rng) -> np.ndarray:
    if regime in ("large", "huge"):
        return 10.0 ** rng.uniform(1.0, 2.5 if regime == "large" else 4.0, size=shape)
    if regime == "tiny":
        return 10.0 ** rng.uniform(-7.0, -4.0, size=shape)
    if regime == "integers":
        return rng.integers(1, 4, size=shape).astype(np.float64)
    if regime == "ties":
        return np.exp(_per_example(rng, shape, -1.0, 1.0)) * (
            1.0 + rng.uniform(-MODERATE, MODERATE, size=shape) * 1e-7)
    return np.exp(rng.uniform(-MODERATE, MODERATE, size=shape))


def _draw_input(inp: Input, shape, regimes, rng, *, classes=None) -> np.ndarray:
    """A batch of ``shape = (size, *dims)`` values of one input."""
    if inp.kind == "real":
        v = _draw_real(shape, regimes, rng)
        if inp.nonzero:
            small = np.abs(v) < 1e-3
            v = np.where(small, np.where(v < 0, -1.0, 1.0) * (0.5 + rng.random(v.shape)), v)
        return v
    if inp.kind == "positive":
        v = np.empty(shape)
        for regime, view in _regime_views(v, regimes):
            view[...] = _positive(view.shape, regime, rng)
        return v
    if inp.kind == "simplex":
        logits = _draw_real(shape, regimes, rng)
        for regime, view in _regime_views(logits, regimes):
            if regime in ("large", "mixed", "huge"):
                np.clip(view, -30.0, 30.0, out=view)  # keep entries representable (> 1e-26)
        z = np.exp(logits - logits.max(axis=-1, keepdims=True))
        return z / z.sum(axis=-1, keepdims=True)
    if inp.kind == "one_hot":
        k = shape[-1]
        idx = rng.integers(k, size=shape[:-1])
        return np.eye(k)[idx]
    if inp.kind == "labels":
        return rng.integers(classes, size=shape).astype(np.int64)
    if inp.kind == "binary":
        return rng.integers(0, 2, size=shape).astype(np.float64)
    raise AssertionError(inp.kind)  # pragma: no cover

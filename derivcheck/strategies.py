"""Hypothesis strategies over a :class:`~derivcheck.Space`, for your own property tests.

The engine checks claims with whole vmapped batches; these strategies hand
out inputs of the same kinds, shapes and value regimes (moderate, small
integers, large magnitudes, near-ties, exact zeros, tiny values, mixed
scales) one at a time, built on :func:`hypothesis.extra.numpy.arrays`, so
that an ordinary ``@given`` test gets examples that shrink:

>>> import derivcheck as dc
>>> from derivcheck import strategies
>>> from hypothesis import given, settings
>>> space = dc.Space(x=dc.real("N D"), y=dc.one_hot("N K"))
>>> @settings(max_examples=5, deadline=None)
... @given(strategies.inputs(space))
... def test_rows_are_one_hot(inputs):
...     assert (inputs["y"].sum(axis=-1) == 1).all()
>>> test_rows_are_one_hot()

A failing example shrinks entry by entry: toward the smallest dimensions,
the first regime asked for ("moderate" by default), zeros and small
integers, class 0 and label 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from hypothesis import strategies as st

from ._space import REGIMES, Space

__all__ = ["REGIMES", "inputs", "shapes"]

_REGIME_NAMES = tuple(dict.fromkeys(REGIMES))


def _check_space(space) -> None:
    if not isinstance(space, Space):
        raise TypeError(
            f"expected a dc.Space, got {type(space).__name__}; build one with "
            "dc.Space(x=dc.real('D'), ...)")


def shapes(space: Space, *, buckets: int | None = None) -> st.SearchStrategy[dict[str, int]]:
    """Dimension assignments for ``space``, e.g. ``{"D": 3, "K": 2, "N": 1}``.

    Args:
      space: the input space whose dimension names are assigned.
      buckets: if given, only the first ``buckets`` shape buckets of the
        space (the assignments the engine compiles for, see
        :meth:`Space.bucket`); otherwise any assignment within every
        dimension's range.

    Returns:
      A strategy of dicts from dimension name to size; it shrinks to every
      dimension at its minimum.

    Raises:
      TypeError: ``space`` is not a :class:`~derivcheck.Space`.
      ValueError: ``buckets`` is less than 1.

    >>> import derivcheck as dc
    >>> from hypothesis import find
    >>> space = dc.Space(W=dc.real("D K"), y=dc.one_hot("K"))
    >>> find(shapes(space), lambda dims: True)  # the minimal assignment
    {'D': 1, 'K': 2}
    >>> find(shapes(space), lambda dims: dims["D"] > dims["K"])
    {'D': 3, 'K': 2}
    """
    _check_space(space)
    if buckets is not None:
        if not isinstance(buckets, int) or buckets < 1:
            raise ValueError(f"buckets must be a positive int, got {buckets!r}")
        return st.integers(0, buckets - 1).map(space.bucket)
    return st.fixed_dictionaries(
        {d: st.integers(lo, hi) for d, (lo, hi) in space.ranges.items()}).map(space.constrain)


def inputs(space: Space, *, bucket: int | Mapping[str, int] | None = None,
           regimes: Sequence[str] | None = None) -> st.SearchStrategy[dict[str, np.ndarray]]:
    """One input dict for ``space`` per example: name → NumPy array (float64, labels int64).

    Each array comes from :func:`hypothesis.extra.numpy.arrays` with entries
    drawn in one value regime per example, so one-hot rows are one-hot,
    simplex rows sum to one, positive inputs are positive, and a failing
    example shrinks to simple values.

    Args:
      space: the input space.
      bucket: ``None`` for any dimension assignment (see :func:`shapes`),
        an ``int`` for that shape bucket of the space, or a dict fixing
        every dimension, e.g. ``{"D": 3, "K": 2}``.
      regimes: value regimes to draw from (default: all of
        :data:`REGIMES`); examples shrink toward the first.

    Returns:
      A strategy of dicts from input name to array.

    Raises:
      TypeError: ``space`` is not a :class:`~derivcheck.Space`.
      ValueError: an unknown regime, or a ``bucket`` dict that misses a
        dimension of the space.

    >>> import derivcheck as dc
    >>> space = dc.Space(w=dc.real("D"), lam=dc.positive())
    >>> from hypothesis import find
    >>> x = find(inputs(space, bucket={"D": 3}, regimes=["large"]), lambda x: True)
    >>> x["w"].shape, x["w"].dtype, bool(x["lam"] > 0), bool(abs(x["w"]).max() > 10)
    ((3,), dtype('float64'), True, True)
    >>> find(inputs(space, regimes=["moderate"]), lambda x: (x["w"] > 0.5).any())["w"]
    array([1.])
    """
    _check_space(space)
    chosen = tuple(dict.fromkeys(regimes)) if regimes is not None else _REGIME_NAMES
    unknown = [r for r in chosen if r not in _REGIME_NAMES]
    if unknown or not chosen:
        raise ValueError(
            f"unknown regimes {unknown}; choose from {', '.join(_REGIME_NAMES)}"
            if unknown else "regimes must name at least one regime")
    if bucket is None:
        dims = shapes(space)
    elif isinstance(bucket, int) and not isinstance(bucket, bool):
        if bucket < 0:
            raise ValueError(f"bucket index must be >= 0, got {bucket}")
        dims = st.just(space.bucket(bucket))
    elif isinstance(bucket, Mapping):
        missing = sorted(set(space.ranges) - set(bucket))
        if missing:
            raise ValueError(
                f"bucket {dict(bucket)!r} misses dimensions {missing} of the space "
                f"(it uses {sorted(space.ranges)})")
        dims = st.just({d: int(bucket[d]) for d in space.ranges})
    else:
        raise TypeError(f"bucket must be None, an int or a dict of sizes, got {bucket!r}")

    def values(args) -> st.SearchStrategy[dict[str, np.ndarray]]:
        assignment, regime = args
        return st.fixed_dictionaries({
            name: inp.kind_object.strategy(
                inp, space.shape_of(name, assignment), regime,
                classes=assignment[inp.classes] if inp.classes else None)
            for name, inp in space.inputs.items()})

    return st.tuples(dims, st.sampled_from(chosen)).flatmap(values)

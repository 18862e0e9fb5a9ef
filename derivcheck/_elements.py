"""Hypothesis strategies for the entries of one input, per value regime.

They mirror the regimes of the engine's NumPy drawing (``_kinds.py``) but
are built from Hypothesis' own strategies, so that a failing example shrinks
entry by entry toward zeros, small integers and the smallest shapes. The
kinds in ``_kinds.py`` pick from them; :mod:`derivcheck.strategies` puts them
together.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ._regimes import MODERATE

__all__ = ["fill_for", "float_arrays", "positive_elements", "real_elements"]

_F = {"allow_nan": False, "allow_infinity": False}


def _signed(low: float, high: float) -> st.SearchStrategy[float]:
    """``±[low, high]``, shrinking to ``+low``."""
    return st.tuples(st.floats(low, high, **_F), st.booleans()).map(
        lambda mb: -mb[0] if mb[1] else mb[0])


def real_elements(regime: str) -> st.SearchStrategy[st.SearchStrategy[float]]:
    """A strategy of element strategies: ``ties`` first draws the shared value."""
    if regime == "integers":
        return st.just(st.integers(-3, 3).map(float))
    if regime == "large":
        return st.just(_signed(100.0, MODERATE * 10 ** 2.9))
    if regime == "ties":
        return st.floats(-3.0, 3.0, **_F).map(
            lambda c: st.floats(-MODERATE, MODERATE, **_F).map(lambda e: c + 1e-7 * e))
    if regime == "zeros":
        return st.just(st.one_of(st.just(0.0), st.floats(-MODERATE, MODERATE, **_F)))
    if regime == "tiny":
        return st.just(st.floats(-MODERATE * 1e-7, MODERATE * 1e-7, **_F))
    if regime == "mixed":
        return st.just(st.tuples(st.floats(-MODERATE, MODERATE, **_F),
                                 st.sampled_from([10.0 ** k for k in range(-3, 3)]))
                       .map(lambda md: md[0] * md[1]))
    return st.just(st.floats(-MODERATE, MODERATE, **_F))


def positive_elements(regime: str) -> st.SearchStrategy[st.SearchStrategy[float]]:
    """Strictly positive entries in the regime's range (as the engine draws them)."""
    if regime == "large":
        return st.just(st.floats(10.0, 10 ** 2.5, **_F))
    if regime == "tiny":
        return st.just(st.floats(1e-7, 1e-4, **_F))
    if regime == "integers":
        return st.just(st.integers(1, 3).map(float))
    if regime == "ties":
        return st.floats(math.exp(-1.0), math.exp(1.0), **_F).map(
            lambda c: st.floats(-MODERATE, MODERATE, **_F).map(lambda e: c * (1 + 1e-7 * e)))
    return st.just(st.floats(math.exp(-MODERATE), math.exp(MODERATE), **_F))


#: Arrays up to this many entries draw every entry on its own, so that each one
#: shrinks on its own; larger ones let Hypothesis fill most entries with one
#: drawn value, which keeps big examples cheap.
_EACH_ENTRY = 256


def fill_for(shape: tuple[int, ...]) -> st.SearchStrategy | None:
    """The ``fill=`` argument of :func:`hypothesis.extra.numpy.arrays` for ``shape``."""
    return st.nothing() if math.prod(shape) <= _EACH_ENTRY else None


def float_arrays(shape: tuple[int, ...],
                 elements: st.SearchStrategy[st.SearchStrategy[float]]
                 ) -> st.SearchStrategy[np.ndarray]:
    """float64 arrays of ``shape`` whose entries come from one drawn element strategy."""
    return elements.flatmap(
        lambda el: hnp.arrays(np.float64, shape, elements=el, fill=fill_for(shape)))

"""Value regimes: how the engine turns uniform random numbers into real inputs.

Every batch mixes the regimes (moderate, small integers, large magnitudes,
near-ties, exact zeros, tiny values, mixed scales): example ``b`` of a batch
follows ``regimes[b % len(regimes)]``. Plain NumPy.
"""

from __future__ import annotations

import numpy as np

__all__ = ["MODERATE", "draw_real", "per_example", "regime_views"]

#: Half-width of the "moderate" values. Uniform on [-1.5, 1.5] keeps about
#: two thirds of the entries calm (within ±1), as a standard normal would, at a
#: quarter of the cost of drawing normals: medium inputs are tens of thousands
#: of floats, and drawing them would otherwise cost more than checking them.
MODERATE = 1.5

#: Decades of the "mixed" regime: each entry is a moderate mantissa times one
#: of these powers of ten.
_DECADES = 10.0 ** np.arange(-3, 3)

def per_example(rng, shape, low, high):
    """One value per example (leading axis), broadcastable against ``shape``."""
    return rng.uniform(low, high, size=(shape[0],) + (1,) * (len(shape) - 1))


def regime_views(arr: np.ndarray, regimes):
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
        u *= 10.0 ** per_example(rng, shape, 2.0, 2.9)
    elif regime == "ties":
        u *= 1e-7
        u += per_example(rng, shape, -3.0, 3.0)
    elif regime == "tiny":
        u *= 1e-7
    elif regime == "huge":
        u *= 10.0 ** per_example(rng, shape, 3.0, 5.0)
    elif regime != "moderate":
        raise AssertionError(regime)  # pragma: no cover - the regimes are closed


def draw_real(shape, regimes, rng) -> np.ndarray:
    """Real values of ``shape = (size, *dims)``, example ``b`` in regime ``b % len``."""
    u = rng.random(size=shape)
    for regime, view in regime_views(u, regimes):
        _real_in_place(view, regime, rng)
    return u

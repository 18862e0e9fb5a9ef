"""How precise a function's values are: the noise finite differences must allow for.

``eps`` is the relative precision of ``f``'s values, in units where the noise
of one value is ``NOISE_ULPS·eps·(size of f's terms)``: float64's epsilon for
ordinary NumPy code, float32's for code that returns float32 or whose values
lie on the float32 grid, and measured by :func:`precision` for code that
computes in low precision inside and returns float64 off any grid. Pure NumPy.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["NOISE_ULPS", "extended_gap", "precision"]

#: Evaluation noise of ``f`` in units of its eps times ``max|f|``: a function of
#: many operations carries more than one rounding error.
NOISE_ULPS = 8.0

_EPS = float(np.finfo(np.float64).eps)


def _eps_of(value) -> float:
    dtype = np.asarray(value).dtype
    return float(np.finfo(dtype).eps) if np.issubdtype(dtype, np.floating) else _EPS


def _grid_eps(*values: np.ndarray) -> float:
    """The epsilon of the narrowest float type (float16, float32) that holds every
    informative value exactly, else 0: a function that computes in low precision
    and returns float64 (or a Python float) still shows that precision's grid,
    even where it is flat at the steps probed. Values with a mantissa of at most
    4 bits (0, 1, 0.75, ...) tell nothing and are left out; with none left, 0.

    >>> _grid_eps(np.array(0.6931471805599453)), _grid_eps(np.array(0.69287109375))
    (0.0, 0.0009765625)
    >>> _grid_eps(np.array([1.0, 0.5, 0.0]))
    0.0
    """
    flat = np.concatenate([np.ravel(np.asarray(v, dtype=np.float64)) for v in values])
    mantissa = np.frexp(flat[np.isfinite(flat)])[0] * 16
    flat = flat[np.isfinite(flat)][mantissa != np.round(mantissa)]
    if not flat.size:
        return 0.0
    for low in (np.float16, np.float32):
        with np.errstate(all="ignore"):
            if np.all(flat.astype(low).astype(np.float64) == flat):
                return float(np.finfo(low).eps)
    return 0.0


def _call(f: Callable, x: np.ndarray) -> np.ndarray:
    return np.asarray(f(x), dtype=np.float64)


def _call_near(f: Callable, x: np.ndarray, shape: tuple) -> np.ndarray:
    """``f`` at a probe point; NaN where it fails there (a step out of its domain)."""
    try:
        with np.errstate(all="ignore"):
            out = _call(f, x)
    except Exception:  # noqa: BLE001 - f at x itself ran; a probe point may be outside its domain
        return np.full(shape, np.nan)
    return out if out.shape == shape else np.full(shape, np.nan)


def precision(f: Callable, x, v, *, spacing: float = 1e-5) -> float:
    """The relative precision of ``f``'s values near ``x``, measured.

    Evaluates ``f`` at seven unevenly spaced points ``x + tᵢ·δ·v`` and fits a
    cubic through them by least squares: for a smooth ``f`` the residuals are 0
    up to ``f⁗δ⁴`` and rounding, so their size relative to ``f``'s terms is the
    precision of its values. A function that computes in float32 and returns
    float64 shows float32's rounding there. Uneven spacing keeps the float32
    grid from lining up with the points (evenly spaced values of a quantized
    function can fall on a straight line). Returns at least the epsilon of the
    dtype ``f`` returns, in the units of ``eps`` (the noise is
    ``NOISE_ULPS·eps`` relative).

    >>> x, v = np.linspace(-1, 1, 5), np.ones(5)
    >>> precision(lambda x: np.sin(x).sum(), x, v) < 1e-14
    True
    >>> precision(lambda x: float(np.sin(x.astype(np.float32)).sum()), x, v) > 1e-9
    True
    """
    raw0 = f(np.asarray(x, dtype=np.float64))
    base = _eps_of(raw0)
    near = _near(x, v, spacing)
    if near is None:
        return base
    points, step = near
    vals = np.stack([_call_near(f, p, np.shape(raw0)) for p in points])
    if not np.all(np.isfinite(vals)):
        return base
    base = max(base, _grid_eps(vals))
    flat = vals.reshape(len(_OFFSETS), -1)
    basis = np.vander(_OFFSETS, 4)
    resid = flat - basis @ np.linalg.lstsq(basis, flat, rcond=None)[0]
    return max(base, _in_eps(flat, np.abs(resid), step))


#: Where :func:`precision` evaluates, in units of its spacing: uneven on purpose.
_OFFSETS = np.array([-3.0, -2.1, -1.3, 0.0, 0.7, 1.9, 3.1])


def _near(x, v, spacing: float) -> tuple[list[np.ndarray], float] | None:
    """The points ``x + tᵢ·δ·v`` (``tᵢ`` the offsets) and ``δ / max(1, max|x|)`` (the
    offsets' unit against the size of ``x``); None for a zero direction."""
    x = np.asarray(x, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    vmax = float(np.max(np.abs(v))) if v.size else 0.0
    if vmax == 0.0:
        return None
    xscale = max(1.0, float(np.max(np.abs(x)))) if x.size else 1.0
    delta = spacing * xscale / vmax
    return [x + t * delta * v for t in _OFFSETS], delta / xscale


def _in_eps(flat: np.ndarray, noise: np.ndarray, step: float) -> float:
    """The largest ``noise`` (offsets × outputs) relative to the size of ``f``'s terms
    (``flat``'s values, or slope × |x|, as :func:`directional` sizes them), in units of
    ``eps`` (``directional`` takes the noise to be ``NOISE_ULPS·eps``)."""
    slope = np.abs(flat[-1] - flat[0]) / ((_OFFSETS[-1] - _OFFSETS[0]) * step)
    size = np.maximum(np.max(np.abs(flat), axis=0), slope)
    with np.errstate(all="ignore"):
        rel = np.where(size > 0, 2.0 * np.max(noise, axis=0) / size, 0.0)
    return float(np.max(rel)) / NOISE_ULPS if rel.size else 0.0


def extended_gap(f: Callable, x, v, *, spacing: float = 1e-5) -> float:
    """The precision of ``f``'s float64 values near ``x``, measured against ``f`` itself
    run in extended precision (``np.longdouble``, 64 mantissa bits on x86): 0.0
    where that tells nothing (``f`` casts back to float64, fails on such
    arrays, or the platform's long double is float64). In the units of
    :func:`precision`.

    Rounding that cancels (``log(1 - σ(z))`` at a large ``z`` keeps a few digits)
    puts the float64 values far from the extended ones, even where they move in
    steps too flat for :func:`precision`'s fit to see.

    >>> x, v = np.array([30.0]), np.array([1.0])
    >>> extended_gap(lambda x: np.log(1 - 1 / (1 + np.exp(-x))).sum(), x, v) > 1e-6
    True
    >>> extended_gap(lambda x: np.log1p(np.exp(-x)).sum(), x, v) < 1e-15
    True
    """
    near = _near(x, v, spacing)
    if np.finfo(np.longdouble).eps >= _EPS or near is None:
        return 0.0
    points, step = near
    lows, gaps = [], []
    for p in points:
        try:
            with np.errstate(all="ignore"):
                low = _call(f, p)
                high = np.asarray(f(p.astype(np.longdouble)))
        except Exception:  # noqa: BLE001 - code that takes float64 only tells nothing
            return 0.0
        if high.dtype != np.longdouble or high.shape != low.shape:
            return 0.0
        with np.errstate(all="ignore"):
            gaps.append(np.abs(low - high).astype(np.float64))
        lows.append(low)
    flat, gap = np.stack(lows).reshape(len(_OFFSETS), -1), np.stack(gaps).reshape(len(_OFFSETS), -1)
    if not (np.all(np.isfinite(flat)) and np.all(np.isfinite(gap))):
        return 0.0
    return _in_eps(flat, gap, step)

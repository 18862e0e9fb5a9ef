"""Second differences with an error estimate: ``uᵀ H v`` for Hessian checks.

The same Richardson machinery as :mod:`derivcheck._fd`, on second differences
(even in ``h``), with the rounding error ``4ν / h²``. Pure NumPy; no JAX. At a
kink second derivatives do not exist, no step converges, and the error is
``inf``: no verdict there.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from ._fd import (
    BASE_STEP,
    MAX_ROWS,
    NOISE_ULPS,
    PATIENCE,
    RATIO,
    SAFETY,
    TARGET,
    _Best,
    _call_near,
    _eps_of,
    _Table,
)

__all__ = ["Estimate", "second_directional"]


@dataclasses.dataclass(frozen=True)
class Estimate:
    """A finite-difference estimate, its error estimate and its cost.

    Attributes:
        value: The extrapolated estimate (shape of ``f``'s output).
        error: Per element, an estimate of ``|value − truth|``; ``inf`` where no
            step converged (a kink, where second derivatives do not exist).
        evaluations: How many times ``f`` was called.
    """

    value: np.ndarray
    error: np.ndarray
    evaluations: int


def second_directional(f: Callable, x, u, v=None, *, eps: float | None = None,
                       max_step: float | None = None) -> Estimate:
    """Estimate ``uᵀ H v`` (``H`` the Hessian of ``f`` at ``x``; ``v`` defaults to ``u``).

    Second differences ``(f(x + hu) − 2f(x) + f(x − hu)) / h²``, or the mixed
    ``(f(x+hu+hv) − f(x+hu−hv) − f(x−hu+hv) + f(x−hu−hv)) / 4h²``, are
    extrapolated in ``h²`` exactly as :func:`directional` does, with the
    rounding error ``4ν / h²``.

    >>> e = second_directional(lambda x: (x ** 3).sum(), np.array([1.0, 2.0]),
    ...                        np.array([1.0, 0.0]), np.array([1.0, 1.0]))
    >>> round(float(e.value), 8), bool(e.error < 1e-6)
    (6.0, True)
    """
    x = np.asarray(x, dtype=np.float64)
    u = np.asarray(u, dtype=np.float64)
    v = None if v is None else np.asarray(v, dtype=np.float64)
    raw0 = f(x)
    f0 = np.asarray(raw0, dtype=np.float64)
    eps = _eps_of(raw0) if eps is None else eps
    reach = float(np.max(np.abs(u))) + (float(np.max(np.abs(v))) if v is not None else 0.0)
    if reach == 0.0 or x.size == 0:
        return Estimate(np.zeros_like(f0), np.zeros_like(f0), 1)
    xscale = max(1.0, float(np.max(np.abs(x))))
    h = 4 * BASE_STEP * xscale / reach
    if max_step is not None:
        h = min(h, max_step)
    table, best, calls, stale = _Table((2,), f0.ndim), _Best(np.zeros((1,) + f0.shape)), 1, 0
    for _ in range(MAX_ROWS):
        if v is None:
            pts = [x + h * u, x - h * u]
        else:
            pts = [x + h * (u + v), x + h * (u - v), x - h * (u - v), x - h * (u + v)]
        vals = [_call_near(f, p, f0.shape) for p in pts]
        calls += len(pts)
        if not all(np.all(np.isfinite(val)) for val in vals):
            table = _Table((2,), f0.ndim)
            h /= RATIO
            continue
        size = np.max(np.abs(np.stack([f0, *vals])), axis=0)
        noise = NOISE_ULPS * eps * size
        if v is None:
            raw = (vals[0] - 2 * f0 + vals[1]) / h ** 2
        else:
            raw = (vals[0] - vals[1] - vals[2] + vals[3]) / (4 * h ** 2)
        improved = best.update(table.add(raw[None], (4 * noise / h ** 2)[None]), raw[None])
        known = bool(np.isfinite(best.error).all())
        stale = stale + 1 if known and not improved.any() else 0
        value, error = best.value[0], best.error[0]
        enough = np.maximum(TARGET * np.maximum(np.abs(value), np.abs(value).max()),
                            SAFETY * RATIO ** 2 * 4 * noise / h ** 2)
        if known and ((error <= enough).all() or stale >= PATIENCE):
            break
        h /= RATIO
    return Estimate(best.value[0], best.error[0], calls)

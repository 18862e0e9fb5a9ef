"""Finite differences with an error estimate: the oracle for code JAX cannot trace.

Pure NumPy; no JAX. :func:`directional` estimates the derivative of ``f`` at
``x`` along a direction ``v`` (``J v`` for an array-valued ``f``), the way
``jax.test_util.check_grads`` and PyTorch's ``gradcheck`` (fast mode) probe a
function along random directions, but it also says how far off its estimate
may be, and whether ``f`` has a kink at ``x``:

- Central differences ``D(h) = (f(x + h v) − f(x − h v)) / 2h`` at steps
  ``h0, h0/2, h0/4, …`` are extrapolated to ``h → 0`` with Richardson's
  scheme (Neville's table, ``D = D(h) + c₂h² + c₄h⁴ + …``, up to
  :data:`ORDER` eliminated terms).
- Each entry's error estimate is the distance to its neighbours in the table
  (the truncation error) plus its rounding error, propagated from
  ``ν / h`` per difference, with ``ν = NOISE_ULPS·eps·max(|f|, |x|·|f'|)``:
  the size of ``f``'s terms, not of its value, which may cancel. An entry
  counts only where the raw estimates converge as the theory says (see
  :class:`_Table`). The entry with the smallest error over all steps is kept,
  per output element, so the step adapts to how fast ``f`` varies, and the
  reported error is :data:`SAFETY` times its estimate.
- The same evaluations give the one-sided derivatives ``right =
  lim (f(x + t v) − f(x)) / t`` and ``left = lim (f(x) − f(x − t v)) / t``
  (Richardson on ``h, h², …``). When they disagree by far more than their own
  error estimates, ``f`` has a kink at ``x`` along ``v`` and any value between
  them is a valid directional subgradient (``|x|`` at 0 gives −1 and +1).
- A step that leaves ``f``'s domain (a non-finite value or an exception)
  restarts the table at smaller steps. Where no step converges (a kink closer
  to ``x`` than the smallest step, 1e-7), the error is ``inf``: no verdict.
- ``eps`` is the precision of ``f``'s values: float64's unless ``f`` returns
  float32, or its values lie on the float32 (float16) grid. A function that
  computes in float32 inside and returns float64 off that grid looks ten
  million times more accurate than it is; :func:`derivcheck._fd_noise.precision` measures its real
  precision from seven nearby values, and the engine passes it on.

Accuracy floor, measured on smooth functions (sin, exp, a polynomial, log1p,
tanh with a vector output, softmax cross-entropy and the logistic loss; 200
random points in [−2, 2] and random normal directions each; ``tests/test_fd.py``
asserts 1e-10 and the bound on 60 of them): the error of ``D`` relative to the
size of the probe ``Σᵢ|Jᵢ vᵢ|`` was at most 1.4e-11 (median 6e-14), with 13
evaluations of ``f`` per probe (median; 23 at most), and the error estimate bounded the
true error every time (the true error was at most 0.07 of the estimate).
Rounding sets the floor: about ``8·eps·max|f| / h`` with ``h ≈ 1e-2``, so a
loss whose value is 10⁶ times its directional derivative is known to about
1e-7 relative, and its error estimate says so. A float32 function is known to
about 1e-6 relative (1.5e-4 at worst on ``3·Σ sin x``): its steps start larger,
by ``(eps / eps₆₄)^(1/7)``. Second directional
derivatives (:func:`derivcheck._fd_second.second_directional`, for Hessians) reached 1e-11 of the
size of ``Σ|uᵢ Hᵢⱼ vⱼ|`` on the logistic loss, with their estimate bounding the
error likewise.

>>> import numpy as np
>>> d = directional(np.sin, np.array(0.5), np.array(1.0))
>>> bool(abs(d.value - np.cos(0.5)) < 1e-12), bool(d.kink)
(True, False)
>>> k = directional(np.abs, np.array(0.0), np.array(1.0))
>>> float(k.left), float(k.right), bool(k.kink)
(-1.0, 1.0, True)
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator
from contextvars import ContextVar

import numpy as np

from ._fd_noise import _EPS, NOISE_ULPS, _call, _call_near, _eps_of, _grid_eps

__all__ = ["Directional", "directional", "first_step", "gradient", "random_direction"]

#: First step, per unit of ``max(1, max|x|)`` (divided by ``max|v|``).
BASE_STEP = 0.02
_first: ContextVar[float] = ContextVar("first_step", default=BASE_STEP)


@contextlib.contextmanager
def first_step(base: float) -> Iterator[None]:
    """:func:`directional` starts at ``base`` instead of :data:`BASE_STEP` inside the
    block: near a kink a known distance away, the steps stay on its side."""
    token = _first.set(base)
    try:
        yield
    finally:
        _first.reset(token)
#: Steps shrink by this ratio from one row of the table to the next.
RATIO = 2.0
#: Most rows: steps go down to ``BASE_STEP / 2**(MAX_ROWS - 1)``, about 1e-7.
MAX_ROWS = 20
#: Highest number of error terms Richardson eliminates.
ORDER = 3
#: The reported error is this multiple of the best entry's estimate: picking
#: the smallest estimate over the steps favours ones that are low by chance.
SAFETY = 4.0
#: In the asymptotic regime each step's raw estimate moves by ``RATIO**-p``
#: (1/4 central, 1/2 one-sided) of the move before; this is the most allowed.
CONVERGENCE = 0.75
#: Stop as soon as every element is known to this relative accuracy.
TARGET = 1e-13
#: Stop after this many rows without improvement (rounding dominates).
PATIENCE = 3
#: One-sided derivatives that differ by more than their combined error
#: estimate (and by :data:`KINK_REL` relative) mark a kink; the steps go on
#: until the gap exceeds this many times that estimate, or the estimate is
#: below :data:`KINK_REL`.
KINK_FACTOR = 10.0
KINK_REL = 1e-7



@dataclasses.dataclass(frozen=True)
class Directional:
    """A finite-difference directional derivative and how well it is known.

    Attributes:
        value: The central, extrapolated estimate of ``J v`` (shape of ``f``'s
            output). Where ``kink`` holds it is the midpoint of the one-sided values.
        error: Per element, an estimate of ``|value − J v|`` (truncation plus
            rounding). ``inf`` where no step gave a finite estimate.
        left: ``lim (f(x) − f(x − t v)) / t`` for ``t → 0⁺``.
        right: ``lim (f(x + t v) − f(x)) / t`` for ``t → 0⁺``.
        side_error: Per element, the larger error estimate of ``left`` and ``right``.
        kink: Per element, whether ``left`` and ``right`` disagree beyond their errors.
        step: The largest step used, in units of ``v``.
        evaluations: How many times ``f`` was called.
    """

    value: np.ndarray
    error: np.ndarray
    left: np.ndarray
    right: np.ndarray
    side_error: np.ndarray
    kink: np.ndarray
    step: float
    evaluations: int

    def accepts(self, claimed, *, margin: float = 1.0) -> np.ndarray:
        """Per element: is ``claimed`` (a claimed ``J v``) consistent with this estimate?

        Smooth elements accept ``|claimed − value| ≤ margin·error``; at a kink any
        value within ``margin·side_error`` of ``[min(left, right), max(left, right)]``.

        >>> d = directional(np.abs, np.array(0.0), np.array(1.0))
        >>> bool(d.accepts(0.3)), bool(d.accepts(-1.0)), bool(d.accepts(2.0))
        (True, True, False)
        """
        c = np.asarray(claimed, dtype=np.float64)
        smooth = np.abs(c - self.value) <= margin * self.error
        lo = np.minimum(self.left, self.right) - margin * self.side_error
        hi = np.maximum(self.left, self.right) + margin * self.side_error
        return np.where(self.kink, (c >= lo) & (c <= hi), smooth)


class _Table:
    """Neville's tables for ``T(h) = T₀ + Σ c_j h^(p·j)``, kept row by row.

    Several tables run side by side, stacked on a leading axis, one power
    ``p`` each (2 for central differences, 1 for one-sided ones), so one row
    costs one pass of NumPy operations for all of them.

    An extrapolated entry is trusted only where the raw estimates it combines
    behave asymptotically: each difference between successive steps at most
    :data:`CONVERGENCE` times the one before (``RATIO**-p`` in theory), or at the
    rounding level. Elsewhere (a kink within the step, a step too large for
    how fast ``f`` varies) its error is ``inf``.
    """

    def __init__(self, powers: tuple[int, ...], ndim: int) -> None:
        shape = (len(powers),) + (1,) * ndim
        self.factors = [np.reshape([RATIO ** (p * j) for p in powers], shape)
                        for j in range(1, ORDER + 1)]
        self.prev: list[tuple[np.ndarray, np.ndarray]] = []
        self.last_diff: np.ndarray | None = None
        self.converging: list[np.ndarray] = []  # per row (newest last)

    def add(self, value: np.ndarray, rounding: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Add the estimates at the next (smaller) step; return the row's best and its error."""
        if self.prev:
            diff = np.abs(value - self.prev[0][0])
            ok = diff <= 8.0 * rounding
            if self.last_diff is not None:
                ok |= diff <= CONVERGENCE * self.last_diff
            self.converging.append(ok)
            self.last_diff = diff
        row = [(value, rounding)]
        for j, fac in enumerate(self.factors[:len(self.prev)]):
            (a, ra), (b, rb) = row[j], self.prev[j]
            row.append((a + (a - b) / (fac - 1.0), (fac * ra + rb) / (fac - 1.0)))
        best, err = row[0][0], np.full(value.shape, np.inf)
        trusted = None
        for j in range(1, len(row)):
            ok = self.converging[-j]
            trusted = ok if trusted is None else trusted & ok
            t, r = row[j]
            trunc = np.abs(t - row[j - 1][0])
            if j < len(self.prev):
                trunc += np.abs(t - self.prev[j][0])
            e = np.where(trusted, trunc + r, np.inf)
            take = e <= err
            best, err = np.where(take, t, best), np.where(take, e, err)
        self.prev = row
        return best, SAFETY * err + NOISE_ULPS * _EPS * np.abs(best)


def directional(f: Callable, x, v, *, step: float | None = None,
                max_step: float | None = None, eps: float | None = None) -> Directional:
    """Estimate the derivative of ``f`` at ``x`` along ``v``, with its error and kinks.

    Args:
        f: A function of one array (the shape of ``x``) returning an array or scalar.
        x: The point.
        v: The direction, the shape of ``x``.
        step: The first step (default ``BASE_STEP·max(1, max|x|) / max|v|``).
        max_step: An upper bound on the first step, e.g. the distance from ``x``
            to the edge of ``f``'s domain.
        eps: The relative precision of ``f``'s values (default: the machine
            epsilon of the dtype ``f`` returns). A function that computes in
            float32 inside but returns float64 needs ``eps`` from
            :func:`derivcheck._fd_noise.precision`.

    Returns:
        A :class:`Directional`.

    >>> d = directional(lambda x: (x ** 3).sum(), np.array([1.0, 2.0]), np.array([1.0, -1.0]))
    >>> round(float(d.value), 9), bool(d.error < 1e-9)
    (-9.0, True)
    """
    x = np.asarray(x, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    vmax = float(np.max(np.abs(v))) if v.size else 0.0
    raw0 = f(x)
    f0 = np.asarray(raw0, dtype=np.float64)
    if eps is None:
        eps = _eps_of(raw0)
    zero = np.zeros_like(f0)
    if vmax == 0.0:
        return Directional(zero, zero, zero, zero, zero, zero.astype(bool), 0.0, 1)
    xscale = max(1.0, float(np.max(np.abs(x)))) if x.size else 1.0
    eps = max(eps, _grid_eps(f0))
    # Noisier values want larger steps (rounding error ~ noise / h).
    h = step if step is not None else _first.get() * xscale / vmax * (eps / _EPS) ** (1 / 7)
    if max_step is not None:
        h = min(h, max_step)
    h0, calls = h, 1
    table = _Table((2, 1, 1), f0.ndim)  # central, right, left, stacked
    best = _Best(np.zeros((3,) + f0.shape))
    stale = 0
    for _ in range(MAX_ROWS):
        fp, fm = _call_near(f, x + h * v, f0.shape), _call_near(f, x - h * v, f0.shape)
        calls += 2
        if not (np.isfinite(fp).all() and np.isfinite(fm).all()):
            table = _Table((2, 1, 1), f0.ndim)  # outside f's domain: restart smaller
            h /= RATIO
            continue
        if calls == 3:
            eps = max(eps, _grid_eps(f0, fp, fm))
        slope = np.abs(fp - fm) / (2 * h) * xscale
        noise = NOISE_ULPS * eps * np.maximum(np.maximum(np.abs(fp), np.abs(fm)),
                                               np.maximum(np.abs(f0), slope))
        raw = np.stack([(fp - fm) / (2 * h), (fp - f0) / h, (f0 - fm) / h])
        rounding = np.stack([noise / h, 2 * noise / h, 2 * noise / h])
        take = best.update(table.add(raw, rounding), raw)
        known = bool(np.isfinite(best.error).all())
        stale = stale + 1 if known and not take.any() else 0
        (cv, rv, lv), (ce, re, le) = best.value, best.error
        # Later rows cannot do better than their rounding, which grows as h shrinks.
        enough = np.maximum(TARGET * np.maximum(np.abs(cv), np.abs(cv).max()),
                            SAFETY * RATIO * noise / h)
        # The one-sided values decide between a kink and a smooth point once they
        # differ by far more than their errors, or their errors are below KINK_REL.
        gap, sides = np.abs(rv - lv), KINK_FACTOR * (re + le)
        size = np.maximum(np.maximum(np.abs(rv), np.abs(lv)), np.abs(cv))
        decided = (gap > sides) | (sides <= KINK_REL * size)
        if known and (((ce <= enough) & decided).all() or stale >= PATIENCE):
            break
        h /= RATIO
    (cv, rv, lv), (ce, re, le) = best.value, best.error
    side_err = np.maximum(re, le)
    gap = np.abs(rv - lv)
    size = np.maximum(np.maximum(np.abs(rv), np.abs(lv)), np.abs(cv))
    # A gap their errors do not explain is a kink (where undecided, too: judged as
    # a kink, a claim is only given the benefit of the doubt).
    kink = (gap > re + le) & (gap > KINK_REL * size)
    value = np.where(kink, (rv + lv) / 2, cv)
    error = np.where(kink, gap / 2 + side_err, ce)
    return Directional(value, error, lv, rv, side_err, kink, h0, calls)


class _Best:
    """Per element, the estimate with the smallest error so far (the raw last one if none)."""

    def __init__(self, zero: np.ndarray) -> None:
        self.value = zero + np.nan
        self.error = zero + np.inf

    def update(self, new: tuple[np.ndarray, np.ndarray], raw: np.ndarray) -> np.ndarray:
        """Keep the better estimates of ``new``; return where they were better."""
        take = new[1] < self.error
        self.value = np.where(take, new[0], np.where(np.isfinite(self.error), self.value, raw))
        self.error = np.where(take, new[1], self.error)
        return take


def random_direction(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """A random direction with standard normal entries, as ``check_grads`` probes.

    Normal rather than ±1 entries: a wrong gradient whose errors cancel along a
    ±1 direction (errors ``a`` and ``−a`` where the direction has equal signs)
    would pass half the time; along a normal direction, never.

    >>> random_direction((2, 3), np.random.default_rng(0)).shape
    (2, 3)
    """
    return rng.standard_normal(size=shape)


def gradient(f: Callable, x, *, max_step: float | None = None,
             eps: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The full finite-difference gradient (or Jacobian) of ``f`` at ``x``, with errors.

    One :func:`directional` per entry of ``x``: costly for large ``x``, so the
    engine uses it only at a counterexample, to diagnose a refutation.

    Returns:
        ``(jac, err)``, each of shape ``f(x).shape + x.shape``.

    >>> g, e = gradient(lambda x: (x ** 2).sum(), np.array([1.0, -3.0]))
    >>> np.round(g, 9).tolist(), bool(np.all(e < 1e-9))
    ([2.0, -6.0], True)
    """
    x = np.asarray(x, dtype=np.float64)
    out_shape = _call(f, x).shape
    jac = np.empty(out_shape + (x.size,))
    err = np.empty(out_shape + (x.size,))
    for i in range(x.size):
        e = np.zeros(x.size)
        e[i] = 1.0
        d = directional(f, x, e.reshape(x.shape), max_step=max_step, eps=eps)
        jac[..., i], err[..., i] = d.value, d.error
    return jac.reshape(out_shape + x.shape), err.reshape(out_shape + x.shape)

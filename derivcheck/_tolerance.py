"""The tolerance policy: when is a claimed value "equal" to the truth in float64?

For one input, with claimed array ``G``, truth ``T``, input magnitude
``s = max |float inputs|`` and the claim's *unit* ``u`` (below), the
*normalized error* is::

    e = max|G - T| / (max|T| + KAPPA * (1 + s) * u)

and the claim fails at that input when ``e > THRESHOLD`` (or ``G`` is not
finite where ``T`` is).

Why this form:

- Relative to ``max|T|``, so a gradient of size 1e5 and one of size 1e-3 are
  judged alike.
- The floor ``KAPPA * (1 + s) * u`` stands for the size of the terms a
  formula cancels. Where the truth itself is ~0 through cancellation (a
  saturated softmax minus its one-hot label), float64 leaves a residue of
  about ``1e-16 * s * u`` that is no error at all; the floor absorbs it.
- The unit ``u`` (:func:`unit_of`) is the typical size of the truth in the
  shape bucket, measured once per claim and bucket on a fixed batch. Scaling
  the function and its claimed derivative by any ``c`` scales ``G``, ``T``
  and ``u`` alike, so every verdict is the same at every scale: a potential
  whose gradient is ~1e-11 is judged as one whose gradient is ~1.

Calibration (``python bench/calibrate.py``, re-run whenever the catalog or the
regimes change) measures ``e`` over the whole ``proofs/`` catalog at the
default profile, separately for lines that are correct and for lines that are
wrong (errata and mutants). The measured figures are in the README; the
threshold sits orders of magnitude from both sides, at the geometric middle of
the gap, so neither a rounding residue nor a real mistake lands near it.
"""

from __future__ import annotations

import numpy as np

#: Floor of the denominator, per unit of input magnitude and of truth size.
KAPPA = 1e-3
#: A normalized error above this refutes the claim at that input.
THRESHOLD = 1e-6
#: Inputs no larger than this in magnitude are "calm": a failure there is
#: refuted (or an error, if not finite) without further evidence.
MODERATE = 1.0
#: The same bound for property claims (``dc.holds``), whose predicates carry
#: their own tolerance.
PROPERTY_CALM = 10.0
#: A failure beyond the calm bound is put down to floating point (unstable)
#: only with evidence: the claimed value is not finite, or evaluating a side
#: in float32 instead of float64 moves it by at least this many times the
#: float64 error. A rounding error scales with the precision's epsilon
#: (float32's is 5e8 times float64's); a wrong formula's error does not move.
PRECISION_RATIO = 1.0


#: The float32 threshold (``dtype="float32"``), calibrated the same way on the
#: same catalog with every claimed side computed in float32
#: (``python bench/calibrate.py --dtype float32``; figures in the README): the
#: worst correct line reached 1e-3.6, the least wrong line's median is 1e-1.1,
#: and this is the geometric middle of that gap, 1e-2.4.
THRESHOLD_FLOAT32 = 4e-3


def threshold(dtype: str) -> float:
    """The threshold for claimed values computed in ``dtype``.

    >>> threshold("float64"), threshold("float32")
    (1e-06, 0.004)
    """
    return THRESHOLD_FLOAT32 if dtype == "float32" else THRESHOLD


def unit_of(tmax) -> float:
    """The typical size of the truth: the median of ``max|T|`` over a batch.

    ``tmax`` holds ``max|T|`` per input (non-finite entries are ignored). The
    mean stands in when over half the truths are zero, and 0 when all are.

    >>> unit_of(np.array([1e-11, 3e-11, 2e-11, np.inf]))
    2e-11
    >>> unit_of(np.array([0.0, 0.0, 4.0]))
    1.3333333333333333
    """
    t = np.asarray(tmax, dtype=np.float64)
    t = t[np.isfinite(t)]
    if not t.size:
        return 1.0
    med = float(np.median(t))
    return med if med > 0 else float(np.mean(t))


def normalized_error(g, t, s, xp, unit=1.0):
    """``max|g - t| / (max|t| + KAPPA * (1 + s) * unit)`` using array module ``xp``.

    >>> float(normalized_error(np.array([2.0]), np.array([1.0]), 1.0, np))  # doctest: +ELLIPSIS
    0.998...
    >>> float(normalized_error(np.array([2e-11]), np.array([1e-11]), 1.0, np, 1e-11))
    ... # doctest: +ELLIPSIS
    0.998...
    """
    diff = xp.max(xp.abs(g - t)) if g.size else xp.asarray(0.0)
    scale = xp.max(xp.abs(t)) if t.size else xp.asarray(0.0)
    if xp is np:
        return relative(diff, scale, s, unit)
    return diff / (scale + KAPPA * (1.0 + s) * unit)  # traced (jax.numpy): no 0/0 case


def relative(diff, scale, s, unit):
    """``diff / (scale + KAPPA * (1 + s) * unit)``, with ``0/0 = 0`` (works on arrays).

    >>> float(relative(0.0, 0.0, 1.0, 0.0)), float(relative(1.0, 0.0, 1.0, 0.0))
    (0.0, inf)
    """
    diff, scale = np.asarray(diff, dtype=np.float64), np.asarray(scale, dtype=np.float64)
    den = scale + KAPPA * (1.0 + np.asarray(s, dtype=np.float64)) * unit
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(diff == 0, 0.0, np.where(den == 0, np.inf, diff / den))
    return out if out.ndim else out[()]

"""The tolerance policy: when is a claimed value "equal" to the truth in float64?

For one input, with claimed array ``G``, truth ``T`` and input magnitude
``s = max |float inputs|``, the *normalized error* is::

    e = max|G - T| / (max|T| + KAPPA * (1 + s))

and the claim fails at that input when ``e > THRESHOLD`` (or ``G`` is not
finite where ``T`` is).

Why this form:

- Relative to ``max|T|``, so a gradient of size 1e5 and one of size 1e-3 are
  judged alike.
- The floor ``KAPPA * (1 + s)`` stands for the size of the terms a formula
  cancels. Where the truth itself is ~0 through cancellation (a saturated
  softmax minus its one-hot label), float64 leaves an absolute residue of
  about ``1e-16 * s`` that is no error at all; the floor absorbs it.

Calibration (``python bench/calibrate.py``, re-run whenever the catalog or the
regimes change) measures ``e`` over the whole ``proofs/`` catalog at the
default profile, separately for lines that are correct and for lines that are
wrong (errata and mutants). The measured figures are in the README; the
threshold sits orders of magnitude from both sides, at the geometric middle of
the gap, so neither a rounding residue nor a real mistake lands near it.
"""

from __future__ import annotations

#: Floor of the denominator, per unit of input magnitude.
KAPPA = 1e-3
#: A normalized error above this refutes the claim at that input.
THRESHOLD = 1e-6
#: Inputs no larger than this in magnitude are "calm": a correct formula
#: written in float64 does not overflow or cancel badly there, so a failure at
#: a moderate input is a real mistake, not numerical instability.
MODERATE = 1.0
#: The same bound for property claims (``dc.holds``), whose predicates carry
#: their own tolerance: a predicate false at inputs up to this magnitude is
#: refuted; false only beyond it (e.g. softmax rounding to exactly 1 once
#: logits differ by ~37), it is reported unstable.
PROPERTY_CALM = 10.0


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


def normalized_error(g, t, s, xp):
    """``max|g - t| / (max|t| + KAPPA * (1 + s))`` using array module ``xp``.

    >>> import numpy as np
    >>> float(normalized_error(np.array([2.0]), np.array([1.0]), 1.0, np))  # doctest: +ELLIPSIS
    0.998...
    """
    diff = xp.max(xp.abs(g - t)) if g.size else xp.asarray(0.0)
    scale = xp.max(xp.abs(t)) if t.size else xp.asarray(0.0)
    return diff / (scale + KAPPA * (1.0 + s))

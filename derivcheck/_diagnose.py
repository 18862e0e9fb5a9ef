"""Diagnosis: which simple relation ties a wrong claimed value G to the truth T?

Tested in order, across every failing input at hand; the first relation that
fits every one (to the engine's own tolerance) is reported:

1. G = -T                                  a sign error
2. G = c T for one constant c              a factor (named when N, 1/N, 2, 1/2, ...)
3. G = T^T                                 a layout or transpose error
4. G - T = lam W, -lam W, lam/2 W, lam sign(W)   a regularization term
5. G = T with classes shifted or permuted  an index error
6. G - T the same for every input          a constant term
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import _tolerance as tol

__all__ = ["SIGN_ERROR", "diagnose"]

#: The diagnosis of a line that equals −truth (a root cause reads it).
SIGN_ERROR = "looks like a sign error: claimed = -1 × autodiff"


def _close(g: np.ndarray, t: np.ndarray, s: float) -> bool:
    if g.shape != t.shape:
        return False
    with np.errstate(all="ignore"):
        e = tol.normalized_error(g, t, s, np)
    return bool(np.isfinite(e) and e <= tol.THRESHOLD * 10)


def _all(pairs, rel, mags) -> bool:
    return all(_close(g, rel(t), m) for (g, t), m in zip(pairs, mags, strict=True))


def _factor_name(c: float, dims: dict[str, int]) -> str:
    named = {"2": 2.0, "1/2": 0.5, "-2": -2.0, "-1/2": -0.5}
    for d, v in sorted(dims.items()):
        if v > 1:
            named.setdefault(d, float(v))
            named.setdefault(f"1/{d}", 1.0 / v)
            named.setdefault(f"-{d}", -float(v))
            named.setdefault(f"-1/{d}", -1.0 / v)
    hits = [name for name, v in named.items() if abs(c - v) <= 1e-6 * max(1.0, abs(v))]
    return " or ".join(hits) if hits else _digits(c)  # "N or D" when both are 3


def _digits(c: float) -> str:
    """``c`` with 4 significant digits, more when 4 would make it look like an integer.

    >>> _digits(0.37519), _digits(1.0001), _digits(-2.00003)
    ('0.3752', '1.0001', '-2.00003')
    """
    for p in range(4, 16):
        text = f"{c:.{p}g}"
        shown = float(text)
        if shown != round(shown) or abs(c - shown) <= 1e-9 * max(1.0, abs(c)):
            return text
    return repr(c)


#: A factor this close to 1 is a small relative error, not a mistake in the formula.
_NEAR_ONE = 1e-2


def diagnose(gs: Sequence[np.ndarray], ts: Sequence[np.ndarray], xs: Sequence[dict[str, Any]],
             *, claim=None) -> str | None:
    """Name the simplest relation between claimed ``gs`` and true ``ts``.

    Args:
      gs, ts: claimed and true values at the failing inputs ``xs``.
      claim: the claim (for its space and ``wrt`` input), optional.

    Returns:
      A sentence such as ``"looks like a sign error: claimed = -1 × autodiff"``,
      or a sentence saying no simple relation fits; None if G equals T.

    >>> import numpy as np
    >>> t = np.array([1.0, -2.0]); x = {"w": np.array([0.5, 0.25])}
    >>> diagnose([-t], [t], [x])
    'looks like a sign error: claimed = -1 × autodiff'
    """
    pairs = [(np.asarray(g, dtype=np.float64), np.asarray(t, dtype=np.float64))
             for g, t in zip(gs, ts, strict=True)]
    mags = [max([float(np.max(np.abs(v))) for v in x.values() if np.size(v)] or [0.0])
            for x in xs]
    if not pairs:
        return None
    if all(_close(g, t, m) for (g, t), m in zip(pairs, mags, strict=True)):
        return None
    space = getattr(claim, "space", None)
    dims = {}
    if space is not None:
        for name, inp in space.inputs.items():
            shp = np.shape(xs[0][name])
            for d, v in zip(inp.dims, shp, strict=False):
                dims.setdefault(d, int(v))
    same_shape = all(g.shape == t.shape for g, t in pairs)
    if same_shape:
        if _all(pairs, lambda t: -t, mags):
            return SIGN_ERROR
        cs = []
        for g, t in pairs:
            denom = float(np.vdot(t, t))
            cs.append(float(np.vdot(g, t)) / denom if denom > 0 else np.nan)
        if np.all(np.isfinite(cs)) and all(
                _close(g, c * t, m) for (g, t), c, m in zip(pairs, cs, mags, strict=True)):
            names = {_factor_name(c, dims) for c in cs}
            if len(names) == 1:
                name = names.pop()
                if all(abs(c - 1.0) < _NEAR_ONE for c in cs):
                    off = max(abs(c - 1.0) for c in cs)
                    return (f"claimed = {name} × autodiff: a small relative error "
                            f"(about {off:.1g}), not a simple mistake such as a sign or factor")
                return f"looks like a wrong factor: claimed = {name} × autodiff"
    if all(g.ndim == 2 and g.shape != t.shape and g.shape == t.shape[::-1] for g, t in pairs):
        if _all([(g.T, t) for g, t in pairs], lambda t: t, mags):
            return "looks like a layout or transpose error: claimed = autodiffᵀ"
        return (f"claimed has shape {pairs[0][0].shape}, the transpose of the truth's "
                f"{pairs[0][1].shape}: a layout or transpose error")
    if not same_shape:
        return "no simple relation fits"
    if all(g.ndim == 2 and g.shape[0] == g.shape[1] for g, _ in pairs) and \
            _all([(g.T, t) for g, t in pairs], lambda t: t, mags):
        return "looks like a layout or transpose error: claimed = autodiffᵀ"
    reg = _regularization(pairs, xs, mags, claim)
    if reg:
        return reg
    idx = _class_index(pairs, mags)
    if idx:
        return idx
    if len(pairs) >= 2:
        diffs = [g - t for g, t in pairs]
        if all(_close(d, diffs[0], m) for d, m in zip(diffs[1:], mags[1:], strict=True)) and \
                float(np.max(np.abs(diffs[0]))) > 0:
            return "looks like a constant term: claimed - autodiff is the same at every input"
    return "no simple relation fits (not a sign, factor, transpose, regularization, " \
           "index or constant error)"


def _regularization(pairs, xs, mags, claim) -> str | None:
    wrt = getattr(getattr(claim, "target", None), "wrt", None)
    space = getattr(claim, "space", None)
    if wrt is None or space is None:
        return None
    lams = [n for n, i in space.inputs.items()
            if i.kind_object.is_strength(i)]
    for lam in lams:
        forms = {
            f"+{lam}·{wrt}": lambda x, lam=lam: x[lam] * x[wrt],
            f"-{lam}·{wrt}": lambda x, lam=lam: -x[lam] * x[wrt],
            f"+{lam}/2·{wrt}": lambda x, lam=lam: 0.5 * x[lam] * x[wrt],
            f"-{lam}/2·{wrt}": lambda x, lam=lam: -0.5 * x[lam] * x[wrt],
            f"+2{lam}·{wrt}": lambda x, lam=lam: 2.0 * x[lam] * x[wrt],
            f"+{lam}·sign({wrt})": lambda x, lam=lam: x[lam] * np.sign(x[wrt]),
            f"-{lam}·sign({wrt})": lambda x, lam=lam: -x[lam] * np.sign(x[wrt]),
        }
        for name, form in forms.items():
            ok = True
            for (g, t), x, m in zip(pairs, xs, mags, strict=True):
                extra = np.asarray(form(x))
                if extra.shape != t.shape or not _close(g, t + extra, m):
                    ok = False
                    break
            if ok:
                return f"looks like a regularization term: claimed - autodiff = {name}"
    return None


def _class_index(pairs, mags) -> str | None:
    for axis in range(pairs[0][1].ndim):
        k = pairs[0][1].shape[axis]
        if k < 2 or any(t.shape[axis] != k for _, t in pairs):
            continue
        for shift in (1, -1):
            if _all(pairs, lambda t, sh=shift, ax=axis: np.roll(t, sh, axis=ax), mags):
                return (f"looks like an index error: claimed = autodiff with classes shifted "
                        f"by {shift:+d} along axis {axis}")
        if k <= 6:
            for perm in itertools.permutations(range(k)):
                if list(perm) == list(range(k)):
                    continue
                if _all(pairs, lambda t, p=perm, ax=axis: np.take(t, p, axis=ax), mags):
                    return (f"looks like an index error: claimed = autodiff with classes "
                            f"permuted {list(perm)} along axis {axis}")
    return None

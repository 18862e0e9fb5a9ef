"""Diagnosis: which simple relation ties a wrong claimed value G to the truth T?

Tested in order, across every failing input at hand; the first relation that
fits every one (to the engine's own tolerance) is reported:

1. G = -T                                  a sign error
2. G = c T for one named c                 a factor (2, 1/2, N, 1/N, ...)
3. G = T^T, or T in another layout         a transpose, flatten order, block
                                           layout or dropped reference block
4. G - T = a fit on the reference's own additive terms, lam·W, lam·sign(W),
   W and sign(W), with small rational coefficients   a missing, doubled,
                                           flipped or rescaled term
5. G = T with classes shifted or permuted  an index error
6. G - T the same for every input          a constant term
7. G - T small everywhere                  a numerical approximation
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import _tolerance as tol
from . import _names as _names_mod
from ._fit import candidates, explain
from ._layout import layout
from ._names import digits, matching, name_coefficients, short_float

__all__ = ["SIGN_ERROR", "diagnose"]

#: The diagnosis of a line that equals −truth (a root cause reads it).
SIGN_ERROR = "looks like a sign error: claimed = -1 × autodiff"
ZERO = "claimed is 0 at every input: its terms cancel, or a term is missing"

#: A factor this close to 1 is a small relative error, not a mistake in the formula.
_NEAR_ONE = 1e-2

#: Below this normalized error everywhere, with no simple relation, a claimed
#: value reads as a numerical approximation of the truth (finite differences,
#: a truncated series), not as a wrong formula.
APPROXIMATION = 1e-4


def _error(g: np.ndarray, t: np.ndarray, s: float, unit: float = 1.0) -> float:
    if g.shape != t.shape:
        return np.inf
    with np.errstate(all="ignore"):
        e = float(tol.normalized_error(g, t, s, np, unit))
    return e if np.isfinite(e) else np.inf


class _Seen:
    """The failing inputs at hand: claimed and true values, magnitudes, errors.

    A relation *fits* when it leaves a normalized error below both ``10 ×``
    the threshold and a thousandth of the claim's own error at that input, so
    that noise around the truth (a finite-difference Hessian) fits nothing.
    """

    def __init__(self, pairs, mags, unit: float = 1.0, threshold: float = tol.THRESHOLD) -> None:
        self.pairs, self.mags, self.unit = pairs, mags, unit
        self.threshold = threshold
        self.errs = [_error(g, t, m, unit) for (g, t), m in zip(pairs, mags, strict=True)]

    def close(self, i: int, g: np.ndarray, model: np.ndarray) -> bool:
        bound = min(self.threshold * 10, 1e-3 * self.errs[i])
        return _error(g, model, self.mags[i], self.unit) <= bound

    def fits(self, rel, on=None) -> bool:
        """Whether ``rel(t)`` (applied to ``on``'s pairs, default ours) matches every ``g``."""
        pairs = on if on is not None else self.pairs
        return all(self.close(i, g, rel(t)) for i, (g, t) in enumerate(pairs))


def _dims_of(space, x: dict) -> dict[str, int]:
    dims: dict[str, int] = {}
    if space is None:
        return dims
    for name, inp in space.inputs.items():
        for d, v in zip(inp.dims, np.shape(x[name]), strict=False):
            if d.isidentifier():
                dims.setdefault(d, int(v))
    return dims


def _wrt(claim) -> str | None:
    wrt = getattr(getattr(claim, "target", None), "wrt", None)
    return wrt if isinstance(wrt, str) else None


def _axis_names(claim, tshape: tuple) -> list[str] | None:
    wrt, space = _wrt(claim), getattr(claim, "space", None)
    if wrt is None or space is None:
        return None
    dims = list(space.inputs[wrt].dims)
    if not dims:
        return None
    if len(tshape) == 2 * len(dims):  # a Hessian
        return dims * 2
    if len(tshape) >= len(dims):
        return [f"axis {a}" for a in range(len(tshape) - len(dims))] + dims
    return None


def _natural(claim, x: dict, t: np.ndarray) -> tuple:
    """The truth's shape before ``flat=True`` packed it (one ``wrt``), else its own shape."""
    wrt = _wrt(claim)
    target = getattr(claim, "target", None)
    if wrt is None or not getattr(target, "flat", False):
        return t.shape
    shape = tuple(np.shape(x[wrt]))
    for natural in (shape, shape + shape):  # a gradient, a Hessian
        if int(np.prod(natural, dtype=np.int64)) == t.size and len(natural) > t.ndim:
            return natural
    return t.shape


def _factor(seen: _Seen, dims) -> str | None:
    pairs = seen.pairs
    cs = []
    for g, t in pairs:
        denom = float(np.vdot(t, t))
        cs.append(float(np.vdot(g, t)) / denom if denom > 0 else np.nan)
    if not (np.all(np.isfinite(cs)) and all(
            seen.close(i, g, c * t) for i, ((g, t), c) in enumerate(zip(pairs, cs, strict=True)))):
        return None
    names = name_coefficients(cs, dims)
    consts = [n for n in names if not any(ch.isalpha() for ch in n)]
    if consts and len(consts) < len(names) and consts[0] not in ("2", "1/2", "-2", "-1/2"):
        names = [n for n in names if n not in consts]  # 8 at N = 8 is N
    if not names:
        if max(cs) - min(cs) > 1e-9 * max(1.0, abs(cs[0])):
            return None  # not one factor
        names = [digits(cs[0])]
    name = " or ".join(names)
    if names[0] == "0":  # zero up to rounding
        return ZERO
    if all(abs(c - 1.0) < _NEAR_ONE for c in cs):
        off = max(abs(c - 1.0) for c in cs)
        return (f"claimed = {name} × autodiff: a small relative error "
                f"(about {off:.1g}), not a simple mistake such as a sign or factor")
    return f"looks like a wrong factor: claimed = {name} × autodiff"


def _transpose(seen: _Seen) -> str | None:
    pairs = seen.pairs  # possibly from buckets of two sizes, one of them square
    if not all(g.ndim == 2 and g.shape == t.shape[::-1] for g, t in pairs):
        return None
    if seen.fits(lambda t: t, on=[(g.T, t) for g, t in pairs]):
        return "looks like a layout or transpose error: claimed = autodiffᵀ"
    odd = next(((g, t) for g, t in pairs if g.shape != t.shape), None)
    if odd is None:  # all square: only the values can tell a transpose
        return None
    return (f"claimed has shape {odd[0].shape}, the transpose of the truth's "
            f"{odd[1].shape}: a layout or transpose error")


#: How closely a term found by finite differences must be a multiple of a base to be
#: a penalty: their error is about 1e-10 of the truth, which a penalty may be small beside.
FD_TERMS_RTOL = 1e-6


def _fitted(pairs, xs, mags, dims, claim, terms=None,
            threshold: float = tol.THRESHOLD) -> str | None:
    space = getattr(claim, "space", None)
    if space is None:
        return None
    wrt = _wrt(claim)
    lams = [n for n, i in space.inputs.items() if i.kind_object.is_strength(i)]
    target = getattr(claim, "target", None)
    fn = getattr(target, "fn", None)
    rtol = 1e-9 if terms is None else FD_TERMS_RTOL
    # Only for derivatives: splitting an identity's reference costs a compilation per
    # refuted line and rarely names more than "no simple relation" does.
    if terms is None and fn is not None and getattr(target, "order", None) is not None:
        try:
            from .._calls import bind
            from ._terms import reference_terms

            f = bind(fn, space.names, where="the reference")
            terms = reference_terms(claim, f, xs, [t for _, t in pairs])
        except Exception:  # a reference JAX cannot trace: fit the plain bases
            terms = None
    cands = candidates(xs, [t for _, t in pairs], terms, wrt=wrt, lams=lams, rtol=rtol)
    return explain(pairs, xs, dims, mags, cands, threshold=threshold) if cands else None


def _approximation(seen: _Seen) -> str | None:
    worst = max(seen.errs)
    if worst < APPROXIMATION:
        return (f"differs by at most {short_float(worst)} relative: consistent with a "
                "numerical approximation, not a wrong formula")
    return None


def diagnose(gs: Sequence[np.ndarray], ts: Sequence[np.ndarray], xs: Sequence[dict[str, Any]],
             *, claim=None, unit: float = 1.0, terms=None,
             threshold: float = tol.THRESHOLD) -> str | None:
    """Name the simplest relation between claimed ``gs`` and true ``ts``.

    Args:
      gs, ts: claimed and true values at the failing inputs ``xs`` (which may
        come from several shape buckets: a coefficient such as ``1/N`` is
        then told apart from a constant).
      claim: the claim (for its space, reference and ``wrt`` input), optional.
      unit: the claim's unit (see :func:`.._tolerance.unit_of`): errors are judged
        against the same floor as the verdict's, so a claim scaled by 1e-12 is
        diagnosed as it is at scale 1.
      threshold: the verdict's threshold (float32 mode's is wider: its claimed
        values carry float32's rounding, which a fitted relation must allow).
      terms: the truth's additive terms at each input (one list per term), found
        by finite differences, for a reference JAX cannot trace (whose terms
        :mod:`._terms` cannot find in a jaxpr); None: found there, if possible.

    Returns:
      A sentence such as ``"looks like a sign error: claimed = -1 × autodiff"``,
      or a sentence saying no simple relation fits; None if G equals T.

    >>> import numpy as np
    >>> t = np.array([1.0, -2.0]); x = {"w": np.array([0.5, 0.25])}
    >>> diagnose([-t], [t], [x])
    'looks like a sign error: claimed = -1 × autodiff'
    """
    with matching(_names_mod.MATCH * max(1.0, threshold / tol.THRESHOLD)):
        return _diagnose(gs, ts, xs, claim=claim, unit=unit, terms=terms, threshold=threshold)


def _diagnose(gs, ts, xs, *, claim, unit: float, terms, threshold: float) -> str | None:
    pairs = [(np.asarray(g, dtype=np.float64), np.asarray(t, dtype=np.float64))
             for g, t in zip(gs, ts, strict=True)]
    mags = [max([float(np.max(np.abs(v))) for v in x.values() if np.size(v)] or [0.0])
            for x in xs]
    if not pairs:
        return None
    seen = _Seen(pairs, mags, unit, threshold)
    if all(e <= threshold for e in seen.errs):
        return None
    space = getattr(claim, "space", None)
    dims = [_dims_of(space, x) for x in xs]
    same_shape = all(g.shape == t.shape for g, t in pairs)
    if all(not np.any(g) for g, _ in pairs):
        return ZERO
    if same_shape:
        if seen.fits(lambda t: -t):
            return SIGN_ERROR
        factor = _factor(seen, dims)
        if factor:
            return factor
    found = _transpose(seen)
    if found:
        return found
    # Layouts, class permutations and constants compare inputs of one shape:
    # those of the first input's bucket (the largest the engine diagnoses).
    first = [i for i, (g, t) in enumerate(pairs)
             if (g.shape, t.shape) == (pairs[0][0].shape, pairs[0][1].shape)]
    one = _Seen([pairs[i] for i in first], [mags[i] for i in first], unit, threshold)
    natural = _natural(claim, xs[first[0]], pairs[0][1])
    found = layout([(g, t.reshape(natural)) for g, t in one.pairs], one.close,
                   axis_names=_axis_names(claim, natural))
    if found:
        return f"looks like a layout error: {found}"
    if not same_shape:
        return "no simple relation fits"
    return (_fitted(pairs, xs, mags, dims, claim, terms, threshold) or _class_index(seen, one)
            or _constant(one) or _approximation(seen)
            or "no simple relation fits (not a sign, factor, layout, regularization, "
               "index or constant error)")


def _constant(one: _Seen) -> str | None:
    pairs = one.pairs
    if len(pairs) >= 2:
        d0 = pairs[0][0] - pairs[0][1]
        if one.fits(lambda t: t + d0) and float(np.max(np.abs(d0))) > 0:
            return "looks like a constant term: claimed - autodiff is the same at every input"
    return None


def _class_index(seen: _Seen, one: _Seen) -> str | None:
    """Classes shifted (at every input) or permuted (at the inputs of one shape)."""
    if len({t.ndim for _, t in seen.pairs}) != 1:
        return None
    pairs = one.pairs
    for axis in range(pairs[0][1].ndim):
        k = pairs[0][1].shape[axis]
        if k < 2:
            continue
        for shift in (1, -1):
            if seen.fits(lambda t, sh=shift, ax=axis: np.roll(t, sh, axis=ax)):
                return (f"looks like an index error: claimed = autodiff with classes shifted "
                        f"by {shift:+d} along axis {axis}")
        if k <= 6:
            for perm in itertools.permutations(range(k)):
                if list(perm) == list(range(k)):
                    continue
                if one.fits(lambda t, p=perm, ax=axis: np.take(t, p, axis=ax)):
                    return (f"looks like an index error: claimed = autodiff with classes "
                            f"permuted {list(perm)} along axis {axis}")
    return None

"""Kinks: accepting a valid subgradient where the target is not differentiable.

At a kink (a tie in a max, ``|x|`` at 0, a hinge margin exactly at 1) JAX's
autodiff returns one value of the subdifferential, and a correct
hand-written subgradient may return another. For a gradient, Jacobian or
VJP claim (unless it says ``subgradient=False``), a failing input is explained
by a kink when, for every entry where the claimed value is off, the entry
lies between the one-sided values of the truth: the truth at ``x ± h·e_i``
for the coordinate ``i`` of ``wrt`` the entry belongs to (and at ``x``; at
``h`` and ``2h``, extrapolated to the limit, :func:`_limits`), within the
tolerance, and those one-sided values disagree (the target is not
differentiable there). Where an off entry is tied with other entries of
``wrt`` (equal, or equal in absolute value), the claim must also hold along
the tie, the tied entries moving together (:func:`_ties_hold`): ``[1, 1]``
for ``max`` at ``x1 = x2`` is refuted there. An input is also explained where
the whole claimed value is the gradient of a nearby problem, another input
moved a little (:func:`_nearby_problem`: backpropagation through ReLUs tied
at once), or the same problem with every tie broken one way (:mod:`._ties`: a
ReLU net without biases at ``W1 = 0``). Explained inputs count as agreeing;
the verdict says how many there were.

A kink needs an exact tie, which random real values never hit, so only
inputs with an integer-valued or repeated entry are tested (the "integers"
and "zeros" regimes, and the shrinker's rounded candidates). The perturbed
inputs go through the claim's fused check, already compiled for the bucket. A
truth whose steps are all continuous in ``wrt`` has no kink, and its failures are
not tested (:mod:`._continuity`).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .. import _tolerance as tol
from ._continuity import no_kinks
from ._dtypes import as_seen
from ._records import Errors, LineMode, part_of
from ._ties import tied_problem

__all__ = ["NEARBY", "TIED", "explain_kinks", "nudges"]

#: Distinct failing inputs tested at a time per batch and line (more while all explained).
MAX_TESTED = 256
#: Relative step to either side of a kink.
STEP = 1e-7
#: ``Errors.kinks`` of an input explained by a nearby problem, another input moved
#: (1: by a subgradient), and by every tie broken one way (:mod:`._ties`).
NEARBY, TIED = 2, 3


def _special(space, batch: dict) -> np.ndarray:
    """(B,) mask: an entry that is an integer, or repeated, where a tie (a kink) can sit."""
    size = next(iter(batch.values())).shape[0]
    out = np.zeros(size, dtype=bool)
    for name, inp in space.inputs.items():
        if not inp.varies:
            continue
        v = np.asarray(batch[name], dtype=np.float64).reshape(size, -1)
        if not v.shape[1]:
            continue
        out |= np.any(v == np.round(v), axis=1)
        if v.shape[1] > 1:
            srt = np.sort(v, axis=1)
            out |= np.any(srt[:, 1:] == srt[:, :-1], axis=1)
    return out


def explain_kinks(ck, b: int, batch: dict, res, out: Errors) -> None:
    """Clear the failures of ``out`` that a kink of the target explains, in place (``res``:
    the fused check's result on ``batch``). Sets ``out.kinks[i, j]`` where input ``i`` of line
    ``j`` was explained (:data:`NEARBY`: by a nearby problem; :data:`TIED`: ties broken)."""
    from .._targets import VJP

    claim, wrt = ck.claim, ck.claim.target.wrt
    vjp = isinstance(claim.target, VJP)  # each line is one wrt input's part
    if ck.property or not (isinstance(wrt, str) or vjp) or res is None or \
            not getattr(claim, "subgradient", True):  # not a wrt tuple, nor an identity
        return
    _, truth_vals, raws = res
    with np.errstate(invalid="ignore"):
        fails = (out.err > out.threshold) & out.fin & out.tfin[:, None] & out.ran
    if not fails.any():
        return
    unit, batch = ck.unit(b), as_seen(batch, ck.profile.dtype)  # float32: ties after rounding
    special = _special(ck.space, batch)
    calm = out.mag <= ck.calm_bound
    for slot in ck.slots:
        j = slot.index
        mode = slot.mode.get(b)
        if vjp:
            wrt = claim.target.wrt_names[slot.part or 0]
        if mode not in (LineMode.JAX, LineMode.NUMPY) or not fails[:, j].any() or (
                mode is LineMode.NUMPY and j not in out.values):
            continue
        if not ck.judging and (slot.calm_failure or np.any(fails[:, j] & calm & ~special)):
            continue  # the search refutes it anyway, at a calm input no kink can explain
        gs = out.values[j] if mode is LineMode.NUMPY else np.asarray(raws[j])
        truths = np.asarray(part_of(truth_vals, slot.part))
        idx = np.flatnonzero(fails[:, j] & special)
        while idx.size:  # MAX_TESTED distinct inputs at a time, while a kink explains them all
            firsts, rows = _distinct(batch, idx)
            if no_kinks(ck, b, batch, set(claim.target.wrt_names if vjp else (wrt,))):
                return  # its truth cannot jump: no input of it is at a kink
            plans = _plans(batch, firsts, gs, truths, wrt, out.mag, unit, out.threshold)
            ok = _explained(ck, b, slot.part, wrt, plans)
            for i, first in rows:
                if ok[first]:
                    out.err[i, j] = 0.0
                    out.kinks[i, j] = ok[first] if ok[first] in (NEARBY, TIED) else 1
            if not all(ok.values()):
                break  # one input no kink explains fails the line: the rest need no test
            idx = np.setdiff1d(idx, [i for i, _ in rows])

def _distinct(batch: dict, idx: np.ndarray) -> tuple[list[int], list[tuple[int, int]]]:
    """The first ``MAX_TESTED`` distinct inputs among rows ``idx`` (a batch may repeat an
    input: shrink candidates), and each row of ``idx`` with the first row equal to it
    (rows equal to none of those are left out).

    >>> b = {"x": np.array([[1.0], [2.0], [1.0], [3.0]])}
    >>> _distinct(b, np.array([0, 1, 2]))
    ([0, 1], [(0, 0), (1, 1), (2, 0)])
    """
    if not idx.size:
        return [], []
    size = next(iter(batch.values())).shape[0]
    raw = np.ascontiguousarray(np.concatenate(
        [np.ascontiguousarray(v).reshape(size, -1).view(np.uint8) for v in batch.values()],
        axis=1)[idx])
    if not raw.shape[1]:  # no entries at all: every row is the same input
        raw = np.zeros((idx.size, 1), np.uint8)
    rows_as_bytes = raw.view(np.dtype((np.void, raw.shape[1]))).reshape(-1)
    _, first, inverse = np.unique(rows_as_bytes, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")[:MAX_TESTED]  # distinct inputs, as first seen
    kept = np.full(first.size, -1)
    kept[order] = idx[first[order]]
    firsts = [int(i) for i in idx[np.sort(first[order])]]
    rows = [(int(i), int(f)) for i, f in zip(idx, kept[inverse.reshape(-1)], strict=True)
            if f >= 0]
    return firsts, rows


def _plans(batch: dict, firsts: list[int], gs, truths, wrt, mag, unit, threshold) -> dict:
    """What to test for each failing input ``i`` of ``firsts``: ``(x, w, (g, t, coords,
    tol_abs))``, its off entries, or None if none can help. All inputs at once.

    >>> batch = {"w": np.array([[1.0, 2.0], [3.0, 4.0]])}
    >>> g, t = np.array([[1.0, 9.0], [3.0, 4.0]]), np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> p = _plans(batch, [0, 1], g, t, "w", np.ones(2), 1.0, 1e-6)
    >>> p[0][2][2] == [(1,)], p[1]
    (True, None)
    """
    idx = np.asarray(firsts)
    w_all = np.asarray(batch[wrt], dtype=np.float64)[idx]
    g_all, t_all = np.asarray(gs)[idx], np.asarray(truths)[idx]
    gshape, wshape = g_all.shape[1:], w_all.shape[1:]
    if gshape != t_all.shape[1:] or gshape[len(gshape) - len(wshape):] != wshape:
        return {i: None for i in firsts}
    n = idx.size
    peak = np.max(np.abs(t_all).reshape(n, -1), axis=1)
    tol_abs = threshold * (peak + tol.KAPPA * (1.0 + np.asarray(mag)[idx]) * unit)
    off = np.abs(g_all - t_all) > tol_abs.reshape((n,) + (1,) * len(gshape))
    lead = tuple(range(1, 1 + len(gshape) - len(wshape)))
    hits = np.argwhere(off.any(axis=lead) if lead else off)
    coords: dict[int, list[tuple]] = {}
    for row in hits:
        coords.setdefault(int(row[0]), []).append(tuple(row[1:]))
    plans: dict = {}
    for k, i in enumerate(firsts):
        if k not in coords:
            plans[i] = None
            continue
        x = {name: np.array(v[i]) for name, v in batch.items()}
        plans[i] = x, w_all[k], (gs[i], truths[i], coords[k], tol_abs[k])
    return plans


def _sides(x, w, wrt, coords, *, far: float = 1.0) -> list[dict]:
    """The inputs ``x ± h·e_c`` for each coordinate ``c`` of ``wrt`` (``far`` times ``h``)."""
    w = np.asarray(w)  # a scalar input's row is a NumPy scalar, which cannot be assigned to
    cands = []
    for c in coords:
        h = far * STEP * max(1.0, abs(float(w[c])))
        for sign in (1.0, -1.0):
            y = dict(x)
            y[wrt] = w.copy()
            y[wrt][c] += sign * h
            cands.append(y)
    return cands


def _explained(ck, b: int, part, wrt, plans: dict) -> dict:
    """For each failing input, whether a kink explains every off entry.

    The answer is an "and" over entries, so each input's first off entry is
    tested first, for all inputs in one call, and only inputs a kink explains
    there go on to their other entries. A smooth target (no one-sided values
    differ) is settled after one call, whatever the number of off entries.
    """
    ok = {i: p is not None for i, p in plans.items()}
    kinked: set = set()  # inputs with an off entry whose one-sided values differ
    one_sided: dict[tuple, tuple[float, float]] = {}  # (input, entry): truth at x ± h·e_c
    for first_round in (True, False):
        todo = [(i, p[2][2][:1] if first_round else p[2][2][1:]) for i, p in plans.items()
                if ok[i] and (first_round or len(p[2][2]) > 1)]
        cands = [c for i, coords in todo for c in _sides(plans[i][0], plans[i][1], wrt, coords)]
        if not cands:
            continue
        entries = [(i, (*plans[i][2][:2], c, plans[i][2][3])) for i, coords in todo
                   for c in coords]  # in the order of ``cands``
        infos = [info for _, info in entries]
        sides = _truths(ck, b, cands, part)
        vals, gv, tol_abs = _at_entries(infos, sides)
        kinks = _kinked(vals, tol_abs)
        kinked.update(entries[k][0] for k in np.flatnonzero(kinks))
        at = np.flatnonzero(kinks & _between(vals, gv, NEARLY * tol_abs))
        if at.size:  # only there is the limit needed: the values 2h away, extrapolated
            fars = [c for i, coords in todo for c in _sides(plans[i][0], plans[i][1], wrt,
                                                            coords, far=2.0)]
            limits = _limits(ck, b, [cands[2 * k + s] for k in at for s in (0, 1)],
                             [fars[2 * k + s] for k in at for s in (0, 1)], part)
            for m, k in enumerate(at):
                sides[2 * k], sides[2 * k + 1] = limits[2 * m], limits[2 * m + 1]
            vals = _at_entries(infos, sides)[0]
        found = [bool(v) for v in _kinked(vals, tol_abs) & _between(vals, gv, tol_abs)]
        for k, ((i, info), inside) in enumerate(zip(entries, found, strict=True)):
            ok[i] = ok[i] and inside
            if np.shape(sides[2 * k]) == np.shape(plans[i][1]):  # a gradient's entries
                one_sided[i, info[2]] = (sides[2 * k][info[2]], sides[2 * k + 1][info[2]])
    for i, p in plans.items():
        if ok[i]:
            ok[i] = _ties_hold(ck, b, part, wrt, *p,
                               known={c: v for (n, c), v in one_sided.items() if n == i})
    rest = {i: p for i, p in plans.items() if not ok[i] and i in kinked}
    if rest:  # a smooth target has no ties to break
        ok.update({i: NEARBY for i, v in _nearby_problem(ck, b, part, wrt, rest).items() if v})
    rest = {i: p for i, p in rest.items() if not ok[i]}
    if rest:  # backpropagation's one convention at many ties at once
        ok.update({i: TIED for i, v in tied_problem(ck, b, part, rest).items() if v})
    return ok


def _nearby_problem(ck, b: int, part, wrt, plans: dict) -> dict:
    """For each input, whether the whole claimed value is the truth of a nearby problem:
    another real input (not ``wrt``) moved by ``±h`` as a whole, the limit ``h → 0``.
    Backpropagation takes ``ReLU'(0) = 0`` (or 1) at every tie at once: where several
    samples tie at one unit, no subgradient along a ``wrt`` coordinate, but the
    gradient with the biases a little lower (higher). ``[1, 1]`` for ``max(x1, x2)``
    at a tie has no other input to move, and is refuted as before."""
    space = getattr(ck, "space", None)
    near, far, owners = [], [], []
    for i, (x, _, _) in plans.items():
        for n, v, h in ([] if space is None else nudges(space, x, {wrt}, STEP)):
            near.append({**x, n: v + h})
            far.append({**x, n: v + 2.0 * h})
            owners.append(i)
    out = dict.fromkeys(plans, False)
    if not near:
        return out
    # the limit only where the value h away is near the claim already (it moves by its
    # slope times h): a wrong formula is far from every nearby problem
    values = _truths(ck, b, near, part)
    close = [k for k, (i, t) in enumerate(zip(owners, values, strict=True))
             if _matches(plans[i][2][0], t, NEARLY * plans[i][2][3])]
    limits = _limits(ck, b, [near[k] for k in close], [far[k] for k in close], part)
    for k, t in zip(close, limits, strict=True):
        if _matches(plans[owners[k]][2][0], t, plans[owners[k]][2][3]):
            out[owners[k]] = True
    return out


#: How much farther than the tolerance a nearby problem's value ``h`` away may be from
#: the claim and still be extrapolated to its limit.
NEARLY = 1e4


def _matches(g, t, tol_abs) -> bool:
    """Whether claimed ``g`` equals ``t`` entry by entry within ``tol_abs``."""
    g, t = np.asarray(g, dtype=np.float64), np.asarray(t, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return g.shape == t.shape and bool(np.all(np.abs(g - t) <= tol_abs))


def nudges(space, x: dict, skip: set, rel: float) -> Iterator[tuple[str, np.ndarray, float]]:
    """``(name, value, ±h)`` for each real input of ``x`` not in ``skip``, moved as a whole
    by ``h = rel·max(1, max|value|)`` either way: the nearby problems of an input."""
    for n, inp in space.inputs.items():
        if n in skip or not inp.varies or inp.kind_object.name != "real":
            continue
        v = np.asarray(x[n], dtype=np.float64)
        if v.size:
            h = rel * max(1.0, float(np.max(np.abs(v))))
            yield n, v, h
            yield n, v, -h


def _ties_hold(ck, b: int, part, wrt, x: dict, w, info, known: dict | None = None) -> bool:
    """Whether the claim, whose off entries each lie between one-sided values, is also a
    subgradient along each tie among the ``wrt`` entries of an off entry: ``g·d`` between
    the truth's one-sided values along ``d``, the tie's entries moving together.

    Entry by entry, ``[1, 1]`` for ``max(x1, x2)`` at ``x1 = x2`` passes (each 1 lies in
    [0, 1]), though no subgradient has ``g1 + g2 = 2``. Tested where the target is
    convex along each entry of the tie (its right derivative at least its left), where
    this is what a subgradient satisfies; a gradient claim's entries only (not a
    Jacobian's rows). ``known``: one-sided values by entry, from the entry rounds
    (the truth at ``x ± h·e_c``, entry ``c``), not computed again."""
    g, t, coords, tol_abs = np.asarray(info[0]), np.asarray(info[1]), info[2], info[3]
    known = {} if known is None else known
    w = np.asarray(w, dtype=np.float64)
    if g.shape != w.shape or w.ndim == 0:
        return True
    seen = set()
    for c in coords:
        groups = [(w == w[c], np.ones_like(w))]  # equal entries move up together
        if w[c] != 0 and np.any((np.abs(w) == abs(w[c])) & (w != w[c])):
            groups.append((np.abs(w) == abs(w[c]), np.sign(w)))  # |x| tied: outward
        for group, dirs in groups:
            key = group.tobytes() + dirs.tobytes()
            if np.count_nonzero(group) < 2 or key in seen:
                continue
            seen.add(key)
            members = [tuple(m) for m in np.argwhere(group)]
            d = np.where(group, dirs, 0.0)
            h = STEP * max(1.0, float(np.max(np.abs(w[group]))))
            new = [m for m in members if m not in known]
            cands, fars = _sides(x, w, wrt, new), _sides(x, w, wrt, new, far=2.0)
            for sign in (1.0, -1.0):
                for far, out in ((1.0, cands), (2.0, fars)):
                    y = dict(x)
                    y[wrt] = w + sign * far * h * d
                    out.append(y)
            vals = _limits(ck, b, cands, fars, part)
            for k, m in enumerate(new):
                known[m] = (vals[2 * k][m], vals[2 * k + 1][m])
            right = np.array([known[m][0] for m in members])
            left = np.array([known[m][1] for m in members])
            if np.any(right < left - tol_abs):
                continue  # concave along some entry: no such bound
            ends = [float(np.sum(v * d)) for v in (vals[-2], vals[-1], t)]
            gd, slack = float(np.sum(g * d)), tol_abs * float(np.sum(np.abs(d)))
            if not np.all(np.isfinite(ends)) or not min(ends) - slack <= gd <= \
                    max(ends) + slack:
                return False
    return True


def _kinked(vals: np.ndarray, tol_abs: np.ndarray) -> np.ndarray:
    """Per entry (see :func:`_at_entries`): not differentiable there, finite one-sided
    values that differ."""
    lo, hi = vals.min(axis=0), vals.max(axis=0)
    return np.all(np.isfinite(vals), axis=(0, 2)) & np.any(hi - lo > tol_abs, axis=1)


def _between(vals: np.ndarray, gv: np.ndarray, tol_abs: np.ndarray) -> np.ndarray:
    """Per entry: the claimed values between the smallest and largest of ``vals``."""
    lo, hi = vals.min(axis=0), vals.max(axis=0)
    return ~np.any(gv < lo - tol_abs, axis=1) & ~np.any(gv > hi + tol_abs, axis=1)


def _at_entries(infos: list, sides: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The truth and its one-sided values (3, n, lead), the claimed values (n, lead) and
    the tolerances (n, 1), each at its off entry."""
    g = np.stack([info[0] for info in infos])
    n, shape = g.shape[0], g.shape[1:]
    width = len(infos[0][2])  # the wrt input's dimensions, at the end of each value
    lead = int(np.prod(shape[:len(shape) - width], dtype=np.int64))
    at = np.array([np.ravel_multi_index(info[2], shape[len(shape) - width:]) if width else 0
                   for info in infos])

    def pick(arrays):  # each array's values at its entry: (n, lead)
        return np.stack(arrays).reshape(n, lead, -1)[np.arange(n), :, at]

    t, plus, minus = pick([info[1] for info in infos]), pick(sides[0::2]), pick(sides[1::2])
    gv, tol_abs = pick(list(g)), np.array([info[3] for info in infos])[:, None]
    return np.stack([t, plus, minus]), gv, tol_abs


def _limits(ck, b: int, near: list[dict], far: list[dict], part) -> list[np.ndarray]:
    """The truth's one-sided limits at ``x``: its values at ``near`` (``x ± h·e``) and
    ``far`` (``x ± 2h·e``), extrapolated linearly to ``h = 0``. The smooth part of the
    truth moves by its slope times ``h`` on the way (an L2 term ``2·lam·w`` by
    ``2·lam·h``), which at a small truth is more than the tolerance: a ReLU's 0 at
    a tie was refuted beside a weight decay."""
    vals = _truths(ck, b, near + far, part)
    n = len(near)
    return [2.0 * a - c for a, c in zip(vals[:n], vals[n:], strict=True)]


def _truths(ck, b: int, xs: list[dict], part) -> list[np.ndarray]:
    """The truth at each input, from the bucket's compiled check."""
    out: list[np.ndarray] = []
    size = ck.batch_of(b)
    for start in range(0, len(xs), size):
        chunk = xs[start:start + size]
        res = ck.call(b, ck.batch_from(chunk, b))
        out.extend(np.asarray(part_of(res[1], part))[:len(chunk)])
    return out

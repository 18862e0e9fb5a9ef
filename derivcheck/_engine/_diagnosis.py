"""Naming the kind of mistake of a refuted line, from values the compiled checks give.

The rules themselves live in :mod:`derivcheck._diagnose`; this module only
gathers both sides (claimed and true values) at a few failing inputs.
"""

from __future__ import annotations

import numpy as np

from .. import _tolerance as tol
from .._shrink import magnitude
from ._evaluate import Checker, batch_of_inputs
from ._kinks import _special
from ._records import LineMode, LineSlot, part_of
from ._rules import first_line

__all__ = ["diagnosis"]

#: Inputs drawn to diagnose a refuted line.
DIAGNOSIS_BATCH = 16


def _sides(ck: Checker, b: int, slot_index: int, xs: list[dict]) -> tuple[list, list]:
    """Claimed and true values at a few inputs of bucket ``b``.

    They come from the fused check the search compiled for that bucket, which
    returns every line's own output beside its errors: no new compilation.
    NumPy lines run one input at a time.
    """
    if hasattr(ck, "sides"):  # finite differences: whole truths entry by entry
        return ck.sides(b, slot_index, xs)
    slot = ck.slots[slot_index]
    size = ck.batch_of(b)
    gs, ts = [], []
    for start in range(0, len(xs), size):
        res = ck.call(b, ck.batch_from(xs[start:start + size], b))
        if res is None:
            raise ValueError("the reference cannot be evaluated")
        ts.extend(np.asarray(part_of(res[1], slot.part)))
        if slot.mode.get(b) in (LineMode.JAX, LineMode.TRANSPOSED):  # known after a call
            gs.extend(np.asarray(res[2][slot_index]))
    mode = slot.mode.get(b)
    traced = mode in (LineMode.JAX, LineMode.TRANSPOSED)
    if mode is LineMode.NUMPY:
        with np.errstate(all="ignore"):
            gs = [np.asarray(slot.fn(ck.line_inputs({k: np.asarray(v) for k, v in x.items()})),
                             dtype=np.float64) for x in xs]
    elif not traced:
        raise ValueError(f"the line does not run in bucket {b}")
    return gs[:len(xs)], ts[:len(xs)]


def _calm_failures(ck: Checker, slot: LineSlot, b: int, seed: int, count: int) -> list:
    """Up to ``count`` (claimed, truth, input) triples at calm failing inputs of bucket ``b``."""
    batch = ck.calm_batch(b, seed=seed)
    drawn = getattr(ck, "diagnosis_inputs", DIAGNOSIS_BATCH)
    # as the truth sees them (float32 mode: rounded to float32), so that the truth's
    # terms, found apart, add up to it
    xs = [ck.truth_inputs({k: np.array(v[i]) for k, v in batch.items()})
          for i in range(min(drawn, len(next(iter(batch.values())))))]
    gs, ts = _sides(ck, b, slot.index, xs)
    picked = []
    for g, t, xi in zip(gs, ts, xs, strict=True):
        if g.shape != t.shape or not np.all(np.isfinite(t)):
            picked.append((g, t, xi))
            continue
        with np.errstate(all="ignore"):
            e = tol.normalized_error(g, t, magnitude(ck.space, xi), np, _unit(ck, b))
        if not np.all(np.isfinite(g)) or e > ck.threshold:
            picked.append((g, t, xi))
    # inputs where a tie can sit last: there a valid subgradient differs from autodiff's
    # value by more than the mistake (a ReLU at 0), and no relation fits the sum
    if not picked:
        return []
    tied = _special(ck.space, batch_of_inputs([xi for _, _, xi in picked], len(picked)))
    order = sorted(range(len(picked)), key=lambda k: bool(tied[k]))  # stable
    return [picked[k] for k in order][:count]


def _fd_terms(ck: Checker, slot: LineSlot, xs: list[dict], ts: list) -> list | None:
    """For finite differences, the truth split into a data term and a penalty (see
    :meth:`._fd_check.FiniteDifferenceChecker.strength_terms`); None otherwise."""
    split = getattr(ck, "strength_terms", None)
    if split is None:
        return None
    try:
        return split(slot, xs, ts)
    except Exception:  # diagnosis is best effort: without terms, the plain bases
        return None


def _unit(ck: Checker, b: int) -> float:
    """The unit errors are judged by in bucket ``b``, as the verdict judges them (finite
    differences measure theirs from the probes): a claim scaled by 1e-12 is diagnosed
    as at scale 1."""
    return ck.unit(b)


def diagnosis(ck: Checker, slot: LineSlot, x: dict, b_x: int) -> str | None:
    """Diagnose from calm failures in the two largest buckets of different sizes, else ``x``.

    ``x`` is the counterexample, in bucket ``b_x``. The largest bucket is the
    least degenerate; a second size tells a coefficient that follows a
    dimension (``1/N``) from a constant. Both sides come from the fused
    checks, which the search has usually compiled for those buckets already,
    and failures are judged by the same tolerance in NumPy.
    """
    from .._diagnose import diagnose

    top = ck.profile.buckets - 1
    dims = list(ck.bucket(top).values())
    if len(set(dims)) < len(dims):  # equal dimensions (all at their maximum) make a
        # factor ambiguous: the bucket before it, or (two buckets) the one it displaced
        top = top - 1 if top >= 2 else ck.profile.buckets
    try:
        picked = _calm_failures(ck, slot, top, ck.seed + 41, 3)
    except Exception:  # that bucket does not suit the line: use the counterexample
        picked = []
    if len(picked) >= 2:
        second = next((b for b in range(ck.profile.buckets - 1, -1, -1)
                       if ck.bucket(b) != ck.bucket(top)), None)
        if second is not None:
            try:
                picked += _calm_failures(ck, slot, second, ck.seed + 43, 2)
            except Exception:  # diagnose from one size only
                pass
        gs, ts, xs = (list(z) for z in zip(*picked, strict=True))
        return diagnose(gs, ts, xs, claim=ck.claim, unit=_unit(ck, top),
                        terms=_fd_terms(ck, slot, xs, ts),
                        threshold=tol.threshold(ck.profile.dtype))
    x = ck.truth_inputs(x)
    try:
        gs, ts = _sides(ck, b_x, slot.index, [x])
        return diagnose(gs, ts, [x], claim=ck.claim, unit=_unit(ck, b_x),
                        terms=_fd_terms(ck, slot, [x], ts),
                        threshold=tol.threshold(ck.profile.dtype))
    except Exception as exc:  # diagnosis is best effort
        return f"no diagnosis ({first_line(exc)})"

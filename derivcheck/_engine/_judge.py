"""Stage 3, judge: from failing inputs to a line's verdict.

The rules (what output is checkable, what counts as failing) are in
:mod:`._rules`. :class:`Judge` applies them: it shrinks a failing line's
counterexample and decides between ``refuted`` (it fails at an input without
evidence of floating-point breakdown: the formula is wrong), ``unstable`` (every
failure it was shown rests on such evidence, see :mod:`._precision`; beyond the
calm bound, or at a calm input that is an extreme logit, ``1 - h`` with ``h``
near 1) and ``error`` (nan or inf at a calm input). :meth:`Judge.steps` judges
each derivation line against the line before it at calm inputs: its step holds
or fails.
"""

from __future__ import annotations

import numpy as np

from .._shrink import magnitude, shrink
from .._verdict import Status
from ._evaluate import Checker
from ._precision import breakdown
from ._records import Conclusion, Failure, LineMode, LineSlot
from ._rules import failing, step_failing

__all__ = ["Judge"]

#: A calm failure is tested for rounding only where its error, at NEIGHBOURS inputs a
#: relative NEIGHBOUR_STEP away, spreads by more than NOISE_SHARE of itself.
NEIGHBOURS = 8
NEIGHBOUR_STEP = 1e-6
NOISE_SHARE = 1e-3


class Judge:
    """Concludes on failing lines, using the checker's compiled checks."""

    def __init__(self, checker: Checker) -> None:
        self.checker = checker
        self.space = checker.space

    def _first_calm_failure(self, b: int, j: int, seed: int) -> dict | None:
        ck = self.checker
        out_batch = ck.calm_batch(b, seed=seed)
        idx = np.flatnonzero(failing(ck.evaluate(b, out_batch))[:, j])
        if not idx.size:
            return None
        return {k: np.array(v[int(idx[0])]) for k, v in out_batch.items()}

    def conclude(self, slot: LineSlot) -> Conclusion:
        """Status, counterexample and instability threshold of a failing slot."""
        ck = self.checker
        ck.judging = True
        # The search skips the kink test of a line it has already refuted, so a
        # recorded failure may be a valid subgradient: keep those that still fail.
        still = [f for f in slot.failures if ck.fails_on(f.bucket, slot.index, [f.x])[0]]
        if not still:  # look again for a calm failure, kinks now explained
            for bb in range(ck.profile.buckets):
                found = self._first_calm_failure(bb, slot.index, ck.seed + 61) \
                    if slot.runs_in(bb) else None
                if found is not None:
                    err = float(ck.evaluate(bb, ck.batch_from([found], bb)).err[0, slot.index])
                    still = [Failure(magnitude(self.space, found), bb, found, min(err, 1.0))]
                    break
        first = (still or slot.failures)[0]
        mag, b, x = first.magnitude, first.bucket, first.x
        j = slot.index
        # Shrink only to inputs that still fail clearly: a relative error that
        # merely grazes the threshold (values near 1e-9) makes a poor example.
        floor = max(ck.threshold, 0.1 * first.error)
        # Try smaller buckets first: the smallest dimensions that still fail.
        for smaller in range(b):
            if ck.bucket(smaller) == ck.bucket(b):
                continue
            if smaller not in ck.truth_shape:
                ck.probe(smaller)
            if not slot.runs_in(smaller):
                continue
            found = self._first_calm_failure(smaller, j, ck.seed + 17)
            if found is not None:
                b, x = smaller, found
                break
        x = shrink(self.space, x, lambda cands: ck.fails_on(b, j, cands, floor))
        mag = magnitude(self.space, x)
        calm = mag <= ck.calm_bound
        if not calm and not slot.calm_failure:
            for bb in sorted({0, b}):
                if not slot.runs_in(bb):
                    continue
                found = self._first_calm_failure(bb, j, ck.seed + 29)
                if found is not None:
                    b = bb
                    x = shrink(self.space, found,
                               lambda cands, bb=bb: ck.fails_on(bb, j, cands, floor))
                    calm = True
                    break
        single = ck.evaluate(b, ck.batch_from([x], b))
        err = float(single.err[0, j])
        finite = bool(single.fin[0, j])
        transposed = slot.mode.get(b) is LineMode.TRANSPOSED
        if calm or transposed:
            if not finite and not transposed:
                return Conclusion(Status.ERROR, x, b, ck.bucket(b), err, message=(
                    "returns nan or inf at a calm input where the truth is finite; "
                    "look for a division by zero or log(0)"))
            why = None if transposed or not self._noisy(b, j, x, err) else \
                breakdown(ck, slot, b, x, calm=True)
            if why is None:
                return Conclusion(Status.REFUTED, x, b, ck.bucket(b), err)
            # a rounding error even at a calm input (1 - h, h near 1): a failure it
            # does not explain is still a wrong formula
            for other in slot.failures:
                if other.bucket in ck.truth_shape and slot.runs_in(other.bucket) and \
                        breakdown(ck, slot, other.bucket, other.x, calm=True) is None:
                    o_err = float(ck.evaluate(other.bucket, ck.batch_from(
                        [other.x], other.bucket)).err[0, j])
                    return Conclusion(Status.REFUTED, other.x, other.bucket,
                                      ck.bucket(other.bucket), o_err)
            return Conclusion(Status.UNSTABLE, x, b, ck.bucket(b), err,
                              unstable_from=self._onset(b, j, x, mag), message=why)
        # Beyond the calm bound: unstable only on evidence of floating-point
        # breakdown (see :mod:`._precision`); a finite, precision-stable
        # failure is a wrong formula at any magnitude.
        onset = self._onset(b, j, x, mag)
        raised = self._raises(slot, x)  # a NumPy line that raises only beyond the calm range
        if raised:
            return Conclusion(Status.UNSTABLE, x, b, ck.bucket(b), err, unstable_from=onset,
                              message=f"raises {raised} from magnitude ≥ {onset:.3g}")
        why = breakdown(ck, slot, b, x, onset)
        if why is None:
            return Conclusion(Status.REFUTED, x, b, ck.bucket(b), err)
        for other in slot.failures:  # prefer a failure with no such evidence
            if other.bucket in ck.truth_shape and slot.runs_in(other.bucket):
                o_mag = magnitude(self.space, other.x)
                if breakdown(ck, slot, other.bucket, other.x,
                             self._onset(other.bucket, j, other.x, o_mag)) is None:
                    o_err = float(ck.evaluate(other.bucket, ck.batch_from(
                        [other.x], other.bucket)).err[0, j])
                    return Conclusion(Status.REFUTED, other.x, other.bucket,
                                      ck.bucket(other.bucket), o_err)
        return Conclusion(Status.UNSTABLE, x, b, ck.bucket(b), err,
                          unstable_from=onset, message=why)

    def _noisy(self, b: int, j: int, x: dict, err: float) -> bool:
        """Whether the error at ``x`` jumps about between neighbours a relative
        :data:`NEIGHBOUR_STEP` away (a rounding error's pattern; a wrong formula's error
        moves smoothly): one call of the compiled check, before any evidence that
        compiles is sought at a calm input."""
        ck = self.checker
        rng = np.random.default_rng(ck.seed)
        floats = [n for n, inp in self.space.inputs.items() if inp.varies]
        cands = [{k: (v * (1.0 + NEIGHBOUR_STEP * rng.uniform(-1.0, 1.0, np.shape(v)))
                      if k in floats else v) for k, v in x.items()}
                 for _ in range(NEIGHBOURS)]
        errs = ck.evaluate(b, ck.batch_from(cands, b)).err[:NEIGHBOURS, j]
        if not np.all(np.isfinite(errs)):
            return True
        return float(np.max(errs) - np.min(errs)) > NOISE_SHARE * err

    def _onset(self, b: int, j: int, x: dict, mag: float) -> float:
        """The smallest failing magnitude along the ray from the origin to ``x``."""
        cands = [self.space.scaled(x, 2.0 ** (-k / 4)) for k in range(0, 120)]
        fails = self.checker.fails_on(b, j, cands)
        starts = [magnitude(self.space, c) for c, f in zip(cands, fails, strict=True) if f]
        return min(starts) if starts else mag

    @staticmethod
    def _raises(slot: LineSlot, x: dict) -> str | None:
        """The exception a NumPy line raises at ``x``, if it raises there."""
        if slot.raised is None:
            return None
        try:
            slot.fn({k: np.asarray(v) for k, v in x.items()})
        except Exception as exc:  # the point: it raises here
            return type(exc).__name__
        return None

    def steps(self) -> dict[int, str | None]:
        """Each chained line's step verdict at calm inputs: "holds", "fails" or None.

        A step fails where the line differs from the line before it at a calm
        input at which both are finite. Calm batches of the smallest and the
        largest shape bucket are checked (compiled already by the search); a
        step is None when no such input exists (a line that raises or is never
        finite there).
        """
        ck = self.checker
        chained = [s for s in ck.slots if s.prev is not None]
        if not chained or ck.truth_error is not None:
            return {}
        judged = {s.index: False for s in chained}
        fails = {s.index: False for s in chained}
        for b in sorted({0, ck.profile.buckets - 1}):
            out = ck.evaluate(b, ck.calm_batch(b, seed=ck.seed + 53))
            for slot in chained:
                if not (slot.runs_in(b) and ck.slots[slot.prev].runs_in(b)):
                    continue
                ok, bad = step_failing(out, slot.index, slot.prev)
                judged[slot.index] |= bool(np.any(ok))
                fails[slot.index] |= bool(np.any(bad))
        return {j: ("fails" if fails[j] else "holds") if judged[j] else None for j in judged}

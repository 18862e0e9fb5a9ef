"""Stage 4, verdict assembly: an :class:`Engine` runs the stages and builds a Result.

compile (:mod:`._compile`) → search (:mod:`._search`) → judge (:mod:`._judge`)
→ here: one :class:`~derivcheck._verdict.LineResult` per line and fix, and the
claim's :class:`~derivcheck._verdict.Result`.

All of derivcheck's JAX work happens inside ``jax.enable_x64(True)``, which
restores the user's setting on the way out.
"""

from __future__ import annotations

import time

import jax
import numpy as np

from .._claims import Claim, ClaimError
from .._numpy import is_numpy_fn
from .._profiles import Profile
from .._rootcause import analyse
from .._verdict import LineResult, Result, Status
from ._compile import Compiler
from ._diagnosis import diagnosis
from ._dtypes import low_precision_note
from ._evaluate import Checker
from ._fd_check import FiniteDifferenceChecker
from ._judge import Judge
from ._oracle import FiniteDifferenceOracle, Oracle, autodiff, runs_on_numpy
from ._records import LineSlot
from ._search import Search

__all__ = ["MAX_INPUT_FLOATS", "Engine"]

#: The most values one input may have in a shape bucket: a batch holds
#: dozens of inputs, so more would take gigabytes.
MAX_INPUT_FLOATS = 2**20


def _too_big(claim: Claim, profile: Profile) -> str | None:
    """Why the claim's inputs are too large to check, or None."""
    space = claim.space
    for b in range(profile.buckets):
        bucket = space.bucket_in(b, profile.buckets)
        for name in space.inputs:
            size = 1
            for d in space.shape_of(name, bucket):
                size *= d
            if size > MAX_INPUT_FLOATS:
                dims = [d for d in space.inputs[name].dims if not d.isdigit()]
                at = " ".join(f"{d}={bucket[d]}" for d in dims)
                fix = ", ".join(f"{d!r}: (1, 8)" for d in dims)
                return (f"input {name!r} would have {size:,} values (at {at}); derivcheck "
                        f"checks batches of whole inputs, so keep each under "
                        f"{MAX_INPUT_FLOATS:,}: give smaller dimensions, e.g. "
                        f"Space(..., dims={{{fix}}})")
    return None


def choose_oracle(claim: Claim) -> Oracle | None:
    """Finite differences for a reference declared NumPy (``dc.numpy_fn``), else autodiff
    (which falls back to finite differences if JAX cannot trace the reference)."""
    if not claim.target.is_property and is_numpy_fn(claim.target.fn):
        return FiniteDifferenceOracle(claim)
    return autodiff(claim)


class Engine:
    """Checks claims; owns the compiler and its per-claim cache of fused checks."""

    def __init__(self, compiler: Compiler | None = None) -> None:
        self.compiler = compiler or Compiler()

    def run(self, claim: Claim, *, profile: Profile, seed: int = 0, diagnose: bool = True,
            oracle: Oracle | None = None) -> Result:
        """Search, shrink and judge one claim. Never raises for a broken claim.

        Args:
          diagnose: name the kind of mistake of refuted lines (the mutation
            audit turns it off).
          oracle: where the truth comes from (default: autodiff; see
            :mod:`derivcheck._engine._oracle`).
        """
        with jax.enable_x64(True), self.compiler.one_run():
            return self._run(claim, profile=profile, seed=seed, diagnose=diagnose,
                             oracle=oracle)

    def _run(self, claim, *, profile, seed, diagnose, oracle) -> Result:
        t0 = time.perf_counter()
        base = dict(id=claim.qualname, kind=claim.kind, expected=claim.expected,
                    source=claim.source, latex=claim.latex, seed=seed,
                    rtol=getattr(claim, "rtol", None))

        def failed(message: str, trace: str | None = None) -> Result:
            lines = [LineResult(i + 1, ln.latex, Status.ERROR, ln.expected, message=message,
                                erratum=ln.erratum, note=ln.note, reading=ln.reading)
                     for i, ln in enumerate(claim.lines)]
            result = Result(status=Status.ERROR, message=message, lines=lines, trace=trace,
                            seconds=time.perf_counter() - t0, **base)
            return _classify(result, claim, chained=False)

        too_big = _too_big(claim, profile)
        if too_big:
            return failed(too_big)
        chosen = oracle is not None
        try:
            if oracle is None:
                oracle = choose_oracle(claim)
            ck = self._checker(claim, profile, seed, oracle)
        except ClaimError as exc:
            return failed(str(exc))
        traced_before = ck.fused.traces
        try:
            Search(ck).run()
            if ck.truth_untraceable and not chosen:
                # The reference failed under JAX tracing: if it runs on NumPy arrays,
                # it is NumPy code, and finite differences give the truth.
                x = ck.space.calm(ck.space.draw(ck.space.bucket(0), seed=seed, size=1))
                why = runs_on_numpy(claim, {k: np.array(v[0]) for k, v in x.items()})
                if why is None:
                    oracle = FiniteDifferenceOracle(claim)
                    ck = self._checker(claim, profile, seed, oracle)
                    Search(ck).run()
                else:
                    ck.truth_error = (f"the reference raised {why} (on NumPy arrays; JAX "
                                      "could not trace it either); fix the function "
                                      "(--traceback shows where)")
        except MemoryError as exc:
            return failed(f"ran out of memory ({exc}); give the space smaller dimensions")
        judge = Judge(ck)
        verdicts = {slot.index: self._line(ck, judge, slot, diagnose) for slot in ck.slots}
        steps = judge.steps() if diagnose else {}
        lines = []
        for i in range(len(claim.lines)):
            lr = verdicts[i]
            lr.step_status = steps.get(i)
            if i in ck.fix_slot:
                lr.fix = verdicts[ck.fix_slot[i]]
            lines.append(lr)
        status = Status.worst(ln.status for ln in lines)
        head = next((ln for ln in lines if ln.status == status), lines[0])
        failed_head = status != Status.VERIFIED
        # A verified claim reports its largest error over all lines (one line,
        # unless a derivation); otherwise the error of the line that decided it.
        head_err = (max((ln.max_error or 0.0) for ln in lines) if not failed_head
                    else head.max_error)
        result = Result(status=status, max_error=head_err,
                        examples=max(ln.examples for ln in lines),
                        counterexample=head.counterexample if failed_head else None,
                        bucket=head.bucket if failed_head else None,
                        diagnosis=head.diagnosis, message=head.message,
                        unstable_from=head.unstable_from, seconds=time.perf_counter() - t0,
                        lines=lines, compilations=ck.fused.traces - traced_before, **base)
        result.trace = next((ln.trace for ln in lines if ln.trace), None)
        if isinstance(ck, FiniteDifferenceChecker):
            result.oracle = FiniteDifferenceOracle.name
            result.accuracy = ck.accuracy if result.examples else None
        elif ck.property:
            result.oracle = None
        if failed_head:
            from .._reproduce import origin_of

            result.origin = origin_of(claim)
        return _classify(result, claim, chained=claim.kind.chained)

    def _checker(self, claim: Claim, profile: Profile, seed: int,
                 oracle: Oracle | None) -> Checker:
        name = "property" if oracle is None else oracle.name
        cls = FiniteDifferenceChecker if oracle is not None and oracle.truth is None else Checker
        return cls(claim, profile, seed, oracle=oracle, oracle_name=name, compiler=self.compiler)

    @staticmethod
    def _line(ck: Checker, judge: Judge, slot: LineSlot, diagnose: bool) -> LineResult:
        claim = ck.claim
        if slot.index < len(claim.lines):
            src = claim.lines[slot.index]
        else:
            src = next(claim.lines[i].fix for i, k in ck.fix_slot.items() if k == slot.index)
        lr = LineResult(index=slot.index + 1, latex=src.latex, status=Status.VERIFIED,
                        expected=src.expected, examples=slot.examples,
                        max_error=slot.max_err, step_error=slot.max_step,
                        erratum=src.erratum, note=src.note, reading=src.reading)
        unresolved = ck.unresolved() if isinstance(ck, FiniteDifferenceChecker) else None
        if ck.truth_error is not None:
            lr.status, lr.message, lr.trace = Status.ERROR, ck.truth_error, ck.truth_trace
        elif unresolved and slot.examples == 0:
            lr.status, lr.message = Status.ERROR, unresolved
        elif any(not mode.runs for mode in slot.mode.values()):
            lr.status, lr.message, lr.trace = Status.ERROR, slot.message, slot.trace
        elif slot.failures:
            c = judge.conclude(slot)
            lr.status = c.status
            lr.counterexample = c.x
            lr.bucket = c.bucket
            if lr.status != Status.UNSTABLE:  # unstable: keep the error where it held
                lr.max_error = c.err
            lr.message = c.message
            lr.unstable_from = c.unstable_from
            if lr.status == Status.REFUTED and not ck.property and diagnose:
                lr.diagnosis = diagnosis(ck, slot, c.x, c.b)
                if lr.diagnosis and isinstance(ck, FiniteDifferenceChecker):
                    lr.diagnosis = lr.diagnosis.replace("autodiff", "finite differences")
            low = None if ck.property else low_precision_note(ck, slot, c.x)
            if low and lr.status == Status.UNSTABLE:  # the likelier cause, in one line
                lr.message = low
            elif low:
                lr.diagnosis = low
        elif unresolved and not slot.failures:
            lr.message = unresolved  # a verdict on the inputs it resolved, and how few they were
        elif slot.kinks:
            lr.message = (f"agrees with autodiff except at {slot.kinks} non-differentiable "
                          f"point{'s' if slot.kinks != 1 else ''}, where it is a valid "
                          "subgradient" + _nearby_note(slot))
        if slot.examples == 0 and lr.status == Status.VERIFIED and ck.truth_error is None:
            lr.status = Status.ERROR
            lr.message = "the truth was never finite on the inputs drawn; check the reference"
        elif slot.untruthed and lr.status == Status.VERIFIED and not ck.property:
            note = (f"not checked at {slot.untruthed} of {slot.untruthed + slot.examples} "
                    "inputs, where the truth is nan or inf (log 0, or autodiff of ‖x‖ at 0)")
            lr.message = f"{lr.message}; {note}" if lr.message else note
        return lr


def _classify(result: Result, claim: Claim, *, chained: bool) -> Result:
    """Roles, root cause and erratum classes (:mod:`derivcheck._rootcause`) onto a Result."""
    found = analyse(result.lines, declared=[ln.erratum_class for ln in claim.lines],
                    derivation=chained)
    for lr, role, under, cls in zip(result.lines, found.roles, found.under, found.classes,
                                    strict=True):
        lr.role, lr.under, lr.erratum_class = role, under, cls
    result.root_cause = found.root
    result.erratum_class = found.claim_class
    return result


def _nearby_note(slot) -> str:
    """How many kinks a nearby problem explains (:mod:`._kinks`, :mod:`._ties`), if any."""
    parts = ([f"at {slot.nudged} of them, where several kinks tie at once, the gradient "
              "with another input moved a little"] if slot.nudged else []) + (
        [f"at {slot.tied}, where ties no input breaks, the gradient with every tie "
         "broken one way"] if slot.tied else [])
    return f" ({'; '.join(parts)}, as backpropagation's ReLU'(0) = 0 gives)" if parts else ""


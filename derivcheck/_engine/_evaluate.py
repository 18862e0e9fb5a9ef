"""Stage 1½, evaluate: run a claim's fused check on batches and read its errors.

A :class:`Checker` holds one claim's lines (as :class:`LineSlot`), its oracle
and its fused check (:mod:`._compile`), sizes batches per shape bucket, runs
NumPy lines that JAX cannot trace one input at a time, and returns
:class:`Errors` records.
"""

from __future__ import annotations

import traceback
from typing import Any

import numpy as np

from .. import _tolerance as tol
from .._binding import bind_line
from .._claims import Claim, ClaimError
from .._numpy import is_numpy_fn
from .._profiles import Profile
from .._shrink import magnitude
from ._compile import Compiler, FusedCheck
from ._kinks import explain_kinks
from ._oracle import Oracle
from ._records import Errors, LineMode, LineSlot, part_of
from ._rules import failing, first_line, judge_output, plainly_passing

__all__ = ["BATCH_FLOATS", "PIPELINE_FLOATS", "Checker", "batch_of_inputs"]


def _bound(fn, claim: Claim, *, where: str):
    """:func:`.._binding.bind_line`; a line that cannot be bound (it asks for an input
    the space lacks) raises its ClaimError when run, an error of that line alone."""
    try:
        return bind_line(fn, claim, where=where)
    except ClaimError as exc:
        message = str(exc)

        def unbound(inputs):
            raise ClaimError(message)
        return unbound

#: Values per compiled call the engine aims for (see :meth:`Checker.batch_of`).
BATCH_FLOATS = 2**16

#: The most values per compiled call in a bucket of large inputs (32 MB of
#: float64), so that a bucket at a dimension's maximum stays affordable.
MAX_BATCH_FLOATS = 2**22

#: A profile batch of at least this many floats is drawn and checked in two
#: halves, overlapping the drawing of one half with the checking of the other.
PIPELINE_FLOATS = 2**19


def batch_of_inputs(xs: list[dict], size: int) -> dict[str, np.ndarray]:
    """Stack inputs into a batch of ``size``, repeating the first to fill it.

    >>> b = batch_of_inputs([{"x": np.zeros(2)}, {"x": np.ones(2)}], 4)
    >>> b["x"].tolist()
    [[0.0, 0.0], [1.0, 1.0], [0.0, 0.0], [0.0, 0.0]]
    """
    out = {}
    for k, first in xs[0].items():
        arr = np.empty((size, *np.shape(first)), dtype=np.asarray(first).dtype)
        arr[:len(xs)] = [x[k] for x in xs]
        arr[len(xs):] = first
        out[k] = arr
    return out


class Checker:
    """One claim's lines, checked batch by batch against its oracle."""

    def __init__(self, claim: Claim, profile: Profile, seed: int, *,
                 oracle: Oracle | None, oracle_name: str, compiler: Compiler) -> None:
        self.claim = claim
        self.space = claim.space
        self.profile = profile
        self.seed = seed
        self.property = oracle is None
        self.oracle = oracle
        self.judging = False  # set by the judge: kinks are then tested on every batch
        self.slots: list[LineSlot] = []
        self.fix_slot: dict[int, int] = {}
        parts = claim.target.parts
        for i, ln in enumerate(claim.lines):
            fn = _bound(ln.fn, claim, where=f"{claim.qualname} line {i + 1}")
            prev = i - 1 if i > 0 and claim.kind.chained else None
            self.slots.append(LineSlot(len(self.slots), fn, prev, numpy=is_numpy_fn(ln.fn),
                                       part=i if parts else None))
        for i, ln in enumerate(claim.lines):
            if ln.fix is not None:
                fn = _bound(ln.fix.fn, claim, where=f"{claim.qualname} line {i + 1} fix")
                self.fix_slot[i] = len(self.slots)
                self.slots.append(LineSlot(len(self.slots), fn, None,
                                           numpy=is_numpy_fn(ln.fix.fn),
                                           part=i if parts else None))
        self.float_names = [n for n, i in self.space.inputs.items() if i.varies]
        # A property carries its own tolerance, so only rounding at large
        # magnitudes (softmax saturating to exactly 1) excuses a failure.
        self.calm_bound = tol.PROPERTY_CALM if self.property else tol.MODERATE
        #: The normalized error above which an input fails: the claim's own
        #: ``rtol`` if it declares one, else the calibrated threshold.
        self.threshold = getattr(claim, "rtol", None) or tol.threshold(profile.dtype)
        self.truth_error: str | None = None
        self.truth_trace: str | None = None
        self.truth_untraceable = False  # the reference failed under JAX tracing
        self.truth_shape: dict[int, tuple | None] = {}
        self._floats_of: dict[int, int] = {}
        self._units: dict[int, float] = {}
        #: Per-check memos of the judge's helpers (``_dtypes``, ``_precision``), by name.
        self.memos: dict[str, dict] = {}
        #: Builds the compiled checks (and keeps them in the program store, if any).
        self.compiler = compiler
        self.fused: FusedCheck = self._fused(compiler, oracle, oracle_name)

    def _fused(self, compiler: Compiler, oracle: Oracle | None, oracle_name: str) -> FusedCheck:
        return compiler.fused(self.claim, oracle_name, self.slots,
                              None if oracle is None else oracle.truth, self.float_names,
                              self.profile.dtype)

    def bucket(self, b: int) -> dict[str, int]:
        """The dimensions of the profile's bucket ``b`` (the last at every maximum)."""
        return self.space.bucket_in(b, self.profile.buckets)

    # -- batch sizing ----------------------------------------------------------
    def floats(self, b: int) -> int:
        """Floats in one input of bucket ``b`` (memoized: asked for every batch)."""
        if b not in self._floats_of:
            bucket = self.bucket(b)
            self._floats_of[b] = sum(
                int(np.prod(self.space.shape_of(n, bucket), dtype=np.int64))
                for n in self.space.inputs) or 1
        return self._floats_of[b]

    def batch_of(self, b: int) -> int:
        """Inputs per compiled call in bucket ``b``: the profile's batch, times up
        to 16 for small inputs, so that each call carries ~``BATCH_FLOATS`` values;
        half the batch for large inputs (see :meth:`rounds_of`)."""
        floats = self.floats(b)
        if self.rounds_of(b) > 1:  # large inputs: at most ~MAX_BATCH_FLOATS per call
            return max(1, min(self.profile.batch // 2, MAX_BATCH_FLOATS // floats))
        scale = max(1, min(16, BATCH_FLOATS // (floats * self.profile.batch)))
        return self.profile.batch * (1 << (scale.bit_length() - 1))  # a power of 2

    def rounds_of(self, b: int) -> int:
        """Compiled calls per example: 2 for large inputs, else 1.

        Drawing a large batch costs about as much as checking it. Split in two,
        the second half is drawn while the first is being checked (JAX
        dispatches asynchronously), which hides most of the drawing.
        """
        big = self.floats(b) * self.profile.batch >= PIPELINE_FLOATS
        return 2 if big and self.profile.batch >= 2 else 1

    def budget(self) -> int:
        """Inputs to check when nothing fails: the profile's."""
        return self.profile.inputs

    def batch_from(self, xs: list[dict], b: int) -> dict[str, np.ndarray]:
        return batch_of_inputs(xs, self.batch_of(b))

    def calm_batch(self, b: int, seed: int) -> dict[str, np.ndarray]:
        return self.space.calm(self.space.draw(self.bucket(b), seed=seed,
                                               size=self.batch_of(b)))

    # -- running the fused check ----------------------------------------------
    def probe(self, b: int) -> None:
        """Make sure bucket ``b`` has been traced, so every line's mode there is known."""
        if b not in self.truth_shape and self.truth_error is None:
            batch = self.space.draw(self.bucket(b), seed=b, size=self.batch_of(b),
                                    regimes=self.profile.regimes)
            self.collect(b, batch, self.call(b, batch), probe=True)

    def unit(self, b: int, *, probe: Any = None) -> float:
        """The claim's unit in bucket ``b`` (see :func:`.._tolerance.unit_of`).

        Measured once, on the bucket's fixed probe batch (seed ``b``, part 0), so
        that it does not depend on which batches were checked before. ``probe``:
        the fused check's result on that very batch, if the caller has it (the
        search's first example in a bucket is that batch), so it is not run twice.
        """
        if b not in self._units:
            self._units[b] = 1.0  # while measuring (and for properties)
            # the same probe batch gives the same unit: a claim checked again (the
            # compiled check is kept with the claim) does not measure it again
            key = (b, tuple(sorted(self.bucket(b).items())), self.batch_of(b),
                   self.profile.regimes)
            known = self.fused.units.get(key)
            if known is not None and b in self.truth_shape:  # the bucket's modes are known
                self._units[b] = known
            elif not self.property:
                res = probe
                if res is None:
                    batch = self.space.draw(self.bucket(b), seed=b, size=self.batch_of(b),
                                            regimes=self.profile.regimes)
                    res = self.call(b, batch)
                if res is not None:
                    packed = np.asarray(res[0])
                    n = len(self.slots)
                    tmax = packed[:, 5 * n + 2][packed[:, 5 * n] > 0.5]
                    self._units[b] = tol.unit_of(tmax)
                    self.fused.units[key] = self._units[b]
        return self._units[b]

    def call(self, b: int, batch: dict) -> Any:
        """Dispatch the fused check; on a bucket's first call, take what its trace decided.

        The trace may have happened in an earlier check of the same claim (or
        for another bucket with the same shapes): decisions are kept per shape.
        """
        res, rec = self.fused(batch)
        if b in self.truth_shape:
            return res
        if rec.truth_error is not None:
            self.truth_error, self.truth_trace = rec.truth_error, rec.truth_trace
            self.truth_untraceable = rec.truth_untraceable
            return None
        self.truth_shape[b] = rec.truth_shape
        for slot in self.slots:
            slot.mode[b] = rec.modes[slot.index]
            if rec.messages.get(slot.index):
                slot.message = rec.messages[slot.index]
            if rec.traces.get(slot.index):
                slot.trace = rec.traces[slot.index]
        return res

    def evaluate(self, b: int, batch: dict[str, np.ndarray], *,
                 rows: int | None = None) -> Errors:
        """Errors of every slot on a batch; ``rows``: only the batch's first rows are
        inputs (the rest repeat the first, to fill the bucket's batch size), and only they
        are judged."""
        res = self.call(b, batch)
        return (self.collect(b, batch, res) if rows is None else
                self.collect(b, batch, res, rows=rows))

    def _magnitudes(self, batch: dict, size: int) -> np.ndarray:
        return np.array([magnitude(self.space, {k: v[i] for k, v in batch.items()})
                         for i in range(size)])

    def collect(self, b: int, batch: dict[str, np.ndarray], res: Any, *,
                probe: bool = False, rows: int | None = None) -> Errors:
        """Wait for a dispatched fused check (:meth:`call`) and unpack its errors.

        ``probe``: ``batch`` is the bucket's probe batch (see :meth:`unit`). ``rows``: the
        errors of the batch's first rows only (see :meth:`evaluate`)."""
        padded = batch
        if rows is not None and res is not None:
            batch, res = {k: v[:rows] for k, v in batch.items()}, res.head(rows)
        size = next(iter(batch.values())).shape[0]
        n = len(self.slots)
        out = Errors(err=np.full((size, n), np.nan), step=np.full((size, n), np.nan),
                     fin=np.ones((size, n), dtype=bool), tfin=np.zeros(size, dtype=bool),
                     mag=None, ran=np.zeros((size, n), dtype=bool),
                     threshold=self.threshold)
        truth_vals = None
        unit = self.unit(b, probe=res if probe else None)
        full = res
        out.kinks = np.zeros((size, n), dtype=np.int8)
        if res is not None:
            res, truth_vals, _ = res  # the values stay on the device unless needed
            packed = np.asarray(res)
            out.tfin = packed[:, 5 * n] > 0.5
            out.mag = packed[:, 5 * n + 1]
            out.fin[:] = packed[:, 3 * n:4 * n] > 0.5
            if self.property:  # a predicate's "error" is 0 (holds) or 1 (does not)
                out.err[:] = packed[:, :n]
                out.step[:] = packed[:, n:2 * n]
            else:
                s = out.mag[:, None]
                out.err[:] = tol.relative(packed[:, :n], packed[:, 4 * n:5 * n], s, unit)
                out.step[:] = tol.relative(packed[:, n:2 * n], packed[:, 2 * n:3 * n], s, unit)
            if full.interpreted and not plainly_passing(out, self.slots, b):
                # NumPy ran the check (see .._engine._interp), and this batch is not
                # plainly passing: from here on, this bucket's results are XLA's
                self.fused.compile_now(padded)
                return self.collect(b, padded, self.call(b, padded), probe=probe, rows=rows)
        numpy_slots = [s for s in self.slots if s.mode.get(b) is LineMode.NUMPY]
        if out.mag is None:
            out.mag = self._magnitudes(batch, size)
        if numpy_slots:
            self._evaluate_numpy(numpy_slots, batch, truth_vals, out, b, unit)
        for slot in self.slots:
            mode = slot.mode.get(b)
            if mode is not None and mode.runs and mode is not LineMode.NUMPY:
                out.ran[:, slot.index] = True  # NumPy lines mark the inputs they ran
            if mode is LineMode.TRANSPOSED:  # wrong layout: fails whatever the values
                out.err[:, slot.index] = np.inf
        explain_kinks(self, b, batch, full, out)
        return out

    def _evaluate_numpy(self, slots, batch, truth_vals, out: Errors, b: int,
                        unit: float) -> None:
        """NumPy lines, one input at a time, on the first inputs of a batch only: a
        profile's share per bucket (the rest of a batch scaled up for the compiled
        check is marked not run, and the profile's budget is still reached)."""
        size = next(iter(batch.values())).shape[0]
        prof = self.profile
        count = min(size, max(prof.batch, prof.inputs // prof.buckets))
        tshape = self.truth_shape.get(b)
        if truth_vals is not None:
            truth_vals = (tuple(np.asarray(p) for p in truth_vals)
                          if isinstance(truth_vals, tuple) else np.asarray(truth_vals))
        for slot in slots:
            j = slot.index
            for i in range(count):
                x = self.line_inputs({k: np.array(v[i]) for k, v in batch.items()})
                try:
                    with np.errstate(all="ignore"):
                        g = slot.fn(x)
                except ClaimError as exc:  # a claimed tuple of the wrong blocks
                    slot.message, slot.mode[b] = str(exc), LineMode.ERROR
                    break
                except Exception as exc:
                    if out.mag[i] > self.calm_bound and not self.property:
                        # raises beyond the calm range only: a failure the judge
                        # may call unstable, not an error of the whole line
                        out.err[i, j] = out.step[i, j] = np.inf
                        out.fin[i, j] = False
                        out.ran[i, j] = True
                        slot.raised = slot.raised or type(exc).__name__
                        continue
                    slot.message = (f"raised {first_line(exc)} (run on NumPy arrays, as JAX "
                                    "could not trace it); fix the function (--traceback "
                                    "shows where)")
                    slot.trace = traceback.format_exc()
                    slot.mode[b] = LineMode.ERROR
                    break
                if self.property:
                    mode, why = judge_output(g, None, prop=True)
                    if mode is LineMode.ERROR:
                        slot.mode[b], slot.message = mode, why
                        break
                    out.err[i, j] = 0.0 if bool(np.all(g)) else 1.0
                    out.step[i, j] = 0.0
                    out.ran[i, j] = True
                    continue
                want = part_of(tshape, slot.part)
                g = np.asarray(g)
                if g.shape != want or g.dtype != np.float64:
                    mode, why = judge_output(g, want, prop=False, dtype=self.profile.dtype)
                    if why:
                        slot.message = why
                    if mode is LineMode.ERROR:
                        slot.mode[b] = mode
                        break
                    if mode is LineMode.TRANSPOSED:
                        g = g.T
                g = g.astype(np.float64)
                out.values.setdefault(j, np.full((size, *g.shape), np.nan))[i] = g
                t = np.asarray(part_of(truth_vals, slot.part))[i]  # NumPy, then the row
                with np.errstate(all="ignore"):  # inf or nan claims fail, quietly
                    out.err[i, j] = tol.normalized_error(g, t, out.mag[i], np, unit)
                ref = t
                if slot.prev is not None and not np.isnan(out.err[i, slot.prev]):
                    prev_fn = self.slots[slot.prev].fn
                    ref = np.asarray(prev_fn(x))
                with np.errstate(all="ignore"):
                    out.step[i, j] = tol.normalized_error(g, ref, out.mag[i], np, unit)
                out.fin[i, j] = bool(np.all(np.isfinite(g)))
                out.ran[i, j] = True

    def line_inputs(self, x: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """One input as the lines see it: rounded to float32 in float32 mode."""
        if self.profile.dtype != "float32":
            return x
        return {k: v.astype(np.float32) if np.issubdtype(v.dtype, np.floating) else v
                for k, v in x.items()}

    def truth_inputs(self, x: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """One input as the truth sees it: the lines' values, in float64."""
        if self.profile.dtype != "float32":
            return x
        return {k: v.astype(np.float32).astype(np.float64)
                if np.issubdtype(v.dtype, np.floating) else v for k, v in x.items()}

    def fails_on(self, b: int, j: int, cands: list[dict], floor: float = 0.0) -> np.ndarray:
        """Which candidates still fail line ``j``, with an error of at least ``floor``."""
        res = []
        size = self.batch_of(b)
        for start in range(0, len(cands), size):
            chunk = cands[start:start + size]
            out = self.evaluate(b, batch_of_inputs(chunk, size), rows=len(chunk))
            with np.errstate(invalid="ignore"):
                clear = ~out.fin[:, j] | ~(out.err[:, j] < floor)
            res.extend((failing(out)[:, j] & clear)[: len(chunk)])
        return np.asarray(res, dtype=bool)

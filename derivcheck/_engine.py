"""The engine: one fused, vmapped check per (claim, shape bucket).

For each claim the engine

1. probes every line abstractly (``jax.eval_shape``) in each shape bucket:
   a line that raises or has the wrong shape or dtype becomes an ``error``
   verdict without stopping the others; a line JAX cannot trace (plain NumPy
   code) is checked one input at a time instead;
2. compiles one function that computes the truth, every traceable line and
   their normalized errors for a whole batch of inputs (``jit(vmap(...))``),
   once per bucket for the whole claim, however many lines it has;
3. lets Hypothesis draw (bucket, seed) pairs, each seed giving one batch that
   mixes all value regimes;
4. shrinks each failing line to its simplest counterexample and decides
   between ``refuted`` (it fails on calm inputs, so the formula is wrong) and
   ``unstable`` (it fails only at large magnitudes, so the formula is right
   but its float64 evaluation breaks down).
"""

from __future__ import annotations

import dataclasses
import functools
import time
import traceback
import weakref
from collections.abc import Callable
from typing import Any

import hypothesis
import hypothesis.strategies as st
import jax
import jax.numpy as jnp
import numpy as np

from . import _tolerance as tol
from ._claims import Claim, ClaimError, bind
from ._profiles import Profile
from ._shrink import magnitude, shrink
from ._verdict import LineResult, Result

jax.config.update("jax_enable_x64", True)

__all__ = ["run_claim"]

_TRACER_ERRORS = (
    jax.errors.TracerArrayConversionError,
    jax.errors.ConcretizationTypeError,
    jax.errors.TracerBoolConversionError,
    jax.errors.TracerIntegerConversionError,
)

#: Counts traces of fused checks (= XLA compilations), keyed by claim id.
COMPILATIONS: dict[str, int] = {}

#: Values per compiled call the engine aims for (see ``_ClaimRun.batch_of``).
BATCH_FLOATS = 2**16

#: A profile batch of at least this many floats is drawn and checked in two
#: halves, overlapping the drawing of one half with the checking of the other.
PIPELINE_FLOATS = 2**19

#: derivcheck compiles many small programs and runs each briefly. On the CPU,
#: XLA's older (non-MLIR) fusion emitters and a single codegen split took
#: 0.73x the compile time of XLA's defaults, and the compiled checks ran no
#: slower (``bench/compile_options.py`` measures both).
COMPILER_OPTIONS = {"xla_cpu_use_fusion_emitters": False,
                    "xla_cpu_parallel_codegen_split_count": 1}


@functools.cache
def _compiler_options() -> tuple[tuple[str, Any], ...]:
    """:data:`COMPILER_OPTIONS` if this XLA knows them (one tiny compile), else none."""
    if jax.default_backend() != "cpu":
        return ()
    try:
        jax.jit(lambda x: x + 1, compiler_options=COMPILER_OPTIONS).lower(1.0).compile()
    except Exception:  # an XLA without these flags: its defaults still work
        return ()
    return tuple(COMPILER_OPTIONS.items())


def _jit(fn: Callable) -> Callable:
    return jax.jit(fn, compiler_options=dict(_compiler_options()) or None)


def _batch_of_inputs(xs: list[dict], size: int) -> dict[str, np.ndarray]:
    """Stack inputs into a batch of ``size``, repeating the first to fill it.

    >>> b = _batch_of_inputs([{"x": np.zeros(2)}, {"x": np.ones(2)}], 4)
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


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".strip()


def _judge(raw, out, tshape, *, prop: bool) -> tuple[str, str | None]:
    """A line's mode from what it returned: jax, transposed or error (with why)."""
    if isinstance(raw, (tuple, list, dict)):
        return "error", f"returns a {type(raw).__name__}; return one array"
    if prop:
        return "jax", None
    if isinstance(raw, (bool, int, float, complex)) and tshape != ():
        return "error", (f"returns a Python {type(raw).__name__}, not an array of shape "
                         f"{tshape}; return a jnp array")
    shape = tuple(getattr(out, "shape", ()))
    dtype = np.dtype(getattr(out, "dtype", np.float64))
    if shape != tshape:
        if len(shape) >= 2 and shape == tshape[::-1]:
            return "transposed", None
        return "error", (f"returns shape {shape}, but the truth has shape {tshape}; "
                         "check the layout of the claimed expression")
    if dtype != np.float64 and not isinstance(raw, (int, float)):
        return "error", (f"returns {dtype}, not float64; derivcheck checks in float64, "
                         "so compute with float64 arrays")
    return "jax", None


#: Per claim: its fused check and what each traced shape decided, kept while
#: the claim lives, so checking the same claim again in this process compiles
#: nothing. Entries hold no reference to the claim itself.
_FUSED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _truth_callable(claim: Claim) -> Callable[[dict], Any] | None:
    tgt = claim.target
    if tgt.mode == "property":
        return None
    f = bind(tgt.fn, claim.space, where=f"{claim.qualname} (reference)")
    if tgt.mode == "value":
        return lambda inp: jnp.asarray(f(inp))
    wrt = tgt.wrt

    def as_fn_of_wrt(inp):
        def g(v):
            return f({**inp, wrt: v})
        return g

    if tgt.mode == "grad":
        return lambda inp: jax.grad(as_fn_of_wrt(inp))(inp[wrt])
    return lambda inp: jax.jacobian(as_fn_of_wrt(inp))(inp[wrt])


@dataclasses.dataclass
class _LineSlot:
    """Bookkeeping for one line (main line or fix) during a search."""

    index: int            # position among all slots
    fn: Callable[[dict], Any]
    prev: int | None      # slot compared for the step error (None: the truth)
    mode: dict = dataclasses.field(default_factory=dict)  # bucket -> jax|numpy|transposed|error
    message: str | None = None
    trace: str | None = None
    examples: int = 0
    max_err: float = 0.0
    max_step: float = 0.0
    failures: list = dataclasses.field(default_factory=list)  # (mag, bucket, x, err)
    calm_failure: bool = False


class _ClaimRun:
    def __init__(self, claim: Claim, profile: Profile, seed: int) -> None:
        self.claim = claim
        self.space = claim.space
        self.profile = profile
        self.seed = seed
        self.key = claim.qualname
        COMPILATIONS.setdefault(self.key, 0)
        self.truth = _truth_callable(claim)
        self.property = self.truth is None
        self.slots: list[_LineSlot] = []
        self.fix_slot: dict[int, int] = {}
        for i, ln in enumerate(claim.lines):
            fn = bind(ln.fn, self.space, where=f"{claim.qualname} line {i + 1}")
            prev = i - 1 if i > 0 and claim.kind == "derivation" else None
            self.slots.append(_LineSlot(len(self.slots), fn, prev))
        for i, ln in enumerate(claim.lines):
            if ln.fix is not None:
                fn = bind(ln.fix.fn, self.space, where=f"{claim.qualname} line {i + 1} fix")
                self.fix_slot[i] = len(self.slots)
                self.slots.append(_LineSlot(len(self.slots), fn, None))
        self.float_names = [n for n, i in self.space.inputs.items() if i.varies]
        # A property carries its own tolerance, so only rounding at large
        # magnitudes (softmax saturating to exactly 1) excuses a failure.
        self.calm_bound = tol.PROPERTY_CALM if self.property else tol.MODERATE
        self.truth_error: str | None = None
        self.truth_trace: str | None = None
        self.truth_shape: dict[int, tuple] = {}
        self._floats_of: dict[int, int] = {}

    # -- probing -----------------------------------------------------------
    def probe(self, b: int) -> None:
        """Make sure bucket ``b`` has been traced, so every line's mode there is known."""
        if b not in self.truth_shape and self.truth_error is None:
            batch = self.space.draw(self.space.bucket(b), seed=b, size=self.batch_of(b),
                                    regimes=self.profile.regimes)
            self.evaluate(b, batch)

    def _judge_output(self, slot, raw, out, tshape) -> str:
        mode, message = _judge(raw, out, tshape, prop=self.property)
        if message:
            slot.message = message
        return mode

    def _floats(self, b: int) -> int:
        """Floats in one input of bucket ``b`` (memoized: asked for every batch)."""
        if b not in self._floats_of:
            bucket = self.space.bucket(b)
            self._floats_of[b] = sum(
                int(np.prod(self.space.shape_of(n, bucket), dtype=np.int64))
                for n in self.space.inputs) or 1
        return self._floats_of[b]

    def batch_of(self, b: int) -> int:
        """Inputs per compiled call in bucket ``b``: the profile's batch, times up
        to 16 for small inputs, so that each call carries ~``BATCH_FLOATS`` values;
        half the batch for large inputs (see :meth:`rounds_of`)."""
        floats = self._floats(b)
        if self.rounds_of(b) > 1:
            return max(1, self.profile.batch // 2)
        scale = max(1, min(16, BATCH_FLOATS // (floats * self.profile.batch)))
        return self.profile.batch * (1 << (scale.bit_length() - 1))  # a power of 2

    def rounds_of(self, b: int) -> int:
        """Compiled calls per example: 2 for large inputs, else 1.

        Drawing a large batch costs about as much as checking it. Split in two,
        the second half is drawn while the first is being checked (JAX
        dispatches asynchronously), which hides most of the drawing.
        """
        big = self._floats(b) * self.profile.batch >= PIPELINE_FLOATS
        return 2 if big and self.profile.batch >= 2 else 1

    # -- compiled evaluation -------------------------------------------------
    def _fused_fn(self) -> dict:
        """The one jitted, vmapped check of the claim: truth and all lines, with errors.

        Returns the claim's cache entry: ``fn`` (the jitted check) and
        ``records`` (what the trace of each shape decided).

        Each line's mode in a bucket ("jax", "transposed", "numpy", "error") is
        decided while JAX traces that bucket's shapes, inside the same trace: a
        line that raises is caught and its columns hold NaN, so it cannot stop
        the others, and nothing is traced twice.
        """
        entry = _FUSED.get(self.claim)
        if entry is not None and entry["lines"] == len(self.slots):
            entry["key"] = self.key
            return entry
        truth, prop = self.truth, self.property
        float_names, n = self.float_names, len(self.slots)
        slot_fns = [(sl.index, sl.fn, sl.prev) for sl in self.slots]
        entry = {"key": self.key, "lines": n, "current": None, "records": {}}

        def single(inp):
            key = entry["key"]
            COMPILATIONS[key] = COMPILATIONS.get(key, 0) + 1  # runs once per trace
            rec: dict = {}
            entry["records"][entry["current"]] = rec
            mags = [jnp.max(jnp.abs(inp[k])) for k in float_names if inp[k].size]
            s = jnp.max(jnp.stack(mags)) if mags else jnp.asarray(0.0)
            nan = jnp.asarray(jnp.nan)
            errs, steps, fins = [nan] * n, [nan] * n, [jnp.asarray(True)] * n
            t = None
            if not prop:
                try:
                    t = jnp.asarray(truth(inp), jnp.float64)
                except Exception as exc:  # the reference itself is broken
                    rec["truth_error"] = (f"the reference raised {_first_line(exc)}; fix the "
                                          "function (--traceback shows where)")
                    rec["truth_trace"] = traceback.format_exc()
                    return jnp.zeros(3 * n + 2), nan, (nan,) * n
            rec["tshape"] = None if prop else tuple(t.shape)
            vals = {}
            raws = [nan] * n  # each line's own output, for the diagnosis
            for i, fn, prev in slot_fns:
                try:
                    raw = fn(inp)
                except _TRACER_ERRORS:
                    rec[i] = "numpy"
                    continue
                except ClaimError as exc:
                    rec[i], rec["msg", i] = "error", str(exc)
                    continue
                except Exception as exc:
                    rec[i] = "error"
                    rec["msg", i] = (f"raised {_first_line(exc)}; fix the function "
                                     "(--traceback shows where)")
                    rec["trace", i] = traceback.format_exc()
                    continue
                mode, why = _judge(raw, raw, rec["tshape"], prop=prop)
                rec[i], rec["msg", i] = mode, why
                if mode == "error":
                    continue
                if prop:
                    errs[i] = jnp.where(jnp.all(jnp.asarray(raw)), 0.0, 1.0)
                    steps[i] = jnp.asarray(0.0)
                    continue
                g = raws[i] = jnp.asarray(raw, jnp.float64)
                if mode == "transposed":
                    g = g.T
                vals[i] = g
                errs[i] = tol.normalized_error(g, t, s, jnp)
                ref = vals.get(prev) if prev is not None else None
                steps[i] = errs[i] if ref is None else tol.normalized_error(g, ref, s, jnp)
                fins[i] = jnp.all(jnp.isfinite(g))
            tfin = jnp.asarray(True) if prop else jnp.all(jnp.isfinite(t))
            # One packed vector per input: a single device-to-host transfer per batch.
            packed = jnp.concatenate([
                jnp.stack(errs), jnp.stack(steps), jnp.stack(fins).astype(jnp.float64),
                jnp.stack([tfin.astype(jnp.float64), s])])
            return packed, (nan if prop else t), tuple(raws)

        entry["fn"] = _jit(jax.vmap(single))
        try:
            _FUSED[self.claim] = entry
        except TypeError:  # a claim that cannot be weakly referenced: no reuse
            pass
        return entry

    def _call_fused(self, b: int, batch: dict) -> Any:
        """Run the fused check; on a bucket's first call, take what its trace decided.

        The trace may have happened in an earlier check of the same claim (or
        for another bucket with the same shapes): decisions are kept per shape.
        """
        entry = self._fused_fn()
        shapes = tuple(sorted(self.space.bucket(b).items()))
        entry["current"] = shapes
        res = entry["fn"](batch)
        if b in self.truth_shape:
            return res
        rec = entry["records"][shapes]
        if "truth_error" in rec:
            self.truth_error = rec["truth_error"]
            self.truth_trace = rec.get("truth_trace")
            return None
        self.truth_shape[b] = rec["tshape"]
        for slot in self.slots:
            slot.mode[b] = rec[slot.index]
            if rec.get(("msg", slot.index)):
                slot.message = rec["msg", slot.index]
            if rec.get(("trace", slot.index)):
                slot.trace = rec["trace", slot.index]
        return res

    def evaluate(self, b: int, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Errors of every slot on a batch: arrays (B, L), plus tfin (B,), mag (B,)."""
        return self.collect(b, batch, self._call_fused(b, batch))

    def collect(self, b: int, batch: dict[str, np.ndarray], res: Any) -> dict[str, np.ndarray]:
        """Wait for a dispatched fused check (``_call_fused``) and unpack its errors."""
        size = next(iter(batch.values())).shape[0]
        n = len(self.slots)
        err = np.full((size, n), np.nan)
        step = np.full((size, n), np.nan)
        fin = np.ones((size, n), dtype=bool)
        tfin = np.zeros(size, dtype=bool)
        mag = None
        truth_vals = None
        if res is not None:
            res, truth_vals, _ = res  # the values stay on the device unless needed
            packed = np.asarray(res)
            err[:] = packed[:, :n]
            step[:] = packed[:, n:2 * n]
            fin[:] = packed[:, 2 * n:3 * n] > 0.5
            tfin = packed[:, 3 * n] > 0.5
            mag = packed[:, 3 * n + 1]
        numpy_slots = [s for s in self.slots if s.mode.get(b) == "numpy"]
        if numpy_slots:
            if mag is None:
                mag = np.array([magnitude(self.space, {k: v[i] for k, v in batch.items()})
                                for i in range(size)])
            self._evaluate_numpy(numpy_slots, batch, np.asarray(truth_vals), mag, err, step,
                                 fin, b)
        if mag is None:
            mag = np.array([magnitude(self.space, {k: v[i] for k, v in batch.items()})
                            for i in range(size)])
        ran = np.zeros((size, n), dtype=bool)
        for slot in self.slots:
            mode = slot.mode.get(b)
            if mode in ("jax", "numpy", "transposed"):
                ran[:, slot.index] = True
            if mode == "transposed":  # wrong layout: fails whatever the values
                err[:, slot.index] = np.inf
        return {"err": err, "step": step, "fin": fin, "tfin": tfin, "mag": mag, "ran": ran}

    def _evaluate_numpy(self, slots, batch, truth_vals, mag, err, step, fin, b):
        size = next(iter(batch.values())).shape[0]
        tshape = self.truth_shape.get(b)
        for slot in slots:
            for i in range(size):
                x = {k: np.array(v[i]) for k, v in batch.items()}
                try:
                    g = slot.fn(x)
                except Exception as exc:
                    slot.message = f"raised {_first_line(exc)}"
                    slot.mode[b] = "error"
                    break
                if self.property:
                    err[i, slot.index] = 0.0 if bool(np.all(g)) else 1.0
                    step[i, slot.index] = 0.0
                    continue
                g = np.asarray(g)
                if g.shape != tshape or g.dtype != np.float64:
                    slot.mode[b] = self._judge_output(slot, g, g, tshape)
                    if slot.mode[b] == "error":
                        break
                    if slot.mode[b] == "transposed":
                        g = g.T
                    slot.mode[b] = "numpy"
                t = truth_vals[i]
                err[i, slot.index] = tol.normalized_error(g, t, mag[i], np)
                ref = t
                if slot.prev is not None and not np.isnan(err[i, slot.prev]):
                    prev_fn = self.slots[slot.prev].fn
                    ref = np.asarray(prev_fn({k: jnp.asarray(v) for k, v in x.items()}))
                step[i, slot.index] = tol.normalized_error(g, ref, mag[i], np)
                fin[i, slot.index] = bool(np.all(np.isfinite(g)))

    # -- failure bookkeeping ---------------------------------------------------
    @staticmethod
    def failing(out: dict) -> np.ndarray:
        """(B, L) mask: the truth is finite and the line is non-finite or too far off."""
        with np.errstate(invalid="ignore"):
            bad = (~out["fin"]) | (out["err"] > tol.THRESHOLD)
        return bad & out["tfin"][:, None] & out["ran"]

    def record(self, b: int, batch: dict, out: dict) -> None:
        fails = self.failing(out)
        checked = out["tfin"]
        for slot in self.slots:
            j = slot.index
            if slot.mode.get(b) not in ("jax", "numpy", "transposed"):
                continue
            ok = checked & ~fails[:, j]
            slot.examples += int(np.count_nonzero(checked))
            if np.any(ok):
                slot.max_err = max(slot.max_err, float(np.max(out["err"][ok, j])))
                steps = out["step"][ok, j]
                steps = steps[~np.isnan(steps)]
                if steps.size:
                    slot.max_step = max(slot.max_step, float(np.max(steps)))
            idx = np.flatnonzero(fails[:, j])
            if idx.size:
                # Prefer a calm input, then a clear failure (not one at the
                # tolerance's edge, as on tiny inputs), then a small magnitude.
                mags = out["mag"][idx]
                errs = np.minimum(np.nan_to_num(out["err"][idx, j], nan=np.inf), 1.0)
                i = int(idx[np.lexsort((mags, -errs, mags > self.calm_bound))[0]])
                mag, err = float(out["mag"][i]), float(min(np.nan_to_num(
                    out["err"][i, j], nan=np.inf), 1.0))
                if mag <= self.calm_bound:
                    slot.calm_failure = True
                x = {k: np.array(v[i]) for k, v in batch.items()}
                slot.failures.append((mag, b, x, err))
                slot.failures.sort(key=lambda f: (f[0] > self.calm_bound, f[1], -f[3], f[0]))
                del slot.failures[3:]

    def all_decided(self) -> bool:
        return all(s.calm_failure for s in self.slots)

    # -- the search ---------------------------------------------------------
    def search(self) -> None:
        prof = self.profile
        nb = prof.buckets

        def body(b: int, s: int) -> None:
            if self.all_decided() or self.truth_error is not None:
                return
            pending = []
            for part in range(self.rounds_of(b)):  # dispatch all, then wait
                batch = self.space.draw(self.space.bucket(b), seed=s, size=self.batch_of(b),
                                        regimes=prof.regimes, part=part)
                pending.append((batch, self._call_fused(b, batch)))
            for batch, res in pending:
                out = self.collect(b, batch, res)
                if self.truth_error is None:
                    self.record(b, batch, out)

        # The profile's budget is max_examples × batch inputs; where small inputs
        # get bigger batches, fewer examples reach it (never fewer than two
        # drawn examples beyond one per bucket).
        budget = prof.max_examples * prof.batch
        smallest = min(self.batch_of(b) * self.rounds_of(b) for b in range(nb))
        generated = max(-(-budget // smallest) - nb, min(2, prof.max_examples))
        settings = hypothesis.settings(
            max_examples=max(generated, 1),
            database=None,
            deadline=None,
            derandomize=False,
            phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate] if generated
            else [hypothesis.Phase.explicit],
            suppress_health_check=list(hypothesis.HealthCheck),
            print_blob=False,
        )
        test = hypothesis.given(b=st.integers(0, nb - 1), s=st.integers(0, 2**32 - 1))(body)
        for b in reversed(range(nb)):
            test = hypothesis.example(b=b, s=b)(test)
        test = hypothesis.seed(self.seed)(settings(test))
        # No example database is used, so skip hashing the body's source for its
        # key (tokenizing it cost ~1 ms per check); older or newer Hypothesis
        # versions that ignore this attribute just hash it.
        test._hypothesis_internal_database_key = None
        test()

    # -- shrinking and verdicts -------------------------------------------------
    def _fails_on(self, b: int, j: int, cands: list[dict], floor: float = 0.0) -> np.ndarray:
        """Which candidates still fail line ``j``, with an error of at least ``floor``."""
        res = []
        size = self.batch_of(b)
        for start in range(0, len(cands), size):
            chunk = cands[start:start + size]
            batch = _batch_of_inputs(chunk, size)
            out = self.evaluate(b, batch)
            with np.errstate(invalid="ignore"):
                clear = ~out["fin"][:, j] | ~(out["err"][:, j] < floor)
            res.extend((self.failing(out)[:, j] & clear)[: len(chunk)])
        return np.asarray(res, dtype=bool)

    def _calm_batch(self, b: int, seed: int) -> dict:
        batch = self.space.draw(self.space.bucket(b), seed=seed, size=self.batch_of(b))
        for name in self.float_names:
            v = batch[name]
            if self.space.inputs[name].kind == "real":
                batch[name] = np.clip(v, -1.0, 1.0) * 0.5
                if self.space.inputs[name].nonzero:
                    batch[name] = np.where(batch[name] == 0, 0.25, batch[name])
            elif self.space.inputs[name].kind == "positive":
                batch[name] = np.clip(v, 0.1, 1.0)
        return batch

    def conclude(self, slot: _LineSlot) -> dict[str, Any]:
        """Status, counterexample and instability threshold of a failing slot."""
        mag, b, x, err0 = slot.failures[0]
        j = slot.index
        # Shrink only to inputs that still fail clearly: a relative error that
        # merely grazes the threshold (values near 1e-9) makes a poor example.
        floor = max(tol.THRESHOLD, 0.1 * err0)
        # Try smaller buckets first: the smallest dimensions that still fail.
        for smaller in range(b):
            if self.space.bucket(smaller) == self.space.bucket(b):
                continue
            if smaller not in self.truth_shape:
                self.probe(smaller)
            if slot.mode.get(smaller) not in ("jax", "numpy", "transposed"):
                continue
            batch = self._calm_batch(smaller, seed=self.seed + 17)
            out = self.evaluate(smaller, batch)
            idx = np.flatnonzero(self.failing(out)[:, j])
            if idx.size:
                b = smaller
                x = {k: np.array(v[int(idx[0])]) for k, v in batch.items()}
                break
        x = shrink(self.space, x, lambda cands: self._fails_on(b, j, cands, floor))
        mag = magnitude(self.space, x)
        calm = mag <= self.calm_bound
        if not calm and not slot.calm_failure:
            for bb in sorted({0, b}):
                batch = self._calm_batch(bb, seed=self.seed + 29)
                if slot.mode.get(bb) not in ("jax", "numpy", "transposed"):
                    continue
                out = self.evaluate(bb, batch)
                idx = np.flatnonzero(self.failing(out)[:, j])
                if idx.size:
                    b = bb
                    x = {k: np.array(v[int(idx[0])]) for k, v in batch.items()}
                    x = shrink(self.space, x,
                               lambda cands, bb=bb: self._fails_on(bb, j, cands, floor))
                    calm = True
                    break
        single = self.evaluate(b, _batch_of_inputs([x], self.batch_of(b)))
        err = float(single["err"][0, j])
        finite = bool(single["fin"][0, j])
        if calm or slot.mode.get(b) == "transposed":
            status = "refuted"
            message = None
            if not finite and slot.mode.get(b) != "transposed":
                status = "error"
                message = ("returns nan or inf at a calm input where the truth is finite; "
                           "look for a division by zero or log(0)")
            return {"status": status, "x": x, "b": b, "bucket": self.space.bucket(b), "err": err,
                    "message": message, "unstable_from": None}
        # Unstable: find the smallest magnitude along the ray to the failure.
        ts = [2.0 ** (-k / 4) for k in range(0, 120)]
        cands = [{k: (v * t if k in self.float_names and self.space.inputs[k].kind == "real"
                      else v) for k, v in x.items()} for t in ts]
        fails = self._fails_on(b, j, cands)
        starts = [magnitude(self.space, c) for c, f in zip(cands, fails, strict=True) if f]
        return {"status": "unstable", "x": x, "b": b, "bucket": self.space.bucket(b), "err": err,
                "message": None, "unstable_from": min(starts) if starts else mag}


def _sides(run: _ClaimRun, b: int, slot_index: int, xs: list[dict]) -> tuple[list, list]:
    """Claimed and true values at a few inputs of bucket ``b``.

    They come from the fused check the search compiled for that bucket, which
    returns every line's own output beside its errors: no new compilation.
    NumPy lines run one input at a time.
    """
    slot = run.slots[slot_index]
    size = run.batch_of(b)
    gs, ts = [], []
    for start in range(0, len(xs), size):
        batch = _batch_of_inputs(xs[start:start + size], size)
        res = run._call_fused(b, batch)
        if res is None:
            raise ValueError("the reference cannot be evaluated")
        ts.extend(np.asarray(res[1]))
        if slot.mode.get(b) in ("jax", "transposed"):
            gs.extend(np.asarray(res[2][slot_index]))
    if slot.mode.get(b) == "numpy":
        gs = [np.asarray(slot.fn({k: np.asarray(v) for k, v in x.items()})) for x in xs]
    elif slot.mode.get(b) not in ("jax", "transposed"):
        raise ValueError(f"the line does not run in bucket {b}")
    return gs[:len(xs)], ts[:len(xs)]


#: Inputs drawn to diagnose a refuted line.
_DIAGNOSIS_BATCH = 16


def _diagnosis(run: _ClaimRun, slot: _LineSlot, x: dict, b_x: int) -> str | None:
    """Diagnose from calm failures in the largest bucket (least degenerate), else ``x``.

    ``x`` is the counterexample, in bucket ``b_x``. Both sides come from the
    fused checks, which the search has usually compiled for both buckets
    already, and failures are judged by the same tolerance in NumPy.
    """
    from ._diagnose import diagnose

    b = run.profile.buckets - 1
    batch = run._calm_batch(b, seed=run.seed + 41)
    xs = [{k: np.array(v[i]) for k, v in batch.items()}
          for i in range(min(_DIAGNOSIS_BATCH, len(next(iter(batch.values())))))]
    try:
        gs, ts = _sides(run, b, slot.index, xs)
        picked = []
        for g, t, xi in zip(gs, ts, xs, strict=True):
            if g.shape != t.shape or not np.all(np.isfinite(t)):
                picked.append((g, t, xi))
                continue
            with np.errstate(all="ignore"):
                e = tol.normalized_error(g, t, magnitude(run.space, xi), np)
            if not np.all(np.isfinite(g)) or e > tol.THRESHOLD:
                picked.append((g, t, xi))
        if len(picked) >= 2:
            gs, ts, xs = (list(z) for z in zip(*picked[:4], strict=True))
            return diagnose(gs, ts, xs, claim=run.claim)
    except Exception:  # that bucket does not suit the line: use the counterexample
        pass
    try:
        gs, ts = _sides(run, b_x, slot.index, [x])
        return diagnose(gs, ts, [x], claim=run.claim)
    except Exception as exc:  # diagnosis is best effort
        return f"no diagnosis ({_first_line(exc)})"


def run_claim(claim: Claim, *, profile: Profile, seed: int = 0,
              diagnose: bool = True) -> Result:
    """Search, shrink and judge one claim. Never raises for a broken claim.

    Args:
      diagnose: name the kind of mistake of refuted lines (the mutation audit
        turns it off).
    """
    t0 = time.perf_counter()
    name = claim.qualname
    base = dict(id=name, kind=claim.kind, expected=claim.expected, source=claim.source,
                latex=claim.latex, seed=seed)
    try:
        run = _ClaimRun(claim, profile, seed)
    except ClaimError as exc:
        return Result(status="error", message=str(exc), seconds=time.perf_counter() - t0,
                      lines=[LineResult(i + 1, ln.latex, "error", ln.expected, message=str(exc),
                                        erratum=ln.erratum, note=ln.note)
                             for i, ln in enumerate(claim.lines)], **base)
    compiled_before = COMPILATIONS.get(run.key, 0)
    run.search()
    verdicts: dict[int, LineResult] = {}
    for slot in run.slots:
        is_fix = slot.index >= len(claim.lines)
        src = claim.lines[slot.index] if not is_fix else next(
            claim.lines[i].fix for i, k in run.fix_slot.items() if k == slot.index)
        lr = LineResult(index=slot.index + 1, latex=src.latex, status="verified",
                        expected=src.expected, examples=slot.examples,
                        max_error=slot.max_err, step_error=slot.max_step,
                        erratum=getattr(src, "erratum", None), note=src.note)
        modes = {m for k, m in slot.mode.items() if isinstance(k, int)}
        if run.truth_error is not None:
            lr.status, lr.message, lr.trace = "error", run.truth_error, run.truth_trace
        elif "error" in modes:
            lr.status, lr.message, lr.trace = "error", slot.message, slot.trace
        elif slot.failures:
            c = run.conclude(slot)
            lr.status = c["status"]
            lr.counterexample = c["x"]
            lr.bucket = c["bucket"]
            if lr.status != "unstable":  # unstable: keep the error where it held
                lr.max_error = c["err"]
            lr.message = c["message"]
            lr.unstable_from = c["unstable_from"]
            if lr.status == "refuted" and not run.property and diagnose:
                lr.diagnosis = _diagnosis(run, slot, c["x"], c["b"])
        elif slot.examples == 0:
            lr.status = "error"
            lr.message = "the truth was never finite on the inputs drawn; check the reference"
        verdicts[slot.index] = lr
    lines = []
    for i in range(len(claim.lines)):
        lr = verdicts[i]
        if i in run.fix_slot:
            lr.fix = verdicts[run.fix_slot[i]]
        lines.append(lr)
    statuses = [ln.status for ln in lines]
    status = next((s for s in ("error", "refuted", "unstable") if s in statuses), "verified")
    head = next((ln for ln in lines if ln.status == status), lines[0])
    if claim.kind == "derivation":
        head_err = max((ln.max_error or 0.0) for ln in lines if ln.status == "verified") \
            if status == "verified" else head.max_error
    else:
        head_err = head.max_error
    result = Result(status=status, max_error=head_err, examples=max(ln.examples for ln in lines),
                  counterexample=head.counterexample if status != "verified" else None,
                  bucket=head.bucket if status != "verified" else None,
                  diagnosis=head.diagnosis, message=head.message,
                  unstable_from=head.unstable_from, seconds=time.perf_counter() - t0,
                  lines=lines, compilations=COMPILATIONS.get(run.key, 0) - compiled_before,
                  **base)
    result.trace = next((ln.trace for ln in lines if ln.trace), None)
    return result

"""Stage 1½ for a reference JAX cannot trace: check against finite differences.

:class:`FiniteDifferenceChecker` replaces the compiled check when the oracle
is :class:`~._oracle.FiniteDifferenceOracle`. It gives search and judge the
same :class:`~._records.Errors` records as :class:`~._evaluate.Checker`,
computed one input at a time on the host:

- the truth is seen along random directions (a :class:`~derivcheck._targets.Probe`
  per input: the projection, an interval at a kink, and its error estimate);
- each line's value is projected the same way and compared; its normalized
  error is the distance from the projection to the truth's interval, over the
  size of the truth plus the usual floor (``KAPPA·(1 + s)`` per entry);
- ``slack`` is :data:`MARGIN` times the truth's own error estimate in those
  units: a line fails only beyond it, so finite-difference noise never
  refutes a claim;
- an input where finite differences do not resolve the truth to
  :data:`RESOLUTION` (no step converged: a kink closer than the smallest
  step, a reference too noisy) is not counted as checked.

It checks a quarter of the profile's inputs (:data:`BUDGET_SHARE`; 48 at
the quick profile, 256 at the default one), :data:`BATCH` per example: each
costs about a dozen calls of the reference per probed input.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np

from .. import _tolerance as tol
from .._shrink import magnitude
from .._targets import NotByFiniteDifferences
from ._evaluate import Checker, batch_of_inputs
from ._fd_recheck import at_kink, recheck
from ._records import Errors, LineMode
from ._rules import failing, first_line, judge_output

__all__ = ["BATCH", "BUDGET_SHARE", "MARGIN", "RESOLUTION", "FiniteDifferenceChecker"]

#: Inputs per search example (the compiled path checks 64 or more).
BATCH = 8
#: A refutation must exceed the finite-difference error estimate this many times.
MARGIN = 100.0
#: An input counts only where the truth is known to this fraction of its size
#: (a float32 reference is known to about 1e-4; with :data:`MARGIN`, a claim
#: 10% off is still refuted there).
RESOLUTION = 1e-3
#: Below this share of resolved inputs the result says how few were checked.
RESOLVED_SHARE = 0.5
#: Inputs at which the reference's precision is measured.
PRECISION_PROBES = 3
#: Finite differences check this fraction of the profile's inputs (192 quick,
#: 1,024 default): each input costs a dozen calls of the reference.
BUDGET_SHARE = 4


class _NoCompile:
    """Stands in for the fused check: nothing is traced or compiled."""

    traces = 0
    records: dict = {}


class FiniteDifferenceChecker(Checker):
    """One claim's lines checked against a finite-difference oracle, one input at a time."""

    def _fused(self, compiler, oracle, oracle_name):
        self.oracle = oracle
        self.accuracy = 0.0  # the worst relative error estimate of the truth over checked inputs
        self.probed = 0  # inputs where the reference ran
        self.resolved = 0  # ... and finite differences resolved the truth
        self._jitted: dict[int, Any] = {}
        self._measured = 0
        return _NoCompile()

    #: Inputs at which a refuted line's whole truth is taken, to diagnose it.
    diagnosis_inputs = 4

    def batch_of(self, b: int) -> int:
        return min(BATCH, self.profile.batch)

    def unresolved(self) -> str | None:
        """Why the search's inputs do not support a verdict, or None."""
        if self.probed and self.resolved < RESOLVED_SHARE * self.probed:
            return (f"finite differences resolved the reference's derivative at only "
                    f"{self.resolved} of {self.probed} inputs (to {RESOLUTION:g} of its size), "
                    "so only those were checked: its values are noisy (does it compute in "
                    "float32?) or it has kinks at most inputs; a JAX reference checks them all")
        return None

    def budget(self) -> int:
        return max(1, self.profile.inputs // BUDGET_SHARE)

    def rounds_of(self, b: int) -> int:
        return 1

    def call(self, b: int, batch: dict) -> Any:
        return None  # all the work happens in collect, on the host

    def collect(self, b: int, batch: dict[str, np.ndarray], res: Any, *,
                probe: bool = False) -> Errors:
        size = next(iter(batch.values())).shape[0]
        n = len(self.slots)
        out = Errors(err=np.full((size, n), np.nan), step=np.full((size, n), np.nan),
                     fin=np.ones((size, n), dtype=bool), tfin=np.zeros(size, dtype=bool),
                     mag=np.zeros(size), ran=np.zeros((size, n), dtype=bool),
                     slack=np.zeros((size, n)), threshold=tol.threshold(self.profile.dtype))
        probed = []
        for i in range(size):
            x = {k: np.array(v[i]) for k, v in batch.items()}
            out.mag[i] = magnitude(self.space, x)
            x = self.truth_inputs(x)
            probed.append((x, self._probes(b, x, self._rng(x))))
        if probe and b not in self._units:
            self._units[b] = _unit([p for _, p in probed])
        unit = self.unit(b)
        for i, (x, probes) in enumerate(probed):
            if probes is not None:
                accuracy = self.accuracy
                self._check_input(b, i, x, probes, out, unit)
                if failing(out)[i].any():
                    recheck(self, b, i, x, probes, out, unit, accuracy)
        return out

    def unit(self, b: int, *, probe: Any = None) -> float:
        """The claim's unit in bucket ``b``: the median size of the truth's projections on
        the bucket's probe batch (seed ``b``), as the compiled path measures it, so that
        scaling a claim scales its floor (a sign error on a gradient of size 1e-12 is
        refuted)."""
        if b not in self._units:
            self.collect(b, self.space.draw(self.bucket(b), seed=b, size=self.batch_of(b),
                                            regimes=self.profile.regimes), None, probe=True)
        return self._units.get(b, 1.0)

    def batch_from(self, xs: list[dict], b: int) -> dict[str, np.ndarray]:
        return batch_of_inputs(xs, len(xs))  # no padding: each input costs a probe

    def fails_on(self, b: int, j: int, cands: list[dict], floor: float = 0.0) -> np.ndarray:
        if not cands:
            return np.zeros(0, dtype=bool)
        out = self.evaluate(b, batch_of_inputs(cands, len(cands)))
        with np.errstate(invalid="ignore"):
            clear = ~out.fin[:, j] | ~(out.err[:, j] < floor)
        return failing(out)[:, j] & clear

    def sides(self, b: int, j: int, xs: list[dict]) -> tuple[list, list]:
        """Claimed values and whole finite-difference truths at a few inputs, to diagnose."""
        slot = self.slots[j]
        gs, ts = [], []
        for x in xs:
            t = full_truth(self.oracle, x, slot.part)
            if t is None:
                raise ValueError("finite differences see this truth only along random "
                                 f"directions (second order, or more than "
                                 f"{FULL_TRUTH_ENTRIES} entries)")
            g = np.asarray(self._line_value(b, slot, x), dtype=np.float64)
            gs.append(g.T if slot.mode.get(b) is LineMode.TRANSPOSED else g)
            ts.append(t)
        return gs, ts

    def strength_terms(self, slot, xs: list[dict], ts: list) -> list | None:
        """The truths ``ts`` at ``xs`` split into two terms, for the diagnosis: the truth
        with every strength input (a positive scalar such as ``lam``) at 0, which is
        the data term where the strengths only weight penalties, and the rest. JAX
        finds a reference's terms in its jaxpr; NumPy code has none to read. None
        without strength inputs, or where the truth at 0 is not finite."""
        lams = [n for n, i in self.space.inputs.items() if i.kind_object.is_strength(i)]
        if not lams:
            return None
        data, rest = [], []
        for x, t in zip(xs, ts, strict=True):
            zeroed = {**x, **{n: np.zeros_like(np.asarray(x[n])) for n in lams}}
            t0 = full_truth(self.oracle, zeroed, slot.part)
            if t0 is None or np.shape(t0) != np.shape(t) or not np.all(np.isfinite(t0)):
                return None
            data.append(t0)
            rest.append(np.asarray(t, dtype=np.float64) - t0)
        return [data, rest]

    def _rng(self, x: dict, *salt: int) -> np.random.Generator:
        """Directions that depend on the seed and the input (and ``salt``), so a run is
        reproducible."""
        key = [self.seed, *salt] + [zlib.crc32(np.ascontiguousarray(x[k]).tobytes())
                                    for k in sorted(x)]
        return np.random.default_rng(key)

    def _probes(self, b: int, x: dict, rng: np.random.Generator, *,
                eps: float | None = None) -> dict | None:
        parts = {slot.part for slot in self.slots}
        before = measuring = None
        try:
            with np.errstate(all="ignore"):
                if (eps is None and self._measured < PRECISION_PROBES
                        and self.oracle.target.wrt_names):
                    before, measuring = self.oracle.eps, True
                    self.oracle.measure(x, rng)
                probes = {p: self.oracle.probe(x, p, rng, eps=eps) for p in parts}
            if measuring and at_kink(probes):  # the fit straddled the kink: no precision
                self.oracle.eps = before  # to keep (ReLUs tied at 0 read as 1e-10)
            elif measuring:
                self._measured += 1
        except NotByFiniteDifferences as exc:  # derivcheck's limit, not the user's code
            self.truth_error = str(exc)
            return None
        except Exception as exc:  # noqa: BLE001 - the reference fails at this input
            if b not in self.truth_shape:
                self.truth_error = (f"the reference raised {first_line(exc)} (run on NumPy "
                                    "arrays, as JAX could not trace it); fix the function "
                                    "(--traceback shows where)")
            return None
        if b not in self.truth_shape:
            shapes = {p: probes[p].shape for p in parts}
            self.truth_shape[b] = (tuple(shapes[p] for p in sorted(parts)) if None not in parts
                                   else shapes[None])
        return probes

    def claimed_value(self, b: int, slot, x: dict) -> np.ndarray | None:
        """A line's value at one input as it was checked (None if it raises there)."""
        try:
            with np.errstate(all="ignore"):
                return np.asarray(self._line_value(b, slot, x), dtype=np.float64)
        except Exception:  # noqa: BLE001 - its error is the line's, reported by the check
            return None

    def _line_value(self, b: int, slot, x: dict) -> Any:
        """A line's value at one input: jitted if JAX can trace it, else on NumPy arrays."""
        x = self.line_inputs(x)
        if slot.numpy or slot.mode.get(b) is LineMode.NUMPY:
            with np.errstate(all="ignore"):
                return slot.fn(x)
        fn = self._jitted.get(slot.index)
        if fn is None:
            import jax

            fn = self._jitted[slot.index] = jax.jit(slot.fn)
        try:
            value = np.asarray(fn(x))
            slot.mode.setdefault(b, LineMode.JAX)
            return value
        except Exception:  # noqa: BLE001 - JAX cannot trace it: NumPy semantics
            slot.mode[b] = LineMode.NUMPY
            with np.errstate(all="ignore"):
                return slot.fn(x)

    def _check_input(self, b: int, i: int, x: dict, probes: dict, out: Errors,
                     unit: float) -> None:
        self.probed += 1
        s = out.mag[i]
        resolved, values = True, {}
        for p, pr in probes.items():
            size = _size(pr)
            scale = size + tol.KAPPA * (1.0 + s) * pr.weight * unit
            rel = float(np.max(pr.error)) / scale
            resolved &= bool(np.isfinite(rel) and rel <= RESOLUTION
                             and np.all(np.isfinite(pr.lo)) and np.all(np.isfinite(pr.hi)))
            values[p] = (pr, scale, rel)
        if not resolved:
            return
        self.resolved += 1
        out.tfin[i] = True
        self.accuracy = max(self.accuracy, *(rel for _, _, rel in values.values()))
        claimed = {}
        for slot in self.slots:
            j = slot.index
            if slot.mode.get(b) is LineMode.ERROR:
                continue
            pr, scale, rel = values[slot.part]
            try:
                g = self._line_value(b, slot, x)
            except Exception as exc:  # noqa: BLE001 - reported as the line's error
                import traceback

                slot.mode[b] = LineMode.ERROR
                slot.message = (f"raised {first_line(exc)}; fix the function "
                                "(--traceback shows where)")
                slot.trace = traceback.format_exc()
                continue
            mode, why = judge_output(g, pr.shape, prop=False, dtype=self.profile.dtype)
            if why:
                slot.message = why
            if mode is LineMode.ERROR:
                slot.mode[b] = mode
                continue
            slot.mode.setdefault(b, mode)
            g = np.asarray(g, dtype=np.float64)
            if mode is LineMode.TRANSPOSED:
                slot.mode[b] = mode
                g = g.T
            claimed[j] = g
            out.ran[i, j] = True
            out.fin[i, j] = bool(np.all(np.isfinite(g)))
            c = np.asarray(pr.project(g), dtype=np.float64)
            with np.errstate(invalid="ignore"):
                gap = np.maximum(np.maximum(pr.lo - c, c - pr.hi), 0.0)
            out.err[i, j] = float(np.max(gap)) / scale if gap.size else 0.0
            out.slack[i, j] = MARGIN * rel
            if mode is LineMode.TRANSPOSED:
                out.err[i, j] = np.inf
            prev = claimed.get(slot.prev) if slot.prev is not None else None
            out.step[i, j] = (out.err[i, j] if prev is None
                              else float(tol.normalized_error(g, prev, s, np)))


def _size(pr) -> float:
    """The size of a probe's truth: the largest end of its intervals."""
    return max(float(np.max(np.abs(pr.lo))), float(np.max(np.abs(pr.hi))))


def _unit(probed: list) -> float:
    """:func:`.._tolerance.unit_of` over the probes of a batch (per input, the largest
    size over the truth's parts, over its directions' weight); 1 (the absolute floor)
    where the truth is 0 at every input, as finite differences never see it exactly."""
    sizes = [max(_size(pr) / max(pr.weight, 1e-300) for pr in probes.values())
             for probes in probed if probes]
    unit = tol.unit_of(np.array(sizes)) if sizes else 1.0
    return unit if unit > 0 else 1.0


#: The most entries a full finite-difference truth may have (one probe each).
FULL_TRUTH_ENTRIES = 512


def full_truth(oracle: Any, x: dict, part: int | None) -> np.ndarray | None:
    """The whole truth at ``x`` (gradient, Jacobian or one VJP part), entry by entry by
    finite differences; None where that would cost too much or for second order."""
    from .. import _fd
    from .._targets import VJP, Gradient, Jacobian, Value

    target, f = oracle.target, oracle.f
    if isinstance(target, Value):
        return np.asarray(f(x), dtype=np.float64)
    if isinstance(target, (Gradient, Jacobian)):
        name = target.wrt

        def fn(z):
            return f({**x, name: z})
    elif isinstance(target, VJP):
        name = target.wrt_names[part]
        dout = np.asarray(x[target.cotangent], dtype=np.float64)

        def fn(z):
            return np.sum(dout * np.asarray(f({**x, name: z}), dtype=np.float64))
    else:
        return None
    w = np.asarray(x[name], dtype=np.float64)
    if w.size > FULL_TRUTH_ENTRIES:
        return None
    with np.errstate(all="ignore"):
        jac, _ = _fd.gradient(fn, w, eps=oracle.eps)
    return jac

"""Speed benchmark: derivcheck side by side with its baselines, in one run, on the same claims.

The claim is the softmax cross-entropy gradient over W,
``J(W) = -mean_n sum_k Y log softmax(XW)``, ``grad = X^T (softmax(XW) - Y) / N``,
at a small (N=8, D=5, K=3) and a medium (N=256, D=64, K=10) size.

Measured, each a median over repeated runs:

- derivcheck: checked inputs per second of ``dc.check`` (first call on a fresh
  claim, warm repeat, and warm with XLA lowering/compilation subtracted as JAX
  reports it through ``jax.monitoring``);
- naive: Hypothesis drawing one input per example (``hypothesis.extra.numpy``)
  and a jitted check of ``jax.grad`` against the claim per input;
- vmap floor: both sides in one ``jit(vmap(...))`` call over 1,000 pre-drawn
  inputs, no search around it;
- per-input floor: one jitted call per input (already on the device);
- ``jax.test_util.check_grads`` per call (``modes=["rev"]``, ``order=1``);
- the ``proofs/`` catalog in a new process, cold (empty ``--cache-dir``) and warm;
- compilations (traces of the fused check) per claim and per shape bucket;
- a wrong small formula (sign error) refuted with its shrunk counterexample, in
  a fresh process, compilation included.

Usage::

    python bench/run.py            # full run, prints a table
    python bench/run.py --quick    # short smoke run (fewer repeats of the slow parts)
    python bench/run.py --json     # machine-readable results
    python bench/run.py --profile  # also cProfile one dc.check call per size
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import cProfile
import io
import json
import os
import platform
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import hypothesis  # noqa: E402
import hypothesis.strategies as st  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402
from jax import monitoring  # noqa: E402

import derivcheck as dc  # noqa: E402
from derivcheck import _engine  # noqa: E402
from derivcheck import _tolerance as tol  # noqa: E402
from derivcheck._verdict import format_counterexample  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
import targets as process_targets  # noqa: E402

jax.config.update("jax_enable_x64", True)

SIZES = {"small": {"N": 8, "D": 5, "K": 3}, "medium": {"N": 256, "D": 64, "K": 10}}
PROFILE = "default"
FLOOR_BATCH = 1000

#: (key, description, comparison, threshold) for each target.
TARGETS = [
    ("small_vs_naive", "small: derivcheck ≥ 100× naive Hypothesis", ">=", 100.0),
    ("small_vs_vmap", "small: within 5× of the vmap+jit floor (floor/derivcheck)", "<=", 5.0),
    ("medium_vs_fused", "medium: within 1.5× of the per-input jit floor (floor/derivcheck)",
     "<=", 1.5),
    ("small_vs_check_grads", "small: per input ≥ 50× faster than check_grads per call", ">=",
     50.0),
    ("medium_vs_check_grads", "medium: per input ≥ 50× faster than check_grads per call", ">=",
     50.0),
    ("catalog_cold", "catalog cold (s)", "<=", 10.0),
    ("catalog_warm", "catalog warm (s)", "<=", 4.0),
    ("pytest_item", "one pytest item, one gradient claim, running session (s)", "<=", 0.3),
    ("pytest_vs_cli", "pytest -n 2 proofs/ over derivcheck check proofs/ (ratio)", "<=", 1.2),
    ("pytest_vs_cli_pyc", "  the same, PYTHONDONTWRITEBYTECODE unset (Python's default)", "<=",
     1.2),
    ("doc_cold", "derivcheck doc on one seed, cold (s)", "<=", 10.0),
    ("doc_warm", "derivcheck doc on one seed, warm (s)", "<=", 3.0),
    ("compilations_per_bucket", "max compilations per (claim, bucket)", "<=", 1.0),
    ("wrong_refuted", "wrong small formula refuted, fresh process (s)", "<=", 2.0),
]


# -- the claim -------------------------------------------------------------

def risk(W, X, Y):
    return -jnp.mean(jnp.sum(Y * jax.nn.log_softmax(X @ W, axis=-1), axis=-1))


def grad(W, X, Y):
    return X.T @ (jax.nn.softmax(X @ W, axis=-1) - Y) / X.shape[0]


def space_for(size: str) -> dc.Space:
    return dc.Space(W=dc.real("D K"), X=dc.real("N D"), Y=dc.one_hot("N K"), dims=SIZES[size])


def claim_for(size: str, *, wrong: bool = False) -> dc.Claim:
    # fresh functions each time, so nothing is cached by function identity
    def claimed(W, X, Y):
        g = X.T @ (jax.nn.softmax(X @ W, axis=-1) - Y) / X.shape[0]
        return -g if wrong else g

    def f(W, X, Y):
        return risk(W, X, Y)

    return dc.gradient(f, claimed, space=space_for(size), wrt="W",
                       id=f"softmax_ce_{size}{'_sign' if wrong else ''}")


def check_one(W, X, Y):
    """Normalized error of the claim against ``jax.grad`` at one input."""
    s = jnp.maximum(jnp.max(jnp.abs(W)), jnp.max(jnp.abs(X)))
    return tol.normalized_error(grad(W, X, Y), jax.grad(risk)(W, X, Y), s, jnp)


# -- helpers ---------------------------------------------------------------

def median(xs):
    return float(statistics.median(xs))


class CompileClock:
    """Sums the lowering and backend-compile time JAX reports while active."""

    EVENTS = ("/jax/core/compile/backend_compile_duration",
              "/jax/core/compile/jaxpr_to_mlir_module_duration")

    def __init__(self):
        self.active = False
        self.seconds = 0.0
        self.compiles = 0
        monitoring.register_event_duration_secs_listener(self._listen)

    def _listen(self, name, secs, **_):
        if self.active and name in self.EVENTS:
            self.seconds += secs
            self.compiles += name == self.EVENTS[0]

    @contextlib.contextmanager
    def measure(self):
        self.seconds, self.compiles, self.active = 0.0, 0, True
        try:
            yield self
        finally:
            self.active = False


CLOCK = CompileClock()


def machine() -> dict:
    model = "unknown"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"nproc": os.cpu_count(), "affinity": len(os.sched_getaffinity(0)),
            "cpu": model, "jax": jax.__version__, "jaxlib": jax.lib.__version__,
            "hypothesis": hypothesis.__version__, "numpy": np.__version__,
            "python": platform.python_version(), "backend": jax.default_backend(),
            "loadavg_start": os.getloadavg(), "XLA_FLAGS": os.environ.get("XLA_FLAGS", "")}


# -- derivcheck in-process ------------------------------------------------

def bench_derivcheck(size: str, repeats: int) -> dict:
    first, warm, steady, compile_s, xla = [], [], [], [], []
    examples = compilations = None
    for _ in range(repeats):
        claim = claim_for(size)
        with CLOCK.measure():
            t = time.perf_counter()
            r = dc.check(claim, profile=PROFILE)
            first.append(time.perf_counter() - t)
        assert r.status == "verified", str(r)
        examples, compilations = r.examples, r.compilations
        with CLOCK.measure() as clk:
            t = time.perf_counter()
            r = dc.check(claim, profile=PROFILE)
            w = time.perf_counter() - t
        warm.append(w)
        compile_s.append(clk.seconds)
        xla.append(clk.compiles)
        steady.append(max(w - clk.seconds, 1e-9))
    return {"examples": examples, "compilations_per_call": compilations,
            "first_s": median(first), "warm_s": median(warm),
            "warm_compile_s": median(compile_s), "warm_xla_compiles": median(xla),
            "steady_s": median(steady),
            "first_rate": examples / median(first), "warm_rate": examples / median(warm),
            "steady_rate": examples / median(steady)}


# -- baselines -------------------------------------------------------------

def bench_naive(size: str, n: int, repeats: int) -> dict:
    d = SIZES[size]
    N, D, K = d["N"], d["D"], d["K"]
    jitted = jax.jit(check_one)
    eye = np.eye(K)
    jitted(np.zeros((D, K)), np.zeros((N, D)), eye[np.zeros(N, int)]).block_until_ready()
    floats = st.floats(-10, 10, allow_nan=False, allow_infinity=False, width=64)
    calls = [0]

    @hypothesis.settings(max_examples=n, deadline=None, database=None, derandomize=True,
                         suppress_health_check=list(hypothesis.HealthCheck),
                         phases=[hypothesis.Phase.generate])
    @hypothesis.given(W=hnp.arrays(np.float64, (D, K), elements=floats),
                      X=hnp.arrays(np.float64, (N, D), elements=floats),
                      y=hnp.arrays(np.int64, (N,), elements=st.integers(0, K - 1)))
    def naive(W, X, y):
        calls[0] += 1
        err = float(jitted(W, X, eye[y]))
        assert not err > tol.THRESHOLD

    rates = []
    for _ in range(repeats):
        calls[0] = 0
        t = time.perf_counter()
        naive()
        rates.append(calls[0] / (time.perf_counter() - t))
    return {"examples": calls[0], "rate": median(rates)}


def predrawn(size: str, n: int) -> dict:
    return space_for(size).draw(SIZES[size], seed=1, size=n)


def bench_vmap_floor(size: str, repeats: int) -> dict:
    batch = {k: jax.device_put(v) for k, v in predrawn(size, FLOOR_BATCH).items()}
    fn = jax.jit(jax.vmap(check_one))
    np.asarray(jax.device_get(fn(batch["W"], batch["X"], batch["Y"])))
    ts = []
    for _ in range(max(repeats, 5)):
        t = time.perf_counter()
        errs = jax.device_get(fn(batch["W"], batch["X"], batch["Y"]))
        ts.append(time.perf_counter() - t)
    assert np.nanmax(errs) < tol.THRESHOLD
    return {"inputs": FLOOR_BATCH, "seconds": median(ts), "rate": FLOOR_BATCH / median(ts)}


def bench_fused_floor(size: str, n: int, repeats: int) -> dict:
    host = predrawn(size, n)
    inputs = [tuple(jax.device_put(host[k][i]) for k in ("W", "X", "Y")) for i in range(n)]
    fn = jax.jit(check_one)
    fn(*inputs[0]).block_until_ready()
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        for x in inputs:
            float(fn(*x))
        ts.append(time.perf_counter() - t)
    return {"inputs": n, "rate": n / median(ts)}


def bench_check_grads(size: str, n: int) -> dict:
    from jax.test_util import check_grads

    host = predrawn(size, n + 1)
    xs = [(jnp.asarray(host["W"][i]), jnp.asarray(host["X"][i]), jnp.asarray(host["Y"][i]))
          for i in range(n + 1)]
    W, X, Y = xs[0]
    check_grads(lambda w: risk(w, X, Y), (W,), order=1, modes=["rev"])  # warm-up
    ts = []
    for W, X, Y in xs[1:]:
        t = time.perf_counter()
        check_grads(lambda w, X=X, Y=Y: risk(w, X, Y), (W,), order=1, modes=["rev"])
        ts.append(time.perf_counter() - t)
    return {"calls": n, "seconds_per_call": median(ts)}


# -- processes: catalog and a wrong formula -------------------------------

def bench_generation(size: str, repeats: int, batch: int = 64) -> dict:
    """Seconds per input to *generate* fresh inputs, which the floors do not pay.

    derivcheck's own ``Space.draw`` (uniform draws shaped into the value
    regimes) against the bare cost of as many Gaussian numbers (NumPy on the
    host, ``jax.random`` jitted on the device) and uniform numbers on the
    device, for a batch of ``batch`` inputs.
    """
    import jax
    import jax.numpy as jnp

    sp = space_for(size)
    bucket = sp.bucket(0)
    floats = sum(int(np.prod(sp.shape_of(n, bucket))) for n in sp.inputs)
    count = batch * floats
    rng = np.random.default_rng(0)
    normal = jax.jit(lambda k: jax.random.normal(k, (count,), dtype=jnp.float64))
    uniform = jax.jit(lambda k: jax.random.uniform(k, (count,), dtype=jnp.float64))
    normal(jax.random.key(0)).block_until_ready()
    uniform(jax.random.key(0)).block_until_ready()

    def timed(fn):
        out = []
        for r in range(repeats):
            t = time.perf_counter()
            fn(r)
            out.append((time.perf_counter() - t) / batch)
        return median(out)

    return {
        "floats_per_input": floats,
        "space_draw": timed(lambda r: sp.draw(bucket, seed=r, size=batch)),
        "numpy_normal": timed(lambda r: rng.normal(size=count)),
        "jax_normal": timed(lambda r: normal(jax.random.key(r)).block_until_ready()),
        "jax_uniform": timed(lambda r: uniform(jax.random.key(r)).block_until_ready()),
    }


def derivcheck_cmd() -> list[str]:
    exe = Path(sys.executable).parent / "derivcheck"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "derivcheck.cli"]


def _catalog_pair(cmd: list[str], cwd: Path, env: dict, cache: str) -> tuple[float, float, list]:
    """One cold run (empty ``cache``) and one warm run (same cache) of the catalog at ``cwd``."""
    times, codes, last = [], [], None
    for _ in range(2):
        t = time.perf_counter()
        p = subprocess.run(cmd + ["--cache-dir", cache], cwd=cwd, env=env, capture_output=True,
                           text=True)
        times.append(time.perf_counter() - t)
        codes.append(p.returncode)
        last = (p.stdout.strip().splitlines() or [""])[-1]
    return times[0], times[1], [codes, last]


def _compile_bytecode(root: Path) -> None:
    """Write the ``.pyc`` files of a checkout's package and proofs, so that no side of a
    comparison compiles derivcheck's modules in every process: where
    ``PYTHONDONTWRITEBYTECODE`` is set (this machine sets it), a fresh checkout
    has none, and that cost about 0.2 s per process, a bias of some 2-5%."""
    venv_python = root / ".venv" / "bin" / "python"
    python = str(venv_python) if venv_python.exists() else sys.executable
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([python, "-m", "compileall", "-q", "derivcheck", "proofs"], cwd=root,
                   env=env, capture_output=True)


def bench_catalog(repeats: int, baseline: Path | None = None) -> dict:
    """The catalog cold and warm; with ``baseline`` (another checkout with its own
    ``.venv``), that checkout's catalog too, alternating run by run."""
    proofs = ROOT / "proofs"
    files = sorted(p.name for p in proofs.glob("*.py")) if proofs.is_dir() else []
    from derivcheck._loader import load_paths

    claims, _ = load_paths([str(proofs)]) if files else ([], [])
    out = {"files": len(files), "claims": len(claims), "cold_s": None, "warm_s": None,
           "command": "derivcheck check proofs/ -q --cache-dir <temp dir>",
           "exit_codes": [], "summary": None, "per_claim": []}
    if not files:
        return out
    env = {k: v for k, v in os.environ.items() if k not in ("DERIVCHECK_PROFILE",
                                                              "DERIVCHECK_CACHE_DIR")}
    cmd = derivcheck_cmd() + ["check", "proofs/", "-q"]
    old_cmd = None
    if baseline is not None:
        old_cmd = [str(baseline / ".venv" / "bin" / "derivcheck"), "check", "proofs/", "-q"]
    cold, warm, old_cold, old_warm = [], [], [], []
    for root in [ROOT] + ([baseline] if baseline is not None else []):
        _compile_bytecode(root)
    for i in range(repeats):
        with tempfile.TemporaryDirectory(prefix="dcbench-") as tmp:
            cache = os.path.join(tmp, "cache")
            c, w, (codes, out["summary"]) = _catalog_pair(cmd, ROOT, env, cache)
            cold.append(c)
            warm.append(w)
            out["exit_codes"] += codes
            if old_cmd:
                c, w, (codes, out["baseline_summary"]) = _catalog_pair(
                    old_cmd, baseline, env, os.path.join(tmp, "old-cache"))
                old_cold.append(c)
                old_warm.append(w)
            if i == repeats - 1:  # one more warm run, as JSON, for compilations per claim
                report = os.path.join(tmp, "report.json")
                subprocess.run(cmd + ["--cache-dir", cache, "--format", "json", "-o",
                                      report], cwd=ROOT, env=env, capture_output=True)
                with contextlib.suppress(OSError, ValueError):
                    doc = json.loads(Path(report).read_text())
                    prof = dc.PROFILES[doc.get("profile", PROFILE)]
                    by_id = {c.qualname: c for c in claims}
                    for e in doc["claims"]:
                        if e.get("kind") == "line" or e["id"] not in by_id:
                            continue
                        sp = by_id[e["id"]].space
                        shapes = {tuple(sorted(sp.bucket(b).items()))
                                  for b in range(prof.buckets)}
                        out["per_claim"].append({
                            "id": e["id"], "status": e["status"],
                            "compilations": e.get("compilations"), "buckets": len(shapes),
                            "seconds": e.get("seconds")})
    out["cold_s"], out["warm_s"] = median(cold), median(warm)
    out["cold_runs"], out["warm_runs"] = cold, warm
    if old_cmd:
        out["baseline"] = {"root": str(baseline), "cold_s": median(old_cold),
                           "warm_s": median(old_warm), "cold_runs": old_cold,
                           "warm_runs": old_warm,
                           "cold_ratio": median(np.divide(cold, old_cold)),
                           "warm_ratio": median(np.divide(warm, old_warm))}
    return out


WRONG_SCRIPT = r"""
import json, sys, time
t_import = time.perf_counter()
sys.path.insert(0, {root!r})
import jax, jax.numpy as jnp
import derivcheck as dc
from jax import monitoring
xla = [0]
monitoring.register_event_duration_secs_listener(
    lambda name, secs, **kw: xla.__setitem__(
        0, xla[0] + name.endswith("backend_compile_duration")))
t0 = time.perf_counter()
space = dc.Space(W=dc.real("D K"), X=dc.real("N D"), Y=dc.one_hot("N K"),
                 dims={{"N": 8, "D": 5, "K": 3}})
risk = lambda W, X, Y: -jnp.mean(jnp.sum(Y * jax.nn.log_softmax(X @ W, axis=-1), axis=-1))
wrong = lambda W, X, Y: -(X.T @ (jax.nn.softmax(X @ W, axis=-1) - Y) / X.shape[0])
r = dc.check(dc.gradient(risk, wrong, space=space, wrt="W", id="sign"), profile={profile!r})
t1 = time.perf_counter()
print(json.dumps({{"check_s": t1 - t0, "import_s": t0 - t_import, "status": r.status,
                   "diagnosis": r.diagnosis, "compilations": r.compilations,
                   "xla_compiles": xla[0],
                   "counterexample": {{k: v.tolist()
                                       for k, v in (r.counterexample or {{}}).items()}}}}))
"""


def bench_wrong(repeats: int) -> dict:
    code = WRONG_SCRIPT.format(root=str(ROOT), profile=PROFILE)
    checks, procs, last = [], [], None
    for _ in range(repeats):
        t = time.perf_counter()
        p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           cwd=ROOT)
        procs.append(time.perf_counter() - t)
        if p.returncode:
            raise RuntimeError(f"wrong-formula process failed:\n{p.stderr[-2000:]}")
        last = json.loads(p.stdout.strip().splitlines()[-1])
        checks.append(last["check_s"])
    return {"check_s": median(checks), "process_s": median(procs), "status": last["status"],
            "diagnosis": last["diagnosis"], "counterexample": last["counterexample"],
            "compilations": last["compilations"], "xla_compiles": last["xla_compiles"]}


# -- compilations in-process -----------------------------------------------

def bench_compilations() -> list[dict]:
    prof = dc.PROFILES[PROFILE]
    flexible = dc.Space(W=dc.real("D K"), X=dc.real("N D"), Y=dc.one_hot("N K"))
    chain = dc.Derivation(
        target=dc.grad_of(risk, wrt="W"),
        lines=[dc.Line("X^T(softmax(XW) - Y)/N", grad),
               dc.Line("(X^T softmax(XW) - X^T Y)/N",
                       lambda W, X, Y: (X.T @ jax.nn.softmax(X @ W, axis=-1) - X.T @ Y)
                       / X.shape[0]),
               dc.Line("mean of outer products",
                       lambda W, X, Y: jnp.mean(jnp.einsum(
                           "nd,nk->ndk", X, jax.nn.softmax(X @ W, axis=-1) - Y), axis=0))],
        space=flexible, id="chain_flexible")
    cases = [("small (fixed dims)", claim_for("small")),
             ("medium (fixed dims)", claim_for("medium")),
             ("gradient, default dims", dc.gradient(risk, grad, space=flexible, wrt="W",
                                                    id="grad_flexible")),
             ("3-line derivation, default dims", chain),
             ("sign error (refuted), default dims",
              dc.gradient(risk, lambda W, X, Y: -grad(W, X, Y), space=flexible, wrt="W",
                          id="sign_flexible"))]
    out = []
    for label, claim in cases:
        before = _engine.ENGINE.compiler.traces(claim)
        r = dc.check(claim, profile=prof)
        shapes = {tuple(sorted(claim.space.bucket(b).items())) for b in range(prof.buckets)}
        out.append({"case": label, "status": r.status, "compilations": r.compilations,
                    "counted": _engine.ENGINE.compiler.traces(claim) - before,
                    "buckets": len(shapes), "lines": len(claim.lines)})
    return out


# -- profiling -------------------------------------------------------------

PROBES = [  # (label, file suffix, function name): cumulative time of each
    ("dc.check total", "_checks.py", "check"),
    ("search (Hypothesis loop)", "_search.py", "run_hypothesis"),
    ("  body (per example)", "_search.py", "example"),
    ("    space.draw", "_space.py", "draw"),
    ("    evaluate", "_evaluate.py", "collect"),
    ("      jax.device_get", "api.py", "device_get"),
    ("    record", "_search.py", "record"),
    ("probe (eval_shape)", "_evaluate.py", "probe"),
    ("conclude (shrink + verdict)", "_judge.py", "conclude"),
    ("  shrink", "_shrink.py", "shrink"),
    ("  _candidates", "_shrink.py", "_candidates"),
    ("  fails_on", "_evaluate.py", "fails_on"),
    ("diagnosis", "_diagnosis.py", "diagnosis"),
    ("XLA backend compile", "compiler.py", "backend_compile_and_load"),
    ("jaxpr -> MLIR lowering", "pxla.py", "lower_sharding_computation"),
]


def profile_check(claim) -> dict:
    prof = cProfile.Profile()
    prof.enable()
    dc.check(claim, profile=PROFILE)
    prof.disable()
    stats = pstats.Stats(prof)
    found = collections.defaultdict(float)
    for (fname, _, func), (_, _, _, ct, _) in stats.stats.items():
        for label, suffix, name in PROBES:
            if func == name and fname.endswith(suffix):
                found[label] = max(found[label], ct)
    total = found.get("dc.check total", 0.0)
    found["Hypothesis overhead (search - body)"] = (found.get("search (Hypothesis loop)", 0.0)
                                                    - found.get("  body (per example)", 0.0))
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(12)
    top = [ln for ln in buf.getvalue().splitlines() if ln.strip()][-13:]
    return {"total": total, "probes": dict(found), "top_tottime": top}


# -- table -----------------------------------------------------------------

def fmt(x, unit=""):
    if x is None:
        return "-"
    if isinstance(x, float):
        x = f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"
    return f"{x}{unit}"


def compute_targets(m: dict) -> list[dict]:
    s, md = m["derivcheck"]["small"], m["derivcheck"]["medium"]
    cat = m["catalog"]
    per_bucket = [c["compilations"] / c["buckets"] for c in m["compilations"]] + \
        [c["compilations"] / c["buckets"] for c in cat["per_claim"]
         if c["compilations"] is not None]
    values = {
        "small_vs_naive": (s["warm_rate"] / m["naive"]["small"]["rate"],
                           s["steady_rate"] / m["naive"]["small"]["rate"]),
        "small_vs_vmap": (m["vmap_floor"]["small"]["rate"] / s["warm_rate"],
                          m["vmap_floor"]["small"]["rate"] / s["steady_rate"]),
        "medium_vs_fused": (m["fused_floor"]["medium"]["rate"] / md["warm_rate"],
                            m["fused_floor"]["medium"]["rate"] / md["steady_rate"]),
        "small_vs_check_grads": (m["check_grads"]["small"]["seconds_per_call"] * s["warm_rate"],
                                 m["check_grads"]["small"]["seconds_per_call"]
                                 * s["steady_rate"]),
        "medium_vs_check_grads": (m["check_grads"]["medium"]["seconds_per_call"]
                                  * md["warm_rate"],
                                  m["check_grads"]["medium"]["seconds_per_call"]
                                  * md["steady_rate"]),
        "catalog_cold": (cat["cold_s"], None),
        "catalog_warm": (cat["warm_s"], None),
        "pytest_item": (m["pytest_item"].get("cold_s"), None),
        "pytest_vs_cli": (m["pytest_vs_cli"].get("ratio"), None),
        "pytest_vs_cli_pyc": (m.get("pytest_vs_cli_pyc", {}).get("ratio"), None),
        "doc_cold": (m["doc"].get("cold_s"), None),
        "doc_warm": (m["doc"].get("warm_s"), None),
        "compilations_per_bucket": (max(per_bucket) if per_bucket else None, None),
        "wrong_refuted": (m["wrong"]["check_s"], None),
    }
    out = []
    for key, text, op, thr in TARGETS:
        v, v2 = values[key]
        ok = None if v is None else (v >= thr if op == ">=" else v <= thr)
        ok2 = None if v2 is None else (v2 >= thr if op == ">=" else v2 <= thr)
        out.append({"key": key, "target": text, "op": op, "threshold": thr, "value": v,
                    "met": ok, "value_excl_compile": v2, "met_excl_compile": ok2,
                    "baseline": _baseline_text(key, m)})
    return out


def _baseline_text(key: str, m: dict) -> str:
    """The baseline figure measured in the same run, beside a target."""
    old = m["catalog"].get("baseline")
    if key in ("catalog_cold", "catalog_warm") and old:
        kind = key.split("_")[1]
        return (f"baseline {Path(old['root']).name}: {old[kind + '_s']:.1f} s, "
                f"ratio {old[kind + '_ratio']:.2f}")
    if key == "pytest_item" and m["pytest_item"]:
        return (f"same item with a warm cache {m['pytest_item']['warm_s']:.2f} s; "
                f"dc.check small claim, first call {m['derivcheck']['small']['first_s']:.2f} s")
    if key in ("pytest_vs_cli", "pytest_vs_cli_pyc") and m.get(key):
        v = m[key]
        return (f"pytest {v['pytest_s']:.1f} s, derivcheck check {v['cli_s']:.1f} s; "
                f"PYTHONDONTWRITEBYTECODE={v.get('PYTHONDONTWRITEBYTECODE')}")
    if key.startswith("doc_"):
        return m["doc"].get("skipped", "")
    return ""


def print_table(res: dict) -> None:
    mch, m = res["machine"], res["measurements"]
    print(f"machine: {mch['nproc']} CPUs ({mch['affinity']} usable), {mch['cpu']}, "
          f"jax {mch['jax']} ({mch['backend']}), hypothesis {mch['hypothesis']}, "
          f"load average at start {', '.join(f'{x:.2f}' for x in mch['loadavg_start'])}, "
          f"at end {', '.join(f'{x:.2f}' for x in mch.get('loadavg_end', ()))}")
    print(f"XLA_FLAGS for the in-process figures: {mch['XLA_FLAGS'] or '(unset: XLA defaults)'}"
          "; the CLI (catalog) picks its own flags and worker count")
    print(f"mode: {res['mode']}, derivcheck profile {PROFILE!r} "
          f"({dc.PROFILES[PROFILE].inputs} inputs/claim), medians of {res['repeats']}")
    print()
    rows = [("inputs/s", "small", "medium")]
    for label, get in [
        ("derivcheck, first call (incl. compile)", lambda z: m["derivcheck"][z]["first_rate"]),
        ("derivcheck, warm repeat (incl. compile)", lambda z: m["derivcheck"][z]["warm_rate"]),
        ("derivcheck, warm, compile excluded", lambda z: m["derivcheck"][z]["steady_rate"]),
        ("naive Hypothesis, 1 input/example", lambda z: m["naive"][z]["rate"]),
        ("vmap+jit floor (1,000 pre-drawn)", lambda z: m["vmap_floor"][z]["rate"]),
        ("per-input jit floor", lambda z: m["fused_floor"][z]["rate"]),
        ("check_grads calls/s", lambda z: 1.0 / m["check_grads"][z]["seconds_per_call"]),
    ]:
        rows.append((label, fmt(get("small")), fmt(get("medium"))))
    rows.append(("seconds", "", ""))
    for label, key in [("derivcheck first call", "first_s"), ("derivcheck warm", "warm_s"),
                       ("  of which lowering+compile", "warm_compile_s"),
                       ("  XLA compiles per warm call", "warm_xla_compiles")]:
        unit = "" if key == "warm_xla_compiles" else " s"
        rows.append((label, fmt(m["derivcheck"]["small"][key], unit),
                     fmt(m["derivcheck"]["medium"][key], unit)))
    rows.append(("check_grads per call", fmt(m["check_grads"]["small"]["seconds_per_call"] * 1e3,
                                             " ms"),
                 fmt(m["check_grads"]["medium"]["seconds_per_call"] * 1e3, " ms")))
    w = max(len(r[0]) for r in rows)
    for r in rows:
        print(f"{r[0]:<{w}}  {r[1]:>12}  {r[2]:>12}")
    gen = m.get("generation")
    if gen:
        floor = 1.0 / m["fused_floor"]["medium"]["rate"]
        print()
        print(f"generating medium inputs ({gen['floats_per_input']:,} floats each), ms per input: "
              f"derivcheck Space.draw {gen['space_draw'] * 1e3:.3f}, NumPy normal "
              f"{gen['numpy_normal'] * 1e3:.3f}, jax.random normal {gen['jax_normal'] * 1e3:.3f}, "
              f"jax.random uniform {gen['jax_uniform'] * 1e3:.3f}")
        print(f"  fused-jit compute floor {floor * 1e3:.3f} ms per input: the 1.5x target leaves "
              f"{0.5 * floor * 1e3:.3f} ms per input for everything else, generation included")
    cat = m["catalog"]
    print()
    if cat["files"]:
        print(f"catalog `{cat['command']}`:")
        print(f"  {cat['files']} files, {cat['claims']} claims; cold "
              f"{fmt(cat['cold_s'], ' s')}, warm {fmt(cat['warm_s'], ' s')} "
              f"(runs: cold {[round(x, 1) for x in cat['cold_runs']]}, warm "
              f"{[round(x, 1) for x in cat['warm_runs']]}; exit codes "
              f"{sorted(set(cat['exit_codes']))})")
        print(f"  last summary: {cat['summary']}")
    else:
        print("catalog proofs/: empty, not measured")
    wr = m["wrong"]
    print(f"wrong formula (sign error, small): {wr['status']} in {fmt(wr['check_s'], ' s')} "
          f"(process {fmt(wr['process_s'], ' s')} incl. imports), {wr['compilations']} "
          f"fused compilation(s), {wr['xla_compiles']} XLA compiles in all")
    print(f"  diagnosis: {wr['diagnosis']}")
    print("  counterexample: " + format_counterexample(
        {k: np.asarray(v) for k, v in (wr["counterexample"] or {}).items()}))
    print()
    print("compilations (traces of the fused check) per claim:")
    for c in m["compilations"]:
        print(f"  {c['case']:<36} {c['status']:<9} {c['compilations']} compilation(s), "
              f"{c['buckets']} distinct bucket shape(s), {c['lines']} line(s)")
    if cat["per_claim"]:
        per = [c for c in cat["per_claim"] if c["compilations"] is not None]
        over = [c for c in per if c["compilations"] > c["buckets"]]
        print(f"  catalog: {sum(c['compilations'] for c in per)} compilations over "
              f"{len(per)} claims and {sum(c['buckets'] for c in per)} (claim, bucket) pairs; "
              f"{len(over)} claim(s) above one per bucket")
        for c in sorted(over, key=lambda c: -c["compilations"] / c["buckets"])[:8]:
            print(f"    {c['id']}: {c['compilations']} for {c['buckets']} bucket(s) "
                  f"({c['status']})")
        slow = sorted(per, key=lambda c: -(c["seconds"] or 0))[:5]
        print("  slowest catalog claims (warm): " + ", ".join(
            f"{c['id'].split('::')[-1]} {c['seconds']:.2f} s" for c in slow))
    print()
    print("targets (value: warm incl. compile; second value: compile excluded)")
    for t in res["targets"]:
        mark = {True: "PASS", False: "FAIL", None: "SKIP"}[t["met"]]
        extra = ""
        if t["value_excl_compile"] is not None:
            extra = (f"   [excl. compile {fmt(t['value_excl_compile'])}: "
                     f"{ {True: 'PASS', False: 'FAIL'}[t['met_excl_compile']] }]")
        print(f"  {mark}  {t['target']:<66} {fmt(t['value']):>8} {t['op']} {t['threshold']:g}"
              f"{extra}" + (f"   [{t['baseline']}]" if t.get("baseline") else ""))
    for size, p in res.get("profile", {}).items():
        print()
        print(f"cProfile of one dc.check, {size} (cumulative seconds):")
        for label, _, _ in PROBES:
            if label in p["probes"]:
                print(f"  {label:<40} {p['probes'][label]:7.3f}")
        print(f"  {'Hypothesis overhead (search - body)':<40} "
              f"{p['probes']['Hypothesis overhead (search - body)']:7.3f}")
        print("  top by own time:")
        for ln in p["top_tottime"]:
            print("   " + ln[:150])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="short smoke run")
    ap.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ap.add_argument("--profile", action="store_true", help="cProfile one dc.check per size")
    ap.add_argument("--skip-catalog", action="store_true", help="do not time proofs/")
    ap.add_argument("--save", metavar="FILE", help="also write the JSON results to FILE")
    ap.add_argument("--baseline", metavar="CHECKOUT", type=Path,
                    help="another derivcheck checkout with its own .venv (e.g. main): its "
                         "catalog is timed too, alternating with this one")
    args = ap.parse_args(argv)
    fast = 3  # repeats of the quick measurements
    slow = 1 if args.quick else 3  # repeats of the process-level measurements
    mch = machine()
    m: dict = {"derivcheck": {}, "naive": {}, "vmap_floor": {}, "fused_floor": {},
               "check_grads": {}}

    def log(msg):
        print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)

    log("fresh-process wrong formula")
    m["wrong"] = bench_wrong(slow)
    for size in SIZES:
        log(f"{size}: derivcheck")
        m["derivcheck"][size] = bench_derivcheck(size, fast)
        log(f"{size}: naive Hypothesis")
        n_naive = {"small": 200, "medium": 20}[size] // (2 if args.quick else 1)
        m["naive"][size] = bench_naive(size, n_naive, fast)
        log(f"{size}: floors and check_grads")
        m["vmap_floor"][size] = bench_vmap_floor(size, fast)
        m["fused_floor"][size] = bench_fused_floor(size, 200 if args.quick else 500, fast)
        m["check_grads"][size] = bench_check_grads(size, 5 if args.quick else 15)
    log("medium: input generation")
    m["generation"] = bench_generation("medium", 5)
    log("compilations")
    m["compilations"] = bench_compilations()
    if args.skip_catalog:
        m["catalog"] = {"files": 0, "claims": 0, "cold_s": None, "warm_s": None,
                        "exit_codes": [], "summary": None, "per_claim": []}
        m["pytest_vs_cli"] = {}
    else:
        log("catalog (new processes)")
        m["catalog"] = bench_catalog(slow, args.baseline)
        log("pytest -n 2 proofs/ against derivcheck check proofs/")
        m["pytest_vs_cli"] = process_targets.bench_pytest_vs_cli(slow)
        if os.environ.get("PYTHONDONTWRITEBYTECODE"):
            log("the same with PYTHONDONTWRITEBYTECODE unset")
            m["pytest_vs_cli_pyc"] = process_targets.bench_pytest_vs_cli(slow, bytecode=True)
    log("one pytest item in a running session")
    m["pytest_item"] = process_targets.bench_pytest_item()
    log("derivcheck doc on one seed")
    m["doc"] = process_targets.bench_doc(slow)
    res = {"machine": mch, "mode": "quick" if args.quick else "full",
           "repeats": {"in_process": fast, "processes": slow}, "measurements": m}
    res["targets"] = compute_targets(m)
    if args.profile:
        log("cProfile")
        res["profile"] = {size: profile_check(claim_for(size)) for size in SIZES}
        res["profile"]["small, sign error"] = profile_check(claim_for("small", wrong=True))
    mch["loadavg_end"] = os.getloadavg()
    if args.save:
        Path(args.save).write_text(json.dumps(res, indent=2, default=str) + "\n")
    if args.json:
        print(json.dumps(res, indent=2, default=str))
    else:
        print_table(res)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Where a catalog run spends its time: one process, cold and then warm.

Runs ``proofs/`` in-process with one job (``run_catalog``), in a fresh
subprocess per run so imports count, and splits the wall time with the
events JAX reports through ``jax.monitoring``:

- process start and imports (Python, JAX, derivcheck), measured inside;
- loading the proof files;
- tracing (``jaxpr_trace_duration``), lowering to MLIR
  (``jaxpr_to_mlir_module_duration``), XLA compiling
  (``backend_compile_duration`` minus the persistent-cache read) and
  loading compiled checks from the persistent cache
  (``cache_retrieval_time_sec``);
- everything else: running the checks, drawing inputs, Hypothesis, shrinking,
  diagnosis, Python.

The first run uses an empty cache folder (cold), the second the same folder
(warm). ``--cprofile`` adds the top functions by cumulative time of the warm run
(cProfile slows Python down, so its total is larger than the plain run's).

Usage::

    python bench/where_time_goes.py [--repeats 3] [--cprofile] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import sys, time, json, collections
t_start = time.perf_counter()
sys.path.insert(0, {root!r})
import jax
t_jax = time.perf_counter()
from jax import monitoring
import derivcheck as dc
from derivcheck._engine import _store
from derivcheck._loader import load_paths
store_s = [0.0]
_get = _store.ProgramStore.get
def timed_get(self, key):
    t = time.perf_counter()
    try:
        return _get(self, key)
    finally:
        store_s[0] += time.perf_counter() - t
_store.ProgramStore.get = timed_get
from derivcheck._runner import compile_cache, run_catalog
t_imports = time.perf_counter()
sums = collections.defaultdict(float)
counts = collections.Counter()
def listen(name, secs, **kw):
    sums[name] += secs
    counts[name] += 1
monitoring.register_event_duration_secs_listener(listen)
claims, errors = load_paths([{proofs!r}])
t_loaded = time.perf_counter()
prof = None
if {cprofile!r}:
    import cProfile
    prof = cProfile.Profile()
    prof.enable()
with compile_cache({cache!r}):
    report = run_catalog(claims, profile=dc.PROFILES["default"], seed=0)
t_done = time.perf_counter()
top = []
if prof is not None:
    prof.disable()
    import io, pstats
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(40)
    top = buf.getvalue().splitlines()
print(json.dumps({{"jax_import": t_jax - t_start, "imports": t_imports - t_start,
                   "load": t_loaded - t_imports, "run": t_done - t_loaded, "store_s": store_s[0],
                   "events": sums, "counts": counts, "claims": len(report.results),
                   "summary": report.summary(), "top": top}}))
"""

EV = "/jax/core/compile/"
CACHE_READ = "/jax/compilation_cache/cache_retrieval_time_sec"


def one_run(cache: str, cprofile: bool) -> dict:
    code = CHILD.format(root=str(ROOT), proofs=str(ROOT / "proofs"), cache=cache,
                        cprofile=cprofile)
    t = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t
    if p.returncode:
        raise RuntimeError(p.stderr[-3000:])
    out = json.loads(p.stdout.strip().splitlines()[-1])
    ev = out["events"]
    read = ev.get(CACHE_READ, 0.0)
    parts = {
        "process start + imports (JAX alone)": out["imports"],
        "loading proof files": out["load"],
        "tracing": ev.get(EV + "jaxpr_trace_duration", 0.0),
        "lowering to MLIR": ev.get(EV + "jaxpr_to_mlir_module_duration", 0.0),
        "XLA compile": ev.get(EV + "backend_compile_duration", 0.0) - read,
        "persistent cache reads": read,
        "program store reads (derivcheck)": out["store_s"],
    }
    accounted = sum(v for k, v in parts.items() if k not in ("process start + imports "
                                                             "(JAX alone)",
                                                             "loading proof files"))
    parts["compute, search, Python (rest of the run)"] = out["run"] - accounted
    parts["interpreter start and exit (outside)"] = wall - out["imports"] - out["load"] \
        - out["run"]
    return {"wall": wall, "parts": parts, "jax_import": out["jax_import"],
            "compiles": out["counts"].get(EV + "backend_compile_duration", 0),
            "traces": out["counts"].get(EV + "jaxpr_trace_duration", 0),
            "summary": out["summary"], "top": out["top"]}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--cprofile", action="store_true")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--warm-cache", metavar="DIR",
                    help="only warm runs, on this (already filled) cache folder")
    args = ap.parse_args(argv)
    runs: dict[str, list[dict]] = {"cold": [], "warm": []}
    for _ in range(args.repeats):
        if args.warm_cache:
            runs.pop("cold", None)
            runs["warm"].append(one_run(args.warm_cache, args.cprofile))
            continue
        with tempfile.TemporaryDirectory(prefix="dcwhere-") as tmp:
            runs["cold"].append(one_run(tmp, False))
            runs["warm"].append(one_run(tmp, args.cprofile))
    if args.json:
        print(json.dumps(runs, indent=2))
        return 0
    print(f"load average {os.getloadavg()[0]:.1f}; one process, -j 1; medians of "
          f"{args.repeats} run(s); seconds (share of the wall time)")
    for kind, rs in runs.items():
        wall = statistics.median(r["wall"] for r in rs)
        print(f"\n{kind}: wall {wall:.2f} s, {rs[0]['traces']} traces, "
              f"{rs[0]['compiles']} XLA compiles or cache loads; JAX import "
              f"{statistics.median(r['jax_import'] for r in rs):.2f} s")
        for part in rs[0]["parts"]:
            v = statistics.median(r["parts"][part] for r in rs)
            print(f"  {part:<44} {v:7.2f}  ({100 * v / wall:4.1f}%)")
    if args.cprofile:
        print("\nwarm run under cProfile, top by cumulative time:")
        print("\n".join(runs["warm"][-1]["top"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Compare XLA compiler options on derivcheck's own compiled checks.

Each option set runs in a fresh process (so one-time initialisation counts
against the set that pays it) with no persistent cache. It lowers the fused
check of every ``--every``-th catalog claim in each default-profile bucket,
compiles them all with the options, calls each compiled check on its batch
twice (a program's first call may build runtime state: YNNPACK's, say), and
times the compiled small and medium softmax checks of ``bench/run.py``.
Ratios are against XLA's defaults measured in the same run.

    python bench/compile_options.py            # every 3rd claim, each option set
    python bench/compile_options.py --every 1 --json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

OPTION_SETS = {
    "XLA defaults": {},
    "no fusion emitters, one codegen split, optimisation level 0": None,
    "those, YNNPACK for dots only": {"xla_cpu_experimental_ynn_fusion_type":
                                     "LIBRARY_FUSION_TYPE_DOT"},
    "those, no YNNPACK fusions": {"xla_cpu_experimental_ynn_fusion_type": ""},
    "derivcheck's: those, no YNNPACK for examples of <= 32 floats": {"small": True},
}
# None: _compile.COMPILER_OPTIONS; another set adds its options to those, and
# "small" adds _compile.SMALL_OPTIONS to checks that Compiler.options_for picks.


def child(options: dict, every: int) -> dict:
    import jax

    jax.config.update("jax_enable_x64", True)
    sys.path.insert(0, str(ROOT / "bench"))
    import run as bench_run

    from derivcheck._engine._compile import COMPILER_OPTIONS, Compiler, shapes_of
    from derivcheck._engine._evaluate import Checker
    from derivcheck._engine._oracle import autodiff
    from derivcheck._loader import load_paths
    from derivcheck._profiles import get_profile

    small = options.pop("small", False)
    if options or small:
        options = {**COMPILER_OPTIONS, **options}
    compiler = Compiler(options)

    def extra_for(batch):
        return compiler.options_for(shapes_of(batch, batched=True)) if small else None

    def checker(claim):
        oracle = autodiff(claim)
        return Checker(claim, prof, 0, oracle=oracle, compiler=compiler,
                       oracle_name="property" if oracle is None else oracle.name)

    prof = get_profile("default")
    claims, _ = load_paths([str(ROOT / "proofs")])
    lowered = []
    for claim in claims[::every]:
        run = checker(claim)
        for b in range(prof.buckets):
            batch = run.space.draw(run.space.bucket(b), seed=0, size=run.batch_of(b))
            try:
                lowered.append((run.fused.lower(batch), batch))
            except Exception:  # claims whose trace fails are the engine's business
                pass
    t = time.perf_counter()
    first = None
    compiled = []
    for lo, batch in lowered:
        compiled.append((lo.compile({**options, **(extra_for(batch) or {})} or None), batch))
        first = first or time.perf_counter() - t
    compile_s = time.perf_counter() - t
    calls = []  # every compiled check called twice on its batch: first calls, then again
    for _ in range(2):
        t = time.perf_counter()
        for fn, batch in compiled:
            jax.block_until_ready(fn(batch))
        calls.append(time.perf_counter() - t)
    run_us = {}
    for size in ("small", "medium"):
        run = checker(bench_run.claim_for(size))
        batch = run.space.draw(run.space.bucket(0), seed=0, size=run.batch_of(0))
        fn = run.fused.lower(batch).compile({**options, **(extra_for(batch) or {})} or None)
        batch = {k: jax.device_put(v) for k, v in batch.items()}
        jax.block_until_ready(fn(batch))
        ts = []
        for _ in range(30):
            t = time.perf_counter()
            jax.block_until_ready(fn(batch))
            ts.append(time.perf_counter() - t)
        run_us[size] = statistics.median(ts) / run.batch_of(0) * 1e6
    return {"modules": len(lowered), "compile_s": compile_s, "first_compile_s": first,
            "first_calls_s": calls[0], "second_calls_s": calls[1], "run_us_per_input": run_us}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--every", type=int, default=3, help="take every n-th catalog claim")
    ap.add_argument("--repeats", type=int, default=1, help="fresh processes per option set")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child is not None:
        print(json.dumps(child(json.loads(args.child), args.every)))
        return 0
    sys.path.insert(0, str(ROOT))
    from derivcheck._engine._compile import COMPILER_OPTIONS

    out = {}
    for name, opts in OPTION_SETS.items():
        opts = COMPILER_OPTIONS if opts is None else opts
        shown = {**COMPILER_OPTIONS, **opts} if opts and opts is not COMPILER_OPTIONS else opts
        runs = []
        for _ in range(args.repeats):
            proc = subprocess.run([sys.executable, __file__, "--every", str(args.every),
                                   "--child", json.dumps(opts)], capture_output=True,
                                  text=True, check=True, env=dict(os.environ))
            runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        out[name] = {"options": shown, "runs": runs,
                     "compile_s": statistics.median(r["compile_s"] for r in runs),
                     "first_calls_s": statistics.median(r["first_calls_s"] for r in runs),
                     "second_calls_s": statistics.median(r["second_calls_s"] for r in runs),
                     "small_us": statistics.median(r["run_us_per_input"]["small"] for r in runs),
                     "medium_us": statistics.median(r["run_us_per_input"]["medium"]
                                                    for r in runs)}
    base = out["XLA defaults"]
    if args.json:
        print(json.dumps(out, indent=1))
        return 0
    print(f"{'options':<64} {'compile':>9} {'ratio':>6} {'1st calls':>9} {'2nd calls':>9} "
          f"{'small µs':>9} {'medium µs':>10}")
    for name, r in out.items():
        print(f"{name:<64} {r['compile_s']:8.2f}s {r['compile_s'] / base['compile_s']:6.2f} "
              f"{r['first_calls_s']:8.2f}s {r['second_calls_s']:8.2f}s "
              f"{r['small_us']:9.2f} {r['medium_us']:10.1f}")
    print(f"({out[name]['runs'][0]['modules']} fused checks compiled per set, then each called "
          "on its batch twice (1st, 2nd calls: totals); per-input times are one compiled "
          "batch of the bench/run.py claim)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

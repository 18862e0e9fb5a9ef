"""Issue 15's two structural directions, measured on a cold catalog's own checks.

Runs ``proofs/`` once in this process (one job, an empty program store),
keeping each fused check and one batch of each of its buckets, then measures:

- **symbolic**: each fused check that ran in two or more buckets, traced once
  with symbolic dimensions (an axis whose size differs between the buckets
  becomes a dimension variable), and exported (``jax.export``: the trace again,
  and symbolic lowering), against the sum of its concrete traces; and how many
  of them trace some line only at concrete shapes (its mode differs);
- **merged**: every third traced check lowered and compiled one by one, then
  four to an XLA module (``jit`` of a function returning the four checks'
  outputs), twice each (JAX's caches cleared before each).

Nothing here changes derivcheck; the figures are what the README's "Tenth
round" reports.

Usage::

    python bench/directions.py [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time

import numpy as np


def record_catalog() -> list[dict]:
    """Run the catalog cold in this process; each fused check with its buckets' batches
    and the time of its concrete traces."""
    from derivcheck._engine import _compile

    checks: dict[int, dict] = {}
    traced = _compile.FusedCheck._traced

    def keep(self, batch, shapes):
        t0 = time.perf_counter()
        out = traced(self, batch, shapes)
        info = checks.setdefault(id(self), {"check": self, "buckets": {}, "trace_s": 0.0})
        if shapes not in info["buckets"]:
            info["buckets"][shapes] = {k: np.array(v) for k, v in batch.items()}
            info["trace_s"] += time.perf_counter() - t0
        return out

    _compile.FusedCheck._traced = keep
    try:
        from derivcheck import cli

        sys.argv = ["derivcheck", "check", "proofs/", "-q", "-j", "1", "--cache-dir",
                    tempfile.mkdtemp(prefix="dcdir-")]
        try:
            cli.main()
        except SystemExit:
            pass
    finally:
        _compile.FusedCheck._traced = traced
    return list(checks.values())


def _modes(records) -> set:
    return {tuple(sorted((i, m.name) for i, m in r.modes.items())) for r in records}


def symbolic(checks: list[dict]) -> dict:
    import jax
    from jax import export

    out = {"checks": 0, "symbolic_s": 0.0, "export_s": 0.0, "concrete_s": 0.0,
           "modes_differ": 0, "failed": 0}
    for info in checks:
        buckets = list(info["buckets"].values())
        if len(buckets) < 2:
            continue
        names, axes, specs = sorted(buckets[0]), {}, []
        for n in names:
            dims = []
            for ax in range(buckets[0][n].ndim):
                sizes = tuple(b[n].shape[ax] for b in buckets)
                dims.append(str(sizes[0]) if len(set(sizes)) == 1
                            else axes.setdefault(sizes, f"d{len(axes)}"))
            specs.append(", ".join(dims))
        check = info["check"]
        before = dict(check.records)
        try:
            args = export.symbolic_args_specs(
                [jax.ShapeDtypeStruct(buckets[0][n].shape, buckets[0][n].dtype) for n in names],
                specs)
            t0 = time.perf_counter()
            check._fn.trace(dict(zip(names, args, strict=True)))
            out["symbolic_s"] += time.perf_counter() - t0
            t0 = time.perf_counter()
            export.export(check._fn)(dict(zip(names, args, strict=True)))
            out["export_s"] += time.perf_counter() - t0
        except Exception:  # noqa: BLE001 - a check that does not trace symbolically at all
            out["failed"] += 1
            continue
        out["checks"] += 1
        out["concrete_s"] += info["trace_s"]
        new = [r for k, r in check.records.items() if k not in before]
        out["modes_differ"] += _modes(new) != _modes(before.values())
    return out


def merged(checks: list[dict], group: int = 4) -> dict:
    import jax

    from derivcheck._engine._programs import COMPILER_OPTIONS, SMALL_OPTIONS

    programs = [(info["check"]._fn.__wrapped__, b) for info in checks
                for b in info["buckets"].values()][::3][:96]
    options = {**COMPILER_OPTIONS, **SMALL_OPTIONS}
    rounds = []
    for _ in range(2):
        jax.clear_caches()
        t0 = time.perf_counter()
        for f, b in programs:
            jax.jit(f, compiler_options=options).lower(b).compile()
        one = time.perf_counter() - t0
        jax.clear_caches()
        t0 = time.perf_counter()
        for i in range(0, len(programs), group):
            fs = [f for f, _ in programs[i:i + group]]
            bs = [b for _, b in programs[i:i + group]]
            jax.jit(lambda *xs, fs=fs: tuple(f(x) for f, x in zip(fs, xs, strict=True)),
                    compiler_options=options).lower(*bs).compile()
        rounds.append({"one_by_one_s": one, "merged_s": time.perf_counter() - t0})
    return {"programs": len(programs), "group": group, "rounds": rounds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    checks = record_catalog()
    import jax

    with jax.enable_x64(True):
        result = {"symbolic": symbolic(checks), "merged": merged(checks)}
    if args.json:
        print(json.dumps(result, indent=1))
        return
    s, m = result["symbolic"], result["merged"]
    print(f"symbolic: {s['checks']} checks traced once each in {s['symbolic_s']:.2f} s "
          f"(exported, symbolic lowering included, in {s['export_s']:.2f} s), against "
          f"{s['concrete_s']:.2f} s for their concrete traces; {s['modes_differ']} with a line "
          f"that traces only at concrete shapes; {s['failed']} not at all")
    for r in m["rounds"]:
        print(f"merged: {m['programs']} checks lowered and compiled one by one in "
              f"{r['one_by_one_s']:.2f} s, {m['group']} to a module in {r['merged_s']:.2f} s")


if __name__ == "__main__":
    main()

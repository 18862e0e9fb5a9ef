"""Finite-difference oracle against ``jax.test_util.check_grads``, same function, same run.

The function is the softmax cross-entropy over ``W`` of ``bench/run.py``,
``J(W) = -mean_n sum_k Y log softmax(XW)``, at the small (N=8, D=5, K=3) and
medium (N=256, D=64, K=10) sizes, written twice with the same arithmetic: in
NumPy and in JAX. On the same pre-drawn inputs it times, per input:

- ``fd numpy``: derivcheck's finite-difference oracle (``derivcheck._fd``) on the
  NumPy function: one Richardson-extrapolated directional derivative along a
  random normal direction, with its error estimate and kink test, plus the claimed
  gradient's dot product with the direction (what the oracle does per input);
- ``fd jax``: the same oracle on the jitted JAX function (one call per
  evaluation), so that both oracles differentiate the very same function;
- ``check_grads``: ``jax.test_util.check_grads(f, (W,), order=1, modes=["rev"])``
  on the JAX function (its own random direction, one central difference at
  ``eps=1e-4`` for float64, checked against ``jax.vjp``);

and reports inputs per second, the ratio of each oracle to ``check_grads``,
the evaluations of ``f`` per input and the accuracy reached: the median and
worst relative error of the finite-difference estimate against the exact
directional derivative, and of its error estimate. ``--also-end-to-end`` adds
``dc.check_gradient`` on the NumPy (loss, gradient) pair through the public
API (inputs checked per second, search and shrinking included).

Usage::

    python bench/fd_vs_check_grads.py            # 200 inputs per size, median of 3
    python bench/fd_vs_check_grads.py --inputs 50 --repeats 1
    python bench/fd_vs_check_grads.py --json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from derivcheck import _fd  # noqa: E402

SIZES = {"small": {"N": 8, "D": 5, "K": 3}, "medium": {"N": 256, "D": 64, "K": 10}}


def risk_np(W, X, Y):
    s = X @ W
    s = s - s.max(axis=1, keepdims=True)
    return -np.mean(np.sum(Y * (s - np.log(np.exp(s).sum(axis=1, keepdims=True))), axis=1))


def grad_np(W, X, Y):
    s = X @ W
    p = np.exp(s - s.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    return X.T @ (p - Y) / X.shape[0]


def risk_jax(W, X, Y):
    return -jnp.mean(jnp.sum(Y * jax.nn.log_softmax(X @ W, axis=-1), axis=-1))


def inputs(size: str, n: int, seed: int = 0) -> list[tuple[np.ndarray, ...]]:
    d = SIZES[size]
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        W = rng.uniform(-1.5, 1.5, (d["D"], d["K"]))
        X = rng.uniform(-1.5, 1.5, (d["N"], d["D"]))
        Y = np.eye(d["K"])[rng.integers(0, d["K"], d["N"])]
        out.append((W, X, Y))
    return out


def time_fd(f, xs, grads, seed: int = 1) -> dict:
    """The oracle per input: a directional derivative, its error, the claim's dot product."""
    rng = np.random.default_rng(seed)
    dirs = [_fd.random_direction(W.shape, rng) for W, _, _ in xs]
    evals, rel_err, rel_est, bound = [], [], [], True
    t = time.perf_counter()
    results = []
    for (W, X, Y), v, g in zip(xs, dirs, grads, strict=True):
        d = _fd.directional(lambda w, X=X, Y=Y: f(w, X, Y), W, v)
        results.append((d, float(np.sum(g * v))))
    seconds = time.perf_counter() - t
    for (d, exact), g, v in zip(results, grads, dirs, strict=True):
        scale = float(np.sum(np.abs(g * v)))
        err = abs(float(d.value) - exact)
        evals.append(d.evaluations)
        rel_err.append(err / scale)
        rel_est.append(float(d.error) / scale)
        bound &= err <= float(d.error)
    return {"seconds_per_input": seconds / len(xs), "evaluations": statistics.median(evals),
            "median_rel_error": statistics.median(rel_err), "max_rel_error": max(rel_err),
            "median_rel_estimate": statistics.median(rel_est), "estimate_bounds_error": bound}


def time_check_grads(xs) -> dict:
    from jax.test_util import check_grads

    W, X, Y = (jnp.asarray(a) for a in xs[0])
    check_grads(lambda w: risk_jax(w, X, Y), (W,), order=1, modes=["rev"])  # warm-up
    js = [tuple(jnp.asarray(a) for a in x) for x in xs]
    t = time.perf_counter()
    for W, X, Y in js:
        check_grads(lambda w, X=X, Y=Y: risk_jax(w, X, Y), (W,), order=1, modes=["rev"])
    return {"seconds_per_input": (time.perf_counter() - t) / len(xs)}


def end_to_end(size: str) -> dict:
    import derivcheck as dc

    space = dc.Space(W=dc.real("D K"), X=dc.real("N D"), Y=dc.one_hot("N K"),
                     dims=SIZES[size])
    t = time.perf_counter()
    r = dc.check_gradient(risk_np, grad_np, space=space, wrt="W")
    seconds = time.perf_counter() - t
    return {"status": str(r.status), "oracle": getattr(r, "oracle", None),
            "examples": r.examples, "seconds": seconds, "inputs_per_second": r.examples / seconds}


def run(size: str, n: int, repeats: int, also_end_to_end: bool) -> dict:
    xs = inputs(size, n)
    grads = [grad_np(*x) for x in xs]
    jitted = jax.jit(risk_jax)
    jitted(*xs[0]).block_until_ready()

    def f_jax(W, X, Y):
        return np.asarray(jitted(W, X, Y))

    rows = {"fd numpy": [], "fd jax": [], "check_grads": []}
    for _ in range(repeats):
        rows["fd numpy"].append(time_fd(risk_np, xs, grads))
        rows["fd jax"].append(time_fd(f_jax, xs, grads))
        rows["check_grads"].append(time_check_grads(xs))
    out = {}
    for name, runs in rows.items():
        best = sorted(runs, key=lambda r: r["seconds_per_input"])[len(runs) // 2]
        out[name] = dict(best, inputs_per_second=1.0 / best["seconds_per_input"])
    base = out["check_grads"]["inputs_per_second"]
    for name in ("fd numpy", "fd jax"):
        out[name]["vs_check_grads"] = out[name]["inputs_per_second"] / base
    if also_end_to_end:
        out["dc.check_gradient (numpy pair)"] = end_to_end(size)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--inputs", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--also-end-to-end", action="store_true")
    args = ap.parse_args()
    jax.config.update("jax_enable_x64", True)  # check_grads' float64 tolerances, as derivcheck
    header = {"nproc": os.cpu_count(), "machine": platform.processor() or platform.machine(),
              "jax": jax.__version__, "numpy": np.__version__, "load_start": os.getloadavg()[0]}
    results = {size: run(size, args.inputs, args.repeats, args.also_end_to_end)
               for size in SIZES}
    header["load_end"] = os.getloadavg()[0]
    if args.json:
        print(json.dumps({"header": header, "results": results}, indent=2, default=str))
        return
    print(f"# {header}")
    print(f"# {args.inputs} inputs per size, median of {args.repeats} runs\n")
    print("| size | oracle | inputs/s | × check_grads | f evaluations | median rel. error "
          "| worst rel. error | median rel. error estimate |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for size, res in results.items():
        for name, r in res.items():
            if "seconds_per_input" not in r:
                continue
            ratio = f"{r['vs_check_grads']:.1f}×" if "vs_check_grads" in r else "1×"
            acc = (f"{r['evaluations']:.0f} | {r['median_rel_error']:.0e} | "
                   f"{r['max_rel_error']:.0e} | {r['median_rel_estimate']:.0e}"
                   if "evaluations" in r else "| | |")
            print(f"| {size} | {name} | {r['inputs_per_second']:,.0f} | {ratio} | {acc} |")
        for name, r in res.items():
            if "examples" in r:
                print(f"| {size} | {name} | {r['inputs_per_second']:,.0f} "
                      f"({r['examples']} inputs, {r['status']}, oracle {r['oracle']}) | | | | | |")
    bounds = all(r.get("estimate_bounds_error", True) for res in results.values()
                 for r in res.values())
    print(f"\nerror estimate bounded the true error on every input: {bounds}")


if __name__ == "__main__":
    main()

"""Calibrate the tolerance: normalized errors of correct lines against wrong ones.

For every line of a set of claims this draws the engine's own batches (every
shape bucket of the profile, every value regime), evaluates them with the
engine's fused check (``derivcheck._engine._evaluate.Checker.evaluate``) and keeps the
per-input normalized error ``e`` (``derivcheck._tolerance.normalized_error``)
wherever the truth is finite. Groups:

- correct: a few hand-written correct gradients and Jacobians, plus every
  catalog line expected to verify (and every erratum's fix);
- mutants: sign, factor, transpose and dropped-term mutants of those correct
  gradients;
- errata: catalog lines marked ``erratum=`` (expected to be refuted);
- expected unstable: catalog lines marked ``expect="unstable"``, shown apart
  (correct formulas whose float64 evaluation breaks at large inputs).

The error floor is relative to each claim's unit (``derivcheck._tolerance.unit_of``,
the typical size of the truth per shape bucket), so every figure here is the
same if a claim is scaled by any constant; the last bucket of the profile puts
every dimension at its maximum.

It also measures the unstable rule: for lines that fail beyond the calm bound,
it asks the judge's breakdown test (``derivcheck._engine._precision``) for
evidence of floating-point breakdown at up to three such inputs per line. An
expected-unstable line should have evidence at each; a wrong line (mutant or
erratum) should have none, or it would be reported unstable instead of refuted.

It prints min/median/max of log10(e) per group (all inputs, and calm inputs
with magnitude <= MODERATE), then the gap around THRESHOLD: how far the
worst correct line sits below it and how far the least wrong line sits above.
A wrong formula can agree with the truth at special inputs (a sign error at a
zero gradient), so the wrong side is judged per line: the median of ``e`` over
the line's inputs of the "moderate" regime (ordinary uniform draws).

Usage::

    python bench/calibrate.py            # default profile, whole proofs/ catalog
    python bench/calibrate.py --quick    # quick profile, one batch per bucket
    python bench/calibrate.py --json
    python bench/calibrate.py --no-catalog
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

import derivcheck as dc  # noqa: E402
from derivcheck import _engine  # noqa: E402
from derivcheck import _tolerance as tol  # noqa: E402
from derivcheck._space import REGIMES  # noqa: E402

GROUPS = ("correct", "mutants", "errata", "expected unstable")
#: The threshold the gap is measured around (``--dtype`` sets it).
THRESHOLD = tol.THRESHOLD


# -- hand-written correct gradients and their mutants ----------------------

def _ce(W, X, Y):
    return -jnp.mean(jnp.sum(Y * jax.nn.log_softmax(X @ W, axis=-1), axis=-1))


def _ce_grad(W, X, Y):
    return X.T @ (jax.nn.softmax(X @ W, axis=-1) - Y) / X.shape[0]


def _ce_l2(W, X, Y, lam):
    return _ce(W, X, Y) + lam / 2 * jnp.sum(W ** 2)


def _ce_l2_grad(W, X, Y, lam):
    return _ce_grad(W, X, Y) + lam * W


def _logistic(w, X, y):
    z = X @ w
    return jnp.mean(jnp.logaddexp(0.0, z) - y * z)


def _logistic_grad(w, X, y):
    return X.T @ (jax.nn.sigmoid(X @ w) - y) / X.shape[0]


def _lsq(w, X, y):
    return jnp.sum((X @ w - y) ** 2) / (2 * X.shape[0])


def _lsq_grad(w, X, y):
    return X.T @ (X @ w - y) / X.shape[0]


def _lse(z):
    return jax.nn.logsumexp(z)


def builtin_claims() -> list[tuple[str, dc.Claim]]:
    """(group, claim) pairs: correct gradients and their mutants."""
    ce = dc.Space(W=dc.real("D K"), X=dc.real("N D"), Y=dc.one_hot("N K"))
    ce_sq = dc.Space(W=dc.real("D K"), X=dc.real("N D"), Y=dc.one_hot("N K"),
                     dims={"D": 3, "K": 3})
    l2 = dc.Space(W=dc.real("D K"), X=dc.real("N D"), Y=dc.one_hot("N K"), lam=dc.positive())
    l2_sq = dc.Space(W=dc.real("D K"), X=dc.real("N D"), Y=dc.one_hot("N K"),
                     lam=dc.positive(), dims={"D": 4, "K": 4})
    lg = dc.Space(w=dc.real("D"), X=dc.real("N D"), y=dc.binary("N"))
    ls = dc.Space(w=dc.real("D"), X=dc.real("N D"), y=dc.real("N"))
    zs = dc.Space(z=dc.real("K"))

    def g(name, f, grad, space, wrt):
        return dc.gradient(f, grad, space=space, wrt=wrt, id=name)

    out = [
        ("correct", g("ce", _ce, _ce_grad, ce, "W")),
        ("correct", g("ce_square", _ce, _ce_grad, ce_sq, "W")),
        ("correct", g("ce_l2", _ce_l2, _ce_l2_grad, l2, "W")),
        ("correct", g("logistic", _logistic, _logistic_grad, lg, "w")),
        ("correct", g("least_squares", _lsq, _lsq_grad, ls, "w")),
        ("correct", g("logsumexp", _lse, jax.nn.softmax, zs, "z")),
        ("correct", dc.jacobian(jax.nn.softmax,
                                lambda z: jnp.diag(jax.nn.softmax(z))
                                - jnp.outer(jax.nn.softmax(z), jax.nn.softmax(z)),
                                space=zs, wrt="z", id="softmax_jacobian")),
        ("mutants", g("ce_sign", _ce, lambda W, X, Y: -_ce_grad(W, X, Y), ce, "W")),
        ("mutants", g("ce_factor_2", _ce, lambda W, X, Y: 2 * _ce_grad(W, X, Y), ce, "W")),
        ("mutants", g("ce_factor_N", _ce, lambda W, X, Y: X.shape[0] * _ce_grad(W, X, Y), ce,
                      "W")),
        ("mutants", g("ce_transpose", _ce, lambda W, X, Y: _ce_grad(W, X, Y).T, ce_sq, "W")),
        ("mutants", g("ce_dropped_Y", _ce,
                      lambda W, X, Y: X.T @ jax.nn.softmax(X @ W, axis=-1) / X.shape[0], ce, "W")),
        ("mutants", g("ce_l2_dropped_reg", _ce_l2, lambda W, X, Y, lam: _ce_grad(W, X, Y), l2,
                      "W")),
        ("mutants", g("ce_l2_half_reg", _ce_l2,
                      lambda W, X, Y, lam: _ce_grad(W, X, Y) + lam / 2 * W, l2, "W")),
        ("mutants", g("ce_l2_transpose", _ce_l2,
                      lambda W, X, Y, lam: _ce_l2_grad(W, X, Y, lam).T, l2_sq, "W")),
        ("mutants", g("logistic_sign", _logistic,
                      lambda w, X, y: -_logistic_grad(w, X, y), lg, "w")),
        ("mutants", g("logistic_dropped_y", _logistic,
                      lambda w, X, y: X.T @ jax.nn.sigmoid(X @ w) / X.shape[0], lg, "w")),
        ("mutants", g("least_squares_factor_2", _lsq, lambda w, X, y: 2 * _lsq_grad(w, X, y),
                      ls, "w")),
        ("mutants", g("least_squares_dropped_y", _lsq,
                      lambda w, X, y: X.T @ (X @ w) / X.shape[0], ls, "w")),
        ("mutants", g("logsumexp_sign", _lse, lambda z: -jax.nn.softmax(z), zs, "z")),
        ("mutants", dc.jacobian(jax.nn.softmax,
                                lambda z: jnp.diag(jax.nn.softmax(z)),
                                space=zs, wrt="z", id="softmax_jacobian_dropped_outer")),
    ]
    return out


# -- collecting errors -----------------------------------------------------

def line_groups(claim: dc.Claim, default: str | None) -> dict[int, tuple[str, str]]:
    """slot index -> (group, label) for the lines worth measuring."""
    out = {}
    fix_index = len(claim.lines)
    for i, ln in enumerate(claim.lines):
        label = f"{claim.qualname}" + (f"[{i + 1}]" if len(claim.lines) > 1 else "")
        if default is not None:
            out[i] = (default, label)
        elif ln.erratum is not None:
            out[i] = ("errata", label)
        elif ln.expected == "unstable":
            out[i] = ("expected unstable", label)
        elif ln.expected == "verified":
            out[i] = ("correct", label)
        if ln.fix is not None:
            if default is None:
                out[fix_index] = ("correct", label + " fix")
            fix_index += 1
    return out


def _checker(claim: dc.Claim, profile: dc.Profile):
    """The engine's checker of one claim, with its autodiff oracle."""
    from derivcheck._engine._evaluate import Checker
    from derivcheck._engine._oracle import autodiff

    oracle = autodiff(claim)
    return Checker(claim, profile, 0, oracle=oracle,
                   oracle_name="property" if oracle is None else oracle.name,
                   compiler=_engine.ENGINE.compiler)


def measure_claim(claim: dc.Claim, groups: dict[int, tuple[str, str]], *, profile: dc.Profile,
                  seeds: int) -> list[dict]:
    """Per-line arrays of normalized errors (finite truth only) and magnitudes."""
    run = _checker(claim, profile)
    errs = {j: [] for j in groups}
    beyond = {j: [] for j in groups}  # (bucket, input) failing beyond the calm bound
    mags = {j: [] for j in groups}
    regs = {j: [] for j in groups}
    regimes = profile.regimes  # input i of a batch follows regimes[i % len(regimes)]
    regime = np.array([regimes[i % len(regimes)] for i in range(profile.batch)])
    for b in range(profile.buckets):
        run.probe(b)
        if run.truth_error is not None:
            break
        for s in range(seeds):
            batch = run.space.draw(run.bucket(b), seed=1000 * b + s, size=profile.batch)
            out = run.evaluate(b, batch)
            with np.errstate(invalid="ignore"):
                bad = ((out.err > out.threshold) | ~out.fin) & out.tfin[:, None] & out.ran
            for j in groups:
                if j >= out.err.shape[1] or not run.slots[j].runs_in(b):
                    continue
                keep = out.tfin & out.ran[:, j]
                for i in np.flatnonzero(bad[:, j] & (out.mag > tol.MODERATE))[:3]:
                    if len(beyond[j]) < 3:
                        beyond[j].append((b, {k: np.array(v[i]) for k, v in batch.items()}))
                errs[j].append(out.err[keep, j])
                mags[j].append(out.mag[keep])
                regs[j].append(regime[keep])
    from derivcheck._engine._precision import breakdown

    lines = []
    for j, (group, label) in groups.items():
        evidence = [breakdown(run, run.slots[j], b, x) is not None for b, x in beyond[j]]
        e = np.concatenate(errs[j]) if errs[j] else np.array([])
        m = np.concatenate(mags[j]) if mags[j] else np.array([])
        r = np.concatenate(regs[j]) if regs[j] else np.array([], dtype=str)
        lines.append({"group": group, "label": label, "err": e, "mag": m, "regime": r,
                      "evidence": evidence})
    return lines


# -- statistics -------------------------------------------------------------

def log_stats(e: np.ndarray) -> dict:
    """min/median/max of log10(e), with exact zeros and non-finite values counted apart."""
    e = np.asarray(e, dtype=np.float64)
    finite = e[np.isfinite(e)]
    pos = finite[finite > 0]
    out = {"n": int(e.size), "zeros": int(np.count_nonzero(finite == 0)),
           "nonfinite": int(e.size - finite.size),
           "above_threshold": float(np.mean(~(e <= THRESHOLD))) if e.size else None}
    if pos.size:
        lg = np.log10(pos)
        out.update(min=float(lg.min()), median=float(np.median(lg)), max=float(lg.max()))
    else:
        out.update(min=None, median=None, max=None)
    return out


def _log10_median(e: np.ndarray) -> float | None:
    if not e.size:
        return None
    med = float(np.median(e))
    if math.isnan(med):
        return None
    return -math.inf if med == 0 else math.log10(med)


def line_summary(line: dict) -> dict:
    e = line["err"]
    moderate = e[line["regime"] == "moderate"]
    worst = float(np.nanmax(e)) if e.size else None
    return {"group": line["group"], "label": line["label"], "n": int(e.size),
            "log10_median_moderate": _log10_median(moderate),
            "log10_max": (math.log10(worst) if worst else -math.inf) if worst is not None
            else None,
            "frac_above": float(np.mean(~(e <= THRESHOLD))) if e.size else None}


def summarize(lines: list[dict]) -> dict:
    groups = {}
    for g in GROUPS:
        mine = [ln for ln in lines if ln["group"] == g]
        if not mine:
            continue
        e = np.concatenate([ln["err"] for ln in mine])
        m = np.concatenate([ln["mag"] for ln in mine])
        r = np.concatenate([ln["regime"] for ln in mine])
        groups[g] = {"lines": len(mine), "all": log_stats(e),
                     "calm": log_stats(e[m <= tol.MODERATE]),
                     "moderate": log_stats(e[r == "moderate"]),
                     "by_regime": {reg: log_stats(e[r == reg]) for reg in dict.fromkeys(REGIMES)}}
    per_line = [line_summary(ln) for ln in lines]
    evidence = {}
    for g in GROUPS:
        probed = [ln for ln in lines if ln["group"] == g and ln["evidence"]]
        evidence[g] = {"lines_failing_beyond_calm": len(probed),
                       "inputs_probed": sum(len(ln["evidence"]) for ln in probed),
                       "inputs_with_evidence": sum(sum(ln["evidence"]) for ln in probed),
                       "lines_with_evidence_everywhere": sum(all(ln["evidence"])
                                                             for ln in probed)}
    thr = math.log10(THRESHOLD)
    correct = [p for p in per_line if p["group"] == "correct" and p["log10_max"] is not None]
    wrong = [p for p in per_line if p["group"] in ("mutants", "errata")
             and p["log10_median_moderate"] is not None]
    worst_correct = sorted(correct, key=lambda p: -p["log10_max"])[:5]
    least_wrong = sorted(wrong, key=lambda p: p["log10_median_moderate"])[:5]
    gap = {
        "threshold_log10": thr,
        "worst_correct_log10": worst_correct[0]["log10_max"] if worst_correct else None,
        "least_wrong_median_moderate_log10": (least_wrong[0]["log10_median_moderate"]
                                              if least_wrong else None),
    }
    if gap["worst_correct_log10"] is not None:
        gap["decades_below"] = thr - gap["worst_correct_log10"]
    if gap["least_wrong_median_moderate_log10"] is not None:
        gap["decades_above"] = gap["least_wrong_median_moderate_log10"] - thr
    if "decades_below" in gap and "decades_above" in gap:
        gap["geometric_middle_log10"] = (gap["worst_correct_log10"]
                                         + gap["least_wrong_median_moderate_log10"]) / 2
    missed = [p for p in wrong if p["frac_above"] == 0.0]
    return {"groups": groups, "gap": gap, "evidence": evidence, "worst_correct": worst_correct,
            "least_wrong": least_wrong, "never_detected": missed, "lines": per_line}


# -- output ------------------------------------------------------------------

def f1(x):
    if x is None:
        return "-"
    if isinstance(x, float) and math.isinf(x):
        return "-inf" if x < 0 else "inf"
    return f"{x:6.1f}"


def print_report(res: dict) -> None:
    s = res["summary"]
    print(f"profile {res['profile']!r}: {res['buckets']} bucket(s) x {res['seeds']} batch(es) "
          f"of {res['batch']} per line; dtype {res['dtype']}, "
          f"THRESHOLD = {res['threshold']:g}, KAPPA = {tol.KAPPA:g}, "
          f"MODERATE = {tol.MODERATE:g}; catalog: {res['catalog']}")
    print()
    print("log10(normalized error) per input, where the truth is finite "
          "(zeros and non-finite counted apart)")
    print(f"{'group':<18} {'inputs':<8} {'lines':>5} {'n':>7} {'zeros':>6} {'nonfin':>6} "
          f"{'min':>6} {'median':>6} {'max':>6} {'>thr':>6}")
    for g, st in s["groups"].items():
        for which in ("all", "calm", "moderate"):
            x = st[which]
            frac = "-" if x["above_threshold"] is None else f"{100 * x['above_threshold']:5.1f}%"
            print(f"{g:<18} {which:<8} {st['lines']:>5} {x['n']:>7} {x['zeros']:>6} "
                  f"{x['nonfinite']:>6} {f1(x['min'])} {f1(x['median'])} {f1(x['max'])} "
                  f"{frac:>6}")
    print()
    print("median log10(e) by value regime (share of inputs above THRESHOLD)")
    regimes = list(dict.fromkeys(REGIMES))
    print(f"{'group':<18} " + " ".join(f"{r:>15}" for r in regimes))
    for g, st in s["groups"].items():
        cells = []
        for r in regimes:
            x = st["by_regime"][r]
            frac = "" if x["above_threshold"] is None else f"({100 * x['above_threshold']:.0f}%)"
            cells.append(f"{f1(x['median']).strip():>8} {frac:>6}")
        print(f"{g:<18} " + " ".join(f"{c:>15}" for c in cells))
    gap = s["gap"]
    print()
    print(f"gap around THRESHOLD (log10 {gap['threshold_log10']:.1f}):")
    if "decades_below" in gap:
        print(f"  worst correct line: log10 max e = {gap['worst_correct_log10']:.1f} "
              f"({gap['decades_below']:.1f} decades below)")
    if "decades_above" in gap:
        print(f"  least wrong line:   log10 median e over moderate-regime inputs = "
              f"{gap['least_wrong_median_moderate_log10']:.1f} "
              f"({gap['decades_above']:.1f} decades above)")
    if "geometric_middle_log10" in gap:
        print(f"  geometric middle of the gap: 1e{gap['geometric_middle_log10']:.1f}")
    print("  worst correct lines (log10 max e): " + "; ".join(
        f"{p['label']} {f1(p['log10_max']).strip()}" for p in s["worst_correct"]))
    print("  least wrong lines (log10 median e, moderate regime; share of all inputs above): "
          + "; ".join(f"{p['label']} {f1(p['log10_median_moderate']).strip()} "
        f"({100 * p['frac_above']:.0f}%)" for p in s["least_wrong"]))
    if s["never_detected"]:
        print("  wrong lines never above THRESHOLD on these inputs: " + ", ".join(
            p["label"] for p in s["never_detected"]))
    print()
    print("unstable rule: failing inputs beyond the calm bound (up to 3 per line) with "
          "evidence of floating-point breakdown")
    for g, ev in s["evidence"].items():
        if ev["lines_failing_beyond_calm"]:
            print(f"  {g:<18} {ev['inputs_with_evidence']}/{ev['inputs_probed']} inputs with "
                  f"evidence; {ev['lines_with_evidence_everywhere']}/"
                  f"{ev['lines_failing_beyond_calm']} lines with evidence at every one")
    print(f"\n{res['seconds']:.1f} s")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="quick profile, one batch per bucket")
    ap.add_argument("--json", action="store_true", help="print JSON")
    ap.add_argument("--no-catalog", action="store_true", help="skip proofs/")
    ap.add_argument("--seeds", type=int, default=None, help="batches per bucket")
    ap.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                    help="what the claimed side computes in (float32: the float32 tolerance)")
    args = ap.parse_args(argv)
    global THRESHOLD
    THRESHOLD = tol.threshold(args.dtype)
    profile = dataclasses.replace(dc.PROFILES["quick" if args.quick else "default"],
                                  dtype=args.dtype)
    seeds = args.seeds or (1 if args.quick else 4)
    t0 = time.perf_counter()
    lines: list[dict] = []
    x64 = jax.enable_x64(True)  # derivcheck's checks run in float64, as in the engine
    x64.__enter__()
    for group, claim in builtin_claims():
        lines += measure_claim(claim, line_groups(claim, group), profile=profile, seeds=seeds)
    catalog = "skipped"
    proofs = ROOT / "proofs"
    if not args.no_catalog:
        from derivcheck._loader import load_paths

        claims, errors = load_paths([str(proofs)]) if any(proofs.glob("*.py")) else ([], [])
        claims = [c for c in claims if c.kind != "property"]  # predicates: e is 0 or 1
        catalog = f"{len(claims)} non-property claims" + (
            f", {len(errors)} load error(s)" if errors else "")
        for i, claim in enumerate(claims):
            print(f"[{i + 1}/{len(claims)}] {claim.qualname}", file=sys.stderr, flush=True)
            groups = line_groups(claim, None)
            if groups:
                lines += measure_claim(claim, groups, profile=profile, seeds=seeds)
    x64.__exit__(None, None, None)
    res = {"profile": profile.name, "buckets": profile.buckets, "batch": profile.batch,
           "seeds": seeds, "catalog": catalog, "threshold": THRESHOLD, "dtype": args.dtype,
           "summary": summarize(lines), "seconds": time.perf_counter() - t0}
    if args.json:
        print(json.dumps(res, indent=2, default=lambda x: None if x is None else str(x)))
    else:
        print_report(res)
    return 0


if __name__ == "__main__":
    sys.exit(main())

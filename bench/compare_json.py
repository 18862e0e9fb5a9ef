"""Compare two `derivcheck check --format json` reports, ignoring timings.

Usage: python compare_json.py [--rounding] OLD.json NEW.json

Exit 0 when identical apart from timings (``seconds``, ``compilations``, ...).
With ``--rounding``, error magnitudes (``max_error``, ``step_error``) may also
differ, by rounding only: everything else (statuses, counterexamples,
messages, diagnoses) must be identical, and every changed magnitude must be
below 1e-6 or within a relative 1e-12 of the old one. It prints how many
moved and by how much.
"""
import json
import sys

TIMING = {"seconds", "compilations", "elapsed", "time", "started", "finished", "wall"}
ERRORS = {"max_error", "step_error"}


def strip(o, drop=TIMING):
    if isinstance(o, dict):
        return {k: strip(v, drop) for k, v in o.items() if k not in drop}
    if isinstance(o, list):
        return [strip(v, drop) for v in o]
    return o


def magnitudes(o, path="", out=None):
    out = {} if out is None else out
    if isinstance(o, dict):
        for k, v in o.items():
            if k in ERRORS and isinstance(v, (int, float)):
                out[f"{path}.{k}"] = float(v)
            else:
                magnitudes(v, f"{path}.{o.get('id', k)}", out)
    elif isinstance(o, list):
        for i, v in enumerate(o):
            magnitudes(v, f"{path}[{i}]", out)
    return out


def report_differences(x, y):
    cx = {c["id"]: c for c in x.get("claims", [])}
    cy = {c["id"]: c for c in y.get("claims", [])}
    for k in sorted(set(cx) | set(cy)):
        if cx.get(k) != cy.get(k):
            print("differs:", k)
            for f in sorted(set(cx.get(k, {})) | set(cy.get(k, {}))):
                if cx.get(k, {}).get(f) != cy.get(k, {}).get(f):
                    a, b = cx.get(k, {}).get(f), cy.get(k, {}).get(f)
                    print(f"   {f}: {str(a)[:200]!r} -> {str(b)[:200]!r}")
    for f in x:
        if f != "claims" and x[f] != y.get(f):
            print("top-level differs:", f, str(x[f])[:300], "->", str(y.get(f))[:300])


def rounding_only(x, y) -> bool:
    if strip(x, TIMING | ERRORS) != strip(y, TIMING | ERRORS):
        report_differences(strip(x, TIMING | ERRORS), strip(y, TIMING | ERRORS))
        return False
    ex, ey = magnitudes(x), magnitudes(y)
    moved = [(k, ex[k], ey[k]) for k in ex if ex[k] != ey[k]]
    beyond = [(k, a, b) for k, a, b in moved
              if max(abs(a), abs(b)) >= 1e-6 and abs(a - b) > 1e-12 * max(abs(a), abs(b))]
    largest = max((max(abs(a), abs(b)) for _, a, b in moved), default=0.0)
    print(f"identical apart from timings and {len(moved)} of {len(ex)} error magnitudes, "
          f"which moved by rounding only (the largest that moved: {largest:.3g})")
    for k, a, b in beyond:
        print(f"   beyond rounding: {k}: {a!r} -> {b!r}")
    return not beyond


def main(argv):
    rounding = "--rounding" in argv
    a, b = [p for p in argv if p != "--rounding"][:2]
    x, y = strip(json.load(open(a))), strip(json.load(open(b)))
    if x == y:
        print("identical apart from timings")
        return 0
    if rounding:
        return 0 if rounding_only(x, y) else 1
    report_differences(x, y)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

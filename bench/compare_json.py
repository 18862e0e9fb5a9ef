"""Compare two `derivcheck check --format json` reports, ignoring timings.

Usage: python compare_json.py OLD.json NEW.json   (exit 0 when identical apart from timings)
"""
import json
import sys

TIMING = {"seconds", "compilations", "elapsed", "time", "started", "finished", "wall"}


def strip(o):
    if isinstance(o, dict):
        return {k: strip(v) for k, v in o.items() if k not in TIMING}
    if isinstance(o, list):
        return [strip(v) for v in o]
    return o


def main(a, b):
    x, y = strip(json.load(open(a))), strip(json.load(open(b)))
    if x == y:
        print("identical apart from timings")
        return 0
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
    return 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))

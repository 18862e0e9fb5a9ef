"""Shared views of a report: entries per claim and line, per-document tallies, errata."""

from __future__ import annotations

import dataclasses

from .._targets import ClaimKind
from .._verdict import line_to_dict

__all__ = ["Erratum", "document_tallies", "entries", "errata", "is_derivation", "is_property"]


def is_derivation(r) -> bool:
    """Whether result ``r`` is a derivation (numbered lines): the reports' one test of it."""
    return ClaimKind(r.kind).chained


def is_property(r) -> bool:
    """Whether result ``r`` is a property (no value to show, true or false)."""
    return ClaimKind(r.kind).is_property


def entries(report) -> list[dict]:
    """Claims and (for derivations) their lines, as JSON-ready dicts, in order."""
    out = []
    for r in report.results:
        d = r.to_dict()
        d["seed"] = report.seed
        if r.status in ("refuted", "unstable", "error") and r.counterexample:
            d["reproduce"] = r.reproduce()
        if not is_derivation(r) and r.lines:
            ln = r.lines[0]
            d["erratum"] = ln.erratum
            d["fix"] = None if ln.fix is None else {
                "latex": ln.fix.latex, "status": ln.fix.status, "max_error": ln.fix.max_error}
        out.append(d)
        if is_derivation(r):
            out.extend(line_to_dict(r, ln) for ln in r.lines)
    return out


@dataclasses.dataclass
class Erratum:
    file: str
    claim: str
    index: int | None
    latex: str
    note: str
    status: str
    fix_latex: str | None
    fix_status: str | None


def errata(report) -> list[Erratum]:
    """Every line declared an erratum, with its verdict and its fix."""
    out = []
    for r in report.results:
        for ln in r.lines:
            if ln.erratum is None:
                continue
            out.append(Erratum(
                file=r.id.split("::")[0], claim=r.id,
                index=ln.index if is_derivation(r) else None, latex=ln.latex,
                note=ln.erratum, status=ln.status,
                fix_latex=ln.fix.latex if ln.fix else None,
                fix_status=ln.fix.status if ln.fix else None))
    return out


def document_tallies(report) -> list[dict]:
    """Per proof file: statements checked (derivation lines count one each), by outcome."""
    docs: dict[str, dict] = {}
    for r in report.results:
        f = r.id.split("::")[0]
        t = docs.setdefault(f, {"file": f, "statements": 0, "verified": 0, "unstable": 0,
                                "errata": 0, "refuted": 0, "error": 0, "unexpected": 0})
        for ln in r.lines:
            t["statements"] += 1
            if ln.erratum is not None and ln.status == "refuted":
                t["errata"] += 1
            elif ln.status in t:
                t[ln.status] += 1
            if ln.status != ln.expected:
                t["unexpected"] += 1
    return list(docs.values())

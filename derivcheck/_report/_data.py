"""Shared views of a report: entries per claim and line, per-document tallies, errata."""

from __future__ import annotations

import dataclasses

from .._targets import ClaimKind
from .._verdict import line_to_dict

__all__ = ["CLASS_HEADINGS", "Erratum", "class_counts", "document_tallies", "entries",
           "errata", "errata_by_class", "inheriting", "is_derivation", "is_property"]


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
            d["reading"] = ln.reading
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
    erratum_class: str | None = None
    reading: str | None = None
    role: str | None = None
    under: int | None = None
    root_cause: str | None = None  # on the root line of a derivation
    #: On the root line: the lines that are right again after a wrong one.
    repairs: list[tuple[int, str]] = dataclasses.field(default_factory=list)

    @property
    def where(self) -> str:
        """``claim`` or ``claim[k]`` without the file."""
        return self.claim.split("::", 1)[-1] + (f"[{self.index}]" if self.index else "")


def errata(report) -> list[Erratum]:
    """Every line declared an erratum, with its verdict, its fix and its class."""
    out = []
    for r in report.results:
        deriv = is_derivation(r)
        for ln in r.lines:
            if ln.erratum is None:
                continue
            at_root = deriv and r.root_cause is not None and r.root_cause.line == ln.index
            root = r.root_cause.describe() if at_root else None
            repairs = ([(k, r.lines[k - 1].latex) for k in r.root_cause.repairs]
                       if at_root else [])
            out.append(Erratum(
                file=r.id.split("::")[0], claim=r.id,
                index=ln.index if deriv else None, latex=ln.latex,
                note=ln.erratum, status=ln.status,
                fix_latex=ln.fix.latex if ln.fix else None,
                fix_status=ln.fix.status if ln.fix else None,
                erratum_class=ln.erratum_class, reading=ln.reading, role=ln.role,
                under=ln.under, root_cause=root, repairs=repairs))
    return out


#: Report order and headings of the erratum classes: distinct errors first.
CLASS_HEADINGS = {
    "error": "Errors: distinct mathematical mistakes",
    "notation": "Notation slips: an index or symbol a reader fixes silently, read as noted",
    "propagated": "Propagated: lines that only inherit an erratum above, listed under it",
}


def errata_by_class(report) -> list[tuple[str, list[Erratum]]]:
    """The errata grouped by class, in the order error, notation, propagated.

    Propagated lines are also attached to their root: render them once under
    it (:func:`inheriting`) and count them in their own group.
    """
    errs = errata(report)
    groups = [(cls, [e for e in errs if (e.erratum_class or "error") == cls])
              for cls in CLASS_HEADINGS]
    return [(cls, es) for cls, es in groups if es]


def inheriting(errs: list[Erratum], root: Erratum) -> list[Erratum]:
    """The propagated lines listed under ``root`` (same claim, ``under`` its line)."""
    return [e for e in errs if e.claim == root.claim and e.erratum_class == "propagated"
            and e.under == root.index]


def class_counts(report) -> dict[str, int]:
    """How many errata of each class, e.g. ``{"error": 9, "notation": 14, ...}``."""
    return {cls: len(es) for cls, es in errata_by_class(report)}


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

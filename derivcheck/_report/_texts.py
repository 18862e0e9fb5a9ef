"""Every explanation a report shows, written once and used by every format.

Formats differ in markup only: the table, Markdown, HTML and JUnit reports
take their sentences from here (the JSON report carries the verdict fields
themselves).
"""

from __future__ import annotations

from ._data import is_derivation, is_property

__all__ = ["NOT_AS_EXPECTED", "breaks_at", "claim_note", "missed", "status_vs_expected"]

#: Heading of the list of claims that did not get their expected status.
NOT_AS_EXPECTED = "Not as expected"


def status_vs_expected(status: str, expected: str) -> str:
    """``"refuted, expected verified"``: a status that missed its expectation."""
    return f"{status}, expected {expected}"


def breaks_at(magnitude: float) -> str:
    """Where an unstable formula starts to fail."""
    return f"breaks for inputs of magnitude ≥ {magnitude:.3g}"


def missed(r) -> list[tuple[str, str]]:
    """``(what, latex)`` for each line (or fix) of ``r`` that missed its expected status.

    A line is listed when ``r`` is a derivation, or when the claim's own
    status is as expected (otherwise that status already says it); a fix is
    expected to verify.
    """
    out = []
    derivation = is_derivation(r)
    for ln in r.lines:
        where = f"line {ln.index}" if derivation else "claim"
        if ln.status != ln.expected and (derivation or r.status == r.expected):
            out.append((f"{where}: {status_vs_expected(ln.status, ln.expected)}", ln.latex))
        if ln.fix is not None and not ln.fix.ok:
            out.append((f"{where}'s fix: {status_vs_expected(ln.fix.status, 'verified')}",
                        ln.fix.latex))
    return out


def claim_note(r) -> str:
    """A claim's one-line note: the diagnosis, where it breaks, or why a refutation is fine."""
    note = r.diagnosis or r.message or ""
    brk = r.first_break
    if is_derivation(r) and brk is not None:
        note = f"line {brk.index} breaks" + (f": {note}" if note else "")
    if r.status == "unstable" and r.unstable_from is not None:
        note = r.message or breaks_at(r.unstable_from)  # "raises OverflowError from ..."
    if r.status == "refuted" and not note and is_property(r):
        note = "false at a calm input"
    if r.ok and r.status == "refuted":
        note = "erratum, as expected" + (f": {note}" if note else "")
    if getattr(r, "rtol", None) is not None:  # the claim's own tolerance
        note += f"{'; ' if note else ''}rtol={r.rtol:g} declared by the claim"
    return note

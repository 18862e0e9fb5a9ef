"""``--format table`` (the default): a summary table for a terminal.

Colour is added by the caller (only on a TTY); this module emits plain text
with status words that a colouring pass can find.
"""

from __future__ import annotations

from ._data import CLASS_HEADINGS, document_tallies, errata_by_class, inheriting
from ._texts import NOT_AS_EXPECTED, claim_note, missed

__all__ = ["render"]

MARK = {"verified": "✓", "refuted": "✗", "unstable": "~", "error": "!"}


def _err(x) -> str:
    return "-" if x is None else f"{x:.1e}"


def _truth(r) -> str:
    """The oracle, short: "autodiff", "FD ±2e-09" (finite differences), "-" (a property)."""
    if r.oracle == "finite differences":
        return "FD" if r.accuracy is None else f"FD ±{r.accuracy:.0e}"
    return r.oracle or "-"


def _clip(text: str, n: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _erratum(e, every) -> list[str]:
    """One erratum: what is wrong, the line, its fix, its reading or root cause."""
    mark = MARK.get(e.status, "?")
    if e.erratum_class == "propagated":
        return [f"    {mark} {e.file}::{e.where} ← line {e.under}: {e.note}"]
    out = [f"    {mark} {e.file}::{e.where}: {e.note}", f"        {_clip(e.latex, 108)}"]
    if e.fix_latex:
        out.append(f"      {_clip(f'→ {e.fix_latex} ({e.fix_status})', 112)}")
    if e.reading:
        out.append(f"        reading: {e.reading}")
    if e.root_cause:
        out.append(f"        {e.root_cause}")
    for p in inheriting(every, e):
        out.append(f"        propagated: line {p.index}: {_clip(p.latex, 90)}")
    for k, latex in e.repairs:
        out.append(f"        repair: line {k} is right again: {_clip(latex, 86)}")
    return out


def render(report, *, quiet: bool = False) -> str:
    """Claims table, then per-document tallies, errata and the summary line."""
    lines: list[str] = []
    if not quiet:
        rows = []
        for r in report.results:
            note = claim_note(r)
            exp = "" if r.ok else f"  [expected {r.expected}]"
            rows.append((f"{MARK[r.status]} {r.status}", _clip(r.id, 64), r.kind,
                         str(r.examples), _err(r.max_error), _truth(r), _clip(note, 60) + exp))
        head = ("status", "claim", "kind", "inputs", "max err", "truth", "note")
        widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h)
                  for i, h in enumerate(head)]
        fmt = "  ".join(f"{{:{w}}}" for w in widths[:-1]) + "  {}"
        lines.append(fmt.format(*head))
        lines.append(fmt.format(*("-" * w for w in widths[:-1]), "-" * 4))
        lines.extend(fmt.format(*row) for row in rows)
        lines.append("")
    if report.load_errors:
        lines.append("Load errors:")
        lines.extend(f"  {e}" for e in report.load_errors)
        lines.append("")
    tallies = document_tallies(report)
    if tallies and not quiet:
        lines.append("Per document (derivation lines count one each):")
        for t in tallies:
            lines.append(f"  {t['file']}: {t['statements']} checked, {t['verified']} verified, "
                         f"{t['unstable']} unstable, {t['errata']} errata"
                         + (f", {t['unexpected']} NOT AS EXPECTED" if t["unexpected"] else ""))
        lines.append("")
    groups = errata_by_class(report)
    if groups and not quiet:
        lines.append("Errata by class (line as written → corrected form):")
        every = [e for _, es in groups for e in es]
        for cls, es in groups:
            lines.append(f"  {CLASS_HEADINGS[cls]} ({len(es)}):")
            for e in es:
                lines.extend(_erratum(e, every))
        lines.append("")
    unexpected = [r for r in report.results if not r.ok]
    if unexpected:
        lines.append(f"{NOT_AS_EXPECTED}:")
        for r in unexpected:
            lines.append("  " + str(r).replace("\n", "\n  "))
            lines.extend(f"    - {what}: {_clip(latex, 100)}" for what, latex in missed(r))
            if r.counterexample:
                lines.append("  " + r.reproduce().replace("\n", "\n  "))
        lines.append("")
    s = report.summary()
    tail = (f"{s['claims']} claims ({s['lines']} statements): {s['verified']} verified, "
            f"{s['refuted']} refuted, {s['unstable']} unstable, {s['error']} error; "
            f"{s['as_expected']} as expected, {s['unexpected']} not; "
            f"{report.seconds:.1f}s, profile {report.profile}, seed {report.seed}")
    if report.interrupted:
        tail = f"INTERRUPTED after {len(report.results)} claims ({s['not_run']} not run). " + tail
    if report.load_errors:
        tail += f"; {len(report.load_errors)} file(s) failed to load"
    lines.append(tail)
    return "\n".join(lines) + "\n"

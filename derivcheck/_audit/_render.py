"""The audit as text, for the terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the records call render_text: no import cycle at run time
    from ._records import AuditReport

__all__ = ["render_text"]


def render_text(report: AuditReport, *, quiet: bool = False) -> str:
    """One line per audited claim, its survivors below it, and a summary line.

    Args:
      report: the audit.
      quiet: list only the claims with survivors (and the summary).
    """
    out = []
    for c in report.claims:
        if c.skipped:
            if not quiet:
                out.append(f"- {c.claim}: not audited ({c.skipped})")
            continue
        rate = "-" if c.kill_rate is None else f"{100 * c.kill_rate:.0f}%"
        head = (f"{'✓' if not c.count('survived') else '✗'} {c.claim}: "
                f"{c.count('killed')}/{c.count('killed') + c.count('survived')} killed "
                f"({rate}), {c.count('equivalent')} equivalent"
                + (f", {c.count('invalid')} invalid" if c.count("invalid") else "")
                + f"; {len(c.lines)} line(s), {c.seconds:.1f}s")
        if quiet and not c.count("survived"):
            continue
        out.append(head)
        for m in c.mutants:
            if m.outcome == "survived":
                out.append(f"    SURVIVED   {m.name}")
            elif m.outcome == "equivalent" and not quiet:
                out.append(f"    equivalent {m.name}")
            elif m.outcome == "invalid" and not quiet:
                out.append(f"    invalid    {m.name}: {m.message}")
            elif m.status == "unstable" and not quiet:
                out.append(f"    killed only as unstable: {m.name}")
    for e in report.load_errors:
        out.append(f"load error: {e}")
    s = report.summary()
    rate = "-" if s["kill_rate"] is None else f"{100 * s['kill_rate']:.1f}%"
    tail = (f"{s['killed']}/{s['killed'] + s['survived']} mutants killed ({rate}); "
            f"{s['survived']} survived, {s['equivalent']} equivalent, {s['invalid']} invalid; "
            f"{s['lines']} lines of {s['audited']} claims audited ({s['claims']} claims); "
            f"{report.seconds:.1f}s, profile {report.profile}, seed {report.seed}")
    if report.interrupted:
        tail = f"INTERRUPTED ({len(report.not_run)} claims not run). " + tail
    out.append(tail)
    return "\n".join(out) + "\n"

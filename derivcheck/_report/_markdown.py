"""``--format markdown``: a summary for a pull-request comment or a README.

User text (claim ids, notes, LaTeX) is escaped so that it can neither break
a table (``|``) nor inject HTML (``<``); LaTeX goes in code spans.
"""

from __future__ import annotations

from ._data import CLASS_HEADINGS, document_tallies, errata_by_class
from ._texts import NOT_AS_EXPECTED, missed, status_vs_expected

__all__ = ["render"]

MARK = {"verified": "✓", "refuted": "✗", "unstable": "~", "error": "!"}
# Characters with a meaning inside a line of Markdown; text never starts a line here, so
# line-start markers (#, -, +, 1.) need no escape.
_SPECIAL = "\\`*_[]|~"


def text(value) -> str:
    """Plain text safe in Markdown and inside a table cell (one line, no HTML)."""
    s = " ".join(str(value).split())
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "".join("\\" + c if c in _SPECIAL else c for c in s)


def code(value) -> str:
    """An inline code span that survives any backticks, ``|`` and ``<`` in ``value``.

    In a table a ``|`` ends the cell even inside a code span (GitHub), so it
    is written ``\\|``; in a code span ``<`` is already literal.
    """
    s = " ".join(str(value).split()).replace("|", "\\|")
    if not s:
        return ""
    run = max((len(r) for r in _runs(s)), default=0)
    fence = "`" * (run + 1)
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def _runs(s: str) -> list[str]:
    out, cur = [], ""
    for c in s:
        if c == "`":
            cur += c
        elif cur:
            out.append(cur)
            cur = ""
    if cur:
        out.append(cur)
    return out


def _err(x) -> str:
    return "–" if x is None else f"{x:.1e}"


_NAMES = {"error": ("error", "errors"), "notation": ("notation slip", "notation slips"),
          "propagated": ("propagated", "propagated")}


def _shown(e) -> str:
    if e.status == "refuted":
        return MARK["refuted"]
    return f"**{MARK.get(e.status, '?')} {status_vs_expected(e.status, 'refuted')}**"


def render(report) -> str:
    """Summary, per-document table, errata (line, what is wrong, fix), claims not as expected."""
    s = report.summary()
    ok = report.exit_code == 0
    out = [f"### derivcheck: {'✓ all as expected' if ok else '✗ not all as expected'}", ""]
    out.append(f"**{s['claims']} claims** ({s['lines']} statements): {s['verified']} verified, "
               f"{s['refuted']} refuted, {s['unstable']} unstable, {s['error']} error — "
               f"**{s['as_expected']} as expected, {s['unexpected']} not**. "
               f"Profile `{report.profile}`, seed `{report.seed}`, {report.seconds:.1f}s.")
    fd = [r for r in report.results if r.oracle == "finite differences"]
    if fd:
        worst = max((r.accuracy for r in fd if r.accuracy is not None), default=None)
        out.append(f"Truth: {len(fd)} claim(s) by finite differences"
                   + (f" (accurate to {worst:.1e} or better)" if worst is not None else "")
                   + ", the others by autodiff.")
    if report.interrupted:
        out.append("")
        out.append(f"> **Interrupted**: {s['not_run']} claims were not run.")
    out.append("")

    if report.load_errors:
        out += ["#### Files that failed to load", ""]
        out += [f"- {code(e.file)}: {text(e.message)}" for e in report.load_errors]
        out.append("")

    tallies = document_tallies(report)
    if tallies:
        out += ["#### Per document", "",
                "| document | checked | ✓ verified | ~ unstable | errata | not as expected |",
                "| --- | ---: | ---: | ---: | ---: | ---: |"]
        for t in tallies:
            bad = f"**{t['unexpected']}**" if t["unexpected"] else "0"
            out.append(f"| {code(t['file'])} | {t['statements']} | {t['verified']} | "
                       f"{t['unstable']} | {t['errata']} | {bad} |")
        out.append("")

    groups = errata_by_class(report)
    if groups:
        counts = ", ".join(f"{len(es)} {_NAMES[cls][len(es) != 1]}" for cls, es in groups)
        out += [f"#### Errata: {counts}", ""]
        for cls, es in groups:
            out += [f"##### {text(CLASS_HEADINGS[cls])} ({len(es)})", ""]
            if cls == "propagated":
                out += ["| | line | inherits | what is wrong |", "| --- | --- | --- | --- |"]
                out += [f"| {_shown(e)} | {code(e.where)} | line {e.under} | {text(e.note)} |"
                        for e in es]
                out.append("")
                continue
            out += ["| | claim | line as written | what is wrong | corrected form |",
                    "| --- | --- | --- | --- | --- |"]
            for e in es:
                fix = (f"{code(e.fix_latex)} ({MARK.get(e.fix_status or '', '?')} "
                       f"{e.fix_status})" if e.fix_latex else "–")
                why = text(e.note)
                if e.reading:
                    why += f" — read as: {text(e.reading)}"
                if e.root_cause:
                    why += f" — {text(e.root_cause)}"
                out.append(f"| {_shown(e)} | {code(e.where)} | {code(e.latex)} | {why} | "
                           f"{fix} |")
            out.append("")
    unexpected = [r for r in report.results if not r.ok]
    if unexpected:
        out += [f"#### {NOT_AS_EXPECTED}", ""]
        for r in unexpected:
            line = r.summary_line()
            line = line[len(r.id) + 2:] if line.startswith(f"{r.id}: ") else line
            out.append(f"- **{MARK[r.status]} {text(r.status)}** (expected "
                       f"{text(r.expected)}) {code(r.id)}: {text(line)}")
            out.extend(f"  - {text(what)}: {code(latex)}" for what, latex in missed(r))
            if r.counterexample:
                body = r.reproduce().replace("```", "` ` `")
                out += ["", "  ```python", *("  " + ln for ln in body.splitlines()), "  ```"]
        out.append("")
    return "\n".join(out).rstrip() + "\n"

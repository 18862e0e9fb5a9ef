"""The verdicts on a document's formulas as a table, JSON, Markdown or HTML."""

from __future__ import annotations

import html
import json

from .._report._math import latex_to_mathml

_MARK = {"verified": "✓", "refuted": "✗", "unstable": "~", "error": "!", "skipped": "-"}
FONT_STACK = ('"Noto Sans CJK SC", "Noto Sans SC", "PingFang SC", "Hiragino Sans GB", '
              '"Microsoft YaHei", "Source Han Sans SC", system-ui, sans-serif')


def as_json(document: str, formulas, summary) -> str:
    """``{"document", "formulas": [...], "summary": {...}}``, as the issue specifies."""
    return json.dumps({"document": document, "formulas": [f.as_dict() for f in formulas],
                       "summary": summary}, ensure_ascii=False, indent=2)


def _short(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"


def _note(f) -> str:
    if f.status == "skipped":
        return f"skipped: {f.reason}"
    return f.diagnosis or ""


def as_table(document: str, formulas, summary) -> str:
    out = [f"{document}"]
    for f in formulas:
        step = f"step {_MARK[f.step_status]} {f.step_status:<8}" if f.step_status else " " * 15
        out.append(f"  L{f.line:<4} {_MARK[f.status]} {f.status:<8}  {step}  {_short(f.latex, 70)}")
        note = _note(f)
        if note:
            out.append(f"{'':9}{_short(note, 110)}")
    s = summary
    out.append(f"{s['formulas']} relations: {s['checked']} checked, {s['skipped']} skipped "
               f"({_counts(formulas)})")
    return "\n".join(out) + "\n"


def _counts(formulas) -> str:
    names = ("verified", "refuted", "unstable", "error", "skipped")
    return ", ".join(f"{sum(f.status == n for f in formulas)} {n}" for n in names)


def as_markdown(document: str, formulas, summary) -> str:
    out = [f"# `{document}`", "", "| line | formula | status | step | note |",
           "| ---: | --- | --- | --- | --- |"]
    for f in formulas:
        latex = " ".join(f.latex.split()).replace("|", "\\|")
        note = _note(f).replace("|", "\\|")
        out.append(f"| {f.line} | `{latex}` | {f.status} | {f.step_status or ''} | {note} |")
    out += ["", f"{summary['formulas']} relations: {summary['checked']} checked, "
            f"{summary['skipped']} skipped ({_counts(formulas)})."]
    return "\n".join(out) + "\n"


def as_html(document: str, formulas, summary) -> str:
    rows = []
    for f in formulas:
        rows.append(
            f'<tr class="{f.status}"><td>{f.line}</td>'
            f"<td>{latex_to_mathml(f.latex, large=True)}</td>"
            f"<td>{f.status}</td><td>{f.step_status or ''}</td>"
            f"<td>{html.escape(_note(f))}</td></tr>")
    return f"""<!DOCTYPE html>
<html lang="zh"><head><meta charset="utf-8"><title>{html.escape(document)}</title>
<style>
body {{ font-family: {FONT_STACK}; margin: 2em; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ccc; padding: .3em .6em; }}
tr.verified td:nth-child(3) {{ color: #11772d; }} tr.refuted td:nth-child(3) {{ color: #b00020; }}
tr.unstable td:nth-child(3) {{ color: #a06000; }} tr.skipped {{ color: #666; }}
</style></head><body>
<h1>{html.escape(document)}</h1>
<p>{summary['formulas']} relations: {summary['checked']} checked, {summary['skipped']} skipped
({_counts(formulas)}).</p>
<table><tr><th>line</th><th>formula</th><th>status</th><th>step</th><th>note</th></tr>
{chr(10).join(rows)}
</table></body></html>
"""


RENDERERS = {"table": as_table, "json": as_json, "markdown": as_markdown, "html": as_html}

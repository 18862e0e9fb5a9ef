"""``--format html``: one self-contained page (no network, no external CSS, JS or fonts).

A summary at the top, then every claim as its chain of lines with ✓/✗ marks,
the LaTeX rendered as MathML (:func:`latex_to_mathml`, with latex2mathml),
errata highlighted with the corrected line
beside them, counterexamples as small tables and instability thresholds.
Every piece of user text goes through :func:`html.escape`; LaTeX the
converter cannot read is shown as escaped ``<code>``.
"""

from __future__ import annotations

import numpy as np

from ._data import CLASS_HEADINGS, document_tallies, errata_by_class, inheriting, is_derivation
from ._math import _e, latex_to_mathml
from ._texts import NOT_AS_EXPECTED, breaks_at, missed, status_vs_expected

__all__ = ["latex_to_mathml", "render"]

MARK = {"verified": "✓", "refuted": "✗", "unstable": "~", "error": "!"}

CSS = """
:root{--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;--err:#8250df;--muted:#57606a;--line:#d0d7de}
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC","Noto Sans SC",
 "PingFang SC","Hiragino Sans GB","Microsoft YaHei","Source Han Sans SC",sans-serif;
 margin:0;color:#1f2328;
 background:#f6f8fa}
main{max-width:1100px;margin:0 auto;padding:20px}
h1{font-size:22px;margin:0 0 6px} h2{font-size:18px;margin:28px 0 10px}
.banner{padding:14px 18px;border-radius:8px;color:#fff;margin-bottom:14px}
.banner.ok{background:var(--ok)} .banner.bad{background:var(--bad)}
.banner p{margin:4px 0 0}
.counts{display:flex;flex-wrap:wrap;gap:8px;margin:10px 0}
.count{background:#fff;border:1px solid var(--line);border-radius:6px;padding:6px 12px}
.count b{font-size:18px;margin-right:4px}
table{border-collapse:collapse;background:#fff}
th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef1f4} td.n{text-align:right;font-variant-numeric:tabular-nums}
td.miss{color:var(--bad);font-weight:bold}
.claim{background:#fff;border:1px solid var(--line);border-left:6px solid var(--line);
 border-radius:6px;margin:12px 0;padding:10px 14px}
.claim.verified{border-left-color:var(--ok)} .claim.refuted{border-left-color:var(--bad)}
.claim.unstable{border-left-color:var(--warn)} .claim.error{border-left-color:var(--err)}
.claim.unexpected{box-shadow:0 0 0 2px var(--bad)}
.claim summary{cursor:pointer;list-style-position:outside}
.claim h3{display:inline;font-size:16px;margin:0}
.meta{color:var(--muted);font-size:13px}
.badge{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;color:#fff;
 margin-left:6px;vertical-align:middle}
.badge.verified{background:var(--ok)} .badge.refuted{background:var(--bad)}
.badge.unstable{background:var(--warn)} .badge.error{background:var(--err)}
.badge.expected{background:#fff;color:var(--muted);border:1px solid var(--line)}
.badge.miss{background:#fff;color:var(--bad);border:1px solid var(--bad)}
.target{margin:8px 0;overflow-x:auto}
.lines{width:100%;margin-top:6px}
.lines td{border:none;border-top:1px solid #eaeef2;padding:6px}
.lines td.mark{width:28px;font-size:18px;text-align:center}
.lines td.idx{width:30px;color:var(--muted)}
.lines td.math{overflow-x:auto;max-width:640px}
.lines td.err{width:150px;color:var(--muted);font-size:12px}
.mark.verified{color:var(--ok)} .mark.refuted{color:var(--bad)}
.mark.unstable{color:var(--warn)} .mark.error{color:var(--err)}
tr.erratum td{background:#fff8c5}
.fix{display:grid;grid-template-columns:1fr 1fr;gap:10px;margin-top:6px}
.fix > div{min-width:0;overflow-x:auto;border:1px solid var(--line);border-radius:6px;
 padding:6px 8px;background:#fff}
.fix .as-written{border-color:#f5c2c7} .fix .corrected{border-color:#a8e0b5}
.fix .label{font-size:12px;color:var(--muted);display:block}
.note{font-size:13px;color:var(--muted);margin-top:3px}
.why{font-size:13px;margin-top:3px}
.cx{margin-top:6px;font-size:12px} .cx td{font-family:ui-monospace,monospace}
.cx pre{margin:0;padding:0;border:none;background:none}
.cx caption{text-align:left;white-space:nowrap;padding-bottom:2px}
pre{background:#f6f8fa;border:1px solid var(--line);border-radius:6px;padding:8px;
 overflow-x:auto;font-size:12px}
code.tex{font-size:13px;background:#f6f8fa;padding:1px 4px;border-radius:4px;
 white-space:pre-wrap;word-break:break-word}
math{font-size:17px} math[display=block]{margin:4px 0}
table.errata{width:100%;table-layout:fixed}
table.errata td{overflow-x:auto;overflow-wrap:anywhere}
table.errata col.m{width:28px} table.errata col.c{width:17%} table.errata col.w{width:22%}
.loaderr{background:#ffebe9;border:1px solid #ff8182;border-radius:6px;padding:6px 10px;
 margin:6px 0}
footer{color:var(--muted);font-size:12px;margin:30px 0 10px}
"""


def _err(x) -> str:
    if x is None:
        return "–"
    return "nan" if x != x else f"{x:.1e}"


def _badge(status: str, expected: str) -> str:
    out = f'<span class="badge {_e(status)}">{MARK.get(status, "?")} {_e(status)}</span>'
    if status != expected:
        out += f'<span class="badge miss">expected {_e(expected)}</span>'
    elif status != "verified":
        out += '<span class="badge expected">as expected</span>'
    return out


def _cx_table(cx, bucket) -> str:
    if not cx:
        return ""
    rows = []
    for name, v in cx.items():
        a = np.asarray(v)
        body = np.array2string(a, precision=4, separator=", ", threshold=36,
                               suppress_small=False)
        rows.append(f"<tr><td>{_e(str(name))}</td><td>{_e(str(a.shape))}</td>"
                    f"<td><pre>{_e(body)}</pre></td></tr>")
    dims = ""
    if bucket:
        dims = " at " + ", ".join(f"{_e(str(k))}={_e(str(v))}" for k, v in bucket.items())
    return (f'<table class="cx"><caption class="meta">counterexample{dims}</caption>'
            "<tr><th>input</th><th>shape</th><th>value</th></tr>"
            f"{''.join(rows)}</table>")


def _line_why(ln) -> str:
    bits = []
    if ln.status == "unstable" and ln.unstable_from is not None:
        bits.append(breaks_at(ln.unstable_from))
    for t in (ln.diagnosis, ln.message):
        if t:
            bits.append(t)
    out = "".join(f'<div class="why">{_e(b)}</div>' for b in bits)
    if ln.note:
        out += f'<div class="note">note: {_e(ln.note)}</div>'
    return out


def _line_row(ln, *, derivation: bool) -> str:
    cls = ["line"] + (["erratum"] if ln.erratum is not None else [])
    cells = (f'<td class="mark {_e(ln.status)}" title="{_e(ln.status)}">'
             f"{MARK.get(ln.status, '?')}</td>")
    cells += f'<td class="idx">{ln.index if derivation else ""}</td>'
    eq = '<span class="meta">= </span>' if derivation else ""
    shown = latex_to_mathml(ln.latex, large=True) if ln.latex else "<i>(no LaTeX)</i>"
    body = "" if ln.erratum is not None else f"{eq}{shown}"
    if ln.status != ln.expected:
        body += f' <span class="badge miss">{_e(status_vs_expected(ln.status, ln.expected))}</span>'
    if ln.erratum is not None:
        fix = ""
        if ln.fix is not None:
            fix = (f'<div class="corrected"><span class="label">{MARK.get(ln.fix.status, "?")} '
                   f"corrected ({_e(ln.fix.status)})</span>"
                   f"{eq}{latex_to_mathml(ln.fix.latex, large=True)}"
                   f"{_line_why(ln.fix) if ln.fix.status != 'verified' else ''}</div>")
        body += (f'<div class="fix"><div class="as-written"><span class="label">'
                 f'{MARK.get(ln.status, "?")} as written ({_e(ln.status)})</span>'
                 f"{eq}{shown}</div>{fix}</div>"
                 f'<div class="why"><b>erratum:</b> {_e(ln.erratum)}</div>')
    body += _line_why(ln)
    if ln.counterexample and derivation:
        body += _cx_table(ln.counterexample, ln.bucket)
    err = f"max err {_err(ln.max_error)}"
    if derivation and ln.step_error is not None:
        err += f"<br>step err {_err(ln.step_error)}"
    err += f"<br>{ln.examples} inputs"
    return (f'<tr class="{" ".join(cls)}">{cells}<td class="math">{body}</td>'
            f'<td class="err">{err}</td></tr>')


def _claim(r, anchor: str) -> str:
    file, _, name = r.id.rpartition("::")
    deriv = is_derivation(r)
    classes = f"claim {_e(r.status)}" + ("" if r.ok else " unexpected")
    head = (f"<summary><h3>{MARK.get(r.status, '?')} {_e(name or r.id)}</h3>"
            f"{_badge(r.status, r.expected)} <span class=\"meta\">{_e(r.kind)}"
            f"{' · truth: ' + _e(r.truth) if r.truth else ''}"
            f"{' · ' + _e(file) if file else ''}"
            f"{' · ' + str(len(r.lines)) + ' lines' if deriv else ''}</span></summary>")
    parts = [head]
    if r.source:
        parts.append(f'<div class="meta">source: {_e(r.source)}</div>')
    if deriv and r.latex:
        parts.append(f'<div class="target">{latex_to_mathml(r.latex, display=True)}</div>')
    rows = "".join(_line_row(ln, derivation=deriv) for ln in r.lines)
    parts.append(f'<table class="lines">{rows}</table>')
    parts.append(f'<div class="why">{_e(r.summary_line())}</div>')
    if r.status == "unstable" and r.unstable_from is not None and not deriv:
        pass  # shown on the line already
    if r.counterexample and not deriv:
        parts.append(_cx_table(r.counterexample, r.bucket))
    if r.counterexample and r.status != "verified":
        parts.append(f"<details><summary class=\"meta\">reproduce</summary>"
                     f"<pre>{_e(r.reproduce())}</pre></details>")
    trace = getattr(r, "trace", None)
    if trace:
        parts.append(f"<details><summary class=\"meta\">traceback</summary>"
                     f"<pre>{_e(trace)}</pre></details>")
    return (f'<details open class="{classes}" id="{anchor}">{"".join(parts)}</details>')


def _erratum_row(e, every) -> str:
    """One row of an errata table: mark, claim, LaTeX, what is wrong (and why), fix."""
    why = _e(e.note)
    if e.erratum_class == "propagated":
        why = f"<b>inherits line {e.under}</b> (listed under it): " + why
        fix = "–"
    else:
        fix = (f"{MARK.get(e.fix_status or '', '?')} {latex_to_mathml(e.fix_latex)}"
               if e.fix_latex else "–")
    if e.reading:
        why += f'<div class="note">read as: {_e(e.reading)}</div>'
    if e.root_cause:
        why += f'<div class="why"><b>{_e(e.root_cause)}</b></div>'
    for p in inheriting(every, e):
        why += (f'<div class="note">propagated: line {p.index} only inherits it: '
                f"{latex_to_mathml(p.latex)}</div>")
    for k, latex in e.repairs:
        why += f'<div class="note">repair: line {k} is right again: {latex_to_mathml(latex)}</div>'
    return (f'<tr><td class="mark {_e(e.status)}">{MARK.get(e.status, "?")}</td>'
            f"<td><code>{_e(e.where)}</code></td><td>{latex_to_mathml(e.latex)}</td>"
            f"<td>{why}</td><td>{fix}</td></tr>")


def render(report, *, title: str = "derivcheck report") -> str:
    """The report as one self-contained HTML page."""
    from .. import __version__

    s = report.summary()
    ok = report.exit_code == 0
    out = [f'<header class="banner {"ok" if ok else "bad"}"><h1>{_e(title)}</h1>'
           f"<p>{'✓ every' if ok else '✗ not every'} claim got its expected status"
           f" — {s['as_expected']} of {s['claims']} claims as expected"
           f"{'; INTERRUPTED, ' + str(s['not_run']) + ' not run' if report.interrupted else ''}"
           f"{'; ' + str(s['load_errors']) + ' file(s) failed to load' if s['load_errors'] else ''}"
           "</p></header>"]
    counts = [("claims", s["claims"]), ("statements", s["lines"]), ("✓ verified", s["verified"]),
              ("✗ refuted", s["refuted"]), ("~ unstable", s["unstable"]),
              ("! error", s["error"]), ("errata", s["errata"]), ("not as expected",
                                                               s["unexpected"])]
    out.append('<div class="counts">' + "".join(
        f'<span class="count"><b>{v}</b>{_e(k)}</span>' for k, v in counts) + "</div>")
    out.append(f'<div class="meta">profile {_e(report.profile)} · seed {report.seed} · '
               f"{report.seconds:.1f}s · derivcheck {_e(__version__)}</div>")
    if report.load_errors:
        out.append("<h2>Files that failed to load</h2>")
        out.extend(f'<div class="loaderr"><code>{_e(e.file)}</code>: {_e(e.message)}</div>'
                   for e in report.load_errors)
    tallies = document_tallies(report)
    if tallies:
        out.append("<h2>Per document</h2><table><tr><th>document</th><th>checked</th>"
                   "<th>✓ verified</th><th>~ unstable</th><th>errata</th><th>not as expected"
                   "</th></tr>")
        for t in tallies:
            bad = t["unexpected"]
            out.append(f"<tr><td><code>{_e(t['file'])}</code></td>"
                       f'<td class="n">{t["statements"]}</td><td class="n">{t["verified"]}</td>'
                       f'<td class="n">{t["unstable"]}</td><td class="n">{t["errata"]}</td>'
                       f'<td class="n{" miss" if bad else ""}">{bad}</td></tr>')
        out.append("</table>")
    groups = errata_by_class(report)
    if groups:
        out.append("<h2>Errata</h2>")
        every = [e for _, es in groups for e in es]
        for cls, es in groups:
            out.append(f"<h3>{_e(CLASS_HEADINGS[cls])} ({len(es)})</h3>")
            out.append('<table class="errata"><colgroup><col class="m"><col class="c"><col>'
                       '<col class="w"><col></colgroup><tr><th></th><th>claim</th>'
                       "<th>as written</th><th>what is wrong</th><th>corrected form</th></tr>")
            out.extend(_erratum_row(e, every) for e in es)
            out.append("</table>")
    unexpected = [r for r in report.results if not r.ok]
    if unexpected:
        out.append(f"<h2>{NOT_AS_EXPECTED}</h2><ul>")
        for i, r in enumerate(report.results):
            if r.ok:
                continue
            why = "; ".join(what for what, _ in missed(r))
            out.append(f'<li><a href="#claim-{i}">{_e(r.summary_line())}</a>'
                       f'{" — " + _e(why) if why else ""}</li>')
        out.append("</ul>")
    if report.skipped:
        out.append("<h2>Not run</h2><ul>")
        out.extend(f"<li><code>{_e(q)}</code></li>" for q in report.skipped)
        out.append("</ul>")
    out.append("<h2>Claims</h2>")
    out.extend(_claim(r, f"claim-{i}") for i, r in enumerate(report.results))
    out.append(f"<footer>derivcheck {_e(__version__)} · seed {report.seed} · "
               "self-contained page: no scripts, no network</footer>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
            "style-src 'unsafe-inline'; img-src data:\">"
            f"<title>{_e(title)}</title><style>{CSS}</style></head>\n"
            f"<body><main>{''.join(out)}</main></body></html>\n")

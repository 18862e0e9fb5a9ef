"""``--format junit``: JUnit XML for CI dashboards.

One ``<testsuite>`` per proof file and one ``<testcase>`` per claim. A claim
passes when it gets its expected status, so an erratum that is refuted
passes. A claim not at its expected status is a ``<failure>`` (an
``<error>`` when its status is "error"); a file that failed to load is an
``<error>`` test case of its suite; claims an interrupt kept from running
are ``<skipped>``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ._data import is_derivation
from ._texts import missed

__all__ = ["render"]

# Characters XML 1.0 cannot carry even escaped (C0 controls except tab/newline/CR, surrogates,
# U+FFFE/U+FFFF): replaced so that any claim text still gives a well-formed document.
_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _x(value) -> str:
    return _INVALID.sub("\ufffd", str(value))


def _classname(file: str) -> str:
    stem = file[:-3] if file.endswith(".py") else file
    return _x(stem.replace("\\", "/").replace("/", "."))


def _details(r) -> str:
    body = str(r)
    body += "".join(f"\n{what}: {latex}" for what, latex in missed(r))
    if r.counterexample:
        body += "\n" + r.reproduce()
    trace = getattr(r, "trace", None)
    if trace:
        body += "\n" + trace
    return _x(body)


def _notes(r) -> str:
    out = []
    for ln in r.lines:
        if ln.erratum is not None:
            where = f"line {ln.index}" if is_derivation(r) else "claim"
            out.append(f"erratum ({where}, {ln.status}): {ln.erratum}\n  as written: {ln.latex}")
            if ln.fix is not None:
                out.append(f"  corrected ({ln.fix.status}): {ln.fix.latex}")
    return _x("\n".join(out))


def render(report) -> str:
    """The report as a JUnit XML document (UTF-8, with an XML declaration)."""
    suites: dict[str, list] = {}
    for r in report.results:
        suites.setdefault(r.id.split("::")[0], []).append(("result", r))
    for e in report.load_errors:
        suites.setdefault(e.file, []).append(("load", e))
    for qualname in report.skipped:
        suites.setdefault(qualname.split("::")[0], []).append(("skipped", qualname))

    root = ET.Element("testsuites", name="derivcheck")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    total_time = 0.0
    for file, items in suites.items():
        suite = ET.SubElement(root, "testsuite", name=_x(file))
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="profile", value=_x(report.profile))
        ET.SubElement(props, "property", name="seed", value=str(report.seed))
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        seconds = 0.0
        for kind, item in items:
            counts["tests"] += 1
            if kind == "load":
                case = ET.SubElement(suite, "testcase", classname=_classname(file),
                                     name="(load)", file=_x(file), time="0")
                err = ET.SubElement(case, "error", message=_x(item.message), type="LoadError")
                err.text = _x(item.trace or str(item))
                counts["errors"] += 1
                continue
            if kind == "skipped":
                name = item.split("::", 1)[-1]
                case = ET.SubElement(suite, "testcase", classname=_classname(file),
                                     name=_x(name), file=_x(file), time="0")
                ET.SubElement(case, "skipped", message="not run: the run was interrupted")
                counts["skipped"] += 1
                continue
            r = item
            seconds += r.seconds
            case = ET.SubElement(suite, "testcase", classname=_classname(file),
                                 name=_x(r.id.split("::", 1)[-1]), file=_x(file),
                                 time=f"{r.seconds:.3f}")
            if not r.ok:
                tag = "error" if r.status == "error" else "failure"
                bad = ET.SubElement(case, tag, message=_x(r.summary_line()), type=_x(r.status))
                bad.text = _details(r)
                counts["errors" if tag == "error" else "failures"] += 1
            notes = _notes(r)
            if notes:
                ET.SubElement(case, "system-out").text = notes
        for k, v in counts.items():
            suite.set(k, str(v))
            totals[k] += v
        suite.set("time", f"{seconds:.3f}")
        total_time += seconds
    for k, v in totals.items():
        root.set(k, str(v))
    root.set("time", f"{total_time:.3f}")
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="unicode", xml_declaration=False).join(
        ('<?xml version="1.0" encoding="UTF-8"?>\n', "\n"))

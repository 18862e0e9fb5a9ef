"""The HTML report in a real browser: headless Chromium renders it and keeps its MathML.

Skipped when Chromium is not installed (``apt-get install -y chromium``).
"""

import html
import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from derivcheck import LineResult, Result
from derivcheck._report import render
from derivcheck._runner import Report

SCRIPT = Path(__file__).resolve().parents[1] / "bench" / "screenshot_report.py"
CHROMIUM = next((p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser")
                 if Path(p).is_file()), None)

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")


def demo_report():
    fix = LineResult(3, r"\sigma(z)", "verified", "verified", max_error=1e-16, examples=192)
    lines = [
        LineResult(1, r"\frac{\exp(z_i)}{\sum_{j=1}^K \exp(z_j)}", "unstable", "unstable",
                   unstable_from=709.0, examples=192, max_error=2e-16),
        LineResult(2, r"\hat{\mathbf{y}} = \left( \sigma(\theta^T x) \right)", "verified",
                   "verified", examples=192, max_error=1e-16),
        LineResult(3, r"2\,\sigma(z)", "refuted", "refuted", erratum="factor 2 is wrong",
                   fix=fix, examples=192, max_error=1.0, counterexample={"z": [0.0, 1.0]},
                   bucket={"K": 2}),
    ]
    chain = Result(id="proofs/demo.py::lse_chain", kind="derivation", status="refuted",
                   expected="refuted", lines=lines, examples=192, max_error=1.0,
                   latex=r"\frac{\partial}{\partial z} \log \sum_k e^{z_k}")
    evil = Result(id="proofs/demo.py::<script>alert(1)</script>", kind="gradient",
                  status="refuted", expected="verified", examples=32, max_error=0.5,
                  counterexample={"x": [1.0]}, bucket={"D": 1},
                  lines=[LineResult(1, r"\nabla_x \|x\|^2 = 3x", "refuted", "verified",
                                    max_error=0.5, examples=32)])
    return Report(results=[chain, evil], load_errors=[], profile="quick", seed=0, seconds=1.0)


def png_size(path):
    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def test_chromium_renders_the_report_to_a_png_and_keeps_the_mathml(tmp_path):
    page = tmp_path / "report.html"
    page.write_text(render(demo_report(), "html"), encoding="utf-8")
    png, dom = tmp_path / "report.png", tmp_path / "dom.html"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), str(page), str(png), "--dom", str(dom),
         "--width", "1000", "--height", "1400"],
        capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    assert png_size(png) == (1000, 1400)
    rendered = dom.read_text(encoding="utf-8")
    sent = page.read_text(encoding="utf-8")
    # every <math> element of the page survives parsing, with its structure
    assert len(re.findall(r"<math[\s>]", rendered)) == len(re.findall(r"<math[\s>]", sent)) >= 6
    sent_tags = set(re.findall(r"<(m[a-z]+)[\s>]", sent))
    # the demo exercises fractions, accents, powers, subscripts and a sum with both limits
    # (inline math sets those as msubsup; display math would use munderover)
    assert {"mfrac", "mover", "msup", "msub", "msubsup"} <= sent_tags
    for tag in sorted(sent_tags):
        assert f"<{tag}" in rendered, tag
    # the hostile claim name is text in the parsed document, never an element
    assert "<script" not in rendered.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered


def test_mathml_escaped_as_text_would_not_survive_as_elements(tmp_path):
    page = re.sub(r"<math.*?</math>", lambda m: html.escape(m.group(0)),
                  render(demo_report(), "html"), flags=re.S)
    rendered = dump_dom(tmp_path, page, "escaped")
    assert not re.findall(r"<math[\s>]", rendered)
    assert "<mfrac" not in rendered


def dump_dom(tmp_path, html_text, name):
    page = tmp_path / f"{name}.html"
    page.write_text(html_text, encoding="utf-8")
    png, dom = tmp_path / f"{name}.png", tmp_path / f"{name}.dom.html"
    proc = subprocess.run([sys.executable, str(SCRIPT), str(page), str(png), "--dom", str(dom)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    return dom.read_text(encoding="utf-8")


CSP = re.compile(r'<meta http-equiv="Content-Security-Policy"[^>]*>')
PROBE = """<script>
const f = document.querySelector("mfrac");
const [num, den] = f.children;
const a = num.getBoundingClientRect(), b = den.getBoundingClientRect();
document.body.setAttribute("data-probe", [f.namespaceURI, a.bottom <= b.top + 1,
  a.height > 0, document.querySelectorAll("math").length].join(" "));
</script></body>"""


def test_chromium_lays_out_fractions_as_mathml_numerator_above_denominator(tmp_path):
    page = CSP.sub("", render(demo_report(), "html")).replace("</body>", PROBE)
    rendered = dump_dom(tmp_path, page, "probe")
    (probe,) = re.findall(r'data-probe="([^"]*)"', rendered)
    ns, stacked, visible, count = probe.split()
    assert ns == "http://www.w3.org/1998/Math/MathML"
    assert stacked == "true"
    assert visible == "true"
    assert int(count) >= 6


def test_the_pages_security_policy_blocks_an_injected_script(tmp_path):
    page = render(demo_report(), "html").replace("</body>", PROBE)
    assert CSP.search(page)
    blocked = dump_dom(tmp_path, page, "with_csp")
    assert 'data-probe="' not in blocked


def test_without_the_security_policy_the_same_script_would_run(tmp_path):
    page = CSP.sub("", render(demo_report(), "html")).replace("</body>", PROBE)
    ran = dump_dom(tmp_path, page, "without_csp")
    assert 'data-probe="' in ran


WIDE = " + ".join(f"x_{{{i}}}^{{2}}" for i in range(160))
FITS = """<script>
const root = document.documentElement;
document.body.setAttribute("data-probe", String(root.scrollWidth <= root.clientWidth + 1));
</script></body>"""


def wide_report():
    line = LineResult(1, WIDE, "verified", "verified", examples=32, max_error=1e-16)
    chain = Result(id="proofs/wide.py::long_sum", kind="derivation", status="verified",
                   expected="verified", lines=[line, line], examples=32, max_error=1e-16,
                   latex=WIDE)
    return Report(results=[chain], load_errors=[], profile="quick", seed=0, seconds=1.0)


def test_a_very_wide_formula_scrolls_inside_its_cell_and_the_page_does_not(tmp_path):
    page = CSP.sub("", render(wide_report(), "html")).replace("</body>", FITS)
    rendered = dump_dom(tmp_path, page, "wide")
    assert 'data-probe="true"' in rendered


def test_without_the_scrolling_cells_the_same_formula_would_widen_the_page(tmp_path):
    page = CSP.sub("", render(wide_report(), "html")).replace("</body>", FITS)
    assert "overflow-x:auto" in page
    page = page.replace("overflow-x:auto", "overflow-x:visible")
    rendered = dump_dom(tmp_path, page, "wide_unfixed")
    assert 'data-probe="false"' in rendered

"""HTML, JUnit and Markdown reports: content, escaping of user text, well-formed output."""

import html
import re
import textwrap
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from derivcheck import LineResult, Result
from derivcheck._loader import LoadError, load_file
from derivcheck._profiles import get_profile
from derivcheck._report import render
from derivcheck._report._html import latex_to_mathml
from derivcheck._runner import Report, run_catalog
from derivcheck.cli import main

EVIL = "<script>alert(1)</script>"
PIPE = "a|b <i>c</i>"

# -- synthetic reports (no engine: every field under the test's control) -------------------


def line(index=1, latex="x", status="verified", expected="verified", **kw):
    return LineResult(index=index, latex=latex, status=status, expected=expected,
                      examples=192, max_error=1e-16, **kw)


def result(name, status="verified", expected="verified", lines=None, file="proofs/doc.py",
           kind="gradient", **kw):
    lines = lines or [line(status=status, expected=expected)]
    return Result(id=f"{file}::{name}", kind=kind, status=status, expected=expected,
                  examples=192, max_error=lines[0].max_error, lines=lines, seed=3,
                  source="doc.txt § 1", **kw)


def make_report(*results, load_errors=(), skipped=()):
    return Report(results=list(results), load_errors=list(load_errors), profile="quick",
                  seed=3, seconds=1.5, skipped=list(skipped))


def good():
    return result("grad_W", lines=[line(latex=r"\frac{1}{N} X^T (\hat{Y} - Y)")])


def evil_report():
    """Every user text field carries markup or table-breaking characters."""
    cx = {EVIL: np.array([1.0, -2.0])}
    fix = line(latex=r"\sigma(z) " + EVIL, note=EVIL)
    erratum = line(index=2, latex=r"2 \sigma(z)" + PIPE, status="refuted", expected="refuted",
                   erratum=f"factor {PIPE} {EVIL}", fix=fix, counterexample=cx,
                   bucket={"K": 2}, diagnosis=EVIL)
    chain = result(EVIL, status="refuted", expected="verified", kind="derivation",
                   latex=r"\frac{\partial}{\partial z} " + EVIL, counterexample=cx,
                   bucket={"K": 2}, message=EVIL, file=f"proofs/{EVIL}|x.py",
                   lines=[line(latex="</math>" + EVIL, note=EVIL), erratum])
    return make_report(good(), chain, load_errors=[LoadError(f"proofs/{EVIL}.py", EVIL)],
                       skipped=[f"proofs/doc.py::{EVIL}"])


# -- HTML -----------------------------------------------------------------------------------

VOID = {"meta", "br", "hr", "img", "input", "link", "col", "mspace"}


class _TagChecker(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.tags, self.problems = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


def parse_html(page):
    checker = _TagChecker()
    checker.feed(page)
    checker.close()
    return checker


def test_a_claim_named_script_renders_as_text_not_markup():
    page = render(evil_report(), "html")
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    tags = {t for t, _ in parse_html(page).tags}
    assert "script" not in tags
    assert "i" not in tags


def test_an_unescaped_claim_name_would_be_caught_by_the_same_check():
    page = render(evil_report(), "html").replace("&lt;script&gt;", "<script>", 1)
    assert "script" in {t for t, _ in parse_html(page).tags}


def test_the_html_page_is_well_formed_and_self_contained():
    page = render(evil_report(), "html")
    checker = parse_html(page)
    assert checker.problems == []
    assert checker.stack == []
    for t, attrs in checker.tags:
        assert t not in ("script", "link", "img", "iframe", "object")
        for k, v in attrs.items():
            assert not (k in ("src", "href") and v and not v.startswith("#")), (t, k, v)
    assert "url(" not in page
    assert "@import" not in page
    assert "@font-face" not in page


def test_the_html_page_shows_summary_chain_marks_errata_and_counterexamples():
    page = render(evil_report(), "html")
    assert page.index("derivcheck report") < page.index("Per document") < page.index("Claims")
    assert "1 of 2 claims as expected" in page
    assert "✓" in page
    assert "✗" in page
    assert 'class="line erratum"' in page
    assert "as written (refuted)" in page
    assert "corrected (verified)" in page
    assert '<table class="cx">' in page
    assert "counterexample at K=2" in page
    assert "[ 1., -2.]" in page
    assert "Files that failed to load" in page
    assert "Not run" in page


def test_an_unstable_line_shows_the_magnitude_where_it_breaks():
    unstable = result("lse", status="unstable", expected="unstable",
                      lines=[line(status="unstable", expected="unstable", unstable_from=710.0)],
                      unstable_from=710.0)
    page = render(make_report(unstable), "html")
    assert "breaks for inputs of magnitude ≥ 710" in page


def test_a_report_where_all_is_as_expected_has_a_green_banner_and_no_problem_list():
    page = render(make_report(good()), "html")
    assert 'class="banner ok"' in page
    assert "Not as expected" not in page
    bad = render(make_report(good(), result("x", status="refuted")), "html")
    assert 'class="banner bad"' in bad
    assert "Not as expected" in bad


# -- LaTeX → MathML -------------------------------------------------------------------------

def mathml(latex):
    out = latex_to_mathml(latex)
    assert out.startswith("<math"), out
    return ET.fromstring(out)  # the MathML is also well-formed XML


def tags(root):
    return [el.tag for el in root.iter()]


CASES = {
    "fraction": (r"\frac{\partial J}{\partial \theta}", "mfrac", "∂"),
    "sum with limits": (r"\sum_{n=1}^{N} x_n", "msubsup", "∑"),
    "sub and superscript": (r"x_i^{(n)}", "msubsup", "n"),
    "hat accent": (r"\hat{\mathbf{y}}", "mover", "𝐲"),
    "log applies": (r"\log \hat{y}", "mi", "log"),
    "exp applies": (r"\exp(z_i)", "mi", "exp"),
    "greek": (r"\alpha + \Theta", "mi", "Θ"),
    "fenced brace": (r"\left\{ \frac{1}{2} \right.", "mfrac", "{"),
    "matrix": (r"\begin{bmatrix} a & b \\ c & d \end{bmatrix}", "mtable", "d"),
    "text": (r"z \text{ 为 } K \times 1", "mtext", "为"),
    "sqrt": (r"\sqrt{x^2 + 1}", "msqrt", "1"),
    "arrow label": (r"\xrightarrow{\text{ReLU}}", "mover", "ReLU"),
    "indicator": (r"\mathbb1\{y=j\}", "mn", "1"),
    "markdown escapes": (r"\sum\_{i=1}^{m} a\_i", "msub", "i"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_latex_is_converted_to_the_expected_mathml(case):
    latex, tag, text = CASES[case]
    root = mathml(latex)
    assert tag in tags(root)
    assert text in "".join(root.itertext())


def test_bold_and_calligraphic_letters_are_drawn_in_their_alphabets():
    root = mathml(r"\mathbf{W} + \mathcal{R}")
    assert [el.text for el in root.iter("mi")] == ["𝐖", "ℛ"]


def test_parentheses_that_must_stretch_are_stretchy_fences():
    root = mathml(r"\left( \frac{1}{2} \right)^T")
    fences = [el for el in root.iter("mo") if el.get("fence") == "true"]
    assert [f.text for f in fences] == ["(", ")"]
    assert all(f.get("stretchy") == "true" for f in fences)


def test_a_bmatrix_has_one_row_per_line_and_one_cell_per_column():
    root = mathml(r"\begin{bmatrix} 1 & 2 & 3 \\ 4 & 5 & 6 \end{bmatrix}")
    rows = list(root.iter("mtr"))
    assert len(rows) == 2
    assert all(len(list(r.iter("mtd"))) == 3 for r in rows)


@pytest.mark.parametrize("latex", [
    r"\unknowncommand{x}", r"\frac{1}{", r"\left( x", "<b>" + r"\foo",
])
def test_latex_the_converter_cannot_read_falls_back_to_escaped_code(latex):
    out = latex_to_mathml(latex)
    assert out.startswith('<code class="tex">')
    assert "<b>" not in out
    assert ET.fromstring(out).text == latex


def test_the_latex_source_is_kept_as_an_annotation():
    root = mathml(r"\frac{a}{b} < c")
    (ann,) = root.iter("annotation")
    assert ann.text == r"\frac{a}{b} < c"
    assert ann.get("encoding") == "application/x-tex"


def test_the_html_font_stack_falls_back_to_cjk_fonts():
    page = render(make_report(good()), "html")
    assert '"Noto Sans CJK SC"' in page and '"Microsoft YaHei"' in page


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(list("\\{}^_&ab1 ()[]<>|'") + [
    "\\frac", "\\left", "\\right", "\\begin{bmatrix}", "\\end{bmatrix}", "\\hat", "\\sum",
    "\\text{", "\\\\", "\\mathbf", "\\sqrt"]), max_size=30).map("".join))
def test_any_latex_gives_well_formed_markup_and_never_crashes(latex):
    out = latex_to_mathml(latex)
    root = ET.fromstring(out)
    assert root.tag in ("math", "code")
    if root.tag == "code":
        assert root.text == (latex or None)


# -- JUnit ----------------------------------------------------------------------------------

def junit(report):
    return ET.fromstring(render(report, "junit").encode("utf-8"))


def cases(root):
    return {c.get("name"): c for c in root.iter("testcase")}


def test_junit_has_a_suite_per_file_and_a_case_per_claim():
    rep = make_report(good(), result("other", file="proofs/b.py"),
                      result("third", file="proofs/b.py"))
    root = junit(rep)
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert set(suites) == {"proofs/doc.py", "proofs/b.py"}
    assert suites["proofs/b.py"].get("tests") == "2"
    assert root.get("tests") == "3"
    assert root.get("failures") == "0"
    assert set(cases(root)) == {"grad_W", "other", "third"}


def test_an_erratum_refuted_as_expected_passes_in_junit():
    erratum = result("typo", status="refuted", expected="refuted",
                     lines=[line(status="refuted", expected="refuted", erratum="sign")])
    case = cases(junit(make_report(erratum)))["typo"]
    assert case.find("failure") is None
    assert case.find("error") is None
    assert "erratum (claim, refuted): sign" in case.find("system-out").text


def test_an_erratum_that_verifies_is_a_junit_failure_with_the_summary_line():
    wrong = result("typo", status="verified", expected="refuted",
                   lines=[line(status="verified", expected="refuted", erratum="sign")])
    root = junit(make_report(wrong))
    failure = cases(root)["typo"].find("failure")
    assert failure.get("message") == wrong.summary_line()
    assert root.get("failures") == "1"


def test_an_error_status_is_a_junit_error_and_a_load_error_is_its_own_case():
    broken = result("crash", status="error", message="derivcheck itself failed",
                    lines=[line(status="error")])
    rep = make_report(broken, load_errors=[LoadError("proofs/bad.py", "line 2: SyntaxError")])
    root = junit(rep)
    assert cases(root)["crash"].find("error").get("type") == "error"
    assert cases(root)["(load)"].find("error").get("message") == "line 2: SyntaxError"
    assert root.get("errors") == "2"
    assert root.get("failures") == "0"


def test_junit_escapes_markup_and_survives_control_characters():
    rep = evil_report()
    rep.results[0].id = "proofs/doc.py::grad\x01W\x1b"
    root = junit(rep)
    names = set(cases(root))
    assert EVIL in names
    assert "grad\ufffdW\ufffd" in names
    assert root.get("skipped") == "1"


# -- Markdown -------------------------------------------------------------------------------

def outside_code(md):
    md = re.sub(r"```.*?```", "", md, flags=re.S)
    return re.sub(r"(`+)(?!`).*?(?<!`)\1(?!`)", "", md)


def table_rows(md):
    return [ln for ln in md.splitlines() if ln.startswith("|")]


def unescaped_pipes(row):
    return len(re.findall(r"(?<!\\)\|", row))


def test_markdown_tables_keep_their_columns_whatever_the_claim_text():
    md = render(evil_report(), "markdown")
    rows = table_rows(md)
    assert rows
    header_pipes = {}
    for row in rows:
        if row.startswith("| document") or row.startswith("| | claim"):
            header = row
        header_pipes.setdefault(header, set()).add(unescaped_pipes(row))
    assert all(len(counts) == 1 for counts in header_pipes.values()), header_pipes


def test_an_unescaped_pipe_would_break_the_column_check():
    row = "| `a|b` | 1 |"
    assert unescaped_pipes(row) != unescaped_pipes("| `a` | 1 |")


def test_markdown_has_no_raw_html_outside_code():
    md = render(evil_report(), "markdown")
    assert "<" not in outside_code(md)
    assert "&lt;script&gt;" in md


def test_markdown_lists_errata_with_line_note_and_corrected_form():
    md = render(evil_report(), "markdown")
    (row,) = [r for r in table_rows(md) if "factor" in r]
    assert "[2]" in row
    assert "factor a\\|b &lt;i&gt;" in row
    assert "\\sigma(z)" in row
    assert "#### Not as expected" in md
    assert "inputs = dict(" in md


def test_markdown_for_a_clean_run_has_no_problem_section():
    md = render(make_report(good()), "markdown")
    assert "✓ all as expected" in md
    assert "Not as expected" not in md


# -- end to end: a real proof file through the engine and the CLI ---------------------------

DEMO = textwrap.dedent('''
    import jax
    import jax.numpy as jnp
    import derivcheck as dc

    space = dc.Space(z=dc.real("K"))

    def lse(z):
        return jnp.log(jnp.sum(jnp.exp(z)))

    softmax_chain = dc.Derivation(
        target=dc.grad_of(lse, wrt="z"),
        latex=r"\\frac{\\partial}{\\partial z} \\log \\sum_{k=1}^K e^{z_k}",
        lines=[
            dc.Line(r"\\frac{\\exp(z - \\max z)}{\\sum_{j=1}^K \\exp(z_j - \\max z)}",
                    lambda z: jnp.exp(z - z.max()) / jnp.sum(jnp.exp(z - z.max()))),
            dc.Line(r"2\\,\\sigma(z)", lambda z: 2 * jax.nn.softmax(z),
                    erratum="factor 2 is wrong", fix=dc.Line(r"\\sigma(z)", jax.nn.softmax)),
        ],
        space=space)

    wrong = dc.gradient(lambda x: (x ** 2).sum(), lambda x: 3 * x,
                        space=dc.Space(x=dc.real("D")), wrt="x", id="<script>alert(1)</script>",
                        latex=r"\\nabla_x \\|x\\|^2 = 3x")
''')


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo_proof.py"
    path.write_text(DEMO)
    claims, err = load_file(path)
    assert err is None
    return path, run_catalog(claims, profile=get_profile("quick"), seed=0)


def test_a_real_run_renders_in_every_format(demo):
    _, rep = demo
    page = render(rep, "html")
    assert page.count("<math") >= 4
    assert "<script" not in page
    assert parse_html(page).problems == []
    root = ET.fromstring(render(rep, "junit").encode())
    assert root.get("tests") == "2"
    assert root.get("failures") == "1"
    (failed,) = [c for c in root.iter("testcase") if c.find("failure") is not None]
    assert failed.get("name") == "<script>alert(1)</script>"
    md = render(rep, "markdown")
    assert "Not as expected" in md
    assert "<" not in outside_code(md)


@pytest.mark.parametrize("fmt", ["html", "junit", "markdown"])
def test_the_cli_writes_each_format_to_a_file(demo, tmp_path, fmt):
    path, _ = demo
    out = tmp_path / f"report.{fmt}"
    res = CliRunner().invoke(main, ["check", str(path), "--format", fmt, "-o", str(out),
                                    "--profile", "quick", "--cache-dir", ""])
    assert res.exit_code == 1, res.output  # one claim is not as expected
    text = out.read_text(encoding="utf-8")
    assert "alert(1)" in text
    assert "<script>" not in (outside_code(text) if fmt == "markdown" else text)
    if fmt == "junit":
        ET.fromstring(text.encode())


def test_a_refuted_property_erratum_says_why_in_the_table():
    false = result("shrinks", status="refuted", expected="refuted", kind="property",
                   lines=[line(status="refuted", expected="refuted", erratum="false for θ < 0")])
    table = render(make_report(false), "table")
    assert "erratum, as expected: false at a calm input" in table


def test_a_refuted_gradient_keeps_its_diagnosis_in_the_table():
    wrong = result("grad", status="refuted", expected="refuted", diagnosis="looks like a sign",
                   lines=[line(status="refuted", expected="refuted", erratum="sign")])
    table = render(make_report(wrong), "table")
    assert "erratum, as expected: looks like a sign" in table
    assert "false at a calm input" not in table


# -- one explanation, every format ---------------------------------------------------------

TEXT_FORMATS = ["table", "markdown", "html", "junit"]


def _missed_line_report(*, missed):
    lines = [line(index=1), line(index=2, latex="2 x", status="refuted" if missed else "verified")]
    return make_report(result("chain", status="refuted" if missed else "verified",
                              kind="derivation", lines=lines))


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_every_format_explains_a_line_that_missed_its_expected_status_in_the_same_words(fmt):
    assert "line 2: refuted, expected verified" in render(_missed_line_report(missed=True), fmt)


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_no_format_explains_a_miss_when_every_line_is_as_expected(fmt):
    assert "expected verified" not in render(_missed_line_report(missed=False), fmt)


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_every_format_says_a_fix_that_does_not_verify_in_the_same_words(fmt):
    fix = line(latex="x", status="refuted", expected="verified")
    erratum = line(index=2, latex="2 x", status="refuted", expected="refuted", erratum="a factor",
                   fix=fix)
    report = make_report(result("chain", status="refuted", expected="verified",
                                kind="derivation", lines=[line(index=1), erratum]))
    assert "line 2's fix: refuted, expected verified" in html.unescape(render(report, fmt))

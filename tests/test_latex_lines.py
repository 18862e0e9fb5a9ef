"""LaTeX in proof files: a line with only LaTeX is compiled with the file's NOTATION, and a
line with LaTeX and code gets a transcription check of its own."""

import json
import textwrap

import pytest
from click.testing import CliRunner

from derivcheck.cli import main

NOTATION = """
    [inputs]
    A = "real D D"
    v = "real D"
    [symbols]
    A = { input = "A" }
    x = { input = "v" }
"""

HEAD = """
    import derivcheck as dc

    {notation}
    S = dc.Space(A=dc.real("D D"), v=dc.real("D"))
    grad = dc.grad_of(lambda A, v: v @ A @ v, wrt="v")
"""


def check_file(tmp_path, body: str, *, notation: bool = True):
    (tmp_path / "notation").mkdir(exist_ok=True)
    (tmp_path / "notation" / "quad.toml").write_text(textwrap.dedent(NOTATION))
    head = HEAD.format(notation='NOTATION = "notation/quad.toml"' if notation else "")
    proof = tmp_path / "quad_proof.py"
    proof.write_text(textwrap.dedent(head) + textwrap.dedent(body))
    res = CliRunner().invoke(main, ["check", str(proof), "--format", "json", "--cache-dir", "",
                                    "--profile", "quick", "-j", "1"])
    return res


def statuses(res) -> dict:
    out = json.loads(res.stdout)
    return {c["id"].split("::")[-1]: c["status"] for c in out["claims"] if c["kind"] != "line"}


def test_a_line_with_only_latex_is_compiled_and_verified(tmp_path):
    res = check_file(tmp_path, """
        d = dc.Derivation(target=grad, lines=[dc.Line(r"(A + A^T) x")], space=S)
    """)
    assert res.exit_code == 0, res.output
    assert statuses(res) == {"d": "verified"}


def test_a_wrong_line_with_only_latex_is_refuted(tmp_path):
    res = check_file(tmp_path, """
        d = dc.Derivation(target=grad, lines=[dc.Line(r"2 A x")], space=S)
    """)
    assert res.exit_code == 1, res.output
    assert statuses(res) == {"d": "refuted"}


def test_code_that_says_what_its_latex_says_passes_the_transcription_check(tmp_path):
    res = check_file(tmp_path, """
        d = dc.Derivation(target=grad, space=S,
                          lines=[dc.Line(r"A x + A^T x", lambda A, v: A @ v + A.T @ v)])
    """)
    assert res.exit_code == 0, res.output
    assert statuses(res) == {"d": "verified", "d:transcription[1]": "verified"}


def test_code_that_misreads_its_latex_is_a_finding_of_its_own(tmp_path):
    res = check_file(tmp_path, """
        d = dc.Derivation(target=grad, space=S, lines=[
            dc.Line(r"A x + A^T x", lambda A, v: 2 * A @ v, erratum="2Ax needs a symmetric A")])
    """)
    assert res.exit_code == 1, res.output
    assert statuses(res) == {"d": "refuted", "d:transcription[1]": "refuted"}


def test_without_a_notation_there_is_no_transcription_check(tmp_path):
    res = check_file(tmp_path, """
        d = dc.Derivation(target=grad, space=S,
                          lines=[dc.Line(r"A x + A^T x", lambda A, v: A @ v + A.T @ v)])
    """, notation=False)
    assert statuses(res) == {"d": "verified"}


@pytest.mark.parametrize(("notation", "line", "said"), [
    (False, r"(A + A^T) x", "set NOTATION"),
    (True, r"\int_0^1 A x", "\\int"),
], ids=["no-notation", "unsupported-latex"])
def test_a_latex_only_line_that_cannot_be_compiled_is_a_load_error(tmp_path, notation, line,
                                                                     said):
    res = check_file(tmp_path, f"""
        bad = dc.Derivation(target=grad, lines=[dc.Line(r"{line}")], space=S)
        good = dc.Derivation(target=grad, space=S, lines=[
            dc.Line("(A + A^T) x", lambda A, v: A @ v + A.T @ v)])
    """, notation=notation)
    assert "quad_proof.py" in res.stderr and "bad line 1" in res.stderr and said in res.stderr
    assert statuses(res)["good"] == "verified"
    assert "bad" not in statuses(res)


def test_a_latex_only_line_checked_from_python_is_an_error_that_says_what_to_do():
    import derivcheck as dc

    target = dc.grad_of(lambda x: (x ** 2).sum(), wrt="x")
    space = dc.Space(x=dc.real("D"))
    r = dc.check(dc.Derivation(target=target, lines=[dc.Line("2x")], space=space),
                 profile="quick")
    assert (r.status, r.lines[0].status) == ("error", "error")
    assert "only LaTeX" in r.lines[0].message and "fn=" in r.lines[0].message
    twin = dc.Derivation(target=target, lines=[dc.Line("2x", lambda x: 2 * x)], space=space)
    assert dc.check(twin, profile="quick").status == "verified"

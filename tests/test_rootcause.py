"""Root causes, propagated lines, repairs and opposite-start chains, on synthetic derivations.

Every derivation below differentiates f(x) = Σ x², whose gradient is 2x, and
is checked through the public API with the quick profile. Each behaviour has a
twin that must not show it.
"""

import json

import pytest
from click.testing import CliRunner

import derivcheck as dc
from derivcheck.cli import main

SPACE = dc.Space(x=dc.real("D"))
TARGET = dc.grad_of(lambda x: (x ** 2).sum(), wrt="x")

RIGHT = dc.Line("2x", lambda x: 2 * x)
RIGHT_AGAIN = dc.Line("x + x", lambda x: x + x)


def wrong(latex, fn, **kw):
    return dc.Line(latex, fn, erratum=f"{latex} is not 2x", **kw)


def check(*lines):
    return dc.check(dc.Derivation(target=TARGET, lines=list(lines), space=SPACE, id="chain"),
                    profile="quick")


def roles(r):
    return [ln.role for ln in r.lines]


def test_a_broken_step_is_the_root_cause():
    r = check(RIGHT, wrong("3x", lambda x: 3 * x))
    assert r.root_cause is not None
    assert (r.root_cause.line, r.root_cause.first_line) == (2, False)
    assert r.root_cause.to_dict()["step"] == [1, 2]
    assert roles(r) == [None, "root"]
    assert "the step from line 1 to line 2" in r.root_cause.describe()


def test_a_chain_with_no_wrong_line_has_no_root_cause():
    r = check(RIGHT, RIGHT_AGAIN)
    assert r.status == "verified"
    assert r.root_cause is None
    assert roles(r) == [None, None]


def test_a_wrong_first_line_is_the_root_cause():
    r = check(wrong("3x", lambda x: 3 * x), RIGHT)
    assert (r.root_cause.line, r.root_cause.first_line) == (1, True)
    assert r.root_cause.to_dict()["step"] is None


def test_a_line_that_follows_from_a_wrong_line_is_propagated():
    r = check(RIGHT, wrong("3x", lambda x: 3 * x, erratum_class="error"),
              wrong("x + 2x", lambda x: x + 2 * x, erratum_class="error"))
    assert roles(r) == [None, "root", "propagated"]
    assert r.lines[2].step_status == "holds"
    assert r.root_cause.propagated == (3,)
    assert [ln.erratum_class for ln in r.lines] == [None, "error", "propagated"]


def test_a_wrong_line_whose_own_step_breaks_is_not_propagated():
    r = check(RIGHT, wrong("3x", lambda x: 3 * x), wrong("4x", lambda x: 4 * x,
                                                           erratum_class="notation",
                                                           reading="4 for 2"))
    assert roles(r) == [None, "root", "break"]
    assert r.lines[2].step_status == "fails"
    assert r.root_cause.propagated == ()
    assert r.root_cause.breaks == (3,)
    assert r.lines[2].erratum_class == "notation"


def test_a_step_from_a_wrong_line_back_to_a_right_one_is_a_repair():
    r = check(RIGHT, wrong("3x", lambda x: 3 * x), RIGHT_AGAIN)
    assert roles(r) == [None, "root", "repair"]
    assert r.root_cause.repairs == (3,)
    assert r.lines[2].status == "verified" and r.lines[2].step_status == "fails"
    assert "line 3 repairs it" in r.root_cause.describe()


def test_a_chain_that_stays_wrong_has_no_repair():
    r = check(RIGHT, wrong("3x", lambda x: 3 * x), wrong("x + 2x", lambda x: x + 2 * x))
    assert r.root_cause.repairs == ()
    assert "repair" not in roles(r)


def test_a_chain_right_for_the_opposite_sign_says_the_cost_lost_its_minus():
    r = check(wrong("-2x", lambda x: -2 * x), wrong("-x - x", lambda x: -x - x))
    assert r.root_cause.first_line and r.root_cause.opposite_start
    assert r.root_cause.propagated == (2,)
    assert ("the chain is right for the cost with the opposite sign; "
            "the cost line likely lost its minus") in r.root_cause.describe()


def test_a_chain_wrong_by_another_factor_is_not_called_an_opposite_start():
    r = check(wrong("3x", lambda x: 3 * x), wrong("x + 2x", lambda x: x + 2 * x))
    assert r.root_cause.first_line and not r.root_cause.opposite_start
    assert "opposite sign" not in r.root_cause.describe()


def test_a_sign_flipped_first_line_that_is_later_repaired_is_not_an_opposite_start():
    r = check(wrong("-2x", lambda x: -2 * x), RIGHT)
    assert not r.root_cause.opposite_start
    assert r.root_cause.repairs == (2,)


def test_propagated_cannot_be_declared():
    with pytest.raises(dc.ClaimError, match="computed"):
        dc.Line("3x", lambda x: 3 * x, erratum="wrong", erratum_class="propagated")


def test_a_notation_slip_must_say_how_it_is_read():
    with pytest.raises(dc.ClaimError, match="reading"):
        dc.Line("3x", lambda x: 3 * x, erratum="wrong", erratum_class="notation")
    dc.Line("3x", lambda x: 3 * x, erratum="wrong", erratum_class="notation", reading="2x")


def test_an_erratum_class_needs_an_erratum():
    with pytest.raises(dc.ClaimError, match="erratum"):
        dc.Line("2x", lambda x: 2 * x, erratum_class="error")


PROOF = """
import derivcheck as dc
S = dc.Space(x=dc.real("D"))
T = dc.grad_of(lambda x: (x ** 2).sum(), wrt="x")
chain = dc.Derivation(target=T, space=S, source="synthetic", lines=[
    dc.Line("2x", lambda x: 2 * x),
    dc.Line("3x", lambda x: 3 * x, erratum="not 2x", erratum_class="error",
            fix=dc.Line("2x", lambda x: 2 * x)),
    dc.Line("x + 2x", lambda x: x + 2 * x, erratum="inherits line 2"),
])
typo = dc.gradient(lambda x: (x ** 2).sum(), lambda x: 3 * x, space=S, wrt="x",
                   source="synthetic", erratum="3 for 2", erratum_class="notation",
                   reading="2x", fix=dc.Line("2x", lambda x: 2 * x))
right = dc.gradient(lambda x: (x ** 2).sum(), lambda x: 2 * x, space=S, wrt="x",
                    source="synthetic")
"""


def test_the_json_carries_erratum_class_on_every_claim_and_line(tmp_path):
    proof = tmp_path / "classes.py"
    proof.write_text(PROOF)
    res = CliRunner().invoke(main, ["check", str(proof), "--format", "json", "--profile",
                                    "quick", "-j", "1"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    entries = {c["id"].split("::")[-1]: c for c in out["claims"]}
    assert all("erratum_class" in c for c in out["claims"])
    assert entries["chain"]["erratum_class"] == "error"
    assert [entries[f"chain[{k}]"]["erratum_class"] for k in (1, 2, 3)] == \
        [None, "error", "propagated"]
    assert entries["chain"]["root_cause"]["step"] == [1, 2]
    assert entries["typo"]["erratum_class"] == "notation"
    assert entries["typo"]["reading"] == "2x"
    assert entries["right"]["erratum_class"] is None


@pytest.mark.parametrize("fmt", ["table", "markdown", "html"])
def test_every_report_groups_errata_by_class_distinct_errors_first(tmp_path, fmt):
    proof = tmp_path / "classes.py"
    proof.write_text(PROOF)
    res = CliRunner().invoke(main, ["check", str(proof), "--format", fmt, "--profile", "quick",
                                    "-j", "1"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    out = res.output
    where = [out.find(h) for h in ("Errors: distinct mathematical mistakes",
                                   "Notation slips", "Propagated: lines that only inherit")]
    assert -1 not in where and where == sorted(where), where
    assert "root cause: the step from line 1 to line 2" in out


@pytest.mark.parametrize("fmt", ["table", "markdown", "html"])
def test_a_report_without_errata_has_no_class_groups(tmp_path, fmt):
    proof = tmp_path / "right.py"
    proof.write_text(PROOF.split("chain = ")[0] + PROOF[PROOF.index("right = "):])
    res = CliRunner().invoke(main, ["check", str(proof), "--format", fmt, "--profile", "quick",
                                    "-j", "1"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    for heading in ("Errors: distinct", "Notation slips", "Propagated:"):
        assert heading not in res.output

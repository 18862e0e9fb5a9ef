"""The mutation audit kills wrong variants of verified lines, and says which it cannot."""

import json
import os
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from click.testing import CliRunner
from proof_texts import INTERRUPTED

import derivcheck as dc
from derivcheck._audit import audit_claim, mutants_of
from derivcheck._profiles import get_profile
from derivcheck.cli import main

QUICK = get_profile("quick")

SPACE = dc.Space(W=dc.real("D K"), X=dc.real("N D"), Y=dc.one_hot("N K"), lam=dc.positive())


def risk_l2(W, X, Y, lam):
    return (-jnp.mean(jnp.sum(Y * jax.nn.log_softmax(X @ W, axis=-1), axis=-1))
            + lam / 2 * jnp.sum(W ** 2))


def grad_l2(W, X, Y, lam):
    return X.T @ (jax.nn.softmax(X @ W, axis=-1) - Y) / X.shape[0] + lam * W


def by_operator(mutants):
    out = {}
    for m in mutants:
        out.setdefault(m.operator, []).append(m)
    return out


# -- building mutants -------------------------------------------------------------------

def test_a_softmax_gradient_gets_every_kind_of_mutant():
    ms = mutants_of(dc.Line("g", grad_l2), SPACE, where="g", label="line 1")
    ops = by_operator(ms)
    assert set(ops) == {"sign", "scale 2", "scale 1/2", "scale N", "scale 1/N", "transpose",
                        "drop term", "class shift", "λ×2", "λ/2"}
    assert [m.detail for m in ops["class shift"]] == [
        "Y rolled by one class", "value rolled along axis 1 (K)"]
    assert ops["scale N"][0].detail == "N = dim N, axis 0 of X"
    assert not [m for m in ms if m.outcome == "invalid"]


def test_mutants_really_compute_the_mistake():
    x = {k: jnp.asarray(v[0]) for k, v in SPACE.draw(SPACE.bucket(3), seed=1, size=1).items()}
    g = np.asarray(grad_l2(**x))
    first = grad_l2(x["W"], x["X"], x["Y"], 0.0)
    n = x["X"].shape[0]
    expected = {
        ("sign", ""): -g,
        ("scale N", "N = dim N, axis 0 of X"): n * g,
        ("transpose", ""): g.T,
        ("drop term", "right operand of the outermost add/sub"): first,  # λW dropped
        ("drop term", "left operand of the outermost add/sub"): x["lam"] * x["W"],
        ("λ/2", "lam halved"): first + x["lam"] / 2 * x["W"],
        ("class shift", "value rolled along axis 1 (K)"): np.roll(g, 1, axis=1),
        ("class shift", "Y rolled by one class"):
            grad_l2(x["W"], x["X"], jnp.roll(x["Y"], 1, axis=-1), x["lam"]),
    }
    ms = {(m.operator, m.detail): m for m in
          mutants_of(dc.Line("g", grad_l2), SPACE, where="g", label="line 1")}
    for key, want in expected.items():
        np.testing.assert_allclose(np.asarray(ms[key].fn(**x)), want, rtol=1e-12, atol=1e-12,
                                   err_msg=str(key))


def test_a_line_without_an_additive_term_gets_no_drop_term_mutant():
    space = dc.Space(x=dc.real("D"))
    ops = by_operator(mutants_of(dc.Line("3x^2", lambda x: 3 * x ** 2), space, where="l",
                                 label="line 1"))
    assert "drop term" not in ops
    assert "transpose" not in ops and "scale N" not in ops  # 1-D, no count dimension


def test_binary_labels_and_same_shaped_label_inputs_are_swapped():
    space = dc.Space(p=dc.simplex("K"), y=dc.one_hot("K"), b=dc.binary("K"))
    ms = mutants_of(dc.Line("p - y", lambda p, y, b: p - y + 0 * b), space, where="l",
                    label="line 1")
    assert [m.detail for m in by_operator(ms)["swap"]] == [
        "p ↔ y", "p ↔ b", "y ↔ b", "b → 1 - b"]


# -- checking mutants -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def softmax_audit():
    claim = dc.gradient(risk_l2, grad_l2, space=SPACE, wrt="W", id="grad_l2")
    return audit_claim(claim, profile=QUICK)


def test_every_mutant_of_a_correct_softmax_gradient_is_killed(softmax_audit):
    a = softmax_audit
    assert a.status == "verified"
    assert a.lines == ["line 1"]
    assert [m.name for m in a.mutants if m.outcome != "killed"] == []
    assert a.kill_rate == 1.0
    assert a.compilations <= 2 * QUICK.buckets  # the original claim + ONE bundle of mutants


def test_mutant_verdicts_come_from_the_engine(softmax_audit):
    assert {m.status for m in softmax_audit.mutants} <= {"refuted", "unstable"}
    assert any(m.status == "refuted" for m in softmax_audit.mutants)


DIAG_LINE = dc.Line(r"\hat y (1 - \hat y)", lambda z: jax.nn.softmax(z) * (1 - jax.nn.softmax(z)))


def diag_claim(**dims):
    space = dc.Space(z=dc.real("K"), y=dc.one_hot("K"), dims=dims or None)  # K counts classes
    return dc.equal(lambda z: jnp.diag(jax.jacobian(jax.nn.softmax)(z)), DIAG_LINE.fn,
                    space=space, id="diag")


def roll(audit):
    (m,) = [m for m in audit.mutants if m.operator == "class shift"]
    return m


def test_a_mutant_equal_to_the_line_on_the_whole_space_is_listed_as_equivalent():
    # With K = 2, yhat_2 = 1 - yhat_1, so yhat (1 - yhat) is the same rolled by one class.
    a = audit_claim(diag_claim(K=2), profile=QUICK)
    assert roll(a).outcome == "equivalent"
    assert roll(a).message.startswith("equals the original line on ")
    assert a.count("survived") == 0 and a.count("equivalent") == 1


def _flat(z):
    """Constant except at K = 3 (its third class): shifting classes changes it only
    there. Quick visits K = 2 and the maximum 5 only; default visits K = 3 too."""
    k = z.shape[0]
    return jnp.where((jnp.arange(k) < 2) | (k != 3), 1.0, z)


def flat_claim():
    space = dc.Space(z=dc.real("K"), y=dc.one_hot("K"), dims={"K": (2, 5)})  # K counts classes
    return dc.equal(_flat, _flat, space=space, id="flat")


def test_a_mutant_the_search_misses_is_listed_as_a_survivor_not_as_equivalent():
    claim = flat_claim()
    # quick draws K = 2 and 5 only; the equivalence check (default budget) reaches K = 3.
    assert {claim.space.bucket_in(b, QUICK.buckets)["K"] for b in range(QUICK.buckets)} == {2, 5}
    default = get_profile("default")
    assert 3 in {claim.space.bucket_in(b, default.buckets)["K"] for b in range(default.buckets)}
    a = audit_claim(claim, profile=QUICK)
    assert roll(a).outcome == "survived"
    assert roll(a).message == "differs from the original line (refuted as an equality)"
    assert a.kill_rate < 1.0


def test_that_mutant_is_killed_by_a_search_that_reaches_more_classes():
    a = audit_claim(flat_claim(), profile=get_profile("default"))
    assert roll(a).outcome == "killed"
    assert a.count("survived") == 0


def test_the_same_mutant_is_killed_by_a_search_that_reaches_three_classes():
    a = audit_claim(diag_claim(), profile=get_profile("default"))
    assert roll(a).outcome == "killed"
    assert a.count("survived") == 0


def test_lines_that_do_not_verify_are_not_audited():
    space = dc.Space(x=dc.real("D"))
    claim = dc.Derivation(target=dc.grad_of(lambda x: jnp.sum(x ** 3), wrt="x"),
                          lines=[dc.Line("3x^2", lambda x: 3 * x ** 2),
                                 dc.Line("2x^2", lambda x: 2 * x ** 2, erratum="factor")],
                          space=space, id="d")
    a = audit_claim(claim, profile=QUICK)
    assert a.lines == ["line 1"]
    assert {m.line for m in a.mutants} == {"line 1"}


def test_a_property_claim_is_listed_as_not_audited():
    claim = dc.holds(lambda p: p.sum() > 0, space=dc.Space(p=dc.simplex("K")), id="pos")
    a = audit_claim(claim, profile=QUICK)
    assert a.mutants == []
    assert a.skipped == "a property claim has no value to mutate"


# -- the command ------------------------------------------------------------------------------

PROOF = """
    import jax
    import jax.numpy as jnp
    import derivcheck as dc

    S = dc.Space(theta=dc.real("D"), X=dc.real("N D"), y=dc.binary("N"))

    def loss(theta, X, y):
        z = X @ theta
        return jnp.mean(jax.nn.softplus(z) - y * z)

    logistic = dc.gradient(loss, lambda theta, X, y: X.T @ (jax.nn.sigmoid(X @ theta) - y)
                           / X.shape[0], space=S, wrt="theta")
"""

WEAK = """
    import jax.numpy as jnp
    import derivcheck as dc

    def _flat(z):  # constant except at K = 3 (quick visits K = 2 and 5 only)
        k = z.shape[0]
        return jnp.where((jnp.arange(k) < 2) | (k != 3), 1.0, z)

    flat = dc.equal(_flat, _flat,
                    space=dc.Space(z=dc.real("K"), y=dc.one_hot("K"), dims={"K": (2, 5)}))
"""


def run(folder, *args):
    before = os.getcwd()
    try:
        os.chdir(folder)
        if "--profile" not in args:  # these small proofs are audited at the quick budget
            args = ("--profile", "quick", *args)
        return CliRunner().invoke(main, ["audit", *map(str, args)], catch_exceptions=False)
    finally:
        os.chdir(before)


def test_audit_exits_0_and_reports_the_kill_rate_when_every_mutant_dies(tmp_path):
    (tmp_path / "proof.py").write_text(textwrap.dedent(PROOF), encoding="utf-8")
    r = run(tmp_path, "proof.py")
    assert r.exit_code == 0, r.output
    head, tail = r.stdout.splitlines()[0], r.stdout.splitlines()[-1]
    assert head.startswith("✓ proof.py::logistic: ") and " killed (100%), 0 equivalent" in head
    assert "mutants killed (100.0%); 0 survived" in tail
    assert "profile quick, seed 0" in tail


def test_audit_exits_1_and_names_the_survivor(tmp_path):
    (tmp_path / "weak.py").write_text(textwrap.dedent(WEAK), encoding="utf-8")
    r = run(tmp_path, "weak.py")
    assert r.exit_code == 1, r.output
    assert "    SURVIVED   line 1: class shift (value rolled along axis 0 (K))" in r.stdout
    assert r.stdout.startswith("✗ weak.py::flat: ")


def test_audit_json_lists_every_mutant_with_its_outcome(tmp_path):
    (tmp_path / "proof.py").write_text(textwrap.dedent(PROOF), encoding="utf-8")
    r = run(tmp_path, "proof.py", "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    (claim,) = doc["claims"]
    ops = {m["operator"] for m in claim["mutants"]}
    assert {"sign", "scale N", "drop term", "swap"} <= ops
    assert {m["outcome"] for m in claim["mutants"]} == {"killed"}
    assert doc["summary"]["kill_rate"] == 1.0
    assert doc["summary"]["mutants"] == len(claim["mutants"])


def test_audit_of_a_missing_path_exits_2(tmp_path):
    r = run(tmp_path, "nowhere")
    assert r.exit_code == 2
    assert "derivcheck: error: nowhere: no such file or folder" in r.output


def test_audit_with_a_load_error_exits_2_and_audits_the_rest(tmp_path):
    (tmp_path / "proof.py").write_text(textwrap.dedent(PROOF), encoding="utf-8")
    (tmp_path / "bad.py").write_text("import derivcheck as dc\nx = (\n", encoding="utf-8")
    r = run(tmp_path, ".", "-q")
    assert r.exit_code == 2, r.output
    assert "bad.py: line 2: SyntaxError" in r.output
    assert "mutants killed (100.0%)" in r.output




def test_an_interrupted_audit_prints_the_partial_summary_and_exits_1(tmp_path):
    (tmp_path / "intr.py").write_text(textwrap.dedent(INTERRUPTED), encoding="utf-8")
    out = tmp_path / "audit.json"
    r = run(tmp_path, "intr.py", "--format", "json", "-o", out)
    assert r.exit_code == 1, r.output
    assert "INTERRUPTED (2 claims not run)" in r.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["interrupted"] is True
    assert [c["claim"] for c in doc["claims"]] == ["intr.py::first"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audit.json", "intr.py"]


def test_an_audit_stops_before_the_next_claim_after_a_ctrl_c_python_dropped():
    from test_bad_input import three_claims_with_a_lost_ctrl_c

    from derivcheck._audit import audit_catalog

    claims, on_start = three_claims_with_a_lost_ctrl_c()
    report = audit_catalog(claims, profile=get_profile("quick"), on_start=on_start)
    assert report.interrupted and len(report.claims) == 1 and len(report.not_run) == 2


def test_an_audit_without_the_note_of_the_signal_runs_to_the_end(monkeypatch):  # the twin
    from test_bad_input import three_claims_with_a_lost_ctrl_c

    from derivcheck import _interrupt
    from derivcheck._audit import audit_catalog

    monkeypatch.setattr(_interrupt.CtrlC, "check", lambda self: None)
    claims, on_start = three_claims_with_a_lost_ctrl_c()
    report = audit_catalog(claims, profile=get_profile("quick"), on_start=on_start)
    assert not report.interrupted and len(report.claims) == 3


def test_an_uninterrupted_audit_of_the_same_claims_exits_0(tmp_path):
    body = INTERRUPTED.replace("raise KeyboardInterrupt", "return 2 * x")
    (tmp_path / "intr.py").write_text(textwrap.dedent(body), encoding="utf-8")
    r = run(tmp_path, "intr.py", "-q")
    assert r.exit_code == 0, r.output
    assert "INTERRUPTED" not in r.output

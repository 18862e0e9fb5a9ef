"""Bad proof files and bad arguments give one clear line, never a raw traceback.

Every case runs the real command (click's CliRunner) on proof files written to
a temporary folder, and checks that one output line names the file, the claim
(where there is one), what went wrong and what to do.
"""

import json
import os
import textwrap

import pytest
from click.testing import CliRunner
from proof_texts import INTERRUPTED

from derivcheck.cli import main


def run(*args, cwd=None):
    """Invoke the CLI; from ``cwd`` so that files show under their short names."""
    before = os.getcwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    finally:
        os.chdir(before)


def write(folder, name, body):
    path = folder / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def lines_with(output, *fragments):
    return [ln for ln in output.splitlines() if all(f in ln for f in fragments)]


GOOD = """
    import derivcheck as dc
    good = dc.gradient(lambda x: (x ** 2).sum(), lambda x: 2 * x,
                       space=dc.Space(x=dc.real("D")), wrt="x")
"""


# -- files that do not load: exit 2, one line, the other files still run --------------

LOAD_ERRORS = {
    "syntax_error": ("import derivcheck as dc\nx = (1,\n",
                     ["line 2", "SyntaxError", "fix the file"]),
    "import_error": ("import derivcheck as dc\nimport no_such_module_for_derivcheck\n",
                     ["line 2", "ModuleNotFoundError", "no_such_module_for_derivcheck",
                      "install the missing module"]),
    "class_dim_of_one": (
        "import derivcheck as dc\n"
        "S = dc.Space(z=dc.real('K'), y=dc.one_hot('K'), dims={'K': 1})\n",
        ["line 2", "SpaceError", "'K' counts classes and must be at least 2", "fix the file"]),
    "empty_dim_range": (
        "import derivcheck as dc\nS = dc.Space(z=dc.real('K'), dims={'K': (3, 2)})\n",
        ["line 2", "SpaceError", "empty or invalid range (3, 2)", "fix the file"]),
}


@pytest.mark.parametrize("case", list(LOAD_ERRORS))
def test_a_file_that_fails_to_load_is_one_line_and_exit_2(tmp_path, case):
    body, fragments = LOAD_ERRORS[case]
    bad = write(tmp_path, f"{case}.py", body)
    write(tmp_path, "fine.py", GOOD)
    r = run("check", "--profile", "quick", ".", cwd=tmp_path)
    assert r.exit_code == 2, r.output
    assert lines_with(r.output, "load error", bad.name, *fragments), r.output
    assert "Traceback" not in r.output
    assert lines_with(r.output, "✓ verified", "fine.py::good"), "the good file must still run"


@pytest.mark.parametrize("case", list(LOAD_ERRORS))
def test_traceback_flag_shows_the_full_trace_of_a_load_error(tmp_path, case):
    body, _ = LOAD_ERRORS[case]
    write(tmp_path, f"{case}.py", body)
    r = run("list", "--traceback", tmp_path)
    assert r.exit_code == 2
    assert "Traceback (most recent call last)" in r.output


def test_a_file_that_loads_lists_without_error_or_trace(tmp_path):
    write(tmp_path, "fine.py", GOOD)
    r = run("list", "--traceback", tmp_path)
    assert r.exit_code == 0, r.output
    assert "Traceback" not in r.output
    assert "fine.py::good" in r.output


# -- claims whose functions misbehave: an error verdict each, the run goes on -------------

FUNCS = """
    import jax.numpy as jnp
    import derivcheck as dc
    S = dc.Space(x=dc.real("D"))
    def f(x):
        return (x ** 2).sum()
    def boom(x):
        raise ValueError("boom")
    raises = dc.gradient(f, boom, space=S, wrt="x")
    wrong_shape = dc.gradient(f, lambda x: jnp.zeros(x.shape[0] + 1), space=S, wrt="x")
    float32 = dc.gradient(f, lambda x: (2 * x).astype(jnp.float32), space=S, wrt="x")
    python_scalar = dc.gradient(f, lambda x: 2.0, space=S, wrt="x")
    nan = dc.gradient(f, lambda x: 2 * x * jnp.nan, space=S, wrt="x")
    unknown_input = dc.gradient(f, lambda x, lam: 2 * x, space=S, wrt="x")
    good = dc.gradient(f, lambda x: 2 * x, space=S, wrt="x")
"""

BAD_CLAIMS = {
    "raises": ["raised ValueError: boom"],
    # reported in quick's last bucket, every dimension at its maximum (D = 6)
    "wrong_shape": ["returns shape (7,), but the truth has shape (6,)",
                    "check the layout of the claimed expression"],
    "float32": ["returns float32, not float64", "compute with float64 arrays"],
    "python_scalar": ["returns a Python float, not an array of shape (6,)",
                      "return a jnp array"],
    "nan": ["returns nan or inf at a calm input where the truth is finite",
            "look for a division by zero or log(0)"],
    "unknown_input": ["asks for input 'lam', which the space does not have",
                      "add it to the Space or rename the argument"],
}


@pytest.fixture(scope="module")
def funcs_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("funcs")
    write(folder, "funcs.py", FUNCS)
    return run("check", "--profile", "quick", "funcs.py", cwd=folder)


@pytest.mark.parametrize("claim", list(BAD_CLAIMS))
def test_a_misbehaving_claim_function_is_one_line_naming_file_claim_and_fix(funcs_run, claim):
    assert funcs_run.exit_code == 1, funcs_run.output
    found = lines_with(funcs_run.output, f"funcs.py::{claim}: error", *BAD_CLAIMS[claim])
    assert len(found) == 1, funcs_run.output
    assert "Traceback" not in funcs_run.output


def test_the_run_goes_on_after_misbehaving_claims(funcs_run):
    assert lines_with(funcs_run.output, "✓ verified", "funcs.py::good"), funcs_run.output
    assert "7 claims (7 statements): 1 verified" in funcs_run.output


def test_a_raising_claim_says_what_to_do_and_traceback_shows_where(tmp_path):
    path = write(tmp_path, "funcs.py", FUNCS)
    r = run("check", "--profile", "quick", "-k", "raises", "--traceback", path)
    assert lines_with(r.output, "funcs.py::raises", "boom", "--traceback")
    assert "Traceback (most recent call last)" in r.output
    assert 'raise ValueError("boom")' in r.output


# -- usage errors -----------------------------------------------------------------------

def test_a_path_that_does_not_exist_is_a_usage_error(tmp_path):
    r = run("check", tmp_path / "nope.py")
    assert r.exit_code == 2
    assert r.output.strip().splitlines() == [
        f"derivcheck: error: {tmp_path / 'nope.py'}: no such file or folder; pass a proof "
        "file or a folder of them (default: ./proofs)"]


def test_an_empty_folder_is_a_usage_error(tmp_path):
    r = run("check", tmp_path)
    assert r.exit_code == 2
    assert r.output.strip().splitlines() == [
        f"derivcheck: error: {tmp_path}: no proof files here (looked for *.py not starting "
        "with _); add one or pass another folder"]


def test_a_folder_with_a_proof_file_is_not_a_usage_error(tmp_path):
    write(tmp_path, "fine.py", GOOD)
    r = run("check", "--profile", "quick", tmp_path)
    assert r.exit_code == 0, r.output
    assert "derivcheck: error" not in r.output


# -- interrupting a run -----------------------------------------------------------------



def test_an_interrupt_stops_the_run_with_a_partial_summary_and_exit_1(tmp_path):
    path = write(tmp_path, "intr.py", INTERRUPTED)
    r = run("check", "--profile", "quick", path)
    assert r.exit_code == 1
    assert "INTERRUPTED after 1 claims (2 not run)" in r.output
    assert "1 claims (1 statements): 1 verified" in r.output
    assert "Traceback" not in r.output


def test_an_interrupted_run_never_leaves_a_half_written_report(tmp_path):
    path = write(tmp_path, "intr.py", INTERRUPTED)
    out = tmp_path / "report.json"
    r = run("check", "--profile", "quick", "--format", "json", "-o", out, path)
    assert r.exit_code == 1
    doc = json.loads(out.read_text(encoding="utf-8"))  # complete, parseable
    assert doc["interrupted"] is True
    assert doc["not_run"] == [n for n in doc["not_run"] if "::" in n]
    assert [c["id"].split("::")[1] for c in doc["claims"]] == ["first"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["intr.py", "report.json"]


def three_claims_with_a_lost_ctrl_c():
    """Three claims and an ``on_start`` that sends SIGINT at the first and swallows the
    KeyboardInterrupt, as Python does when the signal lands in a gc callback."""
    import signal

    import jax.numpy as jnp

    import derivcheck as dc

    space = dc.Space(x=dc.real("D"))
    claims = [dc.gradient(lambda x: jnp.sum(x ** 2), lambda x: 2 * x, space=space, wrt="x")
              for _ in range(3)]
    started = []

    def on_start(claim):
        if not started:
            try:
                os.kill(os.getpid(), signal.SIGINT)
                for _ in range(1000):  # the handler runs between two bytecodes
                    pass
            except KeyboardInterrupt:
                pass
        started.append(claim)
    return claims, on_start


def test_a_ctrl_c_whose_keyboard_interrupt_was_lost_stops_the_run_before_the_next_claim():
    import signal

    import derivcheck as dc
    from derivcheck._runner import run_catalog

    claims, on_start = three_claims_with_a_lost_ctrl_c()
    report = run_catalog(claims, profile=dc.PROFILES["quick"], seed=0, on_start=on_start)
    assert report.interrupted and len(report.results) == 1 and len(report.skipped) == 2
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back


def test_without_the_note_of_the_signal_a_lost_ctrl_c_runs_to_the_end(monkeypatch):  # twin
    import derivcheck as dc
    from derivcheck import _interrupt
    from derivcheck._runner import run_catalog

    monkeypatch.setattr(_interrupt.CtrlC, "check", lambda self: None)
    claims, on_start = three_claims_with_a_lost_ctrl_c()
    report = run_catalog(claims, profile=dc.PROFILES["quick"], seed=0, on_start=on_start)
    assert not report.interrupted and len(report.results) == 3


def test_a_sigint_handler_of_the_users_own_is_left_in_place():
    import signal

    import derivcheck as dc
    from derivcheck._runner import run_catalog

    seen = []
    before = signal.signal(signal.SIGINT, lambda *a: seen.append(1))
    try:
        claims, on_start = three_claims_with_a_lost_ctrl_c()
        report = run_catalog(claims, profile=dc.PROFILES["quick"], seed=0, on_start=on_start)
        assert seen == [1] and not report.interrupted  # the user's handler took the signal
        assert signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, before)


def test_an_uninterrupted_run_writes_the_whole_report(tmp_path):
    path = write(tmp_path, "intr.py", INTERRUPTED.replace("raise KeyboardInterrupt",
                                                          "return 2 * x"))
    out = tmp_path / "report.json"
    r = run("check", "--profile", "quick", "--format", "json", "-o", out, path)
    assert r.exit_code == 0, r.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["interrupted"] is False
    assert len(doc["claims"]) == 3


# -- one broken claim never stops the others ----------------------------------------------

THREE = """
    import jax.numpy as jnp
    import derivcheck as dc
    S = dc.Space(x=dc.real("D"))
    fine_before = dc.gradient(lambda x: jnp.sum(x ** 2), lambda x: 2 * x, space=S, wrt="x")
    broken = dc.gradient(lambda x: jnp.sum(x ** 2), lambda x: 2 * x, space=S, wrt="{wrt}")
    fine_after = dc.gradient(lambda x: jnp.sum(x ** 3), lambda x: 3 * x ** 2, space=S, wrt="x")
"""


def test_a_claim_that_raises_as_it_is_built_is_named_and_the_claims_after_it_still_run(
        tmp_path):
    write(tmp_path, "three.py", THREE.replace("{wrt}", "z"))
    r = run("check", "--profile", "quick", "three.py", cwd=tmp_path)
    assert r.exit_code == 2, r.output
    assert lines_with(r.output, "load error", "three.py: line 6: ClaimError", "`broken` not loaded")
    assert lines_with(r.output, "✓ verified", "three.py::fine_before"), r.output
    assert lines_with(r.output, "✓ verified", "three.py::fine_after"), r.output


def test_the_same_file_with_the_claim_fixed_loads_all_three(tmp_path):  # the twin
    write(tmp_path, "three.py", THREE.replace("{wrt}", "x"))
    r = run("check", "--profile", "quick", "three.py", cwd=tmp_path)
    assert r.exit_code == 0, r.output
    assert "load error" not in r.output
    assert len(lines_with(r.output, "✓ verified", "three.py::")) == 3, r.output


def _chain_with_line_2(fn):
    import jax.numpy as jnp

    import derivcheck as dc

    return dc.Derivation(target=dc.grad_of(lambda x: jnp.sum(x ** 2), wrt="x"),
                         lines=[dc.Line("2x", lambda x: 2 * x), dc.Line("line 2", fn),
                                dc.Line("x + x", lambda x: x + x)],
                         space=dc.Space(x=dc.real("D"), lam=dc.positive(), b=dc.real()))


def test_a_derivation_line_asking_for_a_missing_input_is_that_lines_error_alone():
    import derivcheck as dc

    r = dc.check(_chain_with_line_2(lambda x, q: x * q), profile="quick")
    assert [ln.status for ln in r.lines] == ["verified", "error", "verified"], str(r)
    assert "asks for input 'q'" in r.lines[1].message


def test_the_same_derivation_with_line_2_bound_checks_every_line():  # the twin
    import derivcheck as dc

    r = dc.check(_chain_with_line_2(lambda x, lam: 2 * x), profile="quick")
    assert [ln.status for ln in r.lines] == ["verified"] * 3, str(r)

"""The command line: help with examples, --version, exit codes, -q, list and show."""

import os
import textwrap

import pytest
from click.testing import CliRunner

import derivcheck as dc
from derivcheck.cli import main

PROOF = """
    import jax
    import jax.numpy as jnp
    import derivcheck as dc

    S = dc.Space(x=dc.real("D"))

    def f(x):
        return jnp.sum(x ** 3)

    cube = dc.gradient(f, lambda x: 3 * x ** 2, space=S, wrt="x", latex="3x^2",
                       source="notes § cubes")

    chain = dc.Derivation(
        target=dc.grad_of(f, wrt="x"),
        lines=[dc.Line("3 x x", lambda x: 3 * x * x),
               dc.Line("x^2", lambda x: x ** 2, erratum="drops the factor 3",
                       fix=dc.Line("3 x^2", lambda x: 3 * x ** 2))],
        space=S, latex=r"\\nabla f", source="notes § chain")
"""

WRONG = """
    import jax.numpy as jnp
    import derivcheck as dc

    wrong = dc.gradient(lambda x: jnp.sum(x ** 3), lambda x: 2 * x ** 2,
                        space=dc.Space(x=dc.real("D")), wrt="x")
"""


def run(folder, *args):
    before = os.getcwd()
    try:
        os.chdir(folder)
        return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    finally:
        os.chdir(before)


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "proof.py").write_text(textwrap.dedent(PROOF), encoding="utf-8")
    (tmp_path / "wrong.py").write_text(textwrap.dedent(WRONG), encoding="utf-8")
    return tmp_path


# -- help and version -----------------------------------------------------------------------

COMMANDS = sorted(main.commands)


def test_the_group_has_the_commands_we_document():
    assert {"check", "list", "show", "audit"} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_every_command_has_help_with_examples(tmp_path, command, flag):
    r = run(tmp_path, command, flag)
    assert r.exit_code == 0, r.output
    assert r.output.startswith(f"Usage: main {command}") or \
        r.output.startswith(f"Usage: derivcheck {command}"), r.output
    assert "Example" in r.output
    assert "  derivcheck " + command in r.output  # an example of this very command


def test_the_group_help_lists_every_command_and_has_examples(tmp_path):
    r = run(tmp_path, "--help")
    assert r.exit_code == 0
    assert "Examples:" in r.output
    for command in COMMANDS:
        assert f"  {command} " in r.output


def test_an_unknown_command_is_a_usage_error(tmp_path):
    r = run(tmp_path, "frobnicate")
    assert r.exit_code == 2
    assert "No such command 'frobnicate'" in r.output


def test_version_prints_the_package_version(tmp_path):
    r = run(tmp_path, "--version")
    assert r.exit_code == 0
    assert r.output.strip() == f"derivcheck, version {dc.__version__}"


# -- exit codes -----------------------------------------------------------------------------

def test_check_exits_0_when_every_claim_is_as_expected(folder):
    r = run(folder, "check", "--profile", "quick", "proof.py")
    assert r.exit_code == 0, r.output
    assert "2 claims (3 statements)" in r.output
    assert "2 as expected, 0 not" in r.output


def test_check_exits_1_when_a_claim_is_not_as_expected(folder):
    r = run(folder, "check", "--profile", "quick", "wrong.py")
    assert r.exit_code == 1, r.output
    assert "wrong.py::wrong: refuted" in r.output


def test_check_exits_2_on_a_load_error(folder):
    (folder / "broken.py").write_text("import derivcheck as dc\n1 / 0\n", encoding="utf-8")
    r = run(folder, "check", "--profile", "quick", "proof.py", "broken.py")
    assert r.exit_code == 2, r.output
    assert "broken.py: line 2: ZeroDivisionError while importing" in r.output


@pytest.mark.parametrize("args", [["--profile", "nope"], ["--format", "pdf"],
                                  ["--max-examples", "0"], ["--no-such-option"]])
def test_check_exits_2_on_a_bad_option(folder, args):
    r = run(folder, "check", "proof.py", *args)
    assert r.exit_code == 2
    assert "Error:" in r.output
    assert "Traceback" not in r.output


def test_check_k_selects_claims_and_exits_2_when_none_match(folder):
    r = run(folder, "check", "--profile", "quick", "-k", "cube", "proof.py")
    assert r.exit_code == 0, r.output
    assert "1 claims (1 statements)" in r.output
    r = run(folder, "check", "--profile", "quick", "-k", "zzz", "proof.py")
    assert r.exit_code == 2
    assert r.output.strip().splitlines() == [
        "derivcheck: error: no claim matched -k 'zzz': none of the 2 claim ids contains it; "
        "run 'derivcheck list' to see the ids"]


# -- quiet ----------------------------------------------------------------------------------

def test_quiet_prints_only_the_summary(folder):
    r = run(folder, "check", "--profile", "quick", "-q", "proof.py")
    assert r.exit_code == 0, r.output
    assert "status" not in r.output and "proof.py::cube" not in r.output
    assert r.stdout.strip().splitlines()[-1].startswith("2 claims (3 statements)")


def test_not_quiet_prints_the_table(folder):
    r = run(folder, "check", "--profile", "quick", "proof.py")
    assert r.output.splitlines()[0].split() == ["status", "claim", "kind", "inputs", "max",
                                                "err", "truth", "note"]
    assert "proof.py::cube" in r.output


def test_quiet_still_explains_what_is_not_as_expected(folder):
    r = run(folder, "check", "--profile", "quick", "-q", "wrong.py")
    assert r.exit_code == 1
    assert "wrong.py::wrong: refuted" in r.output


# -- list and show --------------------------------------------------------------------------

def test_list_shows_each_claim_with_its_kind_and_source(folder):
    r = run(folder, "list", "proof.py")
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines() == [
        "proof.py::cube  gradient  — notes § cubes",
        "proof.py::chain  derivation  (2 lines)  [erratum]  — notes § chain",
    ]
    assert r.stderr.strip() == "2 claims"


def test_list_of_a_missing_path_is_a_usage_error(folder):
    r = run(folder, "list", "missing.py")
    assert r.exit_code == 2
    assert "missing.py: no such file or folder" in r.output


def test_show_prints_every_line_with_its_status_and_exits_0(folder):
    r = run(folder, "show", "chain", "--path", "proof.py", "--profile", "quick")
    assert r.exit_code == 0, r.output
    out = r.output.splitlines()
    assert out[0] == "proof.py::chain  (derivation)  — notes § chain"
    assert "  ✓ line 1: verified  3 x x" in out
    assert "  ✗ line 2: refuted  x^2" in out
    assert "        erratum (error): drops the factor 3" in out
    assert "        fix (verified): 3 x^2" in out
    assert "root cause: the step from line 1 to line 2" in out


def test_show_exits_1_for_a_claim_that_is_not_as_expected(folder):
    r = run(folder, "show", "wrong", "--path", "wrong.py", "--profile", "quick")
    assert r.exit_code == 1, r.output
    assert "  ✗ line 1: refuted [expected verified]" in r.output


def test_show_of_an_unknown_claim_is_a_usage_error(folder):
    r = run(folder, "show", "nothing", "--path", "proof.py")
    assert r.exit_code == 2
    assert "no claim 'nothing'; run 'derivcheck list' to see the ids" in r.output


def test_the_parent_and_a_worker_process_agree_with_one_process_in_catalog_order(folder):
    from derivcheck._loader import load_paths
    from derivcheck._profiles import get_profile
    from derivcheck._runner import run_catalog, run_parallel

    claims, _ = load_paths([str(folder)])
    quick = get_profile("quick")
    one = run_catalog(claims, profile=quick, seed=0)
    two = run_parallel(claims, profile=quick, seed=0, jobs=2, cache_dir=None)
    assert [r.id for r in two.results] == [c.qualname for c in claims]
    assert [(r.status, r.examples) for r in two.results] == \
        [(r.status, r.examples) for r in one.results]
    assert [r.status for r in two.results].count("refuted") == 2  # wrong.py and the erratum
    assert two.exit_code == 1 and not two.skipped


class _DeadPool:
    """A worker pool whose worker has died: every claim handed to it fails as a real
    dead pool's does."""

    def __init__(self):
        self.handed = []

    def submit(self, fn, file, position, qualname):
        import concurrent.futures as cf
        from concurrent.futures.process import BrokenProcessPool

        self.handed.append(qualname)
        fut = cf.Future()
        fut.set_exception(BrokenProcessPool("a child process terminated abruptly"))
        return fut

    def shutdown(self, wait=True, cancel_futures=False):
        pass


def test_a_dead_worker_costs_the_claim_it_was_handed_and_the_parent_checks_the_rest(folder):
    from derivcheck._loader import load_paths
    from derivcheck._profiles import get_profile
    from derivcheck._runner import run_parallel

    claims, _ = load_paths([str(folder)])
    pool = _DeadPool()
    two = run_parallel(claims, profile=get_profile("quick"), seed=0, jobs=2, pool=pool)
    crashed = [r.id for r in two.results if r.status == "error"]
    assert crashed == pool.handed and len(crashed) == 1
    assert not two.skipped and len(two.results) == len(claims) == 3


def test_the_claims_the_parent_took_over_get_their_verdicts(folder):
    # twin: the parent's verdicts are those of a run in one process, not errors
    from derivcheck._loader import load_paths
    from derivcheck._profiles import get_profile
    from derivcheck._runner import run_catalog, run_parallel

    claims, _ = load_paths([str(folder)])
    quick = get_profile("quick")
    two = run_parallel(claims, profile=quick, seed=0, jobs=2, pool=_DeadPool())
    one = {r.id: r.status for r in run_catalog(claims, profile=quick, seed=0).results}
    statuses = {r.id: r.status for r in two.results if r.status != "error"}
    assert statuses == {i: s for i, s in one.items() if i in statuses}
    assert sorted(set(one.values())) == ["refuted", "verified"]


MANY_CLAIMS = """
    import time

    import jax.numpy as jnp
    import derivcheck as dc

    S = dc.Space(x=dc.real("D"))


    def slowly(k):  # each trace of a claim takes 0.1 s: the run lasts long enough to stop
        def claimed(x):
            time.sleep(0.1)
            return 2 * k * x
        return claimed


    for k in range(1, 61):  # enough claims for a worker process
        globals()[f"power_{k}"] = dc.gradient(
            lambda x, k=k: jnp.sum(x ** 2) * k, slowly(k), space=S, wrt="x")
"""


def test_the_console_script_ends_promptly_on_ctrl_c_with_its_partial_summary(tmp_path):
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    (tmp_path / "many.py").write_text(textwrap.dedent(MANY_CLAIMS), encoding="utf-8")
    exe = Path(sys.executable).parent / "derivcheck"
    proc = subprocess.Popen([str(exe), "check", ".", "-q", "-j", "2", "--cache-dir", ""],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    time.sleep(3)  # the worker has started and both processes are checking claims
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C at a terminal signals the whole group
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"still running 60 s after Ctrl-C; it had printed: {out[-300:]!r}")
    # a Ctrl-C whose KeyboardInterrupt Python dropped (in a gc callback) stops the run too
    assert "INTERRUPTED after" in out, (out, err)
    assert "interrupted; the summary above covers the claims that finished" in err


def _console(folder, *args):
    import subprocess
    import sys
    from pathlib import Path

    exe = Path(sys.executable).parent / "derivcheck"
    return subprocess.run([str(exe), *args], cwd=folder, capture_output=True, text=True,
                          timeout=300)


def test_the_console_script_prints_everything_before_its_fast_exit_with_code_1(folder):
    # two files: workers start early, then stand down for a three-claim run
    done = _console(folder, "check", ".", "-q", "--cache-dir", "")
    assert done.returncode == 1, done.stderr
    assert "3 claims" in done.stdout and "1 not" in done.stdout
    assert "leaked" not in done.stderr and "Traceback" not in done.stderr


def test_the_console_script_exits_0_when_every_claim_is_as_expected(folder):
    (folder / "wrong.py").unlink()
    done = _console(folder, "check", ".", "-q", "--cache-dir", "")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 claims" in done.stdout

"""The pytest plugin collects each claim of a proof file as a test (runs real pytest sessions)."""

import textwrap
import xml.etree.ElementTree as ET

import pytest

import derivcheck._engine  # noqa: F401  (loaded before pytester snapshots sys.modules)
from derivcheck import PROFILES

pytest_plugins = ["pytester"]

HEADER = """\
import jax.numpy as jnp
import derivcheck as dc

space = dc.Space(x=dc.real("D"))
"""

GOOD = """
square = dc.gradient(lambda x: (x ** 2).sum(), lambda x: 2 * x, space=space, wrt="x",
                     latex=r"\\nabla_x \\|x\\|^2 = 2x")
"""

WRONG = """
cube = dc.gradient(lambda x: (x ** 3).sum(), lambda x: 2 * x ** 2, space=space, wrt="x",
                   latex=r"\\nabla_x \\sum x^3 = 2x^2")
"""

ERRATUM = """
cube_typo = dc.gradient(lambda x: (x ** 3).sum(), lambda x: 2 * x ** 2, space=space, wrt="x",
                        erratum="the factor is 3, not 2",
                        fix=dc.Line("3x^2", lambda x: 3 * x ** 2))
"""

ERRATUM_THAT_IS_RIGHT = """
square_not_wrong = dc.gradient(lambda x: (x ** 2).sum(), lambda x: 2 * x, space=space, wrt="x",
                               erratum="claimed to be a typo, but it is right")
"""

QUICK = ("--derivcheck-profile", "quick", "-p", "no:cacheprovider")


def write_proof(pytester, name, *bodies, folder="proofs"):
    path = pytester.path / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + "".join(textwrap.dedent(b) for b in bodies))
    return path


def test_each_claim_is_an_item_with_a_readable_id(pytester):
    write_proof(pytester, "note.py", GOOD, WRONG)
    result = pytester.runpytest("--collect-only", "-q", "proofs")
    result.stdout.fnmatch_lines(["proofs/note.py::square", "proofs/note.py::cube"])
    assert result.ret == 0


def test_a_verified_claim_passes(pytester):
    write_proof(pytester, "note.py", GOOD)
    result = pytester.runpytest("proofs", *QUICK)
    result.assert_outcomes(passed=1)


def test_a_wrong_claim_fails_with_its_verdict_and_a_reproducer(pytester):
    write_proof(pytester, "note.py", GOOD, WRONG)
    result = pytester.runpytest("proofs", *QUICK)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "*proofs/note.py::cube: refuted*[[]expected verified[]]*",
        "*line 1: refuted, expected verified*",
        "inputs = dict(x=np.array(*",
        "FAILED proofs/note.py::cube*",
    ])


def test_an_erratum_refuted_as_expected_is_an_xfail(pytester):
    write_proof(pytester, "note.py", ERRATUM)
    result = pytester.runpytest("proofs", "-rx", *QUICK)
    result.assert_outcomes(xfailed=1)
    result.stdout.fnmatch_lines(["XFAIL proofs/note.py::cube_typo - erratum: the factor is 3*"])


def test_an_expected_erratums_report_is_its_one_line_verdict_without_a_traceback(pytester):
    write_proof(pytester, "note.py", ERRATUM)
    reports = pytester.inline_run("proofs", *QUICK).getreports("pytest_runtest_logreport")
    (xfailed,) = [r for r in reports if r.when == "call" and hasattr(r, "wasxfail")]
    text = str(xfailed.longrepr)
    assert text.startswith("erratum refuted as expected: proofs/note.py::cube_typo: refuted")
    assert "\n" not in text and "Traceback" not in text and "raise " not in text


def test_an_erratum_that_verifies_fails_strictly(pytester):
    write_proof(pytester, "note.py", ERRATUM_THAT_IS_RIGHT)
    result = pytester.runpytest("proofs", *QUICK)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*square_not_wrong: verified*[[]expected refuted[]]*",
                                 "*marked as an erratum but verified*"])


def test_a_broken_proof_file_is_a_one_line_collection_error(pytester):
    write_proof(pytester, "good.py", GOOD)
    write_proof(pytester, "broken.py", "\nvalue = 1 / 0\n")
    result = pytester.runpytest("proofs", *QUICK)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines([
        "derivcheck: load error: proofs/broken.py: line 6: ZeroDivisionError while importing: "
        "division by zero; *",
        "ERROR proofs/broken.py",
    ])
    assert "Traceback" not in result.stdout.str()


def test_a_proof_file_that_loads_is_not_a_collection_error(pytester):
    write_proof(pytester, "good.py", GOOD)
    result = pytester.runpytest("proofs", *QUICK)
    assert result.ret == pytest.ExitCode.OK
    assert "load error" not in result.stdout.str()


def test_normal_test_modules_and_other_folders_are_not_hijacked(pytester):
    # a test module with a module-level claim: only its test function is collected
    write_proof(pytester, "test_uses_claims.py", GOOD, "\ndef test_plain():\n    pass\n",
                folder="tests")
    # a helper outside proofs/ that defines claims: not collected when its folder is passed
    write_proof(pytester, "helpers.py", GOOD, folder="notes")
    result = pytester.runpytest("--collect-only", "-q", "tests", "notes")
    result.stdout.fnmatch_lines(["tests/test_uses_claims.py::test_plain", "1 test collected*"])
    result.stdout.no_fnmatch_line("*::square*")


def test_a_proof_file_passed_explicitly_is_collected_outside_proofs(pytester):
    write_proof(pytester, "helpers.py", GOOD, folder="notes")
    result = pytester.runpytest("--collect-only", "-q", "notes/helpers.py")
    result.stdout.fnmatch_lines(["notes/helpers.py::square"])


def test_a_test_module_inside_proofs_is_left_to_pytest(pytester):
    write_proof(pytester, "test_inside.py", GOOD, "\ndef test_plain():\n    pass\n")
    result = pytester.runpytest("--collect-only", "-q", "proofs")
    result.stdout.fnmatch_lines(["proofs/test_inside.py::test_plain"])
    result.stdout.no_fnmatch_line("*::square*")


@pytest.mark.parametrize("profile", ["quick", "default"])
def test_profile_and_seed_options_reach_the_engine(pytester, profile):
    write_proof(pytester, "note.py", GOOD)
    xml = pytester.path / "out.xml"
    result = pytester.runpytest("proofs", "--derivcheck-profile", profile,
                                "--derivcheck-seed", "7", f"--junitxml={xml}",
                                "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    props = {p.get("name"): p.get("value") for p in ET.parse(xml).iter("property")}
    assert props["derivcheck_profile"] == profile
    assert props["derivcheck_seed"] == "7"
    # small inputs get bigger batches, so a profile checks at least its budget
    assert PROFILES[profile].inputs <= int(props["derivcheck_examples"])
    assert int(props["derivcheck_examples"]) < PROFILES["thorough"].inputs


def test_the_seed_appears_in_the_reproducer_of_a_failure(pytester):
    write_proof(pytester, "note.py", WRONG)
    result = pytester.runpytest("proofs", "--derivcheck-seed", "11", *QUICK)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["# seed 11; re-run: derivcheck check --seed 11"])


def test_an_unknown_profile_is_a_usage_error_listing_the_choices(pytester):
    write_proof(pytester, "note.py", GOOD)
    result = pytester.runpytest("proofs", "--derivcheck-profile", "fast")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*invalid choice: 'fast'*quick*default*thorough*"])


def test_claims_run_under_xdist_with_the_same_outcomes(pytester):
    write_proof(pytester, "note.py", GOOD, WRONG, ERRATUM)
    result = pytester.runpytest_subprocess("proofs", "-n", "2", *QUICK)
    result.assert_outcomes(passed=1, failed=1, xfailed=1)
    result.stdout.fnmatch_lines(["*2 workers*", "FAILED proofs/note.py::cube*"])


# -- which files are proof files: decided from their text, never by importing them -------------

NOT_A_PROOF = """\
raise RuntimeError("a module of the user's own that must never be imported by derivcheck")
"""


def test_a_users_own_proofs_package_without_derivcheck_is_never_imported(pytester):
    pkg = pytester.path / "mylib" / "proofs"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "induction.py").write_text(NOT_A_PROOF)
    (pytester.path / "mylib" / "test_mylib.py").write_text("def test_mine():\n    pass\n")
    result = pytester.runpytest("mylib", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert "RuntimeError" not in result.stdout.str()


def test_a_file_in_proofs_that_imports_derivcheck_is_collected(pytester):
    # twin: the same place, a file that declares claims
    write_proof(pytester, "induction.py", GOOD, folder="mylib/proofs")
    (pytester.path / "mylib" / "proofs" / "other.py").write_text(NOT_A_PROOF)
    result = pytester.runpytest("--collect-only", "-q", "mylib")
    result.stdout.fnmatch_lines(["mylib/proofs/induction.py::square"])
    assert result.ret == pytest.ExitCode.OK
    assert "RuntimeError" not in result.stdout.str()


SPELLINGS = {
    "from derivcheck import": "from derivcheck import Space, gradient, real\n"
                              "square = gradient(lambda x: (x ** 2).sum(), lambda x: 2 * x,\n"
                              "                  space=Space(x=real('D')), wrt='x')\n",
    "import in a list": "import numpy as np, derivcheck as dc\n"
                        "square = dc.gradient(lambda x: (x ** 2).sum(), lambda x: 2 * x,\n"
                        "                     space=dc.Space(x=dc.real('D')), wrt='x')\n",
    "from a submodule": "from derivcheck.strategies import inputs  # noqa: F401\n"
                        "from derivcheck import Space, gradient, real\n"
                        "square = gradient(lambda x: (x ** 2).sum(), lambda x: 2 * x,\n"
                        "                  space=Space(x=real('D')), wrt='x')\n",
}


@pytest.mark.parametrize("spelling", list(SPELLINGS))
def test_every_spelling_of_importing_derivcheck_counts(pytester, spelling):
    path = pytester.path / "proofs" / "note.py"
    path.parent.mkdir()
    path.write_text(SPELLINGS[spelling])
    result = pytester.runpytest("--collect-only", "-q", "proofs")
    result.stdout.fnmatch_lines(["proofs/note.py::square"])


def test_a_mention_of_derivcheck_in_a_comment_is_not_an_import(pytester):
    # twin: the text test looks for an import statement, not the word
    path = pytester.path / "proofs" / "note.py"
    path.parent.mkdir()
    path.write_text("# like derivcheck, but by hand\n" + NOT_A_PROOF)
    result = pytester.runpytest("--collect-only", "-q", "proofs")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    assert "RuntimeError" not in result.stdout.str()


def test_files_matching_the_derivcheck_files_option_are_collected(pytester):
    write_proof(pytester, "chapter1.py", GOOD, folder="notes/derivations")
    pytester.makeini("[pytest]\nderivcheck_files =\n    notes/*.py\n")
    result = pytester.runpytest("--collect-only", "-q", "notes")
    result.stdout.fnmatch_lines(["notes/derivations/chapter1.py::square"])


def test_without_the_option_files_outside_proofs_are_not_collected(pytester):
    # twin: the same tree, no derivcheck_files
    write_proof(pytester, "chapter1.py", GOOD, folder="notes/derivations")
    result = pytester.runpytest("--collect-only", "-q", "notes")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    result.stdout.no_fnmatch_line("*::square*")


def test_a_duplicate_claim_id_is_a_collection_error_naming_both_lines(pytester):
    path = write_proof(pytester, "note.py", GOOD, GOOD.replace("square =", "again =").replace(
        'wrt="x",', 'wrt="x", id="square",'))
    lines = [i for i, ln in enumerate(path.read_text().splitlines(), 1)
             if ln.startswith(("square =", "again ="))]
    result = pytester.runpytest("proofs", *QUICK)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines([
        f"derivcheck: load error: proofs/note.py: claim id 'square' is used by 2 claims, at "
        f"proofs/note.py:{lines[0]} and proofs/note.py:{lines[1]}; give each claim its own id*"])


def test_a_bad_profile_in_the_environment_fails_each_item_with_one_line(pytester, monkeypatch):
    write_proof(pytester, "note.py", GOOD)
    monkeypatch.setenv("DERIVCHECK_PROFILE", "fast")
    result = pytester.runpytest("proofs", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*derivcheck: unknown profile 'fast'; choose one of quick, "
                                 "default, thorough (from $DERIVCHECK_PROFILE)*"])
    assert "Traceback" not in result.stdout.str()
    assert "_profiles.py" not in result.stdout.str()


def test_a_good_profile_in_the_environment_is_used(pytester, monkeypatch):
    # twin: the same item with a valid profile passes
    write_proof(pytester, "note.py", GOOD)
    monkeypatch.setenv("DERIVCHECK_PROFILE", "quick")
    result = pytester.runpytest("proofs", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


# -- exit: an xdist worker that ran proof items skips freeing what is alive ---------------------

REPORT_FREEZE_AT_EXIT = """\
import atexit, gc, pathlib

where = ["main"]  # an xdist worker's id (this suite may itself run under xdist)


def pytest_configure(config):
    if hasattr(config, "workerinput"):
        where[0] = config.workerinput["workerid"]


atexit.register(lambda: pathlib.Path(f"frozen-{where[0]}.txt").write_text(
    str(gc.get_freeze_count())))
"""


def _frozen(pytester, where):
    return int((pytester.path / f"frozen-{where}.txt").read_text())


def test_an_xdist_worker_that_ran_a_proof_item_leaves_what_is_alive_to_the_os(pytester):
    write_proof(pytester, "note.py", GOOD)
    pytester.makeconftest(REPORT_FREEZE_AT_EXIT)
    result = pytester.runpytest_subprocess("proofs", "-n", "1", *QUICK)
    result.assert_outcomes(passed=1)
    assert _frozen(pytester, "gw0") > 1000
    assert _frozen(pytester, "main") == 0  # the controller ran no proof item


def test_outside_xdist_a_session_exits_as_it_always_did(pytester):
    # twin: the same proof item in one process frees everything at exit
    write_proof(pytester, "note.py", GOOD)
    pytester.makeconftest(REPORT_FREEZE_AT_EXIT)
    result = pytester.runpytest_subprocess("proofs", *QUICK)
    result.assert_outcomes(passed=1)
    assert _frozen(pytester, "main") == 0


def test_the_derivcheck_fast_exit_option_turns_it_off(pytester):
    # twin: an xdist worker, told not to
    write_proof(pytester, "note.py", GOOD)
    pytester.makeconftest(REPORT_FREEZE_AT_EXIT)
    pytester.makeini("[pytest]\nderivcheck_fast_exit = false\n")
    result = pytester.runpytest_subprocess("proofs", "-n", "1", *QUICK)
    result.assert_outcomes(passed=1)
    assert _frozen(pytester, "gw0") == 0


def test_an_xdist_worker_without_proof_items_exits_as_it_always_did(pytester):
    # twin: the plugin is loaded in the worker, but no claim ran there
    pytester.makeconftest(REPORT_FREEZE_AT_EXIT)
    pytester.makepyfile(test_plain="def test_plain():\n    pass\n")
    result = pytester.runpytest_subprocess("-n", "1", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert _frozen(pytester, "gw0") == 0

"""The command line's edges: report paths, runs where nothing loads, helper modules, the cache.

Also: the command modules import each other in one direction only.
"""

import os
import sys
import textwrap

import pytest
from click.testing import CliRunner
from test_cli import PROOF, WRONG, run

import derivcheck as dc
from derivcheck.cli import main


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "proof.py").write_text(textwrap.dedent(PROOF), encoding="utf-8")
    return tmp_path


# -- where the report goes ------------------------------------------------------------------

def test_output_into_a_missing_folder_exits_2_with_one_line_before_any_check(folder):
    r = run(folder, "check", "--profile", "quick", "proof.py", "-o", "missing/report.json",
            "--format", "json")
    assert r.exit_code == 2
    assert r.output.splitlines() == [
        "derivcheck: error: -o missing/report.json: the folder missing does not exist; "
        "create it first or write the report elsewhere"]


def test_output_into_an_existing_folder_writes_the_report(folder):
    # twin: the same run with the folder created
    (folder / "missing").mkdir()
    r = run(folder, "check", "--profile", "quick", "proof.py", "-o", "missing/report.json",
            "--format", "json")
    assert r.exit_code == 0, r.output
    assert '"claims"' in (folder / "missing" / "report.json").read_text(encoding="utf-8")
    assert r.stderr.splitlines()[-1] == "report written to missing/report.json"


def test_audit_output_into_a_missing_folder_exits_2_with_one_line(folder):
    r = run(folder, "audit", "--profile", "quick", "proof.py", "-o", "nowhere/audit.json")
    assert r.exit_code == 2
    assert r.output.splitlines() == [
        "derivcheck: error: -o nowhere/audit.json: the folder nowhere does not exist; "
        "create it first or write the report elsewhere"]


# -- a run where nothing loaded -------------------------------------------------------------

BROKEN = "import derivcheck as dc\nvalue = 1 / 0\n"


SUMMARY = {"check": ("0 claims (0 statements)", "1 file(s) failed to load"),
           "audit": ("0/0 mutants killed", "")}


@pytest.mark.parametrize("command", list(SUMMARY))
def test_a_run_where_nothing_loads_prints_the_error_once_and_the_summary(tmp_path, command):
    (tmp_path / "broken.py").write_text(BROKEN, encoding="utf-8")
    r = run(tmp_path, command, "broken.py")
    assert r.exit_code == 2
    out = r.output.splitlines()
    assert len(out) <= 3, r.output
    assert len([ln for ln in out if "ZeroDivisionError" in ln]) == 1, r.output
    assert out[0].startswith("derivcheck: load error: broken.py: line 2: ZeroDivisionError")
    start, end = SUMMARY[command]
    assert out[-1].startswith(start) and out[-1].endswith(end), out[-1]


@pytest.mark.parametrize("command", list(SUMMARY))
def test_a_run_where_something_loads_still_prints_its_report(tmp_path, command):
    # twin: the short form is only for runs with nothing to show
    (tmp_path / "broken.py").write_text(BROKEN, encoding="utf-8")
    (tmp_path / "fine.py").write_text(textwrap.dedent(WRONG), encoding="utf-8")
    r = run(tmp_path, command, "--profile", "quick", ".")
    assert r.exit_code == 2
    assert "fine.py::wrong" in r.stdout
    assert len([ln for ln in r.output.splitlines() if "ZeroDivisionError" in ln]) >= 1


# -- proof files that import a helper beside them -------------------------------------------

HELPER_USER = """
    import jax.numpy as jnp
    import derivcheck as dc
    from _shared_space import S

    cube = dc.gradient(lambda x: jnp.sum(x ** 3), lambda x: 3 * x ** 2, space=S, wrt="x")
"""


def notes_with_helper(tmp_path, *, beside):
    """``notes/cubes.py`` importing ``_shared_space``, put beside it or one folder up."""
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes if beside else tmp_path).joinpath("_shared_space.py").write_text(
        'import derivcheck as dc\nS = dc.Space(x=dc.real("D"))\n', encoding="utf-8")
    (notes / "cubes.py").write_text(textwrap.dedent(HELPER_USER), encoding="utf-8")
    return notes


def test_a_proof_file_imports_a_helper_module_from_its_own_folder(tmp_path):
    notes_with_helper(tmp_path, beside=True)
    r = run(tmp_path, "check", "--profile", "quick", "notes/cubes.py")
    assert r.exit_code == 0, r.output
    assert "notes/cubes.py::cube" in r.output


def test_a_helper_module_elsewhere_is_still_a_one_line_load_error(tmp_path):
    # twin: only the proof file's own folder is searched, and only while it loads
    notes = notes_with_helper(tmp_path, beside=False)
    path_before = list(sys.path)
    r = run(notes, "list", "cubes.py")
    assert r.exit_code == 2
    assert r.output.splitlines()[0].startswith(
        "derivcheck: load error: cubes.py: line 4: ModuleNotFoundError while importing: "
        "No module named '_shared_space'; install the missing module or fix the import")
    assert sys.path == path_before


# -- the compilation cache folder -----------------------------------------------------------

CACHE_CASES = {
    # case: (--cache-dir, environment, the folder that gets the cache or None)
    "option beats everything": ("opt", {"DERIVCHECK_CACHE_DIR": "env", "XDG_CACHE_HOME": "xdg"},
                                "opt"),
    "DERIVCHECK_CACHE_DIR beats XDG": (None, {"DERIVCHECK_CACHE_DIR": "env",
                                              "XDG_CACHE_HOME": "xdg"}, "env"),
    "XDG_CACHE_HOME when set": (None, {"XDG_CACHE_HOME": "xdg"}, "xdg/derivcheck/jax"),
    "home when nothing is set": (None, {}, "home/.cache/derivcheck/jax"),
    "a relative XDG_CACHE_HOME is ignored": (None, {"XDG_CACHE_HOME": "relative"},
                                             "home/.cache/derivcheck/jax"),
    "an empty option disables it": ("", {"DERIVCHECK_CACHE_DIR": "env",
                                         "XDG_CACHE_HOME": "xdg"}, None),
}


@pytest.mark.parametrize("case", list(CACHE_CASES))
def test_the_cache_folder_follows_option_then_environment_then_xdg(tmp_path, case):
    option, env, expected = CACHE_CASES[case]
    places = ["opt", "env", "xdg", "relative", "home"]
    environ = {"HOME": str(tmp_path / "home"), "DERIVCHECK_CACHE_DIR": None,
               "XDG_CACHE_HOME": None}
    environ.update({k: (v if v == "relative" else str(tmp_path / v)) for k, v in env.items()})
    # a claim this process has never compiled, so that the run writes to the cache
    body = PROOF.replace("3 * x ** 2", f"3 * x ** 2 + 0 * {len(case)}")
    (tmp_path / "proof.py").write_text(textwrap.dedent(body), encoding="utf-8")
    args = ["check", "--profile", "quick", "-k", "cube", "proof.py"]
    if option is not None:
        args += ["--cache-dir", str(tmp_path / option) if option else ""]
    before = os.getcwd()
    try:
        os.chdir(tmp_path)
        r = CliRunner().invoke(main, args, env=environ, catch_exceptions=False)
    finally:
        os.chdir(before)
    assert r.exit_code == 0, r.output

    def cached(place):
        return any(p.is_file() for p in (tmp_path / place).rglob("*"))

    assert [p for p in places if cached(p)] == ([expected.split("/")[0]] if expected else [])
    if expected:
        assert cached(expected)


# -- the command modules ----------------------------------------------------------------------

def _imports(path):
    """The derivcheck modules a module imports, anywhere in it (relative imports)."""
    import ast

    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                out.add(node.module.split(".")[0])
            else:
                out.update(a.name for a in node.names)
    return out


def _cycle_through(graph, start):
    """A path start → ... → start in ``graph``, or None."""
    stack = [(start, [start])]
    seen = set()
    while stack:
        node, path = stack.pop()
        for nxt in sorted(graph.get(node, ())):
            if nxt == start:
                return [*path, start]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, [*path, nxt]))
    return None


def _package_graph():
    from pathlib import Path

    package = Path(dc.__file__).parent
    return {p.stem: _imports(p) for p in package.glob("*.py")}


@pytest.mark.parametrize("module", ["cli", "_cli_audit", "_cli_common", "_loader", "_runner",
                                    "pytest_plugin"])
def test_the_command_line_modules_are_in_no_import_cycle(module):
    assert _cycle_through(_package_graph(), module) is None


def test_an_import_cycle_between_command_modules_would_be_found():
    # twin: the cycle this package had, cli ↔ _cli_audit
    graph = _package_graph()
    graph["_cli_audit"] = graph["_cli_audit"] | {"cli"}
    assert _cycle_through(graph, "_cli_audit") == ["_cli_audit", "cli", "_cli_audit"]


def test_proof_files_in_two_folders_each_get_their_own_helper_of_the_same_name(tmp_path):
    for name, power in (("a", 3), ("b", 4)):
        notes = tmp_path / name
        notes.mkdir()
        (notes / "_shared_space.py").write_text(
            f'import derivcheck as dc\nS = dc.Space(x=dc.real("D"))\nPOWER = {power}\n',
            encoding="utf-8")
        (notes / "powers.py").write_text(textwrap.dedent("""
            import jax.numpy as jnp
            import derivcheck as dc
            from _shared_space import POWER, S

            power = dc.gradient(lambda x: jnp.sum(x ** POWER), lambda x: POWER * x ** (POWER - 1),
                                space=S, wrt="x", latex=f"power {POWER}")
        """), encoding="utf-8")
    r = run(tmp_path, "check", "--profile", "quick", "--format", "json", "-j", "1", "a", "b")
    assert r.exit_code == 0, r.output
    assert '"latex": "power 3"' in r.stdout and '"latex": "power 4"' in r.stdout


# -- bad settings in the environment ----------------------------------------------------------

@pytest.mark.parametrize("command", [["check"], ["audit"], ["show", "cube", "--path"]])
def test_a_bad_profile_in_the_environment_is_one_line_and_exit_2(folder, command):
    r = CliRunner().invoke(main, [*command, str(folder / "proof.py")],
                           env={"DERIVCHECK_PROFILE": "fast"}, catch_exceptions=False)
    assert r.exit_code == 2
    assert r.output.splitlines() == [
        "derivcheck: error: unknown profile 'fast'; choose one of quick, default, thorough "
        "(from --profile or $DERIVCHECK_PROFILE)"]


def test_a_good_profile_in_the_environment_is_used(folder):
    # twin: the environment is read, and a valid value runs
    r = CliRunner().invoke(main, ["check", str(folder / "proof.py"), "-k", "cube", "--format",
                                  "json"], env={"DERIVCHECK_PROFILE": "quick"},
                           catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert '"profile": "quick"' in r.stdout


# -- show: an id that several files use -------------------------------------------------------

def test_show_of_an_id_used_in_two_files_asks_for_the_full_id(folder):
    (folder / "other.py").write_text(textwrap.dedent(PROOF), encoding="utf-8")
    r = run(folder, "show", "cube", "--path", ".")
    assert r.exit_code == 2
    assert r.output.splitlines() == [
        "derivcheck: error: 2 claims have the id 'cube' (other.py::cube, proof.py::cube); "
        "name one by its full id, file::id"]


def test_show_of_a_full_id_picks_that_claim(folder):
    # twin: the full id is unambiguous
    (folder / "other.py").write_text(textwrap.dedent(PROOF), encoding="utf-8")
    r = run(folder, "show", "other.py::cube", "--path", ".", "--profile", "quick")
    assert r.exit_code == 0, r.output
    assert r.output.splitlines()[0].startswith("other.py::cube  (gradient)")

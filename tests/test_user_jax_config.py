"""derivcheck leaves the user's JAX configuration as it found it.

Seen from the user's side (see ``user_jax.py``): a user who runs float32 and
keeps a compilation cache of their own runs derivcheck in their process (the
CLI through click's CliRunner, or a proof item in their pytest session) and
then their own code. Their arrays must still be float32, their JAX options
unchanged, and their compiles must go to their own cache, not derivcheck's.
Each "leaks" twin shows that the check notices a process that was changed.
"""

import os
import shutil
import textwrap
from pathlib import Path

import jax
import pytest
import user_jax
from click.testing import CliRunner
from jax.experimental.compilation_cache import compilation_cache

from derivcheck.cli import main

pytest_plugins = ["pytester"]

PROOF = """
    import jax.numpy as jnp
    import derivcheck as dc

    S = dc.Space(x=dc.real("D"))
    square = dc.gradient(lambda x: jnp.sum(x ** 2) + 0.25, lambda x: 2 * x, space=S, wrt="x")
"""


@pytest.fixture
def user(tmp_path):
    """The user's process: float32 and a cache of their own; put back as it was afterwards."""
    original = user_jax.snapshot()
    before = user_jax.configure_user(tmp_path / "user-cache")
    yield before
    for option, value in original.items():
        jax.config.update(option, value)
    compilation_cache.reset_cache()


def check_in_process(folder, *args):
    (folder / "proof.py").write_text(textwrap.dedent(PROOF), encoding="utf-8")
    before = os.getcwd()
    try:
        os.chdir(folder)
        return CliRunner().invoke(main, ["check", "proof.py", "--profile", "quick",
                                         *map(str, args)], catch_exceptions=False)
    finally:
        os.chdir(before)


def test_the_cli_run_in_process_leaves_the_users_jax_as_found(user, tmp_path):
    ours = tmp_path / "derivcheck-cache"
    r = check_in_process(tmp_path, "--cache-dir", ours)
    assert r.exit_code == 0, r.output
    assert user_jax.files_in(ours) > 0, "derivcheck's own compiles go to its --cache-dir"
    user_jax.assert_as_found(user, user_cache=tmp_path / "user-cache", derivcheck_cache=ours)


def _x64_left_on(ours):
    jax.config.update("jax_enable_x64", True)


def _cache_dir_left_set(ours):
    jax.config.update("jax_compilation_cache_dir", str(ours))


def _cache_left_in_use(ours):
    # the options are put back, but JAX's cache, once started at ours, stays there
    before = user_jax.snapshot()
    jax.config.update("jax_compilation_cache_dir", str(ours))
    compilation_cache.reset_cache()
    user_jax.compile_something()
    for option, value in before.items():
        jax.config.update(option, value)


LEAKS = {
    "x64 left on": (_x64_left_on, "jax_enable_x64 leaked"),
    "cache folder left set": (_cache_dir_left_set, "JAX options changed"),
    "cache left in use": (_cache_left_in_use, "written into derivcheck's compilation cache"),
}


@pytest.mark.parametrize("leak", list(LEAKS))
def test_a_process_left_changed_is_detected(user, tmp_path, leak):
    # twin: the check above fails on a process that derivcheck would have changed
    change, message = LEAKS[leak]
    ours = tmp_path / "derivcheck-cache"
    change(ours)
    with pytest.raises(AssertionError, match=message):
        user_jax.assert_as_found(user, user_cache=tmp_path / "user-cache", derivcheck_cache=ours)


# -- a pytest session with a proof item, then the user's own test -------------------------------

USER_CONFTEST = """
    from pathlib import Path

    import user_jax

    def pytest_configure(config):
        config.user_jax_before = user_jax.configure_user(Path(__file__).parent / "user-cache")
"""

USER_TEST = """
    import os
    from pathlib import Path

    import user_jax

    def test_my_float32_code_after_the_proofs(request):
        user_jax.assert_as_found(
            request.config.user_jax_before,
            user_cache=Path(__file__).parent.parent / "user-cache",
            derivcheck_cache=Path(os.environ["DERIVCHECK_CACHE_DIR"]))
"""

LEAKING_TEST = """
    import jax

    def test_something_that_turns_x64_on():
        jax.config.update("jax_enable_x64", True)
"""


@pytest.fixture
def session(pytester, monkeypatch):
    """A user's project: their conftest, a proof file, and their own test after it."""
    shutil.copy(Path(__file__).with_name("user_jax.py"), pytester.path / "user_jax.py")
    pytester.makeconftest(textwrap.dedent(USER_CONFTEST))
    (pytester.path / "proofs").mkdir()
    (pytester.path / "proofs" / "note.py").write_text(textwrap.dedent(PROOF))
    (pytester.path / "tests").mkdir()
    (pytester.path / "tests" / "test_mine.py").write_text(textwrap.dedent(USER_TEST))
    ours = pytester.path / "derivcheck-cache"
    monkeypatch.setenv("DERIVCHECK_CACHE_DIR", str(ours))
    return ours


def test_a_proof_item_leaves_the_users_jax_as_found_for_their_next_test(pytester, session):
    result = pytester.runpytest_subprocess("proofs", "tests", "--derivcheck-profile", "quick",
                                           "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    assert user_jax.files_in(session) > 0, "the proof item used $DERIVCHECK_CACHE_DIR"


def test_a_user_test_after_a_leaking_test_fails(pytester, session):
    # twin: the user's test notices a process that something before it changed
    (pytester.path / "tests" / "test_a_leak.py").write_text(textwrap.dedent(LEAKING_TEST))
    result = pytester.runpytest_subprocess("proofs", "tests", "--derivcheck-profile", "quick",
                                           "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*jax_enable_x64 leaked*"])

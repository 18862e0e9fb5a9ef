"""derivcheck leaves the user's JAX configuration as it found it (each probe has a failing twin)."""

import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import pytest

import derivcheck as dc

SPACE = dc.Space(x=dc.real("D"))
GOOD = dc.gradient(lambda x: (x ** 2).sum(), lambda x: 2 * x, space=SPACE, wrt="x")

CALLS = {
    "check_gradient": lambda: dc.check_gradient(lambda x: (x ** 3).sum(), lambda x: 3 * x ** 2,
                                                space=SPACE, wrt="x", profile="quick"),
    "assert_gradient": lambda: dc.assert_gradient(lambda x: (x ** 3).sum(),
                                                  lambda x: 3 * x ** 2, space=SPACE, wrt="x",
                                                  profile="quick"),
    "check_built_claim": lambda: dc.check(GOOD, profile="quick"),
    "assert_claim": lambda: dc.assert_claim(GOOD, profile="quick"),
    "check_holds": lambda: dc.check_holds(lambda x: jnp.all(x * x >= 0), space=SPACE,
                                          profile="quick"),
    "check_equal": lambda: dc.check_equal(lambda x: x + x, lambda x: 2 * x, space=SPACE,
                                          profile="quick"),
}


def _after(call, *, x64: bool) -> tuple[bool, str]:
    """The global x64 flag and the default float dtype after ``call``, starting from ``x64``."""
    before = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", x64)
    try:
        call()
        return jax.config.jax_enable_x64, str(jnp.ones(2).dtype)
    finally:
        jax.config.update("jax_enable_x64", before)


@pytest.mark.parametrize("name", list(CALLS))
def test_a_float32_user_stays_float32_after_the_call(name):
    assert _after(CALLS[name], x64=False) == (False, "float32")


@pytest.mark.parametrize("name", list(CALLS))
def test_a_user_with_x64_on_keeps_it_on_after_the_call(name):
    assert _after(CALLS[name], x64=True) == (True, "float64")


def test_the_probe_sees_a_call_that_leaks_x64():  # the failing twin of the two above
    def leaky():
        jax.config.update("jax_enable_x64", True)

    assert _after(leaky, x64=False) == (True, "float64")


def test_a_failed_assertion_also_restores_the_users_config():
    def wrong():
        with pytest.raises(AssertionError, match="refuted"):
            dc.assert_gradient(lambda x: (x ** 2).sum(), lambda x: -2 * x, space=SPACE,
                               wrt="x", profile="quick")

    assert _after(wrong, x64=False) == (False, "float32")


SCRIPT = textwrap.dedent("""
    import jax.numpy as jnp
    import derivcheck as dc
    space = dc.Space(x=dc.real("D"))
    dc.assert_gradient(lambda x: (x ** 2).sum(), lambda x: 2 * x, space=space, wrt="x",
                       profile="quick")
    print(jnp.ones(3).dtype)
    {extra}
""")


@pytest.mark.parametrize(("extra", "dtype"), [
    ("", "float32"),
    # the failing twin: a process that turns x64 on itself prints float64
    ("import jax; jax.config.update('jax_enable_x64', True); print(jnp.ones(3).dtype)",
     "float64"),
], ids=["fresh_process_stays_float32", "twin_process_that_enables_x64"])
def test_a_fresh_process_keeps_jaxs_float32_default(extra, dtype):
    out = subprocess.run([sys.executable, "-c", SCRIPT.format(extra=extra)],
                         capture_output=True, text=True, check=True).stdout.split()
    assert out[0] == "float32"
    assert out[-1] == dtype

"""A user's JAX configuration, seen from the user's side.

For tests that check derivcheck leaves a process's JAX as it found it. The
"user" runs float32 (x64 off, JAX's default) and has a persistent compilation
cache of their own; after derivcheck has run, their arrays must still be
float32, their options unchanged, and their own compiles must go to their
cache, never into derivcheck's. This file is also copied into pytester
sessions, so it imports nothing from the test suite.
"""

import itertools
from pathlib import Path

import jax
import jax.numpy as jnp
from jax.experimental.compilation_cache import compilation_cache

OPTIONS = (
    "jax_enable_x64",
    "jax_compilation_cache_dir",
    "jax_persistent_cache_min_compile_time_secs",
    "jax_persistent_cache_min_entry_size_bytes",
)

_fresh = itertools.count(1)


def configure_user(cache: Path) -> dict:
    """Set the user's configuration: float32, and every compile cached in ``cache``."""
    jax.config.update("jax_enable_x64", False)
    jax.config.update("jax_compilation_cache_dir", str(cache))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)
    compilation_cache.reset_cache()
    compile_something()  # the user's cache is in use before derivcheck runs
    return snapshot()


def snapshot() -> dict:
    """The options a user may have set."""
    return {option: getattr(jax.config, option) for option in OPTIONS}


def files_in(folder: Path) -> int:
    return sum(1 for p in Path(folder).rglob("*") if p.is_file()) if Path(folder).exists() else 0


def compile_something() -> None:
    """Compile a function this process has never compiled (a new constant each time)."""
    k = float(next(_fresh))
    jax.jit(lambda x: jnp.sin(x) * k + k)(jnp.ones(3)).block_until_ready()


def assert_as_found(before: dict, *, user_cache: Path, derivcheck_cache: Path) -> None:
    """The user's process is as they left it; raises AssertionError naming what leaked."""
    assert jnp.ones(3).dtype == jnp.float32, \
        f"jnp.ones(3) is {jnp.ones(3).dtype}: jax_enable_x64 leaked into the user's process"
    after = snapshot()
    changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
    assert not changed, f"JAX options changed (before, after): {changed}"
    mine, theirs = files_in(user_cache), files_in(derivcheck_cache)
    compile_something()
    assert files_in(derivcheck_cache) == theirs, \
        "the user's own compile was written into derivcheck's compilation cache"
    assert files_in(user_cache) > mine, "the user's own compile missed the user's cache"

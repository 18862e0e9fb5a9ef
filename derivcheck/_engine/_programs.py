"""Compiling a program so that it can be kept in the program store (:mod:`._store`).

An executable JAX loaded from its own persistent cache cannot be serialized
again whole, and one that calls LAPACK needs LAPACK bound before it is loaded:
the helpers here compile afresh where needed and say what a program calls.
"""

from __future__ import annotations

import re
from typing import Any

import jax
import numpy as np

__all__ = ["aval_key", "calls_out", "compile_to_keep"]


_HITS = [0]  # JAX persistent-cache hits in this process (once counting is on)
_COUNTING: list[bool] = []


def jax_cache_hits() -> int:
    if not _COUNTING:
        from jax import monitoring

        monitoring.register_event_listener(
            lambda name, **_: _HITS.__setitem__(0, _HITS[0] + (
                name == "/jax/compilation_cache/cache_hits")))
        _COUNTING.append(True)
    return _HITS[0]


def calls_out(lowered: Any) -> tuple[str, ...] | None:
    """The functions outside XLA the program calls: () for none, ("lapack",) for
    LAPACK's only (``jnp.linalg``), None for any other.

    LAPACK's functions are bound when jaxlib first lowers such a call, so a
    program loaded from the store into a process that lowered none of them
    called a null pointer and crashed; the store binds them before loading a
    program marked ("lapack",). Programs calling anything else are not stored.
    """
    targets = set(_CALL_TARGET.findall(lowered.as_text()))
    if not targets:
        return ()
    return ("lapack",) if all(t.startswith("lapack_") for t in targets) else None


_CALL_TARGET = re.compile(r"custom_call\s*@([\w.$-]+)")


def _compile_bypassing_jax_cache(lowered: Any, options: dict | None) -> Any:
    """Compile ``lowered`` afresh, without JAX's persistent cache, then turn that back on.

    ``options`` are the XLA options ``lowered`` was made with: passing them
    again makes JAX compile anew rather than return the executable it keeps.
    """
    from jax.experimental.compilation_cache import compilation_cache

    before = jax.config.jax_enable_compilation_cache
    try:
        jax.config.update("jax_enable_compilation_cache", False)
        compilation_cache.reset_cache()
        return lowered.compile(options)
    finally:
        jax.config.update("jax_enable_compilation_cache", before)
        compilation_cache.reset_cache()


def compile_to_keep(lowered: Any, options: dict | None,
                    extra: dict | None = None) -> tuple[Any, tuple[str, ...] | None]:
    """``lowered`` compiled, and what it calls outside XLA (:func:`calls_out`; None: it
    must not be stored). ``extra``: XLA options on top of those it was made with.

    An executable JAX served from its own persistent cache cannot be serialized
    again whole, so a program to store is compiled afresh: after such a hit when
    it has ``options`` (passing them again makes JAX compile anew), from the
    start when it has none (``jax.jit``'s defaults, whose lowering keeps the first
    executable it was compiled to).
    """
    needs = calls_out(lowered)
    if needs is None:
        return lowered.compile(extra), None
    if not options and not extra:
        return _compile_bypassing_jax_cache(lowered, None), needs
    hits = jax_cache_hits()
    exe = lowered.compile(extra)
    if jax_cache_hits() != hits:
        # JAX loaded this one from its own cache: run in a new process after a
        # round trip through the store, it failed with "Function ... not found"
        # or crashed calling a null pointer
        exe = _compile_bypassing_jax_cache(lowered, {**(options or {}), **(extra or {})})
    return exe, needs


def aval_key(a) -> tuple:
    """What a compiled program's argument must match: shape, dtype (a Python scalar's
    type), weak type."""
    dtype = getattr(a, "dtype", None)
    return (np.shape(a), type(a).__name__ if dtype is None else np.dtype(dtype).str,
            bool(getattr(a, "weak_type", False)))

"""Compiling a program so that it can be kept in the program store (:mod:`._store`),
and the XLA options derivcheck compiles its checks with.

An executable JAX loaded from its own persistent cache cannot be serialized
again whole, and one that calls LAPACK needs LAPACK bound before it is loaded:
the helpers here compile afresh where needed and say what a program calls.
"""

from __future__ import annotations

import contextlib
import math
import re
import threading
from typing import Any

import jax
import numpy as np

__all__ = ["COMPILER_OPTIONS", "IR_CONTEXT_USES", "SMALL_EXAMPLE_FLOATS", "SMALL_OPTIONS",
           "aval_key", "calls_out", "compile_to_keep", "shared_ir_context", "small"]

#: derivcheck compiles many small programs and runs each briefly. On the CPU,
#: XLA's older (non-MLIR) fusion emitters, a single codegen split and LLVM at
#: optimisation level 0 took 0.26x the compile time of XLA's defaults (the
#: first two alone: 0.61x); the compiled checks ran 0-20% slower per input,
#: well under a catalog run's compile time saved (``bench/compile_options.py``
#: measures both). Without LLVM's reordering, sums round differently: error
#: magnitudes change at the rounding level, verdicts do not
#: (``bench/compare_json.py --rounding``).
COMPILER_OPTIONS = {"xla_cpu_use_fusion_emitters": False,
                    "xla_cpu_parallel_codegen_split_count": 1,
                    "xla_backend_optimization_level": 0}

#: XLA hands elementwise, dot and reduce fusions to YNNPACK, which builds each
#: one's runtime on the program's first call: about 3 ms more than XLA's own
#: loops, per program. A fused check whose example holds at most
#: SMALL_EXAMPLE_FLOATS floats runs as fast without them (at 33 floats a later
#: call costs 0.1 ms more, so they pay back only after some 30 calls; the
#: default profile makes under 10 per bucket), so it compiles with
#: SMALL_OPTIONS too; larger ones keep YNNPACK, which runs them up to 2x
#: faster (``bench/compile_options.py``). Sums round differently, verdicts do not.
SMALL_EXAMPLE_FLOATS = 32
SMALL_OPTIONS = {"xla_cpu_experimental_ynn_fusion_type": ""}


def small(shapes) -> bool:
    """Whether a fused check's examples, of ``shapes`` ((name, shape) pairs), are small."""
    return sum(math.prod(shape) for _, shape in shapes) <= SMALL_EXAMPLE_FLOATS


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
    again whole, so a program to store is compiled afresh, past JAX's cache (with
    its ``options`` passed again, which makes JAX compile anew rather than return
    an executable its lowering keeps). Nor is it written to JAX's cache: the store
    serves it from now on.
    """
    needs = calls_out(lowered)
    if needs is None:
        return lowered.compile(extra), None
    # Not through JAX's own cache: an executable it served, run in a new process
    # after a round trip through the store, failed with "Function ... not found" or
    # crashed calling a null pointer; and the store serves this one from now on.
    both = {**(options or {}), **(extra or {})}
    return _compile_bypassing_jax_cache(lowered, both or None), needs


def aval_key(a) -> tuple:
    """What a compiled program's argument must match: shape, dtype (a Python scalar's
    type), weak type."""
    dtype = getattr(a, "dtype", None)
    return (np.shape(a), type(a).__name__ if dtype is None else np.dtype(dtype).str,
            bool(getattr(a, "weak_type", False)))


#: Lowerings that share one MLIR context (:func:`shared_ir_context`) before a fresh one
#: is made: a context keeps every type and constant it has seen until it is freed.
IR_CONTEXT_USES = 64
_shared = {"context": None, "uses": 0}


@contextlib.contextmanager
def shared_ir_context():
    """Inside the block, JAX lowerings in this thread build their modules in one MLIR
    context, kept across blocks, instead of a fresh one each.

    JAX makes a new context for every lowering and loads all its dialects into
    it: about 3.5 ms of a cold catalog program's 15 ms of lowering on the
    machine of ``bench/``. The modules are the same text either way (each is
    printed and handed to XLA). Other threads, and this thread after the block,
    get JAX's own fresh contexts: the JAX function is put back as it was. A JAX
    without this (private) function is left alone.

    >>> import jax
    >>> with shared_ir_context():
    ...     a = jax.jit(lambda x: x + 1).lower(1.0).as_text()
    >>> a == jax.jit(lambda x: x + 1).lower(1.0).as_text()
    True
    """
    try:
        from jax._src.interpreters import mlir

        fresh = mlir.make_ir_context
    except (ImportError, AttributeError):
        yield
        return
    if getattr(fresh, "derivcheck_shared", False):  # a block inside a block
        yield
        return
    owner = threading.get_ident()

    def shared():
        if threading.get_ident() != owner:
            return fresh()
        if _shared["context"] is None or _shared["uses"] >= IR_CONTEXT_USES:
            _shared["context"], _shared["uses"] = fresh(), 0
        _shared["uses"] += 1
        return _shared["context"]

    shared.derivcheck_shared = True
    mlir.make_ir_context = shared
    try:
        yield
    finally:
        mlir.make_ir_context = fresh

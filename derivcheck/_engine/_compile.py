"""Stage 1, compile: one fused, vmapped check per (claim, shape bucket).

:class:`FusedCheck` is one ``jit(vmap(...))`` function that computes the
truth (from the oracle) and every traceable line for a whole batch of inputs,
however many lines the claim has; their errors are computed from these values
on the host (:mod:`._outcome`). JAX traces it once
per input shape; while tracing, it decides each line's :class:`LineMode`
there and keeps that decision as a :class:`TraceRecord`, keyed by the shapes
(a line that raises is caught, its columns hold NaN, so it cannot stop the
others, and nothing is traced twice).

:class:`Compiler` holds the speed settings: XLA options, and a weak per-claim
cache of fused checks, so checking the same claim again in this process
compiles nothing.
"""

from __future__ import annotations

import contextlib
import math
import weakref
from collections.abc import Callable
from typing import Any

import jax
import numpy as np

from .._claims import Claim
from . import _interp
from ._dtypes import low_dtype
from ._interp import Interpreted, plan
from ._outcome import Outcome, Spec
from ._programs import (
    COMPILER_OPTIONS,
    SMALL_OPTIONS,
    aval_key,
    compile_to_keep,
    shared_ir_context,
    small,
)
from ._records import LineSlot, Shapes, TraceRecord, shapes_of
from ._single import single_fn
from ._store import ProgramStore, Unkeyable, functions_digest, key_base, program_key

__all__ = ["COMPILER_OPTIONS", "Compiler", "FusedCheck", "shapes_of"]


def _full(batch: dict) -> tuple:
    """A batch's shapes and dtypes, batch size included: one program each."""
    return tuple(sorted((k, v.shape, np.dtype(v.dtype).str) for k, v in batch.items()))


class FusedCheck:
    """The jitted, vmapped check of one claim with one oracle.

    Attributes:
      records: what each traced input shape decided.
      traces: how many times JAX traced it (= XLA compilations).
      lines: how many slots it checks.
    """

    def __init__(self, slots: list[LineSlot], truth: Callable[[dict], Any] | None,
                 float_names: list[str], jit: Callable[[Callable], Callable],
                 dtype: str, compiler: Compiler,
                 oracle_name: str = "") -> None:
        self.records: dict[Shapes, TraceRecord] = {}
        #: Each bucket's unit, measured on its probe batch (see ``Checker.unit``).
        self.units: dict[tuple, float] = {}
        self.traces = 0
        self.loaded = 0  # compiled checks taken from the program store
        self.lines = len(slots)
        self.dtype = dtype
        self._fn = jit(jax.vmap(single_fn(self, slots, truth)))
        self._spec = Spec(lines=tuple((sl.index, sl.prev, sl.part) for sl in slots),
                          float_names=tuple(float_names), dtype=dtype, prop=truth is None)
        self._compiler = compiler
        self._compiled: dict[tuple, Any] = {}
        #: Shapes whose results are XLA's from now on (see :meth:`compile_now`).
        self._escalated: set[Shapes] = set()
        # What the program store's key reads (see :mod:`._store`).
        self._key_functions = [truth, *[sl.fn for sl in slots]]
        self._key_extra = (oracle_name, dtype, truth is None, tuple(float_names),
                           tuple((sl.prev, sl.numpy, sl.part) for sl in slots))
        self._key_base: Any = None  # computed at the first store lookup; False: unkeyable
        self._traced_from = self._digest()

    def _digest(self) -> bytes | None:
        try:
            return self._compiler.digest(self._key_functions)
        except Unkeyable:
            return None

    def stale(self) -> bool:
        """Whether what the check was traced from changed since (an array the claim reads,
        changed in place): JAX baked the old values into the compiled check. An unkeyable
        claim cannot tell, and is taken as it was."""
        return self._traced_from is not None and self._digest() != self._traced_from

    def __call__(self, batch: dict) -> tuple[Outcome, TraceRecord]:
        """Dispatch the check on a batch; return its (async) outcome and the trace record."""
        shapes = shapes_of(batch, batched=True)
        full = _full(batch)
        exe = self._compiled.get(full)
        if exe is None:
            exe = self._compiled[full] = self._load_or_compile(
                batch, shapes, full, self._compiler.store,
                interpret=shapes not in self._escalated and self._compiler.interprets(shapes))
        if isinstance(exe, Interpreted) and (exe.spent or shapes in self._escalated):
            exe = self._switch(batch)
        if isinstance(exe, Interpreted):
            try:
                return self._outcome(batch, shapes, exe(batch), interpreted=True)
            except ValueError:  # a step NumPy cannot take on these values: compile it
                exe = self._switch(batch)
        return self._outcome(batch, shapes, exe(batch), interpreted=False)

    def _outcome(self, batch: dict, shapes: Shapes, values: tuple, *,
                 interpreted: bool) -> tuple[Outcome, TraceRecord]:
        record = self.records[shapes]
        return Outcome(self._spec, record, batch, values, interpreted=interpreted), record

    def compile_now(self, batch: dict) -> None:
        """Compile the check for this batch's shapes now, if NumPy was running it: its
        results are XLA's from here on (see :meth:`.Checker.collect`), the batch NumPy
        just ran included."""
        if isinstance(self._compiled.get(_full(batch)), Interpreted):
            self._switch(batch)

    def _switch(self, batch: dict) -> Any:
        """Compile the check NumPy was running for this batch's shapes; the other batch
        sizes of these shapes are compiled at their own next call."""
        shapes, full = shapes_of(batch, batched=True), _full(batch)
        self._escalated.add(shapes)
        self._compiled[full] = self._load_or_compile(batch, shapes, full, self._compiler.store)
        return self._compiled[full]

    def _interpreted(self, batch: dict, shapes: Shapes, full: tuple,
                     store: ProgramStore | None) -> Interpreted | None:
        """The check as a NumPy program (:mod:`._interp`): from the store, or traced (and
        stored); None where its jaxpr has a step the interpreter does not know."""
        nkey = (program_key(self._key_base, (full, "numpy"))
                if store is not None and self._key_base else None)
        hit = store.get_program(nkey) if nkey is not None else None
        if hit is not None:
            interpreted, record = hit
            if interpreted is not None:
                self.records.setdefault(shapes, record)
                self.loaded += 1
            return interpreted
        traced = self._traced(batch, shapes)
        program = plan(traced.jaxpr)
        if program is not None and program.seconds > _interp.MAX_CALL_SECONDS:
            program = None  # too slow a call to win over loading a compiled one
        interpreted = (None if program is None else
                       Interpreted(program, jax.tree_util.tree_structure(traced.out_info)))
        if nkey is not None:
            store.put_program(nkey, interpreted, self.records[shapes])
        return interpreted

    def _traced(self, batch: dict, shapes: Shapes) -> Any:
        """The check traced for this batch; its record notes whether it holds only float64
        values (then no side computes below float64: ``_dtypes``; kept with the program)."""
        traced = self._fn.trace(batch)
        if self.dtype == "float64" and shapes in self.records:
            self.records[shapes].all_float64 = low_dtype(traced.jaxpr) is None
        return traced

    def _load_or_compile(self, batch: dict, shapes: Shapes, full: tuple,
                         store: ProgramStore | None, *, interpret: bool = False) -> Any:
        """The check for this batch's shapes: interpreted by NumPy (``interpret``) where it
        can be, else compiled; from the store, or traced and stored."""
        key = None
        if store is not None and self._key_base is None:
            try:
                self._key_base = key_base(functions=self._key_functions, extra=self._key_extra,
                                          options=self._compiler.usable_options(),
                                          digest=self._compiler.digest(self._key_functions))
            except Unkeyable:
                self._key_base = False
        if store is not None and self._key_base is not False:
            key = program_key(self._key_base, full)
        if interpret:
            interpreted = self._interpreted(batch, shapes, full, store)
            if interpreted is not None:
                return interpreted
        if key is not None:
            hit = store.get(key)
            if hit is not None:
                exe, record = hit
                self.records.setdefault(shapes, record)
                self.loaded += 1
                return exe
        lowered = self._traced(batch, shapes).lower()
        extra = self._compiler.options_for(shapes)
        if key is None or shapes not in self.records:
            return lowered.compile(extra)
        exe, needs = compile_to_keep(lowered, dict(self._compiler.usable_options()), extra)
        if needs is not None:
            store.put(key, exe, self.records[shapes], needs=needs)
        return exe

    def lower(self, batch: dict) -> Any:
        """The lowered (not yet compiled) check for a batch's shapes (for benchmarks)."""
        return self._fn.lower(batch)


#: Programs a :class:`Compiler` keeps in memory for :meth:`Compiler.stored_jit`.
_KEPT = 2048


class Compiler:
    """Builds fused checks with derivcheck's XLA options, and caches them per claim.

    The cache is weak: an entry lives as long as its claim, holds no
    reference to the claim, and is keyed by the oracle's name.
    """

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        self.options = dict(COMPILER_OPTIONS if options is None else options)
        self._usable: tuple[tuple[str, Any], ...] | None = None
        self._small: dict[str, Any] | None = None
        self._fused: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        #: Where compiled checks are kept across runs (:mod:`._store`); None: nowhere.
        self.store: ProgramStore | None = None
        #: Programs of :meth:`stored_jit` by store key, for this process: one float32
        #: side or one overflow step recurs across claims (at most _KEPT of them).
        self._kept: dict[str, Any] = {}
        #: functions_digest by the functions' ids, inside :meth:`one_run` (else None).
        self._digests: dict[tuple, tuple[list, bytes]] | None = None

    def usable_options(self) -> tuple[tuple[str, Any], ...]:
        """:attr:`options` if this XLA knows them (one tiny compile, once), else none."""
        if self._usable is None:
            self._usable = ()
            if jax.default_backend() == "cpu" and self.options:
                try:
                    jax.jit(lambda x: x + 1, compiler_options=self.options).lower(1.0).compile()
                    self._usable = tuple(self.options.items())
                except Exception:  # an XLA without these flags: its defaults still work
                    pass
        return self._usable

    @contextlib.contextmanager
    def one_run(self):
        """While one claim is checked: what its functions read is hashed once (for the
        stale check, and each key of a check, fact or kept program), not per key. A
        new run hashes afresh, so an array changed in place between runs is seen.
        Its lowerings share an MLIR context (:func:`._programs.shared_ir_context`)."""
        self._digests = {}
        try:
            with shared_ir_context():
                yield
        finally:
            self._digests = None

    def digest(self, functions: list) -> bytes:
        """:func:`._store.functions_digest` of ``functions`` (raises Unkeyable), once per
        :meth:`one_run`."""
        if self._digests is None:
            return functions_digest(functions)
        ids = tuple(map(id, functions))
        if ids not in self._digests:
            self._digests[ids] = (list(functions), functions_digest(functions))
        return self._digests[ids][1]

    def interprets(self, shapes: Shapes) -> bool:
        """Whether a fused check with examples of ``shapes`` first runs by NumPy
        (:mod:`._interp`): in runs with a program store (the CLI, ``derivcheck doc``, the
        pytest plugin's proof items), which check each claim once per process, and for
        examples of at most :data:`._interp.MAX_FLOATS` floats. A claim checked again
        and again in one process (``dc.check`` in a notebook, a benchmark) compiles
        once and runs compiled after."""
        return (self.store is not None and _interp.CROSSOVER > 0
                and sum(math.prod(shape) for _, shape in shapes) <= _interp.MAX_FLOATS)

    def options_for(self, shapes: Shapes) -> dict[str, Any] | None:
        """XLA options on top of :meth:`usable_options` for a fused check whose
        examples have ``shapes``: :data:`SMALL_OPTIONS` for small ones, if this XLA
        knows them."""
        if not small(shapes) or not self.usable_options():
            return None
        if self._small is None:
            try:
                jax.jit(lambda x: x + 1, compiler_options={**self.options, **SMALL_OPTIONS}
                        ).lower(1.0).compile()
                self._small = dict(SMALL_OPTIONS)
            except Exception:  # an XLA without YNNPACK's option
                self._small = {}
        return self._small or None

    def jit(self, fn: Callable) -> Callable:
        return jax.jit(fn, compiler_options=dict(self.usable_options()) or None)

    def _key(self, functions: list, extra: tuple, shapes: Any) -> str | None:
        if self.store is None:
            return None
        try:
            return program_key(key_base(functions=functions, extra=extra, options=(),
                                        digest=self.digest(functions)), shapes)
        except Unkeyable:
            return None

    def fact(self, what: str, *, functions: list, shapes: Any, compute: Callable[[], Any]) -> Any:
        """``compute()``, a fact read from tracing ``functions`` at ``shapes`` (the lowest
        float dtype inside, say), kept in the store across runs under the same key
        as a compiled program (:mod:`._store`); computed afresh when unkeyable.
        """
        key = self._key(functions, ("fact", what), shapes)
        hit = self.store.get_fact(key) if key is not None else None
        if hit is not None:
            return hit[0]
        value = compute()
        if key is not None:
            self.store.put_fact(key, value)
        return value

    def stored_jit(self, fn: Callable, *, functions: list, extra: tuple,
                   fast: bool = True) -> Callable:
        """``fn`` jitted, its compiled programs kept in the store across runs; ``functions``
        and ``extra`` are what ``fn`` is made of (its key). Without a store, the jitted
        ``fn`` itself.

        ``fast``: with derivcheck's XLA options (:meth:`jit`), as the fused checks. A
        float32 side runs once or a few times, and its compile took about 100 ms with
        JAX's default options, 4x longer. Not ``fast``: JAX's defaults, for one step of
        a program, which must round as the same step run eagerly (:mod:`._steps`).
        """
        jit = self.jit if fast else jax.jit
        if self.store is None:
            return jit(fn)
        # A wrapper of its own: JAX shares one lowering, and its compiled program,
        # between jits of the same function, and that program may have come from
        # JAX's own cache (which must not be stored: _programs.compile_to_keep).
        jitted = jit(lambda *a: fn(*a))
        compiled: dict = {}

        def run(*args):
            sig = (str(jax.tree.structure(args)),
                   tuple(aval_key(a) for a in jax.tree.leaves(args)))
            if sig not in compiled:
                compiled[sig] = self._stored_compile(jitted, args, functions,
                                                     ("plain", fast, *extra), sig, fast)
            return compiled[sig](*args)

        return run

    def _stored_compile(self, jitted, args, functions, extra, sig, fast) -> Any:
        key = self._key(functions, extra, sig)
        if key is None:
            return jitted.lower(*args).compile()
        if key in self._kept:
            return self._kept[key]
        hit = self.store.get(key)
        if hit is not None:
            exe = hit[0]
        else:
            options = dict(self.usable_options()) if fast else {}
            exe, needs = compile_to_keep(jitted.lower(*args), options or None)
            if needs is not None:
                self.store.put(key, exe, None, needs=needs)
        if len(self._kept) >= _KEPT:
            self._kept.clear()
        self._kept[key] = exe
        return exe

    def traces(self, claim: Claim) -> int:
        """How many times the claim's fused checks were traced (= compiled) so far."""
        return sum(c.traces for c in self._fused.get(claim, {}).values())

    def fused(self, claim: Claim, oracle_name: str, slots: list[LineSlot],
              truth: Callable[[dict], Any] | None, float_names: list[str],
              dtype: str = "float64") -> FusedCheck:
        """The claim's fused check, from the cache if the claim was checked before."""
        try:
            per_claim = self._fused.setdefault(claim, {})
        except TypeError:  # a claim that cannot be weakly referenced: no reuse
            per_claim = {}
        key = (oracle_name, dtype)
        check = per_claim.get(key)
        if check is None or check.lines != len(slots) or check.stale():
            check = per_claim[key] = FusedCheck(slots, truth, float_names, self.jit, dtype,
                                                self, oracle_name)
        return check

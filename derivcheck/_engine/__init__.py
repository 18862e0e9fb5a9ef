"""The engine: check one claim as a pipeline of stages, one module each.

::

    _oracle    where the truth comes from (autodiff; the seam for others)
    _compile   one fused jit(vmap) check per (claim, shape bucket) → TraceRecord
    _outcome   its values (truth, each line) → the packed errors, on the host
    _evaluate  run it on batches → Errors (NumPy lines one input at a time)
    _search    seeded batches, Hypothesis choosing (bucket, seed) → Failure
    _judge     tolerance and verdict rules; shrinking → Conclusion
    _assemble  LineResult and Result, inside jax.enable_x64(True)

The stages pass the typed records of :mod:`._records`. :class:`Engine` owns
the state that outlives one check (XLA options, the weak per-claim cache of
fused checks); :data:`ENGINE` is the one derivcheck's front doors use.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax

from .._claims import Claim
from .._profiles import Profile
from .._verdict import Result
from ._assemble import Engine
from ._oracle import Oracle

__all__ = ["ENGINE", "Engine", "in_float64", "run_claim"]

#: The engine behind ``dc.check``, the CLI, the pytest plugin and the audit.
ENGINE = Engine()


def run_claim(claim: Claim, *, profile: Profile, seed: int = 0, diagnose: bool = True,
              oracle: Oracle | None = None) -> Result:
    """Search, shrink and judge one claim with :data:`ENGINE`. Never raises for a broken claim."""
    return ENGINE.run(claim, profile=profile, seed=seed, diagnose=diagnose, oracle=oracle)


def _compiler_options() -> tuple:
    """Probe (once) which XLA options :data:`ENGINE` compiles with; a worker calls it at start."""
    with jax.enable_x64(True):
        return ENGINE.compiler.usable_options()


def in_float64(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``fn`` inside ``jax.enable_x64(True)``, restoring the caller's setting after.

    For derivcheck's own JAX work outside :func:`run_claim` (the audit's mutants).
    """
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with jax.enable_x64(True):
            return fn(*args, **kwargs)

    return wrapper

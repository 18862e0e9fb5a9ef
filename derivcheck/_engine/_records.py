"""The typed records the engine's stages pass to each other.

compile → :class:`TraceRecord` (what tracing one input shape decided);
evaluate → :class:`Errors` (per-input errors of every line on one batch);
search → :class:`LineSlot` with its :class:`Failure` list;
judge → :class:`Conclusion` (status, counterexample, instability threshold).
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable
from typing import Any

import numpy as np

from .._verdict import Status

__all__ = ["Conclusion", "Errors", "Failure", "LineMode", "LineSlot", "Shapes", "TraceRecord",
           "part_of", "shapes_of"]

Shapes = tuple[tuple[str, tuple[int, ...]], ...]


def shapes_of(inputs: dict[str, Any], *, batched: bool) -> Shapes:
    """The key of a trace record: each input's shape for one example."""
    return tuple(sorted((k, tuple(v.shape[1:] if batched else v.shape))
                        for k, v in inputs.items()))


def part_of(value: Any, part: int | None) -> Any:
    """One part of a multi-part truth (or its shape), or the whole when ``part`` is None."""
    return value if part is None else value[part]


class LineMode(str, enum.Enum):
    """How a line runs in one shape bucket."""

    JAX = "jax"                 # traced into the fused check
    NUMPY = "numpy"             # untraceable NumPy code: run one input at a time
    TRANSPOSED = "transposed"   # traced, but returns the truth's transpose: refuted
    ERROR = "error"             # raises, or returns the wrong shape or dtype

    __str__ = str.__str__
    __repr__ = str.__repr__

    @property
    def runs(self) -> bool:
        """Whether the line produces values to compare in this bucket."""
        return self is not LineMode.ERROR


@dataclasses.dataclass
class TraceRecord:
    """What tracing the fused check for one input shape decided."""

    truth_shape: tuple | None = None  # a tuple of shapes for a multi-part truth
    truth_error: str | None = None
    truth_untraceable: bool = False  # the reference failed under JAX tracing
    truth_trace: str | None = None
    modes: dict[int, LineMode] = dataclasses.field(default_factory=dict)
    messages: dict[int, str] = dataclasses.field(default_factory=dict)
    traces: dict[int, str] = dataclasses.field(default_factory=dict)
    all_float64: bool = False  # no value below float64 in the whole traced check


@dataclasses.dataclass(frozen=True)
class Failure:
    """One failing input of a line found by the search."""

    magnitude: float
    bucket: int
    x: dict[str, np.ndarray]
    error: float


@dataclasses.dataclass
class LineSlot:
    """One line (a main line or a fix) and what the search learned about it."""

    index: int            # position among all slots
    fn: Callable[[dict], Any]
    prev: int | None      # slot compared for the step error (None: the truth)
    numpy: bool = False   # declared NumPy code (dc.numpy_fn): never traced
    part: int | None = None  # which part of a multi-part truth (a VJP's outputs)
    mode: dict[int, LineMode] = dataclasses.field(default_factory=dict)  # per bucket
    message: str | None = None
    trace: str | None = None
    examples: int = 0
    max_err: float = 0.0
    max_step: float = 0.0
    failures: list[Failure] = dataclasses.field(default_factory=list)
    calm_failure: bool = False
    raised: str | None = None  # the exception a NumPy line raised beyond the calm range
    kinks: int = 0        # inputs where it is a valid subgradient but not autodiff's value
    nudged: int = 0       # ... of which a nearby problem's gradient (see _kinks)
    tied: int = 0         # ... of which the gradient with its ties broken one way (_ties)
    untruthed: int = 0    # inputs it ran on where the truth was not finite (not checked)

    def runs_in(self, b: int) -> bool:
        mode = self.mode.get(b)
        return mode is not None and mode.runs


@dataclasses.dataclass
class Errors:
    """Errors of every line on one batch of B inputs and L lines."""

    err: np.ndarray    # (B, L) normalized error against the truth
    step: np.ndarray   # (B, L) normalized error against the previous line
    fin: np.ndarray    # (B, L) whether the line's value is finite
    tfin: np.ndarray   # (B,) whether the truth is finite
    mag: np.ndarray    # (B,) input magnitude
    ran: np.ndarray    # (B, L) whether the line produced a value
    kinks: np.ndarray | None = None  # (B, L) failures a kink explained (see _kinks)
    #: (B, L) the oracle's own uncertainty in units of ``err`` (finite
    #: differences); a line fails only beyond it. None for autodiff.
    slack: np.ndarray | None = None
    #: The tolerance's threshold for this check's dtype.
    threshold: float = 1e-6
    #: Each NumPy line's values, (B, ...) by line (NaN where it did not run): the
    #: kink test reads them where a traced line's come from the fused check.
    values: dict[int, np.ndarray] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Conclusion:
    """The judge's verdict on a failing line."""

    status: Status
    x: dict[str, np.ndarray]
    b: int
    bucket: dict[str, int]
    err: float
    message: str | None = None
    unstable_from: float | None = None

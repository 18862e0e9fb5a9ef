"""Verdicts: what a check found, for one line and for one claim."""

from __future__ import annotations

import dataclasses
import enum
import html
from typing import Any

import numpy as np

from ._rootcause import RootCause
from ._targets import ClaimKind

__all__ = ["LineResult", "Result", "Status"]


class Status(str, enum.Enum):
    """What a check found. A ``str`` enum: it compares, hashes and serializes
    as its value, so JSON reports carry plain ``"verified"`` and so on.

    >>> Status.VERIFIED == "verified", f"{Status.REFUTED}"
    (True, 'refuted')
    """

    VERIFIED = "verified"
    REFUTED = "refuted"
    UNSTABLE = "unstable"
    ERROR = "error"

    __str__ = str.__str__
    __format__ = str.__format__
    __repr__ = str.__repr__

    @classmethod
    def worst(cls, statuses) -> Status:
        """The status a whole claim gets from its lines' statuses.

        >>> Status.worst(["verified", "unstable"])
        'unstable'
        """
        found = set(statuses)
        return next((s for s in (cls.ERROR, cls.REFUTED, cls.UNSTABLE) if s in found),
                    cls.VERIFIED)


def _fmt_err(x: float | None) -> str:
    if x is None:
        return "-"
    if x != x:  # nan
        return "nan"
    return f"{x:.1e}"


def format_counterexample(cx: dict[str, Any] | None, *, limit: int = 6) -> str:
    """Inputs as ``name=[...]`` fragments, short arrays in full."""
    if not cx:
        return ""
    parts = []
    for k, v in cx.items():
        a = np.asarray(v)
        body = np.array2string(a, precision=4, separator=", ", threshold=limit,
                               suppress_small=False).replace("\n", "")
        parts.append(f"{k}={body}")
    return " ".join(parts)


def _plain(value: Any, kind: type[enum.Enum]) -> str:
    """``value`` checked against enum ``kind`` and kept as its plain ``str``.

    Results cross process boundaries that take only exact built-in types
    (pytest-xdist's execnet, for the pytest plugin's user properties), so
    they hold the enum's value, which compares equal to the member.
    """
    return str.__str__(kind(value))


@dataclasses.dataclass
class LineResult:
    """The verdict on one line of a claim (a derivation step, or the claim's only line)."""

    index: int
    latex: str
    status: str
    expected: str
    max_error: float | None = None
    step_error: float | None = None
    examples: int = 0
    counterexample: dict[str, Any] | None = None
    bucket: dict[str, int] | None = None
    diagnosis: str | None = None
    message: str | None = None
    erratum: str | None = None
    note: str | None = None
    unstable_from: float | None = None
    fix: LineResult | None = None
    trace: str | None = dataclasses.field(default=None, repr=False)
    #: The step from the line before: "holds" or "fails" at calm inputs, None
    #: for a first line or when it could not be judged.
    step_status: str | None = None
    #: In a derivation that goes wrong: "root", "break", "propagated" or "repair".
    role: str | None = None
    #: For a propagated or repairing line, the root or break it belongs to.
    under: int | None = None
    #: "error", "notation" or "propagated"; None when the line is no erratum.
    erratum_class: str | None = None
    #: For a notation erratum, how the line is read.
    reading: str | None = None

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("status", "expected"):
            value = _plain(value, Status)
        super().__setattr__(name, value)

    @property
    def ok(self) -> bool:
        """Whether the line got the status it was expected to get."""
        return self.status == self.expected and (self.fix is None or self.fix.ok)


@dataclasses.dataclass
class Result:
    """The verdict on one claim.

    Attributes:
      status: "verified", "refuted", "unstable" or "error".
      max_error: the largest normalized error seen on inputs where the claim
        held (for a refuted claim: at the counterexample).
      examples: how many inputs were checked.
      counterexample: the shrunk failing input, name -> array, or None.
      diagnosis: the kind of mistake it looks like, or None.
      oracle: where the truth came from: "autodiff", or "finite differences"
        for a reference JAX cannot trace (None for a property).
      accuracy: for finite differences, the largest error estimate of the
        truth relative to its size over the inputs checked.
      rtol: the claim's own tolerance on the normalized error, if it declares
        one (else the calibrated threshold applies).
    """

    id: str
    kind: str
    status: str
    expected: str
    source: str = ""
    latex: str = ""
    max_error: float | None = None
    examples: int = 0
    counterexample: dict[str, Any] | None = None
    bucket: dict[str, int] | None = None
    diagnosis: str | None = None
    message: str | None = None
    seconds: float = 0.0
    seed: int = 0
    lines: list[LineResult] = dataclasses.field(default_factory=list)
    compilations: int = 0
    unstable_from: float | None = None
    trace: str | None = dataclasses.field(default=None, repr=False)
    #: Where the truth came from: "autodiff" or "finite differences" (None: a property).
    oracle: str | None = "autodiff"
    #: For finite differences: the largest error estimate of the truth, relative to
    #: its size, over the inputs checked (None for autodiff, exact to rounding).
    accuracy: float | None = None
    rtol: float | None = None
    #: For a check made from Python: what to call in :meth:`reproduce`.
    origin: Any = dataclasses.field(default=None, repr=False, compare=False)
    #: The class of the claim's erratum (a derivation: of its root), or None.
    erratum_class: str | None = None
    #: Where a derivation first goes wrong and what follows from it, or None.
    root_cause: RootCause | None = None

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("status", "expected"):
            value = _plain(value, Status)
        elif name == "kind":
            value = _plain(value, ClaimKind)
        super().__setattr__(name, value)

    @property
    def ok(self) -> bool:
        """Whether the claim and every line got the expected status."""
        return self.status == self.expected and all(ln.ok for ln in self.lines)

    @property
    def chained(self) -> bool:
        """Whether the claim is a chain of steps (a derivation), shown line by line."""
        return ClaimKind(self.kind).chained

    @property
    def first_break(self) -> LineResult | None:
        """The first line that is refuted (or errors), if any."""
        for ln in self.lines:
            if ln.status in ("refuted", "error"):
                return ln
        return None

    def summary_line(self) -> str:
        """One line: status, id, error and what went wrong."""
        where = ""
        if self.bucket:
            where = " at " + " ".join(f"{k}={v}" for k, v in self.bucket.items())
        text = f"{self.id}: {self.status}"
        if self.status == "refuted":
            brk = self.first_break
            if self.chained and brk is not None:
                text += f" (first break: line {brk.index})"
            text += f" (max rel. error {_fmt_err(self.max_error)}{where})"
        elif self.status == "verified":
            text += f" ({self.examples} inputs, max rel. error {_fmt_err(self.max_error)})"
        elif self.status == "unstable" and self.unstable_from is not None:
            text += f" (breaks for inputs of magnitude >= {self.unstable_from:.3g})"
        if self.rtol is not None:
            text += f" [rtol={self.rtol:g} declared by the claim]"
        if self.diagnosis:
            text += f"; {self.diagnosis}"
        if self.message:
            text += f"; {self.message}"
        if self.oracle == "finite differences":
            text += f"; truth by {self.truth}"
        if self.status != self.expected:
            text += f" [expected {self.expected}]"
        return text

    @property
    def truth(self) -> str:
        """Where the truth came from, with the accuracy finite differences reached.

        >>> Result("c", "gradient", "verified", "verified").truth
        'autodiff'
        >>> Result("c", "gradient", "verified", "verified", oracle="finite differences",
        ...        accuracy=2e-9).truth
        'finite differences (accurate to 2.0e-09)'
        """
        if self.oracle is None:
            return ""
        if self.oracle == "finite differences" and self.accuracy is not None:
            return f"{self.oracle} (accurate to {self.accuracy:.1e})"
        return self.oracle

    def reproduce(self) -> str:
        """A snippet that re-checks the counterexample by hand.

        For a check made from Python (``dc.check_gradient`` and friends), a
        short script that rebuilds the failing input, calls your functions and
        prints how far the claimed value is from the truth; for a proof file,
        the command line that re-runs it and the failing input.
        """
        if self.counterexample and self.origin is not None:
            from ._reproduce import python_snippet

            return python_snippet(self.counterexample, self.origin)
        if not self.counterexample:
            return f"derivcheck check --seed {self.seed} (claim {self.id})"
        args = ", ".join(
            f"{k}=np.array({np.asarray(v).tolist()!r})" for k, v in self.counterexample.items())
        return (f"# seed {self.seed}; re-run: derivcheck check --seed {self.seed}\n"
                f"inputs = dict({args})")

    def __str__(self) -> str:
        out = [self.summary_line()]
        for ln in self.lines if self.chained else []:
            mark = "ok" if ln.status == "verified" else ln.status
            out.append(f"  line {ln.index}: {mark:9s} {ln.latex[:70]}")
        if self.counterexample:
            out.append("  counterexample: " + format_counterexample(self.counterexample))
        return "\n".join(out)

    def _repr_html_(self) -> str:
        colour = {"verified": "#1a7f37", "refuted": "#cf222e", "unstable": "#9a6700",
                  "error": "#8250df"}.get(self.status, "black")
        rows = "".join(
            f"<tr><td>{ln.index}</td><td>{html.escape(ln.status)}</td>"
            f"<td><code>{html.escape(ln.latex)}</code></td></tr>" for ln in self.lines)
        return (f"<div><b style='color:{colour}'>{html.escape(self.status)}</b> "
                f"<code>{html.escape(self.id)}</code> — {html.escape(self.summary_line())}"
                f"<table>{rows}</table></div>")

    def to_dict(self) -> dict[str, Any]:
        """The claim as a JSON-ready dict (without its lines)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "source": self.source,
            "latex": self.latex,
            "status": self.status,
            "expected": self.expected,
            "examples": self.examples,
            "max_error": self.max_error,
            "counterexample": _jsonable(self.counterexample),
            "bucket": self.bucket,
            "diagnosis": self.diagnosis,
            "message": self.message,
            "unstable_from": self.unstable_from,
            "rtol": self.rtol,
            "seconds": round(self.seconds, 4),
            "compilations": self.compilations,
            "oracle": self.oracle,
            "accuracy": self.accuracy,
            "erratum_class": self.erratum_class,
            "root_cause": None if self.root_cause is None else self.root_cause.to_dict(),
        }


def _jsonable(cx):
    if cx is None:
        return None
    return {k: np.asarray(v).tolist() for k, v in cx.items()}


def line_to_dict(claim: Result, ln: LineResult) -> dict[str, Any]:
    """A derivation line as its own JSON entry."""
    return {
        "id": f"{claim.id}[{ln.index}]",
        "kind": "line",
        "source": claim.source,
        "latex": ln.latex,
        "status": ln.status,
        "expected": ln.expected,
        "examples": ln.examples,
        "max_error": ln.max_error,
        "step_error": ln.step_error,
        "counterexample": _jsonable(ln.counterexample),
        "bucket": ln.bucket,
        "diagnosis": ln.diagnosis,
        "message": ln.message,
        "erratum": ln.erratum,
        "erratum_class": ln.erratum_class,
        "reading": ln.reading,
        "step_status": ln.step_status,
        "role": ln.role,
        "under": ln.under,
        "unstable_from": ln.unstable_from,
        "fix": None if ln.fix is None else {
            "latex": ln.fix.latex, "status": ln.fix.status, "max_error": ln.fix.max_error},
        "seconds": 0.0,
    }

"""What the audit finds: one mutant, one claim's audit, a whole audit."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

__all__ = ["AuditReport", "ClaimAudit", "Mutant"]


@dataclasses.dataclass
class Mutant:
    """One mutant of one line, and what the check made of it.

    Attributes:
      line: which line, e.g. ``"line 3"`` or ``"line 2 fix"``.
      operator: the mutation, e.g. ``"sign"``, ``"scale N"``, ``"drop term"``.
      detail: what exactly changed, e.g. ``"N = dim N (axis 0 of X)"``.
      status: the engine's verdict on the mutant ("" before it is checked).
      outcome: ``"killed"``, ``"survived"``, ``"equivalent"`` or ``"invalid"``.
      message: the engine's message, or why the mutant is invalid.
    """

    line: str
    operator: str
    detail: str = ""
    fn: Callable[..., Any] | None = dataclasses.field(default=None, repr=False)
    status: str = ""
    outcome: str = ""
    message: str | None = None

    @property
    def name(self) -> str:
        return f"{self.line}: {self.operator}" + (f" ({self.detail})" if self.detail else "")

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "operator": self.operator, "detail": self.detail,
                "status": self.status, "outcome": self.outcome, "message": self.message}


@dataclasses.dataclass
class ClaimAudit:
    """The mutants of one claim's verified lines."""

    claim: str
    status: str                     # the normal check's verdict on the claim
    lines: list[str] = dataclasses.field(default_factory=list)  # lines audited
    mutants: list[Mutant] = dataclasses.field(default_factory=list)
    skipped: str | None = None      # why nothing was audited
    seconds: float = 0.0
    compilations: int = 0
    trace: str | None = dataclasses.field(default=None, repr=False)  # if the audit failed

    def count(self, outcome: str) -> int:
        return sum(m.outcome == outcome for m in self.mutants)

    @property
    def kill_rate(self) -> float | None:
        """killed / (killed + survived): equivalent and invalid mutants excluded."""
        k, s = self.count("killed"), self.count("survived")
        return k / (k + s) if k + s else None

    def to_dict(self) -> dict[str, Any]:
        return {"claim": self.claim, "status": self.status, "lines": self.lines,
                "skipped": self.skipped, "killed": self.count("killed"),
                "survived": self.count("survived"), "equivalent": self.count("equivalent"),
                "invalid": self.count("invalid"), "kill_rate": self.kill_rate,
                "seconds": round(self.seconds, 4), "compilations": self.compilations,
                "mutants": [m.to_dict() for m in self.mutants]}


@dataclasses.dataclass
class AuditReport:
    """A whole audit: per-claim audits, load errors, and whether it was cut short."""

    claims: list[ClaimAudit]
    load_errors: list = dataclasses.field(default_factory=list)
    profile: str = "quick"
    seed: int = 0
    seconds: float = 0.0
    interrupted: bool = False
    not_run: list[str] = dataclasses.field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        tot = {o: sum(c.count(o) for c in self.claims)
               for o in ("killed", "survived", "equivalent", "invalid")}
        denom = tot["killed"] + tot["survived"]
        return {"claims": len(self.claims),
                "audited": sum(1 for c in self.claims if c.mutants),
                "lines": sum(len(c.lines) for c in self.claims),
                "mutants": sum(len(c.mutants) for c in self.claims), **tot,
                "killed_as_unstable": sum(1 for c in self.claims for m in c.mutants
                                          if m.outcome == "killed" and m.status == "unstable"),
                "kill_rate": tot["killed"] / denom if denom else None,
                "load_errors": len(self.load_errors), "not_run": len(self.not_run),
                "seconds": round(self.seconds, 2)}

    @property
    def exit_code(self) -> int:
        """2: a file failed to load; 1: a mutant survived or the run was cut short; else 0."""
        if self.load_errors:
            return 2
        if self.interrupted or any(c.count("survived") for c in self.claims):
            return 1
        return 0

    def to_dict(self, *, timings: bool = True) -> dict[str, Any]:
        claims = [c.to_dict() for c in self.claims]
        summary = self.summary()
        if not timings:
            for c in claims:
                c["seconds"] = 0.0
            summary["seconds"] = 0.0
        return {"profile": self.profile, "seed": self.seed, "interrupted": self.interrupted,
                "claims": claims,
                "load_errors": [{"file": e.file, "message": e.message} for e in self.load_errors],
                "not_run": self.not_run, "summary": summary}

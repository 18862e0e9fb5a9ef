"""Running the audit: the original claim, its mutants and the equivalence of survivors.

All checking goes through the engine's ``run_claim``.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Sequence

from .._claims import Claim, Line, _Target
from .._engine import in_float64
from .._interrupt import CtrlC
from .._profiles import Profile, get_profile
from .._targets import ClaimKind
from ._mutants import mutants_of
from ._records import AuditReport, ClaimAudit, Mutant

__all__ = ["audit_catalog", "audit_claim"]


def _audited_lines(claim: Claim, result) -> list[tuple[str, Line]]:
    out = []
    for i, (ln, lr) in enumerate(zip(claim.lines, result.lines, strict=True)):
        if lr.status == "verified":
            out.append((f"line {i + 1}", ln))
        if ln.fix is not None and lr.fix is not None and lr.fix.status == "verified":
            out.append((f"line {i + 1} fix", ln.fix))
    return out


def _killed(status: str, message: str | None) -> str:
    if status in ("refuted", "unstable"):
        return "killed"
    if status == "error" and message and message.startswith("returns nan"):
        return "killed"
    if status == "verified":
        return "survived"
    return "invalid"


@in_float64
def audit_claim(claim: Claim, *, profile: Profile, seed: int = 0,
                equivalence_profile: Profile | None = None) -> ClaimAudit:
    """Mutate every verified line of ``claim`` and check the mutants.

    Args:
      claim: a loaded claim.
      profile: the search budget for the original claim and its mutants.
      seed: the search seed.
      equivalence_profile: the budget of the equivalence check of survivors
        (default: ``profile`` if it is "thorough", else "default").

    >>> import derivcheck as dc
    >>> c = dc.gradient(lambda x: (x ** 2).sum(), lambda x: 2 * x,
    ...                 space=dc.Space(x=dc.real("D")), wrt="x", id="square")
    >>> a = audit_claim(c, profile=dc.PROFILES["quick"])
    >>> a.count("survived"), a.count("killed") > 0
    (0, True)
    """
    from .._engine import run_claim

    t0 = time.perf_counter()
    original = run_claim(claim, profile=profile, seed=seed)
    audit = ClaimAudit(claim=claim.qualname, status=original.status)
    if ClaimKind(claim.kind).is_property:
        audit.skipped = "a property claim has no value to mutate"
    lines = [] if audit.skipped else _audited_lines(claim, original)
    if not lines and not audit.skipped:
        audit.skipped = f"no line verifies (the claim is {original.status})"
    for label, ln in lines:
        where = f"{claim.qualname} {label}"
        try:
            audit.mutants.extend(mutants_of(ln, claim.space, where=where, label=label))
            audit.lines.append(label)
        except Exception as exc:
            audit.mutants.append(Mutant(label, "all", "", None, "error", "invalid",
                                        f"could not build mutants: {type(exc).__name__}: {exc}"))
    todo = [m for m in audit.mutants if not m.outcome]
    if todo:
        bundle = Claim(kind="audit", target=claim.target, space=claim.space,
                       id=f"{claim.id}~mutants",
                       lines=[Line(m.name, m.fn) for m in todo])
        bundle.file = claim.file
        res = run_claim(bundle, profile=profile, seed=seed, diagnose=False)
        audit.compilations += res.compilations
        for m, lr in zip(todo, res.lines, strict=True):
            m.status, m.message = lr.status, lr.message
            m.outcome = _killed(lr.status, lr.message)
    survivors = [m for m in audit.mutants if m.outcome == "survived"]
    by_line: dict[str, list[Mutant]] = {}
    for m in survivors:
        by_line.setdefault(m.line, []).append(m)
    eq_prof = equivalence_profile or (profile if profile.name == "thorough"
                                      else get_profile("default"))
    for label, group in by_line.items():
        ln = dict(lines)[label]
        same = Claim(kind=ClaimKind.EQUALITY, target=_Target("value", ln.fn), space=claim.space,
                     id=f"{claim.id}~equivalence~{label.replace(' ', '_')}",
                     lines=[Line(m.name, m.fn) for m in group])
        same.file = claim.file
        res = run_claim(same, profile=eq_prof, seed=seed + 1)
        audit.compilations += res.compilations
        for m, lr in zip(group, res.lines, strict=True):
            if lr.status == "verified":
                m.outcome = "equivalent"
                m.message = f"equals the original line on {lr.examples} inputs"
            else:
                m.message = f"differs from the original line ({lr.status} as an equality)"
    audit.seconds = time.perf_counter() - t0
    return audit


def audit_catalog(claims: Sequence[Claim], *, profile: Profile, seed: int = 0,
                  load_errors: Sequence = (),
                  on_start: Callable[[Claim], None] | None = None) -> AuditReport:
    """Audit every claim in order; a KeyboardInterrupt returns the partial report."""
    t0 = time.perf_counter()
    report = AuditReport(claims=[], load_errors=list(load_errors), profile=profile.name,
                         seed=seed)
    with CtrlC().watching() as ctrl_c:  # a Ctrl-C Python dropped still stops the audit
        for i, claim in enumerate(claims):
            try:
                ctrl_c.check()
                if on_start:
                    on_start(claim)
                report.claims.append(audit_claim(claim, profile=profile, seed=seed))
            except KeyboardInterrupt:
                report.interrupted = True
                report.not_run = [c.qualname for c in claims[i:]]
                break
            except Exception as exc:  # an audit bug must not lose the other claims
                report.claims.append(ClaimAudit(
                    claim=claim.qualname, status="error",
                    skipped=f"the audit failed: {type(exc).__name__}: {exc}".splitlines()[0],
                    trace=traceback.format_exc()))
    report.seconds = time.perf_counter() - t0
    return report

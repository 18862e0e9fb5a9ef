"""Mutation audit: would the check notice if a verified line were wrong?

For every line that the normal check verifies, the audit builds *mutants* of
the hand-written side, each a small, typical mistake, and checks them with
the same engine against the same truth. A mutant the check refutes is
*killed*; one it verifies *survived*, unless it is *equivalent*: equal to the
original line on every input of a larger search, so presumably on the whole
space, where no check could tell them apart.

All mutants of one claim are checked as the lines of ONE claim whose truth is
the original truth, so the engine compiles once per shape bucket for all of
them (and skips its diagnosis of refuted lines: verdicts only). A mutant
counts as killed when its verdict is ``refuted``, ``unstable`` (the check
flags it, but blames numerics: listed as such) or ``error`` for non-finite
values. A surviving mutant is then checked for *equivalence* with
the engine: an equality claim ``mutant == original line`` (profile at least
``default``, another seed); if that verifies, the mutant equals the original
on every input drawn and is listed as equivalent, never dropped.
"""

from ._mutants import mutants_of
from ._records import AuditReport, ClaimAudit, Mutant
from ._render import render_text
from ._runner import audit_catalog, audit_claim

__all__ = ["AuditReport", "ClaimAudit", "Mutant", "audit_catalog", "audit_claim", "mutants_of",
           "render_text"]

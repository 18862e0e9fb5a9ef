"""``--format json``: a machine-readable document."""

from __future__ import annotations

import json
import math

from ._data import entries

__all__ = ["render"]


def _clean(x):
    if isinstance(x, float) and not math.isfinite(x):
        return None if math.isnan(x) else ("inf" if x > 0 else "-inf")
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_clean(v) for v in x]
    return x


def render(report, *, timings: bool = True) -> str:
    """The report as JSON: ``claims`` (derivation lines as their own entries) and ``summary``.

    With ``timings=False`` every ``seconds`` field is 0, so two runs with the
    same seed give identical documents.
    """
    from .. import __version__

    claims = entries(report)
    if not timings:
        for c in claims:
            c["seconds"] = 0.0
    doc = {
        "derivcheck": __version__,
        "profile": report.profile,
        "seed": report.seed,
        "interrupted": report.interrupted,
        "claims": claims,
        "load_errors": [{"file": e.file, "message": e.message} for e in report.load_errors],
        "not_run": report.skipped,
        "summary": report.summary(),
    }
    return json.dumps(_clean(doc), indent=2, ensure_ascii=False, allow_nan=False) + "\n"

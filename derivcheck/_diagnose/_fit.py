"""Diagnosis by fitted coefficients: claimed - truth as a combination of candidate terms.

At each failing input, ``D = G - T`` is fitted by least squares against a
small basis of candidate terms:

- the reference's own additive terms (:mod:`._terms`): a term whose truth is
  ``k·lam·W`` or ``k·lam·sign(W)`` is a *penalty*; what remains is the *data
  term*;
- ``lam·W`` and ``lam·sign(W)`` for each positive scalar input ``lam``, and
  ``W`` and ``sign(W)`` (``W`` the input differentiated with respect to).

One or two candidates at a time, simplest first. A fit counts when it leaves
no residue (to the engine's own tolerance) at every input and each
coefficient has a short name at every input: a small rational, or one that
varies with a dimension (``N``, ``1/N``). The coefficient of a reference term
is reported as the multiplier of that term in the claimed value: 0 is a
missing term, -1 a flipped sign, N a missing 1/N.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping, Sequence
from fractions import Fraction

import numpy as np

from .. import _tolerance as tol
from ._names import name_coefficients, rational

__all__ = ["Candidate", "explain"]

#: A fit must leave a residue below this fraction of ``max|G - T|``.
RESIDUE = 1e-6

#: Candidate subsets whose columns are this close to dependent are skipped.
CONDITION = 1e-7


@dataclasses.dataclass
class Candidate:
    """One basis term: its name in a formula and its value at each input.

    ``k`` is set for a reference term of the form ``k·base`` (a penalty) or
    for the data term (``k = 1``): its fitted coefficient ``c`` is then read as
    the term's multiplier ``m = 1 + c/k`` in the claimed value.
    """

    name: str
    values: list[np.ndarray]
    role: str = "basis"        # "basis", "penalty", "data" or "term" (no penalty found)
    k: Fraction | None = None
    label: str | None = None   # a penalty's formula, or which term of the reference


def _ratio(a: Sequence[np.ndarray], b: Sequence[np.ndarray], rtol: float = 1e-9) -> Fraction | None:
    """The constant small rational k with ``a = k·b`` at every input (to ``rtol``), or None."""
    ks = []
    for u, v in zip(a, b, strict=True):
        den = float(np.vdot(v, v))
        if den == 0.0:
            return None
        k = float(np.vdot(u, v)) / den
        if np.max(np.abs(u - k * v)) > rtol * max(np.max(np.abs(u)), 1e-300):
            return None
        ks.append(k)
    r = rational(ks[0])
    if r is None or r == 0 or any(rational(k) != r for k in ks):
        return None
    return r


def _times(r: Fraction, base: str) -> str:
    """``r·base`` as text: ``lam·W``, ``-2·lam·W``, ``1/2·lam·W``."""
    if r == 1:
        return base
    if r == -1:
        return f"-{base}"
    text = str(r.numerator) if r.denominator == 1 else f"{r.numerator}/{r.denominator}"
    return f"{text}·{base}"


def _bases(xs, wrt: str, lams: Sequence[str], shape) -> list[Candidate]:
    out = []
    if wrt is None or any(np.shape(x[wrt]) != np.shape(s) for x, s in zip(xs, shape,
                                                                         strict=True)):
        return out
    for lam in lams:
        out.append(Candidate(f"{lam}·{wrt}", [np.asarray(x[lam] * x[wrt], float) for x in xs]))
        out.append(Candidate(f"{lam}·sign({wrt})",
                             [np.asarray(x[lam] * np.sign(x[wrt]), float) for x in xs]))
    out.append(Candidate(wrt, [np.asarray(x[wrt], float) for x in xs]))
    out.append(Candidate(f"sign({wrt})", [np.sign(np.asarray(x[wrt], float)) for x in xs]))
    return out


def _penalty_text(cand: Candidate, k: Fraction, wrt: str) -> str:
    """The penalty whose gradient is ``k·base``: ``lam‖W‖²`` for 2·lam·W, ``lam‖W‖₁``."""
    base = cand.name
    if "sign(" in base:
        text = _times(k, base.replace(f"sign({wrt})", f"‖{wrt}‖₁"))
    else:
        text = _times(k / 2, base.replace(wrt, f"‖{wrt}‖²"))
    return text.replace("·‖", "‖")


def candidates(xs, ts, terms, *, wrt: str | None, lams: Sequence[str],
               rtol: float = 1e-9) -> list[Candidate]:
    """The basis: data term and penalties from ``terms``, then the plain bases. ``rtol``:
    how closely a term must be a multiple of a base to be a penalty (terms found by
    finite differences carry their error)."""
    bases = _bases(xs, wrt, lams, ts)
    data_parts = []
    for term in terms or []:
        for b in bases:
            k = _ratio(term, b.values, rtol)
            if k is not None and b.role == "basis":
                b.role, b.k, b.label = "penalty", k, _penalty_text(b, k, wrt)
                break
        else:
            data_parts.append(term)
    out = []
    if data_parts and len(data_parts) < len(terms or []):
        data = [np.sum(col, axis=0) for col in zip(*data_parts, strict=True)]
        if all(np.any(d) for d in data):
            out.append(Candidate("data term", data, role="data", k=Fraction(1)))
    elif terms and len(data_parts) == len(terms):  # no penalty: each term on its own
        live = [term for term in terms if all(np.any(v) for v in term)]  # not constant
        n = len(live)
        out += [Candidate(f"term {i + 1}", term, role="term", k=Fraction(1),
                          label=f"term {i + 1} of the reference's {n} (in the order written)")
                for i, term in enumerate(live)]
    out += sorted(bases, key=lambda b: b.role != "penalty")  # penalties first (stable)
    return out


def _fit(D, cols) -> np.ndarray | None:
    """Least-squares coefficients of ``D`` on ``cols`` (None if nearly dependent)."""
    A = np.stack([c.ravel() for c in cols], axis=1)
    s = np.linalg.svd(A, compute_uv=False)
    if s[0] == 0.0 or s[-1] < CONDITION * s[0]:
        return None
    return np.linalg.lstsq(A, D.ravel(), rcond=None)[0]


#: Constants common enough to name even where a dimension has the same value.
COMMON = {"0", "1", "-1", "2", "-2", "1/2", "-1/2"}


def _choose(names: list[str]) -> list[str]:
    """Drop an unusual constant (1/8) when a dimension (1/N, N = 8) names it too."""
    consts = [n for n in names if not any(ch.isalpha() for ch in n)]
    if consts and len(consts) < len(names) and consts[0] not in COMMON:
        return [n for n in names if n not in consts]
    return names


def _term_text(cand: Candidate, c: Sequence[float], dims) -> tuple[str, str | None] | None:
    """(the term of the formula, what it means) for one fitted candidate, or None."""
    if cand.k is None:
        names = _choose(name_coefficients(c, dims))
        if not names:
            return None
        if names == [names[0]] and (r := rational(c[0])) is not None and \
                not any(ch.isalpha() for ch in names[0]):
            return _times(r, cand.name), None
        return f"{' or '.join(names)}·{cand.name}", None
    ms = _choose(name_coefficients([1.0 + ci / float(cand.k) for ci in c], dims))
    if not ms:
        return None
    full = _times(cand.k, cand.name) if cand.role == "penalty" else cand.name
    if cand.role == "term":
        full = f"({cand.name})"
    if not any(ch.isalpha() for ch in ms[0]):  # a constant (perhaps also a dimension)
        m = rational(1.0 + c[0] / float(cand.k))
        formula = _times((m - 1) * cand.k, cand.name) if cand.role == "penalty" else \
            _times(m - 1, full)
        also = f" (or {' or '.join(ms[1:])} × its value: inputs of one size cannot tell)" \
            if ms[1:] else ""
        return formula, _meaning(cand, m) + also
    formula = f"({' or '.join(ms)} - 1)·{full}"
    return formula, _meaning_dim(cand, ms)


def _what(cand: Candidate) -> tuple[str, str]:
    if cand.role == "penalty":
        return "the regularization term", f" (penalty {cand.label})"
    if cand.role == "term":
        return cand.label, ""
    return "the data term", ""


def _meaning(cand: Candidate, m: Fraction) -> str:
    """What a constant multiplier ``m`` of a reference term means."""
    what, of = _what(cand)
    if m == 0:
        return f"{what} is missing{of}"
    if m == -1:
        return f"{what} has the wrong sign{of}"
    if cand.role == "penalty":
        return (f"the claimed regularization gradient is {_times(m * cand.k, cand.name)}, "
                f"but the penalty {cand.label} gives {_times(cand.k, cand.name)}")
    return f"{what} is {_times(m, '').rstrip('·') or '1'} × its value"


def _meaning_dim(cand: Candidate, ms: list[str]) -> str:
    """What a multiplier that varies with a dimension (``N``, ``1/N``, ``-N``) means."""
    what, of = _what(cand)
    name = ms[0]
    alt = f" (or {' or '.join(ms[1:])}: inputs of one size cannot tell)" if ms[1:] else ""
    sign = " and has the wrong sign" if name.startswith("-") else ""
    bare = name.lstrip("-")
    if bare.startswith("1/"):
        return f"{what} is divided by {bare[2:]}{sign}{alt}{of}"
    if bare.isalpha():
        miss = f": a missing 1/{bare}" if cand.role == "data" else ""
        return f"{what} is {bare} × too large{miss}{sign}{alt}{of}"
    return f"{what} is {name} × its value{alt}{of}"


def explain(pairs, xs, dims: Sequence[Mapping[str, int]], mags, cands: list[Candidate],
            *, max_terms: int = 2, threshold: float = tol.THRESHOLD) -> str | None:
    """``"claimed - autodiff = ...: ..."`` for the simplest fit, or None. ``threshold``:
    the verdict's (float32 mode's claimed values carry float32's rounding, which the
    fit's residue may then reach in proportion)."""
    Ds = [g - t for g, t in pairs]
    residue = RESIDUE * max(1.0, threshold / tol.THRESHOLD)
    for size in range(1, max_terms + 1):
        if max(D.size for D in Ds) <= size:
            # no input has more values than coefficients: any difference fits (a
            # one-number counterexample is "10·sign(theta)" as well as anything else)
            break
        for subset in itertools.combinations(range(len(cands)), size):
            coefs = []
            for i, (D, (g, t), m) in enumerate(zip(Ds, pairs, mags, strict=True)):
                cols = [cands[j].values[i] for j in subset]
                c = _fit(D, cols)
                if c is None:
                    break
                fitted = sum(ci * col for ci, col in zip(c, cols, strict=True))
                if np.max(np.abs(D - fitted)) > residue * np.max(np.abs(D)):
                    break
                with np.errstate(all="ignore"):
                    if not tol.normalized_error(g, t + fitted, m, np) <= threshold:
                        break
                coefs.append(c)
            else:
                texts = [_term_text(cands[j], [c[n] for c in coefs], dims)
                         for n, j in enumerate(subset)]
                if all(texts):
                    formula = " + ".join(f for f, _ in texts).replace("+ -", "- ")
                    meanings = [m for _, m in texts if m]
                    if not meanings:
                        return f"looks like a regularization term: claimed - autodiff = {formula}"
                    meanings += [f"an extra term {f}" for f, m in texts if not m]
                    return f"claimed - autodiff = {formula}: {'; '.join(meanings)}"
    return None

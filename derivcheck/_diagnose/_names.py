"""Naming numbers the way a derivation would: ``2``, ``1/2``, ``N``, ``1/N``, ``-2/K``.

A fitted coefficient is worth reporting only when it has a short name. The
name may depend on the dimensions of the input (a missing ``1/N`` gives a
coefficient ``N`` that differs from bucket to bucket), so a coefficient is
named across all the inputs at hand: one symbolic form must fit every one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from contextvars import ContextVar
from fractions import Fraction

__all__ = ["digits", "matching", "name_coefficients", "rational", "short_float"]

#: A fitted coefficient this close (relative) to a named value is that value.
#: Exact relations fit to about 1e-13; a claimed factor of 1 + 1.3e-6 must not
#: be called 1.
MATCH = 1e-8
_match: ContextVar[float] = ContextVar("match", default=MATCH)


@contextlib.contextmanager
def matching(tolerance: float) -> Iterator[None]:
    """Name coefficients within ``tolerance`` (relative) inside the block: a float32
    claimed side fits its relations only to float32's rounding (-2.0000002).

    >>> with matching(1e-5):
    ...     rational(-2.0000002)
    Fraction(-2, 1)
    >>> rational(-2.0000002) is None
    True
    """
    token = _match.set(tolerance)
    try:
        yield
    finally:
        _match.reset(token)

#: Largest denominator of a "small rational" (1/2, 2/3, 3/4, ..., 1/12).
MAX_DENOMINATOR = 12
#: Largest numerator of a small rational, in absolute value.
MAX_NUMERATOR = 48

#: The factors a dimension may carry in a name (``N``, ``-N``, ``1/N``, ``-1/N``):
#: with more, a single bucket gives too many names (2 is also K/2 at K = 4).
DIM_FACTORS = {Fraction(1), Fraction(-1)}


def digits(c: float) -> str:
    """``c`` with 4 significant digits, more when 4 would make it look like an integer.

    >>> digits(0.37519), digits(1.0001), digits(-2.00003)
    ('0.3752', '1.0001', '-2.00003')
    """
    for p in range(4, 16):
        text = f"{c:.{p}g}"
        shown = float(text)
        if shown != round(shown) or abs(c - shown) <= 1e-9 * max(1.0, abs(c)):
            return text
    return repr(c)


def short_float(x: float) -> str:
    """A positive error as ``1.3e-6`` (two digits, no zero-padded exponent).

    >>> short_float(1.2999e-6), short_float(0.5)
    ('1.3e-6', '0.5')
    """
    text = f"{x:.2g}"
    if "e" in text:
        mant, exp = text.split("e")
        return f"{mant}e{int(exp)}"
    return text


def rational(c: float) -> Fraction | None:
    """``c`` as a small rational p/q, or None.

    >>> rational(-0.5), rational(2.0), rational(1.0000013), rational(0.0)
    (Fraction(-1, 2), Fraction(2, 1), None, Fraction(0, 1))
    """
    if c != c or abs(c) > MAX_NUMERATOR:
        return None
    f = Fraction(c).limit_denominator(MAX_DENOMINATOR)
    if abs(f.numerator) > MAX_NUMERATOR:
        return None
    if abs(float(f) - c) <= _match.get() * max(1.0, abs(c)):
        return f
    return None


def _frac_text(f: Fraction) -> str:
    return str(f.numerator) if f.denominator == 1 else f"{f.numerator}/{f.denominator}"


def _forms(dims: Mapping[str, int]):
    """Symbolic forms ``(name, power)``: r, r·d and r/d for each dimension d."""
    yield "", 0
    for d in sorted(dims):
        yield d, 1
        yield d, -1


def _render(r: Fraction, dim: str, power: int) -> str:
    """``r·dim^power`` as text: ``2``, ``-1/2``, ``N``, ``-2·N``, ``1/N``, ``-3/(2N)``."""
    if power == 0:
        return _frac_text(r)
    sign = "-" if r < 0 else ""
    a = abs(r)
    if power == 1:
        return f"{sign}{dim}" if a == 1 else f"{sign}{_frac_text(a)}·{dim}"
    num, den = a.numerator, a.denominator
    return f"{sign}{num}/{dim}" if den == 1 else f"{sign}{num}/({den}{dim})"


def name_coefficients(cs: Sequence[float], dims: Sequence[Mapping[str, int]]) -> list[str]:
    """Every short name that fits coefficient ``cs[i]`` at the dimensions ``dims[i]``.

    Names come simplest first: a constant small rational, then a rational
    times a dimension (``N``, ``2·K``), then over a dimension (``1/N``).
    With inputs from a single bucket, a constant and a dimension may both fit
    (``2`` and ``N`` when N = 2); inputs from several buckets tell them apart.

    >>> name_coefficients([8.0, 3.0], [{"N": 8, "D": 2}, {"N": 3, "D": 2}])
    ['N']
    >>> name_coefficients([0.5, 0.5], [{"N": 2}, {"N": 2}])
    ['1/2', '1/N']
    >>> name_coefficients([0.37, 0.41], [{"N": 2}, {"N": 3}])
    []
    """
    names = []
    for dim, power in _forms(dims[0] if dims else {}):
        ratios = []
        for c, d in zip(cs, dims, strict=True):
            if power and (dim not in d or d[dim] <= 1):  # a dimension of 1 names nothing
                ratios = None
                break
            ratios.append(c / float(d[dim]) ** power if power else c)
        if not ratios:
            continue
        r = rational(ratios[0])
        if r is None or (power and r not in DIM_FACTORS):
            continue
        if all(abs(x - float(r)) <= _match.get() * max(1.0, abs(x)) for x in ratios):
            names.append(_render(r, dim, power))
    return names

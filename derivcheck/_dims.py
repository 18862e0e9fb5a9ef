"""Dimensions in shape strings: a name (``D``), a number (``3``), or an affine
expression of one name (``K-1``, ``D+1``, ``2K``, ``2*K+1``).

A derived dimension follows its name in every shape bucket: with ``K = 4``,
``real("D K-1")`` has 3 columns. Only the names are drawn; the space keeps
each name's range high enough that every expression of it is at least 1.

Plain Python: no NumPy, no JAX.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping

__all__ = ["Dim", "DimError", "axis_length", "cover_classes", "lowest", "names_in", "parse_dim"]

_NAME = r"[A-Za-z_][A-Za-z_0-9]*"
_EXPR = re.compile(rf"^(?:(\d+)\*?)?({_NAME})(?:([+-])(\d+))?$")


class DimError(ValueError):
    """A dimension token that is neither a name, a number nor an affine expression."""


@dataclasses.dataclass(frozen=True)
class Dim:
    """One axis of a shape: ``scale * name + offset``, or the constant ``offset``.

    >>> d = parse_dim("K-1")
    >>> d.name, d.value({"K": 4}), d.min_name_value()
    ('K', 3, 2)
    """

    text: str
    name: str | None
    scale: int = 1
    offset: int = 0

    @property
    def derived(self) -> bool:
        """Whether this is an expression of a name rather than the name itself."""
        return self.name is not None and (self.scale, self.offset) != (1, 0)

    def value(self, bucket: Mapping[str, int]) -> int:
        """The axis length in a bucket (dimension name -> value)."""
        if self.name is None:
            return self.offset
        return self.scale * bucket[self.name] + self.offset

    def min_name_value(self) -> int:
        """The smallest value of the name for which this axis has length at least 1."""
        if self.name is None:
            return 1
        need = 1 - self.offset  # scale * n >= 1 - offset
        return max(1, -(-need // self.scale))


def parse_dim(token: str) -> Dim:
    """Parse one token of a shape string.

    >>> parse_dim("D"), parse_dim("3").offset, parse_dim("2*K+1").value({"K": 3})
    (Dim(text='D', name='D', scale=1, offset=0), 3, 7)

    Raises:
      DimError: for anything else, e.g. ``"K*K"`` or ``"1-K"``.
    """
    if token.isdigit():
        return Dim(token, None, 0, int(token))
    m = _EXPR.match(token)
    if not m:
        raise DimError(
            f"bad dimension {token!r}: use a name (D), a number (3) or an affine expression of "
            "one name without spaces (K-1, D+1, 2K)")
    scale = int(m.group(1)) if m.group(1) else 1
    if scale == 0:
        raise DimError(f"bad dimension {token!r}: a scale of 0 is not a dimension")
    offset = int(m.group(4) or 0) * (-1 if m.group(3) == "-" else 1)
    return Dim(token, m.group(2), scale, offset)


def axis_length(token: str, bucket: Mapping[str, int]) -> int:
    """The length of the axis ``token`` in a bucket.

    >>> axis_length("K-1", {"K": 3}), axis_length("4", {})
    (2, 4)
    """
    return parse_dim(token).value(bucket)


def names_in(tokens) -> set[str]:
    """The dimension names the tokens use (``{"K", "D"}`` for ``K-1 D+1``)."""
    return {d.name for d in map(parse_dim, tokens) if d.name is not None}


def lowest(tokens) -> dict[str, int]:
    """Per name, the smallest value for which every axis using it has length at least 1.

    >>> lowest(["K-1", "D+1", "K"])
    {'K': 2}
    """
    out: dict[str, int] = {}
    for d in map(parse_dim, tokens):
        if d.name is not None and d.min_name_value() > 1:
            out[d.name] = max(out.get(d.name, 1), d.min_name_value())
    return out


def cover_classes(bucket: dict[str, int], needs, ranges: Mapping[str, tuple[int, int]]
                  ) -> dict[str, int]:
    """``bucket`` with at least as many labels as classes for each ``(label dims, classes)``.

    The first dimension name of the labels grows (within its range) until the
    labels can hold every class; if it cannot, the class count shrinks to fit.

    >>> cover_classes({"N": 1, "K": 3}, [(("N",), "K")], {"N": (1, 6), "K": (2, 6)})
    {'N': 3, 'K': 3}
    """
    out = dict(bucket)

    def held(tokens):
        n = 1
        for t in tokens:
            n *= axis_length(t, out)
        return n

    for tokens, classes in needs:
        grow = next((d.name for d in map(parse_dim, tokens) if d.name is not None), None)
        while grow is not None and held(tokens) < out[classes] and \
                out[grow] < ranges[grow][1]:
            out[grow] += 1
        if held(tokens) < out[classes]:
            out[classes] = max(ranges[classes][0], held(tokens))
    return out

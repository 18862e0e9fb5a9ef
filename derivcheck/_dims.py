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

__all__ = ["Dim", "DimError", "parse_dim"]

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

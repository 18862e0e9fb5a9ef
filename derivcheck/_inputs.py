"""Inputs: one named array of a space, its kind, symbolic shape and options.

Build them with :func:`real`, :func:`positive`, :func:`simplex`,
:func:`one_hot`, :func:`labels`, :func:`binary` or :func:`counts`. A shape is a
string of dimension tokens: names (``N``), numbers (``3``) or affine
expressions of one name (``K-1``, ``D+1``; see :mod:`derivcheck._dims`).

Plain Python and NumPy: no JAX import.
"""

from __future__ import annotations

import dataclasses
import re

from ._counts import COUNT_KINDS
from ._dims import DimError, parse_dim
from ._kinds import KINDS, Kind

__all__ = ["Input", "SpaceError", "binary", "counts", "labels", "one_hot", "positive", "real",
           "simplex"]

#: Every input kind by name: those of ``_kinds.py`` and the counts.
_ALL_KINDS: dict[str, Kind] = {**KINDS, **COUNT_KINDS}

_DIM_NAME = re.compile(r"^[A-Za-z_][A-Za-z_0-9]*$")


class SpaceError(ValueError):
    """A space is declared inconsistently (bad shape string, dimension range)."""


def _parse_shape(shape: str) -> tuple[str, ...]:
    if not isinstance(shape, str):
        raise SpaceError(
            f"shape must be a string of dimension names such as 'N D', got {shape!r}"
        )
    dims = tuple(shape.split())
    for d in dims:
        try:
            parse_dim(d)
        except DimError as exc:
            raise SpaceError(f"{exc} (in shape {shape!r})") from None
    return dims


@dataclasses.dataclass(frozen=True)
class Input:
    """One named input of a space: its kind, symbolic shape and options.

    Build inputs with :func:`real`, :func:`positive`, :func:`simplex`,
    :func:`one_hot`, :func:`labels` or :func:`binary` rather than directly.
    ``kind`` is the kind's name; what the kind does lives in
    :attr:`kind_object` (see ``_kinds.py``).
    """

    kind: str
    dims: tuple[str, ...]
    classes: str | None = None
    nonzero: bool = False
    all_classes: bool = False

    @property
    def kind_object(self) -> Kind:
        """The :class:`~derivcheck._kinds.Kind` that draws, calms and shrinks this input."""
        return _ALL_KINDS[self.kind]

    @property
    def is_float(self) -> bool:
        return self.kind_object.is_float

    @property
    def varies(self) -> bool:
        """Whether values of this input follow the value regimes."""
        return self.kind_object.varies

    @property
    def differentiable(self) -> bool:
        """Whether the input may be the ``wrt`` of a gradient or Jacobian.

        >>> real("D").differentiable, one_hot("K").differentiable
        (True, False)
        """
        return self.kind_object.differentiable

    def shape_string(self) -> str:
        return " ".join(self.dims)

    def __repr__(self) -> str:
        extra = f", classes={self.classes!r}" if self.classes else ""
        extra += ", nonzero=True" if self.nonzero else ""
        extra += ", all_classes=True" if self.all_classes else ""
        return f"{self.kind}({self.shape_string()!r}{extra})"


def real(shape: str = "", *, nonzero: bool = False) -> Input:
    """Real arrays of any rank (``""`` is a scalar).

    Args:
      shape: dimension names separated by spaces, e.g. ``"N D"``.
      nonzero: keep every entry away from zero (for subgradients of ``|w|``).

    >>> real("N D")
    real('N D')
    """
    return Input("real", _parse_shape(shape), nonzero=nonzero)


def positive(shape: str = "") -> Input:
    """Strictly positive reals, e.g. a regularization strength ``lam > 0``.

    >>> positive()
    positive('')
    """
    return Input("positive", _parse_shape(shape))


def simplex(shape: str) -> Input:
    """Probability vectors: positive entries summing to one over the last axis.

    >>> simplex("K")
    simplex('K')
    """
    dims = _parse_shape(shape)
    if not dims:
        raise SpaceError("simplex needs at least one dimension, e.g. simplex('K')")
    return Input("simplex", dims)


def one_hot(shape: str) -> Input:
    """One-hot label rows over the last axis (float64 zeros and ones).

    >>> one_hot("N K")
    one_hot('N K')
    """
    dims = _parse_shape(shape)
    if not dims:
        raise SpaceError("one_hot needs at least one dimension, e.g. one_hot('N K')")
    return Input("one_hot", dims)


def labels(shape: str, *, classes: str, all_classes: bool = False) -> Input:
    """Integer class labels in ``[0, classes)``.

    Args:
      all_classes: every class occurs in every draw (for a model that counts
        the classes in its data); the space then keeps as many labels as
        classes in every bucket (``N ≥ K``).

    >>> labels("N", classes="K", all_classes=True)
    labels('N', classes='K', all_classes=True)
    """
    if not isinstance(classes, str) or not _DIM_NAME.match(classes):
        raise SpaceError(f"classes must name a dimension such as 'K', got {classes!r}")
    return Input("labels", _parse_shape(shape), classes=classes, all_classes=bool(all_classes))


def counts(shape: str) -> Input:
    """Non-negative integer counts as float64, e.g. a Poisson response ``y``.

    Every batch mixes small counts, many zeros and large counts.

    >>> counts("N")
    counts('N')
    """
    return Input("counts", _parse_shape(shape))


def binary(shape: str) -> Input:
    """Binary labels in {0, 1}, as float64.

    >>> binary("N")
    binary('N')
    """
    return Input("binary", _parse_shape(shape))

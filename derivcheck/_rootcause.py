"""Root causes: which line of a derivation is the mistake, and which lines only follow it.

A derivation is target = line 1 = line 2 = …; the engine judges every line
twice, against the truth (its status) and against the line before it (its
step). From those two verdicts alone this module tells apart:

- the **root cause**: the first wrong line, either a wrong first line or the
  first broken step (line k−1 → k);
- a **propagated** line: wrong, but its step holds, so it only inherits the
  error of the lines before it; it is listed under its root, not as an
  erratum of its own;
- a **break**: a later step that goes wrong on its own (a second mistake);
- a **repair**: a step from a wrong line back to a right one. The step itself
  does not hold, yet the line it reaches is right: two mistakes cancelled.

It also gives every erratum its class (``error``, ``notation``,
``propagated``): ``propagated`` is computed here, the other two are declared
in the proof file. Everything here is a pure function over the lines' verdicts.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Sequence
from typing import Any

from ._diagnose import SIGN_ERROR

__all__ = [
    "ERRATUM_CLASSES",
    "OPPOSITE_START",
    "ErratumClass",
    "RootCause",
    "Role",
    "analyse",
]


class ErratumClass(str, enum.Enum):
    """What kind of slip an erratum is.

    >>> ErratumClass("notation") == "notation"
    True
    """

    ERROR = "error"            # a mathematical mistake
    NOTATION = "notation"      # an index or symbol slip a reader fixes silently
    PROPAGATED = "propagated"  # a line that only inherits an earlier erratum

    __str__ = str.__str__
    __format__ = str.__format__
    __repr__ = str.__repr__


#: The classes in report order: distinct errors first.
ERRATUM_CLASSES = (ErratumClass.ERROR, ErratumClass.NOTATION, ErratumClass.PROPAGATED)

#: What a proof file may declare; ``propagated`` is computed, never declared.
DECLARABLE = (ErratumClass.ERROR.value, ErratumClass.NOTATION.value)


class Role(str, enum.Enum):
    """The part a line plays in a derivation that goes wrong somewhere."""

    ROOT = "root"              # the first wrong line: the root cause
    BREAK = "break"            # a later step that breaks on its own
    PROPAGATED = "propagated"  # wrong, but follows from the wrong line before it
    REPAIR = "repair"          # right again, after a wrong line

    __str__ = str.__str__
    __format__ = str.__format__
    __repr__ = str.__repr__



#: Said at the root when every line equals −truth.
OPPOSITE_START = ("the chain is right for the cost with the opposite sign; "
                  "the cost line likely lost its minus")

_WRONG = ("refuted", "error")


@dataclasses.dataclass(frozen=True)
class RootCause:
    """The root cause of a derivation and what follows from it.

    Attributes:
      line: the 1-based index of the root line.
      first_line: True when line 1 itself is wrong (no step broke).
      after: the lines after the root that are not simply right, in order, as
        ``(line, role, under)``: ``under`` is the root or break a propagated or
        repairing line belongs to.
      opposite_start: every line equals −truth: the chain is right for the
        opposite sign of what it differentiates.
    """

    line: int
    first_line: bool
    after: tuple[tuple[int, Role, int | None], ...] = ()
    opposite_start: bool = False

    def _with(self, role: Role) -> tuple[int, ...]:
        return tuple(k for k, r, _ in self.after if r is role)

    @property
    def propagated(self) -> tuple[int, ...]:
        """Lines that only inherit an error (their step holds)."""
        return self._with(Role.PROPAGATED)

    @property
    def breaks(self) -> tuple[int, ...]:
        """Later lines whose own step breaks (further mistakes)."""
        return self._with(Role.BREAK)

    @property
    def repairs(self) -> tuple[int, ...]:
        """Lines that are right again after a wrong line."""
        return self._with(Role.REPAIR)

    def describe(self) -> str:
        """One sentence for reports.

        >>> rc = RootCause(line=4, first_line=False, after=(
        ...     (5, Role.PROPAGATED, 4), (6, Role.BREAK, None), (7, Role.REPAIR, 6)))
        >>> for part in rc.describe().split("; "):
        ...     print(part)
        root cause: the step from line 3 to line 4
        line 5 only inherits it
        line 6 breaks again on its own
        line 7 repairs line 6
        """
        parts = ["root cause: line 1, a wrong first line" if self.first_line
                 else f"root cause: the step from line {self.line - 1} to line {self.line}"]
        if self.opposite_start:
            parts.append(OPPOSITE_START)
        groups: list[tuple[Role, int | None, list[int]]] = []
        for k, role, under in self.after:
            if groups and groups[-1][:2] == (role, under) and role is not Role.BREAK:
                groups[-1][2].append(k)
            else:
                groups.append((role, under, [k]))
        for role, under, ks in groups:
            ref = "it" if under == self.line else f"line {under}"
            if role is Role.PROPAGATED:
                parts.append(f"{_lines(ks)} only {_verb(ks, 'inherit')} {ref}")
            elif role is Role.REPAIR:
                parts.append(f"{_lines(ks)} {_verb(ks, 'repair')} {ref}")
            else:
                parts.append(f"{_lines(ks)} breaks again on its own")
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form.

        >>> RootCause(line=3, first_line=False).to_dict()["step"]
        [2, 3]
        """
        return {
            "line": self.line,
            "step": None if self.first_line else [self.line - 1, self.line],
            "propagated": list(self.propagated),
            "breaks": list(self.breaks),
            "repairs": list(self.repairs),
            "opposite_start": self.opposite_start,
            "text": self.describe(),
        }


def _lines(idx: Sequence[int]) -> str:
    if len(idx) == 1:
        return f"line {idx[0]}"
    return "lines " + ", ".join(str(i) for i in idx[:-1]) + f" and {idx[-1]}"


def _verb(idx: Sequence[int], verb: str) -> str:
    return verb + ("s" if len(idx) == 1 else "")


@dataclasses.dataclass(frozen=True)
class Analysis:
    """Per line (in order): role, the line it is listed under, resolved erratum class."""

    roles: tuple[Role | None, ...]
    under: tuple[int | None, ...]
    classes: tuple[ErratumClass | None, ...]
    root: RootCause | None
    claim_class: ErratumClass | None


def _wrong(status: Any) -> bool:
    return str(status) in _WRONG


def roles_of(statuses: Sequence[Any], steps: Sequence[str | None]) -> tuple[
        tuple[Role | None, ...], tuple[int | None, ...]]:
    """Role of each line of a derivation from its status and its step verdict.

    Args:
      statuses: each line's status against the truth.
      steps: each line's step verdict against the line before it ("holds",
        "fails", or None when it could not be judged); ignored for line 1.

    Returns:
      The roles, and for each propagated or repairing line the 1-based index of
      the root or break it belongs to.

    >>> roles_of(["verified", "refuted", "refuted", "verified"],
    ...          [None, "fails", "holds", "fails"])  # doctest: +NORMALIZE_WHITESPACE
    ((None, 'root', 'propagated', 'repair'), (None, None, 2, 2))
    """
    roles: list[Role | None] = []
    under: list[int | None] = []
    anchor: int | None = None
    for k, status in enumerate(statuses):
        wrong, prev_wrong = _wrong(status), k > 0 and _wrong(statuses[k - 1])
        if wrong and prev_wrong and steps[k] == "holds":
            roles.append(Role.PROPAGATED)
            under.append(anchor)
        elif wrong:
            roles.append(Role.ROOT if anchor is None else Role.BREAK)
            under.append(None)
            anchor = k + 1
        elif prev_wrong:
            roles.append(Role.REPAIR)
            under.append(anchor)
        else:
            roles.append(None)
            under.append(None)
    return tuple(roles), tuple(under)


def analyse(lines: Sequence[Any], *, declared: Sequence[str | None],
            derivation: bool) -> Analysis:
    """Roles, root cause and erratum classes of one claim's lines.

    Args:
      lines: the claim's line verdicts (``status``, ``step_status``,
        ``erratum`` and ``diagnosis`` are read).
      declared: the erratum class each line declares, or None.
      derivation: whether the lines form a chain (a :class:`Derivation`).

    Returns:
      An :class:`Analysis`. A line that is not an erratum has class None; an
      erratum that only inherits the line before it is ``propagated`` whatever
      it declares; any other erratum has its declared class, ``error`` if none.
    """
    n = len(lines)
    if derivation:
        roles, under = roles_of([ln.status for ln in lines],
                                [getattr(ln, "step_status", None) for ln in lines])
    else:
        roles, under = (None,) * n, (None,) * n
    classes: list[ErratumClass | None] = []
    for ln, role, dec in zip(lines, roles, declared, strict=True):
        if ln.erratum is None:
            classes.append(None)
        elif role is Role.PROPAGATED:
            classes.append(ErratumClass.PROPAGATED)
        else:
            classes.append(ErratumClass(dec or ErratumClass.ERROR))
    root = None
    if Role.ROOT in roles:
        k = roles.index(Role.ROOT)
        opposite = (k == 0 and all(_wrong(ln.status) for ln in lines)
                    and all(ln.diagnosis == SIGN_ERROR for ln in lines))
        root = RootCause(
            line=k + 1, first_line=k == 0,
            after=tuple((i + 1, roles[i], under[i]) for i in range(k + 1, n)
                        if roles[i] is not None),
            opposite_start=opposite)
    if root is not None:
        claim_class = classes[root.line - 1]
    else:
        claim_class = next((c for c in classes if c is not None), None)
    return Analysis(roles=roles, under=under, classes=tuple(classes), root=root,
                    claim_class=claim_class)

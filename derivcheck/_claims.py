"""Claims: what a derivation asserts, declared lazily and checked later.

Every claim is a *truth* (autodiff of a function, or a reference expression)
plus one or more *lines*, each a hand-written expression that should equal the
truth. A gradient claim has one line (the claimed gradient); a derivation has
one line per step of the chain. Any line may be an *erratum*: expected to be
refuted, with a one-line note and, ideally, a ``fix`` line that verifies. No JAX
here: claims only hold functions and text.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from typing import Any

from ._rootcause import DECLARABLE
from ._space import Space
from ._targets import ClaimKind, Gradient, Jacobian, Property, Target, Value
from ._targets import _Target as _Target
from ._verdict import Status

__all__ = [
    "STATUSES",
    "Claim",
    "ClaimError",
    "Derivation",
    "Line",
    "equal",
    "gradient",
    "grad_of",
    "holds",
    "jacobian",
    "jacobian_of",
]

STATUSES = tuple(s.value for s in Status)


class ClaimError(ValueError):
    """A claim is declared inconsistently (unknown input, bad option)."""


@dataclasses.dataclass
class Line:
    """One hand-written expression: its LaTeX and a function of the inputs.

    Args:
      latex: the expression exactly as the source writes it.
      fn: computes the expression from the inputs, taken by name. Without
        it the line is compiled from its LaTeX with the notation the proof
        file names (``NOTATION = "notation/x.toml"``); with both, the file's
        notation also checks that the code says what the LaTeX says.

    The options below are keyword-only (``Line("x", f, erratum="...")``).

    Args:
      erratum: a one-line note if the line is wrong as written; the line is
        then expected to be refuted.
      expect: the expected status when it is not ``"verified"`` (for example
        ``"unstable"`` for a correct but overflow-prone literal formula).
      fix: the corrected line, shown beside an erratum; it must verify.
      note: a comment on how the line was read.
      erratum_class: what kind of slip the erratum is: ``"error"`` (a
        mathematical mistake, the default) or ``"notation"`` (an index or
        symbol slip a reader fixes silently). ``"propagated"`` (a line that
        only inherits an earlier erratum) is computed, never declared.
      reading: for a ``"notation"`` erratum, how a reader reads the line.

    >>> Line(r"\\hat y - y", lambda yhat, y: yhat - y).expected
    'verified'
    >>> Line("3x", lambda x: 3 * x, erratum="3 for 2", erratum_class="notation",
    ...      reading="2x").erratum_class
    'notation'
    """

    latex: str
    fn: Callable[..., Any] | None = None
    _: dataclasses.KW_ONLY
    erratum: str | None = None
    expect: str | None = None
    fix: Line | None = None
    note: str | None = None
    erratum_class: str | None = None
    reading: str | None = None

    def __post_init__(self) -> None:
        if self.fn is not None and not callable(self.fn):
            raise ClaimError(f"line {self.latex!r}: fn must be callable, got {self.fn!r}")
        if self.expect is not None and self.expect not in STATUSES:
            raise ClaimError(f"line {self.latex!r}: expect must be one of {STATUSES}")
        if self.erratum is not None and self.expect not in (None, "refuted"):
            raise ClaimError(f"line {self.latex!r}: an erratum is expected to be refuted")
        if isinstance(self.fix, Line) and self.fix.erratum:
            raise ClaimError(f"line {self.latex!r}: a fix cannot itself be an erratum")
        self._check_class()

    def _check_class(self) -> None:
        where = f"line {self.latex!r}"
        if self.erratum_class is None:
            if self.reading is not None and self.erratum is None:
                raise ClaimError(f"{where}: reading= goes with an erratum; add erratum=...")
            return
        if self.erratum_class == "propagated":
            raise ClaimError(f"{where}: erratum_class='propagated' is computed by derivcheck "
                             "(a line whose step from a wrong line holds); declare 'error' or "
                             "'notation', or nothing")
        if self.erratum_class not in DECLARABLE:
            raise ClaimError(f"{where}: erratum_class must be one of {DECLARABLE}, "
                             f"got {self.erratum_class!r}")
        if self.erratum is None:
            raise ClaimError(f"{where}: erratum_class= needs an erratum; add erratum='what is "
                             "wrong'")
        if self.erratum_class == "notation" and not self.reading:
            raise ClaimError(f"{where}: a notation erratum says how the line is read; add "
                             "reading='...'")

    @property
    def expected(self) -> Status:
        if self.erratum is not None:
            return Status.REFUTED
        return Status(self.expect or "verified")


Wrt = str | Sequence[str]


def _wrt(wrt: Wrt) -> str | tuple[str, ...]:
    """``wrt`` as given: one name, or a tuple of names (a list becomes a tuple)."""
    if isinstance(wrt, str):
        return wrt
    try:
        names = tuple(wrt)
    except TypeError:
        raise ClaimError(f"wrt must name an input or be a tuple of names, got {wrt!r}") from None
    if not names or not all(isinstance(n, str) for n in names):
        raise ClaimError(f"wrt must name an input or be a tuple of names, got {wrt!r}")
    if len(set(names)) != len(names):
        raise ClaimError(f"wrt={names!r} names an input twice")
    return names


def grad_of(f: Callable[..., Any], *, wrt: Wrt, flat: bool = False) -> Target:
    """Truth ``jax.grad(f)`` with respect to input ``wrt``, for a :class:`Derivation`.

    ``wrt`` may be a tuple of inputs: the lines then return a tuple of blocks,
    or one packed vector with ``flat=True`` (see :func:`gradient`).

    >>> grad_of(lambda x: (x ** 2).sum(), wrt="x").wrt
    'x'
    """
    return Gradient(f, _wrt(wrt), flat)


def jacobian_of(fn: Callable[..., Any], *, wrt: Wrt, flat: bool = False) -> Target:
    """Truth ``jax.jacobian(fn)`` with respect to input ``wrt``.

    The Jacobian has shape ``out.shape + wrt.shape``: entry ``[i, m]`` is
    ``∂out_i / ∂wrt_m``.

    >>> jacobian_of(lambda z: 2 * z, wrt="z").wrt
    'z'
    """
    return Jacobian(fn, _wrt(wrt), flat)


class Claim:
    """A checkable statement over a :class:`Space`.

    Build claims with :func:`gradient`, :func:`jacobian`, :func:`equal`,
    :func:`holds` or :class:`Derivation`; check them with :func:`derivcheck.check`
    (a Result) or :func:`derivcheck.assert_claim` (raises unless verified).
    """

    def __init__(self, *, kind: str | ClaimKind, target: Target, lines: Sequence[Line],
                 space: Space,
                 id: str | None = None, latex: str = "", source: str = "",
                 note: str | None = None, rtol: float | None = None,
                 subgradient: bool = True) -> None:
        if not isinstance(space, Space):
            raise ClaimError(f"space must be a dc.Space, got {type(space).__name__}")
        if not lines:
            raise ClaimError("a claim needs at least one line")
        self.kind = ClaimKind(kind)
        self.target = target
        self.lines = list(lines)
        self.space = space
        self.id = id
        self.latex = latex
        self.source = source
        self.note = note
        self.subgradient = bool(subgradient)  # accept a valid subgradient at a kink
        self.file: str | None = None
        if rtol is not None and not (isinstance(rtol, (int, float)) and 0 < rtol < 1):
            raise ClaimError(f"rtol must be a number between 0 and 1, got {rtol!r}")
        #: The claim's own tolerance on the normalized error, if it declares one.
        self.rtol = None if rtol is None else float(rtol)
        if getattr(target, "flat", False) and target.wrt is None:
            raise ClaimError("flat=True needs wrt=: it lays out a derivative")
        for name in target.wrt_names:
            if name not in space:
                raise ClaimError(
                    f"wrt={name!r} is not an input of the space "
                    f"(it has {', '.join(space.names)})")
            if not space.inputs[name].differentiable:
                raise ClaimError(
                    f"wrt={name!r} is a {space.inputs[name].kind} input; "
                    "differentiate with respect to a real, positive or simplex input")
        for extra in target.extra_inputs:
            if extra not in space:
                raise ClaimError(
                    f"{extra!r} is not an input of the space (it has "
                    f"{', '.join(space.names)}); declare it, e.g. {extra}=dc.real(...) "
                    "with the shape it needs")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.qualname} ({self.kind}, {len(self.lines)} line(s))>"

    @property
    def qualname(self) -> str:
        name = self.id or "<unnamed>"
        return f"{self.file}::{name}" if self.file else name

    @property
    def expected(self) -> Status:
        """The status the whole claim should get, from its lines' expectations."""
        return Status.worst(ln.expected for ln in self.lines)


def _one_line(claimed, *, latex, erratum, expect, fix, note, erratum_class=None,
              reading=None) -> Line:
    return Line(latex, claimed, erratum=erratum, expect=expect, fix=fix, note=note,
                erratum_class=erratum_class, reading=reading)


def output(fn: Callable[..., Any], index: int, *, count: int | None = None,
           what: str = "values") -> Callable[..., Any]:
    """``fn``'s output number ``index``, as a function with ``fn``'s signature (so inputs
    still bind by name) that keeps a :func:`~derivcheck.numpy_fn` mark.

    >>> first = output(lambda a, b: (a + b, a - b), 0, count=2)
    >>> first(a=3, b=1)
    4
    """
    @functools.wraps(fn)
    def part(*args: Any, **kwargs: Any) -> Any:
        out = fn(*args, **kwargs)
        if count == 1 and not isinstance(out, (tuple, list)):
            return out
        if not isinstance(out, (tuple, list)) or (count is not None and len(out) != count):
            got = f"{len(out)} values" if isinstance(out, (tuple, list)) else "one array"
            raise ClaimError(f"returns {got}; it should return {count} {what}, in order")
        return out[index]

    return part


def gradient(f: Callable[..., Any], grad: Callable[..., Any] | None = None, *, space: Space,
             wrt: Wrt, flat: bool = False, rtol: float | None = None,
             id: str | None = None, latex: str = "", source: str = "",
             erratum: str | None = None, expect: str | None = None,
             fix: Line | None = None, note: str | None = None,
             erratum_class: str | None = None, reading: str | None = None,
             subgradient: bool = True) -> Claim:
    """Claim that ``grad(**inputs)`` equals ``jax.grad(f)`` with respect to ``wrt``.

    Without ``grad``, ``f`` returns ``(loss, gradient)``, as course assignments
    write it. ``f`` may be NumPy code that JAX cannot trace: the truth is then
    taken by finite differences (:func:`derivcheck.numpy_fn`).

    ``wrt`` may be a tuple of inputs, e.g. ``("beta", "alpha")``: ``grad`` then
    returns a tuple with one block per input, or, with ``flat=True``, one
    vector holding each block raveled and concatenated in the order of
    ``wrt`` (the layout of a library's flattened parameters). ``flat=True``
    also applies to one input. ``rtol`` declares the claim's own tolerance
    (for an approximation by design, such as finite differences).

    >>> import derivcheck as dc
    >>> c = dc.gradient(lambda x: (x ** 2).sum(), lambda x: 2 * x,
    ...                 space=dc.Space(x=dc.real("D")), wrt="x", id="square")
    >>> c.kind, c.expected
    ('gradient', 'verified')
    >>> dc.gradient(lambda x: ((x ** 2).sum(), 2 * x), space=dc.Space(x=dc.real("D")),
    ...             wrt="x").kind
    'gradient'
    """
    if grad is None:
        f, grad = (output(f, 0, count=2, what="values (loss, gradient)"),
                   output(f, 1, count=2, what="values (loss, gradient)"))
    line = _one_line(grad, latex=latex, erratum=erratum, expect=expect, fix=fix, note=note,
                     erratum_class=erratum_class, reading=reading)
    return Claim(kind=ClaimKind.GRADIENT, target=Gradient(f, _wrt(wrt), flat), lines=[line],
                 space=space, id=id, latex=latex, source=source, note=note, rtol=rtol,
                 subgradient=subgradient)


def jacobian(fn: Callable[..., Any], jac: Callable[..., Any], *, space: Space, wrt: Wrt,
             flat: bool = False, rtol: float | None = None,
             id: str | None = None, latex: str = "", source: str = "",
             erratum: str | None = None, expect: str | None = None,
             fix: Line | None = None, note: str | None = None,
             erratum_class: str | None = None, reading: str | None = None,
             subgradient: bool = True) -> Claim:
    """Claim that ``jac(**inputs)`` equals ``jax.jacobian(fn)`` with respect to ``wrt``.

    ``wrt``, ``flat`` and ``rtol`` as for :func:`gradient`. Over a tuple of
    inputs the Jacobian has shape ``out.shape + (P,)``; with ``flat=True``,
    ``(M, P)``, ``M`` the size of the output (a tuple's outputs stacked).

    >>> import derivcheck as dc, jax.numpy as jnp
    >>> c = dc.jacobian(lambda z: 3 * z, lambda z: 3 * jnp.eye(z.shape[0]),
    ...                 space=dc.Space(z=dc.real("K")), wrt="z")
    >>> c.kind
    'jacobian'
    """
    line = _one_line(jac, latex=latex, erratum=erratum, expect=expect, fix=fix, note=note,
                     erratum_class=erratum_class, reading=reading)
    return Claim(kind=ClaimKind.JACOBIAN, target=Jacobian(fn, _wrt(wrt), flat), lines=[line],
                 space=space, id=id, latex=latex, source=source, note=note, rtol=rtol,
                 subgradient=subgradient)


def equal(lhs: Callable[..., Any], rhs: Callable[..., Any], *, space: Space,
          id: str | None = None, latex: str = "", source: str = "",
          erratum: str | None = None, expect: str | None = None,
          fix: Line | None = None, note: str | None = None,
          erratum_class: str | None = None, reading: str | None = None) -> Claim:
    """Claim the identity ``lhs(**inputs) == rhs(**inputs)`` (to float64 tolerance).

    >>> import derivcheck as dc
    >>> c = dc.equal(lambda a, b: a * b, lambda a, b: b * a,
    ...              space=dc.Space(a=dc.real(), b=dc.real()))
    >>> c.kind
    'equality'
    """
    line = _one_line(rhs, latex=latex, erratum=erratum, expect=expect, fix=fix, note=note,
                     erratum_class=erratum_class, reading=reading)
    return Claim(kind=ClaimKind.EQUALITY, target=Value(lhs), lines=[line], space=space,
                 id=id, latex=latex, source=source, note=note)


def holds(predicate: Callable[..., Any], *, space: Space, id: str | None = None,
          latex: str = "", source: str = "", erratum: str | None = None,
          expect: str | None = None, fix: Line | None = None,
          note: str | None = None, erratum_class: str | None = None,
          reading: str | None = None) -> Claim:
    """Claim that ``predicate(**inputs)`` is true (every entry, if an array).

    For qualitative statements with a checkable core, such as "the factor is
    less than 1" or "the objective is convex" (a Hessian with no negative
    eigenvalue). The predicate carries its own tolerance.

    >>> import derivcheck as dc
    >>> c = dc.holds(lambda p: p.sum() > 0, space=dc.Space(p=dc.simplex("K")))
    >>> c.kind
    'property'
    """
    line = _one_line(predicate, latex=latex, erratum=erratum, expect=expect, fix=fix,
                     note=note, erratum_class=erratum_class, reading=reading)
    return Claim(kind=ClaimKind.PROPERTY, target=Property(None), lines=[line],
                 space=space, id=id, latex=latex, source=source, note=note)


class Derivation(Claim):
    """An ordered chain: target = line 1 = line 2 = ... = final line.

    Each line is checked against the truth and against the line before it;
    the verdict names the first line that breaks.

    Args:
      target: the truth, either :func:`grad_of` / :func:`jacobian_of` or a
        plain function whose value the chain rewrites.
      lines: the steps, as :class:`Line` objects, in the order written.
      space: the input space.
      latex: the LaTeX of the target, e.g. ``r"\\frac{\\partial J}{\\partial W}"``.
      source: the seed file and the section heading.

    >>> import derivcheck as dc
    >>> d = dc.Derivation(
    ...     target=dc.grad_of(lambda x: (x ** 2).sum(), wrt="x"),
    ...     lines=[dc.Line("2x", lambda x: 2 * x), dc.Line("x + x", lambda x: x + x)],
    ...     space=dc.Space(x=dc.real("D")), id="square")
    >>> d.kind, len(d.lines)
    ('derivation', 2)
    """

    def __init__(self, *, target: Target | Callable[..., Any], lines: Sequence[Line],
                 space: Space, id: str | None = None, latex: str = "", source: str = "",
                 note: str | None = None, subgradient: bool = True) -> None:
        if not isinstance(target, Target):
            if not callable(target):
                raise ClaimError("target must be dc.grad_of(...), dc.jacobian_of(...) "
                                 "or a function of the inputs")
            target = Value(target)
        for i, ln in enumerate(lines):
            if not isinstance(ln, Line):
                raise ClaimError(f"line {i + 1} of a derivation must be a dc.Line, got {ln!r}")
        super().__init__(kind=ClaimKind.DERIVATION, target=target, lines=lines, space=space, id=id,
                         latex=latex, source=source, note=note, subgradient=subgradient)

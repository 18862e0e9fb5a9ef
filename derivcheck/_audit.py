"""Mutation audit: would the check notice if a verified line were wrong?

For every line that the normal check verifies, the audit builds *mutants* of
the hand-written side, each a small, typical mistake, and checks them with
the same engine against the same truth. A mutant the check refutes is
*killed*; one it verifies *survived*, unless it is *equivalent*: equal to the
original line on every input of a larger search, so presumably on the whole
space, where no check could tell them apart.

Mutant operators (every mutant wraps the line's function; no source is
rewritten):

- ``sign``: ``-line``.
- ``scale 2``, ``scale 1/2``, ``scale N``, ``scale 1/N``: ``N`` is the first
  dimension named ``N``, ``m`` or ``M``, else the first dimension of the first
  input of rank >= 2 (read from the input's shape at run time); the two ``N``
  mutants are skipped when there is no such dimension.
- ``transpose``: ``line.T`` when the line's value is 2-D.
- ``drop term``: the line is traced with :func:`jax.make_jaxpr`; the
  floating-point additive equation (``add``, ``sub``, ``add_any``; integer
  adds are index arithmetic, not terms) nearest to the output in the trace
  (breadth-first from the output, library functions such as
  ``jax.nn.log_softmax`` staying opaque when JAX keeps them as calls) is
  found, and the jaxpr is re-evaluated with that equation replaced by one
  operand: ``a ± b → a`` (left kept) and
  ``a + b → b``, ``a - b → -b`` (right kept). So one term really disappears.
  Functions JAX cannot trace get no such mutant.
- ``swap``: two label-like inputs (one-hot, simplex or binary) of the same
  shape exchanged, e.g. ``y`` and ``ŷ`` when ``ŷ`` is a simplex input; and a
  binary input ``y`` replaced by ``1 - y``. (When ``ŷ`` is computed inside the
  line, ``ŷ - y ↔ y - ŷ`` of a linear residual is the ``sign`` mutant.)
- ``class shift``: the line evaluated with a one-hot or simplex input rolled
  by one class (``jnp.roll(y, 1, axis=-1)``) or integer labels shifted
  (``(c + 1) mod K``); and the line's value rolled by one along each axis whose
  length is a class dimension (matched by size in a shape bucket where that
  size is unique).
- ``λ×2``, ``λ/2``: the line evaluated with a positive scalar input it takes
  doubled or halved.

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

from __future__ import annotations

import dataclasses
import inspect
import time
import traceback
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.extend import core as jcore

from ._claims import Claim, Line, _Target, bind
from ._engine import in_float64
from ._profiles import Profile, get_profile
from ._space import Space, _class_dims

__all__ = ["AuditReport", "ClaimAudit", "Mutant", "audit_catalog", "audit_claim", "mutants_of"]

_ADDITIVE = ("add", "sub", "add_any")
_N_NAMES = ("N", "m", "M")


@dataclasses.dataclass
class Mutant:
    """One mutant of one line, and what the check made of it.

    Attributes:
      line: which line, e.g. ``"line 3"`` or ``"line 2 fix"``.
      operator: the mutation, e.g. ``"sign"``, ``"scale N"``, ``"drop term"``.
      detail: what exactly changed, e.g. ``"N = dim N (axis 0 of X)"``.
      status: the engine's verdict on the mutant ("" before it is checked).
      outcome: ``"killed"``, ``"survived"``, ``"equivalent"`` or ``"invalid"``.
      message: the engine's message, or why the mutant is invalid.
    """

    line: str
    operator: str
    detail: str = ""
    fn: Callable[..., Any] | None = dataclasses.field(default=None, repr=False)
    status: str = ""
    outcome: str = ""
    message: str | None = None

    @property
    def name(self) -> str:
        return f"{self.line}: {self.operator}" + (f" ({self.detail})" if self.detail else "")

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "operator": self.operator, "detail": self.detail,
                "status": self.status, "outcome": self.outcome, "message": self.message}


@dataclasses.dataclass
class ClaimAudit:
    """The mutants of one claim's verified lines."""

    claim: str
    status: str                     # the normal check's verdict on the claim
    lines: list[str] = dataclasses.field(default_factory=list)  # lines audited
    mutants: list[Mutant] = dataclasses.field(default_factory=list)
    skipped: str | None = None      # why nothing was audited
    seconds: float = 0.0
    compilations: int = 0
    trace: str | None = dataclasses.field(default=None, repr=False)  # if the audit failed

    def count(self, outcome: str) -> int:
        return sum(m.outcome == outcome for m in self.mutants)

    @property
    def kill_rate(self) -> float | None:
        """killed / (killed + survived): equivalent and invalid mutants excluded."""
        k, s = self.count("killed"), self.count("survived")
        return k / (k + s) if k + s else None

    def to_dict(self) -> dict[str, Any]:
        return {"claim": self.claim, "status": self.status, "lines": self.lines,
                "skipped": self.skipped, "killed": self.count("killed"),
                "survived": self.count("survived"), "equivalent": self.count("equivalent"),
                "invalid": self.count("invalid"), "kill_rate": self.kill_rate,
                "seconds": round(self.seconds, 4), "compilations": self.compilations,
                "mutants": [m.to_dict() for m in self.mutants]}


@dataclasses.dataclass
class AuditReport:
    """A whole audit: per-claim audits, load errors, and whether it was cut short."""

    claims: list[ClaimAudit]
    load_errors: list = dataclasses.field(default_factory=list)
    profile: str = "quick"
    seed: int = 0
    seconds: float = 0.0
    interrupted: bool = False
    not_run: list[str] = dataclasses.field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        tot = {o: sum(c.count(o) for c in self.claims)
               for o in ("killed", "survived", "equivalent", "invalid")}
        denom = tot["killed"] + tot["survived"]
        return {"claims": len(self.claims),
                "audited": sum(1 for c in self.claims if c.mutants),
                "lines": sum(len(c.lines) for c in self.claims),
                "mutants": sum(len(c.mutants) for c in self.claims), **tot,
                "killed_as_unstable": sum(1 for c in self.claims for m in c.mutants
                                          if m.outcome == "killed" and m.status == "unstable"),
                "kill_rate": tot["killed"] / denom if denom else None,
                "load_errors": len(self.load_errors), "not_run": len(self.not_run),
                "seconds": round(self.seconds, 2)}

    @property
    def exit_code(self) -> int:
        """2: a file failed to load; 1: a mutant survived or the run was cut short; else 0."""
        if self.load_errors:
            return 2
        if self.interrupted or any(c.count("survived") for c in self.claims):
            return 1
        return 0

    def to_dict(self, *, timings: bool = True) -> dict[str, Any]:
        claims = [c.to_dict() for c in self.claims]
        summary = self.summary()
        if not timings:
            for c in claims:
                c["seconds"] = 0.0
            summary["seconds"] = 0.0
        return {"profile": self.profile, "seed": self.seed, "interrupted": self.interrupted,
                "claims": claims,
                "load_errors": [{"file": e.file, "message": e.message} for e in self.load_errors],
                "not_run": self.not_run, "summary": summary}

    def render_text(self, *, quiet: bool = False) -> str:
        out = []
        for c in self.claims:
            if c.skipped:
                if not quiet:
                    out.append(f"- {c.claim}: not audited ({c.skipped})")
                continue
            rate = "-" if c.kill_rate is None else f"{100 * c.kill_rate:.0f}%"
            head = (f"{'✓' if not c.count('survived') else '✗'} {c.claim}: "
                    f"{c.count('killed')}/{c.count('killed') + c.count('survived')} killed "
                    f"({rate}), {c.count('equivalent')} equivalent"
                    + (f", {c.count('invalid')} invalid" if c.count("invalid") else "")
                    + f"; {len(c.lines)} line(s), {c.seconds:.1f}s")
            if quiet and not c.count("survived"):
                continue
            out.append(head)
            for m in c.mutants:
                if m.outcome == "survived":
                    out.append(f"    SURVIVED   {m.name}")
                elif m.outcome == "equivalent" and not quiet:
                    out.append(f"    equivalent {m.name}")
                elif m.outcome == "invalid" and not quiet:
                    out.append(f"    invalid    {m.name}: {m.message}")
                elif m.status == "unstable" and not quiet:
                    out.append(f"    killed only as unstable: {m.name}")
        for e in self.load_errors:
            out.append(f"load error: {e}")
        s = self.summary()
        rate = "-" if s["kill_rate"] is None else f"{100 * s['kill_rate']:.1f}%"
        tail = (f"{s['killed']}/{s['killed'] + s['survived']} mutants killed ({rate}); "
                f"{s['survived']} survived, {s['equivalent']} equivalent, {s['invalid']} invalid; "
                f"{s['lines']} lines of {s['audited']} claims audited ({s['claims']} claims); "
                f"{self.seconds:.1f}s, profile {self.profile}, seed {self.seed}")
        if self.interrupted:
            tail = f"INTERRUPTED ({len(self.not_run)} claims not run). " + tail
        out.append(tail)
        return "\n".join(out) + "\n"


# -- reading dimensions at run time ---------------------------------------------

def _dim_reader(space: Space, dim: str) -> tuple[Callable[[dict], int], str] | None:
    """A function reading dimension ``dim`` from the inputs' shapes, and where it reads."""
    if dim.isdigit():
        return (lambda inputs: int(dim)), dim
    for name, inp in space.inputs.items():
        if dim in inp.dims:
            axis = inp.dims.index(dim)
            return (lambda inputs, n=name, a=axis: int(np.shape(inputs[n])[a])), \
                f"axis {axis} of {name}"
    return None


def _count_dim(space: Space) -> str | None:
    dims = [d for inp in space.inputs.values() for d in inp.dims]
    for name in _N_NAMES:
        if name in dims:
            return name
    for inp in space.inputs.values():
        if len(inp.dims) >= 2:
            return inp.dims[0]
    return None


def _probe_bucket(space: Space) -> dict[str, int]:
    """A shape bucket whose dimensions are pairwise different, if one is near."""
    for b in range(1, 9):
        bucket = space.bucket(b)
        vals = list(bucket.values())
        if len(set(vals)) == len(vals):
            return bucket
    return space.bucket(1)


def _takes(fn: Callable[..., Any], name: str) -> bool:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return True
    return any(p.name == name or p.kind is inspect.Parameter.VAR_KEYWORD for p in params)


# -- the mutant functions ---------------------------------------------------------

def _value_mutant(f: Callable[[dict], Any], op: Callable[[Any, dict], Any]):
    def mutant(**inputs):
        return op(f(inputs), inputs)
    return mutant


def _input_mutant(f: Callable[[dict], Any], name: str, change: Callable[[Any, dict], Any]):
    def mutant(**inputs):
        return f({**inputs, name: change(inputs[name], inputs)})
    return mutant


def _swap_mutant(f: Callable[[dict], Any], a: str, b: str):
    def mutant(**inputs):
        return f({**inputs, a: inputs[b], b: inputs[a]})
    return mutant


def _additive_eqn(jaxpr) -> int | None:
    """Index of the add/sub equation nearest to the output (breadth-first)."""
    producer = {}
    for k, eqn in enumerate(jaxpr.eqns):
        for v in eqn.outvars:
            producer[v] = k
    queue = [v for v in jaxpr.outvars if not isinstance(v, jcore.Literal)]
    seen = set()
    while queue:
        v = queue.pop(0)
        k = producer.get(v)
        if k is None or k in seen:
            continue
        seen.add(k)
        eqn = jaxpr.eqns[k]
        if eqn.primitive.name in _ADDITIVE and len(eqn.invars) == 2 and \
                jnp.issubdtype(eqn.outvars[0].aval.dtype, jnp.floating):
            return k  # a term of the formula (integer adds are index arithmetic)
        queue.extend(u for u in eqn.invars if not isinstance(u, jcore.Literal))
    return None


def _eval_dropping(closed, args: Sequence[Any], target: int, keep: int) -> list[Any]:
    """Evaluate ``closed`` with equation ``target`` replaced by its operand ``keep``."""
    jaxpr = closed.jaxpr
    env: dict = {}

    def read(v):
        return v.val if isinstance(v, jcore.Literal) else env[v]

    for v, c in zip(jaxpr.constvars, closed.consts, strict=True):
        env[v] = c
    for v, a in zip(jaxpr.invars, args, strict=True):
        env[v] = a
    for k, eqn in enumerate(jaxpr.eqns):
        invals = [read(v) for v in eqn.invars]
        if k == target:
            aval = eqn.outvars[0].aval
            kept = invals[keep]
            if keep == 1 and eqn.primitive.name == "sub":
                kept = -kept
            outs = [jnp.broadcast_to(jnp.asarray(kept, aval.dtype), aval.shape)]
        else:
            params = eqn.primitive.get_bind_params(eqn.params)
            if isinstance(params, tuple):  # older JAX: (subfuns, params)
                subfuns, params = params
                invals = [*subfuns, *invals]
            with eqn.ctx.manager:
                outs = eqn.primitive.bind(*invals, **params)
            if not eqn.primitive.multiple_results:
                outs = [outs]
        for v, o in zip(eqn.outvars, outs, strict=True):
            if not isinstance(v, jcore.DropVar):
                env[v] = o
    return [read(v) for v in jaxpr.outvars]


def _drop_mutant(f: Callable[[dict], Any], keep: int):
    def mutant(**inputs):
        names = sorted(inputs)
        spec = [jax.ShapeDtypeStruct(np.shape(inputs[n]), jnp.asarray(inputs[n]).dtype)
                for n in names]
        closed = jax.make_jaxpr(lambda *xs: f(dict(zip(names, xs, strict=True))))(*spec)
        target = _additive_eqn(closed.jaxpr)
        if target is None:
            raise ValueError("no additive term in this line's trace")
        (out,) = _eval_dropping(closed, [inputs[n] for n in names], target, keep)
        return out
    return mutant


def _roll_labels(k_reader):
    def change(c, inputs):
        return (c + 1) % k_reader(inputs)
    return change


def _shape_of(f: Callable[[dict], Any], x: dict) -> jax.ShapeDtypeStruct:
    """The output's shape, abstractly if JAX can trace ``f``, else by calling it."""
    try:
        return jax.eval_shape(f, x)
    except (jax.errors.TracerArrayConversionError, jax.errors.ConcretizationTypeError,
            jax.errors.TracerBoolConversionError, jax.errors.TracerIntegerConversionError):
        return np.asarray(f({k: np.asarray(v) for k, v in x.items()}))


@in_float64
def mutants_of(line: Line, space: Space, *, where: str, label: str) -> list[Mutant]:
    """The mutants of one line (not yet checked).

    Args:
      line: the verified line.
      space: its claim's space.
      where: the line's name in messages.
      label: the mutant's line label, e.g. ``"line 2"``.

    >>> import derivcheck as dc
    >>> space = dc.Space(W=dc.real("D K"), X=dc.real("N D"), Y=dc.one_hot("N K"))
    >>> line = dc.Line("X^T (softmax(XW) - Y) / N",
    ...                lambda W, X, Y: X.T @ (jax.nn.softmax(X @ W, axis=-1) - Y) / X.shape[0])
    >>> [m.operator for m in mutants_of(line, space, where="g", label="line 1")][:6]
    ['sign', 'scale 2', 'scale 1/2', 'scale N', 'scale 1/N', 'transpose']
    """
    f = bind(line.fn, space, where=where)
    bucket = _probe_bucket(space)
    x = {k: jnp.asarray(v[0]) for k, v in space.draw(bucket, seed=0, size=1).items()}
    value = _shape_of(f, x)
    out: list[Mutant] = [
        Mutant(label, "sign", "", _value_mutant(f, lambda g, i: -g)),
        Mutant(label, "scale 2", "", _value_mutant(f, lambda g, i: 2.0 * g)),
        Mutant(label, "scale 1/2", "", _value_mutant(f, lambda g, i: 0.5 * g)),
    ]
    count = _count_dim(space)
    reader = _dim_reader(space, count) if count else None
    if reader is not None:
        read, at = reader
        out.append(Mutant(label, "scale N", f"N = dim {count}, {at}",
                          _value_mutant(f, lambda g, i, r=read: g * r(i))))
        out.append(Mutant(label, "scale 1/N", f"N = dim {count}, {at}",
                          _value_mutant(f, lambda g, i, r=read: g / r(i))))
    if len(value.shape) == 2:
        out.append(Mutant(label, "transpose", "", _value_mutant(f, lambda g, i: g.T)))
    try:
        traceable = _additive_eqn(jax.make_jaxpr(f)(x).jaxpr) is not None
    except Exception:  # NumPy code or no trace: no term to drop
        traceable = False
    if traceable:
        out.append(Mutant(label, "drop term", "right operand of the outermost add/sub",
                          _drop_mutant(f, 0)))
        out.append(Mutant(label, "drop term", "left operand of the outermost add/sub",
                          _drop_mutant(f, 1)))
    labelish = [n for n, i in space.inputs.items() if i.kind in ("one_hot", "simplex", "binary")]
    for a_i, a in enumerate(labelish):
        for b in labelish[a_i + 1:]:
            if space.inputs[a].dims == space.inputs[b].dims:
                out.append(Mutant(label, "swap", f"{a} ↔ {b}", _swap_mutant(f, a, b)))
        if space.inputs[a].kind == "binary":
            out.append(Mutant(label, "swap", f"{a} → 1 - {a}",
                              _input_mutant(f, a, lambda v, i: 1.0 - v)))
    classes = _class_dims(space.inputs)
    for n, inp in space.inputs.items():
        if inp.kind in ("one_hot", "simplex") and _takes(line.fn, n):
            out.append(Mutant(label, "class shift", f"{n} rolled by one class",
                              _input_mutant(f, n, lambda v, i: jnp.roll(v, 1, axis=-1))))
        elif inp.kind == "labels" and _takes(line.fn, n):
            k = _dim_reader(space, inp.classes)
            if k is not None:
                out.append(Mutant(label, "class shift", f"{n} → ({n} + 1) mod {inp.classes}",
                                  _input_mutant(f, n, _roll_labels(k[0]))))
    for d in sorted(classes):
        size = bucket.get(d)
        if size is None or list(bucket.values()).count(size) != 1:
            continue
        for axis, s in enumerate(value.shape):
            if s == size:
                out.append(Mutant(label, "class shift", f"value rolled along axis {axis} ({d})",
                                  _value_mutant(f, lambda g, i, a=axis: jnp.roll(g, 1, axis=a))))
    for n, inp in space.inputs.items():
        if inp.kind == "positive" and not inp.dims and _takes(line.fn, n):
            out.append(Mutant(label, "λ×2", f"{n} doubled",
                              _input_mutant(f, n, lambda v, i: 2.0 * v)))
            out.append(Mutant(label, "λ/2", f"{n} halved",
                              _input_mutant(f, n, lambda v, i: 0.5 * v)))
    for m in out:  # a mutant that cannot even run is listed as invalid, never checked
        try:
            _shape_of(lambda inputs, fn=m.fn: fn(**inputs), x)
        except Exception as exc:
            m.outcome, m.status = "invalid", "error"
            m.message = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0][:120]}"
    return out


# -- checking -------------------------------------------------------------------

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
    from ._engine import run_claim

    t0 = time.perf_counter()
    original = run_claim(claim, profile=profile, seed=seed)
    audit = ClaimAudit(claim=claim.qualname, status=original.status)
    if claim.kind == "property":
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
        same = Claim(kind="equality", target=_Target("value", ln.fn), space=claim.space,
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
    for i, claim in enumerate(claims):
        if on_start:
            on_start(claim)
        try:
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

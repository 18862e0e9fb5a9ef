"""One relation chain → one :class:`derivcheck.Derivation`, checked by the public engine.

The truth is the chain's first side that compiles; its lines are the later
sides, and each step ``k`` is the line ``truth + (e_k - e_{k-1})``, which
equals the truth exactly when line k equals line k-1. Formulas are traced only
inside the engine: a side that turns out to use notation the compiler does not
read records why (and its line is reported as skipped), and two sides of
different shapes record the shapes (and the relation is refuted).
"""

from __future__ import annotations

import jax

import derivcheck as dc

from ._ast import Unsupported


class ShapeMismatch(Exception):
    """Two sides of a relation have different shapes."""


def _shape(shape: tuple) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ")" if shape else "a scalar"


class _Notes:
    """The side a running formula notes its failures on (why it could not be evaluated,
    shapes that differ). Private: the side's notes change as formulas run, and the
    program store's key, which reads a function's closure, must not see them."""

    def __init__(self, side) -> None:
        self._side = side


def _guarded(side, fn):
    """``fn`` that records on ``side`` why it could not be evaluated."""
    notes = _Notes(side)

    def call(**inputs):
        try:
            return fn(**inputs)
        except Unsupported as exc:
            notes._side.reason = str(exc)
            raise
    return call


class _Mismatches:
    """The input shapes at which two sides were found to differ in shape, with the
    message. The attribute is private: the program store's key does not read it."""

    def __init__(self) -> None:
        self._known: dict[tuple, str] = {}


def _compare(side, cur, ref, *, step: bool):
    """``cur``, raising :class:`ShapeMismatch` (noted on ``side``) unless it has ``ref``'s shape.

    The sides' shapes follow from the inputs' shapes: once they differ at some input
    shapes, the call raises at once there (run input by input on NumPy arrays, each
    evaluation of both sides cost milliseconds, to raise the same)."""
    known, notes = _Mismatches(), _Notes(side)

    def mismatch(shapes, c, r) -> ShapeMismatch:
        what = "step_mismatch" if step else "mismatch"
        setattr(notes._side, what, (tuple(c.shape), tuple(r.shape)))
        known._known[shapes] = f"shape {c.shape} against {r.shape}"
        return ShapeMismatch(known._known[shapes])

    def call(**inputs):
        shapes = tuple((k, tuple(getattr(v, "shape", ()))) for k, v in inputs.items())
        if shapes in known._known:
            raise ShapeMismatch(known._known[shapes])
        if not any(isinstance(v, jax.core.Tracer) for v in inputs.values()):
            # run on NumPy arrays (JAX could not trace the line): the sides' shapes
            # first, from an abstract trace, rather than both sides op by op
            try:
                c, r = jax.eval_shape(lambda **kw: (cur(**kw), ref(**kw)), **inputs)
            except Exception:  # the evaluation below raises it, or succeeds
                c = r = None
            if c is not None and tuple(c.shape) != tuple(r.shape):
                raise mismatch(shapes, c, r)
        c, r = cur(**inputs), ref(**inputs)
        if tuple(c.shape) != tuple(r.shape):
            raise mismatch(shapes, c, r)
        return c
    return call


def _step(truth, cur, prev):
    def fn(**inputs):
        return truth(**inputs) + (cur(**inputs) - prev(**inputs))
    return fn


def check_chain(chain, formulas, space, *, name: str, profile, seed: int) -> None:
    """Fill in the verdicts of ``formulas`` (one per side after the first) for ``chain``."""
    while True:
        usable = [k for k in range(len(chain)) if chain[k].fn is not None
                  and (k == 0 or formulas[k - 1].reason is None)]
        if len(usable) < 2:
            break
        truth_k, lines = usable[0], usable[1:]
        truth = _guarded(chain[truth_k], chain[truth_k].fn)
        fns = {k: _guarded(chain[k], chain[k].fn) for k in lines}
        dclines = [dc.Line(chain[k].text, _compare(chain[k], fns[k], truth, step=False))
                   for k in lines]
        steps = []
        for k in lines:
            if k >= 2 and (k - 1) in fns:
                steps.append((k, len(dclines)))
                cur = _compare(chain[k], fns[k], fns[k - 1], step=True)
                dclines.append(dc.Line(f"step {k}", _step(truth, cur, fns[k - 1])))
        claim = dc.Derivation(target=truth, lines=dclines, space=space,
                              id=f"{name}:{chain[0].line}", latex=chain[0].text)
        result = dc.check(claim, profile=profile, seed=seed)
        if chain[truth_k].reason is not None:    # the truth itself cannot be compiled
            chain[truth_k].fn = None
            if truth_k > 0:
                formulas[truth_k - 1].reason = chain[truth_k].reason
            continue
        _record(chain, formulas, result, lines, steps)
        for k, _ in steps:    # a step between two lines shaped unlike the truth
            if getattr(chain[k], "mismatch", None) and getattr(chain[k - 1], "mismatch", None) \
                    and formulas[k - 1].reason is None and chain[k - 1].reason is None:
                alone = dc.equal(fns[k - 1], fns[k], space=space,
                                 id=f"{name}:{chain[k].line}:step")
                formulas[k - 1].step_status = dc.check(alone, profile=profile, seed=seed).status
        break
    for k in range(1, len(chain)):
        if formulas[k - 1].status == "skipped" and formulas[k - 1].reason is None:
            side = chain[k] if chain[k].reason else chain[0]
            formulas[k - 1].reason = side.reason if side is chain[k] else \
                f"the left side: {side.reason}"


def _record(chain, formulas, result, lines, steps) -> None:
    for j, k in enumerate(lines):
        lr, f, side = result.lines[j], formulas[k - 1], chain[k]
        if side.reason is not None:
            f.reason = side.reason
        elif getattr(side, "mismatch", None):
            got, want = side.mismatch
            f.status = "refuted"
            f.diagnosis = (f"the two sides differ in shape: {_shape(got)} against "
                           f"{_shape(want)} (at {_bucket(lr, result)})")
        else:
            f.status = lr.status
            # an unstable line's evidence says why: a teacher reads it beside the line
            f.diagnosis = lr.diagnosis or (lr.message if lr.status in ("error", "unstable")
                                           else None)
    for k, j in steps:
        if formulas[k - 1].reason is None and chain[k - 1].reason is None:
            status = result.lines[j].status
            if getattr(chain[k], "step_mismatch", None):
                status = "refuted"
            formulas[k - 1].step_status = status


def _bucket(lr, result) -> str:
    b = lr.bucket or result.bucket
    return " ".join(f"{k}={v}" for k, v in b.items()) if b else "the first shape checked"

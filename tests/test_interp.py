"""Checks run by NumPy instead of compiled (derivcheck._engine._interp).

In runs with a program store (the CLI, `derivcheck doc`, the pytest plugin's
proof items), a fused check first runs its jaxpr step by step in NumPy. A
batch that is not plainly passing is checked again by the compiled program,
and the bucket stays compiled. These tests compare the NumPy steps with XLA's
results, and the verdicts with those of a run that compiles everything; each
comparison has a twin that shows it can fail.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import derivcheck as dc
from derivcheck._engine import ENGINE, _interp, _interp_index
from derivcheck._engine._interp import plan
from derivcheck._runner import compile_cache

jax.config.update("jax_enable_x64", True)

RNG = np.random.default_rng(1)
X = RNG.normal(size=(4, 5)) * 3
X[0, 0], X[1, 1], X[2, 2] = np.nan, np.inf, 0.0
Y = np.array([1, 0, 2, 2, 1])

FUNCTIONS = {
    "sigmoid": jax.nn.sigmoid, "relu": jax.nn.relu, "softmax": jax.nn.softmax,
    "logsumexp": jax.nn.logsumexp, "tanh": jnp.tanh, "clip": lambda x: jnp.clip(x, -1, 1),
    "flip": lambda x: jnp.flip(x, 1), "argmin": lambda x: jnp.argmin(x, axis=1),
    "argmax": lambda x: jnp.argmax(x, axis=0), "cumsum": lambda x: jnp.cumsum(x, 1),
    "norm": lambda x: jnp.linalg.norm(x, axis=1), "where": lambda x: jnp.where(x > 0, x, -x),
    "cube": lambda x: x ** 3, "inverse square": lambda x: x ** -2,
    "power 1.5": lambda x: jnp.abs(x) ** 1.5, "mean": lambda x: jnp.mean(x, 0), "var": jnp.var,
    "matmul": lambda x: x @ x.T, "einsum": lambda x: jnp.einsum("ij,kj->ik", x, x),
    "outer": lambda x: jnp.outer(x[0], x[1]), "pad": lambda x: jnp.pad(x, 1),
    "max": lambda x: jnp.max(x, axis=0), "min": lambda x: jnp.min(x, axis=1),
    "prod": lambda x: jnp.prod(x, axis=1), "remainder": lambda x: jnp.remainder(x, 2.0),
    "log_softmax grad": jax.grad(lambda x: jnp.sum(jax.nn.log_softmax(x) ** 2)),
    "abs grad": jax.grad(lambda x: jnp.sum(jnp.abs(x))), "eye": lambda x: jnp.eye(5) @ x.T,
    "triu": jnp.triu, "dynamic_slice": lambda x: jax.lax.dynamic_slice(x, (1, 2), (2, 2)),
    "float32 exp": lambda x: jnp.exp(x.astype(jnp.float32)) * 2,
    "x[i]": lambda x: x[jnp.array([0, 3, 1])], "x[:, i]": lambda x: x[:, jnp.array([4, 0])],
    "x[arange, y]": lambda x: x[0:4][jnp.arange(4), Y[:4]],
    "take out of bounds (fill)": lambda x: jnp.take(x, jnp.array([0, 7]), axis=1),
    "take out of bounds (clip)": lambda x: jnp.take(x, jnp.array([0, 7]), axis=1, mode="clip"),
    "at add, repeated index": lambda x: x.at[jnp.array([0, 0, 1])].add(1.0),
    "at set": lambda x: x.at[jnp.array([0, 2])].set(2.0),
    "at set out of bounds": lambda x: x.at[jnp.array([0, 9])].set(2.0),
    "take_along_axis": lambda x: jnp.take_along_axis(x, jnp.array(Y[:4])[:, None], axis=1),
    "diag by vmap (a platform-dependent branch)":
        lambda x: jax.vmap(lambda r: jnp.diag(jnp.outer(r, r)) * 2.0)(x),
    "svm gradient by vmap": lambda x: jax.vmap(jax.grad(
        lambda r, k: jnp.sum(jnp.maximum(0, r - r[k] + 1))))(x, jnp.array(Y[:4])),
}


def mismatch(fn, x=X):
    """Why the NumPy program of ``jit(fn)`` differs from XLA's result at ``x`` (None: it
    does not, up to a few roundings, with the same nan and inf)."""
    program = plan(jax.jit(fn).trace(x).jaxpr)
    if program is None:
        return "not interpretable"
    try:
        got = program([x])
    except ValueError as exc:  # the engine compiles the check then
        return f"not interpretable here: {exc}"
    want = [np.asarray(w) for w in jax.tree_util.tree_leaves(jax.jit(fn)(x))]
    for w, g in zip(want, got, strict=True):
        if w.shape != g.shape or w.dtype != g.dtype:
            return f"shape or dtype: {w.shape} {w.dtype} against {g.shape} {g.dtype}"
        if w.dtype.kind != "f":
            if not np.array_equal(w, g):
                return "integer values differ"
            continue
        if not (np.array_equal(np.isnan(w), np.isnan(g))
                and np.array_equal(np.isinf(w), np.isinf(g))):
            return "nan or inf in other places"
        fin = np.isfinite(w)
        rel = 1e-12 if w.dtype == np.float64 else 1e-5
        if fin.any() and not np.allclose(g[fin], w[fin], rtol=rel, atol=0):
            return "values differ"
    return None


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_the_numpy_program_gives_xlas_values_up_to_rounding(name):
    assert mismatch(FUNCTIONS[name]) is None


def test_a_numpy_step_that_computes_the_wrong_thing_is_caught(monkeypatch):
    # the twin: the comparison sees one wrong step
    monkeypatch.setitem(_interp._FUNCTIONS, "exp", np.exp2)
    assert mismatch(jax.nn.softmax) == "values differ"


def test_a_gather_that_does_not_clamp_its_starts_is_caught(monkeypatch):
    # the twin of the indexing cases: XLA clamps a window's start so that it fits
    real = np.clip
    monkeypatch.setattr(_interp_index.np, "clip", lambda a, lo, hi: a)
    try:
        assert mismatch(FUNCTIONS["take out of bounds (clip)"]) is not None
    finally:
        monkeypatch.setattr(_interp_index.np, "clip", real)


@pytest.mark.parametrize("fn", [lambda x: jnp.sort(x, 1), jnp.round,
                                lambda x: jax.lax.fori_loop(0, 3, lambda i, v: v * 2, x),
                                lambda x: (x * 4).astype(int),
                                lambda x: jax.lax.cond(x[0, 1] > 0, lambda v: v * 2,
                                                       lambda v: v - 1, x)])
def test_a_step_the_interpreter_does_not_know_leaves_the_check_to_xla(fn):
    assert plan(jax.jit(fn).trace(X).jaxpr) is None


def test_the_platform_dependent_branch_of_a_batched_diag_is_the_cpus():
    jaxpr = jax.jit(FUNCTIONS["diag by vmap (a platform-dependent branch)"]).trace(X).jaxpr
    assert "platform_index" in str(jaxpr) and plan(jaxpr) is not None


def test_taking_the_other_branch_is_caught(monkeypatch):  # the twin
    monkeypatch.setattr(_interp, "_cpu_branch", lambda platforms: 0)
    assert mismatch(FUNCTIONS["diag by vmap (a platform-dependent branch)"]) is not None


def test_a_step_it_knows_is_planned():  # the twin
    assert plan(jax.jit(lambda x: jnp.abs(x) * 2).trace(X).jaxpr)


def test_two_writes_to_one_place_are_left_to_xla():
    program = plan(jax.jit(lambda x: x.at[jnp.array([0, 0])].set(
        jnp.array([[1.0] * 5, [2.0] * 5]))).trace(X).jaxpr)
    with pytest.raises(ValueError, match="scatter"):
        program([X])


def test_writes_to_different_places_are_run_by_numpy():  # the twin
    fn = lambda x: x.at[jnp.array([0, 1])].set(jnp.array([[1.0] * 5, [2.0] * 5]))  # noqa: E731
    assert mismatch(fn) is None


# -- the engine ------------------------------------------------------------------

SPACE = dc.Space(W=dc.real("D K"), X=dc.real("N D"), Y=dc.one_hot("N K"))


def softmax_loss(W, X, Y):
    return -jnp.mean(jnp.sum(jax.nn.log_softmax(X @ W) * Y, 1))


def softmax_grad(W, X, Y):
    return X.T @ (jax.nn.softmax(X @ W) - Y) / X.shape[0]


def claim(claimed):
    return dc.gradient(softmax_loss, claimed, space=SPACE, wrt="W")


def run(c, cache, *, crossover=_interp.CROSSOVER):
    before = _interp.CROSSOVER
    _interp.CROSSOVER = crossover
    try:
        with compile_cache(str(cache)):
            return dc.check(c, profile="quick")
    finally:
        _interp.CROSSOVER = before


def kinds(c):
    return {type(exe).__name__ for fc in ENGINE.compiler._fused[c].values()
            for exe in fc._compiled.values()}


def essentials(r):
    return (r.status, str(r.counterexample), r.bucket, r.message)


def test_a_passing_claim_runs_by_numpy_in_a_run_with_a_store(tmp_path):
    c = claim(softmax_grad)
    assert run(c, tmp_path).status == "verified"
    assert kinds(c) == {"Interpreted"}


def test_a_failing_claim_is_judged_by_the_compiled_check(tmp_path):  # the twin
    c = claim(lambda W, X, Y: 2 * softmax_grad(W, X, Y))
    r = run(c, tmp_path)
    assert r.status == "refuted"
    fused = next(iter(ENGINE.compiler._fused[c].values()))
    # the failing bucket is compiled, for every batch size the judge asks for
    assert {shape for name, shape in next(iter(fused._escalated))} == {
        np.shape(v) for v in r.counterexample.values()}
    assert "Compiled" in kinds(c)


def test_dc_check_without_a_store_compiles_as_before():
    c = claim(softmax_grad)
    assert dc.check(c, profile="quick").status == "verified"
    assert kinds(c) == {"Compiled"}


@pytest.mark.parametrize("claimed", [
    softmax_grad,
    lambda W, X, Y: -softmax_grad(W, X, Y),
    lambda W, X, Y: softmax_grad(W, X, Y) * X.shape[0],
    lambda W, X, Y: softmax_grad(W, X, Y).T if W.shape[0] == W.shape[1] else softmax_grad(
        W, X, Y) + 1e-3,
    lambda W, X, Y: X.T @ (jnp.exp(X @ W) / jnp.sum(jnp.exp(X @ W), 1, keepdims=True)
                           - Y) / X.shape[0],
], ids=["right", "sign", "missing 1/N", "transposed or off", "unshifted softmax"])
def test_verdicts_with_numpy_first_equal_those_of_a_run_that_compiles_everything(
        claimed, tmp_path):
    interpreted = run(claim(claimed), tmp_path / "a")
    compiled = run(claim(claimed), tmp_path / "b", crossover=0)
    assert essentials(interpreted) == essentials(compiled)


def test_a_numpy_step_that_breaks_down_cannot_refute_a_right_claim(tmp_path, monkeypatch):
    # the safety net: a batch NumPy does not pass plainly is checked again by XLA
    # (a step that is wrong but finite is the business of the comparisons above)
    monkeypatch.setitem(_interp._FUNCTIONS, "exp",
                        lambda x: np.where(x > -0.5, np.nan, np.exp(x)))
    c = claim(softmax_grad)
    assert run(c, tmp_path).status == "verified"
    assert "Compiled" in kinds(c)


def test_a_warm_run_takes_the_numpy_programs_from_the_store(tmp_path):
    first = run(claim(softmax_grad), tmp_path)
    c = claim(softmax_grad)
    again = run(c, tmp_path)
    fused = next(iter(ENGINE.compiler._fused[c].values()))
    assert (fused.traces, fused.loaded > 0) == (0, True)
    assert essentials(again) == essentials(first)


def test_a_new_store_traces_again():  # the twin
    import tempfile

    c = claim(softmax_grad)
    run(c, tempfile.mkdtemp())
    assert next(iter(ENGINE.compiler._fused[c].values())).traces > 0


def test_a_check_numpy_cannot_run_is_remembered_so_a_warm_run_does_not_trace_it(tmp_path):
    def sorted_grad(W, X, Y):
        return jnp.sort(softmax_grad(W, X, Y), axis=0)[jnp.argsort(jnp.argsort(
            softmax_grad(W, X, Y), axis=0), axis=0), jnp.arange(W.shape[1])]

    run(claim(sorted_grad), tmp_path)
    c = claim(sorted_grad)
    run(c, tmp_path)
    assert next(iter(ENGINE.compiler._fused[c].values())).traces == 0
    assert kinds(c) == {"Compiled"}


def test_a_check_called_past_the_crossover_is_compiled(tmp_path):
    c = claim(softmax_grad)
    run(c, tmp_path, crossover=1)
    assert kinds(c) == {"Compiled"}


# -- each step against XLA's own, at special values ---------------------------------

SPECIAL = [-np.inf, -1e308, -710.0, -2.5, -1.0, -0.5, -0.0, 0.0, 0.5, 1.0, 2.0, 2.5, 3.0,
           709.0, 710.0, 1e308, np.inf, np.nan]
ACCURACY = {"exp", "log", "log1p", "sqrt", "expm1", "tanh", "logistic", "sin", "cos", "tan",
            "rsqrt", "cbrt", "exp2"}


def step_mismatch(name, dtype, values=SPECIAL):
    """Where NumPy's step ``name`` differs from XLA's, at every value (pair) of ``values``."""
    import itertools

    from jax import lax

    prim = getattr(lax, f"{name}_p")
    unary = name in _interp._UNARY
    x = np.array(values, dtype)
    pairs = np.array(list(itertools.product(x, x)), dtype).T
    args = [x] if unary else [pairs[0], pairs[1]]
    if name in ("and", "or", "xor", "not"):
        ints = np.array([0, 1, 2, 7, -3])
        args = [ints] if unary else [np.repeat(ints, 5), np.tile(ints, 5)]
    params = {"accuracy": None} if name in ACCURACY else {}
    want = np.asarray(jax.jit(lambda *a: prim.bind(*a, **params))(*args))
    got = np.asarray(_interp.step(jax.make_jaxpr(lambda *a: prim.bind(*a, **params))(
        *args).jaxpr.eqns[0], args)[0])
    if want.dtype != got.dtype:
        return f"dtype {got.dtype} for {want.dtype}"
    if want.dtype.kind != "f":
        return None if np.array_equal(want, got) else "values differ"
    rel = 1e-12 if dtype == np.float64 else 2e-6
    same = (np.isnan(want) & np.isnan(got)) | np.isclose(got, want, rtol=rel, atol=0) | (
        want == got)
    bad = np.flatnonzero(~same)
    return None if not bad.size else [(tuple(a[i] for a in args), want[i], got[i])
                                      for i in bad[:3]]


STEPS = sorted(n for n in [*_interp._UNARY, *_interp._BINARY]
               if n not in ("imag", "real", "add_any"))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", STEPS)
def test_each_numpy_step_gives_xlas_value_at_special_values(name, dtype):
    with np.errstate(over="ignore"):
        assert step_mismatch(name, dtype) is None


def test_a_step_with_the_wrong_nan_rule_is_caught(monkeypatch):
    # the twin: fmax ignores nan where XLA's max propagates it
    monkeypatch.setitem(_interp._FUNCTIONS, "max", np.fmax)
    assert step_mismatch("max", np.float64) is not None


def test_subnormal_values_are_flushed_to_zero_as_xla_does():
    tiny = np.array([1e-310, 5e-324, -1e-310, 1.0])
    for fn in (jnp.log, lambda x: x * 1e10, lambda x: jnp.exp(x - 711.0), jnp.sqrt):
        assert mismatch(fn, tiny) is None


def test_without_the_flush_subnormal_values_differ(monkeypatch):  # the twin
    monkeypatch.setattr(_interp, "_flushed", lambda a: a)
    assert mismatch(jnp.log, np.array([1e-310, 1.0])) == "nan or inf in other places"


def test_a_check_whose_calls_are_estimated_slow_is_compiled(tmp_path, monkeypatch):
    # the twin of test_a_passing_claim_runs_by_numpy_in_a_run_with_a_store
    monkeypatch.setattr(_interp, "MAX_CALL_SECONDS", 0.0)
    c = claim(softmax_grad)
    assert run(c, tmp_path).status == "verified"
    assert kinds(c) == {"Compiled"}


def test_the_estimated_time_of_a_call_grows_with_steps_and_values():
    small = plan(jax.jit(lambda x: x * 2).trace(np.ones(10)).jaxpr)
    large = plan(jax.jit(lambda x: jnp.exp(x) * 2 + 1).trace(np.ones(10_000)).jaxpr)
    assert 0 < small.seconds < large.seconds


def integer_mismatch(name):
    from jax import lax

    a = np.array([7, -7, 7, -7, 0, 5, -5, np.iinfo(np.int64).min], np.int64)
    b = np.array([2, 2, -2, -2, 3, 0, 0, -1], np.int64)
    prim = getattr(lax, f"{name}_p")
    want = np.asarray(jax.jit(lambda x, y: prim.bind(x, y))(a, b))
    return not np.array_equal(want, _interp._FUNCTIONS[name](a, b))


@pytest.mark.parametrize("name", ["div", "rem"])
def test_integer_division_and_remainder_follow_xla_also_by_zero(name):
    assert not integer_mismatch(name)


def test_a_remainder_by_zero_that_is_not_xlas_is_caught(monkeypatch):  # the twin
    monkeypatch.setitem(_interp._FUNCTIONS, "rem",
                        lambda x, y: np.fmod(x, np.where(y == 0, 1, y)))
    assert integer_mismatch("rem")


VS = dc.Space(x=dc.real("D"))
SCALED = {
    "1e-300 scale, right": (lambda x: 1e-300 * jnp.sum(x ** 2), lambda x: 2e-300 * x),
    "1e-300 scale, 1.1x": (lambda x: 1e-300 * jnp.sum(x ** 2), lambda x: 2.2e-300 * x),
    "1e300 scale, right": (lambda x: 1e300 * jnp.sum(jnp.sin(x)), lambda x: 1e300 * jnp.cos(x)),
    "1e300 scale, sign": (lambda x: 1e300 * jnp.sum(jnp.sin(x)), lambda x: -1e300 * jnp.cos(x)),
    "near subnormal, right": (lambda x: jnp.sum(jnp.exp(x - 700.0)), lambda x: jnp.exp(x - 700.0)),
    "near subnormal, half": (lambda x: jnp.sum(jnp.exp(x - 700.0)),
                             lambda x: 0.5 * jnp.exp(x - 700.0)),
}


@pytest.mark.parametrize("name", sorted(SCALED))
def test_at_scales_far_from_1_numpy_first_gives_the_compiled_verdicts(name, tmp_path):
    loss, claimed = SCALED[name]
    interpreted = run(dc.gradient(loss, claimed, space=VS, wrt="x"), tmp_path / "a")
    compiled = run(dc.gradient(loss, claimed, space=VS, wrt="x"), tmp_path / "b", crossover=0)
    assert essentials(interpreted) == essentials(compiled)
    assert interpreted.status == ("verified" if name.endswith("right") else "refuted")

"""The host half of a fused check (derivcheck._engine._outcome).

A fused check's program returns the truth and each line's value; the errors
(max |line - truth|, the step errors, the scales, the finiteness flags, the
input's magnitude) are computed from them in NumPy. These tests compare them,
bit for bit, with the same formulas compiled by XLA (as the program computed
them before), at inf, nan, signed zeros and subnormal numbers; each with a twin
that shows the comparison can fail.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import derivcheck as dc
from derivcheck._engine import _outcome
from derivcheck._engine._outcome import Spec, packed
from derivcheck._engine._records import LineMode, TraceRecord

jax.config.update("jax_enable_x64", True)

SUB = 1e-310  # a subnormal float64
RNG = np.random.default_rng(3)
B = 6
SPACE = dc.Space(x=dc.real("n"))
NANS = np.full(B, np.nan)  # what the program returns for a line it does not run


def _maxabs(a):
    return jnp.max(jnp.abs(a)) if a.size else jnp.asarray(0.0)


def xla_packed(spec, record, batch, values):
    """The errors as the program computed them inside XLA (before they moved to the host)."""
    t, raws, preds = values
    n = len(raws)

    def one(inp, t, raws, preds):
        nan = jnp.asarray(jnp.nan)
        inp = dict(inp)
        if spec.dtype == "float32":
            inp = {k: v.astype(jnp.float32).astype(jnp.float64) for k, v in inp.items()}
        mags = [jnp.max(jnp.abs(inp[k])) for k in spec.float_names if inp[k].size]
        s = jnp.max(jnp.stack(mags)) if mags else jnp.asarray(0.0)
        errs, steps, refs, fins, tsc = [nan] * n, [nan] * n, [nan] * n, [True] * n, [nan] * n
        vals = {}
        for i, prev, part in spec.lines:
            mode = record.modes.get(i)
            if mode not in (LineMode.JAX, LineMode.TRANSPOSED):
                continue
            if spec.prop:
                errs[i] = jnp.where(jnp.all(preds[i]), 0.0, 1.0)
                steps[i] = jnp.asarray(0.0)
                continue
            g = raws[i].T if mode is LineMode.TRANSPOSED else raws[i]
            vals[i] = g
            tp = t if part is None else t[part]
            errs[i], tsc[i] = _maxabs(g - tp), _maxabs(tp)
            ref = vals.get(prev) if prev is not None else None
            steps[i] = errs[i] if ref is None else _maxabs(g - ref)
            refs[i] = tsc[i] if ref is None else _maxabs(ref)
            fins[i] = jnp.all(jnp.isfinite(g))
        parts = t if isinstance(t, tuple) else (t,)
        tfin = jnp.asarray(True) if spec.prop else jnp.all(
            jnp.stack([jnp.all(jnp.isfinite(p)) for p in parts]))
        tmax = nan if spec.prop else jnp.max(jnp.stack([_maxabs(p) for p in parts]))
        return jnp.concatenate([jnp.stack(errs), jnp.stack(steps), jnp.stack(refs),
                                jnp.stack(fins).astype(jnp.float64), jnp.stack(tsc),
                                jnp.stack([tfin.astype(jnp.float64), s, tmax])])

    return np.asarray(jax.jit(jax.vmap(one))(batch, t, raws, preds))


def awkward(shape):
    """Values with inf, nan, signed zeros, subnormals and huge and tiny normals."""
    a = RNG.normal(size=shape) * 10.0 ** RNG.integers(-300, 300, size=shape)
    flat = a.reshape(-1)
    special = [np.inf, -np.inf, np.nan, 0.0, -0.0, SUB, -3 * SUB][:max(flat.size - 1, 0)]
    flat[:len(special)] = special
    RNG.shuffle(flat)
    return a


def chain_case(dtype="float64"):
    """Three lines of a chained claim, one of them transposed, with awkward values."""
    t = awkward((B, 3, 2))
    raws = (t + awkward((B, 3, 2)) * 1e-3, np.swapaxes(t, 1, 2).copy(), t * (1 + SUB))
    spec = Spec(lines=((0, None, None), (1, 0, None), (2, 1, None)), float_names=("W", "x"),
                dtype=dtype, prop=False)
    rec = TraceRecord(truth_shape=(3, 2), modes={0: LineMode.JAX, 1: LineMode.TRANSPOSED,
                                                 2: LineMode.JAX})
    batch = {"W": awkward((B, 3, 2)), "x": awkward((B, 2))}
    return spec, rec, batch, (t, raws, (NANS,) * 3)


def test_the_host_errors_equal_xlas_bit_for_bit_at_inf_nan_zeros_and_subnormals():
    case = chain_case()
    np.testing.assert_array_equal(packed(*case), xla_packed(*case))


def test_without_flushing_subnormals_the_host_errors_differ_from_xlas(monkeypatch):
    monkeypatch.setattr(_outcome, "_flushed", lambda a: a)
    spec, rec, batch, (t, raws, preds) = chain_case()
    t = np.full_like(t, 2 * SUB)  # |line - truth| is subnormal where the line is 0
    raws = (np.zeros_like(t), raws[1], raws[2])
    case = (spec, rec, batch, (t, raws, preds))
    assert not np.array_equal(packed(*case), xla_packed(*case), equal_nan=True)


def subnormal_difference_case():
    """A line and a truth of normal numbers whose difference is subnormal."""
    spec, rec, batch, (t, raws, preds) = chain_case()
    tiny = np.finfo(np.float64).tiny
    t = np.full_like(t, 3 * tiny)
    return spec, rec, batch, (t, (np.full_like(t, 2.5 * tiny), raws[1], raws[2]), preds)


def test_a_subnormal_difference_counts_as_zero_as_in_xla():
    case = subnormal_difference_case()
    got = packed(*case)
    np.testing.assert_array_equal(got, xla_packed(*case))
    assert set(got[:, 0]) == {0.0}


def test_without_flushing_differences_a_subnormal_one_differs_from_xlas(monkeypatch):
    monkeypatch.setattr(_outcome, "_flush", lambda m, tiny: m)
    case = subnormal_difference_case()
    assert not np.array_equal(packed(*case), xla_packed(*case), equal_nan=True)


def test_float32_magnitudes_are_those_of_the_inputs_rounded_to_float32():
    spec, rec, batch, values = chain_case("float32")
    batch = {"W": RNG.normal(size=(B, 3, 2)) * 1e-3, "x": np.full((B, 2), 1.0 + 2.0 ** -40)}
    batch["W"][0, 0, 0] = 1e-40  # subnormal in float32: flushed
    batch["W"][1, 0, 0] = -1e39  # beyond float32: inf
    got = packed(spec, rec, batch, values)
    np.testing.assert_array_equal(got, xla_packed(spec, rec, batch, values))
    assert got[:, -2].tolist() == [1.0, np.inf, 1.0, 1.0, 1.0, 1.0]


def test_float64_magnitudes_keep_what_float32_would_round_away():
    spec, rec, batch, values = chain_case("float64")
    batch = {"W": RNG.normal(size=(B, 3, 2)) * 1e-3, "x": np.full((B, 2), 1.0 + 2.0 ** -40)}
    got = packed(spec, rec, batch, values)
    np.testing.assert_array_equal(got, xla_packed(spec, rec, batch, values))
    assert set(got[:, -2]) == {1.0 + 2.0 ** -40}


def parts_case(prev_of_second):
    t = (awkward((B, 2)), awkward((B,)), awkward((B, 0)))
    raws = (t[0] * 1.5, t[1] - 1.0, np.zeros((B, 0)))
    spec = Spec(lines=((0, None, 0), (1, prev_of_second, 1), (2, None, 2)), float_names=("v",),
                dtype="float64", prop=False)
    rec = TraceRecord(truth_shape=((2,), (), (0,)), modes={i: LineMode.JAX for i in range(3)})
    return spec, rec, {"v": awkward((B, 2))}, (t, raws, (NANS,) * 3)


def test_a_truth_in_parts_with_an_empty_part_and_a_scalar_part_gives_xlas_errors():
    case = parts_case(None)
    np.testing.assert_array_equal(packed(*case), xla_packed(*case))


def test_a_scalar_line_stepped_from_a_vector_line_broadcasts_as_each_input_did():
    case = parts_case(0)  # |scalar - vector|: each input's values broadcast, not the batch's
    np.testing.assert_array_equal(packed(*case), xla_packed(*case))


def prop_case(values):
    spec = Spec(lines=((0, None, None), (1, None, None)), float_names=("x",), dtype="float64",
                prop=True)
    rec = TraceRecord(modes={0: LineMode.JAX, 1: LineMode.ERROR})
    return spec, rec, {"x": awkward((B, 3))}, (NANS, (NANS, NANS), (values, NANS))


def test_a_predicate_that_holds_has_error_0_and_one_that_fails_somewhere_error_1():
    values = np.ones((B, 3)) * np.array([1.0, np.nan, -2.0])
    values[2, 1] = 0.0
    values[4, 0] = SUB  # treated as 0, as XLA's comparison does
    case = prop_case(values)
    got = packed(*case)
    np.testing.assert_array_equal(got, xla_packed(*case))
    assert got[:, 0].tolist() == [0, 0, 1, 0, 1, 0]


def test_a_predicate_that_holds_everywhere_has_no_failing_input():
    case = prop_case(np.ones((B, 3), dtype=bool))
    got = packed(*case)
    np.testing.assert_array_equal(got, xla_packed(*case))
    assert got[:, 0].tolist() == [0] * B


def test_a_right_gradient_is_verified_with_errors_on_the_host():
    r = dc.check_gradient(lambda x: jnp.sum(jnp.sin(x)), lambda x: jnp.cos(x), space=SPACE, wrt="x")
    assert r.status == "verified", r.message


def test_a_wrong_gradient_is_still_refuted_with_errors_on_the_host():
    r = dc.check_gradient(lambda x: jnp.sum(jnp.sin(x)), lambda x: -jnp.cos(x), space=SPACE,
                          wrt="x")
    assert r.status == "refuted"


# -- a padded batch: only its first rows are inputs ---------------------------

def _risk(w, X):
    return jnp.sum(jnp.tanh(X @ w))


def _wrong_grad(w, X):  # wrong where |X @ w| is large: 1 - tanh² dropped
    return X.T @ jnp.ones(X.shape[0]) * (1 + 0 * w)


def _checker(store_folder=None):
    from derivcheck._engine._compile import Compiler
    from derivcheck._engine._evaluate import Checker
    from derivcheck._engine._oracle import autodiff
    from derivcheck._engine._store import ProgramStore
    from derivcheck._profiles import get_profile

    claim = dc.gradient(_risk, _wrong_grad, space=dc.Space(w=dc.real("D"), X=dc.real("N D")),
                        wrt="w", id="padded")
    compiler = Compiler()
    if store_folder is not None:
        compiler.store = ProgramStore(store_folder)  # as the CLI: NumPy runs it first
    oracle = autodiff(claim)
    return Checker(claim, get_profile("default"), 0, oracle=oracle, oracle_name=oracle.name,
                   compiler=compiler)


def _errors(out, rows):
    return [np.asarray(a)[:rows] for a in (out.err, out.step, out.fin, out.tfin, out.mag,
                                          out.ran, out.kinks)]


def _padded_case(store_folder=None, *, rotate=0):
    with jax.enable_x64(True):
        ck = _checker(store_folder)
        b = 1
        batch = ck.space.draw(ck.bucket(b), seed=5, size=ck.batch_of(b),
                              regimes=ck.profile.regimes)
        xs = [{k: v[i] for k, v in batch.items()} for i in range(3)]
        moved = xs[rotate:] + xs[:rotate]
        first = _errors(ck.evaluate(b, ck.batch_from(moved, b), rows=3), 3)  # NumPy's first
        whole = _errors(ck.evaluate(b, ck.batch_from(xs, b)), 3)
        return ck, whole, first


@pytest.mark.parametrize("store", [False, True])
def test_the_errors_of_a_padded_batchs_first_rows_are_those_of_the_whole_batch(store, tmp_path):
    ck, whole, first = _padded_case(str(tmp_path) if store else None)
    assert np.any(whole[0] > 1e-3)  # the wrong gradient fails somewhere: a real comparison
    for a, b in zip(whole, first, strict=True):
        np.testing.assert_array_equal(a, b)
    compiled = ck.fused._compiled  # by (name, shape, dtype) of each input, sorted
    assert {full[0][1][0] for full in compiled} == {ck.batch_of(1)}
    if store:  # NumPy ran it first, and the failing rows had it compiled: the padded size
        assert ck.fused._escalated


def test_the_errors_of_other_inputs_in_those_rows_differ():
    _, whole, first = _padded_case(rotate=1)
    assert not all(np.array_equal(a, b, equal_nan=True) for a, b in zip(whole, first, strict=True))


# -- found by the skeptic's look: a constant beyond float32's range ----------------

def _scaled_risk(x):
    return 1e-200 * jnp.sum(jnp.sin(x))


def _scaled_grad(x):
    return 1e-200 * jnp.cos(x)  # a weak Python float: float32 in float32 code, where it is 0


def test_float32_code_whose_constant_underflows_to_zero_is_refuted_as_computing_zero():
    r = dc.check_gradient(_scaled_risk, _scaled_grad, space=SPACE, wrt="x", dtype="float32")
    assert r.status == "refuted" and "0 at every input" in (r.diagnosis or ""), r.diagnosis


def test_the_same_code_checked_in_float64_is_verified():
    r = dc.check_gradient(_scaled_risk, _scaled_grad, space=SPACE, wrt="x")
    assert r.status == "verified", r.message

"""Compiled checks kept across runs (the program store under the compilation cache folder).

A warm run takes each compiled check and what its trace decided from the store
instead of tracing again. These tests compare a warm run's verdicts with a fresh
trace's, and change what a claim depends on (a global constant, a helper
module) between runs: the stored program must not be served then.
"""

import json
import os
import textwrap

from click.testing import CliRunner

from derivcheck.cli import main

PROOF = """
    import jax.numpy as jnp
    import numpy as np
    import derivcheck as dc

    S = dc.Space(x=dc.real("D"), W=dc.real("D K"))
    SCALE = np.array({scale})

    def f(x):
        return SCALE * jnp.sum(x ** 2) / 2

    scaled = dc.gradient(f, lambda x: 2.0 * x, space=S, wrt="x")
    cube = dc.gradient(lambda x: jnp.sum(x ** 3), lambda x: 3 * x ** 2, space=S, wrt="x")
    sign = dc.gradient(lambda x: jnp.sum(x ** 3), lambda x: -3 * x ** 2, space=S, wrt="x",
                       erratum="sign")
    numpy_line = dc.gradient(lambda x: jnp.sum(x ** 2), lambda x: 2 * np.asarray(x),
                             space=S, wrt="x")
    transposed = dc.gradient(lambda W: jnp.sum(W ** 2), lambda W: 2 * W.T, space=S, wrt="W",
                             erratum="transposed")
    raises = dc.gradient(lambda x: jnp.sum(x ** 2), lambda x: x.nope, space=S, wrt="x")
    helper = dc.gradient(lambda x: jnp.sum(x ** 2), lambda x: _common.factor() * x,
                         space=S, wrt="x")
    import _common
"""

HELPER = """
    def factor():
        return {factor}
"""


def write(folder, *, scale=2.0, factor=2.0):
    (folder / "proof.py").write_text(textwrap.dedent(PROOF.format(scale=scale)))
    (folder / "_common.py").write_text(textwrap.dedent(HELPER.format(factor=factor)))


def check(folder, cache, *args):
    before = os.getcwd()
    try:
        os.chdir(folder)
        res = CliRunner().invoke(main, ["check", "proof.py", "--format", "json", "-j", "1",
                                        "--profile", "quick", "--cache-dir", str(cache), *args],
                                 catch_exceptions=False)
    finally:
        os.chdir(before)
    return {c["id"].split("::")[-1]: c for c in json.loads(res.output)["claims"]
            if c.get("kind") != "line"}


def verdicts(claims):
    """Everything of each claim but timings and how many times it was compiled."""
    return {k: {f: v for f, v in c.items() if f not in ("seconds", "compilations")}
            for k, c in claims.items()}


def stored(cache):
    return sorted(p.name for p in (cache / "derivcheck-programs").rglob("*.pkl"))


def test_a_warm_run_takes_every_check_from_the_store_and_gives_the_fresh_verdicts(tmp_path):
    write(tmp_path)
    cache = tmp_path / "cache"
    fresh = check(tmp_path, cache)
    assert stored(cache)
    warm = check(tmp_path, cache)
    assert all(c["compilations"] == 0 for c in warm.values()), "the store was not used"
    assert verdicts(warm) == verdicts(fresh)
    assert {k: c["status"] for k, c in warm.items()} == {
        "scaled": "verified", "cube": "verified", "sign": "refuted", "numpy_line": "verified",
        "transposed": "refuted", "raises": "error", "helper": "verified"}


def test_a_warm_run_without_the_store_compiles_every_claim(tmp_path):
    # The twin of the test above: the compilation count can show a fresh trace.
    write(tmp_path)
    check(tmp_path, tmp_path / "cache")
    other = check(tmp_path, tmp_path / "another-cache")
    assert all(c["compilations"] > 0 for c in other.values())


def test_a_changed_global_constant_is_traced_afresh_and_refutes(tmp_path):
    # The earlier lowering cache keyed programs by the printed jaxpr, which shows an
    # array constant's shape and not its values: it served SCALE=2's program for SCALE=3.
    write(tmp_path, scale=2.0)
    cache = tmp_path / "cache"
    assert check(tmp_path, cache)["scaled"]["status"] == "verified"
    write(tmp_path, scale=3.0)
    again = check(tmp_path, cache)
    assert again["scaled"]["status"] == "refuted"
    assert again["scaled"]["compilations"] > 0
    assert again["cube"]["compilations"] == 0  # the unchanged claims still come from the store


def test_a_changed_helper_module_is_traced_afresh_and_refutes(tmp_path):
    write(tmp_path, factor=2.0)
    cache = tmp_path / "cache"
    assert check(tmp_path, cache)["helper"]["status"] == "verified"
    write(tmp_path, factor=5.0)
    assert check(tmp_path, cache)["helper"]["status"] == "refuted"


def test_a_damaged_store_is_ignored_and_the_claims_are_traced_again(tmp_path):
    write(tmp_path)
    cache = tmp_path / "cache"
    fresh = check(tmp_path, cache)
    for path in (cache / "derivcheck-programs").rglob("*.pkl"):
        path.write_bytes(b"not a stored program")
    again = check(tmp_path, cache)
    assert all(c["compilations"] > 0 for c in again.values())
    assert verdicts(again) == verdicts(fresh)


def test_checks_that_jax_loaded_from_its_own_cache_are_stored_as_fresh_compiles(tmp_path):
    # An executable JAX loaded from its persistent cache, serialized again, lacked
    # its kernels: a warm run then failed with "Function ... not found" (17 of 19
    # claims of one proof file) or crashed. Here the store is emptied while JAX's
    # cache stays, so every check of the second run comes from JAX's cache.
    import shutil

    write(tmp_path)
    cache = tmp_path / "cache"
    fresh = check(tmp_path, cache)
    shutil.rmtree(cache / "derivcheck-programs")
    check(tmp_path, cache)
    assert stored(cache)
    warm = check(tmp_path, cache)
    assert all(c["compilations"] == 0 for c in warm.values()), "the store was not used"
    assert verdicts(warm) == verdicts(fresh)


def test_a_claim_checked_alone_takes_the_program_stored_by_a_run_of_the_whole_file(tmp_path):
    # The key once read a Space's bucket memo, which the claims before it had filled:
    # a claim then missed the store whenever it ran after other claims than before.
    write(tmp_path)
    cache = tmp_path / "cache"
    check(tmp_path, cache)
    alone = check(tmp_path, cache, "-k", "helper")
    assert alone["helper"]["compilations"] == 0


LINALG = """
    import jax.numpy as jnp
    import derivcheck as dc

    S = dc.Space(A=dc.real("N N"))
    psd = dc.holds(lambda A: jnp.all(jnp.linalg.eigvalsh(A @ A.T) >= -1e-9 * (1 + jnp.sum(A * A))),
                   space=S)
"""


def _linalg_runs(tmp_path, *, bind: bool):
    """Check LINALG twice in new processes on one cache; the second loads the stored program."""
    import subprocess
    import sys

    (tmp_path / "linalg.py").write_text(textwrap.dedent(LINALG))
    args = ["check", "linalg.py", "-j", "1", "--profile", "quick", "--format", "json",
            "--cache-dir", str(tmp_path / "cache")]
    unbind = ("" if bind else
              "import derivcheck._engine._store as s; s._bind_lapack = lambda: None\n")
    code = unbind + "import sys\nfrom derivcheck import cli\ncli.main(sys.argv[1:])\n"
    return [subprocess.run([sys.executable, "-c", code, *args], cwd=tmp_path,
                           capture_output=True, text=True) for _ in range(2)]


def test_a_claim_calling_lapack_is_loaded_from_the_store_in_a_new_process(tmp_path):
    # jaxlib binds LAPACK's functions when it lowers a linalg call; the store binds
    # them before it loads a program that calls them.
    runs = _linalg_runs(tmp_path, bind=True)
    assert [r.returncode for r in runs] == [0, 0], runs[-1].stderr[-2000:]
    first, second = (json.loads(r.stdout)["claims"][0] for r in runs)
    assert (first["status"], second["status"]) == ("verified", "verified")
    assert first["compilations"] > 0 and second["compilations"] == 0  # loaded, not traced


def test_a_stored_lapack_program_loaded_without_binding_lapack_crashes(tmp_path):  # the twin
    runs = _linalg_runs(tmp_path, bind=False)
    assert runs[0].returncode == 0  # compiled in this process: jaxlib bound LAPACK itself
    assert runs[1].returncode != 0  # loaded into a process that never bound it


def test_a_derivcheck_function_is_keyed_by_its_code_and_closure_not_its_module_state(
        monkeypatch):
    import itertools

    from derivcheck._engine import _store
    from derivcheck._latex import _expand

    monkeypatch.setattr(_expand, "_some_state", itertools.count(), raising=False)
    base = _store.key_base(functions=[_expand.elided], extra=(), options=())
    assert _store.program_key(base, ()) == _store.program_key(
        _store.key_base(functions=[_expand.elided], extra=(), options=()), ())


COUNTER = None


def test_a_user_function_reading_a_counter_is_unkeyable_and_traced_afresh():  # the twin
    import itertools

    import pytest

    from derivcheck._engine import _store

    global COUNTER
    COUNTER = itertools.count()

    def user(x):
        return x * next(COUNTER)

    with pytest.raises(_store.Unkeyable, match="itertools.count"):
        _store.key_base(functions=[user], extra=(), options=())


def _compiler_with_store(folder):
    from derivcheck._engine._compile import Compiler
    from derivcheck._engine._store import ProgramStore

    compiler = Compiler()
    compiler.store = ProgramStore(str(folder))
    return compiler


SCALE_32 = None


def _scaled(x):
    return jnp_sum(x * SCALE_32)


def jnp_sum(a):
    import jax.numpy as jnp

    return jnp.sum(a)


def test_a_fact_read_from_a_trace_is_kept_and_served_to_a_new_compiler(tmp_path):
    import numpy as np

    global SCALE_32
    SCALE_32 = np.ones(3)
    computed = []

    def compute():
        computed.append(1)
        return "float32"

    for _ in range(2):  # two runs: a new compiler each, one store
        fact = _compiler_with_store(tmp_path).fact("low_dtype", functions=[_scaled],
                                                   shapes=(("x", (3,)),), compute=compute)
        assert fact == "float32"
    assert len(computed) == 1


def test_a_fact_is_read_afresh_when_what_the_function_reads_changed(tmp_path):  # the twin
    import numpy as np

    global SCALE_32
    computed = []
    for scale in (np.ones(3), np.ones(3, np.float32)):
        SCALE_32 = scale
        _compiler_with_store(tmp_path).fact("low_dtype", functions=[_scaled],
                                            shapes=(("x", (3,)),),
                                            compute=lambda: computed.append(1))
    assert len(computed) == 2


def test_a_stored_jit_gives_jax_jit_values_and_is_loaded_by_a_new_compiler(tmp_path):
    import jax
    import numpy as np

    global SCALE_32
    SCALE_32 = np.array([1.0, 2.0, 3.0])
    x = np.array([0.5, 0.25, 2.0])
    with jax.enable_x64(True):
        want = np.asarray(jax.jit(_scaled)(x))
        first = _compiler_with_store(tmp_path)
        np.testing.assert_array_equal(np.asarray(first.stored_jit(
            _scaled, functions=[_scaled], extra=())(x)), want)
        stored = list(tmp_path.rglob("*.pkl"))
        assert len(stored) == 1
        second = _compiler_with_store(tmp_path)
        np.testing.assert_array_equal(np.asarray(second.stored_jit(
            _scaled, functions=[_scaled], extra=())(x)), want)
        assert list(tmp_path.rglob("*.pkl")) == stored  # loaded, not compiled and stored again


def test_a_stored_jit_is_not_served_for_a_function_that_reads_other_values(tmp_path):  # twin
    import jax
    import numpy as np

    global SCALE_32
    x = np.array([0.5, 0.25, 2.0])
    with jax.enable_x64(True):
        got = []
        for scale in ([1.0, 2.0, 3.0], [1.0, 2.0, 4.0]):
            SCALE_32 = np.array(scale)
            got.append(float(_compiler_with_store(tmp_path).stored_jit(
                _scaled, functions=[_scaled], extra=())(x)))
    assert got == [7.0, 9.0]
    assert len(list(tmp_path.rglob("*.pkl"))) == 2


def _key_under(matmul_precision):
    import jax

    from derivcheck._engine import _store

    before = jax.config.jax_default_matmul_precision
    try:
        jax.config.update("jax_default_matmul_precision", matmul_precision)
        return _store.program_key(_store.key_base(functions=[_scaled], extra=(), options=()), ())
    finally:
        jax.config.update("jax_default_matmul_precision", before)


def test_a_key_changes_with_jax_configuration_even_after_an_earlier_key_was_made():
    assert _key_under("highest") != _key_under("bfloat16")


def test_a_key_is_the_same_under_the_same_jax_configuration():  # the twin
    assert _key_under("highest") == _key_under("highest")


def _steps_checker(folder):
    import jax.numpy as jnp

    import derivcheck as dc
    from derivcheck._engine._evaluate import Checker
    from derivcheck._engine._oracle import autodiff
    from derivcheck._profiles import get_profile

    claim = dc.gradient(lambda x: jnp.sum(x ** 2), lambda x: 2 * x,
                        space=dc.Space(x=dc.real("3")), wrt="x")
    oracle = autodiff(claim)
    return Checker(claim, get_profile("quick"), 0, oracle=oracle, oracle_name=oracle.name,
                   compiler=_compiler_with_store(folder))


def _overflow_verdicts(folder):
    """(eager, kept steps) verdicts of the step-by-step overflow test, twice each."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    from derivcheck._engine import _steps

    def overflowing(x):  # exp(x) overflows at 800 though the ratio is finite
        return jnp.exp(x["x"]) / (1 + jnp.exp(x["x"]))

    def calm(x):
        return jax.nn.sigmoid(x["x"])

    x = {"x": np.array([800.0, 1.0, -2.0])}
    out = []
    with jax.enable_x64(True):
        for _ in range(2):  # the second time, each step comes from the store
            ops = _steps._stored_ops(_steps_checker(folder))
            out.append([(_steps._overflows(f, x), _steps._overflows(f, x, ops))
                        for f in (overflowing, calm)])
    return out


def test_steps_run_by_numpy_find_the_overflow_eager_steps_find(tmp_path):
    first, second = _overflow_verdicts(tmp_path)
    assert first == second == [(True, True), (False, False)]
    assert not list(tmp_path.rglob("*.pkl"))  # NumPy ran every step: nothing compiled


def test_kept_steps_find_the_overflow_eager_steps_find(tmp_path, monkeypatch):
    # the twin: where NumPy does not run the steps, each is a kept compiled program
    from derivcheck._engine import _interp

    monkeypatch.setattr(_interp, "step", lambda eqn, ins: None)
    first, second = _overflow_verdicts(tmp_path)
    assert first == second == [(True, True), (False, False)]
    assert list(tmp_path.rglob("*.pkl"))  # the steps were kept


def _eager_steps(folder, fn, x):
    """How many steps of the overflow test of ``fn`` at ``x`` ran eagerly, not kept."""
    import jax

    from derivcheck._engine import _steps

    eager = []
    real = _steps._eager

    def counting(eqn, ins):
        eager.append(eqn.primitive.name)
        return real(eqn, ins)

    with jax.enable_x64(True):
        ops = _steps._stored_ops(_steps_checker(folder))
        try:
            _steps._eager = counting
            _steps._overflows(fn, x, ops)
        finally:
            _steps._eager = real
    return eager


def test_a_step_whose_parameters_hold_numpy_integers_is_kept_not_run_eagerly(tmp_path):
    import jax
    import numpy as np

    def side(x):  # LaTeX's compiled broadcasts name their dimensions with np.int64
        return jax.lax.broadcast_in_dim(x["x"], (2, 3), (np.int64(1),))

    assert _eager_steps(tmp_path, side, {"x": np.ones(3)}) == []


def test_a_step_whose_parameters_hold_a_sub_program_runs_eagerly(tmp_path):
    import jax.numpy as jnp
    import numpy as np

    def side(x):  # scatter-mul carries its update jaxpr: not a plain value (nor NumPy's)
        return jnp.ones(3).at[jnp.array([0, 2])].multiply(x["x"][:2])

    assert "scatter-mul" in _eager_steps(tmp_path, side, {"x": np.ones(3)})


def _digests_per_run(folder, runs):
    """How many times what a refuted claim's functions read was hashed, in each run."""
    import collections

    import jax.numpy as jnp

    import derivcheck as dc
    from derivcheck._engine import Engine, _compile
    from derivcheck._profiles import get_profile

    claim = dc.gradient(lambda x: jnp.sum(jnp.exp(x)), lambda x: -jnp.exp(x),
                        space=dc.Space(x=dc.real("3")), wrt="x")
    engine = Engine(_compiler_with_store(folder))
    real = _compile.functions_digest
    counts = []
    try:
        for _ in range(runs):
            seen = collections.Counter()

            def counting(functions, seen=seen):
                seen[tuple(map(id, functions))] += 1
                return real(functions)

            _compile.functions_digest = counting
            assert engine.run(claim, profile=get_profile("quick")).status == "refuted"
            counts.append(seen)
    finally:
        _compile.functions_digest = real
    return counts


def test_what_a_claims_functions_read_is_hashed_once_per_run(tmp_path):
    first, = _digests_per_run(tmp_path, 1)
    assert first and set(first.values()) == {1}


def test_a_second_run_hashes_what_the_functions_read_afresh(tmp_path):  # the twin
    first, second = _digests_per_run(tmp_path, 2)
    assert set(first) & set(second)  # the claim's own functions, hashed in both runs


def _overflow_tests_run(folder, values):
    """For each x value in turn (each with a fresh checker on one store): the overflow
    verdict of exp(x)/(1+exp(x)), and whether its steps were walked (not read back)."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    from derivcheck._engine import _steps

    def side(x):
        return jnp.exp(x["x"]) / (1 + jnp.exp(x["x"]))

    real, out = _steps._overflows, []
    try:
        for v in values:
            walked = []

            def counting(*a, walked=walked, **k):
                walked.append(True)
                return real(*a, **k)

            _steps._overflows = counting
            with jax.enable_x64(True):
                ck = _steps_checker(folder)
                found = _steps.overflows_at(ck, side, {"x": np.array([v, 1.0, -2.0])},
                                                 ("line", 0), side)
            out.append((found, bool(walked)))
    finally:
        _steps._overflows = real
    return out


def test_an_overflow_test_done_before_is_read_from_the_store_not_walked_again(tmp_path):
    assert _overflow_tests_run(tmp_path, [800.0, 800.0]) == [(True, True), (True, False)]


def test_an_overflow_test_at_other_values_is_walked_afresh(tmp_path):  # the twin
    assert _overflow_tests_run(tmp_path, [800.0, 1.0]) == [(True, True), (False, True)]

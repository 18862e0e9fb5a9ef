"""A run's lowerings share one MLIR context, and JAX's own function is put back after it.

JAX makes a fresh MLIR context (and loads its dialects) for every lowering;
derivcheck's runs reuse one (``_programs.shared_ir_context``). Each "shares"
test has a twin that shows the figure it reads can tell the difference.
"""

import threading

import jax
import jax.numpy as jnp
import pytest
from jax._src.interpreters import mlir

import derivcheck as dc
from derivcheck._engine import _programs
from derivcheck._engine._programs import shared_ir_context


def _context_of_a_lowering(k: float):
    return jax.jit(lambda x: x * k + 1.0).lower(1.0).compiler_ir().context


def test_lowerings_inside_the_block_share_one_mlir_context():
    with shared_ir_context():
        assert _context_of_a_lowering(2.0) is _context_of_a_lowering(3.0)


def test_lowerings_outside_the_block_each_get_a_fresh_context():
    assert _context_of_a_lowering(2.0) is not _context_of_a_lowering(3.0)


def test_the_module_is_the_same_text_in_a_shared_context():
    def f(x):
        return jnp.sum(jnp.exp(x) / jnp.sum(jnp.exp(x)))

    fresh = jax.jit(f).lower(jnp.ones(3)).as_text()
    with shared_ir_context():
        jax.jit(lambda x: x - 1.0).lower(2.0)  # the context has seen another module
        shared = jax.jit(f).lower(jnp.ones(3)).as_text()
    assert shared == fresh


def test_a_different_function_lowers_to_different_text_in_a_shared_context():
    with shared_ir_context():
        a = jax.jit(lambda x: x + 1.0).lower(1.0).as_text()
        b = jax.jit(lambda x: x + 2.0).lower(1.0).as_text()
    assert a != b


def test_jax_gets_its_own_function_back_after_the_block():
    before = mlir.make_ir_context
    with shared_ir_context():
        pass
    assert mlir.make_ir_context is before


def test_inside_the_block_jax_calls_derivcheck_s_function():
    before = mlir.make_ir_context
    with shared_ir_context():
        assert mlir.make_ir_context is not before


def test_jax_gets_its_own_function_back_after_a_block_that_raised():
    before = mlir.make_ir_context
    with pytest.raises(RuntimeError), shared_ir_context():
        raise RuntimeError("a claim that raised")
    assert mlir.make_ir_context is before


def test_another_thread_gets_fresh_contexts_inside_the_block():
    seen = []
    with shared_ir_context():
        mine = _context_of_a_lowering(2.0)
        t = threading.Thread(target=lambda: seen.extend(
            [_context_of_a_lowering(3.0), _context_of_a_lowering(4.0)]))
        t.start()
        t.join()
    assert seen[0] is not mine and seen[1] is not seen[0]


def test_the_shared_context_is_renewed_after_its_uses(monkeypatch):
    monkeypatch.setattr(_programs, "IR_CONTEXT_USES", 2)
    monkeypatch.setattr(_programs, "_shared", {"context": None, "uses": 0})
    with shared_ir_context():
        a, b, c = (_context_of_a_lowering(k) for k in (2.0, 3.0, 4.0))
    assert a is b and c is not b


def test_the_shared_context_is_kept_within_its_uses(monkeypatch):
    monkeypatch.setattr(_programs, "IR_CONTEXT_USES", 3)
    monkeypatch.setattr(_programs, "_shared", {"context": None, "uses": 0})
    with shared_ir_context():
        a, b, c = (_context_of_a_lowering(k) for k in (2.0, 3.0, 4.0))
    assert a is b is c


def test_a_check_leaves_jax_s_function_as_it_found_it():
    before = mlir.make_ir_context
    result = dc.check(dc.gradient(lambda x: jnp.sum(x ** 3), lambda x: 3 * x ** 2,
                                  space=dc.Space(x=dc.real("D")), wrt="x"),
                      profile="quick")
    assert result.status == "verified"
    assert mlir.make_ir_context is before

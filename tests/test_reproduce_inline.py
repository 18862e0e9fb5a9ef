"""The reproducer of a check made from Python is a runnable script calling your functions."""

import os
import subprocess
import sys
from pathlib import Path

import jax.numpy as jnp

import derivcheck as dc

SPACE = dc.Space(w=dc.real("D"), x=dc.real("D"))


def loss(w, x):
    return jnp.dot(w, x) ** 2


def wrong_grad(w, x):
    return -2 * jnp.dot(w, x) * x


def right_grad(w, x):
    return 2 * jnp.dot(w, x) * x


def _run(snippet):
    here = Path(__file__).resolve().parent
    out = subprocess.run([sys.executable, "-c", snippet], capture_output=True, text=True,
                         check=True, cwd=here, env={**os.environ, "PYTHONPATH": str(here)})
    return float(out.stdout.strip().rsplit("=", 1)[1])


def test_the_reproducer_imports_the_functions_and_shows_the_difference():
    r = dc.check_gradient(loss, wrong_grad, space=SPACE, wrt="w", profile="quick")
    snippet = r.reproduce()
    assert "from test_reproduce_inline import loss" in snippet
    assert "from test_reproduce_inline import wrong_grad" in snippet
    assert _run(snippet) > 1e-3


def test_the_same_script_with_the_right_function_shows_no_difference():
    r = dc.check_gradient(loss, wrong_grad, space=SPACE, wrt="w", profile="quick")
    snippet = r.reproduce().replace("wrong_grad", "right_grad")
    assert _run(snippet) < 1e-12


def test_a_lambda_is_a_placeholder_saying_where_it_is_defined():
    r = dc.check_gradient(loss, lambda w, x: 3 * x, space=SPACE, wrt="w", profile="quick")
    snippet = r.reproduce()
    line = next(ln for ln in snippet.splitlines() if ln.startswith("claimed_fn = ..."))
    assert "<lambda>" in line and "test_reproduce_inline.py:" in line


def test_a_claim_from_a_proof_file_still_reproduces_with_the_command_line():
    claim = dc.gradient(loss, wrong_grad, space=SPACE, wrt="w", id="g")
    claim.file = "proofs/example.py"
    r = dc.check(claim, profile="quick")
    assert r.reproduce().startswith("# seed 0; re-run: derivcheck check --seed 0")

"""Can the verdicts be trusted? Stability is not mistaken for error, runs reproduce, and a
refutation comes with inputs that really fail."""

import json
import math
import os
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from click.testing import CliRunner

import derivcheck as dc
from derivcheck import _tolerance as tol
from derivcheck.cli import main

LOGITS = dc.Space(z=dc.real("K"))


def stable_softmax(z):
    e = jnp.exp(z - jnp.max(z))
    return e / jnp.sum(e)


def naive_softmax(z):
    return jnp.exp(z) / jnp.sum(jnp.exp(z))


def check_softmax(formula, seed):
    claim = dc.equal(jax.nn.softmax, formula, space=LOGITS, id=formula.__name__)
    return dc.check(claim, profile="thorough", max_examples=12, seed=seed)


# -- numerical instability is not a wrong formula ----------------------------------------

@pytest.mark.parametrize("seed", [0, 1])
def test_a_stable_softmax_is_verified_on_extreme_logits(seed):
    r = check_softmax(stable_softmax, seed)
    assert r.status == "verified", str(r)
    assert r.unstable_from is None


@pytest.mark.parametrize("seed", [0, 1])
def test_a_naive_softmax_is_unstable_with_a_magnitude_and_never_refuted(seed):
    r = check_softmax(naive_softmax, seed)
    assert r.status == "unstable", str(r)
    assert r.unstable_from is not None and math.isfinite(r.unstable_from)
    assert r.unstable_from > tol.MODERATE  # it breaks only at large logits
    assert f"breaks for inputs of magnitude >= {r.unstable_from:.3g}" in r.summary_line()
    assert r.diagnosis is None


# -- the same seed gives the same run; another seed gives another search ------------------

PROOF = """
    import jax
    import jax.numpy as jnp
    import derivcheck as dc

    S = dc.Space(W=dc.real("D K"), X=dc.real("N D"), Y=dc.one_hot("N K"))

    def risk(W, X, Y):
        return -jnp.mean(jnp.sum(Y * jax.nn.log_softmax(X @ W, axis=-1), axis=-1))

    right = dc.gradient(risk, lambda W, X, Y: X.T @ (jax.nn.softmax(X @ W, axis=-1) - Y)
                        / X.shape[0], space=S, wrt="W")
    wrong = dc.gradient(risk, lambda W, X, Y: X.T @ (jax.nn.softmax(X @ W, axis=-1) - Y),
                        space=S, wrt="W")

    # The truth 1/x is infinite where an entry of x is exactly 0 (the "zeros" and
    # "integers" regimes draw some): how many inputs get checked depends on the draws.
    inverse = dc.gradient(lambda x: jnp.sum(jnp.log(x ** 2)) / 2, lambda x: 1 / x,
                          space=dc.Space(x=dc.real("D")), wrt="x")
"""


def json_run(folder, seed):
    before = os.getcwd()
    try:
        os.chdir(folder)
        r = CliRunner().invoke(main, ["check", "proof.py", "--format", "json", "--profile",
                                      "quick", "--seed", str(seed)], catch_exceptions=False)
    finally:
        os.chdir(before)
    assert r.exit_code == 1, r.output  # "wrong" is refuted, unexpectedly
    return json.loads(r.stdout)


def without(doc, *keys):
    if isinstance(doc, dict):
        return {k: without(v, *keys) for k, v in doc.items() if k not in keys}
    if isinstance(doc, list):
        return [without(v, *keys) for v in doc]
    if isinstance(doc, str):  # the reproduce snippet names the seed
        return doc.split("\n", 1)[-1] if doc.startswith("# seed") else doc
    return doc


@pytest.fixture(scope="module")
def proof_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("trust")
    (folder / "proof.py").write_text(textwrap.dedent(PROOF), encoding="utf-8")
    return folder


def test_two_runs_with_the_same_seed_give_the_same_json_apart_from_timings(proof_folder):
    a, b = json_run(proof_folder, 5), json_run(proof_folder, 5)
    # seconds and compilations are costs, not results: the second run may load every
    # compiled check from the program store and compile nothing
    assert without(a, "seconds", "compilations") == without(b, "seconds", "compilations")
    assert [c["status"] for c in a["claims"]] == ["verified", "refuted", "verified"]


def test_different_seeds_give_different_searches(proof_folder):
    docs = [json_run(proof_folder, seed) for seed in (5, 6, 7, 8)]
    texts = {json.dumps(without(d, "seconds", "compilations", "seed"), sort_keys=True)
             for d in docs}
    assert len(texts) > 1
    statuses = {tuple(c["status"] for c in d["claims"]) for d in docs}
    assert statuses == {("verified", "refuted", "verified")}


# -- a refutation says how to reproduce it, and its inputs really fail ---------------------

SPACE = dc.Space(W=dc.real("D K"), X=dc.real("N D"), Y=dc.one_hot("N K"))


def risk(W, X, Y):
    return -jnp.mean(jnp.sum(Y * jax.nn.log_softmax(X @ W, axis=-1), axis=-1))


def right_grad(W, X, Y):
    return X.T @ (jax.nn.softmax(X @ W, axis=-1) - Y) / X.shape[0]


def sign_flipped(W, X, Y):
    return -right_grad(W, X, Y)


def inputs_of(snippet):
    scope = {"np": np}
    exec(snippet, scope)  # the snippet is plain Python: a comment and inputs = dict(...)
    return scope["inputs"]


def error_at(grad, inputs):
    x = {k: jnp.asarray(v) for k, v in inputs.items()}
    claimed = np.asarray(grad(**x))
    truth = np.asarray(jax.grad(risk)(x["W"], x["X"], x["Y"]))
    s = max(float(np.max(np.abs(x[k]))) for k in ("W", "X"))
    return float(tol.normalized_error(claimed, truth, s, np))


@pytest.fixture(scope="module")
def refuted():
    r = dc.check_gradient(risk, sign_flipped, space=SPACE, wrt="W", profile="quick", seed=3)
    assert r.status == "refuted", str(r)
    return r


def test_a_refuted_inline_check_reproduces_in_python_with_the_users_functions(refuted):
    snippet = refuted.reproduce()
    assert "derivcheck check --seed" not in snippet  # no proof file to re-run
    assert "from test_trust import risk" in snippet
    assert "from test_trust import sign_flipped" in snippet
    assert "truth = jax.grad(" in snippet
    inputs = inputs_of(snippet)
    assert set(inputs) == {"W", "X", "Y"}
    for k, v in refuted.counterexample.items():
        np.testing.assert_array_equal(inputs[k], v)


def test_the_reproduced_inputs_really_fail_against_jax_grad(refuted):
    inputs = inputs_of(refuted.reproduce())
    assert error_at(sign_flipped, inputs) > tol.THRESHOLD


def test_the_right_gradient_passes_at_the_reproduced_inputs(refuted):
    inputs = inputs_of(refuted.reproduce())
    assert error_at(right_grad, inputs) <= tol.THRESHOLD


def test_a_verified_result_has_no_inputs_to_reproduce():
    r = dc.check_gradient(risk, right_grad, space=SPACE, wrt="W", profile="quick", seed=3)
    assert r.status == "verified", str(r)
    assert "inputs = dict(" not in r.reproduce()
    assert "--seed 3" in r.reproduce()

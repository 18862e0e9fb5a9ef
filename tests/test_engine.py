"""The engine refutes wrong gradients and verifies right ones (each test has a failing twin)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import derivcheck as dc

SPACE = dc.Space(W=dc.real("D K"), X=dc.real("N D"), Y=dc.one_hot("N K"), lam=dc.positive())


def risk(W, X, Y):
    return -jnp.mean(jnp.sum(Y * jax.nn.log_softmax(X @ W, axis=-1), axis=-1))


def risk_l2(W, X, Y, lam):
    return risk(W, X, Y) + lam / 2 * jnp.sum(W**2)


def grad(W, X, Y):
    return X.T @ (jax.nn.softmax(X @ W, axis=-1) - Y) / X.shape[0]


def grad_l2(W, X, Y, lam):
    return grad(W, X, Y) + lam * W


def grad_numpy(W, X, Y):
    z = X @ W
    z = z - z.max(axis=-1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)
    return X.T @ (p - Y) / X.shape[0]


WRONG = {
    "sign": (risk, lambda W, X, Y: -grad(W, X, Y), "sign error"),
    "missing_1_over_N": (risk, lambda W, X, Y: grad(W, X, Y) * X.shape[0], "factor: claimed = N"),
    "extra_2": (risk, lambda W, X, Y: 2 * grad(W, X, Y), "factor: claimed = 2"),
    "transpose": (risk, lambda W, X, Y: grad(W, X, Y).T, "transpose"),
    "dropped_regularization": (
        risk_l2, grad,
        "claimed - autodiff = -lam·W: the regularization term is missing (penalty 1/2·lam‖W‖²)"),
    "half_regularization": (risk_l2, lambda W, X, Y, lam: grad(W, X, Y) + lam / 2 * W,
                            "claimed - autodiff = -1/2·lam·W"),
    "class_index_off_by_one": (
        risk, lambda W, X, Y: jnp.roll(grad(W, X, Y), 1, axis=1), "classes shifted by +1"),
    "numpy_sign": (risk, lambda W, X, Y: -grad_numpy(W, X, Y), "sign error"),
}


@pytest.mark.parametrize("name", list(WRONG))
def test_wrong_gradient_is_refuted_and_diagnosed(name):
    f, g, expected = WRONG[name]
    r = dc.check_gradient(f, g, space=SPACE, wrt="W", profile="quick")
    assert r.status == "refuted", str(r)
    assert r.counterexample is not None
    assert expected in (r.diagnosis or ""), r.diagnosis


RIGHT = {
    "softmax_ce": (risk, grad),
    "softmax_ce_l2": (risk_l2, grad_l2),
    "numpy_implementation": (risk, grad_numpy),
}


@pytest.mark.parametrize("name", list(RIGHT))
def test_correct_gradient_is_verified_without_diagnosis(name):
    f, g = RIGHT[name]
    r = dc.check_gradient(f, g, space=SPACE, wrt="W")
    assert r.status == "verified", str(r)
    assert r.diagnosis is None
    assert r.examples >= 1000
    assert r.max_error < 1e-10


def test_large_logits_do_not_refute_a_stable_formula():
    big = dc.Space(W=dc.real("D K"), X=dc.real("N D"), Y=dc.one_hot("N K"))
    r = dc.check_gradient(risk, grad, space=big, wrt="W", profile="thorough", max_examples=30)
    assert r.status == "verified", str(r)


def test_naive_softmax_formula_is_unstable_not_refuted():
    def naive(W, X, Y):
        e = jnp.exp(X @ W)
        return X.T @ (e / e.sum(axis=-1, keepdims=True) - Y) / X.shape[0]

    r = dc.check_gradient(risk, naive, space=SPACE, wrt="W")
    assert r.status == "unstable", str(r)
    assert r.unstable_from is not None and r.unstable_from > 1.0


def test_counterexample_is_small_and_reproduces():
    r = dc.check_gradient(risk, lambda W, X, Y: -grad(W, X, Y), space=SPACE, wrt="W",
                          profile="quick")
    cx = r.counterexample
    assert r.bucket == {"D": 1, "K": 2, "N": 1}
    assert all(np.all(np.abs(v) <= 3) for v in cx.values())
    g = -grad(**{k: jnp.asarray(cx[k]) for k in ("W", "X", "Y")})
    t = jax.grad(risk)(*(jnp.asarray(cx[k]) for k in ("W", "X", "Y")))
    assert not np.allclose(g, t)


def test_derivation_names_first_broken_line_and_compiles_once_per_bucket():
    d = dc.Derivation(
        target=dc.grad_of(risk, wrt="W"), space=SPACE, id="chain",
        lines=[
            dc.Line("g", grad),
            dc.Line("-g", lambda W, X, Y: -grad(W, X, Y), erratum="sign",
                    fix=dc.Line("g", grad)),
            dc.Line("g again", grad),
        ])
    r = dc.check(d, profile="quick")
    assert [ln.status for ln in r.lines] == ["verified", "refuted", "verified"]
    assert r.first_break.index == 2
    assert r.lines[1].fix.status == "verified"
    assert r.ok
    # one per bucket, plus one for the diagnosis where the maximum bucket's dimensions tie
    assert r.compilations <= dc.PROFILES["quick"].buckets + 1


def test_derivation_with_every_line_right_is_verified():
    d = dc.Derivation(target=dc.grad_of(risk, wrt="W"), space=SPACE,
                      lines=[dc.Line("g", grad), dc.Line("g", grad)])
    r = dc.check(d, profile="quick")
    assert r.status == "verified"
    assert r.first_break is None


def test_equality_identity_holds_and_its_wrong_twin_fails():
    space = dc.Space(z=dc.real("K"), psi=dc.real())
    ok = dc.check_equal(lambda z, psi: jax.nn.softmax(z - psi), lambda z: jax.nn.softmax(z),
                         space=space)
    bad = dc.check_equal(lambda z, psi: jax.nn.softmax(z * 2), lambda z: jax.nn.softmax(z),
                         space=space,
                         profile="quick")
    assert ok.status == "verified"
    assert bad.status == "refuted"


def test_jacobian_right_and_wrong():
    space = dc.Space(z=dc.real("K"))

    def jac(z):
        s = jax.nn.softmax(z)
        return jnp.diag(s) - jnp.outer(s, s)

    assert dc.check_jacobian(jax.nn.softmax, jac, space=space, wrt="z").status == "verified"
    wrong = dc.check_jacobian(jax.nn.softmax, lambda z: jnp.diag(jax.nn.softmax(z)),
                              space=space, wrt="z", profile="quick")
    assert wrong.status == "refuted"


def test_property_claim_true_and_false():
    space = dc.Space(p=dc.simplex("K"))
    assert dc.check(dc.holds(lambda p: jnp.all(p > 0), space=space)).status == "verified"
    assert dc.check(dc.holds(lambda p: jnp.all(p > 0.5), space=space),
                    profile="quick").status == "refuted"


def test_same_seed_gives_same_result_and_other_seed_may_differ():
    f = lambda W, X, Y: -grad(W, X, Y)  # noqa: E731
    a = dc.check_gradient(risk, f, space=SPACE, wrt="W", seed=5, profile="quick")
    b = dc.check_gradient(risk, f, space=SPACE, wrt="W", seed=5, profile="quick")
    assert a.to_dict() | {"seconds": 0} == b.to_dict() | {"seconds": 0}


def test_checking_the_same_claim_again_compiles_nothing():
    c = dc.gradient(risk, grad, space=SPACE, wrt="W", id="again")
    first = dc.check(c, profile="quick")
    second = dc.check(c, profile="quick", seed=1)
    assert first.compilations >= 1
    assert second.compilations == 0
    assert second.status == "verified"


def _units_measured(claim, profile):
    """How many units (one per bucket whose unit is unknown) a check measures."""
    from derivcheck import _tolerance

    calls = []
    real = _tolerance.unit_of

    def counting(*a, **k):
        calls.append(1)
        return real(*a, **k)

    _tolerance.unit_of = counting
    try:
        result = dc.check(claim, profile=profile)
    finally:
        _tolerance.unit_of = real
    return result, calls


def test_a_claim_checked_again_reuses_its_units_and_gets_the_same_verdict():
    c = dc.gradient(risk, lambda W, X, Y: 1.5 * grad(W, X, Y), space=SPACE, wrt="W", id="unit")
    first, units1 = _units_measured(c, "quick")
    second, units2 = _units_measured(c, "quick")
    assert first.to_dict() | {"seconds": 0, "compilations": 0} == \
        second.to_dict() | {"seconds": 0, "compilations": 0}
    assert units1 and not units2


def test_another_profile_measures_its_own_units():  # twin: other buckets, other batches
    c = dc.gradient(risk, grad, space=SPACE, wrt="W", id="unit2")
    _units_measured(c, "quick")
    _, units = _units_measured(c, "default")
    _, again = _units_measured(c, "default")
    assert units and not again


def _fresh_checker(claim, profile="default"):
    from derivcheck._engine._compile import Compiler
    from derivcheck._engine._evaluate import Checker
    from derivcheck._engine._oracle import autodiff
    from derivcheck._profiles import get_profile

    oracle = autodiff(claim)
    return Checker(claim, get_profile(profile), 0, oracle=oracle, oracle_name=oracle.name,
                   compiler=Compiler())


def _unit_given(claim, b, seed):
    """The unit of bucket ``b`` measured from the result on the batch of ``seed``."""
    with jax.enable_x64(True):
        ck = _fresh_checker(claim)
        batch = ck.space.draw(ck.bucket(b), seed=seed, size=ck.batch_of(b),
                              regimes=ck.profile.regimes)
        return ck.unit(b, probe=ck.call(b, batch))


def _unit_alone(claim, b):
    with jax.enable_x64(True):
        return _fresh_checker(claim).unit(b)


def test_the_unit_taken_from_the_searchs_probe_example_is_the_unit_measured_alone():
    c = dc.gradient(risk, grad, space=SPACE, wrt="W", id="probe")
    for b in range(3):
        assert _unit_given(c, b, seed=b) == _unit_alone(c, b)


def test_a_result_on_another_batch_would_give_another_unit():  # the twin
    c = dc.gradient(risk, grad, space=SPACE, wrt="W", id="probe2")
    assert _unit_given(c, 1, seed=7) != _unit_alone(c, 1)


SCALE = np.ones(3)


def test_an_array_the_claim_reads_changed_in_place_is_traced_afresh_and_refutes():
    SCALE[:] = 1.0
    c = dc.gradient(lambda x: jnp.sum(SCALE * x ** 2), lambda x: 2 * x,
                    space=dc.Space(x=dc.real("3")), wrt="x", id="mutated")
    assert dc.check(c, profile="quick").status == "verified"
    SCALE[:] = 3.0  # the claimed 2x is now wrong; JAX had baked in the old SCALE
    again = dc.check(c, profile="quick")
    assert again.status == "refuted"
    assert again.compilations >= 1


def test_the_same_array_unchanged_keeps_the_compiled_check():  # the twin
    SCALE[:] = 1.0
    c = dc.gradient(lambda x: jnp.sum(SCALE * x ** 2), lambda x: 2 * x,
                    space=dc.Space(x=dc.real("3")), wrt="x", id="kept")
    dc.check(c, profile="quick")
    again = dc.check(c, profile="quick")
    assert again.status == "verified" and again.compilations == 0


def test_an_equal_but_new_claim_compiles_again():
    a = dc.check(dc.gradient(risk, grad, space=SPACE, wrt="W", id="new"), profile="quick")
    b = dc.check(dc.gradient(risk, grad, space=SPACE, wrt="W", id="new"), profile="quick")
    assert a.compilations >= 1
    assert b.compilations >= 1


def test_a_broken_line_keeps_its_message_when_checked_again():
    c = dc.gradient(risk, lambda W: W[0], space=SPACE, wrt="W", id="broken")
    first, second = dc.check(c, profile="quick"), dc.check(c, profile="quick")
    assert first.status == second.status == "error"
    assert first.message == second.message
    assert "returns shape" in second.message


BIG = dc.Space(W=dc.real("D K"), X=dc.real("N D"), Y=dc.one_hot("N K"),
               dims={"N": 128, "D": 64, "K": 4})


def _rounds(claim, profile="default"):
    from derivcheck._engine._compile import Compiler
    from derivcheck._engine._evaluate import Checker
    from derivcheck._profiles import get_profile

    ck = Checker(claim, get_profile(profile), seed=0, oracle=None, oracle_name="sizing",
                 compiler=Compiler())
    return ck.rounds_of(0), ck.batch_of(0)


def test_large_inputs_are_checked_in_two_halves_and_a_wrong_sign_is_still_refuted():
    claim = dc.gradient(risk, lambda W, X, Y: -grad(W, X, Y), space=BIG, wrt="W")
    assert _rounds(claim) == (2, 32)
    r = dc.check(claim, profile="default")
    assert r.status == "refuted", str(r)
    assert "sign error" in (r.diagnosis or "")


def test_large_inputs_checked_in_two_halves_verify_a_right_formula_on_the_whole_budget():
    claim = dc.gradient(risk, grad, space=BIG, wrt="W")
    assert _rounds(claim) == (2, 32)
    r = dc.check(claim, profile="default")
    assert r.status == "verified", str(r)
    assert r.examples >= 16 * 64  # both halves of every example were checked


def test_small_inputs_are_checked_in_one_call_per_example():
    assert _rounds(dc.gradient(risk, grad, space=SPACE, wrt="W"))[0] == 1


def test_compiler_options_unknown_to_xla_fall_back_to_its_defaults():
    from derivcheck._engine import Engine
    from derivcheck._engine._compile import Compiler
    from derivcheck._profiles import get_profile

    compiler = Compiler({"xla_no_such_flag_for_derivcheck": True})
    r = Engine(compiler).run(dc.gradient(risk, grad, space=SPACE, wrt="W"),
                             profile=get_profile("quick"))
    assert r.status == "verified", str(r)
    assert compiler.usable_options() == ()


def test_compiler_options_xla_knows_are_used():
    from derivcheck._engine._compile import COMPILER_OPTIONS, Compiler

    with jax.enable_x64(True):
        assert dict(Compiler().usable_options()) == COMPILER_OPTIONS


def _compiled_checks(space):
    """The XLA programs of a gradient claim checked at the default profile, no store."""
    from derivcheck._engine import Engine
    from derivcheck._engine._compile import Compiler
    from derivcheck._profiles import get_profile

    compiler = Compiler()
    claim = dc.gradient(risk, grad, space=space, wrt="W")
    r = Engine(compiler).run(claim, profile=get_profile("default"))
    assert r.status == "verified", str(r)
    checks = compiler._fused[claim]
    return [(full, exe.as_text()) for fc in checks.values() for full, exe in fc._compiled.items()]


def test_a_fused_check_of_small_examples_compiles_without_ynnpack_fusions():
    from derivcheck._engine._programs import SMALL_EXAMPLE_FLOATS

    small = dc.Space(W=dc.real("D K"), X=dc.real("N D"), Y=dc.one_hot("N K"),
                     dims={"N": (1, 2), "D": (1, 2), "K": (2, 3)})
    programs = _compiled_checks(small)
    assert programs
    for full, text in programs:
        assert sum(int(np.prod(shape[1:])) for _, shape, _ in full) <= SMALL_EXAMPLE_FLOATS
        assert "__ynn_fusion" not in text, full


def test_a_fused_check_of_large_examples_keeps_ynnpack_fusions():
    large = dc.Space(W=dc.real("D K"), X=dc.real("N D"), Y=dc.one_hot("N K"),
                     dims={"N": (16, 16), "D": (8, 8), "K": (4, 4)})
    programs = _compiled_checks(large)
    assert programs
    assert all("__ynn_fusion" in text for _, text in programs)


@pytest.mark.parametrize(("returned", "says"), [(None, "returns None"), ("yes", "returns a str")],
                         ids=["none", "string"])
def test_a_predicate_that_returns_no_boolean_is_an_error_that_says_to_return_one(returned, says):
    space = dc.Space(p=dc.simplex("K"))
    r = dc.check_holds(lambda p: returned, space=space, profile="quick")
    assert r.status == "error"
    assert says in r.message and "boolean" in r.message
    assert "derivcheck itself" not in r.message


def test_a_predicate_that_returns_a_boolean_is_judged_on_its_value():  # the twin
    space = dc.Space(p=dc.simplex("K"))
    assert dc.check_holds(lambda p: jnp.all(p >= 0), space=space, profile="quick").ok


def test_a_numpy_predicate_that_returns_none_is_an_error_too():
    space = dc.Space(p=dc.simplex("K"))
    r = dc.check_holds(lambda p: None if float(p.sum()) > 0 else True, space=space,
                       profile="quick")
    assert r.status == "error" and "returns None" in r.message



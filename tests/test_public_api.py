"""The public surface is exactly what __all__ says."""

import json

import pytest

import derivcheck as dc


def test_all_names_are_exported_and_nothing_private_leaks():
    public = {n for n in dir(dc) if not n.startswith(("_", "@"))}
    assert set(dc.__all__) <= public
    assert set(dc.__all__) == public - {"cli", "pytest_plugin", "strategies"}


def test_a_name_outside_all_is_not_part_of_the_surface():
    assert "run_claim" not in dc.__all__
    assert not hasattr(dc, "run_claim")


SPACE = dc.Space(x=dc.real("D"))


def test_each_check_has_one_assert_twin_and_no_other_spelling():
    checks = {n[len("check_"):] for n in dc.__all__ if n.startswith("check_")}
    asserts = {n[len("assert_"):] for n in dc.__all__ if n.startswith("assert_")}
    assert checks == {"gradient", "jacobian", "equal", "holds", "vjp", "hessian", "hvp"}
    assert asserts == checks | {"claim"}
    assert not hasattr(dc.Claim, "check")  # dc.check(claim) is the one spelling


def test_options_of_the_front_doors_are_keyword_only():
    import inspect

    for name in [n for n in dc.__all__ if n.startswith(("check", "assert_"))]:
        params = inspect.signature(getattr(dc, name)).parameters.values()
        positional = [p.name for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]
        assert len(positional) <= 2, (name, positional)
        assert "profile" not in positional and "space" not in positional


def test_a_line_takes_its_erratum_by_keyword_only():
    f = lambda x: x  # noqa: E731
    with pytest.raises(TypeError):
        dc.Line("x", f, "a note")
    assert dc.Line("x", f, erratum="a note").expected == "refuted"  # the twin


def test_statuses_are_an_enum_that_reads_and_serializes_as_plain_strings():
    r = dc.check_gradient(lambda x: (x ** 2).sum(), lambda x: 2 * x, space=SPACE, wrt="x",
                          profile="quick")
    assert r.status == dc.Status.VERIFIED and dc.Status(r.status) is dc.Status.VERIFIED
    assert type(r.status) is str  # plain, so results cross xdist's execnet
    assert json.loads(json.dumps(r.to_dict()))["status"] == "verified"
    assert f"{r.status}" == "verified" and r.kind == "gradient"
    assert dc.Status.REFUTED != "verified"  # the twin: members are not all equal to a string


def test_assert_claim_raises_for_a_wrong_derivation_step_and_passes_a_right_one():
    target = dc.grad_of(lambda x: (x ** 2).sum(), wrt="x")
    right = dc.Derivation(target=target, lines=[dc.Line("2x", lambda x: 2 * x)], space=SPACE)
    wrong = dc.Derivation(target=target, lines=[dc.Line("x", lambda x: x)], space=SPACE)
    assert dc.assert_claim(right, profile="quick").status == "verified"
    with pytest.raises(AssertionError, match="refuted"):
        dc.assert_claim(wrong, profile="quick")


def test_assert_holds_raises_for_a_false_property_and_passes_a_true_one():
    space = dc.Space(p=dc.simplex("K"))
    assert dc.assert_holds(lambda p: p.sum() > 0.5, space=space, profile="quick").ok
    with pytest.raises(AssertionError, match="refuted"):
        dc.assert_holds(lambda p: p.max() > 0.99, space=space, profile="quick")


def test_check_refuses_something_that_is_not_a_claim():
    with pytest.raises(TypeError, match="dc.holds"):
        dc.check(lambda x: x)


def test_a_result_accepts_only_the_four_statuses():
    assert dc.Result(id="x", kind="gradient", status="unstable", expected="verified").ok is False
    with pytest.raises(ValueError, match="maybe"):
        dc.Result(id="x", kind="gradient", status="maybe", expected="verified")

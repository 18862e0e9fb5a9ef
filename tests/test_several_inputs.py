"""Derivatives over several inputs at once (wrt tuples, flat=True), and a claim's own rtol."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import derivcheck as dc

SPACE = dc.Space(b=dc.real("D"), a=dc.positive(), X=dc.real("N D"))


def f(b, a, X):
    return a * jnp.sum(jnp.tanh(X @ b)) + jnp.log(a) * jnp.sum(b ** 2)


def grad_b(b, a, X):
    return a * X.T @ (1 - jnp.tanh(X @ b) ** 2) + 2 * jnp.log(a) * b


def grad_a(b, a, X):
    return jnp.sum(jnp.tanh(X @ b)) + jnp.sum(b ** 2) / a


def blocks(b, a, X):
    return grad_b(b, a, X), grad_a(b, a, X)


def packed(b, a, X):
    return jnp.concatenate([grad_b(b, a, X), grad_a(b, a, X)[None]])


QUICK = {"profile": "quick"}


def test_a_gradient_over_two_inputs_as_blocks_is_verified():
    r = dc.check_gradient(f, blocks, space=SPACE, wrt=("b", "a"), **QUICK)
    assert r.status == "verified", str(r)


def test_a_wrong_block_is_refuted():
    r = dc.check_gradient(f, lambda b, a, X: (grad_b(b, a, X), -grad_a(b, a, X)), space=SPACE,
                          wrt=("b", "a"), **QUICK)
    assert r.status == "refuted"


def test_blocks_in_the_wrong_order_are_an_error_naming_the_block():
    r = dc.check_gradient(f, lambda b, a, X: blocks(b, a, X)[::-1], space=SPACE,
                          wrt=("b", "a"), **QUICK)
    assert r.status == "error"
    assert "block 1 (b) of shape ()" in r.message


def test_a_packed_gradient_with_flat_is_verified():
    r = dc.check_gradient(f, packed, space=SPACE, wrt=("b", "a"), flat=True, **QUICK)
    assert r.status == "verified", str(r)


def test_a_packed_gradient_in_the_other_order_is_refuted():
    def other(b, a, X):
        return jnp.concatenate([grad_a(b, a, X)[None], grad_b(b, a, X)])

    r = dc.check_gradient(f, other, space=SPACE, wrt=("b", "a"), flat=True, **QUICK)
    assert r.status == "refuted"


def test_a_packed_gradient_without_flat_is_an_error_saying_flat():
    r = dc.check_gradient(f, packed, space=SPACE, wrt=("b", "a"), **QUICK)
    assert r.status == "error"
    assert "flat=True" in r.message


def test_blocks_with_flat_are_an_error_saying_drop_flat():
    r = dc.check_gradient(f, blocks, space=SPACE, wrt=("b", "a"), flat=True, **QUICK)
    assert r.status == "error"
    assert "drop flat=True" in r.message


def _hessian_blocks(b, a, X):
    H = jax.hessian(f, argnums=(0, 1))(b, a, X)
    return jnp.block([[H[0][0], H[0][1][:, None]], [H[1][0][None, :], H[1][1][None, None]]])


def test_the_flat_jacobian_of_a_tuple_valued_score_is_the_packed_hessian():
    r = dc.check_jacobian(jax.grad(f, argnums=(0, 1)), _hessian_blocks, space=SPACE,
                          wrt=("b", "a"), flat=True, **QUICK)
    assert r.status == "verified", str(r)


def test_a_hessian_with_a_transposed_off_diagonal_block_order_is_refuted():
    def wrong(b, a, X):
        H = _hessian_blocks(b, a, X)
        return H.at[-1, -1].multiply(2.0)

    r = dc.check_jacobian(jax.grad(f, argnums=(0, 1)), wrong, space=SPACE, wrt=("b", "a"),
                          flat=True, **QUICK)
    assert r.status == "refuted"


def test_a_derivation_over_two_inputs_checks_each_line():
    d = dc.Derivation(target=dc.grad_of(f, wrt=("b", "a")),
                      lines=[dc.Line("blocks", blocks),
                             dc.Line("b block doubled",
                                     lambda b, a, X: (2 * grad_b(b, a, X), grad_a(b, a, X)))],
                      space=SPACE)
    r = dc.check(d, **QUICK)
    assert [ln.status for ln in r.lines] == ["verified", "refuted"]


@pytest.mark.parametrize(("wrt", "match"), [(("b", "b"), "names an input twice"),
                                             ((), "tuple of names"),
                                             (("b", "Z"), "'Z' is not an input")],
                         ids=["twice", "empty", "unknown"])
def test_a_bad_wrt_tuple_is_a_claim_error(wrt, match):
    with pytest.raises(dc.ClaimError, match=match):
        dc.gradient(f, blocks, space=SPACE, wrt=wrt)


# -- rtol: a claim's own tolerance -------------------------------------------------------

def approx(b, a, X):  # relative error about 1e-6: an approximation by design
    g = packed(b, a, X)
    return g * (1 + 2e-6 * jnp.cos(jnp.arange(g.shape[0])))


def test_an_approximation_is_refuted_with_context_at_the_calibrated_threshold():
    r = dc.check_gradient(f, approx, space=SPACE, wrt=("b", "a"), flat=True, **QUICK)
    assert r.status == "refuted"
    assert "consistent with a numerical approximation, not a wrong formula" in r.diagnosis


def test_an_approximation_verifies_within_its_declared_rtol_and_says_so():
    r = dc.check_gradient(f, approx, space=SPACE, wrt=("b", "a"), flat=True, rtol=1e-4,
                          **QUICK)
    assert r.status == "verified", str(r)
    assert r.rtol == 1e-4
    assert "rtol=0.0001 declared by the claim" in str(r)
    assert r.to_dict()["rtol"] == 1e-4


def test_a_wrong_formula_is_refuted_despite_a_declared_rtol():
    r = dc.check_gradient(f, lambda b, a, X: 1.01 * packed(b, a, X), space=SPACE,
                          wrt=("b", "a"), flat=True, rtol=1e-4, **QUICK)
    assert r.status == "refuted"


@pytest.mark.parametrize("rtol", [0, -1e-3, 1.5, "1e-3"])
def test_a_bad_rtol_is_a_claim_error(rtol):
    with pytest.raises(dc.ClaimError, match="rtol must be a number between 0 and 1"):
        dc.gradient(f, packed, space=SPACE, wrt="b", rtol=rtol)


def _numpy_blocks(b, a, X, sign=1.0):
    b, X = np.asarray(b), np.asarray(X)
    t = np.tanh(X @ b)
    return (float(a) * X.T @ (1 - t ** 2) + 2 * np.log(a) * b,
            sign * float(np.sum(t) + np.sum(b ** 2) / a))


def test_numpy_code_returning_blocks_is_packed_too():
    r = dc.check_gradient(f, _numpy_blocks, space=SPACE, wrt=("b", "a"), **QUICK)
    assert r.status == "verified", str(r)


def test_numpy_code_returning_a_wrong_block_is_refuted():
    r = dc.check_gradient(f, lambda b, a, X: _numpy_blocks(b, a, X, sign=-1.0), space=SPACE,
                          wrt=("b", "a"), **QUICK)
    assert r.status == "refuted"


PROOF = '''
import jax.numpy as jnp
import derivcheck as dc

S = dc.Space(w=dc.real("D"))

approx = dc.gradient(lambda w: jnp.sum(w ** 2), lambda w: 2 * w * (1 + 2e-6), space=S, wrt="w",
                     rtol=1e-4)
exact = dc.gradient(lambda w: jnp.sum(w ** 2), lambda w: 2 * w, space=S, wrt="w")
'''


def test_the_report_of_a_proof_file_shows_a_declared_rtol(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from derivcheck.cli import main

    (tmp_path / "tol.py").write_text(PROOF)
    monkeypatch.chdir(tmp_path)  # short names in the table
    out = CliRunner().invoke(main, ["check", "--profile", "quick", "tol.py"],
                             catch_exceptions=False).output
    approx = next(ln for ln in out.splitlines() if "tol.py::approx" in ln)
    exact = next(ln for ln in out.splitlines() if "tol.py::exact" in ln)
    assert "rtol=0.0001 declared by the claim" in approx
    assert "rtol" not in exact


# -- Hessians over several inputs -------------------------------------------------------

def _hessian_nested(b, a, X):
    H = jax.hessian(f, argnums=(0, 1))(b, a, X)
    return (H[0][0], H[0][1]), (H[1][0], H[1][1])


def test_a_hessian_over_two_inputs_as_nested_blocks_is_verified():
    r = dc.check_hessian(f, _hessian_nested, space=SPACE, wrt=("b", "a"), **QUICK)
    assert r.status == "verified", str(r)


def test_a_hessian_with_one_block_wrong_is_refuted():
    def wrong(b, a, X):
        (bb, ba), (ab, aa) = _hessian_nested(b, a, X)
        return (bb, ba), (ab, -aa)

    r = dc.check_hessian(f, wrong, space=SPACE, wrt=("b", "a"), **QUICK)
    assert r.status == "refuted"


def test_a_packed_hessian_with_flat_is_verified():
    r = dc.check_hessian(f, _hessian_blocks, space=SPACE, wrt=("b", "a"), flat=True, **QUICK)
    assert r.status == "verified", str(r)


def test_a_hessian_row_of_the_wrong_length_is_an_error_naming_it():
    def short(b, a, X):
        (bb, ba), _ = _hessian_nested(b, a, X)
        return (bb, ba), (ba,)

    r = dc.check_hessian(f, short, space=SPACE, wrt=("b", "a"), **QUICK)
    assert r.status == "error"
    assert "row 2 of the claimed Hessian is not a tuple of 2 blocks" in r.message


def _numpy_reference(b, a, X):
    b, X = np.asarray(b), np.asarray(X)
    return float(a) * float(np.sum(np.tanh(X @ b))) + float(np.log(a) * np.sum(b ** 2))


def test_a_numpy_reference_over_one_input_is_differentiated_numerically():
    r = dc.check_gradient(_numpy_reference, grad_b, space=SPACE, wrt="b", **QUICK)
    assert (r.status, r.oracle) == ("verified", "finite differences"), str(r)


def test_a_numpy_reference_over_a_wrt_tuple_is_an_error_saying_what_to_do():
    r = dc.check_gradient(_numpy_reference, blocks, space=SPACE, wrt=("b", "a"), **QUICK)
    assert r.status == "error"
    assert "finite differences take one wrt input at a time" in r.message
    assert "fix the function" not in r.message  # derivcheck's limit, not the user's code

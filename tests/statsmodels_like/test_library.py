"""Checking a statistics library's analytic derivatives, as a researcher would: no adapters.

The library (:mod:`statsmodels_like.models`) is NumPy with flattened
parameters, a reference class, an intercept and count data; the references
(:mod:`statsmodels_like.references`) are the log-likelihoods in JAX, taking
their arguments positionally. Each check below is one public call. Every
"verified" has a twin that must not verify: a wrong method of the library,
or the right one checked against the wrong truth.
"""

import math
import os
import subprocess
import sys
from pathlib import Path

import jax
import numpy as np
import pytest

import derivcheck as dc

from . import models as M
from . import references as R

# -- spaces: the library's own layouts, said in shape strings ------------------

LOGIT = dc.Space(params=dc.real("D+1"), X=dc.real("N D"), y=dc.binary("N"))
POISSON = dc.Space(params=dc.real("D+1"), X=dc.real("N D"), y=dc.counts("N"))
MNL = dc.Space(params=dc.real("K-1 D+1"), X=dc.real("N D"),
               y=dc.labels("N", classes="K", all_classes=True))
NB = dc.Space(beta=dc.real("D+1"), alpha=dc.positive(), X=dc.real("N D"), y=dc.counts("N"))
NB_LOG = dc.Space(beta=dc.real("D+1"), log_alpha=dc.real(), X=dc.real("N D"),
                  y=dc.counts("N"))

QUICK = {"profile": "quick"}


# -- the library's methods, called as a user calls them ---------------------------

def logit_score(params, X, y):
    return M.Logit(y, X).score(params)


def logit_score_wrong(params, X, y):
    return M.LogitWrongScore(y, X).score(params)


def logit_hessian(params, X, y):
    return M.Logit(y, X).hessian(params)


def logit_hessian_mean(params, X, y):
    return M.LogitMeanHessian(y, X).hessian(params)


def poisson_score(params, X, y):
    return M.Poisson(y, X).score(params)


def poisson_score_wrong(params, X, y):
    return M.PoissonWrongScore(y, X).score(params)


def poisson_hessian_numdiff(params, X, y):
    return M.Poisson(y, X).hessian_numdiff(params)


def mnl_score(params, X, y):
    return M.MNLogit(y, X).score(params)


def mnl_score_wrong_reference(params, X, y):
    return M.MNLogitWrongReference(y, X).score(params)


def mnl_hessian(params, X, y):
    return M.MNLogit(y, X).hessian(params)


def nb_score(beta, alpha, X, y):
    return M.NegativeBinomial(y, X).score(np.append(beta, alpha))


def nb_score_blocks(beta, alpha, X, y):
    s = M.NegativeBinomial(y, X).score(np.append(beta, alpha))
    return s[:-1], s[-1]


def nb_hessian(beta, alpha, X, y):
    return M.NegativeBinomial(y, X).hessian(np.append(beta, alpha))


def nb_hessian_at_log_alpha(beta, log_alpha, X, y):
    return M.NegativeBinomial(y, X).hessian(np.append(beta, np.exp(log_alpha)))


# -- binary logit: intercept (D+1), positional references -------------------------

def test_logit_score_is_verified():
    r = dc.check_gradient(R.logit_loglike, logit_score, space=LOGIT, wrt="params", **QUICK)
    assert r.status == "verified", str(r)


def test_logit_score_with_the_loss_sign_is_refuted_as_a_sign_error():
    r = dc.check_gradient(R.logit_loglike, logit_score_wrong, space=LOGIT, wrt="params",
                          **QUICK)
    assert r.status == "refuted"
    assert "sign error" in r.diagnosis


def test_logit_hessian_is_the_jacobian_of_jax_grad_of_the_loglike():
    r = dc.check_jacobian(jax.grad(R.logit_loglike), logit_hessian, space=LOGIT,
                          wrt="params", **QUICK)
    assert r.status == "verified", str(r)


def test_a_hessian_averaged_over_observations_is_refuted_as_a_missing_n():
    r = dc.check_jacobian(jax.grad(R.logit_loglike), logit_hessian_mean, space=LOGIT,
                          wrt="params", **QUICK)
    assert r.status == "refuted"
    assert "claimed = 1/N × autodiff" in r.diagnosis


# -- Poisson: counts ----------------------------------------------------------------

def test_poisson_score_over_counts_is_verified():
    r = dc.check_gradient(R.poisson_loglike, poisson_score, space=POISSON, wrt="params",
                          **QUICK)
    assert r.status == "verified", str(r)


def test_poisson_score_without_its_data_term_is_refuted_and_the_term_named():
    r = dc.check_gradient(R.poisson_loglike, poisson_score_wrong, space=POISSON,
                          wrt="params", **QUICK)
    assert r.status == "refuted"
    assert "is missing" in r.diagnosis


def test_a_finite_difference_hessian_is_refuted_but_called_an_approximation():
    r = dc.check_jacobian(jax.grad(R.poisson_loglike), poisson_hessian_numdiff, space=POISSON,
                          wrt="params", **QUICK)
    assert r.status == "refuted"
    assert "consistent with a numerical approximation, not a wrong formula" in r.diagnosis


def test_a_finite_difference_hessian_within_its_declared_tolerance_is_not_refuted():
    r = dc.check_jacobian(jax.grad(R.poisson_loglike), poisson_hessian_numdiff, space=POISSON,
                          wrt="params", rtol=1e-3, **QUICK)
    # within rtol on calm inputs; forward differences of exp(z) lose it at large z
    assert r.status in ("verified", "unstable"), str(r)
    assert "rtol=0.001 declared by the claim" in str(r)


# -- multinomial logit: reference class (K-1), class-major flat params --------------

def test_mnlogit_score_is_verified_flat():
    r = dc.check_gradient(R.mnlogit_loglike, mnl_score, space=MNL, wrt="params", flat=True,
                          **QUICK)
    assert r.status == "verified", str(r)


def test_mnlogit_score_that_drops_the_wrong_reference_class_is_refuted():
    r = dc.check_gradient(R.mnlogit_loglike, mnl_score_wrong_reference, space=MNL,
                          wrt="params", flat=True, **QUICK)
    assert r.status == "refuted"


def test_mnlogit_hessian_is_the_flat_jacobian_of_jax_grad():
    r = dc.check_jacobian(jax.grad(R.mnlogit_loglike), mnl_hessian, space=MNL, wrt="params",
                          flat=True, **QUICK)
    assert r.status == "verified", str(r)


def test_mnlogit_hessian_is_verified_by_check_hessian_flat():
    r = dc.check_hessian(R.mnlogit_loglike, mnl_hessian, space=MNL, wrt="params", flat=True,
                         **QUICK)
    assert r.status == "verified", str(r)


def test_mnlogit_hessian_against_the_wrong_reference_class_is_refuted():
    def hessian_of_wrong_score(params, X, y):  # drops the last class, as the wrong score does
        return M.MNLogitWrongReference(y, X).hessian(params) * 0.5

    r = dc.check_jacobian(jax.grad(R.mnlogit_loglike), hessian_of_wrong_score, space=MNL,
                          wrt="params", flat=True, **QUICK)
    assert r.status == "refuted"
    assert "claimed = 1/2 × autodiff" in r.diagnosis


def test_labels_that_may_miss_a_class_break_a_model_that_counts_classes():
    space = dc.Space(params=dc.real("K-1 D+1"), X=dc.real("N D"),
                     y=dc.labels("N", classes="K"))
    r = dc.check_gradient(R.mnlogit_loglike, mnl_score, space=space, wrt="params", flat=True,
                          **QUICK)
    assert r.status == "error"
    assert "shape" in r.message


def mnl_score_feature_major(params, X, y):
    return M.MNLogitFeatureMajorScore(y, X).score(params)


def test_a_score_flattened_feature_major_is_named_a_layout_error():
    r = dc.check_gradient(R.mnlogit_loglike, mnl_score_feature_major, space=MNL, wrt="params",
                          flat=True, **QUICK)
    assert r.status == "refuted"
    assert "looks like a layout error: claimed = autodiff read column-major" in r.diagnosis


# -- negative binomial: (beta, alpha) together, and the parametrization trap ------

def test_nb_score_over_beta_and_alpha_holds_on_calm_inputs_flat():
    # right on calm inputs; at alpha -> 0 the NB2 score cancels terms of order 1/alpha
    # in float64 (so does the reference): unstable, not refuted
    r = dc.check_gradient(R.nb_loglike, nb_score, space=NB, wrt=("beta", "alpha"), flat=True,
                          **QUICK)
    assert r.status in ("verified", "unstable"), str(r)


def test_nb_score_over_beta_and_alpha_holds_on_calm_inputs_as_blocks():
    r = dc.check_gradient(R.nb_loglike, nb_score_blocks, space=NB, wrt=("beta", "alpha"),
                          **QUICK)
    assert r.status in ("verified", "unstable"), str(r)


def nb_score_wrong_alpha(beta, alpha, X, y):
    s = nb_score(beta, alpha, X, y)
    return np.append(s[:-1], 2 * s[-1])


def test_nb_score_with_a_wrong_alpha_entry_is_refuted_on_calm_inputs():
    r = dc.check_gradient(R.nb_loglike, nb_score_wrong_alpha, space=NB, wrt=("beta", "alpha"),
                          flat=True, **QUICK)
    assert r.status == "refuted"


def test_blocks_in_the_wrong_order_are_an_error_naming_the_block():
    def swapped(beta, alpha, X, y):
        db, da = nb_score_blocks(beta, alpha, X, y)
        return da, db

    r = dc.check_gradient(R.nb_loglike, swapped, space=NB, wrt=("beta", "alpha"), **QUICK)
    assert r.status == "error"
    assert r.message.startswith("returns block 1 (beta) of shape (), but ∂/∂beta has shape (")


def test_the_nb_hessian_is_not_the_derivative_of_its_own_score():
    r = dc.check_jacobian(jax.grad(R.nb_loglike, argnums=(0, 1)), nb_hessian, space=NB,
                          wrt=("beta", "alpha"), flat=True, **QUICK)
    assert r.status == "refuted"


def test_check_hessian_over_beta_and_alpha_finds_the_same_trap():
    r = dc.check_hessian(R.nb_loglike, nb_hessian, space=NB, wrt=("beta", "alpha"), flat=True,
                         **QUICK)
    assert r.status == "refuted"


def test_check_hessian_over_beta_and_log_alpha_holds_on_calm_inputs():
    r = dc.check_hessian(R.nb_loglike_log_alpha, nb_hessian_at_log_alpha, space=NB_LOG,
                         wrt=("beta", "log_alpha"), flat=True, **QUICK)
    assert r.status in ("verified", "unstable"), str(r)


def test_the_nb_hessian_is_the_hessian_in_log_alpha():
    r = dc.check_jacobian(jax.grad(R.nb_loglike_log_alpha, argnums=(0, 1)),
                          nb_hessian_at_log_alpha, space=NB_LOG, wrt=("beta", "log_alpha"),
                          flat=True, **QUICK)
    assert r.status in ("verified", "unstable"), str(r)
    assert r.status == "verified" or r.unstable_from > 1.0


# -- a library function that raises at large inputs only ----------------------------

def logit_score_math_exp(params, X, y):
    """Logit score with ``math.exp`` per observation: OverflowError past exp's range."""
    z = M.add_constant(X) @ np.asarray(params)
    p = np.array([1.0 / (1.0 + math.exp(-v)) for v in z])
    return M.add_constant(X).T @ (np.asarray(y) - p)


def test_a_claim_that_raises_only_at_large_inputs_is_unstable_with_that_input():
    r = dc.check_gradient(R.logit_loglike, logit_score_math_exp, space=LOGIT, wrt="params",
                          **QUICK)
    assert r.status == "unstable", str(r)
    assert r.message.startswith("raises OverflowError from magnitude ≥ ")
    assert r.counterexample is not None
    with pytest.raises(OverflowError):
        logit_score_math_exp(**r.counterexample)


def test_a_claim_that_raises_on_calm_inputs_is_still_an_error():
    def raises_on_ones(params, X, y):
        if np.any(np.asarray(y) > 0):
            raise OverflowError("a one")
        return logit_score(params, X, y)

    r = dc.check_gradient(R.logit_loglike, raises_on_ones, space=LOGIT, wrt="params", **QUICK)
    assert r.status == "error"
    assert "OverflowError" in r.message


# -- the reproducer of an inline check ------------------------------------------------

def _run_snippet(snippet):
    tests = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", snippet], capture_output=True, text=True,
                         cwd=tests, env={**os.environ, "PYTHONPATH": str(tests)}, check=True)
    return float(out.stdout.strip().rsplit("=", 1)[1])


def test_the_reproducer_of_an_inline_check_runs_and_shows_the_difference():
    r = dc.check_gradient(R.logit_loglike, logit_score_wrong, space=LOGIT, wrt="params",
                          **QUICK)
    snippet = r.reproduce()
    assert "derivcheck check --seed" not in snippet
    assert "from statsmodels_like.test_library import logit_score_wrong" in snippet
    assert "from statsmodels_like.references import logit_loglike" in snippet
    assert _run_snippet(snippet) > 1e-3


def test_the_reproducer_with_the_right_score_shows_no_difference():
    r = dc.check_gradient(R.logit_loglike, logit_score_wrong, space=LOGIT, wrt="params",
                          **QUICK)
    snippet = r.reproduce().replace("import logit_score_wrong", "import logit_score")
    snippet = snippet.replace("claimed = logit_score_wrong(", "claimed = logit_score(")
    assert _run_snippet(snippet) < 1e-12

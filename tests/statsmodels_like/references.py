"""The log-likelihoods in JAX, as a researcher writes them to check the library against.

Each takes its arguments positionally, in the order of the space it is
checked over (``params, X, y``), so that ``jax.grad(loglike)`` and
``jax.hessian(loglike)`` are references too.
"""

import jax
import jax.numpy as jnp
from jax.scipy.special import gammaln


def linpred(params, X):
    return params[0] + X @ params[1:]


def logit_loglike(params, X, y):
    z = linpred(params, X)
    return jnp.sum(y * z - jnp.logaddexp(0.0, z))


def poisson_loglike(params, X, y):
    z = linpred(params, X)
    return jnp.sum(y * z - jnp.exp(z) - gammaln(y + 1.0))


def mnlogit_loglike(params, X, y):
    """``params``: (K-1, D+1), class-major; class 0 is the reference."""
    z = params[:, :1].T + X @ params[:, 1:].T
    z = jnp.concatenate([jnp.zeros((X.shape[0], 1)), z], axis=1)
    return jnp.sum(jnp.take_along_axis(jax.nn.log_softmax(z), y[:, None], axis=1))


def nb_loglike(beta, alpha, X, y):
    mu = jnp.exp(linpred(beta, X))
    a1 = 1.0 / alpha
    return jnp.sum(gammaln(y + a1) - gammaln(y + 1.0) - gammaln(a1)
                   + a1 * jnp.log(a1 / (a1 + mu)) + y * jnp.log(mu / (a1 + mu)))


def nb_loglike_log_alpha(beta, log_alpha, X, y):
    return nb_loglike(beta, jnp.exp(log_alpha), X, y)

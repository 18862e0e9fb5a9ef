"""A small discrete-choice model library, written in NumPy the way statistics libraries are.

Each model is built from data (``endog``, the response; ``exog``, the
regressors) and exposes ``loglike(params)``, ``score(params)`` (its
gradient) and ``hessian(params)`` (its matrix of second derivatives), all
with *flattened* parameters:

- :class:`Logit`, :class:`Probit` and :class:`Poisson` prepend an intercept
  column (``k = D + 1`` parameters);
- :class:`MNLogit` counts the classes in ``endog`` (``J``) and keeps the
  first as the reference class: its ``(J - 1) × k`` coefficients are
  flattened class-major, and its Hessian has ``(J - 1) × (J - 1)`` blocks;
- :class:`NegativeBinomial` appends the dispersion ``alpha`` to the
  coefficients. Its ``hessian`` is taken with respect to ``log(alpha)``,
  while its ``score`` is with respect to ``alpha``: the trap of a real
  library, where the Hessian is not the derivative of the score.

Wrong variants (subclasses named ``...Wrong...``) hold one mistake each, of
the kinds such code really has.
"""

from __future__ import annotations

import math

import numpy as np

_gammaln = np.vectorize(math.lgamma, otypes=[float])
_FD_STEP = 1e-5


def add_constant(exog):
    """Prepend a column of ones (the intercept)."""
    exog = np.asarray(exog, dtype=float)
    return np.column_stack([np.ones(exog.shape[0]), exog])


def _digamma(x):
    """Digamma by the recurrence and asymptotic series (scipy is not a dependency)."""
    x = np.asarray(x, dtype=float).copy()
    out = np.zeros_like(x)
    while np.any(x < 6):
        small = x < 6
        out[small] -= 1.0 / x[small]
        x[small] += 1.0
    inv = 1.0 / x
    inv2 = inv * inv
    return out + np.log(x) - 0.5 * inv - inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 / 252))


def _trigamma(x):
    x = np.asarray(x, dtype=float).copy()
    out = np.zeros_like(x)
    while np.any(x < 6):
        small = x < 6
        out[small] += 1.0 / x[small] ** 2
        x[small] += 1.0
    inv = 1.0 / x
    inv2 = inv * inv
    return out + inv + 0.5 * inv2 + inv * inv2 * (1 / 6 - inv2 * (1 / 30 - inv2 / 42))


class _Model:
    def __init__(self, endog, exog):
        self.endog = np.asarray(endog, dtype=float)
        self.exog = add_constant(exog)

    def _linpred(self, params):
        return self.exog @ np.asarray(params, dtype=float)


class Logit(_Model):
    """Binary logit: ``P(y = 1) = 1 / (1 + exp(-x'b))``."""

    def cdf(self, z):
        return 1.0 / (1.0 + np.exp(-z))

    def loglike(self, params):
        z = self._linpred(params)
        return float(np.sum(self.endog * z - np.logaddexp(0.0, z)))

    def score(self, params):
        return self.exog.T @ (self.endog - self.cdf(self._linpred(params)))

    def hessian(self, params):
        p = self.cdf(self._linpred(params))
        return -(self.exog * (p * (1 - p))[:, None]).T @ self.exog


class LogitWrongScore(Logit):
    """The score written as the gradient of the *loss*: the sign of the log-likelihood's."""

    def score(self, params):
        return self.exog.T @ (self.cdf(self._linpred(params)) - self.endog)


class LogitMeanHessian(Logit):
    """A Hessian averaged over observations while the log-likelihood is a sum: a missing N."""

    def hessian(self, params):
        return super().hessian(params) / self.exog.shape[0]


class Poisson(_Model):
    """Poisson regression: ``y ~ Poisson(exp(x'b))``."""

    def loglike(self, params):
        z = self._linpred(params)
        return float(np.sum(self.endog * z - np.exp(z) - _gammaln(self.endog + 1.0)))

    def score(self, params):
        return self.exog.T @ (self.endog - np.exp(self._linpred(params)))

    def hessian(self, params):
        mu = np.exp(self._linpred(params))
        return -(self.exog * mu[:, None]).T @ self.exog

    def hessian_numdiff(self, params):
        """The Hessian by forward differences of the score, as a fallback in such libraries."""
        params = np.asarray(params, dtype=float)
        g0 = self.score(params)
        cols = []
        for j in range(params.size):
            step = np.zeros_like(params)
            step[j] = _FD_STEP
            cols.append((self.score(params + step) - g0) / _FD_STEP)
        return np.column_stack(cols)


class PoissonWrongScore(Poisson):
    """The score with the data term ``x * y`` dropped: only the ``exp`` part remains."""

    def score(self, params):
        return -self.exog.T @ np.exp(self._linpred(params))


class MNLogit(_Model):
    """Multinomial logit with the first class as reference (its coefficients are 0).

    ``params`` holds the ``(J - 1) × k`` coefficients, class-major: row ``j`` is
    class ``j + 1``. The class count ``J`` comes from the data, as such
    libraries do: ``J = len(np.unique(endog))``.
    """

    def __init__(self, endog, exog):
        super().__init__(endog, exog)
        self.J = len(np.unique(self.endog))
        self.k = self.exog.shape[1]
        self.onehot = (self.endog[:, None] == np.arange(self.J)[None, :]).astype(float)

    def _probs(self, params):
        b = np.asarray(params, dtype=float).reshape(self.J - 1, self.k)
        z = np.column_stack([np.zeros(self.exog.shape[0]), self.exog @ b.T])
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def loglike(self, params):
        return float(np.sum(self.onehot * np.log(self._probs(params))))

    def score(self, params):
        p = self._probs(params)
        return ((self.onehot - p)[:, 1:].T @ self.exog).reshape(-1)

    def hessian(self, params):
        p = self._probs(params)[:, 1:]
        m = self.J - 1
        blocks = [[None] * m for _ in range(m)]
        for a in range(m):
            for b in range(m):
                w = p[:, a] * ((a == b) - p[:, b])
                blocks[a][b] = -(self.exog * w[:, None]).T @ self.exog
        return np.block(blocks)


class MNLogitWrongReference(MNLogit):
    """The score drops the *last* class instead of the first (the reference class)."""

    def score(self, params):
        p = self._probs(params)
        return ((self.onehot - p)[:, :-1].T @ self.exog).reshape(-1)


class MNLogitFeatureMajorScore(MNLogit):
    """The score flattened feature-major, while ``params`` are read class-major."""

    def score(self, params):
        p = self._probs(params)
        return ((self.onehot - p)[:, 1:].T @ self.exog).reshape(-1, order="F")


class NegativeBinomial(_Model):
    """NB2 regression: mean ``mu = exp(x'b)``, variance ``mu + alpha mu²``.

    ``params`` is ``[b..., alpha]``. ``score`` differentiates with respect to
    ``(b, alpha)``; ``hessian`` with respect to ``(b, log alpha)``, the
    parametrization the fitting routine uses.
    """

    def _split(self, params):
        params = np.asarray(params, dtype=float)
        return params[:-1], params[-1]

    def loglike(self, params):
        b, alpha = self._split(params)
        y, mu = self.endog, np.exp(self._linpred(b))
        a1 = 1.0 / alpha
        return float(np.sum(_gammaln(y + a1) - _gammaln(y + 1.0) - _gammaln(a1)
                            + a1 * np.log(a1 / (a1 + mu)) + y * np.log(mu / (a1 + mu))))

    def score(self, params):
        b, alpha = self._split(params)
        y, mu = self.endog, np.exp(self._linpred(b))
        a1 = 1.0 / alpha
        db = self.exog.T @ ((y - mu) / (1.0 + alpha * mu))
        dalpha = np.sum(a1 ** 2 * (np.log(1.0 + alpha * mu) - _digamma(y + a1) + _digamma(a1))
                        + (y - mu) / (alpha * (1.0 + alpha * mu)))
        return np.append(db, dalpha)

    def hessian(self, params):
        """Second derivatives with respect to ``(b, log alpha)``."""
        b, alpha = self._split(params)
        y, mu = self.endog, np.exp(self._linpred(b))
        a1 = 1.0 / alpha
        w = mu * (1.0 + alpha * y) / (1.0 + alpha * mu) ** 2
        hbb = -(self.exog * w[:, None]).T @ self.exog
        # d/dalpha of the b-score, times dalpha/dlog(alpha) = alpha
        dbda = -self.exog.T @ (mu * (y - mu) / (1.0 + alpha * mu) ** 2) * alpha
        s_alpha = np.sum(a1 ** 2 * (np.log(1.0 + alpha * mu) - _digamma(y + a1) + _digamma(a1))
                         + (y - mu) / (alpha * (1.0 + alpha * mu)))
        d2 = np.sum(
            -2 * a1 ** 3 * (np.log(1.0 + alpha * mu) - _digamma(y + a1) + _digamma(a1))
            + a1 ** 2 * (mu / (1.0 + alpha * mu)
                         + a1 ** 2 * (_trigamma(y + a1) - _trigamma(a1)))
            - (y - mu) * (1.0 + 2 * alpha * mu) / (alpha * (1.0 + alpha * mu)) ** 2)
        haa = alpha ** 2 * d2 + alpha * s_alpha  # chain rule to log(alpha)
        return np.block([[hbb, dbda[:, None]], [dbda[None, :], np.array([[haa]])]])

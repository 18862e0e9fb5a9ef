"""Layers with forward and backward passes, in the style of a course assignment.

Plain NumPy. A backward pass takes the upstream gradient ``dout`` and the
forward inputs by name and returns one gradient per input, in order; each
``wrong_*`` version carries one mistake students make.
"""

import numpy as np

BN_EPS = 1e-5


def affine_forward(x, w, b):
    """``x`` (N, D), ``w`` (D, M), ``b`` (M,) → (N, M)."""
    return x.reshape(x.shape[0], -1).dot(w) + b


def affine_backward(dout, x, w, b):
    """Right: (dx, dw, db)."""
    dx = dout.dot(w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T.dot(dout)
    db = np.sum(dout, axis=0)
    return dx, dw, db


def wrong_affine_transposed_dw(dout, x, w, b):
    """Wrong: ``dout.T.dot(x)`` gives dw as (M, D)."""
    return dout.dot(w.T), dout.T.dot(x), np.sum(dout, axis=0)


def wrong_affine_db_keepdims(dout, x, w, b):
    """Wrong: ``keepdims=True`` gives db the shape (1, M) instead of (M,)."""
    return dout.dot(w.T), x.T.dot(dout), np.sum(dout, axis=0, keepdims=True)


def wrong_affine_db_mean(dout, x, w, b):
    """Wrong: db averages over the batch instead of summing."""
    return dout.dot(w.T), x.T.dot(dout), np.mean(dout, axis=0)


def relu_forward(x):
    return np.maximum(0, x)


def relu_backward(dout, x):
    """Right: boolean-mask assignment on a copy."""
    dx = dout.copy()
    dx[x <= 0] = 0
    return dx


def wrong_relu_masks_by_dout(dout, x):
    """Wrong: masks where the upstream gradient is negative, not where the input is."""
    dx = np.array(dout, copy=True)
    dx[dout <= 0] = 0
    return dx


def wrong_relu_forgets_dout(dout, x):
    """Wrong: returns the local derivative 1[x > 0], forgetting the chain rule."""
    return (x > 0).astype(dout.dtype)


def batchnorm_forward(x, gamma, beta):
    """Training-mode batch normalization of ``x`` (N, D) with per-feature ``gamma``, ``beta``."""
    mu = x.mean(axis=0)
    var = x.var(axis=0)
    x_hat = (x - mu) / np.sqrt(var + BN_EPS)
    return gamma * x_hat + beta


def batchnorm_backward(dout, x, gamma, beta):
    """Right: the staged backward pass through the computational graph."""
    N = x.shape[0]
    mu = x.mean(axis=0)
    xmu = x - mu
    var = np.mean(xmu ** 2, axis=0)
    sqrtvar = np.sqrt(var + BN_EPS)
    ivar = 1.0 / sqrtvar
    xhat = xmu * ivar
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * xhat, axis=0)
    dxhat = dout * gamma
    divar = np.sum(dxhat * xmu, axis=0)
    dxmu1 = dxhat * ivar
    dsqrtvar = -1.0 / (sqrtvar ** 2) * divar
    dvar = 0.5 * dsqrtvar / sqrtvar
    dsq = np.ones_like(dout) / N * dvar
    dxmu2 = 2 * xmu * dsq
    dx1 = dxmu1 + dxmu2
    dmu = -np.sum(dx1, axis=0)
    dx2 = np.ones_like(dout) / N * dmu
    return dx1 + dx2, dgamma, dbeta


def batchnorm_backward_alt(dout, x, gamma, beta):
    """Right: the simplified one-line dx."""
    N = x.shape[0]
    xhat = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + BN_EPS)
    dgamma = (dout * xhat).sum(axis=0)
    dbeta = dout.sum(axis=0)
    dx = gamma / np.sqrt(x.var(axis=0) + BN_EPS) / N * (
        N * dout - dbeta - xhat * dgamma)
    return dx, dgamma, dbeta


def wrong_batchnorm_dgamma_unnormalized(dout, x, gamma, beta):
    """Wrong: dgamma uses x − μ where x̂ = (x − μ)/σ is needed (a missing 1/σ)."""
    dx, _, dbeta = batchnorm_backward_alt(dout, x, gamma, beta)
    return dx, np.sum(dout * (x - x.mean(axis=0)), axis=0), dbeta


def wrong_batchnorm_dx_missing_variance_term(dout, x, gamma, beta):
    """Wrong: dx drops the term through the variance, −x̂·mean(dout·x̂)."""
    N = x.shape[0]
    std = np.sqrt(x.var(axis=0) + BN_EPS)
    xhat = (x - x.mean(axis=0)) / std
    dx = gamma / std / N * (N * dout - dout.sum(axis=0))
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)

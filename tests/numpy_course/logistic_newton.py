"""L2-regularized logistic regression with Newton's method (plain NumPy).

``J(θ) = −(1/m) Σ [y log h + (1 − y) log(1 − h)] + reg·‖θ‖²`` with
``h = σ(Xθ)``. Its gradient is ``Xᵀ(h − y)/m + 2·reg·θ`` and its Hessian
``Xᵀ diag(h(1 − h)) X / m + 2·reg·I``, positive definite, so Newton's step
``θ − H⁻¹∇J`` lowers ``J`` near the optimum.
"""

import numpy as np


def sigmoid(z):
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


def loss(theta, X, y, reg):
    z = X @ theta
    # log(1 + e^z) − y z, written stably
    return np.mean(np.logaddexp(0, z) - y * z) + reg * theta @ theta


def grad(theta, X, y, reg):
    return X.T @ (sigmoid(X @ theta) - y) / X.shape[0] + 2 * reg * theta


def hessian(theta, X, y, reg):
    h = sigmoid(X @ theta)
    return X.T @ np.diag(h * (1 - h)) @ X / X.shape[0] + 2 * reg * np.eye(len(theta))


def hvp(theta, X, y, reg, v):
    """Right: the Hessian-vector product without forming the Hessian."""
    h = sigmoid(X @ theta)
    return X.T @ (h * (1 - h) * (X @ v)) / X.shape[0] + 2 * reg * v


def wrong_hessian_h_not_h1mh(theta, X, y, reg):
    """Wrong: diag(h) instead of diag(h(1 − h))."""
    h = sigmoid(X @ theta)
    return X.T @ np.diag(h) @ X / X.shape[0] + 2 * reg * np.eye(len(theta))


def wrong_hessian_missing_mean(theta, X, y, reg):
    """Wrong: the data term is not divided by m."""
    h = sigmoid(X @ theta)
    return X.T @ np.diag(h * (1 - h)) @ X + 2 * reg * np.eye(len(theta))


def wrong_hvp_dropped_regularization(theta, X, y, reg, v):
    """Wrong: the product forgets 2·reg·v."""
    h = sigmoid(X @ theta)
    return X.T @ (h * (1 - h) * (X @ v)) / X.shape[0]


def newton_step(theta, X, y, reg):
    """Right: θ − H⁻¹∇J."""
    return theta - np.linalg.solve(hessian(theta, X, y, reg), grad(theta, X, y, reg))


def wrong_newton_step_plus(theta, X, y, reg):
    """Wrong: θ + H⁻¹∇J (ascends)."""
    return theta + np.linalg.solve(hessian(theta, X, y, reg), grad(theta, X, y, reg))

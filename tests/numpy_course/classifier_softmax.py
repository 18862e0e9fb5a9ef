"""Softmax classifier, in the style of a course assignment (plain NumPy, no JAX).

``W`` is (D, C), ``X`` is (N, D), ``y`` holds labels in ``0..C-1`` and the
loss is the mean cross-entropy plus ``reg * sum(W**2)`` (penalty λ‖W‖², so the
regularization gradient is ``2 * reg * W``). Each function returns
``(loss, dW)``, as the assignment asks. The ``RIGHT`` versions are correct;
each ``wrong_*`` one carries one mistake students make, named in its docstring.
"""

import numpy as np


def softmax_loss_naive(W, X, y, reg):
    """Right: explicit loops over examples and classes."""
    loss = 0.0
    dW = np.zeros_like(W)
    num_train, num_classes = X.shape[0], W.shape[1]
    for i in range(num_train):
        scores = X[i].dot(W)
        scores -= np.max(scores)  # numeric stability
        exp_scores = np.exp(scores)
        total = np.sum(exp_scores)
        loss += -scores[y[i]] + np.log(total)
        for j in range(num_classes):
            p = exp_scores[j] / total
            dW[:, j] += (p - (j == y[i])) * X[i]
    loss /= num_train
    dW /= num_train
    loss += reg * np.sum(W * W)
    dW += 2 * reg * W
    return loss, dW


def softmax_loss_vectorized(W, X, y, reg):
    """Right: no loops; a shuffled minibatch order (``np.random``) changes nothing."""
    num_train = X.shape[0]
    order = np.random.permutation(num_train)  # noqa: NPY002 - the legacy global RNG, on purpose
    X, y = X[order], y[order]
    scores = X.dot(W)
    scores -= scores.max(axis=1, keepdims=True)
    probs = np.exp(scores)
    probs /= probs.sum(axis=1, keepdims=True)
    loss = -np.sum(np.log(probs[range(num_train), y])) / num_train
    loss += reg * np.sum(W * W)
    dscores = probs.copy()
    dscores[range(num_train), y] -= 1
    dW = X.T.dot(dscores) / num_train
    dW += 2 * reg * W
    return loss, dW


def _data_term(W, X, y):
    """The data part of the vectorized version: (loss, dW) without 1/N and without reg."""
    num_train = X.shape[0]
    scores = X.dot(W)
    scores -= scores.max(axis=1, keepdims=True)
    probs = np.exp(scores)
    probs /= probs.sum(axis=1, keepdims=True)
    loss = -np.sum(np.log(probs[range(num_train), y]))
    probs[range(num_train), y] -= 1
    return loss, X.T.dot(probs)


def wrong_dropped_regularization(W, X, y, reg):
    """Wrong: the gradient forgets the regularization term (claimed − truth = −2·reg·W)."""
    loss, dW = _data_term(W, X, y)
    n = X.shape[0]
    return loss / n + reg * np.sum(W * W), dW / n


def wrong_half_regularization(W, X, y, reg):
    """Wrong: ``0.5 * reg * W``, as if the penalty were λ/4·‖W‖² (claimed − truth = −1.5·reg·W)."""
    loss, dW = _data_term(W, X, y)
    n = X.shape[0]
    return loss / n + reg * np.sum(W * W), dW / n + 0.5 * reg * W


def wrong_flipped_regularization_sign(W, X, y, reg):
    """Wrong: the penalty's gradient is subtracted (claimed − truth = −4·reg·W)."""
    loss, dW = _data_term(W, X, y)
    n = X.shape[0]
    return loss / n + reg * np.sum(W * W), dW / n - 2 * reg * W


def wrong_missing_mean_on_data_term(W, X, y, reg):
    """Wrong: the data gradient is summed over the batch, not averaged (N × too large)."""
    loss, dW = _data_term(W, X, y)
    n = X.shape[0]
    return loss / n + reg * np.sum(W * W), dW + 2 * reg * W


def wrong_regularization_divided_by_n(W, X, y, reg):
    """Wrong: ``/ num_train`` applied after adding the penalty's gradient."""
    loss, dW = _data_term(W, X, y)
    n = X.shape[0]
    dW += 2 * reg * W
    return loss / n + reg * np.sum(W * W), dW / n


def wrong_transposed_gradient(W, X, y, reg):
    """Wrong: ``dscores.T.dot(X)`` gives dW with shape (C, D) instead of (D, C)."""
    num_train = X.shape[0]
    scores = X.dot(W)
    scores -= scores.max(axis=1, keepdims=True)
    probs = np.exp(scores)
    probs /= probs.sum(axis=1, keepdims=True)
    loss = -np.sum(np.log(probs[range(num_train), y])) / num_train + reg * np.sum(W * W)
    probs[range(num_train), y] -= 1
    return loss, probs.T.dot(X) / num_train + 2 * reg * W.T


RIGHT = (softmax_loss_naive, softmax_loss_vectorized)
WRONG = (wrong_dropped_regularization, wrong_half_regularization,
         wrong_flipped_regularization_sign, wrong_missing_mean_on_data_term,
         wrong_regularization_divided_by_n, wrong_transposed_gradient)

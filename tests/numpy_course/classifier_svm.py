"""Multiclass SVM (hinge) loss, in the style of a course assignment (plain NumPy).

Loss: ``(1/N) Σ_i Σ_{j ≠ y_i} max(0, s_j − s_{y_i} + 1) + reg·‖W‖²``. The hinge
has kinks at margin ties, where any value between the one-sided derivatives
is a valid subgradient; the right versions take the gradient of the branch
``margin > 0``, as the assignment does.
"""

import numpy as np


def svm_loss_naive(W, X, y, reg):
    """Right: loops, with the subgradient accumulated per violated margin."""
    dW = np.zeros(W.shape)
    num_classes = W.shape[1]
    num_train = X.shape[0]
    loss = 0.0
    for i in range(num_train):
        scores = X[i].dot(W)
        correct_class_score = scores[y[i]]
        for j in range(num_classes):
            if j == y[i]:
                continue
            margin = scores[j] - correct_class_score + 1  # note delta = 1
            if margin > 0:
                loss += margin
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]
    loss /= num_train
    dW /= num_train
    loss += reg * np.sum(W * W)
    dW += 2 * reg * W
    return loss, dW


def svm_loss_vectorized(W, X, y, reg):
    """Right: ``scores[range(N), y]``, ``margins[margins <= 0] = 0`` and in-place ``+=``."""
    num_train = X.shape[0]
    scores = X.dot(W)
    correct = scores[range(num_train), y][:, np.newaxis]
    margins = np.maximum(0, scores - correct + 1)
    margins[range(num_train), y] = 0
    loss = np.sum(margins) / num_train
    loss += reg * np.sum(W * W)
    mask = margins.copy()
    mask[margins > 0] = 1
    mask[margins <= 0] = 0
    mask[range(num_train), y] -= np.sum(mask, axis=1)
    dW = X.T.dot(mask)
    dW /= num_train
    dW += 2 * reg * W
    return loss, dW


def _hinge(W, X, y):
    num_train = X.shape[0]
    scores = X.dot(W)
    margins = scores - scores[range(num_train), y][:, np.newaxis] + 1
    margins[range(num_train), y] = 0
    margins[margins <= 0] = 0
    mask = (margins > 0).astype(float)
    mask[range(num_train), y] = -mask.sum(axis=1)
    return margins.sum(), X.T.dot(mask)


def wrong_dropped_regularization(W, X, y, reg):
    """Wrong: the penalty is in the loss but not in dW (claimed − truth = −2·reg·W)."""
    loss, dW = _hinge(W, X, y)
    n = X.shape[0]
    return loss / n + reg * np.sum(W * W), dW / n


def wrong_half_regularization(W, X, y, reg):
    """Wrong: ``0.5 * reg * W`` (claimed − truth = −1.5·reg·W)."""
    loss, dW = _hinge(W, X, y)
    n = X.shape[0]
    return loss / n + reg * np.sum(W * W), dW / n + 0.5 * reg * W


def wrong_flipped_regularization_sign(W, X, y, reg):
    """Wrong: ``dW -= 2 * reg * W`` (claimed − truth = −4·reg·W)."""
    loss, dW = _hinge(W, X, y)
    n = X.shape[0]
    dW /= n
    dW -= 2 * reg * W
    return loss / n + reg * np.sum(W * W), dW


def wrong_missing_mean_on_data_term(W, X, y, reg):
    """Wrong: the hinge gradient is not divided by the batch size."""
    loss, dW = _hinge(W, X, y)
    return loss / X.shape[0] + reg * np.sum(W * W), dW + 2 * reg * W


def wrong_regularization_divided_by_n(W, X, y, reg):
    """Wrong: the penalty's gradient is divided by the batch size too."""
    loss, dW = _hinge(W, X, y)
    n = X.shape[0]
    return loss / n + reg * np.sum(W * W), (dW + 2 * reg * W) / n


RIGHT = (svm_loss_naive, svm_loss_vectorized)
WRONG = (wrong_dropped_regularization, wrong_half_regularization,
         wrong_flipped_regularization_sign, wrong_missing_mean_on_data_term,
         wrong_regularization_divided_by_n)

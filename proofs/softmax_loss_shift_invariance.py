"""Softmax regression, one weight vector w_c per class: loss, gradient, update, shift invariance.

Seed: 002_2f0647c44ebf4bca.txt.

The document (C classes, N samples) defines p(Y=c|x) = softmax(w_c^T x), the loss of one
sample Loss(x) = -sum_i y_i log softmax(w_i^T x) = -log softmax(w_k^T x) for the true class k,
the total loss J(W) = 1/N sum_i Loss(x_i), derives dJ/dw_t in nine "=" steps, states the
gradient-descent update of w_t, shows that subtracting one vector psi from every w_c leaves
softmax unchanged, and ends with "a weighted sum of rows is a vector times a matrix".

Encoding: W is C x D with row c equal to w_c (the update's W_t is the row w_t); X is N x D
with rows x_i; Y is N x C with one-hot rows y^(i). Every line of the gradient chain is the
C x D array whose row t is the expression written for w_t. The illustrative table (a one-hot
y next to probabilities 0.1, 0.09, 0.16, ... with an ellipsis) has no checkable statement.

Errata, by class (each kept as written; every root has a fix that checks):

- error (mathematical mistakes):
  1. Gradient chain, line 4: in the terms j != t the derivative of
     log sum_l e^{w_l^T x_i} over w_t is written e^{w_j^T x_i} x_i / sum_l e^{w_l^T x_i};
     it is e^{w_t^T x_i} x_i / sum_l e^{w_l^T x_i} (the numerator must carry w_t, not w_j).
     Line 5 only expands line 4 (propagated, computed by derivcheck).
  2. The step from line 6 to line 7 replaces sum_j y_j e^{w_j^T x_i}/sum_l by
     e^{w_t^T x_i}/sum_l: sum_j y_j softmax(w_j^T x_i) is the probability of the true class,
     not softmax(w_t^T x_i) (``replace_sum_by_softmax_t``). It cancels error 1, so line 7
     is right again: the chain reports it as a repair. From the corrected line 6 the step
     holds because sum_j y_j = 1 (``replace_sum_by_softmax_t_corrected``).
- notation (slips a reader fixes silently; the reading is recorded):
  3. Gradient chain, line 6: the outer fraction bar divides
     x_i sum_j y_j e^{w_j^T x_i}/sum_l e^{...} by sum_l e^{w_l^T x_i} a second time. Read
     with one division, line 6 is exactly the sum of line 5's last two terms
     (``grad_J_line6_reading``), i.e. it inherits error 1 and nothing more.
Lines 7-9, the final gradient -1/N sum_i x_i (y_t - softmax(w_t^T x_i)) and the update
are right.
"""

import jax
import jax.numpy as jnp

import derivcheck as dc

SRC = "002_2f0647c44ebf4bca.txt"

# -- helpers ------------------------------------------------------------------


def _softmax(W, x):
    """softmax(w_c^T x) for every class c (stable)."""
    return jax.nn.softmax(W @ x)


def _loss(W, x, y):
    """Loss(x) = -sum_i y_i log softmax(w_i^T x) (stable reference)."""
    return -jnp.sum(y * jax.nn.log_softmax(W @ x))


def _J(W, X, Y):
    """J(W) = 1/N sum_i Loss(x_i)."""
    return jnp.mean(jax.vmap(_loss, in_axes=(None, 0, 0))(W, X, Y))


def _probs(W, X):
    """S[i, t] = softmax(w_t^T x_i)."""
    return jax.nn.softmax(X @ W.T, axis=-1)


def _exp_parts(W, X):
    """E[i, j] = e^{w_j^T x_i} and S_i = sum_l e^{w_l^T x_i}, literally (overflow-prone)."""
    E = jnp.exp(X @ W.T)
    return E, jnp.sum(E, axis=-1)


def _rows(B, X):
    """-1/N sum_i B[i, t] x_i for every t: the C x D array whose row t is that sum."""
    return -(B.T @ X) / X.shape[0]


def _not_t(C):
    """(1 - I)[j, t]: sums over j != t as a matrix product."""
    return 1.0 - jnp.eye(C)


space_x = dc.Space(W=dc.real("C D"), x=dc.real("D"), y=dc.one_hot("C"))
space_J = dc.Space(W=dc.real("C D"), X=dc.real("N D"), Y=dc.one_hot("N C"))
space_update = dc.Space(W=dc.real("C D"), X=dc.real("N D"), Y=dc.one_hot("N C"),
                        alpha=dc.positive())
space_p = dc.Space(p=dc.simplex("C"))
space_shift = dc.Space(W=dc.real("C D"), x=dc.real("D"), psi=dc.real("D"))
space_rows = dc.Space(a=dc.real("R"), M=dc.real("R Q"))

# -- softmax回归: p(Y=c|x) ---------------------------------------------------------

p_definition = dc.equal(
    _softmax,
    lambda W, x: jnp.exp(W @ x) / jnp.sum(jnp.exp(W @ x)),
    space=space_x,
    latex=r"p(Y=c|x) = \text{softmax}(w_c^T x) = \frac{\exp(w_c^T x)}{\sum_{i=1}^C \exp(w_i^T x)}",
    source=f"{SRC} § softmax回归",
    expect="unstable",
    note="every class c at once; exp(w_c^T x) overflows for large inputs",
)

p_is_probability = dc.holds(
    lambda W, x: jnp.all(_softmax(W, x) >= 0) & (jnp.abs(jnp.sum(_softmax(W, x)) - 1) < 1e-12),
    space=space_x,
    latex=r"\text{softmax}(w_c^T x) = \text{样本 } x \text{ 是 } c \text{ 类的概率}",
    source=f"{SRC} § softmax回归",
    note="checkable core: the values are non-negative and sum to 1 over the C classes",
)

# -- 某样本 x 被误分类的损失 Loss(x) ------------------------------------------------------

loss_chain = dc.Derivation(
    target=_loss,
    lines=[
        dc.Line(r"- \sum_{i=1}^C y_i \log(\text{softmax}(w_i^T x))",
                lambda W, x, y: -jnp.sum(y * jnp.log(_softmax(W, x))),
                expect="unstable",
                note="log of the evaluated softmax: an underflowed probability gives "
                     "0 * log 0 = nan"),
        dc.Line(r"- y_k \log(\text{softmax}(w_k^T x))",
                lambda W, x, y: -y[jnp.argmax(y)] * jnp.log(_softmax(W, x)[jnp.argmax(y)]),
                expect="unstable",
                note="k = the true class, the index of the 1 in the one-hot y; "
                     "log softmax underflows to -inf for large inputs"),
        dc.Line(r"- \log(\text{softmax}(w_k^T x))",
                lambda W, x, y: -jnp.log(_softmax(W, x)[jnp.argmax(y)]),
                expect="unstable",
                note="k = the true class; log softmax underflows to -inf for large inputs"),
    ],
    space=space_x,
    latex=r"Loss(x) = - \sum_{i=1}^C y_i \log(\text{softmax}(w_i^T x))",
    source=f"{SRC} § 某样本 x 被误分类的损失 (真实类为 k 类)",
)

loss_decreases_as_p_to_1 = dc.holds(
    lambda p: jnp.all(jax.vmap(jax.grad(lambda q: -jnp.log(q)))(p) < 0) & jnp.all(-jnp.log(p) >= 0),
    space=space_p,
    latex=r"p = \text{softmax}(w_k^T x) \text{ 越接近 1, 损失越小}",
    source=f"{SRC} § 对真实类别的概率 p 越接近 1, 损失越小",
    note="checkable core: -log p has a negative derivative on (0, 1] and is >= 0 "
         "(0 at p = 1); p ranges over the entries of probability vectors",
)

# -- 总损失 J(W) ------------------------------------------------------------------------

total_loss_definition = dc.equal(
    _J,
    lambda W, X, Y: -jnp.sum(Y * jnp.log(_probs(W, X))) / X.shape[0],
    space=space_J,
    latex=r"J(\vec{W}) = \frac{1}{N} \sum_{i=1}^N Loss(x_i) = - \frac{1}{N} \sum_{i=1}^N "
          r"\sum_{j=1}^C y_j^{(i)} \log(\text{softmax}(w_j^T x_i))",
    source=f"{SRC} § 总损失 J(W)",
    expect="unstable",
    note="log of the evaluated softmax: 0 * log 0 = nan once a probability underflows",
)

# -- ∂J/∂w_t ----------------------------------------------------------------------------


def _line1(W, X, Y):
    def f(V):
        E, S = _exp_parts(V, X)
        return -jnp.sum(Y * jnp.log(E / S[:, None])) / X.shape[0]
    return jax.grad(f)(W)


def _line2(W, X, Y):
    def f(V):
        _, S = _exp_parts(V, X)
        return -jnp.sum(Y * (X @ V.T - jnp.log(S)[:, None])) / X.shape[0]
    return jax.grad(f)(W)


def _line3(W, X, Y):
    C = W.shape[0]

    def f(V, t):  # the sum split into the term j = t and the terms j != t
        _, S = _exp_parts(V, X)
        G = X @ V.T - jnp.log(S)[:, None]  # w_j^T x_i - log sum_l e^{w_l^T x_i}
        own = Y[:, t] * G[:, t]
        others = jnp.sum(jnp.where(jnp.arange(C) != t, Y * G, 0.0), axis=-1)
        return -jnp.sum(own + others) / X.shape[0]

    return jnp.stack([jax.grad(f)(W, t)[t] for t in range(C)])


def _line4(W, X, Y):
    E, S = _exp_parts(W, X)
    R = E / S[:, None]                       # e^{w_j^T x_i} / sum_l e^{w_l^T x_i}
    own = Y * (1 - R)                        # y_t (x_i - e^{w_t^T x_i} x_i / sum), per x_i
    others = (Y * (0 - R)) @ _not_t(W.shape[0])  # sum_{j != t} y_j (0 - e^{w_j^T x_i} x_i / sum)
    return _rows(own + others, X)


def _line5(W, X, Y):
    E, S = _exp_parts(W, X)
    R = E / S[:, None]
    return _rows(Y - Y * R - (Y * R) @ _not_t(W.shape[0]), X)


def _line6_literal(W, X, Y):
    E, S = _exp_parts(W, X)
    inner = jnp.sum(Y * (E / S[:, None]), axis=-1)  # sum_j y_j e^{w_j^T x_i} / sum_l
    return _rows(Y - (inner / S)[:, None], X)        # ... divided again by sum_l


def _fix_line4(W, X, Y):
    P = _probs(W, X)  # P[i, t] = softmax(w_t^T x_i)
    others = (Y @ _not_t(W.shape[0])) * (0 - P)  # sum_{j != t} y_j (0 - softmax(w_t^T x_i))
    return _rows(Y * (1 - P) + others, X)


def _fix_line6(W, X, Y):
    P = _probs(W, X)
    return _rows(Y - jnp.sum(Y, axis=-1, keepdims=True) * P, X)


grad_J_chain = dc.Derivation(
    target=dc.grad_of(_J, wrt="W"),
    lines=[
        dc.Line(r"- \frac{1}{N} \frac{\partial}{\partial w_t} \sum_{i=1}^N \sum_{j=1}^C "
                r"y_j^{(i)} \log \frac{e^{w_j^T x_i}}{\sum_{l=1}^C e^{w_l^T x_i}}",
                _line1, expect="unstable",
                note="autodiff of the expression as written; exp overflows for large inputs"),
        dc.Line(r"- \frac{1}{N} \frac{\partial}{\partial w_t} \sum_{i=1}^N \sum_{j=1}^C "
                r"y_j^{(i)} (w_j^T x_i - \log \sum_{l=1}^C e^{w_l^T x_i})",
                _line2, expect="unstable",
                note="autodiff of the expression as written; log sum exp overflows"),
        dc.Line(r"- \frac{1}{N} \frac{\partial}{\partial w_t} \sum_{i=1}^N [ (y_t^{(i)} "
                r"(w_t^T x_i - \log \sum_{l=1}^C e^{w_l^T x_i}) + \sum_{j \neq t}^C y_j^{(i)} "
                r"(w_j^T x_i - \log \sum_{l=1}^C e^{w_l^T x_i}) ) ]",
                _line3, expect="unstable",
                note="for each t, autodiff over w_t of the split sum; exp overflows"),
        dc.Line(r"- \frac{1}{N} \sum_{i=1}^N [ y_t^{(i)} (x_i - \frac{e^{w_t^T x_i} \cdot x_i}"
                r"{\sum_{l=1}^C e^{w_l^T x_i}}) + \sum_{j \neq t}^C y_j^{(i)} (0 - "
                r"\frac{e^{w_j^T x_i} \cdot x_i}{\sum_{l=1}^C e^{w_l^T x_i}}) ]",
                _line4,
                erratum_class="error",  # the root; line 5 propagated
                erratum="the terms j != t differentiate log sum_l e^{w_l^T x_i} over w_t as "
                        "e^{w_j^T x_i} x_i / sum_l; it is e^{w_t^T x_i} x_i / sum_l",
                fix=dc.Line(r"- \frac{1}{N} \sum_{i=1}^N [ y_t^{(i)} (x_i - "
                            r"\text{softmax}(w_t^T x_i) \cdot x_i) + \sum_{j \neq t}^C "
                            r"y_j^{(i)} (0 - \text{softmax}(w_t^T x_i) \cdot x_i) ]",
                            _fix_line4)),
        dc.Line(r"- \frac{1}{N} \sum_{i=1}^N (x_i y_t^{(i)} - y_t^{(i)} \frac{e^{w_t^T x_i} "
                r"\cdot x_i}{\sum_{l=1}^C e^{w_l^T x_i}} - \sum_{j \neq t}^C y_j^{(i)} "
                r"\frac{e^{w_j^T x_i} \cdot x_i}{\sum_{l=1}^C e^{w_l^T x_i}})",
                _line5,
                erratum="inherits line 4: carries the e^{w_j^T x_i} of the line before into "
                        "the sum over j != t; the numerator must be e^{w_t^T x_i}"),
        dc.Line(r"- \frac{1}{N} \sum_{i=1}^N (x_i y_t^{(i)} - x_i \frac{\sum_{j=1}^C "
                r"y_j^{(i)} \cdot \frac{e^{w_j^T x_i}}{\sum_{l=1}^C e^{w_l^T x_i}}}"
                r"{\sum_{l=1}^C e^{w_l^T x_i}})",
                _line6_literal,
                erratum_class="notation",
                reading="one division by sum_l e^{w_l^T x_i}: x_i sum_j y_j e^{w_j^T x_i} / "
                        "sum_l e^{w_l^T x_i}, the sum of line 5's terms",
                erratum="the outer fraction bar divides by sum_l e^{w_l^T x_i} a second time; "
                        "read with one division it still has e^{w_j^T x_i} (the true-class "
                        "probability) from line 4 instead of e^{w_t^T x_i}",
                fix=dc.Line(r"- \frac{1}{N} \sum_{i=1}^N (x_i y_t^{(i)} - x_i \sum_{j=1}^C "
                            r"y_j^{(i)} \cdot \text{softmax}(w_t^T x_i))",
                            _fix_line6),
                note="read literally: the outer fraction bar divides the inner softmax-weighted "
                     "sum by sum_l e^{w_l^T x_i} once more; grad_J_line6_reading checks the "
                     "single-division reading against line 5"),
        dc.Line(r"- \frac{1}{N} \sum_{i=1}^N (x_i y_t^{(i)} - x_i \frac{e^{w_t^T x_i}}"
                r"{\sum_{l=1}^C e^{w_l^T x_i}})",
                lambda W, X, Y: _rows(Y - _exp_parts(W, X)[0]
                                      / _exp_parts(W, X)[1][:, None], X),
                expect="unstable",
                note="e^{w_t^T x_i} / sum_l e^{w_l^T x_i} as written overflows for large inputs"),
        dc.Line(r"- \frac{1}{N} \sum_{i=1}^N x_i (y_t^{(i)} - \frac{e^{w_t^T x_i}}"
                r"{\sum_{l=1}^C e^{w_l^T x_i}})",
                lambda W, X, Y: _rows(Y - _exp_parts(W, X)[0]
                                      / _exp_parts(W, X)[1][:, None], X),
                expect="unstable",
                note="e^{w_t^T x_i} / sum_l e^{w_l^T x_i} as written overflows for large inputs"),
        dc.Line(r"- \frac{1}{N} \sum_{i=1}^N x_i (y_t^{(i)} - \text{softmax}(w_t^T x_i))",
                lambda W, X, Y: _rows(Y - _probs(W, X), X)),
    ],
    space=space_J,
    latex=r"\frac{\partial J(W)}{\partial w_t}",
    source=f"{SRC} § 总损失 J(W) 对 w_t 的梯度",
    note="row t of each line is the expression written for w_t, for every t = 1..C",
)

def _line5_stable(W, X, Y):
    """Line 5 with e^{w_j^T x_i}/sum_l e^{w_l^T x_i} evaluated as softmax(w_j^T x_i)."""
    R = _probs(W, X)
    return _rows(Y - Y * R - (Y * R) @ _not_t(W.shape[0]), X)


def _line6_one_division_stable(W, X, Y):
    return _rows(Y - jnp.sum(Y * _probs(W, X), axis=-1, keepdims=True), X)


grad_J_line6_reading = dc.equal(
    _line5_stable,
    _line6_one_division_stable,
    space=space_J,
    latex=r"- \frac{1}{N} \sum_{i=1}^N (x_i y_t^{(i)} - x_i \sum_{j=1}^C y_j^{(i)} \cdot "
          r"\frac{e^{w_j^T x_i}}{\sum_{l=1}^C e^{w_l^T x_i}})",
    source=f"{SRC} § 总损失 J(W) 对 w_t 的梯度 (line 6, read with one division)",
    note="the reading of line 6's double fraction bar: with one division it is exactly "
         "line 5 with its two e^{w_.^T x_i} terms summed into sum_j (left side: line 5 as "
         "written). So line 6 adds only the typesetting slip to line 4's error. Both sides "
         "evaluate the quotient e^{w_j^T x_i}/sum_l e^{w_l^T x_i} as softmax(w_j^T x_i).",
)

# the step 6 -> 7 that cancels line 4's error (a repair in the chain)
replace_sum_by_softmax_t = dc.equal(
    lambda W, x, y: jnp.full(W.shape[0], jnp.sum(y * _softmax(W, x))),
    lambda W, x, y: _softmax(W, x),
    space=space_x,
    latex=r"\sum_{j=1}^C y_j \cdot \frac{e^{w_j^T x}}{\sum_{l=1}^C e^{w_l^T x}} = "
          r"\frac{e^{w_t^T x}}{\sum_{l=1}^C e^{w_l^T x}}",
    source=f"{SRC} § 总损失 J(W) 对 w_t 的梯度 (step from line 6 to line 7)",
    erratum_class="error",
    erratum="sum_j y_j softmax(w_j^T x) = softmax(w_k^T x) for the true class k, "
            "which equals softmax(w_t^T x) only when t = k",
    fix=dc.Line(r"\text{softmax}(w_k^T x), \; k = \text{真实类}",
                lambda W, x, y: jnp.full(W.shape[0], _softmax(W, x)[jnp.argmax(y)])),
    note="the step as the lines write it, for every t at once (vector over t); the "
         "left side does not depend on t",
)

replace_sum_by_softmax_t_corrected = dc.equal(
    lambda W, x, y: jnp.sum(y) * _softmax(W, x),
    lambda W, x, y: _softmax(W, x),
    space=space_x,
    latex=r"\sum_{j=1}^C y_j \cdot \text{softmax}(w_t^T x) = \text{softmax}(w_t^T x)",
    source=f"{SRC} § 总损失 J(W) 对 w_t 的梯度 (step from line 6 to line 7)",
    note="the step from the corrected line 6: valid because sum_j y_j = 1 (one-hot y)",
)

grad_J_final = dc.gradient(
    _J,
    lambda W, X, Y: -((Y - _probs(W, X)).T @ X) / X.shape[0],
    space=space_J,
    wrt="W",
    latex=r"\frac{\partial J(W)}{\partial w_t} = - \frac{1}{N} \sum_{i=1}^N x_i "
          r"(y_t^{(i)} - \text{softmax}(w_t^T x_i))",
    source=f"{SRC} § 总损失 J(W) 对 w_t 的梯度",
)

# -- 第 t 个类别的 w 的更新 ----------------------------------------------------------------

update_rule = dc.equal(
    lambda W, X, Y, alpha: W - alpha * jax.grad(_J)(W, X, Y),
    lambda W, X, Y, alpha: W + alpha * ((Y - _probs(W, X)).T @ X) / X.shape[0],
    space=space_update,
    latex=r"W_{t, new} = W_{t, old} + \alpha \frac{1}{N} \sum_{i=1}^N x_i (y_t^{(i)} - "
          r"\text{softmax}(w_t^T x_i))",
    source=f"{SRC} § ∴ W_t,new (第 t 个类别的 w 的更新)",
    note="gradient descent W_t - alpha dJ/dw_t, every row t at once; W_t is the row w_t",
)

# -- 正例) 5b: 所有 w 都减去向量 psi, 结果不变 ---------------------------------------------------

softmax_definition_restated = dc.equal(
    _softmax,
    lambda W, x: jnp.exp(W @ x) / jnp.sum(jnp.exp(W @ x)),
    space=space_x,
    latex=r"\text{softmax}(w_c^T x) = \frac{\exp(w_c^T x)}{\sum_{i=1}^C \exp(w_i^T x)}",
    source=f"{SRC} § 正例) 5b",
    expect="unstable",
    note="exp(w_c^T x) overflows for large inputs",
)

shift_chain = dc.Derivation(
    target=lambda W, x, psi: jax.nn.softmax((W - psi) @ x),
    lines=[
        dc.Line(r"\frac{e^{(w_c - \psi)^T x}}{\sum_{i=1}^C e^{(w_i - \psi)^T x}}",
                lambda W, x, psi: jnp.exp((W - psi) @ x) / jnp.sum(jnp.exp((W - psi) @ x)),
                expect="unstable", note="exp overflows for large inputs"),
        dc.Line(r"\frac{e^{w_c^T x} e^{-\psi^T x}}{\sum_{i=1}^C e^{w_i^T x} e^{-\psi^T x}}",
                lambda W, x, psi: jnp.exp(W @ x) * jnp.exp(-psi @ x)
                / jnp.sum(jnp.exp(W @ x) * jnp.exp(-psi @ x)),
                expect="unstable", note="exp overflows for large inputs"),
        dc.Line(r"\frac{e^{w_c^T x}}{\sum_{i=1}^C e^{w_i^T x}}",
                lambda W, x, psi: jnp.exp(W @ x) / jnp.sum(jnp.exp(W @ x)),
                expect="unstable", note="exp overflows for large inputs"),
    ],
    space=space_shift,
    latex=r"\text{softmax}((w_c - \psi)^T x)",
    source=f"{SRC} § 正例) 5b",
    note="every class c at once",
)

softmax_shift_invariant = dc.equal(
    lambda W, x, psi: jax.nn.softmax((W - psi) @ x),
    _softmax,
    space=space_shift,
    latex=r"\text{所有 } w \text{ 都减去向量 } \psi, \text{ 结果不变}: \; "
          r"\text{softmax}((w_c - \psi)^T x) = \text{softmax}(w_c^T x) \;\; \forall c",
    source=f"{SRC} § 正例) 5b",
)

# -- 加权的行之和 = 向量乘矩阵 -------------------------------------------------------------------

weighted_rows_general = dc.equal(
    lambda a, M: jnp.sum(a[:, None] * M, axis=0),
    lambda a, M: a @ M,
    space=space_rows,
    latex=r"0.3 [3, 4] + 0.6 [1, 7] + \dots + 0.2 [5, 2] = [0.3, 0.6, \dots, 0.2] "
          r"\begin{bmatrix} (3, 4) \\ (1, 7) \\ \vdots \\ (5, 2) \end{bmatrix}",
    source=f"{SRC} § 正例) 5b →",
    note="generalised: sum_r a_r M_r (row r of M weighted by a_r) = a^T M for any "
         "coefficient vector a and matrix M",
)

weighted_rows_concrete = dc.equal(
    lambda: 0.3 * jnp.array([3.0, 4.0]) + 0.6 * jnp.array([1.0, 7.0])
    + 0.2 * jnp.array([5.0, 2.0]),
    lambda: jnp.array([0.3, 0.6, 0.2]) @ jnp.array([[3.0, 4.0], [1.0, 7.0], [5.0, 2.0]]),
    space=space_rows,
    latex=r"0.3 [3, 4] + 0.6 [1, 7] + \dots + 0.2 [5, 2] = [0.3, 0.6, \dots, 0.2] "
          r"\begin{bmatrix} (3, 4) \\ (1, 7) \\ \vdots \\ (5, 2) \end{bmatrix}",
    source=f"{SRC} § 正例) 5b →",
    note="the numbers shown, with the elided terms (…) left out: both sides are [2.5, 5.8]",
)

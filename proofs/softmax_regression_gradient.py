"""Softmax回归-梯度推导 (seed 000_f5443f1d5e254ca3.txt), first half: softmax regression.

The document defines softmax regression with one weight column θ_d per label
(θ is an n×D matrix, columns θ_1..θ_D), the probability
p(y_i=d|x_i,θ) = e^{θ_d^T x_i} / Σ_k e^{θ_k^T x_i}, rewrites the logistic loss
with indicators, generalises it to the softmax loss J(θ), derives ∂p/∂θ_c in the
two cases d=c and d≠c, combines them into ∂J/∂θ_c = -1/m Σ_i x_i [I(y_i=c) - P(y_i=c)],
and adds an L2 term λ/2 Σ_d ||θ_d||² with gradient term λθ_c.
(The regularization half — Lasso/Ridge, norms, the ridge update rule — is in
``regularization_l1_l2.py``.)

Conventions of this module: labels are 0-based (the document's 1..D), θ is the
input ``theta`` of shape (n, D) = ("N", "D"), samples X of shape (m, n) = ("M", "N").
A claim "∂·/∂θ_c" is checked with θ_c as its own input ``tc`` that replaces column
``c`` (a scalar label) of ``theta``.  Lines written with e^{θ^T x}/Σe^{θ^T x} are
evaluated literally and are expected to be ``unstable`` (overflow at large inputs);
lines written with p(·) use a stable softmax.

Readings (the document's evident meaning is the one the derivation uses; the
literal form of each slip is checked on its own as a ``notation`` erratum):
- p(y_i = d|x_i, θ_d) conditions on θ_d only, yet case 2 (d ≠ c) differentiates it
  with respect to θ_c: read as p(y_i = d|x_i, θ), which depends on every θ_k.
- J(θ) is written with ``I(y_i = j)`` inside ``\\sum_{d=1}^D`` (j is not bound).
  Read as I(y_i = d), as the document's own expansion and its L2 section write it.
- The combined-gradient chain's second line sums over ``y_i \\neq c``: read as
  Σ_{j≠c} (literally, with y_i bound and j free, it gives I(j≠c)).
- The θ matrix of § Loss 最小化 labels its rows θ^{(1)} … θ^{(d)} … θ^{(N)}; N is not
  defined in this document and θ has n rows (the same slip as θ_d^{(D)} below, in a
  display with no checkable statement of its own).

Errata, by class:
- error: none in this half (the regularization half has two).
- notation (index or symbol slips a reader fixes silently; the reading is recorded):
  1. § Softmax回顾: p(y_i=d|x_i,θ_d) — read p(y_i=d|x_i,θ) (``p_depends_on_theta_d_only``).
  2. § Loss function / § Loss 最小化: I(y_i = j) inside Σ_d — read I(y_i = d)
     (``softmax_loss_literal_j``).
  3. § Loss 最小化: ∂J/∂θ_d listed with components θ_d^{(1)} … θ_d^{(D)} — θ_d has n
     components, read θ_d^{(n)} (``grad_column_components``).
  4. § 推导 (combined chain), line 2: Σ_{y_i≠c} I(y_i = j) — read Σ_{j≠c}
     (``combined_line2_literal``).
"""

import jax
import jax.numpy as jnp

import derivcheck as dc

SRC = "000_f5443f1d5e254ca3.txt"


# -- helpers ---------------------------------------------------------------

def _p(theta, x):
    """p(y = d | x, θ) for all d, stable softmax of the scores θ_d^T x."""
    return jax.nn.softmax(x @ theta, axis=-1)


def _p_literal(theta, x):
    """e^{θ_d^T x} / Σ_k e^{θ_k^T x}, evaluated as written (overflows for large scores)."""
    e = jnp.exp(x @ theta)
    return e / jnp.sum(e, axis=-1, keepdims=True)


def _ind(y, D):
    """I(y_i = j) as an (m, D) matrix."""
    return (y[..., None] == jnp.arange(D)).astype(jnp.float64)


def _ce(theta, X, y):
    """Reference softmax loss: -1/m Σ_i log p(y_i | x_i, θ) (stable)."""
    ll = jax.nn.log_softmax(X @ theta, axis=-1)
    return -jnp.mean(jnp.take_along_axis(ll, y[:, None], axis=1))


def _with_col(theta, c, tc):
    """θ with column c (θ_c) replaced by the input tc."""
    return theta.at[:, c].set(tc)


def _other(c, e, D):
    """A class index d ≠ c, chosen by the free label e: d = (c + 1 + e mod (D-1)) mod D."""
    return (c + 1 + e % (D - 1)) % D


# -- spaces ----------------------------------------------------------------

# one sample x_i, θ of shape (n, D), a class index d
S_P = dc.Space(theta=dc.real("N D"), x=dc.real("N"), d=dc.labels("", classes="D"))
# one sample, θ_c as its own input tc, class indices c and e (for d ≠ c)
S_PC = dc.Space(theta=dc.real("N D"), tc=dc.real("N"), x=dc.real("N"),
                c=dc.labels("", classes="D"), e=dc.labels("", classes="D"))
# m samples
S_J = dc.Space(theta=dc.real("N D"), X=dc.real("M N"), y=dc.labels("M", classes="D"),
               j=dc.labels("", classes="D"))
S_JC = dc.Space(theta=dc.real("N D"), tc=dc.real("N"), X=dc.real("M N"),
                y=dc.labels("M", classes="D"), c=dc.labels("", classes="D"),
                j=dc.labels("", classes="D"))
S_JREG = dc.Space(theta=dc.real("N D"), tc=dc.real("N"), X=dc.real("M N"),
                  y=dc.labels("M", classes="D"), c=dc.labels("", classes="D"),
                  lam=dc.positive())
# logistic loss: h_j(x_i) as a probability pair (h_0, h_1), binary labels
S_LOG = dc.Space(H=dc.simplex("M 2"), yb=dc.binary("M"))
# two-class softmax vs logistic regression
S_J2 = dc.Space(theta=dc.real("N D"), X=dc.real("M N"), y=dc.labels("M", classes="D"),
                dims={"D": 2})


# == § Softmax回顾 ==========================================================

softmax_prob_definition = dc.equal(
    lambda theta, x, d: _p(theta, x)[d],
    lambda theta, x, d: jnp.exp(x @ theta[:, d]) / jnp.sum(jnp.exp(x @ theta)),
    space=S_P, expect="unstable",
    latex=r"p(y_i = d|x_i, \theta) = \frac{e^{\theta_d^T x_i}}{\sum_{k=1}^D e^{\theta_k^T x_i}}",
    source=f"{SRC} § Softmax回顾：第i个样本，属于d的标签的概率",
    note="reference: stable softmax of the scores θ_d^T x_i; the page's quotient overflows "
         "for large scores.")

softmax_scores = dc.equal(
    lambda theta, x: x @ theta,
    lambda theta, x: jnp.stack([jnp.dot(theta[:, d], x) for d in range(theta.shape[1])]),
    space=S_P,
    latex=r"\theta_1^T x_i, \theta_2^T x_i, \dots, \theta_d^T x_i, \dots, \theta_D^T x_i",
    source=f"{SRC} § Softmax回顾：每个模型的最终得分",
    note="the score of model d is θ_d^T x_i, θ_d being column d of θ (n×D).")

softmax_normalised_scores = dc.equal(
    lambda theta, x: _p(theta, x),
    lambda theta, x: _p_literal(theta, x),
    space=S_P, expect="unstable",
    latex=r"\begin{Bmatrix} p(y_i = 1|x_i, \theta_1) \\ \dots \\ p(y_i = D|x_i, \theta_D) "
          r"\end{Bmatrix} = \begin{Bmatrix} \frac{e^{\theta_1^T x_i}}{\sum_{k=1}^D "
          r"e^{\theta_k^T x_i}} \\ \dots \\ \frac{e^{\theta_D^T x_i}}{\sum_{k=1}^D "
          r"e^{\theta_k^T x_i}} \end{Bmatrix}",
    source=f"{SRC} § Softmax回顾：向量形式",
    note="p(y_i=d|x_i,θ_d) on the page conditions on θ_d only; the value depends on all "
         "of θ (read as p(y_i=d|x_i,θ), see p_depends_on_theta_d_only).")

# The notation p(y_i = d|x_i, θ_d), used from here to the final result, says that the
# probability of label d depends on θ_d alone: then ∂p_d/∂θ_c would be 0 for c ≠ d.
# The document's own case 2 (d ≠ c) computes it as -x_i p_d p_c, so the reading it
# uses is p(y_i = d|x_i, θ).
p_depends_on_theta_d_only = dc.gradient(
    lambda theta, tc, x, c, e: _p(_with_col(theta, c, tc), x)[_other(c, e, theta.shape[1])],
    lambda tc: jnp.zeros_like(tc),
    space=S_PC, wrt="tc",
    latex=r"p(y_i = d|x_i, \theta_d) \ \Rightarrow\ \frac{\partial p(y_i = d|x_i, "
          r"\theta_d)}{\partial \theta_c} = 0 \quad (c \neq d)",
    source=f"{SRC} § Softmax回顾：向量形式 p(y_i = d|x_i, θ_d)",
    erratum_class="notation", reading="p(y_i = d|x_i, θ): the probability depends on every θ_k",
    erratum="p(y_i = d|x_i, θ_d) conditions on θ_d alone, but the probability depends on "
            "every θ_k through the normalising sum: for c ≠ d, ∂p_d/∂θ_c = -x_i p_d p_c ≠ 0 "
            "(the document's own case 2)",
    fix=dc.Line(r"\frac{\partial p(y_i = d|x_i, \theta)}{\partial \theta_c} = -x_i\, "
                r"p(y_i = d|x_i, \theta)\, p(y_i = c|x_i, \theta) \quad (c \neq d)",
                lambda theta, tc, x, c, e: (lambda th, d: -x * _p(th, x)[d] * _p(th, x)[c])(
                    _with_col(theta, c, tc), _other(c, e, theta.shape[1]))),
    note="literal reading of the conditioning on θ_d: as a function of another column θ_c "
         "(input tc, c ≠ d built from the labels c and e) the probability would be constant.")

softmax_normalisation = dc.equal(
    lambda theta, x: jnp.sum(_p(theta, x)),
    lambda theta, x: jnp.asarray(1.0),
    space=S_P,
    latex=r"\sum_{d=1}^D \frac{e^{\theta_d^T x_i}}{\sum_{k=1}^D e^{\theta_k^T x_i}} = 1",
    source=f"{SRC} § Softmax回顾：归一化后，每个得分为",
    note="'归一化' (normalised): the D probabilities sum to one.")


# == § Loss function ========================================================

logistic_loss_indicator_form = dc.equal(
    lambda H, yb: -jnp.mean(yb * jnp.log(H[:, 1]) + (1 - yb) * jnp.log(1 - H[:, 1])),
    lambda H, yb: -jnp.mean(jnp.sum(
        (yb[:, None] == jnp.arange(2)).astype(jnp.float64)
        * jnp.log(jnp.stack([1 - H[:, 1], H[:, 1]], axis=1)), axis=1)),
    space=S_LOG,
    latex=r"\text{loss} = -\frac{1}{m} \left( \sum_{i=1}^m y_i \log(h(x_i)) + (1 - y_i) "
          r"\log(1 - h(x_i)) \right) \xrightarrow{\text{简化}} \text{loss} = -\frac{1}{m} "
          r"\sum_{i=1}^m \sum_{j=0}^1 I(y_i = j) \log(h_j(x_i))",
    source=f"{SRC} § Loss function：逻辑回归的loss function",
    note="h is not defined on the page; h(x_i) ∈ (0,1) is taken as the input H[:,1], "
         "with h_1 = h and h_0 = 1 - h.")

softmax_loss_intent = dc.equal(
    _ce,
    lambda theta, X, y: -jnp.mean(jnp.sum(
        _ind(y, theta.shape[1]) * jnp.log(_p_literal(theta, X)), axis=1)),
    space=S_J, expect="unstable",
    latex=r"J(\theta) = -\frac{1}{m} \left[ \sum_{i=1}^m \sum_{d=1}^D I(y_i = d) \log "
          r"\left( \frac{e^{\theta_d^T x_i}}{\sum_{k=1}^D e^{\theta_k^T x_i}} \right) \right]",
    source=f"{SRC} § Loss function：推导到多分类的softmax loss",
    note="intended reading I(y_i = d) (the page writes I(y_i = j), see "
         "softmax_loss_literal_j); evaluated literally, so it overflows for large scores.")

softmax_loss_literal_j = dc.equal(
    _ce,
    lambda theta, X, y, j: -jnp.mean((y == j) * jnp.sum(
        jax.nn.log_softmax(X @ theta, axis=-1), axis=1)),
    space=S_J,
    latex=r"J(\theta) = -\frac{1}{m} \left[ \sum_{i=1}^m \sum_{d=1}^D I(y_i = j) \log "
          r"\left( \frac{e^{\theta_d^T x_i}}{\sum_{k=1}^D e^{\theta_k^T x_i}} \right) \right]",
    source=f"{SRC} § Loss function：推导到多分类的softmax loss",
    erratum_class="notation", reading="I(y_i = d): the indicator takes the summation index d",
    erratum="the indicator uses j, which is not the summation index: read literally (j "
            "fixed) it is -1/m Σ_i I(y_i=j) Σ_d log p_d, not the softmax loss; I(y_i = d) is meant",
    fix=dc.Line(r"J(\theta) = -\frac{1}{m} \left[ \sum_{i=1}^m \sum_{d=1}^D I(y_i = d) \log "
                r"\left( \frac{e^{\theta_d^T x_i}}{\sum_{k=1}^D e^{\theta_k^T x_i}} "
                r"\right) \right]",
                lambda theta, X, y: -jnp.mean(jnp.sum(
                    _ind(y, theta.shape[1]) * jax.nn.log_softmax(X @ theta, axis=-1), axis=1)),
                note="log of the quotient evaluated as log_softmax (same value, no overflow)"),
    note="literal reading with j a free label (input j); the same formula is repeated "
         "verbatim under § Loss 最小化.")

softmax_loss_generalises_logistic = dc.equal(
    lambda theta, X, y: -jnp.mean(
        (y == 1) * jax.nn.log_sigmoid(X @ (theta[:, 1] - theta[:, 0]))
        + (y == 0) * jax.nn.log_sigmoid(-(X @ (theta[:, 1] - theta[:, 0])))),
    lambda theta, X, y: -jnp.mean(jnp.sum(
        _ind(y, 2) * jax.nn.log_softmax(X @ theta, axis=-1), axis=1)),
    space=S_J2,
    latex=r"D = 2:\; -\frac{1}{m} \sum_{i=1}^m \sum_{d=1}^2 I(y_i = d) \log p(y_i = d|x_i, "
          r"\theta) = \text{loss of logistic regression with } h(x) = "
          r"\sigma((\theta_2 - \theta_1)^T x)",
    source=f"{SRC} § Loss function：将此，推导到多分类的softmax loss",
    note="'推导到多分类' read as: for D = 2 the softmax loss is the logistic loss, with "
         "h(x_i) = p(y_i = 2|x_i, θ) = σ((θ_2 − θ_1)^T x_i).")


# == § Loss 最小化 ==========================================================
# (J(θ) is restated verbatim; its two readings are the claims above.)

grad_is_n_by_D_matrix = dc.holds(
    lambda theta, X, y: jnp.asarray(jax.grad(_ce)(theta, X, y).shape == theta.shape
                                    and theta.shape == (X.shape[1], theta.shape[1])),
    space=S_J,
    latex=r"\frac{\partial J(\theta)}{\partial \theta} = \left\{ \frac{\partial J(\theta)}"
          r"{\partial \theta_1}, \dots, \frac{\partial J(\theta)}{\partial \theta_D} "
          r"\right\}\ \text{是一个矩阵}",
    source=f"{SRC} § Loss 最小化：J(θ) 对 θ 求导，是一个矩阵",
    note="∂J/∂θ has θ's layout: n rows (feature index), D columns ∂J/∂θ_d.")

grad_column_components = dc.holds(
    lambda theta, X, y: jnp.asarray(jax.grad(_ce)(theta, X, y)[:, 0].shape[0]
                                    == theta.shape[1]),
    space=S_J,
    latex=r"\frac{\partial J(\theta)}{\partial \theta_d} = \left\{ \frac{\partial J(\theta)}"
          r"{\partial \theta_d^{(1)}}, \frac{\partial J(\theta)}{\partial \theta_d^{(2)}}, "
          r"\dots, \frac{\partial J(\theta)}{\partial \theta_d^{(D)}} \right\}",
    source=f"{SRC} § Loss 最小化：θ_d 是一个与输入样本维度一致的n维向量",
    erratum_class="notation", reading="θ_d^{(n)}: θ_d has n components, one per feature",
    erratum="θ_d is n-dimensional (as the next sentence says), so ∂J/∂θ_d runs to "
            "θ_d^{(n)}, not θ_d^{(D)} (D is the number of labels)",
    fix=dc.Line(r"\frac{\partial J(\theta)}{\partial \theta_d} = \left\{ \frac{\partial "
                r"J(\theta)}{\partial \theta_d^{(1)}}, \dots, \frac{\partial J(\theta)}"
                r"{\partial \theta_d^{(n)}} \right\}",
                lambda theta, X, y: jnp.asarray(jax.grad(_ce)(theta, X, y)[:, 0].shape[0]
                                                == X.shape[1])),
    note="checked as a statement about the number of components of ∂J/∂θ_d.")


# == § 推导：J(θ) 展开 ======================================================

softmax_loss_expanded = dc.equal(
    _ce,
    lambda theta, X, y: -jnp.mean(sum(
        (y == d) * jnp.log(jnp.exp(X @ theta[:, d]) / jnp.sum(jnp.exp(X @ theta), axis=1))
        for d in range(theta.shape[1]))),
    space=S_J, expect="unstable",
    latex=r"J(\theta) = -\frac{1}{m} \sum_{i=1}^m [I(y_i = 1) \log\left(\frac{e^{\theta_1^T "
          r"x_i}}{\sum_{k=1}^D e^{\theta_k^T x_i}}\right) + \dots + I(y_i = d) \log\left("
          r"\frac{e^{\theta_d^T x_i}}{\sum_{k=1}^D e^{\theta_k^T x_i}}\right) + \dots + "
          r"I(y_i = D) \log\left(\frac{e^{\theta_D^T x_i}}{\sum_{k=1}^D e^{\theta_k^T "
          r"x_i}}\right)]",
    source=f"{SRC} § 推导：J(θ) 展开为",
    note="the expansion uses I(y_i = d) term by term (the intended reading of J).")


# == § 推导：第一种情况 d=c ==================================================

def _pd_of_td(theta, tc, x, c):
    """p(y_i = c | x_i, θ) as a function of θ_c = tc (case d = c)."""
    return _p(_with_col(theta, c, tc), x)[c]


def _case1_lit(theta, tc, x, c):
    th = _with_col(theta, c, tc)
    return jnp.exp(x @ th[:, c]) / jnp.sum(jnp.exp(x @ th))


case_d_eq_c = dc.Derivation(
    target=dc.grad_of(_pd_of_td, wrt="tc"),
    lines=[
        dc.Line(r"\frac{\partial p(y_i = d|x_i, \theta_d)}{\partial \theta_d}",
                lambda theta, tc, x, c: jax.grad(_pd_of_td, argnums=1)(theta, tc, x, c),
                note="d = c: the same derivative, taken with respect to θ_d"),
        dc.Line(r"\frac{\partial \left( \frac{e^{\theta_d^T x_i}}{\sum_{k=1}^D "
                r"e^{\theta_k^T x_i}} \right)}{\partial \theta_d}",
                lambda theta, tc, x, c: jax.grad(_case1_lit, argnums=1)(theta, tc, x, c),
                expect="unstable",
                note="autodiff of the literal quotient"),
        dc.Line(r"\frac{x_i e^{\theta_d^T x_i} \sum_{k=1}^D e^{\theta_k^T x_i} - "
                r"e^{\theta_d^T x_i} x_i e^{\theta_d^T x_i}}{(\sum_{k=1}^D e^{\theta_k^T "
                r"x_i})^2}",
                lambda theta, tc, x, c: (lambda th: (
                    x * jnp.exp(x @ th[:, c]) * jnp.sum(jnp.exp(x @ th))
                    - jnp.exp(x @ th[:, c]) * x * jnp.exp(x @ th[:, c]))
                    / jnp.sum(jnp.exp(x @ th)) ** 2)(_with_col(theta, c, tc)),
                expect="unstable"),
        dc.Line(r"x_i \frac{e^{\theta_d^T x_i}}{\sum_{k=1}^D e^{\theta_k^T x_i}} "
                r"\frac{\sum_{k=1}^D e^{\theta_k^T x_i} - e^{\theta_d^T x_i}}{\sum_{k=1}^D "
                r"e^{\theta_k^T x_i}}",
                lambda theta, tc, x, c: (lambda th: x
                    * (jnp.exp(x @ th[:, c]) / jnp.sum(jnp.exp(x @ th)))
                    * ((jnp.sum(jnp.exp(x @ th)) - jnp.exp(x @ th[:, c]))
                       / jnp.sum(jnp.exp(x @ th))))(_with_col(theta, c, tc)),
                expect="unstable"),
        dc.Line(r"x_i p(y_i = d|x_i, \theta_d) [1 - p(y_i = d|x_i, \theta_d)]",
                lambda theta, tc, x, c: (lambda p: x * p * (1 - p))(
                    _p(_with_col(theta, c, tc), x)[c])),
    ],
    space=S_PC, latex=r"\frac{\partial p(y_i = d|x_i, \theta_d)}{\partial \theta_c}",
    source=f"{SRC} § 推导：第一种情况：d=c",
    note="d = c is the label input c; θ_c = θ_d is the input tc.")


# == § 推导：第二种情况 d!=c =================================================

def _pd_of_tc(theta, tc, x, c, e):
    """p(y_i = d | x_i, θ) with d ≠ c, as a function of θ_c = tc."""
    d = _other(c, e, theta.shape[1])
    return _p(_with_col(theta, c, tc), x)[d]


def _case2(fn):
    """Evaluate a line of case 2 with th = θ (column c = tc), d ≠ c."""
    def line(theta, tc, x, c, e):
        th = _with_col(theta, c, tc)
        return fn(th, x, _other(c, e, theta.shape[1]), c)
    return line


case_d_ne_c = dc.Derivation(
    target=dc.grad_of(_pd_of_tc, wrt="tc"),
    lines=[
        dc.Line(r"e^{\theta_d^T x_i} \frac{-x_i e^{\theta_c^T x_i}}{(\sum_{k=1}^D "
                r"e^{\theta_k^T x_i})^2}",
                _case2(lambda th, x, d, c: jnp.exp(x @ th[:, d])
                       * (-x * jnp.exp(x @ th[:, c])) / jnp.sum(jnp.exp(x @ th)) ** 2),
                expect="unstable"),
        dc.Line(r"-x_i \frac{e^{\theta_d^T x_i}}{\sum_{k=1}^D e^{\theta_k^T x_i}} "
                r"\frac{e^{\theta_c^T x_i}}{\sum_{k=1}^D e^{\theta_k^T x_i}}",
                _case2(lambda th, x, d, c: -x
                       * (jnp.exp(x @ th[:, d]) / jnp.sum(jnp.exp(x @ th)))
                       * (jnp.exp(x @ th[:, c]) / jnp.sum(jnp.exp(x @ th)))),
                expect="unstable"),
        dc.Line(r"-x_i p(y_i = d|x_i, \theta_d) p(y_i = c|x_i, \theta_c)",
                _case2(lambda th, x, d, c: -x * _p(th, x)[d] * _p(th, x)[c])),
    ],
    space=S_PC, latex=r"\frac{\partial p(y_i = d|x_i, \theta_d)}{\partial \theta_c}",
    source=f"{SRC} § 推导：第二种情况：d!=c",
    note="d ≠ c is built from the labels c and e as d = (c + 1 + e mod (D−1)) mod D.")


# == § 推导：将两种情况的结果综合到 ∂J/∂θ_c ===================================

def _J_of_tc(theta, tc, X, y, c):
    return _ce(_with_col(theta, c, tc), X, y)


def _comb(fn):
    """Evaluate a line of the combined chain with P (m×D), I (m×D), θ_c = tc."""
    def line(theta, tc, X, y, c):
        th = _with_col(theta, c, tc)
        D = theta.shape[1]
        return fn(X, _p(th, X), _ind(y, D), c, jnp.arange(D) != c)
    return line


def _comb_line1(X, P, I, c, ne):
    Pc = P[:, c]
    other = jnp.sum(jnp.where(ne, I * (1 / P) * (-1.0) * (P * Pc[:, None]), 0.0), axis=1)
    own = I[:, c] * (1 / Pc) * Pc * (1 - Pc)
    return -jnp.mean(X * (other + own)[:, None], axis=0)


combined_gradient_chain = dc.Derivation(
    target=dc.grad_of(_J_of_tc, wrt="tc"),
    lines=[
        dc.Line(r"-\frac{1}{m} \sum_{i=1}^m \left[ \sum_{j \neq c} I(y_i = j) \frac{1}"
                r"{p(y_i = j|x_i, \theta_j)} (-x_i) (p(y_i = j|x_i, \theta_j) p(y_i = "
                r"c|x_i, \theta_c)) + I(y_i = c) \frac{1}{p(y_i = c|x_i, \theta_c)} x_i "
                r"p(y_i = c|x_i, \theta_c) (1 - p(y_i = c|x_i, \theta_c)) \right]",
                _comb(_comb_line1), expect="unstable",
                note="evaluated as written: 1/p · p, which is 0·inf once p underflows"),
        dc.Line(r"-\frac{1}{m} \sum_{i=1}^m x_i \left[ -\sum_{y_i \neq c} I(y_i = j) "
                r"p(y_i = c|x_i, \theta_c) + I(y_i = c) (1 - p(y_i = c|x_i, \theta_c)) "
                r"\right]",
                _comb(lambda X, P, I, c, ne: -jnp.mean(X * (
                    -jnp.sum(jnp.where(ne, I, 0.0), axis=1) * P[:, c]
                    + I[:, c] * (1 - P[:, c]))[:, None], axis=0)),
                note="intended reading: the sum runs over j ≠ c (the page writes "
                     "y_i ≠ c under the sum; literal reading: combined_line2_literal)"),
        dc.Line(r"-\frac{1}{m} \sum_{i=1}^m x_i [I(y_i = c) - P(y_i = c|x_i, \theta_c) "
                r"\sum_{j=1}^D I(y_i = j)]",
                _comb(lambda X, P, I, c, ne: -jnp.mean(X * (
                    I[:, c] - P[:, c] * jnp.sum(I, axis=1))[:, None], axis=0))),
        dc.Line(r"-\frac{1}{m} \sum_{i=1}^m x_i [I(y_i = c) - P(y_i = c|x_i, \theta_c)]",
                _comb(lambda X, P, I, c, ne: -jnp.mean(
                    X * (I[:, c] - P[:, c])[:, None], axis=0))),
    ],
    space=S_JC, latex=r"\frac{\partial J(\theta)}{\partial \theta_c}",
    source=f"{SRC} § 推导：将两种情况的结果综合到 ∂J(θ)/∂θ_c",
    note="J is the softmax loss with I(y_i = d) (the expansion above); θ_c is the input tc.")

combined_line2_literal = dc.gradient(
    _J_of_tc,
    lambda theta, tc, X, y, c, j: (lambda P, I: -jnp.mean(X * (
        -jnp.where(j != c, 1.0, 0.0) * P[:, c] + I[:, c] * (1 - P[:, c]))[:, None], axis=0))(
        _p(_with_col(theta, c, tc), X), _ind(y, theta.shape[1])),
    space=S_JC, wrt="tc",
    latex=r"\frac{\partial J(\theta)}{\partial \theta_c} = -\frac{1}{m} \sum_{i=1}^m x_i "
          r"\left[ -\sum_{y_i \neq c} I(y_i = j) p(y_i = c|x_i, \theta_c) + I(y_i = c) "
          r"(1 - p(y_i = c|x_i, \theta_c)) \right]",
    source=f"{SRC} § 推导：将两种情况的结果综合到 ∂J(θ)/∂θ_c",
    erratum_class="notation", reading="Σ_{j≠c} I(y_i = j), the sum over the other labels",
    erratum="read literally, Σ_{y_i≠c} I(y_i = j) binds y_i and leaves j free, giving "
            "I(j ≠ c) instead of Σ_{j≠c} I(y_i = j) = I(y_i ≠ c)",
    fix=dc.Line(r"-\frac{1}{m} \sum_{i=1}^m x_i \left[ -\sum_{j \neq c} I(y_i = j) "
                r"p(y_i = c|x_i, \theta_c) + I(y_i = c) (1 - p(y_i = c|x_i, \theta_c)) "
                r"\right]",
                lambda theta, tc, X, y, c: (lambda P, I: -jnp.mean(X * (
                    -(1 - I[:, c]) * P[:, c] + I[:, c] * (1 - P[:, c]))[:, None], axis=0))(
                    _p(_with_col(theta, c, tc), X), _ind(y, theta.shape[1]))),
    note="literal reading of the chain's second line (j = the free label input j).")

indicator_sums_to_one = dc.equal(
    lambda y, theta: jnp.sum(_ind(y, theta.shape[1]), axis=1),
    lambda y: jnp.ones(y.shape[0]),
    space=S_J,
    latex=r"\sum_{j=1}^D I(y_i = j) = 1",
    source=f"{SRC} § 推导：由于 Σ_j I(y_i = j) = 1")

final_gradient_matrix = dc.gradient(
    _ce,
    lambda theta, X, y: -(X.T @ (_ind(y, theta.shape[1]) - _p(theta, X))) / X.shape[0],
    space=S_J, wrt="theta",
    latex=r"\frac{\partial J(\theta)}{\partial \theta_c} = -\frac{1}{m} \sum_{i=1}^m x_i "
          r"[I(y_i = c) - P(y_i = c|x_i, \theta_c)]",
    source=f"{SRC} § 推导：最终",
    note="all columns c = 1..D at once: ∂J/∂θ = {∂J/∂θ_1, …, ∂J/∂θ_D} (n×D).")


# == § L2正则 ===============================================================

def _J_reg(theta, X, y, lam):
    return _ce(theta, X, y) + lam / 2 * jnp.sum(theta ** 2)


l2_softmax_objective = dc.equal(
    lambda theta, X, y, lam: _J_reg(theta, X, y, lam),
    lambda theta, X, y, lam: -jnp.mean(jnp.sum(
        _ind(y, theta.shape[1]) * jnp.log(_p_literal(theta, X)), axis=1))
    + lam / 2 * sum(jnp.linalg.norm(theta[:, d]) ** 2 for d in range(theta.shape[1])),
    space=S_JREG, expect="unstable",
    latex=r"J(\theta) = -\frac{1}{m} \sum_{i=1}^m \sum_{d=1}^D I(y_i = d) \log \left( "
          r"\frac{e^{\theta_d^T x_i}}{\sum_{k=1}^D e^{\theta_k^T x_i}} \right) + "
          r"\frac{\lambda}{2} \sum_{d=1}^D \|\theta_d\|_2^2",
    source=f"{SRC} § L2正则",
    note="reference: softmax loss + λ/2 × (sum of squares of all entries of θ); the page's "
         "quotient is evaluated literally.")

l2_softmax_gradient = dc.gradient(
    lambda theta, tc, X, y, c, lam: _J_reg(_with_col(theta, c, tc), X, y, lam),
    lambda theta, tc, X, y, c, lam: (lambda P, I: -jnp.mean(
        X * (I[:, c] - P[:, c])[:, None], axis=0) + lam * tc)(
        _p(_with_col(theta, c, tc), X), _ind(y, theta.shape[1])),
    space=S_JREG, wrt="tc",
    latex=r"\frac{\partial J(\theta)}{\partial \theta_c} = -\frac{1}{m} \sum_{i=1}^m x_i "
          r"[I(y_i = c) - P(y_i = c|x_i, \theta_c)] + \lambda \theta_c",
    source=f"{SRC} § L2正则",
    note="against the page's own objective with λ/2 Σ_d ||θ_d||² (no 1/m on the penalty): "
         "the penalty's gradient is λθ_c, consistent.  The ridge update of the "
         "regression section uses λ/m instead (see regularization_l1_l2.py).")

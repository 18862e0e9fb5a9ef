"""Softmax回归-梯度推导 (seed 000_f5443f1d5e254ca3.txt), second half: 正则化 (regularization).

The document introduces L1/L2 regularization as penalty terms: the sklearn-style
Lasso objective 1/(2 n_samples) ||Xw − y||_2^2 + α||w||_1 and Ridge objective
||Xw − y||_2^2 + α||w||_2^2, defines the L1 norm (sum of absolute values) and the L2
norm (square root of the sum of squares), states that L1 gives sparse weights, relates
λ to C, argues that small weights resist perturbations, and, for linear regression
with J(θ) = 1/(2m) Σ (h_θ(x^{(i)}) − y^{(i)})², gives the gradient-descent update and the
L2 "weight decay" update θ_j(1 − αλ/m) − α/m Σ (h − y) x_j, whose factor (1 − αλ/m) is
"less than 1", so that θ_j "keeps decreasing".

The document writes no gradient for Lasso/Ridge; the claims ``lasso_gradient`` and
``ridge_gradient`` make its two objectives checkable (away from w = 0 for the L1 term).
The ridge update is checked against three objectives (see § 过拟合): it is gradient
descent on J + λ/(2m) Σ θ_j² (verified), but not on J + λ/2 Σ θ_j² (the penalty form of the
document's softmax L2 section) nor on J + λ||θ||_2^2 (the document's Ridge penalty).
h_θ(x) = θ^T x (linear regression); θ is the input ``theta`` of shape (n,), X is (m, n).

Errata found:
1. ridge update vs the softmax section's penalty λ/2 Σ||θ||²: the shrink factor would be
   (1 − αλ), not (1 − αλ/m) — the λ/m belongs to a penalty λ/(2m) Σ θ_j² (1/m mismatch).
2. ridge update vs the Ridge penalty λ||θ||_2^2 as written in § 正则化: factor (1 − 2αλ).
3. "θ_j 不断减小" read literally (the value decreases): false for θ_j < 0, where
   multiplying by a factor in (0, 1) increases θ_j; the magnitude |θ_j| shrinks, and
   only while αλ/m ≤ 2.
4. the intended magnitude reading |θ_j(1 − αλ/m)| ≤ |θ_j| without a step-size
   condition: false for αλ/m > 2; corrected with the condition 0 < αλ/m ≤ 2.
"""

import jax
import jax.numpy as jnp

import derivcheck as dc

SRC = "000_f5443f1d5e254ca3.txt"

# w: weights (at 0 too: a valid subgradient of |w| verifies there), X: (n_samples, n_features), yv: targets
S_REG = dc.Space(w=dc.real("N"), X=dc.real("M N"), yv=dc.real("M"),
                 alpha=dc.positive())
S_NORM = dc.Space(w=dc.real("N"))
# one-dimensional proximal problems: v the unregularized optimum, dv a perturbation
S_PROX = dc.Space(v=dc.real("N"), dv=dc.real("N"), alpha=dc.positive())
S_PROX_NZ = dc.Space(v=dc.real("N", nonzero=True), dv=dc.real("N"), alpha=dc.positive())
S_C = dc.Space(lam=dc.positive(), lam2=dc.positive())
S_PERT = dc.Space(theta=dc.real("N"), x=dc.real("N"), dx=dc.real("N"))
# linear regression: θ (n,), X (m, n), targets yv (m,), learning rate α, strength λ
S_LIN = dc.Space(theta=dc.real("N"), X=dc.real("M N"), yv=dc.real("M"),
                 alpha=dc.positive(), lam=dc.positive())


# == § 正则化 (Regularization)：举例 =========================================

def _lasso(w, X, yv, alpha):
    return jnp.sum((X @ w - yv) ** 2) / (2 * X.shape[0]) + alpha * jnp.sum(jnp.abs(w))


def _ridge(w, X, yv, alpha):
    return jnp.sum((X @ w - yv) ** 2) + alpha * jnp.sum(w ** 2)


lasso_gradient = dc.gradient(
    _lasso,
    lambda w, X, yv, alpha: X.T @ (X @ w - yv) / X.shape[0] + alpha * jnp.sign(w),
    space=S_REG, wrt="w",
    latex=r"\nabla_w \left( \frac{1}{2n_{\text{samples}}} \|Xw - y\|_2^2 + \alpha "
          r"\|w\|_1 \right) = \frac{1}{n_{\text{samples}}} X^T (Xw - y) + \alpha\, "
          r"\mathrm{sign}(w) \quad (w_j \neq 0)",
    source=f"{SRC} § 正则化 (Regularization)：L1正则 min_w 1/(2n_samples)||Xw−y||² + α||w||_1",
    note="the page gives only the objective; this (sub)gradient, valid where no w_j is 0, "
         "is what makes it checkable.  n_samples = m (rows of X).")

ridge_gradient = dc.gradient(
    _ridge,
    lambda w, X, yv, alpha: 2 * X.T @ (X @ w - yv) + 2 * alpha * w,
    space=S_REG, wrt="w",
    latex=r"\nabla_w \left( \|Xw - y\|_2^2 + \alpha \|w\|_2^2 \right) = 2 X^T (Xw - y) + "
          r"2 \alpha w",
    source=f"{SRC} § 正则化 (Regularization)：L2正则 min_w ||Xw−y||² + α||w||²",
    note="the page gives only the objective; its gradient makes it checkable.  Note the "
         "Ridge data term has no 1/(2 n_samples), unlike the Lasso line.")


# == § 正则化 (Regularization)：范数 ========================================

l1_norm_definition = dc.equal(
    lambda w: jnp.linalg.norm(w, ord=1),
    lambda w: jnp.sum(jnp.abs(w)),
    space=S_NORM,
    latex=r"\|w\|_1 = \sum_j |w_j|",
    source=f"{SRC} § 正则化 (Regularization)：L1正则：权值向量w中各个元素的绝对值之和")

l2_norm_definition = dc.equal(
    lambda w: jnp.linalg.norm(w, ord=2),
    lambda w: jnp.sqrt(jnp.sum(w ** 2)),
    space=S_NORM,
    latex=r"\|w\|_2 = \sqrt{\sum_j w_j^2}",
    source=f"{SRC} § 正则化 (Regularization)：L2正则：各个元素的平方和然后再求平方根")

l2_norm_squared_in_ridge = dc.equal(
    lambda w: jnp.linalg.norm(w, ord=2) ** 2,
    lambda w: jnp.sum(w ** 2),
    space=S_NORM,
    latex=r"\|w\|_2^2 = \sum_j w_j^2",
    source=f"{SRC} § 正则化 (Regularization)：L2正则 α||w||_2^2",
    note="the Ridge and softmax penalties use the square of the L2 norm, i.e. the plain "
         "sum of squares (no square root).")


# == § 正则化 (Regularization)：优点 (L1 稀疏) ================================
# Checkable core of "L1正则化可以产生稀疏权值矩阵": for min_u ½||u − v||² + α||u||_1 the
# minimizer (soft-thresholding) is exactly 0 in every coordinate with |v_j| ≤ α, while
# for min_u ½||u − v||² + α||u||_2^2 the minimizer v/(1 + 2α) is never 0 unless v_j is.

def _soft(v, alpha):
    return jnp.sign(v) * jnp.maximum(jnp.abs(v) - alpha, 0.0)


def _prox_l1_obj(u, v, alpha):
    return 0.5 * jnp.sum((u - v) ** 2) + alpha * jnp.sum(jnp.abs(u))


def _prox_l2_obj(u, v, alpha):
    return 0.5 * jnp.sum((u - v) ** 2) + alpha * jnp.sum(u ** 2)


def _is_min(obj, u, v, dv, alpha):
    f0, f1 = obj(u, v, alpha), obj(u + dv, v, alpha)
    return f0 <= f1 + 1e-12 * (1.0 + jnp.abs(f0) + jnp.abs(f1))


l1_gives_exact_zeros = dc.holds(
    lambda v, dv, alpha: _is_min(_prox_l1_obj, _soft(v, alpha), v, dv, alpha)
    & jnp.all(jnp.where(jnp.abs(v) <= alpha, _soft(v, alpha) == 0.0, True)),
    space=S_PROX,
    latex=r"\arg\min_u \tfrac12\|u - v\|^2 + \alpha\|u\|_1 = \mathrm{sign}(v)\max(|v| - "
          r"\alpha, 0):\ u_j = 0 \text{ whenever } |v_j| \le \alpha",
    source=f"{SRC} § 正则化 (Regularization)：L1正则化可以产生稀疏权值矩阵",
    note="checkable core of the sparsity claim: the soft-threshold point is no worse than "
         "any perturbation u + dv, and it is exactly zero on the whole band |v_j| ≤ α.")

l2_shrinks_without_zeros = dc.holds(
    lambda v, dv, alpha: _is_min(_prox_l2_obj, v / (1 + 2 * alpha), v, dv, alpha)
    & jnp.all(v / (1 + 2 * alpha) != 0.0)
    & jnp.all(jnp.abs(v / (1 + 2 * alpha)) <= jnp.abs(v)),
    space=S_PROX_NZ,
    latex=r"\arg\min_u \tfrac12\|u - v\|^2 + \alpha\|u\|_2^2 = \frac{v}{1 + 2\alpha}:\ "
          r"|u_j| \le |v_j|,\ u_j \neq 0 \text{ for } v_j \neq 0",
    source=f"{SRC} § 正则化 (Regularization)：L2正则化可以防止模型过拟合",
    note="contrast for the sparsity claim: the L2 penalty shrinks every weight but sets "
         "none exactly to zero.")


# == § 直观理解 ==============================================================

lambda_small_C_large = dc.holds(
    lambda lam, lam2: (lam < lam2) == (1.0 / lam > 1.0 / lam2),
    space=S_C,
    latex=r"\lambda \text{ 很小}, C \text{ 很大};\quad \lambda \text{ 很大}, C \text{ 很小}"
          r"\qquad (C = 1/\lambda)",
    source=f"{SRC} § 直观理解",
    note="C is not defined on the page; read as sklearn's inverse regularization "
         "strength C = 1/λ, which is decreasing in λ.")


# == § 过拟合 ================================================================

perturbation_bounded_by_weights = dc.holds(
    lambda theta, x, dx: jnp.abs(theta @ (x + dx) - theta @ x)
    <= jnp.linalg.norm(theta) * jnp.linalg.norm(dx)
    + 1e-12 * (1.0 + jnp.abs(theta @ (x + dx)) + jnp.abs(theta @ x)),
    space=S_PERT,
    latex=r"|\theta^T (x + \Delta x) - \theta^T x| \le \|\theta\|_2 \|\Delta x\|_2",
    source=f"{SRC} § 过拟合：参数足够小，数据偏移得多一点也不会对结果造成什么影响",
    note="checkable core of '抗扰动能力强' for a linear model: the output shift is at most "
         "||θ|| times the data shift (Cauchy–Schwarz), so small weights mean small shifts.")


def _J_lin(theta, X, yv):
    """J(θ) = 1/(2m) Σ_i (h_θ(x^{(i)}) − y^{(i)})², h_θ(x) = θ^T x."""
    return jnp.sum((X @ theta - yv) ** 2) / (2 * X.shape[0])


def _sum_err_x(theta, X, yv):
    """Σ_i (h_θ(x^{(i)}) − y^{(i)}) x_j^{(i)} for every j."""
    return X.T @ (X @ theta - yv)


linreg_loss_definition = dc.equal(
    _J_lin,
    lambda theta, X, yv: sum((jnp.dot(theta, X[i]) - yv[i]) ** 2
                             for i in range(X.shape[0])) / (2 * X.shape[0]),
    space=S_LIN,
    latex=r"J(\theta) = \frac{1}{2m} \sum_{i=1}^m (h_{\theta}(x^{(i)}) - y^{(i)})^2",
    source=f"{SRC} § 过拟合：以回归为例 损失函数",
    note="h_θ(x) = θ^T x; the sum over samples written out, against a vectorised reference.")

linreg_gradient = dc.gradient(
    _J_lin,
    lambda theta, X, yv: _sum_err_x(theta, X, yv) / X.shape[0],
    space=S_LIN, wrt="theta",
    latex=r"\frac{\partial J(\theta)}{\partial \theta_j} = \frac{1}{m} \sum_{i=1}^m "
          r"(h_{\theta}(x^{(i)}) - y^{(i)}) x_j^{(i)}",
    source=f"{SRC} § 过拟合：以回归为例 迭代公式",
    note="the gradient the update rule uses (implicit on the page).")

linreg_update_rule = dc.equal(
    lambda theta, X, yv, alpha: theta - alpha * jax.grad(_J_lin)(theta, X, yv),
    lambda theta, X, yv, alpha: theta - alpha * (1 / X.shape[0]) * _sum_err_x(theta, X, yv),
    space=S_LIN,
    latex=r"\theta_j := \theta_j - \alpha \frac{1}{m} \sum_{i=1}^m (h_{\theta}(x^{(i)}) - "
          r"y^{(i)}) x_j^{(i)}",
    source=f"{SRC} § 过拟合：以回归为例 迭代公式",
    note="equals θ − α ∂J/∂θ with J = 1/(2m) Σ (h − y)² (autodiff).")


def _ridge_update_page(theta, X, yv, alpha, lam):
    m = X.shape[0]
    return theta * (1 - alpha * lam / m) - alpha * (1 / m) * _sum_err_x(theta, X, yv)


_RIDGE_UPDATE_TEX = (r"\theta_j := \theta_j \left(1 - \alpha \frac{\lambda}{m}\right) - "
                     r"\alpha \frac{1}{m} \sum_{i=1}^m (h_{\theta}(x^{(i)}) - y^{(i)}) "
                     r"x_j^{(i)}")

ridge_update_lambda_over_2m = dc.equal(
    lambda theta, X, yv, alpha, lam: theta - alpha * jax.grad(
        lambda t: _J_lin(t, X, yv) + lam / (2 * X.shape[0]) * jnp.sum(t ** 2))(theta),
    _ridge_update_page,
    space=S_LIN, latex=_RIDGE_UPDATE_TEX,
    source=f"{SRC} § 过拟合：若添加L2后，迭代公式变为",
    note="reading 1 (derived): the update is gradient descent on "
         "J(θ) + λ/(2m) Σ_j θ_j², i.e. 1/(2m)[Σ (h − y)² + λ Σ θ_j²].")

ridge_update_lambda_over_2 = dc.equal(
    lambda theta, X, yv, alpha, lam: theta - alpha * jax.grad(
        lambda t: _J_lin(t, X, yv) + lam / 2 * jnp.sum(t ** 2))(theta),
    _ridge_update_page,
    space=S_LIN, latex=_RIDGE_UPDATE_TEX,
    source=f"{SRC} § 过拟合：若添加L2后，迭代公式变为",
    erratum="with the penalty the document writes for L2 (λ/2 Σ||θ||², § L2正则), "
            "gradient descent shrinks by (1 − αλ), not (1 − αλ/m): the λ/m needs a "
            "penalty λ/(2m) Σ θ_j²",
    fix=dc.Line(r"\theta_j := \theta_j (1 - \alpha \lambda) - \alpha \frac{1}{m} "
                r"\sum_{i=1}^m (h_{\theta}(x^{(i)}) - y^{(i)}) x_j^{(i)}",
                lambda theta, X, yv, alpha, lam: theta * (1 - alpha * lam)
                - alpha * (1 / X.shape[0]) * _sum_err_x(theta, X, yv)),
    note="reading 2: 'add L2' with the document's own softmax penalty λ/2 Σ_d ||θ_d||_2^2 "
         "added to J(θ) = 1/(2m) Σ (h − y)². Agrees with the page only when m = 1.")

ridge_update_ridge_penalty = dc.equal(
    lambda theta, X, yv, alpha, lam: theta - alpha * jax.grad(
        lambda t: _J_lin(t, X, yv) + lam * jnp.sum(t ** 2))(theta),
    _ridge_update_page,
    space=S_LIN, latex=_RIDGE_UPDATE_TEX,
    erratum="with the Ridge penalty as the document writes it (α||w||_2^2, strength "
            "renamed λ since α is the learning rate here), the factor is (1 − 2αλ), not "
            "(1 − αλ/m)",
    fix=dc.Line(r"\theta_j := \theta_j (1 - 2\alpha \lambda) - \alpha \frac{1}{m} "
                r"\sum_{i=1}^m (h_{\theta}(x^{(i)}) - y^{(i)}) x_j^{(i)}",
                lambda theta, X, yv, alpha, lam: theta * (1 - 2 * alpha * lam)
                - alpha * (1 / X.shape[0]) * _sum_err_x(theta, X, yv)),
    source=f"{SRC} § 过拟合：若添加L2后，迭代公式变为",
    note="reading 3: J(θ) + λ||θ||_2^2, the penalty of § 正则化 'L2正则: min ||Xw−y||² + "
         "α||w||_2^2' added to this section's J.")

shrink_factor_below_one = dc.holds(
    lambda X, alpha, lam: 1 - alpha * lam / X.shape[0] < 1,
    space=S_LIN,
    latex=r"1 - \alpha \frac{\lambda}{m} < 1",
    source=f"{SRC} § 过拟合：每一次迭代，θ_j 都要先乘以一个小于1的因子",
    note="α > 0 (learning rate), λ > 0, m ≥ 1.")

shrink_makes_theta_decrease = dc.holds(
    lambda theta, X, alpha, lam: theta * (1 - alpha * lam / X.shape[0]) <= theta,
    space=S_LIN,
    latex=r"\theta_j \left(1 - \alpha \frac{\lambda}{m}\right) \le \theta_j\ "
          r"\text{(从而使得 } \theta_j \text{ 不断减小)}",
    source=f"{SRC} § 过拟合：从而使得θ_j不断减小，因此总得来看，θ是不断减小的",
    erratum="read literally (θ_j's value decreases) it is false for θ_j < 0, where a factor "
            "in (0, 1) increases θ_j; what shrinks is |θ_j|, and only while αλ/m ≤ 2",
    fix=dc.Line(r"0 < \alpha\frac{\lambda}{m} \le 2 \Rightarrow \left|\theta_j \left(1 - "
                r"\alpha \frac{\lambda}{m}\right)\right| \le |\theta_j|",
                lambda theta, X, alpha, lam: (alpha * lam / X.shape[0] > 2)
                | (jnp.abs(theta * (1 - alpha * lam / X.shape[0])) <= jnp.abs(theta))),
    note="the shrink step alone (the gradient term is a separate step); '总得来看 θ 不断减小' "
         "with the gradient term included does not follow from the factor.")

shrink_factor_magnitude = dc.holds(
    lambda theta, X, alpha, lam: jnp.abs(theta * (1 - alpha * lam / X.shape[0]))
    <= jnp.abs(theta),
    space=S_LIN,
    latex=r"\left|\theta_j \left(1 - \alpha \frac{\lambda}{m}\right)\right| \le |\theta_j|",
    source=f"{SRC} § 过拟合：从而使得θ_j不断减小",
    erratum="the intended (magnitude) reading holds only with a step-size condition: for "
            "αλ/m > 2 the factor is below −1 and |θ_j| grows (e.g. α = λ = 3, m = 1)",
    fix=dc.Line(r"0 < \alpha\frac{\lambda}{m} \le 2 \Rightarrow \left|\theta_j \left(1 - "
                r"\alpha \frac{\lambda}{m}\right)\right| \le |\theta_j|",
                lambda theta, X, alpha, lam: (alpha * lam / X.shape[0] > 2)
                | (jnp.abs(theta * (1 - alpha * lam / X.shape[0])) <= jnp.abs(theta))),
    note="intended (magnitude) reading of 'θ_j 不断减小', without a step-size condition.")

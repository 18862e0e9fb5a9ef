"""Softmax回归-梯度推导 (seed 000_f5443f1d5e254ca3.txt), second half: 正则化 (regularization).

The document introduces L1/L2 regularization as penalty terms: the sklearn-style
Lasso objective 1/(2 n_samples) ||Xw − y||_2^2 + α||w||_1 and Ridge objective
||Xw − y||_2^2 + α||w||_2^2, describes the L1 term (sum of absolute values, ||w||_1)
and the L2 term ("sum of squares, then the square root", ||w||_2), states that L1 gives
sparse weights, relates λ to C, argues that small weights resist perturbations, and,
for linear regression with J(θ) = 1/(2m) Σ (h_θ(x^{(i)}) − y^{(i)})², gives the
gradient-descent update and the L2 "weight decay" update
θ_j(1 − αλ/m) − α/m Σ (h − y) x_j, whose factor (1 − αλ/m) is "less than 1", so that
θ_j "keeps decreasing" and "overall θ keeps decreasing".

The document writes no gradient for Lasso/Ridge; the claims ``lasso_gradient`` and
``ridge_gradient`` make its two objectives checkable (away from w = 0 for the L1 term).
h_θ(x) = θ^T x (linear regression); θ is the input ``theta`` of shape (n,), X is (m, n).

Readings:
- "若添加L2后": the penalty is not written. The update is gradient descent on
  1/(2m)[Σ (h − y)² + λ Σ θ_j²] (``ridge_update_lambda_over_2m``), but the one L2
  penalty this document writes is λ/2 Σ_d ||θ_d||² (§ L2正则), against which the factor
  would be (1 − αλ): marked once, against the document's own penalty. (The Ridge example
  α||w||_2^2 has sklearn's unnormalised data term; comparing with it too would mark the
  same line twice.)
- "乘以一个小于1的因子": a weight-decay factor in (0, 1), i.e. αλ < m. Under that
  reading the shrink step alone does reduce |θ_j| (``shrink_step_reduces_magnitude``).

Errata, by class:
- error (mathematical mistakes):
  1. § 正则化: the prose calls the L2 regularizer the L2 norm ||w||_2 ("平方和然后再求平方根"),
     but every formula of the document uses its square, α||w||_2^2 (Ridge) and
     λ/2 Σ_d ||θ_d||_2^2 (softmax, gradient λθ_c); with the square root the penalty's
     gradient would be λθ/||θ||, not λθ (``l2_regularizer_as_described``).
  2. § 过拟合: the L2 update's factor (1 − αλ/m) does not follow from the document's own
     L2 penalty λ/2 Σ_d ||θ_d||² (that gives 1 − αλ); it needs λ/(2m) Σ_j θ_j², which the
     document never states (``ridge_update_lambda_over_2``).
  3. § 过拟合: "从而使得θ_j不断减小，因此总得来看，θ是不断减小的" ignores the data term of the
     update: the iteration does not keep decreasing θ (from θ = 0 it grows); it converges
     to the minimiser of the regularised cost, (XᵀX + λI)⁻¹Xᵀy, which is not 0 and whose
     norm decreases as λ grows (``theta_keeps_decreasing``).
- notation: none in this half.
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
# the same, with a second strength μ > 0 to compare λ and λ + μ
S_LIN2 = dc.Space(theta=dc.real("N"), X=dc.real("M N"), yv=dc.real("M"),
                  alpha=dc.positive(), lam=dc.positive(), mu=dc.positive())


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
    source=f"{SRC} § 正则化 (Regularization)：L2正则：各个元素的平方和然后再求平方根",
    note="as a definition of the L2 norm the sentence is right; as the definition of the "
         "L2 regularizer it is not (l2_regularizer_as_described).")

l2_norm_squared_in_ridge = dc.equal(
    lambda w: jnp.linalg.norm(w, ord=2) ** 2,
    lambda w: jnp.sum(w ** 2),
    space=S_NORM,
    latex=r"\|w\|_2^2 = \sum_j w_j^2",
    source=f"{SRC} § 正则化 (Regularization)：L2正则 α||w||_2^2",
    note="the Ridge and softmax penalties use the square of the L2 norm, i.e. the plain "
         "sum of squares (no square root).")

# The prose names the L2 regularizer "the sum of squares, then the square root, written
# ||w||_2" — the L2 norm, which l2_norm_definition checks as a definition of the norm.
# As the regularization term it disagrees with every formula of the document, which
# penalise ||w||_2^2: α||w||_2^2 in the Ridge example, λ/2 Σ_d ||θ_d||_2^2 in the softmax
# L2 section (whose gradient term λθ_c needs the square), and the weight-decay update.
l2_regularizer_as_described = dc.equal(
    lambda w: jnp.sum(w ** 2),
    lambda w: jnp.sqrt(jnp.sum(w ** 2)),
    space=S_NORM,
    latex=r"\text{L2正则} = \|w\|_2 = \sqrt{\sum_j w_j^2}\ \text{(平方和然后再求平方根)}",
    source=f"{SRC} § 正则化 (Regularization)：L2正则：各个元素的平方和然后再求平方根，通常表示为||w||_2",
    erratum_class="error",
    erratum="the L2 regularizer the document uses is the squared norm ||w||_2^2 = Σ_j w_j² "
            "(Ridge α||w||_2^2, softmax λ/2 Σ_d ||θ_d||_2^2 with gradient λθ_c), not the "
            "norm ||w||_2 with its square root, whose gradient would be w/||w||_2",
    fix=dc.Line(r"\text{L2正则} = \|w\|_2^2 = \sum_j w_j^2\ \text{(平方和, 不开平方根)}",
                lambda w: jnp.sum(w ** 2)),
    note="left side: the penalty as the document's formulas use it (α||w||_2^2, "
         "λ/2 Σ_d ||θ_d||_2^2); right side: the term as the prose describes it.")


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
    note="the penalty the page's update corresponds to: gradient descent on "
         "J(θ) + λ/(2m) Σ_j θ_j² = 1/(2m)[Σ (h − y)² + λ Σ θ_j²] (Andrew Ng's convention). "
         "The document never writes this penalty (ridge_update_lambda_over_2).")

# The page never writes the penalty it adds. The one penalty this document writes for
# L2, in § L2正则 (λ/2 Σ_d ||θ_d||_2^2), gives the factor (1 − αλ); the λ/m of the page
# needs λ/(2m) Σ_j θ_j² (the claim above), a convention the document does not state.
ridge_update_lambda_over_2 = dc.equal(
    lambda theta, X, yv, alpha, lam: theta - alpha * jax.grad(
        lambda t: _J_lin(t, X, yv) + lam / 2 * jnp.sum(t ** 2))(theta),
    _ridge_update_page,
    space=S_LIN, latex=_RIDGE_UPDATE_TEX,
    source=f"{SRC} § 过拟合：若添加L2后，迭代公式变为",
    erratum_class="error",
    erratum="with the L2 penalty this document writes (λ/2 Σ_d ||θ_d||_2^2, § L2正则), "
            "gradient descent shrinks θ_j by (1 − αλ), not (1 − αλ/m): the λ/m needs the "
            "penalty λ/(2m) Σ_j θ_j², which the document never states",
    fix=dc.Line(r"\theta_j := \theta_j (1 - \alpha \lambda) - \alpha \frac{1}{m} "
                r"\sum_{i=1}^m (h_{\theta}(x^{(i)}) - y^{(i)}) x_j^{(i)}",
                lambda theta, X, yv, alpha, lam: theta * (1 - alpha * lam)
                - alpha * (1 / X.shape[0]) * _sum_err_x(theta, X, yv)),
    note="'adding L2' read with the document's own L2 penalty λ/2 Σ ||θ||² added to "
         "J(θ) = 1/(2m) Σ (h − y)²; the page agrees with it only when m = 1.")

shrink_factor_below_one = dc.holds(
    lambda X, alpha, lam: 1 - alpha * lam / X.shape[0] < 1,
    space=S_LIN,
    latex=r"1 - \alpha \frac{\lambda}{m} < 1",
    source=f"{SRC} § 过拟合：每一次迭代，θ_j 都要先乘以一个小于1的因子",
    note="α > 0 (learning rate), λ > 0, m ≥ 1.")

shrink_step_reduces_magnitude = dc.holds(
    lambda theta, X, alpha, lam: (alpha * lam / X.shape[0] >= 1)
    | (jnp.abs(theta * (1 - alpha * lam / X.shape[0])) <= jnp.abs(theta)),
    space=S_LIN,
    latex=r"0 < 1 - \alpha \frac{\lambda}{m} < 1 \Rightarrow \left|\theta_j \left(1 - "
          r"\alpha \frac{\lambda}{m}\right)\right| \le |\theta_j|",
    source=f"{SRC} § 过拟合：每一次迭代，θ_j 都要先乘以一个小于1的因子，从而使得θ_j不断减小",
    note="the shrink step alone, with '小于1的因子' read as a weight-decay factor in (0, 1) "
         "(αλ < m): it reduces the magnitude of every θ_j.  The sentence's conclusion about "
         "the whole iteration is theta_keeps_decreasing.")


def _ridge_solution(X, yv, lam):
    """(XᵀX + λI)⁻¹Xᵀy through the SVD X = U diag(s) Vᵀ: V diag(s/(s² + λ)) Uᵀy."""
    U, sv, Vt = jnp.linalg.svd(X, full_matrices=False)
    return Vt.T @ (sv / (sv ** 2 + lam) * (U.T @ yv))


def _is_fixed_point_of_update(theta, X, yv, alpha, lam):
    """The page's update leaves θ unchanged, to the rounding of its terms.

    The step is compared with the size of the terms it sums, α/m (XᵀX + λ)θ and
    α/m Xᵀy, and with the rounding of θ(1 − αλ/m) itself (≈ 1e-16 |θ|).
    """
    m = X.shape[0]
    step = _ridge_update_page(theta, X, yv, alpha, lam) - theta
    xn, tn = jnp.linalg.norm(X), jnp.linalg.norm(theta)
    scale = alpha / m * ((xn ** 2 + lam) * tn + xn * jnp.linalg.norm(yv))
    return jnp.linalg.norm(step) <= 1e-9 * scale + 1e-13 * tn + 1e-300


# "从而使得θ_j不断减小，因此总得来看，θ是不断减小的": the conclusion drops the data term
# −α/m Σ (h − y) x_j of the same update.  Read charitably (the norm of θ, not the sign of
# θ_j), it is still false: the iteration stops shrinking at the regularised minimiser.
theta_keeps_decreasing = dc.holds(
    lambda theta, X, yv, alpha, lam: jnp.linalg.norm(_ridge_update_page(theta, X, yv, alpha, lam))
    <= jnp.linalg.norm(theta) * (1 + 1e-12) + 1e-300,
    space=S_LIN2,
    latex=r"\|\theta^{\text{new}}\| \le \|\theta\|,\ \theta_j^{\text{new}} = \theta_j "
          r"\left(1 - \alpha \frac{\lambda}{m}\right) - \alpha \frac{1}{m} \sum_{i=1}^m "
          r"(h_{\theta}(x^{(i)}) - y^{(i)}) x_j^{(i)}\ \text{(因此总得来看，θ是不断减小的)}",
    source=f"{SRC} § 过拟合：从而使得θ_j不断减小，因此总得来看，θ是不断减小的",
    erratum_class="error",
    erratum="the conclusion ignores the data term −α/m Σ (h − y) x_j of the update: θ does "
            "not keep decreasing (from θ = 0 it grows); the iteration converges to the "
            "minimiser of the regularised cost, (XᵀX + λI)⁻¹Xᵀy, which is not 0",
    fix=dc.Line(r"\theta_\lambda = (X^T X + \lambda I)^{-1} X^T y \text{ is a fixed point of the "
                r"update, and } \|\theta_{\lambda + \mu}\| \le \|\theta_\lambda\|\ (\mu > 0)",
                lambda X, yv, alpha, lam, mu: _is_fixed_point_of_update(
                    _ridge_solution(X, yv, lam), X, yv, alpha, lam)
                & (jnp.linalg.norm(_ridge_solution(X, yv, lam + mu))
                   <= jnp.linalg.norm(_ridge_solution(X, yv, lam)))),
    note="one full iteration of the document's update, compared in norm (the reading most "
         "favourable to the sentence).  What the L2 term does shrink is the solution: "
         "the fixed point's norm decreases as λ grows.")

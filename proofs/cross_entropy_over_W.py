"""Softmax regression: gradient of the cross-entropy risk R(W) over W (D x K), z = W^T x.

Seed: 003_fe75db079478e315.txt.

The document defines the empirical risk R(W) = -1/N sum_n y^(n)T log yhat^(n) with
yhat = softmax(z), z = W^T x (W is D x K), states the gradient
dR/dW = -1/N sum_n x^(n) (y^(n) - yhat^(n))^T and proves it in three steps:
(1) the softmax Jacobian, case m = i and case m != i;
(2) the derivative of the cross-entropy over z_m, ending at yhat_m - y_m;
(3) the derivative over w_om, (yhat_m - y_m) x_o, assembled into the D x K matrix
x (yhat - y)^T, and finally dR/dW.

Inputs are single examples: ``x, y, z`` stand for x^(n), y^(n), z^(n) (the engine draws many);
the labels y^(n) are one-hot, as in the document (step (2) uses sum_{i != m} y_i = 1 - y_m).
The stray number "1705546" between two lines of step (2) is a page artefact, not math.

Errata, by class (each kept as written; every root has a fix that checks):

- error (mathematical mistakes):
  1. The truncated line dR/dW = -1/N sum_n sum_m (nothing follows; completed with the
     step-(3) summand it introduces) and the two lines dR/dW = -1/N sum_n x (yhat - y)^T:
     the factor -1/N is applied to the derivative of the loss -y^T log yhat, which already
     carries the minus sign, so the sign is wrong (root: ``grad_R_chain`` line 1; lines 2
     and 3 are propagated, computed by derivcheck).
  2. "即": -1/N sum x (yhat - y)^T is rewritten as -1/N sum x (y - yhat)^T, flipping the
     difference but not the factor (``final_rewrite_step``). It cancels error 1: the last
     line is right again and the chain reports the step as a repair.
- notation (slips a reader fixes silently; the reading is recorded):
  3. (2) first expression: d(y^T log yhat)/dz_m lacks the minus of the cross-entropy
     loss, which the second expression of the same display writes: read
     d(-y^T log yhat)/dz_m (``ce_grad_z`` line 1; line 2 is then right again).
  4. (2) fourth line: y_m (1 - yhat_m)/yhat_m drops the factor yhat_m of
     d yhat_m/dz_m = yhat_m (1 - yhat_m); the next line, y_m (1 - yhat_m), shows the
     author cancelled it: read y_m yhat_m (1 - yhat_m)/yhat_m (``ce_grad_z`` line 6).
  5. (3) index order w_{mp} in sum_p w_{mp} x_p: z_m = sum_p w_{pm} x_p for W of shape
     D x K (``ce_grad_w_om_literal_index``). With w_{mp} the expression is ill-formed
     unless D = K, and where it is well-formed its derivative over w_om is delta_om x_m.
"""

import jax
import jax.numpy as jnp

import derivcheck as dc

SRC = "003_fe75db079478e315.txt"

# -- helpers ------------------------------------------------------------------


def _softmax(z):
    """yhat = softmax(z), evaluated stably (what the symbol yhat denotes)."""
    return jax.nn.softmax(z)


def _softmax_literal(z):
    """exp(z_i) / sum_j exp(z_j) exactly as written (overflows for large z)."""
    e = jnp.exp(z)
    return e / jnp.sum(e)


def _ce(z, y):
    """Cross-entropy loss of one example, -y^T log softmax(z) (stable reference)."""
    return -jnp.sum(y * jax.nn.log_softmax(z))


def _risk(W, X, Y):
    """R(W) = -1/N sum_n y^(n)T log yhat^(n), with z^(n) = W^T x^(n) (row n of X W)."""
    return jnp.mean(jax.vmap(_ce)(X @ W, Y))


def _softmax_jac(z):
    """J[i, m] = d yhat_i / d z_m by autodiff (the symbol d yhat_i / d z_m)."""
    return jax.jacobian(_softmax)(z)


def _offdiag(A):
    """Keep the entries with m != i, zero the diagonal."""
    return jnp.where(jnp.eye(A.shape[0], dtype=bool), 0.0, A)


def _z_of_W(W, x):
    return W.T @ x


def _dz_dw(W, x):
    """dz_m / dw_om as a D x K array [o, m], from the Jacobian of z = W^T x."""
    J = jax.jacobian(lambda V: _z_of_W(V, x))(W)  # [m, o, k]
    return jnp.einsum("mom->om", J)


space_R = dc.Space(W=dc.real("D K"), X=dc.real("N D"), Y=dc.one_hot("N K"))
space_x = dc.Space(W=dc.real("D K"), x=dc.real("D"), y=dc.one_hot("K"))
space_z = dc.Space(z=dc.real("K"), y=dc.one_hot("K"))
# W square (D = K): the only case where the literal index w_{mp} of step (3) is well-formed.
space_sq = dc.Space(W=dc.real("K K"), x=dc.real("K"), y=dc.one_hot("K"))

# -- 经验风险 (empirical risk) and the claimed gradient ---------------------------------

risk_definition = dc.equal(
    _risk,
    lambda W, X, Y: -jnp.mean(jnp.sum(Y * jnp.log(_softmax(X @ W)), axis=-1)),
    space=space_R,
    latex=r"\mathcal{R}(W) = -\frac{1}{N} \sum_{n=1}^N (\mathbf{y}^{(n)})^T "
          r"\log \hat{\mathbf{y}}^{(n)}",
    source=f"{SRC} § 交叉熵损失函数计算经验风险",
    expect="unstable",
    note="log of the evaluated softmax: for large logits yhat underflows to 0 and "
         "0 * log 0 = nan (the reference uses log_softmax)",
)

grad_R_claimed = dc.gradient(
    _risk,
    lambda W, X, Y: -(X.T @ (Y - _softmax(X @ W))) / X.shape[0],
    space=space_R,
    wrt="W",
    latex=r"\frac{\partial \mathcal{R}(W)}{\partial W} = -\frac{1}{N} \sum_{n=1}^N "
          r"\mathbf{x}^{(n)} \left( \mathbf{y}^{(n)} - \hat{\mathbf{y}}^{(n)} \right)^T",
    source=f"{SRC} § 风险函数对 W 的梯度",
)

# -- 证: shapes, z = W^T x, softmax ----------------------------------------------

z_shape = dc.holds(
    lambda W, x: jnp.asarray(_z_of_W(W, x).shape == (W.shape[1],)),
    space=space_x,
    latex=r"z^{(n)} = W^T \cdot x^{(n)} \Rightarrow z^{(n)} \text{ 为 } K \times 1 "
          r"\text{ 的列向量}",
    source=f"{SRC} § 证: 令 z = W^T x",
    note="W is D x K and x is D x 1, so W^T x is K x 1",
)

softmax_definition = dc.equal(
    _softmax,
    _softmax_literal,
    space=space_z,
    latex=r"\hat{y}_i^{(n)} = \frac{\exp(z_i^{(n)})}{\sum_{j=1}^K \exp(z_j^{(n)})}",
    source=f"{SRC} § 证: softmax",
    expect="unstable",
    note="exp(z) overflows for large z",
)

# -- (1) softmax 中 yhat_i 对 z_m 的偏导 -------------------------------------------

softmax_jacobian = dc.jacobian(
    _softmax,
    lambda z: jnp.diag(_softmax(z)) - jnp.outer(_softmax(z), _softmax(z)),
    space=space_z,
    wrt="z",
    latex=r"\frac{\partial \hat{y}_i}{\partial z_m} = \hat{y}_i(\delta_{im} - \hat{y}_m)"
          r" \;\Leftrightarrow\; \frac{\partial \hat{y}}{\partial z} = "
          r"\mathrm{diag}(\hat{y}) - \hat{y}\hat{y}^T",
    source=f"{SRC} § (1) 首先求 softmax 中 ŷ_i 对 z_m 的偏导 (① and ② together)",
    note="both cases of step (1) in one matrix; J[i, m] = d yhat_i / d z_m",
)

softmax_jac_case_m_eq_i = dc.Derivation(
    target=lambda z: jnp.diag(_softmax_jac(z)),
    lines=[
        dc.Line(r"\frac{\partial \hat{y}_i^{(n)}}{\partial z_i^{(n)}}",
                lambda z: jnp.diag(_softmax_jac(z)),
                note="m = i: the diagonal of the softmax Jacobian, one entry per i"),
        dc.Line(r"\frac{\exp(z_i^{(n)}) \cdot \sum_{j=1}^K \exp(z_j^{(n)}) - \exp(z_i^{(n)}) "
                r"\cdot \exp(z_i^{(n)})}{(\sum_{j=1}^K \exp(z_j^{(n)}))^2}",
                lambda z: (jnp.exp(z) * jnp.sum(jnp.exp(z)) - jnp.exp(z) * jnp.exp(z))
                / jnp.sum(jnp.exp(z)) ** 2,
                expect="unstable",
                note="quotient rule written with exp: overflows for large z"),
        dc.Line(r"\hat{y}_i^{(n)} - (\hat{y}_i^{(n)})^2",
                lambda z: _softmax(z) - _softmax(z) ** 2),
        dc.Line(r"\hat{y}_i^{(n)} (1 - \hat{y}_i^{(n)})",
                lambda z: _softmax(z) * (1 - _softmax(z))),
    ],
    space=space_z,
    latex=r"\frac{\partial \hat{y}_i^{(n)}}{\partial z_m^{(n)}} \quad (m = i)",
    source=f"{SRC} § (1) ① 当 m=i 时",
)

softmax_jac_case_m_ne_i = dc.Derivation(
    target=lambda z: _offdiag(_softmax_jac(z)),
    lines=[
        dc.Line(r"\frac{-\exp(z_m^{(n)}) \cdot \exp(z_i^{(n)})}{(\sum_{j=1}^K \exp(z_j^{(n)}))^2}",
                lambda z: _offdiag(-jnp.outer(jnp.exp(z), jnp.exp(z))
                                   / jnp.sum(jnp.exp(z)) ** 2),
                expect="unstable",
                note="entries [i, m] with m != i (diagonal masked to 0); exp overflows for "
                     "large z"),
        dc.Line(r"-\hat{y}_m^{(n)} \hat{y}_i^{(n)}",
                lambda z: _offdiag(-jnp.outer(_softmax(z), _softmax(z)))),
    ],
    space=space_z,
    latex=r"\frac{\partial \hat{y}_i^{(n)}}{\partial z_m^{(n)}} \quad (m \neq i)",
    source=f"{SRC} § (1) ② 当 m≠i 时",
)

# -- (2) 交叉熵损失对 z_m 的偏导 ---------------------------------------------------
# Every line is the vector over m = 1..K of the expression written for one m.


def _line2_split(z, y):
    """-( y_m/yhat_m dyhat_m/dz_m + sum_{i != m} y_i/yhat_i dyhat_i/dz_m ) for every m."""
    s, J = _softmax(z), _softmax_jac(z)
    r = y / s  # y_i * 1/yhat_i
    own = r * jnp.diag(J)
    others = r @ _offdiag(J)  # sum_{i != m} r_i J[i, m]
    return -(own + others)


def _line2_substituted(z, y, numerator_has_yhat):
    s = _softmax(z)
    first = y * (s * (1 - s) if numerator_has_yhat else (1 - s)) / s
    # sum_{i != m} y_i * (-yhat_m yhat_i) / yhat_i
    M = _offdiag(jnp.outer(y, jnp.ones_like(s)) * (-jnp.outer(s, s)) / s[:, None])  # [i, m]
    return -(first + jnp.sum(M, axis=0))


ce_grad_z = dc.Derivation(
    target=dc.grad_of(_ce, wrt="z"),
    lines=[
        dc.Line(r"\frac{\partial (y^{(n)T} \log \hat{y}^{(n)})}{\partial z_m^{(n)}}",
                lambda z, y: jax.grad(lambda v: jnp.sum(y * jax.nn.log_softmax(v)))(z),
                erratum_class="notation",
                reading="∂(−y^{(n)T} log ŷ^{(n)})/∂z_m: the loss with its minus, as the "
                        "next expression of the display writes it",
                erratum="sign: this is the derivative of +y^T log yhat (= y_m - yhat_m), "
                        "yet it is set equal to the derivative of the loss -y^T log yhat",
                fix=dc.Line(r"\frac{\partial (-y^{(n)T} \log \hat{y}^{(n)})}{\partial z_m^{(n)}}",
                            lambda z, y: jax.grad(_ce)(z, y)),
                note="read literally: the numerator has no minus sign"),
        dc.Line(r"\frac{\partial -(y^{(n)})^T \cdot \log \hat{y}^{(n)}}{\partial z_m^{(n)}}",
                lambda z, y: jax.grad(lambda v: -(y @ jax.nn.log_softmax(v)))(z)),
        dc.Line(r"\frac{\partial -\sum_{i=1}^K y_i^{(n)} \cdot \log \hat{y}_i^{(n)}}"
                r"{\partial z_m^{(n)}}",
                lambda z, y: jax.grad(lambda v: -jnp.sum(y * jax.nn.log_softmax(v)))(z)),
        dc.Line(r"-\sum_{i=1}^K y_i^{(n)} \cdot \frac{1}{\hat{y}_i^{(n)}} \cdot "
                r"\frac{\partial \hat{y}_i^{(n)}}{\partial z_m^{(n)}}",
                lambda z, y: -((y / _softmax(z)) @ _softmax_jac(z)),
                expect="unstable",
                note="1/yhat_i: yhat_i underflows to 0 for large logits (0/0 or 1/0)"),
        dc.Line(r"-\left( y_m^{(n)} \cdot \frac{1}{\hat{y}_m^{(n)}} \cdot \frac{\partial "
                r"\hat{y}_m^{(n)}}{\partial z_m^{(n)}} + \sum_{i \neq m} y_i^{(n)} \cdot "
                r"\frac{1}{\hat{y}_i^{(n)}} \cdot \frac{\partial \hat{y}_i^{(n)}}"
                r"{\partial z_m^{(n)}} \right)",
                _line2_split,
                expect="unstable",
                note="1/yhat_i: yhat_i underflows to 0 for large logits"),
        dc.Line(r"-\left( y_m^{(n)} \cdot \frac{1 - \hat{y}_m^{(n)}}{\hat{y}_m^{(n)}} + "
                r"\sum_{i \neq m} y_i^{(n)} \cdot \frac{-\hat{y}_m^{(n)} \hat{y}_i^{(n)}}"
                r"{\hat{y}_i^{(n)}} \right)",
                lambda z, y: _line2_substituted(z, y, numerator_has_yhat=False),
                erratum_class="notation",
                reading="y_m ŷ_m (1 − ŷ_m)/ŷ_m, with the factor ŷ_m that the next line cancels",
                erratum="the first numerator drops the factor yhat_m of "
                        "d yhat_m/dz_m = yhat_m (1 - yhat_m): y_m (1 - yhat_m)/yhat_m "
                        "instead of y_m yhat_m (1 - yhat_m)/yhat_m",
                fix=dc.Line(r"-\left( y_m^{(n)} \cdot \frac{\hat{y}_m^{(n)}(1 - \hat{y}_m^{(n)})}"
                            r"{\hat{y}_m^{(n)}} + \sum_{i \neq m} y_i^{(n)} \cdot "
                            r"\frac{-\hat{y}_m^{(n)} \hat{y}_i^{(n)}}{\hat{y}_i^{(n)}} \right) = "
                            r"-\left[ y_m^{(n)} (1 - \hat{y}_m^{(n)}) + \sum_{i \neq m} y_i^{(n)} "
                            r"(-\hat{y}_m^{(n)}) \right]",
                            lambda z, y: -(y * (1 - _softmax(z)) - _softmax(z) * (jnp.sum(y) - y)),
                            note="the corrected numerator, evaluated with the yhat "
                                 "factors cancelled: dividing by yhat as written is correct "
                                 "but unstable (yhat underflows to 0 at large logits)")),
        dc.Line(r"-\left[ y_m^{(n)} \cdot (1 - \hat{y}_m^{(n)}) + \sum_{i \neq m} y_i^{(n)} "
                r"\cdot (-\hat{y}_m^{(n)}) \right]",
                lambda z, y: -(y * (1 - _softmax(z)) - _softmax(z) * (jnp.sum(y) - y))),
        dc.Line(r"-\left[ y_m^{(n)} - y_m^{(n)} \cdot \hat{y}_m^{(n)} - \hat{y}_m^{(n)} \cdot "
                r"\sum_{i \neq m} y_i^{(n)} \right]",
                lambda z, y: -(y - y * _softmax(z) - _softmax(z) * (jnp.sum(y) - y))),
        dc.Line(r"\hat{y}_m^{(n)} - y_m^{(n)}",
                lambda z, y: _softmax(z) - y,
                note="uses sum_{i != m} y_i = 1 - y_m (one-hot y)"),
    ],
    space=space_z,
    latex=r"\frac{\partial (-y^{(n)T} \log \hat{y}^{(n)})}{\partial z_m^{(n)}}",
    source=f"{SRC} § (2) 接着求交叉熵损失对 z_m 的偏导",
    note="the truth is the gradient of the cross-entropy loss -y^T log softmax(z) named in "
         "the heading",
)

# -- (3) 交叉熵损失对 w_om 的偏导 ---------------------------------------------------
# Every line is the D x K array of the expression written for entry (o, m).

dz_dw = dc.jacobian(
    _z_of_W,
    lambda W, x: jnp.einsum("mk,o->mok", jnp.eye(W.shape[1]), x),
    space=space_x,
    wrt="W",
    latex=r"\frac{\partial z_m}{\partial w_{ok}} = \delta_{mk}\, x_o, \quad z = W^T x",
    source=f"{SRC} § (3) 最后求交叉熵损失对 w_om 的偏导",
    note="the factor dz_m/dw_om = x_o used in step (3), as the full Jacobian of z = W^T x",
)


def _ce_W(W, x, y):
    return _ce(_z_of_W(W, x), y)


ce_grad_w_om = dc.Derivation(
    target=dc.grad_of(_ce_W, wrt="W"),
    lines=[
        dc.Line(r"\frac{\partial (-y^{(n)})^T \cdot \log \hat{y}^{(n)}}{\partial z_m} \cdot "
                r"\frac{\partial z_m}{\partial w_{om}}",
                lambda W, x, y: jax.grad(_ce)(_z_of_W(W, x), y)[None, :] * _dz_dw(W, x)),
        dc.Line(r"(\hat{y}_m^{(n)} - y_m^{(n)}) \cdot \frac{\partial (\sum_{p=1}^D "
                r"w_{mp}^{(n)} x_p^{(n)})}{\partial w_{om}}",
                lambda W, x, y: (_softmax(_z_of_W(W, x)) - y)[None, :] * _dz_dw(W, x),
                note="read as sum_p w_{pm} x_p = z_m (W is D x K, p runs over the D "
                     "features); the page writes w_{mp}, checked literally in "
                     "ce_grad_w_om_literal_index; the superscript (n) on w is ignored "
                     "(W does not depend on n)"),
        dc.Line(r"(\hat{y}_m^{(n)} - y_m^{(n)}) \cdot x_o^{(n)}",
                lambda W, x, y: jnp.outer(x, _softmax(_z_of_W(W, x)) - y)),
    ],
    space=space_x,
    latex=r"\frac{\partial (-y^{(n)})^T \cdot \log \hat{y}^{(n)}}{\partial w_{om}}",
    source=f"{SRC} § (3) 最后求交叉熵损失对 w_om 的偏导",
)


def _d_literal_wmp(W, x):
    """d(sum_p w_{mp} x_p)/d w_om as a K x K array [o, m], for square W."""
    J = jax.jacobian(lambda V: V @ x)(W)  # [m, o, k] = d (W x)_m / d W[o, k]
    return jnp.einsum("mom->om", J)


ce_grad_w_om_literal_index = dc.gradient(
    _ce_W,
    lambda W, x, y: (_softmax(_z_of_W(W, x)) - y)[None, :] * _d_literal_wmp(W, x),
    space=space_sq,
    wrt="W",
    latex=r"(\hat{y}_m^{(n)} - y_m^{(n)}) \cdot \frac{\partial (\sum_{p=1}^D w_{mp}^{(n)} "
          r"x_p^{(n)})}{\partial w_{om}}",
    source=f"{SRC} § (3) 最后求交叉熵损失对 w_om 的偏导",
    erratum_class="notation", reading="Σ_p w_{pm} x_p = z_m (W is D × K: row p, column m)",
    erratum="index order: with W of shape D x K, z_m = sum_p w_{pm} x_p; the literal "
            "sum_p w_{mp} x_p (well-formed only when D = K) has derivative delta_om x_m "
            "over w_om, not x_o",
    fix=dc.Line(r"(\hat{y}_m^{(n)} - y_m^{(n)}) \cdot \frac{\partial (\sum_{p=1}^D w_{pm} "
                r"x_p^{(n)})}{\partial w_{om}}",
                lambda W, x, y: (_softmax(_z_of_W(W, x)) - y)[None, :] * _dz_dw(W, x)),
    note="literal reading, on square W (D = K), the only shapes where w_{mp} is defined "
         "for every m <= K, p <= D",
)

# -- ⇒ 对 W 的梯度 (one example): the D x K matrix ------------------------------------

per_sample_grad_matrix = dc.Derivation(
    target=dc.grad_of(_ce_W, wrt="W"),
    lines=[
        dc.Line(r"\begin{bmatrix} (\hat{y}_1^{(n)} - y_1^{(n)}) \cdot x_1^{(n)} & \dots & "
                r"(\hat{y}_K^{(n)} - y_K^{(n)}) \cdot x_1^{(n)} \\ \vdots & & \vdots \\ "
                r"(\hat{y}_1^{(n)} - y_1^{(n)}) \cdot x_D^{(n)} & \dots & (\hat{y}_K^{(n)} - "
                r"y_K^{(n)}) \cdot x_D^{(n)} \end{bmatrix}_{D \times K}",
                lambda W, x, y: jnp.stack(
                    [jnp.stack([(_softmax(_z_of_W(W, x))[m] - y[m]) * x[o]
                                for m in range(W.shape[1])]) for o in range(W.shape[0])]),
                note="built entry by entry: row o, column m"),
        dc.Line(r"x^{(n)} \cdot (\hat{y}^{(n)} - y^{(n)})^T",
                lambda W, x, y: jnp.outer(x, _softmax(_z_of_W(W, x)) - y)),
    ],
    space=space_x,
    latex=r"\frac{\partial (-y^{(n)T} \log \hat{y}^{(n)})}{\partial W}",
    source=f"{SRC} § ⇒ 对 W 的梯度如下所示 / 可写为",
)

grad_one_sample = dc.gradient(
    _ce_W,
    lambda W, x, y: jnp.outer(x, _softmax(_z_of_W(W, x)) - y),
    space=space_x,
    wrt="W",
    latex=r"x^{(n)} \cdot (\hat{y}^{(n)} - y^{(n)})^T",
    source=f"{SRC} § 对其中一个样本的第 n 个样本的交叉熵损失函数对 W 的梯度",
)

# -- ⇒ dR/dW ---------------------------------------------------------------------


def _sum_over_m(X, W, Y, sign):
    """sign * 1/N sum_n sum_m (yhat_m - y_m) x^(n) e_m^T (column m holds the m-th term)."""
    D = (_softmax(X @ W) - Y)  # [n, m]
    K = W.shape[1]
    E = jnp.eye(K)
    total = sum(jnp.einsum("n,nd,k->dk", D[:, m], X, E[m]) for m in range(K))
    return sign * total / X.shape[0]


grad_R_chain = dc.Derivation(
    target=dc.grad_of(_risk, wrt="W"),
    lines=[
        dc.Line(r"\Rightarrow \frac{\partial R(W)}{\partial W} = -\frac{1}{N} "
                r"\sum_{n=1}^N \sum_{m=1}^K",
                lambda W, X, Y: _sum_over_m(X, W, Y, -1.0),
                erratum_class="error",  # the root; lines 2, 3 propagated, line 4 a repair
                erratum="the line stops after sum_m; completed with the step-(3) summand "
                        "(yhat_m - y_m) x_o placed in column m, the factor -1/N is applied to "
                        "the derivative of -y^T log yhat, which already has the minus: sign error",
                fix=dc.Line(r"\frac{\partial R(W)}{\partial W} = \frac{1}{N} \sum_{n=1}^N "
                            r"\sum_{m=1}^K (\hat{y}_m^{(n)} - y_m^{(n)})\, x^{(n)} e_m^T",
                            lambda W, X, Y: _sum_over_m(X, W, Y, 1.0)),
                note="ill-formed as written (nothing after sum_m); read as the evident "
                     "intent -1/N sum_n sum_m (yhat_m - y_m) x^(n) e_m^T, the summand of "
                     "step (3) assembled column by column into the D x K matrix shown next"),
        dc.Line(r"\Rightarrow R \quad \frac{\partial R(W)}{\partial W} = -\frac{1}{N} "
                r"\sum_{n=1}^N x^{(n)} \cdot (\hat{y}^{(n)} - y^{(n)})^T",
                lambda W, X, Y: -(X.T @ (_softmax(X @ W) - Y)) / X.shape[0],
                erratum="inherits line 1's sign: -1/N sum x (yhat - y)^T is -dR/dW; the "
                        "minus of R was already used in the per-example gradient "
                        "x (yhat - y)^T",
                note="the stray 'R' before the derivative is a page artefact"),
        dc.Line(r"\frac{\partial R(W)}{\partial W} = -\frac{1}{N} \sum_{n=1}^N x^{(n)} "
                r"(\hat{y}^{(n)} - y^{(n)})^T",
                lambda W, X, Y: -(X.T @ (_softmax(X @ W) - Y)) / X.shape[0],
                erratum="inherits line 1's sign: the same line again, "
                        "-1/N sum x (yhat - y)^T = -dR/dW"),
        dc.Line(r"\text{即 } \frac{\partial R(W)}{\partial W} = -\frac{1}{N} \sum_{n=1}^N "
                r"x^{(n)} (y^{(n)} - \hat{y}^{(n)})^T",
                lambda W, X, Y: -(X.T @ (Y - _softmax(X @ W))) / X.shape[0]),
    ],
    space=space_R,
    latex=r"\frac{\partial R(W)}{\partial W}",
    source=f"{SRC} § (3) ⇒ ∂R(W)/∂W",
)

# "即": the rewrite of the last two lines, on its own. It flips (yhat - y) to (y - yhat)
# and keeps -1/N, which changes the sign: the chain's last line is right only because
# this cancels the sign error of the lines before it.
final_rewrite_step = dc.equal(
    lambda W, X, Y: -(X.T @ (_softmax(X @ W) - Y)) / X.shape[0],
    lambda W, X, Y: -(X.T @ (Y - _softmax(X @ W))) / X.shape[0],
    space=space_R,
    latex=r"-\frac{1}{N} \sum_{n=1}^N x^{(n)} (\hat{y}^{(n)} - y^{(n)})^T \;\text{即}\; "
          r"-\frac{1}{N} \sum_{n=1}^N x^{(n)} (y^{(n)} - \hat{y}^{(n)})^T",
    source=f"{SRC} § (3) ⇒ ∂R(W)/∂W (即)",
    erratum_class="error",
    erratum="flipping (yhat - y) to (y - yhat) changes the sign unless the factor -1/N "
            "becomes +1/N; the step reaches the right dR/dW only because the lines before "
            "it had the wrong sign",
    fix=dc.Line(r"-\frac{1}{N} \sum_{n=1}^N x^{(n)} (\hat{y}^{(n)} - y^{(n)})^T = "
                r"\frac{1}{N} \sum_{n=1}^N x^{(n)} (y^{(n)} - \hat{y}^{(n)})^T",
                lambda W, X, Y: (X.T @ (Y - _softmax(X @ W))) / X.shape[0]),
    note="left side: the line before 即, as written; right side: the line after it.",
)

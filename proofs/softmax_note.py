"""小记 Softmax — seed 004_c952ce22524d4f3f.txt (2017-09-14).

The note states the basic properties of softmax, writes the softmax-regression
probability with indicator powers, the likelihood, the log-likelihood and the
cost J(θ) = −l(θ)/m, derives ∂J/∂θ_j in seven lines, and closes with the
cross-entropy forms of the loss for one example with scores f and its gradient
p_k − 1(y_i = k).

Reading conventions:

- θ_j is row j of ``Theta`` (K × D), x^{(i)} row i of ``X`` (m × D), y^{(i)}
  the integer label ``y[i]`` in {0, …, K−1} (the page counts from 1).
- A gradient line is checked for every j at once: row j of the returned K × D
  array is ∂J/∂θ_j.
- The likelihood and log-likelihood print x and y without the index i. Read
  literally they are one fixed example (inputs ``x``, ``yx``) and the product
  over i repeats the same factor m times; the intended reading has x^{(i)},
  y^{(i)}. Both are checked.
- In the gradient chain the summation index j of Σ_{j=1}^{k} reuses the name of
  the free j of ∂/∂θ_j. The lines are checked as written, with the inner j bound
  by its sum (shadowing), which is also how the document's LaTeX reads when
  compiled as written. (Identifying the inner j with the outer j instead makes
  lines 3–5 −1/m Σ_i x^{(i)}𝟙{y^{(i)}=j}(1 − p_j): wrong for the same reason as
  error 1 below, so it is not a second mistake and is not encoded separately.)
- Fixes whose page line uses raw exponentials evaluate the same quotient
  e^{a_j}/Σ_l e^{a_l} max-shifted (``jax.nn.softmax`` / ``log_softmax``) so
  that they verify; the raw form is checked on the page's own lines, where it
  is ``unstable``.

Errata, by class:

- error (mathematical mistakes):
  1. ∂J/∂θ_j, line 3: 𝟙{y^{(i)}=j} is factored out of both terms, so it also
     multiplies the derivative of the log-partition term, which should carry
     Σ_{j'}𝟙{y^{(i)}=j'} = 1; as written (inner Σ_j of the softmax = 1) the line
     is x^{(i)} − x^{(i)} = 0. Line 4 only rewrites it (propagated, computed by
     derivcheck). Correct: −1/m Σ_i x^{(i)}(𝟙{y^{(i)}=j} − p_j).
- notation (slips a reader fixes silently; the reading is recorded):
  2. Likelihood with x, y lacking the index (i): literally P(y|x;θ)^m
     (``likelihood_literal``); read x^{(i)}, y^{(i)}.
  3. Log-likelihood, the same slip (``log_likelihood_literal``).
  4. ∂J/∂θ_j, line 5: Σ_{j=1}^{k} 𝟙{y^{(i)}=j} e^{θ_j^T x}/Σ_l reuses j for the
     indicator's sum (literally p_{y^{(i)}}); read Σ_{j'} 𝟙{y^{(i)}=j'} with
     e^{θ_j^T x} keeping the outer j (``grad_J_line5_intended``). With that reading
     line 5 is right: the step from line 4 repairs error 1.
  5. L = −Σ_j y_i ln p_i: the summand does not depend on j; read −Σ_i y_i ln p_i
     (``cross_entropy_typo``).
  6. L_i = −log(e^{f_{y_i}}/Σ_j e^{f_i}): read Σ_j e^{f_j} (``loss_Li_literal``).
"""

import jax
import jax.numpy as jnp

import derivcheck as dc

SEED = "004_c952ce22524d4f3f.txt"

# ---------------------------------------------------------------------------
# Introduction: σ(z) ∈ (0,1)^K, Σ σ(z) = 1, a generalisation of the logistic function
# ---------------------------------------------------------------------------

z_space = dc.Space(z=dc.real("K"), dims={"K": (2, 6)})

def _in_open_unit_interval(z):
    """0 < σ(z)_j < 1 for every j, decided in log space.

    σ_j > 0 ⇔ log σ_j = z_j − log Σ_k e^{z_k} is finite, and σ_j < 1 ⇔
    log(1 − σ_j) = log Σ_{k≠j} e^{z_k} − log Σ_k e^{z_k} is finite. The float64 value of
    σ itself rounds to exactly 0 (logit gap > ~745) or 1 (gap > ~37), which is not what
    the sentence is about.
    """
    lse = jax.scipy.special.logsumexp(z)
    log_p = z - lse
    others = 1.0 - jnp.eye(z.shape[0])
    log_1mp = jax.vmap(lambda m: jax.scipy.special.logsumexp(z, b=m))(others) - lse
    return jnp.all(jnp.isfinite(log_p) & jnp.isfinite(log_1mp))


softmax_in_unit_interval = dc.holds(
    _in_open_unit_interval,
    space=z_space,
    latex=r"\sigma(z)_j \in (0,1)\ \text{(每一个元素的范围都在(0,1)之间)}",
    source=f"{SEED} § (开头, 无标题)",
    note="True for K ≥ 2. Checked as: log σ_j and log(1 − σ_j) are finite reals (computed "
         "with log-sum-exp), because the float64 σ_j itself rounds to exactly 0 or 1 for "
         "large logit gaps and a property is refuted wherever it is false.",
)

softmax_sums_to_one = dc.holds(
    lambda z: jnp.abs(jnp.sum(jax.nn.softmax(z)) - 1.0) <= 1e-12,
    space=z_space,
    latex=r"\sum_j \sigma(z)_j = 1\ \text{(所有的元素和为1)}",
    source=f"{SEED} § (开头, 无标题)",
)

softmax_generalises_logistic = dc.equal(
    lambda z: jax.nn.softmax(z)[0],
    lambda z: 1.0 / (1.0 + jnp.exp(-(z[0] - z[1]))),
    space=dc.Space(z=dc.real("2")),
    latex=r"\sigma(z)_1 = \frac{1}{1+e^{-(z_1-z_2)}}\ (K=2)\ \text{(是逻辑函数的一种推广)}",
    source=f"{SEED} § (开头, 无标题)",
    note="Checkable core of 'softmax generalises the logistic function': for K = 2 it is "
         "the sigmoid of the logit difference. Not a formula on the page.",
)

# ---------------------------------------------------------------------------
# Softmax损失函数的由来
# ---------------------------------------------------------------------------

data_space = dc.Space(Theta=dc.real("K D"), X=dc.real("M D"), y=dc.labels("M", classes="K"),
                      x=dc.real("D"), yx=dc.labels("", classes="K"))


def _S(Theta, X):
    """Scores S[i, j] = θ_j^T x^{(i)}."""
    return X @ Theta.T


def _p_raw(s):
    """e^{s_j} / Σ_l e^{s_l} over the last axis, with raw exponentials as printed."""
    e = jnp.exp(s)
    return e / jnp.sum(e, axis=-1, keepdims=True)


def _ind(y, K):
    """𝟙{y = j} for j = 0..K−1 (rows for an array of labels)."""
    return (jnp.asarray(y)[..., None] == jnp.arange(K)).astype(jnp.float64)


def _loglik(Theta, X, y):
    """l(θ) = Σ_i log P(y^{(i)} | x^{(i)}; θ), evaluated stably."""
    logp = jax.nn.log_softmax(_S(Theta, X), axis=-1)
    return jnp.sum(jnp.take_along_axis(logp, y[:, None], axis=1))


def _J(Theta, X, y):
    return -_loglik(Theta, X, y) / X.shape[0]


probability_indicator_product = dc.equal(
    lambda Theta, x, yx: jax.nn.softmax(Theta @ x)[yx],
    lambda Theta, x, yx: jnp.prod(_p_raw(Theta @ x) ** _ind(yx, Theta.shape[0])),
    space=data_space,
    expect="unstable",
    latex=r"P(y|x;\theta) = \prod ^k_{j=1} \left(\frac{e^{\theta^T_j x}}{\sum^k_{l=1} e^{\theta^T_lx}} \right) ^{\mathbb1 \left\{y=j\right\}}",
    source=f"{SEED} § Softmax损失函数的由来",
    note="Left side: the softmax probability of the true class y. Every factor with "
         "𝟙{y=j} = 0 is 1; raw e^{θ_j^T x} overflows beyond 709.",
)

likelihood = dc.equal(
    lambda Theta, X, y: jnp.exp(_loglik(Theta, X, y)),
    lambda Theta, X, y: jnp.prod(_p_raw(_S(Theta, X)) ** _ind(y, Theta.shape[0])),
    space=data_space,
    expect="unstable",
    latex=r"L(\theta) = \prod^m_{i=1} \prod^k_{j=1} \left(  \frac{e^{\theta^T_j x}}{\sum^k_{l=1} e^{\theta^T_l x}} \right)^{\mathbb1 \left\{y=j\right\}}",
    source=f"{SEED} § Softmax损失函数的由来",
    note="Intended reading: x, y are x^{(i)}, y^{(i)}; left side Π_i P(y^{(i)}|x^{(i)};θ).",
)

likelihood_literal = dc.equal(
    lambda Theta, X, y: jnp.exp(_loglik(Theta, X, y)),
    lambda Theta, X, x, yx: jnp.prod(_p_raw(Theta @ x) ** _ind(yx, Theta.shape[0]))
    ** X.shape[0],
    space=data_space,
    latex=r"L(\theta) = \prod^m_{i=1} \prod^k_{j=1} \left(  \frac{e^{\theta^T_j x}}{\sum^k_{l=1} e^{\theta^T_l x}} \right)^{\mathbb1 \left\{y=j\right\}}",
    source=f"{SEED} § Softmax损失函数的由来",
    erratum_class="notation", reading="x^{(i)}, y^{(i)}: the i-th example in the i-th factor",
    erratum="x and y carry no index i, so every factor of Π_i is the same: literally "
            "P(y|x;θ)^m for one fixed example, not the likelihood of the m examples",
    fix=dc.Line(
        r"L(\theta) = \prod^m_{i=1} \prod^k_{j=1} \left(\frac{e^{\theta^T_j x^{(i)}}}{\sum^k_{l=1} "
        r"e^{\theta^T_l x^{(i)}}}\right)^{\mathbb1\left\{y^{(i)}=j\right\}}",
        lambda Theta, X, y: jnp.prod(jax.nn.softmax(_S(Theta, X), axis=-1)
                                     ** _ind(y, Theta.shape[0])),
        note="Evaluated with the max-shifted softmax."),
    note="Literal reading: x, y are one example (inputs x, yx); left side the likelihood of "
         "the data (X, y).",
)

log_likelihood = dc.Derivation(
    target=_loglik,
    latex=r"l(\theta)",
    source=f"{SEED} § Softmax损失函数的由来",
    note="Intended reading (x^{(i)}, y^{(i)}); the truth is Σ_i log P(y^{(i)}|x^{(i)};θ).",
    space=data_space,
    lines=[
        dc.Line(r"\log L(\theta)",
                lambda Theta, X, y: jnp.log(
                    jnp.prod(_p_raw(_S(Theta, X)) ** _ind(y, Theta.shape[0]))),
                expect="unstable",
                note="log of the product: the product underflows to 0 (log → −inf) and the "
                     "raw exponentials overflow at large scores"),
        dc.Line(r"\sum^m_{i=1}\sum^k_{j=1} \mathbb1\left\{y=j\right\} \log \frac{e^{\theta^T_j x}}"
                r"{\sum^k_{l=1} e^{\theta^T_l x}}",
                lambda Theta, X, y: jnp.sum(_ind(y, Theta.shape[0])
                                            * jnp.log(_p_raw(_S(Theta, X)))),
                expect="unstable",
                note="0·log 0 = nan once a non-target probability underflows"),
    ],
)

log_likelihood_literal = dc.equal(
    _loglik,
    lambda Theta, X, x, yx: X.shape[0] * jnp.sum(
        _ind(yx, Theta.shape[0]) * jnp.log(_p_raw(Theta @ x))),
    space=data_space,
    latex=r"l(\theta) = \sum^m_{i=1}\sum^k_{j=1} \mathbb1\left\{y=j\right\} \log \frac{e^{\theta^T_j x}}{\sum^k_{l=1} e^{\theta^T_l x}}",
    source=f"{SEED} § Softmax损失函数的由来",
    erratum_class="notation", reading="x^{(i)}, y^{(i)}: the i-th example in the i-th term",
    erratum="x and y carry no index i: literally m·log P(y|x;θ) for one fixed example, not "
            "the log-likelihood of the m examples",
    fix=dc.Line(
        r"l(\theta) = \sum^m_{i=1}\sum^k_{j=1} \mathbb1\left\{y^{(i)}=j\right\} \log "
        r"\frac{e^{\theta^T_j x^{(i)}}}{\sum^k_{l=1} e^{\theta^T_l x^{(i)}}}",
        lambda Theta, X, y: jnp.sum(_ind(y, Theta.shape[0])
                                    * jax.nn.log_softmax(_S(Theta, X), axis=-1)),
        note="Evaluated with the max-shifted log-softmax."),
    note="Literal reading: x, y are one example (inputs x, yx).",
)

cost_J = dc.equal(
    lambda Theta, X, y: -_loglik(Theta, X, y) / X.shape[0],
    lambda Theta, X, y: -jnp.sum(_ind(y, Theta.shape[0]) * jnp.log(
        jnp.exp(_S(Theta, X)) / jnp.sum(jnp.exp(_S(Theta, X)), axis=-1, keepdims=True)))
    / X.shape[0],
    space=data_space,
    expect="unstable",
    latex=r"J(\theta) = - \frac{1}{m} \left[ \sum_{i=1}^{m} \sum_{k=1}^{K} \mathbb 1 \left\{y^{(i)} = k\right\} \log \frac{\exp(\theta^{(k)\top} x^{(i)})}{\sum_{j=1}^K \exp(\theta^{(j)\top} x^{(i)})}\right]",
    source=f"{SEED} § Softmax损失函数的由来",
    note="Left side −l(θ)/m: “max l(θ), 也就是下面的 min J(θ)”. Raw exponentials: unstable.",
)

# ---------------------------------------------------------------------------
# Softmax Gradient: ∂J/∂θ_j, every j at once (row j)
# ---------------------------------------------------------------------------


def _g1(Theta, X, y):
    I = _ind(y, Theta.shape[0])
    return -jax.grad(lambda T: jnp.sum(I * jnp.log(_p_raw(_S(T, X)))))(Theta) / X.shape[0]


def _g2(Theta, X, y):
    I = _ind(y, Theta.shape[0])

    def bracket(T):
        S = _S(T, X)
        return jnp.sum(I * (S - jnp.log(jnp.sum(jnp.exp(S), axis=-1, keepdims=True))))

    return -jax.grad(bracket)(Theta) / X.shape[0]


def _g3(Theta, X, y):
    # literal: inner Σ_{j=1}^k e^{θ_j x}x/Σ_l (bound j) = x; 𝟙{y=j} with the outer j
    I = _ind(y, Theta.shape[0])
    inner = jnp.sum(_p_raw(_S(Theta, X)), axis=-1)[:, None] * X
    return -(I.T @ (X - inner)) / X.shape[0]


def _g4(Theta, X, y):
    I = _ind(y, Theta.shape[0])
    inner = jnp.sum(_p_raw(_S(Theta, X)), axis=-1)
    return -(I.T @ (X * (1.0 - inner)[:, None])) / X.shape[0]


def _g5(Theta, X, y):
    # literal: Σ_{j=1}^k 𝟙{y=j} p_j (bound j) = p_{y^{(i)}}
    I = _ind(y, Theta.shape[0])
    inner = jnp.sum(I * _p_raw(_S(Theta, X)), axis=-1)
    return -((I - inner[:, None]).T @ X) / X.shape[0]


def _g6(Theta, X, y):
    I = _ind(y, Theta.shape[0])
    return -((I - _p_raw(_S(Theta, X))).T @ X) / X.shape[0]


def _g7(Theta, X, y):
    I = _ind(y, Theta.shape[0])
    return -((I - jax.nn.softmax(_S(Theta, X), axis=-1)).T @ X) / X.shape[0]


_G1 = (r"-\frac{1}{m} \frac{\partial}{\partial \theta_j} \left[  \sum_{i=1}^{m}\sum_{j=1}^{k} \mathbb1 \left\{  y^{(i) }=j\right\} "
       r"\log \frac{e^{\theta^T_j x^{(i)}}}{\sum^k_{l=1}e^{\theta^T_lx^{(i)}} }    \right]")
_G2 = (r"-\frac{1}{m} \frac{\partial}{\partial \theta_j} \left[  \sum_{i=1}^{m}\sum_{j=1}^{k} \mathbb1 \left\{  y^{(i) }=j\right\}"
       r"( \theta^T_jx^{(i)} - \log \sum^k_{l=1}e^{\theta^T_lx^{(i)} })    \right]")
_G3 = (r"-\frac{1}{m} \left[  \sum^m_{i=1} \mathbb1\left \{ y^{(i)} =j\right\}(x^{(i)} - \sum^{k}_{j=1} "
       r"\frac{e^{\theta^T_j x^{(i)}}\cdot x^{(i)}}{\sum^k_{l=1} e^{\theta^T_lx^{(i)}}} ) \right]")
_G4 = (r"-\frac{1}{m} \left[  \sum^m_{i=1} x^{(i)} \mathbb1\left \{ y^{(i)} =j\right\}(1 - \sum^{k}_{j=1} "
       r"\frac{e^{\theta^T_j x^{(i)}}}{\sum^k_{l=1} e^{\theta^T_lx^{(i)}}} ) \right]")
_G5 = (r"-\frac{1}{m} \left[  \sum^m_{i=1} x^{(i)}( \mathbb1\left \{ y^{(i)} =j\right\} -\sum^k_{j=1}\mathbb1\left \{ y^{(i)} =j\right\}  "
       r"\frac{e^{\theta^T_j x^{(i)}}}{\sum^k_{l=1} e^{\theta^T_lx^{(i)}}} ) \right]")
_G6 = (r"-\frac{1}{m} \left[  \sum^m_{i=1} x^{(i)}( \mathbb1\left \{ y^{(i)} =j\right\} -  "
       r"\frac{e^{\theta^T_j x^{(i)}}}{\sum^k_{l=1} e^{\theta^T_lx^{(i)}}} ) \right]")
_G7 = (r"-\frac{1}{m} \left[  \sum^m_{i=1} x^{(i)}( \mathbb1\left \{ y^{(i)} =j\right\} -  "
       r"p(y^{(i)} = j | x^{(i)};\theta)\right]")

_RAW = "raw exponentials: nan once e^{θ^T x} overflows or a probability underflows"

_FIX34 = dc.Line(
    r"-\frac{1}{m} \left[\sum^m_{i=1} x^{(i)}\left(\mathbb1\left\{y^{(i)}=j\right\} - "
    r"\frac{e^{\theta^T_j x^{(i)}}}{\sum^k_{l=1} e^{\theta^T_lx^{(i)}}}\right)\right]",
    _g7, note="The indicator multiplies only the x^{(i)} term (Σ_{j'}𝟙{y^{(i)}=j'} = 1 in front "
              "of the log-partition term). Evaluated with the max-shifted softmax.")

_FIX5 = dc.Line(
    r"-\frac{1}{m} \left[  \sum^m_{i=1} x^{(i)}( \mathbb1\left \{ y^{(i)} =j\right\} -\sum^k_{j'=1}"
    r"\mathbb1\left \{ y^{(i)} =j'\right\}  \frac{e^{\theta^T_j x^{(i)}}}{\sum^k_{l=1} e^{\theta^T_lx^{(i)}}} ) \right]",
    _g7, note="Sum index of the indicator renamed j'; e^{θ_j^T x} keeps the outer j. Evaluated "
              "with the max-shifted softmax.")

grad_J = dc.Derivation(
    target=dc.grad_of(_J, wrt="Theta"),
    latex=r"\frac{\partial J(\theta)}{\partial \theta_j}",
    source=f"{SEED} § Softmax Gradient",
    note="Literal reading where well-formed: inside Σ_{j=1}^{k} the j is the bound summation "
         "index, outside it the j of ∂/∂θ_j.",
    space=data_space,
    lines=[
        dc.Line(_G1, _g1, expect="unstable",
                note="∂/∂θ_j of the bracket (the bound inner j does not clash). " + _RAW),
        dc.Line(_G2, _g2, expect="unstable", note=_RAW),
        dc.Line(_G3, _g3,
                erratum_class="error",  # the root; line 4 propagated
                erratum="𝟙{y^{(i)}=j} is factored out of both terms, so it also multiplies the "
                        "log-partition term, which should carry Σ_{j'}𝟙{y^{(i)}=j'} = 1; as "
                        "written (inner Σ_{j=1}^{k} of the softmax terms = 1) the line is "
                        "x^{(i)} − x^{(i)} = 0",
                fix=_FIX34),
        dc.Line(_G4, _g4,
                erratum="inherits line 3: literally 1 − Σ_j p_j = 0"),
        dc.Line(_G5, _g5,
                erratum_class="notation",
                reading="Σ_{j'=1}^{k} 𝟙{y^{(i)}=j'} e^{θ_j^T x^{(i)}}/Σ_l: a new index j' for "
                        "the indicator's sum, θ_j keeps the outer j",
                erratum="literally Σ_{j=1}^{k} 𝟙{y^{(i)}=j} e^{θ_j^T x^{(i)}}/Σ_l is "
                        "p_{y^{(i)}}, not p_j (see grad_J_line5_intended for the reading "
                        "that makes it right)",
                fix=_FIX5),
        dc.Line(_G6, _g6, expect="unstable", note=_RAW),
        dc.Line(_G7, _g7, note="p(y^{(i)}=j|x^{(i)};θ) = softmax of the scores (stable)."),
    ],
)

grad_J_line5_intended = dc.gradient(
    _J, _g6,
    space=data_space,
    wrt="Theta",
    expect="unstable",
    latex=r"-\frac{1}{m} \left[  \sum^m_{i=1} x^{(i)}( \mathbb1\left \{ y^{(i)} =j\right\} -\sum^k_{j'=1}"
          r"\mathbb1\left \{ y^{(i)} =j'\right\}  \frac{e^{\theta^T_j x^{(i)}}}{\sum^k_{l=1} e^{\theta^T_lx^{(i)}}} ) \right]",
    source=f"{SEED} § Softmax Gradient",
    note="Reading of line 5 (the evident intent): indicator summed over a new index j', "
         "e^{θ_j^T x} keeps the outer j; Σ_{j'}𝟙{y^{(i)}=j'} = 1 gives line 6. Raw "
         "exponentials: unstable.",
)

# ---------------------------------------------------------------------------
# 使用交叉熵作为我们的损失函数 (one example, scores f, label y_i)
# ---------------------------------------------------------------------------

ce_space = dc.Space(f=dc.real("K"), p=dc.simplex("K"), y_i=dc.labels("", classes="K"))


def _L_f(f, y_i):
    """L_i = −log p_{y_i} with p = softmax(f), evaluated stably."""
    return -jax.nn.log_softmax(f)[y_i]


def _onehot(y_i, K):
    return _ind(y_i, K)


cross_entropy = dc.equal(
    _L_f,
    lambda f, y_i: -jnp.sum(_onehot(y_i, f.shape[0]) * jnp.log(_p_raw(f))),
    space=ce_space,
    expect="unstable",
    latex=r"L = -\sum_j y_j\log p_j",
    source=f"{SEED} § Softmax Gradient (使用交叉熵作为我们的损失函数)",
    note="y = one-hot of the label y_i, p_k = e^{f_k}/Σ_j e^{f_j} (defined below); 0·log 0 = "
         "nan once a non-target p_j underflows.",
)

cross_entropy_typo = dc.equal(
    lambda p, y_i: jnp.full(p.shape, -jnp.sum(_onehot(y_i, p.shape[0]) * jnp.log(p))),
    lambda p, y_i: -p.shape[0] * _onehot(y_i, p.shape[0]) * jnp.log(p),
    space=ce_space,
    latex=r"L = -\sum_jy_i \ln p_i",
    source=f"{SEED} § Softmax Gradient (使用交叉熵作为我们的损失函数)",
    erratum_class="notation", reading="−Σ_i y_i ln p_i: one index for the sum and the summand",
    erratum="the summation index j does not occur in the summand: literally K copies of "
            "−y_i ln p_i (K·L when i is the target class, 0 otherwise)",
    fix=dc.Line(r"L = -\sum_i y_i \ln p_i",
                lambda p, y_i: jnp.full(p.shape, -jnp.sum(_onehot(y_i, p.shape[0]) * jnp.log(p)))),
    note="Literal reading with i a free class index, checked for every i (entry i of the "
         "vector); left side L = −Σ_j y_j log p_j for a probability vector p.",
)

softmax_p = dc.equal(
    jax.nn.softmax,
    lambda f: jnp.exp(f) / jnp.sum(jnp.exp(f)),
    space=dc.Space(f=dc.real("K")),
    expect="unstable",
    latex=r"p_k = \frac{e^{f_k}}{\sum_j e^{f_j}}",
    source=f"{SEED} § Softmax Gradient (使用交叉熵作为我们的损失函数)",
    note="Every k at once; raw e^{f_k} overflows beyond 709.",
)

loss_Li = dc.equal(
    _L_f,
    lambda f, y_i: -jnp.log(jnp.exp(f[y_i]) / jnp.sum(jnp.exp(f))),
    space=ce_space,
    expect="unstable",
    latex=r"L_i = -\log(\frac{e^{f_{y_i}}}{\sum_je^{f_j}})",
    source=f"{SEED} § Softmax Gradient (使用交叉熵作为我们的损失函数)",
    note="Intended reading of the printed L_i = −log(e^{f_{y_i}}/Σ_j e^{f_i}): denominator "
         "Σ_j e^{f_j}. Raw exponentials: unstable.",
)

loss_Li_literal = dc.equal(
    lambda f, y_i: jnp.full(f.shape, _L_f(f, y_i)),
    lambda f, y_i: -jnp.log(jnp.exp(f[y_i]) / (f.shape[0] * jnp.exp(f))),  # Σ_j e^{f_i} = K e^{f_i}
    space=ce_space,
    latex=r"L_i = -\log(\frac{e^{f_{y_i}}}{\sum_je^{f_i}})",
    source=f"{SEED} § Softmax Gradient (使用交叉熵作为我们的损失函数)",
    erratum_class="notation", reading="Σ_j e^{f_j}: the summation index in the exponent",
    erratum="the denominator Σ_j e^{f_i} does not depend on j: literally K e^{f_i}, so "
            "L_i = f_i − f_{y_i} + log K instead of −log p_{y_i}",
    fix=dc.Line(r"L_i = -\log(\frac{e^{f_{y_i}}}{\sum_je^{f_j}})",
                lambda f, y_i: jnp.full(f.shape, -(f[y_i] - jax.scipy.special.logsumexp(f))),
                note="Evaluated as −(f_{y_i} − log Σ_j e^{f_j}) with a max-shifted log-sum-exp."),
    note="Literal reading with i a free index into f (here i also names the example), "
         "checked for every i (entry i: Σ_j over K copies of e^{f_i}).",
)

loss_Li_as_log_p = dc.equal(
    lambda p, y_i: -jnp.sum(_onehot(y_i, p.shape[0]) * jnp.log(p)),
    lambda p, y_i: -jnp.log(p[y_i]),
    space=ce_space,
    latex=r"L_i = -\log(p_{y_i})",
    source=f"{SEED} § Softmax Gradient (使用交叉熵作为我们的损失函数)",
    note="Against the first form L = −Σ_j y_j log p_j with y the one-hot of y_i, for any "
         "probability vector p.",
)

loss_gradient = dc.gradient(
    _L_f,
    lambda f, y_i: jax.nn.softmax(f) - _onehot(y_i, f.shape[0]),
    space=ce_space,
    wrt="f",
    latex=r"\frac{\partial L_i }{ \partial f_k } = p_k - \mathbb{1}(y_i = k)",
    source=f"{SEED} § Softmax Gradient (使用交叉熵作为我们的损失函数)",
    note="Every k at once; p = softmax(f).",
)

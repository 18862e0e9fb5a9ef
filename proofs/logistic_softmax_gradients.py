"""logistic与softmax的梯度计算 — seed 001_2a4613b859264713.txt (2017-09-14).

The note reviews the gradient of the logistic-regression cost, then derives the
gradient of softmax + cross-entropy through the softmax Jacobian.

Reading conventions used throughout:

- §1: one example is a row vector x ∈ R^D (so ``xθ`` is a dot product and
  ∂/∂θ_j brings down x_j); every line is checked for all j at once, as the
  vector (∂J/∂θ_1, …, ∂J/∂θ_D). Bucket 0 has D = 1, which is the scalar-x
  case. The author says he dropped the superscripts (“偷懒省略了一些上标”):
  inside Σ_i, x and y are read as x^i and y^i. m is the number of examples
  (input ``X`` has shape m × D, ``y`` holds the 0/1 labels, ``b`` the bias).
- §2: a is the softmax output, Loss = −Σ y_i ln a_i with a one-hot y. The
  chain of §2.3 is read as ∂Loss/∂z (its lines never multiply by ∂z/∂w), with i
  the target index; the literal ∂Loss/∂w reading is checked separately.
- Fixes whose page line uses raw exponentials are written in a form that
  evaluates stably in float64 (in h, or a max-shifted softmax); the raw form of
  the same expression is checked on the page's own line, where it is
  ``unstable``.

Errata, by class:

- error (mathematical mistakes):
  1. §1.1/§1.2: the cost is printed without its leading minus sign,
     J = +1/m Σ[y log h + (1−y) log(1−h)] (the mean log-likelihood, concave), while
     the gradient chain starts from −1/m: against J as printed every line of the
     chain is −∂J/∂θ_j. The chain is right for the cost with the opposite sign
     (``logistic_grad`` checks it line by line), so the mistake is the cost line:
     it is marked once, at the root of ``logistic_grad_as_written`` (line 1); lines
     2–5 only inherit it (``propagated``, computed by derivcheck).
  2. §2.3: ∂Loss/∂w_j = ∂Loss/∂a_i ∂a_i/∂z_i stops at z: the chain-rule factor
     ∂z_j/∂w_ij = x_i is missing (``softmax_grad_wrt_w`` line 1; line 2 inherits it).
- notation (slips a reader fixes silently; the reading is recorded):
  3. §2.3: a_i = exp(x_i)/Σ exp(x_j) is printed with x where z is meant
     (``a_definition``); read a_i = exp(z_i)/Σ_j exp(z_j).

Not marked (readings a reader would not make):
- “梯度却是一致的” (the gradient is the same as linear regression's) means the same
  form (1/m)Σ(h(x)−y)x (``same_gradient_as_linear_regression``), not the same
  values: the author contrasts the different objectives with the identical form.
- “分别为(a_j−1)和a_i” uses the labels of the case analysis just above it (the
  numerator node j is the target, i the other coordinate), under which a_i is right
  (``plug_in_other_case``); re-reading it with the labels of the earlier chain line
  (i = target) would make it a_j, but no reader switches labels mid-sentence.
- “为了保持目标函数为凸函数” is about the cross-entropy cost the chain differentiates
  (``cost_convex``); that the printed J is concave is the same lost minus as error 1.
"""

import jax
import jax.numpy as jnp

import derivcheck as dc

SEED = "001_2a4613b859264713.txt"

# ---------------------------------------------------------------------------
# 1. 逻辑回归的梯度计算
# ---------------------------------------------------------------------------

logistic_space = dc.Space(theta=dc.real("D"), b=dc.real(), X=dc.real("N D"), y=dc.binary("N"))


def _h(theta, b, X):
    """h(x) = 1/(1+e^{-(xθ+b)}) for every row of X, as the page writes it."""
    return 1.0 / (1.0 + jnp.exp(-(X @ theta + b)))


def _J_page(theta, b, X, y):
    """J(θ) exactly as printed (no leading minus), evaluated stably."""
    u = X @ theta + b
    return jnp.mean(y * jax.nn.log_sigmoid(u) + (1 - y) * jax.nn.log_sigmoid(-u))


def _J_neg(theta, b, X, y):
    """The cross-entropy cost the chain differentiates: −J as printed."""
    return -_J_page(theta, b, X, y)


# -- 1.1 逻辑回归的cost -------------------------------------------------------

logistic_cost = dc.equal(
    _J_page,
    lambda theta, b, X, y: jnp.mean(
        y * jnp.log(_h(theta, b, X)) + (1 - y) * jnp.log(1 - _h(theta, b, X))),
    space=logistic_space,
    expect="unstable",
    latex=r"J(\theta) = \frac{1}{m}\sum_{i=1}^{m}\left[y^{i}\,log\, h(x^{i})\ +\ (1\ -\ y^{i})\,log\,(1\ -\ h(x^{i}))\right]",
    source=f"{SEED} § 1.1 逻辑回归的cost",
    note="Literal: no leading minus sign, so J is the mean log-likelihood (concave, to be "
         "maximised) while §1.2 starts from −1/m; the lost minus is marked at the root of "
         "logistic_grad_as_written. Checked here only as a definition: log h and log(1−h) "
         "of the printed h reach log 0 once |xθ+b| ≳ 37 (h rounds to 1), hence unstable.",
)

# “为了保持目标函数为凸函数”: the Hessian in (θ, b) must be positive semidefinite.


def _hessian_min_ok(J, theta, b, X, y):
    p = jnp.concatenate([theta, jnp.reshape(b, (1,))])
    H = jax.hessian(lambda q: J(q[:-1], q[-1], X, y))(p)
    return jnp.linalg.eigvalsh(H).min() >= -1e-9 * (1.0 + jnp.abs(H).max())


cost_convex = dc.holds(
    lambda theta, b, X, y: _hessian_min_ok(_J_neg, theta, b, X, y),
    space=logistic_space,
    latex=r"-\frac{1}{m}\sum_{i=1}^{m}\left[y^{i}\,log\, h(x^{i}) + (1-y^{i})\,log\,(1-h(x^{i}))\right]"
          r"\ \text{is convex (为了保持目标函数为凸函数)}",
    source=f"{SEED} § 1.1 逻辑回归的cost",
    note="The sentence is about the cost the chain of §1.2 differentiates, with its minus: "
         "Hessian (1/m)Σ h(1−h) x̃x̃ᵀ ⪰ 0 in (θ, b), x̃ = (x, 1). (J as printed is concave: "
         "the same lost minus, marked once at logistic_grad_as_written.)",
)

# -- 1.2 梯度计算 --------------------------------------------------------------
# Lines as printed; x, y inside Σ_i read as x^i, y^i (the author dropped the
# superscripts). Each line returns the vector over j of ∂J/∂θ_j.


def _line1(theta, b, X, y):
    E = jnp.exp(-(X @ theta + b))
    bracket = y * (1 / (1 / (1 + E))) - (1 - y) * (1 / (1 - 1 / (1 + E)))
    dh = (-E / (1 + E) ** 2)[:, None] * (-X)
    return -jnp.mean(bracket[:, None] * dh, axis=0)


def _line2(theta, b, X, y):
    E = jnp.exp(-(X @ theta + b))
    bracket = y * (1 + E) - (1 - y) * (1 + E) / E
    return -jnp.mean((bracket * (1 / (1 + E)) * (E / (1 + E)))[:, None] * X, axis=0)


def _line3(theta, b, X, y):
    E = jnp.exp(-(X @ theta + b))
    bracket = y * (E / (1 + E)) - (1 - y) * (1 / (1 + E))
    return -jnp.mean(bracket[:, None] * X, axis=0)


def _line4(theta, b, X, y):
    h = _h(theta, b, X)
    return -jnp.mean((y * (1 - h) - (1 - y) * h)[:, None] * X, axis=0)


def _line5(theta, b, X, y):
    return jnp.mean((_h(theta, b, X) - y)[:, None] * X, axis=0)


_L1 = (r"-\frac{1}{m}\sum_{i=1}^{m}\left[y^{i}\,\frac{1}{\frac{1}{1+e^{-(x\theta+b)}}}\,-\,(1-y^{i})\,"
       r"\frac{1}{1-\frac{1}{1+e^{-(x\theta+b)}}}\right]\,\frac{-e^{-(x\theta+b)}}{(1+e^{-(x\theta+b)})^{2}}\,(-x)")
_L2 = (r"-\frac{1}{m}\sum_{i=1}^{m}\left[y\,(1+e^{-(x\theta+b)})\,-\,(1\,-\,y)\,"
       r"\frac{1+e^{-(x\theta+b)}}{e^{-(x\theta+b)}}\right]\,\frac{1}{1+e^{-(x\theta+b)}}\,"
       r"\frac{e^{-(x\theta+b)}}{1+e^{-(x\theta+b)}}\,x")
_L3 = (r"-\frac{1}{m}\sum_{i=1}^{m}\left[y\,\frac{e^{-(x\theta+b)}}{1+e^{-(x\theta+b)}}\,-\,(1-y)\,"
       r"\frac{1}{1+e^{-(x\theta+b)}}\right]\,x")
_L4 = r"-\frac{1}{m}\sum_{i=1}^{m}\left[y\,(1-h(x))\,-\,(1-y)\,h(x)\right]\,x"
_L5 = r"\frac{1}{m}\sum_{i=1}^{m}(h(x)\,-\,y)\,x"

_NOTE_SUPERSCRIPTS = "x, y inside Σ_i read as x^i, y^i (superscripts omitted, as the author says)."
_SIGN = ("the cost of §1.1 is printed without its leading minus, and this line starts from "
         "−1/m: it differentiates −J, the cross-entropy, so against J as printed every line "
         "has the wrong sign. The mistake is the cost line: with J = −1/m Σ[…] the chain "
         "holds line by line (logistic_grad)")
_INHERITS = "inherits line 1's sign: equals −∂J/∂θ_j for J as printed"

_FIX_PLUS_H = dc.Line(
    r"\frac{1}{m}\sum_{i=1}^{m}\left[y^{i}\,(1-h(x^{i}))\,-\,(1-y^{i})\,h(x^{i})\right]\,x^{i}",
    lambda theta, b, X, y: -_line4(theta, b, X, y),
    note="∂J/∂θ_j for J as printed, written in h because the e^{-(xθ+b)} form overflows. "
         "The teacher's correction is the cost's minus, after which line 1 stands as "
         "written (logistic_grad).")

logistic_grad_as_written = dc.Derivation(
    target=dc.grad_of(_J_page, wrt="theta"),
    latex=r"\frac{\partial}{\partial\theta_{j}}J(\theta)",
    source=f"{SEED} § 1.2 梯度计算",
    note="Truth: autodiff of J exactly as printed in §1.1 (no leading minus). Every line "
         "equals −truth: the chain is right for the cost with the opposite sign.",
    space=logistic_space,
    lines=[
        # root: the lost minus of the cost; lines 2-5 propagated
        dc.Line(_L1, _line1,
                erratum_class="error",
                erratum=_SIGN, fix=_FIX_PLUS_H, note=_NOTE_SUPERSCRIPTS),
        # Lines 2-5 follow from line 1 step by step: derivcheck lists them as propagated
        # under it. They carry no fix of their own: restoring the cost's minus repairs
        # them all, and the textbook result (1/m)Σ(h − y)x of line 5 stands.
        dc.Line(_L2, _line2, erratum=_INHERITS, note=_NOTE_SUPERSCRIPTS),
        dc.Line(_L3, _line3, erratum=_INHERITS, note=_NOTE_SUPERSCRIPTS),
        dc.Line(_L4, _line4, erratum=_INHERITS, note=_NOTE_SUPERSCRIPTS),
        dc.Line(_L5, _line5, erratum=_INHERITS, note=_NOTE_SUPERSCRIPTS),
    ],
)

_UNSTABLE = ("the raw e^{-(xθ+b)} overflows for xθ+b ≲ −709 and 1 − 1/(1+e^{-(xθ+b)}) "
             "rounds to 0 for xθ+b ≳ 37")

logistic_grad = dc.Derivation(
    target=dc.grad_of(_J_neg, wrt="theta"),
    latex=r"\frac{\partial}{\partial\theta_{j}}\left(-\frac{1}{m}\sum_{i=1}^{m}\left[y^{i}\,log\, h(x^{i})"
          r" + (1-y^{i})\,log\,(1-h(x^{i}))\right]\right)",
    source=f"{SEED} § 1.2 梯度计算",
    note="The same chain against the cost with its minus restored (the evident intent): "
         "every '=' holds.",
    space=logistic_space,
    lines=[
        dc.Line(_L1, _line1, expect="unstable", note=f"{_NOTE_SUPERSCRIPTS} {_UNSTABLE}."),
        dc.Line(_L2, _line2, expect="unstable", note=f"{_NOTE_SUPERSCRIPTS} {_UNSTABLE}."),
        dc.Line(_L3, _line3, expect="unstable", note=f"{_NOTE_SUPERSCRIPTS} {_UNSTABLE}."),
        dc.Line(_L4, _line4, note=_NOTE_SUPERSCRIPTS),
        dc.Line(_L5, _line5, note=_NOTE_SUPERSCRIPTS),
    ],
)

# “虽然目标函数和线性回归的不同，但是梯度却是一致的”


def _linreg_gradient_form(pred, X, y):
    """Linear regression's gradient (1/m)Σ(pred − y)x, as a function of the predictions."""
    return jnp.mean((pred - y)[:, None] * X, axis=0)


same_gradient_as_linear_regression = dc.equal(
    lambda theta, b, X, y: jax.grad(_J_neg)(theta, b, X, y),
    lambda theta, b, X, y: _linreg_gradient_form(_h(theta, b, X), X, y),
    space=logistic_space,
    latex=r"\frac{\partial J}{\partial\theta_j} = \frac{1}{m}\sum_{i=1}^{m}(h(x^{i})-y^{i})\,x^{i}"
          r"\ \text{(梯度却是一致的: same form as linear regression)}",
    source=f"{SEED} § 1.2 梯度计算",
    note="Reading of “the gradient is the same”: the logistic gradient has the form of the "
         "linear-regression gradient (1/m)Σ(h(x)−y)x, with h the sigmoid hypothesis. The "
         "author contrasts different objectives with the same form; equal values (with "
         "the linear h) is a reading no reader makes, so it is not checked.",
)

# ---------------------------------------------------------------------------
# 2. softmax
# ---------------------------------------------------------------------------

# -- 2.1 softmax函数 -----------------------------------------------------------

vector_space = dc.Space(x=dc.real("n"))

softmax_definition = dc.equal(
    jax.nn.softmax,
    lambda x: jnp.exp(x) / jnp.sum(jnp.exp(x)),
    space=vector_space,
    expect="unstable",
    latex=r"softmax(x_i) = \frac{exp(x_i)}{\sum_{j=1}^{n}\,exp(x_j)}",
    source=f"{SEED} § 2.1 softmax函数",
    note="Every i at once. As the text itself warns (上溢或下溢), exp(x_j) overflows for "
         "x_j > 709.",
)

log_softmax = dc.equal(
    jax.nn.log_softmax,
    lambda x: x - jnp.max(x) - jnp.log(jnp.sum(jnp.exp(x - jnp.max(x)))),
    space=vector_space,
    latex=r"\log softmax(x_i) = x_i - \max_k x_k - \log\sum_{j=1}^{n} exp(x_j - \max_k x_k)"
          r"\ \text{(实际应用中一般会采用log softmax)}",
    source=f"{SEED} § 2.1 softmax函数",
    note="The page recommends log softmax against overflow without writing a formula; this "
         "is the checkable core: the max-shifted log-sum-exp form equals log softmax and "
         "evaluates without overflow at every magnitude.",
)

# -- 2.2 目标函数 --------------------------------------------------------------

loss_space = dc.Space(z=dc.real("n"), y=dc.one_hot("n"))


def _loss_z(z, y):
    """Loss = −Σ y_i ln a_i with a = softmax(z), evaluated stably."""
    return -jnp.sum(y * jax.nn.log_softmax(z))


cross_entropy_loss = dc.equal(
    _loss_z,
    lambda z, y: -jnp.sum(y * jnp.log(jnp.exp(z) / jnp.sum(jnp.exp(z)))),
    space=loss_space,
    expect="unstable",
    latex=r"Loss = -\sum_{i}^{n}\,y_{i}\,ln\,a_{i}",
    source=f"{SEED} § 2.2 目标函数",
    note="a = softmax(z) written out with exp (§2.1 / §2.3). A non-target a_i that "
         "underflows to 0 gives 0·ln 0 = nan.",
)

only_target_term = dc.equal(
    lambda p, y: -jnp.sum(y * jnp.log(p)),
    lambda p, y: -jnp.log(p[jnp.argmax(y)]),
    space=dc.Space(p=dc.simplex("n"), y=dc.one_hot("n")),
    latex=r"-\sum_{i}^{n}\,y_{i}\,ln\,a_{i} = -ln\,a_{t}\ \text{(只有目标项为1…可以忽略累加运算)}",
    source=f"{SEED} § 2.2 目标函数",
    note="a is any probability vector, t the index where the one-hot y is 1.",
)

# -- 2.3 梯度计算 --------------------------------------------------------------
# z_j = Σ_i x_i w_ij (x ∈ R^n and, since the same n bounds both sums, W is n × n).

net_space = dc.Space(x=dc.real("n"), W=dc.real("n n"), y=dc.one_hot("n"))

a_definition = dc.equal(
    lambda x, W: jax.nn.softmax(x @ W),
    lambda x, W: jnp.exp(x) / jnp.sum(jnp.exp(x)),
    space=net_space,
    latex=r"a_i = \frac{exp(x_i)}{\sum_{j=1}^{n}\,exp(x_j)}",
    source=f"{SEED} § 2.3 梯度计算",
    erratum_class="notation", reading="a_i = exp(z_i)/Σ_j exp(z_j): z, the input of the softmax",
    erratum="typo x for z: the chain below differentiates a_i with respect to z_i and the "
            "cases write a_j = e^{z_j}/Σ_k e^{z_k}; as printed a is the softmax of the input x, "
            "does not depend on w, and ∂Loss/∂w would be 0",
    fix=dc.Line(r"a_i = \frac{exp(z_i)}{\sum_{j=1}^{n}\,exp(z_j)},\quad z_j = \sum_{i=1}^{n}\,x_i\,w_{ij}",
                lambda x, W: jax.nn.softmax(x @ W),
                note="Evaluated max-shifted (jax.nn.softmax), the same quotient."),
    note="Left side: the a that the rest of §2.3 uses, softmax of z = xW.",
)


def _dloss_da(a, y):
    return jax.grad(lambda aa: -jnp.sum(y * jnp.log(aa)))(a)


def _chain_line1(z, y):
    """∂Loss/∂a_t · ∂a_t/∂z_m for every m, t the target: only the target term of Σ_k."""
    a = jax.nn.softmax(z)
    t = jnp.argmax(y)
    return _dloss_da(a, y)[t] * jax.jacobian(jax.nn.softmax)(z)[t]


def _chain_line2(z, y):
    a = jax.nn.softmax(z)
    t = jnp.argmax(y)
    return -1.0 / a[t] * jax.jacobian(jax.nn.softmax)(z)[t]


_C1 = r"\frac{\partial\,Loss}{\partial\,a_i}\,\frac{\partial\,a_i}{\partial\,z_i}"
_C2 = r"-\frac{1}{a_i}\,\frac{\partial\,a_i}{\partial\,z_i}"
_CHAIN_NOTE = ("Read as ∂Loss/∂z_m for every m, with i the target index (only the target term "
               "of Loss survives, 2.2): ∂Loss/∂a_i · ∂a_i/∂z_m; the page's ∂z_i stands for the "
               "coordinate that the case analysis then splits into m = i and m ≠ i.")

softmax_grad_chain = dc.Derivation(
    target=dc.grad_of(_loss_z, wrt="z"),
    latex=r"\frac{\partial\,Loss}{\partial\,z}",
    source=f"{SEED} § 2.3 梯度计算",
    note="The evaluable reading of the chain: its lines stop at z, so it is checked as "
         "∂Loss/∂z (the printed left side ∂Loss/∂w_j is checked in softmax_grad_wrt_w).",
    space=loss_space,
    lines=[
        dc.Line(_C1, _chain_line1, expect="unstable",
                note=_CHAIN_NOTE + " ∂Loss/∂a_i = −1/a_i is inf once a_i underflows."),
        dc.Line(_C2, _chain_line2, expect="unstable",
                note="−1/a_i overflows once a_i underflows to 0 (large logits)."),
        dc.Line(r"(a_j-1)\ \text{(目标项)},\quad a_i\ \text{(非目标项)}",
                lambda z, y: jax.nn.softmax(z) - y,
                note="将两种情况分别带到之前梯度的式子中: a_m − 1 at the target m, a_m elsewhere, "
                     "i.e. a − y."),
    ],
)


def _loss_w(x, W, y):
    return _loss_z(x @ W, y)


softmax_grad_wrt_w = dc.Derivation(
    target=dc.grad_of(_loss_w, wrt="W"),
    latex=r"\frac{\partial\,Loss}{\partial\,w_{j}}",
    source=f"{SEED} § 2.3 梯度计算",
    note="Literal left side: ∂Loss/∂w_ij for z_j = Σ_i x_i w_ij (a = softmax(z), the intent). "
         "The right sides do not depend on i; each is read as the value for every row i.",
    space=net_space,
    lines=[
        # the root; line 2 propagated
        dc.Line(_C1, lambda x, W, y: jnp.broadcast_to(_chain_line1(x @ W, y), W.shape),
                erratum_class="error",
                erratum="the chain stops at z: ∂Loss/∂w_ij needs the factor ∂z_j/∂w_ij = x_i "
                        "(and, read at a single z_i, the other z_j through the softmax)",
                fix=dc.Line(r"\frac{\partial\,Loss}{\partial\,w_{ij}} = x_i\,(a_j - y_j)",
                            lambda x, W, y: jnp.outer(x, jax.nn.softmax(x @ W) - y))),
        dc.Line(_C2, lambda x, W, y: jnp.broadcast_to(_chain_line2(x @ W, y), W.shape),
                erratum="inherits line 1: missing the factor ∂z_j/∂w_ij = x_i"),
    ],
)

# Jacobian of a = softmax(z): M[j, i] = ∂a_j/∂z_i.

z_space = dc.Space(z=dc.real("n"), dims={"n": (2, 6)})


def _jac(z):
    return jax.jacobian(jax.nn.softmax)(z)


def _sum_exp(z):
    return jnp.sum(jnp.exp(z))


jacobian_same_node = dc.Derivation(
    target=lambda z: jnp.diagonal(_jac(z)),
    latex=r"\frac{\partial\,a_j}{\partial\,z_{i}}\ (j = i)",
    source=f"{SEED} § 2.3 梯度计算 (分子的节点j与目标项对应)",
    note="Checked for every j with i = j (the numerator's own logit, as the first line's "
         "e^{z_j}Σ − e^{z_j}e^{z_j} shows).",
    space=z_space,
    lines=[
        dc.Line(r"\frac{e^{z_j}\,\sum_{k=1}^{n}\,e^{z_k}\,-\,e^{z_j}\,e^{z_j}}{(\sum_{k=1}^{n}\,e^{z_k})^2}",
                lambda z: (jnp.exp(z) * _sum_exp(z) - jnp.exp(z) * jnp.exp(z)) / _sum_exp(z) ** 2,
                expect="unstable", note="raw exponentials overflow for z > 709"),
        dc.Line(r"\frac{e^{z_j}}{\sum_{k=1}^{n}\,e^{z_k}}\,-\,\frac{e^{z_j}}{\sum_{k=1}^{n}\,e^{z_k}}"
                r"\,\frac{e^{z_j}}{\sum_{k=1}^{n}\,e^{z_k}}",
                lambda z: jnp.exp(z) / _sum_exp(z)
                - jnp.exp(z) / _sum_exp(z) * (jnp.exp(z) / _sum_exp(z)),
                expect="unstable", note="raw exponentials overflow for z > 709"),
        dc.Line(r"a_j\,(1\,-\,a_j)",
                lambda z: jax.nn.softmax(z) * (1 - jax.nn.softmax(z))),
    ],
)

def _OFF(z):
    """Mask of the entries j ≠ i."""
    return 1.0 - jnp.eye(z.shape[0])


jacobian_other_node = dc.Derivation(
    target=lambda z: _jac(z) * _OFF(z),
    latex=r"\frac{\partial\,a_j}{\partial\,z_{i}}\ (j \neq i)",
    source=f"{SEED} § 2.3 梯度计算 (分子节点j不是与目标项对应的)",
    note="Checked as the matrix [j, i] of all off-diagonal entries (diagonal masked to 0).",
    space=z_space,
    lines=[
        dc.Line(r"\frac{-\,e^{z_i}\,e^{z_j}}{(\sum_{k=1}^{n}\,e^{z_k})^2}",
                lambda z: -jnp.outer(jnp.exp(z), jnp.exp(z)) / _sum_exp(z) ** 2 * _OFF(z),
                expect="unstable", note="raw exponentials overflow for z > 709"),
        dc.Line(r"-\,\frac{e^{z_i}}{\sum_{k=1}^{n}\,e^{z_k}}\,\frac{e^{z_j}}{\sum_{k=1}^{n}\,e^{z_k}}",
                lambda z: -jnp.outer(jnp.exp(z) / _sum_exp(z), jnp.exp(z) / _sum_exp(z)) * _OFF(z),
                expect="unstable", note="raw exponentials overflow for z > 709"),
        dc.Line(r"-\,a_i\,a_j",
                lambda z: -jnp.outer(jax.nn.softmax(z), jax.nn.softmax(z)) * _OFF(z)),
    ],
)

softmax_jacobian = dc.jacobian(
    jax.nn.softmax,
    lambda z: jnp.diag(jax.nn.softmax(z)) - jnp.outer(jax.nn.softmax(z), jax.nn.softmax(z)),
    space=z_space,
    wrt="z",
    latex=r"\frac{\partial\,a_j}{\partial\,z_{i}} = a_j(1-a_j)\ (j=i),\quad -a_i a_j\ (j\neq i)",
    source=f"{SEED} § 2.3 梯度计算",
    note="The two cases together: the full Jacobian diag(a) − a aᵀ.",
)

# 将两种情况分别带到之前梯度的式子中，分别为(a_j-1)和a_i


def _grad_loss_z(z, y):
    return jax.grad(_loss_z)(z, y)


plug_in_target_case = dc.Derivation(
    target=lambda z, y: _grad_loss_z(z, y)[jnp.argmax(y)],
    latex=r"\frac{\partial\,Loss}{\partial\,z_j}\ (j\ \text{目标项})",
    source=f"{SEED} § 2.3 梯度计算",
    note="j is the target (numerator node of case 1).",
    space=loss_space,
    lines=[
        dc.Line(r"-\frac{1}{a_j}\,a_j\,(1\,-\,a_j)",
                lambda z, y: (-1.0 / jax.nn.softmax(z) * jax.nn.softmax(z)
                              * (1 - jax.nn.softmax(z)))[jnp.argmax(y)],
                expect="unstable",
                note="−1/a_j · a_j is inf·0 = nan once a_j underflows to 0"),
        dc.Line(r"(a_j-1)", lambda z, y: jax.nn.softmax(z)[jnp.argmax(y)] - 1.0),
    ],
)


def _others(y):
    return 1.0 - y  # mask of the non-target coordinates


plug_in_other_case = dc.Derivation(
    target=lambda z, y: _grad_loss_z(z, y) * _others(y),
    latex=r"\frac{\partial\,Loss}{\partial\,z_i}\ (i\neq j,\ j\ \text{目标项})",
    source=f"{SEED} § 2.3 梯度计算",
    note="Labels of the case analysis, which the sentence just follows: the numerator node "
         "j is the target, i any other coordinate (checked for all i ≠ j at once, target "
         "entry masked to 0). The text calls case 2 'j 不是与目标项对应的' and says itself "
         "that the description is inaccurate (这样的描述好像不准确); the results a_j − 1 and "
         "a_i are those of a − y.",
    space=loss_space,
    lines=[
        dc.Line(r"-\frac{1}{a_j}\,(-\,a_i\,a_j)",
                lambda z, y: (-1.0 / jax.nn.softmax(z)[jnp.argmax(y)]
                              * (-jax.nn.softmax(z) * jax.nn.softmax(z)[jnp.argmax(y)]))
                * _others(y),
                expect="unstable",
                note="−1/a_j · a_j is inf·0 = nan once a_j underflows to 0"),
        dc.Line(r"a_i", lambda z, y: jax.nn.softmax(z) * _others(y)),
    ],
)

softmax_ce_gradient = dc.gradient(
    _loss_z,
    lambda z, y: jax.nn.softmax(z) - y,
    space=loss_space,
    wrt="z",
    latex=r"\frac{\partial\,Loss}{\partial\,z} = a - y",
    source=f"{SEED} § 2.3 梯度计算",
    note="The upshot of 分别为(a_j−1)和a_i for a one-hot y.",
)

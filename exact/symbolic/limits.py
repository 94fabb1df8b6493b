r"""The sheet's limits of lse and softmax, and the λ-derivative of lse, as checked derivations (2(e)).

λ → ∞ (max and arg max, ties), λ → −∞ (min), λ → 0+ (uniform, for symbolic n) and
d lse/dλ = −H(p)/λ² ≤ 0.  A limit is written as a claimed value; its check computes the limit
with sympy and, independently, evaluates the expression with mpmath close to the limit point
(:mod:`.pointwise`), so a wrong claimed value fails (and so would a wrong sympy limit, such as
sympy issue 22893: :func:`~exact.symbolic.expressions.checked_limit`).  Each function returns a
verified :class:`~exact.symbolic.derivation.Derivation`; :data:`exact.symbolic.theorems.THEOREMS`
lists them with the other theorems.

Examples
--------
>>> limit_minus_infinity().conclusion.startswith("λ → −∞")
True
"""

from __future__ import annotations

import sympy as sp

from .calculus import bounds, softmax_sums_to_one
from .checks import (
    continuity_check,
    derivative_quotient_check,
    equal_check,
    limit_of_check,
    same_limit_check,
    sign_check,
)
from .derivation import Derivation
from .expressions import exp_sum, lse_sum, softmax_sum, softmax_vec, symbols
from .pointwise import probability_vector
from .premises import cited_check

__all__ = ["limit_infinity", "limit_ties", "limit_minus_infinity", "limit_zero", "lambda_derivative"]


def limit_infinity() -> Derivation:
    r"""2(e): lse → max and softmax → one-hot argmax as λ → ∞ (unique maximiser).

    The squeezes are checked: the maximal component is rewritten from the definition into
    ``1/(1 + Σ_{j≠j*} e^{-λ(d+ε_j)})`` and bounded below by ``1/(1 + (n-1)e^{-λd})`` (a proof of
    the sign of the difference); a non-maximal component is bounded above by ``e^{-λd}``; and
    each limit is taken of exactly the bound derived (:func:`.checks.limit_of_check`).

    Returns
    -------
    Derivation
        Two chains (the maximal and a non-maximal component), the limits of their bounds, the
        squeeze of lse, and the case n = 2 directly.

    Examples
    --------
    >>> limit_infinity().facts[0].latex
    '\\lim_{\\lambda \\to \\infty}\\left(M + \\frac{\\log{\\left(n \\right)}}{\\lambda}\\right) = M'
    """
    lam, n, j, k, _, sigma, _, _ = symbols()
    M = sp.Symbol("M", real=True)
    dgap = sp.Symbol("d", positive=True)
    eps = sp.IndexedBase("epsilon", nonnegative=True)
    d = Derivation(
        "2(e) The limit λ → ∞: max and arg max",
        r"$\lim_{\lambda\to\infty}\operatorname{lse}(\sigma;\lambda) = \max_j\sigma_j$ and "
        r"$\lim_{\lambda\to\infty}\operatorname{softmax}(\sigma;\lambda) = e_{j^*}$ for a unique maximiser "
        r"$j^*$",
        r"$\lambda > 0$; number the entries so that the maximiser is the last, $j^* = n$ (softmax permutes "
        r"with its input); $\sigma_n = M = \max_j\sigma_j$ and $\sigma_j = M - d - \varepsilon_j$ with "
        r"$\varepsilon_j \ge 0$ for $j < n$, where $d = d_{\min} > 0$ is the smallest gap; squeeze between "
        r"the bounds below, each checked",
    )
    lse_upper = M + sp.log(n) / lam
    lse = sp.log(sp.Sum(sp.exp(lam * (M - sp.IndexedBase("delta", nonnegative=True)[j])), (j, 1, n))) / lam
    d.fact(sp.Limit(lse_upper, lam, sp.oo), "=", M,
           r"$M \le \operatorname{lse} \le M + \frac{\log n}{\lambda}$ (from 2(e) Bounds, built in the "
           r"check): the upper bound tends to $M$ and the lower bound is $M$: squeeze",
           check=cited_check(limit_of_check(lse_upper, "the upper bound of lse from 2(e) Bounds"), bounds,
                             [(lse, "<=", lse_upper), (lse, ">=", M)]))
    others = sp.Sum(sp.exp(lam * (M - dgap - eps[j])), (j, 1, n - 1))
    tail = sp.Sum(sp.exp(-lam * (dgap + eps[j])), (j, 1, n - 1))
    d.start(sp.exp(lam * M) / (sp.exp(lam * M) + others),
            r"$\operatorname{softmax}_{j^*}$, $j^* = n$, by definition "
            r"($e^{\lambda\sigma_n} = e^{\lambda M}$)")
    d.step(1 / (1 + tail), r"divide numerator and denominator by $e^{\lambda M}$: this is "
           r"$1/(1 + \sum_{j \ne j^*} e^{-\lambda(\sigma_{j^*} - \sigma_j)})$")
    lower = 1 / (1 + (n - 1) * sp.exp(-lam * dgap))
    d.step(lower, r"each of the $n - 1$ terms is $e^{-\lambda(d + \varepsilon_j)} \le e^{-\lambda d}$ "
           r"($\varepsilon_j \ge 0$, $\lambda > 0$), and $1/x$ decreases on $x > 0$", relation=">=")
    p_k = softmax_sum(sigma, lam, n, j, k)
    d.fact(sp.Limit(lower, lam, sp.oo), "=", 1,
           r"so $\frac{1}{1 + (n-1)e^{-\lambda d}} \le \operatorname{softmax}_{j^*} \le 1$ (the upper bound: "
           r"from Softmax is a probability vector, built in the check) and the maximal component tends to 1: "
           r"squeeze",
           check=cited_check(limit_of_check(lower, "the lower bound of softmax_{j*} derived above"),
                             softmax_sums_to_one, [(p_k, "<=", 1)]))
    d.start(sp.exp(lam * (M - dgap - eps[k])) / (sp.exp(lam * M) + others),
            r"$\operatorname{softmax}_k$ for a non-maximal $k < n$, by definition")
    d.step(sp.exp(-lam * (dgap + eps[k])) / (1 + tail),
           r"divide numerator and denominator by $e^{\lambda M}$")
    d.step(sp.exp(-lam * (dgap + eps[k])), r"the denominator is $\ge 1$", relation="<=")
    d.step(sp.exp(-lam * dgap), r"$\varepsilon_k \ge 0$ and $\lambda > 0$", relation="<=")
    d.fact(sp.Limit(sp.exp(-lam * dgap), lam, sp.oo), "=", 0,
           r"so $0 < \operatorname{softmax}_k \le e^{-\lambda d} \to 0$ (positivity: from Softmax is a "
           r"probability vector, built in the check): every non-maximal component tends to 0",
           check=cited_check(limit_of_check(sp.exp(-lam * dgap),
                                            "the upper bound of softmax_k derived above"),
                             softmax_sums_to_one, [(p_k, ">", 0)]))
    a = sp.Symbol("a", real=True)
    rest = sp.log(1 + sp.exp(-dgap * lam)) / lam
    d.fact(sp.log(sp.exp(a * lam) + sp.exp((a - dgap) * lam)) / lam, "=", a + rest,
           r"$n = 2$, $\sigma = (a, a - d)$: factor out the larger term",
           label=r"n = 2:")
    d.fact(sp.Limit(rest, lam, sp.oo), "=", 0,
           r"so the $n = 2$ limit is $a = \max(a, a - d)$",
           check=limit_of_check(rest, "the remainder after a in the n = 2 fact above"))
    return d.conclude("lse → max and softmax → one-hot of the arg max.")


def limit_ties() -> Derivation:
    r"""2(e): with t tied maximisers softmax → uniform 1/t on them.

    A maximal component is rewritten from the definition into ``1/(t + Σ_j e^{-λ(d+ε_j)})`` and
    bounded by ``1/(t + r e^{-λd}) ≤ softmax_{j*} ≤ 1/t`` (proofs of the signs of the
    differences); the limit is taken of exactly the lower bound derived.

    Returns
    -------
    Derivation
        Two chains (the two bounds), the limit of the lower bound, and a three-entry example.

    Examples
    --------
    >>> limit_ties().facts[0].rhs
    1/t
    """
    lam = sp.Symbol("lambda", positive=True)
    t = sp.Symbol("t", integer=True, positive=True)
    r = sp.Symbol("r", integer=True, nonnegative=True)
    j = sp.Symbol("j", integer=True, positive=True)
    M = sp.Symbol("M", real=True)
    dgap = sp.Symbol("d", positive=True)
    eps = sp.IndexedBase("epsilon", nonnegative=True)
    d = Derivation(
        "2(e) Ties: the limit is uniform over the maximisers",
        r"if $t$ entries attain the max, $\operatorname{softmax}_j \to 1/t$ on them and $0$ elsewhere",
        r"$\lambda > 0$; $t$ entries equal $M = \max\sigma$ and $r$ further entries are "
        r"$\sigma_j = M - d - \varepsilon_j$, $j = 1, \dots, r$, with $\varepsilon_j \ge 0$ (smaller than "
        r"the max by at least $d > 0$); $j^*$ is a maximiser",
    )
    others = sp.Sum(sp.exp(lam * (M - dgap - eps[j])), (j, 1, r))
    definition = sp.exp(lam * M) / (t * sp.exp(lam * M) + others)
    why = (r"$\operatorname{softmax}_{j^*}$ by definition: each of the $t$ maximisers contributes "
           r"$e^{\lambda M}$ to the denominator")
    middle = 1 / (t + sp.Sum(sp.exp(-lam * (dgap + eps[j])), (j, 1, r)))
    divide = r"divide numerator and denominator by $e^{\lambda\max\sigma} = e^{\lambda M}$"
    d.start(definition, why)
    d.step(middle, divide)
    d.step(1 / t, r"the sum is $\ge 0$ and $1/x$ decreases on $x > 0$", relation="<=")
    lower = 1 / (t + r * sp.exp(-lam * dgap))
    d.start(definition, why + ", for the lower bound")
    d.step(middle, divide)
    d.step(lower, r"each of the $r$ terms is $e^{-\lambda(d + \varepsilon_j)} \le e^{-\lambda d}$ "
           r"($\varepsilon_j \ge 0$, $\lambda > 0$), and $1/x$ decreases on $x > 0$", relation=">=")
    d.fact(sp.Limit(lower, lam, sp.oo), "=", 1 / t,
           r"so $\frac{1}{t + r e^{-\lambda d}} \le \operatorname{softmax}_{j^*} \le \frac1t$ and a maximal "
           r"component tends to $1/t$: squeeze (a non-maximal one tends to 0 by the argument of 2(e) The "
           r"limit λ → ∞, built in the check; not redone here for $t$ maximisers)",
           check=cited_check(limit_of_check(lower, "the lower bound of softmax_{j*} derived above"),
                             limit_infinity, ()))
    x = sp.Symbol("x", real=True)
    ps = softmax_vec([sp.Integer(0), sp.Integer(0), -dgap], lam)  # (x, x, x - d) shifted by -x
    d.fact(sp.Matrix([[sp.Limit(p, lam, sp.oo) for p in ps]]), "=",
           sp.Matrix([[sp.Rational(1, 2), sp.Rational(1, 2), 0]]),
           "example with a tie: the limits of the softmax of $(0, 0, -d)$, which is that of $(x, x, x - d)$ "
           "(offset invariance removes $x$)",
           label=r"\sigma = (x, x, x - d) \sim (0, 0, -d):",
           check=limit_of_check(sp.Matrix([softmax_vec([x, x, x - dgap], lam)]),
                                "the softmax of (x, x, x - d), entry by entry"))
    return d.conclude("ties are broken uniformly: the limit is the uniform distribution on the arg max set.")


def limit_minus_infinity() -> Derivation:
    r"""2(e): λ → −∞ gives min and arg min.

    Returns
    -------
    Derivation
        The rewrite as −lse(τ; μ) with τ = −σ, the n = 2 limit, and softmax as softmax(τ; μ).

    Examples
    --------
    >>> limit_minus_infinity().steps[1].expr
    -log(Sum(exp(mu*tau[j]), (j, 1, n)))/mu
    >>> limit_minus_infinity().steps[-1].expr
    exp(mu*tau[k])/Sum(exp(mu*tau[j]), (j, 1, n))
    """
    _, n, j, k, _, s, _, _ = symbols()
    mu = sp.Symbol("mu", positive=True)
    tau = sp.IndexedBase("tau", real=True)
    d = Derivation(
        "2(e) The limit λ → −∞: min and arg min",
        r"$\operatorname{lse}(\sigma;-\mu) = -\operatorname{lse}(-\sigma;\mu) \to -\max(-\sigma) = "
        r"\min\sigma$ and $\operatorname{softmax}(\sigma;-\mu) = \operatorname{softmax}(-\sigma;\mu)$, "
        r"which tends to the uniform distribution on $\arg\max(-\sigma) = \arg\min\sigma$",
        r"$\lambda = -\mu$, $\mu > 0$",
    )

    def to_sigma(e):
        return e.replace(lambda x: isinstance(x, sp.Indexed) and x.base == tau, lambda x: -s[x.indices[0]])

    d.start(sp.log(sp.Sum(sp.exp(-mu * s[j]), (j, 1, n))) / (-mu), r"lse at $\lambda = -\mu$")
    d.step(-(sp.log(sp.Sum(sp.exp(mu * tau[j]), (j, 1, n))) / mu),
           r"with $\tau = -\sigma$: $-\mu\sigma_j = \mu\tau_j$, so this is $-\operatorname{lse}(\tau;\mu)$, "
           r"whose limit is $-\max\tau = \min\sigma$ by 2(e) The limit λ → ∞ (built in the check)",
           check=cited_check(equal_check(rewrite=(to_sigma, "substituting τ_j = −σ_j")), limit_infinity, ()))
    b = sp.Symbol("b", real=True)
    gap = sp.Symbol("d", positive=True)
    rest = sp.log(1 + sp.exp(-gap * mu)) / mu
    d.fact(-sp.log(sp.exp(-b * mu) + sp.exp(-(b + gap) * mu)) / mu, "=", b - rest,
           "factor out the smaller entry's term", label=r"n = 2,\ \sigma = (b, b + d):")
    d.fact(sp.Limit(rest, mu, sp.oo), "=", 0, r"so the limit is $b = \min\sigma$",
           check=limit_of_check(rest, "the remainder after b in the n = 2 fact above"))
    d.start(sp.exp(-mu * s[k]) / sp.Sum(sp.exp(-mu * s[j]), (j, 1, n)), r"$\operatorname{softmax}_k$ at "
            r"$\lambda = -\mu$")
    d.step(sp.exp(mu * tau[k]) / sp.Sum(sp.exp(mu * tau[j]), (j, 1, n)),
           r"with $\tau = -\sigma$ this is $\operatorname{softmax}_k(\tau;\mu)$, whose limit is uniform on "
           r"$\arg\max\tau = \arg\min\sigma$ (ties included) by 2(e) Ties (built in the check)",
           check=cited_check(equal_check(rewrite=(to_sigma, "substituting τ_j = −σ_j")), limit_ties, ()))
    return d.conclude("λ → −∞ turns lse into the min and softmax into the (uniform over ties) arg min.")


def limit_zero() -> Derivation:
    r"""2(e): λ → 0+: softmax uniform, lse − log(n)/λ → mean(σ), for symbolic n.

    Returns
    -------
    Derivation
        Two chains: softmax by continuity, lse by the definition of the derivative.

    Examples
    --------
    >>> limit_zero().steps[2].expr
    1/n
    """
    lam, n, j, k, _, s, _, _ = symbols()
    d = Derivation(
        "2(e) The limit λ → 0+: uniform weights",
        r"$\operatorname{softmax}(\sigma;\lambda) \to \frac1n\mathbf{1}$ and "
        r"$\operatorname{lse}(\sigma;\lambda) - \frac{\log n}{\lambda} \to \frac1n\sum_j\sigma_j$",
        r"$n$ symbolic, $1 \le k \le n$",
        hypotheses=(sp.Le(k, n),),
    )
    d.start(sp.Limit(softmax_sum(s, lam, n, j, k), lam, 0, "+"), r"softmax as $\lambda \to 0^+$")
    d.step(1 / sp.Sum(1, (j, 1, n)), r"continuous at $\lambda = 0$ (the denominator is $n > 0$ there): "
           r"substitute $\lambda = 0$, $e^0 = 1$", check=continuity_check())
    d.step(1 / n, r"$\sum_{j=1}^n 1 = n$")
    g = sp.log(exp_sum(s, lam, n, j) / n)
    d.start(sp.Limit(lse_sum(s, lam, n, j) - sp.log(n) / lam, lam, 0, "+"), "lse minus its divergent part")
    d.step(sp.Limit(g / lam, lam, 0, "+"), r"$\log S - \log n = \log(S/n)$", check=same_limit_check())
    d.step(sp.Subs(sp.Derivative(g, lam), lam, 0),
           r"$g(\lambda) = \log(S/n)$ has $g(0) = \log(n/n) = 0$, so $g(\lambda)/\lambda \to g'(0)$ "
           r"(definition of the derivative)", check=derivative_quotient_check())
    d.step(sp.Sum(s[j], (j, 1, n)) / n,
           r"$g'(\lambda) = \sum_j \sigma_j e^{\lambda\sigma_j}/S$; at $\lambda = 0$: $\sum_j \sigma_j / n$")
    return d.conclude(r"as $\lambda\to0^+$ softmax forgets σ and lse diverges like $\log(n)/\lambda$, "
                      "plus the mean.")


def lambda_derivative() -> Derivation:
    r"""2(e): d lse/dλ = −H(p)/λ² ≤ 0 (entropy H), for symbolic n.

    Returns
    -------
    Derivation
        Four steps to −H(p)/λ² and the sign.

    Examples
    --------
    >>> lambda_derivative().steps[-1].relation
    '<='
    """
    lam, n, j, k, _, s, _, _ = symbols()
    p = sp.IndexedBase("p", positive=True)
    d = Derivation(
        "2(e) lse decreases in λ",
        r"$\frac{\partial}{\partial\lambda}\operatorname{lse}(\sigma;\lambda) = -\frac{H(p)}{\lambda^2} \le "
        r"0$, $H(p) = -\sum_k p_k\log p_k$",
        r"$n$ symbolic, $p = \operatorname{softmax}(\sigma;\lambda)$, $\lambda > 0$",
    )
    S = exp_sum(s, lam, n, j)

    def to_softmax(e):
        return e.replace(lambda x: isinstance(x, sp.Indexed) and x.base == p,
                         lambda x: softmax_sum(s, lam, n, j, x.indices[0]))

    rewrite = (to_softmax, "substituting p_k = exp(λσ_k)/S")
    d.start(sp.Derivative(sp.log(S) / lam, lam),
            r"derivative of the definition, $S = \sum_j e^{\lambda\sigma_j}$")
    d.step(-sp.log(S) / lam**2 + sp.Sum(s[j] * sp.exp(lam * s[j]), (j, 1, n)) / (lam * S),
           r"quotient and chain rule, by hand: $(\log S/\lambda)' = -\log S/\lambda^2 + S'/(\lambda S)$ with "
           r"$S' = \sum_j \sigma_j e^{\lambda\sigma_j}$ (the check differentiates with sympy)")
    d.step(-(sp.log(S) - lam * sp.Sum(p[k] * s[k], (k, 1, n))) / lam**2,
           r"write $p_k = e^{\lambda\sigma_k}/S$", check=equal_check(rewrite=rewrite))
    d.step(sp.Sum(p[k] * sp.log(p[k]), (k, 1, n)) / lam**2,
           r"$\log p_k = \lambda\sigma_k - \log S$ and $\sum_k p_k = 1$ give $\log S - \lambda\sum_k "
           r"p_k\sigma_k = -\sum_k p_k\log p_k = H(p)$: this is $-H(p)/\lambda^2$",
           check=equal_check(rewrite=rewrite))
    d.step(sp.Integer(0), r"$0 < p_k \le 1$ (from Softmax is a probability vector, built in the check), so "
           r"$p_k \log p_k \le 0$", relation="<=",
           check=cited_check(sign_check("<=", domains={p[k]: (0, 1)}, samplers={"p": probability_vector},
                                        cite="0 < p_k <= 1, the premises below"),
                             softmax_sums_to_one, [(p[k], ">", 0), (p[k], "<=", 1)], rewrite))
    return d.conclude("lse is nonincreasing in λ: cooling (λ ↑) moves it down towards the max.")

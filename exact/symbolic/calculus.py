r"""2(d), 2(e): the gradient of lse is softmax, its Hessian is PSD, and the bounds max ≤ lse ≤ max + log(n)/λ.

Derivatives are written by hand (chain and quotient rule) and checked against sympy's
derivative of the previous expression and against finite differences at random points;
the inequalities are checked by proving the sign of the difference (:mod:`.signs`).

Examples
--------
>>> softmax_sums_to_one().steps[-1].expr
1
"""

from __future__ import annotations

import sympy as sp

from .checks import equal_check, sign_check
from .derivation import Derivation
from .expressions import exp_sum, lse_sum, softmax_sum, symbols
from .pointwise import probability_vector
from .premises import cited_check, term_of_sum_check

__all__ = ["gradient_is_softmax", "softmax_sums_to_one", "hessian", "bounds"]


def _unevaluated_quotient(num_factors, den_factors):
    """Build ``(a b ...)/(c d ...)`` exactly as written, so that a cancellation stays visible."""
    return sp.Mul(sp.Mul(*num_factors, evaluate=False),
                  sp.Pow(sp.Mul(*den_factors, evaluate=False), -1, evaluate=False), evaluate=False)


def gradient_is_softmax() -> Derivation:
    r"""2(d): ∂lse/∂σ_k = softmax_k for symbolic n.

    Returns
    -------
    Derivation
        The chain rule by hand, the Kronecker delta's pick, and cancelling λ.

    Examples
    --------
    >>> gradient_is_softmax().steps[-1].expr
    exp(lambda*sigma[k])/Sum(exp(lambda*sigma[j]), (j, 1, n))
    """
    lam, n, j, k, _, s, _, _ = symbols()
    d = Derivation(
        "2(d) The gradient of lse is softmax",
        r"$\frac{\partial}{\partial \sigma_k}\operatorname{lse}(\sigma;\lambda) = "
        r"\operatorname{softmax}(\sigma;\lambda)_k$",
        r"$n$ symbolic, $1 \le k \le n$, $\lambda > 0$",
        hypotheses=(sp.Le(k, n),),
    )
    S = exp_sum(s, lam, n, j)
    d.start(sp.Derivative(lse_sum(s, lam, n, j), s[k]), "derivative of the definition")
    d.step(sp.Sum(lam * sp.exp(lam * s[j]) * sp.KroneckerDelta(j, k), (j, 1, n)) / (lam * S),
           r"chain rule, by hand: $\partial_k \frac1\lambda\log S = \frac{\partial_k S}{\lambda S}$ and "
           r"$\partial_k e^{\lambda\sigma_j} = \lambda e^{\lambda\sigma_j}\delta_{jk}$ (the check "
           r"differentiates with sympy)")
    d.step(_unevaluated_quotient([lam, sp.exp(lam * s[k])], [lam, S]),
           r"the sum over $\delta_{jk}$ keeps the term $j = k$ (since $1 \le k \le n$)")
    d.step(softmax_sum(s, lam, n, j, k), r"cancel $\lambda$")
    return d.conclude(r"$\nabla \operatorname{lse}(\sigma;\lambda) = "
                      r"\operatorname{softmax}(\sigma;\lambda)$.")


def softmax_sums_to_one() -> Derivation:
    """Σ_k softmax_k = 1 for symbolic n, and every component is positive and at most 1.

    Returns
    -------
    Derivation
        Two steps to 1, the positivity fact and the fact softmax_k ≤ 1.

    Examples
    --------
    >>> softmax_sums_to_one().facts[0].relation
    '>'
    """
    lam, n, j, k, _, s, _, _ = symbols()
    d = Derivation("Softmax is a probability vector",
                   r"$\sum_{k=1}^n \operatorname{softmax}(\sigma;\lambda)_k = 1$ and "
                   r"$0 < \operatorname{softmax}_k \le 1$",
                   r"$n$ symbolic, $1 \le k \le n$, $\lambda > 0$ (for $\lambda < 0$ apply it to $-\sigma$: "
                   r"2(e) The limit λ → −∞)", hypotheses=(sp.Le(k, n),))
    S = exp_sum(s, lam, n, j)
    d.start(sp.Sum(softmax_sum(s, lam, n, j, k), (k, 1, n)), "sum of the components")
    d.step(sp.Sum(sp.exp(lam * s[k]), (k, 1, n)) / S, "the denominator does not depend on k")
    d.step(sp.Integer(1), "numerator and denominator are the same sum (rename k to j)")
    d.fact(softmax_sum(s, lam, n, j, k), ">", 0, "exponentials and their sums are positive",
           label=r"\operatorname{softmax}(\sigma;\lambda)_k =")
    d.fact(softmax_sum(s, lam, n, j, k), "<=", 1,
           r"the numerator $e^{\lambda\sigma_k}$ is one of the positive terms of the denominator",
           check=term_of_sum_check(hyps=d.hypotheses), label=r"\operatorname{softmax}(\sigma;\lambda)_k =")
    return d.conclude("softmax maps into the open probability simplex.")


def hessian() -> Derivation:
    r"""2(d): Hessian λ(diag p − p pᵀ): positive semidefinite for symbolic n, singular, so lse is convex.

    Returns
    -------
    Derivation
        The Hessian by the quotient rule, H·1 = 0, and vᵀHv = λ·Var_p(v) ≥ 0 as a sum identity.

    References
    ----------
    .. [1] S. Boyd and L. Vandenberghe, *Convex Optimization*, Cambridge University Press,
       2004, §3.1.5 (log-sum-exp: convexity and the bounds).

    Examples
    --------
    >>> hessian().steps[3].why.startswith(r"factor out $\lambda$")
    True
    """
    lam, n, j, k, m, s, _, _ = symbols()
    d = Derivation(
        "2(d) Hessian of lse: convex, with the direction 1 flat",
        r"$\frac{\partial^2 \operatorname{lse}}{\partial\sigma_k\partial\sigma_m} = \lambda(\delta_{km} p_k "
        r"- p_k p_m)$, $H \succeq 0$, $H\mathbf{1} = 0$",
        r"$n$ symbolic, $1 \le k, m \le n$, $p = \operatorname{softmax}(\sigma;\lambda)$, $\lambda > 0$",
        hypotheses=(sp.Le(k, n), sp.Le(m, n)),
    )
    S = exp_sum(s, lam, n, j)
    p, pm, ek = softmax_sum(s, lam, n, j, k), softmax_sum(s, lam, n, j, m), sp.exp(lam * s[k])
    delta = sp.KroneckerDelta(k, m)
    d.start(sp.Derivative(p, s[m]), r"differentiate the gradient $p_k = e^{\lambda\sigma_k}/S$")
    d.step((lam * delta * ek * S - ek * sp.Sum(lam * sp.exp(lam * s[j]) * sp.KroneckerDelta(j, m), (j, 1, n)))
           / S**2,
           r"quotient rule, by hand: $\partial_m \frac{u}{S} = \frac{(\partial_m u) S - u\,\partial_m "
           r"S}{S^2}$ with $\partial_m e^{\lambda\sigma_k} = \lambda\delta_{km}e^{\lambda\sigma_k}$ (the "
           r"check differentiates with sympy)")
    d.step(lam * delta * p - lam * p * pm,
           r"the sum over $\delta_{jm}$ keeps $j = m$; split the fraction into $p_k = e^{\lambda\sigma_k}/S$ "
           r"and $p_m$")
    d.step(lam * (delta * p - p * pm), r"factor out $\lambda$: $H_{km} = \lambda(\delta_{km}p_k - p_k p_m)$")
    d.fact(sp.Sum(lam * (delta * p - p * pm), (m, 1, n)), "=", 0,
           r"uses $\sum_m p_m = 1$: $H$ is singular, $\mathbf{1}$ is in its "
           r"kernel", label=r"(H\mathbf{1})_k =")
    _psd_chain(d, d.steps[3].expr)
    return d.conclude(r"lse is convex ($H \succeq 0$ for every $n$) but not strictly: $H$ is singular along "
                      r"$\mathbf{1}$, where lse grows linearly ($\operatorname{lse}(\sigma + c\mathbf{1}) = "
                      r"\operatorname{lse}(\sigma) + c$).")


def _same_summand_check(*, hyps=()):
    """Check ``Sum(f, limits) = Sum(g, limits)`` (the same limits) by ``f = g`` (:func:`.equal_check`)."""
    def check(lhs, rhs):
        outer = []
        while isinstance(lhs, sp.Sum) and isinstance(rhs, sp.Sum) and lhs.limits == rhs.limits:
            outer += lhs.limits
            lhs, rhs = lhs.function, rhs.function
        got = equal_check(hyps=hyps)(lhs, rhs) if outer else None
        return f"the same sums over {', '.join(str(x[0]) for x in outer)}; their summands are equal ({got})" \
            if got else None

    return check


def _psd_chain(d: Derivation, hess: sp.Expr) -> None:
    """Append vᵀ(∂p_k/∂σ_m)v = vᵀHv (``hess``: the entries computed before) = λ Var_p(v) ≥ 0, symbolic n."""
    lam, n, j, k, m, s, _, _ = symbols()
    p = sp.IndexedBase("p", positive=True)
    v = sp.IndexedBase("v", real=True)
    samplers = {"p": probability_vector}

    def to_softmax(e):
        return e.replace(lambda x: isinstance(x, sp.Indexed) and x.base == p,
                         lambda x: softmax_sum(s, lam, n, j, x.indices[0]))

    def quadratic(h):
        return sp.Sum(sp.Sum(v[k] * h * v[m], (m, 1, n)), (k, 1, n))

    def cite(check, *premises):  # p_k > 0, sum_k p_k = 1: found in "Softmax is a probability vector"
        return cited_check(check, softmax_sums_to_one, premises, (to_softmax, "p_k = exp(λσ_k)/S"))

    total, positive = (sp.Sum(p[k], (k, 1, n)), "=", 1), (p[k], ">", 0)

    h = lam * (sp.KroneckerDelta(k, m) * p[k] - p[k] * p[m])
    d.start(quadratic(sp.Derivative(softmax_sum(s, lam, n, j, k), s[m])),
            r"$v^\top H v$ for a real vector $v$, by definition: $H_{km} = \partial p_k/\partial\sigma_m$, "
            r"the derivative of the gradient $p = \operatorname{softmax}(\sigma;\lambda)$")
    d.step(quadratic(hess), r"the entries $H_{km}$ computed in the chain above",
           check=_same_summand_check(hyps=d.hypotheses))
    d.step(quadratic(h), r"write $p_k = \operatorname{softmax}(\sigma;\lambda)_k$; it has $p_k > 0$ and "
           r"$\sum_k p_k = 1$ (from Softmax is a probability vector, built in the check)",
           check=cite(equal_check(rewrite=(to_softmax, "substituting p_k = exp(λσ_k)/S"), hyps=d.hypotheses),
                      positive, total))
    d.step(lam * sp.Sum(p[k] * v[k] ** 2, (k, 1, n)) - lam * sp.Sum(p[k] * v[k], (k, 1, n)) ** 2,
           r"$\delta_{km}$ keeps $m = k$ in the first double sum; the second is a product of two sums",
           check=equal_check(hyps=d.hypotheses, samplers=samplers))
    mean = sp.Sum(p[m] * v[m], (m, 1, n))
    d.step(lam * sp.Sum(p[k] * (v[k] - mean) ** 2, (k, 1, n)),
           r"expand the square: $\sum_k p_k(v_k - \bar v)^2 = \sum_k p_k v_k^2 - 2\bar v\sum_k p_k v_k + "
           r"\bar v^2\sum_k p_k$ with $\bar v = \sum_m p_m v_m$, and $\sum_k p_k = 1$: a variance under $p$",
           check=cite(equal_check(subs={total[0]: 1}, hyps=d.hypotheses, samplers=samplers), total))
    d.step(sp.Integer(0), r"$\lambda > 0$, $p_k > 0$ and squares are $\ge 0$", relation=">=",
           check=cite(sign_check(">=", samplers=samplers), positive))


def bounds() -> Derivation:
    r"""2(e): max σ ≤ lse ≤ max σ + log(n)/λ for λ > 0 and symbolic n.

    Returns
    -------
    Derivation
        Two chains: the upper bound and the lower bound, each inequality by a proof of the
        sign of the difference.

    References
    ----------
    .. [1] S. Boyd and L. Vandenberghe, *Convex Optimization*, Cambridge University Press,
       2004, §3.1.5 (log-sum-exp: convexity and the bounds).

    Examples
    --------
    >>> d = bounds()
    >>> d.steps[2].relation, d.steps[2].expr
    ('<=', M + log(n)/lambda)
    """
    lam, n, j, _, _, _, _, _ = symbols()
    M = sp.Symbol("M", real=True)
    dlt = sp.IndexedBase("delta", nonnegative=True)
    d = Derivation(
        "2(e) Bounds: lse is a smoothed max",
        r"$\max_j \sigma_j \le \operatorname{lse}(\sigma;\lambda) \le "
        r"\max_j\sigma_j + \frac{\log n}{\lambda}$",
        r"$\lambda > 0$, $M = \max_j \sigma_j$, write $\sigma_j = M - \delta_j$ with $\delta_j \ge 0$; "
        r"number the entries so that a maximiser is the last one, $\delta_n = 0$ (lse is symmetric in the "
        r"$\sigma_j$)",
    )
    tail = sp.Sum(sp.exp(-lam * dlt[j]), (j, 1, n))
    lse = sp.log(sp.Sum(sp.exp(lam * (M - dlt[j])), (j, 1, n))) / lam
    d.start(lse, r"lse with $\sigma_j = M - \delta_j$")
    d.step(M + sp.log(tail) / lam, r"factor $e^{\lambda M}$ out of the sum")
    d.step(M + sp.log(n) / lam,
           r"each $e^{-\lambda\delta_j} \le 1$, so the sum is $\le n$; log is increasing and $\lambda > 0$",
           relation="<=")
    d.start(lse, r"lse with $\sigma_j = M - \delta_j$ again, for the lower bound")
    d.step(M + sp.log(tail) / lam, r"factor $e^{\lambda M}$ out of the sum")
    d.step(M + sp.log(1 + sp.Sum(sp.exp(-lam * dlt[j]), (j, 1, n - 1))) / lam,
           r"split off the term $j = n$: $e^{-\lambda\delta_n} = e^0 = 1$", subs={dlt[n]: 0})
    d.step(M, r"the remaining sum is $\ge 0$, so the log is $\ge 0$", relation=">=")
    return d.conclude(r"$0 \le \operatorname{lse} - \max\sigma \le \log(n)/\lambda \to 0$ as "
                      r"$\lambda\to\infty$.")

"""The sheet's theorems as sympy-verified derivations (exercise 2, bonus 4, 3(a)).

Each function returns a :class:`~exact.symbolic.derivation.Derivation` whose steps were all
verified when it was built; :data:`THEOREMS` maps the CLI names to the functions.  They
take no arguments; each raises :class:`~exact.errors.VerificationError` if sympy cannot
verify one of its steps (a change in sympy, never bad input).

Examples
--------
>>> d = gradient_is_softmax()
>>> d.verified, len(d.steps) > 2
(True, True)
>>> sorted(THEOREMS)[:3]
['bounds', 'gradient', 'hessian']
"""

from __future__ import annotations

import sympy as sp

from .derivation import Derivation, verify_equal
from .expressions import exp_sum, lse_sum, lse_vec, softmax_exact, softmax_sum, softmax_vec, symbols
from .limits import lambda_derivative, limit_infinity, limit_minus_infinity, limit_ties, limit_zero

__all__ = [
    "THEOREMS",
    "all_theorems",
    "softmax_values",
    "offset_invariance",
    "lse_offset",
    "temperature",
    "gradient_is_softmax",
    "softmax_sums_to_one",
    "hessian",
    "bounds",
    "limit_infinity",
    "limit_ties",
    "limit_minus_infinity",
    "limit_zero",
    "lambda_derivative",
    "max_regions",
    "parameter_count_formula",
]


def _piecewise_branch(expr, cond_ok):
    """Replace each Piecewise by its first branch, after checking its condition is a hypothesis."""

    def pick(pw):
        e, c = pw.args[0]
        if not cond_ok(c):
            raise ValueError(f"condition {c} is not implied by the hypotheses")
        return e

    return expr.replace(lambda x: isinstance(x, sp.Piecewise), pick)


def softmax_values() -> Derivation:
    """2(a): exact softmax of σ1, σ2, σ3; σ1 and σ2 agree, σ3 does not.

    Returns
    -------
    Derivation
        The exact softmax values, one step (σ2 to σ1) and three facts.

    Examples
    --------
    >>> softmax_values().steps[-1].expr
    Matrix([[1/(1 + E + exp(2)), E/(1 + E + exp(2)), exp(2)/(1 + E + exp(2))]])
    """
    s1, s2, s3 = [1, 2, 3], [11, 12, 13], [10, 20, 30]
    d = Derivation(
        "2(a) Softmax of the three vectors",
        r"$\operatorname{softmax}(\sigma_1) = \operatorname{softmax}(\sigma_2) \neq "
        r"\operatorname{softmax}(\sigma_3)$ for $\sigma_1=(1,2,3)$, $\sigma_2=(11,12,13)$, "
        r"$\sigma_3=(10,20,30)$, $\lambda = 1$",
    )
    p1, p3 = softmax_exact(s1), softmax_exact(s3)
    d.start(sp.Matrix(softmax_vec([sp.Integer(v) for v in s2], 1)).T, r"softmax of $\sigma_2$")
    d.step(sp.Matrix([p1]), r"divide numerator and denominator by $e^{10}$: equals softmax of $\sigma_1$")
    for name, p in (("sigma_1", p1), ("sigma_3", p3)):
        vals = ", ".join(f"{float(v):.6g}" for v in p)
        d.fact(
            rf"\operatorname{{softmax}}(\{name}) = ({sp.latex(p[0])}, {sp.latex(p[1])}, {sp.latex(p[2])})"
            rf"\approx ({vals})",
            "exact values",
            lambda p=p: sp.simplify(sum(p) - 1) == 0,
            "components sum to 1 (simplify)",
        )
    d.fact(
        r"\operatorname{softmax}(\sigma_3)_3 - \operatorname{softmax}(\sigma_1)_3 > 0",
        r"$\sigma_3 = 10\,\sigma_1$ is not a shift of $\sigma_1$",
        lambda: bool(sp.simplify(p3[2] - p1[2]).is_positive),
        "sign of the simplified difference",
    )
    return d.conclude(r"$\sigma_1$ and $\sigma_2$ (which differ by the offset 10) give identical results; "
                      r"$\sigma_3$ (a rescaling) does not.")


def offset_invariance() -> Derivation:
    """2(a)(i): softmax(σ + c·1) = softmax(σ) for symbolic n.

    Returns
    -------
    Derivation
        Three steps from the definition at σ + c·1 back to softmax(σ).

    Examples
    --------
    >>> offset_invariance().steps[-1].expr
    exp(lambda*sigma[k])/Sum(exp(lambda*sigma[j]), (j, 1, n))
    """
    lam, n, j, k, _, s, c, _ = symbols()
    d = Derivation(
        "2(a)(i) Offset invariance of softmax",
        r"$\operatorname{softmax}(\sigma + c\mathbf{1};\lambda)_k = \operatorname{softmax}(\sigma;\lambda)_k$",
        r"$n \in \mathbb{N}$ symbolic, $c \in \mathbb{R}$, $1 \le k \le n$",
    )
    S = exp_sum(s, lam, n, j)
    d.start(sp.exp(lam * (s[k] + c)) / sp.Sum(sp.exp(lam * (s[j] + c)), (j, 1, n)), "definition at σ + c·1")
    d.step(sp.exp(lam * c) * sp.exp(lam * s[k]) / sp.Sum(sp.exp(lam * c) * sp.exp(lam * s[j]), (j, 1, n)),
           r"$e^{\lambda(x + c)} = e^{\lambda c} e^{\lambda x}$")
    ec = sp.exp(lam * c)
    factored = sp.Mul(sp.Mul(ec, sp.exp(lam * s[k]), evaluate=False),
                      sp.Pow(sp.Mul(ec, S, evaluate=False), -1, evaluate=False), evaluate=False)
    d.step(factored, "the constant factor leaves the sum")  # unevaluated: the factor stays visible
    d.step(softmax_sum(s, lam, n, j, k), r"cancel $e^{\lambda c} \neq 0$")
    return d.conclude("softmax is invariant under adding the same constant to every input.")


def lse_offset() -> Derivation:
    """lse(σ + c·1) = lse(σ) + c for symbolic n.

    Returns
    -------
    Derivation
        Three steps from the definition at σ + c·1 to lse(σ) + c.

    Examples
    --------
    >>> lse_offset().steps[-1].expr
    c + log(Sum(exp(lambda*sigma[j]), (j, 1, n)))/lambda
    """
    lam, n, j, _, _, s, c, _ = symbols()
    d = Derivation("Offset equivariance of lse",
                   r"$\operatorname{lse}(\sigma + c\mathbf{1};\lambda) = \operatorname{lse}(\sigma;\lambda) + c$",
                   r"$n$ symbolic, $\lambda > 0$")
    S = exp_sum(s, lam, n, j)
    d.start(sp.log(sp.Sum(sp.exp(lam * (s[j] + c)), (j, 1, n))) / lam, "definition at σ + c·1")
    d.step(sp.log(sp.exp(lam * c) * S) / lam, r"factor $e^{\lambda c}$ out of the sum")
    d.step((lam * c + sp.log(S)) / lam, r"$\log(ab) = \log a + \log b$, $\log e^{\lambda c} = \lambda c$")
    d.step(lse_sum(s, lam, n, j) + c, "divide by λ")
    return d.conclude("shifting every input by c shifts lse by c.")


def temperature() -> Derivation:
    """2(a)(ii): rescaling is a temperature change, not an invariance.

    Returns
    -------
    Derivation
        One step to softmax at aλ and a counterexample fact.

    Examples
    --------
    >>> temperature().steps[-1].expr
    exp(a*lambda*sigma[k])/Sum(exp(a*lambda*sigma[j]), (j, 1, n))
    """
    lam, n, j, k, _, s, _, a = symbols()
    d = Derivation(
        "2(a)(ii) Rescaling the input changes the temperature",
        r"$\operatorname{softmax}(a\sigma;\lambda) = \operatorname{softmax}(\sigma; a\lambda)$, "
        r"which differs from $\operatorname{softmax}(\sigma;\lambda)$ in general",
        r"$a > 0$, $n$ symbolic",
    )
    d.start(sp.exp(lam * a * s[k]) / sp.Sum(sp.exp(lam * a * s[j]), (j, 1, n)), "definition at aσ")
    d.step(softmax_sum(s, a * lam, n, j, k), r"$\lambda (a\sigma_j) = (a\lambda)\sigma_j$")
    p1 = softmax_exact([1, 2, 3])
    p3 = softmax_exact([10, 20, 30])
    d.fact(r"\operatorname{softmax}(10\sigma_1;1)_1 \neq \operatorname{softmax}(\sigma_1;1)_1",
           r"counterexample $\sigma_3 = 10\sigma_1$",
           lambda: bool(sp.simplify(p1[0] - p3[0]).is_positive), "sign of the simplified difference")
    return d.conclude(r"rescaling by $a$ is the temperature change $\lambda \to a\lambda$; "
                      r"$\sigma_3 = 10\sigma_1$ shows it is not an invariance.")


def gradient_is_softmax() -> Derivation:
    """2(d): ∂lse/∂σ_k = softmax_k for symbolic n.

    Returns
    -------
    Derivation
        Chain rule, the Kronecker delta's pick, and cancelling λ.

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
    )
    L = lse_sum(s, lam, n, j)
    S = exp_sum(s, lam, n, j)
    g = sp.diff(L, s[k])
    d.start(sp.Derivative(L, s[k]), "derivative of the definition")
    d.step(g, r"chain rule: $(\log S)' = S'/S$, and $\partial \sigma_j / \partial \sigma_k = \delta_{jk}$",
           check=lambda: verify_equal(g, sp.diff(L, s[k])) is not None)
    # the Kronecker delta picks the j = k term: sympy's doit gives Piecewise((.., k <= n), (0, True))
    picked = _piecewise_branch(g.doit(), lambda c: c == sp.Le(k, n) or c == sp.true)
    d.step(picked, r"the sum over $\delta_{jk}$ keeps the term $j = k$ (since $1 \le k \le n$)",
           check=lambda: verify_equal(picked, lam * sp.exp(lam * s[k]) / (lam * S)) is not None)
    d.step(softmax_sum(s, lam, n, j, k), "cancel λ")
    return d.conclude(r"$\nabla \operatorname{lse}(\sigma;\lambda) = \operatorname{softmax}(\sigma;\lambda)$.")


def softmax_sums_to_one() -> Derivation:
    """Σ_k softmax_k = 1 for symbolic n.

    Returns
    -------
    Derivation
        Two steps to 1 and the positivity fact.

    Examples
    --------
    >>> softmax_sums_to_one().steps[-1].expr
    1
    """
    lam, n, j, k, _, s, _, _ = symbols()
    d = Derivation("Softmax is a probability vector",
                   r"$\sum_{k=1}^n \operatorname{softmax}(\sigma;\lambda)_k = 1$ and every component is positive",
                   r"$n$ symbolic")
    S = exp_sum(s, lam, n, j)
    d.start(sp.Sum(softmax_sum(s, lam, n, j, k), (k, 1, n)), "sum of the components")
    d.step(sp.Sum(sp.exp(lam * s[k]), (k, 1, n)) / S, "the denominator does not depend on k")
    d.step(sp.Integer(1), "numerator and denominator are the same sum (rename k to j)")
    d.fact(r"\operatorname{softmax}(\sigma;\lambda)_k > 0", "exponentials and their sums are positive",
           lambda: bool(softmax_sum(s, lam, n, j, k).is_positive), "sympy assumptions: is_positive")
    return d.conclude("softmax maps into the open probability simplex.")


def hessian() -> Derivation:
    """2(d): Hessian λ(diag p − p pᵀ): positive semidefinite, singular, so lse is convex.

    Returns
    -------
    Derivation
        The Hessian entries, H·1 = 0, and vᵀHv as a variance for n = 2, 3, 4.

    References
    ----------
    .. [1] S. Boyd and L. Vandenberghe, *Convex Optimization*, Cambridge University Press,
       2004, §3.1.5 (log-sum-exp: convexity and the bounds).

    Examples
    --------
    >>> hessian().steps[-1].why
    'collect: λ(δ_km p_k − p_k p_m)'
    """
    lam, n, j, k, m, s, _, _ = symbols()
    d = Derivation(
        "2(d) Hessian of lse: convex, with the direction 1 flat",
        r"$\frac{\partial^2 \operatorname{lse}}{\partial\sigma_k\partial\sigma_m} = "
        r"\lambda(\delta_{km} p_k - p_k p_m)$, $H \succeq 0$, $H\mathbf{1} = 0$",
        r"$n$ symbolic, $1 \le k, m \le n$, $p = \operatorname{softmax}(\sigma;\lambda)$, $\lambda > 0$",
    )
    p = softmax_sum(s, lam, n, j, k)
    pm = softmax_sum(s, lam, n, j, m)
    h = sp.diff(p, s[m]).doit()
    d.start(sp.Derivative(p, s[m]), "differentiate the gradient (= softmax)")
    h_picked = _piecewise_branch(h, lambda c: c == sp.Le(m, n) or c == sp.true)
    d.step(h_picked, "quotient rule; the δ in the sum keeps j = m (1 ≤ m ≤ n)",
           check=lambda: verify_equal(h_picked, lam * sp.KroneckerDelta(k, m) * p - lam * p * pm) is not None)
    d.step(lam * (sp.KroneckerDelta(k, m) * p - p * pm), "collect: λ(δ_km p_k − p_k p_m)")
    # row sums vanish: sum_m H_km = λ p_k (1 - Σ_m p_m) = 0
    row = sp.Sum(lam * (sp.KroneckerDelta(k, m) * p - p * pm), (m, 1, n))
    row_done = _piecewise_branch(row.doit(), lambda c: c == sp.Le(k, n) or c == sp.true)
    d.fact(r"(H\mathbf{1})_k = \sum_{m=1}^n \lambda(\delta_{km}p_k - p_k p_m) = \lambda p_k"
           r"\Bigl(1 - \sum_m p_m\Bigr) = 0",
           r"uses $\sum_m p_m = 1$: H is singular, $\mathbf{1}$ is in its kernel",
           lambda: verify_equal(row_done, 0) is not None, "doit and simplify, Σ p = 1 by sympy")
    # PSD for explicit n: v^T H v = λ Σ_k p_k (v_k - Σ_m p_m v_m)^2 >= 0
    for nn in (2, 3, 4):
        xs = sp.symbols(f"x1:{nn + 1}", real=True)
        vs = sp.symbols(f"v1:{nn + 1}", real=True)
        ps = softmax_vec(xs, lam)
        H = sp.Matrix(nn, nn, lambda a, b, xs=xs: sp.diff(lse_vec(xs, lam), xs[a], xs[b]))
        v = sp.Matrix(vs)
        mean = sum(ps[i] * vs[i] for i in range(nn))
        var = lam * sum(ps[i] * (vs[i] - mean) ** 2 for i in range(nn))
        d.fact(rf"n={nn}:\; v^\top H v = \lambda \sum_k p_k \Bigl(v_k - \sum_m p_m v_m\Bigr)^2 \ge 0",
               "a variance under p: a sum of nonnegative terms",
               lambda H=H, v=v, var=var: sp.simplify((v.T * H * v)[0] - var) == 0 and bool(var.is_nonnegative),
               "simplify(vᵀHv − λ·Var) = 0 and sympy assumptions: Var ≥ 0")
    return d.conclude("lse is convex (H ⪰ 0) but not strictly: H is singular along 1, where lse grows "
                      "linearly (lse(σ + c1) = lse(σ) + c).")


def bounds() -> Derivation:
    """2(e): max σ ≤ lse ≤ max σ + log(n)/λ for λ > 0.

    Returns
    -------
    Derivation
        The upper bound as a chain, the lower bound as a fact.

    References
    ----------
    .. [1] S. Boyd and L. Vandenberghe, *Convex Optimization*, Cambridge University Press,
       2004, §3.1.5 (log-sum-exp: convexity and the bounds).

    Examples
    --------
    >>> d = bounds()
    >>> d.steps[-1].relation, d.steps[-1].expr
    ('<=', M + log(n)/lambda)
    """
    lam, n, j, _, _, _, _, _ = symbols()
    M = sp.Symbol("M", real=True)
    dlt = sp.IndexedBase("delta", nonnegative=True)
    d = Derivation(
        "2(e) Bounds: lse is a smoothed max",
        r"$\max_j \sigma_j \le \operatorname{lse}(\sigma;\lambda) \le \max_j\sigma_j + \frac{\log n}{\lambda}$",
        r"$\lambda > 0$, $M = \max_j \sigma_j$, write $\sigma_j = M - \delta_j$ with $\delta_j \ge 0$ and "
        r"$\delta_{j^*} = 0$ for a maximiser $j^*$",
    )
    Ssum = sp.Sum(sp.exp(lam * (M - dlt[j])), (j, 1, n))
    d.start(sp.log(Ssum) / lam, "lse with σ_j = M − δ_j")
    d.step(M + sp.log(sp.Sum(sp.exp(-lam * dlt[j]), (j, 1, n))) / lam, r"factor $e^{\lambda M}$ out")
    x = sp.Symbol("x", real=True)

    def each_term_at_most_one() -> bool:
        return bool((-lam * dlt[j]).is_nonpositive) and bool(sp.diff(sp.exp(x), x).is_positive) and bool(
            sp.diff(sp.log(lam), lam).is_positive) and sp.exp(0) == 1

    d.step(M + sp.log(n) / lam, r"each $e^{-\lambda\delta_j} \le e^0 = 1$, so the sum is $\le n$; log is increasing",
           relation="<=", check=each_term_at_most_one,
           method="-λδ_j ≤ 0 (assumptions), exp and log increasing (derivatives > 0): Σ_j e^(-λδ_j) ≤ n")
    d.fact(r"\operatorname{lse} = M + \tfrac{1}{\lambda}\log\Bigl(1 + \sum_{j \ne j^*} e^{-\lambda\delta_j}\Bigr)"
           r"\ge M",
           "the sum holds the term e^0 = 1 of a maximiser, the others are positive",
           lambda: bool((sp.log(1 + sp.exp(-lam * dlt[j])) / lam).is_nonnegative),
           "sympy assumptions: log(1 + positive)/λ ≥ 0")
    return d.conclude(r"$0 \le \operatorname{lse} - \max\sigma \le \log(n)/\lambda \to 0$ as $\lambda\to\infty$.")


def max_regions() -> Derivation:
    """Bonus 4: n lines cut the plane into at most n(n+1)/2 + 1 regions.

    Returns
    -------
    Derivation
        rsolve of the recurrence, the closed form, and the d-dimensional count.

    References
    ----------
    .. [1] T. Zaslavsky, "Facing up to arrangements: face-count formulas for partitions of
       space by hyperplanes", *Memoirs of the AMS* 1(154), 1975.

    Examples
    --------
    >>> max_regions().steps[1].expr
    n*(n + 1)/2 + 1
    """
    n = sp.Symbol("n", integer=True, positive=True)
    R = sp.Function("R")
    d = Derivation(
        "4 (bonus) Maximal number of regions of n lines",
        r"$R_n = \frac{n(n+1)}{2} + 1 = \sum_{i=0}^{2}\binom{n}{i}$",
        r"the n-th line crosses the previous n−1 lines in n−1 distinct points (no parallels, no three "
        r"concurrent), which cut it into n pieces; each piece splits one region: $R_n = R_{n-1} + n$, $R_1 = 2$",
    )
    sol = sp.rsolve(R(n) - R(n - 1) - n, R(n), {R(1): 2})
    d.start(sol, "rsolve of R_n = R_{n−1} + n, R_1 = 2")
    d.step(n * (n + 1) / 2 + 1, "simplify")
    i = sp.Symbol("i", integer=True, nonnegative=True)
    d.step(sp.Sum(sp.binomial(n, i), (i, 0, 2)), r"$1 + n + \binom n2$",
           check=lambda: sp.simplify(sp.Sum(sp.binomial(n, i), (i, 0, 2)).doit() - n * (n + 1) / 2 - 1) == 0)
    d.fact(r"R_n - R_{n-1} = n,\ R_1 = 2", "the solution satisfies the recurrence",
           lambda: sp.simplify(sol - sol.subs(n, n - 1) - n) == 0 and sol.subs(n, 1) == 2,
           "substitute and simplify")
    d.fact(r"\text{input dimension } d:\ \sum_{i=0}^{d}\binom{n}{i},\ d=1:\ n+1",
           "general position in R^d (Zaslavsky); d = 1: n points cut a line into n + 1 intervals",
           lambda: sp.simplify(sp.Sum(sp.binomial(n, i), (i, 0, 1)).doit() - (n + 1)) == 0,
           "sum of binomials, simplify")
    return d.conclude(r"a 2→n→1 ReLU net has at most $n(n+1)/2+1$ linear regions, reached exactly when no two "
                      r"neuron lines are parallel and no three meet in a point; otherwise the count is "
                      r"$1 + L + \sum_p (m_p - 1)$.")


def parameter_count_formula() -> Derivation:
    """3(a): parameters of a 2→h→1 MLP, and of any widths.

    Returns
    -------
    Derivation
        Weights and biases per layer, evaluated at 2→20→1.

    Examples
    --------
    >>> parameter_count_formula().steps[-1].expr
    81
    """
    din, h, dout = sp.symbols("d h o", integer=True, positive=True)
    d = Derivation(
        "3(a) Number of parameters",
        r"an MLP with widths $n_0, \dots, n_L$ has $\sum_{l=1}^{L}(n_{l-1} + 1)\,n_l$ parameters; "
        r"$2\to20\to1$: 81",
        r"a dense layer $n_{l-1}\to n_l$ has an $n_l\times n_{l-1}$ weight matrix and $n_l$ biases",
    )
    d.start(din * h + h + h * dout + dout, "weights and biases of both layers")
    d.step((din + 1) * h + (h + 1) * dout, "group per layer")
    d.step(sp.Integer(81), "d = 2, h = 20, o = 1", subs={din: 2, h: 20, dout: 1},
           check=lambda: ((din + 1) * h + (h + 1) * dout).subs({din: 2, h: 20, dout: 1}) == 81)
    return d.conclude("81 parameters for the sheet's 2→20→1 net (40 + 20 + 20 + 1).")


THEOREMS = {
    "softmax-values": softmax_values,
    "offset": offset_invariance,
    "lse-offset": lse_offset,
    "temperature": temperature,
    "gradient": gradient_is_softmax,
    "sum-to-one": softmax_sums_to_one,
    "hessian": hessian,
    "bounds": bounds,
    "limit-infinity": limit_infinity,
    "limit-ties": limit_ties,
    "limit-minus-infinity": limit_minus_infinity,
    "limit-zero": limit_zero,
    "lambda-derivative": lambda_derivative,
    "max-regions": max_regions,
    "parameter-count": parameter_count_formula,
}


def all_theorems() -> list[Derivation]:
    """Build (and so verify) every derivation, in sheet order.

    Returns
    -------
    list of Derivation
        One per entry of :data:`THEOREMS`, in its order.

    Raises
    ------
    VerificationError
        If sympy cannot verify a step or fact (as every theorem function does).

    Examples
    --------
    >>> [d.title[:4] for d in all_theorems()][:3]  # about 4 s  # doctest: +SKIP
    ['2(a)', '2(a)', 'Offs']
    """
    return [f() for f in THEOREMS.values()]

"""The sheet's limits of lse and softmax as sympy-verified derivations (exercise 2(e)).

λ → ∞ (max and arg max, ties), λ → −∞ (min), λ → 0+ (uniform) and the λ-derivative of
lse.  Every limit is sympy's, accepted only after an mpmath cross-check
(:func:`~exact.symbolic.expressions.checked_limit`).  Each function returns a verified
:class:`~exact.symbolic.derivation.Derivation` and raises
:class:`~exact.errors.VerificationError` if sympy cannot verify one of its steps.
:data:`exact.symbolic.theorems.THEOREMS` lists them with the other theorems.

Examples
--------
>>> limit_minus_infinity().conclusion.startswith("λ → −∞")
True
"""

from __future__ import annotations

import sympy as sp

from .derivation import Derivation, verify_equal
from .expressions import checked_limit, exp_sum, lse_vec, softmax_sum, softmax_vec, symbols

__all__ = ["limit_infinity", "limit_ties", "limit_minus_infinity", "limit_zero", "lambda_derivative"]


def limit_infinity() -> Derivation:
    """2(e): lse → max and softmax → one-hot argmax as λ → ∞ (unique maximiser).

    Returns
    -------
    Derivation
        Five facts, each limit by sympy and cross-checked with mpmath.

    Examples
    --------
    >>> limit_infinity().facts[0].latex.endswith("= M")
    True
    """
    lam, n, j, _, _, _, _, _ = symbols()
    M = sp.Symbol("M", real=True)
    dgap = sp.Symbol("d", positive=True)
    d = Derivation(
        "2(e) The limit λ → ∞: max and arg max",
        r"$\lim_{\lambda\to\infty}\operatorname{lse}(\sigma;\lambda) = \max_j\sigma_j$ and "
        r"$\lim_{\lambda\to\infty}\operatorname{softmax}(\sigma;\lambda) = e_{j^*}$ "
        r"for a unique maximiser $j^*$",
        r"squeeze between the verified bounds; gaps $d = \sigma_{j^*} - \sigma_j > 0$",
    )
    up = checked_limit(M + sp.log(n) / lam, lam, sp.oo)
    d.fact(r"\lim_{\lambda\to\infty}\Bigl(M + \frac{\log n}{\lambda}\Bigr) = " + sp.latex(up),
           "upper bound tends to M; the lower bound is M: squeeze", lambda: up == M,
           "sympy limit, cross-checked with mpmath at 60 digits")
    off = checked_limit(sp.exp(-lam * dgap), lam, sp.oo)
    d.fact(r"\operatorname{softmax}_j = \frac{e^{-\lambda d_j}}{1 + \sum_{i\ne j^*} e^{-\lambda d_i}},\quad "
           r"\lim_{\lambda\to\infty} e^{-\lambda d} = " + sp.latex(off),
           "every non-maximal component tends to 0", lambda: off == 0,
           "sympy limit, cross-checked with mpmath")
    top = checked_limit(1 / (1 + (n - 1) * sp.exp(-lam * dgap)), lam, sp.oo)
    d.fact(r"\operatorname{softmax}_{j^*} \ge \frac{1}{1 + (n-1)e^{-\lambda d_{\min}}} \to " + sp.latex(top),
           "the maximal component tends to 1 (and is ≤ 1)", lambda: top == 1,
           "sympy limit, cross-checked with mpmath")
    # n = 2 directly, in the form sympy can decide: b = a - d with a gap d > 0
    a = sp.Symbol("a", real=True)
    two = sp.log(sp.exp(a * lam) + sp.exp((a - dgap) * lam)) / lam
    d.fact(r"\tfrac1\lambda\log(e^{a\lambda} + e^{(a-d)\lambda}) = a + \tfrac1\lambda\log(1 + e^{-d\lambda})",
           "n = 2, factor out the larger term",
           lambda: verify_equal(sp.exp(lam * two), sp.exp(lam * (a + sp.log(1 + sp.exp(-dgap * lam)) / lam)))
           is not None, "exp(λ·lhs) = exp(λ·rhs) by simplify; exp is injective")
    rest = checked_limit(sp.log(1 + sp.exp(-dgap * lam)) / lam, lam, sp.oo)
    d.fact(r"\lim_{\lambda\to\infty}\tfrac1\lambda\log(1 + e^{-d\lambda}) = " + sp.latex(rest),
           "so the n = 2 limit is a = max(a, a − d)", lambda: rest == 0,
           "sympy limit, cross-checked with mpmath")
    return d.conclude("lse → max and softmax → one-hot of the arg max.")


def limit_ties() -> Derivation:
    r"""2(e): with t tied maximisers softmax → uniform 1/t on them.

    Returns
    -------
    Derivation
        The squeeze of a maximal component and a three-entry example.

    Examples
    --------
    >>> limit_ties().facts[0].latex.endswith(r"\frac{1}{t}")
    True
    """
    lam = sp.Symbol("lambda", positive=True)
    t = sp.Symbol("t", integer=True, positive=True)
    r = sp.Symbol("r", integer=True, nonnegative=True)
    dgap = sp.Symbol("d", positive=True)
    d = Derivation(
        "2(e) Ties: the limit is uniform over the maximisers",
        r"if $t$ entries attain the max, $\operatorname{softmax}_j \to 1/t$ on them and $0$ elsewhere",
        r"$r$ further entries, smaller by at least $d > 0$",
    )
    lo = checked_limit(1 / (t + r * sp.exp(-lam * dgap)), lam, sp.oo)
    d.fact(r"\frac{1}{t + r e^{-\lambda d}} \le \operatorname{softmax}_{j^*} \le \frac1t,\quad "
           r"\lim_{\lambda\to\infty}\frac{1}{t + r e^{-\lambda d}} = " + sp.latex(lo),
           "squeeze of a maximal component", lambda: sp.simplify(lo - 1 / t) == 0,
           "sympy limit, cross-checked with mpmath")
    ps = softmax_vec([sp.Integer(0), sp.Integer(0), -dgap], lam)  # (x, x, x - d) shifted by -x
    val = [checked_limit(p, lam, sp.oo) for p in ps]
    d.fact(r"\sigma = (x, x, x - d) \sim (0, 0, -d):\ \lim_{\lambda\to\infty}\operatorname{softmax} = "
           + sp.latex(sp.Matrix([val])), "example with a tie (offset invariance removes x)",
           lambda: val == [sp.Rational(1, 2)] * 2 + [0], "sympy limit, cross-checked with mpmath")
    return d.conclude("ties are broken uniformly: the limit is the uniform distribution on the arg max set.")


def limit_minus_infinity() -> Derivation:
    """2(e): λ → −∞ gives min and arg min.

    Returns
    -------
    Derivation
        The rewrite as −lse(−σ; μ) and the n = 2 limit.

    Examples
    --------
    >>> limit_minus_infinity().steps[-1].expr
    -log(Sum(exp(-mu*sigma[j]), (j, 1, n)))/mu
    """
    lam, n, j, _, _, s, _, _ = symbols()
    mu = sp.Symbol("mu", positive=True)
    d = Derivation(
        "2(e) The limit λ → −∞: min and arg min",
        r"$\operatorname{lse}(\sigma;-\mu) = -\operatorname{lse}(-\sigma;\mu) \to "
        r"-\max(-\sigma) = \min\sigma$",
        r"$\lambda = -\mu$, $\mu > 0$",
    )
    d.start(sp.log(sp.Sum(sp.exp(-mu * s[j]), (j, 1, n))) / (-mu), "lse at λ = −μ")
    d.step(-(sp.log(sp.Sum(sp.exp(mu * (-s[j])), (j, 1, n))) / mu), "rewrite: −lse(−σ; μ)")
    b = sp.Symbol("b", real=True)
    gap = sp.Symbol("d", positive=True)
    two = -sp.log(sp.exp(-b * mu) + sp.exp(-(b + gap) * mu)) / mu
    d.fact(r"n = 2,\ \sigma = (b, b + d):\ -\tfrac{1}{\mu}\log(e^{-b\mu} + e^{-(b+d)\mu}) = "
           r"b - \tfrac1\mu\log(1 + e^{-d\mu})", "factor out the smaller entry's term",
           lambda: verify_equal(two, b - sp.log(1 + sp.exp(-gap * mu)) / mu) is not None,
           "logcombine/expand_log and simplify")
    lim = checked_limit(sp.log(1 + sp.exp(-gap * mu)) / mu, mu, sp.oo)
    d.fact(r"\lim_{\mu\to\infty}\tfrac1\mu\log(1 + e^{-d\mu}) = " + sp.latex(lim),
           "so the limit is b = min σ", lambda: lim == 0, "sympy limit, cross-checked with mpmath")
    return d.conclude("λ → −∞ turns lse into the min and softmax into the (uniform over ties) arg min.")


def limit_zero() -> Derivation:
    """2(e): λ → 0+: softmax uniform, lse ~ log(n)/λ + mean(σ).

    Returns
    -------
    Derivation
        One fact per n = 2, 3, 4.

    Examples
    --------
    Building it takes about 2 s; its first limit for n = 2, by hand:

    >>> lam, x1, x2 = sp.Symbol("lambda", positive=True), *sp.symbols("x1:3", real=True)
    >>> checked_limit(softmax_vec([x1, x2], lam)[0], lam, 0)
    1/2
    """
    lam = sp.Symbol("lambda", positive=True)
    d = Derivation(
        "2(e) The limit λ → 0+: uniform weights",
        r"$\operatorname{softmax}(\sigma;\lambda) \to \frac1n\mathbf{1}$ and "
        r"$\operatorname{lse}(\sigma;\lambda) - \frac{\log n}{\lambda} \to \frac1n\sum_j\sigma_j$",
        r"checked for n = 2, 3, 4 with symbolic entries",
    )
    for nn in (2, 3, 4):
        xs = sp.symbols(f"x1:{nn + 1}", real=True)
        p0 = checked_limit(softmax_vec(xs, lam)[0], lam, 0)
        rest = checked_limit(lse_vec(xs, lam) - sp.log(nn) / lam, lam, 0)
        d.fact(rf"n = {nn}:\ \lim_{{\lambda\to0^+}}\operatorname{{softmax}}_1 = {sp.latex(p0)},\ "
               rf"\lim_{{\lambda\to0^+}}\Bigl(\operatorname{{lse}} - \tfrac{{\log {nn}}}{{\lambda}}\Bigr) = "
               + sp.latex(rest),
               "sympy limits, cross-checked with mpmath",
               lambda p0=p0, rest=rest, xs=xs, nn=nn: p0 == sp.Rational(1, nn)
               and sp.simplify(rest - sum(xs) / nn) == 0,
               "equal 1/n and the mean")
    return d.conclude(r"as $\lambda\to0^+$ softmax forgets σ and lse diverges like $\log(n)/\lambda$.")


def lambda_derivative() -> Derivation:
    """2(e): d lse/dλ = −H(p)/λ² ≤ 0 (entropy H).

    Returns
    -------
    Derivation
        Four steps to −H(p)/λ², the entropy identity and H ≥ 0.

    Examples
    --------
    >>> lambda_derivative().steps[-1].relation
    '='
    """
    lam, n, j, k, _, s, _, _ = symbols()
    d = Derivation(
        "2(e) lse decreases in λ",
        r"$\frac{\partial}{\partial\lambda}\operatorname{lse}(\sigma;\lambda) = "
        r"-\frac{H(p)}{\lambda^2} \le 0$, "
        r"$H(p) = -\sum_k p_k\log p_k$",
        r"$n$ symbolic, $p = \operatorname{softmax}(\sigma;\lambda)$, $\lambda > 0$",
    )
    S = exp_sum(s, lam, n, j)
    L = sp.log(S) / lam
    dL = sp.diff(L, lam)
    d.start(sp.Derivative(L, lam), "derivative of the definition")
    d.step(dL, "quotient and chain rule", check=lambda: verify_equal(dL, sp.diff(L, lam)) is not None)
    sp_sum = sp.Sum(s[j] * sp.exp(lam * s[j]), (j, 1, n)) / S
    d.step(-sp.log(S) / lam**2 + sp_sum / lam,
           r"write $\sum_j \sigma_j e^{\lambda\sigma_j}/S = \sum_j p_j\sigma_j$")
    # H(p) = -Σ p_k log p_k = log S - λ Σ p_k σ_k (using Σ p_k = 1)
    H = sp.log(S) - lam * sp_sum
    d.step(-H / lam**2,
           r"$H(p) = -\sum_k p_k(\lambda\sigma_k - \log S) = \log S - \lambda\sum_k p_k\sigma_k$")
    p = softmax_sum(s, lam, n, j, k)
    ent = -sp.Sum(p * sp.log(p), (k, 1, n))
    d.fact(r"H(p) = -\sum_k p_k \log p_k = \log S - \lambda \sum_k p_k \sigma_k",
           "expand log p_k = λσ_k − log S and use Σ p_k = 1",
           lambda: verify_equal(sp.expand_log(ent, force=True).doit(), H) is not None
           or _entropy_identity(ent, H, s, lam, k, n, S), "sympy: expand_log, pull constants out of the sums")
    q = sp.Symbol("q", positive=True)
    d.fact(r"0 < p_k \le 1 \Rightarrow -p_k \log p_k \ge 0 \Rightarrow H(p) \ge 0",
           "each entropy term is nonnegative", lambda: bool((-sp.log(q / (1 + q))).is_nonnegative),
           "sympy assumptions: −log(q/(1+q)) ≥ 0 for q > 0")
    return d.conclude("lse is nonincreasing in λ: cooling (λ ↑) moves it down towards the max.")


def _entropy_identity(ent, H, s, lam, k, n, S) -> bool:
    # Σ_k p_k log p_k = Σ_k p_k (λσ_k − log S) = λ Σ p_k σ_k − log S · Σ p_k, with Σ p_k = 1
    p = sp.exp(lam * s[k]) / S
    lhs = sp.Sum(p * (lam * s[k] - sp.log(S)), (k, 1, n))
    a = sp.Sum(lam * s[k] * p, (k, 1, n))
    b = sp.log(S) * sp.Sum(p, (k, 1, n))
    ok1 = verify_equal(lhs, a - b) is not None
    ok2 = verify_equal(sp.Sum(p, (k, 1, n)), 1) is not None
    ok3 = verify_equal(-(a - sp.log(S)), H) is not None
    return ok1 and ok2 and ok3

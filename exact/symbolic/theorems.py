r"""The sheet's theorems as checked derivations (exercise 2, bonus 4, 3(a)), and their registry.

Each function returns a :class:`~exact.symbolic.derivation.Derivation` whose links were all
checked when it was built (sympy and, independently, mpmath at random points; inequalities by
a proof of the sign of the difference); :data:`THEOREMS` maps the CLI names to the functions,
each building its theorem once per process (:func:`~.premises.shared_theorem`), so that a
theorem cited by another (:func:`~.premises.cited_check`) is built once in a run.
They take no arguments; each raises :class:`~exact.errors.VerificationError` if a link
cannot be verified (a change in sympy, never bad input).  This module holds 2(a); the others
live in :mod:`.calculus` (gradient, Hessian, bounds), :mod:`.limits` (2(e)) and
:mod:`.counting` (bonus 4, 3(a)).

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

from .calculus import bounds, gradient_is_softmax, hessian, softmax_sums_to_one
from .checks import approx_check, equal_check
from .counting import max_regions, parameter_count_formula
from .derivation import Derivation
from .expressions import exp_sum, lse_sum, softmax_exact, softmax_sum, softmax_vec, symbols
from .limits import lambda_derivative, limit_infinity, limit_minus_infinity, limit_ties, limit_zero
from .premises import shared_theorem
from .render import latex_document

__all__ = [
    "THEOREMS",
    "all_theorems",
    "latex_document",
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


def _decimals(values) -> sp.Matrix:
    return sp.Matrix([[sp.Float(f"{float(v):.6g}", 15) for v in values]])


def softmax_values() -> Derivation:
    r"""2(a): exact softmax of σ1, σ2, σ3; σ1 and σ2 agree, σ3 does not.

    Returns
    -------
    Derivation
        softmax(σ2) rewritten into softmax(σ1), their values, and softmax(σ3) ≠ softmax(σ1).

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
    d.start(sp.Matrix([softmax_vec([sp.Integer(v) for v in s2], 1)]), r"$\operatorname{softmax}(\sigma_2)$ by definition")
    d.step(sp.Matrix([softmax_vec([sp.Integer(v) for v in s1], 1)]),
           r"divide numerator and denominator by $e^{10}$: this is $\operatorname{softmax}(\sigma_1)$ by definition")
    d.step(sp.Matrix([p1]), r"divide numerator and denominator by $e$")
    d.fact(sp.Matrix([p1]), "approx", _decimals(p1), "decimal values", check=approx_check(),
           label=r"\operatorname{softmax}(\sigma_1) =")
    d.fact(sp.Matrix([softmax_vec([sp.Integer(v) for v in s3], 1)]), "=", sp.Matrix([p3]),
           r"divide numerator and denominator by $e^{10}$", label=r"\operatorname{softmax}(\sigma_3) =")
    d.fact(sp.Matrix([p3]), "approx", _decimals(p3), "decimal values", check=approx_check())
    d.fact(softmax_vec([sp.Integer(v) for v in s3], 1)[2] - softmax_vec([sp.Integer(v) for v in s1], 1)[2], ">", 0,
           r"so $\operatorname{softmax}(\sigma_3) \neq \operatorname{softmax}(\sigma_1)$: "
           r"$\sigma_3 = 10\,\sigma_1$ is not a shift of $\sigma_1$",
           label=r"\operatorname{softmax}(\sigma_3)_3 - \operatorname{softmax}(\sigma_1)_3 =")
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
        r"$n \in \mathbb{N}$ symbolic, $c \in \mathbb{R}$, $1 \le k \le n$, $\lambda > 0$ (for $\lambda < 0$ "
        r"apply it to $-\sigma$: 2(e) The limit λ → −∞)",
        hypotheses=(sp.Le(k, n),),
    )
    S = exp_sum(s, lam, n, j)
    d.start(sp.exp(lam * (s[k] + c)) / sp.Sum(sp.exp(lam * (s[j] + c)), (j, 1, n)),
            r"definition at $\sigma + c\mathbf{1}$")
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
    d.start(sp.log(sp.Sum(sp.exp(lam * (s[j] + c)), (j, 1, n))) / lam, r"definition at $\sigma + c\mathbf{1}$")
    d.step(sp.log(sp.exp(lam * c) * S) / lam, r"factor $e^{\lambda c}$ out of the sum")
    d.step((lam * c + sp.log(S)) / lam, r"$\log(ab) = \log a + \log b$, $\log e^{\lambda c} = \lambda c$")
    d.step(lse_sum(s, lam, n, j) + c, r"divide by $\lambda$")
    return d.conclude("shifting every input by c shifts lse by c.")


def temperature() -> Derivation:
    r"""2(a)(ii): rescaling is a temperature change, not an invariance.

    Returns
    -------
    Derivation
        One step to softmax at μ = aλ and a counterexample fact.

    Examples
    --------
    >>> temperature().steps[-1].expr
    exp(mu*sigma[k])/Sum(exp(mu*sigma[j]), (j, 1, n))
    """
    lam, n, j, k, _, s, _, a = symbols()
    mu = sp.Symbol("mu", positive=True)
    d = Derivation(
        "2(a)(ii) Rescaling the input changes the temperature",
        r"$\operatorname{softmax}(a\sigma;\lambda) = \operatorname{softmax}(\sigma; a\lambda)$, which "
        r"differs from $\operatorname{softmax}(\sigma;\lambda)$ in general",
        r"$a > 0$, $n$ symbolic, $\lambda > 0$ (for $\lambda < 0$ apply it to $-\sigma$: 2(e) The limit "
        r"λ → −∞)",
    )
    d.start(sp.exp(lam * a * s[k]) / sp.Sum(sp.exp(lam * a * s[j]), (j, 1, n)), r"definition at $a\sigma$")
    d.step(softmax_sum(s, mu, n, j, k),
           r"write $\mu = a\lambda$: $\lambda(a\sigma_j) = (a\lambda)\sigma_j = \mu\sigma_j$, so this is "
           r"$\operatorname{softmax}(\sigma;\mu)_k$", check=equal_check(subs={mu: a * lam}))
    p1 = softmax_vec([sp.Integer(v) for v in (1, 2, 3)], 1)
    p3 = softmax_vec([sp.Integer(v) for v in (10, 20, 30)], 1)
    d.fact(p1[0] - p3[0], ">", 0, r"counterexample $\sigma_3 = 10\sigma_1$ at $\lambda = 1$, i.e. $a = 10$",
           label=r"\operatorname{softmax}(\sigma_1;1)_1 - \operatorname{softmax}(10\sigma_1;1)_1 =")
    return d.conclude(r"rescaling by $a$ is the temperature change $\lambda \to a\lambda$; "
                      r"$\sigma_3 = 10\sigma_1$ shows it is not an invariance.")


THEOREMS = {name: shared_theorem(f) for name, f in {
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
}.items()}


def all_theorems() -> list[Derivation]:
    """Build (and so verify) every derivation, in sheet order.

    Returns
    -------
    list of Derivation
        One per entry of :data:`THEOREMS`, in its order.

    Raises
    ------
    VerificationError
        If a step or fact cannot be verified (as every theorem function does).

    Examples
    --------
    >>> [d.title[:4] for d in all_theorems()][:3]  # about 10 s  # doctest: +SKIP
    ['2(a)', '2(a)', 'Offs']
    """
    return [f() for f in THEOREMS.values()]

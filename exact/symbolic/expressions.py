"""Symbolic lse and softmax (sympy), exact values, and limits cross-checked with mpmath.

Examples
--------
>>> import sympy as sp
>>> softmax_exact([1, 2, 3])[2]
exp(2)/(1 + E + exp(2))
>>> x = sp.Symbol("x", positive=True)
>>> checked_limit(1 / x, x, sp.oo)
0
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

import mpmath
import sympy as sp

from ..errors import VerificationError

__all__ = [
    "symbols",
    "exp_sum",
    "lse_sum",
    "softmax_sum",
    "lse_vec",
    "softmax_vec",
    "softmax_exact",
    "checked_limit",
    "numeric_limit_check",
]


def symbols():
    """Return the shared symbols: λ > 0, n, indices j, k, m, the vector σ, offset c, factor a > 0.

    Returns
    -------
    tuple
        ``(lam, n, j, k, m, sigma, c, a)``: ``lam`` positive; ``n``, ``j``, ``k``, ``m``
        positive integers; ``sigma`` a real ``IndexedBase``; ``c`` real; ``a`` positive.
        The same call always gives the same (equal) symbols.

    Examples
    --------
    >>> lam, n, j, k, m, sigma, c, a = symbols()
    >>> lam, lam.is_positive, n.is_integer, sigma[j].is_real
    (lambda, True, True, True)
    """
    lam = sp.Symbol("lambda", positive=True)
    n = sp.Symbol("n", integer=True, positive=True)
    j, k, m = sp.symbols("j k m", integer=True, positive=True)
    sigma = sp.IndexedBase("sigma", real=True)
    c = sp.Symbol("c", real=True)
    a = sp.Symbol("a", positive=True)
    return lam, n, j, k, m, sigma, c, a


def exp_sum(sigma, lam, n, j):
    """Build the partition sum ``Σ_{j=1}^n exp(λ σ_j)`` for symbolic ``n``.

    Parameters
    ----------
    sigma : sympy.IndexedBase
        The vector σ.
    lam : sympy.Expr
        The inverse temperature λ.
    n : sympy.Symbol
        The length of σ.
    j : sympy.Symbol
        The summation index.

    Returns
    -------
    sympy.Sum
        Unevaluated.

    Examples
    --------
    >>> lam, n, j, k, m, sigma, c, a = symbols()
    >>> exp_sum(sigma, lam, n, j)
    Sum(exp(lambda*sigma[j]), (j, 1, n))
    """
    return sp.Sum(sp.exp(lam * sigma[j]), (j, 1, n))


def lse_sum(sigma, lam, n, j):
    """Build the log-sum-exp ``(1/λ) log Σ_{j=1}^n exp(λ σ_j)`` for symbolic ``n``.

    Parameters
    ----------
    sigma, lam, n, j
        As in :func:`exp_sum`.

    Returns
    -------
    sympy.Expr
        ``log(exp_sum(sigma, lam, n, j)) / lam``.

    Notes
    -----
    For λ > 0 it is a convex, smoothed maximum of σ: ``max σ ≤ lse ≤ max σ + log(n)/λ``
    (derived in :func:`exact.symbolic.theorems.bounds` and
    :func:`~exact.symbolic.theorems.hessian`).

    References
    ----------
    .. [1] S. Boyd and L. Vandenberghe, *Convex Optimization*, Cambridge University
       Press, 2004, §3.1.5 (log-sum-exp is convex).

    Examples
    --------
    >>> lam, n, j, k, m, sigma, c, a = symbols()
    >>> lse_sum(sigma, lam, n, j)
    log(Sum(exp(lambda*sigma[j]), (j, 1, n)))/lambda
    """
    return sp.log(exp_sum(sigma, lam, n, j)) / lam


def softmax_sum(sigma, lam, n, j, k):
    """Build the softmax component ``exp(λ σ_k) / Σ_{j=1}^n exp(λ σ_j)`` for symbolic ``n``.

    Parameters
    ----------
    sigma, lam, n, j
        As in :func:`exp_sum`.
    k : sympy.Symbol
        The component's index.

    Returns
    -------
    sympy.Expr
        ``exp(lam * sigma[k]) / exp_sum(sigma, lam, n, j)``.

    Examples
    --------
    >>> lam, n, j, k, m, sigma, c, a = symbols()
    >>> softmax_sum(sigma, lam, n, j, k)
    exp(lambda*sigma[k])/Sum(exp(lambda*sigma[j]), (j, 1, n))
    """
    return sp.exp(lam * sigma[k]) / exp_sum(sigma, lam, n, j)


def lse_vec(xs: Sequence, lam):
    """Build the log-sum-exp ``(1/λ) log Σ_i exp(λ x_i)`` of an explicit vector.

    Parameters
    ----------
    xs : sequence of sympy.Expr, length n
        The entries (numbers are accepted and stay exact).
    lam : sympy.Expr or number
        The inverse temperature λ.

    Returns
    -------
    sympy.Expr
        Not simplified.

    References
    ----------
    .. [1] S. Boyd and L. Vandenberghe, *Convex Optimization*, Cambridge University
       Press, 2004, §3.1.5 (log-sum-exp is convex).

    Examples
    --------
    >>> x, y, lam = sp.symbols("x y lambda")
    >>> lse_vec([x, y], lam)
    log(exp(lambda*x) + exp(lambda*y))/lambda
    >>> lse_vec([0, 0], 1)
    log(2)
    """
    return sp.log(sum(sp.exp(lam * x) for x in xs)) / lam


def softmax_vec(xs: Sequence, lam):
    """Build the softmax ``exp(λ x_k) / Σ_i exp(λ x_i)`` of an explicit vector, as a list.

    Parameters
    ----------
    xs : sequence of sympy.Expr, length n
        The entries.
    lam : sympy.Expr or number
        The inverse temperature λ.

    Returns
    -------
    list of sympy.Expr, length n
        The components, not simplified.

    Examples
    --------
    >>> x, y, lam = sp.symbols("x y lambda")
    >>> softmax_vec([x, y], lam)[0]
    exp(lambda*x)/(exp(lambda*x) + exp(lambda*y))
    """
    s = sum(sp.exp(lam * x) for x in xs)
    return [sp.exp(lam * x) / s for x in xs]


def softmax_exact(values: Sequence, lam=1) -> list:
    """Compute the exact softmax of rationals/integers as sympy expressions (simplified).

    Parameters
    ----------
    values : sequence of int, Fraction, Decimal, float or sympy number, length n
        Floats go through :func:`sympy.nsimplify`, so ``0.5`` becomes ``1/2``; Decimals are
        read exactly.
    lam : number, default 1
        The inverse temperature λ (also nsimplified).

    Returns
    -------
    list of sympy.Expr, length n
        The components, each simplified.

    Examples
    --------
    >>> [float(v) for v in softmax_exact([0, 0])]
    [0.5, 0.5]
    >>> softmax_exact([0, 1], lam=2)
    [1/(1 + exp(2)), exp(2)/(1 + exp(2))]
    """
    xs = [_rational(v) for v in values]
    return [sp.simplify(v) for v in softmax_vec(xs, _rational(lam))]


def _rational(v):
    """Read a Decimal exactly (nsimplify would guess: 0.333...3 -> 1/3), nsimplify anything else."""
    if isinstance(v, Decimal) and v.is_finite():
        q = Fraction(v)
        return sp.Rational(q.numerator, q.denominator)
    return sp.nsimplify(v)


def _sample_value(sym: sp.Symbol, rng: random.Random):
    if sym.is_integer:
        return rng.randint(1, 5)
    v = rng.uniform(0.2, 3.0)
    if sym.is_positive or sym.is_nonnegative:
        return v
    if sym.is_negative:
        return -v
    return rng.choice([-1, 1]) * v


def numeric_limit_check(expr, var, point, value, *, dir: str = "+", samples: int = 6, seed: int = 0,
                        dps: int = 60) -> bool:
    """Check ``lim_{var -> point} expr == value`` numerically at high precision.

    Free symbols other than ``var`` get random values that respect their assumptions
    (several draws, so that e.g. both orderings of two positive symbols occur); the
    expression is evaluated with mpmath at ``dps`` digits at ``var = ±1e12`` (or
    ``point ± 1e-12`` on the side ``dir``) and must agree with ``value`` to 1e-6 relative.

    Parameters
    ----------
    expr : sympy.Expr
        The expression whose limit is checked.
    var : sympy.Symbol
        The variable that tends to ``point``.
    point : sympy.Expr
        ``sympy.oo``, ``-sympy.oo`` or a finite value.
    value : sympy.Expr
        The claimed limit; it may contain the other free symbols.
    dir : {"+", "-", "+-"}, default "+"
        The side from which a finite ``point`` is approached (``"+-"``: both).
    samples : int, default 6
        Number of random draws of the other free symbols.
    seed : int, default 0
        Seed of those draws.
    dps : int, default 60
        Decimal digits of the evaluation.

    Returns
    -------
    bool
        True when every draw agrees (infinite values must be equal); a numerical
        check, not a proof.

    Examples
    --------
    >>> lam = sp.Symbol("lambda", positive=True)
    >>> numeric_limit_check(sp.exp(-lam), lam, sp.oo, 0), numeric_limit_check(sp.exp(-lam), lam, sp.oo, 1)
    (True, False)
    >>> x = sp.Symbol("x", real=True)
    >>> numeric_limit_check(sp.sign(x), x, 0, -1, dir="-"), numeric_limit_check(sp.sign(x), x, 0, -1)
    (True, False)
    """
    if dir not in ("+", "-", "+-"):
        raise ValueError(f"dir must be '+', '-' or '+-', got {dir!r}")
    rng = random.Random(seed)
    free = sorted((expr.free_symbols | sp.sympify(value).free_symbols) - {var}, key=str)
    if point in (sp.oo, -sp.oo):
        ats = [sp.Integer(10) ** 12 * (1 if point == sp.oo else -1)]
    else:
        ats = [point + s * sp.Rational(1, 10**12) for s, side in ((1, "+"), (-1, "-")) if side in dir]
    with mpmath.workdps(dps):
        for _ in range(samples):
            env = {s: sp.nsimplify(_sample_value(s, rng)) for s in free}
            want = sp.N(sp.sympify(value).subs(env), dps)
            for at in ats:
                got = sp.N(expr.subs(env).subs(var, at), dps)
                if not (got.is_finite and want.is_finite):
                    if got != want:
                        return False
                elif abs(got - want) > sp.Float("1e-6", dps) * (1 + abs(want)):
                    return False
    return True


def checked_limit(expr, var, point, *, dir: str = "+", samples: int = 6):
    """Compute sympy's limit, accepted only after an mpmath cross-check at high precision.

    Parameters
    ----------
    expr : sympy.Expr
        The expression.
    var : sympy.Symbol
        The variable that tends to ``point``.
    point : sympy.Expr
        ``sympy.oo``, ``-sympy.oo`` or a finite value.
    dir : {"+", "-", "+-"}, default "+"
        The side of a finite ``point``, for :func:`sympy.limit` and the numerical cross-check.
    samples : int, default 6
        Random draws of the other free symbols in :func:`numeric_limit_check`.

    Returns
    -------
    sympy.Expr
        The limit that sympy computed and the numerical check confirmed.

    Raises
    ------
    VerificationError
        If sympy fails, or its answer disagrees with the numerical evaluation (e.g.
        sympy 1.14 returns ``b`` for ``lim log(exp(a λ) + exp(b λ))/λ`` with positive
        ``a, b``, which is wrong whenever ``a > b``: sympy issue 22893).

    Examples
    --------
    >>> x, y, lam = sp.symbols("x y lambda", positive=True)
    >>> checked_limit(softmax_vec([x, y], lam)[0], lam, 0)
    1/2
    >>> a, b = sp.symbols("a b", positive=True)
    >>> checked_limit(sp.log(sp.exp(a * lam) + sp.exp(b * lam)) / lam, lam, sp.oo)
    Traceback (most recent call last):
    ...
    exact.errors.VerificationError: sympy's limit b of log(exp(a*lambda) + exp(b*lambda))/lambda ...
    """
    try:
        val = sp.limit(expr, var, point, dir=dir)
    except Exception as exc:
        raise VerificationError(f"sympy could not compute the limit of {sp.sstr(expr)}: {exc}") from None
    if not numeric_limit_check(expr, var, point, val, dir=dir, samples=samples):
        raise VerificationError(
            f"sympy's limit {sp.sstr(val)} of {sp.sstr(expr)} as {var} -> {point} disagrees with "
            "a high-precision numerical evaluation"
        )
    return val

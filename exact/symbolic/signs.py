"""Proofs of signs: certified interval evaluation and a few structural rules.

An inequality step ``a <= b`` is checked by proving ``b - a >= 0`` here; the proof is
returned in words, so a rendered derivation says how its inequality was checked.
:func:`enclosure` evaluates an expression in interval arithmetic (:mod:`mpmath.iv`, whose
rounding is outward) over the domains of its symbols; :func:`prove_nonnegative` combines it
with sympy's assumptions and with rules that are lemmas: a product's sign from its factors',
a sum of nonnegative terms, ``log a - log b >= 0`` when ``a - b >= 0`` (log increases),
``1/a - 1/b >= 0`` when ``a > 0`` and ``b - a >= 0`` (1/x decreases on x > 0),
``N c - sum_{j=1}^N f_j = sum_j (c - f_j)``, even powers, ``log a >= 0`` when ``a >= 1``.

Examples
--------
>>> import sympy as sp
>>> lam, d = sp.Symbol("lambda", positive=True), sp.Symbol("d", nonnegative=True)
>>> print(prove_nonnegative(1 - sp.exp(-lam * d)))
`1 - exp(-d*lambda)` in [0, 1] by interval arithmetic (mpmath.iv) for `d` >= 0, `lambda` >= 0
>>> prove_nonnegative(sp.exp(-lam * d) - 1) is None
True
"""

from __future__ import annotations

import mpmath
import sympy as sp
from mpmath import iv

__all__ = ["enclosure", "prove_nonnegative", "default_domain"]

_MAX_DEPTH = 8


def default_domain(atom: sp.Basic) -> tuple:
    """Return the interval a symbol ranges over according to its sympy assumptions.

    Parameters
    ----------
    atom : sympy.Symbol or sympy.Indexed
        The symbol.

    Returns
    -------
    tuple of two numbers or ``±mpmath.inf``
        Closed ends (an open end is widened to closed, which keeps every proof valid).

    Raises
    ------
    ValueError
        When the symbol is not known to be real.

    Examples
    --------
    >>> default_domain(sp.Symbol("n", integer=True, positive=True))
    (1, mpf('+inf'))
    """
    inf = mpmath.inf
    if atom.is_integer and atom.is_positive:
        return (1, inf)
    if atom.is_nonnegative:
        return (0, inf)
    if atom.is_nonpositive:
        return (-inf, 0)
    if atom.is_real:
        return (-inf, inf)
    raise ValueError(f"{atom} is not known to be real")


def enclosure(expr: sp.Basic, domains: dict | None = None):
    """Enclose the values of ``expr`` over its symbols' domains in interval arithmetic.

    Parameters
    ----------
    expr : sympy.Expr
        Built from numbers, ``E``, ``pi``, symbols, ``+``, ``*``, powers, ``exp`` and ``log``.
    domains : dict, optional
        ``{symbol or Indexed: (lo, hi)}``; other symbols range over :func:`default_domain`.

    Returns
    -------
    mpmath.iv.mpf
        An interval that contains every value (outward rounding).

    Raises
    ------
    ValueError
        For an unsupported function, a symbol not known to be real, or a log of an
        interval reaching below 0.

    Examples
    --------
    >>> enclosure(sp.exp(2) / (1 + sp.E + sp.exp(2))).a > 0.66
    True
    """
    domains = domains or {}
    e = sp.sympify(expr)
    if e in domains or isinstance(e, (sp.Symbol, sp.Indexed)):
        lo, hi = domains.get(e) or default_domain(e)
        return iv.mpf([lo, hi])
    if isinstance(e, sp.Rational):
        return iv.mpf(e.p) / iv.mpf(e.q)
    if isinstance(e, sp.Float):
        return iv.mpf(e._mpf_)
    if e is sp.E:
        return iv.e
    if e is sp.pi:
        return iv.pi
    args = [enclosure(a, domains) for a in e.args]
    if isinstance(e, sp.Add):
        return sum(args[1:], args[0])
    if isinstance(e, sp.Mul):
        out = args[0]
        for a in args[1:]:
            out = out * a
        return out
    if isinstance(e, sp.Pow):
        if e.exp.is_Integer:
            return args[0] ** int(e.exp)
        return iv.exp(args[1] * iv.log(args[0]))
    if isinstance(e, sp.exp):
        return iv.exp(args[0])
    if isinstance(e, sp.log):
        return iv.log(args[0])
    raise ValueError(f"no interval rule for {type(e).__name__}")


def _fmt(x) -> str:
    x = mpmath.mpf(x)
    if mpmath.isinf(x):
        return "inf" if x > 0 else "-inf"
    return str(int(x)) if x == int(x) else mpmath.nstr(x, 6)


def _leaves(e) -> list:
    idx = e.atoms(sp.Indexed)
    plain = e.xreplace({i: sp.Dummy() for i in idx}).free_symbols
    return sorted(idx | {s for s in plain if not isinstance(s, sp.Dummy)}, key=str)


def _by_interval(e, strict, domains) -> list | None:
    try:
        box = enclosure(e, domains)
    except (ValueError, TypeError, ZeroDivisionError):
        return None
    lo, hi = (mpmath.mpf(v) for v in box._mpi_)
    if not (lo > 0 if strict else lo >= 0):
        return None
    over = ", ".join(_describe(a, domains.get(a) or default_domain(a)) for a in _leaves(e))
    return [f"`{e}` in [{_fmt(lo)}, {_fmt(hi)}] by interval arithmetic "
            f"(mpmath.iv)" + (f" for {over}" if over else "")]


def _describe(atom, dom) -> str:
    lo, hi = (mpmath.mpf(v) for v in dom)
    if mpmath.isinf(lo) and mpmath.isinf(hi):
        return f"`{atom}` real"
    if mpmath.isinf(hi):
        return f"`{atom}` >= {_fmt(lo)}"
    return f"`{atom}` in [{_fmt(lo)}, {_fmt(hi)}]"


def _join(steps: list) -> str:
    return "; ".join(dict.fromkeys(steps))


def prove_nonnegative(expr: sp.Basic, *, strict: bool = False, domains: dict | None = None) -> str | None:
    """Prove ``expr >= 0`` (``> 0`` if strict) for all values of its symbols; return the proof in words.

    Parameters
    ----------
    expr : sympy.Expr
        The expression; sums may have symbolic limits.
    strict : bool, default False
        Prove ``> 0`` instead.
    domains : dict, optional
        Extra ranges ``{symbol or Indexed: (lo, hi)}`` justified elsewhere (e.g. ``0 < p_k <= 1``
        for a probability vector).

    Returns
    -------
    str or None
        The rules used, in words, or None when no rule applies (not a disproof).

    Examples
    --------
    >>> x = sp.Symbol("x", real=True)
    >>> prove_nonnegative((x - 1) ** 2 + 2, strict=True)
    '`(x - 1)**2 + 2` in [2, inf] by interval arithmetic (mpmath.iv) for `x` real'
    >>> prove_nonnegative(x) is None
    True
    """
    got = _prove(sp.sympify(expr), strict, domains or {}, 0)
    return _join(got) if got else None


def _prove(e, strict, domains, depth) -> list | None:
    if depth > _MAX_DEPTH:
        return None
    if not e.has(sp.Sum):
        got = _by_interval(e, strict, domains)
        if got:
            return got
    if (e.is_positive if strict else e.is_nonnegative) is True:
        return [f"sympy assumptions: `{e}` {'>' if strict else '>='} 0"]
    for form in _forms(e):
        got = _structural(form, strict, domains, depth + 1)
        if got:
            return got
    return None


def _forms(e):
    seen = []
    for make in (_constants_into_sums, lambda x: x, sp.factor_terms, lambda x: sp.factor_terms(sp.expand(x))):
        f = make(e)  # the last form splits exp(a + b) = exp(a) exp(b) and factors common terms out
        if f not in seen:
            seen.append(f)
            yield f


def _constants_into_sums(e):
    """Move a sum's constant factor inside it: ``c * Sum(f) -> Sum(c f)``."""
    def move(m):
        sums = [a for a in m.args if isinstance(a, sp.Sum)]
        if len(sums) != 1:
            return m
        s = sums[0]
        rest = sp.Mul(*[a for a in m.args if a is not s])
        if rest.free_symbols & set(s.variables):
            return m
        return sp.Sum(rest * s.function, *s.limits)

    return e.replace(lambda x: isinstance(x, sp.Mul), move)


def _structural(e, strict, domains, depth) -> list | None:
    if isinstance(e, sp.Mul):
        return _product(e, strict, domains, depth)
    if isinstance(e, sp.Add):
        return _addition(e, strict, domains, depth)
    if isinstance(e, sp.Sum):
        if strict and not all((lim[2] - lim[1]).is_nonnegative for lim in e.limits):
            return None
        got = _prove(e.function, strict, domains, depth)
        return [f"a sum of terms each {'>' if strict else '>='} 0"] + got if got else None
    if isinstance(e, sp.Pow) and e.exp.is_Integer and e.exp % 2 == 0 and e.base.is_real and not strict:
        return [f"`{e}` is an even power of a real"]
    if isinstance(e, sp.log):
        got = _prove(e.args[0] - 1, strict, domains, depth)
        return [f"log of a number {'>' if strict else '>='} 1"] + got if got else None
    return None


def _product(e, strict, domains, depth) -> list | None:
    c, rest = e.as_coeff_Mul()
    negatives, out = int(bool(c < 0)), []
    for f in sp.Mul.make_args(rest):
        got = _prove(f, strict, domains, depth)
        if got is None:
            got = _prove(_constants_into_sums(-f), strict, domains, depth)
            negatives += 1
        if got is None:
            return None
        out += got
    if negatives % 2 or c == 0:
        return None
    return ["a product of factors of known sign, an even number of them negative"] + out


def _addition(e, strict, domains, depth) -> list | None:
    proofs = [_prove(t, False, domains, depth) for t in e.args]
    if all(proofs) and (not strict or any(_prove(t, True, domains, depth) for t in e.args)):
        return [f"a sum of terms each >= 0{', one > 0' if strict else ''}"] + sum(proofs, [])
    return (_log_difference(e, strict, domains, depth) or _reciprocal_difference(e, strict, domains, depth)
            or _merge_sum(e, strict, domains, depth))


def _log_difference(e, strict, domains, depth) -> list | None:
    """``log a - log b >= 0`` because log increases: prove ``a - b >= 0`` and ``b > 0``."""
    pos = [t.args[0] for t in e.args if isinstance(t, sp.log)]
    neg = [(-t).args[0] for t in e.args if isinstance(-t, sp.log)]
    if len(pos) != 1 or len(neg) != 1 or len(e.args) != 2:
        return None
    a, b = pos[0], neg[0]
    why_b = _prove(b, True, domains, depth)
    why = _prove(a - b, strict, domains, depth)
    if why_b and why:
        return [f"log is increasing: `log({a}) - log({b})` has the sign of `{a - b}`"] + why
    return None


def _reciprocal(t):
    """Return ``a`` when ``t`` is ``1/a`` (a power -1, or a positive number); else None."""
    if isinstance(t, sp.Pow) and t.exp == -1:
        return t.base
    if t.is_Number and t.is_positive:
        return 1 / t
    return None


def _reciprocal_difference(e, strict, domains, depth) -> list | None:
    """``1/a - 1/b >= 0`` because 1/x decreases on x > 0: prove ``a > 0`` and ``b - a >= 0``."""
    if len(e.args) != 2:
        return None
    for pos, neg in (e.args, e.args[::-1]):
        a, b = _reciprocal(pos), _reciprocal(-neg)
        if a is None or b is None:
            continue
        why_a = _prove(a, True, domains, depth)
        why = why_a and _prove(b - a, strict, domains, depth)
        if why:
            return [f"1/x decreases on x > 0: `1/({a}) - 1/({b})` has the sign of `{b - a}`"] + why_a + why
    return None


def _merge_sum(e, strict, domains, depth) -> list | None:
    """``N c - Sum(f, (j, 1, N)) = Sum(c - f, (j, 1, N))``: one sum, proved termwise."""
    sums = [(t, 1) if isinstance(t, sp.Sum) else (-t, -1) for t in e.args
            if isinstance(t, sp.Sum) or isinstance(-t, sp.Sum)]
    if len(sums) != 1 or len(sums[0][0].limits) != 1:
        return None
    s, sign = sums[0]
    j, lo, hi = s.limits[0]
    each = sp.simplify((e - sign * s) / (hi - lo + 1))
    if j in each.free_symbols:
        return None
    merged = sp.Sum(each + sign * s.function, (j, lo, hi))
    got = _structural(merged, strict, domains, depth)
    return [f"written as one sum, `{merged}`"] + got if got else None

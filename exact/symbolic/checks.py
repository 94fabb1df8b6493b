"""The checks of derivation links: each a function of the link's two expressions.

A check receives the two sides ``(lhs, rhs)`` of a link (for a chain step, the previous
expression and the new one) and returns, in words, what it verified — or None when it
could not verify the link.  Because the check recomputes everything from the expressions
it is given, replacing either side by a wrong one makes it fail (``tests/test_mutations.py``
does this for every link of every theorem).

* :func:`equal_check`: sympy (:func:`verify_equal`) **and** mpmath at random points
  (:func:`~exact.symbolic.pointwise.numeric_equal`, derivatives by finite differences).
* :func:`sign_check`: an inequality proved by :func:`~exact.symbolic.signs.prove_nonnegative`
  (sympy assumptions, structural lemmas, interval arithmetic) and spot-checked at random points.
* :func:`continuity_check`, :func:`derivative_quotient_check`, :func:`same_limit_check`: the
  limit arguments of 2(e); :func:`limit_of_check`: a limit of an expression derived elsewhere
  (a squeeze's bound); :func:`approx_check`: decimal values by interval arithmetic.

Examples
--------
>>> import sympy as sp
>>> x = sp.Symbol("x", real=True)
>>> print(equal_check()(sp.sin(x) ** 2 + sp.cos(x) ** 2, 1))
sympy: simplify(lhs - rhs) = 0; mpmath at 40 digits: both sides agree at 3 random points
>>> equal_check()(x, x + 1) is None
True
"""

from __future__ import annotations

import random
from collections.abc import Callable

import mpmath
import sympy as sp

from .pointwise import RandomPoint, evaluate, numeric_equal
from .signs import enclosure, prove_nonnegative

__all__ = [
    "Check",
    "canonical_sums",
    "verify_equal",
    "resolve_piecewise",
    "equal_check",
    "sign_check",
    "continuity_check",
    "derivative_quotient_check",
    "same_limit_check",
    "limit_of_check",
    "approx_check",
]

Check = Callable[[sp.Basic, sp.Basic], "str | None"]


def canonical_sums(expr: sp.Expr) -> sp.Expr:
    """Rename the dummy index of every single-index ``Sum`` to one shared symbol.

    ``Sum(f(k), (k, 1, n))`` and ``Sum(f(j), (j, 1, n))`` become the same expression.

    Parameters
    ----------
    expr : sympy.Expr
        Any expression; sums over several indices are left as they are.

    Returns
    -------
    sympy.Expr
        ``expr`` with every single-index sum running over the positive integer ``i_``.

    Examples
    --------
    >>> j, k, n = sp.symbols("j k n", integer=True, positive=True)
    >>> x = sp.IndexedBase("x")
    >>> canonical_sums(sp.Sum(x[k], (k, 1, n))) == canonical_sums(sp.Sum(x[j], (j, 1, n)))
    True
    """
    idx = sp.Symbol("i_", integer=True, positive=True)

    def rename(s):
        if len(s.limits) != 1:
            return s
        v, a, b = s.limits[0]
        return sp.Sum(s.function.xreplace({v: idx}), (idx, a, b))

    return sp.sympify(expr).replace(lambda e: isinstance(e, sp.Sum), rename)


def resolve_piecewise(expr: sp.Expr, hyps=()) -> sp.Expr:
    """Replace each ``Piecewise`` by its first branch whose condition is True or a hypothesis.

    Parameters
    ----------
    expr : sympy.Expr
        Typically the result of ``doit`` on a sum over a Kronecker delta, which sympy
        returns as ``Piecewise((f(k), k <= n), (0, True))``.
    hyps : iterable of sympy relations
        Conditions known to hold (e.g. ``k <= n`` for an index ``1 <= k <= n``).

    Returns
    -------
    sympy.Expr

    Raises
    ------
    ValueError
        When a condition before the chosen branch is neither False nor decided.

    Examples
    --------
    >>> k, n = sp.symbols("k n", integer=True, positive=True)
    >>> resolve_piecewise(sp.Piecewise((k, k <= n), (0, True)), [k <= n])
    k
    """
    hyps = set(hyps)

    def pick(pw):
        for e, c in pw.args:
            if c is sp.true or c in hyps:
                return e
            if c is not sp.false:
                raise ValueError(f"condition {c} is not a hypothesis")
        raise ValueError("no branch holds")

    return expr.replace(lambda x: isinstance(x, sp.Piecewise), pick)


def _expand_sums(d):
    """Split sums over sums and pull factors that do not depend on the index out of them."""
    def split(s):
        f = sp.expand(s.function)
        terms = []
        for t in sp.Add.make_args(f):
            v = s.variables
            inside = sp.Mul(*[x for x in sp.Mul.make_args(t) if x.free_symbols & set(v)])
            out = sp.Mul(*[x for x in sp.Mul.make_args(t) if not x.free_symbols & set(v)])
            terms.append(out * sp.Sum(inside, *s.limits))
        return sp.Add(*terms)

    return sp.expand(d.replace(lambda x: isinstance(x, sp.Sum), split))


def _peel_sums(d):
    """Split off the last term of a sum whose upper limit is one more than another sum's."""
    uppers = {s.limits[0][2] for s in d.atoms(sp.Sum) if len(s.limits) == 1}

    def peel(s):
        if len(s.limits) != 1:
            return s
        v, a, b = s.limits[0]
        if b - 1 not in uppers:
            return s
        return sp.Sum(s.function, (v, a, b - 1)) + s.function.xreplace({v: b})

    return d.replace(lambda x: isinstance(x, sp.Sum), peel)


def _doit_resolved(d, hyps):
    """``doit`` until nothing changes, Kronecker-delta branches decided by ``hyps``, then simplify.

    Returns the result and a note when a branch was decided by a hypothesis.
    """
    used = False
    for _ in range(3):
        r = d.doit()
        used |= r.has(sp.Piecewise)
        r = canonical_sums(resolve_piecewise(r, hyps))
        if r == d:
            break
        d = r
    s = sp.simplify(d)
    used |= s.has(sp.Piecewise)
    s = resolve_piecewise(s, hyps)
    s = sp.simplify(s) if s != 0 else s
    return (s, "; the sum over a Kronecker delta keeps its term as 1 <= index <= n") if used else s


_TACTICS = [
    ("lhs - rhs = 0 structurally", lambda d, h: d),
    ("simplify(lhs - rhs) = 0", lambda d, h: sp.simplify(d)),
    ("simplify(expand(lhs - rhs)) = 0", lambda d, h: sp.simplify(sp.expand(d))),
    ("simplify(doit(lhs - rhs)) = 0", _doit_resolved),
    ("logcombine/expand_log(lhs - rhs) = 0",
     lambda d, h: sp.simplify(sp.expand_log(sp.logcombine(d, force=True), force=True))),
    ("sums split over their terms, constant factors pulled out, then simplify",
     lambda d, h: _doit_resolved(canonical_sums(_expand_sums(resolve_piecewise(d.doit(), h))), h)),
    ("the last term of the longer sum split off, then simplify", lambda d, h: sp.simplify(_peel_sums(d))),
]


def verify_equal(a: sp.Basic, b: sp.Basic, subs: dict | None = None, hyps=()) -> str | None:
    """Try to show ``a == b`` with sympy; return the method that worked, or None.

    Parameters
    ----------
    a, b : sympy.Expr or sympy.Matrix
        The two sides (anything :func:`sympy.sympify` accepts).
    subs : dict, optional
        Previously verified identities ``{old: new}``, substituted into ``a - b`` before and
        after each tactic (after :func:`canonical_sums`, so a sum matches whatever its index).
    hyps : iterable of sympy relations, optional
        Conditions for :func:`resolve_piecewise` (e.g. ``k <= n``).

    Returns
    -------
    str or None
        The tactic that reduced ``a - b`` to 0, in words, or None when every tactic failed or
        raised: None is "not shown", not "false".

    Notes
    -----
    The tactics, cheapest first: the raw difference, ``simplify``, ``simplify(expand)``,
    ``doit`` (which differentiates, sums and takes limits) with Kronecker-delta branches
    decided by ``hyps``, ``logcombine``/``expand_log`` with ``force=True``, sum algebra
    (split sums over their terms, pull out constant factors) and splitting off the last term
    of a sum.  A matrix difference counts as 0 when every entry is.

    Examples
    --------
    >>> x = sp.Symbol("x")
    >>> verify_equal(sp.sin(x) ** 2 + sp.cos(x) ** 2, 1)
    'simplify(lhs - rhs) = 0'
    >>> verify_equal(x + 1, 2, subs={x: 1})
    'lhs - rhs = 0 structurally using `x = 1`'
    >>> verify_equal(x, x + 1) is None
    True
    """
    a, b = sp.sympify(a), sp.sympify(b)
    if isinstance(a, sp.MatrixBase) != isinstance(b, sp.MatrixBase):
        return None
    if isinstance(a, sp.MatrixBase) and a.shape != b.shape:
        return None
    csubs = {canonical_sums(sp.sympify(k)): v for k, v in (subs or {}).items()}

    def post(r):
        return canonical_sums(r).subs(csubs) if csubs else r

    diff = post(canonical_sums(a) - canonical_sums(b))
    for name, f in _TACTICS:
        notes = set()

        def run(e, f=f, notes=notes):
            r = f(e, hyps)
            if isinstance(r, tuple):
                r, note = r
                notes.add(note)
            return r if r == 0 or not csubs else sp.simplify(post(r))

        try:
            entries = list(diff) if isinstance(diff, sp.MatrixBase) else [diff]
            ok = all(run(e) == 0 for e in entries)
        except Exception:  # a failing tactic is just a tactic that did not work
            continue
        if ok:
            using = ", ".join(f"`{sp.sstr(k)} = {sp.sstr(v)}`" for k, v in (subs or {}).items())
            return name + "".join(sorted(notes)) + (f" using {using}" if using else "")
    return None


def equal_check(*, subs: dict | None = None, rewrite: tuple | None = None, hyps=(),
                samplers: dict | None = None, numeric: bool = True) -> Check:
    """Check ``lhs = rhs`` by sympy and, independently, by mpmath at random points.

    Parameters
    ----------
    subs : dict, optional
        Verified identities for both routes (e.g. ``{mu: a*lambda}``).
    rewrite : (callable, str), optional
        A change of variables applied to both sides first, and its description.
    hyps : iterable of sympy relations, optional
        Conditions for Kronecker-delta sums (:func:`resolve_piecewise`).
    samplers : dict, optional
        Constrained random vectors for the numerical route (:class:`~.pointwise.RandomPoint`).
    numeric : bool, default True
        Also run the numerical route (only sides without symbols may skip it).

    Returns
    -------
    callable
        ``check(lhs, rhs) -> str | None``.

    Examples
    --------
    >>> mu, a, lam = sp.symbols("mu a lambda", positive=True)
    >>> equal_check(subs={mu: a * lam})(sp.exp(a * lam), sp.exp(mu)).startswith("sympy: lhs - rhs = 0")
    True
    """
    def check(lhs, rhs):
        lhs, rhs = sp.sympify(lhs), sp.sympify(rhs)
        if rewrite is not None:
            lhs, rhs = rewrite[0](lhs), rewrite[0](rhs)
        num = numeric_equal(lhs, rhs, subs=subs, samplers=samplers) if numeric else "no numerical check"
        if num is None:  # the cheap route first: a wrong link fails fast
            return None
        sym = verify_equal(lhs, rhs, subs, hyps)
        if sym is None:
            return None
        how = "sympy" + "".join(f", evaluating the {w} itself" for w, c in (("derivative", sp.Derivative),
                                                                          ("limit", sp.Limit))
                                if lhs.has(c) or rhs.has(c))
        return (f"after {rewrite[1]}, " if rewrite else "") + f"{how}: {sym}; {num}"

    return check


def _spot_inequality(diff, strict: bool, samplers, points: int = 3) -> str | None:
    """Evaluate ``diff`` at random points; None if it is ever negative (or 0 when strict)."""
    rng = random.Random(1)
    try:
        for i in range(points):
            v = evaluate(diff, RandomPoint(rng, 3 + i, samplers))
            if not (v > 0 if strict else v >= -mpmath.mpf(10) ** -30):
                return None
    except (ValueError, TypeError, ZeroDivisionError):
        return None
    return f"and the difference is {'> 0' if strict else '>= 0'} at {points} random points (mpmath)"


def sign_check(relation: str, *, domains: dict | None = None, rewrite: tuple | None = None,
               samplers: dict | None = None, cite: str = "") -> Check:
    """Check ``lhs relation rhs`` by proving the sign of the difference (:mod:`.signs`).

    Parameters
    ----------
    relation : {"<=", "<", ">=", ">"}
        How ``lhs`` relates to ``rhs``.
    domains : dict, optional
        Ranges of symbols justified elsewhere (:func:`~exact.symbolic.signs.prove_nonnegative`).
    rewrite : (callable, str), optional
        Applied to both sides first, with its description.
    samplers : dict, optional
        Constrained random vectors for the numerical spot check.
    cite : str, optional
        Where the ``domains`` come from, for the description.

    Returns
    -------
    callable
        ``check(lhs, rhs) -> str | None``: the proof in words, or None.

    Examples
    --------
    >>> x = sp.Symbol("x", real=True)
    >>> sign_check(">")(x**2 + 1, 0) is not None, sign_check(">")(x, x + 1) is None
    (True, True)
    """
    if relation not in ("<=", "<", ">=", ">"):
        raise ValueError(f"not an inequality: {relation!r}")
    strict = relation in ("<", ">")

    def check(lhs, rhs):
        if rewrite is not None:
            lhs, rhs = rewrite[0](lhs), rewrite[0](rhs)
        diff = (rhs - lhs) if relation in ("<=", "<") else (lhs - rhs)
        side = "rhs - lhs" if relation in ("<=", "<") else "lhs - rhs"
        spot = _spot_inequality(diff, strict, samplers)
        if spot is None:  # the cheap route first
            return None
        proof = prove_nonnegative(diff, strict=strict, domains=domains)
        if proof is None:
            return None
        head = f"after {rewrite[1]}, " if rewrite else ""
        cited = f" ({cite})" if cite else ""
        return f"{head}{side} {'>' if strict else '>='} 0 proved: {proof}{cited}; {spot}"

    return check


def continuity_check(*, hyps=()) -> Check:
    """Check ``Limit(f, x, x0) = rhs`` by continuity: f is continuous at x0 and f(x0) = rhs.

    f must be built from sums, products, ``exp`` and powers whose negative-exponent bases are
    proved > 0 at ``x0`` (so no denominator vanishes); then its limit is its value.

    Parameters
    ----------
    hyps : iterable of sympy relations, optional
        Conditions for :func:`verify_equal`.

    Returns
    -------
    callable
        ``check(lhs, rhs) -> str | None``.

    Examples
    --------
    >>> x = sp.Symbol("x", positive=True)
    >>> continuity_check()(sp.Limit(1 / (1 + sp.exp(x)), x, 0), sp.Rational(1, 2)) is not None
    True
    """
    def check(lhs, rhs):
        if not isinstance(lhs, sp.Limit) or lhs.args[2] in (sp.oo, -sp.oo):
            return None
        f, x, x0 = lhs.args[:3]
        allowed = (sp.Add, sp.Mul, sp.Pow, sp.exp, sp.Sum, sp.Symbol, sp.Indexed, sp.Number, sp.Tuple,
                   sp.IndexedBase, sp.NumberSymbol)
        if not all(isinstance(node, allowed) for node in sp.preorder_traversal(f)):
            return None
        dens = [p.base.subs(x, x0) for p in f.atoms(sp.Pow) if p.exp.is_negative]
        if not all(prove_nonnegative(d, strict=True) for d in dens):
            return None
        sym = verify_equal(f.subs(x, x0), rhs, hyps=hyps)
        num = numeric_equal(lhs, rhs)
        if sym is None or num is None:
            return None
        return (f"continuity: built from exp, sums, products and quotients with denominators > 0 at {x} = "
                f"{x0} "
                f"(proved), so the limit is the value there; sympy: {sym}; {num}")

    return check


def derivative_quotient_check() -> Check:
    """Check ``Limit(g(x)/x, x, 0) = Subs(Derivative(g, x), x, 0)`` when ``g(0) = 0``.

    This is the definition of the derivative at 0: ``g(x)/x = (g(x) - g(0))/(x - 0)``.

    Returns
    -------
    callable
        ``check(lhs, rhs) -> str | None``.

    Examples
    --------
    >>> x = sp.Symbol("x", positive=True)
    >>> g = sp.log(1 + x)
    >>> derivative_quotient_check()(sp.Limit(g / x, x, 0), sp.Subs(sp.Derivative(g, x), x, 0)) is not None
    True
    """
    def check(lhs, rhs):
        if not isinstance(lhs, sp.Limit) or lhs.args[2] != 0 or not isinstance(rhs, sp.Subs):
            return None
        f, x = lhs.args[:2]
        g = sp.simplify(f * x)
        want = sp.Subs(sp.Derivative(g, x), x, 0)
        if verify_equal(rhs.expr, sp.Derivative(g, x)) is None or rhs.variables != (x,) or rhs.point != (0,):
            return None
        if verify_equal(g.subs(x, 0), 0) is None:
            return None
        num = numeric_equal(lhs, rhs)
        if num is None or numeric_equal(rhs, want) is None:
            return None
        return (f"the numerator g = {x}·(lhs's function) has g(0) = 0 (sympy), so the limit is g'(0) by the "
                f"definition of the derivative, which is rhs (sympy); {num}")

    return check


def same_limit_check(*, hyps=()) -> Check:
    """Check ``Limit(f, x, x0) = Limit(g, x, x0)`` by showing ``f = g`` (sympy and mpmath).

    Parameters
    ----------
    hyps : iterable of sympy relations, optional
        Conditions for :func:`verify_equal`.

    Returns
    -------
    callable
        ``check(lhs, rhs) -> str | None``.

    Examples
    --------
    >>> x = sp.Symbol("x", positive=True)
    >>> same_limit_check()(sp.Limit(sp.log(2 * x), x, 0), sp.Limit(sp.log(2) + sp.log(x), x, 0)) is not None
    True
    """
    def check(lhs, rhs):
        if not (isinstance(lhs, sp.Limit) and isinstance(rhs, sp.Limit)) or lhs.args[1:] != rhs.args[1:]:
            return None
        got = equal_check(hyps=hyps)(lhs.args[0], rhs.args[0])
        return f"the two functions under the limit are equal ({got})" if got else None

    return check


def limit_of_check(expected: sp.Basic, what: str, *, hyps=()) -> Check:
    """Check ``Limit(f, x, x0) = rhs`` where ``f`` must be ``expected``, an expression derived elsewhere.

    A limit alone says nothing about the quantity it is meant to bound; this check also
    requires the function under the limit to be ``expected`` (e.g. the last expression of a
    verified chain of inequalities), so the limit cannot be taken of some other expression.

    Parameters
    ----------
    expected : sympy.Expr or sympy.Matrix
        What the function under the limit must equal (sympy, :func:`verify_equal`); a matrix
        for a matrix of limits, entry by entry.
    what : str
        Where ``expected`` comes from, for the description (e.g. "the lower bound of step 4").
    hyps : iterable of sympy relations, optional
        Conditions for :func:`verify_equal`.

    Returns
    -------
    callable
        ``check(lhs, rhs) -> str | None``: the limit checked as by :func:`equal_check`.

    Examples
    --------
    >>> x = sp.Symbol("x", positive=True)
    >>> limit_of_check(1 / (1 + 1 / x), "the bound")(sp.Limit(1 / (1 + 1 / x), x, sp.oo), 1) is not None
    True
    >>> limit_of_check(1 / (1 + 1 / x), "the bound")(sp.Limit(1 / (1 + 2 / x), x, sp.oo), 1) is None
    True
    """
    def check(lhs, rhs):
        lims = list(lhs) if isinstance(lhs, sp.MatrixBase) else [lhs]
        want = list(expected) if isinstance(expected, sp.MatrixBase) else [expected]
        if len(lims) != len(want) or not all(isinstance(e, sp.Limit) for e in lims):
            return None
        same = verify_equal(sp.Matrix([[e.args[0] for e in lims]]), sp.Matrix([want]), hyps=hyps)
        got = same and equal_check(hyps=hyps)(lhs, rhs)
        return f"the function under the limit is {what} (sympy: {same}); the limit: {got}" if got else None

    return check


def approx_check(digits: int = 6) -> Check:
    """Check that ``rhs`` is ``lhs`` rounded to ``digits`` significant digits, by interval arithmetic.

    Parameters
    ----------
    digits : int, default 6
        Significant digits of the decimal values.

    Returns
    -------
    callable
        ``check(lhs, rhs) -> str | None``; matrices are compared entry by entry.

    Examples
    --------
    >>> approx_check()(sp.E, sp.Float("2.71828")) is not None
    True
    >>> approx_check()(sp.E, sp.Float("2.71829")) is None
    True
    """
    def check(lhs, rhs):
        lhs, rhs = sp.Matrix([lhs]) if not isinstance(lhs, sp.MatrixBase) else lhs, \
            sp.Matrix([rhs]) if not isinstance(rhs, sp.MatrixBase) else rhs
        if lhs.shape != rhs.shape:
            return None
        for x, r in zip(lhs, rhs):
            if not r.is_Float or r == 0:
                return None
            box = enclosure(x)
            lo, hi = (mpmath.mpf(v) for v in box._mpi_)
            rv = mpmath.mpf(r._mpf_)
            half_ulp = mpmath.mpf(10) ** (mpmath.floor(mpmath.log10(abs(rv))) - digits + 1) / 2
            if not (hi - rv <= half_ulp and rv - lo <= half_ulp):
                return None
        return f"interval arithmetic (mpmath.iv): every entry rounds to the value shown at {digits} digits"

    return check

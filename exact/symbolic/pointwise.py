"""Evaluate sympy expressions at random points with mpmath: the numerical route of every check.

A derivation step ``a = b`` is checked twice: by sympy (:func:`~exact.symbolic.checks.verify_equal`)
and here, by evaluating both sides at random points in high precision.  The two routes share
nothing but the expressions: a symbolic length ``n`` and the free indices ``k, m`` get
concrete values, sums are written out, every symbol gets a random value respecting its
assumptions, derivatives are evaluated by finite differences (:func:`mpmath.diff`) and
limits by evaluation close to the limit point.

Examples
--------
>>> import sympy as sp
>>> x = sp.Symbol("x", positive=True)
>>> numeric_equal(sp.Derivative(sp.log(x), x), 1 / x) is not None
True
>>> numeric_equal(sp.Derivative(sp.log(x), x), 2 / x) is None
True
"""

from __future__ import annotations

import random
from collections.abc import Callable

import mpmath
import sympy as sp

__all__ = ["RandomPoint", "evaluate", "numeric_equal", "probability_vector", "LIMIT_OFFSET"]

#: How far from a finite limit point a limit is evaluated (and 1/LIMIT_OFFSET stands for ∞).
LIMIT_OFFSET = sp.Rational(1, 10**15)
_SPECIAL = (sp.Derivative, sp.Limit, sp.Subs)


class RandomPoint:
    """Random values for the symbols of an expression, drawn when first asked for.

    Parameters
    ----------
    rng : random.Random
        The source of the values.
    n : int
        The value of the symbolic length (any integer symbol named ``n``); other positive
        integer symbols (free indices) get values in ``1..n``.
    samplers : dict, optional
        ``{IndexedBase name: f(rng, n) -> {index: value}}`` for vectors with a constraint, e.g.
        a probability vector.

    Notes
    -----
    Real values are uniform in (−3, 3), positive ones in (0.2, 3), nonnegative ones in [0, 3);
    they are exact binary fractions, so both sides of a check see the same numbers.

    Examples
    --------
    >>> pt = RandomPoint(random.Random(0), 4)
    >>> pt.value(sp.Symbol("n", integer=True, positive=True))
    4
    """

    def __init__(self, rng: random.Random, n: int, samplers: dict | None = None):
        self.rng, self.n, self.samplers, self.values = rng, n, samplers or {}, {}

    def value(self, atom: sp.Basic):
        """Return the value of a Symbol or Indexed (drawing it the first time).

        Parameters
        ----------
        atom : sympy.Symbol or sympy.Indexed
            The symbol.

        Returns
        -------
        int or sympy.Rational
            Its value at this point.
        """
        if atom not in self.values:
            if isinstance(atom, sp.Indexed) and str(atom.base) in self.samplers:
                drawn = self.samplers[str(atom.base)](self.rng, self.n)
                self.values.update({atom.base[i]: sp.Rational(v) for i, v in drawn.items()})
                self.values.setdefault(atom, sp.Rational(self.rng.uniform(0.2, 3.0)))
            else:
                self.values[atom] = self._draw(atom)
        return self.values[atom]

    def _draw(self, atom: sp.Basic):
        rng = self.rng
        if atom.is_integer:
            if str(atom) == "n":
                return self.n
            if atom.is_positive:
                return rng.randint(1, self.n)
            return rng.randint(0, self.n) if atom.is_nonnegative else rng.randint(-3, 3)
        if atom.is_positive:
            return sp.Rational(rng.uniform(0.2, 3.0))
        if atom.is_nonnegative:
            return sp.Rational(rng.uniform(0.0, 3.0))
        if atom.is_negative:
            return -sp.Rational(rng.uniform(0.2, 3.0))
        return sp.Rational(rng.uniform(-3.0, 3.0))


def probability_vector(rng: random.Random, n: int) -> dict:
    """Draw a random probability vector ``p_1..p_n`` (positive, summing to 1) for a sampler.

    Parameters
    ----------
    rng : random.Random
        The source.
    n : int
        The length.

    Returns
    -------
    dict
        ``{index: sympy.Rational}`` for indices ``1..n``, exact, summing to exactly 1.

    Examples
    --------
    >>> sum(probability_vector(random.Random(0), 4).values())
    1
    """
    w = [sp.Rational(rng.uniform(0.2, 3.0)) for _ in range(n)]
    return {i + 1: v / sum(w) for i, v in enumerate(w)}


def _expand_sums(e: sp.Basic) -> sp.Basic:
    """Write out every sum whose limits are numbers (inner sums first)."""
    def concrete(x):
        return isinstance(x, sp.Sum) and all(lim[1].is_number and lim[2].is_number for lim in x.limits)

    return e.replace(concrete, lambda s: s.doit(deep=False))


def _to_mp(v: sp.Basic):
    v = sp.sympify(v)
    if v in (sp.oo, -sp.oo):
        return mpmath.inf if v == sp.oo else -mpmath.inf
    if not v.is_number or v.has(sp.zoo, sp.nan):
        raise ValueError(f"not a number: {v}")
    re, im = v.as_real_imag()
    dps = mpmath.mp.dps + 5
    r = mpmath.mpf(sp.Float(re, dps)._mpf_)
    return r if im == 0 else mpmath.mpc(r, mpmath.mpf(sp.Float(im, dps)._mpf_))


def _atoms(e: sp.Basic) -> set:
    idx = e.atoms(sp.Indexed)
    labels = {i.base.label for i in idx}
    return idx | {s for s in e.free_symbols if isinstance(s, sp.Symbol) and s not in labels}


def _eval(e: sp.Basic, pt: RandomPoint, env: dict):
    """Evaluate ``e`` (sums written out) at ``env`` over ``pt``, in mpmath's working precision."""
    if isinstance(e, sp.Derivative):
        (x, order), = e.variable_count
        return mpmath.diff(lambda t: _eval(e.expr, pt, {**env, x: t}), _env_value(x, pt, env), order)
    if isinstance(e, sp.Subs):
        return _eval(e.expr, pt, {**env, **{x: _to_mp(v) for x, v in zip(e.variables, e.point)}})
    if isinstance(e, sp.Limit):
        f, x, x0, side = e.args
        return _limit(f, x, x0, str(side), pt, env)
    if e.has(*_SPECIAL):
        dps = mpmath.mp.dps + 5
        args = [sp.Float(_eval(a, pt, env), dps) if a.has(*_SPECIAL) else a for a in e.args]
        return _eval(e.func(*args), pt, env)
    vals = {a: (sp.Float(env[a], mpmath.mp.dps + 5) if a in env else pt.value(a)) for a in _atoms(e)}
    return _to_mp(e.xreplace(vals).evalf(mpmath.mp.dps + 5))


def _env_value(x, pt: RandomPoint, env: dict):
    return env[x] if x in env else _to_mp(pt.value(x))


def _limit(f, x, x0, side: str, pt: RandomPoint, env: dict):
    if x0 in (sp.oo, -sp.oo):
        at = [(1 / LIMIT_OFFSET) * (1 if x0 == sp.oo else -1)]
    else:
        at = [x0 + s * LIMIT_OFFSET for s, d in ((1, "+"), (-1, "-")) if d in side]
    vals = [_eval(f, pt, {**env, x: _to_mp(t)}) for t in at]
    if len(vals) == 2 and abs(vals[0] - vals[1]) > mpmath.mpf(10) ** -8 * (1 + abs(vals[0])):
        raise ValueError("the two one-sided limits differ")
    return vals[0]


def evaluate(expr: sp.Basic, pt: RandomPoint, *, subs: dict | None = None, dps: int = 40):
    """Evaluate an expression (or matrix) at a random point, in mpmath at ``dps`` digits.

    Parameters
    ----------
    expr : sympy.Expr or sympy.Matrix
        May contain sums with symbolic limits, ``Derivative``, ``Limit`` and ``Subs``.
    pt : RandomPoint
        The values of its symbols.
    subs : dict, optional
        Identities ``{old: new}`` applied before and after the sums are written out, so that
        ``{delta[n]: 0}`` reaches the last term of a sum.
    dps : int, default 40
        Decimal digits.

    Returns
    -------
    mpmath.mpf or mpmath.mpc, or a list of them for a matrix

    Raises
    ------
    ValueError
        When a symbol is left over or a value is not a number.

    Examples
    --------
    >>> n, k = sp.Symbol("n", integer=True, positive=True), sp.Symbol("k", integer=True, positive=True)
    >>> evaluate(sp.Sum(k, (k, 1, n)), RandomPoint(random.Random(0), 4))
    mpf('10.0')
    """
    e = sp.sympify(expr)
    if isinstance(e, sp.MatrixBase):
        return [evaluate(x, pt, subs=subs, dps=dps) for x in e]
    if subs:
        e = e.subs(subs)
    free = e.free_symbols.union(*(v.free_symbols for d in e.atoms(sp.Derivative) for v in d.variables))
    ints = {s: pt.value(s) for s in free if s.is_integer}
    e = _expand_sums(e.subs(ints))
    if subs:
        e = e.xreplace({sp.sympify(k).subs(ints): sp.sympify(v).subs(ints) for k, v in subs.items()})
    with mpmath.workdps(dps):
        return _eval(e, pt, {})


def _close(a, b, tol) -> bool:
    if isinstance(a, list) or isinstance(b, list):
        return isinstance(a, list) and isinstance(b, list) and len(a) == len(b) and all(
            _close(x, y, tol) for x, y in zip(a, b))
    if mpmath.isinf(a) or mpmath.isinf(b):
        return a == b
    return abs(a - b) <= tol * (1 + max(abs(a), abs(b)))


def numeric_equal(a: sp.Basic, b: sp.Basic, *, subs: dict | None = None, rewrite: Callable | None = None,
                  samplers: dict | None = None, points: int = 3, seed: int = 0, dps: int = 40) -> str | None:
    """Compare two expressions numerically at random points; return what was done, or None.

    Parameters
    ----------
    a, b : sympy.Expr or sympy.Matrix
        The two sides.
    subs : dict, optional
        Identities applied to both sides (see :func:`evaluate`).
    rewrite : callable, optional
        Applied to both sides first (e.g. a change of variables).
    samplers : dict, optional
        Passed to :class:`RandomPoint`.
    points : int, default 3
        Number of random points; the symbolic length ``n`` is 3, 4, 5, … at them.
    seed : int, default 0
        Seed of the points.
    dps : int, default 40
        Decimal digits.

    Returns
    -------
    str or None
        A sentence naming the points, digits and methods when every point agrees (to
        ``10**-(dps - 10)`` relative, ``1e-15`` with derivatives, ``1e-9`` with limits),
        None when a point disagrees or a side cannot be evaluated.

    Examples
    --------
    >>> x = sp.Symbol("x", real=True)
    >>> numeric_equal(sp.cos(x) ** 2, 1 - sp.sin(x) ** 2)
    'mpmath at 40 digits: both sides agree at 3 random points'
    """
    rng = random.Random(seed)
    a, b = sp.sympify(a), sp.sympify(b)
    if rewrite is not None:
        a, b = rewrite(a), rewrite(b)
    both = sp.Matrix([a, b]) if not isinstance(a, sp.MatrixBase) else a.row_join(b)
    tol = mpmath.mpf(10) ** -(dps - 10)
    if both.has(sp.Derivative):
        tol = mpmath.mpf(10) ** -15
    if both.has(sp.Limit):
        tol = mpmath.mpf(10) ** -9
    ns = []
    try:
        for i in range(points):
            pt = RandomPoint(rng, 3 + i, samplers)
            va, vb = evaluate(a, pt, subs=subs, dps=dps), evaluate(b, pt, subs=subs, dps=dps)
            with mpmath.workdps(dps):
                if not _close(va, vb, tol):
                    return None
            ns.append(3 + i)
    except (ValueError, TypeError, ZeroDivisionError, AttributeError):
        return None
    out = f"mpmath at {dps} digits: both sides agree at {points} random points"
    if any(s.is_integer and str(s) == "n" for s in both.free_symbols):
        out += f" (n = {', '.join(map(str, ns))})"
    if both.has(sp.Derivative):
        out += ", derivatives by finite differences (mpmath.diff)"
    if both.has(sp.Limit):
        out += ", limits evaluated 1e-15 from the limit point (1e15 for ∞)"
    return out

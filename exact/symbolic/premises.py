r"""Premises of a link: found in another theorem built in the same run, or given by a one-line lemma.

A step such as "$p_k > 0$ and $\sum_k p_k = 1$, so the variance is $\ge 0$" uses facts that
another theorem proves.  Naming that theorem in words is not a check: run alone, the step
would get its mark with the premise never verified.  :func:`cited_check` makes the citation
part of the check: it builds the cited theorem (so every check of it runs; once per process,
:func:`verified_theorem`) and requires each premise, after an optional change of notation
such as ``p_k = softmax_k``, to be exactly what that theorem shows: a chain from the premise's
left side to its right side whose relations give the premise's relation, or a fact
(:func:`proves`).  :func:`shared_theorem` lets the theorem registry hand out the same build,
so that the cited theorem is not built twice in one run.

:func:`term_of_sum_check` is the lemma behind ``softmax_k <= 1``: a sum of terms ``>= 0`` is
at least each of its terms.

Examples
--------
>>> x = sp.Symbol("x", positive=True)
>>> def square():
...     d = Derivation("square", "$(x+1)^2 > x^2$")
...     d.start((x + 1) ** 2)
...     d.step(x**2 + 2 * x + 1, "expand")
...     d.step(x**2, "drop $2x + 1 > 0$", relation=">")
...     return d
>>> proves(square(), (x + 1) ** 2, ">=", x**2)
"chain 1 of 'square' (steps 0 to 2)"
>>> proves(square(), (x + 1) ** 2, "<", x**2) is None
True
"""

from __future__ import annotations

import random
from collections.abc import Callable

import sympy as sp

from .checks import Check
from .derivation import Derivation
from .pointwise import RandomPoint, evaluate
from .signs import prove_nonnegative

__all__ = ["verified_theorem", "shared_theorem", "proves", "cited_check", "term_of_sum_check"]

_BUILT: dict = {}


def verified_theorem(build: Callable[[], Derivation]) -> Derivation:
    """Return ``build()``, built (and so verified) once per process.

    Parameters
    ----------
    build : callable
        A theorem function of :mod:`.theorems`; it raises
        :class:`~exact.errors.VerificationError` when a link fails, and then nothing is kept.

    Returns
    -------
    Derivation
        A copy of the one build (its own steps and facts): the build is what citations are
        checked against, so a caller's change to what it was given never reaches it.

    Examples
    --------
    >>> def one():
    ...     d = Derivation("one", "$1 = 1$")
    ...     d.fact(1, "=", 1, "trivially")
    ...     return d
    >>> mine = verified_theorem(one)
    >>> mine.facts.clear()
    >>> len(verified_theorem(one).facts)
    1
    """
    return _build_once(build).replaced()  # (a deepcopy of sympy would evaluate unevaluated sums)


def _build_once(build: Callable[[], Derivation]) -> Derivation:
    """Return this process's one build of ``build`` (never handed out: citations read it)."""
    if build not in _BUILT:
        _BUILT[build] = build()
    return _BUILT[build]


def shared_theorem(build: Callable[[], Derivation]) -> Callable[[], Derivation]:
    """Wrap a theorem function so that it returns a copy of its build of this run (:func:`verified_theorem`).

    A copy: the build is what later citations are checked against, so a caller that
    changes what it was given (a step, the conclusion) must not change it.

    Parameters
    ----------
    build : callable
        A theorem function.

    Returns
    -------
    callable
        With the same name and docstring; a theorem cited by another is then built once.

    Examples
    --------
    >>> def one():
    ...     '''One.'''
    ...     d = Derivation("one", "$1 = 1$")
    ...     d.fact(1, "=", 1, "trivially")
    ...     return d
    >>> shared_theorem(one).__doc__, shared_theorem(one)().facts == verified_theorem(one).facts
    ('One.', True)
    """
    def theorem() -> Derivation:
        return verified_theorem(build)  # a copy with its own steps and facts

    theorem.__name__, theorem.__qualname__ = build.__name__, build.__qualname__
    theorem.__doc__ = build.__doc__
    theorem.__wrapped__ = build
    return theorem


def _composed(relations: list[str]) -> str | None:
    """Compose the relations of a chain ``e0 R1 e1 R2 ...``; None for mixed directions."""
    rel = set(relations) - {"="}
    if not rel:
        return "="
    if rel <= {"<=", "<"}:
        return "<" if "<" in rel else "<="
    if rel <= {">=", ">"}:
        return ">" if ">" in rel else ">="
    return None


def _implies(have: str | None, want: str) -> bool:
    return have == want or (want == "<=" and have in ("<", "=")) or (want == ">=" and have in (">", "="))


def proves(d: Derivation, lhs: sp.Basic, relation: str, rhs: sp.Basic) -> str | None:
    """Say where ``d`` shows ``lhs relation rhs``: a chain from ``lhs`` to ``rhs``, or a fact.

    The sides must be the very expressions ``d`` holds (structural equality, no rewriting: a
    renaming of summation indices could make a quotient of two sums collapse to 1); a weaker
    relation is implied by a stronger one (``<`` and ``=`` give ``<=``).

    Parameters
    ----------
    d : Derivation
        A verified derivation.
    lhs, rhs : sympy.Basic
        The premise's sides.
    relation : {"=", "<=", "<", ">=", ">"}
        The premise's relation.

    Returns
    -------
    str or None
        E.g. ``"fact 1 of 'Softmax is a probability vector'"``, or None when ``d`` does not
        show it.
    """
    lhs, rhs = sp.sympify(lhs), sp.sympify(rhs)
    for i, f in enumerate(d.facts):
        if f.lhs == lhs and f.rhs == rhs and _implies(f.relation, relation):
            return f"fact {i + 1} of {d.title!r}"
    starts = [i for i, s in enumerate(d.steps) if s.relation == ""] + [len(d.steps)]
    for c, (a, b) in enumerate(zip(starts, starts[1:])):
        if d.steps[a].expr != lhs:
            continue
        for e in range(a + 1, b):
            rel = _composed([s.relation for s in d.steps[a + 1:e + 1]])
            if d.steps[e].expr == rhs and _implies(rel, relation):
                return f"chain {c + 1} of {d.title!r} (steps {a} to {e})"
    return None


def cited_check(check: Check, build: Callable[[], Derivation], premises,
                rewrite: tuple | None = None) -> Check:
    """Check a link with ``check``, and that the theorem ``build`` shows each premise the link uses.

    Parameters
    ----------
    check : callable
        The link's own check, ``check(lhs, rhs) -> str | None``; it may take the premises as
        given (e.g. as ``subs`` or as symbol assumptions).
    build : callable
        The cited theorem's function; built once per process (:func:`verified_theorem`).
    premises : sequence of (lhs, relation, rhs)
        What the link takes from the cited theorem.  Empty when the link cites the theorem's
        argument as a whole (its words say "as in"): then only that theorem's verification in
        this run is checked, not that it applies.
    rewrite : (callable, str), optional
        A change of notation applied to each premise first (e.g. ``p_k`` to softmax), and its
        description.

    Returns
    -------
    callable
        ``check(lhs, rhs) -> str | None``: None when ``check`` fails, the cited theorem fails
        to build, or it does not show a premise.

    Examples
    --------
    >>> x = sp.Symbol("x", positive=True)
    >>> def positive():
    ...     d = Derivation("positive", "$x > 0$")
    ...     d.fact(x, ">", 0, "by assumption")
    ...     return d
    >>> same = lambda lhs, rhs: "equal" if lhs == rhs else None
    >>> cited_check(same, positive, [(x, ">", 0)])(x, x)
    "equal; premises from 'positive', built and verified in this run: `x > 0` is fact 1 of 'positive'"
    >>> cited_check(same, positive, [(x, ">", 1)])(x, x) is None
    True
    """
    def cited(lhs, rhs):
        got = check(lhs, rhs)
        if got is None:
            return None
        d = _build_once(build)
        where = []
        for plhs, rel, prhs in premises:
            plhs, prhs = sp.sympify(plhs), sp.sympify(prhs)
            a, b = (rewrite[0](plhs), rewrite[0](prhs)) if rewrite else (plhs, prhs)
            found = proves(d, a, rel, b)
            if found is None:
                return None
            where.append(f"`{sp.sstr(plhs)} {rel} {sp.sstr(prhs)}` is {found}")
        if not where:  # the argument as a whole: its theorem is verified in this run, whatever is run
            return (f"{got}; cites {d.title!r} as a whole, built and verified in this run (that its "
                    "argument carries over here is stated, not checked)")
        after = f" (after {rewrite[1]})" if rewrite else ""
        return f"{got}; premises from {d.title!r}, built and verified in this run{after}: " + "; ".join(where)

    return cited


def _spot(diff: sp.Expr, points: int = 3) -> bool:
    rng = random.Random(1)
    try:
        return all(evaluate(diff, RandomPoint(rng, 3 + i)) >= 0 for i in range(points))
    except (ValueError, TypeError, ZeroDivisionError):
        return False


def term_of_sum_check(*, hyps=()) -> Check:
    """Check ``f(k) / Sum(f(j), (j, 1, n)) <= 1``: a sum of terms ``>= 0`` is at least each term.

    Parameters
    ----------
    hyps : iterable of sympy relations
        Must contain ``k <= n`` (``k`` a positive integer symbol: ``1 <= k <= n``).

    Returns
    -------
    callable
        ``check(lhs, rhs) -> str | None``; ``rhs`` must be 1.  The summand is proved ``>= 0``
        and the sum ``> 0`` (:func:`~exact.symbolic.signs.prove_nonnegative`), and the
        difference is spot-checked at random points (mpmath).

    Examples
    --------
    >>> j, k, n = sp.symbols("j k n", integer=True, positive=True)
    >>> x = sp.IndexedBase("x", real=True)
    >>> check = term_of_sum_check(hyps=[k <= n])
    >>> check(sp.exp(x[k]) / sp.Sum(sp.exp(x[j]), (j, 1, n)), 1) is not None
    True
    >>> check(2 * sp.exp(x[k]) / sp.Sum(sp.exp(x[j]), (j, 1, n)), 1) is None
    True
    """
    hyps = set(hyps)

    def check(lhs, rhs):
        if sp.sympify(rhs) != 1:
            return None
        num, den = sp.fraction(sp.sympify(lhs))
        if not isinstance(den, sp.Sum) or len(den.limits) != 1 or den.limits[0][1] != 1:
            return None
        j, _, n = den.limits[0]
        ks = [k for k in num.free_symbols if k.is_integer and k.is_positive and sp.Le(k, n) in hyps
              and den.function.xreplace({j: k}) == num]
        if not ks:
            return None
        term, total = prove_nonnegative(den.function), prove_nonnegative(den, strict=True)
        if term is None or total is None or not _spot(1 - lhs):
            return None
        k = sp.sstr(ks[0])
        return (f"a sum of terms >= 0 is at least each of its terms: the summand is >= 0 ({term}), the term "
                f"{k} is one of them (1 <= {k} <= {sp.sstr(n)}), and the sum is > 0 ({total}), so the "
                f"quotient is <= 1; and 1 - lhs >= 0 at 3 random points (mpmath)")

    return check

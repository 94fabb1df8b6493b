"""Derivations whose every link is checked when added and can be re-checked, in Markdown or LaTeX.

A :class:`Derivation` holds chains ``e_0 R_1 e_1 R_2 e_2 ...`` of sympy expressions (each
:meth:`~Derivation.start` begins a chain) and side facts ``lhs R rhs``; the relations are
``=``, ``<=``, ``<``, ``>=``, ``>`` (and ``approx`` for facts).  Every link carries a
justification in words and a *check*: a function of the link's two expressions
(:mod:`.checks`) that returns what it verified, in words, or None.  The default check of
``=`` is sympy *and* mpmath at random points (:func:`~.checks.equal_check`); of an
inequality, a proof of the sign of the difference (:func:`~.checks.sign_check`).  A link
that cannot be verified raises :class:`~exact.errors.VerificationError` at once.

The checks are kept: :meth:`Derivation.verify` runs them again on the expressions the
derivation holds now, so a test can replace an expression by a wrong one
(:meth:`Derivation.replaced`) and see verification fail.

In a notebook a derivation shows itself: ``_repr_markdown_`` gives :meth:`~Derivation.to_markdown`
(Jupyter renders its math) and ``_repr_latex_`` gives :meth:`~Derivation.to_latex` (used when
the notebook is exported to LaTeX/PDF); both come from :mod:`.render`.

Examples
--------
>>> import sympy as sp
>>> x = sp.Symbol("x", positive=True)
>>> d = Derivation("square", "$(x+1)^2 > x^2 + 1$")
>>> d.start((x + 1) ** 2)
>>> d.step(x**2 + 2 * x + 1, "expand the square")
>>> d.step(x**2 + 1, "drop $2x > 0$", relation=">")
>>> d.verified
True
>>> d.replaced(step=2, expr=x**2 + 2 * x + 2).verified
False
>>> d.step(x**2, "wrong")
Traceback (most recent call last):
...
exact.errors.VerificationError: square: step 3 'wrong' not verified: x**2 + 1 = x**2
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import sympy as sp

from ..errors import VerificationError
from . import render
from .checks import Check, canonical_sums, equal_check, sign_check, verify_equal

__all__ = ["Derivation", "Step", "Fact", "canonical_sums", "verify_equal"]

_RELATIONS = ("=", "<=", "<", ">=", ">")


@dataclass
class Step:
    """One link of a chain: ``previous relation expr``.

    Parameters
    ----------
    expr : sympy.Basic
        The expression the link arrives at.
    relation : str
        ``"="``, ``"<="``, ``"<"``, ``">="`` or ``">"`` to the previous expression; ``""``
        for the first expression of a chain.
    why : str
        The justification (words and ``$math$``).
    method : str
        What the check verified, in words (filled in when the step is verified).
    check : callable or None
        ``check(previous, expr) -> str | None``; None for the first expression of a chain.

    Examples
    --------
    >>> d = Derivation("t", "1 + 1 = 2")
    >>> d.start(sp.Integer(1) + 1)
    >>> d.step(2, "add")
    >>> d.steps[1].relation, d.steps[1].method.startswith("sympy: lhs - rhs = 0 structurally")
    ('=', True)
    """

    expr: sp.Basic
    relation: str
    why: str
    method: str = ""
    check: Check | None = field(default=None, repr=False, compare=False)


@dataclass
class Fact:
    """A side fact ``label lhs relation rhs``, checked like a step.

    Parameters
    ----------
    lhs, rhs : sympy.Basic
        The two sides.
    relation : str
        One of ``=``, ``<=``, ``<``, ``>=``, ``>``, ``approx``.
    why : str
        The justification (words and ``$math$``).
    method : str
        What the check verified, in words.
    label : str
        LaTeX shown before the formula (e.g. ``n = 2:``).
    check : callable
        ``check(lhs, rhs) -> str | None``.
    """

    lhs: sp.Basic
    relation: str
    rhs: sp.Basic
    why: str
    method: str = ""
    label: str = ""
    check: Check | None = field(default=None, repr=False, compare=False)

    @property
    def latex(self) -> str:
        """The fact as one LaTeX formula."""
        return render.fact_math(self)


def _default_check(relation: str, subs: dict | None, hyps) -> Check:
    if relation == "=":
        return equal_check(subs=subs, hyps=hyps)
    return sign_check(relation)


def _run(check: Check, lhs, rhs) -> str | None:
    try:
        r = check(lhs, rhs)
    except Exception:  # a check that crashes has not verified anything
        return None
    return r if isinstance(r, str) and r else None


@dataclass
class Derivation:
    """Chains of checked steps and checked side facts, with justifications.

    Build it with :meth:`start`, :meth:`step`, :meth:`fact` and :meth:`conclude`; each link
    is verified when it is added, and :meth:`verify` checks all of them again.

    Parameters
    ----------
    title : str
        The heading.
    statement : str
        What is shown (words and ``$math$``).
    assumptions : str
        The hypotheses.
    argument : str
        An argument in words that the chains and facts check the computations of.
    hypotheses : tuple of sympy relations
        Conditions the default checks may use (e.g. ``k <= n`` for an index ``1 <= k <= n``).
    steps : list of Step
        The chains, each beginning with a step of relation ``""``.
    facts : list of Fact
        Side facts.
    conclusion : str
        The closing sentence.

    Examples
    --------
    >>> x = sp.Symbol("x")
    >>> d = Derivation("double", "$x + x = 2x$")
    >>> d.start(x + x)
    >>> d.step(2 * x, "collect")
    >>> [s.relation for s in d.steps]
    ['', '=']
    """

    title: str
    statement: str
    assumptions: str = ""
    argument: str = ""
    hypotheses: tuple = ()
    steps: list = field(default_factory=list)
    facts: list = field(default_factory=list)
    conclusion: str = ""

    def start(self, expr: sp.Basic, why: str = "definition") -> None:
        """Begin a new chain with ``expr``.

        Parameters
        ----------
        expr : sympy.Basic
            The first expression (anything :func:`sympy.sympify` accepts).
        why : str, default "definition"
            Where it comes from.
        """
        self.steps.append(Step(sp.sympify(expr), "", why, "", None))

    def step(self, expr: sp.Basic, why: str, relation: str = "=", check: Check | None = None,
             subs: dict | None = None) -> None:
        """Append ``relation expr`` to the current chain and verify it.

        Parameters
        ----------
        expr : sympy.Basic
            The next expression.
        why : str
            The justification (words and ``$math$``).
        relation : {"=", "<=", "<", ">=", ">"}
            How the previous expression relates to ``expr``.
        check : callable, optional
            ``check(previous, expr) -> str | None`` (see :mod:`.checks`); default
            :func:`~.checks.equal_check` for ``=`` (with ``subs`` and the derivation's
            hypotheses), :func:`~.checks.sign_check` otherwise.
        subs : dict, optional
            Verified identities for the default equality check.

        Raises
        ------
        VerificationError
            Before :meth:`start`, for an unknown relation, or when the check fails.

        Examples
        --------
        >>> x = sp.Symbol("x")
        >>> d = Derivation("t", "$x > x + 1$ is false")
        >>> d.start(x)
        >>> d.step(x + 1, "wrong way round", relation=">")
        Traceback (most recent call last):
        ...
        exact.errors.VerificationError: t: step 1 'wrong way round' not verified: x > x + 1
        """
        if not self.steps:
            raise VerificationError(f"{self.title}: step before start()")
        if relation not in _RELATIONS:
            raise VerificationError(f"{self.title}: unknown relation {relation!r}")
        check = check or _default_check(relation, subs, self.hypotheses)
        self.steps.append(Step(sp.sympify(expr), relation, why, "", check))
        try:
            self._check_step(len(self.steps) - 1)
        except VerificationError:
            self.steps.pop()
            raise

    def fact(self, lhs: sp.Basic, relation: str, rhs: sp.Basic, why: str, check: Check | None = None,
             label: str = "", subs: dict | None = None) -> None:
        """Record the side fact ``label lhs relation rhs`` after its check passed.

        Parameters
        ----------
        lhs, rhs : sympy.Basic
            The two sides.
        relation : {"=", "<=", "<", ">=", ">", "approx"}
            The relation (``approx`` needs a ``check``).
        why : str
            The justification.
        check : callable, optional
            ``check(lhs, rhs) -> str | None``; defaults as in :meth:`step`.
        label : str, optional
            LaTeX shown before the formula.
        subs : dict, optional
            Verified identities for the default equality check.

        Raises
        ------
        VerificationError
            When the check fails.

        Examples
        --------
        >>> d = Derivation("t", "$e > 2$")
        >>> d.fact(sp.E, ">", 2, "numerically")
        >>> d.fact(sp.E, ">", 3, "wrong")
        Traceback (most recent call last):
        ...
        exact.errors.VerificationError: t: fact 2 'wrong' not verified: E > 3
        """
        if relation not in (*_RELATIONS, "approx") or (relation == "approx" and check is None):
            raise VerificationError(f"{self.title}: unknown relation {relation!r} or a missing check")
        f = Fact(sp.sympify(lhs), relation, sp.sympify(rhs), why, "", label,
                 check or _default_check(relation, subs, self.hypotheses))
        self.facts.append(f)
        try:
            self._check_fact(len(self.facts) - 1)
        except VerificationError:
            self.facts.pop()
            raise

    def _check_step(self, i: int) -> None:
        s = self.steps[i]
        if s.relation == "":
            return
        prev = self.steps[i - 1].expr
        method = _run(s.check, prev, s.expr) if s.check is not None else None
        if method is None:
            raise VerificationError(f"{self.title}: step {i} {s.why!r} not verified: "
                                    f"{sp.sstr(prev)} {s.relation} {sp.sstr(s.expr)}")
        s.method = method

    def _check_fact(self, i: int) -> None:
        f = self.facts[i]
        method = _run(f.check, f.lhs, f.rhs) if f.check is not None else None
        if method is None:
            raise VerificationError(f"{self.title}: fact {i + 1} {f.why!r} not verified: "
                                    f"{sp.sstr(f.lhs)} {f.relation} {sp.sstr(f.rhs)}")
        f.method = method

    def verify(self, steps=None, facts=None) -> None:
        """Run the checks again on the expressions held now.

        Parameters
        ----------
        steps : iterable of int, optional
            Indices of the steps whose link to the previous expression is checked; default all.
        facts : iterable of int, optional
            Indices of the facts to check; default all (none when only ``steps`` is given).

        Raises
        ------
        VerificationError
            For the first link whose check fails.
        """
        if steps is None and facts is None:
            steps, facts = range(len(self.steps)), range(len(self.facts))
        for i in steps or ():
            if 0 < i < len(self.steps) or (i == 0 and self.steps):
                self._check_step(i)
        for i in facts or ():
            self._check_fact(i)

    @property
    def verified(self) -> bool:
        """Whether every check passes on the expressions held now (runs them all again)."""
        if not self.steps and not self.facts:
            return False
        try:
            self.verify()
        except VerificationError:
            return False
        return True

    def replaced(self, *, step: int | None = None, expr=None, fact: int | None = None, lhs=None,
                 rhs=None) -> Derivation:
        """Return a copy with one expression replaced (for testing that the checks can fail).

        Parameters
        ----------
        step : int, optional
            Index of the step whose ``expr`` is replaced.
        expr : sympy.Basic, optional
            The new expression of that step.
        fact : int, optional
            Index of the fact whose ``lhs`` and/or ``rhs`` is replaced.
        lhs, rhs : sympy.Basic, optional
            The new sides of that fact.

        Returns
        -------
        Derivation
            A copy; the checks are the same functions, the original is unchanged.
        """
        d = copy.copy(self)
        d.steps, d.facts = [copy.copy(s) for s in self.steps], [copy.copy(f) for f in self.facts]
        if step is not None:
            d.steps[step].expr = sp.sympify(expr)
        if fact is not None:
            if lhs is not None:
                d.facts[fact].lhs = sp.sympify(lhs)
            if rhs is not None:
                d.facts[fact].rhs = sp.sympify(rhs)
        return d

    def conclude(self, text: str) -> Derivation:
        """Set the concluding sentence and return the derivation.

        Parameters
        ----------
        text : str
            The conclusion (words and ``$math$``).

        Returns
        -------
        Derivation
            ``self``, so that a theorem can end with ``return d.conclude(...)``.
        """
        self.conclusion = text
        return self

    def to_markdown(self) -> str:
        """Render as Markdown (:func:`.render.markdown`).

        Returns
        -------
        str
            A ``###`` heading, the claim, one display and one check mark per link.
        """
        return render.markdown(self)

    def to_latex(self) -> str:
        """Render as a LaTeX fragment (:func:`.render.latex`); see :func:`.render.latex_document`.

        Returns
        -------
        str
            A starred subsection with one display per link.
        """
        return render.latex(self)

    def _repr_markdown_(self) -> str:
        """Show the derivation in a notebook: :meth:`to_markdown` (Jupyter renders its ``$…$`` math)."""
        return self.to_markdown()

    def _repr_latex_(self) -> str:
        """Give the LaTeX form (:meth:`to_latex`) that a notebook exported to PDF shows."""
        return self.to_latex()

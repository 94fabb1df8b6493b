"""Derivations whose every step sympy has checked, rendered to Markdown or LaTeX.

A :class:`Derivation` is a chain ``e_0 R_1 e_1 R_2 e_2 ...`` of sympy expressions with
relations ``=``, ``<=``, ``<``, ``>=``; each link carries a justification in words and
is verified when it is added.  Equalities are verified by simplifying the difference
(after canonical renaming of summation indices, optional ``doit`` and substitution of
previously verified identities); inequalities need a ``check``: a sympy computation
that returns True.  A link that cannot be verified raises
:class:`~exact.errors.VerificationError` at once: nothing passes silently.

Side facts (a limit, a recurrence's solution) are added with :meth:`Derivation.fact`,
again with a check.

Examples
--------
>>> import sympy as sp
>>> x = sp.Symbol("x", positive=True)
>>> d = Derivation("square", "(x+1)^2 = x^2 + 2x + 1")
>>> d.start((x + 1) ** 2)
>>> d.step(x**2 + 2 * x + 1, "expand the square")
>>> d.step(x**2 + 1, "drop 2x > 0", relation=">", check=lambda: (2 * x).is_positive)
>>> print(d.to_markdown().splitlines()[0])
### square
>>> d.step(x**2, "wrong")
Traceback (most recent call last):
...
exact.errors.VerificationError: square: step 3 'wrong' not verified: x**2 + 1 = x**2
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import sympy as sp

from ..errors import VerificationError

__all__ = ["Derivation", "Step", "canonical_sums", "verify_equal"]

_REL_LATEX = {"=": "=", "<=": r"\le", "<": "<", ">=": r"\ge", ">": ">"}


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

    return expr.replace(lambda e: isinstance(e, sp.Sum), rename)


def verify_equal(a: sp.Expr, b: sp.Expr, subs: dict | None = None) -> str | None:
    """Try to show ``a == b`` with sympy; return the method that worked, or None.

    Parameters
    ----------
    a, b : sympy.Expr or sympy.Matrix
        The two sides (anything :func:`sympy.sympify` accepts).
    subs : dict, optional
        Previously verified identities ``{old: new}`` substituted into ``a - b`` first.

    Returns
    -------
    str or None
        The tactic that reduced ``a - b`` (after :func:`canonical_sums`) to 0, in words,
        or None when every tactic failed or raised: None is "not shown", not "false".

    Notes
    -----
    The tactics, cheapest first: the raw difference, ``simplify``, ``simplify(expand)``,
    ``simplify(doit)`` and ``logcombine``/``expand_log`` with ``force=True``.  A matrix
    difference counts as 0 when every entry is.

    Examples
    --------
    >>> x = sp.Symbol("x")
    >>> verify_equal(sp.sin(x) ** 2 + sp.cos(x) ** 2, 1)
    'simplify(lhs - rhs) = 0'
    >>> verify_equal(x + 1, 2, subs={x: 1})
    'lhs - rhs = 0 structurally using x = 1'
    >>> verify_equal(x, x + 1) is None
    True
    """
    a, b = sp.sympify(a), sp.sympify(b)
    tries = [
        ("lhs - rhs = 0 structurally", lambda d: d),
        ("simplify(lhs - rhs) = 0", sp.simplify),
        ("simplify(expand(lhs - rhs)) = 0", lambda d: sp.simplify(sp.expand(d))),
        ("simplify(doit(lhs - rhs)) = 0", lambda d: sp.simplify(d.doit())),
        ("logcombine/expand_log(lhs - rhs) = 0",
         lambda d: sp.simplify(sp.expand_log(sp.logcombine(d, force=True), force=True))),
    ]
    diff = canonical_sums(a) - canonical_sums(b)
    if subs:
        diff = canonical_sums(diff.subs(subs))
    for name, f in tries:
        try:
            r = diff.applyfunc(f) if isinstance(diff, sp.MatrixBase) else f(diff)
        except Exception:  # a failing tactic is just a tactic that did not work
            continue
        if isinstance(r, sp.MatrixBase):
            r = 0 if all(e == 0 for e in r) else 1
        if r == 0:
            return name + (" using " + ", ".join(f"{sp.sstr(k)} = {sp.sstr(v)}" for k, v in subs.items())
                           if subs else "")
    return None


@dataclass
class Step:
    """One verified link of a derivation.

    Parameters
    ----------
    expr : sympy.Basic
        The expression the link arrives at.
    relation : str
        ``"="``, ``"<="``, ``"<"``, ``">="`` or ``">"`` to the previous expression; ``""``
        for the first expression of the chain.
    why : str
        The justification in words (Markdown/LaTeX).
    method : str
        How sympy verified it.

    Examples
    --------
    >>> d = Derivation("t", "1 + 1 = 2")
    >>> d.start(sp.Integer(1) + 1)
    >>> d.step(2, "add")
    >>> d.steps[1]
    Step(expr=2, relation='=', why='add', method='lhs - rhs = 0 structurally')
    """

    expr: sp.Basic
    relation: str
    why: str
    method: str


@dataclass
class Fact:
    """A verified side fact: a LaTeX statement and what sympy computed to check it.

    Parameters
    ----------
    latex : str
        The statement, in LaTeX.
    why : str
        The justification in words.
    method : str
        How sympy checked it.
    """

    latex: str
    why: str
    method: str


@dataclass
class Derivation:
    """A chain of sympy-verified steps with justifications.

    Build it with :meth:`start`, :meth:`step` and :meth:`fact`; each link is verified
    when it is added, so a derivation that exists is a verified one.

    Parameters
    ----------
    title : str
        The heading of the rendered derivation.
    statement : str
        What is shown, in LaTeX.
    assumptions : str
        The hypotheses, in words/LaTeX.
    steps : list of Step
        The chain, normally filled by :meth:`start` and :meth:`step`.
    facts : list of Fact
        Side facts, normally filled by :meth:`fact`.
    conclusion : str
        The closing sentence, normally set by :meth:`conclude`.

    Examples
    --------
    >>> x = sp.Symbol("x")
    >>> d = Derivation("double", "x + x = 2x")
    >>> d.start(x + x)
    >>> d.step(2 * x, "collect")
    >>> [s.relation for s in d.steps]
    ['', '=']
    """

    title: str
    statement: str
    assumptions: str = ""
    steps: list = field(default_factory=list)
    facts: list = field(default_factory=list)
    conclusion: str = ""

    def start(self, expr: sp.Basic, why: str = "definition") -> None:
        """Set the first expression of the chain (dropping any steps already added).

        Parameters
        ----------
        expr : sympy.Basic
            The first expression (anything :func:`sympy.sympify` accepts).
        why : str, default "definition"
            Where it comes from.
        """
        self.steps = [Step(sp.sympify(expr), "", why, "definition")]

    def step(
        self,
        expr: sp.Basic,
        why: str,
        relation: str = "=",
        check: Callable[[], bool] | None = None,
        subs: dict | None = None,
        method: str = "",
    ) -> None:
        """Append ``relation expr`` and verify it against the previous expression.

        Parameters
        ----------
        expr : sympy.Basic
            The next expression.
        why : str
            The justification in words (Markdown/LaTeX).
        relation : {"=", "<=", "<", ">=", ">"}
            How the previous expression relates to ``expr``.
        check : callable, optional
            A sympy computation returning True that verifies the link instead of the
            default test (:func:`verify_equal` for ``=``, the sign of the simplified
            difference otherwise).  An exception counts as failure.
        subs : dict, optional
            Verified identities passed to :func:`verify_equal`.
        method : str, optional
            How ``check`` verifies the link, for the rendering; default its docstring or name.

        Raises
        ------
        VerificationError
            Before :meth:`start`, for an unknown relation, or when sympy cannot verify the link.

        Examples
        --------
        >>> x = sp.Symbol("x")
        >>> d = Derivation("t", "(x + 1)^2 = x^2 + 2x + 1")
        >>> d.start((x + 1) ** 2)
        >>> d.step(x**2 + 2 * x + 1, "expand")
        >>> d.steps[-1].method
        'simplify(lhs - rhs) = 0'
        >>> d.step(x, "wrong")
        Traceback (most recent call last):
        ...
        exact.errors.VerificationError: t: step 2 'wrong' not verified: x**2 + 2*x + 1 = x
        """
        if not self.steps:
            raise VerificationError(f"{self.title}: step before start()")
        if relation not in _REL_LATEX:
            raise VerificationError(f"{self.title}: unknown relation {relation!r}")
        expr = sp.sympify(expr)
        prev = self.steps[-1].expr
        n = len(self.steps)
        if check is not None:
            ok = _run_check(check)
            method = "sympy check: " + (method or getattr(check, "__doc__", None) or _describe_check(check))
        elif relation == "=":
            method = verify_equal(prev, expr, subs)
            ok = method is not None
        else:
            diff = (expr - prev) if relation in (">=", ">") else (prev - expr)
            diff = sp.simplify(diff)
            ok = bool(diff.is_nonnegative if relation in ("<=", ">=") else diff.is_positive)
            method = f"sign of the simplified difference {sp.sstr(diff)}"
        if not ok:
            raise VerificationError(
                f"{self.title}: step {n} {why!r} not verified: {sp.sstr(prev)} {relation} {sp.sstr(expr)}"
            )
        self.steps.append(Step(expr, relation, why, method))

    def fact(self, latex: str, why: str, check: Callable[[], bool], method: str = "") -> None:
        """Record a side fact after its sympy check returned True.

        Parameters
        ----------
        latex : str
            The fact, in LaTeX.
        why : str
            The justification in words.
        check : callable
            A sympy computation that must return True (an exception counts as failure).
        method : str, optional
            How ``check`` verifies the fact; default its docstring or name.

        Raises
        ------
        VerificationError
            When ``check`` does not return True.

        Examples
        --------
        >>> d = Derivation("t", "e > 2")
        >>> d.fact("e > 2", "numerically", lambda: sp.E > 2, "sympy comparison")
        >>> d.fact("e > 3", "wrong", lambda: sp.E > 3)
        Traceback (most recent call last):
        ...
        exact.errors.VerificationError: t: fact 'e > 3' not verified (wrong)
        """
        if not _run_check(check):
            raise VerificationError(f"{self.title}: fact {latex!r} not verified ({why})")
        method = method or getattr(check, "__doc__", None) or _describe_check(check)
        self.facts.append(Fact(latex, why, method))

    def conclude(self, text: str) -> Derivation:
        """Set the concluding sentence and return the derivation.

        Parameters
        ----------
        text : str
            The conclusion, in words/LaTeX.

        Returns
        -------
        Derivation
            ``self``, so that a theorem can end with ``return d.conclude(...)``.
        """
        self.conclusion = text
        return self

    @property
    def verified(self) -> bool:
        """Whether the derivation is verified: always True, as every failed step or fact raises."""
        return True

    def to_markdown(self) -> str:
        """Render as Markdown with LaTeX math (``$$...$$``), a check mark and method per step.

        Returns
        -------
        str
            A ``###`` heading, the claim, the assumptions, one display per step and fact,
            and the conclusion.
        """
        out = [f"### {self.title}", "", f"**Claim.** {self.statement}", ""]
        if self.assumptions:
            out += [f"*Assumptions:* {self.assumptions}", ""]
        if self.steps:
            first = self.steps[0]
            out.append(f"$$ {sp.latex(first.expr)} $$")
            out.append(f"<small>({first.why})</small>")
            out.append("")
            for s in self.steps[1:]:
                out.append(f"$$ {_REL_LATEX[s.relation]} {sp.latex(s.expr)} $$")
                out.append(f"✔ {s.why} — *{s.method}*")
                out.append("")
        for f in self.facts:
            out.append(f"$$ {f.latex} $$")
            out.append(f"✔ {f.why} — *{f.method}*")
            out.append("")
        if self.conclusion:
            out += [f"**Conclusion.** {self.conclusion}", ""]
        return "\n".join(out)

    def to_latex(self) -> str:
        """Render as a LaTeX fragment (``align*``) with the justification of each step.

        Returns
        -------
        str
            A starred subsection, the claim, an ``align*`` of the steps and one display per fact.
        """
        out = [f"\\subsection*{{{self.title}}}", f"\\textbf{{Claim.}} {self.statement}\\\\"]
        if self.assumptions:
            out.append(f"\\emph{{Assumptions:}} {self.assumptions}\\\\")
        if self.steps:
            out.append("\\begin{align*}")
            lines = [f"& {sp.latex(self.steps[0].expr)} && \\text{{{_tex_text(self.steps[0].why)}}}"]
            for s in self.steps[1:]:
                lines.append(f"{_REL_LATEX[s.relation]}\\; & {sp.latex(s.expr)} && "
                             f"\\text{{\\checkmark\\ {_tex_text(s.why)}}}")
            out.append(" \\\\\n".join(lines))
            out.append("\\end{align*}")
        for f in self.facts:
            out.append(f"\\[ {f.latex} \\quad \\text{{\\checkmark\\ {_tex_text(f.why)}}} \\]")
        if self.conclusion:
            out.append(f"\\textbf{{Conclusion.}} {self.conclusion}")
        return "\n".join(out)


def _tex_text(s: str) -> str:
    return s.replace("\\", "\\textbackslash ").replace("_", "\\_").replace("%", "\\%").replace("&", "\\&")


def _run_check(check: Callable[[], bool]) -> bool:
    try:
        r = check()
    except Exception:  # a check that crashes has not verified anything
        return False
    return r is True or r is sp.true


def _describe_check(check: Callable[[], bool]) -> str:
    return getattr(check, "__name__", "custom check")

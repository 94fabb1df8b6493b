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

    Examples
    --------
    >>> x = sp.Symbol("x")
    >>> verify_equal(sp.sin(x) ** 2 + sp.cos(x) ** 2, 1)
    'simplify(lhs - rhs) = 0'
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
    """One verified link of a derivation."""

    expr: sp.Basic
    relation: str
    why: str
    method: str


@dataclass
class Fact:
    """A verified side fact: a LaTeX statement and what sympy computed to check it."""

    latex: str
    why: str
    method: str


@dataclass
class Derivation:
    """A chain of sympy-verified steps with justifications.

    Parameters
    ----------
    title : str
    statement : str
        What is shown, in LaTeX.
    assumptions : str
        The hypotheses, in words/LaTeX.
    """

    title: str
    statement: str
    assumptions: str = ""
    steps: list = field(default_factory=list)
    facts: list = field(default_factory=list)
    conclusion: str = ""

    def start(self, expr: sp.Basic, why: str = "definition") -> None:
        """Set the first expression of the chain."""
        self.steps = [Step(sp.sympify(expr), "", why, "definition")]

    def step(
        self,
        expr: sp.Basic,
        why: str,
        relation: str = "=",
        check: Callable[[], bool] | None = None,
        subs: dict | None = None,
    ) -> None:
        """Append ``relation expr`` and verify it against the previous expression.

        Raises
        ------
        VerificationError
            When sympy cannot verify the link.
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
            method = "sympy check: " + (getattr(check, "__doc__", None) or _describe_check(check))
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
        """Record a side fact after its sympy check returned True."""
        if not _run_check(check):
            raise VerificationError(f"{self.title}: fact {latex!r} not verified ({why})")
        method = method or getattr(check, "__doc__", None) or _describe_check(check)
        self.facts.append(Fact(latex, why, method))

    def conclude(self, text: str) -> Derivation:
        """Set the concluding sentence and return the derivation."""
        self.conclusion = text
        return self

    @property
    def verified(self) -> bool:
        """True: every step and fact was verified when added (failures raise)."""
        return True

    def to_markdown(self) -> str:
        """Markdown with LaTeX math (``$$...$$``), a check mark and method per step."""
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
        """A LaTeX fragment (``align*``) with the justification of each step."""
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

r"""Render derivations as Markdown (with ``$…$`` math) or as LaTeX that compiles with pdflatex.

The prose of a derivation (title, claim, justifications, the methods of the checks) is
mixed text: words (Unicode allowed), math between ``$…$`` (ASCII LaTeX, also read by
MathJax) and code between backticks (the sympy expressions a check names).
:func:`tex_text` turns such text into LaTeX: the words escaped, Unicode letters and symbols
as math commands, code as ``\texttt``; :func:`latex_document` wraps derivations into a
complete document using only packages of Debian's ``texlive-latex-base`` (amsmath, amssymb,
geometry).

Examples
--------
>>> tex_text(r"λ → ∞ and $\lambda > 0$, see `a*b_c`")
'\\ensuremath{\\lambda} \\ensuremath{\\to} \\ensuremath{\\infty} and $\\lambda > 0$, see \\texttt{a*b\\_c}'
"""

from __future__ import annotations

import re

import sympy as sp

__all__ = ["REL_LATEX", "tex_text", "fact_math", "markdown", "latex", "latex_document", "math_spans"]

REL_LATEX = {"=": "=", "<=": r"\le", "<": "<", ">=": r"\ge", ">": ">", "approx": r"\approx"}

#: Unicode characters allowed in prose, as LaTeX math (or text) commands.
_UNICODE = {
    "λ": r"\lambda", "σ": r"\sigma", "δ": r"\delta", "μ": r"\mu", "τ": r"\tau", "Σ": r"\Sigma",
    "∂": r"\partial", "−": "-", "→": r"\to", "≤": r"\le", "≥": r"\ge", "≠": r"\neq", "·": r"\cdot",
    "⪰": r"\succeq", "∞": r"\infty", "∈": r"\in", "⁺": "^{+}", "²": "^{2}", "×": r"\times",
    "≈": r"\approx", "ᵀ": "^{T}", "⇒": r"\Rightarrow", "⇐": r"\Leftarrow", "±": r"\pm",
    "✔": r"\checkmark", "′": "'", "↑": r"\uparrow", "↓": r"\downarrow", "ℝ": r"\mathbb{R}",
    "⁰": "^{0}", "¹": "^{1}", "₀": "_{0}", "₁": "_{1}", "₂": "_{2}", "₃": "_{3}",
}
_TEXT_UNICODE = {"—": "---", "–": "--", "…": r"\ldots{}", "’": "'", "“": "``", "”": "''"}
_ESCAPE = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "_": r"\_", "%": r"\%", "&": r"\&",
           "#": r"\#", "^": r"\^{}", "~": r"\~{}", "<": r"\textless{}", ">": r"\textgreater{}",
           "|": r"\textbar{}", "$": r"\$"}
_SPANS = re.compile(r"(\$\$.+?\$\$|\$[^$]+\$|`[^`]*`)", re.S)
_CODE_ESCAPE = {**_ESCAPE, **{ch: rf"\char{ord(ch)}{{}}" for ch in "\\{}<>|~^"}}
"""In ``\texttt``: the typewriter font's own ASCII glyphs (``\textgreater`` there takes the math font's)."""


def _escape(s: str, table: dict[str, str] = _ESCAPE) -> str:
    out = []
    for ch in s:
        if ch in table:
            out.append(table[ch])
        elif ch in _UNICODE:
            out.append(r"\ensuremath{" + _UNICODE[ch] + "}")
        elif ch in _TEXT_UNICODE:
            out.append(_TEXT_UNICODE[ch])
        elif ord(ch) > 127:
            raise ValueError(f"no LaTeX for the character {ch!r} (U+{ord(ch):04X}) in {s!r}")
        else:
            out.append(ch)
    return "".join(out)


def _math(s: str) -> str:
    for ch in set(s):
        if ord(ch) > 127:
            if ch not in _UNICODE:
                raise ValueError(f"no LaTeX for the character {ch!r} in the math {s!r}")
            s = s.replace(ch, " " + _UNICODE[ch] + " " if _UNICODE[ch][0] == "\\" else _UNICODE[ch])
    return s


def tex_text(s: str) -> str:
    r"""Turn mixed text (words, ``$math$``, ```code```) into LaTeX.

    Parameters
    ----------
    s : str
        The text.

    Returns
    -------
    str
        LaTeX, pure ASCII.

    Raises
    ------
    ValueError
        For a non-ASCII character with no LaTeX equivalent in the table.

    Examples
    --------
    >>> tex_text("50% of x_1 ≤ 2")
    '50\\% of x\\_1 \\ensuremath{\\le} 2'
    """
    out = []
    for i, part in enumerate(_SPANS.split(s)):
        if i % 2 == 0:
            out.append(_escape(part))
        elif part.startswith("`"):
            out.append(r"\texttt{" + _escape(part[1:-1], _CODE_ESCAPE) + "}")
        else:
            out.append(_math(part))
    return "".join(out)


def math_spans(markdown_text: str) -> list[str]:
    r"""Return the math spans (``$$…$$`` and ``$…$``) of Markdown, outside code spans.

    Parameters
    ----------
    markdown_text : str
        Markdown as :func:`markdown` writes it.

    Returns
    -------
    list of str
        Each span with its dollar signs.

    Examples
    --------
    >>> math_spans(r"a $x$ b `$no$` $$\frac12$$")
    ['$x$', '$$\\frac12$$']
    """
    return [p for i, p in enumerate(_SPANS.split(markdown_text)) if i % 2 and p.startswith("$")]


def fact_math(f) -> str:
    """Return a fact as one LaTeX formula: ``label lhs relation rhs``.

    Parameters
    ----------
    f : Fact
        The fact.

    Returns
    -------
    str
        LaTeX math (no dollar signs).
    """
    rel = REL_LATEX[f.relation]
    return f"{f.label} {_side_latex(f.lhs)} {rel} {_side_latex(f.rhs)}".strip()


def _side_latex(expr) -> str:
    """Write a fact's side; a sum built unevaluated keeps its terms in the order they were written.

    sympy's printer sorts a sum's terms: the parameters of 2-5-5-5-5-1 came out output layer
    first (``6*1 + 3*5 + ...``), a difference ``f_on - f_off`` with its second term first.
    """
    expr = sp.sympify(expr)
    if expr.is_Add and sp.Add(*expr.args) != expr:  # unevaluated: the order is the author's
        return sp.latex(expr, order="none")
    return sp.latex(expr)


def markdown(d) -> str:
    """Render a derivation as Markdown: heading, claim, one display and one check mark per link.

    Parameters
    ----------
    d : Derivation
        The derivation.

    Returns
    -------
    str
        Markdown whose math is ``$…$``/``$$…$$`` and whose check methods are in words.
    """
    out = [f"### {d.title}", "", f"**Claim.** {d.statement}", ""]
    if d.assumptions:
        out += [f"*Assumptions:* {d.assumptions}", ""]
    if d.argument:
        out += [f"*Argument.* {d.argument}", ""]
    for s in d.steps:
        if s.relation == "":
            out += [f"$$ {sp.latex(s.expr)} $$", f"<small>({s.why})</small>", ""]
        else:
            out += [f"$$ {REL_LATEX[s.relation]} {sp.latex(s.expr)} $$",
                    f"✔ {s.why} — checked: {s.method}", ""]
    for f in d.facts:
        out += [f"$$ {fact_math(f)} $$", f"✔ {f.why} — checked: {f.method}", ""]
    if d.conclusion:
        out += [f"**Conclusion.** {d.conclusion}", ""]
    return "\n".join(out)


def latex(d) -> str:
    r"""Render a derivation as a LaTeX fragment (a ``\subsection*`` and displays).

    Parameters
    ----------
    d : Derivation
        The derivation.

    Returns
    -------
    str
        LaTeX for the body of a document with amsmath and amssymb.
    """
    out = [rf"\subsection*{{{tex_text(d.title)}}}", "", rf"\textbf{{Claim.}} {tex_text(d.statement)}", ""]
    if d.assumptions:
        out += [rf"\emph{{Assumptions:}} {tex_text(d.assumptions)}", ""]
    if d.argument:
        out += [rf"\emph{{Argument.}} {tex_text(d.argument)}", ""]
    for s in d.steps:
        rel = "" if s.relation == "" else REL_LATEX[s.relation] + " "
        out.append(rf"\[ {rel}{sp.latex(s.expr)} \]")
        if s.relation == "":
            out += [rf"{{\small ({tex_text(s.why)})}}", ""]
        else:
            out += [rf"$\checkmark$ {tex_text(s.why)} --- {{\small checked: {tex_text(s.method)}}}", ""]
    for f in d.facts:
        out += [rf"\[ {fact_math(f)} \]",
                rf"$\checkmark$ {tex_text(f.why)} --- {{\small checked: {tex_text(f.method)}}}",
                ""]
    if d.conclusion:
        out += [rf"\textbf{{Conclusion.}} {tex_text(d.conclusion)}", ""]
    return "\n".join(out)


def latex_document(derivations, title: str = "exactnet: verified derivations") -> str:
    r"""Wrap derivations into a complete LaTeX document (pdflatex, texlive-latex-base only).

    Parameters
    ----------
    derivations : iterable of Derivation
        In order.
    title : str, default "exactnet: verified derivations"
        The document's heading (mixed text).

    Returns
    -------
    str
        From ``\documentclass`` to ``\end{document}``, pure ASCII.

    Examples
    --------
    >>> latex_document([]).splitlines()[0]
    '\\documentclass[11pt]{article}'
    """
    body = [latex(d) for d in derivations]
    return "\n".join([
        r"\documentclass[11pt]{article}",
        r"\usepackage[margin=2cm]{geometry}",
        r"\usepackage{amsmath,amssymb}",
        r"\setlength{\parindent}{0pt}",
        r"\setlength{\parskip}{0.5ex}",
        r"\sloppy",
        r"\begin{document}",
        rf"\section*{{{tex_text(title)}}}",
        "",
        *body,
        r"\end{document}",
        "",
    ])

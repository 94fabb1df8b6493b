"""Notebook displays: derivations (and so the theorems of ``exactnet prove``) and affine maps
(exact/symbolic/derivation.py, exact/affine_maps.py).

Each display is checked for the exact content it must carry: every step's expression as
sympy writes it in LaTeX, every check's method, and, for affine maps, the exact fractions
next to floats computed here independently.
"""

from fractions import Fraction

import numpy as np
import sympy as sp

import exact
from exact.affine_maps import AffineMap
from exact.symbolic.derivation import Derivation
from exact.symbolic.render import math_spans
from exact.symbolic.theorems import THEOREMS


def _small():
    x = sp.Symbol("x", positive=True)
    d = Derivation("square", "$(x+1)^2 > x^2 + 1$")
    d.start((x + 1) ** 2)
    d.step(x**2 + 2 * x + 1, "expand the square")
    d.step(x**2 + 1, "drop $2x > 0$", relation=">")
    d.fact(sp.Rational(1, 3), "<", sp.Rational(1, 2), "compare the fractions")
    return d.conclude("so it holds")


def test_derivation_markdown_repr_carries_every_step_and_check():
    d = _small()
    md = d._repr_markdown_()
    assert md == d.to_markdown()
    assert md.startswith("### square") and "**Conclusion.** so it holds" in md
    for s in d.steps:
        assert sp.latex(s.expr) in md and s.why in md
        assert s.relation == "" or f"checked: {s.method}" in md
    assert r"$$ \frac{1}{3} < \frac{1}{2} $$" in md and f"checked: {d.facts[0].method}" in md  # the fact
    assert all(span.count("$") in (2, 4) for span in math_spans(md))


def test_derivation_latex_repr_is_the_latex_fragment():
    d = _small()
    tex = d._repr_latex_()
    assert tex == d.to_latex() and tex.startswith(r"\subsection*{square}")
    for s in d.steps[1:]:
        assert rf"\[ {'>' if s.relation == '>' else '='} {sp.latex(s.expr)} \]" in tex
    assert r"\frac{1}{2}" in tex and tex.isascii()


def test_the_theorems_of_exactnet_prove_display_themselves():
    d = THEOREMS["parameter-count"]()  # what `exactnet prove parameter-count` builds: a Derivation
    assert isinstance(d, Derivation)
    md, tex = d._repr_markdown_(), d._repr_latex_()
    assert md.startswith(f"### {d.title}") and tex.startswith(r"\subsection*{")
    for s in d.steps:
        assert sp.latex(s.expr) in md and sp.latex(s.expr) in tex


def test_affine_map_shows_floats_next_to_its_exact_fractions():
    f = AffineMap(((Fraction(1, 3), Fraction(-2)), (Fraction(10**400), Fraction(0))),
                  (Fraction(-1, 7), Fraction(5, 2)))
    assert str(f) == f"(1/3)*x1 + (-2)*x2 + (-1/7); ({10**400})*x1 + (0)*x2 + (5/2)"  # str is unchanged
    assert f.float_view() == f"{1 / 3:.6g}*x1 - 2*x2 - {1 / 7:.6g}; inf*x1 + 0*x2 + 2.5"
    html = f._repr_html_()
    assert html.count("<tr>") == 3  # header and one row per output
    for text in ("(1/3)*x1 + (-2)*x2 + (-1/7)", "0.333333*x1 - 2*x2 - 0.142857", "inf*x1"):
        assert text in html

    class Printer:  # what IPython hands to _repr_pretty_
        def __init__(self):
            self.out = ""

        def text(self, s):
            self.out += s

    p = Printer()
    f._repr_pretty_(p, False)
    assert p.out.startswith(str(f)) and f.float_view() in p.out


def test_a_cells_affine_map_float_view_agrees_with_its_exact_values():
    r = exact.regions([([[1.0, 0.5], [0.25, -1.0]], [0.0, 0.1]), ([[3.0, -7.0]], [1 / 3])], window=2.0)
    for cell in r.cells:
        g, o = cell.affine.gradient[0], cell.affine.offset[0]
        view = cell.affine.float_view(17)
        coeffs = [float(t.split("*")[0]) for t in view.replace(" - ", " + -").split(" + ")]
        assert np.allclose(coeffs, [float(g[0]), float(g[1]), float(o)], rtol=1e-15, atol=0)

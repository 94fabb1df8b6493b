"""Both outputs of ``exactnet prove`` are valid: the LaTeX compiles with pdflatex, and every
math span of the Markdown compiles too (each as its own display, with only amsmath/amssymb,
so no Unicode slips into the math).  Skipped only where pdflatex is not installed; CI
installs it (``.ci/run``: Debian's texlive-latex-base)."""

import re
import shutil
import subprocess

import pytest
from test_proofs import built

from exact.cli import main
from exact.symbolic.render import latex_document, math_spans, tex_text
from exact.symbolic.theorems import THEOREMS

needs_pdflatex = pytest.mark.skipif(shutil.which("pdflatex") is None,
                                    reason="pdflatex is not installed (apt-get install texlive-latex-base)")


def compile_latex(source: str, tmp_path) -> list[str]:
    """Compile with pdflatex; return its error messages (``! ...`` lines with the line they name)."""
    (tmp_path / "doc.tex").write_text(source, encoding="ascii")
    subprocess.run(["pdflatex", "-interaction=nonstopmode", "-no-shell-escape", "doc.tex"], cwd=tmp_path,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120, check=False)
    log = (tmp_path / "doc.log").read_text(encoding="latin-1")
    errors = [m.group(0) for m in re.finditer(r"^! .*(?:\n.*){0,2}", log, re.M)]
    # a glyph taken from another font (">" in \texttt from the math font): a wrong character in the PDF
    errors += [m.group(0) for m in re.finditer(r"^LaTeX Font Warning: Font shape .*", log, re.M)]
    if not (tmp_path / "doc.pdf").exists() and not errors:
        errors = ["no PDF written"]
    return errors


@pytest.fixture(scope="module")
def derivations():
    return [built(name) for name in THEOREMS]  # shared with test_proofs


@needs_pdflatex
def test_the_latex_document_compiles(tmp_path, derivations):
    doc = latex_document(derivations)
    assert doc.lstrip().startswith(r"\documentclass") and doc.rstrip().endswith(r"\end{document}")
    assert compile_latex(doc, tmp_path) == []
    assert (tmp_path / "doc.pdf").stat().st_size > 10_000


def test_prove_latex_prints_the_document(capsys):
    """``exactnet prove --latex [NAME]`` prints one complete document (exact.cli calls latex_document)."""
    assert main(["prove", "--latex", "gradient"]) == 0
    out = capsys.readouterr().out
    assert out.strip() == latex_document([THEOREMS["gradient"]()]).strip()


@needs_pdflatex
def test_every_markdown_math_span_compiles(tmp_path, derivations):
    spans = [s for d in derivations for s in math_spans(d.to_markdown())]
    assert len(spans) > 100
    body = []
    for i, s in enumerate(spans):
        inner = s.strip("$")
        body.append(f"% span {i}\n\\[ {inner} \\]\n")
    src = "\\documentclass{article}\n\\usepackage{amsmath,amssymb}\n\\begin{document}\n" + "".join(body) + \
        "\\end{document}\n"
    assert all(s.isascii() for s in spans), [s for s in spans if not s.isascii()][:3]
    assert compile_latex(src, tmp_path) == []


@needs_pdflatex
def test_the_compile_check_catches_broken_latex(tmp_path):
    """The old output's defects, each fails on its own: Unicode and ``^`` inside \\text{}, a
    fragment without the document around it."""
    pre = "\\documentclass{article}\\usepackage{amsmath,amssymb}\\begin{document}\n"
    (tmp_path / "doc.tex").write_text(pre + "$\\text{\u03bb \u2192 \u221e}$\n\\end{document}\n", encoding="utf-8")
    subprocess.run(["pdflatex", "-interaction=nonstopmode", "doc.tex"], cwd=tmp_path, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=120, check=False)
    assert "Unicode character" in (tmp_path / "doc.log").read_text(encoding="latin-1")
    assert compile_latex(pre + "$\\text{x^2}$\n\\end{document}\n", tmp_path) != []
    assert compile_latex(THEOREMS["gradient"]().to_latex(), tmp_path) != []
    (tmp_path / "doc.pdf").unlink(missing_ok=True)
    assert compile_latex(pre + "ok $\\lambda$\n\\end{document}\n", tmp_path) == []


def test_tex_text_escapes_prose_and_keeps_math():
    assert tex_text(r"a_b 50% & λ → ∞ $\sigma_2$") == (
        r"a\_b 50\% \& \ensuremath{\lambda} \ensuremath{\to} \ensuremath{\infty} $\sigma_2$")
    with pytest.raises(ValueError, match="no LaTeX for the character"):
        tex_text("☃")


def test_latex_document_is_ascii_and_wraps_every_theorem(derivations):
    doc = latex_document(derivations)
    assert doc.isascii() and doc.count("\\subsection*") == len(THEOREMS)
    assert "\\textbackslash" not in doc.split("\\begin{document}")[1].replace("\\texttt", "")

"""Symbolic side: every derivation verifies, a wrong step fails loudly, sympy's answers
agree with torch autograd and mpmath, and the known wrong sympy limit is caught."""

import random
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy as sp
import torch

import numeric
from exact.cli import main
from exact.errors import VerificationError
from exact.symbolic.derivation import Derivation
from exact.symbolic.expressions import checked_limit, lse_vec, softmax_exact, softmax_vec
from exact.symbolic.theorems import THEOREMS


@pytest.mark.parametrize("name", list(THEOREMS))
def test_every_theorem_verifies_and_renders(name):
    d = THEOREMS[name]()
    md, tex = d.to_markdown(), d.to_latex()
    checks = max(len(d.steps) - 1, 0) + len(d.facts)
    assert checks >= 1 and md.count("✔") == checks
    assert tex.count("\\checkmark") == checks


def test_a_wrong_step_raises():
    x = sp.Symbol("x", positive=True)
    d = Derivation("t", "s")
    d.start(sp.exp(x) * sp.exp(-x))
    d.step(sp.Integer(1), "exp(x) exp(-x) = 1")
    with pytest.raises(VerificationError, match="step 2 'off by one' not verified"):
        d.step(sp.Integer(2), "off by one")
    with pytest.raises(VerificationError, match="not verified"):
        d.step(sp.Integer(0), "an inequality sympy cannot prove", relation="<=", check=lambda: None)
    with pytest.raises(VerificationError, match="fact"):
        d.fact("1 = 2", "nonsense", lambda: sp.Integer(1) == 2)


def test_sympy_wrong_limit_is_caught():
    # sympy 1.14 answers b here for positive a, b, which is wrong when a > b (sympy issue 22893)
    a, b, lam = sp.symbols("a b lambda", positive=True)
    expr = sp.log(sp.exp(a * lam) + sp.exp(b * lam)) / lam
    naive = sp.limit(expr, lam, sp.oo)
    if naive != sp.Max(a, b):
        with pytest.raises(VerificationError, match="disagrees with a high-precision numerical evaluation"):
            checked_limit(expr, lam, sp.oo)
    # with numbers the answer is right and accepted
    assert checked_limit(expr.subs({a: 3, b: 1}), lam, sp.oo) == 3


def test_exact_softmax_of_the_sheet_vectors():
    p1, p2, p3 = softmax_exact([1, 2, 3]), softmax_exact([11, 12, 13]), softmax_exact([10, 20, 30])
    assert all(sp.simplify(u - v) == 0 for u, v in zip(p1, p2))
    assert [round(float(v), 5) for v in p1] == [0.09003, 0.24473, 0.66524]
    assert sp.simplify(p3[0] - p1[0]) != 0
    assert float(p3[2]) == pytest.approx(0.9999546, abs=1e-7)


def _rand_rationals(rng, n):
    return [Fraction(rng.randint(-40, 40), rng.randint(1, 9)) for _ in range(n)]


@pytest.mark.parametrize("n", [2, 3, 5])
def test_sympy_gradient_and_hessian_match_torch_autograd(n):
    rng = random.Random(n)
    xs = sp.symbols(f"x1:{n + 1}", real=True)
    lam_sym = sp.Symbol("lambda", positive=True)
    L = lse_vec(xs, lam_sym)
    grad = [sp.diff(L, x) for x in xs]
    H = [[sp.diff(L, a, b) for b in xs] for a in xs]
    for _ in range(5):
        vals = _rand_rationals(rng, n)
        lam = Fraction(rng.randint(1, 30), rng.randint(1, 7))
        env = {x: sp.Rational(v.numerator, v.denominator) for x, v in zip(xs, vals)}
        env[lam_sym] = sp.Rational(lam.numerator, lam.denominator)
        t = torch.tensor([float(v) for v in vals], dtype=torch.float64, requires_grad=True)
        g_t, = torch.autograd.grad(numeric.logsumexp(t, lam=float(lam)), t, create_graph=True)
        H_t = torch.stack([torch.autograd.grad(g_t[i], t, retain_graph=True)[0] for i in range(n)])
        for i in range(n):
            assert abs(float(grad[i].subs(env)) - g_t[i].item()) <= 1e-12
            for j in range(n):
                assert abs(float(H[i][j].subs(env)) - H_t[i, j].item()) <= 1e-12


def test_symbolic_softmax_matches_numeric_at_random_points():
    rng = random.Random(1)
    xs = sp.symbols("x1:5", real=True)
    lam = sp.Symbol("lambda", positive=True)
    P = softmax_vec(xs, lam)
    for _ in range(10):
        vals = _rand_rationals(rng, 4)
        lv = Fraction(rng.randint(1, 50), 3)
        env = {x: sp.Rational(v.numerator, v.denominator) for x, v in zip(xs, vals)}
        env[lam] = sp.Rational(lv.numerator, lv.denominator)
        got = numeric.softmax(np.array([float(v) for v in vals]), lam=float(lv))
        for p, g in zip(P, got):
            assert abs(float(p.subs(env)) - g) <= 1e-14


@pytest.mark.parametrize("vals, lam_big", [([1, 2, 3], 10**6), ([2, 2, -1], 10**6), ([0.5, -3, 0.25], 10**7)])
def test_limits_match_mpmath_at_large_lambda(vals, lam_big):
    mpmath.mp.dps = 80
    xs = [mpmath.mpf(v) for v in vals]
    lse = mpmath.log(mpmath.fsum(mpmath.exp(lam_big * x) for x in xs)) / lam_big
    top = max(xs)
    t = sum(1 for x in xs if x == top)
    assert abs(lse - top) <= mpmath.log(len(xs)) / lam_big
    w = [mpmath.exp(lam_big * (x - top)) for x in xs]
    p = [v / mpmath.fsum(w) for v in w]
    limit = [mpmath.mpf(1) / t if x == top else 0 for x in xs]
    assert all(abs(a - b) < mpmath.mpf(10) ** -50 for a, b in zip(p, limit))
    # numeric at lam = inf gives the same limit
    assert numeric.softmax(np.array(vals, float), lam=np.inf).tolist() == [float(v) for v in limit]


def test_prove_command(capsys):
    assert main(["prove", "gradient"]) == 0
    out = capsys.readouterr().out
    assert "gradient of lse is softmax" in out and "✔" in out
    assert main(["prove", "--latex", "max-regions"]) == 0
    assert "\\checkmark" in capsys.readouterr().out
    assert main(["prove", "--list"]) == 0
    assert "hessian" in capsys.readouterr().out
    assert main(["prove", "nope"]) == 2
    assert "unknown theorem 'nope'" in capsys.readouterr().err

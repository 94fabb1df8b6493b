"""Symbolic side: every derivation verifies (and re-verifies), a wrong step fails loudly, each
route of a check can fail alone, sympy's answers agree with torch autograd and mpmath, and the
known wrong sympy limit is caught.  ``test_mutations.py`` breaks every link on purpose."""

import functools
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
from exact.symbolic.expressions import checked_limit, lse_vec, numeric_limit_check, softmax_exact, softmax_vec
from exact.symbolic.pointwise import numeric_equal
from exact.symbolic.theorems import THEOREMS


@functools.cache
def built(name):
    """Each theorem built (and so verified) once per test session (test_mutations, test_latex use it too)."""
    return THEOREMS[name]()


@pytest.mark.parametrize("name", list(THEOREMS))
def test_every_theorem_verifies_and_renders(name):
    d = built(name)
    assert d.verified  # runs every check again
    md, tex = d.to_markdown(), d.to_latex()
    checks = sum(1 for s in d.steps if s.relation) + len(d.facts)
    assert checks >= 1 and md.count("✔") == checks
    assert tex.count("\\checkmark") == checks
    assert "<lambda>" not in md and "<function" not in md and "sympy check:" not in md
    assert md.count("— checked: ") == checks and all((s.method or not s.relation) for s in d.steps)


@pytest.mark.parametrize("name", list(THEOREMS))
def test_no_step_repeats_the_previous_formula(name):
    """A step shows its rewrite: its rendered formula differs from the previous one."""
    d = built(name)
    repeats = [s.why for prev, s in zip(d.steps, d.steps[1:])
               if s.relation and sp.latex(prev.expr) == sp.latex(s.expr)]
    assert repeats == []


def test_a_wrong_step_raises():
    x = sp.Symbol("x", positive=True)
    d = Derivation("t", "s")
    d.start(sp.exp(x) * sp.exp(-x))
    d.step(sp.Integer(1), "exp(x) exp(-x) = 1")
    with pytest.raises(VerificationError, match="step 2 'off by one' not verified"):
        d.step(sp.Integer(2), "off by one")
    assert len(d.steps) == 2  # the failed step is not kept
    with pytest.raises(VerificationError, match="not verified"):
        d.step(sp.Integer(0), "a check that returns nothing", relation="<=", check=lambda a, b: None)
    with pytest.raises(VerificationError, match="fact 1 'nonsense' not verified"):
        d.fact(sp.Integer(1), "=", 2, "nonsense")


def test_inequality_steps_are_checked_the_right_way_round():
    """Regression: the default check of ``step(..., relation=">")`` tested ``new - previous > 0``,
    so ``x > x + 1`` got a check mark.  Now the previous expression must exceed the new one."""
    x = sp.Symbol("x", real=True)
    for rel, wrong, right in ((">", x + 1, x - 1), (">=", x + 1, x), ("<", x - 1, x + 1), ("<=", x - 1, x)):
        d = Derivation("direction", "s")
        d.start(x)
        with pytest.raises(VerificationError, match=f"not verified: x {rel} "):
            d.step(wrong, "wrong way round", relation=rel)
        d.step(right, "right way round", relation=rel)
        assert d.steps[-1].method.startswith(("lhs - rhs", "rhs - lhs"))


def test_verified_reruns_the_checks():
    x = sp.Symbol("x", real=True)
    d = Derivation("t", "s")
    assert not d.verified  # nothing was checked
    d.start((x + 1) ** 2)
    d.step(x**2 + 2 * x + 1, "expand")
    assert d.verified
    d.steps[1].expr = x**2 + 2 * x  # tampered with after the fact
    assert not d.verified
    with pytest.raises(VerificationError, match="step 1 'expand' not verified"):
        d.verify()


def test_each_route_of_an_equality_check_can_fail_alone(monkeypatch):
    """The sympy route and the mpmath route each reject a wrong step on their own."""
    import exact.symbolic.checks as checks

    x = sp.Symbol("x", positive=True)
    assert checks.equal_check()(sp.Derivative(sp.log(x), x), 1 / x) is not None
    monkeypatch.setattr(checks, "numeric_equal", lambda *a, **k: "numbers skipped")
    assert checks.equal_check()(sp.Derivative(sp.log(x), x), 2 / x) is None  # sympy alone says no
    monkeypatch.setattr(checks, "numeric_equal", numeric_equal)
    monkeypatch.setattr(checks, "verify_equal", lambda *a, **k: "sympy skipped")
    assert checks.equal_check()(sp.Derivative(sp.log(x), x), 2 / x) is None  # mpmath alone says no


def test_each_route_of_an_inequality_check_can_fail_alone(monkeypatch):
    """The sign proof and the random-point spot check each reject a false bound on their own."""
    import exact.symbolic.checks as checks

    lam, n = sp.Symbol("lambda", positive=True), sp.Symbol("n", integer=True, positive=True)
    M, j = sp.Symbol("M", real=True), sp.Symbol("j", integer=True, positive=True)
    lse = M + sp.log(sp.Sum(sp.exp(-lam * sp.IndexedBase("delta", nonnegative=True)[j]), (j, 1, n))) / lam
    right, wrong = M + sp.log(n) / lam, M + sp.log(n) / lam - sp.Rational(1, 10**6)
    assert "interval arithmetic" in checks.sign_check("<=")(lse, right)
    monkeypatch.setattr(checks, "_spot_inequality", lambda *a, **k: "spot check skipped")
    assert checks.sign_check("<=")(lse, wrong) is None  # no proof of a false bound
    monkeypatch.undo()
    monkeypatch.setattr(checks, "prove_nonnegative", lambda *a, **k: "proof skipped")
    x = sp.Symbol("x", real=True)
    assert checks.sign_check(">=")(x**2, x**2 + 1) is None  # the spot check finds it false


def test_the_limit_arguments_reject_what_they_do_not_prove():
    from exact.symbolic.checks import continuity_check, derivative_quotient_check, same_limit_check

    x = sp.Symbol("x", positive=True)
    assert continuity_check()(sp.Limit(1 / (1 + sp.exp(x)), x, 0), sp.Rational(1, 3)) is None  # wrong value
    assert continuity_check()(sp.Limit(sp.sin(x) / x, x, 0), 1) is None  # not continuous as written
    g = sp.log(1 + x)
    assert derivative_quotient_check()(sp.Limit((g + 1) / x, x, 0), sp.Subs(sp.Derivative(g + 1, x), x, 0)) is None
    assert derivative_quotient_check()(sp.Limit(g / x, x, 0), 2 * sp.Subs(sp.Derivative(g, x), x, 0)) is None
    assert same_limit_check()(sp.Limit(g, x, 0), sp.Limit(2 * g, x, 0)) is None


def test_numeric_limit_check_approaches_from_the_side_asked_for():
    """Regression: for ``dir="-"`` the numerical cross-check evaluated at ``point + 1e-12``."""
    x = sp.Symbol("x", real=True)
    step = sp.Heaviside(x)
    assert numeric_limit_check(step, x, 0, 0, dir="-") and not numeric_limit_check(step, x, 0, 0, dir="+")
    assert not numeric_limit_check(step, x, 0, 0, dir="+-")
    logistic = 1 / (1 + sp.exp(1 / x))
    assert checked_limit(logistic, x, 0, dir="-") == 1 and checked_limit(logistic, x, 0, dir="+") == 0


def test_inequality_proofs_name_their_method():
    d = built("bounds")
    upper, lower = d.steps[2], d.steps[6]  # the lower chain starts from lse's definition (steps 3-5)
    assert (upper.relation, lower.relation) == ("<=", ">=")
    assert "interval arithmetic (mpmath.iv)" in upper.method and "log is increasing" in upper.method
    assert "premise" not in upper.method and "rhs - lhs >= 0 proved" in upper.method


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


def _plain(text):
    """Words and math alike, lower case without spaces: "the limit $\\lambda\\to\\infty$" -> "thelimitλ→∞"."""
    for tex, char in ((r"\lambda", "λ"), (r"\to", "→"), (r"\infty", "∞"), ("$", ""), (" ", "")):
        text = text.replace(tex, char)
    return text.lower()


def _citations(d):
    """(link, why, method) of each link whose words name another theorem of the registry."""
    titles = {_plain(THEOREMS[name]().title.split(":")[0]) for name in THEOREMS} - {_plain(d.title.split(":")[0])}
    titles |= {t.split(")", 1)[1] for t in titles if t.startswith("2(e)thelimit")}  # "the limit λ → ∞"
    links = [(f"step {i}", s.why, s.method) for i, s in enumerate(d.steps) if s.relation]
    links += [(f"fact {i + 1}", f.why, f.method) for i, f in enumerate(d.facts)]
    return [(label, why, method) for label, why, method in links if any(t in _plain(why) for t in titles)]


@pytest.mark.parametrize("name", list(THEOREMS))
def test_a_link_that_names_another_theorem_builds_it_in_its_check(name):
    """A premise taken from another theorem ("p_k > 0 and sum_k p_k = 1 (Softmax is a probability vector)")
    was words only: `exactnet prove hessian` marked the step with that theorem never verified.  Now the
    check builds the cited theorem (once per run) and finds each premise in it."""
    unchecked = [label for label, _, method in _citations(built(name)) if "built and verified in this run" not in method]
    assert unchecked == []


def test_the_citations_are_where_the_sheet_needs_them():
    cited = {name: [label for label, _, _ in _citations(built(name))] for name in THEOREMS}
    assert cited["hessian"] == ["step 6"] and cited["lambda-derivative"] == ["step 4"]
    assert cited["limit-infinity"] == ["fact 1", "fact 2", "fact 3"] and cited["limit-ties"] == ["fact 1"]
    assert cited["limit-minus-infinity"] == ["step 1", "step 3"]   # lse (limit-infinity), softmax (limit-ties)
    methods = [s.method for s in built("hessian").steps[6:]]
    assert sum("`Sum(p[k], (k, 1, n)) = 1` is chain 1 of 'Softmax is a probability vector'" in m for m in methods) == 2
    assert sum("`p[k] > 0` is fact 1 of 'Softmax is a probability vector'" in m for m in methods) == 2


def test_a_premise_the_cited_theorem_does_not_show_fails_the_link():
    from exact.symbolic.calculus import softmax_sums_to_one
    from exact.symbolic.expressions import softmax_sum, symbols
    from exact.symbolic.premises import cited_check, proves

    lam, n, j, k, _, s, _, _ = symbols()
    p = sp.IndexedBase("p", positive=True)
    ok = lambda lhs, rhs: "the link's own check"  # noqa: E731

    def softmax(e):
        return e.replace(lambda x: isinstance(x, sp.Indexed) and x.base == p,
                         lambda x: softmax_sum(s, lam, n, j, x.indices[0]))

    def unnormalised(e):  # p_k = exp(λσ_k): not a probability vector
        return e.replace(lambda x: isinstance(x, sp.Indexed) and x.base == p, lambda x: sp.exp(lam * s[x.indices[0]]))

    total = (sp.Sum(p[k], (k, 1, n)), "=", 1)
    assert cited_check(ok, softmax_sums_to_one, [total], (softmax, "softmax"))(0, 0) is not None
    assert cited_check(ok, softmax_sums_to_one, [total], (unnormalised, "exp"))(0, 0) is None
    for wrong in [(total[0], "=", 2), (p[k], "<", 0), (p[k], ">", 1), (p[k], ">=", 1)]:
        assert cited_check(ok, softmax_sums_to_one, [wrong], (softmax, "softmax"))(0, 0) is None, wrong
    assert cited_check(lambda lhs, rhs: None, softmax_sums_to_one, [total], (softmax, "softmax"))(0, 0) is None
    d = built("sum-to-one")
    assert proves(d, softmax(p[k]), ">=", 0) == "fact 1 of 'Softmax is a probability vector'"  # > gives >=
    assert proves(d, softmax(p[k]), "<", 1) is None                                        # only <= 1 is shown
    assert proves(d, softmax(total[0]), "<=", 1) == "chain 1 of 'Softmax is a probability vector' (steps 0 to 2)"

    def broken():
        raise VerificationError("the cited theorem fails")

    d = Derivation("citing", "s")
    with pytest.raises(VerificationError, match="fact 1 'cites a failing theorem' not verified"):
        d.fact(0, "=", 0, "cites a failing theorem", check=cited_check(ok, broken, [total], (softmax, "softmax")))


def test_softmax_at_most_one_is_checked_by_the_term_of_its_sum():
    """"0 < softmax_k <= 1" was claimed but only "> 0" was checked; lambda-derivative used "<= 1"."""
    from exact.symbolic.premises import term_of_sum_check

    d = built("sum-to-one")
    (i,) = [i for i, f in enumerate(d.facts) if f.relation == "<="]
    assert d.facts[i].rhs == 1 and "is at least each of its terms" in d.facts[i].method
    j, k, n = sp.symbols("j k n", integer=True, positive=True)
    x = sp.IndexedBase("x", real=True)
    S = sp.Sum(sp.exp(x[j]), (j, 1, n))
    check = term_of_sum_check(hyps=[k <= n])
    assert check(sp.exp(x[k]) / S, 1) is not None
    assert term_of_sum_check()(sp.exp(x[k]) / S, 1) is None                          # k <= n not known
    assert check(sp.exp(x[k]) / sp.Sum(sp.exp(x[j]), (j, 2, n)), 1) is None           # k = 1 left out
    assert check(sp.exp(2 * x[k]) / S, 1) is None and check(x[k] / sp.Sum(x[j], (j, 1, n)), 1) is None

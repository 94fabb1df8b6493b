"""Every check of every derivation can fail: replace each expression by a wrong one and verify again.

For every step and every side of every fact of every theorem, each mutation (×2, sign flipped,
+1, an index shifted by one) that changes the expression is applied, and the checks that
see that expression are run again (``Derivation.replaced`` + ``Derivation.verify``); they
must raise ``VerificationError``.  A mutation can leave a claim true (doubling a positive
bound; shifting every index of a sum of all components), so a mutation counts only when
random points show the mutated claim false; "+1" is applied towards the false side of an
inequality (``a <= b`` becomes ``a <= b - 1``).

A link that no wrong mutation reaches, or a wrong mutation that still verifies, is listed
and fails the test: such a check could not fail.
"""

import random
from fractions import Fraction

import mpmath
import pytest
import sympy as sp
from test_proofs import built

from exact.errors import VerificationError
from exact.symbolic.derivation import Derivation
from exact.symbolic.net_example import N_ACT, counts_of
from exact.symbolic.pointwise import RandomPoint, evaluate, probability_vector
from exact.symbolic.theorems import THEOREMS

SAMPLERS = {"p": probability_vector}


def _shift_indices(e):
    """Shift every index by one: sigma[k] -> sigma[k + 1]; a matrix's entries move one place;
    without indices the symbolic length n becomes n + 1."""
    if isinstance(e, sp.MatrixBase):
        flat = list(e)
        return sp.Matrix(e.rows, e.cols, flat[-1:] + flat[:-1])
    if e.atoms(sp.Indexed):
        return e.replace(lambda x: isinstance(x, sp.Indexed),
                         lambda x: x.base[tuple(i + 1 for i in x.indices)])
    ints = sorted((s for s in e.free_symbols if s.is_integer), key=str)
    return e.xreplace({ints[0]: ints[0] + 1}) if ints else e


def _plus(e, c):
    return e + sp.ones(*e.shape) * c if isinstance(e, sp.MatrixBase) else e + c


def mutants(e, towards=1):
    """The mutations of ``e`` that change it: name -> mutated expression."""
    out = {"x2": 2 * e, "neg": -e, "plus1": _plus(e, towards), "shift": _shift_indices(e)}
    return {k: v for k, v in out.items() if v != e}


class _EdgePoint(RandomPoint):
    """Random values that hit 0 for nonnegative symbols now and then (where bounds are tight)."""

    def _draw(self, atom):
        if not atom.is_integer and atom.is_nonnegative and not atom.is_positive and self.rng.random() < 0.5:
            return sp.Integer(0)
        return super()._draw(atom)


class _Regions(sp.Function):
    """R_n by iterating its recurrence R_0 = 1, R_n = R_{n-1} + n: the test's own truth for R."""

    @classmethod
    def eval(cls, x):
        if x.is_Integer:
            return sp.Integer(1 + sum(range(int(x) + 1)))


class _Pieces(sp.Function):
    """P_k by iterating P_0 = 1, P_k = P_{k-1} + 1."""

    @classmethod
    def eval(cls, x):
        if x.is_Integer:
            return sp.Integer(1 + sum(1 for _ in range(int(x))))


def _plane_counts(W, b, a):
    """The net's (activation, linear) regions in the plane by the public API, for the facts of bonus 4."""
    import exact

    def frac(v):
        return Fraction(int(v.p), int(v.q))

    rows = [[frac(v) for v in W.row(i)] for i in range(W.rows)]
    got = exact.count_regions([(rows, [frac(v) for v in b]), ([[frac(v) for v in a]], [0])], window=None)
    return got.activation, got.linear


class _Activation(sp.Function):
    """N_act(W, b, a) by ``exact.count_regions``: the test's own truth for the example's counts."""

    @classmethod
    def eval(cls, W, b, a):
        return sp.Integer(_plane_counts(W, b, a)[0])


class _Linear(sp.Function):
    """N_lin(W, b, a) by ``exact.count_regions``."""

    @classmethod
    def eval(cls, W, b, a):
        return sp.Integer(_plane_counts(W, b, a)[1])


_TRUTH = {"R": _Regions, "P": _Pieces, "N_act": _Activation, "N_lin": _Linear}


def _known(e):
    """Undefined functions of the derivations (R, P) replaced by the test's own evaluation."""
    from sympy.core.function import AppliedUndef

    return sp.sympify(e).replace(lambda x: isinstance(x, AppliedUndef) and x.func.__name__ in _TRUTH,
                                 lambda x: _TRUTH[x.func.__name__](*x.args))


def false_somewhere(lhs, relation, rhs, points=40) -> bool:
    """Whether ``lhs relation rhs`` fails at one of ``points`` random points (``=`` and ``approx``:
    the sides differ by more than 1e-6 relative somewhere)."""
    rng = random.Random(7)
    lhs, rhs = _known(lhs), _known(rhs)
    diff = lhs - rhs
    for i in range(points):
        try:
            pt = _EdgePoint(rng, 2 + i % 4, SAMPLERS)
            v = evaluate(diff, pt)
            size = evaluate(lhs, pt)
        except (ValueError, TypeError, ZeroDivisionError):
            continue
        if relation in ("=", "approx"):
            vs, ss = (v, size) if isinstance(v, list) else ([v], [size])
            if any(abs(x) > mpmath.mpf(10) ** -6 * (1 + abs(s)) for x, s in zip(vs, ss)):
                return True
            continue
        ok = {"<=": v <= mpmath.mpf(10) ** -25, "<": v < 0, ">=": v >= -mpmath.mpf(10) ** -25, ">": v > 0}
        if not ok[relation]:
            return True
    return False


def _caught(d: Derivation, **kw) -> bool:
    what = {"steps": kw.pop("steps")} if "steps" in kw else {"facts": kw.pop("facts")}
    try:
        d.replaced(**kw).verify(**what)
    except VerificationError:
        return True
    return False


def step_cases(d: Derivation):
    """(label, wrong?, caught?) for every mutation of every step."""
    for i, s in enumerate(d.steps):
        links = [j for j in (i, i + 1) if j < len(d.steps) and d.steps[j].relation != ""]
        rels = [d.steps[j].relation for j in links]
        if not links:
            yield f"step {i}", None, None
            continue
        towards = 1
        if "=" not in rels:  # i is the rhs of link i (or the lhs of link i + 1): push it to the false side
            rel = rels[0]
            towards = -1 if (rel in ("<=", "<")) == (links[0] == i) else 1
        for name, m in mutants(s.expr, towards).items():
            wrong = any(false_somewhere(*((d.steps[j - 1].expr, d.steps[j].relation, m) if j == i
                                          else (m, d.steps[j].relation, d.steps[j].expr))) for j in links)
            yield f"step {i} {name}", wrong, _caught(d, step=i, expr=m, steps=links) if wrong else None


def fact_cases(d: Derivation):
    for i, f in enumerate(d.facts):
        for side in ("lhs", "rhs"):
            e = getattr(f, side)
            towards = 1 if (f.relation in ("<=", "<")) == (side == "lhs") else -1
            for name, m in mutants(e, towards).items():
                lhs, rhs = (m, f.rhs) if side == "lhs" else (f.lhs, m)
                wrong = false_somewhere(lhs, f.relation, rhs)
                yield f"fact {i + 1} {side} {name}", wrong, _caught(d, fact=i, facts=[i], **{side: m}) if wrong else None


@pytest.mark.parametrize("name", list(THEOREMS))
def test_every_wrong_expression_is_rejected(name):
    d = built(name)  # shared with test_proofs; replaced() copies, so the original is never changed
    cases = list(step_cases(d)) + list(fact_cases(d))
    unchecked = [label for label, wrong, _ in cases if wrong is None]
    survived = [label for label, wrong, caught in cases if wrong and not caught]
    reached = {label.rsplit(" ", 1)[0] for label, wrong, _ in cases if wrong}
    links = {f"step {i}" for i in range(len(d.steps))} | {f"fact {i + 1} {s}" for i in range(len(d.facts))
                                                          for s in ("lhs", "rhs")}
    unbreakable = sorted(links - reached - set(unchecked))
    assert (unchecked, survived) == ([], []), f"{name}: no check sees {unchecked}; wrong but verified: {survived}"
    facts_reached = {lab for lab in unbreakable if lab.startswith("fact")}
    # a fact side may be a bare 0 that no mutation changes; each fact must be breakable on one side
    for i in range(len(d.facts)):
        assert {f"fact {i + 1} lhs", f"fact {i + 1} rhs"} - facts_reached, f"{name}: fact {i + 1} unbreakable"
    assert not [lab for lab in unbreakable if lab.startswith("step")], f"{name}: unbreakable {unbreakable}"


def test_the_mutation_test_finds_a_check_that_cannot_fail():
    """A step whose check ignores its expressions is reported (survives every mutation)."""
    x = sp.Symbol("x", real=True)
    d = Derivation("vacuous", "$x = x$")
    d.start(x)
    d.step(x, "a check that looks at nothing", check=lambda lhs, rhs: "always")
    cases = list(step_cases(d))
    assert cases and all(wrong and not caught for _, wrong, caught in cases)
    e = Derivation("honest", "$x = x$")
    e.start(x)
    e.step(x, "the default check")
    assert all(wrong and caught for _, wrong, caught in step_cases(e))


def test_a_start_no_step_follows_is_reported():
    d = Derivation("lonely", "$1$")
    d.start(sp.Integer(1))
    assert list(step_cases(d)) == [("step 0", None, None)]


def test_inequality_mutations_that_stay_true_are_not_counted():
    x = sp.Symbol("x", positive=True)
    assert not false_somewhere(2 * x, ">", 0) and false_somewhere(x - 1, ">", 0)
    assert mutants(sp.Integer(0)) == {"plus1": 1}


def _example_fact(d: Derivation) -> int:
    """The index of bonus 4's example fact ``(N_act, N_lin)(W, b, a) = (7, 4)``."""
    return next(i for i, f in enumerate(d.facts) if isinstance(f.lhs, sp.MatrixBase) and f.lhs.has(N_ACT))


def test_the_region_example_fails_for_a_wrong_weight_or_number():
    """Bonus 4's "7 activation but 4 linear regions" is checked on its net: change a weight or a number
    and the fact fails (its check reads the weights from the fact and counts them twice)."""
    d = built("max-regions")
    i = _example_fact(d)
    W, b, a = d.facts[i].lhs[0].args
    assert (W.tolist(), list(b), list(a)) == ([[1, 0], [0, 1], [1, 1]], [0, 0, -1], [1, 1, 0])
    same_counts = [(W, b, sp.Matrix([[0, 1, 1]])), (sp.Matrix([[1, 0], [0, 1], [1, sp.Rational(9, 8)]]), b, a)]
    assert not [net for net in same_counts if _caught(d, fact=i, facts=[i], lhs=counts_of(*net))]  # recounted
    wrong_nets = {
        "no zero output weight (7 linear regions)": (W, b, sp.Matrix([[1, 1, 1]])),
        "two zero output weights (2 linear regions)": (W, b, sp.Matrix([[1, 0, 0]])),
        "three lines through one point (6 activation regions)": (W, sp.Matrix([0, 0, 0]), a),
        "two parallel lines (6 activation regions)": (sp.Matrix([[1, 0], [0, 1], [1, 0]]), b, a),
    }
    assert [name for name, net in wrong_nets.items() if not _caught(d, fact=i, facts=[i], lhs=counts_of(*net))] == []
    for counts in ([[7, 5]], [[6, 4]], [[8, 4]], [[4, 7]], [[7, 7]]):
        assert _caught(d, fact=i, facts=[i], rhs=sp.Matrix(counts)), counts


def test_each_route_of_the_region_example_check_can_fail_alone(monkeypatch):
    """The engine's counts and sympy's sign patterns each reject a wrong net on their own."""
    import exact.symbolic.net_example as ne

    d = built("max-regions")
    i = _example_fact(d)
    W, b, _ = d.facts[i].lhs[0].args
    wrong = counts_of(W, b, sp.Matrix([[1, 1, 1]]))          # (7, 7), and no zero output weight
    check = d.facts[i].check
    assert check(d.facts[i].lhs, sp.Matrix([[7, 4]])) is not None
    assert check(wrong, sp.Matrix([[7, 4]])) is None
    n = sp.Symbol("n", integer=True, positive=True)
    loose = ne.region_counts_check(n, n * (n + 1) / 2 + 1, zero_weights=0)   # the premise out of the way
    assert loose(wrong, sp.Matrix([[7, 7]])) is not None
    monkeypatch.setattr(ne, "engine_counts", lambda *args: (7, 4))
    assert loose(wrong, sp.Matrix([[7, 4]])) is None                           # sympy alone says no
    monkeypatch.undo()
    monkeypatch.setattr(ne, "sympy_counts", lambda *args: (7, 4, "skipped"))
    assert loose(wrong, sp.Matrix([[7, 4]])) is None                           # the engine alone says no

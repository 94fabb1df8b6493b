"""The squeeze lemmas of exact.symbolic: 1/a - 1/b by the sign of b - a, and a limit taken of a given bound.

Each rule is asserted to prove what is true and to return None (no proof) for the same claim
turned the wrong way, so that neither can pass a false inequality or an unlinked limit."""

import pytest
import sympy as sp
from test_proofs import built

from exact.errors import VerificationError
from exact.symbolic.checks import limit_of_check, sign_check
from exact.symbolic.signs import prove_nonnegative

LAM = sp.Symbol("lambda", positive=True)
N = sp.Symbol("n", integer=True, positive=True)
J = sp.Symbol("j", integer=True, positive=True)
T = sp.Symbol("t", integer=True, positive=True)
R = sp.Symbol("r", integer=True, nonnegative=True)
D = sp.Symbol("d", positive=True)
EPS = sp.IndexedBase("epsilon", nonnegative=True)
TAIL = sp.Sum(sp.exp(-LAM * (D + EPS[J])), (J, 1, N - 1))   # n - 1 terms, each <= e^{-λd}


def test_reciprocals_are_compared_by_the_sign_of_the_difference_of_their_bases():
    lower = 1 / (1 + (N - 1) * sp.exp(-LAM * D))
    assert "1/x decreases on x > 0" in prove_nonnegative(1 / (1 + TAIL) - lower)
    assert prove_nonnegative(lower - 1 / (1 + TAIL)) is None                  # the wrong way round
    assert prove_nonnegative(1 - 1 / (1 + TAIL)) is not None                  # a number is 1/(1/number)
    assert prove_nonnegative(1 / (1 + TAIL) - 1) is None
    # strict needs b - a > 0: with r = 0 allowed, 1/t - 1/(t + r e^{-λd}) can be 0
    ties = 1 / T - 1 / (T + R * sp.exp(-LAM * D))
    assert prove_nonnegative(ties) is not None and prove_nonnegative(ties, strict=True) is None
    assert prove_nonnegative(1 / T - 1 / (T + 1 + R), strict=True) is not None


def test_a_bound_that_is_wrong_at_some_points_is_not_proved():
    """1/(1 + (n-1)e^{-λd}) with d in place of every gap d + ε_j is a lower bound; with 2d it is not."""
    tighter = 1 / (1 + (N - 1) * sp.exp(-2 * LAM * D))
    assert sign_check(">=")(1 / (1 + TAIL), tighter) is None
    assert sign_check(">=")(1 / (1 + TAIL), 1 / (1 + (N - 1) * sp.exp(-LAM * D))) is not None


def test_a_limit_must_be_taken_of_the_bound_it_closes():
    bound = 1 / (1 + (N - 1) * sp.exp(-LAM * D))
    check = limit_of_check(bound, "the lower bound")
    assert check(sp.Limit(bound, LAM, sp.oo), 1).startswith("the function under the limit is the lower bound")
    assert check(sp.Limit(bound.subs(N, N + 5), LAM, sp.oo), 1) is None    # a true limit of another bound
    assert check(sp.Limit(bound, LAM, sp.oo), 2) is None                   # the right bound, a wrong limit
    assert check(bound, 1) is None                                          # not a limit at all


def test_the_lse_squeeze_takes_the_limit_of_the_upper_bound_proved_in_bounds():
    """limit-infinity's lse limit is of M + log(n)/λ, the bound ``bounds`` proves from lse's definition
    (both of its chains start there); the limit of another expression is refused."""
    b, d = built("bounds"), built("limit-infinity")
    starts = [s.expr for s in b.steps if s.relation == ""]
    assert len(starts) == 2 and starts[0] == starts[1] and starts[0].has(sp.Sum)
    upper = b.steps[2].expr
    assert b.steps[2].relation == "<=" and d.facts[0].lhs.args[0] == upper
    with pytest.raises(VerificationError, match="fact 1"):
        d.replaced(fact=0, lhs=sp.Limit(upper.subs(N, N + 5), LAM, sp.oo)).verify(facts=[0])

"""One table of cases through the exact twins (sympy) and numeric's float functions."""

import math

import numpy as np
import pytest
import sympy as sp

import exact
import numeric
from exact.errors import InputError, InputTypeError

INF = float("inf")

CASES = [
    ([0.0, -40.0], 1.0),
    ([1e3, 1.0], 1e306),
    ([1e3, 1.0], 1.0),
    ([1.0, 2.0, 3.0], 1.0),
    ([1.0, 2.0, 3.0], -1.0),
    ([1.0, 2.0, 3.0], 1e-3),
    ([1.0, 2.0, 3.0], 100.0),
    ([700.0, 700.0, 700.0], 1.0),
    ([-745.0, -745.5], 1.0),
    ([0.5, 0.25, 0.125, 1e-5], 37.0),
    ([0.1, 0.2, 0.3], 2.5),
    ([1.0, 3.0, 3.0], INF),
    ([1.0, 3.0, 3.0], -INF),
    ([2.0, 2.0, 5.0], -INF),
]


def ulps(got: float, want) -> float:
    want = float(want)
    if want == 0:
        return abs(got) / 5e-324
    return abs(got - want) / math.ulp(want)


def value(expr) -> float:
    return float(sp.N(expr, 40))


def close(got: float, expr) -> bool:
    want = value(expr)
    if math.isinf(want):  # beyond float range (log_softmax at λ = 1e306): both overflow
        return got == want
    return ulps(got, want) <= 4 if abs(want) >= 1e-300 else abs(got - want) < 1e-300


@pytest.mark.parametrize("x, lam", CASES)
def test_logsumexp_twins_agree(x, lam):
    assert close(float(numeric.logsumexp(np.array(x), lam=lam)), exact.logsumexp(x, lam=lam))


@pytest.mark.parametrize("x, lam", CASES + [([1.0, 2.0], 0.0)])
def test_softmax_twins_agree(x, lam):
    got = numeric.softmax(np.array(x), lam=lam)
    want = exact.softmax(x, lam=lam)
    assert len(want) == len(got) and all(close(float(g), w) for g, w in zip(got, want))
    assert sp.together(sp.Add(*want)) == 1  # sums to one exactly


@pytest.mark.parametrize("x, lam", [c for c in CASES if c[1] not in (INF, -INF)])
def test_log_softmax_twins_agree(x, lam):
    got = numeric.log_softmax(np.array(x), lam=lam)
    want = exact.log_softmax(x, lam=lam)
    assert all(close(float(g), w) for g, w in zip(got, want))


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_two_d_axes_agree(axis):
    x = [[1.0, 2.0, 0.5], [3.0, 5.0, -1.0]]
    assert all(close(float(g), w) for g, w in zip(numeric.logsumexp(np.array(x), lam=2.0, axis=axis),
                                                  exact.logsumexp(x, lam=2.0, axis=axis)))
    got = numeric.softmax(np.array(x), lam=2.0, axis=axis)
    want = exact.softmax(x, lam=2.0, axis=axis)
    assert np.shape(want) == got.shape
    assert all(close(float(g), w) for g, w in zip(got.ravel(), np.array(want, dtype=object).ravel()))


def test_limits_are_exact():
    assert exact.logsumexp([1, 3, 3], lam=sp.oo) == 3
    assert exact.softmax([1, 3, 3], lam=INF) == [0, sp.Rational(1, 2), sp.Rational(1, 2)]
    assert exact.log_softmax([1, 3], lam=-INF) == [0, -sp.oo]
    assert exact.softmax([0, 5], lam=0) == [sp.Rational(1, 2)] * 2


def test_floats_are_taken_at_their_binary_value():
    # 0.1 + 0.2 != 0.3 in binary: the exact softmax of the three is not symmetric in the way
    # decimals would suggest
    p = exact.softmax([0.1, 0.2], lam=1)
    assert p[1] / p[0] == sp.exp(sp.Rational(0.2) - sp.Rational(0.1))
    assert sp.Rational(0.2) - sp.Rational(0.1) != sp.Rational(1, 10)


def test_symbolic_lambda_gives_the_formula():
    lam = sp.Symbol("lambda", positive=True)
    lse = exact.logsumexp([0, 1], lam=lam)
    assert sp.simplify(lse - sp.log(1 + sp.exp(lam)) / lam) == 0
    assert sp.simplify(sp.diff(lse, lam).subs(lam, 1) - sp.diff(sp.log(1 + sp.exp(lam)) / lam, lam).subs(lam, 1)) == 0


@pytest.mark.parametrize("call, err, match", [
    (lambda: exact.logsumexp([1, 2], lam=0), InputError, "lam = 0"),
    (lambda: exact.logsumexp([], lam=1), InputError, "empty"),
    (lambda: exact.logsumexp([1, float("nan")]), InputError, r"x\[1\] must be finite"),
    (lambda: exact.softmax([1, "2"]), InputTypeError, r"x\[1\] must be a number"),
    (lambda: exact.softmax([1, 2], lam="1"), InputTypeError, "lam must be a real number"),
    (lambda: exact.softmax([1, 2], lam=True), InputTypeError, "lam must be a real number"),
    (lambda: exact.softmax([1, 2], axis=1), InputError, "axis must be 0 or -1"),
    (lambda: exact.softmax([[1, 2], [3]]), InputError, "rectangular"),
    (lambda: exact.softmax([sp.Symbol("a"), 1], lam=INF), InputError, "compared"),
])
def test_bad_input_is_a_clear_error(call, err, match):
    with pytest.raises(err, match=match):
        call()


def test_the_table_catches_a_wrong_twin(monkeypatch):
    """The comparison can fail: a twin with λ dropped from the 1/λ factor disagrees."""
    from exact.symbolic import twins

    def wrong(row, lam):
        m = sp.Max(*row)
        return m + sp.log(sp.Add(*[sp.exp(lam * (v - m)) for v in row]))

    monkeypatch.setattr(twins, "_lse_row", wrong)
    x, lam = [1.0, 2.0, 3.0], 1e-3
    assert not close(float(numeric.logsumexp(np.array(x), lam=lam)), exact.logsumexp(x, lam=lam))

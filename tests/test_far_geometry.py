"""Far-away and tiny geometry: exact means any magnitude (issue 13, item 3).

Every count here is known without the code under test: by hand for a few small nets at
magnitude 1 (the derivation sits next to each net), and at other magnitudes by exact
invariances, applied with a power of two ``s = 2^k`` so that nothing is rounded:

* **far**: the first layer's weights times ``1/s`` and the window times ``s`` move every
  crossing out by ``s`` (``N'(x) = N(x / s)``);
* **bias**: every layer's biases and the window times ``s`` (ReLU is positively
  homogeneous, ``N'(x) = s N(x / s)``);
* **gain**: the bias twin with, in addition, every layer's weights times ``s`` and the
  biases of layer ``l`` (of ``L``) times ``s^l`` more (``N'(x) = s^(L+1) N(x / s)``):
  weights and window both large, so that their products overflow floats.

``k`` runs from about 1e-1000 to 1e1000, across the float range's ends (1e308 and
1e-308).  Values are passed as floats where they are exactly floats, else as ints and
Fractions.  Every test runs with warnings as errors: an overflow ``RuntimeWarning`` fails.

Each new check is also run against a deliberately broken twin (a float-based
``round_up_pow2``, an engine that rounds the window through float, one that cuts the
plane at the float range, the old rounding bound) to show that it catches the bug.
"""

from __future__ import annotations

import math
import sys
from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import exact
from exact._certified.bounds import rounding
from exact._certified.last_layer import batched_counts
from exact._float_range import NORMAL_MIN, float_bounds, to_float
from exact.errors import Undecided
from exact.line_arrangement import build_arrangement
from exact.line_count import arrangement_faces, arrangement_faces_reference, round_up_pow2

# every warning is an error; the one exception is raised inside hypothesis's own report of a failure
pytestmark = pytest.mark.filterwarnings("error", "ignore:mypy_extensions.TypedDict is deprecated")

# name: (layers at magnitude 1, (activation, linear) in the plane and in [-2, 2]^2)
NETS = {
    # x = 0, y = 0, x + y = 1 in general position: 3 * 4 / 2 + 1 = 7 faces, every one a
    # kink of the output (one neuron per line, output weight 1); the crossings (0, 0),
    # (1, 0), (0, 1) are inside [-2, 2]^2
    "triangle": ([([[1, 0], [0, 1], [1, 1]], [0, 0, -1]), ([[1, 1, 1]], [0])], (7, 7)),
    # x = 0, y = 0, x = y through one point: 1 + 3 + (3 - 1) = 6
    "pencil": ([([[1, 0], [0, 1], [1, -1]], [0, 0, 0]), ([[1, 1, 1]], [0])], (6, 6)),
    # relu(x) - relu(-x) + relu(y - 1) = x + relu(y - 1): lines x = 0 and y = 1 give 4
    # activation regions, only y = 1 is a kink: 2 linear regions
    "cancel": ([([[1, 0], [-1, 0], [0, 1]], [0, 0, -1]), ([[1, -1, 1]], [0])], (4, 2)),
    # relu(relu(x) + relu(y) - 1): the quadrants (4 cells), then the second neuron's bent
    # line x + y = 1 in x, y > 0, x = 1 in y < 0, y = 1 in x < 0 (3 more): 7; the output
    # is 0 on one connected region (4 cells) and x + y - 1, x - 1, y - 1 on the others: 4
    "kink": ([([[1, 0], [0, 1]], [0, 0]), ([[1, 1]], [-1]), ([[1]], [0])], (7, 4)),
    # the issue's deep example: relu(x) +- relu(y), summed: x > 0, y > 0 is cut by x = y,
    # the other quadrants are not (5); 2x on x > y > 0 and on x > 0 > y merge (4)
    "issue_deep": ([([[1, 0], [0, 1]], [0, 0]), ([[1, 1], [1, -1]], [0, 0]), ([[1, 1]], [0])], (5, 4)),
}

# 2^997 ~ 1e300, 2^1023 the largest power of two that is a float, 2^1024 just beyond,
# 2^3322 ~ 1e1000; and the tiny ones (2^-1074 the smallest subnormal)
MAGNITUDES = [997, 1023, 1024, 1100, 3322, -997, -1074, -1100, -3322]


def _number(v: F) -> float | int | F:
    """A float where ``v`` is exactly a float, else an int or a Fraction (no rounding ever)."""
    try:
        f = v.numerator / v.denominator
    except OverflowError:
        return v.numerator if v.denominator == 1 else v
    return f if F(f) == v else (v.numerator if v.denominator == 1 else v)


def _transform(layers: list, how: str, s: F) -> list:
    """The ``far``, ``bias`` or ``gain`` twin of a net at scale ``s`` (see the module notes)."""
    out = []
    for l, (W, b) in enumerate(layers):
        wf = {"far": 1 / s if l == 0 else 1, "bias": 1, "gain": s}[how]
        bf = {"far": 1, "bias": s, "gain": s ** (l + 2)}[how]
        out.append(([[_number(F(w) * wf) for w in row] for row in W], [_number(F(c) * bf) for c in b]))
    return out


def _counts(engine: str, net: list, window) -> tuple[int, int]:
    if engine == "count":
        return tuple(exact.count_regions(net, window=window))
    r = exact.regions(net, window=window)
    return r.n_activation, r.n_linear


def far_count_error(engine, name: str, how: str, k: int, plane: bool) -> str | None:
    """Run one row of the table through ``engine(net, window)``; describe a failure, or None."""
    layers, expected = NETS[name]
    s = F(2) ** k
    window = None if plane else _number(2 * s)
    try:
        got = engine(_transform(layers, how, s), window)
    except Exception as exc:  # a crash is a failure of the row, reported as such
        return f"{type(exc).__name__}: {exc}"
    return None if tuple(got) == expected else f"counted {tuple(got)}, expected {expected}"


ROWS = [(name, how, k, plane) for name in NETS for how in ("far", "bias", "gain") for k in MAGNITUDES
        for plane in (True, False)]


@pytest.mark.parametrize("engine", ["count", "regions"])
@pytest.mark.parametrize(("name", "expected"), [(n, e) for n, (_, e) in NETS.items()])
def test_the_nets_at_magnitude_one_have_their_hand_counts(engine, name, expected):
    layers = NETS[name][0]
    assert _counts(engine, layers, None) == expected
    assert _counts(engine, layers, 2) == expected


@pytest.mark.parametrize("engine", ["count", "regions"])
@pytest.mark.parametrize(("name", "how", "k", "plane"), ROWS)
def test_counts_do_not_depend_on_magnitude(engine, name, how, k, plane):
    assert far_count_error(lambda net, w: _counts(engine, net, w), name, how, k, plane) is None


def test_the_table_catches_an_engine_that_rounds_the_window_through_float():
    def float_window(net, w):
        return exact.count_regions(net, window=w if w is None else float(w))

    assert far_count_error(float_window, "triangle", "far", 1100, False).startswith("OverflowError")
    # 2^-1099 rounds to 0.0, refused as a window
    assert far_count_error(float_window, "triangle", "bias", -1100, False).startswith("InputError")


def test_the_table_catches_an_engine_that_cuts_the_plane_at_the_float_range():
    def float_box(net, w):
        return exact.count_regions(net, window=sys.float_info.max if w is None else w)

    # x = 0 and y = 0 still cross at the origin; x + y = 2^1100 is beyond the float box
    assert far_count_error(float_box, "triangle", "far", 1100, True) == "counted (4, 4), expected (7, 7)"
    assert far_count_error(float_box, "triangle", "bias", 1100, True) == "counted (4, 4), expected (7, 7)"


def test_warnings_are_errors_here():
    with pytest.raises(RuntimeWarning, match="overflow"):
        np.float64(1e308) * np.float64(10.0)


# the cases of the issue, by name, with their counts by hand


def test_issue_far_crossing_in_the_whole_plane():
    # x = 0 and x + 1e-308 y = 1 cross near (0, 1e308), at the end of the float range (the
    # box that shows it is 2^1025): two crossing lines, both kinks: 4 and 4
    net = [([[1, 0], [1, 1e-308]], [0, -1]), ([[1, 1]], [0])]
    assert _counts("count", net, None) == (4, 4)
    assert _counts("regions", net, None) == (4, 4)


@pytest.mark.parametrize("window", [10**400, F(10**400, 3), F(1, 10**400), 10**1000, F(3, 10**1000)])
@pytest.mark.parametrize("engine", ["count", "regions"])
def test_issue_windows_beyond_the_float_range(window, engine):
    # x = 0 and y = 0 cross at the origin, inside any window: 4 and 4
    shallow = [([[1, 0], [0, 1]], [0, 0]), ([[1, 1]], [0])]
    assert _counts(engine, shallow, window) == (4, 4)
    assert _counts(engine, NETS["issue_deep"][0], window) == (5, 4)


def test_crossings_at_the_edge_of_the_float_range():
    # x + y = 0 meets x = c and x = -c, c = 1.5 * 2^1023 ~ 1.3e308: positions along the
    # diagonal are ~2c, beyond the float range.  3 lines, 2 crossings: 1 + 3 + 2 = 6
    c = 1.5 * 2.0**1023
    net = [([[1, 1], [1, 0], [1, 0]], [0, -c, c]), ([[1, 1, 1]], [0])]
    for window in (None, 1.75e308, 10**400):  # the window's own corners ~1.75e308 too
        assert _counts("count", net, window) == (6, 6)
        assert _counts("regions", net, window) == (6, 6)


def test_a_strip_beyond_the_float_range():
    # relu(relu(2^-40 x) - 2^1000): x = 0 and x = 2^1040 bound a strip; 3 cells, and the
    # output is 0 left of x = 2^1040: 2 linear regions
    net = [([[2.0**-40, 0]], [0]), ([[1]], [-(2.0**1000)]), ([[1]], [0])]
    assert _counts("count", net, None) == (3, 2)
    assert _counts("regions", net, None) == (3, 2)


def test_a_strip_wider_than_the_float_range():
    # relu(relu(2^-40 x) - 2^1000) with relu(y) beside it: x = 0, y = 0 and x = 2^1040
    # (the bent line, parallel to x = 0) cut the plane into 2 * 3 = 6 cells; the output
    # is 0 for x < 2^1040 and 2^-40 x - 2^1000 beyond: 2 linear regions
    net = [([[2.0**-40, 0], [0, 1]], [0, 0]), ([[1, 0]], [-(2.0**1000)]), ([[1]], [0])]
    assert _counts("count", net, None) == (6, 2)
    assert _counts("regions", net, None) == (6, 2)


HARDTANH_NET = [([[1, 0], [0, 1], [1, 1]], [0, 0, -1]), ([[1, 1, -1], [1, -1, 1], [2, 1, 1]], [0, 0, 0]),
                ([[1, 1, 1]], [0])]


@pytest.mark.parametrize("s", [2**1100, 10**400, F(1, 10**400)], ids=["2^1100", "10^400", "10^-400"])
def test_hardtanh_breakpoints_beyond_the_float_range(s):
    # hardtanh(-s, s)(s z) = s hardtanh(-1, 1)(z): biases, breakpoints and window times s
    # give the counts of the twin at magnitude one (from the exact reference engine)
    def net(t):
        layers = [(W, [c * t for c in b]) for W, b in HARDTANH_NET]
        return exact.ExactNet.from_layers(layers, activation=exact.get_activation("hardtanh", -t, t))

    for window in (None, 2):
        twin = exact.regions(net(1), window=window)
        expected = (twin.n_activation, twin.n_linear)
        far_window = None if window is None else window * s
        assert _counts("count", net(s), far_window) == expected
        assert _counts("regions", net(s), far_window) == expected


def test_hardtanh_breakpoints_never_reached():
    # in [-10, 10]^2 the pre-activations stay below 4 * 21 in magnitude, far from the
    # breakpoints +-10^400: hardtanh is the identity there, the net is affine, one region
    net = exact.ExactNet.from_layers(HARDTANH_NET, activation=exact.get_activation("hardtanh", -(10**400), 10**400))
    assert _counts("count", net, 10) == (1, 1)
    assert _counts("regions", net, 10) == (1, 1)


@pytest.mark.parametrize("window", [10**400, F(1, 10**400)])
def test_triangle_in_decimal_windows(window):
    # x + y = 1 meets (-B, B)^2 only when B > 1/2: 7 faces, else x = 0 and y = 0 alone: 4
    expected = (7, 7) if window > 1 else (4, 4)
    assert _counts("count", NETS["triangle"][0], window) == expected
    assert _counts("regions", NETS["triangle"][0], window) == expected


def test_certified_floats_hand_over_a_window_beyond_their_range():
    net = exact.as_exact_net(NETS["issue_deep"][0])
    with pytest.raises(Undecided, match="beyond the float range"):
        batched_counts(net, F(10**400))
    with pytest.raises(Undecided, match="below the normal float range"):
        batched_counts(net, F(1, 10**400))


def test_locate_far_points():
    r = exact.regions([([[1, 0], [1, 1e-308]], [0, -1]), ([[1, 1]], [0])], window=None)
    assert r.box == 2**1025
    assert r.locate((F(1, 2), 3 * 10**308)).pattern == (1, 1)  # beyond the float range, in the box
    assert r.locate((-1, -3 * 10**308)).pattern == (0, 0)


# line arrangements: two independent counts and the scaling invariance

small = st.integers(-3, 3)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(small, small, small).filter(lambda l: l[:2] != (0, 0)), min_size=1, max_size=7),
       st.integers(-3400, 3400))
def test_arrangements_at_any_magnitude(lines, k):
    s = F(2) ** k
    moved = [(a * s.denominator, b * s.denominator, c * s.numerator) for a, b, c in lines]  # x -> x s
    half = F(3, 2) * s
    expected = arrangement_faces_reference(lines, F(3, 2))
    assert arrangement_faces(moved, half) == expected
    assert arrangement_faces_reference(moved, half) == expected
    assert len(build_arrangement(moved, half).faces) == expected
    assert arrangement_faces(moved) == arrangement_faces_reference(lines)


# round_up_pow2: exact at any magnitude


def _float_round_up_pow2(x: F) -> F:
    """The old version, with a float logarithm: kept to show that the check below catches it."""
    return F(2) ** max(0, math.ceil(math.log2(x)) if x > 1 else 0)


def pow2_error(f, x: F) -> str | None:
    """Check ``f(x) = 2^k`` with ``2^k >= x`` and ``2^(k-1) < x`` (or ``k = 0``); describe a failure."""
    try:
        r = f(x)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    if r.denominator != 1 or r.numerator & (r.numerator - 1):
        return f"{r} is not a power of two"
    if r < x:
        return f"2^{r.numerator.bit_length() - 1} < x"
    if r > 1 and r / 2 >= x:
        return f"2^{r.numerator.bit_length() - 2} >= x already"
    return None


huge = st.integers(1, 2**4000)
near_pow2 = st.builds(lambda k, j, sign: F(2) ** k + sign * F(2) ** (k - j),
                      st.integers(-3400, 3400), st.integers(1, 200), st.sampled_from([-1, 0, 1]))


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.builds(F, huge, huge), near_pow2))
def test_round_up_pow2_is_exact(x):
    assert pow2_error(round_up_pow2, x) is None


def test_the_pow2_check_catches_a_float_logarithm():
    assert pow2_error(_float_round_up_pow2, 1 + F(1, 2**60)) == "2^0 < x"
    assert pow2_error(_float_round_up_pow2, F(10**400)).startswith("OverflowError")
    assert pow2_error(round_up_pow2, 1 + F(1, 2**60)) is None


# the two doors from exact values into floats


@settings(max_examples=200, deadline=None)
@given(st.builds(F, st.integers(-(2**3500), 2**3500), st.integers(1, 2**3500)))
def test_float_bounds_bracket_any_value(x):
    lo, hi = float_bounds(x)
    assert lo < hi
    assert (lo == -math.inf or F(lo) <= x) and (hi == math.inf or x <= F(hi))
    try:
        f = to_float(x)
    except Undecided:
        assert x != 0 and not NORMAL_MIN <= abs(x) <= sys.float_info.max
    else:
        assert abs(F(f) - x) <= F(2) ** -53 * abs(x)


@settings(max_examples=200, deadline=None)
@given(st.integers(-1022, 1023), st.integers(1, 2**200), st.integers(1, 2**200))
def test_rounding_bounds_cover_differences_that_underflow(k, n, d):
    v = F(2) ** k * (1 + F(n, d * 2**60))  # within 2^-60 of 2^k: differences of ~2^(k-113)
    if v > sys.float_info.max:
        return
    assert abs(F(to_float(v)) - v) <= F(rounding(v))


def test_the_rounding_check_catches_an_underflowed_bound():
    v = F(2) ** -1022 * (1 + F(1, 2**60))   # float(v) = 2^-1022, off by 2^-1082: underflows
    assert abs(F(to_float(v)) - v) > F(2.0 * float(abs(F(to_float(v)) - v)))  # the old bound: 0
    assert abs(F(to_float(v)) - v) <= F(rounding(v))


@pytest.mark.parametrize(("x", "message"), [
    (2**1024 - 2**970, "beyond the float range"),      # rounds to 2^1024: hand over, no inf
    (F(2**1024 - 2**971), None),                        # the largest float itself
    (F(1, 2**1022), None),                              # the smallest normal float
    (F(1, 2**1023), "below the normal float range"),    # a subnormal: relative error lost
    (F(1, 10**400), "below the normal float range"),    # would round to 0
])
def test_to_float_at_the_ends_of_the_range(x, message):
    if message is None:
        assert F(to_float(x)) == x
    else:
        with pytest.raises(Undecided, match=message):
            to_float(x)

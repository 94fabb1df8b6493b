"""Audit of the d-dimensional engine (:mod:`exact.nd`) for underflow and exact ties.

The 2-D engines had float bounds that ignored underflow (``test_underflow_of_*`` in
tests/test_regressions.py).  The d-D engine composes every cell's map in exact integers
and rounds each row and vertex once (normal range only, else no float test); its filter
(:func:`exact.nd.float_filter.sure_signs`) has an absolute term ``TINY``.  These cases pin
that down with answers derived independently of the engine: hand counts, the 2-D
regression nets lifted to 3-D (a cylinder over the plane: the same counts), the count of a
central arrangement, and exact re-evaluation of every cell's pattern and volume.
"""

from __future__ import annotations

import itertools
import random
from fractions import Fraction

import numpy as np
import pytest

import exact
from exact._api import read_net
from exact.activations import piecewise_linear

TINY_RELU = piecewise_linear("tiny_relu_nd_audit", [0], [0, 2.0**-100], [0, 0])
HUGE_RELU = piecewise_linear("huge_relu_nd_audit", [0], [0, 2.0**1000], [0, 0])
S = 1.9390647722186851e-289   # as tests/test_regressions.py: 2**-100 * S * (x + 2) is subnormal
# the layer-2 neuron 2**1000 * 2**-100 * S (x + 2 + y + 2 + z + 2) + B is exactly 0 on x + y + z = 3
B3 = float(-9 * Fraction(2) ** 900 * Fraction(S))
B2 = float(-6 * Fraction(2) ** 900 * Fraction(S))


def _lift(layers):
    """The same net on R^3, constant along z: its cells in [-w, w]^3 are the 2-D cells times [-w, w]."""
    (W, b), rest = layers[0], layers[1:]
    return [([list(r) + [0.0] for r in W], b)] + list(rest)


def _counts(layers, window, act=None):
    return tuple(exact.count_regions(layers, window=window, activation=act))


def test_exact_float_values_of_the_constants():
    assert Fraction(B3) == -9 * Fraction(2) ** 900 * Fraction(S)
    assert Fraction(B2) == -6 * Fraction(2) ** 900 * Fraction(S)


def test_plane_touching_the_box_corner_after_a_tiny_slope_is_one_region():
    # s (x + 2), s (y + 2), s (z + 2) are on in the whole box; x + y + z = 3 touches only (1, 1, 1)
    layers = [([[S, 0, 0], [0, S, 0], [0, 0, S]], [2 * S] * 3), ([[2.0**1000] * 3], [B3]), ([[1.0]], [0.0])]
    assert _counts(layers, 1, TINY_RELU) == (1, 1)


def test_plane_touching_the_box_corner_after_a_huge_slope_is_one_region():
    layers = [([[S, 0, 0], [0, S, 0], [0, 0, S]], [2 * S] * 3), ([[2.0**-100] * 3], [B3]), ([[1.0]], [0.0])]
    assert _counts(layers, 1, [HUGE_RELU, "relu"]) == (1, 1)


@pytest.mark.parametrize("delta, want", [(0.0, (1, 1)), (2.0**-40, (2, 2)), (-(2.0**-40), (1, 1))])
def test_plane_near_the_box_corner(delta, want):
    # x + y + z = 3 - delta: a sliver off the corner (1, 1, 1) exactly when delta > 0
    assert _counts([([[1.0, 1.0, 1.0]], [-3 + delta]), ([[1.0]], [0.0])], 1) == want


def test_plane_along_a_box_face_at_tiny_scale_is_one_region():
    layers = [([[S, 0, 0], [0, S, 0]], [-S, S]), ([[1.0, 1.0]], [0.0])]   # x = 1 and y = -1: faces
    assert _counts(layers, 1) == (1, 1)


def _underflow_nets_2d():
    """The 2-D underflow regression nets with their exact counts (tests/test_regressions.py)."""
    W = [[5.911399064103994e-148, 3.935252745017053e-148], [4.630890051176232e-148, 5.921485579766828e-148],
         [1.517317916645646e-147, 1.577822390455071e-147]]
    b = [1.4552021146637052e-175, -8.632356073073953e-176, -2.712690999510854e-176]
    c = 8003 * 2.0**-977
    W1 = [[1.0, 0.0]] + [[0.0, 1.0]] * 6
    b1 = [0.0, 0.75, 0.5, 0.25, 0.0, -0.25, -0.5]
    W2 = [[c] + [0.0] * 6, [-2 * c] + [0.0] * 6, [0.0] + [1.0] * 6]
    V = [[2.0**1001, 2.0**1000, 0.0], [0.0, 0.0, 2.0**200]]
    return {
        "slope_times_map": ([([[S, 0.0], [0.0, S]], [2 * S, 2 * S]), ([[2.0**1000, 2.0**1000]], [B2]),
                             ([[1.0]], [0.0])], TINY_RELU, 1, (1, 1)),
        "three_layers": ([([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]], [2.0, 2.0, 0.0]),
                          ([[S, 0.0, 0.0], [0.0, S, 0.0]], [0.0, 0.0]), ([[2.0**1000, 2.0**1000]], [B2]),
                          ([[1.0]], [0.0])], ["relu", TINY_RELU, TINY_RELU], 1, (2, 1)),
        "huge_slope": ([([[S, 0.0], [0.0, S]], [2 * S, 2 * S]), ([[2.0**-100, 2.0**-100]], [B2]), ([[1.0]], [0.0])],
                       [HUGE_RELU, "relu"], 1, (1, 1)),
        "cramer": ([(W, b), ([[0.0, 0.0, 0.0]], [1.0]), ([[1.0]], [0.0])], None, 2.0**-90, (6, 1)),
        "equal_maps": ([(W1, b1), (W2, [4 * c, 4 * c, 100.0]), (V, [0.0, 0.0])], ["relu", TINY_RELU], 1, (14, 7)),
    }


@pytest.mark.parametrize("name", sorted(_underflow_nets_2d()))
def test_underflow_regression_nets_lifted_to_3d(name):
    layers, act, window, want = _underflow_nets_2d()[name]
    assert _counts(_lift(layers), window, act) == want


def _det3(M):
    return (M[0][0] * (M[1][1] * M[2][2] - M[1][2] * M[2][1]) - M[0][1] * (M[1][0] * M[2][2] - M[1][2] * M[2][0])
            + M[0][2] * (M[1][0] * M[2][1] - M[1][1] * M[2][0]))


def _concurrent_planes(seed, scale):
    """Four planes through one point p (|p_i| <= 2**-92), any three normals independent, or None."""
    rng = random.Random(seed)
    W = [[rng.randint(-2**44, 2**44) * scale for _ in range(3)] for _ in range(3)]
    W.append([W[0][i] + 2 * W[1][i] + 4 * W[2][i] for i in range(3)])   # exact: 47-bit mantissas
    p = [Fraction(rng.randint(-7, 7), 8) * Fraction(2) ** -92 for _ in range(3)]
    b = [-sum(Fraction(r[i]) * p[i] for i in range(3)) for r in W]
    rows = [[Fraction(v) for v in r] for r in W]
    if (any(Fraction(float(v)) != v for v in b)
            or any(_det3([rows[i] for i in t]) == 0 for t in itertools.combinations(range(4), 3))):
        return None
    assert rows[3] == [rows[0][i] + 2 * rows[1][i] + 4 * rows[2][i] for i in range(3)]
    return W, [float(v) for v in b]


@pytest.mark.parametrize("scale", [2.0**-490, 2.0**-980, 2.0**900])
@pytest.mark.parametrize("window", [2.0**-90, None])
def test_four_concurrent_planes_make_fourteen_cells(scale, window):
    # a central arrangement of n = 4 generic planes in R^3: n (n - 1) + 2 = 14 cones (15 if not concurrent);
    # every cone meets the box around the common point
    made = [c for c in (_concurrent_planes(seed, scale) for seed in range(40)) if c is not None][:3]
    assert made
    for W, b in made:
        layers = [(W, b), ([[1.0] * 4], [0.0]), ([[1.0]], [0.0])]
        r = exact.regions(layers, window=window, activation=[TINY_RELU, "relu"])
        assert len({tuple(c.pattern)[:4] for c in r}) == 14


def test_generic_planes_at_tiny_scale_in_the_whole_space():
    # one hidden layer in general position in R^3: sum_{i <= 3} C(5, i) = 26
    e = 2.0**-490
    W = [[3 * e, 5 * e, 1 * e], [7 * e, -2 * e, 3 * e], [-1 * e, 4 * e, 6 * e], [2 * e, 1 * e, -5 * e], [1 * e, 1 * e, 1 * e]]
    b = [3 * e * 2.0**-90, -5 * e * 2.0**-90, 2 * e * 2.0**-90, 7 * e * 2.0**-90, -1 * e * 2.0**-91]
    rows = [[Fraction(v) for v in r] + [Fraction(c)] for r, c in zip(W, b)]
    assert all(_det3([rows[i][:3] for i in t]) != 0 for t in itertools.combinations(range(5), 3))
    for t in itertools.combinations(range(5), 4):
        M = [rows[i] for i in t]   # 4 planes meet in a point iff the 4x4 determinant of (a, c) vanishes
        det4 = sum((-1) ** k * M[0][k] * _det3([[r[j] for j in range(4) if j != k] for r in M[1:]]) for k in range(4))
        assert det4 != 0
    assert _counts([(W, b), ([[1.0] * 5], [0.0])], None, TINY_RELU)[0] == 26


def test_cells_of_a_tiny_and_huge_deep_net_re_evaluate_exactly():
    # every cell's pattern at its interior point, one cell per pattern, and volumes that fill the box
    layers = [([[S, 2 * S, -S], [0, S, S], [S, 0, 3 * S]], [0.0, S * 2.0**-2, -S * 2.0**-1]),
              ([[2.0**1000, -(2.0**1000), 2.0**1001], [2.0**1000, 2.0**1000, 0.0]], [0.0, 0.0]),
              ([[1.0, 1.0], [1.0, -1.0]], [0.0, 0.0])]
    act = [TINY_RELU, HUGE_RELU]
    net, _ = read_net(layers, None, act, 1)
    r = exact.regions(layers, window=1, activation=act)
    pats = [tuple(c.pattern) for c in r]
    assert len(set(pats)) == len(pats) > 3
    assert all(tuple(net.pattern_at(tuple(c.interior_point()))) == p for c, p in zip(r, pats))
    assert sum(c.volume for c in r) == 8


def test_locate_leaves_subnormal_coordinates_to_the_exact_test(monkeypatch):
    # hardening from the audit: the float filter's bound assumes the CPU keeps subnormal inputs (a library
    # built with fast-math may flush them to zero, and a row coefficient of 2**1000 would magnify the loss);
    # a point with a subnormal coordinate is not offered to the filter, and is decided exactly
    import exact.nd.point_location as pl

    net = [([[2.0**1000, 1.0, 0.0]], [0.0]), ([[1.0]], [0.0])]
    r = exact.regions(net, window=1)
    offered = []
    certified = pl._certified
    monkeypatch.setattr(pl, "_certified", lambda regions, X, ok: offered.append(ok.tolist()) or certified(regions, X, ok))
    tiny = 5e-324
    pts = [[tiny, 0.5, 0.0], [tiny, -0.5, 0.0], [0.5, 0.25, -tiny], [0.5, 0.25, 0.0]]
    want = [r.net.pattern_at(tuple(Fraction(v) for v in p)) for p in pts]
    got = [r.cells[k].pattern for k in r.locate(np.array(pts))]  # a float array: its floats are the points
    assert [tuple(g) for g in got] == [tuple(w) for w in want] and want[0] != want[1]
    assert offered == [[False, False, False, True]]  # only the point without a subnormal coordinate

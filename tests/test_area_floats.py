"""Correctly rounded float areas from the double-double filter, against exact Fraction areas.

The reference is ``float`` of the area summed in Fractions vertex by vertex (Python rounds
a Fraction correctly), independent of both the filter and the integer shoelace sum.  The
filter may leave a polygon undecided (NaN), never give another float: near-ties to a
rounding boundary are built on purpose, at the largest coordinates it takes (2^62).
"""

from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from test_predicates import hull

import exact
from exact.area_floats import rounded_areas
from exact.predicates import shoelace_sum


def _fraction_area(verts):
    """Twice-the-area shoelace in Fractions, halved: the exact area."""
    pts = [(Fraction(X, D), Fraction(Y, D)) for X, Y, D in verts]
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(pts, pts[1:] + pts[:1])) / 2


def _check(polys):
    """Every decided area is the float of the exact area; returns the share decided."""
    points = [v for p in polys for v in p]
    start = np.cumsum([0] + [len(p) for p in polys])
    got = rounded_areas(points, np.arange(len(points)), start)
    for a, p in zip(got.tolist(), polys):
        if a == a:  # decided
            assert a == float(_fraction_area(p)), p
    return float(np.mean(~np.isnan(got))) if len(polys) else 1.0


def _homogeneous(x, y, scale):
    """A rational point as (X, Y, D) over its common denominator, all three times ``scale``."""
    d = x.denominator * y.denominator
    return (int(x * d) * scale, int(y * d) * scale, d * scale)


bits = st.sampled_from([0, 1, 20, 40, 52, 53, 55, 61, 62, 63, 70])
coord = st.fractions(min_value=-2**20, max_value=2**20, max_denominator=2**30)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.tuples(coord, coord), min_size=3, max_size=8), min_size=1, max_size=6),
       st.lists(bits, min_size=1, max_size=6), st.integers(0, 2**40))
def test_decided_areas_are_the_floats_of_the_exact_areas(point_sets, exps, jitter):
    """Random convex polygons; denominators scaled up to and past the 2^62 the filter takes."""
    polys = []
    for k, ps in enumerate(point_sets):
        h = hull(ps)
        if len(h) >= 3:
            scale = (1 << exps[k % len(exps)]) + (jitter if exps[k % len(exps)] > 40 else 0)
            polys.append([_homogeneous(x, y, scale) for x, y in h])
    _check(polys)


def _near_tie(base, units, x1):
    """A triangle of area half an ulp above ``base`` (a float) plus ``units * 2^-123``, exactly.

    Vertices ``0``, ``(x1, 1) / 2^61`` and ``(x2, y2) / 2^61``: twice the area times ``2^122``
    is the integer ``x1 y2 - x2``, made equal to the target ``N`` by ``x2 = -N mod x1``.
    """
    n = int((Fraction(base) + Fraction(np.spacing(base)) / 2) * 2**123) + units
    x2 = -n % x1
    y2 = (n + x2) // x1
    tri = [(0, 0, 1), (x1, 1, 2**61), (x2, y2, 2**61)]
    assert 2 * _fraction_area(tri) * 2**122 == n and max(x1, x2, y2) < 2**62
    return tri


def test_near_ties_are_never_rounded_the_wrong_way():
    """Areas within 2^-123 (relatively about 2^-70 ulp) of a rounding midpoint, either side, in three fans."""
    rng = np.random.default_rng(0)
    polys = []
    for base in [1.0, 1.5, 0.75, 1.25, 1e-9, 0.1, 2.0**-40]:
        for units in [1, -1, 2, -2, 2**20, -(2**20), 2**60, -(2**60), 2**75]:
            tri = _near_tie(base, units, int(rng.integers(int(2**61.6), 2**62)))
            polys += [tri, tri[1:] + tri[:1], tri[2:] + tri[:2]]
    assert _check(polys) > 0.1  # the clear ones are decided


def test_exact_midpoints_are_left_undecided():
    """Area 1 + 2^-53 exactly, halfway between 1 and its next float: a tie the filter must not decide."""
    tie = [(0, 0, 1), (2, 0, 1), (0, 2**53 + 1, 2**53)]
    got = rounded_areas(tie, np.arange(3), np.array([0, 3]))
    assert np.isnan(got[0]) and float(_fraction_area(tie)) == 1.0


def test_coordinates_past_int64_and_small_polygons_are_left_undecided():
    pts = [(0, 0, 1), (2**63, 0, 1), (0, 1, 1), (1, 0, 1), (1, 1, 1)]
    got = rounded_areas(pts, np.array([0, 1, 2, 3, 4, 0, 3]), np.array([0, 3, 5, 7]))
    assert np.isnan(got).tolist() == [True, True, True]
    far = [(0, 0, 1), (10**400, 0, 1), (0, 1, 1)]
    assert np.isnan(rounded_areas(far, np.arange(3), np.array([0, 3]))).all()
    assert rounded_areas([], np.arange(0), np.array([0])).size == 0


def test_faces_of_a_net_are_decided_and_right():
    """Every face of a 2-60-1 net in a window of 10: the filter decides nearly all, each as the exact float."""
    from catalogue import seeded_torch

    r = exact.regions(seeded_torch([2, 60, 1], seed=4), window=10)
    faces = r.face_maps.faces
    coords = faces.all_vertices()
    ring, start = faces.origin[faces.half], faces.start
    got = rounded_areas(coords, ring, start)
    polys = [[coords[v] for v in ring[a:b]] for a, b in zip(start[:-1].tolist(), start[1:].tolist())]
    want = [float(_fraction_area(p)) for p in polys]
    decided = ~np.isnan(got)
    assert decided.mean() > 0.99
    assert got[decided].tolist() == [w for w, k in zip(want, decided) if k]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(-2**70, 2**70), st.integers(-2**70, 2**70), st.integers(1, 2**70)),
                min_size=1, max_size=7))
def test_shoelace_sum_is_twice_the_fraction_area(verts):
    """Any vertex sequence (not only convex ones, one or two vertices too): num / den is twice the area."""
    num, den = shoelace_sum(verts)
    assert den > 0 and Fraction(num, den) == 2 * _fraction_area(verts)

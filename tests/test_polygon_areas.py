"""Float areas with rigorous bounds, and exact extreme areas, against exact shoelace sums."""

from fractions import Fraction

import numpy as np
from catalogue import seeded_torch
from hypothesis import given, settings
from hypothesis import strategies as st
from test_predicates import hull

import exact
from exact.line_arrangement import build_arrangement
from exact.line_count import first_layer_lines
from exact.polygon_areas import area_candidates, extreme_areas, float_areas, polygon_area, vertex_float_areas
from exact.predicates import point_from_xy

coord = st.fractions(min_value=-10, max_value=10, max_denominator=10**6)


def _convex(points):
    """The counter-clockwise convex hull of exact points, as homogeneous points."""
    return [point_from_xy(*p) for p in hull(points)]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.tuples(coord, coord), min_size=3, max_size=9), min_size=1, max_size=12))
def test_bound_holds_and_extremes_are_exact(point_sets):
    polys = [p for p in (_convex(ps) for ps in point_sets) if len(p) >= 3]
    if not polys:
        return
    exact_areas = [polygon_area(p) for p in polys]
    area, err = float_areas(polys)
    for a, e, q in zip(area, err, exact_areas):
        assert abs(Fraction(a) - q) <= Fraction(e)
    assert extreme_areas(polys) == (min(exact_areas), max(exact_areas))


def test_near_ties_are_settled_exactly():
    # two triangles whose areas differ by 2^-80: floats cannot tell them apart
    eps = Fraction(1, 2**80)
    a = [point_from_xy(0, 0), point_from_xy(1, 0), point_from_xy(0, 1)]
    b = [point_from_xy(0, 0), point_from_xy(1 + 2 * eps, 0), point_from_xy(0, 1)]
    assert extreme_areas([b, a]) == (Fraction(1, 2), Fraction(1, 2) + eps)
    assert extreme_areas([a, b]) == (Fraction(1, 2), Fraction(1, 2) + eps)


def test_arrangement_faces():
    net = exact.from_torch(seeded_torch([2, 60, 1], 0))
    faces = [f[0] for f in build_arrangement(first_layer_lines(net), Fraction(10)).faces]
    exact_areas = [polygon_area(p) for p in faces]
    assert sum(exact_areas) == 400
    assert extreme_areas(faces) == (min(exact_areas), max(exact_areas))


def test_coordinates_beyond_the_filter_go_exact():
    big = 10**400
    tri = [(0, 0, 1), (big, 0, 1), (0, big, 1)]
    assert float_areas([tri]) is None
    assert extreme_areas([tri]) == (Fraction(big * big, 2),) * 2
    tiny = [(0, 0, 1), (1, 0, big), (0, 1, big)]
    assert float_areas([tiny]) is None
    assert extreme_areas([tiny, tri]) == (Fraction(1, 2 * big * big), Fraction(big * big, 2))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.tuples(coord, coord), min_size=3, max_size=9), min_size=1, max_size=8),
       st.sampled_from([0.0, 1e-12, 1e-3, 0.5]))
def test_vertex_float_areas_hold_under_the_worst_vertex_moves(point_sets, e):
    """Each float vertex moved by its whole error bound in the direction that grows the area most."""
    polys = [p for p in (_convex(ps) for ps in point_sets) if len(p) >= 3]
    if not polys:
        return
    xs, ys, starts = [], [], []
    for p in polys:
        starts.append(len(xs))
        fx = [float(Fraction(X, D)) for X, _, D in p]
        fy = [float(Fraction(Y, D)) for _, Y, D in p]
        n = len(p)
        for i in range(n):  # d(2A)/dx_i = y_{i+1} - y_{i-1}, d(2A)/dy_i = x_{i-1} - x_{i+1}
            xs.append(fx[i] + e * np.sign(fy[(i + 1) % n] - fy[i - 1]))
            ys.append(fy[i] + e * np.sign(fx[i - 1] - fx[(i + 1) % n]))
    err = np.full(len(xs), e + 4 * 2.0**-53 * 20)  # the move plus the rounding of X / D
    area, bound = vertex_float_areas(np.array(xs), np.array(ys), err, np.array(starts))
    for p, a, b in zip(polys, area.tolist(), bound.tolist()):
        assert abs(Fraction(a) - polygon_area(p)) <= Fraction(b)
    small, large = area_candidates(area, bound, np.arange(len(polys)))
    exact_areas = [polygon_area(p) for p in polys]
    assert min(exact_areas[k] for k in small.tolist()) == min(exact_areas)
    assert max(exact_areas[k] for k in large.tolist()) == max(exact_areas)

"""Windows anywhere: rectangles and convex polygons for regions, count_regions and cross_check.

Checked against the exact splitter on the same polygon, against square windows, by exact
areas, and by cutting a rectangle in two (cells crossing the seam counted once)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction as F

import numpy as np
import pytest
from catalogue import seeded_torch
from hypothesis import given, settings
from hypothesis import strategies as st

import exact
from exact import ExactNet, count_regions, cross_check, regions
from exact._certified import batched_counts
from exact.cells import Regions
from exact.errors import InputError, InputTypeError, ResourceLimitError, TooManyRegionsError
from exact.layer_split import enumerate_cells
from exact.predicates import point_from_xy, point_in_polygon, side
from exact.validation import check_window
from exact.windows import ConvexWindow, convex_window

TRIANGLE = [(F(-3), F(-2)), (F(7, 2), F(-1)), (F(1, 3), F(5))]
QUAD = [(0, 0), (5, -1), (6, 4), (F(1, 3), 7)]


def _reference(net: ExactNet, w: ConvexWindow) -> Regions:
    """The exact splitter cutting the polygon itself, line after line."""
    return Regions.from_raw(net, w, w.half, enumerate_cells(net, w.verts, w.edges))


def _inside(r: Regions, w: ConvexWindow) -> bool:
    return all(point_in_polygon(w.verts, w.edges, v) >= 0 for c in r.cells for v in c.verts)


# -- reading windows ---------------------------------------------------------------


def test_rectangle_and_polygon_windows_are_read_exactly():
    w = check_window((0, 0.1, -1, F(1, 3)))
    assert isinstance(w, ConvexWindow) and w.is_rectangle
    assert w.bounds == (0, F(0.1), -1, F(1, 3)) and w.area == F(0.1) * F(4, 3)
    assert check_window(np.array([0.0, 1.0, 2.0, 3.0])).bounds == (0, 1, 2, 3)
    p = check_window(QUAD)
    assert not p.is_rectangle and p.vertices == [tuple(F(v) for v in q) for q in QUAD[1:] + QUAD[:1]]
    assert check_window(p) is p and check_window(None) is None and check_window("plane") is None


def test_orientation_is_normalised_and_straight_angles_dropped():
    ccw = convex_window(TRIANGLE)
    assert convex_window(TRIANGLE[::-1]) == ccw == convex_window(TRIANGLE[1:] + TRIANGLE[:1])  # one form
    mid = ((TRIANGLE[0][0] + TRIANGLE[1][0]) / 2, (TRIANGLE[0][1] + TRIANGLE[1][1]) / 2)
    assert convex_window([TRIANGLE[0], mid, TRIANGLE[1], TRIANGLE[2]]) == ccw
    for e in ccw.edges:  # interior on the + side of every edge
        assert all(side(e, v) >= 0 for v in ccw.verts)
    assert sum(1 for e in ccw.edges for v in ccw.verts if side(e, v) > 0) == 3  # each edge: 1 vertex off it


def test_a_window_equal_to_the_square_is_the_square():
    assert check_window((-3, 3, -3, 3)) == F(3)
    assert check_window([(3, 3), (-3, 3), (-3, -3), (3, -3)]) == F(3)
    net = seeded_torch([2, 6, 6, 1], 0)
    a, b = regions(net, window=(-3, 3, -3, 3)), regions(net, window=3)
    assert a.window == b.window == 3 and repr(a) == repr(b)
    assert [c.verts for c in a.cells] == [c.verts for c in b.cells]
    assert check_window((-3, 3, -3, 4)) != F(3)


def test_decimals_are_read_exactly_in_every_kind_of_window():
    tenth = Decimal("0.1")
    assert check_window((-tenth, tenth, -tenth, tenth)) == F(1, 10)  # the square [-1/10, 1/10]^2, exactly
    assert check_window([(0, 0), (tenth, 0), (0, Decimal("1e-3"))]).vertices == [(0, 0), (F(1, 10), 0),
                                                                                  (0, F(1, 1000))]
    assert check_window((0, Decimal("2.5E+3"), 0, 1)).bounds == (0, 2500, 0, 1)


@pytest.mark.parametrize("window, err, match", [
    ((0, 0, 0, 1), InputError, r"xmin < xmax and ymin < ymax"),
    ((0, 1, 2, float("nan")), InputError, r"window: rectangle ymax must be a finite number, got nan"),
    ((0, 1, 2, "3"), InputTypeError, r"window: rectangle ymax must be a real number, got '3'"),
    ((0, 1, 2, 3j), InputTypeError, r"window: rectangle ymax is the complex number 3j; complex numbers are not"),
    ((0, Decimal("NaN"), 2, 3), InputError, r"rectangle xmax must be a finite number, got Decimal\('NaN'\)"),
    ((0, Decimal("1e5000"), 2, 3), InputError, r"rectangle xmax is Decimal\('1E\+5000'\), whose exponent is beyond "
                                                r"4300"),
    (Decimal("1e-99999999"), InputError, r"window is Decimal\('1E-99999999'\), whose exponent is beyond 4300"),
    (np.complex128(2), InputTypeError, r"window is the complex number \(2\+0j\); complex numbers are not accepted"),
    ((0, 1, 2), InputError, r"a rectangle of four numbers"),
    ([(0, 0), (1, 1)], InputError, r"at least three vertices"),
    ([(0, 0), (1, 1), (2, 2)], InputError, r"zero area"),
    ([(0, 0), (0, 0), (1, 0), (0, 1)], InputError, r"vertices 0 and 1 are the same point"),
    ([(0, 0), (2, 0), (1, F(1, 2)), (2, 2), (0, 2)], InputError, r"turns the wrong way at vertex 2 \(1, 1/2\)"),
    ([(0, 100), (59, -81), (-95, 31), (95, 31), (-59, -81)], InputError, r"go once round a convex polygon"),
    ([(0, 0), (1,), (0, 1)], InputError, r"polygon vertex 1 must be a pair"),
    ([(0, 0), (1, float("inf")), (0, 1)], InputError, r"polygon vertex 1 y must be a finite number, got inf"),
    ([(0, 0), (1j, 0), (0, 1)], InputTypeError, r"polygon vertex 1 x is the complex number 1j"),
    ({"x": 1}, InputTypeError, r"window must be a number, a rectangle"),
    (True, InputTypeError, r"window must be a number, a rectangle"),
])
def test_bad_windows_are_refused_with_a_reason(window, err, match):
    with pytest.raises(err, match=match):
        regions([([[1, 0]], [0]), ([[1]], [0])], window=window)
    with pytest.raises(err, match=match):
        count_regions([([[1, 0]], [0]), ([[1]], [0])], window=window)


def test_contains_is_exact_at_the_border():
    w = convex_window([(0, 0), (1, 0), (0, 1)])
    up, down, eps = np.nextafter(0.5, 1), np.nextafter(0.5, 0), 2.0**-1070
    pts = np.array([[0.5, 0.5], [up, 0.5], [0.5, down], [0.0, 0.0], [-eps, 0.0], [0.25, 0.25]])
    assert w.contains(pts).tolist() == [True, False, True, True, False, True]
    t = convex_window([(0, 0), (F(1, 3), 0), (0, F(1, 3))])  # a side 3x + 3y = 1 no float lies on exactly
    x = np.linspace(0, 0.34, 1001)
    got = t.contains(np.stack([x, 1 / 3 - x], axis=1))
    want = [point_in_polygon(t.verts, t.edges, point_from_xy(float(a), float(1 / 3 - a))) >= 0 for a in x]
    assert got.tolist() == want and 0 < sum(want) < len(want)


# -- regions and counts in polygons ------------------------------------------------


@pytest.mark.parametrize("widths, act", [([2, 20, 1], "relu"), ([2, 12, 1], "abs"), ([2, 8, 8, 1], "relu"),
                                         ([2, 5, 5, 5, 1], "leaky_relu"), ([2, 6, 6, 2], "hardtanh")])
@pytest.mark.parametrize("window", [(-3, 7.5, -2, 1), QUAD, TRIANGLE])
def test_regions_and_counts_match_the_exact_splitter_on_the_polygon(widths, act, window):
    net = exact.as_exact_net(seeded_torch(widths, 0) if act == "relu" else
                             __import__("numeric").seeded_mlp(widths, seed=1, activation=act))
    w = check_window(window)
    r, ref = regions(net, window=window), _reference(net, w)
    assert (r.n_activation, r.n_linear) == (ref.n_activation, ref.n_linear)
    assert sorted(c.pattern for c in r.cells) == sorted(c.pattern for c in ref.cells)
    assert count_regions(net, window=window) == (r.n_activation, r.n_linear)
    assert sum(c.exact_area for c in r.cells) == w.area and _inside(r, w)
    for c in r.cells[:: max(1, len(r.cells) // 20)]:
        p = c.interior_point()
        assert net.pattern_at(p) == c.pattern and net.evaluate(p) == c.affine(p)


def test_the_certified_engine_decides_a_polygon_itself():
    net = exact.as_exact_net(seeded_torch([2, 16, 16, 16, 1], 3))
    for window in ((-2, 5, -1, 1), QUAD):
        w = check_window(window)
        got = batched_counts(net, w)  # no Undecided: the floats decided every test
        r = _reference(net, w)
        assert got == (r.n_activation, r.n_linear)


def test_kinks_along_the_window_sides_and_through_its_corners():
    # relu(x), relu(y), relu(x + y - 1) on the unit square [0, 1]^2 given as a rectangle: the first two
    # lines are sides, the third passes through two corners -> one cell; a triangle below x + y = 1 too
    layers = [([[1, 0], [0, 1], [1, 1]], [0, 0, -1]), ([[1, 1, 1]], [0]), ([[1]], [0])]
    net = ExactNet.from_layers(layers)
    for window, n in (((0, 1, 0, 1), 2), ([(0, 0), (1, 0), (0, 1)], 1), ((0, 1, F(-1, 2), 1), 3)):
        r = regions(net, window=window)
        assert r.n_activation == n == _reference(net, check_window(window)).n_activation
        assert count_regions(net, window=window).activation == n
    shallow = ExactNet.from_layers(layers[:1] + [([[1, 1, 1]], [0])])
    for window, n in (((0, 1, 0, 1), 2), ([(0, 0), (1, 0), (0, 1)], 1), ((-1, 1, -1, 2), 6), ((-1, 1, -1, 1), 5)):
        assert count_regions(shallow, window=window).activation == n == regions(shallow, window=window).n_activation


def _seam_cells(r: Regions, m: F) -> int:
    """Cells with a vertex strictly on each side of the line x = m, decided exactly."""
    return sum(1 for c in r.cells if any(F(X, D) < m for X, _, D in c.verts) and any(F(X, D) > m for X, _, D in c.verts))


@pytest.mark.parametrize("widths, seed", [([2, 20, 1], 0), ([2, 8, 8, 1], 1), ([2, 5, 5, 5, 5, 1], 0)])
def test_two_halves_of_a_rectangle_count_the_seam_cells_twice(widths, seed):
    net = seeded_torch(widths, seed)
    x0, x1, y0, y1, m = F(-4), F(6), F(-3), F(5, 2), F(1, 3)
    whole, left, right = (regions(net, window=w) for w in ((x0, x1, y0, y1), (x0, m, y0, y1), (m, x1, y0, y1)))
    seam = _seam_cells(whole, m)
    assert seam > 0 and left.n_activation + right.n_activation - seam == whole.n_activation
    pl, pr = {c.pattern for c in left.cells}, {c.pattern for c in right.cells}
    assert pl | pr == {c.pattern for c in whole.cells} and len(pl & pr) == seam
    for w in ((x0, x1, y0, y1), (x0, m, y0, y1), (m, x1, y0, y1)):
        assert count_regions(net, window=w).activation == regions(net, window=w).n_activation


small = st.fractions(min_value=-2, max_value=2, max_denominator=3)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(small, small, small), min_size=2, max_size=4),
       st.lists(st.tuples(small, small), min_size=3, max_size=3),
       st.booleans(), st.sampled_from(["relu", "abs", "hardtanh"]))
def test_hypothesis_small_rational_nets_in_triangles(l1, tri, deep, act):
    k = len(l1)
    layers = [([[a, b] for a, b, _ in l1], [c for *_, c in l1])]
    if deep:
        layers.append(([[F(1), F(-1)] * (k // 2) + [F(1)] * (k % 2), [F(1, 2)] * k], [F(0), F(-1, 2)]))
    layers.append(([[F(1)] * len(layers[-1][1])], [F(0)]))
    net = ExactNet.from_layers(layers, activation=act)
    try:
        w = check_window(tri)
    except InputError:  # a degenerate triangle (zero area or repeated vertex)
        return
    r = regions(net, window=w)
    ref = _reference(net, w)
    assert (r.n_activation, r.n_linear) == (ref.n_activation, ref.n_linear)
    assert count_regions(net, window=w) == (r.n_activation, r.n_linear)
    assert sum(c.exact_area for c in r.cells) == w.area and _inside(r, w)


# -- guards, results, sampling -------------------------------------------------------


def test_guards_refuse_before_building():
    deep, shallow = seeded_torch([2, 16, 16, 1], 0), seeded_torch([2, 40, 1], 0)
    for net in (deep, shallow):
        for window in ((-8, 9, -7, 10), [(-9, -9), (9, -8), (0, 10)]):
            n = count_regions(net, window=window).activation
            with pytest.raises(TooManyRegionsError, match=f"max_regions={n - 1}"):
                regions(net, window=window, max_regions=n - 1)
            if net is deep:  # counting a one-layer net builds no cells (as in a square): no refusal
                with pytest.raises(TooManyRegionsError, match=f"max_regions={n - 1}"):
                    count_regions(net, window=window, max_regions=n - 1)
            with pytest.raises(ResourceLimitError, match=r"would need about .* more than max_memory"):
                regions(net, window=window, max_memory=50_000)
            assert regions(net, window=window, max_regions=n).n_activation == n


def test_summary_repr_geojson_and_plot_know_the_window():
    import matplotlib.pyplot as plt

    net = seeded_torch([2, 8, 8, 1], 0)
    r = regions(net, window=(1, 4, F(-1, 3), 2))
    assert r.summary()["window"] == {"rectangle": [1.0, 4.0, "-1/3", 2.0]}
    assert "window=[1, 4] x [-1/3, 2]" in repr(r)
    assert len(r.to_geojson()["features"]) == r.n_activation
    fig, ax = plt.subplots()
    r.plot(ax=ax)
    assert ax.get_xlim() == (1.0, 4.0) and ax.get_ylim() == (float(F(-1, 3)), 2.0)
    assert "[1, 4] x [-1/3, 2]" in ax.get_title()
    plt.close(fig)
    p = regions(net, window=QUAD)
    assert p.summary()["window"] == {"polygon": [[5.0, -1.0], [6.0, 4.0], ["1/3", 7.0], [0.0, 0.0]]}
    assert "polygon (5, -1), (6, 4), (1/3, 7), (0, 0)" in repr(p)  # from the lowest vertex


def test_cross_check_samples_only_inside_the_window():
    net = seeded_torch([2, 8, 8, 1], 0)
    tri = [(-9, -9), (9, -8), (0, 9)]  # outside it, in its bounding box, are patterns it does not hold
    rep = cross_check(net, window=tri, res=150)
    assert rep.window == {"polygon": [[-9.0, -9.0], [9.0, -8.0], [0.0, 9.0]]}
    assert rep.spurious == 0 and rep.unexplained == 0
    assert rep.exact_count == count_regions(net, window=tri).activation
    assert rep.sampled_count + len(rep.missed) == rep.exact_count
    box = cross_check(net, window=(-9, 9, -9, 9), res=150)
    assert box.exact_count > rep.exact_count and box.sampled_count > rep.sampled_count
    rect = cross_check(net, window=(0, 3, -2, 1), res=60)
    assert rect.window == {"rectangle": [0.0, 3.0, -2.0, 1.0]} and rect.spurious == 0
    assert rect.sampled_count <= rect.exact_count == count_regions(net, window=(0, 3, -2, 1)).activation

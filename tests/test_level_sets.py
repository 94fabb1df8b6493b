"""Exact level sets and decision boundaries against hand-derived curves and exact re-evaluation.

Independent references: curves derived by hand (|x| - 1, the diamond |x| + |y| = 1, three
classes x, y, 0), :meth:`ExactNet.evaluate` at exact points on and beside every segment,
and a grid of exact points whose sign (or arg max) changes between neighbours: the grid
edge between them must meet the set (segments tested with exact orientation tests here,
not with the package's predicates).
"""

from __future__ import annotations

import math
from fractions import Fraction as F

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import exact
from exact.errors import InputError, InputTypeError
from numeric.models import seeded_mlp

ABS_X_MINUS_1 = [([[1, 0], [-1, 0]], [0, 0]), ([[1, 1]], [-1])]  # |x| - 1
DIAMOND = [([[1, 0], [-1, 0], [0, 1], [0, -1]], [0, 0, 0, 0]), ([[1, 1, 1, 1]], [-1])]  # |x| + |y| - 1
EYE4 = [[1, 0], [-1, 0], [0, 1], [0, -1]]  # relu(x), relu(-x), relu(y), relu(-y)


def seeded_layers(widths, seed):
    """A seeded torch MLP's (W, b) pairs (torch's default init), read without the torch reader."""
    lin = [m for m in seeded_mlp(widths, seed=seed).modules() if type(m).__name__ == "Linear"]
    return [(m.weight.detach().numpy(), m.bias.detach().numpy()) for m in lin]


def f(net, p, k=0):
    return net.evaluate(p)[k]


# --- exact plane geometry for the tests (independent of exact.predicates) ------------------

def orient(a, b, c):
    v = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
    return (v > 0) - (v < 0)


def on_closed_segment(p, a, b):
    return (orient(a, b, p) == 0 and min(a[0], b[0]) <= p[0] <= max(a[0], b[0])
            and min(a[1], b[1]) <= p[1] <= max(a[1], b[1]))


def segments_meet(a, b, c, d):
    o1, o2, o3, o4 = orient(a, b, c), orient(a, b, d), orient(c, d, a), orient(c, d, b)
    if o1 * o2 < 0 and o3 * o4 < 0:
        return True
    return (on_closed_segment(c, a, b) or on_closed_segment(d, a, b) or on_closed_segment(a, c, d)
            or on_closed_segment(b, c, d))


def in_polygon(p, verts):  # closed convex polygon, counter-clockwise
    return all(orient(verts[i], verts[(i + 1) % len(verts)], p) >= 0 for i in range(len(verts)))


def meets(ls, a, b):
    """Does the closed segment a-b meet the level set (segments, points or flat pieces)?"""
    return (any(segments_meet(a, b, p, q) for p, q in ls.segments)
            or any(on_closed_segment(p, a, b) for p in ls.points)
            or any(in_polygon(a, vs) or in_polygon(b, vs) for _, vs in ls.flat_pieces))


def shoelace(vs):
    return sum(vs[i][0] * vs[(i + 1) % len(vs)][1] - vs[(i + 1) % len(vs)][0] * vs[i][1]
               for i in range(len(vs))) / 2


def grid(B, n):
    return [[(F(-B) + F(2 * B * i, n), F(-B) + F(2 * B * j, n)) for j in range(n + 1)] for i in range(n + 1)]


def grid_edges(B, n):
    g = grid(B, n)
    for i in range(n + 1):
        for j in range(n + 1):
            if i < n:
                yield g[i][j], g[i + 1][j]
            if j < n:
                yield g[i][j], g[i][j + 1]


def sign(v):
    return (v > 0) - (v < 0)


def check_on_level(net, ls, c, k=0, steps=8):
    """Every endpoint and ``steps`` rational points along each segment have f = c exactly."""
    for p, q in ls.segments:
        assert p != q
        for t in range(steps + 1):
            x = (p[0] + (q[0] - p[0]) * F(t, steps), p[1] + (q[1] - p[1]) * F(t, steps))
            assert f(net, x, k) == c, (p, q, t)
    for p in ls.points:
        assert f(net, p, k) == c
    for _, vs in ls.flat_pieces:
        assert all(f(net, v, k) == c for v in vs)


def check_complete(net, ls, c, B, n, k=0):
    """Grid neighbours with f - c of opposite signs (or one zero) are joined across the set."""
    for a, b in grid_edges(B, n):
        sa, sb = sign(f(net, a, k) - c), sign(f(net, b, k) - c)
        if sa * sb < 0 or sa == 0 or sb == 0:
            assert meets(ls, a, b), (a, b)


def check_disjoint_on_lines(ls):
    """Merged into maximal segments: two collinear segments do not even touch."""
    segs = ls.segments
    for i in range(len(segs)):
        for j in range(i + 1, len(segs)):
            (a, b), (c, d) = segs[i], segs[j]
            if orient(a, b, c) == 0 and orient(a, b, d) == 0:
                touch = [x for x in (c, d) if on_closed_segment(x, a, b)]
                touch += [x for x in (a, b) if on_closed_segment(x, c, d)]
                assert not touch, (segs[i], segs[j])


# --- hand-derived curves -------------------------------------------------------------------

def test_abs_x_minus_1_is_two_vertical_lines():
    ls = exact.regions(ABS_X_MINUS_1, window=2).level_set(0)
    assert ls.segments == (((-1, -2), (-1, 2)), ((1, -2), (1, 2)))
    assert ls.length == 8.0 and ls.points == () and ls.flat_pieces == ()
    assert ls.to_shapely().length == 8.0 and len(ls.to_shapely().geoms) == 2


def test_diamond_segments_length_and_its_minimum_point():
    r = exact.regions(DIAMOND, window=2)
    ls = r.level_set(0)  # |x| + |y| = 1
    ends = {frozenset(s) for s in ls.segments}
    assert ends == {frozenset({(1, 0), (0, 1)}), frozenset({(0, 1), (-1, 0)}),
                    frozenset({(-1, 0), (0, -1)}), frozenset({(0, -1), (1, 0)})}
    assert ls.length == pytest.approx(4 * math.sqrt(2), rel=1e-15)
    low = r.level_set(-1)  # the minimum: one isolated point, no segment
    assert low.segments == () and low.points == ((0, 0),) and low.flat_pieces == ()
    assert r.level_set(F(-3, 2)).points == () and len(r.level_set(F(-3, 2))) == 0


def test_a_level_set_on_a_shared_edge_is_kept_once():
    r = exact.regions([([[1, 0], [-1, 0]], [0, 0]), ([[1, 1]], [0])], window=3)  # |x|
    ls = r.level_set(0)  # x = 0 is an edge of both cells
    assert ls.segments == (((0, -3), (0, 3)),) and ls.length == 6.0


def test_collinear_pieces_in_two_cells_merge_into_one_segment():
    # f = x, with relu(y) splitting the plane along y = 0 (its output weight 0)
    r = exact.regions([([[1, 0], [-1, 0], [0, 1]], [0, 0, 0]), ([[1, -1, 0]], [0])], window=1)
    assert r.n_activation == 4
    ls = r.level_set(F(1, 3))
    assert ls.segments == (((F(1, 3), -1), (F(1, 3), 1)),)


def test_flat_cells_are_reported_not_dropped():
    r = exact.regions([([[1, 0]], [0]), ([[1]], [0])], window=1)  # relu(x): 0 on x <= 0
    ls = r.level_set(0)
    assert [r.cells[k].pattern for k, _ in ls.flat_pieces] == [(0,)]
    assert sorted(ls.flat_pieces[0][1]) == [(-1, -1), (-1, 1), (0, -1), (0, 1)]
    assert ls.segments == (((0, -1), (0, 1)),)  # the flat half's edge, from the cell x > 0
    assert r.level_set(1).flat_pieces == () and r.level_set(1).segments == (((1, -1), (1, 1)),)
    assert r.level_set(-1).segments == () and r.level_set(-1).flat_pieces == ()


def test_level_is_taken_at_its_exact_value():
    r = exact.regions(ABS_X_MINUS_1, window=2)
    x = 1 + F(0.1)  # the float 0.1, not 1/10
    assert r.level_set(0.1).segments[1] == ((x, -2), (x, 2))
    assert r.level_set(F(1, 10)).segments[1] == ((F(11, 10), -2), (F(11, 10), 2))


def test_two_classes_x_and_y_split_on_the_diagonal():
    r = exact.regions([(EYE4, [0, 0, 0, 0]), ([[1, -1, 0, 0], [0, 0, 1, -1]], [0, 0])], window=1)
    db = r.decision_boundary()
    assert db.segments == (((-1, -1), (1, 1)),) and db.kind == "decision boundary"


def test_three_classes_x_y_0_meet_at_the_origin():
    # class 0 (x) where x > y, x > 0; class 1 (y) where y > x, y > 0; class 2 (0) where x, y < 0
    r = exact.regions([(EYE4, [0, 0, 0, 0]), ([[1, -1, 0, 0], [0, 0, 1, -1], [0, 0, 0, 0]], [0, 0, 0])],
                      window=1)
    db = r.decision_boundary()
    assert {frozenset(s) for s in db.segments} == {frozenset({(0, 0), (1, 1)}), frozenset({(0, -1), (0, 0)}),
                                                   frozenset({(-1, 0), (0, 0)})}
    assert db.length == pytest.approx(2 + math.sqrt(2), rel=1e-15)
    assert db.points == () and db.flat_pieces == ()


def test_class_change_across_a_cell_edge():
    # relu(x) vs relu(-x): each cell has one class, the boundary is the cells' common edge
    r = exact.regions([([[1, 0], [-1, 0]], [0, 0]), ([[1, 0], [0, 1]], [0, 0])], window=1)
    assert r.n_activation == 2
    assert r.decision_boundary().segments == (((0, -1), (0, 1)),)


def test_outputs_tied_on_an_area_are_flat_pieces():
    net = [(EYE4, [0, 0, 0, 0]), ([[1, -1, 0, 0], [1, -1, 0, 0], [0, 0, 1, -1]], [0, 0, 0])]  # (x, x, y)
    r = exact.regions(net, window=1)
    db = r.decision_boundary()
    assert db.segments == (((-1, -1), (1, 1)),)
    # classes 0 and 1 tie wherever x >= y: half of [-1, 1]^2, area 2
    area = sum(shoelace(vs) for _, vs in db.flat_pieces)
    assert area == 2
    same = exact.regions([(EYE4, [0, 0, 0, 0]), ([[1, -1, 0, 0]] * 2, [0, 0])], window=1)
    tie = same.decision_boundary()  # two equal outputs: no boundary, every cell a tie
    assert tie.segments == () and sorted(k for k, _ in tie.flat_pieces) == list(range(same.n_activation))


def test_one_output_decision_boundary_is_the_zero_level_set():
    r = exact.regions(DIAMOND, window=2)
    db, ls = r.decision_boundary(), r.level_set(0)
    assert db.segments == ls.segments and db.kind == "decision boundary" and ls.kind == "level set"


# --- random nets: exact re-evaluation and grid completeness ----------------------------------

@pytest.mark.parametrize("widths, seed", [([2, 8, 1], 0), ([2, 6, 6, 1], 1), ([2, 5, 5, 5, 1], 2)])
def test_seeded_nets_level_sets_are_exact_and_complete(widths, seed):
    r = exact.regions(seeded_layers(widths, seed=seed), window=2)
    net = r.net
    cf = f(net, (F(1, 3), F(-1, 7)))  # a level the net reaches inside the window
    ls = r.level_set(cf)
    assert len(ls.segments) > 0
    check_on_level(net, ls, cf)
    check_complete(net, ls, cf, 2, 24)
    check_disjoint_on_lines(ls)
    eps = F(1, 10**12)
    for p, q in ls.segments:  # generic nets: f - c changes sign across every segment
        m = ((p[0] + q[0]) / 2, (p[1] + q[1]) / 2)
        n = (q[1] - p[1], p[0] - q[0])
        left = sign(f(net, (m[0] + eps * n[0], m[1] + eps * n[1])) - cf)
        right = sign(f(net, (m[0] - eps * n[0], m[1] - eps * n[1])) - cf)
        assert left * right == -1, (p, q)


def test_whole_plane_level_set_lies_in_its_box():
    r = exact.regions(seeded_layers([2, 5, 5, 1], seed=3), window=None)
    ls = r.level_set(0)
    check_on_level(r.net, ls, 0)
    assert ls.box >= r.box and all(abs(v) <= ls.box for s in ls.segments for p in s for v in p)


def clip_to_square(seg, half):
    """The part of a segment (exact points) in [-half, half]^2, or None: t in [0, 1] along p + t (q - p)."""
    (px, py), (qx, qy) = seg
    lo, hi = F(0), F(1)
    for p0, d in ((px, qx - px), (py, qy - py)):
        if d == 0:
            if abs(p0) > half:
                return None
            continue
        t1, t2 = sorted(((-half - p0) / d, (half - p0) / d))
        lo, hi = max(lo, t1), min(hi, t2)
    if lo > hi:
        return None
    return tuple((px + t * (qx - px), py + t * (qy - py)) for t in (lo, hi))


def same_as_a_wider_window(net, ls, make):
    """The plane's set is the set of a window four times ls.box, cut at ls.box: every piece reaches ls.box."""
    wide = make(exact.regions(net, window=4 * ls.box))
    cut = [clip_to_square(s, ls.box) for s in wide.segments]
    assert None not in cut                      # no piece, bend or end of the set lies only beyond ls.box
    assert sorted(c for c in cut if c[0] != c[1]) == sorted(ls.segments)
    assert all(max(abs(x), abs(y)) < ls.box for x, y in wide.points) and wide.points == ls.points


@pytest.mark.parametrize("seed", range(12))
def test_whole_plane_level_sets_are_those_of_a_wider_window(seed):
    # the plane's unbounded cells are cut by their own edges and drawn in ls.box; the regions of the
    # window 4 ls.box (another run, another engine path) hold the same set, whose every piece meets ls.box
    rng = __import__("random").Random(seed)
    widths = [2] + [rng.randint(2, 6) for _ in range(rng.randint(1, 3))] + [rng.randint(1, 3)]
    net = exact.as_exact_net(seeded_mlp(widths, seed=seed))
    r = exact.regions(net, None)
    for k in range(widths[-1]):
        for c in (F(0), F(rng.randint(-40, 40), 4), F(rng.choice([1, -1]) * 10 ** rng.randint(1, 4))):
            same_as_a_wider_window(net, r.level_set(c, output=k), lambda w, c=c, k=k: w.level_set(c, output=k))
    same_as_a_wider_window(net, r.decision_boundary(), lambda w: w.decision_boundary())


small_line = st.tuples(st.integers(-3, 3), st.integers(-3, 3), st.integers(-6, 6)).filter(lambda t: t[:2] != (0, 0))


@settings(max_examples=300, deadline=None)
@given(line=small_line, halfplanes=st.lists(small_line, max_size=4), ts=st.lists(st.integers(-40, 40), max_size=8))
def test_hypothesis_line_interval_is_where_every_half_plane_holds(line, halfplanes, ts):
    from exact.plane_pieces import line_interval
    from exact.predicates import compare_along, point_to_fractions

    a, b, c = line
    n = a * a + b * b
    got = line_interval(line, halfplanes)
    for t in [F(k, 4) for k in ts]:            # points of the line: its foot + t (-b, a)
        p = (F(-c * a, n) - t * b, F(-c * b, n) + t * a)
        holds = all(h[0] * p[0] + h[1] * p[1] + h[2] >= 0 for h in halfplanes)
        hp = (p[0].numerator * p[1].denominator, p[1].numerator * p[0].denominator,
              p[0].denominator * p[1].denominator)
        inside = got is not None and (got[0] is None or compare_along(line, got[0], hp) <= 0) and (
            got[1] is None or compare_along(line, hp, got[1]) <= 0)
        assert holds == inside, (p, got)
    for end in got or ():
        if end is not None:                    # a finite end lies on the line and on a half-plane's line
            x, y = point_to_fractions(end)
            assert a * x + b * y + c == 0 and any(h[0] * x + h[1] * y + h[2] == 0 for h in halfplanes)


@pytest.mark.parametrize("seed", [4, 7])
def test_seeded_classifier_decision_boundary(seed):
    r = exact.regions(seeded_layers([2, 8, 8, 3], seed=seed), window=3)
    net = r.net
    db = r.decision_boundary()
    assert len(db.segments) > 3
    for p, q in db.segments:  # at least two outputs are maximal all along every segment
        for t in range(5):
            v = net.evaluate((p[0] + (q[0] - p[0]) * F(t, 4), p[1] + (q[1] - p[1]) * F(t, 4)))
            assert sum(x == max(v) for x in v) >= 2
    check_disjoint_on_lines(db)
    for a, b in grid_edges(3, 24):  # neighbours with different (unique) classes are separated
        va, vb = net.evaluate(a), net.evaluate(b)
        ca = {k for k, x in enumerate(va) if x == max(va)}
        cb = {k for k, x in enumerate(vb) if x == max(vb)}
        if ca != cb:
            assert meets(db, a, b), (a, b)


small = st.sampled_from([F(k, 2) for k in range(-4, 5)])


@settings(max_examples=40, deadline=None)
@given(st.lists(small, min_size=13, max_size=13), st.tuples(small, small), st.sampled_from([0, F(1, 2), F(-1, 3)]))
def test_hypothesis_small_rational_nets(vals, at, shift):
    W0 = [vals[0:2], vals[2:4], vals[4:6]]
    b0 = vals[6:9]
    net = [(W0, b0), ([vals[9:12]], [vals[12]])]
    r = exact.regions(net, window=2)
    c = f(r.net, at) + shift  # often a level through a vertex or along an edge: degenerate on purpose
    ls = r.level_set(c)
    check_on_level(r.net, ls, c, steps=4)
    check_complete(r.net, ls, c, 2, 8)
    check_disjoint_on_lines(ls)


# --- bad input -----------------------------------------------------------------------------

def test_bad_levels_and_outputs_are_refused():
    r = exact.regions(ABS_X_MINUS_1, window=2)
    with pytest.raises(InputError, match="level c must be finite, got nan"):
        r.level_set(float("nan"))
    with pytest.raises(InputTypeError, match="level c must be a real number, got str '1'$"):
        r.level_set("1")
    with pytest.raises(InputError, match="output=1 is out of range: the network has 1 output"):
        r.level_set(0, output=1)
    with pytest.raises(InputTypeError, match="output must be an integer index, got True"):
        r.level_set(0, output=True)


@pytest.mark.parametrize("act", ["relu", "abs", "leaky_relu", "hardtanh"])
def test_propagated_maps_equal_the_maps_composed_from_each_pattern(act):
    """One hidden layer: maps carried across edges (line jumps) = affine_on_pattern of each cell."""
    from exact.level_sets import output_maps
    from exact.network import affine_on_pattern

    W = [[1, 0], [F(1, 2), -1], [0, 1], [-2, -4], [1, 1], [3, -1]]  # line 4 = line 2 scaled, negated
    net = [(W, [0, F(1, 3), -1, 2, 1, F(-1, 2)]), ([[1, -2, 3, F(1, 2), -1, 2], [0, 1, 1, 1, -1, 0]], [1, 0])]
    activation = {"leaky_relu": exact.get_activation("leaky_relu", 0.25)}.get(act, act)
    r = exact.regions(net, window=3, activation=activation)
    assert r.net.n_hidden_layers == 1 and r.n_activation > 10
    maps = output_maps(r)
    for c, rows in zip(r, maps):
        aff = affine_on_pattern(r.net, r.net.pattern_at(c.interior_point()))
        assert rows == [(a, b, o) for (a, b), o in zip(aff.gradient, aff.offset)], c.index

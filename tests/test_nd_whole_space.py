"""The whole input space in any dimension (exact.nd.whole_space) against formulas and other engines.

References: Zaslavsky's counts for n hyperplanes in general position in R^3 (all regions
``sum_{i<=3} C(n, i)``, bounded regions ``C(n - 1, 3)``; the premise checked here exactly),
central and parallel arrangements counted by hand, the plane's whole-plane engine
(``exact.regions(window=None)``) on 2-D nets, the segment counter on a segment holding every
breakpoint of a 1-D net, and boxes much larger than the certified one (which can only show
more cells if the certificate were wrong).

Since issue 18 the whole space is enumerated in the a-priori cube of ``vertex_bound`` (checked
against every vertex of every pattern's polyhedron found by brute force, and each cell against
``cell_certificate``, the growing cube's certificate, now the route past the float range); the
pictures' cube is clipped from it (checked against the cells made directly in that cube).

Checked to fail on purpose (by hand, then put back): with ``cell_certificate`` accepting
every cell, test_the_certificate_sees_a_far_vertex, the growing-certificate route and the
2-D scaled random nets (some are past the float range) fail; with ``vertex_bound`` 2^(3d)
times too small, the count-only catalogue, the 2-D catalogue and the hypothesis comparisons
fail; with ``half_past`` keeping neither its margin nor its exact check, the
arrangement-vertex test and the catalogue comparisons fail; with its exact check not strict
(``>`` for ``>=``), the tie test (a vertex exactly on the guessed power of two) fails; with
``clip_to_box`` leaving the small cube's rows out of the tight sets, the clipped-cells test
and a 2-D seeded net fail.  Earlier (the growing cube): with
``_ray_end`` always None the deep comparisons and test_the_certificate_sees_a_far_vertex
failed; with the reduced net's box not lifted by the inverse's norm,
test_rank_deficient_first_layers and the hypothesis test fail.
"""

from __future__ import annotations

import itertools
from fractions import Fraction as F
from math import comb

import numpy as np
import pytest
from catalogue import LINE_CASES, scaled_random_nets, seeded_torch, shallow_layers
from hypothesis import given, settings
from hypothesis import strategies as st
from test_nd_polytope import solve
from test_nd_regions import SIX_PLANES, planes_net

import exact
from exact import count_on_segment
from exact.loading import as_exact_net
from exact.nd import count_regions_nd, regions_nd, whole_space
from exact.nd.layer_cells import RawCellND
from exact.nd.polytope import box, split
from exact.nd.vertex_bounds import first_layer_vertices, half_past, vertex_bound
from exact.nd.whole_space import cell_certificate, pattern_rows, reduced_net, whole_space_cells


def in_general_position(W, b):
    """Every 3 normals independent and the triple points all distinct (no 4 planes through a point)."""
    points = []
    for tri in itertools.combinations(range(len(W)), 3):
        x = solve([W[i] for i in tri], [-b[i] for i in tri])
        if x is None:
            return False
        points.append(x)
    return len(set(points)) == len(points)


@pytest.mark.parametrize("seed", [0, 1])
def test_planes_in_general_position_zaslavsky(seed):
    net = as_exact_net(seeded_torch([3, 12, 1], seed))
    W, b = [list(r) for r in net.weights[0]], list(net.biases[0])
    assert in_general_position(W, b)
    r = regions_nd(net, window=None)
    assert (r.n_activation, r.n_linear) == (sum(comb(12, i) for i in range(4)), sum(comb(12, i) for i in range(4)))
    assert sum(c.bounded for c in r) == comb(11, 3)
    for c in r:   # a bounded cell lies strictly inside the certified cube; the others reach its sides
        assert c.bounded == (not c.clipped)
        assert not c.bounded or all(lo < x < hi for v in c.vertices for x, lo, hi in zip(v, r.lo, r.hi))


@pytest.mark.parametrize("planes, count", [
    ([(1, 0, 0, 0), (0, 1, 0, 0), (0, 0, 1, 0), (1, 1, 1, 0)], 14),               # through one point
    ([(3, 0, 0, -1), (0, 3, 0, -1), (0, 0, 3, -1), (1, 1, 1, -1)], 14),            # through (1/3, 1/3, 1/3)
    ([(1, 0, 0, 0), (0, 1, 0, 0), (0, 0, 1, 0), (1, 1, 1, -1000)], 15),            # a far vertex
    ([(1, 0, 0, 0), (1, 0, 0, -1), (0, 1, 0, 0)], 6),                             # rank 2: 3 x 2
    ([(1, 0, 0, 0), (1, 0, 0, -1), (2, 0, 0, -4)], 4),                            # rank 1: 4 slabs
    ([(1, 1, 0, 0), (2, 2, 0, 0), (0, 0, 1, 0), (0, 0, 2, -1)], 6),               # rank 2, a duplicate
    ([(0, 0, 0, 1), (0, 0, 0, -1)], 1),                                           # no hyperplane
])
def test_hand_counted_arrangements(planes, count):
    r = regions_nd(planes_net(planes), window=None)
    assert r.n_activation == count and r.whole_space
    assert all(r.net.pattern_at(c.interior_point()) == c.pattern for c in r)


def test_rank_deficient_first_layers():
    """A deep net through y = x1 / 8 + x2 / 4 (x3 unused): the same cells as the 1-D net of y.

    Its breakpoints lie at y = 3 and beyond, where x1 alone must reach 24 and more: the box of
    the reduced net (in y) has to be lifted with the inverse's norm (8).
    """
    layers = [([[F(1, 8), F(1, 4), 0], [F(1, 4), F(1, 2), 0], [F(-1, 8), F(-1, 4), 0]], [-3, -7, 5]),
              ([[1, -1, 1], [2, 1, 0]], [F(-1, 2), 1]), ([[1, 1]], [0])]
    red, R = reduced_net(as_exact_net(layers))
    assert R == [[F(1, 8), F(1, 4), 0]] and red.weights[0] == ((1,), (2,), (-1,))
    r = regions_nd(layers, window=None)
    one_d = regions_nd(red, window=None)
    assert sorted(c.pattern for c in r) == sorted(c.pattern for c in one_d)
    assert r.n_linear == one_d.n_linear
    s = count_on_segment(red, [-1000], [1000])
    assert (r.n_activation, r.n_linear) == (s.activation, s.linear)
    assert all(r.net.pattern_at(c.interior_point()) == c.pattern for c in r)


@pytest.mark.parametrize("name", sorted(LINE_CASES))
def test_two_d_catalogue_matches_the_whole_plane(name):
    case = LINE_CASES[name]
    layers = shallow_layers(case["neurons"])
    r = regions_nd(layers, window=None)
    assert r.n_activation == case["plane"]
    assert exact.count_regions(layers, window=None) == count_regions_nd(layers, window=None)


@pytest.mark.parametrize("widths, seed", [([2, 20, 1], 0), ([2, 5, 5, 5, 5, 1], 0), ([2, 8, 8, 1], 2)])
def test_two_d_seeded_nets_match_the_whole_plane(widths, seed):
    net = seeded_torch(widths, seed)
    r2, rn = exact.regions(net, window=None), regions_nd(net, window=None)
    assert sorted(c.pattern for c in r2.cells) == sorted(c.pattern for c in rn.cells)
    assert r2.n_linear == rn.n_linear
    assert sorted(c.bounded for c in r2.cells) == sorted(c.bounded for c in rn.cells)


def test_two_d_scaled_random_nets_match_the_whole_plane():
    for layers, act, _ in scaled_random_nets(3, 6, max_hidden=3):
        assert exact.count_regions(layers, window=None, activation=act) == \
            count_regions_nd(layers, window=None, activation=act)


@pytest.mark.parametrize("widths, seed", [([1, 8, 1], 0), ([1, 4, 4, 1], 3)])
def test_one_d_nets_match_a_segment_holding_every_breakpoint(widths, seed):
    net = seeded_torch(widths, seed)
    r = regions_nd(net, window=None)
    s = count_on_segment(net, [-2**40], [2**40])
    assert (r.n_activation, r.n_linear) == (s.activation, s.linear)


def test_a_much_larger_box_shows_no_more_cells():
    net = as_exact_net(seeded_torch([3, 6, 6, 1], 1))
    r = regions_nd(net, window=None)
    far = regions_nd(net, window=16 * r.hi[0])
    assert {c.pattern for c in far} == {c.pattern for c in r}
    assert facets_off_the_box(far) == facets_off_the_box(r)


def facets_off_the_box(r):
    """Each pattern's facet rows that are not sides of the box (for the whole space: its region's facets)."""
    return {c.pattern: {row for row, f, b in zip(c.rows, c.facet, c.halfspaces.on_box) if f and not b} for c in r}


def test_the_certificate_sees_a_far_vertex():
    """x, y, z >= 0 and x + y + z <= 5 clipped to [-4, 4]^3: the edge along x leaves the box and ends at 5."""
    net = as_exact_net(planes_net([(1, 0, 0, 0), (0, 1, 0, 0), (0, 0, 1, 0), (-1, -1, -1, 5)]))
    c = box([F(-4)] * 3, [F(4)] * 3)
    for row in ((1, 0, 0, 0), (0, 1, 0, 0), (0, 0, 1, 0), (-1, -1, -1, 5)):
        c = split(c, row)[1]
    cell = RawCellND(c, (1, 1, 1, 1), ((0, 0, 0, 5),), 1)
    rows = pattern_rows(net, cell.pattern)
    assert sorted(rows) == sorted([(1, 0, 0, 0), (0, 1, 0, 0), (0, 0, 1, 0), (-1, -1, -1, 5)])
    assert cell_certificate(cell, rows, 6) == (False, F(5))
    big = box([F(-8)] * 3, [F(8)] * 3)
    for row in rows:
        big = split(big, row)[1]
    assert cell_certificate(RawCellND(big, cell.pattern, cell.out, 1), rows, 6) == (True, None)
    with pytest.raises(ValueError, match="the pattern's rows must span R"):
        cell_certificate(cell, rows[:2], 6)


def test_locate_far_points_in_the_whole_space():
    net = as_exact_net(seeded_torch([3, 5, 4, 1], 7))
    r = regions_nd(net, window=None)
    rng = np.random.default_rng(3)
    pts = rng.standard_normal((40, 3)) * 10.0 ** rng.integers(0, 12, size=(40, 1))
    for p, k in zip(pts.tolist(), r.locate(pts).tolist()):
        assert k >= 0 and r.cells[k].pattern == net.pattern_at(p)


small = st.fractions(-2, 2, max_denominator=2)


@st.composite
def small_nets(draw, max_width=5):
    widths = [3] + draw(st.lists(st.integers(1, max_width), min_size=1, max_size=2)) + [1]
    return [([[draw(small) for _ in range(a)] for _ in range(b)], [draw(small) for _ in range(b)])
            for a, b in zip(widths[:-1], widths[1:])]


@given(small_nets())
@settings(max_examples=30, deadline=None)
def test_small_rational_nets_whole_space(layers):
    r = regions_nd(layers, window=None)
    far = regions_nd(layers, window=8 * r.hi[0])
    assert {c.pattern for c in far} == {c.pattern for c in r}
    assert facets_off_the_box(far) == facets_off_the_box(r)
    assert far.n_linear == r.n_linear
    assert all(r.net.pattern_at(c.interior_point()) == c.pattern for c in r)


@pytest.mark.parametrize("acts", [["identity", "relu"], ["relu", "identity"], ["identity", "identity"],
                                  ["hardtanh", "abs"], ["leaky_relu", "relu"]])
def test_affine_layers_and_other_activations_match_the_whole_plane(acts):
    """Identity layers draw no hyperplane: they are composed away before the certificate."""
    net = exact.ExactNet.from_layers([([[1, 0], [0, 1], [1, 1]], [0, 0, F(-1, 2)]), ([[1, -1, 2], [0, 1, 1]],
                                      [0, F(1, 4)]), ([[1, 2], [3, -1]], [0, 0])], acts)
    assert exact.count_regions(net, window=None) == count_regions_nd(net, window=None)


def test_nets_without_breakpoints_have_one_cell():
    assert count_regions_nd([([[1, 2, 3]], [0])], window=None) == (1, 1)
    assert count_regions_nd([([[1, 0, 0], [0, 1, 0]], [0, 0]), ([[1, 1]], [0])], window=None,
                            activation="identity") == (1, 1)
    three = exact.ExactNet.from_layers([([[1, 0, 0]], [0]), ([[1]], [-1]), ([[1]], [0])], ["identity", "relu"])
    assert count_regions_nd(three, window=None) == (2, 2)      # relu(x - 1): one plane, found after folding


@pytest.mark.parametrize("widths, acts", [([3, 5, 4, 3, 1], "relu"), ([3, 4, 4, 1], "hardtanh"),
                                          ([2, 4, 3, 3, 1], ["leaky_relu", "abs", "relu"])])
def test_pattern_rows_with_shared_prefixes_equal_rows_made_afresh(widths, acts):
    """The prefix cache the certificate shares between cells must not change any cell's rows."""
    rng = np.random.default_rng(3)
    layers = [(rng.normal(size=(b, a)), rng.normal(size=b)) for a, b in zip(widths[:-1], widths[1:])]
    net = as_exact_net(layers, activation=acts)
    cells = regions_nd(net, None).cells

    class Counted(dict):
        hits = 0

        def get(self, key, default=None):
            out = super().get(key, default)
            Counted.hits += out is not None
            return out

    prefixes = Counted()
    for c in cells + cells[::-1]:            # every prefix met once fresh and once from the cache
        assert pattern_rows(net, c.pattern, None, prefixes) == pattern_rows(net, c.pattern)
    assert len(prefixes) > 1 and Counted.hits >= len(cells)   # the cache was used, not bypassed
    # and each cell's interior point is strictly inside all its rows: the rows are the cell's own
    for c in cells[:20]:
        p = c.interior_point()
        assert all(sum(a * x for a, x in zip(r[:-1], p)) + r[-1] > 0 for r in pattern_rows(net, c.pattern))


def polyhedron_vertices(net, pattern):
    """Every vertex of a pattern's polyhedron by brute force: d of its rows solved exactly, all rows >= 0."""
    rows = pattern_rows(net, pattern)
    d = net.input_dim
    out = set()
    for sub in itertools.combinations(rows, d):
        x = solve([r[:-1] for r in sub], [-r[-1] for r in sub])
        if x is not None and all(sum(a * v for a, v in zip(r[:-1], x)) + r[-1] >= 0 for r in rows):
            out.add(x)
    return out


@given(small_nets(max_width=3))
@settings(max_examples=12, deadline=None)
def test_vertex_bound_holds_every_vertex_found_by_brute_force(layers):
    net = as_exact_net(layers)
    bound = vertex_bound(net)
    r = regions_nd(net, window=None)
    vertices = set().union(*(polyhedron_vertices(net, c.pattern) for c in r))
    assert all(abs(x) < bound for v in vertices for x in v)
    assert all(abs(x) < r.hi[0] for v in vertices for x in v)   # the hugging cube holds them too


def test_first_layer_vertices_are_the_arrangement_vertices():
    net = as_exact_net(planes_net(SIX_PLANES))
    want = {solve([p[:-1] for p in tri], [-p[-1] for p in tri]) for tri in itertools.combinations(SIX_PLANES, 3)}
    got = first_layer_vertices(net)
    assert len(got) == len(want) == 20
    assert sorted(F(m, D) for m, D in got) == sorted(max(abs(x) for x in v) for v in want)
    far = max(max(abs(x) for x in v) for v in want)
    assert half_past(got) / 2 < far * F(21, 20) + 1 <= half_past(got) and far < half_past(got)
    assert half_past([(8, 1)]) == 16 and half_past([(6, 1)]) == 8 and half_past([(13, 2)]) == 8


@pytest.mark.parametrize("widths, seed", [([3, 6, 6, 1], 1), ([3, 5, 4, 1], 7), ([4, 4, 4, 1], 0),
                                          ([3, 8, 1], 0)])
def test_every_cell_of_the_whole_space_passes_the_old_certificate(widths, seed):
    """The hugging cube and the a-priori cube, checked by the growing cube's certificate (independent)."""
    net = as_exact_net(seeded_torch(widths, seed))
    d = net.input_dim
    for hug in (True, False):
        half, cells = whole_space_cells(net, hug=hug)
        for c in cells:
            assert cell_certificate(c, pattern_rows(net, c.pattern), 2 * d) == (True, None)
        one_layer = len(widths) == 3      # its cube, from the first layer's vertices, is the same either way
        assert half == (regions_nd(net, window=None).hi[0] if hug or one_layer else vertex_bound(net))


@pytest.mark.parametrize("widths, seed", [([3, 6, 6, 1], 1), ([3, 8, 1], 2)])
def test_the_growing_certificate_still_serves_nets_past_the_float_range(widths, seed, monkeypatch):
    net = as_exact_net(seeded_torch(widths, seed))
    r = regions_nd(net, window=None)
    monkeypatch.setattr(whole_space, "BOUND_BITS", 0)      # every bound is "too large": the old route
    old = regions_nd(net, window=None)
    assert {c.pattern for c in old} == {c.pattern for c in r}
    assert count_regions_nd(net, window=None) == (old.n_activation, old.n_linear) == (r.n_activation, r.n_linear)


@pytest.mark.parametrize("widths, seed", [([3, 6, 6, 1], 1), ([3, 5, 4, 1], 7), ([3, 4, 4, 4, 1], 2)])
def test_cells_clipped_from_the_a_priori_cube_are_those_made_in_the_hugging_cube(widths, seed):
    """The whole space's cells are clipped from the big cube's (each when asked for): as made in the small cube."""
    net = as_exact_net(seeded_torch(widths, seed))
    r = regions_nd(net, window=None)
    again = regions_nd(net, window=r.hi[0])
    assert r.hi[0] < vertex_bound(net)      # the clip did happen
    mine = {c.pattern: c for c in r}
    assert len(mine) == len(again) and r.n_linear == again.n_linear
    for c in again:
        d = mine[c.pattern]
        assert set(d.verts) == set(c.verts) and d.volume == c.volume
        assert {row for row, f in zip(d.rows, d.facet) if f} == {row for row, f in zip(c.rows, c.facet) if f}
        assert d.halfspaces.on_box[:6] == (True,) * 6 and d.bounded == (not c.clipped)


def test_a_vertex_exactly_on_the_guessed_power_of_two_is_left_to_the_exact_check(monkeypatch):
    """x, y, z >= 0 and x + y + z <= 8: the vertex (8, 0, 0) sits on 8; the cube must be 16 (strictly past)."""
    net = planes_net([(1, 0, 0, 0), (0, 1, 0, 0), (0, 0, 1, 0), (-1, -1, -1, 8)])
    r = regions_nd(net, window=None)
    assert r.hi[0] == 16 and r.n_activation == 15 == count_regions_nd(net, window=None).activation
    assert half_past([(8, 1)]) == 16
    from exact.nd import vertex_bounds

    monkeypatch.setattr(vertex_bounds.math, "log2", lambda x: 3.0)   # a float guess of exactly 8: the tie
    assert half_past([(8, 1)]) == 16 and half_past([(16, 2), (7, 1)]) == 16 and half_past([(15, 2)]) == 8

"""regions() of deep nets in a window from the certified cells (exact.certified_regions), against
the exact engine (exact.layer_split): the same cells, polygons, maps, boundaries and answers, with
the exact objects made only when asked for."""

import random
from fractions import Fraction

import numpy as np
import pytest
from catalogue import scaled_random_nets, seeded_torch

from exact import ExactNet, from_torch, regions
from exact.adjacency import shared_edges
from exact.cells import Regions
from exact.certified_regions import CertifiedCells, certified_plane_regions, certified_window_regions
from exact.errors import ResourceLimitError, TooManyRegionsError, Undecided
from exact.layer_split import enumerate_cells
from exact.polygon_areas import polygon_area
from exact.predicates import point_from_xy, point_in_polygon
from exact.residue_maps import BlockMaps
from exact.square_window import square
from exact.whole_plane import whole_plane_cells
from exact.windows import ConvexWindow, convex_window, rectangle_window


def _exact(net, w):
    """The exact engine's regions, independently of the certified path."""
    verts, edges = (w.verts, w.edges) if isinstance(w, ConvexWindow) else square(w.numerator, w.denominator)
    return Regions.from_raw(net, w, w.half if isinstance(w, ConvexWindow) else w, enumerate_cells(net, verts, edges))


def _rotated(seq, first):
    k = seq.index(first)
    return tuple(seq[k:]) + tuple(seq[:k])


def _window_area(w):
    return polygon_area(w.verts) if isinstance(w, ConvexWindow) else 4 * w * w


def _assert_same(new, old, w):
    """Every exact fact of the two results agrees."""
    A, B = {c.pattern: c for c in old}, {c.pattern: c for c in new}
    assert len(B) == len(new) and A.keys() == B.keys()
    assert (new.n_activation, new.n_linear) == (old.n_activation, old.n_linear)
    for p, a in A.items():
        b = B[p]
        # the same counter-clockwise vertices and edge lines, edge k from vertex k, up to the start
        assert _rotated(b.verts, a.verts[0]) == tuple(a.verts)
        assert _rotated(b.edges, a.edges[0]) == tuple(a.edges)
        assert b.affine == a.affine
        assert b.exact_area == a.exact_area
    assert sum(c.exact_area for c in new) == _window_area(w)
    # the same linear-region partition (labels may be numbered differently)
    part = {frozenset(c.pattern for c in r if c.linear_region == k) for r in (old,) for k in range(r.n_linear)}
    assert part == {frozenset(c.pattern for c in new if c.linear_region == k) for k in range(new.n_linear)}
    # the same boundaries, as shared_edges gives them, with the same linear flags
    def keyed(r, bounds):
        return {(r[i].pattern, r[j].pattern, p, q) for i, j, p, q in bounds}

    assert keyed(new, new.boundaries) == keyed(old, old.boundaries) == keyed(new, shared_edges(new.cells))
    flags = {(old[i].pattern, old[j].pattern): old.is_linear_boundary(k) for k, (i, j, _, _) in
             enumerate(old.boundaries)}
    assert all(flags[new[i].pattern, new[j].pattern] == new.is_linear_boundary(k)
               for k, (i, j, _, _) in enumerate(new.boundaries))
    assert new.summary() == old.summary()


def _assert_same_locate(new, old, w, seed=0):
    """Random points decide the same cell; vertices land in a cell that holds them."""
    rng = random.Random(seed)
    x0, x1, y0, y1 = w.bounds if isinstance(w, ConvexWindow) else (-w, w, -w, w)
    pts = [(x0 + (x1 - x0) * Fraction(rng.randrange(1, 999), 1000), y0 + (y1 - y0) * Fraction(rng.randrange(1, 999), 1000))
           for _ in range(40)]
    pts += [(x1 + 1, y0)]  # outside
    for pt in pts:
        a, b = old.locate(pt), new.locate(pt)
        assert (a is None) == (b is None)
        if a is not None and point_in_polygon(a.verts, a.edges, point_from_xy(*pt)) > 0:
            assert a.pattern == b.pattern
    some = [c.vertices[0] for c in list(old)[:: max(1, len(old) // 15)]]
    for pt in some:
        b = new.locate(pt)
        holders = [c.index for c in new if point_in_polygon(c.verts, c.edges, point_from_xy(*pt)) >= 0]
        assert b is not None and b.index == min(holders)


def _deep(widths, seed, act="relu"):
    net = from_torch(seeded_torch(widths, seed=seed))
    if act == "relu":
        return net
    return ExactNet.from_layers(list(zip(net.weights, net.biases)), activation=act)


CASES = [
    ("2-5-5-1 seed 0", lambda: _deep([2, 5, 5, 1], 0), Fraction(10)),
    ("2-8-8-8-2 seed 1", lambda: _deep([2, 8, 8, 8, 2], 1), Fraction(10)),
    ("2-6-6-6-6-1 seed 2", lambda: _deep([2, 6, 6, 6, 6, 1], 2), Fraction(3, 2)),
    ("2-12-12-1 rectangle", lambda: _deep([2, 12, 12, 1], 3), rectangle_window(-3, 5, Fraction(-1, 3), 2)),
    ("2-8-8-1 polygon", lambda: _deep([2, 8, 8, 1], 4), convex_window([(0, -4), (5, 0), (1, 3), (-3, 1)])),
    ("leaky_relu", lambda: _deep([2, 6, 6, 1], 5, "leaky_relu"), Fraction(4)),
    ("hardtanh", lambda: _deep([2, 6, 6, 1], 6, "hardtanh"), Fraction(2)),
    ("abs", lambda: _deep([2, 5, 5, 1], 7, "abs"), Fraction(3)),
    # a tiny triangle of area 2**-80 that the certified floats find (test_batched's near tie)
    ("near tie 2**-40", lambda: ExactNet.from_layers(
        [([[1, 0], [0, 1]], [0, 0]), ([[1, -1], [1, 1]], [2.0**-40, -3 * 2.0**-40]), ([[1, 1]], [0])]),
     Fraction(1)),
]


@pytest.mark.parametrize("name,make,w", CASES, ids=[c[0] for c in CASES])
def test_certified_regions_equal_the_exact_engine(name, make, w):
    net = make()
    new, old = certified_window_regions(net, w), _exact(net, w)
    assert new.certified is not None and old.certified is None
    _assert_same(new, old, w)
    _assert_same_locate(new, old, w)


def test_regions_uses_the_certified_cells_and_their_float_filters():
    net = _deep([2, 8, 8, 8, 1], 3)
    r = regions(net, window=10)
    assert isinstance(r.certified, CertifiedCells)
    t = r.certified.table
    exact_x = [Fraction(X, D) for c in r for X, _, D in c.verts]
    # the float vertices are within their certified bounds of the exact ones (same order)
    assert all(abs(Fraction(x) - X) <= Fraction(e) for x, X, e in zip(t.x.tolist(), exact_x, t.err.tolist()))
    areas, err = r.certified.float_areas()
    exact_areas = [c.exact_area for c in r]
    assert all(abs(Fraction(a) - A) <= Fraction(e) for a, A, e in zip(areas.tolist(), exact_areas, err.tolist()))


def test_random_stress_nets_agree_or_hand_over(caplog):
    checked = 0
    for layers, act, half in scaled_random_nets(11, 12, max_hidden=3):
        net = ExactNet.from_layers(layers, activation=act)
        try:
            new = certified_window_regions(net, half)
        except Undecided:
            continue
        _assert_same(new, _exact(net, half), half)
        checked += 1
    assert checked >= 4


def test_nothing_exact_is_made_until_asked(monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    net = _deep([2, 16, 16, 16, 1], 1)
    made = []
    real = BlockMaps.block

    def counting(self, cells):
        made.append(len(cells))
        return real(self, cells)

    monkeypatch.setattr(BlockMaps, "block", counting)
    r = regions(net, window=10)
    src = r.certified
    assert len(r) > 100 and r.n_linear > 1
    r.plot(color="output")
    r.plot(color="pattern")
    assert [c.linear_region for c in r][:3] == src.linear[:3]
    assert made == [] and src.n_exact == 0 and src._blocks is None
    assert all(c._verts is None and c._affine is None for c in r.cells)
    r.locate((0.5, 0.25))  # exact polygons of the few cells whose boxes hold the point
    assert 1 <= src.n_exact <= 8 and made == [src.n_exact]  # made as one block
    r.summary()  # exact areas of the few candidates for the smallest and the largest
    assert src.n_exact < len(r) // 4
    assert r.cells[len(r) - 1].verts  # one block of cells
    assert src.n_exact < len(r) // 2
    assert all(c.verts for c in r) and src.n_exact == len(r)


def test_consumers_read_the_same_exact_objects():
    net = _deep([2, 6, 6, 2], 8)
    new, old = certified_window_regions(net, Fraction(5)), _exact(net, Fraction(5))
    for out in (0, 1):
        a, b = new.level_set(Fraction(1, 10), output=out), old.level_set(Fraction(1, 10), output=out)
        assert set(a.segments) == set(b.segments) and a.length == b.length
    assert set(new.decision_boundary().segments) == set(old.decision_boundary().segments)

    def features(r):
        return sorted((tuple(f["properties"]["pattern"]), str(f["geometry"]), f["properties"]["area"],
                       str(f["properties"]["gradient"]), str(f["properties"]["offset"]))
                      for f in r.to_geojson()["features"])

    def ring_sets(r):
        return {tuple(f["properties"]["pattern"]): frozenset(map(tuple, f["geometry"]["coordinates"][0]))
                for f in r.to_geojson()["features"]}

    assert [f[0::2] + f[3:] for f in features(new)] == [f[0::2] + f[3:] for f in features(old)]
    assert ring_sets(new) == ring_sets(old)


def test_guards_refuse_before_building():
    net = _deep([2, 16, 16, 1], 0)
    with pytest.raises(TooManyRegionsError, match="max_regions=10"):
        regions(net, window=10, max_regions=10)
    with pytest.raises(ResourceLimitError, match="max_memory"):
        regions(net, window=10, max_memory=200_000)


def test_undecided_floats_hand_over_to_the_exact_engine(caplog):
    # the deep line x = y passes exactly through the vertex (0, 0) of the first layer's lines
    layers = [([[1, 0], [0, 1]], [0, 0]), ([[1, -1], [1, 1]], [0, 0]), ([[1, 1]], [0])]
    with caplog.at_level("INFO", logger="exact.counting"):
        r = regions(layers, window=1)
    assert r.certified is None and (r.n_activation, r.n_linear) == (5, 4)
    assert "regions: certified floats could not decide" in caplog.text


def test_a_window_edge_matching_no_side_is_undecided():
    net = _deep([2, 5, 5, 1], 0)
    table = certified_window_regions(net, Fraction(10)).certified.table
    table.lines[np.flatnonzero(table.label == -1)[0], 2] += 1.0  # a window edge's line no side has
    with pytest.raises(Undecided, match="window edge"):
        CertifiedCells(table, Fraction(10))


@pytest.mark.parametrize("widths, seed, act", [([2, 5, 5, 1], 0, "relu"), ([2, 6, 6, 6, 2], 1, "relu"),
                                               ([2, 5, 5, 1], 2, "leaky_relu")])
def test_whole_plane_equals_the_exact_engine_in_the_same_box(widths, seed, act):
    net = _deep(widths, seed, act)
    new = certified_plane_regions(net)
    box, raw = whole_plane_cells(net, max_regions=None, progress=False, start=new.box)
    assert box == new.box  # the exact certificate holds in the float certificate's box
    old = Regions.from_raw(net, None, box, raw)
    _assert_same(new, old, box)
    assert {c.pattern: c.bounded for c in new} == {c.pattern: c.bounded for c in old}
    assert any(c.bounded for c in new) and not all(c.bounded for c in new)
    r = regions(net, window=None)
    assert r.certified is not None and (r.n_activation, r.n_linear, r.box) == (new.n_activation, new.n_linear, box)

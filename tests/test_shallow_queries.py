"""Whole-result queries of one-hidden-layer regions at array speed, against the exact per-cell objects.

The array paths (exact.line_crossings, exact.box_grid, LineFaces.locate / extreme_areas /
float_areas / boundary_list) are checked against plain exact references that share no
code with them: Python-int intersections, a linear scan of float boxes, the scan of every
cell's exact polygon in index order (the rule Regions.locate has always used), and the
exact area of every cell."""

import random
from fractions import Fraction

import numpy as np
import pytest
from catalogue import LINE_CASES, seeded_torch, shallow_layers

from exact import regions
from exact.box_grid import BoxGrid
from exact.face_tables import crossing_floats
from exact.json_numbers import json_number
from exact.line_arrangement import line_faces
from exact.line_crossings import crossing_arrays, crossing_points, line_table, rounded_crossings
from exact.polygon_areas import polygon_area
from exact.predicates import intersect_lines, point_from_xy, point_in_polygon
from exact.windows import convex_window


def random_lines(rng, n, bits):
    out = []
    while len(out) < n:
        line = tuple(rng.randint(-(2**rng.randint(0, bits)), 2**rng.randint(0, bits)) for _ in range(3))
        if line[0] or line[1]:
            out.append(line)
    return out


@pytest.mark.parametrize("bits", [8, 30, 31, 32, 40, 80])
def test_crossings_match_python_intersections(bits):
    rng = random.Random(bits)
    lines = random_lines(rng, 40, bits)
    lines += [(2**31 - 1, -(2**31 - 1), 2**31 - 1), (2**31 - 1, 2**31 - 1, -(2**31 - 1)),  # 31 + 31 bits: int64
              (2**31, 1, -(2**31)), (-1, 2**32, 2**31)]  # 32 + 32 bits: Python ints
    pairs = [(i, j) for i in range(len(lines)) for j in range(i) if intersect_lines(lines[i], lines[j])]
    pairs = np.array(pairs, dtype=np.int64)
    expected = [intersect_lines(lines[i], lines[j]) for i, j in pairs.tolist()]
    assert crossing_points(lines, pairs) == expected
    X, Y, D, fits = crossing_arrays(line_table(lines), pairs)
    assert [p for p, ok in zip(expected, fits.tolist()) if ok] == list(zip(X[fits].tolist(), Y[fits].tolist(),
                                                                            D[fits].tolist()))
    small = (pairs < 42).all(axis=1)  # the random lines and the two of 31 bits
    if bits <= 30:
        assert fits[small].all()  # all through int64
    assert not fits[(pairs == [43, 42]).all(axis=1)].any()  # 33 + 32 bits: Python ints
    rx, ry = rounded_crossings(lines, pairs)
    assert (rx.tolist(), ry.tolist()) == ([X / D for X, _, D in expected], [Y / D for _, Y, D in expected])
    x, y, err = crossing_floats(lines, pairs)
    for (X, Y, D), fx, fy, e in zip(expected, x.tolist(), y.tolist(), err.tolist()):
        assert abs(Fraction(fx) - Fraction(X, D)) <= Fraction(e)
        assert abs(Fraction(fy) - Fraction(Y, D)) <= Fraction(e)


def test_crossings_refuse_parallel_pairs():
    with pytest.raises(ValueError, match="parallel"):
        crossing_points([(1, 0, 0), (2, 0, 1)], np.array([[0, 1]]))


def test_box_grid_matches_a_linear_scan():
    rng = np.random.default_rng(7)
    n = 3000
    x, y = rng.uniform(-5, 5, n), rng.uniform(-5, 5, n)
    w = rng.choice([0.0, 1e-9, 0.01, 0.3, 4.0, 12.0], n) * rng.random(n)  # points, slivers, long boxes
    h = rng.choice([0.0, 1e-9, 0.01, 0.3, 4.0, 12.0], n) * rng.random(n)
    xlo, xhi, ylo, yhi = x - w, x + w, y - h, y + h
    xhi[:5], ylo[5:10] = np.inf, -np.inf  # beyond the float range
    grid = BoxGrid(xlo, xhi, ylo, yhi)
    queries = [(a, a, b, b) for a, b in rng.uniform(-6, 6, (300, 2))]
    queries += [(xlo[k], xlo[k], ylo[k], ylo[k]) for k in range(10, 60)]  # on box corners
    queries += [(-np.inf, -7.0, 0.0, 0.1), (-1.0, 1.0, -1.0, 1.0), (20.0, 21.0, 20.0, 21.0)]
    for qx0, qx1, qy0, qy1 in queries:
        expected = np.flatnonzero((xlo <= qx1) & (xhi >= qx0) & (ylo <= qy1) & (yhi >= qy0))
        assert grid.query(qx0, qx1, qy0, qy1).tolist() == expected.tolist()
    assert BoxGrid(*(np.zeros(0) for _ in range(4))).query(0.0, 1.0, 0.0, 1.0).tolist() == []


def scan_locate(r, xy):
    """The rule of Regions.locate, over every cell's exact polygon in index order."""
    p = point_from_xy(*xy)
    best = None
    for c in r.cells:
        where = point_in_polygon(c.verts, c.edges, p)
        if where > 0:
            return c.index
        if where == 0 and best is None:
            best = c.index
    return best


def probe_points(r, half, rng):
    """Every cell's vertices, edge midpoints and centroid; window corners, border and outside points."""
    pts = set()
    for c in r.cells:
        vs = c.vertices
        pts.update(vs)
        pts.update(((a[0] + b[0]) / 2, (a[1] + b[1]) / 2) for a, b in zip(vs, vs[1:] + vs[:1]))
        pts.add(c.interior_point())
    h = Fraction(half)
    for s in (-1, 0, 1):
        for t in (-1, 0, 1):
            pts.add((s * h, t * h))
    pts.update({(h, h / 3), (-h, -h / 7), (h * 2, 0), (0, -h - Fraction(1, 10**30)), (h * 10**6, h)})
    pts.update((Fraction(float(a)), Fraction(float(b))) for a, b in rng.uniform(-1.2, 1.2, (30, 2)) * float(h))
    return sorted(pts)


def layer_cases():
    for name in sorted(LINE_CASES):
        for half in LINE_CASES[name]["window"]:
            yield name, shallow_layers(LINE_CASES[name]["neurons"]), half


def check_locate(r, half, rng):
    pts = probe_points(r, half, rng)
    expected = [scan_locate(r, xy) for xy in pts]
    found = [None if c is None else c.index for c in r.locate([(x, y) for x, y in pts])]
    assert found == expected
    assert any(e is None for e in expected) and sum(e is not None for e in expected) > len(r.cells)


@pytest.mark.parametrize("name, layers, half", list(layer_cases()), ids=lambda v: str(v)[:30])
def test_locate_matches_the_exact_scan_on_the_catalogue(name, layers, half):
    r = regions(layers, window=half)
    check_locate(r, half, np.random.default_rng(len(name)))


@pytest.mark.parametrize("seed", [0, 1])
def test_locate_matches_the_exact_scan_on_seeded_nets(seed):
    r = regions(seeded_torch([2, 12, 1], seed), window=2)
    check_locate(r, 2, np.random.default_rng(seed))


def test_locate_in_a_polygon_window_and_the_plane():
    layers = shallow_layers([(1, 0, 0), (0, 1, 0), (1, 1, -1), (1, -2, 0)])
    tri = convex_window([(-2, -2), (3, -1), (0, 2)])
    r = regions(layers, window=tri)
    check_locate(r, 3, np.random.default_rng(3))
    plane = regions(layers, window=None)
    pts = [xy for xy in probe_points(plane, plane.box, np.random.default_rng(4))
           if max(abs(xy[0]), abs(xy[1])) <= plane.box]
    assert [c.index for c in plane.locate(pts)] == [scan_locate(plane, xy) for xy in pts]


def brute_extremes(r):
    areas = [polygon_area(c.verts) for c in r.cells if c.bounded]
    return (min(areas), max(areas)) if areas else None


@pytest.mark.parametrize("name, layers, half", list(layer_cases()), ids=lambda v: str(v)[:30])
def test_summary_areas_equal_the_exact_extremes(name, layers, half):
    r = regions(layers, window=half)
    assert r.face_maps.faces.extreme_areas() == brute_extremes(r)
    s = r.summary()
    assert (s["smallest_area"], s["largest_area"]) == tuple(json_number(a) for a in brute_extremes(r))


def test_summary_areas_on_seeded_nets_polygon_windows_and_the_plane():
    cases = [regions(seeded_torch([2, 30, 1], 0), window=3),
             regions(shallow_layers([(1, 0, 0), (1, 1, -1)]), window=convex_window([(-2, -2), (3, -1),
                                                                                                (0, 2)])),
             regions(seeded_torch([2, 6, 1], 1), window=None)]
    for r in cases:
        bounded = [c.index for c in r.cells if c.bounded]
        assert r.face_maps.faces.extreme_areas(bounded) == brute_extremes(r)
    assert regions(shallow_layers([(1, 0, 0)]), window=None).summary()["smallest_area"] is None  # no bounded cell


@pytest.mark.parametrize("layers", [seeded_torch([2, 25, 1], 2), shallow_layers(LINE_CASES["near_concurrent_1e-12"]
                                                                                ["neurons"])])
def test_float_areas_hold_the_exact_areas(layers):
    r = regions(layers, window=1)
    area, err = r.face_maps.faces.float_areas()
    for c in r.cells:
        assert abs(Fraction(float(area[c.index])) - polygon_area(c.verts)) <= Fraction(float(err[c.index]))


def test_vertices_and_boundaries_match_python_intersections():
    rng = np.random.default_rng(5)
    W = rng.standard_normal((12, 2)) * 2.0 ** rng.integers(-40, 40, (12, 1))  # integer lines past int64
    b = rng.standard_normal(12) * 2.0 ** rng.integers(-40, 40, 12)
    r = regions([(W, b), (rng.standard_normal((1, 12)), [0.0])], window=1)
    lf = r.face_maps.faces
    coords = [intersect_lines(lf.lines[i], lf.lines[j]) for i, j in lf.vert_lines.tolist()]
    table = line_table(lf.lines)
    assert not crossing_arrays(table, lf.vert_lines)[3].all()  # some vertices take the Python path
    assert lf.all_vertices() == coords
    fb, fa, p, q, _ = (a.tolist() for a in lf.shared_edges())  # the cell above its line first
    x, y = lf.rounded_vertices()
    assert (x.tolist(), y.tolist()) == ([X / D for X, _, D in coords], [Y / D for _, Y, D in coords])
    assert r.boundaries == [(i, j, coords[u], coords[v]) for i, j, u, v in zip(fa, fb, p, q)]
    assert [c.verts for c in r.cells] == [tuple(coords[v] for v in lf.origin[lf.half[lf.start[f]:lf.start[f + 1]]])
                                          for f in range(len(r))]


def test_line_faces_of_lines_past_int64_locate_exactly():
    lines = [(2**40 + 1, 3, -(2**39)), (1, -(2**41), 7), (5, 2**40, -(2**38))]
    lf = line_faces(lines, Fraction(1))
    for f in range(lf.n_faces):
        verts, _ = lf.polygon(f)
        inside = (sum(Fraction(v[0], v[2]) for v in verts) / len(verts), sum(Fraction(v[1], v[2]) for v in verts)
                  / len(verts))
        assert lf.locate(point_from_xy(*inside)) == f


def test_rounded_crossings_beyond_the_float_range_are_infinite():
    lines = [(1, 0, -(10**400)), (0, 1, 1), (1, 0, 10**400)]
    x, y = rounded_crossings(lines, np.array([[0, 1], [2, 1]]))
    assert x.tolist() == [np.inf, -np.inf] and y.tolist() == [-1.0, -1.0]

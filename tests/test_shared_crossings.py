"""The exact vertices and their correctly rounded floats from one crossing of the line pairs
(exact.line_crossings with ``arrays``/``points``, exact.face_tables.LineFaces.rounded_vertices),
checked against Python's own intersections (exact.predicates.intersect_lines) and Python's
correctly rounded ``int / int``; and the face graph's new module (exact.face_graph)."""

import gc
from fractions import Fraction

import numpy as np
import pytest

from exact import regions
from exact.face_graph import breadth_first_levels
from exact.face_graph import breadth_first_levels as levels_moved
from exact.face_maps import FaceMaps
from exact.json_numbers import ratio_texts
from exact.line_crossings import crossing_arrays, crossing_points, line_table, rounded_crossings
from exact.network import affine_on_pattern
from exact.predicates import intersect_lines


def _lines(seed, spread):
    """Integer lines whose coefficients span ``2^±spread`` (past int64 and past 2^53 for large spreads)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(14):
        a, b, c = (int(v) for v in rng.integers(-2**20, 2**20, 3))
        k = int(rng.integers(0, spread + 1))
        out.append((a << k, b, c << int(rng.integers(0, spread + 1))) if a or b else (1, b, c))
    return out


def _pairs(lines):
    return np.array([(i, j) for i in range(len(lines)) for j in range(i + 1, len(lines))
                     if lines[i][0] * lines[j][1] != lines[j][0] * lines[i][1]])


@pytest.mark.parametrize("spread", [0, 20, 45, 200])
def test_shared_arrays_give_python_points_and_rounded_floats(spread):
    lines = _lines(spread, spread)
    pairs = _pairs(lines)
    table = line_table(lines)
    arrays = crossing_arrays(table, pairs)
    expect = [intersect_lines(lines[i], lines[j]) for i, j in pairs.tolist()]
    pts = crossing_points(lines, pairs, table, arrays)
    assert pts == expect == crossing_points(lines, pairs)
    x, y = rounded_crossings(lines, pairs, table, arrays, pts)
    assert x.tolist() == [X / D for X, _, D in expect]  # Python's int / int: correctly rounded
    assert y.tolist() == [float(Fraction(Y, D)) for _, Y, D in expect]
    x2, y2 = rounded_crossings(lines, pairs)  # without the shared arrays: the same floats
    assert x2.tolist() == x.tolist() and y2.tolist() == y.tolist()
    if spread >= 45:
        assert not arrays[3].all()  # some crossings past int64 are read from the points


def test_rounded_vertices_make_the_exact_vertices_once_and_keep_made_ones():
    scale = 2.0 ** np.random.default_rng(3).integers(-40, 40, (10, 3))  # some vertices past int64
    layer = np.random.default_rng(4).uniform(-1, 1, (10, 3)) * scale
    lf = regions([(layer[:, :2], layer[:, 2]), (np.ones((1, 10)), [0.0])], window=1).face_maps.faces
    made = lf.polygon(0)[0]  # some vertices made before: their tuples stay the ones handed out
    coords = [intersect_lines(lf.lines[i], lf.lines[j]) for i, j in lf.vert_lines.tolist()]
    assert not lf._made.all()
    x, y = lf.rounded_vertices()
    assert lf._made.all() and lf._coords == coords
    assert (x.tolist(), y.tolist()) == ([X / D for X, _, D in coords], [Y / D for _, Y, D in coords])
    first = lf.origin[lf.half[lf.start[0]:lf.start[1]]].tolist()
    assert all(lf._coords[v] is p for v, p in zip(first, made))


def test_face_maps_leave_the_collector_as_they_found_it():
    r = regions([([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [0.0, 0.0, -0.5]), ([[1.0, -2.0, 3.0]], [0.25])],
                window=1)
    graph = r.face_maps._graph
    for state in (True, False):
        (gc.enable if state else gc.disable)()
        try:
            fm = FaceMaps(r.net, graph)
            assert gc.isenabled() is state
        finally:
            gc.enable()
    assert [fm.affine(f) for f in range(len(fm))] == [affine_on_pattern(r.net, fm.pattern(f)) for f in range(len(fm))]
    assert breadth_first_levels is levels_moved  # moved to exact.face_graph, still importable from face_maps


@pytest.mark.parametrize("k", [0, 1, 5, 61, 62, 63, 64, 100])
def test_ratio_texts_over_a_power_of_two_are_the_fractions_text(k):
    rng = np.random.default_rng(k)
    nums = [0, 1, -1, 2**62, -2**62, 2**63 - 1, -(2**63 - 1), 2**63, -2**63, 2**64 + 2**40, 3 << 70]
    nums += [int(v) << int(t) for v, t in zip(rng.integers(-2**40, 2**40, 300), rng.integers(0, 30, 300))]
    nums += [int(v) for v in rng.integers(-2**62, 2**62, 100)]
    for d in (2**k, -(2**k)):
        assert ratio_texts(nums, d) == [str(Fraction(a, d)) for a in nums]
        small = [a for a in nums if abs(a) < 2**63]  # every value in int64: no Python path
        assert ratio_texts(small, d) == [str(Fraction(a, d)) for a in small]

"""The exact polytopes of exact.nd against brute force: vertices, tight sets, edges, volumes, filters.

Every fact is checked by an independent method written here: vertices by solving every
d-subset of rows with Fractions (Cramer-free Gaussian elimination), tight sets by
re-evaluating every row at every vertex, edges by the rank of the rows tight at both ends,
volumes by their sum over the parts of a cut, the float filters against exact signs.

Checked to fail on purpose (by hand, then put back): with ``_is_edge`` answering True for
every pair whose tight sets share d - 1 rows, the pyramid and octahedron cuts and the
random cuts gain false vertices; with ``split`` leaving the new row out of the tight sets
of the vertices on the hyperplane, the cube, degenerate and random cuts fail
(check_polytope recomputes every tight set); with the filter's error bound set to 0,
test_sure_signs_never_contradict_exact_signs fails; with the bounding box not widened,
test_box_signs_hold_at_every_exact_point fails; with the numpy pair search asking for
``d`` shared rows instead of ``d - 1``, test_vectorised_paths_agree_with_the_plain_ones fails.
With split's edge test skipped for every candidate pair (not only where an endpoint is
simple, tight at exactly ``d`` rows), the doubled-face cube's cut gains the false vertex
(-1, 0, 0).
With ``point_floats`` dividing the rounded floats (``float(X) / float(D)``, two roundings)
instead of the integers, test_point_floats_are_correctly_rounded fails.
"""

from __future__ import annotations

import itertools
from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exact.nd.float_filter import bounding_box, point_floats, row_floats, sure_box_signs, sure_signs
from exact.nd.polytope import (
    Polytope,
    box,
    contains,
    determinant,
    facet_rows,
    interior_point,
    point_from_fractions,
    point_to_fractions,
    split,
    vertex_masks,
)
from exact.nd.volume import polytope_volume as volume
from exact.nd.volume import simplices

# --- independent exact linear algebra (Fractions, written for the tests) -----------------

def rank(rows):
    m = [[F(x) for x in r] for r in rows]
    rk, col = 0, 0
    ncols = len(m[0]) if m else 0
    while rk < len(m) and col < ncols:
        piv = next((i for i in range(rk, len(m)) if m[i][col] != 0), None)
        if piv is None:
            col += 1
            continue
        m[rk], m[piv] = m[piv], m[rk]
        for i in range(len(m)):
            if i != rk and m[i][col] != 0:
                f = m[i][col] / m[rk][col]
                m[i] = [a - f * b for a, b in zip(m[i], m[rk])]
        rk, col = rk + 1, col + 1
    return rk


def solve(A, b):
    """The unique solution of A x = b (Fractions), or None."""
    n = len(A)
    m = [[F(x) for x in row] + [F(v)] for row, v in zip(A, b)]
    for c in range(n):
        piv = next((i for i in range(c, n) if m[i][c] != 0), None)
        if piv is None:
            return None
        m[c], m[piv] = m[piv], m[c]
        for i in range(n):
            if i != c and m[i][c] != 0:
                f = m[i][c] / m[c][c]
                m[i] = [a - f * b for a, b in zip(m[i], m[c])]
    return tuple(m[i][n] / m[i][i] for i in range(n))


def value(row, x):
    return sum(F(a) * v for a, v in zip(row[:-1], x)) + row[-1]


def brute_vertices(rows, d):
    """Every point where d linearly independent rows are tight and no row is negative."""
    out = set()
    for sub in itertools.combinations(rows, d):
        x = solve([r[:-1] for r in sub], [-r[-1] for r in sub])
        if x is not None and all(value(r, x) >= 0 for r in rows):
            out.add(x)
    return out


def vertex_set(poly):
    return {point_to_fractions(p) for p in poly.verts}


def check_polytope(poly, d):
    """Vertices, tight sets and edges of ``poly`` against brute force."""
    assert vertex_set(poly) == brute_vertices(poly.rows, d)
    assert len(set(poly.verts)) == len(poly.verts)
    for p, t in zip(poly.verts, poly.tight):
        x = point_to_fractions(p)
        assert t == sum(1 << r for r, row in enumerate(poly.rows) if value(row, x) == 0)
        assert rank([poly.rows[r][:-1] for r in range(len(poly.rows)) if t >> r & 1]) == d


def pyramid():
    """The square pyramid over [-1, 1]^2 x {0} with apex (0, 0, 1): four facets meet at the apex."""
    rows = ((0, 0, 1, 0), (-1, 0, -1, 1), (1, 0, -1, 1), (0, -1, -1, 1), (0, 1, -1, 1))
    verts = [(-1, -1, 0, 1), (1, -1, 0, 1), (1, 1, 0, 1), (-1, 1, 0, 1), (0, 0, 1, 1)]
    tight = [sum(1 << r for r, row in enumerate(rows) if sum(a * b for a, b in zip(row, v)) == 0) for v in verts]
    return Polytope(verts, tight, rows)


def octahedron():
    """|x| + |y| + |z| <= 1: four facets at each vertex."""
    rows = tuple((-a, -b, -c, 1) for a in (1, -1) for b in (1, -1) for c in (1, -1))
    verts = [tuple(s if k == i else 0 for k in range(3)) + (1,) for i in range(3) for s in (1, -1)]
    tight = [sum(1 << r for r, row in enumerate(rows) if sum(a * b for a, b in zip(row, v)) == 0) for v in verts]
    return Polytope(verts, tight, rows)


def cube_with_a_doubled_face():
    """[-1, 1]^3 with the face x = -1 given twice ((1, 0, 0, 1) and (2, 0, 0, 2)): its 4 corners are
    tight at 4 rows, and two opposite ones share 2 rows (d - 1) without being an edge."""
    rows = box([F(-1)] * 3, [F(1)] * 3).rows + ((2, 0, 0, 2),)
    verts = [(a, b, c, 1) for a in (-1, 1) for b in (-1, 1) for c in (-1, 1)]
    tight = [sum(1 << r for r, row in enumerate(rows) if sum(a * b for a, b in zip(row, v)) == 0) for v in verts]
    return Polytope(verts, tight, rows)


# --- hand-derived facts ---------------------------------------------------------------------

def test_box_is_the_cube_with_its_corners():
    cube = box([F(-1), F(0), F(1, 3)], [F(1), F(2), F(1, 2)])
    check_polytope(cube, 3)
    assert len(cube.verts) == 8 and volume(cube) == 2 * 2 * F(1, 6)


@pytest.mark.parametrize("row, sizes", [
    ((1, 1, 1, 0), (10, 10)),      # hexagon through the centre: 4 corners + 6 each
    ((1, 1, 1, -3), None),          # touches the corner (1, 1, 1) only: not cut
    ((1, 0, 0, -1), None),          # the face x = 1: not cut
    ((1, 1, 0, 0), (6, 6)),         # through two opposite edges: a triangular prism each
    ((1, 1, 1, -1), (4, 7)),        # through three corners: a corner tetrahedron and the rest
])
def test_cube_cuts(row, sizes):
    cube = box([F(-1)] * 3, [F(1)] * 3)
    where, above, below = split(cube, row)
    if sizes is None:
        assert where in (1, -1)
        return
    assert where == 2 and (len(above.verts), len(below.verts)) == sizes
    for part in (above, below):
        check_polytope(part, 3)
    assert volume(above) + volume(below) == 8


@pytest.mark.parametrize("make, row", [
    (pyramid, (1, 0, 0, 0)), (pyramid, (1, 1, 0, 0)), (pyramid, (0, 0, -2, 1)), (pyramid, (1, 1, 1, -1)),
    (pyramid, (2, 1, 1, -1)),
    (octahedron, (1, 0, 0, 0)), (octahedron, (1, 1, 0, 0)), (octahedron, (1, 1, 1, 0)), (octahedron, (0, 0, 1, 0)),
    (cube_with_a_doubled_face, (0, 1, 1, 0)),     # crosses the doubled face's diagonal: no vertex there
])
def test_cuts_of_degenerate_polytopes_match_brute_force(make, row):
    poly = make()
    check_polytope(poly, 3)
    where, above, below = split(poly, row)
    assert where == 2
    for part in (above, below):
        check_polytope(part, 3)
    assert volume(above) + volume(below) == volume(poly)


def test_known_volumes():
    assert volume(pyramid()) == F(4, 3)          # base 4, height 1, / 3
    assert volume(octahedron()) == F(4, 3)       # 8 simplices of 1/6
    assert len(simplices(octahedron())) == 4     # pulled from one vertex: the 4 far facets


def test_facets_of_a_box_with_a_redundant_row():
    sq = box([F(0)] * 2, [F(1)] * 2)
    tight = [t | ((1 << 4) if p == (0, 0, 1) else 0) for p, t in zip(sq.verts, sq.tight)]
    p = Polytope(sq.verts, tight, sq.rows + ((1, 1, 0),))   # x + y >= 0 touches the corner (0, 0)
    assert facet_rows(p) == [True] * 4 + [False]
    p2 = Polytope(sq.verts, [t | (1 << 4) if p[0] == 0 else t for p, t in zip(sq.verts, sq.tight)],
                  sq.rows + ((2, 0, 0),))                    # 2x >= 0: the same facet as x >= 0
    assert facet_rows(p2) == [True] * 4 + [False]


def test_small_helpers():
    assert point_from_fractions([F(1, 2), F(-1, 3)]) == (3, -2, 6)
    assert interior_point([(0, 0, 1), (3, 0, 1), (0, 3, 1)]) == (F(1), F(1))
    assert contains(box([F(0)], [F(1)]).rows, (1, 2)) == 1
    assert vertex_masks([0b101], 3) == [1, 0, 1]


@given(st.lists(st.lists(st.integers(-9, 9), min_size=4, max_size=4), min_size=4, max_size=4))
@settings(max_examples=60, deadline=None)
def test_determinant_is_the_fraction_elimination_product(m):
    x = solve(m, [1, 0, 0, 0])
    if rank(m) < 4:
        assert determinant(m) == 0
    else:   # Cramer: x_0 = det(m with column 0 replaced by e_0) / det(m) = cofactor / det
        minor = [row[1:] for row in m[1:]]
        assert x[0] == F(determinant(minor), determinant(m))


# --- random cuts, hypothesis ------------------------------------------------------------------

coef = st.integers(-4, 4)


def cut_all(poly, rows):
    """Cut ``poly`` by every row in turn (rows with no hyperplane are skipped); all the pieces."""
    parts = [poly]
    for row in rows:
        if any(row[:-1]):
            parts = [q for p in parts for q in (split(p, row)[1:] if split(p, row)[0] == 2 else (p,))]
    return parts


@given(st.lists(st.tuples(coef, coef, coef, st.integers(-6, 6)), min_size=1, max_size=4))
@settings(max_examples=40, deadline=None)
def test_random_cuts_of_the_cube(rows):
    """Cut the cube by up to 4 planes (often through vertices and edges): brute force agrees everywhere."""
    parts = cut_all(box([F(-2)] * 3, [F(2)] * 3), rows)
    for p in parts:
        check_polytope(p, 3)
        assert contains(p.rows, point_from_fractions(interior_point(p.verts))) == 1
    assert sum(volume(p) for p in parts) == 64


@given(st.lists(st.tuples(coef, coef, coef, coef, st.integers(-3, 3)), min_size=1, max_size=3))
@settings(max_examples=20, deadline=None)
def test_random_cuts_of_the_4d_cube(rows):
    parts = cut_all(box([F(-1)] * 4, [F(1)] * 4), rows)
    for p in parts:
        check_polytope(p, 4)
    assert sum(volume(p) for p in parts) == 16


def test_edges_are_the_pairs_whose_common_rows_have_rank_d_minus_1():
    """After cuts, the edges split found are exactly the rank-tested ones (all vertex pairs)."""
    _, part, _ = split(octahedron(), (1, 1, 0, 0))
    _, part, _ = split(part, (0, 1, 1, 0))
    vm = vertex_masks(part.tight, len(part.rows))
    n = len(part.verts)
    for u, v in itertools.combinations(range(n), 2):
        m = part.tight[u] & part.tight[v]
        common = (1 << n) - 1
        for r in range(len(part.rows)):
            if m >> r & 1:
                common &= vm[r]
        combinatorial = common == (1 << u) | (1 << v)
        by_rank = rank([part.rows[r][:-1] for r in range(len(part.rows)) if m >> r & 1]) == 2
        assert combinatorial == by_rank


# --- the float filters ----------------------------------------------------------------------

@given(st.lists(st.tuples(st.integers(-10**6, 10**6), st.integers(-10**6, 10**6), st.integers(1, 10**6)),
                min_size=1, max_size=6),
       st.tuples(st.integers(-10**9, 10**9), st.integers(-10**9, 10**9), st.integers(-10**9, 10**9)),
       st.integers(1, 10**6))
@settings(max_examples=150, deadline=None)
def test_sure_signs_never_contradict_exact_signs(pts, row, scale):
    pts = [(x, y, d) for x, y, d in pts]
    # a second row through the first point: an exact tie the filter must leave open
    x0, y0, d0 = pts[0]
    tie = (row[0] * d0, row[1] * d0, -(row[0] * x0 + row[1] * y0))
    for r in (row, tie):
        P, R = point_floats(pts), row_floats([r], scale)
        got = sure_signs(R, P)[0]
        for p, s in zip(pts, got.tolist()):
            exact = F(r[0] * p[0] + r[1] * p[1] + r[2] * p[2], p[2] * scale)
            assert s == 0 or (s > 0) == (exact > 0) and exact != 0


def test_sure_signs_leave_exact_ties_open():
    P = point_floats([(1, 3, 3), (1, 10, 10)])      # (1/3, 1) and (1/10, 1): not floats
    R = row_floats([(3, 0, -1), (10, 0, -1)], 1)    # 3x - 1 and 10x - 1 vanish there
    s = sure_signs(R, P)
    assert s[0, 0] == 0 and s[1, 1] == 0 and s[0, 1] == -1 and s[1, 0] == 1


@given(st.lists(st.tuples(st.fractions(-5, 5, max_denominator=50), st.fractions(-5, 5, max_denominator=50)),
                min_size=1, max_size=5),
       st.tuples(st.integers(-20, 20), st.integers(-20, 20), st.integers(-60, 60)))
@settings(max_examples=150, deadline=None)
def test_box_signs_hold_at_every_exact_point(pts, row):
    hp = [point_from_fractions(list(p)) for p in pts]
    lo, hi = bounding_box(point_floats(hp), 2)
    s = int(sure_box_signs(lo[None, :], hi[None, :], row_floats([row], 1)[0])[0])
    for p in pts:
        assert lo[0] <= p[0] <= hi[0] and lo[1] <= p[1] <= hi[1]
        v = row[0] * p[0] + row[1] * p[1] + row[2]
        assert s == 0 or (v > 0 if s > 0 else v < 0)


def test_filters_hand_over_beyond_the_float_range():
    assert point_floats([(10**400, 1)]) is None and row_floats([(1, 10**400)], 1) is None
    # past 1000-bit denominators each coordinate goes through to_float, which hands over below the normal range
    assert point_floats([(1, 2**1100)]) is None and point_floats([(0, 2**1100)]).tolist() == [[0.0, 1.0]]
    assert point_floats([(3, 2**1000)]).tolist() == [[3 * 2.0**-1000, 1.0]]
    lo, hi = bounding_box(None, 2)
    assert np.isinf(lo).all() and np.isinf(hi).all()


def test_point_floats_are_correctly_rounded():
    """Each coordinate is the float nearest the exact X / D (to_float's), for big random X and D."""
    import random

    from exact._float_range import to_float

    rnd = random.Random(5)
    pts = [(rnd.getrandbits(rnd.randrange(1, 700)) * rnd.choice((-1, 1)), rnd.getrandbits(rnd.randrange(1, 999)) | 1)
           for _ in range(300)]
    got = point_floats([(x, 2 * x + 1, dd) for x, dd in pts])
    for (x, dd), row in zip(pts, got.tolist()):
        assert row == [to_float(x, dd), to_float(2 * x + 1, dd), 1.0]
        assert abs(F(row[0]) - F(x, dd)) <= abs(F(x, dd)) * F(1, 2**53)


def test_vectorised_paths_agree_with_the_plain_ones(monkeypatch):
    """The numpy pair search and mask transpose (many vertices, <= 64 rows) give what the loops give."""
    import random

    import exact.nd.polytope as poly_mod

    def cuts():   # 128 vertices: 64 x 64 pairs at the first cut
        rows = ((1, 2, -1, 1, 3, -2, 1, 0), (2, -1, 1, 1, -1, 1, 1, -1), (1, 1, 1, 1, 1, 1, 1, -2))
        return [(p.verts, p.tight) for p in cut_all(box([F(-1)] * 7, [F(1)] * 7), rows)]

    fast = cuts()
    monkeypatch.setattr(poly_mod, "_VECTOR_PAIRS", 10**9)
    assert cuts() == fast
    rng = random.Random(1)
    for n in (64, 300):
        tight = [rng.getrandbits(60) for _ in range(n)]
        assert vertex_masks(tight, 60) == [sum(1 << i for i, t in enumerate(tight) if t >> r & 1) for r in range(60)]

"""The array face tracer (exact.line_arrangement.line_faces, exact.face_tables) against an
independent exact reference: the square cut by one line after another with
exact.predicates.split_polygon.  Same faces, same vertices in the same cyclic order, same
edge lines, same shared edges; exact areas sum to the window's area."""

import random
from fractions import Fraction

import numpy as np
import pytest
from catalogue import LINE_CASES, shallow_layers

from exact import regions
from exact.adjacency import component_label_array, component_labels
from exact.face_tables import face_cycles
from exact.line_arrangement import line_faces
from exact.line_count import first_layer_lines
from exact.loading import as_exact_net
from exact.polygon_areas import polygon_area
from exact.predicates import canonical_line, intersect_lines, split_polygon


def reference_faces(lines, half):
    """Cut the square [-half, half]^2 by every line in turn (exact, no shared code with the tracer)."""
    h, d = half.numerator, half.denominator
    verts = ((-h, -h, d), (h, -h, d), (h, h, d), (-h, h, d))
    edges = ((0, d, h), (-d, 0, h), (0, -d, h), (d, 0, h))  # y >= -h, x <= h, y <= h, x >= -h
    pieces = [(verts, edges)]
    for line in lines:
        nxt = []
        for vs, es in pieces:
            where, pos, neg = split_polygon(vs, es, line)
            nxt.extend([pos, neg] if where == 2 else [(vs, es)])
        pieces = nxt
    return pieces


def key(verts, edges):
    """A face as its (vertex, canonical edge line) cycle, rotated to start at its smallest vertex."""
    pairs = [(v, canonical_line(*e)) for v, e in zip(verts, edges)]
    k = min(range(len(pairs)), key=lambda i: pairs[i][0])
    return tuple(pairs[k:] + pairs[:k])


def traced(lines, half):
    lf = line_faces(lines, half)
    return lf, [key(*lf.polygon(f)) for f in range(lf.n_faces)]


def check_against_reference(lines, half):
    lf, faces = traced(lines, half)
    ref = [key(vs, es) for vs, es in reference_faces(lines, half)]
    assert sorted(faces) == sorted(ref)  # same faces, vertices, cyclic order and edge lines
    assert sum(polygon_area(tuple(v for v, _ in f)) for f in faces) == (2 * half) ** 2
    assert all(polygon_area(tuple(v for v, _ in f)) > 0 for f in faces)
    # shared edges: both faces have the edge's two end points as consecutive vertices
    fa, fb, p, q, line = lf.shared_edges()
    for a, b, u, w, li in zip(*(x.tolist() for x in (fa, fb, p, q, line))):
        pu, pw = lf.vertex(u), lf.vertex(w)
        for f, (s, t) in ((a, (pu, pw)), (b, (pw, pu))):  # each face runs counter-clockwise
            vs = [v for v, _ in faces[f]]
            assert any(vs[i] == s and vs[(i + 1) % len(vs)] == t for i in range(len(vs))), (f, s, t)
        la, lb, lc = lf.lines[li]  # face a on the line's negative side, face b on its positive side
        assert canonical_line(-la, -lb, -lc) in {e for _, e in faces[a]}
        assert canonical_line(la, lb, lc) in {e for _, e in faces[b]}
    # every neuron-line edge of an inner face is shared, exactly once
    inner_edges = sum(1 for f in faces for _, e in f if canonical_line(*e) not in _window(half))
    assert 2 * len(fa) == inner_edges
    return lf


def _window(half):
    h, d = half.numerator, half.denominator
    return {canonical_line(*e) for e in ((0, d, h), (-d, 0, h), (0, -d, h), (d, 0, h))}


def case_lines(neurons):
    return first_layer_lines(as_exact_net(shallow_layers(neurons)))


@pytest.mark.parametrize("name", sorted(LINE_CASES))
def test_catalogue_faces_match_the_reference(name):
    case = LINE_CASES[name]
    lines = case_lines(case["neurons"])
    for half, expected in case["window"].items():
        lf = check_against_reference(lines, Fraction(half))
        assert lf.n_faces == expected


@pytest.mark.parametrize("lines, half, n_faces", [
    ([(1, 1, -2), (1, -1, 0)], Fraction(1), 2),               # x + y = 2 touches the corner (1, 1) only
    ([(1, -1, 0), (1, 1, 0)], Fraction(1), 4),                # both diagonals: through all four corners
    ([(1, 0, -1), (1, 0, 1), (0, 1, -1), (0, 1, 0)], Fraction(1), 2),  # three lines along the sides
    ([(1, 0, 0), (2, 0, 0), (-3, 0, 0), (0, 1, 0), (0, 5, 0)], Fraction(1), 4),  # duplicates
    ([(1, 0, k) for k in range(-3, 4)], Fraction(5, 2), 6),   # parallels, two of them outside
    ([(3, 1, 0), (3, 1, -1), (1, -3, 0), (1, -3, 2), (2, 7, -1)], Fraction(7, 3), None),
    ([(1, 0, 0), (0, 1, 0), (1, 1, 0), (1, -1, 0), (1, 2, 0), (2, 1, 0), (1, 3, 0)], Fraction(1, 10**9), 14),
])
def test_degenerate_arrangements_match_the_reference(lines, half, n_faces):
    lf = check_against_reference(lines, half)
    if n_faces is not None:
        assert lf.n_faces == n_faces


def test_random_degenerate_arrangements_match_the_reference():
    rng = random.Random(15)
    for _ in range(60):  # small integer lines: many concurrencies, parallels and duplicates
        r = rng.choice([1, 2, 3])
        lines = [(rng.randint(-r, r), rng.randint(-r, r), rng.randint(-2 * r, 2 * r)) for _ in range(rng.randint(0, 9))]
        lines = [ln for ln in lines if ln[0] or ln[1]]
        check_against_reference(lines, Fraction(rng.choice([1, 2, 3]), rng.choice([1, 2])))


def test_general_position_in_a_big_window_has_the_formula_count():
    rng = random.Random(3)
    n = 40
    while True:
        lines = [(rng.randint(-999, 999), rng.randint(-999, 999), rng.randint(-999, 999)) for _ in range(n)]
        points = [intersect_lines(a, b) for i, a in enumerate(lines) for b in lines[:i]]
        if None not in points and len(set(points)) == len(points):  # no parallels, no triple points
            break
    far = max(max(abs(X), abs(Y)) / D for X, Y, D in points)
    half = Fraction(int(far) + 1)
    lf = line_faces(lines, half)
    assert lf.n_faces == n * (n + 1) // 2 + 1
    areas = [polygon_area(lf.polygon(f)[0]) for f in range(lf.n_faces)]
    assert sum(areas) == (2 * half) ** 2


def python_cycles(nxt):
    seen, out = set(), []
    for h in range(len(nxt)):
        if h not in seen:
            cyc = [h]
            seen.add(h)
            while nxt[cyc[-1]] != h:
                cyc.append(nxt[cyc[-1]])
                seen.add(cyc[-1])
            out.append(cyc)
    return out  # each from its smallest member, in order of it


@pytest.mark.parametrize("seed", range(4))
def test_face_cycles_match_a_plain_walk(seed):
    rng = np.random.default_rng(seed)
    sizes = rng.choice([3, 4, 5, 17, 40, 300], size=60)  # some cycles longer than the vectorised walk
    perm = rng.permutation(int(sizes.sum()))
    nxt = np.empty(perm.size, dtype=np.int64)
    at = 0
    for s in sizes:
        cyc = perm[at:at + s]
        nxt[cyc] = np.roll(cyc, -1)
        at += s
    cycles = python_cycles(nxt.tolist())
    outer = int(rng.integers(perm.size))
    face_of, start, half = face_cycles(nxt, outer)
    inner = [c for c in cycles if outer not in c]
    assert [half[start[f]:start[f + 1]].tolist() for f in range(len(start) - 1)] == inner
    for f, c in enumerate(inner):
        assert set(face_of[c].tolist()) == {f}
    assert (face_of[next(c for c in cycles if outer in c)] == -2).all()


@pytest.mark.parametrize("kind", ["path", "shuffled", "random", "none"])
def test_component_label_array_matches_union_find_order(kind):
    rng = np.random.default_rng(1)
    n = 500
    if kind == "path":
        a, b = np.arange(n - 1), np.arange(1, n)
    elif kind == "shuffled":
        p = rng.permutation(n)
        a, b = p[:-1:2], p[1::2]
    elif kind == "random":
        a, b = rng.integers(0, n, 300), rng.integers(0, n, 300)
    else:
        a = b = np.zeros(0, dtype=np.int64)
    labels = component_label_array(n, a, b).tolist()
    # reference: breadth first, components numbered by their smallest item
    adj = [[] for _ in range(n)]
    for i, j in zip(a.tolist(), b.tolist()):
        adj[i].append(j)
        adj[j].append(i)
    ref, k = [-1] * n, 0
    for s in range(n):
        if ref[s] < 0:
            ref[s], todo = k, [s]
            while todo:
                for j in adj[todo.pop()]:
                    if ref[j] < 0:
                        ref[j] = k
                        todo.append(j)
            k += 1
    assert labels == ref
    assert component_labels(n, zip(a.tolist(), b.tolist())) == ref


def test_regions_cells_are_made_lazily_and_match_the_arrangement():
    layers = shallow_layers([(3, 0, -1), (0, 3, -1), (3, 3, -2), (1, -1, 0), (0, 0, 1)])
    r = regions(layers, window=1)
    assert all(c._verts is None for c in r.cells)  # nothing exact is made before it is read
    ref = sorted(key(vs, es) for vs, es in reference_faces(case_lines([(3, 0, -1), (0, 3, -1), (3, 3, -2),
                                                                        (1, -1, 0)]), Fraction(1)))
    assert sorted(key(c.verts, c.edges) for c in r.cells) == ref
    assert r._boundaries is None
    assert len(r.boundaries) == len(r._same_map) > 0
    assert sum(c.exact_area for c in r.cells) == 4

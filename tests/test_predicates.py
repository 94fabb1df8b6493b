"""exact.predicates: every exact decision checked against an independent computation.

Points are homogeneous integer triples ``(X, Y, D)``, ``D > 0``; lines are integer triples
``(a, b, c)``.  The references here are written separately with ``Fraction`` (values of
``a x + b y + c``, support functions, parametrisations, fan triangulations), and the
inputs mix small integers (ties, zeros, parallels) with integers far beyond float64's 53
bits, where any float shortcut goes wrong.  The last tests put float versions of the
predicates in place and show that these laws catch them.
"""

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

import exact.predicates as P
from exact.polygon_areas import polygon_area

LAW = settings(max_examples=60, deadline=None, database=None)

small = st.integers(-4, 4)
ints = st.one_of(small, st.integers(-(2**80), 2**80))
denoms = st.one_of(st.integers(1, 4), st.integers(1, 2**80))
points = st.tuples(ints, ints, denoms)  # not necessarily reduced
lines = st.tuples(ints, ints, ints).filter(lambda ln: ln[0] != 0 or ln[1] != 0)
small_lines = st.tuples(small, small, small).filter(lambda ln: ln[0] != 0 or ln[1] != 0)
fracs = st.one_of(
    st.fractions(min_value=-4, max_value=4, max_denominator=8),
    st.fractions(min_value=-4, max_value=4, max_denominator=10**15),
)
halves = st.fractions(min_value=Fraction(1, 1000), max_value=1000, max_denominator=1000)


# --- independent references ------------------------------------------------------------------


def xy(p):
    return Fraction(p[0], p[2]), Fraction(p[1], p[2])


def value(line, p):
    """a x + b y + c at p, in Fractions."""
    x, y = xy(p)
    return line[0] * x + line[1] * y + line[2]


def sign(v):
    return (v > 0) - (v < 0)


def hom(x, y):
    """Homogeneous point of two Fractions (written here, not predicates.point_from_xy)."""
    d = x.denominator * y.denominator
    return int(x * d), int(y * d), d


def through(p, q):
    """The line through p and q, positive on the left of p -> q (cross product)."""
    return (p[1] * q[2] - p[2] * q[1], p[2] * q[0] - p[0] * q[2], p[0] * q[1] - p[1] * q[0])


def hull(pts):
    """Counter-clockwise convex hull of Fraction points, no collinear vertices (monotone chain)."""
    pts = sorted(set(pts))

    def cross(o, a, b):
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower, upper = [], []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def fan_area(verts):
    """Area of a convex polygon as a sum of triangles from its first vertex, in Fractions."""
    (x0, y0), total = xy(verts[0]), Fraction(0)
    for p, q in zip(verts[1:], verts[2:]):
        (x1, y1), (x2, y2) = xy(p), xy(q)
        total += ((x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0)) / 2
    return total


def centroid(verts):
    """Mean of the vertices: strictly inside a convex polygon of positive area."""
    cs = [xy(p) for p in verts]
    return hom(sum(c[0] for c in cs) / len(cs), sum(c[1] for c in cs) / len(cs))


@st.composite
def convex_polygons(draw):
    """(verts, edges) of a convex polygon with edges oriented interior-positive."""
    pts = draw(st.lists(st.tuples(fracs, fracs), min_size=3, max_size=8))
    h = hull(pts)
    if len(h) < 3:
        h = [(Fraction(0), Fraction(0)), (Fraction(1), Fraction(0)), (Fraction(0), Fraction(1))]
    verts = [hom(x, y) for x, y in h]
    edges = [through(verts[i], verts[(i + 1) % len(verts)]) for i in range(len(verts))]
    return verts, edges


@st.composite
def polygon_and_cut(draw):
    verts, edges = draw(convex_polygons())
    kind = draw(st.sampled_from(["two points", "two vertices", "any"]))
    if kind == "two points":  # often through the interior
        p, q = draw(st.tuples(fracs, fracs)), draw(st.tuples(fracs, fracs))
        line = through(hom(*p), hom(*q))
    elif kind == "two vertices":  # a diagonal or an edge: the cut passes through vertices
        i, j = draw(st.integers(0, len(verts) - 1)), draw(st.integers(0, len(verts) - 1))
        line = through(verts[i], verts[j])
    else:
        line = draw(small_lines)
    if line[0] == 0 and line[1] == 0:
        line = (1, 0, 0)
    return verts, edges, line


@st.composite
def line_and_point(draw):
    """A line and a point on it, just off it, or anywhere (big coordinates: floats fail here)."""
    a, b, c = draw(lines)
    kind = draw(st.sampled_from(["on", "next to", "anywhere"]))
    if kind == "anywhere":
        return (a, b, c), draw(points)
    n, t = a * a + b * b, draw(ints)
    p = (-a * c - t * b * n, -b * c + t * a * n, n)  # foot point + t n (-b, a): on the line
    k = 0 if kind == "on" else draw(st.sampled_from([-1, 1]))
    return (a, b, c), (p[0] + k, p[1], p[2])


# --- side, points, lines ---------------------------------------------------------------------


def _side_law(line, p):
    got, want = P.side(line, p), sign(value(line, p))
    assert got == want, f"side{line, p} = {got}, exact sign {want}"


@LAW
@given(line_and_point())
def test_side_is_the_sign_of_the_exact_value(lp):
    _side_law(*lp)


def test_side_by_hand():
    assert P.side((1, 0, -1), (3, 0, 2)) == 1  # x - 1 at x = 3/2
    assert P.side((3, 3, -2), (1, 1, 3)) == 0  # x + y = 2/3 at (1/3, 1/3)
    assert P.side((1, -1, 0), (2**60 + 1, 2**60, 1)) == 1  # x - y = 1, far beyond 2^53
    assert P.side((1, -1, 0), (2**60, 2**60 + 1, 1)) == -1


@LAW
@given(fracs, fracs, st.integers(1, 2**40))
def test_point_from_xy_is_exact_and_reduced(x, y, k):
    p = P.point_from_xy(x, y)
    assert p[2] > 0 and math.gcd(math.gcd(p[0], p[1]), p[2]) == 1
    assert P.point_to_fractions(p) == xy(p) == (x, y)
    assert P.point_to_fractions((k * p[0], k * p[1], k * p[2])) == (x, y)  # any positive D


def _parallel(l1, l2):
    """Whether the normals are proportional, via a ratio (not the determinant)."""
    if l1[0] != 0:
        return l2[1] == Fraction(l2[0], l1[0]) * l1[1]
    return l2[0] == 0  # l1 = (0, b, c) with b != 0: horizontal


@st.composite
def nearly_parallel(draw):
    """l1 and k l1 + (e1, e2, e3) with big coefficients: the determinant is a tiny difference
    of two huge products (0 exactly when e1 = e2 = 0)."""
    big = st.integers(2**60, 2**80)
    l1 = (draw(big), draw(big), draw(ints))
    k, e = draw(st.integers(1, 2**20)), [draw(st.integers(-1, 1)) for _ in range(3)]
    return l1, (k * l1[0] + e[0], k * l1[1] + e[1], k * l1[2] + e[2])


@LAW
@given(st.one_of(st.tuples(small_lines, small_lines), st.tuples(lines, lines), nearly_parallel()))
def test_intersect_lines_meets_both_or_is_none_exactly_when_parallel(pair):
    l1, l2 = pair
    p = P.intersect_lines(l1, l2)
    if _parallel(l1, l2):
        assert p is None
    else:
        assert p is not None and p[2] > 0
        assert value(l1, p) == 0 and value(l2, p) == 0


@LAW
@given(lines, st.integers(-(2**40), 2**40).filter(bool), ints)
def test_parallel_and_equal_lines_do_not_meet(line, k, c):
    a, b, _ = line
    assert P.intersect_lines(line, (k * a, k * b, c)) is None
    assert P.intersect_lines(line, tuple(k * v for v in line)) is None


def test_intersect_lines_by_hand():
    assert P.intersect_lines((1, -1, 0), (1, 1, -1)) == (1, 1, 2)  # y = x meets x + y = 1 at (1/2, 1/2)
    assert P.intersect_lines((3, 0, -1), (0, 3, -1)) == (1, 1, 3)  # (1/3, 1/3), not a float
    assert P.intersect_lines((1, 1, 0), (2, 2, 5)) is None


@LAW
@given(st.tuples(ints, ints, ints).filter(any), st.integers(1, 2**40), points)
def test_canonical_line_invariant_under_positive_scaling(line, k, p):
    c = P.canonical_line(*line)
    assert P.canonical_line(*(k * v for v in line)) == c
    g = math.gcd(*c)
    assert g == 1
    # the same oriented line: a positive multiple, the same side everywhere
    m = math.gcd(*line)
    assert tuple(m * v for v in c) == line
    assert P.side(c, p) == P.side(line, p)


@LAW
@given(st.tuples(ints, ints, ints).filter(any), st.integers(1, 2**40),
       st.tuples(small, small, small).filter(any))
def test_unoriented_key_invariant_under_scaling_and_sign_flip(line, k, other):
    key = P.unoriented_key(line)
    assert P.unoriented_key(tuple(k * v for v in line)) == key
    assert P.unoriented_key(tuple(-k * v for v in line)) == key
    assert next(v for v in key if v != 0) > 0
    # equal keys only for proportional lines (all 2x2 minors vanish)
    a1, b1, c1 = line
    a2, b2, c2 = other
    proportional = a1 * b2 == a2 * b1 and a1 * c2 == a2 * c1 and b1 * c2 == b2 * c1
    assert (P.unoriented_key(other) == key) == proportional


@LAW
@given(fracs, fracs, fracs, fracs, fracs,
       st.sampled_from([None, 0, Fraction(1, 10**40), -Fraction(1, 10**40)]))
def test_line_from_fractions_keeps_the_positive_side(a, b, c, x, y, off):
    if b == 0:
        b = Fraction(1, 3)
    if off is not None:  # the point (x, y) on the line a x + b y + c = 0, moved by off in y
        y = -(a * x + c) / b + off
    line = P.line_from_fractions(a, b, c)
    assert all(type(v) is int for v in line) and math.gcd(*line) == 1
    lam = line[1] / b  # the same line: a positive multiple of (a, b, c)
    assert lam > 0 and (line[0], line[2]) == (lam * a, lam * c)
    assert P.side(line, hom(x, y)) == sign(a * x + b * y + c)


def test_line_from_fractions_by_hand():
    assert P.line_from_fractions(0.5, 0.25, -1) == (2, 1, -4)
    q = 10**20 + 1  # the common denominator 21 q is far beyond 2^53
    assert P.line_from_fractions(Fraction(1, 3), Fraction(-1, 7), Fraction(1, q)) == (7 * q, -3 * q, 21)
    assert P.line_from_fractions(-2, 0, 1) == (-2, 0, 1)  # the orientation is kept


# --- polygons ---------------------------------------------------------------------------------


@LAW
@given(polygon_and_cut())
def test_split_polygon_areas_add_up_exactly_and_pieces_lie_on_their_sides(case):
    verts, edges, line = case
    _split_law(verts, edges, line)


def _split_law(verts, edges, line):
    where, pos, neg = P.split_polygon(verts, edges, line)
    vals = [value(line, p) for p in verts]
    if where != 2:
        assert pos is None and neg is None, "split: pieces without a cut"
        assert where == (1 if max(vals) > 0 else -1), "split: wrong side"
        assert all(where * v >= 0 for v in vals), "split: a vertex on the other side"
        return
    assert min(vals) < 0 < max(vals), "split: cut reported, but no vertex on one side"
    total = polygon_area(verts)
    assert total == fan_area(verts) > 0, "split: area of the polygon"
    areas = []
    for (pv, pe), s in ((pos, 1), (neg, -1)):
        assert len(pv) == len(pe) >= 3, "split: a piece with fewer than 3 vertices"
        area = polygon_area(pv)
        assert area == fan_area(pv) > 0, "split: a piece not counter-clockwise"
        areas.append(area)
        for v in pv:
            assert s * value(line, v) >= 0, f"split: vertex {v} on the wrong side"
            assert v in verts or value(line, v) == 0, f"split: new vertex {v} not on the line"
        for i, e in enumerate(pe):
            assert value(e, pv[i]) == 0 == value(e, pv[(i + 1) % len(pv)]), f"split: edge {i} misses its ends"
        inner = centroid(pv)
        assert sign(value(line, inner)) == s, "split: piece interior on the wrong side"
        assert all(value(e, inner) > 0 for e in pe), "split: edge not oriented interior-positive"
    assert areas[0] + areas[1] == total, "split: areas do not add up"


def test_split_polygon_by_hand():
    sq = [(0, 0, 1), (1, 0, 1), (1, 1, 1), (0, 1, 1)]
    ed = [(0, 1, 0), (-1, 0, 1), (0, -1, 1), (1, 0, 0)]
    where, pos, neg = P.split_polygon(sq, ed, (3, 0, -1))  # x = 1/3
    assert where == 2
    assert (polygon_area(pos[0]), polygon_area(neg[0])) == (Fraction(2, 3), Fraction(1, 3))
    where, pos, neg = P.split_polygon(sq, ed, (1, -1, 0))  # the diagonal y = x
    assert where == 2 and polygon_area(pos[0]) == polygon_area(neg[0]) == Fraction(1, 2)
    assert len(pos[0]) == len(neg[0]) == 3
    assert P.split_polygon(sq, ed, (1, 0, 0))[0] == 1  # along the edge x = 0
    assert P.split_polygon(sq, ed, (-1, -1, 0))[0] == -1  # touches the corner (0, 0) only


def test_polygon_area_by_hand():
    assert polygon_area([(0, 0, 1), (1, 0, 1), (1, 1, 2)]) == Fraction(1, 4)
    box = [(-3, -3, 2), (3, -3, 2), (3, 3, 2), (-3, 3, 2)]  # [-3/2, 3/2]^2
    assert polygon_area(box) == 9
    assert polygon_area(box[::-1]) == -9  # clockwise: negative
    assert polygon_area(box[1:] + box[:1]) == 9


@LAW
@given(convex_polygons(), st.tuples(fracs, fracs))
def test_point_in_polygon(poly, q):
    verts, edges = poly
    c = centroid(verts)
    assert P.point_in_polygon(verts, edges, c) == 1
    cx, cy = xy(c)
    for i, v in enumerate(verts):
        assert P.point_in_polygon(verts, edges, v) == 0
        (vx, vy), (wx, wy) = xy(v), xy(verts[(i + 1) % len(verts)])
        assert P.point_in_polygon(verts, edges, hom((vx + wx) / 2, (vy + wy) / 2)) == 0
        assert P.point_in_polygon(verts, edges, hom(2 * vx - cx, 2 * vy - cy)) == -1  # beyond v
    # any point: inside iff strictly left of every edge, from the vertices' cross products
    x, y = q
    crosses = []
    for i, v in enumerate(verts):
        (ax, ay), (bx, by) = xy(v), xy(verts[(i + 1) % len(verts)])
        crosses.append((bx - ax) * (y - ay) - (by - ay) * (x - ax))
    want = -1 if min(crosses) < 0 else (0 if min(crosses) == 0 else 1)
    assert P.point_in_polygon(verts, edges, hom(x, y)) == want


# --- positions along a line, boxes ------------------------------------------------------------


@LAW
@given(lines, fracs, st.one_of(fracs, st.sampled_from([0, Fraction(1, 10**30), -Fraction(1, 10**30)])),
       st.integers(1, 2**40))
def test_position_and_compare_along_follow_the_parameter(line, t1, dt, k):
    a, b, c = line
    t2 = t1 + dt  # dt tiny or 0: ties and near-ties along the line
    n = a * a + b * b
    foot = (Fraction(-a * c, n), Fraction(-b * c, n))  # on the line, a multiple of the normal (a, b)
    assert P.foot_point(line) == foot

    def at(t):  # foot + t (-b, a), with its denominator multiplied by k
        X, Y, D = hom(foot[0] - t * b, foot[1] + t * a)
        return k * X, k * Y, k * D

    p, q = at(t1), at(t2)
    assert value(line, p) == 0 == value(line, q)
    assert P.position_along(line, p) == n * t1  # -b x + a y = n t, since the foot gives 0
    assert P.compare_along(line, p, q) == sign(t1 - t2)
    assert P.compare_along(line, q, p) == -sign(t1 - t2)


def test_position_along_by_hand():
    assert P.position_along((0, 1, 0), (3, 0, 2)) == Fraction(-3, 2)  # on y = 0 the direction is (-1, 0)
    assert P.compare_along((0, 1, 0), (1, 0, 1), (2, 0, 1)) == 1
    assert P.compare_along((1, -1, 0), (1, 1, 3), (2, 2, 6)) == 0  # one point, two denominators


@LAW
@given(lines, halves)
def test_line_meets_open_box_iff_c_within_the_support_function(line, h):
    a, b, c = line
    # max of a x + b y over [-h, h]^2 is (|a| + |b|) h: the line meets the open box
    # iff -c lies strictly between -(|a| + |b|) h and (|a| + |b|) h
    assert P.line_meets_open_box(line, h) == (abs(c) < (abs(a) + abs(b)) * h)


def test_line_meets_open_box_by_hand():
    one = Fraction(1)
    assert not P.line_meets_open_box((1, 0, -1), one)  # the edge x = 1
    assert not P.line_meets_open_box((1, 1, -2), one)  # through the corner (1, 1) only
    assert P.line_meets_open_box((10**30, 10**30, -(2 * 10**30 - 1)), one)  # just inside the corner
    assert P.line_meets_open_box((1, 0, -1), Fraction(2))


@LAW
@given(points, halves)
def test_point_in_box_against_fraction_comparisons(p, h):
    x, y = xy(p)
    assert P.point_in_box(p, h) == (abs(x) < h and abs(y) < h)
    assert P.point_in_box(p, h, closed=True) == (abs(x) <= h and abs(y) <= h)


def test_point_in_box_boundary():
    h = Fraction(3, 2)
    assert not P.point_in_box((3, 0, 2), h) and P.point_in_box((3, 0, 2), h, closed=True)
    assert not P.point_in_box((3 * 2**70 + 1, 0, 2**71), h, closed=True)  # 3/2 + 2^-71


# --- exact values of numbers ------------------------------------------------------------------


@LAW
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_to_fraction_is_the_exact_binary_value_of_a_float(x):
    f = P.to_fraction(x)
    n, d = x.as_integer_ratio()
    assert f == Fraction(n, d) and float(f) == x
    assert d & (d - 1) == 0  # a dyadic rational


@LAW
@given(st.floats(width=32, allow_nan=False, allow_infinity=False),
       st.floats(width=16, allow_nan=False, allow_infinity=False))
def test_to_fraction_of_numpy_floats(x32, x16):
    assert P.to_fraction(np.float32(x32)) == Fraction(*float(x32).as_integer_ratio())
    assert P.to_fraction(np.float16(x16)) == Fraction(*float(x16).as_integer_ratio())
    assert P.to_fraction(np.float64(x32)) == Fraction(*float(x32).as_integer_ratio())


def test_to_fraction_by_hand():
    assert P.to_fraction(0.1) == Fraction(3602879701896397, 36028797018963968)
    assert P.to_fraction(0.1) != Fraction(1, 10)
    assert P.to_fraction(np.float32(0.1)) == Fraction(13421773, 134217728)
    assert P.to_fraction(np.float16(0.1)) == Fraction(819, 8192)
    assert P.to_fraction(0.5) == Fraction(1, 2)
    assert P.to_fraction(np.int64(-7)) == -7
    assert P.to_fraction(10**400) == Fraction(10**400)
    third = Fraction(1, 3)
    assert P.to_fraction(third) is third


@pytest.mark.parametrize(
    "bad, match",
    [
        (float("nan"), r"expected a finite number, got nan"),
        (float("inf"), r"expected a finite number, got inf"),
        (float("-inf"), r"expected a finite number, got -inf"),
        (np.float32("nan"), r"expected a finite number, got nan"),
        (np.float64("-inf"), r"expected a finite number, got -inf"),
    ],
)
def test_to_fraction_refuses_nan_and_infinities(bad, match):
    with pytest.raises(ValueError, match=match):
        P.to_fraction(bad)


@pytest.mark.parametrize(
    "bad, match",
    [
        (True, r"got the boolean True"),
        (np.bool_(False), r"got the boolean"),
        (1 + 2j, r"got the complex value \(1\+2j\)"),
        (np.complex128(1), r"got the complex value"),
        (None, r"expected a real number, got NoneType None"),
        (np.longdouble(1), r"long double values are not supported"),
    ],
)
def test_to_fraction_refuses_non_real_values(bad, match):
    with pytest.raises(TypeError, match=match):
        P.to_fraction(bad)


def test_to_fraction_refuses_strings():
    """Regression: to_fraction('0.5') returned 1/2 through float(), and '0.1' the binary 0.1."""
    with pytest.raises(TypeError, match=r"expected a real number, got str"):
        P.to_fraction("0.5")
    from decimal import Decimal

    with pytest.raises(TypeError, match=r"expected a real number, got Decimal"):
        P.to_fraction(Decimal("0.1"))


# --- the laws catch broken predicates ---------------------------------------------------------


def _float_side(line, p):
    v = line[0] * (p[0] / p[2]) + line[1] * (p[1] / p[2]) + line[2]
    return (v > 0) - (v < 0)


def _float_cut(line, v, w, sv, sw):
    t = sv / (sv - sw)  # rounded parameter of the crossing
    (vx, vy), (wx, wy) = xy(v), xy(w)
    return P.point_from_xy(float(vx) + t * float(wx - vx), float(vy) + t * float(wy - vy))


FIND = settings(LAW, max_examples=200, phases=[Phase.generate], report_multiple_bugs=False)


def test_the_side_law_catches_a_float_side(monkeypatch):
    # x - y at (2^60 + 1, 2^60) is 1, but both coordinates round to 2^60 in float64
    line, p = (1, -1, 0), (2**60 + 1, 2**60, 1)
    assert P.side(line, p) == 1 and _float_side(line, p) == 0
    monkeypatch.setattr(P, "side", _float_side)
    wrong = r"side\(\(1, -1, 0\), \(1152921504606846977, .* = 0, exact sign 1"
    with pytest.raises(AssertionError, match=wrong):
        _side_law(line, p)
    with pytest.raises(AssertionError, match=r"exact sign"):
        FIND(given(line_and_point())(lambda lp: _side_law(*lp)))()


def test_the_split_law_catches_a_float_cut_point(monkeypatch):
    # the square cut by x = 1/3: the float crossing 0.333... = 6004799503160661 / 2^54 is
    # 2^-54 / 3 short of the line, so the positive piece pokes onto the negative side
    sq = [(0, 0, 1), (1, 0, 1), (1, 1, 1), (0, 1, 1)]
    ed = [(0, 1, 0), (-1, 0, 1), (0, -1, 1), (1, 0, 0)]
    _split_law(sq, ed, (3, 0, -1))
    monkeypatch.setattr(P, "_cut", _float_cut)
    wrong = r"split: vertex \(6004799503160661, 0, 18014398509481984\) on the wrong side"
    with pytest.raises(AssertionError, match=wrong):
        _split_law(sq, ed, (3, 0, -1))
    with pytest.raises(AssertionError, match=r"split: "):
        FIND(given(polygon_and_cut())(lambda case: _split_law(*case)))()

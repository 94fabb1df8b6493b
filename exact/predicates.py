"""Exact sign decisions in the plane: the only module that compares coordinates.

Points are homogeneous integer triples ``(X, Y, D)`` with ``D > 0`` standing for
``(X/D, Y/D)``; lines are integer triples ``(a, b, c)`` standing for
``a*x + b*y + c = 0``.  Every predicate here works on Python integers, so every
decision is exact whatever the size of the numbers.  Floats never enter: the float
filters elsewhere in :mod:`exact` hand every case their error bound cannot settle to
these predicates, the filter-then-exact scheme of Shewchuk [1]_.

References
----------
.. [1] J. R. Shewchuk, "Adaptive precision floating-point arithmetic and fast robust
   geometric predicates", *Discrete Comput. Geom.* 18 (1997), 305-363.

Examples
--------
>>> from fractions import Fraction
>>> side((1, 1, -1), point_from_xy(Fraction(1, 3), Fraction(2, 3)))  # x + y - 1 at (1/3, 2/3)
0
>>> intersect_lines((1, 0, 0), (0, 1, -2))
(0, 2, 1)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from numbers import Rational

__all__ = [
    "Line",
    "Point",
    "to_fraction",
    "point_from_xy",
    "point_to_fractions",
    "canonical_line",
    "line_from_fractions",
    "side",
    "intersect_lines",
    "split_polygon",
    "shoelace_sum",
    "vertex_centroid",
    "point_in_polygon",
    "line_meets_open_box",
    "point_in_box",
    "position_along",
    "compare_along",
    "unoriented_key",
    "foot_point",
]

Line = tuple[int, int, int]
"""An integer line ``(a, b, c)``: the points with ``a*x + b*y + c = 0``, oriented (positive side ``> 0``)."""

Point = tuple[int, int, int]
"""A homogeneous integer point ``(X, Y, D)`` with ``D > 0``: the point ``(X/D, Y/D)``."""


def to_fraction(x: object) -> Fraction:
    """Exact rational value of a real number: floats at their exact binary value.

    Parameters
    ----------
    x : int, float, numpy floating/integer scalar, or fractions.Fraction
        The number.  ``bool`` and complex values are refused.

    Returns
    -------
    Fraction
        ``x`` exactly (``0.1`` becomes ``3602879701896397/36028797018963968``).

    Raises
    ------
    TypeError
        For bool, complex, str or other non-real values.
    ValueError
        For NaN or infinities.

    Examples
    --------
    >>> to_fraction(0.5)
    Fraction(1, 2)
    >>> to_fraction(0.1) == Fraction(1, 10)
    False
    """
    if type(x) is float:  # the common case (weights from numpy/torch), without the ABC checks
        if x - x != 0:  # NaN or infinity
            raise ValueError(f"expected a finite number, got {x!r}")
        n, d = x.as_integer_ratio()
        return Fraction(n, d)
    if isinstance(x, Fraction):
        return x
    if isinstance(x, bool) or type(x).__name__ in ("bool_", "bool"):
        raise TypeError(f"expected a real number, got the boolean {x!r}")
    if isinstance(x, int):
        return Fraction(x)
    if isinstance(x, Rational):  # numpy integers too: int() keeps them from wrapping around
        return Fraction(int(x.numerator), int(x.denominator))
    if isinstance(x, complex) or "complex" in type(x).__name__:
        raise TypeError(f"expected a real number, got the complex value {x!r}")
    if isinstance(x, (str, bytes)) or type(x).__name__ in ("Decimal", "str_", "bytes_"):
        # float('0.1') would silently make the decimal 1/10 inexact
        raise TypeError(f"expected a real number, got {type(x).__name__} {x!r}")
    try:
        f = float(x)  # numpy float16/32/64 convert to float64 exactly
    except (TypeError, ValueError):
        raise TypeError(f"expected a real number, got {type(x).__name__} {x!r}") from None
    if type(x).__name__ in ("longdouble", "float128", "float96"):
        raise TypeError("long double values are not supported; convert to float64 first")
    if math.isnan(f) or math.isinf(f):
        raise ValueError(f"expected a finite number, got {f!r}")
    return Fraction(f)


def point_from_xy(x: object, y: object) -> Point:
    """Make the homogeneous integer point of the exact values ``(x, y)``.

    Parameters
    ----------
    x, y : real
        Coordinates, taken at their exact values (see :func:`to_fraction`).

    Returns
    -------
    Point
        ``(X, Y, D)`` in lowest terms, ``D > 0``.

    Raises
    ------
    TypeError
        For bool, complex, str or other non-real values.
    ValueError
        For NaN or infinities.

    Examples
    --------
    >>> point_from_xy(0.5, -3)
    (1, -6, 2)
    """
    fx, fy = to_fraction(x), to_fraction(y)
    d = fx.denominator * fy.denominator // math.gcd(fx.denominator, fy.denominator)
    return _reduce_point(fx.numerator * (d // fx.denominator), fy.numerator * (d // fy.denominator), d)


def point_to_fractions(p: Point) -> tuple[Fraction, Fraction]:
    """Return the exact Cartesian coordinates of a homogeneous point.

    Parameters
    ----------
    p : Point
        ``(X, Y, D)`` with ``D != 0``.

    Returns
    -------
    (Fraction, Fraction)
        ``(X/D, Y/D)``.

    Examples
    --------
    >>> point_to_fractions((1, -6, 2))
    (Fraction(1, 2), Fraction(-3, 1))
    """
    return Fraction(p[0], p[2]), Fraction(p[1], p[2])


def _reduce_point(X: int, Y: int, D: int) -> Point:
    """Normalise ``(X, Y, D)``: lowest terms, ``D > 0``."""
    if D < 0:
        X, Y, D = -X, -Y, -D
    g = math.gcd(math.gcd(X, Y), D)
    if g > 1:
        return X // g, Y // g, D // g
    return X, Y, D


def canonical_line(a: int, b: int, c: int) -> Line:
    """Return the unique representative of the oriented line ``a x + b y + c = 0``.

    Divides by the gcd; keeps the orientation (the positive side stays positive).

    Parameters
    ----------
    a, b, c : int
        Coefficients, not all zero.

    Returns
    -------
    Line
        ``(a, b, c) / gcd(a, b, c)``.

    Examples
    --------
    >>> canonical_line(4, -2, 6)
    (2, -1, 3)
    """
    g = math.gcd(math.gcd(a, b), c)
    if g > 1:
        return a // g, b // g, c // g
    return a, b, c


def unoriented_key(line: Line) -> Line:
    """Return the key shared by a line and its negation: first nonzero coefficient made positive.

    Parameters
    ----------
    line : Line

    Returns
    -------
    Line
        The canonical line (:func:`canonical_line`), negated if needed.

    Examples
    --------
    >>> unoriented_key((-2, 1, 0)) == unoriented_key((4, -2, 0))
    True
    """
    a, b, c = canonical_line(*line)
    if a < 0 or (a == 0 and (b < 0 or (b == 0 and c < 0))):
        return -a, -b, -c
    return a, b, c


def line_from_fractions(a: object, b: object, c: object) -> Line:
    """Make the integer line equivalent (same positive side) to ``a x + b y + c = 0``.

    Parameters
    ----------
    a, b, c : real
        Coefficients, taken at their exact values (see :func:`to_fraction`).

    Returns
    -------
    Line
        The canonical integer line (:func:`canonical_line`).

    Raises
    ------
    TypeError
        For bool, complex, str or other non-real values.
    ValueError
        For NaN or infinities.

    Examples
    --------
    >>> line_from_fractions(0.5, 0.25, -1)
    (2, 1, -4)
    """
    fa, fb, fc = to_fraction(a), to_fraction(b), to_fraction(c)
    d = math.lcm(fa.denominator, fb.denominator, fc.denominator)
    return canonical_line(int(fa * d), int(fb * d), int(fc * d))


def side(line: Line, p: Point) -> int:
    """Return the sign (-1, 0, 1) of ``a x + b y + c`` at the point ``p`` (exact).

    Parameters
    ----------
    line : Line
    p : Point

    Returns
    -------
    int
        1 on the positive side, -1 on the negative side, 0 on the line.

    Examples
    --------
    >>> side((1, 0, -1), (3, 0, 2))  # x - 1 at x = 3/2
    1
    """
    v = line[0] * p[0] + line[1] * p[1] + line[2] * p[2]
    return (v > 0) - (v < 0)


def intersect_lines(l1: Line, l2: Line) -> Point | None:
    """Intersect two lines exactly.

    Parameters
    ----------
    l1, l2 : Line

    Returns
    -------
    Point or None
        The crossing point in lowest terms, or ``None`` if the lines are parallel or
        equal.

    Examples
    --------
    >>> intersect_lines((1, -1, 0), (1, 1, -1))  # y = x meets x + y = 1
    (1, 1, 2)
    >>> intersect_lines((1, 1, 0), (2, 2, 5)) is None
    True
    """
    a1, b1, c1 = l1
    a2, b2, c2 = l2
    D = a1 * b2 - a2 * b1
    if D == 0:
        return None
    return _reduce_point(b1 * c2 - b2 * c1, c1 * a2 - c2 * a1, D)


def compare_along(line: Line, p: Point, q: Point) -> int:
    """Compare two points by their position along ``line``'s direction ``(-b, a)``.

    Parameters
    ----------
    line : Line
    p, q : Point
        Usually points on ``line``; any points are compared by their projections.

    Returns
    -------
    int
        Sign of ``t(p) - t(q)`` with ``t(x, y) = -b x + a y``.

    Examples
    --------
    >>> compare_along((0, 1, 0), (1, 0, 1), (2, 0, 1))  # along y = 0, direction (-1, 0)
    1
    """
    a, b, _ = line
    tp = (-b * p[0] + a * p[1]) * q[2]
    tq = (-b * q[0] + a * q[1]) * p[2]
    return (tp > tq) - (tp < tq)


def _cut(line: Line, v: Point, w: Point, sv: int, sw: int) -> Point:
    """Return the point where segment v-w meets ``line``; ``sv``, ``sw`` are the exact values there."""
    return _reduce_point(sv * w[0] - sw * v[0], sv * w[1] - sw * v[1], sv * w[2] - sw * v[2])


def _value(line: Line, p: Point) -> int:
    """Evaluate ``a X + b Y + c D`` (``D`` times the line's value at ``p``)."""
    return line[0] * p[0] + line[1] * p[1] + line[2] * p[2]


def split_polygon(
    verts: Sequence[Point], edges: Sequence[Line], line: Line
) -> tuple[int, tuple | None, tuple | None]:
    """Split a convex polygon by a line, exactly.

    Parameters
    ----------
    verts : sequence of Point
        Vertices in counter-clockwise order.
    edges : sequence of Line
        ``edges[i]`` is the supporting line of the edge from ``verts[i]`` to ``verts[i+1]``.
    line : Line
        The cutting line.

    Returns
    -------
    where : int
        ``1`` if the polygon's interior lies on the positive side, ``-1`` on the negative
        side, ``0`` if the line is identically zero on it (cannot happen for a real line),
        ``2`` if the line cuts the interior.
    positive, negative : tuple of (verts, edges) or None
        The two parts when ``where == 2``; otherwise ``None``.

    Notes
    -----
    O(V) exact integer operations.  Parts always have positive area: a line that
    touches only a vertex or runs along an edge does not cut.

    Examples
    --------
    >>> sq = [(0, 0, 1), (1, 0, 1), (1, 1, 1), (0, 1, 1)]
    >>> ed = [(0, 1, 0), (-1, 0, 1), (0, -1, 1), (1, 0, 0)]
    >>> where, pos, neg = split_polygon(sq, ed, (2, 0, -1))  # x = 1/2
    >>> where, len(pos[0]), len(neg[0])
    (2, 4, 4)
    >>> split_polygon(sq, ed, (1, 1, 0))[0]  # touches the corner (0, 0) only
    1
    """
    vals = [_value(line, p) for p in verts]
    has_pos = any(v > 0 for v in vals)
    has_neg = any(v < 0 for v in vals)
    if not (has_pos and has_neg):
        return (1 if has_pos else (-1 if has_neg else 0)), None, None
    n = len(verts)
    pv: list[Point] = []
    pe: list[Line] = []
    nv: list[Point] = []
    ne: list[Line] = []
    neg_line = (-line[0], -line[1], -line[2])
    for i in range(n):
        v, e = verts[i], edges[i]
        j = i + 1 if i + 1 < n else 0
        w = verts[j]
        s, t = vals[i], vals[j]
        if s > 0:
            pv.append(v)
            pe.append(e)
            if t < 0:
                r = _cut(line, v, w, s, t)
                pv.append(r)
                pe.append(line)  # the positive part's interior is on the line's + side
                nv.append(r)
                ne.append(e)
        elif s < 0:
            nv.append(v)
            ne.append(e)
            if t > 0:
                r = _cut(line, v, w, s, t)
                nv.append(r)
                ne.append(neg_line)
                pv.append(r)
                pe.append(e)
        else:
            pv.append(v)
            pe.append(e if t > 0 else line)
            nv.append(v)
            ne.append(e if t < 0 else neg_line)
    return 2, (tuple(pv), tuple(pe)), (tuple(nv), tuple(ne))


def shoelace_sum(verts: Sequence[Point]) -> tuple[int, int]:
    """Return twice a polygon's signed area as an integer ratio ``(num, den)``, not reduced.

    Parameters
    ----------
    verts : sequence of Point
        Counter-clockwise (clockwise gives the negated sum).

    Returns
    -------
    num, den : int
        ``2 * area == num / den``, ``den > 0``: :func:`exact.polygon_areas.polygon_area` reduces it.

    Examples
    --------
    >>> shoelace_sum([(0, 0, 1), (1, 0, 1), (1, 1, 2)])
    (1, 2)
    """
    if len(verts) < 2:
        return 0, verts[0][2]
    (X0, Y0, D0), (X1, Y1, D1) = verts[0], verts[1]
    num, pre = X0 * Y1 - X1 * Y0, D0  # the sum so far is num / (pre * D1): each denominator once
    for X2, Y2, D2 in verts[2:]:
        num = num * D2 + (X1 * Y2 - X2 * Y1) * pre
        pre *= D1
        X1, Y1, D1 = X2, Y2, D2
    num += (X1 * Y0 - X0 * Y1) * (pre // D0)  # the closing edge, over D1 * D0: pre has D0
    return num, pre * D1


def vertex_centroid(verts: Sequence[Point]) -> tuple[Fraction, Fraction]:
    """Return the average of a polygon's vertices: strictly inside a convex polygon of nonzero area.

    Parameters
    ----------
    verts : sequence of Point
        The vertices (at least one).

    Returns
    -------
    (Fraction, Fraction)

    Examples
    --------
    >>> vertex_centroid([(0, 0, 1), (2, 0, 1), (0, 1, 2)])
    (Fraction(2, 3), Fraction(1, 6))
    """
    n = len(verts)
    return sum(Fraction(X, D) for X, _, D in verts) / n, sum(Fraction(Y, D) for _, Y, D in verts) / n


def point_in_polygon(verts: Sequence[Point], edges: Sequence[Line], p: Point) -> int:
    """Locate ``p`` relative to a convex polygon.

    Parameters
    ----------
    verts : sequence of Point
        Vertices in counter-clockwise order (not read: the edges decide).
    edges : sequence of Line
        Edge lines oriented with the interior on their positive side (as
        :func:`split_polygon` and the window constructor produce them).
    p : Point

    Returns
    -------
    int
        1 inside, 0 on the boundary, -1 outside.

    Examples
    --------
    >>> sq = [(0, 0, 1), (1, 0, 1), (1, 1, 1), (0, 1, 1)]
    >>> ed = [(0, 1, 0), (-1, 0, 1), (0, -1, 1), (1, 0, 0)]
    >>> point_in_polygon(sq, ed, (1, 1, 2)), point_in_polygon(sq, ed, (1, 0, 1))
    (1, 0)
    """
    worst = 1
    for e in edges:
        s = side(e, p)
        if s < 0:
            return -1
        worst = min(worst, s)
    return worst


def point_in_box(p: Point, half: Fraction, closed: bool = False) -> bool:
    """Tell whether ``p`` lies in the square ``(-half, half)^2`` (open) or ``[-half, half]^2`` (closed).

    Parameters
    ----------
    p : Point
    half : Fraction
        Half-width of the square, positive.
    closed : bool
        Include the boundary.

    Returns
    -------
    bool

    Examples
    --------
    >>> point_in_box((1, 0, 1), Fraction(1)), point_in_box((1, 0, 1), Fraction(1), closed=True)
    (False, True)
    """
    X, Y, D = p
    hn, hd = half.numerator, half.denominator
    if closed:
        return abs(X) * hd <= hn * D and abs(Y) * hd <= hn * D
    return abs(X) * hd < hn * D and abs(Y) * hd < hn * D


def position_along(line: Line, p: Point) -> Fraction:
    """Compute the exact position of ``p`` along ``line``'s direction ``(-b, a)``.

    Parameters
    ----------
    line : Line
    p : Point

    Returns
    -------
    Fraction
        ``t = -b x + a y``: a sort key for the points on ``line``.

    Examples
    --------
    >>> position_along((0, 1, 0), (3, 0, 2))  # on y = 0 the direction is (-1, 0)
    Fraction(-3, 2)
    """
    a, b, _ = line
    return Fraction(-b * p[0] + a * p[1], p[2])


def line_meets_open_box(line: Line, half: Fraction) -> bool:
    """Tell whether the line passes through the open square ``(-half, half)^2``.

    Parameters
    ----------
    line : Line
    half : Fraction
        Half-width of the square, positive.

    Returns
    -------
    bool
        True when the square's corners lie strictly on both sides of the line.

    Examples
    --------
    >>> line_meets_open_box((1, 0, -1), Fraction(1)), line_meets_open_box((1, 0, -1), Fraction(2))
    (False, True)
    """
    a, b, c = line
    n, d = half.numerator, half.denominator
    vals = [a * sx * n + b * sy * n + c * d for sx in (-1, 1) for sy in (-1, 1)]
    return any(v > 0 for v in vals) and any(v < 0 for v in vals)


def foot_point(line: Line) -> tuple[Fraction, Fraction]:
    """Return the point of the line nearest the origin.

    Parameters
    ----------
    line : Line
        With ``(a, b) != (0, 0)``.

    Returns
    -------
    (Fraction, Fraction)
        ``-c (a, b) / (a^2 + b^2)``.

    Examples
    --------
    >>> foot_point((1, 1, -2))
    (Fraction(1, 1), Fraction(1, 1))
    """
    a, b, c = line
    n = a * a + b * b
    return Fraction(-a * c, n), Fraction(-b * c, n)

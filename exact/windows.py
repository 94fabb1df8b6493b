"""Windows other than the centred square: rectangles and convex polygons with exact vertices.

``window=`` of :func:`exact.regions`, :func:`exact.count_regions` and
:func:`exact.cross_check` is a half-width ``B`` (the square ``[-B, B]^2``), ``None`` (the
whole plane), a rectangle ``(xmin, xmax, ymin, ymax)`` or a convex polygon given by its
vertices; the last two become a :class:`ConvexWindow` (:func:`exact.validation.check_window`
reads them).  A window is closed: its boundary belongs to it.

Examples
--------
>>> w = convex_window([(0, 0), (2, 0), (0, 1)])
>>> w.area, str(w)
(Fraction(1, 1), 'polygon (0, 0), (2, 0), (0, 1)')
>>> w.bounds == (0, 2, 0, 1)
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np

from ._float_range import to_float
from ._fp import U
from .array_input import decimal_fraction, plain_text
from .errors import InputError, InputTypeError, Undecided
from .json_numbers import exact_json
from .polygon_areas import polygon_area
from .predicates import (
    Line,
    Point,
    canonical_line,
    point_from_xy,
    point_to_fractions,
    side,
)

__all__ = ["ConvexWindow", "convex_window", "line_through", "rectangle_window", "window_number"]



@dataclass(frozen=True)
class ConvexWindow:
    """A closed convex polygon with exact vertices, counter-clockwise from the lowest, no three in a line.

    Attributes
    ----------
    verts : tuple of Point
        Homogeneous integer vertices ``(X, Y, D)``, counter-clockwise.
    edges : tuple of Line
        ``edges[i]`` supports the side from ``verts[i]`` to ``verts[i + 1]``, oriented with
        the interior on its positive side (as :func:`exact.layer_split.enumerate_cells`
        takes a polygon).
    is_rectangle : bool
        Whether the polygon is a rectangle with sides parallel to the axes (given as
        ``(xmin, xmax, ymin, ymax)`` or by its four vertices).
    """

    verts: tuple[Point, ...]
    edges: tuple[Line, ...]
    is_rectangle: bool = False

    @property
    def vertices(self) -> list[tuple[Fraction, Fraction]]:
        """Exact vertex coordinates, counter-clockwise."""
        return [point_to_fractions(p) for p in self.verts]

    @property
    def bounds(self) -> tuple[Fraction, Fraction, Fraction, Fraction]:
        """``(xmin, xmax, ymin, ymax)`` of the window, exactly."""
        xs, ys = zip(*self.vertices)
        return min(xs), max(xs), min(ys), max(ys)

    @property
    def half(self) -> Fraction:
        """Half-width of the smallest square ``[-h, h]^2`` holding the window (its box)."""
        return max(abs(v) for v in self.bounds)

    @property
    def area(self) -> Fraction:
        """Exact area."""
        return polygon_area(self.verts)

    def __str__(self) -> str:
        if self.is_rectangle:
            x0, x1, y0, y1 = self.bounds
            return f"[{x0}, {x1}] x [{y0}, {y1}]"
        return "polygon " + ", ".join(f"({x}, {y})" for x, y in self.vertices)

    def to_json(self) -> dict:
        """Return the window as JSON: ``{"rectangle": [x0, x1, y0, y1]}`` or ``{"polygon": [[x, y], ...]}``.

        A coordinate is a number when a float holds it exactly, else the exact text ``"p/q"``.

        Returns
        -------
        dict

        Examples
        --------
        >>> rectangle_window(0, Fraction(1, 3), -1, 1.5).to_json()
        {'rectangle': [0.0, '1/3', -1.0, 1.5]}
        """
        if self.is_rectangle:
            return {"rectangle": [exact_json(v) for v in self.bounds]}
        return {"polygon": [[exact_json(x), exact_json(y)] for x, y in self.vertices]}

    def contains(self, points: np.ndarray) -> np.ndarray:
        """Tell which float points lie in the closed window, decided exactly.

        A float filter with a rigorous error bound settles the clear cases; points within
        the bound of an edge's line are placed by :func:`exact.predicates.side`.

        Parameters
        ----------
        points : ndarray of float, shape (N, 2)
            Points, taken at their exact binary values.

        Returns
        -------
        ndarray of bool, shape (N,)

        Examples
        --------
        >>> w = convex_window([(0, 0), (1, 0), (0, 1)])
        >>> w.contains(np.array([[0.5, 0.5], [0.5, 0.5000001], [0.0, 0.0]])).tolist()
        [True, False, True]
        """
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        inside = np.ones(len(pts), dtype=bool)
        unsure = np.zeros(len(pts), dtype=bool)
        try:
            coeffs = [_float_line(e) for e in self.edges]
        except Undecided:  # a coefficient beyond the float range: decide every point exactly
            coeffs, unsure[:] = [], True
        with np.errstate(over="ignore", invalid="ignore"):
            for a, b, c in coeffs:
                v = a * pts[:, 0] + b * pts[:, 1] + c
                e = 8 * U * (np.abs(a * pts[:, 0]) + np.abs(b * pts[:, 1]) + abs(c)) + 1e-300
                inside &= ~(v < -e)
                unsure |= ~((v > e) | (v < -e))
        for i in np.flatnonzero(unsure & inside):
            p = point_from_xy(float(pts[i, 0]), float(pts[i, 1]))
            inside[i] = all(side(e, p) >= 0 for e in self.edges)
        return inside


def _float_line(line: Line) -> tuple[float, float, float]:
    """Return a line's coefficients as floats, scaled so that ``max(|a|, |b|) = 1`` (each within ``u``)."""
    a, b, c = line
    m = max(abs(a), abs(b))
    return to_float(a, m), to_float(b, m), to_float(c, m)


def line_through(p: Point, q: Point) -> Line:
    """Return the line through ``p`` and ``q`` (distinct), the left of ``p -> q`` on its positive side.

    Parameters
    ----------
    p, q : Point
        Distinct homogeneous points.

    Returns
    -------
    Line
        In lowest terms (:func:`exact.predicates.canonical_line`).

    Examples
    --------
    >>> line_through((0, 0, 1), (2, 0, 1))        # the x axis, y > 0 on the left
    (0, 1, 0)
    """
    (X0, Y0, D0), (X1, Y1, D1) = p, q
    return canonical_line(Y0 * D1 - D0 * Y1, D0 * X1 - X0 * D1, X0 * Y1 - Y0 * X1)


def window_number(value: Any, what: str) -> Fraction:
    """Read one number of a window exactly: an int, a float (its binary value), a Fraction or a Decimal.

    Parameters
    ----------
    value : real
        The number; numpy and torch scalars too.  A ``Decimal`` is read exactly, as
        ``Fraction(value)`` reads it (``Decimal("0.1")`` is 1/10).
    what : str
        Names the number in messages (``"window: rectangle xmax"``).

    Returns
    -------
    Fraction
        The exact value.

    Raises
    ------
    InputTypeError
        A complex number, a bool, a string or another non-number, each said as it is.
    InputError
        NaN or an infinity, or a ``Decimal`` whose exponent is beyond
        :data:`~exact.array_input.MAX_DECIMAL_EXPONENT`.

    Examples
    --------
    >>> from decimal import Decimal
    >>> window_number(Decimal("0.1"), "x"), window_number(0.5, "x")
    (Fraction(1, 10), Fraction(1, 2))
    >>> window_number(1j, "window")
    Traceback (most recent call last):
    ...
    exact.errors.InputTypeError: window is the complex number 1j; complex numbers are not accepted: ...
    """
    from .predicates import to_fraction

    if isinstance(value, complex) or "complex" in type(value).__name__:
        raise InputTypeError(f"{what} is the complex number {value!r}; complex numbers are not accepted: "
                             "give a real number")
    if isinstance(value, Decimal):
        return decimal_fraction(value, what)
    try:
        return to_fraction(value)
    except TypeError:
        raise InputTypeError(f"{what} must be a real number, got {plain_text(value)}") from None
    except ValueError:
        raise InputError(f"{what} must be a finite number, got {plain_text(value)}") from None


def rectangle_window(xmin: Any, xmax: Any, ymin: Any, ymax: Any) -> ConvexWindow:
    """Make the window ``[xmin, xmax] x [ymin, ymax]``.

    Parameters
    ----------
    xmin, xmax, ymin, ymax : real
        Finite bounds (ints, floats at their exact binary value, Fractions, Decimals) with
        ``xmin < xmax`` and ``ymin < ymax``; see :func:`window_number`.

    Returns
    -------
    ConvexWindow
        The rectangle, counter-clockwise from ``(xmin, ymin)``.

    Raises
    ------
    InputTypeError
        A bound that is not a real number (a complex number, a string, ...).
    InputError
        A bound that is NaN or infinite, or an empty rectangle.

    Examples
    --------
    >>> str(rectangle_window(0, 1, 2, 3.5))
    '[0, 1] x [2, 7/2]'
    """
    names = ("xmin", "xmax", "ymin", "ymax")
    x0, x1, y0, y1 = (window_number(v, f"window: rectangle {name}")
                      for name, v in zip(names, (xmin, xmax, ymin, ymax)))
    if not (x0 < x1 and y0 < y1):
        raise InputError(f"window: rectangle (xmin, xmax, ymin, ymax) needs xmin < xmax and ymin < ymax, "
                         f"got {plain_text((xmin, xmax, ymin, ymax))}")
    return convex_window([(x0, y0), (x1, y0), (x1, y1), (x0, y1)])


def convex_window(vertices: Sequence[Sequence[Any]]) -> ConvexWindow:
    """Make the window of a convex polygon from its exact vertices.

    Parameters
    ----------
    vertices : sequence of (x, y)
        At least three vertices in order around the polygon, either way round (a clockwise
        list is reversed); a vertex on the straight segment between its neighbours is
        dropped.  Coordinates are taken at their exact values (see :func:`window_number`).

    Returns
    -------
    ConvexWindow
        The polygon, counter-clockwise from its lowest vertex (the leftmost of the lowest):
        one form for each polygon, so that equal windows compare equal.

    Raises
    ------
    InputTypeError
        A coordinate that is not a real number (a complex number, a string, ...).
    InputError
        Fewer than three vertices, a vertex that is not two finite numbers, a repeated
        vertex (also a polygon that goes round twice), a polygon of zero area, or one
        that is not convex (the message names a vertex on the wrong side of an edge).

    Examples
    --------
    >>> convex_window([(1, 1), (1, 0), (0, 0), (0, 1)]).vertices[:2]   # clockwise: reversed
    [(Fraction(0, 1), Fraction(0, 1)), (Fraction(1, 1), Fraction(0, 1))]
    >>> convex_window([(0, 0), (2, 0), (1, 1), (2, 2), (0, 2)])
    Traceback (most recent call last):
    ...
    exact.errors.InputError: window: the polygon is not convex: it turns the wrong way at vertex 2 (1, 1); ...
    """
    verts = _read_vertices(vertices)
    area = polygon_area(verts)
    if area == 0:
        raise InputError(f"window: the polygon {_show(vertices)} has zero area{_zero_area_fault(verts)}; "
                         "give the vertices of a convex polygon in order")
    order = list(range(len(verts)))
    if area < 0:  # clockwise: walk it the other way
        order.reverse()
    n = len(order)
    turns = [side(line_through(verts[order[k - 1]], verts[order[k]]), verts[order[(k + 1) % n]])
             for k in range(n)]
    for k, turn in enumerate(turns):
        if turn < 0:
            m = order[k]
            raise InputError(f"window: the polygon is not convex: it turns the wrong way at vertex {m} "
                             f"{_show_point(verts[m])}; give the vertices of a convex polygon in order")
    edges = [line_through(verts[order[k]], verts[order[(k + 1) % n]]) for k in range(n)]
    for k, e in enumerate(edges):
        bad = next((m for m in order if side(e, verts[m]) < 0), None)
        if bad is not None:
            raise InputError(f"window: the polygon is not convex: vertex {bad} {_show_point(verts[bad])} is "
                             f"outside the edge from vertex {order[k]} to vertex {order[(k + 1) % n]} (the "
                             "vertices must go once round a convex polygon)")
    kv = [verts[order[k]] for k in range(n) if turns[k] != 0]  # drop straight angles
    low = min(range(len(kv)), key=lambda k: point_to_fractions(kv[k])[::-1])
    kv = tuple(kv[low:] + kv[:low])  # from the lowest vertex (then leftmost): one form per polygon
    edges = tuple(line_through(p, q) for p, q in zip(kv, kv[1:] + kv[:1]))
    return ConvexWindow(kv, edges, is_rectangle=len(kv) == 4 and all(a == 0 or b == 0 for a, b, _ in edges))


def _zero_area_fault(verts: list[Point]) -> str:
    """Say why a polygon of zero area has none: its vertices on one line, or which sides cross (exactly)."""
    n = len(verts)
    turns = [side(line_through(verts[k - 1], verts[k]), verts[(k + 1) % n]) for k in range(n)]
    if not any(turns):
        return ": all its vertices lie on one line"
    for i in range(n):
        for j in range(i + 2, n - (i == 0)):  # sides i and j that share no vertex
            p, q, r, s = verts[i], verts[(i + 1) % n], verts[j], verts[(j + 1) % n]
            if _sides_meet(p, q, r, s):
                return (f": its side from vertex {i} {_show_point(p)} to vertex {(i + 1) % n} "
                        f"{_show_point(q)} meets its side from vertex {j} {_show_point(r)} to vertex "
                        f"{(j + 1) % n} {_show_point(s)}")
    return ": its sides cross each other"


def _sides_meet(p: Point, q: Point, r: Point, s: Point) -> bool:
    """Tell exactly whether the closed segments ``pq`` and ``rs`` share a point."""
    a, b = line_through(p, q), line_through(r, s)
    sp, sq, sr, ss = side(b, p), side(b, q), side(a, r), side(a, s)
    if sp * sq > 0 or sr * ss > 0:
        return False
    if any((sp, sq, sr, ss)):
        return True
    xs = [point_to_fractions(v) for v in (p, q, r, s)]  # all four on one line: do the intervals overlap?
    lo1, hi1, lo2, hi2 = min(xs[:2]), max(xs[:2]), min(xs[2:]), max(xs[2:])
    return not (hi1 < lo2 or hi2 < lo1)


def _read_vertices(vertices: Any) -> list[Point]:
    """Read at least three vertices ``(x, y)`` exactly; refuse repeated consecutive ones."""
    rows = vertices.tolist() if isinstance(vertices, np.ndarray) else vertices
    if isinstance(rows, (str, bytes, dict)) or not hasattr(rows, "__len__") or len(rows) < 3:
        pairs = hasattr(rows, "__len__") and len(rows) == 2 and all(hasattr(r, "__len__") for r in rows)
        hint = ("; two pairs are read as a polygon's vertices here: for the rectangle [x0, x1] x [y0, y1] "
                "give (x0, x1, y0, y1) (per-axis pairs are for inputs of other widths)") if pairs else ""
        raise InputError(f"window: a polygon needs at least three vertices (x, y), got {_show(vertices)}"
                         + hint)
    pts = []
    for i, v in enumerate(rows):
        if isinstance(v, (str, bytes)) or not hasattr(v, "__len__") or len(v) != 2:
            raise InputError(f"window: polygon vertex {i} must be a pair (x, y), got {plain_text(v, 60)}")
        pts.append(point_from_xy(window_number(v[0], f"window: polygon vertex {i} x"),
                                 window_number(v[1], f"window: polygon vertex {i} y")))
    first: dict = {}
    for i, p in enumerate(pts):  # also refuses a polygon that goes round twice
        j = first.setdefault(point_to_fractions(p), i)
        if j != i:
            raise InputError(f"window: polygon vertices {j} and {i} are the same point {_show_point(p)} "
                             "(the vertices must go once round a convex polygon)")
    return pts


def _show_point(p: Point) -> str:
    x, y = point_to_fractions(p)
    return f"({x}, {y})"


def _show(obj: Any) -> str:
    return plain_text(obj)

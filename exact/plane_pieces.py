"""Level-set pieces in the unbounded cells of the whole plane, cut by the cells' own edges, not the box.

The regions of the whole plane (``regions(net, None)``) are drawn in a certified box that
holds every vertex of the cells; an unbounded cell's polygon there has sides on the box.
The set ``{f = c}`` (or a decision boundary) in such a cell is a line cut by the cell's own
edges only: it can bend, end or lie wholly beyond the box (``|x| - 1 = 5`` is the two lines
``x = +-6``; the box of ``|x|`` is far smaller).  :class:`PlanePieces` cuts each such line
by the cell's own edges, exactly, into an interval that may be unbounded at either end, and
then picks a box ``box * 2^k`` holding every finite end and a point of every piece strictly
inside, where the set is drawn: what reaches its sides goes on for ever.

Examples
--------
>>> pp = PlanePieces(Fraction(2))                   # a certified box [-2, 2]^2
>>> pp.add_line((1, 0, -6), [(1, 0, 0)])            # x = 6 in the cell x >= 0
>>> half = pp.box()
>>> half, pp.segments(half)                         # drawn in [-8, 8]^2: it goes on past both ends
(Fraction(8, 1), [((1, 0, -6), (6, -8, 1), (6, 8, 1))])
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fractions import Fraction
from typing import Any

from .predicates import (
    Line,
    Point,
    compare_along,
    intersect_lines,
    point_to_fractions,
    side,
    split_polygon,
    unoriented_key,
)
from .square_window import square

__all__ = ["PlanePieces", "clip_polygon", "line_interval"]

Interval = tuple[Line, Point | None, Point | None]
"""A piece of a line: its low and high ends along it (:func:`~exact.predicates.compare_along`), None: none."""


def line_interval(line: Line, halfplanes: Iterable[Line | bool]) -> tuple[Point | None, Point | None] | None:
    """Cut a line by half-planes ``h >= 0``, exactly: the interval left, its ends None where unbounded.

    Parameters
    ----------
    line : Line
        Integer ``(a, b, c)``, not ``(0, 0, c)``.
    halfplanes : iterable of Line or bool
        Each ``h`` keeps the points where ``h >= 0``; ``True`` keeps all, ``False`` none.

    Returns
    -------
    (Point or None, Point or None) or None
        The low and high ends along ``line`` (the order of
        :func:`~exact.predicates.compare_along`), or None when nothing is left.

    Examples
    --------
    >>> line_interval((0, 1, 0), [(1, 0, 0)])           # y = 0 where x >= 0: from (0, 0) on
    (None, (0, 0, 1))
    >>> line_interval((0, 1, 0), [(1, 0, 0), (-1, 0, -1)]) is None     # x >= 0 and x <= -1
    True
    """
    a, b, c = line
    on = (-c, 0, a) if a > 0 else (c, 0, -a) if a < 0 else (0, -c, b) if b > 0 else (0, c, -b)  # on it
    lo: Point | None = None
    hi: Point | None = None
    for h in halfplanes:
        if h is True:
            continue
        if h is False:
            return None
        rate = -h[0] * b + h[1] * a  # how h grows along the line's direction (-b, a)
        if rate == 0:  # parallel: one side all along
            if side(h, on) < 0:
                return None
            continue
        r = intersect_lines(line, h)
        if rate > 0 and (lo is None or compare_along(line, r, lo) > 0):
            lo = r
        elif rate < 0 and (hi is None or compare_along(line, r, hi) < 0):
            hi = r
    if lo is not None and hi is not None and compare_along(line, lo, hi) > 0:
        return None
    return lo, hi


def clip_polygon(verts: Sequence[Point], edges: Sequence[Line], halfplanes: Iterable[Line | bool]
                 ) -> tuple[tuple[Point, ...], tuple[Line, ...]] | None:
    """Return the part of a convex polygon where every half-plane holds, if it has positive area.

    Parameters
    ----------
    verts, edges : sequence of Point, sequence of Line
        Counter-clockwise, the inside on each edge's positive side.
    halfplanes : iterable of Line or bool
        As in :func:`line_interval`.

    Returns
    -------
    (verts, edges) or None

    Examples
    --------
    >>> clip_polygon(*square(1, 1), [(1, 0, 0)])[0]      # x >= 0 of [-1, 1]^2
    ((0, -1, 1), (1, -1, 1), (1, 1, 1), (0, 1, 1))
    """
    vs, es = tuple(verts), tuple(edges)
    for h in halfplanes:
        if h is True:
            continue
        if h is False:
            return None
        where, pos, _ = split_polygon(vs, es, h)
        if where == -1:
            return None
        if where == 2:
            vs, es = pos
    return vs, es


class PlanePieces:
    """The pieces of a level set or boundary in the unbounded cells of the whole plane, drawn in a box.

    Parameters
    ----------
    box : Fraction
        The regions' certified box (every vertex of the cells lies inside it).
    """

    def __init__(self, box: Fraction):
        self.certified = box
        self._box_keys = {unoriented_key(e) for e in square(box.numerator, box.denominator)[1]}
        self.intervals: list[Interval] = []
        self.flats: list[tuple[int, list[Line | bool]]] = []

    def own_edges(self, cell: Any) -> list[Line]:
        """Return an unbounded cell's edge lines that are not the box's sides: the cell is their intersection.

        Parameters
        ----------
        cell : Cell
            A cell of the whole plane's regions.

        Returns
        -------
        list of Line
            Oriented with the cell on the positive side.
        """
        return [e for e in cell.edges if unoriented_key(e) not in self._box_keys]

    def add_line(self, line: Line, halfplanes: Sequence[Line | bool]) -> None:
        """Cut ``line`` by ``halfplanes`` (:func:`line_interval`) and keep what is left."""
        got = line_interval(line, halfplanes)
        if got is not None:
            self.intervals.append((line, *got))

    def add_flat(self, index: int, halfplanes: Sequence[Line | bool]) -> None:
        """Keep a full-dimensional piece of cell ``index``: where ``halfplanes`` hold (drawn later)."""
        self.flats.append((index, list(halfplanes)))

    def box(self) -> Fraction:
        """Return ``certified * 2^k``, the least holding every finite end and a point of every piece inside.

        Returns
        -------
        Fraction
        """
        far = Fraction(0)
        for line, lo, hi in self.intervals:
            for p in (lo, hi) if lo is not None or hi is not None else (_foot(line),):
                if p is not None:
                    x, y = point_to_fractions(p)
                    far = max(far, abs(x), abs(y))
        half = self.certified
        while half <= far:
            half *= 2
        return half

    def segments(self, half: Fraction) -> list[tuple[Line, Point, Point]]:
        """Return the pieces cut at the square ``[-half, half]^2``: ``(line, low end, high end)`` each."""
        sides = square(half.numerator, half.denominator)[1]
        out = []
        for line, lo, hi in self.intervals:
            got = line_interval(line, sides)
            if got is None:
                continue
            blo, bhi = got
            lo = blo if lo is None or compare_along(line, blo, lo) > 0 else lo
            hi = bhi if hi is None or compare_along(line, bhi, hi) < 0 else hi
            if compare_along(line, lo, hi) <= 0:
                out.append((line, lo, hi))
        return out

    def flat_polygons(self, half: Fraction) -> list[tuple[int, tuple[Point, ...], tuple[Line, ...]]]:
        """Return the full-dimensional pieces in ``[-half, half]^2``: ``(cell index, verts, edges)`` each."""
        out = []
        for index, halfplanes in self.flats:
            got = clip_polygon(*square(half.numerator, half.denominator), halfplanes)
            if got is not None:
                out.append((index, *got))
        return out


def _foot(line: Line) -> Point:
    """Return the point of ``line`` nearest the origin, exactly."""
    a, b, c = line
    n = a * a + b * b  # (x, y) = -c (a, b) / (a^2 + b^2)
    return (-c * a, -c * b, n)

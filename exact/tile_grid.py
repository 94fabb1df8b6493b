"""Rectangular tiles of a rectangular window, and the seams between them.

:func:`exact.count_regions` and :func:`exact.regions` with ``tiles=`` cut the window into
closed rectangles, columns of tiles that hold about the same number of cells
(:mod:`exact.tile_balance`) or an even grid (:func:`grid_tiles`), compute each tile on its
own, and join the results along the seams (:func:`seam_segments`).  A tile with too many
cells is cut into four (:meth:`Tile.quarters`), so the tiles of a run need not form a grid:
a seam is any segment of positive length shared by two tiles, one on each side.  All
coordinates are exact :class:`~fractions.Fraction` values.

Sides of a tile are numbered counter-clockwise from the bottom, as
:func:`exact.windows.rectangle_window` orders its edges: 0 bottom (``y = y0``), 1 right
(``x = x1``), 2 top (``y = y1``), 3 left (``x = x0``).

Examples
--------
>>> tiles = grid_tiles((Fraction(-1), Fraction(1), Fraction(0), Fraction(1)), 2, 1)
>>> [str(t) for t in tiles]
['[-1, 0] x [0, 1]', '[0, 1] x [0, 1]']
>>> seam_segments(tiles)          # x = 0 between them, for 0 <= y <= 1
[Seam(low=0, high=1, axis=0, at=Fraction(0, 1), lo=Fraction(0, 1), hi=Fraction(1, 1))]
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, NamedTuple, cast

from .errors import InputError, InputTypeError
from .predicates import Line, Point, compare_along, intersect_lines, point_from_xy, side
from .windows import ConvexWindow, rectangle_window

__all__ = ["MAX_TILES", "Seam", "Tile", "check_tile_cells", "check_tiles", "grid_tiles", "pieces_overlap",
           "seam_piece", "seam_segments"]

MAX_TILES = 4096
"""The most tiles a grid may have (``nx * ny``): a guard against a typo such as ``tiles=10**6``."""


@dataclass(frozen=True)
class Tile:
    """A closed rectangle ``[x0, x1] x [y0, y1]`` of the window, and how often it was cut.

    Attributes
    ----------
    x0, x1, y0, y1 : Fraction
        Exact bounds, ``x0 < x1`` and ``y0 < y1``.
    depth : int
        0 for a tile of the first grid, ``d + 1`` for a quarter of a tile of depth ``d``.
    """

    x0: Fraction
    x1: Fraction
    y0: Fraction
    y1: Fraction
    depth: int = 0

    @property
    def window(self) -> ConvexWindow:
        """The tile as a rectangle window (for the engines)."""
        return rectangle_window(self.x0, self.x1, self.y0, self.y1)

    def quarters(self) -> tuple[Tile, Tile, Tile, Tile]:
        """Cut the tile at its midpoints into four tiles one level deeper.

        Returns
        -------
        tuple of 4 Tile
            Bottom left, bottom right, top left, top right.

        Examples
        --------
        >>> [str(q) for q in Tile(Fraction(0), Fraction(1), Fraction(0), Fraction(2)).quarters()][:2]
        ['[0, 1/2] x [0, 1]', '[1/2, 1] x [0, 1]']
        """
        xm, ym, d = (self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2, self.depth + 1
        return (Tile(self.x0, xm, self.y0, ym, d), Tile(xm, self.x1, self.y0, ym, d),
                Tile(self.x0, xm, ym, self.y1, d), Tile(xm, self.x1, ym, self.y1, d))

    def seam_sides(self, bounds: tuple[Fraction, Fraction, Fraction, Fraction]) -> tuple[bool, ...]:
        """Tell which sides are seams (inside the window) rather than the window's border.

        Parameters
        ----------
        bounds : (xmin, xmax, ymin, ymax)
            The window the tile belongs to.

        Returns
        -------
        tuple of 4 bool
            For sides 0 (bottom), 1 (right), 2 (top), 3 (left).

        Examples
        --------
        >>> Tile(Fraction(0), Fraction(1), Fraction(0), Fraction(1)).seam_sides((0, 2, 0, 1))
        (False, True, False, False)
        """
        x0, x1, y0, y1 = bounds
        return self.y0 > y0, self.x1 < x1, self.y1 < y1, self.x0 > x0

    def __str__(self) -> str:
        return f"[{self.x0}, {self.x1}] x [{self.y0}, {self.y1}]"


class Seam(NamedTuple):
    """A segment of positive length shared by two tiles.

    Attributes
    ----------
    low, high : int
        Indices of the tiles below / left of it (``low``) and above / right of it (``high``).
    axis : int
        0 for a vertical seam ``x = at`` (``low`` touches it with side 1, ``high`` with
        side 3), 1 for a horizontal seam ``y = at`` (sides 2 and 0).
    at : Fraction
        The seam's line.
    lo, hi : Fraction
        Its extent along the line (``y`` for a vertical seam, ``x`` for a horizontal one).
    """

    low: int
    high: int
    axis: int
    at: Fraction
    lo: Fraction
    hi: Fraction

    @property
    def line(self) -> Line:
        """The seam's integer line, directed from ``lo`` to ``hi``.

        Its direction ``(-b, a)`` is the one :func:`~exact.predicates.compare_along` orders by.
        """
        n, d = self.at.numerator, self.at.denominator
        return (d, 0, -n) if self.axis == 0 else (0, -d, n)

    @property
    def ends(self) -> tuple[Point, Point]:
        """The seam's ends, at ``lo`` and at ``hi``, as exact homogeneous points."""
        if self.axis == 0:
            return point_from_xy(self.at, self.lo), point_from_xy(self.at, self.hi)
        return point_from_xy(self.lo, self.at), point_from_xy(self.hi, self.at)


def check_tiles(tiles: Any) -> tuple[int, int]:
    """Validate ``tiles=``: ``n`` for an ``n x n`` grid, or ``(nx, ny)``.

    Parameters
    ----------
    tiles : int or (int, int)
        Tiles across the window: positive integers, ``nx * ny <= MAX_TILES``.

    Returns
    -------
    (int, int)
        Tiles along ``x`` and along ``y``.

    Raises
    ------
    InputTypeError
        For a bool, a float or another type.
    InputError
        For a count below 1, a pair of the wrong length, or more than :data:`MAX_TILES`.

    Examples
    --------
    >>> check_tiles(3), check_tiles((4, 2))
    ((3, 3), (4, 2))
    >>> check_tiles(0)
    Traceback (most recent call last):
    ...
    exact.errors.InputError: tiles must be a positive integer n (an n x n grid) or a pair (nx, ny), got 0
    """
    what = "tiles must be a positive integer n (an n x n grid) or a pair (nx, ny)"
    pair = tuple(tiles) if isinstance(tiles, (tuple, list)) else (tiles, tiles)
    if len(pair) != 2:
        raise InputError(f"{what}, got {tiles!r}")
    if any(isinstance(v, bool) or type(v).__name__ == "bool_" or not hasattr(v, "__index__") for v in pair):
        raise InputTypeError(f"{what} of integers, got {tiles!r}")
    pair = tuple(operator.index(v) for v in pair)  # numpy integers too, as plain ints
    if min(pair) < 1:
        raise InputError(f"{what}, got {tiles!r}")
    if pair[0] * pair[1] > MAX_TILES:
        raise InputError(f"tiles={tiles!r} asks for {pair[0] * pair[1]:,} tiles, more than {MAX_TILES:,} "
                         "(each tile costs a few milliseconds whatever its size, and big tiles are cut "
                         "in four anyway)")
    return pair[0], pair[1]


def check_tile_cells(tile_cells: Any) -> None:
    """Validate ``tile_cells=``: the most cells a tile may hold before it is cut into four.

    Parameters
    ----------
    tile_cells : int or None
        A positive integer, or ``None`` (tiles are never cut).

    Raises
    ------
    InputTypeError
        For a bool or a value that is not an integer.
    InputError
        For an integer below 1.

    Examples
    --------
    >>> check_tile_cells(100_000), check_tile_cells(None)
    (None, None)
    >>> check_tile_cells(0)
    Traceback (most recent call last):
    ...
    exact.errors.InputError: tile_cells must be a positive integer or None, got 0
    """
    if tile_cells is None:
        return
    if isinstance(tile_cells, bool) or not isinstance(tile_cells, int):
        raise InputTypeError(f"tile_cells must be a positive integer or None, got {tile_cells!r}")
    if tile_cells < 1:
        raise InputError(f"tile_cells must be a positive integer or None, got {tile_cells!r}")


def grid_tiles(bounds: tuple[Fraction, Fraction, Fraction, Fraction], nx: int, ny: int) -> list[Tile]:
    """Cut the rectangle ``bounds`` into an ``nx`` by ``ny`` grid of equal tiles.

    Parameters
    ----------
    bounds : (xmin, xmax, ymin, ymax)
        The window, exact.
    nx, ny : int
        Tiles along ``x`` and ``y``.

    Returns
    -------
    list of Tile
        Row by row from the bottom left, depth 0.

    Examples
    --------
    >>> len(grid_tiles((Fraction(-2), Fraction(2), Fraction(-2), Fraction(2)), 3, 2))
    6
    """
    x0, x1, y0, y1 = (Fraction(v) for v in bounds)
    xs = [x0 + (x1 - x0) * i / nx for i in range(nx + 1)]
    ys = [y0 + (y1 - y0) * j / ny for j in range(ny + 1)]
    return [Tile(xs[i], xs[i + 1], ys[j], ys[j + 1]) for j in range(ny) for i in range(nx)]


def seam_segments(tiles: list[Tile]) -> list[Seam]:
    """Find every segment of positive length shared by two tiles of a partition.

    Parameters
    ----------
    tiles : list of Tile
        Closed rectangles with disjoint interiors.

    Returns
    -------
    list of Seam
        One per pair of tiles sharing a segment, with its exact extent.

    Notes
    -----
    Tiles are grouped by the lines of their sides; on each line the tiles ending there
    are paired with the tiles starting there whose extents overlap (``O(T log T + S)`` for
    ``T`` tiles and ``S`` seams on well-spread tiles).

    Examples
    --------
    Three quarters of ``[0, 2]^2`` and the four quarters of the fourth, ``[0, 1]^2``:

    >>> tiles = list(Tile(Fraction(0), Fraction(2), Fraction(0), Fraction(2)).quarters()[1:])
    >>> tiles += Tile(Fraction(0), Fraction(1), Fraction(0), Fraction(1)).quarters()
    >>> seams = seam_segments(tiles)
    >>> len(seams), [(s.low, s.high, str(s.at), str(s.lo), str(s.hi)) for s in seams if s.high == 0]
    (10, [(4, 0, '1', '0', '1/2'), (6, 0, '1', '1/2', '1')])
    """
    out: list[Seam] = []
    for axis in (0, 1):
        ends: dict[Fraction, list[tuple[Fraction, Fraction, int]]] = {}
        starts: dict[Fraction, list[tuple[Fraction, Fraction, int]]] = {}
        for k, t in enumerate(tiles):
            lo_side, hi_side, span = ((t.x0, t.x1, (t.y0, t.y1)) if axis == 0 else (t.y0, t.y1, (t.x0, t.x1)))
            ends.setdefault(hi_side, []).append((*span, k))
            starts.setdefault(lo_side, []).append((*span, k))
        for at in sorted(ends):
            lows, highs = sorted(ends[at]), sorted(starts.get(at, []))
            i = j = 0
            while i < len(lows) and j < len(highs):
                (a0, a1, ka), (b0, b1, kb) = lows[i], highs[j]
                lo, hi = max(a0, b0), min(a1, b1)
                if lo < hi:
                    out.append(Seam(ka, kb, axis, at, lo, hi))
                if a1 <= b1:
                    i += 1
                else:
                    j += 1
    return out


def seam_piece(seam: Seam, constraints: Iterable[Line]) -> tuple[Point, Point] | None:
    """Clip the seam to closed half-planes: the piece of it where every ``a x + b y + c >= 0``.

    Parameters
    ----------
    seam : Seam
    constraints : iterable of Line
        Integer lines ``(a, b, c)``, e.g. a cell's constraints
        (:func:`exact.plane_location.pattern_constraints`).

    Returns
    -------
    (Point, Point) or None
        The piece's ends, ordered from the seam's ``lo`` to its ``hi``; ``None`` when the
        piece is empty or a single point.

    Notes
    -----
    Every decision is an exact predicate: the side of each end (:func:`~exact.predicates.side`),
    and a cut where a constraint's line crosses the piece strictly inside
    (:func:`~exact.predicates.intersect_lines`).  ``O(k)`` for ``k`` constraints.

    Examples
    --------
    >>> seam = Seam(0, 1, 0, Fraction(0), Fraction(-1), Fraction(1))       # x = 0, -1 <= y <= 1
    >>> seam_piece(seam, [(1, 2, 0)])                                      # x + 2 y >= 0: y >= 0
    ((0, 0, 1), (0, 1, 1))
    >>> seam_piece(seam, [(0, 1, 0), (0, -1, 0)]) is None                  # y = 0: one point
    True
    """
    p, q = seam.ends
    for c in constraints:
        sp, sq = side(c, p), side(c, q)
        if sp >= 0 and sq >= 0:
            continue
        if sp <= 0 and sq <= 0:  # nothing left, or one end only
            return None
        # the ends lie strictly on both sides, so the lines are not parallel: one crossing, inside
        cut = cast(Point, intersect_lines(c, seam.line))
        p, q = (cut, q) if sp < 0 else (p, cut)
    return p, q


def pieces_overlap(seam: Seam, a: tuple[Point, Point], b: tuple[Point, Point]) -> bool:
    """Tell whether two pieces of a seam (from :func:`seam_piece`) share a segment of positive length.

    Parameters
    ----------
    seam : Seam
    a, b : (Point, Point)
        Pieces of the seam, each ordered from the seam's ``lo`` to its ``hi``.

    Returns
    -------
    bool
        Each starts strictly before the other ends (:func:`~exact.predicates.compare_along`).

    Examples
    --------
    >>> seam = Seam(0, 1, 1, Fraction(0), Fraction(0), Fraction(3))       # y = 0, 0 <= x <= 3
    >>> one, two, three = ((k, 0, 1) for k in (1, 2, 3))
    >>> pieces_overlap(seam, ((0, 0, 1), two), (one, three))   # [0, 2] and [1, 3]
    True
    >>> pieces_overlap(seam, ((0, 0, 1), one), (one, two))     # [0, 1] and [1, 2]: one point
    False
    """
    line = seam.line
    return compare_along(line, a[0], b[1]) < 0 and compare_along(line, b[0], a[1]) < 0

"""Exact level sets {f = c} and decision boundaries of a network's output, cell by cell.

On each exact cell the output is an exact affine map, so the level set there is the
line ``a x + b y + (o - c) = 0`` clipped to the cell's convex polygon, and the
decision boundary of a classifier is made of the lines ``f_i = f_j`` clipped to the
cell and to where both outputs are maximal.  Every clip is decided by the exact
predicates of :mod:`exact.predicates`; endpoints are exact rationals.  Pieces found in
two cells (a piece lying on their common edge) and collinear pieces that continue
across a cell boundary are merged, so each result is a set of maximal segments that
does not depend on how the plane was cut into cells.

Examples
--------
>>> from exact import regions
>>> r = regions([([[1, 0], [-1, 0]], [0, 0]), ([[1, 1]], [-1])], window=2)   # |x| - 1
>>> ls = level_set(r, c=0)
>>> ls.segments[0]
((Fraction(-1, 1), Fraction(-2, 1)), (Fraction(-1, 1), Fraction(2, 1)))
>>> len(ls), ls.length
(2, 8.0)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from functools import cmp_to_key
from typing import Any

from .array_input import decimal_fraction
from .errors import InputError, InputTypeError
from .json_numbers import exact_number_text, fraction_text
from .plane_pieces import PlanePieces, clip_polygon
from .predicates import (
    Line,
    Point,
    compare_along,
    intersect_lines,
    line_from_fractions,
    point_from_xy,
    point_in_polygon,
    point_to_fractions,
    side,
    to_fraction,
    unoriented_key,
)

__all__ = ["LevelSet", "decision_boundary", "level_set", "output_maps"]

XY = tuple[Fraction, Fraction]
_Map = tuple[Fraction, Fraction, Fraction]  # a x + b y + o
_Flat = tuple[int, Sequence[Point], Sequence[Line]]  # a full-dimensional piece: cell index, polygon


class LevelSet:
    """An exact piecewise-linear curve in the plane: a level set or a decision boundary.

    Attributes
    ----------
    kind : str
        ``"level set"`` or ``"decision boundary"``.
    level : Fraction or None
        The level ``c`` of ``{f = c}``; ``None`` for the decision boundary of a net with
        several outputs.
    output : int or None
        The output ``f`` is taken from; ``None`` for a multi-output decision boundary.
    segments : tuple of ((Fraction, Fraction), (Fraction, Fraction))
        Maximal segments with exact endpoints, each ordered along its line; two
        segments share at most an endpoint.
    points : tuple of (Fraction, Fraction)
        Isolated points of the set (e.g. a strict local minimum of ``f`` at level ``c``),
        on no segment and in no flat piece.
    flat_pieces : tuple of (int, tuple of (Fraction, Fraction))
        Full-dimensional parts: ``(cell index, exact polygon vertices)``.  For a level set,
        the cells where ``f`` is constant and equal to ``c`` (the whole cell lies in the
        set); for a decision boundary, the parts of cells where two outputs that are
        equal on the whole cell are both maximal (a tie on an area, where the arg max
        does not change and so no boundary is drawn).  Segments may run along their
        sides.
    box : Fraction or None
        For regions of the whole plane (``window=None``), the half-width of the box
        ``[-box, box]^2`` the set is cut at: the regions' certified box, doubled until it
        holds every end and bend of the set and a point of each of its pieces strictly
        inside (an unbounded cell is cut by its own edges, not the certified box), so the
        set goes on for ever past each of its :attr:`ends_beyond_box`; ``None`` in a window.

    Examples
    --------
    >>> from exact import regions
    >>> r = regions([([[1, 0]], [0]), ([[1]], [0])], window=1)     # f = relu(x)
    >>> ls = r.level_set(0)
    >>> ls.segments                        # the edge x = 0 of the flat half
    (((Fraction(0, 1), Fraction(-1, 1)), (Fraction(0, 1), Fraction(1, 1))),)
    >>> [r.cells[k].pattern for k, _ in ls.flat_pieces]     # the half x <= 0, where f = 0
    [(0,)]
    """

    def __init__(self, kind: str, level: Fraction | None, output: int | None,
                 segments: Sequence[tuple[Point, Point]], points: Sequence[Point],
                 flat_pieces: Sequence[tuple[int, Sequence[Point]]], box: Fraction | None = None):
        self.kind = kind
        self.box = box
        self.level = level
        self.output = output
        self.segments: tuple[tuple[XY, XY], ...] = tuple(
            (point_to_fractions(p), point_to_fractions(q)) for p, q in segments)
        self.points: tuple[XY, ...] = tuple(point_to_fractions(p) for p in points)
        self.flat_pieces: tuple[tuple[int, tuple[XY, ...]], ...] = tuple(
            (k, tuple(point_to_fractions(v) for v in vs)) for k, vs in flat_pieces)

    def __len__(self) -> int:
        return len(self.segments)

    def __repr__(self) -> str:
        what = (f"level={exact_number_text(self.level)}, output={self.output}" if self.level is not None
                else "arg max")  # a huge level in short exact text (1e+400)
        return (f"LevelSet({self.kind}, {what}, segments={len(self.segments)}, points={len(self.points)}, "
                f"flat_pieces={len(self.flat_pieces)})")

    @property
    def ends_beyond_box(self) -> int:
        """How many segment ends lie on the sides of :attr:`box`, where the set goes on (0 in a window)."""
        if self.box is None:
            return 0
        return sum(abs(x) == self.box or abs(y) == self.box for seg in self.segments for x, y in seg)

    @property
    def length(self) -> float:
        """Total length of the segments, as a float (``math.inf`` beyond the float range).

        In the whole plane this is the length inside :attr:`box`: the set goes on past
        each of its :attr:`ends_beyond_box`.
        """
        total = 0.0
        for (x0, y0), (x1, y1) in self.segments:
            try:
                total += math.hypot(float(x1 - x0), float(y1 - y0))
            except OverflowError:
                return math.inf
        return total

    def to_shapely(self):
        """Return the segments as a shapely ``MultiLineString`` (float coordinates).

        Returns
        -------
        shapely.MultiLineString
            One two-point line per segment; :attr:`points` and :attr:`flat_pieces` are
            not in it.

        Raises
        ------
        InputError
            A segment end beyond the float range.

        Examples
        --------
        >>> from exact import regions
        >>> r = regions([([[1, 0], [-1, 0]], [0, 0]), ([[1, 1]], [-1])], window=2)
        >>> r.level_set(0).to_shapely().length
        8.0
        """
        import shapely

        try:
            return shapely.MultiLineString([[(float(x), float(y)) for x, y in s] for s in self.segments])
        except OverflowError:
            raise InputError("to_shapely: a segment end is beyond the float range, which shapely's "
                             "coordinates cannot hold; use .segments (exact Fractions)") from None

    def as_dict(self) -> dict:
        """Return the set as JSON-ready exact strings.

        Returns
        -------
        dict
            ``kind``, ``level`` and ``output`` (strings/ints or None), ``segments`` (pairs
            of ``[x, y]`` exact strings such as ``"1/3"``), ``points``, ``flat_cells``
            (cell indices), ``flat_pieces`` (exact polygons), ``length`` (float; None beyond
            the float range), and in the whole plane ``box`` (exact string, else None) and
            ``ends_beyond_box``.

        Examples
        --------
        >>> from exact import regions
        >>> r = regions([([[1, 0], [-1, 0]], [0, 0]), ([[1, 1]], [-1])], window=2)
        >>> r.level_set(0).as_dict()["segments"][1]
        [['1', '-2'], ['1', '2']]
        """
        def xy(p: XY) -> list[str]:
            return [fraction_text(p[0]), fraction_text(p[1])]

        return {
            "kind": self.kind,
            "level": None if self.level is None else fraction_text(self.level),
            "output": self.output,
            "segments": [[xy(p), xy(q)] for p, q in self.segments],
            "points": [xy(p) for p in self.points],
            "flat_cells": [k for k, _ in self.flat_pieces],
            "flat_pieces": [[xy(v) for v in vs] for _, vs in self.flat_pieces],
            "length": self.length if math.isfinite(self.length) else None,  # JSON has no Infinity
            "box": None if self.box is None else fraction_text(self.box),
            "ends_beyond_box": self.ends_beyond_box,
        }


def level_set(reg: Any, c: Any = 0, output: Any = 0) -> LevelSet:
    """Compute the exact level set ``{x : f_output(x) = c}`` of a :class:`~exact.Regions`.

    Parameters
    ----------
    reg : Regions
        The exact cells (this function reads ``reg.cells`` and ``reg.net.output_dim``).
    c : real, default 0
        The level, taken at its exact value (a float at its binary value; pass a
        ``Fraction`` or a ``Decimal`` for ``1/10``).
    output : int, default 0
        Which output of the network.

    Returns
    -------
    LevelSet
        Maximal segments with exact endpoints, isolated points, and the cells where
        ``f`` is constant and equal to ``c`` (:attr:`LevelSet.flat_pieces`, reported
        whole, never dropped).

    Raises
    ------
    InputError
        ``c`` NaN or infinite, ``output`` out of range.
    InputTypeError
        ``c`` not a real number, ``output`` not an integer.

    Notes
    -----
    On each cell the output is ``a x + b y + o``; the level set there is the line
    ``a x + b y + o - c = 0`` cut to the closed polygon: the vertices on the line and the
    crossings of edges whose ends lie strictly on opposite sides, of which the extreme
    two along the line are the segment's ends.  Cells with ``a = b = 0`` are flat.
    Pieces on one line are then merged into maximal segments.  In the whole plane
    (``window=None``) an unbounded cell's line is cut by the cell's own edges (its part
    beyond the certified box ``reg.box`` included), and the set is drawn in
    :attr:`LevelSet.box` (:mod:`exact.plane_pieces`).
    O(V log V) exact operations for V cell vertices in all, the maps from
    :func:`output_maps` (measured: 0.4 s for the 4667 cells of a 2-100-1 net, 18 s for
    466 031 cells of 2-1000-1, on a shared 2-core machine).

    Examples
    --------
    >>> from exact import regions
    >>> net = [([[1, 0], [-1, 0], [0, 1], [0, -1]], [0, 0, 0, 0]), ([[1, 1, 1, 1]], [0])]
    >>> r = regions(net, window=2)                       # f = |x| + |y|
    >>> level_set(r, 1).length == 4 * 2 ** 0.5           # the diamond |x| + |y| = 1
    True
    >>> level_set(r, 0).points                           # its minimum: one point
    ((Fraction(0, 1), Fraction(0, 1)),)
    """
    level = _check_level(c)
    k = _check_output(output, reg.net.output_dim)
    pieces: list[tuple[Line, Point, Point]] = []
    flats: list[tuple[int, Sequence[Point], Sequence[Line]]] = []
    plane = PlanePieces(reg.box) if reg.window is None else None  # unbounded cells: cut by their own edges
    for cell, rows in _cells_and_maps(reg, k, level):
        a, b, o = rows[k][0], rows[k][1], rows[k][2] - level
        outer = plane is not None and not cell.bounded
        if a == 0 and b == 0:
            if o == 0 and outer:
                plane.add_flat(cell.index, plane.own_edges(cell))
            elif o == 0:
                flats.append((cell.index, cell.verts, cell.edges))
            continue
        line = line_from_fractions(a, b, o)
        if outer:
            plane.add_line(line, plane.own_edges(cell))
            continue
        chord = _chord(cell.verts, cell.edges, line)
        if chord is not None:
            pieces.append((line, *chord))
    return _assemble(reg, "level set", level, k, pieces, flats, plane)


def decision_boundary(reg: Any) -> LevelSet:
    """Compute the exact decision boundary: where the arg max of the outputs changes.

    Parameters
    ----------
    reg : Regions
        The exact cells of a network (this function reads ``reg.cells`` and
        ``reg.net.output_dim``).

    Returns
    -------
    LevelSet
        For one output, the level set ``f = 0`` (the boundary of a sign classifier).  For
        several outputs, the points ``x`` where two outputs ``i, j`` are both maximal and
        ``f_i - f_j`` is not identically zero on a cell containing ``x``: exactly the points
        near which the arg max set is not constant, including cell edges where the
        class on one side differs from the class on the other.  Outputs equal on a
        whole cell tie there without a boundary; where they are maximal the part is
        reported in :attr:`LevelSet.flat_pieces`.

    Notes
    -----
    In each cell, outputs with equal affine maps are grouped; for each pair of groups the
    line ``f_i = f_j`` is cut to the closed cell, then to the half-planes
    ``f_i >= f_k`` of every other group, exactly.  O(m^3) clips per cell for ``m``
    outputs.  A point near which the arg max set ``A`` is not constant has ``i, j`` in
    ``A(x)`` with ``f_i - f_j`` nonzero on a cell touching ``x``, and conversely, so the
    set found is that boundary exactly.

    Examples
    --------
    >>> from exact import regions
    >>> eye = [[1, 0], [-1, 0], [0, 1], [0, -1]]
    >>> r = regions([(eye, [0, 0, 0, 0]), ([[1, -1, 0, 0], [0, 0, 1, -1]], [0, 0])], window=1)
    >>> decision_boundary(r).segments                      # f = (x, y): the diagonal
    (((Fraction(-1, 1), Fraction(-1, 1)), (Fraction(1, 1), Fraction(1, 1))),)
    """
    if reg.net.output_dim == 1:
        ls = level_set(reg, 0, 0)
        ls.kind = "decision boundary"
        return ls
    pieces: list[tuple[Line, Point, Point]] = []
    flats: list[tuple[int, Sequence[Point], Sequence[Line]]] = []
    plane = PlanePieces(reg.box) if reg.window is None else None  # unbounded cells: cut by their own edges
    for cell, rows in zip(reg.cells, output_maps(reg)):
        groups: dict[_Map, list[int]] = {}
        for i, m in enumerate(rows):
            groups.setdefault(m, []).append(i)
        maps = list(groups)
        own = plane.own_edges(cell) if plane is not None and not cell.bounded else None
        for g, members in enumerate(groups.values()):
            if len(members) > 1:
                others = [_halfplane(_diff(maps[g], m)) for m in maps if m != maps[g]]
                if own is not None:
                    plane.add_flat(cell.index, own + others)
                elif (piece := clip_polygon(cell.verts, cell.edges, others)) is not None:
                    flats.append((cell.index, *piece))
        for i in range(len(maps)):
            for j in range(i + 1, len(maps)):
                tie = _tie(maps, i, j)
                if tie is not None and own is not None:
                    plane.add_line(tie[0], own + tie[1])
                elif tie is not None:
                    pieces += _tie_piece(cell, *tie)
    return _assemble(reg, "decision boundary", None, None, pieces, flats, plane)


def _cells_and_maps(reg: Any, k: int, level: Fraction) -> Any:
    """Every cell with its exact maps; for certified cells, only those the floats leave near ``level``."""
    certified = getattr(reg, "certified", None)
    near = None if certified is None else certified.level_candidates(k, level)
    if near is None:
        if certified is not None:
            certified.resolve_all()
        return zip(reg.cells, output_maps(reg))
    near = near.tolist()
    if reg.window is None:  # an unbounded cell goes on past its vertices: the floats do not rule it out
        near = sorted({*near, *certified.on_border.nonzero()[0].tolist()})
    certified.resolve(near)  # the exact polygons and maps of these cells only
    cells = [reg.cells[i] for i in near]
    return zip(cells, [_rows(c.affine) for c in cells])


def output_maps(reg: Any) -> list[list[tuple[Fraction, Fraction, Fraction]]]:
    """Return every cell's exact output map, one ``(a, b, o)`` per output (``a x + b y + o``).

    Parameters
    ----------
    reg : Regions
        The exact cells (reads ``reg.cells``, ``reg.boundaries``, ``reg.net``).

    Returns
    -------
    list of list of (Fraction, Fraction, Fraction)
        ``maps[k][m]``: output ``m`` on cell ``k``.

    Notes
    -----
    With one hidden layer the cells' maps are made for all cells at once, carried across
    shared edges (:class:`exact.face_maps.FaceMaps`: ``O(outputs)`` integer work per
    cell); deeper nets' cells hold their maps already.

    Examples
    --------
    >>> from exact import regions
    >>> r = regions([([[1, 0], [-1, 0]], [0, 0]), ([[1, 1]], [0])], window=1)    # |x|
    >>> sorted(output_maps(r))
    [[(Fraction(-1, 1), Fraction(0, 1), Fraction(0, 1))], [(Fraction(1, 1), Fraction(0, 1), Fraction(0, 1))]]
    """
    if reg.face_maps is None:
        return [_rows(c.affine) for c in reg.cells]
    fm = reg.face_maps.maps
    d = fm.den
    return [[(Fraction(a, d), Fraction(b, d), Fraction(c, d)) for a, b, c in rows]
            for rows in fm.num]


def _rows(aff: Any) -> list[_Map]:
    return [(a, b, o) for (a, b), o in zip(aff.gradient, aff.offset)]


def _check_level(c: Any) -> Fraction:
    if getattr(c, "ndim", None) == 0 and hasattr(c, "item"):  # a 0-d array or tensor: its one value, as it is
        if bool(getattr(c, "mask", False)):  # .item() would drop the mask
            raise InputError(f"level c is masked, so it has no value: got {c!r}")
        c = c.item()
    if isinstance(c, Decimal):  # exactly, as a window's numbers
        return decimal_fraction(c, "level c")
    try:
        return to_fraction(c)
    except TypeError:  # (to_fraction's own text says the same again: "expected a real number, got ...")
        raise InputTypeError(f"level c must be a real number, got {type(c).__name__} {c!r}") from None
    except ValueError:
        raise InputError(f"level c must be finite, got {c!r}") from None


def _check_output(output: Any, n: int) -> int:
    if isinstance(output, bool) or not isinstance(output, int) and not hasattr(output, "__index__"):
        raise InputTypeError(f"output must be an integer index, got {output!r}")
    k = int(output.__index__())
    if not 0 <= k < n:
        raise InputError(f"output={output!r} is out of range: the network has {n} output(s)")
    return k


def _diff(p: _Map, q: _Map) -> _Map:
    return p[0] - q[0], p[1] - q[1], p[2] - q[2]


def _halfplane(m: _Map) -> Line | bool:
    """Return the integer line of ``m >= 0``; ``True``/``False`` for a constant ``m`` (always/never)."""
    if m[0] == 0 and m[1] == 0:
        return m[2] >= 0
    return line_from_fractions(*m)


def _tie(maps: list[_Map], i: int, j: int) -> tuple[Line, list[Line | bool]] | None:
    """Return the line ``maps[i] = maps[j]`` and the half-planes where ``maps[i]`` is at least each other map.

    None when the difference is a nonzero constant: never tied (equal maps were grouped).
    """
    d = _diff(maps[i], maps[j])
    if d[0] == 0 and d[1] == 0:
        return None
    sides = [_halfplane(_diff(maps[i], m)) for k, m in enumerate(maps) if k not in (i, j)]
    return line_from_fractions(*d), sides


def _tie_piece(cell: Any, line: Line, sides: list[Line | bool]) -> list[tuple[Line, Point, Point]]:
    """Find the part of the tie ``line`` in ``cell`` where every one of ``sides`` holds (0 or 1 piece)."""
    chord = _chord(cell.verts, cell.edges, line)
    if chord is None:
        return []
    p, q = chord
    for h in sides:
        if h is False:
            return []
        if h is not True:
            cut = _clip_segment(line, p, q, h)
            if cut is None:
                return []
            p, q = cut
    return [(line, p, q)]


def _chord(verts: Sequence[Point], edges: Sequence[Line], line: Line) -> tuple[Point, Point] | None:
    """Cut the closed convex polygon by ``line``: the two extreme points along the line, or None.

    Both ends are equal when the line only touches a vertex.
    """
    s = [side(line, v) for v in verts]
    if min(s) > 0 or max(s) < 0:
        return None
    n = len(verts)
    pts = [v for v, sv in zip(verts, s) if sv == 0]
    pts += [intersect_lines(line, edges[i]) for i in range(n) if s[i] * s[(i + 1) % n] < 0]
    key = cmp_to_key(lambda p, q: compare_along(line, p, q))
    return min(pts, key=key), max(pts, key=key)


def _clip_segment(line: Line, p: Point, q: Point, h: Line) -> tuple[Point, Point] | None:
    """Return the part of the segment ``p q`` on ``line`` where ``h >= 0``, or None."""
    sp, sq = side(h, p), side(h, q)
    if sp >= 0 and sq >= 0:
        return p, q
    if sp < 0 and sq < 0:
        return None
    r = intersect_lines(line, h)  # h changes sign strictly along the segment: not parallel
    return (r, q) if sp < 0 else (p, r)


def _normal_point(p: Point) -> Point:
    """Return the point in lowest terms (so that equal points are equal tuples)."""
    return point_from_xy(*point_to_fractions(p))


def _assemble(reg: Any, kind: str, level: Fraction | None, output: int | None,
              pieces: list[tuple[Line, Point, Point]], flats: list[_Flat], plane: PlanePieces | None = None
              ) -> LevelSet:
    """Merge the cells' pieces into maximal segments; keep the isolated points.

    In the whole plane, the unbounded cells' pieces (``plane``) are drawn in the box
    :meth:`~exact.plane_pieces.PlanePieces.box` picks; a decision boundary's flat pieces
    are no part of it, so a point of it in one is kept.
    """
    box = None if plane is None else plane.box()
    if plane is not None:
        pieces, flats = pieces + plane.segments(box), flats + plane.flat_polygons(box)
    by_line: dict[Line, list[tuple[Point, Point]]] = {}
    touches: set[Point] = set()
    for line, p, q in pieces:
        key = unoriented_key(line)
        c = compare_along(key, p, q)
        if c == 0:
            touches.add(_normal_point(p))
        else:
            by_line.setdefault(key, []).append((p, q) if c < 0 else (q, p))
    merged: dict[Line, list[tuple[Point, Point]]] = {k: _merge_on_line(k, v) for k, v in by_line.items()}
    points = [p for p in touches
              if not any(_on_segment(k, s, p) for k, segs in merged.items() for s in segs)
              and not (kind == "level set" and any(point_in_polygon(vs, es, p) >= 0 for _, vs, es in flats))]
    points.sort(key=point_to_fractions)
    segments = sorted((s for segs in merged.values() for s in segs),
                      key=lambda s: (point_to_fractions(s[0]), point_to_fractions(s[1])))
    return LevelSet(kind, level, output, segments, points, [(k, vs) for k, vs, _ in flats], box=box)


def _merge_on_line(key: Line, segs: list[tuple[Point, Point]]) -> list[tuple[Point, Point]]:
    """Union of closed intervals along one line (each given low end first), as maximal intervals."""
    segs.sort(key=cmp_to_key(lambda s, t: compare_along(key, s[0], t[0])))
    out = [list(segs[0])]
    for lo, hi in segs[1:]:
        cur = out[-1]
        if compare_along(key, lo, cur[1]) <= 0:
            if compare_along(key, hi, cur[1]) > 0:
                cur[1] = hi
        else:
            out.append([lo, hi])
    return [(_normal_point(lo), _normal_point(hi)) for lo, hi in out]


def _on_segment(key: Line, seg: tuple[Point, Point], p: Point) -> bool:
    return (side(key, p) == 0 and compare_along(key, seg[0], p) <= 0
            and compare_along(key, p, seg[1]) <= 0)

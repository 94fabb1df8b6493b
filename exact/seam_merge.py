"""Cells cut by tile seams, merged back into one exact polygon (for :func:`exact.regions` in tiles).

A cell of a net lying across a seam of :mod:`exact.tiled_counts` comes back as one piece per
tile, with the same pattern and output map; the cell is convex, so it is the convex hull of the
pieces' vertices, found with exact predicates only.

Examples
--------
>>> exact_hull({(0, 0, 1), (1, 0, 1), (1, 1, 1), (0, 1, 1), (1, 2, 2)})
((0, 0, 1), (1, 0, 1), (1, 1, 1), (0, 1, 1))
"""

from __future__ import annotations

import functools

from .layer_split import RawCell
from .predicates import Point, compare_along, side
from .windows import line_through

__all__ = ["exact_hull", "merged_cell"]


def merged_cell(pieces: list[RawCell]) -> RawCell:
    """Merge the pieces of one cell cut by seams: the exact convex hull of their vertices.

    Parameters
    ----------
    pieces : list of RawCell
        The pieces, all with the same pattern and output map (their union is convex).

    Returns
    -------
    RawCell
        The cell: the hull's vertices, counter-clockwise without straight angles, and the
        lines through consecutive ones.

    Examples
    --------
    >>> left = RawCell(((0, 0, 1), (1, 0, 1), (1, 1, 1), (0, 1, 1)), (), (1,), ((0, 0, 1),), 1)
    >>> right = RawCell(((1, 0, 1), (2, 0, 1), (2, 1, 1), (1, 1, 1)), (), (1,), ((0, 0, 1),), 1)
    >>> merged_cell([left, right]).verts
    ((0, 0, 1), (2, 0, 1), (2, 1, 1), (0, 1, 1))
    """
    verts = exact_hull({v for rc in pieces for v in rc.verts})
    edges = tuple(line_through(p, q) for p, q in zip(verts, verts[1:] + verts[:1]))
    rc = pieces[0]
    return RawCell(verts, edges, rc.pattern, rc.out, rc.out_den)


def exact_hull(points: set[Point]) -> tuple[Point, ...]:
    """Return the exact convex hull (monotone chain), counter-clockwise, without straight angles.

    Every decision is an exact predicate: the order of points by ``x`` then ``y``
    (:func:`~exact.predicates.compare_along`) and the turns (:func:`~exact.predicates.side`).

    Parameters
    ----------
    points : set of Point
        Homogeneous integer points ``(X, Y, D)``, ``D > 0``.

    Returns
    -------
    tuple of Point
        The hull's corners, counter-clockwise from the lowest ``x`` (then ``y``): points
        on its sides or inside are left out.

    Examples
    --------
    >>> exact_hull({(0, 0, 1), (2, 0, 1), (1, 0, 1), (0, 2, 1), (1, 1, 2)})
    ((0, 0, 1), (2, 0, 1), (0, 2, 1))
    """
    pts = sorted(points, key=functools.cmp_to_key(_xy_order))

    def chain(seq: list[Point]) -> list[Point]:
        out: list[Point] = []
        for p in seq:
            while len(out) >= 2 and side(line_through(out[-2], out[-1]), p) <= 0:
                out.pop()
            out.append(p)
        return out

    return tuple(chain(pts)[:-1] + chain(pts[::-1])[:-1])


def _xy_order(p: Point, q: Point) -> int:
    """Compare two points by ``x``, then by ``y``, exactly."""
    return compare_along((0, -1, 0), p, q) or compare_along((1, 0, 0), p, q)

"""Which cells share an edge, and the linear regions they form.

Edges are grouped by their supporting line; on each line the edges from the two sides
are intervals of the exact position along the line (floats order them, exact
comparisons settle float ties), and overlapping intervals of positive length are
shared boundaries.  Linear regions are the connected components of cells joined
across boundaries where the output's affine map does not change.

Examples
--------
>>> from exact import regions
>>> r = regions([([[1, 0], [-1, 0]], [0, 0]), ([[1, -1]], [0])], window=1.0)
>>> len(shared_edges(r.cells)), r.n_linear
(1, 1)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol

from .predicates import Line, Point, compare_along, position_along, unoriented_key

__all__ = ["PolygonCell", "component_labels", "merge_linear", "shared_edges"]


class PolygonCell(Protocol):
    """What this module reads of a cell (:class:`exact.Cell` has it).

    Attributes
    ----------
    index : int
        Position of the cell in its list (``cells[i].index == i``).
    verts : sequence of Point
        Counter-clockwise homogeneous vertices.
    edges : sequence of Line
        ``edges[i]`` supports the edge from ``verts[i]`` to ``verts[i + 1]``, oriented
        with the cell on its positive side.

    Examples
    --------
    >>> from exact import regions
    >>> cell = regions([([[1, 0]], [0]), ([[1]], [0])], window=1.0).cells[0]
    >>> cell.index, len(cell.verts), len(cell.edges)   # a half of the square [-1, 1]^2
    (0, 4, 4)
    """

    index: int
    verts: Sequence[Point]
    edges: Sequence[Line]


def shared_edges(cells: Sequence[PolygonCell]) -> list[tuple[int, int, Point, Point]]:
    """Find the pairs of cells that share a boundary segment of positive length, with the segment.

    Parameters
    ----------
    cells : sequence of PolygonCell
        Cells of one subdivision, ``cells[i].index == i``, edges oriented with the cell
        on their positive side.

    Returns
    -------
    list of (int, int, Point, Point)
        ``(i, j, p, q)``: cell ``i`` (on the positive side of the common line's
        canonical key) and cell ``j`` share the segment from ``p`` to ``q``, ordered
        along the line.

    Notes
    -----
    Edges are grouped by their supporting line (exact canonical key); on each line the
    edges from the two sides are intervals of the position ``t`` along the line.  Float
    values of ``t`` (correctly rounded, so order-preserving) order and compare them; any
    comparison between equal floats is redone exactly.  O(E log E) for E edges.

    Examples
    --------
    >>> from exact import regions
    >>> r = regions([([[1, 0], [-1, 0]], [0, 0]), ([[1, -1]], [0])], window=1.0)
    >>> shared_edges(r.cells)                  # the two halves x > 0, x < 0 share x = 0
    [(1, 0, (0, -1, 1), (0, 1, 1))]
    """
    groups: dict[Line, tuple[list, list]] = {}
    for c in cells:
        n = len(c.verts)
        for i, e in enumerate(c.edges):
            key = unoriented_key(e)
            a, b, _ = key
            p, q = c.verts[i], c.verts[(i + 1) % n]
            fp, fq = _monotone_div(-b * p[0] + a * p[1], p[2]), _monotone_div(-b * q[0] + a * q[1], q[2])
            if fp < fq or (fp == fq and compare_along(key, p, q) < 0):
                rec = (fp, fq, c.index, p, q, key)
            else:
                rec = (fq, fp, c.index, q, p, key)
            side = 0 if _same_orientation(e, key) else 1
            groups.setdefault(key, ([], []))[side].append(rec)
    out = []
    for plus, minus in groups.values():
        if not plus or not minus:
            continue
        _sort_exact(plus)
        _sort_exact(minus)
        i = j = 0
        while i < len(plus) and j < len(minus):
            a, b = plus[i], minus[j]
            c_lo = _cmp_t(a[0], a[3], b[0], b[3], a[5])  # sign of a.lo - b.lo
            c_hi = _cmp_t(a[1], a[4], b[1], b[4], a[5])  # sign of a.hi - b.hi
            lo_f, lo_p = (a[0], a[3]) if c_lo >= 0 else (b[0], b[3])
            hi_f, hi_p = (a[1], a[4]) if c_hi <= 0 else (b[1], b[4])
            if _cmp_t(lo_f, lo_p, hi_f, hi_p, a[5]) < 0:
                out.append((a[2], b[2], lo_p, hi_p))
            if c_hi <= 0:
                i += 1
            else:
                j += 1
    return out


def _monotone_div(n: int, d: int) -> float:
    """Round ``n / d`` to a float, or to an infinity of its sign when beyond the float range.

    Rounding stays monotone, so float order never contradicts the exact one; equal floats,
    infinities included, are compared exactly.
    """
    try:
        return n / d
    except OverflowError:
        return math.inf if (n > 0) == (d > 0) else -math.inf


def _cmp_t(f1: float, p1: Point, f2: float, p2: Point, key: Line) -> int:
    """Exact sign of t(p1) - t(p2) along ``key``; the floats decide unless they are equal."""
    if f1 != f2:
        return -1 if f1 < f2 else 1
    return compare_along(key, p1, p2)


def _sort_exact(recs: list) -> None:
    """Sort interval records by their start, exactly (floats first, exact within float ties)."""
    recs.sort(key=lambda r: r[0])
    k = 0
    while k < len(recs):
        m = k + 1
        while m < len(recs) and recs[m][0] == recs[k][0]:
            m += 1
        if m - k > 1:
            key = recs[k][5]
            recs[k:m] = sorted(recs[k:m], key=lambda r: position_along(key, r[3]))
        k = m


def _same_orientation(e: Line, key: Line) -> bool:
    """Tell whether ``e`` and ``key`` (the same line) have the same positive side."""
    for u, v in zip(e, key):
        if v != 0:
            return (u > 0) == (v > 0)
    return True


def component_labels(n: int, pairs) -> list[int]:
    """Label the connected components of ``n`` items joined by index pairs.

    Parameters
    ----------
    n : int
        Number of items ``0 .. n-1``.
    pairs : iterable of (int, int)
        Items joined by an edge.

    Returns
    -------
    list of int
        The component label of each item: ``0, 1, ...`` in order of first appearance.

    Notes
    -----
    Union-find with path halving; nearly linear in ``n`` plus the number of pairs.

    Examples
    --------
    >>> component_labels(5, [(0, 3), (3, 4)])
    [0, 1, 2, 0, 0]
    """
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in pairs:
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)
    labels: dict[int, int] = {}
    return [labels.setdefault(find(i), len(labels)) for i in range(n)]


def merge_linear(cells: Sequence[PolygonCell], shared: list[tuple[int, int, Point, Point]],
                  same_map: list[bool]) -> int:
    """Set each cell's ``linear_region`` and return the number of linear regions.

    Linear regions are the connected components of cells joined across boundaries with
    the same affine map on both sides.

    Parameters
    ----------
    cells : sequence of PolygonCell
        The cells; each gets an attribute ``linear_region`` (an int label).
    shared : list of (int, int, Point, Point)
        The shared boundaries, as :func:`shared_edges` gives them.
    same_map : list of bool
        For each shared boundary, whether the output's map is the same on both sides.

    Returns
    -------
    int
        The number of linear regions.

    Examples
    --------
    >>> from exact import regions
    >>> r = regions([([[1, 0], [-1, 0]], [0, 0]), ([[1, -1]], [0])], window=1.0)
    >>> merge_linear(r.cells, shared_edges(r.cells), [False]), [c.linear_region for c in r.cells]
    (2, [0, 1])
    """
    labels = component_labels(len(cells), [(i, j) for (i, j, _, _), same in zip(shared, same_map) if same])
    for c in cells:
        c.linear_region = labels[c.index]
    return max(labels, default=-1) + 1

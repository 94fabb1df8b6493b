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

import numpy as np

from .predicates import Line, Point, compare_along, position_along, unoriented_key

__all__ = ["PolygonCell", "component_label_array", "component_labels", "merge_linear", "shared_edges"]


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
    :func:`component_label_array` on the pairs as arrays.

    Examples
    --------
    >>> component_labels(5, [(0, 3), (3, 4)])
    [0, 1, 2, 0, 0]
    """
    ij = np.array([(int(i), int(j)) for i, j in pairs], dtype=np.int64).reshape(-1, 2)
    return component_label_array(n, ij[:, 0], ij[:, 1]).tolist()


def component_label_array(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Label the connected components of ``n`` items joined by ``a[k]``--``b[k]``, in numpy.

    Parameters
    ----------
    n : int
        Number of items ``0 .. n-1``.
    a, b : ndarray of int
        The two ends of each edge.

    Returns
    -------
    ndarray of int64, shape (n,)
        The component label of each item: ``0, 1, ...`` in order of first appearance.

    Notes
    -----
    Every item points to an item of its component with an index no larger; each round
    hooks, across every edge whose ends still point to different items, the larger of
    the two onto the smaller, then jumps pointers until each points to a root.  No edge
    joins two roots at the end, so each component has one root, its smallest item, and
    components are labelled in the order of their roots.  A few rounds of ``O(n + m)``
    numpy work in practice (the rounds are bounded by ``n``: each hooks at least one root).

    Examples
    --------
    >>> component_label_array(5, np.array([3, 4]), np.array([0, 3])).tolist()
    [0, 1, 2, 0, 0]
    """
    lab = np.arange(n, dtype=np.int64)
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    while True:
        la, lb = lab[a], lab[b]
        apart = la != lb
        if not apart.any():
            break
        la, lb = la[apart], lb[apart]
        np.minimum.at(lab, np.maximum(la, lb), np.minimum(la, lb))
        while True:
            up = lab[lab]
            if np.array_equal(up, lab):
                break
            lab = up
    return np.unique(lab, return_inverse=True)[1].astype(np.int64).ravel()


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

"""Areas of many exact polygons at array speed: a float filter with a rigorous bound, exact where it matters.

The shoelace sum of every polygon is computed in floats, all polygons at once, with an a
priori bound on its error (Higham 2002, §3.1).  A question about the areas is answered
from the floats where the bounds separate the candidates, and by the exact area
(:func:`polygon_area`) of the few polygons they do not.
:func:`vertex_float_areas` does the same from float vertices known within a bound (certified
cells, a line arrangement's vertex table), and :func:`area_candidates` picks the polygons
that may hold the exact extremes.

Examples
--------
>>> square = [(0, 0, 1), (1, 0, 1), (1, 1, 1), (0, 1, 1)]
>>> half = [(0, 0, 2), (1, 0, 2), (1, 1, 2), (0, 1, 2)]
>>> extreme_areas([square, half])
(Fraction(1, 4), Fraction(1, 1))
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np

from ._fp import SAFE, TINY, U
from .predicates import Point, shoelace_sum

__all__ = ["area_candidates", "extreme_areas", "float_areas", "polygon_area", "vertex_boxes",
           "vertex_float_areas"]

def polygon_area(verts: Sequence[Point]) -> Fraction:
    """Compute the exact area of a counter-clockwise polygon (shoelace formula).

    Parameters
    ----------
    verts : sequence of Point
        Vertices in counter-clockwise order (clockwise gives the negated area).

    Returns
    -------
    Fraction

    Examples
    --------
    >>> polygon_area([(0, 0, 1), (1, 0, 1), (1, 1, 2)])
    Fraction(1, 4)
    """
    num, den = shoelace_sum(verts)  # reduced once here (3x faster than summing Fractions)
    return Fraction(num, 2 * den)


_FAR = 2.0**500
"""Coordinates below this magnitude (and above 1/_FAR, or 0) keep every product in the normal range."""


def float_areas(polygons: Sequence[Sequence[Point]]) -> tuple[np.ndarray, np.ndarray] | None:
    """Return every polygon's area in floats and a rigorous bound on its error.

    Parameters
    ----------
    polygons : sequence of sequences of Point
        Counter-clockwise exact polygons, homogeneous vertices ``(X, Y, D)``.

    Returns
    -------
    (area, err) : pair of ndarray of float64, or None
        ``|area - exact area| <= err`` for every polygon; ``None`` when a coordinate is
        beyond the range where the bound holds (then only exact areas answer).

    Notes
    -----
    A coordinate ``X / D`` is rounded three times (``X``, ``D``, the quotient): relative
    error ``3u``; a product of two, ``7u``; the ``2m`` terms of an ``m``-gon add up with
    error at most ``gamma_{2m}`` times the sum of their magnitudes, in any order.

    Examples
    --------
    >>> area, err = float_areas([[(0, 0, 1), (1, 0, 3), (0, 1, 3)]])
    >>> bool(abs(area[0] - 1 / 18) <= err[0] < 1e-15)
    True
    """
    counts = np.fromiter((len(p) for p in polygons), dtype=np.int64, count=len(polygons))
    if not len(counts):
        return np.zeros(0), np.zeros(0)
    try:
        flat = np.array([v for p in polygons for v in p], dtype=np.float64).reshape(-1, 3)
    except OverflowError:
        return None
    x, y = flat[:, 0] / flat[:, 2], flat[:, 1] / flat[:, 2]
    mag = np.abs(np.concatenate([x, y]))
    if not np.all(np.isfinite(mag)) or mag.max() >= _FAR or np.any((mag > 0) & (mag <= 1 / _FAR)):
        return None
    starts = np.cumsum(counts) - counts
    nxt = np.arange(len(x)) + 1
    nxt[starts + counts - 1] = starts  # each polygon's last vertex is followed by its first
    a, b = x * y[nxt], x[nxt] * y
    twice = np.add.reduceat(a - b, starts)
    size = np.add.reduceat(np.abs(a) + np.abs(b), starts)
    m = 2 * counts
    gamma = m * U / (1 - m * U)
    err = ((7 * U + gamma * (1 + 7 * U)) * size * SAFE + TINY) / 2
    return twice / 2, err


def extreme_areas(polygons: Sequence[Sequence[Point]]) -> tuple[Fraction, Fraction] | None:
    """Return the exact smallest and largest areas of the polygons.

    Parameters
    ----------
    polygons : sequence of sequences of Point
        Counter-clockwise exact polygons.

    Returns
    -------
    (Fraction, Fraction) or None
        The smallest and largest exact areas; ``None`` for no polygons.

    Notes
    -----
    Exact areas are computed only for the polygons whose float interval reaches past the
    best bound (:func:`float_areas`), usually a handful; every polygon when the floats
    cannot hold the coordinates.

    Examples
    --------
    >>> extreme_areas([[(0, 0, 1), (3, 0, 1), (0, 3, 1)], [(0, 0, 1), (1, 0, 1), (0, 1, 1)]])
    (Fraction(1, 2), Fraction(9, 2))
    >>> extreme_areas([]) is None
    True
    """
    if not len(polygons):
        return None
    found = float_areas(polygons)
    if found is None:
        exact = [polygon_area(p) for p in polygons]
        return min(exact), max(exact)
    area, err = found
    lo, hi = area - err, area + err
    small = [polygon_area(polygons[i]) for i in np.flatnonzero(lo <= hi.min())]
    large = [polygon_area(polygons[i]) for i in np.flatnonzero(hi >= lo.max())]
    return min(small), max(large)


def vertex_float_areas(x: np.ndarray, y: np.ndarray, err: np.ndarray, start: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray] | None:
    """Return the areas of polygons given by float vertices within known bounds, and their error bounds.

    Parameters
    ----------
    x, y : ndarray of float64, shape (V,)
        Every polygon's vertices, counter-clockwise, polygon after polygon.
    err : ndarray of float64, shape (V,)
        ``max(|x - x*|, |y - y*|) <= err`` for each exact vertex ``(x*, y*)``.
    start : ndarray of int, shape (C,)
        Polygon ``k``'s vertices are ``start[k]`` up to ``start[k + 1]`` (or the end).

    Returns
    -------
    (area, err) : pair of ndarray of float64, shape (C,), or None
        ``|area - exact area| <= err``; None if a value overflowed (or was not finite).

    Notes
    -----
    Moving the vertices by at most ``e_i`` (max-norm) moves the shoelace term
    ``x_i y_j - x_j y_i`` by at most ``e_i (|x_j| + |y_j|) + e_j (|x_i| + |y_i|) + 2 e_i e_j``;
    the float sum adds ``gamma_{2m+2}`` times the sum of the terms' magnitudes (Higham
    2002, §3.1), and the bound's own rounding is covered by a factor ``1 + 4 (m + 4) u``.

    Examples
    --------
    >>> x, y = np.array([0.0, 1.0, 1.0, 0.0]), np.array([0.0, 0.0, 1.0, 1.0])
    >>> area, err = vertex_float_areas(x, y, np.full(4, 1e-9), np.array([0]))
    >>> area.tolist(), bool(4e-9 <= err[0] < 1e-8)
    ([1.0], True)
    """
    if not len(start):
        return np.zeros(0), np.zeros(0)
    nv = np.diff(np.append(start, len(x)))
    nxt = np.arange(len(x)) + 1
    nxt[start + nv - 1] = start
    x1, y1, e1 = x[nxt], y[nxt], err[nxt]
    with np.errstate(over="ignore", invalid="ignore"):
        a, b = x * y1, x1 * y
        twice = np.add.reduceat(a - b, start)
        size = np.add.reduceat(np.abs(a) + np.abs(b), start)
        moved = np.add.reduceat(err * (np.abs(x1) + np.abs(y1)) + e1 * (np.abs(x) + np.abs(y)) + 2 * err * e1,
                                start)
        m = 2 * nv + 2
        bound = ((m * U / (1 - m * U)) * size + moved * (1 + 4 * (m + 4) * U) + m * TINY) * SAFE / 2
    if not (np.all(np.isfinite(twice)) and np.all(np.isfinite(bound))):
        return None
    return twice / 2, bound


def vertex_boxes(x: np.ndarray, y: np.ndarray, err: np.ndarray, start: np.ndarray,
                 ring: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return each polygon's float bounding box, widened so that it holds the exact polygon.

    Parameters
    ----------
    x, y, err : ndarray of float64, shape (V,)
        Float vertices and bounds ``max(|x - x*|, |y - y*|) <= err`` on their errors.
    start : ndarray of int, shape (C,)
        Polygon ``k``'s vertices (positions in ``ring``, or in ``x`` without it) are
        ``start[k]`` up to ``start[k + 1]`` (or the end).
    ring : ndarray of int, optional
        The polygons' vertices as indices into ``x``, polygon after polygon (default: ``x``
        itself is in that order).

    Returns
    -------
    xlo, xhi, ylo, yhi : ndarray of float64, shape (C,)
        Each vertex widened by its bound, rounded outwards; a vertex beyond the float range
        (not finite, or with an infinite bound: ``inf - inf`` is NaN, which every comparison
        would fail) makes its polygon's box the whole plane.

    Examples
    --------
    >>> x, y = np.array([0.0, 1.0, 0.0, 5.0]), np.array([0.0, 0.0, 1.0, np.inf])
    >>> [b.tolist() for b in vertex_boxes(x, y, np.zeros(4), np.array([0, 3]))]
    [[0.0, -inf], [1.0, inf], [0.0, -inf], [1.0, inf]]
    """
    if not len(start):
        return tuple(np.zeros(0) for _ in range(4))  # type: ignore[return-value]
    with np.errstate(over="ignore", invalid="ignore"):
        ends = [np.nextafter(c - err, -np.inf) for c in (x, y)]
        ends += [np.nextafter(c + err, np.inf) for c in (x, y)]
    unknown = ~(np.isfinite(x) & np.isfinite(y) & np.isfinite(err))  # beyond the float range: anywhere
    for end, inf in zip(ends, (-np.inf, -np.inf, np.inf, np.inf)):
        end[unknown] = inf
    if ring is not None:
        ends = [end[ring] for end in ends]
    return (np.minimum.reduceat(ends[0], start), np.maximum.reduceat(ends[2], start),
            np.minimum.reduceat(ends[1], start), np.maximum.reduceat(ends[3], start))


def area_candidates(area: np.ndarray, err: np.ndarray, among: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the polygons that may have the smallest and the largest exact area.

    Parameters
    ----------
    area, err : ndarray of float64, shape (C,)
        Float areas and bounds on their errors (:func:`vertex_float_areas`).
    among : ndarray of int, nonempty
        The polygons to compare.

    Returns
    -------
    small, large : ndarray of int64
        The polygons of ``among`` whose interval (rounded outwards) reaches the smallest upper bound, and
        those whose interval reaches the largest lower bound: the exact extremes are
        among them.

    Examples
    --------
    >>> small, large = area_candidates(np.array([1.0, 1.0, 5.0]), np.array([0.1, 0.1, 0.1]), np.arange(3))
    >>> small.tolist(), large.tolist()
    ([0, 1], [2])
    """
    among = np.asarray(among, dtype=np.int64)
    a, e = area[among], err[among]
    lo, hi = np.nextafter(a - e, -np.inf), np.nextafter(a + e, np.inf)  # rounded outwards
    return among[lo <= hi.min()], among[hi >= lo.max()]

"""Areas of many exact polygons at array speed: a float filter with a rigorous bound, exact where it matters.

The shoelace sum of every polygon is computed in floats, all polygons at once, with an a
priori bound on its error (Higham 2002, §3.1).  A question about the areas is answered
from the floats where the bounds separate the candidates, and by the exact area
(:func:`exact.predicates.polygon_area`) of the few polygons they do not.

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
from .predicates import Point, polygon_area

__all__ = ["extreme_areas", "float_areas"]

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

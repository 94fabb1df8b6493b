"""Correctly rounded float areas of exact polygons at array speed, by a double-double filter.

``float(polygon_area(p))`` needs the exact shoelace sum, a big-integer ratio per polygon
(:func:`exact.predicates.shoelace_sum`).  :func:`rounded_areas` finds the same float for
most polygons without it: every vertex ``X / D`` as a double-double (two floats whose sum
is within about ``10 u^2`` of it, relatively, with a computed bound), the shoelace sum
as a fan from the first vertex
in double-double arithmetic built from error-free transformations (Knuth's TwoSum,
Dekker's TwoProduct), and a rigorous bound ``E`` on its error.  Where the interval
``[S - E, S + E]`` around the computed sum ``S`` lies strictly inside the rounding
interval of one float ``F``, every value in it, the exact sum included, rounds to ``F``:
the area's float is ``F / 2``.  The other polygons (a rounding boundary within ``E``,
coordinates not floats exactly, values near the ends of the float range) are left to the
caller's exact computation.

The error analysis uses the standard model ``fl(a op b) = (a op b)(1 + d)``, ``|d| <= u``
(Higham 2002, §2.2, §3.1, §4.2): see :func:`rounded_areas`.

Examples
--------
>>> rounded_areas([(0, 0, 1), (1, 0, 3), (0, 1, 3)], np.array([0, 1, 2]), np.array([0, 3])).tolist()
[0.05555555555555555]
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain, compress

import numpy as np

from ._fp import SAFE, U
from .predicates import Point

__all__ = ["double_vertices", "rounded_areas", "rounded_ring_areas"]

_SPLIT = 134217729.0
"""``2^27 + 1``: Veltkamp's splitting constant for float64."""

_LIMIT = 2**62
"""Coordinates of magnitude below this are split exactly into two floats (:func:`_quotients`)."""

_SLACK = 2.0**-960
"""Absolute term of the bound: covers underflow (at most ``2^-1074`` an operation, times values below
``2^63``) in the fewer than ``2^14`` operations of a polygon of up to :data:`_MOST` vertices."""

_MOST = 256
"""Polygons of more vertices are left undecided (keeps every bound's operation count small: see _SLACK)."""

_CHUNK = 1 << 14
"""Vertices or polygons measured at a time."""

_LOW, _HIGH = 2.0**-880, 2.0**900
"""Sums decided only within these magnitudes (every gap and halving exact, far from underflow)."""


def _two_sum(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Knuth's TwoSum: ``s = fl(a + b)`` and ``s + e == a + b`` exactly."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _split(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Veltkamp's split: ``hi + lo == a`` exactly, each of at most 26 significant bits."""
    c = _SPLIT * a
    hi = c - (c - a)
    return hi, a - hi


def _two_prod(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dekker's TwoProduct: ``p = fl(a b)`` and ``p + e == a b`` exactly (no overflow or underflow)."""
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _quotients(n: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n / d`` as ``hi + lo`` and a bound on ``|n / d - hi - lo|`` (integers ``|n|, d < 2^62``, ``d >= 1``).

    ``n = nh + nl`` and ``d = dh + dl`` exactly (``nh = fl(n)``, ``|nl| <= 2^9``);
    ``hi = fl(nh / dh)``.  The remainder ``r = n - hi d`` is a sum of five floats exactly:
    ``hi dh = p1 + e1`` and ``hi dl = p2 + e2`` (TwoProduct), and ``nh - p1`` is exact
    (Sterbenz: ``p1 / nh`` is within ``(1 +- u)^2``); summed in floats, ``r_c`` is within
    ``gamma_4 R <= 8u R`` of ``r`` (``R`` the sum of the five magnitudes).  With
    ``lo = fl(r_c / dh)``: ``|r / d - lo| <= 2u |lo| + (8u R + 2u |r_c| + 16u^2 R) / dh``
    (the last terms from ``|d - dh| <= u d``).
    """
    nh, dh = n.astype(np.float64), d.astype(np.float64)
    nl, dl = (n - nh.astype(np.int64)).astype(np.float64), (d - dh.astype(np.int64)).astype(np.float64)
    hi = nh / dh
    p1, e1 = _two_prod(hi, dh)
    p2, e2 = _two_prod(hi, dl)
    w = nh - p1
    r = (((w + nl) - e1) - p2) - e2
    big = np.abs(w) + np.abs(nl) + np.abs(e1) + np.abs(p2) + np.abs(e2)
    lo = r / dh
    return hi, lo, 2 * U * np.abs(lo) + (8 * U * big + 2 * U * np.abs(r) + 16 * U * U * big) / dh


def _int64_points(points: Sequence[Point]) -> tuple[np.ndarray, np.ndarray]:
    """Return the points' ``(X, Y, D)`` as ``int64``, shape ``(V, 3)``, and where all are below ``2^62``.

    The points left out get ``(0, 0, 1)``.  Past ``int64``, a float conversion finds the
    others: it rounds monotonically, so a converted magnitude below ``2^62`` was an
    integer below ``2^62``.
    """
    n = 3 * len(points)
    try:
        out = np.fromiter(chain.from_iterable(points), dtype=np.int64, count=n).reshape(-1, 3)
    except OverflowError:
        try:
            f = np.fromiter(chain.from_iterable(points), dtype=np.float64, count=n).reshape(-1, 3)
        except OverflowError:  # beyond the float range too
            f = np.array([p if max(map(abs, p)) < _LIMIT else (_LIMIT, 0, 1) for p in points],
                         dtype=np.float64).reshape(-1, 3)
        keep = (np.abs(f) < _LIMIT).all(axis=1)
        out = np.zeros((len(f), 3), dtype=np.int64)
        out[keep] = np.fromiter(chain.from_iterable(compress(points, keep.tolist())), dtype=np.int64,
                                count=3 * int(np.count_nonzero(keep))).reshape(-1, 3)
    ok = ((out > -_LIMIT) & (out < _LIMIT)).all(axis=1) & (out[:, 2] >= 1)
    out[~ok] = (0, 0, 1)
    return out, ok


def double_vertices(points: Sequence[Point]) -> tuple[np.ndarray, ...]:
    """Return every point as double-doubles with error bounds, for :func:`rounded_ring_areas`.

    Parameters
    ----------
    points : sequence of Point
        Homogeneous integer vertices ``(X, Y, D)``, ``D > 0``.

    Returns
    -------
    xh, xl, xe, yh, yl, ye : ndarray of float64, shape (V,)
        ``|X / D - xh - xl| <= xe``, the same for ``Y / D`` (:func:`_quotients`).
    ok : ndarray of bool, shape (V,)
        Where ``|X|``, ``|Y|`` and ``D`` are below ``2^62`` (elsewhere the values are meaningless).

    Examples
    --------
    >>> xh, xl, xe, yh, yl, ye, ok = double_vertices([(1, 2, 3), (2**70, 0, 1)])
    >>> float(xh[0] + xl[0]) == 1 / 3, bool(0 < xe[0] < 1e-30), ok.tolist()
    (True, True, [True, False])
    """
    out = tuple(np.empty(len(points)) for _ in range(6)) + (np.empty(len(points), dtype=bool),)
    for v0 in range(0, len(points), _CHUNK):  # in chunks: small temporaries
        part = slice(v0, v0 + _CHUNK)
        f, out[6][part] = _int64_points(points[part])
        for k, got in enumerate(_quotients(f[:, 0], f[:, 2]) + _quotients(f[:, 1], f[:, 2])):
            out[k][part] = got
    return out


def rounded_areas(points: Sequence[Point], ring: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Return the correctly rounded float of each polygon's exact area, where a rigorous filter proves it.

    Parameters
    ----------
    points : sequence of Point
        Homogeneous integer vertices ``(X, Y, D)``, ``D > 0``.
    ring : ndarray of int, shape (H,)
        Each polygon's vertices (indices into ``points``), counter-clockwise, not closed,
        polygon after polygon.
    start : ndarray of int, shape (P + 1,)
        Polygon ``k``'s vertices are ``ring[start[k]:start[k + 1]]``.

    Returns
    -------
    ndarray of float64, shape (P,)
        ``float(polygon_area(...))`` (:func:`exact.polygon_areas.polygon_area`), the float
        nearest the exact area, where proved; NaN where not (a polygon of fewer than
        three or more than 256 vertices, a coordinate of ``2^62`` or more, an area near a
        rounding boundary or outside ``2^-881 .. 2^899``): compute those exactly.

    Examples
    --------
    >>> pts = [(0, 0, 1), (1, 0, 1), (1, 1, 2), (1, 1, 1), (0, 1, 1)]
    >>> rounded_areas(pts, np.array([0, 1, 2, 0, 1, 3, 4]), np.array([0, 3, 7])).tolist()
    [0.25, 1.0]
    """
    return rounded_ring_areas(double_vertices(points), ring, start)


def rounded_ring_areas(vertices: tuple[np.ndarray, ...], ring: np.ndarray, start: np.ndarray) -> np.ndarray:
    """:func:`rounded_areas` from the points' :func:`double_vertices` (made once for many calls).

    Parameters
    ----------
    vertices : tuple of ndarray
        :func:`double_vertices` of the points.
    ring, start : ndarray of int
        As for :func:`rounded_areas`.

    Returns
    -------
    ndarray of float64, shape (P,)
        As :func:`rounded_areas` gives.

    Notes
    -----
    Twice the area is ``sum_j (dx_j dy_(j+1) - dx_(j+1) dy_j)`` over ``j = 1 .. m - 2``,
    with ``dx_j = x_j - x_0``.  Each coordinate is ``xh + xl`` within a computed bound
    ``b`` (:func:`_quotients`); ``dx_j = s + l`` with ``s + t = xh_j - xh_0`` exactly
    (TwoSum) and ``l = fl(t + fl(xl_j - xl_0))``, within
    ``b_j + b_0 + 3u (|xl_j| + |xl_0| + |t|)`` (two roundings).  A product
    ``(s1 + l1 + e1)(s2 + l2 + e2)`` is ``p + q + c`` with ``p + q = s1 s2`` exactly
    (TwoProduct) and ``c = fl(fl(fl(s1 l2) + fl(l1 s2)) + fl(l1 l2))``, within
    ``gamma_3 (|s1 l2| + |l1 s2| + |l1 l2|) + e1 (|s2| + |l2| + e2) + e2 (|s1| + |l1|)``.
    The ``p`` are summed exactly by TwoSum into ``S_hi`` and its errors ``t``; the ``N``
    small parts (the ``q``, ``c`` and ``t``) in floats, in any order, within ``gamma_N``
    times the sum of their magnitudes.  The bound ``E`` is the sum of these terms;
    computed in floats with fewer than ``2^40`` roundings of nonnegative values, it is at
    least half its exact value, so ``2 E + 2^-960`` (the last term for underflow) bounds
    the error.  TwoSum of the two parts gives ``F + g``, exactly the computed sum, ``F``
    its float.  When ``(|g| + 2E + 2^-960) SAFE`` is below half the gap from ``F`` to
    either neighbour, the exact sum lies strictly inside ``F``'s rounding interval: it
    rounds to ``F`` (no tie), and the area to ``F / 2`` (halving is exact in the normal
    range).  Coordinates are below ``2^62`` in magnitude: no value overflows.

    Examples
    --------
    >>> v = double_vertices([(0, 0, 1), (1, 0, 3), (0, 1, 3)])
    >>> rounded_ring_areas(v, np.array([0, 1, 2]), np.array([0, 3])).tolist()
    [0.05555555555555555]
    """
    xh, xl, xe, yh, yl, ye, ok = vertices
    start = np.asarray(start, dtype=np.int64)
    out = np.full(len(start) - 1, np.nan)
    if not len(out) or not len(ok):
        return out
    ring = np.asarray(ring, dtype=np.int64)
    sizes = np.diff(start)
    bad = np.concatenate([[0], np.cumsum(~ok[ring])])  # vertices left out, so far
    good = (sizes >= 3) & (sizes <= _MOST) & (bad[start[1:]] == bad[start[:-1]])
    for f0 in range(0, len(out), _CHUNK):  # in chunks: small temporaries
        part = slice(f0, f0 + _CHUNK)
        for m in np.unique(sizes[part][good[part]]).tolist():
            fs = f0 + np.flatnonzero(good[part] & (sizes[part] == m))
            vid = ring[start[fs, None] + np.arange(m)]
            out[fs] = _fan_areas((xh[vid], xl[vid], xe[vid]), (yh[vid], yl[vid], ye[vid]))
    return out


def _differences(hi: np.ndarray, lo: np.ndarray, err: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return each vertex minus the first, per row: ``s + l`` and its error bound."""
    s, t = _two_sum(hi[:, 1:], -hi[:, :1])
    dl = lo[:, 1:] - lo[:, :1]
    bound = err[:, 1:] + err[:, :1] + 3 * U * (np.abs(lo[:, 1:]) + np.abs(lo[:, :1]) + np.abs(t))
    return s, t + dl, bound


def _fan_areas(xs: tuple[np.ndarray, ...], ys: tuple[np.ndarray, ...]) -> np.ndarray:
    """Return :func:`rounded_ring_areas` of ``k`` polygons of ``m`` vertices (arrays ``(k, m)``)."""
    sx, lx, ex = _differences(*xs)
    sy, ly, ey = _differences(*ys)
    n = sx.shape[1] - 1  # triangles of the fan
    ia = np.concatenate([np.arange(n), np.arange(1, n + 1)])  # products dx_a dy_b: + then -
    ib = np.concatenate([np.arange(1, n + 1), np.arange(n)])
    s1, l1, e1, s2, l2, e2 = sx[:, ia], lx[:, ia], ex[:, ia], sy[:, ib], ly[:, ib], ey[:, ib]
    p, q = _two_prod(s1, s2)
    c = s1 * l2 + l1 * s2 + l1 * l2
    bound = (2 * 3 * U * (np.abs(s1 * l2) + np.abs(l1 * s2) + np.abs(l1 * l2))  # gamma_3 <= 2 * 3u
             + e1 * (np.abs(s2) + np.abs(l2) + e2) + e2 * (np.abs(s1) + np.abs(l1))).sum(axis=1)
    p[:, n:], q[:, n:], c[:, n:] = -p[:, n:], -q[:, n:], -c[:, n:]  # exact
    hi, ts = p[:, 0], []
    for j in range(1, 2 * n):
        hi, t = _two_sum(hi, p[:, j])
        ts.append(t)
    small = np.concatenate([q, c, np.stack(ts, axis=1)], axis=1)
    bound += 2 * small.shape[1] * U * np.abs(small).sum(axis=1)  # gamma_N <= 2 N u, any order
    big, g = _two_sum(hi, small.sum(axis=1))
    err = (np.abs(g) + (2 * bound + _SLACK)) * SAFE
    gap_at = np.clip(big, _LOW, _HIGH)  # no subnormal gap (a zero or clockwise sum) for np.errstate to raise
    up = np.nextafter(gap_at, np.inf) - gap_at
    down = gap_at - np.nextafter(gap_at, -np.inf)
    sure = (big >= _LOW) & (big <= _HIGH) & (2 * err < np.minimum(up, down))
    return np.where(sure, big / 2, np.nan)

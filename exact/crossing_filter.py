"""The float filter for crossings of integer lines: coordinates, positions, coincidences, rigorous bounds.

Lines are rounded to floats once (:func:`norm_floats`); crossings get coordinates with
a priori bounds on their absolute errors (:func:`crossing_bounds`, for any broadcast of
lines against lines), and positions along a line with bounds (:func:`positions_along`).
Crossings whose error intervals overlap might coincide: exact integer arithmetic settles
those, and everything else the floats cannot certify.  :func:`earlier_crossings` counts,
block by block of lines, the distinct crossings of each line with the lines before it:
the ``sum_p (m_p - 1)`` of the face formula of :mod:`exact.line_count`.

References
----------
.. [1] N. J. Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., SIAM,
   2002, §2.2 and §3.1.
.. [2] J. R. Shewchuk, "Adaptive precision floating-point arithmetic and fast robust
   geometric predicates", *Discrete Comput. Geom.* 18 (1997), 305-363.

Examples
--------
>>> lines = [(1, 0, 0), (0, 1, 0), (1, 1, 0), (1, -1, 5)]   # three through (0, 0)
>>> earlier_crossings(lines, norm_floats(lines), None)       # (0,0) twice, 3 more points
5
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np

from ._float_range import float_bounds
from ._fp import TINY_CROSSING, U
from ._progress import progress_bar
from .predicates import Line, intersect_lines, point_in_box

__all__ = ["crossing_bounds", "earlier_crossings", "float_crossings", "norm_floats", "positions_along",
           "tie_clusters"]


def norm_floats(ls: Sequence[Line]) -> np.ndarray:
    """Round the lines, each divided by its largest coefficient magnitude, to floats.

    Parameters
    ----------
    ls : sequence of Line
        Integer lines, not all coefficients zero.

    Returns
    -------
    ndarray of float, shape (len(ls), 3)
        Rows ``(a, b, c) / max(|a|, |b|, |c|)``, each entry correctly rounded (``int / int``
        is), so with relative error at most ``u = 2^-53`` [1]_.

    Examples
    --------
    >>> norm_floats([(2, 0, -4), (1, 1, 0)])
    array([[ 0.5,  0. , -1. ],
           [ 1. ,  1. ,  0. ]])
    """
    out = np.empty((len(ls), 3))
    for k, (a, b, c) in enumerate(ls):
        m = max(abs(a), abs(b), abs(c))
        out[k] = (a / m, b / m, c / m)  # int / int is correctly rounded
    return out


def crossing_bounds(ai, bi, ci, A, B, C) -> tuple[np.ndarray, ...]:
    """Cross lines ``(ai, bi, ci)`` with lines ``(A, B, C)`` in floats (numpy broadcasting), with bounds.

    Parameters
    ----------
    ai, bi, ci, A, B, C : float or ndarray
        Normalised float coefficients (:func:`norm_floats`) of the two sides; they
        broadcast against each other.

    Returns
    -------
    sure : ndarray of bool
        Where the determinant is certainly nonzero (the lines certainly cross once).
    x, y, ex, ey : ndarray
        Crossing coordinates and bounds on their absolute errors (0 where not ``sure``;
        possibly not finite where the floats overflow).

    Notes
    -----
    In the standard model [1]_, each 2x2 determinant ``p1 - p2`` carries the bound
    ``5u(|p1| + |p2|)`` (plus ``TINY_CROSSING`` for underflow); the quotients propagate
    these to first order with a factor ``1 + 1e-6`` of slack.

    Examples
    --------
    >>> sure, x, y, ex, ey = crossing_bounds(1.0, 0.0, 0.0, np.array([0.0, 1.0]), np.array([1.0, 0.0]),
    ...                                      np.array([-0.5, 0.5]))
    >>> sure.tolist(), y.tolist()      # x = 0 crosses y = 1/2; x = -1/2 is parallel to it
    ([True, False], [0.5, 0.0])
    """
    p1, p2 = ai * B, A * bi
    D = p1 - p2
    eD = 5 * U * (np.abs(p1) + np.abs(p2)) + TINY_CROSSING
    q1, q2 = bi * C, B * ci
    X = q1 - q2
    eX = 5 * U * (np.abs(q1) + np.abs(q2)) + TINY_CROSSING
    r1, r2 = ci * A, C * ai
    Y = r1 - r2
    eY = 5 * U * (np.abs(r1) + np.abs(r2)) + TINY_CROSSING
    absD = np.abs(D)
    sure = absD > 2 * eD
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        den = np.where(sure, absD - eD, 1.0)
        x = np.where(sure, X / np.where(sure, D, 1.0), 0.0)
        y = np.where(sure, Y / np.where(sure, D, 1.0), 0.0)
        ex = (eX + (np.abs(X) + eX) / den * eD) / den + 2 * U * np.abs(x)
        ey = (eY + (np.abs(Y) + eY) / den * eD) / den + 2 * U * np.abs(y)
        ex = np.where(sure, ex * (1 + 1e-6) + TINY_CROSSING, 0.0)
        ey = np.where(sure, ey * (1 + 1e-6) + TINY_CROSSING, 0.0)
    return sure, x, y, ex, ey


def float_crossings(i: int, A: np.ndarray, B: np.ndarray, C: np.ndarray):
    """Cross line ``i`` with every line in floats, with rigorous error bounds.

    Parameters
    ----------
    i : int
        Index of the line.
    A, B, C : ndarray of float, shape (n,)
        The normalised float coefficients (columns of :func:`norm_floats`).

    Returns
    -------
    undecided : ndarray of int
        Lines whose parallelism with line i the float test cannot decide.
    valid : ndarray of bool
        Lines certainly crossing line i (not i itself).
    x, y, ex, ey : ndarray
        Crossing coordinates and bounds on their absolute errors (0 where not valid).

    Examples
    --------
    >>> F = norm_floats([(1, 0, 0), (0, 1, 0), (2, 2, -1)])   # x = 0, y = 0, x + y = 1/2
    >>> undecided, valid, x, y, ex, ey = float_crossings(0, F[:, 0], F[:, 1], F[:, 2])
    >>> undecided.tolist(), valid.tolist(), y.tolist()
    ([], [False, True, True], [0.0, 0.0, 0.5])
    >>> bool(ey[2] < 1e-15)
    True
    """
    valid, x, y, ex, ey = crossing_bounds(A[i], B[i], C[i], A, B, C)
    valid[i] = True
    undecided = np.nonzero(~valid)[0]
    valid[i] = False
    return undecided, valid, x, y, ex, ey


def positions_along(ai, bi, x, y, ex, ey) -> tuple[np.ndarray, np.ndarray]:
    """Place crossings along their line: ``t = -bi x + ai y`` and a bound on its error.

    Parameters
    ----------
    ai, bi : float or ndarray
        The line's normalised coefficients ``a, b`` (direction ``(-bi, ai)``); broadcast.
    x, y, ex, ey : ndarray
        Crossing coordinates and their error bounds (:func:`crossing_bounds`).

    Returns
    -------
    t, et : ndarray
        Positions and bounds: the exact position lies in ``[t - et, t + et]``.

    Examples
    --------
    >>> t, et = positions_along(1.0, 0.0, np.array([0.0]), np.array([0.5]), np.zeros(1), np.zeros(1))
    >>> t.tolist()
    [0.5]
    """
    t = -bi * x + ai * y
    et = ((np.abs(bi) * ex + np.abs(ai) * ey + 2 * U * (np.abs(bi * x) + np.abs(ai * y))) * (1 + 1e-6)
          + TINY_CROSSING)
    return t, et


def tie_clusters(ai: float, bi: float, x, y, ex, ey, js: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort crossings along a line and group those that might coincide.

    Parameters
    ----------
    ai, bi : float
        The line's normalised coefficients ``a, b`` (direction ``(-bi, ai)``).
    x, y, ex, ey : ndarray of float, shape (k,)
        Crossing coordinates and bounds on their absolute errors
        (:func:`float_crossings`).
    js : ndarray of int, shape (k,)
        The index of the other line of each crossing.

    Returns
    -------
    js_sorted : ndarray
        ``js`` ordered by the interval starts.
    starts : ndarray of bool
        True where a new cluster begins: exactly equal crossings have overlapping error
        intervals, so they fall in one connected run of overlapping intervals.

    Examples
    --------
    >>> x, y = np.array([0.0, 0.0, 0.0]), np.array([0.5, 0.5, 2.0])   # on x = 0: t = y
    >>> e = np.full(3, 1e-16)
    >>> js, starts = tie_clusters(1.0, 0.0, x, y, e, e, np.array([3, 4, 5]))
    >>> js.tolist(), starts.tolist()       # lines 3 and 4 might cross x = 0 at one point
    ([3, 4, 5], [True, False, True])
    """
    t, et = positions_along(ai, bi, x, y, ex, ey)
    lo, hi = t - et, t + et
    order = np.argsort(lo, kind="stable")
    lo_s, hi_s = lo[order], hi[order]
    starts = np.ones(order.size, dtype=bool)
    starts[1:] = lo_s[1:] > np.maximum.accumulate(hi_s)[:-1]
    return js[order], starts


def earlier_crossings(ls: Sequence[Line], F: np.ndarray, half: Fraction | None,
                      progress: bool = False) -> int:
    """Count, over all lines, the distinct crossings of each line with the lines before it.

    A crossing point on ``m`` lines is counted by each of its lines but the first:
    ``m - 1`` times, so the total is the ``sum_p (m_p - 1)`` of the face formula.

    Parameters
    ----------
    ls : sequence of Line
        Distinct integer lines.
    F : ndarray, shape (len(ls), 3)
        Their :func:`norm_floats`.
    half : Fraction or None
        Count only crossings strictly inside ``(-half, half)^2``; ``None``: all.
    progress : bool, default False
        A progress bar over the pairs of lines on standard error (from 2 000 lines).

    Returns
    -------
    int

    Notes
    -----
    Blocks of lines against all earlier lines as 2-D arrays (about ``_PAIRS`` pairs at a
    time).  A row whose sorted positions are certainly all apart (:func:`_all_apart`, the
    common case) counts them; the others are sorted by the start of each crossing's error
    interval.  A line goes to
    exact arithmetic whole when a near-parallel pair of it crosses, the floats overflow,
    or a crossing is near the window's boundary; a run of overlapping intervals is
    grouped by exact points.

    Examples
    --------
    >>> lines = [(1, 0, 0), (0, 1, 0), (1, 1, -3)]
    >>> earlier_crossings(lines, norm_floats(lines), Fraction(2))   # (3, 0), (0, 3) are outside
    1
    """
    n = len(ls)
    block = max(1, _PAIRS // max(n, 1))
    bar = progress_bar(progress and n >= 2000, n * (n - 1) // 2, "line crossings", unit="pair")
    total = 0
    try:
        for i0 in range(1, n, block):
            i1 = min(n, i0 + block)
            total += _block_crossings(ls, F, half, i0, i1)
            bar.update((i0 + i1 - 1) * (i1 - i0) // 2)   # line i has i earlier lines
    finally:
        bar.close()
    return total


_PAIRS = 1 << 13
"""Pairs of lines crossed at once by :func:`earlier_crossings`: small enough that the temporaries stay
in cache (measured on 5 000 lines: 2^13 pairs 1.3 s, 2^17 1.7 s; each line with all others 2.5 s)."""


def _block_crossings(ls: Sequence[Line], F: np.ndarray, half: Fraction | None, i0: int, i1: int) -> int:
    """:func:`earlier_crossings` of lines ``i0 .. i1 - 1``."""
    m = i1 - 1
    rows = np.arange(i0, i1)
    earlier = np.arange(m)[None, :] < rows[:, None]
    ai, bi, ci = (F[i0:i1, k][:, None] for k in range(3))
    sure, x, y, ex, ey = _crossings_in_columns(ai, bi, ci, F[:m])
    keep = sure & earlier
    to_exact = np.zeros(len(rows), dtype=bool)
    for r, j in zip(*np.nonzero(~sure & earlier)):  # near-parallel: exactly parallel, or go exact
        a, b, _ = ls[rows[r]]
        to_exact[r] |= a * ls[j][1] - ls[j][0] * b != 0
    with np.errstate(invalid="ignore"):
        finite = np.isfinite(x) & np.isfinite(y) & np.isfinite(ex) & np.isfinite(ey)
        to_exact |= np.any(keep & ~finite, axis=1)
        if half is not None:
            lo, hi = float_bounds(half)  # lo <= half <= hi at any magnitude; the margins cover the sums
            lb, hb = lo * (1 - 2 * U), hi * (1 + 2 * U)
            inside = (np.abs(x) + ex < lb) & (np.abs(y) + ey < lb)
            outside = (np.abs(x) - ex > hb) | (np.abs(y) - ey > hb)
            to_exact |= np.any(keep & ~inside & ~outside, axis=1)
            keep &= inside
    keep &= ~to_exact[:, None]
    total = sum(_exact_earlier(int(i), ls, half) for i in rows[to_exact])
    t, et = positions_along(ai, bi, x, y, ex, ey)
    apart = _all_apart(t, et, keep)  # the common case: sorting the values alone shows every crossing distinct
    total += int(keep[apart].sum())
    if apart.all():
        return total
    rows, keep, t, et = rows[~apart], keep[~apart], t[~apart], et[~apart]
    with np.errstate(invalid="ignore"):
        lo_t = np.where(keep, t - et, np.inf)
        hi_t = np.where(keep, t + et, np.inf)
    order = np.argsort(lo_t, axis=1, kind="stable")
    lo_s, hi_s = np.take_along_axis(lo_t, order, 1), np.take_along_axis(hi_t, order, 1)
    k = keep.sum(axis=1)
    starts = np.ones_like(keep)
    starts[:, 1:] = lo_s[:, 1:] > np.maximum.accumulate(hi_s, axis=1)[:, :-1]
    starts &= np.arange(m)[None, :] < k[:, None]
    r, c = np.nonzero(starts)  # row-major: clusters in order within each row
    if not r.size:
        return total
    ends = np.append(c[1:], 0)
    last = np.append(r[1:] != r[:-1], True)
    ends[last] = k[r[last]]
    size = ends - c
    total += int(np.count_nonzero(size == 1))
    for rr, cc, ss in zip(r[size > 1], c[size > 1], size[size > 1]):
        i = int(rows[rr])
        total += len({intersect_lines(ls[i], ls[int(j)]) for j in order[rr, cc:cc + ss]})
    return total


def _crossings_in_columns(ai, bi, ci, F: np.ndarray) -> tuple[np.ndarray, ...]:
    """:func:`crossing_bounds` of rows of lines against the lines ``F``, about ``_PAIRS`` pairs at a time.

    The same values as one call; its temporaries stay in cache when a row is long (one line
    against 20 000: 5 s of 15 s).
    """
    cols = max(1024, _PAIRS // len(ai))
    if len(F) <= cols:
        return crossing_bounds(ai, bi, ci, F[None, :, 0], F[None, :, 1], F[None, :, 2])
    parts = [crossing_bounds(ai, bi, ci, *(F[None, c:c + cols, k] for k in range(3)))
             for c in range(0, len(F), cols)]
    return tuple(np.concatenate(arrays, axis=1) for arrays in zip(*parts))


def _all_apart(t: np.ndarray, et: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Tell, for each row, whether its kept positions are certainly pairwise distinct.

    ``[t - et, t + et]`` holds each exact position.  The values of ``t`` are sorted (a sort
    of values: several times faster than an argsort) and neighbours must be more than the
    sum of their two bounds apart.  The bounds are summed up per row, first as the row's
    largest ``E``, then, for rows where ``2 E`` is too coarse, as ``et <= alpha |t| + beta``
    (``beta``: the largest ``et`` where ``|t| <= 1``; ``alpha``: the largest ``et / |t|``
    elsewhere).  Float gaps and bounds are within a few rounding errors of the exact ones,
    covered by a factor ``1 + 8u``.  A NaN or an overflow fails the test: such rows are
    left to the caller's interval sort.
    """
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        k = keep.sum(axis=1)
        pad = np.arange(t.shape[1] - 1)[None, :] >= (k - 1)[:, None]  # gaps into the infinite padding
        srt = np.sort(np.where(keep, t, np.inf), axis=1)
        gap = np.diff(srt, axis=1)
        E = np.where(keep, et, 0.0).max(axis=1, initial=0.0)
        apart = ((gap > 2 * (1 + 8 * U) * E[:, None]) | pad).all(axis=1) & np.isfinite(E)
        rest = np.flatnonzero(~apart)
        if rest.size:
            a = np.abs(t[rest])
            big = keep[rest] & (a > 1)
            beta = np.where(keep[rest] & ~big, et[rest], 0.0).max(axis=1, initial=0.0)
            alpha = np.where(big, et[rest] / np.where(big, a, 1.0), 0.0).max(axis=1, initial=0.0)
            s_abs = np.abs(srt[rest])
            bound = (alpha[:, None] * (s_abs[:, :-1] + s_abs[:, 1:]) + 2 * beta[:, None]) * (1 + 8 * U)
            apart[rest] = (((gap[rest] > bound) | pad[rest]).all(axis=1) & np.isfinite(alpha)
                           & np.isfinite(beta))
        return apart


def _exact_earlier(i: int, ls: Sequence[Line], half: Fraction | None) -> int:
    """Count the distinct crossings of line ``i`` with the lines before it, in exact arithmetic."""
    points = set()
    for j in range(i):
        p = intersect_lines(ls[i], ls[j])
        if p is not None and (half is None or point_in_box(p, half)):
            points.add(p)
    return len(points)

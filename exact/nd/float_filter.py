"""A float filter with a rigorous error bound for the signs of affine functions at points.

Floats only filter here: a sign is reported only when the float value is farther from
zero than a bound on its rounding error; everything else is left to the exact
predicates of :mod:`exact.nd.polytope`.

The bound.  Rows ``(a, c)`` and points ``x`` are rounded to floats with relative error
``u`` each (:func:`~exact._float_range.to_float`: in the normal range, else the filter
hands over).  The dot product of ``n = d + 1`` terms in any summation order has absolute
error at most ``gamma_n sum |a_i x_i|`` (Higham 2002, §3.1), to which the rounding of
the inputs adds ``(2u + u^2) sum |a_i x_i|``, and subtracting a breakpoint ``beta``
(itself bracketed) adds ``u (|value| + |beta|)``: ``(d + 4) u (|a| . |x| + |beta|)`` in
all, to first order.  The filter uses ``(d + 6) u`` times the float magnitude, padded by
:data:`~exact._fp.SAFE` and :data:`~exact._fp.TINY` (underflow).

Examples
--------
>>> import numpy as np
>>> pts = point_floats([(1, 3, 3), (2, -1, 1)])          # (1/3, 1), (2, -1)
>>> rows = row_floats([(3, 0, -1), (0, 1, 0)], 1)      # 3x - 1 and y
>>> sure_signs(rows, pts).tolist()                      # 3x - 1 is 0 at (1/3, 1): undecided
[[0, 1], [1, -1]]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._float_range import to_float
from .._fp import SAFE, TINY, U
from ..errors import Undecided

__all__ = ["bounding_box", "point_floats", "row_floats", "sure_box_signs", "sure_signs"]


def point_floats(verts: Sequence[Sequence[int]]) -> np.ndarray | None:
    """Round homogeneous points to float coordinates with a trailing 1, or give up.

    Parameters
    ----------
    verts : sequence of HPoint
        Points ``(X_1, ..., X_d, D)``.

    Returns
    -------
    ndarray of shape (V, d + 1) or None
        ``X_i / D`` correctly rounded, then 1.0; None when a coordinate is beyond the
        float range or below its normal range.

    Examples
    --------
    >>> point_floats([(1, 2, 4)]).tolist()
    [[0.25, 0.5, 1.0]]
    """
    if not len(verts):
        return np.array([])
    if any(p[-1].bit_length() > _PLAIN_BITS for p in verts):   # coordinates maybe below the normal range
        try:
            return np.array([[to_float(x, p[-1]) for x in p[:-1]] + [1.0] for p in verts])
        except Undecided:
            return None
    try:   # int / int is correctly rounded (D / D is 1.0); it raises OverflowError beyond the float range
        return np.array([x / D for p in verts for D in (p[-1],) for x in p]).reshape(len(verts), -1)
    except OverflowError:
        return None


_PLAIN_BITS = 1000
"""Denominators ``D < 2^1000``: a nonzero ``X / D`` is above ``2^-1000``, in the normal range (no check)."""


def row_floats(rows: Sequence[Sequence[int]], scale: int) -> np.ndarray | None:
    """Round rows ``row / scale`` to floats, or give up.

    Parameters
    ----------
    rows : sequence of sequence of int, shape (k, d + 1)
    scale : int
        Positive common denominator.

    Returns
    -------
    ndarray of shape (k, d + 1) or None
        None when an entry is beyond the float range or below its normal range.

    Examples
    --------
    >>> row_floats([(1, -3)], 2).tolist()
    [[0.5, -1.5]]
    """
    try:
        if scale.bit_length() > _PLAIN_BITS:   # entries maybe below the normal range
            out = np.array([[to_float(v, scale) for v in r] for r in rows], dtype=np.float64)
        else:   # int / int is correctly rounded, and a nonzero v / scale is above 2^-1000
            out = np.array([v / scale for r in rows for v in r], dtype=np.float64)
        return out.reshape(len(rows), -1)
    except (Undecided, OverflowError):
        return None


def sure_signs(rows: np.ndarray, pts: np.ndarray, beta: float = 0.0, beta_err: float = 0.0) -> np.ndarray:
    """Return the certain sign of ``row(x) - beta`` for every row and point, 0 where unsure.

    Parameters
    ----------
    rows : ndarray of shape (k, d + 1)
        Float rows (from :func:`row_floats`).
    pts : ndarray of shape (V, d + 1)
        Float points with a trailing 1 (from :func:`point_floats`), or any points given
        exactly as floats.
    beta : float
        A float near the breakpoint.
    beta_err : float
        A bound on ``|beta - exact breakpoint|`` (``inf`` when unknown).

    Returns
    -------
    ndarray of int8, shape (k, V)
        ``1`` / ``-1`` where the exact value is certainly positive / negative, ``0`` where
        the float bound cannot tell (then the exact predicates decide).

    Examples
    --------
    >>> sure_signs(np.array([[1.0, -1.0]]), np.array([[1.0, 1.0], [2.0, 1.0]])).tolist()
    [[0, 1]]
    """
    n = rows.shape[1]
    with np.errstate(over="ignore", invalid="ignore"):  # inf and NaN fail both tests: unsure
        vals = rows @ pts.T - beta
        err = ((n + 5) * U * SAFE) * (np.abs(rows) @ np.abs(pts).T + abs(beta)) + beta_err + TINY
        return np.where(vals > err, 1, np.where(vals < -err, -1, 0)).astype(np.int8)


def bounding_box(pts: np.ndarray | None, d: int) -> tuple[np.ndarray, np.ndarray]:
    """Return float bounds that certainly hold the exact points behind their float roundings.

    Parameters
    ----------
    pts : ndarray of shape (V, d + 1) or None
        From :func:`point_floats` (each coordinate within ``u |x|`` of the exact one).
    d : int

    Returns
    -------
    lo, hi : ndarray of shape (d,)
        ``lo <= x <= hi`` for every exact point ``x``: the float extremes widened by
        ``4 u`` of their magnitude (and by :data:`~exact._fp.TINY`); ``-inf, inf`` for None.

    Examples
    --------
    >>> lo, hi = bounding_box(point_floats([(1, 3, 3), (0, 0, 1)]), 2)
    >>> bool(lo[0] < 0 < 1 / 3 < hi[0]), bool(lo[1] < 0 and hi[1] > 1)
    (True, True)
    """
    if pts is None:
        return np.full(d, -np.inf), np.full(d, np.inf)
    lo, hi = pts[:, :-1].min(axis=0), pts[:, :-1].max(axis=0)
    return lo - (4 * U * np.abs(lo) + TINY), hi + (4 * U * np.abs(hi) + TINY)


def sure_box_signs(lo: np.ndarray, hi: np.ndarray, row: np.ndarray) -> np.ndarray:
    """Return the certain sign of an affine function on each of many boxes, 0 where unsure.

    Parameters
    ----------
    lo, hi : ndarray of shape (k, d)
        The boxes (from :func:`bounding_box`).
    row : ndarray of shape (d + 1,)
        A float row ``(a, c)`` (from :func:`row_floats`).

    Returns
    -------
    ndarray of int8, shape (k,)
        ``1`` where ``a . x + c > 0`` certainly on the whole box, ``-1`` where certainly
        ``< 0``, else 0.

    Notes
    -----
    The extremes of an affine function on a box are at the corners chosen by the signs
    of ``a``; each is one float dot product, bounded as in :func:`sure_signs` (the
    corners are floats: exact).

    Examples
    --------
    >>> sure_box_signs(np.array([[0.0, 0.0], [2.0, 0.0]]), np.array([[1.0, 1.0], [3.0, 1.0]]),
    ...                np.array([1.0, 0.0, -1.5])).tolist()      # x - 1.5 on [0,1]^2 and [2,3]x[0,1]
    [-1, 1]
    """
    a, c = row[:-1], row[-1]
    n = len(row)
    with np.errstate(over="ignore", invalid="ignore"):
        low, high = np.where(a > 0, lo, hi), np.where(a > 0, hi, lo)
        vmin, vmax = low @ a + c, high @ a + c
        k = (n + 5) * U * SAFE
        emin = k * (np.abs(low) @ np.abs(a) + abs(c)) + TINY
        emax = k * (np.abs(high) @ np.abs(a) + abs(c)) + TINY
        return np.where(vmin > emin, 1, np.where(vmax < -emax, -1, 0)).astype(np.int8)

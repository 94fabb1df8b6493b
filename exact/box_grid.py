"""Grids of buckets over many float boxes: which boxes may meet a small query box, at array speed.

A filter for exact point location.  Each box is filed in the finest of a stack of grids
(bucket sides doubling from level to level) where it meets at most two buckets per axis,
so long thin boxes cost no more than small ones; a query looks at its buckets on every
level and returns every box that meets it under the very float comparisons of a linear
scan (``xlo <= qx_hi``, ``xhi >= qx_lo``, ...).  The buckets only shorten the scan: a
bucket index is a monotone function of a coordinate on every level, so two boxes that
meet share a bucket on the level of either.

Examples
--------
>>> grid = BoxGrid(np.array([0.0, 2.0]), np.array([1.0, 3.0]), np.array([0.0, 0.0]), np.array([1.0, 1.0]))
>>> grid.query(0.5, 0.5, 0.5, 0.5).tolist(), grid.query(1.0, 2.0, 0.0, 0.0).tolist()
([0], [0, 1])
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["BoxGrid"]


class BoxGrid:
    """Float boxes filed in a stack of uniform grids.

    Parameters
    ----------
    xlo, xhi, ylo, yhi : ndarray of float64, shape (n,)
        The boxes (``xlo <= xhi``, ``ylo <= yhi``; infinite ends allowed, no NaN).

    Notes
    -----
    The finest grid has ``2^m x 2^m`` buckets, ``4^m`` about ``n / 2``, over the finite
    extent of the boxes; level ``k`` merges ``2^k x 2^k`` of them.  A box goes to the
    first level where it meets at most 2 x 2 buckets: at most 4 entries per box,
    ``O(n m)`` numpy work to file them, ``O(m)`` slices per query.
    """

    def __init__(self, xlo: np.ndarray, xhi: np.ndarray, ylo: np.ndarray, yhi: np.ndarray):
        self.boxes = (xlo, xhi, ylo, yhi)
        self.levels = m = max(0, math.ceil(math.log2(max(math.sqrt(len(xlo) / 2), 1))))
        self._axes = [_axis(np.concatenate([lo, hi]), 2**m) for lo, hi in ((xlo, xhi), (ylo, yhi))]
        ix0, ix1 = self._bucket(0, xlo), self._bucket(0, xhi)
        iy0, iy1 = self._bucket(1, ylo), self._bucket(1, yhi)
        level = np.full(len(xlo), m, dtype=np.int64)
        for k in range(m, -1, -1):  # the finest level where the box meets <= 2 buckets per axis
            fits = ((ix1 >> k) - (ix0 >> k) <= 1) & ((iy1 >> k) - (iy0 >> k) <= 1)
            level[fits] = k
        self._offset = np.concatenate([[0], np.cumsum([4 ** (m - k) for k in range(m + 1)])])
        parts = []
        for dx in (0, 1):
            for dy in (0, 1):  # the up to 2 x 2 buckets of each box on its level
                bx, by = (ix0 >> level) + dx, (iy0 >> level) + dy
                ok = (bx <= ix1 >> level) & (by <= iy1 >> level)
                box = np.flatnonzero(ok)
                lv = level[box]
                parts.append((self._offset[lv] + (by[box] << (m - lv)) + bx[box], box))
        bucket = np.concatenate([b for b, _ in parts])
        box = np.concatenate([x for _, x in parts])
        order = np.lexsort((box, bucket))
        self._box = box[order]
        self._start = np.searchsorted(bucket[order], np.arange(int(self._offset[-1]) + 1))

    def _bucket(self, axis: int, v: np.ndarray) -> np.ndarray:
        """Return the finest-level bucket of each coordinate: monotone non-decreasing, clipped."""
        x0, scale = self._axes[axis]
        if scale == 0:
            return np.zeros(len(v), dtype=np.int64)
        with np.errstate(invalid="ignore", over="ignore"):
            t = np.clip(np.floor((v - x0) * scale), 0, 2**self.levels - 1)
        return t.astype(np.int64)

    def query(self, qxlo: float, qxhi: float, qylo: float, qyhi: float) -> np.ndarray:
        """Return, sorted, every box meeting the box ``[qxlo, qxhi] x [qylo, qyhi]``.

        Parameters
        ----------
        qxlo, qxhi, qylo, qyhi : float

        Returns
        -------
        ndarray of int64
            The indices ``k`` with ``xlo[k] <= qxhi``, ``xhi[k] >= qxlo``, ``ylo[k] <= qyhi``
            and ``yhi[k] >= qylo``.
        """
        bx0, bx1 = self._bucket(0, np.array([qxlo, qxhi])).tolist()
        by0, by1 = self._bucket(1, np.array([qylo, qyhi])).tolist()
        m, s, parts = self.levels, self._start, []
        for k in range(m + 1):
            off, row = int(self._offset[k]), 1 << (m - k)
            for r in range((by0 >> k), (by1 >> k) + 1):
                parts.append(self._box[s[off + r * row + (bx0 >> k)]:s[off + r * row + (bx1 >> k) + 1]])
        cand = np.unique(np.concatenate(parts))
        xlo, xhi, ylo, yhi = (b[cand] for b in self.boxes)
        return cand[(xlo <= qxhi) & (xhi >= qxlo) & (ylo <= qyhi) & (yhi >= qylo)]


def _axis(v: np.ndarray, g: int) -> tuple[float, float]:
    """Origin and finest buckets per unit of one axis, over the finite values ``v``."""
    v = v[np.isfinite(v)]
    if not v.size:
        return 0.0, 0.0
    lo, hi = float(v.min()), float(v.max())
    span = hi - lo
    return lo, (g / span if span > 0 and math.isfinite(g / span) else 0.0)

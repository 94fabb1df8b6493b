"""Exact sparse affine maps on flat vectors: the linear layers of a network, composed exactly.

A :class:`SparseAffine` is ``x -> A x + c`` with ``A`` sparse, stored as integer numerators
over one common positive denominator, so that composing two maps (``outer ∘ inner``) is
exact integer arithmetic: the composed weights are the exact composition of the float
weights, never a float product.  The readers build one map per torch layer (Linear, Conv,
pooling, folded BatchNorm: :mod:`exact.conv_folding`), compose the ones that follow each
other without an activation, and turn each composition into a dense layer
(:meth:`SparseAffine.dense_layer`): float64 arrays when every entry is a float (the fast
path of :class:`~exact.network.ExactNet`), else exact :class:`fractions.Fraction` values.

Examples
--------
>>> import numpy as np
>>> double = SparseAffine.from_floats([0, 1], [0, 1], np.array([2.0, 2.0]), np.array([0.5, 0.0]), (2, 2))
>>> swap = SparseAffine.from_floats([0, 1], [1, 0], np.array([1.0, 1.0]), np.zeros(2), (2, 2))
>>> W, b = swap.compose(double).dense_layer()
>>> W.tolist(), b.tolist()
([[0.0, 2.0], [2.0, 0.0]], [0.0, 0.5])
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from .errors import ResourceLimitError
from .float_rounding import round_or_inf

__all__ = ["MAX_COMPOSE_PRODUCTS", "MAX_DENSE_WEIGHTS", "MAX_EXACT_WEIGHTS", "SparseAffine",
           "dyadic_integers"]

MAX_DENSE_WEIGHTS = 20_000_000
"""Most weights (``out * in``) a read layer may have when its entries are floats."""

MAX_EXACT_WEIGHTS = 10_000_000
"""Most weights a read layer may have when its entries are exact rationals (composed layers)."""

MAX_COMPOSE_PRODUCTS = 50_000_000
"""Most integer products one exact composition of two layers may take."""


def dyadic_integers(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Write finite float64 values exactly as integers over one power of two: ``values = nums / den``.

    Every finite float is an integer times a power of two (``frexp``), so no Fraction is
    made: one shift per value.

    Parameters
    ----------
    values : ndarray of float64
        Finite values.

    Returns
    -------
    nums : ndarray of object (Python int), same shape
    den : int
        A power of two, 1 when every value is an integer.

    Examples
    --------
    >>> nums, den = dyadic_integers(np.array([0.75, -2.0, 0.0]))
    >>> [n / den for n in nums.tolist()], den == 2**53
    ([0.75, -2.0, 0.0], True)
    """
    m, e = np.frexp(values)
    mant = (m * 2.0**53).astype(np.int64)  # exact: |m| < 1
    k = e.astype(np.int64) - 53  # values = mant * 2**k
    nz = mant != 0
    kmin = int(k[nz].min()) if nz.any() else 0
    shift = np.where(nz, k - kmin, 0)
    nums = np.left_shift(mant.astype(object), shift.astype(object))
    if kmin >= 0:
        return np.left_shift(nums, kmin), 1
    return nums, 1 << -kmin


def _sum_duplicates(keys: np.ndarray, nums: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sum the numerators of equal keys and drop zeros: ``(unique keys, sums)``."""
    if len(keys) == 0:
        return keys.astype(np.int64), nums
    order = np.argsort(keys, kind="stable")
    keys, nums = keys[order], nums[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    sums = np.add.reduceat(nums, starts) if len(starts) < len(keys) else nums
    keys = keys[starts]
    keep = sums != 0
    return keys[keep], sums[keep]


class SparseAffine:
    """An exact affine map ``x -> A x + c`` on flat vectors, ``A`` sparse (immutable by convention).

    Parameters
    ----------
    rows, cols : ndarray of int64, shape (nnz,)
        Positions of the nonzero entries of ``A``, each ``(row, col)`` at most once.
    nums : ndarray of object (Python int), shape (nnz,)
        Their numerators, all nonzero.
    bias : ndarray of object (Python int), shape (m,)
        Numerators of ``c``.
    den : int
        The common positive denominator of ``A`` and ``c``.
    shape : (int, int)
        ``(m, n)``: outputs and inputs.

    Notes
    -----
    Build maps with :meth:`from_floats` or :meth:`from_fractions`, which sum repeated
    positions and reduce the denominator.  Memory ``O(nnz + m)`` Python integers.

    Examples
    --------
    >>> f = SparseAffine.from_fractions([0], [1], [Fraction(1, 3)], [Fraction(1, 2)], (1, 2))
    >>> f.den, f.nums.tolist(), f.bias.tolist()
    (6, [2], [3])
    """

    __slots__ = ("rows", "cols", "nums", "bias", "den", "shape")

    def __init__(self, rows: np.ndarray, cols: np.ndarray, nums: np.ndarray, bias: np.ndarray, den: int,
                 shape: tuple[int, int]):
        g = den
        for part in (nums, bias):
            if g > 1 and len(part):
                g = math.gcd(g, int(np.gcd.reduce(part)))
        if g > 1:
            nums, bias, den = nums // g, bias // g, den // g
        self.rows, self.cols, self.nums, self.bias, self.den = rows, cols, nums, bias, den
        self.shape = (int(shape[0]), int(shape[1]))

    @classmethod
    def _from_entries(cls, rows: Any, cols: Any, nums: np.ndarray, bias: np.ndarray, den: int,
                      shape: tuple[int, int]) -> SparseAffine:
        rows, cols = np.asarray(rows, dtype=np.int64).ravel(), np.asarray(cols, dtype=np.int64).ravel()
        keys, sums = _sum_duplicates(rows * max(shape[1], 1) + cols, nums.ravel())
        return cls(keys // max(shape[1], 1), keys % max(shape[1], 1), sums, bias, den, shape)

    @classmethod
    def from_floats(cls, rows: Any, cols: Any, values: np.ndarray, bias: np.ndarray,
                    shape: tuple[int, int]) -> SparseAffine:
        """Make the map whose entries are the exact values of finite float64 numbers.

        Parameters
        ----------
        rows, cols : array_like of int, shape (k,)
            Positions; a position given twice has the exact sum of its values.
        values : ndarray of float64, shape (k,)
            The entries of ``A``.
        bias : ndarray of float64, shape (m,)
            ``c``.
        shape : (int, int)
            ``(m, n)``.

        Returns
        -------
        SparseAffine

        Examples
        --------
        >>> f = SparseAffine.from_floats([0, 0], [0, 0], np.array([0.1, 0.2]), np.zeros(1), (1, 1))
        >>> Fraction(int(f.nums[0]), f.den) == Fraction(0.1) + Fraction(0.2)
        True
        """
        values = np.asarray(values, dtype=np.float64).ravel()
        both, den = dyadic_integers(np.concatenate([values, np.asarray(bias, dtype=np.float64).ravel()]))
        return cls._from_entries(rows, cols, both[: len(values)], both[len(values):], den, shape)

    @classmethod
    def from_dense(cls, W: np.ndarray, b: np.ndarray) -> SparseAffine:
        """Make the map ``x -> W x + b`` of dense finite float64 arrays (exact values).

        Parameters
        ----------
        W : ndarray, shape (m, n)
        b : ndarray, shape (m,)

        Returns
        -------
        SparseAffine

        Examples
        --------
        >>> SparseAffine.from_dense(np.array([[0.0, 2.0]]), np.zeros(1)).nnz
        1
        """
        r, c = np.nonzero(W)
        return cls.from_floats(r, c, W[r, c], b, W.shape)

    @classmethod
    def from_fractions(cls, rows: Any, cols: Any, values: Sequence[Fraction], bias: Sequence[Fraction],
                       shape: tuple[int, int]) -> SparseAffine:
        """Make the map with these exact rational entries.

        Parameters
        ----------
        rows, cols : array_like of int, shape (k,)
            Positions; a position given twice has the sum of its values.
        values : sequence of Fraction, length k
            The entries of ``A``.
        bias : sequence of Fraction, length m
            ``c``.
        shape : (int, int)
            ``(m, n)``.

        Returns
        -------
        SparseAffine

        Examples
        --------
        >>> SparseAffine.from_fractions([0, 0], [0, 1], [Fraction(1, 4)] * 2, [0], (1, 2)).den
        4
        """
        vals = [Fraction(v) for v in values] + [Fraction(v) for v in bias]
        den = math.lcm(1, *{v.denominator for v in vals})
        nums = np.empty(len(vals), dtype=object)
        nums[:] = [v.numerator * (den // v.denominator) for v in vals]
        return cls._from_entries(rows, cols, nums[: len(values)], nums[len(values):], den, shape)

    @property
    def nnz(self) -> int:
        """Number of nonzero entries of ``A``."""
        return len(self.nums)

    def fan_in(self) -> int:
        """Return the most nonzero entries in one row of ``A`` (0 for a constant map).

        Returns
        -------
        int
        """
        return int(np.bincount(self.rows, minlength=1).max()) if self.nnz else 0

    def compose(self, inner: SparseAffine, what: str = "the layers") -> SparseAffine:
        """Return ``self ∘ inner``: ``x -> A (A' x + c') + c``, exactly.

        Parameters
        ----------
        inner : SparseAffine
            The map applied first; its outputs are this map's inputs.
        what : str, optional
            Names the layers in a refusal message.

        Returns
        -------
        SparseAffine

        Raises
        ------
        ResourceLimitError
            When the product would take more than :data:`MAX_COMPOSE_PRODUCTS` integer
            products (checked before any is computed).

        Notes
        -----
        Cost ``O(sum over the nonzeros A[i, k] of the nonzeros of row k of A')``, in Python
        integers: the numerators multiply, the denominators multiply.
        """
        if inner.shape[0] != self.shape[1]:
            raise ValueError(f"cannot compose: {inner.shape} then {self.shape}")
        order = np.argsort(inner.rows, kind="stable")
        counts = np.bincount(inner.rows, minlength=inner.shape[0])
        ptr = np.concatenate([[0], np.cumsum(counts)])
        per = counts[self.cols]
        total = int(per.sum())
        if total > MAX_COMPOSE_PRODUCTS:
            raise ResourceLimitError(
                f"composing {what} exactly takes {total:,} products of exact weights, more than "
                f"{MAX_COMPOSE_PRODUCTS:,}; put an activation between them or pass the layers as (W, b) "
                "pairs")
        rep = np.repeat(np.arange(self.nnz), per)
        within = np.arange(total) - np.repeat(np.cumsum(per) - per, per)
        idx = order[ptr[self.cols][rep] + within]
        nums = self.nums[rep] * inner.nums[idx]
        keys = self.rows[rep] * max(inner.shape[1], 1) + inner.cols[idx]
        bias_terms = self.nums * inner.bias[self.cols]
        bias = self.bias * inner.den
        if self.nnz:
            rkeys, rsums = _sum_duplicates(self.rows, bias_terms)
            bias[rkeys] += rsums
        shape = (self.shape[0], inner.shape[1])
        keys, sums = _sum_duplicates(keys, nums)
        return SparseAffine(keys // max(shape[1], 1), keys % max(shape[1], 1), sums, bias,
                            self.den * inner.den, shape)

    def dense_layer(self) -> tuple[Any, Any]:
        """Return ``(W, b)`` dense: float64 arrays if every entry is a float, else lists of Fractions.

        Returns
        -------
        W : ndarray of shape (m, n) or list of list of Fraction
        b : ndarray of shape (m,) or list of Fraction

        Raises
        ------
        ResourceLimitError
            More than :data:`MAX_DENSE_WEIGHTS` weights (:data:`MAX_EXACT_WEIGHTS` for exact
            rationals that are not floats).
        """
        m, n = self.shape
        if m * n > MAX_DENSE_WEIGHTS:
            raise ResourceLimitError(f"a layer of {m:,} x {n:,} = {m * n:,} weights is more than the "
                                     f"{MAX_DENSE_WEIGHTS:,} exactnet reads (networks are read as dense "
                                     "MLPs)")
        floats = self._float_values()
        if floats is not None:
            W = np.zeros((m, n))
            W[self.rows, self.cols] = floats[: self.nnz]
            return W, floats[self.nnz:]
        if m * n > MAX_EXACT_WEIGHTS:
            raise ResourceLimitError(
                f"a composed layer of {m:,} x {n:,} = {m * n:,} weights is more than the "
                f"{MAX_EXACT_WEIGHTS:,} exactnet builds as exact rationals (layers composed with a "
                "BatchNorm, a pooling or each other are no longer floats); use a smaller input or fewer "
                "channels")
        zero = Fraction(0)
        W = [[zero] * n for _ in range(m)]
        for r, c, v in zip(self.rows.tolist(), self.cols.tolist(), self.nums.tolist()):
            W[r][c] = Fraction(v, self.den)
        return W, [Fraction(v, self.den) for v in self.bias.tolist()]

    def _float_values(self) -> np.ndarray | None:
        """Return the entries then the bias as float64 if every one is exactly a float; else None."""
        den = self.den
        if den & (den - 1):
            return None  # not a power of two: some value is not dyadic
        k = den.bit_length() - 1
        vals = np.concatenate([self.nums, self.bias])
        for v in vals.tolist():
            if v:
                tz = (v & -v).bit_length() - 1
                e = tz - k  # v / den = odd * 2**e
                if (abs(v) >> tz).bit_length() > 53 or e + (abs(v) >> tz).bit_length() > 1024 or e < -1074:
                    return None
        return np.array([v / den for v in vals.tolist()], dtype=np.float64)  # exact: checked above

    def abs_bound(self, s: np.ndarray) -> np.ndarray:
        """Push magnitudes through the map: ``|A| s + |c|`` in floats, for error bounds, never decisions.

        Parameters
        ----------
        s : ndarray, shape (P, n)
            Nonnegative magnitudes of ``P`` inputs.

        Returns
        -------
        ndarray, shape (P, m)
            With ``|A|``, ``|c|`` rounded to the nearest float (``inf`` beyond the range).

        Notes
        -----
        Sparse: cost ``O(P * nnz)`` in chunks of points, memory ``O(nnz + P m)``; a diagonal
        map (a folded BatchNorm) never becomes a dense ``m x m`` matrix.

        Examples
        --------
        >>> f = SparseAffine.from_dense(np.array([[1.0, -2.0], [0.0, 0.5]]), np.array([-1.0, 0.0]))
        >>> f.abs_bound(np.array([[1.0, 1.0]]))
        array([[4. , 0.5]])
        """
        vals = np.array([round_or_inf(abs(v), self.den) for v in self.nums.tolist()], dtype=np.float64)
        absb = np.array([round_or_inf(abs(v), self.den) for v in self.bias.tolist()], dtype=np.float64)
        out = np.tile(absb, (len(s), 1))
        if not self.nnz:
            return out
        starts = np.flatnonzero(np.r_[True, self.rows[1:] != self.rows[:-1]])  # rows are sorted
        step = max(1, 4_000_000 // self.nnz)
        with np.errstate(all="ignore"):
            for p in range(0, len(s), step):
                sums = np.add.reduceat(s[p:p + step, self.cols] * vals, starts, axis=1)
                out[p:p + step, self.rows[starts]] += sums
        return out

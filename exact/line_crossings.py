"""Exact crossings of many pairs of integer lines at array speed, and float brackets of them.

The crossing of ``a1 x + b1 y + c1 = 0`` and ``a2 x + b2 y + c2 = 0`` is the homogeneous
point ``(b1 c2 - b2 c1, c1 a2 - c2 a1, a1 b2 - a2 b1)`` (Cramer's rule), reduced to lowest
terms with a positive last coordinate, as :func:`exact.predicates.intersect_lines` gives
it.  Where the bit lengths of the coefficients prove that every product and difference
fits in a signed 64-bit integer, the pairs are computed all at once in numpy ``int64``;
the others one by one in Python integers (:func:`~exact.predicates.intersect_lines`).
Their float brackets: :func:`exact.face_tables.crossing_floats`; their correctly rounded
floats: :func:`rounded_crossings` (from the same :func:`crossing_arrays` when the caller
passes them, so that the exact points and their floats cost one crossing of the pairs).

Examples
--------
>>> lines = [(1, -1, 0), (1, 1, -1), (0, 1, 3)]
>>> crossing_points(lines, np.array([[0, 1], [1, 2]]))
[(1, 1, 2), (4, -3, 1)]
>>> crossing_points([(10**30, 1, 0), (1, 1, -1)], np.array([[0, 1]]))   # too big for int64: exact ints
[(-1, 1000000000000000000000000000000, 999999999999999999999999999999)]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .predicates import Line, Point, intersect_lines

__all__ = ["crossing_arrays", "crossing_points", "line_table", "rounded_crossings"]

_BITS = 62
"""Two coefficients whose bit lengths add up to at most this have a product below ``2^62``: the
difference of two such products stays below ``2^63``, inside ``int64``."""

_CHUNK = 1 << 16
"""Pairs crossed at a time by :func:`crossing_arrays`."""


def line_table(lines: Sequence[Line]) -> tuple[np.ndarray, np.ndarray]:
    """Return the lines' coefficients as ``int64`` and their exact bit lengths.

    Parameters
    ----------
    lines : sequence of Line
        Integer lines ``(a, b, c)`` of any magnitude.

    Returns
    -------
    coef : ndarray of int64, shape (n, 3)
        The coefficients; 0 where one needs more than :data:`_BITS` bits.
    bits : ndarray of int64, shape (n, 3)
        ``abs(v).bit_length()`` of each coefficient, exact (``|v| < 2**bits``).

    Examples
    --------
    >>> coef, bits = line_table([(3, -4, 2**70)])
    >>> coef.tolist(), bits.tolist()
    ([[3, -4, 0]], [[2, 3, 71]])
    """
    bits = np.array([[abs(v).bit_length() for v in line] for line in lines], dtype=np.int64).reshape(-1, 3)
    coef = np.array([[v if abs(v).bit_length() <= _BITS else 0 for v in line] for line in lines],
                    dtype=np.int64).reshape(-1, 3)
    return coef, bits


def crossing_arrays(table: tuple[np.ndarray, np.ndarray], pairs: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return the exact crossings of line pairs that provably fit in ``int64``.

    Parameters
    ----------
    table : (coef, bits)
        :func:`line_table` of the lines.
    pairs : ndarray of int, shape (m, 2)
        Indices of two crossing (not parallel) lines per row.

    Returns
    -------
    X, Y, D : ndarray of int64, shape (m,)
        The crossing in lowest terms with ``D > 0`` where ``fits``; 0 elsewhere.
    fits : ndarray of bool, shape (m,)
        Where the bit lengths prove that no product or difference exceeds ``int64``.

    Raises
    ------
    ValueError
        If two lines of a fitting pair are parallel (no crossing).

    Notes
    -----
    ``|p q| < 2^(bits(p) + bits(q)) <= 2^62`` for each of the six products, so each of the
    three differences is below ``2^63`` in magnitude: no overflow, every value exact.
    """
    X, Y, D = (np.zeros(len(pairs), dtype=np.int64) for _ in range(3))
    fits = np.zeros(len(pairs), dtype=bool)
    for k in range(0, len(pairs), _CHUNK):  # in chunks: small temporaries
        part = slice(k, k + _CHUNK)
        X[part], Y[part], D[part], fits[part] = _crossing_chunk(table, pairs[part])
    return X, Y, D, fits


def _crossing_chunk(table: tuple[np.ndarray, np.ndarray], pairs: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`crossing_arrays` of one chunk of pairs."""
    coef, bits = table
    i, j = pairs[:, 0], pairs[:, 1]
    bi, bj = bits[i], bits[j]
    fits = np.ones(len(pairs), dtype=bool)
    for u, v in ((1, 2), (2, 1), (2, 0), (0, 2), (0, 1), (1, 0)):  # the six products of Cramer's rule
        fits &= bi[:, u] + bj[:, v] <= _BITS
    ci, cj = coef[i[fits]], coef[j[fits]]
    a1, b1, c1, a2, b2, c2 = ci[:, 0], ci[:, 1], ci[:, 2], cj[:, 0], cj[:, 1], cj[:, 2]
    d = a1 * b2 - a2 * b1
    if np.any(d == 0):
        raise ValueError("crossing_arrays: two of the paired lines are parallel")
    x, y = b1 * c2 - b2 * c1, c1 * a2 - c2 * a1
    neg = d < 0
    x[neg], y[neg], d[neg] = -x[neg], -y[neg], -d[neg]
    g = np.gcd(np.gcd(x, y), d)  # >= 1, as d > 0
    X, Y, D = (np.zeros(len(pairs), dtype=np.int64) for _ in range(3))
    X[fits], Y[fits], D[fits] = x // g, y // g, d // g
    return X, Y, D, fits


def crossing_points(lines: Sequence[Line], pairs: np.ndarray,
                    table: tuple[np.ndarray, np.ndarray] | None = None,
                    arrays: tuple[np.ndarray, ...] | None = None) -> list[Point]:
    """Return the exact crossings of line pairs, as :func:`~exact.predicates.intersect_lines` does.

    Parameters
    ----------
    lines : sequence of Line
    pairs : ndarray of int, shape (m, 2)
        Indices of two crossing lines per row.
    table : (coef, bits), optional
        :func:`line_table` of ``lines``, when the caller keeps it.
    arrays : (X, Y, D, fits), optional
        :func:`crossing_arrays` of these pairs, when the caller has them already.

    Returns
    -------
    list of Point
        In lowest terms, ``D > 0``.

    Raises
    ------
    ValueError
        If two paired lines are parallel.
    """
    if arrays is None:
        arrays = crossing_arrays(line_table(lines) if table is None else table, pairs)
    X, Y, D, fits = arrays
    out = list(zip(X.tolist(), Y.tolist(), D.tolist()))
    for k in np.flatnonzero(~fits).tolist():
        a, b = pairs[k].tolist()
        p = intersect_lines(lines[a], lines[b])
        if p is None:
            raise ValueError(f"crossing_points: lines {a} and {b} are parallel")
        out[k] = p
    return out


def rounded_crossings(lines: Sequence[Line], pairs: np.ndarray,
                      table: tuple[np.ndarray, np.ndarray] | None = None,
                      arrays: tuple[np.ndarray, ...] | None = None,
                      points: Sequence[Point] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Return the crossings' coordinates as the correctly rounded floats of ``X / D`` and ``Y / D``.

    Parameters
    ----------
    lines : sequence of Line
    pairs : ndarray of int, shape (m, 2)
        Indices of two crossing lines per row.
    table : (coef, bits), optional
        :func:`line_table` of ``lines``.
    arrays : (X, Y, D, fits), optional
        :func:`crossing_arrays` of these pairs, when the caller has them already.
    points : sequence of Point, optional
        :func:`crossing_points` of these pairs, when the caller has them already: the
        crossings past ``int64`` are read from them, not made again.

    Returns
    -------
    x, y : ndarray of float64, shape (m,)
        What ``X / D`` gives in Python for the exact crossing ``(X, Y, D)`` (correctly
        rounded); ``+-inf`` where that overflows.

    Notes
    -----
    Where ``|X|``, ``|Y|`` and ``D`` are at most ``2^53`` they are floats exactly and one
    IEEE division rounds correctly, all at once; the others are divided in Python.

    Examples
    --------
    >>> rounded_crossings([(1, -1, 0), (3, 3, -1)], np.array([[0, 1]]))[0].tolist()
    [0.16666666666666666]
    """
    if arrays is None:
        arrays = crossing_arrays(line_table(lines) if table is None else table, pairs)
    X, Y, D, fits = arrays
    big = 2**53
    exact = fits & (np.abs(X) <= big) & (np.abs(Y) <= big) & (D <= big)
    with np.errstate(invalid="ignore", divide="ignore"):
        x, y = X / D.astype(np.float64), Y / D.astype(np.float64)
    for k in np.flatnonzero(~exact).tolist():
        if points is not None:
            p = points[k]
        elif fits[k]:
            p = (int(X[k]), int(Y[k]), int(D[k]))
        else:
            a, b = pairs[k].tolist()
            p = intersect_lines(lines[a], lines[b])
            if p is None:
                raise ValueError(f"rounded_crossings: lines {a} and {b} are parallel")
        x[k], y[k] = _divide(p[0], p[2]), _divide(p[1], p[2])
    return x, y


def _divide(n: int, d: int) -> float:
    """Return ``n / d`` correctly rounded, or infinity with its sign when it overflows."""
    try:
        return n / d
    except OverflowError:
        return float("inf") if n > 0 else float("-inf")

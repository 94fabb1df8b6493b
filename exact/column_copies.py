"""Columns of a matrix picked by index, copied a run of consecutive columns at a time.

``np.take(a, col, axis=1)`` copies element by element; where ``col`` is mostly runs of
consecutive indices (a first-layer net's neuron lines in order, a few repeated or
constant), one slice copy per run is several times faster.

Examples
--------
>>> a = np.arange(32).reshape(2, 16)
>>> col = np.array([*range(12), 15, 15])
>>> runs = column_runs(col)
>>> runs, take_columns(a, col, runs)[1, 10:].tolist()
([(0, 0, 12), (12, 15, 1), (13, 15, 1)], [26, 27, 31, 31])
"""

from __future__ import annotations

import numpy as np

__all__ = ["column_runs", "take_columns"]


def column_runs(col: np.ndarray) -> list[tuple[int, int, int]] | None:
    """Split column indices into runs of consecutive columns.

    Parameters
    ----------
    col : ndarray of int, shape (n,)

    Returns
    -------
    list of (int, int, int) or None
        ``(at, first, length)``: ``col[at:at + length]`` is ``first, first + 1, ...``; None
        when the runs are shorter than 4 columns on average (one take is faster) or
        ``col`` is empty.

    Examples
    --------
    >>> column_runs(np.array([4, 5, 6, 7, 0, 1, 2, 3])), column_runs(np.array([3, 1, 2]))
    ([(0, 4, 4), (4, 0, 4)], None)
    """
    if not col.size:
        return None
    cut = np.flatnonzero(np.diff(col) != 1) + 1
    if 4 * (cut.size + 1) > col.size:
        return None
    at = np.concatenate([[0], cut])
    return list(zip(at.tolist(), col[at].tolist(), np.diff(np.append(at, col.size)).tolist()))


def take_columns(a: np.ndarray, col: np.ndarray, runs: list[tuple[int, int, int]] | None) -> np.ndarray:
    """Return ``a[:, col]`` in C order: a slice copy per run, else one take.

    Parameters
    ----------
    a : ndarray, shape (k, m)
    col : ndarray of int, shape (n,)
        Column indices into ``a``.
    runs : list of (int, int, int) or None
        :func:`column_runs` of ``col``.

    Returns
    -------
    ndarray, shape (k, n)

    Examples
    --------
    >>> take_columns(np.eye(3, dtype=int), np.array([2, 0]), None).tolist()
    [[0, 1], [0, 0], [1, 0]]
    """
    if runs is None:
        return np.take(a, col, axis=1)
    out = np.empty((len(a), col.size), dtype=a.dtype)
    for at, first, length in runs:
        out[:, at:at + length] = a[:, first:first + length]
    return out

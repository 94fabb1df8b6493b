"""Array kernels of the certified engine, and the chunks that keep their memory bounded.

Every array over *pairs* — a cell and a line, a face and a chord, an edge and a neuron —
is built in chunks of about :data:`BLOCK` pairs (:func:`chunks`), so its temporaries take
tens of megabytes whatever the job's size.  Built all at once, such arrays grow like
``cells x width``, which after a wide first layer is ``n^3`` (issue 13: 2-1000-2-1 asked
for 17.7 GB, 2-3000-1-1 for 93 GiB at once).  :mod:`.budget` checks, before each layer,
what the cells themselves will take.

Examples
--------
>>> import numpy as np
>>> chunks(np.array([3, 3, 3, 3, 3]), 6)
[(0, 2), (2, 4), (4, 5)]
>>> ranges(np.array([10, 20]), np.array([2, 3])).tolist()
[10, 11, 20, 21, 22]
"""

from __future__ import annotations

import numpy as np

__all__ = ["BLOCK", "add_ones", "breadth_first_arcs", "chunks", "even_chunks", "piece_hashes", "ranges"]

BLOCK = 1 << 18
"""Pairs handled per numpy pass in the chunked loops (a few MB per temporary).

Set it to ``2**62`` (no chunks) to see the ``n^3`` memory come back: ``tests/test_memory.py``
does, and then the 2-500-2-1 count no longer fits in 2 GB.
"""


def chunks(sizes: np.ndarray, budget: int | None = None) -> list[tuple[int, int]]:
    """Cut ``range(len(sizes))`` into consecutive slices of about ``budget`` in total size.

    Parameters
    ----------
    sizes : ndarray of int, shape (n,)
        The size (number of pairs, vertices, ...) of each item.
    budget : int, optional
        Total size per slice; :data:`BLOCK` by default (read at call time).  A slice
        exceeds it by at most the largest single size (an item is never cut).

    Returns
    -------
    list of (int, int)
        ``(lo, hi)`` of each slice, covering ``0 .. n`` in order (none when ``n = 0``).

    Examples
    --------
    >>> chunks(np.array([10, 1, 1]), 2)
    [(0, 1), (1, 3)]
    """
    n = len(sizes)
    if n == 0:
        return []
    budget = max(1, int(BLOCK if budget is None else budget))
    cum = np.cumsum(sizes)
    if int(cum[-1]) <= budget:
        return [(0, n)]
    cuts = np.searchsorted(cum, np.arange(budget, int(cum[-1]), budget), side="right")
    edges = np.unique(np.concatenate([[0], cuts, [n]])).tolist()
    return list(zip(edges[:-1], edges[1:]))


def even_chunks(n: int, size: int, budget: int | None = None) -> list[tuple[int, int]]:
    """Cut ``range(n)`` into consecutive slices of items of equal ``size``, about ``budget`` per slice.

    :func:`chunks` for equal sizes, without building an array of them.

    Parameters
    ----------
    n : int
        Number of items.
    size : int
        The size of each item (at least 1 is assumed).
    budget : int, optional
        Total size per slice; :data:`BLOCK` by default.

    Returns
    -------
    list of (int, int)
        ``(lo, hi)`` of each slice (none when ``n = 0``).

    Examples
    --------
    >>> even_chunks(5, 3, 6)
    [(0, 2), (2, 4), (4, 5)]
    """
    step = max(1, int(BLOCK if budget is None else budget) // max(1, size))
    return [(lo, min(n, lo + step)) for lo in range(0, n, step)]


def add_ones(a: np.ndarray, rows: np.ndarray, cols: np.ndarray, unique: bool = False) -> None:
    """Add one at each of the given positions, in place, repeated positions adding up.

    ``a[rows[i], cols[i]] += 1`` for every ``i``, like ``np.add.at``, which is slow on small
    integer arrays indexed by two arrays.

    Parameters
    ----------
    a : ndarray, shape (R, K)
        The array to update.
    rows, cols : ndarray of int, shape (n,)
        The positions.
    unique : bool
        A promise that no position repeats, so that plain fancy indexing does.
    """
    if len(rows) == 0:
        return
    if unique:
        a[rows, cols] += 1
    elif a.size <= 64 * len(rows) + 4096:
        a += np.bincount(rows * a.shape[1] + cols, minlength=a.size).reshape(a.shape).astype(a.dtype)
    else:
        np.add.at(a, (rows, cols), 1)


def ranges(starts: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """Concatenate ``arange(s, s + n)`` for each pair (vectorised).

    Parameters
    ----------
    starts, lens : ndarray of int, shape (n,)
        Start and length of each range.

    Returns
    -------
    ndarray of int64, shape (sum(lens),)
        The ranges, one after the other.
    """
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offs = lens.cumsum() - lens
    return (starts - offs).repeat(lens) + np.arange(total)


def piece_hashes(piece: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Hash one layer's pieces of each cell: ``sum_j piece[c, j] * keys[j]`` (wrapping).

    Parameters
    ----------
    piece : ndarray of int8, shape (C, k)
        The pieces.
    keys : ndarray of uint64, shape (k,)
        The hash key of each neuron.

    Returns
    -------
    ndarray of uint64, shape (C,)
        The hashes, computed a chunk of cells at a time (a uint64 copy of all the pieces
        would take ``8 x cells x width`` bytes).
    """
    out = np.empty(len(piece), dtype=np.uint64)
    for c0, c1 in even_chunks(len(piece), piece.shape[1]):
        out[c0:c1] = piece[c0:c1].astype(np.uint64) @ keys
    return out


def breadth_first_arcs(src: np.ndarray, dst: np.ndarray, n: int, roots: np.ndarray
                       ) -> tuple[list[np.ndarray], bool]:
    """Return the arcs of a breadth-first search from ``roots``, round by round.

    Parameters
    ----------
    src, dst : ndarray of int64, shape (A,)
        The arcs ``src[a] -> dst[a]`` of a graph on nodes ``0 .. n-1``, ``src`` sorted.
    n : int
        Number of nodes.
    roots : ndarray of int64
        The nodes the search starts from.

    Returns
    -------
    rounds : list of ndarray of int64
        Round ``r`` holds one arc into each node first reached in round ``r``, from a node
        reached before; a caller walking the rounds in order can fill each node from its
        parent.
    complete : bool
        Whether every node was reached.

    Examples
    --------
    >>> src, dst = np.array([0, 1, 1, 2]), np.array([1, 0, 2, 1])
    >>> rounds, complete = breadth_first_arcs(src, dst, 4, np.array([0]))
    >>> [dst[a].tolist() for a in rounds], complete
    ([[1], [2]], False)
    """
    off = np.searchsorted(src, np.arange(n + 1))
    seen = np.zeros(n, dtype=bool)
    seen[roots] = True
    front, rounds = roots, []
    while len(front):
        arcs = ranges(off[front], off[front + 1] - off[front])
        arcs = arcs[~seen[dst[arcs]]]
        reached, first = np.unique(dst[arcs], return_index=True)
        arcs = arcs[first]
        seen[reached] = True
        if len(arcs):
            rounds.append(arcs)
        front = reached
    return rounds, bool(seen.all())

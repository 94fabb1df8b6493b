"""The chords a layer's breakpoint lines cut through the cells, found with certified floats.

Inside a convex cell a line that has vertices strictly on both sides is a chord: it enters
the cell through one edge and leaves through another.  This module finds, for every cell
at once:

* the signs of each line that may cut the cell at each of its vertices (certified, see
  :func:`exact._certified.bounds.values`); lines with one sign everywhere leave the cell whole;
* each chord's two endpoints: the edges where the sign changes.  On the edge from vertex
  ``i`` to ``i + 1`` the endpoint's exact parameter is ``t = f_i / (f_i - f_{i+1})``, and
  the bounds of ``f`` give an interval for it;
* the order of all endpoints around each cell: by edge, then by ``t``, where neighbouring
  intervals on one edge must be disjoint;
* the pairs of chords that cross inside the cell: those whose endpoints interleave
  around the border, an exact consequence of that order.

Any test within its bound raises :class:`~exact.errors.Undecided`.  Used by
:mod:`exact._certified.last_layer` (counting) and :mod:`exact._certified.chord_faces` (building the cells).

Examples
--------
In ``[-1, 1]^2`` the lines ``x = 0``, ``y = 0`` and ``x + y = 1/2`` are chords of the one
cell, and each pair crosses inside it; ``x = 2`` misses the cell.

>>> from fractions import Fraction
>>> from exact import ExactNet
>>> from exact._certified.subdivision import Subdivision
>>> net = ExactNet.from_layers([([[1, 0], [0, 1], [1, 1], [1, 0]], [0, 0, -0.5, -2]),
...                             ([[1, 1, 1, 1]], [0])])
>>> st = Subdivision(net, Fraction(1))
>>> layer, piece, rows, cols = st.begin_layer()
>>> ch = find_chords(st, layer, piece, rows, cols)
>>> ch.k.tolist(), [p.tolist() for p in crossing_pairs(ch)]
([0, 1, 2], [[0, 0, 1], [1, 2, 2]])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._fp import TINY, U
from ..errors import Undecided
from . import blocks
from .blocks import add_ones, chunks, ranges
from .bounds import intersect, values

__all__ = ["Chords", "find_chords", "certain_sides", "crossing_pairs", "chord_lines", "endpoint_points",
           "no_triple_points", "sort_within"]


@dataclass
class Chords:
    """Chords of one layer's lines in the cells of a subdivision.

    Chord ``x`` is line ``(k[x], q[x])`` (neuron, breakpoint) in cell ``cell[x]``; chords
    are sorted by cell.  Its ``2 n`` endpoints are sorted around each cell (by cell, edge,
    then position on the edge): endpoint ``e`` belongs to chord ``e_chord[e]``, lies on
    the edge from the cell's vertex ``e_edge[e]`` (local index) to the next, and the
    line's value rises along that edge when ``e_rising[e]``.  ``entry[x]`` and
    ``exit[x]`` are the sorted positions of chord ``x``'s rising and falling endpoints;
    walking from entry to exit, the line's upper side is on the right.

    Attributes
    ----------
    cell, k, q : ndarray of int64, shape (X,)
        Cell, neuron and breakpoint of each chord.
    e_cell, e_edge, e_chord : ndarray of int64, shape (2 X,)
        Cell, edge (local index of its first vertex) and chord of each endpoint.
    e_rising : ndarray of bool, shape (2 X,)
        Whether the line's value rises along the edge at each endpoint.
    entry, exit : ndarray of int64, shape (X,)
        Sorted positions of each chord's rising and falling endpoints.
    piece_gain : tuple of two ndarray of int64
        ``(global vertex, neuron)`` for every vertex above a chord's line.
    """

    cell: np.ndarray
    k: np.ndarray
    q: np.ndarray
    e_cell: np.ndarray
    e_edge: np.ndarray
    e_chord: np.ndarray
    e_rising: np.ndarray
    entry: np.ndarray
    exit: np.ndarray
    piece_gain: tuple[np.ndarray, np.ndarray]

    @property
    def n(self) -> int:
        """Number of chords."""
        return len(self.cell)

    @property
    def lo(self) -> np.ndarray:
        """First of each chord's two endpoint positions."""
        return np.minimum(self.entry, self.exit)

    @property
    def hi(self) -> np.ndarray:
        """Last of each chord's two endpoint positions."""
        return np.maximum(self.entry, self.exit)

    @classmethod
    def empty(cls) -> Chords:
        """Return the chords of a layer that cuts no cell."""
        z = np.zeros(0, dtype=np.int64)
        return cls(z, z, z, z, z, z, np.zeros(0, bool), z, z, (z, z))

    @classmethod
    def concat(cls, parts: list[Chords]) -> Chords:
        """Join the chords of consecutive groups of cells (numbered within each group)."""
        if len(parts) == 1:
            return parts[0]
        X = np.cumsum([0] + [p.n for p in parts])  # chords before each group
        cat = np.concatenate
        return cls(cat([p.cell for p in parts]), cat([p.k for p in parts]), cat([p.q for p in parts]),
                   cat([p.e_cell for p in parts]), cat([p.e_edge for p in parts]),
                   cat([p.e_chord + o for p, o in zip(parts, X)]), cat([p.e_rising for p in parts]),
                   cat([p.entry + 2 * o for p, o in zip(parts, X)]),
                   cat([p.exit + 2 * o for p, o in zip(parts, X)]),
                   (cat([p.piece_gain[0] for p in parts]), cat([p.piece_gain[1] for p in parts])))


def find_chords(st, layer, piece: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> Chords:
    """Find the chords among the open pairs of cells and lines, and order their endpoints.

    Also raises the pieces (in ``piece``) of cells certainly above a line.

    Parameters
    ----------
    st : exact._certified.subdivision.Subdivision
        The subdivision, with ``C`` cells.
    layer : exact._certified.subdivision._Layer
        The layer whose lines are tested, as from ``st.begin_layer()``.
    piece : ndarray, shape (C, k)
        The pieces known so far; updated in place.
    rows, cols : ndarray of int64, shape (P,)
        The open pairs ``(cell rows[i], line cols[i])``, ``cols = neuron * nq + q``,
        ``rows`` sorted.

    Returns
    -------
    Chords
        The pairs whose line cuts its cell, sorted by cell, with their endpoints.

    Raises
    ------
    Undecided
        A vertex too close to a line, or two endpoints on one edge too close to order.

    References
    ----------
    .. [1] N. J. Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed.,
       SIAM, 2002, §2.2 and §3.1 (the error bounds).
    """
    if len(rows) == 0:
        return Chords.empty()
    # in chunks of whole cells (the endpoints of a cell are ordered together), so that the
    # arrays over (pair, vertex) stay small: all at once they take ~150 bytes each
    if len(rows) * int(st.nv.max()) <= blocks.BLOCK:  # one chunk
        return _chords_in(st, layer, piece, rows, cols)
    first = np.concatenate(([True], rows[1:] != rows[:-1])).nonzero()[0]
    size = np.add.reduceat(st.nv[rows], first)
    bounds = [(int(first[lo]), int(first[hi]) if hi < len(first) else len(rows)) for lo, hi in chunks(size)]
    return Chords.concat([_chords_in(st, layer, piece, rows[a:b], cols[a:b]) for a, b in bounds])


def _chords_in(st, layer, piece: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> Chords:
    """:func:`find_chords` on the pairs of some whole cells."""
    nq = layer.nq
    rec, start, nv = st.rec, st.start, st.nv
    n = nv[rows]
    offs = n.cumsum() - n
    idx = ranges(start[rows], n)
    j, q = cols // nq, cols % nq
    jv, qv = j.repeat(n), q.repeat(n)
    f, fe, pos, neg = certain_sides(layer, jv, qv, rows.repeat(n), rec[idx])
    npos = np.add.reduceat(pos, offs, dtype=np.int64)
    allpos = npos == n
    add_ones(piece, rows[allpos], j[allpos], unique=nq == 1)  # one line per neuron and cell
    cross = (npos > 0) & ~allpos
    X = cross.nonzero()[0]
    G = len(f)
    succ = np.arange(1, G + 1)  # each vertex's successor within its cell (cyclic)
    succ[offs + n - 1] = offs
    falls = (pos & neg[succ]).nonzero()[0]  # the edge from here to the next leaves the upper side
    rises = (neg & pos[succ]).nonzero()[0]
    if len(falls) != len(X) or len(rises) != len(X):  # impossible for convex cells
        raise Undecided("a cell crossed by a line is not convex in floats")
    # endpoint on the edge a -> succ(a): exact t = |f_a| / (|f_a| + |f_b|), in an interval
    a = np.concatenate([falls, rises])
    b = succ[a]
    fa, fb, ea, eb = np.abs(f[a]), np.abs(f[b]), fe[a], fe[b]
    t = fa / (fa + fb)
    # (about five roundings in each expression; 8u covers them)
    # (- / + TINY: a subnormal t's rounding, which the relative factors do not cover)
    t_lo = (fa - ea) / ((fa - ea) + (fb + eb)) * (1 - 8 * U) - TINY
    t_hi = (fa + ea) / ((fa + ea) + (fb - eb)) * (1 + 8 * U) + TINY
    e_cell = rows[np.arange(len(rows)).repeat(n)[a]]
    e_edge = idx[a] - start[e_cell]
    order = sort_within(t, e_cell * (int(nv.max()) + 1) + e_edge)
    same = (e_cell[order][1:] == e_cell[order][:-1]) & (e_edge[order][1:] == e_edge[order][:-1])
    if np.any(same & ~(t_hi[order][:-1] < t_lo[order][1:])):
        raise Undecided(f"two lines of hidden layer {layer.index} meet an edge too close together "
                        "to order in floats")
    nX = len(X)
    rank = np.empty(2 * nX, dtype=np.int64)
    rank[order] = np.arange(2 * nX)
    e_chord = np.concatenate([np.arange(nX), np.arange(nX)])
    e_rising = np.arange(2 * nX) >= nX
    above = pos & cross.repeat(n)
    return Chords(rows[X], j[X], q[X], e_cell[order], e_edge[order], e_chord[order], e_rising[order],
                  rank[nX:], rank[:nX], (idx[above], jv[above]))


def certain_sides(layer, jv: np.ndarray, qv: np.ndarray, cv: np.ndarray, vrec: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Evaluate lines at vertices, and tell which vertices are certainly above or below.

    Parameters
    ----------
    layer : exact._certified.subdivision._Layer
        The layer whose lines are evaluated.
    jv, qv : ndarray of int64, shape (n,)
        Neuron and breakpoint of the line at each vertex.
    cv : ndarray of int64, shape (n,)
        The cell of each vertex (a column of ``layer.M``).
    vrec : ndarray, shape (n, 7)
        Vertex records (x, y, error bound, ...).

    Returns
    -------
    f, fe : ndarray, shape (n,)
        Float values of the lines at the vertices and bounds on their errors.
    pos, neg : ndarray of bool, shape (n,)
        Whether each vertex is certainly above (``f > fe``) or below (``f < -fe``).

    Raises
    ------
    Undecided
        If some vertex is within its bound of its line.
    """
    f, fe = values(layer.M[:, jv, cv], layer.E[jv].T, vrec[:, 0], vrec[:, 1], vrec[:, 2],
                   layer.beta[qv], layer.ebeta[qv])
    pos, neg = f > fe, f < -fe
    if not np.all(pos | neg):
        bad = int(jv[(~(pos | neg)).nonzero()[0][0]])
        raise Undecided(f"a vertex is too close to the line of neuron {bad} of hidden layer {layer.index} "
                        "to decide its side in floats")
    return f, fe, pos, neg


def crossing_pairs(ch: Chords) -> tuple[np.ndarray, np.ndarray]:
    """Find the pairs of chords that cross inside their cell.

    Two chords of a convex cell cross inside it exactly when their endpoints interleave
    around its border, so the certified endpoint order decides, with no further test.

    Parameters
    ----------
    ch : Chords
        Chords sorted by cell, ``X`` of them.

    Returns
    -------
    a, b : ndarray of int64, shape (I,)
        The crossing pairs of chords ``(a[i], b[i])``, ``a[i] < b[i]``, of one cell.
    """
    if ch.n == 0:
        z = np.zeros(0, dtype=np.int64)
        return z, z
    end = np.searchsorted(ch.cell, ch.cell, side="right")
    cnt = end - np.arange(ch.n) - 1  # later chords of the same cell
    lo, hi = ch.lo, ch.hi
    out_a, out_b = [], []
    for x0, x1 in chunks(cnt):  # the pairs of a cell number L^2 / 2, the crossings maybe far fewer
        x = np.arange(x0, x1)
        pa = x.repeat(cnt[x0:x1])
        pb = ranges(x + 1, cnt[x0:x1])
        la, ha, lb, hb = lo[pa], hi[pa], lo[pb], hi[pb]
        inside = ((la < lb) & (lb < ha)) != ((la < hb) & (hb < ha))
        out_a.append(pa[inside])
        out_b.append(pb[inside])
    return np.concatenate(out_a), np.concatenate(out_b)


def chord_lines(layer, ch: Chords, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the float lines of some chords, their error bounds and their labels.

    Parameters
    ----------
    layer : exact._certified.subdivision._Layer
        The layer of the chords.
    ch : Chords
        The chords.
    x : ndarray of int64, shape (n,)
        The chords wanted.

    Returns
    -------
    L : ndarray, shape (n, 3)
        Float lines ``(a, b, c - beta)``.
    E : ndarray, shape (n, 3)
        Their entrywise error bounds.
    label : ndarray of int64, shape (n,)
        Their line labels.
    """
    L = layer.M[:, ch.k[x], ch.cell[x]].T.copy()
    L[:, 2] -= layer.beta[ch.q[x]]
    label = layer.lab0 + ch.k[x] * layer.nq + ch.q[x]
    return L, layer.etab[label + 1], label


def endpoint_points(st, layer, ch: Chords, e: np.ndarray, L: np.ndarray, E: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Intersect the chords of some endpoints with the lines of their edges (Cramer, with bounds).

    Parameters
    ----------
    st : exact._certified.subdivision.Subdivision
        The subdivision the chords cut.
    layer : exact._certified.subdivision._Layer
        The layer of the chords.
    ch : Chords
        The chords.
    e : ndarray of int64, shape (n,)
        The endpoints wanted (sorted positions).
    L, E : ndarray, shape (n, 3)
        The float lines of their chords and the lines' error bounds (:func:`chord_lines`).

    Returns
    -------
    x, y, err : ndarray, shape (n,)
        The endpoints and a bound on their max-norm distance from the exact points.

    Raises
    ------
    Undecided
        A chord too close to parallel to its edge's line to intersect in floats.
    """
    rec = st.rec
    ev = st.start[ch.e_cell[e]] + ch.e_edge[e]
    e_lab = rec[ev, 3].astype(np.int64)
    return intersect(L, E, rec[ev, 4:7], layer.etab[e_lab + 1])


def sort_within(t: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Sort by ``group``, then by ``t``.

    Like ``np.lexsort((t, group))``, twice as fast here: two stable argsorts.

    Parameters
    ----------
    t : ndarray, shape (n,)
        The secondary key.
    group : ndarray of int, shape (n,)
        The primary key.

    Returns
    -------
    ndarray of int64, shape (n,)
        The sorting permutation.
    """
    by_t = np.argsort(t, kind="stable")
    return by_t[np.argsort(group[by_t], kind="stable")]


def no_triple_points(layer, ch: Chords, crossings: tuple[np.ndarray, np.ndarray], max_work: int | None = None
                     ) -> bool:
    """Raise :class:`Undecided` unless every crossing point is certainly off every other chord.

    Then no three lines meet inside a cell, and ``1 + L + I`` holds for each cell cut by
    ``L`` chords crossing ``I`` times (with a triple point it only bounds the count from
    above).

    Parameters
    ----------
    layer : exact._certified.subdivision._Layer
        The layer the chords belong to.
    ch : Chords
        The chords of the layer's lines in the cells they cut.
    crossings : (ndarray, ndarray)
        The pairs of crossing chords (:func:`crossing_pairs`).
    max_work : int, optional
        Give up (return False) rather than test more (crossing, chord) pairs than this.

    Returns
    -------
    bool
        True when checked; False when given up for ``max_work``.

    Raises
    ------
    Undecided
        A crossing point too close to a third chord of its cell to tell.
    """
    pa, pb = crossings
    if len(pa) == 0:
        return True
    first = np.searchsorted(ch.cell, ch.cell[pa], side="left")
    size = np.searchsorted(ch.cell, ch.cell[pa], side="right") - first
    if not np.any(size > 2):
        return True
    if max_work is not None and int(size.sum()) > max_work:
        return False
    for lo, hi in chunks(size, blocks.BLOCK):  # (crossing, chord) pairs a chunk at a time: bounded memory
        a, b, sz, fst = pa[lo:hi], pb[lo:hi], size[lo:hi], first[lo:hi]
        La, Ea, _ = chord_lines(layer, ch, a)
        Lb, Eb, _ = chord_lines(layer, ch, b)
        px, py, pe = intersect(La, Ea, Lb, Eb)
        tp = np.arange(len(a)).repeat(sz)
        tc = ranges(fst, sz)
        keep = (tc != a[tp]) & (tc != b[tp])
        tp, tc = tp[keep], tc[keep]
        kc, qc = ch.k[tc], ch.q[tc]
        f, fe = values(layer.M[:, kc, ch.cell[tc]], layer.E[kc].T, px[tp], py[tp], pe[tp], layer.beta[qc],
                       layer.ebeta[qc])
        if not np.all(np.abs(f) > fe):
            raise Undecided(f"three lines of hidden layer {layer.index} nearly meet in one point")
    return True

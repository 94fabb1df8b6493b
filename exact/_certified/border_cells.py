"""The cells with an edge on chosen sides of the window, and those edges: what a tile sends to the join.

A tile of a tiled count (:func:`exact.tiled_counts.count_tile`) needs its cells only where
they touch a seam.  :func:`border_cells_of` reads them off a table of built cells;
:func:`border_cells_from_chords` finds them without building the last layer at all, from
the chords the last layer's count has found already
(:meth:`~exact._certified.subdivision.Subdivision.layer_chords`):

* a window edge of a cell of the layers before is cut by the last layer's chords at their
  endpoints on it, whose order along the edge is certified; each stretch between two
  neighbouring points is the window edge of one child cell, and no other child has one;
* the child's pieces on the first stretch are the cell's pieces plus one for every chord
  whose line the edge's first vertex is above (certified signs); crossing an endpoint
  moves that chord's neuron one piece up where its line rises along the edge, down where
  it falls.  Two stretches of one cell with the same pieces belong to one child (the
  faces of lines in a convex cell have distinct pieces): this is exact;
* the stretches' ends are the cell's vertices and the chords' Cramer intersections with
  the edge's line (:func:`~exact._certified.chords.endpoint_points`), with their bounds;
  the children's output maps come from :func:`~exact._certified.bounds.next_map`, with the
  a priori bound of :func:`~exact._certified.bounds.layer_bounds`, as the built cells' do.

The points, maps and bounds are those the last layer's arrangement would build (the same
float operations on the same numbers), without tracing the faces of every cell near a seam.

Examples
--------
>>> from fractions import Fraction
>>> from exact.network import ExactNet
>>> from exact.windows import rectangle_window
>>> from exact._certified.subdivision import Subdivision, batched_cells
>>> net = ExactNet.from_layers([([[1, 0], [0, 1]], [0.5, 0]), ([[1, 1], [1, -1]], [-0.75, 0.25]),
...                             ([[1, 1]], [0])])
>>> w = rectangle_window(Fraction(-1), Fraction(1), Fraction(-1), Fraction(1))
>>> st = Subdivision(net, w)
>>> st.split_layer(None, False)                  # the lines x = -1/2 and y = 0
>>> b = border_cells_from_chords(st, [(0.0, 1.0)])   # the bottom y = -1, also cut at x = 1/4
>>> b.patterns.tolist(), b.edge_x.tolist()
([[0, 0, 0, 1], [1, 0, 0, 1], [1, 0, 1, 1]], [[-1.0, -0.5], [-0.5, 0.25], [0.25, 1.0]])
>>> border_cells_of(batched_cells(net, w), [(0.0, 1.0)]).patterns.tolist()   # the last layer built
[[0, 0, 0, 1], [1, 0, 0, 1], [1, 0, 1, 1]]
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from .blocks import add_ones
from .bounds import next_map
from .cell_table import BatchedCells
from .chords import chord_lines, endpoint_points

__all__ = ["BorderCells", "border_cells_from_chords", "border_cells_of", "side_edges"]


@dataclass
class BorderCells:
    """The cells with an edge on chosen sides of the window, and those edges.

    Attributes
    ----------
    patterns : ndarray of int8, shape (S, N)
        Activation patterns of the ``S`` cells.
    out : ndarray of float64, shape (S, m, 3)
        Their output maps ``(d/dx, d/dy, offset)``.
    out_err : ndarray of float64, shape (m, 3)
        Entrywise error bound of ``out``, valid in every cell.
    index : ndarray of int64, shape (S,)
        Each cell's row in the table it was read from (:func:`border_cells_of`), or
        ``arange(S)`` (:func:`border_cells_from_chords`).
    edge_cell : ndarray of int64, shape (E,)
        The cell (row of ``patterns``) of every edge on the sides.
    edge_line : ndarray of float64, shape (E, 2)
        The float ``(a, b)`` of the side each edge lies on.
    edge_x, edge_y : ndarray of float64, shape (E, 2)
        The edge's two ends, counter-clockwise around its cell.
    edge_err : ndarray of float64, shape (E,)
        A bound on the max-norm distance of both ends from the exact points.
    """

    patterns: np.ndarray
    out: np.ndarray
    out_err: np.ndarray
    index: np.ndarray
    edge_cell: np.ndarray
    edge_line: np.ndarray
    edge_x: np.ndarray
    edge_y: np.ndarray
    edge_err: np.ndarray


def side_edges(label: np.ndarray, lines: np.ndarray, sides: Iterable[tuple[float, float]]) -> np.ndarray:
    """Return the vertex records (sorted indices) whose edge to the next vertex lies on one of some sides.

    Parameters
    ----------
    label : ndarray of int64, shape (V,)
        Line label of each record's edge (``-1``: the window).
    lines : ndarray of float64, shape (V, >= 2)
        The float ``(a, b, ...)`` of each record's edge line.
    sides : iterable of (float, float)
        The sides' ``(a, b)``, as :func:`~exact._certified.subdivision.window_records` makes them.

    Returns
    -------
    ndarray of int64
    """
    window = (label == -1).nonzero()[0]
    on = np.zeros(len(window), dtype=bool)
    for a, b in sides:
        on |= (lines[window, 0] == a) & (lines[window, 1] == b)
    return window[on]


def border_cells_of(cells: BatchedCells, sides: Iterable[tuple[float, float]]) -> BorderCells:
    """Read the cells with an edge on some window sides off a table of built cells.

    Parameters
    ----------
    cells : BatchedCells
        Built cells.
    sides : iterable of (float, float)
        As in :func:`side_edges`.

    Returns
    -------
    BorderCells
        ``index`` gives each cell's row in ``cells``.
    """
    v = side_edges(cells.label, cells.lines, sides)
    cell = np.arange(len(cells)).repeat(cells.nv)[v]
    nxt = v + 1
    wrap = nxt == cells.start[cell] + cells.nv[cell]
    nxt[wrap] = cells.start[cell[wrap]]
    rows = np.unique(cell)
    return BorderCells(cells.patterns[rows], cells.out[rows], cells.out_err, rows,
                       np.searchsorted(rows, cell), cells.lines[v, :2],
                       np.stack([cells.x[v], cells.x[nxt]], axis=1),
                       np.stack([cells.y[v], cells.y[nxt]], axis=1),
                       np.maximum(cells.err[v], cells.err[nxt]))


def border_cells_from_chords(st, sides: Iterable[tuple[float, float]]) -> BorderCells | None:
    """Find the last layer's cells with an edge on some window sides, from its chords (see the module notes).

    Parameters
    ----------
    st : exact._certified.subdivision.Subdivision
        The subdivision after every hidden layer but the last, whose chords in the last
        layer are found (:meth:`~exact._certified.subdivision.Subdivision.layer_chords`, as
        :func:`~exact._certified.last_layer.count_last_layer` finds them).
    sides : iterable of (float, float)
        As in :func:`side_edges`.

    Returns
    -------
    BorderCells or None
        ``None`` when no cell has an edge on the sides.

    Raises
    ------
    Undecided
        A chord too close to parallel to a side to intersect in floats.
    """
    layer = st.begin_layer()[0]
    piece, ch, _ = st.layer_chords()
    rec, start, nv = st.rec, st.start, st.nv
    v = side_edges(rec[:, 3], rec[:, 4:6], sides)
    if len(v) == 0:
        return None
    nE = len(v)
    cell = np.arange(len(nv)).repeat(nv)[v]
    row_of = np.full(len(rec), -1, dtype=np.int64)
    row_of[v] = np.arange(nE)
    # the chord endpoints on these edges: sorted by edge (v increases), then along it
    er = row_of[start[ch.e_cell] + ch.e_edge]
    on = (er >= 0).nonzero()[0]
    er = er[on]
    cnt = np.bincount(er, minlength=nE)
    e0 = cnt.cumsum() - cnt  # each edge's first endpoint (among `on`)
    ns = cnt + 1  # stretches of each edge
    s0 = ns.cumsum() - ns  # each edge's first stretch
    edge_of = np.arange(nE).repeat(ns)
    slot = np.arange(len(edge_of)) - s0[edge_of]  # each stretch's position along its edge
    # pieces: the cell's, plus the chords below the edge's first vertex, then endpoint by endpoint
    first = piece[cell].astype(np.int32)
    gv, gk = ch.piece_gain
    g = row_of[gv]
    add_ones(first, g[g >= 0], gk[g >= 0])
    step = np.zeros((len(edge_of), piece.shape[1]), dtype=np.int32)
    x = ch.e_chord[on]
    step[s0[er] + np.arange(len(er)) - e0[er] + 1, ch.k[x]] = np.where(ch.e_rising[on], 1, -1)
    total = step.cumsum(axis=0)
    pieces = first[edge_of] + total - total[s0][edge_of]
    one, child = _children(cell[edge_of], np.bincount(cell, minlength=len(nv))[cell[edge_of]] > 1, pieces,
                           layer.keys)
    anc, kid = cell[edge_of[one]], pieces[one].astype(np.int8)
    l = st.l
    M = next_map(st.Ws[l + 1], st.bs[l + 1], st.M, anc, kid, st.slopes, st.inter)
    out_err = st.bounds.E[l + 1]  # layer_bounds of the output layer, as the built cells have it
    # the stretches' ends: the edge's vertices and the endpoints between them
    nxt = v + 1
    wrap = nxt == start[cell] + nv[cell]
    nxt[wrap] = start[cell[wrap]]
    L, E, _ = chord_lines(layer, ch, x)
    px, py, pe = endpoint_points(st, layer, ch, on, L, E)
    xs = np.concatenate([rec[v, 0], rec[nxt, 0], px])
    ys = np.concatenate([rec[v, 1], rec[nxt, 1], py])
    es = np.concatenate([rec[v, 2], rec[nxt, 2], pe])
    # stretch `slot` runs from endpoint `slot - 1` (or the edge's first vertex) to endpoint `slot` (or the
    # edge's second vertex)
    at_start = np.where(slot == 0, edge_of, 2 * nE + e0[edge_of] + slot - 1)
    at_end = np.where(slot == cnt[edge_of], nE + edge_of, 2 * nE + e0[edge_of] + slot)
    return BorderCells(np.concatenate([st.pat[anc], kid], axis=1), M.transpose(2, 1, 0), out_err,
                       np.arange(len(one)), child, rec[v, 4:6][edge_of],
                       np.stack([xs[at_start], xs[at_end]], axis=1),
                       np.stack([ys[at_start], ys[at_end]], axis=1),
                       np.maximum(es[at_start], es[at_end]))



def _children(cell: np.ndarray, several: np.ndarray, pieces: np.ndarray, keys: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
    """Group the stretches by child: one per (cell, pieces), exactly.

    The stretches of one edge are distinct children, so only those of cells with
    ``several`` edges on the sides are compared.  Returns each child's first stretch, and
    each stretch's child.
    """
    rep = np.arange(len(cell))
    multi = several.nonzero()[0]
    if len(multi):
        rep[multi] = _first_equal(cell[multi], pieces[multi], keys, multi)
    one = (rep == np.arange(len(rep))).nonzero()[0]  # each child's first stretch is its own
    return one, np.searchsorted(one, rep)


def _first_equal(cell: np.ndarray, rows: np.ndarray, keys: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """For each item, the least ``ids`` of the items with its cell and its row (exactly equal).

    Sorted by cell and a hash of the row; equal neighbours are then compared in full, and
    when two rows of one cell and hash differ (a hash collision) the rows are sorted themselves.
    """
    h = rows.astype(np.uint64) @ keys
    order = np.lexsort((ids, h, cell))
    c, hs, r = cell[order], h[order], rows[order]
    same = (c[1:] == c[:-1]) & (hs[1:] == hs[:-1])
    if not np.array_equal(r[1:][same], r[:-1][same]):  # a collision: sort the rows themselves
        _, first, inv = np.unique(np.column_stack([cell, rows]), axis=0, return_index=True,
                                  return_inverse=True)
        return ids[first][inv.ravel()]
    group = np.concatenate([[0], np.cumsum(~same)])
    out = np.empty(len(ids), dtype=ids.dtype)
    out[order] = ids[order][np.concatenate([[0], (~same).nonzero()[0] + 1])][group]
    return out

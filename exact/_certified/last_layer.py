"""Counting the last hidden layer's cells without building them.

For :func:`exact.count_regions` the cells of the last hidden layer are never needed, only
their number and whether any two neighbours share an output map.  Inside a cell ``P`` of
the layers before, the last layer's breakpoint lines are straight chords, and a convex
region cut by ``L`` chords, no three through one point and no two meeting on the border,
has ``1 + L + I`` pieces, ``I`` the number of chord pairs that cross inside.  Two chords
cross inside ``P`` exactly when their endpoints interleave along the border, so only the
order of the endpoints is needed.  Every step is a certified float test
(:mod:`exact._certified.bounds`), and any test within its bound raises
:class:`~exact.errors.Undecided`:

* each chord's two endpoints: the edges where the line's certified sign changes;
* the order of endpoints on one edge: the exact parameter ``t = f_i / (f_i - f_{i+1})``
  of each endpoint lies in an interval computed from the bounds of ``f``; intervals of
  neighbouring endpoints must be disjoint;
* no three lines through one point: every crossing point (Cramer, bounded) must be
  certainly off every other chord of the cell.

Linear regions.  The output map changes across a chord of neuron ``k`` by
``V[:, k] (s_{q+1} - s_q) (z_k - beta_q)``, which is nonzero exactly when ``V[:, k]`` has a
nonzero entry and the slope jumps (exact tests).  Across an edge of ``P`` (a line of an
earlier layer) the last layer's pattern ``s`` is the same on both sides (its
pre-activations are continuous), so the two output maps differ by
``sum_k V[:, k] slope(s_k) (M_k(P) - M_k(P'))``, ``M`` the last layer's maps; that
difference is evaluated, with a bound, on every stretch of the edge between chord
endpoints.  When every difference is certainly nonzero no two neighbours merge and the
linear count equals the activation count; otherwise :func:`batched_counts` splits the
last layer after all and merges as :meth:`~exact._certified.cell_table.BatchedCells.linear_count` does.

A tile of a tiled count (:func:`exact.tiled_counts.count_tile`) needs its cells only where they touch a
seam: :func:`count_with_border_cells` counts the last layer and finds the cells with an edge
on chosen sides of the window from the same chords, without building the last layer
(:func:`~exact._certified.border_cells.border_cells_from_chords`).  The count holds only when
no two neighbours can share an output map; then every cell is a linear region of its own,
and any one-to-one labelling of the cells found is their labelling by linear regions.
When neighbours may merge, a linear region may join a cell on the border to cells far
from it, which only the whole table can tell: the last layer is built everywhere, as
``batched_counts`` does then.

Examples
--------
>>> import torch
>>> from exact.loading import as_exact_net
>>> _ = torch.manual_seed(0)
>>> net = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 8),
...                           torch.nn.ReLU(), torch.nn.Linear(8, 1))
>>> batched_counts(as_exact_net(net), Fraction(10))
(131, 131)
>>> from exact import regions
>>> r = regions(net, window=10)   # the exact engine, polygon by polygon
>>> r.n_activation, r.n_linear
(131, 131)
>>> n, border, every = count_with_border_cells(as_exact_net(net), Fraction(10), [(0.0, 1.0)])
>>> n, every, 0 < len(border.patterns) < n   # all 131 counted, only those on the bottom side found
(131, None, True)
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from fractions import Fraction

import numpy as np

from .._fp import SAFE, TINY, U
from .._progress import progress_bar
from ..errors import Undecided
from ..network import ExactNet, nonzero_structure
from ..windows import ConvexWindow
from .blocks import add_ones, chunks
from .border_cells import BorderCells, border_cells_from_chords, border_cells_of, side_edges
from .bounds import quiet_floats
from .cell_table import BatchedCells, above_neighbours
from .chords import Chords, no_triple_points
from .subdivision import Subdivision, check_size
from .threads import one_blas_thread

__all__ = ["batched_counts", "count_last_layer", "count_with_border_cells"]

log = logging.getLogger("exact.counting")


@one_blas_thread
@quiet_floats
def batched_counts(net: ExactNet, window: Fraction | ConvexWindow, *, max_regions: int | None = None,
                   progress: bool = False, max_memory: int | None = None) -> tuple[int, int]:
    """Numbers of activation and linear regions of ``net`` in a window (a square or a convex polygon).

    The layers before the last are split by :class:`~exact._certified.subdivision.Subdivision`; the last
    is counted by :func:`count_last_layer`, or split too when neighbours may merge.

    Parameters
    ----------
    net, window, max_regions, max_memory
        As in :func:`exact._certified.subdivision.batched_cells`.
    progress : bool
        A tqdm bar over the hidden layers (shown after one second).

    Returns
    -------
    (int, int)
        Activation and linear region counts.

    Raises
    ------
    Undecided
        When a test is too close to call in floats; the caller then uses the exact engine.
    TooManyRegionsError
        When more than ``max_regions`` cells exist after some layer.
    ResourceLimitError
        When a layer would take more than ``max_memory`` bytes (refused before it is built).

    References
    ----------
    .. [1] T. Zaslavsky, "Facing up to arrangements: face-count formulas for partitions of
       space by hyperplanes", *Mem. Amer. Math. Soc.* 1 (1975), no. 154 (``1 + L + I``
       pieces of a convex region cut by ``L`` chords crossing ``I`` times).
    .. [2] N. J. Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed.,
       SIAM, 2002, §2.2 and §3.1 (the error bounds).
    """
    st = Subdivision(net, window, max_memory=max_memory)
    bar = progress_bar(progress, net.n_hidden_layers, "hidden layers", unit="layer")
    try:
        for _ in range(net.n_hidden_layers - 1):
            st.split_layer(max_regions, progress)
            bar.update(1)
        n = count_last_layer(st)
        if n is None:  # neighbours may merge: build the last layer's cells after all
            st.split_layer(max_regions, progress)
        bar.update(1)
    finally:
        bar.close()
    if n is not None:
        check_size(n, max_regions, net.n_hidden_layers)
        return n, n
    cells = st.cells()
    return len(cells), cells.linear_count()


def count_last_layer(st: Subdivision) -> int | None:
    """Count the cells of the last hidden layer without building them.

    A convex cell cut by ``L`` chords crossing ``I`` times, no three lines through a point,
    has ``1 + L + I`` pieces (see the module notes).

    Parameters
    ----------
    st : Subdivision
        The subdivision after every hidden layer but the last.

    Returns
    -------
    int or None
        The number of cells after splitting ``st`` by its last hidden layer, if no two
        neighbours among them share an output map; ``None`` if some may (the caller then
        splits).

    Raises
    ------
    ValueError
        If ``st`` has not split exactly the layers before the last.
    Undecided
        A vertex too close to a line, two endpoints on an edge too close to order, or a
        crossing point too close to a third line.

    References
    ----------
    .. [1] T. Zaslavsky, "Facing up to arrangements: face-count formulas for partitions of
       space by hyperplanes", *Mem. Amer. Math. Soc.* 1 (1975), no. 154.
    .. [2] N. J. Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed.,
       SIAM, 2002, §2.2 and §3.1 (the error bounds).
    """
    if st.l != st.net.n_hidden_layers - 1:
        raise ValueError(f"count_last_layer needs the layers before the last split, got {st.l} of "
                         f"{st.net.n_hidden_layers}")
    layer = st.begin_layer()[0]
    piece, ch, crossings = st.layer_chords()  # the same chords split_layer takes if this returns None
    # across a chord of neuron k the map jumps by V[:, k] (slope jump) (z_k - beta): a chord
    # without a jump joins two cells of one linear region (tested first: it needs no geometry)
    nz, _ = nonzero_structure(st.net)
    act = st.net.activations[st.l]
    jumps = np.array([act.slopes[q + 1] != act.slopes[q] for q in range(layer.nq)], dtype=bool)
    if not (nz[-1][:, ch.k].any(axis=0) & jumps[ch.q]).all():
        return None
    no_triple_points(layer, ch, crossings)
    n = len(piece) + ch.n + len(crossings[0])
    return n if _no_merges(st, layer, piece, ch) else None


def _no_merges(st: Subdivision, layer, piece: np.ndarray, ch: Chords) -> bool:
    """Tell whether the output maps certainly differ across every stretch of every earlier edge.

    The stretches are the pieces of the edges of the earlier layers between chord endpoints.

    Across an edge on line ``l`` the two maps differ by a multiple of ``l`` (the network is
    continuous), so one coefficient tells whether they differ: the one where ``l``'s
    coefficient is largest.  With ``D = M(P) - M(P')`` in that coefficient (``|D*| <= 2A``,
    ``|D - D*| <= 2E + 2u(A + E)``), output weights ``V`` (rounding ``EV``) and slopes of bound
    ``smax`` (rounding ``ds``), the exact difference ``sum_k V_k s_k D_k`` on a stretch is
    within ``sum_k |V_k| smax dD_k + (|V_k| ds + EV_k (smax + ds)) 2 (A_k + E_k)`` of its
    value on the floats, and summing ``k`` products and then the jump at each of the edge's
    ``F`` endpoints rounds by at most ``gamma_{k+F+4}`` times the sum of their magnitudes.  A
    bound that is too loose only sends the count to the split path.  The ``(edge, neuron)``
    arrays go in chunks of edges (:func:`~exact._certified.blocks.chunks`).
    """
    if st.l == 0:
        return True  # one hidden layer: the only edges are chords and the window
    v, cell, nb, _ = above_neighbours(st.pat, st.hashes, st.keys, st.nv, st.rec[:, 3].astype(np.int64),
                                      np.array(st.label_neuron, dtype=np.int64),
                                      np.array(st.label_piece, dtype=np.int64))
    nE = len(v)
    if nE == 0:
        return True
    row_of = np.full(len(st.rec), -1, dtype=np.int64)
    row_of[v] = np.arange(nE)
    # the chord endpoints on these edges: sorted by edge (v increases), then along it
    er = row_of[st.start[ch.e_cell] + ch.e_edge]
    on = er >= 0
    er, x, rising = er[on], ch.e_chord[on], ch.e_rising[on]
    # pieces gained at each edge's first vertex, sorted by edge
    gv, gk = ch.piece_gain
    gr = row_of[gv]
    o = (gr >= 0).nonzero()[0]
    o = o[np.argsort(gr[o], kind="stable")]
    gr, gk = gr[o], gk[o]
    k = st.Ws[-1].shape[1]
    for lo, hi in chunks(k + np.bincount(er, minlength=nE)):
        e0, e1 = np.searchsorted(er, [lo, hi])
        g0, g1 = np.searchsorted(gr, [lo, hi])
        if not _edges_differ(st, layer, piece, ch, v[lo:hi], cell[lo:hi], nb[lo:hi],
                             (er[e0:e1] - lo, x[e0:e1], rising[e0:e1]), (gr[g0:g1] - lo, gk[g0:g1])):
            return False
    return True


def _edges_differ(st: Subdivision, layer, piece: np.ndarray, ch: Chords, v: np.ndarray, cell: np.ndarray,
                  nb: np.ndarray, ends: tuple, gains: tuple) -> bool:
    """:func:`_no_merges` on some edges ``v`` (from ``cell`` to ``nb``).

    ``ends = (edge, chord, rising)`` are the chord endpoints on them, by edge and then along
    it, and ``gains = (edge, neuron)`` the pieces gained at their first vertices.
    """
    er, x, rising = ends
    nE = len(v)
    V, EV = st.Ws[-1], st.EW[-1]  # (m, k)
    smax, ds, _, _ = st.consts
    slopes = st.slopes
    A, E = st.A, layer.E  # (k, 3): a priori magnitude and error of the last layer's maps
    k = V.shape[1]
    d = np.argmax(np.abs(st.rec[v, 4:6]), axis=1)  # x or y coefficient of the edge's line
    D = layer.M[d, :, cell] - layer.M[d, :, nb]  # (nE, k)
    pe = piece[cell].astype(np.int64)  # pieces at each edge's first vertex
    add_ones(pe, *gains)
    S = (slopes[pe] * D) @ V.T  # (nE, m): the difference on each edge's first stretch
    # jumps at the chord endpoints on these edges, in order along each edge
    kx, qx = ch.k[x], ch.q[x]
    dslope = np.where(rising, slopes[qx + 1] - slopes[qx], slopes[qx] - slopes[qx + 1])
    terms = V[:, kx].T * (dslope * D[er, kx])[:, None]  # (n_ends, m)
    counts = np.bincount(er, minlength=nE)
    F = int(counts.max()) if len(er) else 0
    slot = np.arange(len(er)) - (counts.cumsum() - counts)[er]
    # bounds, per output and coefficient (x, y), then per edge
    absV = np.abs(V)
    dD = 2 * E + 2 * U * (A + E)  # both maps' errors, and the rounding of their difference
    inputs = absV * smax @ dD + (absV * ds + EV * (smax + ds)) @ (2 * (A + E))  # (m, 3)
    mags = (absV * smax @ (2 * (A + E)))[:, d].T.copy()  # (nE, m): |V s D| <= |V| smax 2 (A + E)
    np.add.at(mags, er, np.abs(terms))
    g = (k + F + 4) * U / (1 - (k + F + 4) * U)
    # underflow: each slope * D (and each jump's dslope * D) may lose 2^-1075 <= TINY, which V multiplies
    under = np.repeat((absV.sum(axis=1) * TINY)[None, :], nE, axis=0)  # (nE, m)
    np.add.at(under, er, absV[:, kx].T * TINY)
    bound = (inputs[:, d].T + g * mags + under) * (1 + 8 * U) * SAFE + TINY
    if not np.all((np.abs(S) > bound).any(axis=1)):
        return False
    by_slot = np.argsort(slot, kind="stable")
    cut = np.searchsorted(slot[by_slot], np.arange(F + 1))
    for s in range(F):  # add the jumps one endpoint at a time, in order along each edge
        sel = by_slot[cut[s] : cut[s + 1]]
        r = er[sel]  # each edge at most once
        S[r] += terms[sel]
        if not np.all((np.abs(S[r]) > bound[r]).any(axis=1)):
            return False
    return True


@one_blas_thread
@quiet_floats
def count_with_border_cells(net: ExactNet, window: Fraction | ConvexWindow,
                            sides: Iterable[tuple[float, float]], *, max_regions: int | None = None,
                            max_memory: int | None = None
                            ) -> tuple[int, BorderCells | None, BatchedCells | None]:
    """Count the cells in a window, and find those with an edge on some of its sides.

    Parameters
    ----------
    net : ExactNet
        A network with 2-D input and at least one hidden layer.
    window : Fraction or ConvexWindow
        As in :func:`exact._certified.subdivision.batched_cells`.
    sides : iterable of (float, float)
        The window's sides whose cells are wanted, by the float coefficients ``(a, b)``
        of their lines as :func:`~exact._certified.subdivision.window_records` makes them.
    max_regions, max_memory
        As in :func:`exact._certified.subdivision.batched_cells`.

    Returns
    -------
    n : int
        The number of cells (activation regions) in the window.
    border : BorderCells or None
        Every cell with an edge on one of ``sides``, and those edges (``None``: no cell
        has one).  Found from the last layer's chords when the last layer is counted
        (:func:`~exact._certified.border_cells.border_cells_from_chords`).
    every : BatchedCells or None
        All ``n`` cells, built when neighbours may share an output map, the count was
        undecided or the net has one hidden layer (the caller labels them with
        :meth:`~exact._certified.cell_table.BatchedCells.linear_labels`; ``border.index``
        are their rows); ``None`` when no two neighbours share an output map, so each cell
        is a linear region of its own.

    Raises
    ------
    ValueError
        If one of ``sides`` is none of the window's sides.
    Undecided
        When a test of the splits is too close to call in floats (use the exact engine).
    TooManyRegionsError, ResourceLimitError
        As :func:`exact._certified.subdivision.batched_cells`.
    """
    sides = list(sides)
    st = Subdivision(net, window, max_memory=max_memory)
    missing = [ab for ab in sides if len(side_edges(st.rec[:, 3], st.rec[:, 4:6], [ab])) == 0]
    if missing:  # a cell on such a side would not be found: no seam may be lost
        raise ValueError(f"sides {missing} are none of the window's sides {st.rec[:, 4:6].tolist()}")
    for _ in range(net.n_hidden_layers - 1):
        st.split_layer(max_regions, False)
    n = None
    if net.n_hidden_layers > 1:  # one layer: every line cuts the one cell, and the count's triple-point
        try:  # test would be O(crossings x lines); building is O(cells), under the budget
            n = count_last_layer(st)
        except Undecided as why:  # the count's own tests (triple points) are stricter than the split's
            log.debug("counting the last layer: %s; building it", why)
    if n is None:
        st.split_layer(max_regions, False)
        every = st.cells()
        border = border_cells_of(every, sides)
        return len(every), border if len(border.index) else None, every
    check_size(n, max_regions, net.n_hidden_layers)
    return n, border_cells_from_chords(st, sides), None

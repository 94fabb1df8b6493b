"""Layer-batched enumeration of activation cells with certified float arithmetic.

The fast path of :func:`exact.count_regions` for deep networks.  It finds the same cells
as :func:`exact.layer_split.enumerate_cells`, but splits all cells of a layer at once with
numpy in float64, every decision resting on the rigorous bounds of
:mod:`exact._certified.bounds`:

* at the start of a layer, each cell's float bounding box (widened by its vertices'
  bounds) tells which neurons certainly do not cut it;
* then every cell is split by all the lines that cut it in one pass, as the arrangement
  of its chords (:mod:`exact._certified.chord_faces`); if a test there is too close to
  call, that layer is split in rounds instead (:mod:`exact._certified.rounds`), every
  cell by its next candidate line per round: the line's value at each vertex must be
  farther from zero than its bound, and the new vertices are the Cramer intersections
  of the cut line with the edges' lines;
* before a layer's cells are built they are counted (``1 + L + I`` per cut cell) and
  their memory estimated (:meth:`Subdivision.split_bytes`); a layer over ``max_regions``
  or ``max_memory`` is refused then (:class:`~exact._certified.budget.Budget`), and every
  array over (cell, line) pairs is built in chunks (:mod:`exact._certified.blocks`);
* one undecided test anywhere — a vertex on a line, a line along an edge, a neuron
  exactly at its breakpoint on a whole cell — and the whole computation gives up with
  :class:`~exact.errors.Undecided`; the caller then runs the exact engine.  Floats filter;
  they never decide a tie.

When every test is decided, the cells, their patterns and their combinatorics are those
of the exact subdivision: every vertex has strict, certified signs for all neurons but
the two whose lines meet there.  Then each edge not on the window lies on exactly one
breakpoint line, and the cell across it has the same pattern with that one neuron moved
to the neighbouring piece.  That gives the adjacency for the linear regions without
geometry (patterns are matched by a hash kept up to date during the splits, then
compared in full); whether two neighbours share their output map is decided by the
float maps and their bounds, by the structure of the network (no live path from the
flipped neuron to the output), or exactly.

Examples
--------
>>> import torch
>>> _ = torch.manual_seed(0)
>>> net = torch.nn.Sequential(torch.nn.Linear(2, 5), torch.nn.ReLU(), torch.nn.Linear(5, 5),
...                           torch.nn.ReLU(), torch.nn.Linear(5, 1))
>>> from exact.loading import as_exact_net
>>> cells = batched_cells(as_exact_net(net), Fraction(10))
>>> len(cells), cells.linear_count()
(42, 38)
>>> from exact import regions
>>> r = regions(net, window=10)   # the exact engine agrees
>>> r.n_activation, r.n_linear
(42, 38)
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .._float_range import to_float
from .._fp import SAFE, TINY, U
from .._progress import progress_bar
from ..errors import TooManyRegionsError, Undecided
from ..network import ExactNet
from ..windows import ConvexWindow
from .blocks import even_chunks, piece_hashes
from .bounds import first_map, next_map, quiet_floats, rounding
from .budget import Budget, chunk_bytes
from .cell_table import BatchedCells
from .chord_faces import arrange_cells
from .chords import Chords, crossing_pairs, find_chords
from .float_net import act_floats, net_bounds
from .rounds import split_in_rounds
from .threads import one_blas_thread

log = logging.getLogger(__name__)

__all__ = ["Subdivision", "batched_cells", "check_size", "window_records"]


_BLOCK = 1 << 16  # elements per temporary in blocked loops (512 KB of float64)


def _classify(M, E, A, start, nv, x, y, ev, bps) -> np.ndarray:
    """Classify every cell against every line by its bounding box.

    For every cell, neuron and breakpoint: +1 / -1 if the whole cell is certainly above /
    below, 0 if the line may cut it (those are settled vertex by vertex later).

    ``M`` has shape ``(3, k, C)`` (coefficient, neuron, cell); ``E`` and ``A`` (shape
    ``(k, 3)``) bound the maps' errors and the exact maps' magnitudes.  Each cell is
    enclosed in its float bounding box widened by its largest vertex error; over a box
    with centre ``c`` and half-sides ``(h_x, h_y)`` the exact map varies from its exact
    value at ``c`` by at most ``|m*_0| h_x + |m*_1| h_y <= |m_0| h_x + |m_1| h_y + E_0 h_x +
    E_1 h_y``, and the float value at ``c`` is within ``E . (|c_x|, |c_y|, 1)`` plus the
    rounding ``5u ((A + E) . (|c_x|, |c_y|, 1) + |beta|)`` of the exact one (``|m| <= A + E``).
    The terms in ``E`` and ``A`` are one small matrix product; every term is nonnegative,
    and the sum is widened by ``1 + 64u`` for its own rounding.  One pass over the cells
    instead of over all vertices; boxes are a little larger than the cells, so some lines
    that miss a cell are left to the vertex tests.
    """
    _, k, C = M.shape
    xmin, xmax = np.minimum.reduceat(x, start), np.maximum.reduceat(x, start)
    ymin, ymax = np.minimum.reduceat(y, start), np.maximum.reduceat(y, start)
    emax = np.maximum.reduceat(ev, start)
    cx, cy = 0.5 * (xmin + xmax), 0.5 * (ymin + ymax)
    hx = (0.5 * (xmax - xmin) + emax) * (1 + 4 * U) + U * np.abs(cx)  # covers the rounding of c
    hy = (0.5 * (ymax - ymin) + emax) * (1 + 4 * U) + U * np.abs(cy)
    ax, ay = np.abs(cx), np.abs(cy)
    per_cell = np.stack([hx + ax, hy + ay, np.ones(C), ax, ay, np.ones(C)])  # (6, C)
    per_neuron = np.concatenate([E, 5 * U * (A + E)], axis=1)  # (k, 6)
    out = np.empty((C, k, len(bps)), dtype=np.int8)
    # blocks of cells, so the temporaries stay in cache (and out of fresh, page-faulting memory)
    step = max(1, _BLOCK // k)
    for c0 in range(0, C, step):
        sl = slice(c0, min(C, c0 + step))
        m0, m1, m2 = M[0][:, sl], M[1][:, sl], M[2][:, sl]
        base = m0 * cx[sl]
        base += m1 * cy[sl]
        base += m2
        err = np.abs(m0)
        err *= hx[sl]
        t = np.abs(m1)
        t *= hy[sl]
        err += t
        err += per_neuron @ per_cell[:, sl]
        err *= 1 + 64 * U
        for qi, (beta, ebeta) in enumerate(bps):
            f = base - beta
            e = err + ((5 * U * abs(beta) + ebeta) * SAFE + TINY)
            # an overflowed product makes f infinite (or NaN) while e, built from the a priori
            # magnitudes, may stay finite: only a finite f decides
            fin = np.isfinite(f)
            out[sl, :, qi] = ((fin & (f > e)).astype(np.int8) - (fin & (f < -e)).astype(np.int8)).T
    return out


@one_blas_thread
@quiet_floats
def batched_cells(net: ExactNet, window: Fraction | ConvexWindow, *, max_regions: int | None = None,
                  progress: bool = False, method: str = "arrange", max_memory: int | None = None
                  ) -> BatchedCells:
    """Activation cells of ``net`` in a window, split with certified floats.

    Parameters
    ----------
    net : ExactNet
        A network with 2-D input and at least one hidden layer.
    window : Fraction or ConvexWindow
        Half-width ``h`` of the window ``[-h, h]^2``, or a convex polygon.
    max_regions : int, optional
        Stop with :class:`~exact.errors.TooManyRegionsError` beyond this many cells.
    progress : bool
        A tqdm bar over the hidden layers, and one per layer split in rounds (shown after
        one second).
    method : {"arrange", "rounds"}
        ``"arrange"`` (default) builds each layer's cells as one arrangement per cell
        (:mod:`exact._certified.chord_faces`), falling back to rounds for a layer where a test is too
        close to call; ``"rounds"`` always splits by one line per cell and round.
    max_memory : int, optional
        Refuse with :class:`~exact.errors.ResourceLimitError`, before building a layer, when
        the estimated memory of the job exceeds this many bytes
        (:meth:`Subdivision.split_bytes`).

    Returns
    -------
    BatchedCells
        The cells, their patterns, vertices (with error bounds) and output maps.

    Raises
    ------
    Undecided
        When a side test is too close to call in floats (a degenerate or nearly degenerate
        network); the caller must then use the exact engine.
    TooManyRegionsError
        When more than ``max_regions`` cells exist after some layer.
    ResourceLimitError
        When a layer would take more than ``max_memory`` bytes.
    ValueError
        If ``method`` is not ``"arrange"`` or ``"rounds"``.

    References
    ----------
    .. [1] N. J. Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed.,
       SIAM, 2002, §2.2 and §3.1 (the error bounds).
    .. [2] J. R. Shewchuk, "Adaptive precision floating-point arithmetic and fast robust
       geometric predicates", *Discrete Comput. Geom.* 18 (1997), 305-363 (floats that
       filter and hand ties to exact arithmetic).
    """
    st = Subdivision(net, window, method, max_memory)
    bar = progress_bar(progress, net.n_hidden_layers, "hidden layers", unit="layer")
    try:
        for _ in range(net.n_hidden_layers):
            st.split_layer(max_regions, progress)
            bar.update(1)
    finally:
        bar.close()
    return st.cells()


class Subdivision:
    """The cells after the hidden layers split so far, in the arrays the next layer needs.

    Vertex records ``rec`` (one row per vertex, cells' vertices contiguous and
    counter-clockwise): x, y, error bound, label of the edge to the next vertex, and that
    edge's line (a, b, c).  ``M`` (3, k, C) holds the next layer's float pre-activation maps
    in each cell, with the a priori bounds ``E`` (error) and ``A`` (magnitude).

    Parameters
    ----------
    net : ExactNet
        A network with 2-D input and at least one hidden layer.
    window : Fraction or ConvexWindow
        The half-width of the window ``[-half, half]^2``, or a convex polygon: the one
        cell to begin with.
    method : {"arrange", "rounds"}
        How :meth:`split_layer` splits a layer, as in :func:`batched_cells`.
    max_memory : int, optional
        The job's memory budget in bytes: :meth:`begin_layer` and :meth:`split_layer`
        refuse a layer estimated over it (:meth:`split_bytes`) before building it.

    Raises
    ------
    ValueError
        If ``method`` is not ``"arrange"`` or ``"rounds"``.
    Undecided
        If a weight or a coordinate of the window is beyond the float range.
    """

    def __init__(self, net: ExactNet, window: Fraction | ConvexWindow, method: str = "arrange",
                 max_memory: int | None = None):
        if method not in ("arrange", "rounds"):
            raise ValueError(f"method must be 'arrange' or 'rounds', got {method!r}")
        self.method = method
        self.max_memory = max_memory
        self.net = net
        self.bounds = net_bounds(net)  # the same for every window: made once per network
        self.Ws, self.bs, self.EW, self.Eb = self.bounds.Ws, self.bounds.bs, self.bounds.EW, self.bounds.Eb
        self.rec, e_window = window_records(window)
        self.etab = [e_window[None]]  # error bounds of each label's line in blocks; row 0: the window's sides
        self.start = np.array([0], dtype=np.int64)
        self.nv = np.array([len(self.rec)], dtype=np.int64)
        self.M = first_map(self.Ws, self.bs, self.EW, self.Eb, 1)[0]
        self.A, self.E = self.bounds.A[0], self.bounds.E[0]
        self.pat = np.zeros((1, 0), dtype=np.int8)
        self.keys = _hash_keys(sum(net.widths[1:-1]))
        self.hashes = np.zeros(1, dtype=np.uint64)
        self.label_neuron: list[int] = []
        self.label_piece: list[int] = []
        self.g0 = 0  # global index of the next layer's first neuron
        self.l = 0  # hidden layers split so far
        self._open: tuple | None = None  # (layer, what begin_layer returned for it)
        self._chords: tuple | None = None  # (layer, what layer_chords returned for it)

    def begin_layer(self) -> tuple[_Layer, np.ndarray, np.ndarray, np.ndarray]:
        """Label the next layer's lines and classify them against every cell's bounding box.

        Calling it again for the same layer returns the same.

        Returns
        -------
        layer : _Layer
            What a split step needs of the layer.
        piece : ndarray of int8, shape (C, k)
            The pieces known from the boxes (a fresh copy on every call).
        rows, cols : ndarray of int64, shape (P,)
            The pairs ``(cell, line)`` the boxes leave open, with ``cols = neuron * nq + q``;
            ``rows`` sorted.
        """
        if self._open is not None and self._open[0] == self.l:  # asked twice for this layer
            layer, piece, rows, cols = self._open[1]
            return layer, piece.copy(), rows, cols  # callers raise their pieces in place
        l, M, E, A = self.l, self.M, self.E, self.A
        bps, self.slopes, self.inter, self.consts = act_floats(self.net.activations[l])
        _, k, C = M.shape
        nq = len(bps)
        lab0 = len(self.label_neuron)
        self.label_neuron.extend(np.arange(self.g0, self.g0 + k).repeat(nq).tolist())  # neuron-major
        self.label_piece.extend(list(range(nq)) * k)
        self.etab.append(self.bounds.line_err[l])  # line_errors of every (neuron, breakpoint), in label order
        rec = self.rec
        cls = (_classify(M, E, A, self.start, self.nv, rec[:, 0], rec[:, 1], rec[:, 2], bps) if nq
               else np.zeros((C, k, 0), np.int8))
        piece = (cls > 0).sum(axis=2, dtype=np.int8)  # pieces known from the classification
        open_pairs = int(np.count_nonzero(cls == 0))
        Budget(None, self.max_memory).check(C, self.held_bytes() + 3 * piece.nbytes + 2 * cls.nbytes
                                            + 16 * open_pairs + chunk_bytes(8 * open_pairs)
                                            + chunk_bytes(cls.size, 96),
                                            f"hidden layer {l + 1}")
        layer = _Layer(M, E, np.array([b for b, _ in bps]), np.array([e for _, e in bps]), nq, lab0,
                       np.concatenate(self.etab), self.keys[self.g0 : self.g0 + k], l + 1)
        rows, cols = np.nonzero((cls == 0).reshape(C, k * nq))  # lines that may cut a cell
        self._open = (l, (layer, piece, rows, cols))
        return layer, piece.copy(), rows, cols

    def layer_chords(self) -> tuple[np.ndarray, Chords, tuple[np.ndarray, np.ndarray]]:
        """Find the next layer's chords in the cells and their crossing pairs, once per layer.

        :func:`~exact._certified.last_layer.count_last_layer` and then :meth:`split_layer`
        (when neighbours may merge) need the same chords; the second call returns the first
        one's (a test too close to call raises again, nothing is kept).

        Returns
        -------
        piece : ndarray of int8, shape (C, k)
            The pieces known from the boxes, raised where a cell is certainly above a line
            (a fresh copy on every call).
        chords : Chords
            As :func:`~exact._certified.chords.find_chords` finds them (shared: do not change).
        pairs : (ndarray, ndarray)
            The crossing chords, as :func:`~exact._certified.chords.crossing_pairs` gives them.

        Raises
        ------
        Undecided
            A vertex too close to a line, or two endpoints on one edge too close to order.
        """
        if self._chords is None or self._chords[0] != self.l:
            layer, piece, rows, cols = self.begin_layer()
            ch = find_chords(self, layer, piece, rows, cols)  # raises the pieces in place
            self._chords = (self.l, (piece, ch, crossing_pairs(ch)))
        piece, ch, pairs = self._chords[1]
        return piece.copy(), ch, pairs

    def split_layer(self, max_regions: int | None, progress: bool) -> None:
        """Split every cell by the next hidden layer's lines.

        First as one arrangement per cell (:func:`exact._certified.chord_faces.arrange_cells`); if a test
        there is too close to call, by rounds of single cuts, whose tests differ (and which
        raise :class:`Undecided` in turn if they cannot decide either).

        Parameters
        ----------
        max_regions : int or None
            Stop with :class:`~exact.errors.TooManyRegionsError` beyond this many cells.
        progress : bool
            A tqdm bar over the lines when the layer is split in rounds.

        Raises
        ------
        Undecided
            When a test of the rounds is too close to call in floats.
        TooManyRegionsError
            When more than ``max_regions`` cells would exist (checked once the chords and
            their crossings are counted, before the cells are built).
        ResourceLimitError
            When the layer's cells are estimated to take more than ``max_memory``.
        """
        layer, piece, rows_c, cols_c = self.begin_layer()
        budget = Budget(max_regions, self.max_memory)

        def check(cells: int, verts: int, half_edges: int | None = None) -> None:
            # the rounds' buffers grow by doubling: twice the vertices and the cells
            doubled = half_edges is None
            est = self.split_bytes(cells * (1 + doubled), verts * (1 + doubled), half_edges or 0,
                                   piece.shape[1])
            budget.check(cells, est, f"hidden layer {layer.index}")

        if self.method == "arrange":
            try:
                found, ch, pairs = self.layer_chords()
                done = arrange_cells(self, layer, found, rows_c, cols_c, check, chords=(ch, pairs))
            except Undecided as why:
                log.debug("hidden layer %d: %s; splitting it in rounds", layer.index, why)
            else:
                hashes = self.hashes[done.anc] + piece_hashes(done.piece, layer.keys)
                self._take(done.rec, done.nv, done.anc, done.piece, hashes)
                return
        self._take(*split_in_rounds(self, layer, piece, rows_c, cols_c, check, progress))

    def held_bytes(self) -> int:
        """Return the bytes the current cells take (vertices, patterns, maps).

        Returns
        -------
        int
        """
        return sum(a.nbytes for a in (self.rec, self.pat, self.M, self.hashes, self.start, self.nv))

    def split_bytes(self, cells: int, verts: int, half_edges: int, k: int) -> int:
        """Estimate the peak memory of splitting the current cells by the next layer.

        What is held now, plus the new cells' vertices (56 bytes each), patterns (one byte
        per neuron), next maps (24 bytes per neuron of the layer after), pieces, hashes and
        indices; plus the arrangement's half-edges
        (about 250 bytes each while the faces are traced) and the chunked temporaries.
        Measured against tracemalloc in ``tests/test_memory.py``.

        Parameters
        ----------
        cells, verts : int
            Cells and vertices after the split.
        half_edges : int
            Half-edges of the arrangement that builds them (0 when split in rounds).
        k : int
            Width of the layer being split.

        Returns
        -------
        int
            Bytes.
        """
        n_old = self.pat.shape[1]
        k_next = self.Ws[self.l + 1].shape[0]
        per_cell = n_old + 2 * k + 24 * k_next + 64
        return (self.held_bytes() + per_cell * cells + 56 * verts + 250 * half_edges
                + chunk_bytes(cells * (k + k_next), 32, 8) + chunk_bytes(half_edges))

    def _take(self, rec: np.ndarray, nv: np.ndarray, anc: np.ndarray, piece: np.ndarray,
              hashes: np.ndarray) -> None:
        """Make the cells just built the current ones, and move on to the next layer's maps.

        The cells come as vertex records contiguous per cell, parents ``anc`` and this layer's
        ``piece``; the next layer's maps and bounds follow from them.
        """
        self.rec, self.nv, self.hashes = rec, nv, hashes
        self._chords = None  # the layer's chords are spent: do not hold them with the cells
        self.start = nv.cumsum() - nv
        self.pat = _extend_patterns(self.pat, anc, piece)
        l = self.l
        self.M = next_map(self.Ws[l + 1], self.bs[l + 1], self.M, anc, piece, self.slopes, self.inter)
        self.A, self.E = self.bounds.A[l + 1], self.bounds.E[l + 1]  # layer_bounds, made once per network
        self.g0 += piece.shape[1]
        self.l += 1

    def cells(self) -> BatchedCells:
        """Return the cells, once every hidden layer is split.

        Returns
        -------
        BatchedCells
            The cells with their patterns, vertices and output maps.
        """
        rec = self.rec
        return BatchedCells(self.net, self.pat, self.start, self.nv, rec[:, 0].copy(), rec[:, 1].copy(),
                            rec[:, 2].copy(), rec[:, 3].astype(np.int64),
                            np.array(self.label_neuron, dtype=np.int64),
                            np.array(self.label_piece, dtype=np.int64), self.M.transpose(2, 1, 0), self.E,
                            self.hashes, self.keys, rec[:, 4:7].copy())


def window_records(window: Fraction | ConvexWindow) -> tuple[np.ndarray, np.ndarray]:
    """Make the window the first cell's vertex records, with the error bound of its sides' lines.

    Parameters
    ----------
    window : Fraction or ConvexWindow
        The half-width ``h`` of ``[-h, h]^2``, or a convex polygon.

    Returns
    -------
    rec : ndarray, shape (n, 7)
        One row per vertex, counter-clockwise: x, y, the rounding bound of both, label -1
        (the window), and the line ``(a, b, c)`` of the side to the next vertex (interior
        on its positive side), scaled so that ``max(|a|, |b|) = 1``.
    err : ndarray, shape (3,)
        A bound on the rounding of each coefficient, over all the sides.

    Raises
    ------
    Undecided
        A coordinate or coefficient beyond the float range (or below its normal range).

    Examples
    --------
    >>> rec, err = window_records(Fraction(1, 2))
    >>> rec[0].tolist(), err.tolist()
    ([-0.5, -0.5, 0.0, -1.0, 0.0, 1.0, 0.5], [0.0, 0.0, 0.0])
    """
    if isinstance(window, Fraction):
        h, eh = to_float(window), rounding(window)  # a window beyond the float range hands over
        rec = np.array([[-h, -h, eh, -1, 0.0, 1.0, h], [h, -h, eh, -1, 1.0, 0.0, -h],
                        [h, h, eh, -1, 0.0, 1.0, -h], [-h, h, eh, -1, 1.0, 0.0, h]])
        return rec, np.array([0.0, 0.0, eh])
    rows, errs = [], []
    for (X, Y, D), line in zip(window.verts, window.edges):
        m = max(abs(line[0]), abs(line[1]))
        coef = [Fraction(v, m) for v in line]
        x, y = Fraction(X, D), Fraction(Y, D)
        floats = [to_float(v) for v in (x, y, *coef)]  # first: beyond the float range hands over
        errs.append([rounding(v) for v in coef])
        rows.append([floats[0], floats[1], max(rounding(x), rounding(y)), -1] + floats[2:])
    return np.array(rows), np.array(errs).max(axis=0)


def _extend_patterns(pat: np.ndarray, anc: np.ndarray, piece: np.ndarray) -> np.ndarray:
    """Return ``[pat[anc] | piece]``, filled a chunk of cells at a time (no ``pat[anc]`` copy)."""
    if pat.shape[1] == 0:
        return piece
    out = np.empty((len(anc), pat.shape[1] + piece.shape[1]), dtype=pat.dtype)
    for c0, c1 in even_chunks(len(anc), out.shape[1]):
        np.take(pat, anc[c0:c1], axis=0, out=out[c0:c1, : pat.shape[1]], mode="clip")
    out[:, pat.shape[1] :] = piece
    return out


@functools.lru_cache(maxsize=8)
def _hash_keys(n: int) -> np.ndarray:
    """``n`` fixed random 63-bit keys (read-only; cached: making a generator costs ~0.5 ms)."""
    keys = np.random.default_rng(20261126).integers(1, 2**63, size=n, dtype=np.uint64)
    keys.setflags(write=False)
    return keys


def check_size(n: int, max_regions: int | None, layer: int) -> None:
    """Stop when a layer has more cells than allowed.

    Parameters
    ----------
    n : int
        Number of cells.
    max_regions : int or None
        The most cells allowed; ``None`` for no limit.
    layer : int
        The hidden layer, from 1 (for the message).

    Raises
    ------
    TooManyRegionsError
        If ``n > max_regions``.
    """
    if max_regions is not None and n > max_regions:
        raise TooManyRegionsError(
            f"more than max_regions={max_regions} cells in hidden layer {layer} (it has {n:,}); "
            "raise max_regions (None for no limit) or shrink the window (or give one, not the whole plane)"
        )


@dataclass
class _Layer:
    """What a split step needs of the current layer."""

    M: np.ndarray  # (3, k, C) maps of the layer-start cells
    E: np.ndarray  # (k, 3) a priori error bound of the maps
    beta: np.ndarray  # (nq,) breakpoints
    ebeta: np.ndarray  # (nq,) their rounding bounds
    nq: int
    lab0: int  # label of (neuron 0, breakpoint 0)
    etab: np.ndarray  # error bound of each label's line (row label + 1)
    keys: np.ndarray  # hash key of each neuron
    index: int  # hidden layer, from 1 (for messages)

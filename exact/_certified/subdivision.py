"""Layer-batched enumeration of activation cells with certified float arithmetic.

The fast path of :func:`exact.count_regions` for deep networks.  It finds the same cells
as :func:`exact.layer_split.enumerate_cells`, but splits all cells of a layer at once with
numpy in float64, every decision resting on the rigorous bounds of
:mod:`exact._certified.bounds`:

* at the start of a layer, each cell's float bounding box (widened by its vertices'
  bounds) tells which neurons certainly do not cut it;
* then every cell is split by all the lines that cut it in one pass, as the arrangement
  of its chords (:mod:`exact._certified.chord_faces`); if a test there is too close to call, that layer
  is split in rounds instead, every cell by its next candidate line per round: the
  line's value at each vertex must be farther from zero than its bound, and the new
  vertices are the Cramer intersections of the cut line with the edges' lines;
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

from .._fp import SAFE, TINY, U
from .._progress import progress_bar
from ..errors import TooManyRegionsError, Undecided
from ..network import ExactNet
from .bounds import first_map, intersect, layer_bounds, line_error, next_map, quiet_floats, rounding, values
from .cell_table import BatchedCells
from .chord_faces import arrange_cells
from .chords import certain_sides, ranges
from .float_net import act_floats, float_weights

log = logging.getLogger(__name__)

__all__ = ["Subdivision", "batched_cells", "check_size"]


class _Buffer:
    """Growable columns of equal length (amortised doubling)."""

    def __init__(self, cols: dict[str, np.ndarray]):
        self.n = len(next(iter(cols.values())))
        cap = max(16, 2 * self.n)
        self.cols = {}
        for k, v in cols.items():
            a = np.empty((cap,) + v.shape[1:], dtype=v.dtype)
            a[: self.n] = v
            self.cols[k] = a

    def __getitem__(self, k: str) -> np.ndarray:
        return self.cols[k]

    def append(self, new: dict[str, np.ndarray]) -> int:
        """Append rows; returns the index of the first new row."""
        m = len(next(iter(new.values())))
        if self.n + m > len(next(iter(self.cols.values()))):
            cap = 2 * (self.n + m)
            for k, a in self.cols.items():
                b = np.empty((cap,) + a.shape[1:], dtype=a.dtype)
                b[: self.n] = a[: self.n]
                self.cols[k] = b
        for k, v in new.items():
            self.cols[k][self.n : self.n + m] = v
        first = self.n
        self.n += m
        return first

    def view(self, k: str) -> np.ndarray:
        return self.cols[k][: self.n]


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
            out[sl, :, qi] = ((f > e).astype(np.int8) - (f < -e).astype(np.int8)).T
    return out


def _settle(rows, cols, mcol, start, nv, rec, layer: _Layer) -> np.ndarray:
    """Settle pairs of cells and lines by the vertices.

    For pairs (cell ``rows[i]``, line ``cols[i]``): +1 / -1 if every vertex of the cell is
    certainly above / below the line, 0 if it may cut the cell (or a test is undecided).

    ``mcol[cell]`` is the cell's column in ``layer.M``.  Boxes let through about twice as many
    lines as really cut a cell, and the largest count sets the number of split rounds.
    """
    nq = layer.nq
    j, q = cols // nq, cols % nq
    n = nv[rows]
    idx = ranges(start[rows], n)
    jv, qv = np.repeat(j, n), np.repeat(q, n)
    f, fe = values(layer.M[:, jv, np.repeat(mcol[rows], n)], layer.E[jv].T, rec[idx, 0], rec[idx, 1],
                   rec[idx, 2], layer.beta[qv], layer.ebeta[qv])
    code = (f > fe).astype(np.int8) - (f < -fe).astype(np.int8)
    offs = np.cumsum(n) - n
    lo, hi = np.minimum.reduceat(code, offs), np.maximum.reduceat(code, offs)
    return np.where(lo == hi, lo, 0)


def _plan(rows, cols, C: int) -> np.ndarray:
    """Plan the lines still to apply to each of ``C`` cells, one column per round (-1: none).

    ``rows`` must be sorted (as ``np.nonzero`` gives them).
    """
    counts = np.bincount(rows, minlength=C)
    todo = np.full((C, max(int(counts.max()) if len(rows) else 0, 1)), -1, dtype=np.int64)
    todo[rows, np.arange(len(rows)) - np.repeat(np.cumsum(counts) - counts, counts)] = cols
    return todo


def _settle_and_plan(rows, cols, cells: _Buffer, verts: _Buffer, layer: _Layer) -> np.ndarray:
    """Drop the pairs whose line certainly misses the cell, and plan the rest.

    The piece is raised where the cell is above the line; ``cells`` get ``plan = their
    index``.
    """
    code = _settle(rows, cols, cells["anc"], cells["start"], cells["nv"], verts["v"], layer)
    up = code > 0
    ju = cols[up] // layer.nq
    np.add.at(cells["piece"], (rows[up], ju), 1)
    np.add.at(cells["hash"], rows[up], layer.keys[ju])
    keep = code == 0
    cells["plan"][: cells.n] = np.arange(cells.n)
    return _plan(rows[keep], cols[keep], cells.n)


@quiet_floats
def batched_cells(net: ExactNet, half: Fraction, *, max_regions: int | None = None,
                  progress: bool = False, method: str = "arrange") -> BatchedCells:
    """Activation cells of ``net`` in ``[-half, half]^2``, split with certified floats.

    Parameters
    ----------
    net : ExactNet
        A network with 2-D input and at least one hidden layer.
    half : Fraction
        Half-width of the window.
    max_regions : int, optional
        Stop with :class:`~exact.errors.TooManyRegionsError` beyond this many cells.
    progress : bool
        A tqdm bar over the hidden layers, and one per layer split in rounds (shown after
        one second).
    method : {"arrange", "rounds"}
        ``"arrange"`` (default) builds each layer's cells as one arrangement per cell
        (:mod:`exact._certified.chord_faces`), falling back to rounds for a layer where a test is too
        close to call; ``"rounds"`` always splits by one line per cell and round.

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
    st = Subdivision(net, half, method)
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
    half : Fraction
        Half-width of the window ``[-half, half]^2``, the one cell to begin with.
    method : {"arrange", "rounds"}
        How :meth:`split_layer` splits a layer, as in :func:`batched_cells`.

    Raises
    ------
    ValueError
        If ``method`` is not ``"arrange"`` or ``"rounds"``.
    Undecided
        If a weight is beyond the float range.
    """

    def __init__(self, net: ExactNet, half: Fraction, method: str = "arrange"):
        if method not in ("arrange", "rounds"):
            raise ValueError(f"method must be 'arrange' or 'rounds', got {method!r}")
        self.method = method
        self.net = net
        self.Ws, self.bs, self.EW, self.Eb = float_weights(net)
        h = float(half)
        eh = rounding(half)
        self.rec = np.array([[-h, -h, eh, -1, 0.0, 1.0, h], [h, -h, eh, -1, 1.0, 0.0, -h],
                             [h, h, eh, -1, 0.0, 1.0, -h], [-h, h, eh, -1, 1.0, 0.0, h]])
        self.etab = [np.array([0.0, 0.0, eh])]  # error bound of each label's line; row 0: the window
        self.start = np.array([0], dtype=np.int64)
        self.nv = np.array([4], dtype=np.int64)
        self.M, self.E, self.A = first_map(self.Ws, self.bs, self.EW, self.Eb, 1)
        self.pat = np.zeros((1, 0), dtype=np.int8)
        self.keys = _hash_keys(sum(net.widths[1:-1]))
        self.hashes = np.zeros(1, dtype=np.uint64)
        self.label_neuron: list[int] = []
        self.label_piece: list[int] = []
        self.g0 = 0  # global index of the next layer's first neuron
        self.l = 0  # hidden layers split so far
        self._open: tuple | None = None  # (layer, what begin_layer returned for it)

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
            return self._open[1]
        l, M, E, A = self.l, self.M, self.E, self.A
        bps, self.slopes, self.inter, self.consts = act_floats(self.net.activations[l])
        _, k, C = M.shape
        nq = len(bps)
        lab0 = len(self.label_neuron)
        for j in range(k):
            for q, (beta, ebeta) in enumerate(bps):
                self.label_neuron.append(self.g0 + j)
                self.label_piece.append(q)
                self.etab.append(line_error(E[j], A[j], beta, ebeta))
        rec = self.rec
        cls = (_classify(M, E, A, self.start, self.nv, rec[:, 0], rec[:, 1], rec[:, 2], bps) if nq
               else np.zeros((C, k, 0), np.int8))
        piece = (cls > 0).sum(axis=2).astype(np.int8)  # pieces known from the classification
        layer = _Layer(M, E, np.array([b for b, _ in bps]), np.array([e for _, e in bps]), nq, lab0,
                       np.array(self.etab), self.keys[self.g0 : self.g0 + k], l + 1)
        rows, cols = np.nonzero((cls == 0).reshape(C, k * nq))  # lines that may cut a cell
        self._open = (l, (layer, piece, rows, cols))
        return layer, piece.copy(), rows, cols

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
            When more than ``max_regions`` cells exist.
        """
        layer, piece, rows_c, cols_c = self.begin_layer()
        if self.method == "arrange":
            try:
                done = arrange_cells(self, layer, piece.copy(), rows_c, cols_c)
            except Undecided as why:
                log.debug("hidden layer %d: %s; splitting it in rounds", layer.index, why)
            else:
                check_size(len(done.nv), max_regions, layer.index)
                hashes = self.hashes[done.anc] + done.piece.astype(np.uint64) @ layer.keys
                self._take(done.rec, done.nv, done.anc, done.piece, hashes)
                return
        _, k, C = self.M.shape
        nq = layer.nq
        verts = _Buffer({"v": self.rec})
        hashes = self.hashes + piece.astype(np.uint64) @ layer.keys
        cells = _Buffer({"start": self.start, "nv": self.nv, "anc": np.arange(C), "piece": piece,
                         "hash": hashes, "plan": np.arange(C)})
        todo = _settle_and_plan(rows_c, cols_c, cells, verts, layer)
        # rounds: in round r every cell is split by the r-th line of its plan, so the number of
        # numpy passes is the largest line count of a cell, not k * nq; every 8 rounds the
        # pieces get plans of their own (a piece is cut by fewer lines than its parent)
        bar = progress_bar(progress, k * nq, f"layer {layer.index}/{self.net.n_hidden_layers}",
                           unit="line")
        r = 0
        while r < todo.shape[1]:
            bar.update(1)
            if r == 8 and todo.shape[1] > 12:
                left = todo[cells.view("plan"), r:]
                rows_c, at = np.nonzero(left >= 0)
                todo, r = _settle_and_plan(rows_c, left[rows_c, at], cells, verts, layer), 0
                continue
            jq = todo[cells.view("plan"), r]
            r += 1
            sel = np.flatnonzero(jq >= 0)
            if len(sel) == 0:
                continue
            _split_step(verts, cells, sel, jq[sel], layer)
            check_size(cells.n, max_regions, layer.index)
        bar.close()
        # compact: cells in order, their vertices contiguous
        start_b, nv_b = cells.view("start"), cells.view("nv")
        self._take(verts.view("v")[ranges(start_b, nv_b)], nv_b.copy(), cells.view("anc"),
                   cells.view("piece").copy(), cells.view("hash").copy())

    def _take(self, rec: np.ndarray, nv: np.ndarray, anc: np.ndarray, piece: np.ndarray,
              hashes: np.ndarray) -> None:
        """Make the cells just built the current ones, and move on to the next layer's maps.

        The cells come as vertex records contiguous per cell, parents ``anc`` and this layer's
        ``piece``; the next layer's maps and bounds follow from them.
        """
        self.rec, self.nv, self.hashes = rec, nv, hashes
        self.start = np.cumsum(nv) - nv
        self.pat = np.concatenate([self.pat[anc], piece], axis=1)
        l = self.l
        self.M = next_map(self.Ws[l + 1], self.bs[l + 1], self.M, anc, piece, self.slopes, self.inter)
        self.A, self.E = layer_bounds(self.Ws[l + 1], self.bs[l + 1], self.EW[l + 1], self.Eb[l + 1],
                                      self.A, self.E, self.consts)
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
            f"more than max_regions={max_regions} cells in hidden layer {layer}; "
            "raise max_regions or shrink the window"
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


def _split_step(verts: _Buffer, cells: _Buffer, sel: np.ndarray, jq: np.ndarray, layer: _Layer):
    """Split each selected cell by one line: neuron ``jq // nq`` at breakpoint ``jq % nq``.

    Cells entirely above the breakpoint get that neuron's piece raised (and its hash key
    added); a cut cell keeps its slot as the part above and gets a new slot for the part
    below.
    """
    nq = layer.nq
    j, q = jq // nq, jq % nq
    n = cells["nv"][sel]
    offs = np.cumsum(n) - n
    rec = verts["v"][ranges(cells["start"][sel], n)]  # (G, 7)
    G = len(rec)
    anc = cells["anc"][sel]
    jv, qv = np.repeat(j, n), np.repeat(q, n)
    _, _, pos, neg = certain_sides(layer, jv, qv, np.repeat(anc, n), rec)
    npos = np.add.reduceat(pos, offs, dtype=np.int64)
    allpos = npos == n
    up, jup = sel[allpos], j[allpos]
    cells["piece"][up, jup] += 1
    cells["hash"][up] += layer.keys[jup]
    mcells = np.flatnonzero((npos > 0) & ~allpos)
    m = len(mcells)
    if m == 0:
        return
    succ = np.arange(1, G + 1)  # each vertex's successor within its cell (cyclic)
    succ[offs + n - 1] = offs
    C_ = np.flatnonzero(neg & pos[succ])  # last negative vertex before the positive run
    A_ = np.flatnonzero(pos & neg[succ])  # last positive vertex before the negative run
    if len(C_) != m or len(A_) != m:  # impossible for convex cells
        raise Undecided("a cut cell is not convex in floats")
    D_ = succ[C_]
    # the cut line in each cut cell: a x + b y + (c - beta) = 0
    jm, qm = j[mcells], q[mcells]
    cut = layer.M[:, jm, anc[mcells]].T.copy()
    cut[:, 2] -= layer.beta[qm]
    label = layer.lab0 + jq[mcells]
    cut_e = layer.etab[label + 1]
    AC = np.concatenate([A_, C_])
    edge = rec[AC, 4:7]
    edge_e = layer.etab[rec[AC, 3].astype(np.int64) + 1]
    px, py, pe = intersect(np.concatenate([cut, cut]), np.concatenate([cut_e, cut_e]), edge, edge_e)
    # P1 (on edge A -> B) and P2 (on edge C -> D), each with the edge line its child needs
    new = np.empty((4 * m, 7))
    new[:, 0] = np.concatenate([px[:m], px[m:], px[m:], px[:m]])
    new[:, 1] = np.concatenate([py[:m], py[m:], py[m:], py[:m]])
    new[:, 2] = np.concatenate([pe[:m], pe[m:], pe[m:], pe[:m]])
    new[:m, 3], new[:m, 4:] = label, cut  # P1 in the upper part: the cut edge follows
    new[m : 2 * m, 3:] = rec[C_, 3:]  # P2 in the upper part: the rest of edge C -> D follows
    new[2 * m : 3 * m, 3], new[2 * m : 3 * m, 4:] = label, cut  # P2 in the lower part
    new[3 * m :, 3:] = rec[A_, 3:]  # P1 in the lower part: the rest of edge A -> B follows
    pool = np.concatenate([rec, new])
    nm, npm = n[mcells], npos[mcells]
    # both parts of each cut cell, back to back: the npos positive vertices (rotated to start
    # at the first one), P1 (the cut edge follows), P2; then the other vertices, P2, P1
    size = nm + 4
    out_off = np.cumsum(size) - size
    cellv = np.repeat(np.arange(m), size)
    t = np.arange(int(size.sum())) - out_off[cellv]
    src = offs[mcells][cellv] + (t + (D_ - offs[mcells])[cellv] - 2 * (t > npm[cellv])) % nm[cellv]
    ar = np.arange(m)
    src[out_off + npm] = G + ar
    src[out_off + npm + 1] = G + m + ar
    src[out_off + nm + 2] = G + 2 * m + ar
    src[out_off + nm + 3] = G + 3 * m + ar
    v0 = verts.append({"v": pool[src]})
    pos_len, neg_len = npm + 2, nm - npm + 2
    parents = sel[mcells]
    cells.append({"start": v0 + out_off + pos_len, "nv": neg_len,
                  "anc": cells["anc"][parents], "piece": cells["piece"][parents],
                  "hash": cells["hash"][parents], "plan": cells["plan"][parents]})
    cells["hash"][parents] += layer.keys[jm]
    cells["start"][parents] = v0 + out_off
    cells["nv"][parents] = pos_len
    cells["piece"][parents, jm] += 1

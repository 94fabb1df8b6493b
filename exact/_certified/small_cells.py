"""Counting the regions of a tiny deep net in plain Python floats, with the certified engine's bounds.

On a net of a few dozen neurons in a window the layer-batched engine
(:mod:`exact._certified.last_layer`) spends nearly all its time in the fixed cost of numpy
calls on arrays of a handful of entries.  Here the same subdivision is made cell by cell,
one breakpoint line at a time, with Python floats, and every decision rests on the same
rigorous bounds (:mod:`exact._certified.bounds`, :mod:`exact._fp`):

* a layer's maps in all cells are computed from the float weights of
  :func:`~exact._certified.float_net.net_bounds` as :func:`~exact._certified.bounds.next_map`
  computes them (one matrix product per layer), so the a priori bounds ``E`` and the line
  bounds ``line_err`` of ``net_bounds`` hold for them;
* a line's side of a cell is decided on the cell's bounding box first and then at each
  vertex, with the bound of :func:`~exact._certified.bounds.values`;
* a cut's new vertices are the Cramer intersections of
  :func:`~exact._certified.bounds.intersect`, bounded from the two lines alone;
* across an edge on neuron ``g``'s line only ``g`` changes piece (every vertex has strict
  certified signs), so neighbours are found from patterns; two neighbours join one linear
  region when their exact output maps are equal: the float maps decide "different" when
  they are farther apart than ``2E + 2u(A + E)``, and the exact maps
  (:func:`exact.network.affine_on_pattern`) decide the rest.

Any test within its bound raises :class:`~exact.errors.Undecided`, and the caller hands the
whole net to the batched engine (and it, if need be, to the exact one).  Floats filter;
they never decide a tie.

Examples
--------
>>> from fractions import Fraction
>>> from exact.network import ExactNet
>>> net = ExactNet.from_layers([([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0]),
...                             ([[1.0, 1.0]], [-0.5]), ([[1.0]], [0.0])])
>>> small_counts(net, Fraction(1))   # the output is 0 on the four cells where x+ + y+ < 1/2
(7, 4)
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from .._fp import SAFE, TINY, U
from ..errors import Undecided
from ..network import ExactNet, affine_on_pattern, nonzero_structure
from ..windows import ConvexWindow
from .bounds import quiet_floats
from .float_net import act_floats, net_bounds
from .subdivision import check_size, window_records

__all__ = ["SMALL_CELLS_BASE", "SMALL_CELLS_PER_LAYER", "SMALL_LINES", "SMALL_LINES_DEPTH", "cell_budget",
           "is_small", "small_counts"]

SMALL_LINES = 6
"""Most breakpoint lines (neurons times breakpoints) in any hidden layer of a net counted here.

Measured (min of 100 runs, seed-0 torch nets, window 10, on a 2-core machine shared with
other jobs), this path against the batched engine: 2-5-5-5-5-1 1.1 vs 2.5 ms, 2-4-4-4-1 0.4
vs 1.3 ms, 2-5-5-1 0.45 vs 1.4 ms, 2-6-6-1 0.6 vs 0.95 ms, 2-7-7-1 0.8 vs 0.9 ms; but 2-8-8-1
1.4 vs 1.0 ms (and, measured before this path's last speed-up, 2-10-10-10-1 6 vs 2 ms): about
10-15 us per cell here against a fixed cost of about 0.5 ms per layer there."""

SMALL_LINES_DEPTH = 3
"""Most hidden layers of a net with :data:`SMALL_LINES` lines in some layer that is counted here.

Its cells grow fast with depth: 10 seed-0..9 torch nets each, window 10, quiet 2-core
machine, this path against the batched engine: 2-6-6-1 11.0 vs 12.3 ms, 2-6-6-6-1 21.3 vs
22.5 ms, but 2-6^4-1 30.2 vs 25.7 ms and 2-6^5-1 43.5 vs 33.2 ms (five lines a layer:
2-5^4-1 27.7 vs 37.5 ms, 2-5^6-1 30.1 vs 46.3 ms)."""

SMALL_CELLS_BASE = 140
"""With :data:`SMALL_CELLS_PER_LAYER`, the cells (summed over the hidden layers) this path builds at most.

Measured on a quiet 2-core machine (min of 5-7 runs, seed 0-2 torch nets, window 10): this
path costs about 7 us per cell summed over the layers (2-6-6-6-6-6-1: 368-584 cells, 2.0-3.7
ms), the batched engine about 1 ms plus 0.55 ms per hidden layer (2.7-3.0 ms there); they
cross near ``140 + 80 L`` cells for ``L`` hidden layers (:func:`cell_budget`)."""

SMALL_CELLS_PER_LAYER = 80
"""Cells the budget of :func:`cell_budget` grows by per hidden layer (:data:`SMALL_CELLS_BASE`)."""

_UP4, _U3, _U5, _U5UP = 1 + 4 * U, 3 * U, 5 * U, 5 * U * (1 + U)
"""The factors of the bounds below, made once (the same floats as written out in place)."""

_INF = float("inf")

_CELL_BYTES = 4096
"""A bound on one cell's memory here (its vertex, line and pattern lists: about 1.5 kB at 20 neurons)."""


def cell_budget(n_hidden_layers: int) -> int:
    """Return the most cells, summed over the layers, that :func:`small_counts` builds by default.

    Parameters
    ----------
    n_hidden_layers : int
        The network's hidden layers ``L``.

    Returns
    -------
    int
        ``SMALL_CELLS_BASE + SMALL_CELLS_PER_LAYER * L``: past it the batched engine is faster.

    Examples
    --------
    >>> cell_budget(4)
    460
    """
    return SMALL_CELLS_BASE + SMALL_CELLS_PER_LAYER * n_hidden_layers


def is_small(net: ExactNet, max_memory: int | None = None) -> bool:
    """Tell whether :func:`small_counts` is the faster way to count ``net`` (:data:`SMALL_LINES`).

    Parameters
    ----------
    net : ExactNet
        A network with 2-D input.
    max_memory : int or None, default None
        A memory budget in bytes: this path, which does not check one as it goes, is taken
        only when its most cells fit (the batched engine refuses a job over the budget).

    Returns
    -------
    bool
        True when every hidden layer has at most :data:`SMALL_LINES` breakpoint lines (and
        at most :data:`SMALL_LINES_DEPTH` hidden layers if some layer has that many), and
        the most cells this path builds (:func:`cell_budget`) fit in ``max_memory``.

    Examples
    --------
    >>> from exact.network import ExactNet
    >>> is_small(ExactNet.from_layers([([[1, 0]] * 5, [0] * 5), ([[1] * 5] * 5, [0] * 5), ([[1] * 5], [0])]))
    True
    """
    if max_memory is not None and max_memory < _CELL_BYTES * cell_budget(net.n_hidden_layers):
        return False
    lines = max(k * len(a.breakpoints) for k, a in zip(net.widths[1:-1], net.activations))
    return lines < SMALL_LINES or (lines == SMALL_LINES and net.n_hidden_layers <= SMALL_LINES_DEPTH)


class _Cell:
    """A convex cell: float vertices with their error bounds, the line of each edge, and its pattern.

    ``lines[i]`` is the edge from vertex ``i`` to ``i + 1``: ``(a, b, c, ea, eb, ec, g, q, |a|, |b|,
    |c|)``, the float line, its entrywise error bound, its neuron ``g`` (global index; ``-1`` a
    side of the window) and breakpoint ``q``, and the line's absolute values.  ``box`` is
    ``(cx, cy, rx, ry, ax, ay)``: every exact point of the cell is within ``rx`` of ``cx`` in x
    and ``ry`` of ``cy`` in y, and ``ax >= |cx| + rx``, ``ay >= |cy| + ry`` (each rounded upward by
    a factor ``1 + 4u``).  ``pattern`` holds each neuron's piece so far, a byte each
    (:func:`_net_floats` hands nets of 255 or more breakpoints in a layer over).
    """

    __slots__ = ("box", "emax", "es", "lines", "pattern", "xs", "ys")

    def __init__(self, xs: list, ys: list, es: list, lines: list, pattern: bytearray):
        self.xs, self.ys, self.es, self.lines, self.pattern = xs, ys, es, lines, pattern
        self.box = None  # made when first needed (most cells of the last layer never need it)


def _box(cell: _Cell) -> tuple:
    """Make (once) and return ``cell.box``, and ``cell.emax``, the vertices' largest error."""
    if cell.box is None:
        xs, ys = cell.xs, cell.ys
        cell.emax = e = max(cell.es)
        x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
        cx, cy = 0.5 * (x0 + x1), 0.5 * (y0 + y1)  # any floats: the half-sides are measured from them
        dx, dy = cx - x0, cy - y0
        if x1 - cx > dx:
            dx = x1 - cx
        if y1 - cy > dy:
            dy = y1 - cy
        # (d + e)(1 - u)^2 (1 + 4u)(1 - u) >= d + e for each rounded sum, product and difference here
        rx, ry = (dx + e) * _UP4, (dy + e) * _UP4
        cell.box = (cx, cy, rx, ry, (abs(cx) + rx) * _UP4, (abs(cy) + ry) * _UP4)
    return cell.box


_FLOATS: list[tuple[object, tuple]] = []
"""Plain-Python copies of the last few :class:`~exact._certified.float_net.NetBounds`, beside them."""


def _net_floats(net: ExactNet) -> tuple:
    """Return the float weights and bounds of ``net`` for this path, made once per :func:`net_bounds` object.

    The network's nonzero structure (:func:`_structure`) is kept too: it is a function of
    the float weights and activations alone, as the bounds are, so it goes with them.
    """
    b = net_bounds(net)
    if any(len(a.breakpoints) > 254 for a in net.activations):  # a piece past 255 would not fit a byte
        raise Undecided("too many pieces of an activation for the small-net path")
    for held, floats in _FLOATS:
        if held is b:  # the bounds object is held here, so its identity cannot be reused
            return floats
    acts = [act_floats(a) for a in net.activations]
    # per layer: the line bounds as rows (Python) and as an array (k, nq, 3); breakpoints likewise
    errs = [([tuple(r) for r in e.tolist()], e.reshape(len(W), len(a[0]), 3))
            for e, W, a in zip(b.line_err, b.Ws, acts)]
    betas = [[beta for beta, _ in bps] for bps, _, _, _ in acts]
    # per layer: the breakpoints, the slopes (None for ReLU's 0, 1) and the intercepts (None when all 0)
    relu = [s.tolist() == [0.0, 1.0] and not np.signbit(s).any() for _, s, _, _ in acts]
    floats = (b.Ws, b.bs, errs, [((bs_, np.array(bs_)), None if r else s, c if c.any() else None)
                                 for bs_, r, (_, s, c, _) in zip(betas, relu, acts)],
              (2 * b.E[-1] + 2 * U * (b.A[-1] + b.E[-1])) * SAFE + TINY, _structure(net))
    _FLOATS[:] = [(b, floats), *_FLOATS[:3]]
    return floats


@quiet_floats
def small_counts(net: ExactNet, window: Fraction | ConvexWindow, *, max_regions: int | None = None,
                 max_cells: int | None = None) -> tuple[int, int] | None:
    """Numbers of activation and linear regions of a tiny deep net in a window, in plain Python floats.

    Parameters
    ----------
    net : ExactNet
        A network with 2-D input and at least one hidden layer.
    window : Fraction or ConvexWindow
        The half-width of ``[-h, h]^2``, or a convex polygon.
    max_regions : int or None, default None
        Stop with :class:`~exact.errors.TooManyRegionsError` when a layer has more cells.
    max_cells : int, optional
        Give up (return ``None``) once the cells summed over the layers would pass this
        (default :func:`cell_budget`): the batched engine is then faster, and it checks the
        memory budget, which this path does not need below it.  Since the cells of the
        layers left are at least as many as a layer's, the path gives up as soon as the
        layers built and that lower bound for the rest pass it: a net handed over wastes at
        most about the batched engine's own time.

    Returns
    -------
    (int, int) or None
        Activation and linear region counts, or ``None`` when ``max_cells`` would be passed.

    Raises
    ------
    Undecided
        A test within its error bound (a vertex on a line, a line along an edge, two
        lines too close to parallel, a weight beyond the float range): the caller hands
        the net to the batched engine.
    TooManyRegionsError
        When more than ``max_regions`` cells exist after some layer.

    Notes
    -----
    Cells are split one line at a time (neuron by neuron, breakpoint by breakpoint),
    ``O(cells x lines x vertices)`` float operations, each with its error bound; the
    linear regions join neighbours whose maps are not certainly apart and are equal
    exactly (a union-find over the cells).

    Examples
    --------
    >>> from exact.network import ExactNet
    >>> net = ExactNet.from_layers([([[1.0, 0.0]], [-0.5]), ([[1.0]], [-0.25]), ([[0.0]], [1.0])])
    >>> small_counts(net, Fraction(2))   # cut at x = 1/2 and 3/4; one output map (its weight is 0)
    (3, 1)
    >>> small_counts(ExactNet.from_layers([([[1.0, 0.0]], [0.0]), ([[1.0]], [0.0]), ([[1.0]], [0.0])]),
    ...              Fraction(2))   # the second line lies on the first: a tie, for the exact engine
    Traceback (most recent call last):
    ...
    exact.errors.Undecided: a vertex is too close to a line to tell its side in floats
    """
    Ws, bs, line_err, acts, thresh, structure = _net_floats(net)
    L = len(acts)
    budget = cell_budget(L) if max_cells is None else max_cells
    built = 0  # cells summed over the layers split so far
    rec, err = window_records(window)
    ea, eb, ec = err.tolist()
    rows = rec.tolist()
    lines = [(r[4], r[5], r[6], ea, eb, ec, -1, -1, abs(r[4]), abs(r[5]), abs(r[6])) for r in rows]
    M = np.concatenate([Ws[0], bs[0][:, None]], axis=1)[None]  # (1, k, 3): [W | b] in the window
    cells = [_Cell([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], lines, bytearray())]
    g0, prev, anc = 0, None, [0]
    for l, (bps, slopes, inter) in enumerate(acts):
        k0, k = Ws[l].shape[1], len(Ws[l])
        if l:  # this layer's maps in each cell, from the last layer's maps and pieces there
            M = _next_maps(Ws[l], bs[l], M, anc, cells, g0 - k0, *prev)
        split = _split_layer(cells, M, g0, bps, line_err[l], budget - built)
        if split is None:
            return None
        cells, anc = split
        check_size(len(cells), max_regions, l + 1)
        built += len(cells)
        if built + len(cells) * (L - l - 1) > budget:  # each layer left has at least as many cells
            return None
        prev = (slopes, inter)
        g0 += k
    outs = _next_maps(Ws[-1], bs[-1], M, anc, cells, g0 - Ws[-1].shape[1], *prev)
    return len(cells), _linear_count(net, cells, outs, thresh, structure)


_FEW_TESTS = 48
"""Box tests of a layer (cells times lines) up to which :func:`_split` makes them one by one."""


def _split_layer(cells: list, M: np.ndarray, g0: int, bps: tuple, err: tuple, max_cells: int
                 ) -> tuple[list, list] | None:
    """Split the last layer's cells by this layer's lines (neurons from ``g0``); None past ``max_cells``.

    ``M`` (shape ``(C, k, 3)``) holds the layer's maps in the cells, ``bps`` its breakpoints
    and ``err`` the bounds of its lines, neuron-major (each as a list and as an array).  Neuron
    ``j`` (global ``g0 + j``) has piece ``q + 1`` or more on the positive side of its line ``q``
    (above ``bps[q]``).  The lines the cell's box decides (:func:`_box_sides`) miss every piece
    of the cell; the others cut the pieces one after the other (:func:`_split`; while the cell
    is uncut, its box, on which those lines were found undecided, is not tested again:
    :func:`_split_at_vertices`).  Returns the new cells and, for each, its cell's row of ``M``.
    """
    (bps, bps_array), (err, err_array) = bps, err
    k, nq = M.shape[1], len(bps)
    lines = [(j, g0 + j, q, err[j * nq + q]) for j in range(k) for q in range(nq)]
    out, anc = [], []
    boxed = len(cells) * len(lines) > _FEW_TESTS  # else each test in Python (in _split) costs less
    if boxed:
        above, open_ = _box_sides(M, cells, bps_array, err_array)
    else:
        above, open_ = [[0] * k] * len(cells), [range(len(lines))] * len(cells)
    for r, (cell, maps, ups, todo) in enumerate(zip(cells, M.tolist(), above, open_)):
        cell.pattern.extend(ups)  # (before any cut: every piece inherits it)
        if not todo:  # the box decides every line: the cell goes on whole
            out.append(cell)
            anc.append(r)
            continue
        pieces: tuple | list = (cell,)
        for t in todo:
            j, g, q, e = lines[t]
            m0, m1, m2 = maps[j]
            m2 -= bps[q]  # its rounding is in line_err
            line = (m0, m1, m2, *e, g, q, abs(m0), abs(m1), abs(m2))
            if len(pieces) > 1:
                pieces = [p for piece in pieces for p in _split(piece, line)]
            elif boxed:  # still the whole cell, whose box left this line undecided
                pieces = _split_at_vertices(cell, line)
            else:
                pieces = _split(cell, line)
        out.extend(pieces)
        anc.extend([r] * len(pieces))
        if len(out) > max_cells:
            return None
    return out, anc


def _next_maps(W: np.ndarray, b: np.ndarray, M: np.ndarray, anc: list, cells: list, g0: int,
               slopes: np.ndarray | None, inter: np.ndarray | None) -> np.ndarray:
    """Compute the next layer's float maps in every cell, as :func:`~exact._certified.bounds.next_map` does.

    ``M[anc[i]]`` (shape ``(k0, 3)``) are the last layer's maps in cell ``i``: then
    ``H_j = s_j m_j + c_j e3`` from the cell's pieces of the ``k0`` neurons from ``g0`` (one
    rounding each), and ``M' = W H + b e3`` (a matrix product and one rounding): within the
    bounds of :func:`~exact._certified.bounds.layer_bounds`, whatever the summation order.
    ``slopes`` None stands for ReLU's slopes 0 and 1 (the piece itself is the factor, the same
    products), ``inter`` None for intercepts all zero.  Returns the maps, shape ``(C, k, 3)``.
    """
    C, k0 = len(cells), M.shape[1]
    piece = np.frombuffer(b"".join([c.pattern[g0 : g0 + k0] for c in cells]), dtype=np.uint8).reshape(C, k0)
    H = M[anc] * (piece if slopes is None else slopes[piece])[:, :, None]  # (C, k0, 3)
    if inter is not None:
        H[:, :, 2] += inter[piece]
    M = W @ H
    M[:, :, 2] += b
    return M


def _box_sides(M: np.ndarray, cells: list, bps: np.ndarray, E: np.ndarray) -> tuple[list, list]:
    """Find the lines of a layer that each cell's box leaves undecided, and the pieces it decides.

    ``M`` (shape ``(C, k, 3)``) holds the layer's maps in the ``C`` cells, ``bps`` (shape
    ``(nq,)``) the breakpoints and ``E`` (shape ``(k, nq, 3)``) the line bounds
    (:func:`~exact._certified.bounds.line_errors`).  The bound of
    :func:`~exact._certified.bounds.values` at the box's centre, the box's half-sides as the
    point's error, in one pass over every cell and line.  Returns, per cell, how many of
    each neuron's lines the box is certainly above (its piece in the whole cell, if the line
    is decided: shape ``(C, k)``), and the indices (neuron-major) of the lines it leaves
    undecided.
    """
    C, k, nq = len(cells), M.shape[1], len(bps)
    cx, cy, rx, ry, ax, ay = np.array([_box(c) for c in cells]).T[:, :, None, None]  # (C, 1, 1) each
    m0, m1 = M[:, :, 0, None], M[:, :, 1, None]  # (C, k, 1)
    c = M[:, :, 2, None] - bps  # (C, k, nq)
    t0, t1 = m0 * cx, m1 * cy
    f = t0 + t1 + c
    bound = (E[:, :, 0] * ax + E[:, :, 1] * ay + E[:, :, 2] + np.abs(m0) * rx + np.abs(m1) * ry
             + _U5 * (np.abs(t0) + np.abs(t1) + np.abs(c))) * SAFE + TINY
    above = (f > bound).sum(axis=2).tolist()
    todo: list[list[int]] = [[] for _ in range(C)]
    # decided: f > bound or f < -bound, that is |f| > bound (bound > 0); NaN on either side: undecided
    rows, cols = (~(np.abs(f) > bound)).reshape(C, k * nq).nonzero()
    for r, t in zip(rows.tolist(), cols.tolist()):
        todo[r].append(t)
    return above, todo


def _split(cell: _Cell, line: tuple) -> tuple[_Cell, ...]:
    """Split ``cell`` by ``line`` (as in ``_Cell.lines``): its sign on the box, else at every vertex.

    At the vertices the bound of :func:`~exact._certified.bounds.values` is first taken
    over the whole box (``|x| + e <= |cx| + rx``, ``e`` the vertices' largest error, and
    ``|fl(m0 x)| <= (1 + u) |m0| (|cx| + rx)``): one bound for every vertex; a vertex within
    it gets its own bound, and only a vertex within its own is undecided.
    """
    m0, m1, c, ea, eb, ec, g, _, am, bm, ac = line
    cx, cy, rx, ry, ax, ay = cell.box or _box(cell)
    t0, t1 = m0 * cx, m1 * cy
    f = t0 + t1 + c
    common = ea * ax + eb * ay + ec
    bound = (common + am * rx + bm * ry + _U5 * (abs(t0) + abs(t1) + ac)) * SAFE + TINY
    if f > bound:
        cell.pattern[g] += 1
        return (cell,)
    if f < -bound:
        return (cell,)
    return _split_at_vertices(cell, line)


def _split_at_vertices(cell: _Cell, line: tuple) -> tuple[_Cell, ...]:
    """Split ``cell`` by ``line`` from its vertices' certified sides (:func:`_split` after its box test)."""
    m0, m1, c, ea, eb, ec, g, _, am, bm, ac = line
    _, _, _, _, ax, ay = cell.box or _box(cell)
    every = (ea * ax + eb * ay + ec + (am + bm) * cell.emax + _U5UP * (am * ax + bm * ay + ac)) * SAFE + TINY
    signs = []
    for x, y, ev in zip(cell.xs, cell.ys, cell.es):
        f = m0 * x + m1 * y + c
        if f > every:
            signs.append(True)
        elif f < -every:
            signs.append(False)
        else:
            signs.append(_vertex_side(m0, m1, c, ea, eb, ec, x, y, ev))
    if all(signs):
        cell.pattern[g] += 1
        return (cell,)
    if not any(signs):
        return (cell,)
    return _cut(cell, signs, line, g)


def _vertex_side(m0: float, m1: float, c: float, ea: float, eb: float, ec: float, x: float, y: float,
                 ev: float) -> bool:
    """Decide one vertex's side (True: positive) with the bound of :func:`~exact._certified.bounds.values`."""
    t0, t1 = m0 * x, m1 * y
    f = t0 + t1 + c
    bound = (ea * (abs(x) + ev) + eb * (abs(y) + ev) + ec + (abs(m0) + abs(m1)) * ev
             + _U5 * (abs(t0) + abs(t1) + abs(c))) * SAFE + TINY
    if f > bound:
        return True
    if f < -bound:
        return False
    raise Undecided("a vertex is too close to a line to tell its side in floats")


def _cut(cell: _Cell, signs: list, cut: tuple, g: int) -> tuple[_Cell, _Cell]:
    """Cut ``cell`` in two along ``cut``, given each vertex's certified side (True: positive).

    The negative piece is ``cell`` itself, given its new vertices and edges (one object fewer).
    """
    # the signs change twice around a convex cell: between vertices j - 1 and j, and h - 1 and h (mod n)
    n, first = len(signs), signs[0]
    j = signs.index(not first)
    h = signs.index(first, j) if first in signs[j:] else n
    if signs.count(first) != n - (h - j):  # a third change: the sides are not those of a convex cell
        raise Undecided("a line meets a cell's vertices in more than two runs of signs")
    # i1: the edge from vertex i1 leaves the positive side; i2: the edge from vertex i2 enters it
    i1, i2 = (j - 1, h - 1) if first else (h - 1, j - 1)
    lines, xs, ys, es = cell.lines, cell.xs, cell.ys, cell.es
    px, py, pe = _intersect(cut, lines[i1])
    qx, qy, qe = _intersect(cut, lines[i2])
    a, b = i2 + 1, i1 + 1  # positive: vertices a .. b - 1, edges i2 .. i1; negative: b .. a - 1, i1 .. i2
    up = cell.pattern.copy()
    up[g] += 1
    cell.box = None
    if i2 < i1:  # the positive vertices do not wrap around, the negative ones do
        pos = _Cell([qx, *xs[a:b], px], [qy, *ys[a:b], py], [qe, *es[a:b], pe], [*lines[i2:b], cut], up)
        cell.xs, cell.ys = [px, *xs[b:], *xs[:a], qx], [py, *ys[b:], *ys[:a], qy]
        cell.es = [pe, *es[b:], *es[:a], qe]
        cell.lines = [*lines[i1:], *lines[:a], cut]
        return pos, cell
    pos = _Cell([qx, *xs[a:], *xs[:b], px], [qy, *ys[a:], *ys[:b], py], [qe, *es[a:], *es[:b], pe],
                [*lines[i2:], *lines[:b], cut], up)
    cell.xs, cell.ys, cell.es = [px, *xs[b:a], qx], [py, *ys[b:a], qy], [pe, *es[b:a], qe]
    cell.lines = [*lines[i1:a], cut]
    return pos, cell


def _intersect(L1: tuple, L2: tuple) -> tuple[float, float, float]:
    """One Cramer intersection with the bound of :func:`~exact._certified.bounds.intersect`.

    Raises :class:`~exact.errors.Undecided` when the lines are too close to parallel or the
    point is beyond the float range.  A product's absolute value is taken as the product of
    the absolute values (``|fl(a b)| = fl(|a| |b|)``: rounding to nearest is symmetric).
    """
    a1, b1, c1, ea1, eb1, ec1, _, _, aa1, ab1, ac1 = L1
    a2, b2, c2, ea2, eb2, ec2, _, _, aa2, ab2, ac2 = L2
    D = a1 * b2 - a2 * b1
    dD = (ea1 * ab2 + aa1 * eb2 + ea1 * eb2 + ea2 * ab1 + aa2 * eb1 + ea2 * eb1
          + _U3 * (aa1 * ab2 + aa2 * ab1)) * SAFE + TINY
    room = abs(D) - dD
    if not room > 0:
        raise Undecided("two lines are too close to parallel to intersect in floats")
    Nx, dNx = b1 * c2 - b2 * c1, (eb1 * ac2 + ab1 * ec2 + eb1 * ec2 + eb2 * ac1 + ab2 * ec1 + eb2 * ec1
                                  + _U3 * (ab1 * ac2 + ab2 * ac1))
    Ny, dNy = c1 * a2 - c2 * a1, (ec1 * aa2 + ac1 * ea2 + ec1 * ea2 + ec2 * aa1 + ac2 * ea1 + ec2 * ea1
                                  + _U3 * (ac1 * aa2 + ac2 * aa1))
    dNx, dNy = dNx + TINY, dNy + TINY  # each product's underflow (<= 2^-1075), which the division magnifies
    x, y = Nx / D, Ny / D
    ax, ay = abs(x), abs(y)
    ex = (ax * dD + dNx) / room + U * ax
    ey = (ay * dD + dNy) / room + U * ay
    e = max(ex, ey) * SAFE * SAFE + TINY
    if not -_INF < x + y + ex + ey < _INF:  # (max() could drop a NaN)
        raise Undecided("a vertex is beyond the float range")
    return x, y, e


def _linear_count(net: ExactNet, cells: list, outs: np.ndarray, thresh: np.ndarray, structure: tuple) -> int:
    """Count the linear regions: neighbours joined when their exact output maps are equal.

    Across an edge on neuron ``g``'s line ``q`` only ``g`` changes piece (``q`` and ``q + 1``),
    so the neighbour is found by its pattern.  The float output maps ``outs`` (shape
    ``(C, m, 3)``, bounded by the output layer's ``E``) farther apart than
    ``thresh = 2E + 2u(A + E)`` (both maps' bounds and the rounding of their difference)
    differ; the others join when ``g``'s gain to the output is structurally zero
    (:func:`_gain_is_zero`), else when their exact maps are equal.
    """
    # a pattern as one integer, a byte per neuron (pieces < 256: _net_floats hands bigger nets over);
    # the neighbour across neuron g's line q, from the cell on piece q + 1, is that integer less pw[g]
    n = len(cells[0].pattern)
    keys = [int.from_bytes(c.pattern, "big") for c in cells]
    pw = [1 << 8 * (n - 1 - g) for g in range(n)]
    index = {key: i for i, key in enumerate(keys)}
    pairs: list[int] = []  # cell, neighbour, neuron, ... (flat), from the cell above the neuron's line
    for i, (c, key) in enumerate(zip(cells, keys)):
        pattern = c.pattern
        for line in c.lines:
            g = line[6]
            if g < 0 or pattern[g] != line[7] + 1:  # a side of the window, or seen from the other cell
                continue
            j = index.get(key - pw[g])
            if j is None:  # cannot happen when every test was certified; hand over all the same
                raise Undecided("a cell's neighbour across an edge is missing")
            pairs.extend((i, j, g))
    if not pairs:
        return len(cells)
    ijg = np.fromiter(pairs, dtype=np.int64, count=len(pairs)).reshape(-1, 3)
    apart = (np.abs(outs[ijg[:, 0]] - outs[ijg[:, 1]]) > thresh).any(axis=(1, 2))  # NaN: not apart
    if apart.all():  # every pair of neighbours certainly apart: no union to make
        return len(cells)
    parent = list(range(len(cells)))
    regions = len(cells)  # less one per union made
    exact: dict[int, object] = {}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j, g in ijg[~apart].tolist():
        ri, rj = root(i), root(j)
        if ri == rj:
            continue
        if not _gain_is_zero(structure, g, cells[i].pattern):
            for t in (i, j):
                if t not in exact:
                    exact[t] = affine_on_pattern(net, cells[t].pattern)
            if not exact[i] == exact[j]:
                continue
        parent[ri] = rj
        regions -= 1
    return regions


def _structure(net: ExactNet) -> tuple:
    """Return the nonzero weights and nonzero-slope pieces as lists, with each hidden layer's first neuron."""
    nz, live = nonzero_structure(net)
    starts = [0]  # the first neuron of each hidden layer
    for W in nz[:-2]:
        starts.append(starts[-1] + len(W))
    return [W.tolist() for W in nz], [v.tolist() for v in live], starts


def _gain_is_zero(structure: tuple, g: int, pattern: list) -> bool:
    """Tell whether every path from hidden neuron ``g`` to the output meets a zero weight or a dead piece.

    Then the gain ``J`` of ``g`` under ``pattern`` (the pieces downstream of ``g``, the same
    on both sides of an edge on ``g``'s line) is a sum of products with an exact zero factor:
    ``J = 0`` exactly, and the two output maps across the edge are equal.
    """
    nz, live, starts = structure
    l = max(i for i, s in enumerate(starts) if s <= g)
    fed = [g - starts[l]]
    for m in range(l + 1, len(starts)):  # the hidden layers after g's
        alive, s0 = live[m], starts[m]
        fed = [i for i, row in enumerate(nz[m]) if alive[pattern[s0 + i]] and any(row[t] for t in fed)]
        if not fed:
            return True
    return not any(row[t] for row in nz[-1] for t in fed)

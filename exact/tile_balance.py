"""Tiles that hold about the same number of cells: seams placed by an estimate of where cells crowd.

:func:`exact.count_regions` and :func:`exact.regions` with ``tiles=(nx, ny)`` cut the window
into ``nx`` columns and each column into ``ny`` tiles (:func:`balanced_tiles`) so that each
tile holds about ``1 / (nx ny)`` of the estimated cells, instead of an even grid whose
middle tiles hold most of the cells of a trained or seeded net (2-128-128-128-128-1 in
``[-10, 10]^2``: the middle four of 8 x 8 even tiles hold 62 % of its 116 000 cells).

The estimate (:func:`cell_density`) only places the seams, which the join treats exactly
wherever they are (:mod:`exact.tiled_counts`): a cell, an edge or a vertex on a seam is
counted once whatever the estimate says, so floats decide nothing here but the balance.
Seams are dyadic fractions of the window (``k / 2^m`` of its width), small exact numbers.

Examples
--------
>>> from exact.network import ExactNet
>>> net = ExactNet.from_layers([([[1, 0], [1, 0], [1, 0], [0, 1]], [-5, -6, -7, 0]), ([[1, 1, 1, 1]], [0])])
>>> tiles = tiles_for(net, (Fraction(-8), Fraction(8), Fraction(-8), Fraction(8)), 2, 1)
>>> [str(t) for t in tiles]   # the lines x = 5, 6, 7 crowd the right: the seam moves right
['[-8, 111/64] x [-8, 8]', '[111/64, 8] x [-8, 8]']
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ._certified.float_net import float_weights
from ._certified.threads import one_blas_thread
from .errors import Undecided
from .line_count import round_up_pow2
from .network import ExactNet
from .tile_grid import Tile, grid_tiles

__all__ = ["CORE_GROWTH", "CORE_SHARE", "MAX_SAMPLE_WORK", "balanced_tiles", "cell_density", "crowded_core",
           "tile_parts", "tiles_for"]

MAX_SAMPLE_WORK = 200_000_000
"""The most multiply-adds the estimate may take (sample points times weights), about 0.1 s."""


def tiles_for(net: ExactNet, bounds: tuple[Fraction, Fraction, Fraction, Fraction], nx: int, ny: int,
              balance: bool = True, core: Fraction | None = None) -> list[Tile]:
    """Cut the window into ``nx * ny`` tiles: balanced by estimated cells, or an even grid.

    Parameters
    ----------
    net : ExactNet
        A network with 2-D input.
    bounds : (xmin, xmax, ymin, ymax)
        The window, exact.
    nx, ny : int
        Columns, and tiles per column.
    balance : bool
        Place the seams by :func:`cell_density` (:func:`balanced_tiles`); ``False``, or
        when the net cannot be evaluated in floats: the even grid (:func:`~exact.tile_grid.grid_tiles`).
    core : Fraction, optional
        The window is a square around the origin certified to hold the whole plane's cells
        (or a tile of it), which crowd in the much smaller square ``[-core, core]^2``
        (:func:`crowded_core`): balance the tiles of the window's part of that square, and
        stretch the outer ones to the window's sides.  ``None``: balance the whole window.

    Returns
    -------
    list of Tile
        A partition of the window, depth 0.

    Examples
    --------
    >>> from exact.network import ExactNet
    >>> net = ExactNet.from_layers([([[1, 0]], [0]), ([[1]], [0])])
    >>> [str(t) for t in tiles_for(net, (Fraction(-1), Fraction(1), Fraction(0), Fraction(1)), 2, 1, False)]
    ['[-1, 0] x [0, 1]', '[0, 1] x [0, 1]']
    """
    if not balance or nx * ny == 1:
        return grid_tiles(bounds, nx, ny)
    x0, x1, y0, y1 = bounds
    part = bounds
    if core is not None:
        crowd = (max(x0, -core), min(x1, core), max(y0, -core), min(y1, core))
        if crowd[0] < crowd[1] and crowd[2] < crowd[3]:  # else the window misses the crowd: balance it whole
            part = crowd
    density = cell_density(net, part, _samples(net, nx, ny))
    if density is None:
        return grid_tiles(bounds, nx, ny)
    tiles = balanced_tiles(part, density, nx, ny)
    if part == bounds:
        return tiles
    cx0, cx1, cy0, cy1 = part
    return [Tile(x0 if t.x0 == cx0 else t.x0, x1 if t.x1 == cx1 else t.x1, y0 if t.y0 == cy0 else t.y0,
                 y1 if t.y1 == cy1 else t.y1) for t in tiles]


def tile_parts(net: ExactNet, tile: Tile, core: Fraction | None = None) -> tuple[Tile, ...]:
    """Cut a crowded tile in four: its quarters, or in a whole-plane box four tiles balanced like the first.

    Parameters
    ----------
    net : ExactNet
        A network with 2-D input.
    tile : Tile
        The tile to cut.
    core : Fraction, optional
        The tile is part of a box certified to hold the whole plane's cells, which crowd in
        ``[-core, core]^2`` (:func:`crowded_core`), often in a corner or a strip of the
        tile, which quarters would leave whole level after level: it is cut by
        :func:`tiles_for` into 2 x 2 tiles, in a crowded square 4 times wider at each level
        (:data:`CORE_GROWTH`), which soon holds the far parts of the outer tiles too.
        ``None``: quarters.

    Returns
    -------
    tuple of 4 Tile
        One level deeper than ``tile``.

    Examples
    --------
    >>> from exact.network import ExactNet
    >>> net = ExactNet.from_layers([([[1, 0], [0, 1], [1, 1]], [0, 0, -1]), ([[1, 1, 1]], [0])])
    >>> tile = Tile(Fraction(-1024), Fraction(0), Fraction(0), Fraction(1024))
    >>> str(tile_parts(net, tile)[0])
    '[-1024, -512] x [0, 512]'
    >>> core = crowded_core(net, Fraction(1024))     # crossings within [-2, 2]^2
    >>> str(tile_parts(net, tile, core)[0])           # balanced in [-8, 8]^2
    '[-1024, -63/16] x [0, 131/32]'
    """
    if core is None:
        return tile.quarters()
    grown = core * CORE_GROWTH ** (tile.depth + 1)
    parts = tiles_for(net, (tile.x0, tile.x1, tile.y0, tile.y1), 2, 2, True, grown)
    return tuple(Tile(t.x0, t.x1, t.y0, t.y1, tile.depth + 1) for t in parts)


CORE_GROWTH = 4
""":func:`tile_parts` balances a whole-plane tile of depth ``d`` in a square ``4^(d + 1)`` times
:func:`crowded_core`'s."""

CORE_SHARE = 0.9
""":func:`crowded_core`'s square is twice the radius holding this share of the first layer's crossings."""


def crowded_core(net: ExactNet, half: Fraction) -> Fraction:
    """Find a square ``[-c, c]^2`` inside ``[-half, half]^2`` where the cells crowd.

    A square certified to hold every cell of the plane reaches far past most of the
    cells (2^8 times past the first layer's farthest crossing for a count), so seams
    balanced by sample boxes over it would all pass through the one or two boxes holding
    nearly every cell (2-128-128-128-128-1: its whole-plane box is ``2^23`` wide, and
    116 000 of its 135 000 cells lie in ``[-10, 10]^2``).  The first layer's crossings
    show where the cells crowd (the first layer with breakpoints, the affine layers before it
    folded in): ``c`` is twice the max-norm radius holding :data:`CORE_SHARE` of them,
    rounded up to a power of two (an estimate, for seams only).

    Parameters
    ----------
    net : ExactNet
        A network with 2-D input.
    half : Fraction
        The half-width of the square.

    Returns
    -------
    Fraction
        ``c``, at most ``half``; ``half`` when the first layer has no two crossing lines or
        no float form.

    Examples
    --------
    >>> from exact.network import ExactNet
    >>> net = ExactNet.from_layers([([[1, 0], [0, 1], [1, 1]], [0, 0, -1]), ([[1, 1, 1]], [0])])
    >>> crowded_core(net, Fraction(1024))     # the crossings (0, 0), (1, 0), (0, 1): 2 x 1
    Fraction(2, 1)
    """
    try:
        Ws, bs, _, _ = float_weights(net)
    except Undecided:
        return half
    W, b = Ws[0], bs[0]
    for l, act in enumerate(net.activations):  # layers without breakpoints are affine: fold them in
        if act.breakpoints:
            b = b - float(act.breakpoints[0])
            break
        s, c = float(act.slopes[0]), float(act.intercepts[0])
        with np.errstate(all="ignore"):
            W, b = Ws[l + 1] @ (s * W), Ws[l + 1] @ (s * b + c) + bs[l + 1]
    else:
        return half  # no breakpoint in any layer: no lines
    step = -(-len(b) // 2000)  # every step-th line: at most 2000 of them
    W, b = W[::step], b[::step]
    i, j = np.triu_indices(len(b), 1)
    with np.errstate(all="ignore"):
        det = W[i, 0] * W[j, 1] - W[i, 1] * W[j, 0]
        r = np.maximum(np.abs((W[i, 1] * b[j] - W[j, 1] * b[i]) / det),
                       np.abs((W[j, 0] * b[i] - W[i, 0] * b[j]) / det))
    r = r[np.isfinite(r)]
    if len(r) == 0:
        return half
    q = 2 * float(np.quantile(r, CORE_SHARE))
    return half if not q < 2.0**1000 else min(half, round_up_pow2(Fraction(q)))


def _samples(net: ExactNet, nx: int, ny: int) -> int:
    """Sample boxes per side: eight per tile, 16 to 256, fewer on nets too big to sample that often."""
    s = min(256, max(16, 8 * max(nx, ny)))
    weights = sum(a * b for a, b in zip(net.widths[:-2], net.widths[1:-1]))
    while s > 16 and (s + 1) ** 2 * weights > MAX_SAMPLE_WORK:
        s //= 2
    return s


@one_blas_thread
def cell_density(net: ExactNet, bounds: tuple[Fraction, Fraction, Fraction, Fraction],
                 samples: int) -> np.ndarray | None:
    """Estimate the cells in each box of a ``samples x samples`` grid over the window.

    Parameters
    ----------
    net : ExactNet
        A network with 2-D input.
    bounds : (xmin, xmax, ymin, ymax)
        The window.
    samples : int
        Boxes along each side, at least 1.

    Returns
    -------
    ndarray of float64, shape (samples, samples), or None
        ``density[j, i]`` for the box in row ``j`` (from the bottom) and column ``i``:
        ``1 + n^2.5``, where ``n`` is half the number of neurons whose piece differs between
        the ends of the box's four sides (about the lines crossing the box: the cells of
        ``n`` lines in a box grow as ``n^2``, and a neuron that crosses a side twice is not
        seen, more often where lines crowd).  ``None`` when the float evaluation overflows.

    Notes
    -----
    An estimate, in floats, for placing seams only.  The exponent 2.5 is measured: the
    largest of the balanced tiles held 1.13 - 1.26 times the mean number of cells on four
    seeded nets (2-128-128-128-128-1 and 2-64-64-64-1 in 4 x 4 tiles, 2-32-32-32-32-1 in
    3 x 3, 2-64-64-1 in 2 x 2), against 1.17 - 1.72 with ``n^2`` or ``n^3`` and 1.28 - 4.47
    with the even grid.
    ``O(samples^2 P)`` for ``P`` weights of the hidden layers, a band of rows of samples at a time.

    Examples
    --------
    >>> from exact.network import ExactNet
    >>> net = ExactNet.from_layers([([[1, 0]], [-1]), ([[1]], [0])])     # the line x = 1
    >>> cell_density(net, (Fraction(0), Fraction(4), Fraction(0), Fraction(4)), 4)[0].tolist()
    [1.0, 2.0, 1.0, 1.0]
    """
    try:
        Ws, bs, _, _ = float_weights(net)
    except Undecided:
        return None
    acts = [(np.array([float(b) for b in a.breakpoints]), np.array([float(s) for s in a.slopes]),
             np.array([float(c) for c in a.intercepts])) for a in net.activations]
    try:
        x0, x1, y0, y1 = (float(v) for v in bounds)
    except OverflowError:  # a window beyond the float range: no float estimate, the tiles stay even
        return None
    xs, ys = np.linspace(x0, x1, samples + 1), np.linspace(y0, y1, samples + 1)
    along_x = np.zeros((samples + 1, samples))  # flips on the horizontal sides of the boxes
    along_y = np.zeros((samples, samples + 1))  # on the vertical sides
    rows = max(1, (1 << 22) // ((samples + 1) * max(net.widths[1:-1])))  # a few MB at a time
    below = None
    with np.errstate(all="ignore"):
        for j0 in range(0, samples + 1, rows):
            band = ys[j0: j0 + rows]
            pts = np.stack([np.tile(xs, len(band)), np.repeat(band, len(xs))], axis=1)
            pieces = _pieces(pts, Ws[:-1], bs[:-1], acts)
            if pieces is None:
                return None
            pieces = pieces.reshape(len(band), len(xs), -1)
            along_x[j0: j0 + len(band)] = (pieces[:, 1:] != pieces[:, :-1]).sum(axis=2)
            if below is not None:
                pieces = np.concatenate([below[None], pieces])
            along_y[max(j0 - 1, 0): j0 + len(band) - 1] = (pieces[1:] != pieces[:-1]).sum(axis=2)
            below = pieces[-1]
    n = (along_x[:-1] + along_x[1:] + along_y[:, :-1] + along_y[:, 1:]) / 2
    return 1 + n ** 2.5


def _pieces(points: np.ndarray, Ws: list, bs: list, acts: list) -> np.ndarray | None:
    """Return the float activation piece of every hidden neuron at each point, shape (points, neurons)."""
    h, out = points, []
    for W, b, (bp, slope, inter) in zip(Ws, bs, acts):
        z = h @ W.T + b
        if not np.isfinite(z).all():
            return None
        q = np.zeros(z.shape, dtype=np.intp)  # breakpoints strictly below
        for beta in bp:
            q += z > beta
        out.append(q.astype(np.int16))
        h = np.take(slope, q) * z + np.take(inter, q)
    return np.concatenate(out, axis=1)


def balanced_tiles(bounds: tuple[Fraction, Fraction, Fraction, Fraction], density: np.ndarray,
                   nx: int, ny: int) -> list[Tile]:
    """Cut the window into ``nx`` columns of about equal weight, and each column into ``ny`` such tiles.

    Parameters
    ----------
    bounds : (xmin, xmax, ymin, ymax)
        The window, exact.
    density : ndarray, shape (S, S)
        Positive weights of an even ``S x S`` grid of boxes over the window, rows from the
        bottom (:func:`cell_density`); spread evenly within each box.
    nx, ny : int
        Columns, and tiles per column.

    Returns
    -------
    list of Tile
        ``nx * ny`` tiles partitioning the window, column by column from the left, each
        column from the bottom.  Seams lie at ``k / 2^m`` of the window's width or height
        (``2^m >= 1024`` and ``>= 4 max(nx, ny)``), every tile of positive size.

    Examples
    --------
    >>> w = np.ones((4, 4)); w[:, 3] = 13                     # the right column holds 13 / 16
    >>> [str(t) for t in balanced_tiles((Fraction(0), Fraction(4), Fraction(0), Fraction(4)), w, 2, 1)]
    ['[0, 433/128] x [0, 4]', '[433/128, 4] x [0, 4]']
    """
    x0, x1, y0, y1 = (Fraction(v) for v in bounds)
    S = density.shape[1]
    steps = 1 << max(10, (4 * max(nx, ny)).bit_length())
    rows_cdf = np.concatenate([np.zeros((density.shape[0], 1)), np.cumsum(density, axis=1)], axis=1)
    xk = _cuts(rows_cdf.sum(axis=0), nx, steps)
    tiles = []
    for a, b in zip(xk, xk[1:]):
        # each row's weight between the column's sides (linear within a box)
        col = _cdf_at(rows_cdf, density, b / steps * S) - _cdf_at(rows_cdf, density, a / steps * S)
        yk = _cuts(np.concatenate([[0.0], np.cumsum(col)]), ny, steps)
        tiles += [Tile(x0 + (x1 - x0) * Fraction(a, steps), x0 + (x1 - x0) * Fraction(b, steps),
                       y0 + (y1 - y0) * Fraction(c, steps), y0 + (y1 - y0) * Fraction(d, steps))
                  for c, d in zip(yk, yk[1:])]
    return tiles


def _cdf_at(cdf: np.ndarray, density: np.ndarray, u: float) -> np.ndarray:
    """Each row's weight left of ``u`` (in boxes, ``0 <= u <= S``), linear within a box."""
    i = min(int(u), density.shape[1] - 1)
    return cdf[:, i] + (u - i) * density[:, i]


def _cuts(cdf: np.ndarray, n: int, steps: int) -> list[int]:
    """Cut ``[0, steps]`` into ``n`` parts of about equal weight: integer ends, strictly increasing.

    ``cdf`` is the weight left of each of ``S + 1`` even box edges (increasing).
    """
    edges = np.linspace(0.0, steps, len(cdf))
    targets = cdf[-1] * np.arange(1, n) / n
    ks = [0] + np.rint(np.interp(targets, cdf, edges)).astype(np.int64).tolist() + [steps]
    for i in range(1, n):  # at least one step apart, leaving room for the rest
        ks[i] = min(max(ks[i], ks[i - 1] + 1), steps - (n - i))
    return ks

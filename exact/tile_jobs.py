"""What a worker computes for one tile of a tiled run: the tile's cells, summed up for the join.

:func:`exact.count_regions` with ``tiles=`` sends one :class:`TileJob` per tile to the
executor and joins what :func:`count_tile` returns (:mod:`exact.tiled_counts`).  A tile is an
ordinary rectangle-window job: its cells come from the certified-float engine
(:func:`exact._certified.subdivision.batched_cells`), or from the exact engine
(:func:`exact.layer_split.enumerate_cells`) when a float test is too close to call.  Most
cells lie inside one tile and need nothing more than being counted; only the cells with an
edge on a seam travel back (their patterns, tile-local linear regions, float output maps
with error bounds, and where along the seam their edge lies, bracketed in floats).
:func:`exact_tile` returns the exact cells of a tile instead, for :func:`exact.regions`.

A tile with more cells than the job's ``tile_cells``, or over its memory budget, is not
computed: the job returns :class:`Crowded` and the driver cuts the tile into four.

Examples
--------
>>> from exact.network import ExactNet
>>> net = ExactNet.from_layers([([[1, 0], [0, 1]], [0, 0]), ([[1, 1]], [0])])   # x = 0, y = 0
>>> tile = Tile(Fraction(-1), Fraction(1), Fraction(0), Fraction(1))            # y = 0 is its bottom
>>> s = count_tile(TileJob(net, tile, (True, False, False, False)))
>>> s.n_cells, s.n_linear, s.engine, sorted(s.patterns.tolist())   # both cells touch the seam y = 0
(2, 2, 'exact', [[0, 1], [1, 1]])
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, NamedTuple

import numpy as np

from ._certified.cell_table import BatchedCells
from ._certified.subdivision import batched_cells
from ._float_range import float_bounds
from .adjacency import component_labels, shared_edges
from .errors import ResourceLimitError, TooManyRegionsError, Undecided
from .layer_split import RawCell, enumerate_cells
from .network import ExactNet
from .predicates import Point, unoriented_key
from .tile_grid import Tile
from .worker_threads import one_thread

__all__ = ["MAX_DEPTH", "Crowded", "TileJob", "TileSummary", "count_tile", "exact_tile"]

log = logging.getLogger("exact.counting")

MAX_DEPTH = 12
"""Tiles are cut into quarters at most this many times; deeper, a tile is computed whatever its size.

Splitting cannot thin out every crowd: the wedges around a point where many lines meet are
in every tile that holds the point."""


@dataclass(frozen=True)
class TileJob:
    """One tile to compute, with everything a worker needs (it pickles small).

    Attributes
    ----------
    net : ExactNet
        The network (it travels as its exact weights).
    tile : Tile
        The tile.
    seams : tuple of 4 bool
        Which of the tile's sides (bottom, right, top, left) are seams.
    max_regions : int or None
        The run's ``max_regions``: a tile over it means the run is over it.
    max_memory : int or None
        Memory budget of the tile's job, in bytes.
    tile_cells : int or None
        Return :class:`Crowded` instead of computing a tile with more cells than this
        (``None``: never; also never from :data:`MAX_DEPTH` on).
    parent : int
        The process id of the caller: anywhere else the job runs on one BLAS thread.
    """

    net: ExactNet
    tile: Tile
    seams: tuple[bool, bool, bool, bool]
    max_regions: int | None = None
    max_memory: int | None = None
    tile_cells: int | None = None
    parent: int = field(default_factory=os.getpid)


class Crowded(NamedTuple):
    """The answer of a job whose tile holds too many cells or needs too much memory: cut it.

    Attributes
    ----------
    tile : Tile
        The tile.
    why : str
        The engine's message.
    """

    tile: Tile
    why: str


@dataclass
class TileSummary:
    """What the join needs of one tile: its counts, and its cells with an edge on a seam.

    Attributes
    ----------
    tile : Tile
    n_cells, n_linear : int
        Cells in the tile, and the linear regions they form within it.
    engine : str
        ``"certified"`` or ``"exact"``.
    patterns : ndarray of int8, shape (S, N)
        Activation patterns of the ``S`` cells with an edge on a seam.
    labels : ndarray of int64, shape (S,)
        Their tile-local linear regions (``0 .. n_linear - 1``).
    maps, map_err : ndarray of float64, shape (S, m, 3)
        Their output maps ``(d/dx, d/dy, offset)`` per output, each entry within
        ``map_err`` of the exact value (``inf``: unknown).
    edge_cell, edge_side : ndarray of int64, shape (E,)
        For every edge on a seam: its cell (row of ``patterns``) and the tile's side.
    edge_lo, edge_hi, edge_err : ndarray of float64, shape (E,)
        Where the edge lies along its side (``x`` on sides 0 and 2, ``y`` on 1 and 3): the
        exact ends are within ``edge_err`` of ``edge_lo <= edge_hi``.
    seconds : float
        The worker's time for the tile.
    """

    tile: Tile
    n_cells: int
    n_linear: int
    engine: str
    patterns: np.ndarray
    labels: np.ndarray
    maps: np.ndarray
    map_err: np.ndarray
    edge_cell: np.ndarray
    edge_side: np.ndarray
    edge_lo: np.ndarray
    edge_hi: np.ndarray
    edge_err: np.ndarray
    seconds: float = 0.0


def count_tile(job: TileJob) -> TileSummary | Crowded:
    """Compute one tile's cells and sum them up for the join (what a worker runs).

    Parameters
    ----------
    job : TileJob

    Returns
    -------
    TileSummary or Crowded

    Raises
    ------
    TooManyRegionsError
        When the tile alone has more than ``job.max_regions`` cells.
    ResourceLimitError
        When a tile of depth :data:`MAX_DEPTH` is over ``job.max_memory``.

    Examples
    --------
    >>> from exact.network import ExactNet
    >>> net = ExactNet.from_layers([([[1, 1]], [-0.5]), ([[1]], [0])])
    >>> job = TileJob(net, Tile(Fraction(0), Fraction(1), Fraction(0), Fraction(1)), (False,) * 4)
    >>> s = count_tile(job)   # x + y = 1/2 cuts the corner off: no seams, nothing to join
    >>> s.n_cells, s.engine, s.patterns.shape
    (2, 'certified', (0, 1))
    """
    start = time.perf_counter()
    with one_thread(job.parent):
        out = _within_limits(job, lambda cap: _summarize(job, cap))
    if isinstance(out, TileSummary):
        out.seconds = time.perf_counter() - start
    return out


def exact_tile(job: TileJob) -> tuple[Tile, list[RawCell]] | Crowded:
    """Compute one tile's exact cells (polygons, patterns, output maps): the worker of :func:`exact.regions`.

    Parameters
    ----------
    job : TileJob

    Returns
    -------
    (Tile, list of RawCell) or Crowded

    Raises
    ------
    TooManyRegionsError, ResourceLimitError
        As :func:`count_tile`.

    Examples
    --------
    >>> from exact.network import ExactNet
    >>> net = ExactNet.from_layers([([[1, 0]], [0]), ([[1]], [0])])
    >>> tile, cells = exact_tile(TileJob(net, Tile(Fraction(-1), Fraction(1), Fraction(0), Fraction(1)),
    ...                                  (False,) * 4))
    >>> sorted(c.pattern for c in cells)
    [(0,), (1,)]
    """
    w = job.tile.window
    with one_thread(job.parent):
        return _within_limits(job, lambda cap: (job.tile, enumerate_cells(
            job.net, w.verts, w.edges, max_regions=cap, max_memory=job.max_memory)))


def _within_limits(job: TileJob, run: Callable[[int | None], Any]) -> Any:
    """Run ``run(cap)`` with the tile's cell cap; a tile over ``tile_cells`` or its memory is Crowded."""
    limit = job.tile_cells if job.tile.depth < MAX_DEPTH else None
    caps = [v for v in (limit, job.max_regions) if v is not None]
    try:
        return run(min(caps) if caps else None)
    except TooManyRegionsError as exc:
        if limit is not None and (job.max_regions is None or limit < job.max_regions):
            return Crowded(job.tile, str(exc))
        raise
    except ResourceLimitError as exc:
        if job.tile.depth < MAX_DEPTH:
            return Crowded(job.tile, str(exc))
        raise


def _summarize(job: TileJob, cap: int | None) -> TileSummary:
    """Sum up the tile's cells from the certified engine, or the exact one if a test is too close to call."""
    w = job.tile.window
    try:
        return _certified_summary(job, batched_cells(job.net, w, max_regions=cap, max_memory=job.max_memory))
    except Undecided as why:
        log.info("tile %s: certified floats could not decide (%s); using the exact engine", job.tile, why)
    raw = enumerate_cells(job.net, w.verts, w.edges, max_regions=cap, max_memory=job.max_memory)
    return _exact_summary(job, raw)


_SIDE_OF = {(0.0, 1.0): 0, (-1.0, 0.0): 1, (0.0, -1.0): 2, (1.0, 0.0): 3}
"""Side of a rectangle tile from its edge's float line ``(a, b)`` (scaled to max(|a|, |b|) = 1,
interior on the positive side), as :func:`exact._certified.subdivision.window_records` makes it."""


def _certified_summary(job: TileJob, cells: BatchedCells) -> TileSummary:
    """Sum up certified cells: the window edges (label -1) on seam sides, read from the vertex records."""
    labels = np.asarray(cells.linear_labels(), dtype=np.int64)
    n = len(cells)
    cov = np.repeat(np.arange(n), cells.nv)
    v = np.flatnonzero(cells.label == -1)
    cell = cov[v]
    side = np.full(len(v), -1, dtype=np.int64)
    for (a, b), k in _SIDE_OF.items():
        side[(cells.lines[v, 0] == a) & (cells.lines[v, 1] == b)] = k
    if np.any(side < 0):  # not one of the tile's four side lines: let the exact engine do the tile
        raise Undecided("a window edge of a tile matches none of its sides")
    nxt = v + 1
    wrap = nxt == cells.start[cell] + cells.nv[cell]
    nxt[wrap] = cells.start[cell[wrap]]
    horizontal = side % 2 == 0  # bottom and top: the edge's ends go by x, else by y
    along = np.where(horizontal, cells.x[v], cells.y[v]), np.where(horizontal, cells.x[nxt], cells.y[nxt])
    keep = np.asarray(job.seams)[side]
    cell, side = cell[keep], side[keep]
    ends = np.stack([along[0][keep], along[1][keep]])
    err = np.maximum(cells.err[v], cells.err[nxt])[keep]
    rows = np.unique(cell)
    map_err = np.broadcast_to(cells.out_err, (len(rows), *cells.out_err.shape)).copy()
    return TileSummary(job.tile, n, max(labels.tolist(), default=-1) + 1, "certified", cells.patterns[rows],
                       labels[rows], cells.out[rows], map_err,
                       np.searchsorted(rows, cell), side, ends.min(axis=0), ends.max(axis=0), err)


class _Polygon(NamedTuple):
    """A raw cell as :func:`exact.adjacency.shared_edges` reads it."""

    index: int
    verts: tuple[Point, ...]
    edges: tuple


def _exact_summary(job: TileJob, raw: list[RawCell]) -> TileSummary:
    """Sum up exact cells: linear regions by shared edges, seam edges by their exact lines."""
    shared = shared_edges([_Polygon(i, rc.verts, rc.edges) for i, rc in enumerate(raw)])
    maps = [(rc.out, rc.out_den) for rc in raw]  # in lowest terms: equal maps, equal tuples
    labels = component_labels(len(raw), [(i, j) for i, j, _, _ in shared if maps[i] == maps[j]])
    sides = {unoriented_key(e): k for k, e in enumerate(job.tile.window.edges) if job.seams[k]}
    rows: dict[int, int] = {}
    edges: list[tuple[int, int, float, float]] = []
    for c, rc in enumerate(raw):
        n = len(rc.verts)
        for i, e in enumerate(rc.edges):
            k = sides.get(unoriented_key(e))
            if k is None:
                continue
            (X0, Y0, D0), (X1, Y1, D1) = rc.verts[i], rc.verts[(i + 1) % n]
            a, b = (float_bounds(X0, D0), float_bounds(X1, D1)) if k % 2 == 0 else (float_bounds(Y0, D0),
                                                                                  float_bounds(Y1, D1))
            edges.append((rows.setdefault(c, len(rows)), k, min(a[0], b[0]), max(a[1], b[1])))
    cells = list(rows)
    m = job.net.widths[-1]
    maps_f = np.zeros((len(cells), m, 3))
    err = np.zeros((len(cells), m, 3))
    for r, c in enumerate(cells):
        rc = raw[c]
        for o, row in enumerate(rc.out):
            for j, val in enumerate(row):
                lo, hi = float_bounds(Fraction(val, rc.out_den))
                maps_f[r, o, j], err[r, o, j] = lo, hi - lo
    n_hidden = sum(job.net.widths[1:-1])
    pats = np.array([raw[c].pattern for c in cells], dtype=np.int8).reshape(len(cells), n_hidden)
    e = np.array(edges, dtype=np.float64).reshape(-1, 4)
    return TileSummary(job.tile, len(raw), max(labels, default=-1) + 1, "exact", pats,
                       np.array([labels[c] for c in cells], dtype=np.int64), maps_f, err,
                       e[:, 0].astype(np.int64), e[:, 1].astype(np.int64), e[:, 2], e[:, 3], np.zeros(len(e)))

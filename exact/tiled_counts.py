"""One big network in tiles: exact counts and regions from tiles computed independently.

:func:`exact.count_regions` and :func:`exact.regions` with ``tiles=`` cut a rectangular
window into rectangles that hold about the same number of estimated cells
(:mod:`exact.tile_balance`; seams anywhere are exact, :mod:`exact.tile_grid`), compute each as an ordinary
rectangle-window job (:class:`~exact.tile_jobs.TileJob`), serially or on any
:class:`concurrent.futures.Executor` (a process pool, a dask.distributed
``Client.get_executor()``), and join the tiles exactly.  For the whole plane they cut a
box whose cells are the plane's, certified beforehand from a frame along its sides
(:mod:`exact._certified.plane_frame`).

A worker runs :func:`count_tile` (:func:`exact_tile` for :func:`exact.regions`: :mod:`exact.tile_cells`).
Most cells lie inside one tile and need nothing more than being counted, so the certified-float
engine counts the tile's last layer without building it, and finds the cells with an edge
on a seam from the same chords, without building them either
(:func:`exact._certified.last_layer.count_with_border_cells`, engine ``"counted"``).  That
count holds when no two neighbouring cells share an output map, so each cell is a linear
region of its own within the tile.  When neighbours may merge, the whole last layer is
built and its cells labelled by linear region (``"certified"``); when a float test is too
close to call, the exact engine (:func:`exact.layer_split.enumerate_cells`) computes the
tile (``"exact"``).  The join:

* Activation regions are convex, one per pattern, so a cell lying across a seam is one
  piece per tile with the same pattern, and only a cell with an edge on a seam can be in
  two tiles.  The count is the number of cells off the seams plus the number of distinct
  patterns on them.
* Linear regions are the classes of a union-find over each tile's own linear regions:
  joined when they hold the same pattern, and across a seam when two cells of different
  patterns, one on each side, share a piece of the seam of positive length and have the
  same exact output map (an edge exactly on a seam, which no single tile sees).  Floats
  bracket where the seam edges lie and how far apart the maps are, and only filter: a pair
  they cannot tell apart is decided from the patterns, exactly (the cells' intervals on the
  seam from :func:`exact.plane_location.pattern_constraints`, their maps from
  :func:`exact.network.affine_on_pattern`).
* For :func:`exact.regions`, the pieces of a cell cut by seams are merged back into one
  polygon: the exact convex hull of their vertices (their union is convex).

A tile with more than ``tile_cells`` cells (or over its memory budget) is cut into four and
its quarters go back to the executor; at most :func:`~exact.tile_jobs.tile_budget` tiles in
all for ``tile_cells`` (16 per first tile, at least 64), then a crowded tile is computed whole.

Examples
--------
>>> from exact.network import ExactNet
>>> net = ExactNet.from_layers([([[1, 0], [0, 1], [1, 1]], [0, 0, -1]), ([[1, 1, 1]], [0])])
>>> count_in_tiles(net, Fraction(2), 3)          # three lines, every crossing inside: 3 * 4 / 2 + 1
RegionCounts(activation=7, linear=7)
"""

from __future__ import annotations

import collections
import concurrent.futures as cf
import dataclasses
import functools
import logging
import os
import time
from collections.abc import Callable, Iterator
from fractions import Fraction
from typing import Any

import numpy as np

from ._certified.blocks import ranges
from ._certified.last_layer import count_with_border_cells
from ._float_range import float_bounds
from ._fp import U
from ._progress import progress_bar
from .cells import RegionCounts, Regions
from .errors import ResourceLimitError, TooManyRegionsError, Undecided
from .held_interrupts import held_submit
from .job_retry import RUNS, lost_by_executor
from .layer_split import RawCell, cell_bytes, enumerate_cells
from .network import AffineMap, ExactNet, affine_on_pattern
from .plane_location import pattern_constraints
from .pool_ending import wait_first
from .predicates import Line, Point
from .seam_merge import merged_cell
from .tile_balance import crowded_core, tile_parts, tiles_for
from .tile_grid import Seam, Tile, check_tiles, pieces_overlap, seam_piece, seam_segments
from .tile_jobs import (
    TILE_SIDES,
    Crowded,
    TileJob,
    TileSummary,
    memory_tile_budget,
    summary_of_cells,
    summary_of_raw,
    tile_budget,
    within_limits,
)
from .windows import ConvexWindow
from .worker_threads import one_thread

__all__ = ["DEFAULT_TILE_CELLS", "count_in_tiles", "count_tile", "exact_tile", "regions_in_tiles"]

log = logging.getLogger("exact.counting")

DEFAULT_TILE_CELLS = 250_000
"""Tiles with more cells than this are cut into four: a tile's job holds the patterns (one byte per
cell and hidden neuron), maps and vertices of at most this many cells (``max_memory`` bounds it in bytes)."""


def count_in_tiles(net: ExactNet, window: Fraction | ConvexWindow, tiles: Any, *,
                   executor: cf.Executor | None = None, max_regions: int | None = None,
                   max_memory: int | None = None, tile_cells: int | None = DEFAULT_TILE_CELLS,
                   progress: bool = False, balance: bool = True, plane: bool = False) -> RegionCounts:
    """Count activation and linear regions in a rectangle, tile by tile (checked arguments).

    Parameters
    ----------
    net : ExactNet
        A network with 2-D input and at least one hidden layer.
    window : Fraction or ConvexWindow
        The half-width of ``[-B, B]^2``, or a rectangle.
    tiles : int or (int, int)
        The first tiles: ``n`` for ``n x n``, or ``(nx, ny)``: ``nx`` columns of ``ny`` tiles.
    executor : concurrent.futures.Executor, optional
        Where the tiles run (used, not shut down); ``None``: one after the other, here.
    max_regions : int or None
        Refuse (:class:`~exact.errors.TooManyRegionsError`) more cells than this in all.
    max_memory : int or None
        The memory budget of each tile's job, in bytes: a tile over it is cut into four.
    tile_cells : int or None, default :data:`DEFAULT_TILE_CELLS`
        Cut tiles with more cells than this into four, while the run has at most
        :func:`~exact.tile_jobs.tile_budget` tiles (a crowd along a line or at a point is
        in every tile that holds it); ``None``: never.
    progress : bool
        A bar of finished tiles on standard error.
    balance : bool, default True
        Place the seams so that the tiles hold about the same number of estimated cells
        (:func:`exact.tile_balance.tiles_for`); ``False``: an even grid.
    plane : bool, default False
        ``window`` is a square certified to meet every cell of the whole plane
        (:func:`exact._certified.plane_frame.certified_plane_box`): the seams are balanced
        in the much smaller square where its cells crowd
        (:func:`exact.tile_balance.crowded_core`).

    Returns
    -------
    RegionCounts
        The same as the untiled :func:`exact.count_regions`.

    Raises
    ------
    TooManyRegionsError, ResourceLimitError
        Over ``max_regions``; a tile cut :data:`~exact.tile_jobs.MAX_DEPTH` times and still
        over ``max_memory``.

    Examples
    --------
    >>> from exact.network import ExactNet
    >>> relu_x = ExactNet.from_layers([([[1, 0]], [0]), ([[1]], [0])])
    >>> count_in_tiles(relu_x, Fraction(1), 2, balance=False)   # its line x = 0 is the seam: still 2 cells
    RegionCounts(activation=2, linear=2)
    """
    bounds = _bounds(window)
    core = crowded_core(net, bounds[1]) if plane else None
    first = _first_jobs(net, bounds, tiles, max_regions, max_memory, tile_cells, balance, core)
    done: list[TileSummary] = list(_results(count_tile, first, bounds, executor, progress, core))
    counts = _join_counts(net, done)
    if max_regions is not None and counts.activation > max_regions:
        raise TooManyRegionsError(f"{counts.activation} cells exceed max_regions={max_regions}; raise "
                                  "max_regions (None for no limit) or shrink the window "
                                  "(or give one, not the whole plane)")
    return counts


def regions_in_tiles(net: ExactNet, window: Fraction | ConvexWindow, tiles: Any, *,
                     executor: cf.Executor | None = None, max_regions: int | None = None,
                     max_memory: int | None = None, tile_cells: int | None = DEFAULT_TILE_CELLS,
                     progress: bool = False, balance: bool = True, plane: bool = False,
                     cells_of: Callable[..., list[RawCell]] | None = None) -> Regions:
    """Build the exact regions in a rectangle, tile by tile (checked arguments).

    Parameters
    ----------
    net, window, tiles, executor, max_regions, tile_cells, progress, balance
        As in :func:`count_in_tiles`.
    max_memory : int or None
        The memory budget of each tile's job, and of all the cells gathered here.
    plane : bool, default False
        ``window`` is a box certified to meet every cell of the whole plane (a half-width,
        :func:`exact._certified.plane_frame.certified_plane_box`): the regions are the
        plane's, drawn in that box, as the untiled ``regions(net, None)``; seams as in
        :func:`count_in_tiles`.
    cells_of : callable, optional
        ``cells_of(net, window, max_regions=, max_memory=)``: every exact cell of a tile
        (a :class:`~exact.windows.ConvexWindow`), as a list of RawCell; by default the exact
        engine (:func:`~exact.layer_split.enumerate_cells`).  :func:`exact.regions` gives
        :func:`exact.certified_regions.tile_cells_exact`, which builds a deep net's cells with
        certified floats, several times faster.

    Returns
    -------
    Regions
        The cells of the untiled :func:`exact.regions` (in another order): a cell cut by
        seams is merged back into its exact polygon.

    Raises
    ------
    TooManyRegionsError, ResourceLimitError
        As :func:`count_in_tiles`, and when the cells gathered here would take more than
        ``max_memory``.

    Examples
    --------
    >>> from exact.network import ExactNet
    >>> net = ExactNet.from_layers([([[1, 1]], [0]), ([[1]], [0])])
    >>> r = regions_in_tiles(net, Fraction(1), 2)     # the diagonal x + y = 0 across four tiles
    >>> sorted((c.pattern, len(c.verts), c.exact_area) for c in r)
    [((0,), 3, Fraction(2, 1)), ((1,), 3, Fraction(2, 1))]
    """
    bounds = _bounds(window)
    core = crowded_core(net, bounds[1]) if plane else None
    first = _first_jobs(net, bounds, tiles, max_regions, max_memory, tile_cells, balance, core)
    per_cell = cell_bytes(sum(net.widths[1:-1]), net.widths[-1])
    pieces: dict[tuple[int, ...], list[RawCell]] = {}
    held = 0
    worker = functools.partial(exact_tile, cells_of=cells_of)  # pickled by name
    for _, raw in _results(worker, first, bounds, executor, progress, core):
        held += len(raw)
        if max_memory is not None and held * per_cell > max_memory:
            raise ResourceLimitError(
                f"regions() with tiles would gather {held:,} cell pieces here (a cell cut by seams is one a "
                f"tile; about {per_cell:,} bytes each), more than max_memory={max_memory:,} bytes; raise "
                "max_memory (None for no limit) or count them with count_regions()")
        for rc in raw:
            pieces.setdefault(rc.pattern, []).append(rc)
        if max_regions is not None and len(pieces) > max_regions:  # as soon as the tiles done show it
            raise TooManyRegionsError(f"more than max_regions={max_regions} cells ({len(pieces):,} in the "
                                      "tiles done); raise max_regions (None for no limit)")
    cells = [ps[0] if len(ps) == 1 else merged_cell(ps) for ps in pieces.values()]
    half = window.half if isinstance(window, ConvexWindow) else window
    return Regions.from_raw(net, None if plane else window, half, cells)


# --- the workers: one tile each ---------------------------------------------------------------

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
        When a tile of depth :data:`~exact.tile_jobs.MAX_DEPTH` is over ``job.max_memory``.

    Examples
    --------
    >>> from exact.network import ExactNet
    >>> net = ExactNet.from_layers([([[1, 1]], [-0.5]), ([[1]], [0.25]), ([[1]], [0])])   # deep: counted
    >>> job = TileJob(net, Tile(Fraction(0), Fraction(1), Fraction(0), Fraction(1)), (False,) * 4)
    >>> s = count_tile(job)   # x + y = 1/2 cuts the corner off: no seams, nothing to join
    >>> s.n_cells, s.engine, s.patterns.shape
    (2, 'counted', (0, 2))
    """
    start = time.perf_counter()
    with one_thread(job.parent):
        out = within_limits(job, lambda cap: _summarize(job, cap))
    if isinstance(out, TileSummary):
        out.seconds = time.perf_counter() - start
    return out


def exact_tile(job: TileJob, cells_of: Callable[..., list[RawCell]] | None = None
               ) -> tuple[Tile, list[RawCell]] | Crowded:
    """Compute one tile's exact cells (polygons, patterns, output maps): the worker of :func:`exact.regions`.

    Parameters
    ----------
    job : TileJob
    cells_of : callable, optional
        The engine, as in :func:`regions_in_tiles` (default: the exact engine).

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
    make = cells_of or (lambda net, win, **limits: enumerate_cells(net, win.verts, win.edges, **limits))
    with one_thread(job.parent):
        return within_limits(job, lambda cap: (job.tile, make(job.net, w, max_regions=cap,
                                                              max_memory=job.max_memory)))


def _summarize(job: TileJob, cap: int | None) -> TileSummary:
    """Sum up the tile's cells from the certified engine, or the exact one if a test is too close to call."""
    w = job.tile.window
    try:
        return _certified_summary(job, w, cap)
    except Undecided as why:
        log.info("tile %s: certified floats could not decide (%s); using the exact engine", job.tile, why)
    raw = enumerate_cells(job.net, w.verts, w.edges, max_regions=cap, max_memory=job.max_memory)
    return summary_of_raw(job, raw)


def _certified_summary(job: TileJob, window: ConvexWindow, cap: int | None) -> TileSummary:
    """Count the tile's cells and sum up those on its seams (by linear region when neighbours may merge).

    Without merges every cell is a linear region of its own (engine ``"counted"``): the
    cells on the seams get distinct labels and the linear count is the cell count.
    """
    seam_sides = [ab for ab, seam in zip(TILE_SIDES, job.seams) if seam]
    n, border, every = count_with_border_cells(job.net, window, seam_sides, max_regions=cap,
                                               max_memory=job.max_memory)
    if every is None:
        return summary_of_cells(job, n, n, "counted", border,
                                np.arange(0 if border is None else len(border.index), dtype=np.int64))
    labels = np.asarray(every.linear_labels(), dtype=np.int64)
    return summary_of_cells(job, n, max(labels.tolist(), default=-1) + 1, "certified", border,
                            labels[border.index] if border is not None else np.zeros(0, dtype=np.int64))


def _bounds(window: Fraction | ConvexWindow) -> tuple[Fraction, Fraction, Fraction, Fraction]:
    """Return ``(xmin, xmax, ymin, ymax)`` of a square half-width or a rectangle."""
    if isinstance(window, ConvexWindow):
        return window.bounds
    return -window, window, -window, window


def _first_jobs(net: ExactNet, bounds: tuple, tiles: Any, max_regions: int | None, max_memory: int | None,
                tile_cells: int | None, balance: bool, core: Fraction | None = None) -> list[TileJob]:
    """One job per first tile (balanced by estimated cells, in ``core``'s square for the plane; or even)."""
    nx, ny = check_tiles(tiles)
    return [TileJob(net, t, t.seam_sides(bounds), max_regions, max_memory, tile_cells, os.getpid())
            for t in tiles_for(net, bounds, nx, ny, balance, core)]


def _results(worker: Callable[[TileJob], Any], first: list[TileJob], bounds: tuple,
             executor: cf.Executor | None, progress: bool, core: Fraction | None = None) -> Iterator[Any]:
    """Run the jobs (here or on the executor) and yield their results; crowded tiles go back cut in four.

    Here the tiles run breadth first, so that :func:`~exact.tile_jobs.tile_budget` is spent
    level by level, as it is on an executor (about).
    """
    bar = progress_bar(progress, len(first), "tiles", unit="tile")  # tiles done of tiles known
    budget, known = tile_budget(len(first)), len(first)
    memory_budget = memory_tile_budget(len(first))

    def again(out: Crowded, job: TileJob) -> list[TileJob]:
        """Return the jobs in place of a crowded one: its quarters, or itself whole past the budget."""
        nonlocal known
        if out.memory and known + 3 > memory_budget:
            raise ResourceLimitError(f"tile {out.tile} is over max_memory ({out.why}), and the run has "
                                     f"{known:,} tiles already (memory_tile_budget: {memory_budget:,}); "
                                     "raise max_memory")
        if not out.memory and known + 3 > budget:
            log.info("tile %s is crowded (%s), but the run has %d tiles, tile_budget's most: computed whole",
                     out.tile, out.why, known)
            return [dataclasses.replace(job, tile_cells=None)]
        log.info("tile %s is crowded (%s): cut into four", out.tile, out.why)
        known += 3
        if progress:  # one tile known less, four more; shown at the next update (a refresh here would
            bar.total += 3  # draw before the bar's first second and past its interval in a log file)
        return [dataclasses.replace(job, tile=q, seams=q.seam_sides(bounds))
                for q in tile_parts(job.net, out.tile, core)]

    try:
        if executor is None:
            todo = collections.deque(first)
            while todo:
                job = todo.popleft()
                out = worker(job)
                if isinstance(out, Crowded):
                    todo.extend(again(out, job))
                    continue
                bar.update()
                yield out
            return
        pending: dict[cf.Future, tuple[TileJob, int]] = {}  # each job with its runs so far
        try:
            for job in first:
                pending[held_submit(executor, worker, job)] = job, 1
            while pending:
                for fut in wait_first(list(pending), executor):
                    job, runs = pending.pop(fut)
                    try:
                        out = fut.result()
                    except Exception as exc:
                        if runs >= RUNS or not lost_by_executor(exc):
                            raise
                        log.warning("tile %s failed on the executor (%s: %s); running it again", job.tile,
                                    type(exc).__name__, exc)
                        pending[held_submit(executor, worker, job)] = job, runs + 1
                        continue
                    if isinstance(out, Crowded):
                        for quarter in again(out, job):
                            pending[held_submit(executor, worker, quarter)] = quarter, 1
                        continue
                    bar.update()
                    yield out
        finally:  # stopped by an error: cancel what has not started
            for fut in pending:
                fut.cancel()
    finally:
        bar.close()


class _UnionFind:
    """Union-find over the tiles' linear regions (integer nodes), counting the merges."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}
        self.merges = 0

    def find(self, i: int) -> int:
        p = self.parent
        while p.get(i, i) != i:
            p[i] = p.get(p[i], p[i])
            i = p[i]
        return i

    def union(self, i: int, j: int) -> None:
        ri, rj = self.find(i), self.find(j)
        if ri != rj:
            self.parent[max(ri, rj)] = min(ri, rj)
            self.merges += 1

    def union_all(self, a: np.ndarray, b: np.ndarray) -> None:
        """Join ``a[k]`` and ``b[k]`` for every ``k``, at once (a fresh union-find only).

        Labels propagate along the pairs as minima, with pointer jumping, until every pair
        has one label (the least node of its component); each other node is one merge.
        """
        ids, inv = np.unique(np.concatenate([a, b]), return_inverse=True)
        u, v = inv[: len(a)], inv[len(a):]
        lab = np.arange(len(ids))
        while True:
            low = np.minimum(lab[u], lab[v])
            new = lab.copy()
            np.minimum.at(new, u, low)
            np.minimum.at(new, v, low)
            new = new[new]
            if np.array_equal(new, lab):
                break
            lab = new
        moved = np.flatnonzero(lab != np.arange(len(ids)))
        self.parent = dict(zip(ids[moved].tolist(), ids[lab[moved]].tolist()))
        self.merges = len(moved)


def _join_counts(net: ExactNet, done: list[TileSummary]) -> RegionCounts:
    """Join the tiles' summaries: distinct patterns on the seams, linear regions by union-find."""
    base = np.concatenate([[0], np.cumsum([s.n_linear for s in done])]).astype(np.int64)
    uf = _UnionFind()
    pats = [s.patterns for s in done if len(s.patterns)]
    on_seams = sum(len(p) for p in pats)
    distinct = 0
    if on_seams:
        rows = np.ascontiguousarray(np.concatenate(pats))
        nodes = np.concatenate([base[t] + s.labels for t, s in enumerate(done)])
        keys = rows.view(np.dtype((np.void, rows.shape[1]))).ravel()  # one per pattern
        _, first, group = np.unique(keys, return_index=True, return_inverse=True)
        distinct = len(first)
        roots = nodes[first][group.ravel()]
        uf.union_all(roots, nodes)  # the pieces of one cell, in tiles on both sides of seams
    exact = _ExactCells(net)
    for seam in seam_segments([s.tile for s in done]):
        _join_seam(done, base, seam, uf, exact)
    return RegionCounts(sum(s.n_cells for s in done) - on_seams + distinct, int(base[-1]) - uf.merges)


class _ExactCells:
    """Exact facts about cells from their patterns alone, each worked out once."""

    def __init__(self, net: ExactNet):
        self.net = net
        self.map = functools.lru_cache(maxsize=None)(self._map)
        self.constraints = functools.lru_cache(maxsize=4096)(self._constraints)

    def _map(self, key: bytes) -> AffineMap:
        return affine_on_pattern(self.net, tuple(np.frombuffer(key, dtype=np.int8).tolist()))

    def _constraints(self, key: bytes) -> tuple[Line, ...]:
        pattern = tuple(np.frombuffer(key, dtype=np.int8).tolist())
        # the net's integer layers are made on first use (~10 ms for 2-128^4-1), by a join that needs them
        return pattern_constraints(self.net, pattern, layers=self.net.integer_layers())

    def on_seam(self, key: bytes, seam: Seam) -> tuple[Point, Point] | None:
        """Return the cell's closure on the seam (within its extent), or None if it is a point or empty."""
        return seam_piece(seam, self.constraints(key))


def _join_seam(done: list[TileSummary], base: np.ndarray, seam: Seam, uf: _UnionFind,
               exact: _ExactCells) -> None:
    """Join the linear regions of the two tiles of a seam that meet along it with the same map.

    Floats filter the pairs of touching edges first (all at once): a pair whose maps are
    certainly apart cannot join, and one with the same pattern is one cell, joined
    already; the rest are decided exactly.
    """
    low, high = done[seam.low], done[seam.high]
    a = _edges_on(low, 1 if seam.axis == 0 else 2, seam)
    b = _edges_on(high, 3 if seam.axis == 0 else 0, seam)
    i, j = _touching(low, a, high, b)
    p, q = low.edge_cell[i], high.edge_cell[j]
    maybe = ~_maps_apart(low, p, high, q) & ~np.all(low.patterns[p] == high.patterns[q], axis=1)
    if not maybe.any():
        return
    cells = np.unique(np.stack([p[maybe], q[maybe]], axis=1), axis=0)
    for p, q in cells.tolist():
        n_p, n_q = int(base[seam.low] + low.labels[p]), int(base[seam.high] + high.labels[q])
        if uf.find(n_p) == uf.find(n_q):
            continue
        kp, kq = low.patterns[p].tobytes(), high.patterns[q].tobytes()
        if exact.map(kp) != exact.map(kq):
            continue
        ip, iq = exact.on_seam(kp, seam), exact.on_seam(kq, seam)
        if ip is not None and iq is not None and pieces_overlap(seam, ip, iq):
            uf.union(n_p, n_q)


def _edges_on(s: TileSummary, side_no: int, seam: Seam) -> np.ndarray:
    """Return the tile's edges (indices) on one side whose brackets meet the seam's extent."""
    idx = np.flatnonzero(s.edge_side == side_no)
    lo, hi = _brackets(s, idx)
    return idx[(hi >= float_bounds(seam.lo)[0]) & (lo <= float_bounds(seam.hi)[1])]


def _touching(s: TileSummary, a: np.ndarray, t: TileSummary, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``(i, j)`` of edges of ``s`` (among ``a``) and of ``t`` (among ``b``) whose brackets meet.

    A filter: it keeps every pair whose exact intervals meet (each bracket holds its exact
    interval, rounded outwards).  Sorted by their starts, the edges of ``b`` that start
    before an edge of ``a`` ends are a prefix, and those whose prefix maximum of the ends
    reaches its start a suffix (the edges of one side tile the seam, so the range is short).
    """
    none = np.zeros(0, dtype=np.int64)
    if len(a) == 0 or len(b) == 0:
        return none, none
    alo, ahi = _brackets(s, a)
    blo, bhi = _brackets(t, b)
    order = np.argsort(blo, kind="stable")
    blo, bhi, b = blo[order], bhi[order], b[order]
    start = np.searchsorted(np.maximum.accumulate(bhi), alo, side="left")
    end = np.searchsorted(blo, ahi, side="right")
    size = np.maximum(end - start, 0)
    k, m = np.repeat(np.arange(len(a)), size), ranges(start, size)
    meet = bhi[m] >= alo[k]
    return a[k[meet]], b[m[meet]]


def _brackets(s: TileSummary, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return float brackets ``lo <= exact start``, ``exact end <= hi`` of some edges (rounded outwards).

    An end beyond the float range with an infinite bound (``inf - inf``: NaN) is bracketed by
    ``-inf`` / ``inf``: a NaN would fail every comparison and drop the edge from the filters.
    """
    with np.errstate(invalid="ignore"):
        lo = np.nextafter(s.edge_lo[idx] - s.edge_err[idx], -np.inf)
        hi = np.nextafter(s.edge_hi[idx] + s.edge_err[idx], np.inf)
    return np.where(np.isnan(lo), -np.inf, lo), np.where(np.isnan(hi), np.inf, hi)


def _maps_apart(s: TileSummary, p: np.ndarray, t: TileSummary, q: np.ndarray) -> np.ndarray:
    """Tell for pairs of cells ``(p[i], q[i])`` whether their float maps are certainly different.

    ``|f_p - f_q| > e_p + e_q`` for some entry, the right side rounded up by the factor
    ``1 + 4u`` (rounding is monotone, so a float ``|f_p - f_q|`` above a float bound of
    ``e_p + e_q`` means the exact difference is above it too).  Infinities and NaNs fail.
    """
    with np.errstate(invalid="ignore", over="ignore"):
        bound = (s.map_err[p] + t.map_err[q]) * (1 + 4 * U)
        return np.any(np.abs(s.maps[p] - t.maps[q]) > bound, axis=(1, 2))

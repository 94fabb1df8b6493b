"""The jobs of a tiled run and their answers: a tile to compute, its summary for the join.

:func:`exact.count_regions` with ``tiles=`` sends one :class:`TileJob` per tile to the
executor; a worker runs :func:`exact.tiled_counts.count_tile` on it and sends back a
:class:`TileSummary`, or :class:`Crowded` for a tile with more cells than the job's
``tile_cells`` (or over its memory budget, :func:`within_limits`): the driver then cuts the
tile into four.  Most cells lie inside one tile and need nothing more than being counted;
only the cells with an edge on a seam travel back (their patterns, tile-local linear
regions, float output maps with error bounds, and where along the seam their edge lies,
bracketed in floats), summed up from certified cells (:func:`summary_of_cells`) or from
exact ones (:func:`summary_of_raw`).

Examples
--------
>>> from exact.layer_split import enumerate_cells
>>> from exact.network import ExactNet
>>> net = ExactNet.from_layers([([[1, 0], [0, 1]], [0, 0]), ([[1, 1]], [0])])   # x = 0, y = 0
>>> tile = Tile(Fraction(-1), Fraction(1), Fraction(0), Fraction(1))            # y = 0 is its bottom
>>> job = TileJob(net, tile, (True, False, False, False))
>>> w = tile.window
>>> s = summary_of_raw(job, enumerate_cells(net, w.verts, w.edges))
>>> s.n_cells, s.n_linear, s.engine, sorted(s.patterns.tolist())   # both cells touch the seam y = 0
(2, 2, 'exact', [[0, 1], [1, 1]])
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, NamedTuple

import numpy as np

from ._certified.border_cells import BorderCells
from ._float_range import float_bounds
from .adjacency import component_labels, shared_edges
from .errors import ResourceLimitError, TooManyRegionsError, Undecided
from .layer_split import RawCell
from .network import ExactNet
from .predicates import Point, unoriented_key
from .tile_grid import Tile

__all__ = ["MAX_DEPTH", "MEMORY_TILE_BUDGET", "MIN_TILE_BUDGET", "TILES_PER_FIRST_TILE", "TILE_SIDES",
           "Crowded", "TileJob", "TileSummary", "memory_tile_budget", "summary_of_cells", "summary_of_raw",
           "tile_budget", "within_limits"]

MAX_DEPTH = 12
"""Tiles are cut into quarters at most this many times; deeper, a tile is computed whatever its size.

Splitting cannot thin out every crowd: the wedges around a point where many lines meet are
in every tile that holds the point."""

TILES_PER_FIRST_TILE = 16
"""Crowded tiles are cut while a run has at most this many tiles per first tile (:func:`tile_budget`)."""
MIN_TILE_BUDGET = 64
"""... and never before a run has this many tiles: one first tile may still be cut three times over."""


def tile_budget(first: int) -> int:
    """Return the most tiles a run may cut its ``first`` tiles into for ``tile_cells`` (memory: see below).

    Parameters
    ----------
    first : int
        The run's first tiles (``nx * ny``).

    Returns
    -------
    int
        ``max(MIN_TILE_BUDGET, TILES_PER_FIRST_TILE * first)``.

    Notes
    -----
    Cutting a tile in four thins out a crowd spread over an area, but not one along a line
    or at a point: the cells between close parallel lines lie in every tile the lines
    cross, so each cut doubles the crowded tiles without making any of them smaller (six
    lines ``2^-200`` apart and ``tile_cells=5``, 14 cells: over 30 000 tiles and still
    cutting after 37 s; with the budget, 64 tiles in 0.1 s).  With the budget spent, a
    tile over ``tile_cells`` is computed whole, as the untiled run would compute it; a tile
    over its memory budget is still cut, down to :data:`MAX_DEPTH`, while the run has at most
    :func:`memory_tile_budget` tiles.

    Examples
    --------
    >>> tile_budget(1), tile_budget(4), tile_budget(16)
    (64, 64, 256)
    """
    return max(MIN_TILE_BUDGET, TILES_PER_FIRST_TILE * first)


MEMORY_TILE_BUDGET = 4096
"""Tiles over their memory budget are cut while a run has at most ``max(4096, 4 * first)`` tiles."""


def memory_tile_budget(first: int) -> int:
    """Return the most tiles a run may cut its ``first`` tiles into for ``max_memory``; past it, refuse.

    A ``max_memory`` too small for any tile (one cell's arrays over it) would otherwise cut
    every tile of a level before any reached :data:`MAX_DEPTH`: about 4^12 / 3 tile runs.

    Parameters
    ----------
    first : int
        The run's first tiles (``nx * ny``).

    Returns
    -------
    int
        ``max(MEMORY_TILE_BUDGET, 4 * first)``.

    Examples
    --------
    >>> memory_tile_budget(1), memory_tile_budget(4096)
    (4096, 16384)
    """
    return max(MEMORY_TILE_BUDGET, 4 * first)


@dataclass(frozen=True)
class TileJob:
    """One tile to compute, with everything a worker needs (it pickles small).

    Attributes
    ----------
    net : ExactNet
        The network.  It travels as its pickle, made once for all the jobs of a run and
        unpickled once per worker process (a net of Fractions is slow to pickle).
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

    def __reduce__(self) -> tuple:
        """Pickle the net once per run and unpickle it once per worker process (see :func:`_net_parcel`)."""
        return (_job_from_parcel, (_net_parcel(self.net), self.tile, self.seams, self.max_regions,
                                   self.max_memory, self.tile_cells, self.parent))


_PARCELS: list[tuple[ExactNet, bytes]] = []
"""The caller's pickled nets, newest first: ``(net, pickled net)`` of the last two."""
_UNPACKED: dict[bytes, ExactNet] = {}
"""A worker's nets by their pickles (the whole bytes: equal keys, equal nets), oldest first, at most four."""


def _net_parcel(net: ExactNet) -> bytes:
    """Return the pickle of a net, made once for all the jobs of a run.

    Each job still carries the pickle (any executor can run it), but as bytes: copied, not
    made again (a net of Fractions takes tens of milliseconds to pickle, and as long to
    unpickle, which a worker does once per net: :func:`_job_from_parcel`).
    """
    for held, data in _PARCELS:
        if held is net:
            return data
    data = pickle.dumps(net, protocol=pickle.HIGHEST_PROTOCOL)
    _PARCELS[:] = [(net, data), *_PARCELS[:1]]
    return data


def _job_from_parcel(data: bytes, *fields: Any) -> TileJob:
    """Rebuild a pickled :class:`TileJob`, its net unpickled only the first time this process sees it."""
    net = _UNPACKED.get(data)
    if net is None:
        net = pickle.loads(data)
        while len(_UNPACKED) >= 4:
            del _UNPACKED[next(iter(_UNPACKED))]
        _UNPACKED[data] = net
    return TileJob(net, *fields)


class Crowded(NamedTuple):
    """The answer of a job whose tile holds too many cells or needs too much memory: cut it.

    Attributes
    ----------
    tile : Tile
        The tile.
    why : str
        The engine's message.
    memory : bool
        Over its memory budget (a hard limit), not over ``tile_cells``.
    """

    tile: Tile
    why: str
    memory: bool = False


@dataclass
class TileSummary:
    """What the join needs of one tile: its counts, and its cells with an edge on a seam.

    Attributes
    ----------
    tile : Tile
    n_cells, n_linear : int
        Cells in the tile, and the linear regions they form within it.
    engine : str
        ``"counted"`` (certified floats, the last layer counted and its cells on the
        seams found from its chords, not built), ``"certified"`` (certified floats, every
        cell built) or ``"exact"``.
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


def within_limits(job: TileJob, run: Callable[[int | None], Any]) -> Any:
    """Run a tile's engine with the tile's cell cap; a tile over ``tile_cells`` or its memory is Crowded.

    Parameters
    ----------
    job : TileJob
    run : callable
        ``run(cap)``: the engine, refusing (:class:`~exact.errors.TooManyRegionsError`)
        more than ``cap`` cells (``None``: no cap).

    Returns
    -------
    object
        What ``run`` returns, or :class:`Crowded` when the tile is over ``tile_cells``
        or its memory budget and may still be cut (depth below :data:`MAX_DEPTH`).

    Raises
    ------
    TooManyRegionsError
        When the tile alone has more than ``job.max_regions`` cells.
    ResourceLimitError
        When a tile of depth :data:`MAX_DEPTH` is over ``job.max_memory``.

    Examples
    --------
    >>> from exact.network import ExactNet
    >>> net = ExactNet.from_layers([([[1, 0]], [0]), ([[1]], [0])])
    >>> tile = Tile(Fraction(0), Fraction(1), Fraction(0), Fraction(1))
    >>> within_limits(TileJob(net, tile, (False,) * 4, tile_cells=5), lambda cap: cap)
    5
    """
    limit = job.tile_cells if job.tile.depth < MAX_DEPTH else None
    caps = [v for v in (limit, job.max_regions) if v is not None]
    try:
        return run(min(caps) if caps else None)
    except TooManyRegionsError as exc:
        if limit is not None and (job.max_regions is None or limit < job.max_regions):
            return Crowded(job.tile, str(exc))
        raise TooManyRegionsError(f"the tile {job.tile} alone: {exc}") from None  # not the whole window's
    except ResourceLimitError as exc:
        if job.tile.depth < MAX_DEPTH:
            return Crowded(job.tile, str(exc), memory=True)
        raise ResourceLimitError(f"the tile {job.tile}, cut {MAX_DEPTH} times already: {exc}") from None


TILE_SIDES = ((0.0, 1.0), (-1.0, 0.0), (0.0, -1.0), (1.0, 0.0))
"""The float line ``(a, b)`` of each side of a rectangle tile (scaled to max(|a|, |b|) = 1, interior
on the positive side), as :func:`exact._certified.subdivision.window_records` makes it."""
_SIDE_OF = {ab: k for k, ab in enumerate(TILE_SIDES)}


def summary_of_cells(job: TileJob, n_cells: int, n_linear: int, engine: str, border: BorderCells | None,
                     labels: np.ndarray) -> TileSummary:
    """Sum up certified cells for the join: those with an edge on a seam side, and their edges there.

    Parameters
    ----------
    job : TileJob
    n_cells, n_linear : int
        The tile's counts.
    engine : str
        As :attr:`TileSummary.engine`.
    border : BorderCells or None
        The tile's certified cells with an edge on a seam side, and those edges
        (:func:`~exact._certified.last_layer.count_with_border_cells`); ``None``: none.
    labels : ndarray of int64, shape (len(border.patterns),)
        Their tile-local linear regions, in ``0 .. n_linear - 1``.

    Returns
    -------
    TileSummary

    Raises
    ------
    Undecided
        An edge on a line that is none of the tile's sides (the caller uses the exact engine).

    Examples
    --------
    >>> from exact._certified.border_cells import border_cells_of
    >>> from exact._certified.subdivision import batched_cells
    >>> from exact.network import ExactNet
    >>> net = ExactNet.from_layers([([[1, 1]], [-0.5]), ([[1]], [0])])
    >>> tile = Tile(Fraction(0), Fraction(1), Fraction(0), Fraction(1))
    >>> border = border_cells_of(batched_cells(net, tile.window), [TILE_SIDES[0]])  # x + y = 1/2: a corner
    >>> s = summary_of_cells(TileJob(net, tile, (True, False, False, False)), 2, 2, "certified", border,
    ...                      np.arange(2))
    >>> s.patterns.tolist(), s.edge_side.tolist()     # both cells touch the bottom side
    ([[0], [1]], [0, 0])
    """
    if border is None:
        m = job.net.widths[-1]
        none, empty = np.zeros(0, dtype=np.int64), np.zeros(0)
        return TileSummary(job.tile, n_cells, n_linear, engine,
                           np.zeros((0, sum(job.net.widths[1:-1])), dtype=np.int8), none,
                           np.zeros((0, m, 3)), np.zeros((0, m, 3)), none, none, empty, empty, empty)
    side = np.full(len(border.edge_cell), -1, dtype=np.int64)
    for (a, b), k in _SIDE_OF.items():
        side[(border.edge_line[:, 0] == a) & (border.edge_line[:, 1] == b)] = k
    if np.any(side < 0) or not np.asarray(job.seams)[side].all():  # not one of the tile's seams
        raise Undecided("a border edge of a tile lies on none of its seams")
    horizontal = (side % 2 == 0)[:, None]  # bottom and top: the edge's ends go by x, else by y
    ends = np.where(horizontal, border.edge_x, border.edge_y)
    map_err = np.broadcast_to(border.out_err, (len(border.patterns), *border.out_err.shape)).copy()
    return TileSummary(job.tile, n_cells, n_linear, engine, border.patterns, labels, border.out, map_err,
                       border.edge_cell, side, ends.min(axis=1), ends.max(axis=1), border.edge_err)


class _Polygon(NamedTuple):
    """A raw cell as :func:`exact.adjacency.shared_edges` reads it."""

    index: int
    verts: tuple[Point, ...]
    edges: tuple


def summary_of_raw(job: TileJob, raw: list[RawCell]) -> TileSummary:
    """Sum up the exact cells of a tile for the join: linear regions by shared edges, seam edges by lines.

    Parameters
    ----------
    job : TileJob
    raw : list of RawCell
        All the tile's cells, from :func:`exact.layer_split.enumerate_cells`.

    Returns
    -------
    TileSummary
        Engine ``"exact"``; maps and edge ends as floats bracketing the exact values.

    Examples
    --------
    See the module's.
    """
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

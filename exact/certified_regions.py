"""The regions of a deep net from the certified cells, with exact objects made lazily.

:func:`certified_window_regions` runs the certified-float engine
(:func:`exact._certified.subdivision.batched_cells`), which builds every cell of every
layer with certified tests, and wraps its arrays in an ordinary :class:`exact.Regions`;
:func:`certified_plane_regions` does the same for the whole plane, in the box of the
float certificate (:func:`exact._certified.plane.batched_plane_cells`).
Nothing exact is computed up front: the linear regions come from the certified
:meth:`~exact._certified.cell_table.BatchedCells.linear_labels`, and each cell's exact
polygon and output map are made when first asked for (:class:`CertifiedCells`).

Why the lazy objects are exact.  When every test of the construction was decided, the
cells and their combinatorics are those of the exact subdivision, and the edge from
each vertex to the next lies on the line its label names: a side of the window, or the
line where neuron ``g`` of hidden layer ``l`` meets breakpoint ``q``.  That line, inside
the cell, is the neuron's exact pre-activation on the cell's pieces of the layers before
``l`` (its prefix: integer rows, made for a block of cells at once from their residues
modulo word-sized primes, :mod:`exact.residue_maps`, each distinct line and vertex of the
block once, :mod:`exact.cell_blocks`), oriented by the cell's own piece of ``g``; a window
side is identified by the float line the engine copied from the window's records
(:func:`exact._certified.subdivision.window_records`), which must match exactly one side
or the exact engine is used.  Each exact vertex is the crossing of
the lines of the edges before and after it (:func:`exact.predicates.intersect_lines`).
Every edge seen from the cell above its line is the whole edge it shares with the cell
across (the lines of later layers bend there, they do not end), so the shared boundaries
are the cells' own edges.

Examples
--------
>>> import torch
>>> from fractions import Fraction
>>> from exact.loading import as_exact_net
>>> _ = torch.manual_seed(0)
>>> net = torch.nn.Sequential(torch.nn.Linear(2, 5), torch.nn.ReLU(), torch.nn.Linear(5, 5),
...                           torch.nn.ReLU(), torch.nn.Linear(5, 1))
>>> r = certified_window_regions(as_exact_net(net), Fraction(10))
>>> r.n_activation, r.n_linear
(42, 38)
>>> sum(c.exact_area for c in r) == 400
True
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from fractions import Fraction

import numpy as np

from ._certified.bounds import rounding, values
from ._certified.cell_table import BatchedCells, above_neighbours
from ._certified.plane import batched_plane_cells
from ._certified.subdivision import batched_cells, window_records
from ._certified.threads import one_blas_thread
from ._float_range import to_float
from ._progress import progress_bar
from .cell_blocks import block_polygons
from .cells import Regions
from .errors import ResourceLimitError, Undecided
from .json_numbers import maps_text
from .layer_split import RawCell, cell_bytes, enumerate_cells, reduce_map
from .network import AffineMap, ExactNet
from .polygon_areas import area_candidates, polygon_area, vertex_boxes, vertex_float_areas
from .predicates import Line, Point, compare_along, unoriented_key
from .prefix_maps import PrefixMaps
from .residue_maps import BlockMaps
from .square_window import square
from .windows import ConvexWindow

__all__ = ["CertifiedCells", "certified_plane_regions", "certified_window_regions", "tile_cells_exact"]

log = logging.getLogger("exact.counting")

_BLOCK = 256
"""Cells made exact together when one of them is asked for (they share most prefixes)."""

_CHUNK = 4 * _BLOCK
"""Cells made exact at a time when many are asked for at once (bounded temporaries, a progress bar)."""


def certified_window_regions(net: ExactNet, window: Fraction | ConvexWindow, *,
                             max_regions: int | None = None, max_memory: int | None = None,
                             progress: bool = False) -> Regions:
    """Build the regions of a deep net in a window from certified cells; exact objects on demand.

    Parameters
    ----------
    net : ExactNet
        A network with 2-D input and at least two hidden layers.
    window : Fraction or ConvexWindow
        Checked window: a half-width or a convex polygon.
    max_regions, max_memory, progress
        As in :func:`exact._certified.subdivision.batched_cells`.

    Returns
    -------
    Regions
        The same cells, patterns, maps, linear regions and boundaries as the exact engine
        (in another order); exact vertices, edges and maps are made when asked for.

    Raises
    ------
    Undecided
        When a certified test is too close to call, or a window edge matches no side or
        several: the caller then runs the exact engine.
    TooManyRegionsError, ResourceLimitError
        As :func:`~exact._certified.subdivision.batched_cells`.
    """
    table = batched_cells(net, window, max_regions=max_regions, progress=progress, max_memory=max_memory)
    source = CertifiedCells(table, window, progress)
    box = window.half if isinstance(window, ConvexWindow) else window
    return Regions.from_certified(net, window, box, source)


def certified_plane_regions(net: ExactNet, *, max_regions: int | None = None, max_memory: int | None = None,
                            progress: bool = False) -> Regions:
    """Build the regions of a deep net in the whole plane from certified cells; exact objects on demand.

    The cells are those of the box the float certificate grew
    (:func:`exact._certified.plane.batched_plane_cells`): every cell of the plane meets it
    once, and a cell with an edge on the box is unbounded (``bounded`` False).

    Parameters
    ----------
    net : ExactNet
        A network with 2-D input and at least two hidden layers.
    max_regions, max_memory, progress
        As in :func:`certified_window_regions`.

    Returns
    -------
    Regions
        With ``window=None`` and ``box`` the certified half-width.

    Raises
    ------
    Undecided, TooManyRegionsError, ResourceLimitError
        As :func:`certified_window_regions`.
    """
    half, table = batched_plane_cells(net, max_regions=max_regions, progress=progress, max_memory=max_memory)
    return Regions.from_certified(net, None, half, CertifiedCells(table, half, progress))


class CertifiedCells:
    """Certified cells with their exact polygons and output maps made on demand.

    Parameters
    ----------
    table : BatchedCells
        The certified cells of a window.
    window : Fraction or ConvexWindow
        The window they fill.
    progress : bool, default False
        Show a bar (after a second) when many cells are made exact at once.

    Attributes
    ----------
    table : BatchedCells
    on_border : ndarray of bool, shape (C,)
        Which cells have an edge on the window (in the whole plane: the unbounded ones).
    maps : PrefixMaps
        The prefixes of the cells, the layers' scales and the field width of their rows.
    blocks : BlockMaps
        The residues the exact lines and maps of a block of cells are made from (made
        when a cell's polygon or map is first asked for).
    n_exact : int
        How many cells have their exact polygon and map made so far.

    Raises
    ------
    Undecided
        If a window edge matches no side of the window, or several; if two consecutive
        edges of a cell lie on the same labelled line; as
        :meth:`~exact._certified.cell_table.BatchedCells.linear_labels`.
    """

    def __init__(self, table: BatchedCells, window: Fraction | ConvexWindow, progress: bool = False):
        self.table = table
        self.progress = progress  # a bar when many cells are made exact at once
        n = len(table)
        self.side = _window_sides(table, window)
        sides = (window.edges if isinstance(window, ConvexWindow)
                 else square(window.numerator, window.denominator)[1])
        self.window_edges: tuple[Line, ...] = tuple(sides)
        edge_id = np.where(table.label >= 0, table.label, -1 - self.side)
        if np.any(edge_id == edge_id[self.prev_vertex()]):
            raise Undecided("two consecutive edges of a cell lie on one line")
        self.linear = table.linear_labels()
        self.maps = PrefixMaps(table.net, table.patterns)
        self.layer_of = np.searchsorted(self.maps.offs, np.arange(table.patterns.shape[1]), side="right") - 1
        self._blocks: BlockMaps | None = None
        self._poly: list[tuple | None] = [None] * n
        self._out: list[tuple | None] = [None] * n  # integer output rows over maps.scales[-1]
        self._made = np.zeros(n, dtype=bool)
        self._bbox: tuple | None = None
        self.on_border = np.add.reduceat((table.label == -1).astype(np.int64), table.start) > 0
        self._above: tuple | None = None
        self.n_exact = 0

    def __len__(self) -> int:
        return len(self.table)

    def resolve_all(self) -> None:
        """Make every cell's exact polygon and map (for whole-result operations), in chunks."""
        self.resolve(range(len(self)))

    def prev_vertex(self) -> np.ndarray:
        """Return the index of each vertex's predecessor in its cell (counter-clockwise).

        Returns
        -------
        ndarray of int64, shape (V,)
        """
        t = self.table
        prev = np.arange(len(t.label)) - 1
        prev[t.start] = t.start + t.nv - 1
        return prev

    def next_vertex(self) -> np.ndarray:
        """Return the index of each vertex's successor in its cell.

        Returns
        -------
        ndarray of int64, shape (V,)
        """
        t = self.table
        nxt = np.arange(len(t.label)) + 1
        nxt[t.start + t.nv - 1] = t.start
        return nxt

    def pattern(self, i: int) -> tuple[int, ...]:
        """Return cell ``i``'s activation pattern (from the certified table).

        Parameters
        ----------
        i : int

        Returns
        -------
        tuple of int
        """
        return tuple(self.table.patterns[i].tolist())

    def affine(self, i: int) -> AffineMap:
        """Return cell ``i``'s exact output map (made with its block of cells if needed).

        Parameters
        ----------
        i : int

        Returns
        -------
        AffineMap
        """
        if self._out[i] is None:
            self.resolve(_block_of(i, len(self)))
        s = self.maps.scales[-1]
        rows = self._out[i]
        return AffineMap(tuple((Fraction(a, s), Fraction(b, s)) for a, b, _ in rows),
                         tuple(Fraction(c, s) for _, _, c in rows))

    def output_rows(self, i: int) -> tuple[tuple[tuple[int, int, int], ...], int]:
        """Return cell ``i``'s exact output map as integer rows over one scale (made with its block).

        Parameters
        ----------
        i : int

        Returns
        -------
        rows : tuple of (int, int, int)
            Per output ``(a, b, c)``: the output is ``(a x + b y + c) / scale``.
        scale : int
            Positive, the same for every cell.
        """
        if self._out[i] is None:
            self.resolve(_block_of(i, len(self)))
        return self._out[i], self.maps.scales[-1]

    def map_text(self, i: int) -> tuple[list[list[str]], list[str]]:
        """Return cell ``i``'s exact output map as text (as :meth:`exact.face_maps.FaceMaps.map_text`).

        Parameters
        ----------
        i : int

        Returns
        -------
        (gradient, offset)
            ``str`` of each exact Fraction, made from the integer rows.
        """
        return self.map_texts([i])[0]

    def map_texts(self, cells: Sequence[int]) -> list[tuple[list[list[str]], list[str]]]:
        """Return many cells' exact output maps as text, a block at once (see :meth:`map_text`).

        Parameters
        ----------
        cells : sequence of int

        Returns
        -------
        list of (gradient, offset)
            :func:`exact.json_numbers.maps_text` of the cells' integer rows.
        """
        self.resolve([i for i in cells if self._out[i] is None])
        out = self._out
        return maps_text([out[i] for i in cells], self.maps.scales[-1])

    def pieces(self, cells: np.ndarray) -> np.ndarray:
        """Return the piece of every neuron in the given cells.

        Parameters
        ----------
        cells : ndarray of int

        Returns
        -------
        ndarray of int8, shape (len(cells), neurons)
        """
        return self.table.patterns[cells]

    @property
    def blocks(self) -> BlockMaps:
        """The residue maps the exact objects of a block of cells are made from (made on first use)."""
        if self._blocks is None:
            self._blocks = BlockMaps(self.maps)
        return self._blocks

    def polygon(self, i: int) -> tuple[tuple[Point, ...], tuple[Line, ...]]:
        """Return cell ``i``'s exact vertices and edge lines (made with its block if needed).

        Parameters
        ----------
        i : int

        Returns
        -------
        verts : tuple of Point
            Counter-clockwise, in lowest terms.
        edges : tuple of Line
            ``edges[k]`` supports the edge from ``verts[k]`` to the next vertex, in lowest
            terms, the cell on its positive side.
        """
        if self._poly[i] is None:
            self.resolve(_block_of(i, len(self)))
        return self._poly[i]

    def resolve(self, cells: Sequence[int]) -> None:
        """Make the exact polygons and output maps of ``cells`` (those not made yet).

        Parameters
        ----------
        cells : sequence of int

        Raises
        ------
        RuntimeError
            If two consecutive edge lines of a cell do not cross, which the certified
            construction rules out.
        """
        todo = np.unique(np.asarray(cells, dtype=np.int64).reshape(-1))
        todo = todo[~self._made[todo]]
        chunk = min(_CHUNK, self.blocks.cells_per_block()) if len(todo) else 1  # bounded residue arrays
        if len(todo) <= chunk:
            self._resolve(todo)
            return
        # in the order of the patterns, so that a chunk's cells share their prefixes
        todo = todo[np.argsort(self.maps.prefix_ids(self.maps.n_hidden - 1)[0][todo], kind="stable")]
        bar = progress_bar(self.progress, len(todo), "exact polygons", unit="cell")
        try:
            for k in range(0, len(todo), chunk):  # in chunks: bounded temporaries, and a progress bar
                self._resolve(todo[k : k + chunk])
                bar.update(len(todo[k : k + chunk]))
        finally:
            bar.close()

    @one_blas_thread  # thin products: a second BLAS thread gains nothing (exact._certified.threads)
    def _resolve(self, todo: np.ndarray) -> None:
        """:meth:`resolve` of distinct cells not made yet (:func:`exact.cell_blocks.block_polygons`)."""
        if not len(todo):
            return
        polys, outs = block_polygons(self, todo)
        for c, poly, out in zip(todo.tolist(), polys, outs):
            self._poly[c] = poly
            self._out[c] = out
        self._made[todo] = True
        self.n_exact += len(todo)

    def bbox(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Return each cell's bounding box, widened so that it holds the exact cell.

        Returns
        -------
        xlo, xhi, ylo, yhi : ndarray of float64, shape (C,)
            Each float vertex widened by its certified error bound, rounded outwards; a vertex
            beyond the float range (an overflow: ``inf - inf`` is NaN) makes its cell's box the plane.
        """
        if self._bbox is None:
            t = self.table
            self._bbox = vertex_boxes(t.x, t.y, t.err, t.start)
        return self._bbox

    def float_areas(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Return each cell's area from its float vertices, with a rigorous bound on its error.

        Returns
        -------
        (area, err) : pair of ndarray of float64, shape (C,), or None
            ``|area - exact area| <= err``; None if a value overflowed
            (:func:`exact.polygon_areas.vertex_float_areas` of the certified float vertices).
        """
        t = self.table  # the cells' vertices are stored cell after cell (start = cumsum(nv) - nv)
        return vertex_float_areas(t.x, t.y, t.err, t.start)

    def extreme_areas(self, among: np.ndarray | None = None) -> tuple[Fraction, Fraction] | None:
        """Return the exact smallest and largest cell areas; only the cells the floats leave open made exact.

        Parameters
        ----------
        among : ndarray of int, optional
            The cells to measure (default: all).

        Returns
        -------
        (Fraction, Fraction) or None
            None for no cells.
        """
        cells = np.arange(len(self)) if among is None else np.asarray(among, dtype=np.int64)
        if not len(cells):
            return None
        found = self.float_areas()
        small, large = (cells, cells) if found is None else area_candidates(*found, cells)
        self.resolve(np.concatenate([small, large]))
        return (min(polygon_area(self._poly[i][0]) for i in small.tolist()),
                max(polygon_area(self._poly[i][0]) for i in large.tolist()))

    def level_candidates(self, output: int, level: Fraction) -> np.ndarray | None:
        """Return the cells where output ``output`` may equal ``level``: the others are certainly off it.

        A cell whose float vertices all give a value farther from ``level`` than the
        certified bound (:func:`exact._certified.bounds.values`: the map's and the vertices'
        error bounds, and the rounding), on the same side, lies wholly on that side (the
        output is affine on the convex cell): no level set there, and no flat piece.

        Parameters
        ----------
        output : int
            A valid output index.
        level : Fraction
            The level.

        Returns
        -------
        ndarray of int64 or None
            The candidate cells, sorted; None when ``level`` is beyond the float range (no filter).
        """
        try:
            beta, ebeta = to_float(level), rounding(level)
        except (Undecided, OverflowError):
            return None
        t = self.table
        owner = np.repeat(np.arange(len(t)), t.nv)
        with np.errstate(all="ignore"):  # an overflow or NaN only keeps a cell a candidate
            f, fe = values(t.out[owner, output, :].T, t.out_err[output], t.x, t.y, t.err, beta, ebeta)
            above, below = f > fe, f < -fe
        off = np.logical_and.reduceat(above, t.start) | np.logical_and.reduceat(below, t.start)
        return np.flatnonzero(~off)

    def float_polygons(self) -> list[np.ndarray]:
        """Return each cell's float vertices (within the certified bound of the exact ones).

        Returns
        -------
        list of ndarray, shape (n_k, 2)
            For drawing: never for a decision.
        """
        t = self.table
        return np.split(np.column_stack([t.x, t.y]), t.start[1:])

    def _edges_above(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every inner edge once, from the cell above its line: (vertex, cell, cell across)."""
        if self._above is None:
            t = self.table
            v, cell, nb, _ = above_neighbours(t.patterns, t.hashes, t.hash_keys, t.nv, t.label,
                                              t.label_neuron, t.label_piece)
            self._above = (v, cell, nb)
        return self._above

    def float_segments(self) -> tuple[np.ndarray, np.ndarray]:
        """Return the shared boundaries as float segments, and which separate linear regions.

        Returns
        -------
        segments : ndarray of float64, shape (P, 2, 2)
            For drawing.
        linear : ndarray of bool, shape (P,)
            True where the output map changes across (exactly decided).
        """
        v, cell, nb = self._edges_above()
        t, w = self.table, self.next_vertex()[v]
        segs = np.stack([np.column_stack([t.x[v], t.y[v]]), np.column_stack([t.x[w], t.y[w]])], axis=1)
        lab = np.asarray(self.linear)
        return segs, lab[cell] != lab[nb]

    def boundaries(self) -> tuple[list[tuple[int, int, Point, Point]], list[bool]]:
        """Return the exact shared boundaries, as :func:`exact.adjacency.shared_edges` gives them.

        Returns
        -------
        boundaries : list of (int, int, Point, Point)
            ``(i, j, p, q)``: cell ``i`` on the positive side of the line's
            :func:`~exact.predicates.unoriented_key`, ``p`` before ``q`` along it.
        same_map : list of bool
            Whether the output map is the same on both sides.
        """
        v, cell, nb = self._edges_above()
        self.resolve(np.unique(cell))
        t, lab = self.table, self.linear
        out, same = [], []
        for vv, c, d in zip(v.tolist(), cell.tolist(), nb.tolist()):
            verts, edges = self._poly[c]
            k = vv - int(t.start[c])
            e, p, q = edges[k], verts[k], verts[(k + 1) % len(verts)]
            key = unoriented_key(e)
            i, j = (c, d) if e == key else (d, c)
            out.append((i, j, p, q) if compare_along(key, p, q) < 0 else (i, j, q, p))
            same.append(lab[c] == lab[d])
        return out, same


def tile_cells_exact(net: ExactNet, window: ConvexWindow, *, max_regions: int | None = None,
                     max_memory: int | None = None) -> list[RawCell]:
    """Return every exact cell of a net in a convex window, as the exact engine does (a tile of regions()).

    A deep net's cells are built with certified floats and made exact a block at a time
    (:class:`CertifiedCells`), several times faster than the exact engine
    (:func:`~exact.layer_split.enumerate_cells`), which takes one hidden layer, and a test too
    close to call (logged at INFO level on ``exact.counting``).

    Parameters
    ----------
    net : ExactNet
    window : ConvexWindow
    max_regions, max_memory : int or None
        As for the exact engine (``max_memory`` is checked before any exact object is made).

    Returns
    -------
    list of RawCell
        The exact engine's cells, in another order (polygons and maps in lowest terms).

    Examples
    --------
    >>> from exact.windows import rectangle_window
    >>> net = ExactNet.from_layers([([[1, 0], [0, 1]], [0, 0]), ([[1, -1]], [0]), ([[1]], [0])])
    >>> max((c.pattern, c.out) for c in tile_cells_exact(net, rectangle_window(-1, 1, -1, 1)))
    ((1, 1, 1), ((1, -1, 0),))
    """
    try:
        if net.n_hidden_layers > 1:
            table = batched_cells(net, window, max_regions=max_regions, max_memory=max_memory)
            cells, per_cell = CertifiedCells(table, window), cell_bytes(sum(net.widths[1:-1]), net.widths[-1])
            if max_memory is not None and len(cells) * per_cell > max_memory:  # as the exact engine refuses
                raise ResourceLimitError(f"{len(cells):,} cells of about {per_cell:,} bytes each would take "
                                         f"more than max_memory={max_memory:,} bytes")
            cells.resolve_all()
            scale = cells.maps.scales[-1]  # each map in lowest terms, as the exact engine's
            return [RawCell(*cells.polygon(i), cells.pattern(i), *reduce_map(cells.output_rows(i)[0], scale))
                    for i in range(len(cells))]
    except Undecided as why:
        log.info("a tile: certified floats could not decide (%s); using the exact engine", why)
    return enumerate_cells(net, window.verts, window.edges, max_regions=max_regions, max_memory=max_memory)


def _block_of(i: int, n: int) -> range:
    """Return the block of cells made exact together with cell ``i``."""
    lo = i - i % _BLOCK
    return range(lo, min(n, lo + _BLOCK))


def _window_sides(table: BatchedCells, window: Fraction | ConvexWindow) -> np.ndarray:
    """Return, for each vertex whose edge runs along the window (label -1), the index of its side.

    The engine copies each side's float line from the window's records; an edge's line
    must equal exactly one of them (else :class:`Undecided`).  Other vertices get -1.
    """
    rec, _ = window_records(window)
    lines = rec[:, 4:7]
    side = np.full(len(table.label), -1, dtype=np.int64)
    v = np.flatnonzero(table.label == -1)
    match = (table.lines[v][:, None, :] == lines[None, :, :]).all(axis=2)  # (edges, sides)
    if not np.all(match.sum(axis=1) == 1):
        raise Undecided("a window edge matches none of the window's sides, or several")
    side[v] = match.argmax(axis=1)
    return side

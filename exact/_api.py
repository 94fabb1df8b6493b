"""The two public entry points of the region engine: :func:`regions` and :func:`count_regions`.

Both validate their arguments (:mod:`exact.validation`), choose an engine and, when
certified floats cannot decide a test, fall back to the exact engine:

* one hidden layer: the line arrangement (:mod:`exact.line_count` counts its faces,
  :mod:`exact.line_arrangement` traces them);
* deeper nets: the certified-float engine (:mod:`exact._certified`) for counts and for
  the cells of :func:`regions`, whose exact polygons and maps are made when asked for
  (:mod:`exact.certified_regions`); the exact layer splitter (:mod:`exact.layer_split`)
  as the fallback;
* the whole plane (``window=None``): a box grown until a certificate shows that it
  holds every cell (:mod:`exact._certified.plane` in floats, :mod:`exact.whole_plane`
  exactly);
* ``tiles=``: a square or rectangle cut into tiles, each an ordinary rectangle job here or
  on an executor, joined exactly (:mod:`exact.tiled_counts`).

Examples
--------
>>> count_regions([([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0]), ([[1.0, 0.0]], [0.0])], window=None)
RegionCounts(activation=4, linear=2)
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
from collections.abc import Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from ._certified import batched_counts, batched_plane_cells
from ._certified.budget import format_bytes
from ._certified.plane_frame import tiles_box
from ._certified.small_cells import is_small, small_counts
from .cells import RegionCounts, Regions
from .certified_regions import certified_plane_regions, certified_window_regions, tile_cells_exact
from .errors import InputError, ResidualModuleError, ResourceLimitError, TooManyRegionsError, Undecided
from .gc_pause import gc_paused
from .layer_split import cell_bytes, enumerate_cells
from .line_arrangement import line_faces
from .line_count import arrangement_faces, first_layer_lines, initial_box, shallow_line_jumps
from .network import ExactNet
from .predicates import Line, line_from_fractions, point_in_polygon, unoriented_key
from .square_window import square
from .tile_grid import check_tile_cells, check_tiles
from .tiled_counts import DEFAULT_TILE_CELLS, count_in_tiles, regions_in_tiles
from .validation import (
    DEFAULT_MAX_MEMORY,
    DEFAULT_MAX_REGIONS,
    DEFAULT_WINDOW,
    MemoryLike,
    WindowLike,
    check_max_memory,
    check_max_regions,
    check_window,
    prepare_net,
)
from .whole_plane import whole_plane_cells
from .windows import ConvexWindow
from .worker_threads import check_executor

if TYPE_CHECKING:
    from .nd.region_set import RegionsND

__all__ = ["count_regions", "exact_regions", "read_net", "regions"]

log = logging.getLogger("exact.counting")


def regions(net: Any, window: WindowLike = DEFAULT_WINDOW, *, plane: Sequence[Any] | None = None,
            activation: str | None = None, max_regions: int | None = DEFAULT_MAX_REGIONS,
            max_memory: MemoryLike = DEFAULT_MAX_MEMORY, progress: bool = False,
            tiles: int | tuple[int, int] | None = None, executor: cf.Executor | None = None,
            tile_cells: int | None = DEFAULT_TILE_CELLS) -> Regions | RegionsND:
    """Enumerate the activation and linear regions of a piecewise-linear MLP exactly.

    Parameters
    ----------
    net : torch.nn.Module, list of (W, b), ExactNet, or path
        The network (see :func:`exact.as_exact_net`).  Weights are taken at their exact
        binary value; a module with skips ``x + g(x)``: see :mod:`exact.residual_nets`.
    window : float, int, Fraction, (xmin, xmax, ymin, ymax), sequence of (x, y) or None, default 10
        Half-width ``B`` of the window ``[-B, B]^2`` (:data:`exact.DEFAULT_WINDOW`); a
        rectangle; the vertices of a convex polygon (:func:`exact.validation.check_window`);
        ``None`` for the whole plane.  Input width ``d != 2``: ``B``, one ``(lo, hi)`` per
        axis (:func:`exact.nd.check_box`) or ``None``.
    plane : (x0, x1, x2), optional
        Restrict a network with any input width to the affine plane through three points;
        coordinates are then ``(u, v)`` with ``x = x0 + u (x1-x0) + v (x2-x0)``.
    activation : str, optional
        Hidden activation when ``net`` is a list of layers (default ``relu``).
    max_regions : int or None, default 2_000_000
        Guard: stop with :class:`~exact.errors.TooManyRegionsError` beyond this many cells.
    max_memory : int, float, str or None, default "auto"
        Guard: refuse (:class:`~exact.errors.ResourceLimitError`) a job estimated to need more
        memory: bytes, ``"2GB"``, ``"auto"`` (half the memory available) or ``None``.
    progress : bool, default False
        Show a progress bar (on stderr) on long enumerations.
    tiles, executor, tile_cells : int or (nx, ny), concurrent.futures.Executor, int or None
        Cut the window (square, rectangle; ``None``: the certified whole-plane box) into ``n x n``
        tiles on ``executor`` (else here), joined exactly: the same cells in another order, a plane's
        box perhaps another (:mod:`exact.tiled_counts`).

    Returns
    -------
    Regions or RegionsND
        The exact cells, their patterns and affine maps, and the linear-region count; for
        input width ``d != 2`` without ``plane``, :class:`exact.nd.RegionsND` (the cells
        are polytopes).

    Raises
    ------
    InputError
        Bad window, NaN weights, shape mismatch...
    UnsupportedActivationError
        Activations that are not piecewise linear.
    TooManyRegionsError, ResourceLimitError
        Beyond ``max_regions`` cells; a job needing more than ``max_memory``.

    See Also
    --------
    count_regions : the two counts without polygons, much faster on deep nets.

    Notes
    -----
    Cells are built layer by layer: each cell of the previous layers is split by the
    breakpoint lines of the next layer's neurons, computed from the cell's exact affine
    map.  Linear regions merge adjacent cells (sharing an edge) whose exact output maps are
    equal.  For ``window=None`` the box grows until it is certified to meet every cell
    (:mod:`exact.whole_plane`).  Memory: ``3.3 kB + 8 bytes x hidden neurons`` per cell;
    cells are counted before they are built, and a job over a limit is refused.

    Examples
    --------
    >>> r = regions([([[1.0, 0.0], [-1.0, 0.0]], [0.0, 0.0]), ([[1.0, 1.0]], [0.0])], window=None)
    >>> r.n_activation, r.n_linear   # |x|: two cells, two linear pieces
    (2, 2)
    """
    enet, own = read_net(net, plane, activation, window)
    tiling = _check_tiling(enet, window, tiles, executor, tile_cells)
    if enet.input_dim != 2:
        out = _regions_nd(enet, window, max_regions, max_memory, progress)
    else:
        w, kw = check_window(window), _guards(max_regions, max_memory, progress)
        out = exact_regions(enet, w, **kw) if tiling is None else _tiled_regions(enet, w, kw, tiling)
        out.plane = None if plane is None else tuple(plane)  # the slice's points, for plot(mark_points=True)
    out.own = own  # a residual net's own neurons (the others carry its skips)
    return out


def _tiled_regions(enet: ExactNet, w: Fraction | ConvexWindow | None, kw: dict, tiling: dict) -> Regions:
    """:func:`regions` in tiles: of a window, or of the whole plane's certified box (untiled if none is)."""
    box = w if w is not None else tiles_box(enet, None, max_regions=kw["max_regions"],
                                            max_memory=kw["max_memory"], executor=tiling["executor"])
    if box is None:
        return exact_regions(enet, w, **kw)
    return regions_in_tiles(enet, box, **kw, **tiling, plane=w is None, cells_of=tile_cells_exact)


def count_regions(net: Any, window: WindowLike = DEFAULT_WINDOW, *, plane: Sequence[Any] | None = None,
                  activation: str | None = None, max_regions: int | None = DEFAULT_MAX_REGIONS,
                  max_memory: MemoryLike = DEFAULT_MAX_MEMORY, progress: bool = False,
                  tiles: int | tuple[int, int] | None = None, executor: cf.Executor | None = None,
                  tile_cells: int | None = DEFAULT_TILE_CELLS) -> RegionCounts:
    """Exact numbers of activation and linear regions, without building polygons.

    Parameters
    ----------
    net : torch.nn.Module, list of (W, b), ExactNet, or path
        As in :func:`regions`.
    window : float, int, Fraction, (xmin, xmax, ymin, ymax), sequence of (x, y) or None, default 10
        Half-width ``B`` of ``[-B, B]^2`` (:data:`exact.DEFAULT_WINDOW`, the same default
        as :func:`regions`), a rectangle or a convex polygon as in :func:`regions`;
        ``None`` counts the whole plane.  Input width ``d != 2`` without ``plane``: a box
        or ``None`` as in :func:`regions` (the cells are made and counted, not built into
        objects: :func:`exact.nd.region_counts.count_cells_nd`).
    plane, activation, max_regions, max_memory, progress
        As in :func:`regions`.  ``max_regions`` bounds the cells a count builds: a net with
        one hidden layer in a rectangle or the plane builds none (its arrangement is counted
        by formula), so no count of it is refused, however large.
    tiles, executor, tile_cells
        As in :func:`regions`: the counts of the untiled run, from tiles counted apart.  A
        net with one hidden layer is counted untiled (its arrangement formula, in well under
        a second for thousands of neurons, beats any tiling).

    Returns
    -------
    RegionCounts
        ``(activation, linear)``.

    Raises
    ------
    InputError, UnsupportedActivationError, TooManyRegionsError, ResourceLimitError
        As in :func:`regions`.

    Notes
    -----
    One hidden layer: the activation cells are the faces of the arrangement of the
    distinct breakpoint lines, counted by :func:`exact.arrangement_faces` in
    O(n^2 log n); the linear regions are the faces of the lines across which the
    output's gradient jumps.  Deeper networks are split layer by layer with certified
    float arithmetic (:mod:`exact._certified`: in a window the last layer's cells are
    counted, not built; in the whole plane all layers are split inside a box grown until
    the float certificate holds), which hands over to the exact engine of
    :func:`regions` if any test is too close to call (logged at INFO level on the
    ``exact.counting`` logger).  Memory: one byte per cell and hidden neuron (patterns),
    the vertices and 24 bytes per cell and next-layer neuron (float maps), with arrays
    over (cell, line) pairs built in bounded chunks; a layer over ``max_regions`` or
    ``max_memory`` is refused once counted, before it is built.

    With ``tiles`` (:mod:`exact.tiled_counts`), ``max_memory`` is each tile job's budget,
    worked out here (``"auto"``: half the memory available in this process).

    Examples
    --------
    >>> import torch
    >>> _ = torch.manual_seed(0)
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 20), torch.nn.ReLU(), torch.nn.Linear(20, 1))
    >>> count_regions(net, window=None).activation   # 20 lines in general position: 20*21/2 + 1
    211
    >>> count_regions(net)                            # in the default window [-10, 10]^2
    RegionCounts(activation=197, linear=197)
    >>> count_regions(net, tiles=3)                   # nine tiles, one after the other: the same
    RegionCounts(activation=197, linear=197)
    """
    enet, _ = read_net(net, plane, activation, window)
    tiling = _check_tiling(enet, window, tiles, executor, tile_cells)
    if enet.input_dim != 2:
        return _regions_nd(enet, window, max_regions, max_memory, progress, count=True)
    w = check_window(window)
    check_max_regions(max_regions)
    return _counts_2d(enet, w, max_regions, check_max_memory(max_memory), progress, tiling)


def _counts_2d(enet: ExactNet, w: Fraction | ConvexWindow | None, max_regions: int | None, mem: int | None,
               progress: bool, tiling: dict | None) -> RegionCounts:
    """:func:`count_regions` of a net with 2-D input, on checked arguments: the engine for the job."""
    if enet.n_hidden_layers == 0:
        return RegionCounts(1, 1)
    if tiling is not None:  # (never for one hidden layer: _check_tiling)
        box = w if w is not None else tiles_box(enet, initial_box(enet) * _FAR_START, max_regions=max_regions,
                                                max_memory=mem, executor=tiling["executor"])
        if box is not None:
            return count_in_tiles(enet, box, max_regions=max_regions, max_memory=mem, progress=progress,
                                  plane=w is None, **tiling)
    if enet.n_hidden_layers == 1:
        if isinstance(w, ConvexWindow) and not w.is_rectangle:
            r = exact_regions(enet, w, max_regions=max_regions, progress=progress, max_memory=mem)
            return RegionCounts(r.n_activation, r.n_linear)
        jumps = shallow_line_jumps(enet)
        n_act = _faces(list(jumps), w, progress)
        kinks = [l for l, j in jumps.items() if any(v != 0 for v in j)]
        n_lin = n_act if len(kinks) == len(jumps) else _faces(kinks, w, progress)
        return RegionCounts(n_act, n_lin)
    return _deep_counts(enet, w, max_regions, mem, progress)


def read_net(net: Any, plane: Any, activation: Any, window: Any) -> tuple[ExactNet, tuple[bool, ...] | None]:
    """Read ``net`` as :func:`regions` and :func:`count_regions` do (and :func:`exact.count_many`).

    Parameters
    ----------
    net, plane, activation, window
        As in :func:`regions`.

    Returns
    -------
    net : ExactNet
        Restricted to ``plane`` if given; of any input width otherwise.  A torch module
        with skip connections is lowered to the plain net equal to it in ``window``
        (:func:`exact.residual_reading.lowering_on_window`).
    own : tuple of bool or None
        For a lowered net, which hidden neurons are the module's own; else None.

    Raises
    ------
    InputError
        As :func:`exact.as_exact_net`; ``window=None`` for a module with skip connections.

    Examples
    --------
    >>> read_net([([[1, 0]], [0]), ([[1]], [0])], None, None, 1)[0].widths
    (2, 1, 1)
    """
    try:
        return prepare_net(net, plane=plane, activation=activation, any_width=True), None
    except ResidualModuleError:
        from .residual_reading import lowering_on_window  # only for modules with skips

        low = lowering_on_window(net, window, plane=plane, activation=activation)
        return low.net, low.own


def _guards(max_regions: Any, max_memory: Any, progress: bool) -> dict:
    """Check the guards; return them as the keywords of the engines (``max_memory`` in bytes)."""
    check_max_regions(max_regions)
    return {"max_regions": max_regions, "progress": progress, "max_memory": check_max_memory(max_memory)}


def _check_tiling(enet: ExactNet, window: Any, tiles: Any, executor: Any, tile_cells: Any) -> dict | None:
    """Check ``tiles``, ``executor`` and ``tile_cells``; return them as keywords, or None for no tiles."""
    check_executor(executor)
    if tiles is None:
        if executor is not None:
            raise InputError("executor= runs the tiles of a window: give tiles= too (e.g. tiles=4 for 4 x 4 "
                             "tiles); to count many nets on an executor use count_many")
        if tile_cells != DEFAULT_TILE_CELLS:
            raise InputError(f"tile_cells={tile_cells!r} sizes the tiles' jobs: give tiles= too "
                             "(e.g. tiles=4)")
        return None
    tiles = check_tiles(tiles)  # (nx, ny) as plain ints
    check_tile_cells(tile_cells)
    if enet.input_dim != 2:
        raise InputError(f"tiles= cuts a 2-D window, but the network's input width is {enet.input_dim}; "
                         "give plane= to work on a plane through the input space")
    w = check_window(window)
    if isinstance(w, ConvexWindow) and not w.is_rectangle:
        raise InputError(f"tiles= cuts a square or a rectangle, not the {w}; give a half-width B or a "
                         "rectangle (xmin, xmax, ymin, ymax)")
    if enet.n_hidden_layers == 1:  # the arrangement formula and the faces as arrays beat any tiling
        log.info("one hidden layer is counted and traced whole, not in tiles")
        return None
    return {"tiles": tiles, "executor": executor, "tile_cells": tile_cells}


def _regions_nd(enet: ExactNet, window: Any, max_regions: Any, max_memory: Any, progress: bool,
                count: bool = False) -> RegionsND | RegionCounts:
    """Build (or with ``count`` only count) the cells of a net of input width ``d != 2`` (:mod:`exact.nd`)."""
    from .nd.box_window import check_box, check_box_fits  # the d-D engine, imported when first asked for
    from .nd.region_counts import count_cells_nd
    from .nd.region_set import RegionsND

    box = None if window is None else check_box(window, enet.input_dim)
    check_max_regions(max_regions)
    mem = check_max_memory(max_memory)
    check_box_fits(enet.input_dim, mem)
    if count:
        lo, hi = (None, None) if box is None else box
        return count_cells_nd(enet, lo, hi, max_regions=max_regions, max_memory=mem, progress=progress)
    if box is None:
        return RegionsND.build_whole_space(enet, max_regions=max_regions, max_memory=mem, progress=progress)
    return RegionsND.build(enet, box[0], box[1], max_regions=max_regions, max_memory=mem, progress=progress)


def _faces(lines: list[Line], w: Fraction | ConvexWindow | None, progress: bool = False) -> int:
    """Faces of a line arrangement in a square, the plane, or a rectangle.

    A rectangle ``[x0, x1] x [y0, y1]`` is the square ``[-1, 1]^2`` after the exact change
    of coordinates ``x = cx + rx u``, ``y = cy + ry v`` (centre ``c``, half-sides ``r``),
    which maps each line to a line with rational coefficients and the faces one to one.
    """
    if not isinstance(w, ConvexWindow):
        return arrangement_faces(lines, w, progress)
    x0, x1, y0, y1 = w.bounds
    cx, cy, rx, ry = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2
    moved = [line_from_fractions(a * rx, b * ry, a * cx + b * cy + c) for a, b, c in lines]
    return arrangement_faces(moved, Fraction(1), progress)


_FAR_START = 2**8
"""A whole-plane count starts in the box 2^8 times past the first layer's crossings: deeper layers'
vertices lie farther out (2^4 to 2^12 times on the benchmark nets), and a box too small costs a
whole enumeration (2-32-32-32-1: 0.047 -> 0.019 s, 2-256-256-1: 5.0 -> 2.3 s)."""


def _deep_counts(enet: ExactNet, w: Fraction | ConvexWindow | None, max_regions: int | None, mem: int | None,
                 progress: bool) -> RegionCounts:
    """:func:`count_regions` of a deep net: certified floats, else the exact engine.

    A tiny net in a window goes first to the plain-Python splitter
    (:func:`exact._certified.small_cells.small_counts`, the same bounds without numpy's
    per-call cost), which hands over to the batched engine past its size or on a close call.
    """
    if w is not None and not progress and is_small(enet, mem):
        try:
            got = small_counts(enet, w, max_regions=max_regions)
        except Undecided as why:
            log.info("count_regions: the small-net path could not decide (%s); using the batched engine", why)
        else:
            if got is not None:
                return RegionCounts(*got)
    half = None  # the float certificate's box, if it got that far
    try:
        if w is None:  # a count needs no tight box: start far out, where one enumeration usually suffices
            half, cells = batched_plane_cells(enet, max_regions=max_regions, progress=progress,
                                              max_memory=mem, start=initial_box(enet) * _FAR_START)
            return RegionCounts(len(cells), cells.linear_count())
        return RegionCounts(*batched_counts(enet, w, max_regions=max_regions, progress=progress,
                                            max_memory=mem))
    except Undecided as why:  # a test too close to call in floats: the exact engine decides
        log.info("count_regions: certified floats could not decide (%s); using the exact engine", why)
    # in the plane, start the exact search without asking the floats a second time
    start = (half if half is not None else initial_box(enet)) if w is None else None
    r = exact_regions(enet, w, max_regions=max_regions, progress=progress, plane_start=start, max_memory=mem,
                      precount=False)
    return RegionCounts(r.n_activation, r.n_linear)


def exact_regions(enet: ExactNet, w: Fraction | ConvexWindow | None, *, max_regions: int | None,
                  progress: bool, plane_start: Fraction | None = None, max_memory: int | None = None,
                  precount: bool = True) -> Regions:
    """:func:`regions` on an already checked net and window (garbage collector paused).

    Parameters
    ----------
    enet : ExactNet
        A network with 2-D input.
    w : Fraction, ConvexWindow or None
        Checked window: a half-width, a convex polygon, or ``None`` for the whole plane.
    max_regions : int or None
        As in :func:`regions`.
    progress : bool
        As in :func:`regions`.
    plane_start : Fraction, optional
        For a deep net in the whole plane, the box to start the exact search from; by
        default the box where the float certificate ended (or the initial box, if the
        floats cannot decide).
    max_memory : int, optional
        The memory budget in bytes (checked), ``None`` for no limit.
    precount : bool
        For a deep net in a window, build the cells with certified floats first
        (:func:`exact.certified_regions.certified_window_regions`: exact polygons and maps
        made when asked for) and, if a test is too close to call, count them before the
        exact engine runs when a simple bound cannot rule out a job over ``max_regions``
        or ``max_memory`` (``False`` when the caller knows the floats cannot decide).

    Returns
    -------
    Regions
    """
    with gc_paused():
        if enet.n_hidden_layers == 1:
            if isinstance(w, ConvexWindow):
                return _shallow_polygon_regions(enet, w, max_regions, progress, max_memory)
            return _shallow_regions(enet, w, max_regions, progress, max_memory)
        per_cell = cell_bytes(sum(enet.widths[1:-1]), enet.widths[-1])
        if w is not None:
            if precount:  # certified cells with lazy exact objects; the exact engine if a test is too close
                try:
                    out = certified_window_regions(enet, w, max_regions=max_regions, max_memory=max_memory,
                                                   progress=progress)
                except Undecided as why:
                    log.info("regions: certified floats could not decide (%s); using the exact engine", why)
                except ResourceLimitError:  # building them is over the budget: count them, as before
                    pass
                else:
                    _check_regions(len(out.cells), per_cell, max_regions, max_memory)  # as the exact engine
                    return out
                _refuse_early(enet, w, max_regions, max_memory, per_cell)
            poly = isinstance(w, ConvexWindow)
            verts, edges = (w.verts, w.edges) if poly else square(w.numerator, w.denominator)
            raw = enumerate_cells(enet, verts, edges, max_regions=max_regions, progress=progress,
                                  max_memory=max_memory)
            return Regions.from_raw(enet, w, w.half if poly else w, raw)
        if plane_start is not None:
            start = plane_start
        else:
            try:  # certified cells of the float certificate's box, exact objects on demand
                out = certified_plane_regions(enet, max_regions=max_regions, max_memory=max_memory,
                                              progress=progress)
            except Undecided as why:
                log.info("regions: certified floats could not decide (%s); using the exact engine", why)
            else:
                _check_regions(len(out.cells), per_cell, max_regions, max_memory)
                return out
            start, n = _float_plane_box(enet, max_regions, progress, max_memory)
            _check_regions(n, per_cell, max_regions, max_memory)
        box, raw = whole_plane_cells(enet, max_regions=max_regions, progress=progress, start=start,
                                     max_memory=max_memory)
        return Regions.from_raw(enet, w, box, raw)


def _check_regions(n: int | None, per_cell: int, max_regions: int | None, max_memory: int | None) -> None:
    """Refuse ``n`` cells of ``per_cell`` bytes over a limit (``n = None``: unknown, nothing to check)."""
    if n is None:
        return
    if max_regions is not None and n > max_regions:
        raise TooManyRegionsError(f"{n} cells exceed max_regions={max_regions}; raise max_regions (None for "
                                  "no limit) or shrink the window (or give one, not the whole plane)")
    if max_memory is not None and n * per_cell > max_memory:
        raise ResourceLimitError(
            f"regions() would need about {format_bytes(n * per_cell)} for its {n:,} cells (about "
            f"{format_bytes(per_cell)} each), more than max_memory={format_bytes(max_memory)}; raise "
            "max_memory (None for no limit) or shrink the window "
            "(or give one, not the whole plane), or count them with count_regions(), "
            "which builds no polygons"
        )


def _refuse_early(enet: ExactNet, w: Fraction | ConvexWindow, max_regions: int | None, max_memory: int | None,
                  per_cell: int) -> None:
    """Refuse a deep job in a window before enumerating, if its cells are over a limit.

    In 2-D each cell of a layer is cut by at most ``n`` lines of the next (``n`` = width x
    breakpoints) into at most ``1 + n + n(n-1)/2`` pieces; when that bound is under both
    limits nothing more is needed, else the certified floats count the cells exactly (if
    they cannot decide, the enumeration's own running guard stops it).
    """
    bound = 1
    for k, act in zip(enet.widths[1:-1], enet.activations):
        n = k * len(act.breakpoints)
        bound *= 1 + n + n * (n - 1) // 2
    if (max_regions is None or bound <= max_regions) and (max_memory is None
                                                           or bound * per_cell <= max_memory):
        return
    try:
        n_cells, _ = batched_counts(enet, w, max_regions=max_regions, max_memory=max_memory)
    except Undecided:
        return
    except TooManyRegionsError:
        raise
    except ResourceLimitError as exc:  # the count alone is over the budget: the polygons would be too
        raise ResourceLimitError(f"regions() would need more than max_memory={format_bytes(max_memory)}: "
                                 f"even counting its cells does ({exc})") from None
    _check_regions(n_cells, per_cell, max_regions, max_memory)


def _shallow_regions(enet: ExactNet, w: Fraction | None, max_regions: int | None, progress: bool,
                     max_memory: int | None = None) -> Regions:
    """One hidden layer: the faces of the line arrangement, refused over ``max_regions``, ``max_memory``."""
    lines = first_layer_lines(enet)
    box = w if w is not None else initial_box(enet)
    if max_regions is not None or max_memory is not None:
        _check_regions(arrangement_faces(lines, box), _SHALLOW_CELL_BYTES, max_regions, max_memory)
    return Regions.from_arrangement(enet, w, box, line_faces(lines, box, progress=progress))


def _shallow_polygon_regions(enet: ExactNet, w: ConvexWindow, max_regions: int | None, progress: bool,
                             max_memory: int | None) -> Regions:
    """One hidden layer in a convex polygon: the faces inside it of the arrangement with its sides.

    The polygon's side lines join the neuron lines in the square ``[-h, h]^2`` around the
    polygon; no side line enters the polygon, so each face is inside it or outside, and
    the faces inside are the cells.  Memory is that of all the faces in the square
    (refused over ``max_memory`` before they are built); ``max_regions`` is checked on
    the cells inside (for a rectangle counted first by :func:`_faces`; for another
    polygon once the faces are traced).
    """
    neuron = first_layer_lines(enet)
    lines = neuron + [unoriented_key(e) for e in w.edges]
    n_square = arrangement_faces(lines, w.half)
    _check_regions(n_square, _SHALLOW_CELL_BYTES, None, max_memory)
    if max_regions is not None and n_square > max_regions and w.is_rectangle:
        _check_regions(_faces(neuron, w), _SHALLOW_CELL_BYTES, max_regions, None)
    arr = line_faces(lines, w.half, progress=progress)
    # a convex face is in the polygon when its vertices are (else one of them is strictly outside)
    inside = [point_in_polygon(w.verts, w.edges, v) >= 0 for v in arr.all_vertices()]
    faces = arr.subset(arr.faces_with_vertices(inside))
    known = set(neuron)
    n = sum(1 for l in arr.lines[: arr.n_neuron_lines] if l in known)  # the neuron lines come first
    _check_regions(len(faces), _SHALLOW_CELL_BYTES, max_regions, None)
    return Regions.from_arrangement(enet, w, w.half, faces, n)


_SHALLOW_CELL_BYTES = 1500
"""Memory of one cell of a one-hidden-layer :class:`Regions` (measured: 1.3-1.4 kB at peak)."""


def _float_plane_box(enet: ExactNet, max_regions: int | None, progress: bool, max_memory: int | None = None
                     ) -> tuple[Fraction, int | None]:
    """Where the float whole-plane certificate ends and its number of cells (initial box, None: undecided)."""
    try:
        half, cells = batched_plane_cells(enet, max_regions=max_regions, progress=progress,
                                          max_memory=max_memory)
    except Undecided:
        return initial_box(enet), None
    return half, len(cells)

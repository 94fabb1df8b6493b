"""The whole-plane certificate from a thin frame along the box's sides, without the box's cells.

:func:`~exact._certified.plane.rays_leave_freely` judges every ray that leaves a box
against the constraints of the cells on either side of it, and those rays and cells all
touch the box's sides.  So the cells of four thin rectangles along the sides are enough
to judge them (:func:`frame_certificate`), and a box for the whole plane can be
certified before its inside is computed (:func:`certified_plane_box`): a tiled
whole-plane count (:func:`exact.count_regions` with ``window=None, tiles=...``) finds its
box here, then computes the box in tiles.

The four rectangles overlap at the box's corners: the top and bottom ones run the full
width, the left and right ones the full height.  A rectangle's own corners on the box's
sides (where its inner side starts) therefore lie inside another rectangle's outer side,
where the rays leaving there are seen as they are in the whole box; a ray seen twice is
judged twice, which changes nothing.  The one fact the whole box gave that the frame does
not is how many line edges each cell has in the box (a cell with one line, and an exactly
parallel constraint behind the box, is a strip): a cell has one line exactly when all its
rays leave along one line (a convex piece bounded by one chord), which the frame shows.

Examples
--------
>>> from exact.network import ExactNet
>>> net = ExactNet.from_layers([([[1, 0], [0, 1]], [0, 0]), ([[1, 1]], [-1]), ([[1]], [0])])
>>> frame_certificate(net, Fraction(16))        # x = 0, y = 0 and x + y = 1: every vertex inside
(True, Fraction(0, 1))
>>> certified_plane_box(net)     # initial_box 1 has (1, 0) and (0, 1) on its sides: not strictly inside
Fraction(2, 1)
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
from collections.abc import Callable
from fractions import Fraction
from typing import Any, NamedTuple

import numpy as np

from ..errors import ResourceLimitError, Undecided
from ..held_interrupts import held_submit
from ..line_count import initial_box, round_up_pow2
from ..network import ExactNet
from ..pool_ending import completed_watched
from ..windows import ConvexWindow, rectangle_window
from .plane import RayVerdict, box_exits, judge_rays, lone_cell, verdict
from .subdivision import batched_cells
from .threads import one_blas_thread

__all__ = ["FRAME_DEPTH", "FrameSide", "certified_plane_box", "frame_certificate", "frame_rectangles",
           "side_lines", "side_verdict", "tiles_box"]

log = logging.getLogger("exact.counting")

FRAME_DEPTH = 64
"""The frame's rectangles are ``half / FRAME_DEPTH`` thick: thin enough to hold few cells besides
those crossing the box's sides (every vertex of a certified box lies well inside it)."""


def frame_rectangles(half: Fraction) -> list[ConvexWindow]:
    """Return the four rectangles of the frame along the sides of ``[-half, half]^2``.

    Parameters
    ----------
    half : Fraction
        The box's half-width.

    Returns
    -------
    list of ConvexWindow
        Top and bottom (the full width), left and right (the full height), each
        ``half / FRAME_DEPTH`` thick.

    Examples
    --------
    >>> [str(r) for r in frame_rectangles(Fraction(64))][:2]
    ['[-64, 64] x [63, 64]', '[-64, 64] x [-64, -63]']
    """
    h, t = half, half / FRAME_DEPTH
    return [rectangle_window(-h, h, h - t, h), rectangle_window(-h, h, -h, -h + t),
            rectangle_window(-h, -h + t, -h, h), rectangle_window(h - t, h, -h, h)]


class FrameSide(NamedTuple):
    """What one rectangle of the frame shows of the cells along its side (:func:`side_lines`).

    Attributes
    ----------
    lines : dict of bytes to frozenset of int
        For each cell with a line leaving the box here (its pattern's bytes), the labels of
        those lines.
    patterns : frozenset of bytes
        Every cell of the rectangle (its pattern's bytes).
    """

    lines: dict[bytes, frozenset[int]]
    patterns: frozenset[bytes]


def _side_exits(net: ExactNet, rect: ConvexWindow, max_regions: int | None, max_memory: int | None) -> tuple:
    """Find the cells of one frame rectangle and the rays leaving the box through its outer sides.

    Returns ``(cells, ex, ray, n_out, cell)``: the cells, and for each ray its vertex, line
    label, outward normal and cell.
    """
    half = max(abs(v) for v in rect.bounds)
    try:
        hf = float(half)
    except OverflowError:
        raise Undecided("the box is beyond the float range") from None
    cells = batched_cells(net, rect, max_regions=max_regions, max_memory=max_memory)
    ex, ray, n_out, side = box_exits(cells)
    outer = (np.abs(side[:, 2]) == hf) & (((side[:, 0] == 0) & (np.abs(side[:, 1]) == 1))
                                         | ((side[:, 1] == 0) & (np.abs(side[:, 0]) == 1)))
    ex, ray, n_out = ex[outer], ray[outer], n_out[outer]
    return cells, ex, ray, n_out, np.repeat(np.arange(len(cells)), cells.nv)[ex]


@one_blas_thread
def side_lines(net: ExactNet, rect: ConvexWindow, max_regions: int | None = None,
               max_memory: int | None = None) -> FrameSide:
    """Find the lines leaving the box from each cell of one frame rectangle (the first pass).

    Parameters
    ----------
    net : ExactNet
        A network with 2-D input and at least one hidden layer.
    rect : ConvexWindow
        One of :func:`frame_rectangles`.
    max_regions, max_memory : int or None
        As in :func:`frame_certificate`.

    Returns
    -------
    FrameSide
    """
    cells, _, ray, _, cell = _side_exits(net, rect, max_regions, max_memory)
    lines: dict[bytes, set[int]] = {}
    for c, r in zip(cell.tolist(), ray.tolist()):
        lines.setdefault(cells.patterns[c].tobytes(), set()).add(r)
    return FrameSide({k: frozenset(v) for k, v in lines.items()},
                     frozenset(p.tobytes() for p in cells.patterns))


@one_blas_thread
def side_verdict(net: ExactNet, rect: ConvexWindow, one_line: frozenset[bytes],
                 max_regions: int | None = None, max_memory: int | None = None) -> RayVerdict | None:
    """Judge the rays leaving the box through one frame rectangle (the second pass).

    Parameters
    ----------
    net, rect, max_regions, max_memory
        As in :func:`side_lines`.
    one_line : frozenset of bytes
        The cells (their patterns' bytes) all of whose rays, over the whole frame, leave
        along one line: each has that one line in the box.

    Returns
    -------
    RayVerdict or None
        ``None`` when no ray leaves through this rectangle.
    """
    cells, ex, ray, n_out, cell = _side_exits(net, rect, max_regions, max_memory)
    if len(ex) == 0:
        return None
    n_lines = np.full(len(cells), 2, dtype=np.int64)  # one, or more: all that matters
    for c in np.unique(cell).tolist():
        if cells.patterns[c].tobytes() in one_line:
            n_lines[c] = 1
    return judge_rays(net, cells, ex, ray, n_out, n_lines)


def frame_certificate(net: ExactNet, half: Fraction, *, max_regions: int | None = None,
                      max_memory: int | None = None, executor: cf.Executor | None = None
                      ) -> tuple[bool, Fraction]:
    """Check the whole-plane certificate of the box ``[-half, half]^2`` on a frame along its sides.

    The same judgement as :func:`~exact._certified.plane.rays_leave_freely` on the cells
    of the whole box, from the cells of :func:`frame_rectangles` only, in two passes over
    the four rectangles: :func:`side_lines`, then :func:`side_verdict` (which needs every
    cell's lines over the whole frame).

    Parameters
    ----------
    net : ExactNet
        A network with 2-D input and at least one hidden layer.
    half : Fraction
        The box's half-width; it must hold :func:`~exact.line_count.initial_box` (a box
        without any line leaving it is certified only then).
    max_regions, max_memory : int or None
        Guards of the frame's cells, as in
        :func:`~exact._certified.subdivision.batched_cells` (the frame holds fewer cells
        than the box).
    executor : concurrent.futures.Executor, optional
        Run the four rectangles of each pass there (the net travels with each); ``None``:
        here.

    Returns
    -------
    ok : bool
        Whether the certificate holds: then the box's cells are the whole plane's.
    extent : Fraction
        When not ``ok``, a box wider than this is worth trying.

    Raises
    ------
    Undecided
        When a test is too close to call in floats (as
        :func:`~exact._certified.plane.rays_leave_freely`), or the box is beyond the float
        range.
    TooManyRegionsError, ResourceLimitError
        When the frame's cells are over ``max_regions`` or ``max_memory``.
    """
    rects = frame_rectangles(half)
    n = len(rects)
    sides = _on_each(executor, side_lines, [net] * n, rects, [max_regions] * n, [max_memory] * n)
    lines: dict[bytes, set[int]] = {}
    for side in sides:
        for key, labels in side.lines.items():
            lines.setdefault(key, set()).update(labels)
    if not lines:
        patterns = frozenset().union(*(side.patterns for side in sides))
        if len(patterns) == 1:  # one cell holds the box's sides, so the box: is it the plane?
            return lone_cell(net, np.frombuffer(next(iter(patterns)), dtype=np.int8)[None])
        raise Undecided("cells without lines leaving the box")
    one_line = frozenset(key for key, labels in lines.items() if len(labels) == 1)
    judged = _on_each(executor, side_verdict, [net] * n, rects, [one_line] * n, [max_regions] * n,
                      [max_memory] * n)
    return verdict([v for v in judged if v is not None])


def _on_each(executor: cf.Executor | None, side: Callable, *columns: list) -> list:
    """Run ``side`` on each rectangle's arguments, here or on the executor; results in order.

    On an executor the jobs are submitted with interrupts held and waited for as the tiles
    are (:func:`exact.pool_ending.completed_watched`: a worker killed while sending its
    result ends the pool with ``BrokenProcessPool`` instead of a wait for ever).  An
    :class:`~exact.errors.Undecided` comes back as a value (:func:`_undecided_as_value`), so
    a cluster does not log an expected hand-over as a failed task; it is raised here.
    """
    jobs = list(zip(*columns))
    if executor is None:
        return [side(*job) for job in jobs]  # (an Undecided stops the pass at once)
    futures: list[cf.Future] = []
    try:  # (an interrupt while submitting cancels the jobs already submitted too)
        for job in jobs:
            futures.append(held_submit(executor, _undecided_as_value, side, *job))
        for f in completed_watched(futures, executor):
            f.result()  # the first job to fail stops the pass
        out = [f.result() for f in futures]
    finally:  # stopped by an error or an interrupt: cancel what has not started
        for f in futures:
            f.cancel()
    for o in out:
        if isinstance(o, Undecided):
            raise o
    return out


def _undecided_as_value(side: Callable, *args: Any) -> Any:
    """Return ``side(*args)``, or the :class:`~exact.errors.Undecided` it raised."""
    try:
        return side(*args)
    except Undecided as why:
        return why


def certified_plane_box(net: ExactNet, *, start: Fraction | None = None, max_regions: int | None = None,
                        max_memory: int | None = None, executor: cf.Executor | None = None) -> Fraction:
    """Find a box whose cells are the whole plane's, from frames only (:func:`frame_certificate`).

    Parameters
    ----------
    net : ExactNet
        A network with 2-D input and at least one hidden layer.
    start : Fraction, optional
        The first box tried, at least :func:`~exact.line_count.initial_box` (its default).
        The box grows as :func:`~exact._certified.plane.batched_plane_cells`' does.
    max_regions, max_memory, executor
        As in :func:`frame_certificate`.

    Returns
    -------
    Fraction
        The half-width of the certified box ``[-half, half]^2``.

    Raises
    ------
    Undecided
        When a test is too close to call in floats, or the box did not settle after 60
        doublings.
    TooManyRegionsError, ResourceLimitError
        As :func:`frame_certificate`.
    """
    half = initial_box(net) if start is None else max(start, initial_box(net))
    for _ in range(60):
        try:
            ok, ext = frame_certificate(net, half, max_regions=max_regions, max_memory=max_memory,
                                        executor=executor)
        except ResourceLimitError as exc:  # (TooManyRegionsError too) say whose cells: not the plane's
            raise type(exc)(f"the frame along the sides of the whole-plane box [-{half}, {half}]^2 alone "
                            f"(its cells decide if the box meets every cell of the plane): {exc}") from None
        if ok:
            return half
        half = round_up_pow2(2 * max(half, ext))
    raise Undecided("the certified box did not settle after 60 doublings")


def tiles_box(net: ExactNet, start: Fraction | None, *, max_regions: int | None, max_memory: int | None,
              executor: cf.Executor | None = None) -> Fraction | None:
    """Find the box for a tiled whole-plane job, or ``None`` where floats cannot decide (logged).

    Parameters
    ----------
    net : ExactNet
        A network with 2-D input and at least one hidden layer.
    start : Fraction or None
        The first box tried (``None``: :func:`~exact.line_count.initial_box`).
    max_regions, max_memory, executor
        As in :func:`frame_certificate` (checked).

    Returns
    -------
    Fraction or None
        :func:`certified_plane_box`'s half-width; ``None`` when a float test is too close
        to call, logged at INFO level on ``exact.counting``: the caller then runs untiled.

    Examples
    --------
    >>> from exact.network import ExactNet
    >>> net = ExactNet.from_layers([([[1, 0], [0, 1]], [0, 0]), ([[1, 1]], [-1]), ([[1]], [0])])
    >>> tiles_box(net, None, max_regions=None, max_memory=None)
    Fraction(2, 1)
    """
    try:
        return certified_plane_box(net, start=start, max_regions=max_regions, max_memory=max_memory,
                                   executor=executor)
    except Undecided as why:
        log.info("tiles: floats could not certify a whole-plane box from its frame (%s); computed untiled",
                 why)
        return None

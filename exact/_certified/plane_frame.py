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

from fractions import Fraction

import numpy as np

from ..errors import Undecided
from ..line_count import initial_box, round_up_pow2
from ..network import ExactNet
from ..windows import ConvexWindow, rectangle_window
from .cell_table import BatchedCells
from .plane import RayVerdict, box_exits, judge_rays, verdict
from .subdivision import batched_cells

__all__ = ["FRAME_DEPTH", "certified_plane_box", "frame_certificate", "frame_rectangles"]

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


def frame_certificate(net: ExactNet, half: Fraction, *, max_regions: int | None = None,
                      max_memory: int | None = None) -> tuple[bool, Fraction]:
    """Check the whole-plane certificate of the box ``[-half, half]^2`` on a frame along its sides.

    The same judgement as :func:`~exact._certified.plane.rays_leave_freely` on the cells
    of the whole box, from the cells of :func:`frame_rectangles` only.

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
        :func:`~exact._certified.plane.rays_leave_freely`).
    TooManyRegionsError, ResourceLimitError
        When the frame's cells are over ``max_regions`` or ``max_memory``.
    """
    try:
        hf = float(half)
    except OverflowError:
        raise Undecided("the box is beyond the float range") from None
    found: list[tuple[BatchedCells, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    lines_of: dict[bytes, set[int]] = {}  # each cell's lines leaving the box, over the whole frame
    patterns: set[bytes] = set()
    for rect in frame_rectangles(half):
        cells = batched_cells(net, rect, max_regions=max_regions, max_memory=max_memory)
        ex, ray, n_out, side = box_exits(cells)
        outer = (np.abs(side[:, 2]) == hf) & (((side[:, 0] == 0) & (np.abs(side[:, 1]) == 1))
                                             | ((side[:, 1] == 0) & (np.abs(side[:, 0]) == 1)))
        ex, ray, n_out = ex[outer], ray[outer], n_out[outer]
        cell = np.repeat(np.arange(len(cells)), cells.nv)[ex]
        for c, r in zip(cell.tolist(), ray.tolist()):
            lines_of.setdefault(cells.patterns[c].tobytes(), set()).add(r)
        patterns.update(p.tobytes() for p in cells.patterns)
        found.append((cells, ex, ray, n_out, cell))
    if not lines_of:
        if len(patterns) == 1:  # one cell holds the box's sides, so the box: nothing crosses it
            return True, Fraction(0)
        raise Undecided("cells without lines leaving the box")
    judged: list[RayVerdict] = []
    for cells, ex, ray, n_out, cell in found:
        if len(ex) == 0:
            continue
        n_lines = np.full(len(cells), 2, dtype=np.int64)  # one, or more: all that matters
        for c in np.unique(cell).tolist():
            if len(lines_of[cells.patterns[c].tobytes()]) == 1:
                n_lines[c] = 1
        judged.append(judge_rays(net, cells, ex, ray, n_out, n_lines))
    return verdict(judged)


def certified_plane_box(net: ExactNet, *, start: Fraction | None = None, max_regions: int | None = None,
                        max_memory: int | None = None) -> Fraction:
    """Find a box whose cells are the whole plane's, from frames only (:func:`frame_certificate`).

    Parameters
    ----------
    net : ExactNet
        A network with 2-D input and at least one hidden layer.
    start : Fraction, optional
        The first box tried, at least :func:`~exact.line_count.initial_box` (its default).
        The box grows as :func:`~exact._certified.plane.batched_plane_cells`' does.
    max_regions, max_memory : int or None
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
        ok, ext = frame_certificate(net, half, max_regions=max_regions, max_memory=max_memory)
        if ok:
            return half
        half = round_up_pow2(2 * max(half, ext))
    raise Undecided("the certified box did not settle after 60 doublings")

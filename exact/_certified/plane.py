"""The whole-plane certificate in certified floats.

The float form of :mod:`exact.whole_plane`'s certificate for the cells that
:func:`~exact._certified.subdivision.batched_cells` finds in a box: the box grows until
every ray leaving it provably meets no further breakpoint line.
"""

from __future__ import annotations

from fractions import Fraction
from typing import NamedTuple

import numpy as np

from .._fp import U
from ..errors import Undecided
from ..line_count import initial_box, round_up_pow2
from ..network import ExactNet
from . import blocks
from .blocks import even_chunks
from .bounds import quiet_floats
from .cell_table import BatchedCells
from .float_net import constraint_rows, net_parts
from .subdivision import batched_cells
from .threads import one_blas_thread

__all__ = ["RayVerdict", "batched_plane_cells", "box_exits", "judge_rays", "lone_cell", "rays_leave_freely",
           "verdict"]


@quiet_floats
def rays_leave_freely(net: ExactNet, cells: BatchedCells) -> tuple[bool, Fraction]:
    """Check the whole-plane certificate in floats for cells found in a box.

    The float form of :mod:`exact.whole_plane`'s certificate for cells found by
    :func:`exact._certified.subdivision.batched_cells`.  For every cell on the box boundary,
    each breakpoint line that leaves the box continues as a ray; the certificate holds when
    no constraint of the cell's pattern decreases along any such ray (then the cell's
    boundary outside the box is just these rays, and its polyhedron has every vertex
    inside).  Directional derivatives come with rigorous error bounds; a constraint that
    may be parallel to a ray (derivative within its bound) cannot be settled in floats and
    raises :class:`~exact.errors.Undecided` (a strip between parallel lines is such a
    case).  Lines of neurons whose gradient is zero through every path are skipped: they
    are constants, not lines.

    Parameters
    ----------
    net : ExactNet
        The network the cells belong to.
    cells : BatchedCells
        Its ``C`` cells in a box ``[-half, half]^2``.

    Returns
    -------
    ok : bool
        Whether the certificate holds.
    extent : Fraction
        When not ``ok``: a coordinate bound of a point where some ray is cut (a box wider
        than this is worth trying).

    Raises
    ------
    Undecided
        When some cell has no line leaving the box, a constraint is beyond the float range,
        a line leaves the box too close to parallel to its side, or a constraint may be
        parallel to a ray.

    References
    ----------
    .. [1] N. J. Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed.,
       SIAM, 2002, §2.2 and §3.1 (the error bounds).
    """
    C = len(cells)
    ex, ray, n_out, _ = box_exits(cells)
    if len(ex) == 0:
        if C == 1:  # no line crosses the box: certified if no neuron of the one cell has a line at all
            return lone_cell(net, cells.patterns)
        raise Undecided("cells without lines leaving the box")
    n_lines = np.add.reduceat((cells.label >= 0).astype(np.int64), cells.start)
    return verdict([judge_rays(net, cells, ex, ray, n_out, n_lines)])


def lone_cell(net: ExactNet, patterns: np.ndarray) -> tuple[bool, Fraction]:
    """Check whether the one cell of a box that no line crosses is the whole plane.

    It is when every constraint of its pattern is constant (no path of nonzero weights and
    slopes to the input): then no neuron changes piece anywhere.  Otherwise some line lies
    outside the box (a first layer without breakpoints, ``identity`` or a custom
    activation, hides deeper lines from :func:`~exact.line_count.initial_box`): the box
    must grow past the farthest such line's foot point.

    Parameters
    ----------
    net : ExactNet
        The network.
    patterns : ndarray, shape (1, n_hidden)
        The one cell's pattern.

    Returns
    -------
    ok : bool
        Whether the cell is the whole plane.
    extent : Fraction
        When not ``ok``, twice the farthest foot point of the cell's lines.

    Raises
    ------
    Undecided
        When a line's foot point is beyond the float range (or its float gradient is zero):
        the exact engine decides.

    Examples
    --------
    >>> net = ExactNet.from_layers([([[1, 0]], [0]), ([[1]], [-1000]), ([[1]], [0])],
    ...                            activation=["identity", "relu"])     # the line x = 1000
    >>> lone_cell(net, np.array([[0, 0]], dtype=np.int8))
    (False, Fraction(2000, 1))
    """
    rows, _, support, _ = constraint_rows(net, patterns)
    lines = rows[0][support[0].any(axis=1)]
    if len(lines) == 0:
        return True, Fraction(0)
    with np.errstate(all="ignore"):
        foot = np.abs(lines[:, 2]) / np.hypot(lines[:, 0], lines[:, 1])
    if not np.isfinite(foot).all():
        raise Undecided("a line of the one cell in the box lies beyond the float range")
    return False, 2 * Fraction(float(foot.max()))  # doubled exactly: 2 * foot may overflow a float


class RayVerdict(NamedTuple):
    """What :func:`judge_rays` found on some rays leaving a box.

    Attributes
    ----------
    strip : Fraction or None
        A box half-width that reaches the far side of a strip (the least of them).
    cut : Fraction or None
        A coordinate bound of the farthest point where a ray is cut.
    undecided : Undecided or None
        Why some rays could not be judged in floats.
    """

    strip: Fraction | None
    cut: Fraction | None
    undecided: Undecided | None


def verdict(found: list[RayVerdict]) -> tuple[bool, Fraction]:
    """Combine :func:`judge_rays`' findings into the certificate's ``(ok, extent)``.

    A strip decides first (its box is worth trying whatever else failed); then an
    undecided ray raises; then the farthest cut says how far to grow.

    Raises
    ------
    Undecided
        When some ray could not be judged and no strip was found.

    Examples
    --------
    >>> verdict([RayVerdict(None, Fraction(5), None), RayVerdict(None, Fraction(9), None)])
    (False, Fraction(9, 1))
    >>> verdict([RayVerdict(None, None, None)])
    (True, Fraction(0, 1))
    """
    strips = [v.strip for v in found if v.strip is not None]
    if strips:
        return False, min(strips)
    for v in found:
        if v.undecided is not None:
            raise v.undecided
    cuts = [v.cut for v in found if v.cut is not None]
    return (False, max(cuts)) if cuts else (True, Fraction(0))


@quiet_floats
def judge_rays(net: ExactNet, cells: BatchedCells, ex: np.ndarray, ray: np.ndarray, n_out: np.ndarray,
               n_lines: np.ndarray) -> RayVerdict:
    """Check the rays leaving a box at the vertices ``ex`` against every constraint of their cells.

    Parameters
    ----------
    net : ExactNet
        The network the cells belong to.
    cells : BatchedCells
        Cells of the net in a window.
    ex, ray, n_out : ndarray
        Vertices where a line leaves the box (in increasing order), that line's label, and
        the outward normal of the box side there (:func:`box_exits`, or a selection of it).
    n_lines : ndarray of int, shape (C,)
        For every cell, the number of line edges its piece of the box has (only ``1`` or
        more matters: a cell with one line and an exactly parallel opposite constraint is
        a strip).

    Returns
    -------
    RayVerdict
    """
    cell = np.repeat(np.arange(len(cells)), cells.nv)[ex]  # sorted, as ex is
    bcells, bi = np.unique(cell, return_inverse=True)
    # (ray, line) and (cell, line, first-layer neuron) arrays, a chunk of boundary cells at a time
    N, k1 = len(cells.label_neuron), net.widths[1]
    strips, cuts, failed = [], [], None
    parts = net_parts(net)
    for b0, b1 in even_chunks(len(bcells), N * (k1 + 4), 8 * blocks.BLOCK):
        r0, r1 = np.searchsorted(bi, [b0, b1])
        strip, cut = _chunk_of_rays(cells, parts, bcells[b0:b1], bi[r0:r1] - b0, ex[r0:r1], ray[r0:r1],
                                    n_out[r0:r1], cell[r0:r1], n_lines)
        if strip is not None:
            strips.append(strip)
        elif isinstance(cut, Undecided):
            failed = failed or cut
        elif cut is not None:
            cuts.append(cut)
    return RayVerdict(min(strips) if strips else None, max(cuts) if cuts else None, failed)


def _chunk_of_rays(cells: BatchedCells, parts: tuple, bcells: np.ndarray, bi: np.ndarray, ex: np.ndarray,
                   ray: np.ndarray, n_out: np.ndarray, cell: np.ndarray, n_lines: np.ndarray):
    """:func:`rays_leave_freely` on the rays ``ex`` of the boundary cells ``bcells``.

    Returns ``(strip, cut)``: a box half-width that reaches the far side of a strip (or
    ``None``), else where an obstructed ray is cut (``None`` if no ray is, or the
    :class:`Undecided` that computing it raised).
    """
    rows, err, support, rep = constraint_rows(cells.net, cells.patterns[bcells], parts)
    if not (np.isfinite(rows).all() and np.isfinite(err).all()):
        raise Undecided("constraint lines beyond the float range")
    const = ~support.any(axis=2)
    R = rows[bi, ray]
    d, de = _ray_directions(R, err[ray], n_out)
    A = rows[bi]  # (X, N, 3)
    deriv, derr = _derivatives(A, err, d, de)
    skip = const[bi] | (np.arange(A.shape[1])[None, :] == ray[:, None])
    unsure = ~(np.abs(deriv) > derr) & ~skip  # NaN (an overflow) is unsure, never "does not cut"
    if unsure.any():
        xi, ki = np.nonzero(unsure)
        if not np.all(rep[bi[xi], ki] == rep[bi[xi], ray[xi]]):
            raise Undecided("a constraint may be parallel to a ray leaving the box")
        skip[xi, ki] = True  # exactly parallel: constant along the ray, never cuts it
        strip = _strip_extent(n_lines[cell[xi]], A[xi, ki], R[xi])
        if strip is not None:
            return strip, None
    bad = (deriv < -derr) & ~skip
    if not bad.any():
        return None, None
    try:
        return None, _cut_extent(cells, ex, d, A, deriv, bad)
    except Undecided as why:  # raised only if no other chunk finds a strip
        return None, why


def box_exits(cells: BatchedCells) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Find where breakpoint lines meet the window's sides.

    Parameters
    ----------
    cells : BatchedCells
        Cells in a window that holds the origin (the sides' outward normals are read
        from the sign of their lines' constant terms).

    Returns
    -------
    ex : ndarray of int
        The vertices where a line's edge and a window edge meet, in increasing order.
    ray : ndarray of int
        The label of that line.
    n_out : ndarray, shape (K, 2)
        The outward normal ``(a, b)`` of that window side.
    side : ndarray, shape (K, 3)
        The float line ``(a, b, c)`` of that window side.
    """
    lab, start, nv = cells.label, cells.start, cells.nv
    V = len(lab)
    prev = np.arange(V) - 1
    prev[start] = start + nv - 1
    leaving = (lab[prev] >= 0) & (lab == -1)  # a line's edge ends at this vertex, a box edge follows
    entering = (lab[prev] == -1) & (lab >= 0)  # a box edge ends here, a line's edge follows
    ex = np.flatnonzero(leaving | entering)
    ray = np.where(leaving[ex], lab[prev[ex]], lab[ex])
    # ray direction: along the line, pointing out through the box side at the vertex
    box = cells.lines[np.where(leaving[ex], ex, prev[ex])]
    n_out = -np.sign(box[:, 2])[:, None] * box[:, :2]
    return ex, ray, n_out, box


def _ray_directions(R: np.ndarray, Re: np.ndarray, n_out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Direct each ray along its line ``R`` (bound ``Re``), out through the box side ``n_out``.

    Returns the directions and their entrywise error bounds.  Raises Undecided when the
    sign of a direction's component along ``n_out`` is within its bound.
    """
    d = np.stack([-R[:, 1], R[:, 0]], axis=1)
    de = np.stack([Re[:, 1], Re[:, 0]], axis=1)
    dn = (d * n_out).sum(axis=1)
    dn_err = ((de * np.abs(n_out)).sum(axis=1) * (1 + 8 * U)
              + 4 * U * (np.abs(d) * np.abs(n_out)).sum(axis=1))
    if not np.all(np.abs(dn) > dn_err):
        raise Undecided("a line leaves the box too close to parallel to the box side")
    d *= np.sign(dn)[:, None]
    return d, de


def _derivatives(A: np.ndarray, err: np.ndarray, d: np.ndarray, de: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Differentiate every constraint ``A`` (bound ``err``) along each ray direction ``d``.

    Returns the derivatives, shape ``(X, N)``, and rigorous bounds on their errors.
    """
    ax, ay = np.abs(d[:, None, 0]), np.abs(d[:, None, 1])
    deriv = A[:, :, 0] * d[:, None, 0] + A[:, :, 1] * d[:, None, 1]
    derr = (err[None, :, 0] * (ax + de[:, None, 0]) + np.abs(A[:, :, 0]) * de[:, None, 0]
            + err[None, :, 1] * (ay + de[:, None, 1]) + np.abs(A[:, :, 1]) * de[:, None, 1]
            + 3 * U * (np.abs(A[:, :, 0]) * ax + np.abs(A[:, :, 1]) * ay)) * (1 + 8 * U) + 1e-300
    return deriv, derr


def _strip_extent(n_lines: np.ndarray, parallel: np.ndarray, ray_line: np.ndarray) -> Fraction | None:
    """Return a box half-width that reaches the far side of a strip, or ``None`` if none is.

    A cell whose only line in the box (``n_lines``: its cell's line edges, one per ray) has an
    opposite, exactly parallel constraint ``parallel`` (one per ray along ``ray_line``) is a
    strip: that constraint's line is a facet outside the box, or behind it.
    """
    strip = (n_lines == 1) & ((parallel[:, :2] * ray_line[:, :2]).sum(axis=1) < 0)
    if not strip.any():
        return None
    Ls = parallel[strip]
    foot = np.abs(Ls[:, 2]) / np.hypot(Ls[:, 0], Ls[:, 1])
    if not np.isfinite(foot.min()):
        raise Undecided("a strip reaches beyond the float range")
    return Fraction(float(foot.min())) * 2


def _cut_extent(cells: BatchedCells, ex: np.ndarray, d: np.ndarray, A: np.ndarray, deriv: np.ndarray,
                bad: np.ndarray) -> Fraction:
    """Return a coordinate bound of the farthest point where an obstructed ray is cut.

    Each ray (from vertex ``ex`` along ``d``) ends at its nearest cut by a constraint of
    ``A`` that decreases along it (``bad``), where the cell has a vertex outside the box.
    Raises Undecided when the cut lies beyond the float range.
    """
    px, py = cells.x[ex][:, None], cells.y[ex][:, None]
    val = A[:, :, 0] * px + A[:, :, 1] * py + A[:, :, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(bad, np.maximum(val, 0.0) / -deriv, np.inf).min(axis=1)
    hit = np.isfinite(t)
    far = np.maximum(np.abs(px[hit, 0] + t[hit] * d[hit, 0]), np.abs(py[hit, 0] + t[hit] * d[hit, 1]))
    if not hit.any() or not np.isfinite(far.max()):
        raise Undecided("a ray is cut beyond the float range")
    return Fraction(float(far.max()))


@one_blas_thread
def batched_plane_cells(net: ExactNet, *, max_regions: int | None, progress: bool,
                        max_memory: int | None = None, start: Fraction | None = None
                        ) -> tuple[Fraction, BatchedCells]:
    """Whole-plane cells with the batched engine: grow the box until :func:`rays_leave_freely`.

    Parameters
    ----------
    net : ExactNet
        A network with 2-D input and at least one hidden layer.
    max_regions : int or None
        Stop with :class:`~exact.errors.TooManyRegionsError` beyond this many cells.
    progress : bool
        Progress bars, as in :func:`~exact._certified.subdivision.batched_cells`.
    max_memory : int, optional
        Refuse a box whose cells would take more than this many bytes, as in
        :func:`~exact._certified.subdivision.batched_cells`.
    start : Fraction, optional
        The first box tried (default :func:`~exact.line_count.initial_box`, past the first
        layer's crossings).  Counts do not depend on the box once it is certified, so a
        caller that only counts starts far out and usually needs one enumeration; the
        certificate still decides, and the box still grows if it must.

    Returns
    -------
    half : Fraction
        Half-width of the certified box ``[-half, half]^2``.
    cells : BatchedCells
        The cells in that box, one for each cell of the whole plane.

    Raises
    ------
    Undecided
        When the engine or the certificate meets a test floats cannot settle, or the box
        did not settle after 60 doublings.
    TooManyRegionsError
        When more than ``max_regions`` cells exist in some box.
    ResourceLimitError
        When the cells of some box would take more than ``max_memory`` bytes.
    """
    half = initial_box(net) if start is None else start
    for _ in range(60):
        cells = batched_cells(net, half, max_regions=max_regions, progress=progress, max_memory=max_memory)
        ok, ext = rays_leave_freely(net, cells)
        if ok:
            return half, cells
        half = round_up_pow2(2 * max(half, ext))
    raise Undecided("the certified box did not settle after 60 doublings")

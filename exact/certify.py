"""Certificates that a square box shows every cell of a whole-plane subdivision.

The activation cells of a piecewise-linear net are convex polyhedra ``P_p`` (one per
pattern ``p``).  Enumerate them inside an open box; if, for every cell that touches the
box boundary, the *whole* polyhedron ``P_p`` (all its pattern's constraints, not just
those active in the box) has every vertex strictly inside the box, and every facet
without a vertex (a full line) crosses the box, then no cell exists outside the box:
each unbounded edge leaving the box is a ray whose two sides keep the same two cells
all the way to infinity, so the boundary cells fill the outside.  The count in the box
is then the count in the plane.

Examples
--------
>>> from fractions import Fraction
>>> far_vertices([(1, 0, 0), (0, 1, 0)], Fraction(1))  # the quadrant x, y >= 0: vertex (0, 0)
(True, Fraction(0, 1))
>>> far_vertices([(1, 0, 0), (0, 1, -5)], Fraction(1))  # vertex (0, 5) is outside
(False, Fraction(5, 1))
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

import numpy as np

from .arrangement import _U
from .batched import BatchedCells, batched_cells
from .enumerate import RawCell, enumerate_cells, square
from .errors import Undecided
from .floatmaps import constraint_rows, quiet_floats
from .network import ExactNet
from .predicates import Line, intersect_lines, line_meets_open_box

__all__ = ["far_vertices", "foot_point", "initial_box", "whole_plane_cells", "batched_plane_cells",
           "rays_leave_freely"]


def foot_point(line: Line) -> tuple[Fraction, Fraction]:
    """The point of the line nearest the origin.

    Examples
    --------
    >>> foot_point((1, 1, -2))
    (Fraction(1, 1), Fraction(1, 1))
    """
    a, b, c = line
    n = a * a + b * b
    return Fraction(-a * c, n), Fraction(-b * c, n)


def far_vertices(constraints: Sequence[Line], half: Fraction) -> tuple[bool, Fraction]:
    """Check the polyhedron ``{x : l(x) >= 0 for l in constraints}`` against a box.

    Parameters
    ----------
    constraints : sequence of Line
        Oriented lines (interior on the + side).  Must describe a polyhedron with
        nonempty interior.
    half : Fraction
        Half-width of the open box ``(-half, half)^2``.

    Returns
    -------
    ok : bool
        Whether every vertex lies strictly inside the box and every vertex-free facet
        (a full line) crosses it.
    extent : Fraction
        The largest coordinate magnitude of an offending vertex or facet foot point
        (0 when ``ok``): a box wider than this is worth trying.

    Notes
    -----
    O(N^2) exact operations for N constraints: for each line, its interval inside the
    polyhedron is the intersection of the half-lines given by the other constraints.
    """
    lines = list(dict.fromkeys(constraints))
    hn, hd = half.numerator, half.denominator
    ok = True
    extent = Fraction(0)
    for i, (a, b, c) in enumerate(lines):
        # points of line i: p0 + t d with p0 = (-a c, -b c) / n (the foot point), d = (-b, a)
        n = a * a + b * b
        dx, dy = -b, a
        lo = hi = None  # bounds on t as (numerator, denominator > 0); everything in integers
        empty = False
        for j, (aj, bj, cj) in enumerate(lines):
            if j == i:
                continue
            alpha_n = -aj * a * c - bj * b * c + cj * n  # n * l_j(p0)
            beta = aj * dx + bj * dy  # l_j(p0 + t d) = l_j(p0) + t beta
            if beta == 0:
                if alpha_n < 0:
                    empty = True
                    break
                continue
            num, den = (-alpha_n, beta * n) if beta > 0 else (alpha_n, -beta * n)  # t = num/den
            if beta > 0:
                if lo is None or num * lo[1] > lo[0] * den:
                    lo = (num, den)
            elif hi is None or num * hi[1] < hi[0] * den:
                hi = (num, den)
            if lo is not None and hi is not None and lo[0] * hi[1] >= hi[0] * lo[1]:
                empty = True
                break
        if empty:
            continue  # not a facet (empty or a single point, found through other lines)
        if lo is None and hi is None:
            if not line_meets_open_box((a, b, c), half):
                ok = False
                extent = max(extent, abs(Fraction(-a * c, n)), abs(Fraction(-b * c, n)))
            continue
        for t in (lo, hi):
            if t is None:
                continue
            num, den = t
            # vertex (X, Y) / (n den)
            X = -a * c * den + num * dx * n
            Y = -b * c * den + num * dy * n
            D = n * den
            if not (abs(X) * hd < hn * D and abs(Y) * hd < hn * D):
                ok = False
                extent = max(extent, abs(Fraction(X, D)), abs(Fraction(Y, D)))
    return ok, extent


def initial_box(net: ExactNet) -> Fraction:
    """A box half-width containing every vertex of the first layer's arrangement strictly inside.

    Float crossings with rigorous error bounds give an upper bound on every coordinate
    (only an upper bound is needed); near-parallel pairs are intersected exactly.
    """
    import numpy as np

    from .arrangement import _norm_floats, first_layer_lines, float_crossings
    from .certify import foot_point

    lines = first_layer_lines(net)
    ext = Fraction(1)
    for ln in lines:
        fx, fy = foot_point(ln)
        ext = max(ext, abs(fx), abs(fy))
    if len(lines) > 1:
        F = _norm_floats(lines)
        A, B, C = F[:, 0], F[:, 1], F[:, 2]
        bound = 0.0
        for i in range(len(lines)):
            undecided, valid, x, y, ex, ey = float_crossings(i, A, B, C)
            if valid.any():
                bound = max(bound, float(np.max(np.maximum(np.abs(x) + ex, np.abs(y) + ey)[valid])))
            for j in undecided.tolist():
                p = intersect_lines(lines[i], lines[j])
                if p is not None:
                    ext = max(ext, abs(Fraction(p[0], p[2])), abs(Fraction(p[1], p[2])))
        if not np.isfinite(bound):  # overflow: fall back to exact crossings
            for i, l1 in enumerate(lines):
                for l2 in lines[i + 1 :]:
                    p = intersect_lines(l1, l2)
                    if p is not None:
                        ext = max(ext, abs(Fraction(p[0], p[2])), abs(Fraction(p[1], p[2])))
        else:
            ext = max(ext, Fraction(bound) * (1 + Fraction(1, 2**40)))
    return _round_up_pow2(2 * ext)


def _round_up_pow2(x: Fraction) -> Fraction:
    return Fraction(2) ** max(0, math.ceil(math.log2(x)) if x > 1 else 0)


def whole_plane_cells(
    net: ExactNet, *, max_regions: int | None, progress: bool, start: Fraction | None = None
) -> tuple[Fraction, list[RawCell]]:
    """Enumerate the whole plane: grow a box until the certificate of :mod:`exact.certify` holds.

    The box search starts at ``start`` or, by default, where the float certificate of
    :func:`batched_plane_cells` ended (when it can decide, else at :func:`initial_box`),
    which saves the exact enumerations of the smaller boxes; the exact certificate still
    decides, and still grows the box if it must.
    """
    half = start
    if half is None:
        try:
            half, _ = batched_plane_cells(net, max_regions=max_regions, progress=progress)
        except Undecided:
            half = initial_box(net)
    while True:
        verts, edges = square(half.numerator, half.denominator)
        raw = enumerate_cells(
            net, verts, edges, max_regions=max_regions, keep_constraints=True, progress=progress
        )
        box_edges = set(edges)
        ok, ext = True, Fraction(0)
        for rc in raw:
            if any(e in box_edges for e in rc.edges):
                ok_c, e = far_vertices(rc.constraints, half)
                if not ok_c:
                    ok, ext = False, max(ext, e)
        if ok:
            return half, raw
        half = _round_up_pow2(2 * max(half, ext))


@quiet_floats
def rays_leave_freely(net: ExactNet, cells: BatchedCells) -> tuple[bool, Fraction]:
    """The float form of the certificate for cells found by :func:`exact.batched.batched_cells`.

    For every cell on the box boundary, each breakpoint line that leaves the box continues
    as a ray; the certificate holds when no constraint of the cell's pattern decreases
    along any such ray (then the cell's boundary outside the box is just these rays, and
    its polyhedron has every vertex inside).  Directional derivatives come with rigorous
    error bounds; a constraint that may be parallel to a ray (derivative within its bound)
    cannot be settled in floats and raises :class:`~exact.errors.Undecided` (a strip
    between parallel lines is such a case).  Lines of neurons whose gradient is zero
    through every path are skipped: they are constants, not lines.

    Returns
    -------
    ok : bool
    extent : Fraction
        When not ``ok``: a coordinate bound of a point where some ray is cut (a box wider
        than this is worth trying).
    """
    C = len(cells)
    lab, start, nv = cells.label, cells.start, cells.nv
    V = len(lab)
    prev = np.arange(V) - 1
    prev[start] = start + nv - 1
    leaving = (lab[prev] >= 0) & (lab == -1)  # a line's edge ends at this vertex, a box edge follows
    entering = (lab[prev] == -1) & (lab >= 0)  # a box edge ends here, a line's edge follows
    ex = np.flatnonzero(leaving | entering)
    if len(ex) == 0:
        if C == 1:
            return True, Fraction(0)  # nothing crosses the box; all neurons are constant
        raise Undecided("cells without lines leaving the box")
    cov = np.repeat(np.arange(C), nv)
    ray = np.where(leaving[ex], lab[prev[ex]], lab[ex])
    # ray direction: along the line, pointing out through the box side at the vertex
    box = cells.lines[np.where(leaving[ex], ex, prev[ex])]
    n_out = -np.sign(box[:, 2])[:, None] * box[:, :2]
    bcells, bi = np.unique(cov[ex], return_inverse=True)
    rows, err, support, rep = constraint_rows(net, cells.patterns[bcells])
    if not (np.isfinite(rows).all() and np.isfinite(err).all()):
        raise Undecided("constraint lines beyond the float range")
    const = ~support.any(axis=2)
    R, Re = rows[bi, ray], err[ray]
    d = np.stack([-R[:, 1], R[:, 0]], axis=1)
    de = np.stack([Re[:, 1], Re[:, 0]], axis=1)
    dn = (d * n_out).sum(axis=1)
    dn_err = ((de * np.abs(n_out)).sum(axis=1) * (1 + 8 * _U)
              + 4 * _U * (np.abs(d) * np.abs(n_out)).sum(axis=1))
    if not np.all(np.abs(dn) > dn_err):
        raise Undecided("a line leaves the box too close to parallel to the box side")
    d *= np.sign(dn)[:, None]
    A = rows[bi]  # (X, N, 3)
    ax, ay = np.abs(d[:, None, 0]), np.abs(d[:, None, 1])
    deriv = A[:, :, 0] * d[:, None, 0] + A[:, :, 1] * d[:, None, 1]
    derr = (err[None, :, 0] * (ax + de[:, None, 0]) + np.abs(A[:, :, 0]) * de[:, None, 0]
            + err[None, :, 1] * (ay + de[:, None, 1]) + np.abs(A[:, :, 1]) * de[:, None, 1]
            + 3 * _U * (np.abs(A[:, :, 0]) * ax + np.abs(A[:, :, 1]) * ay)) * (1 + 8 * _U) + 1e-300
    skip = const[bi] | (np.arange(A.shape[1])[None, :] == ray[:, None])
    unsure = (np.abs(deriv) <= derr) & ~skip
    if unsure.any():
        xi, ki = np.nonzero(unsure)
        if not np.all(rep[bi[xi], ki] == rep[bi[xi], ray[xi]]):
            raise Undecided("a constraint may be parallel to a ray leaving the box")
        skip[xi, ki] = True  # exactly parallel: constant along the ray, never cuts it
        # a strip: a cell whose only line in the box has an opposite parallel constraint
        # has that constraint's line as a facet outside the box, or behind it
        n_lines = np.add.reduceat((lab >= 0).astype(np.int64), start)
        strip = (n_lines[cov[ex[xi]]] == 1) & ((A[xi, ki, :2] * R[xi, :2]).sum(axis=1) < 0)
        if strip.any():
            Ls = A[xi[strip], ki[strip]]
            foot = np.abs(Ls[:, 2]) / np.hypot(Ls[:, 0], Ls[:, 1])
            return False, Fraction(float(foot.min())) * 2
    bad = (deriv < -derr) & ~skip
    if not bad.any():
        return True, Fraction(0)
    # each obstructed ray ends at its nearest cut, where the cell has a vertex outside the box
    px, py = cells.x[ex][:, None], cells.y[ex][:, None]
    val = A[:, :, 0] * px + A[:, :, 1] * py + A[:, :, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(bad, np.maximum(val, 0.0) / -deriv, np.inf).min(axis=1)
    hit = np.isfinite(t)
    far = np.maximum(np.abs(px[hit, 0] + t[hit] * d[hit, 0]), np.abs(py[hit, 0] + t[hit] * d[hit, 1]))
    return False, Fraction(float(far.max())) if np.isfinite(far.max()) else Fraction(2) ** 1000


def batched_plane_cells(net: ExactNet, *, max_regions: int | None, progress: bool
                        ) -> tuple[Fraction, BatchedCells]:
    """Whole-plane cells with the batched engine: grow the box until :func:`rays_leave_freely`.

    Raises
    ------
    Undecided
        When the engine or the certificate meets a test floats cannot settle.
    """
    half = initial_box(net)
    for _ in range(60):
        cells = batched_cells(net, half, max_regions=max_regions, progress=progress)
        ok, ext = rays_leave_freely(net, cells)
        if ok:
            return half, cells
        half = _round_up_pow2(2 * max(half, ext))
    raise Undecided("the certified box did not settle after 60 doublings")


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

from collections.abc import Sequence
from fractions import Fraction

from .layer_split import RawCell, enumerate_cells
from .line_count import round_up_pow2
from .network import ExactNet
from .plane_location import pattern_constraints
from .predicates import Line, line_meets_open_box
from .square_window import square

__all__ = ["far_vertices", "whole_plane_cells"]


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

    Examples
    --------
    >>> far_vertices([(1, 0, 0), (-1, 0, 3), (0, 1, 0)], Fraction(2))  # strip 0 <= x <= 3, y >= 0
    (False, Fraction(3, 1))
    >>> far_vertices([(1, 0, 0), (-1, 0, 1)], Fraction(2))  # strip 0 <= x <= 1: two full lines
    (True, Fraction(0, 1))
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


def whole_plane_cells(
    net: ExactNet, *, max_regions: int | None, progress: bool, start: Fraction,
    max_memory: int | None = None,
) -> tuple[Fraction, list[RawCell]]:
    """Enumerate the whole plane: grow a box until the certificate of this module holds.

    The box search starts at ``start`` (the API passes the box where the float
    certificate ended, which saves the exact enumerations of the smaller boxes, or
    :func:`~exact.line_count.initial_box`); the exact certificate still decides, and still
    grows the box if it must.

    Parameters
    ----------
    net : ExactNet
        A network with 2-D input.
    max_regions : int or None
        Stop with :class:`~exact.errors.TooManyRegionsError` as soon as a box holds more
        cells than this.
    progress : bool
        Show tqdm progress bars (after one second) on standard error.
    start : Fraction
        Half-width of the first box tried, positive.
    max_memory : int, optional
        Stop with :class:`~exact.errors.ResourceLimitError` as soon as a box's cells would
        take more than this many bytes (the running guard of
        :func:`~exact.layer_split.enumerate_cells`).

    Returns
    -------
    half : Fraction
        Half-width of the certified box: ``start``, or a power of two above it.
    cells : list of RawCell
        The cells in the box ``[-half, half]^2``, one per activation cell of the whole
        plane.

    Raises
    ------
    TooManyRegionsError
        When a box holds more than ``max_regions`` cells.
    ResourceLimitError
        When a box's cells would take more than ``max_memory`` bytes.

    Examples
    --------
    >>> net = ExactNet.from_layers([([[1, 0], [0, 1], [1, 1]], [0, 0, -5]), ([[1, 1, 1]], [0])])
    >>> half, cells = whole_plane_cells(net, max_regions=None, progress=False, start=Fraction(1))
    >>> half, len(cells)          # the vertices (0, 0), (5, 0), (0, 5) need a box wider than 5
    (Fraction(16, 1), 7)
    """
    layers = net.integer_layers()
    half = start
    while True:
        verts, edges = square(half.numerator, half.denominator)
        raw = enumerate_cells(net, verts, edges, max_regions=max_regions, progress=progress,
                              max_memory=max_memory)
        box_edges = set(edges)
        ok, ext = True, Fraction(0)
        for rc in raw:
            if any(e in box_edges for e in rc.edges):
                ok_c, e = far_vertices(pattern_constraints(net, rc.pattern, layers=layers), half)
                if not ok_c:
                    ok, ext = False, max(ext, e)
        if ok:
            return half, raw
        half = round_up_pow2(2 * max(half, ext))

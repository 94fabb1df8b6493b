"""The whole input space: a box certified to meet every activation cell, in any dimension.

The closures of the activation cells of a piecewise-linear net form a polyhedral complex
(they meet face to face: each layer cuts every cell with hyperplanes, and two cells
sharing a face cut it alike, because every pre-activation is continuous).  Enumerate the
cells meeting an open box ``(-B, B)^d``; call them the *found* cells, ``P`` each one's
whole polyhedron (all its pattern's constraints, :func:`pattern_rows`).

Certificate: every nonempty face of every found ``P`` meets the open box.  Then no cell is
missed.  Proof: were a cell ``Q`` missed, it would lie outside the open box; the outside is
connected (for ``d = 1``, each of its two rays is), covered by the found and the missed
cells, both unions closed and nonempty there, so some found ``P`` meets some missed
``Q``; ``P`` and ``Q`` meet in a common face of ``P``, which meets the open box, so ``Q``
has a point in it, hence (``Q`` is convex and full-dimensional) interior points in it:
``Q`` was found.

Checking it.  Every nonempty face holds a minimal face, so it is enough that the minimal
faces meet the open box.  Leading layers without a breakpoint (identity) are first
composed into the next (:func:`fold_affine_layers`); then every pattern's rows include one
per first-layer neuron, and every later row's normal lies in the first layer's row space.
When the first layer's weights span ``R^d`` every ``P`` is pointed and its minimal faces
are its vertices, so a box holding every vertex of every ``P`` strictly is certified.  One
is known a priori: :func:`~exact.nd.vertex_bounds.vertex_bound` bounds every vertex of
every pattern at once (Cramer's rule and Hadamard's inequality on exact integer rows), a
loose, very large cube in which the cells are made once; counting stops there.  The
cube for pictures hugs the vertices: those of the cells made in the large cube that are
off its sides are exactly the vertices of every ``P`` (near a point inside the box a cell
is its ``P``), the power of two just past them is certified for the same reason, and the
cells are clipped to it (:func:`~exact.nd.box_clip.clip_to_box`; :func:`whole_space_parts`
hands over the large cube's cells unclipped, and :class:`~exact.nd.region_set.RegionsND`
clips each cell when its geometry is first asked for: one enumeration); for a net
whose only breakpoints are in its first layer the vertices are the first layer's, found
directly (:func:`~exact.nd.vertex_bounds.first_layer_vertices`).  Otherwise every pattern's
constraints are constant along the null space of the first layer: the net factors through
``y = R x`` for ``r = rank`` independent first-layer rows ``R``, and the box is found for
the reduced ``r``-dimensional net (:func:`reduced_net`), then lifted.  A bound too large
for the float filter falls back on growing a cube until :func:`cell_certificate` holds:
the vertices and bounded edges of a pointed polyhedron form a connected graph, so
``P``'s vertices are all strictly inside iff some are, none is on the box's boundary,
and every edge that leaves the box from one of them is an unbounded ray of ``P``.

Examples
--------
>>> from exact.network import ExactNet
>>> net = ExactNet.from_layers([([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]], [0, 0, 0, -5]),
...                             ([[1, 1, 1, 1]], [0])])
>>> half, cells = whole_space_cells(net)
>>> half, len(cells)          # the vertices (5, 0, 0), (0, 5, 0), (0, 0, 5) need a box wider than 5
(Fraction(8, 1), 15)
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from fractions import Fraction

import numpy as np

from .._certified.bounds import quiet_floats
from ..line_count import round_up_pow2
from ..network import ExactNet, IntLayer
from .box_clip import clip_to_box
from .job_memory import fitting_box
from .layer_cells import RawCellND, enumerate_cells_nd, pre_activations
from .polytope import HPoint, Row, box, neighbours, primitive, rank, vertex_masks
from .vertex_bounds import BOUND_BITS, first_layer_vertices, half_past, vertex_bound

__all__ = ["cell_certificate", "fold_affine_layers", "pattern_rows", "reduced_net", "whole_space_cells",
           "whole_space_parts"]


def pattern_rows(net: ExactNet, pattern: Sequence[int], layers: Sequence[IntLayer] | None = None,
                 prefixes: dict | None = None) -> list[Row]:
    """Return the oriented breakpoint hyperplanes that cut out an activation pattern's polyhedron.

    Parameters
    ----------
    net : ExactNet
        Any input width ``d``.
    pattern : sequence of int
        Piece index of every hidden neuron (as :meth:`ExactNet.pattern_at` gives it).
    layers : sequence of IntLayer, optional
        ``net.integer_layers()``, for callers asking many times.
    prefixes : dict, optional
        A cache shared by calls on the same ``net``: the rows and maps after each hidden
        layer but the last, by pattern prefix (cells with the same first layers' pieces
        share them).

    Returns
    -------
    list of Row
        Distinct primitive rows ``(a, c)``, the pattern's closed cell being
        ``{x : a . x + c >= 0}`` for all of them; a neuron constant on the pattern gives
        none.

    Examples
    --------
    >>> net = ExactNet.from_layers([([[1, 0, 0], [1, 1, 1]], [0, -2]), ([[1, -1]], [0])])
    >>> pattern_rows(net, (1, 0))          # x > 0 and x + y + z < 2
    [(1, 0, 0, 0), (-1, -1, -1, 2)]
    """
    layers = net.integer_layers() if layers is None else layers
    d = net.input_dim
    A: tuple = tuple(tuple(int(k == i) for k in range(d + 1)) for i in range(d))
    t, k, rows = 1, 0, []
    ends = list(itertools.accumulate(len(layer.bi) for layer in layers[:-2]))  # after each but the last
    start = 0
    for l in range(len(ends) - 1, -1, -1) if prefixes is not None else ():
        hit = prefixes.get(tuple(pattern[:ends[l]]))
        if hit is not None:
            A, t, kept = hit
            start, k, rows = l + 1, ends[l], list(kept)
            break
    for l, (layer, act) in enumerate(zip(layers[:-1], net.activations)):
        if l < start:
            continue
        mu, sl, ic = act.integer_form
        Z, s = pre_activations(np.array(layer.Wi, dtype=object), layer.bi, layer.scale, A, t)
        nxt = []
        for z in Z:
            q = pattern[k]
            k += 1
            for i, b in enumerate(act.breakpoints):
                row = [b.denominator * v for v in z]
                row[-1] -= b.numerator * s
                if any(row[:-1]):   # above breakpoint i on pieces > i
                    row = primitive(row)
                    rows.append(row if i < q else tuple(-v for v in row))
            a = [sl[q] * v for v in z]
            a[-1] += ic[q] * s
            nxt.append(a)
        g = math.gcd(mu * s, *(v for r in nxt for v in r))
        A, t = tuple(tuple(v // g for v in r) for r in nxt), mu * s // g
        if prefixes is not None and l < len(ends):
            prefixes[tuple(pattern[:k])] = (A, t, tuple(rows))
    return list(dict.fromkeys(rows))


def _value(row: Row, p: HPoint) -> int:
    """Evaluate a row at a homogeneous point, times its ``D > 0``: ``a . X + c D``."""
    return sum(a * x for a, x in zip(row, p))


def cell_certificate(cell: RawCellND, prows: Sequence[Row], n_box: int) -> tuple[bool, Fraction | None]:
    """Check that every vertex of a found cell's whole polyhedron lies strictly inside the box.

    Parameters
    ----------
    cell : RawCellND
        A cell found in the box (its polytope is ``P`` clipped to the box; the box's rows
        first).
    prows : sequence of Row
        All the pattern's rows (:func:`pattern_rows`); their normals must span ``R^d``
        (else ValueError).
    n_box : int
        The number of box rows (``2 d``).

    Returns
    -------
    ok : bool
        True iff ``P``'s vertices are all strictly inside the box (exact).
    extent : Fraction or None
        When not ok: the largest coordinate magnitude of a vertex of ``P`` found outside
        or on the box, if one was found (None: grow the box blindly).

    Notes
    -----
    ``O(V R d)`` exact products for ``V`` vertices and ``R`` pattern rows, plus one rank
    per vertex and the edges at the vertices of ``P`` inside.

    Examples
    --------
    >>> from fractions import Fraction
    >>> from exact.nd.polytope import split
    >>> c = box([Fraction(-1)] * 2, [Fraction(1)] * 2)
    >>> for row in ((1, 0, 0), (0, 1, 0)):                # x >= 0, y >= 0 (and x + y <= 3 beyond the box)
    ...     c = split(c, row)[1]
    >>> cell = RawCellND(c, (1, 1, 0), ((0, 0, 1),), 1)
    >>> cell_certificate(cell, [(1, 0, 0), (0, 1, 0), (-1, -1, 3)], 4)    # the vertex (3, 0) is outside
    (False, Fraction(3, 1))
    """
    verts, d = cell.poly.verts, len(cell.poly.verts[0]) - 1
    if rank([r[:-1] for r in prows]) < d:
        raise ValueError("cell_certificate needs a pointed polyhedron: the pattern's rows must span R^d")
    box_mask = (1 << n_box) - 1
    zero = (np.array(prows, dtype=object).dot(np.array(verts, dtype=object).T) == 0).T.tolist()
    tight = [[r for r, z in zip(prows, zs) if z] for zs in zero]
    inside = [i for i, rs in enumerate(tight) if len(rs) >= d and rank([r[:-1] for r in rs]) == d]
    on_edge = [i for i in inside if cell.poly.tight[i] & box_mask]
    if on_edge:   # a vertex of P on the box's boundary: not strictly inside
        return False, _extent([verts[i] for i in on_edge])
    if not inside:
        return False, None
    vm = vertex_masks(cell.poly.tight, len(cell.poly.rows))
    worst: Fraction | None = None
    found = set(inside)
    for s in inside:
        for u in neighbours(cell.poly, s, vm):
            if u in found:
                continue
            far = _ray_end(verts[s], verts[u], prows)
            if far is not None:
                worst = max(worst or Fraction(0), _extent([far]))
    return worst is None, worst


def _ray_end(s: HPoint, u: HPoint, prows: Sequence[Row]) -> HPoint | None:
    """Follow the edge of ``P`` from ``s`` through ``u`` past the box: None if it never ends, else its end."""
    D_s, D_u = s[-1], u[-1]
    r = [xu * D_s - xs * D_u for xs, xu in zip(s[:-1], u[:-1])]   # direction, times D_s D_u > 0
    num, den = None, 1   # the smallest step num / den >= 0 from u (in units of r / D_u) where a row reaches 0
    for row in prows:
        slope = sum(a * x for a, x in zip(row[:-1], r))
        if slope < 0:
            n, m = _value(row, u), -slope   # step n / m, m > 0: compared exactly by cross products
            if num is None or n * den < num * m:
                num, den = n, m
    if num is None:
        return None
    best = Fraction(num, den * D_u)
    end = [Fraction(x, D_u) + best * v for x, v in zip(u[:-1], r)]
    den = math.lcm(*(e.denominator for e in end))
    return primitive([int(e * den) for e in end] + [den])


def _extent(points: Sequence[HPoint]) -> Fraction:
    """Return the largest coordinate magnitude among homogeneous points."""
    return max(Fraction(abs(x), p[-1]) for p in points for x in p[:-1])


def reduced_net(net: ExactNet) -> tuple[ExactNet, list[list[Fraction]]]:
    """Factor a net through its first layer's row space: ``net(x) = reduced(R x)``.

    Parameters
    ----------
    net : ExactNet

    Returns
    -------
    reduced : ExactNet
        The same net on ``y = R x``, with first-layer weights ``M`` (``W_0 = M R``).
    R : list of list of Fraction, shape (r, d)
        ``r = rank W_0`` independent rows of ``W_0``.

    Examples
    --------
    >>> net = ExactNet.from_layers([([[1, 1, 0], [2, 2, 0]], [0, -1]), ([[1, 1]], [0])])
    >>> red, R = reduced_net(net)
    >>> red.weights[0], R
    (((Fraction(1, 1),), (Fraction(2, 1),)), [[Fraction(1, 1), Fraction(1, 1), Fraction(0, 1)]])
    """
    W = [list(r) for r in net.weights[0]]
    R: list[list[Fraction]] = []
    for w in W:
        if rank([_ints(v) for v in R + [w]]) > len(R):
            R.append(w)
    cols = _independent_columns(R)
    inv = _inverse([[row[c] for c in cols] for row in R])
    M = [[sum((w[c] * inv[i][j] for i, c in enumerate(cols)), Fraction(0)) for j in range(len(R))] for w in W]
    layers = [(M, list(net.biases[0]))] + [([list(r) for r in W_], list(b)) for W_, b in
                                            zip(net.weights[1:], net.biases[1:])]
    return ExactNet.from_layers(layers, list(net.activations)), R


def _ints(v: Sequence[Fraction]) -> list[int]:
    """Scale a rational vector to integers (same direction)."""
    den = math.lcm(*(x.denominator for x in v)) if v else 1
    return [int(x * den) for x in v]


def _independent_columns(R: list[list[Fraction]]) -> list[int]:
    """Columns of ``R`` (full row rank) forming an invertible square submatrix, greedily."""
    cols: list[int] = []
    for c in range(len(R[0])):
        if rank([_ints([row[k] for row in R]) for k in cols + [c]]) > len(cols):
            cols.append(c)
    return cols


def _inverse(m: list[list[Fraction]]) -> list[list[Fraction]]:
    """Invert a square rational matrix (Gauss-Jordan); it must be invertible."""
    n = len(m)
    a = [list(r) + [Fraction(int(i == j)) for j in range(n)] for i, r in enumerate(m)]
    for c in range(n):
        p = next(i for i in range(c, n) if a[i][c] != 0)
        a[c], a[p] = a[p], a[c]
        a[c] = [v / a[c][c] for v in a[c]]
        for i in range(n):
            if i != c and a[i][c] != 0:
                a[i] = [x - a[i][c] * y for x, y in zip(a[i], a[c])]
    return [r[n:] for r in a]


def fold_affine_layers(net: ExactNet) -> ExactNet:
    """Compose the leading hidden layers whose activation has no breakpoint into the next layer.

    Parameters
    ----------
    net : ExactNet

    Returns
    -------
    ExactNet
        The same function and the same cells, its first hidden activation (if any) with
        a breakpoint, so that every pattern's rows include the first layer's.

    Examples
    --------
    >>> net = ExactNet.from_layers([([[1, 0], [0, 2]], [1, 0]), ([[1, 1]], [-1]), ([[3]], [0])],
    ...                            ["identity", "relu"])
    >>> folded = fold_affine_layers(net)
    >>> folded.weights[0], folded.biases[0], folded.n_hidden_layers
    (((Fraction(1, 1), Fraction(2, 1)),), (Fraction(0, 1),), 1)
    """
    while net.n_hidden_layers and not net.activations[0].breakpoints:
        act = net.activations[0]
        s, c = act.slopes[0], act.intercepts[0]
        (W0, W1), (b0, b1) = net.weights[:2], net.biases[:2]
        W = [[sum((w * s * W0[k][i] for k, w in enumerate(row)), Fraction(0)) for i in range(len(W0[0]))]
             for row in W1]
        b = [sum((w * (s * b0[k] + c) for k, w in enumerate(row)), Fraction(0)) + bb
             for row, bb in zip(W1, b1)]
        rest = [([list(r) for r in W_], list(b_)) for W_, b_ in zip(net.weights[2:], net.biases[2:])]
        net = ExactNet.from_layers([(W, b)] + rest, list(net.activations[1:]))
    return net


@quiet_floats  # a float guess: an overflow only makes it useless
def _start(net: ExactNet) -> Fraction:
    """Choose a first box: past the first layer's vertices, as floats estimate them (a guess only).

    The certificate decides; a guess that is too small costs one more enumeration.
    """
    rows = [(r, b) for r, b in zip(net.weights[0], net.biases[0]) if any(r)]
    guess = max((abs(b) / sum(abs(w) for w in r) for r, b in rows), default=Fraction(1))
    d = net.input_dim
    if d <= len(rows) and math.comb(len(rows), d) <= _START_SOLVES:
        try:
            W = np.array([[float(w) for w in r] for r, _ in rows])
            b = np.array([float(b) for _, b in rows])
            idx = np.array(list(itertools.combinations(range(len(rows)), d)))
            A = W[idx]
            scale = np.prod(np.linalg.norm(A, axis=2), axis=1)
            ok = np.abs(np.linalg.det(A)) > 1e-9 * scale
            x = np.linalg.solve(A[ok], -b[idx][ok][..., None])[..., 0]
            far = np.abs(x[np.isfinite(x).all(axis=1)])
            if far.size:
                guess = max(guess, Fraction(float(far.max())))
        except (OverflowError, ValueError, np.linalg.LinAlgError):
            pass
    return round_up_pow2(guess * Fraction(21, 20) + 1)


_START_SOLVES = 200_000
"""The first layer's vertices are estimated (for the first box) when there are at most this many."""


def _certified_cells(net: ExactNet, max_regions: int | None, max_memory: int | None, progress: bool
                     ) -> tuple[Fraction, list[RawCellND]]:
    """Grow a cube until the certificate holds for ``net`` (its first layer spans the input space).

    The route for nets whose :func:`~exact.nd.vertex_bounds.vertex_bound` is beyond the float filter's range.
    """
    d = net.input_dim
    layers = net.integer_layers()
    half = _start(net)
    box_mask = (1 << (2 * d)) - 1
    prefixes: dict = {}   # pattern_rows' shared prefixes, for every box
    while True:
        cells = enumerate_cells_nd(net, fitting_box(net, [-half] * d, [half] * d, max_memory),
                                   max_regions=max_regions, max_memory=max_memory, progress=progress)
        ok, extent = True, Fraction(0)
        for c in cells:
            if not any(t & box_mask for t in c.poly.tight):
                continue   # no vertex on the box: the cell is its whole polyhedron, strictly inside
            good, ext = cell_certificate(c, pattern_rows(net, c.pattern, layers, prefixes), 2 * d)
            if not good:
                ok, extent = False, max(extent, ext or 0)
        if ok:
            return half, cells
        half = round_up_pow2(2 * max(half, extent))


def _far_vertices(cells: Sequence[RawCellND], d: int) -> list[tuple[int, int]]:
    """List ``(max_i |X_i|, D)`` of the cells' vertices off the box's sides (their polyhedra's)."""
    box_mask = (1 << (2 * d)) - 1
    return [(max(abs(x) for x in p[:-1]), p[-1]) for c in cells for p, t in zip(c.poly.verts, c.poly.tight)
            if not t & box_mask]


def _certified_box(core: ExactNet, net: ExactNet | None, hug: bool, max_regions: int | None,
                   max_memory: int | None, progress: bool
                   ) -> tuple[Fraction, Fraction, list[RawCellND] | None]:
    """Find a cube meeting every cell of ``core`` (its first layer spans its input space), maybe with cells.

    Returns ``(half, made_in, cells)``: ``(-half, half)^d`` meets every cell, and ``cells``
    (``net``'s, which has ``core``'s cells; None when ``net`` is None or when none were
    made) are those of ``[-made_in, made_in]^d``, ``made_in >= half``.  When only the first
    layer has breakpoints, the power of two just past its arrangement's vertices (no cells:
    the caller makes them).  Else the cells are made in the a-priori cube of
    :func:`~exact.nd.vertex_bounds.vertex_bound`, and with ``hug`` ``half`` is the power of
    two just past their vertices off its sides (without ``hug`` and without ``net``, nothing
    is made: the a-priori cube is certified).  Past the float filter's range, the grown and
    certified cube of :func:`cell_certificate`, with its cells when ``net`` is ``core``.
    """
    first = first_layer_vertices(core)
    if first is not None:   # one layer of breakpoints: its vertices are all the vertices
        half = half_past(first)
        return half, half, None
    bound = vertex_bound(core)
    if bound.bit_length() > BOUND_BITS:
        half, cells = _certified_cells(core, max_regions, max_memory, progress)
        return half, half, cells if net is core else None
    big = Fraction(bound)
    if net is None and not hug:
        return big, big, None
    d = core.input_dim
    made = core if net is None else net
    cells = enumerate_cells_nd(made, fitting_box(made, [-big] * d, [big] * d, max_memory),
                               max_regions=max_regions, max_memory=max_memory, progress=progress)
    half = min(half_past(_far_vertices(cells, d)), big) if hug else big
    return half, big, None if net is None else cells


def whole_space_parts(net: ExactNet, *, max_regions: int | None = None, max_memory: int | None = None,
                      progress: bool = False, hug: bool = True) -> tuple[Fraction, Fraction, list[RawCellND]]:
    """Find a cube certified to meet every activation cell of ``R^d``, and the cells of a cube holding it.

    One enumeration where the net allows it: the cells are those of the cube they were
    made in, which may be far larger than the certified cube (clip them to it with
    :func:`~exact.nd.box_clip.clip_to_box`, all at once as :func:`whole_space_cells` does
    or one by one when asked for, as :class:`~exact.nd.region_set.RegionsND` does).

    Parameters
    ----------
    net, max_regions, max_memory, progress, hug
        As in :func:`whole_space_cells` (``hug``: ``half`` just past the vertices of every
        cell's polyhedron, or the a-priori cube).

    Returns
    -------
    half : Fraction
        A power of two: every activation cell of ``R^d`` meets ``(-half, half)^d``.
    made_in : Fraction
        ``made_in >= half``: the cells were made in ``[-made_in, made_in]^d``; when the
        two differ, every vertex of every cell's polyhedron is strictly inside the smaller.
    cells : list of RawCellND
        One per activation cell of ``R^d``.

    Raises
    ------
    TooManyRegionsError, ResourceLimitError
        As :func:`whole_space_cells`.

    Examples
    --------
    >>> net = ExactNet.from_layers([([[1, 0, 0], [0, 1, 0], [0, 0, 1]], [0, 0, -1]),   # relu(x), relu(y),
    ...                             ([[1, 1, 1]], [0]), ([[1]], [0])])       # relu(z - 1), then their sum
    >>> half, made_in, cells = whole_space_parts(net)
    >>> half, made_in > half, len(cells)             # made once in the a-priori cube, not clipped
    (Fraction(4, 1), True, 8)
    """
    d = net.input_dim
    core = fold_affine_layers(net)
    r = rank([_ints(row) for row in core.weights[0]]) if core.n_hidden_layers else 0
    cells, made_in = None, None
    if r == d:
        half, made_in, cells = _certified_box(core, net, hug, max_regions, max_memory, progress)
    elif r == 0:   # no breakpoint depends on x: one cell
        half = Fraction(1)
    else:
        red, R = reduced_net(core)
        half_y, _, _ = _certified_box(red, None, hug, max_regions, max_memory, progress)
        inv = _inverse([[row[c] for c in _independent_columns(R)] for row in R])
        half = round_up_pow2(half_y * max(sum(abs(v) for v in row) for row in inv))
    if cells is None:
        made_in = half
        cells = enumerate_cells_nd(net, fitting_box(net, [-half] * d, [half] * d, max_memory),
                                   max_regions=max_regions, max_memory=max_memory, progress=progress)
    return half, made_in, cells


def whole_space_cells(net: ExactNet, *, max_regions: int | None = None, max_memory: int | None = None,
                      progress: bool = False, hug: bool = True) -> tuple[Fraction, list[RawCellND]]:
    """Find a cube certified to meet every activation cell of ``R^d``, and its cells.

    Parameters
    ----------
    net : ExactNet
        Any input width ``d``.
    max_regions, max_memory : int or None
        The guards of :func:`~exact.nd.layer_cells.enumerate_cells_nd`, for every box tried.
    progress : bool
        A progress bar for each box tried.
    hug : bool, default True
        A cube just past the vertices of every cell's polyhedron (for pictures and
        volumes: the cells made in the a-priori cube are clipped to it); False for the
        a-priori cube of :func:`~exact.nd.vertex_bounds.vertex_bound`, far larger (for
        counting).  The cells are made once either way.  Either way, when only the first
        layer has breakpoints, the cube just past its arrangement's vertices, found
        directly.

    Returns
    -------
    half : Fraction
        A power of two: every activation cell of ``R^d`` meets ``(-half, half)^d``.
    cells : list of RawCellND
        The cells in ``[-half, half]^d``, one per activation cell of ``R^d``.

    Raises
    ------
    TooManyRegionsError, ResourceLimitError
        From the guards.

    Notes
    -----
    When the first layer (after :func:`fold_affine_layers`) spans ``R^d``, every pattern's
    polyhedron is pointed, so each of its nonempty faces holds a vertex; every vertex lies
    strictly inside the cube of :func:`~exact.nd.vertex_bounds.vertex_bound`, so that
    cube meets every face of every cell, and by the certificate (this module's
    introduction) every cell.  The hugging cube: a vertex of a cell clipped to that cube
    and off the cube's sides is a vertex of the cell's polyhedron, and conversely; a cube
    holding them all strictly meets every cell for the same reason.  Otherwise the net
    factors through its first layer's row space (:func:`reduced_net`) and the reduced
    net's cube is lifted.  A bound beyond the float filter's range falls back on growing
    a cube until the certificate of :func:`cell_certificate` holds.

    Examples
    --------
    >>> net = ExactNet.from_layers([([[1, 0, 0], [1, 0, 0]], [0, -1]), ([[1, 1]], [0])])   # x = 0, x = 1
    >>> half, cells = whole_space_cells(net)
    >>> half, len(cells)
    (Fraction(4, 1), 3)
    >>> whole_space_cells(net, hug=False)[0]        # one layer: the cube past its vertices either way
    Fraction(4, 1)
    """
    half, made_in, cells = whole_space_parts(net, max_regions=max_regions, max_memory=max_memory,
                                             progress=progress, hug=hug)
    if made_in != half:
        d = net.input_dim
        inner = box([-half] * d, [half] * d)
        cells = [RawCellND(clip_to_box(c.poly, inner), c.pattern, c.out, c.out_den) for c in cells]
    return half, cells

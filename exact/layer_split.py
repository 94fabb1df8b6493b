"""Exact enumeration of the activation cells of a piecewise-linear MLP on a convex polygon.

The kernel behind :func:`exact.regions`.  A cell is a convex polygon with exact
homogeneous vertices (see :mod:`exact.predicates`) together with the exact affine map
of the current layer's activations on it.  Layer by layer, every cell is split by the
breakpoint lines of that layer's neurons, computed from the cell's own affine map
(these are the pieces of the "bent hyperplanes").

All arithmetic is on Python integers: the map of a cell is kept as an integer matrix
``A`` (rows ``(a, b, c)`` meaning ``(a x + b y + c) / t``) and a positive integer ``t``.

Notes
-----
Memory: the layers are chained as generators, so the cells are made depth first and
only one cell's children per layer hold that layer's exact maps; the list returned holds
the final cells with their output maps (:func:`cell_bytes` each).

Complexity: for each hidden layer of width ``k`` with ``q`` breakpoints per neuron,
every cell costs ``O(k * n_prev)`` big-integer multiplications for its map plus
``O(k q V)`` sign evaluations for its ``V`` vertices; output-sensitive in the number of
cells.  Exactness: the only decisions are signs of integer expressions; a float filter
with a rigorous error bound only spares exact work on lines that certainly miss a cell
(see :func:`enumerate_cells` for the references).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ._certified.budget import format_bytes
from ._float_range import float_bounds, to_float
from ._fp import U
from ._progress import progress_bar
from .activations import Activation
from .errors import ResourceLimitError, TooManyRegionsError, Undecided
from .face_graph import FaceGraph
from .face_maps import FaceMaps
from .line_arrangement import build_arrangement
from .line_count import arrangement_faces, first_layer_lines
from .network import ExactNet, IntLayer
from .predicates import Line, Point, canonical_line, split_polygon
from .square_window import square

__all__ = ["RawCell", "cell_bytes", "enumerate_cells", "reduce_map"]


@dataclass
class RawCell:
    """A cell as the kernel produces it (exact integers only).

    Attributes
    ----------
    verts : tuple of Point
        Counter-clockwise homogeneous vertices ``(X, Y, D)``, ``D > 0``.
    edges : tuple of Line
        ``edges[i]`` supports the edge from ``verts[i]`` to ``verts[i + 1]``, oriented
        with the cell on its positive side.
    pattern : tuple of int
        Piece index of every hidden neuron, layer after layer.
    out : tuple of (int, int, int)
        One row ``(a, b, c)`` per output: the output is ``(a x + b y + c) / out_den``.
    out_den : int
        Positive common denominator of ``out`` (in lowest terms with it).

    Examples
    --------
    >>> net = ExactNet.from_layers([([[1, 0]], [0]), ([[2]], [1])])
    >>> cell = max(enumerate_cells(net, *square(1, 1)), key=lambda c: c.pattern)
    >>> cell.pattern, cell.out, cell.out_den          # 2 relu(x) + 1 = 2x + 1 where x > 0
    ((1,), ((2, 0, 1),), 1)
    """

    verts: tuple[Point, ...]
    edges: tuple[Line, ...]
    pattern: tuple[int, ...]
    out: tuple[tuple[int, int, int], ...]  # output map rows, over out_den
    out_den: int


def reduce_map(rows: Sequence[tuple[int, int, int]], t: int) -> tuple[tuple, int]:
    """Put an exact output map ``(a x + b y + c) / t`` per row in lowest terms, as :class:`RawCell` holds it.

    Parameters
    ----------
    rows : sequence of (int, int, int)
        Per output, the integers ``(a, b, c)``.
    t : int
        The common positive denominator.

    Returns
    -------
    (tuple of (int, int, int), int)
        The rows and the denominator divided by their common gcd.

    Examples
    --------
    >>> reduce_map([(2, 4, 6), (0, 0, 2)], 8)
    (((1, 2, 3), (0, 0, 1)), 4)
    """
    g = math.gcd(t, *(v for r in rows for v in r))
    if g > 1:
        rows = tuple((a // g, b // g, c // g) for a, b, c in rows)
        t //= g
    return tuple(rows), t


class _MapCache:
    """Exact layer maps of consecutive cells, updated incrementally.

    Sibling cells share their scale ``t`` and differ in a few rows of ``A`` (the neurons
    whose line split their parent), so ``Wi @ A`` changes by one outer product per
    differing row: O(k) instead of O(k^2) big-integer products.
    """

    def __init__(self, Wobj: np.ndarray, bi: tuple[int, ...]):
        self.W = Wobj
        self.cols = [Wobj[:, i] for i in range(Wobj.shape[1])]
        self.bi = bi
        self.key = None  # (t, A) of the cached product
        self.WA = None

    def __call__(self, A: tuple, t: int) -> list[tuple[int, int, int]]:
        if self.key is not None and self.key[0] == t:
            prev = self.key[1]
            diff = [i for i in range(len(A)) if A[i] != prev[i]]
            if len(diff) * 4 <= len(A):
                WA = self.WA.copy()
                for i in diff:
                    d = np.array([A[i][0] - prev[i][0], A[i][1] - prev[i][1], A[i][2] - prev[i][2]],
                                 dtype=object)
                    WA += np.outer(self.cols[i], d)
                self.key, self.WA = (t, A), WA
                return self._rows(WA, t)
        WA = self.W.dot(np.array(A, dtype=object))
        self.key, self.WA = (t, A), WA
        return self._rows(WA, t)

    def _rows(self, WA: np.ndarray, t: int) -> list[tuple[int, int, int]]:
        return [(za, zb, zc + t * bj) for (za, zb, zc), bj in zip(WA.tolist(), self.bi)]


def _float_sides(Z, s: int, verts, bps_f) -> np.ndarray | None:
    """Place each breakpoint line against a cell with floats, where a rigorous bound allows.

    For each neuron and breakpoint: +1/-1 when every vertex of the cell is certainly on
    that side, 0 when the float bound cannot tell (then exact arithmetic decides); None
    when a coefficient or coordinate is outside the float range (beyond it, or below
    its normal range: :func:`~exact._float_range.to_float`).

    In the standard model of float arithmetic (Higham 2002, §2.2), coefficients ``z/s``
    and vertex coordinates are correctly rounded (relative error u);
    the products, the three-term sum and the subtraction of ``beta`` add at most
    ``(2u + 3u + u)`` of the magnitudes, so ``8u (|a x| + |b y| + |c| + |beta|)`` bounds
    the absolute error of ``a x + b y + c - beta`` with room for second-order terms.
    """
    try:
        Zf = np.array([(to_float(za, s), to_float(zb, s), to_float(zc, s)) for za, zb, zc in Z])
        P = np.array([(to_float(X, D), to_float(Y, D), 1.0) for X, Y, D in verts])
    except Undecided:  # beyond the float range, or below its normal range
        return None
    out = np.zeros((len(Z), len(bps_f)), dtype=np.int64)
    with np.errstate(over="ignore", invalid="ignore"):  # inf and NaN fail both tests: undecided
        vals = Zf @ P.T
        mag = np.abs(Zf) @ np.abs(P).T
        for q, (beta, ebeta) in enumerate(bps_f):
            d = vals - beta
            e = 8 * U * (mag + abs(beta)) + ebeta + 1e-300
            out[:, q] = np.where((d > e).all(axis=1), 1, np.where((d < -e).all(axis=1), -1, 0))
    return out


def enumerate_cells(
    net: ExactNet,
    verts: tuple[Point, ...],
    edges: tuple[Line, ...],
    *,
    max_regions: int | None = None,
    progress: bool = False,
    max_memory: int | None = None,
) -> list[RawCell]:
    """Split the convex polygon ``(verts, edges)`` into the activation cells of ``net``.

    Parameters
    ----------
    net : ExactNet
        A network with 2-D input.
    verts : tuple of Point
        Counter-clockwise exact vertices of the polygon, homogeneous ``(X, Y, D)``.
    edges : tuple of Line
        ``edges[i]`` supports the edge from ``verts[i]`` to ``verts[i + 1]``, oriented
        with the interior on its positive side.
    max_regions : int, optional
        Stop with :class:`TooManyRegionsError` as soon as more cells than this exist.
    progress : bool
        Show a tqdm progress bar (after one second) on standard error.
    max_memory : int, optional
        Stop with :class:`~exact.errors.ResourceLimitError` as soon as the cells made so
        far would take more than this many bytes (estimated by :func:`cell_bytes`).

    Returns
    -------
    list of RawCell
        The cells in the order the splitting produces them, each with its exact
        polygon, activation pattern and output map.

    Raises
    ------
    TooManyRegionsError
        When more than ``max_regions`` cells exist after some layer.
    ResourceLimitError
        When the cells would take more than ``max_memory`` bytes.

    Notes
    -----
    Depth first (memory: :func:`cell_bytes` per final cell).  Each cell's pre-activations
    ``Z / s`` are exact; every breakpoint line is first placed by a float filter with a
    rigorous error bound (Higham 2002); only lines it cannot place cut the cell with
    exact integer predicates (the filter-then-exact scheme of Shewchuk 1997).

    References
    ----------
    .. [1] N. J. Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed.,
       SIAM, 2002, §2.2 and §3.1.
    .. [2] J. R. Shewchuk, "Adaptive precision floating-point arithmetic and fast robust
       geometric predicates", *Discrete Comput. Geom.* 18 (1997), 305-363.

    Examples
    --------
    >>> net = ExactNet.from_layers([([[1, 0], [0, 1]], [0, 0]), ([[1, 1]], [0])])
    >>> cells = enumerate_cells(net, *square(1, 1))
    >>> sorted(c.pattern for c in cells)
    [(0, 0), (0, 1), (1, 0), (1, 1)]
    >>> enumerate_cells(net, *square(1, 1), max_regions=3)
    Traceback (most recent call last):
    ...
    exact.errors.TooManyRegionsError: more than max_regions=3 cells after hidden layer 1; ...
    """
    layers = net.integer_layers()
    state = _chained_layers(net, layers[:-1], verts, edges, max_regions)
    limit = None if max_memory is None else max_memory // cell_bytes(sum(net.widths[1:-1]), net.widths[-1])
    return _output_cells(state, layers[-1], max_regions, limit, max_memory, progress)


def _chained_layers(net: ExactNet, hidden: list[IntLayer], verts: tuple[Point, ...], edges: tuple[Line, ...],
                    max_regions: int | None) -> Iterator[tuple]:
    """Chain one generator per hidden layer, each splitting the cells of the one before as they come.

    The cells come out depth first as ``(verts, edges, pattern, A rows, t)``.
    """
    state: Iterator[tuple] = iter([(verts, edges, (), ((1, 0, 0), (0, 1, 0)), 1)])
    counts = [0] * len(hidden)
    half = _square_half(verts, edges)
    n_lines = len(net.weights[0]) * len(net.activations[0].breakpoints) if hidden else 0
    for l, layer in enumerate(hidden):
        if l == 0 and half is not None and n_lines >= _TRACE_FROM:
            state = _first_layer_cells(net, half, counts, max_regions)
        else:
            state = _split_layer(state, layer, net.activations[l], l, counts, max_regions)
    return state


def cell_bytes(n_neurons: int, n_out: int) -> int:
    """Estimate the memory of one cell of :func:`enumerate_cells` and of :class:`exact.Regions`.

    Measured on seeded nets (``tests/test_memory.py``): about 3.3 kB for the polygon, the
    output map, the Regions cell and its adjacency, plus 8 bytes per hidden neuron for the
    pattern (a tuple) and 400 bytes per output.  The maps of the hidden layers are not
    held per cell (the cells are made depth first), and the whole plane's certificate
    rebuilds the constraints of the few cells it checks from their patterns.  Making the
    exact objects of certified cells a block at a time adds a few MB of temporaries,
    whatever the number of cells.

    Parameters
    ----------
    n_neurons : int
        Hidden neurons (the pattern's length).
    n_out : int
        Outputs.

    Returns
    -------
    int
        Bytes per cell.

    Examples
    --------
    >>> cell_bytes(600, 1) < 10_000
    True
    """
    return 3300 + 8 * n_neurons + 400 * n_out


def _lines_to_place(sure: np.ndarray | None, n_neurons: int, n_breaks: int) -> list[tuple[int, int]]:
    """List the ``(neuron, breakpoint)`` lines that the float filter could not place."""
    if sure is None:
        return [(j, q) for j in range(n_neurons) for q in range(n_breaks)]
    return [(int(j), int(q)) for j, q in zip(*np.nonzero(sure == 0))]


def _cut_parts(parts: list[tuple], j: int, q: int, line: Line) -> list[tuple]:
    """Split every part by the canonical ``line`` of neuron ``j`` at breakpoint ``q``, exactly.

    A part is ``(verts, edges, sides)``; ``sides`` maps ``(j, q)`` to the exact side of
    the part.  A cut part becomes two parts with copied ``sides``; an uncut part records
    its side in place.
    """
    new_parts = []
    for pv, pe, sides in parts:
        where, pos, negp = split_polygon(pv, pe, line)
        if where == 2:
            sp_, sn_ = dict(sides), dict(sides)
            sp_[j, q], sn_[j, q] = 1, -1
            new_parts.append((pos[0], pos[1], sp_))
            new_parts.append((negp[0], negp[1], sn_))
        else:
            sides[j, q] = where
            new_parts.append((pv, pe, sides))
    return new_parts


def _cut_cell(vs: tuple[Point, ...], es: tuple[Line, ...], Z: list[tuple[int, int, int]], s: int,
              bps: list[tuple[int, int]], sure: np.ndarray | None) -> list[tuple]:
    """Cut one cell by the breakpoint lines of its layer that the float filter left open.

    The cell is the polygon ``(vs, es)``; ``Z / s`` are its pre-activations, ``bn / bd``
    the breakpoints ``bps``.  Returns the parts ``(verts, edges, sides)``, with ``sides``
    the exactly decided ``{(j, q): side}``.
    """
    parts = [(vs, es, {})]
    for j, q in _lines_to_place(sure, len(Z), len(bps)):
        za, zb, zc = Z[j]
        bn, bd = bps[q]
        a, b, c = bd * za, bd * zb, bd * zc - bn * s
        if a == 0 and b == 0:
            sgn = (c > 0) - (c < 0)
            for p in parts:
                p[2][j, q] = sgn
            continue
        parts = _cut_parts(parts, j, q, canonical_line(a, b, c))
    return parts


def _piece_counts(sides: dict, base: np.ndarray, base_pieces: list[int]) -> list[int]:
    """Count, for every neuron on a part, the breakpoints below its pre-activation (its piece).

    The float filter's ``base`` decides unless ``sides`` holds an exact side.
    """
    n_breaks = base.shape[1]
    pieces = list(base_pieces)
    touched = {j for j, _ in sides}
    for j in touched:
        pieces[j] = sum(1 for q in range(n_breaks) if sides.get((j, q), base[j, q]) > 0)
    return pieces


def _rows_on(pieces: Sequence[int], table: list[list], Z, sl, ic, s: int, g: int) -> tuple:
    """Return each neuron's activated row on its piece, made once per (neuron, piece) in ``table``."""
    rows = []
    for j, q in enumerate(pieces):
        row = table[j][q]
        if row is None:
            row = table[j][q] = _piece_row(Z[j], sl[q], ic[q], s, g)
        rows.append(row)
    return tuple(rows)


def _piece_row(z: tuple[int, int, int], sq: int, kq: int, s: int, g: int) -> tuple[int, int, int]:
    """One neuron's activated row ``(slope * z + intercept * s) / g`` on one piece."""
    if sq == 0:
        row = (0, 0, kq * s)
    elif sq == 1 and kq == 0:
        row = z
    else:
        row = (sq * z[0], sq * z[1], sq * z[2] + kq * s)
    return row if g == 1 else (row[0] // g, row[1] // g, row[2] // g)


def _children(parts: list[tuple], pat: tuple[int, ...], Z: list[tuple[int, int, int]], s: int,
              base: np.ndarray, integer_form: tuple[int, tuple[int, ...], tuple[int, ...]]) -> list[tuple]:
    """Make the next layer's cells ``(verts, edges, pattern, A, t)`` of the parts.

    The siblings share one scale ``t`` (so the next layer can update maps
    incrementally): every child row is ``slope * Z_j + intercept * s e3``, so
    ``gcd(s, Z)`` divides all of them.  They also share the row tuples themselves: a
    neuron on the same piece in two siblings has the same row object.
    """
    mu, sl, ic = integer_form
    base_pieces = (base > 0).sum(axis=1).tolist()
    g = math.gcd(s, *(v for r in Z for v in r))
    t_c = mu * s // g
    table: list[list] = [[None] * len(sl) for _ in Z]  # row of neuron j on piece q, made once
    out = []
    for pv, pe, sides in parts:
        pieces = _piece_counts(sides, base, base_pieces)
        out.append((pv, pe, pat + tuple(pieces), _rows_on(pieces, table, Z, sl, ic, s, g), t_c))
    return out


_TRACE_FROM = 20
"""From this many first-layer lines on, a square's first layer is traced as an arrangement
(:func:`_first_layer_cells`) instead of cut line by line (measured: as fast at about 20
lines, 5x faster at 100; cutting keeps, per part, the side of every line)."""


def _square_half(verts: tuple[Point, ...], edges: tuple[Line, ...]) -> Fraction | None:
    """Return ``h`` if the polygon is the square ``[-h, h]^2`` as :func:`square` makes it, else None."""
    X, _, D = verts[0]
    return Fraction(-X, D) if X < 0 and (verts, edges) == square(-X, D) else None


def _first_layer_cells(net: ExactNet, half: Fraction, counts: list[int],
                       max_regions: int | None) -> Iterator[tuple]:
    """Yield the first hidden layer's cells in ``[-half, half]^2``: the faces of its lines.

    The same cells :func:`_split_layer` makes by cutting the square line after line, but
    traced at once by :func:`exact.line_arrangement.build_arrangement` (``O(n^2 log n)``
    instead of cutting every part by every line, and no record of each part's sides).
    The pieces follow from one face's exact sides, flipped across the shared edges
    (:class:`exact.face_maps.FaceMaps`, one bit per face and line).
    """
    layer, act = net.integer_layers()[0], net.activations[0]
    s = layer.scale
    Z = _MapCache(np.array(layer.Wi, dtype=object), layer.bi)(((1, 0, 0), (0, 1, 0)), 1)
    cut = first_layer_lines(net)
    if max_regions is not None and arrangement_faces(cut, half) > max_regions:
        raise TooManyRegionsError(f"more than max_regions={max_regions} cells after hidden layer 1; "
                                  "raise max_regions (None for no limit) or shrink the window "
                                  "(or give one, not the whole plane)")
    arr = build_arrangement(cut, half)
    counts[0] += len(arr.faces)
    fm = FaceMaps(net, FaceGraph.from_arrangement(arr), maps=False)
    mu, sl, ic = act.integer_form
    g = math.gcd(s, *(v for r in Z for v in r))
    table: list[list] = [[None] * len(sl) for _ in Z]
    faces = arr.faces
    del arr  # the adjacency is no longer needed, and each face goes once yielded
    faces.reverse()
    for start in range(0, len(fm), _CHUNK):
        for pieces in fm.pieces(slice(start, start + _CHUNK)).tolist():
            vs, es, _ = faces.pop()
            yield vs, es, tuple(pieces), _rows_on(pieces, table, Z, sl, ic, s, g), mu * s // g


_CHUNK = 4096
"""Faces whose patterns are unpacked at once by :func:`_first_layer_cells`."""


def _split_layer(state: Iterable[tuple], layer: IntLayer, act: Activation, layer_no: int, counts: list[int],
                 max_regions: int | None) -> Iterator[tuple]:
    """Split the cells of ``state`` by the breakpoint lines of hidden layer ``layer_no``, lazily.

    Yields the children of one cell after the other (and lets go of each once yielded), so
    that chained over the layers the cells are made depth first; ``counts[layer_no]``
    counts them.
    """
    integer_form = act.integer_form
    bps = [(b.numerator, b.denominator) for b in act.breakpoints]
    layer_map = _MapCache(np.array(layer.Wi, dtype=object), layer.bi)
    # each breakpoint as a float and a bound on its error (infinite beyond the float range)
    bps_f = [(lo, hi - lo) for lo, hi in (float_bounds(Fraction(bn, bd)) for bn, bd in bps)]
    for vs, es, pat, A, t in state:
        s = layer.scale * t
        Z = layer_map(A, t)
        sure = _float_sides(Z, s, vs, bps_f)
        parts = _cut_cell(vs, es, Z, s, bps, sure)
        base = sure if sure is not None else np.zeros((len(Z), len(bps)), dtype=np.int64)
        children = _children(parts, pat, Z, s, base, integer_form)
        del parts
        counts[layer_no] += len(children)
        if max_regions is not None and counts[layer_no] > max_regions:
            raise TooManyRegionsError(
                f"more than max_regions={max_regions} cells after hidden layer {layer_no + 1}; "
                "raise max_regions (None for no limit) or shrink the window "
                "(or give one, not the whole plane)"
            )
        children.reverse()
        while children:
            yield children.pop()


def _output_cells(state: Iterable[tuple], out_layer: IntLayer, max_regions: int | None, limit: int | None,
                  max_memory: int | None, progress: bool) -> list[RawCell]:
    """Attach the output layer's exact map (in lowest terms) to every cell, up to ``limit`` cells."""
    cells: list[RawCell] = []
    out_map = _MapCache(np.array(out_layer.Wi, dtype=object), out_layer.bi)
    bar = progress_bar(progress, None, "cells", unit="cell")
    try:
        for vs, es, pat, A, t in state:
            rows_r, s_r = reduce_map(out_map(A, t), out_layer.scale * t)
            cells.append(RawCell(vs, es, pat, rows_r, s_r))
            if len(cells) % 1024 == 0:
                bar.update(1024)
                if limit is not None and len(cells) > limit:
                    raise ResourceLimitError(
                        f"the exact cells would need more than max_memory={format_bytes(max_memory)} "
                        f"(more than {len(cells):,} cells so far, about {format_bytes(max_memory / limit)} "
                        "each); raise max_memory (None for no limit) or shrink the window "
                        "(or give one, not the whole plane), or count them "
                        "with count_regions, which builds no polygons"
                    )
    finally:
        bar.close()
    if max_regions is not None and len(cells) > max_regions:
        raise TooManyRegionsError(f"{len(cells)} cells exceed max_regions={max_regions}")
    return cells

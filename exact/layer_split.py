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
Complexity: for each hidden layer of width ``k`` with ``q`` breakpoints per neuron,
every cell costs ``O(k * n_prev)`` big-integer multiplications for its map plus
``O(k q V)`` sign evaluations for its ``V`` vertices; output-sensitive in the number of
cells.  Exactness: the only decisions are signs of integer expressions; a float filter
with a rigorous error bound only spares exact work on lines that certainly miss a cell
(see :func:`enumerate_cells` for the references).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from ._fp import U
from ._progress import progress_bar
from .activations import Activation
from .errors import TooManyRegionsError
from .network import ExactNet, IntLayer
from .predicates import Line, Point, canonical_line, split_polygon

__all__ = ["RawCell", "enumerate_cells", "square"]


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
    constraints : tuple of Line
        With ``keep_constraints``, every breakpoint line that defines the pattern,
        oriented with the cell on its positive side; else empty.

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
    constraints: tuple[Line, ...] = field(default=())  # oriented: interior on + side


def square(half_num: int, half_den: int) -> tuple[tuple[Point, ...], tuple[Line, ...]]:
    """Return the square ``[-h, h]^2`` with ``h = half_num / half_den`` as an exact polygon.

    Parameters
    ----------
    half_num, half_den : int
        Numerator and positive denominator of the half-width ``h``.

    Returns
    -------
    verts : tuple of 4 Point
        The corners, counter-clockwise from ``(-h, -h)``.
    edges : tuple of 4 Line
        ``edges[i]`` supports the side from ``verts[i]`` to ``verts[i + 1]``, oriented
        with the interior on its positive side.

    Examples
    --------
    >>> verts, edges = square(1, 2)
    >>> verts[0], edges[0]
    ((-1, -1, 2), (0, 2, 1))
    """
    n, d = half_num, half_den
    verts = ((-n, -n, d), (n, -n, d), (n, n, d), (-n, n, d))
    edges = ((0, d, n), (-d, 0, n), (0, -d, n), (d, 0, n))  # y>-h, x<h, y<h, x>-h
    return verts, edges


def _reduce_map(rows: Sequence[tuple[int, int, int]], t: int) -> tuple[tuple, int]:
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
    when a value overflows the float range.

    In the standard model of float arithmetic (Higham 2002, §2.2), coefficients ``z/s``
    and vertex coordinates are correctly rounded (relative error u);
    the products, the three-term sum and the subtraction of ``beta`` add at most
    ``(2u + 3u + u)`` of the magnitudes, so ``8u (|a x| + |b y| + |c| + |beta|)`` bounds
    the absolute error of ``a x + b y + c - beta`` with room for second-order terms.
    """
    try:
        Zf = np.array([(za / s, zb / s, zc / s) for za, zb, zc in Z])
        P = np.array([(X / D, Y / D, 1.0) for X, Y, D in verts])
    except OverflowError:
        return None
    vals = Zf @ P.T
    mag = np.abs(Zf) @ np.abs(P).T
    out = np.zeros((len(Z), len(bps_f)), dtype=np.int64)
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
    keep_constraints: bool = False,
    progress: bool = False,
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
    keep_constraints : bool
        Keep, for every cell, all oriented breakpoint lines defining its pattern (needed
        to certify whole-plane counts).
    progress : bool
        Show a tqdm progress bar (after one second) on standard error.

    Returns
    -------
    list of RawCell
        The cells in the order the splitting produces them, each with its exact
        polygon, activation pattern and output map.

    Raises
    ------
    TooManyRegionsError
        When more than ``max_regions`` cells exist after some layer.

    Notes
    -----
    Layer by layer, each cell's pre-activations ``Z / s`` are computed exactly and every
    breakpoint line is first placed by a float filter with a rigorous error bound
    (standard model, Higham 2002); only lines the filter cannot place cut the cell with
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
    hidden, out_layer = layers[:-1], layers[-1]
    # state: (verts, edges, pattern, A rows, t, constraints)
    state: list[tuple] = [(verts, edges, (), ((1, 0, 0), (0, 1, 0)), 1, ())]
    bar = None
    try:
        for l, layer in enumerate(hidden):
            if bar is not None:
                bar.close()
            bar = progress_bar(progress, len(state), f"layer {l + 1}/{len(hidden)}", unit="cell")
            state = _split_layer(state, layer, net.activations[l], l, bar, max_regions, keep_constraints)
    finally:
        if bar is not None:
            bar.close()
    return _output_cells(state, out_layer, max_regions)


def _lines_to_place(sure: np.ndarray | None, n_neurons: int, n_breaks: int,
                    keep_constraints: bool) -> list[tuple[int, int, int]]:
    """List the ``(neuron, breakpoint, certified side)`` lines that exact work must handle.

    The side is 0 when the float filter could not place the line; a nonzero side is
    listed only when ``keep_constraints`` asks for the constraint line to be recorded.
    """
    if sure is None:
        return [(j, q, 0) for j in range(n_neurons) for q in range(n_breaks)]
    if keep_constraints:
        return [(j, q, k) for j, row in enumerate(sure.tolist()) for q, k in enumerate(row)]
    # only the lines the float filter could not place need exact work
    return [(int(j), int(q), 0) for j, q in zip(*np.nonzero(sure == 0))]


def _cut_parts(parts: list[tuple], j: int, q: int, line: Line, keep_constraints: bool) -> list[tuple]:
    """Split every part by the canonical ``line`` of neuron ``j`` at breakpoint ``q``, exactly.

    A part is ``(verts, edges, sides, constraints)``; ``sides`` maps ``(j, q)`` to the
    exact side of the part.  A cut part becomes two parts with copied ``sides``; an uncut
    part records its side in place.
    """
    neg = (-line[0], -line[1], -line[2])
    new_parts = []
    for pv, pe, sides, pc in parts:
        where, pos, negp = split_polygon(pv, pe, line)
        if where == 2:
            sp_, sn_ = dict(sides), dict(sides)
            sp_[j, q], sn_[j, q] = 1, -1
            pcp, pcn = (pc + (line,), pc + (neg,)) if keep_constraints else (pc, pc)
            new_parts.append((pos[0], pos[1], sp_, pcp))
            new_parts.append((negp[0], negp[1], sn_, pcn))
        else:
            sides[j, q] = where
            if keep_constraints:
                pc = pc + ((line,) if where > 0 else (neg,))
            new_parts.append((pv, pe, sides, pc))
    return new_parts


def _cut_cell(vs: tuple[Point, ...], es: tuple[Line, ...], cons: tuple[Line, ...],
              Z: list[tuple[int, int, int]], s: int, bps: list[tuple[int, int]],
              sure: np.ndarray | None, keep_constraints: bool) -> list[tuple]:
    """Cut one cell by the breakpoint lines of its layer that the float filter left open.

    The cell is the polygon ``(vs, es)`` with constraints ``cons``; ``Z / s`` are its
    pre-activations, ``bn / bd`` the breakpoints ``bps``.  Returns the parts
    ``(verts, edges, sides, constraints)``, with ``sides`` the exactly decided
    ``{(j, q): side}``.
    """
    parts = [(vs, es, {}, cons)]
    for j, q, known in _lines_to_place(sure, len(Z), len(bps), keep_constraints):
        za, zb, zc = Z[j]
        bn, bd = bps[q]
        a, b, c = bd * za, bd * zb, bd * zc - bn * s
        if known:  # certified side; only the constraint line is recorded
            if a == 0 and b == 0:
                continue  # constant on the cell: no constraint
            line = canonical_line(a, b, c)
            oriented = line if known > 0 else (-line[0], -line[1], -line[2])
            parts = [(pv, pe, sides, pc + (oriented,)) for pv, pe, sides, pc in parts]
            continue
        if a == 0 and b == 0:
            sgn = (c > 0) - (c < 0)
            for p in parts:
                p[2][j, q] = sgn
            continue
        parts = _cut_parts(parts, j, q, canonical_line(a, b, c), keep_constraints)
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


def _activated_rows(Z: list[tuple[int, int, int]], pieces: list[int], sl: tuple[int, ...],
                    ic: tuple[int, ...], s: int) -> list[tuple[int, int, int]]:
    """Apply each neuron's piece to its pre-activation: rows ``slope * z + intercept``, over ``mu * s``."""
    rows = []
    for (za, zb, zc), q in zip(Z, pieces):
        sq, kq = sl[q], ic[q]
        if sq == 0:
            rows.append((0, 0, kq * s))
        elif sq == 1 and kq == 0:
            rows.append((za, zb, zc))
        else:
            rows.append((sq * za, sq * zb, sq * zc + kq * s))
    return rows


def _children(parts: list[tuple], pat: tuple[int, ...], Z: list[tuple[int, int, int]], s: int,
              base: np.ndarray, integer_form: tuple[int, tuple[int, ...], tuple[int, ...]]) -> list[tuple]:
    """Make the next layer's cells ``(verts, edges, pattern, A, t, constraints)`` of the parts.

    The siblings share one scale ``t`` (so the next layer can update maps
    incrementally): every child row is ``slope * Z_j + intercept * s e3``, so
    ``gcd(s, Z)`` divides all of them.
    """
    mu, sl, ic = integer_form
    base_pieces = (base > 0).sum(axis=1).tolist()
    t_c = mu * s
    g = math.gcd(s, *(v for r in Z for v in r))
    out = []
    for pv, pe, sides, pc in parts:
        pieces = _piece_counts(sides, base, base_pieces)
        rows = _activated_rows(Z, pieces, sl, ic, s)
        if g > 1:
            rows = tuple((a // g, b // g, c // g) for a, b, c in rows)
        out.append((pv, pe, pat + tuple(pieces), tuple(rows), t_c // g, pc))
    return out


def _split_layer(state: list[tuple], layer: IntLayer, act: Activation, layer_no: int, bar: Any,
                 max_regions: int | None, keep_constraints: bool) -> list[tuple]:
    """Split every cell of ``state`` by the breakpoint lines of hidden layer ``layer_no``."""
    integer_form = act.integer_form
    bps = [(b.numerator, b.denominator) for b in act.breakpoints]
    layer_map = _MapCache(np.array(layer.Wi, dtype=object), layer.bi)
    bps_f = [(float(Fraction(bn, bd)), abs(float(Fraction(bn, bd))) * U) for bn, bd in bps]
    nxt: list[tuple] = []
    for vs, es, pat, A, t, cons in state:
        s = layer.scale * t
        Z = layer_map(A, t)
        sure = _float_sides(Z, s, vs, bps_f)
        parts = _cut_cell(vs, es, cons, Z, s, bps, sure, keep_constraints)
        base = sure if sure is not None else np.zeros((len(Z), len(bps)), dtype=np.int64)
        nxt += _children(parts, pat, Z, s, base, integer_form)
        if max_regions is not None and len(nxt) > max_regions:
            raise TooManyRegionsError(
                f"more than max_regions={max_regions} cells after hidden layer {layer_no + 1}; "
                "raise max_regions (memory grows about 1 kB per cell) or shrink the window"
            )
        bar.update(1)
    return nxt


def _output_cells(state: list[tuple], out_layer: IntLayer, max_regions: int | None) -> list[RawCell]:
    """Attach the output layer's exact map (in lowest terms) to every cell."""
    cells = []
    out_map = _MapCache(np.array(out_layer.Wi, dtype=object), out_layer.bi)
    for vs, es, pat, A, t, cons in state:
        rows_r, s_r = _reduce_map(out_map(A, t), out_layer.scale * t)
        cells.append(RawCell(vs, es, pat, rows_r, s_r, cons))
    if max_regions is not None and len(cells) > max_regions:
        raise TooManyRegionsError(f"{len(cells)} cells exceed max_regions={max_regions}")
    return cells

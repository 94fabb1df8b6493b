"""Exact activation cells of a piecewise-linear MLP in a box of any dimension, layer by layer.

The ``d``-dimensional twin of :mod:`exact.layer_split`.  A cell is an exact
:class:`~exact.nd.polytope.Polytope` together with the exact affine map of the current
layer's activations on it, kept as integer rows ``(a_1, ..., a_d, c)`` over one positive
integer scale ``t`` (the same conventions as the plane's engine:
:meth:`ExactNet.integer_layers <exact.network.ExactNet.integer_layers>`,
:attr:`Activation.integer_form <exact.activations.Activation.integer_form>`).  Each hidden
layer splits every cell by the breakpoint hyperplanes of its neurons, computed from the
cell's own map; a float filter with a rigorous bound (:mod:`exact.nd.float_filter`)
spares the exact work on hyperplanes that certainly miss a cell, and every other
hyperplane cuts the cell with the exact :func:`~exact.nd.polytope.split`.

Examples
--------
>>> from fractions import Fraction
>>> from exact.network import ExactNet
>>> from exact.nd.polytope import box
>>> net = ExactNet.from_layers([([[1, 0, 0], [0, 1, 0], [0, 0, 1]], [0, 0, 0]), ([[1, 1, 1]], [0])])
>>> cells = enumerate_cells_nd(net, box([Fraction(-1)] * 3, [Fraction(1)] * 3))
>>> len(cells), sorted(c.pattern for c in cells)[:2]     # the 8 octants
(8, [(0, 0, 0), (0, 0, 1)])
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from operator import mul

import numpy as np

from .._certified.budget import format_bytes
from .._float_range import float_bounds
from .._progress import progress_bar
from ..activations import Activation
from ..errors import ResourceLimitError, TooManyRegionsError
from ..network import ExactNet, IntLayer
from .float_filter import bounding_box, point_floats, row_floats, sure_box_signs, sure_signs
from .polytope import Polytope, pair_table_bytes, primitive, split

__all__ = ["part_bytes", "RawCellND", "cell_bytes_nd", "enumerate_cells_nd", "pre_activations"]


@dataclass
class RawCellND:
    """A cell as the kernel makes it (exact integers only).

    Attributes
    ----------
    poly : Polytope
        The cell: its vertices, rows (the box's ``2 d`` first) and tight sets.
    pattern : tuple of int
        Piece index of every hidden neuron, layer after layer.
    out : tuple of tuple of int
        One row ``(a_1, ..., a_d, c)`` per output: the output is ``(a . x + c) / out_den``.
    out_den : int
        Positive denominator; ``out`` and ``out_den`` in lowest terms together, so two
        cells have the same output map iff these are equal.
    """

    poly: Polytope
    pattern: tuple[int, ...]
    out: tuple[tuple[int, ...], ...]
    out_den: int


def cell_bytes_nd(n_vertices: int, n_rows: int, d: int, n_neurons: int, n_out: int) -> int:
    """Estimate the memory of one cell of :func:`enumerate_cells_nd` with its result object.

    About 50 bytes per small integer and 56 + 8 per tuple entry (CPython 3.11), for the
    vertices, the rows, the tight masks, the pattern and the output map, plus 1 kB for
    the cell object and its facet index; ``tests/test_nd_engine.py`` checks it against
    ``tracemalloc`` on a seeded net.

    Parameters
    ----------
    n_vertices, n_rows : int
        Size of the cell's polytope.
    d : int
        Input dimension.
    n_neurons, n_out : int
        Hidden neurons (pattern length) and outputs.

    Returns
    -------
    int
        Bytes.

    Examples
    --------
    >>> cell_bytes_nd(20, 12, 3, 48, 1) < 20_000
    True
    """
    per_tuple = 56 + 8 * (d + 1) + 40 * (d + 1)
    return 1000 + (n_vertices + n_rows + n_out) * per_tuple + 60 * n_vertices + 8 * n_neurons + 56


def part_bytes(n_vertices: int, n_rows: int, d: int) -> int:
    """Estimate the memory of a polytope while a cell is cut (its rows are shared with its siblings).

    Measured with ``tracemalloc`` on the first layer of a seeded 3-120-1 net in a box
    (258 637 parts of 8 vertices: 2.75 kB each, this estimate 3.2 kB with the float box
    each part gets; the cut's side table, one byte per part and hyperplane, is counted apart).

    Parameters
    ----------
    n_vertices, n_rows : int
        Size of the polytope.
    d : int
        Input dimension.

    Returns
    -------
    int
        Bytes.

    Examples
    --------
    >>> part_bytes(8, 32, 3)
    3170
    """
    return 450 + n_vertices * (56 + 48 * (d + 1) + 60) + 8 * n_rows


def _identity(d: int) -> tuple[tuple[int, ...], ...]:
    """Return the input's map ``x_i`` as integer rows ``(e_i, 0)``."""
    return tuple(tuple(1 if k == i else 0 for k in range(d + 1)) for i in range(d))


def enumerate_cells_nd(net: ExactNet, start: Polytope, *, max_regions: int | None = None,
                       max_memory: int | None = None, progress: bool = False) -> list[RawCellND]:
    """Split the polytope ``start`` into the activation cells of ``net``.

    Parameters
    ----------
    net : ExactNet
        A network whose input width is the dimension of ``start``.
    start : Polytope
        A full-dimensional polytope (a :func:`~exact.nd.polytope.box`).
    max_regions : int, optional
        Stop with :class:`~exact.errors.TooManyRegionsError` as soon as more cells than
        this exist after some layer.
    max_memory : int, optional
        Stop with :class:`~exact.errors.ResourceLimitError` as soon as the cells made so
        far would take more than this many bytes (:func:`cell_bytes_nd` each).
    progress : bool
        A tqdm progress bar on standard error (after one second).

    Returns
    -------
    list of RawCellND
        The cells, depth first, each with its polytope, pattern and output map.

    Raises
    ------
    TooManyRegionsError
        More than ``max_regions`` cells.
    ResourceLimitError
        The cells would take more than ``max_memory`` bytes, or the memory ran out
        (a ``MemoryError``, told with the cells made so far).

    Notes
    -----
    Depth first: the layers are chained generators, so only the final cells and one
    path of parents are held.  A cell with ``V`` vertices costs, per hidden layer of
    width ``k``, ``O(k n_prev d)`` big-integer products for its map and one float
    product ``(k, d+1) x (d+1, V)`` for the filter; each hyperplane the filter cannot
    place costs ``O(V d)`` exact products and a :func:`~exact.nd.polytope.split`.

    Examples
    --------
    >>> from fractions import Fraction
    >>> from exact.nd.polytope import box
    >>> net = ExactNet.from_layers([([[1], [1]], [0, -1]), ([[1, -1]], [0])])   # relu(x) - relu(x - 1)
    >>> cells = enumerate_cells_nd(net, box([Fraction(-2)], [Fraction(2)]))
    >>> sorted((c.pattern, c.out, c.out_den) for c in cells)
    [((0, 0), ((0, 0),), 1), ((1, 0), ((1, 0),), 1), ((1, 1), ((0, 1),), 1)]
    """
    layers = net.integer_layers()
    state: Iterator[tuple] = iter([(start, (), _identity(net.input_dim), 1)])
    d, n_neurons, n_out = net.input_dim, sum(net.widths[1:-1]), net.output_dim
    budget = _Budget(max_regions, max_memory, progress, lambda p: part_bytes(len(p.verts), len(p.rows), d),
                     lambda p: cell_bytes_nd(len(p.verts), len(p.rows), d, n_neurons, n_out))
    try:
        for l, layer in enumerate(layers[:-1]):
            state = _split_layer(state, layer, net.activations[l], l, budget)
        return _output_cells(state, layers[-1], net, budget)
    except MemoryError:  # a pair table or the cells past what the estimates saw
        made = ", ".join(f"{n:,} in hidden layer {l + 1}" for l, n in sorted(budget.counts.items())) or "none"
        widths = "-".join(map(str, net.widths))
        raise ResourceLimitError(
            f"ran out of memory making the exact cells of the {widths} net (cells so far: {made}; "
            f"about {format_bytes(budget.held)} held by the estimate, the box had {len(start.verts):,} "
            "corners); give max_memory below the free memory to be stopped sooner, or use a smaller net "
            "or window") from None


def pre_activations(W: np.ndarray, bi: Sequence[int], scale: int, A: tuple, t: int
                    ) -> tuple[list[tuple[int, ...]], int]:
    """Return a layer's pre-activations ``Z / s`` on a cell whose input is ``A / t``.

    Parameters
    ----------
    W : ndarray of object (Python ints), shape (k, n)
        The layer's integer weights (:attr:`IntLayer.Wi <exact.network.IntLayer>`).
    bi : sequence of int, shape (k,)
        Its integer biases.
    scale : int
        Its scale (``W / scale`` are the weights).
    A : tuple of tuple of int, shape (n, d + 1)
        The layer's input as integer rows ``(a, c)`` over ``t``.
    t : int
        Positive scale of ``A``.

    Returns
    -------
    Z : list of tuple of int, shape (k, d + 1)
    s : int
        ``scale * t``: the pre-activations are ``Z / s``.

    Examples
    --------
    >>> pre_activations(np.array([[2, 0], [1, 1]], dtype=object), [1, 0], 2, ((1, 0, 0), (0, 1, 0)), 1)
    ([(2, 0, 1), (1, 1, 0)], 2)
    """
    Z = W.dot(np.array(A, dtype=object)).tolist()
    for row, b in zip(Z, bi):
        row[-1] += b * t
    return [tuple(r) for r in Z], scale * t


def _float_sides(Z: list, s: int, poly: Polytope, bps_f: list[tuple[float, float]]) -> np.ndarray | None:
    """Each (neuron, breakpoint) hyperplane's certain side of the whole cell, 0 where unsure.

    None when the float filter cannot hold the cell's numbers (everything exact then).
    """
    Zf = row_floats(Z, s)
    P = point_floats(poly.verts) if Zf is not None else None
    if P is None:
        return None
    out = np.zeros((len(Z), len(bps_f)), dtype=np.int8)
    for q, (beta, err) in enumerate(bps_f):
        sg = sure_signs(Zf, P, beta, err)
        out[:, q] = np.where((sg == 1).all(axis=1), 1, np.where((sg == -1).all(axis=1), -1, 0))
    return out


def _breakpoint_row(z: tuple[int, ...], s: int, bp: tuple[int, int]) -> tuple[int, ...] | int:
    """Return the hyperplane ``z / s = bn / bd`` as a primitive row, or its sign if ``z`` is constant."""
    bn, bd = bp
    row = [bd * v for v in z]
    row[-1] -= bn * s
    if not any(row[:-1]):
        return (row[-1] > 0) - (row[-1] < 0)
    return primitive(row)


class _Budget:
    """The guards, checked while the cells are made: cells per layer, bytes held, a progress bar per cut.

    ``held`` counts the bytes of the finished cells and of the cells waiting to be split
    by the next layer; a cell being cut adds its parts' bytes, so that one big cut (the
    first layer's hyperplanes across the whole box) is stopped as soon as it passes a
    limit, not after it is built.
    """

    def __init__(self, max_regions: int | None, max_memory: int | None, progress: bool, size: Callable,
                 final_size: Callable):
        self.max_regions, self.max_memory, self.progress = max_regions, max_memory, progress
        self.size, self.final_size = size, final_size   # a part or waiting cell; a finished cell
        self.counts: dict[int, int] = {}
        self.held = 0

    def check(self, layer_no: int, n_parts: int, parts_bytes: int) -> None:
        """Refuse past ``max_regions`` cells in a layer (``n_parts`` more) or ``max_memory`` bytes held."""
        n = self.counts.get(layer_no, 0) + n_parts
        if self.max_regions is not None and n > self.max_regions:
            raise TooManyRegionsError(
                f"more than max_regions={self.max_regions} cells after hidden layer {layer_no + 1}; "
                "raise max_regions (None for no limit) or shrink the window "
                "(or give one, not the whole space)")
        used = self.held + parts_bytes
        if self.max_memory is not None and used > self.max_memory:
            raise ResourceLimitError(
                f"the exact cells would need more than max_memory={format_bytes(self.max_memory)} "
                f"({n:,} cells in hidden layer {layer_no + 1} so far, {format_bytes(used)} held); "
                "raise max_memory (None for no limit) or shrink the window "
                "(or give one, not the whole space)")


class _Parts:
    """The parts of one cell while it is cut: polytopes, exact sides, float bounding boxes.

    ``sides[k, h]`` is part ``k``'s exact side of the ``h``-th hyperplane cut (0 until
    known); the boxes, made when first needed, let one vectorised test place a
    hyperplane against every part.
    """

    def __init__(self, poly: Polytope, n_cuts: int, size: Callable):
        self.polys = [poly]
        self.sides = np.zeros((4, n_cuts), dtype=np.int8)
        self.boxes: list[tuple[np.ndarray, np.ndarray] | None] = [None]
        self.size = size
        self.bytes = size(poly)  # an estimate (cell_bytes_nd of each part when it was made)

    def __len__(self) -> int:
        return len(self.polys)

    def replace(self, k: int, above: Polytope, below: Polytope, h: int) -> None:
        """Part ``k`` is cut by hyperplane ``h``: it becomes ``above``, and ``below`` is added."""
        n = len(self.polys)
        if n == len(self.sides):
            self.sides = np.concatenate([self.sides, np.zeros_like(self.sides)])
        self.polys[k] = above
        self.polys.append(below)
        self.sides[n] = self.sides[k]
        self.sides[k, h], self.sides[n, h] = 1, -1
        self.boxes[k] = None
        self.boxes.append(None)
        self.bytes += self.size(below)

    def box_signs(self, row: np.ndarray) -> np.ndarray:
        """Return the certain sign of the float ``row`` on every part's bounding box (0 where unsure)."""
        d = len(row) - 1
        for k, b in enumerate(self.boxes):
            if b is None:
                self.boxes[k] = bounding_box(point_floats(self.polys[k].verts), d)
        lo = np.array([b[0] for b in self.boxes])
        hi = np.array([b[1] for b in self.boxes])
        return sure_box_signs(lo, hi, row)


_BOX_FILTER_FROM = 4
"""From this many parts on, each hyperplane is first placed against all the parts' float boxes at once."""


def _cut_cell(poly: Polytope, Z: list, s: int, bps: list[tuple[int, int]], sure: np.ndarray | None,
              budget: _Budget, layer_no: int) -> tuple[list[Polytope], np.ndarray]:
    """Cut a cell by the hyperplanes the float filter left open, within the budget.

    Returns the parts and each part's piece of every neuron (``(parts, neurons)`` ints).
    """
    n_breaks = len(bps)
    if sure is None:
        sure = np.zeros((len(Z), n_breaks), dtype=np.int8)
    todo = [(int(j), int(q)) for j, q in zip(*np.nonzero(sure == 0))]
    parts = _Parts(poly, len(todo), budget.size)
    bar = progress_bar(budget.progress and len(todo) >= _CUT_BAR_FROM, len(todo),
                       f"layer {layer_no + 1}: hyperplanes", unit="plane")
    try:
        for h, (j, q) in enumerate(todo):
            room = (None if budget.max_memory is None
                    else budget.max_memory - budget.held - parts.bytes - parts.sides.nbytes)
            _cut_one(parts, _breakpoint_row(Z[j], s, bps[q]), h, room)
            budget.check(layer_no, len(parts), parts.bytes + parts.sides.nbytes)
            bar.update()
    finally:
        bar.close()
    pieces = np.tile((sure > 0).sum(axis=1), (len(parts), 1))
    for h, (j, _) in enumerate(todo):
        pieces[:, j] += parts.sides[: len(parts), h] > 0
    return parts.polys, pieces


_CUT_BAR_FROM = 64
"""A cell cut by at least this many hyperplanes gets its own progress bar (when asked for)."""


def _cut_one(parts: _Parts, row: tuple[int, ...] | int, h: int, room: int | None = None) -> None:
    """Cut every part that hyperplane ``row`` (the ``h``-th) crosses; record each part's side of it.

    ``room``: the bytes left under ``max_memory``; a cut whose table of vertex pairs
    (:func:`~exact.nd.polytope.pair_table_bytes`) would not fit is refused before it is made.
    """
    n = len(parts)
    if isinstance(row, int):  # constant on the cell: its sign decides, no hyperplane
        parts.sides[:n, h] = row
        return
    cand: Iterable[int] = range(n)
    if n >= _BOX_FILTER_FROM:
        rf = row_floats([row], 1)
        if rf is not None:
            parts.sides[:n, h] = parts.box_signs(rf[0])
            cand = np.nonzero(parts.sides[:n, h] == 0)[0].tolist()
    for k in cand:
        _check_pair_table(parts.polys[k], row, room)
        where, above, below = split(parts.polys[k], row)
        if where == 2:
            parts.replace(k, above, below, h)
        else:
            parts.sides[k, h] = where


def _check_pair_table(poly: Polytope, row: tuple[int, ...], room: int | None) -> None:
    """Refuse the cut of ``poly`` by ``row`` when its table of vertex pairs alone passes ``room`` bytes.

    The running estimate counts the cells, not this table (16 bytes for each pair of vertices
    on opposite sides, held at once): at 12-12-1 the process grew by 0.5 - 0.9 GB in such
    tables while the estimate said 24 - 63 MB.  The sides are counted exactly only when even
    an even split of the vertices would not fit.
    """
    n = len(poly.verts)
    if room is None or pair_table_bytes((n + 1) // 2, n // 2, len(poly.rows)) <= room:
        return
    vals = [sum(map(mul, row, p)) for p in poly.verts]
    n_pos, n_neg = sum(v > 0 for v in vals), sum(v < 0 for v in vals)
    need = pair_table_bytes(n_pos, n_neg, len(poly.rows))
    if need > max(room, 0):
        raise ResourceLimitError(
            f"cutting a cell of {n:,} vertices compares {n_pos:,} x {n_neg:,} vertex pairs at once "
            f"({format_bytes(need)}), more than the {format_bytes(max(room, 0))} left under max_memory; "
            "raise max_memory (None for no limit), or use a smaller window or a net with fewer inputs")


def _children(polys: list[Polytope], pieces: np.ndarray, pat: tuple, Z: list, s: int,
              integer_form: tuple[int, tuple[int, ...], tuple[int, ...]]) -> list[tuple]:
    """Make the next layer's cells ``(polytope, pattern, A, t)`` of the parts.

    The siblings share the scale ``t = mu s / g`` with ``g = gcd(s, Z)``, which divides
    every activated row ``slope * Z_j + intercept * s``.
    """
    mu, sl, ic = integer_form
    g = math.gcd(s, *(v for r in Z for v in r))
    table: dict[tuple[int, int], tuple[int, ...]] = {}
    out = []
    for poly, pc in zip(polys, pieces.tolist()):
        rows = []
        for j, q in enumerate(pc):
            row = table.get((j, q))
            if row is None:
                row = [sl[q] * z for z in Z[j]]
                row[-1] += ic[q] * s
                row = table[j, q] = tuple(v // g for v in row)
            rows.append(row)
        out.append((poly, pat + tuple(pc), tuple(rows), mu * s // g))
    return out


def _split_layer(state: Iterable[tuple], layer: IntLayer, act: Activation, layer_no: int, budget: _Budget
                 ) -> Iterator[tuple]:
    """Split the cells of ``state`` by hidden layer ``layer_no``, lazily (depth first), within the budget."""
    W = np.array(layer.Wi, dtype=object)
    bps = [(b.numerator, b.denominator) for b in act.breakpoints]
    bps_f = [(lo, hi - lo) for lo, hi in (float_bounds(b) for b in act.breakpoints)]
    integer_form = act.integer_form
    for poly, pat, A, t in state:
        Z, s = pre_activations(W, layer.bi, layer.scale, A, t)
        sure = _float_sides(Z, s, poly, bps_f)
        polys, pieces = _cut_cell(poly, Z, s, bps, sure, budget, layer_no)
        children = _children(polys, pieces, pat, Z, s, integer_form)
        del polys
        budget.counts[layer_no] = budget.counts.get(layer_no, 0) + len(children)
        sizes = [budget.size(c[0]) for c in children]
        budget.held += sum(sizes)   # waiting siblings are held too, until they are taken
        children.reverse()
        sizes.reverse()
        while children:
            budget.held -= sizes.pop()
            yield children.pop()


def _output_cells(state: Iterable[tuple], out_layer: IntLayer, net: ExactNet, budget: _Budget
                  ) -> list[RawCellND]:
    """Attach the output layer's exact map (in lowest terms) to every cell, within the budget."""
    W = np.array(out_layer.Wi, dtype=object)
    cells: list[RawCellND] = []
    bar = progress_bar(budget.progress, None, "cells", unit="cell")
    try:
        for poly, pat, A, t in state:
            Z, s = pre_activations(W, out_layer.bi, out_layer.scale, A, t)
            g = math.gcd(s, *(v for r in Z for v in r))
            cells.append(RawCellND(poly, pat, tuple(tuple(v // g for v in r) for r in Z), s // g))
            budget.held += budget.final_size(poly)
            budget.check(net.n_hidden_layers - 1, 0, 0)   # the cells were counted in their layer
            if len(cells) % 1024 == 0:
                bar.update(1024)
    finally:
        bar.close()
    return cells

"""Exact activation and linear regions of a piecewise-linear MLP with 2-D input.

Examples
--------
>>> import numpy as np
>>> layers = [(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]), np.array([0.0, 0.0, -1.0])),
...           (np.array([[1.0, 1.0, 1.0]]), np.array([0.0]))]
>>> r = regions(layers, window=2.0)
>>> r.n_activation, r.n_linear
(7, 7)
>>> sum(c.exact_area for c in r.cells)
Fraction(16, 1)
>>> r.locate((0.25, 0.25)).pattern
(1, 1, 0)
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .adjacency import merge_linear, shared_edges
from .certify import initial_box, whole_plane_cells
from .enumerate import RawCell, enumerate_cells, square
from .errors import InputError, InputTypeError, TooManyRegionsError
from .network import ExactNet, as_exact_net
from .predicates import (
    Line,
    Point,
    point_from_xy,
    point_in_polygon,
    point_to_fractions,
    polygon_area,
    to_fraction,
)

__all__ = ["AffineMap", "Cell", "Regions", "regions", "prepare_net", "check_window", "affine_on_pattern",
           "exact_regions"]

DEFAULT_MAX_REGIONS = 2_000_000


@dataclass(frozen=True)
class AffineMap:
    """An exact affine map ``x -> gradient @ x + offset`` from the plane to R^m.

    Examples
    --------
    >>> f = AffineMap(((Fraction(1), Fraction(2)),), (Fraction(1, 2),))
    >>> f((1, 1))
    (Fraction(7, 2),)
    """

    gradient: tuple[tuple[Fraction, Fraction], ...]
    offset: tuple[Fraction, ...]

    def __call__(self, point: Sequence[Any]) -> tuple[Fraction, ...]:
        x, y = (to_fraction(v) for v in point)
        return tuple(g[0] * x + g[1] * y + o for g, o in zip(self.gradient, self.offset))

    def __str__(self) -> str:
        parts = [f"({g[0]})*x1 + ({g[1]})*x2 + ({o})" for g, o in zip(self.gradient, self.offset)]
        return "; ".join(parts)


class Cell:
    """One activation region: a convex polygon with a fixed pattern.

    Attributes
    ----------
    index : int
    pattern : tuple of int
        Piece index of each hidden neuron in layer order (ReLU: 0 off, 1 on).
    affine : AffineMap
        The network's exact output map on this cell.
    linear_region : int
        Index of the linear region (maximal connected union of cells with one map).
    bounded : bool
        False for a whole-plane cell that is unbounded (its polygon is then clipped to
        the certified box).
    """

    __slots__ = ("index", "verts", "edges", "_pattern", "_affine", "linear_region", "bounded", "_poly",
                 "_net")

    def __init__(self, index, verts, edges, pattern=None, affine=None, bounded=True, net=None):
        self.index = index
        self.verts: tuple[Point, ...] = verts
        self.edges: tuple[Line, ...] = edges
        self._pattern = pattern
        self._affine = affine
        self.linear_region = -1
        self.bounded = bounded
        self._poly = None
        self._net = net  # for lazily computed patterns and maps (one-hidden-layer fast path)

    def interior_point(self) -> tuple[Fraction, Fraction]:
        """An exact point strictly inside the cell (the vertex centroid)."""
        n = len(self.verts)
        xs = [Fraction(X, D) for X, _, D in self.verts]
        ys = [Fraction(Y, D) for _, Y, D in self.verts]
        return sum(xs) / n, sum(ys) / n

    def _resolve(self) -> None:
        p = self.interior_point()
        self._pattern = self._net.pattern_at(p)
        self._affine = affine_on_pattern(self._net, self._pattern)

    @property
    def pattern(self) -> tuple[int, ...]:
        if self._pattern is None:
            self._resolve()
        return self._pattern

    @property
    def affine(self) -> AffineMap:
        if self._affine is None:
            self._resolve()
        return self._affine

    @property
    def vertices(self) -> list[tuple[Fraction, Fraction]]:
        """Exact vertex coordinates, counter-clockwise."""
        return [point_to_fractions(p) for p in self.verts]

    @property
    def exact_area(self) -> Fraction:
        """Exact area of the (possibly clipped) polygon."""
        return polygon_area(self.verts)

    @property
    def polygon(self):
        """The cell as a shapely Polygon (float coordinates: for drawing and measuring)."""
        if self._poly is None:
            import shapely

            self._poly = shapely.Polygon([(X / D, Y / D) for X, Y, D in self.verts])
        return self._poly

    def __repr__(self) -> str:
        return (
            f"Cell(index={self.index}, pattern={self.pattern}, linear_region={self.linear_region}, "
            f"n_vertices={len(self.verts)})"
        )


class Regions:
    """The exact subdivision of a window (or the plane) into activation and linear regions.

    Attributes
    ----------
    net : ExactNet
    window : Fraction or None
        Half-width ``B`` of the window ``[-B, B]^2``; ``None`` for the whole plane.
    box : Fraction
        Half-width of the box the polygons live in (``window``, or the certified box).
    cells : list of Cell
    n_activation, n_linear : int
    """

    def __init__(self, net: ExactNet, window: Fraction | None, box: Fraction, cells: list[Cell],
                 boundaries: list, same_map: list[bool] | None = None):
        self.net = net
        self.window = window
        self.box = box
        self.cells = cells
        self.boundaries = boundaries
        if same_map is None:
            same_map = [cells[i].affine == cells[j].affine for i, j, _, _ in boundaries]
        self._same_map = same_map
        self.n_linear = merge_linear(cells, boundaries, same_map)

    @classmethod
    def from_raw(cls, net: ExactNet, window: Fraction | None, box: Fraction, raw: list[RawCell]) -> Regions:
        """Regions from the layer-by-layer kernel's cells (maps known, adjacency found exactly)."""
        box_edges = set(square(box.numerator, box.denominator)[1])
        cells: list[Cell] = []
        for i, rc in enumerate(raw):
            aff = AffineMap(
                tuple((Fraction(a, rc.out_den), Fraction(b, rc.out_den)) for a, b, _ in rc.out),
                tuple(Fraction(c, rc.out_den) for _, _, c in rc.out),
            )
            bounded = window is not None or not any(e in box_edges for e in rc.edges)
            cells.append(Cell(i, rc.verts, rc.edges, rc.pattern, aff, bounded))
        return cls(net, window, box, cells, shared_edges(cells))

    @classmethod
    def from_arrangement(cls, net: ExactNet, window: Fraction | None, box: Fraction, arr) -> Regions:
        """Regions of a one-hidden-layer net from its line arrangement (patterns computed lazily)."""
        from .arrangement import shallow_line_jumps

        jumps = shallow_line_jumps(net)
        n = arr.n_neuron_lines
        dead = [not any(v != 0 for v in jumps[arr.lines[i]]) for i in range(n)]
        cells = [
            Cell(k, vs, es, bounded=window is not None or all(li < n for li in lids), net=net)
            for k, (vs, es, lids) in enumerate(arr.faces)
        ]
        boundaries = [(a, b, p, q) for a, b, p, q, _ in arr.adjacency]
        same = [dead[li] for _, _, _, _, li in arr.adjacency]
        return cls(net, window, box, cells, boundaries, same)

    def is_linear_boundary(self, k: int) -> bool:
        """Whether ``boundaries[k]`` separates two different affine maps."""
        return not self._same_map[k]

    @property
    def n_activation(self) -> int:
        return len(self.cells)

    def __len__(self) -> int:
        return len(self.cells)

    def __repr__(self) -> str:
        where = "plane" if self.window is None else f"[-{float(self.window)}, {float(self.window)}]^2"
        return (
            f"Regions({self.net!r}, window={where}, n_activation={self.n_activation}, "
            f"n_linear={self.n_linear})"
        )

    def locate(self, point: Sequence[Any]) -> Cell | None:
        """The cell containing ``point``, decided exactly.

        A point on a boundary between cells belongs to several closed cells; the one
        returned is the one with the smallest index.  ``None`` outside the window.

        Examples
        --------
        >>> r = regions([([[1.0, 0.0]], [0.0]), ([[1.0]], [0.0])], window=1.0)
        >>> r.locate((0.5, 0)).pattern, r.locate((3, 0)) is None
        ((1,), True)
        """
        if len(point) != 2:
            raise InputError(f"point must have 2 coordinates, got {len(point)}")
        try:
            p = point_from_xy(point[0], point[1])
        except (TypeError, ValueError) as exc:
            raise InputError(f"point {tuple(point)!r}: {exc}") from None
        best = None
        for k in self._bbox_candidates(p):
            c = self.cells[k]
            where = point_in_polygon(c.verts, c.edges, p)
            if where > 0:
                return c
            if where == 0 and best is None:
                best = c
        return best

    def _bbox_candidates(self, p: Point) -> list[int]:
        """Indices of cells whose float bounding box, widened beyond rounding error, holds ``p``.

        A filter only: it never drops the cell that contains ``p`` (each bound is widened by
        4 ulp of its magnitude); the exact test decides among the candidates.
        """
        import numpy as np

        from .arrangement import _U

        if getattr(self, "_bbox", None) is None:
            boxes = np.empty((len(self.cells), 4))
            for k, c in enumerate(self.cells):
                xs = [X / D for X, _, D in c.verts]
                ys = [Y / D for _, Y, D in c.verts]
                boxes[k] = (min(xs), max(xs), min(ys), max(ys))
            pad = 4 * _U * np.abs(boxes) + 1e-300
            self._bbox = (boxes[:, 0] - pad[:, 0], boxes[:, 1] + pad[:, 1],
                          boxes[:, 2] - pad[:, 2], boxes[:, 3] + pad[:, 3])
        x, y = p[0] / p[2], p[1] / p[2]
        ex, ey = 4 * _U * abs(x) + 1e-300, 4 * _U * abs(y) + 1e-300
        x0, x1, y0, y1 = self._bbox
        hit = (x0 <= x + ex) & (x1 >= x - ex) & (y0 <= y + ey) & (y1 >= y - ey)
        return np.nonzero(hit)[0].tolist()

    def summary(self) -> dict:
        """Counts and areas as plain JSON-ready values."""
        areas = [float(c.exact_area) for c in self.cells]
        return {
            "widths": list(self.net.widths),
            "window": None if self.window is None else float(self.window),
            "box": float(self.box),
            "activation_regions": self.n_activation,
            "linear_regions": self.n_linear,
            "smallest_area": min(areas) if areas else None,
            "largest_area": max(areas) if areas else None,
        }

    def to_geojson(self) -> dict:
        """A GeoJSON FeatureCollection with one Polygon feature per cell.

        Properties: ``pattern``, ``linear_region``, ``bounded``, ``area`` (float of the exact
        area) and the exact affine map as strings ``gradient``/``offset``.
        """
        feats = []
        for c in self.cells:
            ring = [[X / D, Y / D] for X, Y, D in c.verts]
            ring.append(ring[0])
            feats.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Polygon", "coordinates": [ring]},
                    "properties": {
                        "index": c.index,
                        "pattern": list(c.pattern),
                        "linear_region": c.linear_region,
                        "bounded": c.bounded,
                        "area": float(c.exact_area),
                        "gradient": [[str(g) for g in row] for row in c.affine.gradient],
                        "offset": [str(o) for o in c.affine.offset],
                    },
                }
            )
        return {"type": "FeatureCollection", "features": feats}

    def plot(self, ax=None, *, fill: bool = True, cmap: str = "tab20", linewidth: float = 0.8):
        """Draw the cells: linear-region boundaries solid, activation-only boundaries dashed.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Where to draw; a new figure's axes if omitted.
        fill : bool
            Fill cells with a colour per linear region.

        Returns
        -------
        list of matplotlib artists
            The fill collection (if any), the two line collections.
        """
        from .plotting import plot_regions

        return plot_regions(self, ax=ax, fill=fill, cmap=cmap, linewidth=linewidth)


def affine_on_pattern(net: ExactNet, pattern: Sequence[int]) -> AffineMap:
    """The exact affine output map of ``net`` on the cell with this activation pattern.

    Examples
    --------
    >>> net = ExactNet.from_layers([([[1, 0], [0, 1]], [0, 1]), ([[2, 3]], [5])])
    >>> str(affine_on_pattern(net, (1, 0)))
    '(2)*x1 + (0)*x2 + (5)'
    """
    G = [(Fraction(1), Fraction(0), Fraction(0)), (Fraction(0), Fraction(1), Fraction(0))]
    k = 0
    for l in range(net.n_hidden_layers):
        act = net.activations[l]
        rows = []
        for wrow, bj in zip(net.weights[l], net.biases[l]):
            z = [sum((w * g[c] for w, g in zip(wrow, G)), Fraction(0)) for c in range(3)]
            z[2] += bj
            q = pattern[k]
            k += 1
            s, ic = act.slopes[q], act.intercepts[q]
            rows.append((s * z[0], s * z[1], s * z[2] + ic))
        G = rows
    grads, offs = [], []
    for wrow, bj in zip(net.weights[-1], net.biases[-1]):
        z = [sum((w * g[c] for w, g in zip(wrow, G)), Fraction(0)) for c in range(3)]
        grads.append((z[0], z[1]))
        offs.append(z[2] + bj)
    return AffineMap(tuple(grads), tuple(offs))


def check_window(window: Any) -> Fraction | None:
    """Validate a window half-width: ``None`` (whole plane) or a finite number > 0.

    Examples
    --------
    >>> check_window(10.0), check_window(None)
    (Fraction(10, 1), None)
    >>> check_window(-1)
    Traceback (most recent call last):
    ...
    exact.errors.InputError: window must be a finite number > 0 (half-width B of [-B, B]^2) or None, got -1
    """
    if window is None:
        return None
    if isinstance(window, str) and window.strip().lower() in ("plane", "none", "inf"):
        return None
    if isinstance(window, bool) or isinstance(window, (list, tuple, dict, str)):
        raise InputTypeError(f"window must be a number or None, got {window!r}")
    try:
        f = Fraction(window) if isinstance(window, (int, Fraction)) else Fraction(float(window))
    except (TypeError, ValueError, OverflowError):
        raise InputError(
            f"window must be a finite number > 0 (half-width B of [-B, B]^2) or None, got {window!r}"
        ) from None
    if f <= 0:
        raise InputError(
            f"window must be a finite number > 0 (half-width B of [-B, B]^2) or None, got {window!r}"
        )
    return f


def prepare_net(net: Any, plane: Sequence[Any] | None = None, activation: str | None = None) -> ExactNet:
    """Coerce ``net``, restrict it to ``plane`` if given, and check it has 2-D input."""
    enet = as_exact_net(net, activation=activation)
    if plane is not None:
        if len(plane) != 3:
            raise InputError(f"plane must be three points (x0, x1, x2), got {len(plane)} items")
        enet = enet.restrict_to_plane(*plane)
    if enet.input_dim != 2:
        raise InputError(
            f"the network's input is {enet.input_dim}-D; regions are computed for 2-D input. "
            "Pass plane=(x0, x1, x2) to study a 2-D slice"
        )
    return enet


def regions(
    net: Any,
    window: float | Fraction | None = 10.0,
    *,
    plane: Sequence[Any] | None = None,
    activation: str | None = None,
    max_regions: int | None = DEFAULT_MAX_REGIONS,
    progress: bool = False,
) -> Regions:
    """Enumerate the activation and linear regions of a piecewise-linear MLP exactly.

    Parameters
    ----------
    net : torch.nn.Module, list of (W, b), ExactNet, or path
        The network (see :func:`exact.network.as_exact_net`).  Weights are taken at their
        exact binary value.
    window : float, Fraction or None, default 10.0
        Half-width ``B`` of the window ``[-B, B]^2``; ``None`` for the whole plane.
    plane : (x0, x1, x2), optional
        Restrict a network with any input dimension to the affine plane through three
        points; coordinates are then ``(u, v)`` with ``x = x0 + u (x1-x0) + v (x2-x0)``.
    activation : str, optional
        Hidden activation when ``net`` is a list of layers (default ``relu``).
    max_regions : int or None, default 2_000_000
        Guard: stop with :class:`~exact.errors.TooManyRegionsError` beyond this many cells.
    progress : bool
        Show a progress bar on long enumerations.

    Returns
    -------
    Regions

    Raises
    ------
    InputError
        Bad window, NaN weights, wrong input dimension, shape mismatch...
    UnsupportedActivationError
        Activations that are not piecewise linear.
    TooManyRegionsError
        When the enumeration exceeds ``max_regions``.

    Notes
    -----
    Cells are built layer by layer: each cell of the previous layers is split by the
    breakpoint lines of the next layer's neurons, computed from the cell's exact affine
    map.  Linear regions merge adjacent cells (sharing an edge of positive length) whose
    exact output maps are equal.  For ``window=None`` the enumeration runs in a box that
    is enlarged until every cell touching its boundary is certified to have all its
    vertices inside it (:mod:`exact.certify`), so the count is the whole plane's.

    Examples
    --------
    >>> r = regions([([[1.0, 0.0], [-1.0, 0.0]], [0.0, 0.0]), ([[1.0, 1.0]], [0.0])], window=None)
    >>> r.n_activation, r.n_linear   # |x|: two cells, two linear pieces
    (2, 2)
    """
    enet = prepare_net(net, plane=plane, activation=activation)
    w = check_window(window)
    if max_regions is not None and (isinstance(max_regions, bool) or int(max_regions) < 1):
        raise InputError(f"max_regions must be a positive integer or None, got {max_regions!r}")
    return exact_regions(enet, w, max_regions=max_regions, progress=progress)


def exact_regions(enet: ExactNet, w: Fraction | None, *, max_regions: int | None, progress: bool,
                  plane_start: Fraction | None = None) -> Regions:
    """:func:`regions` on an already checked net and window (garbage collector paused).

    ``plane_start``: for a deep net in the whole plane, the box to start the exact search
    from (by default :func:`exact.certify.whole_plane_cells` asks the float certificate).
    """
    with _gc_paused():
        return _regions(enet, w, max_regions, progress, plane_start)


@contextlib.contextmanager
def _gc_paused():
    """Pause the cyclic garbage collector: building millions of tuples (no cycles) otherwise
    triggers repeated full collections (measured: 40% of the time on 2-1000-1)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _regions(enet: ExactNet, w: Fraction | None, max_regions: int | None, progress: bool,
             plane_start: Fraction | None = None) -> Regions:
    if enet.n_hidden_layers == 1:
        from .arrangement import arrangement_faces, first_layer_lines
        from .shallow import build_arrangement

        lines = first_layer_lines(enet)
        box = w if w is not None else initial_box(enet)
        if max_regions is not None:
            expected = arrangement_faces(lines, box)
            if expected > max_regions:
                raise TooManyRegionsError(
                    f"{expected} cells exceed max_regions={max_regions}; raise max_regions (about 1 kB "
                    "per cell) or shrink the window"
                )
        return Regions.from_arrangement(enet, w, box, build_arrangement(lines, box, progress=progress))
    if w is None:
        box, raw = whole_plane_cells(enet, max_regions=max_regions, progress=progress, start=plane_start)
    else:
        box = w
        verts, edges = square(w.numerator, w.denominator)
        raw = enumerate_cells(enet, verts, edges, max_regions=max_regions, progress=progress)
    return Regions.from_raw(enet, w, box, raw)

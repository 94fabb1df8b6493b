"""Exact activation and linear regions of a piecewise-linear MLP with 2-D input.

Examples
--------
>>> import numpy as np
>>> layers = [(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]), np.array([0.0, 0.0, -1.0])),
...           (np.array([[1.0, 1.0, 1.0]]), np.array([0.0]))]
>>> from exact import regions
>>> r = regions(layers, window=2.0)
>>> r.n_activation, r.n_linear
(7, 7)
>>> sum(c.exact_area for c in r.cells)
Fraction(16, 1)
>>> r.locate((0.25, 0.25)).pattern
(1, 1, 0)
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any, NamedTuple

from .activations import pattern_text
from .adjacency import merge_linear, shared_edges
from .array_input import refuse_decimals, refuse_masked
from .errors import InputError, InputTypeError
from .face_maps import ShallowCells
from .geojson_export import check_collection_memory, feature_collection, write_feature_collection
from .json_numbers import exact_json, json_number
from .layer_split import RawCell
from .memory_headroom import available_memory
from .network import AffineMap, ExactNet
from .plane_location import locate_beyond_box
from .plot_limits import check_float_frame
from .polygon_areas import polygon_area
from .predicates import (
    Line,
    Point,
    point_from_xy,
    point_in_box,
    point_in_polygon,
    point_to_fractions,
    vertex_centroid,
)
from .region_summaries import region_summary
from .square_window import square
from .windows import ConvexWindow

if TYPE_CHECKING:
    from .face_tables import LineFaces
    from .level_sets import LevelSet

__all__ = ["Cell", "RegionCounts", "Regions", "json_number"]


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

    __slots__ = ("index", "_verts", "_edges", "_pattern", "_affine", "linear_region", "bounded", "_poly",
                 "_source")

    def __init__(self, index, verts, edges, pattern=None, affine=None, bounded=True, source=None):
        self.index = index
        self._verts: tuple[Point, ...] | None = verts
        self._edges: tuple[Line, ...] | None = edges
        self._pattern = pattern
        self._affine = affine
        self.linear_region = -1
        self.bounded = bounded
        self._poly = None
        # pattern(index) and affine(index) when not given (one hidden layer, certified cells),
        # and polygon(index) when verts and edges are not (certified cells)
        self._source = source

    @property
    def verts(self) -> tuple[Point, ...]:
        """Exact homogeneous vertices ``(X, Y, D)``, counter-clockwise, in lowest terms."""
        if self._verts is None:
            self._verts, self._edges = self._source.polygon(self.index)
        return self._verts

    @property
    def edges(self) -> tuple[Line, ...]:
        """Exact edge lines: ``edges[k]`` supports the edge from ``verts[k]`` (cell on the positive side)."""
        if self._edges is None:
            self._verts, self._edges = self._source.polygon(self.index)
        return self._edges

    def interior_point(self) -> tuple[Fraction, Fraction]:
        """Return an exact point strictly inside the cell (the vertex centroid).

        Returns
        -------
        (Fraction, Fraction)
            The average of the vertices, inside because the cell is convex.
        """
        return vertex_centroid(self.verts)

    @property
    def pattern(self) -> tuple[int, ...]:
        """Piece index of each hidden neuron, in layer order (ReLU: 0 off, 1 on)."""
        if self._pattern is None:
            self._pattern = self._source.pattern(self.index)
        return self._pattern

    @property
    def affine(self) -> AffineMap:
        """The network's exact output map on this cell."""
        if self._affine is None:
            self._affine = self._source.affine(self.index)
        return self._affine

    @property
    def vertices(self) -> list[tuple[Fraction, Fraction]]:
        """Exact vertex coordinates, counter-clockwise."""
        return [point_to_fractions(p) for p in self.verts]

    @property
    def exact_area(self) -> Fraction:
        """Exact area of the polygon (of an unbounded cell of the whole plane: its part in the box)."""
        return polygon_area(self.verts)

    @property
    def polygon(self):
        """The cell as a shapely Polygon (float coordinates: for drawing and measuring)."""
        if self._poly is None:
            import shapely

            self._poly = shapely.Polygon([(X / D, Y / D) for X, Y, D in self.verts])
        return self._poly

    def __repr__(self) -> str:
        return (f"Cell(index={self.index}, pattern={pattern_text(self.pattern)}, "
                f"linear_region={self.linear_region}, n_vertices={len(self.verts)})")


class Regions:
    """The exact subdivision of a window (or the plane) into activation and linear regions.

    Attributes
    ----------
    net : ExactNet
    window : Fraction, ConvexWindow or None
        Half-width ``B`` of the window ``[-B, B]^2``, a rectangle or convex polygon
        (:class:`exact.windows.ConvexWindow`), or ``None`` for the whole plane.
    box : Fraction
        Half-width of the box the polygons live in (``window``, the square around a
        polygon window, or the certified box).
    cells : list of Cell
        Also reachable by iterating: ``list(regions)``, ``regions[k]``, ``len(regions)``.
    n_activation, n_linear : int
    plane : tuple of three points or None
        The input-space points of the slice these regions live on (plane coordinates
        ``(u, v)`` mean ``x0 + u (x1 - x0) + v (x2 - x0)``), as given to
        :func:`exact.regions` (``plane=``); ``None`` otherwise.  :meth:`plot` reads it
        for ``mark_points``.
    own : tuple of bool or None
        For a residual module (:mod:`exact.residual_nets`): per hidden neuron of ``net``,
        False for a pass-through neuron (constant bit in every cell); ``None`` when every
        hidden neuron is the network's own.  :func:`exact.neuron_activity` skips the others.
    certified : CertifiedCells or None
        For a deep net in a window, the certified cells these regions were built from
        (:class:`exact.certified_regions.CertifiedCells`): each cell's exact polygon and
        map are made from them when first asked for, a block of cells at a time; plots
        draw their float vertices, :meth:`locate` and :meth:`summary` make exact only the
        cells their float filters leave open.  ``None`` for the other engines.
    """

    def __init__(self, net: ExactNet, window: Fraction | None, box: Fraction, cells: list[Cell],
                 boundaries: list, same_map: list[bool] | None = None):
        self.net = net
        self.window = window
        self.box = box
        self.cells = cells
        self._boundaries = boundaries
        self._same_map = (same_map if same_map is not None
                          else [cells[i].affine == cells[j].affine for i, j, _, _ in boundaries])
        self.n_linear = merge_linear(cells, boundaries, self._same_map)
        self.plane: tuple | None = None
        self.own: tuple[bool, ...] | None = None
        self.face_maps: ShallowCells | None = None  # one hidden layer: every cell's pattern and map as arrays
        self.certified = None  # deep net in a window: the certified cells behind the lazy exact ones

    @property
    def boundaries(self) -> list[tuple[int, int, Point, Point]]:
        """The shared edges ``(i, j, p, q)`` as :func:`exact.adjacency.shared_edges` gives them.

        Made exactly when first asked for, for regions built from certified cells or
        from one hidden layer's faces.
        """
        if self._boundaries is None:
            source = self.certified if self.certified is not None else self.face_maps
            self._boundaries, self._same_map = source.boundaries()
        return self._boundaries

    @classmethod
    def from_certified(cls, net: ExactNet, window: Fraction | ConvexWindow | None, box: Fraction,
                       source) -> Regions:
        """Build regions on certified cells whose exact polygons and maps are made on demand.

        Parameters
        ----------
        net : ExactNet
        window : Fraction, ConvexWindow or None
            ``None`` for the whole plane: the cells with an edge on the box are unbounded.
        box : Fraction
        source : CertifiedCells
            :class:`exact.certified_regions.CertifiedCells`: patterns, linear labels, and
            each cell's exact polygon and map when asked for.

        Returns
        -------
        Regions
        """
        bounded = [True] * len(source) if window is not None else (~source.on_border).tolist()
        cells = [Cell(k, None, None, None, None, b, source) for k, b in enumerate(bounded)]
        regions = cls(net, window, box, cells, [], [])
        for c, lab in zip(cells, source.linear):
            c.linear_region = lab
        regions._boundaries = regions._same_map = None  # made exactly when asked for
        regions.n_linear = max(source.linear, default=-1) + 1
        regions.certified = source
        return regions

    @classmethod
    def from_raw(cls, net: ExactNet, window: Fraction | None, box: Fraction, raw: list[RawCell]) -> Regions:
        """Build regions from the layer-by-layer kernel's cells (maps known, adjacency found exactly)."""
        box_edges = set(square(box.numerator, box.denominator)[1])
        cells: list[Cell] = []
        for i, rc in enumerate(raw):
            d = rc.out_den
            aff = AffineMap(tuple((Fraction(a, d), Fraction(b, d)) for a, b, _ in rc.out),
                            tuple(Fraction(c, d) for _, _, c in rc.out))
            bounded = window is not None or not any(e in box_edges for e in rc.edges)
            cells.append(Cell(i, rc.verts, rc.edges, rc.pattern, aff, bounded))
        return cls(net, window, box, cells, shared_edges(cells))

    @classmethod
    def from_arrangement(cls, net: ExactNet, window: Fraction | None, box: Fraction, faces: LineFaces,
                         n_neuron_lines: int | None = None) -> Regions:
        """Build the regions of a one-hidden-layer net from the faces of its lines.

        Each cell's exact polygon is made from the face arrays when first read, patterns
        and maps for all cells at once when the first is asked for, the shared edges when
        first asked for (:class:`exact.face_maps.ShallowCells`).  ``faces`` comes from
        :func:`exact.line_arrangement.line_faces`; ``n_neuron_lines`` says how many of
        its lines are the net's (default: all its inner lines).
        """
        from .line_count import shallow_line_jumps

        jumps = shallow_line_jumps(net)
        n = faces.n_neuron_lines if n_neuron_lines is None else n_neuron_lines
        source = ShallowCells(net, faces, [not any(v != 0 for v in jumps[faces.lines[i]]) for i in range(n)])
        bounded = [True] * len(source) if window is not None else (~faces.touches_window()).tolist()
        cells = [Cell(k, None, None, None, None, b, source) for k, b in enumerate(bounded)]
        regions = cls(net, window, box, [], [], [])
        regions.cells = cells
        labels = source.linear_labels()
        for c, lab in zip(cells, labels.tolist()):
            c.linear_region = lab
        regions.n_linear = int(labels.max()) + 1 if labels.size else 0
        regions._boundaries = regions._same_map = None  # made exactly when asked for
        regions.face_maps = source
        return regions

    def is_linear_boundary(self, k: int) -> bool:
        """Tell whether ``boundaries[k]`` separates two different affine maps."""
        if self._same_map is None:
            self.boundaries  # noqa: B018 (made with the boundaries)
        return not self._same_map[k]

    @property
    def n_activation(self) -> int:
        """Number of activation regions (cells)."""
        return len(self.cells)

    def __len__(self) -> int:
        return len(self.cells)

    def __iter__(self) -> Iterator[Cell]:
        return iter(self.cells)

    def __getitem__(self, k: int | slice) -> Cell | list[Cell]:
        if not isinstance(k, slice) and not hasattr(k, "__index__"):  # a float, a str, a tuple...
            raise InputTypeError(f"regions[{k!r}]: a cell index is an int or a slice, got {type(k).__name__}")
        if not isinstance(k, slice) and not -len(self.cells) <= k < len(self.cells):
            raise IndexError(f"regions[{k}]: no such cell; these regions have {len(self.cells)} cells")
        return self.cells[k]

    def __repr__(self) -> str:
        if isinstance(self.window, ConvexWindow):
            where = str(self.window)
        else:
            b = None if self.window is None else exact_json(self.window)
            where = "plane" if b is None else f"[-{b}, {b}]^2"
        return (
            f"Regions({self.net!r}, window={where}, n_activation={self.n_activation}, "
            f"n_linear={self.n_linear})"
        )

    def locate(self, point: Sequence[Any]) -> Cell | None | list[Cell | None]:
        """Return the cell containing ``point``, decided exactly (a list for many points).

        A point on a boundary between cells belongs to several closed cells; the one
        returned is the one with the smallest index.  ``None`` outside the window.
        ``point`` may also be many points, an ``(m, 2)`` array or a list of pairs: then
        the list of their cells.

        Examples
        --------
        >>> from exact import regions
        >>> r = regions([([[1.0, 0.0]], [0.0]), ([[1.0]], [0.0])], window=1.0)
        >>> r.locate((0.5, 0)).pattern, r.locate((3, 0)) is None
        ((1,), True)
        >>> [c.pattern for c in r.locate([(0.5, 0), (-0.5, 0)])]
        [(1,), (0,)]
        """
        shape = getattr(point, "shape", None)
        refuse_masked(point, "point")
        if hasattr(point, "tolist") and not isinstance(point, (list, tuple)):
            point = point.tolist()  # numpy arrays, torch tensors
        if isinstance(point, (str, bytes)) or not hasattr(point, "__len__"):
            raise InputTypeError(f"point must be a pair (x, y) or a list of pairs, got {point!r}"[:200])
        if shape is not None and len(shape) == 2 and shape[0] == 0:
            return []  # no points, as an (0, 2) array
        if len(point) and all(isinstance(q, (list, tuple)) for q in point):
            return [self.locate(q) for q in point]
        if len(point) != 2:
            raise InputError(f"point must have 2 coordinates, got {len(point)}")
        refuse_decimals(point, "point")  # as ExactNet.evaluate and plane= do
        try:
            p = point_from_xy(point[0], point[1])
        except TypeError as exc:
            raise InputTypeError(f"point {tuple(point)!r}: {exc}") from None
        except ValueError as exc:
            raise InputError(f"point {tuple(point)!r}: {exc}") from None
        if self.window is None and not point_in_box(p, self.box, closed=True):
            return locate_beyond_box(self, p)  # past the clipped polygons: an unbounded cell
        if self.face_maps is not None:  # one hidden layer: float face boxes filter, exact edge tests decide
            k = self.face_maps.faces.locate(p)
            return None if k is None else self.cells[k]
        best = None
        for k in self._bbox_candidates(p):
            c = self.cells[k]
            where = point_in_polygon(c.verts, c.edges, p)
            if where > 0:
                return c
            if where == 0 and best is None:
                best = c
        return best

    def _make_exact(self) -> None:
        """Make every exact polygon and map now, in chunks (a bar on long jobs), for whole-result work."""
        if self.certified is not None:
            self.certified.resolve_all()

    @property
    def pattern_index(self) -> dict[tuple[int, ...], int]:
        """The index of the cell of each activation pattern (made on first use).

        Examples
        --------
        >>> from exact import regions
        >>> regions([([[1.0, 0.0]], [0.0]), ([[1.0]], [0.0])], window=1.0).pattern_index[(1,)]
        1
        """
        if getattr(self, "_pattern_index", None) is None:
            self._pattern_index = {c.pattern: c.index for c in self.cells}
        return self._pattern_index

    def _bbox_candidates(self, p: Point) -> list[int]:
        """Return the cells whose float bounding box, made of float brackets, may hold ``p``.

        A filter only: every coordinate is bracketed between floats (infinite ones beyond
        the float range, :func:`exact._fp.float_bounds`), so it never drops the cell that
        contains ``p``; the exact test decides among the candidates.
        """
        import numpy as np

        from ._float_range import float_bounds

        if getattr(self, "_bbox", None) is None and self.certified is not None:
            self._bbox = self.certified.bbox()  # float vertices widened by their certified bounds
        if getattr(self, "_bbox", None) is None:
            boxes = np.empty((len(self.cells), 4))
            for k, c in enumerate(self.cells):
                xs = [float_bounds(X, D) for X, _, D in c.verts]
                ys = [float_bounds(Y, D) for _, Y, D in c.verts]
                boxes[k] = (min(v for v, _ in xs), max(v for _, v in xs),
                            min(v for v, _ in ys), max(v for _, v in ys))
            self._bbox = tuple(boxes.T)
        (xlo, xhi), (ylo, yhi) = float_bounds(p[0], p[2]), float_bounds(p[1], p[2])
        x0, x1, y0, y1 = self._bbox
        hit = (x0 <= xhi) & (x1 >= xlo) & (y0 <= yhi) & (y1 >= ylo)
        found = np.nonzero(hit)[0].tolist()
        if self.certified is not None:
            self.certified.resolve(found)  # the exact polygons of these few cells only
        return found

    def summary(self) -> dict:
        """Return counts and areas as plain JSON-ready values.

        Returns
        -------
        dict
            ``widths``, ``window`` (exact: a float equal to it, else ``"p/q"``; None for the plane), ``box``,
            ``activation_regions``, ``linear_regions``, in the whole plane ``bounded_cells`` and
            ``unbounded_cells``, then ``smallest_area``, ``largest_area`` (over the bounded cells: an
            unbounded cell has no area; None without any).
            Areas are as :func:`~exact.json_numbers.json_number` writes them: a float, or text past its range.

        Examples
        --------
        >>> from exact import regions
        >>> regions([([[1.0, 0.0]], [0.0]), ([[1.0]], [0.0])], window=1.0).summary()["largest_area"]
        2.0
        """
        return region_summary(self)

    def to_geojson(self) -> dict:
        """Return a GeoJSON FeatureCollection with one Polygon feature per cell.

        Returns
        -------
        dict
            A FeatureCollection.  Properties of each feature: ``index``, ``pattern`` (a string,
            one digit per hidden neuron), ``linear_region``, ``bounded``, ``area`` (float of the
            exact area) and the exact affine map as strings ``gradient``/``offset``.

        Raises
        ------
        ResourceLimitError
            Over half the available memory, before anything is built (see :meth:`write_geojson`).

        Examples
        --------
        >>> from exact import regions
        >>> g = regions([([[1.0, 0.0]], [0.0]), ([[1.0]], [0.0])], window=1.0).to_geojson()
        >>> len(g["features"]), g["features"][0]["geometry"]["type"]
        (2, 'Polygon')
        """
        check_float_frame(self, "GeoJSON export")  # before any work (GeoJSON numbers are floats)
        check_collection_memory(len(self.cells), sum(self.net.widths[1:-1]), available_memory())
        self._make_exact()
        source = self.face_maps if self.face_maps is not None else self.certified  # maps as arrays
        return feature_collection(self.cells, source, self.net.activations)

    def write_geojson(self, file: Any, progress: bool = False) -> None:
        """Write :meth:`to_geojson` to a file, a block of features at a time (bounded memory).

        Parameters
        ----------
        file : str, path-like or text file object
            A path (written as UTF-8) or an open text file.
        progress : bool, default False
            A progress bar (on stderr) on long writes.

        Raises
        ------
        InputTypeError, InputError
            ``file`` is neither a path nor a text file object; a path that cannot be written.

        Examples
        --------
        >>> import io, json, exact
        >>> r = exact.regions([([[1.0, 0.0]], [0.0]), ([[1.0]], [0.0])], window=1.0)
        >>> f = io.StringIO(); r.write_geojson(f); json.loads(f.getvalue()) == r.to_geojson()
        True
        """
        check_float_frame(self, "GeoJSON export")  # before anything is written (GeoJSON numbers are floats)
        self._make_exact()
        write_feature_collection(self.cells, self.face_maps if self.face_maps is not None else self.certified,
                                 file, progress, self.net.activations)

    def level_set(self, c: Any = 0, output: int = 0) -> LevelSet:
        """Return the exact level set ``{f_output = c}``: segments with rational endpoints.

        Parameters
        ----------
        c : real, default 0
            The level, at its exact value.
        output : int, default 0
            Which output.

        Returns
        -------
        LevelSet
            See :func:`exact.level_sets.level_set` (cells where ``f`` is constant ``c``
            are in ``flat_pieces``).

        Examples
        --------
        >>> from exact import regions
        >>> regions([([[1, 0], [-1, 0]], [0, 0]), ([[1, 1]], [-1])], window=2).level_set(0).length
        8.0
        """
        from .level_sets import level_set

        return level_set(self, c, output)  # certified cells: exact only where the floats leave it open

    def decision_boundary(self) -> LevelSet:
        """Return the exact decision boundary, where the arg max of the outputs changes.

        Returns
        -------
        LevelSet
            See :func:`exact.level_sets.decision_boundary`; for one output, the level
            set ``f = 0``.

        Examples
        --------
        >>> from exact import regions
        >>> r = regions([([[1, 0], [-1, 0]], [0, 0]), ([[1, 0], [0, 1]], [0, 0])], window=1)
        >>> r.decision_boundary().segments      # relu(x) vs relu(-x): the line x = 0
        (((Fraction(0, 1), Fraction(-1, 1)), (Fraction(0, 1), Fraction(1, 1))),)
        """
        from .level_sets import decision_boundary

        self._make_exact()
        return decision_boundary(self)

    def plot(self, ax=None, *, fill: bool = True, color: str = "index", cmap: str | None = None,
             linewidth: float = 0.8, output: int = 0, level_set: Any = None, decision_boundary: bool = False,
             mark_points: Any = None, legend: bool = True):
        """Draw the cells: linear-region boundaries solid, activation-only boundaries dashed.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Where to draw; a new figure's axes if omitted.
        fill : bool
            Fill the cells.
        color : {"index", "pattern", "output"}
            Fill by linear-region index, by a stable hash of the activation pattern, or by
            output ``output`` at each cell's centroid (with a colour bar).
        level_set : real, LevelSet, or a sequence of them, optional
            Draw ``{f_output = c}`` exactly.
        decision_boundary : bool
            Draw the exact decision boundary.
        mark_points : sequence of points or True, optional
            Points to mark (see :func:`exact.plotting.plot_regions`).
        legend : bool, default True
            Add the legend of the line styles (below the axes); False for all but one
            panel of a figure of several.

        Returns
        -------
        list of matplotlib artists
            The fill collection (if any), the two line collections, then the extras
            asked for (:func:`exact.plotting.plot_regions`).
        """
        from .plotting import plot_regions

        return plot_regions(self, ax=ax, fill=fill, color=color, cmap=cmap, linewidth=linewidth,
                            output=output, level_set=level_set, decision_boundary=decision_boundary,
                            mark_points=mark_points, legend=legend)

    def _repr_png_(self) -> bytes | None:
        """Render the plot as PNG bytes for notebooks (``None`` over 100 000 cells or beyond floats)."""
        from .plotting import save_regions_plot

        if len(self.cells) > 100_000:
            return None
        buf = io.BytesIO()
        try:
            save_regions_plot(self, buf, format="png", dpi=72, figsize=(6, 6),
                              mark_points=True if self.plane is not None else None)
        except InputError:
            return None
        return buf.getvalue()


class RegionCounts(NamedTuple):
    """Exact counts of activation regions and linear regions."""

    activation: int
    linear: int

    def _repr_html_(self) -> str:
        return ("<table><tr><th>activation regions</th><th>linear regions</th></tr>"
                f"<tr><td>{self.activation}</td><td>{self.linear}</td></tr></table>")

"""The exact cells of a box (or of the whole space) in any dimension, and their linear regions.

:class:`RegionsND` holds the activation cells of a network in a box ``prod [lo_i, hi_i]``
(each a :class:`CellND`: exact vertices, halfspaces, pattern, affine map, volume), which
cells share a facet, and the linear regions: cells joined across shared facets where the
exact output maps agree.  :meth:`RegionsND.build` runs the exact engine
(:mod:`exact.nd.layer_cells`) on arguments already checked; the public entry points are
:func:`exact.nd.regions_nd` and :func:`exact.nd.count_regions_nd`.

Examples
--------
>>> from fractions import Fraction
>>> from exact.network import ExactNet
>>> net = ExactNet.from_layers([([[1, 0, 0], [0, 1, 0]], [0, 0]), ([[1, 1]], [0])])
>>> r = RegionsND.build(net, [Fraction(-1)] * 3, [Fraction(1)] * 3)
>>> r.n_activation, r.n_linear, sum(c.volume for c in r.cells)
(4, 4, Fraction(8, 1))
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, NamedTuple

import numpy as np

from ..activations import pattern_text
from ..network import AffineMap, ExactNet
from ..predicates import to_fraction
from .box_clip import clip_to_box
from .facet_adjacency import linear_labels_by_map, shared_facets
from .job_memory import fitting_box
from .layer_cells import RawCellND, enumerate_cells_nd
from .polytope import HPoint, Polytope, Row, box, contains, facet_rows, interior_point, point_from_fractions
from .volume import polytope_volume
from .whole_space import whole_space_parts

__all__ = ["AffineMapND", "CellND", "Halfspaces", "RegionsND"]


@dataclass(frozen=True)
class AffineMapND(AffineMap):
    """An exact affine map ``x -> gradient @ x + offset`` from ``R^d`` to ``R^m``.

    :class:`exact.AffineMap` for any input width (the plane's class reads two
    coordinates).

    Attributes
    ----------
    gradient : tuple of tuple of Fraction
        Shape ``(m, d)``.
    offset : tuple of Fraction
        Shape ``(m,)``.

    Examples
    --------
    >>> f = AffineMapND(((Fraction(1), Fraction(0), Fraction(-2)),), (Fraction(1, 2),))
    >>> f((1, 5, 1)), str(f)
    ((Fraction(-1, 2),), '(1)*x1 + (0)*x2 + (-2)*x3 + (1/2)')
    """

    def __call__(self, point: Sequence[Any]) -> tuple[Fraction, ...]:
        """Evaluate the map exactly at ``point`` (``d`` real numbers)."""
        x = [to_fraction(v) for v in point]
        return tuple(sum((a * b for a, b in zip(g, x)), o) for g, o in zip(self.gradient, self.offset))

    def __str__(self) -> str:
        return "; ".join(" + ".join([f"({a})*x{k + 1}" for k, a in enumerate(g)] + [f"({o})"])
                         for g, o in zip(self.gradient, self.offset))

    def float_view(self, digits: int = 6) -> str:
        """Write the map with coefficients rounded to ``digits`` significant digits (for reading only).

        Parameters
        ----------
        digits : int, default 6

        Returns
        -------
        str

        Examples
        --------
        >>> AffineMapND(((Fraction(2, 3), Fraction(1), Fraction(0)),), (Fraction(-1),)).float_view(3)
        '0.667*x1 + 1*x2 + 0*x3 + -1'
        """
        def f(v: Fraction) -> str:
            try:
                return f"{v.numerator / v.denominator:.{digits}g}"
            except OverflowError:
                return "inf" if v > 0 else "-inf"

        return "; ".join(" + ".join([f"{f(a)}*x{k + 1}" for k, a in enumerate(g)] + [f(o)])
                         for g, o in zip(self.gradient, self.offset))

    def _repr_html_(self) -> str:
        return f"<code>{self}</code>"


class Halfspaces(NamedTuple):
    """A cell as ``D x <= g``, exact integers, with each row's role.

    Attributes
    ----------
    D : tuple of tuple of int
        Shape ``(k, d)``.
    g : tuple of int
        Shape ``(k,)``.
    facet : tuple of bool
        Whether each row is a facet (the others are redundant).
    on_box : tuple of bool
        Whether each row is a side of the box (the others are breakpoint hyperplanes).
    """

    D: tuple[tuple[int, ...], ...]
    g: tuple[int, ...]
    facet: tuple[bool, ...]
    on_box: tuple[bool, ...]


class CellND:
    """One activation cell: a convex polytope with exact vertices and one activation pattern.

    Attributes
    ----------
    index : int
    pattern : tuple of int
        Piece index of each hidden neuron in layer order (ReLU: 0 off, 1 on).
    linear_region : int
        Index of the linear region holding the cell.
    verts : tuple of HPoint
        Exact homogeneous vertices ``(X_1, ..., X_d, D)``.
    rows : tuple of Row
        The cell is ``{x : row(x) >= 0}``; the box's ``2 d`` sides first.
    facet : tuple of bool
        Whether each row is a facet.
    bounded : bool
        False for a cell of the whole space whose region is unbounded (it is then shown
        clipped to the certified box); True in a box (see :attr:`clipped`).

    Notes
    -----
    A cell of the whole space made in a larger cube than the certified one (one
    enumeration: :func:`~exact.nd.whole_space.whole_space_parts`) is clipped to the
    certified cube (:func:`~exact.nd.box_clip.clip_to_box`, exact) when its vertices,
    rows or facets are first asked for, and keeps the result; pattern, map and
    ``bounded`` need no clipping (a cell of a cube holding every vertex strictly is
    unbounded iff a vertex lies on the cube's sides).
    """

    __slots__ = ("index", "pattern", "linear_region", "n_box", "out", "out_den", "bounded", "_poly", "_inner",
                 "_geometry", "_volume")

    def __init__(self, index: int, raw: RawCellND, n_box: int, whole_space: bool = False,
                 inner: Polytope | None = None):
        self.index = index
        self.pattern = raw.pattern
        self.linear_region = -1
        self.n_box = n_box
        self.out, self.out_den = raw.out, raw.out_den
        # made in a larger cube holding every vertex of the whole space's cells: clipped to ``inner``
        # when first asked for (a cell with a vertex on a side of such a cube is unbounded)
        self._poly, self._inner = raw.poly, inner
        self._geometry: tuple | None = None
        box_mask = (1 << n_box) - 1
        self.bounded = not (whole_space and any(t & box_mask for t in raw.poly.tight))
        self._volume: Fraction | None = None

    def _made(self) -> tuple:
        """Clip the cell to its box if it was made in a larger one, once: ``(verts, tight, rows, facet)``."""
        if self._geometry is None:
            poly = self._poly if self._inner is None else clip_to_box(self._poly, self._inner)
            self._poly, self._inner = poly, None
            self._geometry = (tuple(poly.verts), tuple(poly.tight), poly.rows, tuple(facet_rows(poly)))
        return self._geometry

    @property
    def verts(self) -> tuple[HPoint, ...]:
        """Exact homogeneous vertices ``(X_1, ..., X_d, D)``."""
        return self._made()[0]

    @property
    def tight(self) -> tuple[int, ...]:
        """Bit ``r`` of ``tight[k]``: row ``r`` is zero at vertex ``k``."""
        return self._made()[1]

    @property
    def rows(self) -> tuple[Row, ...]:
        """The cell is ``{x : row(x) >= 0}``; the box's ``2 d`` sides first."""
        return self._made()[2]

    @property
    def facet(self) -> tuple[bool, ...]:
        """Whether each row is a facet."""
        return self._made()[3]

    @property
    def polytope(self) -> Polytope:
        """The cell as a :class:`~exact.nd.polytope.Polytope` (shares the exact data)."""
        verts, tight, rows, _ = self._made()
        return Polytope(list(verts), list(tight), rows)

    @property
    def vertices(self) -> list[tuple[Fraction, ...]]:
        """Exact vertex coordinates."""
        return [tuple(Fraction(x, p[-1]) for x in p[:-1]) for p in self.verts]

    def interior_point(self) -> tuple[Fraction, ...]:
        """Return an exact point strictly inside the cell: the average of its vertices.

        Returns
        -------
        tuple of Fraction, shape (d,)
        """
        return interior_point(self.verts)

    @property
    def halfspaces(self) -> Halfspaces:
        """The cell as ``D x <= g`` (exact integers), facets and box sides marked.

        For a cell of the whole space, the facets that are not box sides are exactly the
        facets of its (maybe unbounded) region: the certificate puts every vertex of the
        region, hence a piece of every facet, inside the box.
        """
        D = tuple(tuple(-a for a in r[:-1]) for r in self.rows)
        g = tuple(r[-1] for r in self.rows)
        return Halfspaces(D, g, self.facet, tuple(k < self.n_box for k in range(len(self.rows))))

    @property
    def affine(self) -> AffineMapND:
        """The network's exact output map on this cell."""
        den = self.out_den
        return AffineMapND(tuple(tuple(Fraction(a, den) for a in r[:-1]) for r in self.out),
                           tuple(Fraction(r[-1], den) for r in self.out))

    @property
    def volume(self) -> Fraction:
        """Exact volume (from a triangulation of the cell's vertices and faces)."""
        if self._volume is None:
            self._volume = polytope_volume(self.polytope)
        return self._volume

    @property
    def clipped(self) -> bool:
        """Whether the cell has a facet on the box's boundary: its activation region goes on outside."""
        return any(self.facet[: self.n_box])

    def contains(self, point: Sequence[Any]) -> int:
        """Place a point against the closed cell, exactly.

        Parameters
        ----------
        point : sequence of real, shape (d,)

        Returns
        -------
        int
            1 inside, 0 on the boundary, -1 outside.
        """
        p = point_from_fractions([to_fraction(v) for v in point])
        return contains([r for r, f in zip(self.rows, self.facet) if f], p)

    def __repr__(self) -> str:
        return (f"CellND(index={self.index}, pattern={pattern_text(self.pattern)}, "
                f"linear_region={self.linear_region}, n_vertices={len(self.verts)})")


_PLANE_ONLY = {"level_set": "level sets", "decision_boundary": "decision boundaries",
               "to_geojson": "GeoJSON polygons", "write_geojson": "GeoJSON polygons"}
"""Methods of 2-D :class:`~exact.cells.Regions` that d-D regions lack, and what they make."""


class RegionsND:
    """The exact subdivision of a box of ``R^d`` (or of ``R^d``) into activation and linear regions.

    Attributes
    ----------
    net : ExactNet
    lo, hi : tuple of Fraction
        The box ``prod [lo_i, hi_i]``: the window, or for the whole space the cube
        certified to meet every cell (the cells are shown clipped to it).
    whole_space : bool
        Whether the cells are those of all of ``R^d``.
    cells : list of CellND
        Also by iterating, ``regions[k]`` and ``len(regions)``.
    adjacency : list of (int, int)
        Cells whose closures share a ``(d - 1)``-dimensional piece (found when first
        asked for).
    n_activation, n_linear : int

    Notes
    -----
    The linear regions are labelled by searching for shared facets among cells with equal
    maps only (:func:`~exact.nd.facet_adjacency.linear_labels_by_map`), as
    :func:`exact.nd.count_regions_nd` counts them; the adjacency of all cells is made
    only when asked for.
    """

    def __init__(self, net: ExactNet, lo: Sequence[Fraction], hi: Sequence[Fraction], raw: list[RawCellND],
                 whole_space: bool = False, made_in: Fraction | None = None):
        self.net = net
        self.lo, self.hi = tuple(lo), tuple(hi)
        self.whole_space = whole_space
        self.own: tuple[bool, ...] | None = None  # as Regions.own (a residual net's own neurons)
        n_box = 2 * len(self.lo)
        inner = None if made_in is None or made_in == self.hi[0] else box(list(self.lo), list(self.hi))
        self.cells = [CellND(i, rc, n_box, whole_space, inner) for i, rc in enumerate(raw)]
        self._made: list[Polytope] | None = [rc.poly for rc in raw]   # the cells as made, for the adjacency
        self._adjacency: list[tuple[int, int]] | None = None
        labels = linear_labels_by_map(self._made, [(rc.out, rc.out_den) for rc in raw], n_box)
        for c, lab in zip(self.cells, labels):
            c.linear_region = lab
        self.n_linear = max(labels, default=-1) + 1
        self._by_pattern = {c.pattern: c.index for c in self.cells}

    @property
    def adjacency(self) -> list[tuple[int, int]]:
        """Cells whose closures share a ``(d - 1)``-dimensional piece, each pair once (found when asked).

        Found on the cells as they were made (for the whole space maybe in a larger cube
        than :attr:`lo`, :attr:`hi`: the same pairs, as every face of every cell meets the
        certified cube's interior).
        """
        if self._adjacency is None:
            made, n_box = self._made, 2 * len(self.lo)
            self._adjacency = shared_facets(made, [facet_rows(p) for p in made], n_box)
            self._made = None
        return self._adjacency

    @classmethod
    def build(cls, net: ExactNet, lo: Sequence[Fraction], hi: Sequence[Fraction], *,
              max_regions: int | None = None, max_memory: int | None = None,
              progress: bool = False) -> RegionsND:
        """Enumerate the cells of ``net`` in the box ``prod [lo_i, hi_i]`` (arguments already checked).

        Parameters
        ----------
        net : ExactNet
        lo, hi : sequence of Fraction, shape (input width,)
            ``lo_i < hi_i``.
        max_regions, max_memory : int or None
            The guards of :func:`~exact.nd.layer_cells.enumerate_cells_nd` (bytes).
        progress : bool

        Returns
        -------
        RegionsND
        """
        raw = enumerate_cells_nd(net, fitting_box(net, lo, hi, max_memory), max_regions=max_regions,
                                 max_memory=max_memory, progress=progress)
        return cls(net, lo, hi, raw)

    @classmethod
    def build_whole_space(cls, net: ExactNet, *, max_regions: int | None = None,
                          max_memory: int | None = None, progress: bool = False) -> RegionsND:
        """Enumerate the cells of ``net`` in all of ``R^d`` (arguments already checked).

        Parameters
        ----------
        net : ExactNet
        max_regions, max_memory : int or None
            The guards, for every box tried (:func:`~exact.nd.whole_space.whole_space_parts`).
        progress : bool

        Returns
        -------
        RegionsND
            ``whole_space`` True; ``lo, hi`` the certified cube.

        Notes
        -----
        One enumeration, as :func:`exact.nd.count_regions_nd` makes: for a deep net in the
        a-priori cube of :func:`~exact.nd.vertex_bounds.vertex_bound`, each cell clipped
        to the certified cube when its geometry is first asked for.
        """
        half, made_in, raw = whole_space_parts(net, max_regions=max_regions, max_memory=max_memory,
                                               progress=progress)
        d = net.input_dim
        return cls(net, [-half] * d, [half] * d, raw, whole_space=True, made_in=made_in)

    @property
    def n_activation(self) -> int:
        """Number of activation regions (cells)."""
        return len(self.cells)

    def is_linear_boundary(self, k: int) -> bool:
        """Tell whether ``adjacency[k]`` separates two different output maps."""
        i, j = self.adjacency[k]
        a, b = self.cells[i], self.cells[j]
        return (a.out, a.out_den) != (b.out, b.out_den)

    def index_of(self, pattern: Sequence[int]) -> int | None:
        """Return the index of the cell with this activation pattern, or None."""
        return self._by_pattern.get(tuple(pattern))

    def locate(self, points: Any) -> Any:
        """Find the cell holding each point, exactly (a vectorised float filter, exact on ties).

        Parameters
        ----------
        points : array_like, shape (d,) or (m, d)
            Real coordinates (floats at their exact binary value, ints, Fractions).

        Returns
        -------
        CellND or None, or ndarray of int of shape (m,)
            For one point its cell (None outside the box); for an array the cell index
            of each point (-1 outside the box; never for the whole space).  A point on a
            boundary belongs to several closed cells: the one with the smallest index is
            returned.

        Examples
        --------
        >>> net = ExactNet.from_layers([([[1, 0]], [0]), ([[1]], [0])])
        >>> r = RegionsND.build(net, [Fraction(-1)] * 2, [Fraction(1)] * 2)
        >>> r.locate([0.5, 0.0]).pattern, r.locate([[0.5, 0], [-0.5, 0], [3, 0]]).tolist()
        ((1,), [0, 1, -1])
        """
        from .point_location import locate_points

        arr = points if isinstance(points, np.ndarray) else np.array(points, dtype=object)
        if arr.ndim == 1 and len(arr) == len(self.lo):  # else refused with the shape as given
            k = int(locate_points(self, arr.reshape(1, -1))[0])
            return None if k < 0 else self.cells[k]
        return locate_points(self, arr)

    def summary(self, measure: str = "auto") -> dict:
        """Return counts, bounded and unbounded cells, and region sizes as plain JSON-ready values.

        Parameters
        ----------
        measure : {"auto", "volume", "area", "radius"}, default "auto"
            As in :func:`exact.region_sizes`: exact volumes up to 3-D, inscribed-ball
            radii (float estimates) from 4-D on.

        Returns
        -------
        dict
            ``widths``, ``box`` (``[lo_i, hi_i]`` pairs), ``whole_space``,
            ``activation_regions``, ``linear_regions``, ``bounded_regions``,
            ``unbounded_regions``, ``measure``, ``exact`` and the ``smallest``, ``median``
            and ``largest`` size of a bounded cell (None without one, or for radii without
            scipy: then ``measure`` says so); exact sizes without loss, as
            :func:`~exact.json_numbers.exact_json` writes them (``"13/12"``), radii as floats.

        Examples
        --------
        >>> net = ExactNet.from_layers([([[1, 0, 0]], [0]), ([[1]], [0])])
        >>> s = RegionsND.build(net, [Fraction(-1)] * 3, [Fraction(1)] * 3).summary()
        >>> s["activation_regions"], s["measure"], s["smallest"], s["largest"]
        (2, 'volume', 4.0, 4.0)
        """
        from ..json_numbers import exact_json
        from ..region_measures import sizes_or_none

        s = sizes_or_none(self, measure)
        bounded = sum(c.bounded for c in self.cells)
        stats = {k: None if s is None else getattr(s, k) for k in ("smallest", "median", "largest")}
        return {"widths": list(self.net.widths),
                "box": [[exact_json(a), exact_json(b)] for a, b in zip(self.lo, self.hi)],  # exact, as given
                "whole_space": self.whole_space, "activation_regions": self.n_activation,
                "linear_regions": self.n_linear, "bounded_regions": bounded,
                "unbounded_regions": len(self.cells) - bounded,
                "measure": "radius: needs scipy (the analysis extra)" if s is None else s.measure,
                "exact": s is not None and s.exact,
                **{k: v if v is None or not s.exact else exact_json(v) for k, v in stats.items()}}

    def plot(self, ax=None, **kwargs: Any) -> list:
        """Draw the cells of a 3-D input in matplotlib 3-D axes, clipped to the box.

        Parameters
        ----------
        ax : mpl_toolkits.mplot3d.Axes3D, optional
            Where to draw; by default a new pyplot figure's 3-D axes, as the 2-D plot.
        **kwargs
            ``color``, ``cmap``, ``alpha``, ``output``, ... of
            :func:`exact.nd.plot3d.plot_regions_3d`.

        Returns
        -------
        list
            The Poly3DCollection of every cell's facets (and a colour bar for ``"output"``).

        Raises
        ------
        InputError
            An input width other than 3; for a 1-D input the message says what shows its
            intervals (:meth:`summary`, :func:`exact.count_on_segment`).

        Examples
        --------
        >>> from exact import regions
        >>> regions([([[1]], [0]), ([[1]], [0])], window=1).plot()
        Traceback (most recent call last):
        ...
        exact.errors.InputError: RegionsND.plot draws networks with 3-D input; this one's input is 1-D, ...
        """
        from .plot3d import check_regions_3d, plot_regions_3d

        check_regions_3d(self, "RegionsND.plot")  # named as called, not as the function it hands off to
        return plot_regions_3d(self, ax, **kwargs)

    def _repr_png_(self) -> bytes | None:
        """Render the 3-D picture as PNG bytes for notebooks (``None`` unless a 3-D input of few cells)."""
        import io

        from ..errors import ExactnetError

        if len(self.lo) != 3 or len(self.cells) > 2000:
            return None
        from matplotlib.figure import Figure

        buf = io.BytesIO()
        try:  # outside pyplot: a notebook must not draw a second, pyplot, figure after this one
            artists = self.plot(Figure(figsize=(7, 7)).add_subplot(projection="3d"))
            artists[0].axes.figure.savefig(buf, format="png", dpi=72)
        except ExactnetError:
            return None
        return buf.getvalue()

    def __getattr__(self, name: str) -> Any:
        """Say where a method of 2-D regions is (level sets, GeoJSON): on a 2-D slice of the input."""
        if name in _PLANE_ONLY:
            raise AttributeError(
                f"RegionsND has no {name}: {_PLANE_ONLY[name]} are made of 2-D regions; for a net with "
                f"{self.net.widths[0]}-D input take a plane through the input, "
                "regions(net, window, plane=(p0, p1, p2)), whose Regions has it")
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __len__(self) -> int:
        return len(self.cells)

    def __iter__(self) -> Iterator[CellND]:
        return iter(self.cells)

    def __getitem__(self, k: int) -> CellND:
        return self.cells[k]

    def __repr__(self) -> str:
        box = " x ".join(f"[{a}, {b}]" for a, b in zip(self.lo, self.hi))  # short bounds: shown
        short = len(box) <= 120
        where = f"R^{len(self.lo)}" if self.whole_space else box if short else f"a {len(self.lo)}-D box"
        return (f"RegionsND({self.net!r}, {where}, n_activation={self.n_activation}, "
                f"n_linear={self.n_linear})")

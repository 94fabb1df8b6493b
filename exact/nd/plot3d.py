"""Drawing the exact cells of a network with 3-D input: each cell's facets, clipped to the box.

A cell's facet is the polygon of the cell's vertices tight at one facet row, put in order
around the facet exactly: two of them follow each other iff they span an edge of the cell
(the combinatorial edge test of :func:`exact.nd.polytope.neighbours`), and the cycle is
turned counter-clockwise seen from outside the cell by the sign of an exact integer
determinant.  Floats are made only to draw.

matplotlib is imported lazily; with ``ax=None`` a new pyplot figure is made, as the 2-D
plot makes one (``plt.show()`` shows it, a notebook draws it); give ``ax`` (e.g. of a
:class:`matplotlib.figure.Figure`) to draw outside pyplot.

Examples
--------
>>> from exact import regions
>>> r = regions([([[1, 0, 0], [0, 1, 0]], [0, 0]), ([[1, 1]], [0])], window=1)   # 4 boxes
>>> [len(cell_facets(c)) for c in r]                    # each cell a box: 6 rectangles
[6, 6, 6, 6]
>>> artists = plot_regions_3d(r, color="pattern")
>>> len(artists), len(artists[0].get_facecolor())        # one Poly3DCollection of 4 * 6 facets
(1, 24)
"""

from __future__ import annotations

from typing import Any

from ..errors import InputError, InputTypeError, ResourceLimitError
from ..fill_colors import cell_colors, cell_values
from ..plot_limits import check_drawable
from ..wording import counts_title
from .polytope import HPoint, determinant, interior_point, neighbours, point_from_fractions, vertex_masks

__all__ = ["MAX_PLOT_CELLS", "cell_facets", "check_regions_3d", "facet_polygons", "plot_regions_3d"]

MAX_PLOT_CELLS = 5000
"""Default ``max_cells`` of :func:`plot_regions_3d`: matplotlib sorts every facet by depth."""


def cell_facets(cell: Any) -> list[tuple[int, list[HPoint]]]:
    """List a 3-D cell's facets, each as its exact vertices in order around it.

    Parameters
    ----------
    cell : CellND
        A cell of a network with 3-D input.

    Returns
    -------
    list of (int, list of HPoint)
        For each facet row ``r`` (``cell.facet[r]``, box sides included), ``r`` and the
        cell's vertices tight at row ``r``, each exactly once, consecutive ones joined by
        an edge of the cell, counter-clockwise seen from outside the cell.

    Raises
    ------
    InputError
        A cell of another dimension.

    Notes
    -----
    Exact: an edge is a pair of vertices no third vertex shares all tight rows with
    (:func:`~exact.nd.polytope.neighbours`); the orientation is the sign of the
    determinant of the homogeneous integer points of three consecutive vertices and of
    the cell's vertex average (positive iff the cycle turns counter-clockwise seen from
    the side away from the cell).  ``O(F V^2 R)`` bit operations for ``F`` facets, ``V``
    vertices and ``R`` rows.

    Examples
    --------
    >>> from exact import regions
    >>> cube = regions([([[1, 0, 0]], [-5]), ([[1]], [0])], window=1)[0]   # no cut: the cube
    >>> row, ring = cell_facets(cube)[0]                   # row 0: x1 >= -1, seen from x1 < -1
    >>> row, [tuple(x // p[-1] for x in p[:-1]) for p in ring]
    (0, [(-1, -1, 1), (-1, 1, 1), (-1, 1, -1), (-1, -1, -1)])
    """
    poly = cell.polytope
    if len(poly.verts[0]) != 4:
        raise InputError(f"cell_facets: cell {cell.index} is {len(poly.verts[0]) - 1}-D; facets are "
                         "drawn for 3-D inputs")
    vm = vertex_masks(poly.tight, len(poly.rows))
    inside = point_from_fractions(interior_point(poly.verts))
    out = []
    for r, is_facet in enumerate(cell.facet):
        if not is_facet:
            continue
        ring = _ring(poly, vm, vm[r], cell.index, r)
        if determinant([poly.verts[i] for i in ring[:3]] + [inside]) < 0:
            ring.reverse()
        out.append((r, [poly.verts[i] for i in ring]))
    return out


def _ring(poly: Any, vm: list[int], mask: int, index: int, row: int) -> list[int]:
    """Walk the vertices of ``mask`` (one facet) along the cell's edges, once around."""
    on = [i for i in range(len(poly.verts)) if mask >> i & 1]
    nbs = {u: [v for v in neighbours(poly, u, vm) if mask >> v & 1] for u in on}
    if len(on) < 3 or any(len(n) != 2 for n in nbs.values()):
        raise RuntimeError(f"cell {index}, facet row {row}: its vertices do not form a polygon "
                           f"(facet degrees {sorted(len(n) for n in nbs.values())}); this is a bug")
    ring, prev = [on[0]], None
    while len(ring) < len(on):
        a, b = nbs[ring[-1]]
        nxt = b if a == prev else a
        if nxt == ring[0]:
            break
        prev = ring[-1]
        ring.append(nxt)
    if len(ring) != len(on):
        raise RuntimeError(f"cell {index}, facet row {row}: its edges form more than one cycle; "
                           "this is a bug")
    return ring


def check_regions_3d(reg: Any, where: str, draws: str = "3-D") -> None:
    """Refuse anything but the exact cells of a network with 3-D input.

    Parameters
    ----------
    reg : object
        What was given.
    where : str
        The function's name, for the message.
    draws : str, default "3-D"
        The input widths the caller draws, for the message (``"2-D and 3-D"``).

    Returns
    -------
    None

    Raises
    ------
    InputTypeError
        Not a :class:`~exact.nd.RegionsND` (a plane's :class:`~exact.Regions` included).
    InputError
        An input width other than 3.

    Examples
    --------
    >>> from exact import regions
    >>> check_regions_3d(regions([([[1, 0, 0, 0]], [0]), ([[1]], [0])], window=1), "plot")
    Traceback (most recent call last):
    ...
    exact.errors.InputError: plot draws networks with 3-D input; this one's input is 4-D: ...
    >>> check_regions_3d(regions([([[1]], [0]), ([[1]], [0])], window=1), "plot")
    Traceback (most recent call last):
    ...
    exact.errors.InputError: plot draws networks with 3-D input; this one's input is 1-D, whose cells are ...
    """
    if not (hasattr(reg, "lo") and hasattr(reg, "whole_space") and hasattr(reg, "cells")):
        hint = " (a plane's Regions: use Regions.plot)" if hasattr(reg, "boundaries") else ""
        raise InputTypeError(f"{where} takes the RegionsND of exact.regions(net, window=...) for a net with "
                             f"3-D input, got {type(reg).__name__}{hint}")
    d = len(reg.lo)
    if d == 1:  # three points of a line span no plane: say what shows a 1-D input
        raise InputError(f"{where} draws networks with {draws} input; this one's input is 1-D, whose cells "
                         "are intervals: read their exact ends as [c.vertices for c in r.cells], sizes with "
                         "r.summary(), or the exact breakpoints with exact.count_on_segment(net, [lo], [hi])")
    if d != 3:
        raise InputError(f"{where} draws networks with {draws} input; this one's input is {d}-D: draw a 2-D "
                         "slice instead (exact.regions(net, plane=[x0, x1, x2]), then .plot())")


def plot_regions_3d(reg: Any, ax=None, *, color: str = "index", cmap: str | None = None, alpha: float = 0.35,
                    output: int = 0, edgecolor: Any = "0.25", linewidth: float = 0.3,
                    max_cells: int = MAX_PLOT_CELLS) -> list:
    """Draw the exact cells of a network with 3-D input: every cell's facets, clipped to the box.

    Parameters
    ----------
    reg : RegionsND
        The regions of a net with 3-D input (:func:`exact.regions`).  For the whole
        space, the cells are drawn clipped to the certified box, and the title says so.
    ax : mpl_toolkits.mplot3d.Axes3D, optional
        Where to draw; by default the 3-D axes of a new pyplot figure
        (``artists[0].axes.figure``), as the 2-D plot.
    color : {"index", "pattern", "output"}
        Fill by linear region, by :func:`exact.plotting.pattern_hash` of the pattern, or by
        output ``output`` at the cell's exact interior point (with a colour bar), as
        :func:`exact.plotting.plot_regions` does in 2-D.
    cmap : str, optional
        A matplotlib colormap instead of ``tab20`` / ``viridis``.
    alpha : float
        Opacity of the facets, in ``[0, 1]`` (the inner cells show through).
    output : int
        The output of ``color="output"``.
    edgecolor : matplotlib colour
        Colour of the facets' edges.
    linewidth : float
        Width of the facets' edges.
    max_cells : int
        Refuse more cells than this (matplotlib sorts every facet by depth).

    Returns
    -------
    list
        ``[Poly3DCollection of every cell's facets]``, then the ``Colorbar`` of ``"output"``.

    Raises
    ------
    InputTypeError
        Not the regions of a 3-D input (:func:`check_regions_3d`), ``ax`` not 3-D.
    InputError
        A bad ``color``, ``cmap``, ``alpha``, ``output``, or coordinates beyond floats.
    ResourceLimitError
        More than ``max_cells`` cells.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from exact import regions
    >>> r = regions([([[1, 1, 1]], [0]), ([[1]], [0])], window=1)      # the plane x + y + z = 0
    >>> ax = Figure().add_subplot(projection="3d")
    >>> arts = plot_regions_3d(r, ax, color="output")
    >>> len(arts[0].get_array()), type(arts[1]).__name__    # 2 * (3 pentagons, 3 triangles, 1 hexagon)
    (14, 'Colorbar')
    """
    from mpl_toolkits.mplot3d.art3d import Poly3DCollection

    check_regions_3d(reg, "plot_regions_3d")
    check_drawable(reg, "plot_regions_3d")  # before any figure: the 3-D projection overflows past ~1e154
    _check_options(reg, alpha, max_cells)
    values = cell_values(reg, output) if color == "output" else None
    colors = cell_colors(reg, color, cmap=cmap, output=output, values=values)
    per_facet, _, polys = zip(*facet_polygons(reg))
    ax = _axes3d(ax)
    pc = Poly3DCollection(polys, edgecolors=edgecolor, linewidths=linewidth)
    if values is not None:
        pc.set_array([_float_value(values[k], k) for k in per_facet])
        pc.set_cmap(cmap or "viridis")
    else:
        pc.set_facecolor([colors[k] for k in per_facet])
    pc.set_alpha(alpha)
    ax.add_collection3d(pc)
    _frame(ax, reg)
    artists: list[Any] = [pc]
    if values is not None:
        bar = ax.figure.colorbar(pc, ax=ax, shrink=0.7, label=f"output {output} at the interior point")
        bar.solids.set_alpha(1.0)
        artists.append(bar)
    return artists


def facet_polygons(reg: Any) -> list[tuple[int, int, list[tuple[float, float, float]]]]:
    """List every facet of every cell as the float polygon that is drawn.

    Parameters
    ----------
    reg : RegionsND
        The regions of a net with 3-D input.

    Returns
    -------
    list of (int, int, list of (float, float, float))
        ``(cell index, facet row, vertices)`` in cell order, each facet as
        :func:`cell_facets` orders it (counter-clockwise seen from outside the cell), its
        exact vertices rounded to floats.  A facet shared by two cells is listed by both.

    Raises
    ------
    InputTypeError, InputError
        Not the regions of a 3-D input; a vertex beyond the float range.

    Examples
    --------
    >>> from exact import regions
    >>> r = regions([([[0, 0, 1]], [0]), ([[1]], [0])], window=1)        # the plane z = 0
    >>> [(k, row, len(vs)) for k, row, vs in facet_polygons(r)][:3]
    [(0, 0, 4), (0, 1, 4), (0, 2, 4)]
    """
    check_regions_3d(reg, "facet_polygons")
    return [(c.index, row, [_float_point(p) for p in ring])
            for c in reg.cells for row, ring in cell_facets(c)]


def _check_options(reg: Any, alpha: Any, max_cells: Any) -> None:
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 <= alpha <= 1:
        raise InputError(f"alpha must be a number in [0, 1], got {alpha!r}")
    if isinstance(max_cells, bool) or not isinstance(max_cells, int) or max_cells < 1:
        raise InputError(f"max_cells must be a positive integer, got {max_cells!r}")
    if len(reg.cells) > max_cells:
        raise ResourceLimitError(f"plot_regions_3d: {len(reg.cells)} cells, more than max_cells={max_cells}; "
                                 "draw a smaller box or raise max_cells")


def _axes3d(ax):
    """Return ``ax`` if it is 3-D, or the 3-D axes of a new pyplot figure (as the 2-D plot makes one)."""
    if ax is None:
        import matplotlib.pyplot as plt

        return plt.figure(figsize=(7, 7)).add_subplot(projection="3d")
    if getattr(ax, "name", None) != "3d":
        raise InputTypeError(f"ax must be 3-D axes (fig.add_subplot(projection='3d')), "
                             f"got {type(ax).__name__}")
    return ax


def _frame(ax, reg: Any) -> None:
    """Limits, aspect, labels, and a title with the counts and the box (certified for the whole space)."""
    lo, hi = [float(v) for v in reg.lo], [float(v) for v in reg.hi]
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_zlim(lo[2], hi[2])
    ax.set_box_aspect([h - v for v, h in zip(lo, hi)])
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_zlabel("$x_3$")
    if len(set(reg.hi)) == 1 and all(a == -b for a, b in zip(reg.lo, reg.hi)):
        box = f"$[-{hi[0]:g}, {hi[0]:g}]^3$"
    else:
        box = " x ".join(f"[{a:g}, {b:g}]" for a, b in zip(lo, hi))
    where = f"whole space: cells clipped to the certified box {box}" if reg.whole_space else box
    ax.set_title(f"{counts_title(reg.net.widths, reg.n_activation, reg.n_linear)}\n{where}")


def _float_point(p: HPoint) -> tuple[float, ...]:
    """Return a homogeneous integer point as floats, refusing coordinates beyond the float range."""
    try:
        return tuple(x / p[-1] for x in p[:-1])
    except OverflowError:
        raise InputError("plot_regions_3d: a vertex lies beyond the float range (about 1.8e308), which "
                         "matplotlib cannot draw; draw a box instead (as window=B with B at most 2^500)"
                         ) from None


def _float_value(v: Any, k: int) -> float:
    try:
        return float(v)
    except OverflowError:
        raise InputError(f"plot_regions_3d(color='output'): the output in cell {k} is beyond the float range "
                         "(about 1.8e308), which a colour bar cannot show") from None

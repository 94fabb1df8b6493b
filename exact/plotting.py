"""Drawing exact regions, level sets and decision boundaries with matplotlib.

matplotlib is imported lazily; nothing here shows a figure or changes the backend, and
pyplot is touched only to make a new figure when no ``ax`` is given
(:func:`save_regions_plot` and notebooks use :class:`matplotlib.figure.Figure` directly).

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> from exact import regions
>>> r = regions([([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0]), ([[1.0, 0.0]], [0.0])], window=1.0)
>>> artists = plot_regions(r)
>>> len(artists)
3
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from .array_input import to_vector
from .edge_kinds import boundary_segments
from .errors import InputError, InputTypeError
from .fill_colors import COLOR_MODES, cell_colors, pattern_hash
from .json_numbers import exact_number_text, scientific_text
from .level_sets import output_maps
from .plot_limits import DRAW_LIMIT, check_drawable, limit_text
from .wording import counted, counts_title

__all__ = ["COLOR_MODES", "pattern_hash", "plot_level_set", "plot_regions", "save_regions_plot"]


_LEVEL_COLORS = ("crimson", "darkorange", "deeppink", "saddlebrown", "darkviolet")  # 5, cycled


def plot_regions(reg: Any, ax=None, *, fill: bool = True, color: str = "index", cmap: str | None = None,
                 linewidth: float = 0.8, alpha: float = 0.6, output: int = 0, level_set: Any = None,
                 decision_boundary: bool = False, mark_points: Any = None, legend: bool = True):
    """Draw a :class:`~exact.cells.Regions`: cells, boundaries, level sets, marked points.

    Parameters
    ----------
    reg : Regions
        The regions to draw (read: cells, boundaries, window, ``level_set()``, ``plane``).
    ax : matplotlib Axes, optional
        Axes to draw in; a new pyplot figure's axes if omitted.
    fill : bool
        Fill the cells.
    color : {"index", "pattern", "output"}
        ``"index"``: a colour per linear region; ``"pattern"``: from :func:`pattern_hash` of
        the activation pattern, the same in every process and training checkpoint;
        ``"output"``: output ``output`` at the cell's exact centroid, with a colour bar.
    cmap : str, optional
        Default ``tab20`` (index), ``viridis`` (output); for ``"pattern"`` the hash's bits
        make the colour, or with a ``cmap`` pick entry ``hash mod N``.
    linewidth, alpha : float
        Width of the linear-region boundaries (activation-only: thinner, dashed); fill opacity.
    output : int
        The output of ``color="output"`` and of ``level_set``.
    level_set : real, LevelSet, or a sequence of them, optional
        Draw the exact level set ``{f_output = c}`` of each level ``c``, and each given
        :class:`~exact.LevelSet` (a level set or a decision boundary).
    decision_boundary : bool
        Draw the exact decision boundary (:meth:`~exact.Regions.decision_boundary`).
    mark_points : sequence of points or True, optional
        Points in the plot's coordinates (2 numbers), or in the input space of a slice
        when ``reg.plane`` holds its three points (each must lie on the plane, checked
        exactly).  ``True`` marks those three points, labelled ``p0, p1, p2``, at ``(0, 0),
        (1, 0), (0, 1)``; the axes of a slice are labelled ``u`` and ``v``.
    legend : bool
        Add a legend (``ax.get_legend()``, not in the returned list): below the axes if the figure
        has a layout engine (``ax=None``: constrained), else inside them (``loc="best"``).

    Returns
    -------
    list
        ``[fill PolyCollection (if fill), linear-boundary LineCollection, activation-only
        LineCollection]``, then each level set's artists (:func:`plot_level_set`), the
        marked points' PathCollection and Texts, and the ``Colorbar`` of ``"output"``.

    Raises
    ------
    InputError
        An unknown ``color``, a window or certified box reaching beyond
        :data:`~exact.plot_limits.DRAW_LIMIT` (``2**1000``), a marked point off the plane.
    InputTypeError
        ``level_set`` or ``mark_points`` of the wrong type.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from exact import regions
    >>> r = regions([([[1, 0], [-1, 0]], [0, 0]), ([[1, 1]], [-1])], window=2)    # |x| - 1
    >>> ax = Figure().add_subplot()
    >>> arts = plot_regions(r, ax=ax, color="output", level_set=0, mark_points=[(1, 0)])
    >>> len(arts), len(arts[3].get_segments())       # 3 + level set + point, label + colour bar
    (7, 2)
    """
    if color not in COLOR_MODES:
        raise InputError(f"color must be one of {', '.join(map(repr, COLOR_MODES))}, got {color!r}")
    check_drawable(reg, "plot")  # before any figure: matplotlib's transforms overflow far before 1.8e308
    ax = _axes(ax)
    artists: list[Any] = [_fill(ax, reg, color, cmap, alpha, output)] if fill else []
    artists += _boundaries(ax, reg, linewidth)
    _frame(ax, reg)
    levels = _level_sets(reg, level_set, output) + ([reg.decision_boundary()] if decision_boundary else [])
    artists += _draw_curves(ax, levels, 2 * linewidth + 0.4)
    if mark_points is not None and mark_points is not False:
        artists += _mark(ax, reg, mark_points)
    if legend:
        _legend(ax, artists)
    if fill and color == "output":
        artists.append(ax.figure.colorbar(artists[0], ax=ax, shrink=0.8,
                                          label=f"output {output} at the centroid"))
    return artists


def plot_level_set(ls: Any, ax=None, *, color: str = "crimson", linewidth: float = 2.0,
                   label: str | None = None, linestyle: Any = "solid") -> list:
    """Draw a :class:`~exact.LevelSet`: its segments, flat pieces (hatched) and isolated points.

    Parameters
    ----------
    ls : LevelSet
        The exact set (its float coordinates are drawn).
    ax : matplotlib Axes, optional
        Axes to draw in; a new pyplot figure's axes if omitted.
    color : str
        Colour of every part.
    linewidth : float
        Width of the segments.
    label : str, optional
        Legend label; by default ``f_k = c`` or ``decision boundary``.
    linestyle : str or (offset, dashes), default "solid"
        Line style of the segments (:func:`plot_regions` dashes a decision boundary, so a
        level set under it stays in view).

    Returns
    -------
    list
        The segments' LineCollection, then a hatched PolyCollection if there are flat
        pieces and a PathCollection if there are isolated points.

    Raises
    ------
    InputError
        Coordinates beyond :data:`~exact.plot_limits.DRAW_LIMIT` (``2**1000``).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from exact import regions
    >>> r = regions([([[1, 0]], [0]), ([[1]], [0])], window=1)             # relu(x)
    >>> [type(a).__name__ for a in plot_level_set(r.level_set(0), Figure().add_subplot())]
    ['LineCollection', 'PolyCollection']
    """
    from matplotlib.collections import LineCollection, PolyCollection

    ax = _axes(ax)
    label = _curve_label(ls) if label is None else label
    lc = LineCollection([[_fxy(p), _fxy(q)] for p, q in ls.segments], colors=color, linewidths=linewidth,
                        linestyles=linestyle, label=label, zorder=3)
    ax.add_collection(lc)
    out: list[Any] = [lc]
    if ls.flat_pieces:
        pc = PolyCollection([[_fxy(v) for v in vs] for _, vs in ls.flat_pieces], facecolors="none",
                            edgecolors=color, hatch="//", linewidths=0, label=f"{label} (flat)", zorder=3)
        ax.add_collection(pc)
        out.append(pc)
    if ls.points:
        xy = [_fxy(p) for p in ls.points]
        out.append(ax.scatter([x for x, _ in xy], [y for _, y in xy], color=color, s=25, zorder=4,
                              label=f"{label} (points)"))
    return out


def _curve_label(ls: Any) -> str:
    """Name a level set ``f_k = c`` (TeX) or a decision boundary, for the legend."""
    if ls.kind != "level set":  # a decision boundary (of two or more outputs: no level)
        return ls.kind
    text = exact_number_text(Fraction(ls.level))  # "1e+400"; else rounded from the exact value, never a float
    c = text if len(text) <= 12 else scientific_text(Fraction(ls.level))
    return f"$f_{{{ls.output}}} = {c}$"


def _draw_curves(ax, curves: list, linewidth: float) -> list:
    """Draw level sets and decision boundaries in turn: a boundary dashed, on top; a repeat's label says so.

    A decision boundary of one output is the level set ``f_0 = 0``: drawn solid over it, the
    level set would vanish, so a boundary is dashed and a label names the set drawn before
    that it equals (compared exactly: the same segments, isolated points and flat pieces).
    """
    artists: list[Any] = []
    for k, ls in enumerate(curves):
        label = _curve_label(ls)
        same = [_curve_label(d) for d in curves[:k] if _point_set(d) == _point_set(ls)]
        if same:
            label += f" (the same set as {same[0]})"
        dashed = ls.kind == "decision boundary"
        artists += plot_level_set(ls, ax, color=_LEVEL_COLORS[k % 5], linewidth=linewidth, label=label,
                                  linestyle=(0, (4, 3)) if dashed else "solid")
    return artists


def _point_set(ls: Any) -> tuple:
    """Return the exact set a LevelSet draws: segments (either direction), isolated points, flat pieces."""
    return (frozenset(frozenset(s) for s in ls.segments), frozenset(ls.points),
            frozenset(frozenset(vs) for _, vs in ls.flat_pieces))


def _axes(ax):
    """Return ``ax``, or the axes of a new pyplot figure when it is None.

    The new figure's layout is constrained, so that the legend below the axes (and a
    colour bar) stay inside it when it is shown or saved as it is.
    """
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(6, 6), layout="constrained")
    return ax


def save_regions_plot(reg: Any, target: Any, *, format: str | None = None, dpi: float = 150,
                      figsize: tuple[float, float] = (7, 7), **kwargs: Any) -> None:
    r"""Draw regions on a new :class:`~matplotlib.figure.Figure` and save it, outside pyplot.

    Parameters
    ----------
    reg : Regions
        The regions.
    target : str, path or binary file object
        Where to write (as :meth:`matplotlib.figure.Figure.savefig`).
    format : str, optional
        Image format; by default from the file's suffix.
    dpi : float
        Resolution.
    figsize : (float, float)
        Figure size in inches.
    **kwargs
        Passed to :func:`plot_regions`.

    Returns
    -------
    None

    Raises
    ------
    InputError
        As :func:`plot_regions`.

    Examples
    --------
    >>> import io
    >>> from exact import regions
    >>> buf = io.BytesIO()
    >>> save_regions_plot(regions([([[1, 0]], [0]), ([[1]], [0])], window=1), buf, format="png", dpi=20)
    >>> buf.getvalue()[:4]
    b'\x89PNG'
    """
    from matplotlib.figure import Figure

    check_drawable(reg, "plot")  # before the figure is made
    fig = Figure(figsize=figsize, layout="constrained")  # room for the legend below the axes
    plot_regions(reg, ax=fig.add_subplot(), **kwargs)
    fig.savefig(target, format=format, dpi=dpi, bbox_inches="tight")


def _fill(ax, reg: Any, color: str, cmap: str | None, alpha: float, output: int):
    """Fill the cells with a PolyCollection coloured as ``color`` says."""
    import numpy as np
    from matplotlib.collections import PolyCollection

    certified = getattr(reg, "certified", None)
    if certified is not None:  # float vertices within their certified bounds: drawing decides nothing
        polys = certified.float_polygons()
    else:
        polys = [[_xy(v) for v in c.verts] for c in reg.cells]
    if color == "output" and certified is not None:
        values = _float_values(certified, output)
        pc = PolyCollection(polys, array=values, cmap=cmap or "viridis", edgecolors="none", alpha=alpha)
    elif color == "output":
        values = np.array([_cell_value(c, rows, output) for c, rows in zip(reg.cells, output_maps(reg))])
        pc = PolyCollection(polys, array=values, cmap=cmap or "viridis", edgecolors="none", alpha=alpha)
    else:
        pc = PolyCollection(polys, facecolors=cell_colors(reg, color, cmap=cmap), edgecolors="none",
                            alpha=alpha)
    ax.add_collection(pc)
    return pc


def _cell_value(cell: Any, rows: list, output: int) -> float:
    """Evaluate the output at the cell's exact centroid, as a float (for colour only)."""
    try:
        (x, y), (a, b, o) = cell.interior_point(), rows[output]
        return float(a * x + b * y + o)
    except OverflowError:
        raise InputError(f"plot(color='output'): the output in cell {cell.index} is beyond the float range "
                         "(about 1.8e308), which a colour bar cannot show") from None
    except IndexError:
        raise InputError(f"plot: output={output!r} is out of range: the network has "
                         f"{counted(len(rows), 'output')}") from None


def _float_values(certified: Any, output: int):
    """Return output ``output`` of each certified cell at its float vertex centroid (colour only)."""
    import numpy as np

    t = certified.table
    try:
        m = t.out[:, output]
    except IndexError:
        raise InputError(f"plot: output={output!r} is out of range: the network has "
                         f"{counted(t.out.shape[1], 'output')}") from None
    with np.errstate(over="ignore", invalid="ignore"):
        cx, cy = np.add.reduceat(t.x, t.start) / t.nv, np.add.reduceat(t.y, t.start) / t.nv
        values = m[:, 0] * cx + m[:, 1] * cy + m[:, 2]
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:  # as the exact path says it
        raise InputError(f"plot(color='output'): the output in cell {int(bad[0])} is beyond the float range "
                         "(about 1.8e308), which a colour bar cannot show")
    return values


def _boundaries(ax, reg: Any, linewidth: float) -> list:
    from matplotlib.collections import LineCollection

    segs, linear = boundary_segments(reg, _xy)  # linear or not is decided exactly
    lin, act = list(segs[linear]), list(segs[~linear])
    lc = LineCollection(lin, colors="black", linewidths=linewidth, label="linear-region boundary")
    ac = LineCollection(
        act, colors="0.45", linewidths=linewidth * 0.6, linestyles="dashed",
        label="activation-only boundary",
    )
    ax.add_collection(lc)
    ax.add_collection(ac)
    return [lc, ac]


def _frame(ax, reg: Any) -> None:
    """Limits, aspect, labels and the title with the counts."""
    h = float(reg.box)
    bounds = getattr(reg.window, "bounds", None)  # a rectangle or polygon window: frame it
    x0, x1, y0, y1 = (float(v) for v in bounds) if bounds else (-h, h, -h, h)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    on_plane = getattr(reg, "plane", None) is not None  # slice: x = p0 + u (p1 - p0) + v (p2 - p0)
    ax.set_xlabel("$u$" if on_plane else "$x_1$")
    ax.set_ylabel("$v$" if on_plane else "$x_2$")
    k = round(math.log10(h)) if h > 0 else 0
    hs = f"10^{{{k}}}" if h == 10.0**k and abs(k) > 2 else f"{h:g}"
    where = f"whole plane (certified box $[-{hs}, {hs}]^2$)" if reg.window is None else f"$[-{hs}, {hs}]^2$"
    if bounds:
        where = str(reg.window)
    ax.set_title(f"{counts_title(reg.net.widths, reg.n_activation, reg.n_linear)}\n{where}")


def _level_sets(reg: Any, level_set: Any, output: int) -> list:
    """List the LevelSets that ``level_set=`` asks for (levels computed, LevelSets kept)."""
    if level_set is None:
        return []
    if isinstance(level_set, (str, bytes, bool)):
        raise InputTypeError(f"level_set must be a number, a LevelSet or a sequence of them, "
                             f"got {level_set!r}")
    items = level_set if isinstance(level_set, Sequence) else [level_set]
    return [c if hasattr(c, "segments") and hasattr(c, "flat_pieces") else reg.level_set(c, output)
            for c in items]


def _mark(ax, reg: Any, points: Any) -> list:
    """Scatter the marked points, each with a label."""
    if points is True:
        if getattr(reg, "plane", None) is None:
            raise InputError("mark_points=True marks the three points of plane=, but these regions hold no "
                             "plane (Regions.plane is None); give the points instead")
        xy, names = [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0)], ["$p_0$", "$p_1$", "$p_2$"]
    else:
        if isinstance(points, (str, bytes)) or not isinstance(points, Sequence):
            raise InputTypeError(f"mark_points must be a sequence of points or True, got {points!r}")
        xy = [_plane_xy(reg, p, i) for i, p in enumerate(points)]
        names = [str(i) for i in range(len(xy))]
    sc = ax.scatter([x for x, _ in xy], [y for _, y in xy], marker="*", s=140, c="gold",
                    edgecolors="black", linewidths=0.7, zorder=5, label="marked points")
    texts = [ax.annotate(n, p, xytext=(5, 5), textcoords="offset points", fontsize="small", zorder=5)
             for n, p in zip(names, xy)]
    return [sc, *texts]


def _plane_xy(reg: Any, point: Any, i: int) -> tuple[float, float]:
    """Place a marked point in the plot's coordinates: as given, or solved on ``reg.plane``."""
    v = to_vector(point, f"mark_points[{i}]", noun="a point's coordinates")
    plane = getattr(reg, "plane", None)
    if len(v) == 2:
        return _fxy((v[0], v[1]))
    if plane is None:
        raise InputError(f"mark_points[{i}] has {counted(len(v), 'coordinate')}; give 2 (the plot's "
                         "coordinates), or set Regions.plane to the slice's three input-space points")
    x0, x1, x2 = (to_vector(p, f"plane[{k}]", noun="a point's coordinates") for k, p in enumerate(plane))
    if len(v) != len(x0):
        raise InputError(f"mark_points[{i}] has {counted(len(v), 'coordinate')} but the plane's points have "
                         f"{len(x0)}")
    e1 = [a - b for a, b in zip(x1, x0)]
    e2 = [a - b for a, b in zip(x2, x0)]
    d = [p - q for p, q in zip(v, x0)]
    r, s = next(((r, s) for r in range(len(v)) for s in range(r + 1, len(v))
                 if e1[r] * e2[s] - e1[s] * e2[r] != 0), (0, 0))
    if r == s:
        raise InputError("Regions.plane: the three points are collinear, they span no plane")
    det = e1[r] * e2[s] - e1[s] * e2[r]
    u, w = (d[r] * e2[s] - d[s] * e2[r]) / det, (e1[r] * d[s] - e1[s] * d[r]) / det
    if any(u * a + w * b != c for a, b, c in zip(e1, e2, d)):
        raise InputError(f"mark_points[{i}] is not on the plane through the three points of "
                         "Regions.plane (checked exactly); mark points of the slice only")
    return _fxy((u, w))


def _legend(ax, artists: list) -> None:
    """Add a legend for the artists that have a label and draw something.

    Below the axes when the figure has a layout engine (it makes room: the figures made
    here are constrained); else inside the axes, where it least covers (``loc="best"``):
    below them it would hang off a figure of default layout.
    """
    from matplotlib.collections import LineCollection

    handles = [a for a in artists
               if not (a.get_label() or "_").startswith("_")
               and not (isinstance(a, LineCollection) and len(a.get_segments()) == 0)]
    if handles and ax.figure.get_layout_engine() is not None:
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2,
                  fontsize="small", frameon=False)
    elif handles:
        ax.legend(handles=handles, loc="best", fontsize="small", framealpha=0.85)


def _fxy(p: tuple[Fraction, Fraction]) -> tuple[float, float]:
    """Return an exact Cartesian point as floats, refusing coordinates beyond what matplotlib draws."""
    try:
        x, y = float(p[0]), float(p[1])
    except OverflowError:
        raise InputError(_BEYOND) from None
    if abs(x) > DRAW_LIMIT or abs(y) > DRAW_LIMIT:
        raise InputError(_BEYOND)
    return x, y


def _xy(p: tuple[int, int, int]) -> tuple[float, float]:
    """Return a homogeneous integer point as floats, refusing coordinates beyond what matplotlib draws."""
    try:
        x, y = p[0] / p[2], p[1] / p[2]
    except OverflowError:
        raise InputError(_BEYOND) from None
    if abs(x) > DRAW_LIMIT or abs(y) > DRAW_LIMIT:
        raise InputError(_BEYOND)
    return x, y


_BEYOND = (f"plot: a vertex lies beyond {limit_text()}; matplotlib draws in floats (its transforms multiply "
           "and subtract coordinates) and draws coordinates up to that size: plot a window instead "
           "(as window=B with B at most 2^1000)")

"""Drawing exact regions with matplotlib (imported lazily; never shows or saves).

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
from typing import Any

from .errors import InputError

__all__ = ["plot_regions"]


def plot_regions(
    reg: Any,
    ax=None,
    *,
    fill: bool = True,
    cmap: str = "tab20",
    linewidth: float = 0.8,
    alpha: float = 0.6,
):
    """Draw a :class:`~exact.cells.Regions`: cells, linear and activation-only boundaries.

    Parameters
    ----------
    reg : Regions
        The regions to draw (an :class:`exact.Regions`; this module reads its cells and
        window only, so it does not import the class).
    ax : matplotlib Axes, optional
        Axes to draw in; a new figure's axes if omitted.
    fill : bool
        Fill each cell with a colour of its linear region.
    cmap : str
        Colormap for the fill.
    linewidth : float
        Width of the linear-region boundaries (activation-only ones are thinner, dashed).
    alpha : float
        Fill opacity.

    Returns
    -------
    list
        ``[fill PolyCollection (if fill), linear-boundary LineCollection,
        activation-only LineCollection]``.
    """
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection, PolyCollection

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 6))
    artists = []
    if fill:
        polys = [[_xy(v) for v in c.verts] for c in reg.cells]
        colormap = plt.get_cmap(cmap)
        colors = [colormap(c.linear_region % colormap.N) for c in reg.cells]
        pc = PolyCollection(polys, facecolors=colors, edgecolors="none", alpha=alpha)
        ax.add_collection(pc)
        artists.append(pc)
    lin, act = [], []
    for k, (_, _, p, q) in enumerate(reg.boundaries):
        seg = [_xy(p), _xy(q)]
        (lin if reg.is_linear_boundary(k) else act).append(seg)
    lc = LineCollection(lin, colors="black", linewidths=linewidth, label="linear-region boundary")
    ac = LineCollection(
        act, colors="0.45", linewidths=linewidth * 0.6, linestyles="dashed",
        label="activation-only boundary",
    )
    ax.add_collection(lc)
    ax.add_collection(ac)
    artists += [lc, ac]
    h = float(reg.box)
    ax.set_xlim(-h, h)
    ax.set_ylim(-h, h)
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    k = round(math.log10(h)) if h > 0 else 0
    hs = f"10^{{{k}}}" if h == 10.0**k and abs(k) > 2 else f"{h:g}"
    where = f"whole plane (certified box $[-{hs}, {hs}]^2$)" if reg.window is None else f"$[-{hs}, {hs}]^2$"
    ax.set_title(
        f"{'-'.join(map(str, reg.net.widths))}: {reg.n_activation} activation / "
        f"{reg.n_linear} linear regions\n{where}"
    )
    return artists


def _xy(p: tuple[int, int, int]) -> tuple[float, float]:
    """Return a homogeneous integer point as floats, refusing coordinates beyond the float range."""
    try:
        return p[0] / p[2], p[1] / p[2]
    except OverflowError:
        raise InputError(
            "plot: a vertex lies beyond the float range (about 1.8e308), which matplotlib cannot "
            "draw; plot a window instead (regions(net, window=B))"
        ) from None

"""The summary of a :class:`~exact.cells.Regions`: counts and the exact extreme areas, JSON-ready.

Examples
--------
>>> from exact import regions
>>> region_summary(regions([([[1.0, 0.0]], [0.0]), ([[1.0]], [0.0])], window=1.0))["smallest_area"]
2.0
"""

from __future__ import annotations

from typing import Any

from .json_numbers import exact_json, json_number
from .polygon_areas import extreme_areas
from .windows import ConvexWindow

__all__ = ["region_summary"]


def region_summary(reg: Any) -> dict:
    """Return what :meth:`exact.cells.Regions.summary` returns (see there).

    Parameters
    ----------
    reg : Regions
        The regions.

    Returns
    -------
    dict
        Counts, the window and the extreme areas of the bounded cells (exact, as
        :func:`~exact.json_numbers.json_number` writes them); in the whole plane also how many
        cells are bounded and unbounded.

    Examples
    --------
    >>> from exact import regions
    >>> sorted(region_summary(regions([([[1.0, 0.0]], [0.0]), ([[1.0]], [0.0])], window=None)))[:3]
    ['activation_regions', 'bounded_cells', 'box']
    """
    bounded = [c.index for c in reg.cells if c.bounded]  # an unbounded cell has no area
    if reg.certified is not None:  # certified float areas filter, exact areas of the candidates decide
        extremes = reg.certified.extreme_areas(bounded)
    elif reg.face_maps is not None:  # one hidden layer: the same from the face arrays
        extremes = reg.face_maps.faces.extreme_areas(bounded)
    else:
        extremes = extreme_areas([reg.cells[k].verts for k in bounded])  # floats filter, exact decides
    return {
        "widths": list(reg.net.widths),
        "window": (reg.window.to_json() if isinstance(reg.window, ConvexWindow)
                   else None if reg.window is None else exact_json(reg.window)),
        "box": json_number(reg.box),
        "activation_regions": reg.n_activation,
        "linear_regions": reg.n_linear,
        **({} if reg.window is not None else  # the areas below are the bounded cells' only: say how many
           {"bounded_cells": len(bounded), "unbounded_cells": len(reg.cells) - len(bounded)}),
        "smallest_area": None if extremes is None else json_number(extremes[0]),
        "largest_area": None if extremes is None else json_number(extremes[1]),
    }

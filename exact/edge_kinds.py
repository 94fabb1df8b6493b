"""The shared edges of 2-D regions as float segments for drawing, split into two kinds.

A *linear-region boundary* separates two cells whose exact output maps differ; an
*activation-only boundary* separates two cells with the same map (a neuron changes piece,
the function does not bend there).  Both the matplotlib plot (:mod:`exact.plotting`) and
the HTML view (:mod:`exact.html_view`) draw the two kinds differently, from these segments.
The split is exact: regions built from certified cells decide it from their exact linear
labels (:meth:`~exact.certified_regions.CertifiedCells.float_segments`), the others from the
exact shared edges (:meth:`~exact.cells.Regions.is_linear_boundary`); only the coordinates are
floats.

Examples
--------
>>> from exact import regions
>>> r = regions([([[1, 0], [-1, 0]], [0, 0]), ([[1, -1]], [0])], window=1)  # relu(x) - relu(-x) = x
>>> segs, linear = boundary_segments(r, lambda p: (p[0] / p[2], p[1] / p[2]))
>>> segs.tolist(), linear.tolist()     # x = 0 splits the cells, yet the map is x on both sides
([[[0.0, -1.0], [0.0, 1.0]]], [False])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["boundary_segments"]


def boundary_segments(reg: Any, to_xy: Callable[[tuple[int, int, int]], tuple[float, float]]
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Return the shared edges of 2-D regions as float segments, and which separate linear regions.

    Parameters
    ----------
    reg : Regions
        Exact regions of a net with 2-D input (or a 2-D slice).
    to_xy : callable
        Turns an exact homogeneous point ``(X, Y, D)`` into its floats ``(x, y)``, raising
        what the caller says of a point it cannot draw (used where the edges are exact
        points; certified cells give their float vertices directly).

    Returns
    -------
    segments : ndarray of float64, shape (P, 2, 2)
        Each shared edge's two ends.
    linear : ndarray of bool, shape (P,)
        True where the exact output map changes across the edge.

    Examples
    --------
    >>> from exact import regions
    >>> r = regions([([[1, 0], [0, 1]], [0, 0]), ([[1, 0]], [0])], window=1)   # relu(x1): y = 0 is no bend
    >>> segs, linear = boundary_segments(r, lambda p: (p[0] / p[2], p[1] / p[2]))
    >>> len(segs), sorted(linear.tolist())
    (4, [False, False, True, True])
    """
    certified = getattr(reg, "certified", None)
    if certified is not None:
        return certified.float_segments()
    segs, linear = [], []
    for k, (_, _, p, q) in enumerate(reg.boundaries):
        segs.append((to_xy(p), to_xy(q)))
        linear.append(reg.is_linear_boundary(k))
    return np.array(segs, dtype=np.float64).reshape(-1, 2, 2), np.array(linear, dtype=bool)

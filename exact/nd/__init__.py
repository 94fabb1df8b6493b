"""Exact activation and linear regions of piecewise-linear MLPs with any input width.

The ``d``-dimensional engine: every cell is an exact convex polytope (rational vertices,
integer halfspaces), made layer by layer by cutting with each neuron's breakpoint
hyperplane (:mod:`exact.nd.layer_cells`, on the exact double description of
:mod:`exact.nd.polytope`); floats only filter, with rigorous error bounds.  The whole
space is a cube known a priori to hold every vertex of every cell, and for pictures a
cube just past them (:mod:`exact.nd.whole_space`, :mod:`exact.nd.vertex_bounds`).

:func:`regions_nd`, :func:`count_regions_nd`
    The cells and linear regions of a network in a box ``[-B, B]^d`` or
    ``prod [lo_i, hi_i]``, or in all of ``R^d`` (``window=None``); their two counts,
    without building the cells' objects (:mod:`exact.nd.region_counts`).
:class:`RegionsND`, :class:`CellND`, :class:`Halfspaces`, :class:`AffineMapND`
    The results: patterns, exact vertices, interior points, halfspaces ``D x <= g`` with
    the facets marked, affine maps, exact volumes, adjacency, point location.
:func:`check_box`
    The window argument, read exactly.

Examples
--------
>>> import exact.nd
>>> r = exact.nd.regions_nd([([[1, 0, 0], [0, 1, 0], [0, 0, 1]], [0, 0, 0]), ([[1, 1, 1]], [0])], window=1)
>>> r.n_activation, r.n_linear, sum(c.volume for c in r)
(8, 8, Fraction(8, 1))
>>> exact.nd.count_regions_nd([([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]], [0, 0, 0, -100]),
...                            ([[1, 1, 1, 1]], [0])], window=None)      # 1 + 4 + 6 + 4
RegionCounts(activation=15, linear=15)
"""

from .api import count_regions_nd, regions_nd
from .box_window import BoxLike, check_box
from .region_set import AffineMapND, CellND, Halfspaces, RegionsND

__all__ = ["AffineMapND", "BoxLike", "CellND", "Halfspaces", "RegionsND", "check_box", "count_regions_nd",
           "regions_nd"]

"""Counting the activation and linear regions of a net with any input width, without the cells' objects.

:func:`exact.nd.count_regions_nd` and :func:`exact.count_regions` come here: the exact
cells are made (:mod:`exact.nd.layer_cells`) and counted, in the whole space in one cube
(the a-priori cube of :func:`~exact.nd.vertex_bounds.vertex_bound`, or when only the first
layer has breakpoints the cube just past its vertices: one enumeration, no certificate to
check); what only :func:`exact.nd.regions_nd` needs (cell objects, facet flags of every
cell, the adjacency of all cells) is not made.  A linear region is a set of cells joined
across shared facets with equal output maps, so it lies in one class of cells with the
same exact map: a cell alone in its class is a linear region by itself, and only the
classes of two or more cells are searched for shared facets, each class on its own.

Examples
--------
>>> from fractions import Fraction
>>> from exact.network import ExactNet
>>> net = ExactNet.from_layers([([[1, 0, 0], [0, 1, 0]], [0, 0]), ([[1, 0]], [0])])   # relu(x) + 0 relu(y)
>>> count_cells_nd(net, [Fraction(-1)] * 3, [Fraction(1)] * 3)
RegionCounts(activation=4, linear=2)
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from ..cells import RegionCounts
from ..network import ExactNet
from .facet_adjacency import linear_labels_by_map
from .job_memory import fitting_box
from .layer_cells import RawCellND, enumerate_cells_nd
from .whole_space import whole_space_cells

__all__ = ["count_cells_nd", "count_linear"]


def count_linear(cells: Sequence[RawCellND], n_box: int) -> int:
    """Count the linear regions of a subdivision into cells: components across facets with equal maps.

    Parameters
    ----------
    cells : sequence of RawCellND
        The cells of a box (as :func:`~exact.nd.layer_cells.enumerate_cells_nd` makes them).
    n_box : int
        The number of box rows leading every cell's rows (``2 d``).

    Returns
    -------
    int
        The number of linear regions, as :attr:`RegionsND.n_linear
        <exact.nd.region_set.RegionsND>` counts them.

    Notes
    -----
    Cells are grouped by their exact output map ``(out, out_den)`` (in lowest terms, so
    equal maps have equal keys); each group of two or more cells is searched for shared
    facets among its own cells only, and the components counted
    (:func:`~exact.nd.facet_adjacency.linear_labels_by_map`, exact, as
    :class:`~exact.nd.region_set.RegionsND` labels them).  A net whose cells all have
    distinct maps costs one dictionary pass.

    Examples
    --------
    >>> from exact.nd.polytope import box, split
    >>> _, a, b = split(box([Fraction(-1)] * 2, [Fraction(1)] * 2), (1, 0, 0))     # x = 0
    >>> same = ((0, 0, 1),)                                                      # the output 1 on both
    >>> count_linear([RawCellND(a, (1,), same, 1), RawCellND(b, (0,), same, 1)], 4)
    1
    >>> count_linear([RawCellND(a, (1,), ((1, 0, 0),), 1), RawCellND(b, (0,), same, 1)], 4)
    2
    """
    labels = linear_labels_by_map([c.poly for c in cells], [(c.out, c.out_den) for c in cells], n_box)
    return max(labels, default=-1) + 1


def count_cells_nd(net: ExactNet, lo: Sequence[Fraction] | None, hi: Sequence[Fraction] | None = None, *,
                   max_regions: int | None = None, max_memory: int | None = None,
                   progress: bool = False) -> RegionCounts:
    """Count the activation and linear regions in a box or the whole space (arguments already checked).

    Parameters
    ----------
    net : ExactNet
        Any input width ``d``.
    lo, hi : sequence of Fraction, shape (d,), or None
        The box ``prod [lo_i, hi_i]``, ``lo_i < hi_i``; ``lo`` None for all of ``R^d``.
    max_regions, max_memory : int or None
        The guards of :func:`~exact.nd.layer_cells.enumerate_cells_nd` (bytes).
    progress : bool
        A progress bar on standard error.

    Returns
    -------
    RegionCounts
        ``(activation, linear)``, equal to :func:`exact.nd.regions_nd`'s counts.

    Raises
    ------
    TooManyRegionsError, ResourceLimitError
        From the guards; a box whose corners and first cut alone pass ``max_memory``
        before anything is made (:func:`~exact.nd.job_memory.check_job_memory`).

    Examples
    --------
    >>> net = ExactNet.from_layers([([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]], [0, 0, 0, 0]),
    ...                             ([[1, 1, 1, 1]], [0])])
    >>> count_cells_nd(net, None)          # four planes through one point
    RegionCounts(activation=14, linear=14)
    """
    if lo is None:
        _, cells = whole_space_cells(net, max_regions=max_regions, max_memory=max_memory, progress=progress,
                                     hug=False)
    else:
        cells = enumerate_cells_nd(net, fitting_box(net, lo, hi, max_memory), max_regions=max_regions,
                                   max_memory=max_memory, progress=progress)
    return RegionCounts(len(cells), count_linear(cells, 2 * net.input_dim))

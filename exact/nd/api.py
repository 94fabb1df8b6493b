"""Public entry points: exact regions and counts of a network with any input width, in a box.

Examples
--------
>>> import exact.nd
>>> net = [([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]], [0, 0, 0, -1]), ([[1, 1, 1, 1]], [0])]
>>> exact.nd.count_regions_nd(net, window=2)          # 4 planes in general position: 1+4+6+4
RegionCounts(activation=15, linear=15)
"""

from __future__ import annotations

from typing import Any

from ..cells import RegionCounts
from ..errors import InputTypeError
from ..loading import as_exact_net
from ..network import ExactNet
from ..validation import (
    DEFAULT_MAX_MEMORY,
    DEFAULT_MAX_REGIONS,
    DEFAULT_WINDOW,
    MemoryLike,
    check_max_memory,
    check_max_regions,
)
from .box_window import BoxLike, check_box, check_box_fits
from .region_counts import count_cells_nd
from .region_set import RegionsND

__all__ = ["count_regions_nd", "regions_nd"]

def regions_nd(net: Any, window: BoxLike = DEFAULT_WINDOW, *, activation: str | None = None,
               max_regions: int | None = DEFAULT_MAX_REGIONS, max_memory: MemoryLike = DEFAULT_MAX_MEMORY,
               progress: bool = False) -> RegionsND:
    """Compute the exact activation and linear regions of a network with any input width.

    Parameters
    ----------
    net : torch.nn.Module, list of (W, b), ExactNet, or path
        Any network :func:`exact.as_exact_net` accepts, of any input width ``d``.
    window : real, sequence or None, default 10
        Half-width ``B`` of the cube ``[-B, B]^d``, ``d`` pairs ``(lo_i, hi_i)``, or the
        same flat (:func:`check_box`); ``None`` for the whole space ``R^d`` (certified:
        :mod:`exact.nd.whole_space`).
    activation : str, optional
        Hidden activation when ``net`` is a list of layers (default ``relu``).
    max_regions : int or None, default 2_000_000
        Stop with :class:`~exact.errors.TooManyRegionsError` as soon as a layer has more
        cells.
    max_memory : int, float, str or None, default "auto"
        Stop with :class:`~exact.errors.ResourceLimitError` as soon as the cells would
        take more memory; the box alone (``2^d`` vertices) is refused before it is built.
    progress : bool
        A progress bar on standard error.

    Returns
    -------
    RegionsND
        The cells (pattern, exact vertices and halfspaces, interior point, affine map,
        volume), their adjacency, the linear regions, point location.

    Raises
    ------
    InputError
        A bad network or window (:func:`check_box`), or bad guards.
    InputTypeError
        Arguments of the wrong type.
    TooManyRegionsError
        More than ``max_regions`` cells.
    ResourceLimitError
        More memory than ``max_memory``.

    Notes
    -----
    Every decision is exact (integer signs); floats only filter with rigorous bounds.
    The cost is output-sensitive: per cell and layer one map product and one float
    filter, and an exact cut per hyperplane the filter cannot place (see
    :func:`~exact.nd.layer_cells.enumerate_cells_nd`); linear regions by matching facets
    (:func:`~exact.nd.facet_adjacency.linear_labels_by_map`).  The whole space: the cells
    are made once, in a cube known to meet every cell (:mod:`exact.nd.whole_space`), and
    shown in the power-of-two cube just past every vertex, each clipped to it when first
    asked for (unbounded ones have ``bounded`` False).  The
    vertex description costs up to ``2^d`` vertices per cell at the box's corners: meant
    for small ``d`` (measured: 3-D and 4-D nets of widths 8 to 50 in seconds).

    Examples
    --------
    >>> net = [([[1, 0, 0], [0, 1, 0]], [0, 0]), ([[1, 0]], [0])]     # relu(x) + 0 relu(y)
    >>> r = regions_nd(net, window=1)
    >>> r.n_activation, r.n_linear                                  # y's fold is invisible
    (4, 2)
    >>> r.locate([0.5, 0.5, 0.5]).pattern, r.cells[0].interior_point()
    ((1, 1), (Fraction(1, 2), Fraction(1, 2), Fraction(0, 1)))
    >>> whole = regions_nd(net, window=None)
    >>> whole.n_activation, [c.bounded for c in whole], whole.locate([-10**9, 5, 0]).pattern
    (4, [False, False, False, False], (0, 1))
    """
    enet, box, mem = _checked(net, window, activation, max_regions, max_memory, progress)
    if box is None:
        return RegionsND.build_whole_space(enet, max_regions=max_regions, max_memory=mem, progress=progress)
    return RegionsND.build(enet, box[0], box[1], max_regions=max_regions, max_memory=mem, progress=progress)


def _checked(net: Any, window: BoxLike, activation: str | None, max_regions: Any, max_memory: Any,
             progress: Any) -> tuple[ExactNet, tuple | None, int | None]:
    """Check the arguments of :func:`regions_nd` and :func:`count_regions_nd`: the net, the box, the bytes."""
    enet = as_exact_net(net, activation=activation)
    box = None if window is None else check_box(window, enet.input_dim)
    check_max_regions(max_regions)
    mem = check_max_memory(max_memory)
    if not isinstance(progress, bool):
        raise InputTypeError(f"progress must be True or False, got {progress!r:.60}")
    check_box_fits(enet.input_dim, mem)
    return enet, box, mem


def count_regions_nd(net: Any, window: BoxLike = DEFAULT_WINDOW, *, activation: str | None = None,
                     max_regions: int | None = DEFAULT_MAX_REGIONS,
                     max_memory: MemoryLike = DEFAULT_MAX_MEMORY, progress: bool = False) -> RegionCounts:
    """Count the exact activation and linear regions of a network with any input width, in a box.

    Parameters
    ----------
    net, window, activation, max_regions, max_memory, progress
        As in :func:`regions_nd`.

    Returns
    -------
    RegionCounts
        ``(activation, linear)``, as :func:`regions_nd` counts them.

    Raises
    ------
    InputError, InputTypeError, TooManyRegionsError, ResourceLimitError
        As :func:`regions_nd`.

    Notes
    -----
    The cells are made and counted, not built into objects
    (:func:`~exact.nd.region_counts.count_cells_nd`): in the whole space in one cube found
    a priori (:func:`~exact.nd.vertex_bounds.vertex_bound`), and only cells with equal
    output maps are searched for shared facets.

    Examples
    --------
    >>> count_regions_nd([([[1.0], [1.0]], [0.0, -1.0]), ([[1.0, -1.0]], [0.0])], window=[(-3, 3)])
    RegionCounts(activation=3, linear=3)
    """
    enet, box, mem = _checked(net, window, activation, max_regions, max_memory, progress)
    lo, hi = (None, None) if box is None else box
    return count_cells_nd(enet, lo, hi, max_regions=max_regions, max_memory=mem, progress=progress)

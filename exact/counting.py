"""Region counts without polygons: the fast path of :func:`count_regions`.

Examples
--------
>>> count_regions([([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0]), ([[1.0, 0.0]], [0.0])], window=None)
RegionCounts(activation=4, linear=2)
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from fractions import Fraction
from typing import Any, NamedTuple

from .arrangement import arrangement_faces, shallow_line_jumps
from .certify import batched_plane_cells, initial_box
from .errors import InputError, Undecided
from .lastlayer import batched_counts
from .regions import DEFAULT_MAX_REGIONS, check_window, exact_regions, prepare_net

__all__ = ["RegionCounts", "count_regions"]

log = logging.getLogger(__name__)


class RegionCounts(NamedTuple):
    """Exact counts of activation regions and linear regions."""

    activation: int
    linear: int


def count_regions(
    net: Any,
    window: float | Fraction | None = None,
    *,
    plane: Sequence[Any] | None = None,
    activation: str | None = None,
    max_regions: int | None = DEFAULT_MAX_REGIONS,
    progress: bool = False,
) -> RegionCounts:
    """Exact numbers of activation and linear regions, without building polygons.

    Parameters
    ----------
    net, plane, activation, max_regions, progress
        As in :func:`exact.regions`.
    window : float, Fraction or None, default None
        Half-width ``B`` of ``[-B, B]^2``; ``None`` (default) counts the whole plane.

    Returns
    -------
    RegionCounts
        ``(activation, linear)``.

    Notes
    -----
    One hidden layer: the activation cells are the faces of the arrangement of the
    distinct breakpoint lines, counted by :func:`exact.arrangement.arrangement_faces`
    in O(n^2 log n); the linear regions are the faces of the lines across which the
    output's gradient jumps.  Deeper networks are split layer by layer with certified
    float arithmetic (:mod:`exact.batched`; in a window the last layer's cells are counted,
    not built, by :mod:`exact.lastlayer`; in the whole plane all layers are split inside a
    box grown until :func:`exact.certify.rays_leave_freely` holds), which hands over to the
    exact engine of
    :func:`exact.regions` if any test is too close to call (logged at INFO level on the
    ``exact.counting`` logger).

    Examples
    --------
    >>> import torch
    >>> _ = torch.manual_seed(0)
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 20), torch.nn.ReLU(), torch.nn.Linear(20, 1))
    >>> count_regions(net).activation   # 20 lines in general position: 20*21/2 + 1
    211
    """
    enet = prepare_net(net, plane=plane, activation=activation)
    w = check_window(window)
    if enet.n_hidden_layers == 0:
        return RegionCounts(1, 1)
    if enet.n_hidden_layers == 1:
        jumps = shallow_line_jumps(enet)
        n_act = arrangement_faces(list(jumps), w)
        kinks = [l for l, j in jumps.items() if any(v != 0 for v in j)]
        n_lin = n_act if len(kinks) == len(jumps) else arrangement_faces(kinks, w)
        return RegionCounts(n_act, n_lin)
    if max_regions is not None and (isinstance(max_regions, bool) or max_regions < 1):
        raise InputError(f"max_regions must be a positive integer or None, got {max_regions!r}")
    half = None  # the float certificate's box, if it got that far
    try:
        if w is None:
            half, cells = batched_plane_cells(enet, max_regions=max_regions, progress=progress)
            return RegionCounts(len(cells), cells.linear_count())
        return RegionCounts(*batched_counts(enet, w, max_regions=max_regions, progress=progress))
    except Undecided as why:  # a test too close to call in floats: the exact engine decides
        log.info("count_regions: certified floats could not decide (%s); using the exact engine", why)
    # in the plane, start the exact search without asking the floats a second time
    start = (half if half is not None else initial_box(enet)) if w is None else None
    r = exact_regions(enet, w, max_regions=max_regions, progress=progress, plane_start=start)
    return RegionCounts(r.n_activation, r.n_linear)

"""Sizes of the activation regions: exact areas and volumes, or inscribed-ball radii, with their statistics.

In 2-D the exact area of each cell (:attr:`exact.Cell.exact_area`), in 3-D its exact
volume (:attr:`exact.CellND.volume`, a triangulation of exact vertices): Fractions that
add up to the window's size.  In 4-D and more, where exact volumes grow costly, the
radius of each cell's largest inscribed ball (its Chebyshev radius,
:func:`exact.chebyshev_lp.chebyshev_ball`), a float estimate; it can be asked for in
2-D and 3-D too.  A cell of the whole plane or space that is unbounded has infinite
size: it is listed apart and never given a number.

Examples
--------
>>> import exact
>>> r = exact.regions([([[1, 0, 0], [0, 1, 0], [0, 0, 1]], [0, 0, 0]), ([[1, 1, 1]], [0])], window=1)
>>> s = region_sizes(r)               # 8 unit cubes
>>> s.measure, s.smallest, s.median, s.largest, sum(s.sizes)
('volume', Fraction(1, 1), Fraction(1, 1), Fraction(1, 1), Fraction(8, 1))
>>> round(region_sizes(r, "radius").largest, 12)
0.5
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .chebyshev_lp import chebyshev_ball
from .errors import ExactnetError, InputError, InputTypeError
from .json_numbers import json_number
from .predicates import point_from_xy, side

__all__ = ["MEASURES", "RegionSizes", "inscribed_ball", "region_sizes", "sizes_or_none"]

MEASURES = ("auto", "volume", "area", "radius")
"""The ``measure`` values :func:`region_sizes` accepts."""


@dataclass(frozen=True)
class RegionSizes:
    """The size of every activation region and their summary.

    Attributes
    ----------
    measure : {"area", "volume", "radius"}
        What was measured: exact area (2-D), exact ``d``-dimensional volume, or the
        inscribed-ball (Chebyshev) radius.
    exact : bool
        True for areas and volumes (Fractions), False for radii (float estimates).
    sizes : tuple of (Fraction, float or None)
        One per cell, in cell order; ``None`` for an unbounded cell.
    unbounded : tuple of int
        Indices of the unbounded cells (of the whole plane or space): infinite size.
    """

    measure: str
    exact: bool
    sizes: tuple[Fraction | float | None, ...]
    unbounded: tuple[int, ...]

    @property
    def n_bounded(self) -> int:
        """Number of bounded cells (those with a size)."""
        return len(self.sizes) - len(self.unbounded)

    @property
    def smallest(self) -> Fraction | float | None:
        """The smallest size of a bounded cell (None without one)."""
        return min(self._finite(), default=None)

    @property
    def largest(self) -> Fraction | float | None:
        """The largest size of a bounded cell (None without one)."""
        return max(self._finite(), default=None)

    @property
    def median(self) -> Fraction | float | None:
        """The median size of the bounded cells (the mean of the middle two for an even count)."""
        v = sorted(self._finite())
        if not v:
            return None
        m = len(v) // 2
        return v[m] if len(v) % 2 else (v[m - 1] + v[m]) / 2

    def _finite(self) -> list[Fraction | float]:
        return [s for s in self.sizes if s is not None]

    def __repr__(self) -> str:
        """Sum up in a line: counts and the extremes to six digits (``sizes`` holds the exact values)."""
        def short(v: Fraction | float | None) -> str:
            if v is None:
                return "None"
            j = json_number(v) if isinstance(v, Fraction) else v   # a float, or text past the float range
            return f"{j:.6g}" if isinstance(j, float) else str(j)

        return (f"RegionSizes(measure={self.measure!r}, exact={self.exact}, cells={len(self.sizes)}, "
                f"bounded={self.n_bounded}, smallest={short(self.smallest)}, median={short(self.median)}, "
                f"largest={short(self.largest)})")


def inscribed_ball(cell: Any) -> tuple[float, tuple[float, ...]]:
    """Return the radius and a centre of the largest ball inside a bounded cell (float estimate).

    Parameters
    ----------
    cell : Cell or CellND
        A bounded cell (in a window, every cell is: the window clips it).

    Returns
    -------
    radius : float
        The Chebyshev radius, from a float linear program on the cell's exact facets
        (:func:`exact.chebyshev_lp.chebyshev_ball`): a float statistic, not exact.
    centre : tuple of float, shape (d,)

    Raises
    ------
    InputError
        An unbounded cell (infinite radius).
    InputTypeError
        Not a cell.

    Examples
    --------
    >>> import exact
    >>> r = exact.regions([([[1, 0]], [0]), ([[1]], [0])], window=1)
    >>> rad, centre = inscribed_ball(r.locate((0.5, 0)))       # the rectangle [0, 1] x [-1, 1]
    >>> round(rad, 12), round(centre[0], 12)
    (0.5, 0.5)
    """
    rows, inside = _facet_rows(cell)
    if not cell.bounded:
        raise InputError(f"cell {cell.index} is unbounded: its inscribed balls have no largest radius")
    return chebyshev_ball(rows, inside)


def _facet_rows(cell: Any) -> tuple[list[tuple], tuple[Fraction, ...]]:
    """Return the cell as exact rows ``a . x + c >= 0`` and an exact interior point."""
    if hasattr(cell, "facet") and hasattr(cell, "rows"):  # CellND: rows kept >= 0, facets marked
        return [r for r, f in zip(cell.rows, cell.facet) if f], cell.interior_point()
    if hasattr(cell, "edges") and hasattr(cell, "verts"):  # Cell: edge lines, oriented by the centroid
        x, y = cell.interior_point()
        p = point_from_xy(x, y)
        return [e if side(e, p) > 0 else tuple(-v for v in e) for e in cell.edges], (x, y)
    raise InputTypeError(f"cell must be a Cell or CellND of exact.regions, got {type(cell).__name__}")


def region_sizes(regions: Any, measure: str = "auto") -> RegionSizes:
    """Measure every activation region: exact area or volume, or inscribed-ball radius.

    Parameters
    ----------
    regions : Regions or RegionsND
        Exact regions from :func:`exact.regions`, in a window or the whole plane or
        space.
    measure : {"auto", "volume", "area", "radius"}, default "auto"
        ``"auto"``: exact area in 2-D, exact volume in 1-D and 3-D, radius from 4-D on.
        ``"volume"``: the exact ``d``-dimensional volume in any dimension (the area in
        2-D; costly from 4-D on).  ``"area"``: the same, for a 2-D input only.
        ``"radius"``: the inscribed-ball radius, a float estimate.

    Returns
    -------
    RegionSizes
        Per cell sizes (``None`` for unbounded cells, listed in ``unbounded``), and
        ``smallest``, ``median``, ``largest`` over the bounded cells.

    Raises
    ------
    InputError
        An unknown ``measure``, or ``"area"`` for an input that is not 2-D.
    InputTypeError
        ``regions`` is not a result of :func:`exact.regions`.

    Notes
    -----
    Areas and volumes are exact and the bounded cells of a window add up to its area or
    volume.  Radii solve one small float linear program per cell (scipy's HiGHS: the
    ``analysis`` extra).  Regions made on a ``plane=`` slice are measured in its
    ``(u, v)`` coordinates.

    Examples
    --------
    >>> import exact
    >>> s = region_sizes(exact.regions([([[1, 0], [0, 1]], [0, 0]), ([[1, 1]], [0])], window=None))
    >>> s.measure, s.unbounded, s.smallest
    ('area', (0, 1, 2, 3), None)
    """
    cells = getattr(regions, "cells", None)
    if not hasattr(getattr(regions, "net", None), "widths") or not isinstance(cells, list):
        raise InputTypeError(f"regions must be the result of exact.regions (Regions or RegionsND), "
                             f"got {type(regions).__name__}")
    if not isinstance(measure, str) or measure not in MEASURES:
        raise InputError(f"measure must be one of {', '.join(map(repr, MEASURES))}, got {measure!r:.60}")
    planar = hasattr(regions, "box")  # a 2-D Regions (RegionsND keeps lo, hi)
    d = 2 if planar else len(regions.lo)
    if measure == "area" and d != 2:
        raise InputError(f"measure 'area' is for a 2-D input; this one is {d}-D (use 'volume' or 'radius')")
    if measure == "auto":
        measure = "area" if d == 2 else "volume" if d <= 3 else "radius"
    elif measure == "volume" and d == 2:
        measure = "area"
    if getattr(regions, "certified", None) is not None:  # lazy exact cells: made in chunks, with a bar
        regions.certified.resolve_all()
    unbounded = tuple(c.index for c in cells if not c.bounded)
    sizes: list[Any] = []
    for c in cells:
        if not c.bounded:
            sizes.append(None)
        elif measure == "radius":
            sizes.append(inscribed_ball(c)[0])
        else:
            sizes.append(c.exact_area if planar else c.volume)
    return RegionSizes(measure, measure != "radius", tuple(sizes), unbounded)


def sizes_or_none(regions: Any, measure: str = "auto") -> RegionSizes | None:
    """Return :func:`region_sizes`, or None when ``measure="auto"`` asks for radii and scipy is missing.

    For summaries and ``--stats``: without the ``analysis`` extra a 4-D result still has
    its counts; an explicit ``measure="radius"`` still raises.

    Parameters
    ----------
    regions : Regions or RegionsND
    measure : str, default "auto"

    Returns
    -------
    RegionSizes or None

    Raises
    ------
    InputError, InputTypeError, ExactnetError
        As :func:`region_sizes`, except the missing scipy of an ``"auto"`` measure.

    Examples
    --------
    >>> import exact
    >>> sizes_or_none(exact.regions([([[1, 0]], [0]), ([[1]], [0])], window=1)).measure
    'area'
    """
    try:
        return region_sizes(regions, measure)
    except ExactnetError as exc:
        if measure != "auto" or "scipy" not in str(exc):
            raise
        return None

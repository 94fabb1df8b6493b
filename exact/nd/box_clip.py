"""Moving cells made in one box into a smaller box: clip them, and let the smaller box's rows lead.

The whole space is enumerated in a cube known a priori to hold every vertex
(:func:`~exact.nd.vertex_bounds.vertex_bound`: a loose, astronomically large one); the
cells of :func:`exact.nd.regions_nd` are shown in a cube just past their vertices.  A cell
off the big cube's sides keeps its vertices (only its box rows change); a cell reaching
them is clipped by the small cube's sides with the exact :func:`~exact.nd.polytope.split`.

Examples
--------
>>> from fractions import Fraction
>>> from exact.nd.polytope import box, split
>>> _, right, _ = split(box([Fraction(-64)] * 2, [Fraction(64)] * 2), (1, 0, -1))    # x >= 1
>>> small = clip_to_box(right, box([Fraction(-4)] * 2, [Fraction(4)] * 2))
>>> sorted(small.verts), small.rows
([(1, -4, 1), (1, 4, 1), (4, -4, 1), (4, 4, 1)], ((1, 0, 4), (-1, 0, 4), (0, 1, 4), (0, -1, 4), (1, 0, -1)))
"""

from __future__ import annotations

from .polytope import Polytope, row_sign, split

__all__ = ["clip_to_box"]


def clip_to_box(poly: Polytope, inner: Polytope) -> Polytope:
    """Clip a polytope made in a box to a smaller box inside that box's interior, the new box's rows first.

    Parameters
    ----------
    poly : Polytope
        A full-dimensional polytope whose first ``2 d`` rows are a box's
        (:func:`~exact.nd.polytope.box`), which holds ``inner`` in its interior.
    inner : Polytope
        The smaller box (:func:`~exact.nd.polytope.box`); ``poly`` must meet its interior.

    Returns
    -------
    Polytope
        ``poly`` intersected with ``inner``: its rows are ``inner``'s ``2 d`` followed by
        ``poly``'s other rows (same order, same indices), its tight sets complete.

    Raises
    ------
    ValueError
        When ``poly`` does not meet the smaller box's interior.

    Notes
    -----
    A polytope with no vertex on its box's sides lies inside that box's interior and is
    kept, its rows relabelled.  Otherwise each side of ``inner`` cuts it
    (:func:`~exact.nd.polytope.split`, exact), keeping the inner part; no vertex of the
    result is on the larger box's sides, so those rows' bits are dropped and ``inner``'s
    set where each side is exactly zero.  At most ``2 d`` cuts and ``2 d`` exact signs
    per vertex.

    Examples
    --------
    >>> from fractions import Fraction
    >>> from exact.nd.polytope import box, split
    >>> cut = split(box([Fraction(-8)] * 3, [Fraction(8)] * 3), (1, 1, 1, 0))[1]     # x + y + z >= 0
    >>> small = clip_to_box(cut, box([Fraction(-1)] * 3, [Fraction(1)] * 3))
    >>> len(small.verts), len(small.rows), small.rows[-1]              # 4 corners + the hexagon
    (10, 7, (1, 1, 1, 0))
    """
    n_box = len(inner.rows)
    rows = poly.rows
    if not any(t & ((1 << n_box) - 1) for t in poly.tight):   # inside the box's interior: only relabel
        return Polytope(poly.verts, poly.tight, inner.rows + rows[n_box:])
    keep = ((1 << len(rows)) - 1) ^ ((1 << n_box) - 1)   # poly's own rows past its box
    for row in inner.rows:
        where, above, _ = split(poly, row)
        if where == 2:
            poly = above
        elif where != 1:
            raise ValueError(f"the polytope does not meet the box's interior (side {where} of {row})")
    tight = [(t & keep) | sum(1 << r for r, row in enumerate(inner.rows) if row_sign(row, p) == 0)
             for p, t in zip(poly.verts, poly.tight)]
    return Polytope(poly.verts, tight, inner.rows + rows[n_box:])

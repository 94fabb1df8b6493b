"""Exact volumes of polytopes in any dimension, from a triangulation made of their faces.

The pulling triangulation (Lee 1991): cone the lowest-numbered vertex over the
triangulations of the facets that miss it, recursively.  Faces are found from the tight
sets of :class:`~exact.nd.polytope.Polytope` alone (the facets of a face are the maximal
proper faces it shares with a row), so the triangulation is exact, and each simplex's
volume is a determinant of integers.  The volume is independent of how the polytope
was made, which makes it a check of the enumeration: the cells of a box must fill it.

References
----------
.. [1] C. W. Lee, "Regular triangulations of convex polytopes", in *Applied Geometry and
   Discrete Mathematics*, DIMACS Ser. 4, AMS, 1991, 443-456.

Examples
--------
>>> from fractions import Fraction
>>> from exact.nd.polytope import box, split
>>> cube = box([Fraction(0)] * 3, [Fraction(1)] * 3)
>>> polytope_volume(cube)
Fraction(1, 1)
>>> _, corner, rest = split(cube, (-1, -1, -1, 1))   # x + y + z <= 1: a corner simplex
>>> polytope_volume(corner), polytope_volume(rest)
(Fraction(1, 6), Fraction(5, 6))
"""

from __future__ import annotations

import math
from fractions import Fraction

from .polytope import Polytope, determinant, vertex_masks

__all__ = ["polytope_volume", "simplices"]


def simplices(poly: Polytope) -> list[tuple[int, ...]]:
    """Triangulate a full-dimensional polytope without new vertices.

    Parameters
    ----------
    poly : Polytope
        A bounded, full-dimensional polytope with complete tight sets.

    Returns
    -------
    list of tuple of int
        Each simplex as ``d + 1`` vertex indices; the simplices' interiors are disjoint
        and they cover the polytope.

    Notes
    -----
    The number of simplices is at most the number of complete flags of faces; for the
    small cells of a network it is a few times the vertex count.

    Examples
    --------
    >>> from fractions import Fraction
    >>> from exact.nd.polytope import box
    >>> len(simplices(box([Fraction(0)] * 3, [Fraction(1)] * 3)))     # a cube: 6 tetrahedra
    6
    """
    vm = vertex_masks(poly.tight, len(poly.rows))
    d = len(poly.verts[0]) - 1
    memo: dict[int, list[tuple[int, ...]]] = {}
    return _cone((1 << len(poly.verts)) - 1, d, vm, memo)


def _cone(face: int, dim: int, vm: list[int], memo: dict) -> list[tuple[int, ...]]:
    """Triangulate (pulling) the face with vertex mask ``face`` and dimension ``dim``."""
    if face in memo:
        return memo[face]
    low = face & -face
    apex = low.bit_length() - 1
    if dim == 0:
        return [(apex,)]
    cands = {face & m for m in vm} - {face, 0}
    out = []
    for g in cands:
        if g & low or any(g != h and g & h == g for h in cands):
            continue  # holds the apex, or is not a facet of the face
        out.extend((apex,) + s for s in _cone(g, dim - 1, vm, memo))
    memo[face] = out
    return out


def polytope_volume(poly: Polytope) -> Fraction:
    """Return the exact volume of a full-dimensional polytope.

    Parameters
    ----------
    poly : Polytope

    Returns
    -------
    Fraction
        The sum over :func:`simplices` of ``|det [X_i, D_i]| / (d! prod D_i)``.

    Examples
    --------
    >>> from fractions import Fraction
    >>> from exact.nd.polytope import box
    >>> polytope_volume(box([Fraction(-1, 2), Fraction(0)], [Fraction(1), Fraction(1, 3)]))
    Fraction(1, 2)
    """
    d = len(poly.verts[0]) - 1
    total = Fraction(0)
    for s in simplices(poly):
        pts = [poly.verts[i] for i in s]
        total += Fraction(abs(determinant(pts)), math.prod(p[-1] for p in pts))
    return total / math.factorial(d)

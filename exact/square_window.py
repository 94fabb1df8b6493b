"""The square ``[-h, h]^2`` as an exact polygon: the window every 2-D engine starts from.

Its corners are homogeneous integer points ``(X, Y, D)`` and its sides integer lines
``(a, b, c)`` with the inside on their positive side (:mod:`exact.predicates`); the
whole-plane box, the tiles' first box and a level set's box are such squares.  It imports
nothing of the package, so any module can use it.

Examples
--------
>>> square(3, 2)[0][2]
(3, 3, 2)
"""

from __future__ import annotations

__all__ = ["square"]

_Triple = tuple[int, int, int]  # a Point (X, Y, D) or a Line (a, b, c) of exact.predicates


def square(half_num: int, half_den: int) -> tuple[tuple[_Triple, ...], tuple[_Triple, ...]]:
    """Return the square ``[-h, h]^2`` with ``h = half_num / half_den`` as an exact polygon.

    Parameters
    ----------
    half_num, half_den : int
        Numerator and positive denominator of the half-width ``h``.

    Returns
    -------
    verts : tuple of 4 Point
        The corners, counter-clockwise from ``(-h, -h)``.
    edges : tuple of 4 Line
        ``edges[i]`` supports the side from ``verts[i]`` to ``verts[i + 1]``, oriented
        with the interior on its positive side.

    Examples
    --------
    >>> verts, edges = square(1, 2)
    >>> verts[0], edges[0]
    ((-1, -1, 2), (0, 2, 1))
    """
    n, d = half_num, half_den
    verts = ((-n, -n, d), (n, -n, d), (n, n, d), (-n, n, d))
    edges = ((0, d, n), (-d, 0, n), (0, -d, n), (d, 0, n))  # y>-h, x<h, y<h, x>-h
    return verts, edges

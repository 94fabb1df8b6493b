"""Which cells of a subdivision share a facet, exactly, and the linear regions they make.

Two cells are neighbours when their closures share a ``(d - 1)``-dimensional piece.
Most neighbours share a whole facet: the same vertex set (the points are spelled one
way each, :data:`~exact.nd.polytope.HPoint`), so a dictionary from vertex sets to cells
pairs them in one pass.  A facet whose vertex set no other cell has is met by several
cells on its other side (a degenerate net can make that happen: a deeper neuron that
bends onto a hyperplane on one side only); such facets are grouped by hyperplane and
each pair from the two sides is tested exactly: one facet is clipped by the other
cell's rows with :func:`~exact.nd.polytope.split` and must keep a ``(d - 1)``-dimensional
piece.

Examples
--------
>>> from fractions import Fraction
>>> from exact.nd.polytope import box, facet_rows, split
>>> _, a, b = split(box([Fraction(-1)] * 3, [Fraction(1)] * 3), (1, 0, 0, 0))
>>> shared_facets([a, b], [facet_rows(a), facet_rows(b)], 6)
[(0, 1)]
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence

from ..adjacency import component_labels
from .polytope import HPoint, Polytope, facet_rows, split, unoriented, vertex_masks

__all__ = ["linear_labels", "linear_labels_by_map", "shared_facets"]


def _bits(m: int) -> list[int]:
    """Return the indices of the set bits of ``m``."""
    out = []
    while m:
        low = m & -m
        out.append(low.bit_length() - 1)
        m ^= low
    return out


def shared_facets(polys: Sequence[Polytope], facets: Sequence[Sequence[bool]], n_box: int
                  ) -> list[tuple[int, int]]:
    """Find every pair of cells whose closures share a ``(d - 1)``-dimensional piece.

    Parameters
    ----------
    polys : sequence of Polytope
        Full-dimensional cells with disjoint interiors (a subdivision of a box).
    facets : sequence of sequence of bool
        ``facets[i][r]``: whether row ``r`` of cell ``i`` is a facet
        (:func:`~exact.nd.polytope.facet_rows`).
    n_box : int
        The first ``n_box`` rows of every cell are the box's; their facets lie on its
        boundary and have no neighbour.

    Returns
    -------
    list of (int, int)
        Each neighbouring pair once, ``i < j``.

    Notes
    -----
    ``O(F)`` dictionary operations for ``F`` facets in all; each facet met by several
    cells costs one exact clip per candidate on the other side of its hyperplane.

    Examples
    --------
    >>> from fractions import Fraction
    >>> from exact.nd.polytope import box, facet_rows, split
    >>> _, a, b = split(box([Fraction(0)] * 2, [Fraction(2)] * 2), (1, 0, -1))   # x = 1
    >>> _, b1, b2 = split(b, (0, 1, -1))                                       # y = 1, left only
    >>> parts = [a, b1, b2]
    >>> sorted(shared_facets(parts, [facet_rows(p) for p in parts], 4))
    [(0, 1), (0, 2), (1, 2)]
    """
    seen: dict[frozenset[HPoint], tuple[int, int]] = {}
    pairs = []
    for i, (p, flags) in enumerate(zip(polys, facets)):
        vm = vertex_masks(p.tight, len(p.rows))
        for r in range(n_box, len(p.rows)):
            if not flags[r]:
                continue
            key = frozenset(p.verts[k] for k in _bits(vm[r]))
            other = seen.pop(key, None)
            if other is None:
                seen[key] = (i, r)
            else:
                pairs.append((min(other[0], i), max(other[0], i)))
    pairs.extend(_partial_pairs(polys, seen.values()))
    return pairs


def _partial_pairs(polys: Sequence[Polytope], lone: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Pair the facets no other cell has whole: same hyperplane, opposite sides, a common piece."""
    groups: dict[tuple[int, ...], tuple[list, list]] = defaultdict(lambda: ([], []))
    for i, r in lone:
        row = polys[i].rows[r]
        key = unoriented(row)
        same = next(x for x in row if x) * next(x for x in key if x) > 0
        groups[key][0 if same else 1].append((i, r))
    pairs = []
    for plus, minus in groups.values():
        for i, r in plus:
            for j, _ in minus:
                if i != j and _overlap(polys[i], r, polys[j]):
                    pairs.append((min(i, j), max(i, j)))
    return pairs


def _overlap(p: Polytope, r: int, q: Polytope) -> bool:
    """Whether facet ``r`` of ``p`` meets the cell ``q`` in a ``(d - 1)``-dimensional piece."""
    vm = vertex_masks(p.tight, len(p.rows))
    idx = _bits(vm[r])
    face = Polytope([p.verts[k] for k in idx], [p.tight[k] for k in idx], p.rows)
    for row in q.rows:
        where, above, _ = split(face, row)
        if where == -1:
            return False  # the piece of the facet where row >= 0 lies in row = 0: too thin
        if where == 2:
            face = above
    return True


def linear_labels(n_cells: int, pairs: Sequence[tuple[int, int]], same_map: Sequence[bool]) -> list[int]:
    """Label the linear regions: cells joined across shared facets with the same output map.

    Parameters
    ----------
    n_cells : int
    pairs : sequence of (int, int)
        Neighbouring cells (:func:`shared_facets`).
    same_map : sequence of bool
        For each pair, whether the exact output maps of its two cells are equal.

    Returns
    -------
    list of int
        The linear region of each cell, ``0, 1, ...`` in order of first appearance.

    Examples
    --------
    >>> linear_labels(3, [(0, 1), (1, 2)], [False, True])
    [0, 1, 1]
    """
    return component_labels(n_cells, [pq for pq, same in zip(pairs, same_map) if same])


def linear_labels_by_map(polys: Sequence[Polytope], maps: Sequence[Hashable], n_box: int) -> list[int]:
    """Label the linear regions, searching for shared facets only among cells with equal maps.

    Parameters
    ----------
    polys : sequence of Polytope
        The cells of a subdivision of a box (:func:`shared_facets`).
    maps : sequence of hashable
        Each cell's exact output map, spelled one way (``(out, out_den)`` in lowest terms):
        equal maps, equal keys.
    n_box : int
        The number of box rows leading every cell's rows (``2 d``).

    Returns
    -------
    list of int
        As :func:`linear_labels` gives them from all the neighbouring pairs.

    Notes
    -----
    A linear region lies in one class of cells with the same map, so only the classes of
    two or more cells are searched (:func:`shared_facets` on each class alone, with its
    cells' :func:`~exact.nd.polytope.facet_rows`); a net whose cells all have distinct
    maps costs one dictionary pass.  A pair within a class is found among the class alone
    exactly when among all cells: a whole facet is shared by two cells only, and a piece
    of a facet met by a cell of the class on its other side is met by that cell whatever
    the other cells.

    Examples
    --------
    >>> from fractions import Fraction
    >>> from exact.nd.polytope import box
    >>> _, a, b = split(box([Fraction(-1)] * 2, [Fraction(1)] * 2), (1, 0, 0))      # x = 0
    >>> linear_labels_by_map([a, b], ["f", "f"], 4), linear_labels_by_map([a, b], ["f", "g"], 4)
    ([0, 0], [0, 1])
    """
    groups: dict[Hashable, list[int]] = defaultdict(list)
    for i, m in enumerate(maps):
        groups[m].append(i)
    pairs = []
    for members in groups.values():
        if len(members) > 1:
            sub = [polys[i] for i in members]
            found = shared_facets(sub, [facet_rows(p) for p in sub], n_box)
            pairs += [(members[i], members[j]) for i, j in found]
    return component_labels(len(polys), pairs)

"""The face graph of a first-layer line arrangement, and every face's sides of its lines as bits.

What :class:`exact.face_maps.FaceMaps` starts from: who borders whom (:class:`FaceGraph`),
the order in which the faces are reached from face 0 across shared edges
(:func:`breadth_first_levels`), each face's exact sides of the neuron lines, spread along
that order as bits (:func:`face_sides`), and which arrangement line each (neuron,
breakpoint) is (:func:`neuron_line_columns`).

Examples
--------
>>> from exact.line_arrangement import build_arrangement
>>> graph = FaceGraph.from_arrangement(build_arrangement([(1, 0, 0)], Fraction(1)))
>>> graph.n_faces, [len(dst) for _, dst, _ in breadth_first_levels(graph)]
(2, [1])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ._certified.blocks import breadth_first_arcs
from .predicates import canonical_line, point_from_xy, side, unoriented_key, vertex_centroid

__all__ = ["FaceGraph", "breadth_first_levels", "face_sides", "neuron_line_columns"]


@dataclass(frozen=True)
class FaceGraph:
    """What :class:`~exact.face_maps.FaceMaps` needs of an arrangement: its lines, a face, who borders whom.

    Far smaller than the arrangement (no vertices, no edge points), so a result can keep
    it to work patterns and maps out when first asked for.

    Attributes
    ----------
    lines : tuple of Line
        The arrangement's lines, neuron lines first.
    n_neuron_lines : int
    root : tuple of Point
        The vertices of face 0.
    n_faces : int
    fa, fb, line : ndarray of int64
        Face ``fa[k]`` and face ``fb[k]`` share an edge on neuron line ``line[k]``.
    """

    lines: tuple
    n_neuron_lines: int
    root: tuple
    n_faces: int
    fa: np.ndarray
    fb: np.ndarray
    line: np.ndarray

    @classmethod
    def from_arrangement(cls, arr) -> FaceGraph:
        """Take the face graph of an :class:`~exact.line_arrangement.Arrangement`.

        Parameters
        ----------
        arr : Arrangement

        Returns
        -------
        FaceGraph
        """
        adj, m = arr.adjacency, len(arr.adjacency)
        fa, fb, li = (np.fromiter((e[i] for e in adj), dtype=np.int64, count=m) for i in (0, 1, 4))
        return cls(tuple(arr.lines), arr.n_neuron_lines, tuple(arr.faces[0][0]), len(arr.faces), fa, fb, li)


def neuron_line_columns(Z: Sequence[tuple[int, int, int]], s: int, breakpoints: Sequence[Fraction],
                        graph: FaceGraph) -> tuple[np.ndarray, np.ndarray]:
    """Match each (neuron, breakpoint) line with its arrangement line, and orient it.

    Parameters
    ----------
    Z : sequence of (int, int, int)
        Each neuron's pre-activation ``(a x + b y + c) / s``.
    s : int
        Positive common denominator of ``Z``.
    breakpoints : sequence of Fraction
        The activation's breakpoints.
    graph : FaceGraph
        The arrangement of these lines in a square
        (:func:`exact.line_arrangement.build_arrangement`).

    Returns
    -------
    col : ndarray of int64, shape (neurons * breakpoints,)
        The arrangement line of each (neuron, breakpoint), or ``graph.n_neuron_lines`` for
        one constant on the square (no line, or a line that misses it).
    orient : ndarray of int8
        ``+1`` where the (neuron, breakpoint) line's positive side (pre-activation above
        the breakpoint) is its arrangement line's positive side, ``-1`` where it is the
        negative one; for a constant column, its exact side on the square.

    Examples
    --------
    >>> from exact.line_arrangement import build_arrangement
    >>> graph = FaceGraph.from_arrangement(build_arrangement([(1, 0, 0)], Fraction(1)))
    >>> col, orient = neuron_line_columns([(-2, 0, 0), (0, 0, 5)], 1, [Fraction(0)], graph)
    >>> col.tolist(), orient.tolist()      # -2x > 0 is the - side of x = 0; 5 > 0 everywhere
    ([0, 1], [-1, 1])
    """
    bps = [(b.numerator, b.denominator) for b in breakpoints]
    own = [(bd * za, bd * zb, bd * zc - bn * s) for za, zb, zc in Z for bn, bd in bps]
    n = graph.n_neuron_lines
    index = {line: i for i, line in enumerate(graph.lines[:n])}
    col = np.array([index.get(unoriented_key(canonical_line(*l)), n) if l[0] or l[1] else n for l in own],
                   dtype=np.int64)
    p0 = point_from_xy(*vertex_centroid(graph.root))  # exact, strictly inside face 0
    orient = np.array([side(l, p0) * (side(graph.lines[c], p0) if c < n else 1) for l, c in zip(own, col)],
                      dtype=np.int8)
    return col, orient


def face_sides(graph: FaceGraph, levels: list | None = None) -> np.ndarray:
    """Return every face's sides of the arrangement's neuron lines, as bits.

    Face 0's sides are exact (at its vertex centroid); the face across an edge on line
    ``l`` has the sides of the face it is reached from, except that of ``l`` (breadth
    first over the shared edges).

    Parameters
    ----------
    graph : FaceGraph
    levels : list, optional
        Its :func:`breadth_first_levels`, when the caller has them already.

    Returns
    -------
    ndarray of uint8, shape (faces, ceil((n + 1) / 8))
        Bit ``l`` (little-endian within each byte) of row ``f`` is 1 where face ``f`` is
        on the positive side of neuron line ``l``; bit ``n`` is always 1 (the column of
        the constant lines, see :func:`neuron_line_columns`).

    Examples
    --------
    >>> from exact.line_arrangement import build_arrangement
    >>> graph = FaceGraph.from_arrangement(build_arrangement([(1, 0, 0), (0, 1, 0)], Fraction(1)))
    >>> bits = np.unpackbits(face_sides(graph), axis=1, bitorder="little")[:, :3]
    >>> sorted(map(tuple, bits.tolist()))
    [(0, 0, 1), (0, 1, 1), (1, 0, 1), (1, 1, 1)]
    """
    n = graph.n_neuron_lines
    p0 = point_from_xy(*vertex_centroid(graph.root))
    root = np.array([side(line, p0) > 0 for line in graph.lines[:n]] + [True], dtype=np.uint8)
    bits = np.zeros((graph.n_faces, (n + 8) // 8), dtype=np.uint8)
    bits[0] = np.packbits(root, bitorder="little")
    for a_src, reached, line in breadth_first_levels(graph) if levels is None else levels:
        bits[reached] = bits[a_src]
        bits[reached, line >> 3] ^= (1 << (line & 7)).astype(np.uint8)
    return bits


def breadth_first_levels(graph: FaceGraph) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Cross the shared edges breadth first from face 0, one level at a time.

    Parameters
    ----------
    graph : FaceGraph

    Returns
    -------
    list of (src, dst, line)
        Per level, arrays of the crossings that reach new faces: from face ``src`` across
        an edge on neuron line ``line`` into face ``dst`` (each face reached once).

    Examples
    --------
    >>> from exact.line_arrangement import build_arrangement
    >>> graph = FaceGraph.from_arrangement(build_arrangement([(1, 0, 0), (0, 1, 0)], Fraction(1)))
    >>> [len(dst) for _, dst, _ in breadth_first_levels(graph)]
    [2, 1]
    """
    if not len(graph.fa):
        return []
    fa, fb, li = graph.fa, graph.fb, graph.line
    src, dst, lin = np.concatenate([fa, fb]), np.concatenate([fb, fa]), np.concatenate([li, li])
    n = len(src)
    if graph.n_faces * n < 2**62:  # unique keys (face, position): an unstable sort is the stable one, faster
        order = np.sort(src * n + np.arange(n)) % n
    else:
        order = np.argsort(src, kind="stable")
    src, dst, lin = src[order], dst[order], lin[order]
    return [(src[arcs], dst[arcs], lin[arcs])
            for arcs in breadth_first_arcs(src, dst, graph.n_faces, np.array([0]))[0]]

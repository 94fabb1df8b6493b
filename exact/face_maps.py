"""Activation patterns and exact output maps of every face of a first-layer line arrangement, at array speed.

The faces of the first hidden layer's lines in a square are its activation cells.  Their
patterns follow from one face's exact sides of every line, flipped across the shared
edges breadth first; the sides are kept as bits (one per line and face, 1/8 of a byte).
For a net with one hidden layer the output map of a face follows the same way: crossing
an edge on a line changes only the neurons on that line, so each face's exact map is its
parent's plus the change of those neurons' terms, ``O(1)`` big-integer operations per
face instead of ``O(n)`` Fraction products for a pattern and its map.

Examples
--------
>>> from fractions import Fraction
>>> from exact.line_arrangement import build_arrangement
>>> from exact.line_count import first_layer_lines
>>> from exact.network import ExactNet
>>> net = ExactNet.from_layers([([[1, 0], [0, 1]], [0, 0]), ([[1, 2]], [3])])
>>> arr = build_arrangement(first_layer_lines(net), Fraction(1))
>>> fm = FaceMaps(net, FaceGraph.from_arrangement(arr))
>>> sorted((fm.pattern(f), str(fm.affine(f))) for f in range(len(fm)))[-1]
((1, 1), '(1)*x1 + (2)*x2 + (3)')
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

import numpy as np

from .adjacency import component_label_array
from .column_copies import column_runs, take_columns
from .face_graph import FaceGraph, breadth_first_levels, face_sides, neuron_line_columns
from .gc_pause import gc_paused
from .json_numbers import maps_text
from .network import AffineMap, ExactNet, IntLayer

__all__ = ["FaceMaps", "LazyFaceMaps", "ShallowCells"]


def _bit(bits: np.ndarray, faces: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Read the side bits ``bits[faces, cols]`` (elementwise), as 0/1 int8."""
    return ((bits[faces, cols >> 3] >> (cols & 7).astype(np.uint8)) & 1).astype(np.int8)


class FaceMaps:
    """The patterns and exact output maps of the faces of a one-hidden-layer net's arrangement.

    Parameters
    ----------
    net : ExactNet
        A network with 2-D input; output maps need exactly one hidden layer.
    graph : FaceGraph
        The faces of ``net``'s first-layer lines in a square (possibly with more lines
        that no neuron has, e.g. a polygon window's sides, after the neuron lines).
    maps : bool
        Compute every face's exact output map (one hidden layer only).

    Notes
    -----
    Memory: one bit per face and neuron line for the sides, plus ``3 * outputs`` Python
    integers per face for the maps.  Time: ``O(faces * outputs)`` big-integer additions
    after ``O(faces * lines / 8)`` byte copies.
    """

    def __init__(self, net: ExactNet, graph: FaceGraph, maps: bool = True):
        layer = net.integer_layers()[0]
        act = net.activations[0]
        self._n = net.widths[1]
        self._nq = len(act.breakpoints)
        self._mu, self._sl, self._ic = act.integer_form
        self._s = layer.scale
        self._Z = [(w[0], w[1], b) for w, b in zip(layer.Wi, layer.bi)]
        self.col, self.orient = neuron_line_columns(self._Z, self._s, act.breakpoints, graph)
        self._runs = column_runs(self.col)
        self._flip = (self.orient < 0).astype(np.uint8)
        self._flat = (self.orient != 0).astype(np.uint8) if not self.orient.all() else None
        levels = breadth_first_levels(graph)
        self.bits = face_sides(graph, levels)
        self.num: list | None = None  # per face, per output: integer (a, b, c) over den
        self.den = 1
        if maps:
            if net.n_hidden_layers != 1:
                raise ValueError("exact output maps by face need a net with one hidden layer")
            self._output_maps(net.integer_layers()[1], graph.n_neuron_lines, levels)

    def __len__(self) -> int:
        return len(self.bits)

    def pieces(self, faces: np.ndarray | slice) -> np.ndarray:
        """Return the piece of every neuron on the given faces.

        Parameters
        ----------
        faces : ndarray of int or slice
            Face indices.

        Returns
        -------
        ndarray of int8, shape (len(faces), neurons)
        """
        bits = np.unpackbits(self.bits[faces], axis=1, bitorder="little")
        if self._nq == 1:  # one breakpoint: the piece is the side bit, flipped where orient < 0 (0 where 0)
            rows = take_columns(bits, self.col, self._runs)
            rows ^= self._flip
            if self._flat is not None:
                rows &= self._flat
            return rows.view(np.int8)
        rows = np.take(bits, self.col, axis=1).astype(np.int8)  # C order, unlike ``bits[:, col]``
        above = (2 * rows - 1) * self.orient > 0  # each (neuron, breakpoint): pre-activation above it
        return above.reshape(len(rows), self._n, self._nq).sum(axis=2, dtype=np.int8)

    def pattern(self, f: int) -> tuple[int, ...]:
        """Return face ``f``'s activation pattern (the piece of each neuron).

        Parameters
        ----------
        f : int

        Returns
        -------
        tuple of int
        """
        return tuple(self.pieces(np.array([f]))[0].tolist())

    def affine(self, f: int) -> AffineMap:
        """Return the net's exact output map on face ``f``.

        Parameters
        ----------
        f : int

        Returns
        -------
        AffineMap
        """
        if self.num is None:
            raise ValueError("these FaceMaps were built without output maps")
        rows = self.num[f]
        d = self.den
        return AffineMap(tuple((Fraction(a, d), Fraction(b, d)) for a, b, _ in rows),
                         tuple(Fraction(c, d) for _, _, c in rows))

    def map_text(self, f: int) -> tuple[list[list[str]], list[str]]:
        """Return the exact output map on face ``f`` as text, without making Fractions.

        Parameters
        ----------
        f : int

        Returns
        -------
        gradient : list of [str, str]
            One row per output, each entry ``str`` of the exact Fraction.
        offset : list of str
            One per output.
        """
        return self.map_texts([f])[0]

    def map_texts(self, faces: Sequence[int]) -> list[tuple[list[list[str]], list[str]]]:
        """Return the exact output maps on many faces as text, a block at once (see :meth:`map_text`).

        Parameters
        ----------
        faces : sequence of int

        Returns
        -------
        list of (gradient, offset)
            :func:`exact.json_numbers.maps_text` of the faces' integer rows.
        """
        if self.num is None:
            raise ValueError("these FaceMaps were built without output maps")
        num = self.num
        return maps_text([num[f] for f in faces], self.den)

    def _piece_terms(self, out: IntLayer) -> np.ndarray:
        """Each (neuron, piece)'s term of the output numerators, object array (n, pieces, outputs, 3)."""
        s, sl, ic = self._s, self._sl, self._ic
        R = np.empty((self._n, len(sl), len(out.Wi), 3), dtype=object)
        for j, (za, zb, zc) in enumerate(self._Z):
            for p in range(len(sl)):
                row = (sl[p] * za, sl[p] * zb, sl[p] * zc + ic[p] * s)
                for o, wrow in enumerate(out.Wi):
                    R[j, p, o] = (wrow[j] * row[0], wrow[j] * row[1], wrow[j] * row[2])
        return R

    def _output_maps(self, out: IntLayer, n_lines: int, levels: list) -> None:
        """Fill ``num`` (faces, outputs, 3) and ``den``: face 0 directly, then one change per crossing."""
        R = self._piece_terms(out)
        den = out.scale * self._mu * self._s
        base = np.array([[0, 0, b * self._mu * self._s] for b in out.bi], dtype=object)
        p0 = self.pieces(np.array([0]))[0]
        num = np.empty((len(self), len(out.Wi), 3), dtype=object)
        num[0] = base + R[np.arange(self._n), p0].sum(axis=0) if self._n else base
        self._spread_maps(num, R, n_lines, levels)
        g = math.gcd(den, *num.ravel().tolist())  # Python ints already
        with gc_paused():  # a list per face, acyclic: no collections over them as they are made
            self.num, self.den = (num // g if g > 1 else num).tolist(), den // g  # lists: fast to index

    def _spread_maps(self, num: np.ndarray, R: np.ndarray, n_lines: int, levels: list) -> None:
        """Spread the maps breadth first: a face's map is its parent's plus the crossed neurons' change."""
        order = np.argsort(self.col, kind="stable")  # (neuron, breakpoint) entries grouped by line
        starts = np.searchsorted(self.col[order], np.arange(n_lines + 1))
        nq = self._nq
        for a_src, a_dst, line in levels:
            num[a_dst] = num[a_src]
            mult = starts[line + 1] - starts[line]
            arc_of = np.repeat(np.arange(len(line)), mult)
            first = np.repeat(starts[line] - np.cumsum(mult) + mult, mult)
            entries = order[first + np.arange(len(arc_of))]  # every (neuron, q) on each arc's line
            j = entries // nq
            cols = self.col[(j[:, None] * nq + np.arange(nq)).ravel()].reshape(-1, nq)
            faces_s = np.repeat(a_src[arc_of], nq).reshape(-1, nq)
            orient = self.orient[(j[:, None] * nq + np.arange(nq)).ravel()].reshape(-1, nq)
            before = ((2 * _bit(self.bits, faces_s, cols) - 1) * orient > 0).sum(axis=1)
            faces_d = np.repeat(a_dst[arc_of], nq).reshape(-1, nq)
            after = ((2 * _bit(self.bits, faces_d, cols) - 1) * orient > 0).sum(axis=1)
            change = R[j, after] - R[j, before]
            if np.all(mult == 1):  # one (neuron, breakpoint) per crossed line: no face twice
                num[a_dst] += change
            else:
                np.add.at(num, a_dst[arc_of], change)


class LazyFaceMaps:
    """:class:`FaceMaps` made when a face's pattern or map is first asked for.

    What a one-hidden-layer :class:`~exact.cells.Regions` keeps: a result that is only
    counted, drawn or saved as polygons never pays for the patterns and maps.

    Parameters
    ----------
    net : ExactNet
        A network with one hidden layer.
    graph : FaceGraph

    Examples
    --------
    >>> from exact.line_arrangement import build_arrangement
    >>> net = ExactNet.from_layers([([[1, 0]], [0]), ([[2]], [1])])
    >>> maps = LazyFaceMaps(net, FaceGraph.from_arrangement(build_arrangement([(1, 0, 0)], Fraction(1))))
    >>> sorted(maps.pattern(f) for f in (0, 1)), maps.built
    ([(0,), (1,)], True)
    """

    def __init__(self, net: ExactNet, graph: FaceGraph):
        self._net, self._graph = net, graph
        self._maps: FaceMaps | None = None

    @property
    def built(self) -> bool:
        """Whether the arrays are made yet."""
        return self._maps is not None

    @property
    def maps(self) -> FaceMaps:
        """The arrays, made on first use."""
        if self._maps is None:
            self._maps = FaceMaps(self._net, self._graph)
        return self._maps

    def pattern(self, f: int) -> tuple[int, ...]:
        """Return face ``f``'s activation pattern (see :meth:`FaceMaps.pattern`).

        Parameters
        ----------
        f : int

        Returns
        -------
        tuple of int
        """
        return self.maps.pattern(f)

    def affine(self, f: int) -> AffineMap:
        """Return the exact output map on face ``f`` (see :meth:`FaceMaps.affine`).

        Parameters
        ----------
        f : int

        Returns
        -------
        AffineMap
        """
        return self.maps.affine(f)

    def pieces(self, faces: np.ndarray | slice) -> np.ndarray:
        """Return the piece of every neuron on the given faces (see :meth:`FaceMaps.pieces`).

        Parameters
        ----------
        faces : ndarray of int or slice

        Returns
        -------
        ndarray of int8, shape (len(faces), neurons)
        """
        return self.maps.pieces(faces)

    def map_text(self, f: int) -> tuple[list[list[str]], list[str]]:
        """Return the exact output map on face ``f`` as text (see :meth:`FaceMaps.map_text`).

        Parameters
        ----------
        f : int

        Returns
        -------
        gradient : list of [str, str]
        offset : list of str
        """
        return self.maps.map_text(f)

    def map_texts(self, faces: Sequence[int]) -> list[tuple[list[list[str]], list[str]]]:
        """Return the exact output maps on many faces as text (see :meth:`FaceMaps.map_texts`).

        Parameters
        ----------
        faces : sequence of int

        Returns
        -------
        list of (gradient, offset)
        """
        return self.maps.map_texts(faces)


class ShallowCells(LazyFaceMaps):
    """The cells of a one-hidden-layer net: faces as arrays, exact objects made when asked for.

    What a one-hidden-layer :class:`~exact.cells.Regions` keeps behind its cells (as
    certified deep cells do, :class:`exact.certified_regions.CertifiedCells`): a cell's
    exact polygon is made from the face arrays when first read, its pattern and map from
    :class:`FaceMaps`, and the shared edges as one list when first asked for.

    Parameters
    ----------
    net : ExactNet
        A network with one hidden layer.
    faces : LineFaces
        The faces of its first-layer lines (:func:`exact.line_arrangement.line_faces`),
        possibly with more lines after the neuron lines (a polygon window's sides).
    dead : sequence of bool
        For each of the net's own lines (the first ``len(dead)`` of ``faces.lines``),
        whether the output's map is the same on both sides (every neuron on it has
        output weights 0: :func:`exact.line_count.shallow_line_jumps`).

    Examples
    --------
    >>> from exact.line_arrangement import line_faces
    >>> net = ExactNet.from_layers([([[1, 0]], [0]), ([[2]], [1])])
    >>> cells = ShallowCells(net, line_faces([(1, 0, 0)], Fraction(1)), [False])
    >>> len(cells), cells.polygon(1)[0], cells.pattern(1), cells.linear_labels().tolist()
    (2, ((0, 1, 1), (0, -1, 1), (1, -1, 1), (1, 1, 1)), (1,), [0, 1])
    """

    def __init__(self, net: ExactNet, faces, dead: Sequence[bool]):
        n = len(dead)
        fa, fb, _, _, line = faces.shared_edges()
        self._edges = fa, fb, line  # the end points, when asked for, from faces.shared_edges() again
        root = faces.polygon(0)[0] if len(faces) else ()
        super().__init__(net, FaceGraph(tuple(faces.lines), n, root, len(faces), fa, fb, line))
        self.faces = faces
        self._dead = np.array(list(dead) + [False], dtype=bool)
        self._ready: dict[int, tuple] = {}  # polygons made with a block, not yet handed out
        self._handed = np.zeros(len(faces), dtype=bool)

    def __len__(self) -> int:
        return len(self.faces)

    def polygon(self, f: int) -> tuple[tuple, tuple]:
        """Return face ``f``'s exact vertices and edge lines (:meth:`exact.face_tables.LineFaces.polygon`).

        Parameters
        ----------
        f : int

        Returns
        -------
        verts : tuple of Point
        edges : tuple of Line

        Notes
        -----
        Made for the block of :data:`_BLOCK` faces around ``f`` at once (the others kept
        until asked for, each handed out once: a :class:`~exact.cells.Cell` keeps its own).
        """
        got = self._ready.pop(f, None)
        if got is None:
            f0 = f - f % _BLOCK
            f1 = min(f0 + _BLOCK, len(self))
            block = self.faces.polygons(f0, f1)
            got = block[f - f0]
            todo = np.flatnonzero(~self._handed[f0:f1]).tolist()
            self._ready.update((f0 + k, block[k]) for k in todo if f0 + k != f)
            self._handed[f0:f1] = True
        return got

    def same_map(self) -> np.ndarray:
        """Tell, for each shared edge, whether the output map is the same on both sides.

        Returns
        -------
        ndarray of bool
            True across an edge on a dead neuron's line (its output weights are all 0).
        """
        return self._dead[np.minimum(self._edges[2], len(self._dead) - 1)]

    def linear_labels(self) -> np.ndarray:
        """Return each face's linear region: components of faces joined across dead lines.

        Returns
        -------
        ndarray of int64
        """
        fa, fb = self._edges[0], self._edges[1]
        same = self.same_map()
        return component_label_array(len(self), fa[same], fb[same])

    def boundaries(self) -> tuple[list[tuple], list[bool]]:
        """Return the shared edges ``(i, j, p, q)`` with exact end points, and which keep the map.

        Returns
        -------
        boundaries : list of (int, int, Point, Point)
            As :func:`exact.adjacency.shared_edges` gives them.
        same_map : list of bool
        """
        return self.faces.boundary_list(), self.same_map().tolist()


_BLOCK = 1024
"""Faces whose exact polygons :meth:`ShallowCells.polygon` makes at once."""

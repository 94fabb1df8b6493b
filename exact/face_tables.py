"""The faces of a line arrangement as index arrays: half-edges, face cycles, shared edges.

:func:`exact.line_arrangement.line_faces` cuts every line at its exact crossings into
twin half-edges and links each to the next one around its face; this module turns that
``next`` permutation into faces without a Python loop per half-edge
(:func:`face_cycles`), and keeps the result as arrays (:class:`LineFaces`): a face is a
run of half-edge indices, a vertex the pair of lines through it.  Exact vertices are
made when a face is first asked for, each vertex once.

Examples
--------
>>> nxt = np.array([1, 2, 0, 5, 3, 4])      # two triangles: 0 -> 1 -> 2 and 3 -> 5 -> 4
>>> face_of, start, half = face_cycles(nxt, outer=3)
>>> face_of.tolist(), start.tolist(), half.tolist()
([0, 0, 0, -2, -2, -2], [0, 3], [0, 1, 2])
"""

from __future__ import annotations

import copy
import operator
from collections.abc import Sequence
from fractions import Fraction

import numpy as np

from ._float_range import float_bounds
from ._fp import U
from .box_grid import BoxGrid
from .gc_pause import gc_paused
from .line_crossings import crossing_arrays, crossing_points, line_table, rounded_crossings
from .polygon_areas import area_candidates, polygon_area, vertex_boxes, vertex_float_areas
from .predicates import Line, Point, intersect_lines, point_in_polygon

__all__ = ["LineFaces", "crossing_floats", "face_cycles"]

_CHUNK = 1 << 15
"""Faces measured at a time by :meth:`LineFaces.float_areas`."""

_WALK = 16
"""Faces up to this many edges are found by walking all half-edges at once; longer ones one by one."""


def face_cycles(nxt: np.ndarray, outer: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split a permutation of half-edges into its cycles, the faces, numbered and listed.

    Parameters
    ----------
    nxt : ndarray of int64, shape (H,)
        The half-edge after each half-edge around its face (a permutation).
    outer : int
        A half-edge of the outer face, which is left out.

    Returns
    -------
    face_of : ndarray of int64, shape (H,)
        The face of each half-edge, ``-2`` on the outer face.  Faces are numbered in the
        order of their smallest half-edge.
    start : ndarray of int64, shape (F + 1,)
        Face ``f``'s half-edges are ``half[start[f]:start[f + 1]]``.
    half : ndarray of int64
        Each face's half-edges in cyclic order, from its smallest one.

    Notes
    -----
    Every half-edge walks its cycle for up to ``16`` steps, all at once in numpy, keeping
    the smallest index seen; half-edges of longer cycles walk them one by one.  The
    smallest half-edge of each cycle names it; the faces are then listed by walking from
    those, all at once again.  ``O(H)`` numpy work for faces of bounded size, plus
    ``O(L)`` Python steps for each of the few faces of ``L > 16`` edges.

    Examples
    --------
    >>> face_cycles(np.array([1, 0, 3, 2]), outer=0)[0].tolist()
    [-2, -2, 0, 0]
    """
    H = nxt.size
    low, length = _cycle_minima(nxt)
    heads = np.flatnonzero(low == np.arange(H))
    name = np.empty(H, dtype=np.int64)
    name[heads] = np.arange(heads.size)
    face_of = name[low]
    out = face_of[outer]
    face_of[face_of > out] -= 1
    face_of[low == low[outer]] = -2
    heads = np.delete(heads, out)
    counts = length[heads]
    start = np.zeros(heads.size + 1, dtype=np.int64)
    np.cumsum(counts, out=start[1:])
    half = np.empty(start[-1], dtype=np.int64)
    cur, at, left = heads, start[:-1].copy(), counts.copy()
    while cur.size:
        half[at] = cur
        more = left > 1
        cur, at, left = nxt[cur[more]], at[more] + 1, left[more] - 1
    return face_of, start, half


def _cycle_minima(nxt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the smallest half-edge and the length of each half-edge's cycle."""
    H = nxt.size
    low = np.arange(H, dtype=np.int64)
    length = np.zeros(H, dtype=np.int64)
    act, cur = low.copy(), nxt.astype(np.int64, copy=True)
    for step in range(1, _WALK + 1):
        closed = cur == act
        length[act[closed]] = step
        act, cur = act[~closed], cur[~closed]
        if not act.size:
            return low, length
        low[act] = np.minimum(low[act], cur)
        cur = nxt[cur]
    nxt_l = nxt.tolist()
    for h in act.tolist():  # cycles longer than _WALK: walk each once, in Python
        if length[h]:
            continue
        cycle = [h]
        k = nxt_l[h]
        while k != h:
            cycle.append(k)
            k = nxt_l[k]
        low[cycle] = min(cycle)
        length[cycle] = len(cycle)
    return low, length


class LineFaces:
    """The faces of lines in a square, as arrays into shared line and vertex tables.

    Parameters
    ----------
    lines : list of Line
        Neuron lines (``0 .. n-1``), then the four window lines.
    n_neuron_lines : int
    vert_lines : ndarray of int64, shape (V, 2)
        The two smallest indices of the lines through each vertex.
    origin, on_line : ndarray of int64, shape (H,)
        Each half-edge's origin vertex and line.  Half-edge ``2e`` runs forward along its
        line (direction ``(-b, a)``, the face on the line's negative side), ``2e + 1``
        backward.
    nxt : ndarray of int64, shape (H,)
        The next half-edge around the face.
    outer : int
        A half-edge of the outer face.

    Attributes
    ----------
    face_of, start, half : ndarray of int64
        As :func:`face_cycles` gives them.
    n_faces : int

    Examples
    --------
    >>> from fractions import Fraction
    >>> from exact.line_arrangement import line_faces
    >>> lf = line_faces([(1, 0, 0)], Fraction(1))
    >>> lf.n_faces, lf.polygon(0)[0]
    (2, ((0, -1, 1), (0, 1, 1), (-1, 1, 1), (-1, -1, 1)))
    """

    def __init__(self, lines: list[Line], n_neuron_lines: int, vert_lines: np.ndarray, origin: np.ndarray,
                 on_line: np.ndarray, nxt: np.ndarray, outer: int):
        self.lines, self.n_neuron_lines = lines, n_neuron_lines
        self.vert_lines, self.origin, self.on_line = vert_lines, origin, on_line
        face_of, self.start, half = face_cycles(nxt, outer)
        # int32 (as origin, from line_faces): half the memory of int64
        self.face_of, self.half = face_of.astype(origin.dtype), half.astype(origin.dtype)
        self.n_faces = self.start.size - 1
        self._coords: list[Point | None] = [None] * len(vert_lines)
        self._made = np.zeros(len(vert_lines), dtype=bool)  # which of _coords are made
        self._table: tuple | None = None  # line_table(lines), made on first use
        self._floats: tuple | None = None  # crossing_floats of every vertex, made on first use
        self._grid: BoxGrid | None = None  # the faces' float boxes, made by the first locate()
        # forward half-edges have the face on the line's - side
        # edge line of half-edge h: _oriented[(h & 1) * len(lines) + line] (forward ones negated)
        self._oriented = [(-a, -b, -c) for a, b, c in lines] + list(lines)

    def __len__(self) -> int:
        return self.n_faces

    def vertex(self, v: int) -> Point:
        """Return vertex ``v`` exactly (made once, on first use).

        Parameters
        ----------
        v : int

        Returns
        -------
        Point
        """
        p = self._coords[v]
        if p is None:
            a, b = self.vert_lines[v].tolist()
            p = self._coords[v] = intersect_lines(self.lines[a], self.lines[b])
            self._made[v] = True
        return p

    def make_vertices(self, vs: np.ndarray, arrays: tuple[np.ndarray, ...] | None = None) -> None:
        """Make the exact vertices ``vs`` not made yet, at array speed where ``int64`` provably holds them.

        Parameters
        ----------
        vs : ndarray of int
            Vertex indices (repeats allowed).
        arrays : (X, Y, D, fits), optional
            :func:`~exact.line_crossings.crossing_arrays` of every vertex, when made already.
        """
        if 8 * vs.size > self._made.size:  # many: a mask, no sort
            need = np.zeros(self._made.size, dtype=bool)
            need[vs] = True
            todo = np.flatnonzero(need & ~self._made)
        else:
            todo = np.unique(vs[~self._made[vs]])
        if not todo.size:
            return
        if self._table is None:
            self._table = line_table(self.lines)
        coords = self._coords
        with gc_paused():  # millions of acyclic tuples: no collections over the growing heap
            got = arrays if arrays is None or todo.size == len(coords) else tuple(a[todo] for a in arrays)
            pts = crossing_points(self.lines, self.vert_lines[todo], self._table, got)
            if todo.size == len(coords):
                coords[:] = pts  # in place: subsets share this list
            else:
                for v, p in zip(todo.tolist(), pts):
                    coords[v] = p
        self._made[todo] = True

    def vertex_floats(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return every vertex in floats with a rigorous error bound (made once).

        Returns
        -------
        x, y, err : ndarray of float64, shape (V,)
            ``max(|x - X/D|, |y - Y/D|) <= err`` (:func:`crossing_floats`).
        """
        if self._floats is None:
            if self._table is None:
                self._table = line_table(self.lines)
            self._floats = crossing_floats(self.lines, self.vert_lines, self._table)
        return self._floats

    def polygon(self, f: int) -> tuple[tuple[Point, ...], tuple[Line, ...]]:
        """Return face ``f``'s exact vertices and edge lines (counter-clockwise, face on the + side).

        Parameters
        ----------
        f : int

        Returns
        -------
        verts : tuple of Point
        edges : tuple of Line
            ``edges[k]`` supports the edge from ``verts[k]``.
        """
        return self.polygons(f, f + 1)[0]

    def polygons(self, f0: int, f1: int) -> list[tuple[tuple[Point, ...], tuple[Line, ...]]]:
        """Return :meth:`polygon` of the faces ``f0 .. f1 - 1``, at one numpy call per array.

        Parameters
        ----------
        f0, f1 : int

        Returns
        -------
        list of (verts, edges)
        """
        s0 = int(self.start[f0])
        hs = self.half[s0:int(self.start[f1])]
        org_a = self.origin[hs]
        self.make_vertices(org_a)
        org, ek = org_a.tolist(), self._edge_keys(hs).tolist()
        st = (self.start[f0:f1 + 1] - s0).tolist()
        coords, oriented = self._coords, self._oriented
        verts, edges = _pick(coords, org), _pick(oriented, ek)  # slices of a tuple are tuples
        with gc_paused():  # acyclic tuples
            return [(verts[s:e], edges[s:e]) for s, e in zip(st[:-1], st[1:])]

    def _edge_keys(self, hs: np.ndarray) -> np.ndarray:
        """Return the index into ``_oriented`` of each half-edge's oriented line."""
        return (hs & 1).astype(np.int64) * len(self.lines) + self.on_line[hs]

    def line_ids(self, f: int) -> tuple[int, ...]:
        """Return the line index of each edge of face ``f``, in the order of :meth:`polygon`.

        Parameters
        ----------
        f : int

        Returns
        -------
        tuple of int
        """
        return tuple(self.on_line[self.half[self.start[f]:self.start[f + 1]]].tolist())

    def shared_edges(self) -> tuple[np.ndarray, ...]:
        """Return the edges between two faces: ``fa, fb, p, q, line`` arrays.

        Returns
        -------
        fa, fb : ndarray of int64
            The faces on the negative and on the positive side of the edge's line.
        p, q : ndarray of int64
            The edge's end vertices, in the line's forward direction.
        line : ndarray of int64
            The edge's line.
        """
        fa, fb = self.face_of[0::2], self.face_of[1::2]
        both = np.flatnonzero((fa >= 0) & (fb >= 0))
        o = self.origin
        return tuple(a.astype(np.int64) for a in (fa[both], fb[both], o[2 * both], o[2 * both + 1],
                                                    self.on_line[2 * both]))

    def boundary_list(self) -> list[tuple[int, int, Point, Point]]:
        """Return :meth:`shared_edges` as ``(fa, fb, p, q)`` tuples with exact end points.

        Returns
        -------
        list of (int, int, Point, Point)
            As :func:`exact.adjacency.shared_edges` gives them: face ``fa`` on the
            positive side of the edge's line (its canonical key), ``p`` before ``q`` along it.
        """
        coords = self.all_vertices()
        fb, fa, p, q, _ = (e.tolist() for e in self.shared_edges())  # shared_edges: its first face is below
        with gc_paused():
            if len(p) < 2:
                return [(a, b, coords[u], coords[v]) for a, b, u, v in zip(fa, fb, p, q)]
            return list(zip(fa, fb, _pick(coords, p), _pick(coords, q)))

    def touches_window(self) -> np.ndarray:
        """Tell, for each face, whether one of its edges lies on a window line.

        Returns
        -------
        ndarray of bool, shape (F,)
        """
        if not self.n_faces:
            return np.zeros(0, dtype=bool)
        top = np.maximum.reduceat(self.on_line[self.half], self.start[:-1])
        return top >= self.n_neuron_lines

    def all_vertices(self) -> list[Point]:
        """Return every vertex exactly (the ones not made yet are made now).

        Returns
        -------
        list of Point
        """
        self.make_vertices(np.arange(len(self.vert_lines)))
        return self._coords

    def faces(self, keep: Sequence[int] | None = None) -> list[tuple]:
        """Return faces as ``(verts, edges, line_ids)`` tuples (all, or those in ``keep``).

        Parameters
        ----------
        keep : sequence of int, optional

        Returns
        -------
        list of (tuple of Point, tuple of Line, tuple of int)
        """
        coords = self.all_vertices()
        verts = _pick(coords, self.origin[self.half].tolist())
        edges = _pick(self._oriented, self._edge_keys(self.half).tolist())
        lid = tuple(self.on_line[self.half].tolist())
        st = self.start.tolist()
        return [(verts[st[f]:st[f + 1]], edges[st[f]:st[f + 1]], lid[st[f]:st[f + 1]])
                for f in (range(self.n_faces) if keep is None else keep)]

    def subset(self, keep: np.ndarray) -> LineFaces:
        """Return the faces where ``keep`` is True, numbered in their order (same line and vertex tables).

        Parameters
        ----------
        keep : ndarray of bool, shape (F,)

        Returns
        -------
        LineFaces
            Half-edges of the dropped faces get face ``-3``.
        """
        out = copy.copy(self)
        new = np.full(self.n_faces + 1, -3, dtype=np.int64)
        new[np.flatnonzero(keep)] = np.arange(int(np.count_nonzero(keep)))
        out.face_of = np.where(self.face_of >= 0, new[self.face_of], self.face_of)
        sizes = np.diff(self.start)
        out.start = np.zeros(int(np.count_nonzero(keep)) + 1, dtype=np.int64)
        np.cumsum(sizes[keep], out=out.start[1:])
        out.half = self.half[np.repeat(keep, sizes)]
        out.n_faces = out.start.size - 1
        out._grid = None  # the face boxes are per face
        return out

    def faces_with_vertices(self, good: Sequence[bool]) -> np.ndarray:
        """Tell, for each face, whether all its vertices are ``good``.

        Parameters
        ----------
        good : sequence of bool, length V
            One flag per vertex (in the order of :meth:`all_vertices`).

        Returns
        -------
        ndarray of bool, shape (F,)
        """
        if not self.n_faces:
            return np.zeros(0, dtype=bool)
        return np.logical_and.reduceat(np.asarray(good, dtype=bool)[self.origin[self.half]], self.start[:-1])

    def rounded_vertices(self) -> tuple[np.ndarray, np.ndarray]:
        """Return every vertex as the correctly rounded floats of its exact coordinates (for export).

        Returns
        -------
        x, y : ndarray of float64, shape (V,)
            :func:`exact.line_crossings.rounded_crossings`; face ``f``'s ring is at
            ``origin[half[start[f]:start[f + 1]]]``.

        Notes
        -----
        The exact vertices not made yet are made too (as by :meth:`all_vertices`), from
        the same exact crossings: the pairs of lines are crossed once for both.
        """
        if self._table is None:
            self._table = line_table(self.lines)
        arrays = crossing_arrays(self._table, self.vert_lines)
        self.make_vertices(np.arange(len(self.vert_lines)), arrays)
        return rounded_crossings(self.lines, self.vert_lines, self._table, arrays, self._coords)

    def edges(self, f: int) -> tuple[Line, ...]:
        """Return face ``f``'s edge lines, oriented with the face on their positive side (no vertex made).

        Parameters
        ----------
        f : int

        Returns
        -------
        tuple of Line
            In the order of :meth:`polygon`.
        """
        hs = self.half[self.start[f]:self.start[f + 1]]
        return _pick(self._oriented, self._edge_keys(hs).tolist())

    def face_boxes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Return each face's float bounding box, widened so that it holds the exact face.

        Returns
        -------
        xlo, xhi, ylo, yhi : ndarray of float64, shape (F,)
            From :meth:`vertex_floats`, each vertex widened by its bound, rounded outwards.
        """
        x, y, err = self.vertex_floats()
        return vertex_boxes(x, y, err, self.start[:-1], self.origin[self.half])

    def locate(self, p: Point) -> int | None:
        """Return the face whose closed polygon holds ``p``, decided exactly (None if none).

        Parameters
        ----------
        p : Point
            An exact homogeneous point.

        Returns
        -------
        int or None
            The face holding ``p`` inside if there is one, else the smallest face holding
            it on its boundary (as :meth:`exact.Regions.locate` decides).

        Notes
        -----
        The faces' float boxes (:meth:`face_boxes`, filed in a :class:`exact.box_grid.BoxGrid`
        on the first call) only filter; each candidate is tested exactly against its edge
        lines (:func:`exact.predicates.point_in_polygon`), in index order.
        """
        if self._grid is None:
            self._grid = BoxGrid(*self.face_boxes())
        (xlo, xhi), (ylo, yhi) = float_bounds(p[0], p[2]), float_bounds(p[1], p[2])
        best = None
        for f in self._grid.query(xlo, xhi, ylo, yhi).tolist():
            where = point_in_polygon((), self.edges(f), p)
            if where > 0:
                return f
            if where == 0 and best is None:
                best = f
        return best

    def float_areas(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Return every face's area in floats and a rigorous bound on its error.

        Returns
        -------
        (area, err) : pair of ndarray of float64, shape (F,), or None
            ``|area - exact area| <= err``
            (:func:`exact.polygon_areas.vertex_float_areas` of :meth:`vertex_floats`);
            None when a value is beyond the float range.
        """
        x, y, err = self.vertex_floats()
        area, bound = np.empty(self.n_faces), np.empty(self.n_faces)
        for f0 in range(0, self.n_faces, _CHUNK):  # in chunks: small temporaries, no page faults
            f1 = min(f0 + _CHUNK, self.n_faces)
            s0, s1 = int(self.start[f0]), int(self.start[f1])
            org = self.origin[self.half[s0:s1]]
            found = vertex_float_areas(x[org], y[org], err[org], self.start[f0:f1] - s0)
            if found is None:
                return None
            area[f0:f1], bound[f0:f1] = found
        return area, bound

    def extreme_areas(self, among: Sequence[int] | None = None) -> tuple[Fraction, Fraction] | None:
        """Return the exact smallest and largest face areas; exact polygons only for the candidates.

        Parameters
        ----------
        among : sequence of int, optional
            The faces to measure (default: all).

        Returns
        -------
        (Fraction, Fraction) or None
            None for no faces.

        Notes
        -----
        Float areas with rigorous bounds (:func:`exact.polygon_areas.vertex_float_areas`)
        from :meth:`vertex_floats` leave a few candidates
        (:func:`exact.polygon_areas.area_candidates`); their exact areas decide.
        """
        faces = np.arange(self.n_faces) if among is None else np.asarray(among, dtype=np.int64).reshape(-1)
        if not faces.size:
            return None
        found = self.float_areas()
        small, large = (faces, faces) if found is None else area_candidates(*found, faces)
        area = {f: polygon_area(self.polygon(f)[0]) for f in np.union1d(small, large).tolist()}
        return min(area[f] for f in small.tolist()), max(area[f] for f in large.tolist())


def crossing_floats(lines: Sequence[Line], pairs: np.ndarray,
                    table: tuple[np.ndarray, np.ndarray] | None = None
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return float coordinates of the crossings of line pairs and a rigorous bound on their error.

    Parameters
    ----------
    lines : sequence of Line
    pairs : ndarray of int, shape (m, 2)
    table : (coef, bits), optional
        :func:`exact.line_crossings.line_table` of ``lines``.

    Returns
    -------
    x, y : ndarray of float64, shape (m,)
    err : ndarray of float64, shape (m,)
        ``max(|x - X/D|, |y - Y/D|) <= err`` for the exact crossing ``(X, Y, D)``
        (infinite where a coordinate is beyond the float range).

    Notes
    -----
    For an ``int64`` crossing, ``X``, ``D`` and ``X / D`` are each rounded once: the
    float is within ``3u / (1 - 3u) < 4u`` of the exact value, relatively, and no value is
    subnormal (``|X / D| >= 2^-63`` unless ``X = 0``, then exact).  The others are bracketed
    one by one (:func:`exact._float_range.float_bounds`).

    Examples
    --------
    >>> x, y, err = crossing_floats([(1, -1, 0), (1, 1, -1)], np.array([[0, 1]]))
    >>> x.tolist(), y.tolist(), bool(0 < err[0] < 1e-15)
    ([0.5], [0.5], True)
    """
    table = line_table(lines) if table is None else table
    X, Y, D, fits = crossing_arrays(table, pairs)
    with np.errstate(invalid="ignore", divide="ignore"):
        x, y = X / D.astype(np.float64), Y / D.astype(np.float64)
    err = 4 * U * np.maximum(np.abs(x), np.abs(y))
    big = np.flatnonzero(~fits)  # past int64: exact Python crossings, bracketed one by one
    for k, p in zip(big.tolist(), crossing_points(lines, pairs[big], table)):
        (xl, xh), (yl, yh) = float_bounds(p[0], p[2]), float_bounds(p[1], p[2])
        x[k], y[k] = xl, yl
        err[k] = max(np.nextafter(xh - xl, np.inf), np.nextafter(yh - yl, np.inf))
    return x, y, err


def _pick(items: list, idx: list[int]) -> tuple:
    """Return ``tuple(items[i] for i in idx)``, at C speed."""
    return operator.itemgetter(*idx)(items) if len(idx) > 1 else tuple(items[i] for i in idx)

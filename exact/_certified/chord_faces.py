"""Split every cell by all of a layer's lines in one pass: the arrangement of its chords.

Inside each cell the layer's lines are chords (:mod:`exact._certified.chords`), and the new cells
are the faces of their arrangement.  Instead of cutting by one line per round, this
builds that arrangement directly, for all cells at once:

* points: the cell's vertices, the chords' endpoints on its edges and the crossing
  points of chord pairs whose endpoints interleave (Cramer intersections with bounds,
  :func:`exact._certified.bounds.intersect`);
* the order of points along each chord: by the projection on the chord's float
  direction, where the bounds of neighbouring points must not overlap (so no three lines
  meet in a point); along the border, by edge and the certified endpoint order;
* half-edges, each with its face on the left, and the next half-edge around that face:
  along the border counter-clockwise, into a chord at its endpoint, out of it at the
  other end, and at a crossing the left turn, whose direction is the sign of the
  certified determinant of the two lines;
* faces are the cycles of that successor map, found with pointer jumping; their vertices
  come out counter-clockwise;
* each face's piece for every line of its cell: known for the two lines through its first
  vertex from the side the face is on; for the others, from the border order when that
  vertex is on the border (a line is above on the arc from where it enters to where it
  leaves), else by a certified sign test at that vertex.

Every order and sign is certified; any test within its bound raises
:class:`~exact.errors.Undecided` (the caller then splits round by round, or hands over to
the exact engine).  As a check, the number of faces of each cell must be ``1 + L + I``.

References
----------
.. [1] M. de Berg, O. Cheong, M. van Kreveld and M. Overmars, *Computational Geometry:
   Algorithms and Applications*, 3rd ed., Springer, 2008, ch. 2 (the doubly-connected
   edge list: half-edges, their successors and the face cycles).

Examples
--------
The lines ``x = 0``, ``y = 0`` and ``x + y = 1/2`` cross pairwise inside ``[-1, 1]^2``:
``1 + 3 + 3 = 7`` faces, every sign pattern but "left, below, above ``x + y = 1/2``".

>>> from fractions import Fraction
>>> from exact import ExactNet
>>> from exact._certified.subdivision import Subdivision
>>> net = ExactNet.from_layers([([[1, 0], [0, 1], [1, 1]], [0, 0, -0.5]), ([[1, 1, 1]], [0])])
>>> st = Subdivision(net, Fraction(1))
>>> layer, piece, rows, cols = st.begin_layer()
>>> cells = arrange_cells(st, layer, piece, rows, cols)
>>> sorted(map(tuple, cells.piece.tolist()))
[(0, 0, 0), (0, 1, 0), (0, 1, 1), (1, 0, 0), (1, 0, 1), (1, 1, 0), (1, 1, 1)]
>>> cells.nv.tolist()   # vertices of each face, counter-clockwise
[4, 5, 3, 5, 3, 5, 3]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._fp import SAFE, TINY, U
from ..errors import TooManyRegionsError, Undecided
from .blocks import ranges
from .bounds import intersect
from .chords import chord_lines, crossing_pairs, endpoint_points, find_chords, no_triple_points, sort_within
from .pieces import face_pieces

__all__ = ["ArrangedCells", "arrange_cells"]


@dataclass
class ArrangedCells:
    """The cells of a subdivision after one layer's split.

    Attributes
    ----------
    rec : ndarray of float64, shape (V, 7)
        Vertex records, contiguous per cell and counter-clockwise: x, y, error bound,
        label of the edge to the next vertex and that edge's line ``(a, b, c)``.
    nv : ndarray of int64, shape (C,)
        Number of vertices of each cell.
    anc : ndarray of int64, shape (C,)
        The cell of the subdivision before the split that each cell lies in.
    piece : ndarray, shape (C, k)
        This layer's piece of every neuron in each cell.
    """

    rec: np.ndarray
    nv: np.ndarray
    anc: np.ndarray
    piece: np.ndarray


def arrange_cells(st, layer, piece: np.ndarray, rows: np.ndarray, cols: np.ndarray, check=None,
                  chords: tuple | None = None) -> ArrangedCells:
    """Split the cells of a subdivision by all the lines of a layer that may cut them.

    Cells no line cuts are kept whole; the others are replaced by the faces of their
    chords' arrangement (see the module notes).

    Parameters
    ----------
    st : exact._certified.subdivision.Subdivision
        The subdivision, with ``C`` cells, after the layers before ``layer``.
    layer : exact._certified.subdivision._Layer
        The layer to split by, as from ``st.begin_layer()``.
    piece : ndarray, shape (C, k)
        The pieces known from the bounding boxes; updated in place (cells certainly above a
        line gain its piece).
    rows, cols : ndarray of int64, shape (P,)
        The open pairs ``(cell rows[i], line cols[i])`` from ``begin_layer``, with
        ``cols = neuron * nq + q``; ``rows`` sorted.
    check : callable, optional
        ``check(n_cells, n_vertices, n_half_edges)``, called once the chords and their
        crossings are known and before anything of their size is built; it raises to
        refuse the job (:class:`~exact._certified.budget.Budget`).
    chords : (Chords, (ndarray, ndarray)), optional
        The chords of these pairs and their crossing pairs, when already found
        (:meth:`~exact._certified.subdivision.Subdivision.layer_chords`); ``piece`` must then
        be the pieces as finding them left them.

    Returns
    -------
    ArrangedCells
        The uncut cells first (in order), then the faces of the cut ones.

    Raises
    ------
    Undecided
        A sign or an order too close to call in floats.

    References
    ----------
    .. [1] M. de Berg, O. Cheong, M. van Kreveld and M. Overmars, *Computational
       Geometry: Algorithms and Applications*, 3rd ed., Springer, 2008, ch. 2 (the
       doubly-connected edge list and its face cycles).
    .. [2] N. J. Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed.,
       SIAM, 2002, §2.2 and §3.1 (the error bounds).
    """
    if chords is None:
        ch = find_chords(st, layer, piece, rows, cols)
        pairs = crossing_pairs(ch)
    else:
        ch, pairs = chords
    rec, start, nv = st.rec, st.start, st.nv
    C = len(start)
    has = np.zeros(C, dtype=bool)
    has[ch.cell] = True
    keep = (~has).nonzero()[0]
    if check is not None:  # a cut cell has 1 + L + I faces, and 4 half-edges per chord and crossing
        n_cut, n_cr = C - len(keep), len(pairs[0])
        half_edges = int(nv[has].sum()) + 4 * ch.n + 4 * n_cr
        try:
            check(len(keep) + n_cut + ch.n + n_cr, int(nv[keep].sum()) + half_edges, half_edges)
        except TooManyRegionsError:  # 1 + L + I is exact only without triple points, else too many
            no_triple_points(layer, ch, pairs, max_work=_TRIPLE_WORK)  # a near triple point: Undecided
            raise
    kept = ArrangedCells(rec[ranges(start[keep], nv[keep])], nv[keep], keep, piece[keep])
    if ch.n == 0:
        return kept
    faces = _faces(st, layer, ch, piece, pairs)
    if len(keep) == 0:  # every cell is cut (the first layer): no copy of the faces
        return faces
    return ArrangedCells(np.concatenate([kept.rec, faces.rec]), np.concatenate([kept.nv, faces.nv]),
                         np.concatenate([kept.anc, faces.anc]), np.concatenate([kept.piece, faces.piece]))


_TRIPLE_WORK = 1_000_000
"""Most (crossing, chord) pairs tested before a refusal for ``max_regions`` (about 150 MB of temporaries);
beyond, the count (an upper bound when three lines meet) refuses as it stands."""


@dataclass(frozen=True)
class _ChordLines:
    """The float line ``(a, b, c - beta)`` of every chord, its error bound and its label."""

    L: np.ndarray  # (X, 3)
    E: np.ndarray  # (X, 3)
    label: np.ndarray  # (X,)


@dataclass(frozen=True)
class _Points:
    """Every point of the arrangement, by id: coordinates and a max-norm error bound.

    Ids ``[0, V0)`` are the cells' vertices, ``V0 + e`` the chords' endpoints and
    ``V0 + 2 X + i`` the crossing points (``X`` chords).
    """

    x: np.ndarray
    y: np.ndarray
    err: np.ndarray


@dataclass(frozen=True)
class _Crossings:
    """The crossing points of chord pairs inside their cells.

    Crossing ``i`` of chords ``a[i] < b[i]`` of one cell is at ``(x[i], y[i])`` within
    ``err[i]`` (max norm); ``turn[i]`` is the sign of the determinant ``a_a b_b - a_b b_a``
    of their lines (certified by :func:`~exact._certified.bounds.intersect`).
    """

    a: np.ndarray
    b: np.ndarray
    x: np.ndarray
    y: np.ndarray
    err: np.ndarray
    turn: np.ndarray


@dataclass(frozen=True)
class _ChordPaths:
    """The points along every chord, from its entry to its exit.

    Chord ``x`` passes ``m[x]`` crossing points, so it has ``m[x] + 2`` points, the ids
    ``pts[pt_off[x] : pt_off[x] + m[x] + 2]``, and ``m[x] + 1`` segments, numbered from
    ``seg_off[x]`` (``n_seg`` in all; segment ``s`` is number ``seg_index[s]`` of chord
    ``seg_chord[s]``).  ``at[i]`` is the position on its chord of crossing ``i`` on chord
    ``a[i]``, and ``at[n + i]`` of crossing ``i`` on chord ``b[i]`` (``n`` crossings; 0 is the
    entry).
    """

    m: np.ndarray
    seg_off: np.ndarray
    pt_off: np.ndarray
    pts: np.ndarray
    at: np.ndarray
    n_seg: int
    seg_chord: np.ndarray
    seg_index: np.ndarray


@dataclass(frozen=True)
class _Border:
    """The border of every cut cell, counter-clockwise: its vertices and the chords' endpoints.

    Border position ``i`` holds point ``pts[i]`` on edge ``edge[i]`` of cell ``cell[i]``, and
    ``nxt[i]`` is the next position around that cell; ``of_end[e]`` is the position of
    endpoint ``e``.  ``cut`` lists the cut cells.
    """

    cut: np.ndarray
    pts: np.ndarray
    cell: np.ndarray
    edge: np.ndarray
    nxt: np.ndarray
    of_end: np.ndarray

    @property
    def n(self) -> int:
        """Number of border positions."""
        return len(self.pts)


@dataclass(frozen=True)
class _HalfEdges:
    """Every half-edge of the arrangement, each with its face on the left.

    Numbered along the border first (``[0, n_border)``, the border positions), then the
    chord segments forward (entry to exit, upper side on the right), then backward.
    Half-edge ``h`` starts at point ``src[h]`` in cell ``cell[h]``, lies on the line with
    record ``line[h]`` (label, a, b, c) and on chord ``chord[h]`` (-1 on the border), has its
    face on the chord's upper side when ``upper[h]``, and is followed around its face by
    ``nxt[h]``.
    """

    n_border: int
    nxt: np.ndarray
    src: np.ndarray
    cell: np.ndarray
    line: np.ndarray
    chord: np.ndarray
    upper: np.ndarray


@dataclass(frozen=True)
class _Arrangement:
    """The arrangement of the chords in every cut cell, as a half-edge structure."""

    points: _Points
    crossings: _Crossings
    border: _Border
    half: _HalfEdges


@dataclass(frozen=True)
class _Faces:
    """The faces of the arrangement, each a cycle of half-edges.

    Face ``f`` lies in cell ``cell[f]``, has ``size[f]`` vertices and starts with its least
    half-edge ``first[f]`` at point ``vertex[f]``; ``last[f]`` is its last half-edge.
    Half-edge ``h`` bounds face ``of_half[h]``.
    """

    cell: np.ndarray
    size: np.ndarray
    first: np.ndarray
    last: np.ndarray
    vertex: np.ndarray
    of_half: np.ndarray


def _faces(st, layer, ch, piece: np.ndarray, pairs: tuple) -> ArrangedCells:
    """Build the faces of the chords' arrangement in every cut cell, with their pieces."""
    lines = _known_chord_lines(layer, ch)
    arr = _arrangement(st, layer, ch, lines, pairs)
    half = arr.half
    order, head, size = _cycles(half.nxt)
    so = half.src[order]
    out_rec = np.column_stack([arr.points.x[so], arr.points.y[so], arr.points.err[so], half.line[order]])
    of_half = np.empty(len(order), dtype=np.int64)
    of_half[order] = head.cumsum() - 1
    faces = _Faces(half.cell[order[head]], size, order[head], order[size.cumsum() - 1], so[head], of_half)
    _check_face_counts(layer, ch, arr, faces, len(st.start))
    return ArrangedCells(out_rec, size, faces.cell, face_pieces(layer, ch, piece, arr, faces))


def _known_chord_lines(layer, ch) -> _ChordLines:
    """Return the chords' float lines, raising Undecided unless each is known well enough."""
    Lx, Ex, labx = chord_lines(layer, ch, np.arange(ch.n))
    if not np.all(Ex[:, 0] + Ex[:, 1] < 0.25 * (np.abs(Lx[:, 0]) + np.abs(Lx[:, 1]))):
        raise Undecided(f"a line of hidden layer {layer.index} is not known well enough in floats")
    return _ChordLines(Lx, Ex, labx)


def _arrangement(st, layer, ch, lines: _ChordLines, pairs: tuple) -> _Arrangement:
    """Build the points, the crossings, the border and the half-edges of the chords."""
    rec = st.rec
    V0 = len(rec)
    ex, ey, ee = _endpoints(st, layer, ch, lines)
    cr = _crossings(lines, pairs)
    on, order = _order_on_chords(layer, lines, cr)
    paths = _chord_paths(ch, cr, on, order, V0)
    border = _border(st, ch, V0)
    nxt = _successors(ch, cr, paths, border, V0)
    points = _Points(np.concatenate([rec[:, 0], ex, cr.x]), np.concatenate([rec[:, 1], ey, cr.y]),
                     np.concatenate([rec[:, 2], ee, cr.err]))
    return _Arrangement(points, cr, border, _half_edges(st, ch, lines, paths, border, nxt))


def _endpoints(st, layer, ch, lines: _ChordLines) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Intersect each chord with the edge lines of its endpoints (Cramer, with bounds).

    Returns the coordinates and error bounds of the endpoints, in their sorted order
    around the cells.
    """
    return endpoint_points(st, layer, ch, np.arange(2 * ch.n), lines.L[ch.e_chord], lines.E[ch.e_chord])


def _crossings(lines: _ChordLines, pairs: tuple) -> _Crossings:
    """Intersect the chord pairs that cross inside their cell (Cramer, with bounds)."""
    Lx, Ex = lines.L, lines.E
    pa, pb = pairs
    cx, cy, ce = intersect(Lx[pa], Ex[pa], Lx[pb], Ex[pb])
    sD = np.sign(Lx[pa, 0] * Lx[pb, 1] - Lx[pb, 0] * Lx[pa, 1])  # certified by intersect
    return _Crossings(pa, pb, cx, cy, ce, sD)


def _order_on_chords(layer, lines: _ChordLines, cr: _Crossings) -> tuple[np.ndarray, np.ndarray]:
    """Order the crossing points along each chord, from its entry to its exit, certified.

    Incidence ``i`` is crossing ``i`` on chord ``on[i] = a[i]`` and incidence ``n + i`` the
    same crossing on chord ``b[i]``; returns ``(on, order)``, ``order`` sorting the
    incidences by chord, then along it.  Raises Undecided when the bounds of neighbouring
    points on a chord overlap (three lines may meet in one point).
    """
    Lx = lines.L
    ncr = len(cr.a)
    on = np.concatenate([cr.a, cr.b])  # chord of each (chord, crossing) incidence
    pt = np.concatenate([np.arange(ncr), np.arange(ncr)])
    dx, dy = -Lx[on, 1], Lx[on, 0]  # the chord's direction: its upper side on the right
    s = dx * cr.x[pt] + dy * cr.y[pt]
    es = ((np.abs(dx) + np.abs(dy)) * cr.err[pt]
          + 3 * U * (np.abs(dx * cr.x[pt]) + np.abs(dy * cr.y[pt]))) * SAFE + TINY
    order = sort_within(s, on)
    ss, sn, se = s[order], on[order], es[order]
    if np.any((sn[1:] == sn[:-1]) & ~(ss[:-1] + se[:-1] < ss[1:] - se[1:])):
        raise Undecided(f"three lines of hidden layer {layer.index} nearly meet in one point")
    return on, order


def _chord_paths(ch, cr: _Crossings, on: np.ndarray, order: np.ndarray, V0: int) -> _ChordPaths:
    """Lay out the points of every chord in order (entry, crossings, exit) and its segments."""
    nX = ch.n
    X = np.arange(nX)
    ncr = len(cr.a)
    pt = np.concatenate([np.arange(ncr), np.arange(ncr)])
    sn = on[order]
    m = np.bincount(on, minlength=nX)  # crossing points on each chord
    seg_off = (m + 1).cumsum() - (m + 1)  # chord x has m + 1 segments
    nS = int((m + 1).sum())
    cp_off = seg_off + X  # chord x's points (m + 2 of them) start here
    chord_pts = np.empty(nS + nX, dtype=np.int64)
    chord_pts[cp_off] = V0 + ch.entry
    chord_pts[cp_off + m + 1] = V0 + ch.exit
    rank = np.arange(2 * ncr) - (m.cumsum() - m)[sn]  # position among the chord's crossings
    at = np.empty(2 * ncr, dtype=np.int64)
    at[order] = rank + 1  # position of each incidence on its chord (0 is the entry)
    chord_pts[cp_off[on] + at] = V0 + 2 * nX + pt
    seg_x = X.repeat(m + 1)
    seg_i = np.arange(nS) - seg_off[seg_x]
    return _ChordPaths(m, seg_off, cp_off, chord_pts, at, nS, seg_x, seg_i)


def _border(st, ch, V0: int) -> _Border:
    """Walk the border of each cut cell: its vertices and the endpoints, counter-clockwise."""
    start, nv = st.start, st.nv
    nX = ch.n
    Q = ch.cell[np.concatenate(([True], ch.cell[1:] != ch.cell[:-1]))]  # the cut cells (sorted chords)
    nQ = nv[Q]
    b_cell = np.concatenate([Q.repeat(nQ), ch.e_cell])
    b_edge = np.concatenate([ranges(np.zeros_like(Q), nQ), ch.e_edge])
    b_sub = np.concatenate([np.zeros(int(nQ.sum()), np.int64), 1 + np.arange(2 * nX)])  # vertex i first
    b_id = np.concatenate([ranges(start[Q], nQ), V0 + np.arange(2 * nX)])
    # endpoints are sorted by (cell, edge, t) already, so one key orders the border
    border = np.argsort((b_cell * (int(nv.max()) + 1) + b_edge) * (2 * nX + 1) + b_sub, kind="stable")
    bpts, bcell, bedge = b_id[border], b_cell[border], b_edge[border]
    nB = len(bpts)
    first = np.concatenate(([True], bcell[1:] != bcell[:-1]))
    gstart = np.maximum.accumulate(np.where(first, np.arange(nB), 0))
    nextb = np.arange(1, nB + 1)
    last = np.concatenate((first[1:], [True]))
    nextb[last] = gstart[last]
    b_of_end = np.empty(2 * nX, dtype=np.int64)  # border position of each endpoint
    isend = bpts >= V0
    b_of_end[bpts[isend] - V0] = isend.nonzero()[0]
    return _Border(Q, bpts, bcell, bedge, nextb, b_of_end)


def _successors(ch, cr: _Crossings, paths: _ChordPaths, border: _Border, V0: int) -> np.ndarray:
    """Return the next half-edge around its face, for every half-edge.

    Half-edges are numbered as in :class:`_HalfEdges`.  Along the border the next is the
    next border position, or the chord an endpoint starts; at a chord's end it is the
    border; at a crossing it is the left turn onto the other chord.
    """
    nX = ch.n
    nB, nS = border.n, paths.n_seg
    pa, pb, sD = cr.a, cr.b, cr.turn
    ncr = len(pa)
    m, seg_off, at = paths.m, paths.seg_off, paths.at
    seg_x, seg_i = paths.seg_chord, paths.seg_index
    # successor of every half-edge: border [0, nB), chord forward [nB, nB + nS), backward after
    H = nB + 2 * nS
    nxt = np.empty(H, dtype=np.int64)
    v = border.pts[border.nxt]
    into = v >= V0  # the border reaches an endpoint: turn into its chord
    e = v[into] - V0
    xe = ch.e_chord[e]
    nxt[:nB] = border.nxt
    nxt[into.nonzero()[0]] = np.where(ch.e_rising[e], nB + seg_off[xe], nB + nS + seg_off[xe] + m[xe])
    # forward segment i of chord x ends at position i + 1; backward segment i ends at position i
    for direction, end_pos, base in ((1, seg_i + 1, nB), (-1, seg_i, nB + nS)):
        end_pt = paths.pts[paths.pt_off[seg_x] + end_pos]
        out = end_pt < V0 + 2 * nX  # an endpoint: continue along the border
        nxt[base + out.nonzero()[0]] = border.of_end[end_pt[out] - V0]
        h = (~out).nonzero()[0]
        c = end_pt[h] - V0 - 2 * nX
        x = seg_x[h]
        first_is_x = pa[c] == x
        y = np.where(first_is_x, pb[c], pa[c])
        turn = direction * np.where(first_is_x, sD[c], -sD[c])  # direction along y: a left turn
        py = np.where(first_is_x, at[ncr + c], at[c])  # position of c on y
        nxt[base + h] = np.where(turn > 0, nB + seg_off[y] + py, nB + nS + seg_off[y] + py - 1)
    return nxt


def _cycles(nxt: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Find the cycles of the permutation ``nxt`` by pointer jumping.

    Returns ``(order, head, size)``: ``order`` lists the elements cycle by cycle (cycles by
    their least element), each cycle from its least element on in ``nxt`` order; ``head``
    marks the first of each cycle in ``order``, and ``size`` gives the cycles' lengths.
    """
    # pointer jumping for the least member, then the distance to the end
    # (no label changing in a round means every cycle fits in the window already covered)
    H = len(nxt)
    lab = np.arange(H)
    p = nxt
    while True:
        new = np.minimum(lab, lab[p])
        if (new == lab).all():
            break
        lab, p = new, p[p]
    tail = nxt == lab  # the last half-edge of each cycle (its successor is the least member)
    ptr = np.where(tail, np.arange(H), nxt)
    dist = (~tail).astype(np.int64)
    while not (ptr == ptr[ptr]).all():
        dist = dist + dist[ptr]
        ptr = ptr[ptr]
    order = np.argsort(lab * (int(dist.max()) + 1) - dist)  # each face from its least half-edge on
    lab_o = lab[order]
    head = np.concatenate(([True], lab_o[1:] != lab_o[:-1]))
    fid = head.cumsum() - 1
    nF = int(fid[-1]) + 1
    size = np.bincount(fid, minlength=nF)
    return order, head, size


def _half_edges(st, ch, lines: _ChordLines, paths: _ChordPaths, border: _Border, nxt: np.ndarray
                ) -> _HalfEdges:
    """Gather each half-edge's start point, cell, line record, chord and side."""
    nB, nS = border.n, paths.n_seg
    seg_x, seg_i = paths.seg_chord, paths.seg_index
    chord_pts, cp_off = paths.pts, paths.pt_off
    H = nB + 2 * nS
    src = np.empty(H, dtype=np.int64)
    src[:nB] = border.pts
    src[nB : nB + nS] = chord_pts[cp_off[seg_x] + seg_i]
    src[nB + nS :] = chord_pts[cp_off[seg_x] + seg_i + 1]
    cell_h = np.concatenate([border.cell, ch.cell[seg_x], ch.cell[seg_x]])
    line = np.empty((H, 4))
    line[:nB] = st.rec[st.start[border.cell] + border.edge, 3:7]
    line[nB:, 0] = np.concatenate((lines.label[seg_x], lines.label[seg_x]))
    line[nB:, 1:] = np.concatenate((lines.L[seg_x], lines.L[seg_x]))
    chord_h = np.concatenate([np.full(nB, -1), seg_x, seg_x])
    upper_h = np.concatenate((np.zeros(nB + nS, bool), np.ones(nS, bool)))  # backward: upper side left
    return _HalfEdges(nB, nxt, src, cell_h, line, chord_h, upper_h)


def _check_face_counts(layer, ch, arr: _Arrangement, faces: _Faces, n_cells: int) -> None:
    """Raise Undecided unless each cut cell has as many faces as its chords make.

    A cell cut by ``L`` chords crossing ``I`` times has ``1 + L + I`` faces, each with at
    least three vertices.
    """
    Q = arr.border.cut
    L_c = np.bincount(ch.cell, minlength=n_cells)
    I_c = np.bincount(ch.cell[arr.crossings.a], minlength=n_cells)
    if (not (np.bincount(faces.cell, minlength=n_cells)[Q] == 1 + L_c[Q] + I_c[Q]).all()
            or faces.size.min() < 3):
        raise Undecided(f"the arrangement of hidden layer {layer.index}'s lines is inconsistent in floats")

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
from ..errors import Undecided
from .bounds import intersect, values
from .chords import add_ones, chord_lines, crossing_pairs, find_chords, ranges, sort_within

__all__ = ["ArrangedCells", "arrange_cells"]


@dataclass
class ArrangedCells:
    """Cells after one layer: vertex records ``rec`` (contiguous per cell), vertex counts
    ``nv``, parent cell ``anc`` and this layer's piece of every neuron ``piece``."""

    rec: np.ndarray
    nv: np.ndarray
    anc: np.ndarray
    piece: np.ndarray


def arrange_cells(st, layer, piece: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> ArrangedCells:
    """The cells of subdivision ``st`` (:class:`exact._certified.subdivision.Subdivision`) split by all the
    lines of ``layer`` that may cut them (pairs ``rows``, ``cols`` as from ``begin_layer``).

    ``piece`` (shape ``(C, k)``, the pieces known from the bounding boxes) is updated in place.

    Raises
    ------
    Undecided
        A sign or an order too close to call in floats.
    """
    ch = find_chords(st, layer, piece, rows, cols)
    rec, start, nv = st.rec, st.start, st.nv
    C = len(start)
    has = np.zeros(C, dtype=bool)
    has[ch.cell] = True
    keep = np.flatnonzero(~has)
    kept = ArrangedCells(rec[ranges(start[keep], nv[keep])], nv[keep], keep, piece[keep])
    if ch.n == 0:
        return kept
    faces = _faces(st, layer, ch, piece)
    return ArrangedCells(np.concatenate([kept.rec, faces.rec]), np.concatenate([kept.nv, faces.nv]),
                         np.concatenate([kept.anc, faces.anc]), np.concatenate([kept.piece, faces.piece]))


def _faces(st, layer, ch, piece: np.ndarray) -> ArrangedCells:
    rec, start, nv = st.rec, st.start, st.nv
    V0 = len(rec)
    nX = ch.n
    X = np.arange(nX)
    Lx, Ex, labx = chord_lines(layer, ch, X)
    if not np.all(Ex[:, 0] + Ex[:, 1] < 0.25 * (np.abs(Lx[:, 0]) + np.abs(Lx[:, 1]))):
        raise Undecided(f"a line of hidden layer {layer.index} is not known well enough in floats")
    # endpoints (in their sorted order around the cells) on the edges' lines
    ev = start[ch.e_cell] + ch.e_edge
    e_lab = rec[ev, 3].astype(np.int64)
    ex, ey, ee = intersect(Lx[ch.e_chord], Ex[ch.e_chord], rec[ev, 4:7], layer.etab[e_lab + 1])
    # crossing points, and the order of the points on each chord
    pa, pb = crossing_pairs(ch)
    ncr = len(pa)
    cx, cy, ce = intersect(Lx[pa], Ex[pa], Lx[pb], Ex[pb])
    sD = np.sign(Lx[pa, 0] * Lx[pb, 1] - Lx[pb, 0] * Lx[pa, 1])  # certified by intersect
    on = np.concatenate([pa, pb])  # chord of each (chord, crossing) incidence
    pt = np.concatenate([np.arange(ncr), np.arange(ncr)])
    dx, dy = -Lx[on, 1], Lx[on, 0]  # the chord's direction: its upper side on the right
    s = dx * cx[pt] + dy * cy[pt]
    es = ((np.abs(dx) + np.abs(dy)) * ce[pt]
          + 3 * U * (np.abs(dx * cx[pt]) + np.abs(dy * cy[pt]))) * SAFE + TINY
    order = sort_within(s, on)
    ss, sn, se = s[order], on[order], es[order]
    if np.any((sn[1:] == sn[:-1]) & ~(ss[:-1] + se[:-1] < ss[1:] - se[1:])):
        raise Undecided(f"three lines of hidden layer {layer.index} nearly meet in one point")
    m = np.bincount(on, minlength=nX)  # crossing points on each chord
    seg_off = np.cumsum(m + 1) - (m + 1)  # chord x has m + 1 segments
    nS = int((m + 1).sum())
    cp_off = seg_off + X  # chord x's points (m + 2 of them) start here
    chord_pts = np.empty(nS + nX, dtype=np.int64)
    chord_pts[cp_off] = V0 + ch.entry
    chord_pts[cp_off + m + 1] = V0 + ch.exit
    rank = np.arange(2 * ncr) - (np.cumsum(m) - m)[sn]  # position among the chord's crossings
    at = np.empty(2 * ncr, dtype=np.int64)
    at[order] = rank + 1  # position of each incidence on its chord (0 is the entry)
    chord_pts[cp_off[on] + at] = V0 + 2 * nX + pt
    # the border of each cut cell: its vertices and the endpoints, counter-clockwise
    Q = ch.cell[np.r_[True, ch.cell[1:] != ch.cell[:-1]]]  # the cut cells (chords are sorted by cell)
    nQ = nv[Q]
    b_cell = np.concatenate([np.repeat(Q, nQ), ch.e_cell])
    b_edge = np.concatenate([ranges(np.zeros_like(Q), nQ), ch.e_edge])
    b_sub = np.concatenate([np.zeros(int(nQ.sum()), np.int64), 1 + np.arange(2 * nX)])  # vertex i first
    b_id = np.concatenate([ranges(start[Q], nQ), V0 + np.arange(2 * nX)])
    # endpoints are sorted by (cell, edge, t) already, so one key orders the border
    border = np.argsort((b_cell * (int(nv.max()) + 1) + b_edge) * (2 * nX + 1) + b_sub, kind="stable")
    bpts, bcell, bedge = b_id[border], b_cell[border], b_edge[border]
    nB = len(bpts)
    first = np.r_[True, bcell[1:] != bcell[:-1]]
    gstart = np.maximum.accumulate(np.where(first, np.arange(nB), 0))
    nextb = np.arange(1, nB + 1)
    last = np.r_[first[1:], True]
    nextb[last] = gstart[last]
    b_of_end = np.empty(2 * nX, dtype=np.int64)  # border position of each endpoint
    isend = bpts >= V0
    b_of_end[bpts[isend] - V0] = np.flatnonzero(isend)
    # successor of every half-edge: border [0, nB), chord forward [nB, nB + nS), backward after
    H = nB + 2 * nS
    nxt = np.empty(H, dtype=np.int64)
    v = bpts[nextb]
    into = v >= V0  # the border reaches an endpoint: turn into its chord
    e = v[into] - V0
    xe = ch.e_chord[e]
    nxt[:nB] = nextb
    nxt[np.flatnonzero(into)] = np.where(ch.e_rising[e], nB + seg_off[xe], nB + nS + seg_off[xe] + m[xe])
    seg_x = np.repeat(X, m + 1)
    seg_i = np.arange(nS) - seg_off[seg_x]
    # forward segment i of chord x ends at position i + 1; backward segment i ends at position i
    for direction, end_pos, base in ((1, seg_i + 1, nB), (-1, seg_i, nB + nS)):
        end_pt = chord_pts[cp_off[seg_x] + end_pos]
        out = end_pt < V0 + 2 * nX  # an endpoint: continue along the border
        nxt[base + np.flatnonzero(out)] = b_of_end[end_pt[out] - V0]
        h = np.flatnonzero(~out)
        c = end_pt[h] - V0 - 2 * nX
        x = seg_x[h]
        first_is_x = pa[c] == x
        y = np.where(first_is_x, pb[c], pa[c])
        turn = direction * np.where(first_is_x, sD[c], -sD[c])  # direction along y: a left turn
        py = np.where(first_is_x, at[ncr + c], at[c])  # position of c on y
        nxt[base + h] = np.where(turn > 0, nB + seg_off[y] + py, nB + nS + seg_off[y] + py - 1)
    # faces: cycles of nxt (pointer jumping for the least member, then the distance to the end)
    # (no label changing in a round means every cycle fits in the window already covered)
    lab = np.arange(H)
    p = nxt
    while True:
        new = np.minimum(lab, lab[p])
        if np.array_equal(new, lab):
            break
        lab, p = new, p[p]
    tail = nxt == lab  # the last half-edge of each cycle (its successor is the least member)
    ptr = np.where(tail, np.arange(H), nxt)
    dist = (~tail).astype(np.int64)
    while not np.array_equal(ptr, ptr[ptr]):
        dist = dist + dist[ptr]
        ptr = ptr[ptr]
    order = np.argsort(lab * (int(dist.max()) + 1) - dist)  # each face from its least half-edge on
    lab_o = lab[order]
    head = np.r_[True, lab_o[1:] != lab_o[:-1]]
    fid = np.cumsum(head) - 1
    nF = int(fid[-1]) + 1
    size = np.bincount(fid, minlength=nF)
    # half-edge attributes: start point, line record, cell, chord (-1 on the border), side
    src = np.empty(H, dtype=np.int64)
    src[:nB] = bpts
    src[nB : nB + nS] = chord_pts[cp_off[seg_x] + seg_i]
    src[nB + nS :] = chord_pts[cp_off[seg_x] + seg_i + 1]
    cell_h = np.concatenate([bcell, ch.cell[seg_x], ch.cell[seg_x]])
    line = np.empty((H, 4))
    line[:nB] = rec[start[bcell] + bedge, 3:7]
    line[nB:, 0] = np.tile(labx[seg_x], 2)
    line[nB:, 1:] = np.tile(Lx[seg_x], (2, 1))
    chord_h = np.concatenate([np.full(nB, -1), seg_x, seg_x])
    upper_h = np.r_[np.zeros(nB + nS, bool), np.ones(nS, bool)]  # backward: upper side on the left
    px = np.concatenate([rec[:, 0], ex, cx])
    py_ = np.concatenate([rec[:, 1], ey, cy])
    pe = np.concatenate([rec[:, 2], ee, ce])
    so = src[order]
    out_rec = np.column_stack([px[so], py_[so], pe[so], line[order]])
    fcell = cell_h[order[head]]
    # check: a cell cut by L chords crossing I times has 1 + L + I faces
    L_c = np.bincount(ch.cell, minlength=len(start))
    I_c = np.bincount(ch.cell[pa], minlength=len(start))
    if not np.array_equal(np.bincount(fcell, minlength=len(start))[Q], 1 + L_c[Q] + I_c[Q]) or size.min() < 3:
        raise Undecided(f"the arrangement of hidden layer {layer.index}'s lines is inconsistent in floats")
    fpiece = _face_pieces(layer, ch, piece, order[head], order[np.cumsum(size) - 1], fcell, so[head],
                          chord_h, upper_h, px, py_, pe, nB, b_of_end[ch.entry], b_of_end[ch.exit])
    return ArrangedCells(out_rec, size, fcell, fpiece)


def _face_pieces(layer, ch, piece, h0, ht, fcell, v, chord_h, upper_h, px, py, pe, nB, b_in, b_out
                 ) -> np.ndarray:
    """This layer's pieces in each face: the cell's known pieces plus one for every chord of
    the cell the face lies above.

    The face's first vertex ``v`` (the start of its least half-edge ``h0``) is on the chords
    of ``h0`` and of its last half-edge ``ht``: the face's side of those is known.  For the
    other chords: when ``h0`` is on the border (``h0 < nB``, its border position), ``v`` is
    above chord ``x`` exactly when it lies on the border arc from ``x``'s entry ``b_in[x]``
    counter-clockwise to its exit ``b_out[x]`` (the line rises at the entry); otherwise a
    certified sign test at ``v`` decides.
    """
    first = np.searchsorted(ch.cell, fcell, side="left")
    L = np.searchsorted(ch.cell, fcell, side="right") - first
    nF = len(fcell)
    f = np.repeat(np.arange(nF), L)
    x = ranges(first, L)
    above = np.zeros(len(x), dtype=bool)
    known = np.zeros(len(x), dtype=bool)
    for h in (h0, ht):
        hit = chord_h[h][f] == x
        known |= hit
        above |= hit & upper_h[h][f]
    # faces starting on the border: the arcs of the border order decide, exactly
    p = h0[f]
    on_border = ~known & (p < nB)
    a, b, pb = b_in[x[on_border]], b_out[x[on_border]], p[on_border]
    above[on_border] = np.where(a < b, (a < pb) & (pb < b), (pb > a) | (pb < b))
    t = np.flatnonzero(~known & ~on_border)
    if len(t):
        xt, vt = x[t], v[f[t]]
        kt, qt = ch.k[xt], ch.q[xt]
        val, err = values(layer.M[:, kt, ch.cell[xt]], layer.E[kt].T, px[vt], py[vt], pe[vt], layer.beta[qt],
                          layer.ebeta[qt])
        if not np.all(np.abs(val) > err):
            raise Undecided(f"a vertex is too close to a line of hidden layer {layer.index} "
                            "to decide its side")
        above[t] = val > 0
    out = piece[fcell].copy()
    add_ones(out, f[above], ch.k[x[above]], unique=layer.nq == 1)
    return out

"""Each face's pieces after a layer's split: which chords of its cell it lies above.

:func:`~exact._certified.chord_faces.arrange_cells` builds the faces of the chords in
every cut cell; this module gives each face its pattern for the layer: its cell's pieces
plus one for every chord of the cell it lies above.  The faces with an edge on the cell's
border (in cells of many chords; else one face per cell, its first) are placed against
every chord of their cell by the border order; every other face is reached across a chord
segment from a face already known, and differs from it in that one chord (the
arrangement's combinatorics are certified, so this is exact).

Examples
--------
The three lines ``x = 0``, ``y = 0`` and ``x + y = 1/2`` in ``[-1, 1]^2`` make seven faces,
each with its own pattern:

>>> from fractions import Fraction
>>> from exact import ExactNet
>>> from exact._certified.chord_faces import arrange_cells
>>> from exact._certified.subdivision import Subdivision
>>> net = ExactNet.from_layers([([[1, 0], [0, 1], [1, 1]], [0, 0, -0.5]), ([[1, 1, 1]], [0])])
>>> st = Subdivision(net, Fraction(1))
>>> cells = arrange_cells(st, *st.begin_layer())
>>> len({tuple(p) for p in cells.piece.tolist()})
7
"""

from __future__ import annotations

import numpy as np

from ..errors import Undecided
from . import blocks
from .blocks import add_ones, breadth_first_arcs, ranges
from .bounds import values

__all__ = ["MANY_CHORDS", "face_pieces"]

MANY_CHORDS = 16
"""From this many chords in a cell, :func:`face_pieces` spreads the pieces from every face on the border.

The spread takes a round per chord between a face and the nearest face placed; from one
face per cell that is up to the cell's chords (the first layer of a wide net: one cell, a
round per line), from every border face about half of that, for ``border faces x chords``
more pairs placed at first.  With few chords a cell (the later layers) the rounds are few.
"""


def face_pieces(layer, ch, piece: np.ndarray, arr, faces) -> np.ndarray:
    """Return this layer's pieces in each face.

    A face has its cell's known pieces plus one for every chord of the cell it lies above.
    That is decided for the faces with an edge on their cell's border, exactly, by the
    border order (:func:`_chords_below`; only each cell's first face when no cell has
    :data:`MANY_CHORDS` chords, or when they would make more than ``BLOCK / 4`` face-chord
    pairs); the others follow across the chord segments, breadth first
    (:func:`_spread_pieces`): the face on a segment's upper side has one piece more for
    that chord's neuron than the face below, and the same otherwise.  Testing every face
    against every chord of its cell instead would cost ``faces x chords`` (``n^3`` on a
    wide first layer), where this copies one row of ``k`` bytes per face; small layers (up
    to ``BLOCK / 16`` pairs) are tested pair by pair, in fewer numpy passes than the
    spread, whose rounds grow with the chords between a face and the border.
    """
    fcell = faces.cell
    out = piece[fcell]
    first = np.searchsorted(ch.cell, fcell, side="left")
    L = np.searchsorted(ch.cell, fcell, side="right") - first
    if int(L.sum()) <= blocks.BLOCK // 16:  # few pairs: every face against every chord of its cell
        f, x = _chords_below(layer, ch, arr, faces, np.arange(len(fcell)), first, L)
        add_ones(out, f, ch.k[x], unique=layer.nq == 1)
        return out
    roots = (faces.first < arr.half.n_border).nonzero()[0]  # on the border: placed by the border order
    first = np.searchsorted(ch.cell, fcell[roots], side="left")
    L = np.searchsorted(ch.cell, fcell[roots], side="right") - first
    # one root per cell (its first face) when the rounds are few anyway (under MANY_CHORDS chords in
    # every cell), or when the border faces make too many pairs to hold
    if int(L.max()) < MANY_CHORDS or int(L.sum()) > blocks.BLOCK // 4:
        _, roots = np.unique(fcell, return_index=True)
        first = np.searchsorted(ch.cell, fcell[roots], side="left")
        L = np.searchsorted(ch.cell, fcell[roots], side="right") - first
    f, x = _chords_below(layer, ch, arr, faces, roots, first, L)
    add_ones(out, roots[f], ch.k[x], unique=layer.nq == 1)
    _spread_pieces(out, roots, ch, arr.half, faces.of_half)
    return out


def _spread_pieces(out: np.ndarray, roots: np.ndarray, ch, half, of_half: np.ndarray) -> None:
    """Fill in the pieces of every face from those of ``roots``, across the chord segments.

    Breadth first over the faces: a face reached across segment ``s`` of chord ``x`` copies
    the row of the face it is reached from and moves neuron ``k[x]`` one piece up (when it
    lies on the upper side) or down.  The number of rounds is the largest number of chords
    between a face and the nearest root of its cell.
    """
    nB = half.n_border
    nS = (len(half.nxt) - nB) // 2
    seg = np.arange(nS)
    lower, upper = of_half[nB + seg], of_half[nB + nS + seg]  # forward: upper side on the right
    k = ch.k[half.chord[nB + seg]]
    src = np.concatenate([lower, upper])
    by_src = np.argsort(src, kind="stable")
    src = src[by_src]
    dst = np.concatenate([upper, lower])[by_src]
    step = np.concatenate([np.ones(nS, np.int8), -np.ones(nS, np.int8)])[by_src]
    neuron = np.concatenate([k, k])[by_src]
    rounds, complete = breadth_first_arcs(src, dst, len(out), roots)
    for arcs in rounds:
        reached = dst[arcs]
        out[reached] = out[src[arcs]]
        out[reached, neuron[arcs]] += step[arcs]
    if not complete:  # the faces of a cell are connected across its chords
        raise Undecided("the arrangement of a layer's lines is inconsistent in floats")
    _check_roots(out, roots, src, dst, neuron, step)


def _check_roots(out: np.ndarray, roots: np.ndarray, src: np.ndarray, dst: np.ndarray, neuron: np.ndarray,
                 step: np.ndarray) -> None:
    """Check every chord segment into a root face: the roots were placed apart, by the border order.

    A root's row must be its neighbour's across the segment, one piece up or down for the
    segment's neuron, as for any other face; a disagreement means the arrangement is
    inconsistent, and the layer goes to the exact engine (``Undecided``) instead of giving
    a wrong pattern.  Costs a row per segment into a root (the border faces' inner edges).
    """
    is_root = np.zeros(len(out), dtype=bool)
    is_root[roots] = True
    a = is_root[dst].nonzero()[0]
    if not len(a):
        return
    want = out[src[a]]  # a copy (fancy indexing)
    want[np.arange(len(a)), neuron[a]] += step[a]
    if not np.array_equal(want, out[dst[a]]):
        raise Undecided("faces placed apart by a cell's border order disagree across a chord")


def _chords_below(layer, ch, arr, faces, fi: np.ndarray, first: np.ndarray, L: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Return the pairs ``(i, chord)`` where face ``fi[i]`` lies above a chord of its cell.

    ``first[i]`` and ``L[i]`` give the chords of face ``fi[i]``'s cell.  The face's first
    vertex ``v`` (the start of its least half-edge ``h0``) is on the chords of ``h0`` and of
    its last half-edge ``ht``: the face's side of those is known.  For the other chords:
    when ``h0`` is on the border (``h0 < nB``, its border position), ``v`` is above chord
    ``x`` exactly when it lies on the border arc from ``x``'s entry ``b_in[x]``
    counter-clockwise to its exit ``b_out[x]`` (the line rises at the entry); otherwise a
    certified sign test at ``v`` decides.
    """
    half, pts = arr.half, arr.points
    h0, ht, v = faces.first[fi], faces.last[fi], faces.vertex[fi]
    nB = half.n_border
    f = np.arange(len(fi)).repeat(L)
    x = ranges(first, L)
    above = np.zeros(len(x), dtype=bool)
    known = np.zeros(len(x), dtype=bool)
    for h in (h0, ht):
        hit = half.chord[h][f] == x
        known |= hit
        above |= hit & half.upper[h][f]
    # faces starting on the border: the arcs of the border order decide, exactly
    p = h0[f]
    on_border = ~known & (p < nB)
    xb = x[on_border]
    a, b, pb = arr.border.of_end[ch.entry[xb]], arr.border.of_end[ch.exit[xb]], p[on_border]
    above[on_border] = np.where(a < b, (a < pb) & (pb < b), (pb > a) | (pb < b))
    t = (~known & ~on_border).nonzero()[0]
    if len(t):
        xt, vt = x[t], v[f[t]]
        kt, qt = ch.k[xt], ch.q[xt]
        val, err = values(layer.M[:, kt, ch.cell[xt]], layer.E[kt].T, pts.x[vt], pts.y[vt], pts.err[vt],
                          layer.beta[qt], layer.ebeta[qt])
        if not np.all(np.abs(val) > err):
            raise Undecided(f"a vertex is too close to a line of hidden layer {layer.index} "
                            "to decide its side")
        above[t] = val > 0
    return f[above], x[above]

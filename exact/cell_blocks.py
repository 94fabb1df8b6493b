"""Exact polygons and output maps of a block of certified cells, each shared line and vertex made once.

The certified engine (:mod:`exact._certified`) gives each cell's edges as labels: a side
of the window, or the line where neuron ``g`` of hidden layer ``l`` meets breakpoint
``q``.  That line is the neuron's exact pre-activation on the cell's prefix at ``l``
(:mod:`exact.certified_regions` explains why), so every edge of the block with the same
prefix, neuron and breakpoint lies on one line: the block's distinct lines are made once
from the residues of :class:`exact.residue_maps.BlockMaps` (one Chinese remaindering for
all of them), each vertex is made once per pair of lines that meet there, and the cells
share the tuples.  The output maps come from the same residues, one row per cell.

Examples
--------
>>> import torch
>>> from fractions import Fraction
>>> from exact.loading import as_exact_net
>>> from exact.certified_regions import certified_window_regions
>>> from exact.polygon_areas import polygon_area
>>> _ = torch.manual_seed(0)
>>> net = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Linear(4, 4),
...                           torch.nn.ReLU(), torch.nn.Linear(4, 1))
>>> src = certified_window_regions(as_exact_net(net), Fraction(3)).certified
>>> polys, outs = block_polygons(src, np.arange(len(src)))
>>> sum(polygon_area(v) for v, _ in polys) == 36, len(outs) == len(src)
(True, True)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .predicates import Line, Point, canonical_line, intersect_lines
from .residue_maps import crt_ints

__all__ = ["block_polygons"]


def block_polygons(src: Any, cells: np.ndarray) -> tuple[list[tuple[tuple[Point, ...], tuple[Line, ...]]],
                                                        list[tuple[tuple[int, int, int], ...]]]:
    """Return the exact polygons and output rows of some certified cells.

    Parameters
    ----------
    src : CertifiedCells
        :class:`exact.certified_regions.CertifiedCells`: the table, the window sides of
        its window edges, the prefix maps and their :class:`~exact.residue_maps.BlockMaps`.
    cells : ndarray of int64
        The cells, sorted.

    Returns
    -------
    polys : list of (tuple of Point, tuple of Line)
        Per cell: the counter-clockwise vertices in lowest terms, and the edge lines in
        lowest terms with the cell on their positive side (``edges[k]`` from ``verts[k]``).
    outs : list of tuple of (int, int, int)
        Per cell, per output: the integer row ``(a, b, c)`` over ``maps.scales[-1]``.

    Raises
    ------
    RuntimeError
        If two consecutive edge lines of a cell do not cross (ruled out by the certified
        construction).
    """
    t = src.table
    hidden, out = src.blocks.block(cells)
    nv = t.nv[cells]
    first = np.cumsum(nv) - nv  # each cell's first vertex in the block
    v = np.arange(int(nv.sum())) - np.repeat(first, nv) + np.repeat(t.start[cells], nv)
    owner = np.repeat(cells, nv)
    lab = t.label[v]
    inner = np.flatnonzero(lab >= 0)
    lines, line_of, flip = _block_lines(src, hidden, owner[inner], lab[inner])
    n_lines = len(lines)
    # every edge as an index into ``table``: 2 i (line i), 2 i + 1 (its reverse), then the window sides
    table = [e for line in lines for e in (line, (-line[0], -line[1], -line[2]))] + list(src.window_edges)
    eid = 2 * n_lines + src.side[v]
    eid[inner] = 2 * line_of + flip
    uid = np.where(eid < 2 * n_lines, eid // 2, eid - n_lines)  # the unoriented line
    prev = np.arange(len(v)) - 1
    prev[first] = first + nv - 1
    unoriented = lines + list(src.window_edges)
    U = len(unoriented)
    pairs, vid = np.unique(np.minimum(uid[prev], uid) * U + np.maximum(uid[prev], uid), return_inverse=True)
    pts, shared = [], {}  # one tuple per point: pairs of lines with the same crossing share it
    for i, j in zip((pairs // U).tolist(), (pairs % U).tolist()):
        p = intersect_lines(unoriented[i], unoriented[j])
        if p is None:
            raise RuntimeError("two consecutive edges of a cell do not cross (a defect of the certified "
                               "engine)")
        pts.append(shared.setdefault(p, p))
    verts = [pts[i] for i in vid.reshape(-1).tolist()]
    edges = [table[i] for i in eid.tolist()]
    bounds = np.concatenate([first, [len(v)]]).tolist()
    polys = [(tuple(verts[lo:hi]), tuple(edges[lo:hi])) for lo, hi in zip(bounds[:-1], bounds[1:])]
    n, C, m, _ = out.shape
    vals = crt_ints(out.reshape(n, C * m * 3), src.blocks.primes)
    rows = list(zip(vals[0::3], vals[1::3], vals[2::3]))
    outs = [tuple(rows[k : k + m]) for k in range(0, C * m, m)]
    return polys, outs


def _block_lines(src: Any, hidden: list, owner: np.ndarray, lab: np.ndarray
                 ) -> tuple[list[Line], np.ndarray, np.ndarray]:
    """Return the block's distinct breakpoint lines, the one each labelled edge lies on, its orientation.

    Returns ``(lines, line_of, flip)``: ``lines[i]`` oriented with positive side where the
    neuron is past the breakpoint; edge ``e`` lies on ``lines[line_of[e]]``, reversed
    where ``flip[e]`` (the cell's piece is at or below the breakpoint).
    """
    t, pm = src.table, src.maps
    g, q = t.label_neuron[lab].astype(np.int64), t.label_piece[lab].astype(np.int64)
    layer = src.layer_of[g]
    pos = np.empty(len(g), dtype=np.int64)
    for l in np.unique(layer).tolist():
        m = layer == l
        pos[m] = np.searchsorted(hidden[l][0], pm.prefix_ids(l)[0][owner[m]])
    N, nq = t.patterns.shape[1], int(q.max(initial=0)) + 1
    keys, line_of = np.unique((pos * N + g) * nq + q, return_inverse=True)
    kq, kg, kpos = keys % nq, keys // nq % N, keys // nq // N
    klayer = src.layer_of[kg]
    n = len(src.blocks.primes)
    res = np.empty((n, len(keys), 3), dtype=np.int64)
    for l in np.unique(klayer).tolist():
        m = klayer == l
        res[:, m, :] = hidden[l][1][:, kpos[m], :, kg[m] - int(pm.offs[l])].transpose(1, 0, 2)  # (keys, n, 3)
    vals = crt_ints(res.reshape(n, -1), src.blocks.primes)
    lines = []
    for k, (l, qq) in enumerate(zip(klayer.tolist(), kq.tolist())):
        bn, bd = pm.bps[l][qq]
        s = pm.scales[l]
        lines.append(canonical_line(bd * vals[3 * k], bd * vals[3 * k + 1], bd * vals[3 * k + 2] - bn * s))
    flip = (t.patterns[owner, g] <= q).astype(np.int64)
    return lines, line_of.reshape(-1), flip

"""Splitting a layer in rounds of single cuts: the fallback of the one-pass arrangement.

When a test of :func:`~exact._certified.chord_faces.arrange_cells` is too close to call,
:meth:`~exact._certified.subdivision.Subdivision.split_layer` splits the layer in rounds
instead, whose tests differ: in round ``r`` every cell is cut by the ``r``-th line of its
plan; the line's value at each vertex must be farther from zero than its bound, and the
new vertices are the Cramer intersections of the cut line with the edges' lines.
"""

from __future__ import annotations

import numpy as np

from .._progress import progress_bar
from ..errors import Undecided
from .blocks import chunks, piece_hashes, ranges
from .bounds import intersect, values
from .chords import certain_sides

__all__ = ["split_in_rounds"]


def split_in_rounds(st, layer, piece: np.ndarray, rows_c: np.ndarray, cols_c: np.ndarray, check,
                    progress: bool) -> tuple[np.ndarray, ...]:
    """Split every cell of ``st`` by the lines of ``layer``, one line per cell and round.

    Parameters
    ----------
    st : exact._certified.subdivision.Subdivision
        The subdivision, after the layers before ``layer``.
    layer : exact._certified.subdivision._Layer
        The layer, as from ``st.begin_layer()``.
    piece : ndarray of int8, shape (C, k)
        The pieces known from the bounding boxes (updated in place).
    rows_c, cols_c : ndarray of int64
        The open pairs (cell, line) from ``begin_layer``.
    check : callable
        ``check(n_cells, n_vertices)`` after every round; raises to stop (the job's limits).
    progress : bool
        A tqdm bar over the rounds.

    Returns
    -------
    rec, nv, anc, piece, hashes : ndarray
        The new cells as :meth:`~exact._certified.subdivision.Subdivision.split_layer`
        takes them: vertex records contiguous per cell, vertex counts, parents, pieces and
        pattern hashes.

    Raises
    ------
    Undecided
        When a test is too close to call in floats.
    """
    _, k, C = st.M.shape
    nq = layer.nq
    verts = _Buffer({"v": st.rec})
    hashes = st.hashes + piece_hashes(piece, layer.keys)
    cells = _Buffer({"start": st.start, "nv": st.nv, "anc": np.arange(C), "piece": piece,
                     "hash": hashes, "plan": np.arange(C)})
    todo = _settle_and_plan(rows_c, cols_c, cells, verts, layer)
    # rounds: in round r every cell is split by the r-th line of its plan, so the number of
    # numpy passes is the largest line count of a cell, not k * nq; every 8 rounds the
    # pieces get plans of their own (a piece is cut by fewer lines than its parent)
    bar = progress_bar(progress, k * nq, f"layer {layer.index}/{st.net.n_hidden_layers}",
                       unit="line")
    r = 0
    while r < todo.shape[1]:
        bar.update(1)
        if r == 8 and todo.shape[1] > 12:
            left = todo[cells.view("plan"), r:]
            rows_c, at = np.nonzero(left >= 0)
            todo, r = _settle_and_plan(rows_c, left[rows_c, at], cells, verts, layer), 0
            continue
        jq = todo[cells.view("plan"), r]
        r += 1
        sel = (jq >= 0).nonzero()[0]
        if len(sel) == 0:
            continue
        _split_step(verts, cells, sel, jq[sel], layer)
        check(cells.n, verts.n)
    bar.close()
    # compact: cells in order, their vertices contiguous
    start_b, nv_b = cells.view("start"), cells.view("nv")
    return (verts.view("v")[ranges(start_b, nv_b)], nv_b.copy(), cells.view("anc"),
            cells.view("piece").copy(), cells.view("hash").copy())


class _Buffer:
    """Growable columns of equal length (amortised doubling)."""

    def __init__(self, cols: dict[str, np.ndarray]):
        self.n = len(next(iter(cols.values())))
        cap = max(16, 2 * self.n)
        self.cols = {}
        for k, v in cols.items():
            a = np.empty((cap,) + v.shape[1:], dtype=v.dtype)
            a[: self.n] = v
            self.cols[k] = a

    def __getitem__(self, k: str) -> np.ndarray:
        return self.cols[k]

    def append(self, new: dict[str, np.ndarray]) -> int:
        """Append rows; returns the index of the first new row."""
        m = len(next(iter(new.values())))
        if self.n + m > len(next(iter(self.cols.values()))):
            cap = 2 * (self.n + m)
            for k, a in self.cols.items():
                b = np.empty((cap,) + a.shape[1:], dtype=a.dtype)
                b[: self.n] = a[: self.n]
                self.cols[k] = b
        for k, v in new.items():
            self.cols[k][self.n : self.n + m] = v
        first = self.n
        self.n += m
        return first

    def view(self, k: str) -> np.ndarray:
        return self.cols[k][: self.n]


def _settle(rows, cols, mcol, start, nv, rec, layer) -> np.ndarray:
    """Settle pairs of cells and lines by the vertices.

    For pairs (cell ``rows[i]``, line ``cols[i]``): +1 / -1 if every vertex of the cell is
    certainly above / below the line, 0 if it may cut the cell (or a test is undecided).

    ``mcol[cell]`` is the cell's column in ``layer.M``.  Boxes let through about twice as many
    lines as really cut a cell, and the largest count sets the number of split rounds.
    """
    nq = layer.nq
    out = np.zeros(len(rows), dtype=np.int8)
    for p0, p1 in chunks(nv[rows]):  # (pair, vertex) arrays, a chunk at a time
        r, c = rows[p0:p1], cols[p0:p1]
        j, q = c // nq, c % nq
        n = nv[r]
        idx = ranges(start[r], n)
        jv, qv = j.repeat(n), q.repeat(n)
        f, fe = values(layer.M[:, jv, mcol[r].repeat(n)], layer.E[jv].T, rec[idx, 0], rec[idx, 1],
                       rec[idx, 2], layer.beta[qv], layer.ebeta[qv])
        code = (f > fe).astype(np.int8) - (f < -fe).astype(np.int8)
        offs = n.cumsum() - n
        lo, hi = np.minimum.reduceat(code, offs), np.maximum.reduceat(code, offs)
        out[p0:p1] = np.where(lo == hi, lo, 0)
    return out


def _plan(rows, cols, C: int) -> np.ndarray:
    """Plan the lines still to apply to each of ``C`` cells, one column per round (-1: none).

    ``rows`` must be sorted (as ``np.nonzero`` gives them).
    """
    counts = np.bincount(rows, minlength=C)
    todo = np.full((C, max(int(counts.max()) if len(rows) else 0, 1)), -1, dtype=np.int64)
    todo[rows, np.arange(len(rows)) - (counts.cumsum() - counts).repeat(counts)] = cols
    return todo


def _settle_and_plan(rows, cols, cells: _Buffer, verts: _Buffer, layer) -> np.ndarray:
    """Drop the pairs whose line certainly misses the cell, and plan the rest.

    The piece is raised where the cell is above the line; ``cells`` get ``plan = their
    index``.
    """
    code = _settle(rows, cols, cells["anc"], cells["start"], cells["nv"], verts["v"], layer)
    up = code > 0
    ju = cols[up] // layer.nq
    np.add.at(cells["piece"], (rows[up], ju), 1)
    np.add.at(cells["hash"], rows[up], layer.keys[ju])
    keep = code == 0
    cells["plan"][: cells.n] = np.arange(cells.n)
    return _plan(rows[keep], cols[keep], cells.n)


def _split_step(verts: _Buffer, cells: _Buffer, sel: np.ndarray, jq: np.ndarray, layer):
    """Split each selected cell by one line: neuron ``jq // nq`` at breakpoint ``jq % nq``.

    Cells entirely above the breakpoint get that neuron's piece raised (and its hash key
    added); a cut cell keeps its slot as the part above and gets a new slot for the part
    below.
    """
    nq = layer.nq
    j, q = jq // nq, jq % nq
    n = cells["nv"][sel]
    offs = n.cumsum() - n
    rec = verts["v"][ranges(cells["start"][sel], n)]  # (G, 7)
    G = len(rec)
    anc = cells["anc"][sel]
    jv, qv = j.repeat(n), q.repeat(n)
    _, _, pos, neg = certain_sides(layer, jv, qv, anc.repeat(n), rec)
    npos = np.add.reduceat(pos, offs, dtype=np.int64)
    allpos = npos == n
    up, jup = sel[allpos], j[allpos]
    cells["piece"][up, jup] += 1
    cells["hash"][up] += layer.keys[jup]
    mcells = ((npos > 0) & ~allpos).nonzero()[0]
    m = len(mcells)
    if m == 0:
        return
    succ = np.arange(1, G + 1)  # each vertex's successor within its cell (cyclic)
    succ[offs + n - 1] = offs
    C_ = (neg & pos[succ]).nonzero()[0]  # last negative vertex before the positive run
    A_ = (pos & neg[succ]).nonzero()[0]  # last positive vertex before the negative run
    if len(C_) != m or len(A_) != m:  # impossible for convex cells
        raise Undecided("a cut cell is not convex in floats")
    D_ = succ[C_]
    # the cut line in each cut cell: a x + b y + (c - beta) = 0
    jm, qm = j[mcells], q[mcells]
    cut = layer.M[:, jm, anc[mcells]].T.copy()
    cut[:, 2] -= layer.beta[qm]
    label = layer.lab0 + jq[mcells]
    cut_e = layer.etab[label + 1]
    AC = np.concatenate([A_, C_])
    edge = rec[AC, 4:7]
    edge_e = layer.etab[rec[AC, 3].astype(np.int64) + 1]
    px, py, pe = intersect(np.concatenate([cut, cut]), np.concatenate([cut_e, cut_e]), edge, edge_e)
    # P1 (on edge A -> B) and P2 (on edge C -> D), each with the edge line its child needs
    new = np.empty((4 * m, 7))
    new[:, 0] = np.concatenate([px[:m], px[m:], px[m:], px[:m]])
    new[:, 1] = np.concatenate([py[:m], py[m:], py[m:], py[:m]])
    new[:, 2] = np.concatenate([pe[:m], pe[m:], pe[m:], pe[:m]])
    new[:m, 3], new[:m, 4:] = label, cut  # P1 in the upper part: the cut edge follows
    new[m : 2 * m, 3:] = rec[C_, 3:]  # P2 in the upper part: the rest of edge C -> D follows
    new[2 * m : 3 * m, 3], new[2 * m : 3 * m, 4:] = label, cut  # P2 in the lower part
    new[3 * m :, 3:] = rec[A_, 3:]  # P1 in the lower part: the rest of edge A -> B follows
    pool = np.concatenate([rec, new])
    nm, npm = n[mcells], npos[mcells]
    # both parts of each cut cell, back to back: the npos positive vertices (rotated to start
    # at the first one), P1 (the cut edge follows), P2; then the other vertices, P2, P1
    size = nm + 4
    out_off = size.cumsum() - size
    cellv = np.arange(m).repeat(size)
    t = np.arange(int(size.sum())) - out_off[cellv]
    src = offs[mcells][cellv] + (t + (D_ - offs[mcells])[cellv] - 2 * (t > npm[cellv])) % nm[cellv]
    ar = np.arange(m)
    src[out_off + npm] = G + ar
    src[out_off + npm + 1] = G + m + ar
    src[out_off + nm + 2] = G + 2 * m + ar
    src[out_off + nm + 3] = G + 3 * m + ar
    v0 = verts.append({"v": pool[src]})
    pos_len, neg_len = npm + 2, nm - npm + 2
    parents = sel[mcells]
    cells.append({"start": v0 + out_off + pos_len, "nv": neg_len,
                  "anc": cells["anc"][parents], "piece": cells["piece"][parents],
                  "hash": cells["hash"][parents], "plan": cells["plan"][parents]})
    cells["hash"][parents] += layer.keys[jm]
    cells["start"][parents] = v0 + out_off
    cells["nv"][parents] = pos_len
    cells["piece"][parents, jm] += 1

"""Output-sensitive exact arrangement of lines in a square: the fast path for one hidden layer.

Instead of splitting polygons by every line, the crossings on each line are sorted along
it (numpy float filter with rigorous error bounds; clusters whose error intervals
overlap, and points whose side of the window is uncertain, are settled in exact integer
arithmetic), consecutive crossings become edges, and faces are traced with the classic
"next half-edge = clockwise neighbour of the twin" rule, using one exact angular order
of all line directions.  Cost: O(n^2 log n) float work plus O(F) exact work for F faces.

Examples
--------
>>> from fractions import Fraction
>>> arr = build_arrangement([(1, 0, 0), (0, 1, 0), (1, 1, -1)], Fraction(2))
>>> len(arr.faces)
7
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ._fp import U
from .line_count import float_crossings, norm_floats, tie_clusters
from .predicates import (
    Line,
    Point,
    intersect_lines,
    line_meets_open_box,
    point_in_box,
    position_along,
    unoriented_key,
)

__all__ = ["Arrangement", "build_arrangement"]


@dataclass
class Arrangement:
    """Faces of a line arrangement inside a closed square.

    Attributes
    ----------
    lines : list of Line
        Neuron lines (indices ``0..n-1``) then the four window lines.
    faces : list of (verts, edges, line_ids)
        Counter-clockwise exact vertices, edge lines oriented with the face on the + side,
        and the index (into ``lines``) of each edge's line.
    adjacency : list of (face_a, face_b, p, q, line_id)
        Faces sharing the edge ``p``-``q`` on line ``line_id``.
    """

    lines: list
    n_neuron_lines: int
    faces: list
    adjacency: list


def _direction_order(lines: Sequence[Line]) -> dict[tuple[int, int], int]:
    """Exact angular rank of the directions ``(-b, a)`` (sign +1) and ``(b, -a)`` (sign -1)."""
    dirs = []
    for i, (a, b, _) in enumerate(lines):
        dirs.append(((-b, a), i, 1))
        dirs.append(((b, -a), i, -1))

    def half(v):
        x, y = v
        return 0 if (y > 0 or (y == 0 and x > 0)) else 1

    def cmp(p, q):
        hp, hq = half(p[0]), half(q[0])
        if hp != hq:
            return hp - hq
        cr = p[0][0] * q[0][1] - p[0][1] * q[0][0]
        return -1 if cr > 0 else (1 if cr < 0 else 0)

    dirs.sort(key=functools.cmp_to_key(cmp))
    return {(i, s): r for r, (_, i, s) in enumerate(dirs)}


def _line_vertices(i: int, L: list, F: np.ndarray, n: int, half: Fraction, win: np.ndarray,
                   vert: np.ndarray) -> list[tuple[int, ...]]:
    """Distinct crossings on line ``i`` inside the closed square, sorted along it.

    Each crossing is the sorted tuple of all line indices through it.  ``win`` marks the
    window lines, ``vert`` the vertical ones among them (x = ±B).
    """
    A, B, C = F[:, 0], F[:, 1], F[:, 2]
    Bf = float(half)
    lb, hb = Bf * (1 - 4 * U), Bf * (1 + 4 * U)
    undecided, valid, x, y, ex, ey = float_crossings(i, A, B, C)
    finite = np.isfinite(x) & np.isfinite(y) & np.isfinite(ex) & np.isfinite(ey)
    exact_js = set(int(j) for j in undecided) | set(int(j) for j in np.nonzero(valid & ~finite)[0])
    valid &= finite
    # which coordinates are free: a crossing with a vertical window line has x = ±B exactly
    i_vert = bool(vert[i])
    i_horz = bool(win[i]) and not i_vert
    test_x = ~((win & vert) | i_vert)
    test_y = ~((win & ~vert) | i_horz)
    ax, ay = np.abs(x), np.abs(y)
    sure_in = valid & (~test_x | (ax + ex <= lb)) & (~test_y | (ay + ey <= lb))
    sure_out = valid & ((test_x & (ax - ex > hb)) | (test_y & (ay - ey > hb)))
    unsure = valid & ~sure_in & ~sure_out
    exact_js |= set(int(j) for j in np.nonzero(unsure)[0])
    keep = sure_in
    li = L[i]
    js = list(np.nonzero(keep)[0])
    xs, ys, exs, eys = list(x[keep]), list(y[keep]), list(ex[keep]), list(ey[keep])
    exact_points: dict[int, Point] = {}
    for j in exact_js:
        p = intersect_lines(li, L[j])
        if p is None or not point_in_box(p, half, closed=True):
            continue
        exact_points[j] = p
        px, py = p[0] / p[2], p[1] / p[2]
        js.append(j)
        xs.append(px)
        ys.append(py)
        exs.append(4 * U * abs(px) + 1e-300)
        eys.append(4 * U * abs(py) + 1e-300)
    if not js:
        return []
    js_a = np.array(js, dtype=np.int64)
    xa, ya, exa, eya = np.array(xs), np.array(ys), np.array(exs), np.array(eys)
    js_s, starts = tie_clusters(A[i], B[i], xa, ya, exa, eya, js_a)
    bounds = list(np.nonzero(starts)[0]) + [js_s.size]
    out: list[tuple[int, ...]] = []
    for s, e in zip(bounds[:-1], bounds[1:]):
        if e - s == 1:
            j = int(js_s[s])
            out.append((i, j) if i < j else (j, i))
            continue
        groups: dict[Point, list[int]] = {}
        for j in js_s[s:e]:
            j = int(j)
            p = exact_points.get(j) or intersect_lines(li, L[j])
            groups.setdefault(p, []).append(j)
        for p in sorted(groups, key=lambda q: position_along(li, q)):
            out.append(tuple(sorted(groups[p] + [i])))
    return out


def build_arrangement(neuron_lines: Sequence[Line], half: Fraction, progress: bool = False) -> Arrangement:
    """Faces of the distinct neuron lines inside the closed square ``[-half, half]^2``.

    Parameters
    ----------
    neuron_lines : sequence of Line
        Distinct unoriented lines (as :func:`~exact.predicates.unoriented_key` gives).
    half : Fraction
        Half-width of the square.

    Returns
    -------
    Arrangement
    """
    hn, hd = half.numerator, half.denominator
    inner = [unoriented_key(l) for l in dict.fromkeys(neuron_lines)]
    inner = [l for l in dict.fromkeys(inner) if line_meets_open_box(l, half)]
    n = len(inner)
    window = [unoriented_key(l) for l in ((hd, 0, -hn), (hd, 0, hn), (0, hd, -hn), (0, hd, hn))]
    L = inner + window
    N = len(L)
    F = norm_floats(L)
    rank = _direction_order(L)
    win = np.zeros(N, dtype=bool)
    win[n:] = True
    vert = win & np.array([ln[1] == 0 for ln in L])  # window lines x = ±B
    # half-edges: pairs (2e forward, 2e+1 backward)
    origin_parts: list[np.ndarray] = []
    line_parts: list[np.ndarray] = []
    rank_parts: list[np.ndarray] = []
    key_id: dict[tuple[int, int], int] = {}
    vert_lines: list[tuple[int, int]] = []
    it = range(N)
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(it, desc="crossings", unit="line", delay=1.0, leave=False)
    for i in it:
        ids = []
        for g in _line_vertices(i, L, F, n, half, win, vert):
            k = (g[0], g[1])
            v = key_id.get(k)
            if v is None:
                v = key_id[k] = len(vert_lines)
                vert_lines.append(k)
            ids.append(v)
        k = len(ids) - 1
        if k <= 0:
            continue
        ida = np.array(ids, dtype=np.int64)
        o = np.empty(2 * k, dtype=np.int64)
        o[0::2], o[1::2] = ida[:-1], ida[1:]
        origin_parts.append(o)
        line_parts.append(np.full(2 * k, i, dtype=np.int64))
        rank_parts.append(np.tile(np.array([rank[(i, 1)], rank[(i, -1)]], dtype=np.int64), k))
    origin_a = np.concatenate(origin_parts)
    hline_a = np.concatenate(line_parts)
    rank_a = np.concatenate(rank_parts)
    H = origin_a.size
    twin = np.arange(H) ^ 1
    dest_a = origin_a[twin]
    nv = len(vert_lines)
    order = np.lexsort((rank_a, origin_a))
    pos = np.empty(H, dtype=np.int64)
    pos[order] = np.arange(H)
    start = np.searchsorted(origin_a[order], np.arange(nv))
    count = np.bincount(origin_a, minlength=nv)
    v = dest_a
    nxt = order[start[v] + (pos[twin] - start[v] - 1) % count[v]]
    coords = [intersect_lines(L[a], L[b]) for a, b in vert_lines]
    # oriented edge lines, face on the + side: forward half-edges have the face on the line's - side
    oriented = [[(-a, -b, -c) for a, b, c in L], list(L)]
    nxt_l = nxt.tolist()
    org_l = origin_a.tolist()
    hline = hline_a.tolist()
    face_of = [-1] * H
    # the outer face: a half-edge on a window line with the outside on its left
    h = int(np.nonzero(hline_a >= n)[0][0])
    c = L[hline[h]][2]
    if not ((c > 0) if h % 2 == 0 else (c < 0)):  # the box lies on the side of sign(c)
        h ^= 1
    h0 = h
    while True:
        face_of[h] = -2
        h = nxt_l[h]
        if h == h0:
            break
    faces = []
    for h0 in range(H):
        if face_of[h0] != -1:
            continue
        fid = len(faces)
        vs, es, ls_ = [], [], []
        h = h0
        while True:
            face_of[h] = fid
            vs.append(coords[org_l[h]])
            li = hline[h]
            es.append(oriented[h & 1][li])
            ls_.append(li)
            h = nxt_l[h]
            if h == h0:
                break
        faces.append((tuple(vs), tuple(es), tuple(ls_)))
    adjacency = []
    for h in range(0, H, 2):
        fa, fb = face_of[h], face_of[h + 1]
        if fa >= 0 and fb >= 0:
            adjacency.append((fa, fb, coords[org_l[h]], coords[org_l[h + 1]], hline[h]))
    del face_of
    return Arrangement(L, n, faces, adjacency)

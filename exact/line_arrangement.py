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

from ._float_range import FAR, float_bounds, to_float
from ._fp import U
from .crossing_filter import float_crossings, norm_floats, tie_clusters
from .errors import Undecided
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
    n_neuron_lines : int
        ``n``, the number of neuron lines.
    faces : list of (verts, edges, line_ids)
        Counter-clockwise exact vertices, edge lines oriented with the face on the + side,
        and the index (into ``lines``) of each edge's line.
    adjacency : list of (face_a, face_b, p, q, line_id)
        Faces sharing the edge ``p``-``q`` on line ``line_id``.

    Examples
    --------
    >>> arr = build_arrangement([(1, 0, 0)], Fraction(1))        # x = 0 halves the square
    >>> arr.lines[arr.n_neuron_lines:] == [(1, 0, -1), (1, 0, 1), (0, 1, -1), (0, 1, 1)]
    True
    >>> [len(verts) for verts, _, _ in arr.faces], arr.adjacency[0][4]
    ([4, 4], 0)
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


def _line_vertices(i: int, L: list, F: np.ndarray, half: Fraction, win: np.ndarray,
                   vert: np.ndarray) -> list[tuple[int, ...]]:
    """Distinct crossings on line ``i`` inside the closed square, sorted along it.

    Each crossing is the sorted tuple of all line indices through it.  ``win`` marks the
    window lines, ``vert`` the vertical ones among them (x = ±B).
    """
    A, B, C = F[:, 0], F[:, 1], F[:, 2]
    lo, hi = float_bounds(half)  # lo <= half <= hi at any magnitude; the margins cover the sums
    lb, hb = lo * (1 - 4 * U), hi * (1 + 4 * U)
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
        try:
            px, py = to_float(p[0], p[2]), to_float(p[1], p[2])
        except Undecided:  # beyond the float range
            return _exact_line_vertices(i, L, half)
        js.append(j)
        xs.append(px)
        ys.append(py)
        exs.append(4 * U * abs(px) + 1e-300)
        eys.append(4 * U * abs(py) + 1e-300)
    if not js:
        return []
    js_a = np.array(js, dtype=np.int64)
    xa, ya, exa, eya = np.array(xs), np.array(ys), np.array(exs), np.array(eys)
    if not (np.abs(np.concatenate([xa, ya, exa, eya])) < FAR).all():
        return _exact_line_vertices(i, L, half)
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


def _exact_line_vertices(i: int, L: list, half: Fraction) -> list[tuple[int, ...]]:
    """:func:`_line_vertices` in exact arithmetic only, for crossings beyond the float range."""
    groups: dict[Point, list[int]] = {}
    for j in range(len(L)):
        p = intersect_lines(L[i], L[j]) if j != i else None
        if p is not None and point_in_box(p, half, closed=True):
            groups.setdefault(p, []).append(j)
    return [tuple(sorted(groups[p] + [i])) for p in sorted(groups, key=lambda q: position_along(L[i], q))]


def build_arrangement(neuron_lines: Sequence[Line], half: Fraction, progress: bool = False) -> Arrangement:
    """Trace the faces of the distinct neuron lines inside the closed square ``[-half, half]^2``.

    Parameters
    ----------
    neuron_lines : sequence of Line
        Integer lines ``(a, b, c)``; duplicates (also negated or scaled) count once, and
        lines that miss the open square are dropped.
    half : Fraction
        Half-width of the square, positive.
    progress : bool
        Show a tqdm progress bar (after one second) while the crossings are sorted.

    Returns
    -------
    Arrangement
        The lines (neuron lines, then the four window lines), the faces with their
        exact vertices and oriented edges, and the pairs of faces sharing an edge.

    Notes
    -----
    The crossings on each line are sorted along it by a float filter with rigorous
    error bounds [2]_ (ties and points near the window settled in exact integer
    arithmetic, after [3]_); consecutive crossings bound the edges, stored as pairs of
    twin half-edges.  Faces are traced as in a doubly-connected edge list [1]_: the
    half-edge after ``h`` is the clockwise neighbour, around ``h``'s destination, of
    ``h``'s twin, in one exact angular order of all line directions.  Cost
    ``O(n^2 log n)`` float work for ``n`` lines plus ``O(F)`` exact work for ``F`` faces.

    References
    ----------
    .. [1] M. de Berg, O. Cheong, M. van Kreveld and M. Overmars, *Computational
       Geometry: Algorithms and Applications*, 3rd ed., Springer, 2008, ch. 2
       (doubly-connected edge list).
    .. [2] N. J. Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed.,
       SIAM, 2002, §2.2 and §3.1.
    .. [3] J. R. Shewchuk, "Adaptive precision floating-point arithmetic and fast robust
       geometric predicates", *Discrete Comput. Geom.* 18 (1997), 305-363.

    Examples
    --------
    >>> arr = build_arrangement([(1, 0, 0), (0, 1, 0), (0, 2, 0)], Fraction(1))
    >>> arr.n_neuron_lines, len(arr.faces), len(arr.adjacency)   # y = 0 and 2y = 0 are one line
    (2, 4, 4)
    >>> arr.faces[0][0]                                          # exact vertices (X, Y, D)
    ((0, -1, 1), (0, 0, 1), (-1, 0, 1), (-1, -1, 1))
    """
    lines, n = _arrangement_lines(neuron_lines, half)
    origin, on_line, vert_lines = _half_edges(lines, n, half, progress)
    nxt = _next_half_edges(origin, on_line, lines, len(vert_lines))
    coords = [intersect_lines(lines[a], lines[b]) for a, b in vert_lines]
    org_l, hline = origin.tolist(), on_line.tolist()
    face_of = [-1] * origin.size
    for h in _cycle(nxt, _outer_half_edge(hline, lines, n)):
        face_of[h] = -2
    faces = _trace_faces(nxt, org_l, hline, coords, lines, face_of)
    return Arrangement(lines, n, faces, _shared_edges(face_of, org_l, hline, coords))


def _arrangement_lines(neuron_lines: Sequence[Line], half: Fraction) -> tuple[list[Line], int]:
    """List the distinct neuron lines meeting the open square, then the four window lines."""
    hn, hd = half.numerator, half.denominator
    inner = [unoriented_key(l) for l in dict.fromkeys(neuron_lines)]
    inner = [l for l in dict.fromkeys(inner) if line_meets_open_box(l, half)]
    window = [unoriented_key(l) for l in ((hd, 0, -hn), (hd, 0, hn), (0, hd, -hn), (0, hd, hn))]
    return inner + window, len(inner)


def _half_edges(L: list[Line], n: int, half: Fraction, progress: bool
                ) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int]]]:
    """Cut every line at its crossings into edges, each a pair of twin half-edges.

    Half-edge ``2e`` runs forward along its line (direction ``(-b, a)``), ``2e + 1``
    backward.  Returns each half-edge's origin vertex and line, and each vertex as the
    two smallest indices of the lines through it.
    """
    N = len(L)
    F = norm_floats(L)
    win = np.zeros(N, dtype=bool)
    win[n:] = True
    vert = win & np.array([ln[1] == 0 for ln in L])  # window lines x = ±B
    origin_parts: list[np.ndarray] = []
    line_parts: list[np.ndarray] = []
    key_id: dict[tuple[int, int], int] = {}
    vert_lines: list[tuple[int, int]] = []
    it = range(N)
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(it, desc="crossings", unit="line", delay=1.0, leave=False)
    for i in it:
        ids = []
        for g in _line_vertices(i, L, F, half, win, vert):
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
    return np.concatenate(origin_parts), np.concatenate(line_parts), vert_lines


def _next_half_edges(origin: np.ndarray, on_line: np.ndarray, L: list[Line], nv: int) -> list[int]:
    """Link each half-edge to the next one around its face.

    The next half-edge after ``h`` leaves ``h``'s destination as the clockwise
    neighbour of ``h``'s twin in the exact angular order of directions.
    """
    rank = _direction_order(L)
    fwd_bwd = np.array([[rank[(i, 1)], rank[(i, -1)]] for i in range(len(L))], dtype=np.int64)
    H = origin.size
    rank_a = fwd_bwd[on_line, np.arange(H) & 1]
    twin = np.arange(H) ^ 1
    dest = origin[twin]
    order = np.lexsort((rank_a, origin))
    pos = np.empty(H, dtype=np.int64)
    pos[order] = np.arange(H)
    start = np.searchsorted(origin[order], np.arange(nv))
    count = np.bincount(origin, minlength=nv)
    v = dest
    return order[start[v] + (pos[twin] - start[v] - 1) % count[v]].tolist()


def _outer_half_edge(hline: list[int], L: list[Line], n: int) -> int:
    """Find a half-edge of the outer face: on a window line, with the outside on its left."""
    h = next(k for k, i in enumerate(hline) if i >= n)
    c = L[hline[h]][2]
    if not ((c > 0) if h % 2 == 0 else (c < 0)):  # the box lies on the side of sign(c)
        h ^= 1
    return h


def _cycle(nxt: list[int], h0: int) -> list[int]:
    """List the half-edges of the face of ``h0``, following ``nxt`` from ``h0`` back to it."""
    out = [h0]
    h = nxt[h0]
    while h != h0:
        out.append(h)
        h = nxt[h]
    return out


def _trace_faces(nxt: list[int], org_l: list[int], hline: list[int], coords: list[Point],
                 L: list[Line], face_of: list[int]) -> list[tuple]:
    """Trace every face not yet marked in ``face_of``, and mark its half-edges with its index.

    Each face is ``(verts, edges, line_ids)``, counter-clockwise, its edge lines oriented
    with the face on their positive side.
    """
    # forward half-edges have the face on the line's - side
    oriented = [[(-a, -b, -c) for a, b, c in L], list(L)]
    faces = []
    for h0 in range(len(nxt)):
        if face_of[h0] != -1:
            continue
        cycle = _cycle(nxt, h0)
        for h in cycle:
            face_of[h] = len(faces)
        faces.append((tuple(coords[org_l[h]] for h in cycle),
                      tuple(oriented[h & 1][hline[h]] for h in cycle),
                      tuple(hline[h] for h in cycle)))
    return faces


def _shared_edges(face_of: list[int], org_l: list[int], hline: list[int], coords: list[Point]) -> list[tuple]:
    """List the inner faces on both sides of each edge: ``(face_a, face_b, p, q, line_id)``."""
    adjacency = []
    for h in range(0, len(face_of), 2):
        fa, fb = face_of[h], face_of[h + 1]
        if fa >= 0 and fb >= 0:
            adjacency.append((fa, fb, coords[org_l[h]], coords[org_l[h + 1]], hline[h]))
    return adjacency

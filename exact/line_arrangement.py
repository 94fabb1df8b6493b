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
from .face_tables import LineFaces
from .predicates import (
    Line,
    Point,
    intersect_lines,
    line_meets_open_box,
    point_in_box,
    position_along,
    unoriented_key,
)

__all__ = ["Arrangement", "build_arrangement", "line_faces"]


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
                   vert: np.ndarray) -> np.ndarray:
    """Distinct crossings on line ``i`` inside the closed square, sorted along it.

    Returns an ``(k, 2)`` array: the two smallest indices of all the lines through each
    crossing.  ``win`` marks the window lines, ``vert`` the vertical ones among them
    (x = ±B).
    """
    A, B, C = F[:, 0], F[:, 1], F[:, 2]
    lo, hi = float_bounds(half)  # lo <= half <= hi at any magnitude; the margins cover the sums
    lb, hb = lo * (1 - 4 * U), hi * (1 + 4 * U)
    undecided, valid, x, y, ex, ey = float_crossings(i, A, B, C)
    finite = np.isfinite(x) & np.isfinite(y) & np.isfinite(ex) & np.isfinite(ey)
    exact_js = set(undecided.tolist()) | set(np.flatnonzero(valid & ~finite).tolist())
    valid &= finite
    # which coordinates are free: a crossing with a vertical window line has x = ±B exactly
    i_vert = bool(vert[i])
    i_horz = bool(win[i]) and not i_vert
    test_x = ~((win & vert) | i_vert)
    test_y = ~((win & ~vert) | i_horz)
    ax, ay = np.abs(x), np.abs(y)
    sure_in = valid & (~test_x | (ax + ex <= lb)) & (~test_y | (ay + ey <= lb))
    sure_out = valid & ((test_x & (ax - ex > hb)) | (test_y & (ay - ey > hb)))
    exact_js |= set(np.flatnonzero(valid & ~sure_in & ~sure_out).tolist())
    js_a = np.flatnonzero(sure_in)
    xa, ya, exa, eya = x[sure_in], y[sure_in], ex[sure_in], ey[sure_in]
    exact_points: dict[int, Point] = {}
    if exact_js:
        extra = []
        for j in sorted(exact_js):
            p = intersect_lines(L[i], L[j])
            if p is None or not point_in_box(p, half, closed=True):
                continue
            exact_points[j] = p
            try:
                px, py = to_float(p[0], p[2]), to_float(p[1], p[2])
            except Undecided:  # beyond the float range
                return _exact_line_vertices(i, L, half)
            extra.append((j, px, py, 4 * U * abs(px) + 1e-300, 4 * U * abs(py) + 1e-300))
        if extra:
            js_e, xe, ye, exe, eye = (np.array(col) for col in zip(*extra))
            js_a, xa, ya = np.append(js_a, js_e).astype(np.int64), np.append(xa, xe), np.append(ya, ye)
            exa, eya = np.append(exa, exe), np.append(eya, eye)
    if not js_a.size:
        return np.zeros((0, 2), dtype=np.int64)
    if not (np.abs(np.concatenate([xa, ya, exa, eya])) < FAR).all():
        return _exact_line_vertices(i, L, half)
    js_s, starts = tie_clusters(A[i], B[i], xa, ya, exa, eya, js_a)
    if starts.all():  # no two crossings might coincide: each is line i and one other
        return np.stack([np.minimum(js_s, i), np.maximum(js_s, i)], axis=1)
    return _settle_clusters(i, L, js_s, starts, exact_points)


def _settle_clusters(i: int, L: list, js_s: np.ndarray, starts: np.ndarray,
                     exact_points: dict[int, Point]) -> np.ndarray:
    """Split the runs of crossings that might coincide into exact points, sorted along line ``i``."""
    li = L[i]
    bounds = np.flatnonzero(starts).tolist() + [js_s.size]
    out: list[tuple[int, int]] = []
    for s, e in zip(bounds[:-1], bounds[1:]):
        if e - s == 1:
            j = int(js_s[s])
            out.append((i, j) if i < j else (j, i))
            continue
        groups: dict[Point, list[int]] = {}
        for j in js_s[s:e].tolist():
            p = exact_points.get(j) or intersect_lines(li, L[j])
            groups.setdefault(p, []).append(j)
        for p in sorted(groups, key=lambda q: position_along(li, q)):
            g = sorted(groups[p] + [i])
            out.append((g[0], g[1]))
    return np.array(out, dtype=np.int64).reshape(-1, 2)


def _exact_line_vertices(i: int, L: list, half: Fraction) -> np.ndarray:
    """:func:`_line_vertices` in exact arithmetic only, for crossings beyond the float range."""
    groups: dict[Point, list[int]] = {}
    for j in range(len(L)):
        p = intersect_lines(L[i], L[j]) if j != i else None
        if p is not None and point_in_box(p, half, closed=True):
            groups.setdefault(p, []).append(j)
    out = [sorted(groups[p] + [i])[:2] for p in sorted(groups, key=lambda q: position_along(L[i], q))]
    return np.array(out, dtype=np.int64).reshape(-1, 2)


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
    lf = line_faces(neuron_lines, half, progress)
    coords = lf.all_vertices()
    fa, fb, p, q, li = (a.tolist() for a in lf.shared_edges())
    adjacency = [(a, b, coords[u], coords[v], i) for a, b, u, v, i in zip(fa, fb, p, q, li)]
    return Arrangement(lf.lines, lf.n_neuron_lines, lf.faces(), adjacency)


def line_faces(neuron_lines: Sequence[Line], half: Fraction, progress: bool = False) -> LineFaces:
    """Trace the faces of the distinct neuron lines inside the closed square, as arrays.

    The same faces, in the same order, as :func:`build_arrangement`, kept as index
    arrays (:class:`exact.face_tables.LineFaces`); exact vertices are made when asked for.

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
    LineFaces

    Notes
    -----
    As :func:`build_arrangement`, without a Python step per half-edge: the half-edges
    around each vertex are sorted by one ``lexsort`` on (vertex, exact angular rank), and
    the faces are the cycles of the resulting ``next`` permutation
    (:func:`exact.face_tables.face_cycles`).

    Examples
    --------
    >>> lf = line_faces([(1, 0, 0), (0, 1, 0)], Fraction(1))
    >>> lf.n_faces, lf.line_ids(0)
    (4, (0, 1, 3, 5))
    """
    lines, n = _arrangement_lines(neuron_lines, half)
    origin, on_line, vert_lines = _half_edges(lines, n, half, progress)
    nxt = _next_half_edges(origin, on_line, lines, len(vert_lines))
    return LineFaces(lines, n, vert_lines, origin, on_line, nxt, _outer_half_edge(on_line, lines, n))


def _arrangement_lines(neuron_lines: Sequence[Line], half: Fraction) -> tuple[list[Line], int]:
    """List the distinct neuron lines meeting the open square, then the four window lines."""
    hn, hd = half.numerator, half.denominator
    inner = [unoriented_key(l) for l in dict.fromkeys(neuron_lines)]
    inner = [l for l in dict.fromkeys(inner) if line_meets_open_box(l, half)]
    window = [unoriented_key(l) for l in ((hd, 0, -hn), (hd, 0, hn), (0, hd, -hn), (0, hd, hn))]
    return inner + window, len(inner)


def _half_edges(L: list[Line], n: int, half: Fraction, progress: bool
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut every line at its crossings into edges, each a pair of twin half-edges.

    Half-edge ``2e`` runs forward along its line (direction ``(-b, a)``), ``2e + 1``
    backward.  Returns each half-edge's origin vertex and line, and each vertex as the
    two smallest indices of the lines through it (an ``(V, 2)`` array).
    """
    N = len(L)
    F = norm_floats(L)
    win = np.zeros(N, dtype=bool)
    win[n:] = True
    vert = win & np.array([ln[1] == 0 for ln in L])  # window lines x = ±B
    key_parts: list[np.ndarray] = []
    line_parts: list[np.ndarray] = []
    it = range(N)
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(it, desc="crossings", unit="line", delay=1.0, leave=False)
    for i in it:
        g = _line_vertices(i, L, F, half, win, vert)
        if len(g) < 2:
            continue
        key = g[:, 0] * N + g[:, 1]
        o = np.empty(2 * len(g) - 2, dtype=np.int64)
        o[0::2], o[1::2] = key[:-1], key[1:]
        key_parts.append(o)
        line_parts.append(np.full(o.size, i, dtype=np.int32))
    if not key_parts:
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32), np.zeros((0, 2), dtype=np.int32)
    keys, origin = np.unique(np.concatenate(key_parts), return_inverse=True)
    vert_lines = np.stack([keys // N, keys % N], axis=1).astype(np.int32)
    return origin.astype(np.int32).ravel(), np.concatenate(line_parts), vert_lines


def _next_half_edges(origin: np.ndarray, on_line: np.ndarray, L: list[Line], nv: int) -> np.ndarray:
    """Link each half-edge to the next one around its face.

    The next half-edge after ``h`` leaves ``h``'s destination as the clockwise
    neighbour of ``h``'s twin in the exact angular order of directions.
    """
    rank = _direction_order(L)
    fwd_bwd = np.array([[rank[(i, 1)], rank[(i, -1)]] for i in range(len(L))], dtype=np.int64)
    H = origin.size
    # sort by (vertex, angle): no two half-edges out of a vertex share a direction
    order = np.argsort(origin * np.int64(2 * len(L)) + fwd_bwd[on_line, np.arange(H) & 1])
    pos = np.empty(H, dtype=np.int64)
    pos[order] = np.arange(H)
    count = np.bincount(origin, minlength=nv)
    start = np.cumsum(count) - count
    twin = np.arange(H) ^ 1
    v = origin[twin]
    return order[start[v] + (pos[twin] - start[v] - 1) % count[v]]


def _outer_half_edge(on_line: np.ndarray, L: list[Line], n: int) -> int:
    """Find a half-edge of the outer face: on a window line, with the outside on its left."""
    h = int(np.flatnonzero(on_line >= n)[0])
    c = L[int(on_line[h])][2]
    if not ((c > 0) if h % 2 == 0 else (c < 0)):  # the box lies on the side of sign(c)
        h ^= 1
    return h

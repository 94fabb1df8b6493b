"""Face counts of line arrangements, exactly, in a square window or the whole plane.

For ``L`` distinct lines meeting the open window and distinct crossing points ``p``
strictly inside it, each on ``m_p`` lines, the number of faces is

    1 + L + sum_p (m_p - 1).

:func:`arrangement_faces` evaluates it output-sensitively: the crossings on each line are
sorted along the line with a numpy float filter carrying a rigorous error bound, and
only crossings whose error intervals overlap (possible coincidences) or whose side of the
window is not certain are settled with exact integer arithmetic.  Floats filter; they
never decide a tie.  :func:`arrangement_faces_reference` is the plain exact O(n^2)
version (a dictionary of exact points), kept as an independent check.

References
----------
.. [1] T. Zaslavsky, "Facing up to arrangements: face-count formulas for partitions of
   space by hyperplanes", *Mem. Amer. Math. Soc.* 1 (1975), no. 154.
.. [2] N. J. Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., SIAM,
   2002, §2.2 and §3.1.
.. [3] J. R. Shewchuk, "Adaptive precision floating-point arithmetic and fast robust
   geometric predicates", *Discrete Comput. Geom.* 18 (1997), 305-363.

Examples
--------
>>> lines = [(1, 0, 0), (0, 1, 0), (1, 1, 0)]          # x=0, y=0, x+y=0: concurrent
>>> arrangement_faces(lines), arrangement_faces_reference(lines)
(6, 6)
>>> arrangement_faces([(1, 0, 0), (0, 1, 0), (1, 1, -1)])  # general position
7
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np

from ._float_range import float_bounds
from ._fp import TINY_CROSSING, U
from .network import ExactNet
from .predicates import (
    Line,
    canonical_line,
    foot_point,
    intersect_lines,
    line_meets_open_box,
    point_in_box,
    unoriented_key,
)

__all__ = [
    "arrangement_faces",
    "arrangement_faces_reference",
    "arrangement_terms",
    "first_layer_lines",
    "shallow_line_jumps",
    "max_regions_formula",
    "norm_floats",
    "float_crossings",
    "tie_clusters",
    "initial_box",
    "round_up_pow2",
]


def max_regions_formula(n: int) -> int:
    """Return the maximum number of regions of n lines in the plane, n(n+1)/2 + 1.

    Parameters
    ----------
    n : int
        Number of lines, non-negative.

    Returns
    -------
    int
        The number of faces of ``n`` lines in general position.

    Raises
    ------
    ValueError
        If ``n`` is not a non-negative integer (bools refused).

    Notes
    -----
    The case of simple arrangements of Zaslavsky's face count ``1 + L + sum_p (m_p - 1)``
    (every ``m_p = 2``, all ``n(n-1)/2`` pairs crossing) [1]_.

    Examples
    --------
    >>> [max_regions_formula(n) for n in range(5)]
    [1, 2, 4, 7, 11]
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n!r}")
    return n * (n + 1) // 2 + 1


def first_layer_lines(net: ExactNet) -> list[Line]:
    """List the distinct (unoriented, canonical) breakpoint lines of the first hidden layer.

    Neurons with zero weight vector give no line; duplicated or scaled neurons give one.

    Parameters
    ----------
    net : ExactNet
        A network with 2-D input and at least one hidden layer (else the list is empty).

    Returns
    -------
    list of Line
        In the order of the first neuron giving each line.

    Examples
    --------
    >>> net = ExactNet.from_layers([([[1, 0], [2, 0], [0, 0]], [1, 2, 5]), ([[1, 1, 1]], [0])])
    >>> first_layer_lines(net)
    [(1, 0, 1)]
    """
    return list(shallow_line_jumps(net, with_jumps=False))


def shallow_line_jumps(net: ExactNet, with_jumps: bool = True) -> dict[Line, tuple]:
    """Map the first-layer breakpoint lines to the output gradient jump across each.

    For a network with one hidden layer the output's gradient jumps across a line by
    ``sum v_j * (slope change) * |c_j| * (a, b)`` over the neurons ``j`` whose breakpoint
    line is ``c_j * (a x + b y + c) = 0``; the line separates linear regions exactly when
    that sum is nonzero.

    Parameters
    ----------
    net : ExactNet
        A network with 2-D input.
    with_jumps : bool
        Compute the jumps (needs a second layer of weights).

    Returns
    -------
    dict
        ``{line: jump}`` with ``jump`` a tuple (one Fraction per output) when
        ``with_jumps`` (only meaningful for one hidden layer), else ``()``.  Empty for a
        network without hidden layers.

    Examples
    --------
    >>> absx = ExactNet.from_layers([([[1, 0], [-1, 0]], [0, 0]), ([[1, 1]], [0])])  # |x|
    >>> shallow_line_jumps(absx)
    {(1, 0, 0): (Fraction(2, 1),)}
    >>> x = ExactNet.from_layers([([[1, 0], [-1, 0]], [0, 0]), ([[1, -1]], [0])])  # relu(x) - relu(-x)
    >>> shallow_line_jumps(x)
    {(1, 0, 0): (Fraction(0, 1),)}
    """
    W, b = net.weights[0], net.biases[0]
    out: dict[Line, list] = {}
    act = net.activations[0] if net.activations else None
    if act is None:
        return {}
    V = net.weights[1] if with_jumps else None
    for j, (row, bj) in enumerate(zip(W, b)):
        w0, w1 = row
        if w0 == 0 and w1 == 0:
            continue
        for q, beta in enumerate(act.breakpoints):
            c = bj - beta
            dens = w0.denominator * w1.denominator * c.denominator
            raw = (int(w0 * dens), int(w1 * dens), int(c * dens))
            key = unoriented_key(canonical_line(*raw))
            jumps = out.setdefault(key, [Fraction(0)] * (len(V) if V is not None else 0))
            if V is not None:
                cj = abs(w0 / key[0]) if key[0] != 0 else abs(w1 / key[1])
                dslope = act.slopes[q + 1] - act.slopes[q]
                for m in range(len(V)):
                    jumps[m] += V[m][j] * dslope * cj
    return {k: tuple(v) for k, v in out.items()}


def arrangement_faces_reference(lines: Sequence[Line], half: Fraction | None = None) -> int:
    """Count the faces of a line arrangement by the formula, with exact points in a dictionary.

    O(n^2) exact intersections; an independent check of :func:`arrangement_faces`.

    Parameters
    ----------
    lines : sequence of Line
        Integer lines ``(a, b, c)``; duplicates (also negated or scaled) count once.
    half : Fraction, optional
        Half-width of the open window; ``None`` for the whole plane.

    Returns
    -------
    int
        ``1 + L + sum_p (m_p - 1)`` over the lines and crossings in the window [1]_.

    Examples
    --------
    >>> arrangement_faces_reference([(1, 0, 0), (1, 0, -1), (0, 1, 0)], Fraction(1, 2))
    4
    """
    n_lines, points = arrangement_terms(lines, half)
    return 1 + n_lines + sum(m - 1 for m in points.values())


def arrangement_terms(lines: Sequence[Line], half: Fraction | None = None) -> tuple[int, dict]:
    """Compute the terms of the face formula: ``L`` and ``{point: m_p}`` for the crossings inside.

    Parameters
    ----------
    lines : sequence of Line
        Integer lines ``(a, b, c)``; duplicates (also negated or scaled) count once.
    half : Fraction, optional
        Half-width of the open window; ``None`` for the whole plane.

    Returns
    -------
    n_lines : int
        ``L``, the distinct lines meeting the window.
    points : dict
        ``{Point: m_p}``: each crossing strictly inside the window and the number of
        lines through it.

    Examples
    --------
    >>> L, pts = arrangement_terms([(1, 0, 0), (0, 1, 0), (1, 1, 0), (1, 0, -1)])
    >>> L, sorted(pts.values())
    (4, [2, 2, 3])
    """
    ls = list(dict.fromkeys(unoriented_key(l) for l in lines))
    if half is not None:
        ls = [l for l in ls if line_meets_open_box(l, half)]
    points: dict = {}
    for i in range(len(ls)):
        for j in range(i + 1, len(ls)):
            p = intersect_lines(ls[i], ls[j])
            if p is None:
                continue
            if half is not None and not point_in_box(p, half):
                continue
            s = points.setdefault(p, set())
            s.add(i)
            s.add(j)
    return len(ls), {p: len(s) for p, s in points.items()}


def norm_floats(ls: Sequence[Line]) -> np.ndarray:
    """Round the lines, each divided by its largest coefficient magnitude, to floats.

    Parameters
    ----------
    ls : sequence of Line
        Integer lines, not all coefficients zero.

    Returns
    -------
    ndarray of float, shape (len(ls), 3)
        Rows ``(a, b, c) / max(|a|, |b|, |c|)``, each entry correctly rounded (``int / int``
        is), so with relative error at most ``u = 2^-53`` [2]_.

    Examples
    --------
    >>> norm_floats([(2, 0, -4), (1, 1, 0)])
    array([[ 0.5,  0. , -1. ],
           [ 1. ,  1. ,  0. ]])
    """
    out = np.empty((len(ls), 3))
    for k, (a, b, c) in enumerate(ls):
        m = max(abs(a), abs(b), abs(c))
        out[k] = (a / m, b / m, c / m)  # int / int is correctly rounded
    return out


def _exact_line_contribution(i: int, ls: Sequence[Line], half: Fraction | None) -> int:
    """Sum ``m_p - 1`` over the distinct points p on line i (inside) where i is the smallest index."""
    groups: dict = {}
    for j in range(len(ls)):
        if j == i:
            continue
        p = intersect_lines(ls[i], ls[j])
        if p is None:
            continue
        if half is not None and not point_in_box(p, half):
            continue
        groups.setdefault(p, []).append(j)
    return sum(len(g) for g in groups.values() if min(g) > i)


def float_crossings(i: int, A: np.ndarray, B: np.ndarray, C: np.ndarray):
    """Cross line ``i`` with every line in floats, with rigorous error bounds.

    Parameters
    ----------
    i : int
        Index of the line.
    A, B, C : ndarray of float, shape (n,)
        The normalised float coefficients (columns of :func:`norm_floats`).

    Returns
    -------
    undecided : ndarray of int
        Lines whose parallelism with line i the float test cannot decide.
    valid : ndarray of bool
        Lines certainly crossing line i (not i itself).
    x, y, ex, ey : ndarray
        Crossing coordinates and bounds on their absolute errors (0 where not valid).

    Notes
    -----
    In the standard model [2]_, each 2x2 determinant ``p1 - p2`` carries the bound
    ``5u(|p1| + |p2|)`` (plus ``TINY_CROSSING`` for underflow); the quotients propagate
    these to first order with a factor ``1 + 1e-6`` of slack.  Lines whose determinant is
    not certainly nonzero are returned as ``undecided`` for exact arithmetic.

    Examples
    --------
    >>> F = norm_floats([(1, 0, 0), (0, 1, 0), (2, 2, -1)])   # x = 0, y = 0, x + y = 1/2
    >>> undecided, valid, x, y, ex, ey = float_crossings(0, F[:, 0], F[:, 1], F[:, 2])
    >>> undecided.tolist(), valid.tolist(), y.tolist()
    ([], [False, True, True], [0.0, 0.0, 0.5])
    >>> bool(ey[2] < 1e-15)
    True
    """
    ai, bi, ci = A[i], B[i], C[i]
    p1, p2 = ai * B, A * bi
    D = p1 - p2
    eD = 5 * U * (np.abs(p1) + np.abs(p2)) + TINY_CROSSING
    q1, q2 = bi * C, B * ci
    X = q1 - q2
    eX = 5 * U * (np.abs(q1) + np.abs(q2)) + TINY_CROSSING
    r1, r2 = ci * A, C * ai
    Y = r1 - r2
    eY = 5 * U * (np.abs(r1) + np.abs(r2)) + TINY_CROSSING
    absD = np.abs(D)
    valid = absD > 2 * eD
    valid[i] = True
    undecided = np.nonzero(~valid)[0]
    valid[i] = False
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        den = np.where(valid, absD - eD, 1.0)
        x = np.where(valid, X / np.where(valid, D, 1.0), 0.0)
        y = np.where(valid, Y / np.where(valid, D, 1.0), 0.0)
        ex = (eX + (np.abs(X) + eX) / den * eD) / den + 2 * U * np.abs(x)
        ey = (eY + (np.abs(Y) + eY) / den * eD) / den + 2 * U * np.abs(y)
    ex = np.where(valid, ex * (1 + 1e-6) + TINY_CROSSING, 0.0)
    ey = np.where(valid, ey * (1 + 1e-6) + TINY_CROSSING, 0.0)
    return undecided, valid, x, y, ex, ey


def tie_clusters(ai: float, bi: float, x, y, ex, ey, js: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort crossings along a line and group those that might coincide.

    Parameters
    ----------
    ai, bi : float
        The line's normalised coefficients ``a, b`` (direction ``(-bi, ai)``).
    x, y, ex, ey : ndarray of float, shape (k,)
        Crossing coordinates and bounds on their absolute errors
        (:func:`float_crossings`).
    js : ndarray of int, shape (k,)
        The index of the other line of each crossing.

    Notes
    -----
    The position along the line's direction ``(-bi, ai)`` is ``t = -bi x + ai y``; each
    crossing's error interval ``[t - e, t + e]`` holds the exact position.  Exactly equal
    crossings have overlapping intervals, so they fall in one connected run of overlapping
    intervals: the runs are the clusters that exact arithmetic must settle.  The bound
    on ``t`` adds the rounding of its two products and sum (standard model [2]_).

    Returns
    -------
    js_sorted : ndarray
        ``js`` ordered by the interval starts.
    starts : ndarray of bool
        True where a new cluster begins.

    Examples
    --------
    >>> import numpy as np
    >>> x, y = np.array([0.0, 0.0, 0.0]), np.array([0.5, 0.5, 2.0])   # on x = 0: t = y
    >>> e = np.full(3, 1e-16)
    >>> js, starts = tie_clusters(1.0, 0.0, x, y, e, e, np.array([3, 4, 5]))
    >>> js.tolist(), starts.tolist()       # lines 3 and 4 might cross x = 0 at one point
    ([3, 4, 5], [True, False, True])
    """
    t = -bi * x + ai * y
    et = ((abs(bi) * ex + abs(ai) * ey + 2 * U * (np.abs(bi * x) + np.abs(ai * y))) * (1 + 1e-6)
          + TINY_CROSSING)
    lo, hi = t - et, t + et
    order = np.argsort(lo, kind="stable")
    lo_s, hi_s = lo[order], hi[order]
    starts = np.ones(order.size, dtype=bool)
    starts[1:] = lo_s[1:] > np.maximum.accumulate(hi_s)[:-1]
    return js[order], starts


def arrangement_faces(lines: Sequence[Line], half: Fraction | None = None) -> int:
    """Count the faces of a line arrangement exactly, in ``(-half, half)^2`` or the plane.

    Parameters
    ----------
    lines : sequence of Line
        Integer lines ``(a, b, c)``; duplicates (also negated or scaled) count once.
    half : Fraction, optional
        Half-width of the open window; ``None`` for the whole plane.

    Returns
    -------
    int
        ``1 + L + sum_p (m_p - 1)`` for the ``L`` distinct lines meeting the window and
        the distinct crossings ``p`` inside it, each on ``m_p`` lines (Zaslavsky [1]_).

    Notes
    -----
    O(n^2 log n) numpy work for n lines plus exact work on near-ties only.  Error bounds
    (standard model of float arithmetic [2]_; the filter-then-exact scheme of [3]_):
    coefficients are normalised by their largest magnitude and rounded (relative error
    ``u = 2^-53``); 2x2 determinants carry the bound ``5u(|p1| + |p2|)``; quotients and
    the position along the line propagate these bounds with first-order terms and a
    factor ``1 + 1e-6`` of slack.  Every decision whose bound does not exclude a tie is
    redone in exact integer arithmetic.

    Examples
    --------
    >>> arrangement_faces([(1, 0, 0), (2, 0, 0), (0, 1, 0), (1, 1, 0)])  # x=0 twice, concurrent
    6
    >>> arrangement_faces([(1, 0, 0), (1, 0, -3)], Fraction(2))          # x = 3 misses the window
    2
    """
    ls = list(dict.fromkeys(unoriented_key(l) for l in lines))
    if half is not None:
        ls = [l for l in ls if line_meets_open_box(l, half)]
    n = len(ls)
    if n <= 1:
        return 1 + n
    F = norm_floats(ls)
    return 1 + n + sum(_line_contribution(i, ls, F, half) for i in range(n))


def _line_contribution(i: int, ls: Sequence[Line], F: np.ndarray, half: Fraction | None) -> int:
    """Sum ``m_p - 1`` over the crossings p inside on line i where i is the smallest index.

    Floats filter (:func:`float_crossings`, :func:`tie_clusters`); a near-parallel pair
    that crosses, an overflow, or a crossing near the window's boundary sends the whole
    line to :func:`_exact_line_contribution`.
    """
    A, B, C = F[:, 0], F[:, 1], F[:, 2]
    undecided, valid, x, y, ex, ey = float_crossings(i, A, B, C)
    if undecided.size and any(ls[i][0] * ls[j][1] - ls[j][0] * ls[i][1] != 0 for j in undecided):
        # a near-parallel pair that does cross: settle the whole line exactly
        return _exact_line_contribution(i, ls, half)
    if not (np.isfinite(x).all() and np.isfinite(y).all() and np.isfinite(ex).all()):
        return _exact_line_contribution(i, ls, half)
    if half is not None:
        lo, hi = float_bounds(half)  # lo <= half <= hi at any magnitude; the margins cover the sums
        lb, hb = lo * (1 - 2 * U), hi * (1 + 2 * U)
        inside_sure = valid & (np.abs(x) + ex < lb) & (np.abs(y) + ey < lb)
        outside_sure = valid & ((np.abs(x) - ex > hb) | (np.abs(y) - ey > hb))
        unsure = valid & ~inside_sure & ~outside_sure
        if unsure.any():
            return _exact_line_contribution(i, ls, half)
        keep = inside_sure
    else:
        keep = valid
    js = np.arange(len(ls))[keep]
    if js.size == 0:
        return 0
    js_s, starts = tie_clusters(A[i], B[i], x[keep], y[keep], ex[keep], ey[keep], js)
    return _cluster_contribution(i, ls, js_s, starts)


def _cluster_contribution(i: int, ls: Sequence[Line], js_s: np.ndarray, starts: np.ndarray) -> int:
    """Sum ``m_p - 1`` over the crossings on line i, given as clusters that might coincide.

    A single crossing counts when its other line comes after i; a cluster of several is
    grouped by exact crossing point.
    """
    comp = np.cumsum(starts) - 1
    sizes = np.bincount(comp)
    single = sizes[comp] == 1
    total = int(np.count_nonzero(single & (js_s > i)))
    multi = np.nonzero(~single)[0]
    if multi.size:
        by_comp: dict[int, list[int]] = {}
        for k in multi:
            by_comp.setdefault(int(comp[k]), []).append(int(js_s[k]))
        li = ls[i]
        for members in by_comp.values():
            groups: dict = {}
            for j in members:
                groups.setdefault(intersect_lines(li, ls[j]), []).append(j)
            total += sum(len(g) for g in groups.values() if min(g) > i)
    return total


def initial_box(net: ExactNet) -> Fraction:
    """Find a box half-width showing every vertex of the first layer's arrangement strictly inside.

    Parameters
    ----------
    net : ExactNet
        A network with 2-D input.

    Returns
    -------
    Fraction
        A power of two, at least 1, more than twice every crossing's coordinates and every
        line's foot point (:func:`~exact.predicates.foot_point`).

    Notes
    -----
    Float crossings with rigorous error bounds (:func:`float_crossings`, [2]_) give an
    upper bound on every coordinate (only an upper bound is needed); near-parallel pairs
    are intersected exactly, and on overflow all pairs are.

    Examples
    --------
    >>> net = ExactNet.from_layers([([[1, 0], [0, 1], [1, 1]], [0, 0, -5]), ([[1, 1, 1]], [0])])
    >>> initial_box(net)                 # crossings (5, 0) and (0, 5): 2 * 5 rounded up
    Fraction(16, 1)
    """
    lines = first_layer_lines(net)
    ext = Fraction(1)
    for ln in lines:
        fx, fy = foot_point(ln)
        ext = max(ext, abs(fx), abs(fy))
    if len(lines) > 1:
        F = norm_floats(lines)
        A, B, C = F[:, 0], F[:, 1], F[:, 2]
        bound = 0.0
        for i in range(len(lines)):
            undecided, valid, x, y, ex, ey = float_crossings(i, A, B, C)
            if valid.any():
                bound = max(bound, float(np.max(np.maximum(np.abs(x) + ex, np.abs(y) + ey)[valid])))
            for j in undecided.tolist():
                p = intersect_lines(lines[i], lines[j])
                if p is not None:
                    ext = max(ext, abs(Fraction(p[0], p[2])), abs(Fraction(p[1], p[2])))
        if not np.isfinite(bound):  # overflow: fall back to exact crossings
            for i, l1 in enumerate(lines):
                for l2 in lines[i + 1 :]:
                    p = intersect_lines(l1, l2)
                    if p is not None:
                        ext = max(ext, abs(Fraction(p[0], p[2])), abs(Fraction(p[1], p[2])))
        else:
            ext = max(ext, Fraction(bound) * (1 + Fraction(1, 2**40)))
    return round_up_pow2(2 * ext)


def round_up_pow2(x: Fraction) -> Fraction:
    """Round ``x`` up to a power of two, at least 1.

    Parameters
    ----------
    x : Fraction
        Positive.

    Returns
    -------
    Fraction
        ``2^k`` with ``2^(k-1) < x <= 2^k`` for ``x > 1``, else 1.  Exact at any magnitude:
        the bit lengths of numerator and denominator give ``k`` up to one, and one integer
        comparison settles it.

    Examples
    --------
    >>> round_up_pow2(Fraction(5, 2)), round_up_pow2(Fraction(1, 3)), round_up_pow2(Fraction(4))
    (Fraction(4, 1), Fraction(1, 1), Fraction(4, 1))
    >>> round_up_pow2(1 + Fraction(1, 2**60))     # just above a power of two
    Fraction(2, 1)
    """
    n, d = x.numerator, x.denominator
    if n <= d:
        return Fraction(1)
    k = n.bit_length() - d.bit_length()  # 2^(k-1) < n/d < 2^(k+1)
    return Fraction(1 << (k if n <= d << k else k + 1))

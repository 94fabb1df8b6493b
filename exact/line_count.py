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

from .crossing_filter import earlier_crossings, float_crossings, norm_floats
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
    act = net.activations[0] if net.activations else None
    if act is None:
        return {}
    first = net.integer_layers()[0]  # integers over one scale: no Fraction per weight (float nets)
    s = first.scale
    out: dict[Line, list] = {}
    V = net.integer_layers()[1].Wi if with_jumps else None  # V / s1 are the output weights
    breaks = [(beta.numerator, beta.denominator) for beta in map(Fraction, act.breakpoints)]
    for j, ((w0, w1), bj) in enumerate(zip(first.Wi, first.bi)):
        if w0 == 0 and w1 == 0:
            continue
        for q, (p, d) in enumerate(breaks):  # d * (W x + b - beta) * s: a positive multiple
            key = unoriented_key(canonical_line(d * w0, d * w1, d * bj - p * s))
            jumps = out.setdefault(key, [Fraction(0)] * (len(V) if V is not None else 0))
            if V is not None:
                cj = Fraction(abs(w0), s * abs(key[0])) if key[0] != 0 else Fraction(abs(w1), s * abs(key[1]))
                dslope = act.slopes[q + 1] - act.slopes[q]
                for m in range(len(V)):
                    jumps[m] += V[m][j] * dslope * cj
    if V is None:
        return {k: () for k in out}
    s1 = net.integer_layers()[1].scale
    return {k: tuple(v / s1 for v in jumps) for k, jumps in out.items()}


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


def arrangement_faces(lines: Sequence[Line], half: Fraction | None = None, progress: bool = False) -> int:
    """Count the faces of a line arrangement exactly, in ``(-half, half)^2`` or the plane.

    Parameters
    ----------
    lines : sequence of Line
        Integer lines ``(a, b, c)``; duplicates (also negated or scaled) count once.
    half : Fraction, optional
        Half-width of the open window; ``None`` for the whole plane.
    progress : bool, default False
        A progress bar over the pairs of lines (from 2 000 lines).

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
    return 1 + n + earlier_crossings(ls, norm_floats(ls), half, progress)


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

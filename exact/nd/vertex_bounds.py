"""A priori and exact bounds on the vertices of every activation cell's polyhedron, in any dimension.

A vertex of a pattern's polyhedron (its rows: :func:`~exact.nd.whole_space.pattern_rows`)
solves ``d`` of its rows; Cramer's rule and Hadamard's inequality bound it for every
pattern at once (:func:`vertex_bound`), and a net whose breakpoints are all in its first
layer has the first layer's arrangement vertices as its vertices, found exactly
(:func:`first_layer_vertices`).  :func:`half_past` turns vertices into a power-of-two
cube that holds them strictly (floats guess it, exact integer comparisons decide).

Examples
--------
>>> from exact.network import ExactNet
>>> net = ExactNet.from_layers([([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]], [0, 0, 0, -5]),
...                             ([[1, 1, 1, 1]], [0])])
>>> vertex_bound(net), half_past(first_layer_vertices(net))     # the vertices (5, 0, 0), ...: 5 < 8
(256, Fraction(8, 1))
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from fractions import Fraction

import numpy as np

from ..network import ExactNet
from .breakpoint_planes import breakpoint_rows
from .polytope import unoriented

__all__ = ["BOUND_BITS", "first_layer_vertices", "half_past", "vertex_bound"]


def vertex_bound(net: ExactNet) -> int:
    """Bound every vertex of every activation pattern's polyhedron, a priori: ``|x_i| < bound``.

    Parameters
    ----------
    net : ExactNet
        Any input width ``d``.

    Returns
    -------
    int
        A power of two greater than every coordinate magnitude of every vertex of every
        pattern's polyhedron (1 when no hyperplane depends on ``x``).

    Notes
    -----
    A vertex solves ``d`` of the pattern's rows ``a_k . x + c_k = 0`` with independent
    normals.  The rows made as in :func:`pattern_rows` but without dividing by any common
    factor are integer multiples of the pattern's rows, and their entries are bounded, for
    every pattern at once, by the same recurrence on absolute values (``|W| |A| + |b| t``,
    then ``max |slope| |Z| + max |intercept| s``), exact integers.  Each row's normal
    ``a_k`` is moreover divisible by an integer ``g_k`` known for every pattern at once:
    ``1`` for the input's coordinates, ``gcd_j(|W_ij| g_j)`` for a neuron's
    pre-activation (its normal is ``sum_j W_ij a_j``; biases and intercepts only move the
    constant), times the breakpoint's denominator for its hyperplane, times the gcd of the
    integer slopes for the neuron's output.  By Cramer's rule ``|x_i| = |det A_i| / |det
    A|``; ``det A`` is a nonzero multiple of ``prod_k g_k`` (every term of its expansion
    takes one entry from each row), and by Hadamard's inequality ``|det A_i| <= prod_k
    ||(a_k, c_k)||_2``.  So ``R^d`` bounds every vertex, ``R`` above the largest
    ``||(a_k, c_k)||_2 / g_k``: a layer scaled by a power of two (or by any factor its
    integer weights keep) leaves ``R`` alone where the cells do not move (ReLU and leaky
    ReLU are positively homogeneous).  ``O(L k^2 d)`` integer products for ``L`` layers of
    width ``k``.

    Examples
    --------
    >>> net = ExactNet.from_layers([([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]], [0, 0, 0, -5]),
    ...                             ([[1, 1, 1, 1]], [0])])
    >>> vertex_bound(net)          # rows up to (1, 1, 1, -5): norm below 6, 6^3 = 216 < 256
    256
    """
    d = net.input_dim
    A = np.array([[int(k == i) for k in range(d + 1)] for i in range(d)], dtype=object)
    div = [1] * d      # div[k] divides the normal part of row k of A for every pattern (0: always zero)
    t, ratio = 1, 0
    for layer, act in zip(net.integer_layers()[:-1], net.activations):
        Z = np.abs(np.array(layer.Wi, dtype=object)).dot(A)
        Z[:, -1] += np.array([abs(b) * t for b in layer.bi], dtype=object)
        s = layer.scale * t
        g = [math.gcd(*(w * v for w, v in zip(row, div))) for row in layer.Wi]
        for b in act.breakpoints:
            for z, gz in zip(Z.tolist(), g):
                if gz:   # else the neuron's normal is zero on every pattern: no hyperplane
                    sq = sum((b.denominator * v) ** 2 for v in z[:-1]) + (b.denominator * z[-1]
                                                                          + abs(b.numerator) * s) ** 2
                    ratio = max(ratio, -(-(math.isqrt(sq) + 1) // (b.denominator * gz)))
        mu, sl, ic = act.integer_form
        A = Z * max(abs(v) for v in sl)
        A[:, -1] += max(abs(v) for v in ic) * s
        div = [gz * math.gcd(*sl) for gz in g]
        t = mu * s
    if not ratio:
        return 1
    return 1 << (ratio ** d).bit_length()


BOUND_BITS = 600
"""A :func:`vertex_bound` of at most this many bits is the box (the float filter holds its numbers)."""


def first_layer_vertices(net: ExactNet) -> list[tuple[int, int]] | None:
    """List the vertices of the first layer's arrangement as ``(max_i |X_i|, D)``, exactly (Cramer's rule).

    Parameters
    ----------
    net : ExactNet
        A net whose later hidden layers have no breakpoint (one hidden layer, say): the
        vertices of its cells' polyhedra are then exactly these.

    Returns
    -------
    list of (int, int) or None
        For each ``d`` of the first layer's hyperplanes with independent normals, the
        largest ``|det A_i|`` and ``|det A|`` (the point is ``x_i = -det A_i / det A``),
        duplicates kept.  None for a net with breakpoints after its first layer, or when
        ``C(n, d) d!`` (the Leibniz terms) exceeds 500 000.

    Notes
    -----
    Exact integer determinants (Leibniz's formula on object arrays, vectorised over the
    ``C(n, d)`` choices): ``C(n, d) (d + 1) d! d`` integer products.

    Examples
    --------
    >>> net = ExactNet.from_layers([([[2, 0], [0, 1], [1, 1]], [-1, 0, -3]), ([[1, 1, 1]], [0])])
    >>> sorted(first_layer_vertices(net))            # (1/2, 0), (1/2, 5/2), (3, 0)
    [(1, 2), (3, 1), (5, 2)]
    """
    if any(act.breakpoints for act in net.activations[1:]):
        return None
    layer, act, d = net.integer_layers()[0], net.activations[0], net.input_dim
    rows = {unoriented(r) for z, b in zip(layer.Wi, layer.bi)
            for r in breakpoint_rows(z, b, layer.scale, act)}
    if len(rows) < d or math.comb(len(rows), d) * math.factorial(d) > _CRAMER_TERMS:
        return None if len(rows) >= d else []
    R = np.array(sorted(rows), dtype=object)
    idx = np.array(list(itertools.combinations(range(len(R)), d)))
    A, c = R[idx][:, :, :-1], R[idx][:, :, -1]
    D = _dets(A)
    keep = D != 0
    A, c, D = A[keep], c[keep], D[keep]
    m = np.zeros(len(D), dtype=object)
    for i in range(d):
        Ai = A.copy()
        Ai[:, :, i] = -c
        m = np.maximum(m, np.abs(_dets(Ai)))
    return list(zip(m.tolist(), np.abs(D).tolist()))


_CRAMER_TERMS = 500_000
"""The first layer's vertices are made exactly (for the hugging cube) when ``C(n, d) d!`` is at most this."""


def _dets(M: np.ndarray) -> np.ndarray:
    """Return the determinants of a stack of small square integer matrices (Leibniz's formula: exact)."""
    n = M.shape[-1]
    out = np.zeros(M.shape[0], dtype=object)
    for perm in itertools.permutations(range(n)):
        inversions = sum(a > b for a, b in itertools.combinations(perm, 2))
        term = M[:, 0, perm[0]]
        for i in range(1, n):
            term = term * M[:, i, perm[i]]
        out = out - term if inversions % 2 else out + term
    return out


def half_past(far: Sequence[tuple[int, int]]) -> Fraction:
    """Find a power of two ``h`` with every point given strictly inside ``(-h, h)^d``, about 5 % out.

    Parameters
    ----------
    far : sequence of (int, int)
        Points as ``(max_i |X_i|, D)``, ``D > 0`` (:func:`first_layer_vertices`, or the
        vertices of cells off their box's sides).

    Returns
    -------
    Fraction
        The smallest power of two ``h >= 21/20 e + 1`` for a float estimate ``e`` of the
        largest ``|X_i| / D``, doubled until ``|X_i| < h D`` for every point (exact
        integer comparisons decide; the float only guesses).

    Examples
    --------
    >>> half_past([(5, 1), (3, 2)]), half_past([(2**64 - 1, 2**62)]), half_past([])
    (Fraction(8, 1), Fraction(8, 1), Fraction(1, 1))
    """
    try:
        half = 1 << math.ceil(math.log2(max((m / D for m, D in far), default=0.0) * 1.05 + 1))
    except OverflowError:   # beyond the floats: a power of two past m / D from bit lengths
        half = 1 << max(m.bit_length() - D.bit_length() + 1 for m, D in far)
    while any(m >= half * D for m, D in far):
        half *= 2
    return Fraction(half)

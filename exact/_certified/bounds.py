"""Float maps of a network with rigorous error bounds: the arithmetic of the fast paths.

Everything here is float64 numpy, and every result comes with a bound on its distance
from the exact value (on the exact binary value of the weights).  A test built on these
numbers decides only when the value is farther from zero than its bound; otherwise it
raises :class:`~exact.errors.Undecided` and the exact engine takes over.

Bounds used (``u = 2**-53``, ``gamma_k = k u / (1 - k u)``); each final bound is also
multiplied by ``1 + 16 u`` to cover the rounding of the bound itself:

* **maps, a priori**: the first layer's map is ``[W | b]`` (bound: the weights'
  rounding, zero for float weights).  With ``|M*| <= A`` and ``|M - M*| <= E`` valid in
  every cell, ``H = slope * M + intercept`` obeys ``|H*| <= AH = smax A + cmax e3`` and
  ``|H - H*| <= EH = smax E + (ds + 2u smax) A + u AH + dc e3``, and the next layer's
  ``M' = W H + b`` obeys ``E' = |W| EH + |W - W*| AH + gamma_k |W| (AH + EH) + u |M'| +
  |b - b*|``.  One bound per layer and neuron, whatever the cell: no per-cell error
  arithmetic.
* **values**: a row ``m`` (bound ``e_m``) at a point ``(x, y)`` (bound ``e``) minus a
  breakpoint ``beta``: ``e_m . (|x|+e, |y|+e, 1) + (|m_0|+|m_1|) e + 5u (|m_0 x| + |m_1 y|
  + |m_2| + |beta|)``, plus the breakpoint's own rounding.
* **vertices**: the intersection of two lines by Cramer's rule, bounded from the two
  lines' bounds alone (:func:`intersect`), so errors do not build up along a chain of
  cuts.

References
----------
.. [1] N. J. Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., SIAM,
   2002, §2.2 (the standard model ``fl(a op b) = (a op b)(1 + d)``, ``|d| <= u``) and §3.1
   (``gamma_k`` for sums and dot products).

Examples
--------
>>> import numpy as np
>>> L = np.array([[1.0, 0.0, -0.5]]); M = np.array([[0.0, 1.0, -0.25]]); E = np.zeros((1, 3))
>>> x, y, e = intersect(L, E, M, E)
>>> float(x[0]), float(y[0]), bool(e[0] < 1e-15)
(0.5, 0.25, True)
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from fractions import Fraction

import numpy as np

from .._fp import SAFE, TINY, U
from ..errors import Undecided
from . import blocks
from .blocks import even_chunks

__all__ = ["first_map", "intersect", "layer_bounds", "line_errors", "next_map", "quiet_floats", "rounding",
           "values"]


def quiet_floats(f: Callable) -> Callable:
    """Run ``f`` with numpy's floating-point warnings off.

    An overflow or NaN only ever makes a test undecided (comparisons with NaN are false),
    never decides one.

    Parameters
    ----------
    f : callable
        The function to wrap.

    Returns
    -------
    callable
        ``f`` under ``np.errstate(all="ignore")``, with ``f``'s name and docstring.
    """

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        with np.errstate(all="ignore"):
            return f(*args, **kwargs)

    return wrapper


def values(m: np.ndarray, e: np.ndarray, x: np.ndarray, y: np.ndarray, ev: np.ndarray,
           beta: np.ndarray | float, ebeta: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """Evaluate float maps minus a breakpoint at points, with certified error bounds.

    The bound is the one of the module notes (**values**).

    Parameters
    ----------
    m : ndarray, shape (3, n)
        Float maps ``(d/dx, d/dy, offset)``, one column per point.
    e : ndarray, shape (3,) or (3, n)
        Entrywise error bound of ``m``.
    x, y : ndarray, shape (n,)
        Float coordinates of the points.
    ev : ndarray, shape (n,)
        Max-norm error bound of the points.
    beta : ndarray of shape (n,), or float
        The breakpoint subtracted.
    ebeta : ndarray of shape (n,), or float
        Rounding bound of ``beta``.

    Returns
    -------
    f : ndarray, shape (n,)
        Float values ``m_0 x + m_1 y + m_2 - beta``.
    err : ndarray, shape (n,)
        Bounds on ``|f - f*|``, ``f*`` the exact value at the exact point.

    References
    ----------
    .. [1] N. J. Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed.,
       SIAM, 2002, §2.2 and §3.1 (the standard model and ``gamma_k``).
    """
    ax, ay = np.abs(x), np.abs(y)
    t0, t1 = m[0] * x, m[1] * y
    f = t0 + t1 + m[2] - beta
    err = (e[0] * (ax + ev) + e[1] * (ay + ev) + e[2]
           + (np.abs(m[0]) + np.abs(m[1])) * ev
           + 5 * U * (np.abs(t0) + np.abs(t1) + np.abs(m[2]) + abs(beta)) + ebeta)
    return f, err * SAFE + TINY


def intersect(L1: np.ndarray, E1: np.ndarray, L2: np.ndarray, E2: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Intersect pairs of lines by Cramer's rule, with a max-norm error bound.

    With ``D = a1 b2 - a2 b1``, ``N_x = b1 c2 - b2 c1``, ``N_y = c1 a2 - c2 a1`` and error
    bounds ``dD, dN`` (coefficient errors plus ``3u`` of the product magnitudes),
    ``|x - x*| <= (|x| dD + dN_x) / (|D| - dD) + u |x|``; the bound depends only on the two
    lines, not on earlier vertices, so errors do not build up along a chain of cuts.

    Parameters
    ----------
    L1, L2 : ndarray, shape (n, 3)
        Float lines ``a x + b y + c = 0`` as rows ``(a, b, c)``.
    E1, E2 : ndarray, shape (n, 3)
        Entrywise error bounds of ``L1`` and ``L2``.

    Returns
    -------
    x, y : ndarray, shape (n,)
        Float coordinates of the intersection of ``L1[i]`` and ``L2[i]``.
    err : ndarray, shape (n,)
        Bound on the max-norm distance from the exact intersection point.

    Raises
    ------
    Undecided
        If ``|D| <= dD``: the floats cannot certify that the lines are not parallel.

    References
    ----------
    .. [1] N. J. Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed.,
       SIAM, 2002, §2.2 and §3.1 (the error bounds).
    .. [2] G. Cramer, *Introduction à l'analyse des lignes courbes algébriques*, Geneva,
       1750 (Cramer's rule).
    """
    # the three 2x2 determinants p q - r t at once, rows D, N_x, N_y:
    # (a1, b1, c1) * (b2, c2, a2) - (a2, b2, c2) * (b1, c1, a1)
    rot = [1, 2, 0]
    p, ep, q, eq = L1.T, E1.T, L2[:, rot].T, E2[:, rot].T
    r, er, t, et = L2.T, E2.T, L1[:, rot].T, E1[:, rot].T
    pq, rt = p * q, r * t
    val = pq - rt
    err = (ep * np.abs(q) + np.abs(p) * eq + ep * eq + er * np.abs(t) + np.abs(r) * et + er * et
           + 3 * U * (np.abs(pq) + np.abs(rt)))
    (D, Nx, Ny), (dD, dNx, dNy) = val, err
    dD = dD * SAFE + TINY
    dNx, dNy = dNx + TINY, dNy + TINY  # each product's underflow (<= 2^-1075), which the division magnifies
    room = np.abs(D) - dD
    if not np.all(room > 0):
        raise Undecided("two lines are too close to parallel to intersect in floats")
    x, y = Nx / D, Ny / D
    ex = (np.abs(x) * dD + dNx) / room + U * np.abs(x)
    ey = (np.abs(y) * dD + dNy) / room + U * np.abs(y)
    return x, y, np.maximum(ex, ey) * SAFE * SAFE + TINY


def rounding(v: Fraction) -> float:
    """Bound the rounding error of ``float(v)``.

    Parameters
    ----------
    v : Fraction
        An exact value in the float range.

    Returns
    -------
    float
        A bound on ``|float(v) - v|``: twice the rounded exact difference plus the
        smallest subnormal (the difference may underflow), 0 when ``v`` is a float.
    """
    f = float(v)
    if f.as_integer_ratio() == (v.numerator, v.denominator):
        return 0.0
    return 2.0 * float(abs(Fraction(f) - v)) + 5e-324


def layer_bounds(Wf: np.ndarray, bf: np.ndarray, EW: np.ndarray, Eb: np.ndarray, A: np.ndarray,
                 E: np.ndarray, consts: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Bound the next layer's maps a priori, in every cell at once, from this layer's bounds.

    With ``H = slope * M + intercept e3`` (slope, intercept of any piece):
    ``|H*| <= AH = smax A + cmax e3`` and ``|H - H*| <= EH = smax E + (ds + 2u smax) A + u AH + dc e3
    + tiny``; then ``|M'| <= (|W| (AH + EH) + |b|)(1 + gamma)`` and
    ``E' = |W| EH + |W - W*| AH + gamma_k |W| (AH + EH) + u |M'| + |b - b*| + k (1 + smax) tiny``.
    The ``tiny`` terms (:data:`~exact._fp.TINY`, far above the 2^-1075 of one rounding to a
    subnormal) bound underflow, which the relative model leaves out: of ``slope * m``, and of
    the products ``w m`` that :func:`next_map` forms before the slope for one parent.

    Parameters
    ----------
    Wf : ndarray, shape (k', k)
        Float weights of the next layer.
    bf : ndarray, shape (k',)
        Its float biases.
    EW : ndarray, shape (k', k)
        Rounding bounds of ``Wf``.
    Eb : ndarray, shape (k',)
        Rounding bounds of ``bf``.
    A : ndarray, shape (k, 3)
        Bound on the exact maps of this layer: ``A >= |M_exact|``.
    E : ndarray, shape (k, 3)
        Bound on their errors: ``E >= |M - M_exact|``.
    consts : tuple of float
        ``(smax, ds, cmax, dc)`` of the activation, as from
        :func:`exact._certified.float_net.act_floats`.

    Returns
    -------
    A_next : ndarray, shape (k', 3)
        ``A' >= |M'_exact|``.
    E_next : ndarray, shape (k', 3)
        ``E' >= |M' - M'_exact|``.

    References
    ----------
    .. [1] N. J. Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed.,
       SIAM, 2002, §2.2 and §3.1 (the standard model and ``gamma_k``).
    """
    smax, ds, cmax, dc = consts
    k = Wf.shape[1]
    e3 = np.array([0.0, 0.0, 1.0])
    AH = smax * A + cmax * e3
    EH = smax * E + (ds + 2 * U * smax) * A + U * AH + dc * e3 + TINY  # TINY: slope * m's underflow
    g = (k + 1) * U / (1 - (k + 1) * U)
    absW = np.abs(Wf)
    Mabs = (absW @ (AH + EH) + np.abs(bf)[:, None] * e3) * (1 + 2 * g)
    # k (1 + smax) TINY: the products' underflow, each at most 2^-1075, also when next_map forms
    # (w m) s (one parent), where the slope multiplies the underflow of w m
    En = (absW @ EH + EW @ AH + g * (absW @ (AH + EH)) + U * Mabs + Eb[:, None] * e3
          + k * (1 + smax) * TINY)
    En = En * (1 + 4 * (k + 4) * U) + TINY
    return Mabs + En, En


def first_map(Ws: list, bs: list, EW: list, Eb: list, C: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Build the first layer's maps in every cell, with error and magnitude bounds.

    Parameters
    ----------
    Ws, bs : list of ndarray
        Float weights ``(k_l, k_{l-1})`` and biases ``(k_l,)`` of every layer.
    EW, Eb : list of ndarray
        Their rounding bounds, of the same shapes.
    C : int
        Number of cells.

    Returns
    -------
    M : ndarray, shape (3, k, C)
        The maps ``[W | b]`` of the ``k`` first-layer neurons, the same in every cell.
    E : ndarray, shape (k, 3)
        Entrywise error bound of ``M``.
    A : ndarray, shape (k, 3)
        Bound on the exact maps' magnitudes, ``|M| + E``.
    """
    M = np.repeat(np.concatenate([Ws[0], bs[0][:, None]], axis=1).T[:, :, None], C, axis=2)
    E = np.concatenate([EW[0], Eb[0][:, None]], axis=1) * SAFE + TINY
    return M, E, np.abs(M[:, :, 0].T) + E


def line_errors(E: np.ndarray, A: np.ndarray, beta: float, ebeta: float) -> np.ndarray:
    """Bound the error of every neuron's line ``m - beta = 0`` of a layer.

    Parameters
    ----------
    E : ndarray, shape (k, 3)
        Error bounds of the neurons' maps ``m``.
    A : ndarray, shape (k, 3)
        Bounds on the exact maps' magnitudes.
    beta : float
        The breakpoint.
    ebeta : float
        Rounding bound of ``beta``.

    Returns
    -------
    ndarray, shape (k, 3)
        Entrywise error bounds of the float lines ``(a, b, c - beta)`` (``c - beta`` adds
        one rounding).

    Examples
    --------
    >>> line_errors(np.zeros((1, 3)), np.ones((1, 3)), 0.0, 0.0)[0, :2].tolist()
    [0.0, 0.0]
    """
    rows = np.array(E, dtype=np.float64)
    rows[:, 2] += ebeta + U * (A[:, 2] + abs(beta))
    return rows * SAFE

def next_map(Wf: np.ndarray, bf: np.ndarray, M: np.ndarray, anc: np.ndarray, piece: np.ndarray,
             slopes: np.ndarray, inter: np.ndarray) -> np.ndarray:
    """Compute the float maps of the next layer's pre-activations in every cell.

    One coefficient at a time through a work buffer, a chunk of cells at a time
    (:func:`~exact._certified.blocks.chunks`): fresh large arrays cost page faults that
    here took longer than the arithmetic, and ``(k, cells)`` arrays of a wide layer would
    take ``cells x width x 8`` bytes.  The error bounds are those of
    :func:`layer_bounds`, valid in every cell.

    Parameters
    ----------
    Wf : ndarray, shape (k', k)
        Float weights of the next layer.
    bf : ndarray, shape (k',)
        Its float biases.
    M : ndarray, shape (3, k, C0)
        This layer's maps in the cells before the split.
    anc : ndarray of int, shape (C,)
        The cell before the split that each cell lies in (a column of ``M``).
    piece : ndarray of int, shape (C, k)
        This layer's piece of every neuron in each cell.
    slopes, inter : ndarray, shape (nq + 1,)
        Float slopes and intercepts of the activation's pieces.

    Returns
    -------
    ndarray, shape (3, k', C)
        The next layer's float maps ``(d/dx, d/dy, offset)`` in each cell.
    """
    C, k = piece.shape
    Mn = np.empty((3, Wf.shape[0], C))
    with_inter = bool(inter.any())
    # one parent (the first layer): W (s * m) = (W * m) s, product by product the same
    # roundings (two per term, as the bounds count), with no (k, cells) product to form
    WM = [Wf * M[d][:, 0] if M.shape[2] == 1 and not (d == 2 and with_inter) else None for d in range(3)]
    for c0, c1 in even_chunks(C, k, 8 * blocks.BLOCK):  # (k, cells) temporaries, ~40 MB
        pt = np.ascontiguousarray(piece[c0:c1].T)  # (k, n)
        s = slopes[pt]
        c = inter[pt] if with_inter else None
        buf = np.empty(pt.shape)
        ac = anc[c0:c1]
        for d in range(3):
            if WM[d] is not None:
                Mn[d][:, c0:c1] = WM[d] @ s
                continue
            np.take(M[d], ac, axis=1, out=buf, mode="clip")  # "raise" would buffer the output
            buf *= s
            if d == 2 and c is not None:
                buf += c
            Mn[d][:, c0:c1] = Wf @ buf
    Mn[2] += bf[:, None]
    return Mn

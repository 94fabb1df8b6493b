"""A network read into float64 arrays, each with a bound on its rounding.

The bridge from :class:`~exact.network.ExactNet` (exact weights) to the float arithmetic
of :mod:`.bounds`: the weights, biases and activation pieces as float arrays with
rigorous bounds on their distance from the exact values (zero for float weights, which
are exact), and every breakpoint line of the cells with given patterns.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .._float_range import to_float
from ..activations import Activation
from ..errors import Undecided
from ..network import ExactNet, nonzero_structure
from .bounds import first_map, layer_bounds, line_errors, next_map, quiet_floats, rounding

__all__ = ["NetBounds", "act_floats", "constraint_rows", "float_weights", "net_bounds", "net_parts",
           "parallel_reps"]


def _float_matrix(rows: Sequence[Sequence[Fraction]]) -> tuple[np.ndarray, np.ndarray]:
    """Float64 values of a matrix of Fractions and bounds on their rounding errors."""
    vals = [(v.numerator, v.denominator) for row in rows for v in row]
    f = [n / d for n, d in vals]  # correctly rounded
    err = [0.0 if x.as_integer_ratio() == nd else rounding(Fraction(*nd)) for x, nd in zip(f, vals)]
    shape = (len(rows), len(rows[0]))
    return np.array(f).reshape(shape), np.array(err).reshape(shape)


def act_floats(act: Activation) -> tuple[tuple[tuple[float, float], ...], np.ndarray, np.ndarray, tuple]:
    """Read an activation into floats, with the constants its error bounds need.

    The result depends on the activation's exact values alone (never on a network's
    weights), so it is cached by value: a few dozen Fraction roundings per layer saved on
    every count; the arrays are read-only.

    Parameters
    ----------
    act : Activation
        A piecewise-linear activation with ``nq`` breakpoints.

    Returns
    -------
    bps : tuple of (float, float)
        Each breakpoint as a float and a bound on its rounding.
    slopes, inter : ndarray, shape (nq + 1,)
        Float slope and intercept of each piece.
    consts : tuple of float
        ``(smax, ds, cmax, dc)``: max ``|slope|``, a bound on the slopes' rounding, a bound
        on the exact ``|intercept|`` and one on the intercepts' rounding.

    Raises
    ------
    Undecided
        A breakpoint, slope or intercept beyond the float range.

    Examples
    --------
    >>> from exact.activations import get_activation
    >>> bps, slopes, inter, consts = act_floats(get_activation("leaky_relu", 0.25))
    >>> bps, slopes.tolist(), inter.tolist(), consts
    (((0.0, 0.0),), [0.25, 1.0], [0.0, 0.0], (1.0, 0.0, 0.0, 0.0))
    >>> act_floats(get_activation("leaky_relu", 0.25)) is act_floats(get_activation("leaky_relu", 0.25))
    True
    """
    return _act_floats(act)


@functools.lru_cache(maxsize=64)
def _act_floats(act: Activation) -> tuple[tuple[tuple[float, float], ...], np.ndarray, np.ndarray, tuple]:
    """:func:`act_floats`, cached by the activation's value (an Undecided is not cached)."""
    bps = tuple((to_float(b), rounding(b)) for b in act.breakpoints)  # Undecided beyond the float range
    slopes = np.array([to_float(s) for s in act.slopes])
    inter = np.array([to_float(c) for c in act.intercepts])
    slopes, inter = _read_only(slopes), _read_only(inter)
    smax = float(np.abs(slopes).max())
    ds = max(rounding(s) for s in act.slopes)
    dc = max(rounding(c) for c in act.intercepts)
    cmax = float(np.abs(inter).max()) + dc
    return bps, slopes, inter, (smax, ds, cmax, dc)


def float_weights(net: ExactNet) -> tuple[list, list, list, list]:
    """Read a network's weights and biases into floats, with bounds on their rounding.

    Parameters
    ----------
    net : ExactNet
        The network, with layer widths ``k_0 = 2, k_1, ..., k_L``.

    Returns
    -------
    Ws : list of ndarray
        Float weights of every layer, shape ``(k_l, k_{l-1})``.
    bs : list of ndarray
        Float biases, shape ``(k_l,)``.
    EW, Eb : list of ndarray
        Bounds on the rounding of ``Ws`` and ``bs`` (zero for float weights), same shapes.

    Raises
    ------
    Undecided
        If a weight is beyond the float range (Fractions may be).
    """
    fl = net.float_layers()
    if fl is not None:  # the exact values already are floats
        Ws, bs = list(fl[0]), list(fl[1])
        return Ws, bs, [np.zeros_like(W) for W in Ws], [np.zeros_like(b) for b in bs]
    try:
        Ws, EW = zip(*(_float_matrix(W) for W in net.weights))
        bs, Eb = zip(*(_float_matrix([b]) for b in net.biases))
    except OverflowError:
        raise Undecided("a weight is beyond the float range") from None
    if not all(np.isfinite(a).all() for a in Ws + bs + EW + Eb):
        raise Undecided("a weight is beyond the float range")
    return list(Ws), [v[0] for v in bs], list(EW), [v[0] for v in Eb]


@dataclass(frozen=True)
class NetBounds:
    """What the certified engine reads of a network before any window: float weights and a priori bounds.

    None of it depends on the window, so a tiled count makes it once per network
    (:func:`net_bounds`) instead of once per tile.  Every array is read-only.

    Attributes
    ----------
    Ws, bs, EW, Eb : tuple of ndarray
        As :func:`float_weights` returns them.
    A, E : tuple of ndarray, shape (k_l, 3)
        ``A[l]`` bounds the exact pre-activation maps of layer ``l`` (0 the first hidden
        layer, the last the output) in every cell, ``E[l]`` their float error:
        :func:`~exact._certified.bounds.first_map`, then
        :func:`~exact._certified.bounds.layer_bounds` layer after layer.
    line_err : tuple of ndarray, shape (k_l * nq_l, 3)
        Hidden layer ``l``'s :func:`~exact._certified.bounds.line_errors` for every
        (neuron, breakpoint), neuron-major: the engine's label order.
    """

    Ws: tuple
    bs: tuple
    EW: tuple
    Eb: tuple
    A: tuple
    E: tuple
    line_err: tuple


_BOUNDS: list[tuple[ExactNet, NetBounds]] = []
"""The last few networks' :class:`NetBounds`, newest first, each beside the network itself."""


def net_bounds(net: ExactNet) -> NetBounds:
    """Return a network's float weights and map bounds, made once for the last few networks.

    The cache holds the networks themselves and matches them by identity (``is``): an
    :class:`~exact.network.ExactNet` cannot change, and a held one cannot be freed and its
    ``id`` reused, so a network never gets another's bounds.  A network read from floats
    also matches a held one read from floats with the same activations and bit for bit the
    same weights (:func:`_same_floats`): the bounds are a function of those alone, so a
    torch module, read into a new network on every count, is not bounded again each time.

    Parameters
    ----------
    net : ExactNet
        The network whose windows are to be split.

    Returns
    -------
    NetBounds
        Shared by every caller: read-only.

    Raises
    ------
    Undecided
        If a weight, breakpoint, slope or intercept is beyond the float range.

    Examples
    --------
    >>> from exact.network import ExactNet
    >>> net = ExactNet.from_layers([([[1, 0]], [Fraction(1, 3)]), ([[2]], [0])])
    >>> b = net_bounds(net)
    >>> b is net_bounds(net), b.bs[0].tolist(), bool(b.E[0][0, 2] > 0)   # 1/3 is rounded
    (True, [0.3333333333333333], True)
    """
    for held, bounds in _BOUNDS:
        if held is net:
            return bounds
    for held, bounds in _BOUNDS:
        if _same_floats(held, net):
            _BOUNDS[:] = [(net, bounds), *(e for e in _BOUNDS if e[0] is not held)]
            return bounds
    bounds = _make_bounds(net)
    _BOUNDS[:] = [(net, bounds), *_BOUNDS[:3]]
    return bounds


def _same_floats(a: ExactNet, b: ExactNet) -> bool:
    """Tell whether two networks read from floats have the same activations and bitwise equal weights.

    Bitwise (``-0.0`` is not ``0.0``), so the engine's floats are the same to the last bit;
    ``False`` for a network of exact Fractions (its floats are rounded: never matched).
    """
    fa, fb = a.float_layers(), b.float_layers()
    if fa is None or fb is None or a.widths != b.widths or a.activations != b.activations:
        return False
    pairs = list(zip(fa[0] + fa[1], fb[0] + fb[1]))
    return (all(x.shape == y.shape and x.dtype == y.dtype for x, y in pairs)
            and all(x.tobytes() == y.tobytes() for x, y in pairs))


@quiet_floats
def _make_bounds(net: ExactNet) -> NetBounds:
    """:func:`net_bounds`, made afresh (an overflow makes a bound infinite, which decides nothing)."""
    Ws, bs, EW, Eb = float_weights(net)
    _, E, A = first_map(Ws, bs, EW, Eb, 1)
    As, Es, line_err = [A], [E], []
    for l, act in enumerate(net.activations):
        bps, _, _, consts = act_floats(act)
        rows = [line_errors(E, A, beta, ebeta) for beta, ebeta in bps]
        line_err.append(np.stack(rows, axis=1).reshape(-1, 3) if rows else np.zeros((0, 3)))
        A, E = layer_bounds(Ws[l + 1], bs[l + 1], EW[l + 1], Eb[l + 1], A, E, consts)
        As.append(A)
        Es.append(E)
    parts = [tuple(_read_only(a) for a in group) for group in (Ws, bs, EW, Eb, As, Es, line_err)]
    return NetBounds(*parts)


def _read_only(a: np.ndarray) -> np.ndarray:
    """Return a view of a read-only private copy of ``a``: numpy refuses to make such a view writable."""
    base = np.array(a)
    base.setflags(write=False)
    return base.view()


def _oriented_lines(M: np.ndarray, E: np.ndarray, A: np.ndarray, piece: np.ndarray, bps: list
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Orient one layer's lines so that each cell is on their positive side.

    ``M`` (shape ``(3, k, B)``) holds the layer's maps in ``B`` cells, with error and
    magnitude bounds ``E``, ``A`` (shape ``(k, 3)``); ``piece`` (shape ``(B, k)``) the cells'
    pieces and ``bps`` the breakpoints (float, rounding bound).  Returns the lines, shape
    ``(B, k * nq, 3)``, neuron-major then breakpoint, and their error bounds ``(k * nq, 3)``.
    """
    B, k, nq = len(piece), M.shape[1], len(bps)
    lines, line_errs = [], []
    for q, (beta, ebeta) in enumerate(bps):
        sign = np.where(piece > q, 1.0, -1.0)  # (B, k)
        line = M.transpose(2, 1, 0) * sign[:, :, None]  # (B, k, 3)
        line[:, :, 2] -= sign * beta
        lines.append(line)
        line_errs.append(line_errors(E, A, beta, ebeta))
    return np.stack(lines, axis=2).reshape(B, k * nq, 3), np.stack(line_errs, axis=1).reshape(k * nq, 3)


def net_parts(net: ExactNet) -> tuple:
    """Read what :func:`constraint_rows` needs of a network, once for many calls.

    Parameters
    ----------
    net : ExactNet
        The network.

    Returns
    -------
    tuple
        The float weights with their rounding bounds (:func:`float_weights`), the nonzero
        structure (:func:`exact.network.nonzero_structure`) and, for each first-layer
        neuron, the first neuron whose line is exactly parallel to its own (``O(k1^2)``
        exact products).

    Raises
    ------
    Undecided
        If a weight is beyond the float range.
    """
    Ws, bs, EW, Eb = float_weights(net)
    nz, live = nonzero_structure(net)
    fl = net.float_layers()  # the exact values, without making every layer's Fractions
    W0 = fl[0][0].tolist() if fl is not None else net.weights[0]
    return Ws, bs, EW, Eb, nz, live, parallel_reps(W0)


def parallel_reps(rows: Sequence[Sequence[float | Fraction]]) -> list[int]:
    """For each row ``(w0, w1)``, the first row exactly parallel to it (either sense) and nonzero.

    A zero row is parallel to every row: it gets the first nonzero row, or itself if that
    comes later (or there is none).  Each nonzero row's direction is reduced exactly to a
    primitive integer pair, so the search is one dictionary pass, ``O(k)``, instead of
    ``O(k^2)`` exact cross products.

    Parameters
    ----------
    rows : sequence of (float or Fraction, float or Fraction)
        Exact values (finite floats are exact binary values).

    Returns
    -------
    list of int

    Examples
    --------
    >>> parallel_reps([[1.0, 2.0], [0.0, 0.0], [-0.5, -1.0], [2.0, 1.0], [Fraction(1, 3), Fraction(2, 3)]])
    [0, 0, 0, 3, 0]
    >>> parallel_reps([[0, 0], [0, 1], [0, -3]])
    [0, 1, 1]
    """
    first: dict[tuple[int, int], int] = {}
    reps: list[int] = []
    zeros: list[int] = []
    for i, (a, b) in enumerate(rows):
        (pa, qa), (pb, qb) = a.as_integer_ratio(), b.as_integer_ratio()
        x, y = pa * qb, pb * qa  # the direction times qa qb > 0
        if x == 0 and y == 0:
            zeros.append(i)
            reps.append(i)
            continue
        g = math.gcd(x, y)
        x, y = x // g, y // g
        if x < 0 or (x == 0 and y < 0):  # one sign per line
            x, y = -x, -y
        reps.append(first.setdefault((x, y), i))
    if first:
        j = min(first.values())
        for i in zeros:
            reps[i] = min(i, j)
    return reps


@quiet_floats
def constraint_rows(net: ExactNet, patterns: np.ndarray, parts: tuple | None = None
                    ) -> tuple[np.ndarray, ...]:
    """Build every breakpoint line of every hidden neuron in the cells with these patterns.

    Parameters
    ----------
    net : ExactNet
        The network, with ``N`` breakpoint lines in all (one per hidden neuron and
        breakpoint) and ``k1`` first-layer neurons.
    patterns : ndarray of int, shape (B, n_hidden)
        Piece index of every hidden neuron (layer order) in each of ``B`` cells.
    parts : tuple, optional
        :func:`net_parts` of ``net``, when called for many batches of cells.

    Returns
    -------
    rows : ndarray, shape (B, N, 3)
        Float lines ``(a, b, c)``, oriented so that the cell is on the positive side, in the
        batched engine's label order (layer, neuron, breakpoint).
    err : ndarray, shape (N, 3)
        Entrywise error bound of ``rows``, valid in every cell.
    support : ndarray of bool, shape (B, N, k1)
        For each line, the first-layer neurons with a path to its neuron through nonzero
        weights and nonzero-slope pieces: its gradient is exactly a combination of their
        weight vectors.  An empty support means an exactly zero gradient (no line at all).
    rep : ndarray of int, shape (B, N)
        A neuron whose gradient is exactly a multiple of this line's: a neuron whose live
        inputs all share one ``rep`` has that ``rep`` (its gradient is a combination of
        parallel vectors); exactly parallel first-layer neurons share one.  Equal ``rep``
        means exactly parallel lines (different ``rep`` proves nothing).

    Raises
    ------
    Undecided
        If a weight is beyond the float range.

    References
    ----------
    .. [1] N. J. Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed.,
       SIAM, 2002, §2.2 and §3.1 (the error bounds of :mod:`exact._certified.bounds`).
    """
    Ws, bs, EW, Eb, nz, live, canon = parts if parts is not None else net_parts(net)
    B = len(patterns)
    M = first_map(Ws, bs, EW, Eb, B)[0]
    bounds = net_bounds(net)  # the a priori bounds of every layer's maps, made once per network
    E, A = bounds.E[0], bounds.A[0]
    k1 = len(canon)
    moving = np.repeat(np.diag(nz[0].any(axis=1))[None], B, axis=0)  # (B, k, k1): the support
    rep = np.repeat(np.array(canon)[None], B, axis=0)  # (B, k): exactly parallel first-layer lines share one
    rows, errs, supports, reps = [], [], [], []
    g0 = 0
    for l, act in enumerate(net.activations):
        bps, slopes, inter, _ = act_floats(act)
        k, nq = M.shape[1], len(bps)
        piece = patterns[:, g0 : g0 + k].astype(np.int64)
        if nq:  # this layer's lines in label order: neuron-major, then breakpoint
            layer_rows, layer_errs = _oriented_lines(M, E, A, piece, bps)
            rows.append(layer_rows)
            errs.append(layer_errs)
            supports.append(np.repeat(moving, nq, axis=1))
            reps.append(np.repeat(rep, nq, axis=1))
        alive = live[l][piece]  # (B, k)
        nzf = nz[l + 1].astype(np.float32)
        feeding = (alive & moving.any(axis=2)).astype(np.float32)  # (B, k): live, non-constant inputs
        inputs = (feeding[:, None, :] * nzf[None]) > 0  # (B, k', k): live inputs of each neuron
        big = np.iinfo(np.int64).max
        lo = np.where(inputs, rep[:, None, :], big).min(axis=2)
        hi = np.where(inputs, rep[:, None, :], -1).max(axis=2)
        rep = np.where(lo == hi, lo, g0 + k + np.arange(nzf.shape[0]))  # one rep shared by all inputs
        moving = np.matmul(nzf, (moving & alive[:, :, None]).astype(np.float32)) > 0  # 0/1 sums: exact
        M = next_map(Ws[l + 1], bs[l + 1], M, np.arange(B), piece, slopes, inter)
        A, E = bounds.A[l + 1], bounds.E[l + 1]
        g0 += k
    if not rows:
        return (np.zeros((B, 0, 3)), np.zeros((0, 3)), np.zeros((B, 0, k1), dtype=bool),
                np.zeros((B, 0), dtype=np.int64))
    return (np.concatenate(rows, axis=1), np.concatenate(errs), np.concatenate(supports, axis=1),
            np.concatenate(reps, axis=1))

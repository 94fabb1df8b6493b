"""Exact activation and linear pieces of a network along a segment, for any input width.

On the segment ``x(t) = a + t (b - a)``, ``t`` in ``[0, 1]``, every pre-activation of a
piecewise-linear MLP is an affine function of ``t`` on each piece of the segment, so the
segment is split layer by layer at the exact ``t`` where a neuron's pre-activation
crosses one of its activation's breakpoints (the 1-D twin of the plane's layer-by-layer
splitter, :mod:`exact.layer_split`).  All arithmetic is on Python integers and
Fractions: the input width only costs the first layer's exact dot products.

Notes
-----
On a piece ``[t0, t1]`` each neuron's pre-activation is ``z(t) = p t + q``; where
``p != 0`` and ``z`` equals a breakpoint ``beta`` at ``t* = (beta - q) / p`` strictly
inside the piece, the piece is split there.  A split point is a strict crossing, so the
patterns on its two sides differ: every split point is an activation breakpoint, and the
pattern is constant between them.  Two cases never split:

* a neuron whose pre-activation is exactly at a breakpoint on a whole piece (``p = 0``,
  ``q = beta``) has the lower piece there, as everywhere (:meth:`exact.Activation.piece`
  counts the breakpoints strictly below ``z``): the plane's engine's convention;
* a pre-activation that only touches a breakpoint at one ``t`` without crossing it (at a
  point where an earlier neuron bends it) changes the pattern at that single point only;
  a point is not a piece (it has length zero), so it adds no breakpoint.

Linear pieces merge neighbouring activation pieces whose output maps (slope and offset in
``t``, every output) are equal: two cells with different gradients in the input space
may have the same map along the segment.  Pieces are made depth first, so memory holds
one pattern and one output map per final piece.

Examples
--------
>>> from exact.network import ExactNet
>>> net = ExactNet.from_layers([([[1], [1]], [0, -1]), ([[1, -1]], [0])])   # relu(x) - relu(x - 1)
>>> s = count_on_segment(net, [-1], [2])
>>> s.activation, s.linear, [str(t) for t in s.breakpoints.activation]
(3, 3, ['1/3', '2/3'])
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, NamedTuple

import numpy as np

from ._certified.budget import format_bytes
from .activations import Activation
from .errors import InputError, ResidualModuleError, ResourceLimitError, TooManyRegionsError
from .json_numbers import fraction_text
from .loading import as_exact_net
from .network import ExactNet
from .residual_reading import lower_on_segment, read_residual
from .sparse_affine import dyadic_integers
from .validation import (
    DEFAULT_MAX_MEMORY,
    DEFAULT_MAX_PIECES,
    MemoryLike,
    check_max_memory,
    check_max_pieces,
    check_point,
)

__all__ = ["SegmentBreakpoints", "SegmentCount", "count_on_segment"]


_REPR_BREAKPOINTS = 6
"""Breakpoints shown by ``repr(SegmentCount)`` (all of them are in its ``breakpoints``)."""


class SegmentBreakpoints(NamedTuple):
    """The exact ``t`` in ``(0, 1)`` where the pattern or the output map changes, increasing."""

    activation: tuple[Fraction, ...]
    linear: tuple[Fraction, ...]


@dataclass(frozen=True)
class SegmentCount:
    """Activation and linear pieces of ``t -> f(a + t (b - a))`` on ``[0, 1]``.

    Attributes
    ----------
    activation : int
        Number of activation pieces: maximal intervals of positive length with one
        activation pattern.
    linear : int
        Number of linear pieces: maximal intervals on which the output is one affine
        function of ``t`` (neighbouring activation pieces with equal maps merged).
    breakpoints : SegmentBreakpoints
        ``activation``: the ``activation - 1`` exact ``t`` between activation pieces;
        ``linear``: the ``linear - 1`` of them where the output map changes.
    patterns : tuple of tuple of int
        The activation pattern (piece index of every hidden neuron, layer after layer, as
        :meth:`exact.ExactNet.pattern_at` gives it) on each activation piece.
    maps : tuple of tuple of (Fraction, Fraction)
        On each activation piece, ``(slope, offset)`` of every output: the output is
        ``slope * t + offset`` there.
    """

    activation: int
    linear: int
    breakpoints: SegmentBreakpoints
    patterns: tuple[tuple[int, ...], ...]
    maps: tuple[tuple[tuple[Fraction, Fraction], ...], ...]

    def __repr__(self) -> str:
        bps = self.breakpoints.activation
        ts = ", ".join(str(t) for t in bps[:_REPR_BREAKPOINTS])
        if len(bps) > _REPR_BREAKPOINTS:
            ts += f", ... ({len(bps) - _REPR_BREAKPOINTS} more)"
        return f"SegmentCount(activation={self.activation}, linear={self.linear}, breakpoints=[{ts}])"

    def as_dict(self) -> dict:
        """Return the counts and the exact breakpoints as JSON-ready values.

        Returns
        -------
        dict
            ``activation_pieces``, ``linear_pieces``, and ``activation_breakpoints`` /
            ``linear_breakpoints`` as exact strings ``"p/q"``.

        Examples
        --------
        >>> from exact.network import ExactNet
        >>> relu = ExactNet.from_layers([([[1]], [0]), ([[1]], [0])])
        >>> count_on_segment(relu, [-1], [3]).as_dict()  # doctest: +ELLIPSIS
        {'activation_pieces': 2, 'linear_pieces': 2, 'activation_breakpoints': ['1/4'], ...}
        """
        return {
            "activation_pieces": self.activation,
            "linear_pieces": self.linear,
            "activation_breakpoints": [fraction_text(t) for t in self.breakpoints.activation],
            "linear_breakpoints": [fraction_text(t) for t in self.breakpoints.linear],
        }


def count_on_segment(
    net: Any,
    a: Sequence[Any],
    b: Sequence[Any],
    *,
    activation: str | None = None,
    max_pieces: int | None = DEFAULT_MAX_PIECES,
    max_memory: MemoryLike = DEFAULT_MAX_MEMORY,
) -> SegmentCount:
    """Count the activation and linear pieces of a network along the segment from ``a`` to ``b``, exactly.

    Parameters
    ----------
    net : torch.nn.Module, list of (W, b), ExactNet, or path
        Any network :func:`exact.as_exact_net` accepts, with any input width; also a module
        with skip connections ``x + g(x)``, through the plain net equal to it on the
        segment's bounding box (:func:`exact.residual_reading.lower_on_segment`).
    a, b : sequence of real, numpy array or torch tensor, shape (input width,)
        The two end points (ints, floats at their exact binary value, Fractions).
    activation : str, optional
        Hidden activation when ``net`` is a list of layers (default ``relu``).
    max_pieces : int or None, default 1_000_000
        Guard: stop with :class:`~exact.errors.TooManyRegionsError` as soon as more
        pieces exist after some hidden layer (:data:`exact.validation.DEFAULT_MAX_PIECES`).
    max_memory : int, float, str or None, default "auto"
        Guard: stop with :class:`~exact.errors.ResourceLimitError` as soon as the pieces
        made would take more memory (as in :func:`exact.regions`).

    Returns
    -------
    SegmentCount
        The two counts, the exact breakpoints in ``t``, and each piece's pattern and map.

    Raises
    ------
    InputError
        ``a`` or ``b`` of the wrong length or with a NaN/inf coordinate, ``a == b``, or a
        bad network (as in :func:`exact.regions`).
    InputTypeError
        ``a`` or ``b`` not a sequence of real numbers.
    TooManyRegionsError
        More than ``max_pieces`` pieces.
    ResourceLimitError
        The pieces would take more than ``max_memory``.

    Notes
    -----
    Each pre-activation is ``p t + q`` on a piece; the piece is split where it crosses a
    breakpoint strictly inside.  A neuron exactly at a breakpoint on a whole piece takes
    the lower piece (as :meth:`exact.ExactNet.pattern_at` and the plane's engine do), and
    a pre-activation that only touches a breakpoint at one ``t`` changes the pattern at
    that point only, which is no piece (see the module notes).  Cost: ``width x input``
    exact products for the first layer, then ``O(width^2)`` per piece and layer.

    Examples
    --------
    >>> from exact.network import ExactNet
    >>> net = ExactNet.from_layers([([[1, 0], [0, 1]], [0, 0]), ([[1, 0]], [0])])
    >>> s = count_on_segment(net, [-1, -1], [1, 1])        # both kinks at t = 1/2
    >>> s.activation, s.linear, s.patterns
    (2, 2, ((0, 0), (1, 1)))
    >>> count_on_segment(net, [-1, -1], [1, -1])           # y = -1 < 0: neuron 2 off
    SegmentCount(activation=2, linear=2, breakpoints=[1/2])
    >>> count_on_segment(net, [-1, 0], [1, 0]).patterns    # y = 0: at its kink, lower piece
    ((0, 0), (1, 0))
    """
    try:
        enet = as_exact_net(net, activation=activation)
    except ResidualModuleError:  # skip connections: the plain net equal to it on the segment's box
        rnet = read_residual(net)
        check_point(a, "a", rnet.input_dim), check_point(b, "b", rnet.input_dim)  # the messages of any net
        enet = lower_on_segment(rnet, a, b, activation=activation)
    pa = check_point(a, "a", enet.input_dim)
    pb = check_point(b, "b", enet.input_dim)
    if pa == pb:
        raise InputError("a and b are the same point; a segment needs two different end points")
    check_max_pieces(max_pieces)
    return _result(_pieces(enet, pa, pb, max_pieces, check_max_memory(max_memory)))


def _pieces(enet: ExactNet, pa: tuple[Fraction, ...], pb: tuple[Fraction, ...], max_pieces: int | None,
            mem: int | None) -> list[tuple]:
    """List the pieces ``(t0, t1, pattern, output map)`` of the checked segment, in order along it."""
    per_piece = _piece_bytes(sum(enet.widths[1:-1]), enet.output_dim)
    limit = None if mem is None else max(1, mem // per_piece)
    Z0, S0 = _first_maps(enet, pa, pb)
    if enet.n_hidden_layers == 0:  # one affine map on the whole segment
        return [(Fraction(0), Fraction(1), (), tuple((Fraction(p, S0), Fraction(q, S0)) for p, q in Z0))]
    state: Iterable[tuple] = iter([(Fraction(0), Fraction(1), (), None, 1)])
    counts = [0] * enet.n_hidden_layers
    for l, act in enumerate(enet.activations):
        layer = (Z0, S0) if l == 0 else _int_layer(enet, l)
        state = _split_layer(state, layer, act, l, counts, max_pieces)
    return _output_maps(state, _int_layer(enet, enet.n_hidden_layers), limit, mem, per_piece)


def _piece_bytes(n_neurons: int, n_out: int) -> int:
    """Estimate the memory of one final piece: its pattern, its interval and its output map."""
    return 400 + 8 * n_neurons + 300 * n_out


def _int_layer(net: ExactNet, l: int) -> tuple[np.ndarray, list[int], int]:
    """Return layer ``l`` as integers ``(Wi, bi, s)`` with ``W = Wi / s``, ``b = bi / s``.

    Float-backed nets are scaled by a power of two read from the float64 exponents
    (``frexp``: every finite float is an integer times a power of two), without making
    Fractions; other nets through their exact Fractions.
    """
    fl = net.float_layers()
    if fl is not None:
        W, b = fl[0][l], fl[1][l]
        ints, s = dyadic_integers(np.concatenate([W.ravel(), b]))
        return ints[: W.size].reshape(W.shape), ints[W.size :].tolist(), s
    Wf, bf = net.weights[l], net.biases[l]
    s = math.lcm(*(v.denominator for r in Wf for v in r), *(v.denominator for v in bf))
    Wi = np.array([[int(v * s) for v in r] for r in Wf], dtype=object)
    return Wi, [int(v * s) for v in bf], s


def _first_maps(net: ExactNet, pa: tuple[Fraction, ...], pb: tuple[Fraction, ...]
                ) -> tuple[list[tuple[int, int]], int]:
    """Compute the first layer's pre-activations ``(p t + q) / S`` on the whole segment, exactly."""
    Wi, bi, s = _int_layer(net, 0)
    d = [y - x for x, y in zip(pa, pb)]
    D = math.lcm(*(v.denominator for v in pa), *(v.denominator for v in d))
    ai = np.array([int(v * D) for v in pa], dtype=object)
    di = np.array([int(v * D) for v in d], dtype=object)
    P, Q = Wi.dot(di).tolist(), Wi.dot(ai).tolist()
    return [(p, q + bj * D) for p, q, bj in zip(P, Q, bi)], s * D


def _split_layer(state: Iterable[tuple], layer: tuple, act: Activation, l: int, counts: list[int],
                 max_pieces: int | None) -> Iterator[tuple]:
    """Split every piece of ``state`` where a neuron of hidden layer ``l`` crosses a breakpoint, lazily.

    A piece is ``(t0, t1, pattern, H, T)``: the previous layer's activations are
    ``(p t + q) / T`` for the rows ``(p, q)`` of ``H``.  ``layer`` is ``(Wi, bi, s)``, or
    for the first layer its pre-activations ``(Z, S)`` on the whole segment.  The
    children of one piece are yielded before the next piece is split, so that chained
    over the layers the pieces are made depth first.
    """
    bps = [(bt.numerator, bt.denominator) for bt in act.breakpoints]
    for t0, t1, pat, H, T in state:
        if l == 0:
            Z, S = layer
        else:
            Wi, bi, s = layer
            PQ = Wi.dot(np.array(H, dtype=object)).tolist()
            Z, S = [(p, q + bj * T) for (p, q), bj in zip(PQ, bi)], s * T
        children = _children(t0, t1, pat, Z, S, bps, act.integer_form)
        counts[l] += len(children)
        if max_pieces is not None and counts[l] > max_pieces:
            raise TooManyRegionsError(f"more than max_pieces={max_pieces} pieces after hidden layer {l + 1}; "
                                      "raise max_pieces (None for no limit) or shorten the segment")
        children.reverse()
        while children:
            yield children.pop()


def _children(t0: Fraction, t1: Fraction, pat: tuple, Z: list[tuple[int, int]], S: int, bps: list,
              integer_form: tuple) -> list[tuple]:
    """Split ``[t0, t1]`` at the strict crossings of ``Z / S`` with the breakpoints; the new pieces.

    Each neuron's piece is read at the middle of the first new piece and then moved by one
    at each of its crossings (up where it rises, down where it falls): ``z`` is affine,
    so it crosses each breakpoint at most once.
    """
    cuts: dict[Fraction, list[tuple[int, int]]] = {}
    for j, (p, q) in enumerate(Z):
        if p == 0:
            continue
        step = 1 if p > 0 else -1
        for bn, bd in bps:
            t = Fraction(bn * S - bd * q, bd * p)
            if t0 < t < t1:
                cuts.setdefault(t, []).append((j, step))
    ends = sorted(cuts)
    first_end = ends[0] if ends else t1
    mid = (t0 + first_end) / 2
    m, md = mid.numerator, mid.denominator
    piece = [sum(1 for bn, bd in bps if bd * (p * m + q * md) > bn * S * md) for p, q in Z]
    mu, sl, ic = integer_form
    g = math.gcd(S, *(v for r in Z for v in r))
    Tn = mu * S // g
    out = []
    lo = t0
    for hi in ends + [t1]:
        rows = [(sl[k] * p // g, (sl[k] * q + ic[k] * S) // g) for k, (p, q) in zip(piece, Z)]
        out.append((lo, hi, pat + tuple(piece), rows, Tn))
        for j, step in cuts.get(hi, ()):
            piece[j] += step
        lo = hi
    return out


def _output_maps(state: Iterable[tuple], out_layer, limit: int | None, max_memory: int | None,
                 per_piece: int) -> list[tuple]:
    """Attach the exact output map ``(slope, offset)`` per output to every piece, up to ``limit`` pieces."""
    Wi, bi, s = out_layer
    pieces = []
    for t0, t1, pat, H, T in state:
        PQ = [(p, q + bj * T) for (p, q), bj in zip(Wi.dot(np.array(H, dtype=object)).tolist(), bi)]
        den = s * T
        pieces.append((t0, t1, pat, tuple((Fraction(p, den), Fraction(q, den)) for p, q in PQ)))
        if limit is not None and len(pieces) > limit:
            raise ResourceLimitError(
                f"the pieces would need more than max_memory={format_bytes(max_memory)} ("
                f"{len(pieces):,} pieces so far, about {format_bytes(per_piece)} each); raise max_memory "
                "(None for no limit) or shorten the segment")
    return pieces


def _result(pieces: list[tuple]) -> SegmentCount:
    """Gather the pieces ``(t0, t1, pattern, map)`` in order into a :class:`SegmentCount`."""
    act_bps = tuple(p[1] for p in pieces[:-1])
    lin_bps = tuple(p[1] for p, nxt in zip(pieces, pieces[1:]) if p[3] != nxt[3])
    return SegmentCount(
        activation=len(pieces),
        linear=len(lin_bps) + 1,
        breakpoints=SegmentBreakpoints(act_bps, lin_bps),
        patterns=tuple(p[2] for p in pieces),
        maps=tuple(p[3] for p in pieces),
    )

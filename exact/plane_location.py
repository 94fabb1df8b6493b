"""A cell as the constraints of its activation pattern, and the cell holding a point past the box.

:func:`pattern_constraints` rebuilds a cell's oriented breakpoint lines from its pattern
alone (the whole-plane certificate of :mod:`exact.whole_plane` asks for them).

:func:`exact.regions` with ``window=None`` keeps each cell clipped to a box certified to
meet every cell, so a point outside that box lies in one of the unbounded cells, past its
clipped polygon.  :func:`locate_beyond_box` finds it exactly: the point's own activation
pattern names its cell when no neuron sits exactly at a breakpoint there; otherwise the
point is on a boundary of several cells, and each unbounded cell's full constraints
(:func:`pattern_constraints`) are tested exactly, the cell of smallest
index that holds the point winning, as in :meth:`exact.Regions.locate`.

Examples
--------
>>> from exact import regions
>>> r = regions([([[1, 0], [-1, 0]], [0, 0]), ([[1, 1]], [0])], window=None)   # |x|: x > 0, x < 0
>>> locate_beyond_box(r, (10**9, 1, 1)).pattern, locate_beyond_box(r, (-10**9, 5, 1)).pattern
((1, 0), (0, 1))
>>> locate_beyond_box(r, (0, 10**9, 1)).index == min(c.index for c in r.cells)   # on x = 0: both hold it
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from .network import ExactNet, IntLayer
from .predicates import Line, Point, canonical_line, point_to_fractions, side

__all__ = ["locate_beyond_box", "pattern_constraints"]


def locate_beyond_box(reg: Any, p: Point) -> Any:
    """Return the cell of a whole-plane :class:`~exact.Regions` holding a point outside its box.

    Parameters
    ----------
    reg : Regions
        Regions of the whole plane (``window=None``).
    p : Point
        An exact homogeneous point ``(X, Y, D)`` outside the closed box ``[-box, box]^2``.

    Returns
    -------
    Cell
        The (unbounded) cell that holds ``p``; on a boundary, the one of smallest index.

    Raises
    ------
    RuntimeError
        If no cell holds ``p``, which the whole-plane certificate rules out.
    """
    pattern, on_breakpoint = _pieces(reg, point_to_fractions(p))
    if not on_breakpoint:
        k = reg.pattern_index.get(pattern)
        if k is not None:
            return reg.cells[k]
    layers = reg.net.integer_layers()
    for c in reg.cells:  # index order: the smallest index that holds the point
        if not c.bounded and all(side(line, p) >= 0 for line in pattern_constraints(reg.net, c.pattern,
                                                                                      layers=layers)):
            return c
    raise RuntimeError(f"no cell of the whole plane holds the point {point_to_fractions(p)} (a defect of the "
                       "whole-plane certificate)")


def _pieces(reg: Any, xy: tuple[Fraction, Fraction]) -> tuple[tuple[int, ...], bool]:
    """Return the exact activation pattern at a point, and whether a neuron is exactly at a breakpoint."""
    net, values, pattern, tie = reg.net, list(xy), [], False
    for W, b, act in zip(net.weights, net.biases, net.activations):
        z = [sum((w * v for w, v in zip(row, values)), Fraction(0)) + bias for row, bias in zip(W, b)]
        tie = tie or any(v in act.breakpoints for v in z)
        pattern.extend(act.piece(v) for v in z)
        values = [act.apply(v) for v in z]
    return tuple(pattern), tie


def pattern_constraints(net: ExactNet, pattern: Sequence[int], *,
                        layers: Sequence[IntLayer] | None = None) -> tuple[Line, ...]:
    """Return the oriented breakpoint lines that define an activation pattern's cell.

    The cell of ``pattern`` is ``{x : l(x) >= 0 for every returned line l}`` (up to its
    boundary): for every hidden neuron, its pre-activation as an exact affine function
    of the input on the pattern's earlier pieces, against each breakpoint of its
    activation, oriented so that the neuron's own piece is on the positive side.  A
    neuron constant on the pattern gives no line.  Built from the pattern alone, so a
    whole-plane enumeration need not keep every cell's constraints (``O(cells x n)``
    memory) to certify the few cells that touch the box.

    Parameters
    ----------
    net : ExactNet
        A network with 2-D input.
    pattern : sequence of int
        Piece index of every hidden neuron, layer after layer (as
        :attr:`RawCell.pattern <exact.layer_split.RawCell>` and
        :meth:`ExactNet.pattern_at` give it).
    layers : sequence of IntLayer, optional
        ``net.integer_layers()``, passed by callers that ask for many patterns (it is
        not cached on the net).

    Returns
    -------
    tuple of Line
        Distinct oriented lines ``(a, b, c)`` in lowest terms, the cell on their
        positive side; exact integers.

    Notes
    -----
    ``O(n^2)`` big-integer products for ``n`` hidden neurons, exact throughout: each
    layer's map on the pattern is kept as integer rows over one positive scale.

    Examples
    --------
    >>> net = ExactNet.from_layers([([[1, 0], [1, 1]], [0, -2]), ([[1, -1]], [0])])
    >>> pattern_constraints(net, (1, 0))      # x > 0 and x + y < 2
    ((1, 0, 0), (-1, -1, 2))
    >>> pattern_constraints(net, net.pattern_at((3, 0)))
    ((1, 0, 0), (1, 1, -2))
    """
    n_hidden = sum(net.widths[1:-1])
    if len(pattern) != n_hidden:
        raise ValueError(f"pattern has {len(pattern)} entries; the net has {n_hidden} hidden neurons")
    if layers is None:
        layers = net.integer_layers()
    A, t, k = [(1, 0, 0), (0, 1, 0)], 1, 0  # the current layer's input is (A rows) / t
    lines: list[Line] = []
    for layer, act in zip(layers[:-1], net.activations):
        mu, slopes, icepts = act.integer_form
        bps = [(b.numerator, b.denominator) for b in act.breakpoints]
        s = layer.scale * t  # pre-activations are Z / s
        rows = []
        for wrow, bj in zip(layer.Wi, layer.bi):
            z = [sum(w * r[c] for w, r in zip(wrow, A)) for c in range(3)]
            z[2] += bj * t
            q = pattern[k]
            k += 1
            for i, (bn, bd) in enumerate(bps):
                a, b, c = bd * z[0], bd * z[1], bd * z[2] - bn * s
                if a or b:  # z crosses breakpoint i: above it on pieces > i
                    line = canonical_line(a, b, c)
                    lines.append(line if i < q else (-line[0], -line[1], -line[2]))
            rows.append([slopes[q] * z[0], slopes[q] * z[1], slopes[q] * z[2] + icepts[q] * s])
        g = math.gcd(mu * s, *(v for r in rows for v in r))
        A, t = [[v // g for v in r] for r in rows], mu * s // g
    return tuple(dict.fromkeys(lines))

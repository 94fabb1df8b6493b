"""The breakpoint hyperplanes of a first-layer neuron, as exact integer rows.

A neuron ``(z . x + b) / scale`` of the first hidden layer changes its activation's piece
where it equals a breakpoint ``beta``: one hyperplane per breakpoint, the same rows the
splitter cuts the box with (:mod:`exact.nd.layer_cells`), read by the a-priori cube
(:mod:`exact.nd.vertex_bounds`) and the up-front memory check (:mod:`exact.nd.job_memory`).

Examples
--------
>>> from exact.activations import get_activation
>>> breakpoint_rows([1, -1, 0], 0, 1, get_activation("relu"))      # x - y = 0
[(1, -1, 0, 0)]
"""

from __future__ import annotations

from collections.abc import Sequence

from ..activations import Activation
from .polytope import Row, primitive

__all__ = ["breakpoint_rows"]


def breakpoint_rows(z: Sequence[int], b: int, scale: int, act: Activation) -> list[Row]:
    """Return the hyperplanes ``(z . x + b) / scale = beta`` of a first-layer neuron, one per breakpoint.

    Parameters
    ----------
    z : sequence of int, shape (d,)
        The neuron's integer weights (:attr:`IntLayer.Wi <exact.network.IntLayer>`).
    b : int
        Its integer bias.
    scale : int
        The layer's scale (the weights are ``z / scale``).
    act : Activation
        The layer's activation: one hyperplane per breakpoint ``beta``.

    Returns
    -------
    list of Row
        Primitive integer rows, in the order of the breakpoints; none for a constant
        neuron (``z = 0``).

    Examples
    --------
    >>> from exact.activations import get_activation
    >>> breakpoint_rows([2, 4], -2, 2, get_activation("relu"))     # (2x + 4y - 2) / 2 = 0
    [(1, 2, -1)]
    >>> breakpoint_rows([0, 0], 1, 1, get_activation("relu"))
    []
    """
    out = []
    for beta in act.breakpoints:
        row = [beta.denominator * v for v in z] + [beta.denominator * b - beta.numerator * scale]
        if any(row[:-1]):
            out.append(primitive(row))
    return out

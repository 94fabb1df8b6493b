"""Per-neuron activity over the exact activation regions: on/off counts, dead and always-active neurons.

Read exactly from the cells' activation patterns (:class:`exact.Regions` in 2-D,
:class:`exact.RegionsND` in any dimension): a neuron's piece on a cell is a fact of the
exact enumeration, so the counts are exact and so is the verdict "dead in this window".

Examples
--------
>>> import exact
>>> r = exact.regions([([[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0]], [0, 0, 0, -1]),
...                    ([[1, 1, 1, 1]], [0])], window=1)      # 3 coordinate planes, one dead neuron
>>> a = neuron_activity(r)
>>> a.on[0], a.off[0], a.dead, a.always_active
((4, 4, 4, 0), (4, 4, 4, 8), ((0, 3),), ())
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import InputTypeError

__all__ = ["NeuronActivity", "neuron_activity"]


@dataclass(frozen=True)
class NeuronActivity:
    """How many activation regions each hidden neuron is on, off, or in each piece.

    Layers and neurons are numbered from 0: ``(layer, index)`` is neuron ``index`` of
    hidden layer ``layer`` (the entry ``sum(widths[1:layer + 1]) + index`` of a cell's
    pattern).  For a residual module only the network's own neurons are counted, not the
    pass-through neurons that carry its skips (``regions.own``; they come after the own
    neurons of each layer, so the indices are the same).

    Attributes
    ----------
    n_cells : int
        The number of activation regions (cells) counted over.
    whole_space : bool
        Whether the cells are those of the whole plane or space (``window=None``);
        otherwise those of the window given.
    activations : tuple of str
        The activation of each hidden layer.
    pieces : tuple of tuple of tuple of int
        ``pieces[layer][index][p]``: the number of cells where the neuron is on piece
        ``p`` of its activation (ReLU: 0 off, 1 on; Hardtanh: 0 low, 1 linear, 2 high).
    on, off : tuple of tuple of int
        ``on[layer][index]``: the number of cells where the neuron's piece has a nonzero
        slope (it passes changes of its input on; ReLU: on); ``off``: slope zero (ReLU:
        off).  ``on + off == n_cells``.
    dead : tuple of (int, int)
        Neurons off (slope zero, one piece) on every cell: over the window their output
        is one constant and they could be removed (ReLU: never on).  Each is a pair
        ``(layer, index)`` counted from 0, as the indices of ``on`` and ``off``: ``(1, 0)``
        is the first neuron of the second hidden layer ("hidden layer 2" in messages, which
        count layers from 1).
    always_active : tuple of (int, int)
        Neurons on one piece of nonzero slope on every cell: over the window they act as
        one affine map, their nonlinearity unused (ReLU: always on).  Pairs ``(layer,
        index)`` from 0, as ``dead``.

    Notes
    -----
    "Every cell" means every activation region of the window the regions were made in
    (for ``window=None``, of the whole plane or space: then a dead neuron is dead for
    every input).  A neuron dead in a window may be alive outside it.  A cell's piece is
    the piece on the cell's interior; a neuron whose pre-activation is identically zero
    on a cell is on piece 0 there (for ReLU: off).
    """

    n_cells: int
    whole_space: bool
    activations: tuple[str, ...]
    pieces: tuple[tuple[tuple[int, ...], ...], ...]
    on: tuple[tuple[int, ...], ...]
    off: tuple[tuple[int, ...], ...]
    dead: tuple[tuple[int, int], ...]
    always_active: tuple[tuple[int, int], ...]

    def to_json(self) -> dict:
        """Return the activity as plain JSON-ready values.

        Returns
        -------
        dict
            ``n_cells``, ``whole_space``, ``dead``, ``always_active`` and ``neurons``: one
            entry per hidden neuron with ``layer``, ``index``, ``activation``, ``on``,
            ``off`` and ``pieces``.

        Examples
        --------
        >>> import exact
        >>> r = exact.regions([([[1, 0], [0, 1]], [0, 5]), ([[1, 1]], [0])], window=1)
        >>> neuron_activity(r).to_json()["neurons"][1]
        {'layer': 0, 'index': 1, 'activation': 'relu', 'on': 2, 'off': 0, 'pieces': [0, 2]}
        """
        neurons = [{"layer": l, "index": i, "activation": self.activations[l], "on": self.on[l][i],
                    "off": self.off[l][i], "pieces": list(self.pieces[l][i])}
                   for l in range(len(self.pieces)) for i in range(len(self.pieces[l]))]
        return {"n_cells": self.n_cells, "whole_space": self.whole_space,
                "dead": [list(p) for p in self.dead], "always_active": [list(p) for p in self.always_active],
                "neurons": neurons}


def neuron_activity(regions: Any) -> NeuronActivity:
    """Count, for each hidden neuron, the activation regions where it is on, off, and on each piece.

    Parameters
    ----------
    regions : Regions or RegionsND
        Exact regions from :func:`exact.regions` (any input width), in a window or the
        whole plane or space.

    Returns
    -------
    NeuronActivity
        The counts per neuron and piece, and the dead and always-active neurons of the
        window (see :class:`NeuronActivity` for the definitions).

    Raises
    ------
    InputTypeError
        ``regions`` is not a result of :func:`exact.regions`.

    Notes
    -----
    Exact: read from every cell's activation pattern, ``O(cells x neurons)`` (one
    integer array of all patterns, counted by numpy).  For a
    one-hidden-layer 2-D net made from its line arrangement, this makes the patterns of
    all cells at once (:class:`exact.face_maps.LazyFaceMaps`).

    Examples
    --------
    >>> import exact
    >>> r = exact.regions([([[1, 0], [1, 0]], [0, -5]), ([[1, 1]], [0])], window=2)
    >>> a = neuron_activity(r)          # x = 0 cuts the square, x = 5 misses it
    >>> a.pieces, a.dead
    ((((1, 1), (2, 0)),), ((0, 1),))
    """
    net, cells = getattr(regions, "net", None), getattr(regions, "cells", None)
    if not hasattr(net, "activations") or not isinstance(cells, list):
        raise InputTypeError(f"regions must be the result of exact.regions (Regions or RegionsND), "
                             f"got {type(regions).__name__}")
    widths = net.widths[1:-1]
    acts = net.activations
    flat_acts = [a for a, w in zip(acts, widths) for _ in range(w)]
    P = np.array([c.pattern for c in cells], dtype=np.int16).reshape(len(cells), len(flat_acts))
    n_pieces = max((len(a.slopes) for a in acts), default=1)
    per_piece = [np.count_nonzero(P == p, axis=0) for p in range(n_pieces)]
    counts = [[int(per_piece[p][k]) for p in range(len(a.slopes))] for k, a in enumerate(flat_acts)]
    own = getattr(regions, "own", None) or (True,) * len(flat_acts)
    pieces, on, off, dead, always = [], [], [], [], []
    k = 0
    for layer, (act, width) in enumerate(zip(acts, widths)):
        w = sum(own[k:k + width])  # a residual net's own neurons come first in each layer
        live = [s != 0 for s in act.slopes]
        pieces.append(tuple(tuple(counts[k + i]) for i in range(w)))
        on.append(tuple(sum(n for n, ok in zip(counts[k + i], live) if ok) for i in range(w)))
        off.append(tuple(len(cells) - n for n in on[-1]))
        for i in range(w):
            used = [p for p, n in enumerate(counts[k + i]) if n]
            if len(used) == 1 and cells:
                (dead if not live[used[0]] else always).append((layer, i))
        k += width
    whole = bool(getattr(regions, "whole_space", False)) or getattr(regions, "window", ()) is None
    return NeuronActivity(len(cells), whole, tuple(a.name for a in acts), tuple(pieces), tuple(on),
                          tuple(off), tuple(dead), tuple(always))

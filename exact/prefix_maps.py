"""Exact layer maps of a network on the activation patterns of many cells, made when asked for.

A cell's pattern fixes, for every hidden layer ``l``, the exact affine map of that layer's
pre-activations as a function of the input: it depends only on the pieces of the layers
before ``l`` (the cell's *prefix* at ``l``).  Cells that share a prefix share the map, so
the maps are kept per prefix, made from the parent prefix's map (one layer shorter), and
a prefix that differs from the one made just before it in a few neurons of one layer is
updated instead of recomputed (the idea of :class:`exact.layer_split` kept cell by cell).

Exact throughout, on Python integers: the three coefficients ``(a, b, c)`` of a row are
packed into one integer ``a + b 2^K + c 2^(2K)`` with a field width ``K`` bounded a
priori from the weights (every field of every layer stays below ``2^(K-1)`` in absolute
value), so a row of a product costs one multiplication per weight instead of three.
Packing is linear, so sums and products by integers of packed rows are the packed sums;
fields are read back only at the end.

Examples
--------
>>> import numpy as np
>>> from exact.network import ExactNet
>>> net = ExactNet.from_layers([([[1, 0], [0, 1]], [0, 0]), ([[1, 1]], [-1]), ([[2]], [0])])
>>> pm = PrefixMaps(net, np.array([[1, 1, 1], [1, 0, 0]], dtype=np.int8))
>>> pm.row(1, 0, 0)           # neuron 0 of hidden layer 2 in cell 0: x + y - 1
((1, 1, -1), 1)
>>> str(pm.output_map(0))     # 2 relu(x + y - 1) where both inputs are on
'(2)*x1 + (2)*x2 + (-2)'
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from itertools import repeat
from operator import add, itemgetter, mul

import numpy as np

from .network import AffineMap, ExactNet
from .predicates import Line, canonical_line

__all__ = ["PrefixMaps"]


class PrefixMaps:
    """Exact pre-activation maps of every hidden layer on the prefixes of given patterns.

    Parameters
    ----------
    net : ExactNet
        A network with 2-D input and at least one hidden layer.
    patterns : ndarray of int8, shape (C, N)
        Piece index of every hidden neuron (layer order) in each cell.

    Attributes
    ----------
    scales : list of int
        ``scales[l]``: the positive common denominator of hidden layer ``l``'s rows (and,
        last, of the output rows).
    rows_made : int
        How many layer maps (one per prefix and layer) were built so far: 0 until a map is
        asked for.

    Notes
    -----
    Maps of the hidden layers before the last are kept (one per prefix, ``k`` packed
    integers); those of the last hidden layer are made per request and dropped, since
    each is used by one or two cells.  Cost per prefix: ``k k'`` integer products for a
    map made from its parent, ``k`` per neuron that differs from the previous sibling.
    """

    def __init__(self, net: ExactNet, patterns: np.ndarray):
        self.net = net
        self.patterns = patterns
        layers = net.integer_layers()
        self.widths = list(net.widths[1:-1])
        self.offs = np.concatenate([[0], np.cumsum(self.widths)]).astype(np.int64)
        self.n_hidden = len(self.widths)
        self.W = [[list(r) for r in layer.Wi] for layer in layers]
        self.Wcols = [[list(c) for c in zip(*layer.Wi)] for layer in layers]
        forms = [act.integer_form for act in net.activations]
        self.bps = [[(b.numerator, b.denominator) for b in act.breakpoints] for act in net.activations]
        scales = [layers[0].scale]
        for l in range(1, len(layers)):
            scales.append(layers[l].scale * forms[l - 1][0] * scales[l - 1])
        self.scales = scales
        self.K = _field_width(layers, forms, scales)
        self._off = sum(1 << (self.K * c + self.K - 1) for c in range(3))
        self._mask = (1 << self.K) - 1
        c2 = 2 * self.K
        # the bias of each layer's rows, packed in the constant field, over that layer's scale
        self.bterm = [[b << c2 for b in layers[0].bi]]
        for l in range(1, len(layers)):
            self.bterm.append([(b * forms[l - 1][0] * scales[l - 1]) << c2 for b in layers[l].bi])
        # activated row on piece q: slope * z + intercept * scale (in the constant field)
        self.piece = [[(sl, (ic * scales[l]) << c2) for sl, ic in zip(f[1], f[2])]
                      for l, f in enumerate(forms)]
        first = [w0 + (w1 << self.K) + t for (w0, w1), t in zip(layers[0].Wi, self.bterm[0])]
        self._kept: list[dict[int, list[int]]] = [{0: first}] + [{} for _ in range(self.n_hidden - 1)]
        self._ids: list[tuple[np.ndarray, np.ndarray] | None] = [None] * self.n_hidden
        self.rows_made = 0

    def unpack(self, z: int) -> tuple[int, int, int]:
        """Read the three coefficients of a packed row.

        Parameters
        ----------
        z : int
            ``a + b 2^K + c 2^(2K)``.

        Returns
        -------
        (int, int, int)
        """
        u, K, m, h = z + self._off, self.K, self._mask, 1 << (self.K - 1)
        return (u & m) - h, ((u >> K) & m) - h, ((u >> (2 * K)) & m) - h

    def prefix_ids(self, l: int) -> tuple[np.ndarray, np.ndarray]:
        """Return the number of each cell's prefix at hidden layer ``l`` (its pieces in earlier layers).

        Parameters
        ----------
        l : int
            Hidden layer, from 0.

        Returns
        -------
        ids : ndarray of int64, shape (C,)
            The prefix of each cell, numbered in lexicographic order of the pieces.
        rep : ndarray of int64
            A cell with each prefix.
        """
        if self._ids[l] is None:
            o = int(self.offs[l])
            if o == 0:
                self._ids[l] = (np.zeros(len(self.patterns), np.int64), np.zeros(1, np.int64))
            else:
                view = np.ascontiguousarray(self.patterns[:, :o]).view(np.dtype((np.void, o))).ravel()
                _, rep, ids = np.unique(view, return_index=True, return_inverse=True)
                self._ids[l] = (ids.reshape(-1).astype(np.int64), rep.astype(np.int64))
        return self._ids[l]

    def layer_maps(self, l: int, cells: Sequence[int]) -> dict[int, list[int]]:
        """Return hidden layer ``l``'s packed rows on the prefixes of ``cells``, made if needed.

        Parameters
        ----------
        l : int
            Hidden layer, from 0.
        cells : sequence of int
            Cells whose prefixes are wanted.

        Returns
        -------
        dict
            Prefix id (:meth:`prefix_ids`) to the ``k`` packed rows, over ``scales[l]``.
        """
        ids, rep = self.prefix_ids(l)
        want = np.unique(ids[np.asarray(cells, dtype=np.int64)])
        kept = self._kept[l] if l < self.n_hidden - 1 else {}
        if l == 0:
            return self._kept[0]
        missing = [p for p in want.tolist() if p not in kept]
        if not missing:
            return kept
        parents = self.layer_maps(l - 1, rep[missing])
        pids = self.prefix_ids(l - 1)[0]
        o0, o1 = int(self.offs[l - 1]), int(self.offs[l])
        W, cols, bterm, piece = self.W[l], self.Wcols[l], self.bterm[l], self.piece[l - 1]
        prev_parent, prev_pieces, prev_z = -1, None, None
        for p in missing:
            cell = int(rep[p])
            parent = int(pids[cell])
            pieces = self.patterns[cell, o0:o1]
            zp = parents[parent]
            if parent == prev_parent:
                diff = np.flatnonzero(pieces != prev_pieces).tolist()
            if parent == prev_parent and 2 * len(diff) < len(pieces):
                z = prev_z
                for j in diff:
                    (s1, c1), (s0, c0) = piece[pieces[j]], piece[prev_pieces[j]]
                    d = (s1 - s0) * zp[j] + c1 - c0
                    if d:
                        z = list(map(add, z, map(mul, cols[j], repeat(d))))
            else:
                acts = map(piece.__getitem__, pieces.tolist())
                z = _products(W, [s * zj + c for (s, c), zj in zip(acts, zp)], bterm)
            kept[p] = z
            self.rows_made += 1
            prev_parent, prev_pieces, prev_z = parent, pieces, z
        return kept

    def row(self, l: int, cell: int, j: int, maps: dict[int, list[int]] | None = None
            ) -> tuple[tuple[int, int, int], int]:
        """Return neuron ``j`` of hidden layer ``l``'s exact pre-activation in ``cell``.

        Parameters
        ----------
        l, cell, j : int
            Hidden layer (from 0), cell, neuron within the layer.
        maps : dict, optional
            :meth:`layer_maps` of ``l`` already holding the cell's prefix.

        Returns
        -------
        ((int, int, int), int)
            Integer row ``(a, b, c)`` and the positive scale ``s``: the pre-activation is
            ``(a x + b y + c) / s``.
        """
        if maps is None:
            maps = self.layer_maps(l, [cell])
        return self.unpack(maps[int(self.prefix_ids(l)[0][cell])][j]), self.scales[l]

    def breakpoint_line(self, l: int, cell: int, g: int, q: int, maps: dict[int, list[int]] | None = None
                        ) -> Line:
        """Return the line where global neuron ``g`` (hidden layer ``l``) meets breakpoint ``q`` in ``cell``.

        Parameters
        ----------
        l, cell, g, q : int
            Hidden layer, cell, global neuron index, breakpoint index.
        maps : dict, optional
            As in :meth:`row`.

        Returns
        -------
        Line
            In lowest terms (:func:`exact.predicates.canonical_line`), oriented with the
            cell on its positive side: the side where the neuron's piece is the cell's.
        """
        (za, zb, zc), s = self.row(l, cell, g - int(self.offs[l]), maps)
        bn, bd = self.bps[l][q]
        a, b, c = canonical_line(bd * za, bd * zb, bd * zc - bn * s)
        return (a, b, c) if self.patterns[cell, g] > q else (-a, -b, -c)

    def output_map(self, cell: int, maps: dict[int, list[int]] | None = None) -> AffineMap:
        """Return the network's exact output map on ``cell``.

        Parameters
        ----------
        cell : int
        maps : dict, optional
            :meth:`layer_maps` of the last hidden layer holding the cell's prefix.

        Returns
        -------
        AffineMap
        """
        L = self.n_hidden - 1
        if maps is None:
            maps = self.layer_maps(L, [cell])
        zp = maps[int(self.prefix_ids(L)[0][cell])]
        piece = self.piece[L]
        pieces = self.patterns[cell, int(self.offs[L]):].tolist()
        a = [s * zj + c for (s, c), zj in zip(map(piece.__getitem__, pieces), zp)]
        s = self.scales[-1]
        rows = [self.unpack(z) for z in _products(self.W[-1], a, self.bterm[-1])]
        return AffineMap(tuple((Fraction(ra, s), Fraction(rb, s)) for ra, rb, _ in rows),
                         tuple(Fraction(rc, s) for _, _, rc in rows))


def _products(W: list[list[int]], a: list[int], bterm: list[int]) -> list[int]:
    """Return ``W a + bterm`` on packed rows, skipping the zero entries of ``a`` (neurons off)."""
    nz = [j for j, v in enumerate(a) if v]
    if len(nz) < 2:
        return [t + sum(row[j] * a[j] for j in nz) for row, t in zip(W, bterm)]
    pick = itemgetter(*nz)
    an = pick(a)
    return [sum(map(mul, pick(row), an)) + t for row, t in zip(W, bterm)]


def _field_width(layers, forms, scales) -> int:
    """Bits per packed field: a bound on every coefficient of every layer's rows, plus a sign bit.

    ``|z| <= R M + |b| S`` through a layer (``R`` the largest absolute row sum of its
    integer weights, ``M`` the bound on the activated rows before it), exactly in integers.
    """
    def row_sum(Wi) -> int:
        return max((sum(abs(v) for v in r) for r in Wi), default=0)

    bound = max([abs(v) for r in layers[0].Wi for v in r] + [abs(v) for v in layers[0].bi] + [1])
    for l in range(1, len(layers)):
        _, sl, ic = forms[l - 1]
        act = max(abs(v) for v in sl) * bound + max(abs(v) for v in ic) * scales[l - 1]
        bound = max(bound, row_sum(layers[l].Wi) * act
                    + max((abs(v) for v in layers[l].bi), default=0) * forms[l - 1][0] * scales[l - 1])
    return bound.bit_length() + 2

"""The table of certified cells: patterns, vertices, neighbours and the linear count.

:class:`BatchedCells` is what :func:`~exact._certified.subdivision.batched_cells` returns:
every cell's activation pattern and float vertices with certified error bounds.  Because
every test that built it was certified, each inner edge lies on exactly one neuron's
line and the cell across it has the same pattern with that neuron flipped, so
neighbours are found from the patterns alone (:func:`above_neighbours`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import Undecided
from ..network import ExactNet, nonzero_structure
from .blocks import even_chunks
from .bounds import quiet_floats

__all__ = ["BatchedCells", "above_neighbours"]


@dataclass
class BatchedCells:
    """Activation cells found by :func:`~exact._certified.subdivision.batched_cells`.

    Attributes
    ----------
    net : ExactNet
        The network the cells belong to.
    patterns : ndarray of int8, shape (C, N)
        Piece index of every hidden neuron (layer order) in each cell.
    start, nv : ndarray of int64, shape (C,)
        Cell ``c`` owns vertices ``start[c] : start[c] + nv[c]`` (counter-clockwise).
    x, y, err : ndarray of float64, shape (V,)
        Vertex coordinates and a bound on their max-norm distance from the exact vertex.
    label : ndarray of int64, shape (V,)
        Line of the edge from each vertex to the next: ``-1`` for the window border, else
        an index into ``label_neuron`` / ``label_piece``.
    label_neuron, label_piece : ndarray of int64
        Global neuron index and breakpoint index of each line label.
    out : ndarray of float64, shape (C, m, 3)
        Output map ``(d/dx, d/dy, offset)`` of each cell.
    out_err : ndarray of float64, shape (m, 3)
        Entrywise error bound of ``out``, valid in every cell.
    hashes, hash_keys : ndarray of uint64
        ``hashes[c] = sum_g patterns[c, g] * hash_keys[g]`` (wrapping), kept up to date
        during the splits, to find neighbours.
    lines : ndarray of float64, shape (V, 3)
        Float coefficients ``(a, b, c)`` of the line of the edge from each vertex to the next.
    """

    net: ExactNet
    patterns: np.ndarray
    start: np.ndarray
    nv: np.ndarray
    x: np.ndarray
    y: np.ndarray
    err: np.ndarray
    label: np.ndarray
    label_neuron: np.ndarray
    label_piece: np.ndarray
    out: np.ndarray
    out_err: np.ndarray
    hashes: np.ndarray
    hash_keys: np.ndarray
    lines: np.ndarray

    def __len__(self) -> int:
        return len(self.patterns)

    @quiet_floats
    def adjacent_pairs(self) -> np.ndarray:
        """Pairs ``(i, j)``, ``i < j``, of cells sharing an edge of positive length (each once).

        The cell across an edge on breakpoint line ``(g, q)`` has the pattern of this one
        with neuron ``g`` moved across breakpoint ``q`` (see the module notes).  Patterns are
        matched by a hash and then compared in full, so a collision cannot join the wrong
        cells.

        Returns
        -------
        ndarray of int64, shape (P, 2)
            The pairs ``(i, j)``.

        Raises
        ------
        Undecided
            If some edge has no matching cell (which the certified construction rules
            out; the exact engine is then used).
        """
        return self._pairs_and_neurons()[0]

    def _pairs_and_neurons(self) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`adjacent_pairs`, and the global neuron whose line separates each pair."""
        _, cell, nb, g = above_neighbours(self.patterns, self.hashes, self.hash_keys, self.nv, self.label,
                                          self.label_neuron, self.label_piece)
        # two convex cells share at most one edge, and the lower one never sees this edge
        # from above, so each pair appears once
        return np.stack([np.minimum(cell, nb), np.maximum(cell, nb)], axis=1), g

    def linear_count(self) -> int:
        """Count the linear regions: cells joined across edges where the output map is unchanged.

        Returns
        -------
        int
            The number of linear regions, ``max(linear_labels()) + 1``.

        Raises
        ------
        Undecided
            As :meth:`adjacent_pairs`.
        """
        return max(self.linear_labels(), default=-1) + 1

    @quiet_floats
    def linear_labels(self) -> list[int]:
        """Label each cell with its linear region: cells joined across edges where the map is unchanged.

        Across an edge only neuron ``g`` changes piece, so the two output maps differ by
        ``J (s' - s)(z_g - beta)``, where ``J`` is the gain from neuron ``g`` to the output
        under the downstream pattern both cells share and ``z_g - beta`` is not constant.
        Maps further apart than their error bounds are different; of the rest, a pair is
        equal when every path from ``g`` to the output meets a zero weight or a neuron on a
        zero-slope piece (``J = 0`` structurally), and is compared exactly otherwise.

        Returns
        -------
        list of int
            The linear region of each cell, ``0, 1, ...`` in order of first appearance
            (:func:`exact.adjacency.component_labels`).

        Raises
        ------
        Undecided
            As :meth:`adjacent_pairs`.
        """
        pairs, flipped = self._pairs_and_neurons()
        if len(pairs) == 0:
            return list(range(len(self)))
        i, j = pairs[:, 0], pairs[:, 1]
        apart = np.abs(self.out[i] - self.out[j]) > 2 * self.out_err
        close = ~apart.reshape(len(pairs), -1).any(axis=1)
        maybe, flipped = pairs[close], flipped[close]
        if len(maybe) == 0:
            return list(range(len(self)))
        from ..adjacency import component_labels
        from ..network import affine_on_pattern

        gain_free = self._zero_gain(maybe[:, 0], flipped).tolist()

        def same_map(a: int, b: int) -> bool:
            f = [affine_on_pattern(self.net, tuple(self.patterns[c].tolist())) for c in (a, b)]
            return f[0] == f[1]

        joined = [(a, b) for (a, b), free in zip(maybe.tolist(), gain_free) if free or same_map(a, b)]
        return component_labels(len(self), joined)

    def _zero_gain(self, cells: np.ndarray, neurons: np.ndarray) -> np.ndarray:
        """Tell, for each (cell, global neuron), whether the neuron's gain to the output is zero.

        The gain is structurally zero when no path from the neuron to the output avoids zero
        weights and zero-slope pieces of the cell's pattern (exact: sums of 0/1 in float32).
        The pairs go by the neuron's layer, in chunks of (pair, neuron) arrays.
        """
        widths = self.net.widths[1:-1]
        offs = np.cumsum((0,) + widths)
        nz, live = nonzero_structure(self.net)
        nzf = [a.T.astype(np.float32) for a in nz]  # (inputs, outputs)
        out = np.zeros(len(cells), dtype=bool)
        layer = np.searchsorted(offs, neurons, side="right") - 1
        for l in range(len(widths)):
            sel = (layer == l).nonzero()[0]
            for lo, hi in even_chunks(len(sel), max(widths)):
                s = sel[lo:hi]
                fed = nzf[l + 1][neurons[s] - offs[l]] > 0  # (P, next width): fed by the neuron
                for m in range(l + 1, len(widths)):
                    alive = live[m][self.patterns[cells[s], offs[m] : offs[m + 1]]]
                    fed = (fed & alive).astype(np.float32) @ nzf[m + 1] > 0
                out[s] = ~fed.any(axis=1)
        return out


def above_neighbours(patterns: np.ndarray, hashes: np.ndarray, hash_keys: np.ndarray, nv: np.ndarray,
                     label: np.ndarray, label_neuron: np.ndarray, label_piece: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every inner edge once, seen from the cell above its line, with the cell across it.

    Cells and vertices as in :class:`BatchedCells` (vertices of cell ``c`` contiguous, in cell
    order, ``nv[c]`` of them).  Patterns are matched by hash, then compared in full.

    Parameters
    ----------
    patterns : ndarray of int8, shape (C, N)
        Piece index of every hidden neuron in each cell.
    hashes : ndarray of uint64, shape (C,)
        ``sum_g patterns[c, g] * hash_keys[g]`` (wrapping) for each cell.
    hash_keys : ndarray of uint64, shape (N,)
        The hash key of each neuron.
    nv : ndarray of int64, shape (C,)
        Number of vertices of each cell.
    label : ndarray of int64, shape (V,)
        Line label of the edge from each vertex to the next (-1: the window).
    label_neuron, label_piece : ndarray of int64, shape (n_labels,)
        Global neuron and breakpoint of each line label.

    Returns
    -------
    v : ndarray of int64, shape (n,)
        The edge from vertex ``v`` to the next lies on a line of neuron ``g``.
    cell : ndarray of int64, shape (n,)
        The cell above that line.
    nb : ndarray of int64, shape (n,)
        The cell across the edge: the same pattern with ``g`` one piece lower.
    g : ndarray of int64, shape (n,)
        The neuron.

    Raises
    ------
    Undecided
        If an edge's line does not separate its cell from the next piece, or no cell has
        the pattern across an edge (both ruled out by the certified construction).
    """
    C, N = patterns.shape
    cov = np.arange(C).repeat(nv)
    v = (label >= 0).nonzero()[0]
    cell = cov[v]
    g = label_neuron[label[v]]
    q = label_piece[label[v]]
    p = patterns[cell, g].astype(np.int64)
    if not np.all((p == q + 1) | (p == q)):
        raise Undecided("an edge's line does not separate its cell from the next piece")
    # each shared edge once, from the cell above its line; the neighbour is one piece lower
    above = p == q + 1
    v, cell, g = v[above], cell[above], g[above]
    hn = hashes[cell] - hash_keys[g]
    order = np.argsort(hashes, kind="stable")
    hs = hashes[order]
    pos = np.minimum(np.searchsorted(hs, hn), C - 1)
    nb = order[pos]
    if not np.all(hs[pos] == hn):
        raise Undecided("a cell across an edge was not found")
    # verify each match in full: the neighbour's pattern is this one's with neuron g one lower
    row = np.dtype((np.void, N))
    for lo, hi in even_chunks(len(cell), N):  # (edge, neuron) arrays, a chunk at a time
        moved = patterns[cell[lo:hi]]
        moved[np.arange(hi - lo), g[lo:hi]] -= 1
        if not np.array_equal(moved.view(row), patterns[nb[lo:hi]].view(row)):
            raise Undecided("pattern hash collision")
    return v, cell, nb, g

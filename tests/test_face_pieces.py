"""Each face's pieces after a layer's split (exact._certified.pieces), checked against the exact engine.

A layer with many face-chord pairs places the faces with an edge on their cell's border by
the border order and spreads the pieces to the others across the chords (from each cell's
first face only when the border faces alone make too many pairs); the patterns must be the
exact engine's (exact.layer_split.enumerate_cells), cell for cell, on every path.
"""

from fractions import Fraction

import numpy as np
import pytest

import exact
import numeric
from exact._certified import blocks, pieces
from exact._certified.subdivision import batched_cells
from exact.layer_split import enumerate_cells
from exact.windows import rectangle_window

PATHS = {"every face tested": 1 << 40, "spread from the border faces": None, "spread from one face a cell": 64}  # BLOCK / 4 = 16 pairs


@pytest.mark.parametrize("widths, seed", [([2, 40, 1], 1), ([2, 30, 30, 1], 2), ([2, 12, 12, 12, 1], 3)])
@pytest.mark.parametrize("path", list(PATHS))
def test_batched_patterns_are_the_exact_engines(widths, seed, path, monkeypatch):
    roots = []  # per spread: (roots, cut cells), a layer's path
    real = pieces._spread_pieces

    def spy(out, r, ch, *args):
        roots.append((len(r), len(np.unique(ch.cell))))   # (roots, cut cells)
        return real(out, r, ch, *args)

    monkeypatch.setattr(pieces, "_spread_pieces", spy)
    if PATHS[path] is not None:
        monkeypatch.setattr(blocks, "BLOCK", PATHS[path])
    net = exact.as_exact_net(numeric.seeded_mlp(widths, seed=seed))
    w = rectangle_window(Fraction(-5), Fraction(4), Fraction(-3), Fraction(6))
    got = batched_cells(net, w)
    want = enumerate_cells(net, w.verts, w.edges)
    assert sorted(bytes(p) for p in got.patterns) == sorted(bytes(bytearray(c.pattern)) for c in want)
    if path == "every face tested":
        assert roots == []
    elif path == "spread from the border faces":   # the first layer of 2-40-1 at least
        assert any(n > cells for n, cells in roots) or widths != [2, 40, 1]
    else:
        assert roots and all(n == cells for n, cells in roots)


def test_roots_placed_apart_that_disagree_across_a_chord_go_to_another_method(monkeypatch):
    """Soundness review: the spread never compared one root face with another, so a wrong border order would
    have given wrong patterns silently; a root that disagrees with its neighbour across a chord is Undecided,
    and the layer is split in rounds instead (the patterns stay the exact engine's)."""
    from exact.errors import Undecided

    real, check, raised = pieces._chords_below, pieces._check_roots, []

    def drop_one(layer, ch, arr, faces, fi, first, L):  # a root face misses one of the chords below it
        f, x = real(layer, ch, arr, faces, fi, first, L)
        return (f[1:], x[1:]) if len(fi) > len(np.unique(faces.cell[fi])) and len(f) else (f, x)

    def spy(*args):
        try:
            check(*args)
        except Undecided as why:
            raised.append(str(why))
            raise

    monkeypatch.setattr(pieces, "_chords_below", drop_one)
    monkeypatch.setattr(pieces, "_check_roots", spy)
    net = exact.as_exact_net(numeric.seeded_mlp([2, 40, 1], seed=1))
    w = rectangle_window(Fraction(-5), Fraction(4), Fraction(-3), Fraction(6))
    got = batched_cells(net, w)
    assert raised and "disagree across a chord" in raised[0]
    want = enumerate_cells(net, w.verts, w.edges)
    assert sorted(bytes(p) for p in got.patterns) == sorted(bytes(bytearray(c.pattern)) for c in want)

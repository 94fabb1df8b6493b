"""The exact objects of certified cells made a block at a time (exact.cell_blocks, from the residues
of exact.residue_maps) against the same objects made cell by cell with Python integers
(exact.prefix_maps.PrefixMaps: a cell's edge lines, their crossings, its output map)."""

import math
import random
from fractions import Fraction

import numpy as np
import pytest
from catalogue import scaled_random_nets, seeded_torch

from exact import ExactNet, from_torch, regions
from exact.cell_blocks import block_polygons
from exact.certified_regions import certified_window_regions
from exact.errors import Undecided
from exact.polygon_areas import polygon_area
from exact.predicates import intersect_lines
from exact.prefix_maps import PrefixMaps
from exact.residue_maps import crt_ints, word_primes


def _per_cell(src, c):
    """Cell ``c``'s polygon and output rows, one cell at a time with PrefixMaps (the reference)."""
    t, pm = src.table, PrefixMaps(src.table.net, src.table.patterns)
    edges = []
    for v in range(int(t.start[c]), int(t.start[c] + t.nv[c])):
        lab = int(t.label[v])
        if lab < 0:
            edges.append(src.window_edges[int(src.side[v])])
            continue
        g, q = int(t.label_neuron[lab]), int(t.label_piece[lab])
        edges.append(pm.breakpoint_line(int(src.layer_of[g]), c, g, q))
    verts = tuple(map(intersect_lines, edges[-1:] + edges[:-1], edges))
    aff = pm.output_map(c)
    s = pm.scales[-1]
    rows = tuple((int(a * s), int(b * s), int(o * s)) for (a, b), o in zip(aff.gradient, aff.offset))
    return (verts, tuple(edges)), rows


def _assert_blocks_match(net, w, sample=None):
    src = certified_window_regions(net, w).certified
    cells = np.arange(len(src))
    if sample is not None and len(cells) > sample:
        cells = np.array(sorted(random.Random(0).sample(range(len(src)), sample)))
    polys, outs = block_polygons(src, cells[::-1].copy())  # any order
    for c, poly, out in zip(cells[::-1].tolist(), polys, outs):
        assert (poly, out) == _per_cell(src, c), c
    # and the shared objects: every vertex of a block is one tuple per point
    seen = {}
    for verts, _ in polys:
        for p in verts:
            assert seen.setdefault(p, p) is p
    if sample is None:
        assert sum(polygon_area(v) for v, _ in polys) == 4 * w * w
    return src


@pytest.mark.parametrize("widths, seed", [([2, 5, 5, 1], 0), ([2, 8, 8, 8, 2], 3), ([2, 16, 16, 16, 1], 1)])
def test_block_objects_equal_the_per_cell_ones(widths, seed):
    _assert_blocks_match(from_torch(seeded_torch(widths, seed=seed)), Fraction(10), sample=150)


def test_block_objects_on_stress_nets_of_every_activation():
    checked = set()
    for layers, act, half in scaled_random_nets(11, 30):
        try:
            _assert_blocks_match(ExactNet.from_layers(layers, activation=act), half)
        except Undecided:
            continue
        checked.add(act)
    assert checked >= {"relu", "leaky_relu", "hardtanh", "abs"}  # the masked and the general products


@pytest.mark.parametrize("scale", [1e100, 1e-100])
def test_block_objects_at_huge_and_tiny_weight_scales(scale):
    net = from_torch(seeded_torch([2, 6, 6, 6, 1], seed=2))
    # the first layer and every bias times 1e+-100: each pre-activation scaled (ReLU keeps the lines),
    # integer rows of over 400 bits (weights near 1 beside biases near 1e+-100)
    layers = [(np.array(W, dtype=float) * (scale if l == 0 else 1.0), np.array(b, dtype=float) * scale)
              for l, (W, b) in enumerate(zip(net.weights, net.biases))]
    big = ExactNet.from_layers([(W.tolist(), b.tolist()) for W, b in layers])
    src = _assert_blocks_match(big, Fraction(5))
    assert src.maps.K > 400 and len(src.blocks.primes) > 15  # many moduli, all used


def test_regions_with_many_lines_through_a_vertex_still_agree():
    # four lines through the origin and deeper lines through it: the certified floats cannot decide
    # the ties, so regions() hands the net to the exact engine; the block path never guesses
    net = ExactNet.from_layers([([[1, 0], [0, 1], [1, 1], [1, -1]], [0, 0, 0, 0]),
                                ([[1, -1, 1, 2], [2, 1, -1, 1]], [1, -1]), ([[1, -2]], [0])])
    with pytest.raises(Undecided, match="too close"):
        certified_window_regions(net, Fraction(3))
    r = regions(net, window=3)
    at_origin = [c for c in r if (0, 0, 1) in c.verts]
    assert len(at_origin) >= 8 and r.certified is None
    assert sum(c.exact_area for c in r) == 36


def test_crt_ints_recovers_signed_big_integers():
    rng = random.Random(5)
    primes = word_primes(23, 9)
    M = math.prod(primes)
    vals = [rng.randrange(-(M // 2) + 1, M // 2 + 1) for _ in range(500)] + [0, 1, -1, M // 2, -(M // 2) + 1]
    res = np.array([[v % p for v in vals] for p in primes], dtype=np.int64)
    assert crt_ints(res, primes) == vals


def test_word_primes_are_the_largest_primes_below_the_bound():
    def prime(n):
        return n > 1 and all(n % d for d in range(2, math.isqrt(n) + 1))

    got = word_primes(16, 5)
    assert got == [n for n in range(2**16 - 1, 2**15, -1) if prime(n)][:5]

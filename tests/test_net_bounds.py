"""The certified engine's per-network data (exact._certified.float_net.net_bounds), made once per network.

A tiled count splits many windows of one network; what does not depend on the window (float
weights, a priori map bounds, line error bounds) is made once.  The cache must never hand one
network another's data: it is keyed by the network object itself, which cannot change.
"""

from fractions import Fraction

import numpy as np
import pytest

import exact
import numeric
from exact._certified import float_net
from exact._certified.bounds import first_map, layer_bounds, line_errors
from exact._certified.float_net import act_floats, float_weights, net_bounds
from exact.network import ExactNet


def _fresh(net):
    """The bounds computed layer by layer, as the engine did before the cache."""
    Ws, bs, EW, Eb = float_weights(net)
    _, E, A = first_map(Ws, bs, EW, Eb, 1)
    As, Es, lines = [A], [E], []
    for l, act in enumerate(net.activations):
        bps, _, _, consts = act_floats(act)
        lines.append(np.stack([line_errors(E, A, b, eb) for b, eb in bps], axis=1).reshape(-1, 3))
        A, E = layer_bounds(Ws[l + 1], bs[l + 1], EW[l + 1], Eb[l + 1], A, E, consts)
        As.append(A)
        Es.append(E)
    return Ws, bs, EW, Eb, As, Es, lines


def _same(bounds, fresh):
    groups = (bounds.Ws, bounds.bs, bounds.EW, bounds.Eb, bounds.A, bounds.E, bounds.line_err)
    return all(len(g) == len(f) and all(np.array_equal(a, b) for a, b in zip(g, f)) for g, f in zip(groups, fresh))


def _seeded(seed, act="relu", widths=(2, 8, 8, 1)):
    return exact.as_exact_net(numeric.seeded_mlp(list(widths), seed=seed, activation=act))


@pytest.mark.parametrize("act", ["relu", "hardtanh", "leaky_relu"])
def test_net_bounds_are_the_layer_by_layer_bounds(act):
    net = _seeded(3, act)
    assert _same(net_bounds(net), _fresh(net))
    rational = ExactNet.from_layers([([[Fraction(1, 3), 1], [1, Fraction(-2, 7)]], [Fraction(1, 5), 0]),
                                     ([[1, Fraction(1, 3)]], [0])])
    b = net_bounds(rational)
    assert _same(b, _fresh(rational)) and b.EW[0][0, 0] > 0 == b.EW[0][0, 1]   # 1/3 rounds, 1 does not


def test_each_network_gets_its_own_bounds_even_when_equal_in_shape():
    # nets alike in every shape, one weight apart: alternating them, each gets its own data
    a = ExactNet.from_layers([([[1, 0], [0, 1]], [0, 0]), ([[1, 1]], [0])])
    b = ExactNet.from_layers([([[1, 0], [0, 1]], [0, Fraction(1, 2)]), ([[1, 1]], [0])])
    for _ in range(2):
        assert net_bounds(a).bs[0].tolist() == [0.0, 0.0]
        assert net_bounds(b).bs[0].tolist() == [0.0, 0.5]
    twin = ExactNet.from_layers([([[1, 0], [0, 1]], [0, 0]), ([[1, 1]], [0])])   # equal to a, another object
    assert twin == a and net_bounds(twin) is not net_bounds(a) and _same(net_bounds(twin), _fresh(a))


def test_the_cache_holds_a_few_networks_and_its_arrays_cannot_be_changed():
    nets = [_seeded(s) for s in range(6)]
    first = net_bounds(nets[0])
    for n in nets[1:]:
        net_bounds(n)
    assert len(float_net._BOUNDS) == 4 and all(held is not nets[0] for held, _ in float_net._BOUNDS)
    again = net_bounds(nets[0])                    # evicted: made again, the same numbers
    assert again is not first and _same(again, _fresh(nets[0]))
    with pytest.raises(ValueError, match="read-only"):
        again.E[1][0, 0] = 0.0


def test_counts_of_networks_one_weight_apart_stay_their_own_in_tiles():
    # two nets whose cached data would differ only in one bias; counted in tiles alternately,
    # each gives its own untiled count (a wrongly keyed cache would give one the other's lines)
    a = _seeded(11, widths=(2, 16, 16, 1))
    Ws = [np.array(W, dtype=float) for W in a.float_layers()[0]]
    bs = [np.array(v, dtype=float) for v in a.float_layers()[1]]
    bs[0][0] += 0.75
    b = ExactNet.from_layers(list(zip(Ws, bs)))
    ref = {id(a): exact.count_regions(a, window=4), id(b): exact.count_regions(b, window=4)}
    assert ref[id(a)] != ref[id(b)]
    for net in (a, b, a, b):
        assert exact.count_regions(net, window=4, tiles=3) == ref[id(net)]

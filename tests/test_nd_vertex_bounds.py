"""The a-priori vertex bound (exact.nd.vertex_bounds.vertex_bound) against brute force, and its scale invariance.

The bound must exceed every coordinate of every point solving ``d`` independent rows of any
activation pattern (Cramer's rule needs no feasibility), for every activation with
breakpoints (ReLU, leaky ReLU, abs, hardtanh with its intercepts) and any rational weights.
Brute force here: every pattern of a tiny net, every ``d`` of its rows
(``whole_space.pattern_rows``) solved exactly.  Since issue 18 each row's normal is divided by
an integer known to divide it on every pattern, so a layer scaled by ``c`` (and the next
layer by ``1 / c``: the same function, the same cells) keeps its bound, and 1e200 no longer
sends the whole space to the growing-cube fallback.

Checked to fail on purpose (by hand, then put back): with each row's divisor doubled in the
ratio (``2 * b.denominator * gz``) the 1-D cases ``6x = 600`` and hardtanh fail; with the
breakpoint's denominator squared there, the hardtanh case (breakpoints at +-1/3) fails; with
the divisor passed to the next layer doubled (``div = [2 * gz * ...]``), the brute-force
hypothesis test fails; with the old bound (no divisors), the 1-D tightness cases (too loose)
and every scale test (2000-bit bounds, the fallback taken) fail.
"""

from __future__ import annotations

import itertools
from fractions import Fraction as F

import pytest
from catalogue import seeded_torch
from hypothesis import given, settings
from hypothesis import strategies as st
from test_nd_polytope import solve

from exact.activations import get_activation
from exact.loading import as_exact_net
from exact.nd import count_regions_nd, regions_nd, whole_space
from exact.nd.vertex_bounds import BOUND_BITS, vertex_bound
from exact.nd.whole_space import pattern_rows
from exact.network import ExactNet

ACTS = {"relu": (), "leaky_relu": (F(1, 4),), "abs": (), "hardtanh": (F(-1, 3), F(1, 3))}


def largest_solution(net):
    """The largest coordinate magnitude of any point solving ``d`` independent rows of any pattern."""
    d = net.input_dim
    pieces = [len(act.breakpoints) + 1 for act, W in zip(net.activations, net.weights[:-1]) for _ in W]
    far = F(0)
    for pattern in itertools.product(*(range(k) for k in pieces)):
        rows = pattern_rows(net, pattern)
        for sub in itertools.combinations(rows, d):
            x = solve([r[:-1] for r in sub], [-r[-1] for r in sub])
            if x is not None:
                far = max(far, *(abs(v) for v in x))
    return far


@pytest.mark.parametrize("layers, acts, far", [
    ([([[6]], [-600]), ([[1]], [0])], ["relu"], 100),                                   # 6x = 600
    ([([[3]], [-3]), ([[2]], [-12]), ([[1]], [0])], ["relu", "relu"], 3),                # 2 (3x - 3) = 12
    # 4 leaky(3x/2 - 9/2) = 8: on 6x = 26, off (slope 1/4) 3x/2 - 9/2 = 8 (outside its piece: still solved)
    ([([[F(3, 2)]], [F(-9, 2)]), ([[4]], [-8]), ([[1]], [0])], ["leaky_relu", "relu"], F(25, 3)),
    ([([[3]], [-30]), ([[1]], [0])], ["hardtanh"], F(91, 9)),                          # 3x - 30 = +-1/3
])
def test_one_d_bounds_are_tight_up_to_a_power_of_two(layers, acts, far):
    """In 1-D the bound is ``|c| / g`` rounded up to a power of two: here the farthest point found by hand."""
    net = ExactNet.from_layers(layers, [get_activation(a, *ACTS[a]) for a in acts])
    assert largest_solution(net) == far
    assert far < vertex_bound(net) <= 4 * far


@st.composite
def scaled_nets(draw):
    d = draw(st.integers(1, 3))
    widths = [d] + draw(st.lists(st.integers(1, 2), min_size=1, max_size=2)) + [1]
    small = st.integers(-4, 4)
    layers = []
    for a, b in zip(widths[:-1], widths[1:]):
        c = draw(st.sampled_from([F(1), F(6), F(1, 3), F(2) ** 300, F(2) ** -300, F(1e200), F(5, 7)]))
        W = [[draw(small) * c for _ in range(a)] for _ in range(b)]
        layers.append((W, [draw(st.integers(-20, 20)) * c for _ in range(b)]))
    acts = [draw(st.sampled_from(sorted(ACTS))) for _ in widths[1:-1]]
    return ExactNet.from_layers(layers, [get_activation(a, *ACTS[a]) for a in acts])


@given(scaled_nets())
@settings(max_examples=60, deadline=None)
def test_vertex_bound_holds_every_solution_of_every_pattern(net):
    assert largest_solution(net) < vertex_bound(net)


def rescaled(net, layer, c):
    """Layer ``layer`` times ``c`` and the next layer's weights times ``1 / c``: the same function."""
    L = [([list(r) for r in W], list(b)) for W, b in zip(net.weights, net.biases)]
    L[layer] = ([[w * c for w in r] for r in L[layer][0]], [v * c for v in L[layer][1]])
    L[layer + 1] = ([[w / c for w in r] for r in L[layer + 1][0]], L[layer + 1][1])
    return ExactNet.from_layers(L, list(net.activations))


@pytest.mark.parametrize("widths, acts", [([3, 5, 4, 1], "relu"), ([4, 4, 4, 1], "relu"),
                                          ([3, 4, 4, 1], "leaky_relu")])
def test_a_layer_scaled_by_1e200_keeps_its_bound_and_its_single_enumeration(widths, acts, monkeypatch):
    net = as_exact_net(seeded_torch(widths, 2))      # then the activation asked for
    net = ExactNet.from_layers([([list(r) for r in W], list(b)) for W, b in zip(net.weights, net.biases)],
                               [get_activation(acts, *ACTS[acts])] * (len(widths) - 2))
    r = regions_nd(net, window=None)
    for layer, c in itertools.product(range(len(widths) - 2), (F(1e200), F(2) ** -700, F(3) ** 400)):
        big = rescaled(net, layer, c)
        assert vertex_bound(big).bit_length() <= vertex_bound(net).bit_length() + 1 <= BOUND_BITS
    big = rescaled(net, 0, F(1e200))
    monkeypatch.setattr(whole_space, "_certified_cells", None)     # the growing-cube fallback: not taken
    again = regions_nd(big, window=None)
    assert sorted(c.pattern for c in again) == sorted(c.pattern for c in r) and again.hi == r.hi
    assert count_regions_nd(big, window=None) == (r.n_activation, r.n_linear)

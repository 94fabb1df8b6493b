"""Tiny networks (issue 15): counts of the fast paths against the exact engine, ties included.

Small nets are where fixed costs dominate and where shortcuts for them live (the per-net float
data matched by value, :func:`exact._certified.float_net.net_bounds`).  Every count here is
checked against an independent method: the exact layer splitter
(:func:`engines.exact_engine_regions`, Fraction arithmetic, never the certified floats), and
for one hidden layer in the whole plane the arrangement formula ``1 + n + n(n-1)/2`` of ``n``
lines in general position.  The nets are drawn at random, half of them with ties on purpose:
rows repeated, scaled or negated (parallel and identical lines), lines through one dyadic point
(concurrent), zero rows (a neuron constant in the plane) and zero output weights.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import torch
from engines import exact_engine_regions

import exact
from exact._certified import batched_counts, float_net
from exact._certified.float_net import net_bounds
from exact.errors import Undecided
from exact.network import ExactNet

_GRID = np.array([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0])


def _tied_rows(rng: np.random.Generator, k: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    """``k`` neurons on ``d`` inputs with ties: repeated / scaled / negated rows, a common point, zeros."""
    W = rng.choice(_GRID, size=(k, d))
    b = rng.choice(_GRID, size=k)
    for i in range(1, k):
        kind = rng.integers(5)
        if kind == 0:  # parallel or the same line: a copy scaled by +-1/2, 1, 2
            j = rng.integers(i)
            s = rng.choice([-2.0, -1.0, -0.5, 0.5, 1.0, 2.0])
            W[i], b[i] = s * W[j], s * b[j] if rng.integers(2) else b[i]
        elif kind == 1:  # through the dyadic point p, like row 0 when p is on it
            p = rng.choice(_GRID, size=d) / 4
            b[i] = -float(W[i] @ p)
            b[0] = -float(W[0] @ p)
        elif kind == 2:
            W[i] = 0.0  # a constant neuron (on or off by its bias)
    return W, b


def _random_net(seed: int, depth: int, tied: bool) -> list[tuple[np.ndarray, np.ndarray]]:
    """A 2-k1-...-k_depth-1 net of widths 1 to 5: float weights, or tied ones from a small grid."""
    rng = np.random.default_rng(seed)
    widths = [2, *rng.integers(1, 6, size=depth).tolist(), 1]
    layers = []
    for d, k in zip(widths[:-1], widths[1:]):
        if tied:
            W, b = _tied_rows(rng, k, d)
        else:
            W, b = rng.normal(size=(k, d)), rng.normal(size=k)
        layers.append((W, b))
    if tied and rng.integers(3) == 0:  # an output weight of zero: a neuron the output does not see
        layers[-1][0][0, rng.integers(widths[-2])] = 0.0
    return layers


_CASES = [(seed, depth, tied) for depth in (1, 2, 3, 4) for tied in (False, True) for seed in range(12)]


@pytest.mark.parametrize("seed, depth, tied", _CASES)
def test_tiny_counts_match_the_exact_engine(seed, depth, tied):
    layers = _random_net(100 * depth + seed + (50 if tied else 0), depth, tied)
    net = ExactNet.from_layers(layers)
    half = Fraction(int(np.random.default_rng(seed).choice([1, 3, 10])))
    ref = exact_engine_regions(net, window=half)
    assert exact.count_regions(net, window=half) == (ref.n_activation, ref.n_linear)
    if depth > 1:  # the certified engine alone: right whenever it decides
        try:
            assert batched_counts(net, half) == (ref.n_activation, ref.n_linear)
        except Undecided:
            assert tied  # only ties go to the exact engine


@pytest.mark.parametrize("window", [(-3, 4, -2.5, 1.75), [(-4, -4), (6, -3), (0, 5)], [(-3, -3), (3, -3), (3, 3)]],
                         ids=["rectangle", "triangle", "triangle-on-a-diagonal"])
@pytest.mark.parametrize("seed", range(8))
def test_tiny_counts_in_other_windows_match_the_exact_engine(seed, window):
    net = ExactNet.from_layers(_random_net(700 + seed, 2 + seed % 2, seed % 4 == 0))
    ref = exact_engine_regions(net, window=window)
    assert exact.count_regions(net, window=window) == (ref.n_activation, ref.n_linear)


def test_tied_nets_exercise_the_certified_engine_too():
    # some ties are decided in floats (equal directions, constant neurons, ties outside the
    # window): without these the tied cases above would only test the fallback (6 of 24 here)
    decided = 0
    for seed in range(12):
        for depth in (2, 3):
            net = ExactNet.from_layers(_random_net(100 * depth + seed + 50, depth, True))
            try:
                batched_counts(net, Fraction(3))
            except Undecided:
                continue
            decided += 1
    assert 4 <= decided < 24


@pytest.mark.parametrize("k", [1, 2, 3, 5, 8])
def test_one_hidden_layer_in_general_position_has_the_arrangement_count(k):
    rng = np.random.default_rng(k)
    net = ExactNet.from_layers([(rng.normal(size=(k, 2)), rng.normal(size=k)),
                                (rng.normal(size=(1, k)), rng.normal(size=1))])
    n = 1 + k + k * (k - 1) // 2
    assert exact.count_regions(net, window=None) == (n, n)
    assert exact_engine_regions(net, window=None).n_activation == n


def _module(layers) -> torch.nn.Sequential:
    mods = []
    for i, (W, b) in enumerate(layers):
        lin = torch.nn.Linear(W.shape[1], W.shape[0]).double()
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(np.asarray(W, dtype=float)))
            lin.bias.copy_(torch.from_numpy(np.asarray(b, dtype=float)))
        mods += [lin, torch.nn.ReLU()] if i < len(layers) - 1 else [lin]
    return torch.nn.Sequential(*mods)


@pytest.mark.parametrize("seed", range(4))
def test_a_module_counted_again_reuses_its_float_data_and_counts_the_same(seed):
    layers = _random_net(seed, 3, seed % 2 == 1)
    module = _module(layers)
    ref = exact_engine_regions(ExactNet.from_layers(layers), window=4)
    first = exact.as_exact_net(module)
    assert exact.count_regions(module, window=4) == (ref.n_activation, ref.n_linear)
    again = exact.as_exact_net(module)  # a new network, equal to the first bit for bit
    assert again is not first and net_bounds(again) is net_bounds(first)
    assert exact.count_regions(module, window=4) == (ref.n_activation, ref.n_linear)


def _bounds_of_fresh(layers, activation="relu"):
    """The bounds made afresh (cache emptied), for comparing with a cached answer."""
    held = list(float_net._BOUNDS)
    try:
        float_net._BOUNDS.clear()
        return net_bounds(ExactNet.from_layers(layers, activation=activation))
    finally:
        float_net._BOUNDS[:] = held


def _same(a, b):
    groups = ("Ws", "bs", "EW", "Eb", "A", "E", "line_err")
    return all(len(getattr(a, g)) == len(getattr(b, g))
               and all(x.tobytes() == y.tobytes() for x, y in zip(getattr(a, g), getattr(b, g))) for g in groups)


@pytest.mark.parametrize("change", ["one ulp", "minus zero", "activation", "shape"])
def test_float_data_is_shared_only_by_bitwise_equal_nets(change):
    layers = [(np.array([[1.0, 0.5], [0.0, 1.0]]), np.array([0.25, 0.0])), (np.array([[1.0, -1.0]]), np.array([0.0]))]
    base = ExactNet.from_layers(layers)
    b0 = net_bounds(base)
    act = "relu"
    other = [(W.copy(), b.copy()) for W, b in layers]
    if change == "one ulp":
        other[0][1][0] = np.nextafter(0.25, 1.0)
    elif change == "minus zero":
        other[0][1][1] = -0.0
    elif change == "activation":
        act = "abs"
    else:
        other = [(np.array([[1.0, 0.5], [0.0, 1.0], [0.0, 0.0]]), np.array([0.25, 0.0, 0.0])),
                 (np.array([[1.0, -1.0, 0.0]]), np.array([0.0]))]
    net = ExactNet.from_layers(other, activation=act)
    got = net_bounds(net)
    assert got is not b0 and _same(got, _bounds_of_fresh(other, act))
    twin = ExactNet.from_layers([(W.copy(), b.copy()) for W, b in layers])
    assert net_bounds(twin) is b0  # bit for bit the same: shared

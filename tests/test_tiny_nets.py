"""Tiny networks (issue 15): counts of the fast paths against the exact engine, ties included.

Small nets are where fixed costs dominate and where shortcuts for them live (the per-net float
data matched by value, :func:`exact._certified.float_net.net_bounds`).  Every count here is
checked against an independent method: the exact layer splitter
(:func:`engines.exact_engine_regions`, Fraction arithmetic, never the certified floats), and
for one hidden layer in the whole plane the arrangement formula ``1 + n + n(n-1)/2`` of ``n``
lines in general position.  The nets are drawn at random, half of them with ties on purpose:
rows repeated, scaled or negated (parallel and identical lines), lines through one dyadic point
(concurrent), zero rows (a neuron constant in the plane) and zero output weights.

The plain-Python path for tiny deep nets (:mod:`exact._certified.small_cells`) is called directly
on untied nets (it must decide them), on nets with one tie or extreme each (a line on the window's
border, dead neurons, duplicates, zero rows, layers scaled by 2**+-500, parallel lines: it must agree
or hand over), on other activations and windows, on hypothesis nets of exact Fractions, and on cases
built to need each of its bounds (a jump of 2**-70, gains that cancel only exactly, a triple point of
nearly parallel lines); count_regions is checked to take it.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import torch
from engines import exact_engine_regions
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import exact
import exact._api
from exact._certified import batched_counts, float_net
from exact._certified.float_net import net_bounds
from exact._certified.small_cells import is_small, small_counts
from exact.errors import Undecided
from exact.network import ExactNet
from exact.validation import check_window

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


# --- the plain-Python path for tiny nets (exact._certified.small_cells) --------------------------------------
# small_counts is called directly, so every comparison below runs the new path; a net it cannot decide
# (a tie within its bounds) or that grows past its size cap is reported as None and checked through
# count_regions only.  Untied nets must be decided, so a path that always gave up would fail here.

def _small(net, window):
    """small_counts of ``net`` in ``window`` (checked), or None when it hands over."""
    try:
        return small_counts(net, check_window(window), max_cells=10**4)
    except Undecided:
        return None


def _special_net(seed: int) -> tuple[list, Fraction]:
    """A tiny deep net with one kind of tie or extreme on purpose, and its window."""
    rng = np.random.default_rng(seed)
    half = Fraction(int(rng.choice([1, 2, 4])))
    layers = _random_net(seed, 2 + seed % 3, tied=bool(seed % 2))
    W, b = layers[0]
    kind = seed % 6
    i = int(rng.integers(len(b)))
    if kind == 0:  # a first-layer line on the window's border: x = h or y = -h
        W[i], b[i] = ([1.0, 0.0], -float(half)) if rng.integers(2) else ([0.0, 1.0], float(half))
    elif kind == 1:  # a neuron dead (or always on) in the whole window
        W[i], b[i] = rng.choice(_GRID, size=2), rng.choice([-1.0, 1.0]) * 64.0
    elif kind == 2:  # a duplicate neuron, or a copy scaled by 2
        j = int(rng.integers(len(b)))
        W[i], b[i] = W[j] * 2.0 ** int(rng.integers(2)), b[j] * 2.0 ** int(rng.integers(2))
    elif kind == 3:  # a zero row: a neuron constant in the plane, at or off its breakpoint
        W[i], b[i] = 0.0, float(rng.choice([0.0, 0.5]))
    elif kind == 4:  # a layer scaled by 2**500 or 2**-500 (exact in floats; same regions)
        s = 2.0 ** int(rng.choice([500, -500]))
        l = int(rng.integers(len(layers)))
        layers[l] = (layers[l][0] * s, layers[l][1] * s)
    else:  # parallel first-layer lines: one row the negation of another
        j = int(rng.integers(len(b)))
        W[i] = -W[j]
    return layers, half


@pytest.mark.parametrize("seed", range(40))
def test_small_path_decides_untied_nets_as_the_exact_engine(seed):
    rng = np.random.default_rng(1000 + seed)
    layers = _random_net(1000 + seed, 2 + seed % 3, tied=False)
    net = ExactNet.from_layers(layers)
    half = Fraction(int(rng.choice([1, 3, 10])))
    ref = exact_engine_regions(net, window=half)
    got = _small(net, half)
    assert got == (ref.n_activation, ref.n_linear)  # decided (no ties): the path ran, and agrees


@pytest.mark.parametrize("seed", range(36))
def test_small_path_on_ties_agrees_or_hands_over(seed):
    layers, half = _special_net(seed)
    net = ExactNet.from_layers(layers)
    ref = exact_engine_regions(net, window=half)
    got = _small(net, half)
    assert got is None or got == (ref.n_activation, ref.n_linear)
    assert exact.count_regions(net, window=half) == (ref.n_activation, ref.n_linear)


def test_small_path_decides_some_ties_and_hands_over_others():
    # the tie cases above test both branches only if both happen: count them (ties outside the
    # window, exactly parallel directions and dead neurons are decided; vertices on lines are not)
    got = [_small(ExactNet.from_layers(layers), half) for layers, half in map(_special_net, range(36))]
    decided = sum(g is not None for g in got)
    assert 8 <= decided <= 30


@pytest.mark.parametrize("activation", ["abs", "hardtanh", ("leaky_relu", 0.25), ["identity", "hardtanh"]])
@pytest.mark.parametrize("seed", range(4))
def test_small_path_with_other_activations(seed, activation):
    act = exact.activations.get_activation(*activation) if isinstance(activation, tuple) else activation
    net = ExactNet.from_layers(_random_net(2000 + seed, 2, tied=seed % 2 == 1), activation=act)
    ref = exact_engine_regions(net, window=2)
    got = _small(net, 2)
    assert got is None or got == (ref.n_activation, ref.n_linear)
    assert seed % 2 == 1 or got is not None
    assert exact.count_regions(net, window=2) == (ref.n_activation, ref.n_linear)


@pytest.mark.parametrize("window", [(-3, 4, -2.5, 1.75), [(-4, -4), (6, -3), (0, 5)]], ids=["rectangle", "triangle"])
@pytest.mark.parametrize("seed", range(4))
def test_small_path_in_other_windows(seed, window):
    net = ExactNet.from_layers(_random_net(3000 + seed, 2 + seed % 2, tied=False))
    ref = exact_engine_regions(net, window=window)
    assert _small(net, window) == (ref.n_activation, ref.n_linear)


_DYADIC = st.sampled_from([Fraction(n, 4) for n in range(-8, 9)] + [Fraction(1, 3), Fraction(-2, 3)])


@st.composite
def _fraction_nets(draw):
    """Tiny deep nets of exact Fractions: small dyadics (ties on purpose) and thirds (rounded floats)."""
    widths = [2, *draw(st.lists(st.integers(1, 4), min_size=2, max_size=3)), 1]
    return [([[draw(_DYADIC) for _ in range(d)] for _ in range(k)], [draw(_DYADIC) for _ in range(k)])
            for d, k in zip(widths[:-1], widths[1:])]


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(_fraction_nets())
def test_small_path_on_exact_fractions(layers):
    net = ExactNet.from_layers(layers)
    ref = exact_engine_regions(net, window=2)
    got = _small(net, 2)
    assert got is None or got == (ref.n_activation, ref.n_linear)
    assert exact.count_regions(net, window=2) == (ref.n_activation, ref.n_linear)


def test_count_regions_takes_the_small_path_for_tiny_deep_nets(monkeypatch):
    calls = []

    def spy(*args, **kwargs):
        calls.append(small_counts(*args, **kwargs))
        return calls[-1]

    monkeypatch.setattr(exact._api, "small_counts", spy)
    _ = torch.manual_seed(0)
    sizes = [2, 5, 5, 5, 5, 1]
    mods = [m for a, b in zip(sizes[:-1], sizes[1:]) for m in (torch.nn.Linear(a, b), torch.nn.ReLU())][:-1]
    assert exact.count_regions(torch.nn.Sequential(*mods), window=10) == (81, 77)
    assert calls == [(81, 77)]
    wide = ExactNet.from_layers([(np.ones((8, 2)), np.arange(8.0)), (np.ones((8, 8)), np.zeros(8)),
                                 (np.ones((1, 8)), np.zeros(1))])
    assert not is_small(wide)
    exact.count_regions(wide, window=1)
    assert len(calls) == 1  # wider than SMALL_LINES: the batched engine alone


def test_small_path_hands_over_past_its_size_cap_and_keeps_max_regions():
    import exact._certified.small_cells as sc

    net = ExactNet.from_layers(_random_net(1003, 3, tied=False))
    sizes = []
    split = sc._split_layer

    def recording(cells, *args):
        out = split(cells, *args)
        sizes.append(None if out is None else len(out[0]))
        return out

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sc, "_split_layer", recording)
        small_counts(net, Fraction(3), max_cells=10**4)
        layers, n = list(sizes), sum(sizes)  # the budget counts the cells summed over the layers
        assert len(layers) >= 2 and layers == sorted(layers)  # cells only grow, layer by layer
        assert small_counts(net, Fraction(3), max_cells=n - 1) is None
        assert small_counts(net, Fraction(3), max_cells=n) is not None
        # a layer's cells bound every later layer's: past the budget by that bound, it gives up at once
        sizes.clear()
        assert small_counts(net, Fraction(3), max_cells=layers[0] * len(layers) - 1) is None
        assert sizes == layers[:1]  # one layer split, not all of them
    with pytest.raises(exact.errors.TooManyRegionsError, match="max_regions=1 "):
        small_counts(net, Fraction(3), max_regions=1)
    with pytest.raises(exact.errors.TooManyRegionsError, match="max_regions=1 "):
        exact.count_regions(net, window=3, max_regions=1)


def _tiny_output_weight(rng):
    """2-3-3-1 with one output weight 2**-70 of the others: its map jumps are far below the float bounds."""
    layers = [(rng.normal(size=(3, 2)), rng.normal(size=3)), (rng.normal(size=(3, 3)), rng.normal(size=3)),
              (rng.normal(size=(1, 3)), rng.normal(size=1))]
    layers[-1][0][0, 0] *= 2.0**-70
    return layers


def _cancelling_gains(rng):
    """2-3-3-1 where neuron 0 feeds two always-on neurons whose output weights cancel: its gain is exactly 0."""
    W1, b1, W2, b2, V = (rng.normal(size=s) for s in [(3, 2), 3, (3, 3), 3, (1, 3)])
    W2[1, 0], b2[:2] = W2[0, 0], 20.0
    V[0, 1] = -V[0, 0]
    return [(W1, b1), (W2, b2), (V, np.zeros(1))]


@pytest.mark.parametrize("make", [_tiny_output_weight, _cancelling_gains])
@pytest.mark.parametrize("seed", range(5))
def test_small_path_joins_exactly_the_cells_with_equal_maps(make, seed):
    # float maps closer than their bound are compared exactly: a jump of 2**-70 keeps two cells apart
    # (joining on "floats close" fails here), and a gain that cancels only exactly joins two cells whose
    # float maps differ by rounding (splitting on "floats differ" fails here)
    net = ExactNet.from_layers(make(np.random.default_rng(seed)))
    ref = exact_engine_regions(net, window=2)
    assert _small(net, 2) == (ref.n_activation, ref.n_linear)


@pytest.mark.parametrize("k", [20, 30, 40])
@pytest.mark.parametrize("s", [Fraction(1, 7), Fraction(-3, 11)])
def test_small_path_leaves_a_triple_point_of_nearly_parallel_lines_undecided(k, s):
    # lines 0 and 1 (Fractions, rounded to floats) cross at (1 - 3s, s) at an angle of about 2**-k, and
    # line 2 passes exactly through that point: the float vertex is off line 2 by about 2**k rounding
    # units, far more than the arithmetic's rounding; only the Cramer bound on the vertex keeps the side
    # undecided (with that bound dropped this path counts 9 cells where there are 8)
    d = Fraction(1, 3 * 2**k)
    x = 1 - 3 * s
    first = ([[Fraction(1), Fraction(3)], [Fraction(1), 3 + d], [Fraction(1), Fraction(1)]], [-1, -1 - d * s, -(x + s)])
    net = ExactNet.from_layers([first, ([[1, -2, Fraction(1, 2)]], [Fraction(1, 10)]), ([[1]], [0])])
    ref = exact_engine_regions(net, window=2)
    assert (ref.n_activation, ref.n_linear) == (8, 7)
    with pytest.raises(Undecided, match="too close to a line"):
        small_counts(net, Fraction(2))
    assert exact.count_regions(net, window=2) == (8, 7)


def test_six_lines_a_layer_take_the_small_path_only_in_shallow_nets():
    """The review found 2-6^5-1 nets slower on this path (their cells grow fast): up to SMALL_LINES_DEPTH layers."""
    from exact._certified.small_cells import SMALL_LINES_DEPTH

    def net(widths):
        return ExactNet.from_layers([(np.ones((b, a)), np.arange(float(b))) for a, b in zip(widths[:-1], widths[1:])])

    assert is_small(net([2] + [6] * SMALL_LINES_DEPTH + [1]))
    assert not is_small(net([2] + [6] * (SMALL_LINES_DEPTH + 1) + [1]))
    assert is_small(net([2] + [5] * 8 + [1]))  # five lines a layer: any depth (the cell budget hands over)

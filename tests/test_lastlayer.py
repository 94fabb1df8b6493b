"""Counting the last layer's cells without building them, against the exact engine."""

from fractions import Fraction

import numpy as np
import pytest
from catalogue import scaled_random_nets, seeded_torch
from engines import exact_engine_regions
from hypothesis import given, settings
from hypothesis import strategies as st

from exact import ExactNet, count_regions, from_torch
from exact._certified.last_layer import batched_counts, count_last_layer
from exact._certified.subdivision import Subdivision, batched_cells
from exact.errors import TooManyRegionsError, Undecided


def _counted(net, half):
    """The last layer's count when the counting path decides it (None: it defers to splitting)."""
    st_ = Subdivision(net, half)
    for _ in range(net.n_hidden_layers - 1):
        st_.split_layer(None, False)
    return count_last_layer(st_)


def _with_activation(net, act):
    one = ExactNet.from_layers([([[1, 0]], [0]), ([[1]], [0])], activation=act).activations[0]
    return ExactNet(net.weights, net.biases, (one,) * net.n_hidden_layers)


@pytest.mark.parametrize("act", ["relu", "abs", "hardtanh", "leaky_relu"])
@pytest.mark.parametrize("widths, seed", [([2, 6, 6, 6, 1], 0), ([2, 8, 8, 1], 1), ([2, 5, 7, 4, 3], 2)])
def test_counts_equal_the_exact_engine(widths, seed, act):
    net = _with_activation(from_torch(seeded_torch(widths, seed)), act)
    half = Fraction(3)
    r = exact_engine_regions(net, window=half)
    assert batched_counts(net, half) == (r.n_activation, r.n_linear)
    n = _counted(net, half)
    if n is not None:  # the counting path claimed no merges: then there are none
        assert n == r.n_activation == r.n_linear


def test_counting_path_decides_generic_nets():
    # default-init relu nets have no merges; the count must come from counting, not splitting
    for widths in ([2, 16, 16, 16, 1], [2, 10, 10, 10, 10, 1]):
        net = from_torch(seeded_torch(widths, 4))
        r = exact_engine_regions(net, window=10.0)
        assert _counted(net, Fraction(10)) == r.n_activation == r.n_linear
        assert len(batched_cells(net, Fraction(10))) == r.n_activation


rational = st.fractions(min_value=-2, max_value=2, max_denominator=50)


@settings(max_examples=30, deadline=None)
@given(st.lists(rational, min_size=32, max_size=32), st.sampled_from(["relu", "abs", "hardtanh"]))
def test_hypothesis_rational_weights(vals, act):
    # non-dyadic weights are rounded to floats; the bounds must cover that, or hand over
    it = iter(vals)
    layers = [([[next(it), next(it)] for _ in range(4)], [next(it) for _ in range(4)]),
              ([[next(it) for _ in range(4)] for _ in range(3)], [next(it) for _ in range(3)]),
              ([[next(it) for _ in range(3)]], [next(it)])]
    net = ExactNet.from_layers(layers, activation=act)
    r = exact_engine_regions(net, window=Fraction(3, 2))
    try:
        assert batched_counts(net, Fraction(3, 2)) == (r.n_activation, r.n_linear)
    except Undecided:
        pass  # near ties go to the exact engine
    assert count_regions(net, window=Fraction(3, 2)) == (r.n_activation, r.n_linear)


def _three_lines(shift):
    # first layer: h = (x + 5, y + 5), no breakpoint in [-1, 1]^2; second layer: three lines
    # through (0.25, 0.25) when shift = 0 (6 sectors, where pairwise counting would say 7)
    return [([[1, 0], [0, 1]], [5, 5]),
            ([[1, 0], [0, 1], [1, 2]], [-5.25, -5.25 + shift, -15.75]),
            ([[1, 1, 1]], [0])]


def test_three_lines_through_one_point_hand_over():
    layers = _three_lines(0.0)
    with pytest.raises(Undecided, match="nearly meet in one point"):
        batched_counts(ExactNet.from_layers(layers), Fraction(1))
    assert count_regions(layers, window=1.0) == (6, 6)


def test_nearly_concurrent_lines_are_decided_by_floats():
    # shifted by eps = 2**-40: x = 1/4, y = 1/4 - eps and x + 2y = 3/4 bound the triangle
    # (1/4, 1/4 - eps), (1/4, 1/4), (1/4 + 2 eps, 1/4 - eps) of area eps**2: 7 regions
    layers = _three_lines(2.0**-40)
    r = exact_engine_regions(layers, window=1.0)
    assert min(c.exact_area for c in r.cells) == Fraction(1, 2**80)
    assert _counted(ExactNet.from_layers(layers), Fraction(1)) == r.n_activation == 7
    assert count_regions(layers, window=1.0) == (7, 7)


def test_two_lines_meeting_on_an_edge_hand_over():
    # hidden layer 1: relu(x) bends at x = 0; y + 5 and 10 - x stay on in [-1, 1]^2.  The deep
    # lines are y = 1/2 and y = 1/2 - 4x right of x = 0, y = x + 1/2 and y = 1/2 - x left of it:
    # both cross the edge x = 0 exactly at (0, 1/2)
    layers = [([[1, 0], [0, 1], [-1, 0]], [0, 5, 10]),
              ([[1, 1, 1], [3, 1, -1]], [-15.5, 4.5]),
              ([[1, 1]], [0])]
    with pytest.raises(Undecided, match="too close together to order"):
        batched_counts(ExactNet.from_layers(layers), Fraction(1))
    r = exact_engine_regions(layers, window=1.0)
    assert count_regions(layers, window=1.0) == (r.n_activation, r.n_linear)


def test_possible_merges_defer_to_splitting():
    # cancellation across an earlier layer's edge: output = A - B where both contain relu(x)
    cancel = ExactNet.from_layers([([[1, 0], [0, 1]], [0, 0]), ([[1, 0.5], [1, -0.25]], [0.3, 0.7]),
                                   ([[1, -1]], [0])])
    # a last-layer neuron with output weight zero: crossing its line keeps the map
    silent = ExactNet.from_layers([([[1, 0], [0, 1]], [0, 0.1]), ([[1, 2], [2, -1]], [0.3, -0.2]),
                                   ([[1, 0]], [0])])
    # dead units: negative biases switch most neurons off
    torch_net = seeded_torch([2, 8, 8, 8, 1], seed=5)
    with __import__("torch").no_grad():
        torch_net[2].bias -= 0.6
    dead = from_torch(torch_net)
    for net, half in ((cancel, Fraction(3)), (silent, Fraction(3)), (dead, Fraction(5))):
        r = exact_engine_regions(net, window=half)
        assert r.n_linear < r.n_activation
        assert _counted(net, half) is None
        assert batched_counts(net, half) == (r.n_activation, r.n_linear)


def test_max_regions_guard():
    net = from_torch(seeded_torch([2, 16, 16, 1]))
    r = exact_engine_regions(net, window=10.0)
    # cells after hidden layer 1: the arrangement of its 16 lines (a separate counting code)
    first = count_regions([(net.weights[0], net.biases[0]), ([[1] * 16], [0])], window=10.0).activation
    assert batched_counts(net, Fraction(10), max_regions=r.n_activation) == (r.n_activation, r.n_linear)
    with pytest.raises(TooManyRegionsError, match=f"max_regions={r.n_activation - 1} cells in hidden layer 2"):
        batched_counts(net, Fraction(10), max_regions=r.n_activation - 1)
    with pytest.raises(TooManyRegionsError, match=f"max_regions={first - 1} cells in hidden layer 1"):
        batched_counts(net, Fraction(10), max_regions=first - 1)


def test_count_last_layer_needs_the_earlier_layers_split():
    net = from_torch(seeded_torch([2, 4, 4, 1]))
    with pytest.raises(ValueError, match="got 0 of 2"):
        count_last_layer(Subdivision(net, Fraction(1)))


def test_mixed_magnitudes_agree_or_hand_over():
    # rows scaled from 1e-6 to 1e6: whenever the count decides, it is the exact count
    decided = 0
    for layers, act, half in scaled_random_nets(11, 25, max_hidden=4):
        net = ExactNet.from_layers(layers, activation=act)
        r = exact_engine_regions(net, window=half)
        try:
            got = batched_counts(net, half)
        except Undecided:
            continue
        decided += 1
        assert got == (r.n_activation, r.n_linear)
    assert decided >= 12


def test_progress_bar_counts_the_layers(monkeypatch):
    import exact._certified.last_layer as lastlayer
    import exact._certified.subdivision as batched

    made = []

    class Recorder:
        def __init__(self, enabled, total, desc, unit="it"):
            self.enabled, self.total, self.desc, self.n, self.closed = enabled, total, desc, 0, False
            made.append(self)

        def update(self, n=1):
            self.n += n

        def close(self):
            self.closed = True

    monkeypatch.setattr(batched, "progress_bar", Recorder)
    monkeypatch.setattr(lastlayer, "progress_bar", Recorder)
    net = from_torch(seeded_torch([2, 8, 8, 8, 1]))
    assert batched_counts(net, Fraction(5), progress=True) == batched_counts(net, Fraction(5))
    layers = [b for b in made if b.desc == "hidden layers" and b.enabled]
    assert len(layers) == 1 and layers[0].total == 3 and layers[0].closed
    assert layers[0].n == 3


def test_add_ones_and_sort_within_match_numpy():
    from exact._certified.chords import add_ones, sort_within

    rng = np.random.default_rng(0)
    for shape, n in (((5, 3), 40), ((300, 40), 50)):  # the bincount and the np.add.at branches
        rows, cols = rng.integers(0, shape[0], n), rng.integers(0, shape[1], n)
        a, b = np.zeros(shape, np.int8), np.zeros(shape, np.int8)
        add_ones(a, rows, cols)
        np.add.at(b, (rows, cols), 1)
        assert np.array_equal(a, b) and a.sum() == n
    c = np.zeros((4, 4), np.int8)
    add_ones(c, np.array([0, 1, 3]), np.array([2, 2, 0]), unique=True)
    assert c.sum() == 3 and c[1, 2] == 1
    t, g = rng.random(500), rng.integers(0, 7, 500)
    assert np.array_equal(sort_within(t, g), np.lexsort((t, g)))

"""The certified-float layer-batched engine against the exact engine, cell by cell."""

from fractions import Fraction

import pytest
from catalogue import scaled_random_nets, seeded_torch
from engines import exact_engine_regions
from hypothesis import given, settings
from hypothesis import strategies as st

from exact import ExactNet, count_regions, from_torch
from exact._certified.chord_faces import arrange_cells
from exact._certified.subdivision import Subdivision, batched_cells
from exact.errors import TooManyRegionsError, Undecided
from exact.layer_split import enumerate_cells
from exact.square_window import square


def _exact_cells(net, half):
    verts, edges = square(half.numerator, half.denominator)
    return {rc.pattern: rc for rc in enumerate_cells(net, verts, edges)}


def _assert_same_cells(net, half, method="arrange"):
    """Same patterns, and the float vertices within their certified bounds of the exact ones,
    in the same counter-clockwise order."""
    bc = batched_cells(net, half, method=method)
    exact = _exact_cells(net, half)
    patterns = [tuple(p) for p in bc.patterns.tolist()]
    assert len(set(patterns)) == len(patterns)
    assert set(patterns) == set(exact)
    for c, p in enumerate(patterns):
        ex = [(Fraction(X, D), Fraction(Y, D)) for X, Y, D in exact[p].verts]
        s, n = int(bc.start[c]), int(bc.nv[c])
        assert n == len(ex)
        match = []
        for v in range(s, s + n):
            fx, fy, e = Fraction(bc.x[v]), Fraction(bc.y[v]), Fraction(bc.err[v])
            match.append([i for i, (X, Y) in enumerate(ex) if abs(fx - X) <= e and abs(fy - Y) <= e])
        assert all(len(mt) == 1 for mt in match)
        first = match[0][0]
        assert [mt[0] for mt in match] == [(first + i) % n for i in range(n)]
    return bc


METHODS = pytest.mark.parametrize("method", ["arrange", "rounds"])


def _arranged_in_one_pass(net, half):
    """Every layer built by the one-pass arrangement itself (no fallback to rounds), giving
    the same cells as rounds."""
    st_ = Subdivision(net, half)
    for _ in range(net.n_hidden_layers):
        layer, piece, rows, cols = st_.begin_layer()
        arrange_cells(st_, layer, piece, rows, cols)  # raises Undecided rather than fall back
        st_.split_layer(None, False)
    one = {tuple(p) for p in st_.cells().patterns.tolist()}
    assert one == {tuple(p) for p in batched_cells(net, half, method="rounds").patterns.tolist()}


@METHODS
@pytest.mark.parametrize("act", ["relu", "abs", "hardtanh", "leaky_relu"])
@pytest.mark.parametrize("seed", [0, 1])
def test_same_cells_and_certified_vertices(seed, act, method):
    torch_net = seeded_torch([2, 6, 6, 6, 1], seed)
    net = from_torch(torch_net)
    if act != "relu":
        net = ExactNet(net.weights, net.biases, (ExactNet.from_layers(
            [([[1, 0]], [0]), ([[1]], [0])], activation=act).activations[0],) * 3)
    half = Fraction(3)
    bc = _assert_same_cells(net, half, method)
    _arranged_in_one_pass(net, half)
    r = exact_engine_regions(net, window=half)
    assert bc.linear_count() == r.n_linear
    assert count_regions(net, window=half) == (r.n_activation, r.n_linear)


@METHODS
def test_benchmark_nets_agree_with_the_exact_engine(method):
    for widths in ([2, 5, 5, 5, 5, 1], [2, 16, 16, 16, 1]):
        net = from_torch(seeded_torch(widths))
        bc = _assert_same_cells(net, Fraction(10), method)
        _arranged_in_one_pass(net, Fraction(10))
        r = exact_engine_regions(net, window=10.0)
        assert (len(bc), bc.linear_count()) == (r.n_activation, r.n_linear)


rational = st.fractions(min_value=-2, max_value=2, max_denominator=50)


@settings(max_examples=25, deadline=None)
@given(st.lists(rational, min_size=24, max_size=24), st.sampled_from(["relu", "abs", "hardtanh"]),
       st.sampled_from(["arrange", "rounds"]))
def test_hypothesis_rational_weights(vals, act, method):
    # non-dyadic weights: the float weights are rounded, and the bounds must cover it
    it = iter(vals)
    layers = [([[next(it), next(it)] for _ in range(4)], [next(it) for _ in range(4)]),
              ([[next(it) for _ in range(4)] for _ in range(2)], [next(it) for _ in range(2)]),
              ([[1, -1]], [0])]
    net = ExactNet.from_layers(layers, activation=act)
    try:
        _assert_same_cells(net, Fraction(3, 2), method)
    except Undecided:
        pass  # allowed: near ties are handed to the exact engine
    r = exact_engine_regions(net, window=Fraction(3, 2))
    assert count_regions(net, window=Fraction(3, 2)) == (r.n_activation, r.n_linear)
    plane = exact_engine_regions(net, window=None)
    assert count_regions(net, window=None) == (plane.n_activation, plane.n_linear)


def test_exact_ties_are_never_decided_by_floats(caplog):
    # the deep line x = y passes exactly through the vertex (0, 0) of the first layer's lines
    layers = [([[1, 0], [0, 1]], [0, 0]), ([[1, -1], [1, 1]], [0, 0]), ([[1, 1]], [0])]
    for method in ("arrange", "rounds"):
        with pytest.raises(Undecided):
            batched_cells(ExactNet.from_layers(layers), Fraction(1), method=method)
    r = exact_engine_regions(layers, window=1.0)
    with caplog.at_level("INFO", logger="exact.counting"):
        assert count_regions(layers, window=1.0) == (r.n_activation, r.n_linear) == (5, 4)
    assert "neuron 0 of hidden layer 2" in caplog.text and "exact engine" in caplog.text
    # a second-layer line along a first-layer line (zero at both ends of an edge)
    along = [([[1, 0], [0, 1]], [0, 0]), ([[2, 0]], [0]), ([[1]], [0])]
    for method in ("arrange", "rounds"):
        with pytest.raises(Undecided):
            batched_cells(ExactNet.from_layers(along), Fraction(1), method=method)


@METHODS
def test_near_tie_is_decided_by_certified_floats(method):
    # three lines that would meet at (0, 2**-40) if both biases were 2**-40; with -3 * 2**-40
    # they form a tiny triangle of area 2**-80, which the float path must find on its own
    eps = 2.0**-40
    layers = [([[1, 0], [0, 1]], [0, 0]), ([[1, -1], [1, 1]], [eps, -3 * eps]), ([[1, 1]], [0])]
    net = ExactNet.from_layers(layers)
    bc = _assert_same_cells(net, Fraction(1), method)
    _arranged_in_one_pass(net, Fraction(1))
    r = exact_engine_regions(net, window=1.0)
    assert min(c.exact_area for c in r.cells) == Fraction(1, 2**80)
    assert (len(bc), bc.linear_count()) == (r.n_activation, r.n_linear) == (10, 8)


def test_max_regions_guard_and_empty_breakpoints():
    net = from_torch(seeded_torch([2, 16, 16, 1]))
    with pytest.raises(TooManyRegionsError, match="max_regions=10"):
        batched_cells(net, Fraction(10), max_regions=10)
    ident = ExactNet.from_layers([([[1, 0]], [0]), ([[1]], [0]), ([[1]], [0])], activation="identity")
    bc = batched_cells(ident, Fraction(1))
    assert (len(bc), bc.linear_count()) == (1, 1)


@pytest.mark.parametrize("widths", [[2, 5, 5, 5, 5, 1], [2, 8, 8, 1]])
def test_adjacency_from_patterns_matches_exact_shared_edges(widths):
    # the batched engine infers neighbours from patterns alone (one neuron flips across an
    # edge); the exact engine finds shared edges geometrically: the pairs must be the same
    net = from_torch(seeded_torch(widths, seed=3))
    bc = batched_cells(net, Fraction(4))
    pats = [tuple(p) for p in bc.patterns.tolist()]
    mine = {frozenset((pats[i], pats[j])) for i, j in bc.adjacent_pairs().tolist()}
    r = exact_engine_regions(net, window=4)
    theirs = {frozenset((r.cells[i].pattern, r.cells[j].pattern)) for i, j, _, _ in r.boundaries}
    assert mine == theirs
    assert len(mine) > len(pats)  # a real subdivision, not a trivial one


def test_linear_merges_structural_and_by_cancellation():
    # output = A - B with A = relu(x) + relu(y)/2 + 0.3, B = relu(x) - relu(y)/4 + 0.7: where both
    # are on, relu(x) cancels, so crossing x = 0 there keeps the map (a merge no path
    # analysis can see); elsewhere zero-slope pieces block paths (structural merges)
    layers = [([[1, 0], [0, 1]], [0, 0]), ([[1, 0.5], [1, -0.25]], [0.3, 0.7]), ([[1, -1]], [0])]
    net = ExactNet.from_layers(layers)
    bc = batched_cells(net, Fraction(3))
    r = exact_engine_regions(net, window=3)
    assert (len(bc), bc.linear_count()) == (r.n_activation, r.n_linear)
    assert r.n_linear < r.n_activation
    # many dead units: negative biases switch most second-layer neurons off
    torch_net = seeded_torch([2, 8, 8, 8, 1], seed=5)
    with __import__("torch").no_grad():
        torch_net[2].bias -= 0.6
    net = from_torch(torch_net)
    bc = batched_cells(net, Fraction(5))
    r = exact_engine_regions(net, window=5)
    assert (len(bc), bc.linear_count()) == (r.n_activation, r.n_linear)
    assert r.n_activation - r.n_linear > 5


@pytest.mark.parametrize("act", ["relu", "abs", "hardtanh", "leaky_relu"])
def test_whole_plane_certificate_agrees_with_the_exact_certificate(act):
    from exact._certified.plane import batched_plane_cells

    decided = 0
    for widths, seed in [([2, 5, 5, 5, 5, 1], 0), ([2, 4, 4, 4, 1], 1), ([2, 6, 6, 1], 2), ([2, 3, 3, 3, 3, 1], 3)]:
        net = from_torch(seeded_torch(widths, seed))
        net = ExactNet(net.weights, net.biases, (ExactNet.from_layers(
            [([[1, 0]], [0]), ([[1]], [0])], activation=act).activations[0],) * len(net.activations))
        r = exact_engine_regions(net, window=None)
        try:
            half, bc = batched_plane_cells(net, max_regions=None, progress=False)
        except Undecided:
            continue
        decided += 1
        assert (len(bc), bc.linear_count()) == (r.n_activation, r.n_linear)
        # and the count is stable in a much larger box, by the exact engine
        big = exact_engine_regions(net, window=4 * max(half, r.box))
        assert (big.n_activation, big.n_linear) == (r.n_activation, r.n_linear)
    assert decided >= 3


def test_whole_plane_far_bends_and_strips_grow_the_box():
    from exact._certified.plane import batched_plane_cells

    # layer 2 bends x = 0 into x = 1000 on the right: far outside the first layer's box
    bend = ExactNet.from_layers([([[1, 0], [0, 1]], [0, 0]), ([[1, 0]], [-1000]), ([[1]], [0])])
    # one first-layer line; the cell x > 0 is a strip 0 < x < 1000 seen in a small box
    strip = ExactNet.from_layers([([[1, 0]], [0]), ([[1]], [-1000]), ([[1]], [0])])
    for net, want in ((bend, (6, 2)), (strip, (3, 2))):
        half, bc = batched_plane_cells(net, max_regions=None, progress=False)
        assert half > 1000
        assert (len(bc), bc.linear_count()) == want
        assert count_regions(net, window=None) == want
        r = exact_engine_regions(net, window=None)
        assert (r.n_activation, r.n_linear) == want


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(-3, 3), min_size=21, max_size=21), st.sampled_from(["relu", "abs", "hardtanh"]))
def test_hypothesis_whole_plane_counts_match_the_exact_engine(vals, act):
    # tiny integer weights: parallel, coincident and constant lines everywhere
    it = iter(vals)
    layers = [([[next(it), next(it)] for _ in range(3)], [next(it) for _ in range(3)]),
              ([[next(it) for _ in range(3)] for _ in range(3)], [next(it) for _ in range(3)]),
              ([[1, -1, 2]], [0])]
    net = ExactNet.from_layers(layers, activation=act)
    r = exact_engine_regions(net, window=None)
    assert count_regions(net, window=None) == (r.n_activation, r.n_linear)


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("scale", [1e-300, 1e-150, 1e150, 1e300])
def test_extreme_weights_hand_over_without_warnings(scale):
    # floats overflow or lose everything: the float path must give up quietly, never guess
    layers = [([[scale, 0], [0, scale], [scale, scale]], [0.1 * scale, -0.2 * scale, 0.05 * scale]),
              ([[1, -1, 2], [2, 1, -1]], [0.3, -0.1]), ([[1, 1]], [0])]
    net = ExactNet.from_layers(layers)
    for window in (1.0, None):
        r = exact_engine_regions(net, window=window)
        assert count_regions(net, window=window) == (r.n_activation, r.n_linear)
    huge = ExactNet.from_layers([([[Fraction(10) ** 400, 1], [1, -1]], [0, 0]), ([[1, 1]], [0]), ([[1]], [0])])
    with pytest.raises(Undecided, match="float range"):
        batched_cells(huge, Fraction(1))
    assert count_regions(huge, window=1.0) == (exact_engine_regions(huge, window=1.0).n_activation,
                                              exact_engine_regions(huge, window=1.0).n_linear)


@METHODS
def test_mixed_magnitudes_agree_or_hand_over(method):
    # rows scaled from 1e-6 to 1e6, float32 and float64 weights, up to 5 hidden layers, all
    # activations, windows from 0.01 to 1000: the float path must agree with the exact engine
    # cell for cell whenever it decides
    decided = 0
    for layers, act, half in scaled_random_nets(7, 30):
        net = ExactNet.from_layers(layers, activation=act)
        r = exact_engine_regions(net, window=half)
        try:
            bc = batched_cells(net, half, method=method)
        except Undecided:
            continue
        decided += 1
        assert (len(bc), bc.linear_count()) == (r.n_activation, r.n_linear)
        assert {tuple(p) for p in bc.patterns.tolist()} == {c.pattern for c in r.cells}
    assert decided >= 15

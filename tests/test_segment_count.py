"""Counts along a segment (exact.count_on_segment) against hand-derived values, exact laws,
float sampling (a lower bound) and the plane's exact engine (cells crossed by the segment)."""

from __future__ import annotations

import time
from fractions import Fraction as F

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import exact
from exact import ExactNet, count_on_segment, regions
from exact.errors import InputError, InputTypeError, ResourceLimitError, TooManyRegionsError

# relu(x) - relu(x - 1): kinks at x = 0 and x = 1
RAMP = ExactNet.from_layers([([[1], [1]], [0, -1]), ([[1, -1]], [0])])


def test_ramp_crossing_both_kinks():
    s = count_on_segment(RAMP, [-1], [2])  # x = -1 + 3t
    assert (s.activation, s.linear) == (3, 3)
    assert s.breakpoints.activation == (F(1, 3), F(2, 3)) == s.breakpoints.linear
    assert s.patterns == ((0, 0), (1, 0), (1, 1))
    assert s.maps == (((0, 0),), ((3, -1),), ((0, 1),))  # 0, then x = 3t - 1, then 1


def test_ramp_reversed_and_crossing_one_kink():
    s = count_on_segment(RAMP, [2], [-1])  # x = 2 - 3t
    assert s.breakpoints.activation == (F(1, 3), F(2, 3))
    assert s.patterns == ((1, 1), (1, 0), (0, 0))
    s = count_on_segment(RAMP, [0.5], [3])  # x = 1/2 + 5t/2: only x = 1, at t = 1/5
    assert (s.activation, s.linear, s.breakpoints.activation) == (2, 2, (F(1, 5),))
    assert count_on_segment(RAMP, [2], [3]).activation == 1  # no kink on the segment


def test_kink_at_an_end_point_is_no_breakpoint():
    s = count_on_segment(RAMP, [0], [1])  # both kinks at the ends t = 0 and t = 1
    assert (s.activation, s.breakpoints.activation, s.patterns) == (1, (), ((1, 0),))


def test_touched_not_crossed():
    # h = (relu(x), relu(-x)); g = relu(h1 + h2) = |x| touches its kink 0 at x = 0 only
    net = ExactNet.from_layers([([[1], [-1]], [0, 0]), ([[1, 1]], [0]), ([[1]], [0])])
    s = count_on_segment(net, [-1], [1])
    assert s.breakpoints.activation == (F(1, 2),)  # from h only: g is on (piece 1) on both sides
    assert s.patterns == ((0, 1, 1), (1, 0, 1))
    assert net.pattern_at([0]) == (0, 0, 0)  # the single point t = 1/2 has its own pattern: no piece


def test_exactly_at_a_breakpoint_on_a_whole_piece():
    # g = relu(relu(x)): its pre-activation is 0 (the kink) on all of x <= 0: lower piece there
    net = ExactNet.from_layers([([[1]], [0]), ([[1]], [0]), ([[1]], [0])])
    s = count_on_segment(net, [-2], [2])
    assert s.patterns == ((0, 0), (1, 1))
    assert s.breakpoints.activation == (F(1, 2),)


def test_zero_output_weight_makes_activation_differ_from_linear():
    net = ExactNet.from_layers([([[1], [1]], [0, -1]), ([[1, 0]], [0])])  # relu(x) + 0 relu(x - 1)
    s = count_on_segment(net, [-1], [2])
    assert (s.activation, s.linear) == (3, 2)
    assert s.breakpoints.linear == (F(1, 3),)


def test_different_gradients_same_map_along_the_segment():
    # relu(x) - relu(x + y): across x = 0 on y = 0 both kinks cancel; the plane's cells differ
    net = ExactNet.from_layers([([[1, 0], [1, 1]], [0, 0]), ([[1, -1]], [0])])
    s = count_on_segment(net, [-1, 0], [1, 0])
    assert (s.activation, s.linear) == (2, 1)
    r = regions(net, window=2)
    assert r.locate((1, F(1, 2))).affine != r.locate((-1, F(-1, 2))).affine


def test_no_hidden_layer_and_three_outputs():
    net = ExactNet.from_layers([([[1, 2], [0, 1], [3, 0]], [1, 0, 0])])
    s = count_on_segment(net, [0, 0], [1, 1])
    assert (s.activation, s.linear, s.patterns) == (1, 1, ((),))
    assert s.maps == (((3, 1), (1, 0), (3, 0)),)


@pytest.mark.parametrize("kind", ["list", "fraction", "numpy32", "torch", "torch64"])
def test_point_kinds_agree(kind):
    a, b = [-1.0, 0.5], [2.0, -0.25]
    conv = {"list": lambda p: p, "fraction": lambda p: [F(v) for v in p],
            "numpy32": lambda p: np.array(p, dtype=np.float32), "torch": torch.tensor,
            "torch64": lambda p: torch.tensor(p, dtype=torch.float64)}[kind]
    net = [(np.array([[1.0, 2.0], [-1.0, 1.0]]), np.array([0.0, 0.5])), (np.array([[1.0, 1.0]]), np.zeros(1))]
    assert count_on_segment(net, conv(a), conv(b)) == count_on_segment(net, a, b)


@pytest.mark.parametrize("a, b, err, match", [
    ([0, 0, 0], [1, 1], InputError, r"a has 3 coordinates but the network input is 2-D"),
    ([0, 0], [1], InputError, r"b has 1 coordinate but the network input is 2-D"),
    ([0, float("nan")], [1, 1], InputError, r"a\[1\] must be a finite number, got nan"),
    ([0, 0], np.array([1, np.inf]), InputError, r"b\[1\] must be a finite number, got inf"),
    ([0, 0], [0.0, 0], InputError, r"a and b are the same point"),
    ("00", [1, 1], InputTypeError, r"a must be a sequence of 2 numbers"),
    ([0, "1"], [1, 1], InputTypeError, r"a\[1\] is the string"),
    ([0, 0], [[1, 1]], InputError, r"b must be a 1-D array"),
])
def test_bad_points_are_refused_by_name(a, b, err, match):
    net = [([[1.0, 0.0]], [0.0]), ([[1.0]], [0.0])]
    with pytest.raises(err, match=match):
        count_on_segment(net, a, b)


def test_guards():
    net = ExactNet.from_layers([([[1], [1], [1]], [0, -1, -2]), ([[1, 1, 1]], [0])])
    with pytest.raises(TooManyRegionsError, match=r"more than max_pieces=3 pieces after hidden layer 1"):
        count_on_segment(net, [-1], [3], max_pieces=3)
    assert count_on_segment(net, [-1], [3], max_pieces=4).activation == 4
    with pytest.raises(InputError, match=r"max_pieces must be a positive integer or None, got 0"):
        count_on_segment(net, [-1], [3], max_pieces=0)
    with pytest.raises(ResourceLimitError, match=r"more than max_memory=.*pieces so far"):
        count_on_segment(net, [-1], [3], max_memory=1000)


def _float_patterns(net: ExactNet, pts: np.ndarray) -> np.ndarray:
    """Float64 activation patterns at many points (sampling, not exact)."""
    x, out = pts, []
    for l, act in enumerate(net.activations):
        z = x @ np.array(net.weights[l], dtype=float).T + np.array(net.biases[l], dtype=float)
        out.append(sum((z > float(bp)).astype(int) for bp in act.breakpoints))
        x = np.select([z > float(bp) for bp in act.breakpoints][::-1],
                      [float(act.slopes[q + 1]) * z + float(act.intercepts[q + 1])
                       for q in range(len(act.breakpoints))][::-1],
                      float(act.slopes[0]) * z + float(act.intercepts[0]))
    return np.concatenate(out, axis=1)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_dense_float_sampling_is_a_lower_bound(seed):
    import numeric

    net = exact.as_exact_net(numeric.seeded_mlp([5, 12, 12, 2], seed=seed))
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=5) * 4, rng.normal(size=5) * 4
    s = count_on_segment(net, a, b)
    ts = np.linspace(0, 1, 20001)
    pats = _float_patterns(net, a + ts[:, None] * (b - a))
    runs = 1 + int(np.any(pats[1:] != pats[:-1], axis=1).sum())
    assert runs <= s.activation
    # away from the breakpoints the float patterns are the exact ones
    bps = np.array([float(t) for t in s.breakpoints.activation] + [2.0])
    idx = np.searchsorted(bps, ts)
    far = np.abs(ts - bps[np.minimum(idx, len(bps) - 1)]) > 1e-6
    far &= np.abs(ts - np.concatenate([[-1.0], bps])[idx]) > 1e-6
    exact_pats = np.array(s.patterns)[idx]
    assert far.sum() > 19000 and np.array_equal(pats[far], exact_pats[far])


def _clip(cell, a, d) -> tuple[F, F] | None:
    """The exact interval of t in [0, 1] where a + t d lies in the closed cell (None if empty)."""
    lo, hi = F(0), F(1)
    for ea, eb, ec in cell.edges:  # interior on the + side: ea x + eb y + ec >= 0
        v0, dv = ea * a[0] + eb * a[1] + ec, ea * d[0] + eb * d[1]
        if dv == 0:
            if v0 < 0:
                return None
        elif dv > 0:
            lo = max(lo, -v0 / dv)
        else:
            hi = min(hi, -v0 / dv)
    return (lo, hi) if lo <= hi else None


@pytest.mark.parametrize("widths, act, seed", [([2, 8, 1], "relu", 0), ([2, 6, 6, 2], "relu", 1),
                                               ([2, 5, 5, 1], "abs", 2), ([2, 4, 4, 4, 1], "leaky_relu", 3)])
def test_pieces_are_the_plane_cells_the_segment_crosses(widths, act, seed):
    import numeric

    net = exact.as_exact_net(numeric.seeded_mlp(widths, seed=seed, activation=act))
    rng = np.random.default_rng(seed)
    a, b = (tuple(F(float(v)) for v in rng.uniform(-3, 3, size=2)) for _ in range(2))
    d = (b[0] - a[0], b[1] - a[1])
    s = count_on_segment(net, a, b)
    r = regions(net, window=3)
    crossed = sorted((iv, c) for c in r.cells if (iv := _clip(c, a, d)) is not None and iv[0] < iv[1])
    assert len(crossed) == s.activation
    assert tuple(iv[1] for iv, _ in crossed[:-1]) == s.breakpoints.activation
    assert all(crossed[k][0][1] == crossed[k + 1][0][0] for k in range(len(crossed) - 1))  # they tile [0, 1]
    assert tuple(c.pattern for _, c in crossed) == s.patterns
    along = [tuple((g[0] * d[0] + g[1] * d[1], g[0] * a[0] + g[1] * a[1] + o)
                   for g, o in zip(c.affine.gradient, c.affine.offset)) for _, c in crossed]
    assert tuple(along) == s.maps
    assert 1 + sum(m != n for m, n in zip(along, along[1:])) == s.linear


def test_a_784_dimensional_net_through_two_points():
    import numeric

    net = numeric.seeded_mlp([784, 64, 64, 10], seed=0)
    g = torch.Generator().manual_seed(1)
    a, b = torch.rand(784, generator=g), torch.rand(784, generator=g)
    enet = exact.as_exact_net(net)
    t0 = time.perf_counter()
    s = count_on_segment(enet, a, b)
    elapsed = time.perf_counter() - t0
    assert elapsed < 3.0, elapsed  # measured 0.1 s; generous for a loaded machine
    assert s.activation > 10 and len(s.patterns[0]) == 128
    pa, pb = [F(float(v)) for v in a], [F(float(v)) for v in b]
    for k in (0, len(s.patterns) // 2, len(s.patterns) - 1):  # exact re-evaluation in the middle of pieces
        lo = F(0) if k == 0 else s.breakpoints.activation[k - 1]
        hi = F(1) if k == s.activation - 1 else s.breakpoints.activation[k]
        t = (lo + hi) / 2
        x = [p + t * (q - p) for p, q in zip(pa, pb)]
        assert enet.pattern_at(x) == s.patterns[k]
        assert enet.evaluate(x) == tuple(sl * t + off for sl, off in s.maps[k])


def _small_nets():
    q = st.fractions(min_value=-3, max_value=3, max_denominator=4)
    acts = st.sampled_from(["relu", "abs", "leaky_relu", "hardtanh"])

    @st.composite
    def build(draw):
        dims = [draw(st.integers(1, 3))] + draw(st.lists(st.integers(1, 3), min_size=0, max_size=3)) + [
            draw(st.integers(1, 2))]
        layers = [([[draw(q) for _ in range(dims[i])] for _ in range(dims[i + 1])],
                   [draw(q) for _ in range(dims[i + 1])]) for i in range(len(dims) - 1)]
        net = ExactNet.from_layers(layers, activation=draw(acts))
        a = [draw(q) for _ in range(dims[0])]
        b = [draw(q) for _ in range(dims[0])]
        return net, a, b

    return build()


@settings(max_examples=150, deadline=None)
@given(_small_nets(), st.lists(st.fractions(min_value=0, max_value=1, max_denominator=7), min_size=1, max_size=3))
def test_laws_on_small_rational_nets(case, probes):
    net, a, b = case
    if a == b:
        with pytest.raises(InputError, match="same point"):
            count_on_segment(net, a, b)
        return
    s = count_on_segment(net, a, b)
    ends = (F(0),) + s.breakpoints.activation + (F(1),)
    assert list(ends) == sorted(set(ends)) and len(s.patterns) == s.activation == len(ends) - 1
    point = lambda t: [p + t * (q - p) for p, q in zip(a, b)]  # noqa: E731
    for k in range(s.activation):
        lo, hi = ends[k], ends[k + 1]
        for u in probes:  # any point strictly inside a piece has its pattern and map
            t = lo + (hi - lo) * (F(1, 2) if u in (0, 1) else u)
            assert net.pattern_at(point(t)) == s.patterns[k]
            assert net.evaluate(point(t)) == tuple(sl * t + off for sl, off in s.maps[k])
    assert all(p != q for p, q in zip(s.patterns, s.patterns[1:]))  # every breakpoint changes the pattern
    lin = tuple(ends[k + 1] for k in range(s.activation - 1) if s.maps[k] != s.maps[k + 1])
    assert s.breakpoints.linear == lin and s.linear == len(lin) + 1
    back = count_on_segment(net, b, a)  # the same segment walked backwards
    assert back.breakpoints.activation == tuple(1 - t for t in reversed(s.breakpoints.activation))
    assert back.patterns == s.patterns[::-1] and back.linear == s.linear
    m = [(p + q) / 2 for p, q in zip(a, b)]  # halves: the pieces of both, one fewer if the middle is inside one
    left, right = count_on_segment(net, a, m), count_on_segment(net, m, b)
    assert left.activation + right.activation == s.activation + (F(1, 2) not in s.breakpoints.activation)


def test_float_weights_of_any_magnitude_are_read_exactly():
    # the float path scales by powers of two read from the exponents; the Fraction path must agree
    W0 = np.array([[1e300, -3e-300], [5e-324, 1.0], [-2.5, 7e15], [2.0**60, 1e-5]])
    b0 = np.array([-1e300, 0.1, 3e15, -(2.0**59)])
    W1, b1 = np.array([[1.0, -1e-200, 3.0, 2.0**-1000]]), np.array([0.0])
    floats = ExactNet.from_layers([(W0, b0), (W1, b1)], activation="abs")
    fracs = ExactNet.from_layers([(W0.tolist(), b0.tolist()), (W1.tolist(), b1.tolist())], activation="abs")
    assert floats.float_layers() is not None and fracs.float_layers() is None
    for a, b in (([0.0, -1.0], [2.0, 1.0]), ([-0.5, 0.0], [3.0, 0.25])):
        s = count_on_segment(floats, a, b)
        assert s == count_on_segment(fracs, a, b) and s.activation >= 2

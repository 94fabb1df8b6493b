"""The region engine: benchmark counts, per-output laws, invariances, whole plane, slices."""

import itertools
import json
from fractions import Fraction

import numpy as np
import pytest
import torch
from catalogue import BENCHMARK_NETS, seeded_torch
from engines import exact_engine_regions
from hypothesis import given, settings
from hypothesis import strategies as st

import exact.nd
from exact import ExactNet, count_regions, from_torch, regions
from exact.cells import Regions
from exact.errors import InputError, TooManyRegionsError
from exact.polygon_areas import polygon_area
from exact.predicates import point_from_xy, point_in_polygon, side


@pytest.mark.parametrize("name", sorted(BENCHMARK_NETS))
def test_benchmark_nets(name):
    widths, n_act, n_lin = BENCHMARK_NETS[name]
    r = regions(seeded_torch(widths), window=10.0)
    assert r.n_activation == n_act
    if n_lin is not None:
        assert r.n_linear == n_lin
    assert sum(c.exact_area for c in r.cells) == 400


def _deep_small(seed=0, widths=(2, 5, 5, 5, 5, 1)):
    return from_torch(seeded_torch(list(widths), seed))


def _euler_and_disjointness(r):
    cells = r.cells
    pts = {p for c in cells for p in _norm(c.verts)}
    # edges of the planar graph: each cell edge split at every vertex strictly inside it
    half_edges = 0
    boundary = 0
    for c in cells:
        n = len(c.verts)
        for i in range(n):
            p, q, line = c.verts[i], c.verts[(i + 1) % n], c.edges[i]
            inner = sum(1 for v in pts if side(line, v) == 0 and _strictly_between(p, q, v))
            half_edges += 1 + inner
            if _on_box(p, q, r.box):
                boundary += 1 + inner
    E = (half_edges + boundary) // 2
    assert (half_edges + boundary) % 2 == 0
    assert len(pts) - E + len(cells) == 1  # V - E + F = 1 for a subdivided disc
    # interiors pairwise disjoint: a separating edge line exists for every pair
    for a, b in itertools.combinations(cells, 2):
        assert any(all(side(e, v) <= 0 for v in b.verts) for e in a.edges) or any(
            all(side(e, v) <= 0 for v in a.verts) for e in b.edges
        )


def _norm(verts):
    return [tuple(v) for v in verts]


def _strictly_between(p, q, v):
    fp = (Fraction(p[0], p[2]), Fraction(p[1], p[2]))
    fq = (Fraction(q[0], q[2]), Fraction(q[1], q[2]))
    fv = (Fraction(v[0], v[2]), Fraction(v[1], v[2]))
    if fv in (fp, fq):
        return False
    return min(fp[0], fq[0]) <= fv[0] <= max(fp[0], fq[0]) and min(fp[1], fq[1]) <= fv[1] <= max(fp[1], fq[1])


def _on_box(p, q, h):
    fp = (Fraction(p[0], p[2]), Fraction(p[1], p[2]))
    fq = (Fraction(q[0], q[2]), Fraction(q[1], q[2]))
    return any(fp[k] == fq[k] and abs(fp[k]) == h for k in (0, 1))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_laws_on_deep_net(seed):
    r = regions(_deep_small(seed), window=4.0)
    assert sum(c.exact_area for c in r.cells) == 64
    for c in r.cells:
        assert c.exact_area > 0
        assert c.polygon.is_valid
        n = len(c.verts)
        for i in range(n):  # strictly convex, counter-clockwise, exactly
            (x0, y0), (x1, y1), (x2, y2) = (c.vertices[(i + k) % n] for k in range(3))
            assert (x1 - x0) * (y2 - y1) - (y1 - y0) * (x2 - x1) > 0
    _euler_and_disjointness(r)
    assert len({c.pattern for c in r.cells}) == r.n_activation  # one cell per pattern


def test_patterns_and_maps_match_exact_evaluation_inside_each_cell():
    net = _deep_small(0)
    r = regions(net, window=10.0)
    for c in r.cells:
        xs = [v[0] for v in c.vertices]
        ys = [v[1] for v in c.vertices]
        centroid = (sum(xs) / len(xs), sum(ys) / len(ys))  # strictly inside a convex polygon
        assert net.pattern_at(centroid) == c.pattern
        assert net.evaluate(centroid) == c.affine(centroid)
        assert r.locate(centroid) is c


def test_grid_sampling_finds_a_subset_of_the_exact_patterns():
    model = seeded_torch([2, 5, 5, 5, 5, 1]).double()
    r = regions(model, window=10.0)
    exact_patterns = {c.pattern for c in r.cells}
    xs = torch.linspace(-10, 10, 301, dtype=torch.float64)
    X, Y = torch.meshgrid(xs, xs, indexing="xy")
    h = torch.stack([X.ravel(), Y.ravel()], 1)
    pats = []
    for m in model:
        h = m(h)
        if isinstance(m, torch.nn.Linear) and m.out_features > 1:
            pats.append(h > 0)
    sampled = {tuple(int(v) for v in row) for row in torch.cat(pats, 1).tolist()}
    assert sampled <= exact_patterns
    assert len(sampled) < r.n_activation  # the grid misses small regions


def _shallow_fraction_net(seed, n=8):
    rng = np.random.default_rng(seed)
    W = [[Fraction(int(v), 7) for v in row] for row in rng.integers(-9, 10, size=(n, 2))]
    b = [Fraction(int(v), 5) for v in rng.integers(-9, 10, size=n)]
    V = [[Fraction(int(v), 3) for v in rng.integers(-4, 5, size=n)]]
    return W, b, V


def _counts(layers, window=3):
    r = regions(layers, window=Fraction(window))
    return r.n_activation, r.n_linear


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_invariances_shallow(seed):
    W, b, V = _shallow_fraction_net(seed)
    base = _counts([(W, b), (V, [0])])
    n = len(W)
    perm = list(np.random.default_rng(seed).permutation(n))
    assert _counts([([W[i] for i in perm], [b[i] for i in perm]), ([[V[0][i] for i in perm]], [0])]) == base
    # duplicate neuron 0 and split its output weight between the copies
    Wd, bd = W + [W[0]], b + [b[0]]
    Vd = [[V[0][0] / 2] + V[0][1:] + [V[0][0] / 2]]
    assert _counts([(Wd, bd), (Vd, [0])]) == base
    # scale neuron 1 by a positive factor, compensate in the output
    c = Fraction(13, 4)
    Ws = [list(r) for r in W]
    Ws[1] = [c * v for v in W[1]]
    bs = list(b)
    bs[1] = c * b[1]
    Vs = [list(V[0])]
    Vs[0][1] = V[0][1] / c
    assert _counts([(Ws, bs), (Vs, [0])]) == base
    # rotate the input by 90 degrees: W -> W R with R = [[0, -1], [1, 0]]; square window maps to itself
    Wr = [[r[1], -r[0]] for r in W]
    assert _counts([(Wr, b), (V, [0])]) == base


def test_deep_rescaling_and_rotation_invariance():
    net = _deep_small(3)
    base = regions(net, window=6.0)
    c = Fraction(5, 3)
    Ws, bs = list(net.weights), list(net.biases)
    Ws[1] = tuple(tuple(c * v for v in row) for row in Ws[1])
    bs[1] = tuple(c * v for v in bs[1])
    Ws[2] = tuple(tuple(v / c for v in row) for row in Ws[2])
    scaled = regions(ExactNet(tuple(Ws), tuple(bs), net.activations), window=6.0)
    assert (scaled.n_activation, scaled.n_linear) == (base.n_activation, base.n_linear)
    assert sorted(str(cl.affine) for cl in scaled.cells) == sorted(str(cl.affine) for cl in base.cells)
    W0 = tuple((row[1], -row[0]) for row in net.weights[0])
    rot = regions(ExactNet((W0,) + net.weights[1:], net.biases, net.activations), window=6.0)
    assert (rot.n_activation, rot.n_linear) == (base.n_activation, base.n_linear)


def test_dead_and_constant_neurons_do_not_split():
    # layer 2 neuron 0 reads only neuron 0 of layer 1 with bias 0: identically 0 where it is off
    layers = [([[1, 0], [0, 1]], [0, 0]), ([[1, 0], [0, 0]], [0, 0]), ([[1, 1]], [0])]
    r = regions(layers, window=1.0)
    assert r.n_activation == 4  # the two axis lines; the zero neuron adds nothing
    assert r.n_linear == 2  # only x = 0 changes the output
    assert count_regions(layers, window=1.0) == (4, 2)
    # regression: the whole-plane certificate once received the constant neuron's line (0, 0, c)
    # as a constraint and divided by zero
    assert count_regions(layers, window=None) == (4, 2)


def test_linear_merging_of_cancelling_neurons():
    # relu(x) - relu(-x) = x: the line x = 0 separates cells but not linear regions
    layers = [([[1, 0], [-1, 0]], [0, 0]), ([[1, -1]], [0])]
    assert count_regions(layers, window=None) == (2, 1)
    assert (regions(layers, window=None).n_linear, regions(layers, window=2.0).n_linear) == (1, 1)


def test_hardtanh_two_lines_per_neuron_and_abs_leaky():
    layers = [([[1, 0]], [0]), ([[1]], [0])]
    assert regions(layers, window=3.0, activation="hardtanh").n_activation == 3
    assert regions(layers, window=0.5, activation="hardtanh").n_activation == 1
    shifted = [([[1, 0]], [0.75]), ([[1]], [0])]  # breakpoints x = 0.25 and x = -1.75
    assert regions(shifted, window=0.5, activation="hardtanh").n_activation == 2
    assert count_regions(layers, window=3.0, activation="hardtanh") == (3, 3)
    assert regions(layers, window=1.0, activation="abs").n_linear == 2
    assert count_regions(layers, window=None, activation="leaky_relu") == (2, 2)


def test_whole_plane_deep_is_stable_beyond_the_certified_box():
    net = _deep_small(0)
    r = regions(net, window=None)
    bigger = regions(net, window=4 * r.box)
    assert (r.n_activation, r.n_linear) == (bigger.n_activation, bigger.n_linear)
    assert r.n_activation >= regions(net, window=10.0).n_activation
    assert any(not c.bounded for c in r.cells)
    assert count_regions(net, window=None) == (r.n_activation, r.n_linear)
    ref = exact_engine_regions(net, None)  # the exact whole-plane search, no certified floats
    assert (ref.n_activation, ref.n_linear) == (r.n_activation, r.n_linear)
    assert sorted(c.pattern for c in ref.cells) == sorted(c.pattern for c in r.cells)
    assert [c.bounded for c in sorted(ref.cells, key=lambda c: c.pattern)] == [
        c.bounded for c in sorted(r.cells, key=lambda c: c.pattern)]


def test_whole_plane_shallow_matches_formula():
    for seed in range(3):
        net = seeded_torch([2, 20, 1], seed)
        assert regions(net, window=None).n_activation == count_regions(net, window=None).activation == 211


def test_plane_slice_of_a_3d_net():
    torch.manual_seed(0)
    m = torch.nn.Sequential(torch.nn.Linear(3, 6), torch.nn.ReLU(), torch.nn.Linear(6, 1))
    r = regions(m, window=5.0, plane=([0, 0, 0], [1, 0, 0], [0, 1, 0]))
    # the slice z = 0 of a 3-D net is the 2-D net with the z column removed
    W, b = m[0].weight.detach()[:, :2], m[0].bias.detach()
    ref = regions([(W, b), (m[2].weight.detach(), m[2].bias.detach())], window=5.0)
    assert (r.n_activation, r.n_linear) == (ref.n_activation, ref.n_linear)
    # without plane= a 3-D net goes to the d-dimensional engine (it was an error before issue 18)
    whole = regions(m, window=5.0)
    assert type(whole).__name__ == "RegionsND"
    assert (whole.n_activation, whole.n_linear) == tuple(exact.nd.count_regions_nd(m, window=5.0))
    assert count_regions(m, window=5.0) == (whole.n_activation, whole.n_linear)
    assert whole.n_activation >= r.n_activation  # the slice z = 0 meets some of the 3-D cells
    with pytest.raises(InputError, match="collinear"):
        regions(m, plane=([0, 0, 0], [1, 1, 1], [2, 2, 2]))


@pytest.mark.parametrize("window, match", [(0, "got 0"), (-2.5, "got -2.5"), (float("nan"), "got nan"),
                                           (float("inf"), "got inf")])
def test_bad_windows(window, match):
    with pytest.raises(InputError, match=match):
        regions([([[1, 0]], [0]), ([[1]], [0])], window=window)


def test_max_regions_guard():
    with pytest.raises(TooManyRegionsError, match="max_regions=50"):
        regions(seeded_torch([2, 20, 1]), window=10.0, max_regions=50)


def test_scalar_output_shapes_and_geojson_and_plot():
    r = regions(_deep_small(0), window=10.0)
    gj = json.loads(json.dumps(r.to_geojson()))
    assert len(gj["features"]) == 81
    assert {f["properties"]["linear_region"] for f in gj["features"]} == set(range(77))
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    artists = r.plot(ax=ax)
    assert len(artists) == 3 and all(a.axes is ax for a in artists)
    # the deep net has 81 - 77 merges, so some boundaries are activation-only
    assert len(artists[2].get_segments()) > 0 and len(artists[1].get_segments()) > 0
    plt.close(fig)


def test_locate_exact_on_boundaries():
    r = regions([([[1, 0]], [0]), ([[1]], [0])], window=1.0)
    assert r.locate((Fraction(1, 3), 0)).pattern == (1,)
    assert r.locate((0, 0.5)) is not None  # on the line: a closed cell containing it
    with pytest.raises(InputError, match="2 coordinates"):
        r.locate((0, 0, 0))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_shallow_fast_path_agrees_with_layer_splitting(seed):
    # two independent exact engines: line arrangement with face tracing vs polygon splitting
    from exact.layer_split import enumerate_cells
    from exact.square_window import square

    rng = np.random.default_rng(seed)
    W = rng.integers(-4, 5, size=(14, 2)).astype(float)  # small integers: parallels and concurrencies
    b = rng.integers(-3, 4, size=14).astype(float) / 2
    layers = [(W, b), (rng.integers(-2, 3, size=(1, 14)).astype(float), [0.0])]
    net = ExactNet.from_layers(layers)
    fast = regions(net, window=2.5)
    raw = enumerate_cells(net, *square(5, 2))
    assert fast.n_activation == len(raw)
    assert {c.pattern for c in fast.cells} == {rc.pattern for rc in raw}
    assert sorted(c.exact_area for c in fast.cells) == sorted(polygon_area(rc.verts) for rc in raw)

    slow = Regions.from_raw(net, Fraction(5, 2), Fraction(5, 2), raw)
    assert fast.n_linear == slow.n_linear


def test_deep_line_through_a_vertex_and_along_an_edge():
    # layer 1: relu(x), relu(y); layer 2: relu(h1 + h2), relu(h1 - h2); output: their sum.
    # By hand: in x>0,y>0 the line x = y splits (x + y = 0 only touches the origin);
    # in x>0,y<0 the second neuron is x (its line x = 0 is an edge); elsewhere nothing splits.
    # Cells: 5. Maps: 2x (x>y>0 and x>0>y, adjacent along y = 0: one linear region),
    # x + y (y>x>0), y (x<0<y), 0 (x,y<0): 4 linear regions.
    layers = [([[1, 0], [0, 1]], [0, 0]), ([[1, 1], [1, -1]], [0, 0]), ([[1, 1]], [0])]
    for window in (None, 1.0, Fraction(1, 1000)):
        r = regions(layers, window=window)
        assert (r.n_activation, r.n_linear) == (5, 4), window
    r = regions(layers, window=1.0)
    assert str(r.locate((Fraction(1, 2), Fraction(-1, 4))).affine) == "(2)*x1 + (0)*x2 + (0)"
    assert r.locate((Fraction(1, 2), Fraction(-1, 4))).linear_region == r.locate((0.5, 0.25)).linear_region
    assert count_regions(layers, window=None) == (5, 4)


small = st.integers(min_value=-3, max_value=3)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(small, small, small), min_size=3, max_size=3),
       st.lists(st.tuples(small, small, small, small), min_size=3, max_size=3),
       st.sampled_from(["relu", "abs", "hardtanh"]))
def test_hypothesis_degenerate_deep_nets_obey_the_laws(l1, l2, act):
    # tiny integer weights: coincident, concurrent, dead and constant neurons everywhere
    layers = [([[a, b] for a, b, _ in l1], [c for _, _, c in l1]),
              ([[a, b, c] for a, b, c, _ in l2], [d for *_, d in l2]),
              ([[1, -1, 2]], [0])]
    net = ExactNet.from_layers(layers, activation=act)
    r = regions(net, window=2.0)
    assert sum(c.exact_area for c in r.cells) == 16
    assert len({c.pattern for c in r.cells}) == r.n_activation
    for c in r.cells:
        p = c.interior_point()
        assert net.pattern_at(p) == c.pattern
        assert net.evaluate(p) == c.affine(p)
    # an exact rational grid: every point lies in a closed cell; interior points agree exactly
    for i in range(-3, 4):
        for j in range(-3, 4):
            p = (Fraction(i, 2) + Fraction(1, 7), Fraction(j, 2) + Fraction(1, 11))
            cell = r.locate(p)
            assert cell is not None
            if point_in_polygon(cell.verts, cell.edges, point_from_xy(*p)) > 0:
                assert net.pattern_at(p) == cell.pattern

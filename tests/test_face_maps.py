"""Patterns and exact maps of arrangement faces, against the exact evaluation of the net at each face.

``FaceMaps`` spreads one face's sides and map across shared edges; the reference here
evaluates the net at an exact point inside every face (``ExactNet.pattern_at``) and
composes its map from the pattern (``affine_on_pattern``), independently of the spread.
"""

from fractions import Fraction

import numpy as np
import pytest
from catalogue import LINE_CASES, shallow_layers
from hypothesis import given, settings
from hypothesis import strategies as st

from exact import ExactNet
from exact.face_graph import FaceGraph, breadth_first_levels
from exact.face_maps import FaceMaps
from exact.line_arrangement import build_arrangement
from exact.line_count import first_layer_lines
from exact.network import affine_on_pattern
from exact.predicates import vertex_centroid

ACTS = ["relu", "leaky_relu", "hardtanh", "abs"]


def _check_every_face(net, half):
    arr = build_arrangement(first_layer_lines(net), Fraction(half))
    fm = FaceMaps(net, FaceGraph.from_arrangement(arr))
    assert len(fm) == len(arr.faces)
    for f, (verts, _, _) in enumerate(arr.faces):
        pattern = net.pattern_at(vertex_centroid(verts))
        assert fm.pattern(f) == pattern, f
        assert fm.affine(f) == affine_on_pattern(net, pattern), f
    return fm


@pytest.mark.parametrize("name", sorted(LINE_CASES))
@pytest.mark.parametrize("act", ACTS)
def test_catalogue_faces(name, act):
    # duplicated, scaled, parallel and concurrent lines, dead neurons, lines missing the window
    neurons = LINE_CASES[name]["neurons"]
    W, b = shallow_layers(neurons)[0]
    out = [[1 + (j % 3) for j in range(len(neurons))], [(-1) ** j for j in range(len(neurons))]]
    net = ExactNet.from_layers([(W, b), (out, [0, Fraction(1, 3)])], activation=act)
    for half in LINE_CASES[name]["window"]:
        _check_every_face(net, half)


small = st.fractions(min_value=-3, max_value=3, max_denominator=3)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 6), st.sampled_from(ACTS), st.data())
def test_random_rational_nets(n, act, data):
    W = [[data.draw(small), data.draw(small)] for _ in range(n)]
    b = [data.draw(small) for _ in range(n)]
    v = [[data.draw(small) for _ in range(n)]]
    net = ExactNet.from_layers([(W, b), (v, [data.draw(small)])], activation=act)
    _check_every_face(net, 2)


def test_patterns_only_for_deep_nets():
    net = ExactNet.from_layers([([[1, 0], [0, 1]], [0, 0]), ([[1, 1]], [0]), ([[1]], [0])])
    arr = build_arrangement(first_layer_lines(net), Fraction(1))
    fm = FaceMaps(net, FaceGraph.from_arrangement(arr), maps=False)
    assert sorted(map(tuple, fm.pieces(slice(None)).tolist())) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    with pytest.raises(ValueError, match="without output maps"):
        fm.affine(0)
    with pytest.raises(ValueError, match="one hidden layer"):
        FaceMaps(net, FaceGraph.from_arrangement(arr))


def test_every_face_is_reached_once():
    net = ExactNet.from_layers([([[1, 0], [0, 1], [1, 1]], [0, 0, -1]), ([[1, 1, 1]], [0])])
    arr = build_arrangement(first_layer_lines(net), Fraction(2))
    reached = np.concatenate([dst for _, dst, _ in breadth_first_levels(FaceGraph.from_arrangement(arr))])
    assert sorted(reached.tolist()) == list(range(1, len(arr.faces)))


@given(st.integers(-10**30, 10**30), st.integers(-10**30, 10**30).filter(lambda d: d != 0))
def test_ratio_text_is_str_of_the_fraction(a, d):
    from exact.json_numbers import ratio_text

    assert ratio_text(a, d) == str(Fraction(a, d))


@pytest.mark.parametrize("act", ["relu", "leaky_relu", "hardtanh"])
def test_geojson_from_the_face_arrays_equals_the_per_cell_objects(act):
    """The block path reads patterns and maps from the arrays; the per-cell path makes Fractions one by one."""
    from exact import regions
    from exact.geojson_export import feature_collection

    rng = np.random.default_rng(3)
    layers = [(rng.normal(size=(12, 2)), rng.normal(size=12)), (rng.normal(size=(2, 12)), rng.normal(size=2))]
    r = regions(layers, window=3, activation=act)
    fast = feature_collection(r.cells, r.face_maps)
    slow = feature_collection(r.cells)  # Cell.pattern and Cell.affine, resolved one cell at a time
    assert r.face_maps is not None and len(fast["features"]) == r.n_activation > 30
    assert fast == slow
    # and each feature's map is the net's map at the cell's interior point, exactly
    net = r.net
    for c, f in zip(r.cells[:10], fast["features"]):
        p = c.interior_point()
        want = affine_on_pattern(net, net.pattern_at(p))
        assert f["properties"]["gradient"] == [[str(g) for g in row] for row in want.gradient]
        assert f["properties"]["offset"] == [str(o) for o in want.offset]
        assert f["properties"]["pattern"] == "".join(map(str, net.pattern_at(p)))


def test_one_breakpoint_pieces_copied_by_runs_of_columns():
    """ReLU pieces read as side bits (copied by runs of consecutive columns, or by one take), flipped where a
    neuron's line is the other way round: a dead neuron (0 x + 0 y + 0), one constant on the window, a line
    twice (once reversed, once scaled), among 40 neurons, against the exact pattern at every face."""
    rng = np.random.default_rng(7)
    W = [[int(a), int(b)] for a, b in rng.integers(-9, 10, size=(40, 2))]
    b = [int(c) for c in rng.integers(-9, 10, size=40)]
    W[36], b[36] = [0, 0], 0  # dead: pre-activation 0 everywhere, piece 0
    W[37], b[37] = [1, 1], 50  # constant on the window: piece 1
    W[38], b[38] = [-W[3][0], -W[3][1]], -b[3]  # line 3 reversed
    W[39], b[39] = [2 * W[3][0], 2 * W[3][1]], 2 * b[3]  # line 3 scaled
    net = ExactNet.from_layers([(W, b), ([[1] * 40], [0])])
    fm = _check_every_face(net, 2)
    assert fm._runs is not None and len(fm._runs) > 1 and fm._flat is not None
    every = np.arange(len(fm))
    by_runs = fm.pieces(every)
    fm._runs = None  # one take instead
    assert np.array_equal(fm.pieces(every), by_runs)
    assert by_runs[:, 36].max() == 0 and by_runs[:, 37].min() == 1
    assert np.array_equal(by_runs[:, 38], 1 - by_runs[:, 3]) and np.array_equal(by_runs[:, 39], by_runs[:, 3])

"""GeoJSON of exact regions (exact/geojson_export.py, exact/json_numbers.py block helpers).

The oracles: each feature rebuilt here the slow way from the cell's own exact objects
(``str`` of every Fraction of ``cell.affine``, the float of a Fraction shoelace sum over
``cell.vertices``, ``cell.pattern`` written digit by digit), ``json.dumps`` of
:meth:`Regions.to_geojson` for the streamed text, and ``str(Fraction)`` for the block map text.
"""

import io
import json
import sys
import tracemalloc
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import exact
import exact.geojson_export as gx
from exact.cells import Regions
from exact.errors import InputTypeError, ResourceLimitError, UnsupportedActivationError
from exact.json_numbers import area_json, area_jsons, json_number, maps_text, ratio_texts
from exact.layer_split import enumerate_cells
from exact.polygon_areas import polygon_area
from exact.square_window import square
from exact.windows import ConvexWindow
from numeric.models import seeded_mlp


def _exact_engine(widths):
    net = exact.as_exact_net(seeded_mlp(widths, seed=1))
    return Regions.from_raw(net, Fraction(3), Fraction(3), enumerate_cells(net, *square(3, 1)))


def _hardtanh(widths):
    layers = [(3 * m.weight.detach().double().numpy(), 3 * m.bias.detach().double().numpy())
              for m in seeded_mlp(widths, seed=0).modules() if hasattr(m, "weight")]
    return exact.regions(layers, window=10, activation="hardtanh")


def _small(widths, seed, scale=1.0, activation="relu", window=10.0):
    """A seeded net whose first-layer biases (so its vertices) are multiplied by ``scale``."""
    layers = [(m.weight.detach().double().numpy(), m.bias.detach().double().numpy())
              for m in seeded_mlp(widths, seed=seed).modules() if hasattr(m, "weight")]
    layers[0] = (layers[0][0], layers[0][1] * scale)
    return exact.regions(layers, window=None if window is None else window * scale, activation=activation)


DEGENERATE = [([[1.0, 0.0], [1.0, 0.0], [2.0, 0.0], [0.0, 1.0], [1.0, 1.0], [1.0, -1.0], [0.5, -2.0]],
               [0.0, 0.0, -1.0, 0.0, 0.0, 0.0, 0.75]),   # a duplicate, a parallel, three lines through 0
              ([[1.0, -2.0, 0.5, 3.0, -1.0, 0.25, 1.5]], [0.125])]

CASES = {
    "leaky relu": lambda: _small([2, 12, 1], 4, activation="leaky_relu"),
    "abs": lambda: _small([2, 10, 1], 5, activation="abs"),
    "deep abs": lambda: _small([2, 5, 5, 1], 6, activation="abs", window=5.0),
    "deep leaky relu, whole plane": lambda: _small([2, 5, 5, 1], 7, activation="leaky_relu", window=None),
    "duplicate, parallel and concurrent neurons": lambda: exact.regions(DEGENERATE, window=2),
    "two layers, degenerate first layer: exact engine": lambda: exact.regions(
        [DEGENERATE[0], ([[1.0, -1.0, 0.5, 1.0, 1.0, -2.0, 1.0], [0.5, 1.0, -1.0, 0.0, 2.0, 1.0, -1.0]],
                         [0.0, 0.25]), ([[1.0, 1.0]], [0.0])], window=2),
    "vertices near 2^300": lambda: _small([2, 9, 1], 8, scale=2.0**300),
    "vertices near 2^-300": lambda: _small([2, 9, 1], 9, scale=2.0**-300),
    "areas beyond the float range": lambda: _small([2, 6, 1], 10, scale=2.0**600),
    "deep, vertices near 2^-300": lambda: _small([2, 5, 5, 1], 11, scale=2.0**-300),

    "one hidden layer": lambda: exact.regions(seeded_mlp([2, 30, 1], seed=0), window=10),
    "hardtanh, three pieces": lambda: _hardtanh([2, 10, 1]),
    "two outputs": lambda: exact.regions(seeded_mlp([2, 12, 2], seed=3), window=2),
    "deep certified": lambda: exact.regions(seeded_mlp([2, 8, 8, 1], seed=0), window=10),
    "exact engine": lambda: _exact_engine([2, 6, 6, 1]),
    "whole plane, one layer": lambda: exact.regions(seeded_mlp([2, 9, 1], seed=0), window=None),
    "whole plane, deep": lambda: exact.regions(seeded_mlp([2, 6, 6, 1], seed=0), window=None),
    "polygon window": lambda: exact.regions(seeded_mlp([2, 20, 1], seed=0), window=[(0, 0), (5, 1), (1, 4)]),
    "deep polygon window": lambda: exact.regions(seeded_mlp([2, 6, 6, 1], seed=2),
                                                 window=[(-3, -3), (4, -1), (0, 5)]),
}


def _shoelace(points):
    """The exact area of a counter-clockwise polygon of Fraction points."""
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1])) / 2


def _slow_area(c):
    """The float of the exact area (its text when no float holds it), or None for an unbounded cell."""
    if not c.bounded:
        return None
    area = _shoelace(c.vertices)
    try:
        f = float(area)   # Fraction -> float is correctly rounded
    except OverflowError:
        return json_number(area)
    return f if f != 0 else json_number(area)


def _slow_feature(c):
    """A cell's feature made from its own exact objects, one Fraction at a time."""
    a = c.affine
    ring = [[float(x), float(y)] for x, y in c.vertices]
    return {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring + ring[:1]]},
            "properties": {"index": c.index, "pattern": "".join(str(p) for p in c.pattern),
                           "linear_region": c.linear_region, "bounded": c.bounded, "area": _slow_area(c),
                           "gradient": [[str(g) for g in row] for row in a.gradient],
                           "offset": [str(o) for o in a.offset]}}


def _first_difference(got, want):
    """None when the texts are equal, else both around their first difference (pytest's diff of long texts
    takes minutes)."""
    if got == want:
        return None
    k = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
    return got[max(0, k - 100):k + 100], want[max(0, k - 100):k + 100]


@pytest.mark.parametrize("name", list(CASES))
def test_write_geojson_is_json_dump_of_to_geojson_and_matches_the_slow_features(name, tmp_path):
    r = CASES[name]()
    if "exact engine" in name:
        assert r.face_maps is None and r.certified is None
    elif "deep" in name:
        assert r.certified is not None
    else:
        assert r.face_maps is not None
    if "polygon" in name:
        assert isinstance(r.window, ConvexWindow)
    if "hardtanh" in name:
        assert {p for c in r.cells for p in c.pattern} == {0, 1, 2}
    g = r.to_geojson()
    path = tmp_path / "r.geojson"
    r.write_geojson(path)
    assert _first_difference(path.read_text(encoding="utf-8"), json.dumps(g)) is None  # as json.dump writes
    f = io.StringIO()
    r.write_geojson(f)
    assert _first_difference(f.getvalue(), json.dumps(g)) is None
    assert g["features"] == [_slow_feature(c) for c in r.cells]
    areas = [feat["properties"]["area"] for feat in g["features"] if feat["properties"]["bounded"]]
    assert sum(map(Fraction, areas)) > 0
    if "beyond the float range" in name:   # each area is about 2^1200: exact scientific text
        assert all(isinstance(a, str) and 308 < int(a.split("e+")[1]) < 365 for a in areas), areas
    if "degenerate" in name:   # the duplicate neurons 0 and 1 agree in every cell
        assert all(feat["properties"]["pattern"][0] == feat["properties"]["pattern"][1] for feat in g["features"])
    assert {len(feat["properties"]["pattern"]) for feat in g["features"]} == {sum(r.net.widths[1:-1])}


def test_pattern_strings_write_one_digit_per_neuron_and_refuse_two_digit_pieces():
    import numpy as np

    assert gx.pattern_strings(np.array([[1, 1, 1, 0, 1], [0, 2, 9, 0, 0]], dtype=np.int8)) == ["11101", "02900"]
    assert gx.pattern_strings(np.zeros((2, 0), dtype=np.int8)) == ["", ""]
    assert gx.pattern_strings(np.zeros((0, 4), dtype=np.int8)) == []
    with pytest.raises(UnsupportedActivationError, match="neuron 2 of cell 1 is on piece 10"):
        gx.pattern_strings(np.array([[0, 0, 0], [1, 0, 10]]))


def _zigzag(name, n_breakpoints):
    """A continuous activation with breakpoints 0, 1, ..., slopes 1, -1, 1, ..."""
    from exact.activations import piecewise_linear

    slopes = [(-1) ** k for k in range(n_breakpoints + 1)]
    intercepts = [0]
    for k in range(n_breakpoints):   # piece k + 1 meets piece k at x = k
        intercepts.append(slopes[k] * k + intercepts[k] - slopes[k + 1] * k)
    return piecewise_linear(name, list(range(n_breakpoints)), slopes, intercepts)


def test_geojson_refuses_an_activation_of_more_than_ten_pieces():
    net = exact.ExactNet.from_layers([([[1, 0]], [0]), ([[1]], [0])], activation=_zigzag("stairs", 10))
    r = exact.regions(net, window=20)
    assert sorted(c.pattern for c in r.cells) == [(k,) for k in range(11)]   # piece 10 on x > 9
    with pytest.raises(UnsupportedActivationError, match="activation 'stairs' of hidden layer 0 has 11 pieces"):
        r.to_geojson()
    f = io.StringIO()
    with pytest.raises(UnsupportedActivationError, match="at most 10 pieces"):
        r.write_geojson(f)
    assert f.getvalue() == ""   # refused before anything is written
    g = exact.regions(exact.ExactNet.from_layers([([[1, 0]], [0]), ([[1]], [0])], activation=_zigzag("nine", 9)),
                      window=20).to_geojson()
    assert sorted(f["properties"]["pattern"] for f in g["features"]) == [str(k) for k in range(10)]


def test_write_geojson_of_several_blocks_and_of_no_cells(monkeypatch):
    r = exact.regions(seeded_mlp([2, 12, 1], seed=0), window=3)
    monkeypatch.setattr(gx, "BLOCK", 5)   # len(r) is not a multiple of 5: a short last block
    assert len(r) > 10 and len(r) % 5
    f = io.StringIO()
    r.write_geojson(f)
    assert _first_difference(f.getvalue(), json.dumps(r.to_geojson())) is None
    f = io.StringIO()
    gx.write_feature_collection([], None, f)
    assert f.getvalue() == json.dumps({"type": "FeatureCollection", "features": []})


def test_write_geojson_holds_one_block_at_a_time(monkeypatch):
    r = exact.regions(seeded_mlp([2, 40, 1], seed=0), window=10)
    r.to_geojson()   # the lazy arrays (patterns, maps, polygons) are made, as the result keeps them
    monkeypatch.setattr(gx, "BLOCK", 16)
    tracemalloc.start()
    g = r.to_geojson()
    whole = tracemalloc.get_traced_memory()[0]
    del g
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]

    class Null:
        def write(self, s):
            return len(s)

    r.write_geojson(Null())
    streamed = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    assert len(r) > 40 * 16
    assert streamed < whole / 5, (streamed, whole)


def test_write_geojson_shows_progress_over_every_cell(monkeypatch):
    seen = []

    class Bar:
        def update(self, n=1):
            seen.append(n)

        def close(self):
            seen.append("closed")

    def bar(enabled, total, desc, unit="it"):
        seen.append((enabled, total))
        return Bar()

    r = exact.regions(seeded_mlp([2, 12, 1], seed=0), window=3)
    monkeypatch.setattr(gx, "progress_bar", bar)
    monkeypatch.setattr(gx, "BLOCK", 7)
    r.write_geojson(io.StringIO(), progress=True)
    assert seen[0] == (True, len(r)) and seen[-1] == "closed" and sum(seen[1:-1]) == len(r)


def test_write_geojson_refuses_what_is_not_a_file():
    r = exact.regions([([[1.0, 0.0]], [0.0]), ([[1.0]], [0.0])], window=1.0)
    with pytest.raises(InputTypeError, match="file must be a path or a text file object, got int"):
        r.write_geojson(3)


def test_collection_memory_estimate_bounds_the_dict_and_refuses_over_half_the_memory():
    r = exact.regions(seeded_mlp([2, 30, 1], seed=0), window=10)
    need = gx.feature_collection_bytes(len(r), 30)
    r.to_geojson()   # the lazy arrays are made (and kept by r) on the first call
    tracemalloc.start()
    g = r.to_geojson()
    measured = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert measured <= need <= 2 * measured   # the estimate is an upper bound, and not a loose one
    with pytest.raises(ResourceLimitError, match=rf"about .* for its {len(r):,} cells .* write_geojson\(path\)"):
        gx.check_collection_memory(len(r), 30, 2 * need - 1)
    gx.check_collection_memory(len(r), 30, 2 * need)
    gx.check_collection_memory(len(r), 30, None)   # unknown: nothing to check
    assert len(g["features"]) == len(r)


def test_cli_geojson_writes_the_same_text_as_to_geojson(tmp_path):
    from exact.cli import main

    layers = [([[1.0, 0.5], [-1.0, 2.0], [0.25, -1.0]], [0.0, 1.0, -0.5]), ([[1.0, -2.0, 3.0]], [0.5])]
    spec = tmp_path / "net.json"
    spec.write_text(json.dumps({"layers": [{"weight": W, "bias": b} for W, b in layers]}))
    out = tmp_path / "r.geojson"
    assert main(["regions", str(spec), "--geojson", str(out), "--quiet"]) == 0
    assert _first_difference(out.read_text(encoding="utf-8"), json.dumps(exact.regions(layers).to_geojson())) is None


ints = st.integers(min_value=-(2**200), max_value=2**200)


@settings(max_examples=200, deadline=None)
@given(st.lists(ints, max_size=12), ints.filter(bool))
def test_ratio_texts_is_str_of_each_fraction(nums, d):
    assert ratio_texts(nums, d) == [str(Fraction(a, d)) for a in nums]


int64_edges = st.one_of(st.integers(min_value=-(2**63) - 2, max_value=2**63 + 2),
                        st.sampled_from([0, 1, -1, 2**63 - 1, -(2**63) + 1, -(2**63), 2**63, 2**62, -(2**62)]))


@settings(max_examples=300, deadline=None)
@given(st.lists(int64_edges, max_size=12), int64_edges.filter(bool))
def test_ratio_texts_in_int64_arrays_is_str_of_each_fraction(nums, d):
    """The int64 path (every value and the denominator within 2^63) and its edges: -2^63, 2^63, d < 0."""
    assert ratio_texts(nums, d) == [str(Fraction(a, d)) for a in nums]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(int64_edges, ints, st.integers(-(2**62), 2**62).map(lambda a: a << 40)), max_size=14),
       st.integers(0, 200), st.sampled_from([1, 3, 5 * 7 * 11, 2**55 - 1, 2**56 + 1, 2**63 - 1, 2**63 + 1]),
       st.sampled_from([1, -1]))
def test_ratio_texts_over_a_power_of_two_times_an_odd_number(nums, k, odd, sign):
    """The int64 path for d = 2^k o past int64 (o within it): values inside and outside int64, zeros."""
    d = sign * (odd << k)
    assert ratio_texts(nums, d) == [str(Fraction(a, d)) for a in nums]


def test_ratio_texts_past_the_digit_limit():
    big = 7**20000   # 16 902 digits
    texts = ratio_texts([big, 3], 3 * big)
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        assert texts == ["1/3", str(Fraction(3, 3 * big))]
    finally:
        sys.set_int_max_str_digits(limit)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(ints, ints, ints), min_size=1, max_size=3), ints.filter(bool))
def test_maps_text_is_str_of_each_fraction(rows, d):
    (grad, off), = maps_text([rows], d)
    assert grad == [[str(Fraction(a, d)), str(Fraction(b, d))] for a, b, _ in rows]
    assert off == [str(Fraction(c, d)) for _, _, c in rows]


coords = st.integers(min_value=-(2**70), max_value=2**70)
dens = st.integers(min_value=1, max_value=2**70)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(coords, coords, dens), min_size=3, max_size=7))
def test_area_json_is_json_number_of_the_exact_area(verts):
    assert area_json(verts) == json_number(polygon_area(verts))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.tuples(coords, coords, dens), min_size=3, max_size=6), max_size=5))
def test_area_jsons_of_a_block_is_each_polygons_json_number(polys):
    """One call for a block, with areas beyond the float range, underflowing and 0 among ordinary ones."""
    big, tiny = 10**200, 10**200
    polys = polys + [[(0, 0, 1), (big, 0, 1), (0, big, 1)], [(0, 0, 1), (1, 0, tiny), (0, 1, tiny)],
                     [(0, 0, 1), (1, 1, 1), (2, 2, 1)]]
    assert area_jsons(polys) == [json_number(polygon_area(p)) for p in polys]


@pytest.mark.parametrize("scale", [10**200, Fraction(1, 10**200)])
def test_area_json_beyond_the_float_range(scale):
    s = Fraction(scale)
    verts = [(0, 0, 1), (s.numerator, 0, s.denominator), (0, s.numerator, s.denominator)]
    got = area_json(verts)
    assert isinstance(got, str) and got == json_number(polygon_area(verts))
    assert got == ("5.00000e+399" if scale == 10**200 else "5.00000e-401")


@pytest.mark.parametrize("layers", [
    [([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0]), ([[1.0, 1.0]], [0.0])],   # one hidden layer: the face arrays
    [([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0]), ([[1.0, 1.0], [1.0, -1.0]], [0.0, 0.5]), ([[1.0, 1.0]], [0.0])],
])
def test_geojson_refuses_vertices_beyond_the_float_range(layers):
    """GeoJSON numbers are floats: a window corner at 10^400 is refused by name (not written as Infinity),
    before anything is written."""
    r = exact.regions(layers, window=10**400)
    f = io.StringIO()
    for write in (r.to_geojson, lambda: r.write_geojson(f)):
        with pytest.raises(exact.InputError, match=r"GeoJSON export: window=1e\+400 reaches 1e\+400, beyond"):
            write()
    assert f.getvalue() == ""


def test_geojson_leaves_the_collectors_state_as_it_was(monkeypatch):
    """The dict is made with full collections held (exact.gc_pause); the thresholds and the enabled state come
    back exactly, also when the collector was off, and also after an error."""
    import gc

    r = exact.regions(seeded_mlp([2, 8, 1], seed=0), window=3)
    before = gc.get_threshold()
    gc.set_threshold(500, 7, 9)
    try:
        r.to_geojson()
        assert gc.get_threshold() == (500, 7, 9) and gc.isenabled()
        gc.disable()
        r.to_geojson()
        assert gc.get_threshold() == (500, 7, 9) and not gc.isenabled()
        gc.enable()

        def broken(*args, **kwargs):
            assert gc.get_threshold()[2] > 10**9   # held while the features are made
            raise KeyboardInterrupt

        monkeypatch.setattr(gx, "_block_features", broken)
        with pytest.raises(KeyboardInterrupt):
            r.to_geojson()
        assert gc.get_threshold() == (500, 7, 9) and gc.isenabled()
    finally:
        gc.enable()
        gc.set_threshold(*before)


def _far_layers(seed, n, row_exp, out_exp):
    """A 2-n-1 net whose neuron rows are scaled by 2^e each (same lines, huge or tiny coefficients)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    scale = 2.0 ** rng.integers(-row_exp, row_exp + 1, size=(n, 1))
    return [(rng.standard_normal((n, 2)) * scale, rng.standard_normal(n) * scale[:, 0]),
            (rng.standard_normal((1, n)) * 2.0 ** rng.integers(-out_exp, out_exp + 1, size=(1, n)),
             rng.standard_normal(1))]


@pytest.mark.parametrize("layers, window", [
    (_far_layers(5, 20, 500, 500), 2.0**400),  # coordinates near 2^400, areas near 2^800
    (_far_layers(6, 20, 500, 500), 2.0**-300),  # tiny coordinates and areas
    (_far_layers(7, 12, 0, 0), 2.0**520),  # areas beyond the float range: text
    ([([[1, 0], [0, 1], [1, 1], [1, -1], [2, 2], [1, 0]], [0, 0, 0, 0, -1, 0]), ([[1, -2, 3, 1, 0, 2]], [0])], 3),
])
def test_geojson_areas_and_maps_from_the_arrays_are_the_exact_ones(layers, window):
    """The block path (rounded areas proved by the double-double filter, int64 map texts) against the
    per-cell path and against the exact area of each cell written by json_number."""
    r = exact.regions(layers, window=window)
    fast = gx.feature_collection(r.cells, r.face_maps)
    assert fast == gx.feature_collection(r.cells)
    areas = [f["properties"]["area"] for f in fast["features"]]
    def fraction_area(verts):  # vertex by vertex in Fractions: independent of the integer shoelace
        pts = [(Fraction(X, D), Fraction(Y, D)) for X, Y, D in verts]
        return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(pts, pts[1:] + pts[:1])) / 2

    assert areas == [json_number(fraction_area(c.verts)) for c in r.cells]
    assert json.dumps(fast) == json.dumps(r.to_geojson())

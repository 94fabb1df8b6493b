"""Adversarial review of the double-double area filter, the GeoJSON block path and the tiny-net splitter.

References are independent of the code under test: areas are summed in Fractions vertex by
vertex (never through :func:`exact.predicates.shoelace_sum`), patterns and maps come from the
exact net at a point strictly inside each cell, counts from the exact engine alone.  Polygons
are built with a chosen exact area: a rounding midpoint ``F + ulp/2`` of a float ``F`` (also at
powers of two, where the gap below is half the gap above), or that midpoint moved by a relative
``2^-k`` (``k`` up to 122, about 1e-37), then sheared (determinant 1), translated far away
(cancellation), given per-vertex denominators, repeated and collinear vertices (up to 257).
The filter may answer NaN; a float it gives must be the float of the exact area.  Two broken
copies of the filter (the gap test on the larger gap, the error bound dropped) are run through
the same cases to show the checks catch them.
"""

import inspect
import types
from fractions import Fraction

import numpy as np
import pytest
from engines import exact_engine_regions
from hypothesis import given, settings
from hypothesis import strategies as st

import exact
from exact import ExactNet, area_floats
from exact._certified.small_cells import small_counts
from exact.errors import Undecided
from exact.geojson_export import feature_collection
from exact.network import affine_on_pattern
from exact.predicates import shoelace_sum
from exact.validation import check_window


def _exact_area(verts):
    """The exact area, in Fractions vertex by vertex (independent of the integer shoelace)."""
    pts = [(Fraction(X, D), Fraction(Y, D)) for X, Y, D in verts]
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(pts, pts[1:] + pts[:1])) / 2


def _run(polys, module=area_floats):
    """The filter's floats for ``polys`` (vertex lists), one ring per polygon."""
    points = [v for p in polys for v in p]
    start = np.cumsum([0] + [len(p) for p in polys])
    return module.rounded_areas(points, np.arange(len(points)), start)


def _wrong(polys, module=area_floats):
    """Polygons whose decided float is not the float of the exact area; and how many were decided."""
    got = _run(polys, module).tolist()
    bad = [(p, a) for a, p in zip(got, polys) if a == a and a != float(_exact_area(p))]
    return bad, sum(a == a for a in got)


def _target(m, e, k, sign, third):
    """``2 T`` for the exact area ``T``: the midpoint above ``F = m 2^(e-52)`` (``2^52 <= m < 2^53``), moved
    by ``sign 2^(e-k)`` (divided by 3 when ``third``): a Fraction."""
    mid = Fraction(2 * m + 1) * Fraction(2) ** (e - 53)
    move = sign * Fraction(2) ** (e - k) / (3 if third else 1)
    return 2 * (mid + move)


def _polygon(twice, extra_bits, odd, B, shear, shift, extra, rotate, scales):
    """A polygon of exact area ``twice / 2``: vertices ``(X, Y, D)``, ``D = 2^j odd`` with the least ``j``
    that makes ``N = twice D^2`` an integer, plus ``extra_bits``.  The quad (0, 0), (B, 0), (r, H), (0, 1)
    in units of ``1 / D`` (``N = B H + r``; ``B`` raised so that ``H < 2^57``), sheared ``x += shear y``
    (area kept), moved by ``shift`` (units), ``extra`` collinear vertices put on its first edge and one
    repeated (``5 + extra`` vertices), rotated, and vertex ``i`` written over ``D scales[i]`` where that
    stays below 2^62.  None when ``N`` is not an integer or ``B`` would pass 2^60."""
    j = extra_bits
    while (twice * (odd << j) ** 2).denominator != 1 and j < 200:
        j += 1
    D = odd << j
    N = twice * D * D
    if N.denominator != 1 or N <= 0:
        return None
    N = N.numerator
    B = max(B, (N >> 57) + 1)
    if B >= 2**60:
        return None
    H, r = divmod(N, B)
    quad = [(0, 0), (B, 0), (r, H), (0, 1)]
    if extra:  # collinear points (1, 0) .. (extra, 0) on the first edge, and (0, 0) repeated
        quad = [(0, 0), (0, 0)] + [(i, 0) for i in range(1, extra + 1)] + quad[1:]
    pts = [(x + shear * y + shift[0], y + shift[1]) for x, y in quad]
    pts = pts[rotate % len(pts):] + pts[:rotate % len(pts)]
    out = []
    for i, (x, y) in enumerate(pts):
        c = scales[i % len(scales)]
        c = c if max(abs(x), abs(y), D) * c < 2**62 else 1
        out.append((x * c, y * c, D * c))
    return out


def _cases(seed, count):
    """Deterministic adversarial polygons (used by the broken-filter checks)."""
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < count:
        m = int(rng.choice([2**52, 2**53 - 1, int(rng.integers(2**52, 2**53))]))
        e = int(rng.integers(-20, 50))
        k = int(rng.integers(40, 116))
        twice = _target(m, e, k, int(rng.choice([-1, 0, 1])), bool(rng.integers(2)))
        if rng.integers(3) == 0:  # the midpoint below a power of two: 2^e - 2^(e-54)
            twice = 2 * (Fraction(2) ** e - Fraction(2) ** (e - 54)
                         + int(rng.choice([-1, 0, 1])) * Fraction(2) ** (e - k) / int(rng.choice([1, 3])))
        B = int(rng.choice([1 << 31, (1 << 40) + 1, 3**20, 12345]))
        shift = tuple(int(v) for v in rng.integers(-(2**59), 2**59, size=2) >> int(rng.integers(0, 60)))
        poly = _polygon(twice, int(rng.integers(0, 3)), int(rng.choice([3, 15, 2**20 + 7])), B,
                        int(rng.integers(-3, 4)), shift, int(rng.choice([0, 0, 3])), int(rng.integers(8)),
                        [1, int(rng.choice([1, 3]))])
        if poly is not None:
            out.append(poly)
    return out


ms = st.one_of(st.just(2**52), st.just(2**53 - 1), st.integers(2**52, 2**53 - 1))


@settings(max_examples=400, deadline=None)
@given(ms, st.integers(-30, 60), st.integers(30, 118), st.sampled_from([-1, 0, 1]), st.booleans(),
       st.integers(0, 4), st.sampled_from([3, 9, 15, 2**20 + 7]),
       st.sampled_from([1, 2**31, 2**40 + 1, 3**25, 999983]), st.integers(-5, 5),
       st.tuples(st.integers(-(2**59), 2**59), st.integers(-(2**59), 2**59)), st.integers(0, 61),
       st.integers(0, 7), st.lists(st.sampled_from([1, 1, 2, 3, 2**10 + 1]), min_size=1, max_size=4))
def test_areas_at_and_near_rounding_midpoints(m, e, k, sign, third, j, odd, B, shear, shift, drop, rotate, scales):
    """Quads whose exact area is a midpoint between two floats, or within 2^-k (relative) of it."""
    twice = _target(m, e, k, sign, third)
    poly = _polygon(twice, j, odd, B, shear, (shift[0] >> drop, shift[1] >> drop), 0, rotate, scales)
    if poly is None:
        return
    assert _exact_area(poly) == twice / 2
    assert _wrong([poly])[0] == []


@settings(max_examples=150, deadline=None)
@given(st.integers(-20, 60), st.integers(40, 118), st.sampled_from([-1, 0, 1]), st.integers(0, 3),
       st.sampled_from([1, 3]), st.integers(0, 61), st.integers(0, 7))
def test_areas_at_the_midpoint_below_a_power_of_two(e, k, sign, j, third, drop, rotate):
    """2^e - 2^(e-54) (+- 2^(e-k), or a third of it): the gap below 2^e is half the gap above."""
    twice = 2 * (Fraction(2) ** e - Fraction(2) ** (e - 54) + sign * Fraction(2) ** (e - k) / third)
    poly = _polygon(twice, j, 3, 2**31 + 1, 1, ((2**59 - 1) >> drop, -(2**59) >> drop), 0, rotate, [1])
    if poly is not None:
        assert _wrong([poly])[0] == []


@pytest.mark.parametrize("extra", [249, 250, 251, 252])
def test_many_vertices_up_to_257(extra):
    """254 to 257 vertices (collinear ones and a repeated one): decided up to 256, NaN past it, never wrong."""
    twice = _target(2**52 + 12345, 30, 40, 1, True)
    poly = _polygon(twice, 0, 3, 2**31, 2, (2**20, -(2**21)), extra, 5, [1, 3])
    assert len(poly) == extra + 5
    bad, decided = _wrong([poly])
    assert bad == []
    assert decided == (len(poly) <= 256)


def test_slivers_and_tiny_and_huge_polygons():
    """Area tiny against the coordinates (cancellation), and coordinates near 2^62 or 2^-61."""
    polys = []
    for n in range(1, 60):
        # a sliver: (-2^61 + n, ...) long edge, height 1/D: area about 2^61 / D
        D = 2**61 - n
        polys.append([(-(2**61) + n, -(2**61) + 1, D), (2**61 - 1, 2**61 - n, D), (2**61 - 2, 2**61 - n - 1, D)])
        polys.append([(1, 0, D), (2, 0, D), (1, n, D)])  # tiny: area n / (2 D^2), about 2^-122
        polys.append([(-(2**62) + 1, -(2**62) + 1, 1), (2**62 - 1, -(2**62) + 1, 1), (2**62 - n, 2**62 - 1, 3)])
        polys.append([(2**62 - 1, 0, 1), (2**62 - 1, 1, 1), (2**62 - 2, n, 1)])  # a unit sliver far out
    bad, decided = _wrong(polys)
    assert bad == []
    assert decided >= len(polys) // 2  # the filter does run here (a filter always NaN would not)


def test_clockwise_degenerate_and_outside_int64():
    """Negative (clockwise) and zero areas, fewer than 3 vertices, -2^63, 2^62, 2^63, 2^1100, D <= 0:
    NaN (left to the exact sum) or the right float, never an exception or a wrong float."""
    polys = [[(0, 0, 1), (0, 1, 1), (1, 0, 1)],  # clockwise
             [(0, 0, 1), (1, 1, 1), (2, 2, 1)],  # zero
             [(0, 0, 1), (1, 0, 1)],
             [(0, 0, 1), (1, 0, 1), (1, 1, 1), (1, 1, 1), (0, 0, 1)],
             [(-(2**63), 0, 1), (1, 0, 1), (0, 1, 1)],
             [(2**62, 0, 1), (1, 0, 1), (0, 1, 1)],
             [(2**62 - 1, 0, 1), (2**62 - 1, 1, 1), (0, 1, 1)],
             [(2**63, 0, 1), (1, 0, 1), (0, 1, 1)],
             [(2**1100, 0, 1), (1, 0, 1), (0, 1, 1)],
             [(0, 0, -1), (1, 0, -1), (0, 1, -1)],
             [(0, 0, 2**62 - 1), (1, 0, 2**62 - 1), (0, 1, 2**62 - 1)],
             [(0, 0, 2**62), (1, 0, 1), (0, 1, 1)]]
    with np.errstate(all="raise", under="ignore"):  # no overflow or invalid operation (underflow: see below)
        got = _run(polys).tolist()
    for a, p in zip(got, polys):
        assert a != a or a == float(_exact_area(p)), p
    # 2^62 - 1 is taken only where the batch fits int64: here (2^63 in it) its float, 2^62, leaves it out
    assert [a == a for a in got] == [False, False, False, True, False, False, False, False, False, False, False,
                                     False]
    assert _run(polys[6:7] + polys[10:11]).tolist() == [float(_exact_area(polys[6])), float(_exact_area(polys[10]))]


def test_subnormal_and_limit_areas_are_left_undecided():
    """Areas below 2^-881 (the filter's low limit) are NaN, never a float that ignores underflow."""
    D = 2**61 + 1
    tiny = [[(0, 0, D), (1, 0, D), (0, 1, D)]]  # 1 / (2 D^2), about 2^-123: inside the limits
    assert _run(tiny)[0] == float(_exact_area(tiny[0]))
    assert np.nextafter(0.0, 1.0) > 0 and area_floats._LOW == 2.0**-880


def test_no_floating_point_error_under_errstate_raise():
    """A zero or clockwise polygon: the gap test took nextafter of 0 (a subnormal) before it checked _LOW,
    which raised FloatingPointError under ``np.errstate(all="raise")`` (review finding, now fixed)."""
    with np.errstate(all="raise"):
        got = _run([[(0, 0, 1), (1, 1, 1), (2, 2, 1)]])
    assert np.isnan(got).all()


def test_shoelace_sum_against_fractions_with_mixed_denominators():
    rng = np.random.default_rng(5)
    for n in range(1, 12):
        pts = [(int(x), int(y), int(d)) for x, y, d in zip(rng.integers(-10**6, 10**6, size=(3, n)).tolist()[0],
                                                            rng.integers(-10**6, 10**6, size=n).tolist(),
                                                            rng.integers(1, 50, size=n).tolist())]
        num, den = shoelace_sum(pts)
        assert Fraction(num, 2 * den) == _exact_area(pts)


coords = st.one_of(st.integers(-(2**61), 2**61), st.integers(-50, 50))
dens = st.one_of(st.integers(1, 2**61), st.sampled_from([1, 3, 2**61 - 1, 2**61 + 1, 2**40 * 3]))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(coords, coords, dens), min_size=3, max_size=12), st.integers(0, 200))
def test_any_vertex_lists_signed_areas(verts, shift):
    """Arbitrary (self-crossing, clockwise) vertex lists, per-vertex denominators, far shifts; no warnings."""
    moved = [(X + (shift << 53) * D if abs(X + (shift << 53) * D) < 2**62 else X, Y, D) for X, Y, D in verts]
    with np.errstate(all="raise", under="ignore"):
        assert _wrong([verts, moved])[0] == []


def _broken(old, new):
    """A copy of exact.area_floats with one piece of source text replaced."""
    src = inspect.getsource(area_floats)
    assert old in src
    mod = types.ModuleType("broken_area_floats")
    mod.__dict__["__name__"] = "exact.broken_area_floats"
    mod.__dict__["__package__"] = "exact"
    exec(compile(src.replace(old, new), "broken_area_floats", "exec"), mod.__dict__)
    return mod


@pytest.mark.parametrize("old, new", [
    ("np.minimum(up, down)", "np.maximum(up, down)"),  # the larger gap: wrong just below powers of two
    ("(2 * bound + _SLACK)", "(0 * bound + _SLACK)"),  # no error bound: wrong near midpoints
])
def test_the_checks_catch_a_broken_filter(old, new):
    cases = _cases(11, 600)
    assert _wrong(cases)[0] == []
    bad, _ = _wrong(cases, _broken(old, new))
    assert bad, "the adversarial cases do not see the broken filter"


def test_the_adversarial_cases_are_mostly_decided_where_they_can_be():
    """Moves of 2^-60 relative or more from a midpoint are decided (the filter is not always NaN)."""
    polys = [_polygon(_target(2**52 + 77 * i, 40, 60, 1, i % 2 == 1), 0, 3, 2**31, 1, (2**58, 2**57), 0, i,
                      [1, 3]) for i in range(40)]
    bad, decided = _wrong(polys)
    assert bad == [] and decided == 40


# --- to_geojson of one-hidden-layer nets against the exact net at each cell -----------------------------

@pytest.mark.parametrize("seed, act, dtype", [(s, a, d) for s, (a, d) in enumerate(
    [("relu", np.float32), ("relu", np.float64), ("leaky_relu", np.float32), ("hardtanh", np.float64),
     ("abs", np.float32), ("relu", np.float64)])])
def test_geojson_of_shallow_nets_against_each_cell(seed, act, dtype):
    rng = np.random.default_rng(400 + seed)
    n = 14
    W = rng.normal(size=(n, 2)).astype(dtype)
    b = rng.normal(size=n).astype(dtype)
    W[0], b[0] = 0, 0  # dead everywhere
    W[1], b[1] = 0, 1  # constant, above every breakpoint of relu
    W[2], b[2] = -W[3], -b[3]  # reversed
    W[4], b[4] = 2 * W[3], 2 * b[3]  # duplicate line (scaled)
    W[5], b[5] = W[6], b[6] + dtype(0.5)  # parallel
    W[7], b[7] = [1, 0], -2  # on the window's border x = 2
    V = rng.normal(size=(2, n)).astype(dtype)
    V[0, 8] = V[1, 8] = 0  # a neuron the output does not see
    r = exact.regions([(W, b), (V, rng.normal(size=2).astype(dtype))], window=2, activation=act)
    assert r.face_maps is not None
    fc = feature_collection(r.cells, r.face_maps)
    net = r.net
    assert len(fc["features"]) == len(r.cells) > 20
    total = Fraction(0)
    for c, f in zip(r.cells, fc["features"]):
        props = f["properties"]
        area = _exact_area(c.verts)
        total += area
        assert props["area"] == float(area)
        p = c.interior_point()
        pattern = net.pattern_at(p)
        assert props["pattern"] == "".join(map(str, pattern))
        want = affine_on_pattern(net, pattern)
        assert props["gradient"] == [[str(g) for g in row] for row in want.gradient]
        assert props["offset"] == [str(o) for o in want.offset]
    assert total == 16  # the cells tile the window [-2, 2]^2


def test_geojson_of_a_shallow_net_on_the_whole_plane():
    rng = np.random.default_rng(1)
    r = exact.regions([(rng.normal(size=(9, 2)), rng.normal(size=9)), (rng.normal(size=(1, 9)), rng.normal(size=1))],
                      window=None)
    assert r.face_maps is not None
    fc = feature_collection(r.cells, r.face_maps)
    areas = [f["properties"]["area"] for f in fc["features"]]
    assert areas == [float(_exact_area(c.verts)) if c.bounded else None for c in r.cells]
    assert 0 < sum(a is None for a in areas) < len(areas)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.integers(-(2**63), 2**63), st.integers(-(2**62), 2**62).map(lambda a: a << 30),
                          st.sampled_from([0, 1, -1, 2**62, -(2**62), 2**63 - 1, -(2**63) + 1, -(2**63)])),
                max_size=12),
       st.integers(0, 140), st.sampled_from([1, 3, 2**55 + 1, 2**56 - 1, 2**56 + 1, 2**63 - 1, 2**63 + 1]))
def test_ratio_texts_two_power_times_odd(nums, k, odd):
    from exact.json_numbers import ratio_texts
    assert ratio_texts(nums, odd << k) == [str(Fraction(a, odd << k)) for a in nums]


# --- the tiny-net splitter (count_regions with a window) against the exact engine -------------------------

def _degenerate_net(seed):
    """A tiny deep net: grid weights with ties (even seeds), or normal weights, wider, with parallel lines,
    scaled copies and constant neurons (odd seeds: mostly decided by the float path)."""
    rng = np.random.default_rng(seed)
    grid = np.array([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0])
    tied = seed % 2 == 0
    widths = [2, *rng.integers(2 if tied else 3, 6, size=int(rng.integers(2, 4))).tolist(), 1]
    layers = []
    for d, k in zip(widths[:-1], widths[1:]):
        if tied:
            W, b = rng.choice(grid, size=(k, d)), rng.choice(grid, size=k)
        else:
            W, b = rng.normal(size=(k, d)), rng.normal(size=k)
        for i in range(1, k):
            kind = rng.integers(6)
            j = int(rng.integers(i))
            if kind == 0:
                W[i], b[i] = -W[j], (-b[j] if tied else rng.normal())
            elif kind == 1:
                W[i], b[i] = 2 * W[j], (b[j] if tied else rng.normal())
            elif kind == 2:
                W[i], b[i] = 0.0, float(rng.choice([0.0, 1.0, -1.0] if tied else [1.0, -1.0]))
        layers.append((W, b))
    return layers


_HANDED_OVER = {13, 23, 53}
"""Odd seeds the float path may hand over (filled in below, measured: a tie within its bounds)."""


@pytest.mark.parametrize("seed", range(60))
def test_small_cells_count_as_the_exact_engine(seed):
    layers = _degenerate_net(7000 + seed)
    act = ["relu", "relu", "abs", "hardtanh", "leaky_relu"][seed % 5]
    net = ExactNet.from_layers(layers, activation=act)
    half = Fraction([1, 2, 3, 10][seed % 4])
    ref = exact_engine_regions(net, window=half)
    want = (ref.n_activation, ref.n_linear)
    try:
        got = small_counts(net, check_window(half), max_cells=10**4)
    except Undecided:
        got = None
    assert got is None or got == want
    assert seed % 2 == 0 or got is not None or seed in _HANDED_OVER
    assert exact.count_regions(net, window=half) == want

"""One net in tiles (exact.tiled_counts): count_regions / regions with tiles= equal the untiled run.

Counts, cells (their exact polygons, patterns, maps) and linear regions must be identical to
the single-process run, on seeded nets of every activation, on nets built so that
breakpoint lines lie exactly on seams (a cell edge on a seam between two cells with equal
maps, seen by no single tile), on hypothesis' small rational nets and tile grids, and on
every kind of executor (serial, a process pool, a dask LocalCluster of two workers).
"""

import contextlib
import json
import logging
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_many_nets import dask_cluster, needs_dask, process_pool  # noqa: F401 - the same module-scoped pools

import exact
import numeric
from exact import cli_tiles, tile_balance, tile_jobs, tiled_counts
from exact.cli import main
from exact.errors import InputError, InputTypeError, ResourceLimitError, TooManyRegionsError
from exact.network import ExactNet, affine_on_pattern
from exact.predicates import canonical_line, point_to_fractions
from exact.tile_grid import grid_tiles
from exact.tiled_counts import count_in_tiles, regions_in_tiles

# (widths, activation, seed); anchors: the catalogue's 2-5-5-5-5-1 (81, 77) and 2-100-1 (4667)
SEEDED = {
    "2-32-32-1": ([2, 32, 32, 1], "relu", 0),
    "2-5-5-5-5-1": ([2, 5, 5, 5, 5, 1], "relu", 0),
    "2-100-1": ([2, 100, 1], "relu", 0),
    "2-16-16-1 abs": ([2, 16, 16, 1], "abs", 1),
    "2-16-16-1 hardtanh": ([2, 16, 16, 1], "hardtanh", 2),
    "2-16-16-1 leaky_relu": ([2, 16, 16, 1], "leaky_relu", 3),
}

# bent line along a seam: h1 = relu(y), h2 = relu(x + 4) (> 0 in [-1, 1]^2), g = relu(x - relu(y))
# (its line is x = 0 for y < 0 and x = y for y > 0), p = relu(y + 1), output p: the cells left and
# right of x = 0 below y = 0 both have the map 1, and touch only along the seam x = 0
BENT_ON_SEAM = [([[0, 1], [1, 0]], [0, 4]), ([[-1, 1], [1, 0]], [-4, 1]), ([[0, 1]], [0])]
# the same net with output g: the cells x < 0, y < 0 (map 0) and above y = 0 left of x = y (map 0)
# join across the seam y = 0
BENT_OUT_G = [([[0, 1], [1, 0]], [0, 4]), ([[-1, 1], [1, 0]], [-4, 1]), ([[1, 0]], [0])]
# relu(x) and relu(y) meet at the crossing of the seams of 2 x 2 tiles; the output ignores y
CROSSING = [([[1, 0], [0, 1]], [0, 0]), ([[1, 0]], [0])]
# x + y = 0 and x - y = 0 through the seams' crossing: the wedge x > |y| touches the seam x = 0
# only at the origin; output relu(x + y): right ~ top (map x + y), left ~ bottom (map 0)
WEDGES = [([[1, 1], [1, -1]], [0, 0]), ([[1, 0]], [0])]


def _seeded(name):
    widths, act, seed = SEEDED[name]
    return exact.as_exact_net(numeric.seeded_mlp(widths, seed=seed, activation=act))


def axis_net(seed, cuts, hidden=6):
    """A net whose first layer adds the lines x = c and y = c for every c in ``cuts``, which no
    later weight reads: cells on both sides of them have the same map, and with seams at the cuts
    each such pair meets only along a seam."""
    rng = np.random.default_rng(seed)
    W0 = np.vstack([rng.standard_normal((hidden, 2))] + [[[1.0, 0.0], [0.0, 1.0]]] * len(cuts))
    b0 = np.concatenate([rng.standard_normal(hidden)] + [[-c, -c] for c in cuts])
    W1 = np.hstack([rng.standard_normal((hidden, hidden)), np.zeros((hidden, 2 * len(cuts)))])
    return ExactNet.from_layers([(W0, b0), (W1, rng.standard_normal(hidden)),
                                 (rng.standard_normal((1, hidden)), [0.0])])


def canon(r):
    """Everything a Regions says, independent of the order of its cells and of their first vertex."""
    cells = {}
    for c in r.cells:
        vs = [point_to_fractions(v) for v in c.verts]
        k = vs.index(min(vs))
        es = [canonical_line(*e) for e in c.edges]
        cells[c.pattern] = (tuple(vs[k:] + vs[:k]), tuple(es[k:] + es[:k]), c.affine)
    groups = {}
    for c in r.cells:
        groups.setdefault(c.linear_region, set()).add(c.pattern)
    return cells, {frozenset(g) for g in groups.values()}, (r.n_activation, r.n_linear)


@contextlib.contextmanager
def seams(kind):
    """Run ``count_regions`` / ``regions`` with ``tiles=`` on the even grid (``"even"``: the seams these
    nets put lines, vertices and equal maps on) or on the tiles balanced by estimated cells (as is)."""
    if kind == "balanced":
        yield
        return
    with mock.patch.object(tiled_counts, "tiles_for", lambda net, bounds, nx, ny, balance=True, core=None:
                           grid_tiles(bounds, nx, ny)):
        yield


@pytest.fixture(scope="module")
def untiled():
    """Untiled counts of the seeded nets, computed once."""
    return {name: exact.count_regions(_seeded(name)) for name in SEEDED}


# --- counts ------------------------------------------------------------------------------

@pytest.mark.parametrize("tiles", [2, 3, 4])
@pytest.mark.parametrize("name", list(SEEDED))
def test_tiled_counts_equal_untiled_on_seeded_nets(name, tiles, untiled):
    assert exact.count_regions(_seeded(name), tiles=tiles) == untiled[name]


def test_seeded_anchors_are_the_catalogue_counts(untiled):
    assert untiled["2-5-5-5-5-1"] == (81, 77) and untiled["2-100-1"] == (4667, 4667)


def test_a_rectangle_in_uneven_tiles():
    net = _seeded("2-32-32-1")
    for window, tiles in [((-3, 5, -2, 7), (3, 2)), ((0.5, 1.75, -10, 10), (1, 5))]:
        assert exact.count_regions(net, window, tiles=tiles) == exact.count_regions(net, window)


@pytest.mark.parametrize("layers, expected", [
    ([([[1, 0]], [0]), ([[1]], [0])], (2, 2)),      # relu(x), the seam x = 0 on its line
    ([([[1, 0]], [0]), ([[0]], [0])], (2, 1)),      # the same, output 0: joined across the seam only
    (BENT_ON_SEAM, (4, 2)),
    (BENT_OUT_G, (4, 3)),
    (CROSSING, (4, 2)),                            # x > 0: one map above and below the seam y = 0
    (WEDGES, (4, 2)),
])
@pytest.mark.parametrize("tiles", [2, 4])
@pytest.mark.parametrize("kind", ["even", "balanced"])
def test_lines_on_seams_are_neither_lost_nor_doubled(layers, expected, tiles, kind):
    net = ExactNet.from_layers(layers)
    assert exact.count_regions(net, window=1) == expected           # hand-derived (see the nets)
    with seams(kind):
        assert exact.count_regions(net, window=1, tiles=tiles) == expected
        assert count_in_tiles(net, Fraction(1), tiles) == expected   # one hidden layer too, in tiles


def test_cells_with_one_map_touching_a_seam_at_one_point_are_not_joined():
    # found by a random search against a join that took touching for sharing: two cells with the
    # same map meet the seam x = 1 at one point, one from each side; in [-2, 2]^2 in 4 x 1 tiles
    half = Fraction(1, 2)
    net = ExactNet.from_layers([([[1, -2], [-1, -1], [1, 1], [-half, 0]], [1, 1, -1, 0]),
                                ([[-1, 0, 0, 1]], [0]), ([[-1]], [2])], activation="leaky_relu")
    assert exact.count_regions(net, window=2) == (10, 6)
    with seams("even"):
        assert exact.count_regions(net, window=2, tiles=(4, 1)) == (10, 6)
        assert canon(exact.regions(net, window=2, tiles=(4, 1))) == canon(exact.regions(net, window=2))


@pytest.mark.parametrize("tiles, cuts", [(2, [0.0]), (4, [0.0, -1.5, 1.5])])
def test_many_equal_maps_that_meet_only_along_seams(tiles, cuts):
    net = axis_net(7, cuts)
    ref = exact.count_regions(net, window=3)
    assert ref.linear < ref.activation                         # the axis lines split linear regions
    with seams("even"):                                        # the even grid's seams are the cuts
        assert exact.count_regions(net, window=3, tiles=tiles) == ref
        assert canon(exact.regions(net, window=3, tiles=tiles)) == canon(exact.regions(net, window=3))


def test_crowded_tiles_are_cut_into_four(caplog, untiled):
    net = _seeded("2-32-32-1")
    with caplog.at_level(logging.INFO, logger="exact.counting"):
        assert count_in_tiles(net, Fraction(10), 2, tile_cells=150) == untiled["2-32-32-1"]
    assert sum("crowded" in m for m in caplog.messages) >= 4


def test_a_tile_over_its_memory_budget_is_cut_into_four(caplog, untiled):
    net = _seeded("2-32-32-1")
    with pytest.raises(ResourceLimitError):                       # untiled, this budget is too small
        exact.count_regions(net, max_memory=150_000)
    with caplog.at_level(logging.INFO, logger="exact.counting"):
        assert exact.count_regions(net, tiles=1, max_memory=150_000) == untiled["2-32-32-1"]
    assert any("crowded" in m for m in caplog.messages)


def test_cutting_stops_at_max_depth(monkeypatch):
    monkeypatch.setattr(tile_jobs, "MAX_DEPTH", 2)
    jobs = []
    real = tiled_counts.count_tile

    def spy(job):
        jobs.append(job.tile.depth)
        if len(jobs) > 100:
            raise RuntimeError("tiles are cut without end")
        return real(job)

    monkeypatch.setattr(tiled_counts, "count_tile", spy)
    net = _seeded("2-5-5-5-5-1")
    assert count_in_tiles(net, Fraction(10), 1, tile_cells=1) == (81, 77)
    assert sorted(jobs) == [0] + [1] * 4 + [2] * 16   # every tile is crowded, down to depth 2


def test_max_regions_counts_the_cells_of_all_tiles():
    net = _seeded("2-5-5-5-5-1")
    assert exact.count_regions(net, tiles=3, max_regions=81) == (81, 77)
    with pytest.raises(TooManyRegionsError, match="81 cells exceed max_regions=80"):
        exact.count_regions(net, tiles=3, max_regions=80)
    with pytest.raises(TooManyRegionsError, match="max_regions=80"):
        exact.regions(net, tiles=3, max_regions=80)


# --- the job path: the last layer counted, built only near the seams (tiled_counts.count_tile) --

@pytest.fixture
def engines(monkeypatch):
    """The engine of every tile computed (serially) while the test runs."""
    seen = []
    real = tiled_counts.count_tile

    def spy(job):
        out = real(job)
        if isinstance(out, tile_jobs.TileSummary):
            seen.append(out.engine)
        return out

    monkeypatch.setattr(tiled_counts, "count_tile", spy)
    return seen


# (net, window, tiles, tile_cells, engines the tiles must use); "counted": the last layer counted
# and built only in the cells that touch a seam; "certified": built everywhere (neighbours may
# merge); "exact": a float test too close to call (lines on seams)
PATHS = {
    "seeded relu": (lambda: _seeded("2-32-32-1"), 10, 4, None, {"counted"}),
    "seeded hardtanh, 3 x 2": (lambda: _seeded("2-16-16-1 hardtanh"), 10, (3, 2), None, {"counted"}),
    "one hidden layer": (lambda: _seeded("2-100-1"), 10, 3, None, {"certified"}),  # built: a count is O(I L)
    "crowded tiles cut in four": (lambda: _seeded("2-32-32-1"), 10, 2, 150, {"counted"}),
    "cells across several tiles, some merging": (lambda: _seeded("2-5-5-5-5-1"), 10, 4, None,
                                                 {"counted", "certified"}),
    "a line on a seam": (lambda: ExactNet.from_layers(BENT_ON_SEAM), 1, 4, None, {"counted", "exact"}),
    "a vertex on the seams' crossing": (lambda: ExactNet.from_layers(CROSSING), 1, 4, None, {"certified", "exact"}),
    "equal maps meeting along seams": (lambda: axis_net(0, [0.0]), 1, 4, None, {"counted", "exact"}),
    "equal maps meeting inside tiles": (lambda: axis_net(7, [0.5]), 3, 4, None, {"counted", "certified"}),
}


@pytest.mark.parametrize("name", list(PATHS))
def test_each_tile_takes_the_path_it_should(name, engines):
    make, window, tiles, tile_cells, expected = PATHS[name]
    net = make()
    ref = exact.count_regions(net, window=window)
    # the even grid: these nets put lines and vertices on its seams on purpose
    assert count_in_tiles(net, Fraction(window), tiles, tile_cells=tile_cells or 10**9, balance=False) == ref
    assert set(engines) == expected


def test_a_linear_region_across_several_tiles_is_one(monkeypatch, engines):
    # relu(x + 2y + 1/2) + relu(3x - y + 1/3): four wedges around a point near the origin, each
    # across several of the 3 x 3 tiles (seams x, y = +-1, which no line meets at a crossing)
    net = ExactNet.from_layers([([[1, 2], [3, -1]], [Fraction(1, 2), Fraction(1, 3)]), ([[1, 1]], [0])])
    pieces = []
    spy = tiled_counts.count_tile
    monkeypatch.setattr(tiled_counts, "count_tile", lambda job: pieces.append(spy(job)) or pieces[-1])
    assert count_in_tiles(net, Fraction(3), 3) == (4, 4) == exact.count_regions(net, window=3)
    assert set(engines) == {"certified"}   # one hidden layer: tiles are built
    tiles_of = {}
    for s in pieces:
        for p in map(bytes, s.patterns):
            tiles_of.setdefault(p, set()).add(s.tile)
    assert len(tiles_of) == 4 and min(map(len, tiles_of.values())) >= 2 and max(map(len, tiles_of.values())) >= 4


def test_a_tile_whose_count_is_undecided_builds_its_last_layer(monkeypatch, engines, untiled):
    from exact._certified import last_layer

    def undecided(st):
        raise exact.errors.Undecided("three lines nearly meet (a test's stand-in)")

    monkeypatch.setattr(last_layer, "count_last_layer", undecided)
    assert exact.count_regions(_seeded("2-32-32-1"), tiles=2) == untiled["2-32-32-1"]
    assert set(engines) == {"certified"}


@pytest.mark.parametrize("name, seams", [("2-32-32-1", (True, False, True, True)),
                                         ("2-16-16-1 abs", (True, True, True, True)),
                                         ("2-32-32-1", (False, True, False, False))])
def test_the_counted_job_sums_up_as_the_job_that_builds_every_cell(name, seams, monkeypatch):
    # the same tile summed up from all its cells (the last layer built, as batched_cells does)
    from exact._certified import last_layer

    net = _seeded(name)
    job = tile_jobs.TileJob(net, grid_tiles((-10, 10, -10, 10), 3, 3)[4], seams)
    cheap = tiled_counts.count_tile(job)
    monkeypatch.setattr(last_layer, "count_last_layer", lambda st: None)   # "neighbours may merge"
    full = tiled_counts.count_tile(job)
    assert (cheap.engine, full.engine) == ("counted", "certified")
    assert cheap.n_cells == full.n_cells and len(cheap.patterns) == len(full.patterns) > 0

    def by_pattern(s):
        order = np.lexsort(s.patterns.T)
        return s.patterns[order], s.maps[order], s.labels[order]

    (p1, m1, l1), (p2, m2, l2) = by_pattern(cheap), by_pattern(full)
    assert np.array_equal(p1, p2)
    # the maps come from products of other shapes (their last bits may differ): each is within its
    # bound of the exact map
    for s, maps in ((cheap, m1), (full, m2)):
        for pattern, m, err in zip(p1, maps, s.map_err):
            exact_map = affine_on_pattern(net, tuple(pattern.tolist()))
            want = [[*g, o] for g, o in zip(exact_map.gradient, exact_map.offset)]
            assert all(abs(Fraction(float(f)) - w) <= Fraction(float(e)) for f, w, e in
                       zip(m.ravel(), np.ravel(want), err.ravel()))
    assert cheap.n_linear == full.n_linear == cheap.n_cells         # no merges: a linear region per cell
    assert len(set(l1.tolist())) == len(set(l2.tolist())) == len(l1)

    def edges(s):
        return sorted(zip(map(bytes, s.patterns[s.edge_cell]), s.edge_side.tolist(), s.edge_lo.tolist(),
                          s.edge_hi.tolist(), s.edge_err.tolist()))

    assert edges(cheap) == edges(full)


BORDER_NETS = [([2, 32, 32, 1], "relu", 0), ([2, 16, 16, 1], "abs", 1), ([2, 16, 16, 1], "hardtanh", 2),
               ([2, 24, 24, 24, 1], "relu", 4), ([2, 16, 16, 2], "leaky_relu", 5)]


@pytest.mark.parametrize("widths, act, seed", BORDER_NETS)
def test_border_cells_found_from_chords_are_the_built_cells_on_the_sides(widths, act, seed):
    # without building the last layer: the same cells, the same edges on the sides (the same float
    # operations), and maps within their bounds of the exact maps
    from exact._certified.border_cells import border_cells_of
    from exact._certified.last_layer import count_with_border_cells
    from exact._certified.subdivision import batched_cells

    net = exact.as_exact_net(numeric.seeded_mlp(widths, seed=seed, activation=act))
    window = exact.windows.rectangle_window(Fraction(-2), Fraction(3), Fraction(-4), Fraction(1))
    full = batched_cells(net, window)
    for sides in ([(0.0, 1.0)], [(-1.0, 0.0), (1.0, 0.0)], list(tile_jobs.TILE_SIDES), []):
        n, border, every = count_with_border_cells(net, window, sides)
        assert n == len(full) and every is None                # counted, not built
        want = {bytes(p) for p, c in zip(full.patterns, _touches(full, sides)) if c}
        assert (set() if border is None else {bytes(p) for p in border.patterns}) == want
        assert (border is None) == (len(sides) == 0) and len(set(want)) == (0 if border is None
                                                                             else len(border.patterns))
        if border is None:
            continue
        built = border_cells_of(full, sides)
        assert _edges_by_pattern(border) == _edges_by_pattern(built)
        for pattern, m in zip(border.patterns, border.out):
            exact_map = affine_on_pattern(net, tuple(pattern.tolist()))
            want_map = [[*g, o] for g, o in zip(exact_map.gradient, exact_map.offset)]
            assert all(abs(Fraction(float(f)) - w) <= Fraction(float(e)) for f, w, e in
                       zip(m.ravel(), np.ravel(want_map), border.out_err.ravel()))


def test_border_cells_of_a_side_the_window_does_not_have_are_refused():
    from exact._certified.last_layer import count_with_border_cells

    net = _seeded("2-32-32-1")
    window = exact.windows.rectangle_window(Fraction(-2), Fraction(3), Fraction(-4), Fraction(1))
    with pytest.raises(ValueError, match=r"sides \[\(0.5, 1.0\)\] are none of the window's sides"):
        count_with_border_cells(net, window, [(0.0, 1.0), (0.5, 1.0)])


def _edges_by_pattern(border):
    """Each border cell's edges on the sides: (a, b, ends, error bound), by pattern."""
    out = {}
    for i, c in enumerate(border.edge_cell):
        out.setdefault(bytes(border.patterns[c]), []).append(
            (*border.edge_line[i].tolist(), *border.edge_x[i].tolist(), *border.edge_y[i].tolist(),
             float(border.edge_err[i])))
    return {k: sorted(v) for k, v in out.items()}


def _touches(cells, sides):
    """Per cell: whether one of its edges is on one of the window's sides (by their float lines)."""
    on = np.zeros(len(cells.label), dtype=bool)
    for a, b in sides:
        on |= (cells.label == -1) & (cells.lines[:, 0] == a) & (cells.lines[:, 1] == b)
    return np.add.reduceat(on, cells.start) > 0


def test_the_progress_bar_counts_tiles_done_of_tiles_known(monkeypatch):
    bars = []

    class Bar:
        def __init__(self, enabled, total, desc, unit):
            self.total, self.n = total, 0
            bars.append(self)

        def update(self, n=1):
            self.n += n

        def refresh(self):
            assert self.n <= self.total

        def close(self):
            pass

    monkeypatch.setattr(tiled_counts, "progress_bar", Bar)
    net = _seeded("2-32-32-1")
    count_in_tiles(net, Fraction(10), 2, tile_cells=150, progress=True)
    (bar,) = bars
    assert bar.total == bar.n > 4                       # crowded tiles were cut: the total grew


# --- regions -----------------------------------------------------------------------------

@pytest.mark.parametrize("name, tiles", [("2-5-5-5-5-1", 2), ("2-5-5-5-5-1", 4), ("2-32-32-1", 3),
                                         ("2-16-16-1 hardtanh", 2), ("2-16-16-1 abs", 3), ("2-100-1", 3)])
def test_tiled_regions_equal_untiled(name, tiles):
    net = _seeded(name)
    ref, got = exact.regions(net), exact.regions(net, tiles=tiles)
    assert canon(got) == canon(ref)
    assert sum(c.exact_area for c in got) == 400                 # the window's area, exactly


@pytest.mark.parametrize("layers", [BENT_ON_SEAM, BENT_OUT_G, CROSSING, WEDGES])
@pytest.mark.parametrize("kind", ["even", "balanced"])
def test_tiled_regions_on_seams(layers, kind):
    net = ExactNet.from_layers(layers)
    with seams(kind):
        for tiles in (2, (4, 3)):
            assert canon(exact.regions(net, window=1, tiles=tiles)) == canon(exact.regions(net, window=1))


# --- hypothesis: small rational nets, lines often through seams and their crossings --------

small = st.integers(-2, 2).map(lambda k: Fraction(k, 2))


@st.composite
def rational_nets(draw):
    widths = [2] + draw(st.lists(st.integers(1, 3), min_size=1, max_size=3)) + [1]
    layers = []
    for a, b in zip(widths[:-1], widths[1:]):
        W = [[draw(small) for _ in range(a)] for _ in range(b)]
        layers.append((W, [draw(small) for _ in range(b)]))
    act = draw(st.sampled_from(["relu", "abs", "leaky_relu", "hardtanh"]))
    return ExactNet.from_layers(layers, activation=act)


@settings(max_examples=60, deadline=None)
@given(net=rational_nets(), nx=st.integers(1, 4), ny=st.integers(1, 4),
       window=st.sampled_from([1, 2, (-1, 2, -2, 1), (0, 2, -1, 1)]), kind=st.sampled_from(["even", "balanced"]))
def test_hypothesis_tiled_counts_equal_untiled(net, nx, ny, window, kind):
    with seams(kind):
        assert exact.count_regions(net, window, tiles=(nx, ny)) == exact.count_regions(net, window)


@settings(max_examples=25, deadline=None)
@given(net=rational_nets(), nx=st.integers(1, 3), ny=st.integers(1, 3), window=st.sampled_from([1, (-1, 2, -2, 1)]),
       kind=st.sampled_from(["even", "balanced"]))
def test_hypothesis_tiled_regions_equal_untiled(net, nx, ny, window, kind):
    with seams(kind):
        assert canon(exact.regions(net, window, tiles=(nx, ny))) == canon(exact.regions(net, window))


# --- tiles balanced by estimated cells (exact.tile_balance) ---------------------------------

def _tiles_run(monkeypatch):
    """Record the tiles of every job computed (serially)."""
    seen = []
    real = tiled_counts.count_tile
    monkeypatch.setattr(tiled_counts, "count_tile", lambda job: seen.append(job.tile) or real(job))
    return seen


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), s=st.sampled_from([1, 3, 16, 256]), nx=st.integers(1, 40),
       ny=st.integers(1, 5), bounds=st.sampled_from([(-1, 1, -1, 1), (Fraction(-1, 3), 2, 0, Fraction(5, 7))]))
def test_hypothesis_balanced_tiles_partition_the_window(seed, s, nx, ny, bounds):
    # columns and rows of weights over fifty orders of magnitude: the heaviest box may hold many
    # seams, more than the steps of the rounding across it
    rng = np.random.default_rng(seed)
    w = 10 ** (rng.uniform(0, 50, (1, s)) + rng.uniform(0, 50, (s, 1)))
    x0, x1, y0, y1 = (Fraction(v) for v in bounds)
    tiles = tile_balance.balanced_tiles((x0, x1, y0, y1), w, nx, ny)
    assert len(tiles) == nx * ny and len({t.x0 for t in tiles}) == nx
    assert all(x0 <= t.x0 < t.x1 <= x1 and y0 <= t.y0 < t.y1 <= y1 and t.depth == 0 for t in tiles)
    assert sum((t.x1 - t.x0) * (t.y1 - t.y0) for t in tiles) == (x1 - x0) * (y1 - y0)   # exactly
    for i, a in enumerate(tiles):                                 # interiors disjoint: a partition
        for b in tiles[i + 1:]:
            assert min(a.x1, b.x1) <= max(a.x0, b.x0) or min(a.y1, b.y1) <= max(a.y0, b.y0)
    for t in tiles:                                               # seams at k / 2^m of the window
        for v, lo, size in ((t.x0, x0, x1 - x0), (t.y1, y0, y1 - y0)):
            d = ((v - lo) / size).denominator
            assert d & (d - 1) == 0


def test_balanced_tiles_follow_the_weights_column_by_column():
    # the left quarter of the boxes holds half the weight (bottom box 3, the rest 1 each); the other
    # three quarters hold 1/2 per box: the columns cut at x = -1/2, the left one at y = -1/2 (3 of
    # its 6 below), the right one at y = 0 (rows of equal weight)
    w = np.full((4, 4), 0.5)
    w[:, 0] = [3, 1, 1, 1]
    tiles = tile_balance.balanced_tiles((Fraction(-1), Fraction(1), Fraction(-1), Fraction(1)), w, 2, 2)
    assert [str(t) for t in tiles] == ["[-1, -1/2] x [-1, -1/2]", "[-1, -1/2] x [-1/2, 1]",
                                       "[-1/2, 1] x [-1, 0]", "[-1/2, 1] x [0, 1]"]


def test_cell_density_counts_the_lines_through_each_box():
    # x = 1/2 and y = 1/2 in [0, 4]^2, boxes of side 1: both cross the bottom left box, each side of
    # which one of them crosses (n = 4 / 2 = 2); one line crosses the rest of its row and column
    net = ExactNet.from_layers([([[2, 0], [0, 2]], [-1, -1]), ([[1, 1]], [0])])
    d = tile_balance.cell_density(net, (Fraction(0), Fraction(4), Fraction(0), Fraction(4)), 4)
    want = np.ones((4, 4))
    want[0, :] = want[:, 0] = 2.0
    want[0, 0] = 1 + 2 ** 2.5
    assert d.tolist() == want.tolist()


def test_the_even_grid_when_the_weights_overflow_floats():
    net = ExactNet.from_layers([([[Fraction(10) ** 400, 0], [0, 1]], [0, 0]), ([[1, 1]], [0])])
    bounds = (Fraction(-1), Fraction(1), Fraction(-1), Fraction(1))
    assert tile_balance.cell_density(net, bounds, 8) is None
    assert tile_balance.tiles_for(net, bounds, 2, 3) == grid_tiles(bounds, 2, 3)


def _shifted(widths, seed, by):
    """A seeded net whose cells crowd around (by, by) instead of the origin."""
    Ws, bs = (list(v) for v in exact.as_exact_net(numeric.seeded_mlp(widths, seed=seed)).float_layers())
    bs[0] = bs[0] - Ws[0] @ np.array([by, by])
    return exact.as_exact_net(list(zip(Ws, bs)))


def test_crowded_cells_give_unequal_tiles_of_about_equal_cells(monkeypatch):
    net = _shifted([2, 16, 16, 16, 1], 0, 5.0)
    bounds = (Fraction(-10), Fraction(10), Fraction(-10), Fraction(10))
    ref = exact.count_regions(net)

    def cells(tiles):
        return [tiled_counts.count_tile(tile_jobs.TileJob(net, t, (False,) * 4)).n_cells for t in tiles]

    even, balanced = cells(grid_tiles(bounds, 3, 3)), cells(tile_balance.tiles_for(net, bounds, 3, 3))
    assert sum(even) >= ref.activation and sum(balanced) >= ref.activation   # cells cut by seams: in two
    assert max(balanced) / np.mean(balanced) < 1.5 < max(even) / np.mean(even)
    seen = _tiles_run(monkeypatch)
    assert exact.count_regions(net, tiles=3) == ref
    areas = sorted((t.x1 - t.x0) * (t.y1 - t.y0) for t in seen)
    assert len(seen) == 9 and areas[-1] > 10 * areas[0]                  # small tiles where cells crowd


@pytest.mark.parametrize("out", [[[1, 1, 1, 1, 1, 0]], [[0, 0, 0, 0, 1, 0]]])
def test_balanced_seams_through_lines_vertices_and_t_junctions(out, monkeypatch):
    # the crafted weights of test_balanced_tiles_follow_the_weights_column_by_column place the seams
    # x = -1/2, y = -1/2 (left column), y = 0 (right column): the lines x = -1/2, y = -1/2 and y = 0
    # lie on them, x + y + 1 = 0 meets the corner (-1/2, -1/2), and x - y + 1/2 = 0 the T-junction
    # (-1/2, 0), where two left tiles meet a right one mid-side; a second layer bends them.  With the
    # output reading only x + y + 1 (second case), cells that differ only across a seam line join.
    w = np.full((4, 4), 0.5)
    w[:, 0] = [3, 1, 1, 1]
    monkeypatch.setattr(tile_balance, "cell_density", lambda net, bounds, samples: w)
    half = Fraction(1, 2)
    first = ([[1, 0], [0, 1], [0, 1], [1, 1], [1, -1]], [half, half, 0, 1, half])
    second = ([[1, -1, 1, 0, 1], [0, 1, 0, 1, -1], [1, 1, 1, 1, 1], [0, 0, 0, 1, 0], [0, 0, 0, 0, 1],
               [-1, 0, 1, 0, 0]], [-half, 0, -1, 0, 0, Fraction(1, 4)])
    net = ExactNet.from_layers([first, second, (out, [0])])
    ref = exact.count_regions(net, window=1)
    seen = _tiles_run(monkeypatch)
    assert exact.count_regions(net, window=1, tiles=2) == ref
    assert sorted(map(str, seen)) == ["[-1, -1/2] x [-1, -1/2]", "[-1, -1/2] x [-1/2, 1]",
                                      "[-1/2, 1] x [-1, 0]", "[-1/2, 1] x [0, 1]"]
    got = exact.regions(net, window=1, tiles=2)
    assert canon(got) == canon(exact.regions(net, window=1))
    assert sum(c.exact_area for c in got) == 4


@settings(max_examples=60, deadline=None)
@given(pairs=st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), min_size=1, max_size=60))
def test_hypothesis_union_all_is_the_unions_one_by_one(pairs):
    a, b = (np.array(v, dtype=np.int64) for v in zip(*pairs))
    one, many = tiled_counts._UnionFind(), tiled_counts._UnionFind()
    for i, j in pairs:
        one.union(i, j)
    many.union_all(a, b)
    assert many.merges == one.merges
    nodes = range(31)
    assert [one.find(i) for i in nodes] == [many.find(i) for i in nodes]   # least node of each component


# --- seams clipped by exact predicates (exact.tile_grid.seam_piece) ------------------------

def _clip_by_fractions(seam, constraints):
    """The same clip worked out on the seam's coordinate in Fractions: ``a x + b y + c >= 0`` at
    ``x = at`` reads ``b y + (a at + c) >= 0`` (at ``y = at``: ``a x + (b at + c) >= 0``)."""
    lo, hi = seam.lo, seam.hi
    for a, b, c in constraints:
        k, r = (b, a * seam.at + c) if seam.axis == 0 else (a, b * seam.at + c)
        if k == 0 and r < 0:
            return None
        if k > 0:
            lo = max(lo, Fraction(-r) / k)
        elif k < 0:
            hi = min(hi, Fraction(-r) / k)
    return (lo, hi) if lo < hi else None


@settings(max_examples=300, deadline=None)
@given(axis=st.integers(0, 1), at=small, lo=small, length=st.integers(1, 4),
       constraints=st.lists(st.tuples(*[st.integers(-3, 3)] * 3).filter(lambda l: l[:2] != (0, 0)), max_size=4))
def test_hypothesis_seam_piece_is_the_clip_in_fractions(axis, at, lo, length, constraints):
    from exact.tile_grid import Seam, pieces_overlap, seam_piece

    seam = Seam(0, 1, axis, at, lo, lo + Fraction(length, 2))
    got, want = seam_piece(seam, constraints), _clip_by_fractions(seam, constraints)
    along = [point_to_fractions(p)[1 - axis] for p in got] if got is not None else None
    assert along == (list(want) if want is not None else None)
    if got is not None:   # a piece overlaps itself, not the seam's part before it
        assert pieces_overlap(seam, got, got)
        before = (seam.ends[0], got[0])
        assert not pieces_overlap(seam, before, got)


# --- executors -----------------------------------------------------------------------------

def _executor(kind, request):
    if kind == "threads":
        return request.getfixturevalue("thread_pool")
    if kind == "process_pool":
        return request.getfixturevalue("process_pool")
    return request.getfixturevalue("dask_cluster")[1].get_executor()


@pytest.fixture(scope="module")
def thread_pool():
    with ThreadPoolExecutor(2) as pool:
        yield pool


@pytest.mark.parametrize("kind", ["threads", "process_pool", pytest.param("dask", marks=needs_dask)])
def test_every_executor_gives_the_untiled_answer(kind, request, untiled):
    ex = _executor(kind, request)
    net = _seeded("2-32-32-1")
    # small tiles: crowded ones come back from the workers and go out again in quarters
    assert count_in_tiles(net, Fraction(10), 3, executor=ex, tile_cells=300) == untiled["2-32-32-1"]
    axis = axis_net(3, [0.0])
    assert exact.count_regions(axis, window=2, tiles=2, executor=ex) == exact.count_regions(axis, window=2)
    small_net = _seeded("2-5-5-5-5-1")
    assert canon(regions_in_tiles(small_net, Fraction(10), 3, executor=ex)) == canon(exact.regions(small_net))
    bent = ExactNet.from_layers(BENT_OUT_G)                  # weights of Fractions, sent once per run
    assert bent.float_layers() is None and exact.count_regions(bent, window=1, tiles=4, executor=ex) == (4, 3)


def test_a_run_pickles_its_net_once_and_a_process_unpickles_it_once(monkeypatch):
    import pickle

    net = ExactNet.from_layers(BENT_ON_SEAM)
    made = []
    real = ExactNet.__reduce__
    monkeypatch.setattr(ExactNet, "__reduce__", lambda self: made.append(self) or real(self))
    bounds = (Fraction(-1), Fraction(1), Fraction(-1), Fraction(1))
    jobs = [tile_jobs.TileJob(net, t, t.seam_sides(bounds)) for t in grid_tiles(bounds, 2, 2)]
    back = [pickle.loads(pickle.dumps(job)) for job in jobs]
    assert made == [net]                                     # pickled once for the four jobs
    assert back == jobs and all(job.net is back[0].net for job in back)
    assert back[0].net is not net                            # a copy, made once here
    assert [count_tile_counts(job) for job in back] == [count_tile_counts(job) for job in jobs]


def count_tile_counts(job):
    s = tiled_counts.count_tile(job)
    return s.n_cells, s.n_linear, s.engine, s.patterns.tolist()


def test_the_tiles_run_on_the_executor_given(untiled):
    class Counting(ThreadPoolExecutor):
        submitted = 0

        def submit(self, *args, **kwargs):
            Counting.submitted += 1
            return super().submit(*args, **kwargs)

    net = _seeded("2-32-32-1")
    with Counting(2) as pool:
        assert exact.count_regions(net, tiles=3, executor=pool) == untiled["2-32-32-1"]
        assert Counting.submitted == 9
        Counting.submitted = 0
        assert exact.regions(net, tiles=2, executor=pool, tile_cells=600).n_activation == 2101
        assert Counting.submitted > 4 and (Counting.submitted - 4) % 4 == 0   # crowded tiles: four more each


def test_a_failing_tile_stops_the_run_with_its_error(request):
    net = _seeded("2-32-32-1")
    with pytest.raises(TooManyRegionsError, match="max_regions=100"):
        exact.count_regions(net, tiles=2, executor=request.getfixturevalue("process_pool"), max_regions=100)


# --- refusals ------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, error, match", [
    ({"tiles": 2, "window": [(0, 0), (1, 0), (0, 1)]}, InputError, "a square or a rectangle, not the polygon"),
    ({"executor": ThreadPoolExecutor(1)}, InputError, "give tiles= too"),
    ({"tiles": 2, "executor": "pool"}, InputTypeError, "executor must be a concurrent.futures.Executor, got str"),
    ({"tiles": 0}, InputError, "tiles must be a positive integer n .* got 0"),
    ({"tiles": (2, 2, 2)}, InputError, r"got \(2, 2, 2\)"),
    ({"tiles": True}, InputTypeError, "of integers, got True"),
    ({"tiles": 2.0}, InputTypeError, "of integers, got 2.0"),
    ({"tiles": 2000}, InputError, "asks for 4,000,000 tiles"),
    ({"tiles": 2, "tile_cells": 0}, InputError, "tile_cells must be a positive integer or None, got 0"),
])
@pytest.mark.parametrize("func", [exact.count_regions, exact.regions])
def test_bad_tiling_arguments_are_refused(func, kwargs, error, match):
    with pytest.raises(error, match=match):
        func(CROSSING, **kwargs)


def test_tiles_need_a_2d_input():
    net = [([[1.0, 0.0, 0.0]], [0.0]), ([[1.0]], [0.0])]
    with pytest.raises(InputError, match="input width is 3; give plane="):
        exact.count_regions(net, tiles=2)
    plane = [(0, 0, 0), (1, 0, 0), (0, 1, 0)]
    assert exact.count_regions(net, window=1, plane=plane, tiles=2) == (2, 2)


# --- the command line: exactnet count / regions --tiles [--jobs | --scheduler] -------------

@pytest.fixture
def spy_pools(monkeypatch):
    """Record the process pools the command line starts for --jobs, and the tiled runs it asks for."""
    made = {"pools": [], "runs": []}
    real_pool = cli_tiles.process_pool
    monkeypatch.setattr(cli_tiles, "process_pool", lambda jobs: made["pools"].append(jobs) or real_pool(jobs))
    def spy(real):
        def run(net, window, tiles, **kw):
            made["runs"].append((tiles, type(kw["executor"]).__name__))
            return real(net, window, tiles, **kw)

        return run

    for name in ("count_in_tiles", "regions_in_tiles"):
        monkeypatch.setattr(exact._api, name, spy(getattr(exact._api, name)))
    return made


def _cli_json(argv, capsys):
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return json.loads(captured.out)


@pytest.mark.parametrize("window, tiles, jobs", [("3", "3", None), ("3", "2", "2"),
                                                 ("-1,4,-3,2", "3,2", None), ("-1,4,-3,2", "2,3", "2")])
def test_cli_count_with_tiles_equals_without(window, tiles, jobs, capsys, spy_pools):
    argv = ["count", "2-16-16-1", "--seed", "1", f"--window={window}", "--json", "-q"]
    plain = _cli_json(argv, capsys)
    bounds = [Fraction(v) for v in window.split(",")]
    want = exact.count_regions(numeric.seeded_mlp([2, 16, 16, 1], seed=1),
                               window=bounds[0] if len(bounds) == 1 else tuple(bounds))
    assert (plain["activation_regions"], plain["linear_regions"]) == want   # the library, untiled
    assert want.activation > 30
    assert spy_pools["runs"] == []
    tiled = _cli_json(argv + ["--tiles", tiles] + (["--jobs", jobs] if jobs else []), capsys)
    assert tiled == plain
    assert spy_pools["pools"] == ([2] if jobs else [])                     # --jobs 2: a pool of 2
    grid = (int(tiles),) * 2 if "," not in tiles else tuple(map(int, tiles.split(",")))   # as checked: (nx, ny)
    assert spy_pools["runs"] == [(grid, "ProcessPoolExecutor" if jobs else "NoneType")]


@pytest.mark.parametrize("window, jobs", [("2", None), ("-1,2,-2,1", "2")])
def test_cli_regions_with_tiles_equal_without(window, jobs, tmp_path, capsys, spy_pools):
    spec = tmp_path / "net.json"
    exact.save_json(numeric.seeded_mlp([2, 8, 8, 1], seed=3, activation="abs"), spec)
    extra = ["--jobs", jobs] if jobs else []
    for count_only in ([], ["--count-only"]):
        argv = ["regions", str(spec), f"--window={window}", "--json", "-q", *count_only]
        plain = _cli_json(argv, capsys)
        assert plain["activation_regions"] > 10
        assert _cli_json(argv + ["--tiles", "3", *extra], capsys) == plain
    assert spy_pools["pools"] == ([2, 2] if jobs else [])
    assert spy_pools["runs"] == [((3, 3), "ProcessPoolExecutor" if jobs else "NoneType")] * 2
    gj = tmp_path / "cells.geojson"
    _cli_json(["regions", str(spec), f"--window={window}", "--tiles", "2", "--geojson", str(gj), "--json", "-q"],
              capsys)
    features = json.loads(gj.read_text())["features"]
    assert len(features) == plain["activation_regions"]   # a cell cut by seams is one cell again


@pytest.mark.parametrize("argv, message", [
    (["count", "2-5-1", "--jobs", "2"], "--jobs 2 runs the tiles of one net on worker processes: give --tiles"),
    (["count", "2-5-1", "--scheduler", "tcp://127.0.0.1:1"], "--scheduler 'tcp://127.0.0.1:1' runs the tiles"),
    (["count", "2-5-1", "--tiles", "2", "--jobs", "2", "--scheduler", "tcp://127.0.0.1:1"],
     "--scheduler computes the tiles on the cluster's workers: drop --jobs 2"),
    (["count", "2-5-1", "--tiles", "3,2", "--window", "[[0,0],[1,0],[0,1]]"],
     "--tiles 3,2 cuts a square or a rectangle, not the polygon (0, 0), (1, 0), (0, 1)"),
    (["count", "3-5-1", "--tiles", "2"], "--tiles 2 cuts a 2-D window, and these nets' input is 3-D"),
    (["regions", "NET3", "--tiles", "2"], "--tiles cuts a 2-D window, but the network's input width is 3; "
                                          "give --plane"),
    (["regions", "NET3", "--jobs", "2"], "--jobs 2 runs the tiles"),
    (["count", "2-5-1", "--tiles", "2", "--scheduler", "nonsense"], "--scheduler 'nonsense' is not a scheduler"),
])
def test_cli_tile_usage_errors_exit_2_without_a_traceback(argv, message, tmp_path, capsys):
    net3 = tmp_path / "net3.json"
    exact.save_json([([[1.0, 0.0, 0.0]], [0.0]), ([[1.0]], [0.0])], net3)
    assert main([str(net3) if a == "NET3" else a for a in argv]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and "Traceback" not in captured.err and captured.out == ""


@pytest.mark.parametrize("value, message", [
    ("0", "--tiles takes N (an N x N grid) or NX,NY, positive integers; got '0'"),
    ("2,3,4", "got '2,3,4'"), ("two", "got 'two'"), ("2.5", "got '2.5'"), ("3,-1", "got '3,-1'"),
    ("2000", "--tiles '2000': tiles=2000 asks for 4,000,000 tiles"),
])
def test_cli_bad_tiles_values_exit_2(value, message, capsys):
    with pytest.raises(SystemExit, match="2"):
        main(["count", "2-5-1", "--tiles", value])
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    with pytest.raises(SystemExit, match="2"):
        main(["count", "2-5-1", "--tiles", "2", "--jobs", "0"])
    assert "--jobs takes an integer from 1" in capsys.readouterr().err


@needs_dask
def test_cli_counts_tiles_on_a_dask_scheduler(dask_cluster, capsys, spy_pools):  # noqa: F811
    cluster, _ = dask_cluster
    argv = ["count", "2-16-16-1", "--window=-1,4,-3,2", "--json", "-q"]
    plain = _cli_json(argv, capsys)
    assert _cli_json(argv + ["--tiles", "3", "--scheduler", cluster.scheduler_address], capsys) == plain
    assert spy_pools["runs"] == [((3, 3), "ClientExecutor")]   # tiles as checked: (nx, ny)


# --- a dask worker killed mid-run --------------------------------------------------------

@needs_dask
def test_a_dask_worker_killed_mid_tiled_run_costs_nothing_but_time(dask_cluster):  # noqa: F811
    _, client = dask_cluster
    net = exact.as_exact_net(numeric.seeded_mlp([2, 64, 64, 64, 1], seed=0))
    ref = exact.count_regions(net)
    ex = client.get_executor()
    got, killed = {}, {}

    def run():
        got["counts"] = count_in_tiles(net, Fraction(10), 8, executor=ex)

    counting = threading.Thread(target=run, daemon=True)   # a hang fails the test, not the whole run
    counting.start()
    deadline = time.monotonic() + 10
    while not killed and time.monotonic() < deadline:  # kill (SIGKILL, like the OOM killer) a busy worker
        busy = sorted(w for w, tasks in client.processing().items() if tasks)
        if busy:
            pid = client.run(os.getpid, workers=[busy[0]])[busy[0]]
            os.kill(pid, signal.SIGKILL)
            killed.update(victim=busy[0], running=counting.is_alive())
    counting.join(60)
    assert killed, "no worker was busy: the tiles are too fast for this test"
    assert not counting.is_alive(), "the tiled run did not finish within 60 s of the kill"
    assert killed["running"], "the run was over before the kill"
    assert got.get("counts") == ref                                     # the same answer as serially
    deadline = time.monotonic() + 20
    while killed["victim"] in client.scheduler_info()["workers"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert killed["victim"] not in client.scheduler_info()["workers"]   # it really died
    client.wait_for_workers(2, timeout=60)

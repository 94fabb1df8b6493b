"""The exact cells of one tile (exact.certified_regions.tile_cells_exact): certified cells made exact equal the exact engine's.

A tile of ``regions(..., tiles=)`` used to be computed by the exact engine
(:func:`exact.layer_split.enumerate_cells`); a deep net's tile is now built with certified
floats and made exact a block at a time.  Each test compares with the exact engine run on the
same tile, independently: vertices, edge lines, patterns and output maps (in lowest terms,
as :class:`~exact.layer_split.RawCell` promises), and checks which engine ran.
"""

import logging
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import exact
from exact import certified_regions
from exact.errors import ResourceLimitError, TooManyRegionsError
from exact.layer_split import enumerate_cells
from exact.network import ExactNet
from exact.predicates import canonical_line, point_to_fractions
from exact.windows import rectangle_window
from numeric.models import seeded_mlp


def as_set(cells):
    """Each cell by pattern: its vertices from the lowest (as Fractions), edges (canonical), map (raw)."""
    out = {}
    for c in cells:
        vs = [point_to_fractions(v) for v in c.verts]
        k = vs.index(min(vs))
        es = [canonical_line(*e) for e in c.edges]
        out[c.pattern] = (tuple(vs[k:] + vs[:k]), tuple(es[k:] + es[:k]), c.out, c.out_den)
    assert len(out) == len(cells)                       # one cell per pattern
    return out


def exact_engine(net, w):
    return enumerate_cells(net, w.verts, w.edges)


@pytest.fixture
def no_exact_engine(monkeypatch):
    """Fail if a tile goes to the exact engine."""
    def refuse(*args, **kwargs):
        raise AssertionError("the exact engine ran")
    monkeypatch.setattr(certified_regions, "enumerate_cells", refuse)


def random_net(rng, act):
    widths = [2] + [int(rng.integers(2, 7)) for _ in range(int(rng.integers(2, 4)))] + [int(rng.integers(1, 3))]
    layers = [(rng.normal(size=(b, a)).tolist(), rng.normal(size=b).tolist()) for a, b in zip(widths, widths[1:])]
    return ExactNet.from_layers(layers, activation=act)


@pytest.mark.parametrize("act", ["relu", "leaky_relu", "hardtanh", "abs"])
def test_certified_tile_cells_are_the_exact_engines(act):
    rng = np.random.default_rng(["relu", "leaky_relu", "hardtanh", "abs"].index(act))
    for _ in range(12):
        net = random_net(rng, act)
        x0, x1 = sorted(rng.uniform(-3, 3, 2))
        y0, y1 = sorted(rng.uniform(-3, 3, 2))
        w = rectangle_window(x0, x1, y0, y1)
        assert as_set(certified_regions.tile_cells_exact(net, w)) == as_set(exact_engine(net, w))


def test_a_seeded_deep_net_never_reaches_the_exact_engine(no_exact_engine):
    net = exact.as_exact_net(seeded_mlp([2, 16, 16, 16, 1], seed=0))
    w = rectangle_window(0, 10, -10, Fraction(7, 3))
    got = certified_regions.tile_cells_exact(net, w)
    assert len(got) == exact.count_regions(net, ((0, 10, -10, Fraction(7, 3)))).activation > 300


def test_output_maps_are_in_lowest_terms_as_the_exact_engines(no_exact_engine):
    # outputs g1 / 2 and g1 / 2 + g2 over the layers' common scale: factors to cancel, cell by cell
    net = ExactNet.from_layers([([[1, 0], [0, 1]], [0, 0]), ([[1, 1], [1, -1]], [-1, Fraction(-1, 2)]),
                                ([[Fraction(1, 2), 0], [Fraction(1, 2), 1]], [0, 0])])
    w = rectangle_window(-1, 2, -1, 3)
    got = certified_regions.tile_cells_exact(net, w)
    assert as_set(got) == as_set(exact_engine(net, w))
    outs = {c.pattern: (c.out, c.out_den) for c in got}
    assert outs[1, 1, 1, 1] == (((1, 1, -1), (3, -1, -2)), 2) and outs[1, 1, 0, 0] == (((0, 0, 0),) * 2, 1)


def test_a_tie_in_floats_hands_the_tile_to_the_exact_engine(caplog):
    # relu(x), relu(y) on two sides of the tile, then relu(y - x) through two of its corners
    net = ExactNet.from_layers([([[1, 0], [0, 1]], [0, 0]), ([[-1, 1]], [0]), ([[1]], [0])])
    w = rectangle_window(0, 1, 0, 1)
    with caplog.at_level(logging.INFO, logger="exact.counting"):
        got = certified_regions.tile_cells_exact(net, w)
    assert "using the exact engine" in caplog.text
    assert as_set(got) == as_set(exact_engine(net, w))


def test_one_hidden_layer_goes_to_the_exact_engine(monkeypatch):
    seen = []
    monkeypatch.setattr(certified_regions, "enumerate_cells", lambda *a, **k: seen.append(1) or enumerate_cells(*a, **k))
    net = ExactNet.from_layers([([[1, 0], [0, 1]], [0, 0]), ([[1, 1]], [0])])
    assert len(certified_regions.tile_cells_exact(net, rectangle_window(-1, 1, -1, 1))) == 4 and seen


def test_limits_are_those_of_the_exact_engine(no_exact_engine):
    net = exact.as_exact_net(seeded_mlp([2, 8, 8, 1], seed=1))
    w = rectangle_window(-10, 10, -10, 10)
    n = len(certified_regions.tile_cells_exact(net, w))
    with pytest.raises(TooManyRegionsError):
        certified_regions.tile_cells_exact(net, w, max_regions=n - 1)
    per_cell = 3300 + 8 * 16 + 400                          # exact.layer_split.cell_bytes
    with pytest.raises(ResourceLimitError, match=f"{n:,} cells"):
        certified_regions.tile_cells_exact(net, w, max_memory=n * per_cell - 1)
    assert len(certified_regions.tile_cells_exact(net, w, max_memory=n * per_cell + 10**6)) == n


small = st.integers(-2, 2).map(lambda k: Fraction(k, 2))


@st.composite
def rational_nets(draw):
    widths = [2] + draw(st.lists(st.integers(1, 3), min_size=2, max_size=3)) + [draw(st.integers(1, 2))]
    layers = [([[draw(small) for _ in range(a)] for _ in range(b)], [draw(small) for _ in range(b)])
              for a, b in zip(widths[:-1], widths[1:])]
    return ExactNet.from_layers(layers, activation=draw(st.sampled_from(["relu", "abs", "leaky_relu", "hardtanh"])))


@settings(max_examples=60, deadline=None)
@given(net=rational_nets(), box=st.sampled_from([(-1, 1, -1, 1), (0, 2, -1, Fraction(1, 2)),
                                                  (Fraction(-1, 3), 1, Fraction(1, 7), 2)]))
def test_hypothesis_tile_cells_on_rational_nets(net, box):
    # small halves: lines through corners and sides, crossings on seams (many handed over, some not)
    w = rectangle_window(*box)
    assert as_set(certified_regions.tile_cells_exact(net, w)) == as_set(exact_engine(net, w))


def test_regions_in_tiles_build_a_deep_nets_tiles_with_certified_floats(monkeypatch, no_exact_engine):
    from exact import tiled_counts

    monkeypatch.setattr(tiled_counts, "enumerate_cells", certified_regions.enumerate_cells)  # refuses too
    net = exact.as_exact_net(seeded_mlp([2, 8, 8, 8, 1], seed=2))
    tiled, whole = exact.regions(net, 10, tiles=2), exact.regions(net, 10)
    assert sorted(c.pattern for c in tiled.cells) == sorted(c.pattern for c in whole.cells)
    assert (tiled.n_activation, tiled.n_linear) == (whole.n_activation, whole.n_linear)

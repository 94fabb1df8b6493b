"""Analysis helpers on the exact regions: neuron activity, dead neurons, region sizes, checkpoints.

Independent references: hand-derived cases (the three coordinate planes of 3-D cut the
cube [-1, 1]^3 into 8 unit cubes, each neuron on in 4 of them; a line outside the window
makes a dead or an always-on neuron), exact re-evaluation of every neuron at each cell's
exact interior point (Fractions, layer by layer), random sampling of the net in floats
(a neuron seen on at a sampled point is not dead), exact areas and volumes that must add
up to the window's, known inscribed-ball radii (a unit cube: 1/2; the triangle with legs
1: (2 - sqrt 2) / 2), and :func:`exact.count_regions` run net by net.

Checked to fail on purpose (by hand, then put back): with ``on``/``off`` swapped in
neuron_usage, the re-evaluation and dead-neuron tests fail (not the octants: there on ==
off); with the dead/always lists swapped, the dead-neuron, sampling and text tests fail;
with region_sizes giving every cell the first cell's size, the area and volume sums fail;
with the median taking ``v[m]`` for an even count, test_statistics_match_a_sort fails (its
strips case); with chebyshev_ball returning twice the radius, the four radius tests fail;
with checkpoint_counts dropping its last checkpoint, the checkpoint tests fail; with no
unbounded cell listed, test_unbounded_cells_are_listed_apart fails.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction as F

import numpy as np
import pytest
from catalogue import seeded_torch

import exact
from exact import (
    InputError,
    InputTypeError,
    checkpoint_counts,
    count_regions,
    inscribed_ball,
    neuron_activity,
    region_sizes,
)
from exact.analysis_text import format_analysis
from exact.chebyshev_lp import chebyshev_ball
from exact.loading import as_exact_net

OCTANTS = [([[1, 0, 0], [0, 1, 0], [0, 0, 1]], [0, 0, 0]), ([[1, 1, 1]], [0])]


def random_layers(widths, seed):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((b, a)), rng.standard_normal(b)) for a, b in zip(widths[:-1], widths[1:])]


def exact_pieces(layers, activation, x):
    """The piece of every hidden neuron at the exact point ``x`` (Fractions, layer by layer)."""
    act = exact.get_activation(activation)
    out, v = [], [F(t) for t in x]
    for W, b in layers[:-1]:
        z = [sum((F(float(w)) * t for w, t in zip(row, v)), F(float(c))) for row, c in zip(np.asarray(W), b)]
        out += [act.piece(t) for t in z]
        v = [act.apply(t) for t in z]
    return tuple(out)


def test_octants_each_neuron_on_in_four_cells():
    r = exact.regions(OCTANTS, window=1)
    a = neuron_activity(r)
    assert a.n_cells == 8 and not a.whole_space
    assert a.on == ((4, 4, 4),) and a.off == ((4, 4, 4),) and a.pieces == (((4, 4),) * 3,)
    assert a.dead == () and a.always_active == ()
    whole = neuron_activity(exact.regions(OCTANTS, window=None))
    assert whole.whole_space and whole.on == ((4, 4, 4),)


@pytest.mark.parametrize("widths, activation, window", [([2, 5, 4, 1], "relu", 3), ([3, 4, 3, 1], "relu", 2),
                                                        ([2, 4, 3, 1], "hardtanh", 2), ([3, 5, 1], "abs", None),
                                                        ([2, 6, 1], "relu", None), ([2, 6, 1], "relu", 2)])
def test_counts_match_exact_reevaluation_at_interior_points(widths, activation, window):
    layers = random_layers(widths, seed=sum(widths))
    r = exact.regions(layers, window=window, activation=activation)
    a = neuron_activity(r)
    n_pieces = len(exact.get_activation(activation).breakpoints) + 1
    hidden = widths[1:-1]
    want = [[[0] * n_pieces for _ in range(w)] for w in hidden]
    for c in r.cells:
        pat = exact_pieces(layers, activation, c.interior_point())
        assert pat == c.pattern
        k = 0
        for layer, w in enumerate(hidden):
            for i in range(w):
                want[layer][i][pat[k]] += 1
                k += 1
    assert a.pieces == tuple(tuple(tuple(p) for p in layer) for layer in want)
    live = [s != 0 for s in exact.get_activation(activation).slopes]
    assert a.on == tuple(tuple(sum(n for n, ok in zip(p, live) if ok) for p in layer) for layer in want)
    assert all(on + off == len(r.cells) for lo, lf in zip(a.on, a.off) for on, off in zip(lo, lf))


def dead_case_layers():
    """x = 0 crosses [-2, 2]^2; x - 5 never does (dead); x + 5 is on everywhere;
    the deeper neuron -relu(x) - 1 is negative everywhere (dead in layer 1)."""
    return [([[1, 0], [1, 0], [1, 0], [0, 1]], [0, -5, 5, 0]),
            ([[1, 0, 0, 1], [-1, 0, 0, 0]], [0, -1]),
            ([[1, 1]], [0])]


def test_dead_and_always_active_neurons_in_a_window():
    layers = dead_case_layers()
    a = neuron_activity(exact.regions(layers, window=2))
    assert a.dead == ((0, 1), (1, 1))
    assert a.always_active == ((0, 2),)
    assert a.on[0][1] == 0 and a.off[0][2] == 0
    whole = neuron_activity(exact.regions(layers, window=None))      # x = 5 meets the plane
    assert (0, 1) not in whole.dead and (0, 2) not in whole.always_active and (1, 1) in whole.dead


def test_dead_neurons_agree_with_sampling():
    layers = dead_case_layers()
    a = neuron_activity(exact.regions(layers, window=2))
    X = np.random.default_rng(0).uniform(-2, 2, size=(4000, 2))
    seen_on, seen_off, v = [], [], X
    for W, b in layers[:-1]:
        z = v @ np.asarray(W, float).T + np.asarray(b, float)
        seen_on += list((z > 1e-9).any(axis=0))
        seen_off += list((z < -1e-9).any(axis=0))
        v = np.maximum(z, 0)
    flat = [(l, i) for l, w in enumerate([4, 2]) for i in range(w)]
    for k, n in enumerate(flat):
        if seen_on[k]:
            assert n not in a.dead
        if seen_off[k]:
            assert n not in a.always_active
    assert [n for k, n in enumerate(flat) if not seen_on[k]] == list(a.dead)  # the sampling finds them too


def test_dead_neuron_in_3d_and_non_relu_pieces():
    a = neuron_activity(exact.regions([([[1, 0, 0], [1, 1, 1]], [0, -10]), ([[1, 1]], [0])], window=1))
    assert a.dead == ((0, 1),) and a.pieces == (((1, 1), (2, 0)),)       # x = 0 halves the cube
    h = neuron_activity(exact.regions([([[1, 0], [1, 0], [0, 1]], [0, 10, 0]), ([[1, 1, 1]], [0])],
                                      window=2, activation="hardtanh"))
    assert h.pieces[0][0] == (3, 3, 3) and h.pieces[0][1] == (0, 0, 9)       # x + 10 > 1: saturated
    assert h.dead == ((0, 1),) and h.on[0][0] == 3 and h.off[0][0] == 6
    leaky = neuron_activity(exact.regions([([[1, 0], [1, 0]], [0, -10]), ([[1, 1]], [0])], window=2,
                                          activation="leaky_relu"))
    assert leaky.dead == () and leaky.always_active == ((0, 1),)       # slope 0.01 on piece 0: not dead


def test_exact_areas_add_up_to_the_window():
    r = exact.regions(random_layers([2, 6, 5, 1], seed=3), window=3)
    s = region_sizes(r)
    assert s.measure == "area" and s.exact and s.unbounded == ()
    assert all(isinstance(v, F) and v > 0 for v in s.sizes) and sum(s.sizes) == 36
    assert s.sizes == tuple(c.exact_area for c in r.cells)


def test_exact_volumes_add_up_to_the_box():
    r = exact.regions(random_layers([3, 6, 3, 1], seed=5), window=[(-1, 2), (-1, 1), (0, 3)])
    s = region_sizes(r)
    assert s.measure == "volume" and sum(s.sizes) == 18 and len(s.sizes) == len(r.cells) > 8


def test_statistics_match_a_sort():
    r = exact.regions(random_layers([2, 7, 1], seed=11), window=2)
    s = region_sizes(r)
    v = sorted(s.sizes)
    mid = len(v) // 2
    assert s.smallest == v[0] and s.largest == v[-1]
    assert s.median == (v[mid] if len(v) % 2 else (v[mid - 1] + v[mid]) / 2)
    r2 = exact.regions([([[1, 0], [0, 1]], [0, 0]), ([[1, 1]], [0])], window=F(1, 2))   # 4 equal squares
    s2 = region_sizes(r2)
    assert (s2.smallest, s2.median, s2.largest) == (F(1, 4),) * 3
    strips = [([[1, 0], [1, 0], [1, 0]], [0, F(-1, 2), F(-3, 4)]), ([[1, 1, 1]], [0])]  # widths 1, 1/2, 1/4, 1/4
    s4 = region_sizes(exact.regions(strips, window=1))
    assert sorted(s4.sizes) == [F(1, 2), F(1, 2), 1, 2] and s4.median == F(3, 4)


def test_unbounded_cells_are_listed_apart():
    r = exact.regions([([[1, 0], [0, 1], [1, 1]], [0, 0, -1]), ([[1, 1, 1]], [0])], window=None)
    s = region_sizes(r)
    tri = [c.index for c in r.cells if c.bounded]
    assert len(r.cells) == 7 and len(tri) == 1 and s.n_bounded == 1
    assert set(s.unbounded) == set(range(7)) - set(tri)
    assert [v is None for v in s.sizes] == [not c.bounded for c in r.cells]
    assert s.smallest == s.largest == s.median == F(1, 2)
    rad = region_sizes(r, "radius")
    assert rad.unbounded == s.unbounded and rad.largest == pytest.approx((2 - math.sqrt(2)) / 2, rel=1e-9)
    with pytest.raises(InputError, match="unbounded"):
        inscribed_ball(r.cells[s.unbounded[0]])
    s3 = exact.regions(OCTANTS, window=None).summary()
    assert (s3["bounded_regions"], s3["unbounded_regions"], s3["smallest"]) == (0, 8, None)


def test_unit_cube_cells_have_radius_one_half():
    r = exact.regions(OCTANTS, window=1)
    for c in r.cells:
        rad, centre = inscribed_ball(c)
        assert rad == pytest.approx(0.5, abs=1e-12)
        assert centre == pytest.approx([0.5 * float(np.sign(t)) for t in c.interior_point()], abs=1e-12)
    s = region_sizes(r, "radius")
    assert not s.exact and s.smallest == pytest.approx(0.5, abs=1e-12)


def test_radius_in_4d_is_the_default_and_is_right():
    box = [(0, 1), (0, 2), (0, 3), (0, 4)]
    r = exact.regions([([[1, 0, 0, 0]], [F(-1, 2)]), ([[1]], [0])], window=box)   # x1 = 1/2 halves it
    s = region_sizes(r)
    assert s.measure == "radius" and s.sizes == pytest.approx([0.25, 0.25], abs=1e-12)
    assert r.summary()["smallest"] == pytest.approx(0.25, abs=1e-12)
    assert sum(region_sizes(r, "volume").sizes) == 24


def test_radius_ball_lies_inside_random_cells():
    r = exact.regions(random_layers([3, 5, 1], seed=2), window=1)
    for c in r.cells:
        rad, centre = inscribed_ball(c)
        rows = [row for row, f in zip(c.rows, c.facet) if f]
        for row in rows:  # distance of the centre to each facet's hyperplane >= radius
            a = np.array(row[:-1], float)
            assert (a @ centre + row[-1]) / np.linalg.norm(a) >= rad * (1 - 1e-9)
        assert 0 < rad <= min(float(h - l) for l, h in zip(r.lo, r.hi)) / 2


@pytest.mark.parametrize("jobs", [None, "threads"])
def test_checkpoint_counts_equal_count_regions_one_by_one(jobs):
    nets = [random_layers([2, 6, 1], seed=s) for s in range(4)]
    kw = {"executor": ThreadPoolExecutor(2)} if jobs == "threads" else {}
    got = checkpoint_counts(nets, window=2, **kw)
    assert [g.counts for g in got] == [count_regions(n, window=2) for n in nets]
    assert all(g.activity is None for g in got)


def test_checkpoint_state_dicts_with_a_model_and_activity():
    mods = [seeded_torch([2, 5, 1], seed=s) for s in range(3)]
    model = seeded_torch([2, 5, 1], seed=99)
    got = checkpoint_counts([m.state_dict() for m in mods], model=model, window=None, activity=True)
    assert [g.counts for g in got] == [count_regions(m, window=None) for m in mods]
    assert [g.activity for g in got] == [neuron_activity(exact.regions(m, window=None)) for m in mods]
    with pytest.raises(InputError, match=r"checkpoints\[0\] does not fit model"):
        checkpoint_counts([seeded_torch([2, 3, 1]).state_dict()], model=model)


def test_format_analysis_and_bad_input():
    r = exact.regions(dead_case_layers(), window=2)
    text = format_analysis(r)
    assert "dead: (0, 1), (1, 1)" in text and "always active: (0, 2)" in text and "exact area" in text
    assert "float estimate" in format_analysis(r, "radius")
    with pytest.raises(InputError, match="measure must be one of"):
        region_sizes(r, "size")
    with pytest.raises(InputError, match="measure 'area' is for a 2-D input"):
        region_sizes(exact.regions(OCTANTS, window=1), "area")
    with pytest.raises(InputTypeError, match="regions must be the result of exact.regions"):
        neuron_activity([1, 2])
    with pytest.raises(InputTypeError, match="regions must be the result of exact.regions"):
        region_sizes(as_exact_net(OCTANTS))
    with pytest.raises(InputError, match="not strictly inside"):
        chebyshev_ball([(1, 0, 0), (-1, 0, 1), (0, 1, 0), (0, -1, 1)], (F(2), F(1, 2)))
    with pytest.raises(InputTypeError, match="activity must be True or False"):
        checkpoint_counts([], activity=1)
    with pytest.raises(InputError, match="max_neurons"):
        format_analysis(r, max_neurons=-1)


def test_radius_without_scipy_says_which_extra(monkeypatch):
    import sys

    from exact.errors import ExactnetError

    monkeypatch.setitem(sys.modules, "scipy.optimize", None)   # import scipy.optimize now fails
    with pytest.raises(ExactnetError, match=r"exactnet\[analysis\]"):
        chebyshev_ball([(1, 0, 0), (-1, 0, 1), (0, 1, 0), (0, -1, 1)], (F(1, 2), F(1, 2)))

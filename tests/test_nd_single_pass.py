"""``regions()`` of the whole space in one enumeration (issue 18): cells clipped when asked, same cells.

The cells of ``exact.regions(net, window=None)`` are made once, in the a-priori cube of
``vertex_bound``, and each is clipped to the certified (hugging) cube when its geometry is
first asked for; the adjacency is found when asked, the linear regions among cells with equal
maps only.  Checked here against independent references: the cells the window engine makes
directly in the certified cube (no certificate, no clipping), ``count_regions`` (counted in the
a-priori cube), the hand-derived 3-D catalogue (its cases whose window holds every vertex keep
their counts in the whole space), and the net itself re-evaluated exactly at every cell's
interior point (pattern and output), every row strictly positive there.  Enumerations are
counted by wrapping ``enumerate_cells_nd`` where the whole-space code calls it.

Checked to fail on purpose (by hand, then put back): with a second enumeration in the
certified cube put back into ``whole_space_parts`` (as before this change), the
single-enumeration test fails for every deep net (and the catalogue's deep cases); with
``CellND`` keeping the large cube's polytope instead of clipping it, the clip count, the
window comparison (vertices far outside) and the catalogue's interior points (off the
certified cube) fail; with ``bounded`` read from the box's last row only, the window
comparison and the catalogue fail; with ``linear_labels_by_map`` joining no class (each cell
its own linear region), the catalogue's ``zero_output_weight``, ``deeper_cuts_seven_octants``
and ``deeper_through_a_vertex`` fail (count_regions shares that function: the seeded nets
cannot see it).
"""

from __future__ import annotations

from fractions import Fraction as F

import pytest
from catalogue import seeded_torch
from test_nd_regions import CASES_3D, DEEP_3D

import exact
from exact.loading import as_exact_net
from exact.nd import count_regions_nd, region_set, regions_nd, whole_space
from exact.nd.vertex_bounds import vertex_bound

SEEDED = [([4, 6, 6, 1], 0), ([4, 4, 4, 1], 1), ([4, 8, 1], 0), ([3, 8, 8, 1], 0), ([3, 5, 4, 1], 7)]
"""The benchmark's 4-D nets (issue 18), a small deeper one, and 3-D nets (one with equal maps)."""


@pytest.fixture
def calls(monkeypatch):
    """Count the enumerations and clips of the whole-space code: ``{"enumerate": n, "clip": m}``."""
    seen = {"enumerate": 0, "clip": 0}

    def counting(name, f):
        def wrapped(*args, **kwargs):
            seen[name] += 1
            return f(*args, **kwargs)
        return wrapped

    monkeypatch.setattr(whole_space, "enumerate_cells_nd", counting("enumerate", whole_space.enumerate_cells_nd))
    monkeypatch.setattr(region_set, "enumerate_cells_nd", counting("enumerate", region_set.enumerate_cells_nd))
    monkeypatch.setattr(region_set, "clip_to_box", counting("clip", region_set.clip_to_box))
    return seen


def check_interior_points(r):
    """Each cell's interior point: strictly inside every row, the net's own pattern and value there."""
    net = r.net
    for c in r:
        p = c.interior_point()
        hs = c.halfspaces
        assert all(sum(a * x for a, x in zip(row, p)) < g for row, g in zip(hs.D, hs.g))
        assert all(lo < x < hi for x, lo, hi in zip(p, r.lo, r.hi))
        assert net.pattern_at(p) == c.pattern and net.evaluate(p) == c.affine(p)


@pytest.mark.parametrize("widths, seed", SEEDED)
def test_regions_of_the_whole_space_enumerate_once_and_clip_when_asked(widths, seed, calls):
    net = seeded_torch(widths, seed)
    r = exact.regions(net, window=None)
    assert calls == {"enumerate": 1, "clip": 0}
    assert exact.count_regions(net, window=None) == (r.n_activation, r.n_linear)
    assert calls["enumerate"] == 2     # the counter's one
    deep = len(widths) > 3             # a deep net's cells are made in the a-priori cube, far larger
    assert r.hi[0] < vertex_bound(as_exact_net(net)) or not deep
    first = [(c.halfspaces, c.interior_point()) for c in r]
    assert [(c.halfspaces, c.interior_point()) for c in r] == first and all(c.verts and c.facet for c in r)
    assert calls == {"enumerate": 2, "clip": len(r) if deep else 0}   # each cell clipped once, then kept


@pytest.mark.parametrize("widths, seed", SEEDED)
def test_single_pass_cells_are_those_the_window_engine_makes_in_the_certified_cube(widths, seed):
    net = seeded_torch(widths, seed)
    r = regions_nd(net, window=None)
    again = regions_nd(net, window=r.hi[0])        # made directly in [-h, h]^d: no certificate, no clip
    assert count_regions_nd(net, window=None) == (r.n_activation, r.n_linear) == (again.n_activation,
                                                                                   again.n_linear)
    mine = {c.pattern: c for c in r}
    assert len(mine) == len(again)
    for c in again:
        d = mine[c.pattern]
        assert set(d.verts) == set(c.verts) and d.affine == c.affine
        hd, hc = d.halfspaces, c.halfspaces
        facets = [{(D, g) for D, g, f in zip(h.D, h.g, h.facet) if f} for h in (hd, hc)]
        assert facets[0] == facets[1]     # the same facets, box sides included
        assert hd.on_box == (True,) * len(r.lo) * 2 + (False,) * (len(hd.D) - 2 * len(r.lo))
        assert all(sum(a * x for a, x in zip(D, v)) <= g for D, g in zip(hd.D, hd.g) for v in c.vertices)
        assert d.bounded == (not c.clipped) == (not d.clipped)
    pairs = [{frozenset((x.cells[i].pattern, x.cells[j].pattern)) for i, j in x.adjacency} for x in (r, again)]
    assert pairs[0] == pairs[1]
    regions = [{frozenset(c.pattern for c in x if c.linear_region == k) for k in range(x.n_linear)}
               for x in (r, again)]
    assert regions[0] == regions[1]
    assert all(r.is_linear_boundary(k) == (r.cells[i].affine != r.cells[j].affine)
               for k, (i, j) in enumerate(r.adjacency))
    check_interior_points(r)


WHOLE_CATALOGUE = {name: (case[0], case[2], case[3]) for name, case in CASES_3D.items()
                   if name not in ("plane_on_a_box_edge", "plane_on_a_box_face")}   # their planes miss the window
WHOLE_CATALOGUE.update({name: (layers, "relu", counts) for name, (layers, _, counts) in DEEP_3D.items()})


@pytest.mark.parametrize("name", sorted(WHOLE_CATALOGUE))
def test_hand_derived_catalogue_in_the_whole_space(name, calls):
    """The 3-D catalogue's windows hold every vertex (but two cases'): the same counts in all of R^3."""
    layers, act, expected = WHOLE_CATALOGUE[name]
    r = regions_nd(layers, window=None, activation=act)
    assert calls["enumerate"] == 1
    assert (r.n_activation, r.n_linear) == expected == count_regions_nd(layers, window=None, activation=act)
    check_interior_points(r)
    assert all(c.bounded == (not c.clipped) for c in r)


def test_cells_of_a_window_are_not_clipped(calls):
    r = regions_nd(seeded_torch([4, 4, 4, 1], 1), window=F(3, 2))
    assert all(c.halfspaces and c.verts for c in r) and all(c.bounded for c in r)
    assert calls == {"enumerate": 1, "clip": 0}

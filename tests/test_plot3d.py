"""The 3-D picture of exact cells (exact.nd.plot3d) and the shared fill colours (exact.fill_colors).

Independent references: each facet's vertex set is recomputed from the cell's exact
halfspaces (the vertices where a facet row holds with equality); the order around a facet
is checked exactly as a convex polygon (every other vertex strictly left of every edge,
seen from outside); the facets' exact vector areas give each cell's volume by the
divergence theorem, which must equal the exact volume of exact.nd.volume (a triangulation);
hand-derived facet areas of a cube split by a plane and of four boxes; the 2-D plot's own
PolyCollection colours for the colour modes.

Checked to fail on purpose (by hand, then put back): with the orientation test in
``cell_facets`` reversed (``> 0``), test_facets_are_exact_convex_rings_seen_from_outside and
the divergence-theorem volumes fail; with ``_ring`` starting its walk at the second
neighbour but not tracking ``prev`` (a back-and-forth walk), ``_ring`` raises its "more than
one cycle" error in every test; with the hue bits of the pattern colour shifted by 41,
test_colours_are_those_of_the_2d_plot fails; with ``max_cells`` compared by ``>=``,
test_refusals fails.
"""

from __future__ import annotations

import math
from fractions import Fraction as F

import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure

import exact
from exact.fill_colors import cell_colors, cell_values, rgba_hex
from exact.nd import regions_nd
from exact.nd.plot3d import cell_facets, facet_polygons, plot_regions_3d
from exact.nd.polytope import point_to_fractions

CUBE_CUT = [([[1, 1, 1]], [0]), ([[1]], [0])]                       # x + y + z = 0 through [-1, 1]^3
FOUR_BOXES = [([[1, 0, 0], [0, 1, 0]], [0, 0]), ([[1, 1]], [0])]     # x = 0 and y = 0
FOUR_THROUGH_ONE = [([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]], [0, 0, 0, 0]), ([[1, -2, 3, 1]], [0])]
DEEP = [([[1, 2, -1], [-1, 1, 1], [F(1, 3), -1, 2]], [F(1, 2), 0, F(-1, 4)]),
        ([[1, -1, 1], [2, 1, -1]], [0, F(1, 5)]), ([[1, -3]], [0])]


def sub(p, q):
    return tuple(a - b for a, b in zip(p, q))


def cross(u, v):
    return (u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0])


def dot(u, v):
    return sum(a * b for a, b in zip(u, v))


def vector_area(ring):
    """Exact vector area 1/2 sum p_i x p_(i+1): its length is the area, its direction the normal."""
    tot = (F(0),) * 3
    for p, q in zip(ring, ring[1:] + ring[:1]):
        tot = tuple(a + b for a, b in zip(tot, cross(p, q)))
    return tuple(a / 2 for a in tot)


def exact_rings(cell):
    return [(row, [point_to_fractions(p) for p in ring]) for row, ring in cell_facets(cell)]


@pytest.mark.parametrize("layers, window", [(CUBE_CUT, 1), (FOUR_BOXES, 1), (FOUR_THROUGH_ONE, 1),
                                            (DEEP, 2), (FOUR_THROUGH_ONE, None)])
def test_facets_are_exact_convex_rings_seen_from_outside(layers, window):
    r = exact.regions(layers, window=window)
    for c in r:
        D, g, facet, _ = c.halfspaces
        verts = c.vertices
        rings = exact_rings(c)
        assert [row for row, _ in rings] == [k for k, f in enumerate(facet) if f]
        inside = c.interior_point()
        for row, ring in rings:
            on = {v for v in verts if dot(D[row], v) == g[row]}        # tight, from the halfspaces
            assert len(ring) == len(set(ring)) and set(ring) == on and len(ring) >= 3
            out = tuple(D[row])                                       # D x <= g: D is the outward normal
            for i, (p, q) in enumerate(zip(ring, ring[1:] + ring[:1])):
                others = [v for j, v in enumerate(ring) if j not in (i, (i + 1) % len(ring))]
                assert all(dot(cross(sub(q, p), sub(v, p)), out) > 0 for v in others)
            assert dot(vector_area(ring), sub(ring[0], inside)) > 0   # normal points away from the cell


@pytest.mark.parametrize("layers, window", [(CUBE_CUT, 1), (FOUR_THROUGH_ONE, F(3, 2)), (DEEP, 2)])
def test_divergence_theorem_gives_the_exact_volume(layers, window):
    r = exact.regions(layers, window=window)
    for c in r:
        vol = sum((dot(ring[0], vector_area(ring)) for _, ring in exact_rings(c)), F(0)) / 3
        assert vol == c.volume
    assert sum(c.volume for c in r) == (2 * F(window)) ** 3


def test_cube_split_by_a_plane_hand_derived_areas():
    # x + y + z = 0 meets [-1, 1]^3 in the regular hexagon through six edge midpoints (side sqrt 2,
    # area 3 sqrt 3); each face of the cube is cut into a pentagon (area 7/2) and a triangle (1/2).
    r = exact.regions(CUBE_CUT, window=1)
    assert len(r) == 2
    for c in r:
        got = sorted((len(ring), dot(vector_area(ring), vector_area(ring))) for _, ring in exact_rings(c))
        assert got == [(3, F(1, 4))] * 3 + [(5, F(49, 4))] * 3 + [(6, F(27))]
    drawn = facet_polygons(r)
    assert len(drawn) == 14
    areas = sorted(float(np.linalg.norm(sum(np.cross(p, q) for p, q in zip(vs, vs[1:] + vs[:1])))) / 2
                   for _, _, vs in drawn)
    assert areas == pytest.approx([0.5] * 6 + [3.5] * 6 + [3 * math.sqrt(3)] * 2, rel=1e-12)


def test_four_boxes_hand_derived_areas_and_the_collection():
    r = exact.regions(FOUR_BOXES, window=1)
    for c in r:    # each cell is [0, 1] x [0, 1] x [-1, 1] up to signs: four 1 x 2 sides, two 1 x 1 ends
        got = sorted(dot(vector_area(ring), vector_area(ring)) for _, ring in exact_rings(c))
        assert got == [1, 1, 4, 4, 4, 4]
    ax = Figure().add_subplot(projection="3d")
    arts = plot_regions_3d(r, ax, color="pattern", alpha=0.5)
    assert len(arts) == 1 and len(arts[0].get_facecolor()) == 24
    cols = [cell_colors(r, "pattern")[k][:3] for k, _, _ in facet_polygons(r)]
    drawn = arts[0].get_facecolor()                         # in depth order: compare as multisets
    assert np.allclose(sorted(map(tuple, drawn[:, :3])), sorted(cols))
    assert np.allclose(arts[0].get_facecolor()[:, 3], 0.5)
    assert ax.get_xlim() == (-1, 1) and ax.get_zlim() == (-1, 1)
    assert "4 activation / 4 linear" in ax.get_title() and "[-1, 1]^3" in ax.get_title()
    ax.figure.canvas.draw()                                 # projects and sorts: no error
    assert len(arts[0].get_paths()) == 24


def test_output_colours_and_values_are_exact_at_the_interior_point():
    r = exact.regions(DEEP, window=2)
    vals = cell_values(r, 0)
    for c, v in zip(r, vals):
        assert v == r.net.evaluate(c.interior_point())[0]
    arts = plot_regions_3d(r, color="output")
    per_facet = [k for k, _, _ in facet_polygons(r)]
    assert list(arts[0].get_array()) == [float(vals[k]) for k in per_facet]
    assert type(arts[1]).__name__ == "Colorbar"
    hexes = [rgba_hex(c) for c in cell_colors(r, "output")]
    assert hexes[vals.index(min(vals))] == "#440154" and hexes[vals.index(max(vals))] == "#fde725"


def test_colours_are_those_of_the_2d_plot():
    r = exact.regions([([[1, 0], [0, 1], [1, 1]], [0, 0, F(-1, 2)]), ([[1, -1, 2]], [0])], window=1)
    for mode in ("index", "pattern", "output"):
        arts = r.plot(Figure().add_subplot(), color=mode)
        drawn = arts[0].get_facecolor() if mode != "output" else arts[0].to_rgba(arts[0].get_array())
        assert np.allclose(np.array(cell_colors(r, mode))[:, :3], drawn[:, :3]), mode
    assert cell_colors(r, "pattern", cmap="tab10") == [matplotlib.colormaps["tab10"](
        exact.plotting.pattern_hash(c.pattern) % 10) for c in r]


def test_whole_space_is_drawn_in_the_certified_box_and_said_so():
    r = exact.regions(FOUR_THROUGH_ONE, window=None)
    arts = r.plot()                                        # the RegionsND wrapper
    ax = arts[0].axes
    assert r.whole_space and len(r) == 14
    assert "whole space: cells clipped to the certified box" in ax.get_title()
    assert ax.get_xlim() == (float(r.lo[0]), float(r.hi[0]))


def test_a_new_figure_is_a_pyplot_one_as_in_2d_and_the_notebook_picture_is_not():
    # fresh-clone trial: r2.plot() made a pyplot figure, r3.plot() an unmanaged one, which plt.show() and a
    # notebook's inline backend never show; the notebook's own picture (_repr_png_) stays outside pyplot
    import matplotlib.pyplot as plt

    plt.close("all")
    r = exact.regions(CUBE_CUT, window=1)
    arts = r.plot()
    assert plt.get_fignums() == [arts[0].axes.figure.number]
    exact.regions([([[1, 0]], [0]), ([[1]], [0])], window=1).plot()   # the 2-D plot does the same
    assert len(plt.get_fignums()) == 2
    plt.close("all")
    assert r._repr_png_().startswith(b"\x89PNG") and plt.get_fignums() == []
    arts = plot_regions_3d(r, Figure().add_subplot(projection="3d"))   # an ax given: pyplot untouched
    assert plt.get_fignums() == []


def test_refusals():
    r3 = exact.regions(CUBE_CUT, window=1)
    with pytest.raises(exact.ResourceLimitError, match="2 cells, more than max_cells=1"):
        plot_regions_3d(r3, max_cells=1)
    plot_regions_3d(r3, max_cells=2)
    with pytest.raises(exact.InputError, match="input is 4-D"):
        plot_regions_3d(exact.regions([([[1, 0, 0, 0]], [0]), ([[1]], [0])], window=1))
    with pytest.raises(exact.InputError, match="input is 2-D"):
        plot_regions_3d(regions_nd([([[1, 0]], [0]), ([[1]], [0])], window=1))
    with pytest.raises(exact.InputTypeError, match="use Regions.plot"):
        plot_regions_3d(exact.regions([([[1, 0]], [0]), ([[1]], [0])], window=1))
    with pytest.raises(exact.InputTypeError, match="3-D axes"):
        plot_regions_3d(r3, Figure().add_subplot())
    with pytest.raises(exact.InputError, match="color must be one of"):
        plot_regions_3d(r3, color="rainbow")
    with pytest.raises(exact.InputError, match="cmap must be"):
        plot_regions_3d(r3, cmap="no-such-map")
    with pytest.raises(exact.InputError, match="alpha must be"):
        plot_regions_3d(r3, alpha=2)
    with pytest.raises(exact.InputError, match="max_cells must be"):
        plot_regions_3d(r3, max_cells=0)
    with pytest.raises(exact.InputError, match="out of range: the network has 1 output"):
        plot_regions_3d(r3, color="output", output=1)

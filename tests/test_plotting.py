"""Plots and notebook display of exact regions: colours, level sets, marked points, no pyplot leaks."""

from __future__ import annotations

import hashlib
from fractions import Fraction as F

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.collections import LineCollection, PathCollection, PolyCollection
from matplotlib.colorbar import Colorbar
from matplotlib.figure import Figure

import exact
from exact.errors import InputError, InputTypeError
from exact.plotting import pattern_hash, plot_regions, save_regions_plot

DIAMOND = [([[1, 0], [-1, 0], [0, 1], [0, -1]], [0, 0, 0, 0]), ([[1, 1, 1, 1]], [-1])]  # |x| + |y| - 1
DEEP = [([[1.0, 0.5], [-0.5, 1.0], [1.0, -1.0]], [0.1, -0.2, 0.3]),
        ([[1.0, -1.0, 0.5], [0.25, 1.0, -1.0]], [0.0, 0.5]),
        ([[1.0, -2.0], [0.5, 1.0]], [0.0, 0.0])]


def axes():
    return Figure(figsize=(4, 4)).add_subplot()


def test_default_plot_is_unchanged_and_has_a_legend_for_both_boundaries():
    r = exact.regions([([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0]), ([[1.0, 0.0]], [0.0])], window=1.0)
    ax = axes()
    arts = r.plot(ax=ax)
    assert [type(a) for a in arts] == [PolyCollection, LineCollection, LineCollection]
    # x = 0 (two edges) changes the map; y = 0 (two edges) does not (the second neuron's output
    # weight is 0): dashed
    assert len(arts[1].get_segments()) == 2 and len(arts[2].get_segments()) == 2
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["linear-region boundary", "activation-only boundary"]
    cmap = matplotlib.colormaps["tab20"]  # index colours: one per linear region, as before
    assert [tuple(c) for c in arts[0].get_facecolors()] == [
        pytest.approx((*cmap(c.linear_region % 20)[:3], 0.6)) for c in r.cells]


def test_pattern_colours_depend_on_the_pattern_only():
    # two "checkpoints": the same neurons, weights moved a little
    r1 = exact.regions([([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [0.0, 0.0, -1.0]), ([[1, 1, 1]], [0])], window=2)
    r2 = exact.regions([([[1.0, 0.1], [0.0, 1.0], [1.0, 0.9]], [0.2, 0.0, -1.1]), ([[1, 1, 2]], [0])], window=3)
    c1 = dict(zip((c.pattern for c in r1), plot_regions(r1, ax=axes(), color="pattern")[0].get_facecolors()))
    c2 = dict(zip((c.pattern for c in r2), plot_regions(r2, ax=axes(), color="pattern")[0].get_facecolors()))
    assert set(c1) == set(c2) and len(c1) == 7
    for p in c1:
        assert np.array_equal(c1[p], c2[p])
    assert len({tuple(c) for c in c1.values()}) == 7  # seven patterns, seven colours
    # the hash is BLAKE2b of the pieces, recomputed here; a fixed value guards the formula
    assert pattern_hash((1, 0, 1)) == int.from_bytes(hashlib.blake2b(b"1,0,1", digest_size=8).digest(), "big")
    assert pattern_hash((0, 1)) == 0x29CEFC7DDA343338
    tab = plot_regions(r1, ax=axes(), color="pattern", cmap="tab10")[0].get_facecolors()
    cmap = matplotlib.colormaps["tab10"]
    assert [tuple(c) for c in tab] == [pytest.approx((*cmap(pattern_hash(c.pattern) % 10)[:3], 0.6)) for c in r1]


def test_output_colours_are_the_exact_centroid_values_with_a_colour_bar():
    r = exact.regions(DEEP, window=2)
    ax = axes()
    arts = r.plot(ax=ax, color="output", output=1)
    expected = []
    for c in r:
        xs, ys = zip(*c.vertices)
        centroid = (sum(xs) / len(xs), sum(ys) / len(ys))
        expected.append(float(r.net.evaluate(centroid)[1]))
    assert arts[0].get_array().tolist() == expected
    assert isinstance(arts[-1], Colorbar) and arts[-1].mappable is arts[0]
    assert arts[-1].ax.get_ylabel() == "output 1 at the centroid"
    with pytest.raises(InputError, match="color must be one of 'index', 'pattern', 'output', got 'value'"):
        r.plot(ax=axes(), color="value")
    with pytest.raises(InputError, match="output=2 is out of range"):
        r.plot(ax=axes(), color="output", output=2)


def test_level_sets_and_decision_boundary_are_drawn_from_the_exact_segments():
    r = exact.regions(DIAMOND, window=2)
    ax = axes()
    arts = r.plot(ax=ax, level_set=[0, F(-1)], decision_boundary=True)
    ls0 = r.level_set(0)
    drawn = arts[3].get_segments()
    assert sorted(map(tuple, (tuple(map(tuple, s)) for s in drawn))) == sorted(
        tuple((float(x), float(y)) for x, y in s) for s in ls0.segments)
    assert isinstance(arts[4], LineCollection) and len(arts[4].get_segments()) == 0   # level -1: no segment
    assert isinstance(arts[5], PathCollection) and arts[5].get_offsets().tolist() == [[0.0, 0.0]]  # its point
    assert len(arts[6].get_segments()) == 4                                           # the decision boundary
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "$f_{0} = 0$" in labels and "decision boundary (the same set as $f_{0} = 0$)" in labels  # one output
    flat = r.plot(ax=axes(), level_set=-1)  # one level: its (empty) segments and its point
    assert len(flat) == 5
    with pytest.raises(InputTypeError, match="level_set must be a number"):
        r.plot(ax=axes(), level_set="0")


def test_flat_pieces_are_drawn_hatched():
    r = exact.regions([([[1, 0]], [0]), ([[1]], [0])], window=1)
    arts = r.plot(ax=axes(), level_set=r.level_set(0))
    assert isinstance(arts[4], PolyCollection) and arts[4].get_hatch() == "//"
    assert sorted(map(tuple, arts[4].get_paths()[0].vertices[:4].tolist())) == [(-1, -1), (-1, 1), (0, -1), (0, 1)]


def test_mark_points_in_plot_and_input_coordinates():
    r = exact.regions(DIAMOND, window=2)
    arts = r.plot(ax=axes(), mark_points=[(F(1, 2), -1), (0.25, 0.0)])
    assert arts[3].get_offsets().tolist() == [[0.5, -1.0], [0.25, 0.0]]
    assert [a.get_text() for a in arts[4:]] == ["0", "1"]
    with pytest.raises(InputError, match="mark_points=True marks the three points of plane="):
        r.plot(ax=axes(), mark_points=True)
    with pytest.raises(InputError, match=r"mark_points\[0\] has 3 coordinates; give 2"):
        r.plot(ax=axes(), mark_points=[(1, 2, 3)])
    # a slice of a 3-D net: x = x0 + u (x1 - x0) + v (x2 - x0)
    net3 = [([[1, 0, 1], [0, 1, -1]], [0, 0]), ([[1, 1]], [0])]
    plane = ([1, 0, 0], [3, 0, 0], [1, 0, 4])
    s = exact.regions(net3, window=2, plane=plane)
    assert s.plane == plane  # regions() keeps the slice's three points
    arts = s.plot(ax=axes(), mark_points=[(2, 0, 1), (1, 0, 0)])
    assert arts[3].get_offsets().tolist() == [[0.5, 0.25], [0.0, 0.0]]
    three = s.plot(ax=axes(), mark_points=True)
    assert three[3].get_offsets().tolist() == [[0, 0], [1, 0], [0, 1]]
    with pytest.raises(InputError, match=r"mark_points\[0\] is not on the plane"):
        s.plot(ax=axes(), mark_points=[(2, 1, 1)])
    with pytest.raises(InputTypeError, match="mark_points must be a sequence of points or True"):
        s.plot(ax=axes(), mark_points=5)


def test_png_for_notebooks_leaves_pyplot_alone():
    plt.close("all")
    backend = matplotlib.get_backend()
    r = exact.regions(DEEP, window=2)
    png = r._repr_png_()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    assert plt.get_fignums() == [] and matplotlib.get_backend() == backend
    assert not hasattr(r, "_repr_svg_")  # one image format: an SVG of many cells is huge


def test_save_regions_plot_writes_a_file_without_pyplot(tmp_path):
    plt.close("all")
    r = exact.regions(DIAMOND, window=2)
    save_regions_plot(r, tmp_path / "r.svg", level_set=0, color="pattern")
    text = (tmp_path / "r.svg").read_text()
    assert text.startswith("<?xml") and "<svg" in text
    assert plt.get_fignums() == []


def test_counts_show_as_an_html_table():
    html = exact.count_regions(DIAMOND, window=2)._repr_html_()
    assert html == ("<table><tr><th>activation regions</th><th>linear regions</th></tr>"
                    "<tr><td>4</td><td>4</td></tr></table>")


def test_regions_iterate_and_index_their_cells():
    r = exact.regions(DIAMOND, window=2)
    assert list(r) == r.cells and r[1] is r.cells[1] and len(r) == 4


def test_a_new_figure_keeps_its_legend_inside():
    # from a new user's trial: with ax=None the legend below the axes was cut off when the
    # figure was saved or shown as it is
    plt.close("all")
    r = exact.regions(DIAMOND, window=2)
    r.plot(level_set=[0, -0.3], decision_boundary=True)
    fig = plt.gcf()
    fig.canvas.draw()
    box = fig.axes[0].get_legend().get_window_extent()
    assert box.y0 >= 0 and box.x0 >= 0 and box.x1 <= fig.bbox.x1
    plt.close("all")

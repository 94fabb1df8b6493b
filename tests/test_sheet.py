"""`exactnet sheet` writes a complete solution with figures and the key exact numbers.

The sheet is written twice in quick mode (once through the command line), and the checks
below are plain functions of its Markdown or of a figure, so that each can also be run
against an older sheet to see it fail.
"""

import contextlib
import io
import math
import re

import numpy as np
import pytest

import exact.sheet
from exact import count_regions, regions
from exact.cli import main
from numeric import seeded_mlp


@pytest.fixture(scope="module")
def sheets(tmp_path_factory):
    """Two quick runs with the same arguments: (Markdown of each, output folder, progress lines of the CLI run)."""
    out_a, out_b = tmp_path_factory.mktemp("a") / "s", tmp_path_factory.mktemp("b") / "s"
    full = exact.sheet.write_sheet
    err = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stderr(err):
        mp.setattr(exact.sheet, "write_sheet", lambda *a, **k: full(*a, quick=True, **k))
        assert main(["sheet", "--out", str(out_a), "--res", "60"]) == 0
    full(str(out_b), res=60, quick=True)
    return (out_a / "sheet07.md").read_text(), (out_b / "sheet07.md").read_text(), out_a, err.getvalue()


@pytest.fixture(scope="module")
def deep_figures():
    """The figures of section 3(d), built as the sheet builds them (small images)."""
    import matplotlib

    matplotlib.use("Agg")
    section = exact.sheet._deep_net_section(seeded_mlp([2, 5, 5, 5, 5, 1]), 40)
    yield section.figures
    import matplotlib.pyplot as plt

    for fig in section.figures.values():
        plt.close(fig)


def test_sheet_writes_markdown_and_figures(sheets):
    md, _, out, _ = sheets
    for png in re.findall(r"\]\(([^)]+\.png)\)", md):
        assert (out / png).stat().st_size > 10_000, png
    assert len(re.findall(r"\]\(([^)]+\.png)\)", md)) == 5
    assert "81 parameters" in md
    assert "| whole plane | 20 | 211 | 211 |" in md           # 20 lines in general position
    # the deep net: the certified whole-plane row equals the 10^10 window row (the box is smaller),
    # and both equal an independent count of the same net in an even larger window
    deep_rows = re.findall(r"\| (\$\[-10\^\{10\}, 10\^\{10\}\]\^2\$|whole plane) \| (\d+) \| (\d+) \|$", md, re.M)
    assert len(deep_rows) == 2 and deep_rows[0][1:] == deep_rows[1][1:]
    assert count_regions(seeded_mlp([2, 5, 5, 5, 5, 1]), window=1e12) == tuple(map(int, deep_rows[1][1:]))
    assert "10 of 10 reach the maximum exactly" in md        # quick mode: n = 1 … 10
    assert md.count("✔") >= 40                                # verified derivation steps
    assert "## Cross-check" in md and "| 2→20→1 | $[-10, 10]^2$ | 197 |" in md
    assert "Traceback" not in md


# --- checks of the Markdown (each a function, so it can be run on an older sheet) -----------------

def empty_headings(md: str) -> list[str]:
    """Headings with nothing under them: followed (after blank lines) by a heading of the same or a
    higher level, or by the end ('## 3' directly followed by '### 3(a)' is a part with sections)."""
    lines = [ln for ln in md.splitlines() if ln.strip()] + ["#"]

    def level(ln):
        return len(ln) - len(ln.lstrip("#"))

    return [ln for ln, nxt in zip(lines, lines[1:]) if level(ln) and 0 < level(nxt) <= level(ln)]


def check_no_time_in_document(md: str) -> None:
    assert "Generated in" not in md
    assert not re.search(r"\b\d+\.\d+ ?s\b", md), re.search(r".{40}\b\d+\.\d+ ?s\b.{10}", md)


def check_header_says_how_steps_were_checked(md: str) -> None:
    header = md.split("\n## ")[0]
    assert "checked by sympy" not in header
    for method in ("sympy", "mpmath at random points", "sign of the difference", "interval arithmetic"):
        assert method in header, method
    steps = [ln for ln in md.splitlines() if ln.startswith("✔")]
    assert f"Each of the {len(steps)} derivation steps marked ✔" in header
    routes = ("mpmath", "proved", "induction", "independent count", "interval arithmetic")
    for ln in steps:
        how = ln.split("— checked: ", 1)[1]
        assert any(r in how for r in routes), ln     # a second route besides sympy, named in words


def check_cross_check_table_names_activation_regions(md: str) -> None:
    section = md.split("## Cross-check", 1)[1]
    header = next(ln for ln in section.splitlines() if ln.startswith("| net |"))
    assert "| exact activation regions |" in header and "| exact |" not in header


def check_bonus_shows_the_zero_output_weight_example(md: str) -> None:
    bonus = md.split("## 4 Bonus", 1)[1].split("\n## ", 1)[0]
    lines = ([[1, 0], [0, 1], [1, 1]], [0, 0, -1])
    got = count_regions([lines, ([[1, 1, 0]], [0])], window=None)
    assert tuple(got) == (7, 4)                              # the theorem's example, from the package
    assert f"| $a = (1, 1, 0)$ | {got.activation} | {got.linear} |" in bonus
    assert "| exact activation regions (plane) | exact linear regions (plane) |" in bonus
    assert "linear regions reach it only when" in bonus


def check_softargmax_is_named_softmax_once(md: str) -> None:
    section = md.split("## 2 ", 1)[1].split("\n### ", 1)[0]
    assert "soft(arg)max* is the function called softmax" in section


def test_markdown_is_identical_on_a_rerun_and_holds_no_run_time(sheets):
    md_a, md_b, _, log = sheets
    assert md_a == md_b
    check_no_time_in_document(md_a)
    assert re.search(r"wrote .*sheet07\.md in \d+\.\d s$", log.strip().splitlines()[-1])   # the time: on stderr


def test_no_empty_headings(sheets):
    assert empty_headings(sheets[0]) == []
    assert empty_headings("# a\n\n## b\n\ntext\n## c\n### d\n### e\ntext\n## f\n") == ["### d", "## f"]


def test_header_says_how_each_step_was_checked(sheets):
    check_header_says_how_steps_were_checked(sheets[0])


def test_cross_check_table_names_activation_regions(sheets):
    check_cross_check_table_names_activation_regions(sheets[0])


def test_bonus_shows_the_zero_output_weight_example(sheets):
    check_bonus_shows_the_zero_output_weight_example(sheets[0])


def test_softargmax_is_named_softmax(sheets):
    check_softargmax_is_named_softmax_once(sheets[0])


def test_progress_reports_each_derivation_and_cross_checked_window(sheets):
    log = sheets[3].splitlines()
    assert all(re.match(r"\[sheet\] +\d+\.\d s  ", ln) for ln in log), log[:3]
    for k in range(1, 16):
        assert sum(f"derivation {k}/15: " in ln for ln in log) == 1, k
    for k in range(1, 7):
        assert sum(f"cross-check {k}/6: " in ln for ln in log) == 1, k


# --- checks of the figures ---------------------------------------------------------------------

def _views(fig):
    """Each panel of a figure: (title, (x0, x1), (y0, y1))."""
    return [(ax.get_title(), tuple(map(float, ax.get_xlim())), tuple(map(float, ax.get_ylim())))
            for ax in fig.axes if ax.get_title()]


def _dashed_segments(r):
    return [((p[0] / p[2], p[1] / p[2]), (q[0] / q[2], q[1] / q[2]))
            for k, (_, _, p, q) in enumerate(r.boundaries) if not r.is_linear_boundary(k)]


def check_deep_panels_are_distinct_and_include_10(fig) -> None:
    views = _views(fig)
    assert len(views) == 6
    assert len({(x, y) for _, x, y in views}) == 6
    assert ((-10.0, 10.0), (-10.0, 10.0)) in {(x, y) for _, x, y in views}
    # beyond the farthest vertex every window shows the same rays: at most one panel may show all of them
    rplane = regions(seeded_mlp([2, 5, 5, 5, 5, 1]), window=None)
    far = max(max(abs(v[0]), abs(v[1])) / abs(v[2]) for c in rplane.cells for v in c.verts
              if max(abs(v[0]), abs(v[1])) < rplane.box * abs(v[2]))
    showing_all = [t for t, x, y in views if min(-x[0], x[1], -y[0], y[1]) > far]
    assert len(showing_all) <= 1, showing_all


def check_a_zoom_panel_shows_dashed_boundaries(fig) -> None:
    from shapely.geometry import LineString, box

    zooms = [(t, x, y) for t, x, y in _views(fig) if t.startswith("zoom")]
    assert zooms, "no zoom panel"
    dashed = _dashed_segments(regions(seeded_mlp([2, 5, 5, 5, 5, 1]), window=None))
    assert dashed                                           # the net has activation-only boundaries
    for title, (x0, x1), (y0, y1) in zooms:
        view = box(x0, y0, x1, y1)
        seen = [LineString(s).intersection(view).length for s in dashed]
        assert max(seen) >= 0.2 * (x1 - x0), title           # at least one is long enough to see


def check_no_offset_text(fig) -> None:
    fig.canvas.draw()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            off = axis.get_offset_text()
            assert not (off.get_visible() and off.get_text()), (ax.get_title(), off.get_text())


def test_deep_regions_panels_are_distinct_and_include_10(deep_figures):
    check_deep_panels_are_distinct_and_include_10(deep_figures["deep_regions.png"])


def test_a_zoom_panel_shows_the_dashed_boundaries(deep_figures):
    check_a_zoom_panel_shows_dashed_boundaries(deep_figures["deep_regions.png"])


def test_no_offset_text_on_axes_or_colour_bars(deep_figures):
    for fig in deep_figures.values():
        check_no_offset_text(fig)


def check_lse_contours(sets, bound: float = 1.0) -> None:
    for cs in sets:
        levels = np.asarray(cs.levels)
        step = levels[1] - levels[0]
        assert np.allclose(levels / step, np.round(levels / step)) and math.isclose(step * 10, round(step * 10))
        assert cs.labelTexts, "no labels"
        for t in cs.labelTexts:
            x, y = t.get_position()
            assert max(abs(x), abs(y)) <= bound - 0.1, (t.get_text(), x, y)     # clear of the frame
            assert re.fullmatch(r"-?\d+(\.\d)?", t.get_text()), t.get_text()   # round values


def test_lse_contours_have_round_labelled_levels_clear_of_the_frame():
    import matplotlib
    import matplotlib.pyplot as plt

    import numeric

    matplotlib.use("Agg")
    fig = plt.figure(figsize=(9, 8.5))
    try:
        check_lse_contours(numeric.plot_lse_contours(res=101, axes=fig.subplots(2, 2).ravel()))
    finally:
        plt.close(fig)

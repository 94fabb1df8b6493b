"""The interactive HTML view (exact.html_view): its embedded data, and the page in a real browser.

Independent references: the exact map strings are parsed back into Fractions and checked
against the network evaluated exactly (ExactNet.evaluate) at each cell's interior point and
vertices; patterns against ExactNet.pattern_at; 3-D facets against the vertices where each
facet row of the cell's halfspaces holds with equality; the page's state and cell count
are read from the DOM that headless Chromium dumps after plotly.js has drawn, and the
hover label and panel from plotly's own hover code.

Checked to fail on purpose (by hand, then put back): with ``countShown`` counting one cell
less (``n - 1`` in 2-D, ``seen.size - 1`` in 3-D), the browser test of that dimension fails;
with the page's ``describe`` showing the float view in place of the exact map, both
browser tests fail; with the error hook doing nothing, test_a_script_error_is_reported
fails; with the 3-D mesh's customdata holding ``n + 1`` (the panel naming the next cell),
or with the facet fans built from ``ring[(t + 2) % len]`` (degenerate and overlapping
triangles), the 3-D browser test fails; with ``view_data`` writing the next cell's map,
or dropping a cell's first facet, the data tests fail.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from fractions import Fraction as F
from html.parser import HTMLParser

import numpy as np
import pytest

import exact
from exact.cli import main
from exact.html_view import regions_html, save_regions_html, view_data
from numeric.models import seeded_mlp

IN_CI = os.environ.get("CI") == "true"
needs_plotly = pytest.mark.skipif(importlib.util.find_spec("plotly") is None and not IN_CI,
                                  reason="plotly not installed (pip install -e '.[html]')")
PLANE_NET = [([[1, 0], [0, 1], [1, 1], [1, -2]], [0, 0, F(-1, 2), F(1, 3)]),
             ([[1, -1, 2, F(1, 7)], [0, 1, -1, 1]], [0, F(1, 5)]), ([[1, -3]], [F(2, 3)])]
SPACE_NET = [([[1, 2, -1], [-1, 1, 1], [F(1, 3), -1, 2], [0, 0, 1]], [F(1, 2), 0, F(-1, 4), 0]),
             ([[1, -1, 1, 1], [2, 1, -1, 0]], [0, F(1, 5)]), ([[1, -3], [2, 1]], [0, 1])]
TERM = re.compile(r"\(([-0-9/]+)\)\*x(\d+)|\(([-0-9/]+)\)$")


def parse_map(text, d):
    """'(a1)*x1 + ... + (c)' -> ([a1, ...], c) as Fractions."""
    grad, off = [F(0)] * d, None
    for part in text.split(" + "):
        m = TERM.fullmatch(part)
        assert m, part
        if m.group(1) is not None:
            grad[int(m.group(2)) - 1] = F(m.group(1))
        else:
            off = F(m.group(3))
    return grad, off


def check_maps(reg, data, d):
    for c, item in zip(reg.cells, data["cells"]):
        assert item["index"] == c.index and item["pattern"] == list(c.pattern)
        assert tuple(item["pattern"]) == reg.net.pattern_at(c.interior_point())
        maps = [parse_map(m, d) for m in item["map"]]
        assert len(maps) == reg.net.widths[-1] == len(item["map_float"])
        for x in [c.interior_point(), *c.vertices]:
            got = tuple(sum((a * b for a, b in zip(g, x)), o) for g, o in maps)
            assert got == reg.net.evaluate(x)


def test_2d_data_holds_the_exact_maps_patterns_and_polygons():
    r = exact.regions(PLANE_NET, window=2)
    data = view_data(r, color="pattern")
    assert data["dim"] == 2 and len(data["cells"]) == r.n_activation == data["n_activation"]
    assert data["layers"] == [4, 2] and data["axes"] == ["x1", "x2"]
    check_maps(r, data, 2)
    for c, item in zip(r.cells, data["cells"]):
        assert len(item["xy"]) == len(c.vertices)
        assert np.allclose(item["xy"], [[float(x), float(y)] for x, y in c.vertices], rtol=1e-8, atol=0)
        assert item["linear_region"] == c.linear_region and item["bounded"]
    assert data["bounds"] == [[-2.0, 2.0], [-2.0, 2.0]]
    assert "[-2, 2]^2" in data["title"] and f"{r.n_activation} activation" in data["title"]


def test_2d_one_hidden_layer_maps_come_from_the_face_maps():
    r = exact.regions([([[1, 0], [0, 1], [1, 1]], [0, 0, F(-1, 3)]), ([[2, -1, F(1, 9)]], [0])], window=None)
    assert r.face_maps is not None
    data = view_data(r)
    check_maps(r, data, 2)
    assert [c["bounded"] for c in data["cells"]] == [c.bounded for c in r]
    assert "whole plane, cells clipped to the certified box" in data["title"]


def test_3d_data_holds_facets_tight_at_the_halfspaces():
    r = exact.regions(SPACE_NET, window=1)
    data = view_data(r, color="output", output=1)
    assert data["dim"] == 3 and len(data["cells"]) == r.n_activation
    check_maps(r, data, 3)
    for c, item in zip(r.cells, data["cells"]):
        D, g, facet, _ = c.halfspaces
        rows = [k for k, f in enumerate(facet) if f]
        assert len(item["facets"]) == len(rows)
        for k, ring in zip(rows, item["facets"]):
            tight = {i for i, v in enumerate(c.vertices) if sum(a * b for a, b in zip(D[k], v)) == g[k]}
            assert set(ring) == tight and len(ring) == len(tight)
        assert np.allclose(item["xyz"], [[float(x) for x in v] for v in c.vertices], rtol=1e-8, atol=0)
        assert F(item["value"]) == r.net.evaluate(c.interior_point())[1]


@needs_plotly
def test_the_page_embeds_the_data_and_plotly_and_needs_no_network():
    r = exact.regions(SPACE_NET, window=1)
    page = regions_html(r, color="pattern", opacity=0.3)
    raw = re.search(r'<script type="application/json" id="exactnet-data">(.*?)</script>', page, re.S).group(1)
    assert "<" not in raw
    data = json.loads(raw)
    assert data == {**view_data(r, color="pattern"), "opacity": 0.3}
    assert f'data-cells-expected="{r.n_activation}"' in page
    assert "Plotly" in page and "<script src" not in page and "https://" not in page.split("<script>")[0]
    assert not re.search(r'<(script|link)[^>]+(src|href)="https?:', page)


def test_refusals(monkeypatch):
    r2 = exact.regions(PLANE_NET, window=2)
    with pytest.raises(exact.ResourceLimitError, match=f"{r2.n_activation} cells, more than max_cells=3"):
        view_data(r2, max_cells=3)
    with pytest.raises(exact.InputError, match="input is 4-D"):
        view_data(exact.regions([([[1, 0, 0, 1]], [0]), ([[1]], [0])], window=1))
    with pytest.raises(exact.InputTypeError, match="Regions or RegionsND"):
        view_data([1, 2, 3])
    with pytest.raises(exact.InputError, match="opacity must be"):
        regions_html(r2, opacity=1.5)
    with pytest.raises(exact.InputError, match="color must be one of"):
        view_data(r2, color="hue")
    with pytest.raises(exact.InputError, match="max_cells must be"):
        view_data(r2, max_cells=True)
    monkeypatch.setitem(sys.modules, "plotly", None)
    monkeypatch.setitem(sys.modules, "plotly.offline", None)
    with pytest.raises(exact.ExactnetError, match=r"pip install 'exactnet\[html\]'"):
        regions_html(r2)


@needs_plotly
def test_cli_writes_html_for_2d_and_3d_and_refuses_4d(tmp_path, capsys):
    p3 = tmp_path / "n3.json"
    exact.save_json(SPACE_NET, p3)
    out = tmp_path / "v.html"
    assert main(["regions", str(p3), "--window", "1", "--html", str(out), "--json", "-q"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["html"] == str(out) and info["activation_regions"] == exact.regions(SPACE_NET, window=1).n_activation
    assert f'data-cells-expected="{info["activation_regions"]}"' in out.read_text()
    p2 = tmp_path / "n2.json"
    exact.save_json(PLANE_NET, p2)
    assert main(["regions", str(p2), "--window", "2", "--html", str(out), "--color", "output", "-q"]) == 0
    assert "html: " in capsys.readouterr().out
    p4 = tmp_path / "n4.json"
    exact.save_json([([[1, 0, 0, 1]], [0]), ([[1]], [0])], p4)
    assert main(["regions", str(p4), "--html", str(out)]) == 2
    assert "--html draws 2-D and 3-D inputs, and this network's input is 4-D" in capsys.readouterr().err
    assert main(["regions", str(p3), "--count-only", "--html", str(out)]) == 2
    assert main(["regions", str(p3), "--html", str(tmp_path / "no" / "v.html")]) == 2
    assert "does not exist" in capsys.readouterr().err


# --- in a real browser ---------------------------------------------------------------------

def chromium():
    return next((p for p in map(shutil.which, ("chromium-headless-shell", "chromium")) if p), None)


needs_browser = pytest.mark.skipif((chromium() is None or importlib.util.find_spec("plotly") is None) and not IN_CI,
                                   reason="no headless Chromium (apt-get install chromium-headless-shell) "
                                          "or no plotly (pip install -e '.[html]')")


class _Status(HTMLParser):
    def __init__(self):
        super().__init__()
        self.attrs = None

    def handle_starttag(self, tag, attrs):
        if dict(attrs).get("id") == "exactnet-status":
            self.attrs = dict(attrs)


def in_browser(page, tmp_path, extra=""):
    """Load the page in headless Chromium; return the status element's attributes and the console lines."""
    exe = chromium()
    assert exe is not None, "CI must install chromium-headless-shell (.ci/run)"
    path = tmp_path / "page.html"
    path.write_text(page.replace("</body>", extra + "</body>"), encoding="utf-8")
    cmd = [exe, "--headless", "--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
           f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0",
           "--virtual-time-budget=20000", "--dump-dom", path.as_uri()]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    parser = _Status()
    parser.feed(run.stdout)
    assert parser.attrs is not None, run.stderr[-2000:]
    console = [ln for ln in run.stderr.splitlines() if ":CONSOLE" in ln]
    return parser.attrs, console


HOVER_2D = """<script>
(function () {
  var s = document.getElementById("exactnet-status");
  function go() {
    if (s.getAttribute("data-state") !== "rendered") { setTimeout(go, 20); return; }
    var gd = document.getElementById("exactnet-plot");
    var fl = gd._fullLayout, drag = gd.querySelector(".nsewdrag"), rect = drag.getBoundingClientRect();
    drag.dispatchEvent(new MouseEvent("mousemove", {bubbles: true, clientX: rect.left + fl.xaxis.l2p(@X@),
                                                    clientY: rect.top + fl.yaxis.l2p(@Y@)}));
    setTimeout(function () {
      s.setAttribute("data-panel", document.getElementById("exactnet-cell").textContent);
      Plotly.Fx.unhover(gd);
      Plotly.Fx.hover(gd, {xval: @X@, yval: @Y@}, "xy");
      var t = gd.querySelector(".hoverlayer .hovertext");
      s.setAttribute("data-label", t ? t.textContent : "");
    }, 100);
  }
  go();
})();
</script>"""

HOVER_3D = """<script>
(function () {
  var s = document.getElementById("exactnet-status");
  function go() {
    if (s.getAttribute("data-state") !== "rendered") { setTimeout(go, 20); return; }
    var gd = document.getElementById("exactnet-plot"), m = gd.data[0];
    s.setAttribute("data-mesh", JSON.stringify({x: m.x, y: m.y, z: m.z, i: m.i, j: m.j, k: m.k, cd: m.customdata,
      ht: m.hovertext.map(function (t) { return t.split("<br>")[0]; })}));
    gd.emit("plotly_hover", {points: [{curveNumber: 0, pointNumber: @V@}]});   // as plotly's gl3d hover does
    s.setAttribute("data-panel", document.getElementById("exactnet-cell").textContent);
  }
  go();
})();
</script>"""


def on_a_facet(cell, p):
    """Whether the float point p is (to rounding) a vertex of the cell, and on one of its facets."""
    D, g, facet, _ = cell.halfspaces
    vs = np.array([[float(x) for x in v] for v in cell.vertices])
    is_vertex = bool(np.any(np.all(np.isclose(vs, p, rtol=1e-8, atol=1e-12), axis=1)))
    rows = [(np.array(D[k], dtype=float), float(g[k]), k) for k, f in enumerate(facet) if f]
    return is_vertex, {k for a, b, k in rows if abs(a @ p - b) <= 1e-8 * (abs(b) + np.abs(a * p).sum())}


@needs_browser
def test_2d_page_shows_every_cell_and_hover_gives_the_exact_map(tmp_path):
    big = F(1, 3**200)    # maps with 96-digit denominators: cut in the hover label, whole in the panel
    r = exact.regions([*PLANE_NET[:-1], ([[1, big]], [0])], window=2)
    data = view_data(r)
    target = max(r.cells, key=lambda c: float(c.exact_area))
    x, y = (float(v) for v in target.interior_point())
    attrs, console = in_browser(regions_html(r), tmp_path, HOVER_2D.replace("@X@", repr(x)).replace("@Y@", repr(y)))
    assert attrs["data-state"] == "rendered", attrs.get("data-errors")
    assert attrs["data-errors"] == "" and not [ln for ln in console if "Uncaught" in ln]
    assert attrs["data-cells-shown"] == attrs["data-cells-expected"] == str(r.n_activation)
    lines = data["boundaries"]   # drawn as two traces: linear-region, then activation-only boundaries
    assert attrs["data-boundaries"] == f"{len(lines['linear'])},{len(lines['activation_only'])}" != "0,0"
    exact_map = data["cells"][target.index]["map"][0]
    assert len(exact_map) > 200
    label = attrs["data-label"]
    assert f"cell {target.index}, linear region {target.linear_region}" in label
    assert exact_map[:150] in label and exact_map not in label and "full text below the plot" in label
    assert attrs["data-panel"].startswith(f"cell {target.index},") and exact_map in attrs["data-panel"]


@needs_browser
def test_3d_page_shows_every_cell_and_the_hover_panel_names_its_cell(tmp_path):
    r = exact.regions(SPACE_NET, window=None)
    data = view_data(r, color="output")
    hv = 7 * r.n_activation            # a vertex of some cell in the middle of the mesh
    attrs, console = in_browser(regions_html(r, color="output"), tmp_path, HOVER_3D.replace("@V@", str(hv)))
    assert attrs["data-state"] == "rendered", attrs.get("data-errors")
    assert attrs["data-errors"] == "" and not [ln for ln in console if "Uncaught" in ln]
    assert attrs["data-cells-shown"] == attrs["data-cells-expected"] == str(r.n_activation)
    mesh = json.loads(attrs["data-mesh"])            # what plotly draws: every triangle in its cell's facet
    pts = np.array([mesh["x"], mesh["y"], mesh["z"]]).T
    drawn, area = set(), {}
    for tri in zip(mesh["i"], mesh["j"], mesh["k"]):
        names = {mesh["ht"][v] for v in tri} | {f"cell {mesh['cd'][v]}," for v in tri}
        assert len({n.split(",")[0] for n in names}) == 1, names
        k = mesh["cd"][tri[0]]
        on = [on_a_facet(r.cells[k], pts[v]) for v in tri]
        assert all(v for v, _ in on) and set.intersection(*(f for _, f in on))
        drawn.add(k)
        area[k] = area.get(k, 0.0) + np.linalg.norm(np.cross(pts[tri[1]] - pts[tri[0]], pts[tri[2]] - pts[tri[0]])) / 2
    assert drawn == set(range(r.n_activation))
    for k, item in enumerate(data["cells"]):        # the triangles tile each facet once: the same surface area
        xyz = np.array(item["xyz"])
        surface = sum(np.linalg.norm(sum(np.cross(xyz[a], xyz[b]) for a, b in zip(ring, ring[1:] + ring[:1]))) / 2
                      for ring in item["facets"])
        assert area[k] == pytest.approx(surface, rel=1e-9)
    k = int(re.match(r"cell (\d+),", attrs["data-panel"]).group(1))     # hover vertex hv: the panel names its cell
    assert mesh["ht"][hv].startswith(f"cell {k},") and on_a_facet(r.cells[k], pts[hv])[0]
    item = data["cells"][k]
    assert all(f"f{j} = {m}" in attrs["data-panel"] for j, m in enumerate(item["map"]))
    assert f"at the interior point = {item['value']}" in attrs["data-panel"]


@needs_browser
def test_a_script_error_is_reported(tmp_path):
    page = regions_html(exact.regions([([[1, 0]], [0]), ([[1]], [0])], window=1))
    attrs, console = in_browser(page, tmp_path, "<script>setTimeout(function () { null.x = 1; }, 0);</script>")
    assert attrs["data-state"] == "error" and "null" in attrs["data-errors"]
    assert any("Uncaught" in ln for ln in console)


@needs_plotly
def test_save_to_a_path(tmp_path):
    out = tmp_path / "r.html"
    save_regions_html(exact.regions([([[1, 0]], [0]), ([[1]], [0])], window=1), out, color="output")
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


@needs_plotly
def test_cli_html_refusal_names_what_the_cli_user_can_do(tmp_path, capsys):
    # trial finding: the refusal said "raise max_cells", an argument the CLI does not have
    p = tmp_path / "n.json"
    rng = np.random.default_rng(0)  # 210 lines in general position: 1 + 210 + C(210, 2) cells in the plane
    exact.save_json([(rng.normal(size=(210, 2)), rng.normal(size=210)), (np.ones((1, 210)), [0.0])], p)
    out = tmp_path / "v.html"
    assert main(["regions", str(p), "--window", "100", "--html", str(out), "-q"]) == 1
    err = capsys.readouterr().err
    assert "more than the 20000 it draws" in err and "max_cells=20000" not in err
    assert "or raise max_cells" not in err and not out.exists()


def maps_change_across(reg, seg):
    """Whether the exact output map differs on the two sides of a float segment (cells found exactly)."""
    (x0, y0), (x1, y1) = seg
    mx, my, nx, ny = F(x0 + x1) / 2, F(y0 + y1) / 2, F(y0 - y1), F(x1 - x0)
    d = F(1, 10**6) / max(abs(nx), abs(ny))
    a, b = reg.locate((mx + d * nx, my + d * ny)), reg.locate((mx - d * nx, my - d * ny))
    assert a is not None and b is not None and a.index != b.index
    return a.affine != b.affine


@pytest.mark.parametrize("net", ["plane", "deep"])
def test_2d_data_splits_the_boundaries_where_the_exact_map_changes(net):
    # the page drew every edge alike: activation-only boundaries (same map on both sides) looked like
    # bends of the function; now they are their own dashed trace, as in the matplotlib plot
    x = exact.regions([([[1, 0], [-1, 0]], [0, 0]), ([[1, -1]], [0])], window=1)   # relu(x) - relu(-x) = x
    assert view_data(x)["boundaries"] == {"linear": [], "activation_only": [[[0.0, -1.0], [0.0, 1.0]]]}
    r = exact.regions(PLANE_NET if net == "plane" else seeded_mlp([2, 5, 5, 1], seed=3), window=2)
    assert (r.certified is not None) == (net == "deep")   # both ways the split is made
    b = view_data(r)["boundaries"]
    assert b["linear"] and b["activation_only"]   # both kinds there
    assert len(b["linear"]) + len(b["activation_only"]) == len(r.boundaries)
    assert all(maps_change_across(r, s) for s in b["linear"])
    assert not any(maps_change_across(r, s) for s in b["activation_only"])

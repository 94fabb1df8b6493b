"""An interactive HTML view of exact regions: one self-contained file, plotly.js inside.

The page draws the cells of a 2-D result (:class:`~exact.Regions`: filled polygons) or of a
3-D one (:class:`~exact.RegionsND`: every cell's facets as one mesh), coloured as the
matplotlib plots colour them (:mod:`exact.fill_colors`); in 2-D the shared edges are drawn as
the plot draws them, solid where the exact map changes and dashed where it does not
(:mod:`exact.edge_kinds`).  Hovering a cell shows its
activation pattern and its exact affine map (fractions as text, then a float view), and a
panel under the plot keeps the full exact text of the last cell hovered.

Everything the page needs is in the file: plotly.js from the ``plotly`` Python package
(the optional extra ``exactnet[html]``) and the data as JSON (:func:`view_data`), so it
opens without a network.  Coordinates are floats (for drawing only); the maps are exact.
After drawing, the page writes its state into the hidden element ``#exactnet-status``
(``data-state`` ``rendered`` or ``error``, ``data-cells-shown`` counted from the drawn
traces, ``data-errors``), which tests read from a headless browser.

Examples
--------
>>> from exact import regions
>>> r = regions([([[1, 0], [0, 1]], [0, 0]), ([[1, -1]], [0])], window=1)
>>> data = view_data(r)
>>> cell = next(c for c in data["cells"] if c["pattern"] == [1, 1])
>>> data["dim"], len(data["cells"]), cell["map"], cell["fill"]
(2, 4, ['(1)*x1 + (-1)*x2 + (0)'], '#ffbb78')
"""

from __future__ import annotations

import html
import json
import os
from fractions import Fraction
from typing import Any

import numpy as np

from .edge_kinds import boundary_segments
from .errors import ExactnetError, InputError, InputTypeError, ResourceLimitError
from .fill_colors import cell_colors, cell_values, rgba_hex
from .json_numbers import json_number
from .level_sets import output_maps
from .nd.plot3d import cell_facets, check_regions_3d
from .network import AffineMap
from .plot_limits import check_drawable
from .wording import counts_title

__all__ = ["MAX_HTML_CELLS", "plotly_js", "regions_html", "save_regions_html", "view_data"]

MAX_HTML_CELLS = 20_000
"""Default ``max_cells``: about 5 s to draw 20 000 polygons in a browser, 10 MB of data."""

_DIGITS = 9  # significant digits of the float coordinates (drawing only)


def view_data(reg: Any, *, color: str = "index", cmap: str | None = None, output: int = 0,
              max_cells: int = MAX_HTML_CELLS) -> dict:
    """Return what the HTML page draws, as JSON-ready values.

    Parameters
    ----------
    reg : Regions or RegionsND
        The exact cells of a net with 2-D input (or a 2-D slice), or with 3-D input.
    color : {"index", "pattern", "output"}
        Fill by linear region, by the hash of the activation pattern, or by output
        ``output`` at each cell's exact interior point (:func:`exact.fill_colors.cell_colors`).
    cmap : str, optional
        A matplotlib colormap instead of ``tab20`` / ``viridis``.
    output : int
        The output of ``color="output"``.
    max_cells : int
        Refuse more cells than this (a browser draws about 4 000 polygons a second).

    Returns
    -------
    dict
        ``dim`` (2 or 3), ``title``, ``axes`` (axis names), ``layers`` (hidden widths),
        ``n_activation``, ``n_linear``, ``color``, ``output``, ``bounds`` (float ``[lo, hi]``
        per axis), and ``cells``: per cell ``index``, ``pattern`` (list of int),
        ``linear_region``, ``bounded``, ``map`` and ``map_float`` (one string per output:
        exact fractions, and rounded), ``fill`` (``#rrggbb``), ``value`` (``color="output"``:
        the exact value at the interior point, as text), and its geometry: ``xy`` (2-D: the
        vertices counter-clockwise) or ``xyz`` with ``facets`` (3-D: the vertices, and each
        facet as vertex indices in order, :func:`exact.nd.plot3d.cell_facets`).  In 2-D also
        ``boundaries``: the shared edges as float segments ``[[x0, y0], [x1, y1]]``, under
        ``linear`` where the exact output map changes across and ``activation_only`` where it
        does not (:func:`exact.edge_kinds.boundary_segments`), drawn solid and dashed.

    Raises
    ------
    InputTypeError
        Not a Regions or RegionsND.
    InputError
        A RegionsND of an input width other than 3, a bad option, coordinates beyond floats.
    ResourceLimitError
        More than ``max_cells`` cells.

    Examples
    --------
    >>> from exact import regions
    >>> r = regions([([[1, 0, 0]], [0]), ([[1]], [-1])], window=1)          # relu(x1) - 1 in 3-D
    >>> d = view_data(r, color="output")
    >>> d["dim"], [c["value"] for c in d["cells"]], len(d["cells"][0]["facets"])
    (3, ['-1/2', '-1'], 6)
    """
    three_d = _check_regions(reg, max_cells)
    values = cell_values(reg, output) if color == "output" else None
    fills = [rgba_hex(c) for c in cell_colors(reg, color, cmap=cmap, output=output, values=values)]
    maps = [c.affine for c in reg.cells] if three_d or reg.face_maps is None else _plane_maps(reg)
    cells = []
    for k, c in enumerate(reg.cells):
        item = {"index": c.index, "pattern": [int(q) for q in c.pattern], "linear_region": c.linear_region,
                "bounded": bool(c.bounded), "map": str(maps[k]).split("; "),
                "map_float": maps[k].float_view().split("; "), "fill": fills[k]}
        if values is not None:
            item["value"] = str(values[k])
        item.update(_solid(c) if three_d else {"xy": [_floats(p) for p in c.verts]})
        cells.append(item)
    data = {"format": "exactnet-regions-view", "version": 1, "dim": 3 if three_d else 2,
            "title": _title(reg, three_d), "axes": ["x1", "x2", "x3"][: 3 if three_d else 2],
            "layers": list(reg.net.widths[1:-1]), "n_activation": reg.n_activation, "n_linear": reg.n_linear,
            "color": color, "output": output, "fill_note": _fill_note(color, cmap, output, values),
            "bounds": _bounds(reg, three_d, cells), "cells": cells}
    if not three_d:
        data["boundaries"] = _boundary_lines(reg)
    return data


def _boundary_lines(reg: Any) -> dict[str, list]:
    """Return the shared edges of 2-D cells, each ``[[x0, y0], [x1, y1]]``, split as the plot splits them."""
    segs, linear = boundary_segments(reg, _floats)
    short = np.array([float(f"{v:.{_DIGITS}g}") for v in segs.ravel().tolist()]).reshape(segs.shape)
    return {"linear": short[linear].tolist(), "activation_only": short[~linear].tolist()}


def regions_html(reg: Any, *, color: str = "index", cmap: str | None = None, output: int = 0,
                 opacity: float | None = None, max_cells: int = MAX_HTML_CELLS) -> str:
    """Return a self-contained HTML page that draws the regions with plotly.js (no network needed).

    Parameters
    ----------
    reg : Regions or RegionsND
        The exact cells of a net with 2-D input (or a 2-D slice), or with 3-D input.
    color, cmap, output, max_cells
        As in :func:`view_data`.
    opacity : float, optional
        Fill opacity in ``[0, 1]``; default 0.75 in 2-D, 0.4 in 3-D (inner cells show through).

    Returns
    -------
    str
        The page: plotly.js, the data of :func:`view_data` as JSON, and the script that
        draws it (hover: pattern and exact map; ``#exactnet-status`` once drawn).

    Raises
    ------
    ExactnetError
        The ``plotly`` package is not installed (``pip install 'exactnet[html]'``).
    InputError, InputTypeError, ResourceLimitError
        As :func:`view_data`; ``opacity`` out of range.

    Examples
    --------
    >>> from exact import regions
    >>> page = regions_html(regions([([[1, 0], [0, 1]], [0, 0]), ([[1, 1]], [0])], window=1))
    >>> page.startswith("<!DOCTYPE html>"), "Plotly" in page, len(page) > 10**6
    (True, True, True)
    """
    if opacity is not None and (isinstance(opacity, bool) or not isinstance(opacity, (int, float))
                                or not 0 <= opacity <= 1):
        raise InputError(f"opacity must be a number in [0, 1], got {opacity!r}")
    data = view_data(reg, color=color, cmap=cmap, output=output, max_cells=max_cells)
    data["opacity"] = float(opacity) if opacity is not None else (0.4 if data["dim"] == 3 else 0.75)
    script = plotly_js()
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=True).replace("<", "\\u003c")
    return (_PAGE.replace("@TITLE@", html.escape(data["title"]))
            .replace("@N@", str(len(data["cells"])))
            .replace("@DATA@", text)
            .replace("@SCRIPT@", _SCRIPT)
            .replace("@PLOTLY@", script))


def save_regions_html(reg: Any, target: str | os.PathLike | Any, **kwargs: Any) -> None:
    """Write the page of :func:`regions_html` to a file.

    Parameters
    ----------
    reg : Regions or RegionsND
        The exact cells (2-D, or 3-D input).
    target : str, path, or text file object
        Where to write (UTF-8).
    **kwargs
        Passed to :func:`regions_html`.

    Returns
    -------
    None

    Raises
    ------
    ExactnetError, InputError, InputTypeError, ResourceLimitError
        As :func:`regions_html`; also InputError for a path that cannot be written (a missing
        folder, a folder, no permission).

    Examples
    --------
    >>> import io
    >>> from exact import regions
    >>> buf = io.StringIO()
    >>> save_regions_html(regions([([[1, 0, 0]], [0]), ([[1]], [0])], window=1), buf)
    >>> 'data-cells-expected="2"' in buf.getvalue()
    True
    """
    page = regions_html(reg, **kwargs)
    if hasattr(target, "write"):
        target.write(page)
        return
    try:
        f = open(target, "w", encoding="utf-8")  # noqa: SIM115 (closed by the with below)
    except OSError as e:  # as write_geojson says it
        raise InputError(f"save_regions_html: cannot write {os.fspath(target)!r}: {e.strerror}") from None
    with f:
        f.write(page)


def plotly_js() -> str:
    """Return plotly.js as shipped inside the ``plotly`` Python package (the ``html`` extra).

    Returns
    -------
    str
        The minified library (about 5 MB), put inline in every page.

    Raises
    ------
    ExactnetError
        ``plotly`` is not installed: the message names ``pip install 'exactnet[html]'``.

    Examples
    --------
    >>> "Plotly" in plotly_js()
    True
    """
    try:
        from plotly.offline import get_plotlyjs
    except ImportError:
        raise ExactnetError("the HTML view needs the plotly package, which ships plotly.js: "
                            "pip install 'exactnet[html]' (or pip install plotly)") from None
    return get_plotlyjs()


def _check_regions(reg: Any, max_cells: Any) -> bool:
    """Refuse what the page cannot draw; return whether the cells are 3-D."""
    if isinstance(max_cells, bool) or not isinstance(max_cells, int) or max_cells < 1:
        raise InputError(f"max_cells must be a positive integer, got {max_cells!r}")
    if hasattr(reg, "boundaries") and hasattr(reg, "window"):
        three_d = False
    elif hasattr(reg, "lo") and hasattr(reg, "whole_space"):
        check_regions_3d(reg, "the HTML view", "2-D and 3-D")
        three_d = True
    else:
        raise InputTypeError(f"the HTML view draws the Regions or RegionsND of exact.regions(...), "
                             f"got {type(reg).__name__}")
    check_drawable(reg, "the HTML view", "a browser (plotly.js)")
    if len(reg.cells) > max_cells:
        raise ResourceLimitError(f"the HTML view: {len(reg.cells)} cells, more than max_cells={max_cells} "
                                 "(a browser draws about 4 000 a second); draw a smaller window or raise "
                                 "max_cells")
    return three_d


def _plane_maps(reg: Any) -> list[AffineMap]:
    """Every cell's exact map at once (one hidden layer: exact.level_sets.output_maps)."""
    return [AffineMap(tuple((a, b) for a, b, _ in rows), tuple(o for _, _, o in rows))
            for rows in output_maps(reg)]


def _solid(cell: Any) -> dict:
    """Return a 3-D cell's vertices (floats) and its facets as rings of vertex indices."""
    where = {p: i for i, p in enumerate(cell.verts)}
    return {"xyz": [_floats(p) for p in cell.verts],
            "facets": [[where[p] for p in ring] for _, ring in cell_facets(cell)]}


def _floats(p: tuple[int, ...]) -> list[float]:
    """Return a homogeneous integer point's coordinates as floats of ``_DIGITS`` digits."""
    try:
        return [float(f"{x / p[-1]:.{_DIGITS}g}") for x in p[:-1]]
    except OverflowError:
        raise InputError("the HTML view: a vertex lies beyond the float range (about 1.8e308), which a "
                         "browser cannot draw; draw a window instead (as window=B with B at most 2^1000)"
                         ) from None


def _fill_note(color: str, cmap: str | None, output: int, values: list[Fraction] | None) -> str:
    """Say what the fill colours mean."""
    if values is not None:
        lo, hi = (min(values), max(values)) if values else (Fraction(0), Fraction(0))
        return (f"Fill: output f{output} at each cell's exact interior point, {cmap or 'viridis'} from "
                f"{_short(lo)} to {_short(hi)}.")
    if color == "index":
        return f"Fill: one colour per linear region ({cmap or 'tab20'}, cycled)."
    return "Fill: a colour from a hash of the activation pattern (the same pattern, the same colour)."


def _short(q: Fraction) -> str:
    v = json_number(q)
    return f"{v:.6g}" if isinstance(v, float) else v


def _bounds(reg: Any, three_d: bool, cells: list[dict]) -> list[list[float]]:
    """Float ``[lo, hi]`` of each axis: the box in 3-D, the vertices' extent in 2-D."""
    if three_d:
        return [[float(a), float(b)] for a, b in zip(reg.lo, reg.hi)]
    xs = [p for c in cells for p in c["xy"]]
    return [[min(p[k] for p in xs), max(p[k] for p in xs)] for k in range(2)]


def _title(reg: Any, three_d: bool) -> str:
    """Name the widths, the counts and the window (for the whole space: the certified box)."""
    head = counts_title(reg.net.widths, reg.n_activation, reg.n_linear)
    if three_d:
        b = reg.hi[0]
        cube = all(v == b for v in reg.hi) and all(v == -b for v in reg.lo)
        box = f"[-{b}, {b}]^3" if cube else " x ".join(f"[{a}, {c}]" for a, c in zip(reg.lo, reg.hi))
        where = f"whole space, cells clipped to the certified box {box}" if reg.whole_space else box
    elif reg.window is None:
        where = f"whole plane, cells clipped to the certified box [-{reg.box}, {reg.box}]^2"
    else:
        b = reg.window
        where = f"[-{b}, {b}]^2" if isinstance(b, Fraction) else str(b)
    if getattr(reg, "plane", None) is not None:
        where += "; a slice of the input: x1, x2 are p0 + x1 (p1 - p0) + x2 (p2 - p0) for plane=(p0, p1, p2)"
    return f"{head}, {where}"


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>exactnet: @TITLE@</title>
<style>body{font-family:sans-serif;margin:1em}#exactnet-plot{width:100%;height:78vh}
#exactnet-cell{font-family:monospace;white-space:pre-wrap;word-break:break-all;font-size:13px}</style>
<script>
(function () {
  var errors = [];
  window.exactnetFail = function (msg) {
    errors.push(String(msg));
    var s = document.getElementById("exactnet-status");
    if (s) { s.setAttribute("data-state", "error"); s.setAttribute("data-errors", errors.join(" | ")); }
  };
  window.exactnetErrors = errors;
  var consoleError = console.error;
  console.error = function () {
    window.exactnetFail(Array.prototype.join.call(arguments, " "));
    return consoleError.apply(console, arguments);
  };
  window.addEventListener("error", function (e) { window.exactnetFail(e.message || e); });
  window.addEventListener("unhandledrejection", function (e) { window.exactnetFail(e.reason); });
})();
</script>
<script>@PLOTLY@</script>
</head><body>
<h3>@TITLE@</h3>
<p>Hover a cell: its activation pattern (hidden layers split by |) and its exact affine map
(fractions), then a float view for reading.  Coordinates are drawn as floats.
<span id="exactnet-fill"></span> <span id="exactnet-lines"></span></p>
<div id="exactnet-plot"></div>
<div id="exactnet-cell">(hover a cell)</div>
<div id="exactnet-status" hidden data-state="loading" data-cells-expected="@N@" data-cells-shown=""
 data-errors=""></div>
<script type="application/json" id="exactnet-data">@DATA@</script>
<script>@SCRIPT@</script>
</body></html>
"""

_SCRIPT = r"""
(function () {
  var status = document.getElementById("exactnet-status");
  var data = JSON.parse(document.getElementById("exactnet-data").textContent);
  var cells = data.cells, gd = document.getElementById("exactnet-plot");
  document.getElementById("exactnet-fill").textContent = data.fill_note;
  if (data.dim === 2) {
    document.getElementById("exactnet-lines").textContent = "Lines: solid black where the exact map " +
      "changes (linear-region boundaries), dashed grey where only a neuron switches piece (activation-only).";
  }
  function esc(s) { return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;"); }
  function patternText(p) {
    var out = [], k = 0;
    data.layers.forEach(function (w) { out.push(p.slice(k, k + w).join("")); k += w; });
    return out.join("|");
  }
  function cut(s) { return s.length > 160 ? s.slice(0, 160) + "... (full text below the plot)" : s; }
  function describe(c, short) {
    var lines = ["cell " + c.index + ", linear region " + c.linear_region +
                 (c.bounded ? "" : " (unbounded, clipped)"), "pattern " + patternText(c.pattern)];
    c.map.forEach(function (m, k) {
      lines.push("f" + k + " = " + (short ? cut(m) : m));
      lines.push("   ~ " + c.map_float[k]);
    });
    if (c.value !== undefined) {
      lines.push("f" + data.output + " at the interior point = " + (short ? cut(c.value) : c.value));
    }
    return lines;
  }
  function show(c) { document.getElementById("exactnet-cell").textContent = describe(c, false).join("\n"); }
  function traces2d() {
    return cells.map(function (c) {
      var x = c.xy.map(function (p) { return p[0]; }), y = c.xy.map(function (p) { return p[1]; });
      x.push(x[0]); y.push(y[0]);
      return {type: "scatter", mode: "lines", x: x, y: y, fill: "toself", fillcolor: c.fill,
              opacity: data.opacity, line: {width: 0}, hoveron: "fills",
              hoverinfo: "text", text: describe(c, true).map(esc).join("<br>"), name: "cell " + c.index,
              showlegend: false};
    }).concat([edges(data.boundaries.linear, "linear-region boundary", {color: "black", width: 1.2}),
               edges(data.boundaries.activation_only, "activation-only boundary",
                     {color: "rgb(115,115,115)", width: 0.8, dash: "dash"})]);
  }
  function edges(segs, name, line) {
    var x = [], y = [];
    segs.forEach(function (s) { x.push(s[0][0], s[1][0], null); y.push(s[0][1], s[1][1], null); });
    return {type: "scatter", mode: "lines", x: x, y: y, line: line, hoverinfo: "skip", name: name,
            showlegend: true};
  }
  function traces3d() {
    var X = [], Y = [], Z = [], I = [], J = [], K = [], FC = [], HT = [], CD = [], EX = [], EY = [], EZ = [];
    cells.forEach(function (c, n) {
      var base = X.length, h = describe(c, true).map(esc).join("<br>");
      c.xyz.forEach(function (p) { X.push(p[0]); Y.push(p[1]); Z.push(p[2]); HT.push(h); CD.push(n); });
      c.facets.forEach(function (ring) {
        for (var t = 1; t + 1 < ring.length; t++) {
          I.push(base + ring[0]); J.push(base + ring[t]); K.push(base + ring[t + 1]); FC.push(c.fill);
        }
        ring.concat([ring[0]]).forEach(function (v) {
          var p = c.xyz[v]; EX.push(p[0]); EY.push(p[1]); EZ.push(p[2]);
        });
        EX.push(null); EY.push(null); EZ.push(null);
      });
    });
    return [{type: "mesh3d", x: X, y: Y, z: Z, i: I, j: J, k: K, facecolor: FC, opacity: data.opacity,
             flatshading: true, hovertext: HT, hoverinfo: "text", customdata: CD, name: "cells"},
            {type: "scatter3d", mode: "lines", x: EX, y: EY, z: EZ, hoverinfo: "skip", name: "edges",
             line: {color: "rgba(30,30,30,0.6)", width: 1}, showlegend: false}];
  }
  function layout() {
    var b = data.bounds, ax = data.axes;
    if (data.dim === 2) {
      return {margin: {t: 20}, hovermode: "closest", showlegend: true,
              legend: {orientation: "h", x: 0, y: 1.02, yanchor: "bottom"},
              xaxis: {title: {text: ax[0]}, range: b[0], constrain: "domain"},
              yaxis: {title: {text: ax[1]}, range: b[1], scaleanchor: "x", scaleratio: 1}};
    }
    function axis(k) { return {title: {text: ax[k]}, range: b[k]}; }
    var span = b.map(function (r) { return r[1] - r[0]; }), m = Math.max.apply(null, span);
    return {margin: {l: 0, r: 0, t: 0, b: 0}, showlegend: false,
            scene: {xaxis: axis(0), yaxis: axis(1), zaxis: axis(2), aspectmode: "manual",
                    aspectratio: {x: span[0] / m, y: span[1] / m, z: span[2] / m}}};
  }
  function countShown() {
    if (data.dim === 2) {
      var n = 0;
      gd.querySelectorAll(".scatterlayer .trace path.js-fill").forEach(function (p) {
        if ((p.getAttribute("d") || "").length > 0) { n += 1; }
      });
      return n;
    }
    var mesh = gd._fullData[0], seen = new Set();
    for (var t = 0; t < mesh.i.length; t++) { seen.add(mesh.customdata[mesh.i[t]]); }
    return gd.querySelector("canvas") ? seen.size : 0;
  }
  try {
    var traces = data.dim === 2 ? traces2d() : traces3d();
    Plotly.newPlot(gd, traces, layout(), {responsive: true, displaylogo: false}).then(function () {
      gd.on("plotly_hover", function (ev) {
        var pt = ev.points[0];
        var c = data.dim === 2 ? cells[pt.curveNumber]
          : (pt.curveNumber === 0 ? cells[gd._fullData[0].customdata[pt.pointNumber]] : null);
        if (c) { show(c); }
      });
      status.setAttribute("data-cells-shown", String(countShown()));
      status.setAttribute("data-boundaries", gd._fullData.filter(function (t) {
        return / boundary$/.test(t.name);
      }).map(function (t) { return t.x.filter(function (v) { return v !== null; }).length / 2; }).join(","));
      status.setAttribute("data-plotly", Plotly.version);
      if (window.exactnetErrors.length === 0) { status.setAttribute("data-state", "rendered"); }
    }).catch(window.exactnetFail);
  } catch (e) { window.exactnetFail(e && e.stack ? e.stack : e); }
})();
"""

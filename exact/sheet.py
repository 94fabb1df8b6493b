"""``exactnet sheet``: write the exercise sheet's complete, verified solution.

The output directory gets ``sheet07.md`` (Markdown with LaTeX math) and PNG figures,
all made by this package with fixed seeds.  Each section of the sheet is built by its
own function, which returns a :class:`_Section` (its Markdown lines and the figures
they show); :func:`write_sheet` runs them in order, saves the figures and writes the
file.  ``tests/test_sheet.py`` runs it.
"""

from __future__ import annotations

import contextlib
import math
import os
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterator
from fractions import Fraction
from typing import Any, NamedTuple

__all__ = ["write_sheet"]

RANGES = [10.0**k for k in range(0, 11, 2)]


class _Section(NamedTuple):
    """One section of the sheet: its Markdown lines and the figures they show, by file name."""

    lines: list[str]
    figures: dict[str, Any]


def _fmt_pow(B: float) -> str:
    return f"10^{{{int(round(math.log10(B)))}}}"


def _window(B: float) -> str:
    return f"$[-{_fmt_pow(B)}, {_fmt_pow(B)}]^2$"


def _md_table(header: list[str], rows: list[list]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(v) for v in r) + " |" for r in rows]
    return "\n".join(out)


def write_sheet(out_dir: str = "sheet07", *, seed: int = 0, res: int = 1000, quick: bool = False,
                log: Callable[[str], None] | None = None) -> str:
    """Write ``sheet07.md`` and its figures into ``out_dir``.

    Parameters
    ----------
    out_dir : str
        Created if missing.
    seed : int
        torch.manual_seed for both networks, and the numpy seed of the random nets of exercise 4.
    res : int
        Pixels per side of the cross-check's sampling grid (the sheet used 1000).
    quick : bool
        Smaller images and a shorter exercise-4 table (for tests).
    log : callable, optional
        Receives progress lines, each starting with the seconds elapsed: one per section, per
        derivation and per cross-checked window, and at the end the total run time (which is
        kept out of the Markdown).

    Returns
    -------
    str
        The path of the Markdown file, ``out_dir/sheet07.md``.

    Raises
    ------
    ValueError
        If ``res`` is not an integer >= 10 (checked before anything is written).

    Notes
    -----
    The sections, in order: exercise 2 (lse and softmax: derivations and two figures),
    3(a)-(c) (the 2→20→1 net: parameters, images, exact counts), 3(d) (the 2→5→5→5→5→1
    net), 4 (maximal region count, random and degenerate nets) and a cross-check of
    exact counts against pixel sampling.  Two runs with the same arguments write the same
    Markdown.

    Examples
    --------
    >>> write_sheet("sheet07", res=5)
    Traceback (most recent call last):
    ...
    ValueError: res must be an integer >= 10, got 5
    >>> write_sheet("/tmp/sheet07", quick=True)  # doctest: +SKIP
    '/tmp/sheet07/sheet07.md'
    """
    import matplotlib

    matplotlib.use("Agg")
    from numeric.models import seeded_mlp

    say = _Progress(log)
    if isinstance(res, bool) or not isinstance(res, int) or res < 10:
        raise ValueError(f"res must be an integer >= 10, got {res!r}")
    with _new_folder(out_dir):  # an interrupted run leaves no empty folder behind
        img_res = 120 if quick else 400
        shallow = seeded_mlp([2, 20, 1], seed=seed)
        deep = seeded_mlp([2, 5, 5, 5, 5, 1], seed=seed)
        say("2: log-sum-exp and soft(arg)max (13 derivations, 2 figures)")
        md = _save(_lse_softmax_section(say), out_dir)
        say("3(a)-(b): the 2→20→1 net and its images")
        md += _save(_shallow_net_section(shallow, img_res, say), out_dir)
        say("3(c): exact counts of the 2→20→1 net")
        md += _save(_shallow_counts_section(shallow), out_dir)
        say("3(d): the 2→5→5→5→5→1 net, its images and exact regions")
        md += _save(_deep_net_section(deep, img_res), out_dir)
        say("4: maximum number of regions")
        md += _save(_max_regions_section(seed, quick, say), out_dir)
        md += _save(_cross_check_section(shallow, deep, res, say), out_dir)
        md = _title_section(seed, md).lines + md
        path = os.path.join(out_dir, "sheet07.md")
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(md))
    say(f"wrote {path} in {say.elapsed():.1f} s")
    return path


@contextlib.contextmanager
def _new_folder(out_dir: str) -> Iterator[None]:
    """Make ``out_dir`` (and its parents); if the work inside fails before writing into it, remove it again."""
    made, folder = [], os.path.abspath(out_dir)
    while not os.path.exists(folder):  # the folders made here, innermost first
        made.append(folder)
        folder = os.path.dirname(folder)
    os.makedirs(out_dir, exist_ok=True)
    try:
        yield
    except BaseException:
        for folder in made:
            if os.listdir(folder):
                break
            os.rmdir(folder)
        raise


class _Progress:
    """The ``log`` callback with the seconds elapsed in front; proves the sheet's theorems one by one."""

    def __init__(self, log: Callable[[str], None] | None):
        self._log = log
        self._t0 = time.perf_counter()
        self._proved = 0

    def elapsed(self) -> float:
        """Seconds since the sheet was started."""
        return time.perf_counter() - self._t0

    def __call__(self, message: str) -> None:
        """Send one progress line (nothing without a ``log``)."""
        if self._log is not None:
            self._log(f"{self.elapsed():5.1f} s  {message}")

    def theorem(self, name: str) -> str:
        """Build (so verify) the theorem ``name``, reporting it first; return its Markdown."""
        from .symbolic.theorems import THEOREMS

        self._proved += 1
        self(f"  derivation {self._proved}/{len(THEOREMS)}: {name}")
        return THEOREMS[name]().to_markdown()


def _save(section: _Section, out_dir: str) -> list[str]:
    """Save and close the section's figures in ``out_dir``; return its Markdown lines."""
    import matplotlib.pyplot as plt

    for name, fig in section.figures.items():
        fig.savefig(os.path.join(out_dir, name), dpi=110)
        plt.close(fig)
    return section.lines


def _title_section(seed: int, body: list[str]) -> _Section:
    """Build the title and what is exact, how each derivation step was checked, what is sampled."""
    steps = sum(line.count("✔") for line in body)
    return _Section([
        "# Exercise sheet 7 — a verified solution", "",
        f"Written by `exactnet sheet` (seed {seed}). Every region count is exact (integer arithmetic on "
        "the binary values of the float32 weights). Each of the "
        f"{steps} derivation steps marked ✔ was checked when this file was written, and says how: an "
        "equality by sympy and, independently, by mpmath at random points (derivatives also by finite "
        "differences, limits also evaluated next to the limit point; a limit that closes a squeeze is also "
        "checked to be taken of the bound derived before it) — except the two recurrences "
        "(induction, sympy's `rsolve` and iterating them), the parameter counts (counting the entries of "
        "symbol matrices) and the region counts of bonus 4's example (exactnet's line counter, and "
        "independently sign patterns and distinct affine maps in sympy); an inequality by a proof of the "
        "sign of the difference (sympy's assumptions, sign rules for sums and products, or interval "
        "arithmetic with outward rounding, `mpmath.iv`), spot-checked at random points; decimal values by "
        "interval arithmetic. A premise taken from another derivation is found in it, and that derivation "
        "is built and checked in the same run. Sampled numbers are labelled as such.", ""], {})


def _lse_softmax_section(say: _Progress) -> _Section:
    """Build exercise 2: the lse/softmax derivations, the lse contours and the softmax images."""
    import matplotlib.pyplot as plt

    import numeric

    md = ["## 2 Log-sum-exp and soft(arg)max", "",
          "The sheet's *soft(arg)max* is the function called softmax in this solution (as in numpy, torch "
          "and this package): $\\operatorname{softmax}(\\sigma;\\lambda)_k = e^{\\lambda\\sigma_k} / "
          "\\sum_j e^{\\lambda\\sigma_j}$, a smoothed arg max (the one-hot vector of the largest entry) as "
          "$\\operatorname{lse}(\\sigma;\\lambda) = \\frac1\\lambda\\log\\sum_j e^{\\lambda\\sigma_j}$ is a "
          "smoothed max.", ""]
    for name in ("softmax-values", "offset", "temperature", "lse-offset"):
        md.append(say.theorem(name))
    say("  figures 2(b), 2(c)")
    contours = plt.figure(figsize=(9, 8.5), layout="constrained")
    numeric.plot_lse_contours(lams=(1, 10, 100), axes=contours.subplots(2, 2).ravel())
    md += ["### 2(b) Contours of lse", "",
           "![lse contours](lse_contours.png)", "",
           "For larger λ the contours bend sharply along the diagonal σ1 = σ2 and approach those of "
           "max(σ1, σ2): lse is a smoothed maximum, at most log(2)/λ above it (verified bound below).", ""]
    images = plt.figure(figsize=(13, 8), layout="constrained")
    numeric.plot_softmax_images(lams=(1, 10, 100), axes=images.subplots(2, 3).ravel())
    md += ["### 2(c) Softmax components", "",
           "![softmax images](softmax_images.png)", "",
           "Component k is large where σ_k is the larger entry; as λ grows the transition across the "
           "diagonal sharpens into the arg max indicator (one-hot), with the value 1/2 on the tie line.", ""]
    for name in ("gradient", "sum-to-one", "hessian", "bounds", "limit-infinity", "limit-ties",
                 "limit-minus-infinity", "limit-zero", "lambda-derivative"):
        md.append(say.theorem(name))
    return _Section(md, {"lse_contours.png": contours, "softmax_images.png": images})


def _shallow_net_section(shallow, img_res: int, say: _Progress) -> _Section:
    """Build exercise 3(a), 3(b): the parameter count and the 2→20→1 net's images with its exact lines."""
    import matplotlib.pyplot as plt

    import numeric
    from numeric.models import layers_of

    from .network import parameter_count

    md = ["## 3 Linear regions of MLPs", ""]
    md.append(say.theorem("parameter-count"))
    n_params = sum(p.numel() for p in shallow.parameters())
    md += [f"The model built here has {n_params} parameters "
           f"(`parameter_count([2, 20, 1])` = {parameter_count([2, 20, 1])}).", ""]
    W0, b0 = layers_of(shallow)[0]
    fig = plt.figure(figsize=(15.6, 8.8), layout="constrained")
    numeric.plot_model_images(shallow, bounds=RANGES, res=img_res, axes=fig.subplots(2, 3).ravel(),
                              lines=[(w[0], w[1], b) for w, b in zip(W0, b0)])
    md += ["### 3(b) The 2→20→1 network at ranges 10^0 … 10^10", "",
           "![shallow images](shallow_ranges.png)", "",
           "White: the exact lines $w_i \\cdot x + b_i = 0$ of the 20 hidden neurons.", ""]
    return _Section(md, {"shallow_ranges.png": fig})


def _shallow_counts_section(shallow) -> _Section:
    """Build exercise 3(c): exact counts of the 2→20→1 net per window, and where its lines and crossings lie."""
    from numeric.models import layers_of

    from ._api import count_regions
    from .line_count import arrangement_terms, first_layer_lines
    from .loading import as_exact_net

    lines = first_layer_lines(as_exact_net(shallow))
    W0, b0 = layers_of(shallow)[0]
    rows = []
    plane = count_regions(shallow, window=None)
    for B in RANGES:
        c = count_regions(shallow, window=B)
        n_lines = sum(1 for ln in lines if _meets(ln, B))
        rows.append([_window(B), n_lines, c.activation, c.linear])
    rows.append(["whole plane", len(lines), plane.activation, plane.linear])
    dist = sorted(abs(float(b)) / math.hypot(float(w[0]), float(w[1])) for w, b in zip(W0, b0))
    _, crossings = arrangement_terms(lines)
    radii = sorted(max(abs(X), abs(Y)) / D for X, Y, D in crossings)
    parallel_free = len(crossings) == len(lines) * (len(lines) - 1) // 2
    simple = all(m == 2 for m in crossings.values())
    within = [(r, sum(1 for v in radii if v < r)) for r in (1, 10, 100)]
    return _Section([
        "### 3(c) Exact counts", "",
        _md_table(["window", "lines crossing it", "activation regions", "linear regions"], rows), "",
        f"There are exactly **{len(lines)} distinct lines** for {len(W0)} neurons; "
        f"{len(crossings)} distinct crossing points"
        + (" — every pair of lines crosses and no three meet, so the plane count is the maximum "
           f"{len(lines)}·{len(lines) + 1}/2 + 1 = {plane.activation} of exercise 4." if parallel_free and simple
           else ", so the lines are not in general position.") + "", "",
        # NB: `if radii else ""` below drops this whole paragraph, not just its last sentence (kept as is)
        "**Are lines denser near the centre?** Line i lies at distance $|b_i|/\\lVert w_i\\rVert$ from "
        "the origin. PyTorch's default init draws $w$ and $b$ uniformly from "
        "$[-1/\\sqrt2, 1/\\sqrt2]$, so this distance is a ratio of two bounded variables: usually "
        "below 1, occasionally large when $\\lVert w\\rVert$ is small. Measured here: median "
        f"{statistics.median(dist):.3f}, largest {dist[-1]:.3f}; {sum(d < 1 for d in dist)} of "
        f"{len(dist)} lines pass within distance 1 of the origin. Of the {len(radii)} exact crossing "
        "points, " + ", ".join(f"{k} lie in $(-{r}, {r})^2$" for r, k in within)
        + f", and the farthest has max-norm {float(radii[-1]):.4g}." if radii else "", "",
        "So yes: the lines and especially their crossings crowd the centre, and beyond the farthest "
        "crossing zooming out only shows the same rays (the count is constant from there on). "
        "This follows from the init: the bias is bounded, $|b| \\le 1/\\sqrt2$, so a line far from the origin "
        "needs a small weight (distance $> R$ needs $\\lVert w\\rVert < 1/(\\sqrt2 R)$), which is the rarer the "
        "larger $R$; the ratio itself is not bounded. No Gaussian bias is needed.", ""], {})


class _Panel(NamedTuple):
    """One panel of ``deep_regions.png``: the regions drawn, the square shown, and its title (None: default)."""

    regions: Any
    centre: tuple[float, float]
    half: float
    title: str | None
    linewidth: float = 0.8


def _deep_net_section(deep, img_res: int) -> _Section:
    """Build exercise 3(d): the 2→5→5→5→5→1 net's images, its exact regions drawn, and their counts."""
    import matplotlib.pyplot as plt

    import numeric

    from ._api import regions

    images = plt.figure(figsize=(15.6, 8.8), layout="constrained")
    numeric.plot_model_images(deep, bounds=RANGES, res=img_res, axes=images.subplots(2, 3).ravel())
    md = ["### 3(d) The 2→5→5→5→5→1 network", "", "![deep images](deep_ranges.png)", ""]
    rows = []
    by_window = {}
    for B in RANGES:
        r = by_window[B] = regions(deep, window=B)
        rows.append([_window(B), r.n_activation, r.n_linear])
    rplane = regions(deep, window=None)
    rows.append(["whole plane", rplane.n_activation, rplane.n_linear])
    panels, where = _deep_panels(rplane, [by_window[1.0], regions(deep, window=10.0), by_window[100.0]])
    drawn, axs = plt.subplots(2, 3, figsize=(15, 10), layout="constrained")
    for panel, ax in zip(panels, axs.ravel()):
        _draw_panel(panel, ax)
    md += ["![deep regions](deep_regions.png)", "",
           "Exact regions, coloured by linear region: solid black lines separate linear regions, dashed "
           "grey lines are activation boundaries across which the output's affine map does not change. "
           "The deeper neurons' boundaries bend where they cross earlier neurons' lines (bent "
           "hyperplanes). Panels: the windows $[-1, 1]^2$, $[-10, 10]^2$, $[-100, 100]^2$ and the whole "
           f"plane (its farthest vertex has max-norm {_farthest_vertex(rplane):.4g}; every window beyond "
           "it shows the same rays from the centre), then " + where, "",
           _md_table(["window", "activation regions", "linear regions"], rows), "",
           f"The whole-plane count is certified: every cell touching the box $[-{float(rplane.box):g}, "
           f"{float(rplane.box):g}]^2$ has all its vertices inside it (see `exact.whole_plane`).", ""]
    return _Section(md, {"deep_ranges.png": images, "deep_regions.png": drawn})


def _deep_panels(rplane, windows: list) -> tuple[list[_Panel], str]:
    """Choose the six panels of ``deep_regions.png``: three windows, the plane, two zooms on dashed lines.

    The zooms are found from the exact regions' activation-only boundaries
    (``is_linear_boundary`` False): the first shows every bounded one, the second the point
    where most of them meet, at twice the length of the shortest one there (or, when no two
    meet, the shortest one: :func:`_second_zoom`).  Coordinates are rounded to floats here only
    to choose what to draw.  Returns the panels and the caption's end.
    """
    box = float(rplane.box)
    segs = [(_xy(p), _xy(q)) for k, (_, _, p, q) in enumerate(rplane.boundaries)
            if not rplane.is_linear_boundary(k)]
    panels = [_Panel(r, (0.0, 0.0), float(r.window), None) for r in windows]
    panels.append(_Panel(rplane, (0.0, 0.0), box, None))
    if not segs:
        for h in (3.0, 30.0):
            panels.append(_Panel(rplane, (0.0, 0.0), h, f"the plane's regions in $[-{h:g}, {h:g}]^2$"))
        return panels, ("the plane's regions in $[-3, 3]^2$ and $[-30, 30]^2$. This net has no dashed "
                        "boundary: every activation region is a linear region.")
    bounded = [seg for seg in segs if max(abs(v) for pt in seg for v in pt) < box] or segs
    xs = [x for seg in bounded for x, _ in seg]
    ys = [y for seg in bounded for _, y in seg]
    whole = _nice_square((max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2,
                         min(0.6 * max(max(xs) - min(xs), max(ys) - min(ys)), box))
    close, what, there = _second_zoom(rplane)
    shown_all, on, lie = _zoom_words(len(segs), len(bounded))
    for (c, h), shown in ((whole, shown_all), (close, what)):
        title = (f"zoom: {shown}\n"
                 f"$x_1 \\in [{c[0] - h:.4g}, {c[0] + h:.4g}]$, $x_2 \\in [{c[1] - h:.4g}, {c[1] + h:.4g}]$")
        panels.append(_Panel(rplane, c, h, title, 1.8))
    return panels, (f"two zooms on {on} found in the exact regions: {lie} $x_1 \\in [{min(xs):.4g}, "
                    f"{max(xs):.4g}]$, $x_2 \\in [{min(ys):.4g}, {max(ys):.4g}]$, {there}")


def _zoom_words(n: int, bounded: int) -> tuple[str, str, str]:
    """Word the first zoom of ``n`` dashed boundaries, ``bounded`` of them bounded: title, object, subject.

    >>> _zoom_words(9, 1)
    ('the bounded dashed boundary', 'the 9 dashed boundaries', 'the only bounded one lies in')
    >>> _zoom_words(1, 1)
    ('the dashed boundary', 'the only dashed boundary', 'it lies in')
    """
    if n == 1:
        return "the dashed boundary", "the only dashed boundary", "it lies in"
    if bounded == n:
        return "all dashed boundaries", f"the {n} dashed boundaries", "all of them lie in"
    if bounded == 1:
        return "the bounded dashed boundary", f"the {n} dashed boundaries", "the only bounded one lies in"
    return f"the {bounded} bounded dashed boundaries", f"the {n} dashed boundaries", f"the {bounded} bounded ones lie in"


def _second_zoom(rplane) -> tuple[tuple[tuple[float, float], float], str, str]:
    """Choose the second zoom of ``deep_regions.png``: where most dashed boundaries meet, if two do.

    Endpoints are compared exactly (as fractions); when no point ends two or more dashed
    boundaries the zoom shows the shortest one instead.  Returns the square, the panel's title
    and the end of the caption (after "…lie in …").
    """
    segs = [(p, q) for k, (_, _, p, q) in enumerate(rplane.boundaries) if not rplane.is_linear_boundary(k)]
    at = Counter(pt for p, q in segs for pt in {_exact_xy(p), _exact_xy(q)})
    (hub, n_hub), = at.most_common(1)  # the first point met among those met most often
    if n_hub >= 2:
        shortest = min(math.dist(_xy(p), _xy(q)) for p, q in segs if hub in (_exact_xy(p), _exact_xy(q)))
        x, y = float(hub[0]), float(hub[1])
        return (_nice_square(x, y, 2 * shortest), f"{n_hub} dashed boundaries meet",
                f"and {n_hub} meet at $({x:.4f}, {y:.4f})$, the shortest there {shortest:.3g} long.")
    p, q = min(segs, key=lambda seg: math.dist(_xy(seg[0]), _xy(seg[1])))
    (x0, y0), (x1, y1) = _xy(p), _xy(q)
    length = math.dist((x0, y0), (x1, y1))
    mid = ((x0 + x1) / 2, (y0 + y1) / 2)
    if len(segs) == 1:
        return (_nice_square(*mid, length), "the dashed boundary",
                f"and the second zoom shows it closer: it is {length:.3g} long, centred at "
                f"$({mid[0]:.4f}, {mid[1]:.4f})$.")
    return (_nice_square(*mid, length), "the shortest dashed boundary",
            f"and no two of them share an endpoint: the second zoom shows the shortest one, {length:.3g} long, "
            f"centred at $({mid[0]:.4f}, {mid[1]:.4f})$.")


def _farthest_vertex(rplane) -> float:
    """Return the largest max-norm of a vertex of the plane's regions off the certified box (for the caption)."""
    box = float(rplane.box)
    norms = (max(map(abs, _xy(v))) for c in rplane.cells for v in c.verts)
    return max((r for r in norms if r < box), default=0.0)


def _nice_square(cx: float, cy: float, half: float) -> tuple[tuple[float, float], float]:
    """Round a square's half-width up, and its centre, to two significant digits of the half-width."""
    step = 10.0 ** (math.floor(math.log10(half)) - 1)
    return (round(cx / step) * step, round(cy / step) * step), math.ceil(half / step) * step


def _draw_panel(panel: _Panel, ax) -> None:
    """Draw one panel of ``deep_regions.png`` (zooms with thicker lines), ticks without offset text."""
    from numeric.plots import scale_ticks

    panel.regions.plot(ax=ax, linewidth=panel.linewidth)
    (cx, cy), h = panel.centre, panel.half
    ax.set_xlim(cx - h, cx + h)
    ax.set_ylim(cy - h, cy + h)
    if panel.title is not None:
        ax.set_title(panel.title)
    scale_ticks(ax.xaxis, max(abs(cx - h), abs(cx + h)), "$x_1$")
    scale_ticks(ax.yaxis, max(abs(cy - h), abs(cy + h)), "$x_2$")


def _exact_xy(p: tuple[int, int, int]) -> tuple[Fraction, Fraction]:
    """Return a homogeneous integer point as exact fractions (to compare points)."""
    return Fraction(p[0], p[2]), Fraction(p[1], p[2])


def _xy(p: tuple[int, int, int]) -> tuple[float, float]:
    """Return a homogeneous integer point as floats (for choosing what to draw only)."""
    return p[0] / p[2], p[1] / p[2]


def _max_regions_section(seed: int, quick: bool, say: _Progress) -> _Section:
    """Build exercise 4: the theorem, random nets at the maximum, a zero output weight, degenerate nets."""
    import numpy as np

    from ._api import count_regions
    from .line_count import max_regions_formula

    md = ["## 4 Bonus: maximal number of linear regions", "", say.theorem("max-regions")]
    rng = np.random.default_rng(seed)
    rows = []
    ns = range(1, 51) if not quick else range(1, 11)
    reached = 0
    for n in ns:
        W = rng.normal(size=(n, 2))
        b = rng.normal(size=n)
        got = count_regions([(W, b), (np.ones((1, n)), np.zeros(1))], window=None)
        reached += got.activation == got.linear == max_regions_formula(n)
        if n <= 10 or n % 10 == 0:
            rows.append([n, got.activation, got.linear, max_regions_formula(n)])
    md += [f"Random Gaussian nets (seed {seed}, every output weight 1): {reached} of {len(ns)} reach the "
           "maximum exactly, in activation and in linear regions.", "",
           _md_table(["n", "exact activation regions (plane)", "exact linear regions (plane)",
                      "n(n+1)/2 + 1"], rows), ""]
    lines = ([[1, 0], [0, 1], [1, 1]], [0, 0, -1])
    rows = []
    for a in ((1, 1, 1), (1, 1, 0)):
        c = count_regions([lines, ([list(a)], [0])], window=None)
        rows.append([f"$a = ({a[0]}, {a[1]}, {a[2]})$", c.activation, c.linear])
    md += ["The maximum counts activation regions; linear regions reach it only when, in addition, every "
           "output weight $a_i \\ne 0$. The example checked in the derivation above, counted by the "
           "package: the lines $x_1 = 0$, $x_2 = 0$, $x_1 + x_2 = 1$ (general position) with output weights "
           "$a$:", "",
           _md_table(["output weights", "exact activation regions", "exact linear regions"], rows), "",
           f"With $a_3 = 0$ the line $x_1 + x_2 = 1$ separates no two affine pieces: the {rows[1][1]} "
           f"activation regions merge into the {rows[1][2]} regions of the two other lines. So the "
           "answer: a $2\\to n\\to 1$ ReLU net has at most $n(n+1)/2 + 1$ linear regions, reached exactly "
           "when its lines are in general position and no output weight is 0.", ""]
    return _Section(md + _degenerate_nets(), {})


def _degenerate_nets() -> list[str]:
    """Build exercise 4's table of degenerate nets against the arrangement formula."""
    import numpy as np

    from ._api import count_regions
    from .line_count import arrangement_terms, first_layer_lines, max_regions_formula
    from .loading import as_exact_net

    degenerate = [
        ("3 lines through one point", [(1, 0, 0), (0, 1, 0), (1, 1, 0)]),
        ("4 parallel lines", [(1, 0, k) for k in range(4)]),
        ("duplicated neuron (5 neurons, 4 lines)", [(1, 0, 0), (0, 1, 0), (1, 1, 1), (1, -1, 3), (2, 0, 0)]),
        ("x = 0.1f, y = 0.2f, x + y = 0.3f (float32)", [(1, 0, -np.float32(0.1)), (0, 1, -np.float32(0.2)),
                                                        (1, 1, -np.float32(0.3))]),
        ("x = 0.5, y = 0.25, x + y = 0.75 (exactly concurrent)", [(1, 0, -0.5), (0, 1, -0.25), (1, 1, -0.75)]),
    ]
    rows = []
    for name, neurons in degenerate:
        layers = [([[a, b] for a, b, _ in neurons], [c for _, _, c in neurons]), ([[1] * len(neurons)], [0])]
        L, pts = arrangement_terms(first_layer_lines(as_exact_net(layers)))
        terms = " + ".join(f"({m} − 1)" for m in sorted(pts.values(), reverse=True)) or "0"
        rows.append([name, count_regions(layers, window=None).activation, max_regions_formula(len(neurons)),
                     f"1 + {L} + {terms} = {1 + L + sum(m - 1 for m in pts.values())}"])
    return ["Degenerate nets fall short exactly as the arrangement formula $1 + L + \\sum_p (m_p - 1)$ "
            "predicts (formula column: L distinct lines, one term per crossing point, computed by the "
            "plain O(n²) reference, independent of the engine):", "",
            _md_table(["net", "exact activation regions (engine)", "maximum for its width", "formula"], rows),
            ""]


def _cross_check_section(shallow, deep, res: int, say: _Progress) -> _Section:
    """Build the cross-check: exact counts against sampling ``res`` × ``res`` pixels, both nets, three windows."""
    from .crosscheck import cross_check

    rows = []
    jobs = [(label, model, B) for label, model in (("2→20→1", shallow), ("2→5→5→5→5→1", deep))
            for B in (1.0, 10.0, 100.0)]
    for i, (label, model, B) in enumerate(jobs, 1):
        say(f"cross-check {i}/{len(jobs)}: {label} in [-{B:g}, {B:g}]^2, {res}×{res} pixels")
        rep = cross_check(model, window=B, res=res)
        big = f"{rep.missed[0][1]:.2e}" if rep.missed else "—"
        rows.append([label, f"$[-{B:g}, {B:g}]^2$", rep.exact_count, rep.sampled_count, len(rep.missed), big,
                     rep.disagreements, rep.unexplained])
    return _Section([
        "## Cross-check: exact regions versus pixel sampling", "",
        f"The sheet counts regions from images. Sampling the activation pattern at the centres of "
        f"{res}×{res} pixels (float32, as the torch model computes) misses the small regions, and a pixel "
        "centre within float32 error of a boundary can show a pattern of the wrong side (even one no "
        "region has), so the sampled count is no bound on the exact one:", "",
        _md_table(["net", "window", "exact activation regions", "sampled patterns", "missed",
                   "largest missed area", "pixels off", "unexplained"], rows), "",
        "'pixels off' counts pixel centres whose float32 pattern differs from the exact one; "
        "'unexplained' those not within float32 error of a boundary (always 0 here).", ""], {})


def _meets(line, B: float) -> bool:
    from .predicates import line_meets_open_box

    return line_meets_open_box(line, Fraction(B))

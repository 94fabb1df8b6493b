"""``exactnet sheet``: write the exercise sheet's complete, verified solution.

The output directory gets ``sheet07.md`` (Markdown with LaTeX math) and PNG figures,
all made by this package with fixed seeds.  ``tests/test_sheet.py`` runs it.
"""

from __future__ import annotations

import math
import os
import statistics
import time
from collections.abc import Callable
from fractions import Fraction

__all__ = ["write_sheet"]

RANGES = [10.0**k for k in range(0, 11, 2)]


def _fmt_pow(B: float) -> str:
    return f"10^{{{int(round(math.log10(B)))}}}"


def _md_table(header: list[str], rows: list[list]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(v) for v in r) + " |" for r in rows]
    return "\n".join(out)


def write_sheet(out_dir: str = "sheet07", *, seed: int = 0, res: int = 1000, quick: bool = False,
                log: Callable[[str], None] | None = None) -> str:
    """Write ``sheet07.md`` and its figures into ``out_dir``; return the Markdown path.

    Parameters
    ----------
    out_dir : str
        Created if missing.
    seed : int
        torch.manual_seed for both networks.
    res : int
        Pixels per side of the sampled images and of the cross-check (the sheet used 1000).
    quick : bool
        Smaller images and tables (for tests).
    log : callable, optional
        Receives one progress line per section.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import numeric
    from numeric.models import layers_of, seeded_mlp

    from ._api import count_regions, regions
    from .crosscheck import cross_check
    from .line_count import arrangement_terms, first_layer_lines, max_regions_formula
    from .loading import as_exact_net
    from .network import parameter_count
    from .symbolic.theorems import THEOREMS

    say = log or (lambda s: None)
    t0 = time.perf_counter()
    if isinstance(res, bool) or not isinstance(res, int) or res < 10:
        raise ValueError(f"res must be an integer >= 10, got {res!r}")
    os.makedirs(out_dir, exist_ok=True)
    img_res = 120 if quick else 400
    md: list[str] = []

    def fig_save(fig, name: str) -> str:
        fig.savefig(os.path.join(out_dir, name), dpi=110)
        plt.close(fig)
        return name

    md += ["# Exercise sheet 7 — a verified solution", "",
           f"Written by `exactnet sheet` (seed {seed}). Every region count is exact (integer arithmetic on "
           "the binary values of the float32 weights); every derivation step was checked by sympy when "
           "this file was written; sampled numbers are labelled as such.", ""]

    # ---------------------------------------------------------------- exercise 2
    say("2: derivations and figures")
    md += ["## 2 Log-sum-exp and soft(arg)max", ""]
    for name in ("softmax-values", "offset", "temperature", "lse-offset"):
        md.append(THEOREMS[name]().to_markdown())
    fig = plt.figure(figsize=(9, 8.5), layout="constrained")
    numeric.plot_lse_contours(lams=(1, 10, 100), axes=fig.subplots(2, 2).ravel())
    md += ["### 2(b) Contours of lse", "",
           f"![lse contours]({fig_save(fig, 'lse_contours.png')})", "",
           "For larger λ the contours bend sharply along the diagonal σ1 = σ2 and approach those of "
           "max(σ1, σ2): lse is a smoothed maximum, at most log(2)/λ above it (verified bound below).", ""]
    fig = plt.figure(figsize=(13, 8), layout="constrained")
    numeric.plot_softmax_images(lams=(1, 10, 100), axes=fig.subplots(2, 3).ravel())
    md += ["### 2(c) Softmax components", "",
           f"![softmax images]({fig_save(fig, 'softmax_images.png')})", "",
           "Component k is large where σ_k is the larger entry; as λ grows the transition across the "
           "diagonal sharpens into the arg max indicator (one-hot), with the value 1/2 on the tie line.", ""]
    md += ["### 2(d), 2(e)", ""]
    for name in ("gradient", "sum-to-one", "hessian", "bounds", "limit-infinity", "limit-ties",
                 "limit-minus-infinity", "limit-zero", "lambda-derivative"):
        md.append(THEOREMS[name]().to_markdown())

    # ---------------------------------------------------------------- exercise 3
    say("3(a)-(c): shallow net")
    md += ["## 3 Linear regions of MLPs", ""]
    md.append(THEOREMS["parameter-count"]().to_markdown())
    shallow = seeded_mlp([2, 20, 1], seed=seed)
    n_params = sum(p.numel() for p in shallow.parameters())
    md += [f"The model built here has {n_params} parameters "
           f"(`parameter_count([2, 20, 1])` = {parameter_count([2, 20, 1])}).", ""]
    enet = as_exact_net(shallow)
    lines = first_layer_lines(enet)
    W0, b0 = layers_of(shallow)[0]
    fig = plt.figure(figsize=(15.6, 8.8), layout="constrained")
    numeric.plot_model_images(shallow, bounds=RANGES, res=img_res, axes=fig.subplots(2, 3).ravel(),
                              lines=[(w[0], w[1], b) for w, b in zip(W0, b0)])
    md += ["### 3(b) The 2→20→1 network at ranges 10^0 … 10^10", "",
           f"![shallow images]({fig_save(fig, 'shallow_ranges.png')})", "",
           "White: the exact lines $w_i \\cdot x + b_i = 0$ of the 20 hidden neurons.", ""]
    rows = []
    plane = count_regions(shallow, window=None)
    for B in RANGES:
        c = count_regions(shallow, window=B)
        n_lines = sum(1 for ln in lines if _meets(ln, B))
        rows.append([f"$[-{_fmt_pow(B)}, {_fmt_pow(B)}]^2$", n_lines, c.activation, c.linear])
    rows.append(["whole plane", len(lines), plane.activation, plane.linear])
    dist = sorted(abs(float(b)) / math.hypot(float(w[0]), float(w[1])) for w, b in zip(W0, b0))
    _, crossings = arrangement_terms(lines)
    radii = sorted(max(abs(X), abs(Y)) / D for X, Y, D in crossings)
    parallel_free = len(crossings) == len(lines) * (len(lines) - 1) // 2
    simple = all(m == 2 for m in crossings.values())
    within = [(r, sum(1 for v in radii if v < r)) for r in (1, 10, 100)]
    md += ["### 3(c) Exact counts", "",
           _md_table(["window", "lines crossing it", "activation regions", "linear regions"], rows), "",
           f"There are exactly **{len(lines)} distinct lines** for {len(W0)} neurons; "
           f"{len(crossings)} distinct crossing points"
           + (" — every pair of lines crosses and no three meet, so the plane count is the maximum "
              f"{len(lines)}·{len(lines) + 1}/2 + 1 = {plane.activation} of exercise 4." if parallel_free and simple
              else ", so the lines are not in general position.") + "", "",
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
           "This follows from the init's bounded bias-to-weight ratio; no Gaussian bias is needed.", ""]

    # ---------------------------------------------------------------- 3(d)
    say("3(d): deep net")
    deep = seeded_mlp([2, 5, 5, 5, 5, 1], seed=seed)
    fig = plt.figure(figsize=(15.6, 8.8), layout="constrained")
    numeric.plot_model_images(deep, bounds=RANGES, res=img_res, axes=fig.subplots(2, 3).ravel())
    md += ["### 3(d) The 2→5→5→5→5→1 network", "", f"![deep images]({fig_save(fig, 'deep_ranges.png')})", ""]
    fig, axs = plt.subplots(2, 3, figsize=(15, 10), layout="constrained")
    rows = []
    for B, ax in zip(RANGES, axs.ravel()):
        r = regions(deep, window=B)
        r.plot(ax=ax)
        rows.append([f"$[-{_fmt_pow(B)}, {_fmt_pow(B)}]^2$", r.n_activation, r.n_linear])
    rplane = regions(deep, window=None)
    rows.append(["whole plane", rplane.n_activation, rplane.n_linear])
    md += [f"![deep regions]({fig_save(fig, 'deep_regions.png')})", "",
           "Exact regions: solid black lines separate linear regions, dashed grey lines are "
           "activation boundaries across which the output's affine map does not change. The deeper "
           "neurons' boundaries bend where they cross earlier neurons' lines (bent hyperplanes).", "",
           _md_table(["window", "activation regions", "linear regions"], rows), "",
           f"The whole-plane count is certified: every cell touching the box $[-{float(rplane.box):g}, "
           f"{float(rplane.box):g}]^2$ has all its vertices inside it (see `exact.whole_plane`).", ""]

    # ---------------------------------------------------------------- 4
    say("4: maximum number of regions")
    md += ["## 4 Bonus: maximal number of linear regions", "", THEOREMS["max-regions"]().to_markdown()]
    import numpy as np

    rng = np.random.default_rng(seed)
    rows = []
    ns = range(1, 51) if not quick else range(1, 11)
    reached = 0
    for n in ns:
        W = rng.normal(size=(n, 2))
        b = rng.normal(size=n)
        got = count_regions([(W, b), (np.ones((1, n)), np.zeros(1))], window=None).activation
        reached += got == max_regions_formula(n)
        if n <= 10 or n % 10 == 0:
            rows.append([n, got, max_regions_formula(n)])
    md += [f"Random Gaussian nets (seed {seed}): {reached} of {len(ns)} reach the maximum exactly.", "",
           _md_table(["n", "exact regions (plane)", "n(n+1)/2 + 1"], rows), ""]
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
    md += ["Degenerate nets fall short exactly as the arrangement formula $1 + L + \\sum_p (m_p - 1)$ "
           "predicts (formula column: L distinct lines, one term per crossing point, computed by the "
           "plain O(n²) reference, independent of the engine):", "",
           _md_table(["net", "exact regions (engine)", "maximum for its width", "formula"], rows), ""]

    # ---------------------------------------------------------------- cross-check
    say("cross-check: sampling vs exact")
    md += ["## Cross-check: exact regions versus pixel sampling", "",
           f"The sheet counts regions from images. Sampling the pattern at the centres of "
           f"{res}×{res} pixels (float32, as the torch model computes) finds only a lower bound:", ""]
    rows = []
    for label, model in (("2→20→1", shallow), ("2→5→5→5→5→1", deep)):
        for B in (1.0, 10.0, 100.0):
            rep = cross_check(model, bound=B, res=res)
            big = f"{rep.missed[0][1]:.2e}" if rep.missed else "—"
            rows.append([label, f"$[-{B:g}, {B:g}]^2$", rep.exact_count, rep.sampled_count, len(rep.missed), big,
                         rep.disagreements, rep.unexplained])
    md += [_md_table(["net", "window", "exact", "sampled", "missed", "largest missed area",
                      "pixels off", "unexplained"], rows), "",
           "'pixels off' counts pixel centres whose float32 pattern differs from the exact one; "
           "'unexplained' those not within float32 error of a boundary (always 0 here).", ""]
    md += [f"---\n*Generated in {time.perf_counter() - t0:.1f} s.*", ""]
    path = os.path.join(out_dir, "sheet07.md")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(md))
    say(f"wrote {path}")
    return path


def _meets(line, B: float) -> bool:
    from .predicates import line_meets_open_box

    return line_meets_open_box(line, Fraction(B))

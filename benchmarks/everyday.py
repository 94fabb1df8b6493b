"""The peers' everyday features, exact against the float way of doing them (issue 16).

Run on demand (not part of the test suite), on a quiet machine:

    python benchmarks/everyday.py [--markdown FILE]

* **Counts along a segment** (any input width): ``exact.count_on_segment`` between two
  seeded random points, against dense float sampling of the same segment (torch float64,
  the hidden on/off pattern at ``N`` evenly spaced points; a change between neighbours is
  a breakpoint seen).  Sampling can only see fewer pieces; it misses every piece shorter
  than the step.
* **Level sets**: ``regions(...).level_set(c)`` at ``c = f(0)`` rounded to two decimals (a
  level the window crosses; exact segments with rational endpoints), against contouring
  ``f`` on a ``G x G`` grid of the window (contourpy, which matplotlib uses): its time, its
  number of polylines, and ``max |f - c|`` at the contour's vertices (exact: 0 at every
  endpoint).

Every case runs in a fresh subprocess (``run.run_case``: wall time and peak memory), both
sides of a row in the same run.
"""

from __future__ import annotations

import argparse
import sys

from run import fmt_t, table, timed_case

SEGMENT_NETS = [[64, 64, 64, 10], [784, 128, 128, 10], [10, 256, 256, 256, 1]]
LEVEL_NETS = [[2, 32, 32, 1], [2, 64, 64, 64, 1]]
SAMPLES = [10_000, 1_000_000]


def bench_segments() -> str:
    rows = []
    for widths in SEGMENT_NETS:
        ex = timed_case(f"""
            import torch, exact
            from numeric.models import seeded_mlp
            m = seeded_mlp({widths}, seed=0).double()
            g = torch.Generator().manual_seed(1)
            a, b = torch.randn({widths[0]}, generator=g, dtype=torch.float64), torch.randn({widths[0]}, generator=g, dtype=torch.float64)
            s, t = timed(lambda: exact.count_on_segment(m, a, b))
            report(seconds=t, activation=s.activation, linear=s.linear)
        """)
        row = [f"{'-'.join(map(str, widths))}", f"{ex.get('activation', ex.get('error'))}", fmt_t(ex.get("seconds"))]
        for n in SAMPLES:
            fl = timed_case(f"""
                import torch
                from numeric.models import seeded_mlp
                m = seeded_mlp({widths}, seed=0).double()
                g = torch.Generator().manual_seed(1)
                a, b = torch.randn({widths[0]}, generator=g, dtype=torch.float64), torch.randn({widths[0]}, generator=g, dtype=torch.float64)
                def sample():
                    t = torch.linspace(0, 1, {n}, dtype=torch.float64)[:, None]
                    h, pats = a + t * (b - a), []
                    with torch.no_grad():
                        for layer in m:
                            h = layer(h)
                            if isinstance(layer, torch.nn.ReLU):
                                pats.append(h > 0)
                    p = torch.cat(pats, 1)
                    return int((p[1:] != p[:-1]).any(1).sum()) + 1
                seen, t = timed(sample)
                report(seconds=t, seen=seen)
            """)
            row += [f"{fl.get('seen', fl.get('error'))}", fmt_t(fl.get("seconds"))]
        if "seconds" in ex and "seconds" in fl:
            row.append(f"{ex['seconds'] / fl['seconds']:.2f}×")
        rows.append(row)
    head = ["net", "exact pieces", "exact time"]
    for n in SAMPLES:
        head += [f"{n:,} samples see", "time"]
    return table(head + ["exact / densest sampling"], rows)


def bench_level_sets(grid: int = 1000) -> str:
    rows = []
    for widths in LEVEL_NETS:
        ex = timed_case(f"""
            import exact, torch
            from numeric.models import seeded_mlp
            m = seeded_mlp({widths}, seed=0)
            c = round(float(m(torch.zeros(1, 2))), 2)   # a level the window crosses: f at the centre
            def run():
                r = exact.regions(m, window=3)
                return r, r.level_set(c)
            (r, ls), t = timed(run)
            report(seconds=t, segments=len(ls.segments), cells=r.n_activation, level=c)
        """)
        fl = timed_case(f"""
            import numpy as np, torch, contourpy
            from numeric.models import seeded_mlp
            m = seeded_mlp({widths}, seed=0).double()
            xs = np.linspace(-3, 3, {grid})
            c = round(float(m(torch.zeros(1, 2, dtype=torch.float64))), 2)
            def run():
                X, Y = np.meshgrid(xs, xs)
                with torch.no_grad():
                    Z = m(torch.from_numpy(np.c_[X.ravel(), Y.ravel()]))[:, 0].numpy().reshape(X.shape)
                return contourpy.contour_generator(X, Y, Z).lines(c)
            lines, t = timed(run)
            pts = np.concatenate(lines) if lines else np.zeros((0, 2))
            with torch.no_grad():
                err = float((m(torch.from_numpy(pts)) - c).abs().max()) if len(pts) else 0.0
            report(seconds=t, pieces=len(lines), vertices=len(pts), max_abs_f=err)
        """)
        rows.append([
            "-".join(map(str, widths)), f"{ex.get('segments', ex.get('error'))}", fmt_t(ex.get("seconds")),
            f"{fl.get('pieces', fl.get('error'))} ({fl.get('vertices')} vertices)", fmt_t(fl.get("seconds")),
            f"{fl.get('max_abs_f', float('nan')):.1e}",
            f"{ex['seconds'] / fl['seconds']:.2f}×" if "seconds" in ex and "seconds" in fl else "—",
        ])
    return table(["net (window [-3, 3]², level c = f(0) to 2 decimals)", "exact segments", "regions + level_set",
                  f"contour {grid}² pieces", "grid + contour", "max |f - c| on the contour", "exact / contour"], rows)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--markdown", metavar="FILE", help="also write the tables to FILE")
    args = ap.parse_args(argv)
    parts = ["## Counts along a segment: exact against dense float sampling", bench_segments(),
             "## Level set f = 0: exact against contouring a grid", bench_level_sets()]
    text = "\n\n".join(parts)
    print(text)
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""exactnet benchmarks: exact engines against baselines measured in the same run.

Run on demand (not part of the test suite):

    python benchmarks/run.py                 # everything but the sheet (several minutes)
    python benchmarks/run.py --quick         # skip the largest cases
    python benchmarks/run.py --only nets     # a section: nets naive plane deepplane softmax proofs sheet
                                             # (--only sheet times `exactnet sheet`; repeat --only for more)

Every case runs in a fresh subprocess, which reports its wall time and peak resident
memory (ru_maxrss), so cases do not share caches or memory.  Ratios compare against a
baseline timed in the same run on the same machine.  Fast cases report the best of five
calls (the first included).  The Regioncam column needs ``pip install regioncam==0.5.2``
(the ``bench`` extra); without it the column shows the import error.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

NETS = [
    ("2-20-1", [2, 20, 1], 197, 197),
    ("2-100-1", [2, 100, 1], 4667, 4667),
    ("2-1000-1", [2, 1000, 1], 466031, None),
    ("2-5-5-5-5-1", [2, 5, 5, 5, 5, 1], 81, 77),
    ("2-32-32-32-1", [2, 32, 32, 32, 1], 4705, None),
    ("2-64-64-64-64-1", [2, 64, 64, 64, 64, 1], 30659, None),
    ("2-32x8-1", [2] + [32] * 8 + [1], 10653, None),
]

PRELUDE = textwrap.dedent(
    """
    import json, resource, sys, time
    sys.path.insert(0, {root!r})
    import exact  # its names load on first use: load them before any clock (not the sympy twins)
    _ = [getattr(exact, n) for n in exact.__all__ if n not in ("logsumexp", "softmax", "log_softmax")]
    def report(**kw):
        kw["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print("RESULT " + json.dumps(kw))
    """
)


def run_case(code: str, timeout: float = 1800) -> dict:
    """Run ``code`` in a fresh interpreter; return the dict it reported (or an error)."""
    src = PRELUDE.format(root=ROOT) + textwrap.dedent(code)
    try:
        res = subprocess.run([sys.executable, "-c", src], capture_output=True, text=True, timeout=timeout,
                             env=dict(os.environ, MPLBACKEND="Agg"))
    except subprocess.TimeoutExpired:
        return {"error": f"timeout after {timeout:.0f} s"}
    for line in res.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    return {"error": (res.stderr.strip().splitlines() or ["no output"])[-1]}


def table(header: list[str], rows: list[list]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(v) for v in r) + " |" for r in rows]
    return "\n".join(out)


def fmt_t(x) -> str:
    if x is None:
        return "—"
    return f"{x * 1e3:.2f} ms" if x < 0.01 else (f"{x:.3f} s" if x < 10 else f"{x:.1f} s")


TIMED = textwrap.dedent("""
    def timed(f):
        # best of 5 for fast cases (first call included), one call for slow ones
        t = time.perf_counter(); out = f(); best = time.perf_counter() - t
        if best < 1.0:
            for _ in range(4):
                t = time.perf_counter(); out = f(); best = min(best, time.perf_counter() - t)
        return out, best
""")


def timed_case(code: str) -> dict:
    """``run_case`` with the ``timed`` helper defined."""
    return run_case(TIMED + textwrap.dedent(code))


def bench_nets(quick: bool, regioncam_large: bool = False) -> str:
    rows = []
    for name, widths, want_act, want_lin in NETS:
        big = name in ("2-1000-1", "2-64-64-64-64-1")
        if quick and big:
            continue
        count = timed_case(f"""
            from numeric.models import seeded_mlp
            import exact
            m = seeded_mlp({widths}, seed=0)
            c, dt = timed(lambda: exact.count_regions(m, window=10.0))
            report(act=c.activation, lin=c.linear, t=dt)
        """)
        polys = timed_case(f"""
            from numeric.models import seeded_mlp
            import exact
            m = seeded_mlp({widths}, seed=0)
            r, dt = timed(lambda: exact.regions(m, window=10.0))
            report(act=r.n_activation, lin=r.n_linear, t=dt)
        """)
        skip_rc = name == "2-1000-1" and not regioncam_large
        rc = {"error": "not run (15 GB; --regioncam-large)"} if skip_rc else timed_case(regioncam_case(widths, 10.0))
        grid = run_case(f"""
            import torch
            from numeric.models import seeded_mlp
            from numeric.sampling import grid_patterns
            m = seeded_mlp({widths}, seed=0)
            torch.set_num_threads(2)
            t = time.perf_counter(); g = grid_patterns(m, 10.0, 1000); dt = time.perf_counter() - t
            report(sampled=g.n_patterns, t=dt)
        """)
        act = count.get("act")
        ok = "✔" if act == want_act and (want_lin is None or count.get("lin") == want_lin) else "✘"
        ok_p = "✔" if polys.get("act") == act and polys.get("lin") == count.get("lin") else "✘"
        rc_ratio = (count["t"] / rc["t"]) if "t" in count and rc.get("t") else None
        poly_ratio = (polys["t"] / rc["t"]) if "t" in polys and rc.get("t") else None
        rows.append([
            name, f"{act} / {count.get('lin')} {ok}", want_act if want_lin is None else f"{want_act} / {want_lin}",
            fmt_t(count.get("t")), f"{count.get('peak_mb', 0):.0f} MB",
            rc.get("faces", rc.get("error")), fmt_t(rc.get("t")), "—" if rc_ratio is None else f"{rc_ratio:.2g}×",
            f"{fmt_t(polys.get('t'))} {ok_p}" if "t" in polys else polys.get("error"),
            "—" if polys.get("peak_mb") is None else f"{polys['peak_mb']:.0f} MB",
            "—" if poly_ratio is None else f"{poly_ratio:.2g}×",
            grid.get("sampled", grid.get("error")), (act - grid["sampled"]) if act and "sampled" in grid else "—",
            fmt_t(grid.get("t")),
        ])
        print(f"  {name}: {rows[-1]}", file=sys.stderr, flush=True)
    return table(["net", "exact act. / linear", "expected", "count_regions", "its peak",
                  "Regioncam 0.5.2 faces (float32)", "Regioncam time", "count / Regioncam",
                  "regions() (exact polygons; ✔ same counts)", "regions() peak", "regions() / Regioncam",
                  "grid 1000² patterns",
                  "missed by grid", "grid time"], rows)


def bench_naive() -> str:
    code = """
        import shapely
        from shapely.geometry import LineString, box
        from shapely.ops import split
        from fractions import Fraction
        sys.path.insert(0, {tests!r})
        from catalogue import LINE_CASES, shallow_layers
        import exact
        def naive(neurons, B):
            polys = [box(-B, -B, B, B)]
            for w1, w2, b in neurons:
                w1, w2, b = float(w1), float(w2), float(b)
                if w1 == 0 and w2 == 0:
                    continue
                far = 4 * B + 4 * abs(b) / max(abs(w1), abs(w2))
                if abs(w2) >= abs(w1):
                    ln = LineString([(-far, (-b + w1 * far) / w2), (far, (-b - w1 * far) / w2)])
                else:
                    ln = LineString([((-b + w2 * far) / w1, -far), ((-b - w2 * far) / w1, far)])
                out = []
                for p in polys:
                    out.extend(g for g in split(p, ln).geoms if g.area > 1e-9)
                polys = out
            return len(polys)
        rows = []
        t_naive = t_exact = 0.0
        for name, case in sorted(LINE_CASES.items()):
            B = 1.0
            t = time.perf_counter(); n = naive(case["neurons"], B); t_naive += time.perf_counter() - t
            t = time.perf_counter()
            e = exact.regions(shallow_layers(case["neurons"]), window=B).n_activation
            t_exact += time.perf_counter() - t
            rows.append([name, case["window"].get(1, e), e, n])
        report(rows=rows, t_naive=t_naive, t_exact=t_exact)
    """.replace("{tests!r}", repr(os.path.join(ROOT, "tests")))
    r = run_case(code)
    if "error" in r:
        return f"naive baseline failed: {r['error']}"
    wrong = sum(1 for _, want, _, n in r["rows"] if n != want)
    rows = [[name, want, e, f"{n}{'' if n == want else ' ✘'}"] for name, want, e, n in r["rows"]]
    return (table(["case (window [-1,1]²)", "hand-derived", "exact engine", "naive float shapely split"], rows)
            + f"\n\nNaive float splitting (area > 1e-9 kept) is wrong on {wrong} of {len(rows)} cases; "
            f"time {r['t_naive']:.3f} s vs exact {r['t_exact']:.3f} s for the whole catalogue.")


def bench_plane(quick: bool) -> str:
    rows = []
    for n in (100, 1000, 3000, 10000, 20000):
        if quick and n > 1000:
            continue
        r = run_case(f"""
            import numpy as np
            from exact.line_count import arrangement_faces, arrangement_faces_reference
            from exact.predicates import line_from_fractions
            import torch
            torch.manual_seed(0)
            lin = torch.nn.Linear(2, {n})
            W, b = lin.weight.detach().numpy(), lin.bias.detach().numpy()
            lines = [line_from_fractions(W[i, 0], W[i, 1], b[i]) for i in range({n})]
            t = time.perf_counter(); f = arrangement_faces(lines); dt = time.perf_counter() - t
            ref = tref = None
            if {n} <= 1000:
                t = time.perf_counter(); ref = arrangement_faces_reference(lines); tref = time.perf_counter() - t
            report(faces=f, t=dt, ref=ref, tref=tref)
        """)
        max_f = n * (n + 1) // 2 + 1
        rows.append([n, r.get("faces", r.get("error")), max_f, fmt_t(r.get("t")),
                     r.get("ref") if r.get("ref") is not None else "—", fmt_t(r.get("tref")),
                     f"{r['tref'] / r['t']:.0f}×" if r.get("tref") else "—", f"{r.get('peak_mb', 0):.0f} MB"])
        print(f"  plane n={n}: {rows[-1]}", file=sys.stderr, flush=True)
    return table(["lines", "exact faces", "n(n+1)/2+1", "fast counter", "plain exact O(n²) dict", "its time",
                  "speed-up", "peak"], rows)


def regioncam_case(widths: list, size: float) -> str:
    """The case that times Regioncam 0.5.2 on the seeded net in ``[-size, size]^2`` (float32 faces)."""
    return f"""
        import regioncam
        from numeric.models import seeded_mlp
        m = seeded_mlp({widths}, seed=0)
        lins = [l for l in m.modules() if hasattr(l, "weight")]
        def run():
            cam = regioncam.Regioncam(size={size})
            for l in lins[:-1]:
                cam.linear(l.weight.detach().numpy().T.copy(), l.bias.detach().numpy().copy())
                cam.relu()
            return cam.num_faces
        n, dt = timed(run)
        report(faces=n, t=dt)
    """


PLANE_ONLY = [("2-256-256-1", [2, 256, 256, 1], None, None)]
"""Nets timed in the whole plane only (issue 15's whole-plane row), without the exact engine's baseline."""


def bench_deep_plane(quick: bool) -> str:
    rows = []
    for name, widths, _, _ in NETS + PLANE_ONLY:
        if len(widths) == 3 or (quick and name in ("2-64-64-64-64-1", "2-256-256-1")):
            continue
        fast = timed_case(f"""
            from numeric.models import seeded_mlp
            import exact
            from exact._certified.plane import batched_plane_cells
            m = seeded_mlp({widths}, seed=0)
            c, dt = timed(lambda: exact.count_regions(m, window=None))
            half, _ = batched_plane_cells(exact.from_torch(m), max_regions=None, progress=False)
            report(act=c.activation, lin=c.linear, t=dt, half=float(half))
        """)
        # baseline: the exact engine, in the whole plane (its own certificate) or, where that
        # takes too long, in a window 4x the certified box (a count that may only grow)
        big = name == "2-64-64-64-64-1"
        half = fast.get("half", 1.0)
        ref = {"error": "not run (minutes)"} if name == "2-256-256-1" else run_case(f"""
            from fractions import Fraction
            from numeric.models import seeded_mlp
            import exact
            from exact._api import exact_regions
            from exact.line_count import initial_box
            from exact.validation import check_window
            m = seeded_mlp({widths}, seed=0)
            net = exact.as_exact_net(m)
            w = check_window({4 * half if big else None})
            start = initial_box(net) if w is None else None   # the exact search, never the certified floats
            t = time.perf_counter()
            r = exact_regions(net, w, max_regions=None, progress=False, precount=False, plane_start=start)
            report(act=r.n_activation, lin=r.n_linear, t=time.perf_counter() - t)
        """)
        # anchor: Regioncam in the same certified box (float32; its count need not be right there)
        rc = timed_case(regioncam_case(widths, half))
        same = ("✔" if (fast.get("act"), fast.get("lin")) == (ref.get("act"), ref.get("lin")) else "✘"
                ) if "act" in ref else ref.get("error", "")
        rows.append([name, f"{fast.get('act')} / {fast.get('lin')}", f"{half:g}", fmt_t(fast.get("t")),
                     f"{fast.get('peak_mb', 0):.0f} MB", rc.get("faces", rc.get("error")), fmt_t(rc.get("t")),
                     f"{fast['t'] / rc['t']:.2g}×" if "t" in fast and rc.get("t") else "—",
                     (("window 4× box: " if big else "plane: ") + f"{ref.get('act')} / {ref.get('lin')} {same}")
                     if "act" in ref else same,
                     fmt_t(ref.get("t")),
                     f"{ref['t'] / fast['t']:.0f}×" if "t" in ref and "t" in fast else "—"])
        print(f"  deep plane {name}: {rows[-1]}", file=sys.stderr, flush=True)
    return table(["net", "count_regions(net, window=None) act. / linear", "certified box half-width", "time", "peak",
                  "Regioncam 0.5.2 faces in the same box", "its time", "time / Regioncam",
                  "exact engine", "its time", "speed-up"], rows)


SOFTMAX_CASE = """
    import numpy as np, torch
    import numeric
    torch.manual_seed(0)
    torch.set_num_threads(2)
    try:
        import scipy.special as ss
    except ImportError:
        ss = None
    def pair(base, ours, rounds=5):
        # interleaved, best of `rounds` each: both see the same machine load
        tb, to = [], []
        for _ in range(rounds):
            t = time.perf_counter(); base(); tb.append(time.perf_counter() - t)
            t = time.perf_counter(); ours(); to.append(time.perf_counter() - t)
        return [min(tb), min(to)]
    out = {}
    for dt in ("float32", "float64"):
        x = (torch.randn(SHAPE, dtype=getattr(torch, dt)) * 3)
        xn, d = x.numpy(), x.dim() - 1
        xg = x.clone().requires_grad_(True)
        g = torch.randn_like(x)
        cases = {
            "lse forward": (lambda: torch.logsumexp(x, d), lambda: numeric.logsumexp(x)),
            "lse forward+backward": (lambda: torch.autograd.grad(torch.logsumexp(xg, d).sum(), xg),
                                     lambda: torch.autograd.grad(numeric.logsumexp(xg).sum(), xg)),
            "softmax forward": (lambda: torch.softmax(x, d), lambda: numeric.softmax(x)),
            "softmax forward+backward": (lambda: torch.autograd.grad(torch.softmax(xg, d), xg, g),
                                         lambda: torch.autograd.grad(numeric.softmax(xg), xg, g)),
            "log_softmax forward": (lambda: torch.log_softmax(x, d), lambda: numeric.log_softmax(x)),
            "log_softmax forward+backward": (lambda: torch.autograd.grad(torch.log_softmax(xg, d), xg, g),
                                             lambda: torch.autograd.grad(numeric.log_softmax(xg), xg, g)),
        }
        for k, (b, o) in cases.items():
            out[f"torch|{dt}|{k}"] = pair(b, o)
        if ss is not None:
            for k, (b, o) in {"lse": (lambda: ss.logsumexp(xn, axis=-1), lambda: numeric.logsumexp(xn)),
                              "softmax": (lambda: ss.softmax(xn, axis=-1), lambda: numeric.softmax(xn)),
                              "log_softmax": (lambda: ss.log_softmax(xn, axis=-1), lambda: numeric.log_softmax(xn)),
                              }.items():
                out[f"numpy|{dt}|{k}"] = pair(b, o)
    report(times=out, scipy=ss is not None)
"""


def bench_softmax() -> str:
    parts = []
    for label, shape in (("1e7 elements, one vector", "(10_000_000,)"), ("1e5 rows of 100 (last axis)", "(100_000, 100)")):
        r = run_case(SOFTMAX_CASE.replace("SHAPE", shape))
        if "error" in r:
            parts.append(f"softmax benchmark ({label}) failed: {r['error']}")
            continue
        rows = []
        for key, (b, o) in r["times"].items():
            lib, dt, what = key.split("|")
            base = ("torch." + what.split()[0].replace("lse", "logsumexp") if lib == "torch"
                    else "scipy.special." + what.replace("lse", "logsumexp"))
            rows.append([f"{what} ({lib})", dt, base, f"{b * 1e3:.1f} ms", f"{o * 1e3:.1f} ms", f"{o / b:.2f}×"])
        note = "" if r["scipy"] else "\n\nscipy is not installed: its rows are left out (`pip install scipy`)."
        parts.append(f"{label}:\n\n" + table(["case", "dtype", "baseline", "baseline time", "numeric", "ratio"], rows)
                     + note)
    return "\n\n".join(parts) + (
        "\n\nInterleaved runs, best of 5 each, in one process (2 torch threads); ratio = numeric / baseline. "
        "CPU tensors go through numpy's kernels (numeric._lse_torch.CPU_VIA_NUMPY).")


def bench_proofs() -> str:
    p = run_case("""
        from exact.symbolic.theorems import all_theorems
        t = time.perf_counter(); ds = all_theorems(); dt = time.perf_counter() - t
        report(n=len(ds), t=dt)
    """)
    return table(["job", "time", "peak", "target"], [
        [f"all {p.get('n')} sympy derivations", fmt_t(p.get("t")), f"{p.get('peak_mb', 0):.0f} MB", "< 10 s"],
    ])


def bench_sheet() -> str:
    s = run_case("""
        import tempfile
        from exact.sheet import write_sheet
        t = time.perf_counter(); write_sheet(tempfile.mkdtemp()); dt = time.perf_counter() - t
        report(t=dt)
    """)
    return table(["job", "time", "peak", "target"], [
        ["exactnet sheet (res 1000)", fmt_t(s.get("t")), f"{s.get('peak_mb', 0):.0f} MB", "< 60 s"],
    ])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="skip 2-1000-1, 2-64^4-1 and n > 1000 lines")
    ap.add_argument("--only", choices=["nets", "naive", "plane", "deepplane", "softmax", "proofs", "sheet"],
                    action="append")
    ap.add_argument("--markdown", metavar="FILE", help="also write the tables to FILE")
    ap.add_argument("--regioncam-large", action="store_true",
                    help="also run Regioncam on 2-1000-1 (about 80 s and 15 GB of memory)")
    args = ap.parse_args(argv)
    only = set(args.only or ["nets", "naive", "plane", "deepplane", "softmax", "proofs"])  # the sheet on request
    import torch

    head = (f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"torch {torch.__version__}")
    parts = [head]
    if "nets" in only:
        print("benchmark nets ...", file=sys.stderr)
        parts += ["## Benchmark nets (seed 0, default init, window [-10, 10]²)", bench_nets(args.quick, args.regioncam_large)]
    if "naive" in only:
        print("naive float baseline ...", file=sys.stderr)
        parts += ["## Naive float shapely splitting on the degenerate catalogue", bench_naive()]
    if "plane" in only:
        print("whole-plane counts ...", file=sys.stderr)
        parts += ["## Whole-plane counts of n lines (torch init)", bench_plane(args.quick)]
    if "deepplane" in only:
        print("whole-plane deep counts ...", file=sys.stderr)
        parts += ["## Whole-plane counts of deep nets (seed 0)", bench_deep_plane(args.quick)]
    if "softmax" in only:
        print("softmax ...", file=sys.stderr)
        parts += ["## numeric lse/softmax vs torch/scipy", bench_softmax()]
    if "proofs" in only:
        print("proofs ...", file=sys.stderr)
        parts += ["## Symbolic checks", bench_proofs()]
    if "sheet" in only:
        print("sheet ...", file=sys.stderr)
        parts += ["## The sheet", bench_sheet()]
    text = "\n\n".join(parts)
    print(text)
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Peak memory of the region engines on wide first layers (issue 13, item 2).

Run on demand (not part of the test suite):

    python benchmarks/memory.py                      # every case
    python benchmarks/memory.py --only count         # count_regions cases only (or: regions)
    python benchmarks/memory.py --root /other/tree   # the same cases on another source tree
    python benchmarks/memory.py --kill-above 6GB     # stop a case whose RSS passes 6 GB

Every case runs in a fresh interpreter and reports its wall time and its peak resident
memory (``ru_maxrss``; on Linux the parent also samples ``VmRSS`` every 50 ms and kills
a case that passes ``--kill-above``, by default three quarters of the available memory).
The time and the peak come from the same run of the same case.  A case ends in counts,
in a refusal (``ResourceLimitError``: over ``max_regions`` or ``max_memory``, before
allocating) or in a failure (``MemoryError``, killed).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import textwrap
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (label, API, widths, keyword arguments); seed-0 nets of numeric.seeded_mlp, window [-10, 10]^2
CASES = [
    ("count 2-500-2-1", "count", [2, 500, 2, 1], {}),
    ("count 2-1000-2-1", "count", [2, 1000, 2, 1], {}),
    ("count 2-3000-1-1", "count", [2, 3000, 1, 1], {}),
    ("count 2-3000-1-1, max_regions=None", "count", [2, 3000, 1, 1], {"max_regions": None}),
    ("count 2-200-200-200-1", "count", [2, 200, 200, 200, 1], {}),
    ("count 2-64-64-64-64-1", "count", [2, 64, 64, 64, 64, 1], {}),
    ("count 2-200-2-1, whole plane", "count", [2, 200, 2, 1], {"window": None}),
    ("regions 2-500-2-1", "regions", [2, 500, 2, 1], {}),
    ("regions 2-200-200-200-1", "regions", [2, 200, 200, 200, 1], {}),
    ("regions 2-1000-1", "regions", [2, 1000, 1], {}),
]

CHILD = textwrap.dedent("""
    import json, resource, sys, time
    sys.path.insert(0, {root!r})
    import numeric, exact
    kw = dict(window=10.0)
    kw.update({kwargs!r})
    net = numeric.seeded_mlp({widths!r}, seed=0)
    t = time.perf_counter()
    try:
        if {api!r} == "count":
            out = "counted " + str(tuple(exact.count_regions(net, **kw)))
        else:
            r = exact.regions(net, **kw)
            out = f"counted {{(r.n_activation, r.n_linear)}}"
    except MemoryError:
        out = "MemoryError"
    except Exception as exc:
        out = f"{{type(exc).__name__}}: {{exc}}"
    dt = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)
    print("RESULT " + json.dumps(dict(out=out, t=dt, peak=peak)))
""")


def parse_size(text: str) -> int:
    """Bytes from ``"6GB"``, ``"500MB"`` or a plain number."""
    t = text.strip().upper().rstrip("B").rstrip("I")
    scale = {"K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}.get(t[-1:], 1)
    return int(float(t[:-1] if scale > 1 else t) * scale)


def default_kill_above() -> int | None:
    """Three quarters of the memory available now (Linux), else no limit."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            kb = next(int(line.split()[1]) for line in f if line.startswith("MemAvailable:"))
    except (OSError, StopIteration, ValueError):
        return None
    return kb * 1024 * 3 // 4


def rss_of(pid: int) -> int | None:
    """Resident memory of a process in bytes (Linux), else None."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmRSS:"))
    except (OSError, StopIteration, ValueError):
        return None


def run_case(root: str, api: str, widths: list[int], kwargs: dict, kill_above: int | None,
             timeout: float) -> dict:
    """Run one case in a fresh interpreter; watch its memory; return what it reported."""
    code = CHILD.format(root=root, api=api, widths=widths, kwargs=kwargs)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    t0, sampled = time.perf_counter(), 0
    while proc.poll() is None:
        rss = rss_of(proc.pid) or 0
        sampled = max(sampled, rss)
        if kill_above is not None and rss > kill_above:
            proc.kill()
            proc.communicate()
            return {"out": f"killed above {rss / 1e9:.1f} GB", "t": time.perf_counter() - t0, "peak": rss}
        if time.perf_counter() - t0 > timeout:
            proc.kill()
            proc.communicate()
            return {"out": f"timeout after {timeout:.0f} s", "t": timeout, "peak": sampled}
        time.sleep(0.05)
    out, err = proc.communicate()
    for line in out.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    return {"out": (err.strip().splitlines() or ["no output"])[-1], "t": time.perf_counter() - t0,
            "peak": sampled}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=["count", "regions"], help="run only the cases of one function")
    ap.add_argument("--root", default=ROOT, help="source tree to import exact from (default: this one)")
    ap.add_argument("--kill-above", type=parse_size, default=default_kill_above(),
                    help="kill a case whose resident memory passes this size (e.g. 6GB)")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per case")
    args = ap.parse_args(argv)
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"source tree {args.root}; cases killed above "
          f"{'no limit' if args.kill_above is None else f'{args.kill_above / 1e9:.1f} GB'}\n")
    print("| case | outcome | time | peak RSS |")
    print("|---|---|---|---|")
    for label, api, widths, kwargs in CASES:
        if args.only and api != args.only:
            continue
        r = run_case(args.root, api, widths, kwargs, args.kill_above, args.timeout)
        out = r["out"] if len(r["out"]) < 160 else r["out"][:157] + "..."
        print(f"| {label} | {out} | {r['t']:.2f} s | {r['peak'] / 1e9:.2f} GB |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

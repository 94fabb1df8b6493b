"""Exact regions of 3-D and 4-D input nets: exact.nd against parx 0.1.3's pure-Python method (issue 18).

Run on demand (not part of the test suite), on a quiet machine:

    python benchmarks/any_dim.py --parx-python /path/to/venv/bin/python

parx enumerates the activation regions of the whole input space by depth-first facet
flipping with float LPs (``method="exact_python"``); its import insists on a ``julia``
executable on PATH even for the pure-Python method, so the script puts a stub on PATH for
that process (the stub is never run by this method).  Both sides get the same seeded torch
module; each net is timed in a fresh process per tool, best of ``--repeat`` calls, in the
same run; the counts are compared (the exact count is the reference).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NETS = [[3, 8, 1], [3, 12, 1], [3, 8, 8, 1], [4, 8, 1], [4, 6, 6, 1], [3, 16, 1]]

MODULE = """
import torch
def module(widths, seed=0):
    torch.manual_seed(seed)
    layers = []
    for a, b in zip(widths[:-1], widths[1:]):
        layers += [torch.nn.Linear(a, b), torch.nn.ReLU()]
    return torch.nn.Sequential(*layers[:-1])
"""

EXACT = MODULE + """
import json, sys, time
sys.path.insert(0, {root!r})
import exact
m = module({widths!r})
best = None
for _ in range({repeat}):
    t = time.perf_counter(); c = exact.count_regions(m, window=None); dt = time.perf_counter() - t
    best = dt if best is None else min(best, dt)
print(json.dumps({{"count": c.activation, "time": best}}))
"""

PARX = MODULE + """
import json, time
import numpy as np, parx
m = module({widths!r})
best = None
for _ in range({repeat}):
    t = time.perf_counter(); p = parx.compute_partition(m, np.zeros((1, {d})), method="exact_python")
    dt = time.perf_counter() - t
    best = dt if best is None else min(best, dt)
print(json.dumps({{"count": len(p), "time": best}}))
"""


def run(python: str, code: str, env: dict | None = None, timeout: float = 600) -> dict:
    try:
        out = subprocess.run([python, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                             timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"error": f"over {timeout:.0f} s"}
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    return json.loads(lines[-1]) if lines else {"error": (out.stderr.strip().splitlines() or ["?"])[-1][:80]}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parx-python", default=sys.executable, help="a Python with parx==0.1.3 installed")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    stub = tempfile.mkdtemp()
    with open(os.path.join(stub, "julia"), "w") as f:
        f.write("#!/bin/sh\nexit 1\n")
    os.chmod(os.path.join(stub, "julia"), 0o755)
    env = dict(os.environ, PATH=stub + os.pathsep + os.environ.get("PATH", ""))
    print("| net | exact.nd (whole space) | parx exact_python | ratio | counts |\n|---|---|---|---|---|")
    for w in NETS:
        e = run(sys.executable, EXACT.format(root=ROOT, widths=w, repeat=args.repeat))
        p = run(args.parx_python, PARX.format(widths=w, repeat=args.repeat, d=w[0]), env=env)
        label = "-".join(map(str, w))
        if "error" in e or "error" in p:
            print(f"| {label} | {e.get('error', e.get('time'))} | {p.get('error', p.get('time'))} | | |")
            continue
        same = "equal" if e["count"] == p["count"] else f"**differ: exact {e['count']}, parx {p['count']}**"
        print(f"| {label} | {e['time']:.3f} s | {p['time']:.2f} s | {e['time'] / p['time']:.3f}x | "
              f"{e['count']} ({same}) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Exact regions of 3-D and 4-D input nets: exact.nd against parx 0.1.3 and relucent 1.0.0 (issue 18).

Run on demand (not part of the test suite), on a quiet machine:

    python benchmarks/any_dim.py [--parx-python P] [--relucent-python R] [--nets 3-8-1,4-6-6-1]

Each other tool runs from its own virtual environment (a tool whose Python is missing,
or cannot import the tool, gets its column skipped with a message):

    python -m venv /tmp/parxenv && /tmp/parxenv/bin/pip install parx==0.1.3 torch==2.13.0
    python -m venv /tmp/relenv && /tmp/relenv/bin/pip install relucent==1.0.0 torch==2.13.0

(pin torch: an unpinned one pulls a multi-GB CUDA build; relucent needs gurobipy, whose
pip wheel carries a size-limited licence, enough for small nets: a bigger one shows
Gurobi's error in its cell.)

parx enumerates the activation regions of the whole input space by depth-first facet
flipping with float LPs (``method="exact_python"``); its import insists on a ``julia``
executable on PATH even for the pure-Python method, so the script puts a stub on PATH for
that process (the stub is never run by this method).  relucent enumerates them by
breadth-first search over the dual graph with Gurobi LPs (``Complex(module).bfs``, one
worker, ``verify=True``: its certification of completeness included), in the whole space.
Every tool gets the same seeded torch module (each process prints a fingerprint of the
weights; a mismatch is reported); each net is timed in a fresh process per tool, best of
``--repeat`` calls, in the same run (relucent's time includes building its ``Complex``
and, on the first call, starting Gurobi); each tool's cell gives its time, the ratios
exact.nd time / its time (``count_regions``, then ``regions()``, which builds the cells as the
other tools do), and whether its count agrees (the exact count is the reference;
"differ" marks a disagreement).
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
def fingerprint(m):
    return float(sum((p.double() * (k + 1)).sum() for k, p in enumerate(m.parameters())))
"""

EXACT = MODULE + """
import json, sys, time
sys.path.insert(0, {root!r})
import exact
m = module({widths!r})
best = rbest = None
for _ in range({repeat}):
    t = time.perf_counter(); c = exact.count_regions(m, window=None); dt = time.perf_counter() - t
    best = dt if best is None else min(best, dt)
for _ in range({repeat}):  # the cells themselves (polytopes, patterns, maps), as the other tools make them
    t = time.perf_counter(); r = exact.regions(m, window=None); dt = time.perf_counter() - t
    rbest = dt if rbest is None else min(rbest, dt)
assert r.n_activation == c.activation
print(json.dumps({{"count": c.activation, "time": best, "rtime": rbest, "weights": fingerprint(m)}}))
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
print(json.dumps({{"count": len(p), "time": best, "weights": fingerprint(m)}}))
"""

RELUCENT = MODULE + """
import json, time
import relucent
m = module({widths!r})
best = None
for _ in range({repeat}):
    t = time.perf_counter(); cplx = relucent.Complex(m); cplx.bfs(nworkers=1, verbose=0)
    dt = time.perf_counter() - t
    best = dt if best is None else min(best, dt)
print(json.dumps({{"count": len(cplx), "time": best, "weights": fingerprint(m)}}))
"""

TOOLS = {"parx": ("parx", PARX), "relucent": ("relucent", RELUCENT)}


def run(python: str, code: str, env: dict | None = None, timeout: float = 600) -> dict:
    try:
        out = subprocess.run([python, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                             timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"error": f"over {timeout:.0f} s"}
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    return json.loads(lines[-1]) if lines else {"error": (out.stderr.strip().splitlines() or ["?"])[-1][:80]}


def usable(python: str, module: str, env: dict | None = None) -> str | None:
    """None when ``python`` exists and imports ``module``, else why not (the column is skipped)."""
    if not os.path.exists(python):
        return f"{python} does not exist"
    out = subprocess.run([python, "-c", f"import {module}"], capture_output=True, text=True, env=env)
    return None if out.returncode == 0 else f"{python} cannot import {module}: " + \
        (out.stderr.strip().splitlines() or ["?"])[-1][:80]


def cell(exact: dict, other: dict | None, name: str) -> str:
    """One tool's column: time, ratio, and whether its count agrees with the exact one."""
    if other is None:
        return "skipped"
    if "error" in other:
        return f"error: {other['error']}"
    if "error" in exact:
        return f"{other['time']:.2f} s, {other['count']} regions"
    note = "" if other["weights"] == exact["weights"] else " **other weights!**"
    same = "equal" if other["count"] == exact["count"] else f"**differ: {name} {other['count']}**"
    return (f"{other['time']:.2f} s ({exact['time'] / other['time']:.3f}x, regions() "
            f"{exact['rtime'] / other['time']:.3f}x; {same}){note}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parx-python", default="/tmp/parxenv/bin/python", help="a Python with parx==0.1.3")
    ap.add_argument("--relucent-python", default="/tmp/relenv/bin/python", help="a Python with relucent==1.0.0")
    ap.add_argument("--nets", default=None, help="comma-separated widths such as 3-8-1,4-6-6-1 (default: all)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    nets = NETS if args.nets is None else [[int(v) for v in s.split("-")] for s in args.nets.split(",")]
    stub = tempfile.mkdtemp()
    with open(os.path.join(stub, "julia"), "w") as f:
        f.write("#!/bin/sh\nexit 1\n")
    os.chmod(os.path.join(stub, "julia"), 0o755)
    env = dict(os.environ, PATH=stub + os.pathsep + os.environ.get("PATH", ""))
    pythons = {"parx": args.parx_python, "relucent": args.relucent_python}
    live = {}
    for name, (module, _) in TOOLS.items():
        why = usable(pythons[name], module, env)
        if why:
            print(f"{name} column skipped: {why}")
        live[name] = why is None
    print("| net | exact.nd count_regions / regions (whole space) | parx exact_python | relucent bfs | exact count |"
          "\n|---|---|---|---|---|")
    for w in nets:
        e = run(sys.executable, EXACT.format(root=ROOT, widths=w, repeat=args.repeat))
        cols = [cell(e, run(pythons[n], code.format(widths=w, repeat=args.repeat, d=w[0]), env=env)
                     if live[n] else None, n) for n, (_, code) in TOOLS.items()]
        ours = f"error: {e['error']}" if "error" in e else f"{e['time']:.3f} s / {e['rtime']:.3f} s"
        print(f"| {'-'.join(map(str, w))} | {ours} | {' | '.join(cols)} | {e.get('count', '')} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

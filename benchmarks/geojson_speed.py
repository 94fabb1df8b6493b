"""Whole-result operations against regions() (issue 15): to_geojson(), write_geojson(), the CLI against the API.

Run on demand (not part of the test suite), on a quiet machine:

    python benchmarks/geojson_speed.py

Each case runs in a fresh process (best of two): ``regions()``, ``to_geojson()`` (with the
peak memory, and the full ``gc.collect()`` it leaves pending, timed apart: the collector's
full collections are held while the dict is made, see :mod:`exact.gc_pause`), then the
floor: the same dicts built again from ready values (the floats and strings of the first
dict, so only CPython's cost of making the objects, with the same collector policy), then
``write_geojson(path)`` to a temporary file, on seed-0 nets in
``[-10, 10]^2`` (one hidden layer, and 2-64-64-64-64-1); then
``regions()`` + ``summary()`` in Python against the ``exactnet regions`` process on the
same spec file (what the CLI prints), both with bytecode cached as an installed package has it
(``PYTHONPYCACHEPREFIX`` in a temporary directory, even where ``PYTHONDONTWRITEBYTECODE`` is
set: without it every process compiles the package's ~70 modules again, about 0.1 s more).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASE = r'''
import gc, json, resource, sys, tempfile, time
sys.path.insert(0, {root!r})
import exact
from exact.gc_pause import full_collections_held


def floor(ready):
    """The same dicts from ready values (floats, strings): what building them costs in CPython alone."""
    with full_collections_held():  # the collector policy to_geojson uses
        feats = [{{"type": "Feature", "geometry": {{"type": "Polygon", "coordinates": [[[x, y] for x, y in ring]]}},
                   "properties": {{"index": i, "pattern": pat, "linear_region": lr, "bounded": bd, "area": a,
                                  "gradient": [[*row] for row in grad], "offset": [*off]}}}}
                 for ring, i, pat, lr, bd, a, grad, off in ready]
    return {{"type": "FeatureCollection", "features": feats}}


loaded = [getattr(exact, name) for name in exact.__all__]  # its lazy names, before any clock
from numeric.models import seeded_mlp
en = exact.as_exact_net(seeded_mlp({widths}, seed=0))
t = time.perf_counter(); r = exact.regions(en); t1 = time.perf_counter() - t
t = time.perf_counter(); g = r.to_geojson(); t2 = time.perf_counter() - t
t = time.perf_counter(); gc.collect(); c2 = time.perf_counter() - t  # the full collection it leaves pending
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
ready = [(tuple(map(tuple, f["geometry"]["coordinates"][0])), *f["properties"].values()) for f in g["features"]]
del g
gc.collect()
t = time.perf_counter(); f = floor(ready); t4 = time.perf_counter() - t
t = time.perf_counter(); gc.collect(); c4 = time.perf_counter() - t
del f, ready
gc.collect()
with tempfile.TemporaryDirectory() as tmp:
    t = time.perf_counter(); r.write_geojson(tmp + "/r.geojson"); t3 = time.perf_counter() - t
print(json.dumps({{"regions": t1, "geojson": t2, "geojson_gc": c2, "write": t3, "floor": t4, "floor_gc": c4,
                  "cells": r.n_activation, "peak_gb": peak}}))
'''
API = r'''
import json, sys, time
sys.path.insert(0, {root!r})
import exact
loaded = [getattr(exact, name) for name in exact.__all__]  # what the old eager ``import exact`` loaded
t = time.perf_counter(); r = exact.regions({spec!r}); s = r.summary()
print(json.dumps({{"api": time.perf_counter() - t}}))
'''


def run(code: str, env: dict | None = None) -> dict:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    print("| net | regions() | to_geojson() | ratio | + the gc.collect() it leaves | peak RSS | write_geojson() "
          "| ratio |\n|---|---|---|---|---|---|---|---|")
    for widths in ([2, 300, 1], [2, 1000, 1], [2, 64, 64, 64, 64, 1]):
        d = min((run(CASE.format(root=ROOT, widths=widths)) for _ in range(2)),
                key=lambda d: d["regions"] + d["geojson"])
        print(f"| {'-'.join(map(str, widths))} ({d['cells']:,} cells) | {d['regions']:.2f} s | "
              f"{d['geojson']:.2f} s | {d['geojson'] / d['regions']:.2f}× | {d['geojson_gc']:.2f} s | "
              f"{d['peak_gb']:.2f} GB | {d['write']:.2f} s | {d['write'] / d['regions']:.2f}× |")
        print(f"| floor: same-shape dicts from ready values | | {d['floor']:.2f} s | "
              f"{d['floor'] / d['regions']:.2f}× | {d['floor_gc']:.2f} s | | | |")
    sys.path.insert(0, ROOT)
    import exact
    from numeric.models import seeded_mlp

    with tempfile.TemporaryDirectory() as tmp:
        spec = os.path.join(tmp, "net.json")
        exact.save_json(seeded_mlp([2, 1000, 1], seed=0), spec)
        # as installed: bytecode cached (pip compiles it), even where PYTHONDONTWRITEBYTECODE is set
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = os.path.join(tmp, "pycache")
        cli_cmd = [sys.executable, "-m", "exact.cli", "regions", spec, "-q"]
        subprocess.run(cli_cmd, capture_output=True, check=True, cwd=ROOT, env=env)  # writes the cache
        api = min(run(API.format(root=ROOT, spec=spec), env)["api"] for _ in range(3))
        cli = []
        for _ in range(3):
            t = time.perf_counter()
            subprocess.run(cli_cmd, capture_output=True, check=True, cwd=ROOT, env=env)
            cli.append(time.perf_counter() - t)
    print(f"\n2-1000-1 regions + summary: API {api:.2f} s; `exactnet regions` process {min(cli):.2f} s "
          f"({min(cli) / api:.2f}×, the process start and imports included; bytecode cached, best of 3)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

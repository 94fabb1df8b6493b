"""Many nets and one huge net on two cores: serial against a process pool and a dask cluster (issue 17).

Run on demand (not part of the test suite), on a quiet machine:

    python benchmarks/parallel.py            # every case
    python benchmarks/parallel.py --quick    # fewer checkpoints, smaller nets

Every ratio compares with the serial run of the same job, timed in the same run; counts
must be identical (the script stops if they are not).  Checkpoints: a 2-64-64-1 net
trained with Adam on a fixed two-spirals problem, saved after every epoch.  The dask
cluster is a ``LocalCluster`` of 2 worker processes with 1 thread each, started before the
clock (its start-up is reported apart).
"""

from __future__ import annotations

import argparse
import importlib
import math
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch  # noqa: E402

import exact  # noqa: E402


def checkpoints(n: int) -> list:
    """``n`` state snapshots of a 2-64-64-1 net trained one epoch further each time."""
    torch.manual_seed(0)
    t = torch.linspace(0, 3 * math.pi, 400)
    X = torch.cat([torch.stack([t * torch.cos(t), t * torch.sin(t)], 1),
                   torch.stack([-t * torch.cos(t), -t * torch.sin(t)], 1)]) / 5
    y = torch.cat([torch.zeros(400), torch.ones(400)])
    net = torch.nn.Sequential(torch.nn.Linear(2, 64), torch.nn.ReLU(), torch.nn.Linear(64, 64),
                              torch.nn.ReLU(), torch.nn.Linear(64, 1))
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    out = []
    for _ in range(n):
        for _ in range(20):
            opt.zero_grad()
            torch.nn.functional.binary_cross_entropy_with_logits(net(X)[:, 0], y).backward()
            opt.step()
        out.append(exact.as_exact_net(net))
    return out


def _warm(_: int) -> bool:
    """Import the package in a worker (before the clock starts)."""
    importlib.import_module("exact")
    return True


def timed(f):
    t = time.perf_counter()
    r = f()
    return r, time.perf_counter() - t


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    n = 20 if args.quick else 60
    nets = checkpoints(n)
    rows = []
    serial, ts = timed(lambda: exact.count_many(nets, window=10))
    rows.append((f"{n} checkpoints of 2-64-64-1, serial", ts, 1.0))
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_warm, range(4)))  # start the workers before the clock
        pooled, tp = timed(lambda: exact.count_many(nets, window=10, executor=pool))
        again, tp2 = timed(lambda: exact.count_many(nets, window=10, executor=pool))
    assert pooled == serial == again, "process pool counts differ"
    rows.append(("  same, ProcessPoolExecutor(2), workers' first batch", tp, ts / tp))
    rows.append(("  same, the same pool again (workers warm)", tp2, ts / tp2))
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        rows.append(("  same, dask: not installed (pip install 'exactnet[dask]')", math.nan, math.nan))
    else:
        import dask

        # the README's setting: without it dask's MALLOC_TRIM_THRESHOLD_=65536 makes each net
        # ~1.7x slower in the workers (glibc's adaptive mmap threshold is off)
        dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None})
        t0 = time.perf_counter()
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
                Client(cluster) as client:
            start = time.perf_counter() - t0
            ex = client.get_executor()
            client.run(_warm, 0)  # every worker imports before the clock
            exact.count_many(nets[:2], executor=ex)
            dasked, td = timed(lambda: exact.count_many(nets, window=10, executor=ex))
            again, td2 = timed(lambda: exact.count_many(nets, window=10, executor=ex))
        assert dasked == serial == again, "dask counts differ"
        rows.append((f"  same, dask LocalCluster(2 x 1 thread) (start-up {start:.1f} s apart)", td, ts / td))
        rows.append(("  same, the same cluster again (workers warm)", td2, ts / td2))
    widths = [2, 64, 64, 64, 1] if args.quick else [2, 128, 128, 128, 128, 1]
    import numeric

    big = exact.as_exact_net(numeric.seeded_mlp(widths, seed=0))
    one, t1 = timed(lambda: exact.count_regions(big, window=10))
    label = "-".join(map(str, widths))
    rows.append((f"{label}, untiled, one process", t1, 1.0))
    tiled, tt = timed(lambda: exact.count_regions(big, window=10, tiles=4))
    assert tiled == one, "tiled counts differ"
    rows.append(("  same, 4x4 tiles, serial", tt, t1 / tt))
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_warm, range(4)))
        tiled2, tt2 = timed(lambda: exact.count_regions(big, window=10, tiles=4, executor=pool))
    assert tiled2 == one, "tiled counts on the pool differ"
    rows.append(("  same, 4x4 tiles, ProcessPoolExecutor(2)", tt2, t1 / tt2))
    print(f"Machine: {os.cpu_count()} cores; counts identical in every row ({one} for {label}).\n")
    print("| job | time | speed-up vs serial |\n|---|---|---|")
    for name, t, r in rows:
        print(f"| {name} | {t:.2f} s | {r:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

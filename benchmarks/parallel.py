"""Many nets and one huge net on two cores: serial against a process pool and a dask cluster (issue 17).

Run on demand (not part of the test suite), on a quiet machine:

    python benchmarks/parallel.py            # every case
    python benchmarks/parallel.py --quick    # fewer checkpoints, smaller nets
    python benchmarks/parallel.py --quick --tiles-only   # one small net in tiles: a few seconds
    python benchmarks/parallel.py --tiles-only --grids 4 # one big net in 4 x 4 tiles only
    python benchmarks/parallel.py --plane-only           # one big net's whole plane, untiled and in tiles

Every ratio compares with the serial run of the same job, timed in the same run; counts
must be identical (the script stops if they are not).  Checkpoints: a 2-64-64-1 net
trained with Adam on a fixed two-spirals problem, saved after every epoch.  The dask
cluster is a ``LocalCluster`` of 2 worker processes with 1 thread each, started before the
clock (its start-up is reported apart).  The "timeline" rows run one more batch with each
chunk timed in its worker: the idle time of each worker (before its first chunk, between
chunks, after its last) and the CPU of the workers and of the caller (which holds the dask
scheduler of a ``LocalCluster``).  On a machine others use too, judge by these rather than by
the wall ratios alone.

One big net in tiles: the untiled time is the best of three runs (its page-fault kernel
time swings between runs, and a slow baseline flatters the tiles).  The per-tile overhead
is the tiled run on one warm worker (``ProcessPoolExecutor(1)``: pickling, the join, every
tile's own set-up; the best of three) against the untiled run there (also the best of three), in percent
(issue 17's goal: under 5 %).  Tiles are balanced by estimated cells (the default); ``--even`` adds the rows of the even grid for comparison.  The rows
"workers' first count" use a plain ``ProcessPoolExecutor(2)`` (``fork``) and exactnet's own
``process_pool(2)`` (``forkserver``, each worker warmed by
:func:`exact.worker_threads.warm_worker` when it starts, before the clock).  Memory: the peak resident memory
(``ru_maxrss``) each worker reaches above its idle peak (after importing exact), for the
untiled run in a fresh worker and for the tiles on a fresh pool of two; a worker that
ran a bigger job before keeps that peak, hence the fresh pools.

The whole plane of the same net: the untiled count (best of three) against the count of its
certified box in tiles (:mod:`exact._certified.plane_frame` certifies the box from a thin frame
along its sides first; its time is shown apart and is part of every tiled row), serial, on one
warm worker, and on a pool of two.  The tiles count the box's last layer without building it,
as every tiled count does, while the untiled whole-plane count builds it for its certificate, so
even the serial tiles can be faster than the untiled run.
"""

from __future__ import annotations

import argparse
import copy
import importlib
import math
import multiprocessing
import os
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from fractions import Fraction

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch  # noqa: E402

import exact  # noqa: E402
from exact.tiled_counts import count_in_tiles  # noqa: E402
from exact.worker_threads import process_pool  # noqa: E402


def checkpoints(n: int, modules: bool = False) -> list:
    """``n`` state snapshots of a 2-64-64-1 net trained one epoch further each time.

    As ExactNets (read here, before any clock), or with ``modules=True`` as copies of the
    torch module, which ``count_many`` reads in the calling process (about 0.4 - 1.1 ms each).
    """
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
        out.append(copy.deepcopy(net) if modules else exact.as_exact_net(net))
    return out


def _chunk_with_times(nets, task) -> list:
    """Count a chunk as ``count_many``'s workers do, and add its worker, wall times and CPU as a last item.

    The caller zips a chunk's nets with its outcomes, so the extra item is not read as one;
    :func:`_submit_timed`'s callback takes it.
    """
    from exact import many_nets

    t0, c0 = time.time(), time.process_time()
    out = many_nets._count_chunk(nets, task)
    return out + [(os.getpid(), t0, time.time(), time.process_time() - c0)]


_CHUNKS: list = []
"""``(worker pid, start, end, CPU seconds)`` of each chunk of the timed batch."""


def _submit_timed(pool, batch, task):
    """``many_nets._submit_chunk`` with :func:`_chunk_with_times` (random dask keys, as there)."""
    dask = type(pool).__module__.startswith("distributed")
    fut = pool.submit(_chunk_with_times, [e for _, _, e in batch], task, **({"pure": False} if dask else {}))
    fut.add_done_callback(lambda f: _CHUNKS.append(f.result()[-1]) if f.exception() is None else None)
    return fut


def timeline(label: str, run) -> tuple:
    """Run one batch with every chunk timed in its worker: a row of idle time per worker and CPU totals.

    A worker's idle time is the wall time of the batch during which it ran no chunk: before
    its first (lead), between two (round trips) and after its last (tail).  Judge parallel
    runs by these and by the CPU, not by the wall ratio alone, on a machine others use too.
    """
    from exact import many_nets

    _CHUNKS.clear()
    submit, many_nets._submit_chunk = many_nets._submit_chunk, _submit_timed
    try:
        c0, t0 = time.process_time(), time.time()
        result = run()
        t1, caller = time.time(), time.process_time() - c0
    finally:
        many_nets._submit_chunk = submit
    parts = []
    for pid in sorted({c[0] for c in _CHUNKS}):
        mine = sorted(c[1:] for c in _CHUNKS if c[0] == pid)
        between = sum(b[0] - a[1] for a, b in zip(mine, mine[1:]))
        lead, tail = mine[0][0] - t0, t1 - mine[-1][1]
        parts.append(f"{lead + between + tail:.3f} s (lead {lead:.3f}, between {between:.3f}, tail {tail:.3f}; "
                     f"{len(mine)} chunks, CPU {sum(c[2] for c in mine):.2f} s)")
    row = (f"  timeline, {label}: idle per worker {'; '.join(parts)}; caller CPU {caller:.2f} s", t1 - t0, math.nan)
    return result, row


def _warm(_: int) -> bool:
    """Import the counting modules in a worker, before the clock (``import exact`` loads nothing now)."""
    from exact.worker_threads import COUNTING_MODULES

    for name in COUNTING_MODULES:
        importlib.import_module(name)
    return True


def timed(f):
    t = time.perf_counter()
    r = f()
    return r, time.perf_counter() - t


def cpu_split(f) -> tuple[float, float]:
    """The user and kernel CPU seconds of this process while ``f()`` runs.

    Kernel time is mostly page faults of fresh memory (numpy asks for transparent huge pages,
    which the kernel may compact memory for): big untiled arrays pay it on every count.
    """
    a = resource.getrusage(resource.RUSAGE_SELF)
    f()
    b = resource.getrusage(resource.RUSAGE_SELF)
    return b.ru_utime - a.ru_utime, b.ru_stime - a.ru_stime


def many_net_rows(n: int) -> list:
    """Rows for ``n`` checkpoints counted serially, on a process pool and on a dask cluster."""
    nets = checkpoints(n)
    modules = checkpoints(n, modules=True)
    rows = []
    serial, ts = timed(lambda: exact.count_many(nets, window=10))
    rows.append((f"{n} checkpoints of 2-64-64-1, serial", ts, 1.0))
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_warm, range(4)))  # start the workers before the clock
        pooled, tp = timed(lambda: exact.count_many(nets, window=10, executor=pool))
        again, tp2 = timed(lambda: exact.count_many(nets, window=10, executor=pool))
        read, tp3 = timed(lambda: exact.count_many(modules, window=10, executor=pool))
        traced, pool_row = timeline("ProcessPoolExecutor(2) warm", lambda: exact.count_many(nets, window=10,
                                                                                           executor=pool))
    assert pooled == serial == again == read == traced, "process pool counts differ"
    rows.append(("  same, ProcessPoolExecutor(2), workers' first batch", tp, ts / tp))
    rows.append(("  same, the same pool again (workers warm)", tp2, ts / tp2))
    rows.append(("  same, torch modules read in this process, on the same pool", tp3, ts / tp3))
    rows.append(pool_row)
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        rows.append(("  same, dask: not installed (pip install 'exactnet[dask]')", math.nan, math.nan))
        return rows
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
        exact.count_many(nets[:2], executor=ex)  # and count_many warms them (DASK_HEAP_RESERVE)
        dasked, td = timed(lambda: exact.count_many(nets, window=10, executor=ex))
        again, td2 = timed(lambda: exact.count_many(nets, window=10, executor=ex))
        traced, dask_row = timeline("dask (its scheduler's CPU in the caller's)",
                                    lambda: exact.count_many(nets, window=10, executor=ex))
    assert dasked == serial == again == traced, "dask counts differ"
    rows.append((f"  same, dask LocalCluster(2 x 1 thread) (start-up {start:.1f} s apart)", td, ts / td))
    rows.append(("  same, the same cluster again (workers warm)", td2, ts / td2))
    rows.append(dask_row)
    return rows


def _peak_kb(barrier=None) -> int:
    """The peak resident memory of this process so far, in KiB (``ru_maxrss`` on Linux).

    With a barrier, every worker of a pool waits for the others: each answers once.
    """
    if barrier is not None:
        barrier.wait(60)
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _untiled_in_worker(net) -> tuple:
    """Count in this worker: the counts, the time, and the worker's peak memory before and after."""
    before = _peak_kb()
    counts, seconds = timed(lambda: exact.count_regions(net, window=10))
    return counts, seconds, before, _peak_kb()


def _pool_peaks(pool, n: int, manager) -> list[int]:
    """The peak memory of each of the pool's ``n`` workers (a barrier makes each answer once)."""
    barrier = manager.Barrier(n)
    return [f.result() for f in [pool.submit(_peak_kb, barrier) for _ in range(n)]]


def even_rows(big, label: str, tiles: int, t1: float, one) -> list:
    """Rows of the even grid (``balance=False``): serial, and on a warm pool of two."""
    def even(executor=None):
        return count_in_tiles(big, Fraction(10), tiles, executor=executor, balance=False)

    tiled, tt = timed(even)
    assert tiled == one, "tiled counts on the even grid differ"
    rows = [(f"{label}, {tiles}x{tiles} even tiles, serial (overhead {100 * (tt - t1) / t1:+.1f} %)", tt, t1 / tt)]
    with process_pool(2) as pool:
        list(pool.map(_warm, range(4)))
        first, tf = timed(lambda: even(pool))
        again, ta = timed(lambda: even(pool))
    assert first == again == one, "tiled counts on the even grid differ"
    rows.append(("  same, even tiles, process_pool(2), workers' first count", tf, t1 / tf))
    rows.append(("  same, even tiles, the same pool again (workers warm)", ta, t1 / ta))
    return rows


def tile_rows(widths: list[int], tiles: int, even: bool = False) -> list:
    """Rows for one net counted untiled and in ``tiles x tiles`` tiles: time, overhead, memory."""
    import numeric

    big = exact.as_exact_net(numeric.seeded_mlp(widths, seed=0))
    label = "-".join(map(str, widths))
    exact.count_regions(big, window=10)  # the first count in a process pays its page faults: not timed
    # best of three: the untiled run's kernel time (page faults, huge-page compaction) swung from 0.04 s to
    # 0.70 s between runs of the same count, and a slow baseline flatters every tile ratio below
    runs = [timed(lambda: exact.count_regions(big, window=10)) for _ in range(3)]
    one, t1 = min(runs, key=lambda r: r[1])
    rows = [(f"{label}, untiled, one process", t1, 1.0)]
    # best of three too, as the baseline: one tiled run against the best of three untiled ones counted
    # the tiles' first-run page faults as their overhead
    tiled, tt = min((timed(lambda: exact.count_regions(big, window=10, tiles=tiles)) for _ in range(3)),
                    key=lambda r: r[1])
    assert tiled == one, "tiled counts differ"
    rows.append((f"  same, {tiles}x{tiles} tiles, serial (overhead {100 * (tt - t1) / t1:+.1f} %)", tt, t1 / tt))
    u1, k1 = min((cpu_split(lambda: exact.count_regions(big, window=10)) for _ in range(3)), key=sum)
    ut, kt = min((cpu_split(lambda: exact.count_regions(big, window=10, tiles=tiles)) for _ in range(3)), key=sum)
    rows.append((f"  CPU, serial: untiled {u1:.2f} s user + {k1:.2f} s kernel; {tiles}x{tiles} tiles {ut:.2f} s "
                 f"user ({100 * (ut - u1) / u1:+.1f} %) + {kt:.2f} s kernel", math.nan, math.nan))
    with multiprocessing.Manager() as manager:
        with ProcessPoolExecutor(1) as pool:  # per-tile overhead: the tiles on one worker, warm
            list(pool.map(_warm, range(2)))
            untiled_w, _, before, peak1 = pool.submit(_untiled_in_worker, big).result()  # fresh: memory
            assert untiled_w == one
            t1w = min(pool.submit(_untiled_in_worker, big).result()[1] for _ in range(3))  # warm: best of 3
            tiled1, tw = min((timed(lambda: exact.count_regions(big, window=10, tiles=tiles, executor=pool))
                              for _ in range(3)), key=lambda r: r[1])  # best of 3, as the baseline
        assert tiled1 == one, "tiled counts on one worker differ"
        over = 100 * (tw - t1w) / t1w
        rows.append((f"  same, {tiles}x{tiles} tiles, ProcessPoolExecutor(1): overhead {over:+.1f} % of the "
                     f"untiled run in that worker ({t1w:.2f} s; {1000 * (tw - t1w) / tiles**2:+.1f} ms a tile)",
                     tw, t1w / tw))
        with ProcessPoolExecutor(2) as pool:
            list(pool.map(_warm, range(4)))
            bases = _pool_peaks(pool, 2, manager)
            tiled2, tt2 = timed(lambda: exact.count_regions(big, window=10, tiles=tiles, executor=pool))
            peaks = _pool_peaks(pool, 2, manager)
            again, tt3 = timed(lambda: exact.count_regions(big, window=10, tiles=tiles, executor=pool))
        assert tiled2 == one == again, "tiled counts on the pool differ"
    # the untiled time is that of a warm process (its first count is not timed): compare both
    rows.append((f"  same, {tiles}x{tiles} tiles, ProcessPoolExecutor(2), workers' first count", tt2, t1 / tt2))
    rows.append((f"  same, {tiles}x{tiles} tiles, the same pool again (workers warm)", tt3, t1 / tt3))
    with process_pool(2) as pool:  # forkserver, workers warmed as they start (before the clock)
        list(pool.map(_warm, range(4)))
        warmed, tw2 = timed(lambda: exact.count_regions(big, window=10, tiles=tiles, executor=pool))
    assert warmed == one, "tiled counts on process_pool differ"
    rows.append((f"  same, {tiles}x{tiles} tiles, process_pool(2) (warm_worker), workers' first count", tw2,
                 t1 / tw2))
    grew = [(p - b) / 1024 for p, b in zip(peaks, bases)]
    untiled_mb = (peak1 - before) / 1024
    rows.append((f"  peak memory per worker over its idle peak: untiled {untiled_mb:.1f} MB; "
                 f"{tiles}x{tiles} tiles on 2 workers {' and '.join(f'{g:.1f}' for g in grew)} MB", math.nan, math.nan))
    return rows + (even_rows(big, label, tiles, t1, one) if even else [])


def _plane_in_worker(net) -> tuple:
    """The untiled whole-plane count in a worker, timed there."""
    return timed(lambda: exact.count_regions(net, window=None))


def _plane_grid_rows(big, one, t1: float, n: int) -> list:
    """Rows for the whole plane of ``big`` in ``n x n`` tiles: serial, one worker, a pool of two."""
    def tiled(executor=None):
        return exact.count_regions(big, window=None, tiles=n, executor=executor)

    got, tt = min((timed(tiled) for _ in range(3)), key=lambda r: r[1])
    assert got == one, "tiled whole-plane counts differ"
    rows = [(f"  same, {n}x{n} tiles, serial", tt, t1 / tt)]
    with ProcessPoolExecutor(1) as pool:  # per-tile cost: the tiles on one warm worker
        list(pool.map(_warm, range(2)))
        t1w = min(pool.submit(_plane_in_worker, big).result()[1] for _ in range(3))
        got1, tw = min((timed(lambda: tiled(pool)) for _ in range(3)), key=lambda r: r[1])
    assert got1 == one, "tiled whole-plane counts on one worker differ"
    rows.append((f"  same, {n}x{n} tiles, ProcessPoolExecutor(1): {100 * (tw - t1w) / t1w:+.1f} % against "
                 f"the untiled count in that worker ({t1w:.2f} s)", tw, t1w / tw))
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_warm, range(4)))
        first, ta = timed(lambda: tiled(pool))
        again, tb = min((timed(lambda: tiled(pool)) for _ in range(3)), key=lambda r: r[1])
    assert first == again == one, "tiled whole-plane counts on the pool differ"
    rows.append((f"  same, {n}x{n} tiles, ProcessPoolExecutor(2), workers' first count", ta, t1 / ta))
    rows.append((f"  same, {n}x{n} tiles, the same pool again (workers warm, best of 3)", tb, t1 / tb))
    return rows


def plane_rows(widths: list[int], grids: list[int]) -> list:
    """Rows for one net's whole-plane count: untiled, its frame certificate, and tiles of its box."""
    import numeric
    from exact._certified.plane_frame import certified_plane_box
    from exact.line_count import initial_box

    big = exact.as_exact_net(numeric.seeded_mlp(widths, seed=0))
    label = "-".join(map(str, widths))
    exact.count_regions(big, window=None)  # first count in the process: not timed
    one, t1 = min((timed(lambda: exact.count_regions(big, window=None)) for _ in range(3)), key=lambda r: r[1])
    rows = [(f"{label}, whole plane, untiled, one process", t1, 1.0)]
    half, tf = min((timed(lambda: certified_plane_box(big, start=initial_box(big) * 256)) for _ in range(3)),
                   key=lambda r: r[1])
    rows.append((f"  its box [-{half}, {half}]^2 certified from the frame alone (part of every tiled row)", tf,
                 math.nan))
    for n in grids:
        rows += _plane_grid_rows(big, one, t1, n)
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer checkpoints, a smaller net")
    ap.add_argument("--tiles-only", action="store_true", help="only the one-big-net rows")
    ap.add_argument("--grids", default="2,4", help="tile grids to time, N for N x N (default: 2,4)")
    ap.add_argument("--even", action="store_true", help="also the even grid of tiles (balance=False)")
    ap.add_argument("--plane-only", action="store_true", help="only the whole-plane rows")
    args = ap.parse_args(argv)
    _warm(0)  # the serial runs' imports before any clock, as the workers'
    grids = [int(v) for v in args.grids.split(",")]
    widths = [2, 64, 64, 64, 1] if args.quick else [2, 128, 128, 128, 128, 1]
    rows = [] if args.tiles_only or args.plane_only else many_net_rows(20 if args.quick else 60)
    for n in [] if args.plane_only else grids:
        rows += tile_rows(widths, n, args.even)
    rows += plane_rows(widths, grids)
    print(f"Machine: {os.cpu_count()} cores; counts identical in every row.\n")
    print("| job | time | speed-up vs serial |\n|---|---|---|")
    for name, t, r in rows:
        print(f"| {name} | {t:.2f} s | {r:.2f}x |" if r == r else f"| {name} | {t:.2f} s | |" if t == t
              else f"| {name} | | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

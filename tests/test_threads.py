"""The certified engine holds BLAS to one thread while it runs, and gives the caller's setting back."""

import multiprocessing
import platform
import sys
import types
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

import exact
import exact._certified.subdivision as subdivision
from exact import worker_threads
from exact._certified import batched_counts
from exact._certified.threads import one_blas_thread


def _blas_threads():
    """Threads of numpy's BLAS (the engine's; other libraries, e.g. scipy's, may load later)."""
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas" and "numpy" in i["filepath"]]


def test_one_thread_inside_and_the_callers_setting_after(monkeypatch):
    seen = []
    real = subdivision.Subdivision.split_layer

    def spy(self, *args, **kwargs):
        seen.append(_blas_threads())
        return real(self, *args, **kwargs)

    monkeypatch.setattr(subdivision.Subdivision, "split_layer", spy)
    net = exact.as_exact_net([([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0]), ([[1.0, -1.0]], [0.5]),
                              ([[1.0]], [0.0])])
    with threadpool_limits(2, user_api="blas"):
        before = _blas_threads()
        # quadrants; z = relu(x) - relu(y) + 1/2 cuts the two upper ones (y = 1/2, y = x + 1/2);
        # the two cells where z < 0 both output 0 and meet along x = 0: 6 cells, 5 linear
        assert batched_counts(net, exact.validation.check_window(3)) == (6, 5)
        assert _blas_threads() == before  # restored
    assert seen and all(t == [1] * len(t) for t in seen)


def test_the_wrapper_keeps_name_and_result():
    @one_blas_thread
    def product(a):
        """Doc."""
        return a @ a

    assert product.__name__ == "product" and product.__doc__ == "Doc."
    assert product(np.eye(2)).tolist() == [[1.0, 0.0], [0.0, 1.0]]


def test_only_the_main_thread_sets_the_limit_and_lifts_it_once(monkeypatch):
    # found when count_many ran counts in a ThreadPoolExecutor: with one limit per call, the
    # first call to leave restored the caller's setting under the second, which then
    # "restored" one thread for good.  A limit shared by all threads (set by the first, lifted
    # by the last) failed too: OpenBLAS ignores a restore from a pool thread, so a pool thread
    # leaving last kept one thread for good (test_regressions has the real library's case).
    # The bookkeeping is checked on a recording controller.
    import threading

    import exact._certified.threads as threads

    log = []

    class Limit:
        def restore_original_limits(self):
            log.append("restore")

    class Controller:
        def limit(self, limits):
            log.append(f"limit {limits}")
            return Limit()

    monkeypatch.setattr(threads, "_blas", lambda: Controller())
    started = threading.Barrier(2)
    first_out, second_out = threading.Event(), threading.Event()

    @one_blas_thread
    def work(wait):
        started.wait()
        wait.wait()

    a = threading.Thread(target=work, args=(first_out,), daemon=True)
    b = threading.Thread(target=work, args=(second_out,), daemon=True)
    a.start(), b.start()
    first_out.set(), second_out.set()
    a.join(10), b.join(10)
    assert log == []  # pool threads: a limit there would change nothing, and its restore neither

    @one_blas_thread
    def in_pool():
        started.wait()
        first_out.wait()

    @one_blas_thread
    def in_main():
        @one_blas_thread
        def nested():
            return None

        nested()
        t = threading.Thread(target=in_pool, daemon=True)
        t.start()
        started.wait()
        return t

    started.reset()
    first_out.clear()
    t = in_main()
    during = list(log)  # the main thread has left; the pool thread is still inside
    first_out.set()
    t.join(10)
    assert during == ["limit 1", "restore"] and log == during


# --- worker processes: exact.worker_threads ----------------------------------------------

def _faults_of_fresh_memory():
    """Page faults of touching 1 MB freshly allocated and freed once before (below numpy's huge pages)."""
    import resource

    np.ones(1 << 17).sum()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    np.ones(1 << 17).sum()
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


def _imported(names):
    import sys

    return [n for n in names if n in sys.modules]


@pytest.mark.skipif(not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
                    reason="the heap is kept with glibc's mallopt")
def test_a_warmed_worker_has_its_heap_and_modules_ready():
    # 1 MB is 256 pages: a cold process grows its heap for them (measured: 187 - 203 faults);
    # a warmed one takes them from the heap it touched and kept (0)
    ctx = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(1, mp_context=ctx) as cold, worker_threads.process_pool(1) as warm:
        assert cold.submit(_faults_of_fresh_memory).result() >= 100
        assert warm.submit(_faults_of_fresh_memory).result() < 20
        loaded = warm.submit(_imported, ["exact.tiled_counts", "threadpoolctl", "torch", "sympy",
                                         "matplotlib"]).result()
    assert loaded == ["exact.tiled_counts", "threadpoolctl"]   # what counting needs, nothing more


def test_one_thread_finds_the_thread_pools_once_until_a_module_is_imported(monkeypatch):
    monkeypatch.setattr(worker_threads, "_POOLS", [])
    found = []
    for _ in range(3):
        with worker_threads.one_thread(parent=-1):
            assert {d["num_threads"] for d in threadpool_info() if d["user_api"] == "blas"} == {1}
        found.append(worker_threads._POOLS[1])
    assert found[0] is found[1] is found[2]
    monkeypatch.setitem(sys.modules, "a_module_just_imported", types.ModuleType("a_module_just_imported"))
    with worker_threads.one_thread(parent=-1):
        pass
    assert worker_threads._POOLS[1] is not found[0]

"""The certified engine holds BLAS to one thread while it runs, and gives the caller's setting back."""

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

import exact
import exact._certified.subdivision as subdivision
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


def test_overlapping_calls_from_two_threads_set_one_limit_and_lift_it_once(monkeypatch):
    # found when count_many ran counts in a ThreadPoolExecutor: with one limit per call, the
    # first call to leave restored the caller's setting under the second, which then
    # "restored" one thread for good.  (OpenBLAS ignores set_num_threads from other threads,
    # so the bookkeeping is checked on a recording controller.)
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
    try:
        first_out.set()
        a.join(10)
        during = list(log)  # b is still inside
    finally:
        second_out.set()
        b.join(10)
    assert during == ["limit 1"] and log == ["limit 1", "restore"]

"""count_many on a dask executor: its workers are warmed once each, and chunks follow the cluster's size.

A stand-in for dask's ``ClientExecutor`` (a class of a ``distributed`` module with a
``_client``) records what count_many asks of the client, so these run without dask; the
last test runs a dask LocalCluster of two workers (module-scoped, shared with test_many_nets).
"""

import logging
from concurrent.futures import Executor, ThreadPoolExecutor

from test_many_nets import dask_cluster, needs_dask  # noqa: F401 - the same module-scoped cluster

import exact
from exact import many_nets
from exact.worker_threads import warm_worker

ONE_LINE = [([[1.0, 0.0]], [0.0]), ([[1.0]], [0.0])]     # x = 0: 2 cells


class FakeClient:
    """The two calls count_many makes of a dask client: nthreads() and run(fn, *args, workers=...)."""

    def __init__(self, threads, fail_run=False):
        self.threads, self.fail_run, self.runs = dict(threads), fail_run, []

    def nthreads(self):
        return dict(self.threads)

    def run(self, fn, *args, workers=None):
        self.runs.append((fn, args, workers))
        if self.fail_run:
            raise OSError("worker gone")


class FakeDaskExecutor(Executor):
    """Runs on threads; records the size of every chunk submitted and the keywords, which dask's
    executor hands to ``Client.submit`` (not to the function)."""

    __module__ = "distributed.client"

    def __init__(self, client):
        self._client, self.chunks, self.keywords, self._pool = client, [], set(), ThreadPoolExecutor(2)

    def submit(self, fn, *args, **kwargs):
        self.chunks.append(len(args[0]))
        self.keywords.add(tuple(sorted(kwargs.items())))
        return self._pool.submit(fn, *args)

    def shutdown(self, wait=True, **kwargs):
        self._pool.shutdown(wait)


def test_each_dask_worker_is_warmed_once_and_chunks_follow_its_threads():
    client = FakeClient({"tcp://a": 1, "tcp://b": 2})
    ex = FakeDaskExecutor(client)
    try:
        assert exact.count_many([ONE_LINE] * 60, window=1, executor=ex) == [(2, 2)] * 60
        assert client.runs == [(warm_worker, (many_nets.DASK_HEAP_RESERVE,), ["tcp://a", "tcp://b"])]
        # guided over 3 threads, not 2: half a thread's share of what is left (60 // 6, 50 // 6, ...), to 1 net
        assert ex.chunks == [10, 8, 7, 5, 5, 4, 3, 3, 2, 2] + [1] * 11 and sum(ex.chunks) == 60
        assert ex.keywords == {(("pure", False),)}                      # random keys: nets not hashed
        exact.count_many([ONE_LINE] * 4, window=1, executor=ex)         # warmed already: no run
        client.threads["tcp://c"] = 4                                   # a worker joins
        ex.chunks.clear()
        assert exact.count_many([ONE_LINE] * 70, window=1, executor=ex) == [(2, 2)] * 70
        assert client.runs[1:] == [(warm_worker, (many_nets.DASK_HEAP_RESERVE,), ["tcp://c"])]
        assert ex.chunks[0] == 70 // (2 * 7)
    finally:
        ex.shutdown()


def test_a_worker_that_cannot_be_warmed_still_counts(caplog):
    client = FakeClient({"tcp://a": 1}, fail_run=True)
    ex = FakeDaskExecutor(client)
    try:
        with caplog.at_level(logging.INFO, logger="exact.counting"):
            assert exact.count_many([ONE_LINE] * 3, window=1, executor=ex) == [(2, 2)] * 3
        assert any("could not warm the dask workers (OSError: worker gone)" in m for m in caplog.messages)
        exact.count_many([ONE_LINE], window=1, executor=ex)
        assert len(client.runs) == 2                                    # not marked warm: tried again
    finally:
        ex.shutdown()


def test_other_executors_are_not_warmed():
    with ThreadPoolExecutor(3) as pool:
        assert many_nets._pool_workers(pool) == 3


@needs_dask
def test_count_many_warms_a_dask_clusters_workers(dask_cluster):  # noqa: F811
    _, client = dask_cluster
    ex = client.get_executor()
    nets = [ONE_LINE, [([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0]), ([[1.0, 1.0]], [0.0])]] * 3
    assert exact.count_many(nets, window=1, executor=ex) == [(2, 2), (4, 4)] * 3
    assert many_nets._WARMED[client] >= set(client.nthreads())

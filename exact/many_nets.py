"""Region counts of many networks on any :class:`concurrent.futures.Executor`.

:func:`count_many` counts a batch of networks (training checkpoints, a sweep) and returns
the results in input order; :func:`iter_count_many` yields them as they finish.  The
work runs serially in this process, in a :class:`~concurrent.futures.ProcessPoolExecutor`
of ``jobs`` processes, or on any executor given, such as a dask.distributed cluster's
``Client.get_executor()``.  Each network is read in the calling process
(:func:`exact.as_exact_net`) and sent to the workers as its exact weights (an
:class:`ExactNet` pickles as its float64 arrays or Fractions): torch modules and spec
files never travel.  Each worker counts with :func:`exact.count_regions`, with its BLAS
and OpenMP pools held to one thread while it does.

Examples
--------
>>> nets = [[([[1.0, 0.0]], [0.0]), ([[1.0]], [0.0])],                       # one line: 2
...         [([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0]), ([[1.0, 1.0]], [0.0])]]  # two lines: 4
>>> count_many(nets, window=1)
[RegionCounts(activation=2, linear=2), RegionCounts(activation=4, linear=4)]
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import itertools
import logging
import os
import time
import weakref
from collections.abc import Iterable, Iterator, Sequence, Sized
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

from ._api import count_regions, read_net
from ._progress import progress_bar
from .cells import RegionCounts
from .errors import ExactnetError, InputError, InputTypeError
from .held_interrupts import held_submit
from .job_retry import RUNS, lost_by_executor
from .nd.box_window import check_box
from .network import ExactNet
from .pool_ending import completed_watched, terminate_workers
from .state_dicts import recorded_readings
from .validation import (
    DEFAULT_MAX_MEMORY,
    DEFAULT_MAX_REGIONS,
    DEFAULT_WINDOW,
    MemoryLike,
    WindowLike,
    check_max_memory,
    check_max_regions,
    check_window,
    prepare_net,
)
from .windows import ConvexWindow, convex_window, rectangle_window
from .worker_threads import check_executor, one_thread, process_pool, warm_worker

__all__ = ["DASK_HEAP_RESERVE", "NetFailure", "count_many", "iter_count_many", "timed_counts"]

log = logging.getLogger("exact.counting")

DASK_HEAP_RESERVE = 8 << 20
"""The ``reserve`` of :func:`~exact.worker_threads.warm_worker` that :func:`count_many` runs once on each
worker of a dask executor.

On a dask executor, each worker the cluster has when a batch starts and that no batch
of this process has seen yet runs :func:`~exact.worker_threads.warm_worker` with a
reserve of :data:`DASK_HEAP_RESERVE` (8 MB) first (``client.run``; a failure there is
only logged).  Its glibc heap settings (arrays up to 32 MB from the heap, 8 MB kept on
top, trimmed above 16 MB free) hold for the whole worker process, and stop the counting
thread from giving its heap back and faulting it in again at every net: measured on
60 checkpoints of 2-64-64-1 on a ``LocalCluster`` of 2 x 1 thread, 57 000 - 140 000
page faults per batch fell to 140 - 1 000 (10 000 - 12 000 in the first batch), the
workers' kernel time from 0.18 - 0.35 s to 0.02 - 0.07 s a batch and their CPU time by
about a fifth (1.67 to 1.29 s, medians of 5 batches alternated with unwarmed
workers), for 6 - 17 MB more resident memory per worker (64 MB touched gave the same,
for 64 MB more: the counting runs in the worker's own thread, whose heap is not the
one touched).
"""

OnError = Literal["raise", "return"]


@dataclass(frozen=True)
class NetFailure:
    """A network of a batch that could not be counted, and why.

    With ``on_error="return"``, :func:`count_many` and :func:`iter_count_many` put one in
    the place of each network that failed: a file that cannot be read, a malformed
    network, a job over ``max_regions`` or ``max_memory``, a worker lost for good.

    Parameters
    ----------
    index : int
        Position of the network in ``nets``.
    source : str or None
        Its path when it was given as one, else ``None``.
    error : str
        Name of the exception's class (``"SpecFileError"``, ``"TooManyRegionsError"``,
        ``"BrokenProcessPool"``, ...).
    message : str
        The exception's message.

    Examples
    --------
    >>> f = NetFailure(3, "ckpt/e3.pt", "SpecFileError", "spec file 'ckpt/e3.pt' does not exist")
    >>> print(f)
    nets[3] (ckpt/e3.pt): SpecFileError: spec file 'ckpt/e3.pt' does not exist
    """

    index: int
    source: str | None
    error: str
    message: str

    def __str__(self) -> str:
        return f"{_where(self.index, self.source)}: {self.error}: {self.message}"


def count_many(
    nets: Iterable[Any],
    *,
    window: WindowLike = DEFAULT_WINDOW,
    executor: cf.Executor | None = None,
    jobs: int | None = None,
    plane: Sequence[Any] | None = None,
    activation: str | None = None,
    max_regions: int | None = DEFAULT_MAX_REGIONS,
    max_memory: MemoryLike = DEFAULT_MAX_MEMORY,
    on_error: OnError = "raise",
    progress: bool = False,
) -> list[RegionCounts | NetFailure]:
    """Count the regions of many networks, in parallel; results in input order.

    Parameters
    ----------
    nets : iterable
        The networks: anything :func:`exact.as_exact_net` accepts (torch modules, lists
        of ``(W, b)``, :class:`ExactNet`, spec file paths), mixed freely.  Each is read
        in this process when its turn comes; a generator is fine.
    window : float, int, Fraction, rectangle, polygon, box or None, default 10
        For every net, as :func:`exact.count_regions` takes it (a box of ``d >= 3`` axes too).
    executor : concurrent.futures.Executor, optional
        Where to count: any executor, e.g. a ``ProcessPoolExecutor`` or a dask
        ``Client.get_executor()``.  It is used, not shut down.
    jobs : int, optional
        Without ``executor``: ``None`` or 1 counts serially in this process; ``n > 1``
        starts a ``ProcessPoolExecutor`` of ``n`` processes (start method
        ``forkserver``, else ``spawn``: safe with torch loaded) and shuts it down at the
        end.  Not together with ``executor``.
    plane, activation, max_regions, max_memory
        As in :func:`exact.count_regions`, for every net; checked once, here.  Each
        worker works ``max_memory="auto"`` out when its net starts.
    on_error : {"raise", "return"}, default "raise"
        ``"raise"``: the first net that fails stops the batch (nets not started are
        cancelled) and its error is raised again naming its index (the same class for
        exactnet's errors).  ``"return"``: a :class:`NetFailure` takes its place and the
        other nets go on.
    progress : bool, default False
        A progress bar of finished nets on standard error.

    Returns
    -------
    list of RegionCounts (or NetFailure)
        ``result[i]`` is ``count_regions(nets[i], ...)`` (or a :class:`NetFailure`).

    Raises
    ------
    InputError, InputTypeError
        A bad shared argument (window, guards, plane, jobs, executor, on_error), before
        any work.
    ExactnetError
        With ``on_error="raise"``: the first failure, e.g. :class:`SpecFileError`,
        :class:`TooManyRegionsError`, naming the net.

    Notes
    -----
    Workers hold BLAS and OpenMP to one thread (and torch, if imported there); the
    calling process's settings are never changed.  A ``ProcessPoolExecutor`` whose
    worker dies breaks, failing its unfinished nets (``BrokenProcessPool``); a dask cluster
    re-runs them (its workers warmed once: :data:`DASK_HEAP_RESERVE`).  Chunks of nets shrink
    to the end (half of a worker's share of the nets left, at most 16, down to one).
    With ``jobs > 1`` a script must call this under ``if __name__ == "__main__":``.

    Examples
    --------
    >>> from concurrent.futures import ThreadPoolExecutor
    >>> shallow = [([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [0.0, 0.0, -1.0]), ([[1.0, 1.0, 1.0]], [0.0])]
    >>> with ThreadPoolExecutor(2) as pool:
    ...     count_many([shallow, "no/such.json"], window=None, executor=pool, on_error="return")
    [RegionCounts(activation=7, linear=7), NetFailure(index=1, source='no/such.json', ...)]
    """
    out: list[Any] = []
    for index, result, _ in timed_counts(nets, window=window, executor=executor, jobs=jobs, plane=plane,
                                         activation=activation, max_regions=max_regions,
                                         max_memory=max_memory, on_error=on_error, progress=progress):
        out.extend([None] * (index + 1 - len(out)))
        out[index] = result
    return out


def iter_count_many(
    nets: Iterable[Any],
    *,
    window: WindowLike = DEFAULT_WINDOW,
    executor: cf.Executor | None = None,
    jobs: int | None = None,
    plane: Sequence[Any] | None = None,
    activation: str | None = None,
    max_regions: int | None = DEFAULT_MAX_REGIONS,
    max_memory: MemoryLike = DEFAULT_MAX_MEMORY,
    on_error: OnError = "raise",
    progress: bool = False,
) -> Iterator[tuple[int, RegionCounts | NetFailure]]:
    """Count the regions of many networks, yielding each result as it finishes.

    Parameters
    ----------
    nets, window, executor, jobs, plane, activation, max_regions, max_memory, on_error, progress
        As in :func:`count_many`.

    Returns
    -------
    iterator of (int, RegionCounts or NetFailure)
        ``(index, result)`` once per net, in the order they finish (input order when
        serial).  Closing the iterator early cancels the nets not started.

    Raises
    ------
    InputError, InputTypeError, ExactnetError
        As in :func:`count_many`: a bad shared argument at once, a net's failure when
        the iteration reaches it.

    Examples
    --------
    >>> nets = [[([[1.0, 0.0]], [0.0]), ([[1.0]], [0.0])]] * 3
    >>> sorted(iter_count_many(nets, window=2))
    [(0, RegionCounts(activation=2, linear=2)), (1, RegionCounts(activation=2, linear=2)), (2, ...)]
    """
    return _untimed(timed_counts(nets, window=window, executor=executor, jobs=jobs, plane=plane,
                                 activation=activation, max_regions=max_regions, max_memory=max_memory,
                                 on_error=on_error, progress=progress))


def _untimed(timed: Iterator[tuple[int, Any, float | None]]) -> Iterator[tuple[int, Any]]:
    """Drop the times; closing this closes ``timed`` (which cancels, and ends an own pool)."""
    try:
        for index, result, _ in timed:
            yield index, result
    finally:
        timed.close()  # type: ignore[attr-defined]


def timed_counts(
    nets: Iterable[Any],
    *,
    window: WindowLike = DEFAULT_WINDOW,
    executor: cf.Executor | None = None,
    jobs: int | None = None,
    plane: Sequence[Any] | None = None,
    activation: str | None = None,
    max_regions: int | None = DEFAULT_MAX_REGIONS,
    max_memory: MemoryLike = DEFAULT_MAX_MEMORY,
    on_error: OnError = "raise",
    progress: bool = False,
    readings: dict[int, dict] | None = None,
) -> Iterator[tuple[int, RegionCounts | NetFailure, float | None]]:
    """:func:`iter_count_many` with each net's counting time, as the worker measured it.

    Parameters
    ----------
    nets, window, executor, jobs, plane, activation, max_regions, max_memory, on_error, progress
        As in :func:`count_many`.
    readings : dict, optional
        Filled, as the nets are read, with the note of each net read from a state_dict, by
        index (:func:`exact.state_dicts.recorded_readings`: the layer order read and what was
        assumed), before that net's result is yielded.

    Returns
    -------
    iterator of (int, RegionCounts or NetFailure, float or None)
        ``(index, result, seconds)``; ``seconds`` is ``None`` for a net that failed.

    Raises
    ------
    InputError, InputTypeError, ExactnetError
        As in :func:`iter_count_many`.

    Examples
    --------
    >>> [(i, r, s > 0) for i, r, s in timed_counts([[([[1.0, 0.0]], [0.0]), ([[1.0]], [0.0])]])]
    [(0, RegionCounts(activation=2, linear=2), True)]
    """
    task = _check_shared(nets, window, executor, jobs, plane, max_regions, max_memory, on_error)
    return _outcomes(nets, task, executor, jobs, plane, activation, on_error, progress, readings)


def _outcomes(nets: Iterable[Any], task: _Task, executor: cf.Executor | None, jobs: int | None, plane: Any,
              activation: Any, on_error: OnError, progress: bool, readings: dict[int, dict] | None = None
              ) -> Iterator[tuple[int, RegionCounts | NetFailure, float | None]]:
    """Run a checked batch; a pool of our own starts at the first ``next`` and ends with the iterator."""
    pool, owned = (executor, False) if executor is not None else _own_pool(jobs)
    total = len(nets) if isinstance(nets, Sized) else None
    # the first results wait for the workers' start-up, or for torch's import to read a .pt file (seconds,
    # which no net's "seconds" holds): the bar shows the time elapsed, not a rate per net that would mislead
    bar = progress_bar(progress, total, "nets", unit="net", rate=False)  # type: ignore[arg-type]
    run = _serial if pool is None else _parallel
    try:
        for outcome in run(pool, nets, task, plane, activation, on_error, readings):
            bar.update()
            yield outcome
    except (KeyboardInterrupt, GeneratorExit):  # Ctrl-C, SIGTERM in exactnet, or the caller stopped: end
        # our workers now, not after their nets (an interrupt in the consumer reaches here as GeneratorExit)
        if owned:
            terminate_workers(pool)
        raise
    finally:
        bar.close()
        if owned:
            pool.shutdown(wait=True, cancel_futures=True)


@dataclass(frozen=True)
class _Task:
    """The checked settings every net is counted with."""

    window: Fraction | ConvexWindow | tuple | None  # a tuple: (lo, hi) per axis of a d-D input
    max_regions: int | None
    max_memory: int | str | None  # "auto": each worker works it out when its net starts
    parent: int  # the calling process's id: its thread settings are left alone


def _shared_window(window: Any) -> Fraction | ConvexWindow | tuple | None:
    """Check the window once: a 2-D window, or a box of ``d >= 3`` axes (checked against each net)."""
    try:
        w = check_window(window)
        # the square [-B, B]^2 given by its corners or bounds stays 2-D: for a d-D net it is not the cube
        if isinstance(w, Fraction) and isinstance(window, (list, tuple)):
            pairs = all(isinstance(p, (list, tuple)) for p in window)
            return convex_window(window) if pairs else rectangle_window(*window)
        if isinstance(w, Fraction) and isinstance(window, ConvexWindow):  # rectangle_window(-B, B, -B, B)
            return convex_window(window.vertices)
        return w
    except InputError:
        flat = list(window) if isinstance(window, (list, tuple)) else []
        pairs = flat if flat and all(isinstance(p, (list, tuple)) for p in flat) else None
        d = len(pairs) if pairs is not None else len(flat) // 2
        if d < 1 or d == 2:  # (a 2-D window is a rectangle or polygon, read above)
            raise
        lo, hi = check_box(window, d)
        return tuple(zip(lo, hi))


def _check_shared(nets: Any, window: Any, executor: Any, jobs: Any, plane: Any, max_regions: Any,
                  max_memory: Any, on_error: Any) -> _Task:
    """Check the arguments shared by every net, once, before any work."""
    if isinstance(nets, (str, bytes, os.PathLike, ExactNet)) or hasattr(nets, "named_modules"):
        raise InputTypeError(f"nets must be an iterable of networks, got one network "
                             f"({type(nets).__name__}); count one network with count_regions")
    if not isinstance(nets, Iterable):
        raise InputTypeError(f"nets must be an iterable of networks, got {type(nets).__name__}")
    w = _shared_window(window)
    check_max_regions(max_regions)
    mem = check_max_memory(max_memory)
    auto = isinstance(max_memory, str) and max_memory.strip().lower() == "auto"
    if plane is not None:  # checked once, on a probe net: a bad plane is no single net's fault
        prepare_net([([[0] * _point_dimension(plane)], [0])], plane=plane)
    if on_error not in ("raise", "return"):
        raise InputError(f"on_error must be 'raise' or 'return', got {on_error!r}")
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int)):
        raise InputTypeError(f"jobs must be a positive integer or None, got {jobs!r}")
    if jobs is not None and jobs < 1:
        raise InputError(f"jobs must be a positive integer or None, got {jobs!r}")
    check_executor(executor)
    if executor is not None and jobs is not None:
        raise InputError(f"give executor= or jobs=, not both (got jobs={jobs!r} and an executor)")
    return _Task(w, max_regions, "auto" if auto else mem, os.getpid())


def _point_dimension(plane: Any) -> int:
    """Return the length of ``plane[0]``, or 2 when it has none (:func:`prepare_net` then says why)."""
    try:
        return max(1, len(plane[0]))
    except (TypeError, IndexError, KeyError):
        return 2


def _own_pool(jobs: int | None) -> tuple[cf.Executor | None, bool]:
    """No pool for ``jobs`` None or 1; else a process pool safe with torch loaded."""
    if jobs is None or jobs == 1:
        return None, False
    return process_pool(jobs), True


def _serial(pool: None, nets: Iterable[Any], task: _Task, plane: Any, activation: Any,
            on_error: OnError, readings: dict[int, dict] | None) -> Iterator[tuple[int, Any, float | None]]:
    """Read and count each net in turn, in this process."""
    for index, net in enumerate(nets):
        try:
            counts, seconds = _count_task(_read(net, plane, activation, task, readings, index), task)
        except Exception as exc:  # noqa: BLE001 - one net's failure is reported, not fatal
            counts, seconds = _failed(index, _source(net), exc, on_error), None
        yield index, counts, seconds


def _parallel(pool: cf.Executor, nets: Iterable[Any], task: _Task, plane: Any, activation: Any,
              on_error: OnError, readings: dict[int, dict] | None) -> Iterator[tuple[int, Any, float | None]]:
    """Read each net here, submit them in chunks, and yield the results as the chunks come back.

    A chunk of several nets per task keeps the executor's cost per task (tens of
    milliseconds on a dask cluster) small against small nets' counting time.
    """
    total = len(nets) if isinstance(nets, Sized) else None
    workers = _pool_workers(pool)
    size = _chunk_size(workers, total)
    futures: dict[cf.Future, tuple[list[tuple[int, str | None, ExactNet]], int]] = {}  # chunk, runs so far
    batch: list[tuple[int, str | None, ExactNet]] = []
    try:
        for index, net in enumerate(nets):
            try:
                batch.append((index, _source(net), _read(net, plane, activation, task, readings, index)))
            except Exception as exc:  # noqa: BLE001 - reported as this net's failure
                yield index, _failed(index, _source(net), exc, on_error), None
            if len(batch) >= size:
                futures[_submit_chunk(pool, batch, task)] = batch, 1
                batch = []
                size = _chunk_size(workers, None if total is None else total - index - 1)
        if batch:
            futures[_submit_chunk(pool, batch, task)] = batch, 1
        while futures:  # (a chunk run again is waited for in the next round)
            for fut in completed_watched(list(futures), pool):
                chunk, runs = futures.pop(fut)
                try:
                    outcomes = fut.result()
                except Exception as exc:  # noqa: BLE001 - a lost worker: every net of the chunk failed
                    if runs < RUNS and lost_by_executor(exc):  # its executor's failure, maybe: once more
                        log.warning("a chunk of %d nets failed on the executor (%s: %s); running it again",
                                    len(chunk), type(exc).__name__, exc)
                        with contextlib.suppress(Exception):  # (an executor that takes no more: failed)
                            futures[_submit_chunk(pool, chunk, task)] = chunk, runs + 1
                            continue
                    if isinstance(exc, BrokenProcessPool) and hasattr(exc, "add_note"):
                        exc.add_note("a worker process ended abruptly: killed (out of memory?), or, from a "
                                     "script, count_many was not called under `if __name__ == \"__main__\":` "
                                     "(each worker imports the script)")
                    outcomes = [(exc, None)] * len(chunk)
                for (index, source, _), (counts, seconds) in zip(chunk, outcomes):
                    if isinstance(counts, BaseException):
                        counts, seconds = _failed(index, source, counts, on_error), None
                    yield index, counts, seconds
    finally:  # stopped early (an error raised, the iterator closed): cancel what has not started
        for fut in futures:
            fut.cancel()


def _submit_chunk(pool: cf.Executor, batch: list[tuple[int, str | None, ExactNet]], task: _Task) -> cf.Future:
    """Submit one chunk, with a token that makes each submission unique.

    dask keys a pure call by its arguments: without the token, a chunk cancelled in an
    earlier batch would come back cancelled.  To a dask executor the chunk goes as an impure
    call (``pure=False``, a random key): keyed by its arguments, the client pickled and
    hashed every net to name it (``dask.base.tokenize``: 13 - 16 ms of CPU for 60
    checkpoints of 2-64-64-1, against 2 - 3 ms to pickle them once), in this process,
    whose CPU the workers need.
    """
    nets = [e for _, _, e in batch]
    if _dask_client(pool) is not None:  # the keyword goes to Client.submit, not to the function
        return held_submit(pool, _count_chunk, nets, task, next(_TOKENS), pure=False)
    return held_submit(pool, _count_chunk, nets, task, next(_TOKENS))


_TOKENS = itertools.count()
"""Numbers each submitted chunk (see :func:`_submit_chunk`)."""


def _chunk_size(workers: int, remaining: int | None) -> int:
    """Nets in the next task: guided, half of a worker's share of what remains (at most 16).

    The chunks shrink towards the end, down to one net, so that the workers finish together
    (a fixed size leaves one worker alone with the last chunk); 1 for a generator.  Half a
    share, not a quarter: on 60 checkpoints of 2-64-64-1 over 2 workers that is 15 tasks
    instead of 27, and each task costs a dask cluster's client and scheduler 5 - 7 ms of CPU
    (0.18 s a batch at 27 tasks, 0.13 s at 15, on a quiet machine), on the cores the
    workers count on; a process pool, about 1 ms of a worker's time between tasks.  The end is as
    even either way (the last tasks hold one net); whole shares (8 tasks) left one worker
    up to 0.5 s alone with a 14-net task on a loaded machine.
    """
    if remaining is None:
        return 1
    return max(1, min(16, remaining // (2 * workers)))


_WARMED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
"""The dask clients of this process, each with the addresses of its workers warmed already."""


def _pool_workers(pool: cf.Executor) -> int:
    """Return the workers of an executor: a dask cluster's threads (warming its new workers), else a guess.

    A dask ``Client.get_executor()`` asks its client (one call to the scheduler per batch);
    a ``ProcessPoolExecutor`` or ``ThreadPoolExecutor`` knows its ``_max_workers``; 2 otherwise.
    """
    client = _dask_client(pool)
    if client is None:
        return getattr(pool, "_max_workers", None) or 2
    try:
        threads = client.nthreads()
    except Exception as exc:  # noqa: BLE001 - a scheduler that does not answer: the batch will say so
        log.info("count_many could not ask the dask scheduler for its workers (%s: %s)",
                 type(exc).__name__, exc)
        return 2
    warmed = _WARMED.setdefault(client, set())
    new = sorted(set(threads) - warmed)
    if new:
        try:
            client.run(warm_worker, DASK_HEAP_RESERVE, workers=new)
            warmed.update(new)
        except Exception as exc:  # noqa: BLE001 - warming only saves time: the batch goes on without it
            log.info("count_many could not warm the dask workers (%s: %s)", type(exc).__name__, exc)
    return max(1, sum(threads.values()))


def _dask_client(pool: cf.Executor) -> Any:
    """Return the client of a dask ``Client.get_executor()``, else None."""
    client = getattr(pool, "_client", None)
    return client if client is not None and type(pool).__module__.startswith("distributed") else None


def _read(net: Any, plane: Any, activation: Any, task: _Task, readings: dict[int, dict] | None = None,
          index: int = 0) -> ExactNet:
    """Read one net (in this process), refusing a box window of another input width; note its reading."""
    with contextlib.nullcontext([]) if readings is None else recorded_readings() as notes:
        enet = read_net(net, plane, activation, task.window)[0]
    if notes:
        readings[index] = notes[-1]
    if isinstance(task.window, tuple) and enet.input_dim != len(task.window):
        raise InputError(f"window is a box of {len(task.window)} axes, and this network's input is "
                         f"{enet.input_dim}-D: count nets of each input width apart, or give a half-width "
                         "B, which fits every width")
    return enet


def _count_chunk(nets: list[ExactNet], task: _Task, token: int = 0) -> list[tuple[Any, float | None]]:
    """Count several nets in a worker; a net's error is returned in its place, not raised."""
    out: list[tuple[Any, float | None]] = []
    with one_thread(task.parent):  # once per chunk (0.7 ms); the caller's own process keeps its settings
        for net in nets:
            try:
                out.append(_count_task(net, task))
            except Exception as exc:  # noqa: BLE001 - one net's failure, reported by the caller
                out.append((exc, None))
    return out


def _count_task(net: ExactNet, task: _Task) -> tuple[RegionCounts, float]:
    """Count one net and time it (in a worker, inside :func:`_count_chunk`'s one thread)."""
    start = time.perf_counter()
    counts = count_regions(net, window=task.window, max_regions=task.max_regions, max_memory=task.max_memory)
    return counts, time.perf_counter() - start


def _source(net: Any) -> str | None:
    """Return the path of a net given as one, else None."""
    return os.fspath(net) if isinstance(net, (str, os.PathLike)) else None


def _where(index: int, source: str | None) -> str:
    return f"nets[{index}]" + (f" ({source})" if source else "")


def _failed(index: int, source: str | None, exc: BaseException, on_error: OnError) -> NetFailure:
    """Return the failure record of a net, or with ``on_error="raise"`` raise its error naming the net."""
    if on_error == "return":
        return NetFailure(index, source, type(exc).__name__, str(exc))
    if isinstance(exc, ExactnetError):
        try:
            again = type(exc)(f"{_where(index, source)}: {exc}")
        except TypeError:  # a subclass with another constructor: raise it as it is
            again = None
        if again is not None:
            raise again from exc
    if hasattr(exc, "add_note"):  # Python >= 3.11
        exc.add_note(f"while counting {_where(index, source)}")
    raise exc

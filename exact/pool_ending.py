"""End a process pool now, its running jobs unfinished, without hanging on what the workers left.

What an interrupted caller (Ctrl-C, SIGTERM in ``exactnet``, a consumer that stops early)
does instead of ``pool.shutdown(wait=True)``, which waits for the running jobs (a tile of a
big net: minutes).  Ending workers abruptly can leave a
:class:`~concurrent.futures.ProcessPoolExecutor` stuck, and :func:`terminate_workers` undoes
the two ways it does:

* a worker ended while it was writing a result leaves part of a message in the result pipe.
  The pool's manager thread waits for the rest for ever: this process holds a copy of the
  pipe's write end (``concurrent.futures`` never writes with it).  Once the workers are
  gone that copy is the last one, and closing it turns the wait into an end of file, which
  the manager thread handles as a broken pool.  Seen as ``exactnet count 2-128^6 --tiles 8
  --jobs 2`` not ending on SIGTERM in about one run in ten on a loaded machine.
* the manager thread of a broken pool sets an error on every future not done, and on Python
  versions without the fix of CPython gh-107219 (3.11.7 has none) it dies of the
  :class:`~concurrent.futures.InvalidStateError` a cancelled future raises, before it ends
  the thread that feeds jobs to the workers.  That thread, stuck writing a job no worker
  reads, then holds up the interpreter's exit.  The caller's own loop cancels the futures
  not started, so this happens whenever the pool breaks before its manager thread has seen
  the shutdown.  The pool is shut down before its workers get the signal (so its manager
  thread drops the cancelled futures first whenever it can); if it dies all the same, its
  traceback is not shown and the job pipe's read end is closed after it, which ends the
  feeding thread.

Examples
--------
>>> from exact.worker_threads import process_pool
>>> pool = process_pool(1)
>>> pool.submit(abs, -1).result()
1
>>> terminate_workers(pool)
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import logging
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import connection
from typing import Any

from .held_interrupts import interrupts_held

log = logging.getLogger(__name__)

__all__ = ["STUCK_AFTER", "TERMINATE_GRACE", "completed_watched", "terminate_workers", "wait_first"]

STUCK_AFTER = 2.0
"""Seconds :func:`wait_first` watches a pool stuck on a dead worker's half-written result, then ends it."""

TERMINATE_GRACE = 5.0
"""Seconds :func:`terminate_workers` gives the workers to end on SIGTERM before it sends SIGKILL."""


def terminate_workers(pool: cf.ProcessPoolExecutor) -> None:
    """End a process pool's workers now (SIGTERM), their running jobs unfinished, and shut it down.

    Parameters
    ----------
    pool : concurrent.futures.ProcessPoolExecutor
        The pool, made with the ``forkserver`` or ``spawn`` start method (as
        :func:`exact.worker_threads.process_pool` makes it).  Its futures not started are
        cancelled, the running ones fail with ``BrokenProcessPool``; its workers get SIGTERM,
        and SIGKILL when they are still there :data:`TERMINATE_GRACE` seconds later.
        Returns once the workers and the pool's threads have ended; a Ctrl-C (or SIGTERM in
        ``exactnet``) meanwhile is raised then (:func:`exact.held_interrupts.interrupts_held`).

    Notes
    -----
    With the ``fork`` start method, a process forked while the pool existed holds a copy of
    the result pipe's write end, and a half-written result can still hold the manager thread.

    Examples
    --------
    >>> import time
    >>> from exact.worker_threads import process_pool
    >>> pool = process_pool(1)
    >>> running = pool.submit(time.sleep, 60)
    >>> time.sleep(1.0)
    >>> start = time.monotonic(); terminate_workers(pool); time.monotonic() - start < 30
    True
    """
    processes = getattr(pool, "_processes", None) or {}  # the manager thread's dict too: kept after shutdown
    manager = getattr(pool, "_executor_manager_thread", None)
    results = getattr(pool, "_result_queue", None)  # read first: a shutdown forgets all four
    jobs = getattr(pool, "_call_queue", None)
    with interrupts_held(), _quiet_about_cancelled_futures(manager):
        pool.shutdown(wait=False, cancel_futures=True)  # the manager thread drops the futures not started
        workers = list(processes.values())  # after the shutdown: a worker started in place of one is listed
        ended = _ended(workers)
        for worker in workers:
            if worker.sentinel not in ended:  # terminate() signals only a worker not known to be reaped
                worker.terminate()
        _wait_ended(workers)
        _close(getattr(results, "_writer", None))  # the last write end now: a half-read result ends in EOF
        if manager is not None:
            manager.join(TERMINATE_GRACE)  # not for ever: a child of a worker may hold the result pipe open
            if manager.is_alive():
                log.warning("the pool's manager thread still waits on a result pipe another process holds "
                            "open (a child of a worker?): left waiting")
            _settle_what_is_left(manager)
    _close(getattr(jobs, "_reader", None))  # a feeding thread stuck on a job no worker reads gets EPIPE
    _close(getattr(results, "_reader", None))


def _ended(workers: list) -> set:
    """Return the sentinels of the ``workers`` that have ended, now; reads no exit status.

    Reading one (``is_alive``, ``exitcode``, ``join``) raced the pool's manager thread reading
    the same status, and the one that lost recorded exit code 255.
    """
    return set(connection.wait([worker.sentinel for worker in workers], 0))


def _wait_ended(workers: list) -> None:
    """Wait until ``workers`` have ended: :data:`TERMINATE_GRACE` seconds for all, then SIGKILL the rest.

    Waits on their sentinels only, as :func:`_ended` looks.
    """
    waiting = {worker.sentinel: worker for worker in workers}
    deadline = time.monotonic() + TERMINATE_GRACE  # one grace for all the workers, not one each
    while waiting and (ended := connection.wait(list(waiting), max(0.0, deadline - time.monotonic()))):
        for sentinel in ended:
            del waiting[sentinel]
    for worker in waiting.values():
        worker.kill()
    while waiting:
        for sentinel in connection.wait(list(waiting)):
            del waiting[sentinel]


def _settle_what_is_left(manager: threading.Thread) -> None:
    """Cancel, or fail with BrokenProcessPool, the futures a manager thread that died (gh-107219) left."""
    broken = BrokenProcessPool("the pool's workers were terminated while the future was running or pending")
    for item in list(getattr(manager, "pending_work_items", {}).values()):
        future = item.future
        if future.done():
            continue
        if future.cancel():  # not started: cancelled, and whoever waits on it (cf.wait) is told
            future.set_running_or_notify_cancel()
            continue
        with contextlib.suppress(cf.InvalidStateError):  # set meanwhile by another thread
            future.set_exception(broken)


def wait_first(futures: Sequence[cf.Future], executor: cf.Executor) -> set[cf.Future]:
    """Wait until one of ``futures`` is done (``concurrent.futures.wait``, first completed); return the done.

    A worker killed while it was writing its result (the out-of-memory killer, ``kill -9``)
    leaves the pool's manager thread waiting for the rest for ever, and no future of the pool
    ever completes: a plain wait hangs.  Here, when ``executor`` is a process pool, one of its
    workers has ended, and its manager thread has been waiting in a pipe read all along for
    :data:`STUCK_AFTER` seconds, the pool is ended (:func:`terminate_workers`, with a logged
    warning): its futures fail with ``BrokenProcessPool``, and the wait returns.

    Parameters
    ----------
    futures : sequence of concurrent.futures.Future
        The futures, not empty.
    executor : concurrent.futures.Executor
        The executor they came from (only a ``ProcessPoolExecutor`` is watched).

    Returns
    -------
    set of concurrent.futures.Future
        The futures done, at least one.

    Examples
    --------
    >>> from concurrent.futures import ThreadPoolExecutor
    >>> with ThreadPoolExecutor(1) as pool:
    ...     [f.result() for f in wait_first([pool.submit(abs, -4)], pool)]
    [4]
    """
    watch = _StuckWatch(executor)
    while True:
        done, _ = cf.wait(futures, timeout=STUCK_AFTER / 4, return_when=cf.FIRST_COMPLETED)
        if done:
            return done
        watch.idle()


def completed_watched(futures: Iterable[cf.Future], executor: cf.Executor) -> Iterator[cf.Future]:
    """``concurrent.futures.as_completed(futures)``, the pool watched as by :func:`wait_first`.

    One waiter per future for the whole wait (as ``as_completed``), not one per future at each
    completion (a :func:`wait_first` loop: quadratic, 4 s of CPU for 4000 futures).

    Parameters
    ----------
    futures : iterable of concurrent.futures.Future
        The futures.
    executor : concurrent.futures.Executor
        The executor they came from (only a ``ProcessPoolExecutor`` is watched).

    Returns
    -------
    iterator of concurrent.futures.Future
        Each future, once done, in the order they complete.

    Examples
    --------
    >>> from concurrent.futures import ThreadPoolExecutor
    >>> with ThreadPoolExecutor(1) as pool:
    ...     sorted(f.result() for f in completed_watched([pool.submit(abs, -4), pool.submit(abs, 3)], pool))
    [3, 4]
    """
    pending, watch = set(futures), _StuckWatch(executor)
    while pending:
        try:
            for fut in cf.as_completed(pending, timeout=STUCK_AFTER / 4):
                pending.discard(fut)
                watch.since = None
                yield fut
        except cf.TimeoutError:
            watch.idle()


class _StuckWatch:
    """Ends a process pool once :func:`_stuck` has held for :data:`STUCK_AFTER` seconds of idle waits."""

    def __init__(self, executor: cf.Executor) -> None:
        self.executor = executor
        self.since: float | None = None

    def idle(self) -> None:
        """Note a wait slice with no future done; end the pool once it has been stuck long enough."""
        if not _stuck(self.executor):
            self.since = None
        elif self.since is None:
            self.since = time.monotonic()
        elif time.monotonic() - self.since >= STUCK_AFTER:
            log.warning("a worker process ended while sending its result, and the pool waited for the rest "
                        "for %.0f s: ending the pool (killed, out of memory?)", STUCK_AFTER)
            terminate_workers(self.executor)  # type: ignore[arg-type]  # _stuck: a process pool
            self.since = None


def _stuck(executor: cf.Executor) -> bool:
    """Whether a process pool's manager thread is reading a pipe while one of its workers has ended."""
    if not isinstance(executor, cf.ProcessPoolExecutor):
        return False
    manager = getattr(executor, "_executor_manager_thread", None)
    processes = getattr(executor, "_processes", None)
    if manager is None or not processes or not _ended(list(processes.values())):
        return False
    frame = sys._current_frames().get(manager.ident)
    return frame is not None and frame.f_code.co_name in ("_recv", "_recv_bytes")


def _close(end: Any) -> None:
    """Close a :class:`multiprocessing.connection.Connection` (or nothing, for None); twice is harmless."""
    if end is not None:
        end.close()


@contextlib.contextmanager
def _quiet_about_cancelled_futures(manager: threading.Thread | None) -> Iterator[None]:
    """Inside the block, an :class:`~concurrent.futures.InvalidStateError` that ends ``manager`` is not shown.

    CPython gh-107219: a broken pool's manager thread (before the fix) dies of a cancelled
    future.  Every other exception, in any thread, goes to the hook that was there before.
    """
    if manager is None:
        yield
        return
    before = threading.excepthook

    def hook(args: Any) -> None:
        if args.thread is manager and isinstance(args.exc_value, cf.InvalidStateError):
            return
        before(args)

    threading.excepthook = hook
    try:
        yield
    finally:
        if threading.excepthook is hook and not manager.is_alive():  # left waiting: it may die of it later
            threading.excepthook = before

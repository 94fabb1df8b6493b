"""Submit a job with Ctrl-C and SIGTERM held back until the executor has taken it whole.

A Ctrl-C (:class:`KeyboardInterrupt`), or a SIGTERM in ``exactnet`` (``Terminated``), is raised
in the main thread between any two bytecodes.  Raised inside
:meth:`concurrent.futures.ProcessPoolExecutor.submit` while the pool starts a worker, it left
a worker started but not yet listed in the pool: nobody ended it, and once the caller had
gone, the worker, still unpickling the pool's semaphores, printed a CPython traceback
(``FileNotFoundError``) into the caller's terminal.  Found by sending SIGTERM to
``exactnet count-many ... --jobs 2`` at moments of its start: 2 of 16 runs showed the
traceback.  :func:`held_submit` holds such an interrupt until ``submit`` has returned, then
cancels the new job and raises it, so every worker the pool started is one it knows and ends.

Examples
--------
>>> from concurrent.futures import ThreadPoolExecutor
>>> with ThreadPoolExecutor(1) as pool:
...     held_submit(pool, abs, -2).result()
2
"""

from __future__ import annotations

import concurrent.futures as cf
import signal
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["HELD_SIGNALS", "held_submit"]

HELD_SIGNALS = (signal.SIGINT, signal.SIGTERM)
"""Signals :func:`held_submit` holds back, where Python code handles them (not ``SIG_DFL``, ``SIG_IGN``)."""


def held_submit(executor: cf.Executor, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future:
    """``executor.submit(fn, *args, **kwargs)``, with Ctrl-C and SIGTERM held back until it returns.

    Parameters
    ----------
    executor : concurrent.futures.Executor
        Any executor (a process pool, a dask ``Client.get_executor()``); ``kwargs`` go to its
        ``submit``.
    fn : callable
        The job, with its arguments.

    Returns
    -------
    concurrent.futures.Future
        The job's future.

    Raises
    ------
    KeyboardInterrupt
        (or whatever the signal's handler raises) when SIGINT or SIGTERM came during the
        call: the handler runs once ``submit`` has returned, after the new job is cancelled.
        Only in the main thread, and only for a signal whose handler is Python code
        (``signal.default_int_handler`` for Ctrl-C, ``exactnet``'s for SIGTERM); elsewhere
        this is plain ``executor.submit``.

    Examples
    --------
    >>> import os
    >>> class Interrupted(cf.Executor):  # Ctrl-C arrives while a job is being submitted
    ...     def submit(self, fn, /, *args, **kwargs):
    ...         os.kill(os.getpid(), signal.SIGINT)
    ...         self.made = cf.Future()
    ...         return self.made
    >>> pool = Interrupted()
    >>> try:
    ...     held_submit(pool, abs, -2)
    ... except KeyboardInterrupt:
    ...     print("raised once submit returned; its job cancelled:", pool.made.cancelled())
    raised once submit returned; its job cancelled: True
    """
    if threading.current_thread() is not threading.main_thread():
        return executor.submit(fn, *args, **kwargs)
    came: list[int] = []

    def note(signum: int, frame: Any) -> None:
        came.append(signum)

    before = {}
    for number in HELD_SIGNALS:
        if callable(signal.getsignal(number)):
            before[number] = signal.signal(number, note)
    future: cf.Future | None = None
    try:
        future = executor.submit(fn, *args, **kwargs)
    finally:
        for number, handler in before.items():
            signal.signal(number, handler)
        if came:
            if future is not None:
                future.cancel()
            before[came[0]](came[0], None)
    return future  # type: ignore[return-value]  # not None: submit returned

"""Ctrl-C and SIGTERM held back while a call must not be cut in half: a job's submit, a pool's ending.

A Ctrl-C (:class:`KeyboardInterrupt`), or a SIGTERM in ``exactnet`` (``Terminated``), is raised
in the main thread between any two bytecodes.  Raised inside
:meth:`concurrent.futures.ProcessPoolExecutor.submit` while the pool starts a worker, it left
a worker started but not yet listed in the pool: nobody ended it, and once the caller had
gone, the worker, still unpickling the pool's semaphores, printed a CPython traceback
(``FileNotFoundError``) into the caller's terminal.  Found by sending SIGTERM to
``exactnet count-many ... --jobs 2`` at moments of its start: 2 of 16 runs showed the
traceback.  :func:`held_submit` holds such an interrupt until ``submit`` has returned, then
cancels the new job and raises it, so every worker the pool started is one it knows and ends.
:func:`exact.pool_ending.terminate_workers` holds a second interrupt the same way
(:func:`interrupts_held`): cut short, it left the workers running and the exit waiting.

Examples
--------
>>> from concurrent.futures import ThreadPoolExecutor
>>> with ThreadPoolExecutor(1) as pool:
...     held_submit(pool, abs, -2).result()
2
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["HELD_SIGNALS", "held_submit", "interrupts_held"]

HELD_SIGNALS = (signal.SIGINT, signal.SIGTERM)
"""Signals :func:`held_submit` holds back, where Python code handles them (not ``SIG_DFL``, ``SIG_IGN``)."""


@contextlib.contextmanager
def interrupts_held() -> Iterator[None]:
    """Inside the block, Ctrl-C and SIGTERM wait; the first that came is handled once the block has ended.

    Returns
    -------
    context manager
        In the main thread, each signal of :data:`HELD_SIGNALS` whose handler is Python code
        (``signal.default_int_handler`` for Ctrl-C, ``exactnet``'s for SIGTERM) is only
        noted inside the block; the handlers are restored at its end, and the first signal
        noted is then handed to its handler (which raises: :class:`KeyboardInterrupt`, ...).
        Elsewhere (another thread; ``SIG_DFL``, ``SIG_IGN``) nothing changes.

    Examples
    --------
    >>> import os
    >>> try:
    ...     with interrupts_held():
    ...         os.kill(os.getpid(), signal.SIGINT)
    ...         print("the block goes on")
    ... except KeyboardInterrupt:
    ...     print("then the interrupt")
    the block goes on
    then the interrupt
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    came: list[int] = []

    def note(signum: int, frame: Any) -> None:
        if signum in came:  # the same signal again: whoever sends it insists (a call blocked for good)
            before[signum](signum, frame)
        came.append(signum)

    before = {}
    for number in HELD_SIGNALS:
        if callable(signal.getsignal(number)):
            before[number] = signal.signal(number, note)
    try:
        yield
    finally:
        for number, handler in before.items():
            if signal.getsignal(number) is note:  # not one the block itself installed meanwhile
                signal.signal(number, handler)
        if came:
            before[came[0]](came[0], sys._getframe())


def held_submit(executor: cf.Executor, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future:
    """``executor.submit(fn, *args, **kwargs)`` in :func:`interrupts_held`; an interrupt cancels the job.

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
        call: raised once ``submit`` has returned, after the new job is cancelled.

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
    future = None
    try:
        with interrupts_held():
            future = executor.submit(fn, *args, **kwargs)
    except BaseException:
        if future is not None:
            future.cancel()
        raise
    return future

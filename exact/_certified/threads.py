"""BLAS on one thread while the certified engine runs: its matrix products are small and many.

The engine's products are thin (a layer's neurons against six numbers per cell, or a few
thousand cells at a time), so a second BLAS thread gains nothing and, on a busy machine,
costs: measured on this 2-core machine with one other busy process, 2-64-64-64-64-1 took
0.20 s with numpy's default two OpenBLAS threads and 0.12 s with one; 2-100^4-1 0.60 s
against 0.39 s; unloaded the two are equal.  The limit is set on entry and the caller's
setting is restored on exit (threadpoolctl; a few microseconds with a cached controller).
The limit is process-wide, and OpenBLAS 0.3.31 (numpy's here) takes a limit, and its
restore, only from the main thread: so only calls in the main thread set it (nested calls
share one), and calls in other threads run under whatever the main thread set.  (Sharing
one limit among threads, set by the first and lifted by the last, left BLAS at one thread
for good when the last was a pool thread: its restore was ignored.)

Examples
--------
>>> @one_blas_thread
... def f():
...     return "ran"
>>> f()
'ran'
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["one_blas_thread"]

_CONTROLLER: list[Any] = []  # made on first use (no import-time work), then reused


def _blas() -> Any:
    """Return the BLAS libraries loaded in this process, as one threadpoolctl controller."""
    if not _CONTROLLER:
        from threadpoolctl import ThreadpoolController

        _CONTROLLER.append(ThreadpoolController().select(user_api="blas"))
    return _CONTROLLER[0]


def one_blas_thread(f: Callable) -> Callable:
    """Run ``f`` with the BLAS thread pools held to one thread.

    Parameters
    ----------
    f : callable
        The function to wrap.

    Returns
    -------
    callable
        ``f`` under ``threadpoolctl``'s limit of one BLAS thread, with ``f``'s name and
        docstring; the previous numbers of threads are restored afterwards.
    """

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        if not _enter():
            return f(*args, **kwargs)
        try:
            return f(*args, **kwargs)
        finally:
            _leave()

    return wrapper


_LOCK = threading.Lock()
_STATE: list[Any] = [0, None]  # how many calls are inside, and the limit the first one set


def _enter() -> bool:
    """Hold BLAS to one thread, from the main thread only; return whether this call holds it.

    OpenBLAS takes a limit, and a restore, only from the main thread: a limit set there and
    restored from a pool thread (the last to leave) stayed at one thread for good.  So only
    the main thread sets and restores (a limit from another thread would change nothing).
    """
    if threading.current_thread() is not threading.main_thread():
        return False
    with _LOCK:
        if _STATE[0] == 0:
            _STATE[1] = _blas().limit(limits=1)
        _STATE[0] += 1
    return True


def _leave() -> None:
    """Give the caller's setting back when the main thread's outermost call leaves."""
    with _LOCK:
        _STATE[0] -= 1
        if _STATE[0] == 0:
            _STATE[1].restore_original_limits()
            _STATE[1] = None

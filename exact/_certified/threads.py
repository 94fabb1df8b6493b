"""BLAS on one thread while the certified engine runs: its matrix products are small and many.

The engine's products are thin (a layer's neurons against six numbers per cell, or a few
thousand cells at a time), so a second BLAS thread gains nothing and, on a busy machine,
costs: measured on this 2-core machine with one other busy process, 2-64-64-64-64-1 took
0.20 s with numpy's default two OpenBLAS threads and 0.12 s with one; 2-100^4-1 0.60 s
against 0.39 s; unloaded the two are equal.  The limit is set on entry and the caller's
setting is restored on exit (threadpoolctl; a few microseconds with a cached controller).

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
        with _blas().limit(limits=1):
            return f(*args, **kwargs)

    return wrapper

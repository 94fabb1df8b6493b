"""Work handed to an executor: the executor checked, and each worker on one thread.

:func:`exact.count_many` (many nets) and :func:`exact.count_regions` with ``tiles=`` (one
net in tiles) send jobs to any :class:`concurrent.futures.Executor`: a process pool, a
dask.distributed ``Client.get_executor()``.  A worker process that runs one job per core
must hold its BLAS and OpenMP pools (and torch, if it is imported there) to one thread,
or the pools of the workers fight for the cores (measured: a process pool over 60
checkpoints gained nothing until they did, then 3-4x).  The calling process, when it runs
a job itself (serially), keeps its own settings.

Examples
--------
>>> import os
>>> with one_thread(os.getpid()):   # the calling process: nothing changes
...     pass
>>> check_executor(None), check_executor("pool")
Traceback (most recent call last):
...
exact.errors.InputTypeError: executor must be a concurrent.futures.Executor, got str
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any

from .errors import InputTypeError

__all__ = ["check_executor", "one_thread"]


@contextlib.contextmanager
def one_thread(parent: int) -> Iterator[None]:
    """Hold BLAS, OpenMP and torch to one thread inside the block, unless this is process ``parent``.

    Parameters
    ----------
    parent : int
        The id of the process that handed out the work (``os.getpid()`` there): in that
        process nothing is changed, its thread settings are the caller's own.

    Returns
    -------
    context manager
        Inside it, in any other process, :func:`threadpoolctl.threadpool_limits` holds the
        BLAS and OpenMP pools to one thread and ``torch.set_num_threads(1)`` has been
        called if torch is imported (for good: a worker process serves one core).

    Examples
    --------
    >>> from threadpoolctl import threadpool_info
    >>> with one_thread(parent=-1):   # as in a worker process
    ...     {d["num_threads"] for d in threadpool_info() if d["user_api"] == "blas"} <= {1}
    True
    """
    if os.getpid() == parent:
        yield
        return
    from threadpoolctl import threadpool_limits

    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)
    with threadpool_limits(limits=1):
        yield


def check_executor(executor: Any) -> None:
    """Refuse an ``executor=`` argument that is not a :class:`concurrent.futures.Executor`.

    Parameters
    ----------
    executor : object
        The argument; ``None`` (no executor) passes.

    Raises
    ------
    InputTypeError
        For anything else than ``None`` or an executor, naming its type.

    Examples
    --------
    >>> from concurrent.futures import ThreadPoolExecutor
    >>> with ThreadPoolExecutor(1) as pool:
    ...     check_executor(pool)
    """
    if executor is not None and not isinstance(executor, cf.Executor):
        raise InputTypeError(f"executor must be a concurrent.futures.Executor, got {type(executor).__name__}")

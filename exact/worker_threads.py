"""Work handed to an executor: the executor checked or started, and each worker on one thread.

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
import multiprocessing
import os
import sys
from collections.abc import Iterator
from typing import Any

from .errors import ExactnetError, InputError, InputTypeError

__all__ = ["check_executor", "dask_client", "one_thread", "process_pool"]


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


def process_pool(jobs: int) -> cf.ProcessPoolExecutor:
    """Start a pool of ``jobs`` worker processes that is safe with torch loaded.

    Parameters
    ----------
    jobs : int
        Worker processes, at least 1.

    Returns
    -------
    concurrent.futures.ProcessPoolExecutor
        Its workers start by ``forkserver`` where the platform has it, else by ``spawn``
        (never ``fork``: a forked copy of a process that holds torch's or BLAS's threads can
        hang).  Shut it down when done (``with process_pool(2) as pool:``).

    Examples
    --------
    >>> with process_pool(1) as pool:
    ...     pool.submit(abs, -3).result()
    3
    """
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    return cf.ProcessPoolExecutor(max_workers=jobs, mp_context=ctx)


def dask_client(address: str, *, name: str = "scheduler") -> Any:
    """Connect to a dask.distributed scheduler, with plain errors for a bad address or no answer.

    Parameters
    ----------
    address : str
        The scheduler's address, e.g. ``tcp://10.0.0.5:8786``.
    name : str
        What the address is called in the messages (the command line says ``--scheduler``).

    Returns
    -------
    distributed.Client
        Connected; close it (``with client:``) when done.  Its ``get_executor()`` is the
        :class:`concurrent.futures.Executor` to send the work to.

    Raises
    ------
    InputError
        dask.distributed is not installed, or ``address`` is not a scheduler address.
    ExactnetError
        No scheduler answered at ``address`` within 10 s.

    Examples
    --------
    >>> dask_client("nonsense", name="--scheduler")
    Traceback (most recent call last):
    ...
    exact.errors.InputError: --scheduler ...
    """
    try:
        from distributed import Client
    except ImportError:
        raise InputError(f"{name} needs dask.distributed: pip install 'exactnet[dask]'") from None
    try:
        return Client(address, timeout="10s")
    except ValueError as exc:  # an address dask cannot parse
        raise InputError(f"{name} {address!r} is not a scheduler address such as "
                         f"tcp://10.0.0.5:8786 ({exc})") from None
    except OSError as exc:  # nobody answers there
        raise ExactnetError(f"{name} {address!r}: no dask scheduler answered ({exc})") from None

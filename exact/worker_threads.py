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
import signal
import sys
import threading
from collections.abc import Iterator
from importlib import import_module
from typing import Any

from .errors import InputError, InputTypeError
from .worker_lifeline import die_with

__all__ = ["CONNECT_TIMEOUT", "COUNTING_MODULES", "HEAP_RESERVE", "check_executor", "dask_client",
           "one_thread", "process_pool", "start_fork_server_deaf_to_ctrl_c", "warm_worker"]

CONNECT_TIMEOUT = 10
"""Seconds :func:`dask_client` waits for a scheduler to answer."""


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
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)
    with _pools().limit(limits=1):
        yield


_POOLS: list[Any] = []
"""``[modules loaded, controller]``: this process's thread pools, found again when modules were imported."""


def _pools() -> Any:
    """Return a threadpoolctl controller of every thread pool loaded in this process.

    Finding the pools reads the process's loaded libraries (about 1 ms, once per job before
    this cache); a library comes with an import, so they are found again only when the
    number of imported modules has changed since.
    """
    from threadpoolctl import ThreadpoolController

    n = len(sys.modules)
    if not _POOLS or _POOLS[0] != n:
        _POOLS[:] = [n, ThreadpoolController()]
    return _POOLS[1]


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
        hang), each readied by :func:`warm_worker` as it starts.  Shut it down when done
        (``with process_pool(2) as pool:``).  On Linux each worker ends when the process that
        made the pool ends, even by SIGKILL (:func:`exact.worker_lifeline.die_with`); the fork
        server and the resource tracker then end too.

    Notes
    -----
    The fork server (started once per process, by the first pool) imports
    :data:`COUNTING_MODULES` before it forks any worker, so a worker starts with them
    loaded instead of importing them itself (measured on 2 cores: 0.02 s of CPU per new
    worker instead of 0.24 - 0.45 s).  What a worker still pays: a Python without the fix
    of CPython gh-126631 (3.11 and 3.12; fixed for 3.13 in September 2025) also runs the
    calling script again in every worker (its fork server never preloads ``__main__``),
    imports at its top included: a script that imports torch at the top pays torch's
    import (about 0.8 s of CPU here) in each worker of each pool.  Importing torch inside
    the function that runs under ``if __name__ == "__main__":`` avoids it.

    Examples
    --------
    >>> with process_pool(1) as pool:
    ...     pool.submit(abs, -3).result()
    3
    """
    if getattr(multiprocessing.current_process(), "_inheriting", False):  # a starting worker runs a script
        print("exactnet: a worker process, starting, ran the script's top level, which starts a pool of its "
              'own: put the script\'s work under `if __name__ == "__main__":`', file=sys.stderr, flush=True)
        raise SystemExit(1)  # not the traceback of each worker's failed start (about 90 lines each)
    if "forkserver" not in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("spawn")
    else:
        ctx = multiprocessing.get_context("forkserver")
        _preload_counting(ctx)
    return cf.ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_start_worker,
                                  initargs=(os.getpid(),))


def start_fork_server_deaf_to_ctrl_c() -> None:
    """Start :func:`process_pool`'s fork server (and the resource tracker) ignoring Ctrl-C; for ``exactnet``.

    A Ctrl-C in a terminal goes to every process of the group: the fork server and the
    resource tracker, still importing, printed a ``KeyboardInterrupt`` traceback (or "Fatal
    Python error: init_import_site") under the command's own one line.  The command line
    calls this before its first pool; the fork server is one per process and passes the
    setting on to every worker it forks (the command ends them by SIGTERM), so the library
    never calls it for its callers' processes.  A Ctrl-C to this process while they start is
    raised once they have started.  Nothing is done where there is no fork server or when it
    runs already.

    Returns
    -------
    None

    Examples
    --------
    >>> import subprocess
    >>> code = "from exact.worker_threads import start_fork_server_deaf_to_ctrl_c as go; go(); go(); print(1)"
    >>> subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.split()
    ['1']
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return
    _preload_counting(multiprocessing.get_context("forkserver"))
    from multiprocessing import forkserver, resource_tracker  # not at import: sockets, selectors

    resource_tracker.ensure_running()  # first: it blocks Ctrl-C for its own start, and unblocks it after
    with _children_deaf_to_ctrl_c():
        forkserver.ensure_running()  # (the resource tracker runs already: left alone)


@contextlib.contextmanager
def _children_deaf_to_ctrl_c() -> Iterator[None]:
    """Block SIGINT in this thread inside the block, so that the processes started in it never receive it.

    A Ctrl-C in a terminal goes to every process of the group: the fork server, still
    importing, printed a ``KeyboardInterrupt`` traceback (or "Fatal Python error:
    init_import_site") under the command's own one line.  A blocked signal stays blocked
    across ``fork`` and ``exec``, and the fork server ignores it once started (so do the
    workers it forks, which inherit the mask: this process ends them, by SIGTERM).  In this
    process a Ctrl-C that came inside the block waits, and is raised when it ends: it was
    lost when the block ignored SIGINT instead (1 of 30 Ctrl-Cs sent 0.1 - 0.35 s into
    ``exactnet count ... --tiles 3 --jobs 2``).  In a thread other than the main one, or
    where signals cannot be blocked, nothing is changed.
    """
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)  # a Ctrl-C that came meanwhile is raised now


def _start_worker(creator: int) -> None:
    """Initialize a worker of :func:`process_pool`: end with process ``creator``, then :func:`warm_worker`."""
    die_with(creator)
    warm_worker()


COUNTING_MODULES = ("exact.many_nets", "exact.tiled_counts", "numpy.ma", "numpy.random")
"""The modules a worker's count runs in (they import the rest: numpy, the engines; no torch,
sympy or matplotlib), and the two numpy loads on first use during a count (``np.unique``
asks for ``numpy.ma``; the certified engine's hash keys for ``numpy.random``)."""


def _preload_counting(ctx: Any) -> None:
    """Have the fork server import :data:`COUNTING_MODULES` once, for every worker it forks.

    Added to the modules it already preloads (``__main__`` by default); takes effect when the
    fork server starts, which is once per process (a pool made later reuses it).
    """
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    preload = list(getattr(server, "_preload_modules", ["__main__"]))
    missing = [m for m in COUNTING_MODULES if m not in preload]
    if missing:
        ctx.set_forkserver_preload(preload + missing)


HEAP_RESERVE = 64 << 20
"""Bytes of heap a warmed worker keeps touched and ready (:func:`warm_worker`)."""


def warm_worker(reserve: int = HEAP_RESERVE) -> None:
    """Get a fresh worker process ready to count, so that its first job costs what the later ones do.

    The initializer of :func:`process_pool`'s workers; pass it to your own pool too
    (``ProcessPoolExecutor(2, initializer=warm_worker)``) or run it on a dask cluster's
    workers (``client.run(warm_worker)``).

    Parameters
    ----------
    reserve : int, default :data:`HEAP_RESERVE`
        Bytes of heap to touch once and keep (0: none).

    Notes
    -----
    What a worker's first count paid and the later ones did not, measured in CPU time on
    2-128-128-128-128-1 in 2 x 2 tiles (a tile: 0.17 - 0.2 s of user time warm): importing
    the counting modules (0.22 s, once per process; no torch, sympy or matplotlib among
    them), finding the thread pools (1 ms), and above all growing the heap: 12 000 - 14 000
    fresh page faults in its first tile (28 000 under ``fork``, copies of the parent's
    pages) against 1 000 - 5 000 later, 0.01 - 0.5 s of kernel time (numpy asks for
    transparent huge pages, which the kernel may compact memory for).  Here the modules
    are imported and the pools found; then, where the C library is glibc, arrays up to
    32 MB are taken from the heap (``M_MMAP_THRESHOLD``), ``reserve`` bytes of it are
    touched once and kept after they are freed (``M_TOP_PAD``; the heap above
    ``2 * reserve`` free is given back, ``M_TRIM_THRESHOLD``): the first tile then faults
    1 900 - 2 300 times.  The worker holds ``reserve`` bytes more while idle.

    Examples
    --------
    >>> warm_worker(0)    # imports and thread pools only
    """
    for name in COUNTING_MODULES:  # what a count needs, nothing it does not (no torch, sympy, matplotlib)
        import_module(name)
    _pools()
    if reserve > 0:
        _keep_heap(reserve)


def _keep_heap(reserve: int) -> None:
    """Touch ``reserve`` bytes of heap and keep them for later jobs (glibc on Linux only; else nothing)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    # glibc's M_MMAP_THRESHOLD (-3; 32 MB is its largest), M_TOP_PAD (-2), M_TRIM_THRESHOLD (-1);
    # another C library's mallopt answers 0 (not done), and then nothing is touched
    if not (mallopt(-3, 32 << 20) and mallopt(-2, reserve) and mallopt(-1, 2 * reserve)):
        return
    import numpy as np

    chunk = 8 << 20
    touched = [np.ones(min(chunk, reserve - k) // 8) for k in range(0, reserve, chunk)]
    del touched


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
    ConnectionError
        No dask scheduler answered at ``address`` within :data:`CONNECT_TIMEOUT` seconds, or
        something that is not one did: a failure of the environment, not of the input
        (``exactnet`` exits with 1).  Its ``strerror`` says so, its ``filename`` is the address.

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
        return Client(address, timeout=f"{CONNECT_TIMEOUT}s")
    except ValueError as exc:  # an address dask cannot parse
        raise InputError(f"{name} {address!r} is not a scheduler address such as "
                         f"tcp://10.0.0.5:8786 ({exc})") from None
    except OSError:  # refused, unreachable, no such host: dask tries again until the timeout
        why = f"no dask scheduler answered at {name} within {CONNECT_TIMEOUT} s"
    except MemoryError:  # another server answered: dask read its first bytes as a frame's huge length
        why = f"what answered at {name} is not a dask scheduler"
    raise ConnectionError(None, why, address)

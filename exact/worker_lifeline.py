"""A worker process that ends when the process that started its pool ends, even by SIGKILL.

A :class:`~concurrent.futures.ProcessPoolExecutor` worker waits on a queue whose both ends
it holds, so it never notices that the process that made the pool is gone: after a SIGTERM
or SIGKILL there (``timeout``, Slurm, a preempted job) the workers, the fork server that
forked them (it waits until every process holding its "alive" pipe is gone, the workers
included) and the resource tracker (it waits for the workers too) stay behind, idle,
holding the caller's standard output and error open.  :func:`die_with` breaks that: the
worker watches the pool's creator and ends when it ends; the fork server and the resource
tracker then see their pipes close and end too.

Linux only (a ``pidfd``, Linux 5.3, and ``prctl``); elsewhere, or where the kernel or the C
library refuses, nothing is done.

Examples
--------
>>> import os
>>> die_with(os.getpid())   # this process is not a worker of its own: nothing is done
False
"""

from __future__ import annotations

import os
import select
import signal
import sys
import threading

__all__ = ["PR_SET_PDEATHSIG", "die_with"]

PR_SET_PDEATHSIG = 1
"""Linux ``prctl`` option: the signal this process gets when the thread that forked it ends."""


def die_with(creator: int) -> bool:
    """End this process (status 143, as by SIGTERM) when process ``creator`` ends.

    Call it first thing in a pool worker (:func:`exact.worker_threads.process_pool`'s
    workers do).  It asks the kernel for SIGTERM when this process's parent ends
    (``prctl(PR_SET_PDEATHSIG)``; a worker's parent is its fork server) and starts a daemon
    thread that waits on a ``pidfd`` of ``creator`` and ends this process when ``creator``
    ends, whether it exited, was interrupted or was killed (SIGKILL included).  A
    ``creator`` that ended already (before this call) ends this process at once.

    Parameters
    ----------
    creator : int
        The id of the process that made the pool (``os.getpid()`` there).

    Returns
    -------
    bool
        True when ``creator`` is being watched; False when nothing was done: not on Linux,
        no ``pidfd`` (kernel before 5.3), or ``creator`` is this process itself.

    Examples
    --------
    >>> die_with(os.getpid())
    False
    """
    if not sys.platform.startswith("linux") or creator == os.getpid() or not hasattr(os, "pidfd_open"):
        return False
    _ask_parent_death_signal()
    try:
        fd = os.pidfd_open(creator)
    except ProcessLookupError:  # the creator ended before this worker got here
        os._exit(128 + signal.SIGTERM)
    except OSError:  # no pidfd in this kernel, or not allowed
        return False
    threading.Thread(target=_end_with, args=(fd,), name="exactnet-lifeline", daemon=True).start()
    return True


def _end_with(fd: int) -> None:
    """Wait until the process of pidfd ``fd`` ends, then end this process at once."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    while not poller.poll():
        pass
    os._exit(128 + signal.SIGTERM)  # no cleanup: the work belongs to a caller that is gone


def _ask_parent_death_signal() -> None:
    """Ask for SIGTERM when the parent ends (Linux ``prctl``); end now if it has ended already."""
    parent = os.getppid()
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0) != 0:
            return
    except (OSError, AttributeError, ImportError):
        return
    if os.getppid() != parent:  # the parent ended between getppid and prctl: no signal will come
        os._exit(128 + signal.SIGTERM)

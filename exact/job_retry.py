"""Which failed jobs of an executor are worth one more run: those the executor, not the job, may have lost.

A job's answer is exact and the same on every run, so running it again can cost time but
never change an answer.  dask.distributed's ``Client.get_executor()`` reads a task's status
after its result: when the worker holding the result is killed in between (the
out-of-memory killer, a preempted node), the task is already being computed again, and the
future fails with a ``TypeError`` raised inside distributed ("cannot unpack non-iterable
TileSummary object"), which ended a tiled count whose worker was killed (1 clean-clone CI
run in many).  The tiled engines and :func:`exact.count_many` run such a job once more;
a refusal of this package, a broken process pool (its submit fails at once) and dask's
``KilledWorker`` (dask has already run the task again, ``distributed.scheduler.allowed-failures``
times) are not run again.

Examples
--------
>>> lost_by_executor(TypeError("cannot unpack non-iterable TileSummary object"))
True
>>> from exact.errors import TooManyRegionsError
>>> lost_by_executor(TooManyRegionsError("more than max_regions=10 cells"))
False
"""

from __future__ import annotations

import concurrent.futures as cf

from .errors import ExactnetError

__all__ = ["RUNS", "lost_by_executor"]

RUNS = 2
"""How many times a job lost by its executor is run at most (the first run included)."""


def lost_by_executor(exc: BaseException) -> bool:
    """Tell whether a job's failure may be its executor's, so that one more run may succeed.

    Parameters
    ----------
    exc : BaseException
        What the job's future raised.

    Returns
    -------
    bool
        False for a refusal of this package (:class:`~exact.errors.ExactnetError`: the
        same on every run), a broken executor (``BrokenProcessPool``: nothing more runs on
        it), dask's ``KilledWorker`` (dask ran the task again already) and what is not an
        ``Exception`` (Ctrl-C); True otherwise.

    Examples
    --------
    >>> from concurrent.futures.process import BrokenProcessPool
    >>> lost_by_executor(BrokenProcessPool("a worker ended")), lost_by_executor(KeyboardInterrupt())
    (False, False)
    """
    return (isinstance(exc, Exception) and not isinstance(exc, (ExactnetError, cf.BrokenExecutor))
            and type(exc).__name__ != "KilledWorker")

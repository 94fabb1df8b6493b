"""SIGTERM in the command line, handled as Ctrl-C is: pools shut down, one line, a status.

``timeout``, Slurm and a preempted job stop a program with SIGTERM, whose default action
ends the process at once, without cleanup: a ``--jobs`` pool's workers were left behind.
Inside :func:`terminate_as_interrupt` a SIGTERM raises :class:`Terminated` (a
:class:`KeyboardInterrupt`), so the same ``finally`` blocks run as for Ctrl-C; the command
line then exits with :data:`EXIT_TERMINATED`.  Installed by :func:`exact.cli.main` only, for
the duration of the call (importing exactnet changes no signal handler).

Examples
--------
>>> import os, signal
>>> try:
...     with terminate_as_interrupt():
...         os.kill(os.getpid(), signal.SIGTERM)
...         signal.pause()  # not reached: the handler raises
... except Terminated:
...     print("terminated")
terminated
>>> signal.getsignal(signal.SIGTERM) is signal.SIG_DFL   # restored
True
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any

__all__ = ["EXIT_TERMINATED", "Terminated", "terminate_as_interrupt"]

EXIT_TERMINATED = 128 + signal.SIGTERM
"""Exit status after a SIGTERM (143), as a process ended by the signal reports it."""


class Terminated(KeyboardInterrupt):
    """Raised in the main thread by a SIGTERM inside :func:`terminate_as_interrupt`."""


def _raise_terminated(signum: int, frame: Any) -> None:
    raise Terminated(f"signal {signum}")


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Inside the block, a SIGTERM raises :class:`Terminated`; the previous handler is restored after.

    Returns
    -------
    context manager
        Outside the main thread (where Python cannot set a handler), or when SIGTERM is
        ignored (``SIG_IGN``, inherited from the caller) or handled outside Python, it
        changes nothing.

    Examples
    --------
    >>> with terminate_as_interrupt():
    ...     signal.getsignal(signal.SIGTERM) is _raise_terminated
    True
    """
    current = signal.getsignal(signal.SIGTERM)
    if threading.current_thread() is not threading.main_thread() or current in (signal.SIG_IGN, None):
        yield  # no handler can be set here; SIGTERM ignored by the caller stays ignored; one set in C stays
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)

"""The ``exactnet`` console script, ``python -m exact`` and ``python -m exactnet``: :func:`run`.

The command line's modules take about 0.2 s to import.  A Ctrl-C in that time used to end
the command with a Python traceback (``KeyboardInterrupt`` in the middle of an import): here
it ends it with one line and status 130, as a Ctrl-C later does (:func:`exact.cli.main`).

Examples
--------
>>> import subprocess, sys
>>> subprocess.run([sys.executable, "-m", "exact", "--version"], capture_output=True, text=True).returncode
0
"""

from __future__ import annotations

import signal
import sys
import threading

__all__ = ["EXIT_INTERRUPTED", "run"]

EXIT_INTERRUPTED = 130
"""Exit status after a Ctrl-C (128 + SIGINT), as a shell reports a process ended by it."""


def run() -> None:
    """Import the command line and run it on ``sys.argv``; exit with its status.

    Returns
    -------
    None
        It exits (:class:`SystemExit`) with :func:`exact.cli.main`'s status, or with
        :data:`EXIT_INTERRUPTED` and the line ``exactnet: interrupted`` after a Ctrl-C that
        came before the command had started; once the command has returned, Ctrl-C and
        SIGTERM are ignored until the exit.

    Examples
    --------
    >>> import subprocess
    >>> done = subprocess.run([sys.executable, "-c", "from exact.command_entry import run; run()",
    ...                        "count", "2-3-1", "--json"], capture_output=True, text=True)
    >>> done.returncode, done.stdout.startswith('{"widths": "2-3-1"')
    (0, True)
    """
    try:
        from .cli import main

        status = main()
    except KeyboardInterrupt:  # before main's own handling starts: importing, parsing the arguments
        print("exactnet: interrupted", file=sys.stderr)
        status = EXIT_INTERRUPTED
    _deaf_from_now()
    sys.exit(status)


def _deaf_from_now() -> None:
    """Ignore Ctrl-C and SIGTERM from here to the exit: the command has done its work and said so.

    A signal in the interpreter's last milliseconds ended a finished run by that signal (a
    complete ``count-many`` recorded as killed by a job scheduler: 8 times in a trial that
    stopped runs near their end).
    """
    if threading.current_thread() is threading.main_thread():
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, signal.SIG_IGN)

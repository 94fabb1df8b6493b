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

import sys

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
        came before the command had started.

    Examples
    --------
    >>> import pytest
    >>> with pytest.raises(SystemExit) as stop:
    ...     sys.argv = ["exactnet", "count", "2-3-1", "--json"]
    ...     run()   # doctest: +ELLIPSIS
    {"widths": "2-3-1", ...}
    >>> stop.value.code
    0
    """
    try:
        from .cli import main

        status = main()
    except KeyboardInterrupt:  # before main's own handling starts: importing, parsing the arguments
        print("exactnet: interrupted", file=sys.stderr)
        status = EXIT_INTERRUPTED
    sys.exit(status)

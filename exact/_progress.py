"""Progress bars for long enumerations: tqdm on standard error, shown only after a second.

Where standard error is not a terminal (a log file, a pipe), a bar is redrawn every
:data:`LOG_INTERVAL` seconds instead of ten times a second.

Examples
--------
>>> bar = progress_bar(False, 10, "cells")   # disabled: a bar that does nothing
>>> bar.update(3); bar.close()
"""

from __future__ import annotations

__all__ = ["LOG_INTERVAL", "progress_bar"]


def progress_bar(enabled: bool, total: int, desc: str, unit: str = "it", *, rate: bool = True):
    """Make a tqdm bar on standard error, or a no-op bar when disabled.

    Parameters
    ----------
    enabled : bool
        Whether to show a bar at all.
    total : int
        Expected number of updates.
    desc : str
        Label shown before the bar.
    unit : str
        Name of one update.
    rate : bool, default True
        Show the rate (and the time left, worked out from it); False: the count and the
        time elapsed only, for updates whose time includes start-up (a process pool's
        workers starting and importing), where a rate per update would mislead.

    Returns
    -------
    tqdm or no-op bar
        An object with ``update(n=1)`` and ``close()``; the tqdm bar (``leave=False``)
        appears only after one second.

    Examples
    --------
    >>> bar = progress_bar(False, 3, "layer 1/1", unit="cell")
    >>> for _ in range(3):
    ...     bar.update()
    >>> bar.close()
    """
    if not enabled:
        return _NoBar()
    from tqdm.auto import tqdm

    every = {"mininterval": LOG_INTERVAL} if _logged(tqdm) else {}
    if rate:
        return tqdm(total=total, desc=desc, unit=unit, delay=1.0, leave=False, **every)
    counts = "{n_fmt}/{total_fmt} " + unit + "s" if total is not None else "{n_fmt} " + unit + "s"
    bar = "{desc}: {percentage:3.0f}%|{bar}| " if total is not None else "{desc}: "
    return tqdm(total=total, desc=desc, unit=unit, delay=1.0, leave=False, **every,
                bar_format=bar + counts + " [{elapsed} elapsed, start-up included]")


LOG_INTERVAL = 30.0
"""Seconds between a bar's updates when standard error is a file or a pipe, not a terminal."""


def _logged(bar_class: type) -> bool:
    """Whether a bar of ``bar_class`` would write to a log: a text bar, standard error no terminal.

    A text bar redraws itself 10 times a second; in a terminal that overwrites one line, in a
    job scheduler's log file each redraw stays (a 6-minute count wrote thousands).  A
    notebook's bar (``tqdm.auto`` there) is a widget and keeps its own pace.
    """
    import sys

    if any(c.__name__ == "tqdm_notebook" for c in bar_class.__mro__):
        return False
    try:
        return not sys.stderr.isatty()
    except (AttributeError, ValueError):  # no standard error, or a closed one
        return True


class _NoBar:
    """A progress bar that shows nothing."""

    def update(self, n: int = 1) -> None:
        """Do nothing."""

    def close(self) -> None:
        """Do nothing."""

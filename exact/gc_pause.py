"""Pause Python's cyclic garbage collector while millions of acyclic objects are made.

Building the cells of a large result (tuples of integers, lists, dicts: no reference
cycles) makes the collector run full collections over an ever larger heap; pausing it
keeps the work linear.  Measured: 40 % of :func:`exact.regions` on 2-1000-1, and 70 % of
:meth:`exact.Regions.to_geojson` on 2-300-1.

Objects that outlive the block (a GeoJSON dict) are better made under
:func:`full_collections_held`: the young collections keep running over the few objects
just made (in cache, cheap), and only the full collections over the whole heap wait.
Paused instead, the millions of objects are all still young when the collector comes
back, and its first pass walks all of them at once, out of cache (measured: 2.2 s for
the 5.6 million lists and dicts of the 2-1000-1 GeoJSON, against 0.6 s of young
collections while they are made).

Examples
--------
>>> import gc
>>> with gc_paused():
...     gc.isenabled()
False
>>> gc.isenabled()
True
>>> with full_collections_held():
...     gc.get_threshold()[2] == FULL_HELD
True
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

__all__ = ["FULL_HELD", "full_collections_held", "gc_paused"]

FULL_HELD = 2**31 - 1
"""The full-collection threshold while :func:`full_collections_held` holds them (never reached)."""


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the ``with`` block; restore its state after.

    Yields
    ------
    None

    Examples
    --------
    >>> gc.disable()
    >>> with gc_paused():
    ...     pass
    >>> gc.isenabled()     # it was off before, so it stays off
    False
    >>> gc.enable()
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


@contextlib.contextmanager
def full_collections_held() -> Iterator[None]:
    """Hold the collector's full collections for the ``with`` block; young ones keep running.

    The threshold of the oldest generation is raised to :data:`FULL_HELD` and set back
    after, so a block that makes millions of long-lived acyclic objects is not walked
    by repeated full collections over the growing heap, and is not left for one pass over
    millions of young objects either (see the module's note).  The collector's state
    is otherwise untouched: disabled stays disabled, and the thresholds are restored
    exactly, also on an error.  Blocks open in several threads at once share one hold: the
    first saves the thresholds and the last restores them.

    Yields
    ------
    None

    Examples
    --------
    >>> before = gc.get_threshold()
    >>> with full_collections_held():
    ...     gc.isenabled(), gc.get_threshold()[:2] == before[:2]
    (True, True)
    >>> gc.get_threshold() == before
    True
    """
    global _HOLDERS, _SAVED
    with _HOLD_LOCK:  # the thresholds are the process's: the first holder saves them, the last restores them
        if _HOLDERS == 0:
            _SAVED = gc.get_threshold()
            gc.set_threshold(_SAVED[0], _SAVED[1], FULL_HELD)
        _HOLDERS += 1
    try:
        yield
    finally:
        with _HOLD_LOCK:
            _HOLDERS -= 1
            if _HOLDERS == 0:
                gc.set_threshold(*_SAVED)


_HOLD_LOCK = threading.Lock()
_HOLDERS = 0
"""How many ``with full_collections_held()`` blocks are open, in all threads."""
_SAVED = (700, 10, 10)
"""The thresholds the first open block found (restored when the last one closes)."""

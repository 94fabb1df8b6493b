"""The memory this process can still allocate, read from the system in a few unbuffered reads.

A module of its own, below everything that guards a big job (validation, GeoJSON export).

Examples
--------
>>> n = available_memory()
>>> n is None or n > 0
True
"""

from __future__ import annotations

import os

__all__ = ["available_memory"]


def available_memory() -> int | None:
    """Return the memory this process can still allocate without swapping, in bytes.

    The smallest of: ``MemAvailable`` from ``/proc/meminfo`` (free pages, or
    ``os.sysconf`` where there is no ``/proc``), the headroom under a cgroup v2 memory
    limit (``memory.max - memory.current``), and the headroom under ``RLIMIT_AS`` (an
    address-space limit such as ``ulimit -v``; virtual memory counts there).

    Returns
    -------
    int or None
        Bytes, or ``None`` when none of these can be read.

    Examples
    --------
    >>> n = available_memory()
    >>> n is None or n > 0
    True
    """
    found = []
    try:  # MemAvailable is the third line, on Linux 3.14 and later
        found.append(int(_read_small("/proc/meminfo").split(b"MemAvailable:", 1)[1].split()[0]) * 1024)
    except (OSError, ValueError, IndexError):
        try:
            found.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (ValueError, OSError, AttributeError):
            pass
    try:
        cap = _read_small("/sys/fs/cgroup/memory.max").strip()
        if cap.isdigit():
            found.append(int(cap) - int(_read_small("/sys/fs/cgroup/memory.current").strip()))
    except (OSError, ValueError):
        pass
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_AS)[0]
        if soft != resource.RLIM_INFINITY:
            found.append(soft - int(_read_small("/proc/self/statm").split()[0]) * os.sysconf("SC_PAGE_SIZE"))
    except (ImportError, OSError, ValueError, IndexError):
        pass
    return max(0, min(found)) if found else None


def _read_small(path: str) -> bytes:
    """Read the first 4 kB of a small system file in one unbuffered read (no text layer)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.read(fd, 4096)
    finally:
        os.close(fd)

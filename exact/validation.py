"""Input validation shared by the public API and the command line.

Every public entry point (:func:`exact.regions`, :func:`exact.count_regions`,
:func:`exact.cross_check`, the ``exactnet`` commands) checks its arguments here, so one
argument gets one message wherever it is given.
"""

from __future__ import annotations

import math
import numbers
import os
import re
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from .errors import InputError, InputTypeError
from .loading import as_exact_net
from .network import ExactNet

__all__ = [
    "DEFAULT_MAX_MEMORY",
    "DEFAULT_MAX_REGIONS",
    "DEFAULT_WINDOW",
    "MemoryLike",
    "WindowLike",
    "available_memory",
    "check_max_memory",
    "check_max_regions",
    "check_window",
    "prepare_net",
]

DEFAULT_WINDOW = 10
"""Half-width ``B`` of the default window ``[-B, B]^2`` of every function and command."""

DEFAULT_MAX_REGIONS = 2_000_000
"""Default guard: enumerations beyond this many cells stop with an error."""

WindowLike = int | float | Fraction | None
"""A window half-width ``B > 0`` (the square ``[-B, B]^2``) or ``None`` for the whole plane."""

DEFAULT_MAX_MEMORY = "auto"
"""Default memory budget: half the memory available when the job starts.

Available means the operating system's estimate of what can be allocated without
swapping (``MemAvailable`` in ``/proc/meminfo``), lowered to the headroom of a cgroup
memory limit or an address-space limit (``ulimit -v``) when one is set; see
:func:`available_memory`.  Half of it leaves room for the interpreter, torch and the
caller's own data.
"""

MemoryLike = int | float | str | None
"""A memory budget: bytes (``2_000_000_000``), a size (``"2GB"``, ``"500 MiB"``), ``"auto"``
(:data:`DEFAULT_MAX_MEMORY`) or ``None`` for no limit."""

_UNITS = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6, "g": 10**9, "gb": 10**9,
          "t": 10**12, "tb": 10**12, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


def check_window(window: Any) -> Fraction | None:
    """Validate a window half-width: ``None`` (whole plane) or a finite number > 0.

    Parameters
    ----------
    window : int, float, Fraction, str or None
        The half-width ``B`` of ``[-B, B]^2``; ``None`` or one of the strings ``"plane"``,
        ``"none"``, ``"inf"`` for the whole plane.

    Returns
    -------
    Fraction or None
        The exact half-width, or ``None`` for the whole plane.

    Raises
    ------
    InputTypeError
        For a bool, a container or another string.
    InputError
        For a value that is not a finite number > 0.

    Examples
    --------
    >>> check_window(10.0), check_window(None)
    (Fraction(10, 1), None)
    >>> check_window(-1)
    Traceback (most recent call last):
    ...
    exact.errors.InputError: window must be a finite number > 0 (half-width B of [-B, B]^2) or None, got -1
    """
    if window is None:
        return None
    if isinstance(window, str) and window.strip().lower() in ("plane", "none", "inf"):
        return None
    if isinstance(window, bool) or isinstance(window, (list, tuple, dict, str)):
        raise InputTypeError(f"window must be a number or None, got {window!r}")
    try:
        f = Fraction(window) if isinstance(window, (int, Fraction)) else Fraction(float(window))
    except (TypeError, ValueError, OverflowError):
        raise InputError(
            f"window must be a finite number > 0 (half-width B of [-B, B]^2) or None, got {window!r}"
        ) from None
    if f <= 0:
        raise InputError(
            f"window must be a finite number > 0 (half-width B of [-B, B]^2) or None, got {window!r}"
        )
    return f


def check_max_regions(max_regions: Any) -> None:
    """Validate the ``max_regions`` guard: a positive integer or ``None`` (no guard).

    Parameters
    ----------
    max_regions : int or None
        The guard to check.

    Raises
    ------
    InputTypeError
        For a bool or a value that is not an integer.
    InputError
        For an integer < 1.

    Examples
    --------
    >>> check_max_regions(10), check_max_regions(None)
    (None, None)
    >>> check_max_regions(0)
    Traceback (most recent call last):
    ...
    exact.errors.InputError: max_regions must be a positive integer or None, got 0
    """
    if max_regions is None:
        return
    if isinstance(max_regions, bool) or not isinstance(max_regions, numbers.Integral):
        raise InputTypeError(f"max_regions must be a positive integer or None, got {max_regions!r}")
    if max_regions < 1:
        raise InputError(f"max_regions must be a positive integer or None, got {max_regions!r}")


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
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:  # the third line, on Linux 3.14 and later
                if line.startswith("MemAvailable:"):
                    found.append(int(line.split()[1]) * 1024)
                    break
    except (OSError, ValueError, IndexError):
        try:
            found.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (ValueError, OSError, AttributeError):
            pass
    try:
        with open("/sys/fs/cgroup/memory.max", encoding="ascii") as f:
            cap = f.read().strip()
        with open("/sys/fs/cgroup/memory.current", encoding="ascii") as f:
            if cap.isdigit():
                found.append(int(cap) - int(f.read().strip()))
    except (OSError, ValueError):
        pass
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_AS)[0]
        if soft != resource.RLIM_INFINITY:
            with open("/proc/self/statm", encoding="ascii") as f:
                found.append(soft - int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE"))
    except (ImportError, OSError, ValueError):
        pass
    return max(0, min(found)) if found else None


def check_max_memory(max_memory: Any) -> int | None:
    """Validate a memory budget and return it in bytes (``None``: no limit).

    Parameters
    ----------
    max_memory : int, float, str or None
        Bytes (an integer, or a float with an integral value such as ``2e9``), a size
        with a unit (``"2GB"``, ``"1.5 GiB"``, ``"500M"``: k/M/G/T powers of 1000,
        KiB/MiB/GiB/TiB powers of 1024), ``"auto"`` for :data:`DEFAULT_MAX_MEMORY` (half
        of :func:`available_memory`), or ``None`` for no limit.

    Returns
    -------
    int or None
        The budget in bytes; ``None`` for no limit (also when ``"auto"`` finds no way to
        read the available memory).

    Raises
    ------
    InputTypeError
        For a bool, a container or another type.
    InputError
        For a value that is not a positive size.

    Examples
    --------
    >>> check_max_memory("2GB"), check_max_memory("1 KiB"), check_max_memory(None)
    (2000000000, 1024, None)
    >>> check_max_memory(0)
    Traceback (most recent call last):
    ...
    exact.errors.InputError: max_memory must be a positive number of bytes, a size such as '2GB', ...
    """
    msg = ("max_memory must be a positive number of bytes, a size such as '2GB', 'auto' or None, "
           f"got {max_memory!r}")
    if max_memory is None:
        return None
    if isinstance(max_memory, str):
        text = max_memory.strip().lower()
        if text == "auto":
            avail = available_memory()
            return None if avail is None else max(1, avail // 2)
        m = re.fullmatch(r"([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([a-z]*)", text)
        if m is None or m.group(2) not in _UNITS:
            raise InputError(msg)
        value = float(m.group(1)) * _UNITS[m.group(2)]
    elif isinstance(max_memory, bool) or not isinstance(max_memory, numbers.Real):
        raise InputTypeError(f"max_memory must be a number of bytes, a size such as '2GB', 'auto' or None, "
                             f"got {max_memory!r}")
    else:
        value = max_memory
    if isinstance(value, numbers.Integral):
        if value < 1:
            raise InputError(msg)
        return int(value)
    if not math.isfinite(value) or value < 1 or (not isinstance(max_memory, str) and value != int(value)):
        raise InputError(msg)
    return int(value)


def prepare_net(net: Any, plane: Sequence[Any] | None = None, activation: str | None = None) -> ExactNet:
    """Coerce ``net``, restrict it to ``plane`` if given, and check it has 2-D input.

    Parameters
    ----------
    net : torch.nn.Module, list of (W, b), ExactNet, or path
        Any network :func:`exact.as_exact_net` accepts.
    plane : (x0, x1, x2), optional
        Three points spanning the affine plane to restrict the input to.
    activation : str, optional
        Hidden activation when ``net`` is a list of layers.

    Returns
    -------
    ExactNet
        A network with 2-D input.

    Raises
    ------
    InputError
        When ``plane`` is not three points, or the input is not 2-D without ``plane``.

    Examples
    --------
    >>> prepare_net([([[1.0, 0.0, 0.0]], [0.0]), ([[1.0]], [0.0])],
    ...             plane=([0, 0, 0], [1, 0, 0], [0, 1, 0])).input_dim
    2
    """
    enet = as_exact_net(net, activation=activation)
    if plane is not None:
        if isinstance(plane, (str, bytes, dict)) or not hasattr(plane, "__len__"):
            raise InputTypeError(f"plane must be three points (x0, x1, x2), got {plane!r}")
        if len(plane) != 3:
            raise InputError(f"plane must be three points (x0, x1, x2), got {len(plane)} items")
        enet = enet.restrict_to_plane(*plane)
    if enet.input_dim != 2:
        raise InputError(
            f"the network's input is {enet.input_dim}-D, and regions are computed for 2-D input: "
            "give three points spanning a plane through the input space (plane=(x0, x1, x2) in "
            "Python, --plane '[[...], [...], [...]]' on the command line) to study that 2-D slice"
        )
    return enet

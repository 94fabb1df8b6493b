"""Input validation shared by the public API and the command line.

Every public entry point (:func:`exact.regions`, :func:`exact.count_regions`,
:func:`exact.cross_check`, the ``exactnet`` commands) checks its arguments here, so one
argument gets one message wherever it is given.
"""

from __future__ import annotations

import math
import numbers
import re
import time
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np

from .array_input import decimal_fraction, plain_text, refuse_masked, to_vector
from .errors import InputError, InputTypeError
from .loading import as_exact_net
from .memory_headroom import available_memory
from .network import ExactNet
from .windows import ConvexWindow, convex_window, rectangle_window, window_number
from .wording import counted

__all__ = [
    "DEFAULT_MAX_MEMORY",
    "DEFAULT_MAX_REGIONS",
    "DEFAULT_WINDOW",
    "MemoryLike",
    "WindowLike",
    "available_memory",
    "DEFAULT_MAX_PIECES",
    "check_max_memory",
    "check_max_pieces",
    "check_max_regions",
    "check_point",
    "check_window",
    "prepare_net",
]

DEFAULT_WINDOW = 10
"""Half-width ``B`` of the default window ``[-B, B]^2`` of every function and command."""

DEFAULT_MAX_REGIONS = 2_000_000
"""Default guard: enumerations beyond this many cells stop with an error."""

DEFAULT_MAX_PIECES = 1_000_000
"""Default guard of :func:`exact.count_on_segment`: more pieces than this stop with an error."""

WindowLike = int | float | Fraction | tuple | Sequence | ConvexWindow | None
"""A window half-width ``B > 0`` (the square ``[-B, B]^2``), a rectangle ``(xmin, xmax, ymin, ymax)``,
the vertices of a convex polygon, or ``None`` for the whole plane (see :func:`check_window`)."""

DEFAULT_MAX_MEMORY = "auto"
"""Default memory budget: half the memory available when the job starts (read at most once a second).

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


_FINITE = ("window must be a finite number > 0 (half-width B of [-B, B]^2), a rectangle (xmin, xmax, ymin, "
           "ymax), the vertices of a convex polygon, or None; got {got}")


def check_window(window: Any) -> Fraction | ConvexWindow | None:
    """Validate a window: a half-width, ``None`` (whole plane), a rectangle or a convex polygon.

    Parameters
    ----------
    window : number, str, (xmin, xmax, ymin, ymax), sequence of (x, y), ConvexWindow or None
        A finite number ``B > 0`` for the square ``[-B, B]^2``; ``None`` or one of the
        strings ``"plane"``, ``"none"`` for the whole plane (not ``"inf"``: refused as
        ``float("inf")`` is, as no half-width); four numbers for
        the rectangle ``[xmin, xmax] x [ymin, ymax]``; three or more vertices ``(x, y)`` of a
        convex polygon (either orientation; see :func:`exact.windows.convex_window`).  All
        values are taken exactly (floats at their binary value).

    Returns
    -------
    Fraction, ConvexWindow or None
        The exact half-width (also for a rectangle or polygon that is the square
        ``[-B, B]^2``), the rectangle or polygon, or ``None`` for the whole plane.

    Raises
    ------
    InputTypeError
        For a bool, a mapping or another string.
    InputError
        For a number that is not finite and > 0, an empty rectangle, or a polygon with
        fewer than three vertices, zero area, or that is not convex.

    Examples
    --------
    >>> check_window(10.0), check_window(None)
    (Fraction(10, 1), None)
    >>> str(check_window((0, 1, -1, 2))), check_window((-2, 2, -2, 2))
    ('[0, 1] x [-1, 2]', Fraction(2, 1))
    >>> check_window([(0, 0), (1, 0), (0, 1)]).area
    Fraction(1, 2)
    >>> check_window(-1)
    Traceback (most recent call last):
    ...
    exact.errors.InputError: window must be a finite number > 0 (half-width B of [-B, B]^2), ...
    """
    if window is None:
        return None
    if isinstance(window, ConvexWindow):  # made by hand, perhaps: checked like any polygon
        checked = convex_window(window.vertices)
        return _as_square(window if checked == window else checked)
    refuse_masked(window, "window")
    if hasattr(window, "tolist") and not isinstance(window, (list, tuple)):
        window = window.tolist()  # numpy scalars and arrays (0-d too), torch tensors: plain numbers
    if isinstance(window, str) and window.strip().lower() in ("plane", "none"):
        return None
    if isinstance(window, str) and window.strip().lower().lstrip("+") in ("inf", "infinity"):
        raise InputError(_FINITE.format(got=repr(window)) + " (for the whole plane give None or 'plane')")
    if isinstance(window, bool) or isinstance(window, (dict, str, bytes)):
        raise InputTypeError(f"window must be a number, a rectangle (xmin, xmax, ymin, ymax), the vertices "
                             f"of a convex polygon, or None (also 'plane') for the whole plane; got "
                             f"{plain_text(window)}")
    if isinstance(window, np.ndarray) or (isinstance(window, Sequence) and not isinstance(window, str)):
        return _as_square(_shaped_window(window))
    msg = _FINITE.format(got=plain_text(window))
    if isinstance(window, (complex, Decimal)) or "complex" in type(window).__name__:
        return _positive(window_number(window, "window"), msg)  # refused as complex; a Decimal exactly
    try:
        f = Fraction(window) if isinstance(window, (int, Fraction)) else Fraction(float(window))
    except (TypeError, ValueError, OverflowError):
        if isinstance(window, float) and window == float("inf"):  # 'inf' as text means the whole plane
            raise InputError(f"{msg} (for the whole plane give None or 'plane')") from None
        raise InputError(msg) from None
    return _positive(f, msg)


def _positive(f: Fraction, msg: str) -> Fraction:
    """Return the half-width ``f``, refusing ``f <= 0`` with ``msg``."""
    if f <= 0:
        raise InputError(msg)
    return f


def _shaped_window(window: Any) -> ConvexWindow:
    """Read four numbers as a rectangle, a sequence of pairs as a convex polygon."""
    items = window.tolist() if isinstance(window, np.ndarray) else list(window)
    if items and all(isinstance(v, (Sequence, np.ndarray)) and not isinstance(v, (str, bytes))
                     for v in items):
        return convex_window(items)
    if len(items) == 4:
        return rectangle_window(*items)
    raise InputError(f"window: give a half-width B, a rectangle of four numbers (xmin, xmax, ymin, ymax) or "
                     f"the vertices (x, y) of a convex polygon; got {plain_text(window)}")


def _as_square(w: ConvexWindow) -> Fraction | ConvexWindow:
    """Return ``h`` when the window is the square ``[-h, h]^2`` (the same job, one engine), else ``w``."""
    x0, x1, y0, y1 = w.bounds
    if len(w.verts) == 4 and -x0 == x1 == -y0 == y1 and w.area == 4 * x1 * x1:
        return x1
    return w


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
    _check_limit(max_regions, "max_regions")


def check_max_pieces(max_pieces: Any) -> None:
    """Validate the ``max_pieces`` guard of :func:`exact.count_on_segment`.

    Parameters
    ----------
    max_pieces : int or None
        A positive integer, or ``None`` for no guard.

    Raises
    ------
    InputTypeError
        For a bool or a value that is not an integer.
    InputError
        For an integer < 1.

    Examples
    --------
    >>> check_max_pieces(0)
    Traceback (most recent call last):
    ...
    exact.errors.InputError: max_pieces must be a positive integer or None, got 0
    """
    _check_limit(max_pieces, "max_pieces")


def _check_limit(value: Any, name: str) -> None:
    """Refuse a size guard that is not a positive integer or None, naming it."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InputTypeError(f"{name} must be a positive integer or None, got {value!r}")
    if value < 1:
        raise InputError(f"{name} must be a positive integer or None, got {value!r}")


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
            avail = _available_recently()
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


_RECENT_SECONDS = 1.0
"""How long ``"auto"`` reuses the available memory it read (one read costs about 17 us, a tiny count 1 ms)."""

_recent_read: list = [None, -math.inf, None]
"""The last read: the reader it came from, its :func:`time.monotonic` time, and the bytes found."""


def _available_recently() -> int | None:
    """Return :func:`available_memory` as read within the last :data:`_RECENT_SECONDS`, else read afresh.

    The budget of ``"auto"`` is an estimate of a changing quantity in any case; a second's
    reuse spares a tiny job's repeated calls the system read.  A different reader (a test's
    stand-in) is always asked afresh.
    """
    reader, when, found = _recent_read
    now = time.monotonic()
    if reader is available_memory and 0 <= now - when < _RECENT_SECONDS:
        return found
    found = available_memory()
    _recent_read[:] = [available_memory, now, found]
    return found


def prepare_net(net: Any, plane: Sequence[Any] | None = None, activation: str | None = None, *,
                any_width: bool = False) -> ExactNet:
    """Coerce ``net``, restrict it to ``plane`` if given, and check it has 2-D input.

    Parameters
    ----------
    net : torch.nn.Module, list of (W, b), ExactNet, or path
        Any network :func:`exact.as_exact_net` accepts.
    plane : (x0, x1, x2), optional
        Three points spanning the affine plane to restrict the input to.
    activation : str, optional
        Hidden activation when ``net`` is a list of layers.
    any_width : bool, default False
        Without ``plane``, accept any input width (for :mod:`exact.nd`, which
        :func:`exact.regions` and :func:`exact.count_regions` use for widths other than 2).

    Returns
    -------
    ExactNet
        A network with 2-D input (any input width with ``any_width`` and no ``plane``).

    Raises
    ------
    InputError
        When ``plane`` is not three points, or the input is not 2-D without ``plane``
        (and without ``any_width``).

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
            raise InputError(f"plane must be three points (x0, x1, x2), got {counted(len(plane), 'item')}")
        enet = enet.restrict_to_plane(*plane)
    elif any_width:
        return enet
    if enet.input_dim != 2:
        raise InputError(
            f"the network's input is {enet.input_dim}-D, and regions are computed for 2-D input: "
            "give three points spanning a plane through the input space (plane=(x0, x1, x2) in "
            "Python, --plane '[[...], [...], [...]]' on the command line) to study that 2-D slice"
        )
    return enet


def check_point(point: Any, name: str, dim: int) -> tuple[Fraction, ...]:
    """Read a point of the input space exactly: ``dim`` finite real coordinates.

    Parameters
    ----------
    point : sequence of real, numpy array or torch tensor, shape (dim,)
        Coordinates: ints, floats (at their exact binary value), Fractions, Decimals (exactly).
    name : str
        The argument's name, for messages (``"a"``).
    dim : int
        The number of coordinates required (the network's input width).

    Returns
    -------
    tuple of Fraction
        The exact coordinates.

    Raises
    ------
    InputTypeError
        For a scalar, a string or a mapping, or a coordinate that is not a real number.
    InputError
        For a point that is not 1-D, has the wrong length or a NaN/inf coordinate.

    Examples
    --------
    >>> check_point([1, 0.5], "a", 2)
    (Fraction(1, 1), Fraction(1, 2))
    >>> check_point([1, float("nan")], "b", 2)
    Traceback (most recent call last):
    ...
    exact.errors.InputError: b[1] must be a finite number, got nan
    """
    if isinstance(point, (str, bytes, dict)) or not (hasattr(point, "__len__") or hasattr(point, "shape")):
        raise InputTypeError(f"{name} must be a sequence of {counted(dim, 'number')}, got {point!r:.80}")
    flat = point.tolist() if hasattr(point, "tolist") and hasattr(point, "shape") else point
    if isinstance(flat, (list, tuple)):
        for i, v in enumerate(flat):
            if isinstance(v, numbers.Real) and not isinstance(v, (numbers.Rational, bool)):
                try:
                    finite = math.isfinite(float(v))
                except (TypeError, ValueError, OverflowError):
                    finite = True  # to_vector words the refusal of what is not a number
                if not finite:
                    raise InputError(f"{name}[{i}] must be a finite number, got {v!r}")
    if isinstance(flat, (list, tuple)) and any(isinstance(v, Decimal) for v in flat):  # exactly, as windows
        point = [decimal_fraction(v, f"{name}[{i}]") if isinstance(v, Decimal) else v
                 for i, v in enumerate(flat)]
    coords = to_vector(point, name, noun="a point's coordinates")
    if len(coords) != dim:
        raise InputError(f"{name} has {counted(len(coords), 'coordinate')} but the network input is {dim}-D")
    return tuple(coords)

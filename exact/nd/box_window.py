"""Reading a box window for a network of any input width, and whether its corners fit in memory.

:func:`check_box_fits` lives in :mod:`exact.nd.job_memory`, with the rest of the up-front
estimate, and is kept here under its old name.

Examples
--------
>>> check_box([(0, 1), (0, 2)], 2)
((Fraction(0, 1), Fraction(0, 1)), (Fraction(1, 1), Fraction(2, 1)))
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

from ..array_input import plain_text
from ..errors import InputError, InputTypeError
from ..windows import window_number
from ..wording import counted
from .job_memory import check_box_fits

__all__ = ["BoxLike", "check_box", "check_box_fits"]


BoxLike = int | float | Fraction | Decimal | Sequence[Any]
"""A half-width ``B > 0`` (the cube ``[-B, B]^d``), ``d`` pairs ``(lo_i, hi_i)``, or the same flat."""


def _number(v: Any, where: str) -> Fraction:
    """One finite real number, exactly (a ``Decimal`` too, as the plane's windows read it), or an error."""
    if isinstance(v, bool):
        raise InputTypeError(f"{where}: expected a real number, got the boolean {v}")
    return window_number(v, where)


def _whole_space_hint(window: Any, d: int) -> None:
    """Refuse a string, saying how the whole space and a box are given."""
    if isinstance(window, (str, bytes)):
        plane = " ('plane' names the whole plane of a 2-D input)" if str(window).strip().lower() in (
            "plane", "none", "inf") else ""
        raise InputTypeError(f"window must be a half-width B > 0 (the cube [-B, B]^{d}), one (lo, hi) pair "
                             f"per axis, or None for the whole space R^{d}{plane}; got the string "
                             f"{window!r:.60}")


def _polygon_hint(window: list, d: int) -> str:
    """For pairs that make no box: say that a polygon's vertices are a 2-D window."""
    if not all(isinstance(p, (list, tuple)) and len(p) == 2 for p in window):
        return ""
    return (f"; if these are the vertices of a polygon: a polygon is a 2-D window, and this network's input "
            f"is {d}-D (give a half-width B for the cube [-B, B]^{d} or one (lo, hi) pair per axis)")


def check_box(window: Any, d: int) -> tuple[tuple[Fraction, ...], tuple[Fraction, ...]]:
    """Read a window for a ``d``-dimensional input: a half-width or one interval per axis.

    Parameters
    ----------
    window : real or sequence of (real, real)
        ``B > 0`` for the cube ``[-B, B]^d``, or ``d`` pairs ``(lo_i, hi_i)`` with
        ``lo_i < hi_i`` (a list, a tuple or an array of shape ``(d, 2)``), or the same
        ``2 d`` numbers flat, ``(lo_1, hi_1, lo_2, hi_2, ...)`` (the plane's rectangle
        ``(xmin, xmax, ymin, ymax)`` for ``d = 2``).
    d : int
        The input width.

    Returns
    -------
    lo, hi : tuple of Fraction
        The exact bounds of each axis.

    Raises
    ------
    InputError
        ``None`` (the whole space: no box), a non-finite or
        non-positive half-width, the wrong number of pairs, or ``lo_i >= hi_i``.
    InputTypeError
        A bool, a string, or entries that are not real numbers (a ``Decimal`` is read
        exactly, as :func:`exact.windows.window_number` reads it).

    Examples
    --------
    >>> check_box(0.5, 2)
    ((Fraction(-1, 2), Fraction(-1, 2)), (Fraction(1, 2), Fraction(1, 2)))
    >>> check_box([(0, 1), (-2, 2), (0, Fraction(1, 3))], 3)[1]
    (Fraction(1, 1), Fraction(2, 1), Fraction(1, 3))
    >>> check_box((0, 1, -2, 2), 2)
    ((Fraction(0, 1), Fraction(-2, 1)), (Fraction(1, 1), Fraction(2, 1)))
    >>> from decimal import Decimal
    >>> check_box(Decimal("2.5"), 3)[1]
    (Fraction(5, 2), Fraction(5, 2), Fraction(5, 2))
    >>> check_box(float("inf"), 3)
    Traceback (most recent call last):
    ...
    exact.errors.InputError: window must be a finite number, got inf
    """
    if window is None:
        raise InputError("window=None is the whole space, which has no box; give a half-width B (the cube "
                         "[-B, B]^d) or one (lo, hi) pair per axis")
    if hasattr(window, "is_rectangle") and hasattr(window, "verts"):  # a ConvexWindow, read for 2-D already
        raise InputError(f"window {window}: a rectangle or convex polygon is a 2-D window, and this "
                         f"network's input is {d}-D; give a half-width B (the cube [-B, B]^{d}) or one "
                         "(lo, hi) pair per axis")
    _whole_space_hint(window, d)
    if hasattr(window, "tolist") and getattr(window, "ndim", 0) > 0:
        window = window.tolist()
    if isinstance(window, (list, tuple)) and len(window) == 2 * d and not any(
            isinstance(v, (list, tuple)) for v in window):   # flat (lo_1, hi_1, lo_2, hi_2, ...)
        window = [window[2 * i: 2 * i + 2] for i in range(d)]
    if isinstance(window, (list, tuple)):
        if len(window) != d:
            flat = not any(isinstance(v, (list, tuple)) for v in window)
            got = counted(len(window), "number" if flat else "pair")
            raise InputError(f"window must give one (lo, hi) pair per axis, or {2 * d} numbers (lo_1, hi_1"
                             f"{f', ..., lo_{d}, hi_{d}' * (d > 1)}), for this {d}-D network; got {got}"
                             + (" (four numbers are a 2-D rectangle)" if flat and len(window) == 4 else "")
                             + ("" if flat else _polygon_hint(window, d)))
        lo, hi = [], []
        for i, pair in enumerate(window):
            if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                raise InputError(f"window[{i}] must be a pair (lo, hi), got {plain_text(pair, 60)}")
            a, b = _number(pair[0], f"window[{i}][0]"), _number(pair[1], f"window[{i}][1]")
            if not a < b:
                raise InputError(f"window[{i}] = {plain_text(tuple(pair))} must have lo < hi"
                                 + _polygon_hint(window, d))
            lo.append(a)
            hi.append(b)
        return tuple(lo), tuple(hi)
    B = _number(window, "window")
    if B <= 0:
        raise InputError(f"window must be a finite number > 0 (half-width B of [-B, B]^{d}) or one (lo, hi) "
                         f"pair per axis, got {plain_text(window)}")
    return (-B,) * d, (B,) * d

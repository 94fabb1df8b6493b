"""How far from the origin a float drawing reaches: refuse a frame matplotlib or a browser cannot draw.

matplotlib (and plotly.js in a browser) draws in floats.  It needs more than finite
coordinates: the axes' width, the margins and the transforms to pixels multiply and
subtract them, and the 3-D projection multiplies coordinates together.  Measured with
matplotlib 3.x: a 2-D square window of half-width ``1e307`` draws cleanly, ``5e307``
overflows in a transform (a RuntimeWarning), ``1e308`` (2e308 wide) ends in a NaN and a
ValueError while saving; in 3-D, ``1e152`` draws and ``1e200`` overflows in the
projection.  So a drawing is refused, before any figure is made, when a coordinate of
its frame passes :data:`DRAW_LIMIT` (``2**1000``, about ``1.07e301``: a factor of a
million below the first failure) in 2-D, or :data:`DRAW_LIMIT_3D` (``2**500``) in 3-D.

Examples
--------
>>> from exact import regions
>>> check_drawable(regions([([[1, 0]], [0]), ([[1]], [0])], window=1e308), "plot")
Traceback (most recent call last):
...
exact.errors.InputError: plot: window=1.00e+308 reaches 1.00e+308 and is 2.00e+308 wide, ...
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from .errors import InputError
from .json_numbers import fraction_text, scientific_text

__all__ = ["DRAW_LIMIT", "DRAW_LIMIT_3D", "check_drawable", "check_float_frame", "limit_text"]

DRAW_LIMIT = 2**1000
"""The largest coordinate (in size) of a 2-D drawing's frame: ``2**1000``, about ``1.07e301``."""

DRAW_LIMIT_3D = 2**500
"""The largest coordinate (in size) of a 3-D drawing's frame: ``2**500``, about ``3.27e150``."""

_FLOAT_MAX = Fraction(2**1024 - 2**971)

_OVERFLOW = Fraction(2**1024 - 2**970)
"""The least size that a division to float rounds to infinity (halfway past the largest float)."""


def limit_text(dim: int = 2) -> str:
    """Name the drawing limit of a ``dim``-D picture: ``2^1000 (about 1.07e+301)``.

    Parameters
    ----------
    dim : int, default 2
        2 for a plane's picture, 3 for a 3-D one.

    Returns
    -------
    str

    Examples
    --------
    >>> limit_text(), limit_text(3)
    ('2^1000 (about 1.07e+301)', '2^500 (about 3.27e+150)')
    """
    k = 500 if dim == 3 else 1000
    return f"2^{k} (about {scientific_text(Fraction(2**k), 3)})"


def check_drawable(reg: Any, where: str, drawer: str = "matplotlib") -> None:
    """Refuse regions whose frame (window, or certified box) a float drawing cannot hold.

    Parameters
    ----------
    reg : Regions or RegionsND
        The regions to draw (2-D: its window or certified box ``reg.box``; 3-D: its box
        ``reg.lo``, ``reg.hi``).
    where : str
        The drawing function or option, for the message (``"plot"``, ``"the HTML view"``).
    drawer : str, default "matplotlib"
        What draws in floats, for the message (``"a browser"``).

    Returns
    -------
    None

    Raises
    ------
    InputError
        A coordinate of the frame beyond :data:`DRAW_LIMIT` (:data:`DRAW_LIMIT_3D` in 3-D),
        naming the window, its width and the limit.

    Examples
    --------
    >>> from exact import regions
    >>> check_drawable(regions([([[1, 0]], [0]), ([[1]], [0])], window=2**1000), "plot")   # at the limit
    """
    lo, hi, window = _frame(reg)
    dim = len(lo)
    limit = DRAW_LIMIT_3D if dim == 3 else DRAW_LIMIT
    big = max(max(abs(v) for v in lo), max(abs(v) for v in hi))
    if big <= limit:
        return
    width = max(b - a for a, b in zip(lo, hi))
    beyond = ", beyond the float range (about 1.8e+308)" if width > _FLOAT_MAX else ""
    how = "multiply and subtract coordinates" + (" and multiply them together" if dim == 3 else "")
    if window is None:
        whole = "whole plane" if dim == 2 else "whole space"
        what = (f"window=None ({whole}) is drawn in its certified box, which reaches {_number(big)} and is "
                f"{_number(width)} wide{beyond}")
        advice = "plot a window instead"
    else:
        what = f"window={window} reaches {_number(big)} and is {_number(width)} wide{beyond}"
        advice = "give a smaller window"
    k = 500 if dim == 3 else 1000
    raise InputError(f"{where}: {what}; {drawer} draws in floats (its transforms {how}), so it draws "
                     f"coordinates up to {limit_text(dim)} in size: {advice} (every coordinate at most "
                     f"2^{k}, as window=B with B at most 2^{k})")


def check_float_frame(reg: Any, where: str) -> None:
    """Refuse, before any work, 2-D regions whose frame reaches beyond the float range.

    Every vertex lies in the frame (the window, or the certified box of the whole plane)
    and the frame's corners are vertices, so some vertex has a float coordinate exactly
    when the frame stays below ``2^1024 - 2^970`` in size (where division rounds to
    infinity): a GeoJSON of such regions would fail part way, after writing its start.

    Parameters
    ----------
    reg : Regions
        2-D regions (a window, a polygon window or the whole plane).
    where : str
        What needs floats, for the message (``"GeoJSON export"``).

    Returns
    -------
    None

    Raises
    ------
    InputError
        A frame coordinate beyond the float range, naming the window.

    Examples
    --------
    >>> from exact import regions
    >>> check_float_frame(regions([([[1, 0]], [0]), ([[1]], [0])], window=10**400), "GeoJSON export")
    Traceback (most recent call last):
    ...
    exact.errors.InputError: GeoJSON export: window=1e+400 reaches 1e+400, beyond the float range ...
    """
    lo, hi, window = _frame(reg)
    big = max(max(abs(v) for v in lo), max(abs(v) for v in hi))
    if big < _OVERFLOW:
        return
    what = ("window=None (whole plane) is written in its certified box, which" if window is None
            else f"window={window}")
    raise InputError(f"{where}: {what} reaches {_number(big)}, beyond the float range of its numbers (a "
                     "coordinate of 2^1024 - 2^970, about 1.797693e+308, or more rounds to infinity); the "
                     "exact vertices are in Cell.vertices")


def _frame(reg: Any) -> tuple[list[Fraction], list[Fraction], str | None]:
    """Return the frame's lower and upper corners and the window's text (None for the whole plane)."""
    if hasattr(reg, "lo") and hasattr(reg, "hi"):  # RegionsND: its box
        lo, hi = [Fraction(v) for v in reg.lo], [Fraction(v) for v in reg.hi]
        if reg.whole_space:
            return lo, hi, None
        if all(a == -hi[0] for a in lo) and all(b == hi[0] for b in hi):
            return lo, hi, _number(hi[0])
        return lo, hi, "(" + ", ".join(f"{_number(a)}, {_number(b)}" for a, b in zip(lo, hi)) + ")"
    window = reg.window
    if hasattr(window, "bounds") and hasattr(window, "is_rectangle"):  # a ConvexWindow
        x0, x1, y0, y1 = window.bounds
        corners = ", ".join(_number(v) for v in window.bounds)
        return [x0, y0], [x1, y1], f"({corners})" if window.is_rectangle else f"a polygon within ({corners})"
    b = Fraction(reg.box)
    return [-b, -b], [b, b], None if window is None else _number(b)


def _number(q: Fraction) -> str:
    """Write a number short: exactly when that is short, else in scientific notation (3 digits)."""
    q = Fraction(q)
    text = fraction_text(q)
    if len(text) <= 12:
        return text
    digits = text.lstrip("-")
    m = digits.rstrip("0")
    if q.denominator == 1 and len(m) <= 4:  # 10**400 as 1e+400, as the command line reads it
        return f"{text[:len(text) - len(digits)]}{m[0]}{'.' + m[1:] if len(m) > 1 else ''}e+{len(digits) - 1}"
    return scientific_text(q, 3)

"""Short exact texts of numbers and windows: what summaries, messages and JSON lines write.

A number is written so that it reads back to the same exact value (``"1/10"``, ``"1e+300"``),
and no longer than its ``"p/q"``; a window as such numbers (a half-width, a rectangle, a
polygon, a box of a d-D input) or as the whole line, plane or space.

Examples
--------
>>> window_text(Fraction(1, 10)), window_json(Fraction(10**300)), window_text(Fraction(-3, 2))
('1/10', '1e+300', '-3/2')
"""

from __future__ import annotations

from fractions import Fraction

from .json_numbers import exact_json, exact_number_text
from .windows import ConvexWindow

__all__ = ["whole_text", "window_json", "window_text"]

def _bound_json(q: Fraction) -> int | float | str:
    """One exact number as short JSON: an integer below ``2**53``, the float equal to it, or exact text."""
    q = Fraction(q)
    if q.denominator == 1 and abs(q.numerator) < 2**53:
        return q.numerator
    value = exact_json(q)
    return value if isinstance(value, float) else exact_number_text(q)


def window_json(window: Fraction | ConvexWindow | tuple | None) -> int | float | str | dict | None:
    """Return a window as a short JSON value that keeps it exact: how every command's summary writes it.

    Each number is an integer below ``2**53`` (exact in every JSON reader), else the float
    that equals it, else the text of :func:`~exact.json_numbers.exact_number_text` (``"1/10"``, ``"1e+300"``),
    which :func:`~exact.cli_values.exact_number` (and ``--window``) reads back to the same value.

    Parameters
    ----------
    window : Fraction, ConvexWindow, tuple or None
        A half-width ``B``, a rectangle or polygon, a box ``(lo_1, hi_1, ..., lo_d, hi_d)`` of a
        d-D input (:class:`exact.cli_values.AxisBox`), or None (the whole plane or space).

    Returns
    -------
    int, float, str, dict or None
        The number; ``{"rectangle": [x0, x1, y0, y1]}``, ``{"polygon": [[x, y], ...]}`` or
        ``{"box": [lo_1, hi_1, ...]}``; None.

    Examples
    --------
    >>> [window_json(Fraction(v)) for v in ("10", "0.5", "0.1", "1e300")]
    [10, 0.5, '1/10', '1e+300']
    >>> from exact.windows import rectangle_window
    >>> window_json(rectangle_window(-10**300, 10**300, Fraction(-1, 3), 1))
    {'rectangle': ['-1e+300', '1e+300', '-1/3', 1]}
    """
    if window is None:
        return None
    if isinstance(window, ConvexWindow):
        if window.is_rectangle:
            return {"rectangle": [_bound_json(v) for v in window.bounds]}
        return {"polygon": [[_bound_json(x), _bound_json(y)] for x, y in window.vertices]}
    if isinstance(window, tuple):
        return {"box": [_bound_json(v) for v in window]}
    return _bound_json(window)


def whole_text(dim: int) -> str:
    """Name the whole input space of a ``dim``-D input: ``whole line``, ``whole plane``, ``whole space``.

    Examples
    --------
    >>> whole_text(1), whole_text(2), whole_text(5)
    ('whole line', 'whole plane', 'whole space')
    """
    return {1: "whole line", 2: "whole plane"}.get(dim, "whole space")


def window_text(window: Fraction | ConvexWindow | tuple | None, dim: int = 2) -> str:
    """Write a window as short exact text for a command's text summary and messages.

    Numbers as :func:`~exact.json_numbers.exact_number_text` writes them (``1/10``, ``1e+300``), so the text
    is short and exact; None as the whole line, plane or space of a ``dim``-D input.

    Parameters
    ----------
    window : Fraction, ConvexWindow, tuple or None
        A half-width, a rectangle or polygon, a box ``(lo_1, hi_1, ..., lo_d, hi_d)``, or None.
    dim : int, default 2
        The input width, for None.

    Returns
    -------
    str

    Examples
    --------
    >>> window_text(Fraction(1, 10)), window_text(None, dim=1)
    ('1/10', 'whole line')
    >>> from exact.windows import rectangle_window
    >>> window_text(rectangle_window(-10**300, 10**300, -1, 1))
    '[-1e+300, 1e+300] x [-1, 1]'
    """
    if window is None:
        return whole_text(dim)
    t = exact_number_text
    if isinstance(window, ConvexWindow):
        if window.is_rectangle:
            x0, x1, y0, y1 = window.bounds
            return f"[{t(x0)}, {t(x1)}] x [{t(y0)}, {t(y1)}]"
        return "polygon " + ", ".join(f"({t(x)}, {t(y)})" for x, y in window.vertices)
    if isinstance(window, tuple):
        return " x ".join(f"[{t(window[2 * i])}, {t(window[2 * i + 1])}]" for i in range(len(window) // 2))
    return t(window)

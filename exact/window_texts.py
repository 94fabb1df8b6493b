"""Short exact texts of numbers and windows: what summaries, messages and JSON lines write.

A number is written so that it reads back to the same exact value (``"1/10"``, ``"1e+300"``),
and no longer than its ``"p/q"``; a window as such numbers (a half-width, a rectangle, a
polygon, a box of a d-D input) or as the whole line, plane or space.

Examples
--------
>>> window_text(Fraction(1, 10)), window_json(Fraction(10**300)), exact_number_text(Fraction(-3, 2))
('1/10', '1e+300', '-3/2')
"""

from __future__ import annotations

from fractions import Fraction

from .json_numbers import decimal_text, exact_json, fraction_text
from .windows import ConvexWindow

__all__ = ["SHORT_TEXT", "exact_number_text", "whole_text", "window_json", "window_text"]

SHORT_TEXT = 20
"""Longest ``"p/q"`` :func:`exact_number_text` writes as it is when a shorter exact form exists."""


def exact_number_text(q: Fraction) -> str:
    """Write an exact value as short text that reads back to the same value (``--window``, ``--level``).

    :func:`~exact.cli_values.exact_number` reads it back.

    ``"p/q"`` (or ``"p"``) as :func:`~exact.json_numbers.fraction_text` writes it, up to
    :data:`SHORT_TEXT` characters; a longer one that is a decimal, ``m * 10**k``, in
    scientific notation with every digit of ``m`` (``10**400`` is ``"1e+400"``); any other
    long value as ``"p/q"``, however long (no shorter exact form).  A decimal is written
    in plain notation (``0.10000000000000001``) where that is shorter.

    Parameters
    ----------
    q : Fraction or int
        The exact value (a window, a level).

    Returns
    -------
    str
        Text such as ``"5/2"``, ``"1e+400"`` or ``"-1.5e-300"``: never longer than ``"p/q"``.

    Examples
    --------
    >>> [exact_number_text(q) for q in (Fraction(-1, 3), Fraction(10**400), Fraction(3, 2 * 10**300))]
    ['-1/3', '1e+400', '1.5e-300']
    >>> from exact.cli_values import exact_number
    >>> exact_number(exact_number_text(Fraction(-12345, 10**30))) == Fraction(-12345, 10**30)
    True
    >>> exact_number_text(Fraction(10**16 + 1, 10**17))   # plain decimal where it is the shortest
    '0.10000000000000001'
    """
    q = Fraction(q)
    text = fraction_text(q)
    if len(text) <= SHORT_TEXT:
        return text
    d = q.denominator
    twos = (d & -d).bit_length() - 1
    rest, fives = d >> twos, 0
    while rest % 5 == 0:
        rest, fives = rest // 5, fives + 1
    if rest != 1:  # not a decimal: no shorter exact form
        return text
    k = max(twos, fives)  # q = m / 10**k with m an integer
    digits = decimal_text(abs(q.numerator) * 10**k // d)
    mantissa = digits.rstrip("0")
    exponent = len(digits) - 1 - k
    sign = "-" if q < 0 else ""
    short = f"{sign}{mantissa[0]}{'.' if len(mantissa) > 1 else ''}{mantissa[1:]}e{exponent:+d}"
    if 0 < k <= SHORT_TEXT:  # 0.10000000000000001, shorter than 1.0000000000000001e-1
        padded = digits.rjust(k + 1, "0")
        short = min(short, f"{sign}{padded[:-k]}.{padded[-k:]}", key=len)
    return short if len(short) < len(text) else text


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
    that equals it, else the text of :func:`exact_number_text` (``"1/10"``, ``"1e+300"``),
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

    Numbers as :func:`exact_number_text` writes them (``1/10``, ``1e+300``), so the text
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

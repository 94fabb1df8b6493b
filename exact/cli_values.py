"""Parsers of the command line's option values (argparse ``type=`` functions).

Every number is read exactly: ``0.1`` is 1/10, as ``fractions.Fraction("0.1")`` reads it.
A parser that cannot read its text raises :class:`argparse.ArgumentTypeError` with the
option's name and the text, which argparse prints as a usage error (exit status 2).

Examples
--------
>>> window_arg("2.5"), window_arg("plane")
(Fraction(5, 2), None)
>>> window_arg("0,1,0,1,0,1")             # a per-axis box, for a 3-D input
(Fraction(0, 1), Fraction(1, 1), Fraction(0, 1), Fraction(1, 1), Fraction(0, 1), Fraction(1, 1))
>>> level_arg("-1/3")
Fraction(-1, 3)
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable
from fractions import Fraction

from .errors import InputError
from .json_numbers import exact_number_text
from .validation import check_max_memory, check_window
from .window_texts import window_json, window_text
from .windows import ConvexWindow, rectangle_window

__all__ = ["CLI_WORDS", "MAX_EXPONENT", "AxisBox", "cli_words", "exact_number", "int_arg", "level_arg",
           "memory_arg", "plane_arg", "widths_arg", "window_arg"]

MAX_EXPONENT = 1000
"""The largest decimal exponent :func:`exact_number` reads (``1e1000``; floats end near ``1e308``).

Past it, Python's own limit of 4 300 digits for an integer's text is soon reached in what
the commands print (a polygon's vertex, a level, a rectangle's side), and ``1e999999999``
would take minutes and gigabytes to read at all."""

_EXPONENT = re.compile(r"[eE]\s*([+-]?\d+)\s*$")


CLI_WORDS = (("raise max_regions (None for no limit)", "raise --max-regions"),
              ("raise max_memory (None for no limit)", "raise --max-memory (or give 'none')"),
              ("raise max_pieces (None for no limit)", "raise --max-pieces"),
              ("count them with count_regions()", "count them with --count-only"),
              ("count them with count_regions", "count them with --count-only"),
              ("tiles= cuts a 2-D window", "--tiles cuts a 2-D window"), ("give plane= ", "give --plane "),
              ("or raise max_cells", "(or exact.save_regions_html(..., max_cells=N) in Python)"),
              ("a and b are the same point", "--from and --to are the same point"),
              ("max_memory (None for no limit)", "--max-memory (or give 'none')"),
              ("max_regions (None for no limit)", "--max-regions"), ("window=None", "--window plane"),
              ("cross_check samples a float grid", "check samples a float grid"),
              ("got window=", "got --window "), (" and res=", " and --res "),
              ("cross_check compares", "check compares"),
              ("with exact.regions (exactnet regions SPEC), or in Python give cross_check plane=(x0, x1, x2) "
               "for a 2-D slice", "with exactnet regions SPEC (check samples 2-D inputs only, and takes no "
               "slice of a wider one)"),
              ("with exact.regions (exactnet regions SPEC)", "with exactnet regions SPEC"),
              ("as window=B with B at most", "as --window B with B at most"), (": window=", ": --window "))
"""The library's advice, in the command line's own words."""

_CLI_NAMES = ((re.compile(r"\bmax_(regions|memory|pieces)=(\S+?)([;,)]?(?:\s|$))"), r"--max-\1 \2\3"),
              (re.compile(r"\bmax_(regions|memory|pieces)\b"), r"--max-\1"),
              (re.compile(r"(^|: )plane\[(\d)\] has"), r"\1--plane: point \2 has"),  # not "whole plane: "
              (re.compile(r"(^|: )plane: "), r"\1--plane: "),
              (re.compile(r"more than max_cells=(\d+) \(([^)]*)\)"),
               r"more than the \1 it draws (\2; no option of the command line raises that limit)"),
              (re.compile(r"\(memory_tile_budget: ([\d,]+)\)"), r"(the most that --max-memory allows: \1)"))
"""Argument names of the library (``max_regions=10``) as the options that set them (``--max-regions 10``)."""


def cli_words(message: str) -> str:
    """Return the library's ``message`` with its advice in the command line's words (:data:`CLI_WORDS`).

    Parameters
    ----------
    message : str

    Returns
    -------
    str

    Examples
    --------
    >>> cli_words("more than max_regions=5 cells; raise max_regions (None for no limit)")
    'more than --max-regions 5 cells; raise --max-regions'
    """
    for api, cli in CLI_WORDS:
        message = message.replace(api, cli)
    for pattern, cli in _CLI_NAMES:
        message = pattern.sub(cli, message)
    return message


def exact_number(text: str) -> Fraction:
    """Read a number exactly, as ``Fraction(text)`` does, refusing an exponent beyond :data:`MAX_EXPONENT`.

    ``Fraction("1e999999999")`` would build a 3-billion-bit integer (minutes, gigabytes).

    Parameters
    ----------
    text : str
        ``0.1``, ``-1/3``, ``2.5e-3``, ...

    Returns
    -------
    Fraction

    Raises
    ------
    InputError
        An exponent beyond :data:`MAX_EXPONENT` (a ``ValueError``).
    ValueError, ZeroDivisionError
        Text that is not a number, as ``Fraction`` raises them.

    Examples
    --------
    >>> exact_number("2.5e-3")
    Fraction(1, 400)
    >>> exact_number("1e999999999")
    Traceback (most recent call last):
    ...
    exact.errors.InputError: 1e999999999: exponents beyond 1000 are refused (floats end near 1e308)
    """
    m = _EXPONENT.search(text)
    if m and abs(int(m.group(1))) > MAX_EXPONENT:
        raise InputError(f"{text.strip()[:40]}: exponents beyond {MAX_EXPONENT} are refused "
                         "(floats end near 1e308)")
    return Fraction(text)


class AxisBox(tuple):
    """A box of ``d = 1`` or ``d >= 3`` axes from the command line: ``(lo_1, hi_1, ..., lo_d, hi_d)``, exact.

    The library reads these ``2 d`` numbers for a ``d``-dimensional input
    (:func:`exact.nd.check_box`); the command checks that ``d`` is the network's input width.

    Examples
    --------
    >>> b = window_arg("-1,1,0,2,0,1/3")
    >>> b.dim, str(b)
    (3, '[-1, 1] x [0, 2] x [0, 1/3]')
    """

    __slots__ = ()

    @property
    def dim(self) -> int:
        """The number of axes."""
        return len(self) // 2

    def __str__(self) -> str:
        return window_text(self)

    def to_json(self) -> dict:
        """Return ``{"box": [lo_1, hi_1, ...]}``, each bound as ``window_json`` writes it.

        See :func:`exact.window_texts.window_json`.

        Examples
        --------
        >>> window_arg("0,1/3,0,1,0,1").to_json()
        {'box': [0, '1/3', 0, 1, 0, 1]}
        """
        return window_json(self)


_WINDOW_USAGE = ("--window takes a number B > 0 (window [-B, B]^2, or the cube [-B, B]^d of a d-D input), "
                 "'plane', a rectangle xmin,xmax,ymin,ymax, an interval lo,hi of a 1-D input, a box "
                 "lo1,hi1,...,lo_d,hi_d of a d-D input (d >= 3), or "
                 "the vertices of a convex polygon as JSON, e.g. '[[0,0],[1,0],[0,1]]'; got {text!r}")


def window_arg(text: str) -> Fraction | ConvexWindow | AxisBox | None:
    """Parse ``--window``: a half-width, ``plane``, a rectangle, a per-axis box or a JSON polygon.

    Parameters
    ----------
    text : str
        ``B`` (a number > 0), ``plane`` (also ``none``, ``inf``: the whole plane or space),
        ``xmin,xmax,ymin,ymax``, ``lo,hi`` for one axis, ``lo_1,hi_1,...,lo_d,hi_d`` for ``d >= 3`` axes,
        or a JSON list of a convex polygon's vertices.

    Returns
    -------
    Fraction, ConvexWindow, AxisBox or None
        As :func:`exact.validation.check_window` reads it; an :class:`AxisBox` for 2, 6 or
        more numbers (each pair ``lo < hi``).

    Raises
    ------
    argparse.ArgumentTypeError
        Text that is none of these, with the reason.

    Examples
    --------
    >>> print(window_arg("0,2,0,1"), window_arg("-1,1,-1,1"), sep="; ")
    [0, 2] x [0, 1]; [-1, 1] x [-1, 1]
    >>> window_arg("0,1,1,0,0,1")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: --window takes ... (axis 2 of the box: lo = 1 is not below hi = 0)
    """
    if text.strip().lower() in ("plane", "none", "inf"):
        return None
    try:
        if text.strip().startswith("["):
            return check_window(json.loads(text, parse_float=exact_number, parse_int=Fraction))
        parts = [exact_number(v.strip()) for v in text.split(",")]
        if len(parts) >= 5 or len(parts) == 2:  # 5 numbers: a box with one number missing; 2: an interval
            return _axis_box(parts)
        if len(parts) == 1 and not parts[0] > 0:
            raise ValueError(text)  # the usage says it: B > 0
        checked = check_window(parts[0] if len(parts) == 1 else tuple(parts))
        # a rectangle stays one, even the square [-B, B]^2: for a d-D input it is not the cube [-B, B]^d
        return rectangle_window(*parts) if len(parts) == 4 else checked
    except (ValueError, ZeroDivisionError, RecursionError, TypeError) as exc:
        # the library's own usage sentence ("window must be ..., or None") would repeat ours in its words
        told = isinstance(exc, InputError) and not str(exc).startswith("window must be")
        why = f" ({cli_words(str(exc))})" if told else ""
        raise argparse.ArgumentTypeError(_WINDOW_USAGE.format(text=text) + why) from None


def _axis_box(parts: list[Fraction]) -> AxisBox:
    """Check ``2 d`` numbers as ``d`` intervals ``lo < hi``."""
    if len(parts) % 2:
        raise InputError(f"a box takes two numbers per axis (lo1,hi1,...,lo_d,hi_d), got {len(parts)}")
    for i in range(0, len(parts), 2):
        if not parts[i] < parts[i + 1]:
            where = "the interval lo,hi" if len(parts) == 2 else f"axis {i // 2 + 1} of the box"
            raise InputError(f"{where}: lo = {exact_number_text(parts[i])} is not below "
                             f"hi = {exact_number_text(parts[i + 1])}")
    return AxisBox(parts)


def plane_arg(text: str) -> list:
    """Parse ``--plane``: a JSON list of three input points.

    Examples
    --------
    >>> plane_arg("[[0,0,0],[1,0,0],[0,1,0]]")
    [[0, 0, 0], [1, 0, 0], [0, 1, 0]]
    """
    try:
        pts = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise argparse.ArgumentTypeError(
            f"--plane takes a JSON list of three points, e.g. '[[0,0,0],[1,0,0],[0,1,0]]', got {text!r}"
        ) from None
    if not (isinstance(pts, list) and len(pts) == 3):
        raise argparse.ArgumentTypeError(f"--plane needs exactly three points, got {text!r}")
    return pts


def level_arg(text: str) -> Fraction:
    """Parse ``--level-set``: an exact number (``0.1`` is 1/10, ``1/3`` a third).

    Examples
    --------
    >>> level_arg("0.1")
    Fraction(1, 10)
    """
    try:
        return exact_number(text.strip())
    except (ValueError, ZeroDivisionError) as exc:
        why = f" ({exc})" if isinstance(exc, InputError) else ""
        raise argparse.ArgumentTypeError(
            f"--level-set takes an exact number such as 0, -1/3 or 0.25, got {text!r}{why}") from None


def widths_arg(text: str) -> list[int]:
    """Parse the widths of a seeded benchmark net, such as ``2-20-1``.

    Examples
    --------
    >>> widths_arg("2-32-32-1")
    [2, 32, 32, 1]
    """
    usage = ("widths look like 2-20-1: input width, one or more hidden widths, output width; "
             f"got {text!r}")
    try:
        ws = [int(p) for p in text.replace(",", "-").split("-")]
    except ValueError:
        raise argparse.ArgumentTypeError(usage) from None
    if len(ws) < 3 or any(w < 1 for w in ws):
        raise argparse.ArgumentTypeError(usage)
    return ws


def memory_arg(text: str) -> int | str | None:
    """Parse ``--max-memory``: bytes, a size such as ``2GB``, ``auto`` or ``none``.

    Examples
    --------
    >>> memory_arg("2GB"), memory_arg("1000"), memory_arg("none")
    ('2GB', 1000, None)
    """
    value = None if text.strip().lower() == "none" else text.strip()
    try:
        check_max_memory(int(value) if value is not None and value.isdigit() else value)
    except (InputError, ValueError, TypeError):  # the library's words ("or None") would repeat this
        raise argparse.ArgumentTypeError(f"--max-memory takes a positive number of bytes, a size such as "
                                         f"2GB, 'auto' or 'none'; got {text!r}") from None
    return int(value) if value is not None and value.isdigit() else value


def int_arg(name: str, lo: int, hi: int, why: str = "") -> Callable[[str], int]:
    """Return a parser of an integer from ``lo`` to ``hi`` for the option ``name``.

    ``why``, if given, follows the range in the message (``" (16,000,000 pixels)"``).

    Examples
    --------
    >>> int_arg("--res", 2, 10)("5")
    5
    """
    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            v = None
        if v is None or not lo <= v <= hi:
            raise argparse.ArgumentTypeError(f"{name} takes an integer from {lo} to {hi}{why}, got {text!r}")
        return v

    return parse

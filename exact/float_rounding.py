"""Exact values rounded to the nearest float, or to an infinity beyond the float range.

For what only shows or bounds a value (a float view of an exact map, the scale of a
tolerance), never for a decision: :mod:`exact._float_range` is the door for the float
filters, which hands over instead of rounding to infinity.

Examples
--------
>>> from fractions import Fraction
>>> round_or_inf(Fraction(1, 3)), round_or_inf(-(10**400)), round_or_inf(1, 10**400)
(0.3333333333333333, -inf, 0.0)
"""

from __future__ import annotations

import math
from fractions import Fraction

__all__ = ["round_or_inf"]


def round_or_inf(x: int | Fraction | float, den: int = 1) -> float:
    """Round ``x / den`` to the nearest float; an infinity of its sign beyond the float range.

    Parameters
    ----------
    x : int, Fraction or float
        An exact value, of any magnitude.
    den : int, default 1
        A positive integer divisor.

    Returns
    -------
    float
        Correctly rounded (Python's ``int / int``); ``+-inf`` when too large, ``+-0.0`` when
        too small.

    Examples
    --------
    >>> round_or_inf(10**400, 3)
    inf
    """
    num, d = (x.numerator, x.denominator * den) if isinstance(x, Fraction) else (x, den)
    try:
        return num / d
    except OverflowError:
        return math.inf if num > 0 else -math.inf

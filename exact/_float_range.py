"""Exact values into the float filter, at any magnitude.

Exact values (ints and Fractions) have any magnitude; floats do not.  The standard model
of float arithmetic (:mod:`exact._fp`) holds only between the smallest normal float and
the largest float, so an exact value goes into a float filter through one of two doors:
:func:`to_float` hands over (raises :class:`~exact.errors.Undecided`, so that the exact
engine decides) when the value is outside that range, and :func:`float_bounds` brackets
it between two floats, infinite ones if need be.  Nothing here rounds to infinity, or to
zero, and then decides.

Examples
--------
>>> to_float(10**400)
Traceback (most recent call last):
...
exact.errors.Undecided: the exact value 1.0e400 is beyond the float range
>>> float_bounds(10**400)
(1.7976931348623157e+308, inf)
"""

from __future__ import annotations

import math
import sys
from fractions import Fraction

from .errors import Undecided

__all__ = ["FAR", "NORMAL_MIN", "float_bounds", "to_float"]

NORMAL_MIN = sys.float_info.min
"""Smallest positive normal float64, ``2^-1022``: below it rounding errors are absolute."""

FAR = 2.0**1000
"""Magnitude below which a few sums, and products by factors of magnitude at most 1, cannot overflow."""


def to_float(x: int | Fraction, den: int = 1) -> float:
    """Round the exact value ``x / den`` to the nearest float, or hand over.

    Parameters
    ----------
    x : int or Fraction
        An exact value, of any magnitude.
    den : int, default 1
        A positive integer divisor (saves building a Fraction for ``num / den``).

    Returns
    -------
    float
        The nearest float ``f``, with ``|f - x / den| <= U |x / den|`` (the standard model
        holds).

    Raises
    ------
    Undecided
        When ``x / den`` is beyond the float range, or nonzero and smaller than
        :data:`NORMAL_MIN` (it would round to infinity, or lose relative accuracy):
        the float filter cannot hold it, the exact engine has to decide.

    Notes
    -----
    ``int / int`` is correctly rounded in Python and raises OverflowError beyond the
    range; the magnitude in the message is computed from bit lengths, never in floats.

    Examples
    --------
    >>> to_float(Fraction(1, 3)), to_float(1, 4), to_float(0)
    (0.3333333333333333, 0.25, 0.0)
    >>> to_float(Fraction(1, 10**400))
    Traceback (most recent call last):
    ...
    exact.errors.Undecided: the exact value 1.0e-400 is below the normal float range
    """
    num, d = x.numerator, x.denominator * den
    try:
        f = num / d
    except OverflowError:
        raise Undecided(f"the exact value {_magnitude(num, d)} is beyond the float range") from None
    if -NORMAL_MIN < f < NORMAL_MIN and num:
        raise Undecided(f"the exact value {_magnitude(num, d)} is below the normal float range")
    return f


def float_bounds(x: int | Fraction, den: int = 1) -> tuple[float, float]:
    """Bracket the exact value ``x / den`` between two floats, at any magnitude.

    Parameters
    ----------
    x : int or Fraction
        An exact value.
    den : int, default 1
        A positive integer divisor, as in :func:`to_float`.

    Returns
    -------
    lo, hi : float
        ``lo <= x / den <= hi``: the floats next to the nearest float, or the largest
        float and infinity (with signs) beyond the float range.

    Examples
    --------
    >>> float_bounds(Fraction(1, 3))
    (0.33333333333333326, 0.33333333333333337)
    >>> float_bounds(-(10**400)), float_bounds(Fraction(1, 10**400))
    ((-inf, -1.7976931348623157e+308), (-5e-324, 5e-324))
    """
    num, d = x.numerator, x.denominator * den
    try:
        f = num / d
    except OverflowError:
        big = sys.float_info.max
        return (big, math.inf) if num > 0 else (-math.inf, -big)
    return math.nextafter(f, -math.inf), math.nextafter(f, math.inf)


def _magnitude(num: int, den: int) -> str:
    """Write ``|num / den|`` roughly (within a factor 20) as ``1.0e<k>``, in integer arithmetic."""
    k = (abs(num).bit_length() - den.bit_length()) * 30103 // 100000  # log10(2) ~ 0.30103
    return f"1.0e{k}"

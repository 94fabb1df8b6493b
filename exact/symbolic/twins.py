"""Exact log-sum-exp, soft(arg)max and log-softmax: the twins of :mod:`numeric`'s functions.

Same names and signature as :func:`numeric.logsumexp`, :func:`numeric.softmax` and
:func:`numeric.log_softmax` (``x, lam=1, axis=-1``), but every value is an exact sympy
expression: floats are taken at their exact binary value, ints, Fractions and Decimals
as rationals, and sympy expressions (symbols too) as they are.  One table of cases can so
run through both sides and compare (``float(exact)`` against the float result).

    lse(x; λ) = (1/λ) log Σ_j exp(λ x_j),   softmax(x; λ)_k = exp(λ x_k) / Σ_j exp(λ x_j)

For a numeric λ the sums are written relative to the dominant entry ``m`` (the max for
λ > 0, the min for λ < 0), ``lse = m + (1/λ) log Σ_j exp(λ (x_j - m))``, which is the
same number and reads better (``softmax([0, 0]) = [1/2, 1/2]``).  ``λ = ±oo`` gives the
limits: the max (min) and the uniform distribution over the maximisers (minimisers);
``λ = 0`` gives the uniform softmax and, for ``logsumexp``, an error (its limit is ±oo).

Examples
--------
>>> logsumexp([0, 0])
log(2)
>>> softmax([1, 3, 3], lam=float("inf"))
[0, 1/2, 1/2]
>>> log_softmax([0, 0])
[-log(2), -log(2)]
>>> logsumexp([0.1, 0.1]) - 0.1 == 0     # 0.1 at its binary value, not 1/10
False
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

import sympy as sp

from ..errors import InputError, InputTypeError

__all__ = ["log_softmax", "logsumexp", "softmax"]


def logsumexp(x: Any, lam: Any = 1, axis: int = -1) -> Any:
    """Exact log-sum-exp with inverse temperature: ``(1/λ) log Σ exp(λ x)`` along ``axis``.

    Parameters
    ----------
    x : sequence of numbers or sympy expressions, 1-D or 2-D (nested lists, ndarray)
        Finite entries; floats are taken at their exact binary value, Decimals at their
        decimal value.
    lam : number or sympy expression, default 1
        Inverse temperature λ; ``±inf`` (float or ``sympy.oo``) gives the max/min.
    axis : int, default -1
        Axis to reduce (``0`` or ``-1`` for 1-D input; ``0``, ``1`` or ``-1`` for 2-D).

    Returns
    -------
    sympy.Expr or list of sympy.Expr
        One expression for 1-D input; for 2-D input one per slice along the other axis.

    Raises
    ------
    InputError
        ``lam = 0`` (the limit is ±oo), a NaN or infinite entry, empty input, a bad axis.
    InputTypeError
        Strings, booleans or other non-numbers in ``x`` or ``lam``.

    See Also
    --------
    numeric.logsumexp : the float twin.

    Notes
    -----
    ``max x <= lse(x; λ) <= max x + log(n)/λ`` for λ > 0 (Boyd and Vandenberghe,
    *Convex Optimization*, 2004, §3.1.5).

    Examples
    --------
    >>> logsumexp([1, 2], lam=2)
    log(exp(-2) + 1)/2 + 2
    >>> logsumexp([[1, 2], [5, 3]], lam=float("-inf"))
    [1, 3]
    """
    lam = _check_lam(lam)
    if lam == 0:
        raise InputError("lam = 0 has no logsumexp: (1/λ) log n tends to ±infinity; use lam != 0")
    return _reduce(x, axis, lambda row: _lse_row(row, lam))


def softmax(x: Any, lam: Any = 1, axis: int = -1) -> list:
    """Exact soft(arg)max with inverse temperature: ``exp(λ x_k) / Σ_j exp(λ x_j)``.

    Parameters
    ----------
    x : sequence of numbers or sympy expressions, 1-D or 2-D
        As in :func:`logsumexp`.
    lam : number or sympy expression, default 1
        ``±inf`` gives the indicator of the arg max (arg min), uniform over ties; ``0``
        the uniform distribution.
    axis : int, default -1
        Axis along which the entries sum to 1.

    Returns
    -------
    list of sympy.Expr (1-D) or list of lists (2-D)
        Same shape as ``x``.

    Raises
    ------
    InputError, InputTypeError
        As in :func:`logsumexp` (``lam = 0`` is allowed here).

    See Also
    --------
    numeric.softmax : the float twin.

    Examples
    --------
    >>> softmax([0, 0])
    [1/2, 1/2]
    >>> softmax([0, 1], lam=0)
    [1/2, 1/2]
    >>> softmax([[0, 1], [0, 1]], axis=0)
    [[1/2, 1/2], [1/2, 1/2]]
    """
    lam = _check_lam(lam)
    return _map(x, axis, lambda row: _softmax_row(row, lam))


def log_softmax(x: Any, lam: Any = 1, axis: int = -1) -> list:
    """Exact ``log softmax(x; λ) = λ x_k - λ lse(x; λ)``.

    Parameters
    ----------
    x, lam, axis
        As in :func:`softmax`.

    Returns
    -------
    list of sympy.Expr (1-D) or list of lists (2-D)
        Same shape as ``x``; ``-oo`` where the limit λ = ±oo gives probability 0.

    Raises
    ------
    InputError, InputTypeError
        As in :func:`softmax`.

    See Also
    --------
    numeric.log_softmax : the float twin.

    Examples
    --------
    >>> log_softmax([1, 2], lam=float("inf"))
    [-oo, 0]
    """
    lam = _check_lam(lam)
    return _map(x, axis, lambda row: _log_softmax_row(row, lam))


def _check_lam(lam: Any) -> sp.Expr:
    if isinstance(lam, bool) or isinstance(lam, str):
        raise InputTypeError(f"lam must be a real number or a sympy expression, got {lam!r}")
    if isinstance(lam, Decimal):  # exactly (a signalling NaN cannot even be compared)
        if lam.is_nan():
            raise InputError(f"lam must not be NaN, got {lam!r}")
        return (sp.oo if lam > 0 else -sp.oo) if lam.is_infinite() else _exact(lam, "lam")
    if (isinstance(lam, float) and math.isinf(lam)) or lam in (sp.oo, -sp.oo):
        return sp.oo if lam > 0 else -sp.oo
    if lam is sp.nan or (isinstance(lam, numbers.Real) and not isinstance(lam, sp.Basic) and lam != lam):
        raise InputError(f"lam must not be NaN (±inf and finite values are taken), got {lam!r}")
    if isinstance(lam, (sp.Basic, numbers.Number)) and not isinstance(lam, complex):
        value = _exact(lam, "lam")
        if value.is_real is False:
            raise InputError(f"lam must be real, got {lam!r}")
        return value
    raise InputTypeError(f"lam must be a real number or a sympy expression, got {lam!r}")


def _exact(v: Any, what: str) -> sp.Expr:
    """One entry as an exact sympy value (floats at their binary value)."""
    if isinstance(v, (bool, str, bytes)) or v is None:
        raise InputTypeError(f"{what} must be a number or a sympy expression, got {v!r}")
    if isinstance(v, sp.Basic):
        if v.has(sp.nan) or v in (sp.oo, -sp.oo, sp.zoo):
            raise InputError(f"{what} must be finite, got {v}")
        return v
    if isinstance(v, Decimal):  # exactly its decimal value (as windows read it)
        if not v.is_finite():
            raise InputError(f"{what} must be finite, got {v!r}")
        q = Fraction(v)
        return sp.Rational(q.numerator, q.denominator)
    if isinstance(v, numbers.Integral):
        return sp.Integer(int(v))
    if isinstance(v, numbers.Rational):
        return sp.Rational(int(v.numerator), int(v.denominator))
    if isinstance(v, numbers.Real):  # its exact binary value: a longdouble has more bits than a float
        try:
            num, den = (v if hasattr(v, "as_integer_ratio") else Fraction(float(v))).as_integer_ratio()
        except (OverflowError, ValueError):  # inf, NaN
            raise InputError(f"{what} must be finite, got {v!r}") from None
        return sp.Rational(num, den)
    raise InputTypeError(f"{what} must be a number or a sympy expression, got {v!r}")


def _rows(x: Any, axis: int) -> tuple[list[list[sp.Expr]], bool, bool]:
    """``x`` as rows to reduce, whether it was 2-D, and whether the rows are its columns."""
    if isinstance(x, (str, bytes)) or not hasattr(x, "__len__"):
        raise InputTypeError(f"x must be a 1-D or 2-D sequence of numbers, got {x!r}")
    items = list(x.tolist() if hasattr(x, "tolist") else x)
    two_d = bool(items) and all(  # a str entry is a bad number, not a row of characters
        (isinstance(r, Sequence) or hasattr(r, "tolist") and getattr(r, "ndim", 1) != 0)  # not a numpy scalar
        and not isinstance(r, (str, bytes)) for r in items)
    if not two_d:
        if axis not in (0, -1):
            raise InputError(f"axis must be 0 or -1 for 1-D x, got {axis!r}")
        if not items:
            raise InputError("x is empty: the exact twin needs at least one entry")
        return [[_exact(v, f"x[{i}]") for i, v in enumerate(items)]], False, False
    if axis not in (0, 1, -1):
        raise InputError(f"axis must be 0, 1 or -1 for 2-D x, got {axis!r}")
    rows = [[_exact(v, f"x[{i}][{j}]") for j, v in enumerate(r)] for i, r in enumerate(items)]
    if len({len(r) for r in rows}) != 1 or not rows[0]:
        lengths = [len(r) for r in rows]
        raise InputError(f"x must be a rectangular, non-empty 2-D array, got row lengths {lengths}")
    columns = axis == 0
    return ([list(c) for c in zip(*rows)] if columns else rows), True, columns


def _reduce(x: Any, axis: int, f) -> Any:
    rows, two_d, _ = _rows(x, axis)
    out = [f(r) for r in rows]
    return out if two_d else out[0]


def _map(x: Any, axis: int, f) -> list:
    rows, two_d, columns = _rows(x, axis)
    out = [f(r) for r in rows]
    if columns:
        out = [list(r) for r in zip(*out)]
    return out if two_d else out[0]


def _dominant(row: list[sp.Expr], lam: sp.Expr) -> sp.Expr | None:
    """Return the max (λ > 0) or min (λ < 0) of the row, if λ's sign and the entries are decidable."""
    if not (lam.is_extended_positive or lam.is_extended_negative) or not all(v.is_comparable for v in row):
        return None
    return sp.Max(*row) if lam.is_extended_positive else sp.Min(*row)


def _lse_row(row: list[sp.Expr], lam: sp.Expr) -> sp.Expr:
    m = _dominant(row, lam)
    if lam in (sp.oo, -sp.oo):
        if m is None:
            raise InputError("lam = ±inf needs entries that can be compared (numbers, not symbols)")
        return m
    if m is None:
        return sp.log(sp.Add(*[sp.exp(lam * v) for v in row])) / lam
    return m + sp.log(sp.Add(*[sp.exp(lam * (v - m)) for v in row])) / lam


def _softmax_row(row: list[sp.Expr], lam: sp.Expr) -> list[sp.Expr]:
    if lam == 0:
        return [sp.Rational(1, len(row))] * len(row)
    m = _dominant(row, lam)
    if lam in (sp.oo, -sp.oo):
        if m is None:
            raise InputError("lam = ±inf needs entries that can be compared (numbers, not symbols)")
        ties = [sp.simplify(v - m) == 0 for v in row]
        return [sp.Rational(1, sum(ties)) if t else sp.Integer(0) for t in ties]
    shift = m if m is not None else sp.Integer(0)
    terms = [sp.exp(lam * (v - shift)) for v in row]
    total = sp.Add(*terms)
    return [t / total for t in terms]


def _log_softmax_row(row: list[sp.Expr], lam: sp.Expr) -> list[sp.Expr]:
    if lam == 0 or lam in (sp.oo, -sp.oo):
        return [sp.log(p) if p != 0 else -sp.oo for p in _softmax_row(row, lam)]
    m = _dominant(row, lam)
    shift = m if m is not None else sp.Integer(0)
    log_total = sp.log(sp.Add(*[sp.exp(lam * (v - shift)) for v in row]))
    return [lam * (v - shift) - log_total for v in row]

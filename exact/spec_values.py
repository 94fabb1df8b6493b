"""The values of spec files and state_dicts: exact numbers, activations, keys, one message per fault.

Shared by every format :mod:`exact.loading` reads (JSON, ``.npz``, ``.pt``,
``.safetensors``, in-memory state_dicts): a weight is a number or an exact rational
string ``"p/q"``; an ``activation`` entry is a name, an object ``{"name", "params"}`` (or
the general pieces :func:`exact.save_json` writes), or a list of them, one per hidden
layer.  Faults raise :class:`~exact.errors.SpecFileError` naming where they are.

Examples
--------
>>> exact_string("-1/3", "w")
Fraction(-1, 3)
>>> activation_from_spec({"name": "leaky_relu", "params": [0.5]}, "activation").describe()
'leaky_relu(0.5)'
"""

from __future__ import annotations

import difflib
import re
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np

from .activations import Activation, get_activation, piecewise_linear
from .errors import SpecFileError
from .wording import counted, type_phrase

__all__ = ["MAX_DECIMAL_DIGITS", "activation_from_spec", "check_activation_count", "check_keys",
           "did_you_mean", "exact_string", "json_float", "spec_matrix", "spec_value", "spec_vector"]

MAX_DECIMAL_DIGITS = 4000
"""Longest decimal integer a spec may hold (Python reads at most 4300 digits from text by
default); longer integers are written in hexadecimal, which has no limit."""

_EXACT = re.compile(r"([+-]?)(0[xX][0-9a-fA-F]+|[0-9]+)(?:/(0[xX][0-9a-fA-F]+|[0-9]+))?")


def did_you_mean(key: str, allowed: tuple[str, ...]) -> str:
    """Suggest the closest allowed key, for a message.

    Parameters
    ----------
    key : str
        The key found.
    allowed : tuple of str
        The keys allowed.

    Returns
    -------
    str
        ``" (did you mean 'x'?)"`` or ``""``.

    Examples
    --------
    >>> did_you_mean("activaton", ("activation",))
    " (did you mean 'activation'?)"
    """
    close = difflib.get_close_matches(key, allowed, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_keys(obj: dict, allowed: tuple[str, ...], where: str) -> None:
    """Refuse keys outside ``allowed``, naming the key and the allowed ones.

    Parameters
    ----------
    obj : dict
        The object read.
    allowed : tuple of str
        Its allowed keys.
    where : str
        Names the object in the message.

    Returns
    -------
    None

    Raises
    ------
    SpecFileError
        For the first unknown key.

    Examples
    --------
    >>> check_keys({"layers": []}, ("layers", "activation"), "spec")
    """
    for key in obj:
        if key not in allowed:
            raise SpecFileError(f"{where}: unknown key {key!r}{did_you_mean(str(key), allowed)}; "
                                f"allowed keys: {', '.join(map(repr, allowed))}")


def exact_string(text: str, where: str, *, noun: str = "a weight") -> Fraction:
    """Read ``"p"`` or ``"p/q"`` (decimal or ``0x`` hexadecimal integers) exactly.

    Parameters
    ----------
    text : str
        The string.
    where : str
        Names the value in messages.
    noun : str, default "a weight"
        What the value is, for the message (``"a parameter"`` for an activation's).

    Returns
    -------
    Fraction

    Raises
    ------
    SpecFileError
        Any other string, a zero denominator, more than :data:`MAX_DECIMAL_DIGITS` digits.

    Examples
    --------
    >>> exact_string("0x10/3", "w")
    Fraction(16, 3)
    """
    m = _EXACT.fullmatch(text)
    if m is None:
        raise SpecFileError(f"{where} is the string {text[:60]!r}; {noun} is a number or an exact "
                            "rational string such as '-1/3' or '0x1f/0x3'")
    sign, num, den = m.groups()

    def integer(digits: str) -> int:
        if digits[:2].lower() == "0x":
            return int(digits, 16)
        if len(digits) > MAX_DECIMAL_DIGITS:
            raise SpecFileError(f"{where} has {len(digits)} decimal digits, more than {MAX_DECIMAL_DIGITS}; "
                                "write long integers in hexadecimal ('0x...')")
        return int(digits)

    q = integer(den) if den else 1
    if q == 0:
        raise SpecFileError(f"{where} is {text!r}: a zero denominator")
    value = Fraction(integer(num), q)
    return -value if sign == "-" else value


class _BeyondFloatRange(float):
    """A JSON number too large for a float64: ``inf`` (or ``-inf``) that remembers its text."""

    text: str


class _BelowFloatRange(float):
    """A nonzero JSON number too small for a float64: ``0.0`` that remembers its text."""

    text: str


def json_float(text: str) -> float:
    """Read a JSON decimal as the nearest float64, marking one beyond the float range.

    ``json.load(..., parse_float=json_float)``: a finite number too large for a float64
    (``1e400``) would silently become ``inf``, and a nonzero one too small (``1e-400``)
    a silent 0; each becomes a float (``inf`` or ``0.0``) that remembers its text, so that
    :func:`spec_value` can say what it is and how to write it.  Any other decimal is its
    nearest float64, a subnormal one too.

    Parameters
    ----------
    text : str
        The number as written in the JSON text.

    Returns
    -------
    float
        ``float(text)``.

    Examples
    --------
    >>> json_float("0.5"), json_float("-1e400"), json_float("1e-400")
    (0.5, -inf, 0.0)
    """
    v = float(text)
    if v == 0 and re.search(r"[1-9]", text.lower().partition("e")[0]):  # nonzero digits, rounded to 0
        small = _BelowFloatRange(v)
        small.text = text
        return small
    if v - v == 0:
        return v
    big = _BeyondFloatRange(v)
    big.text = text
    return big


def _spelled_out(text: str) -> str:
    """Say how to write a decimal such as ``1.5e400`` or ``1e-400`` exactly: its digits and so many zeros."""
    m = re.fullmatch(r"-?(\d+)(?:\.(\d*))?[eE]([+-]?\d{1,6})", text)
    if m is None:
        return ""
    digits = (m.group(1) + (m.group(2) or "")).lstrip("0")
    zeros = int(m.group(3)) - len(m.group(2) or "")
    if not digits or len(digits) > 20:
        return ""
    sign = "-" if text.startswith("-") else ""
    if zeros >= 0:
        hint = f": {text} is {sign}{digits} followed by {zeros} zeros"
        python = f"Python: hex({digits} * 10**{zeros})"
    else:
        hint = f': {text} is "{sign}{digits}/10...0", its denominator 1 followed by {-zeros} zeros'
        python = f"Python: hex(10**{-zeros}) for the denominator"
    if len(digits) + abs(zeros) > MAX_DECIMAL_DIGITS:
        hint += f", more than {MAX_DECIMAL_DIGITS} decimal digits, so write it in hexadecimal ({python})"
    return hint


def spec_value(v: Any, where: str, *, noun: str = "a weight") -> Any:
    """Read one weight, bias or activation parameter of a spec: a number or an exact string.

    Parameters
    ----------
    v : object
        The value read.
    where : str
        Names the value in messages.
    noun : str, default "a weight"
        What the value is, for the message (``"a parameter"`` for an activation's).

    Returns
    -------
    int, float or Fraction

    Raises
    ------
    SpecFileError
        A bool, list, None or other non-number, or a number beyond the float64 range
        (read by :func:`json_float`).

    Examples
    --------
    >>> spec_value("1/2", "w"), spec_value(0.5, "w")
    (Fraction(1, 2), 0.5)
    """
    if isinstance(v, str):
        return exact_string(v, where, noun=noun)
    if isinstance(v, _BeyondFloatRange):
        raise SpecFileError(f"{where} is {v.text[:40]}, beyond the float64 range (whose largest value is "
                            "1.7976931348623157e308): a JSON decimal is read as the nearest float64, which "
                            "would be infinite; write it as an "
                            'exact string "p" or "p/q" (decimal or 0x hexadecimal integers) or as a JSON '
                            "integer (read exactly; exact.save_json writes integers so), every digit written "
                            f"out{_spelled_out(v.text)}")
    if isinstance(v, _BelowFloatRange):
        raise SpecFileError(f"{where} is {v.text[:40]}, nonzero but below the float64 range (about "
                            "4.9e-324): a JSON decimal is read as the nearest float64, which would be 0; "
                            'write it as an exact string "p/q" (decimal or 0x hexadecimal integers), every '
                            f"digit written out{_spelled_out(v.text)}")
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        kind = ("a list" if isinstance(v, list) else f"the boolean {v!r}" if isinstance(v, bool)
                else f"{type_phrase(v)} {v!r}"[:80])
        raise SpecFileError(f"{where} is {kind}; {noun} is a number or an exact rational string 'p/q'")
    return v


def spec_matrix(obj: Any, where: str) -> list[list[Any]]:
    """Read a list of rows of values (:meth:`~exact.network.ExactNet.from_layers` checks their lengths).

    Parameters
    ----------
    obj : object
        The value read.
    where : str
        Names the value in messages.

    Returns
    -------
    list of list

    Raises
    ------
    SpecFileError
        Not a list of lists, or a bad value.

    Examples
    --------
    >>> spec_matrix([[1, "1/3"]], "W")
    [[1, Fraction(1, 3)]]
    """
    if not isinstance(obj, list) or not all(isinstance(r, list) for r in obj):
        raise SpecFileError(f"{where} must be a list of rows (lists of numbers)")
    return [[spec_value(v, f"{where}[{i}][{j}]") for j, v in enumerate(r)] for i, r in enumerate(obj)]


def spec_vector(obj: Any, where: str) -> list[Any]:
    """Read a list of values.

    Parameters
    ----------
    obj : object
        The value read.
    where : str
        Names the value in messages.

    Returns
    -------
    list

    Raises
    ------
    SpecFileError
        Not a list, or a bad value.

    Examples
    --------
    >>> spec_vector([0, "-2"], "b")
    [0, Fraction(-2, 1)]
    """
    if not isinstance(obj, list):
        raise SpecFileError(f"{where} must be a list of numbers")
    return [spec_value(v, f"{where}[{i}]") for i, v in enumerate(obj)]


def activation_from_spec(obj: Any, where: str) -> Activation | list[Activation]:
    """Read an ``activation`` entry: a name, an object, or a list of them (one per hidden layer).

    Parameters
    ----------
    obj : str, dict or list
        ``"relu"``, ``{"name": "leaky_relu", "params": [0.1]}``, the pieces
        ``{"name", "breakpoints", "slopes", "intercepts"}``, or a list of these.
    where : str
        Names the entry in messages.

    Returns
    -------
    Activation or list of Activation

    Raises
    ------
    SpecFileError
        A malformed entry (unknown keys, no name, params not a list).
    UnsupportedActivationError
        A name that is not piecewise linear.

    Examples
    --------
    >>> [a.name for a in activation_from_spec(["relu", "abs"], "activation")]
    ['relu', 'abs']
    """
    if isinstance(obj, list):
        return [_one_activation(a, f"{where}[{i}]") for i, a in enumerate(obj)]
    return _one_activation(obj, where)


def _one_activation(obj: Any, where: str) -> Activation:
    if isinstance(obj, str):
        return get_activation(obj)
    if not isinstance(obj, dict):
        raise SpecFileError(f"{where} must be a name, an object {{'name', 'params'}} or a list of them, "
                            f"got {type_phrase(obj)} {obj!r}"[:200])
    if "breakpoints" in obj:  # the general form save_json writes for a custom Activation
        check_keys(obj, ("name", "breakpoints", "slopes", "intercepts"), where)
        parts = [spec_vector(obj.get(k), f"{where}.{k}") for k in ("breakpoints", "slopes", "intercepts")]
        return piecewise_linear(obj.get("name"), *parts)
    check_keys(obj, ("name", "params"), where)
    if "name" not in obj:
        raise SpecFileError(f"{where} has no 'name'")
    params = obj.get("params", [])
    if not isinstance(params, list):
        raise SpecFileError(f"{where}.params must be a list, got {params!r}"[:200])
    values = [v if _python_number(v) else spec_value(v, f"{where}.params[{i}]", noun="a parameter")
              for i, v in enumerate(params)]
    return get_activation(obj["name"], *values)


def _python_number(v: Any) -> bool:
    """Tell whether a value is a number given in Python (a Fraction, a numpy scalar): read as weights are.

    A spec file's JSON gives none of these; in Python an ``activation={"name": ..., "params": [...]}``
    may, and :func:`~exact.activations.get_activation` reads (or refuses) them by their exact value.
    """
    return isinstance(v, (Fraction, Decimal, np.generic))


def check_activation_count(act: Any, n_layers: int, where: str) -> None:
    """Refuse a list of activations whose length is not the number of hidden layers.

    Parameters
    ----------
    act : Activation or list of Activation
        As :func:`activation_from_spec` returns it.
    n_layers : int
        Layers of the network (the output layer included).
    where : str
        Names the spec in the message.

    Returns
    -------
    None

    Raises
    ------
    SpecFileError
        ``len(act) != n_layers - 1``.

    Examples
    --------
    >>> check_activation_count(["relu"], 2, "spec")
    """
    if isinstance(act, list) and len(act) != n_layers - 1:
        raise SpecFileError(f"{where}: 'activation' lists {counted(len(act), 'activation')} for "
                            f"{counted(n_layers - 1, 'hidden layer')}")

"""Read weight arrays (numpy, torch, nested lists) as exact rationals, with one message per fault.

:class:`~exact.network.ExactNet` reads its layers through this module: float arrays that
are already well formed take the fast path (:func:`float_layers`, float64 kept as is);
anything else is turned entry by entry into :class:`fractions.Fraction` values at their
exact binary value (:func:`to_matrix`, :func:`to_vector`), and each fault is reported
with the argument's name and the entry's position.

Examples
--------
>>> to_matrix([[1, 0.5]], "weight of layer 0")
[[Fraction(1, 1), Fraction(1, 2)]]
"""

from __future__ import annotations

import reprlib
from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np

from .errors import InputError, InputTypeError
from .predicates import to_fraction
from .wording import counted, type_phrase

__all__ = ["MAX_DECIMAL_EXPONENT", "decimal_fraction", "decimal_refusal", "describe_value", "float_layers",
           "plain_text", "refuse_decimals", "refuse_masked", "refuse_sparse", "to_matrix", "to_vector"]

_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother, _REPR.maxlist = 3, 60, 60, 6


def _float_array(obj: Any, ndim: int) -> np.ndarray | None:
    """Return ``obj`` as float64 if it is a well-formed float array, else None.

    Well-formed: a non-empty, finite numpy array or torch tensor of a real float dtype with
    ``ndim`` dimensions (every such value is exact in float64).  On None the general path
    validates ``obj`` and words the error.
    """
    mod = type(obj).__module__
    if mod.startswith("torch"):
        if not obj.is_floating_point() or obj.is_meta or obj.layout != _torch().strided or obj.is_quantized:
            return None  # the general path words the error (or converts a sparse tensor)
        obj = obj.detach().cpu().double().numpy()
    elif not isinstance(obj, np.ndarray) or obj.dtype.kind != "f" or obj.dtype.itemsize > 8:
        return None
    if np.ma.is_masked(obj):
        return None  # hidden entries: the general path refuses them
    obj = np.asarray(obj, dtype=np.float64)  # a subclass's own values
    if obj.ndim != ndim or obj.size == 0 or not np.isfinite(obj).all():
        return None
    return obj


def float_layers(layers: Sequence[Any]) -> tuple[list[np.ndarray], list[np.ndarray]] | None:
    """Return the layers as float64 arrays ``(Ws, bs)``, or None for the general path.

    Parameters
    ----------
    layers : sequence of (W, b)
        Candidate layers: ``W`` of shape ``(out, in)``, ``b`` of shape ``(out,)``.

    Returns
    -------
    (list of ndarray, list of ndarray) or None
        The arrays (float64; float16/32 values converted exactly) when every weight and
        bias is a non-empty, finite numpy array or torch tensor of a real float dtype
        and the shapes chain; ``None`` otherwise, and the general path then validates
        the layers and words the error.

    Examples
    --------
    >>> import numpy as np
    >>> Ws, bs = float_layers([(np.eye(2), np.zeros(2)), (np.ones((1, 2)), np.zeros(1))])
    >>> [W.shape for W in Ws], [b.shape for b in bs]
    ([(2, 2), (1, 2)], [(2,), (1,)])
    >>> float_layers([([[1.0]], [0.0])]) is None          # lists take the general path
    True
    """
    Ws, bs = [], []
    for pair in layers:
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            return None
        W, b = _float_array(pair[0], 2), _float_array(pair[1], 1)
        if W is None or b is None or len(b) != len(W) or (Ws and W.shape[1] != Ws[-1].shape[0]):
            return None
        Ws.append(W)
        bs.append(b)
    return Ws, bs


def to_matrix(obj: Any, what: str) -> list[list[Fraction]]:
    """Read a non-empty 2-D array as exact rationals.

    Parameters
    ----------
    obj : array_like
        A numpy array, torch tensor or nested sequence of real numbers, shape ``(m, n)``
        with ``m, n >= 1``.
    what : str
        The argument's name for messages (``"weight of layer 0"``).

    Returns
    -------
    list of list of Fraction
        ``m`` rows of ``n`` exact values.

    Raises
    ------
    InputError
        Not 2-D, empty, ragged, nested deeper than a matrix, a NaN/inf entry (the message
        names its position), or a meta tensor (no values).
    InputTypeError
        Complex, bool, string, ``Decimal`` or long-double values, quantized tensors.

    Examples
    --------
    >>> to_matrix([[1, 0.5]], "W")
    [[Fraction(1, 1), Fraction(1, 2)]]
    >>> to_matrix([[1], [1, 2]], "W")
    Traceback (most recent call last):
    ...
    exact.errors.InputError: W is ragged: row 0 has 1 entry, row 1 has 2
    """
    if len(getattr(obj, "shape", (0, 0))) != 2:
        raise InputError(f"{what} must be a non-empty 2-D array, got {describe_value(obj)}")
    rows = _to_nested(obj, what)
    if not isinstance(rows, list) or not rows or not all(isinstance(r, list) for r in rows):
        raise InputError(f"{what} must be a non-empty 2-D array, got {describe_value(obj)}")
    n = len(rows[0])
    if n == 0:
        raise InputError(f"{what} has no columns (shape ({len(rows)}, 0))")
    for i, r in enumerate(rows):
        if len(r) != n:
            raise InputError(f"{what} is ragged: row 0 has {counted(n, 'entry', 'entries')}, row {i} has "
                             f"{len(r)}")
    return [[_entry(v, what, i, j) for j, v in enumerate(r)] for i, r in enumerate(rows)]


def to_vector(obj: Any, what: str, *, noun: str | None = None) -> list[Fraction]:
    """Read a 1-D array as exact rationals.

    Parameters
    ----------
    obj : array_like
        A numpy array, torch tensor or sequence of real numbers, shape ``(n,)``.
    what : str
        The argument's name for messages (``"bias of layer 0"``).
    noun : str, optional
        What the values are, for messages (``"a point's coordinates"``); default
        ``"weights"`` for a ``what`` naming a weight or a bias, else ``"values"``.

    Returns
    -------
    list of Fraction
        The ``n`` exact values.

    Raises
    ------
    InputError
        Not 1-D, a NaN/inf entry (the message names its position), or a meta tensor.
    InputTypeError
        Complex, bool, string, ``Decimal`` or long-double values, quantized tensors.

    Examples
    --------
    >>> import numpy as np
    >>> to_vector(np.array([0.25, 2.0]), "bias")
    [Fraction(1, 4), Fraction(2, 1)]
    >>> to_vector([1, float("inf")], "bias")
    Traceback (most recent call last):
    ...
    exact.errors.InputError: bias contains inf at neuron 1; weights must be finite
    >>> to_vector(np.array([1j]), "a", noun="a point's coordinates")
    Traceback (most recent call last):
    ...
    exact.errors.InputTypeError: a has complex dtype complex128; a point's coordinates must be real numbers
    """
    if len(getattr(obj, "shape", (0,))) != 1:
        raise InputError(f"{what} must be a 1-D array, got {describe_value(obj)}")
    vals = _to_nested(obj, what, noun=noun)
    if not isinstance(vals, list) or any(isinstance(v, list) for v in vals):
        raise InputError(f"{what} must be a 1-D array, got {describe_value(obj)}")
    return [_entry(v, what, i, None, noun) for i, v in enumerate(vals)]


MAX_DECIMAL_EXPONENT = 4300
"""The largest exponent of a ``Decimal`` window number (``Fraction(Decimal("1e999999999"))`` would build a
3-billion-bit integer); 4300 is Python's own limit of digits for an integer's text."""


def decimal_fraction(value: Decimal, what: str) -> Fraction:
    """Read a ``Decimal`` exactly, as ``Fraction(value)`` does, refusing what is not finite or too long.

    Parameters
    ----------
    value : Decimal
    what : str
        Names the number in messages (``"window"``, ``"level c"``).

    Returns
    -------
    Fraction

    Raises
    ------
    InputError
        NaN or an infinity, or an exponent beyond :data:`MAX_DECIMAL_EXPONENT`.

    Examples
    --------
    >>> decimal_fraction(Decimal("0.1"), "x")
    Fraction(1, 10)
    """
    if not value.is_finite():
        raise InputError(f"{what} must be a finite number, got {value!r}")
    if value and abs(value.adjusted()) > MAX_DECIMAL_EXPONENT:
        raise InputError(f"{what} is {value!r}, whose exponent is beyond {MAX_DECIMAL_EXPONENT}: refused "
                         "(floats end near 1e308)")
    return Fraction(value)


def describe_value(obj: Any) -> str:
    """Describe a value briefly for an error message: its shape, or its type and repr.

    Parameters
    ----------
    obj : object

    Returns
    -------
    str
        ``"an array of shape (m, n)"`` for anything with a ``shape``, else the type
        name with its article and the repr, cut to 120 characters.

    Examples
    --------
    >>> import numpy as np
    >>> describe_value(np.zeros((2, 3))), describe_value("net.json")
    ('an array of shape (2, 3)', "a str 'net.json'")
    """
    shape = getattr(obj, "shape", None)
    if shape is not None:
        return f"an array of shape {tuple(shape)}"
    return f"{type_phrase(obj)} {_REPR.repr(obj)}"[:120]


def plain_text(obj: Any, limit: int = 80) -> str:
    """Write numbers, and nested tuples and lists of them, as a person would type them.

    Fractions as ``p/q`` (not ``Fraction(p, q)``), Decimals and numpy scalars as their
    digits (not ``Decimal('2.5')`` or ``np.float64(0.5)``), so that an error message shows
    what was given; cut at an element boundary with ``...`` beyond ``limit`` characters.

    Parameters
    ----------
    obj : object
        A number, or a (nested) tuple or list; anything else is shown by its ``repr``.
    limit : int, default 80
        Most characters before the cut.

    Returns
    -------
    str

    Examples
    --------
    >>> from fractions import Fraction
    >>> plain_text((Fraction(-1), Fraction(1, 3), 0.5, [2, 3]))
    '(-1, 1/3, 0.5, [2, 3])'
    >>> plain_text(list(range(100)), limit=20)
    '[0, 1, 2, 3, 4, 5, ...]'
    >>> import numpy as np
    >>> plain_text([Decimal("2.5"), np.float64(0.5), np.int64(-3)])
    '[2.5, 0.5, -3]'
    """
    if isinstance(obj, (tuple, list)):
        parts, size = [], 0
        for item in obj:
            text = plain_text(item, limit)
            if size + len(text) > limit:
                parts.append("...")
                break
            parts.append(text)
            size += len(text) + 2
        inner = ", ".join(parts)
        return f"({inner})" if isinstance(obj, tuple) else f"[{inner}]"
    if isinstance(obj, np.generic) and obj.dtype.kind in "biuf":
        obj = obj.item()  # a numpy scalar: the Python number it holds
    try:
        return str(obj)[:limit] if isinstance(obj, (Fraction, Decimal)) else repr(obj)[:limit]
    except ValueError:  # an integer past Python's 4300-digit limit on str(int)
        return f"<{type_phrase(obj)} of more than 4300 digits>"


def refuse_sparse(state: Mapping, where: str, err: type = InputError) -> None:
    """Refuse a sparse torch tensor among a state_dict's values, naming its key.

    Parameters
    ----------
    state : mapping
        A state_dict: names to tensors or arrays.
    where : str
        Names the state_dict in messages.
    err : type, optional
        The error raised (:class:`~exact.errors.SpecFileError` for a file).

    Returns
    -------
    None

    Raises
    ------
    InputError (or ``err``)
        A value is a sparse (COO, CSR, ...) torch tensor.

    Examples
    --------
    >>> import torch
    >>> refuse_sparse({"fc.weight": torch.eye(2).to_sparse()}, "net")
    Traceback (most recent call last):
    ...
    exact.errors.InputError: net: entry 'fc.weight' is a sparse tensor (layout torch.sparse_coo); call ...
    """
    for key, v in state.items():
        sparse = type(v).__module__.startswith("torch") and getattr(v, "layout", None) not in (None,
                                                                                              _torch().strided)
        if sparse:
            raise err(f"{where}: entry {key!r} is a sparse tensor (layout {v.layout}); call .to_dense() on "
                      "it before reading (or saving) the state_dict")


def _torch():
    import torch

    return torch


def _noun(what: str, noun: str | None) -> str:
    """Name the values of ``what`` in a message: ``noun`` if given, else weights or values."""
    if noun is not None:
        return noun
    return "weights" if what.startswith(("weight", "bias", "W")) else "values"


def _tensor_to_numpy(obj: Any, what: str, noun: str | None = None) -> np.ndarray:
    """Return a tensor's values as a numpy array (floats as float64: exact); refuse what has none."""
    torch = _torch()
    if obj.is_meta:
        raise InputError(f"{what} is a meta tensor: it has shape {tuple(obj.shape)} but no values; "
                         "materialise and load the weights first")
    if obj.is_quantized:
        raise InputTypeError(f"{what} is a quantized tensor ({obj.dtype}); a quantized layer does not "
                             "compute the float network: pass the float weights")
    if obj.is_complex():
        raise InputTypeError(f"{what} has complex dtype {obj.dtype}; {_noun(what, noun)} must be real "
                             "numbers")
    if obj.dtype == torch.bool:
        raise InputTypeError(f"{what} has bool dtype; {_noun(what, noun)} must be real numbers")
    t = obj.detach().cpu()
    if t.layout != torch.strided:
        t = t.to_dense()  # sparse: the same values
    if t.is_floating_point() and t.dtype != torch.float64:
        t = t.double()  # float16/bfloat16/float32 -> float64 is exact
    return t.numpy()


def _to_nested(obj: Any, what: str, depth: int = 0, noun: str | None = None) -> Any:
    """Turn numpy arrays, torch tensors and nested sequences into nested lists of scalars.

    Sequences nested deeper than a matrix are left as they are (the caller reports them),
    so no input can exhaust the recursion limit.
    """
    mod = type(obj).__module__
    if mod.startswith("torch"):
        obj = _tensor_to_numpy(obj, what, noun)
        mod = "numpy"
    if mod.startswith("numpy") and isinstance(obj, np.ndarray):
        kind = obj.dtype.kind
        values = _noun(what, noun)
        if kind == "c":
            raise InputTypeError(f"{what} has complex dtype {obj.dtype}; {values} must be real numbers")
        if kind == "b":
            raise InputTypeError(f"{what} has bool dtype; {values} must be real numbers")
        if kind in "USVMm":
            raise InputTypeError(f"{what} has dtype {obj.dtype}; {values} must be real numbers")
        if obj.dtype.itemsize > 8 and kind == "f":
            raise InputTypeError(f"{what} has dtype {obj.dtype}; use float64 or Fraction")
        refuse_masked(obj, what)
        if kind != "O":
            return np.asarray(obj).tolist()  # a masked array without masked entries: its values
        obj = list(obj)
    if isinstance(obj, (list, tuple)) and depth < 2:
        return [_to_nested(x, what, depth + 1, noun) for x in obj]
    return obj


def decimal_refusal(where: str, d: Any, kind: str = "coordinates") -> str:
    """Say why a Decimal point coordinate or weight is refused, and what to pass instead.

    Parameters
    ----------
    where : str
        Names the entry (``"point[0]"``).
    d : Decimal
    kind : str, default "coordinates"
        What the entries are, plural (``"weights"``).

    Returns
    -------
    str

    Examples
    --------
    >>> decimal_refusal("point[0]", Decimal("0.1")).split(" (")[0]
    "point[0] is Decimal('0.1'); Decimal coordinates are refused"
    """
    return (f"{where} is {d!r}; Decimal {kind} are refused (the exact value, or the nearest float?): pass "
            "Fraction(d) for its exact value or float(d) for the nearest float")


def refuse_decimals(values: Any, what: str) -> None:
    """Refuse Decimal entries of a point (:func:`decimal_refusal`), naming the first one.

    Parameters
    ----------
    values : sequence
        The coordinates.
    what : str
        Names the point (``"point"``): the entry is ``what[k]``.

    Raises
    ------
    InputTypeError

    Examples
    --------
    >>> refuse_decimals((0.5, Decimal("1")), "point")
    Traceback (most recent call last):
    ...
    exact.errors.InputTypeError: point[1] is Decimal('1'); Decimal coordinates are refused (the exact ...
    """
    for k, v in enumerate(values):
        if isinstance(v, Decimal):
            raise InputTypeError(decimal_refusal(f"{what}[{k}]", v))


def refuse_masked(obj: Any, what: str) -> None:
    """Refuse a numpy masked array with masked entries, which have no value (``tolist`` makes them None).

    Parameters
    ----------
    obj : Any
        Anything: only a masked array with some entry masked is refused.
    what : str
        Names the argument in the message.

    Raises
    ------
    InputError
        Naming ``what``.

    Examples
    --------
    >>> refuse_masked(np.ma.masked_array([1.0, 2.0], mask=[0, 1]), "point")
    Traceback (most recent call last):
    ...
    exact.errors.InputError: point is a masked array with masked entries, which have no value; pass ...
    """
    if isinstance(obj, np.ma.MaskedArray) and np.ma.is_masked(obj):
        raise InputError(f"{what} is a masked array with masked entries, which have no value; pass "
                         "arr.filled(value) or the values themselves")


def _entry(v: Any, what: str, i: int, j: int | None, noun: str | None = None) -> Fraction:
    """Read one entry exactly; the message names ``what``, the entry's position and ``noun`` (its kind)."""
    where = f"{what}[{i}]" if j is None else f"{what}[{i}, {j}]"
    if isinstance(v, (str, bytes)):
        raise InputTypeError(f"{where} is the string {_REPR.repr(v)}; {_noun(what, noun)} are numbers, not "
                             "text (Fraction(text) gives a decimal's exact value)")
    if isinstance(v, Decimal):
        point = noun or what.startswith(("point", "plane"))
        raise InputTypeError(decimal_refusal(where, v, "coordinates" if point else _noun(what, None)))
    if isinstance(v, (list, tuple, np.ndarray)):
        raise InputError(f"{where} is a sequence, not a number: {what} is nested too deeply")
    try:
        return to_fraction(v)
    except TypeError as exc:
        raise InputTypeError(f"{where}: {exc}") from None
    except ValueError:
        if not what.startswith(("weight", "bias")):  # a point, a plane: no neurons
            raise InputError(f"{where} must be a finite number, got {v!r}") from None
        neuron = f"neuron {i}" + ("" if j is None else f", input {j}")
        raise InputError(f"{what} contains {v!r} at {neuron}; weights must be finite") from None

"""Piecewise-linear activations with exact breakpoints, slopes and intercepts.

An activation is a continuous piecewise-linear function of one variable given by
its sorted breakpoints and, for each of the ``len(breakpoints) + 1`` pieces, a slope
and an intercept.  The piece index of a value ``z`` is the number of breakpoints
strictly below ``z``: ReLU is "off" (piece 0) at ``z <= 0`` and "on" (piece 1) at
``z > 0``.

Examples
--------
>>> relu = get_activation("relu")
>>> relu.breakpoints, relu.slopes
((Fraction(0, 1),), (Fraction(0, 1), Fraction(1, 1)))
>>> get_activation("hardtanh").apply(Fraction(3))
Fraction(1, 1)
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from .errors import InputError, InputTypeError, UnsupportedActivationError
from .predicates import to_fraction
from .wording import counted

__all__ = ["Activation", "get_activation", "piecewise_linear", "SUPPORTED", "pattern_text"]

SUPPORTED = ("relu", "abs", "leaky_relu", "hardtanh", "identity")
"""Names :func:`get_activation` accepts (besides the aliases ``leakyrelu``, ``absolute``, ``linear``)."""


@dataclass(frozen=True)
class Activation:
    """A continuous piecewise-linear activation.

    Attributes
    ----------
    name : str
        ``relu``, ``abs``, ``leaky_relu``, ``hardtanh`` or ``identity``.
    breakpoints : tuple of Fraction
        Sorted, strictly increasing.
    slopes, intercepts : tuple of Fraction
        One per piece (``len(breakpoints) + 1`` pieces).

    Examples
    --------
    >>> from fractions import Fraction
    >>> h = Activation("hardtanh", (Fraction(-1), Fraction(2)), (Fraction(0), Fraction(1), Fraction(0)),
    ...                (Fraction(-1), Fraction(0), Fraction(2)))
    >>> h == get_activation("hardtanh", -1, 2), h.apply(Fraction(5))
    (True, Fraction(2, 1))
    """

    name: str
    breakpoints: tuple[Fraction, ...]
    slopes: tuple[Fraction, ...]
    intercepts: tuple[Fraction, ...]

    def piece(self, z: Fraction) -> int:
        """Find the index of the piece that holds ``z`` (the number of breakpoints strictly below).

        Parameters
        ----------
        z : Fraction
            The pre-activation.

        Returns
        -------
        int
            From 0 to ``len(breakpoints)``.

        Examples
        --------
        >>> get_activation("relu").piece(Fraction(0)), get_activation("relu").piece(Fraction(1))
        (0, 1)
        """
        return sum(1 for b in self.breakpoints if b < z)

    def apply(self, z: Fraction) -> Fraction:
        """Evaluate the activation at ``z`` exactly.

        Parameters
        ----------
        z : Fraction
            The pre-activation.

        Returns
        -------
        Fraction
            ``slopes[q] * z + intercepts[q]`` on the piece ``q`` holding ``z``.

        Examples
        --------
        >>> get_activation("leaky_relu", 0.5).apply(Fraction(-2))
        Fraction(-1, 1)
        """
        q = self.piece(z)
        return self.slopes[q] * z + self.intercepts[q]

    @functools.cached_property
    def integer_form(self) -> tuple[int, tuple[int, ...], tuple[int, ...]]:
        """``(mu, slopes*mu, intercepts*mu)`` with ``mu`` the common denominator (made once).

        Examples
        --------
        >>> get_activation("leaky_relu", 0.5).integer_form
        (2, (1, 2), (0, 0))
        """
        vals = self.slopes + self.intercepts
        mu = math.lcm(*(v.denominator for v in vals))
        return (
            mu,
            tuple(int(s * mu) for s in self.slopes),
            tuple(int(c * mu) for c in self.intercepts),
        )

    def describe(self) -> str:
        """Give a short human-readable name with parameters.

        Returns
        -------
        str
            The name, with ``leaky_relu``'s slope or ``hardtanh``'s bounds as floats.

        Examples
        --------
        >>> get_activation("leaky_relu", 0.25).describe()
        'leaky_relu(0.25)'
        """
        if self.name == "leaky_relu":
            return f"leaky_relu({_short(self.slopes[0])})"
        if self.name == "hardtanh":
            lo, hi = self.breakpoints
            return f"hardtanh({_short(lo)}, {_short(hi)})"
        return self.name


def _short(v: Fraction) -> str:
    """Show a parameter as a float's repr, or exactly if it is beyond the float range."""
    try:
        return repr(float(v))
    except OverflowError:
        return str(v)


def get_activation(name: str, *params: object) -> Activation:
    """Build a supported activation by name.

    Parameters
    ----------
    name : str
        One of ``relu``, ``abs``, ``leaky_relu`` (parameter: negative slope, default
        0.01), ``hardtanh`` (parameters: min and max, default -1 and 1) or ``identity``.
    *params
        Numeric parameters, taken at their exact binary value.

    Returns
    -------
    Activation

    Raises
    ------
    UnsupportedActivationError
        For any other name: sigmoid, tanh, gelu, softplus... are not piecewise linear, so
        the network has no finite set of linear regions; a misspelt name is unknown.
    InputError
        For bad parameters (hardtanh with min >= max, NaN slope, more parameters than
        the activation takes).
    InputTypeError
        A name that is not a string.

    Examples
    --------
    >>> get_activation("abs").slopes
    (Fraction(-1, 1), Fraction(1, 1))
    >>> get_activation("sigmoid")
    Traceback (most recent call last):
    ...
    exact.errors.UnsupportedActivationError: activation 'sigmoid' is not piecewise linear ...
    """
    if not isinstance(name, str):
        raise InputTypeError(f"activation name must be a string such as 'relu', got "
                             f"{type(name).__name__} {name!r}"[:160])
    key = name.lower().replace("-", "_")
    key = {"leakyrelu": "leaky_relu", "absolute": "abs", "linear": "identity"}.get(key, key)
    try:
        vals = [to_fraction(p) for p in params]
    except (TypeError, ValueError) as exc:
        why = str(exc)
        if any(type(p).__name__ == "Decimal" for p in params):  # as for weights: the user chooses
            why = "Decimal values are refused: pass Fraction(d) for its exact value or float(d), the nearest"
        raise InputError(f"activation {name!r} parameters {params!r}: {why}") from None
    n_params = {"relu": 0, "abs": 0, "identity": 0, "leaky_relu": 1, "hardtanh": 2}.get(key)
    if n_params is not None and len(vals) > n_params:
        raise InputError(f"activation {name!r} takes at most {counted(n_params, 'parameter')}, "
                         f"got {len(vals)}: {params!r}"[:200])
    zero, one = Fraction(0), Fraction(1)
    if key == "relu":
        return Activation("relu", (zero,), (zero, one), (zero, zero))
    if key == "abs":
        return Activation("abs", (zero,), (-one, one), (zero, zero))
    if key == "identity":
        return Activation("identity", (), (one,), (zero,))
    if key == "leaky_relu":
        slope = vals[0] if vals else to_fraction(0.01)
        return Activation("leaky_relu", (zero,), (slope, one), (zero, zero))
    if key == "hardtanh":
        lo = vals[0] if len(vals) > 0 else -one
        hi = vals[1] if len(vals) > 1 else one
        if not lo < hi:
            raise InputError(f"hardtanh needs min < max, got min={_short(lo)}, max={_short(hi)}")
        return Activation("hardtanh", (lo, hi), (zero, one, zero), (lo, zero, hi))
    if key not in _SMOOTH:
        import difflib

        close = difflib.get_close_matches(key, SUPPORTED, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UnsupportedActivationError(f"unknown activation {name!r}{hint}; "
                                         f"supported: {', '.join(SUPPORTED)}")
    raise UnsupportedActivationError(
        f"activation {name!r} is not piecewise linear and is not supported; "
        f"supported: {', '.join(SUPPORTED)}"
    )


_SMOOTH = ("sigmoid", "tanh", "gelu", "softplus", "silu", "swish", "elu", "selu", "celu", "mish",
           "softsign", "logsigmoid", "log_sigmoid", "hardswish", "tanhshrink", "softmax",
           "exp", "sin", "cos", "square", "sqrt")
"""Names refused as not piecewise linear; any other unknown name is reported as unknown."""


def piecewise_linear(name: str, breakpoints: Sequence[object], slopes: Sequence[object],
                     intercepts: Sequence[object]) -> Activation:
    """Build and check a general continuous piecewise-linear activation from its pieces.

    Parameters
    ----------
    name : str
        Its name (kept as given; :meth:`Activation.describe` shows it).
    breakpoints : sequence of real, shape (k,)
        Strictly increasing.
    slopes, intercepts : sequence of real, shape (k + 1,)
        Piece ``q`` is ``slopes[q] * z + intercepts[q]``.

    Returns
    -------
    Activation

    Raises
    ------
    InputTypeError
        A name that is not a string; a value that is not a real number.
    InputError
        Wrong lengths, breakpoints not strictly increasing, NaN/inf values, or two pieces
        that do not meet at their breakpoint (the function would not be continuous).

    Notes
    -----
    Every value is taken at its exact value; continuity is checked exactly. ``O(k)``.

    Examples
    --------
    >>> piecewise_linear("relu", [0], [0, 1], [0, 0]) == get_activation("relu")
    True
    >>> piecewise_linear("step", [0], [0, 0], [0, 1])
    Traceback (most recent call last):
    ...
    exact.errors.InputError: activation 'step': pieces 0 and 1 do not meet at breakpoint 0 (0 vs 1)
    """
    if not isinstance(name, str):
        raise InputTypeError(f"activation name must be a string, got {type(name).__name__} {name!r}"[:160])
    vals = []
    for what, seq in (("breakpoints", breakpoints), ("slopes", slopes), ("intercepts", intercepts)):
        try:
            vals.append(tuple(to_fraction(v) for v in seq))
        except TypeError as exc:
            raise InputTypeError(f"activation {name!r} {what}: {exc}") from None
        except ValueError as exc:
            raise InputError(f"activation {name!r} {what}: {exc}") from None
    bps, sl, ic = vals
    if len(sl) != len(bps) + 1 or len(ic) != len(bps) + 1:
        raise InputError(f"activation {name!r}: {len(bps)} breakpoints need {len(bps) + 1} slopes and "
                         f"intercepts, got {len(sl)} and {len(ic)}")
    for i in range(len(bps)):
        if i and not bps[i - 1] < bps[i]:
            raise InputError(f"activation {name!r}: breakpoints must increase strictly, got {bps[i - 1]} "
                             f"then {bps[i]}")
        left, right = sl[i] * bps[i] + ic[i], sl[i + 1] * bps[i] + ic[i + 1]
        if left != right:
            raise InputError(f"activation {name!r}: pieces {i} and {i + 1} do not meet at breakpoint "
                             f"{bps[i]} ({left} vs {right})")
    return Activation(name, bps, sl, ic)


def pattern_text(pattern: Sequence[int], shown: int = 24) -> str:
    """Write an activation pattern for a repr: whole when short, else its start and its length.

    Parameters
    ----------
    pattern : sequence of int
        The piece of each hidden neuron.
    shown : int
        The most neurons written out.

    Returns
    -------
    str

    Examples
    --------
    >>> pattern_text((1, 0, 1))
    '(1, 0, 1)'
    >>> pattern_text((1, 0) * 50, shown=4)
    '(1, 0, 1, 0, ... 100 neurons)'
    """
    if len(pattern) <= shown:
        return str(tuple(pattern))
    return f"({', '.join(map(str, pattern[:shown]))}, ... {len(pattern)} neurons)"

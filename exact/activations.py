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

import math
from dataclasses import dataclass
from fractions import Fraction

from .errors import InputError, UnsupportedActivationError
from .predicates import to_fraction

__all__ = ["Activation", "get_activation", "SUPPORTED"]

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

    @property
    def integer_form(self) -> tuple[int, tuple[int, ...], tuple[int, ...]]:
        """``(mu, slopes*mu, intercepts*mu)`` with ``mu`` the common denominator.

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
            return f"leaky_relu({float(self.slopes[0])!r})"
        if self.name == "hardtanh":
            lo, hi = self.breakpoints
            return f"hardtanh({float(lo)!r}, {float(hi)!r})"
        return self.name


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
        For any other name (sigmoid, tanh, gelu, softplus...): these are not piecewise
        linear, so the network has no finite set of linear regions.
    InputError
        For bad parameters (hardtanh with min >= max, NaN slope).

    Examples
    --------
    >>> get_activation("abs").slopes
    (Fraction(-1, 1), Fraction(1, 1))
    >>> get_activation("sigmoid")
    Traceback (most recent call last):
    ...
    exact.errors.UnsupportedActivationError: activation 'sigmoid' is not piecewise linear ...
    """
    key = str(name).lower().replace("-", "_")
    key = {"leakyrelu": "leaky_relu", "absolute": "abs", "linear": "identity"}.get(key, key)
    try:
        vals = [to_fraction(p) for p in params]
    except (TypeError, ValueError) as exc:
        raise InputError(f"activation {name!r} parameters {params!r}: {exc}") from None
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
            raise InputError(f"hardtanh needs min < max, got min={float(lo)}, max={float(hi)}")
        return Activation("hardtanh", (lo, hi), (zero, one, zero), (lo, zero, hi))
    raise UnsupportedActivationError(
        f"activation {name!r} is not piecewise linear and is not supported; "
        f"supported: {', '.join(SUPPORTED)}"
    )

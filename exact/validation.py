"""Input validation shared by the public API and the command line.

Every public entry point (:func:`exact.regions`, :func:`exact.count_regions`,
:func:`exact.cross_check`, the ``exactnet`` commands) checks its arguments here, so one
argument gets one message wherever it is given.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from .errors import InputError, InputTypeError
from .loading import as_exact_net
from .network import ExactNet

__all__ = [
    "DEFAULT_MAX_REGIONS",
    "DEFAULT_WINDOW",
    "WindowLike",
    "check_max_regions",
    "check_window",
    "prepare_net",
]

DEFAULT_WINDOW = 10
"""Half-width ``B`` of the default window ``[-B, B]^2`` of every function and command."""

DEFAULT_MAX_REGIONS = 2_000_000
"""Default guard: enumerations beyond this many cells stop with an error."""

WindowLike = int | float | Fraction | None
"""A window half-width ``B > 0`` (the square ``[-B, B]^2``) or ``None`` for the whole plane."""


def check_window(window: Any) -> Fraction | None:
    """Validate a window half-width: ``None`` (whole plane) or a finite number > 0.

    Parameters
    ----------
    window : int, float, Fraction, str or None
        The half-width ``B`` of ``[-B, B]^2``; ``None`` or one of the strings ``"plane"``,
        ``"none"``, ``"inf"`` for the whole plane.

    Returns
    -------
    Fraction or None
        The exact half-width, or ``None`` for the whole plane.

    Raises
    ------
    InputTypeError
        For a bool, a container or another string.
    InputError
        For a value that is not a finite number > 0.

    Examples
    --------
    >>> check_window(10.0), check_window(None)
    (Fraction(10, 1), None)
    >>> check_window(-1)
    Traceback (most recent call last):
    ...
    exact.errors.InputError: window must be a finite number > 0 (half-width B of [-B, B]^2) or None, got -1
    """
    if window is None:
        return None
    if isinstance(window, str) and window.strip().lower() in ("plane", "none", "inf"):
        return None
    if isinstance(window, bool) or isinstance(window, (list, tuple, dict, str)):
        raise InputTypeError(f"window must be a number or None, got {window!r}")
    try:
        f = Fraction(window) if isinstance(window, (int, Fraction)) else Fraction(float(window))
    except (TypeError, ValueError, OverflowError):
        raise InputError(
            f"window must be a finite number > 0 (half-width B of [-B, B]^2) or None, got {window!r}"
        ) from None
    if f <= 0:
        raise InputError(
            f"window must be a finite number > 0 (half-width B of [-B, B]^2) or None, got {window!r}"
        )
    return f


def check_max_regions(max_regions: Any) -> None:
    """Validate the ``max_regions`` guard: a positive integer or ``None`` (no guard).

    Parameters
    ----------
    max_regions : int or None
        The guard to check.

    Raises
    ------
    InputTypeError
        For a bool or a value that is not an integer.
    InputError
        For an integer < 1.

    Examples
    --------
    >>> check_max_regions(10), check_max_regions(None)
    (None, None)
    >>> check_max_regions(0)
    Traceback (most recent call last):
    ...
    exact.errors.InputError: max_regions must be a positive integer or None, got 0
    """
    if max_regions is None:
        return
    if isinstance(max_regions, bool) or not isinstance(max_regions, numbers.Integral):
        raise InputTypeError(f"max_regions must be a positive integer or None, got {max_regions!r}")
    if max_regions < 1:
        raise InputError(f"max_regions must be a positive integer or None, got {max_regions!r}")


def prepare_net(net: Any, plane: Sequence[Any] | None = None, activation: str | None = None) -> ExactNet:
    """Coerce ``net``, restrict it to ``plane`` if given, and check it has 2-D input.

    Parameters
    ----------
    net : torch.nn.Module, list of (W, b), ExactNet, or path
        Any network :func:`exact.as_exact_net` accepts.
    plane : (x0, x1, x2), optional
        Three points spanning the affine plane to restrict the input to.
    activation : str, optional
        Hidden activation when ``net`` is a list of layers.

    Returns
    -------
    ExactNet
        A network with 2-D input.

    Raises
    ------
    InputError
        When ``plane`` is not three points, or the input is not 2-D without ``plane``.

    Examples
    --------
    >>> prepare_net([([[1.0, 0.0, 0.0]], [0.0]), ([[1.0]], [0.0])],
    ...             plane=([0, 0, 0], [1, 0, 0], [0, 1, 0])).input_dim
    2
    """
    enet = as_exact_net(net, activation=activation)
    if plane is not None:
        if isinstance(plane, (str, bytes, dict)) or not hasattr(plane, "__len__"):
            raise InputTypeError(f"plane must be three points (x0, x1, x2), got {plane!r}")
        if len(plane) != 3:
            raise InputError(f"plane must be three points (x0, x1, x2), got {len(plane)} items")
        enet = enet.restrict_to_plane(*plane)
    if enet.input_dim != 2:
        raise InputError(
            f"the network's input is {enet.input_dim}-D, and regions are computed for 2-D input: "
            "give three points spanning a plane through the input space (plane=(x0, x1, x2) in "
            "Python, --plane '[[...], [...], [...]]' on the command line) to study that 2-D slice"
        )
    return enet

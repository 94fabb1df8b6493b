"""The error family of exactnet.

Every error the package raises on purpose derives from :class:`ExactnetError`.
Errors about bad input also derive from :class:`ValueError` (or
:class:`TypeError`), so callers that already catch those keep working.

Examples
--------
>>> from exact.errors import InputError, ExactnetError
>>> issubclass(InputError, ValueError) and issubclass(InputError, ExactnetError)
True
"""

from __future__ import annotations

__all__ = [
    "ExactnetError",
    "InputError",
    "InputTypeError",
    "UnsupportedActivationError",
    "SpecFileError",
    "TooManyRegionsError",
    "VerificationError",
    "Undecided",
]


class ExactnetError(Exception):
    """Base class of every error raised on purpose by exactnet."""


class InputError(ExactnetError, ValueError):
    """An argument has a value the function cannot work with (NaN, wrong shape, ...)."""


class InputTypeError(ExactnetError, TypeError):
    """An argument has a type the function cannot work with (complex, bool, object...)."""


class UnsupportedActivationError(InputError):
    """The network uses an activation that is not piecewise linear (sigmoid, GELU, ...)."""


class SpecFileError(InputError):
    """A network spec file (JSON, .npz, .pt) is missing, unreadable or malformed."""


class TooManyRegionsError(ExactnetError, RuntimeError):
    """Enumeration stopped because it would exceed the ``max_regions`` guard."""


class VerificationError(ExactnetError, AssertionError):
    """A derivation step could not be verified by the computer algebra system."""


class Undecided(ExactnetError):
    """A float test could not be certified; the exact engine has to decide.

    Raised inside the fast paths (:mod:`exact._certified.bounds`, :mod:`exact._certified.subdivision`) and caught
    by the public functions, which then run the exact engine; users do not see it.
    """

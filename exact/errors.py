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
    "UnsupportedNetworkError",
    "UnsupportedActivationError",
    "ResidualModuleError",
    "SpecFileError",
    "ResourceLimitError",
    "TooManyRegionsError",
    "VerificationError",
    "Undecided",
]


class ExactnetError(Exception):
    """Base class of every error raised on purpose by exactnet.

    Examples
    --------
    >>> from exact import get_activation
    >>> try:
    ...     get_activation("gelu")
    ... except ExactnetError as exc:
    ...     print(type(exc).__name__)
    UnsupportedActivationError
    """


class InputError(ExactnetError, ValueError):
    """An argument has a value the function cannot work with (NaN, wrong shape, ...).

    Examples
    --------
    >>> from exact import ExactNet
    >>> ExactNet.from_layers([])
    Traceback (most recent call last):
    ...
    exact.errors.InputError: layers is empty: a network needs at least an output layer
    """


class InputTypeError(ExactnetError, TypeError):
    """An argument has a type the function cannot work with (complex, bool, object...).

    Examples
    --------
    >>> from exact import ExactNet
    >>> ExactNet.from_layers([([[1j, 0]], [0]), ([[1]], [0])])
    Traceback (most recent call last):
    ...
    exact.errors.InputTypeError: weight of layer 0[0, 0]: expected a real number, got the complex value 1j
    """


class UnsupportedNetworkError(InputError):
    """The network has a part exactnet cannot read exactly.

    A layer in training mode, max-pooling, a join of two computed values other than a
    skip connection ``x + g(x)`` (``x - g(x)``, ``x + 0.5 * g(x)``, two unrelated
    branches), an activation with no affine layer before it...  An activation that is
    not piecewise linear raises the subclass :class:`UnsupportedActivationError`.

    Examples
    --------
    >>> import torch
    >>> from exact import from_torch
    >>> from_torch(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU()))
    Traceback (most recent call last):
    ...
    exact.errors.UnsupportedNetworkError: the network ends with an activation (...); the last layer ...
    """


class UnsupportedActivationError(UnsupportedNetworkError):
    """The network uses an activation that is not piecewise linear (sigmoid, GELU, ...).

    Examples
    --------
    >>> from exact import get_activation
    >>> get_activation("tanh")
    Traceback (most recent call last):
    ...
    exact.errors.UnsupportedActivationError: activation 'tanh' is not piecewise linear ...
    """


class ResidualModuleError(InputError):
    """A module with skip connections ``x + g(x)`` was read where a plain network is needed.

    Such a module is analysed exactly in a bounded window (:mod:`exact.residual_nets`):
    :func:`exact.regions`, :func:`exact.count_regions` and :func:`exact.count_on_segment`
    catch this error and read it there.
    """


class SpecFileError(InputError):
    """A network spec file (JSON, .npz, .pt) is missing, unreadable or malformed.

    Examples
    --------
    >>> from exact import load_spec
    >>> load_spec("no/such/net.json")
    Traceback (most recent call last):
    ...
    exact.errors.SpecFileError: spec file 'no/such/net.json' does not exist
    """


class ResourceLimitError(ExactnetError, RuntimeError):
    """A job refused because it would exceed a size or memory limit.

    Raised before the memory is allocated wherever the size can be estimated; the message
    says how big the job would be and which argument sets the limit.

    Examples
    --------
    >>> issubclass(TooManyRegionsError, ResourceLimitError)
    True
    """


class TooManyRegionsError(ResourceLimitError):
    """Enumeration stopped because it would exceed the ``max_regions`` guard.

    Examples
    --------
    >>> from exact import ExactNet
    >>> from exact.layer_split import enumerate_cells
    >>> from exact.square_window import square
    >>> net = ExactNet.from_layers([([[1, 0], [0, 1]], [0, 0]), ([[1, 1]], [0])])  # 4 cells
    >>> enumerate_cells(net, *square(1, 1), max_regions=3)
    Traceback (most recent call last):
    ...
    exact.errors.TooManyRegionsError: more than max_regions=3 cells after hidden layer 1; ...
    """


class VerificationError(ExactnetError, AssertionError):
    """A derivation step could not be verified by the computer algebra system.

    Raised by the derivations of :mod:`exact.symbolic`; an AssertionError too, so a
    failed proof fails a test.

    Examples
    --------
    >>> issubclass(VerificationError, AssertionError)
    True
    """


class Undecided(ExactnetError):
    """A float test could not be certified; the exact engine has to decide.

    Raised inside the fast paths (:mod:`exact._certified.bounds`,
    :mod:`exact._certified.subdivision`) and caught by the public functions, which then
    run the exact engine; users do not see it.

    Examples
    --------
    >>> try:
    ...     raise Undecided("two crossings too close to order in floats")
    ... except ExactnetError as exc:
    ...     print(exc)
    two crossings too close to order in floats
    """

"""Read a state_dict of Linear layers (in memory, ``.pt`` or ``.safetensors``) with its architecture.

A state_dict maps ``<layer>.weight`` (shape ``(out, in)``) and ``<layer>.bias`` (shape
``(out,)``, optional: zeros) to tensors or numpy arrays, one layer after the other, the
last the output layer.  It says nothing of the activations, so those come from an
``"activation"`` entry (as in every spec format, :mod:`exact.spec_values`) or from the
``activation`` argument, default ReLU; an optional ``"widths"`` entry or ``widths``
argument states the widths the layers must have.  Given both ways, they must agree.

Examples
--------
>>> import numpy as np
>>> state = {"fc1.weight": np.eye(2), "fc1.bias": np.zeros(2), "out.weight": np.ones((1, 2))}
>>> net = from_state_dict(state, "net", activation="abs", widths=[2, 2, 1])
>>> net.widths, net.activations[0].name
((2, 2, 1), 'abs')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .activations import Activation
from .errors import InputError, InputTypeError, SpecFileError
from .network import ExactNet, expand_activations
from .spec_values import activation_from_spec, check_activation_count, did_you_mean
from .wording import counted, type_phrase

__all__ = ["check_architecture", "from_state_dict", "given_activation", "resolve_activation"]

_ENTRIES = ("activation", "widths")


def given_activation(activation: Any) -> Any:
    """Read an ``activation`` argument: a name, an Activation, a spec object, or a list of them.

    Parameters
    ----------
    activation : str, Activation, dict, list or None
        As the ``activation`` entry of a spec file, or :class:`Activation` objects.

    Returns
    -------
    str, Activation, list or None
        Spec objects (dicts) read into Activations; anything else as it is (an invalid
        value is refused where it is used, by :func:`~exact.network.expand_activations`).

    Raises
    ------
    SpecFileError
        A malformed spec object.

    Examples
    --------
    >>> given_activation({"name": "leaky_relu", "params": [0.5]}).describe()
    'leaky_relu(0.5)'
    """
    if isinstance(activation, dict):
        return activation_from_spec(activation, "activation")
    if isinstance(activation, (list, tuple)):
        return [activation_from_spec(a, f"activation[{i}]") if isinstance(a, dict) else a
                for i, a in enumerate(activation)]
    return activation


def check_architecture(net: ExactNet, activation: Any = None, widths: Sequence[int] | None = None,
                       where: str = "net") -> ExactNet:
    """Check a network against an architecture given alongside it; refuse a disagreement.

    Parameters
    ----------
    net : ExactNet
        The network read.
    activation : str, Activation, dict or list, optional
        The activation(s) the caller says the network has.
    widths : sequence of int, optional
        The widths the caller says it has.
    where : str, optional
        Names the network in messages.

    Returns
    -------
    ExactNet
        ``net``.

    Raises
    ------
    InputError
        The network has other widths or other activations.
    InputTypeError
        ``widths`` not a sequence of integers, ``activation`` of no accepted kind.

    Examples
    --------
    >>> net = ExactNet.from_layers([([[1.0, 0.0]], [0.0]), ([[1.0]], [0.0])])
    >>> check_architecture(net, "relu", [2, 1, 1]).widths
    (2, 1, 1)
    >>> check_architecture(net, "abs")
    Traceback (most recent call last):
    ...
    exact.errors.InputError: net: activation='abs' was given, but the network has relu
    """
    if widths is not None:
        got = _widths(widths, "widths")
        if got != net.widths:
            raise InputError(f"{where}: widths={list(got)} was given, but the network read has widths "
                             f"{list(net.widths)}")
    if activation is not None:
        acts = expand_activations(given_activation(activation), net.n_hidden_layers)
        if acts != net.activations:
            has = "/".join(a.describe() for a in net.activations) or "no hidden layer"
            raise InputError(f"{where}: activation={_short(activation)} was given, but the network has {has}")
    return net


def _short(v: Any) -> str:
    return (repr(v) if not isinstance(v, Activation) else v.describe())[:120]


def _widths(obj: Any, what: str) -> tuple[int, ...]:
    if isinstance(obj, (str, bytes)) or not hasattr(obj, "__iter__"):
        raise InputTypeError(f"{what} must be a list of layer widths such as [2, 8, 1], got {obj!r}"[:200])
    w = tuple(obj)
    if len(w) < 2 or not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in w):
        raise InputError(f"{what} must be at least two positive integers (input, ..., output), "
                         f"got {obj!r}"[:200])
    return w


def from_state_dict(state: Mapping, where: str, *, activation: Any = None,
                    widths: Sequence[int] | None = None, in_file: bool = False) -> ExactNet:
    """Read a state_dict of Linear layers, in its order, with its activations and widths.

    Parameters
    ----------
    state : mapping
        ``<layer>.weight`` and ``<layer>.bias`` tensors or numpy arrays, in forward order,
        and optionally ``"activation"`` (as in a spec file) and ``"widths"``.
    where : str
        Names the state_dict in messages (``"net"``, ``"spec file 'n.pt'"``).
    activation : str, Activation, dict or list, optional
        The activations, if the state_dict has no ``"activation"`` entry; if it has one,
        they must agree.  Default ReLU.
    widths : sequence of int, optional
        The widths the network must have (checked like a ``"widths"`` entry).
    in_file : bool, optional
        The state_dict was read from a file: faults raise :class:`SpecFileError`.

    Returns
    -------
    ExactNet

    Raises
    ------
    SpecFileError or InputError
        An entry that is not a layer's weight or bias, a value that is not a tensor or
        array, a bias without its weight, no weights, a weight that is not 2-D, a bias of
        the wrong shape, layers whose shapes do not chain, widths or activations that
        disagree with the arguments.
    UnsupportedActivationError
        An activation that is not piecewise linear.

    Examples
    --------
    >>> import numpy as np
    >>> from_state_dict({"a.weight": np.ones((3, 2)), "b.weight": np.ones((1, 4))}, "net")
    Traceback (most recent call last):
    ...
    exact.errors.InputError: net: 'b.weight' has shape (1, 4): it reads 4 inputs, but 'a.weight' gives 3 ...
    """
    err = SpecFileError if in_file else InputError
    names = _layer_names(state, where, err, in_file)
    layers = []
    for i, n in enumerate(names):
        W, b = state[n + ".weight"], state.get(n + ".bias")
        shape = tuple(W.shape)
        if len(shape) != 2:
            raise err(f"{where}: {n}.weight has shape {shape}, not 2-D (out, in)")
        if b is not None and tuple(b.shape) != shape[:1]:
            raise err(f"{where}: {n}.bias has shape {tuple(b.shape)}, but {n}.weight has "
                      f"{counted(shape[0], 'row')}")
        if i and shape[1] != layers[-1][0].shape[0]:
            raise err(f"{where}: '{n}.weight' has shape {shape}: it reads {counted(shape[1], 'input')}, "
                      f"but '{names[i - 1]}.weight' gives {counted(layers[-1][0].shape[0], 'output')}; the "
                      f"layers do not chain in this order ({', '.join(names)})")
        layers.append((W, b if b is not None else _zeros(W, shape[0])))
    act = resolve_activation(state.get("activation"), activation, len(layers), where, err)
    net = ExactNet.from_layers(layers, activation=act)
    if "widths" in state:
        try:
            check_architecture(net, widths=state["widths"], where=f"{where}: its 'widths' entry")
        except InputError as exc:
            raise err(str(exc)) from None
    return check_architecture(net, widths=widths, where=where)


def _zeros(W: Any, n: int) -> Any:
    """Make a zero bias of the weight's kind (tensor or array)."""
    if type(W).__module__.startswith("torch"):
        import torch

        return torch.zeros(n, dtype=W.dtype if W.is_floating_point() else torch.float64)
    import numpy as np

    return np.zeros(n)


def _layer_names(state: Mapping, where: str, err: type, in_file: bool) -> list[str]:
    """List the layers' names in order; refuse any other entry and non-array values."""
    kind = "a tensor" if in_file else "a tensor or numpy array"
    for key, v in state.items():
        if key in _ENTRIES:
            continue
        if not (isinstance(key, str) and key.endswith((".weight", ".bias"))):
            raise err(f"{where}: entry {key!r}{did_you_mean(str(key), _ENTRIES)} is not a Linear layer's "
                      "'<name>.weight' or '<name>.bias' (nor 'activation' or 'widths'); a state_dict is read "
                      "as Linear layers: for convolutions or BatchNorm pass the module itself")
        if not (hasattr(v, "shape") and hasattr(v, "dtype")):
            raise err(f"{where}: entry {key!r} is {type_phrase(v)}, not {kind}")
    names = [k[: -len(".weight")] for k in state if isinstance(k, str) and k.endswith(".weight")]
    for key in state:
        if isinstance(key, str) and key.endswith(".bias") and key[: -len(".bias")] not in names:
            raise err(f"{where}: entry {key!r} has no matching weight")
    if not names:
        raise err(f"{where} has no '<layer>.weight' entries")
    return names


def resolve_activation(entry: Any, given: Any, n_layers: int, where: str, err: type = SpecFileError) -> Any:
    """Choose the activations of a spec: its ``activation`` entry, else the argument, else ReLU.

    Parameters
    ----------
    entry : str, dict, list or None
        The spec's ``activation`` entry as read (None: the spec has none).
    given : str, Activation, dict, list or None
        The ``activation`` argument.
    n_layers : int
        Layers of the network, the output layer included.
    where : str
        Names the spec in messages.
    err : type, optional
        The error raised for a disagreement or a list of the wrong length.

    Returns
    -------
    str, Activation or list
        What :meth:`ExactNet.from_layers` takes.

    Raises
    ------
    SpecFileError or err
        A malformed entry, a list of the wrong length, an entry and an argument that
        disagree.

    Examples
    --------
    >>> resolve_activation(None, "abs", 2, "spec")
    'abs'
    >>> resolve_activation("relu", "abs", 2, "spec")
    Traceback (most recent call last):
    ...
    exact.errors.SpecFileError: spec: its 'activation' entry says 'relu', but activation='abs' was given
    """
    given = given_activation(given)
    if entry is None:
        return given if given is not None else "relu"
    act = activation_from_spec(entry, f"{where}: activation")
    check_activation_count(act, n_layers, where)
    if given is not None and expand_activations(given, n_layers - 1) != expand_activations(act, n_layers - 1):
        raise err(f"{where}: its 'activation' entry says {_short(entry)}, but activation={_short(given)} "
                  "was given")
    return act

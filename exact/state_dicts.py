"""Read a state_dict of Linear layers (in memory, ``.pt`` or ``.safetensors``) with its architecture.

A state_dict maps ``<layer>.weight`` (shape ``(out, in)``) and ``<layer>.bias`` (shape
``(out,)``, optional: zeros) to tensors or numpy arrays, the last layer the output layer.
It says nothing of the activations, so those come from an ``"activation"`` entry (as in
every spec format, :mod:`exact.spec_values`) or from the ``activation`` argument, default
ReLU; an optional ``"widths"`` entry or ``widths`` argument states the widths the layers
must have.  Given both ways, they must agree.

Nor does a state_dict say in which order the layers run: a dict keeps the order the
module registered them in, a ``.safetensors`` file none; :mod:`exact.layer_order` chooses
(registration order or the names' numbers, whichever chains; for a ``.safetensors`` file
the one order in which the shapes chain), refusing an ambiguous order.  Each read leaves a
note of the order read and what was assumed (:func:`recorded_readings`).

Examples
--------
>>> import numpy as np
>>> state = {"fc1.weight": np.eye(2), "fc1.bias": np.zeros(2), "out.weight": np.ones((1, 2))}
>>> net = from_state_dict(state, "net", activation="abs", widths=[2, 2, 1])
>>> net.widths, net.activations[0].name
((2, 2, 1), 'abs')
>>> square = {n + ".weight": np.eye(2) for n in ("fc1", "fc3", "fc2")}  # registered in another order
>>> from_state_dict(square, "net")
Traceback (most recent call last):
...
exact.errors.InputError: net: its layers fc1, fc3, fc2 (as stored) and fc1, fc2, fc3 (by their names' ...
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from .activations import Activation
from .errors import InputError, InputTypeError, SpecFileError
from .layer_order import chain_order, stored_order
from .network import ExactNet, expand_activations
from .spec_values import activation_from_spec, check_activation_count, did_you_mean
from .wording import counted, type_phrase

__all__ = ["ASSUMED", "check_architecture", "checkpoint_entry", "from_state_dict", "given_activation",
           "recorded_readings", "resolve_activation"]

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
    InputError
        A malformed spec object (not a :class:`SpecFileError`: no file is read here).

    Examples
    --------
    >>> given_activation({"name": "leaky_relu", "params": [0.5]}).describe()
    'leaky_relu(0.5)'
    >>> given_activation({"name": "leaky_relu", "params": ["a"]})
    Traceback (most recent call last):
    ...
    exact.errors.InputError: activation.params[0] is the string 'a'; a parameter is a number or an exact ...
    """
    try:
        if isinstance(activation, dict):
            return activation_from_spec(activation, "activation")
        if isinstance(activation, (list, tuple)):
            return [activation_from_spec(a, f"activation[{i}]") if isinstance(a, dict) else a
                    for i, a in enumerate(activation)]
    except SpecFileError as exc:  # the same checks as a spec file's entry, but this argument came from Python
        raise InputError(str(exc)) from None
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
                    widths: Sequence[int] | None = None, in_file: bool = False,
                    by_shapes: bool = False) -> ExactNet:
    """Read a state_dict of Linear layers, in its order, with its activations and widths.

    Parameters
    ----------
    state : mapping
        ``<layer>.weight`` and ``<layer>.bias`` tensors or numpy arrays, and optionally
        ``"activation"`` (as in a spec file) and ``"widths"``; the layers' order is
        chosen as the module's docstring says.
    where : str
        Names the state_dict in messages (``"net"``, ``"spec file 'n.pt'"``).
    activation : str, Activation, dict or list, optional
        The activations, if the state_dict has no ``"activation"`` entry; if it has one,
        they must agree.  Default ReLU.
    widths : sequence of int, optional
        The widths the network must have (checked like a ``"widths"`` entry).
    in_file : bool, optional
        The state_dict was read from a file: faults raise :class:`SpecFileError`.
    by_shapes : bool, optional
        ``state`` has no registration order (a ``.safetensors`` file's): names ordered by their
        numbers are read so, others in the one order in which shapes and widths chain.

    Returns
    -------
    ExactNet

    Raises
    ------
    SpecFileError or InputError
        An entry that is not a layer's weight or bias, a value that is not a tensor or
        array, a bias without its weight, no weights, a weight that is not 2-D, a bias of
        the wrong shape, layers whose shapes do not chain, or chain both as stored and in
        their names' numbers' order, widths or activations that disagree with the arguments.
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
    try:
        table = _shape_table(state, names, widths if widths is not None else state.get("widths"))
        names, how, hint = (chain_order if by_shapes else stored_order)(names, table)
    except InputError as why:  # an ambiguous order
        raise err(f"{where}: {why}") from None
    layers = []
    for i, n in enumerate(names):
        W, b = state[n + ".weight"], state.get(n + ".bias")
        shape = tuple(W.shape)
        if len(shape) != 2:
            raise err(_not_a_matrix(where, n, shape))
        if b is not None and tuple(b.shape) != shape[:1]:
            raise err(f"{where}: {n}.bias has shape {tuple(b.shape)}, but {n}.weight has "
                      f"{counted(shape[0], 'row')}")
        if i and shape[1] != layers[-1][0].shape[0]:
            raise err(f"{where}: '{n}.weight' has shape {shape}: it reads {counted(shape[1], 'input')}, "
                      f"but '{names[i - 1]}.weight' gives {counted(layers[-1][0].shape[0], 'output')}; the "
                      f"layers do not chain in this order ({', '.join(names)}){hint}")
        for key, v in ((n + ".weight", W), (n + ".bias", b)):
            _check_finite(v, key, f"affine layer {i + 1} of {len(names)}", f"{where}: ", err)
        layers.append((W, b if b is not None else _zeros(W, shape[0])))
    act = resolve_activation(state.get("activation"), activation, len(layers), where, err)
    net = ExactNet.from_layers(layers, activation=act)
    if "widths" in state:
        try:
            check_architecture(net, widths=state["widths"], where=f"{where}: its 'widths' entry")
        except InputError as exc:
            raise err(str(exc)) from None
    check_architecture(net, widths=widths, where=where)
    _note(names, how, net, "its 'activation' entry" if "activation" in state else
          "given" if activation is not None else "assumed")
    return net


ASSUMED = ("one chain of Linear layers in the order read, the activation after each hidden layer, no skip "
           "connections, no shared (tied) weights, no two Linear layers in a row: a state_dict cannot show "
           "them; if the network has any, pass the torch module itself")
"""What reading a state_dict assumes (the command line's summary says it)."""

_READINGS: contextvars.ContextVar[list[dict] | None] = contextvars.ContextVar("exact_state_dict_readings",
                                                                              default=None)


@contextlib.contextmanager
def recorded_readings() -> Iterator[list[dict]]:
    """Note each state_dict read inside the block: the layers' order and what was assumed.

    Yields
    ------
    list of dict
        One dict per state_dict read (in memory, ``.pt`` or ``.safetensors``), filled as
        they are read: ``layers_read`` (the weights' names, in the order read),
        ``layer_order`` (how that order was chosen), ``activation`` (its description,
        with ``assumed`` when the state_dict named none and none was given) and
        ``assumed`` (:data:`ASSUMED`).

    Examples
    --------
    >>> import numpy as np
    >>> with recorded_readings() as notes:
    ...     _ = from_state_dict({"fc1.weight": np.ones((3, 2)), "fc2.weight": np.ones((1, 3))}, "net")
    >>> notes[0]["layers_read"], notes[0]["activation"]
    (['fc1.weight', 'fc2.weight'], 'relu (assumed: the state_dict names none)')
    """
    notes: list[dict] = []
    token = _READINGS.set(notes)
    try:
        yield notes
    finally:
        _READINGS.reset(token)


def _note(names: list[str], how: str, net: ExactNet, source: str) -> None:
    """Leave a note of a state_dict read, inside :func:`recorded_readings` (else nothing)."""
    notes = _READINGS.get()
    if notes is None:
        return
    kinds = list(dict.fromkeys(a.describe() for a in net.activations))
    act = "/".join(kinds) if kinds else "none (no hidden layer)"
    act += " (assumed: the state_dict names none)" if source == "assumed" and kinds else \
        f" ({source})" if kinds else ""
    notes.append({"layers_read": [n + ".weight" for n in names], "layer_order": how, "activation": act,
                  "assumed": ASSUMED})


def _shape_table(state: Mapping, names: list[str], widths: Any) -> tuple[dict, Any] | None:
    """Return each layer's weight shape and the widths given (if usable), or None for a bad shape."""
    shapes = {n: tuple(getattr(state[n + ".weight"], "shape", ())) for n in names}
    if any(len(v) != 2 for v in shapes.values()):
        return None  # a bad shape is named by the caller
    try:
        want = _widths(widths, "widths") if widths is not None else None
    except (InputError, InputTypeError):
        want = None  # refused later, with its own message
    return shapes, (want if want is not None and len(want) == len(names) + 1 else None)


def checkpoint_entry(obj: Any, where: str, in_file: bool = True) -> tuple[Any, str]:
    """Return the state_dict inside a training checkpoint dict, or ``obj`` itself.

    A checkpoint such as ``{"epoch": 3, "model_state_dict": sd, "optimizer_state_dict":
    ...}`` holds the state_dict under some key.  It is read when it cannot be mistaken:
    ``obj`` has no tensor of its own (no entry with an axis), and exactly one of its
    entries is a dict of tensors (besides ``activation`` and ``widths`` entries; an
    optimizer's state holds lists and numbers too).  Several such entries are refused,
    naming them; anything else is returned as it is (and read, or refused, as a state_dict).

    Parameters
    ----------
    obj : Any
        What the file holds.
    where : str
        Names the file (or the argument) in messages.
    in_file : bool, default True
        Whether ``obj`` came from a file (a :class:`SpecFileError` then, else an
        :class:`InputError` saying which entry to pass).

    Returns
    -------
    (Any, str)
        The one state_dict entry and ``where`` naming it (``"spec file 'c.pt', entry
        'model'"``), or ``obj`` and ``where``.

    Raises
    ------
    SpecFileError, InputError
        Several entries are state_dicts (from a file, in memory).

    Examples
    --------
    >>> import numpy as np
    >>> sd = {"0.weight": np.ones((1, 2))}
    >>> got, where = checkpoint_entry({"epoch": 3, "model_state_dict": sd, "optimizer": {"lr": 0.1}}, "f")
    >>> got is sd, where
    (True, "f, entry 'model_state_dict'")
    >>> checkpoint_entry({"model": sd, "ema": sd}, "spec file 'c.pt'")
    Traceback (most recent call last):
    ...
    exact.errors.SpecFileError: spec file 'c.pt' is a checkpoint with several state_dicts, 'model' and ...
    """
    if not isinstance(obj, Mapping) or any(len(getattr(v, "shape", ())) for v in obj.values()):
        return obj, where  # a tensor of its own (a 0-d loss or a numpy step count is no layer's)
    err = SpecFileError if in_file else InputError
    found = [k for k, v in obj.items() if _is_state_dict(v)]
    if len(found) > 1:
        one = f"checkpoint[{found[0]!r}]"
        how = (f"save the one to count alone, e.g. torch.save({one}, path)" if in_file
               else f"pass the one to count, e.g. {one}")
        keys = " and ".join(map(repr, found))
        raise err(f"{where} is a checkpoint with several state_dicts, {keys}: {how}")
    if not found:
        return obj, where
    entry, extra = obj[found[0]], {k: obj[k] for k in _ENTRIES if k in obj}
    for k, v in extra.items():  # the checkpoint's own architecture entries describe the net too
        if k in entry and entry[k] != v:
            raise err(
                f"{where}: its {k!r} entry {v!r} disagrees with the {k!r} entry {entry[k]!r} inside its "
                f"state_dict {found[0]!r}"[:300])
    return ({**entry, **extra} if extra else entry), f"{where}, entry {found[0]!r}"


def _is_state_dict(v: Any) -> bool:
    """Tell whether ``v`` is a dict of tensors (and architecture entries)."""
    if not isinstance(v, Mapping):
        return False
    layers = [x for k, x in v.items() if k not in _ENTRIES]
    return bool(layers) and all(hasattr(x, "shape") and hasattr(x, "dtype") for x in layers)


def _not_a_matrix(where: str, name: str, shape: tuple) -> str:
    """Say that a layer's weight is not a matrix (more axes: a convolution's? pass the module)."""
    text = f"{where}: {name}.weight has shape {shape}, not 2-D (out, in)"
    if len(shape) > 2:
        text += ("; a convolution's weight? a state_dict is read as Linear layers only: pass the torch "
                 "module itself (exact.as_exact_net(module), in Python), which reads convolutions")
    return text


def _check_finite(v: Any, key: str, layer: str, head: str, err: type) -> None:
    """Refuse a NaN or infinite entry, naming the state_dict key, the layer and the place.

    The layer is an ordinal (``affine layer 2 of 3``), so that neither a count from 0 nor from 1 is guessed.
    """
    if v is None or not hasattr(v, "dtype"):
        return
    if type(v).__module__.startswith("torch"):
        import torch

        if not v.is_floating_point() or v.device.type == "meta":
            return
        bad = torch.nonzero(~torch.isfinite(v))
        first = tuple(int(k) for k in bad[0]) if len(bad) else None
    else:
        import numpy as np

        if np.asarray(v).dtype.kind not in "fc":
            return
        bad = np.argwhere(~np.isfinite(np.asarray(v)))
        first = tuple(int(k) for k in bad[0]) if len(bad) else None
    if first is None:
        return
    value = float(v[first].real) if hasattr(v[first], "real") else float(v[first])
    place = f"neuron {first[0]}" + (f", input {first[1]}" if len(first) > 1 else "")
    kind = "weight" if key.endswith(".weight") else "bias"
    raise err(f"{head}{kind} {key} ({layer}) contains {value!r} at {place}; weights must be finite")


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

"""Read networks from torch modules and from spec files (JSON, ``.npz``, ``.pt``).

Spec file formats
-----------------
JSON
    ``{"layers": [{"weight": [[...]], "bias": [...]}, ...], "activation": "relu"}``;
    the last layer is the output layer.  ``activation`` may be a string or an object
    ``{"name": "leaky_relu", "params": [0.1]}``; default ``relu``.
``.npz``
    Arrays ``W0, b0, W1, b1, ...`` (optionally a 0-d string array ``activation``).
``.pt``
    A torch ``state_dict`` of ``Linear`` layers (keys ``<name>.weight``/``<name>.bias`` in
    order), loaded with ``weights_only=True``: arbitrary pickled objects are never run.

Examples
--------
>>> import json, tempfile, os
>>> spec = {"layers": [{"weight": [[1, 0], [0, 1]], "bias": [0, 0]},
...                    {"weight": [[1, 1]], "bias": [0]}]}
>>> path = os.path.join(tempfile.mkdtemp(), "net.json")
>>> with open(path, "w") as f:
...     json.dump(spec, f)
>>> load_spec(path).widths
(2, 2, 1)
"""

from __future__ import annotations

import json
import os
from typing import Any

from .activations import Activation, get_activation
from .errors import InputError, SpecFileError, UnsupportedActivationError
from .network import ExactNet

__all__ = ["as_exact_net", "from_torch", "load_spec", "save_json"]


def _activation_from_spec(obj: Any, where: str) -> Activation:
    """Read a spec's ``activation`` entry: a name or ``{"name": ..., "params": [...]}``."""
    if isinstance(obj, str):
        return get_activation(obj)
    if isinstance(obj, dict) and "name" in obj:
        params = obj.get("params", [])
        if not isinstance(params, list):
            raise SpecFileError(f"{where}: activation params must be a list, got {params!r}")
        return get_activation(obj["name"], *params)
    raise SpecFileError(f"{where}: activation must be a name or {{'name', 'params'}}, got {obj!r}")


def load_spec(path: str | os.PathLike) -> ExactNet:
    """Load a network from a JSON, ``.npz`` or ``.pt`` spec file.

    Parameters
    ----------
    path : str or os.PathLike
        The file; its suffix (``.json``, ``.npz``, ``.pt`` or ``.pth``, any case) chooses
        the format described in this module's docstring.

    Returns
    -------
    ExactNet
        The network, with weights at their exact (binary or written) values.

    Raises
    ------
    SpecFileError
        Missing file, unknown suffix, unreadable or malformed content.
    InputError
        Content that reads but describes an invalid network (NaN, shape mismatch...).
    UnsupportedActivationError
        A JSON or ``.npz`` spec naming an activation that is not piecewise linear.

    Examples
    --------
    >>> import json, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "net.json")
    >>> with open(path, "w") as f:
    ...     json.dump({"layers": [{"weight": [[1, 0]], "bias": [0]}, {"weight": [[1]], "bias": [0]}],
    ...                "activation": {"name": "leaky_relu", "params": [0.5]}}, f)
    >>> load_spec(path).activations[0].describe()
    'leaky_relu(0.5)'
    >>> load_spec(path + ".txt")
    Traceback (most recent call last):
    ...
    exact.errors.SpecFileError: spec file '....json.txt' does not exist
    """
    p = os.fspath(path)
    if not os.path.isfile(p):
        raise SpecFileError(f"spec file {p!r} does not exist")
    suffix = os.path.splitext(p)[1].lower()
    if suffix == ".json":
        return _load_json(p)
    if suffix == ".npz":
        return _load_npz(p)
    if suffix in (".pt", ".pth"):
        return _load_pt(p)
    raise SpecFileError(f"spec file {p!r}: unknown suffix {suffix!r}; use .json, .npz or .pt")


def _load_json(p: str) -> ExactNet:
    """Read a JSON spec ``{"layers": [{"weight", "bias"}, ...], "activation": ...}``."""
    try:
        with open(p, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SpecFileError(f"spec file {p!r} is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("layers"), list):
        raise SpecFileError(f"spec file {p!r} needs an object with a 'layers' list")
    layers = []
    for i, layer in enumerate(data["layers"]):
        if not isinstance(layer, dict) or "weight" not in layer or "bias" not in layer:
            raise SpecFileError(f"spec file {p!r}: layers[{i}] needs 'weight' and 'bias'")
        for key in ("weight", "bias"):
            if not isinstance(layer[key], list):
                raise SpecFileError(f"spec file {p!r}: layers[{i}].{key} must be a list")
        layers.append((layer["weight"], layer["bias"]))
    act = _activation_from_spec(data.get("activation", "relu"), f"spec file {p!r}")
    return ExactNet.from_layers(layers, activation=act)


def _load_npz(p: str) -> ExactNet:
    """Read arrays ``W0, b0, W1, b1, ...`` (and optionally ``activation``) from an ``.npz``."""
    import numpy as np

    try:
        with np.load(p, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except Exception as exc:  # numpy raises several types for corrupt archives
        raise SpecFileError(f"spec file {p!r} is not a readable .npz archive: {exc}") from None
    layers = []
    l = 0
    while f"W{l}" in arrays:
        if f"b{l}" not in arrays:
            raise SpecFileError(f"spec file {p!r} has W{l} but no b{l}")
        layers.append((arrays[f"W{l}"], arrays[f"b{l}"]))
        l += 1
    if not layers:
        raise SpecFileError(f"spec file {p!r} has no arrays W0, b0, ...; found {sorted(arrays)}")
    act: Activation | str = "relu"
    if "activation" in arrays:
        act = get_activation(str(arrays["activation"]))
    return ExactNet.from_layers(layers, activation=act)


def _load_pt(p: str) -> ExactNet:
    """Read a state_dict of Linear layers (ReLU between them) with ``weights_only=True``."""
    import torch

    try:
        state = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:  # unpickling refusals and corrupt files
        raise SpecFileError(
            f"spec file {p!r} is not a state_dict loadable with weights_only=True: {exc}"
        ) from None
    if not isinstance(state, dict):
        raise SpecFileError(f"spec file {p!r} holds {type(state).__name__}, not a state_dict")
    names = []
    for key in state:
        if key.endswith(".weight"):
            names.append(key[: -len(".weight")])
    if not names:
        raise SpecFileError(f"spec file {p!r} has no '<layer>.weight' entries")
    layers = []
    for n in names:
        W = state[n + ".weight"]
        if W.dim() != 2:
            raise SpecFileError(f"spec file {p!r}: {n}.weight has shape {tuple(W.shape)}, not 2-D")
        b = state.get(n + ".bias")
        if b is None:
            b = torch.zeros(W.shape[0], dtype=W.dtype)
        layers.append((W, b))
    return ExactNet.from_layers(layers, activation="relu")


def save_json(net: ExactNet, path: str | os.PathLike) -> None:
    """Write a network as a JSON spec that :func:`load_spec` reads back exactly.

    Parameters
    ----------
    net : ExactNet
        The network; all its hidden layers must share one activation.
    path : str or os.PathLike
        The file to write (overwritten).

    Returns
    -------
    None

    Raises
    ------
    InputError
        When the hidden layers use different activations.

    Notes
    -----
    A weight is written as a JSON number when it equals its float value, else as an
    exact ``"p/q"`` string.

    Examples
    --------
    >>> import tempfile, os
    >>> net = ExactNet.from_layers([([[0.5, 1.0]], [0.25]), ([[2.0]], [0.0])])
    >>> path = os.path.join(tempfile.mkdtemp(), "n.json")
    >>> save_json(net, path)
    >>> load_spec(path) == net
    True
    """

    def enc(v):
        f = float(v)
        return f if f == v else str(v)

    acts = {a.describe() for a in net.activations}
    if len(acts) > 1:
        raise InputError(f"save_json supports one activation for all layers, got {sorted(acts)}")
    act = net.activations[0] if net.activations else get_activation("relu")
    params = []
    if act.name == "leaky_relu":
        params = [enc(act.slopes[0])]
    elif act.name == "hardtanh":
        params = [enc(b) for b in act.breakpoints]
    data = {
        "layers": [
            {"weight": [[enc(v) for v in r] for r in W], "bias": [enc(v) for v in b]}
            for W, b in zip(net.weights, net.biases)
        ],
        "activation": {"name": act.name, "params": params},
    }
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f)


# ---------------------------------------------------------------------------------------
# torch modules
# ---------------------------------------------------------------------------------------

_FUNC_ACTS = {"relu": "relu", "relu_": "relu", "abs": "abs", "abs_": "abs",
              "leaky_relu": "leaky_relu", "hardtanh": "hardtanh", "hardtanh_": "hardtanh"}


def from_torch(module: Any) -> ExactNet:
    """Read a torch MLP (Linear layers and supported activations) in forward order.

    A plain (possibly nested) ``nn.Sequential`` of torch's own modules is read child by
    child; anything else is traced with ``torch.fx``, so custom modules calling
    ``torch.relu``/``F.relu``/``x.abs()`` in ``forward`` are read too.

    Parameters
    ----------
    module : torch.nn.Module
        ``Linear, activation, Linear, ..., Linear`` in forward order; the first Linear
        takes the input (``in_features`` of it), the last gives the output.  Weights are
        taken at their exact binary value.

    Returns
    -------
    ExactNet
        The same network with exact rational weights, one activation per hidden layer.

    Raises
    ------
    UnsupportedActivationError
        Any operation that is not Linear, a supported activation, or an identity
        (eval-mode Dropout, Identity, Flatten): sigmoid, tanh, GELU, softplus,
        BatchNorm, training-mode Dropout...; two Linear layers or two activations in a
        row, or an activation at either end.
    InputError
        Not an ``nn.Module``, forward hooks on any submodule, a module that cannot be
        traced, or no Linear layer at all.

    Examples
    --------
    >>> import torch.nn as nn
    >>> m = nn.Sequential(nn.Linear(2, 3), nn.LeakyReLU(0.25), nn.Linear(3, 1))
    >>> net = from_torch(m)
    >>> net.widths, net.activations[0].describe()
    ((2, 3, 1), 'leaky_relu(0.25)')
    >>> from_torch(nn.Sequential(nn.Linear(2, 3), nn.Sigmoid(), nn.Linear(3, 1)))
    Traceback (most recent call last):
    ...
    exact.errors.UnsupportedActivationError: module '1' (Sigmoid) is not a supported piecewise-linear ...
    """
    import torch.nn as nn

    if not isinstance(module, nn.Module):
        raise InputError(f"net must be a torch nn.Module, got {type(module).__name__}")
    _refuse_hooks(module)
    leaves = _sequential_leaves(module, nn)
    if leaves is not None:  # a plain Sequential: its forward is the chain, no tracing needed
        ops = [op for op in (_module_op(t, m) for t, m in leaves) if op is not None]
        return _assemble(ops, module)
    return _assemble(_traced_ops(module), module)


def _refuse_hooks(module: Any) -> None:
    """Raise InputError if ``module`` or any submodule has forward (pre-)hooks."""
    for name, m in module.named_modules():
        if m._forward_hooks or m._forward_pre_hooks:
            raise InputError(
                f"module {name or type(module).__name__!r} has forward hooks, which could change "
                "what flows between layers; remove them, or pass the layers as (W, b) pairs"
            )


def _module_activation(m: Any) -> Activation | None:
    """Return the activation of a torch activation module, or None if it is not one we read."""
    import torch.nn as nn

    if isinstance(m, nn.ReLU):
        return get_activation("relu")
    if isinstance(m, nn.LeakyReLU):
        return get_activation("leaky_relu", m.negative_slope)
    if isinstance(m, nn.Hardtanh):  # includes ReLU6 = hardtanh(0, 6)
        return get_activation("hardtanh", m.min_val, m.max_val)
    return None


def _module_op(target: str, m: Any) -> tuple[str, Any] | None:
    """Read one leaf module: ("linear", (W, b)), ("act", Activation) or None (identity)."""
    import torch
    import torch.nn as nn

    if isinstance(m, nn.Linear):
        b = m.bias if m.bias is not None else torch.zeros(m.out_features)
        return ("linear", (m.weight, b))
    if isinstance(m, (nn.Identity, nn.Flatten)) or (isinstance(m, nn.Dropout) and not m.training):
        return None
    if isinstance(m, nn.Dropout):
        raise UnsupportedActivationError(
            f"module {target!r} is Dropout in training mode; call model.eval() first"
        )
    act = _module_activation(m)
    if act is None:
        raise UnsupportedActivationError(
            f"module {target!r} ({type(m).__name__}) is not a supported piecewise-linear "
            "activation; supported: ReLU, LeakyReLU, Hardtanh, Abs (x.abs())"
        )
    return ("act", act)


def _traced_ops(module: Any) -> list[tuple[str, Any]]:
    """Trace ``module`` with ``torch.fx`` and read its graph's nodes in order."""
    import torch.fx as fx

    try:
        gm = fx.symbolic_trace(module)
    except Exception as exc:
        raise InputError(
            f"could not trace {type(module).__name__} with torch.fx ({exc}); pass the layers "
            "as a list of (W, b) pairs instead"
        ) from None
    mods = dict(gm.named_modules())
    ops = []
    for node in gm.graph.nodes:
        op = _node_op(node, mods, module)
        if op is not None:
            ops.append(op)
    return ops


def _node_op(node: Any, mods: dict[str, Any], module: Any) -> tuple[str, Any] | None:
    """Read one traced node: ("linear", (W, b)), ("act", Activation) or None (input, output, identity)."""
    import torch.nn.functional as F

    if node.op in ("placeholder", "output"):
        return None
    if node.op == "get_attr":
        raise UnsupportedActivationError(
            f"{type(module).__name__} uses the raw parameter {node.target!r} in forward; "
            "only Linear layers and activations are supported"
        )
    if node.op == "call_module":
        return _module_op(node.target, mods[node.target])
    name = node.target if isinstance(node.target, str) else getattr(node.target, "__name__", "")
    if node.op in ("call_function", "call_method") and name in _FUNC_ACTS:
        return ("act", _function_activation(node, _FUNC_ACTS[name]))
    if node.op == "call_function" and node.target is F.linear:
        raise UnsupportedActivationError("F.linear with raw parameters is not supported; use nn.Linear")
    raise UnsupportedActivationError(
        f"operation {name or node.target!r} in {type(module).__name__}.forward is not "
        "supported; only Linear layers and ReLU/LeakyReLU/Hardtanh/Abs activations are"
    )


def _function_activation(node: Any, kind: str) -> Activation:
    """Build the activation a traced function or method call applies, with torch's defaults."""
    if kind == "leaky_relu":
        slope = node.kwargs.get("negative_slope", node.args[1] if len(node.args) > 1 else 0.01)
        return get_activation("leaky_relu", slope)
    if kind == "hardtanh":
        lo = node.kwargs.get("min_val", node.args[1] if len(node.args) > 1 else -1.0)
        hi = node.kwargs.get("max_val", node.args[2] if len(node.args) > 2 else 1.0)
        return get_activation("hardtanh", lo, hi)
    return get_activation(kind)


def _sequential_leaves(module: Any, nn: Any) -> list[tuple[str, Any]] | None:
    """List the leaf modules of a plain (possibly nested) ``nn.Sequential`` in order.

    None if anything in it is a custom module whose forward would have to be traced.
    """
    if not _plain_sequential(module, nn):
        return None
    out = []
    for name, child in module.named_children():
        if _plain_sequential(child, nn):
            sub = _sequential_leaves(child, nn)
            if sub is None:
                return None
            out += [(f"{name}.{n}", m) for n, m in sub]
        elif type(child).__module__.startswith("torch.nn.modules"):
            out.append((name, child))
        else:
            return None
    return out


def _plain_sequential(module: Any, nn: Any) -> bool:
    """Tell whether ``module`` is an ``nn.Sequential`` (or subclass) that runs its children in order.

    That is, ``forward`` and ``__call__`` are not overridden (hooks are refused by
    :func:`from_torch`).
    """
    return (isinstance(module, nn.Sequential) and type(module).forward is nn.Sequential.forward
            and type(module).__call__ is nn.Module.__call__)


def _assemble(ops: list[tuple[str, Any]], module: Any) -> ExactNet:
    """Check that the op chain is Linear, activation, ..., Linear and build the ExactNet."""
    layers: list[tuple[Any, Any]] = []
    acts: list[Activation] = []
    expect_linear = True
    for kind, val in ops:
        if kind == "linear":
            if not expect_linear:
                raise UnsupportedActivationError(
                    "two Linear layers follow each other without an activation; "
                    "fold them into one layer first"
                )
            layers.append(val)
            expect_linear = False
        else:
            if expect_linear:
                raise UnsupportedActivationError(
                    "an activation follows another activation or starts the network; "
                    "expected Linear, activation, Linear, ..., Linear"
                )
            acts.append(val)
            expect_linear = True
    if not layers:
        raise InputError(f"{type(module).__name__} has no Linear layers")
    if expect_linear:
        raise UnsupportedActivationError(
            "the network ends with an activation; the last layer must be Linear (the output)"
        )
    return ExactNet.from_layers(layers, activation=acts)


def as_exact_net(net: Any, activation: str | None = None) -> ExactNet:
    """Coerce any accepted network description into an :class:`ExactNet`.

    Parameters
    ----------
    net : ExactNet, torch.nn.Module, sequence of (W, b), str or os.PathLike
        An :class:`ExactNet` (returned as is), a torch module (read by
        :func:`from_torch`), a path to a JSON, ``.npz`` or ``.pt`` spec file (read by
        :func:`load_spec`), or ``[(W0, b0), (W1, b1), ...]`` with ``W`` of shape
        ``(out, in)`` and ``b`` of shape ``(out,)`` (read by :meth:`ExactNet.from_layers`).
    activation : str, optional
        Activation of every hidden layer for a list of pairs (default ``"relu"``);
        ignored for the other kinds, which say their own.

    Returns
    -------
    ExactNet

    Raises
    ------
    InputError
        A malformed network (see :meth:`ExactNet.from_layers`, :func:`from_torch`);
        :class:`SpecFileError` for a path that cannot be read.
    InputTypeError
        Weights of a non-real dtype, or ``net`` of no accepted kind.
    UnsupportedActivationError
        An activation that is not piecewise linear.

    Examples
    --------
    >>> as_exact_net([([[1.0, 2.0]], [0.5]), ([[1.0]], [0.0])]).widths
    (2, 1, 1)
    >>> as_exact_net([([[1.0, 2.0]], [0.5]), ([[1.0]], [0.0])], activation="abs").activations[0].name
    'abs'
    """
    if isinstance(net, ExactNet):
        return net
    if isinstance(net, (str, os.PathLike)):
        return load_spec(net)
    if type(net).__module__.startswith("torch") or hasattr(net, "named_modules"):
        return from_torch(net)
    return ExactNet.from_layers(net, activation=activation or "relu")

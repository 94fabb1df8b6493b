"""Read a torch module as an :class:`~exact.network.ExactNet`, by data flow, and check the reading.

A plain (possibly nested) ``nn.Sequential`` of torch's own modules is a chain by
construction and is read child by child.  Any other module is traced with ``torch.fx``
and its graph is read by data flow (:func:`read_graph`): from the output node back
through each operation's one tensor argument to the single input.  Only the structures
the engine represents are accepted — a chain ``Linear, activation, Linear, ..., Linear``
with activations ReLU, LeakyReLU, Hardtanh (ReLU6), Abs or none, and the no-ops Identity,
Flatten and eval-mode Dropout.  Everything else is refused with an error naming the fx
node: a value that does not reach the output (a dropped branch, an in-place operation on
a value used elsewhere), a value used twice, a second input, an unknown call.

Whatever the path, :func:`~exact.forward_check.check_forward` then runs the module's own forward (on a
float64 copy of its parameters) on a few hundred points at several scales and compares
it with the read network; a disagreement beyond the rounding bound of the two float
computations means a misread and is refused.

Examples
--------
>>> import torch
>>> class Net(torch.nn.Module):
...     def __init__(self):
...         super().__init__()
...         self.a, self.b = torch.nn.Linear(2, 3), torch.nn.Linear(3, 1)
...     def forward(self, x):
...         return self.b(torch.relu(self.a(x)))
>>> from_torch(Net()).widths
(2, 3, 1)
"""

from __future__ import annotations

import functools
import operator
from typing import Any

from .activations import Activation, get_activation
from .errors import InputError, UnsupportedActivationError
from .forward_check import check_forward
from .network import ExactNet

__all__ = ["from_torch", "read_graph"]

_REQUIRED = object()
"""Marks a parameter without a default in the signature tables below."""


def from_torch(module: Any) -> ExactNet:
    """Read a torch MLP (Linear layers and supported activations) by data flow.

    A plain (possibly nested) ``nn.Sequential`` of torch's own modules is read child by
    child; anything else is traced with ``torch.fx`` and read from the output back to the
    input (:func:`read_graph`), so custom modules calling ``torch.relu``/``F.relu``/
    ``x.abs()`` in ``forward``, subclasses of ``nn.Linear`` and nested Sequentials are
    read too.  The reading is then checked against the module's own forward
    (:func:`~exact.forward_check.check_forward`).

    Parameters
    ----------
    module : torch.nn.Module
        Computes ``Linear, activation, Linear, ..., Linear`` on its one input: the first
        Linear takes the input (its ``in_features``), the last gives the output.  Weights
        are taken at their exact binary value.

    Returns
    -------
    ExactNet
        The same network with exact rational weights, one activation per hidden layer.

    Raises
    ------
    UnsupportedActivationError
        An operation that is not Linear, a supported activation or a no-op (Identity,
        Flatten, eval-mode Dropout): sigmoid, tanh, GELU, BatchNorm, training-mode
        Dropout, an addition or any other join of two values (so a reused value)...;
        two Linear layers or two activations in a row, or an
        activation at either end.  The message names the module or fx node.
    InputError
        Not an ``nn.Module``; forward hooks; a module fx cannot trace; a graph that is not
        a chain (a dropped value, a second input, several outputs); meta or
        uninitialised (lazy) parameters; no Linear layer; a forward that disagrees with
        the network read.

    Notes
    -----
    Cost: one trace and one pass over the graph, then one batched forward of a few hundred
    points through the module and through the read network, ``O(points * parameters)``.

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
    _refuse_unmaterialised(module)
    _refuse_hooks(module)
    leaves = _sequential_leaves(module, nn)
    if leaves is not None:  # a plain Sequential: its data flow is the chain of its children
        ops = [op for op in (_module_op(f"module {t!r}", m) for t, m in leaves) if op is not None]
        net = _assemble(ops, module)
        # Only an instance-level ``forward`` override or a global hook could escape the
        # child-by-child reading, and either shows at almost any point: 8 per scale do.
        check_forward(module, net, points_per_scale=8)
        return net
    net = _assemble(read_graph(_trace(module)), module)
    check_forward(module, net)
    return net


def _refuse_hooks(module: Any) -> None:
    """Raise InputError if ``module`` or any submodule has forward (pre-)hooks."""
    for name, m in module.named_modules():
        if m._forward_hooks or m._forward_pre_hooks:
            raise InputError(
                f"module {name or type(module).__name__!r} has forward hooks, which could change "
                "what flows between layers; remove them, or pass the layers as (W, b) pairs"
            )


def _refuse_unmaterialised(module: Any) -> None:
    """Raise InputError for meta-device or lazy (uninitialised) parameters and buffers."""
    from torch.nn.parameter import is_lazy

    for name, t in list(module.named_parameters()) + list(module.named_buffers()):
        if is_lazy(t):
            raise InputError(f"parameter {name!r} of {type(module).__name__} is not initialised yet "
                             "(a lazy module): run one forward pass first")
        if t.is_meta:
            raise InputError(f"parameter {name!r} of {type(module).__name__} is a meta tensor: it has "
                             f"shape {tuple(t.shape)} but no values; materialise and load the weights first")


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


def _module_op(label: str, m: Any) -> tuple[str, Any, str] | None:
    """Read one leaf module: ("linear", (W, b), label), ("act", Activation, label) or None (a no-op)."""
    import torch
    import torch.nn as nn

    if isinstance(m, nn.Linear):
        b = m.bias if m.bias is not None else torch.zeros(m.out_features, dtype=m.weight.dtype)
        return ("linear", (m.weight, b), label)
    if isinstance(m, (nn.Identity, nn.Flatten)) or (isinstance(m, nn.Dropout) and not m.training):
        return None
    if isinstance(m, nn.Dropout):
        raise UnsupportedActivationError(f"{label} is Dropout in training mode; call model.eval() first")
    act = _module_activation(m)
    if act is None:
        raise UnsupportedActivationError(
            f"{label} ({type(m).__name__}) is not a supported piecewise-linear activation or "
            "layer; supported: Linear, ReLU, LeakyReLU, Hardtanh, Abs (x.abs()), Identity, Flatten, "
            "eval-mode Dropout"
        )
    return ("act", act, label)


def _trace(module: Any) -> Any:
    """Trace ``module`` with ``torch.fx``; InputError if it cannot be traced."""
    import torch.fx as fx

    try:
        return fx.symbolic_trace(module)
    except Exception as exc:  # fx raises many types for data-dependent control flow
        raise InputError(
            f"could not trace {type(module).__name__} with torch.fx ({type(exc).__name__}: "
            f"{str(exc)[:200]}); pass the layers as a list of (W, b) pairs instead"
        ) from None


# ---------------------------------------------------------------------------------------
# the graph, by data flow
# ---------------------------------------------------------------------------------------

def _node_label(node: Any) -> str:
    """Name a node for messages: ``node 'relu' (call_function relu)``."""
    target = node.target if isinstance(node.target, str) else getattr(node.target, "__name__", node.target)
    return f"node {node.name!r} ({node.op} {target})"


def read_graph(gm: Any) -> list[tuple[str, Any, str]]:
    """Read a traced module's graph from its output back to its one input.

    Parameters
    ----------
    gm : torch.fx.GraphModule
        The traced module.

    Returns
    -------
    list of (kind, value, label)
        In forward order: ``("linear", (W, b), label)`` or ``("act", Activation, label)``;
        no-ops are dropped.  ``label`` names the fx node for messages.

    Raises
    ------
    InputError
        A node that does not feed the output (a dropped branch, an in-place operation on a
        value used elsewhere), a second input, an output that is not one tensor, a
        constant where the chain needs a tensor or a tensor where it needs a constant.
    UnsupportedActivationError
        A call that is not Linear, a supported activation or a no-op.

    Notes
    -----
    Every node must feed the output, and every operation on the way back must read
    exactly one tensor (its input; only ``F.linear`` also reads parameters), so the nodes
    form one path and each value on it is used once, by the next operation: the structure
    :class:`~exact.network.ExactNet` represents.  A reused value needs an operation that
    joins two tensors (an addition, a product, a maximum), which is refused by name.
    Cost ``O(nodes)``.

    Examples
    --------
    >>> import torch, torch.fx as fx
    >>> class Dropped(torch.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.a, self.b = torch.nn.Linear(2, 3), torch.nn.Linear(3, 1)
    ...     def forward(self, x):
    ...         h = self.a(x)
    ...         _ = torch.relu(h)         # computed, never used
    ...         return self.b(h)
    >>> read_graph(fx.symbolic_trace(Dropped()))
    Traceback (most recent call last):
    ...
    exact.errors.InputError: node 'relu' (call_function relu) does not feed the output: ...
    """
    nodes = list(gm.graph.nodes)
    x = _the_input(nodes)
    out = next(n for n in nodes if n.op == "output")
    result = out.args[0]
    if not _is_node(result):
        raise InputError(f"forward of {type(gm).__name__} returns {type(result).__name__}, not one tensor; "
                         "only networks with one output tensor are read")
    feeding = _ancestors(result) | {out}
    for n in nodes:
        if n not in feeding and not (n.op == "placeholder" and n is not x):
            raise InputError(
                f"{_node_label(n)} does not feed the output: its value is dropped (a dead branch, "
                "or an in-place operation the data flow does not show); remove it from forward"
            )
    ops, node = [], result
    while node is not x:
        op, node = _node_op(node, gm)
        if op is not None:
            ops.append(op)
    return ops[::-1]


def _the_input(nodes: list[Any]) -> Any:
    """Return the one placeholder that forward reads; refuse a second input."""
    inputs = [n for n in nodes if n.op == "placeholder"]
    if not inputs:
        raise InputError("forward takes no input; a network reads one tensor")
    for p in inputs[1:]:
        if p.users or not p.args:  # unused with a default value: forward(x, mask=None) is fine
            raise InputError(f"node {p.name!r} (placeholder) is a second input of forward; "
                             "only networks of one input tensor are read")
    return inputs[0]


def _ancestors(node: Any) -> set[Any]:
    """All nodes ``node`` depends on, itself included (iteratively: graphs can be deep)."""
    seen, todo = {node}, [node]
    while todo:
        for a in todo.pop().all_input_nodes:
            if a not in seen:
                seen.add(a)
                todo.append(a)
    return seen


@functools.cache
def _function_table() -> dict[Any, tuple[str, tuple[tuple[str, Any], ...]]]:
    """Map each supported torch function to its kind and its parameters (name, default)."""
    import torch
    import torch.nn.functional as F

    x = (("input", _REQUIRED),)
    table = {torch.relu: ("relu", x), torch.relu_: ("relu", x), F.relu: ("relu", x + (("inplace", False),)),
             torch.abs: ("abs", x), torch.abs_: ("abs", x), torch.absolute: ("abs", x),
             operator.abs: ("abs", x),
             F.leaky_relu: ("leaky_relu", x + (("negative_slope", 0.01), ("inplace", False))),
             F.leaky_relu_: ("leaky_relu", x + (("negative_slope", 0.01),)),
             F.hardtanh: ("hardtanh", x + (("min_val", -1.0), ("max_val", 1.0), ("inplace", False))),
             F.hardtanh_: ("hardtanh", x + (("min_val", -1.0), ("max_val", 1.0))),
             F.relu6: ("relu6", x + (("inplace", False),)),
             F.dropout: ("dropout", x + (("p", 0.5), ("training", True), ("inplace", False))),
             F.linear: ("linear", x + (("weight", _REQUIRED), ("bias", None)))}
    return table


_METHODS = {"relu": "relu", "relu_": "relu", "abs": "abs", "abs_": "abs", "absolute": "abs",
            "absolute_": "abs"}


def _bind(node: Any, params: tuple[tuple[str, Any], ...]) -> dict[str, Any]:
    """Bind a call's args and kwargs to ``params``; refuse extra or missing arguments."""
    label = _node_label(node)
    if len(node.args) > len(params):
        raise InputError(f"{label} has {len(node.args)} positional arguments; expected at most {len(params)}")
    names = [p for p, _ in params]
    bound = dict(zip(names, node.args))
    for k, v in node.kwargs.items():
        if k not in names or k in bound:
            raise InputError(f"{label} has an unexpected argument {k!r}")
        bound[k] = v
    for p, default in params:
        if p not in bound:
            if default is _REQUIRED:
                raise InputError(f"{label} misses its argument {p!r}")
            bound[p] = default
    return bound


def _node_op(node: Any, gm: Any) -> tuple[tuple[str, Any, str] | None, Any]:
    """Read one node of the chain: its op (None for a no-op) and the node it reads."""
    label = _node_label(node)
    if node.op == "call_module":
        bound = _bind(node, (("input", _REQUIRED),))
        return _module_op(label, gm.get_submodule(node.target)), _tensor_arg(bound, "input", label)
    if node.op == "call_method" and node.target in _METHODS:
        bound = _bind(node, (("input", _REQUIRED),))
        return ("act", get_activation(_METHODS[node.target]), label), _tensor_arg(bound, "input", label)
    table = _function_table() if node.op == "call_function" else {}
    try:
        kind, params = table[node.target]
    except (KeyError, TypeError):  # TypeError: an unhashable target
        name = node.target if isinstance(node.target, str) else getattr(node.target, "__name__", node.target)
        raise UnsupportedActivationError(
            f"{label}: operation {name!r} is not supported; only Linear layers and ReLU, LeakyReLU, "
            "Hardtanh, Abs activations are (a residual addition, a product or a reshape is not a chain "
            "of layers)"
        ) from None
    bound = _bind(node, params)
    inp = _tensor_arg(bound, "input", label)
    for k, v in bound.items():
        if k not in ("input", "weight", "bias") and _is_node(v):
            raise InputError(f"{label}: argument {k!r} is computed in forward; it must be a constant")
    if kind == "linear":
        return ("linear", (_attr(bound["weight"], gm, label), _bias(bound, gm, label)), label), inp
    if kind == "dropout":
        if bound["training"]:
            raise UnsupportedActivationError(f"{label} is dropout with training=True; call model.eval() "
                                             "and pass training=self.training")
        return None, inp
    if kind == "relu6":
        return ("act", get_activation("hardtanh", 0.0, 6.0), label), inp
    extra = {"leaky_relu": ("negative_slope",), "hardtanh": ("min_val", "max_val")}.get(kind, ())
    return ("act", get_activation(kind, *(bound[k] for k in extra)), label), inp


def _is_node(v: Any) -> bool:
    from torch.fx import Node

    return isinstance(v, Node)


def _tensor_arg(bound: dict[str, Any], key: str, label: str) -> Any:
    """Return the node an argument refers to; refuse a constant."""
    v = bound[key]
    if not _is_node(v):
        what = f"{label}: its {key} is the constant {v!r}"[:200]
        raise InputError(f"{what}, not the previous layer's output")
    return v


def _attr(v: Any, gm: Any, label: str) -> Any:
    """Return the tensor behind a ``get_attr`` node (a parameter used with ``F.linear``)."""
    if not _is_node(v) or v.op != "get_attr":
        raise InputError(f"{label}: its weight must be a parameter of the module, got {v!r}")
    obj = gm
    for part in v.target.split("."):
        obj = getattr(obj, part)
    return obj


def _bias(bound: dict[str, Any], gm: Any, label: str) -> Any:
    """Return the bias of an ``F.linear`` node (zeros when it is None)."""
    import torch

    W = _attr(bound["weight"], gm, label)
    if bound["bias"] is None:
        return torch.zeros(W.shape[0], dtype=W.dtype)
    return _attr(bound["bias"], gm, label)


# ---------------------------------------------------------------------------------------
# plain Sequentials and the chain
# ---------------------------------------------------------------------------------------

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


def _assemble(ops: list[tuple[str, Any, str]], module: Any) -> ExactNet:
    """Check that the op chain is Linear, activation, ..., Linear and build the ExactNet."""
    layers: list[tuple[Any, Any]] = []
    acts: list[Activation] = []
    prev = "the input"
    for kind, val, label in ops:
        if kind == "linear":
            if len(layers) > len(acts):
                raise UnsupportedActivationError(
                    f"two Linear layers follow each other without an activation ({prev}, then {label}); "
                    "fold them into one layer first"
                )
            layers.append(val)
        else:
            if len(layers) == len(acts):
                raise UnsupportedActivationError(
                    f"an activation ({label}) follows {prev}; expected Linear, activation, ..., Linear"
                )
            acts.append(val)
        prev = label
    if not layers:
        raise InputError(f"{type(module).__name__} has no Linear layers")
    if len(layers) == len(acts):
        raise UnsupportedActivationError(
            f"the network ends with an activation ({prev}); the last layer must be Linear (the output)"
        )
    return ExactNet.from_layers(layers, activation=acts)

"""Read a torch module as an :class:`~exact.network.ExactNet`, by data flow, and check the reading.

A plain (possibly nested) ``nn.Sequential`` of torch's own modules is a chain by
construction and is read child by child.  Any other module is traced with ``torch.fx``
and its graph is read by data flow (:func:`read_graph`): from the output node back
through each operation's one tensor argument to the single input.  Only the structures
the engine represents are accepted: a chain of affine layers and activations, where the
affine layers that follow each other without an activation are composed into one layer
exactly (:class:`~exact.sparse_affine.SparseAffine`).  The affine layers are Linear,
Conv1d/Conv2d, AvgPool1d/2d, AdaptiveAvgPool1d/2d and eval-mode BatchNorm1d/2d; the
reshapes Flatten, Unflatten, ``view``/``reshape``; the activations ReLU, LeakyReLU,
Hardtanh (ReLU6), Abs; the no-ops Identity and eval-mode Dropout (:mod:`exact.torch_ops`).
A network that reads images is read as an MLP on the flattened image (``C*H*W``
inputs, in torch's row-major order).  Everything else is refused with an error naming
the fx node: a value that does not reach the output (a dropped branch, an in-place
operation on a value used elsewhere), a second input, a join of two values other than a
skip connection, max pooling, an unknown call.  A skip connection ``x + g(x)``, with
``g`` a chain computed from ``x``, is read as one ``"residual"`` op holding ``g``'s ops;
:func:`from_torch` refuses it with :class:`ResidualModuleError` (such a net is analysed in
a bounded window, :mod:`exact.residual_nets`).

BatchNorm in eval mode computes ``x * alpha + beta`` with ``alpha = weight / sqrt(var +
eps)``, which is irrational in general; the reader folds the float64 ``alpha`` and
``beta`` that torch's eval forward computes (:func:`~exact.conv_folding.batch_norm_scale`)
into the neighbouring affine layers, exactly.  **The folded network is the one analysed
exactly**; it is the network torch computes in float64, up to the rounding of each
operation.

Whatever the path, :func:`~exact.forward_check.check_forward` then runs the module's own forward (on a
float64 copy of its parameters) on a few hundred points at several scales and compares
it with the read network; a disagreement beyond the rounding bound of the two float
computations means a misread and is refused.  A parametrized module (``weight_norm``,
``spectral_norm``) is read, and checked, as a copy holding the values its parametrizations
compute (:func:`~exact.module_wrappers.deparametrized_copy`): the module is left unchanged.

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
>>> conv = torch.nn.Sequential(torch.nn.Unflatten(1, (1, 4, 4)), torch.nn.Conv2d(1, 2, 3), torch.nn.ReLU(),
...                            torch.nn.Flatten(), torch.nn.Linear(8, 1))
>>> from_torch(conv).widths                      # an MLP on the 16 pixels
(16, 8, 1)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .activations import Activation
from .errors import InputError, InputTypeError, ResidualModuleError, UnsupportedNetworkError
from .forward_check import check_forward, dense_bound
from .graph_ops import Op, is_node, node_label
from .module_wrappers import deparametrized_copy, hook_advice, refuse_wrapper
from .network import ExactNet
from .scalar_ops import scalar_node_op, shape_ahead
from .sparse_affine import SparseAffine
from .torch_ops import RESIDUAL_MESSAGE, module_op, node_op

__all__ = ["from_torch", "module_ops", "read_graph"]


def from_torch(module: Any, input_shape: Sequence[int] | None = None) -> ExactNet:
    """Read a torch network (affine layers and supported activations) by data flow.

    A plain ``nn.Sequential`` of torch's own modules is read child by child; anything else
    is traced with ``torch.fx`` and read from the output back to the input
    (:func:`read_graph`), so ``torch.relu``/``F.conv2d``/``x.view(x.size(0), -1)`` in a
    custom ``forward`` are read too.  Consecutive affine layers are composed exactly; the
    reading is then checked against the module's own forward (:func:`.check_forward`).

    Parameters
    ----------
    module : torch.nn.Module
        Computes affine layers and activations in a chain ``affine, activation, affine, ...,
        affine`` on its one input.  Weights are taken at their exact binary value;
        eval-mode BatchNorm is folded as the float64 scale and shift torch computes.
    input_shape : sequence of int, optional
        The shape of one input sample, without the batch axis (``(C, H, W)`` for images).
        Needed when the first layer cannot tell it (a convolution or pooling); a network
        that begins with ``nn.Unflatten(1, (C, H, W))`` or a Linear tells it itself.

    Returns
    -------
    ExactNet
        The same network with exact weights, one activation per hidden layer, on the
        flattened input (``prod(input_shape)`` inputs, row-major).

    Raises
    ------
    UnsupportedNetworkError
        An operation that is no supported layer, activation or no-op (MaxPool, training-mode
        BatchNorm, a join of two values that is no skip connection...); two activations in a
        row, or one at either end; UnsupportedActivationError (a subclass) for an activation
        that is not piecewise linear (sigmoid, GELU).  The message names the module or node.
    ResidualModuleError
        Skip connections ``x + g(x)``: read such a module in a window
        (:func:`exact.lower_on_window`, or :func:`exact.regions` with a window).
    InputError
        Not an ``nn.Module``; forward hooks; a module fx cannot trace; a graph that is not
        a chain (a dropped value, a second input, several outputs); meta or lazy
        parameters; no affine layer; a convolution without ``input_shape``; an output of
        several axes per sample; a forward that disagrees with the network read.
    InputTypeError
        ``input_shape`` not a sequence of integers.
    ResourceLimitError
        A layer too large to read as a dense MLP layer, or a composition too large.

    Notes
    -----
    Cost: one trace, one pass over the graph, each layer built as a sparse exact map and
    consecutive ones composed in integers, then the forward check, ``O(points * parameters)``.

    Examples
    --------
    >>> import torch.nn as nn
    >>> m = nn.Sequential(nn.Linear(2, 3), nn.LeakyReLU(0.25), nn.Linear(3, 1))
    >>> net = from_torch(m)
    >>> net.widths, net.activations[0].describe()
    ((2, 3, 1), 'leaky_relu(0.25)')
    >>> from_torch(nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8, 1)),
    ...            input_shape=(1, 4, 4)).widths
    (16, 8, 1)
    >>> from_torch(nn.Sequential(nn.Linear(2, 3), nn.Sigmoid(), nn.Linear(3, 1)))
    Traceback (most recent call last):
    ...
    exact.errors.UnsupportedActivationError: module '1' (Sigmoid) is not a supported piecewise-linear ...
    """
    source = deparametrized_copy(module)  # parametrized: a plain copy; the module is not run, nor changed
    ops, shape, plain = module_ops(source, input_shape)
    joins = [op.label for op in ops if op.kind == "residual"]
    if joins:
        raise ResidualModuleError(
            f"{type(module).__name__} has skip connections x + g(x) ({joins[0]}): such a network is "
            "analysed exactly in a bounded window; call exact.regions / exact.count_regions with a window "
            "(or exact.count_on_segment), or get the plain network equal to it in a window with "
            "exact.lower_on_window(net, window, input_shape=...)")
    net, shape, parts = _assemble(ops, module, shape)
    # a plain Sequential is the chain of its children: a forward override or global hook shows at 8 points
    check_forward(module, net, points_per_scale=8 if plain else 64, input_shape=shape, layer_parts=parts,
                  source=source)
    return net


def module_ops(module: Any, input_shape: Sequence[int] | None = None
               ) -> tuple[list[Op], tuple[int, ...] | None, bool]:
    """Check a torch module and read its operations in forward order (the first step of :func:`from_torch`).

    Parameters
    ----------
    module : torch.nn.Module
    input_shape : sequence of int, optional
        As in :func:`from_torch`.

    Returns
    -------
    ops : list of Op
        As :func:`read_graph` gives them (skip connections as ``"residual"`` ops).
    input_shape : tuple of int or None
        The checked ``input_shape``.
    plain : bool
        True for a plain ``nn.Sequential`` read child by child (no trace).

    Raises
    ------
    InputError, InputTypeError, UnsupportedNetworkError
        As in :func:`from_torch`, for everything but the layers' order.

    Examples
    --------
    >>> import torch.nn as nn
    >>> ops, shape, plain = module_ops(nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)))
    >>> [op.kind for op in ops], shape, plain
    (['affine', 'act', 'affine'], None, True)
    """
    import torch.nn as nn

    if not isinstance(module, nn.Module):
        raise InputError(f"net must be a torch nn.Module, got {type(module).__name__}")
    refuse_wrapper(module)
    shape = _check_input_shape(input_shape)
    _refuse_unmaterialised(module)
    _refuse_hooks(module)
    module = deparametrized_copy(module)  # read parametrized weights on a copy: the module is left as it is
    leaves = _sequential_leaves(module, nn)
    if leaves is not None:
        ops = [op for op in (module_op(f"module {t!r}", m) for t, m in leaves) if op is not None]
        return ops, shape, True
    return read_graph(_trace(module)), shape, False


def _check_input_shape(input_shape: Any) -> tuple[int, ...] | None:
    """Validate ``input_shape``: None or a non-empty sequence of positive integers."""
    if input_shape is None:
        return None
    if isinstance(input_shape, (str, bytes)) or not hasattr(input_shape, "__len__"):
        raise InputTypeError(f"input_shape must be a sequence of sizes such as (1, 8, 8), "
                             f"got {input_shape!r}"[:200])
    sizes = tuple(input_shape)
    if not sizes or not all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in sizes):
        raise InputError(f"input_shape must be positive integer sizes (one sample, no batch axis), "
                         f"got {input_shape!r}"[:200])
    return sizes


def _refuse_hooks(module: Any) -> None:
    """Raise InputError if ``module`` or any submodule has forward (pre-)hooks."""
    for name, m in module.named_modules():
        if m._forward_hooks or m._forward_pre_hooks:
            advice = hook_advice(m) or "remove them, or pass the layers as (W, b) pairs"
            raise InputError(f"module {name or type(module).__name__!r} has forward hooks, which could "
                             f"change what flows between layers; {advice}")


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


def _trace(module: Any) -> Any:
    """Trace ``module`` with ``torch.fx``; UnsupportedNetworkError if it cannot be traced."""
    import torch.fx as fx

    try:
        return fx.symbolic_trace(module)
    except Exception as exc:  # fx raises many types for data-dependent control flow
        raise UnsupportedNetworkError(
            f"could not trace {type(module).__name__} with torch.fx ({type(exc).__name__}: "
            f"{str(exc)[:200]}); pass the layers as a list of (W, b) pairs instead"
        ) from None


# ---------------------------------------------------------------------------------------
# the graph, by data flow
# ---------------------------------------------------------------------------------------

def read_graph(gm: Any) -> list[Op]:
    """Read a traced module's graph from its output back to its one input.

    Parameters
    ----------
    gm : torch.fx.GraphModule
        The traced module.

    Returns
    -------
    list of Op
        In forward order (:class:`~exact.graph_ops.Op`: affine maps, reshapes and
        activations; a skip connection ``v + g(v)`` as an op of kind ``"residual"`` whose
        value is the list of ``g``'s ops); no-ops are dropped.  Each op's label names its
        fx node.

    Raises
    ------
    InputError
        A node that does not feed the output (a dropped branch, an in-place operation on a
        value used elsewhere), a second input, an output that is not one tensor, a
        constant where the chain needs a tensor or a tensor where it needs a constant.
    UnsupportedNetworkError
        A call that is not a supported layer, activation or no-op (UnsupportedActivationError
        for an activation that is not piecewise linear); an addition of two values neither
        of which is computed from the other.

    Notes
    -----
    Every node must feed the output, and every operation on the way back must read
    exactly one tensor (its input; ``F.linear`` and ``F.conv2d`` also read parameters, and
    ``out.view(x.size(0), -1)`` the batch size of its input or of a value before it on the path,
    :func:`~exact.batch_axis.is_batch_size`), so the nodes
    form one path and each value on it is used once, by the next operation: the structure
    :class:`~exact.network.ExactNet` represents.  A reused value needs an operation that
    joins two tensors: an addition ``v + g(v)`` with ``g`` computed from ``v`` by such a path
    is a skip connection (read recursively, so blocks may nest); any other join (a
    product, a maximum, two unrelated branches) is refused by name.
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
    if not is_node(result):
        raise UnsupportedNetworkError(f"forward of {type(gm).__name__} returns {type(result).__name__}, "
                                      "not one tensor; only networks with one output tensor are read")
    feeding = _ancestors(result) | {out}
    for n in nodes:
        if n not in feeding and not (n.op == "placeholder" and n is not x):
            raise InputError(
                f"{node_label(n)} does not feed the output: its value is dropped (a dead branch, "
                "or an in-place operation the data flow does not show); remove it from forward"
            )
    _refuse_hidden_writes(nodes, gm)
    return _chain_back(result, x, gm)


_VIEW_METHODS = frozenset({"view", "view_as", "reshape", "reshape_as", "flatten", "unflatten", "squeeze",
                           "unsqueeze", "contiguous", "expand", "expand_as", "t", "transpose", "permute"})


def _refuse_hidden_writes(nodes: list[Any], gm: Any) -> None:
    """Refuse an in-place operation on a value that an operation after it also reads.

    fx records values, not memory: after ``b = a.relu_()``, a later ``a + b`` reads the
    written ``a`` (``relu(a) + relu(a)``) while the graph says ``a + relu(a)``.  A value
    read only before the write (``x += g(x)``) is safe.  Views share memory with their
    source and count as the same value.
    """
    order = {n: i for i, n in enumerate(nodes)}
    for n in nodes:
        target = n.args[0] if n.args and is_node(n.args[0]) else None
        if target is None or not _writes_in_place(n, gm):
            continue
        for v in _aliases(target, gm):
            later = [u for u in v.users if u is not n and order[u] > order[n]]
            if later:
                name = n.target if isinstance(n.target, str) else getattr(n.target, "__name__", "")
                fix = (f"x.{name[:-1]}(...) instead of x.{name}(...)" if name.endswith("_") and name != "_"
                       else "the out-of-place operation (x = x + c for x += c, inplace=False for a module)")
                raise InputError(
                    f"{node_label(n)} writes in place into {target.name!r}, which {node_label(later[0])} "
                    "reads afterwards: the traced data flow does not show the write (x + x.relu_() adds "
                    f"relu(x) twice); use {fix}")


def _writes_in_place(n: Any, gm: Any) -> bool:
    """Tell whether node ``n`` writes into its first argument (``relu_``, ``+=``, ``inplace=True``)."""
    import inspect
    import operator

    if n.op == "call_method":
        return n.target.endswith("_") and not n.target.startswith("__")
    if n.op == "call_module":
        m = gm.get_submodule(n.target)
        return bool(getattr(m, "inplace", False)) and "Dropout" not in type(m).__name__
    if n.op != "call_function":
        return False
    if n.target in (operator.iadd, operator.isub, operator.imul, operator.itruediv):
        return True
    if getattr(n.target, "__name__", "").endswith("_"):
        return True
    try:
        bound = inspect.signature(n.target).bind(*n.args, **n.kwargs)
    except (TypeError, ValueError):
        return bool(n.kwargs.get("inplace", False))
    return bool(bound.arguments.get("inplace", False))


def _aliases(v: Any, gm: Any) -> set[Any]:
    """Return the nodes sharing memory with ``v``: the views it was made from, and their views."""
    def is_view(n: Any) -> bool:
        if n.op == "call_method":
            return n.target in _VIEW_METHODS
        if n.op == "call_module":
            name = type(gm.get_submodule(n.target)).__name__  # eval Dropout returns its input
            return name in ("Flatten", "Unflatten", "Identity") or "Dropout" in name
        return n.op == "call_function" and getattr(n.target, "__name__", "") in ("flatten", "reshape",
                                                                                 "getitem")
    root = v
    while is_view(root) and root.args and is_node(root.args[0]):
        root = root.args[0]
    seen, todo = {root}, [root]
    while todo:
        for u in todo.pop().users:
            if u not in seen and is_view(u) and u.args and u.args[0] in seen:
                seen.add(u)
                todo.append(u)
    return seen


def _chain_back(end: Any, start: Any, gm: Any) -> list[Op]:
    """Read the ops from ``start`` to ``end`` in forward order; ``v + g(v)`` is one ``"residual"`` op.

    The op's value is the list of ops of ``g``, read from ``v`` (the skip's start) by the
    same walk, so blocks may nest.  Every node on the way must be computed from ``start``.
    """
    after = _ancestors(start, users=True)
    ops, node = [], end
    while node is not start:
        if node not in after:
            raise InputError(f"{node_label(node)} is not computed from {start.name!r} by a chain of layers: "
                             "a skip connection x + g(x) needs g to read x")
        pair = _add_operands(node)
        if pair is None:
            op, node = scalar_node_op(node) or node_op(node, gm)
        else:
            skip, branch = _skip_and_branch(node, *pair)
            op, node = Op("residual", node_label(node), _chain_back(branch, skip, gm)), skip
        if op is not None:
            ops.append(op)
    return ops[::-1]


def _add_operands(node: Any) -> tuple[Any, Any] | None:
    """Return the two computed values ``a + b``, ``a += b``, ``torch.add(a, b)``, ``a.add(b)`` add; else None.

    A subtraction of two computed values, or an addition with ``alpha`` (or ``out=``), is refused.
    """
    import operator

    import torch

    fn = node.op == "call_function" and any(node.target is f for f in (operator.add, operator.iadd, torch.add,
                                                                      operator.sub, operator.isub, torch.sub))
    method = node.op == "call_method" and node.target in ("add", "add_", "sub", "sub_")
    tensors = [a for a in list(node.args) + list(node.kwargs.values()) if is_node(a)]
    if not (fn or method) or len(tensors) < 2:
        return None  # a constant added is refused by node_op
    name = node.target if isinstance(node.target, str) else node.target.__name__
    if "sub" in name:
        raise UnsupportedNetworkError(f"{node_label(node)} subtracts two computed values "
                                         f"({tensors[0].name} and {tensors[1].name}); only skip "
                                         "connections x + g(x) are read")
    if set(node.kwargs) - {"input", "other"} or len(node.args) > 2 or len(tensors) != 2:
        raise UnsupportedNetworkError(f"{node_label(node)} adds with extra arguments "
                                         f"({sorted(node.kwargs)}); only a plain x + g(x) is read as a "
                                         "skip connection")
    return tensors[0], tensors[1]


def _skip_and_branch(node: Any, a: Any, b: Any) -> tuple[Any, Any]:
    """Order the operands of ``a + b`` as (v, g(v)): the skip is the one the other is computed from."""
    if a is b or a in _ancestors(b):
        return a, b
    if b in _ancestors(a):
        return b, a
    raise UnsupportedNetworkError(RESIDUAL_MESSAGE.format(label=node_label(node), a=a.name, b=b.name))


def _the_input(nodes: list[Any]) -> Any:
    """Return the one placeholder that forward reads; refuse a second input."""
    inputs = [n for n in nodes if n.op == "placeholder"]
    if not inputs:
        raise InputError("forward takes no input; a network reads one tensor")
    for p in inputs[1:]:
        if p.users or not p.args:  # unused with a default value: forward(x, mask=None) is fine
            raise UnsupportedNetworkError(f"node {p.name!r} (placeholder) is a second input of forward; "
                             "only networks of one input tensor are read")
    return inputs[0]


def _ancestors(node: Any, users: bool = False) -> set[Any]:
    """All nodes ``node`` depends on (``users``: all nodes computed from it), itself included.

    Iteratively: graphs can be deep.
    """
    seen, todo = {node}, [node]
    while todo:
        n = todo.pop()
        for a in (n.users if users else n.all_input_nodes):
            if a not in seen:
                seen.add(a)
                todo.append(a)
    return seen


# ---------------------------------------------------------------------------------------
# plain Sequentials and the chain
# ---------------------------------------------------------------------------------------

def _sequential_leaves(module: Any, nn: Any) -> list[tuple[str, Any]] | None:
    """List the leaf modules of a plain (possibly nested) ``nn.Sequential`` in order.

    None if anything in it is a custom module whose forward would have to be traced.
    """
    if not _plain_sequential(module, nn):
        return None
    children = list(module.named_children())
    if len(children) != len(module):  # a module used twice (named_children lists it once): trace it
        return None
    out = []
    for name, child in children:
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


def _assemble(ops: list[Op], module: Any, input_shape: tuple[int, ...] | None
              ) -> tuple[ExactNet, tuple[int, ...], list[list[tuple[Callable, int]]]]:
    """Check that the chain is affine, activation, ..., affine; compose each run of affine ops exactly.

    Returns the network, the per-sample input shape, and for each layer the magnitude bound
    (``s -> |W| s + |b|``) and fan-in of each op it composes (the forward check's tolerance).
    """
    runs: list[list[tuple[Any, str]]] = []
    acts: list[Activation] = []
    pending: list[tuple[Any, str]] = []
    shape = net_shape = input_shape
    prev = "the input"
    for i, op in enumerate(ops):
        if op.kind == "act":
            if not pending:
                raise UnsupportedNetworkError(
                    f"an activation ({op.label}) follows {prev}; expected an affine layer (Linear, "
                    "Conv, ...) before each activation")
            runs.append(pending)
            acts.append(op.value)
            pending = []
        else:
            if shape is None and op.first_shape is None and op.kind == "affine":
                shape = net_shape = shape_ahead(ops, i)  # a scaling of the input: the first layer's shape
            if shape is None and op.first_shape is None and op.kind == "affine":
                raise InputError(
                    f"{op.label} needs the shape of the network's input sample: pass from_torch(net, "
                    "input_shape=(C, H, W)), or begin the network with nn.Unflatten(1, (C, H, W)) so that it "
                    "reads flat vectors")
            if shape is None and op.first_shape is not None:
                shape = net_shape = op.first_shape
            if op.kind == "affine":
                part, shape = op.value(shape)
                pending.append((part, op.label))
            elif shape is not None:  # a reshape of a flat input of unknown length changes nothing
                shape = op.value(shape)
        prev = op.label
    if not runs and not pending:
        raise InputError(f"{type(module).__name__} has no affine layers (Linear, Conv, ...)")
    if not pending:
        raise UnsupportedNetworkError(
            f"the network ends with an activation ({prev}); the last layer must be affine (the output): "
            "end it with a Linear layer, or drop the final activation")
    if len(shape) != 1:
        raise InputError(f"the output of {type(module).__name__} has shape {shape} per sample; a network's "
                         "output must be one vector per sample: end it with nn.Flatten()")
    runs.append(pending)
    layers, parts = zip(*(_compose(run) for run in runs))
    return ExactNet.from_layers(list(layers), activation=acts), net_shape, list(parts)


def _compose(run: list[tuple[Any, str]]) -> tuple[tuple[Any, Any], list[tuple[Callable, int]]]:
    """One layer from a run of affine maps: a float pair as it is, else the exact composition."""
    if len(run) == 1 and isinstance(run[0][0], tuple):
        W, b = run[0][0]
        return (W, b), [(dense_bound(W, b), W.shape[1])]
    maps = [SparseAffine.from_dense(*m) if isinstance(m, tuple) else m for m, _ in run]
    bounds = [(f.abs_bound, f.fan_in()) for f in maps]
    total = maps[0]
    for f, (_, label) in zip(maps[1:], run[1:]):
        total = f.compose(total, what=f"{run[0][1]} ... {label}")
    return total.dense_layer(), bounds

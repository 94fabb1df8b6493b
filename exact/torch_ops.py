"""Torch layers and fx graph nodes as the reader's operations: affine maps, reshapes, activations.

Each torch module (:func:`module_op`) or traced call (:func:`node_op`) that the reader
accepts becomes one :class:`Op`:

* ``"affine"``: Linear (on the last axis), Conv1d/Conv2d (any stride, padding, dilation,
  groups; padding modes zeros, circular, reflect, replicate), AvgPool1d/AvgPool2d,
  AdaptiveAvgPool1d/AdaptiveAvgPool2d, eval-mode BatchNorm1d/BatchNorm2d (folded: see
  :func:`~exact.conv_folding.batch_norm_scale`), and their functional forms;
* ``"reshape"``: Flatten, Unflatten, ``torch.flatten``, ``view``/``reshape`` that keep the
  batch axis;
* ``"act"``: ReLU, LeakyReLU, Hardtanh (ReLU6), Abs;
* no op at all for Identity and eval-mode Dropout (of every kind);
* steps with a constant number (``x * c``, ``x / c``, ``x + c``, ``-x``) and ``squeeze(d)``
  are read by :mod:`exact.scalar_ops`, before this module is asked.

An addition of two computed values is no operation of the chain: the reader takes it as a
skip connection ``x + g(x)`` (:func:`exact.torch_reading.read_graph`).  Everything else is
refused with an error naming the module or node: MaxPool (a maximum is not one of the
activations, and extra ReLU neurons would change the activation regions), subtractions
and other joins of two values, training-mode BatchNorm and Dropout, smooth activations,
unknown calls.

Examples
--------
>>> import torch.nn as nn
>>> op = module_op("module '0'", nn.Conv2d(1, 2, 3, padding=1))
>>> op.kind, op.first_shape
('affine', None)
>>> op.value((1, 4, 4))[1]
(2, 4, 4)
"""

from __future__ import annotations

import functools
import math
import operator
from typing import Any

import numpy as np

from .activations import Activation, get_activation
from .batch_axis import batch_size_message, is_batch_size
from .conv_folding import (
    adaptive_avg_pool_map,
    avg_pool_map,
    batch_norm_map,
    batch_norm_scale,
    conv_map,
    flatten_shape,
    linear_map,
    reshape_shape,
    unflatten_shape,
)
from .errors import (
    ExactnetError,
    InputError,
    InputTypeError,
    UnsupportedActivationError,
    UnsupportedNetworkError,
)
from .graph_ops import Op, is_node, node_label
from .wording import type_phrase

__all__ = ["module_op", "node_op"]

_REQUIRED = object()
"""Marks a parameter without a default in the signature tables below."""

SUPPORTED_TEXT = ("Linear, Conv1d/Conv2d, AvgPool1d/AvgPool2d, AdaptiveAvgPool1d/2d, eval-mode "
                  "BatchNorm1d/2d, Flatten, Unflatten, view/reshape, squeeze(d), Identity, eval-mode "
                  "Dropout, x * c, x / c, x + c, -x with a constant number c, and the activations ReLU, "
                  "LeakyReLU, Hardtanh, ReLU6, Abs (also as clamp(min=0) and clamp(min=a, max=b))")

_OUTPUT_SQUASH = ("; if it squashes the output (a classifier's sigmoid or softmax), read the model without "
                  "it: its regions and decision boundary are those of the logits")
_HINTS = {"prelu": "; PReLU's slopes are parameters exactnet does not read: with one slope a, "
                   "nn.LeakyReLU(a) is the same function",
          "maximum": "; maximum(x, 0) is a ReLU: write torch.relu(x)",
          "sigmoid": _OUTPUT_SQUASH, "softmax": _OUTPUT_SQUASH, "log_softmax": _OUTPUT_SQUASH,
          "getitem": "; to pick one output (out[:, k]), read the model without the indexing and choose the "
                     "output where it matters (level_set(c, output=k), plot(color='output', output=k))"}
"""Advice after the refusal of a common spelling of a supported operation, or of an output squashing."""

_MAXPOOL = ("{label} takes the maximum over each window: a maximum of affine pieces is not one of the "
            "activations exactnet represents (ReLU, LeakyReLU, Hardtanh, Abs), and writing it with extra "
            "ReLU neurons (max(a, b) = b + relu(a - b)) would add activation boundaries the network does not "
            "have; use AvgPool or a strided convolution instead")

RESIDUAL_MESSAGE = ("{label} adds two computed values ({a} and {b}) that are not x and g(x) with g a "
                    "chain of layers computed from x: only skip connections x + g(x) are read (two unrelated "
                    "branches, or a skip over a join of values, have no exact form here)")


def _floats(t: Any, label: str, what: str) -> np.ndarray:
    """Return a parameter or buffer as finite float64 values (exact); the message names ``what``."""
    import torch

    if not isinstance(t, torch.Tensor):
        raise InputTypeError(f"{label}: its {what} is {type_phrase(t)}, not a tensor")
    if t.is_complex() or not t.is_floating_point():
        raise InputTypeError(f"{label}: its {what} has dtype {t.dtype}; weights must be real floats")
    if t.layout != torch.strided:
        raise InputTypeError(f"{label}: its {what} is a sparse tensor (layout {t.layout}); call .to_dense() "
                             "on it (module.weight = nn.Parameter(module.weight.to_dense()))")
    a = t.detach().cpu().double().numpy()  # float16/bfloat16/float32 -> float64 is exact
    if not np.isfinite(a).all():
        at = tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0])
        raise InputError(f"{label}: its {what} contains {a[at]} at index {at}; weights must be finite")
    return a


def _ntuple(v: Any, n: int, label: str, what: str) -> tuple[int, ...]:
    t = tuple(v) if isinstance(v, (tuple, list)) else (v,) * n
    if len(t) != n or not all(isinstance(x, int) and not isinstance(x, bool) for x in t):
        raise InputError(f"{label}: {what} must be {n} integer(s), got {v!r}")
    return t


def _linear(label: str, W: Any, b: Any) -> Op:
    Wf = _floats(W, label, "weight")
    if Wf.ndim != 2:
        raise InputError(f"{label}: its weight has shape {tuple(Wf.shape)}, not (out, in)")
    bf = _floats(b, label, "bias") if b is not None else np.zeros(Wf.shape[0])
    if bf.shape != (Wf.shape[0],):
        raise InputError(f"{label}: its bias has shape {tuple(bf.shape)}, the weight {tuple(Wf.shape)}")

    def build(shape: tuple[int, ...]) -> tuple[Any, tuple[int, ...]]:
        if len(shape) == 1 and shape[0] == Wf.shape[1]:
            return (Wf, bf), (Wf.shape[0],)  # the plain case: the float layer itself
        return linear_map(Wf, bf, shape, label)

    return Op("affine", label, build, (Wf.shape[1],))


def _conv(label: str, W: Any, b: Any, stride: Any, padding: Any, dilation: Any, groups: int,
          mode: str = "zeros") -> Op:
    Wf = _floats(W, label, "weight")
    bf = _floats(b, label, "bias") if b is not None else None
    nd = Wf.ndim - 2
    if nd not in (1, 2):
        raise UnsupportedNetworkError(f"{label}: only 1-D and 2-D convolutions are read, got weight "
                                         f"{Wf.shape}")
    if mode not in ("zeros", "circular", "reflect", "replicate"):
        raise UnsupportedNetworkError(f"{label}: padding_mode {mode!r} is not read")
    st, dil = _ntuple(stride, nd, label, "stride"), _ntuple(dilation, nd, label, "dilation")
    if padding == "valid":
        pads = [(0, 0)] * nd
    elif padding == "same":
        pads = [(d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2) for d, k in zip(dil, Wf.shape[2:])]
    else:
        pads = [(p, p) for p in _ntuple(padding, nd, label, "padding")]

    def build(shape: tuple[int, ...]) -> tuple[Any, tuple[int, ...]]:
        return conv_map(Wf, bf, shape, st, pads, dil, groups, mode, label)

    return Op("affine", label, build)


def _avg_pool(label: str, nd: int, kernel: Any, stride: Any, padding: Any, ceil_mode: bool,
              count_include_pad: bool, divisor_override: Any = None) -> Op:
    k = _ntuple(kernel, nd, label, "kernel_size")
    s = k if stride is None or stride == [] or stride == () else _ntuple(stride, nd, label, "stride")
    p = _ntuple(padding, nd, label, "padding")

    def build(shape: tuple[int, ...]) -> tuple[Any, tuple[int, ...]]:
        return avg_pool_map(shape, k, s, p, bool(ceil_mode), bool(count_include_pad), divisor_override, label)

    return Op("affine", label, build)


def _adaptive(label: str, nd: int, output_size: Any) -> Op:
    size = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size,) * nd
    if len(size) != nd:
        raise InputError(f"{label}: output_size must be {nd} sizes, got {output_size!r}")
    return Op("affine", label, lambda shape: adaptive_avg_pool_map(shape, size, label))


def _batch_norm(label: str, m: Any) -> Op:
    import torch.nn as nn

    name = type(m).__name__
    if m.training:
        raise UnsupportedNetworkError(f"{label} ({name}) in training mode is not a supported "
                                         "piecewise-linear layer: it normalises each batch by the batch's "
                                         "own statistics; call model.eval() first")
    if m.running_mean is None or m.running_var is None:
        raise UnsupportedNetworkError(
            f"{label} ({name}) has no running statistics (track_running_stats=False): even in eval mode it "
            "normalises each batch by its own statistics, which is no fixed affine map")
    stats = [_floats(t, label, w) if t is not None else None
             for t, w in ((m.running_mean, "running_mean"), (m.running_var, "running_var"),
                          (m.weight, "weight"), (m.bias, "bias"))]
    alpha, beta = batch_norm_scale(*stats, float(m.eps), f"{label} ({name})")
    ranks = (1, 2) if isinstance(m, nn.BatchNorm1d) else (3,)

    def build(shape: tuple[int, ...]) -> tuple[Any, tuple[int, ...]]:
        if len(shape) not in ranks:
            raise InputError(f"{label} ({name}) expects {' or '.join(f'{r}-D' for r in ranks)} samples, "
                             f"got shape {shape}")
        return batch_norm_map(shape, alpha, beta, label)

    return Op("affine", label, build, (m.num_features,) if isinstance(m, nn.BatchNorm1d) else None)


def _flatten(label: str, start_dim: int, end_dim: int) -> Op:
    return Op("reshape", label, lambda shape: flatten_shape(shape, start_dim, end_dim, label))


def _unflatten(label: str, dim: int, sizes: Any) -> Op:
    sizes = tuple(sizes)
    first = (math.prod(sizes),) if dim in (1, -1) and -1 not in sizes else None
    return Op("reshape", label, lambda shape: unflatten_shape(shape, dim, sizes, label), first)


def _reshape(label: str, sizes: tuple[int, ...]) -> Op:
    first = (math.prod(sizes),) if -1 not in sizes else None
    return Op("reshape", label, lambda shape: reshape_shape(shape, sizes, label), first)


def _activation(label: str, kind: str, *params: Any) -> Activation:
    """Return ``get_activation(kind, *params)``; its refusal names the module or node."""
    try:
        return get_activation(kind, *params)
    except ExactnetError as exc:
        raise type(exc)(f"{label}: {exc}") from None


def _module_activation(label: str, m: Any) -> Activation | None:
    """Return the activation of a torch activation module, or None if it is not one we read."""
    import torch.nn as nn

    if isinstance(m, nn.ReLU):
        return get_activation("relu")
    if isinstance(m, nn.LeakyReLU):
        return _activation(label, "leaky_relu", m.negative_slope)
    if isinstance(m, nn.Hardtanh):  # includes ReLU6 = hardtanh(0, 6)
        return _activation(label, "hardtanh", m.min_val, m.max_val)
    return None


_DROPOUTS = ("Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout")
_NONLINEAR = frozenset(
    "sigmoid tanh gelu silu mish softplus softsign elu selu celu hardswish hardsigmoid logsigmoid tanhshrink "
    "softshrink hardshrink softmax softmin log_softmax glu rrelu expit exp exp2 expm1 log log2 log10 log1p "
    "sin cos tan sinh cosh asinh atan erf erfc sqrt rsqrt square reciprocal sign sgn abs absolute floor ceil "
    "round trunc frac".split())
"""Functions and methods of one tensor that are activations exactnet lacks (unsupported ones only)."""
_MAXPOOLS = ("MaxPool1d", "MaxPool2d", "MaxPool3d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d",
             "AdaptiveMaxPool3d", "FractionalMaxPool2d", "FractionalMaxPool3d")


def module_op(label: str, m: Any) -> Op | None:
    """Read one leaf module as an :class:`Op` (None for a no-op).

    Parameters
    ----------
    label : str
        Names the module or node in messages (``"module '0'"``).
    m : torch.nn.Module
        A leaf module of torch.

    Returns
    -------
    Op or None

    Raises
    ------
    UnsupportedNetworkError
        A module that is no supported layer, activation or no-op
        (UnsupportedActivationError); MaxPool; training-mode Dropout or BatchNorm;
        BatchNorm without running statistics.
    InputError, InputTypeError
        Non-finite or non-float parameters.

    Examples
    --------
    >>> import torch.nn as nn
    >>> module_op("m", nn.Dropout(0.5).eval()) is None, module_op("m", nn.ReLU()).kind
    (True, 'act')
    """
    import torch.nn as nn

    name = type(m).__name__
    if isinstance(m, nn.Linear):
        return _linear(label, m.weight, m.bias)
    if isinstance(m, (nn.Conv1d, nn.Conv2d)):
        return _conv(label, m.weight, m.bias, m.stride, m.padding, m.dilation, m.groups, m.padding_mode)
    if isinstance(m, (nn.AvgPool1d, nn.AvgPool2d)):
        nd = 1 if isinstance(m, nn.AvgPool1d) else 2
        return _avg_pool(label, nd, m.kernel_size, m.stride, m.padding, m.ceil_mode, m.count_include_pad,
                         getattr(m, "divisor_override", None))
    if isinstance(m, (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d)):
        return _adaptive(label, 1 if isinstance(m, nn.AdaptiveAvgPool1d) else 2, m.output_size)
    if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
        return _batch_norm(label, m)
    if isinstance(m, nn.Flatten):
        return _flatten(label, m.start_dim, m.end_dim)
    if isinstance(m, nn.Unflatten):
        return _unflatten(label, m.dim, m.unflattened_size)
    if isinstance(m, nn.Identity):
        return None
    if name in _DROPOUTS:
        if m.training:
            raise UnsupportedNetworkError(f"{label} is {name} in training mode; call model.eval() first")
        return None
    if name in _MAXPOOLS:
        raise UnsupportedNetworkError(_MAXPOOL.format(label=f"{label} ({name})"))
    act = _module_activation(label, m)
    if act is None:
        activation = type(m).__module__ == "torch.nn.modules.activation"  # not LayerNorm, Embedding, ...
        raise (UnsupportedActivationError if activation else UnsupportedNetworkError)(
            f"{label} ({name}) is not a supported piecewise-linear activation or layer; "
            f"supported: {SUPPORTED_TEXT}{_HINTS.get(name.lower(), '')}")
    return Op("act", label, act)


# ---------------------------------------------------------------------------------------
# traced calls
# ---------------------------------------------------------------------------------------

@functools.cache
def _function_table() -> dict[Any, tuple[str, tuple[tuple[str, Any], ...]]]:
    """Map each supported torch function to its kind and its parameters (name, default)."""
    import torch
    import torch.nn.functional as F

    x = (("input", _REQUIRED),)
    conv = x + (("weight", _REQUIRED), ("bias", None), ("stride", 1), ("padding", 0), ("dilation", 1),
                ("groups", 1))
    pool = x + (("kernel_size", _REQUIRED), ("stride", None), ("padding", 0), ("ceil_mode", False),
                ("count_include_pad", True))
    table = {torch.relu: ("relu", x), torch.relu_: ("relu", x), F.relu: ("relu", x + (("inplace", False),)),
             torch.abs: ("abs", x), torch.abs_: ("abs", x), torch.absolute: ("abs", x),
             operator.abs: ("abs", x),
             F.leaky_relu: ("leaky_relu", x + (("negative_slope", 0.01), ("inplace", False))),
             F.leaky_relu_: ("leaky_relu", x + (("negative_slope", 0.01),)),
             F.hardtanh: ("hardtanh", x + (("min_val", -1.0), ("max_val", 1.0), ("inplace", False))),
             F.hardtanh_: ("hardtanh", x + (("min_val", -1.0), ("max_val", 1.0))),
             F.relu6: ("relu6", x + (("inplace", False),)),
             F.dropout: ("dropout", x + (("p", 0.5), ("training", True), ("inplace", False))),
             F.linear: ("linear", x + (("weight", _REQUIRED), ("bias", None))),
             F.conv1d: ("conv", conv), F.conv2d: ("conv", conv),
             F.avg_pool1d: ("avg_pool1d", pool),
             F.avg_pool2d: ("avg_pool2d", pool + (("divisor_override", None),)),
             F.adaptive_avg_pool1d: ("adaptive1d", x + (("output_size", _REQUIRED),)),
             F.adaptive_avg_pool2d: ("adaptive2d", x + (("output_size", _REQUIRED),)),
             torch.flatten: ("flatten", x + (("start_dim", 0), ("end_dim", -1)))}
    for f in (F.max_pool1d, F.max_pool2d, F.max_pool3d, F.adaptive_max_pool1d, F.adaptive_max_pool2d,
              torch.max_pool1d, torch.max_pool2d):
        table[f] = ("maxpool", ())
    for f in (operator.add, operator.iadd, torch.add, operator.sub, operator.isub, torch.sub):
        table[f] = ("add", ())
    for name, kind in _CLAMPS.items():
        if hasattr(torch, name):
            table[getattr(torch, name)] = (kind, x + _CLAMP_PARAMS[kind])
    return table


_CLAMPS = {"clamp": "clamp", "clamp_": "clamp", "clip": "clamp", "clip_": "clamp", "clamp_min": "clamp_min",
           "clamp_min_": "clamp_min"}
"""Method and function names of clamp: ReLU as ``clamp(min=0)``, Hardtanh as ``clamp(min=a, max=b)``."""

_CLAMP_PARAMS = {"clamp": (("min", None), ("max", None)), "clamp_min": (("min", _REQUIRED),)}

_METHODS = {"relu": "relu", "relu_": "relu", "abs": "abs", "abs_": "abs", "absolute": "abs",
            "absolute_": "abs", "flatten": "flatten", "view": "view", "reshape": "view",
            "add": "add", "add_": "add", "sub": "add", "sub_": "add", **_CLAMPS}


def _bind(node: Any, params: tuple[tuple[str, Any], ...]) -> dict[str, Any]:
    """Bind a call's args and kwargs to ``params``; refuse extra or missing arguments."""
    label = node_label(node)
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


def node_op(node: Any, gm: Any) -> tuple[Op | None, Any]:
    """Read one node of the chain: its :class:`Op` (None for a no-op) and the node it reads.

    Parameters
    ----------
    node : torch.fx.Node
        A ``call_module``, ``call_function`` or ``call_method`` node.
    gm : torch.fx.GraphModule
        The traced module (for submodules and parameters).

    Returns
    -------
    (Op or None, torch.fx.Node)

    Raises
    ------
    UnsupportedNetworkError
        An unsupported call (named, with residual additions and max pooling explained);
        its subclass UnsupportedActivationError for a nonlinear function of one value
        (``torch.sigmoid(x)``, ``x.tanh()``).
    InputError
        Arguments computed in forward where constants are needed, constants where the
        chain needs a tensor, weights that are not parameters of the module.
    """
    label = node_label(node)
    if node.op == "call_module":
        bound = _bind(node, (("input", _REQUIRED),))
        return module_op(label, gm.get_submodule(node.target)), _tensor_arg(bound, "input", label)
    if node.op == "call_method" and node.target in _METHODS:
        kind = _METHODS[node.target]
        if kind == "view":
            return _view_op(node, label)
        if kind == "add":
            _refuse_add(node, label)
        extra = {"flatten": (("start_dim", 0), ("end_dim", -1)), **_CLAMP_PARAMS}.get(kind, ())
        bound = _bind(node, (("input", _REQUIRED),) + extra)
        inp = _tensor_arg(bound, "input", label)
        _constants(bound, label)
        if kind == "flatten":
            return _flatten(label, bound["start_dim"], bound["end_dim"]), inp
        if kind in _CLAMP_PARAMS:
            return Op("act", label, _clamp_activation(label, bound["min"], bound.get("max"))), inp
        return Op("act", label, get_activation(kind)), inp
    table = _function_table() if node.op == "call_function" else {}
    try:
        kind, params = table[node.target]
    except (KeyError, TypeError):  # TypeError: an unhashable target
        import torch

        if node.op == "call_function" and node.target is torch.reshape:
            return _view_op(node, label)
        name = node.target if isinstance(node.target, str) else getattr(node.target, "__name__", node.target)
        # a nonlinear f(x) of one value alone is an activation exactnet lacks; anything else (x * y,
        # 0.5 * x, -x, x.detach(), x[0], x.clamp(0, 1)) is a structure it does not read
        alone = len(node.args) == 1 and not node.kwargs and is_node(node.args[0])
        activation = alone and str(name).rstrip("_") in _NONLINEAR
        hint = _HINTS.get(str(name).rstrip("_"), "")
        raise (UnsupportedActivationError if activation else UnsupportedNetworkError)(
            f"{label}: operation {name!r} is not supported; supported: {SUPPORTED_TEXT}{hint}") from None
    if kind == "maxpool":
        raise UnsupportedNetworkError(_MAXPOOL.format(label=label))
    if kind == "add":
        _refuse_add(node, label)
    bound = _bind(node, params)
    inp = _tensor_arg(bound, "input", label)
    _constants(bound, label)
    return _function_op(kind, bound, label, gm), inp


def _function_op(kind: str, bound: dict[str, Any], label: str, gm: Any) -> Op | None:
    """Build the Op of a supported function call, its arguments bound."""
    if kind == "linear":
        return _linear(label, _attr(bound["weight"], gm, label), _attr_or_none(bound["bias"], gm, label))
    if kind == "conv":
        return _conv(label, _attr(bound["weight"], gm, label), _attr_or_none(bound["bias"], gm, label),
                     bound["stride"], bound["padding"], bound["dilation"], bound["groups"])
    if kind in ("avg_pool1d", "avg_pool2d"):
        return _avg_pool(label, int(kind[-2]), bound["kernel_size"], bound["stride"], bound["padding"],
                         bound["ceil_mode"], bound["count_include_pad"], bound.get("divisor_override"))
    if kind in ("adaptive1d", "adaptive2d"):
        return _adaptive(label, int(kind[-2]), bound["output_size"])
    if kind == "flatten":
        return _flatten(label, bound["start_dim"], bound["end_dim"])
    if kind == "dropout":
        if bound["training"]:
            raise UnsupportedNetworkError(f"{label} is dropout with training=True; call model.eval() "
                                             "and pass training=self.training")
        return None
    if kind == "relu6":
        return Op("act", label, get_activation("hardtanh", 0.0, 6.0))
    if kind in _CLAMP_PARAMS:
        return Op("act", label, _clamp_activation(label, bound["min"], bound.get("max")))
    extra = {"leaky_relu": ("negative_slope",), "hardtanh": ("min_val", "max_val")}.get(kind, ())
    return Op("act", label, _activation(label, kind, *(bound[k] for k in extra)))


def _clamp_activation(label: str, lo: Any, hi: Any) -> Activation:
    """Return ``clamp(x, min=0)`` as a ReLU, ``clamp(x, min=a, max=b)`` as Hardtanh(a, b); refuse the rest."""
    if not all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in (lo, hi)):
        raise UnsupportedNetworkError(f"{label} clamps at tensors {lo!r}, {hi!r}: only numbers are read")
    if lo == 0 and hi is None:
        return get_activation("relu")
    if lo is not None and hi is not None:
        return _activation(label, "hardtanh", lo, hi)
    raise UnsupportedNetworkError(f"{label} clamps with min={lo!r}, max={hi!r}: read are clamp(min=0), a "
                                  "ReLU, and clamp(min=a, max=b), Hardtanh(a, b); write min(x, b) as "
                                  "b - relu(b - x) and max(x, a) as a + relu(x - a)")


def _refuse_add(node: Any, label: str) -> None:
    """Refuse an addition: by name as a skip connection when it joins two computed values."""
    tensors = [a for a in list(node.args) + list(node.kwargs.values()) if is_node(a)]
    if len(tensors) >= 2:
        raise UnsupportedNetworkError(RESIDUAL_MESSAGE.format(label=label, a=tensors[0].name,
                                                                 b=tensors[1].name))
    raise UnsupportedNetworkError(f"{label}: adding a constant is not supported; "
                                     f"supported: {SUPPORTED_TEXT}")


def _view_op(node: Any, label: str) -> tuple[Op, Any]:
    """Read ``x.view(-1, *sizes)``, ``x.reshape(x.size(0), -1)``, ``torch.reshape(x, (-1, ...))``."""
    args = list(node.args)
    if node.kwargs and set(node.kwargs) != {"shape"}:
        raise InputError(f"{label} has unexpected arguments {sorted(node.kwargs)}")
    if "shape" in node.kwargs:
        args.append(node.kwargs["shape"])
    if len(args) < 2:
        raise InputError(f"{label} misses its sizes")
    x, sizes = args[0], args[1:]
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = list(sizes[0])
    if not is_node(x):
        raise InputError(f"{label}: its input is the constant {x!r}, not the previous layer's output"[:200])
    batch = sizes[0]
    if not (batch == -1 or is_batch_size(batch, x)):
        raise UnsupportedNetworkError(batch_size_message(label, batch))
    rest = sizes[1:]
    if not all(isinstance(s, int) and not isinstance(s, bool) for s in rest):
        raise InputError(f"{label}: the sizes after the batch must be constant integers, got {rest!r}"[:200])
    return _reshape(label, tuple(rest)), x


def _constants(bound: dict[str, Any], label: str) -> None:
    for k, v in bound.items():
        if k not in ("input", "weight", "bias") and is_node(v):
            raise InputError(f"{label}: argument {k!r} is computed in forward; it must be a constant")


def _tensor_arg(bound: dict[str, Any], key: str, label: str) -> Any:
    """Return the node an argument refers to; refuse a constant."""
    v = bound[key]
    if not is_node(v):
        what = f"{label}: its {key} is the constant {v!r}"[:200]
        raise InputError(f"{what}, not the previous layer's output")
    return v


def _attr(v: Any, gm: Any, label: str) -> Any:
    """Return the tensor behind a ``get_attr`` node (a parameter used with ``F.linear``, ``F.conv2d``)."""
    if not is_node(v) or v.op != "get_attr":
        raise InputError(f"{label}: its weight must be a parameter of the module, got {v!r}")
    obj = gm
    for part in v.target.split("."):
        obj = getattr(obj, part)
    return obj


def _attr_or_none(v: Any, gm: Any, label: str) -> Any:
    return None if v is None else _attr(v, gm, label)

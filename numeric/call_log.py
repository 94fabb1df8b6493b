"""Record the calls one forward of a torch model makes, and decide whether grid sampling reads it right.

:func:`numeric.sampling.grid_patterns` thresholds the outputs of ``nn.Linear`` modules at the
activation breakpoints.  That gives the model's activation patterns only for a chain of
``nn.Linear`` layers, each output going straight into an activation.  :func:`record_calls`
runs one forward on a few points under a torch function mode and lists its calls on values
that depend on the input; :func:`check_chain` refuses, with a ValueError naming the call,
any model that is not such a chain (a linear call outside ``nn.Linear``, a shift or a norm
between a layer and its activation, a product of two input-dependent values...), and
:func:`breakpoints_from` reads the activations' breakpoints.  :func:`forward_checked` runs a
forward: it refuses modules in training mode whose forward is random or batch-dependent
before running anything, and turns a forward's own error into a ValueError naming the model.

Examples
--------
>>> import torch
>>> from torch import nn
>>> net = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
>>> calls = record_calls(net, torch.zeros(2, 2))
>>> check_chain(net, calls), breakpoints_from(net, calls)
(None, (0.0,))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

__all__ = ["Call", "model_dtype", "forward_checked", "record_calls", "check_chain", "breakpoints_from"]

_LINEAR_CALLS = frozenset({
    "linear", "bilinear", "matmul", "__matmul__", "__rmatmul__", "mm", "bmm", "mv", "dot", "vdot", "inner",
    "outer", "ger", "addmm", "addmv", "addbmm", "baddbmm", "einsum", "tensordot", "conv1d", "conv2d",
    "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "conv_tbc", "convolution",
    "_convolution",
})
_CURVED_CALLS = frozenset({
    "sigmoid", "sigmoid_", "special_expit", "tanh", "tanh_", "gelu", "silu", "elu", "elu_", "celu", "celu_",
    "selu", "selu_", "softplus", "mish", "softsign", "tanhshrink", "log_sigmoid", "logsigmoid", "hardswish",
    "glu", "softmax", "log_softmax", "softmin", "exp", "exp_", "exp2", "expm1", "log", "log_", "log1p",
    "log2", "sqrt", "rsqrt", "erf", "erfc", "sin", "cos", "pow", "__pow__", "__rpow__", "square",
    "reciprocal", "__rtruediv__", "layer_norm", "group_norm", "rms_norm", "normalize", "local_response_norm",
})
_PIECEWISE_CALLS: dict[str, Callable] = {
    **dict.fromkeys(("relu", "relu_", "leaky_relu", "leaky_relu_", "prelu", "rrelu", "rrelu_", "abs", "abs_",
                     "absolute"), lambda a: (0.0,)),
    "relu6": lambda a: (0.0, 6.0),
    "hardsigmoid": lambda a: (-3.0, 3.0),
    **dict.fromkeys(("hardtanh", "hardtanh_"), lambda a: (a(1, "min_val", -1.0), a(2, "max_val", 1.0))),
    **dict.fromkeys(("clamp", "clamp_", "clip", "clip_"), lambda a: (a(1, "min", None), a(2, "max", None))),
    **dict.fromkeys(("clamp_min", "clamp_min_"), lambda a: (a(1, "min", None),)),
    **dict.fromkeys(("clamp_max", "clamp_max_"), lambda a: (a(1, "max", None),)),
    **dict.fromkeys(("hardshrink", "softshrink"), lambda a: (-a(1, "lambd", 0.5), a(1, "lambd", 0.5))),
    **dict.fromkeys(("_threshold", "threshold", "threshold_"), lambda a: (a(1, "threshold", None),)),
}  # piecewise-linear calls: how their breakpoints are read from the call's arguments
_RESHAPES = frozenset({
    "view", "view_as", "reshape", "reshape_as", "flatten", "unflatten", "squeeze", "unsqueeze", "contiguous",
    "clone", "detach", "to", "float", "double", "half", "bfloat16", "type_as", "cpu",
})  # calls that move or retype values without changing them
_AFFINE_CALLS = frozenset({
    "add", "sub", "subtract", "rsub", "mul", "multiply", "div", "divide", "true_divide", "neg", "negative",
    "positive", "__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__", "__div__",
    "__neg__", "__pos__",
})  # affine in their one input-dependent operand when the others are constants (not a divisor)
_DIVIDING = frozenset({"div", "divide", "true_divide", "__truediv__", "__div__"})
_RANDOM_CALLS = {  # name: (position, keyword, default) of the call's ``training`` flag
    **dict.fromkeys(("dropout", "dropout1d", "dropout2d", "dropout3d"), (2, "training", True)),
    **dict.fromkeys(("alpha_dropout", "feature_alpha_dropout"), (2, "training", False)),
    **dict.fromkeys(("rrelu", "rrelu_"), (3, "training", False)),
}
_READS_VALUES = frozenset({
    "item", "tolist", "numpy", "__bool__", "__int__", "__float__", "__index__", "__complex__", "__iter__",
    "__array__", "__reversed__", "__contains__", "__setitem__",
})  # calls whose result is not a tensor but depends on (or changes) the values
_STATEFUL = tuple(getattr(nn, n) for n in (
    "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout", "RReLU",
    "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d",
    "SyncBatchNorm", "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "LazyInstanceNorm1d",
    "LazyInstanceNorm2d", "LazyInstanceNorm3d") if hasattr(nn, n))
_EXACT = "; count its regions exactly with exact.count_regions"


class _WidthError(ValueError):
    """A model fed points of the wrong width (raised from a hook, so passed through as it is)."""


@dataclass
class Call:
    """One call of a forward on input-dependent values, as :func:`record_calls` logs it.

    Attributes
    ----------
    kind : str
        ``"linear"`` (an ``nn.Linear`` module's output, or a linear call outside one),
        ``"piecewise"``, ``"curved"``, ``"state"`` (a buffer the forward changed) or ``"other"``.
    where : str
        The call as the user wrote it, and the module making it.
    breakpoints : tuple of float or None
        A piecewise-linear call's breakpoints (None: a bound that is not one number).
    problem : str or None
        Why :func:`check_chain` refuses this call before the last linear layer.
    tensor : int or None
        ``id`` of an ``nn.Linear`` module's output, or of an activation's input.
    """

    kind: str
    where: str
    breakpoints: tuple[float, ...] | None = None
    problem: str | None = None
    tensor: int | None = None


def model_dtype(model: nn.Module) -> torch.dtype:
    """Return the dtype of the model's first parameter (float32 without parameters).

    Parameters
    ----------
    model : torch.nn.Module
        The model.

    Returns
    -------
    torch.dtype
        The dtype its inputs are cast to.

    Raises
    ------
    TypeError
        ``model`` not a torch module.

    Examples
    --------
    >>> model_dtype(nn.Linear(2, 1).double())
    torch.float64
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch nn.Module, got {type(model).__name__} (numeric samples torch "
                        "models; for an exact.ExactNet use exact.regions or exact.cross_check)")
    for p in model.parameters():
        return p.dtype
    return torch.float32


def _refuse_training_mode(model: nn.Module) -> None:
    """Refuse modules in training mode whose forward is random or uses the batch, before any forward."""
    found = [f"{n} ({type(m).__name__})" if n else type(m).__name__ for n, m in model.named_modules()
             if m.training and isinstance(m, _STATEFUL)]
    if found:
        shown = ", ".join(found[:5]) + (", ..." if len(found) > 5 else "")
        raise ValueError(f"model {type(model).__name__} has modules in training mode whose forward is random "
                         f"or depends on the batch ({shown}): "
                         "sampling it would give random patterns or change its running statistics; call "
                         "model.eval() first (nothing was run)")


def forward_checked(model: nn.Module, x: torch.Tensor, caller: str | None, hint: str = ""):
    """Return ``model(x)``, refusing what would make it wrong or a raw torch error.

    Parameters
    ----------
    model : torch.nn.Module
        The model; refused before any forward if a dropout, batch norm, instance norm or
        RReLU module of it is in training mode.
    x : torch.Tensor, shape (n, d)
        The points.
    caller : str or None
        The sampling function (its points are 2-D); None means points the user gave.
    hint : str
        Added to the message when the forward raises.

    Returns
    -------
    object
        What the forward returns.

    Raises
    ------
    ValueError
        A module in training mode; a first ``nn.Linear`` fed ``x`` that wants another width;
        a forward that raises (the message names the model and the points).

    Examples
    --------
    >>> forward_checked(nn.Linear(2, 1), torch.zeros(3, 2), None).shape
    torch.Size([3, 1])
    >>> forward_checked(nn.Sequential(nn.Linear(2, 2), nn.Dropout()), torch.zeros(3, 2), None)
    Traceback (most recent call last):
    ...
    ValueError: model Sequential has modules in training mode whose forward is random or depends on the ...
    """
    name = type(model).__name__
    _refuse_training_mode(model)

    def check(mod, inp):
        if inp and inp[0] is x and mod.in_features != x.shape[-1]:
            w = mod.in_features
            what = (f"{caller} samples 2-D points of the plane: use a model with 2-D inputs" if caller
                    else f"got points of width {x.shape[-1]}")
            raise _WidthError(f"model {name} takes {w}-D inputs (its first nn.Linear has in_features={w}), "
                              f"but {what}")

    hooks = [m.register_forward_pre_hook(check) for m in model.modules() if isinstance(m, nn.Linear)]
    try:
        return model(x)
    except _WidthError as e:  # raised as a plain ValueError: the private class is only the hook's marker
        raise ValueError(str(e)) from None
    except (MemoryError, RecursionError):
        raise
    except Exception as e:  # the model's own error: say whose and on what
        what = f"{caller} samples 2-D points: " if caller else ""
        raise ValueError(f"model {name}'s forward raised {type(e).__name__} on {x.shape[0]} points of width "
                         f"{x.shape[-1]} ({e}); {what}the model must map (n, d) points to (n, m) outputs"
                         f"{hint}") from e
    finally:
        for h in hooks:
            h.remove()


def _call_name(func: Callable) -> str:
    """How the user wrote a call: ``torch.sigmoid``, ``Tensor.tanh``, ``torch.nn.functional.gelu``."""
    name = getattr(func, "__name__", repr(func))
    mod = getattr(func, "__module__", None) or ""
    if not mod:
        return f"Tensor.{name}"
    if mod.startswith(("torch._C._nn", "torch.nn.functional")):
        return f"torch.nn.functional.{name.lstrip('_')}"
    if mod == "torch._C._special":
        return f"torch.special.{name.removeprefix('special_')}"
    return f"{'torch' if mod.startswith('torch._C') else mod}.{name}"


def _argument(args: tuple, kwargs: dict) -> Callable:
    def arg(i, key, default):
        return args[i] if len(args) > i else kwargs.get(key, default)

    return arg


def _read_breakpoints(name: str, args: tuple, kwargs: dict) -> tuple[float, ...] | None:
    """Breakpoints of a piecewise-linear call, sorted; None when a bound is not one number."""
    out = []
    for v in _PIECEWISE_CALLS[name](_argument(args, kwargs)):
        if isinstance(v, torch.Tensor):
            if v.numel() != 1:
                return None
            v = v.item()
        if v is not None:
            out.append(float(v))
    return tuple(sorted(set(out)))


_UNFED = ("reads a value that does not come from the activation before it (an activation or layer computed "
          "and not used?): grid_patterns would count neurons that do not shape the function")
"""Why an nn.Linear call is refused whose input skips the latest activation (:meth:`_Log.linear_input`)."""


class _Log:
    """The state of one recorded forward: input-dependent tensors, their makers, nn.Linear outputs."""

    def __init__(self, model: nn.Module, x: torch.Tensor):
        self.model, self.calls = model, []
        self.tainted = {id(x): x}  # tensors that depend on x, kept alive so that their ids stay theirs
        self.made_by = {id(x): "the model's input"}
        self.linear_out: dict[int, torch.Tensor] = {}  # nn.Linear outputs and a copy of their values
        self.stack: list[nn.Module] = [model]
        self.names = {id(m): n for n, m in model.named_modules()}
        self.parents: dict[int, list[int]] = {}  # each input-dependent tensor: the ones it was made from
        self.last_activation: set[int] | None = None  # the outputs of the latest activation
        self.unfed: dict[int, str] = {}  # nn.Linear calls whose input skips the activation before them

    def made(self, made: list[torch.Tensor], hits: list[torch.Tensor], entry: Call | None) -> None:
        """Note what ``made`` was made from, and an activation's outputs."""
        for t in made:
            self.parents.setdefault(id(t), [id(h) for h in hits if h is not t])
        if entry is not None and entry.kind in ("piecewise", "curved"):
            self.last_activation = {id(t) for t in made}

    def linear_input(self, mod: nn.Module, inp: tuple, stack: list) -> None:
        """Push an nn.Linear about to run on ``stack``; its input must come from the latest activation.

        A layer whose output goes into an activation that nothing reads (a branch computed and
        thrown away) would be thresholded as neurons the function does not have.
        """
        stack.append(mod)
        if self.last_activation is None or not inp or id(inp[0]) not in self.tainted:
            return
        seen, todo = set(), [id(inp[0])]
        while todo:
            i = todo.pop()
            if i in self.last_activation:
                return
            if i not in seen:
                seen.add(i)
                todo.extend(self.parents.get(i, ()))
        self.unfed[id(mod)] = _UNFED

    def label(self, func) -> str:
        inner = self.stack[-1]
        if inner is not self.model and type(inner).__module__ == "torch.nn.modules.activation":
            return type(inner).__name__
        return f"{_call_name(func)} in {type(inner).__name__}.forward"

    def linear_done(self, mod, out) -> None:
        """Log what an nn.Linear module returned, and keep its values to see later changes."""
        where = f"nn.Linear {self.names.get(id(mod)) or type(mod).__name__!r}"
        if not isinstance(out, torch.Tensor) or id(out) not in self.tainted:
            self.calls.append(Call("linear", where, problem=f"calls {where} on a value that does not depend "
                                   "on the input: grid_patterns would threshold it as a hidden layer"))
            return
        self.linear_out[id(out)] = out.detach().clone()
        self.made_by[id(out)] = where
        unfed = self.unfed.pop(id(mod), None)
        self.calls.append(Call("linear", where, tensor=id(out),
                               problem=unfed and f"calls {where}, which {unfed}"))

    def unchanged(self, hits: list[torch.Tensor]) -> set[int]:
        """Ids of the nn.Linear outputs among ``hits`` that still hold the values their layer returned."""
        kept = [(t, self.linear_out.get(id(t))) for t in hits]
        return {id(t) for t, k in kept if k is not None and k.shape == t.shape
                and bool(((k == t) | (k.isnan() & t.isnan())).all())}

    def activation_input(self, hits: list, unchanged: set[int]) -> tuple[int | None, str | None]:
        """Return the nn.Linear output an activation takes, or why its input is not one."""
        if len(hits) != 1:
            return None, "several input-dependent values"
        t = hits[0]
        if id(t) in unchanged:
            return id(t), None
        if id(t) in self.linear_out:
            return None, "an nn.Linear output changed in place after its layer ran"
        return None, f"the result of {self.made_by.get(id(t), 'a call it does not name')}"

    def classify(self, func, args: tuple, kwargs: dict, hits: list, made: list, unchanged: set
                 ) -> Call | None:
        """Return the log entry of a call on input-dependent values (None: a reshape, an affine step...)."""
        name, where = getattr(func, "__name__", ""), self.label(func)
        arg = _argument(args, kwargs)
        if name in _RANDOM_CALLS and bool(arg(*_RANDOM_CALLS[name])):
            return Call("other", where, problem=(
                f"calls {where} with training=True: its forward is random, and so would its sampled patterns "
                "be; call model.eval(), and pass training=self.training"))
        if name in _LINEAR_CALLS:
            own = isinstance(self.stack[-1], nn.Linear) and len(hits) == 1 and args and hits[0] is args[0]
            return None if own else Call("linear", where, problem=(
                f"calls {where}, a linear layer that is not an nn.Linear module's own: grid_patterns "
                "thresholds the outputs of nn.Linear modules, so this layer's neurons would go uncounted"))
        if name in _CURVED_CALLS or name in _PIECEWISE_CALLS:
            kind = "curved" if name in _CURVED_CALLS else "piecewise"
            bps = _read_breakpoints(name, args, kwargs) if kind == "piecewise" else None
            tensor, source = self.activation_input(hits, unchanged)
            return Call(kind, where, bps, tensor=tensor, problem=source and (
                f"applies {where} to {source}, not to an nn.Linear module's output: grid_patterns thresholds "
                "the nn.Linear outputs at the activation's breakpoints, so a shift, scaling or norm between "
                "them would move the breakpoints unseen"))
        benign = name in _RESHAPES or name in _RANDOM_CALLS or not made and name not in _READS_VALUES or (
            name in _AFFINE_CALLS and len(hits) == 1 and kwargs.get("rounding_mode") is None
            and (name not in _DIVIDING or bool(args) and hits[0] is args[0]))
        if benign and "out" not in kwargs:
            return None  # a reshape, an affine step with constants, a shape or dtype
        return Call("other", where, problem=(
            f"computes {where} on input-dependent values before its last linear layer: grid_patterns samples "
            "only nn.Linear layers whose outputs go straight into activations (with reshapes, or sums and "
            "products with constants, between an activation and the next layer), and cannot tell what this "
            "call does to the patterns"))


def record_calls(model: nn.Module, x: torch.Tensor, caller: str | None = None, hint: str = "") -> list[Call]:
    """Run ``model(x)`` once and list its calls on values that depend on ``x``.

    Module hooks keep which module makes each call and each ``nn.Linear`` module's input and
    output; a torch function mode sees every call.  A buffer the forward changes is put back
    and logged as a problem.

    Parameters
    ----------
    model : torch.nn.Module
        The model.
    x : torch.Tensor, shape (n, d)
        A few points (two are enough).
    caller, hint : str
        As in :func:`forward_checked`.

    Returns
    -------
    list of Call
        In call order: ``nn.Linear`` outputs, activations, and calls that break the chain.

    Raises
    ------
    ValueError
        As :func:`forward_checked`.

    Examples
    --------
    >>> net = nn.Sequential(nn.Linear(2, 3), nn.Hardtanh(), nn.Linear(3, 1))
    >>> [(c.kind, c.where) for c in record_calls(net, torch.zeros(2, 2))]
    [('linear', "nn.Linear '0'"), ('piecewise', 'Hardtanh'), ('linear', "nn.Linear '2'")]
    """
    from torch.overrides import TorchFunctionMode
    from torch.utils._pytree import tree_flatten

    log = _Log(model, x)

    class Recorder(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            hits = [t for t in tree_flatten((args, kwargs))[0] if torch.is_tensor(t) and id(t) in log.tainted]
            unchanged = log.unchanged(hits)  # before the call, which may work in place
            out = func(*args, **kwargs)
            if hits:
                made = [t for t in tree_flatten(out)[0] if isinstance(t, torch.Tensor)]
                entry = log.classify(func, args, kwargs, hits, made, unchanged)
                if entry is not None:
                    log.calls.append(entry)
                log.made(made, hits, entry)
                for t in made:
                    log.tainted.setdefault(id(t), t)
                    log.made_by.setdefault(id(t), log.label(func))
            return out

    def leave(mod, inp, out):
        if isinstance(mod, nn.Linear):
            log.linear_done(mod, out)
        if mod is not model:
            log.stack.pop()  # returns None: a hook's return value would replace the module's output

    def enter(mod, inp):
        log.stack.append(mod) if not isinstance(mod, nn.Linear) else log.linear_input(mod, inp, log.stack)

    hooks = [m.register_forward_pre_hook(enter) for m in model.modules() if m is not model]
    hooks += [m.register_forward_hook(leave) for m in model.modules()]
    buffers = [(n, b, b.detach().clone()) for n, b in model.named_buffers()]
    try:
        with torch.no_grad(), Recorder():
            forward_checked(model, x, caller, hint)
    finally:
        for h in hooks:
            h.remove()
    with torch.no_grad():
        for n, b, kept in buffers:
            if not (b.shape == kept.shape and torch.equal(b, kept) or b.isnan().any()):
                b.copy_(kept)
                log.calls.insert(0, Call("state", n, problem=(
                    f"changes its buffer {n} in forward (a batch norm in training mode?): its forward keeps "
                    "state or depends on the batch; the buffer was put back; call model.eval()")))
    return log.calls


def check_chain(model: nn.Module, calls: list[Call]) -> None:
    """Refuse a model whose patterns grid sampling would misread.

    The model must be a chain: every linear call is an ``nn.Linear`` module's own, every
    activation before the last linear layer takes exactly an ``nn.Linear`` module's output,
    the output of each ``nn.Linear`` but the last goes into an activation, and between an
    activation and the next layer there are only reshapes and sums and products with
    constants.

    Parameters
    ----------
    model : torch.nn.Module
        The model (its class names the messages).
    calls : list of Call
        From :func:`record_calls`.

    Returns
    -------
    None

    Raises
    ------
    ValueError
        Naming the first call that breaks the chain, and why.

    Examples
    --------
    >>> class Shift(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.a, self.o = nn.Linear(2, 3), nn.Linear(3, 1)
    ...     def forward(self, x):
    ...         return self.o(torch.relu(self.a(x) - 3.0))
    >>> check_chain(Shift(), record_calls(Shift(), torch.zeros(2, 2)))
    Traceback (most recent call last):
    ...
    ValueError: Shift applies torch.relu in Shift.forward to the result of Tensor.sub in Shift.forward, ...
    """
    name = type(model).__name__
    linear = [i for i, c in enumerate(calls) if c.kind == "linear"]
    if not linear:
        raise ValueError(f"{name} runs no nn.Linear layer on its input: grid_patterns samples the patterns "
                         "of nn.Linear layers and activations")
    last = linear[-1]
    found = [c for i, c in enumerate(calls)  # after the last linear layer only the output changes
             if c.problem and (i < last or c.kind in ("linear", "state"))]
    for c in sorted(found, key=lambda c: _UNFED in c.problem):  # the call breaking the chain first
        raise ValueError(f"{name} {c.problem}{_EXACT}")
    fed = {c.tensor for c in calls[:last] if c.kind in ("piecewise", "curved")}
    for c in calls[:last]:
        if c.kind == "linear" and c.tensor not in fed:
            raise ValueError(f"{name} feeds the output of {c.where} to no activation before its next linear "
                             "layer: grid_patterns would threshold it as a hidden layer of neurons the model "
                             f"does not have{_EXACT}")


def breakpoints_from(model: nn.Module, calls: list[Call]) -> tuple[float, ...]:
    """Return the breakpoints of the activations before the last linear layer.

    Parameters
    ----------
    model : torch.nn.Module
        The model (its class names the messages).
    calls : list of Call
        From :func:`record_calls`, checked by :func:`check_chain`.

    Returns
    -------
    tuple of float
        Shared by all those activations; ``(0.0,)`` when there is none.

    Raises
    ------
    ValueError
        A curved function before the last linear layer, activations with different
        breakpoints, or bounds that are tensors (``breakpoints=`` chooses them then).

    Examples
    --------
    >>> net = nn.Sequential(nn.Linear(2, 3), nn.ReLU6(), nn.Linear(3, 1))
    >>> breakpoints_from(net, record_calls(net, torch.zeros(2, 2)))
    (0.0, 6.0)
    """
    name = type(model).__name__
    last = max((i for i, c in enumerate(calls) if c.kind == "linear"), default=0)
    hidden = calls[:last]
    for c in hidden:
        if c.kind == "curved":
            raise ValueError(
                f"{name} uses {c.where}, which is not piecewise linear, before its last linear layer: its "
                "hidden patterns would be thresholds of a curved function, not activation pieces (pass "
                "breakpoints= to threshold its pre-activations anyway; after the last linear layer, such as "
                "a classifier's final sigmoid, a curved function is fine)")
    found: dict[tuple[float, ...], str] = {}
    for c in (c for c in hidden if c.kind == "piecewise"):
        if c.breakpoints is None:
            raise ValueError(f"{name} uses {c.where} with bounds that are tensors, not one number: its "
                             "breakpoints differ between neurons, and no one set of thresholds samples them; "
                             "count its regions exactly with exact.count_regions")
        found.setdefault(c.breakpoints, c.where)
    if len(found) > 1:
        kinds = ", ".join(f"{where} at {bps}" for bps, where in found.items())
        raise ValueError(f"{name} mixes activations with different breakpoints ({kinds}): one set of "
                         "thresholds would split some neurons' pieces and count patterns the model does not "
                         "have (breakpoints= does too); count its regions exactly with exact.count_regions")
    return next(iter(found), (0.0,))

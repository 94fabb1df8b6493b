"""Evaluate torch models on pixel grids: output images and sampled activation patterns.

Grids use pixel centres ``-B + (i + 1/2) 2B/res`` and ``indexing="xy"``: ``image[row, col]``
is the value at ``x1 = xs[col]``, ``x2 = xs[row]``, so ``imshow(image, origin="lower",
extent=(-B, B, -B, B))`` is the right way up (the sheet's solution used the default
``indexing="ij"`` and drew every image transposed).

Sampled pattern counts are *lower bounds* of the exact activation-region counts: a
region that contains no pixel centre is missed.

Examples
--------
>>> from numeric.models import seeded_mlp
>>> g = grid_patterns(seeded_mlp([2, 20, 1]), window=10.0, res=200)
>>> g.n_patterns <= 197, g.image.shape
(True, (200, 200))
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

__all__ = [
    "DEFAULT_WINDOW",
    "pixel_centres",
    "grid_points",
    "evaluate_grid",
    "GridPatterns",
    "grid_patterns",
    "hidden_preactivations",
    "infer_breakpoints",
    "CURVED_ACTIVATIONS",
    "GRID_BYTES",
]


DEFAULT_WINDOW = 10.0
"""Half-width of the default window ``[-10, 10]^2`` (the same as :mod:`exact`'s)."""


def _accepts_bound(f: Callable) -> Callable:
    """Accept the old keyword ``bound=`` for ``window=``, with a FutureWarning (0.1 -> 0.2)."""

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        if "bound" in kwargs:
            if "window" in kwargs:
                raise TypeError(f"{f.__name__}() got both window= and its old name bound=")
            warnings.warn(f"{f.__name__}(bound=...) is now window=...; bound= will be removed",
                          FutureWarning, stacklevel=2)
            kwargs["window"] = kwargs.pop("bound")
        return f(*args, **kwargs)

    return wrapper


def _check_grid(window: float, res: int) -> None:
    if isinstance(window, bool) or not isinstance(window, (int, float, np.floating, np.integer)):
        raise TypeError(f"window must be a number, got {window!r}")
    if not np.isfinite(window) or window <= 0:
        raise ValueError(f"window must be a finite number > 0, got {window!r}")
    if isinstance(res, bool) or not isinstance(res, (int, np.integer)) or res < 1:
        raise ValueError(f"res must be a positive integer, got {res!r}")


def pixel_centres(window: float, res: int) -> np.ndarray:
    """Return the ``res`` pixel-centre coordinates of ``[-window, window]`` (float64).

    Parameters
    ----------
    window : float
        Half-width ``B`` of the interval ``[-B, B]``.
    res : int
        Number of pixels.

    Returns
    -------
    ndarray of float64, shape (res,)
        ``-B + (i + 1/2) 2B/res``.

    Raises
    ------
    TypeError, ValueError
        A window that is not a finite number > 0, or ``res < 1``.

    Examples
    --------
    >>> pixel_centres(1.0, 4).tolist()
    [-0.75, -0.25, 0.25, 0.75]
    """
    _check_grid(window, res)
    return -window + (np.arange(res) + 0.5) * (2.0 * window / res)


def grid_points(window: float, res: int) -> np.ndarray:
    """Return all pixel centres as an array of shape ``(res * res, 2)``, row-major in ``x2``.

    Point ``k = row * res + col`` is ``(xs[col], xs[row])``.

    Parameters
    ----------
    window : float
        Half-width ``B`` of the square ``[-B, B]^2``.
    res : int
        Pixels per side.

    Returns
    -------
    ndarray of float64, shape (res * res, 2)
        The points.

    Examples
    --------
    >>> grid_points(1.0, 2).tolist()
    [[-0.5, -0.5], [0.5, -0.5], [-0.5, 0.5], [0.5, 0.5]]
    """
    xs = pixel_centres(window, res)
    _check_grid_memory(res)
    X, Y = np.meshgrid(xs, xs, indexing="xy")
    return np.stack([X.ravel(), Y.ravel()], axis=1)


GRID_BYTES = 40
"""Bytes per pixel a grid of points holds at its peak: the two coordinate grids, the stacked
points (float64) and one result per pixel (8 bytes)."""


def _check_grid_memory(res: int) -> None:
    """Refuse a ``res x res`` grid larger than this machine's memory, before any of it is made."""
    import os

    try:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # not known here: numpy says it if it must
        return
    need = GRID_BYTES * int(res) ** 2
    if need > total:
        raise ValueError(f"res={res}: a {res} x {res} grid needs about {need / 2**30:,.0f} GiB, more than "
                         f"this machine's {total / 2**30:,.0f} GiB of memory; choose a smaller res")


def _model_dtype(model: nn.Module) -> torch.dtype:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch nn.Module, got {type(model).__name__} (numeric samples torch "
                        "models; for an exact.ExactNet use exact.regions or exact.cross_check)")
    for p in model.parameters():
        return p.dtype
    return torch.float32


def _forward(model: nn.Module, x: torch.Tensor, caller: str | None):
    """``model(x)``; when the first ``nn.Linear`` fed ``x`` wants another width, say so.

    ``caller`` names the sampling function (its points are 2-D); None means points the user gave.
    """
    def check(mod, inp):
        if inp and inp[0] is x and mod.in_features != x.shape[-1]:
            w = mod.in_features
            what = (f"{caller} samples 2-D points of the plane: use a model with 2-D inputs" if caller
                    else f"got points of width {x.shape[-1]}")
            raise ValueError(f"model {type(model).__name__} takes {w}-D inputs (its first nn.Linear has "
                             f"in_features={w}), but {what}")

    hooks = [m.register_forward_pre_hook(check) for m in model.modules() if isinstance(m, nn.Linear)]
    try:
        return model(x)
    finally:
        for h in hooks:
            h.remove()


@_accepts_bound
@torch.no_grad()
def evaluate_grid(model: nn.Module, window: float = DEFAULT_WINDOW, res: int = 500, chunk: int = 1 << 16,
                  output: int | None = None) -> np.ndarray:
    """Evaluate the model's (scalar) output on the pixel grid, as an image ``(res, res)``.

    Parameters
    ----------
    model : torch.nn.Module
        Maps ``(N, 2)`` to ``(N, m)``; evaluated in the dtype of its parameters.
    window : float, default 10
        Half-width ``B`` of the square ``[-B, B]^2`` (was ``bound``).
    res : int
        Pixels per side.
    chunk : int
        Points per forward pass (bounds the memory).
    output : int, optional
        Which output to draw when the model has several; required then.

    Returns
    -------
    ndarray of float64, shape (res, res)
        ``image[row, col]`` is the output at ``(xs[col], xs[row])``.

    Raises
    ------
    ValueError
        A model with several outputs and no ``output`` index, or an index out of range; a
        model whose first ``nn.Linear`` does not take 2-D inputs.
    TypeError
        ``model`` not a torch module.

    Examples
    --------
    >>> import torch
    >>> lin = torch.nn.Linear(2, 1)
    >>> with torch.no_grad():
    ...     _ = lin.weight.copy_(torch.tensor([[1.0, 0.0]])); _ = lin.bias.zero_()
    >>> img = evaluate_grid(lin, 1.0, 4)
    >>> bool(img[0, 3] > 0 and img[3, 0] < 0)   # x1 grows along columns
    True
    """
    pts = grid_points(window, res)
    dt = _model_dtype(model)
    out = np.empty(len(pts), dtype=np.float64)
    for s in range(0, len(pts), chunk):
        y = _forward(model, torch.as_tensor(pts[s : s + chunk], dtype=dt), "evaluate_grid")
        y = y.reshape(y.shape[0], -1)
        m = y.shape[1]
        if output is None and m != 1:
            raise ValueError(
                f"the model has {m} outputs; an image needs a scalar output: pass output=0..{m - 1}"
            )
        k = 0 if output is None else output
        if not 0 <= k < m:
            raise ValueError(f"output must be in 0..{m - 1}, got {output!r}")
        out[s : s + chunk] = y[:, k].double().numpy()
    return out.reshape(res, res)


def infer_breakpoints(model: nn.Module, points: np.ndarray | None = None) -> tuple[float, ...]:
    """Return the breakpoints of the activations the model's forward runs between its linear layers.

    One forward on two points records, in call order, the calls on values that depend on the
    input: linear layers (``F.linear``, ``matmul``...), piecewise-linear activations and curved
    functions, whether a module or ``forward`` itself calls them (``torch.relu``, ``F.gelu``...).

    Parameters
    ----------
    model : torch.nn.Module
        The model; evaluated in the dtype of its parameters.
    points : ndarray, shape (n, d), optional
        Inputs of the probing forward; default two points of the width of the first
        ``nn.Linear`` (2 if there is none).

    Returns
    -------
    tuple of float
        ``(0.0,)`` for ReLU, LeakyReLU, PReLU, Abs (and when no activation is seen),
        ``(min, max)`` for Hardtanh, ReLU6 and clamp, ``(-3, 3)`` for Hardsigmoid,
        ``(-l, l)`` for Hard/Softshrink.

    Raises
    ------
    ValueError
        A function that is not piecewise linear (:data:`CURVED_ACTIVATIONS`, ``torch.sigmoid``,
        ``F.gelu``, softmax, exp...) called before the last linear layer: the hidden patterns
        would be thresholds of a curved function, not pieces. After the last linear layer (a
        classifier's final sigmoid) it is fine. Also: activations with different breakpoints
        before the last linear layer, or clamp bounds that are tensors (pass ``breakpoints=``).

    Examples
    --------
    >>> from torch import nn
    >>> infer_breakpoints(nn.Sequential(nn.Linear(2, 3), nn.Hardtanh(), nn.Linear(3, 1), nn.Sigmoid()))
    (-1.0, 1.0)
    >>> infer_breakpoints(nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)))
    Traceback (most recent call last):
    ...
    ValueError: Sequential uses Tanh, which is not piecewise linear, before its last linear layer: ...
    """
    dt = _model_dtype(model)
    if points is None:  # two points of the first nn.Linear's width
        points = np.array([[0.25], [-0.5]]) * np.ones(next((m.in_features for m in model.modules()
                                                           if isinstance(m, nn.Linear)), 2))
    calls = _record_calls(model, torch.as_tensor(np.asarray(points), dtype=dt), None)
    return _breakpoints_from(model, calls)


CURVED_ACTIVATIONS = (nn.Sigmoid, nn.Tanh, nn.GELU, nn.SiLU, nn.ELU, nn.CELU, nn.SELU, nn.Softplus, nn.Mish,
                      nn.Softsign, nn.Tanhshrink, nn.LogSigmoid, nn.Hardswish)
"""Activation modules that are curved, not piecewise linear: :func:`infer_breakpoints` refuses them (and
the functions they call) before a model's last linear layer, where a pattern of "which piece" means
nothing (a sigmoid net's "18 patterns" would be a threshold's)."""

_LINEAR_CALLS = frozenset({"linear", "bilinear", "matmul", "mm", "addmm", "einsum", "__matmul__"})
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


def _read_breakpoints(name: str, args: tuple, kwargs: dict) -> tuple[float, ...] | None:
    """Breakpoints of a piecewise-linear call, sorted; None when a bound is not one number."""
    def arg(i, key, default):
        return args[i] if len(args) > i else kwargs.get(key, default)

    out = []
    for v in _PIECEWISE_CALLS[name](arg):
        if isinstance(v, torch.Tensor):
            if v.numel() != 1:
                return None
            v = v.item()
        if v is not None:
            out.append(float(v))
    return tuple(sorted(set(out)))


def _record_calls(model: nn.Module, x: torch.Tensor, caller: str | None) -> list[tuple[str, str, object]]:
    """Run ``model(x)`` once and list its calls on input-dependent values: (kind, label, breakpoints).

    ``kind`` is "linear", "curved" or "piecewise"; ``label`` names the activation module making the
    call, or the call and the module whose ``forward`` makes it.
    """
    from torch.overrides import TorchFunctionMode
    from torch.utils._pytree import tree_flatten

    tainted = {id(x): x}  # tensors that depend on x, kept alive so that their ids stay theirs
    stack: list[nn.Module] = [model]
    calls: list[tuple[str, str, object]] = []

    def label(func) -> str:
        inner = stack[-1]
        if inner is not model and type(inner).__module__ == "torch.nn.modules.activation":
            return type(inner).__name__
        return f"{_call_name(func)} in {type(inner).__name__}.forward"

    class Recorder(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            hit = any(id(t) in tainted for t in tree_flatten((args, kwargs))[0] if torch.is_tensor(t))
            name = getattr(func, "__name__", "")
            if hit and name in _LINEAR_CALLS:
                calls.append(("linear", label(func), None))
            elif hit and name in _CURVED_CALLS:
                calls.append(("curved", label(func), None))
            elif hit and name in _PIECEWISE_CALLS:
                calls.append(("piecewise", label(func), _read_breakpoints(name, args, kwargs)))
            out = func(*args, **kwargs)
            if hit:
                tainted.update((id(t), t) for t in tree_flatten(out)[0] if isinstance(t, torch.Tensor))
            return out

    def leave(mod, inp, out):
        stack.pop()  # returns None: a hook's return value would replace the module's output

    hooks = [h for m in model.modules() if m is not model
             for h in (m.register_forward_pre_hook(lambda mod, inp: stack.append(mod)),
                       m.register_forward_hook(leave))]
    try:
        with torch.no_grad(), Recorder():
            _forward(model, x, caller)
    finally:
        for h in hooks:
            h.remove()
    return calls


def _breakpoints_from(model: nn.Module, calls: list[tuple[str, str, object]]) -> tuple[float, ...]:
    """Breakpoints of the activations before the last linear call; refuse curved or mixed ones."""
    name = type(model).__name__
    last = max((i for i, c in enumerate(calls) if c[0] == "linear"), default=0)
    hidden = calls[:last]
    for kind, where, _ in hidden:
        if kind == "curved":
            raise ValueError(
                f"{name} uses {where}, which is not piecewise linear, before its last linear layer: its "
                "hidden patterns would be thresholds of a curved function, not activation pieces (pass "
                "breakpoints= to threshold its pre-activations anyway; after the last linear layer, such as "
                "a classifier's final sigmoid, a curved function is fine)")
    found: dict[tuple[float, ...], str] = {}
    for where, bps in ((where, bps) for kind, where, bps in hidden if kind == "piecewise"):
        if bps is None:
            raise ValueError(f"{name} uses {where} with bounds that are tensors, not one number: its "
                             "breakpoints differ between neurons; pass breakpoints= to choose the thresholds")
        found.setdefault(bps, where)
    if len(found) > 1:
        kinds = ", ".join(f"{where} at {bps}" for bps, where in found.items())
        raise ValueError(f"{name} mixes activations with different breakpoints ({kinds}): one set of "
                         "thresholds would split some neurons' pieces; pass breakpoints= to choose them")
    return next(iter(found), (0.0,))


@torch.no_grad()
def hidden_preactivations(model: nn.Module, points: np.ndarray) -> list[torch.Tensor]:
    """Return the outputs of every ``nn.Linear`` but the last, in the order they run in ``forward``.

    Parameters
    ----------
    model : torch.nn.Module
        An MLP of ``nn.Linear`` layers (the last one is the output).
    points : ndarray, shape (N, d)
        Inputs, cast to the model's parameter dtype.

    Returns
    -------
    list of torch.Tensor
        One ``(N, width)`` tensor of pre-activations per hidden layer.

    Raises
    ------
    ValueError
        A model without ``nn.Linear`` layers, or whose first ``nn.Linear`` does not take
        ``d`` inputs.

    Examples
    --------
    >>> import numpy as np, torch
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    >>> [z.shape for z in hidden_preactivations(net, np.zeros((5, 2)))]
    [torch.Size([5, 3])]
    """
    return _preactivations(model, points, None)


def _preactivations(model: nn.Module, points: np.ndarray, caller: str | None) -> list[torch.Tensor]:
    dt = _model_dtype(model)  # checks the model first
    seen: list[torch.Tensor] = []
    hooks = [
        m.register_forward_hook(lambda mod, inp, out: seen.append(out))
        for m in model.modules()
        if isinstance(m, nn.Linear)
    ]
    try:
        _forward(model, torch.as_tensor(points, dtype=dt), caller)
    finally:
        for h in hooks:
            h.remove()
    if not seen:
        raise ValueError(f"{type(model).__name__} has no nn.Linear layers")
    return seen[:-1]


def _unique_rows(piece: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of a small-integer matrix and the inverse index, via packed int64 words."""
    n, h = piece.shape
    per = 62 // bits
    words = []
    for s in range(0, h, per):
        block = piece[:, s : s + per].astype(np.int64)
        shifts = np.arange(block.shape[1], dtype=np.int64) * bits
        words.append(np.bitwise_or.reduce(block << shifts, axis=1))
    if not words:
        words = [np.zeros(n, np.int64)]
    order = np.lexsort(words[::-1])
    w = np.stack(words, axis=1)[order]
    new = np.ones(n, dtype=bool)
    if n > 1:
        new[1:] = np.any(w[1:] != w[:-1], axis=1)
    group = np.cumsum(new) - 1
    inv = np.empty(n, dtype=np.int64)
    inv[order] = group
    first = order[new]
    return piece[first], inv


@dataclass
class GridPatterns:
    """Sampled activation patterns on a pixel grid.

    Attributes
    ----------
    window : float
        Half-width ``B`` of the sampled square ``[-B, B]^2``.
    res : int
        Pixels per side.
    patterns : ndarray of int8, shape (n_patterns, n_hidden)
        The distinct patterns (piece index per hidden neuron, layer order).
    counts : ndarray of int, shape (n_patterns,)
        Pixels showing each pattern.
    image : ndarray of int, shape (res, res)
        Index into ``patterns`` of each pixel (``origin="lower"`` orientation).
    """

    window: float
    res: int
    patterns: np.ndarray
    counts: np.ndarray
    image: np.ndarray

    @property
    def n_patterns(self) -> int:
        """Number of distinct sampled patterns (a lower bound of the activation regions)."""
        return len(self.patterns)

    @property
    def bound(self) -> float:
        """Old name of :attr:`window` (deprecated)."""
        warnings.warn("GridPatterns.bound is now GridPatterns.window", FutureWarning, stacklevel=2)
        return self.window

    def pattern_set(self) -> set[tuple[int, ...]]:
        """Return the sampled patterns as a set of tuples."""
        return {tuple(int(v) for v in row) for row in self.patterns}


@_accepts_bound
def grid_patterns(
    model: nn.Module,
    window: float = DEFAULT_WINDOW,
    res: int = 1000,
    *,
    breakpoints: Sequence[float] | None = None,
    chunk: int = 1 << 15,
) -> GridPatterns:
    """Sample the activation patterns of a model at the pixel centres of ``[-window, window]^2``.

    Parameters
    ----------
    model : torch.nn.Module
        An MLP of ``nn.Linear`` layers (the last one is the output).
    window : float, default 10
        Half-width ``B`` of the square ``[-B, B]^2`` (was ``bound``).
    res : int
        Pixels per side (the sheet used 1000).
    breakpoints : sequence of float, optional
        Activation breakpoints; inferred by :func:`infer_breakpoints` if omitted.
    chunk : int
        Points per forward pass.

    Returns
    -------
    GridPatterns
        The distinct patterns, their pixel counts and the pattern image.

    Raises
    ------
    TypeError, ValueError
        A window that is not a finite number > 0, or ``res < 1``; a model whose first
        ``nn.Linear`` does not take 2-D inputs (ValueError).

    Examples
    --------
    >>> import torch
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 1), torch.nn.ReLU(), torch.nn.Linear(1, 1))
    >>> grid_patterns(net, window=1.0, res=8).n_patterns <= 2
    True
    """
    _check_grid(window, res)
    _model_dtype(model)  # a torch module, before its activations are looked for
    pts = grid_points(window, res)
    if breakpoints is not None:
        bps = tuple(breakpoints)
    else:
        probe = torch.as_tensor(pts[:2], dtype=_model_dtype(model))
        bps = _breakpoints_from(model, _record_calls(model, probe, "grid_patterns"))
    ids = np.empty(len(pts), dtype=np.int64)
    table: dict[bytes, int] = {}
    rows: list[np.ndarray] = []
    for s in range(0, len(pts), chunk):
        zs = _preactivations(model, pts[s : s + chunk], "grid_patterns")
        piece = torch.cat([sum((z > b).to(torch.int8) for b in bps) for z in zs], dim=1).numpy()
        uniq, inv = _unique_rows(piece, bits=1 if len(bps) == 1 else 2)
        local = np.empty(len(uniq), dtype=np.int64)
        for k, row in enumerate(uniq):
            key = row.tobytes()
            if key not in table:
                table[key] = len(rows)
                rows.append(row.astype(np.int8))
            local[k] = table[key]
        ids[s : s + chunk] = local[inv]
    patterns = np.array(rows, dtype=np.int8)
    counts = np.bincount(ids, minlength=len(rows))
    return GridPatterns(float(window), int(res), patterns, counts, ids.reshape(res, res))

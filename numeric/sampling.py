"""Evaluate torch models on pixel grids: output images and sampled activation patterns.

Grids use pixel centres ``-B + (i + 1/2) 2B/res`` and ``indexing="xy"``: ``image[row, col]``
is the value at ``x1 = xs[col]``, ``x2 = xs[row]``, so ``imshow(image, origin="lower",
extent=(-B, B, -B, B))`` is the right way up (the sheet's solution used the default
``indexing="ij"`` and drew every image transposed).

Sampled pattern counts are *lower bounds* of the exact activation-region counts: a
region that contains no pixel centre is missed.  That holds up to the model's own rounding:
in bfloat16 or float16 a pixel near a boundary can land on the wrong side and show a
pattern no region has (a bfloat16 2-10-10-1 net gave 49 against 48 exact); cast the model
to float64 (``model.double()``) for a bound.

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

from .call_log import breakpoints_from, check_chain, forward_checked, model_dtype, record_calls

__all__ = [
    "DEFAULT_WINDOW",
    "pixel_centres",
    "grid_points",
    "evaluate_grid",
    "GridPatterns",
    "grid_patterns",
    "hidden_preactivations",
    "infer_breakpoints",
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
    if window is None:  # the whole plane (as exact.count_regions takes it) has no pixels
        raise TypeError("window=None, the whole plane, cannot be sampled on a grid: give a half-width B "
                        "(the square [-B, B]^2)")
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
    dt = model_dtype(model)
    out = np.empty(len(pts), dtype=np.float64)
    for s in range(0, len(pts), chunk):
        y = forward_checked(model, torch.as_tensor(pts[s : s + chunk], dtype=dt), "evaluate_grid")
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
        A function that is not piecewise linear (``nn.Sigmoid``, ``torch.sigmoid``, ``F.gelu``,
        softmax, exp...) called before the last linear layer: the hidden patterns would be
        thresholds of a curved function, not pieces. After the last linear layer (a
        classifier's final sigmoid) it is fine. Also: activations with different breakpoints
        before the last linear layer, or clamp bounds that are tensors (no one set of
        thresholds samples them);
        a model :func:`grid_patterns` would misread, or in training mode, or whose forward
        raises on ``points`` (see :func:`grid_patterns`).

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
    dt, hint = model_dtype(model), ""
    if points is None:  # two points of the first nn.Linear's width
        width = next((m.in_features for m in model.modules() if isinstance(m, nn.Linear)), 2)
        points = np.array([[0.25], [-0.5]]) * np.ones(width)
        hint = (f" (infer_breakpoints took the width {width} of its first nn.Linear, as no points= were "
                "given: pass points= of the model's input width)")
    calls = record_calls(model, torch.as_tensor(np.asarray(points), dtype=dt), None, hint)
    check_chain(model, calls)
    return breakpoints_from(model, calls)


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
    dt = model_dtype(model)  # checks the model first
    seen: list[torch.Tensor] = []
    hooks = [
        m.register_forward_hook(lambda mod, inp, out: seen.append(out.detach().clone()))  # before in-place
        for m in model.modules()
        if isinstance(m, nn.Linear)
    ]
    try:
        forward_checked(model, torch.as_tensor(points, dtype=dt), caller)
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


def _check_breakpoints(breakpoints: Sequence[float]) -> tuple[float, ...]:
    try:
        bps = tuple(float(b) for b in breakpoints)
    except (TypeError, ValueError):
        bps = ()
    if not bps or not all(np.isfinite(bps)):
        raise ValueError(f"breakpoints must be a non-empty sequence of finite numbers, got {breakpoints!r}")
    return tuple(sorted(set(bps)))


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
        A chain of ``nn.Linear`` layers (the last one is the output), each hidden layer's
        output going straight into an activation; in eval mode.
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
    ValueError
        A model it would misread, found by one forward on two points
        (:func:`numeric.call_log.check_chain`), with or without ``breakpoints``: a linear call
        that is not an ``nn.Linear`` module's (``F.linear``, ``matmul``, a convolution), an
        activation whose input is not exactly an ``nn.Linear`` output (a shift, a batch norm
        between them), any other call on input-dependent values before the last layer
        (``maximum``, ``where``, products, norms); a dropout, batch norm or RReLU module in
        training mode (refused before any forward: call ``model.eval()``); a forward that
        raises. Without ``breakpoints``, as :func:`infer_breakpoints`.

    Examples
    --------
    >>> import torch
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 1), torch.nn.ReLU(), torch.nn.Linear(1, 1))
    >>> grid_patterns(net, window=1.0, res=8).n_patterns <= 2
    True
    """
    _check_grid(window, res)
    bps = None if breakpoints is None else _check_breakpoints(breakpoints)
    dt = model_dtype(model)  # a torch module, before its activations are looked for
    pts = grid_points(window, res)
    calls = record_calls(model, torch.as_tensor(pts[:2], dtype=dt), "grid_patterns")
    check_chain(model, calls)  # one forward on two points: a chain of nn.Linear layers and activations
    bps = bps or breakpoints_from(model, calls)
    ids = np.empty(len(pts), dtype=np.int64)
    table: dict[bytes, int] = {}
    rows: list[np.ndarray] = []
    for s in range(0, len(pts), chunk):
        zs = _preactivations(model, pts[s : s + chunk], "grid_patterns")
        piece = torch.cat([sum((z > b).to(torch.int8) for b in bps) for z in zs], dim=1).numpy() if zs else \
            np.zeros((len(pts[s : s + chunk]), 0), np.int8)  # no hidden layer: one pattern, the empty one
        uniq, inv = _unique_rows(piece, bits=len(bps).bit_length())
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

"""The linear layers of conv nets as exact maps on flattened inputs, and the shapes they produce.

A network that reads images is, sample by sample, a function of the flattened image:
each linear layer (Linear on the last axis, Conv1d/Conv2d, AvgPool, AdaptiveAvgPool,
eval-mode BatchNorm) is an affine map on the flattened values (in torch's row-major
order), which these functions build exactly as :class:`~exact.sparse_affine.SparseAffine`
maps from the layer's parameters and the per-sample input shape (without the batch axis).
The entries are the layers' float weights at their exact values, the averages'
weights the exact rationals ``1/divisor`` that torch divides by, and BatchNorm's scale
and shift the float64 values torch's eval forward computes (see :func:`batch_norm_map`).

Examples
--------
>>> import numpy as np
>>> f, shape = avg_pool_map((1, 2, 2), kernel=(2, 2), stride=(2, 2), padding=(0, 0))
>>> shape, f.den, f.nums.tolist()
((1, 1, 1), 4, [1, 1, 1, 1])
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from .errors import InputError, ResourceLimitError
from .sparse_affine import MAX_DENSE_WEIGHTS, SparseAffine

__all__ = ["adaptive_avg_pool_map", "avg_pool_map", "batch_norm_map", "batch_norm_scale", "conv_map",
           "flatten_shape", "linear_map", "reshape_shape", "unflatten_shape"]

PADDING_MODES = ("zeros", "circular", "reflect", "replicate")
"""Padding modes of a convolution read exactly (each pads by copying inputs: a linear map)."""


def _grid(sizes: Sequence[int]) -> np.ndarray:
    """Row-major flat index of each multi-index of an array of ``sizes``: shape ``sizes``."""
    return np.arange(math.prod(sizes), dtype=np.int64).reshape(tuple(sizes))


def _guard(n_entries: int, label: str) -> None:
    if n_entries > MAX_DENSE_WEIGHTS:
        raise ResourceLimitError(f"{label} gives a layer of {n_entries:,} weights on this input, more than "
                                 "the "
                                 f"{MAX_DENSE_WEIGHTS:,} exactnet reads (networks are read as dense MLPs)")


def linear_map(W: np.ndarray, b: np.ndarray, shape: tuple[int, ...], label: str = "Linear"
               ) -> tuple[SparseAffine, tuple[int, ...]]:
    """Build ``x -> x W^T + b`` on the last axis of a per-sample ``shape`` (what ``nn.Linear`` computes).

    Parameters
    ----------
    W : ndarray, shape (out, in)
        Finite float64 weights.
    b : ndarray, shape (out,)
        Finite float64 bias.
    shape : tuple of int
        The per-sample input shape; its last entry must be ``in``.
    label : str, optional
        Names the layer in messages.

    Returns
    -------
    SparseAffine
        On the flattened input.
    tuple of int
        The output shape: ``shape`` with its last entry replaced by ``out``.

    Raises
    ------
    InputError
        ``shape[-1] != in``.

    Examples
    --------
    >>> f, shape = linear_map(np.array([[1.0, 2.0]]), np.array([0.5]), (3, 2))
    >>> shape, f.shape
    ((3, 1), (3, 6))
    """
    out, inp = W.shape
    if not shape or shape[-1] != inp:
        raise InputError(f"{label} expects {inp} features in its last dimension, but its input has shape "
                         f"{shape}")
    _guard(math.prod(shape[:-1]) * out * inp, label)
    prefix = math.prod(shape[:-1])
    o, j = np.nonzero(W)
    p = np.arange(prefix, dtype=np.int64)[:, None]
    rows, cols = (p * out + o).ravel(), (p * inp + j).ravel()
    vals = np.broadcast_to(W[o, j], (prefix, len(o))).ravel()
    return SparseAffine.from_floats(rows, cols, vals, np.tile(b, prefix), (prefix * out, prefix * inp)), \
        shape[:-1] + (out,)


def _tap_indices(S: int, O: int, K: int, stride: int, left: int, dil: int, mode: str) -> np.ndarray:
    """Input index read by each (output position, kernel tap) along one axis; -1 for zero padding."""
    pos = np.arange(O, dtype=np.int64)[:, None] * stride - left + np.arange(K, dtype=np.int64)[None, :] * dil
    if mode == "zeros":
        return np.where((pos >= 0) & (pos < S), pos, -1)
    if mode == "circular":
        return pos % S
    if mode == "replicate":
        return np.clip(pos, 0, S - 1)
    period = 2 * (S - 1)  # reflect, without repeating the edge: -1 -> 1, S -> S - 2
    if period == 0:
        return np.zeros_like(pos)
    r = pos % period
    return np.where(r < S, r, period - r)


def conv_map(W: np.ndarray, b: np.ndarray | None, shape: tuple[int, ...], stride: Sequence[int],
             padding: Sequence[tuple[int, int]], dilation: Sequence[int], groups: int = 1,
             padding_mode: str = "zeros", label: str = "Conv") -> tuple[SparseAffine, tuple[int, ...]]:
    """Build a convolution (``nn.Conv1d``/``nn.Conv2d``) as an exact map on the flattened input.

    Parameters
    ----------
    W : ndarray, shape (C_out, C_in / groups, *kernel)
        Finite float64 weights.
    b : ndarray of shape (C_out,) or None
        The bias.
    shape : tuple of int
        Per-sample input shape ``(C_in, *spatial)``, one spatial size per kernel axis.
    stride, dilation : sequence of int
        One per spatial axis.
    padding : sequence of (int, int)
        ``(before, after)`` per spatial axis (``'same'`` resolved by the caller).
    groups : int, optional
        Channel groups.
    padding_mode : {'zeros', 'circular', 'reflect', 'replicate'}, optional
        How the padding is filled; each is a linear map of the input.
    label : str, optional
        Names the layer in messages.

    Returns
    -------
    SparseAffine
        Its entries are the weights; with a non-zero padding mode a weight that reads a
        padded copy of an input is added to that input's entry, exactly.
    tuple of int
        The output shape ``(C_out, *out_spatial)``.

    Raises
    ------
    InputError
        A shape that does not fit the kernel: wrong channels or rank, an empty output, a
        padding wider than torch allows for the mode.

    Examples
    --------
    >>> f, shape = conv_map(np.ones((1, 1, 2)), None, (1, 3), stride=[1], padding=[(0, 0)], dilation=[1])
    >>> shape, f.shape, f.nnz
    ((1, 2), (2, 3), 4)
    """
    c_out, c_g = W.shape[:2]
    K = W.shape[2:]
    if len(shape) != len(K) + 1 or shape[0] != c_g * groups:
        stars = ", ".join("*" * len(K))
        raise InputError(f"{label} expects input of shape ({c_g * groups}, {stars}) per sample "
                         f"(channels, then {len(K)} spatial sizes), got {shape}")
    S, K = tuple(shape[1:]), tuple(K)
    O = tuple(_conv_size(S[d], K[d], stride[d], padding[d], dilation[d], padding_mode, shape, label)
              for d in range(len(K)))
    _guard(c_out * math.prod(O) * math.prod(shape), label)
    P, T, area = math.prod(O), math.prod(K), math.prod(S)
    in_pos, valid = _tap_grid(S, O, K, stride, padding, dilation, padding_mode)
    Wf = W.reshape(c_out, c_g, T)
    oc, cl, t = np.nonzero(Wf)
    ch = (oc // (c_out // groups)) * c_g + cl  # the input channel each weight reads
    keep = valid[:, t]  # shape (P, nnz(W))
    p_idx = np.broadcast_to(np.arange(P, dtype=np.int64)[:, None], keep.shape)[keep]
    w_idx = np.broadcast_to(np.arange(len(oc))[None, :], keep.shape)[keep]
    rows = oc[w_idx] * P + p_idx
    cols = ch[w_idx] * area + in_pos[p_idx, t[w_idx]]
    bias = np.repeat(b if b is not None else np.zeros(c_out), P)
    return SparseAffine.from_floats(rows, cols, Wf[oc, cl, t][w_idx], bias, (c_out * P, shape[0] * area)), \
        (c_out, *O)


def _conv_size(S: int, K: int, stride: int, pad: tuple[int, int], dil: int, mode: str, shape: tuple[int, ...],
               label: str) -> int:
    """Check one spatial axis of a convolution and return its output size."""
    left, right = pad
    if mode != "zeros" and max(left, right) > (S - 1 if mode == "reflect" else S):
        raise InputError(f"{label}: padding {max(left, right)} with padding_mode={mode!r} is wider than the "
                         f"input's size {S} allows")
    O = (S + left + right - dil * (K - 1) - 1) // stride + 1
    if O < 1:
        raise InputError(f"{label}: the kernel does not fit the input {shape} (output size {O})")
    return O


def _tap_grid(S: tuple[int, ...], O: tuple[int, ...], K: tuple[int, ...], stride: Sequence[int],
              padding: Sequence[tuple[int, int]], dilation: Sequence[int], mode: str
              ) -> tuple[np.ndarray, np.ndarray]:
    """Return the flat spatial input index each kernel tap reads at each output position.

    ``in_pos[p, t]`` for output position ``p`` and tap ``t``, and ``valid[p, t]``: whether it
    reads an input at all (not zero padding).
    """
    n = len(K)
    in_pos, valid = np.zeros([1] * 2 * n, dtype=np.int64), np.ones([1] * 2 * n, dtype=bool)
    for d in range(n):
        view = [1] * 2 * n
        view[d], view[n + d] = O[d], K[d]
        idx = _tap_indices(S[d], O[d], K[d], stride[d], padding[d][0], dilation[d], mode).reshape(view)
        in_pos = in_pos * S[d] + np.maximum(idx, 0)
        valid = valid & (idx >= 0)
    P, T = math.prod(O), math.prod(K)
    return np.broadcast_to(in_pos, O + K).reshape(P, T), np.broadcast_to(valid, O + K).reshape(P, T)


def _pool_windows(S: int, K: int, stride: int, pad: int, ceil_mode: bool) -> tuple[np.ndarray, ...]:
    """Per output position along one axis: window start and end (clipped), and torch's pool size."""
    O = (S + 2 * pad - K + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (O - 1) * stride >= S + pad:
        O -= 1
    i0 = np.arange(O, dtype=np.int64) * stride - pad
    i1 = np.minimum(i0 + K, S + pad)
    return np.maximum(i0, 0), np.minimum(i1, S), i1 - i0


def _window_map(shape: tuple[int, ...], windows: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
                divisor: Any, label: str) -> tuple[SparseAffine, tuple[int, ...]]:
    """Build the map averaging each window: ``out = sum(window) / divisor(sizes, counts)``, per channel."""
    C, S = shape[0], shape[1:]
    O = tuple(len(w[0]) for w in windows)
    if min(O, default=1) < 1:
        raise InputError(f"{label}: the window does not fit the input {shape}")
    _guard(C * math.prod(O) * math.prod(S), label)
    rows, cols, vals = [], [], []
    grid, out_grid = _grid(S), _grid(O)
    for out_idx in np.ndindex(*O):
        lo = [int(w[0][i]) for w, i in zip(windows, out_idx)]
        hi = [int(w[1][i]) for w, i in zip(windows, out_idx)]
        count = math.prod(h - l for l, h in zip(lo, hi))
        if count <= 0:
            continue  # the window lies in the padding: torch writes 0
        size = math.prod(int(w[2][i]) for w, i in zip(windows, out_idx))
        inside = grid[tuple(slice(l, h) for l, h in zip(lo, hi))].ravel()
        rows.append(np.full(len(inside), out_grid[out_idx]))
        cols.append(inside)
        vals.append(Fraction(1, divisor(size, count)))
    per_chan = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    cols_c = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    reps = [len(r) for r in rows]
    P, area = math.prod(O), math.prod(S)
    c = np.arange(C, dtype=np.int64)[:, None]
    all_vals = [v for v, k in zip(vals, reps) for _ in range(k)] * C
    return SparseAffine.from_fractions((c * P + per_chan).ravel(), (c * area + cols_c).ravel(), all_vals,
                                       [Fraction(0)] * (C * P), (C * P, C * area)), (C, *O)


def avg_pool_map(shape: tuple[int, ...], kernel: Sequence[int], stride: Sequence[int], padding: Sequence[int],
                 ceil_mode: bool = False, count_include_pad: bool = True, divisor_override: int | None = None,
                 label: str = "AvgPool") -> tuple[SparseAffine, tuple[int, ...]]:
    """Build an average pooling (``nn.AvgPool1d``/``nn.AvgPool2d``) as an exact map, with torch's divisors.

    Parameters
    ----------
    shape : tuple of int
        Per-sample input shape ``(C, *spatial)``.
    kernel, stride, padding : sequence of int
        One per spatial axis.
    ceil_mode, count_include_pad : bool, optional
        As in torch.
    divisor_override : int, optional
        As in ``nn.AvgPool2d``.
    label : str, optional
        Names the layer in messages.

    Returns
    -------
    SparseAffine
        Each output is the exact ``sum(window) / divisor`` (torch divides the float sum by
        the same integer).
    tuple of int
        The output shape.

    Raises
    ------
    InputError
        A shape of the wrong rank or a window that does not fit.

    Examples
    --------
    >>> f, shape = avg_pool_map((1, 3), kernel=[3], stride=[3], padding=[1], count_include_pad=False)
    >>> shape, [Fraction(int(v), f.den) for v in f.nums]
    ((1, 1), [Fraction(1, 2), Fraction(1, 2)])
    """
    if len(shape) != len(kernel) + 1:
        raise InputError(f"{label} expects input of shape (C, {', '.join('*' * len(kernel))}) per sample, "
                         f"got {shape}")
    windows = [_pool_windows(s, k, st, p, ceil_mode)
               for s, k, st, p in zip(shape[1:], kernel, stride, padding)]

    def divisor(size: int, count: int) -> int:
        return divisor_override or (size if count_include_pad else count)

    return _window_map(shape, windows, divisor, label)


def adaptive_avg_pool_map(shape: tuple[int, ...], output_size: Sequence[int | None],
                          label: str = "AdaptiveAvgPool") -> tuple[SparseAffine, tuple[int, ...]]:
    """Build an adaptive average pooling as an exact map: windows ``[floor(iS/O), ceil((i+1)S/O))``.

    Parameters
    ----------
    shape : tuple of int
        Per-sample input shape ``(C, *spatial)``.
    output_size : sequence of int or None
        One per spatial axis; None keeps the input's size.
    label : str, optional
        Names the layer in messages.

    Returns
    -------
    SparseAffine
    tuple of int
        The output shape.

    Raises
    ------
    InputError
        A shape of the wrong rank.

    Examples
    --------
    >>> f, shape = adaptive_avg_pool_map((2, 3), [1])
    >>> shape, f.den
    ((2, 1), 3)
    """
    if len(shape) != len(output_size) + 1:
        stars = ", ".join("*" * len(output_size))
        raise InputError(f"{label} expects input of shape (C, {stars}) per sample, "
                         f"got {shape}")
    windows = []
    for S, O in zip(shape[1:], output_size):
        O = S if O is None else O
        i = np.arange(O, dtype=np.int64)
        lo, hi = (i * S) // O, -((-(i + 1) * S) // O)
        windows.append((lo, hi, hi - lo))
    return _window_map(shape, windows, lambda size, count: count, label)


def batch_norm_scale(mean: np.ndarray, var: np.ndarray, weight: np.ndarray | None, bias: np.ndarray | None,
                     eps: float, label: str = "BatchNorm") -> tuple[np.ndarray, np.ndarray]:
    """Compute BatchNorm's per-channel scale and shift in float64, as torch's eval forward does.

    Parameters
    ----------
    mean, var : ndarray, shape (C,)
        The running statistics (float64).
    weight, bias : ndarray of shape (C,) or None
        The affine parameters (None: 1 and 0).
    eps : float
        Added to the variance.
    label : str, optional
        Names the layer in messages.

    Returns
    -------
    alpha, beta : ndarray, shape (C,)
        ``alpha = weight * (1 / sqrt(var + eps))``, each operation rounded to float64
        (IEEE ``sqrt`` and division are correctly rounded), and ``beta = bias - mean *
        alpha`` rounded once; the layer computes ``x * alpha + beta``.

    Raises
    ------
    InputError
        For some channel ``var + eps`` is not positive (a negative running variance, or
        zero with ``eps = 0``: the scale is NaN or infinite), or ``alpha`` or ``beta``
        overflows float64.  The message names the layer, the channel and the values.

    Notes
    -----
    These are the values torch's CPU kernel computes in float64 (``invstd * weight``, then
    ``bias - mean * alpha``, which its vectorised builds fuse into one rounding; its plain
    build rounds the product too, one ulp away at most, within the forward check's
    tolerance).  ``sqrt(var + eps)`` is irrational in general: the folded network, with
    these float64 values taken exactly, is the one analysed exactly.

    Examples
    --------
    >>> batch_norm_scale(np.array([1.0]), np.array([3.0]), None, None, 1.0)
    (array([0.5]), array([-0.5]))
    """
    with np.errstate(all="ignore"):
        denom = var + np.float64(eps)
        invstd = 1.0 / np.sqrt(denom)
        alpha = invstd * (weight if weight is not None else 1.0)
    b = bias if bias is not None else np.zeros_like(alpha)
    for c in range(len(alpha)):
        if not denom[c] > 0 or not np.isfinite(alpha[c]):
            why = "is not positive, so 1 / sqrt(var + eps) is not a finite real" if not denom[c] > 0 else (
                f"gives the scale weight / sqrt(var + eps) = {float(alpha[c])!r}, beyond float64")
            raise InputError(f"{label}: channel {c} has running_var {float(var[c])!r} and eps {eps!r}: "
                             f"var + eps = {float(denom[c])!r} {why}; fix the running statistics (or eps)")
    beta = np.array([_fused_shift(bi, mi, ai, c, label) for c, (bi, mi, ai)
                     in enumerate(zip(b.tolist(), mean.tolist(), alpha.tolist()))], dtype=np.float64)
    return alpha, beta


def _fused_shift(b: float, m: float, a: float, c: int, label: str) -> float:
    """Return ``b - m * a`` rounded once (a fused multiply-add); InputError if it overflows float64."""
    try:
        return float(Fraction(b) - Fraction(m) * Fraction(a))
    except OverflowError:
        raise InputError(f"{label}: channel {c} has the shift bias - running_mean * scale = {b!r} - {m!r} * "
                         f"{a!r}, beyond float64; fix the running statistics") from None


def batch_norm_map(shape: tuple[int, ...], alpha: np.ndarray, beta: np.ndarray, label: str = "BatchNorm"
                   ) -> tuple[SparseAffine, tuple[int, ...]]:
    """Build an eval-mode BatchNorm as the exact map ``x -> x * alpha[c] + beta[c]`` on channel ``c``.

    Parameters
    ----------
    shape : tuple of int
        Per-sample input shape ``(C, *rest)``.
    alpha, beta : ndarray, shape (C,)
        From :func:`batch_norm_scale`; taken at their exact float64 values.
    label : str, optional
        Names the layer in messages.

    Returns
    -------
    SparseAffine
        Diagonal.
    tuple of int
        ``shape``.

    Raises
    ------
    InputError
        ``shape[0] != C``.

    Examples
    --------
    >>> f, shape = batch_norm_map((2,), np.array([0.5, 2.0]), np.array([1.0, 0.0]))
    >>> f.nnz, shape
    (2, (2,))
    """
    if not shape or shape[0] != len(alpha):
        raise InputError(f"{label} normalises {len(alpha)} channels, but its input has shape {shape} "
                         "per sample")
    n, per = math.prod(shape), math.prod(shape[1:])
    idx = np.arange(n, dtype=np.int64)
    return SparseAffine.from_floats(idx, idx, np.repeat(alpha, per), np.repeat(beta, per), (n, n)), shape


def _dim(d: int, ndim: int, label: str, what: str) -> int:
    """Turn a dimension of the batched tensor (``ndim`` dims, batch first) into a per-sample axis."""
    k = d + ndim if d < 0 else d
    if not 0 <= k < ndim:
        raise InputError(f"{label}: {what} {d} is out of range for a tensor of {ndim} dimensions")
    if k == 0:
        raise InputError(f"{label}: {what} {d} is the batch dimension; only the features of each sample "
                         "may be reshaped")
    return k - 1


def flatten_shape(shape: tuple[int, ...], start_dim: int = 1, end_dim: int = -1, label: str = "Flatten"
                  ) -> tuple[int, ...]:
    """Give the per-sample shape after ``torch.flatten(x, start_dim, end_dim)`` (batched dims).

    Parameters
    ----------
    shape : tuple of int
        Per-sample shape.
    start_dim, end_dim : int, optional
        As in torch; the batch dimension 0 may not be merged.
    label : str, optional
        Names the operation in messages.

    Returns
    -------
    tuple of int

    Raises
    ------
    InputError
        Merging the batch dimension, or dims out of range.

    Examples
    --------
    >>> flatten_shape((3, 4, 5)), flatten_shape((3, 4, 5), 2)
    ((60,), (3, 20))
    """
    a = _dim(start_dim, len(shape) + 1, label, "start_dim")
    b = _dim(end_dim, len(shape) + 1, label, "end_dim")
    if a > b:
        return shape
    return shape[:a] + (math.prod(shape[a:b + 1]),) + shape[b + 1:]


def unflatten_shape(shape: tuple[int, ...], dim: int, sizes: Sequence[int], label: str = "Unflatten"
                    ) -> tuple[int, ...]:
    """Give the per-sample shape after ``x.unflatten(dim, sizes)`` (``dim`` of the batched tensor).

    Parameters
    ----------
    shape : tuple of int
        Per-sample shape.
    dim : int
        The dimension split.
    sizes : sequence of int
        Its new sizes (one may be -1).
    label : str, optional
        Names the operation in messages.

    Returns
    -------
    tuple of int

    Raises
    ------
    InputError
        Sizes whose product is not the dimension's size, or the batch dimension.

    Examples
    --------
    >>> unflatten_shape((64,), 1, (1, 8, 8))
    (1, 8, 8)
    """
    k = _dim(dim, len(shape) + 1, label, "dim")
    return shape[:k] + _resolve_sizes(shape[k], sizes, label) + shape[k + 1:]


def reshape_shape(shape: tuple[int, ...], sizes: Sequence[int], label: str = "view") -> tuple[int, ...]:
    """Give the per-sample shape after ``x.view(-1, *sizes)`` / ``x.reshape(batch, *sizes)``.

    Parameters
    ----------
    shape : tuple of int
        Per-sample shape.
    sizes : sequence of int
        The new per-sample sizes (the batch entry removed); one may be -1.
    label : str, optional
        Names the operation in messages.

    Returns
    -------
    tuple of int

    Raises
    ------
    InputError
        Sizes whose product is not the sample's size (the batch would be regrouped).

    Examples
    --------
    >>> reshape_shape((4, 4, 4), (-1,))
    (64,)
    """
    return _resolve_sizes(math.prod(shape), sizes, label)


def _resolve_sizes(n: int, sizes: Sequence[int], label: str) -> tuple[int, ...]:
    sizes = tuple(int(s) for s in sizes)
    free = [i for i, s in enumerate(sizes) if s == -1]
    known = math.prod(s for s in sizes if s != -1)
    if len(free) > 1 or any(s < -1 or s == 0 for s in sizes) or (free and (known == 0 or n % known)) \
            or (not free and known != n):
        raise InputError(f"{label}: sizes {sizes} do not reshape the {n} values of each sample")
    return tuple(n // known if s == -1 else s for s in sizes)

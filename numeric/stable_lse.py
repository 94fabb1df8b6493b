"""Stable log-sum-exp, softmax and log-softmax with inverse temperature λ.

    lse(x; λ) = (1/λ) log Σ_j exp(λ x_j),   softmax(x; λ)_k = exp(λ x_k) / Σ_j exp(λ x_j)

The same names work on numpy arrays and torch tensors (dispatch on type).

How the hard cases are handled
------------------------------
* Shift by the dominant entry ``m`` (the max for λ > 0, the min for λ < 0) *before*
  multiplying by λ, so ``λ (x - m) <= 0`` never overflows: ``λ = 1e306`` is fine.
* The dominant term contributes exactly 1; the others are summed separately and added
  with ``log1p``, so ``lse([0, -40]) = 4.248e-18`` instead of 0.
* ``λ = +inf`` gives the max and the uniform distribution over the maximisers (one-hot
  without ties), ``λ = -inf`` the min/argmin; ``λ = 0`` gives the uniform softmax, while
  ``logsumexp`` raises (its limit is ±∞).
* ``+inf`` entries (for λ > 0) take all the mass, uniformly; ``-inf`` entries get 0.
  When every entry is ``-inf`` the policy is the limit of equal entries: lse ``-inf``,
  softmax uniform, gradient uniform (finite).  NaN propagates to its slice.
* Empty input along ``axis``: lse ``-inf`` (the empty sum is 0), softmax empty.
* float16/bfloat16 are computed in float32 and cast back; integers and bools are
  promoted to the default float type.
* torch: a custom autograd backward uses the stable softmax (never ``exp(x - out)``).

Examples
--------
>>> import numpy as np
>>> float(logsumexp(np.array([1e3, 1.0]), lam=1e306))
1000.0
>>> float(logsumexp(np.array([0.0, -40.0])))
4.248354255291589e-18
>>> softmax(np.array([1.0, 3.0, 3.0]), lam=np.inf).tolist()
[0.0, 0.5, 0.5]
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["logsumexp", "softmax", "log_softmax"]


def _is_torch(x: Any) -> bool:
    return type(x).__module__.startswith("torch")


def _check_lam(lam: Any) -> float:
    if isinstance(lam, bool) or not isinstance(lam, (int, float, np.integer, np.floating)):
        raise TypeError(f"lam must be a real number, got {type(lam).__name__} {lam!r}")
    lam = float(lam)
    if math.isnan(lam):
        raise ValueError("lam must not be NaN")
    return lam


# ---------------------------------------------------------------------------------------
# numpy
# ---------------------------------------------------------------------------------------


def _np_prepare(x: Any) -> tuple[np.ndarray, np.dtype]:
    a = np.asarray(x)
    if a.dtype.kind == "c":
        raise TypeError(f"x must be real, got complex dtype {a.dtype}")
    if a.dtype.kind in "OUSV":
        raise TypeError(f"x must be a real array, got dtype {a.dtype}")
    if a.ndim == 0:
        raise ValueError("x must have at least one dimension")
    if a.dtype.kind in "biu":
        return a.astype(np.float64), np.dtype(np.float64)
    if a.dtype == np.float16:
        return a.astype(np.float32), np.dtype(np.float16)
    return a, a.dtype


_SPLIT = 134217729.0  # 2**27 + 1, Veltkamp's splitter for float64


def _exp_correction(a, m, lam: float, d, z, where, isfinite):
    """First-order correction c with exp(λ (a - m)) ≈ exp(z) (1 + c), float64 only.

    ``z = fl(λ fl(a - m))`` carries the rounding errors of the subtraction and the
    product; TwoSum and Dekker's TwoProduct recover them exactly, which keeps softmax
    within a few ulp even where ``|z|`` is large.  Non-finite spots get 0.
    """
    t = a - m
    bb = t - a
    d_lo = (a - (t - bb)) + (-m - bb)
    c = lam * _SPLIT
    lam_hi = c - (c - lam)
    lam_lo = lam - lam_hi
    cd = d * _SPLIT
    d_hi = cd - (cd - d)
    d_lo2 = d - d_hi
    p_err = ((lam_hi * d_hi - z) + lam_hi * d_lo2 + lam_lo * d_hi) + lam_lo * d_lo2
    corr = p_err + lam * where(d == 0, 0.0, d_lo)
    ok = isfinite(corr) & isfinite(z) & isfinite(d * _SPLIT) & (d != 0)
    return where(ok, corr, 0.0)


def _np_core(a: np.ndarray, lam: float, axis: int):
    """Return (m, z, e, s_rest) for finite nonzero lam: m dominant, z = lam (a - m), e = exp(z)."""
    m = np.max(a, axis=axis, keepdims=True) if lam > 0 else np.min(a, axis=axis, keepdims=True)
    with np.errstate(invalid="ignore", over="ignore"):
        d = np.where(a == m, 0, a - m)
        z = np.where(d == 0, 0, d * a.dtype.type(lam) if abs(lam) < np.finfo(a.dtype).max else d * np.inf)
        e = np.exp(z)
        if a.dtype == np.float64 and abs(lam) < 1e290:
            e = e + e * _exp_correction(a, m, lam, d, z, np.where, np.isfinite)
    # the dominant term is exactly 1; exclude one occurrence of it from the rest
    idx = np.argmax(a == m, axis=axis)
    idx = np.expand_dims(idx, axis)
    rest = e.copy()
    np.put_along_axis(rest, idx, 0, axis=axis)
    s_rest = np.sum(rest, axis=axis, keepdims=True)
    return m, z, e, s_rest


def _np_tie_weights(a: np.ndarray, lam: float, axis: int) -> np.ndarray:
    m = np.max(a, axis=axis, keepdims=True) if lam > 0 else np.min(a, axis=axis, keepdims=True)
    hit = (a == m).astype(a.dtype)
    with np.errstate(invalid="ignore"):
        w = hit / np.sum(hit, axis=axis, keepdims=True)
    return np.where(np.isnan(m), np.nan, w)


def _np_logsumexp(x: Any, lam: float, axis: int) -> np.ndarray:
    a, out_dtype = _np_prepare(x)
    if a.shape[axis] == 0:
        shape = list(a.shape)
        del shape[axis]
        return np.full(shape, -np.inf, dtype=out_dtype)
    if lam == 0:
        raise ValueError("logsumexp with lam = 0 is undefined: (1/λ) log n -> ±inf as λ -> 0±")
    if math.isinf(lam):
        r = np.max(a, axis=axis) if lam > 0 else np.min(a, axis=axis)
        return r.astype(out_dtype)
    m, _, _, s_rest = _np_core(a, lam, axis)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        r = m + np.log1p(s_rest) / a.dtype.type(lam)
    r = np.squeeze(r, axis=axis)
    return r.astype(out_dtype)


def _np_softmax(x: Any, lam: float, axis: int) -> np.ndarray:
    a, out_dtype = _np_prepare(x)
    if a.shape[axis] == 0:
        return a.astype(out_dtype)
    if lam == 0:
        n = a.shape[axis]
        nanrow = np.any(np.isnan(a), axis=axis, keepdims=True)
        return np.where(nanrow, np.nan, np.full(a.shape, 1.0 / n, dtype=a.dtype)).astype(out_dtype)
    if math.isinf(lam):
        return _np_tie_weights(a, lam, axis).astype(out_dtype)
    _, _, e, s_rest = _np_core(a, lam, axis)
    with np.errstate(invalid="ignore"):
        p = e / (1 + s_rest)
    return p.astype(out_dtype)


def _np_log_softmax(x: Any, lam: float, axis: int) -> np.ndarray:
    a, out_dtype = _np_prepare(x)
    if a.shape[axis] == 0:
        return a.astype(out_dtype)
    if lam == 0 or math.isinf(lam):
        with np.errstate(divide="ignore"):
            return np.log(_np_softmax(a, lam, axis)).astype(out_dtype)
    _, z, _, s_rest = _np_core(a, lam, axis)
    return (z - np.log1p(s_rest)).astype(out_dtype)


# ---------------------------------------------------------------------------------------
# torch
# ---------------------------------------------------------------------------------------


def _torch_prepare(x):
    import torch

    if x.is_complex():
        raise TypeError(f"x must be real, got complex dtype {x.dtype}")
    if not x.is_floating_point():
        return x.to(torch.get_default_dtype()), torch.get_default_dtype()
    if x.dtype in (torch.float16, torch.bfloat16):
        return x.float(), x.dtype
    return x, x.dtype


def _torch_fast(a, lam: float, dim: int, need_p: bool):
    """Fast path for float32 with finite nonzero λ and finite dominant entries; None otherwise.

    Four passes (max, scaled shift, exp, sum); the exact-rest sum for log1p is redone only
    for inputs where ``Σ exp - 1`` would cancel (fewer than ~1.5 effective terms).
    """
    import torch

    if a.dtype != torch.float32 or not abs(lam) < torch.finfo(a.dtype).max:
        return None
    m = a.amax(dim=dim, keepdim=True) if lam > 0 else a.amin(dim=dim, keepdim=True)
    if not bool(torch.isfinite(m).all()):
        return None
    e = (a - m).mul_(lam).exp_()
    s = e.sum(dim=dim, keepdim=True)
    s_rest = s - 1
    if bool((s_rest < 0.5).any()):  # cancellation in s - 1: sum the non-dominant terms instead
        idx = a.argmax(dim=dim, keepdim=True) if lam > 0 else a.argmin(dim=dim, keepdim=True)
        s_rest = e.scatter(dim, idx, 0.0).sum(dim=dim, keepdim=True)
    lse = (m + torch.log1p(s_rest) / lam).squeeze(dim)
    return (e.div_(s) if need_p else None), lse


def _torch_weights(a, lam: float, dim: int, need_p: bool = True):
    """Stable softmax of a (float32/64 tensor, no autograd) and the lse, both finite-safe."""
    import torch

    if lam != 0 and not math.isinf(lam):
        fast = _torch_fast(a, lam, dim, need_p)
        if fast is not None:
            return fast
    n = a.shape[dim]
    if lam == 0:
        nanrow = torch.isnan(a).any(dim=dim, keepdim=True)
        p = torch.full_like(a, 1.0 / n).masked_fill(nanrow, float("nan"))
        return p, None
    if math.isinf(lam):
        m = a.amax(dim=dim, keepdim=True) if lam > 0 else a.amin(dim=dim, keepdim=True)
        hit = (a == m).to(a.dtype)
        p = hit / hit.sum(dim=dim, keepdim=True)
        p = p.masked_fill(torch.isnan(m), float("nan"))
        return p, m.squeeze(dim)
    m, idx = (a.max(dim=dim, keepdim=True) if lam > 0 else a.min(dim=dim, keepdim=True))
    d = torch.where(a == m, torch.zeros((), dtype=a.dtype), a - m)
    if abs(lam) < torch.finfo(a.dtype).max:
        z = d * lam
    else:
        z = d * math.copysign(math.inf, lam)
    z = torch.where(d == 0, torch.zeros((), dtype=a.dtype), z)
    e = torch.exp(z)
    if a.dtype == torch.float64 and abs(lam) < 1e290:
        e = e + e * _exp_correction(a, m, lam, d, z, torch.where, torch.isfinite)
    rest = e.scatter(dim, idx, 0.0)
    s_rest = rest.sum(dim=dim, keepdim=True)
    p = e / (1 + s_rest)
    lse = (m + torch.log1p(s_rest) / lam).squeeze(dim)
    return p, lse


def _lse_function():
    import torch

    class _LSE(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a, lam, dim):
            need = bool(ctx.needs_input_grad[0])
            p, lse = _torch_weights(a, lam, dim, need_p=need)
            if need:
                ctx.save_for_backward(a, p)
            ctx.lam, ctx.dim = lam, dim
            return lse

        @staticmethod
        def backward(ctx, g):
            a, p = ctx.saved_tensors
            if torch.is_grad_enabled():  # create_graph: keep the gradient differentiable (Hessians)
                p = _fn("softmax").apply(a, ctx.lam, ctx.dim)
            return g.unsqueeze(ctx.dim) * p, None, None

    return _LSE


def _softmax_function():
    import torch

    class _Softmax(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a, lam, dim):
            p, _ = _torch_weights(a, lam, dim)
            ctx.save_for_backward(a, p)
            ctx.lam, ctx.dim = lam, dim
            return p

        @staticmethod
        def backward(ctx, g):
            a, p = ctx.saved_tensors
            if math.isinf(ctx.lam) or ctx.lam == 0:
                return torch.zeros_like(g), None, None  # piecewise constant in x
            if torch.is_grad_enabled():  # create_graph: differentiable backward
                p = _fn("softmax").apply(a, ctx.lam, ctx.dim)
            inner = (g * p).sum(dim=ctx.dim, keepdim=True)
            if torch.is_grad_enabled():
                return ctx.lam * p * (g - inner), None, None
            out = (g - inner).mul_(p)  # in place: two fewer temporaries on the hot path
            return (out.mul_(ctx.lam) if ctx.lam != 1 else out), None, None

    return _Softmax


_FUNCS: dict[str, Any] = {}


def _fn(name: str):
    if name not in _FUNCS:
        _FUNCS["lse"] = _lse_function()
        _FUNCS["softmax"] = _softmax_function()
    return _FUNCS[name]


def _torch_input(x, dim: int):
    """Promoted tensor, dtype to return, axis normalised; refuses 0-d input."""
    a, out_dtype = _torch_prepare(x)
    if a.dim() == 0:
        raise ValueError("x must have at least one dimension")
    return a, out_dtype, dim % a.dim()


def _torch_logsumexp(x, lam: float, dim: int):
    import torch

    a, out_dtype, dim = _torch_input(x, dim)
    if a.shape[dim] == 0:
        shape = list(a.shape)
        del shape[dim]
        return torch.full(shape, -math.inf, dtype=out_dtype, device=a.device)
    if lam == 0:
        raise ValueError("logsumexp with lam = 0 is undefined: (1/λ) log n -> ±inf as λ -> 0±")
    return _fn("lse").apply(a, lam, dim).to(out_dtype)


def _torch_softmax(x, lam: float, dim: int):
    a, out_dtype, dim = _torch_input(x, dim)
    if a.shape[dim] == 0:
        return a.to(out_dtype)
    return _fn("softmax").apply(a, lam, dim).to(out_dtype)


def _torch_log_softmax(x, lam: float, dim: int):
    import torch

    a, out_dtype, dim = _torch_input(x, dim)
    if a.shape[dim] == 0:
        return a.to(out_dtype)
    if lam == 0 or math.isinf(lam):
        return torch.log(_torch_softmax(a, lam, dim)).to(out_dtype)
    return _torch_log_softmax_stable(a, lam, dim).to(out_dtype)


def _torch_log_softmax_stable(a, lam: float, dim: int):
    import torch

    lse = _fn("lse").apply(a, lam, dim).unsqueeze(dim)
    m = a.amax(dim=dim, keepdim=True) if lam > 0 else a.amin(dim=dim, keepdim=True)
    # λ x - λ lse = λ (x - m) - log1p(rest), computed without forming λ x
    d = torch.where(a == m, torch.zeros((), dtype=a.dtype), a - m)
    shift = torch.where(lse == m, torch.zeros((), dtype=a.dtype), lse - m)
    return lam * d - lam * shift


# ---------------------------------------------------------------------------------------
# public
# ---------------------------------------------------------------------------------------


def logsumexp(x: Any, lam: float = 1.0, axis: int = -1):
    """Log-sum-exp with inverse temperature: ``(1/λ) log Σ exp(λ x)`` along ``axis``.

    Parameters
    ----------
    x : array_like or torch.Tensor
        Input; numpy in, numpy out; torch in, torch out (differentiable).
    lam : float, default 1
        Inverse temperature λ; ``±inf`` gives max/min.  ``0`` raises.
    axis : int, default -1
        Axis to reduce.

    Returns
    -------
    ndarray or Tensor
        ``x``'s shape without ``axis``; float16/bfloat16 inputs keep their dtype.

    Raises
    ------
    ValueError
        ``lam = 0`` or NaN; scalar input.
    TypeError
        Complex or non-numeric input, non-real ``lam``.

    See Also
    --------
    exact.logsumexp : the exact (sympy) twin.

    Notes
    -----
    ``lse = m + log1p(Σ_{j≠k} exp(λ (x_j - m))) / λ`` with ``m = x_k`` the max (λ > 0) or
    the min (λ < 0).  Bounds: ``max x <= lse <= max x + log(n)/λ`` for λ > 0.
    O(n) time, one extra array.

    Examples
    --------
    >>> import numpy as np
    >>> float(logsumexp(np.array([1.0, 2.0, 3.0]), lam=np.inf))
    3.0
    >>> float(logsumexp(np.array([1.0, 2.0, 3.0]), lam=-np.inf))
    1.0
    >>> float(logsumexp(np.array([1e3, 999.0], dtype=np.float16), lam=1e4))
    1000.0
    """
    lam = _check_lam(lam)
    if _is_torch(x):
        return _torch_logsumexp(x, lam, axis)
    return _np_logsumexp(x, lam, axis)


def softmax(x: Any, lam: float = 1.0, axis: int = -1):
    """Soft(arg)max with inverse temperature: ``exp(λ x_k) / Σ_j exp(λ x_j)`` along ``axis``.

    Parameters
    ----------
    x : array_like or torch.Tensor
    lam : float, default 1
        ``±inf`` gives the (uniform over ties) arg max/min indicator, ``0`` the uniform
        distribution.
    axis : int, default -1

    Returns
    -------
    ndarray or Tensor
        Same shape as ``x``; entries in [0, 1] summing to 1 along ``axis``.

    Notes
    -----
    ``softmax(x; λ) = softmax(λ x; 1)``: rescaling the input is a temperature change;
    ``softmax(x + c) = softmax(x)``.  The torch backward is ``λ p ⊙ (g - <g, p>)``.

    See Also
    --------
    exact.softmax : the exact (sympy) twin.

    Examples
    --------
    >>> import numpy as np
    >>> softmax(np.array([1e3, 1.0]), lam=1e306).tolist()
    [1.0, 0.0]
    >>> softmax(np.array([0.0, 0.0]), lam=0).tolist()
    [0.5, 0.5]
    """
    lam = _check_lam(lam)
    if _is_torch(x):
        return _torch_softmax(x, lam, axis)
    return _np_softmax(x, lam, axis)


def log_softmax(x: Any, lam: float = 1.0, axis: int = -1):
    """Log-softmax with inverse temperature, ``λ x - λ lse(x; λ)``, without cancellation.

    Parameters
    ----------
    x : array_like or torch.Tensor
        Input; numpy in, numpy out; torch in, torch out (differentiable).
    lam : float, default 1
        Inverse temperature λ; ``±inf`` gives 0 at the maximisers (minimisers) and
        ``-inf`` elsewhere, ``0`` the uniform ``-log n``.
    axis : int, default -1
        Axis along which ``exp`` of the result sums to 1.

    Returns
    -------
    ndarray or Tensor
        Same shape as ``x``.

    Raises
    ------
    ValueError
        ``lam`` NaN; scalar input.
    TypeError
        Complex or non-numeric input, non-real ``lam``.

    See Also
    --------
    exact.log_softmax : the exact (sympy) twin.

    Examples
    --------
    >>> import numpy as np
    >>> log_softmax(np.array([0.0, -800.0])).tolist()
    [0.0, -800.0]
    """
    lam = _check_lam(lam)
    if _is_torch(x):
        return _torch_log_softmax(x, lam, axis)
    return _np_log_softmax(x, lam, axis)

"""torch side of numeric's logsumexp, softmax and log_softmax: the ops and the autograd functions.

The algorithm is :mod:`numeric._lse_core`.  CPU tensors run it with numpy's kernels on
shared memory (zero-copy views, ``CPU_VIA_NUMPY``): numpy's vectorised exp and its
single-threaded reductions were 2.5-4x faster than the same chain of torch CPU ops on the
machines measured (2 cores, AVX-512), and the numpy and torch results are then the same
numbers.  Other devices, and every backward under ``create_graph``, use :class:`TorchOps`.
The backward passes are written out (never ``exp(x - out)``):

    d lse = p g,   d softmax = λ p ⊙ (g - <g, p>),   d log_softmax = λ (g - p Σ g)

Where the dominant weight exceeds 1/2 both are taken relative to the dominant entry, so that
``1 - p_dom`` and ``g_dom - <g, p>`` come out as sums of small terms instead of differences
of numbers near 1.  Under ``create_graph`` the backward recomputes ``p`` through the
softmax function, so second derivatives (Hessians) are the analytic ones too.  This module
imports torch; :mod:`numeric.stable_lse` loads it only for torch input.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from ._lse_core import FLOAT32_LAM, log_softmax_grad, lse_grad, normalize_axis, outputs, softmax_grad
from ._lse_numpy import NumpyOps

__all__ = ["CPU_VIA_NUMPY", "LogSoftmaxFunction", "LseFunction", "SoftmaxFunction", "TorchOps", "torch_apply"]


class TorchOps:
    """The operations :mod:`numeric._lse_core` needs, along ``dim`` with kept dimensions."""

    xp = torch

    def __init__(self, dim: int):
        self.dim = dim

    def dtype_name(self, a) -> str:
        return str(a.dtype).removeprefix("torch.")

    def length(self, a) -> int:
        return a.shape[self.dim]

    def dominant(self, a, lam: float):
        return (a.amax(dim=self.dim, keepdim=True) if lam > 0 else a.amin(dim=self.dim, keepdim=True)), None

    def dom_index(self, a, lam: float):
        return a.argmax(dim=self.dim, keepdim=True) if lam > 0 else a.argmin(dim=self.dim, keepdim=True)

    def sub(self, a, m):
        return torch.sub(a, m)

    def mul_(self, d, v: float):
        return d.mul_(v)

    def sub_(self, z, v):
        return z.sub_(v)

    def div_(self, e, s):
        return e.div_(s)

    def exp(self, z):
        return torch.exp(z)

    def total(self, e):
        return e.sum(dim=self.dim, keepdim=True)

    def dot(self, e, z):
        if e.dim() == 1:
            return torch.dot(e, z).reshape(1)
        if self.dim == e.dim() - 1:
            return (e.unsqueeze(-2) @ z.unsqueeze(-1)).squeeze(-1)
        return (e * z).sum(dim=self.dim, keepdim=True)

    def rest_near(self, e, s, near, idx):
        """``Σ e - 1`` per slice, summed without one dominant term (e = 1) where ``near``."""
        idx = e.argmax(dim=self.dim, keepdim=True) if idx is None else idx
        return torch.where(near, e.scatter(self.dim, idx, 0.0).sum(dim=self.dim, keepdim=True), s - 1.0)

    def rest_scaled(self, z, low):
        """``Σ_{j≠dom} exp(z_j + 700)`` (float64) in the slices ``low``, 0 elsewhere (whole array)."""
        ew = torch.exp(z.double() + 700.0)
        ew.scatter_(self.dim, ew.argmax(dim=self.dim, keepdim=True), 0.0)
        return torch.where(low, ew.sum(dim=self.dim, keepdim=True), 0.0)

    def near_dominant(self, g, p, near):
        """``g`` at the dominant entry (the largest p) of the slices ``near``, 0 elsewhere."""
        return torch.where(near, g.gather(self.dim, p.argmax(dim=self.dim, keepdim=True)), 0.0)

    def fix_dominant(self, out, g, p, near):
        """Set the dominant component of the slices ``near`` to ``g_dom p_rest - p_dom g_rest``."""
        idx = p.argmax(dim=self.dim, keepdim=True)
        g_rest = g.scatter(self.dim, idx, 0.0).sum(dim=self.dim, keepdim=True)
        p_rest = p.scatter(self.dim, idx, 0.0).sum(dim=self.dim, keepdim=True)
        dom = g.gather(self.dim, idx) * p_rest - p.gather(self.dim, idx) * g_rest
        return out.scatter(self.dim, idx, torch.where(near, dom, out.gather(self.dim, idx)))

    def put_(self, e, idx, v) -> None:
        e.scatter_(self.dim, idx, v)

    def unsqueeze(self, g):
        return g.unsqueeze(self.dim)

    def tiny(self, x) -> float:
        return float(torch.finfo(x.dtype).tiny)

    def to64(self, x):
        return x.double()

    def like(self, x, ref):
        return x.to(ref.dtype)

    def cast(self, mask, ref):
        return mask.to(ref.dtype)

    def full_like(self, a, v: float):
        return torch.full_like(a, v)

    def all(self, mask) -> bool:
        return bool(mask.all())

    def any(self, mask) -> bool:
        return bool(mask.any())

    def any_along(self, mask):
        return mask.any(dim=self.dim, keepdim=True)


CPU_VIA_NUMPY = True  # CPU tensors run numpy's kernels on shared memory (see the module docstring)


def _route(t, dim: int):
    """Ops and array for tensor ``t``: numpy views on the CPU, torch ops elsewhere."""
    if CPU_VIA_NUMPY and t.device.type == "cpu":
        return NumpyOps(dim), t.detach().numpy()
    return TorchOps(dim), t.detach()


def _tensor(v):
    return torch.from_numpy(v) if isinstance(v, np.ndarray) else v


def _forward(ctx, a, lam: float, dim: int, goal: str, need: set):
    """Run the core; keep what the backward needs (a, p, the slices near one-hot).

    Each array becomes one tensor: softmax's output is the saved ``p`` itself, so that
    autograd's version counter sees an in-place change of the output (and the backward
    raises, as torch.softmax's does) instead of reading the changed values.
    """
    grad = bool(ctx.needs_input_grad[0])
    ops, arr = _route(a, dim)
    with np.errstate(all="ignore"):
        out = outputs(ops, arr, lam, need | ({"p"} if grad else set()), goal)
    ctx.lam, ctx.dim, ctx.goal = lam, dim, goal
    if "lse" in need:  # no view of a tensor made here: autograd forbids changing those in place
        lse = out["lse"]
        out["lse"] = np.squeeze(lse, axis=dim) if isinstance(lse, np.ndarray) else lse.squeeze(dim).clone()
    res = {k: _tensor(v) for k, v in out.items() if k in need or (grad and k == "p")}
    if grad:
        s = out.get("s")  # none for λ = 0
        ctx.near = None if s is None or not ops.any(s < 2) else _tensor(s < 2)
        ctx.save_for_backward(a, res["p"])
    return res


def _backward(ctx, g, grad_fn):
    """Run ``grad_fn(ops, p, g, near)``: differentiably under ``create_graph``, else on the route."""
    a, p = ctx.saved_tensors
    if torch.is_grad_enabled():  # create_graph: p through the softmax function, torch ops
        p = SoftmaxFunction.apply(a, ctx.lam, ctx.dim, ctx.goal)
        return grad_fn(TorchOps(ctx.dim), p, g, ctx.near)
    ops, _ = _route(a, ctx.dim)
    if isinstance(ops, TorchOps):
        return grad_fn(ops, p, g, ctx.near)
    near = None if ctx.near is None else ctx.near.numpy()
    with np.errstate(all="ignore"):
        return torch.from_numpy(np.ascontiguousarray(grad_fn(ops, p.numpy(), g.detach().numpy(), near)))


class LseFunction(torch.autograd.Function):
    """lse along ``dim``; backward ``g p`` (the tie weights for λ = ±inf)."""

    @staticmethod
    def forward(ctx, a, lam, dim, goal):
        return _forward(ctx, a, lam, dim, goal, {"lse"})["lse"]

    @staticmethod
    def backward(ctx, g):
        grad = _backward(ctx, g, lambda ops, p, g, near: lse_grad(ops, p, g))
        return grad, None, None, None


def _constant_grad(ctx, g):
    """Return the gradient where the output is constant in x (λ = 0, ±inf): 0, NaN on NaN outputs."""
    _, p = ctx.saved_tensors
    return torch.where(torch.isnan(p).to(g.device), torch.full_like(g, math.nan), torch.zeros_like(g))


class SoftmaxFunction(torch.autograd.Function):
    """softmax along ``dim``; backward :func:`numeric._lse_core.softmax_grad`."""

    @staticmethod
    def forward(ctx, a, lam, dim, goal):
        return _forward(ctx, a, lam, dim, goal, {"p"})["p"]

    @staticmethod
    def backward(ctx, g):
        if math.isinf(ctx.lam) or ctx.lam == 0:
            return _constant_grad(ctx, g), None, None, None  # piecewise constant in x
        grad = _backward(ctx, g, lambda ops, p, g, near: softmax_grad(ops, p, g, ctx.lam, near))
        return grad, None, None, None


class LogSoftmaxFunction(torch.autograd.Function):
    """log_softmax along ``dim``; backward :func:`numeric._lse_core.log_softmax_grad`."""

    @staticmethod
    def forward(ctx, a, lam, dim, goal):
        return _forward(ctx, a, lam, dim, goal, {"logp"})["logp"]

    @staticmethod
    def backward(ctx, g):
        if math.isinf(ctx.lam) or ctx.lam == 0:
            return _constant_grad(ctx, g), None, None, None
        grad = _backward(ctx, g, lambda ops, p, g, near: log_softmax_grad(ops, p, g, ctx.lam, near))
        return grad, None, None, None


_FUNCTIONS = {"lse": LseFunction, "p": SoftmaxFunction, "logp": LogSoftmaxFunction}


def _prepare(x) -> tuple[Any, Any, str]:
    """Return the computation tensor, the dtype to return, and the dtype judged by the goal."""
    if x.is_complex():
        raise TypeError(f"x must be real, got complex dtype {x.dtype}")
    if not x.is_floating_point():
        dtype = torch.get_default_dtype()
        return x.to(dtype), dtype, str(dtype).removeprefix("torch.")
    if x.dtype in (torch.float16, torch.bfloat16):  # float32 inside, far more accurate
        return x.float(), x.dtype, "float16"
    return x, x.dtype, str(x.dtype).removeprefix("torch.")


_NAMES = {"lse": "logsumexp", "p": "softmax", "logp": "log_softmax"}


def _refuse_transforms(x, func: str) -> None:
    """Refuse a tensor of a torch.func transform (vmap, grad, jacrev...): say what works instead.

    The functions compute CPU tensors through numpy and decide per slice where the exact
    error terms are needed (data-dependent branches), which torch.func cannot trace.
    """
    wrapped = getattr(torch._C._functorch, "is_functorch_wrapped_tensor", None)  # private: absent, skipped
    if wrapped is not None and wrapped(x):
        raise TypeError(f"numeric.{_NAMES[func]} does not run under torch.func transforms (vmap, grad, "
                        "jacrev, ...): it branches on the values per slice. Its gradients work with "
                        "torch.autograd (loss.backward(), torch.autograd.grad, gradcheck), and it takes a "
                        "whole batch at once along axis")


def torch_apply(x, lam: float, axis: Any, func: str):
    """``func`` ("lse", "p" or "logp") of a tensor along ``axis``, differentiable; λ checked."""
    if x.is_meta:
        raise ValueError(f"x is a meta tensor (shape {tuple(x.shape)}): meta tensors hold no values, so "
                         f"{_NAMES[func]} has nothing to compute; create x on a real device (cpu, cuda)")
    if x.is_nested:
        raise TypeError(f"x is a nested tensor: {_NAMES[func]} needs a dense (strided) tensor; pad it "
                        "(x.to_padded_tensor(-math.inf)) or call it on each component")
    if x.layout != torch.strided:
        raise TypeError(f"x has layout {x.layout} (sparse): {_NAMES[func]} needs a dense (strided) tensor; "
                        "x.to_dense() reads its absent entries as 0 (use -inf for no weight)")
    _refuse_transforms(x, func)
    a, out_dtype, goal = _prepare(x)
    dim = normalize_axis(axis, a.dim())
    if func == "lse" and lam == 0:
        raise ValueError("logsumexp with lam = 0 is undefined: (1/λ) log n -> ±inf as λ -> 0±")
    if a.shape[dim] == 0:  # like torch's: new tensors, in the graph (their gradient is empty)
        if func != "lse":
            return a.clone().to(out_dtype)
        return (a.sum(dim=dim) + (-math.inf if lam > 0 else math.inf)).to(out_dtype)
    if a.dtype == torch.float32 and math.isfinite(lam) and not FLOAT32_LAM[0] <= abs(lam) <= FLOAT32_LAM[1]:
        a = a.double()  # λ itself has no float32 value close enough
    return _FUNCTIONS[func].apply(a, lam, dim, goal).to(out_dtype)

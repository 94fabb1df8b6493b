"""numpy side of numeric's logsumexp, softmax and log_softmax: input checks and the array ops.

The algorithm is :mod:`numeric._lse_core`; :class:`NumpyOps` spells its operations with
numpy (reductions with ``keepdims``, in-place ``out=`` arithmetic on the arrays it owns).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._lse_core import FLOAT32_LAM, normalize_axis, outputs

__all__ = ["NumpyOps", "numpy_apply"]


class NumpyOps:
    """The operations :mod:`numeric._lse_core` needs, along ``axis`` with kept dimensions."""

    xp = np

    def __init__(self, axis: int):
        self.axis = axis

    def dtype_name(self, a) -> str:
        return a.dtype.name

    def length(self, a) -> int:
        return a.shape[self.axis]

    def dominant(self, a, lam: float):
        """Return the max (λ > 0) or min and, along a last axis, one position of it.

        Along the rows of a matrix numpy's argmax is several times faster than its max
        (13.7 vs 4.6 ms on 1e5 x 100 float32); NaN wins both, as the first NaN.
        """
        if a.ndim > 1 and self.axis == a.ndim - 1:
            idx = self.dom_index(a, lam)
            return np.take_along_axis(a, idx, axis=self.axis), idx
        f = np.max if lam > 0 else np.min
        return f(a, axis=self.axis, keepdims=True), None

    def dom_index(self, a, lam: float):
        f = np.argmax if lam > 0 else np.argmin
        return np.expand_dims(f(a, axis=self.axis), self.axis)

    def sub(self, a, m):
        return np.subtract(a, m)

    def mul_(self, d, v: float):
        return np.multiply(d, v, out=d)

    def sub_(self, z, v):
        return np.subtract(z, v, out=z)

    def div_(self, e, s):
        return np.divide(e, s, out=e)

    def exp(self, z):
        return np.exp(z)

    def total(self, e):
        return np.sum(e, axis=self.axis, keepdims=True)

    def dot(self, e, z):
        # einsum: no BLAS threads (vecdot and dot on float64 ran 2.7-8 ms on a busy 2-core
        # machine, einsum 3.4 ms), and 3x vecdot along a leading axis (2.3 vs 7.3 ms)
        letters = "abcdefghijklmnopqrstuvwxyz"[: e.ndim]
        out = letters.replace(letters[self.axis], "")
        return np.expand_dims(np.einsum(f"{letters},{letters}->{out}", e, z), self.axis)

    def rest_near(self, e, s, near, idx):
        """``Σ e - 1`` per slice, summed without the dominant term (e = 1) where ``near``.

        Only the slices in ``near`` are gathered (a view with the axis moved last, then
        their rows), so a few such slices in a large array cost a few rows.
        """
        rest = s - 1.0
        if e.ndim == 1:
            j = int(np.argmax(e)) if idx is None else int(idx[0])
            return np.asarray([np.sum(e[:j]) + np.sum(e[j + 1:])], dtype=e.dtype)
        where = np.nonzero(np.squeeze(near, self.axis))
        rows = np.moveaxis(e, self.axis, -1)[where]  # (k, n) copies of the near slices
        np.put_along_axis(rows, np.argmax(rows, axis=-1)[:, None], 0.0, axis=-1)  # the e = 1 term
        np.moveaxis(rest, self.axis, -1)[..., 0][where] = np.sum(rows, axis=-1)
        return rest

    def rest_scaled(self, z, low):
        """``Σ_{j≠dom} exp(z_j + 700)`` (float64) in the slices ``low``, 0 elsewhere; only their rows."""
        rows, where = self._near_rows(z, low)
        rows = np.exp(rows.astype(np.float64) + 700.0)
        np.put_along_axis(rows, np.argmax(rows, axis=-1)[:, None], 0.0, axis=-1)  # the z = 0 term
        sums = np.sum(rows, axis=-1)
        if z.ndim == 1:
            return sums
        out = np.zeros(low.shape, dtype=np.float64)
        np.moveaxis(out, self.axis, -1)[..., 0][where] = sums
        return out

    def _near_rows(self, x, near):
        """Return copies of the slices where ``near`` (k, n) and the index to write them back."""
        if x.ndim == 1:
            return x[None].copy(), (np.zeros(1, dtype=np.intp),)
        where = np.nonzero(np.squeeze(near, self.axis))
        return np.moveaxis(x, self.axis, -1)[where], where

    def near_dominant(self, g, p, near):
        """``g`` at the dominant entry (the largest p) of the slices ``near``, 0 elsewhere."""
        rows_p, where = self._near_rows(p, near)
        rows_g, _ = self._near_rows(g, near)
        j = np.argmax(rows_p, axis=-1)
        values = rows_g[np.arange(len(j)), j]
        if g.ndim == 1:
            return values
        out = np.zeros(near.shape, dtype=g.dtype)
        np.moveaxis(out, self.axis, -1)[..., 0][where] = values
        return out

    def fix_dominant(self, out, g, p, near):
        """Set the dominant component of the slices ``near`` to ``g_dom p_rest - p_dom g_rest``."""
        rows_p, where = self._near_rows(p, near)
        rows_g, _ = self._near_rows(g, near)
        k = np.arange(rows_p.shape[0])
        j = np.argmax(rows_p, axis=-1)
        p_dom, g_dom = rows_p[k, j], rows_g[k, j]
        rows_p[k, j] = 0.0
        rows_g[k, j] = 0.0
        view = out[None] if out.ndim == 1 else np.moveaxis(out, self.axis, -1)
        view[(*where, j)] = g_dom * np.sum(rows_p, axis=-1) - p_dom * np.sum(rows_g, axis=-1)
        return out

    def put_(self, e, idx, v) -> None:
        np.put_along_axis(e, idx, v, axis=self.axis)

    def unsqueeze(self, g):
        return np.expand_dims(g, self.axis)

    def tiny(self, x) -> float:
        return float(np.finfo(x.dtype).tiny)

    def to64(self, x):
        return np.asarray(x, dtype=np.float64)

    def like(self, x, ref):
        return np.asarray(x).astype(ref.dtype, copy=False)

    def cast(self, mask, ref):
        return mask.astype(ref.dtype)

    def full_like(self, a, v: float):
        return np.full_like(a, v)

    def all(self, mask) -> bool:
        return bool(np.all(mask))

    def any(self, mask) -> bool:
        return bool(np.any(mask))

    def any_along(self, mask):
        return np.any(mask, axis=self.axis, keepdims=True)


def _as_array(x: Any) -> np.ndarray:
    """``x`` as an ndarray; masked arrays, ragged nesting and sequences of tensors refused."""
    if isinstance(x, np.ma.MaskedArray):
        raise TypeError(f"x is a numpy masked array (shape {x.shape}): numeric would ignore its mask; "
                        "pass x.filled(-np.inf) (+inf for lam < 0) to give the masked entries weight 0, "
                        "or x.data to keep them")
    try:
        return np.asarray(x)
    except (ValueError, TypeError, RuntimeError) as err:
        what = f"{type(x).__name__} of length {len(x)}" if hasattr(x, "__len__") else type(x).__name__
        if isinstance(x, (list, tuple)) and any(type(v).__module__.startswith("torch") for v in x):
            raise TypeError(f"x is a {what} holding torch tensors: numeric reads it as a numpy array and "
                            "would drop their gradients; pass one tensor (torch.stack(x))") from None
        seq = isinstance(x, (list, tuple))
        lengths = [len(v) if hasattr(v, "__len__") else None for v in x] if seq else []
        if len(set(lengths)) > 1:
            shown = lengths if len(lengths) <= 10 else [*lengths[:10], "..."]
            raise ValueError(f"x is ragged: a {what} whose entries have lengths {shown} (None: a number); "
                             "numeric needs a rectangular array") from None
        raise ValueError(f"x ({what}) is not a rectangular array of real numbers ({err})") from None


def _prepare(x: Any) -> tuple[np.ndarray, np.dtype, str]:
    """Return the computation array, the dtype to return, and the dtype judged by the goal."""
    a = _as_array(x)
    if a.dtype.kind == "c":
        raise TypeError(f"x must be real, got complex dtype {a.dtype}")
    if a.dtype.kind not in "biuf":
        raise TypeError(f"x must be a real array, got dtype {a.dtype}")
    if a.dtype.kind in "biu":
        return a.astype(np.float64), np.dtype(np.float64), "float64"
    if a.dtype.itemsize < 4:  # float16: float32 inside, far more accurate than the result
        return a.astype(np.float32), a.dtype, "float16"
    if a.dtype.itemsize > 8:
        raise TypeError(f"x has dtype {a.dtype} (np.longdouble), which numeric does not compute: float64 "
                        "would overflow beyond 1.8e308 and round away its extra bits; convert it "
                        "(x.astype(np.float64)) or use exact.logsumexp, which reads it exactly")
    return a, a.dtype, a.dtype.name


def numpy_apply(x: Any, lam: float, axis: Any, func: str) -> np.ndarray:
    """``func`` ("lse", "p" or "logp") of a numpy-like ``x`` along ``axis``; λ already checked."""
    a, out_dtype, goal = _prepare(x)
    axis = normalize_axis(axis, a.ndim)
    if func == "lse" and lam == 0:
        raise ValueError("logsumexp with lam = 0 is undefined: (1/λ) log n -> ±inf as λ -> 0±")
    if a.shape[axis] == 0:
        if func != "lse":
            return a.astype(out_dtype)
        shape = a.shape[:axis] + a.shape[axis + 1:]
        return np.full(shape, -math.inf if lam > 0 else math.inf, dtype=out_dtype)
    if a.dtype == np.float32 and math.isfinite(lam) and not FLOAT32_LAM[0] <= abs(lam) <= FLOAT32_LAM[1]:
        a = a.astype(np.float64)  # λ itself has no float32 value close enough
    with np.errstate(all="ignore"):
        out = outputs(NumpyOps(axis), a, lam, {func}, goal)[func]
        if func == "lse":
            out = np.squeeze(out, axis=axis)
        return np.asarray(out).astype(out_dtype, copy=False)

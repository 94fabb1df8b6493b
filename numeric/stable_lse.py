"""Stable log-sum-exp, softmax and log-softmax with inverse temperature λ.

    lse(x; λ) = (1/λ) log Σ_j exp(λ x_j),   softmax(x; λ)_k = exp(λ x_k) / Σ_j exp(λ x_j)

The same names work on numpy arrays and torch tensors (dispatch on type).  This module
checks the arguments; the algorithm is :mod:`numeric._lse_core`, spelled for numpy in
:mod:`numeric._lse_numpy` and for torch (with its autograd functions) in
:mod:`numeric._lse_torch`.

Accuracy
--------
Every result ``y`` is within ``4 (ulp(y) + u C)`` of the exact value, ``u`` the dtype's
unit roundoff and ``C = Σ_j |x_j ∂y/∂x_j|`` (what rounding the inputs alone may cause),
plus the rounding of the sum over the axis (O(u log n), as in torch and scipy).  No NaN
or infinity comes out where the true value is a finite number of the dtype.  Checked
against mpmath at 60 digits on an adversarial table for every backend and dtype
(``tests/test_softmax_mpmath.py``).

How the hard cases are handled
------------------------------
* Shift by the dominant entry ``m`` (the max for λ > 0, the min for λ < 0) *before*
  multiplying by λ, so ``λ (x - m) <= 0`` never overflows: ``λ = 1e306`` is fine.  Where
  ``x - m`` itself overflows (entries spanning more than the float range, |λ| < 1) it is
  formed from halves.
* The dominant term contributes exactly 1; the others are summed separately and added
  with ``log1p``, so ``lse([0, -40]) = 4.248e-18`` instead of 0, and
  ``log_softmax = λ (x - m) - log1p(rest)`` keeps values far below ``ulp(max)``.
* The rounding of ``λ (x - m)`` is the one error the inputs cannot explain; a cheap
  per-slice bound decides where it could break the goal, and only there the exact error
  terms (TwoSum, TwoProduct) are added (float64) or the slice is redone in float64
  (float32).
* ``λ = +inf`` gives the max and the uniform distribution over the maximisers (one-hot
  without ties), ``λ = -inf`` the min/argmin; ``λ = 0`` gives the uniform softmax (NaN in a
  slice with an infinite entry beside other values: its limits from λ > 0 and λ < 0 differ), while
  ``logsumexp`` raises (its limit is ±∞).
* ``+inf`` entries (for λ > 0) take all the mass, uniformly; ``-inf`` entries get 0.
  When every entry is ``-inf`` the policy is the limit of equal entries: lse ``-inf``,
  softmax uniform, log_softmax ``-log n``.  NaN propagates to its slice.  Gradients
  follow the same limits (finite λ): the backward formulas with the limit weights, so
  ``(log_softmax([inf, 1, 2]) * [1, 2, 3]).sum()`` has gradient ``[-5, 2, 3]`` as for
  ``x_0 = 1e6``; softmax's is 0 where one entry wins and that of equal entries among
  tied infinite ones (all ``-inf``: lse uniform, softmax and log_softmax those of equal
  entries).  λ = ±inf and λ = 0 give gradient 0 (piecewise constant in x).
* Empty input along ``axis``: lse ``(1/λ) log 0`` (``-inf`` for λ > 0, ``+inf`` for
  λ < 0), softmax empty; torch returns new tensors in the graph (gradient empty), as
  torch's own functions do.  An ``axis`` out of range raises ``IndexError``.
* float16/bfloat16 are computed in float32 and cast back; float32 with |λ| beyond
  float32's reach (above 3.4e38 or below 2^-100) in float64.  Integers and bools are
  promoted to the default float type first: float64 for numpy (exact below 2^53),
  ``torch.get_default_dtype()`` for torch, float32 unless changed, so
  ``logsumexp(torch.tensor([2**24 + 1, 2**24]), lam=inf)`` is ``16777216.0``: the two
  entries tie (pass ``dtype=torch.float64`` tensors to keep them apart).
* Refused with a TypeError or ValueError naming ``x``: np.longdouble (float64 inside
  would overflow beyond 1.8e308 and round its extra bits away; ``exact.logsumexp``
  reads it exactly), numpy masked arrays (the mask would be ignored: fill the masked
  entries with ``-inf``), ragged nested lists, sequences of tensors that require grad
  (``torch.stack`` them), sparse and nested tensors.
* When the rest ``Σ_{j≠dom} exp(λ (x_j - m))`` is below the smallest normal number
  (a sum of subnormal or underflowed terms), lse and log_softmax sum it again from
  ``exp(λ (x_j - m) + 700)`` in float64, in those slices only, so ``lse([0, -746, ...])``
  keeps its 1e-321 instead of 0.  Not covered: softmax's gradient where ``p_k`` is
  subnormal carries ``p_k``'s absolute error, about ``|λ (g_k - <g, p>)| / 2`` units of
  the smallest subnormal (tiny in absolute terms, far beyond 4 relative ulps).
* torch: custom autograd backwards (never ``exp(x - out)``), exact at ties and near
  one-hot weights; under ``create_graph`` differentiable again (Hessians).  CPU tensors
  run numpy's kernels on shared memory (faster here than torch's CPU exp).  softmax's
  output is the tensor its backward reads: changing it in place (``y.mul_(2)``) makes
  backward raise, as ``torch.softmax``'s does.  Any torch.Tensor, subclasses included,
  takes the torch route; the result is a plain torch.Tensor.

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
import numbers
import sys
from decimal import Decimal
from typing import Any

import numpy as np

from ._lse_numpy import numpy_apply

__all__ = ["logsumexp", "softmax", "log_softmax"]


def _is_torch(x: Any) -> bool:
    """Tell whether ``x`` is a torch.Tensor, subclasses included (no torch import: a tensor loaded it)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)


def _check_lam(lam: Any) -> float:
    """λ as the float it is used as: the nearest float of any real number (Fraction, Decimal...).

    A nonzero λ with no float near it (beyond the float range, or rounding to 0) is refused
    rather than turned into the limit ±inf or into 0 (where logsumexp is undefined).
    """
    if isinstance(lam, (bool, np.bool_)) or not isinstance(lam, (numbers.Real, Decimal)):
        raise TypeError(f"lam must be a real number (int, float, Fraction, Decimal, numpy scalar), "
                        f"got {type(lam).__name__} {lam!r}")
    try:
        value = float(lam)
    except OverflowError:  # an int or Fraction beyond the float range
        value = math.inf
    except ValueError:  # Decimal('sNaN')
        value = math.nan
    if math.isnan(value):
        raise ValueError(f"lam must not be NaN, got {lam!r}")
    shown = repr(lam) if len(repr(lam)) <= 60 else f"{repr(lam)[:40]}... ({len(repr(lam))} characters)"
    if math.isinf(value) and lam != value:
        raise ValueError(f"lam = {shown} is beyond the float range (|lam| <= 1.8e308); pass lam=inf for "
                         "the limit (the max)")
    if value == 0 and lam != 0:
        raise ValueError(f"lam = {shown} is nonzero but rounds to 0.0 as a float, where logsumexp is "
                         "undefined and softmax uniform; rescale x instead (softmax(x; λ) = softmax(λ x; 1))")
    return value


def _apply(x: Any, lam: Any, axis: Any, func: str):
    lam = _check_lam(lam)
    if _is_torch(x):
        from ._lse_torch import torch_apply

        return torch_apply(x, lam, axis, func)
    return numpy_apply(x, lam, axis, func)


# ---------------------------------------------------------------------------------------
# public
# ---------------------------------------------------------------------------------------


def logsumexp(x: Any, lam: float = 1.0, axis: int = -1):
    """Log-sum-exp with inverse temperature: ``(1/λ) log Σ exp(λ x)`` along ``axis``.

    Parameters
    ----------
    x : array_like or torch.Tensor, shape (..., n, ...)
        Input; numpy in, numpy out; torch in, torch out (differentiable).  Integers
        are promoted to the default float type (torch: float32 unless changed, where
        ``2**24 + 1`` and ``2**24`` tie; numpy: float64, exact below 2^53).
    lam : real number, default 1
        Inverse temperature λ; ``±inf`` gives max/min.  ``0`` raises.  Used as a float: a
        Fraction or Decimal is rounded to the nearest float.
    axis : int, default -1
        Axis to reduce (of length n).

    Returns
    -------
    ndarray or Tensor
        ``x``'s shape without ``axis``; float16/bfloat16 inputs keep their dtype.

    Raises
    ------
    ValueError
        ``lam = 0`` or NaN, or nonzero with no float near it (``10**400``); scalar or
        ragged input; a torch meta tensor (it holds no values).
    IndexError
        ``axis`` out of range.
    TypeError
        Complex, non-numeric or np.longdouble input, a numpy masked array, a sparse or
        nested tensor, a sequence of tensors requiring grad; non-real ``lam``; non-integer
        ``axis``.

    See Also
    --------
    exact.logsumexp : the exact (sympy) twin.

    Notes
    -----
    ``lse = m + log1p(Σ_{j≠k} exp(λ (x_j - m))) / λ`` with ``m = x_k`` the max (λ > 0) or
    the min (λ < 0).  Bounds: ``max x <= lse <= max x + log(n)/λ`` for λ > 0 (up to
    rounding, within the documented error: about 1 ulp at ties, more where ``max x`` and
    ``log(n)/λ`` cancel).  Within
    ``4 (ulp + u Σ_j p_j |x_j|)`` of the exact value, p the softmax (see the module's
    Accuracy).  O(n) time and two arrays of x's size; the torch gradient is the softmax.

    Examples
    --------
    >>> import numpy as np
    >>> float(logsumexp(np.array([1.0, 2.0, 3.0]), lam=np.inf))
    3.0
    >>> float(logsumexp(np.array([1.0, 2.0, 3.0]), lam=-np.inf))
    1.0
    >>> from fractions import Fraction
    >>> float(logsumexp(np.array([0.0, 0.0]), lam=Fraction(1, 2)))  # 2 log 2
    1.3862943611198906
    >>> float(logsumexp(np.array([1e3, 999.0], dtype=np.float16), lam=1e4))
    1000.0
    >>> float(logsumexp(np.array([1e308, -1e308]), lam=1e-308)) / 1e308  # x - m overflows
    1.126928011042972...
    """
    return _apply(x, lam, axis, "lse")


def softmax(x: Any, lam: float = 1.0, axis: int = -1):
    """Soft(arg)max with inverse temperature: ``exp(λ x_k) / Σ_j exp(λ x_j)`` along ``axis``.

    Parameters
    ----------
    x : array_like or torch.Tensor, shape (..., n, ...)
        Input; numpy in, numpy out; torch in, torch out (differentiable).  Integers
        are promoted to the default float type (torch: float32 unless changed, where
        ``2**24 + 1`` and ``2**24`` tie; numpy: float64, exact below 2^53).
    lam : real number, default 1
        ``±inf`` gives the (uniform over ties) arg max/min indicator, ``0`` the uniform
        distribution.  Used as a float: a Fraction or Decimal is rounded to the nearest float.
    axis : int, default -1
        Axis along which the result sums to 1.

    Returns
    -------
    ndarray or Tensor
        Same shape as ``x``; entries in [0, 1] summing to 1 along ``axis``.

    Raises
    ------
    ValueError
        ``lam`` NaN or nonzero with no float near it (``10**400``); scalar or ragged
        input; a torch meta tensor (it holds no values).
    IndexError
        ``axis`` out of range.
    TypeError
        Complex, non-numeric or np.longdouble input, a numpy masked array, a sparse or
        nested tensor, a sequence of tensors requiring grad; non-real ``lam``; non-integer
        ``axis``.

    See Also
    --------
    exact.softmax : the exact (sympy) twin.

    Notes
    -----
    ``softmax(x; λ) = softmax(λ x; 1)``: rescaling the input is a temperature change;
    ``softmax(x + c) = softmax(x)``.  Each ``p_k`` is within ``4 (ulp(p_k) + u C_k)``,
    ``C_k = |λ| p_k (|x_k| (1 - p_k) + Σ_{j≠k} p_j |x_j|)``.  The torch backward is
    ``λ p ⊙ (g - <g, p>)``, taken relative to the dominant entry when its weight exceeds
    1/2.  O(n) time per slice.

    Examples
    --------
    >>> import numpy as np
    >>> softmax(np.array([1e3, 1.0]), lam=1e306).tolist()
    [1.0, 0.0]
    >>> softmax(np.array([0.0, 0.0]), lam=0).tolist()
    [0.5, 0.5]
    >>> softmax(np.array([1, 2], dtype=np.float16), lam=-1e306).tolist()
    [1.0, 0.0]
    """
    return _apply(x, lam, axis, "p")


def log_softmax(x: Any, lam: float = 1.0, axis: int = -1):
    """Log-softmax with inverse temperature, ``λ x - λ lse(x; λ)``, without cancellation.

    Parameters
    ----------
    x : array_like or torch.Tensor, shape (..., n, ...)
        Input; numpy in, numpy out; torch in, torch out (differentiable).  Integers
        are promoted to the default float type (torch: float32 unless changed, where
        ``2**24 + 1`` and ``2**24`` tie; numpy: float64, exact below 2^53).
    lam : real number, default 1
        Inverse temperature λ; ``±inf`` gives ``-log k`` at the k maximisers (minimisers)
        and ``-inf`` elsewhere, ``0`` the uniform ``-log n``.  Used as a float: a Fraction
        or Decimal is rounded to the nearest float.
    axis : int, default -1
        Axis along which ``exp`` of the result sums to 1.

    Returns
    -------
    ndarray or Tensor
        Same shape as ``x``.

    Raises
    ------
    ValueError
        ``lam`` NaN or nonzero with no float near it (``10**400``); scalar or ragged
        input; a torch meta tensor (it holds no values).
    IndexError
        ``axis`` out of range.
    TypeError
        Complex, non-numeric or np.longdouble input, a numpy masked array, a sparse or
        nested tensor, a sequence of tensors requiring grad; non-real ``lam``; non-integer
        ``axis``.

    See Also
    --------
    exact.log_softmax : the exact (sympy) twin.

    Notes
    -----
    ``log_softmax_k = λ (x_k - m) - log1p(Σ_{j≠dom} exp(λ (x_j - m)))``: no ``lse - m``
    (which overflows for tiny λ) and no loss below ``ulp(m)``.  Within
    ``4 (ulp + u |λ| (|x_k| (1 - p_k) + Σ_{j≠k} p_j |x_j|))``.  The torch backward is
    ``λ (g - p Σ g)``, exact at tied maxima.  O(n) time per slice.

    Examples
    --------
    >>> import numpy as np
    >>> log_softmax(np.array([0.0, -800.0])).tolist()
    [0.0, -800.0]
    >>> float(log_softmax(np.array([1e3, 1e3 - 40]))[0])  # -log1p(e^-40), far below ulp(1000)
    -4.248354255291589e-18
    """
    return _apply(x, lam, axis, "logp")

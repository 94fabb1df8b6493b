"""The float algorithm behind numeric's logsumexp, softmax and log_softmax, numpy and torch alike.

One code path serves both array libraries: an ``ops`` object (:class:`numeric._lse_numpy.NumpyOps`
or :class:`numeric._lse_torch.TorchOps`) spells the few operations that differ.  Everything
works along one axis with kept dimensions, in the computation dtype (float32 or float64).

    m = max x (λ > 0) or min x (λ < 0),   z = λ (x - m) <= 0,   e = exp z,   s = Σ e = 1 + r
    lse = m + log1p(r) / λ,   softmax = e / s,   log_softmax = z - log1p(r)

with ``r`` summed without the dominant term where ``s < 1.5`` (and ``s = 1 + r`` there), and
summed again from ``exp(z + 700)`` in float64 where it is below the smallest normal number.

Error goal, for every output y: ``|ŷ - y| <= 4 (ulp(y) + u C)`` with ``C = Σ_j |x_j ∂y/∂x_j|``
(what rounding the inputs alone may cause).  The plain computation above is within it except
for the rounding of ``z`` itself: ``|Δz_j| <= ρ u |z_j|`` (ρ = 1 when λ is a power of two,
else 2), which input rounding cannot explain when ``|λ m|`` is large next to the mass of
``|λ x|``.  :func:`certify` bounds that error per slice from ``W = Σ_j p_j |z_j|``,
``M = |λ m|`` and ``K >= |λ m - W|`` (a lower bound of ``|λ| Σ_j p_j |x_j|``) and compares it
with half the ulp budget plus the conditioning term; only slices it cannot certify get the
exact error of ``z`` (TwoSum, Dekker's TwoProduct; float64) or are recomputed in float64
(float32).  Summation error grows with the length of the slice like torch's and scipy's
(pairwise sums: O(u log n)); the correction does not change it.

References
----------
P. Blanchard, D. J. Higham, N. J. Higham, "Accurately computing the log-sum-exp and softmax
functions", IMA J. Numer. Anal. 41(4), 2021.  T. J. Dekker, "A floating-point technique for
extending the available precision", Numer. Math. 18, 1971.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["FLOAT32_LAM", "SPLIT", "certify", "exp_error", "finite_outputs", "limit_outputs",
           "log_softmax_grad", "lse_grad", "normalize_axis", "outputs", "rounding_counts", "scaled",
           "shifted", "softmax_grad", "span_overflows", "uniform_outputs"]

SPLIT = 134217729.0  # 2**27 + 1, Veltkamp's splitter for float64
# |λ| outside this range has no float32 value close enough (inf * 0 = NaN, 0 * d = 0 where
# λ d is not): float32 and float16 input is then computed in float64, forward and backward
FLOAT32_LAM = (2.0 ** -100, 3.4028234663852886e38)


def normalize_axis(axis: Any, ndim: int) -> int:
    """``axis`` as an index in ``range(ndim)``; an IndexError names it when out of range."""
    if isinstance(axis, bool) or not isinstance(axis, int) and not hasattr(axis, "__index__"):
        raise TypeError(f"axis must be an integer, got {type(axis).__name__} {axis!r}")
    axis = int(axis.__index__())
    if ndim == 0:
        raise ValueError("x must have at least one dimension, got a scalar")
    if not -ndim <= axis < ndim:
        raise IndexError(f"axis {axis} is out of range for x with {ndim} dimension{'s' if ndim > 1 else ''}")
    return axis % ndim


def rounding_counts(lam: float, float32: bool) -> tuple[int, int]:
    """Return (ρ, c): roundings in ``z = λ (x - m)`` and the conditioning factor left to the goal.

    In float32, ``λ`` itself is rounded when it has more than 24 bits; that is a relative
    change of every ``x`` by at most u, so it takes one of the four u of the conditioning term.
    """
    mant = math.frexp(abs(lam))[0]
    rho = 1 if mant == 0.5 else 2
    c = 3 if float32 and float(_f32(lam)) != lam else 4
    return rho, c


def _f32(v: float) -> float:
    import struct

    return struct.unpack("f", struct.pack("f", v))[0]


def _pow2_scale(x, k: int):
    """``x * 2**k`` in at most two exact steps (each factor representable)."""
    h = k // 2
    if h:
        x = x * math.ldexp(1.0, h)
    return x * math.ldexp(1.0, k - h) if k - h else x


def span_overflows(ops, a, m, lam: float) -> bool:
    """Tell whether ``a - m`` overflows somewhere while ``λ (a - m)`` may be finite (|λ| < 1)."""
    if not abs(lam) < 1:
        return False  # |λ (a - m)| >= |a - m| = inf: the true z is -inf too
    other, _ = ops.dominant(a, -lam)
    xp = ops.xp
    if ops.all(xp.isfinite(other)):
        return ops.any(xp.isinf(m - other))
    return ops.any(xp.isinf(a - m) & xp.isfinite(a))


def shifted(ops, a, m, lam: float, halves: bool):
    """``z = λ (a - m)``, a new array; from halves (exact) where ``a - m`` would overflow."""
    if halves:
        return ops.mul_(ops.sub(a * 0.5, m * 0.5), lam * 2.0)
    d = ops.sub(a, m)
    return d if lam == 1.0 else ops.mul_(d, lam)


def exp_error(ops, a, m, lam: float, z, halves: bool):
    """Exact first-order error ``c`` of ``z = fl(λ fl(a - m))``: ``exp(λ (a - m)) = e^z (1 + c)``.

    float64 only.  TwoSum recovers the subtraction's error and Dekker's TwoProduct the
    product's; λ is scaled into [1/2, 1) by a power of two (and ``a - m`` by its inverse) so
    that neither the split nor the partial products underflow or overflow where ``|z|``
    matters.  Non-finite spots and exact zeros get 0.
    """
    xp = ops.xp
    if halves:
        a, m, lam = a * 0.5, m * 0.5, lam * 2.0
    d = a - m
    bb = d - a
    d_lo = (a - (d - bb)) + (-m - bb)  # a - m = d + d_lo exactly
    mant, ex = math.frexp(lam)
    ds = _pow2_scale(d, ex)  # λ d = mant * ds
    c = mant * SPLIT
    l_hi = c - (c - mant)
    l_lo = mant - l_hi
    cd = ds * SPLIT
    d_hi = cd - (cd - ds)
    d_lo2 = ds - d_hi
    p_err = ((l_hi * d_hi - z) + l_hi * d_lo2 + l_lo * d_hi) + l_lo * d_lo2
    corr = p_err + lam * xp.where(d == 0, 0.0, d_lo)
    ok = xp.isfinite(corr) & xp.isfinite(z) & xp.isfinite(cd) & (d != 0)
    return xp.where(ok, corr, 0.0)


def _certified(ops, lam: float, m, s, w, rho: int, c: int, need):
    """Slices where the plain computation is within the goal, from W (an upper bound) and s.

    First-order bounds, per output k (t_k = |z_k|, p_k its weight, κ_k its condition):
    the error of ``z`` moves ``log p_k`` by at most ``ρ u (t_k + W)``; the goal leaves
    ``2u + c u κ_k`` for it.  Two lower bounds of κ_k do the work: ``κ_k >= |W - t_k|`` and
    ``κ_k >= |λ x_k| (1 - 2 p_k) + K`` with ``K = |λ m - W|``.  The first certifies every k
    when W <= 1/ρ; the second every k with ``p_k <= π = (1 - ρ/c)/2`` when
    ``ρ (M + W) <= c K``; weights above π exist only when ``s < 1/π`` and have
    ``t_k < T = log(1/(π s))``, certified by the first bound when T is below the band where
    it fails (``T <= t1``, i.e. ``π s >= exp(-t1)``).  log_softmax has
    ``2u |y_k| >= 2u (t_k + log s)`` instead of 2u (always enough when ρ = 1), and lse needs
    ``ρ W <= 2 |λ lse| + c K``.
    """
    xp = ops.xp
    lam_m = m * lam
    ck = abs(lam_m - w)
    ck *= c
    a_ok = abs(lam_m)
    a_ok += w
    a_ok = (a_ok * rho if rho != 1 else a_ok) <= ck  # every weight <= π certified
    pi = (1.0 - rho / c) / 2.0
    few = s >= 1.0 / pi  # no weight above π
    ok = None
    if "p" in need:
        ok = w <= 1.0 / rho
        open_ = a_ok & ~ok & ~few
        ok |= a_ok & few
        if ops.any(open_):
            ok |= open_ & (s * pi >= xp.exp(-(2.0 + (c - rho) * w) / (c + rho)))
    if "logp" in need and rho != 1:
        log_s = xp.log(s)
        t1l = ((c - rho) * w + 2.0 * log_s) / (rho + c - 2.0)
        okl = ((rho - 1) * w <= log_s) | (a_ok & (few | (s * pi >= xp.exp(-t1l))))
        ok = okl if ok is None else ok & okl
    if "lse" in need:
        okz = rho * w <= 2.0 * abs(lam_m + xp.log(s)) + ck
        ok = okz if ok is None else ok & okz
    return s == s if ok is None else ok


def certify(ops, lam: float, m, z, e, s, need, float32: bool):
    """Return, per slice (kept dims), whether the plain computation is within the goal.

    For a few slices the free bound ``W <= log n - log s`` (entropy at most log n) is tried
    first; ``W = -Σ e z / s`` (one dot product) is computed where it cannot certify.
    """
    xp = ops.xp
    rho, c = rounding_counts(lam, float32)
    m64, s64 = ops.to64(m), ops.to64(s)
    n = ops.length(z)
    if n == 1 or (rho == 1 and set(need) <= {"logp"}):
        return s64 == s64  # one entry, or log_softmax with one rounding: always enough
    ok = None
    if math.prod(s64.shape) <= 64:
        ok = _certified(ops, lam, m64, s64, xp.clip(math.log(n) - xp.log(s64), 0.0, None), rho, c, need)
        if ops.all(ok):
            return ok
    w = -ops.to64(ops.dot(e, z)) / s64
    if ops.any(xp.isnan(w)):  # 0 * -inf where an entry's weight underflowed to 0
        w = -ops.to64(ops.total(xp.where(e > 0, e * z, 0.0))) / s64
    w = w * (1.0 + 2.0 ** -20) + 1e-300  # the dot product's own rounding, generously
    cert = _certified(ops, lam, m64, s64, w, rho, c, need)
    return cert if ok is None else ok | cert


def _rest(ops, e, s, idx):
    """``r = s - 1`` without cancellation, and the slices ``near`` (s < 1.5, else None).

    In ``near`` the sum is taken again without one dominant term (e = 1).
    """
    near = s < 1.5
    if not ops.any(near):
        return s - 1.0, None
    return ops.rest_near(e, s, near, idx), near


def _low_rest(ops, z, r):
    """Return the slices where ``r`` is below the smallest normal, and ``e^700 r`` there (float64).

    Each term of such a rest is an underflowed or subnormal ``exp``, with few or no bits;
    summed again from ``exp(z + 700)`` (float64, only those slices' rows) they keep all
    of theirs.  ``(None, None)`` when no slice is low (one comparison per slice).
    """
    if ops.length(z) == 1:
        return None, None  # no rest at all: r = 0 is exact
    low = r < ops.tiny(r)
    if not ops.any(low):
        return None, None
    return low, ops.rest_scaled(z, low)


def finite_outputs(ops, a, m, lam: float, need, goal: str, idx=None) -> dict[str, Any]:
    """Compute the outputs for finite nonzero λ and finite m (kept dims) to ``goal``'s accuracy.

    ``need`` holds some of "lse", "p", "logp"; "s" and "m" come too (for the torch
    backward).  When the computation dtype is the goal's, uncertified slices are corrected
    (float64) or recomputed in float64 (float32).  ``idx`` is one dominant position or None.
    """
    xp = ops.xp
    halves = span_overflows(ops, a, m, lam)
    z = shifted(ops, a, m, lam, halves)
    e = ops.exp(z)
    s = ops.total(e)
    fix = None
    if goal == ops.dtype_name(a):
        ok = certify(ops, lam, m, z, e, s, need, goal == "float32")
        fix = None if ops.all(ok) else ~ok
    if fix is not None and goal == "float32":
        wide = finite_outputs(ops, ops.to64(a), ops.to64(m), lam, need, "float32", idx)
        plain = finite_outputs(ops, a, m, lam, need, "float16", idx)  # "float16": no certificate
        return {k: xp.where(fix, ops.like(wide[k], plain[k]), plain[k]) for k in plain}
    if fix is not None:
        corr = xp.where(fix, exp_error(ops, a, m, lam, z, halves), 0.0)
        e = e + e * corr
        z = z + corr
        s = ops.total(e)
    r, near = _rest(ops, e, s, idx)
    out: dict[str, Any] = {"s": s, "m": m}
    if "p" in need:  # s = 1 + r: the plain sum loses the terms below half an ulp of 1
        out["p"] = ops.div_(e, s if near is None else xp.where(near, r + 1.0, s))
    low, big = _low_rest(ops, z, r) if "lse" in need or "logp" in need else (None, None)
    if "lse" in need:
        term = ops.to64(xp.log1p(r)) / lam
        if low is not None:  # |λ| < 1 would magnify the lost bits: divide before scaling back
            term = xp.where(low, big / lam * math.exp(-700.0), term)
        out["lse"] = ops.like(ops.to64(m) + term, m)
    if "logp" in need:
        if low is not None:
            r = xp.where(low, ops.like(big * math.exp(-700.0), r), r)
        out["logp"] = ops.sub_(z, xp.log1p(r))
        if lam < 0:  # z = λ (+0.0) = -0.0 at the dominant entry; v - (-0.0) = v + 0.0 makes log 1 +0.0
            out["logp"] = ops.sub_(out["logp"], -0.0)
    return out


def limit_outputs(ops, a, m, need) -> dict[str, Any]:
    """Take the limits where the dominant entry is infinite or λ = ±inf: uniform over the ties.

    Slices holding NaN give NaN.  ``lse`` is the dominant entry itself.
    """
    xp = ops.xp
    hit = ops.cast(a == m, a)
    k = ops.total(hit)
    nan = xp.isnan(m)
    out: dict[str, Any] = {"lse": m, "s": k, "m": m}
    if "p" in need:
        out["p"] = xp.where(nan, math.nan, hit / k)
    if "logp" in need:
        out["logp"] = xp.where(nan, math.nan, xp.where(hit > 0, 0.0 - xp.log(k), -math.inf))
    return out


def uniform_outputs(ops, a, need) -> dict[str, Any]:
    """λ = 0: the uniform distribution; NaN in a slice with a NaN, or an infinite entry beside others.

    An infinite entry among other values takes all the mass as λ -> 0 from one side
    (``+inf`` from above, ``-inf`` from below) and none from the other, so that slice has no
    limit at λ = 0 (``torch.softmax(0 * x)`` gives NaN too).  A slice of equal infinite
    entries is uniform for every λ (the policy of equal entries), so at λ = 0 as well.
    """
    xp = ops.xp
    n = ops.length(a)
    up, down = a == math.inf, a == -math.inf
    nan = (ops.any_along(xp.isnan(a)) | (ops.any_along(up) & ops.any_along(~up))
           | (ops.any_along(down) & ops.any_along(~down)))
    out: dict[str, Any] = {}
    if "p" in need:
        out["p"] = xp.where(nan, math.nan, ops.full_like(a, 1.0 / n))
    if "logp" in need:
        out["logp"] = xp.where(nan, math.nan, ops.full_like(a, 0.0 - math.log(n)))
    return out


def outputs(ops, a, lam: float, need, goal: str) -> dict[str, Any]:
    """All requested outputs (kept dims) for any λ != NaN; λ = 0 gives p and logp only.

    ``log 1`` is +0.0 on every path (``0.0 - log k``, not ``-log k``; see ``finite_outputs``).
    """
    xp = ops.xp
    if lam == 0:
        return uniform_outputs(ops, a, need)
    m, idx = ops.dominant(a, lam)  # idx: one dominant position, when it came for free
    if math.isinf(lam):
        return limit_outputs(ops, a, m, need)
    special = ~xp.isfinite(m)
    if not ops.any(special):
        return finite_outputs(ops, a, m, lam, need, goal, idx)
    # the finite path runs on zeros there, its results replaced by the limits
    out = finite_outputs(ops, xp.where(special, 0.0, a), xp.where(special, 0.0, m), lam, need, goal, idx)
    lim = limit_outputs(ops, a, m, need)
    return {k: xp.where(special, lim[k], v) for k, v in out.items()}


# --- backward (J^T g), the same for numpy arrays and torch tensors -----------------------

def scaled(ops, t, lam: float):
    """Return ``λ t`` (float32 work never meets a λ beyond float32: see ``FLOAT32_LAM``)."""
    return t if lam == 1.0 else t * lam


def lse_grad(ops, p, g):
    """Return ``g p``: the gradient of lse is the softmax (the tie weights for λ = ±inf)."""
    return ops.unsqueeze(g) * p


def softmax_grad(ops, p, g, lam: float, near):
    """Return ``λ p ⊙ (h - <h, p>)``, with ``h = g - g_dom`` in the slices ``near`` (p_dom > 1/2).

    Relative to the dominant entry, its own component is ``-Σ_j p_j (g_j - g_dom)``: small
    terms, not the difference of two numbers near ``g_dom``.  Slices with an infinite
    dominant entry use their limit ``p`` (uniform over the tied entries): the gradient is
    the limit of the gradient along equal entries, as the values are (0 when one-hot).
    """
    h = g if near is None else g - ops.near_dominant(g, p, near)
    out = h - ops.dot(h, p)
    out *= p  # in place: one array fewer (autograd allows it: the subtraction keeps nothing)
    return scaled(ops, out, lam)


def log_softmax_grad(ops, p, g, lam: float, near):
    """Return ``λ (g - p Σ g)``, the dominant component apart in the slices ``near``.

    There it is ``g_dom (1 - p_dom) - p_dom Σ_{j≠dom} g_j``, each sum without its big term.
    Slices with an infinite dominant entry use their limit ``p``, so the gradient is the
    limit too (``[-5, 2, 3]`` for ``(log_softmax([inf, 1, 2]) * [1, 2, 3]).sum()``).
    """
    out = p * -ops.total(g)
    out += g
    if near is not None:
        out = ops.fix_dominant(out, g, p, near)
    return scaled(ops, out, lam)

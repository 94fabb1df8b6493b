"""numeric's lse/softmax/log_softmax and their torch gradients against mpmath at 60 digits.

One table of adversarial inputs (ties, spans beyond the float range, infinities, huge and
subnormal λ) runs through every backend and dtype.  Each input is first rounded to the
dtype; the reference is the exact function of those rounded values and of the exact λ.

Error goal, for every output y (and every gradient component):

    |got - y| <= 4 (ulp(y) + u C(x)),   C(x) = Σ_j |x_j ∂y/∂x_j|

``u`` is the dtype's unit roundoff and ``C`` the componentwise condition number times
|y|: what rounding the inputs alone may cause.  A true value beyond the dtype's range
must come out as the infinity of its sign (or within the goal of it), a finite true value
never as NaN or an infinity.
"""

from __future__ import annotations

import contextlib
import functools
import math

import mpmath
import numpy as np
import pytest
import torch

import numeric._lse_core as core
import numeric._lse_torch as lse_torch
from numeric import log_softmax, logsumexp, softmax

INF = math.inf
NAN = math.nan
DPS = 60

# name -> x; every vector is tried with every λ of LAMS below
XS = {
    "pair": [1.0, 2.0],
    "tie_max": [1.0, 3.0, 3.0],
    "all_tie": [0.0, 0.0],
    "sheet_1": [1.0, 2.0, 3.0],
    "sheet_2": [11.0, 12.0, 13.0],
    "sheet_3": [10.0, 20.0, 30.0],
    "cancel": [0.0, -40.0],
    "far": [1e3, 1.0],
    "linspace": [float(v) for v in np.linspace(-3, 3, 50)],
    "spread_mass": [10.1] + [9.9] * 12 + [0.0, -3.3, 1e-3],
    "mixed_sign": [700.0, -700.0, 0.0, 0.3],
    "decimals": [0.1, 0.2, 0.3],
    "powers": [0.5, 0.25, 0.125, 1e-5],
    "near_underflow": [-745.0, -745.5],
    "triple_700": [700.0, 700.0, 700.0],
    "subnormal": [5e-324, 0.0, -5e-324],
    "tiny": [1e-300, -1e-300],
    "span_f64": [1e308, -1e308],
    "span_f32": [3e38, -3e38, 1.0],
    "span_f16": [6e4, -6e4, 0.5],
    "max_f64": [1.7976931348623157e308, 1.7976931348623157e308, 0.0],
    "single": [1.5],
    "subnormal_rest_64": [0.0, -720000.0],  # λ = 1e-3: r = e^-720 is subnormal, lse = r/λ
    "subnormal_rest_32": [0.0, -95000.0],  # the same in float32: e^-95
    "neg_inf": [-INF, 0.0, 1.0],
    "pos_inf": [INF, 1.0, INF],
    "all_neg_inf": [-INF, -INF],
    "all_pos_inf": [INF, INF, INF],
    "both_inf": [INF, -INF, 2.0],
    "nan": [NAN, 1.0],
}

LAMS = [-INF, -1e306, -3.5e38, -37.0, -1.0, -1e-300, 0.0, 1e-310, 1e-300, 1e-30, 1e-3, 1.0,
        2.5, 1.1, 3.5e38, 1e306, INF]

# "torch" runs CPU tensors through numpy's kernels (numeric._lse_torch.CPU_VIA_NUMPY);
# "torch-ops" forces torch's own ops, the route of every other device
BACKENDS = [("numpy", "float16"), ("numpy", "float32"), ("numpy", "float64"),
            ("torch", "bfloat16"), ("torch", "float16"), ("torch", "float32"), ("torch", "float64"),
            ("torch-ops", "bfloat16"), ("torch-ops", "float32"), ("torch-ops", "float64")]

# (mantissa bits, smallest normal exponent, largest finite value)
FORMATS = {
    "float16": (11, -14, 65504.0),
    "bfloat16": (8, -126, float(torch.finfo(torch.bfloat16).max)),
    "float32": (24, -126, float(np.finfo(np.float32).max)),
    "float64": (53, -1022, float(np.finfo(np.float64).max)),
}

FUNCS = ("lse", "softmax", "log_softmax")


# --- the reference ---------------------------------------------------------------------

def _round(x: list[float], dtype: str) -> tuple[float, ...]:
    if dtype == "bfloat16":
        return tuple(torch.tensor(x, dtype=torch.bfloat16).double().tolist())
    with np.errstate(over="ignore"):
        return tuple(float(v) for v in np.array(x, dtype=dtype))


def _limit(xs, dominant, lam):
    """The policy where the dominant entry is infinite or λ = ±inf: uniform over the ties."""
    ties = [v == dominant for v in xs]
    k = sum(ties)
    p = [mpmath.mpf(1) / k if t else mpmath.mpf(0) for t in ties]
    logp = [-mpmath.log(k) if t else mpmath.mpf(-INF) for t in ties]
    zero = [mpmath.mpf(0)] * len(xs)
    return {"lse": mpmath.mpf(dominant), "p": p, "logp": logp,
            "c_lse": mpmath.mpf(0), "c_p": zero, "c_logp": zero}


def _zero_side(xs, side: int) -> list:
    """The softmax's limit as λ -> 0 from the side of ``side`` (±1): the dominant infinity takes all.

    Where the dominant entry (the max from above, the min from below) is infinite, the mass is
    uniform over the entries equal to it; else the other infinity gets 0 and the finite entries
    share the mass evenly (``exp(λ x) -> 1``).
    """
    dominant = max(xs) if side > 0 else min(xs)
    take = [v == dominant for v in xs] if math.isinf(dominant) else [math.isfinite(v) for v in xs]
    return [mpmath.mpf(1) / sum(take) if t else mpmath.mpf(0) for t in take]


@functools.cache
def reference(xs: tuple[float, ...], lam: float) -> dict:
    """Exact lse, softmax, log_softmax of ``xs`` (floats at their value) and their conditions."""
    with mpmath.workdps(DPS):
        n = len(xs)
        if any(math.isnan(v) for v in xs):
            nan = mpmath.mpf(NAN)
            return {"lse": nan, "p": [nan] * n, "logp": [nan] * n, "c_lse": 0, "c_p": [0] * n,
                    "c_logp": [0] * n}
        if lam == 0:
            out = _limit(xs, xs[0], 1.0)
            sides = {tuple(_zero_side(xs, side)) for side in (1, -1)}
            if len(sides) > 1:  # the limits as λ -> 0+ and 0- differ: no value at 0
                nan = mpmath.mpf(NAN)
                out["p"], out["logp"] = [nan] * n, [nan] * n
            else:
                out["p"] = [mpmath.mpf(1) / n] * n
                out["logp"] = [-mpmath.log(n)] * n
            out["lse"] = None  # undefined: logsumexp raises
            return out
        dominant = max(xs) if lam > 0 else min(xs)
        if math.isinf(lam) or math.isinf(dominant):
            return _limit(xs, dominant, lam)
        lam_m = mpmath.mpf(lam)
        m = mpmath.mpf(dominant)
        live = [math.isfinite(v) for v in xs]  # the other infinity gets weight 0
        z = [lam_m * (mpmath.mpf(v) - m) if ok else mpmath.mpf(-INF) for v, ok in zip(xs, live)]
        e = [mpmath.exp(v) if ok else mpmath.mpf(0) for v, ok in zip(z, live)]
        k = xs.index(dominant)
        rest = mpmath.fsum(e[:k] + e[k + 1:])  # Σ e - 1 without losing it next to 1
        p = [v / (1 + rest) for v in e]
        log_s = mpmath.log1p(rest)
        logp = [v - log_s if ok else mpmath.mpf(-INF) for v, ok in zip(z, live)]
        ax = [abs(mpmath.mpf(v)) if ok else mpmath.mpf(0) for v, ok in zip(xs, live)]
        a = mpmath.fsum(pj * v for pj, v in zip(p, ax))
        # κ_k = |λ| (|x_k| (1 - p_k) + Σ_{j≠k} p_j |x_j|); for the dominant entry (p_k near 1)
        # both sums are taken without their big term, 60 digits cannot hold 1 - 1e-300
        c_logp = [abs(lam_m) * (ax[i] * (1 - pk) + a - pk * ax[i]) for i, pk in enumerate(p)]
        c_logp[k] = abs(lam_m) * (ax[k] * mpmath.fsum(p[:k] + p[k + 1:])
                                  + mpmath.fsum(pj * v for pj, v in zip(p[:k] + p[k + 1:], ax[:k] + ax[k + 1:])))
        return {"lse": m + log_s / lam_m, "p": p, "logp": logp, "c_lse": a,
                "c_p": [c * pk for c, pk in zip(c_logp, p)], "c_logp": c_logp}


# --- comparing -------------------------------------------------------------------------

def ulp(t, dtype: str):
    """Spacing of the dtype's floats at the exact value ``t`` (mpf, finite)."""
    bits, emin, _ = FORMATS[dtype]
    if t == 0:
        return mpmath.ldexp(1, emin - bits + 1)
    _, e = mpmath.frexp(t)  # |t| = f 2^e with f in [1/2, 1)
    return mpmath.ldexp(1, max(e - 1, emin) - bits + 1)


def within_goal(got: float, want, cond, dtype: str, k: float = 4.0) -> bool:
    """``got`` (a float) against the exact ``want`` (mpf) with the goal above."""
    if want is None:
        return True
    with mpmath.workdps(DPS):
        if mpmath.isnan(want):
            return math.isnan(got)
        if mpmath.isinf(want):
            return got == float(want)
        if math.isnan(got):
            return False
        bits, _, fmax = FORMATS[dtype]
        tol = k * (ulp(want, dtype) + mpmath.ldexp(cond, -bits))
        if abs(want) > fmax:  # overflows the dtype: the infinity of its sign, or close to it
            if math.isinf(got):
                return (got > 0) == (want > 0)
        elif math.isinf(got):
            return False
        return abs(mpmath.mpf(got) - want) <= tol


@contextlib.contextmanager
def route(backend: str):
    """torch's route for CPU tensors: numpy kernels ("torch") or torch ops ("torch-ops")."""
    old = lse_torch.CPU_VIA_NUMPY
    lse_torch.CPU_VIA_NUMPY = backend != "torch-ops"
    try:
        yield
    finally:
        lse_torch.CPU_VIA_NUMPY = old


def run(backend: str, dtype: str, func: str, x, lam: float):
    fn = {"lse": logsumexp, "softmax": softmax, "log_softmax": log_softmax}[func]
    if backend == "numpy":
        with np.errstate(over="ignore"):
            arr = np.array(x, dtype=dtype)
        out = fn(arr, lam=lam)
        assert out.dtype == arr.dtype
        return np.asarray(out, dtype=np.float64).ravel().tolist()
    t = torch.tensor(x, dtype=getattr(torch, dtype))
    with route(backend):
        out = fn(t, lam=lam)
    assert out.dtype == t.dtype
    return out.double().reshape(-1).tolist()


def _wanted(ref: dict, func: str) -> tuple[list, list]:
    return {"lse": ([ref["lse"]], [ref["c_lse"]]), "softmax": (ref["p"], ref["c_p"]),
            "log_softmax": (ref["logp"], ref["c_logp"])}[func]


def forward_failures(backend: str, dtype: str, func: str) -> tuple[list[str], int]:
    """Return the failing (case, λ) of one backend and function, and the number of cases."""
    failures, count = [], 0
    for name, x in XS.items():
        xs = _round(x, dtype)
        for lam in LAMS:
            ref = reference(xs, lam)
            if func == "lse" and lam == 0:
                continue  # raises: tested in test_softmax.py
            count += 1
            try:
                got = run(backend, dtype, func, x, lam)
            except Exception as exc:  # a crash is a failure of the case, reported with the rest
                failures.append(f"{name} λ={lam}: {type(exc).__name__}: {exc}")
                continue
            want, cond = _wanted(ref, func)
            bad = [i for i, (g, w, c) in enumerate(zip(got, want, cond)) if not within_goal(g, w, c, dtype)]
            if bad or len(got) != len(want):
                i = bad[0] if bad else 0
                failures.append(f"{name} λ={lam}: entry {i} got {got[i]!r}, want {mpmath.nstr(want[i], 17)[:40]}")
    return failures, count


@pytest.mark.parametrize("func", FUNCS)
@pytest.mark.parametrize("backend, dtype", BACKENDS)
def test_forward_table_within_goal(backend, dtype, func):
    failures, count = forward_failures(backend, dtype, func)
    assert failures == [], f"{len(failures)} of {count} cases fail:\n" + "\n".join(failures[:12])


# --- where only the correction of z reaches the goal ---------------------------------

def far_max(seed: int) -> list[float]:
    """One entry 4.6 over 2000 in [-0.01, 0.01]: with λ = 1.1 the small entries carry most of
    the mass, their inputs are nearly exact, and the rounding of λ (x - m) ≈ -5.06 is not."""
    return [4.6] + np.random.default_rng(seed).uniform(-0.01, 0.01, 2000).tolist()


def worst_softmax(backend: str, dtype: str, x: list[float], lam: float) -> float:
    """Largest error of softmax over the entries, in units of the goal's tolerance / 4."""
    ref = reference(_round(x, dtype), lam)
    got = run(backend, dtype, "softmax", x, lam)
    bits = FORMATS[dtype][0]
    with mpmath.workdps(DPS):
        return max(float(abs(mpmath.mpf(g) - w) / (ulp(w, dtype) + mpmath.ldexp(c, -bits)))
                   for g, w, c in zip(got, ref["p"], ref["c_p"]))


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("backend, dtype", [("numpy", "float32"), ("numpy", "float64"),
                                            ("torch-ops", "float32"), ("torch-ops", "float64")])
def test_correction_reaches_the_goal_where_the_plain_sum_misses_it(backend, dtype, seed, monkeypatch):
    x = far_max(seed)
    assert worst_softmax(backend, dtype, x, 1.1) <= 4
    # without the certificate's verdict (everything "certified") the plain computation misses
    monkeypatch.setattr(core, "certify", lambda ops, lam, m, z, e, s, need, f32: s == s)
    assert worst_softmax(backend, dtype, x, 1.1) > 5


# --- numpy and torch agree -------------------------------------------------------------

def agree(a: float, b: float, want, cond, dtype: str, k: float = 2.0) -> bool:
    """Within ``k (ulp + u C)`` of each other: the exp, log1p and sum kernels of the two
    libraries differ by an ulp here and there, and the conditioning amplifies that."""
    if math.isnan(a) or math.isnan(b) or math.isinf(a) or math.isinf(b):
        return (math.isnan(a) and math.isnan(b)) or a == b
    with mpmath.workdps(DPS):
        bits = FORMATS[dtype][0]
        tol = k * (ulp(want if mpmath.isfinite(want) else mpmath.mpf(a), dtype) + mpmath.ldexp(cond, -bits))
        return abs(mpmath.mpf(a) - mpmath.mpf(b)) <= tol


@pytest.mark.parametrize("backend", ["torch", "torch-ops"])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("func", FUNCS)
def test_numpy_and_torch_agree_on_every_case(dtype, func, backend):
    bad = []
    for name, x in XS.items():
        xs = _round(x, dtype)
        for lam in LAMS:
            if func == "lse" and lam == 0:
                continue
            want, cond = _wanted(reference(xs, lam), func)
            a, b = run("numpy", dtype, func, x, lam), run(backend, dtype, func, x, lam)
            if not all(agree(u, v, w, c, dtype) for u, v, w, c in zip(a, b, want, cond)):
                bad.append(f"{name} λ={lam}: numpy {a[:4]} torch {b[:4]}")
    assert bad == [], "\n".join(bad[:12])


# --- gradients -------------------------------------------------------------------------

GRAD_XS = ["pair", "tie_max", "all_tie", "sheet_2", "cancel", "far", "decimals", "spread_mass",
           "span_f64", "single", "neg_inf", "all_neg_inf"]
G = [0.3, -1.1, 0.7, 0.25, -0.6, 1.3, -0.2, 0.9, -1.7, 0.45, 0.05, -0.35, 1.05, -0.8, 0.6, -0.15, 0.2]
# (name, x, g): the table's vectors with G, and a g whose terms cancel next to a near one-hot p
GRAD_CASES = [(name, XS[name], G[: len(XS[name])]) for name in GRAD_XS] + [
    ("onehot_g", [0.0, -40.0, -45.0], [1.0, 1e-3, -1e-3])]
GRAD_LAMS = [-INF, -1e306, -3.5e38, -1.0, 1e-300, 1.0, 2.5, 3.5e38, 1e306, INF]


def grad_reference(xs: tuple[float, ...], lam: float, g: list[float], func: str):
    """Exact gradient (J^T g) of one function and the condition of each component."""
    ref = reference(xs, lam)
    with mpmath.workdps(DPS):
        p = ref["p"]
        n = len(xs)
        # an infinite dominant entry: the limit along equal entries, as for the values (the
        # formulas with the limit p); λ = ±inf or 0: piecewise constant in x
        lam_m = mpmath.mpf(lam) if math.isfinite(lam) and lam != 0 else mpmath.mpf(0)
        ax = [abs(mpmath.mpf(v)) if math.isfinite(v) else mpmath.mpf(0) for v in xs]
        gm = [mpmath.mpf(v) for v in g]
        if func == "lse":  # d lse / dx = p: the tie weights for the limits
            grad = [gm[0] * pk for pk in p]
            # d p_k / dx_j = λ p_k (δ_kj - p_j)
            cond = [abs(gm[0]) * abs(lam_m) * pk * (ax[k] * (1 - pk) + mpmath.fsum(
                p[j] * ax[j] for j in range(n) if j != k)) + abs(gm[0] * pk) for k, pk in enumerate(p)]
            return grad, cond
        if func == "softmax":
            gbar = mpmath.fsum(pk * gk for pk, gk in zip(p, gm))
            grad = [lam_m * pk * (gk - gbar) for pk, gk in zip(p, gm)]
            cond = []
            for k in range(n):
                c = mpmath.mpf(0)
                for j in range(n):
                    dkj = 1 if j == k else 0
                    hx = lam_m ** 2 * (p[k] * (dkj - p[j]) * (gm[k] - gbar) - p[k] * p[j] * (gm[j] - gbar))
                    hg = lam_m * p[k] * (dkj - p[j])
                    c += abs(hx) * ax[j] + abs(hg) * abs(gm[j])
                cond.append(c)
            return grad, cond
        gsum = mpmath.fsum(gm)
        grad = [lam_m * (gk - pk * gsum) for pk, gk in zip(p, gm)]
        cond = []
        for k in range(n):
            c = mpmath.mpf(0)
            for j in range(n):
                dkj = 1 if j == k else 0
                c += abs(lam_m ** 2 * gsum * p[k] * (dkj - p[j])) * ax[j]
                c += abs(lam_m * (dkj - p[k])) * abs(gm[j])
            cond.append(c)
        return grad, cond


def torch_grad(x, lam: float, g: list[float], func: str, dtype: str, backend: str) -> list[float]:
    t = torch.tensor(x, dtype=getattr(torch, dtype), requires_grad=True)
    fn = {"lse": logsumexp, "softmax": softmax, "log_softmax": log_softmax}[func]
    with route(backend):
        out = fn(t, lam=lam)
        gt = torch.tensor(g[:1] if func == "lse" else g, dtype=t.dtype).reshape(out.shape)
        (grad,) = torch.autograd.grad(out, t, gt)
    return grad.double().tolist()


def grad_failures(dtype: str, func: str, backend: str = "torch") -> tuple[list[str], int]:
    failures, count = [], 0
    for name, x, g in GRAD_CASES:
        xs = _round(x, dtype)
        g = [float(v) for v in np.array(g, dtype=dtype)]
        for lam in GRAD_LAMS:
            if func == "log_softmax" and math.isinf(lam):
                continue  # -inf outputs, constant in x (infinite entries: the limit, checked)
            count += 1
            want, cond = grad_reference(xs, lam, g, func)
            try:
                got = torch_grad(x, lam, g, func, dtype, backend)
            except Exception as exc:
                failures.append(f"{name} λ={lam}: {type(exc).__name__}: {exc}")
                continue
            bad = [i for i, (a, w, c) in enumerate(zip(got, want, cond)) if not within_goal(a, w, c, dtype)]
            if bad:
                i = bad[0]
                failures.append(f"{name} λ={lam}: d/dx[{i}] got {got[i]!r}, want {mpmath.nstr(want[i], 17)[:40]}")
    return failures, count


@pytest.mark.parametrize("backend", ["torch", "torch-ops"])
@pytest.mark.parametrize("func", FUNCS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gradient_table_within_goal(dtype, func, backend):
    failures, count = grad_failures(dtype, func, backend)
    assert failures == [], f"{len(failures)} of {count} cases fail:\n" + "\n".join(failures[:12])


def test_the_goal_rejects_a_wrong_value():
    # the comparison itself can fail: 5 ulp off a well-conditioned value, NaN, a spurious inf
    want = reference((1.0, 2.0), 1.0)["p"][0]
    good = float(want)
    assert within_goal(good, want, 0, "float64")
    assert not within_goal(good + 5 * math.ulp(good), want, 0, "float64")
    assert not within_goal(NAN, want, 0, "float64") and not within_goal(INF, want, 0, "float64")
    big = reference((1e308, -1e308), 1e-308)["lse"]  # 1.1269e308: finite, so inf is wrong
    assert 1.12e308 < big < 1.13e308 and not within_goal(INF, big, 0, "float64")
    # and the agreement check: 3 ulp apart is too far where the conditioning allows nothing
    assert agree(good, good + 2 * math.ulp(good), want, 0, "float64")
    assert not agree(good, good + 3 * math.ulp(good), want, 0, "float64")


if __name__ == "__main__":  # counts for the record: python tests/test_softmax_mpmath.py
    fwd = [forward_failures(b, d, f) for b, d in BACKENDS for f in FUNCS]
    grd = [grad_failures(d, f, b) for b in ("torch", "torch-ops") for d in ("float32", "float64") for f in FUNCS]
    print(f"forward: {sum(len(f) for f, _ in fwd)} of {sum(c for _, c in fwd)} cases fail")
    print(f"gradient: {sum(len(f) for f, _ in grd)} of {sum(c for _, c in grd)} cases fail")
    for (b, d, f), (fl, _) in zip([(b, d, f) for b, d in BACKENDS for f in FUNCS], fwd):
        print(b, d, f, len(fl), fl[:3])
    for (b, d, f), (fl, _) in zip([(b, d, f) for b in ("torch", "torch-ops") for d in ("float32", "float64")
                                   for f in FUNCS], grd):
        print("grad", b, d, f, len(fl), fl[:3])

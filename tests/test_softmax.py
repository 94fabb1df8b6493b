"""numeric lse/softmax: special values, laws, torch autograd, and one regression test per bug.

The adversarial accuracy table (every backend and dtype against mpmath) is
``test_softmax_mpmath.py``; this file holds the named cases.
"""

import functools
import math

import mpmath
import numpy as np
import pytest
import torch
from test_softmax_mpmath import route

from numeric import log_softmax, logsumexp, softmax

mpmath.mp.dps = 50


def mp_lse(x, lam):
    xs = [mpmath.mpf(float(v)) for v in x]
    lam = mpmath.mpf(lam)
    return mpmath.log(mpmath.fsum(mpmath.exp(lam * v) for v in xs)) / lam


def mp_softmax(x, lam):
    xs = [mpmath.mpf(float(v)) for v in x]
    lam = mpmath.mpf(lam)
    m = max(xs) if lam > 0 else min(xs)
    e = [mpmath.exp(lam * (v - m)) for v in xs]
    s = mpmath.fsum(e)
    return [v / s for v in e]


def ulps(got, want):
    want = float(want)
    if want == 0:
        return abs(got) / 5e-324
    return abs(got - want) / math.ulp(want)


INF = math.inf


def test_cases_where_torch_and_scipy_fail():
    # overflow of lam * x in torch: inf/nan; ours 1000 and [1, 0]
    x = np.array([1e3, 1.0])
    assert float(logsumexp(x, lam=1e306)) == 1000.0
    assert softmax(x, lam=1e306).tolist() == [1.0, 0.0]
    assert not math.isfinite(float(torch.logsumexp(torch.tensor(x) * 1e306, 0) / 1e306))
    # float16 computed in float32
    h = np.array([1e3, 999.0], dtype=np.float16)
    out = logsumexp(h, lam=1e4)
    assert out.dtype == np.float16 and float(out) == 1000.0
    # log1p of the rest: torch returns exactly 0 here
    assert float(logsumexp(np.array([0.0, -40.0]))) == pytest.approx(4.248354255291589e-18, rel=1e-15)
    assert float(torch.logsumexp(torch.tensor([0.0, -40.0], dtype=torch.float64), 0)) == 0.0


def test_infinite_lambda_and_ties():
    x = np.array([1.0, 3.0, 3.0, -2.0])
    assert float(logsumexp(x, lam=np.inf)) == 3.0 and float(logsumexp(x, lam=-np.inf)) == -2.0
    assert softmax(x, lam=np.inf).tolist() == [0, 0.5, 0.5, 0]
    assert softmax(x, lam=-np.inf).tolist() == [0, 0, 0, 1]
    assert softmax(x, lam=0).tolist() == [0.25] * 4
    with pytest.raises(ValueError, match="lam = 0 is undefined"):
        logsumexp(x, lam=0)
    with pytest.raises(ValueError, match="lam must not be NaN"):
        softmax(x, lam=float("nan"))
    with pytest.raises(TypeError, match="lam must be a real number"):
        softmax(x, lam="hot")


def test_infinite_entries_nan_and_empty():
    assert softmax(np.array([np.inf, 1.0, np.inf]), lam=2).tolist() == [0.5, 0.0, 0.5]
    assert float(logsumexp(np.array([np.inf, 1.0]))) == np.inf
    assert softmax(np.array([-np.inf, 0.0])).tolist() == [0.0, 1.0]
    assert float(logsumexp(np.array([-np.inf, 0.0]))) == 0.0
    # all -inf: documented policy = uniform softmax, lse -inf
    assert softmax(np.array([-np.inf, -np.inf])).tolist() == [0.5, 0.5]
    assert float(logsumexp(np.array([-np.inf, -np.inf]))) == -np.inf
    assert np.isnan(logsumexp(np.array([np.nan, 1.0])))
    assert np.isnan(softmax(np.array([np.nan, 1.0]))).all()
    assert logsumexp(np.zeros((3, 0))).tolist() == [-np.inf] * 3
    assert logsumexp(np.zeros((3, 0)), lam=-2).tolist() == [np.inf] * 3  # (1/λ) log 0 for λ < 0
    assert softmax(np.zeros((3, 0))).shape == (3, 0)
    assert logsumexp(np.array([1, 2, 3])).dtype == np.float64  # integers promoted


def test_laws_offset_rescaling_bounds():
    rng = np.random.default_rng(0)
    for _ in range(50):
        x = rng.normal(size=6) * 5
        c = rng.normal() * 10
        lam = float(rng.uniform(0.1, 20))
        np.testing.assert_allclose(softmax(x + c, lam), softmax(x, lam), rtol=1e-12, atol=1e-300)
        np.testing.assert_allclose(logsumexp(x + c, lam), logsumexp(x, lam) + c, rtol=1e-13, atol=1e-13)
        np.testing.assert_allclose(softmax(3 * x, lam), softmax(x, 3 * lam), rtol=1e-12, atol=1e-300)
        lse = float(logsumexp(x, lam))
        assert x.max() <= lse <= x.max() + math.log(6) / lam + 1e-12


def test_axis_argument():
    x = np.arange(12.0).reshape(3, 4)
    assert np.allclose(softmax(x, axis=0).sum(axis=0), 1)
    assert logsumexp(x, axis=0).shape == (4,)
    assert np.allclose(log_softmax(x, lam=2, axis=1), np.log(softmax(x, lam=2, axis=1)))
    t = torch.tensor(x)
    for axis in (0, 1, -1, -2):
        assert np.allclose(softmax(t, lam=0.7, axis=axis).numpy(), softmax(x, lam=0.7, axis=axis), rtol=1e-15)
        assert np.allclose(log_softmax(t, lam=-3, axis=axis).numpy(), log_softmax(x, lam=-3, axis=axis))


def test_torch_backward_uses_softmax():
    x = torch.tensor([1e3, 1e3], dtype=torch.float32, requires_grad=True)
    logsumexp(x, lam=1e4).backward()
    assert x.grad.tolist() == [0.5, 0.5]
    x = torch.tensor([1e308, 1e308], dtype=torch.float64, requires_grad=True)
    logsumexp(x).backward()
    assert x.grad.tolist() == [0.5, 0.5]
    x = torch.tensor([-math.inf, -math.inf], dtype=torch.float64, requires_grad=True)
    logsumexp(x).backward()
    assert torch.isfinite(x.grad).all() and x.grad.tolist() == [0.5, 0.5]
    # torch's own backward is wrong on the first case
    y = torch.tensor([1e3, 1e3], dtype=torch.float32, requires_grad=True)
    (torch.logsumexp(y * 1e4, 0) / 1e4).backward()
    assert y.grad[0].item() != 0.5


def test_half_precision_torch_roundtrip():
    x = torch.tensor([1e3, 999.0], dtype=torch.float16)
    assert logsumexp(x, lam=1e4).dtype == torch.float16 and float(logsumexp(x, lam=1e4)) == 1000.0
    assert softmax(x, lam=1e4).tolist() == [1.0, 0.0]
    # bfloat16 has 8 significant bits: 999 rounds to 1000, a tie
    x = torch.tensor([1e3, 999.0], dtype=torch.bfloat16)
    assert x[1].item() == 1000.0 and softmax(x, lam=1e4).tolist() == [0.5, 0.5]


def test_gradgradcheck_second_derivatives():
    x = torch.randn(3, 5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradgradcheck(lambda t: logsumexp(t, lam=1.7), (x,))
    assert torch.autograd.gradgradcheck(lambda t: softmax(t, lam=-0.8), (x,))


def test_float32_fast_path_accuracy_against_mpmath():
    rng = np.random.default_rng(3)
    for n, lam in ((2, 1.0), (3, 10.0), (50, 0.5), (1000, 3.0), (5, -7.0)):
        x = (rng.normal(size=n) * 4).astype(np.float32)
        t = torch.from_numpy(x)
        want_lse = float(mp_lse(x, lam))
        got = float(logsumexp(t, lam=lam))
        assert abs(got - want_lse) <= 4 * np.spacing(np.float32(abs(want_lse))) + 1e-30
        want_p = [float(v) for v in mp_softmax(x, lam)]
        got_p = softmax(t, lam=lam).numpy().astype(np.float64)
        assert np.allclose(got_p, want_p, rtol=1e-5, atol=1e-30)
    # the cancellation case goes through the exact-rest sum: log1p keeps the tiny value
    v = float(logsumexp(torch.tensor([0.0, -30.0]), lam=1.0))
    assert v == pytest.approx(float(mpmath.log1p(mpmath.exp(-30))), rel=1e-6)


# --- gradients: gradcheck, gradgradcheck and the analytic Jacobian -----------------------

GRID_LAMS = [-INF, -1e306, -1.0, 1e-300, 1.0, 1e306, INF]
INPUTS = {"generic": [[0.3, -1.2, 2.1, 0.9], [1.5, 0.25, -0.75, 3.0]],
          "ties": [[1.0, 3.0, 3.0, -2.0], [0.0, 0.0, 0.0, 0.0]]}
FUNCS = {"lse": logsumexp, "softmax": softmax, "log_softmax": log_softmax}


def analytic_jacobian(func: str, x: np.ndarray, lam: float) -> np.ndarray:
    """Block-diagonal Jacobian of one function of each row (tie weights for λ = ±inf)."""
    rows, n = x.shape
    p = softmax(x, lam=lam)
    scale = 0.0 if math.isinf(lam) else lam  # piecewise constant in x at λ = ±inf
    if func == "lse":
        jac = np.zeros((rows, rows, n))
        for r in range(rows):
            jac[r, r] = p[r]
        return jac
    jac = np.zeros((rows, n, rows, n))
    for r in range(rows):
        eye = np.eye(n)
        block = eye - p[r][None, :]  # d log p_i / d x_j = λ (δ_ij - p_j)
        if func == "softmax":
            block = p[r][:, None] * block
        jac[r, :, r, :] = scale * block if scale else 0.0
    return jac


def finite_differences_apply(func: str, kind: str, lam: float) -> bool:
    """Where central differences (eps = 1e-6) can see the derivative at all."""
    if kind == "ties" and abs(lam) >= 1e306:
        return False  # a jump of the whole weight across a tie, not a slope
    if func == "log_softmax" and math.isinf(lam):
        return False  # -inf entries
    return not (func == "lse" and lam == 1e-300)  # lse ≈ log(n)/λ = 1e300: no digits left


@pytest.mark.parametrize("backend", ["torch", "torch-ops"])
@pytest.mark.parametrize("kind", sorted(INPUTS))
@pytest.mark.parametrize("func", sorted(FUNCS))
@pytest.mark.parametrize("lam", GRID_LAMS)
def test_gradients_are_the_analytic_jacobian(lam, func, kind, backend):
    x = torch.tensor(INPUTS[kind], dtype=torch.float64, requires_grad=True)
    f = functools.partial(FUNCS[func], lam=lam)
    with route(backend):  # CPU tensors through numpy's kernels, or torch's own ops
        jac = torch.autograd.functional.jacobian(f, x).numpy()
        want = analytic_jacobian(func, np.array(INPUTS[kind]), lam)
        assert np.isfinite(jac).all()
        np.testing.assert_allclose(jac, want, rtol=1e-14, atol=0)
        if finite_differences_apply(func, kind, lam):
            assert torch.autograd.gradcheck(f, (x,))
            assert torch.autograd.gradgradcheck(f, (x,))


def test_the_gradient_test_catches_a_wrong_backward(monkeypatch):
    # the backward of issue 14 (λ (x - m) - λ (lse - m), whose where(x == m) cuts the tied
    # maximum out of the graph) fails the Jacobian test at the ties
    def old_log_softmax(t, lam=1.0, axis=-1):
        m = t.amax(dim=axis, keepdim=True)
        d = torch.where(t == m, torch.zeros((), dtype=t.dtype), t - m)
        lse = logsumexp(t, lam=lam, axis=axis).unsqueeze(axis)
        return lam * d - lam * torch.where(lse == m, torch.zeros((), dtype=t.dtype), lse - m)

    monkeypatch.setitem(FUNCS, "log_softmax", old_log_softmax)
    with pytest.raises(AssertionError, match="Not equal to tolerance"):
        test_gradients_are_the_analytic_jacobian(1.0, "log_softmax", "ties", "torch")
    test_gradients_are_the_analytic_jacobian(1.0, "log_softmax", "generic", "torch")  # fine without ties


# --- regressions of issue 14, each with its exact value ----------------------------------

def test_regression_log_softmax_gradient_at_a_tied_maximum():
    x = torch.tensor([0.0, 0.0], dtype=torch.float64, requires_grad=True)
    log_softmax(x).backward(torch.tensor([0.3, -1.1], dtype=torch.float64))
    assert x.grad.tolist() == pytest.approx([0.7, -0.7], rel=1e-15)  # was [0, 0]
    x = torch.tensor([1.0, 3.0, 3.0], dtype=torch.float64, requires_grad=True)
    g = [0.3, -1.1, 0.7]
    log_softmax(x).backward(torch.tensor(g, dtype=torch.float64))
    p = mp_softmax([1.0, 3.0, 3.0], 1.0)
    want = [float(mpmath.mpf(gk) - pk * mpmath.fsum(g)) for gk, pk in zip(g, p)]  # [0.306, -1.053, 0.747]
    assert all(ulps(a, b) <= 2 for a, b in zip(x.grad.tolist(), want))  # was [0.306, -0.153, -0.153]


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_regression_huge_negative_lambda_in_low_precision(dtype):
    # the sign of d * inf for λ < 0 gave [0, nan]
    assert softmax(np.array([1, 2], dtype=dtype), lam=-1e306).tolist() == [1.0, 0.0]
    assert log_softmax(np.array([1, 2], dtype=dtype), lam=-1e306).tolist() == [0.0, -np.inf]
    assert float(logsumexp(np.array([1, 2], dtype=dtype), lam=-1e306)) == 1.0


def test_regression_lambda_beyond_float32_in_torch():
    x = torch.tensor([1.0, 2.0])
    assert log_softmax(x, lam=1e306).tolist() == [-INF, 0.0]  # -1e306 is beyond float32
    assert log_softmax(x, lam=1e-300).tolist() == [-0.6931471824645996] * 2  # float32(-log 2)
    for lam, want in ((1e306, [0.0, 0.0]), (1e-300, [0.0, 0.0]), (3.4e38, [0.0, 0.0])):
        t = x.clone().requires_grad_(True)
        softmax(t, lam=lam).backward(torch.tensor([1.0, 0.0]))
        assert t.grad.tolist() == want  # was NaN
    t = x.clone().requires_grad_(True)
    log_softmax(t, lam=3.4e38).backward(torch.tensor([1.0, 0.0]))
    big = float(np.float32(3.4e38))
    assert t.grad.tolist() == [big, -big]  # λ (g - p Σg), was NaN


def test_regression_tiny_lambda_shift():
    # lse - m overflowed for λ = 1e-310: log_softmax gave -inf
    for x in (np.array([1.0, 2.0]), torch.tensor([1.0, 2.0], dtype=torch.float64)):
        assert [float(v) for v in log_softmax(x, lam=1e-310)] == [-math.log(2)] * 2
        assert float(logsumexp(x, lam=1e-310)) == INF  # log(2)/1e-310 is beyond float64


def test_regression_inputs_spanning_more_than_float_max():
    x = [1e308, -1e308]
    want = float(mp_lse(x, 1e-308))  # 1.1269280110429725e308, not 1e308
    assert 1.1269e308 < want < 1.127e308
    assert ulps(float(logsumexp(np.array(x), lam=1e-308)), want) <= 2
    assert ulps(float(logsumexp(torch.tensor(x, dtype=torch.float64), lam=1e-308)), want) <= 2
    assert float(log_softmax(np.array(x), lam=1e-30)[1]) == pytest.approx(-2e278, rel=1e-15)


def test_regression_single_float32_entry_with_tiny_lambda():
    assert float(logsumexp(np.array([1.0], dtype=np.float32), lam=1e-300)) == 1.0  # was NaN
    assert float(logsumexp(torch.tensor([1.0]), lam=1e-300)) == 1.0


def test_regression_all_minus_inf_is_the_limit_of_equal_entries_in_both_libraries():
    x = [-INF, -INF, -INF]
    want = [-math.log(3)] * 3
    assert log_softmax(np.array(x)).tolist() == want
    assert log_softmax(torch.tensor(x, dtype=torch.float64)).tolist() == want  # was [0, 0, 0]
    assert softmax(torch.tensor(x, dtype=torch.float64)).tolist() == [1 / 3] * 3


def test_regression_empty_input_with_negative_lambda():
    assert float(logsumexp(np.zeros(0), lam=-1)) == INF  # (1/λ) log 0 = +inf for λ < 0
    assert float(logsumexp(torch.zeros(0), lam=-1)) == INF
    assert float(logsumexp(torch.zeros(0), lam=INF)) == -INF
    with pytest.raises(ValueError, match="lam = 0 is undefined"):
        logsumexp(np.zeros(0), lam=0)


@pytest.mark.parametrize("make", [np.zeros, torch.zeros])
def test_regression_axis_out_of_range(make):
    with pytest.raises(IndexError, match="axis 5 is out of range for x with 1 dimension"):
        logsumexp(make(3), axis=5)  # torch wrapped it around before
    with pytest.raises(IndexError, match="axis -3 is out of range for x with 2 dimensions"):
        softmax(make((2, 2)), axis=-3)
    with pytest.raises(TypeError, match="axis must be an integer"):
        log_softmax(make(3), axis=True)


def test_regression_torch_log_softmax_keeps_values_below_ulp_of_the_max():
    want = -float(mpmath.log1p(mpmath.exp(-37)))  # -8.533047625744065e-17
    for x in (np.array([1.0, 2.0]), torch.tensor([1.0, 2.0], dtype=torch.float64)):
        assert ulps(float(log_softmax(x, lam=-37.0)[0]), want) <= 1  # torch gave 0.0
    assert ulps(float(log_softmax(torch.tensor([1e3, 1e3 - 40], dtype=torch.float64))[0]),
                -float(mpmath.log1p(mpmath.exp(-40)))) <= 1


def test_each_slice_of_a_matrix_is_its_own_vector():
    # rows of every kind side by side: near one-hot (the rest summed apart), spread, ties,
    # -inf entries, all -inf, NaN; along either axis, numpy and torch (both routes)
    rows = [[0.0, -40.0, -50.0, -60.0], [1.0, 2.0, 3.0, 2.5], [3.0, 3.0, 1.0, 3.0],
            [-INF, 0.0, -1.0, 2.0], [-INF, -INF, -INF, -INF], [math.nan, 1.0, 2.0, 3.0],
            [1e308, -1e308, 0.0, 1.0]]
    x = np.array(rows)
    for fn in (logsumexp, softmax, log_softmax):
        for lam in (1.0, -2.5, 1e-300):
            want = [np.asarray(fn(np.array(r), lam=lam), dtype=float) for r in rows]
            for axis, arr in ((-1, x), (0, x.T.copy())):
                for backend in ("numpy", "torch", "torch-ops"):
                    with route(backend):
                        got = fn(arr if backend == "numpy" else torch.tensor(arr), lam=lam, axis=axis)
                    got = np.asarray(got, dtype=float)
                    got = got if axis == -1 or fn is logsumexp else got.T
                    for g, w in zip(got, want):
                        assert (np.isnan(g) == np.isnan(w)).all()  # NaN stays in its slice
                        np.testing.assert_array_max_ulp(g, w, maxulp=2)


def test_each_slice_of_a_matrix_has_its_own_gradient():
    rows = [[0.0, -40.0, -50.0, -60.0], [1.0, 2.0, 3.0, 2.5], [3.0, 3.0, 1.0, 3.0], [-INF, 0.0, -1.0, 2.0],
            [-INF, -INF, -INF, -INF], [5.0, 0.1, 0.2, 0.3]]
    gs = np.random.default_rng(1).normal(size=(len(rows), 4))
    for fn in (logsumexp, softmax, log_softmax):
        for lam in (1.0, -2.5):
            for backend in ("torch", "torch-ops"):
                with route(backend):
                    want = []
                    for r, g in zip(rows, gs):
                        t = torch.tensor(r, dtype=torch.float64, requires_grad=True)
                        out = fn(t, lam=lam)
                        out.backward(torch.tensor(g[0] if fn is logsumexp else g))
                        want.append(t.grad.numpy())
                    for axis in (-1, 0):
                        x = torch.tensor(rows if axis == -1 else np.array(rows).T.copy(), dtype=torch.float64,
                                         requires_grad=True)
                        out = fn(x, lam=lam, axis=axis)
                        gg = gs[:, 0] if fn is logsumexp else (gs if axis == -1 else gs.T.copy())
                        out.backward(torch.tensor(gg))
                        got = x.grad.numpy() if axis == -1 else x.grad.numpy().T
                        for a, b, g in zip(got, want, gs):
                            # the all -inf row has the uniform limit's gradient λ p (g - <g, p>): its
                            # small components cancel, and torch.dot and matmul sum <g, p> in different
                            # orders, so compare within the gradient's own error (u |λ| Σ|g|), not ulps
                            scale = abs(lam) * np.abs(g).sum() * 2.0 ** -53
                            np.testing.assert_allclose(a, b, rtol=4 * 2.0 ** -53, atol=4 * scale)

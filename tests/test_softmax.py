"""numeric lse/softmax against mpmath at 50 digits, special values, torch autograd."""

import math

import mpmath
import numpy as np
import pytest
import torch

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


HARD = [
    ([0.0, -40.0], 1.0),
    ([1e3, 1.0], 1e306),
    ([1e3, 1.0], 1.0),
    ([1.0, 2.0, 3.0], 1.0),
    ([11.0, 12.0, 13.0], 1.0),
    ([10.0, 20.0, 30.0], 1.0),
    ([1e-300, -1e-300], 1.0),
    ([700.0, 700.0, 700.0], 1.0),
    ([-745.0, -745.5], 1.0),
    ([1.0, 2.0, 3.0], -1.0),
    ([1.0, 2.0, 3.0], 1e-3),
    ([1.0, 2.0, 3.0], 100.0),
    ([0.5, 0.25, 0.125, 1e-5], 37.0),
    (list(np.linspace(-3, 3, 50)), 2.5),
    ([1e308, 1e308], 1.0),
    ([-1e308, 1e308], 1.0),
]


@pytest.mark.parametrize("x, lam", HARD)
def test_lse_within_4_ulp_of_mpmath(x, lam):
    got = float(logsumexp(np.array(x), lam=lam))
    assert ulps(got, mp_lse(x, lam)) <= 4


@pytest.mark.parametrize("x, lam", HARD)
def test_softmax_within_4_ulp_of_mpmath(x, lam):
    got = softmax(np.array(x), lam=lam)
    want = mp_softmax(x, lam)
    for g, w in zip(got, want):
        if float(w) < 1e-300:  # below float64's normal range: allow absolute error
            assert abs(g - float(w)) < 1e-300
        else:
            assert ulps(float(g), w) <= 4


@pytest.mark.parametrize("x, lam", HARD)
def test_torch_matches_numpy(x, lam):
    # torch's exp and numpy's exp are different libm kernels (which one runs depends on the
    # CPU's SIMD level), so the two paths may differ in the last bit; each must be within
    # 2 ulp of the other (and each is within 4 ulp of mpmath, tested above).
    t = torch.tensor(x, dtype=torch.float64)
    assert ulps(float(logsumexp(t, lam=lam)), float(logsumexp(np.array(x), lam=lam))) <= 2
    got, want = softmax(t, lam=lam).numpy(), softmax(np.array(x), lam=lam)
    for g, w in zip(got, want):
        assert ulps(float(g), w) <= 2 if w >= 1e-300 else abs(g - w) < 1e-300


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


@pytest.mark.parametrize("lam", [1.0, -2.5, 0.3, 17.0])
def test_gradcheck(lam):
    x = torch.randn(4, 6, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: logsumexp(t, lam=lam), (x,))
    assert torch.autograd.gradcheck(lambda t: softmax(t, lam=lam, axis=0), (x,))
    assert torch.autograd.gradcheck(lambda t: log_softmax(t, lam=lam), (x,))


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

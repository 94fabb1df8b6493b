"""Conv nets, pooling, folded BatchNorm and composed affine layers, read exactly (exact/torch_ops.py,
exact/conv_folding.py, exact/sparse_affine.py, exact/torch_reading.py).

The oracles are independent of the reader's index arithmetic: the matrix of a linear layer is
probed through torch itself with the unit vectors (each output of a convolution at a unit
vector is one product ``w * 1``, exact in float64; with integer weights every sum is exact
too), compositions are redone with Python Fractions, BatchNorm's scale with ``math.sqrt``,
and region counts are compared with the same network given as explicit (W, b) pairs.
"""

import math
from fractions import Fraction

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import exact
from exact import ExactNet
from exact.errors import InputError, InputTypeError, ResourceLimitError, UnsupportedNetworkError
from exact.forward_check import check_forward
from exact.sparse_affine import SparseAffine
from exact.torch_reading import from_torch


def _probe(layer, shape):
    """The exact matrix and bias of a linear torch layer, from torch's float64 outputs at 0 and e_j."""
    n = math.prod(shape)
    with torch.no_grad():
        x = torch.cat([torch.zeros(1, n), torch.eye(n)]).double().reshape(n + 1, *shape)
        y = layer.double()(x).reshape(n + 1, -1)
    b = y[0]
    return [[Fraction(float(v)) for v in row] for row in (y[1:] - b).T.tolist()], [Fraction(float(v)) for v in b]


def _fractions(net, l):
    return [list(r) for r in net.weights[l]], list(net.biases[l])


def _int_weights(m, seed=0):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.randint(1, 4, p.shape, generator=g).to(p.dtype))
    return m


# --- each layer is the exact linear map torch computes ---------------------------------------

CONVS = [
    ("3x3 padding 1", lambda: nn.Conv2d(2, 3, 3, padding=1), (2, 5, 6)),
    ("stride 2, dilation 2, groups 2", lambda: nn.Conv2d(2, 4, 3, stride=2, dilation=2, padding=2, groups=2),
     (2, 7, 6)),
    ("'same' with an even kernel (asymmetric)", lambda: nn.Conv2d(1, 2, (2, 4), padding="same"), (1, 5, 6)),
    ("no bias, 'valid'", lambda: nn.Conv2d(3, 2, 2, padding="valid", bias=False), (3, 4, 4)),
    ("Conv1d", lambda: nn.Conv1d(2, 3, 3, stride=2, padding=1), (2, 9)),
]


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("name, make, shape", CONVS, ids=[c[0] for c in CONVS])
def test_convolution_is_read_as_torch_computes_it(name, make, shape):
    torch.manual_seed(0)
    conv = make()
    net = from_torch(_conv_head(conv, shape), input_shape=shape)
    assert _fractions(net, 0) == _probe(conv, shape)
    assert net.float_layers() is not None  # a single convolution keeps the float fast path


def _conv_head(conv, shape):
    with torch.no_grad():
        n_out = conv(torch.zeros(1, *shape)).numel()
    return nn.Sequential(conv, nn.ReLU(), nn.Flatten(), nn.Linear(n_out, 1))


@pytest.mark.parametrize("mode", ["circular", "reflect", "replicate"])
def test_padding_modes_add_the_weights_of_copied_inputs_exactly(mode):
    # integer weights: torch's float64 sums are exact, so its probe is an exact oracle
    conv = _int_weights(nn.Conv2d(2, 2, 3, padding=2 if mode != "reflect" else 1, padding_mode=mode))
    shape = (2, 2, 3)  # smaller than the kernel: several taps read copies of one input
    net = from_torch(_conv_head(conv, shape), input_shape=shape)
    W, b = _fractions(net, 0)
    assert (W, b) == _probe(conv, shape)
    assert any(abs(v) > 3 for row in W for v in row)  # some entries are sums of several weights


POOLS = [
    ("AvgPool2d", lambda: nn.AvgPool2d(2), (2, 4, 6)),
    ("AvgPool2d 3/2/1 ceil, no pad count", lambda: nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False),
     (1, 7, 8)),
    ("AvgPool2d divisor_override", lambda: nn.AvgPool2d(3, 3, 1, divisor_override=5), (1, 6, 5)),
    ("AvgPool1d ceil", lambda: nn.AvgPool1d(3, 2, 1, ceil_mode=True), (2, 8)),
    ("AvgPool1d ceil, a window starting in the padding dropped", lambda: nn.AvgPool1d(2, 3, 1, ceil_mode=True),
     (1, 5)),
    ("AdaptiveAvgPool2d", lambda: nn.AdaptiveAvgPool2d((3, 2)), (2, 7, 5)),
    ("AdaptiveAvgPool1d(1)", lambda: nn.AdaptiveAvgPool1d(1), (3, 7)),
]


@pytest.mark.parametrize("name, make, shape", POOLS, ids=[p[0] for p in POOLS])
def test_average_pooling_is_the_exact_average_torch_rounds(name, make, shape):
    pool = make()
    with torch.no_grad():
        n_out = pool(torch.zeros(1, *shape)).numel()
    net = from_torch(nn.Sequential(nn.Unflatten(1, shape), pool, nn.ReLU(), nn.Flatten(), nn.Linear(n_out, 1)))
    W, b = _fractions(net, 0)
    probe, probe_b = _probe(pool, shape)  # torch's sum / divisor at each unit vector: fl(1 / divisor)
    assert b == probe_b == [0] * n_out
    for row, prow in zip(W, probe):
        for v, pv in zip(row, prow):
            assert (v == 0) == (pv == 0)
            if v:  # the exact weight is 1/divisor, which torch's division rounds
                assert v.numerator == 1 and float(v) == pv


def test_average_pooling_divisors_by_hand():
    # AvgPool2d(3, stride 2, padding 1, ceil_mode, count_include_pad=False) on 1x7x8: windows
    # start at -1, 1, 3, 5 (rows) and -1, 1, 3, 5, 7 (columns; ceil mode adds the one at 7,
    # which starts inside the input); clipped to the input they hold 2, 3, 3, 2 rows and
    # 2, 3, 3, 3, 1 columns, and each output divides by the inputs its window holds
    net = from_torch(nn.Sequential(nn.Unflatten(1, (1, 7, 8)), POOLS[1][1](), nn.ReLU(), nn.Flatten(),
                                   nn.Linear(20, 1)))
    W = net.weights[0]
    rows, cols = (2, 3, 3, 2), (2, 3, 3, 3, 1)
    assert len(W) == 20
    for i, row in enumerate(W):
        count = rows[i // 5] * cols[i % 5]
        assert sorted(set(row)) == [0, Fraction(1, count)] and sum(1 for v in row if v) == count


def _bn_scale(bn, i, eps):
    """alpha = weight * (1 / sqrt(var + eps)) in float64 (math.sqrt: IEEE), beta = bias - mean * alpha rounded once."""
    alpha = float(bn.weight[i]) * (1 / math.sqrt(float(bn.running_var[i]) + eps))
    beta = float(Fraction(float(bn.bias[i])) - Fraction(float(bn.running_mean[i])) * Fraction(alpha))
    return alpha, beta


def test_batchnorm_is_folded_as_torch_computes_it_in_float64():
    torch.manual_seed(0)
    lin, bn = nn.Linear(2, 16).requires_grad_(False), nn.BatchNorm1d(16, eps=1e-3).requires_grad_(False)
    with torch.no_grad():
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.01, 3)
        bn.weight.uniform_(-2, 2)
        bn.bias.uniform_(-1, 1)
    m = nn.Sequential(lin, bn, nn.ReLU(), nn.Linear(16, 1)).eval()
    net = from_torch(m)
    for i in range(16):  # the folded layer: diag(alpha) W, alpha b + beta, exactly
        alpha, beta = _bn_scale(bn, i, 1e-3)
        assert list(net.weights[0][i]) == [Fraction(alpha) * Fraction(w) for w in lin.weight[i].tolist()]
        assert net.biases[0][i] == Fraction(alpha) * Fraction(lin.bias[i].item()) + Fraction(beta)
    # torch's eval forward rounds x * alpha + beta: once (its vectorised kernels, fused), or
    # each operation (its plain kernel, whose beta rounds mean * alpha first)
    x = torch.randn(40, 16, dtype=torch.float64)
    with torch.no_grad():
        y = bn.double()(x)
    for i in range(16):
        alpha, beta = _bn_scale(bn, i, 1e-3)
        plain_beta = float(bn.bias[i]) - float(bn.running_mean[i]) * alpha
        for xi, yi in zip(x[:, i].tolist(), y[:, i].tolist()):
            assert yi in (float(Fraction(xi) * Fraction(alpha) + Fraction(beta)), xi * alpha + plain_beta)


def test_training_mode_and_batch_statistics_are_refused():
    bn = nn.BatchNorm2d(2)
    m = nn.Sequential(nn.Unflatten(1, (1, 3, 3)), nn.Conv2d(1, 2, 2), bn, nn.ReLU(), nn.Flatten(), nn.Linear(8, 1))
    with pytest.raises(UnsupportedNetworkError, match=r"module '2' \(BatchNorm2d\) in training mode .* "
                                                         r"call model.eval\(\) first"):
        from_torch(m)
    m.eval()
    assert from_torch(m).widths == (9, 8, 1)
    m[2] = nn.BatchNorm2d(2, track_running_stats=False).eval()
    with pytest.raises(UnsupportedNetworkError, match=r"has no running statistics \(track_running_stats=False\)"):
        from_torch(m)


def test_eval_dropout_of_every_kind_is_the_identity():
    torch.manual_seed(0)
    body = [nn.Unflatten(1, (2, 2, 2)), nn.Conv2d(2, 2, 1), nn.Dropout2d(0.5), nn.ReLU(), nn.AlphaDropout(0.2),
            nn.Flatten(), nn.Dropout(0.5), nn.Linear(8, 1)]
    m = nn.Sequential(*body).eval()
    plain = nn.Sequential(*[b for b in body if "Dropout" not in type(b).__name__])
    assert from_torch(m) == from_torch(plain)
    m.train()
    with pytest.raises(UnsupportedNetworkError, match=r"module '2' is Dropout2d in training mode"):
        from_torch(m)


# --- consecutive affine layers are composed exactly -------------------------------------------

def test_consecutive_linear_layers_compose_exactly():
    torch.manual_seed(3)
    a, b, c = nn.Linear(3, 4).double(), nn.Linear(4, 5).double(), nn.Linear(5, 2).double()
    with torch.no_grad():  # full 53-bit weights: their products are no floats
        for p in list(a.parameters()) + list(b.parameters()):
            p.copy_(torch.randn(p.shape, dtype=torch.float64))
    net = from_torch(nn.Sequential(a, b, nn.ReLU(), c, nn.Identity(), nn.Linear(2, 1).double()))
    Wa, Wb = ([[Fraction(float(v)) for v in r] for r in m.weight.tolist()] for m in (a, b))
    ba, bb = ([Fraction(float(v)) for v in m.bias.tolist()] for m in (a, b))
    W = [[sum(Wb[i][k] * Wa[k][j] for k in range(4)) for j in range(3)] for i in range(5)]
    bias = [sum(Wb[i][k] * ba[k] for k in range(4)) + bb[i] for i in range(5)]
    assert _fractions(net, 0) == (W, bias)
    assert net.widths == (3, 5, 1)
    assert any(Fraction(float(v)) != v for r in W for v in r)  # products of float64: not floats
    # and the Fraction-valued net is counted by the certified engine
    assert exact.count_regions(net, plane=([0, 0, 0], [1, 0, 0], [0, 1, 0]), window=3.0).activation >= 1


def test_conv_pool_flatten_linear_compose_as_the_probed_matrices_multiply():
    torch.manual_seed(1)
    conv, pool, lin = nn.Conv2d(1, 2, 3, padding=1), nn.AvgPool2d(2), nn.Linear(8, 3)
    m = nn.Sequential(nn.Linear(16, 16), nn.ReLU(), nn.Unflatten(1, (1, 4, 4)),
                      conv, pool, nn.Flatten(), lin, nn.ReLU(), nn.Linear(3, 1))
    net = from_torch(m)
    Wc, bc = _probe(conv, (1, 4, 4))
    Wp = [[Fraction(1, 4) if v else Fraction(0) for v in row] for row in _probe(pool, (2, 4, 4))[0]]
    Wl = [[Fraction(float(v)) for v in r] for r in lin.weight.tolist()]
    PC = [[sum(Wp[i][k] * Wc[k][j] for k in range(32)) for j in range(16)] for i in range(8)]
    W = [[sum(Wl[i][k] * PC[k][j] for k in range(8)) for j in range(16)] for i in range(3)]
    Pb = [sum(Wp[i][k] * bc[k] for k in range(32)) for i in range(8)]
    b = [sum(Wl[i][k] * Pb[k] for k in range(8)) + Fraction(lin.bias.tolist()[i]) for i in range(3)]
    assert _fractions(net, 1) == (W, b)


def test_sparse_affine_composition_matches_fractions():
    rng = np.random.default_rng(0)
    for _ in range(20):
        m, k, n = rng.integers(1, 6, size=3)
        A, B = rng.normal(size=(m, k)) * (rng.random((m, k)) < 0.6), rng.normal(size=(k, n)) * 1e-20
        a, b = rng.normal(size=m), rng.normal(size=k)
        f = SparseAffine.from_dense(A, a).compose(SparseAffine.from_dense(B, b))
        W, c = f.dense_layer()
        FA, FB = [[Fraction(v) for v in r] for r in A], [[Fraction(v) for v in r] for r in B]
        expW = [[sum(FA[i][t] * FB[t][j] for t in range(k)) for j in range(n)] for i in range(m)]
        expc = [sum(FA[i][t] * Fraction(b[t]) for t in range(k)) + Fraction(a[i]) for i in range(m)]
        got = [[Fraction(v) for v in r] for r in (W.tolist() if isinstance(W, np.ndarray) else W)]
        assert got == expW and [Fraction(v) for v in (c.tolist() if isinstance(c, np.ndarray) else c)] == expc


def test_forward_check_tolerance_comes_from_the_composed_layers():
    # two rows that differ by one ulp, subtracted by the next layer: the composed weight is
    # ~1e-8 but the module computes h0 - h1 with rounding errors ~1e-16 * |h|
    a, b = nn.Linear(2, 2).double(), nn.Linear(2, 1).double()
    with torch.no_grad():
        a.weight.copy_(torch.tensor([[1.0, 3.0], [1.0, np.nextafter(3.0, 4.0)]], dtype=torch.float64))
        a.bias.zero_()
        b.weight.copy_(torch.tensor([[1.0, -1.0]], dtype=torch.float64))
        b.bias.zero_()
    m = nn.Sequential(nn.Linear(2, 2).double(), nn.ReLU(), a, b)
    net = from_torch(m)  # no false alarm: the tolerance follows a, then b
    assert net.widths == (2, 2, 1)
    with pytest.raises(InputError, match="does not reproduce its forward"):
        check_forward(m, net)  # made to fail: the tolerance of the composed layer alone


# --- functional forms and reshapes in traced forwards -----------------------------------------

class FunctionalConv(nn.Module):
    def __init__(self, flatten):
        super().__init__()
        self.c, self.l, self.o = nn.Conv2d(1, 3, 3), nn.Linear(12, 4), nn.Linear(4, 1)
        self.flatten = flatten

    def forward(self, x):
        h = F.relu(F.conv2d(x, self.c.weight, self.c.bias, padding=1))
        h = F.avg_pool2d(h, 2)
        return self.o(torch.relu(self.l(self.flatten(h))))


FLATTENS = [("view(x.size(0), -1)", lambda h: h.view(h.size(0), -1)),
            ("reshape(x.shape[0], -1)", lambda h: h.reshape(h.shape[0], -1)),
            ("view(-1, 12)", lambda h: h.view(-1, 12)),
            ("torch.flatten(h, 1)", lambda h: torch.flatten(h, 1)),
            ("h.flatten(1)", lambda h: h.flatten(1)),
            ("torch.reshape(h, (-1, 12))", lambda h: torch.reshape(h, (-1, 12)))]


@pytest.mark.parametrize("name, flatten", FLATTENS, ids=[f[0] for f in FLATTENS])
def test_functional_conv_pool_and_reshapes_are_read(name, flatten):
    torch.manual_seed(0)
    m = FunctionalConv(flatten)
    ref = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.AvgPool2d(2), nn.Flatten(), m.l, nn.ReLU(), m.o)
    ref[0].load_state_dict(m.c.state_dict())
    assert from_torch(m, input_shape=(1, 4, 4)) == from_torch(ref, input_shape=(1, 4, 4))


REFUSED = [
    ("MaxPool2d module", nn.Sequential(nn.Unflatten(1, (1, 4, 4)), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4, 1)),
     r"module '1' \(MaxPool2d\) takes the maximum over each window: .*max\(a, b\) = b \+ relu\(a - b\)\) would add "
     r"activation boundaries the network does not have"),
    ("AdaptiveMaxPool2d", nn.Sequential(nn.Unflatten(1, (1, 4, 4)), nn.AdaptiveMaxPool2d(1), nn.Flatten(),
                                        nn.Linear(1, 1)), r"\(AdaptiveMaxPool2d\) takes the maximum"),
    ("smooth activation in a conv net", nn.Sequential(nn.Unflatten(1, (1, 3, 3)), nn.Conv2d(1, 1, 2), nn.GELU(),
                                                      nn.Flatten(), nn.Linear(4, 1)),
     r"module '2' \(GELU\) is not a supported piecewise-linear activation"),
    ("a convolution at the end", nn.Sequential(nn.Unflatten(1, (1, 3, 3)), nn.Conv2d(1, 1, 2)),
     r"the output of Sequential has shape \(1, 2, 2\) per sample; .* end it with nn.Flatten\(\)"),
    ("a convolution without input_shape", nn.Sequential(nn.Conv2d(1, 1, 2), nn.ReLU(), nn.Flatten(), nn.Linear(4, 1)),
     r"module '0' needs the shape of the network's input sample: pass from_torch\(net, input_shape=\(C, H, W\)\)"),
    ("channels that do not match", nn.Sequential(nn.Unflatten(1, (2, 2, 2)), nn.Conv2d(1, 1, 2), nn.ReLU(),
                                                 nn.Flatten(), nn.Linear(2, 1)),
     r"module '1' expects input of shape \(1, \*, \*\) per sample .*got \(2, 2, 2\)"),
    ("Linear on the wrong width", nn.Sequential(nn.Unflatten(1, (1, 3, 3)), nn.Conv2d(1, 1, 2), nn.ReLU(),
                                                nn.Flatten(), nn.Linear(5, 1)),
     r"module '4' expects 5 features in its last dimension, but its input has shape \(4,\)"),
]


@pytest.mark.parametrize("name, module, match", REFUSED, ids=[r[0] for r in REFUSED])
def test_unsupported_conv_structures_are_refused_by_name(name, module, match):
    with pytest.raises(InputError, match=match):
        from_torch(module)


class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b, self.out = nn.Linear(4, 4), nn.Linear(4, 4), nn.Linear(4, 1)

    def forward(self, x):
        h = self.a(x)
        return self.out(torch.relu(h + self.b(torch.relu(h))))


class FunctionalMax(nn.Module):
    def __init__(self):
        super().__init__()
        self.c, self.o = nn.Conv2d(1, 2, 2), nn.Linear(2, 1)

    def forward(self, x):
        return self.o(F.max_pool2d(self.c(x), 2).flatten(1))


class BatchRegrouped(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.o = nn.Linear(4, 4), nn.Linear(2, 1)

    def forward(self, x):
        return self.o(torch.relu(self.a(x)).view(-1, 2))


def test_residual_max_and_batch_mixing_calls_are_refused_by_node():
    with pytest.raises(InputError, match=r"Residual has skip connections x \+ g\(x\) \(node 'add' \(call_function "
                                         r"add\)\): such a network is analysed exactly in a bounded window"):
        from_torch(Residual())
    with pytest.raises(UnsupportedNetworkError, match=r"node 'max_pool2d' .* takes the maximum over each window"):
        from_torch(FunctionalMax(), input_shape=(1, 3, 3))
    with pytest.raises(InputError, match=r"node 'view' \(call_method view\): sizes \(2,\) do not reshape the 4 values"):
        from_torch(BatchRegrouped())


@pytest.mark.parametrize("bad, error, match", [
    ("1x8x8", InputTypeError, "input_shape must be a sequence of sizes"),
    ((1, 0, 8), InputError, r"input_shape must be positive integer sizes"),
    ((), InputError, r"input_shape must be positive integer sizes"),
])
def test_input_shape_is_checked(bad, error, match):
    with pytest.raises(error, match=match):
        from_torch(nn.Sequential(nn.Linear(2, 1)), input_shape=bad)


def test_input_shape_is_for_torch_modules_only():
    with pytest.raises(InputError, match="input_shape is for torch modules"):
        exact.as_exact_net([([[1.0, 0.0]], [0.0]), ([[1.0]], [0.0])], input_shape=(2,))


def test_a_layer_too_large_for_a_dense_mlp_is_refused_before_it_is_built():
    m = nn.Sequential(nn.Conv2d(3, 64, 3), nn.ReLU(), nn.Flatten(), nn.Linear(10, 1))
    with pytest.raises(ResourceLimitError, match=r"module '0' gives a layer of [\d,]+ weights on this input"):
        from_torch(m, input_shape=(3, 224, 224))


# --- regions of a conv net on a plane through three inputs ------------------------------------

def test_conv_net_regions_on_a_plane_match_the_same_net_as_explicit_layers():
    torch.manual_seed(0)
    conv = nn.Conv2d(1, 2, 3, padding=1)
    m = nn.Sequential(nn.Unflatten(1, (1, 4, 4)), conv, nn.ReLU(), nn.AvgPool2d(2), nn.Flatten(), nn.Linear(8, 2))
    Wc, bc = _probe(conv, (1, 4, 4))
    Wp = [[Fraction(1, 4) if v else Fraction(0) for v in row] for row in _probe(m[3], (2, 4, 4))[0]]
    Wl = [[Fraction(float(v)) for v in r] for r in m[5].weight.tolist()]
    W1 = [[sum(Wl[i][k] * Wp[k][j] for k in range(8)) for j in range(32)] for i in range(2)]
    explicit = ExactNet.from_layers([(Wc, bc), (W1, [Fraction(v) for v in m[5].bias.tolist()])])
    pts = [torch.rand(16, generator=torch.Generator().manual_seed(s)) for s in range(3)]
    got = exact.count_regions(m, plane=pts, window=4.0)
    assert got == exact.count_regions(explicit, plane=pts, window=4.0)
    r = exact.regions(m, plane=pts, window=4.0)
    assert (r.n_activation, r.n_linear) == tuple(got)
    # a lower bound by sampling the module's own activation pattern on a grid of the plane
    P = np.stack([p.numpy() for p in pts]).astype(np.float64)
    u, v = np.meshgrid(np.linspace(-3.99, 3.99, 120), np.linspace(-3.99, 3.99, 120))
    X = P[0] + u.reshape(-1, 1) * (P[1] - P[0]) + v.reshape(-1, 1) * (P[2] - P[0])
    with torch.no_grad():
        h = conv.double()(torch.from_numpy(X).reshape(-1, 1, 4, 4)).reshape(len(X), -1)
    assert len({tuple(row) for row in (h > 0).numpy().tolist()}) <= got.activation


def test_conv_net_counts_along_a_segment_between_two_inputs():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Unflatten(1, (1, 4, 4)), nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.Flatten(),
                      nn.Linear(32, 1))
    a, b = torch.rand(16), torch.rand(16)
    got = exact.count_on_segment(m, a, b)
    ref = exact.count_on_segment(from_torch(m), a, b)
    assert got == ref

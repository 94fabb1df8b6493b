"""Torch modules read by data flow (exact/torch_reading.py): what must be read, what must be refused.

Each accepted module is compared with the network built by hand from its parameters; each
refused one names its fx node.  The two guards (the data-flow reader and the forward
check) are each switched off once to show that the tests depend on them.
"""

import warnings
from fractions import Fraction

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import exact
from exact import ExactNet, get_activation
from exact import torch_reading as tr
from exact.errors import InputError, UnsupportedActivationError, UnsupportedNetworkError
from exact.forward_check import check_forward
from exact.torch_ops import Op, module_op
from exact.torch_reading import from_torch


def _pairs(*linears):
    return [(m.weight, m.bias if m.bias is not None else torch.zeros(m.out_features)) for m in linears]


def _module(forward, *shapes, bias=True):
    """A module with Linear layers l0, l1, ... of the given (in, out) shapes and this forward."""

    class M(nn.Module):
        def __init__(self):
            super().__init__()
            for i, (a, b) in enumerate(shapes):
                setattr(self, f"l{i}", nn.Linear(a, b, bias=bias))

        def forward(self, x, mask=None):  # an unused input with a default is allowed
            return forward(self, x)

    torch.manual_seed(0)
    return M()


class UnusedRelu(nn.Module):
    """The issue's example: the ReLU is computed and dropped, the module is affine."""

    def __init__(self):
        super().__init__()
        self.l1 = nn.Linear(2, 4)
        self.l2 = nn.Linear(4, 1)

    def forward(self, x):
        h = self.l1(x)
        _ = torch.relu(h)
        return self.l2(h)


class MyLinear(nn.Linear):
    def forward(self, x):
        return F.linear(x, self.weight, self.bias)


class Sub(nn.Sequential):
    pass


# --- modules that must be read ------------------------------------------------------------

def _read_cases():
    torch.manual_seed(0)
    seq = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))
    nested = nn.Sequential(nn.Flatten(), nn.Sequential(nn.Linear(2, 4), nn.LeakyReLU(0.25)),
                           nn.Identity(), nn.Dropout(0.3).eval(), nn.Sequential(nn.Sequential(nn.Linear(4, 1))))
    sub = Sub(nn.Linear(2, 3), nn.ReLU6(), nn.Linear(3, 1))
    from numeric.models import Abs
    with_abs = nn.Sequential(nn.Linear(2, 3), Abs(), nn.Linear(3, 1))
    mylin = nn.Sequential(MyLinear(2, 3), nn.Hardtanh(-2.0, 0.5), MyLinear(3, 1))
    relu = get_activation("relu")
    sq = [(2, 3), (3, 1)]
    return [
        ("Sequential", seq, _pairs(seq[0], seq[2]), [relu]),
        ("nested Sequentials, no-ops", nested, _pairs(nested[1][0], nested[4][0][0]),
         [get_activation("leaky_relu", 0.25)]),
        ("Sequential subclass, ReLU6", sub, _pairs(sub[0], sub[2]), [get_activation("hardtanh", 0, 6)]),
        ("Abs module (traced)", with_abs, _pairs(with_abs[0], with_abs[2]), [get_activation("abs")]),
        ("Linear subclass with F.linear", mylin, _pairs(mylin[0], mylin[2]),
         [get_activation("hardtanh", -2.0, 0.5)]),
        ("torch.relu", _module(lambda s, x: s.l1(torch.relu(s.l0(x))), *sq), None, [relu]),
        ("F.relu inplace on the chain", _module(lambda s, x: s.l1(F.relu(s.l0(x), inplace=True)), *sq),
         None, [relu]),
        ("Tensor.relu_()", _module(lambda s, x: s.l1(s.l0(x).relu_()), *sq), None, [relu]),
        ("F.leaky_relu positional", _module(lambda s, x: s.l1(F.leaky_relu(s.l0(x), 0.125)), *sq), None,
         [get_activation("leaky_relu", 0.125)]),
        ("F.leaky_relu default", _module(lambda s, x: s.l1(F.leaky_relu(s.l0(x))), *sq), None,
         [get_activation("leaky_relu", 0.01)]),
        ("F.hardtanh keywords", _module(lambda s, x: s.l1(F.hardtanh(s.l0(x), max_val=2.0, min_val=-0.5)),
                                        *sq), None, [get_activation("hardtanh", -0.5, 2.0)]),
        ("F.relu6", _module(lambda s, x: s.l1(F.relu6(s.l0(x))), *sq), None, [get_activation("hardtanh", 0, 6)]),
        ("builtin abs", _module(lambda s, x: s.l1(abs(s.l0(x))), *sq), None, [get_activation("abs")]),
        ("torch.abs, two hidden", _module(lambda s, x: s.l2(torch.abs(s.l1(F.relu(s.l0(x))))),
                                          (2, 3), (3, 3), (3, 1)), None, [relu, get_activation("abs")]),
        ("F.dropout training=False", _module(lambda s, x: s.l1(F.dropout(F.relu(s.l0(x)), 0.5, training=False)),
                                             *sq), None, [relu]),
        ("no bias", _module(lambda s, x: s.l1(torch.relu(s.l0(x))), *sq, bias=False), None, [relu]),
        ("a Linear reused", _module(lambda s, x: s.l1(torch.relu(s.l0(torch.relu(s.l0(x))))), (2, 2), (2, 1)),
         "reuse", [relu, relu]),
    ]


@pytest.mark.parametrize("name, module, pairs, acts", _read_cases(), ids=[c[0] for c in _read_cases()])
def test_supported_modules_are_read_exactly(name, module, pairs, acts):
    if pairs is None:
        pairs = _pairs(*[getattr(module, f"l{i}") for i in range(len(acts) + 1)])
    elif pairs == "reuse":
        pairs = _pairs(module.l0, module.l0, module.l1)
    expected = ExactNet.from_layers(pairs, activation=acts)
    net = from_torch(module)
    assert net == expected
    x = torch.tensor([[0.375, -1.25]], dtype=torch.float64)
    with torch.no_grad():
        y = module.double()(x).item()
    assert abs(float(net.evaluate([0.375, -1.25])[0]) - y) <= 1e-12 * max(1.0, abs(y))


# --- modules that must be refused ---------------------------------------------------------

class TwoInputs(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(2, 2), nn.Linear(2, 1)

    def forward(self, x, y):
        return self.b(torch.relu(self.a(x) + y))


def _refused_cases():
    sq = [(2, 2), (2, 1)]
    return [
        ("dropped relu (the issue's UnusedRelu)", UnusedRelu(), InputError,
         r"node 'relu' \(call_function relu\) does not feed the output"),
        ("in-place relu on a value used elsewhere", _module(lambda s, x: (lambda h: (h.relu_(), s.l1(h))[1])(s.l0(x)), *sq),
         InputError, r"node 'relu_' \(call_method relu_\) does not feed the output"),
        ("dropped Linear branch", _module(lambda s, x: (s.l0(x), s.l1(torch.relu(s.l0(x))))[1], *sq),
         InputError, r"node 'l0' \(call_module l0\) does not feed the output"),
        ("residual add (read in a window only)", _module(lambda s, x: s.l1(torch.relu(s.l0(x)) + x), *sq),
         InputError, r"M has skip connections x \+ g\(x\) \(node 'add' \(call_function add\)\): such a network "
         r"is analysed exactly in a bounded window"),
        ("reused value joined", _module(lambda s, x: (lambda h: s.l1(torch.maximum(h, h)))(torch.relu(s.l0(x))), *sq),
         UnsupportedNetworkError, r"node 'maximum' \(call_function maximum\)"),
        ("a second input", TwoInputs(), InputError, r"node 'y' \(placeholder\) is a second input"),
        ("two outputs", _module(lambda s, x: (s.l1(torch.relu(s.l0(x))), x), *sq), InputError,
         "returns tuple, not one tensor"),
        ("unknown call sigmoid", _module(lambda s, x: s.l1(torch.sigmoid(s.l0(x))), *sq),
         UnsupportedActivationError, r"node 'sigmoid' \(call_function sigmoid\)"),
        ("unknown method", _module(lambda s, x: s.l1(s.l0(x).tanh()), *sq),
         UnsupportedActivationError, r"node 'tanh' \(call_method tanh\)"),
        ("computed slope", _module(lambda s, x: s.l1(F.leaky_relu(s.l0(x), s.l0(x).sum())), *sq),
         InputError, r"argument 'negative_slope' is computed in forward"),
        ("dropout in training", _module(lambda s, x: s.l1(F.dropout(torch.relu(s.l0(x)), 0.5)), *sq),
         UnsupportedNetworkError, r"node 'dropout' \(call_function dropout\) is dropout with training=True"),
        ("raw weight that is no parameter", _module(lambda s, x: s.l1(torch.relu(F.linear(x, s.l0.weight * 2))), *sq),
         InputError, r"node 'linear' \(call_function linear\): its weight must be a parameter"),
        ("ends with an activation", _module(lambda s, x: torch.relu(s.l1(torch.relu(s.l0(x)))), *sq),
         UnsupportedNetworkError, r"ends with an activation \(node 'relu_1'"),
        ("control flow", _module(lambda s, x: s.l1(s.l0(x)) if x.sum() > 0 else x, *sq), InputError,
         "could not trace M with torch.fx"),
        ("Sigmoid module in a Sequential", nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 1)),
         UnsupportedActivationError, r"module '1' \(Sigmoid\) is not a supported piecewise-linear"),
        ("meta tensors", nn.Sequential(nn.Linear(2, 2, device="meta"), nn.ReLU(), nn.Linear(2, 1, device="meta")),
         InputError, r"parameter '0.weight' of Sequential is a meta tensor"),
        ("lazy module", nn.Sequential(nn.LazyLinear(2), nn.ReLU(), nn.Linear(2, 1)), InputError,
         r"parameter '0.weight' of Sequential is not initialised yet"),
    ]


@pytest.mark.parametrize("name, module, error, match", _refused_cases(), ids=[c[0] for c in _refused_cases()])
def test_unsupported_structures_are_refused_naming_the_node(name, module, error, match):
    with pytest.raises(error, match=match):
        from_torch(module)


def test_unused_relu_is_not_counted():
    with pytest.raises(InputError, match=r"node 'relu' \(call_function relu\) does not feed the output"):
        exact.count_regions(UnusedRelu(), window=10.0)


# --- the forward check --------------------------------------------------------------------

def _call_order_reader(gm):
    """The reader before issue 13: every node in call order, whatever consumes what."""
    ops = []
    for node in gm.graph.nodes:
        if node.op == "call_module":
            op = module_op(f"node {node.name!r}", gm.get_submodule(node.target))
            if op is not None:
                ops.append(op)
        elif node.op in ("call_function", "call_method"):
            ops.append(Op("act", node.name, get_activation("relu")))
    return ops


def test_forward_check_catches_what_a_call_order_reader_misreads(monkeypatch):
    monkeypatch.setattr(tr, "read_graph", _call_order_reader)
    with pytest.raises(InputError, match=r"reading UnusedRelu does not reproduce its forward: at x = "):
        from_torch(UnusedRelu())


def test_without_both_guards_the_issue_example_is_misread(monkeypatch):
    # made to fail on purpose: with the old reader and no forward check, UnusedRelu (an affine
    # map: one region) is read as a ReLU net with several regions -- the bug of issue 13
    monkeypatch.setattr(tr, "read_graph", _call_order_reader)
    monkeypatch.setattr(tr, "check_forward", lambda module, net, **kw: None)
    torch.manual_seed(0)
    net = from_torch(UnusedRelu())
    assert net.n_hidden_layers == 1 and exact.count_regions(net, window=10.0).linear > 1


def test_fast_path_is_checked_too():
    # An instance-level forward override escapes the child-by-child reading of a Sequential.
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    m[1].forward = torch.abs
    with pytest.raises(InputError, match=r"reading Sequential does not reproduce its forward"):
        from_torch(m)


def test_global_forward_hooks_are_caught_by_the_forward_check():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    handle = nn.modules.module.register_module_forward_hook(
        lambda mod, inp, out: out * 2 if isinstance(mod, nn.Linear) else None)
    try:
        with pytest.raises(InputError, match="does not reproduce its forward"):
            from_torch(m)
    finally:
        handle.remove()
    assert from_torch(m).widths == (2, 3, 1)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("scale", [1e-30, 1.0, 1e30])
def test_forward_check_has_no_false_alarms(seed, scale):
    torch.manual_seed(seed)
    acts = [nn.ReLU(), nn.LeakyReLU(0.3), nn.Hardtanh(-0.5, 0.25), nn.ReLU6()]
    widths = [2, 17, 9, 33, 3]
    mods = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        mods += [nn.Linear(a, b), acts[(i + seed) % len(acts)]]
    m = nn.Sequential(*mods[:-1])
    with torch.no_grad():
        for p in m.parameters():
            p.mul_(scale)
    net = from_torch(m)  # runs check_forward on float32 weights, compared in float64
    check_forward(m, net, points_per_scale=200, seed=seed)


def test_forward_check_sees_a_slightly_wrong_slope():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(2, 5), nn.LeakyReLU(0.25), nn.Linear(5, 1))
    wrong = ExactNet.from_layers(_pairs(m[0], m[2]), activation=get_activation("leaky_relu", Fraction(1, 4) + Fraction(1, 2**30)))
    with pytest.raises(InputError, match="does not reproduce its forward"):
        check_forward(m, wrong)
    check_forward(m, ExactNet.from_layers(_pairs(m[0], m[2]), activation=get_activation("leaky_relu", 0.25)))


def test_parametrized_weights_are_checked_in_their_own_precision():
    # weight_norm computes the weight in forward: in float64 it differs from the float32
    # weight the module uses (and the reader reads) by ~1e-8, which is no misread
    from torch.nn.utils.parametrizations import weight_norm

    torch.manual_seed(0)
    m = nn.Sequential(weight_norm(nn.Linear(2, 3)), nn.ReLU(), nn.Linear(3, 1))
    net = from_torch(m)
    assert net.weights[0][1][0] == Fraction(float(m[0].weight.detach()[1, 0]))
    wrong = ExactNet.from_layers(_pairs(m[0], m[2]), activation="abs")
    with pytest.raises(InputError, match="does not reproduce its forward"):
        check_forward(m, wrong)


def test_huge_weights_raise_no_overflow_warning():
    m = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)).double()
    with torch.no_grad():
        m[0].weight.fill_(1e300)
        m[2].weight.fill_(1e300)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        net = from_torch(m)
    assert net.weights[0][0][0] == Fraction(1e300)


def test_forward_check_module_errors_are_input_errors():
    class Broken(nn.Sequential):
        pass

    m = Broken(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    net = from_torch(m)
    bad = ExactNet.from_layers([(np.eye(3), np.zeros(3)), (np.ones((1, 3)), np.zeros(1))])
    with pytest.raises(InputError, match=r"could not run forward of Broken in torch.float64"):
        check_forward(m, bad)
    assert net.widths == (2, 2, 1)

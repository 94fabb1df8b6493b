"""Steps with a constant number in a torch forward (exact/scalar_ops.py), read as exact affine maps.

Each module below is checked against a network folded by hand in Fractions (the same
function written as plain layers), and against its own float64 forward at random points;
the refusals name the node and say why.
"""

from __future__ import annotations

import random
from fractions import Fraction as F

import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

import exact  # noqa: E402
from exact.errors import InputError, UnsupportedNetworkError  # noqa: E402


class Net(nn.Module):
    """fc1 -> relu -> fc2, with ``body(self, x)`` as the forward (the steps around the layers)."""

    def __init__(self, body, seed=0):
        super().__init__()
        torch.manual_seed(seed)
        self.fc1, self.fc2, self.body = nn.Linear(2, 5), nn.Linear(5, 1), body

    def forward(self, x):
        return self.body(self, x)


def layers(m):
    """The plain layers of ``m`` as exact Fractions: [(W1, b1), (W2, b2)]."""
    return [([[F(v) for v in row] for row in lin.weight.tolist()], [F(v) for v in lin.bias.tolist()])
            for lin in (m.fc1, m.fc2)]


def fold(m, pre=(1, 0), mid=(1, 0), post=(1, 0)):
    """The net x -> post(fc2(mid(relu(fc1(pre(x)))))) with each step t -> a t + b folded by hand."""
    (W1, b1), (W2, b2) = layers(m)
    (a0, c0), (a1, c1), (a2, c2) = (tuple(F(v) for v in p) for p in (pre, mid, post))
    # fc1(a0 x + c0) = a0 W1 x + (W1 c0 1 + b1); relu(a1 t + c1) is not folded into the next layer unless
    # a1 > 0 and c1 = 0 (then relu(a1 t) = a1 relu(t)): the cases below keep to that
    assert c1 == 0 and a1 > 0
    W1f = [[a0 * w for w in row] for row in W1]
    b1f = [sum(w * c0 for w in row) + b for row, b in zip(W1, b1)]
    W2f = [[a2 * a1 * w for w in row] for row in W2]
    b2f = [a2 * b + c2 for b in b2]
    return exact.as_exact_net([(W1f, b1f), (W2f, b2f)])


CASES = {
    "normalised input (x - 0.5) / 2": (lambda s, x: s.fc2(torch.relu(s.fc1((x - 0.5) / 2.0))), {"pre": (F(1, 2), F(-1, 4))}),
    "x / 3.0 is exactly a third": (lambda s, x: s.fc2(torch.relu(s.fc1(x / 3.0))), {"pre": (F(1, 3), 0)}),
    "output 2 * out + 1": (lambda s, x: 2 * s.fc2(torch.relu(s.fc1(x))) + 1, {"post": (2, 1)}),
    "output 1 - out": (lambda s, x: 1 - s.fc2(torch.relu(s.fc1(x))), {"post": (-1, 1)}),
    "output -out": (lambda s, x: -s.fc2(torch.relu(s.fc1(x))), {"post": (-1, 0)}),
    "torch.add(out, 2, alpha=0.5)": (lambda s, x: torch.add(s.fc2(torch.relu(s.fc1(x))), 2.0, alpha=0.5),
                                     {"post": (1, 1)}),
    "torch.add(2, out, alpha=3) scales the second operand": (
        lambda s, x: torch.add(2.0, s.fc2(torch.relu(s.fc1(x))), alpha=3), {"post": (3, 2)}),
    "torch.sub(2, out, alpha=3)": (lambda s, x: torch.sub(2.0, s.fc2(torch.relu(s.fc1(x))), alpha=3),
                                   {"post": (-3, 2)}),
    "torch.rsub(out, 2, alpha=3) is 2 - 3 out": (
        lambda s, x: torch.rsub(s.fc2(torch.relu(s.fc1(x))), 2.0, alpha=3), {"post": (-3, 2)}),
    "out.sub(2, alpha=0.5)": (lambda s, x: s.fc2(torch.relu(s.fc1(x))).sub(2.0, alpha=0.5), {"post": (1, -1)}),
    "hidden scaled 0.5 * relu": (lambda s, x: s.fc2(0.5 * torch.relu(s.fc1(x))), {"mid": (F(1, 2), 0)}),
    "methods mul/sub/div": (lambda s, x: s.fc2(torch.relu(s.fc1(x.sub(1).mul(4).div(8)))),
                            {"pre": (F(1, 2), F(-1, 2))}),
    "squeeze(-1) of one output": (lambda s, x: s.fc2(torch.relu(s.fc1(x))).squeeze(-1), {}),
    "squeeze((1,))": (lambda s, x: s.fc2(torch.relu(s.fc1(x))).squeeze((1,)), {}),
    "torch.squeeze(out, dim=1)": (lambda s, x: torch.squeeze(s.fc2(torch.relu(s.fc1(x))), dim=1), {}),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_constant_step_is_read_as_the_hand_folded_network(name):
    body, steps = CASES[name]
    m = Net(body, seed=len(name))
    read, want = exact.as_exact_net(m), fold(m, **steps)
    assert read.weights == want.weights and read.biases == want.biases   # exact: the same rationals
    assert exact.count_regions(m, window=4) == exact.count_regions(want, window=4)
    rng = random.Random(0)
    pts = [(F(rng.randint(-400, 400), 100), F(rng.randint(-400, 400), 100)) for _ in range(20)]
    with torch.no_grad():
        got = m.double()(torch.tensor([[float(x), float(y)] for x, y in pts], dtype=torch.float64))
    for (x, y), g in zip(pts, got.reshape(len(pts), -1)[:, 0].tolist()):
        assert abs(float(read.evaluate((x, y))[0]) - g) <= 1e-12 * (1 + abs(g))


class Res(nn.Module):
    """h = relu(a(pre(x))); out(h + relu(g(h)) * scale), squeezed or not: the steps given by the arguments."""

    def __init__(self, pre=None, scale=None, squeeze=False):
        super().__init__()
        torch.manual_seed(3)
        self.a, self.g, self.out = nn.Linear(2, 4), nn.Linear(4, 4), nn.Linear(4, 1)
        self.pre, self.scale, self.squeeze = pre, scale, squeeze

    def forward(self, x):
        h = torch.relu(self.a(x if self.pre is None else self.pre(x)))
        branch = torch.relu(self.g(h))
        y = self.out(h + (branch if self.scale is None else branch / self.scale))
        return y.squeeze(-1) if self.squeeze else y


def test_a_residual_branch_scaled_by_a_constant_is_read():
    # relu(g(h)) / 2 = relu(g(h) / 2): the same function as the net with g's weights halved by hand (exact
    # in floats); a positive scale moves no boundary, so the values are compared, exactly, not the counts
    folded = Res()
    with torch.no_grad():
        folded.g.weight /= 2
        folded.g.bias /= 2
    scaled = exact.lower_on_window(Res(scale=2.0), 3)
    plain, want = exact.lower_on_window(Res(), 3), exact.lower_on_window(folded, 3)
    rng = random.Random(1)
    pts = [(F(rng.randint(-300, 300), 100), F(rng.randint(-300, 300), 100)) for _ in range(30)]
    assert [scaled.evaluate(p) for p in pts] == [want.evaluate(p) for p in pts]
    assert [scaled.evaluate(p) for p in pts] != [plain.evaluate(p) for p in pts]   # the half is there
    assert exact.count_regions(Res(scale=2.0), window=3) == exact.count_regions(folded, window=3)


class Shaped(nn.Module):
    """Steps with constants where the input's shape is told only by what follows them (review, session 14)."""

    def __init__(self, case):
        super().__init__()
        torch.manual_seed(5)
        self.case = case
        self.unflat, self.conv, self.lin = nn.Unflatten(1, (1, 4, 4)), nn.Conv2d(1, 2, 3), nn.Linear(8, 1)
        self.rows, self.row_lin, self.out = nn.Unflatten(1, (2, 3)), nn.Linear(3, 4), nn.Linear(8, 1)
        self.wide = nn.Linear(6, 2)

    def forward(self, x):
        if self.case == "scale, Unflatten, conv":
            return self.lin(torch.relu(self.conv(self.unflat(x * 2))).flatten(1))
        if self.case == "scale, view, conv":
            return self.lin(torch.relu(self.conv((x * 2).view(-1, 1, 4, 4))).flatten(1))
        if self.case == "scale, Unflatten to rows, Linear per row":
            return self.out(torch.relu(self.row_lin(self.rows(x * 2))).flatten(1))
        return self.wide(torch.relu(x * 0.1 - 0.2))  # an activation before the first layer


@pytest.mark.parametrize("case", ["scale, Unflatten, conv", "scale, view, conv",
                                  "scale, Unflatten to rows, Linear per row", "relu of a scaled input"])
def test_a_scaled_input_takes_its_shape_from_what_reads_it(case):
    # review: a step before an Unflatten, a view, or an activation was refused ("needs the shape of the
    # network's input sample"), or sized by a Linear past the reshape ("do not reshape the 3 values")
    m = Shaped(case)
    net = exact.as_exact_net(m)
    rng = random.Random(2)
    pts = [[F(rng.randint(-200, 200), 100) for _ in range(net.widths[0])] for _ in range(10)]
    with torch.no_grad():
        got = m.double()(torch.tensor([[float(v) for v in p] for p in pts], dtype=torch.float64))
    for p, g in zip(pts, got.reshape(len(pts), -1).tolist()):
        assert all(abs(float(a) - b) <= 1e-12 * (1 + abs(b)) for a, b in zip(net.evaluate(p), g))


def test_a_residual_net_that_scales_its_input_before_the_first_skip_is_read():
    class Skip(nn.Module):
        def __init__(self, scaled):
            super().__init__()
            torch.manual_seed(7)
            self.g1, self.g2, self.o, self.scaled = nn.Linear(2, 3), nn.Linear(3, 2), nn.Linear(2, 1), scaled

        def forward(self, x):
            h = (x - 0.5) * 2 if self.scaled else x
            return self.o(h + self.g2(torch.relu(self.g1(h))))

    # (x - 1/2) 2 maps [-3, 3]^2 onto [-7, 5]^2
    assert exact.count_regions(Skip(True), window=3) == exact.count_regions(Skip(False), window=(-7, 5, -7, 5))


@pytest.mark.parametrize("body, err, match", [
    (lambda s, x: s.fc2(torch.relu(1.0 / s.fc1(x))), UnsupportedNetworkError,
     r"divides the constant 1\.0 by a computed value: c / x is not affine in x \(x / c is read\)"),
    (lambda s, x: s.fc2(torch.relu(s.fc1(x) * torch.tensor(2.0))), UnsupportedNetworkError,
     r"multiplies by the tensor '_tensor_constant0', a constant of the module: only a Python number"),
    (lambda s, x: s.fc2(torch.relu(torch.div(s.fc1(x), 2.0, rounding_mode="floor"))), UnsupportedNetworkError,
     r"divides with rounding_mode='floor': a rounded quotient is not affine"),
    (lambda s, x: s.fc2(torch.relu(s.fc1(x) / 0.0)), InputError, r"node 'truediv' .* divides by 0"),
    (lambda s, x: s.fc2(torch.relu(s.fc1(x) * float("inf"))), InputError, r"its constant is inf"),
    (lambda s, x: s.fc2(torch.relu(s.fc1(x))).squeeze(), InputError, r"squeezes every axis .* squeeze\(-1\)"),
    (lambda s, x: s.fc2(torch.relu(s.fc1(x))).squeeze(0), InputError, r"squeezes the batch axis"),
    (lambda s, x: s.fc2(torch.relu(s.fc1(x) * s.fc1(x))), UnsupportedNetworkError, r"operation 'mul' is not"),
])
def test_steps_that_are_not_affine_in_x_are_refused_naming_the_node(body, err, match):
    with pytest.raises(err, match=match):
        exact.as_exact_net(Net(body))


def test_a_residual_net_with_a_normalised_input_counts_as_its_window_moved():
    # (x - 1/2) / 2 maps [-3, 3]^2 onto [-7/4, 5/4]^2: the net without it counts the same there
    moved = [(-1.75, -1.75), (1.25, -1.75), (1.25, 1.25), (-1.75, 1.25)]
    normalised = Res(pre=lambda x: (x - 0.5) / 2, squeeze=True)
    assert exact.count_regions(normalised, window=3) == exact.count_regions(Res(), window=moved)

"""Residual MLPs x + g(x): read exactly, lowered on a window, counted; against independent methods.

The reference for every check is computed here from the torch module's own weights, by
the structure the test built (not by the reader): an exact Fraction forward, a float64
grid of activation patterns, hand-derived counts.
"""

import random
from fractions import Fraction

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import exact
from exact import InputError, UnsupportedNetworkError
from exact.activations import get_activation
from exact.residual_nets import AffineStage, Block, ResidualNet

ACTS = {  # name: (torch function, exact activation)
    "relu": (torch.relu, get_activation("relu")),
    "leaky_relu": (lambda z: F.leaky_relu(z, 0.125), get_activation("leaky_relu", 0.125)),
    "hardtanh": (F.hardtanh, get_activation("hardtanh")),
    "abs": (torch.abs, get_activation("abs")),
}


class ResMLP(nn.Module):
    """inp, then blocks x = x + L_k(act(... act(L_1(x)))), then out; seeded."""

    def __init__(self, d=2, width=3, hidden=(4,), blocks=1, act="relu", seed=0, scale=1.0):
        super().__init__()
        torch.manual_seed(seed)
        self.act = act
        self.inp = nn.Linear(d, width)
        self.blocks = nn.ModuleList(
            nn.ModuleList(nn.Linear(a, b) for a, b in zip((width,) + tuple(hidden), tuple(hidden) + (width,)))
            for _ in range(blocks))
        self.out = nn.Linear(width, 1)
        with torch.no_grad():
            for p in self.parameters():
                p.mul_(scale)

    def forward(self, x):
        x = self.inp(x)
        for layers in self.blocks:
            h = x
            for k, lin in enumerate(layers):
                h = lin(ACTS[self.act][0](h) if k else h)
            x = x + h
        return self.out(x)


def exact_reference(m, x):
    """The module's output and its own pre-activations at x, in Fractions, from its weights."""
    def lin(layer, v):
        W, b = layer.weight.detach().double().tolist(), layer.bias.detach().double().tolist()
        return [sum((Fraction(w) * vi for w, vi in zip(r, v)), Fraction(Fraction(bb))) for r, bb in zip(W, b)]
    act = ACTS[m.act][1]
    pre, x = [], lin(m.inp, [Fraction(v) for v in x])
    for layers in m.blocks:
        h = lin(layers[0], x)
        for layer in layers[1:]:
            pre.append(h)
            h = lin(layer, [act.apply(v) for v in h])
        x = [a + g for a, g in zip(x, h)]
    return lin(m.out, x), pre


def float_patterns(m, X):
    """Activation pattern of the module's own neurons at the rows of X (float64 torch)."""
    bps = [float(b) for b in ACTS[m.act][1].breakpoints]
    with torch.no_grad():
        x, bits = m.inp(torch.as_tensor(X, dtype=torch.float64)), []
        for layers in m.blocks:
            h = layers[0](x)
            for layer in layers[1:]:
                bits.append(sum((h > b).to(torch.int64) for b in bps))
                h = layer(ACTS[m.act][0](h))
            x = x + h
    return torch.cat(bits, dim=1).numpy()


def rational_points(rng, lo, hi, n):
    return [[Fraction(rng.randint(-1000, 1000), 1000) * (h - l) / 2 + (h + l) / 2 for l, h in zip(lo, hi)]
            for _ in range(n)]


CASES = [(act, blocks, hidden) for act in ACTS for blocks, hidden in ((1, (4,)), (2, (3,)), (1, (3, 2)), (2, (2, 3)))]


@pytest.mark.parametrize("act, blocks, hidden", CASES)
def test_lowered_net_equals_the_residual_program_exactly(act, blocks, hidden):
    m = ResMLP(hidden=hidden, blocks=blocks, act=act, seed=len(hidden) + 7 * blocks).double()
    B = Fraction(3)
    net = exact.lower_on_window(m, B)
    rng = random.Random(1)
    for p in rational_points(rng, (-B, -B), (B, B), 12) + [[-B, -B], [B, B], [-B, B]]:
        ref, _ = exact_reference(m, p)
        assert list(net.evaluate(p)) == ref
        with torch.no_grad():
            y = m(torch.tensor([[float(v) for v in p]], dtype=torch.float64)).item()
        assert abs(float(ref[0]) - y) <= 1e-12 * (1 + abs(y))   # torch's own float64 forward
    r = exact.read_residual(m)
    assert list(r.evaluate(p)) == ref


@pytest.mark.parametrize("act", list(ACTS))
def test_pass_through_neurons_keep_their_piece_in_every_cell(act):
    m = ResMLP(hidden=(3, 2), blocks=2, act=act, seed=5).double()
    rnet = exact.read_residual(m)
    low = rnet.lower((-2, -2), (2, 2))
    r = exact.regions(m, window=2)
    assert r.net == low.net
    passing = [i for i, own in enumerate(low.own) if not own]
    assert passing and len(passing) < len(low.own)
    assert len({tuple(c.pattern[i] for i in passing) for c in r.cells}) == 1
    own = [i for i, o in enumerate(low.own) if o]
    piece = get_activation(act)
    for c in r.cells:
        assert tuple(c.pattern[i] for i in own) == rnet.pattern_at(c.interior_point())
        for X, Y, D in c.verts:  # every pass-through pre-activation strictly inside one piece, at every vertex
            z = _preactivations(low.net, (Fraction(X, D), Fraction(Y, D)))
            assert all(piece.breakpoints == () or all(z[i] != b for b in piece.breakpoints) for i in passing)
            assert tuple(piece.piece(z[i]) for i in passing) == tuple(c.pattern[i] for i in passing)


def _preactivations(net, p):
    x, out = list(p), []
    for l, act in enumerate(net.activations):
        z = [sum((w * v for w, v in zip(r, x)), Fraction(0)) + b for r, b in zip(net.weights[l], net.biases[l])]
        out += z
        x = [act.apply(v) for v in z]
    return out


def test_hand_derived_count_of_x_plus_relu():
    # f(x, y) = [1, 2] . (x + W2 relu(W1 (x, y) + b1)), lines x = 0, y = 0, x + y = 1/2
    class Hand(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.fc2, self.out = nn.Linear(2, 3), nn.Linear(3, 2), nn.Linear(2, 1)
            with torch.no_grad():
                self.fc1.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))
                self.fc1.bias.copy_(torch.tensor([0.0, 0.0, -0.5]))
                self.fc2.weight.copy_(torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, -1.0]]))
                self.fc2.bias.zero_()
                self.out.weight.copy_(torch.tensor([[1.0, 2.0]]))
                self.out.bias.zero_()

        def forward(self, x):
            x = x + self.fc2(torch.relu(self.fc1(x)))
            return self.out(x)

    # 4 quadrants, the third line crosses three of them: 7 cells; the gradient
    # (1, 2) + a (1, 0) + b (0, 2) - c (1, 1) differs for each of the 8 patterns: 7 linear regions
    assert exact.count_regions(Hand(), window=1) == (7, 7)
    r = exact.regions(Hand(), window=1)
    assert (r.n_activation, r.n_linear) == (7, 7)
    assert r.net.widths == (2, 5, 1)  # 3 own neurons, 2 carrying (x, y)
    # the same function with x carried by relu(x) - relu(-x) on the whole plane: the same lines here
    W1 = [[1, 0], [0, 1], [1, 1], [1, 0], [-1, 0], [0, 1], [0, -1]]
    b1 = [0, 0, Fraction(-1, 2), 0, 0, 0, 0]
    glob = exact.ExactNet.from_layers([(W1, b1), ([[1, 2, -1, 1, -1, 2, -2]], [0])])
    assert exact.count_regions(glob, window=1) == (7, 7)


def _fr(t):
    return [[Fraction(v) for v in r] for r in t.detach().double().reshape(t.shape[0], -1).tolist()]


def _mm(A, B):
    return [[sum((a * b for a, b in zip(r, c)), Fraction(0)) for c in zip(*B)] for r in A]


def test_relu_pair_net_of_the_same_function_has_the_same_linear_regions():
    # independent of the lowering: s = inp(x) carried globally by relu(s) - relu(-s), whose
    # boundaries are no kinks of the function, so its linear regions are the residual net's
    m = ResMLP(hidden=(5,), blocks=1, act="relu", seed=3).double()
    L1, L2 = m.blocks[0]
    Ws, bs = _fr(m.inp.weight), [r[0] for r in _fr(m.inp.bias.reshape(-1, 1))]
    W1, b1 = _fr(L1.weight), [r[0] for r in _fr(L1.bias.reshape(-1, 1))]
    hidden_W = _mm(W1, Ws) + Ws + [[-v for v in r] for r in Ws]
    hidden_b = [sum((w * b for w, b in zip(r, bs)), bb) for r, bb in zip(W1, b1)] + bs + [-v for v in bs]
    Wo, bo = _fr(m.out.weight), _fr(m.out.bias.reshape(-1, 1))[0][0]
    W2, b2 = _fr(L2.weight), [r[0] for r in _fr(L2.bias.reshape(-1, 1))]
    out_W = _mm(Wo, W2)[0] + Wo[0] + [-v for v in Wo[0]]
    out_b = bo + sum((w * b for w, b in zip(Wo[0], b2)), Fraction(0))
    glob = exact.ExactNet.from_layers([(hidden_W, hidden_b), ([out_W], [out_b])])
    ours, theirs = exact.count_regions(m, window=4), exact.count_regions(glob, window=4)
    assert ours.linear == theirs.linear and ours.activation <= theirs.activation
    assert exact.lower_on_window(m, 4).widths == (2, 5 + 2, 1)   # carries (x, y): 2 < 3 coordinates


@pytest.mark.parametrize("act", ["relu", "hardtanh"])
def test_grid_sampling_is_a_lower_bound_and_reaches_the_count(act):
    m = ResMLP(hidden=(3,), blocks=2, act=act, seed=11).double()
    count = exact.count_regions(m, window=2)
    g = np.linspace(-2, 2, 801)
    X = np.stack(np.meshgrid(g, g), axis=-1).reshape(-1, 2)
    found = len({row.tobytes() for row in float_patterns(m, X)})
    assert found <= count.activation
    assert found == count.activation   # small net, dense grid: every cell is hit


def test_plane_through_three_points_of_a_5d_net():
    m = ResMLP(d=5, hidden=(6,), blocks=2, seed=3).double()
    pts = ([0.0] * 5, [1.0, 0, 0, 0, 0.5], [0, 1.0, 0, -0.5, 0])
    count = exact.count_regions(m, window=3, plane=pts)
    assert count == (30, 30)
    low = exact.lower_on_window(m, 3, plane=pts)
    assert low.input_dim == 2
    e1, e2 = (np.array(p) - np.array(pts[0]) for p in pts[1:])
    for u, v in rational_points(random.Random(3), (-3, -3), (3, 3), 6):
        x = [Fraction(a) + u * Fraction(b) + v * Fraction(c) for a, b, c in zip(pts[0], e1, e2)]
        assert list(low.evaluate([u, v])) == exact_reference(m, x)[0]
    g = np.linspace(-3, 3, 601)
    U = np.stack(np.meshgrid(g, g), axis=-1).reshape(-1, 2)
    found = len({row.tobytes() for row in float_patterns(m, U @ np.stack([e1, e2]))})
    assert found == count.activation   # a lower bound; dense enough to reach it here
    assert exact.regions(m, window=3, plane=pts).n_activation == count.activation


def test_count_on_segment_in_6d():
    m = ResMLP(d=6, hidden=(6, 4), blocks=2, seed=4).double()
    a, b = [-1, 0.5, 2, 0, -0.25, 1], [1.5, -1, 0, 1, 0.75, -2]
    s = exact.count_on_segment(m, a, b)
    assert s.activation == 11
    for t in s.breakpoints.activation:  # an own neuron of the module is exactly at its kink there
        x = [Fraction(p) + t * (Fraction(q) - Fraction(p)) for p, q in zip(a, b)]
        assert any(z == 0 for layer in exact_reference(m, x)[1] for z in layer)
    ts = np.linspace(0, 1, 20001)
    X = np.array(a) + ts[:, None] * (np.array(b) - np.array(a))
    P = float_patterns(m, X)
    runs = 1 + int(np.any(P[1:] != P[:-1], axis=1).sum())
    assert runs == s.activation   # a lower bound; dense enough to reach it here


def test_nd_count_of_a_3d_net_in_a_box():
    m = ResMLP(d=3, width=3, hidden=(4,), blocks=1, seed=7).double()
    box = [(-3, 3), (-3, 3), (-3, 3)]
    r = exact.regions(m, window=box)
    assert isinstance(r, exact.RegionsND)
    assert exact.count_regions(m, window=box).activation == r.n_activation
    assert r.n_activation == 10
    g = np.linspace(-3, 3, 61)
    X = np.stack(np.meshgrid(g, g, g), axis=-1).reshape(-1, 3)
    found = len({row.tobytes() for row in float_patterns(m, X)})
    assert found == r.n_activation   # a lower bound; dense enough to reach it here


def test_tiles_give_the_untiled_count():
    m = ResMLP(hidden=(4,), blocks=2, seed=8)
    assert exact.count_regions(m, window=2, tiles=2) == exact.count_regions(m, window=2)


def test_nested_blocks_and_the_torch_spellings_of_an_addition():
    class Nested(nn.Module):
        def __init__(self):
            super().__init__()
            torch.manual_seed(9)
            self.a, self.b, self.c = nn.Linear(2, 3), nn.Linear(3, 3), nn.Linear(3, 3)
            self.blk = nn.Sequential(nn.Linear(3, 4), nn.LeakyReLU(0.5), nn.Linear(4, 3))
            self.o = nn.Linear(3, 1)

        def forward(self, x):
            x = self.a(x)
            x += self.blk(x)
            x = torch.add(x, self.c(torch.relu(x + self.b(torch.relu(x)))))   # a block inside a block
            x = x.add(self.b(x))                                              # no activation: affine
            return self.o(torch.relu(x))

    m = Nested().double()
    net = exact.lower_on_window(m, 2)
    for p in rational_points(random.Random(5), (-2, -2), (2, 2), 10):
        with torch.no_grad():
            y = m(torch.tensor([[float(v) for v in p]], dtype=torch.float64)).item()
        assert abs(float(net.evaluate(p)[0]) - y) <= 1e-12 * (1 + abs(y))
    assert exact.count_regions(m, window=2).activation >= 1


class Branches(nn.Module):
    def __init__(self, join):
        super().__init__()
        self.a, self.b, self.o = nn.Linear(2, 2), nn.Linear(2, 2), nn.Linear(2, 1)
        self.join = join

    def forward(self, x):
        return self.o(self.join(torch.relu(self.a(x)), torch.relu(self.b(x))))


@pytest.mark.parametrize("join, error, match", [
    (lambda u, v: u + v, UnsupportedNetworkError,
     r"node 'add' \(call_function add\) adds two computed values \(relu and relu_1\) that are not x and g\(x\)"),
    (lambda u, v: u * v, UnsupportedNetworkError, r"node 'mul' \(call_function mul\)"),
    (lambda u, v: u - v, UnsupportedNetworkError, r"node 'sub' \(call_function sub\) subtracts two computed"),
    (lambda u, v: torch.add(u, v, alpha=2), UnsupportedNetworkError, r"adds with extra arguments \(\['alpha'\]\)"),
])
def test_other_joins_stay_refused(join, error, match):
    with pytest.raises(error, match=match):
        exact.count_regions(Branches(join), window=1)


def test_whole_plane_and_domainless_reading_are_refused():
    m = ResMLP()
    with pytest.raises(InputError, match=r"ResMLP has skip connections x \+ g\(x\): they are analysed exactly in a "
                                         r"bounded window.*the whole plane \(window=None\)"):
        exact.count_regions(m, window=None)
    with pytest.raises(InputError, match=r"the whole space \(window=None\)"):
        exact.regions(ResMLP(d=3), window=None)
    with pytest.raises(InputError, match=r"has skip connections x \+ g\(x\) \(node 'add'.*exact.lower_on_window"):
        exact.as_exact_net(m)
    with pytest.raises(InputError, match=r"activation='abs' was given, but the network has relu"):
        exact.count_regions(m, window=1, activation="abs")


def test_a_misread_skip_is_caught_by_the_forward_check(monkeypatch):
    import exact.residual_reading as rr

    real = rr.module_ops

    def dropped_skip(module, input_shape=None):   # forget every skip connection: x + g(x) read as g(x)
        ops, shape, plain = real(module, input_shape)
        flat = [o for op in ops for o in (op.value if op.kind == "residual" else [op])]
        return flat, shape, plain

    monkeypatch.setattr(rr, "module_ops", dropped_skip)
    with pytest.raises(InputError, match="does not reproduce its forward"):
        exact.read_residual(ResMLP())


def test_residual_net_checks_its_stages():
    relu = get_activation("relu")
    with pytest.raises(InputError, match=r"a skip block adds 1 values to its 2 inputs"):
        ResidualNet((Block((AffineStage.exact([[1, 1]], [0]), relu)),), input_dim=2)
    net = ResidualNet((Block((relu,)),), input_dim=1)
    with pytest.raises(InputError, match=r"the box \[lo, hi\] is empty"):
        net.lower([1], [0])
    assert net.lower([0], [0]).net.evaluate([0]) == (Fraction(0),)


def test_rectangle_and_polygon_windows_agree_with_a_lowering_on_a_larger_box():
    # two lowerings (other shifts, other carried bounds) of one function: the same cells in the window
    m = ResMLP(hidden=(4, 3), blocks=2, act="leaky_relu", seed=12).double()
    big = exact.lower_on_window(m, 8)
    for window in ((-3, 4, -2, 3), [(-4, -4), (5, -1), (0, 4.5)]):
        ours = exact.count_regions(m, window=window)
        assert ours == exact.count_regions(big, window=window)
        assert ours.activation == exact.regions(m, window=window).n_activation > 5


# ---------------------------------------------------------------------------------------
# random nested and sequential blocks: skips at the input, blocks in blocks, a skip sum as output
# ---------------------------------------------------------------------------------------

PIECES = {"relu": (0.0,), "leaky_relu": (0.0,), "hardtanh": (-1.0, 1.0), "abs": (0.0,)}   # breakpoints


def random_items(rng, w_in, w_out, depth, n):
    """Items mapping w_in values to w_out: ("lin", a, b), ("act", name), ("blk", items mapping w to w)."""
    items, w = [], w_in
    for _ in range(n):
        r = rng.random()
        if depth > 0 and r < 0.4:
            items.append(("blk", random_items(rng, w, w, depth - 1, rng.randint(1, 3))))
        elif r < 0.7:
            items.append(("lin", w, rng.randint(1, 4)))
            w = items[-1][2]
        else:
            items.append(("act", rng.choice(list(ACTS))))
    if w != w_out or not any(it[0] == "lin" for it in items):
        items.append(("lin", w, w_out))
    return items


class Program(nn.Module):
    """Runs a tree of items; records the pattern of the module's own neurons on request."""

    def __init__(self, items, seed):
        super().__init__()
        torch.manual_seed(seed)
        self.items, self.lins = items, nn.ModuleList()
        todo = list(items)
        while todo:   # in the order forward meets them
            it = todo.pop(0)
            if it[0] == "lin":
                self.lins.append(nn.Linear(it[1], it[2]))
            elif it[0] == "blk":
                todo = list(it[1]) + todo

    def forward(self, x):
        return self.run(self.items, x, iter(self.lins), None)

    def run(self, items, x, lins, rec):
        for it in items:
            if it[0] == "lin":
                x = next(lins)(x)
            elif it[0] == "act":
                if rec is not None:   # the piece: breakpoints below the pre-activation (Activation.piece)
                    rec.append(sum((x > b).to(torch.int64) for b in PIECES[it[1]]))
                x = ACTS[it[1]][0](x)
            else:
                x = x + self.run(it[1], x, lins, rec)
        return x

    def patterns(self, X):
        """The pattern of the module's own neurons at each row of X, as tuples."""
        rec = []
        with torch.no_grad():
            self.run(self.items, torch.as_tensor(X, dtype=torch.float64), iter(self.lins), rec)
        return [tuple(row) for row in torch.cat(rec, 1).tolist()] if rec else [()] * len(X)


def random_program(seed):
    rng = random.Random(seed)
    kind = seed % 3
    if kind == 0:     # the outer skip starts at the network's input
        items = [("blk", random_items(rng, 2, 2, 2, rng.randint(2, 4)))] + random_items(rng, 2, 1, 1, rng.randint(0, 3))
    elif kind == 1:   # the output is a skip sum
        w = rng.randint(1, 3)
        items = random_items(rng, 2, w, 1, rng.randint(1, 3)) + [("blk", random_items(rng, w, w, 2, rng.randint(1, 4)))]
    else:
        items = random_items(rng, 2, rng.randint(1, 2), 3, rng.randint(2, 6))
    return Program(items, seed).double()


@pytest.mark.parametrize("seed", range(24))
def test_random_nested_blocks_match_the_module_and_a_dense_grid(seed):
    """Cells' exact maps against torch's float64 value and autograd gradient, their patterns against the
    module's at their interior points; every pattern a dense grid meets is a cell's (a lower bound)."""
    m = random_program(seed)
    B = 2.0
    r = exact.regions(m, window=B)
    assert exact.count_regions(m, window=B).activation == r.n_activation
    U = np.random.default_rng(seed).uniform(-B, B, size=(40, 2))
    for u, c in zip(U, r.locate(U)):
        x = torch.tensor(u[None], requires_grad=True)
        y = m(x)[0]
        J = np.stack([torch.autograd.grad(y[j], x, retain_graph=True)[0][0].numpy() for j in range(len(y))])
        p = [Fraction(float(v)) for v in u]
        ours = [float(sum(g * v for g, v in zip(row, p)) + o) for row, o in zip(c.affine.gradient, c.affine.offset)]
        assert np.allclose(ours, y.detach().numpy(), rtol=1e-12, atol=1e-12)
        assert np.allclose([[float(g) for g in row] for row in c.affine.gradient], J, rtol=1e-12, atol=1e-12)
    own = [i for i, o in enumerate(r.own or [True] * len(r.cells[0].pattern)) if o]   # None: no skip at all
    ours = [tuple(c.pattern[i] for i in own) for c in r.cells]
    assert m.patterns(np.array([[float(v) for v in c.interior_point()] for c in r.cells])) == ours
    g = -B + (np.arange(300) + 2**0.5 - 1) * (2 * B / 300)   # off the lines x = 0, y = 0 of kinks at the input
    found = set(m.patterns(np.stack(np.meshgrid(g, g), -1).reshape(-1, 2)))
    assert found <= set(ours) and len(found) <= r.n_activation
    assert len(found) >= 0.9 * r.n_activation   # dense enough to meet nearly all cells here

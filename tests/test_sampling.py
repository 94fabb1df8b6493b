"""Grid sampling: orientation, lower bound, and the pixel-level cross-check with exact."""

import json

import numpy as np
import pytest
import torch
from catalogue import seeded_torch
from torch import nn

from exact import regions
from exact.cli import main
from exact.crosscheck import cross_check, exact_patterns_at
from exact.network import ExactNet
from numeric import evaluate_grid, grid_patterns, pixel_centres
from numeric.sampling import infer_breakpoints


def test_image_orientation_x1_along_columns():
    lin = torch.nn.Linear(2, 1)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[1.0, 10.0]]))
        lin.bias.zero_()
    img = evaluate_grid(lin, 1.0, 8)
    xs = pixel_centres(1.0, 8)
    # image[row, col] = x1 + 10 x2 with x1 = xs[col], x2 = xs[row]
    assert np.allclose(img, xs[None, :] + 10 * xs[:, None])


def test_sampled_patterns_are_a_subset_and_lower_bound():
    for widths in ([2, 20, 1], [2, 5, 5, 5, 5, 1]):
        model = seeded_torch(widths)
        exact_set = {c.pattern for c in regions(model, window=10.0).cells}
        g = grid_patterns(model, 10.0, 300)
        assert g.pattern_set() <= exact_set
        assert g.counts.sum() == 300 * 300


def test_cross_check_pixel_agreement_on_benchmark_nets():
    for widths, n in (([2, 20, 1], 197), ([2, 5, 5, 5, 5, 1], 81)):
        rep = cross_check(seeded_torch(widths), window=10.0, res=500)
        assert rep.exact_count == n
        assert rep.sampled_count + len(rep.missed) == n
        assert rep.spurious == 0 and rep.unexplained == 0
        assert all(a > 0 for _, a in rep.missed)


def test_pixel_centres_on_a_line_are_decided_exactly():
    # B = 1, res = 8: centres are dyadic; x = 0.125 runs through a column of centres
    net = ExactNet.from_layers([([[1.0, 0.0]], [-0.125]), ([[1.0]], [0.0])])
    rep = cross_check(net, window=1.0, res=8)
    assert rep.exact_filtered == 8 and rep.disagreements == 0
    pts = np.array([[0.125, 0.3], [0.125 + 2**-50, 0.3]])
    assert exact_patterns_at(net, pts).ravel().tolist() == [0, 1]


def test_check_command(tmp_path, capsys):
    model = seeded_torch([2, 20, 1])
    spec = {"layers": [{"weight": m.weight.detach().double().tolist(), "bias": m.bias.detach().double().tolist()}
                       for m in model if isinstance(m, torch.nn.Linear)]}
    p = tmp_path / "n.json"
    p.write_text(json.dumps(spec))
    assert main(["check", str(p), "--res", "300", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["exact_regions"] == 197 and data["sampled_regions"] < 197
    assert data["missed_regions"] == 197 - data["sampled_regions"] and data["unexplained_disagreements"] == 0
    assert main(["check", str(p), "--res", "100"]) == 0
    assert "largest missed regions" in capsys.readouterr().out


def test_multi_output_model_needs_an_output_index():
    import pytest

    model = torch.nn.Linear(2, 3)
    with pytest.raises(ValueError, match="the model has 3 outputs"):
        evaluate_grid(model, 1.0, 4)
    assert evaluate_grid(model, 1.0, 4, output=2).shape == (4, 4)
    with pytest.raises(ValueError, match=r"output must be in 0..2, got 5"):
        evaluate_grid(model, 1.0, 4, output=5)


def test_numeric_never_imports_exact():
    import subprocess
    import sys

    code = ("import sys, numeric, numeric.models, numeric.sampling, numeric.plots, numeric.stable_lse; "
            "print(sorted(m for m in sys.modules if m == 'exact' or m.startswith('exact.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


class _Calls(nn.Module):
    """Linear(2, 3), then ``act`` called in ``forward`` (no activation module), then Linear(3, 1)."""

    def __init__(self, act):
        super().__init__()
        self.a, self.b, self.act = nn.Linear(2, 3), nn.Linear(3, 1), act

    def forward(self, x):
        return self.b(self.act(self.a(x)))


@pytest.mark.parametrize("act, shown", [
    (torch.sigmoid, "torch.sigmoid"), (torch.Tensor.tanh, "Tensor.tanh"),
    (torch.nn.functional.gelu, "torch.nn.functional.gelu"), (torch.nn.functional.softplus, "torch.nn.functional.softplus"),
    (torch.nn.functional.silu, "torch.nn.functional.silu"), (lambda z: torch.softmax(z, -1), "torch.softmax"),
    (torch.exp, "torch.exp"),
])
def test_curved_functions_called_in_forward_are_refused_by_name(act, shown):
    with pytest.raises(ValueError, match=rf"_Calls uses {shown} in _Calls.forward, which is not piecewise linear"):
        grid_patterns(_Calls(act), window=2.0, res=8)
    assert grid_patterns(_Calls(act), window=2.0, res=8, breakpoints=[0.0]).counts.sum() == 64  # asked for


@pytest.mark.parametrize("act, bps", [
    (torch.relu, (0.0,)), (torch.abs, (0.0,)), (lambda z: torch.clamp(z, -2, 3), (-2.0, 3.0)),
    (lambda z: z.clamp(min=0.5), (0.5,)), (torch.nn.functional.relu6, (0.0, 6.0)),
    (lambda z: torch.nn.functional.hardtanh(z, -0.5, 0.5), (-0.5, 0.5)),
    (torch.nn.functional.hardsigmoid, (-3.0, 3.0)),
])
def test_breakpoints_are_read_from_the_calls_forward_makes(act, bps):
    assert infer_breakpoints(_Calls(act)) == bps


def test_curved_functions_of_parameters_only_are_not_refused():
    """exp of a learned scale is a constant for the input: the net stays piecewise linear."""
    class Scaled(_Calls):
        def forward(self, x):
            return self.b(torch.relu(self.a(x)) * self.a.weight.sum().exp())

    assert infer_breakpoints(Scaled(torch.relu)) == (0.0,)


def test_shared_breakpoints_mix_and_an_output_clamp_is_not_hidden():
    mixed = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 3), nn.LeakyReLU(), nn.Linear(3, 3),
                          nn.PReLU(), nn.Linear(3, 1), nn.Hardtanh(-5, 5))
    assert infer_breakpoints(mixed) == (0.0,)

    class Clamp(nn.Module):
        def forward(self, x):
            return x.clamp(-1, 1)

    same = nn.Sequential(nn.Linear(2, 3), nn.Hardtanh(), nn.Linear(3, 3), Clamp(), nn.Linear(3, 1))
    assert infer_breakpoints(same) == (-1.0, 1.0)


def test_clamp_bounds_that_are_tensors_are_refused_for_exact_counts():
    net = _Calls(lambda z: z.clamp(min=torch.tensor([0.0, 1.0, 2.0])))
    with pytest.raises(ValueError, match=r"uses Tensor.clamp in _Calls.forward with bounds that are tensors.*"
                                         r"exact.count_regions"):
        grid_patterns(net, window=2.0, res=8)
    assert infer_breakpoints(_Calls(lambda z: z.clamp(min=torch.tensor(0.25)))) == (0.25,)


# grid sampling helper, session 11: grid_patterns refuses what it would misread


class _Forward(nn.Module):
    """Linear(2, 4) ``a``, Linear(2, 4) ``b`` and Linear(4, 1) ``o``; ``forward`` runs ``f(self, x)``."""

    def __init__(self, f, seed=0):
        super().__init__()
        torch.manual_seed(seed)
        self.a, self.b, self.o, self.f = nn.Linear(2, 4), nn.Linear(2, 4), nn.Linear(4, 1), f
        self.w = nn.Parameter(torch.randn(4, 2))

    def forward(self, x):
        return self.f(self, x)


F = torch.nn.functional


@pytest.mark.parametrize("f, shown", [
    (lambda m, x: m.o(torch.relu(F.linear(x, m.w))), r"calls torch.nn.functional.linear in _Forward.forward, a "
                                                      r"linear layer that is not an nn.Linear module's own"),
    (lambda m, x: m.o(torch.relu(x @ m.w.T)), r"calls Tensor.matmul in _Forward.forward, a linear layer"),
    (lambda m, x: m.o(torch.relu(m.a(x) - 3.0)), r"applies torch.relu in _Forward.forward to the result of "
                                                 r"Tensor.sub in _Forward.forward, not to an nn.Linear"),
    (lambda m, x: m.o(torch.relu(2 * m.a(x))), r"applies torch.relu .* to the result of Tensor.mul in"),
    (lambda m, x: m.o(torch.maximum(m.a(x), m.b(x))), r"computes torch.maximum in _Forward.forward on input-"),
    (lambda m, x: m.o(torch.where(m.a(x) > 1, m.a(x), 0.1 * m.a(x))), r"computes Tensor.gt in _Forward"),
    (lambda m, x: m.o(m.a(x) * m.a(x)), r"computes Tensor.mul in _Forward.forward on input-dependent values"),
    (lambda m, x: m.o(torch.relu(m.a(x)) * torch.relu(m.b(x))), r"computes Tensor.mul in _Forward.forward"),
    (lambda m, x: m.o(torch.relu(m.a(x) / m.a(x).norm(dim=1, keepdim=True))), r"computes .*norm in _Forward"),
    (lambda m, x: m.o(torch.relu(torch.cat([m.a(x)[:, :2], m.b(x)[:, 2:]], 1))), r"computes Tensor.__getitem__"),
    (lambda m, x: (m.a(x), m.o(torch.relu(m.b(x))))[1], r"feeds the output of nn.Linear 'a' to no activation"),
    (lambda m, x: m.o(torch.relu(m.a(x)) + torch.relu(m.b(x))), r"computes Tensor.add in _Forward.forward"),
    (lambda m, x: m.o(torch.relu(m.a(x).add_(1.0))), r"computes Tensor.add_ in _Forward.forward on input"),
    (lambda m, x: m.o(F.dropout(torch.relu(m.a(x)), 0.5)), r"calls torch.nn.functional.dropout in _Forward.fo"
                                                            r"rward with training=True: its forward is random"),
])
def test_grid_patterns_refuses_models_it_would_misread(f, shown):
    """grid_patterns thresholds nn.Linear outputs: anything else (a linear call of its own, a shift, a max,
    a product) would give patterns that are not the model's, silently; breakpoints= does not lift it."""
    with pytest.raises(ValueError, match=rf"_Forward {shown}.*count its regions exactly with exact.count_regions"):
        grid_patterns(_Forward(f), window=2.0, res=8)
    with pytest.raises(ValueError, match=rf"_Forward {shown}"):
        grid_patterns(_Forward(f), window=2.0, res=8, breakpoints=[0.0])
    with pytest.raises(ValueError, match=rf"_Forward {shown}"):
        infer_breakpoints(_Forward(f))


@pytest.mark.parametrize("net, shown", [
    (nn.Sequential(nn.Unflatten(1, (1, 2)), nn.Conv1d(1, 3, 1), nn.Tanh(), nn.Conv1d(3, 1, 1), nn.Flatten()),
     r"Sequential calls torch.conv1d in Conv1d.forward, a linear layer that is not an nn.Linear"),
    (nn.Sequential(nn.Linear(2, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 1)).eval(),
     r"Sequential computes torch.nn.functional.batch_norm in BatchNorm1d.forward on input-dependent values"),
    (nn.Sequential(nn.Linear(2, 4), nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 1)),
     r"Sequential feeds the output of nn.Linear '0' to no activation before its next linear layer"),
    (nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.ReLU6(), nn.Linear(4, 1)),
     r"Sequential applies ReLU6 to the result of ReLU, not to an nn.Linear module's output"),
    (nn.ReLU(), r"ReLU runs no nn.Linear layer on its input"),
])
def test_grid_patterns_refuses_layers_that_are_not_a_chain_of_linear_and_activations(net, shown):
    with pytest.raises(ValueError, match=shown):
        grid_patterns(net, window=2.0, res=8)


def test_grid_patterns_accepts_what_it_samples_right():
    """Reshapes, eval-mode dropout, scaling by constants after an activation, an in-place activation and
    a function after the last layer leave the patterns the ones of the nn.Linear outputs."""
    torch.manual_seed(0)
    plain = nn.Sequential(nn.Linear(2, 5), nn.Hardtanh(), nn.Linear(5, 1))
    inplace = nn.Sequential(nn.Linear(2, 5), nn.Hardtanh(inplace=True), nn.Linear(5, 1))
    inplace.load_state_dict(plain.state_dict())
    g = grid_patterns(plain, window=3.0, res=60)
    assert grid_patterns(inplace, window=3.0, res=60).pattern_set() == g.pattern_set()  # 10 of 21 before
    z = plain[0](torch.as_tensor(np.asarray(np.meshgrid(*[pixel_centres(3.0, 60)] * 2)).reshape(2, -1).T,
                                 dtype=torch.float32))
    assert g.n_patterns == len({tuple(r) for r in ((z > -1).int() + (z > 1).int()).tolist()})
    scaled = _Forward(lambda m, x: m.o((torch.relu(m.a(x.view(-1, 2))) * 2.0 - 1.0).flatten(1)))
    drop = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Dropout(0.5), nn.Linear(4, 3), nn.Softmax(-1)).eval()
    for net in (scaled, drop):
        assert infer_breakpoints(net) == (0.0,) and grid_patterns(net, window=2.0, res=8).counts.sum() == 64
    assert grid_patterns(nn.Linear(2, 1), window=1.0, res=4).n_patterns == 1  # no hidden layer: one region


@pytest.mark.parametrize("module", [nn.BatchNorm1d(4), nn.Dropout(0.5), nn.RReLU(), nn.InstanceNorm1d(4)])
def test_grid_sampling_refuses_training_mode_before_any_forward(module):
    net = nn.Sequential(nn.Linear(2, 4), module, nn.ReLU(), nn.Linear(4, 1)).train()
    state = {k: v.clone() for k, v in net.state_dict().items()}
    for sample in (lambda: grid_patterns(net, window=1.0, res=4), lambda: infer_breakpoints(net),
                   lambda: evaluate_grid(net, window=1.0, res=4)):
        with pytest.raises(ValueError, match=rf"model Sequential has modules in training mode whose forward is "
                                             rf"random or depends on the batch \(1 \({type(module).__name__}\)\)"
                                             r".*call model.eval\(\) first \(nothing was run\)"):
            sample()
    assert all(torch.equal(v, net.state_dict()[k]) for k, v in state.items())  # num_batches_tracked still 0


def test_grid_sampling_puts_back_a_buffer_the_forward_changes():
    class Stats(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.o = nn.Linear(2, 3), nn.Linear(3, 1)
            self.register_buffer("seen", torch.zeros(()))

        def forward(self, x):
            self.seen += 1
            return self.o(torch.relu(self.a(x)))

    net = Stats()
    with pytest.raises(ValueError, match=r"Stats changes its buffer seen in forward .* the buffer was put back"):
        grid_patterns(net, window=1.0, res=4)
    assert net.seen.item() == 0


def test_grid_sampling_names_the_model_when_its_forward_fails():
    class Boom(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(2, 1)

        def forward(self, x):
            raise RuntimeError("boom")

    for sample in (grid_patterns, evaluate_grid):
        with pytest.raises(ValueError, match=r"model Boom's forward raised RuntimeError on \d+ points of width 2 "
                                             r"\(boom\); .* samples 2-D points"):
            sample(Boom(), window=1.0, res=4)
    wide = _Forward(lambda m, x: m.o(torch.relu(F.linear(x, torch.ones(4, 3)))))
    with pytest.raises(ValueError, match=r"model _Forward's forward raised RuntimeError on 2 points of width 2 "
                                         r"\(.*\); the model must map .* \(infer_breakpoints took the width 2 of "
                                         r"its first nn.Linear, as no points= were given: pass points= "):
        infer_breakpoints(wide)
    with pytest.raises(ValueError, match="a linear layer that is not an nn.Linear module's own"):
        infer_breakpoints(wide, points=np.zeros((2, 3)))


def test_grid_patterns_packs_five_pieces_apart():
    """Four breakpoints give pieces 0..4, three bits: packed in two, (4, 0) and (0, 1) were one pattern."""
    net = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    with torch.no_grad():
        net[0].weight.copy_(torch.eye(2))
        net[0].bias.zero_()
    g = grid_patterns(net, window=5.0, res=10, breakpoints=[-4, -2, 0, 2])
    assert g.n_patterns == 25
    with pytest.raises(ValueError, match=r"breakpoints must be a non-empty sequence of finite numbers, got \[\]"):
        grid_patterns(net, window=5.0, res=10, breakpoints=[])

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
    (torch.nn.functional.hardsigmoid, (-3.0, 3.0)), (lambda z: z, (0.0,)),
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


def test_clamp_bounds_that_are_tensors_ask_for_breakpoints():
    net = _Calls(lambda z: z.clamp(min=torch.tensor([0.0, 1.0, 2.0])))
    with pytest.raises(ValueError, match=r"uses Tensor.clamp in _Calls.forward with bounds that are tensors.*"
                                         r"pass breakpoints="):
        grid_patterns(net, window=2.0, res=8)
    assert infer_breakpoints(_Calls(lambda z: z.clamp(min=torch.tensor(0.25)))) == (0.25,)

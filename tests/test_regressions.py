"""One named case per bug fixed so far, each with its exact expected value.

Every test names the bug and the commit that fixed it, uses the smallest input found that
showed it, and checks a value derived by hand or by an independent formula (never a number
copied from the engine's own output).  Each one fails on the code before its fix; that was
checked by running this file against ``git archive`` snapshots of the parent commits (or,
where no such snapshot can run, by undoing the fix in a scratch copy).

New bugs get a new case here, in the same form.
"""

import collections
import concurrent.futures
import json
import math
import os
import re
from fractions import Fraction

import numpy as np
import pytest
from engines import exact_engine_regions

import exact
import numeric
from exact._api import read_net
from exact.activations import piecewise_linear
from exact.crosscheck import exact_patterns_at
from exact.errors import InputError, InputTypeError

# --- exact geometry -------------------------------------------------------------------------


def test_float32_tie_point1_point2_point3_has_7_regions_not_6():
    """Float ties: x = 0.1f, y = 0.2f, x + y = 0.3f look concurrent in float32 arithmetic.

    In float32, ``0.1f + 0.2f == 0.3f``, so float predicates (and the naive float shapely
    splitting of ``benchmarks/run.py``) see one triple point and count 6 faces.  The exact
    binary values differ by 2^-27, so the lines form a tiny triangle: 7 faces.  Exact integer
    predicates since a7c57f1 (case added to the catalogue in ed6e81f).
    """
    f32 = np.float32
    w = [(f32(1), f32(0), -f32(0.1)), (f32(0), f32(1), -f32(0.2)), (f32(1), f32(1), -f32(0.3))]
    layers = [([[a, b] for a, b, _ in w], [c for _, _, c in w]), ([[1, 1, 1]], [0])]
    # the float32 view: one triple point
    assert f32(0.1) + f32(0.2) == f32(0.3)
    # the exact view, with Fractions: the crossing of the first two lines misses the third
    x, y = Fraction(float(f32(0.1))), Fraction(float(f32(0.2)))
    assert x + y - Fraction(float(f32(0.3))) == Fraction(-1, 2**27)
    # arrangement formula, 3 pairwise non-parallel lines and no triple point: 1 + 3 + 3
    expected = 1 + 3 + 3
    # every pattern has its own map (the only vanishing linear combination l1 + l2 - l3 of
    # the lines leaves the constant 2^-27), so linear regions = activation regions
    assert exact.count_regions(layers, window=None) == (expected, expected)
    assert exact.count_regions(layers, window=1) == (expected, expected)  # all crossings near (0.1, 0.2)
    assert exact.regions(layers, window=1).n_activation == expected
    # the input does tell the two readings apart: at the decimals 0.1, 0.2, 0.3 the lines are
    # concurrent, 1 + 3 + 2 = 6 sectors with six different maps
    tenths = [-Fraction("0.1"), -Fraction("0.2"), -Fraction("0.3")]
    decimal = [([[1, 0], [0, 1], [1, 1]], tenths), ([[1, 1, 1]], [0])]
    assert exact.count_regions(decimal, window=None) == (6, 6)


@pytest.mark.parametrize("const", [0, 1, -1])
def test_constant_neuron_in_a_whole_plane_deep_count(const):
    """Constant neuron, whole plane: the certificate got the line (0, 0, c) and divided by zero.

    A layer-2 neuron with zero weights is the constant relu(c).  When the float filter
    certified its side, the exact whole-plane search recorded ``(0, 0, c)`` as a constraint
    and ``far_vertices`` divided by ``a^2 + b^2 = 0`` (ZeroDivisionError, ``c != 0``).  The
    guard (a constant line is no constraint) came with 5900521, the change that records
    certified constraint lines; the regression case, with c = 0 only, is from cb76066.  No
    commit had the bug, so its failure was checked by removing the guard in a scratch copy.

    By hand: h1 = relu(x), h2 = relu(y); g1 = relu(h1) = h1 adds no line, g2 = relu(c) is
    constant; the output is relu(x) + relu(c).  Cells: the four quadrants (4 activation
    regions); only x = 0 changes the output: 2 linear regions.
    """
    layers = [([[1, 0], [0, 1]], [0, 0]), ([[1, 0], [0, 0]], [0, const]), ([[1, 1]], [0])]
    assert exact.count_regions(layers, window=None) == (4, 2)
    r = exact.regions(layers, window=None)
    assert (r.n_activation, r.n_linear) == (4, 2)


@pytest.mark.filterwarnings("error")
def test_weights_at_1e300_do_not_overflow_the_shared_edge_order():
    """OverflowError at 1e300-scale weights: the exact engine ordered shared edges by a float
    ``n / d`` of integers beyond the float range (and the float paths warned on overflow).
    Fixed in 8fd00c0 (positions beyond the range round to infinities; float paths give up
    quietly and hand over).

    Net (s = 1e300): h1 = relu(s x), h2 = relu(s y), g = relu(h1 - h2 + 0.3), output g.  The
    bias 0.3 (denominator 2^54) keeps the bent lines' integer coefficients near 2^1050.
    By hand, per quadrant: x>0, y>0 is cut by s(x - y) + 0.3 = 0 (2 cells); x<0, y>0 is cut
    by y = 0.3/s (2 cells); x<0, y<0 (g = 0.3) and x>0, y<0 (g = s x + 0.3) are not cut:
    6 activation regions, in [-1, 1]^2 as in the plane.  Maps: s x - s y + 0.3, 0 (twice:
    the two "g off" cells, adjacent along x = 0 for y > 0.3/s), -s y + 0.3, 0.3, s x + 0.3:
    5 linear regions.
    """
    s = 1e300
    layers = [([[s, 0], [0, s]], [0, 0]), ([[1, -1]], [0.3]), ([[1]], [0])]
    for window in (1.0, None):
        r = exact.regions(layers, window=window)
        assert (r.n_activation, r.n_linear) == (6, 5), window
        assert exact.count_regions(layers, window=window) == (6, 5), window


def test_weight_beyond_the_float_range_is_counted_exactly():
    """OverflowError for a Fraction weight of 10^400: ``count_regions``' certified float path
    converted it to float and crashed instead of handing over to the exact engine.  Fixed in
    8fd00c0 (such weights make the float path Undecided).

    By hand: layer 1 draws 10^400 x + y = 0 and x = y, two distinct lines through the origin
    (4 sectors); g = relu(h1 + h2) is zero exactly where both are off, so it cuts nothing.
    The four maps (10^400 + 1) x, 10^400 x + y, x - y and 0 all differ: (4, 4).
    """
    layers = [([[Fraction(10) ** 400, 1], [1, -1]], [0, 0]), ([[1, 1]], [0]), ([[1]], [0])]
    assert exact.count_regions(layers, window=1) == (4, 4)
    assert exact.count_regions(layers, window=None) == (4, 4)


# --- reading networks and the API -------------------------------------------------------------


def test_forward_hooks_are_refused_not_ignored():
    """Misread torch module: forward hooks were silently ignored by both readers, so a model
    whose hook changes what flows between layers was read as a different network.  Fixed in
    1f3f724 (hooks are an error).

    Here the hook adds 20 to the first layer's output: the real lines are x = -20 and
    y = -20, outside [-10, 10]^2 (1 region), where the hook-less reading has 4 quadrants.
    """
    import torch
    from torch import nn

    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    with torch.no_grad():
        model[0].weight.copy_(torch.eye(2))
        model[0].bias.zero_()
        model[2].weight.fill_(1.0)
        model[2].bias.zero_()
    assert exact.count_regions(model) == (4, 4)  # without the hook: the four quadrants
    model[0].register_forward_hook(lambda mod, inp, out: out + 20)
    assert model(torch.zeros(1, 2)).item() == 40.0  # the hook really changes the function
    with pytest.raises(InputError, match=r"module '0' has forward hooks"):
        exact.count_regions(model)

    class Custom(nn.Module):  # the torch.fx reader, hook on the top module
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(2, 2), nn.Linear(2, 1)

        def forward(self, x):
            return self.b(torch.relu(self.a(x)))

    custom = Custom()
    custom.register_forward_pre_hook(lambda mod, inp: (inp[0] * 2,))
    with pytest.raises(InputError, match=r"'Custom' has forward hooks"):
        exact.from_torch(custom)


def test_max_regions_is_checked_the_same_way_everywhere():
    """``max_regions`` of the wrong type: ``count_regions`` accepted 2.5, "5" and True, and
    ``regions(max_regions="5")`` crashed with a bare TypeError ('>' between int and str).
    Fixed in 80b2a3f (one validator for every entry point: InputTypeError)."""
    layers = [([[1, 0], [0, 1]], [0, 0]), ([[1, 1]], [0])]
    for bad in (2.5, "5", True):
        for f in (exact.count_regions, exact.regions):
            msg = "max_regions must be a positive integer or None, got " + re.escape(repr(bad))
            with pytest.raises(InputTypeError, match=msg):
                f(layers, window=1, max_regions=bad)
    with pytest.raises(InputError, match=r"max_regions must be a positive integer or None, got 0"):
        exact.count_regions(layers, window=1, max_regions=0)


def test_count_regions_and_regions_share_one_default_window():
    """Two defaults: ``count_regions()`` counted the whole plane while ``regions()`` used
    [-10, 10]^2, so the same call without ``window`` gave different answers.  Fixed in
    80b2a3f (DEFAULT_WINDOW = 10 for both and every CLI command; window=None is the plane).

    One neuron relu(x - 20): its line x = 20 misses [-10, 10]^2 (1 region) but splits the
    plane (2 regions).
    """
    layers = [([[1, 0]], [-20]), ([[1]], [0])]
    assert exact.count_regions(layers) == (1, 1)
    r = exact.regions(layers)
    assert (r.n_activation, r.n_linear) == (1, 1)
    assert exact.count_regions(layers, window=None) == (2, 2)


def test_quick_enumeration_prints_no_progress_bar(capsys):
    """Progress bars: ``reset()`` printed a bar at once, even for enumerations taking
    milliseconds (``progress=True`` is what the CLI passes).  Fixed in 5e67e56 (one bar per
    layer, shown only after a second; test of the CLI's output in 970b73c).

    The net is the hand-derived case of test_regions (relu(x), relu(y); relu(h1 + h2),
    relu(h1 - h2); their sum): 5 cells, 4 linear regions in [-1, 1]^2.
    """
    layers = [([[1, 0], [0, 1]], [0, 0]), ([[1, 1], [1, -1]], [0, 0]), ([[1, 1]], [0])]
    r = exact.regions(layers, window=1, progress=True)
    assert (r.n_activation, r.n_linear) == (5, 4)
    assert capsys.readouterr().err == ""


def test_evaluate_grid_refuses_several_outputs_without_an_index():
    """``numeric.evaluate_grid`` silently drew output 0 of a multi-output model.  Fixed in
    836aa3e (an error unless ``output=`` picks one)."""
    import torch

    model = torch.nn.Linear(2, 3)
    with pytest.raises(ValueError, match=r"the model has 3 outputs"):
        numeric.evaluate_grid(model, 1.0, 4)
    with torch.no_grad():
        model.weight.zero_()
        model.bias.copy_(torch.tensor([1.0, 2.0, 3.0]))
    assert np.array_equal(numeric.evaluate_grid(model, 1.0, 4, output=2), np.full((4, 4), 3.0))


def test_regions_iterate_over_their_cells():
    """``len(regions)`` worked but ``list(regions)`` and ``for cell in regions`` raised
    ``TypeError: 'Regions' object is not iterable`` (issue 16: ``__iter__`` and
    ``__getitem__`` added).

    By hand: the lines x = 0 and y = 0 cut [-1, 1]^2 into 4 quadrants of area 1 each.
    """
    r = exact.regions([([[1, 0], [0, 1]], [0, 0]), ([[1, 1]], [0])], window=1)
    cells = list(r)
    assert len(cells) == len(r) == 4 and cells == r.cells and r[3] is r.cells[3]
    assert sorted(c.pattern for c in r) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert [c.exact_area for c in r] == [1, 1, 1, 1]


# --- symbolic side -----------------------------------------------------------------------------


def test_sympy_wrong_limit_of_lse_over_lambda_is_caught(monkeypatch):
    """sympy 1.14 returns ``b`` for lim_{λ→∞} log(e^{aλ} + e^{bλ})/λ with positive a, b
    (the package cites sympy issue 22893); the limit is max(a, b), so ``b`` is wrong whenever
    a > b.  Caught
    since dc112c0: every limit is accepted only after an mpmath check at 60 digits.

    By hand: for a = 3, b = 1 the limit is 3 (log(e^{3λ}(1 + e^{-2λ}))/λ = 3 + o(1)).
    """
    import sympy as sp

    from exact.errors import VerificationError
    from exact.symbolic.expressions import checked_limit

    a, b, lam = sp.symbols("a b lambda", positive=True)
    expr = sp.log(sp.exp(a * lam) + sp.exp(b * lam)) / lam
    if sp.limit(expr, lam, sp.oo) != sp.Max(a, b):  # sympy still wrong: it must be caught
        with pytest.raises(VerificationError, match=r"sympy's limit .* disagrees with a high-precision"):
            checked_limit(expr, lam, sp.oo)
    assert checked_limit(expr.subs({a: 3, b: 1}), lam, sp.oo) == 3
    # whatever this sympy answers, the cross-check must reject its old wrong answer b
    monkeypatch.setattr(sp, "limit", lambda *args, **kwargs: b)
    with pytest.raises(VerificationError, match=r"sympy's limit b of .* disagrees"):
        checked_limit(expr, lam, sp.oo)


def test_exact_whole_plane_does_not_keep_every_cells_constraints():
    # issue 13: the exact whole-plane path kept, for every cell, every breakpoint line of
    # its pattern (O(cells x neurons): 5.7 kB per cell here, 1.33 GB for 2-300-2-1); the
    # certificate now rebuilds the constraints of the cells on the box from their patterns
    import tracemalloc

    from exact.layer_split import cell_bytes

    net = exact.as_exact_net(numeric.seeded_mlp([2, 60, 2, 1], seed=0))
    tracemalloc.start()
    try:
        r = exact.regions(net, window=None)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert r.n_activation == 1954
    assert peak / r.n_activation <= cell_bytes(62, 1)


def test_state_dict_in_memory_read_as_a_list_of_pairs():
    """``count_regions(model.state_dict())`` raised ``layers[0] must be a (W, b) pair, got str
    '0.weight'`` (issue 16: state_dicts in memory are read as Linear layers, in order).

    By hand: the layers x and y, summed after a ReLU: the lines x = 0 and y = 0 cut [-1, 1]^2
    into 4 quadrants, each with its own affine map.
    """
    import torch

    state = {"0.weight": torch.eye(2), "0.bias": torch.zeros(2), "2.weight": torch.ones(1, 2),
             "2.bias": torch.zeros(1)}
    assert exact.count_regions(state, window=1) == (4, 4)


def test_activation_argument_was_ignored_for_a_torch_module():
    """``count_regions(relu_module, activation="abs")`` counted the ReLU net and dropped the
    argument without a word (issue 16: an activation given alongside a network that names its
    own must agree with it).
    """
    import torch

    m = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU(), torch.nn.Linear(2, 1))
    with pytest.raises(InputError, match=r"activation='abs' was given, but the network has relu"):
        exact.count_regions(m, window=1, activation="abs")


def test_overflowed_box_value_does_not_decide_a_side():
    # review of the polygon windows: in the certified engine's box test an overflowed
    # product made the float value infinite while its a priori bound stayed finite, and
    # "inf > bound" decided that a line misses a cell it cuts: (1, 1) instead of (2, 2)
    net = exact.ExactNet.from_layers([([[4e307, 2e307], [1.0, 0.0]], [-1.5e308, 0.0]),
                                      ([[1e-300, 1.0]], [-5.0]), ([[1.0]], [0.0])])
    w = [(4.5, -8.0), (5.5, -8.0), (5.0, -7.0)]
    assert exact.count_regions(net, window=w) == (2, 2)
    assert exact.regions(net, window=w).n_activation == 2


def test_window_beyond_the_float_range_goes_exact_not_overflow():
    net = exact.ExactNet.from_layers([([[1, -1]], [0]), ([[1]], [0]), ([[1]], [0])])
    assert exact.count_regions(net, window=(0, 10**400, 0, 1)) == (2, 2)
    with pytest.raises(exact.errors.TooManyRegionsError):
        exact.regions(net, window=(0, 10**400, 0, 1), max_regions=1)


def test_polygon_going_round_twice_is_refused():
    with pytest.raises(InputError, match="vertices 0 and 3 are the same point"):
        exact.count_regions([([[1, 0]], [0]), ([[1]], [0])], window=[(0, 0), (1, 0), (1, 1)] * 2)


def test_numpy_and_torch_window_values():
    import torch

    from exact.validation import check_window

    assert check_window(np.array(10.0)) == 10  # a 0-d array was a TypeError
    assert check_window((np.int64(0), np.int64(1), 0, 1)).bounds == (0, 1, 0, 1)
    assert check_window([np.array([0, 0]), np.array([1, 0]), np.array([0, 1])]).area == Fraction(1, 2)
    assert check_window(torch.tensor([0.0, 1.0, 0.0, 2.0])).area == 2
    big = np.int64(2**62)
    assert exact.predicates.to_fraction(big) * 4 == 2**64  # no wrap-around in int64


def test_window_errors_show_the_numbers_as_given():
    # from a new user's trial: messages cut a repr in the middle ("Fraction(-1, ") and
    # showed Fraction(2, 1) for what was typed as 2
    from exact.validation import check_window

    with pytest.raises(InputError, match=r"got \(-1, 1, -1, 1, -1, 1\)$"):
        check_window((Fraction(-1), Fraction(1)) * 3)
    with pytest.raises(InputError, match=r"\[\(0, 0\), \(2, 2\), \(2, 0\), \(0, 2\)\] has zero area: its side from "):
        check_window([(0, 0), (2, 2), (2, 0), (0, 2)])


def test_locate_takes_many_points():
    # from a new user's trial: an (m, 2) array gave "point (array([0, 0]), ...): expected a
    # real number"; many points now give the list of their cells (exact, as for one point)
    r = exact.regions([([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0]), ([[1.0, 1.0]], [0.0])], window=1)
    pts = np.array([[0.5, 0.5], [-0.5, 0.5], [0.0, 0.25], [3.0, 0.0]])
    got = r.locate(pts)
    assert [c.pattern if c is not None else None for c in got] == [(1, 1), (0, 1), (0, 1), None]
    assert got[:3] == [r.locate(tuple(p)) for p in pts[:3].tolist()]  # (0, 1/4) is on x = 0: lowest index


def test_cli_output_cut_short_by_head_is_quiet(tmp_path):
    """`exactnet regions ... | head -2` printed 'error: Broken pipe (no file)' twice on stderr."""
    import json as _json
    import subprocess

    spec = tmp_path / "net.json"
    spec.write_text(_json.dumps({"layers": [{"weight": [[1.0, 0.0], [0.0, 1.0]], "bias": [0.0, 0.0]},
                                            {"weight": [[1.0, 1.0]], "bias": [0.0]}]}))
    proc = subprocess.Popen(["exactnet", "regions", str(spec), "--window", "2", "--stats", "-q"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.readline()
    proc.stdout.close()          # the reader goes away after one line
    err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert "Broken pipe" not in err and "Traceback" not in err and "Exception ignored" not in err


# --- found by the independent review of the residual reader and the analysis helpers ---------------

def _skip_nets():
    import torch
    from torch import nn

    class InplaceInput(nn.Module):  # really relu(x) + fc(relu(x)) = 0; fx sees x + fc(relu_(x))
        def __init__(self):
            super().__init__()
            self.fc, self.out = nn.Linear(2, 2), nn.Linear(2, 1)
            with torch.no_grad():
                self.fc.weight.copy_(-torch.eye(2))
                self.fc.bias.zero_()
                self.out.weight.fill_(1.0)
                self.out.bias.zero_()

        def forward(self, x):
            b = x.relu_()
            return self.out(x + self.fc(b))

    class Iadd(nn.Module):  # a legitimate x += g(x) on the input
        def __init__(self):
            super().__init__()
            self.fc1, self.fc2, self.out = nn.Linear(2, 3), nn.Linear(3, 2), nn.Linear(2, 1)

        def forward(self, x):
            x += self.fc2(torch.relu(self.fc1(x)))
            return self.out(x)

    class BlockOnly(nn.Module):  # the output is x + g(x): no Linear outside the block
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(2, 3), nn.Linear(3, 2)

        def forward(self, x):
            return x + self.b(torch.relu(self.a(x)))

    return InplaceInput, Iadd, BlockOnly


def test_in_place_write_on_a_skip_value_is_refused_not_misread():
    """x + fc(x.relu_()) was read as x + fc(relu(x)) (4 regions) while the module computes 0."""
    InplaceInput, _, _ = _skip_nets()
    with pytest.raises(InputError, match="writes in place"):
        exact.count_regions(InplaceInput(), window=2)


def test_iadd_on_the_input_is_read_and_counted():
    """x += g(x) on the input was refused: the forward check ran on the array the module had written into."""
    import torch

    _, Iadd, _ = _skip_nets()
    torch.manual_seed(0)
    m = Iadd()
    got = exact.count_regions(m, window=2)
    g = np.linspace(-2, 2, 401)
    X = torch.tensor(np.array(np.meshgrid(g, g)).reshape(2, -1).T, dtype=torch.float32)
    with torch.no_grad():
        seen = len({tuple(r) for r in (m.fc1(X) > 0).int().tolist()})
    assert 1 < seen <= got.activation     # sampling is a lower bound


def test_output_that_is_a_skip_block_is_not_called_affine_free():
    """A net ending in x + g(x), no Linear outside the block, was refused: 'has no affine layers'."""
    import torch

    _, _, BlockOnly = _skip_nets()
    torch.manual_seed(1)
    assert exact.count_regions(BlockOnly(), window=2).activation >= 2


def test_residual_module_holding_a_lock_gives_counts_not_a_traceback():
    """The residual forward check deep-copied the module: a threading.Lock made a raw TypeError."""
    import threading

    import torch
    from torch import nn

    class RB(nn.Module):
        def __init__(self):
            super().__init__()
            self.f = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 2))
            self.lock = threading.Lock()

        def forward(self, x):
            return x + self.f(x)

    torch.manual_seed(0)
    assert exact.count_regions(nn.Sequential(RB(), nn.Linear(2, 1)), window=2).activation >= 1


def test_neuron_activity_of_a_residual_net_counts_only_its_own_neurons():
    """Pass-through neurons were listed as the net's always-active neurons (5 neurons for 3 ReLUs)."""
    import torch
    from torch import nn

    class Res(nn.Module):
        def __init__(self):
            super().__init__()
            self.inp, self.a, self.b, self.out = nn.Linear(2, 2), nn.Linear(2, 3), nn.Linear(3, 2), nn.Linear(2, 1)

        def forward(self, x):
            x = self.inp(x)
            return self.out(x + self.b(torch.relu(self.a(x))))

    torch.manual_seed(7)
    r = exact.regions(Res(), 2)
    a = exact.neuron_activity(r)
    assert r.own == (True, True, True, False, False)
    assert sum(map(len, a.on)) == 3 and a.always_active == ()


def test_inscribed_radius_of_huge_and_thin_cells():
    """A 1e300 window gave radius inf (the true 5e299 is a float); a cell 1e-30 wide gave -0.0."""
    from fractions import Fraction

    big = exact.region_sizes(exact.regions([([[1, 0]], [0]), ([[1]], [0])], 1e300), "radius").sizes
    assert big == (5e299, 5e299)
    r = exact.regions([([[1, 0], [1, 0]], [0, Fraction(-1, 10**30)]), ([[1, 1]], [0])], 1)
    thin = [rad for c, rad in zip(r.cells, exact.region_sizes(r, "radius").sizes) if c.exact_area < 1]
    assert thin and all(4e-31 < rad <= 5e-31 * (1 + 1e-9) for rad in thin)


def _skip_module(d: int, hidden: int):
    """A residual module o(x + b(relu(a(x)))) on inputs of width ``d``."""
    import torch
    from torch import nn

    class Skip(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b, self.o = nn.Linear(d, hidden), nn.Linear(hidden, d), nn.Linear(d, 1)

        def forward(self, x):
            return self.o(x + self.b(torch.relu(self.a(x))))

    return Skip()


def test_count_many_takes_residual_modules_like_count_regions():
    """count_many refused residual modules, asking for a window it had been given."""
    import torch

    torch.manual_seed(0)
    nets = [_skip_module(2, 3), _skip_module(2, 3)]
    assert exact.count_many(nets, window=2) == [exact.count_regions(m, window=2) for m in nets]


def test_an_exported_residual_net_is_taken_by_regions():
    """regions(ResidualNet) said 'layers must be a list of (W, b)' while lower_on_window took it."""
    import torch

    torch.manual_seed(0)
    m = _skip_module(3, 3)
    assert exact.count_regions(exact.read_residual(m), 2) == exact.count_regions(m, 2)
    with pytest.raises(InputError, match=r"one \(lo, hi\) per axis") as err:
        exact.count_regions(m, None)
    assert "rectangle" not in str(err.value)          # a 3-D input has no rectangle windows


def test_nd_guards_stop_a_big_first_layer_cut_while_it_is_made():
    """3-150-1 with max_regions=1000 built its whole first layer (97 s, 3.9 GB) before refusing; 3-60-1: 380 MB."""
    import tracemalloc

    from exact.errors import ResourceLimitError, TooManyRegionsError

    net = exact.as_exact_net(numeric.seeded_mlp([3, 60, 1], seed=0))
    tracemalloc.start()
    try:
        with pytest.raises(TooManyRegionsError, match="max_regions=100"):
            exact.count_regions(net, window=10, max_regions=100)
        peak_regions = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        with pytest.raises(ResourceLimitError, match="max_memory=5 MB"):
            exact.count_regions(net, window=10, max_memory="5MB")
        peak_memory = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak_regions < 5e6 and peak_memory < 12e6    # stopped near the limits, not after the layer


def test_four_d_summary_and_stats_without_scipy(monkeypatch, capsys, tmp_path):
    """RegionsND.summary() and --stats of a 4-D net failed without scipy (exit 2): counts come first."""
    import sys

    from exact.cli import main

    net = exact.as_exact_net([([[1, 0, 0, 0], [0, 1, 0, 0]], [0, 0]), ([[1, 1]], [0])])
    monkeypatch.setitem(sys.modules, "scipy.optimize", None)
    s = exact.regions(net, window=1).summary()
    assert (s["activation_regions"], s["bounded_regions"], s["smallest"]) == (4, 4, None)
    assert "scipy" in s["measure"]
    with pytest.raises(exact.ExactnetError, match="scipy"):
        exact.region_sizes(exact.regions(net, window=1), "radius")   # asked for by name: still an error
    exact.save_json(net, tmp_path / "four_d.json")
    assert main(["regions", str(tmp_path / "four_d.json"), "--window", "1", "--stats", "-q"]) == 0
    assert "radii need scipy" in capsys.readouterr().out


def test_check_of_a_three_d_net_points_to_what_exists(tmp_path, capsys):
    """`exactnet check net3d.json` advised --plane, which check does not take."""
    from exact.cli import main

    exact.save_json([([[1, 0, 0], [0, 1, 1]], [0, 0]), ([[1, 1]], [0])], tmp_path / "n3.json")
    assert main(["check", str(tmp_path / "n3.json")]) == 2
    err = capsys.readouterr().err
    assert "3-D" in err and "exactnet regions" in err and "--plane" not in err


def test_slice_plots_label_plane_coordinates_not_input_axes():
    """A plane slice was drawn with axes x1, x2 and points x0, x1, x2: "x1" meant two things."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    net = [([[1.0, 0.0, 1.0], [0.0, 1.0, -1.0]], [0.0, 0.5]), ([[1.0, 1.0]], [0.0])]
    r = exact.regions(net, window=2, plane=([0, 0, 0], [1, 0, 0], [0, 1, 0]))
    fig, ax = plt.subplots()
    artists = r.plot(ax=ax, mark_points=True)
    labels = [a.get_text() for a in artists if hasattr(a, "get_text")]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("$u$", "$v$") and labels == ["$p_0$", "$p_1$", "$p_2$"]
    plt.close(fig)
    fig, ax = plt.subplots()
    exact.regions([([[1.0, 0.0]], [0.0]), ([[1.0]], [0.0])], window=1).plot(ax=ax)
    assert ax.get_xlabel() == "$x_1$"                 # a 2-D input keeps its own axes
    plt.close(fig)


def test_sequential_that_reuses_one_activation_module_is_read():
    """nn.Sequential(lin, act, lin, act, lin) with one ReLU object was refused: named_children lists it once."""
    import torch
    from torch import nn

    torch.manual_seed(0)
    act = nn.ReLU()
    m = nn.Sequential(nn.Linear(2, 8), act, nn.Linear(8, 8), act, nn.Linear(8, 1))
    ref = nn.Sequential(m[0], nn.ReLU(), m[2], nn.ReLU(), m[4])   # the same layers, two ReLU objects
    assert exact.as_exact_net(m) == exact.as_exact_net(ref) and exact.as_exact_net(m).widths == (2, 8, 8, 1)


def test_rectangle_window_for_a_three_d_net_says_what_to_give():
    """count_many of a 3-D net with a rectangle said 'expected a real number, got ConvexWindow(...)'."""
    net = [([[1.0, 0.0, 1.0], [0.0, 1.0, -1.0]], [0.0, 0.5]), ([[1.0, 1.0]], [0.0])]
    with pytest.raises(InputError, match=r"2-D window, and this network's input is 3-D.*\(lo, hi\) pair"):
        exact.count_many([net], window=(0, 1, 0, 1))


def test_infinite_window_says_how_to_ask_for_the_whole_plane():
    """window=float('inf') was refused without saying that the whole plane is None (the CLI reads 'inf' so)."""
    net = [([[1.0, 0.0]], [0.0]), ([[1.0]], [0.0])]
    with pytest.raises(InputError, match=r"got inf \(for the whole plane give None or 'plane'\)"):
        exact.count_regions(net, window=float("inf"))
    with pytest.raises(InputError, match=r"got 'inf' \(for the whole plane give None or 'plane'\)"):  # as the README
        exact.count_regions(net, window="inf")  # says: 'inf' is the whole plane on the command line only


def test_cli_help_names_safetensors(capsys):
    """`exactnet regions --help` listed .json, .npz and .pt, not the .safetensors files it reads."""
    from exact.cli import main

    for command in ("regions", "check", "count-many", "segment"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        assert ".safetensors" in capsys.readouterr().out


def test_refused_joins_are_network_errors_not_activation_errors():
    """x - g(x) and x + 0.5 g(x) raised UnsupportedActivationError, though no activation is at fault."""
    import torch

    from exact.errors import UnsupportedActivationError, UnsupportedNetworkError

    class Join(torch.nn.Module):
        def __init__(self, how):
            super().__init__()
            self.f, self.how = torch.nn.Linear(2, 2), how

        def forward(self, x):
            return self.how(x, self.f(x))

    # (x + 0.5 relu(g) was refused here too; since session 14 it is read: a skip whose branch is scaled)
    for how, node in ((lambda x, g: x - torch.relu(g), "sub"), (lambda x, g: x + torch.relu(g) * g, "mul"),
                      (lambda x, g: torch.sigmoid(g), "sigmoid")):
        net = torch.nn.Sequential(Join(how), torch.nn.Linear(2, 1))
        with pytest.raises(UnsupportedNetworkError, match=f"node '{node}'") as info:
            exact.count_regions(net, window=1)
        assert (info.type is UnsupportedActivationError) == (node == "sigmoid")


_COORDINATE_PLANES = [([[1, 0, 0], [0, 1, 0], [0, 0, 1]], [0, 0, 0]), ([[1, 1, 1]], [0])]  # x = 0, y = 0, z = 0


def test_a_rectangle_window_is_not_read_as_the_cube_of_a_3d_net(tmp_path, capsys):
    """`--window=-1,1,-1,1` (and count_many(window=(-1, 1, -1, 1))) silently counted a 3-D net in [-1, 1]^3."""
    from exact.cli import main

    p = tmp_path / "n3.json"
    exact.save_json(_COORDINATE_PLANES, p)
    assert main(["regions", str(p), "--window=-1,1,-1,1", "-q"]) == 2
    assert "a rectangle or polygon is for 2-D inputs; this network's input is 3-D" in capsys.readouterr().err
    out = exact.count_many([_COORDINATE_PLANES], window=(-1, 1, -1, 1), on_error="return")[0]
    assert isinstance(out, exact.NetFailure) and "a 2-D window, and this network's input is 3-D" in out.message
    assert main(["count", "2-5-1", "--window=-2,2,-2,2", "--json", "-q"]) == 0   # a 2-D net: still the square
    assert json.loads(capsys.readouterr().out)["window"] == 2


def test_per_axis_boxes_on_the_command_line_and_in_count_many(tmp_path, capsys):
    """Issue 18's trial: a d-D net could not be given a box per axis on the command line (nor to count_many)."""
    from exact.cli import main

    p = tmp_path / "n3.json"
    exact.save_json(_COORDINATE_PLANES, p)
    # by hand: z = 0 is the box's face when z runs over [0, 1] (4 cells); it cuts [-1/3, 1] (8 cells)
    for box, cells in (("-1,1,-1,1,0,1", 4), ("-1,1,-1,1,-1/3,1", 8)):
        assert main(["regions", str(p), f"--window={box}", "--json", "-q"]) == 0
        assert json.loads(capsys.readouterr().out)["activation_regions"] == cells
        assert main(["count-many", str(p), f"--window={box}", "-q"]) == 0
        assert json.loads(capsys.readouterr().out)["activation_regions"] == cells
    assert exact.count_many([_COORDINATE_PLANES], window=[(-1, 1), (-1, 1), (0, 1)]) == [exact.RegionCounts(4, 4)]
    assert main(["regions", str(p), "--window=0,1,0,1,0,1,0,1", "-q"]) == 2
    assert "a box of 4 axes, and this network's input is 3-D: give 6 numbers" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="2"):   # argparse's own usage error
        main(["regions", str(p), "--window=0,1,1,0,0,1", "-q"])
    assert "axis 2 of the box: lo = 1 is not below hi = 0" in capsys.readouterr().err
    out = exact.count_many([[([[1, 0]], [0]), ([[1]], [0])]], window=(0, 1, 0, 1, 0, 1), on_error="return")[0]
    assert out.message.startswith("window is a box of 3 axes, and this network's input is 2-D: count nets")


def test_tiled_progress_bar_has_a_total_that_grows_when_a_tile_is_cut(monkeypatch):
    """`exactnet count ... --tiles` showed a bar of finished tiles with no total (fresh-clone trial)."""
    from exact import tiled_counts

    made = []

    class Bar:
        def __init__(self, enabled, total, desc, unit="it"):
            self.total, self.n, self.shown = total, 0, []
            made.append(self)

        def update(self, n=1):
            self.n += n
            self.shown.append((self.n, self.total))

        def refresh(self):
            self.shown.append((self.n, self.total))

        def close(self):
            pass

    monkeypatch.setattr(tiled_counts, "progress_bar", Bar)
    net = exact.as_exact_net(numeric.seeded_mlp([2, 32, 32, 1], seed=0))
    assert exact.count_regions(net, tiles=2, progress=True) == exact.count_regions(net)
    assert made[-1].shown == [(1, 4), (2, 4), (3, 4), (4, 4)]        # 2 x 2 tiles: done of 4
    tiled_counts.count_in_tiles(net, Fraction(10), 1, tile_cells=1000, progress=True)
    bar = made[-1]
    assert bar.shown[0] == (1, 4) and bar.n == bar.total == 4        # one tile, cut in four (shown at the
    # first update after the cut: a refresh at the cut drew too early and too often, see below)


def test_locate_in_the_whole_space_of_a_net_without_hyperplanes():
    """RegionsND.locate raised ValueError (row_floats of no rows) for a d-D net with one cell, window=None."""
    for layers in ([([[1, 2, 3]], [0])], [([[0, 0, 0]], [1]), ([[1]], [0])]):
        r = exact.regions(layers, window=None)
        assert r.n_activation == 1 and r.locate([[1, 2, 3], [-4e300, 5, 6]]).tolist() == [0, 0]
        assert r.locate([0, 0, 0]) is r.cells[0]


def test_huge_exact_values_are_written_out_past_pythons_digit_limit():
    """summary() and to_geojson() raised ValueError ("Exceeds the limit (4300 digits) for integer string
    conversion") on exact values of more than 4300 digits, and so did check_window on a valid window
    (its error message was built, with repr, before the check) (independent review)."""
    import sys

    tiny = Fraction(1, 3**10000)   # 4772 digits
    net = exact.ExactNet.from_layers([([[1, 0], [0, 1]], [0, 0]), ([[tiny, 1]], [0])])
    features = exact.regions(net, window=1).to_geojson()["features"]
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)   # only to write the expected text here
    try:
        want = f"1/{3**10000}"
    finally:
        sys.set_int_max_str_digits(limit)
    assert sorted(f["properties"]["gradient"][0][0] for f in features) == ["0", "0", want, want]
    # the quadrants of [-t, t]^2, t = 3^-10000: area t^2 = 3^-20000 = 3.75756e-9543
    assert exact.regions(net, window=tiny).summary()["largest_area"] == "3.75756e-9543"
    with pytest.raises(InputError, match="got <a Fraction of more than 4300 digits>"):
        exact.count_regions(net, window=-tiny)
    # f = tiny relu(x) + relu(y) = tiny^2 runs along x = tiny where y < 0: its text past the limit too
    segments = exact.regions(net, window=1).level_set(tiny**2).as_dict()["segments"]
    assert [want, "-1"] in [p for seg in segments for p in seg]


def test_whole_plane_max_regions_is_not_refused_on_a_count_that_overcounts_a_triple_point():
    """count_regions/regions(window=None, max_regions=28) refused a net of 28 cells ("it would have 29"):
    the certified 1 + L + I count, an upper bound when three lines meet in a point, was checked before
    the tie was found (independent review); now the tie hands the job to the exact engine first."""
    layers = [([[0, -1], [3, 3], [-2, 3]], [2, -2, -1]),
              ([[-1, 0, -3], [-1, 2, 2], [0, -2, -3], [-1, 2, 3]], [3, 0, 1, 2]),
              ([[-3, 2, 0, -2]], [1])]
    assert exact.count_regions(layers, window=None, max_regions=28) == (28, 16)
    assert exact.regions(layers, window=None, max_regions=28).n_activation == 28
    with pytest.raises(exact.TooManyRegionsError, match="max_regions=27"):
        exact.count_regions(layers, window=None, max_regions=27)


def test_output_colours_beyond_floats_are_refused_on_both_engines():
    """plot(color='output') of a deep net whose outputs overflow floats drew inf colours with numpy
    warnings on the certified path, where the exact path refuses (independent review)."""
    import warnings

    import matplotlib.pyplot as plt

    layers = [([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0]), ([[1.0, 1.0]], [0.5]), ([[1e308]], [1e308])]
    r = exact.regions(layers, window=2)
    assert r.certified is not None
    fig, ax = plt.subplots()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(InputError, match=r"beyond the float range \(about 1.8e308\)"):
            r.plot(ax=ax, color="output")
    plt.close(fig)


def test_locate_of_no_points_is_an_empty_list():
    """Regions.locate(np.zeros((0, 2))) raised "point must have 2 coordinates, got 0" (independent review)."""
    r = exact.regions([([[1.0, 0.0]], [0.0]), ([[1.0]], [0.0])], window=1)
    assert r.locate(np.zeros((0, 2))) == []
    with pytest.raises(InputError, match="point must have 2 coordinates, got 0"):
        r.locate(np.zeros(0))


def test_whole_plane_locate_beyond_the_box_and_areas_of_bounded_cells_only(tmp_path, capsys):
    """Fresh-clone trial: in the whole plane, locate() gave None for points past the certified box, and
    summary() (the CLI's smallest/largest area) measured unbounded cells by their part of the box."""
    from exact.cli import main

    net = numeric.seeded_mlp([2, 8, 8, 1], seed=0)
    r = exact.regions(net, window=None)
    for x, y in ((2 * r.box, 0), (-10**9, 3), (1e300, -1e300)):
        c = r.locate((x, y))
        assert c is not None and not c.bounded and c.pattern == r.net.pattern_at((x, y))
    bounded = [c for c in r.cells if c.bounded]
    assert r.summary()["largest_area"] == float(max(c.exact_area for c in bounded))
    assert r.summary()["smallest_area"] == float(min(c.exact_area for c in bounded))
    one = [([[0, 0]], [1]), ([[1]], [0])]      # one cell: the whole plane
    whole = exact.regions(one, window=None)
    assert whole.locate((1e9, 0)) is whole.cells[0]
    assert whole.summary()["largest_area"] is None
    p = tmp_path / "one.json"
    exact.save_json(one, p)
    assert main(["regions", str(p), "--window", "plane", "-q"]) == 0
    assert "largest bounded area: none (no bounded cell)" in capsys.readouterr().out
    # on a boundary past the box (x = 0 of |x|): the cell of smallest index, as inside the box
    v = exact.regions([([[1, 0], [-1, 0]], [0, 0]), ([[1, 1]], [0])], window=None)
    assert v.locate((0, 10**9)).index == 0 and v.locate((0, -2.0**70)).index == 0


def test_untraceable_and_tuple_returning_modules_are_network_errors():
    """Fresh-clone trial: data-dependent control flow, a tuple output or a second input raised a plain
    InputError, not UnsupportedNetworkError (which the CHANGELOG tells users to catch)."""
    import torch

    from exact.errors import UnsupportedNetworkError

    class Branchy(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.f = torch.nn.Linear(2, 1)

        def forward(self, x):
            return self.f(x) if x.sum() > 0 else self.f(-x)

    class Pair(Branchy):
        def forward(self, x):
            return self.f(x), x

    for module, message in ((Branchy(), "could not trace Branchy"), (Pair(), "returns tuple, not one tensor"),
                            (torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU()),
                             "end it with a Linear layer")):
        with pytest.raises(UnsupportedNetworkError, match=message):
            exact.count_regions(module, window=1)


def test_window_messages_for_a_box_of_the_wrong_width(tmp_path, capsys):
    """Fresh-clone trial: four numbers for a 3-D net were read as 'got 4' pairs, five numbers on the CLI got
    the 2-D forms only, a d-D box in JSON lost its exact values, and a one-cell refusal said '1 cells'."""
    from exact.cli import main

    net3 = [([[1, 0, 0], [0, 1, 0], [0, 0, 1]], [0, 0, 0]), ([[1, 1, 1]], [0])]
    with pytest.raises(InputError, match=r"6 numbers .* got 4 numbers \(four numbers are a 2-D rectangle\)"):
        exact.count_regions(net3, window=(0, 1, 0, 1))
    p = tmp_path / "n3.json"
    exact.save_json(net3, p)
    with pytest.raises(SystemExit, match="2"):
        main(["regions", str(p), "--window=0,1,0,1,0", "-q"])
    assert "a box takes two numbers per axis (lo1,hi1,...,lo_d,hi_d), got 5" in capsys.readouterr().err
    assert main(["regions", str(p), "--window=1/3,1/2,-1,1,0,2", "--json", "-q"]) == 0
    assert json.loads(capsys.readouterr().out)["window"] == {"box": ["1/3", 0.5, -1.0, 1.0, 0.0, 2.0]}
    with pytest.raises(exact.ResourceLimitError, match=r"for its 1 cell, more than"):
        exact.count_regions([([[1.0, 0.0]], [5.0]), ([[1.0]], [0.0]), ([[1.0]], [0.0])], window=1, max_memory=10)


def test_segment_refusal_and_numeric_type_errors_speak_to_their_caller(tmp_path, capsys):
    """Fresh-clone trial: `exactnet segment --from P --to P` said 'a and b are the same point' (Python
    names), and numeric.evaluate_grid(ExactNet) raised an AttributeError traceback."""
    from exact.cli import main

    p = tmp_path / "n.json"
    exact.save_json([([[1.0, 0.0, 1.0]], [0.0]), ([[1.0]], [0.0])], p)
    assert main(["segment", str(p), "--from", "1,1,1", "--to", "1,1,1"]) == 2
    assert "--from and --to are the same point" in capsys.readouterr().err
    with pytest.raises(TypeError, match="model must be a torch nn.Module, got ExactNet"):
        numeric.evaluate_grid(exact.ExactNet.from_layers([([[1, 0]], [0]), ([[1]], [0])]))


def test_making_every_exact_polygon_shows_progress_in_chunks(monkeypatch):
    """Fresh-clone trial: to_geojson/level_set/region_sizes of a big deep net's lazy regions made every
    exact polygon in one go, with no progress shown (20 s on 2-128^3-1); now in chunks, under a bar."""
    import exact.certified_regions as cr

    bars = []

    class Bar:
        def __init__(self, enabled, total, desc, unit="it"):
            self.enabled, self.total, self.desc, self.n = enabled, total, desc, 0
            bars.append(self)

        def update(self, n=1):
            self.n += n

        def close(self):
            pass

    monkeypatch.setattr(cr, "progress_bar", Bar)
    r = exact.regions(numeric.seeded_mlp([2, 32, 32, 32, 1], seed=0), window=10, progress=True)
    assert r.certified is not None and r.certified.n_exact == 0 and not bars
    sizes = exact.region_sizes(r)
    assert len(bars) == 1 and bars[0].enabled and bars[0].desc == "exact polygons"
    assert bars[0].n == bars[0].total == r.n_activation == r.certified.n_exact == 4705
    assert sum(sizes.sizes) == 400
    r.to_geojson()
    assert len(bars) == 1   # nothing left to make


def test_level_sets_of_lazy_regions_make_only_the_cells_near_the_level():
    """Fresh-clone trial: r.level_set(0) of 2-128^3-1 made all 65 799 exact polygons (15 s) for 20
    segments; certified floats now rule out the cells wholly above or below the level, and the level
    set still equals the exact engine's (segments, points, flat pieces)."""
    from engines import exact_engine_regions

    flat = [([[1.0, 0.0], [0.0, 1.0]], [-0.3, -0.7]), ([[1.0, 1.0]], [-0.1]), ([[1.0]], [0.5])]  # f = 1/2 on a cell
    # f = |49 x - 1| + |49 y - 2|: its level 0 is one vertex, (1/49, 2/49), not a float, which every cell
    # touches (a filter deciding on floats alone drops every cell, the point with them)
    vee = exact.ExactNet.from_layers([([[49.0, 0.0], [0.0, 49.0]], [-1.0, -2.0]), ([[1.0, 1.0]], [1.0]),
                                      ([[1.0]], [-1.0])], activation=["abs", "relu"])
    nets = [numeric.seeded_mlp([2, 8, 8, 1], seed=s) for s in range(3)] + [flat, vee]
    for net in nets:
        r, ref = exact.regions(net, window=3), exact_engine_regions(net, 3)
        assert r.certified is not None
        cell = ref.cells[0]
        vertex_value = cell.affine(cell.vertices[0])[0]
        for level in (0, Fraction(1, 2), vertex_value, cell.affine.offset[0]):
            got, want = r.level_set(level), ref.level_set(level)
            assert sorted(got.segments) == sorted(want.segments) and sorted(got.points) == sorted(want.points)
            # flat pieces by their vertices (cell indices differ between the engines)
            assert sorted(sorted(vs) for _, vs in got.flat_pieces) == sorted(
                sorted(vs) for _, vs in want.flat_pieces)
    big = exact.regions(numeric.seeded_mlp([2, 32, 32, 32, 1], seed=0), window=10)
    big.level_set(0)
    assert 0 < big.certified.n_exact < big.n_activation / 4
    # the filter keeps every cell the level touches: at levels equal to exact vertex values (which
    # floats round off the level), each cell with min <= level <= max over its exact vertices
    r = exact.regions(numeric.seeded_mlp([2, 8, 8, 1], seed=4), window=3)
    ranges = [(min(vals), max(vals)) for vals in ([c.affine(v)[0] for v in c.vertices] for c in r.cells)]
    for level in sorted({lo for lo, _ in ranges} | {hi for _, hi in ranges})[::7]:
        near = set(r.certified.level_candidates(0, level).tolist())
        assert {k for k, (lo, hi) in enumerate(ranges) if lo <= level <= hi} <= near


def test_tiles_of_a_wide_one_hidden_layer_net_stay_small_in_memory():
    """The quiet benchmark run was killed for memory: a tile of 2-3000-1 sent its one cell's 3000 chords
    through the last-layer count, whose triple-point test held every (crossing, chord) pair at once
    (24 GB). One-hidden-layer tiles are now built, and count_regions(tiles=) counts such a net untiled."""
    import tracemalloc

    from exact.tiled_counts import count_in_tiles

    net = exact.as_exact_net(numeric.seeded_mlp([2, 300, 1], seed=0))
    want = exact.count_regions(net, window=10)
    tracemalloc.start()
    try:
        assert count_in_tiles(net, Fraction(10), 2) == want
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 150 * 2**20, peak      # the counted path took about 0.4 GB here
    assert exact.count_regions(net, window=10, tiles=2) == want


def test_region_sizes_repr_is_one_readable_line():
    """Fresh-clone trial: the repr of a 3-D RegionSizes printed every exact Fraction (14 825 characters
    for 44 cells); it now sums up counts and extremes, the exact values staying in .sizes."""
    r = exact.regions([([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]], [0, 0, 0, -0.3]), ([[1, 1, 1, 1]], [0])],
                      window=1)
    s = exact.region_sizes(r)
    assert repr(s).startswith("RegionSizes(measure='volume', exact=True, cells=15, bounded=15, smallest=")
    assert len(repr(s)) < 150 and sum(s.sizes) == 8 and "largest=1)" in repr(s)
    whole = exact.region_sizes(exact.regions([([[1.0, 0.0]], [0.0]), ([[1.0]], [0.0])], window=None))
    assert repr(whole).endswith("bounded=0, smallest=None, median=None, largest=None)")


def test_cli_output_without_a_use_is_a_usage_error(tmp_path, capsys):
    """Fresh-clone trial: `exactnet regions net --output 1 --plot p.png` silently drew by index, ignoring
    --output (it only picks the output of --level-set and --color output)."""
    from exact.cli import main

    p = tmp_path / "two.json"
    exact.save_json([([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0]), ([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0])], p)
    assert main(["regions", str(p), "--output", "1", "--plot", str(tmp_path / "p.png"), "-q"]) == 2
    assert "--output 1 picks the output for --level-set and --color output" in capsys.readouterr().err
    assert main(["regions", str(p), "--output", "1", "--level-set", "0", "-q"]) == 0


def test_regions_nd_repr_shows_its_box():
    """Fresh-clone trial: a d-D result's repr said "a 3-D box" without saying which."""
    layers = [([[1, 0, 0], [0, 1, 0]], [0, 0]), ([[1, 1]], [0])]
    r = exact.regions(layers, window=[(0, 1), (-1, 1), (0, Fraction(1, 3))])
    assert "[0, 1] x [-1, 1] x [0, 1/3], n_activation=2" in repr(r)
    assert ", R^3, " in repr(exact.regions(layers, window=None))


def test_three_d_regions_render_in_notebooks():
    """Fresh-clone trial: 3-D RegionsND had no _repr_png_, where 2-D Regions draw themselves in a notebook."""
    octants = [([[1, 0, 0], [0, 1, 0], [0, 0, 1]], [0, 0, 0]), ([[1, 1, 1]], [0])]
    png = exact.regions(octants, window=1)._repr_png_()
    assert png is not None and png.startswith(b"\x89PNG")
    assert exact.regions([([[1, 0, 0, 0]], [0]), ([[1]], [0])], window=1)._repr_png_() is None   # 4-D: no picture


def test_count_survives_a_last_layer_handed_from_count_to_rounds():
    """Soundness review: after the count handed the last layer back (a zero output weight) and its
    arrangement was too close to call (three lines 2^-44 from meeting), the rounds started from pieces the
    chord search had already raised, and count_regions crashed (IndexError; a wrong pattern was possible):
    begin_layer gave its stored pieces, not a copy, when asked twice for a layer."""
    from engines import exact_engine_regions

    eps = Fraction(1, 2**44)
    net = [([[1, 0], [0, 1], [1, -1]], [10, 10, Fraction(-1, 2)]),
           ([[1, 0, 0], [0, 1, 0], [1, 1, 0], [1, -1, 0]],
            [Fraction(-101, 10), Fraction(-102, 10), Fraction(-203, 10) + eps, Fraction(-1, 4)]),
           ([[1, 1, 0, 1]], [0])]
    r = exact_engine_regions(net, window=1)
    assert (r.n_activation, r.n_linear) == (15, 7)
    assert tuple(exact.count_regions(net, window=1)) == (15, 7)


def test_whole_plane_level_set_says_it_is_cut_at_the_box():
    """Fresh-clone trial: in the whole plane a level set was cut at the certified box and given a finite
    length with nothing saying the set goes on; it now carries the box and counts the ends on its sides."""
    net = [([[1, 0], [0, 1]], [0, 0]), ([[1, 1]], [-1])]     # relu(x) + relu(y) = 1: two rays and a segment
    r = exact.regions(net, window=None)
    ls = r.level_set(0)
    assert ls.box == r.box and ls.ends_beyond_box == 2
    assert ls.as_dict()["ends_beyond_box"] == 2
    inside = exact.regions(net, window=2).level_set(0)
    assert inside.box is None and inside.ends_beyond_box == 0


def test_cell_repr_of_a_wide_net_is_short():
    """Fresh-clone trial: the repr of a cell of 2-1000-1 was 3054 characters (its whole pattern)."""
    net = [([[1.0, float(k)] for k in range(100)], [0.0] * 100), ([[1.0] * 100], [0.0])]
    text = repr(exact.regions(net, window=1)[0])
    assert len(text) < 200 and "... 100 neurons)" in text
    assert "pattern=(1, 0)" in repr(exact.regions([([[1, 0], [-1, 0]], [0, 0]), ([[1, 1]], [0])], window=1)[1]) \
        or "pattern=(0, 1)" in repr(exact.regions([([[1, 0], [-1, 0]], [0, 0]), ([[1, 1]], [0])], window=1)[1])


def test_tiles_are_capped_at_a_sane_number():
    """Fresh-clone trial: tiles=200 cut an 81-cell net into 40 000 tiles and ran for minutes; more than
    MAX_TILES (64 x 64) tiles are refused up front, naming the count."""
    net = [([[1, 0], [0, 1]], [0, 0]), ([[1, 1]], [0])]
    with pytest.raises(InputError, match="tiles=200 asks for 40,000 tiles, more than 4,096"):
        exact.count_regions(net, window=1, tiles=200)
    assert tuple(exact.count_regions(net, window=1, tiles=64)) == (4, 4)


def test_regions_of_one_hidden_layer_ignore_tiles(monkeypatch):
    """Fresh-clone trial: regions(2-300-1, tiles=2) ran the exact engine in every tile (56 s against 0.7 s
    whole); one hidden layer is traced whole, as count_regions counts it whole."""
    import exact._api as api

    net = [([[1.0, 0.5], [0.25, -1.0], [1.0, 1.0]], [0.0, 0.5, -0.25]), ([[1.0, -2.0, 1.0]], [0.0])]
    called = []
    original = api.regions_in_tiles
    monkeypatch.setattr(api, "regions_in_tiles", lambda *a, **k: called.append(1) or original(*a, **k))
    tiled, whole = exact.regions(net, window=2, tiles=2), exact.regions(net, window=2)
    assert not called
    assert sorted(c.pattern for c in tiled) == sorted(c.pattern for c in whole)
    assert sum(c.exact_area for c in tiled) == 16
    deep = [([[1.0, 0.5], [0.25, -1.0]], [0.0, 0.5]), ([[1.0, -2.0], [0.5, 1.0]], [0.1, 0.0]), ([[1.0, 1.0]], [0.0])]
    exact.regions(deep, window=2, tiles=2)
    assert called                                   # deeper nets still go through the tiles


def test_broken_pool_names_the_main_guard():
    """Fresh-clone trial: count_many(jobs=2) from a script without `if __name__ == "__main__":` ended in a
    bare BrokenProcessPool traceback; the error now says what usually causes it."""
    import concurrent.futures as cf
    from concurrent.futures.process import BrokenProcessPool

    class Broken(cf.Executor):
        def submit(self, fn, /, *args, **kwargs):
            f = cf.Future()
            f.set_exception(BrokenProcessPool("terminated abruptly"))
            return f

    with pytest.raises(BrokenProcessPool) as info:
        exact.count_many([[([[1, 0]], [0]), ([[1]], [0])]] * 2, window=1, executor=Broken())
    assert any('if __name__ == "__main__":' in note for note in info.value.__notes__)


def test_one_hidden_layer_boundaries_put_the_upper_cell_first():
    """Soundness review: one-hidden-layer regions listed each shared edge with the cell below its line
    first, where Regions.boundaries promises shared_edges' order (the cell on the positive side first),
    as deeper nets give it."""
    from exact.adjacency import shared_edges

    for net in ([([[1, 0]], [0]), ([[1]], [0])], [([[1, 0], [0, 1], [1, 1]], [0, 0, -0.5]), ([[1, 1, 1]], [0])]):
        r = exact.regions(net, window=1)
        assert sorted(r.boundaries) == sorted(shared_edges(r.cells))


def test_geojson_of_a_huge_result_is_refused_or_written_whole(tmp_path, monkeypatch):
    """Fresh-clone trial: to_geojson() of 2-1000-1 built a 5 GB dict with no guard, and `--geojson` left a
    partial file when the write failed: the dict is refused over half the available memory (pointing to
    write_geojson), and a failed write leaves no file behind."""
    import exact.cells as cells_module
    from exact.errors import ResourceLimitError

    r = exact.regions([([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0]), ([[1.0, 1.0]], [0.0])], window=1)
    monkeypatch.setattr(cells_module, "available_memory", lambda: 1000)
    with pytest.raises(ResourceLimitError, match="write_geojson"):
        r.to_geojson()
    monkeypatch.undo()
    out = tmp_path / "cells.json"

    def broken(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(exact.geojson_export, "_feature_blocks", broken)
    with pytest.raises(KeyboardInterrupt):
        r.write_geojson(out)
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    r.write_geojson(out)
    assert json.loads(out.read_text()) == r.to_geojson() and list(tmp_path.iterdir()) == [out]


def test_geojson_gives_unbounded_cells_no_area():
    """Fresh-clone trial and soundness review: in the whole plane an unbounded cell's GeoJSON "area" was the
    area of its part in the certified box (a number that depends on the box); it is now null."""
    r = exact.regions([([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [0.0, 0.0, -1.0]), ([[1.0, 1.0, 1.0]], [0.0])],
                      window=None)
    props = [f["properties"] for f in r.to_geojson()["features"]]
    assert any(p["bounded"] for p in props) and not all(p["bounded"] for p in props)
    assert all((p["area"] is None) == (not p["bounded"]) for p in props)
    assert [p["area"] for p in props if p["bounded"]] == [0.5]


@pytest.mark.parametrize("suffix, message", [
    (".npz", r"is not an \.npz archive \(not a zip file: it starts b'abc'\)"),
    (".pt", r"is not a torch file \(neither a zip archive nor a pickle: it starts b'abc'\)"),
])
def test_garbage_spec_files_are_named_as_such(tmp_path, suffix, message):
    """Fresh-clone trial: a 3-byte garbage .npz got numpy's advice to load it with allow_pickle (what exactnet
    never does), and a garbage .pt got "(pop from empty list)"; both now say what the file is not."""
    from exact.errors import SpecFileError

    p = tmp_path / f"x{suffix}"
    p.write_bytes(b"abc")
    with pytest.raises(SpecFileError, match=message):
        exact.as_exact_net(str(p))


def test_cli_takes_negative_points_and_windows_after_a_space(tmp_path, capsys):
    """Fresh-clone trial: `exactnet segment net --from -10,0 --to 10,0` stopped at argparse's "expected one
    argument" (it takes -10,0 for an option); values that start with a minus now follow their option."""
    from exact.cli import _join_negative_values, main

    assert _join_negative_values(["segment", "n", "--from", "-10,0", "--to", "1/2,-1", "--window", "-1,1,-2,2",
                                  "--level-set", "-1/3", "-q"]) == [
        "segment", "n", "--from=-10,0", "--to", "1/2,-1", "--window=-1,1,-2,2", "--level-set=-1/3", "-q"]
    p = tmp_path / "net.json"
    exact.save_json([([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0]), ([[1.0, 1.0]], [0.0])], p)
    assert main(["segment", str(p), "--from", "-10,0", "--to", "10,0", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["activation_pieces"] == 2


def test_dir_of_exact_lists_its_submodules_and_hides_its_own_helpers():
    """Fresh-clone trial of the lazy ``import exact``: ``dir(exact)`` (tab completion) lacked ``nd``, ``windows``
    and ``worker_threads``, which the README tells users to type, and showed ``TYPE_CHECKING``,
    ``import_module`` and ``util``; ``hasattr(exact, "x.y")`` raised ModuleNotFoundError."""
    names = dir(exact)
    assert {"nd", "windows", "worker_threads", "errors", "regions", "count_many"} <= set(names)
    assert not {"TYPE_CHECKING", "import_module", "util", "_LAZY", "_SOURCES"} & set(names)
    assert not hasattr(exact, "x.y") and not hasattr(exact, "nd.api")


def test_type_checkers_do_not_see_exacts_module_getattr():
    """Fresh-clone trial: with a module ``__getattr__`` in sight, mypy typed every name as Any, so ``exact.regoins``
    passed the type check; the lazy loader now sits under ``if not TYPE_CHECKING`` (checkers read the imports)."""
    import ast
    from pathlib import Path

    tree = ast.parse(Path(exact.__file__).read_text(encoding="utf-8"))
    top = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert not {"__getattr__", "__dir__"} & top
    hidden = next(n for n in tree.body if isinstance(n, ast.If) and isinstance(n.test, ast.UnaryOp)
                  and isinstance(n.test.op, ast.Not) and getattr(n.test.operand, "id", "") == "TYPE_CHECKING")
    assert {"__getattr__", "__dir__"} <= {n.name for n in hidden.body if isinstance(n, ast.FunctionDef)}


def test_cli_output_given_for_nothing_or_out_of_range_is_refused(tmp_path, capsys):
    """Fresh-clone trial: ``--output 0`` with nothing that reads it passed silently (``--output 1`` was refused),
    and ``--output 5`` on a one-output net was told to add --level-set, which then failed "out of range"."""
    from exact.cli import main

    p = tmp_path / "net.json"
    exact.save_json([([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0]), ([[1.0, 1.0]], [0.0])], p)
    assert main(["regions", str(p), "-q", "--output", "0"]) == 2
    assert "--output 0 picks the output for --level-set" in capsys.readouterr().err
    assert main(["regions", str(p), "-q", "--output", "5", "--level-set", "0"]) == 2
    assert "--output 5 is out of range: the network has 1 output, numbered from 0" in capsys.readouterr().err
    assert main(["regions", str(p), "-q", "--output", "0", "--level-set", "0", "--json"]) == 0


def test_an_exact_nets_float_weights_cannot_be_made_writable_under_the_per_net_cache():
    """Soundness review of the per-net float cache (``float_net.net_bounds``, matched by identity): an ExactNet
    read from floats kept arrays that owned their data, so ``setflags(write=True)`` let its weights change in
    place and the cache then served the old ones; they are now views of read-only bases, which numpy refuses
    to make writable."""
    from exact._certified.float_net import net_bounds
    from exact.network import ExactNet

    net = ExactNet.from_layers([(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([0.0, 0.0])),
                                (np.array([[1.0, 1.0]]), np.array([0.0])), (np.array([[1.0]]), np.array([0.0]))])
    assert exact.count_regions(net, window=1) == exact.RegionCounts(4, 4)
    arrays = [*net.float_layers()[0], *net.float_layers()[1]]
    nb = net_bounds(net)
    arrays += [a for name in ("Ws", "bs", "EW", "Eb", "A", "E", "line_err") for a in getattr(nb, name)]
    for a in arrays:
        with pytest.raises(ValueError):
            a.setflags(write=True)


def test_count_many_resume_removes_a_line_cut_short_so_the_file_stays_json_lines(tmp_path):
    """Fresh-clone trial: after a crash cut the last line of a --jsonl file, --resume appended new lines after
    it and left it there, so the file no longer read as JSON lines (pandas.read_json(lines=True) fails)."""
    from exact.cli import main

    spec = tmp_path / "a.json"
    exact.save_json([([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0]), ([[1.0, 1.0]], [0.0])], spec)
    out = tmp_path / "out.jsonl"
    assert main(["count-many", str(spec), "--jsonl", str(out), "-q"]) == 0
    whole = out.read_text()
    out.write_text(whole + whole[: len(whole) // 2])  # a second line cut short mid-write
    assert main(["count-many", str(spec), "--jsonl", str(out), "--resume", "-q"]) == 0
    assert out.read_text() == whole  # the counted file is not counted again; the cut line is gone
    out.write_text(whole[:12])  # only a cut line: it goes, and the file is counted again
    assert main(["count-many", str(spec), "--jsonl", str(out), "--resume", "-q"]) == 0
    assert [json.loads(t)["activation_regions"] for t in out.read_text().splitlines()] == [4]


def test_write_geojson_into_a_missing_folder_names_the_path_given(tmp_path):
    """Fresh-clone trial: ``write_geojson("/nonexistent/x.geojson")`` raised FileNotFoundError about
    ``x.geojson.part``, a name the user never gave; it is now an InputError naming the path given."""
    r = exact.regions([([[1.0, 0.0]], [0.0]), ([[1.0]], [0.0])], window=1.0)
    target = tmp_path / "no_such_folder" / "x.geojson"
    with pytest.raises(InputError, match=r"write_geojson: cannot write '.*no_such_folder/x\.geojson': ") as e:
        r.write_geojson(target)
    assert ".part" not in str(e.value)


def test_a_cell_index_out_of_range_says_how_many_cells_there_are():
    """Fresh-clone trial: ``r[10**6]`` raised a bare "list index out of range"; it now names the index
    and the number of cells, and stays an IndexError (iteration and slices work as for a list)."""
    r = exact.regions([([[1.0, 1.0]], [-1.0]), ([[2.0]], [0.5])], window=1.0)
    for k in (10**6, 2, -3):
        with pytest.raises(IndexError, match=rf"regions\[{k}\]: no such cell; these regions have 2 cells"):
            r[k]
    assert r[-1] is r.cells[1] and r[0:1] == r.cells[:1] and list(r) == r.cells


def test_crowded_tiles_along_close_parallel_lines_stop_at_the_tile_budget(monkeypatch):
    """Soundness review: ``tile_cells=5`` on a net whose lines crowd along a line (a hardtanh net scaled
    by 2^200) cut tiles down to MAX_DEPTH, 25 024 tiles in 97 s for 22 cells: each cut doubles the
    tiles the crowd crosses and thins out none.  Six lines ``x = k 2^-200`` and ``y = 0`` (a second
    layer that never flips) make 7 strips times 2 = 14 cells, each its own map; cutting now stops at
    ``tile_budget`` tiles (64 for one first tile) and the last crowded tiles are computed whole."""
    from test_tile_budget import spy_on_tiles

    from exact import tile_jobs

    e = Fraction(1, 2**200)
    net = exact.ExactNet.from_layers([([[1, 0]] * 6 + [[0, 1]], [-k * e for k in range(6)] + [0]),
                                      ([[1] * 7], [100]), ([[1]], [0])])
    runs, done = spy_on_tiles(monkeypatch)
    assert tuple(exact.count_regions(net, window=1, tiles=1, tile_cells=5)) == (14, 14)
    assert tile_jobs.tile_budget(1) == 64
    assert len(done) == len(set(done)) <= 64                 # the tiles that partition the window
    assert max(t.depth for t in done) < tile_jobs.MAX_DEPTH and len(runs) < 3 * 64


def test_count_many_knows_a_file_by_its_real_path_whatever_its_spelling(tmp_path, monkeypatch, capsys):
    """Trial: ``exactnet count-many ./x.json /abs/x.json`` counted one file twice, and ``--resume`` did not
    match the two spellings.  Lines now carry ``path`` (absolute, links resolved), the file's identity;
    ``file`` stays as given.  x = 0, y = 0: 4 cells."""
    from exact.cli import main

    (tmp_path / "nets").mkdir()
    exact.save_json(exact.ExactNet.from_layers([([[1, 0], [0, 1]], [0, 0]), ([[1, 1]], [0])]),
                    tmp_path / "nets" / "x.json")
    real = os.path.realpath(tmp_path / "nets" / "x.json")
    monkeypatch.chdir(tmp_path / "nets")
    out = tmp_path / "out.jsonl"
    assert main(["count-many", "./x.json", real, "x.json", "--jsonl", str(out), "-q"]) == 0
    lines = [json.loads(t) for t in out.read_text().splitlines()]
    assert [(ln["file"], ln["path"], ln["activation_regions"]) for ln in lines] == [("x.json", real, 4)]
    monkeypatch.chdir(tmp_path)                            # another folder, another spelling: done already
    assert main(["count-many", "nets/../nets/x.json", "--jsonl", str(out), "--resume"]) == 0
    assert "0 counted, 0 failed, 1 already counted" in capsys.readouterr().err
    old = dict(lines[0], file=real)                        # a line from before `path`: its `file` resolved
    del old["path"]
    out.write_text(json.dumps(old) + "\n")
    assert main(["count-many", "nets/x.json", "--jsonl", str(out), "--resume"]) == 0
    assert "0 counted, 0 failed, 1 already counted" in capsys.readouterr().err


def test_a_masked_weight_array_is_refused_not_read_with_its_hidden_nan():
    """Soundness review: ``np.isfinite`` of a masked array skips its masked entries, so a hidden NaN passed
    the float path's check and counting then failed with a bare ValueError.  Masked entries have no value:
    such an array is refused by name; one without masked entries is read by its values."""
    from exact.network import ExactNet

    out = (np.ones((1, 2)), np.zeros(1))
    for W in (np.ma.masked_invalid(np.array([[1.0, np.nan], [0.5, 1.0]])),
              np.ma.masked_array([[1.0, 2.0], [0.5, 1.0]], mask=[[0, 1], [0, 0]])):
        with pytest.raises(InputError, match=r"weight of layer 0 is a masked array with masked entries"):
            ExactNet.from_layers([(W, np.zeros(2)), out])
    with pytest.raises(InputError, match=r"weight of layer 0 contains inf at neuron 0, input 1"):
        ExactNet.from_layers([(np.ma.masked_array([[1.0, np.inf], [0.5, 1.0]], mask=False), np.zeros(2)), out])
    plain = exact.count_regions([(np.array([[1.0, 2.0], [0.5, 1.0]]), np.zeros(2)), out], window=3)
    assert exact.count_regions([(np.ma.masked_array([[1.0, 2.0], [0.5, 1.0]]), np.zeros(2)), out],
                               window=3) == plain


def test_float_weights_cannot_be_made_writable_even_through_their_base():
    """Soundness review: the read-only views of an ExactNet's float weights had a base that
    ``setflags(write=True)`` accepted; the per-network bounds, now shared by bit-equal nets, would then have
    been stale for an honest net too.  The arrays now live on immutable bytes (C order, so bit-equal
    nets also sum alike in BLAS)."""
    from exact.network import ExactNet

    net = ExactNet.from_layers([(np.asfortranarray([[1.0, 2.0], [0.5, 1.0]]), np.zeros(2)),
                                (np.ones((1, 2)), np.zeros(1))])
    for a in net.float_layers()[0] + net.float_layers()[1]:
        assert a.flags.c_contiguous
        for arr in (a, a.base):
            if isinstance(arr, np.ndarray):
                with pytest.raises(ValueError):
                    arr.setflags(write=True)


def test_a_decimal_with_a_huge_exponent_is_refused_not_computed(tmp_path):
    """Fresh-clone trial: ``--window=1e999999999`` (also ``--level-set``, ``segment --from``, ``count-many
    --window``) made Fraction build a 3-billion-bit integer, and the CLI hung; it is now a usage error."""
    from exact.cli import main
    from exact.cli_values import MAX_EXPONENT, exact_number

    spec = tmp_path / "net.json"
    exact.save_json([([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0]), ([[1.0, 1.0]], [0.0])], spec)
    for argv in (["regions", str(spec), "--window=1e999999999"], ["regions", str(spec), "--level-set", "1e-999999999"],
                 ["segment", str(spec), "--from", "1e999999999,0", "--to", "0,0"],
                 ["count-many", str(spec), "--window", "[[0,0],[1E+999999999,0],[0,1]]"]):
        with pytest.raises(SystemExit) as e:
            main(argv + ["-q"])
        assert e.value.code == 2
    assert exact_number(f"1e{MAX_EXPONENT}") == 10**MAX_EXPONENT and exact_number("-2.5E-3") == Fraction(-1, 400)
    with pytest.raises(InputError, match=rf"exponents beyond {MAX_EXPONENT} are refused"):
        exact_number(f"1e{MAX_EXPONENT + 1}")


def test_write_geojson_to_a_folder_names_the_folder(tmp_path):
    """Fresh-clone trial: ``write_geojson(folder)`` raised a bare IsADirectoryError naming ``folder.part``."""
    r = exact.regions([([[1.0, 0.0]], [0.0]), ([[1.0]], [0.0])], window=1.0)
    with pytest.raises(InputError, match=r"write_geojson: '.*' is a folder; give a file's path, such as "):
        r.write_geojson(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_max_regions_bounds_cells_built_and_a_shallow_count_builds_none():
    """Fresh-clone trial: ``max_regions=5`` refused a deep count but not a one-hidden-layer one.  That is the
    documented rule now (docstring, CLI help, README): the guard bounds the cells a job builds, and a count of
    one hidden layer in a rectangle or the plane is a formula that builds none; ``regions()`` still refuses."""
    from exact.errors import TooManyRegionsError

    net = numeric.seeded_mlp([2, 20, 1], seed=0)
    assert exact.count_regions(net, window=10, max_regions=5).activation == 197
    with pytest.raises(TooManyRegionsError):
        exact.regions(net, window=10, max_regions=5)
    with pytest.raises(TooManyRegionsError):
        exact.count_regions(numeric.seeded_mlp([2, 8, 8, 1], seed=0), window=10, max_regions=5)


def test_a_bad_weight_in_a_spec_file_names_the_file(tmp_path):
    """Fresh-clone trial: a NaN (or a ragged row) in ``nan.json``/``.npz`` was reported without the file's
    name, unlike the other spec-file errors; the error keeps its class and now starts with the file."""
    bad = tmp_path / "nan.json"
    bad.write_text('{"layers": [{"weight": [[NaN, 1.0]], "bias": [0.0]}, {"weight": [[1.0]], "bias": [0.0]}]}')
    with pytest.raises(InputError, match=r"^spec file '.*nan\.json': weight of layer 0 contains nan at neuron 0"):
        exact.load_spec(bad)
    np.savez(tmp_path / "r.npz", W0=np.array([[1.0, 2.0]]), b0=np.zeros(2), W1=np.ones((1, 1)), b1=np.zeros(1))
    with pytest.raises(InputError, match=r"^spec file '.*r\.npz': "):
        exact.load_spec(tmp_path / "r.npz")


def test_a_nan_marked_point_is_named_as_a_point_not_a_weight():
    """Fresh-clone trial: ``plot(mark_points=[(nan, 0)])`` said "... at neuron 0; weights must be finite"."""
    import matplotlib

    matplotlib.use("Agg")
    r = exact.regions([([[1.0, 1.0]], [-1.0]), ([[2.0]], [0.5])], window=1.0)
    with pytest.raises(InputError, match=r"^mark_points\[0\]\[0\] must be a finite number, got nan$"):
        r.plot(mark_points=[(float("nan"), 0)])
    with pytest.raises(InputError, match=r"^weight of layer 0 contains inf at neuron 0, input 1; weights must be"):
        exact.regions([([[1.0, float("inf")]], [0.0]), ([[1.0]], [0.0])], window=1.0)  # weights keep theirs


def test_a_tile_over_max_regions_says_it_is_one_tile():
    """Fresh-clone trial: with tiles, ``max_regions=20`` was refused with "in hidden layer 2 (it has 23)",
    a tile's count, while the whole window has 131; the message now names the tile."""
    from exact.errors import TooManyRegionsError

    net = numeric.seeded_mlp([2, 8, 8, 1], seed=0)
    with pytest.raises(TooManyRegionsError, match=r"^the tile \[.*\] x \[.*\] alone: more than max_regions=5 "):
        exact.count_regions(net, window=10, tiles=4, max_regions=5)


def test_exactnet_count_takes_max_regions_as_regions_and_count_many_do(capsys):
    """Fresh-clone trial: ``exactnet count 2-20-1 --max-regions 5`` was an unknown option (``regions`` and
    ``count-many`` take it); it now refuses a deep net over it (exit 1) and counts one hidden layer."""
    from exact.cli import main

    assert main(["count", "2-8-8-1", "--max-regions", "5", "-q"]) == 1
    assert "more than --max-regions 5 cells" in capsys.readouterr().err  # the option, not the argument
    assert main(["count", "2-20-1", "--max-regions", "5", "-q", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["activation_regions"] == 197


def test_a_max_memory_too_small_for_any_tile_is_refused_soon():
    """Soundness review: with tiles run breadth first, a ``max_memory`` too small for even one cell cut
    every tile of a level before any reached depth 12 (about 4^12/3 tile runs: it ran for minutes, where it
    used to be refused at once).  Cutting for memory now stops at ``memory_tile_budget`` and is refused."""
    from concurrent.futures import ThreadPoolExecutor

    from exact.errors import ResourceLimitError
    from exact.tile_jobs import memory_tile_budget

    net = exact.ExactNet.from_layers([([[1, 0], [0, 1]], [0, 0]), ([[1, 1]], [0]), ([[1]], [0])])
    assert memory_tile_budget(1) == 4096
    for ex in (None, ThreadPoolExecutor(2)):
        with pytest.raises(ResourceLimitError, match=r"the run has 4,09\d tiles already \(memory_tile_budget"):
            exact.count_regions(net, window=1, tiles=1, max_memory=1000, executor=ex)


def test_full_collections_held_in_two_threads_at_once_restores_the_thresholds():
    """Soundness review: two threads inside ``full_collections_held`` (two GeoJSON exports at once) could
    leave the collector's full collections held for good: the second saved the first's held thresholds and
    restored them last.  The first holder now saves them and the last restores them."""
    import gc
    import threading

    from exact.gc_pause import FULL_HELD, full_collections_held

    before = gc.get_threshold()
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()

    def first():
        with full_collections_held():
            a_in.set()
            b_in.wait()
        a_out.set()

    def second():
        a_in.wait()
        with full_collections_held():
            b_in.set()
            a_out.wait()
            assert gc.get_threshold()[2] == FULL_HELD  # still held: the other thread left, this one did not

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert gc.get_threshold() == before


def test_regions_index_by_float_or_str_is_an_input_type_error():
    """Trial s7: ``r[1.5]`` / ``r["a"]`` on a Regions said "list indices must be integers or slices, not
    float" (the internal list's message).  Now an InputTypeError naming ``regions[...]``; ints (numpy ones
    too) and slices still index the cells."""
    r = exact.regions([([[1.0, 0.0]], [0.0]), ([[1.0]], [0.0])], window=1.0)  # x = 0 cuts the square: 2 cells
    for bad in (1.5, "a", (0, 1)):
        with pytest.raises(InputTypeError, match=r"regions\[.*\]: a cell index is an int or a slice"):
            r[bad]
    assert r[np.int64(1)] is r.cells[1] and r[-1] is r.cells[1] and r[0:2] == r.cells
    with pytest.raises(IndexError, match=r"regions\[2\]: no such cell; these regions have 2 cells"):
        r[np.int64(2)]


def test_geojson_refusals_do_not_name_to_geojson_when_write_geojson_was_called():
    """Trial s7: the activation-pieces refusals are shared by ``to_geojson`` and ``write_geojson`` and both
    said "to_geojson: ...", naming a method the user of ``write_geojson`` never called.  They now say
    "GeoJSON export: ...".  An activation of 11 pieces (10 breakpoints) is the smallest refused."""
    import io

    from exact.activations import piecewise_linear
    from exact.errors import UnsupportedActivationError
    from exact.geojson_export import pattern_strings

    act = piecewise_linear("stairs", list(range(10)), [1] * 11, [0] * 11)  # 10 breakpoints: 11 pieces
    r = exact.regions(exact.ExactNet.from_layers([([[1, 0]], [0]), ([[1]], [0])], activation=act), window=20)
    for call in (r.to_geojson, lambda: r.write_geojson(io.StringIO())):
        with pytest.raises(UnsupportedActivationError, match=r"^GeoJSON export: activation 'stairs' .* 11 pieces"):
            call()
    with pytest.raises(UnsupportedActivationError, match=r"^GeoJSON export: neuron 0 of cell 0 is on piece 10"):
        pattern_strings(np.array([[10]]))


def test_readme_explains_the_box_of_summary_with_a_true_example():
    """Trial s7: ``summary()`` of a rectangle window has a ``box`` (3.0 for ``(0, 1, -1, 3)``) the README
    did not explain.  It now says what it is, with that example; the example is checked here against the
    definition (the half-width of the smallest square ``[-h, h]^2`` holding the window: max |coordinate|)."""
    readme = open(os.path.join(os.path.dirname(__file__), "..", "README.md"), encoding="utf-8").read()
    text = " ".join(readme.split())
    m = re.search(r"`summary\(\)`'s `box` is the half-width `h` of the smallest square `\[-h, h\]²` that holds the "
                  r"window.*?\((\d+\.\d+) for the rectangle `\(([-\d, ]+)\)`", text)
    assert m, "README: summary()'s box is not explained"
    rect = tuple(int(v) for v in m.group(2).split(","))
    assert float(m.group(1)) == max(abs(v) for v in rect) == 3
    r = exact.regions([([[1.0, 0.0]], [0.0]), ([[1.0]], [0.0])], window=rect)
    assert r.summary()["box"] == float(m.group(1))
    assert exact.regions([([[1.0, 0.0]], [0.0]), ([[1.0]], [0.0])], window=2.5).summary()["box"] == 2.5


def test_unknown_option_of_a_command_shows_that_commands_usage_and_options(capsys):
    """Trial s7: ``exactnet count 2-20-1 --bogus 5`` printed the top-level usage (``exactnet [-h] [--version]
    COMMAND ...``) and "did you mean: --bogus -> --jobs" (close only for sharing ``--``); suggestions also
    came from the top-level options (``--versio`` -> ``--version``, which ``count`` does not take).  Now
    the command's own usage and error prefix, and suggestions from its options compared without dashes."""
    from exact.cli import main

    def usage_error(argv):
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 2
        return capsys.readouterr().err

    err = usage_error(["count", "2-20-1", "--bogus", "5"])
    assert err.startswith("usage: exactnet count [-h]") and "COMMAND" not in err
    assert "exactnet count: error: unrecognized arguments: --bogus 5\n" in err and "did you mean" not in err
    err = usage_error(["count", "2-3-1", "--versio"])
    assert "exactnet count: error: unrecognized arguments: --versio\n" in err  # not the top-level --version
    err = usage_error(["count-many", "a.json", "--windw=3"])
    assert err.startswith("usage: exactnet count-many") and "(did you mean: --windw=3 -> --window?)" in err
    err = usage_error(["--bogus"])  # no command: the top level's usage, as before
    assert err.startswith("usage: exactnet [-h] [--version] COMMAND") and "exactnet: error:" in err


def test_count_many_writes_a_big_window_short_and_resumes_lines_of_the_old_long_form(tmp_path, capsys):
    """Trial s7: ``count-many --window 1e300`` wrote ``"window"`` as a 301-digit JSON integer (and 1e400 as
    401 digits of text).  Now ``"1e+300"``: exact, read back by ``--window``; ``--resume`` compares windows
    by exact value, so lines of the old long form still count as done (no new line)."""
    import hashlib

    from exact.cli import main
    from exact.cli_values import exact_number

    spec = str(tmp_path / "n.json")
    exact.save_json(numeric.seeded_mlp([2, 3, 1], seed=0), spec)
    out = tmp_path / "out.jsonl"
    assert main(["count-many", spec, "--window", "1e300", "--jsonl", str(out), "-q"]) == 0
    line = json.loads(out.read_text())
    assert line["window"] == "1e+300" and exact_number(line["window"]) == 10**300
    digest = hashlib.sha256(open(spec, "rb").read()).hexdigest()
    for window, old in (("1e300", 10**300), ("1e400", "1" + "0" * 400), ("0.1", "1/10")):  # as 0.7 wrote them
        old_line = {"file": spec, "path": os.path.realpath(spec), "sha256": digest, "window": old,
                    "activation_regions": 7, "linear_regions": 7, "seconds": 0.1}
        out.write_text(json.dumps(old_line) + "\n")
        assert main(["count-many", spec, "--window", window, "--jsonl", str(out), "--resume"]) == 0
        assert "0 counted, 0 failed, 1 already counted" in capsys.readouterr().err
        assert len(out.read_text().splitlines()) == 1
    assert main(["count-many", spec, "--window", "1e301", "--jsonl", str(out), "--resume", "-q"]) == 0
    assert json.loads(out.read_text().splitlines()[-1])["window"] == "1e+301"  # another window: counted


def test_level_set_of_a_huge_level_does_not_pad_every_label_of_the_text_report(tmp_path, capsys):
    """Trial s7: ``exactnet regions x.json --level-set 1e400`` printed the level's 401 digits in its label,
    and every label was right-aligned to that width (~420 columns).  The level is now written ``1e+400``
    (exact), and a label over 40 characters is not padded to."""
    from exact.cli import main

    spec = str(tmp_path / "n.json")
    exact.save_json(numeric.seeded_mlp([2, 3, 1], seed=0), spec)
    for level, label in (("1e400", "level set f0 = 1e+400"), ("0." + "3" * 40, "level set f0 = 3." + "3" * 39 + "e-1")):
        assert main(["regions", spec, "--level-set", level, "-q"]) == 0
        lines = capsys.readouterr().out.splitlines()
        width = len(label) if len(label) <= 40 else len("activation regions")  # the longest label padded to
        assert lines[0] == "spec".rjust(width) + ": " + spec
        assert max(len(t) for t in lines) < 120 and any(t.startswith(label + ": ") for t in lines)


def test_the_largest_numbers_the_cli_reads_are_counted_and_printed_not_an_internal_error(tmp_path, capsys):
    """Second fresh-clone trial: numbers the exponent cap let through (1e10000) crashed with "internal error":
    Python refuses the text of an integer over 4 300 digits (a polygon's vertex, a rectangle's side, a level),
    and tiles balanced by a float estimate overflowed.  The cap is now 1e1000, and tiles over a window beyond
    the float range stay even."""
    from exact.cli import main

    spec = tmp_path / "net.json"
    exact.save_json(numeric.seeded_mlp([2, 8, 8, 1], seed=0), spec)
    for argv in (["count", "2-8-8-1", "--tiles", "2", "--window", "1e1000"],
                 ["count", "2-8-8-1", "--window=-1e1000,1,-1,1e1000"],
                 ["count", "2-5-1", "--window", "[[0,0],[1e1000,0],[0,1]]"],
                 ["regions", str(spec), "--level-set", "-1e-1000"],
                 ["segment", str(spec), "--from", "-1e1000,0", "--to", "1e1000,0"]):
        assert main(argv + ["-q"]) == 0, argv
    capsys.readouterr()
    big = Fraction(10**400)
    assert exact.count_regions(numeric.seeded_mlp([2, 8, 8, 1], seed=0), window=big, tiles=2) == \
        exact.count_regions(numeric.seeded_mlp([2, 8, 8, 1], seed=0), window=big)


def test_write_geojson_writes_a_device_in_place_and_through_a_link_and_never_shares_its_temporary(tmp_path):
    """Second fresh-clone trial: writing GeoJSON to a path wrote ``path.part`` and renamed it over the path,
    which put a plain file in place of ``/dev/full`` (``/dev/null`` as root) and of a symbolic link, overwrote
    a user's own ``x.geojson.part``, and let two threads writing one path corrupt it (one shared ``.part``)."""
    import os
    import stat
    import threading

    r = exact.regions([([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0]), ([[1.0, 1.0]], [0.0])], window=1.0)
    want = json.dumps(r.to_geojson())
    pipe = tmp_path / "pipe"  # a named pipe stands for a device (never /dev/null: a broken writer replaces it)
    os.mkfifo(pipe)
    reader = os.open(pipe, os.O_RDONLY | os.O_NONBLOCK)
    try:
        r.write_geojson(pipe)  # written in place: the text goes through the pipe
        assert stat.S_ISFIFO(os.stat(pipe).st_mode) and os.read(reader, 1 << 16).decode() == want
    finally:
        os.close(reader)
    target, link = tmp_path / "target.geojson", tmp_path / "link.geojson"
    target.write_text("old")
    link.symlink_to(target)
    r.write_geojson(link)
    assert link.is_symlink() and target.read_text() == want
    mine = tmp_path / "x.geojson.part"
    mine.write_text("the user's own file")
    r.write_geojson(tmp_path / "x.geojson")
    assert mine.read_text() == "the user's own file" and (tmp_path / "x.geojson").read_text() == want
    other = exact.regions([([[1.0, 2.0]], [0.5]), ([[1.0]], [0.0])], window=1.0)
    texts, errors = {json.dumps(other.to_geojson()), want}, []

    def write(res):
        try:
            for _ in range(3):
                res.write_geojson(tmp_path / "race.geojson")
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(res,)) for res in (r, other, r, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and (tmp_path / "race.geojson").read_text() in texts
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.geojson", "pipe", "race.geojson",
                                                          "target.geojson", "x.geojson", "x.geojson.part"]
    with pytest.raises(InputError, match=r"write_geojson: give a file's path, got ''"):
        r.write_geojson("")


def test_count_many_lines_give_the_command_lines_advice_not_the_apis(tmp_path, capsys):
    """Second fresh-clone trial: a ``count-many`` line's refusal said "raise max_regions (None for no limit)",
    the Python call's words; the CLI's other refusals already say "raise --max-regions"."""
    from exact.cli import main

    spec = tmp_path / "deep.json"
    exact.save_json(numeric.seeded_mlp([2, 8, 8, 1], seed=0), spec)
    assert main(["count-many", str(spec), "--max-regions", "5", "-q"]) == 1
    message = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["message"]
    assert "raise --max-regions" in message and "None for no limit" not in message


def test_write_geojson_to_a_binary_file_says_it_needs_text_before_any_work():
    """Second fresh-clone trial: ``write_geojson(io.BytesIO())`` raised a raw TypeError from deep in the write
    ("a bytes-like object is required"); it is now an InputTypeError naming the file's type, raised first."""
    import io

    r = exact.regions([([[1.0, 0.0]], [0.0]), ([[1.0]], [0.0])], window=1.0)
    buf = io.BytesIO()
    with pytest.raises(InputTypeError, match=r"write_geojson: file must take text \(open it with 'w', not 'wb'\), "
                                             r"got BytesIO"):
        r.write_geojson(buf)
    assert buf.getvalue() == b""
    text = io.StringIO()
    r.write_geojson(text)
    assert json.loads(text.getvalue()) == r.to_geojson()


def test_a_decimal_window_is_read_exactly_not_through_a_float():
    """Second fresh-clone trial (Decimal windows): ``window=Decimal("0.1")`` went through ``float``, so the
    half-width was 0.1000000000000000055..., not 1/10, and a neuron line exactly at x = 1/10 cut the window
    into two cells instead of lying on its side.  A Decimal is now read exactly, as Fraction reads it."""
    from decimal import Decimal

    net = [([[10.0, 0.0]], [-1.0]), ([[1.0]], [0.0])]  # the line x = 1/10
    assert exact.regions(net, window=Decimal("0.1")).n_activation == 1
    assert exact.regions(net, window=Fraction(1, 10)).n_activation == 1
    assert exact.regions(net, window=0.1).n_activation == 2  # the float 0.1 is a little more than 1/10
    assert exact.count_regions(net, window=Decimal("1e400")) == exact.count_regions(net, window=Fraction(10**400))


# --- third fresh-clone trial (CLI and input leftovers) --------------------------------------


def _two_line_spec(tmp_path):
    """A 2-D net of the lines x = 0 and y = 0 (4 cells in any square around 0), saved as JSON."""
    spec = tmp_path / "net.json"
    exact.save_json([([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0]), ([[1.0, 1.0]], [0.0])], spec)
    return spec


def test_cli_dash_writes_to_standard_output_and_the_summary_to_standard_error(tmp_path, capsys, monkeypatch):
    """Third fresh-clone trial: ``--geojson -`` wrote a file named ``-``.  Now ``-`` is standard output (for
    --geojson, --segments, --html and count-many's --jsonl), the summary goes to standard error so that it
    cannot corrupt the file's text, and ``-`` is refused where standard output makes no sense."""
    from exact.cli import main

    spec = _two_line_spec(tmp_path)
    monkeypatch.chdir(tmp_path)
    want = exact.regions(exact.load_spec(spec), window=1).to_geojson()
    assert main(["regions", str(spec), "--window", "1", "--geojson", "-", "--json", "-q"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == want and len(want["features"]) == 4
    assert json.loads(err)["activation_regions"] == 4
    assert main(["regions", str(spec), "--window", "1", "--level-set", "0", "--segments", "-", "-q"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)[0]["level"] == "0" and "activation regions: 4" in err
    assert main(["count-many", str(spec), "--window", "1", "--jsonl", "-", "-q"]) == 0
    assert json.loads(capsys.readouterr().out)["activation_regions"] == 4
    assert not (tmp_path / "-").exists()
    for argv, match in [(["regions", str(spec), "--geojson", "-", "--segments", "-", "--level-set", "0"],
                         r"--geojson and --segments both ask for standard output \('-'\); give one of them a "
                         r"file name"),
                        (["regions", str(spec), "--plot", "-"], r"--plot '-': .*give a file name such as "
                                                                r"regions\.png"),
                        (["sheet", "--out", "-"], r"--out '-': the sheet is a folder of files"),
                        (["count-many", str(spec), "--jsonl", "-", "--resume"],
                         r"--resume continues a results file, and --jsonl - writes to standard output")]:
        assert main(argv) == 2
        assert re.search(match, capsys.readouterr().err)
    assert not (tmp_path / "-").exists()


def test_every_command_takes_quiet_prove_too(capsys):
    """Third fresh-clone trial: ``exactnet prove -q`` was an unrecognized argument, while every other command
    took ``-q``/``--quiet``.  Every command now takes it, with one meaning (nothing on standard error but
    errors)."""
    import argparse

    from exact.cli import build_parser, main

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert sorted(sub.choices) == ["check", "count", "count-many", "prove", "regions", "segment", "sheet"]
    for name, parser in sub.choices.items():
        assert {"-q", "--quiet"} <= set(parser._option_string_actions), name
    assert main(["prove", "--list", "-q"]) == 0
    assert "softmax" in capsys.readouterr().out


def test_messages_with_counts_and_type_names_are_grammatical(tmp_path):
    """Third fresh-clone trial: "--from has 1 coordinates" and "entry '0.bias' is a int"."""
    import torch

    from exact.validation import check_point

    with pytest.raises(InputError, match=r"^a has 1 coordinate but the network input is 2-D$"):
        check_point([1], "a", 2)
    with pytest.raises(InputError, match=r"^a has 3 coordinates but"):
        check_point([1, 2, 3], "a", 2)
    pt = tmp_path / "n.pt"
    torch.save({"0.weight": torch.ones(1, 2), "0.bias": 5}, pt)
    with pytest.raises(exact.errors.SpecFileError, match=r"entry '0.bias' is an int, not a tensor"):
        exact.load_spec(pt)


def _safetensors_file(path, tensors):
    """Write a safetensors file of ``name -> (dtype code, numpy array)`` as the format describes it."""
    import struct

    header, data = {}, b""
    for name, (code, a) in tensors.items():
        raw = a.astype(a.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": code, "shape": list(a.shape), "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text + data)
    return path


def test_integer_safetensors_weights_are_read_exactly_as_npz_and_pt_are(tmp_path):
    """Third fresh-clone trial: an integer ``.safetensors`` file was refused ("not a float dtype"), though
    integer ``.npz`` and ``.pt`` weights are read.  Integers are now read exactly, also beyond 2^53 (a float64
    would round 2^62 + 1); bool is still refused."""
    big = 2**62 + 1
    st = _safetensors_file(tmp_path / "n.safetensors", {
        "0.weight": ("I64", np.array([[big, -3]], dtype=np.int64)),
        "0.bias": ("I8", np.array([-128], dtype=np.int8)),
        "1.weight": ("U64", np.array([[2**64 - 1]], dtype=np.uint64)),
        "1.bias": ("U8", np.array([255], dtype=np.uint8))})
    net = exact.load_spec(st)
    assert list(net.weights) == [((Fraction(big), Fraction(-3)),), ((Fraction(2**64 - 1),),)]
    assert list(net.biases) == [(Fraction(-128),), (Fraction(255),)]
    bad = _safetensors_file(tmp_path / "b.safetensors", {"0.weight": ("BOOL", np.array([[True, False]]))})
    with pytest.raises(exact.errors.SpecFileError, match=r"tensor '0.weight' has dtype 'BOOL', not a number"):
        exact.load_spec(bad)


def test_a_json_number_beyond_the_float_range_says_so_and_how_to_write_it(tmp_path):
    """Third fresh-clone trial: ``1e400`` in a JSON spec was reported as "contains inf", with no hint that the
    file holds a finite number a float64 cannot hold, nor how to write it exactly."""
    spec = tmp_path / "big.json"
    spec.write_text('{"layers": [{"weight": [[1, -1e400]], "bias": [0]}, {"weight": [[1]], "bias": [0]}]}')
    with pytest.raises(exact.errors.SpecFileError,
                       match=r"layers\[0\]\.weight\[0\]\[1\] is -1e400, beyond the float64 range .*write it as an "
                             r"exact string"):
        exact.load_spec(spec)


def test_complex_and_decimal_window_numbers_get_the_right_message_or_are_read_exactly():
    """Third fresh-clone trial: a complex window, and a Decimal in a rectangle or polygon window, were refused
    with "must be finite numbers".  A complex number is now refused as complex; a Decimal is read exactly
    everywhere a window takes numbers, as a Decimal half-width already was."""
    from decimal import Decimal

    net = [([[10.0, 0.0]], [-1.0]), ([[1.0]], [0.0])]  # the line x = 1/10
    tenth = Decimal("0.1")
    assert exact.regions(net, window=(-1, tenth, -1, 1)).n_activation == 1  # the line is the right side
    assert exact.regions(net, window=(-1, 0.1, -1, 1)).n_activation == 2  # the float 0.1 is more than 1/10
    assert exact.regions(net, window=[(-1, -1), (tenth, -1), (tenth, 1), (-1, 1)]).n_activation == 1
    for window, err, match in [
            (1j, InputTypeError, r"window is the complex number 1j; complex numbers are not accepted"),
            ((0, 1j, 0, 1), InputTypeError, r"window: rectangle xmax is the complex number 1j; complex numbers"),
            ([(0, 0), (1, 0), (0, 2j)], InputTypeError, r"window: polygon vertex 2 y is the complex number 2j"),
            ((0, Decimal("Infinity"), 0, 1), InputError, r"rectangle xmax must be a finite number, got "
                                                         r"Decimal\('Infinity'\)")]:
        with pytest.raises(err, match=match):
            exact.count_regions(net, window=window)


# --- many nets: windows and schedulers (issue 17) ----------------------------------------------

THREE_LINES_2D = [([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [0.0, 0.0, -1.0]), ([[1.0, 1.0, 1.0]], [0.0])]
"""x = 0, y = 0, x + y = 1: three lines in general position crossing inside [-2, 2]^2, 1 + 3 + 3 = 7 cells."""
FOUR_PLANES_3D = [([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]], [0, 0, 0, -1]), ([[1, 1, 1, 1]], [0])]
"""x = 0, y = 0, z = 0, x + y + z = 1: four planes in general position inside [-2, 2]^3, 1 + 4 + 6 + 4 = 15 cells."""


def test_count_many_keeps_a_square_rectangle_window_2d_for_a_3d_net():
    """Issue 17 review: ``count_many(window=rectangle_window(-2, 2, -2, 2))`` read the square as its half-width
    2 and counted a 3-D net in the cube [-2, 2]^3 (15 cells), where ``count_regions`` refuses the 2-D window
    for a 3-D net, as ``count_many`` does for the tuple ``(-2, 2, -2, 2)``.  Now refused alike; a 2-D net
    is counted in the square as before."""
    from exact.windows import rectangle_window

    square = rectangle_window(-2, 2, -2, 2)
    with pytest.raises(InputError, match=r"a rectangle or convex polygon is a 2-D window, and this network's "
                                         r"input is 3-D"):
        exact.count_regions(FOUR_PLANES_3D, window=square)
    for window in (square, (-2, 2, -2, 2)):
        got = exact.count_many([FOUR_PLANES_3D, THREE_LINES_2D], window=window, on_error="return")
        assert got[0].error == "InputError" and "input is 3-D" in got[0].message
        assert got[1] == (7, 7)
    assert exact.count_many([FOUR_PLANES_3D], window=2) == [(15, 15)]  # the cube: by its half-width


def test_count_many_resume_takes_the_square_for_its_half_width_for_2d_nets_only(tmp_path, capsys):
    """Issue 17: ``count-many --resume`` counted a 2-D net again when the first run's window was ``10`` and
    the next one's ``-10,10,-10,10`` (or the other way round): for a 2-D input both are [-10, 10]^2.  A 3-D
    net counted with ``10`` (the cube) is not counted in the square, which is refused for it; the
    rectangle run had counted it in the cube instead (the case above)."""
    from exact.cli import main

    two, three = str(tmp_path / "two.json"), str(tmp_path / "three.json")
    exact.save_json(THREE_LINES_2D, two)
    exact.save_json(FOUR_PLANES_3D, three)

    def lines(path):
        return [json.loads(t) for t in path.read_text().splitlines()]

    out = tmp_path / "b_first.jsonl"
    assert main(["count-many", two, three, "--window", "2", "--jsonl", str(out), "-q"]) == 0
    assert [(ln["file"], ln["activation_regions"]) for ln in lines(out)] in ([(two, 7), (three, 15)],
                                                                           [(three, 15), (two, 7)])
    assert main(["count-many", two, three, "--window=-2,2,-2,2", "--jsonl", str(out), "--resume", "-q"]) == 1
    new = lines(out)[2:]
    assert [(ln["file"], ln.get("error")) for ln in new] == [(three, "InputError")]  # two: already counted
    assert main(["count-many", two, three, "--window", "2", "--jsonl", str(out), "--resume", "-q"]) == 0
    assert len(lines(out)) == 3  # nothing new

    out = tmp_path / "square_first.jsonl"
    assert main(["count-many", two, three, "--window=-2,2,-2,2", "--jsonl", str(out), "-q"]) == 1
    assert main(["count-many", two, three, "--window", "2", "--jsonl", str(out), "--resume", "-q"]) == 0
    new = lines(out)[2:]
    assert [(ln["file"], ln["activation_regions"]) for ln in new] == [(three, 15)]  # two: already counted
    assert main(["count-many", two, "--window=-2,2,-2,4", "--jsonl", str(out), "--resume", "-q"]) == 0
    assert lines(out)[-1]["window"] == {"rectangle": [-2, 2, -2, 4]}  # another window: counted


def test_count_many_on_a_scheduler_that_does_not_answer_exits_1_with_one_line(tmp_path, capsys, monkeypatch):
    """Issue 17: ``count-many --scheduler tcp://127.0.0.1:1`` (nobody listening) exited with 2, a usage
    error, after creating an empty ``--jsonl`` file that the next run refused without ``--resume``; a
    server that is not dask's answering was reported as "ran out of memory".  Both are failures of the
    environment: exit 1, one line, the file left alone."""
    pytest.importorskip("distributed")
    import socket
    import threading

    import exact.worker_threads
    from exact.cli import main

    monkeypatch.setattr(exact.worker_threads, "CONNECT_TIMEOUT", 1)
    spec, out = str(tmp_path / "n.json"), tmp_path / "out.jsonl"
    exact.save_json(THREE_LINES_2D, spec)
    assert main(["count-many", spec, "--scheduler", "tcp://127.0.0.1:1", "--jsonl", str(out)]) == 1
    err = capsys.readouterr().err
    assert err == ("exactnet count-many: error: no dask scheduler answered at --scheduler within 1 s "
                   "(tcp://127.0.0.1:1)\n")
    assert not out.exists()

    server = socket.create_server(("127.0.0.1", 0))  # answers every connection in HTTP, not in dask's protocol
    port = server.getsockname()[1]

    def answer():
        with server:
            while True:
                try:
                    conn, _ = server.accept()
                except OSError:
                    return
                with conn:
                    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    threading.Thread(target=answer, daemon=True).start()
    try:
        assert main(["count-many", spec, "--scheduler", f"tcp://127.0.0.1:{port}"]) == 1
    finally:
        server.close()
    assert capsys.readouterr().err == (f"exactnet count-many: error: what answered at --scheduler is not a dask "
                                       f"scheduler (tcp://127.0.0.1:{port})\n")


def test_one_blas_thread_gives_blas_back_when_a_pool_thread_leaves_last():
    """The certified engine's BLAS limit stayed at one thread for good after overlapping calls.

    The limit was shared among threads, set by the first call and restored by the last; but
    OpenBLAS takes a restore only from the main thread, so when a pool thread left last,
    the calling process kept one BLAS thread (seen as a flaky test_many_nets test once tiny
    nets counted fast in a ThreadPoolExecutor).  Only the main thread sets and restores now.
    """
    import threading

    from threadpoolctl import threadpool_info, threadpool_limits

    from exact._certified.threads import one_blas_thread

    def blas() -> list:
        return [d["num_threads"] for d in threadpool_info() if d["user_api"] == "blas"]

    inside, release = threading.Event(), threading.Event()

    @one_blas_thread
    def in_pool_thread():
        inside.set()
        release.wait(10)

    @one_blas_thread
    def in_main_thread():
        t = threading.Thread(target=in_pool_thread)
        t.start()
        assert inside.wait(10)
        return t  # the main thread's call leaves while the pool thread's is inside

    with threadpool_limits(limits=2, user_api="blas"):
        before = blas()
        t = in_main_thread()
        release.set()
        t.join()
        assert blas() == before


# --- fresh-clone trial: messages and the Python API (counts, windows, files, segment) ----------------------


def _spec(path, layers):
    path.write_text(json.dumps({"layers": layers}))
    return path


def test_counts_and_type_names_in_spec_and_api_messages_are_grammatical(tmp_path):
    """Fresh-clone trial: "bias has 1 entries", "weight has 1 rows", "layer 0 has 1 neurons", a .pt's
    "gives 1 outputs", and count_regions(5)'s "got int 5" (elsewhere "got an int 5")."""
    import torch

    cases = [([{"weight": [[1, 0], [0, 1]], "bias": [0]}], r"weight has 2 rows \(neurons\) but bias has 1 entry$"),
             ([{"weight": [[1, 0]], "bias": [0, 0]}], r"weight has 1 row \(neurons\) but bias has 2 entries$"),
             ([{"weight": [[1, 0]], "bias": [0]}, {"weight": [[1, 0]], "bias": [0]}],
              r"layer 1 expects 2 inputs but layer 0 has 1 neuron$")]
    for i, (layers, match) in enumerate(cases):
        with pytest.raises(InputError, match=match):
            exact.load_spec(_spec(tmp_path / f"s{i}.json", layers))
    pt = tmp_path / "n.pt"
    torch.save({"0.weight": torch.ones(1, 2), "0.bias": torch.zeros(1), "2.weight": torch.ones(1, 2)}, pt)
    with pytest.raises(exact.errors.SpecFileError, match=r"it reads 2 inputs, but '0\.weight' gives 1 output;"):
        exact.load_spec(pt)
    with pytest.raises(InputTypeError, match=r"got an int 5$"):
        exact.count_regions(5)
    with pytest.raises(InputTypeError, match=r"^a must be a sequence of 1 number, got 5$"):
        exact.count_on_segment([([[1]], [0]), ([[1]], [0])], 5, [1])


def test_window_numbers_in_messages_are_written_as_typed(capsys):
    """Fresh-clone trial: ``--window=0,2,1,-1`` answered "got (Fraction(0, 1), Fraction(2, 1), ...)", and
    a polygon's vertex or a Decimal was shown by its repr."""
    from decimal import Decimal

    from exact.cli import main

    with pytest.raises(SystemExit, match="2"):  # argparse's usage error
        main(["count", "2-3-1", "--window=0.1,2,1,-1"])
    err = capsys.readouterr().err
    assert "got (1/10, 2, 1, -1)" in err and "Fraction(" not in err
    net = [([[1.0, 0.0]], [0.0]), ([[1.0]], [0.0])]
    with pytest.raises(InputError, match=r"polygon vertex 0 must be a pair \(x, y\), got \(0, 1/3, 1\)$"):
        exact.count_regions(net, window=[(Fraction(0), Fraction(1, 3), Fraction(1)), (1, 0), (0, 1)])
    with pytest.raises(InputError, match=r"got \(2\.5, 0, 0, 1\)$"):
        exact.count_regions(net, window=(Decimal("2.5"), 0, 0, 1))


def test_d_dimensional_windows_read_decimals_and_explain_polygons_and_whole_space(tmp_path):
    """Fresh-clone trial: a Decimal window was refused for a 3-D net though 2-D nets read it exactly; a
    2-D polygon for a 3-D net said "window[0] = (0, 0) must have lo < hi"; a bowtie polygon named no
    vertex; ``window='whole'`` did not say how the whole plane is given."""
    from decimal import Decimal

    # x + y + z and x - y: two planes through 0, four cells in any box around 0
    net3 = [([[1, 1, 1], [1, -1, 0]], [0, 0]), ([[1, 1]], [0])]
    assert exact.count_regions(net3, window=Decimal("2.5")) == exact.count_regions(net3, window=Fraction(5, 2))
    assert exact.count_regions(net3, window=Decimal("2.5")) == (4, 4)
    # the plane x + y + z = 0 misses the box [1/10, 1]^3: only the plane x = y cuts it
    box = [(Decimal("0.1"), 1)] * 3
    assert exact.count_regions(net3, window=box) == (2, 2)
    assert exact.count_regions(net3, window=[(Decimal("-0.1"), Decimal("0.1"))] * 3) == (4, 4)
    with pytest.raises(InputError, match=r"window\[0\] = \(0, 0\) must have lo < hi; if these are the vertices "
                                         r"of a polygon: a polygon is a 2-D window, and this network's input is "
                                         r"3-D"):
        exact.count_regions(net3, window=[(0, 0), (2, 0), (0, 1)])
    with pytest.raises(InputTypeError, match=r"or None for the whole space R\^3; got the string 'whole'"):
        exact.count_regions(net3, window="whole")
    net2 = [([[1.0, 0.0]], [0.0]), ([[1.0]], [0.0])]
    with pytest.raises(InputTypeError, match=r"or None \(also 'plane'\) for the whole plane; got 'whole'"):
        exact.count_regions(net2, window="whole")
    with pytest.raises(InputError, match=r"zero area: its side from vertex 0 \(0, 0\) to vertex 1 \(2, 2\) meets "
                                         r"its side from vertex 2 \(2, 0\) to vertex 3 \(0, 2\)"):
        exact.count_regions(net2, window=[(0, 0), (2, 2), (2, 0), (0, 2)])
    with pytest.raises(InputError, match=r"zero area: all its vertices lie on one line"):
        exact.count_regions(net2, window=[(0, 0), (1, 1), (3, 3)])


def test_files_and_points_get_the_words_that_fit_them(tmp_path, capsys):
    """Fresh-clone trial: a complex ``--from-file`` was called "--from" and its values "weights"; an .npz
    of float128 was told "use float64 or Fraction"; a torch file named .json was "not UTF-8 text"; the
    1e400 message claimed exact.save_json writes such numbers as strings (it writes integers bare)."""
    import torch

    from exact.cli import main

    spec = _spec(tmp_path / "id.json", [{"weight": [[1, 0], [0, 1]], "bias": [0, 0]}, {"weight": [[1, 1]],
                                                                                          "bias": [0]}])
    np.save(tmp_path / "c.npy", np.array([1 + 1j, 2]))
    assert main(["segment", str(spec), "--from-file", str(tmp_path / "c.npy"), "--to", "1,1"]) == 2
    err = capsys.readouterr().err
    assert f"--from-file {str(tmp_path / 'c.npy')!r} has complex dtype complex128; a point's coordinates" in err
    assert "weights" not in err
    np.savez(tmp_path / "l.npz", W0=np.ones((1, 2), dtype=np.longdouble), b0=np.zeros(1))
    with pytest.raises(exact.errors.SpecFileError, match=r"'W0' has dtype float128, .*astype\(np\.float64\)") as e:
        exact.load_spec(tmp_path / "l.npz")
    assert "Fraction" not in str(e.value)
    torch.save({"0.weight": torch.ones(1, 2), "0.bias": torch.zeros(1)}, tmp_path / "t.json")
    with pytest.raises(exact.errors.SpecFileError, match=r"is not JSON text but a zip archive, as torch\.save "
                                                         r"writes: if it is a torch state_dict, rename it to \.pt"):
        exact.load_spec(tmp_path / "t.json")
    (tmp_path / "big.json").write_text('{"layers": [{"weight": [[1e400]], "bias": [0]}, '
                                       '{"weight": [[1]], "bias": [0]}]}')
    with pytest.raises(exact.errors.SpecFileError, match=r"or as a JSON integer \(read exactly; .* 1e400 is 1 followed by "
                                                         r"400 zeros$"):
        exact.load_spec(tmp_path / "big.json")
    # what the message says is true: save_json writes 10**400 as a bare JSON integer, read back exactly
    exact.save_json(exact.ExactNet.from_layers([([[10**400]], [0]), ([[1]], [0])]), tmp_path / "out.json")
    assert json.loads((tmp_path / "out.json").read_text())["layers"][0]["weight"] == [[10**400]]
    (tmp_path / "int.json").write_text('{"layers": [{"weight": [[1' + "0" * 400 + ']], "bias": [0]}, '
                                       '{"weight": [[1]], "bias": [0]}]}')
    assert exact.load_spec(tmp_path / "int.json").weights[0][0][0] == 10**400


def test_a_json_decimal_that_underflows_to_zero_is_an_error_with_a_hint_that_works(tmp_path):
    """Fresh-clone trial: ``1e-400`` in a JSON spec silently became the weight 0 (``1e400`` was an error).
    A nonzero decimal whose nearest float64 is 0 is now refused, with the exact string to write; a decimal
    whose nearest float64 is nonzero (the subnormal 5e-324) is still that float."""
    def spec(w: str):
        (tmp_path / "s.json").write_text('{"layers": [{"weight": [[' + w + ']], "bias": [0]}, '
                                         '{"weight": [[1]], "bias": [0]}]}')
        return tmp_path / "s.json"

    with pytest.raises(exact.errors.SpecFileError,
                       match=r"is -2\.5e-400, nonzero but below the float64 range .* -2\.5e-400 is \"-25/10\.\.\.0\", "
                             r"its denominator 1 followed by 401 zeros$"):
        exact.load_spec(spec("-2.5e-400"))
    # the hint, followed, gives the exact value
    assert exact.load_spec(spec('"-25/1' + "0" * 401 + '"')).weights[0][0][0] == Fraction(-25, 10**401)
    with pytest.raises(exact.errors.SpecFileError, match=r"more than 4000 decimal digits, so write it in "
                                                         r"hexadecimal \(Python: hex\(10\*\*5000\) for the"):
        exact.load_spec(spec("1e-5000"))
    assert exact.load_spec(spec('"1/' + hex(10**5000) + '"')).weights[0][0][0] == Fraction(1, 10**5000)
    assert exact.load_spec(spec("5e-324")).weights[0][0][0] == Fraction(2) ** -1074  # the least subnormal
    assert exact.load_spec(spec("0e-400")).weights[0][0][0] == 0  # zero written with an exponent


def test_python_dash_m_exact_runs_the_command_line(tmp_path):
    """Fresh-clone trial: ``python -m exact`` said "'exact' is a package and cannot be directly executed"."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "exact", "--version"], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == f"exactnet {exact.__version__}"
    import importlib

    importlib.import_module("exact.__main__")  # importing it runs nothing (no SystemExit)


def test_segment_prints_a_tiny_breakpoint_as_tiny_not_as_float_zero(tmp_path, capsys):
    """Fresh-clone trial: ``exactnet segment`` printed the float ``0`` beside the exact breakpoint 8/10^383
    (its float underflows); it now prints the value rounded from the exact one, 8.00000e-383."""
    from exact.cli import main

    spec = _spec(tmp_path / "tiny.json", [{"weight": [[1]], "bias": ["-8/1" + "0" * 383]},
                                          {"weight": [[1]], "bias": [0]}])
    assert main(["segment", str(spec), "--from", "0", "--to", "1"]) == 0
    line = [x for x in capsys.readouterr().out.splitlines() if x.startswith("  *")]
    assert line == [f"  * 8.00000e-383 = {Fraction(8, 10**383)}"]  # one space (fresh-clone trial 5)


# --- command line: a new user's fresh clone (summaries, option values, standard output) --------------


def _cli(argv):
    """Run ``exactnet`` in this process: (status, stdout, stderr); argparse's exits give their status."""
    import contextlib
    import io

    from exact.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(argv)
        except SystemExit as exc:
            status = exc.code
    return status, out.getvalue(), err.getvalue()


def _tenth_net(tmp_path):
    """One neuron x - 1/10: the window 1/10 has one region, the float 0.1 (a little more) two."""
    p = tmp_path / "tenth.json"
    p.write_text('{"layers":[{"weight":[[1,0]],"bias":["-1/10"]},{"weight":[[1]],"bias":[0]}]}')
    return str(p)


def test_cli_summary_writes_the_window_counted_exactly(tmp_path):
    """``--window 0.1`` was counted as exactly 1/10 but reported as the float 0.1 (a wider window).

    The line x = 1/10 is the window's edge: in [-1/10, 1/10]^2 one region, in the float 0.1
    (1/10 + 2^-58 / 5) two.  The summary wrote ``"window": 0.1``, which a reader takes for
    the float; ``1/3`` as 0.3333333333333333; ``1.234567891e400`` as ``"1.23457e+400"`` (not
    the value), and a rectangle of ``1e300`` with all 301 digits.  Every summary now writes
    the window as ``count-many`` does (:func:`exact.window_texts.window_json`).
    """
    from exact.cli_values import exact_number

    spec = _tenth_net(tmp_path)
    status, out, _ = _cli(["regions", spec, "--window", "0.1", "--count-only", "--json"])
    data = json.loads(out)
    assert status == 0 and data["window"] == "1/10" and data["activation_regions"] == 1
    again = exact.count_regions(exact.load_spec(spec), window=exact_number(data["window"]))
    assert again.activation == 1 and exact.count_regions(exact.load_spec(spec), window=0.1).activation == 2
    status, out, _ = _cli(["regions", spec, "--window", "1/3", "--json", "-q"])
    assert status == 0 and json.loads(out)["window"] == "1/3"
    status, out, _ = _cli(["check", spec, "--window", "0.1", "--res", "4", "--json"])
    assert status == 0 and json.loads(out)["window"] == "1/10"
    status, out, _ = _cli(["count", "2-3-1", "--window", "1.234567891e400", "--json"])
    assert exact_number(json.loads(out)["window"]) == 1234567891 * 10**391
    _, many, _ = _cli(["count-many", spec, "--window", "1.234567891e400", "-q"])
    assert json.loads(many)["window"] == json.loads(out)["window"] == "1.234567891e+400"
    status, out, _ = _cli(["regions", spec, "--window=-1e300,1e300,-1,1", "-q"])
    assert status == 0 and "window: [-1e+300, 1e+300] x [-1, 1]\n" in out
    status, out, _ = _cli(["regions", spec, "--window=-1e300,1e300,-1,1", "--json", "-q"])
    assert json.loads(out)["window"] == {"rectangle": ["-1e+300", "1e+300", -1, 1]}


@pytest.mark.parametrize("argv, option", [
    (["regions", "{spec}", "--geojson=--"], "--geojson"), (["regions", "{spec}", "--plot=--"], "--plot"),
    (["regions", "{spec}", "--html=--"], "--html"), (["regions", "{spec}", "--level-set", "0", "--segments=--"],
                                                     "--segments"),
    (["sheet", "--out=--"], "--out"), (["count-many", "{spec}", "--jsonl=--"], "--jsonl"),
    (["regions", "{spec}", "--window=--"], "--window"), (["regions", "{spec}", "--level-set=--"], "--level-set"),
])
def test_cli_option_given_double_dash_is_a_usage_error(argv, option, tmp_path):
    """``--geojson=--`` gave "internal error (TypeError: ... not list)"; ``--jsonl=--`` wrote to stdout.

    Python 3.11's argparse turns the value ``--`` into an empty list.
    """
    status, out, err = _cli([a.format(spec=_tenth_net(tmp_path)) for a in argv])
    assert status == 2 and out == "" and f"argument {option}: expected a value, got '--'" in err
    assert "internal error" not in err and "[]" not in err


def test_cli_closed_standard_output_is_refused_in_one_line(tmp_path, monkeypatch, capsys):
    """With standard output closed (``>&-``, Python's ``sys.stdout`` is None) results were lost.

    ``count-many --jsonl -`` failed with an internal error, ``regions --geojson -`` with the
    API's words ("file must be a path ... got NoneType"), ``regions`` exited 0 with its
    summary lost.  Now: status 1, one line, before any work; ``count-many --jsonl FILE``,
    which writes nothing there, still runs.
    """
    import subprocess
    import sys

    from exact.cli import main

    spec = _tenth_net(tmp_path)
    run = subprocess.run([sys.executable, "-m", "exactnet", "regions", spec], stderr=subprocess.PIPE, text=True,
                         cwd=tmp_path, preexec_fn=lambda: os.close(1))  # a real closed descriptor 1
    assert (run.returncode, run.stderr) == (1, "exactnet regions: standard output is closed, and the "
                                                "results go there\n")
    monkeypatch.setattr(sys, "stdout", None)  # as Python starts with descriptor 1 closed
    for argv in (["count-many", spec, "--jsonl", "-"], ["regions", spec, "--geojson", "-"]):
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "standard output is closed" in err and "NoneType" not in err
    assert main(["count-many", spec, "--jsonl", str(tmp_path / "out.jsonl"), "-q"]) == 0
    assert json.loads((tmp_path / "out.jsonl").read_text())["activation_regions"] == 2


@pytest.mark.parametrize("argv, told", [
    (["-q", "count", "2-5-1"], "-q goes after the command name: exactnet count ... -q"),
    (["--json", "count", "2-5-1"], "--json goes after the command name: exactnet count ... --json"),
    (["regions", "--", "-n.json", "--count-only", "-q"],
     "--count-only -q came after '--', which ends the options: put them before '--'"),
])
def test_cli_option_before_the_command_is_explained_not_corrected_to_itself(argv, told):
    """``exactnet -q count 2-5-1`` said "unrecognized arguments: -q (did you mean: -q -> -q?)"."""
    status, _, err = _cli(argv)
    assert status == 2 and told in err and "did you mean" not in err


def test_cli_errors_speak_of_options_not_python_arguments(tmp_path):
    """Command-line errors said "... or None; got 0", "'auto' or None", "more than max_regions=10 cells"."""
    spec = _tenth_net(tmp_path)
    status, _, err = _cli(["count", "2-3-1", "--window", "0"])
    assert status == 2 and err.count("--window takes a number B > 0") == 1 and "None" not in err
    status, _, err = _cli(["count", "2-3-1", "--max-memory", "2XB"])
    assert status == 2 and "'auto' or 'none'; got '2XB'" in err and "None" not in err
    status, _, err = _cli(["regions", spec, "--window", "1", "--max-regions", "1"])
    assert status == 1 and "2 cells exceed --max-regions 1; raise --max-regions" in err
    assert "max_regions" not in err


@pytest.mark.parametrize("argv, option", [
    (["regions", "{spec}", "--geojson", ""], "--geojson"), (["regions", "{spec}", "--plot", ""], "--plot"),
    (["regions", "{spec}", "--html", ""], "--html"), (["count-many", "{spec}", "--jsonl", ""], "--jsonl"),
    (["regions", "{spec}", "--level-set", "0", "--segments", ""], "--segments"), (["sheet", "--out", ""], "--out"),
])
def test_cli_empty_file_name_is_a_usage_error(argv, option, tmp_path):
    """``--geojson ""`` said "'' is a folder", ``--jsonl ""`` wrote to stdout, ``sheet --out ""`` exit 1."""
    status, out, err = _cli([a.format(spec=_tenth_net(tmp_path)) for a in argv])
    assert status == 2 and out == "" and f"argument {option}: the value is empty" in err


def test_cli_whole_line_and_check_patterns_as_geojson_writes_them(tmp_path):
    """``count 1-5-1 --window plane`` said "whole space"; ``check --json`` wrote patterns as lists.

    The net x, x - 1/1000 has a sliver 0 < x < 1/1000 (pattern "10": neuron 0 on, neuron 1
    off; area 2/1000 in [-1, 1]^2) that a 4 x 4 grid misses.
    """
    status, out, _ = _cli(["count", "1-5-1", "--window", "plane"])
    assert status == 0 and "window: whole line\n" in out
    p = tmp_path / "thin.json"
    p.write_text('{"layers":[{"weight":[[1,0],[1,0]],"bias":[0,"-1/1000"]},{"weight":[[1,1]],"bias":[0]}]}')
    status, out, _ = _cli(["check", str(p), "--window", "1", "--res", "4", "--json"])
    assert status == 0 and json.loads(out)["missed"] == [{"pattern": "10", "area": 0.002}]
    patterns = [f["properties"]["pattern"] for f in exact.regions(exact.load_spec(str(p)), window=1)
                .to_geojson()["features"]]
    assert sorted(patterns) == ["00", "10", "11"]


def test_cli_reader_that_stops_early_ends_every_command_alike(tmp_path):
    """A reader that stopped (``| head``) ended commands differently, and a cut page was called written.

    ``regions --geojson -`` and ``count-many --jsonl -`` exited 1 silently; ``regions --html -``
    exited 0 and printed the summary "html: -" though the page was cut: with
    ``PYTHONUNBUFFERED=1`` Python's standard output drops the rest of a write that a closing
    reader cut short.  Now every command stops quietly with 141 (a shell's status of SIGPIPE).
    """
    import importlib.util
    import subprocess
    import sys

    from exact.cli import EXIT_PIPE

    spec = _tenth_net(tmp_path)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}

    def stopped_reader(argv: list, take: int = 0) -> tuple:
        """Run exactnet; read ``take`` bytes of its standard output (0: none), then close it."""
        p = subprocess.Popen([sys.executable, "-m", "exactnet", *argv], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, cwd=tmp_path, env=env)
        if take:
            assert len(os.read(p.stdout.fileno(), take)) > 0
        p.stdout.close()
        return p.wait(60), p.stderr.read().decode()

    assert EXIT_PIPE == 141
    for argv in (["regions", spec, "--geojson", "-", "-q"], ["count-many", spec, "--jsonl", "-", "-q"],
                 ["regions", spec, "-q"]):
        assert stopped_reader(argv) == (141, "")
    if importlib.util.find_spec("plotly") is not None:  # the page holds plotly.js: megabytes, one write
        assert stopped_reader(["regions", spec, "--html", "-"], take=100) == (141, "")


# --- review of the tiny-net path: underflow in the certified float bounds ---------------------------------
# The bounds had no absolute term for underflow: layer_bounds' EH (slope * m rounded to a subnormal, then
# magnified by weights of 2**1000), next_map's one-parent (w m) s (a huge slope magnifies w m's underflow),
# and the Cramer numerators (divided by a tiny determinant).  Wrong counts on nets with weights or slopes
# near 2**-1000; the first case was new with the tiny-net path, the others older, in the batched engine.
# Now EH and the Cramer numerators get TINY, E' gets k (1 + smax) TINY.  Each case against the exact engine.

_UNDERFLOW_TINY_RELU = piecewise_linear("tiny_relu", [0], [0, 2.0**-100], [0, 0])
_UNDERFLOW_S = 1.9390647722186851e-289  # 2**-960 times a 40-bit mantissa: s * 2**-100 rounds to a subnormal
_UNDERFLOW_B = float(-6 * Fraction(2) ** 900 * Fraction(_UNDERFLOW_S))  # exact: the layer-2 line K (x + 2) + K (y + 2) + b is x + y = 2


def _exact_engine_counts(net, window, activation=None):
    r = exact_engine_regions(net, window=window, activation=activation)
    return r.n_activation, r.n_linear


def test_underflow_of_slope_times_map_is_bounded_two_hidden_layers():
    # x + 2 and y + 2 (times s) are on in the whole window; the layer-2 line x + y = 2 only touches the
    # corner (1, 1): one region.  The small path cuts a triangle off the corner (2, 2); before 3f6add7
    # the batched engine left it undecided and the exact engine counted (1, 1).
    s = _UNDERFLOW_S
    layers = [([[s, 0.0], [0.0, s]], [2 * s, 2 * s]), ([[2.0**1000, 2.0**1000]], [_UNDERFLOW_B]), ([[1.0]], [0.0])]
    assert _exact_engine_counts(layers, 1, _UNDERFLOW_TINY_RELU) == (1, 1)
    assert tuple(exact.count_regions(layers, window=1, activation=_UNDERFLOW_TINY_RELU)) == (1, 1)


def test_underflow_of_slope_times_map_is_bounded_three_hidden_layers():
    # the same line one layer deeper, after a first layer that cuts the window at x = 0 (two cells, so
    # the batched engine's next_map takes its several-parents branch): (2, 1), not (3, 2)
    layers = [([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]], [2.0, 2.0, 0.0]), ([[_UNDERFLOW_S, 0.0, 0.0], [0.0, _UNDERFLOW_S, 0.0]], [0.0, 0.0]),
              ([[2.0**1000, 2.0**1000]], [_UNDERFLOW_B]), ([[1.0]], [0.0])]
    act = ["relu", _UNDERFLOW_TINY_RELU, _UNDERFLOW_TINY_RELU]
    assert _exact_engine_counts(layers, 1, act) == (2, 1)
    assert tuple(exact.count_regions(layers, window=1, activation=act)) == (2, 1)


def test_underflow_of_cramer_numerators_is_bounded():
    # three first-layer lines through one point (row 2 = row 0 + 2 row 1, exact in floats), coefficients
    # ~2**-490, in the window [-2**-90, 2**-90]^2: c1 a2 - c2 a1 ~ 2**-1070 underflows (error up to
    # 2**-1075, ~2**-95 in the vertex after division by D ~ 2**-980) while the vertex bound is ~2**-106;
    # the vertex lands off the third line and a sliver cell appears: 7 cells where there are 6
    W = [[5.911399064103994e-148, 3.935252745017053e-148], [4.630890051176232e-148, 5.921485579766828e-148],
         [1.517317916645646e-147, 1.577822390455071e-147]]
    b = [1.4552021146637052e-175, -8.632356073073953e-176, -2.712690999510854e-176]
    assert all(Fraction(W[2][i]) == Fraction(W[0][i]) + 2 * Fraction(W[1][i]) for i in range(2))
    assert Fraction(b[2]) == Fraction(b[0]) + 2 * Fraction(b[1])
    layers = [(W, b), ([[0.0, 0.0, 0.0]], [1.0]), ([[1.0]], [0.0])]
    assert _exact_engine_counts(layers, 2.0**-90) == (6, 1)
    assert tuple(exact.count_regions(layers, window=2.0**-90)) == (6, 1)


def test_underflow_of_weight_times_map_before_a_huge_slope_is_bounded():
    # x + 2 and y + 2 times s, on (slope 2**1000) in the whole window; layer 2 weights 2**-100: the line
    # x + y = 2 touches the corner (1, 1) only.  The small path leaves it undecided; the batched engine
    # (code older than 3f6add7) counts (2, 2)
    huge = piecewise_linear("huge_relu", [0], [0, 2.0**1000], [0, 0])
    s = _UNDERFLOW_S
    layers = [([[s, 0.0], [0.0, s]], [2 * s, 2 * s]), ([[2.0**-100, 2.0**-100]], [_UNDERFLOW_B]), ([[1.0]], [0.0])]
    act = [huge, "relu"]
    assert _exact_engine_counts(layers, 1, act) == (1, 1)
    assert tuple(exact.count_regions(layers, window=1, activation=act)) == (1, 1)


# --- audit of every float filter for underflow (after the review above) ----------------------------------
# last_layer._edges_differ rounded slope * D (and each jump's dslope * D) before the output weights V, and
# its bound had no |V| tiny term: two cells with equal output maps were "certainly different" (14 linear
# regions, not 7), also in tiles.  crosscheck's float forward pass had no absolute term for slope * z: wrong
# patterns on a line.  Now both bounds have them (and chords' t brackets a TINY margin).

_AUDIT_TINY_RELU = piecewise_linear("tiny_relu_audit", [0], [0, 2.0**-100], [0, 0])
# 2**-100 * c = 1000.375 subnormal ulps (2**-1074): it rounds to 1000 ulps, and 2**-100 * (-2 c) to
# -2001 ulps, so 2**1001 fl(s c) + 2**1000 fl(-2 s c) = -2**-74 where the exact sum is 0
_AUDIT_C = 8003 * 2.0**-977


def _underflow_net_equal_maps_across_x0():
    # first layer: x (relu) and six horizontal lines y = t; second layer (slope 2**-100, on in the whole
    # window): z1 = c relu(x) + 4c, z2 = -2c relu(x) + 4c, z3 = sum of the horizontal neurons + 100.
    # Output 1 = 2**1001 s z1 + 2**1000 s z2 does not change across x = 0 (the change 2**1001 s c -
    # 2**1000 s 2c is 0); output 2 changes across every horizontal line.  So the 14 cells make 7 linear
    # regions.  Seven first-layer lines: past the tiny-net path, into the batched engine's last_layer.
    W1 = [[1.0, 0.0]] + [[0.0, 1.0]] * 6
    b1 = [0.0, 0.75, 0.5, 0.25, 0.0, -0.25, -0.5]
    W2 = [[_AUDIT_C] + [0.0] * 6, [-2 * _AUDIT_C] + [0.0] * 6, [0.0] + [1.0] * 6]
    V = [[2.0**1001, 2.0**1000, 0.0], [0.0, 0.0, 2.0**200]]
    return [(W1, b1), (W2, [4 * _AUDIT_C, 4 * _AUDIT_C, 100.0]), (V, [0.0, 0.0])], ["relu", _AUDIT_TINY_RELU]


def test_underflow_reference_of_the_edges_differ_net():
    layers, act = _underflow_net_equal_maps_across_x0()
    r = exact_engine_regions(layers, window=1, activation=act)
    assert (r.n_activation, r.n_linear) == (14, 7)
    c = exact.regions(layers, window=1, activation=act)  # the certified cells' own merge (cell_table): right
    assert (c.n_activation, c.n_linear) == (14, 7)


def test_underflow_of_slope_times_map_difference_in_edges_differ():
    layers, act = _underflow_net_equal_maps_across_x0()
    assert tuple(exact.count_regions(layers, window=1, activation=act)) == (14, 7)


def test_underflow_of_slope_times_map_difference_in_tiles():
    layers, act = _underflow_net_equal_maps_across_x0()
    assert tuple(exact.count_regions(layers, window=1, activation=act, tiles=(2, 1))) == (14, 7)


def _underflow_net_line_through_corner():
    # as test_regressions.py's underflow cases: s (x + 2) and s (y + 2), then 2**-100 (tiny relu), then
    # 2**1000 (each) plus a bias: the layer-2 neuron is exactly 0 on the line x + y = 2
    s = 1.9390647722186851e-289
    b = float(-6 * Fraction(2) ** 900 * Fraction(s))
    layers = [([[s, 0.0], [0.0, s]], [2 * s, 2 * s]), ([[2.0**1000, 2.0**1000]], [b]), ([[1.0]], [0.0])]
    net, _ = read_net(layers, None, _AUDIT_TINY_RELU, 1)
    return net


def test_underflow_reference_of_the_crosscheck_net():
    net = _underflow_net_line_through_corner()
    assert net.pattern_at((Fraction(1), Fraction(1))) == (1, 1, 0)  # on the line: relu's piece 0
    assert net.pattern_at((Fraction(1), Fraction(9, 8))) == (1, 1, 1)


def test_underflow_of_slope_times_z_in_exact_patterns_at():
    net = _underflow_net_line_through_corner()
    pts = np.array([[1.0, 1.0], [1.25, 0.75], [0.5, 1.5]])  # all on x + y = 2
    want = [list(net.pattern_at((Fraction(x), Fraction(y)))) for x, y in pts.tolist()]
    assert exact_patterns_at(net, pts).tolist() == want


def test_api_summary_and_repr_write_the_window_exactly():
    """Fresh-clone trial 4: ``regions(net, window=Decimal("0.1")).summary()`` gave ``'window': 0.1``, the float
    (a wider window than the 1/10 counted), and its repr ``[-0.1, 0.1]^2``; a 3-D net's box likewise."""
    from decimal import Decimal

    net = [([[1.0, 0.0], [0.0, 1.0]], [0.0, -0.05]), ([[1.0, 1.0]], [0.0])]
    r = exact.regions(net, window=Decimal("0.1"))
    assert r.summary()["window"] == "1/10"
    assert "window=[-1/10, 1/10]^2" in repr(r)
    assert exact.regions(net, window=0.5).summary()["window"] == 0.5  # a float that equals it stays a float
    net3 = [([[1.0, 0.0, 0.0]], [0.0]), ([[1.0]], [0.0])]
    assert exact.regions(net3, window=Decimal("0.1")).summary()["box"] == [["-1/10", "1/10"]] * 3


# fresh-clone trial 5: the command line's words, numbers and refusals


def _nets(tmp_path):
    """A 2-D, a 1-D and a 3-D net as JSON spec files (and one with the breakpoint 21/40 on a segment)."""
    specs = {"n2.json": [([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [0.0, 0.0, -0.5])],
             "n1.json": [([[1.0], [-1.0], [2.0]], [0.0, 0.5, -1.0])],
             "n3.json": [([[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0]], [0.0, 0, 0])],
             "bp.json": [([[1.0, 0.0]], ["-21/40"])]}
    paths = {}
    for name, hidden in specs.items():
        layers = hidden + [([[1.0] * len(hidden[0][0])], [0.0])]
        layers = [{"weight": w, "bias": b} for w, b in layers]
        paths[name] = str(tmp_path / name)
        (tmp_path / name).write_text(json.dumps({"layers": layers}))
    return paths


def test_cli_check_window_below_float_resolution_is_a_usage_error(tmp_path):
    """``check --window 1e-400`` was "internal error (ValueError: window must be ... got 0.0)", status 1."""
    n = _nets(tmp_path)
    status, out, err = _cli(["check", n["n2.json"], "--window", "1e-400", "--res", "10"])
    assert status == 2 and out == "" and "internal error" not in err
    assert "--window 1e-400 and --res 10" in err and "pixels 2e-401 wide" in err


def test_check_refuses_windows_its_float_grid_cannot_sample(tmp_path):
    """``check --window=0,1e-400,0,1`` reported 3 exact regions, 3 missed and 2 spurious patterns: the pixel
    centres rounded onto the window's edge; a polygon likewise.  One rule now refuses both ends."""
    from exact.crosscheck import check_sampled_window, cross_check
    from exact.windows import rectangle_window

    n = _nets(tmp_path)
    for window in ("--window=0,1e-400,0,1", "--window=[[0,0],[1e-400,0],[0,1e-400]]"):
        status, out, err = _cli(["check", n["n2.json"], window, "--res", "10", "--json"])
        assert (status, out) == (2, "") and "pixels 1e-401 wide" in err and "check samples a float grid" in err
    with pytest.raises(InputError, match="pixels"):
        cross_check(n["n2.json"], window=(0, Fraction(1, 10**400), 0, 1), res=10)
    with pytest.raises(InputError, match="pixels"):  # a subnormal window: pixels of 2e-321
        cross_check(n["n2.json"], window=1e-320, res=10)
    big = Fraction(2**44)  # pixels 2^-44 times the largest coordinate: the edge of the rule, exactly
    check_sampled_window(rectangle_window(big - 1, big, 0, 1), 1)
    with pytest.raises(InputError, match="2\\^-44"):
        check_sampled_window(rectangle_window(big - 1, big, 0, 1), 2)
    check_sampled_window(Fraction(1, 2**510), 4)  # sides 2^-509: pixels of 2^-511, the smallest taken
    with pytest.raises(InputError, match="1.49e-154 wide"):
        check_sampled_window(Fraction(1, 2**510), 5)
    rep = cross_check(n["n2.json"], window=(0, 1, 0, 1), res=10)  # a window it samples is still checked
    assert (rep.exact_count, rep.sampled_count, rep.spurious) == (2, 2, 0)


def test_cli_interval_window_for_a_1d_net(tmp_path):
    """``regions n1.json --window=-1,1`` was refused (a 1-D net took no interval on the command line), and the
    hint for a rectangle on a 1-D net read "the cube [-B, B]^1, a box lo1,hi1,...,lo1,hi1"."""
    n = _nets(tmp_path)
    status, out, _ = _cli(["regions", n["n1.json"], "--window=-1,1", "--json"])
    want = exact.count_regions(n["n1.json"], window=[(-1, 1)])
    got = json.loads(out)
    assert status == 0 and (got["activation_regions"], got["linear_regions"]) == tuple(want) == (3, 3)
    assert got["window"] == {"box": [-1, 1]}
    status, out, _ = _cli(["count", "1-5-1", "--window=-1,1", "--json"])
    assert status == 0 and json.loads(out)["window"] == {"box": [-1, 1]}
    status, _, err = _cli(["regions", n["n1.json"], "--window", "1,2,3,4"])
    assert status == 2 and "an interval lo,hi" in err and "^1" not in err and "lo1,hi1,...,lo1" not in err
    status, _, err = _cli(["regions", n["n2.json"], "--window=-1,1"])
    assert status == 2 and "--window [-1, 1]: an interval, and this network's input is 2-D" in err
    status, _, err = _cli(["check", n["n2.json"], "--window=-1,1"])  # was "window: give ... got (-1, 1)"
    assert status == 2 and "--window [-1, 1]: an interval, and check's input is 2-D" in err
    status, out, err = _cli(["count-many", n["n1.json"], "--window=-1,1"])  # count_many reads 1-D boxes too
    line = json.loads(out)
    assert status == 0 and line["window"] == {"box": [-1, 1]} and line["activation_regions"] == 3


def test_cli_check_too_large_window_is_named_and_short(tmp_path):
    """``check --window 1e400`` said "cross_check samples ... got Fraction(1000...000, 1)"."""
    status, _, err = _cli(["check", _nets(tmp_path)["n2.json"], "--window", "1e400"])
    assert status == 2 and "got --window 1e+400" in err and "Fraction" not in err and "cross_check" not in err


def test_cli_messages_name_options_not_python_arguments(tmp_path, monkeypatch):
    """Python names in the command line's messages: ``cross_check plane=(x0, x1, x2)``, ``plane:``,
    ``plane[0]``, ``max_cells=20000``, ``memory_tile_budget``, and a JSON spec read as a point file."""
    import exact.html_view

    n = _nets(tmp_path)
    status, _, err = _cli(["check", n["n3.json"]])
    assert status == 2 and "with exactnet regions SPEC (check samples 2-D inputs only" in err
    assert "plane" not in err and "cross_check" not in err and "Python" not in err
    status, _, err = _cli(["check", n["n1.json"]])
    assert status == 2 and "plane" not in err  # a 1-D input has no 2-D slice
    status, _, err = _cli(["regions", n["n3.json"], "--plane", "[[0,0,0],[1,0,0],[2,0,0]]"])
    assert status == 2 and "error: --plane: the three points are collinear" in err
    status, _, err = _cli(["regions", n["n3.json"], "--plane", "[[0,0],[1,0],[0,1]]"])
    assert status == 2 and "error: --plane: point 0 has 2 coordinates" in err
    original = exact.html_view.save_regions_html
    monkeypatch.setattr(exact.html_view, "save_regions_html", lambda *a, **k: original(*a, **k, max_cells=3))
    status, _, err = _cli(["regions", n["n2.json"], "--html", str(tmp_path / "v.html")])
    assert status == 1 and "more than the 3 it draws" in err and "no option of the command line" in err
    assert "max_cells=3" not in err
    budget = ("tile x is over max_memory (y), and the run has 4,096 tiles already (memory_tile_budget: 4,096); "
              "raise max_memory")
    assert exact.cli_values.cli_words(budget).endswith("(the most that --max-memory allows: 4,096); raise --max-memory")
    status, _, err = _cli(["segment", n["n3.json"], "--from-file", n["n2.json"], "--to", "1,1,1"])
    assert status == 2 and f"--from-file {n['n2.json']!r} is not a point file" in err and "Fraction" not in err


def test_cli_command_option_with_value_before_the_command():
    """``exactnet --window 3 count 2-3-1`` said "invalid choice: '3'"; ``--window=3`` was explained."""
    status, out, err = _cli(["--window", "3", "count", "2-3-1"])
    assert (status, out) == (2, "") and "--window 3 goes after the command name: exactnet count" in err
    assert "invalid choice" not in err


def test_cli_empty_positional_file_name_is_a_usage_error(tmp_path):
    """``count-many ''`` wrote a line for ``"file": "."`` (the current folder) and exited 1."""
    status, out, err = _cli(["count-many", ""])
    assert (status, out) == (2, "") and "argument FILE: a file name is empty" in err
    status, out, err = _cli(["regions", ""])
    assert (status, out) == (2, "") and "argument spec: a file name is empty" in err


def test_cli_hints_that_fit(tmp_path):
    """``--color=--`` said "(a file named '--' is ./--)"; ``segment --to 0,0`` asked for "the end point with
    --from"; a 3-D net with --plot said "or drop them"."""
    n = _nets(tmp_path)
    for argv in (["regions", n["n2.json"], "--color=--"], ["count", "2-3-1", "--scheduler=--"]):
        status, _, err = _cli(argv)
        assert status == 2 and "which ends the options" in err and "./--" not in err
    status, _, err = _cli(["regions", n["n2.json"], "--geojson=--"])
    assert status == 2 and "./--" in err  # a file option keeps the hint
    status, _, err = _cli(["segment", n["n2.json"], "--to", "0,0"])
    assert status == 2 and "give the start point with --from" in err
    status, _, err = _cli(["segment", n["n2.json"], "--from", "0,0"])
    assert status == 2 and "give the end point with --to" in err
    status, _, err = _cli(["regions", n["n3.json"], "--plot", str(tmp_path / "a.png"), "--geojson", "b.json"])
    assert status == 2 and "or drop --plot and --geojson for" in err


def test_cli_numbers_written_short(tmp_path):
    """``segment`` printed ``0.52500000000000002  = 21/40``; the window 0,0.10000000000000001,0,1 was written
    ``1.0000000000000001e-1``; the box of ``--window 1e400`` was ``1.00000e+400`` (text and JSON)."""
    n = _nets(tmp_path)
    status, out, _ = _cli(["segment", n["bp.json"], "--from", "0,0", "--to", "1,0"])
    assert status == 0 and "  * 0.525 = 21/40\n" in out
    status, out, _ = _cli(["regions", n["n2.json"], "--window=0,0.10000000000000001,0,1"])
    assert status == 0 and "window: [0, 0.10000000000000001] x [0, 1]\n" in out
    status, out, _ = _cli(["regions", n["n2.json"], "--window", "1e400"])
    assert status == 0 and "window: 1e+400\n" in out and "box: 1e+400\n" in out
    status, out, _ = _cli(["regions", n["n2.json"], "--window", "1e400", "--json"])
    assert status == 0 and json.loads(out)["box"] == "1e+400" == json.loads(out)["window"]


def test_cli_polish_color_order_and_closed_stdout_for_help(tmp_path, monkeypatch):
    """``--color pattern`` without --plot/--html was silently ignored; ``count 3-20-1`` wrote ``input width``
    after ``window``; ``--version >&-`` and ``--help >&-`` exited 0, writing to standard error."""
    import contextlib
    import io
    import sys

    from exact.cli import main

    n = _nets(tmp_path)
    status, _, err = _cli(["regions", n["n2.json"], "--color", "pattern"])
    assert status == 2 and "--color pattern fills --plot and --html" in err
    _, out, _ = _cli(["count", "3-4-1"])
    _, out_r, _ = _cli(["regions", n["n3.json"]])
    for text in (out, out_r):
        keys = [line.split(":")[0].strip() for line in text.splitlines()]
        assert keys.index("input width") < keys.index("window")
    monkeypatch.setattr(sys, "stdout", None)  # as Python starts with descriptor 1 closed
    for argv in (["--version"], ["--help"], ["count", "--help"]):
        with contextlib.redirect_stderr(io.StringIO()) as stderr:
            try:
                status = main(argv)
            except SystemExit as exc:
                status = exc.code
        err = stderr.getvalue()
        assert status == 1 and err.count("\n") == 1 and "standard output is closed" in err


def test_count_many_resume_takes_the_interval_for_its_half_width_for_1d_nets(tmp_path):
    """``count-many --resume`` counted a 1-D net again when one run's window was ``2`` and the next one's
    ``-2,2`` (the interval [-2, 2] either way, once 1-D nets took ``--window lo,hi``); a 2-D net is counted
    in the square for ``2``, and the interval is refused for it."""
    from exact.cli import main

    one, two = str(tmp_path / "one.json"), str(tmp_path / "two.json")
    exact.save_json([([[1.0], [2.0], [-1.0]], [0.0, -1.0, 0.5]), ([[1.0, 1.0, 1.0]], [0.0])], one)
    exact.save_json(THREE_LINES_2D, two)
    out = tmp_path / "r.jsonl"

    def lines():
        return [json.loads(t) for t in out.read_text().splitlines()]

    assert main(["count-many", one, two, "--window", "2", "--jsonl", str(out), "-q"]) == 0
    assert main(["count-many", one, two, "--window=-2,2", "--jsonl", str(out), "--resume", "-q"]) == 1
    assert [(ln["file"], ln.get("error")) for ln in lines()[2:]] == [(two, "InputError")]  # one: done
    out.unlink()
    assert main(["count-many", one, "--window=-2,2", "--jsonl", str(out), "-q"]) == 0
    assert main(["count-many", one, two, "--window", "2", "--jsonl", str(out), "--resume", "-q"]) == 0
    assert [ln["file"] for ln in lines()[1:]] == [two]  # one: already counted in [-2, 2]


def test_underflow_of_a_subnormal_weight_in_exact_patterns_at():
    """Review of the underflow fixes: cross_check's float pass bounded a weight's rounding relatively (U), but
    an exact weight below 2^-1022 rounds with an absolute error (here 1/(3 2^1074) rounds to 0), which an
    input of 2^1000 magnifies: the pattern at (1, 0) came out (1, 0) where the exact one is (1, 1)."""
    from exact.network import ExactNet

    net = ExactNet.from_layers([([[2**1000, 0]], [0]), ([[Fraction(1, 3 * 2**1074)]], [Fraction(-1e-30)]),
                                ([[1]], [0])])
    pts = np.array([[1.0, 0.0], [0.5, 0.25]])
    want = [list(net.pattern_at((Fraction(x), Fraction(y)))) for x, y in pts.tolist()]
    assert want == [[1, 1], [1, 1]]
    assert exact_patterns_at(net, pts).tolist() == want


def test_cross_check_refuses_a_weight_beyond_the_float_range_naming_it():
    """A Fraction weight beyond the float range made ``cross_check`` (and ``exactnet check``) fail with a
    bare OverflowError from float() deep in building its torch copy."""
    net = exact.ExactNet.from_layers([([[1.0, 1.0]], [0.0]), ([[1.0]], [Fraction(-(10**400))])])
    with pytest.raises(InputError, match=r"layer 2's bias \[0\] = -1e\+400 is beyond the float range"):
        exact.cross_check(net, window=1, res=4)
    edge = exact.ExactNet.from_layers([([[1.0, 1.0]], [Fraction(2**1024 - 2**970 - 1)]), ([[1.0]], [0.0])])
    assert exact.cross_check(edge, window=1, res=4).exact_count == 1  # rounds to the largest float: sampled
    with pytest.raises(InputError, match=r"layer 1's bias \[0\]"):  # half an ulp past it rounds to infinity
        exact.cross_check(exact.ExactNet.from_layers([([[1.0, 1.0]], [Fraction(2**1024 - 2**970)]),
                                                      ([[1.0]], [0.0])]), window=1, res=4)


def test_exact_patterns_at_never_decides_a_nan_from_an_overflow(monkeypatch):
    """``exact_patterns_at`` took a pixel as decided unless ``|z - b| <= err``, which is False for a NaN made
    by an overflow (``inf - inf``): the float pattern ``NaN > 0`` (off) was then taken as exact.  A BLAS that
    gives NaN for such a sum would give a wrong exact pattern; forced here by a float pass returning NaN."""
    import exact.crosscheck as crosscheck

    net = exact.ExactNet.from_layers([([[1.0, -1.0]], [0.0]), ([[1.0]], [0.0])])
    pts = np.array([[2.0, 1.0], [1.0, 2.0]])
    nan = np.full((2, 1), np.nan)
    monkeypatch.setattr(crosscheck, "_float_forward", lambda *a: [(nan, nan)])
    assert exact_patterns_at(net, pts).tolist() == [[1], [0]]  # (2, 1) is on: decided exactly
    monkeypatch.setattr(crosscheck, "_float_forward", lambda *a: [(nan, np.full((2, 1), np.inf))])
    assert exact_patterns_at(net, pts).tolist() == [[1], [0]]


def test_cross_check_of_an_overflowing_float_pass_warns_nothing():
    """Weights of 1e300 on a window of 4e10 overflowed the float pass: numpy printed RuntimeWarnings (an
    overflow in matmul, an invalid value in multiply) to a user whose result was right (decided exactly)."""
    import warnings

    net = [([[1e300, 0], [0, 1e300]], [0.0, 0.0]), ([[1.0, -1.0]], [0.0]), ([[1.0]], [0.0])]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rep = exact.cross_check(net, window=4e10, res=10)
    assert rep.exact_count == 5 and rep.unexplained == 0 and rep.exact_filtered == 100


def test_whole_plane_regions_never_take_a_nan_ray_derivative_as_leaving_freely():
    """``exact.regions(net, window=None)`` gave 4 regions for a net with 6: the whole-plane certificate
    (``rays_leave_freely``) read ``|deriv| <= err`` as "may be parallel", and an overflowed derivative
    (``-inf + inf = NaN``, weights 1e150 then 2e155) failed it and every other test, so the constraint
    counted as never cutting the ray and a box of half-width 2 was taken for the whole plane."""
    r, S = 1e150, 2e155
    net = exact.ExactNet.from_layers([([[r, r], [r, 2 * r]], [0.3 * r, 0.0]), ([[3 * S, -S]], [S * r * 40.0]),
                                      ([[1.0]], [0.0])])
    reg = exact.regions(net, window=None)
    assert (reg.n_activation, reg.n_linear) == (6, 5)  # exact_engine_regions(net, window=1000): all within 50


def test_locate_in_cells_with_an_overflowed_float_vertex():
    """``Regions.locate`` returned None for points inside the window: a certified vertex stored as
    ``inf`` with an infinite bound made its cell's float box ``inf - inf = NaN``, which the box filter
    dropped (and numpy printed a RuntimeWarning)."""
    import warnings

    net = exact.ExactNet.from_layers([([[1e100, 0.0], [0.0, 1e100]], [0.0, 0.0]), ([[1.0, 1.0]], [-5e299]),
                                      ([[1.0]], [0.0])])
    h = Fraction(1e200)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reg = exact.regions(net, window=1e200)
        found = reg.locate((h / 10, h / 10))
    assert found is not None and found.pattern == (1, 1, 0)


def test_count_many_resume_names_the_results_file_for_a_bad_line(tmp_path):
    """``count-many --resume`` with a bad line after a good one named the checkpoint of the good line
    (``--jsonl '/.../a.json': line 2 is not a count-many result line``): the loop reused the name of the
    results file's path for each line's recorded net path."""
    from exact.cli import main

    net, out = str(tmp_path / "a.json"), tmp_path / "out.jsonl"
    exact.save_json(THREE_LINES_2D, net)
    assert main(["count-many", net, "--jsonl", str(out), "-q"]) == 0
    with open(out, "a") as f:
        f.write("not json\n")
    with pytest.raises(InputError, match=re.escape(f"--jsonl {str(out)!r}: line 2 is not")):
        exact.cli_many.counted_files(out, 10)


def test_activation_params_in_python_take_fractions_and_numpy_numbers():
    """Fresh-clone trial: ``as_exact_net(..., activation={"name": "leaky_relu", "params": [Fraction(1, 10)]})``
    was refused with a spec-file error calling the parameter a weight ("a weight is a number or an exact
    rational string"); a Fraction is read exactly, a numpy scalar at its value, a Decimal refused as for
    weights (the user chooses its exact value or its float), and a spec's bad parameter is "a parameter"."""
    from decimal import Decimal

    layers = [([[1, 0], [0, 1]], [0, 0]), ([[1, 1]], [0])]
    net = exact.as_exact_net(layers, activation={"name": "leaky_relu", "params": [Fraction(1, 10)]})
    assert net.activations[0].slopes[0] == Fraction(1, 10)
    net = exact.as_exact_net(layers, activation={"name": "leaky_relu", "params": [np.float32(0.5)]})
    assert net.activations[0].slopes[0] == Fraction(1, 2)
    assert exact.count_regions(layers, activation={"name": "leaky_relu", "params": [Fraction(1, 10)]}) == (4, 4)
    with pytest.raises(InputError, match=r"Decimal values are refused: pass Fraction\(d\)"):
        exact.as_exact_net(layers, activation={"name": "leaky_relu", "params": [Decimal("0.1")]})
    with pytest.raises(InputError, match=r"params\[0\] is a list; a parameter is a number"):  # no file: not a
        exact.as_exact_net(layers, activation={"name": "leaky_relu", "params": [[1]]})  # SpecFileError since C6


# --- numeric trial (fresh clone): meta tensors, input width, seed, lam types, -0.0 ---------


def test_numeric_lse_softmax_refuse_meta_tensors_naming_x():
    """Fresh-clone trial: ``numeric.logsumexp(torch.ones(3, device='meta'))`` raised torch's raw
    ``Tensor.item() cannot be called on meta tensors``; a meta tensor has a shape but no values,
    so every function refuses it up front, naming ``x`` (the same for softmax, log_softmax)."""
    import torch

    x = torch.ones(3, device="meta")
    for f in (numeric.logsumexp, numeric.softmax, numeric.log_softmax):
        with pytest.raises(ValueError, match=r"x is a meta tensor .*hold no values"):
            f(x)
        with pytest.raises(ValueError, match=r"x is a meta tensor"):
            f(torch.ones(2, 0, device="meta"))  # even an empty axis: no values to return


def test_numeric_sampling_names_model_input_width():
    """Fresh-clone trial: ``numeric.grid_patterns(numeric.seeded_mlp([3, 4, 1]), window=1, res=10)``
    raised torch's raw ``mat1 and mat2 shapes cannot be multiplied (100x2 and 3x4)``; the grid is
    2-D, so the error names the model and its input width 3 (evaluate_grid too), and
    hidden_preactivations names the width of the points it was given."""
    net = numeric.seeded_mlp([3, 4, 1])
    with pytest.raises(ValueError, match=r"model MLPShallow takes 3-D inputs .*grid_patterns samples 2-D points"):
        numeric.grid_patterns(net, window=1, res=10)
    with pytest.raises(ValueError, match=r"model MLPShallow takes 3-D inputs .*evaluate_grid samples 2-D points"):
        numeric.evaluate_grid(net, window=1, res=10)
    with pytest.raises(ValueError, match=r"model MLPShallow takes 3-D inputs .*got points of width 2"):
        numeric.hidden_preactivations(net, np.zeros((4, 2)))
    assert [z.shape[1] for z in numeric.hidden_preactivations(net, np.zeros((4, 3)))] == [4]


def test_numeric_seeded_mlp_names_bad_seed_and_widths():
    """Fresh-clone trial: ``numeric.seeded_mlp([2, 3, 1], seed="a")`` raised ``invalid literal for
    int()`` from inside torch; the seed is checked first, named with its value, and a bad width is
    named by its place in ``widths`` (not as MLPShallow's ``hidden_size``)."""
    with pytest.raises(TypeError, match=r"seed must be an integer, got str 'a'"):
        numeric.seeded_mlp([2, 3, 1], seed="a")
    with pytest.raises(TypeError, match=r"seed must be an integer, got bool True"):
        numeric.seeded_mlp([2, 3, 1], seed=True)
    with pytest.raises(ValueError, match=r"seed must be in \[-2\*\*63, 2\*\*64 - 1\] .*, got 18446744073709551616"):
        numeric.seeded_mlp([2, 3, 1], seed=2**64)
    with pytest.raises(ValueError, match=r"widths\[1\] must be a positive integer, got 3.0 in \[2, 3.0, 1\]"):
        numeric.seeded_mlp([2, 3.0, 1])
    with pytest.raises(ValueError, match=r"widths\[2\] must be a positive integer, got True"):
        numeric.seeded_mlp([2, 3, True, 1])
    with pytest.raises(ValueError, match=r"widths\[0\] must be a positive integer, got 0"):
        numeric.seeded_mlp([0, 3, 1])
    with pytest.raises(TypeError, match=r"widths must be a sequence of integers, got int 5"):
        numeric.seeded_mlp(5)
    net = numeric.seeded_mlp([np.int64(2), 3, 1], seed=np.int64(7))  # numpy integers are integers
    assert net.fc0.weight.shape == (3, 2)


def test_numeric_lam_accepts_fraction_and_decimal_refuses_complex():
    """Fresh-clone trial: ``numeric.logsumexp(x, lam=Fraction(1, 3))`` said "lam must be a real
    number, got Fraction".  A Fraction or Decimal is real: it is used as the nearest float
    (1/3 -> 0.333...), so the result equals the one for ``lam=float(lam)``; a string or complex
    is refused naming lam and its value; a nonzero lam that has no float (10**400, 10**-400)
    is refused rather than rounded to inf or 0."""
    from decimal import Decimal

    x = np.array([0.0, 1.0, 3.0])
    assert numeric.logsumexp(x, lam=Fraction(1, 3)) == numeric.logsumexp(x, lam=1 / 3)
    assert numeric.softmax(x, lam=Decimal("0.1")).tolist() == numeric.softmax(x, lam=0.1).tolist()
    assert numeric.logsumexp(x, lam=Decimal("-Infinity")) == 0.0  # the min
    with pytest.raises(TypeError, match=r"lam must be a real number .*got complex 1j"):
        numeric.logsumexp(x, lam=1j)
    with pytest.raises(TypeError, match=r"lam must be a real number .*got str '0.5'"):
        numeric.softmax(x, lam="0.5")
    with pytest.raises(ValueError, match=r"lam = Fraction\(1, 10{25}.*\(414 characters\) is nonzero but rounds to 0.0"):
        numeric.softmax(x, lam=Fraction(1, 10**400))
    with pytest.raises(ValueError, match=r"lam = 1000.* is beyond the float range"):
        numeric.logsumexp(x, lam=10**400)
    with pytest.raises(ValueError, match=r"lam must not be NaN, got Decimal\('NaN'\)"):
        numeric.logsumexp(x, lam=Decimal("NaN"))


def test_exact_softmax_reads_decimal_exactly():
    """Fresh-clone trial: ``exact.softmax([Decimal('0.1'), 0])`` said "x[0] must be a number or a
    sympy expression, got Decimal('0.1')".  Windows read Decimals exactly, so do the exact twins:
    Decimal('0.1') is 1/10 (not the float 0.1's binary value), lam too; a non-finite Decimal is
    refused as non-finite.  softmax_exact reads a Decimal exactly instead of guessing with
    nsimplify (Decimal('0.333...3') is not 1/3)."""
    from decimal import Decimal

    import sympy as sp

    from exact.symbolic.expressions import softmax_exact

    e = sp.exp(sp.Rational(1, 10))
    assert [sp.simplify(v - w) for v, w in zip(exact.softmax([Decimal("0.1"), 0]), [e / (e + 1), 1 / (e + 1)])] == [0, 0]
    assert exact.logsumexp([Decimal("0.1"), Decimal("0.1")], lam=Decimal("2")) == sp.Rational(1, 10) + sp.log(2) / 2
    assert exact.softmax([1, 3, 3], lam=Decimal("Infinity")) == [0, sp.Rational(1, 2), sp.Rational(1, 2)]
    with pytest.raises(InputError, match=r"x\[1\] must be finite, got Decimal\('NaN'\)"):
        exact.softmax([0, Decimal("NaN")])
    third = Decimal("0.3333333333333333333333")
    assert softmax_exact([third, 0])[0].has(sp.Rational(3333333333333333333333, 10**22))


def test_numeric_log_softmax_gives_plus_zero_not_minus_zero():
    """Fresh-clone trial: ``numeric.log_softmax(np.array([1., 2., 2.]), lam=-np.inf)`` gave ``-0.0``
    for the unique minimiser (log 1 = +0): ``-log(k)`` at k = 1 in the limits, ``λ (x - m)`` with
    λ < 0 at the dominant entry, ``-log(n)`` for n = 1 at λ = 0.  Every path now returns +0.0
    (numpy and torch); softmax never gave -0.0."""
    import math

    import torch

    cases = [([1.0, 2.0, 2.0], -np.inf, 0), ([1.0, 2.0, 3.0], np.inf, 2), ([1.0], -1.0, 0), ([1.0], 0.0, 0),
             ([1.0, 1000.0], -1.0, 0), ([np.inf, 1.0], 1.0, 0), ([1.0, -np.inf], -2.5, 1)]
    for x, lam, k in cases:
        for arr in (np.array(x), torch.tensor(x), torch.tensor(x, dtype=torch.float32)):
            for f in (numeric.log_softmax, numeric.softmax):
                v = float(f(arr, lam=lam)[k])
                assert v == (1.0 if f is numeric.softmax else 0.0) and math.copysign(1.0, v) == 1.0, (x, lam, f)


# --- fresh-clone trial: drawing far windows, 1-D nets, check --res, truncated .pt, op errors ----------


def _diag_net(tmp_path):
    """The trial's spec t.json: relu(x) + relu(y), four quadrant regions."""
    p = tmp_path / "t.json"
    p.write_text('{"layers": [{"weight": [[1, 0], [0, 1]], "bias": [0, 0]}, {"weight": [[1, 1]], "bias": [0]}]}')
    return str(p)


def _net_1d(tmp_path):
    """relu(x) + relu(1/2 - x): breakpoints 0 and 1/2, three regions."""
    p = tmp_path / "net1d.json"
    p.write_text('{"layers": [{"weight": [[1], [-1]], "bias": [0, 0.5]}, {"weight": [[1, 1]], "bias": [0]}]}')
    return str(p)


def test_plot_of_a_window_wider_than_floats_is_refused_before_any_figure(tmp_path):
    """`exactnet regions t.json --window 1e308 --plot p.png` leaked matplotlib overflow warnings and ended in
    'internal error (ValueError: cannot convert float NaN to integer)': the window is 2e308 wide.  Measured:
    1e307 draws cleanly, 5e307 overflows in a transform; drawings now stop at 2^1000, refused before any
    figure, with no warning, on every drawing path (plot, save_regions_plot, _repr_png_, HTML, 3-D)."""
    import io
    import warnings

    import matplotlib.pyplot as plt

    from exact.plot_limits import check_drawable

    spec = _diag_net(tmp_path)
    far = exact.regions(spec, window=1e308)
    figures = plt.get_fignums()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning leaks from a refused plot
        for draw in (far.plot, lambda: exact.plotting.save_regions_plot(far, io.BytesIO(), format="png"),
                     lambda: exact.save_regions_html(far, str(tmp_path / "far.html"))):
            with pytest.raises(InputError, match=r"window=1\.00e\+308 reaches 1\.00e\+308 and is 2\.00e\+308 "
                                                 r"wide, beyond the float range.*draws in floats.*2\^1000"):
                draw()
        assert far._repr_png_() is None  # a notebook shows the text repr instead
    assert plt.get_fignums() == figures and not (tmp_path / "far.html").exists()
    at_limit = exact.regions(spec, window=2**1000)  # 2^1000 itself draws, without a warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert at_limit._repr_png_()[:4] == b"\x89PNG"
    with pytest.raises(InputError, match=r"window=None \(whole plane\) is drawn in its certified box"):
        check_drawable(exact.Regions(far.net, None, Fraction(2**1001), [], []), "plot")
    cube = exact.regions([([[1, 0, 0], [0, 1, 1]], [0, 0]), ([[1, 1]], [0])], window=1e200)
    with pytest.raises(InputError, match=r"plot_regions_3d: window=1\.00e\+200 .*up to 2\^500"):
        cube.plot()
    status, out, err = _cli(["regions", spec, "--window", "1e308", "--plot", str(tmp_path / "p.png"), "-q"])
    assert status == 2 and "internal error" not in err and not (tmp_path / "p.png").exists()
    assert "--plot: --window 1e+308 reaches 1e+308 and is 2e+308 wide" in err


def test_cli_plot_refusal_advises_the_window_option_not_python(tmp_path):
    """`--window 1e400 --plot p.png` advised 'plot a window instead (regions(net, window=B))': the user gave a
    window, and that is Python syntax on the command line."""
    status, _, err = _cli(["regions", _diag_net(tmp_path), "--window", "1e400", "--plot", str(tmp_path / "p.png")])
    assert status == 2 and "give a smaller window (every coordinate at most 2^1000, as --window B with B at most 2^1000)" in err
    assert "regions(net" not in err and "window=" not in err


def test_one_d_nets_are_not_told_to_give_three_plane_points(tmp_path):
    """A 1-D net's --plot/--geojson/--html/--level-set and Regions.plot() advised --plane (three input points),
    which a 1-D input cannot give; save_regions_html said it 'draws networks with 3-D input' (it draws 2-D
    too).  They now say where a 1-D input's intervals are shown."""
    spec = _net_1d(tmp_path)
    for options in (["--plot", "x.png"], ["--geojson", "x.json"], ["--html", "x.html"], ["--level-set", "0"],
                    ["--decision-boundary"]):
        status, _, err = _cli(["regions", spec, *options])
        assert status == 2 and "exactnet segment SPEC --from LO --to HI" in err and "--plane '" not in err, err
    r = exact.regions(spec, window=3)
    with pytest.raises(InputError, match=r"1-D, whose cells are intervals: .*c\.vertices") as info:
        r.plot()
    assert "plane=" not in str(info.value)
    with pytest.raises(InputError, match=r"^the HTML view draws networks with 2-D and 3-D input; this one's "
                                         r"input is 1-D, whose cells are intervals"):
        exact.save_regions_html(r, str(tmp_path / "x.html"))
    assert sorted(c.vertices for c in r.cells) == [[(-3,), (0,)], [(0,), (Fraction(1, 2),)],
                                                   [(3,), (Fraction(1, 2),)]]  # what the message points to


def test_check_res_range_is_the_real_one_in_the_parser(tmp_path):
    """`exactnet check --res 0` said '--res takes an integer from 1 to 1000000000' while --res 5000 was
    refused later with status 1 ('at most 16,000,000 (--res 4000)'): the parser now states 1 to 4000."""
    spec = _diag_net(tmp_path)
    for res in ("0", "5000"):
        status, _, err = _cli(["check", spec, "--res", res])
        assert status == 2 and "--res takes an integer from 1 to 4000 (16,000,000 pixels" in err, err
    assert _cli(["check", spec, "--window", "1", "--res", "2", "-q"])[0] == 0


def test_one_d_locate_reports_the_shape_given(tmp_path):
    """`regions(net1d, window=3).locate([0.5, 1.0])` reported 'got shape (1, 2)' for an input of shape (2,)."""
    r = exact.regions(_net_1d(tmp_path), window=3)
    with pytest.raises(InputError, match=r"shape \(m, 1\) or \(1,\) for this 1-D network \(one point \[x\], or "
                                         r"several \[\[x1\], \[x2\], \.\.\.\]\), got shape \(2,\)$"):
        r.locate([0.5, 1.0])
    assert r.locate([0.25]).pattern == (1, 1) and r.locate([[0.25], [-1], [1]]).tolist() == [0, 1, 2]


def test_truncated_torch_file_is_called_corrupt_with_torch_reason_whole(tmp_path):
    """`head -c 100 a.pt > b.pt`: torch's reason was cut mid-sentence ('... your checkpoint file is);') and
    the message advised saving model.state_dict(), wrong for a corrupt file."""
    import torch

    from exact.errors import SpecFileError

    m = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    torch.save(m.state_dict(), tmp_path / "a.pt")
    (tmp_path / "b.pt").write_bytes((tmp_path / "a.pt").read_bytes()[:100])
    with pytest.raises(SpecFileError, match=r"'.*b\.pt' could not be read as a torch checkpoint: it may be "
                                            r"truncated or corrupt \(torch: .*\.\)$") as info:
        exact.load_spec(str(tmp_path / "b.pt"))
    assert "state_dict" not in str(info.value) and "checkpoint file is)" not in str(info.value)
    torch.save(m, tmp_path / "model.pt")  # a pickled module: the advice stays
    with pytest.raises(SpecFileError, match=r"Unsupported global.*save model\.state_dict\(\) instead"):
        exact.load_spec(str(tmp_path / "model.pt"))


def test_unsupported_ops_that_are_no_activations_are_network_errors():
    """torch.neg(x) and x.detach() raised UnsupportedActivationError, while x * x, x.clamp(0, 1) and x[:, :2]
    raised UnsupportedNetworkError with the same 'operation ... is not supported' text; so did a LayerNorm
    module.  Only nonlinear functions of one value (sigmoid, tanh) are activation errors now."""
    import torch

    from exact.errors import UnsupportedActivationError, UnsupportedNetworkError

    class Op(torch.nn.Module):
        def __init__(self, f):
            super().__init__()
            self.l0, self.l1, self.f = torch.nn.Linear(2, 2), torch.nn.Linear(2, 1), f

        def forward(self, x):
            return self.l1(self.f(self.l0(x)))

    # (torch.neg is read since session 14: -x is affine, exact.scalar_ops)
    cases = [("detach", lambda h: h.detach(), False), ("mul", lambda h: h * h, False),
             ("getitem", lambda h: h[:, :2], False),   # (clamp(0, 1) is read as Hardtanh since session 14)
             ("sigmoid", torch.sigmoid, True), ("tanh", lambda h: h.tanh(), True)]
    for name, f, activation in cases:
        with pytest.raises(UnsupportedNetworkError, match=f"operation '{name}' is not supported") as info:
            exact.count_regions(Op(f), window=1)
        assert (info.type is UnsupportedActivationError) == activation, name
    for module, activation in ((torch.nn.LayerNorm(2), False), (torch.nn.Sigmoid(), True)):
        with pytest.raises(UnsupportedNetworkError, match="is not a supported piecewise-linear") as info:
            exact.count_regions(torch.nn.Sequential(torch.nn.Linear(2, 2), module, torch.nn.Linear(2, 1)),
                                window=1)
        assert (info.type is UnsupportedActivationError) == activation, module


def test_window_inf_as_text_is_refused_as_the_number_is():
    """window='inf' was quietly the whole plane in the API while window=float('inf') was refused; the README
    documents 'inf' on the command line only.  Both say to give None; --window inf stays the whole plane."""
    net = [([[1.0, 0.0]], [0.0]), ([[1.0]], [0.0])]
    for w in ("inf", " +Infinity"):
        with pytest.raises(InputError, match=rf"got {re.escape(repr(w))} \(for the whole plane give None or 'plane'\)"):
            exact.count_regions(net, window=w)
    assert exact.count_regions(net, window="plane") == exact.count_regions(net, window=None)


def test_readme_names_exact_vertices_and_count_many_takes_an_interval(tmp_path):
    """The README said `cell.polygon` is exact (a float shapely polygon; `cell.vertices` are exact) and that a
    1-D interval window is 'not yet in count-many', which reads it."""
    readme = open(os.path.join(os.path.dirname(__file__), "..", "README.md"), encoding="utf-8").read()
    assert "`cell.polygon` (exact)" not in readme and "use `cell.vertices` (exact" in readme
    assert "not yet in `count-many`" not in readme
    cell = exact.regions(_diag_net(tmp_path), window=1).cells[0]
    assert all(type(v) is Fraction for p in cell.vertices for v in p)
    assert all(type(v) is float for p in cell.polygon.exterior.coords for v in p)
    status, out, _ = _cli(["count-many", _net_1d(tmp_path), "--window=-1,1", "-q"])
    line = json.loads(out)
    assert status == 0 and line["window"] == {"box": [-1, 1]} and line["activation_regions"] == 3


def test_decision_boundary_over_the_same_level_set_stays_distinguishable(tmp_path):
    """--level-set 0 --decision-boundary of one output: the orange boundary hid the red level set f0 = 0 it
    equals.  The boundary is now dashed on top, and its label says it is the same set."""
    from matplotlib.figure import Figure

    r = exact.regions(_diag_net(tmp_path), window=2)
    arts = exact.plotting.plot_regions(r, ax=Figure().add_subplot(), level_set=0, decision_boundary=True)
    level, boundary = arts[3], arts[5]  # fill, 2 boundary kinds, f0 = 0 (+ flat), decision boundary
    assert level.get_label() == "$f_{0} = 0$" and level.get_linestyle()[0][1] is None  # solid
    assert boundary.get_label() == "decision boundary (the same set as $f_{0} = 0$)"
    assert boundary.get_linestyle()[0][1] is not None  # dashed, drawn after (over) the level set
    labels = [t.get_text() for t in arts[0].axes.get_legend().get_texts()]
    assert "decision boundary (the same set as $f_{0} = 0$)" in labels
    other = exact.plotting.plot_regions(r, ax=Figure().add_subplot(), level_set=1, decision_boundary=True)
    assert other[4].get_label() == "decision boundary"  # f0 = 1 is another set: no note


def test_area_floats_raise_nothing_under_errstate_raise_for_a_flat_polygon():
    """Review of the double-double area filter: for a zero-area or clockwise polygon its gap test took
    ``nextafter`` of 0 (a subnormal) before it checked the decided range, so under
    ``np.errstate(all="raise")`` it raised FloatingPointError (it never gave a wrong float)."""
    from exact.area_floats import rounded_areas

    with np.errstate(all="raise"):
        got = rounded_areas([(0, 0, 1), (1, 1, 1), (2, 2, 1), (1, 0, 1)], np.array([0, 1, 2, 0, 1, 3]),
                            np.array([0, 3, 6]))
    assert np.isnan(got).all()  # area 0; a clockwise triangle: left to the exact shoelace sum


def test_cross_check_splits_spurious_patterns_of_pixel_centres_on_a_boundary():
    """Fresh-clone trial: |x| as relu(x) + relu(-x) checked at res=3 reported 3 "sampled regions" of 2 and one
    "spurious pattern from float error", though the middle column of centres lies exactly on x = 0, where the
    exact pattern is (0, 0): the line's, no region's.  Spurious patterns are now split into those on a boundary
    and those from float error; the repr is short (digit strings of the first missed patterns)."""
    layers = [([[1, 0], [-1, 0]], [0, 0]), ([[1, 1]], [0])]
    rep = exact.cross_check(layers, window=1, res=3)
    assert (rep.exact_count, rep.sampled_count, rep.spurious, rep.disagreements) == (2, 3, 1, 0)
    assert (rep.boundary_patterns, rep.float_patterns) == (1, 0)
    assert exact_patterns_at(exact.ExactNet.from_layers(layers), np.array([[0.0, 0.0]])).tolist() == [[0, 0]]  # the line's
    d = rep.as_dict()
    assert (d["spurious_patterns"], d["boundary_patterns"], d["float_error_patterns"]) == (1, 1, 0)
    even = exact.cross_check(layers, window=1, res=4)  # no centre on x = 0
    assert (even.sampled_count, even.spurious, even.boundary_patterns, even.float_patterns) == (2, 0, 0, 0)
    rep.missed = [((0, 1, 1, 0), 0.5)] * 5
    text = repr(rep)
    assert "'0110', '0110', '0110', … and 2 more" in text and "boundary 1" in text and len(text) < 300
    status, out, _ = _cli(["check", "--help"])
    assert status == 0 and "exactly on a boundary" in " ".join(out.split())


def test_check_text_report_names_sampled_patterns_and_spurious_kinds(tmp_path):
    """Fresh-clone trial: `exactnet check` wrote "sampled regions: 3" for 2 regions; its text now says
    patterns, and which spurious ones lie on a boundary; --json keeps its old keys and adds the two kinds."""
    spec = tmp_path / "absnet.json"
    spec.write_text('{"layers":[{"weight":[[1,0],[-1,0]],"bias":[0,0]},{"weight":[[1,1]],"bias":[0]}]}')
    status, out, _ = _cli(["check", str(spec), "--window", "1", "--res", "3", "-q"])
    lines = {k.strip(): v.strip() for k, v in (ln.split(":", 1) for ln in out.splitlines())}
    assert status == 0 and lines["sampled patterns"] == "3" and lines["spurious on a boundary"] == "1"
    assert lines["spurious from float error"] == "0" and "sampled regions" not in lines
    status, out, _ = _cli(["check", str(spec), "--window", "1", "--res", "3", "--json", "-q"])
    data = json.loads(out)
    assert data["sampled_regions"] == 3 and data["boundary_patterns"] == 1 and data["float_error_patterns"] == 0


def test_safetensors_layers_whose_names_do_not_sort_in_order_load_by_their_shapes(tmp_path):
    """Fresh-clone trial: a .safetensors of layers `input_layer`, `hidden`, `output` was refused ("the layers
    do not chain in this order (hidden, input_layer, output)"), while the same weights load as .pt.  When the
    natural order of the names does not chain, the one order in which the shapes chain is taken; when the
    shapes chain in several orders, the message says how to load the file."""
    rng = np.random.default_rng(5)
    W1, W2, W3 = rng.normal(size=(4, 2)), rng.normal(size=(3, 4)), rng.normal(size=(1, 3))
    b1, b2, b3 = rng.normal(size=4), rng.normal(size=3), rng.normal(size=1)
    t = {"input_layer.weight": W1, "input_layer.bias": b1, "hidden.weight": W2, "hidden.bias": b2,
         "output.weight": W3, "output.bias": b3}
    f = _safetensors_file(tmp_path / "named.safetensors", {k: ("F64", v) for k, v in t.items()})
    want = exact.ExactNet.from_layers([(W1, b1), (W2, b2), (W3, b3)])
    got = exact.load_spec(f)
    assert got.widths == (2, 4, 3, 1) and got.weights == want.weights and got.biases == want.biases
    assert exact.count_regions(f, window=3) == exact.count_regions(want, window=3)
    sq = {"input_layer.weight": W1, "hidden.weight": rng.normal(size=(4, 4)), "mid.weight": rng.normal(size=(4, 4)),
          "output.weight": rng.normal(size=(1, 4))}  # hidden/mid chain either way round: refused
    g = _safetensors_file(tmp_path / "sq.safetensors", {k: ("F64", v) for k, v in sq.items()})
    with pytest.raises(exact.SpecFileError, match=r"chain in more than one order \(.*\): rename them .*as_exact_net"):
        exact.load_spec(g)


def test_training_checkpoint_dict_is_read_from_its_one_state_dict_entry(tmp_path):
    """Fresh-clone trial: torch.save({"epoch": 3, "model_state_dict": sd, "optimizer_state_dict": ...}) was
    refused ("entry 'epoch' is an int, not a tensor").  Its one entry that is a dict of tensors is read;
    two such entries are refused, naming both."""
    torch = pytest.importorskip("torch")
    model = torch.nn.Sequential(torch.nn.Linear(2, 5), torch.nn.ReLU(), torch.nn.Linear(5, 1)).double()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.ones(3, 2, dtype=torch.float64)).sum().backward()
    opt.step()
    sd = model.state_dict()
    torch.save({"epoch": 3, "model_state_dict": sd, "optimizer_state_dict": opt.state_dict()}, tmp_path / "ck.pt")
    assert exact.count_regions(tmp_path / "ck.pt", window=2) == exact.count_regions(model, window=2)
    torch.save({"model": sd, "ema": sd, "step": 7}, tmp_path / "two.pt")
    with pytest.raises(exact.SpecFileError, match="several state_dicts, 'model' and 'ema'"):
        exact.load_spec(tmp_path / "two.pt")
    torch.save({"epoch": 3, "extra": torch.zeros(2), "model": sd}, tmp_path / "own.pt")  # a tensor of its own
    with pytest.raises(exact.SpecFileError, match="entry 'epoch' is an int"):
        exact.load_spec(tmp_path / "own.pt")


def test_point_given_as_text_is_called_a_point_not_a_weight():
    """Fresh-clone trial: count_on_segment(net, [-1, '2/3'], [1, 1]) and plane=([0,0],[1,'x'],[0,1]) said
    "...is the string '2/3'; weights are numbers, not text" of a point.  They now say a point's coordinates."""
    net = [([[1, 0], [0, 1]], [0, 0]), ([[1, 1]], [0])]
    with pytest.raises(InputTypeError, match=r"^a\[1\] is the string '2/3'; a point's coordinates are numbers"):
        exact.count_on_segment(net, [-1, "2/3"], [1, 1])
    with pytest.raises(InputTypeError, match=r"is the string 'x'; a point's coordinates are numbers"):
        exact.regions(net, plane=([0, 0], [1, "x"], [0, 1]))
    with pytest.raises(InputTypeError, match=r"is the string 'x'; a point's coordinates are numbers"):
        exact.ExactNet.from_layers(net).restrict_to_plane([0, 0], [1, "x"], [0, 1])
    with pytest.raises(InputTypeError, match=r"^weight of layer 0\[0, 0\] is the string '1/2'; weights are numbers"):
        exact.regions([([["1/2", 0]], [0]), ([[1]], [0])])


def test_nan_in_a_state_dict_names_its_key_and_layer_from_one(tmp_path):
    """Fresh-clone trial: NaN at `2.weight` (the second affine layer) was "weight of layer 1 contains nan at
    neuron 3, input 5", while other messages count layers from 1 ("hidden layer 1", "layer 2's weight").
    A state_dict's message now names the key and the layer from 1."""
    torch = pytest.importorskip("torch")
    m = torch.nn.Sequential(torch.nn.Linear(2, 6), torch.nn.ReLU(), torch.nn.Linear(6, 4), torch.nn.ReLU(),
                            torch.nn.Linear(4, 1))
    with torch.no_grad():
        m[2].weight[3, 5] = float("nan")
        m[4].bias[0] = float("inf")
    torch.save(m.state_dict(), tmp_path / "nan.pt")
    with pytest.raises(exact.SpecFileError, match=r"nan\.pt': weight 2\.weight \(affine layer 2 of 3\) contains "
                                                  r"nan at neuron 3, input 5; weights must be finite"):
        exact.load_spec(tmp_path / "nan.pt")
    sd = {k: v.numpy() for k, v in m.state_dict().items()}
    sd["2.weight"][3, 5] = 0.0
    with pytest.raises(InputError, match=r"bias 4\.bias \(affine layer 3 of 3\) contains inf at neuron 0"):
        exact.as_exact_net(sd)


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="Linux only (/proc, pidfd, prctl)")
def test_pool_workers_end_when_their_creator_is_killed(tmp_path):
    """Fresh-clone trial: `exactnet count-many ... --jobs 2` killed by SIGKILL (or SIGTERM) left the fork server,
    both workers and the resource tracker running for good, holding its stdout open (`| tail` hung).  The workers
    of exactnet's own pools now watch their creator (exact.worker_lifeline); the rest then ends.  Every process
    of the creator's session must be gone a few seconds after the kill."""
    import signal
    import subprocess
    import sys
    import time

    script = tmp_path / "pool.py"
    script.write_text("import time\nfrom exact.worker_threads import process_pool\nif __name__ == '__main__':\n"
                      "    pool = process_pool(2)\n    list(pool.map(abs, [-1, -2, -3]))\n"
                      "    print('ready', flush=True)\n    time.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                            start_new_session=True, cwd=tmp_path)

    def session() -> list[int]:
        found = []
        for name in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{name}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[3]) == proc.pid and fields[0] != "Z":
                found.append(int(name))
        return found

    assert proc.stdout.readline().strip() == "ready"
    assert len(session()) >= 4  # the script, the fork server, two workers (and the resource tracker)
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 5
    while session() and time.monotonic() < deadline:
        time.sleep(0.05)
    left = session()
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert left == []


def test_legend_stays_in_a_default_figure_on_the_users_own_axes():
    """Fresh-clone trial: r.plot(ax=ax, decision_boundary=True) on fig, ax = plt.subplots() put the legend
    below the axes, its bottom edge at -12 px: cut off in fig.savefig.  On a figure with no layout engine
    the legend now goes inside the axes; figures with one (ax=None makes a constrained one) keep it below."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    r = exact.regions([([[1, 0], [0, 1], [1, 1]], [0, 0, -0.5]), ([[1, -1, 1]], [0.2])], window=2)
    for layout in (None, "constrained"):
        fig = Figure(figsize=(6.4, 4.8), layout=layout)  # plt.subplots()'s default size
        ax = fig.add_subplot()
        r.plot(ax=ax, decision_boundary=True)
        FigureCanvasAgg(fig).draw()  # rendered with Agg: the layout engine has run
        box, frame = ax.get_legend().get_window_extent(), fig.bbox
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1, (layout, box)
        below = box.y1 <= ax.get_window_extent().y0
        assert below == (layout == "constrained")


def test_count_many_progress_bar_shows_elapsed_time_not_a_rate_with_start_up_in_it(tmp_path, monkeypatch):
    """Fresh-clone trial: `exactnet count-many one.pt --window 0.1` showed `1/1 [00:04, 4.17s/net]` while the
    JSON line said "seconds": 0.0096: the bar's clock started before the pool and its workers' imports.  The
    bar now shows the count and the time elapsed (start-up included, said so), no rate per net."""
    import exact.many_nets as many_nets  # count-many's bar is count_many's own (timed_counts(progress=...))
    from exact._progress import progress_bar

    bars = []

    def recording(*args, **kwargs):
        bars.append((kwargs, progress_bar(*args, **kwargs)))
        return bars[-1][1]

    monkeypatch.setattr(many_nets, "progress_bar", recording)
    spec = tmp_path / "n.json"
    spec.write_text('{"layers": [{"weight": [[1, 0]], "bias": [0]}, {"weight": [[1]], "bias": [0]}]}')
    status, out, _ = _cli(["count-many", str(spec), "--window", "1"])
    assert status == 0 and json.loads(out.splitlines()[0])["activation_regions"] == 2
    (kwargs, bar), = bars
    assert kwargs["rate"] is False and bar.n == 1 and bar.total == 1
    text = str(bar)
    assert "1/1 nets" in text and "elapsed, start-up included" in text and "/net" not in text and "/s" not in text
    assert "net/s" in str(progress_bar(True, 1, "nets", unit="net")) or "s/net" in str(
        progress_bar(True, 1, "nets", unit="net"))  # the default bar keeps its rate


def test_a_checkpoints_own_activation_entry_is_not_dropped(tmp_path):
    """Review of the checkpoint reading: ``{"epoch": 3, "model_state_dict": sd, "activation": "abs"}`` was
    read from its state_dict entry alone, so the abs net was counted as a ReLU net, silently."""
    import torch

    from exact.errors import SpecFileError
    from exact.loading import load_spec

    sd = {"0.weight": torch.tensor([[1.0, 0.0], [0.0, 1.0]]), "0.bias": torch.zeros(2),
          "2.weight": torch.tensor([[1.0, 1.0]]), "2.bias": torch.zeros(1)}
    torch.save({"epoch": 3, "model_state_dict": sd, "activation": "abs"}, tmp_path / "c.pt")
    assert [a.name for a in load_spec(str(tmp_path / "c.pt")).activations] == ["abs"]
    torch.save({"model_state_dict": {**sd, "activation": "relu"}, "activation": "abs"}, tmp_path / "d.pt")
    with pytest.raises(SpecFileError, match="disagrees"):
        load_spec(str(tmp_path / "d.pt"))


def test_unnumbered_safetensors_names_whose_order_chains_with_another_are_refused(tmp_path):
    """Review (older than the by-shapes ordering): a .safetensors with layers a_first 4x2, c_second 4x4,
    b_third 4x4, d_out 1x4 was read in the names' natural order, which chains, swapping the two hidden
    layers with no error.  Unnumbered names are now trusted only when no other order chains."""
    import torch
    from test_formats import write_safetensors

    from exact.errors import SpecFileError
    from exact.loading import load_spec

    rng = np.random.default_rng(0)
    state = {}
    for name, (o, i) in [("a_first", (4, 2)), ("c_second", (4, 4)), ("b_third", (4, 4)), ("d_out", (1, 4))]:
        state[name + ".weight"] = torch.tensor(rng.normal(size=(o, i)), dtype=torch.float32)
        state[name + ".bias"] = torch.tensor(rng.normal(size=o), dtype=torch.float32)
    with pytest.raises(SpecFileError, match="not numbered and their shapes chain in more than one order"):
        load_spec(str(write_safetensors(tmp_path / "n.safetensors", state)))


def test_terminate_workers_ends_a_pool_whose_worker_died_while_writing_a_result(tmp_path):
    """Intermittent CI hang: `exactnet count 2-128^6 --tiles 8 --jobs 2` did not end on SIGTERM (about one run
    in ten on a loaded machine).  A worker terminated while writing a tile's result left part of a message in
    the pool's result pipe; the pool's manager thread waited for the rest for ever (the creator holds a copy of
    the pipe's write end), and the shutdown waited for that thread.  Once unblocked, the manager thread of
    Python 3.11.7 (no fix of CPython gh-107219) died of the futures the caller had cancelled, printing a
    traceback and leaving the thread that feeds jobs stuck on a 1 MB job no worker reads, which held up the
    exit.  Here a job writes half a result itself, deterministically; the script must end, quietly."""
    run = _run_pool_script(tmp_path,
                           "    pool = process_pool(1)\n"
                           "    futures = [pool.submit(half_a_result), pool.submit(len, b'x' * (1 << 20))]\n"
                           "    futures += [pool.submit(abs, -k) for k in range(4)]\n"
                           "    time.sleep(1.0)\n"
                           "    print(sum(f.cancel() for f in futures), flush=True)  # as the tiles' loop does\n"
                           "    ending.terminate_workers(pool)\n"
                           "    print('ended', flush=True)\n")
    assert run.stdout.split() == ["4", "ended"], run.stderr
    assert run.returncode == 0 and run.stderr == ""


@pytest.mark.parametrize("command", [["count", "2-32-32-32-1", "--tiles", "2", "--jobs", "2", "-q"],
                                     ["count-many", "a.json", "b.json", "--jobs", "2", "-q"]])
def test_sigterm_while_a_pool_starts_a_worker_leaves_no_worker_unknown_to_the_pool(tmp_path, command):
    """Found probing `exactnet count-many ... --jobs 2` with SIGTERM at moments of its start (2 of 16 runs): a
    worker started inside ProcessPoolExecutor.submit when the signal landed was not yet listed in the pool, so
    nothing ended it; once exactnet had gone, it printed a CPython traceback (FileNotFoundError, unpickling the
    pool's semaphores) into the terminal.  Submits now hold Ctrl-C and SIGTERM back until they return
    (exact.held_interrupts).  Here the signal lands right after the first worker is started, before the pool
    lists it: when main() returns, every worker this process started must have ended."""
    import subprocess
    import sys

    rng = np.random.default_rng(4)
    for name in ("a.json", "b.json"):
        exact.save_json([(rng.normal(size=(8, 2)), rng.normal(size=8)), (rng.normal(size=(1, 8)), [0.0])],
                        tmp_path / name)
    script = tmp_path / "early.py"
    script.write_text(
        "import multiprocessing, os, signal\n"
        "from multiprocessing.context import ForkServerProcess\n"
        "from exact.cli import main\n"
        "start = ForkServerProcess.start\n"
        "def start_then_sigterm(self):\n"
        "    start(self)\n"
        "    if not getattr(ForkServerProcess, 'sent', False):\n"
        "        ForkServerProcess.sent = True\n"
        "        os.kill(os.getpid(), signal.SIGTERM)\n"
        "ForkServerProcess.start = start_then_sigterm\n"
        "if __name__ == '__main__':\n"
        f"    code = main({command!r})\n"
        "    print(code, [p.pid for p in multiprocessing.active_children()], flush=True)\n")
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert run.stdout.split() == ["143", "[]"], run.stdout + run.stderr
    assert "Traceback" not in run.stderr


_HALF_A_RESULT = (
    "import os, signal, struct, sys, threading, time\n"
    "import exact.pool_ending as ending\n"
    "from exact.held_interrupts import held_submit\n"
    "from exact.worker_threads import process_pool\n"
    "def half_a_result():\n"
    "    frame = sys._getframe()\n"
    "    while 'result_queue' not in frame.f_locals:\n"
    "        frame = frame.f_back\n"
    "    writer = frame.f_locals['result_queue']._writer\n"
    "    os.write(writer.fileno(), struct.pack('!i', 1 << 20) + b'x' * 10)  # 10 bytes of 1 MiB\n"
    "    time.sleep(60)\n"
    "def deaf():\n"
    "    signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "    time.sleep(60)\n"
    "def half_a_result_then_die(child=False):\n"
    "    frame = sys._getframe()\n"
    "    while 'result_queue' not in frame.f_locals:\n"
    "        frame = frame.f_back\n"
    "    if child and os.fork() == 0:  # a child of the job keeps the result pipe's write end open\n"
    "        time.sleep(8)\n"
    "        os._exit(0)\n"
    "    os.write(frame.f_locals['result_queue']._writer.fileno(), struct.pack('!i', 1 << 20) + b'x' * 10)\n"
    "    os._exit(137)  # as the out-of-memory killer would end it\n"
    "if __name__ == '__main__':\n")


def _run_pool_script(tmp_path, body: str):
    import subprocess
    import sys

    script = tmp_path / "pool_script.py"
    script.write_text(_HALF_A_RESULT + body)
    return subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=30, cwd=tmp_path,
                          start_new_session=True)


def test_a_second_ctrl_c_inside_terminate_workers_waits_until_the_pool_is_ended(tmp_path):
    """Review of terminate_workers: a second Ctrl-C (or SIGTERM) landing inside it cut its cleanup short, and
    the exit then hung on the pool's manager thread (a half-written result, a worker slow to die).  It now holds
    interrupts (exact.held_interrupts.interrupts_held) and raises the second one when the pool has ended."""
    run = _run_pool_script(tmp_path,
                           "    ending.TERMINATE_GRACE = 1.0\n"
                           "    pool = process_pool(2)\n"
                           "    futures = [pool.submit(half_a_result), pool.submit(deaf)]\n"
                           "    time.sleep(1.5)\n"
                           "    threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()  # the 2nd Ctrl-C\n"
                           "    start = time.monotonic()\n"
                           "    try:\n"
                           "        ending.terminate_workers(pool)\n"
                           "    except KeyboardInterrupt:\n"
                           "        print('raised after the grace:', time.monotonic() - start >= 1.0, flush=True)\n")
    assert run.stdout.split() == ["raised", "after", "the", "grace:", "True"], run.stderr
    assert run.returncode == 0


def test_terminate_workers_settles_the_futures_a_dying_manager_thread_left(tmp_path):
    """Review of terminate_workers: on Python 3.11.7 the manager thread of a broken pool sets the error on the
    futures in order and dies at the first the caller cancelled (CPython gh-107219), leaving the later ones
    pending for ever (a .result() on them never returned).  They are now cancelled (or failed) after it."""
    run = _run_pool_script(tmp_path,
                           "    pool = process_pool(1)\n"
                           "    futures = [pool.submit(half_a_result), pool.submit(len, b'x' * (1 << 20))]\n"
                           "    futures += [pool.submit(abs, -1), pool.submit(abs, -2)]\n"
                           "    time.sleep(1.5)\n"
                           "    futures[2].cancel()  # a job not started is cancelled by the caller, the next is not\n"
                           "    ending.terminate_workers(pool)\n"
                           "    print([f.done() for f in futures], futures[3].cancelled(), flush=True)\n")
    assert run.stdout.split() == ["[True,", "True,", "True,", "True]", "True"], run.stderr
    assert run.returncode == 0 and run.stderr == ""


def test_terminate_workers_gives_all_workers_one_grace_not_one_each(tmp_path):
    """Review of terminate_workers: workers that ignore SIGTERM were each given TERMINATE_GRACE seconds in turn
    (two such workers: twice the grace before the SIGKILLs); the grace is now one deadline for all."""
    run = _run_pool_script(tmp_path,
                           "    ending.TERMINATE_GRACE = 2.0\n"
                           "    pool = process_pool(2)\n"
                           "    futures = [pool.submit(deaf), pool.submit(deaf)]\n"
                           "    time.sleep(1.5)\n"
                           "    start = time.monotonic()\n"
                           "    ending.terminate_workers(pool)\n"
                           "    print(round(time.monotonic() - start, 1), flush=True)\n")
    assert 1.9 <= float(run.stdout) < 3.5, run.stdout + run.stderr


def test_a_worker_killed_while_sending_its_result_fails_the_wait_instead_of_hanging_it(tmp_path):
    """Found while fixing the SIGTERM hang: a worker that dies while writing its result (the out-of-memory
    killer, kill -9) leaves the pool's manager thread waiting for the rest for ever, so no future ever
    completes and count_many / count_regions(tiles=..., executor=...) waited for good.  Their waits now go
    through exact.pool_ending.wait_first, which ends such a pool: the future fails with BrokenProcessPool."""
    run = _run_pool_script(tmp_path,
                           "    pool = process_pool(1)\n"
                           "    future = pool.submit(half_a_result_then_die)\n"
                           "    start = time.monotonic()\n"
                           "    done = ending.wait_first([future], pool)\n"
                           "    print(done == {future}, type(future.exception()).__name__,\n"
                           "          time.monotonic() - start < 15, flush=True)\n")
    assert run.stdout.split() == ["True", "BrokenProcessPool", "True"], run.stdout + run.stderr


def test_whole_plane_summary_says_its_areas_are_of_the_bounded_cells_only():
    """Fresh-clone trial (a teacher): `exactnet regions net --window plane` for the lines x=0, y=0, x+y=1 printed
    `smallest area: 0.5 / largest area: 0.5` while six of its seven cells are unbounded (they have no area), and
    said nothing of it.  The whole-plane summary now gives the numbers of bounded and unbounded cells."""
    net = [([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [0.0, 0.0, -1.0]), ([[1.0, 1.0, 1.0]], [0.0])]
    plane = exact.regions(net, window=None).summary()
    assert (plane["bounded_cells"], plane["unbounded_cells"], plane["activation_regions"]) == (1, 6, 7)
    assert plane["smallest_area"] == plane["largest_area"] == 0.5  # the one bounded triangle
    windowed = exact.regions(net, window=2).summary()
    assert "bounded_cells" not in windowed and windowed["largest_area"] == 4.0


# --- fresh-clone trial (a teacher): argument errors, honest example output, colour bars, BOM, 1-D plot --------


def test_softmax_temperature_example_prints_significant_digits(tmp_path, monkeypatch, capsys):
    """Fresh-clone trial: examples/softmax_temperature.py printed ``np.round(p, 5)``, so the lambda=10 line read
    ``[0.0000e+00 5.0000e-05 9.9995e-01]`` for the true 2.06e-09, 4.54e-05, 0.999955; it now prints 6
    significant digits, checked here against the formula exp(λ(σ_k - 3)) / Σ exp(λ(σ_j - 3)) in math."""
    import math
    import runpy
    import sys

    import matplotlib.pyplot as plt

    monkeypatch.setattr(sys, "argv", ["softmax_temperature.py", str(tmp_path / "s.png")])
    runpy.run_path(os.path.join(os.path.dirname(__file__), "..", "examples", "softmax_temperature.py"))
    plt.close("all")
    line = next(s for s in capsys.readouterr().out.splitlines() if s.startswith("lambda=      10 "))
    shown = [float(v) for v in line.split("softmax=[")[1].split("]")[0].split()]
    terms = [math.exp(10 * (s - 3)) for s in (1, 2, 3)]
    for got, want in zip(shown, [t / sum(terms) for t in terms]):
        assert abs(got - want) <= 1e-6 * want, line


def test_locate_refuses_a_string_point_naming_it():
    """Fresh-clone trial: ``regions(net, window=1).locate("0,0")`` said "point must have 2 coordinates, got 3"
    (it counted the string's characters); a str (or a lone number) is now refused as not a point."""
    r = exact.regions([([[1, 0], [0, 1]], [0, 0]), ([[1, 1]], [0])], window=1)
    with pytest.raises(InputTypeError, match=r"^point must be a pair \(x, y\) or a list of pairs, "
                                             r"got '0,0'$"):
        r.locate("0,0")
    with pytest.raises(InputTypeError, match=r"^point must be a pair .* got 0\.5$"):
        r.locate(np.float64(0.5))
    assert r.locate(np.array([0.5, 0.5])).pattern == (1, 1)


def test_exact_lse_names_a_string_entry_by_its_index_in_1d_x():
    """Fresh-clone trial: ``exact.logsumexp(["1", "2"], lam=1)`` said "x[0][0] must be a number" (a str was
    taken for a row of characters); the bad entry is x[0].  A 2-D x still names [row][column]."""
    for f in (exact.logsumexp, exact.softmax, exact.log_softmax):
        with pytest.raises(InputTypeError, match=r"^x\[0\] must be a number or a sympy expression, got '1'$"):
            f(["1", "2"], lam=1)
    with pytest.raises(InputTypeError, match=r"^x\[1\] must be a number .*, got b'2'$"):
        exact.logsumexp([1, b"2"], lam=1)
    with pytest.raises(InputTypeError, match=r"^x\[0\]\[1\] must be a number .*, got '2'$"):
        exact.logsumexp([[1, "2"]], lam=1)


def test_activation_params_given_in_python_are_refused_as_input_not_as_a_spec_file(tmp_path):
    """Fresh-clone trial: ``as_exact_net(layers, activation={"name": "leaky_relu", "params": ["a"]})`` raised
    SpecFileError "... a weight is a number ...": no file is read and the value is a slope parameter.  It is
    now an InputError calling it a parameter; the same entry in a JSON file is still a SpecFileError."""
    from exact.errors import SpecFileError

    layers = [([[1, 0], [0, 1]], [0, 0]), ([[1, 1]], [0])]
    bad = {"name": "leaky_relu", "params": ["a"]}
    with pytest.raises(InputError, match=r"^activation\.params\[0\] is the string 'a'; a parameter is a "
                                         r"number or an exact rational string") as info:
        exact.as_exact_net(layers, activation=bad)
    assert not isinstance(info.value, SpecFileError)
    with pytest.raises(InputError, match=r"^activation\[0\]\.params\[0\] is the string 'a'; a parameter") as info:
        exact.as_exact_net(layers, activation=[bad])
    assert not isinstance(info.value, SpecFileError)
    path = tmp_path / "net.json"
    path.write_text(json.dumps({"layers": [{"weight": w, "bias": b} for w, b in layers], "activation": bad}))
    with pytest.raises(SpecFileError, match=r"activation\.params\[0\] is the string 'a'; a parameter is"):
        exact.load_spec(str(path))


@pytest.mark.parametrize("call, kwargs, error, message", [
    ("plot_lse_contours", {"lams": 10}, TypeError, r"lams must be a sequence of numbers such as \(1, 10, 100\), "
                                                   r"got int 10"),
    ("plot_lse_contours", {"lams": ["1"]}, TypeError, r"lams\[0\] must be a real number, got str '1'"),
    ("plot_lse_contours", {"lams": [1, float("nan")]}, ValueError, r"lams\[1\] must not be NaN"),
    ("plot_lse_contours", {"lams": [0]}, ValueError, r"lams\[0\] is 0, where lse is undefined"),
    ("plot_lse_contours", {"bound": 0}, ValueError, r"bound must be a finite number > 0 .*got 0$"),
    ("plot_lse_contours", {"bound": -1}, ValueError, r"bound must be a finite number > 0 .*got -1$"),
    ("plot_lse_contours", {"bound": float("nan")}, ValueError, r"bound must be a finite number > 0 .*got nan$"),
    ("plot_lse_contours", {"bound": 10 ** 400}, ValueError, r"bound must be a finite number > 0"),
    ("plot_lse_contours", {"res": 1}, ValueError, r"res must be an integer from 2 to 4000 .*got 1$"),
    ("plot_lse_contours", {"res": 20.0}, TypeError, r"res must be an integer, got float 20\.0"),
    ("plot_lse_contours", {"levels": 0}, ValueError, r"levels must be an integer from 1 to 1000 .*got 0$"),
    ("plot_softmax_images", {"bound": 0}, ValueError, r"bound must be a finite number > 0 .*got 0$"),
    ("plot_softmax_images", {"lams": []}, ValueError, r"lams must hold at least one number, got \[\]"),
    ("plot_softmax_images", {"res": 0}, ValueError, r"res must be an integer from 1 to 4000 .*got 0$"),
])
def test_numeric_plots_name_a_bad_argument_and_its_value(call, kwargs, error, message):
    """Fresh-clone trial: ``plot_lse_contours(lams=10)`` raised "object of type 'int' has no len()", bound=0,
    -1 or nan were drawn silently (plot_softmax_images too), res=1 failed inside matplotlib and levels=0 with a
    ZeroDivisionError; each is now refused up front, naming the argument and its value."""
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    with pytest.raises(error, match=message):
        getattr(numeric, call)(**kwargs)
    assert plt.get_fignums() == before  # refused before any figure is made


def test_plot_model_images_names_bounds_not_window():
    """Fresh-clone trial: ``plot_model_images(net, bounds=(0,))`` said "window must be ..." (the parameter is
    ``bounds``); a bad entry is now named by its index in bounds."""
    from numeric.models import seeded_mlp

    with pytest.raises(ValueError, match=r"^bounds\[1\] must be a finite number > 0 .*got 0$"):
        numeric.plot_model_images(seeded_mlp([2, 3, 1]), bounds=(1.0, 0), res=4)
    with pytest.raises(TypeError, match=r"^bounds must be a sequence of numbers .*got float 1\.0"):
        numeric.plot_model_images(seeded_mlp([2, 3, 1]), bounds=1.0, res=4)


def test_numeric_colour_bars_go_to_the_axes_own_figure_not_pyplot():
    """Fresh-clone trial: plot_softmax_images / plot_model_images called ``plt.colorbar(im, ax=ax)``: on axes of
    a ``matplotlib.figure.Figure()`` that warned once per panel ("Adding colorbar to a different Figure") and
    left a stray empty pyplot figure.  The bars now use ``ax.figure``: no warning, no pyplot figure."""
    import warnings

    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    from numeric.models import seeded_mlp

    before = plt.get_fignums()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = Figure()
        ims = numeric.plot_softmax_images(lams=(1, 10), res=8, axes=fig.subplots(2, 2).ravel())
        fig2 = Figure()
        ims += numeric.plot_model_images(seeded_mlp([2, 3, 1]), bounds=(1.0, 10.0), res=8,
                                         axes=fig2.subplots(1, 2))
    assert plt.get_fignums() == before
    assert len(fig.axes) == 4 + 4 and len(fig2.axes) == 2 + 2  # each panel has its colour bar in its figure
    assert all(im.colorbar is not None and im.colorbar.ax.figure is im.axes.figure for im in ims)


def test_a_json_spec_with_a_utf8_byte_order_mark_is_read(tmp_path):
    """Fresh-clone trial: a JSON spec saved with a UTF-8 BOM (as Windows editors write) was refused with
    Python's hint "decode using utf-8-sig"; it is now read, giving the same network as without the mark."""
    plain = tmp_path / "plain.json"
    exact.save_json([([[1, 0], [0, 1]], [0, 0]), ([[1, -1]], [Fraction(1, 3)])], str(plain))
    bom = tmp_path / "bom.json"
    bom.write_bytes(b"\xef\xbb\xbf" + plain.read_bytes())
    a, b = exact.load_spec(str(plain)), exact.load_spec(str(bom))
    assert (a.weights, a.biases) == (b.weights, b.biases) and list(b.biases[1]) == [Fraction(1, 3)]
    assert exact.count_regions(str(bom), window=1) == (4, 4)


def test_regions_nd_plot_of_a_1d_net_names_itself_and_says_what_shows_intervals():
    """Fresh-clone trial: ``RegionsND.plot()`` on a 1-D net named plot_regions_3d in its error; it now names
    RegionsND.plot and (as before) says what shows a 1-D input's intervals.  There is no 1-D drawing in the
    package, so a 1-D ``_repr_png_()`` stays None (the notebook shows the text repr)."""
    r = exact.regions([([[1], [-1]], [0, 1]), ([[1, 1]], [0])], window=2)
    with pytest.raises(InputError, match=r"^RegionsND\.plot draws networks with 3-D input; this one's input is "
                                         r"1-D, whose cells are intervals: .*count_on_segment") as info:
        r.plot()
    assert "plot_regions_3d" not in str(info.value)
    assert r._repr_png_() is None


# --- the verified-derivation sheet (fresh-clone trial) ---------------------------------------

def _limit_fact(d, value):
    """The index of the fact ``Limit(f, λ, ∞) = value`` and the symbols of ``f`` by name."""
    import sympy as sp

    i = next(i for i, f in enumerate(d.facts) if isinstance(f.lhs, sp.Limit) and f.rhs == value)
    lim = d.facts[i].lhs
    return i, lim, {s.name: s for s in lim.args[0].free_symbols}


def test_limit_infinity_checks_the_squeeze_not_only_the_limit_of_its_bound():
    """Fresh-clone trial: ``limit-infinity``'s ✔ covered lim 1/((n-1)e^{-dλ}+1) = 1 but not the squeeze
    "1/(1+(n-1)e^{-λd}) ≤ softmax_{j*} ≤ 1" written beside it: the limit of another bound (n + 5 in
    place of n) or of a "lower bound" above 1 still verified.  The bound is now derived from softmax's
    definition in a checked chain (the ≥ by a proof of the sign of the difference), and the limit must
    be taken of exactly that bound."""
    import sympy as sp

    from exact.symbolic.theorems import THEOREMS

    d = THEOREMS["limit-infinity"]()
    i, lim, sym = _limit_fact(d, 1)
    n, dd, lam = sym["n"], sym["d"], sym["lambda"]
    above_one = 1 / (1 - (n - 1) * sp.exp(-dd * lam))   # tends to 1 too, but is > 1 > softmax
    assert d.verified
    assert not d.replaced(fact=i, lhs=lim.subs(n, n + 5)).verified
    assert not d.replaced(fact=i, lhs=sp.Limit(above_one, lam, sp.oo)).verified
    (k,) = [k for k, s in enumerate(d.steps) if s.relation == ">="]   # the lower bound of softmax_{j*}
    assert d.steps[k].expr == lim.args[0] and not d.replaced(step=k, expr=above_one).verified


def test_limit_ties_checks_the_squeeze_not_only_the_limit_of_its_bound():
    """Fresh-clone trial, as for ``limit-infinity``: ``limit-ties`` checked lim 1/(t + r e^{-λd}) = 1/t,
    not "1/(t + r e^{-λd}) ≤ softmax_{j*} ≤ 1/t"; now both bounds are derived from the definition."""
    import sympy as sp

    from exact.symbolic.theorems import THEOREMS

    d = THEOREMS["limit-ties"]()
    t = sp.Symbol("t", integer=True, positive=True)
    i, lim, sym = _limit_fact(d, 1 / t)
    r, dd, lam = sym["r"], sym["d"], sym["lambda"]
    assert d.verified
    assert not d.replaced(fact=i, lhs=lim.subs(r, r + 5)).verified
    assert not d.replaced(fact=i, lhs=sp.Limit(1 / (t - r * sp.exp(-dd * lam)), lam, sp.oo)).verified
    upper = [k for k, s in enumerate(d.steps) if s.relation == "<="]
    assert [d.steps[k].expr for k in upper] == [1 / t] and not d.replaced(step=upper[0], expr=1 / (t + 1)).verified


def _wrong_derivation():
    """A derivation whose one step is false, ``(x + 1)^2 = x^2 + 1``: its check must fail."""
    import sympy as sp

    from exact.symbolic.derivation import Derivation

    x = sp.Symbol("x", positive=True)
    d = Derivation("broken", "$(x + 1)^2 = x^2 + 1$")
    d.start((x + 1) ** 2)
    d.step(x**2 + 1, "wrong expansion")
    return d

def test_sheet_stops_with_status_1_and_writes_nothing_when_a_derivation_fails(tmp_path, monkeypatch, capsys):
    """Fresh-clone trial: a derivation that failed inside ``exactnet sheet`` exited with 2, the status of a
    usage or input error; a failure while working is 1 (README), with one line and no traceback."""
    from exact.cli import main
    from exact.symbolic import theorems

    monkeypatch.setitem(theorems.THEOREMS, "softmax-values", _wrong_derivation)
    out = tmp_path / "s"
    assert main(["sheet", "--out", str(out), "--res", "10", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err == "exactnet sheet: failed: broken: step 1 'wrong expansion' not verified: (x + 1)**2 = x**2 + 1\n"
    assert not out.exists() or list(out.iterdir()) == []


def test_sheet_second_zoom_does_not_say_one_boundary_meets():
    """Fresh-clone trial: with seed 3 no two dashed boundaries of the deep net share an endpoint, yet 3(d)
    said "and 1 meet at (1.6996, -2.2602)" and the panel "zoom: 1 dashed boundaries meet".  The count
    of boundaries at a point is now exact, and with no shared endpoint the zoom shows the shortest one."""
    from collections import Counter

    from exact.sheet import _deep_panels
    from numeric import seeded_mlp

    def most_met(rplane):  # endpoints compared as fractions, independently of the sheet
        segs = [(p, q) for k, (_, _, p, q) in enumerate(rplane.boundaries) if not rplane.is_linear_boundary(k)]
        at = Counter(pt for seg in segs for pt in {(Fraction(X, D), Fraction(Y, D)) for X, Y, D in seg})
        return max(at.values())

    for seed, met in ((3, 1), (0, 4)):
        deep = seeded_mlp([2, 5, 5, 5, 5, 1], seed=seed)
        rplane, small = exact.regions(deep, window=None), exact.regions(deep, window=1.0)
        panels, caption = _deep_panels(rplane, [small] * 3)
        assert most_met(rplane) == met
        if met == 1:
            assert "no two of them share an endpoint" in caption and " meet at " not in caption
            assert panels[-1].title.startswith("zoom: the shortest dashed boundary\n")
        else:
            assert f"and {met} meet at $(" in caption and panels[-1].title.startswith(f"zoom: {met} dashed")


def test_sheet_3c_does_not_call_the_distance_ratio_bounded():
    """Fresh-clone trial: 3(c) said the distance |b|/‖w‖ is "occasionally large when ‖w‖ is small", then
    that the crowding "follows from the init's bounded bias-to-weight ratio", which is not bounded.  The
    prose now names what is bounded, |b| ≤ 1/√2 (checked here on the net's exact biases)."""
    from exact.sheet import _shallow_counts_section
    from numeric import seeded_mlp
    from numeric.models import layers_of

    net = seeded_mlp([2, 20, 1])
    text = "\n".join(_shallow_counts_section(net).lines)
    assert "bounded bias-to-weight ratio" not in text and "the ratio itself is not bounded" in text
    assert "$|b| \\le 1/\\sqrt2$" in text
    assert all(2 * Fraction(float(b)) ** 2 <= 1 for b in layers_of(net)[0][1])


def test_a_repeated_ctrl_c_gets_through_a_held_submit_that_blocks_for_good(tmp_path):
    """Review of held_submit: with the manager thread stuck on a dead worker's half result, each submit writes to
    its wakeup pipe; at 16384 submits the pipe is full and submit blocks for ever.  Held, every Ctrl-C was lost
    (only SIGKILL ended the process); the same signal a second time inside the block is now handed over."""
    run = _run_pool_script(tmp_path,
               "    pool = process_pool(1)\n"
               "    pool.submit(half_a_result_then_die)\n"
               "    time.sleep(1.5)\n"
               "    for at in (3, 4):\n"
               "        threading.Timer(at, os.kill, (os.getpid(), signal.SIGINT)).start()\n"
               "    try:\n"
               "        for n in range(40000):\n"
               "            held_submit(pool, abs, -1)\n"
               "    except KeyboardInterrupt:\n"
               "        print('interrupted', n >= 16000, flush=True)\n"
               "    os._exit(0)\n")
    assert run.stdout.split() == ["interrupted", "True"], run.stdout + run.stderr


def test_terminate_workers_does_not_hold_ctrl_c_while_a_worker_s_child_holds_the_result_pipe(tmp_path):
    """Review of terminate_workers: when a child of the dead worker still holds the result pipe's write end,
    closing this process's copy does not end the manager thread's read, and manager.join() waited (Ctrl-C held)
    for as long as that child lived.  The join now gives up after TERMINATE_GRACE, quietly."""
    run = _run_pool_script(tmp_path,
               "    ending.TERMINATE_GRACE = 1.0\n"
               "    pool = process_pool(1)\n"
               "    future = pool.submit(half_a_result_then_die, True)\n"
               "    time.sleep(1.5)\n"
               "    start = time.monotonic()\n"
               "    threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT)).start()\n"
               "    try:\n"
               "        ending.terminate_workers(pool)\n"
               "    except KeyboardInterrupt:\n"
               "        print('interrupted', time.monotonic() - start < 6, type(future.exception()).__name__,\n"
               "              flush=True)\n"
               "    os._exit(0)\n")
    assert run.stdout.split() == ["interrupted", "True", "BrokenProcessPool"], run.stdout + run.stderr
    assert "Traceback" not in run.stderr


def test_a_wide_d_dimensional_box_is_refused_with_its_true_power_of_two():
    """Fresh-clone trial (C3): ``count 100-2-1`` said "2^100 vertices, about 9.26e+10 TB" and ``784-16-1``
    "6.98e+11 TB" (the size was taken at 2^64 corners) and advised raising --max-memory.  The size is now
    2^d times the bytes of one corner, 2^100 x 892 bytes (a tuple of 101 entries, two list slots, a tight
    set), and no budget is offered for it."""
    from exact.nd.job_memory import box_corner_bytes

    assert box_corner_bytes(100) == 2**100 * 892                            # 1.13e33 bytes
    for mem in ("2GB", None):
        with pytest.raises(exact.ResourceLimitError,
                           match=r"the 100-D box alone has 2\^100 corners, at least 1\.1e\+33 bytes: more than any"
                           ) as e:
            exact.count_regions([([[1] * 100, [0] * 99 + [1]], [0, 0]), ([[1, 1]], [0])], window=1, max_memory=mem)
        assert "raise max_memory" not in str(e.value)


def test_a_20_20_1_net_is_refused_before_its_box_is_built():
    """Fresh-clone trial (B1): ``count 20-20-1 --max-memory 2GB`` built the 2^20 corners (16-18 s, 1.9 GB) and
    ended in a MemoryError: the first cut's table of corner pairs, 16 bytes x 2^19 x 2^19 for a hyperplane
    through the centre, is now counted up front.  By hand: x_1 = 0 has 2^19 corners on each side."""
    import time

    layers = [([[1] + [0] * 19] + [[1] * 20] * 19, [0] * 20), ([[1] * 20], [0])]
    start = time.perf_counter()
    with pytest.raises(exact.ResourceLimitError, match=r"the 20-20-1 net needs at least 4\.4 TB .* 524,288 x "
                                                       r"524,288 pairs"):
        exact.count_regions(layers, window=10, max_memory="2GB")
    assert time.perf_counter() - start < 2


def test_the_exact_rank_of_a_dense_20_by_20_matrix_is_fast():
    """``exact.nd.polytope.rank`` eliminated without dividing, so the entries doubled in length at every
    column: the whole space of a 20-20-1 net spent 56 s in the rank of its first layer's 20 x 20 weights
    (float weights: 50-bit integers).  Rows are now kept primitive; a Vandermonde matrix has full rank."""
    import time

    from exact.nd.polytope import rank

    vander = [[(k + 2) ** j * 2**50 + 1 if j == 0 else (k + 2) ** j for j in range(18)] for k in range(18)]
    start = time.perf_counter()
    assert rank(vander) == 18
    assert rank(vander + [[2 * v for v in vander[3]]]) == 18 and rank(vander[:5] + vander[:5]) == 5
    assert time.perf_counter() - start < 1


def test_prove_stops_with_status_1_when_a_derivation_fails(monkeypatch, capsys):
    """Teacher trial, follow-up: `exactnet sheet` now exits 1 on a failed derivation, and `exactnet prove` still
    exited 2 (the status of a usage or input error) for the same failure.  Both say so in one line, status 1."""
    from exact.cli import main
    from exact.symbolic import theorems

    monkeypatch.setitem(theorems.THEOREMS, "softmax-values", _wrong_derivation)
    assert main(["prove", "softmax-values"]) == 1
    captured = capsys.readouterr()
    assert captured.err == ("exactnet prove: failed: broken: step 1 'wrong expansion' not verified: "
                            "(x + 1)**2 = x**2 + 1\n") and captured.out == ""


def test_hessian_psd_chain_starts_from_the_hessian_not_from_an_abstract_p():
    """Helper review of the squeeze fix: ``hessian``'s vᵀHv ≥ 0 chain started from λ(δ_km p_k − p_k p_m)
    with an abstract p, linked to the computed Hessian by its words only.  It now starts from the
    definition vᵀ(∂p_k/∂σ_m)v, goes to the entries of the chain above (checked summand by summand) and
    writes p for softmax in a checked step; the abstract form as vᵀHv, or the p-part doubled, is refused."""
    import sympy as sp

    from exact.symbolic.theorems import THEOREMS

    d = THEOREMS["hessian"]()
    (i,) = [i for i, s in enumerate(d.steps) if i and s.relation == ""]
    assert d.steps[i].expr.has(sp.Derivative) and d.steps[i + 1].expr.has(d.steps[3].expr)
    assert d.verified
    pform = d.steps[i + 2].expr   # Σ_k Σ_m v_k λ(δ_km p_k − p_k p_m) v_m, p abstract: the old unchecked start
    assert not d.replaced(step=i + 1, expr=pform).verified
    twice = d   # the p-part of the chain doubled, vᵀHv = 2λ Var_p(v) ≥ 0: the old chain, doubled, verified
    for k in range(i + 2, len(d.steps)):
        twice = twice.replaced(step=k, expr=2 * d.steps[k].expr)
    assert not twice.verified


def test_limit_ties_example_is_the_limit_of_the_softmax_it_names():
    """Helper review: the example's check computed the limits of whatever vector was written, not that it
    is the softmax of (x, x, x − d); the limits of softmax(0, 0, −2d) (also (1/2, 1/2, 0)) verified."""
    import sympy as sp

    from exact.symbolic.expressions import softmax_vec
    from exact.symbolic.theorems import THEOREMS

    d = THEOREMS["limit-ties"]()
    i = len(d.facts) - 1
    lim = d.facts[i].lhs[0]
    lam = lim.args[1]
    (gap,) = [s for s in lim.args[0].free_symbols if s.name == "d"]
    assert d.verified and d.facts[i].rhs == sp.Matrix([[sp.Rational(1, 2), sp.Rational(1, 2), 0]])
    other = sp.Matrix([[sp.Limit(p, lam, sp.oo) for p in softmax_vec([0, 0, -2 * gap], lam)]])
    assert not d.replaced(fact=i, lhs=other).verified


def test_max_regions_switch_fact_is_checked_on_the_network_pieces():
    """Helper review: "f_on − f_off = a_i z_i" was checked as (a z + c) − c = a z, nothing about a network;
    pieces that are not the net's affine maps (the inactive neuron k counted on both sides) verified.  Now
    each piece is compared with Σ a_l max(0, z_l) + c on its region."""
    import sympy as sp

    from exact.symbolic.theorems import THEOREMS

    d = THEOREMS["max-regions"]()
    i = len(d.facts) - 1
    rhs = d.facts[i].rhs
    extra = sp.Symbol("a_k", real=True) * sp.Symbol("z_k", real=True)
    assert d.verified
    wrong = sp.Add(rhs + extra, sp.Mul(-1, extra, evaluate=False), evaluate=False)
    assert not d.replaced(fact=i, lhs=wrong).verified


def test_softmax_counterexamples_are_differences_of_softmax_definitions():
    """Helper review: ``softmax-values``' "softmax(σ3)_3 − softmax(σ1)_3 > 0" and ``temperature``'s
    counterexample proved the sign of values written by hand, tied to softmax by their labels only; the
    sides are now the definitions exp(λσ_k)/Σ_j exp(λσ_j) of the vectors named."""
    import sympy as sp

    from exact.symbolic.expressions import softmax_vec
    from exact.symbolic.theorems import THEOREMS

    def sm(xs):
        return softmax_vec([sp.Integer(x) for x in xs], 1)

    values, temperature = THEOREMS["softmax-values"](), THEOREMS["temperature"]()
    assert values.facts[-1].lhs == sm([10, 20, 30])[2] - sm([1, 2, 3])[2]
    assert temperature.facts[-1].lhs == sm([1, 2, 3])[0] - sm([10, 20, 30])[0]
    assert values.verified and temperature.verified
    assert not temperature.replaced(fact=0, lhs=sm([10, 20, 30])[0] - sm([1, 2, 3])[0]).verified


def test_ctrl_c_while_the_command_line_is_imported_ends_with_one_line_not_a_traceback(tmp_path):
    """Fresh-clone trial (researcher): a Ctrl-C in the first ~0.3 s of `exactnet count 2-5-1`, while exact.cli
    was being imported, ended with a KeyboardInterrupt traceback (5 of 5 tries between 0.08 and 0.26 s).  The
    console script now starts in exact.command_entry, which turns it into one line and status 130."""
    import subprocess
    import sys

    code = ("import sys\n"
            "class Interrupt:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name == 'exact.cli':\n"
            "            raise KeyboardInterrupt\n"
            "sys.meta_path.insert(0, Interrupt())\n"
            "sys.argv = ['exactnet', 'count', '2-5-1']\n"
            "from exact.command_entry import run\n"
            "run()\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert (run.returncode, run.stderr, run.stdout) == (130, "exactnet: interrupted\n", "")


def test_a_killed_tile_worker_is_reported_as_such_not_as_a_bug(monkeypatch, capsys):
    """Fresh-clone trial (researcher): `kill -9` of a worker of `exactnet count ... --tiles 4 --jobs 2` (what the
    out-of-memory killer does) ended with "internal error (BrokenProcessPool ...). This is a bug: please report
    it".  It is now one line saying a worker ended abruptly, status 1."""
    from concurrent.futures.process import BrokenProcessPool

    from exact import _api, cli

    def broken(*args, **kwargs):
        raise BrokenProcessPool("A process in the process pool was terminated abruptly")

    monkeypatch.setattr(_api, "count_regions", broken)
    assert cli.main(["count", "2-8-1", "--tiles", "2", "--jobs", "2"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("exactnet count: a worker process ended abruptly (killed: out of memory?)")
    assert "bug" not in err


def test_ctrl_c_to_the_group_while_the_fork_server_imports_prints_no_traceback(tmp_path):
    """Fresh-clone trial (researcher): Ctrl-C in a terminal reaches every process of the group; 1.2-1.6 s into
    `exactnet count-many ... --jobs 2` the fork server (or the resource tracker), still importing, printed a
    KeyboardInterrupt traceback (once "Fatal Python error: init_import_site") under exactnet's own line.  They
    are now started with SIGINT ignored.  Here the fork server's import is made slow on purpose and gets a
    SIGINT in the middle: it must print nothing and go on to serve the pool."""
    import subprocess
    import sys

    (tmp_path / "slow_import.py").write_text("import time\ntime.sleep(2.0)\n")
    script = tmp_path / "group.py"
    script.write_text(
        "import multiprocessing, os, signal, threading, time\n"
        "from multiprocessing import forkserver\n"
        "from exact.worker_threads import process_pool, start_fork_server_deaf_to_ctrl_c\n"
        "if __name__ == '__main__':\n"
        "    multiprocessing.get_context('forkserver').set_forkserver_preload(['slow_import'])\n"
        "    def ctrl_c():\n"
        "        time.sleep(0.8)  # the fork server is in slow_import\n"
        "        os.kill(forkserver._forkserver._forkserver_pid, signal.SIGINT)\n"
        "    threading.Thread(target=ctrl_c).start()\n"
        "    start_fork_server_deaf_to_ctrl_c()  # as the command line does before its pools\n"
        "    with process_pool(1) as pool:\n"
        "        print(pool.submit(abs, -3).result(), flush=True)\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60, cwd=tmp_path,
                         env=env, start_new_session=True)
    assert (run.stdout, run.stderr) == ("3\n", "")


def test_a_sigterm_after_the_command_has_finished_does_not_turn_it_into_a_killed_run(tmp_path):
    """Fresh-clone trial (researcher): a SIGINT or SIGTERM in the last milliseconds, after the summary was
    printed, ended a complete run by that signal (exit -2 / -15: a job scheduler records a failure; 8 times in
    runs stopped near their end).  Once the command has returned, the console script ignores both."""
    import subprocess
    import sys

    code = ("import atexit, os, signal, sys, time\n"
            "atexit.register(lambda: (os.kill(os.getpid(), signal.SIGTERM), time.sleep(0.2)))  # while exiting\n"
            "sys.argv = ['exactnet', 'count', '2-3-1', '--json']\n"
            "from exact.command_entry import run\n"
            "run()\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith('{"widths": "2-3-1"')


def test_an_nd_cut_whose_vertex_pair_table_passes_max_memory_is_refused_before_it_is_made():
    """Fresh-clone trial (teacher) and the n-D size work: at 12-12-1 the process grew by 0.5 - 0.9 GB in the
    tables of vertex pairs a cut compares (16 bytes a pair, held at once) while the running estimate, which
    counts cells only, said 24 - 63 MB; with --max-memory 500MB it ran on towards GBs.  Each cut's table is now
    checked against the room left (`exactnet count 12-12-1 --max-memory 500MB` is refused after 6 s: "cutting
    a cell of 13,252 vertices compares 5,206 x 8,046 vertex pairs at once (670 MB)").  Exact counts of the
    sides decide; an uneven cut is not refused for what an even one would need."""
    from exact.errors import ResourceLimitError
    from exact.nd.layer_cells import _check_pair_table
    from exact.nd.polytope import box, pair_table_bytes

    cube = box([Fraction(-1)] * 8, [Fraction(1)] * 8)  # 256 corners
    middle = (1, 0, 0, 0, 0, 0, 0, 0, 0)  # x1 = 0: 128 corners on each side
    need = pair_table_bytes(128, 128, len(cube.rows))
    assert need == 16 * 128 * 128
    _check_pair_table(cube, middle, need)  # fits exactly
    _check_pair_table(cube, middle, None)  # no limit
    with pytest.raises(ResourceLimitError, match=r"compares 128 x 128 vertex pairs"):
        _check_pair_table(cube, middle, need - 1)
    corner = (1, 1, 1, 1, 0, 0, 0, 0, 3)  # x1 + ... + x4 = -3: 240 corners above, 16 below
    _check_pair_table(cube, corner, 16 * 240 * 16)  # an even split would need 16 * 128 * 128: not what decides
    with pytest.raises(ResourceLimitError, match=r"compares 240 x 16 vertex pairs"):
        _check_pair_table(cube, corner, 16 * 240 * 16 - 1)
    import numeric

    net = numeric.seeded_mlp([9, 9, 1], seed=0)  # the cells' estimate alone would let it run past 20 MB
    with pytest.raises(ResourceLimitError, match=r"vertex pairs at once \(10.6 MB\), more than the"):
        exact.count_regions(net, window=10, max_memory=20_000_000)


def test_the_library_leaves_the_fork_server_of_its_callers_hearing_ctrl_c(tmp_path):
    """Review of the fork-server fix: process_pool started the (one per process) fork server with SIGINT
    ignored, and it passes that on to every worker it forks, so a user's own forkserver pools made later
    ignored Ctrl-C too.  Only the command line asks for it now (start_fork_server_deaf_to_ctrl_c)."""
    import subprocess
    import sys

    script = tmp_path / "user.py"
    script.write_text(
        "import multiprocessing, signal\n"
        "from exact.worker_threads import process_pool\n"
        "def handler():\n"
        "    return signal.getsignal(signal.SIGINT) is signal.default_int_handler\n"
        "if __name__ == '__main__':\n"
        "    with process_pool(1) as pool:\n"
        "        pool.submit(abs, -1).result()\n"
        "    with multiprocessing.get_context('forkserver').Pool(1) as mine:\n"
        "        print(mine.apply(handler), flush=True)\n")
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert run.stdout == "True\n", run.stderr


# state_dict order helper, session 11
# A state_dict keeps the order a module registered its layers in, not the order forward runs them.

def _st_write_session11(path, state):
    """A .safetensors file of the state_dict's tensors, in the dict's order (test_formats' writer)."""
    from test_formats import write_safetensors

    return write_safetensors(path, state, order=list(state))


def _misregistered_session11(hidden=(8, 8)):
    """fc1, fc3, fc2, fc4 registered in that order, run fc1 -> fc2 -> fc3 -> fc4 (review t07)."""
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(2, 8)
            self.fc3 = nn.Linear(*hidden)  # registered before fc2
            self.fc2 = nn.Linear(8, hidden[0])
            self.fc4 = nn.Linear(hidden[1], 1)

        def forward(self, x):
            x = torch.relu(self.fc1(x))
            x = torch.relu(self.fc2(x))
            return self.fc4(torch.relu(self.fc3(x)))

    torch.manual_seed(0)
    return Net().double()


def test_a_state_dict_whose_stored_and_numbered_orders_both_chain_is_refused(tmp_path, capsys):
    """Review t07: square hidden layers registered fc1, fc3, fc2, fc4 and run fc1 ... fc4 were read as stored
    (128 regions) from a dict or .pt, by number (77, the module's) from .safetensors: now the dict and the .pt
    are refused naming both orders, and the .safetensors file says which order it read."""
    import torch

    from exact.cli import main
    from exact.errors import SpecFileError

    m = _misregistered_session11()
    assert exact.count_regions(m, window=3) == (77, 77)
    both = r"its layers fc1, fc3, fc2, fc4 \(as stored\) and fc1, fc2, fc3, fc4 \(by their names' numbers\) both chain"
    with pytest.raises(InputError, match=both + r"; exactnet cannot tell which order the network runs"):
        exact.as_exact_net(m.state_dict())
    pt = tmp_path / "sd.pt"
    torch.save(m.state_dict(), pt)
    with pytest.raises(SpecFileError, match=both):
        exact.count_regions(str(pt), window=3)
    assert main(["regions", str(pt), "--window", "3", "--count-only", "-q"]) == 2
    assert "pass the torch module itself, or the weights as a list of (W, b)" in capsys.readouterr().err
    st = _st_write_session11(tmp_path / "sd.safetensors", m.state_dict())
    assert exact.count_regions(str(st), window=3) == (77, 77)  # the one order a .safetensors file has
    assert main(["regions", str(st), "--window", "3", "--count-only", "-q", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["layers_read"] == ["fc1.weight", "fc2.weight", "fc3.weight", "fc4.weight"]
    assert got["layer_order"] == "by their names' numbers (a .safetensors file keeps no other order)"
    assert (got["activation_regions"], got["linear_regions"]) == (77, 77)


def test_a_state_dict_is_read_in_the_one_of_its_two_orders_that_chains(tmp_path):
    """Review t07: when only the names' numbers' order chains (fc3 is 8 -> 6, fc2 6 -> 5), it is read, from a
    dict, a .pt and a .safetensors file alike; before, the dict and the .pt were refused as not chaining."""
    import torch

    from exact.state_dicts import recorded_readings

    m = _misregistered_session11(hidden=(6, 5))  # fc2: 8 -> 6, fc3: 6 -> 5
    want = exact.count_regions(m, window=3)
    pt = tmp_path / "sd.pt"
    torch.save(m.state_dict(), pt)
    st = _st_write_session11(tmp_path / "sd.safetensors", m.state_dict())
    assert [k for k in m.state_dict() if k.endswith("weight")] == ["fc1.weight", "fc3.weight", "fc2.weight",
                                                                   "fc4.weight"]
    for net in (m.state_dict(), str(pt), str(st)):
        with recorded_readings() as notes:
            assert exact.as_exact_net(net) == exact.from_torch(m)
        assert notes[0]["layers_read"] == ["fc1.weight", "fc2.weight", "fc3.weight", "fc4.weight"]
        assert exact.count_regions(net, window=3) == want


def test_an_nn_sequential_state_dict_is_read_as_before_with_what_was_assumed(tmp_path, capsys):
    """Review t07/F2: an nn.Sequential's names 0, 2, ..., 12 (square hidden layers, so every order of them
    chains) agree with its registration order: read, not refused; the summary names the order and the
    activation assumed."""
    import torch
    from torch import nn

    from exact.cli import main

    torch.manual_seed(1)
    mods = [nn.Linear(2, 3)]
    for _ in range(5):
        mods += [nn.ReLU(), nn.Linear(3, 3)]
    m = nn.Sequential(*mods, nn.ReLU(), nn.Linear(3, 1)).double()  # Linear layers 0, 2, ..., 12: '10' < '2' as text
    assert exact.as_exact_net(m.state_dict()) == exact.from_torch(m)
    pt = tmp_path / "seq.pt"
    torch.save(m.state_dict(), pt)
    assert exact.load_spec(pt) == exact.from_torch(m)
    assert main(["regions", str(pt), "--window", "2", "--count-only", "-q"]) == 0
    out = capsys.readouterr().out
    names = ", ".join(f"{i}.weight" for i in range(0, 14, 2))
    assert f"layers read: {names}\n" in out
    assert "layer order: as stored, the order of their names' numbers too\n" in out
    assert "activation: relu (assumed: the state_dict names none)\n" in out
    assert "assumed: one chain of Linear layers in the order read" in out and "pass the torch module itself" in out
    want = exact.count_regions(m, window=2)
    assert f"activation regions: {want.activation}\n" in out


# lead, session 11 (student trial)


def test_a_misspelt_command_name_gets_the_closest_command(capsys):
    """Student trial: ``exactnet regoins`` listed every command and suggested none, while a misspelt
    option got "did you mean"."""
    from exact.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["regoins", "net.pt"])
    assert stop.value.code == 2
    assert "invalid choice: 'regoins' (did you mean 'regions'?" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["xyz"])
    assert "did you mean" not in capsys.readouterr().err  # nothing close: argparse's own list


def test_the_sheet_words_one_dashed_boundary_and_one_bounded_one():
    """Student trial: seed 1's sheet read "the 1 bounded of them lie in" and its panel "the 1 bounded
    dashed boundaries"; a net with one dashed boundary read "the 1 dashed boundaries ... no two of them
    share an endpoint"."""
    from exact.sheet import _zoom_words

    assert _zoom_words(9, 1) == ("the bounded dashed boundary", "the 9 dashed boundaries",
                                 "the only bounded one lies in")
    assert _zoom_words(1, 1) == ("the dashed boundary", "the only dashed boundary", "it lies in")
    assert _zoom_words(5, 3)[2] == "the 3 bounded ones lie in" and _zoom_words(5, 5)[2] == "all of them lie in"


def test_a_progress_bar_writing_to_a_log_is_redrawn_every_30_seconds(capsys):
    """Student trial: ``exactnet count 2-100000-1 --window plane 2> log`` wrote a redraw of its bar ten
    times a second into the log; a bar whose standard error is no terminal now waits 30 s between
    redraws."""
    from exact._progress import LOG_INTERVAL, progress_bar

    bar = progress_bar(True, 10, "cells")  # capsys: standard error is no terminal
    try:
        assert bar.mininterval == LOG_INTERVAL == 30.0
    finally:
        bar.close()


def test_two_per_axis_pairs_as_a_2d_window_say_how_to_write_the_rectangle():
    """Student trial: ``window=((-3, 3), (-2, 2))``, the documented form for other input widths, was
    refused for a 2-D net as a polygon of two vertices, with no word on the rectangle's form."""
    net = [([[1, 0]], [0]), ([[1]], [0])]
    with pytest.raises(InputError, match=r"got \[\(-3, 3\), \(-2, 2\)\]; .* give \(x0, x1, y0, y1\)"):
        exact.count_regions(net, window=((-3, 3), (-2, 2)))
    assert exact.count_regions(net, window=(-3, 3, -2, 2)).activation == 2


# symbolic helper, session 11


def test_max_regions_example_7_activation_4_linear_regions_is_a_checked_fact():
    """Session 11: max-regions' conclusion said "e.g. 7 activation but 4 linear regions for 3 lines in general
    position with one zero output weight" with no check behind it.  It is now a fact on the sheet's net
    (x1 = 0, x2 = 0, x1 + x2 = 1; a = (1, 1, 0)), checked by the engine and by sympy's sign patterns."""
    import sympy as sp

    from exact.symbolic.net_example import N_ACT, counts_of
    from exact.symbolic.theorems import THEOREMS

    d = THEOREMS["max-regions"]()
    (i,) = [i for i, f in enumerate(d.facts) if isinstance(f.lhs, sp.MatrixBase) and f.lhs.has(N_ACT)]
    W, b, a = d.facts[i].lhs[0].args
    assert d.facts[i].rhs == sp.Matrix([[7, 4]]) and "7 activation, 4 linear regions" in d.facts[i].method
    got = exact.count_regions([(W.tolist(), list(b)), ([list(a)], [0])], window=None)
    assert (got.activation, got.linear) == (7, 4)
    assert not d.replaced(fact=i, lhs=counts_of(W, b, sp.Matrix([[1, 1, 1]]))).verified    # (7, 7)
    assert not d.replaced(fact=i, rhs=sp.Matrix([[7, 3]])).verified


def test_hessian_run_alone_builds_the_theorem_its_premises_come_from(monkeypatch):
    """Session 11: hessian's "p_k > 0 and sum_k p_k = 1 (Softmax is a probability vector)" was words: run
    alone (`exactnet prove hessian`) nothing verified them.  The check now builds that theorem and finds
    both premises in it: sum_k p_k = 1 its chain 1, p_k > 0 its fact 1."""
    from exact.symbolic import calculus, premises

    monkeypatch.setattr(premises, "_BUILT", {})
    d = calculus.hessian()
    cited = premises._BUILT[calculus.softmax_sums_to_one]
    assert cited.title == "Softmax is a probability vector" and cited.verified
    assert "`p[k] > 0` is fact 1 of 'Softmax is a probability vector'" in d.steps[-1].method


def test_lambda_derivative_takes_softmax_at_most_one_from_a_checked_fact():
    """Session 11: lambda-derivative's "0 < p_k <= 1 (softmax is a probability vector)" cited a theorem that
    checked p_k > 0 only; "softmax_k <= 1" is now its fact 2, and the step finds it there."""
    from exact.symbolic.theorems import THEOREMS

    step = THEOREMS["lambda-derivative"]().steps[-1]
    assert "`p[k] <= 1` is fact 2 of 'Softmax is a probability vector'" in step.method
    assert THEOREMS["sum-to-one"]().facts[1].relation == "<="


def test_grid_sampling_refuses_a_sigmoid_net_and_a_grid_bigger_than_memory():
    """Student trial: ``numeric.grid_patterns`` of a Linear-Sigmoid-Linear module reported 18 "patterns"
    (thresholds of a smooth net) without a word, and ``res=10**6`` died in numpy's allocation
    ("Unable to allocate 7.28 TiB") instead of being refused before it."""
    import torch

    curved = torch.nn.Sequential(torch.nn.Linear(2, 6), torch.nn.Sigmoid(), torch.nn.Linear(6, 1))
    with pytest.raises(ValueError, match="uses Sigmoid, which is not piecewise linear"):
        numeric.grid_patterns(curved, window=3, res=20)
    assert numeric.grid_patterns(curved, window=3, res=20, breakpoints=[0.0]).n_patterns >= 1  # asked for
    relu = numeric.seeded_mlp([2, 5, 1], seed=0)
    for sample in (numeric.grid_patterns, numeric.evaluate_grid):
        with pytest.raises(ValueError, match=r"res=1000000: a 1000000 x 1000000 grid needs about [\d,]+ GiB"):
            sample(relu, window=3, res=10**6)


# torch reading helper, session 11

def _huge_mlp(w1: float, w2: float, b1: float = 0.0):
    import torch

    m = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU(), torch.nn.Linear(2, 1)).double()
    with torch.no_grad():
        m[0].weight.copy_(torch.tensor([[w1, 0.0], [w1, w1]], dtype=torch.float64))
        m[0].bias.fill_(b1)
        m[2].weight.copy_(torch.tensor([[w2, -w2]], dtype=torch.float64))
        m[2].bias.zero_()
    return m


def test_forward_check_whose_bound_overflows_everywhere_checks_smaller_points_or_refuses():
    """Review F8: with weights 1e200 and 1e150 the check's magnitude bound S overflowed at every test point,
    every point was skipped, and a global hook adding 1 to the output passed unchecked.  Now the check adds
    points on scales down to x = 0 where S fits (there the hook shows); an honest huge net is read; a net
    whose S overflows even at x = 0 is refused as uncheckable, never accepted unchecked."""
    import torch

    m = _huge_mlp(1e200, 1e150)
    hook = torch.nn.modules.module.register_module_forward_hook(lambda mod, i, o: o + 1 if mod is m[2] else None)
    try:
        with pytest.raises(InputError, match=r"does not reproduce its forward: at x = \[-?0\.0, -?0\.0\]"):
            exact.as_exact_net(m)
    finally:
        hook.remove()
    net = exact.as_exact_net(m)  # the same net without the hook: read, and exact
    assert list(net.weights[1][0]) == [Fraction(1e150), Fraction(-1e150)]
    assert exact.count_regions(net, window=1).activation == 4
    with pytest.raises(InputError, match=r"could not check the reading of Sequential .* even at x = 0"):
        exact.as_exact_net(_huge_mlp(1e200, 1e150, b1=1e200))


def test_parametrized_bfloat16_module_is_checked_as_strictly_as_a_plain_one():
    """Review F3b: a bfloat16 module with any parametrization was judged by its own-dtype run with a tolerance
    of 8 K 2^-9 S (22% of S on a 2-8-1 net), so a forward override scaling the output by 1.1 passed.  The
    module is now read and checked as a copy holding the parametrizations' values, in float64, strictly."""
    import types

    import torch
    import torch.nn.functional as F
    from torch.nn.utils.parametrizations import weight_norm

    torch.manual_seed(0)
    for dtype in (torch.bfloat16, torch.float16, torch.float32):
        m = torch.nn.Sequential(weight_norm(torch.nn.Linear(2, 8)), torch.nn.ReLU(), torch.nn.Linear(8, 1)).to(dtype)
        net = exact.as_exact_net(m)  # honest: read, at the weights the module computes
        assert net.weights[0][3][1] == Fraction(float(m[0].weight.detach()[3, 1]))
        m[2].forward = types.MethodType(lambda self, x: F.linear(x, self.weight, self.bias) * 1.1, m[2])
        with pytest.raises(InputError, match=r"does not reproduce its forward: .* \(tolerance [\d.e-]+\)"):
            exact.as_exact_net(m)


def test_forward_under_autocast_is_refused():
    """Review F3: a forward running under torch.autocast(bfloat16) computes with bf16-rounded weights, but the
    float64 check cannot see it (float64 is not autocast), and the float32 weights were read.  Every torch
    call of the checked forward is now watched for an autocast the forward itself enables."""
    import torch

    class Autocast(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.net = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))

        def forward(self, x):
            with torch.autocast("cpu", dtype=torch.bfloat16):
                return self.net(x)

    torch.manual_seed(0)
    with pytest.raises(InputError, match=r"calls linear under torch.autocast\('cpu', dtype=torch.bfloat16\) "
                                         r"while its weights are torch.float32"):
        exact.as_exact_net(Autocast())
    assert exact.as_exact_net(Autocast().to(torch.bfloat16)).widths == (2, 16, 1)  # computes in its dtype
    with torch.autocast("cpu", dtype=torch.bfloat16):  # the caller's autocast is not the module's
        assert exact.as_exact_net(Autocast().net).widths == (2, 16, 1)


def test_batch_norm_with_bad_running_variance_names_module_channel_and_value():
    """Review F4: eval-mode BatchNorm with a negative running_var, zero var with eps=0, or a scale beyond
    float64 raised a raw ValueError/OverflowError from fractions; now an InputError names them."""
    import torch

    cases = ((-0.5, 1e-5, 1.0, r"running_var -0.5 and eps 1e-05: var \+ eps = -0.49999 is not positive"),
             (0.0, 0.0, 1.0, r"running_var 0.0 and eps 0.0: var \+ eps = 0.0 is not positive"),
             (1e-300, 0.0, 1e300, r"running_var 1e-300 and eps 0.0: var \+ eps = 1e-300 gives the scale "
                                  r"weight / sqrt\(var \+ eps\) = inf"))
    for var, eps, w, message in cases:
        bn = torch.nn.BatchNorm1d(4, eps=eps).double()
        bn.running_var[2] = var
        with torch.no_grad():
            bn.weight[2] = w
        m = torch.nn.Sequential(torch.nn.Linear(2, 4).double(), bn, torch.nn.ReLU(),
                                torch.nn.Linear(4, 1).double()).eval()
        with pytest.raises(InputError, match=r"module '1' \(BatchNorm1d\): channel 2 has " + message):
            exact.count_regions(m, window=3.0)


def test_sparse_weights_are_refused_naming_the_tensor(tmp_path):
    """Review F5: sparse COO/CSR weights gave raw NotImplementedError/RuntimeError/TypeError (API) and
    "internal error ... This is a bug" with torch's 94-line dispatch table (CLI)."""
    import subprocess
    import sys
    import warnings

    import torch

    torch.manual_seed(0)
    mlp = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    for layout, name in (("to_sparse", "sparse_coo"), ("to_sparse_csr", "sparse_csr")):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch: "sparse CSR support is in beta"
            sd = {k: (getattr(v, layout)() if v.dim() == 2 else v) for k, v in mlp.state_dict().items()}
        with pytest.raises(InputError, match=rf"entry '0.weight' is a sparse tensor \(layout torch.{name}\); "
                                             r"call .to_dense\(\)"):
            exact.count_regions(sd, window=3.0)
        path = tmp_path / f"{name}.pt"
        torch.save(sd, path)
        with pytest.raises(exact.errors.SpecFileError, match=r"entry '0.weight' is a sparse tensor"):
            exact.load_spec(path)
        p = subprocess.run([sys.executable, "-m", "exact", "regions", str(path), "--count-only", "-q"],
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == 2 and "sparse tensor" in p.stderr and "internal error" not in p.stderr
    mlp[0].weight = torch.nn.Parameter(mlp[0].weight.detach().to_sparse())
    with pytest.raises(InputTypeError, match=r"module '0': its weight is a sparse tensor \(layout "
                                             r"torch.sparse_coo\); call .to_dense\(\)"):
        exact.count_regions(mlp, window=3.0)


def test_reading_a_spectral_norm_module_in_train_mode_leaves_it_unchanged():
    """Review F9: reading a spectral_norm module in train mode ran its power iteration on the user's module
    (its _u buffer moved).  It is now read from a copy whose parametrizations hold their values; the copy
    must not share torch's injected class with the module (removing a parametrization on it would delete
    the module's weight property)."""
    import torch
    from torch.nn.utils.parametrizations import spectral_norm, weight_norm

    torch.manual_seed(0)
    m = torch.nn.Sequential(spectral_norm(torch.nn.Linear(2, 8)), torch.nn.ReLU(),
                            weight_norm(torch.nn.Linear(8, 1))).train()
    before = {k: v.clone() for k, v in m.state_dict().items()}
    kinds = [type(c) for c in m]
    exact.count_regions(m, window=3.0)
    assert [k for k, v in m.state_dict().items() if not torch.equal(v, before[k])] == []
    assert [type(c) for c in m] == kinds and m[0].weight.shape == (8, 2) and m[2].weight.shape == (1, 8)


def test_wrapped_pruned_and_misparametrized_modules_are_refused_with_advice():
    """Review F9: torch.compile, jit.script/trace and DataParallel gave fx's own assertion text; a pruned
    module was refused as "has forward hooks" without the way out; F.hardtanh(x, 0.5, 0.2) without naming
    its node."""
    import warnings

    import torch
    import torch.nn.functional as F
    import torch.nn.utils.prune as prune

    def mlp():
        return torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))

    warnings.filterwarnings("ignore", category=DeprecationWarning)  # torch.jit: "please switch ..."
    cases = ((torch.compile(mlp()), r"net is an OptimizedModule \(made by torch.compile\).* ._orig_mod"),
             (torch.jit.script(mlp()), r"net is a TorchScript module \(RecursiveScriptModule, made by"),
             (torch.jit.trace(mlp(), torch.zeros(1, 2)), r"net is a TorchScript module \(TopLevelTracedModule"),
             (torch.nn.DataParallel(mlp()), r"net is a DataParallel wrapper.* its .module"),
             (torch.nn.Sequential(torch.jit.script(torch.nn.Linear(2, 3)), torch.nn.ReLU(), torch.nn.Linear(3, 1)),
              r"module '0' of net is a TorchScript module"))
    for net, message in cases:
        with pytest.raises(exact.errors.UnsupportedNetworkError, match=message):
            exact.as_exact_net(net)
    pruned = mlp()
    prune.l1_unstructured(pruned[0], "weight", amount=0.3)
    with pytest.raises(InputError, match=r"module '0' has forward hooks.* it is pruned .* make the pruning "
                                         r"permanent with torch.nn.utils.prune.remove\(module, 'weight'\)"):
        exact.as_exact_net(pruned)

    class Clamped(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.c = torch.nn.Linear(2, 6), torch.nn.Linear(6, 1)

        def forward(self, x):
            return self.c(F.hardtanh(self.a(x), 0.5, 0.2))

    with pytest.raises(InputError, match=r"node 'hardtanh' \(call_function hardtanh\): hardtanh needs min < max"):
        exact.as_exact_net(Clamped())
    leaky = torch.nn.Sequential(torch.nn.Linear(2, 6), torch.nn.LeakyReLU(float("nan")), torch.nn.Linear(6, 1))
    with pytest.raises(InputError, match=r"module '1': activation 'leaky_relu' parameters \(nan,\)"):
        exact.as_exact_net(leaky)


# residual reading helper, session 11


def _nested_skip_at_the_input():
    """y = x + d(relu(h + c(relu(b(h))))) with h = a(x): the outer skip starts at the input, 2 -> 3 -> 2."""
    import torch

    class Nested(torch.nn.Module):
        def __init__(self):
            super().__init__()
            torch.manual_seed(0)
            self.a, self.b, self.c = torch.nn.Linear(2, 3), torch.nn.Linear(3, 3), torch.nn.Linear(3, 3)
            self.d, self.o = torch.nn.Linear(3, 2), torch.nn.Linear(2, 1)

        def pre_activations(self, x):
            h = self.a(x)
            z = self.b(h)
            inner = h + self.c(torch.relu(z))
            return z, inner, x + self.d(torch.relu(inner))

        def forward(self, x):
            return self.o(torch.relu(self.pre_activations(x)[2]))

    return Nested().double()


def test_a_nested_skip_from_the_input_is_read_without_input_shape():
    """Review F6: reading an inner block overwrote the outer body's starting shape with the shape before the
    inner block ((3,) for the input's (2,)), so this valid net was refused: 'add_1 adds values of shapes (3,)
    and (2,)'.  It needed input_shape=(2,)."""
    import torch

    m = _nested_skip_at_the_input()
    low = exact.lower_on_window(m, 2)
    assert low == exact.lower_on_window(m, 2, input_shape=(2,))
    assert exact.count_regions(m, window=2) == (21, 19)
    g = -2 + (np.arange(400) + 2**0.5 - 1) * (4 / 400)
    with torch.no_grad():   # the module's own activation patterns on a grid
        pre = m.pre_activations(torch.from_numpy(np.stack(np.meshgrid(g, g), -1).reshape(-1, 2)))
    assert len({r.tobytes() for r in (torch.cat(pre, 1) > 0).numpy()}) == 21   # a lower bound, reached here
    for p in ([Fraction(1, 3), Fraction(-7, 5)], [Fraction(-2), Fraction(2)], [Fraction(0), Fraction(1, 7)]):
        with torch.no_grad():
            y = m(torch.tensor([[float(v) for v in p]], dtype=torch.float64)).item()
        assert abs(float(low.evaluate(p)[0]) - y) <= 1e-12 * (1 + abs(y))


def _view_by_input_batch(first):
    """Conv then ``out.view(first(x), -1)`` with x the input of forward (review F7), seeded."""
    import torch

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            torch.manual_seed(0)
            self.conv, self.fc = torch.nn.Conv2d(1, 2, 3), torch.nn.Linear(2 * 2 * 2, 1)

        def forward(self, x):
            out = torch.relu(self.conv(x.view(-1, 1, 4, 4)))
            return self.fc(out.view(first(x), -1))

    return Net().double()


def test_a_view_by_the_batch_size_of_the_input_is_read():
    """Review F7: out.view(x.size(0), -1) with x the network's input was refused with the reason 'got size'.
    The input's batch size is the batch size of every value read from it; the reading is exact."""
    import torch

    from exact.errors import UnsupportedNetworkError

    for first in (lambda x: x.size(0), lambda x: x.shape[0]):
        m = _view_by_input_batch(first)
        net = exact.from_torch(m)
        assert net.widths == (16, 8, 1)
        rng = np.random.default_rng(0)
        for p in rng.integers(-40, 40, size=(6, 16)):
            p = [Fraction(int(v), 16) for v in p]
            with torch.no_grad():
                y = m(torch.tensor([[float(v) for v in p]], dtype=torch.float64)).item()
            assert abs(float(net.evaluate(p)[0]) - y) <= 1e-12 * (1 + abs(y))
    with pytest.raises(UnsupportedNetworkError, match=r"node 'view_1' \(call_method view\): its first size is the "
                       r"value of node 'size' \(call_method size\), not the batch size.*write out.flatten\(1\) or "
                       r"out.view\(-1, k\) instead"):
        exact.from_torch(_view_by_input_batch(lambda x: x.size(1)))


# torch reading helper, session 11 (continued)

def test_forward_check_runs_on_copies_of_float64_buffers():
    """Found with review F9: the forward check passed float64 buffers to the module as ``v.double()``, which
    is the buffer itself for a float64 module, so a forward writing into a buffer (a counter, a power
    iteration) changed the user's module while it was read."""
    import types

    import torch
    import torch.nn.functional as F

    m = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1)).double()
    m[0].register_buffer("calls", torch.zeros(1, dtype=torch.float64))
    m[0].forward = types.MethodType(lambda self, x: F.linear(x, self.weight, self.bias + 0 * self.calls.add_(1)),
                                    m[0])
    assert exact.as_exact_net(m).widths == (2, 3, 1)
    assert m[0].calls.item() == 0.0


# numeric helper, session 11

def _numeric_routes():
    """Both torch routes of numeric's lse/softmax: numpy kernels on shared memory, and torch ops."""
    import contextlib

    import numeric._lse_torch as lt

    @contextlib.contextmanager
    def route(flag):
        old, lt.CPU_VIA_NUMPY = lt.CPU_VIA_NUMPY, flag
        try:
            yield
        finally:
            lt.CPU_VIA_NUMPY = old

    return [route(True), route(False)]


def test_numeric_softmax_output_changed_in_place_raises_at_backward_like_torch():
    """Review 1: the numpy route wrapped one array as two tensors (output, saved p): y.mul_(2) or
    y.clamp_ then backward gave a silently wrong gradient.  torch.softmax raises; so does numeric now."""
    import torch

    for ctx in _numeric_routes():
        with ctx:
            for change in (lambda y: y.mul_(2.0), lambda y: y.clamp_(min=0.2)):
                x = torch.tensor([[0.0, 1.0, 2.0], [3.0, -1.0, 0.5]], dtype=torch.float64, requires_grad=True)
                y = numeric.softmax(x)
                change(y)
                with pytest.raises(RuntimeError, match="modified by an inplace operation"):
                    y.sum().backward()
    x = torch.tensor([0.0, 1.0, 2.0], dtype=torch.float64, requires_grad=True)
    y = torch.softmax(x, 0)
    y.mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_numeric_lse_and_log_softmax_outputs_changed_in_place_keep_the_right_gradient():
    """Review 1: lse and log_softmax save p apart from their output: an in-place change of the output is an
    ordinary graph step, and the gradient is that of the same out-of-place computation (torch's).  lse's
    output was a view made inside the autograd Function, which torch refused to change in place."""
    import torch

    w = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    for ctx in _numeric_routes():
        with ctx:
            for ours, theirs in ((numeric.logsumexp, lambda x: torch.logsumexp(x, 0)),
                                 (numeric.log_softmax, lambda x: torch.log_softmax(x, 0))):
                x = torch.tensor([0.0, 1.0, 2.0], dtype=torch.float64, requires_grad=True)
                y = ours(x)
                y.mul_(3.0)
                (got,) = torch.autograd.grad((y * w).sum(), x)
                (want,) = torch.autograd.grad((theirs(x) * 3.0 * w).sum(), x)
                np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-15, atol=1e-16)


def test_numeric_refuses_masked_ragged_tensor_lists_sparse_nested_and_longdouble():
    """Review 2, 3: a masked array's mask was ignored (the weight went to the masked entry), ragged lists
    gave numpy's raw 'inhomogeneous shape', lists of tensors requiring grad torch's 'Can't call numpy()',
    sparse and nested tensors crashed, np.longdouble was computed in float64 (lse([1e400, 0]) = inf)."""
    import torch

    masked = np.ma.masked_array([1.0, 2.0, -100.0], mask=[0, 0, 1])
    with pytest.raises(TypeError, match=r"x is a numpy masked array \(shape \(3,\)\): numeric would ignore"):
        numeric.softmax(masked)
    with pytest.raises(ValueError, match=r"x is ragged: a list of length 2 whose entries have lengths \[2"):
        numeric.logsumexp([[1.0, 2.0], [3.0]])
    with pytest.raises(TypeError, match=r"x is a list of length 2 holding torch tensors.*torch.stack\(x\)"):
        numeric.softmax([torch.tensor(1.0, requires_grad=True), torch.tensor(2.0)])
    with pytest.raises(TypeError, match=r"x has layout torch.sparse_coo \(sparse\): softmax needs a dense"):
        numeric.softmax(torch.eye(2).to_sparse())
    nested = torch.nested.nested_tensor([torch.ones(2), torch.ones(3)])
    with pytest.raises(TypeError, match=r"x is a nested tensor: log_softmax needs a dense"):
        numeric.log_softmax(nested)
    if np.finfo(np.longdouble).nmant > 52:
        x = np.array([np.longdouble("1e400"), 0], dtype=np.longdouble)
        with pytest.raises(TypeError, match=r"x has dtype float(96|128) \(np.longdouble\), which numeric"):
            numeric.logsumexp(x)


def test_numeric_empty_torch_input_is_in_the_graph_like_torchs():
    """Review 2: empty lse had no grad_fn (autograd.grad failed; torch.logsumexp gives an empty gradient) and
    empty softmax returned x itself."""
    import math

    import torch

    x = torch.zeros(3, 0, dtype=torch.float64, requires_grad=True)
    for ours, theirs in ((numeric.logsumexp, lambda t: torch.logsumexp(t, -1)),
                         (numeric.softmax, lambda t: torch.softmax(t, -1)),
                         (numeric.log_softmax, lambda t: torch.log_softmax(t, -1))):
        y, t = ours(x), theirs(x)
        assert y is not x and y.grad_fn is not None and y.tolist() == t.tolist() and y.shape == t.shape
        (got,) = torch.autograd.grad(y.sum(), x)
        (want,) = torch.autograd.grad(t.sum(), x)
        assert got.shape == want.shape == (3, 0)
    assert numeric.logsumexp(x, lam=-2).tolist() == [math.inf] * 3


def test_numeric_tensor_subclass_takes_the_torch_route():
    """Review 2: a torch.Tensor subclass defined outside a torch* module went to numpy (gradient lost)."""
    import torch

    class Tagged(torch.Tensor):
        pass

    x = torch.tensor([0.0, 1.0, 2.0], dtype=torch.float64).as_subclass(Tagged).requires_grad_()
    y = numeric.logsumexp(x)
    assert isinstance(y, torch.Tensor) and y.grad_fn is not None
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), torch.softmax(x.detach().as_subclass(torch.Tensor), 0).numpy(),
                               rtol=1e-15)


def test_numeric_exact_twin_reads_longdouble_at_its_exact_value():
    """Review 3: exact.logsumexp on a longdouble array raised "'numpy.longdouble' object is not iterable"; it
    reads each entry at its exact binary value (as_integer_ratio), not rounded to float."""
    import sympy as sp

    third = np.longdouble(1) / np.longdouble(3)
    num, den = third.as_integer_ratio()
    got = exact.logsumexp(np.array([third, 0], dtype=np.longdouble))
    q = sp.Rational(num, den)
    assert sp.simplify(got - (q + sp.log(1 + sp.exp(-q)))) == 0
    assert exact.softmax(np.array([np.longdouble(2), np.longdouble(2)])) == [sp.Rational(1, 2)] * 2
    with pytest.raises(InputError, match=r"x\[0\] must be finite, got np.longdouble\('inf'\)"):
        exact.logsumexp(np.array([np.inf, 1.0], dtype=np.longdouble))


def _numeric_ulps(got: float, want, dtype) -> float:
    """|got - want| in units of the dtype's spacing at ``want`` (mpmath), the smallest subnormal at least."""
    import mpmath

    info = np.finfo(dtype)
    _, e = mpmath.frexp(want)
    spacing = mpmath.ldexp(1, max(e - 1, info.minexp) - info.nmant)
    return float(abs(mpmath.mpf(got) - want) / spacing)


def test_numeric_softmax_dominant_weight_within_the_goal_when_the_rest_is_below_half_an_ulp():
    """Review 4: p = e / s with the plain sum s lost the terms below half an ulp of 1: up to 6.5 ulps (numpy)
    and 10.5 (torch ops) off the dominant weight, goal 4.  s = 1 + r with the rest summed apart."""
    import math

    import mpmath
    import torch

    mpmath.mp.dps = 60
    for dtype, u in ((np.float32, 2.0 ** -24), (np.float64, 2.0 ** -53)):
        t = float(np.asarray(-math.log(0.99 * u / 2), dtype=dtype))
        for n in (16, 128, 1000):
            x = np.array([0.0] + [-t] * (n - 1), dtype=dtype)
            want = 1 / (1 + (n - 1) * mpmath.exp(-mpmath.mpf(t)))
            got = [float(numeric.softmax(x)[0])]
            for ctx in _numeric_routes():
                with ctx:
                    got.append(float(numeric.softmax(torch.from_numpy(x))[0]))
            assert max(_numeric_ulps(v, want, dtype) for v in got) <= 4, (dtype, n, got)


def test_numeric_lse_and_log_softmax_keep_a_rest_of_subnormal_terms():
    """Review 4: lse([0, -746 x 999]) and log_softmax[0] gave 0.0 where the answer is 1.04e-321 (each exp
    underflows); float32 [0, -104 x 999] gave 0.0 for 6.8e-43.  The rest is summed again scaled by e^700."""
    import mpmath
    import torch

    mpmath.mp.dps = 60
    for dtype, t in ((np.float64, 746.0), (np.float64, 744.5), (np.float32, 104.0), (np.float32, 102.5)):
        x = np.array([0.0] + [-t] * 999, dtype=dtype)
        want = mpmath.log1p(999 * mpmath.exp(-mpmath.mpf(t)))
        for lam in (1.0, 0.5, 2.0):
            xs = x / lam  # the same rest: exp(λ x_j) = exp(-t); exact for these powers of two
            want_lse = want / lam
            got = [(float(numeric.logsumexp(xs, lam=lam)), float(numeric.log_softmax(xs, lam=lam)[0]))]
            for ctx in _numeric_routes():
                with ctx:
                    tx = torch.from_numpy(xs)
                    got.append((float(numeric.logsumexp(tx, lam=lam)),
                                float(numeric.log_softmax(tx, lam=lam)[0])))
            for lse, lp0 in got:
                assert _numeric_ulps(lse, want_lse, dtype) <= 4, (dtype, t, lam, lse)
                assert _numeric_ulps(lp0, -want, dtype) <= 4, (dtype, t, lam, lp0)


def test_numeric_gradients_at_infinite_entries_are_the_limits():
    """Student trial: log_softmax's gradient was zeroed where the dominant entry is infinite ([0, 0, 0] for
    x0 = inf, [-5, 2, 3] for x0 = 1e6; [-0, -0] for [-inf, 1] at λ = -1, limit [2, -2]).  The values take the
    limit of equal entries; the gradients now follow the same limit."""
    import math

    import torch

    w = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    for ctx in _numeric_routes():
        with ctx:
            for x0, lam, want in ((math.inf, 1.0, [-5.0, 2.0, 3.0]), (1e6, 1.0, [-5.0, 2.0, 3.0])):
                x = torch.tensor([x0, 1.0, 2.0], dtype=torch.float64, requires_grad=True)
                (g,) = torch.autograd.grad((numeric.log_softmax(x, lam=lam) * w).sum(), x)
                assert g.tolist() == want
            x = torch.tensor([-math.inf, 1.0], dtype=torch.float64, requires_grad=True)
            (g,) = torch.autograd.grad((numeric.log_softmax(x, lam=-1.0) * w[:2]).sum(), x)
            assert g.tolist() == [2.0, -2.0]
            # softmax: tied infinite entries have the gradient of tied large finite ones, all -inf of equal
            for inf_x, finite_x in (([math.inf, math.inf, 1.0], [1e6, 1e6, 1.0]),
                                    ([-math.inf, -math.inf, -math.inf], [0.0, 0.0, 0.0])):
                grads = []
                for v in (inf_x, finite_x):
                    x = torch.tensor(v, dtype=torch.float64, requires_grad=True)
                    grads.append(torch.autograd.grad((numeric.softmax(x, lam=2.0) * w).sum(), x)[0].tolist())
                assert grads[0] == grads[1] and any(grads[0])


def test_numeric_integer_input_is_promoted_to_the_default_float_type():
    """Review 6 (documented): torch integers become float32 (2**24 + 1 and 2**24 tie), numpy's float64."""
    import math

    import torch

    assert float(numeric.logsumexp(torch.tensor([2**24 + 1, 2**24]), lam=math.inf)) == 16777216.0
    assert numeric.softmax(torch.tensor([2**24 + 1, 2**24]), lam=math.inf).tolist() == [0.5, 0.5]
    assert float(numeric.logsumexp(np.array([2**24 + 1, 2**24]), lam=math.inf)) == 16777217.0
    assert "2**24 + 1" in numeric.logsumexp.__doc__ and "up to" in numeric.logsumexp.__doc__


def test_a_sum_written_unevaluated_keeps_its_order_in_the_sheet():
    """Student trial: 3(a) read ``6 \\cdot 1 + 3 \\cdot 5 + 6 \\cdot 5 + ... = 111`` for 2-5-5-5-5-1, the
    output layer's term first: sympy's printer sorts a sum's terms."""
    from exact.symbolic.render import fact_math
    from exact.symbolic.theorems import THEOREMS

    text = fact_math(THEOREMS["parameter-count"]().facts[-1])
    assert r"= 3 \cdot 5 + 6 \cdot 5 + 6 \cdot 5 + 6 \cdot 5 + 6 \cdot 1 = 111" in text


def test_refusals_of_relu_spellings_prelu_and_output_squashing_say_what_to_write():
    """Student trial: x.clamp(min=0), torch.maximum and a classifier's final sigmoid were refused with no
    hint, and PReLU was called not piecewise linear."""
    from torch import nn

    from exact.errors import UnsupportedActivationError, UnsupportedNetworkError

    class Clamped(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(2, 3), nn.Linear(3, 1)

        def forward(self, x):
            return self.b(self.a(x).clamp(min=0.5))   # (clamp(min=0) is read as a ReLU since session 14)

    with pytest.raises(UnsupportedNetworkError, match=r"clamps with min=0\.5, max=None: .* max\(x, a\) as "
                                                      r"a \+ relu\(x - a\)"):
        exact.count_regions(Clamped(), window=1)
    for last, hint in ((nn.Sigmoid(), "read the model without it"), (nn.PReLU(), r"nn.LeakyReLU\(a\) is the same")):
        m = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1), last)
        with pytest.raises(UnsupportedActivationError, match=hint):
            exact.count_regions(m, window=1)


# residual check helper, session 11

def _huge_residual(w1: float, w2: float, b1: float = 0.0, dtype=None):
    """x + b(relu(a(x))), then out: a's weights w1, b's w2 (f = x0 + x1 exactly), a's bias b1."""
    import torch

    class HugeRes(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b, self.out = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2), torch.nn.Linear(2, 1)

        def forward(self, x):
            return self.out(x + self.b(torch.relu(self.a(x))))

    m = HugeRes().double()
    with torch.no_grad():
        m.a.weight.copy_(torch.tensor([[w1, 0.0], [w1, 0.0]], dtype=torch.float64))
        m.a.bias.fill_(b1)
        m.b.weight.copy_(torch.tensor([[w2, -w2], [0.0, 0.0]], dtype=torch.float64))
        m.b.bias.zero_()
        m.out.weight.fill_(1.0)
        m.out.bias.zero_()
    return m


def test_residual_check_whose_bound_overflows_everywhere_checks_smaller_points_or_refuses():
    """Review of F8's fix: the residual reader's own forward check still skipped every point where its
    magnitude bound S overflowed (weights 1e200 and 1e150: all of them), so a global hook adding 1 to the
    output of a residual module passed unchecked.  It now runs the plain check's comparison
    (exact.forward_check.compare_forward): points down to x = 0 where S fits, refused if none does."""
    import torch

    m = _huge_residual(1e200, 1e150)
    hook = torch.nn.modules.module.register_module_forward_hook(lambda mod, i, o: o + 1 if mod is m.out else None)
    try:
        with pytest.raises(InputError, match=r"reading HugeRes does not reproduce its forward: at x = \[-?0\.0"):
            exact.read_residual(m)
    finally:
        hook.remove()
    counts = exact.count_regions(m, window=1)  # the same module without the hook: read, and exact
    assert (counts.activation, counts.linear) == (2, 1)  # f = x0 + x1: the huge terms cancel exactly
    with pytest.raises(InputError, match=r"could not check the reading of HugeRes .* even at x = 0"):
        exact.read_residual(_huge_residual(1e200, 1e150, b1=1e200))
    m = _huge_residual(1.0, 1e200)
    big = torch.nn.Linear(2, 2).double()
    with torch.no_grad():
        big.weight.copy_(1e200 * torch.eye(2, dtype=torch.float64))
    m.b = torch.nn.Sequential(m.b, big)  # composed exactly with b: a weight 1e400, no float64 (was a traceback)
    with pytest.raises(InputError, match=r"could not check the reading of HugeRes .* exceeds the float64 range"):
        exact.read_residual(m)


def test_residual_check_leaves_the_module_and_its_float64_buffers_unchanged():
    """Review of F9's fix: the residual check passed float64 buffers to the forward as ``v.double()``, the
    module's own tensor, so a forward writing into a buffer changed the user's module, and a float64
    spectral_norm module in train mode had its ``_u``/``_v`` advanced by reading."""
    import torch
    from torch.nn.utils.parametrizations import spectral_norm

    m = _huge_residual(1.0, 1.0)
    m.a.register_buffer("calls", torch.zeros(1, dtype=torch.float64))
    m.a.register_buffer("steps", torch.zeros(1, dtype=torch.int64))
    real = m.a.forward
    m.a.forward = lambda x: real(x) + 0 * m.a.calls.add_(1) + 0 * m.a.steps.add_(1)
    assert exact.read_residual(m).input_dim == 2
    assert m.a.calls.item() == 0.0 and m.a.steps.item() == 0
    torch.manual_seed(0)
    m = _huge_residual(1.0, 1.0)
    m.a, m.b = spectral_norm(torch.nn.Linear(2, 6)).double(), spectral_norm(torch.nn.Linear(6, 2)).double()
    m.train()
    before = {k: v.clone() for k, v in m.state_dict().items()}
    exact.read_residual(m)
    assert all(torch.equal(v, before[k]) for k, v in m.state_dict().items())


@pytest.mark.parametrize("wrap", ["spectral_norm", "weight_norm"])
def test_residual_check_reads_float32_parametrized_modules(wrap):
    """Review of F3's fix: the residual check recomputed a module's parametrizations in float64 while the
    reader read the float32 weights they give, so every float32 parametrized residual module was refused
    as a misread.  It is now read, and checked, on its plain copy (deparametrized_copy)."""
    import torch
    from torch.nn.utils import parametrizations

    from exact.module_wrappers import deparametrized_copy

    torch.manual_seed(0)
    m = _huge_residual(1.0, 1.0).float()
    f = getattr(parametrizations, wrap)
    m.a, m.b = f(torch.nn.Linear(2, 6)), f(torch.nn.Linear(6, 2))
    m.train()
    net = exact.read_residual(m)
    plain = deparametrized_copy(m)
    x = torch.tensor([[0.25, -0.5]])
    with torch.no_grad():
        want = plain.double()(x.double()).item()
    got = float(exact.lower_on_window(net, 1).evaluate([Fraction(1, 4), Fraction(-1, 2)])[0])
    assert abs(got - want) <= 1e-12 * max(1.0, abs(want))


def test_a_parametrization_that_raises_is_refused_naming_its_error():
    """Found while fixing the residual check: a global forward hook that fails on a parametrization's own
    module (``mod.out_features`` on ``_SpectralNorm``) raised a traceback from deparametrized_copy, whose
    AttributeError, raised inside torch's property, said only "no attribute 'weight'"."""
    import torch
    from torch.nn.utils.parametrizations import spectral_norm

    m = _huge_residual(1.0, 1.0).float()
    m.a = spectral_norm(torch.nn.Linear(2, 2))
    hook = torch.nn.modules.module.register_module_forward_hook(
        lambda mod, i, o: o + 1 if mod.out_features == 1 else None)
    try:
        for read in (exact.read_residual, lambda m: exact.from_torch(torch.nn.Sequential(m.a, m.out))):
            with pytest.raises(InputError, match=r"could not compute the parametrized weights of \w+ to read "
                                                 r"them \(AttributeError: '_SpectralNorm' object has no "
                                                 r"attribute 'out_features'\)"):
                read(m)
    finally:
        hook.remove()


# lead, session 11 (review of the forward check's rescue)


def test_the_forward_check_compares_points_between_2_1000_and_overflow_and_keeps_rescue_points_normal():
    """Review of f569ecc: points with 2^1000 < S < inf, compared before, were skipped, and the rescue
    points (smaller scales) never reached a far kink: LeakyReLU(0.5) read as ReLU with 1e300 weights was
    accepted, and an honest net with a bias of 2^1001 refused. The rescue scales also ran into float64's
    subnormal range, where rounding errors are absolute and the relative tolerance is no bound."""
    import torch
    from torch import nn

    from exact.forward_check import _float_forward, _float_weights, _small_points, check_forward, dense_bound
    from exact.network import ExactNet

    m = nn.Sequential(nn.Linear(2, 1), nn.LeakyReLU(0.5), nn.Linear(1, 1)).double()
    with torch.no_grad():
        m[0].weight[:] = torch.tensor([[1e300, 0.0]], dtype=torch.float64)
        m[0].bias[:] = 1e301  # its kink at x1 = -10
        m[2].weight[:], m[2].bias[:] = 1.0, 0.0
    layers = [(m[i].weight.detach().numpy(), m[i].bias.detach().numpy()) for i in (0, 2)]
    with pytest.raises(InputError, match="does not reproduce its forward"):
        check_forward(m, ExactNet.from_layers(layers, activation="relu"))
    check_forward(m, exact.as_exact_net(m))  # the right reading (LeakyReLU 0.5) passes

    honest = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)).double()
    with torch.no_grad():
        honest[0].bias[:] = torch.tensor([2.0**1001, -2.0**1001, 1.0], dtype=torch.float64)
    assert exact.as_exact_net(honest).widths == (2, 3, 1)

    net = exact.as_exact_net(nn.Sequential(nn.Linear(2, 6, bias=False), nn.ReLU(), nn.Linear(6, 1)).double())
    Ws, bs = _float_weights(net)
    parts = [[(dense_bound(W, b), W.shape[1])] for W, b in zip(Ws, bs)]
    X = _small_points(lambda Z: _float_forward(Ws, bs, net.activations, Z * 2.0**550 * 2.0**550, parts)[1], 2, 64, 0, "m")
    assert not np.any((np.abs(X) < 2.0**-1000) & (X != 0)) and not X[-1].any()  # normal scales, then x = 0


def test_a_theorem_handed_out_is_a_copy_and_a_citation_as_a_whole_says_what_is_not_checked():
    """Review of ef032a1: THEOREMS handed out the one build that later citations are checked against, so
    a caller editing a step of 'sum-to-one' changed it for every later caller; a citation with no
    premise said "built and verified in this run" while its carried-over claim was words only."""
    import sympy as sp

    from exact.symbolic.theorems import THEOREMS

    mine = THEOREMS["sum-to-one"]()
    mine.steps[0] = mine.steps[0]._replace(expr=sp.Integer(42)) if hasattr(mine.steps[0], "_replace") else None
    mine.conclusion = "changed"
    again = THEOREMS["sum-to-one"]()
    assert again.conclusion != "changed" and again.steps[0] is not None and again.steps[0].expr != 42
    methods = [s.method for s in THEOREMS["limit-ties"]().steps if s.relation] + \
        [f.method for f in THEOREMS["limit-ties"]().facts]
    whole = [m for m in methods if "as a whole" in m]
    assert whole and all("stated, not checked" in m for m in whole)


# state_dict order helper 2, session 11


def _three_readings_s11h2(m, tmp_path):
    """Read ``m``'s state_dict as a dict, from a .pt and from a .safetensors file: (net or message, order)."""
    import torch
    from test_formats import write_safetensors

    from exact.errors import SpecFileError
    from exact.state_dicts import recorded_readings

    torch.save(m.state_dict(), tmp_path / "m.pt")
    got = []
    for net in (m.state_dict(), str(tmp_path / "m.pt"), write_safetensors(tmp_path / "m.safetensors", m.state_dict())):
        with recorded_readings() as notes:
            try:
                got.append((exact.as_exact_net(net), notes[0]["layer_order"]))
            except (InputError, SpecFileError) as exc:
                got.append((str(exc), None))
    return got


def _two_parts_s11h2(first, second, widths, seed=0):
    """A module with parts ``first`` (two Linear layers) and ``second`` (two), registered and run in that
    order, ReLU between every two Linear layers: names first.0, first.2, second.0, second.2."""
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self, w):
            super().__init__()
            setattr(self, first, nn.Sequential(nn.Linear(w[0], w[1]), nn.ReLU(), nn.Linear(w[1], w[2]), nn.ReLU()))
            setattr(self, second, nn.Sequential(nn.Linear(w[2], w[3]), nn.ReLU(), nn.Linear(w[3], w[4])))

        def forward(self, x):
            return getattr(self, second)(getattr(self, first)(x))

    torch.manual_seed(seed)
    return Net(widths).double()


def test_a_safetensors_of_fc1_fc1b_fc2_is_read_in_its_one_order_or_refused(tmp_path, capsys):
    """Review, session 11: a .safetensors of fc1, fc1b, fc2 (run in that order) was sorted fc1b, fc1, fc2
    (a glued sort key put 'fc1b' first); with square layers that order chains and was read silently, the
    summary saying "by their names' numbers".  fc1 and fc1b are not ordered by their numbers: a dict or
    .pt is read as registered, a .safetensors file in the one order its shapes chain, else refused."""
    import torch
    from torch import nn

    from exact.cli import main

    class Net(nn.Module):
        def __init__(self, d):
            super().__init__()
            torch.manual_seed(d)
            self.fc1, self.fc1b, self.fc2 = nn.Linear(d, 3), nn.Linear(3, 3), nn.Linear(3, 1)

        def forward(self, x):
            return self.fc2(torch.relu(self.fc1b(torch.relu(self.fc1(x)))))

    square = Net(3).double()  # 3 -> 3 -> 3 -> 1: fc1 and fc1b chain either way round
    got = _three_readings_s11h2(square, tmp_path)
    assert isinstance(got[2][0], str), "read in some order"
    assert re.search(r"\(fc1, fc1b, fc2\) are not ordered by their numbers alone, and their shapes chain in more "
                     r"than one order \(two of them: fc1, fc1b, fc2; fc1b, fc1, fc2\): rename them", got[2][0])
    assert got[0][0] == got[1][0] == exact.from_torch(square)
    assert exact.count_regions(got[1][0], window=3) == exact.count_regions(square, window=3)
    m = Net(2).double()  # 2 -> 3 -> 3 -> 1: one order chains
    got = _three_readings_s11h2(m, tmp_path)
    assert [net == exact.from_torch(m) for net, _ in got] == [True] * 3
    assert [how for _, how in got] == ["as stored (the names are not ordered by numbers)"] * 2 + [
        "the one order in which their shapes chain"]
    assert main(["regions", str(tmp_path / "m.pt"), "--window", "2", "--count-only", "-q"]) == 0
    out = capsys.readouterr().out
    assert "layers read: fc1.weight, fc1b.weight, fc2.weight\n" in out
    assert "layer order: as stored (the names are not ordered by numbers)\n" in out


@pytest.mark.parametrize("first, second", [("encoder", "decoder"), ("features", "classifier")])
def test_square_encoder_decoder_state_dicts_are_read_as_registered_not_refused(tmp_path, first, second):
    """Review, session 11: since b43123c the names encoder.0 ... decoder.2 (features.0 ... classifier.2)
    counted as numbered, so with square layers a dict or .pt, read right before, was refused as chaining
    both as stored and "by number" (decoder first), and a .safetensors was read decoder first, silently
    (widths (4, 4, 2, 4, 4) for a (2, 4, 4, 4, 2) autoencoder).  Words, not numbers, order these names:
    a dict or .pt is read as registered, a .safetensors whose shapes chain in several orders refused."""
    for widths in ((2, 4, 4, 4, 2), (3, 3, 3, 3, 3)):
        m = _two_parts_s11h2(first, second, widths)
        (d, how), (pt, _), (st, _) = _three_readings_s11h2(m, tmp_path)
        assert isinstance(st, str), f"read with widths {st.widths}"
        assert f"{second}.0, {second}.2, {first}.0, {first}.2) are not ordered by their numbers alone, and their " \
            "shapes chain in more than one order" in st
        assert d == pt == exact.from_torch(m) and how == "as stored (the names are not ordered by numbers)"
        assert exact.count_regions(pt, window=2) == exact.count_regions(m, window=2)


def test_a_safetensors_encoder_decoder_is_read_in_the_one_order_its_shapes_chain(tmp_path):
    """Review, session 11: a .safetensors of encoder (2 -> 4 -> 3) and decoder (3 -> 5 -> 2) was read
    decoder first, since that order chains too (3 -> 5 -> 2 -> 4 -> 3): silently another network.  Now
    it is refused (two orders chain), and encoder 2 -> 4 -> 3, decoder 3 -> 4 -> 1, whose shapes chain
    in one order only, is read in it; the dict and .pt are read as registered."""
    m = _two_parts_s11h2("encoder", "decoder", (2, 4, 3, 5, 2), seed=2)
    (d, _), (pt, _), (st, _) = _three_readings_s11h2(m, tmp_path)
    assert isinstance(st, str), f"read with widths {st.widths}"
    assert "their shapes chain in more than one order" in st
    assert d == pt == exact.from_torch(m)
    m = _two_parts_s11h2("encoder", "decoder", (2, 4, 3, 4, 1), seed=1)
    got = _three_readings_s11h2(m, tmp_path)
    assert [net == exact.from_torch(m) for net, _ in got] == [True] * 3
    assert got[2][1] == "the one order in which their shapes chain"
    assert exact.count_regions(got[2][0], window=2) == exact.count_regions(m, window=2)


# breakpoints helper, session 11


def test_grid_breakpoints_see_a_tanh_after_a_hardtanh():
    """Review of 2027823: infer_breakpoints returned at the first Hardtanh, so a later Tanh between hidden
    layers was never looked at and Hardtanh-Linear-Tanh-Linear got (-1, 1) silently."""
    import torch.nn as nn

    net = nn.Sequential(nn.Linear(2, 3), nn.Hardtanh(), nn.Linear(3, 3), nn.Tanh(), nn.Linear(3, 1))
    with pytest.raises(ValueError, match="Sequential uses Tanh, which is not piecewise linear, before its last"):
        numeric.sampling.infer_breakpoints(net)


def test_grid_breakpoints_accept_a_sigmoid_after_the_last_linear():
    """Review of 2027823: a ReLU net ending in nn.Sigmoid (a classifier's squashing) was refused, although
    its hidden patterns are ReLU's; the sigmoid after the last Linear changes no pattern."""
    import torch
    import torch.nn as nn

    torch.manual_seed(0)
    body = nn.Sequential(nn.Linear(2, 5), nn.ReLU(), nn.Linear(5, 1))
    squashed = nn.Sequential(*body, nn.Sigmoid())
    assert numeric.sampling.infer_breakpoints(squashed) == (0.0,)
    g, h = numeric.grid_patterns(squashed, window=3, res=40), numeric.grid_patterns(body, window=3, res=40)
    assert g.pattern_set() == h.pattern_set() and (g.image == h.image).all()


def test_grid_breakpoints_see_torch_sigmoid_called_in_forward():
    """Review of 2027823: torch.sigmoid called in forward (no module) was not seen, so grid_patterns counted
    thresholds of a smooth net as patterns."""
    import torch
    import torch.nn as nn

    class Smooth(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(2, 3), nn.Linear(3, 1)

        def forward(self, x):
            return self.b(torch.sigmoid(self.a(x)))

    with pytest.raises(ValueError, match=r"Smooth uses torch\.sigmoid in Smooth\.forward, which is not piecewise"):
        numeric.grid_patterns(Smooth(), window=3, res=20)


def test_grid_breakpoints_refuse_relu_mixed_with_hardtanh():
    """Review of 2027823: ReLU with Hardtanh got Hardtanh's (-1, 1) for every neuron, splitting a ReLU
    neuron's negative piece at -1 (a sampled count above the exact one); now refused."""
    import torch.nn as nn

    net = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 3), nn.Hardtanh(), nn.Linear(3, 1))
    with pytest.raises(ValueError, match=r"mixes activations with different breakpoints \(ReLU at \(0\.0,\), "
                                         r"Hardtanh at \(-1\.0, 1\.0\)\).*exact.count_regions"):
        numeric.grid_patterns(net, window=3, res=20)
    assert numeric.grid_patterns(net, window=3, res=20, breakpoints=[0.0]).counts.sum() == 400


def test_the_forward_checks_rescue_reaches_far_scales_and_stands_down_when_points_were_compared():
    """Second review of the forward check: the rescue's scales never went above 1, so a LeakyReLU read as
    ReLU whose kink was at -2^50 (the check's own far points overflowing) was accepted; and an honest
    module whose near points were compared was refused "at every test point, even at x = 0" because the
    rescue found no fitting scale."""
    import torch
    from torch import nn

    from exact.forward_check import check_forward
    from exact.network import ExactNet

    first, last = nn.Linear(1, 2).double(), nn.Linear(2, 1).double()
    with torch.no_grad():
        first.weight.fill_(1.0)
        first.bias.copy_(torch.tensor([2.0**50, 2.0**100], dtype=torch.float64))
        last.weight.copy_(torch.tensor([[2.0**945, 0.0]], dtype=torch.float64))
        last.bias.zero_()
    module = nn.Sequential(first, nn.LeakyReLU(0.5), last)
    layers = [(first.weight.detach(), first.bias.detach()), (last.weight.detach(), last.bias.detach())]
    with pytest.raises(InputError, match="does not reproduce its forward"):
        check_forward(module, ExactNet.from_layers(layers, activation="relu"))
    exact.from_torch(module)  # the right reading passes

    a, b = nn.Linear(1, 1).double(), nn.Linear(1, 1).double()
    with torch.no_grad():
        a.weight.fill_(2.0**1016)
        a.bias.fill_(2.0**1001)
        b.weight.fill_(1.0)
        b.bias.zero_()
    assert exact.from_torch(nn.Sequential(a, nn.ReLU(), b)).widths == (1, 1, 1)


def test_the_public_verified_theorem_hands_out_a_copy_too():
    """Second review: ``premises.verified_theorem`` (in ``__all__``) returned the cached build itself, so a
    fact appended to it (1 = 2) showed in later THEOREMS copies and ``proves`` found it."""
    import sympy as sp

    from exact.symbolic import calculus, premises
    from exact.symbolic.derivation import Fact
    from exact.symbolic.theorems import THEOREMS

    forged = premises.verified_theorem(calculus.softmax_sums_to_one)
    forged.facts.append(Fact(sp.Integer(1), "=", sp.Integer(2), "forged"))
    assert premises.proves(premises.verified_theorem(calculus.softmax_sums_to_one), 1, "=", 2) is None
    assert all(f.why != "forged" for f in THEOREMS["sum-to-one"]().facts)


# grid sampling helper, session 11


def test_grid_sampling_refuses_a_first_layer_of_f_linear_and_a_shift_before_relu():
    """Review of 38f964a: an F.linear first layer (not an nn.Linear, so not thresholded) gave 9 sampled
    patterns against 34 true ones, and relu(a(x) - 3) 19 against 9 (the hook thresholded a(x), not
    a(x) - 3): a "lower bound" above the count, silently. Both are refused now, naming the call."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    class FirstF(nn.Module):
        def __init__(self):
            super().__init__()
            self.w, self.b = nn.Parameter(torch.randn(5, 2)), nn.Parameter(torch.randn(5))
            self.l2, self.out = nn.Linear(5, 4), nn.Linear(4, 1)

        def forward(self, x):
            return self.out(torch.relu(self.l2(torch.relu(F.linear(x, self.w, self.b)))))

    class Shift(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.o = nn.Linear(2, 6), nn.Linear(6, 1)

        def forward(self, x):
            return self.o(torch.relu(self.a(x) - 3.0))

    torch.manual_seed(0)
    with pytest.raises(ValueError, match=r"FirstF calls torch.nn.functional.linear in FirstF.forward, a linear "
                                         r"layer that is not an nn.Linear module's own.*exact.count_regions"):
        numeric.grid_patterns(FirstF(), window=5, res=100)
    with pytest.raises(ValueError, match=r"Shift applies torch.relu in Shift.forward to the result of Tensor.sub "
                                         r"in Shift.forward, not to an nn.Linear module's output"):
        numeric.grid_patterns(Shift(), window=10, res=200, breakpoints=[0.0])


def test_grid_sampling_refuses_batch_norm_between_linear_and_relu():
    """Review of 38f964a: Linear -> BatchNorm1d(eval) -> ReLU gave 19 sampled patterns against 18 true
    ones (the sign of the batch norm's output), and maximum, where, z * z and z / z.norm gave (0.0,)."""
    from torch import nn

    net = nn.Sequential(nn.Linear(2, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 1)).eval()
    with pytest.raises(ValueError, match=r"Sequential computes torch.nn.functional.batch_norm in BatchNorm1d."
                                         r"forward on input-dependent values before its last linear layer"):
        numeric.grid_patterns(net, window=10, res=100)

    class Square(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.o = nn.Linear(2, 4), nn.Linear(4, 1)

        def forward(self, x):
            z = self.a(x)
            return self.o(z * z)

    with pytest.raises(ValueError, match=r"Square computes Tensor.mul in Square.forward on input-dependent"):
        numeric.sampling.infer_breakpoints(Square())


def test_grid_sampling_leaves_a_training_batch_norm_alone():
    """Review of 38f964a: infer_breakpoints and grid_patterns ran a train-mode BatchNorm's forward, moving
    its running statistics (num_batches_tracked 0 -> 3); now refused before any forward."""
    import torch
    from torch import nn

    from numeric.sampling import infer_breakpoints  # (numeric.sampling is not imported by `import numeric`)

    net = nn.Sequential(nn.Linear(2, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 1)).train()
    mean = net[1].running_mean.clone()
    for sample in (infer_breakpoints, lambda m: numeric.grid_patterns(m, res=8)):
        with pytest.raises(ValueError, match=r"model Sequential has modules in training mode .*\(1 \(BatchNorm1d\)"
                                             r"\): .*call model.eval\(\) first"):
            sample(net)
    assert int(net[1].num_batches_tracked) == 0 and torch.equal(net[1].running_mean, mean)


def test_grid_sampling_turns_a_forward_error_into_a_named_value_error():
    """Review of 38f964a: a model whose forward raised passed torch's raw RuntimeError through, and the
    default probe points of infer_breakpoints (the first nn.Linear's width) did not fit an F.linear input
    layer: "mat1 and mat2 shapes cannot be multiplied"."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    class Wide(nn.Module):
        def __init__(self):
            super().__init__()
            self.w, self.out = nn.Parameter(torch.randn(5, 3)), nn.Linear(5, 1)

        def forward(self, x):
            return self.out(torch.relu(F.linear(x, self.w)))

    with pytest.raises(ValueError, match=r"model Wide's forward raised RuntimeError on 2 points of width 5 "
                                         r"\(mat1 and mat2 shapes cannot be multiplied.*infer_breakpoints took the "
                                         r"width 5 of its first nn.Linear.*pass points="):
        numeric.sampling.infer_breakpoints(Wide())


def test_cross_check_of_a_module_grid_sampling_cannot_read_samples_the_network_read():
    """Third review round: once grid sampling refused models that are not a chain of nn.Linear layers and
    activations (it had sampled them wrong), ``cross_check`` of an eval-mode BatchNorm net raised its
    ValueError; it now samples a plain MLP of the network read, in the module's dtype."""
    import torch
    from torch import nn

    torch.manual_seed(0)
    bn = nn.Sequential(nn.Linear(2, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 1)).eval()
    with torch.no_grad():
        bn[1].running_mean.uniform_(-0.5, 0.5)
        bn[1].running_var.uniform_(0.5, 2.0)
    report = exact.cross_check(bn, window=2, res=200)
    assert report.missed == [] or all(area < 0.05 for _, area in report.missed)
    assert report.exact_count == exact.count_regions(bn, window=2).activation and report.unexplained == 0


def test_cross_check_leaves_torch_random_state_and_mixed_breakpoints_are_not_sent_to_breakpoints():
    """Third review round: ``cross_check`` of a module it samples through a plain MLP drew torch random
    numbers (nn.Linear's default init), and grid sampling's refusal of mixed activations advised
    ``breakpoints=``, which counts patterns the model does not have (175 and 360 against 109 exact)."""
    import torch
    from torch import nn

    torch.manual_seed(0)
    bn = nn.Sequential(nn.Linear(2, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 1)).eval()
    before = torch.get_rng_state()
    exact.cross_check(bn, window=2, res=50)
    assert torch.equal(before, torch.get_rng_state())
    mixed = nn.Sequential(nn.Linear(2, 4), nn.LeakyReLU(0.1), nn.Linear(4, 4), nn.Hardtanh(), nn.Linear(4, 1))
    with pytest.raises(ValueError, match="mixes activations") as refused:
        numeric.grid_patterns(mixed, window=2, res=20)
    assert "exact.count_regions" in str(refused.value) and "pass breakpoints=" not in str(refused.value)


def test_grid_sampling_refuses_a_layer_or_activation_computed_and_not_used():
    """Third review round: a hidden layer computed and thrown away (h = relu(l0(x)); relu(l1(h)); return
    l2(h)) sampled 48 patterns where the function, a 2-6-1 net, has 20; a ReLU whose result is discarded
    (relu(z); return l1(z)) sampled 20 patterns of an affine map. The next layer must read the activation
    before it."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    class Net(nn.Module):
        def __init__(self, body, dims=(2, 6, 6, 1)):
            super().__init__()
            self.body = body
            self.l0, self.l1, self.l2 = (nn.Linear(a, b) for a, b in zip(dims, dims[1:]))

        def forward(self, x):
            return self.body(self, x)

    def dead_layer(s, x):
        h = F.relu(s.l0(x))
        F.relu(s.l1(h))
        return s.l2(h)

    def dead_relu(s, x):
        z = s.l0(x)
        F.relu(z)
        return s.l1(z)

    torch.manual_seed(0)
    for body in (dead_layer, dead_relu):
        with pytest.raises(ValueError, match="does not come from the activation before it"):
            numeric.grid_patterns(Net(body), window=3, res=30)

    def chain(s, x):
        return s.l2(F.relu(s.l1(F.relu(s.l0(x)))).flatten(1))

    kept = Net(chain)
    assert numeric.grid_patterns(kept, window=3, res=30).n_patterns <= exact.count_regions(kept, window=3).activation
    inplace = nn.Sequential(nn.Linear(2, 5), nn.ReLU(inplace=True), nn.Dropout(0.5), nn.Linear(5, 1)).eval()
    assert numeric.grid_patterns(inplace, window=3, res=30).n_patterns <= exact.count_regions(
        inplace, window=3).activation


def test_cross_check_refuses_activations_with_different_breakpoints():
    """Third review round: cross_check thresholded every layer at the first activation's breakpoints, so a
    LeakyReLU-then-Hardtanh net reported 96 missed regions and 22 035 "unexplained disagreements" where
    nothing was wrong: a check failing falsely. It now refuses such nets, saying why."""
    from exact.activations import get_activation

    layers = [([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0]), ([[1.0, 1.0], [1.0, -1.0]], [0.0, 0.0]), ([[1.0, 1.0]], [0.0])]
    net = exact.ExactNet.from_layers(layers, activation=[get_activation("leaky_relu", 0.1),
                                                         get_activation("hardtanh")])
    with pytest.raises(InputError, match="one set of breakpoints.*exact.count_regions"):
        exact.cross_check(net, window=2, res=40)
    relu = exact.ExactNet.from_layers(layers)
    assert exact.cross_check(relu, window=2, res=40).unexplained == 0


def test_cross_check_of_a_residual_module_checks_it_on_its_window():
    """Third review round: ``cross_check(residual_module, window=3.0)`` raised ResidualModuleError telling the
    user to "call with a window" although one was given; it now checks the plain network equal to the
    module on that window (exact.lower_on_window)."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    class Res(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b, self.o = nn.Linear(2, 4), nn.Linear(4, 2), nn.Linear(2, 1)

        def forward(self, x):
            return self.o(F.relu(x + self.b(F.relu(self.a(x)))))

    torch.manual_seed(0)
    m = Res()
    report = exact.cross_check(m, window=3.0, res=120)
    assert report.exact_count == exact.count_regions(m, window=3.0).activation and report.unexplained == 0
    assert report.sampled_count <= report.exact_count


@pytest.mark.parametrize("first", ["identity", piecewise_linear("doubled", [], [2], [3])])
@pytest.mark.parametrize("at", [400, 1000])
def test_a_first_layer_without_breakpoints_does_not_hide_the_plane_s_lines(first, at):
    """Review of the whole-plane tiles: with a first hidden layer without breakpoints (``identity``, a
    custom activation with none) the first box saw no line, and its one cell was certified as the whole
    plane: 1 region where x = at and y = at make 4, untiled, in tiles, from regions() and the CLI (the
    count was right for at = 400 only by starting far out). A lone cell is now certified only if none of
    its neurons has a line anywhere (exact._certified.plane.lone_cell)."""
    b = -at if first == "identity" else -(2 * at + 3)   # the doubled layer maps x to 2x + 3
    net = exact.ExactNet.from_layers([([[1, 0], [0, 1]], [0, 0]), ([[1, 0], [0, 1]], [b, b]), ([[1, 1]], [0])],
                                     activation=[first, "relu"])
    assert exact.count_regions(net, Fraction(2**20)) == (4, 4)
    assert exact.count_regions(net, None) == (4, 4) == exact.count_regions(net, None, tiles=2)
    assert exact.regions(net, None).n_activation == 4 == exact.regions(net, None, tiles=2).n_activation


def test_cutting_crowded_tiles_does_not_redraw_the_progress_bar(capsys):
    """New-user trial: each crowded tile cut in four called ``bar.refresh()``, which ignores the bar's
    one-second delay and its 30-second interval in a log file: 20 redraws in under a second into a file,
    and in a terminal a line never cleared (an error message was printed on it)."""
    net = exact.as_exact_net(numeric.seeded_mlp([2, 32, 32, 32, 1], seed=0))
    assert exact.count_regions(net, tiles=2, tile_cells=300, progress=True) == exact.count_regions(net)
    err = capsys.readouterr().err
    assert err.count("\r") + err.count("\n") <= 2, err


def test_exactnet_repr_lists_the_activations_in_layer_order():
    """New-user trial: the repr sorted the activations' names, so relu/abs/identity read as abs/identity/relu
    (and a torch net ReLU, LeakyReLU, Hardtanh as hardtanh/leaky_relu/relu), where the CLI prints them in
    layer order."""
    layers = [([[1, 0]], [0]), ([[1]], [0]), ([[1]], [0]), ([[1]], [0])]
    assert repr(exact.ExactNet.from_layers(layers, activation=["relu", "abs", "identity"])) == (
        "ExactNet(widths=(2, 1, 1, 1, 1), activation=relu/abs/identity)")
    assert repr(exact.ExactNet.from_layers(layers)) == "ExactNet(widths=(2, 1, 1, 1, 1), activation=relu)"


def test_tiled_regions_refuse_over_max_regions_as_soon_as_the_tiles_done_show_it(monkeypatch):
    """New-user trial: ``regions(net, None, tiles=4, max_regions=...)`` computed every tile (4.9 s) before
    refusing, where the untiled run refused in 0.1 s."""
    from exact import tiled_counts

    ran = []
    monkeypatch.setattr(tiled_counts, "exact_tile",
                        lambda job, _run=tiled_counts.exact_tile, **kw: ran.append(1) or _run(job, **kw))
    net = exact.as_exact_net(numeric.seeded_mlp([2, 5, 5, 5, 5, 1], seed=0))
    with pytest.raises(exact.TooManyRegionsError, match=r"more than max_regions=30 cells \(\d+ in the tiles done\)"):
        exact.regions(net, tiles=4, max_regions=30)   # 81 cells, no tile alone over 30
    assert 0 < len(ran) < 16


def test_crowded_tiles_of_the_whole_plane_are_cut_where_the_cells_crowd():
    """New-user trial: in the whole plane, a tile over max_memory was cut into geometric quarters of a box
    about 10^6 wide; the quarter holding the crowd kept all its cells at every level until the 12th cut,
    then the job was refused (2-64-64-64-1 with max_memory="8MB" and 2 or 4 tiles; a window took 2 MB).
    Such tiles are now cut into 2 x 2 tiles balanced where the cells crowd (exact.tile_balance.tile_parts),
    and a tile still over the budget at the last level is named."""
    from unittest import mock

    from exact import tile_jobs

    net = exact.as_exact_net(numeric.seeded_mlp([2, 64, 64, 64, 1], seed=0))
    assert exact.count_regions(net, None, tiles=2, max_memory="8MB") == (20550, 20550)
    with mock.patch.object(tile_jobs, "MAX_DEPTH", 1):  # (today's cuts thin this net's tiles down to 1 MB)
        with pytest.raises(exact.ResourceLimitError, match=r"^the tile \[.*\], cut 1 times already: "):
            exact.count_regions(net, None, tiles=2, max_memory="2MB")


def test_cli_tiles_of_a_one_hidden_layer_net_start_no_pool(monkeypatch, capsys):
    """New-user trial: ``exactnet count 2-30-1 --window plane --tiles 4 --jobs 2`` started a worker pool
    (1.91 s against 1.54 s) for a net that is counted whole, by its arrangement formula."""
    from exact import cli_tiles
    from exact.cli import main

    pools = []
    monkeypatch.setattr(cli_tiles, "process_pool", lambda jobs: pools.append(jobs))
    assert main(["count", "2-30-1", "--window", "plane", "--tiles", "4", "--jobs", "2", "--json", "-q"]) == 0
    assert json.loads(capsys.readouterr().out)["activation_regions"] == 466 and pools == []


@pytest.mark.parametrize("d", [9 * 10**307, 17 * 10**307], ids=["9e307", "1.7e308"])
def test_a_lone_cell_whose_line_lies_near_the_float_limit_is_not_a_crash(d):
    """Review of the lone-cell fix: twice the foot distance of a line at 9e307 overflowed a float, and
    Fraction(inf) raised OverflowError from count_regions and regions (whole plane, tiled or not)."""
    import warnings

    net = exact.ExactNet.from_layers([([[1, 0], [0, 1]], [0, 0]), ([[1, 0], [0, 1]], [-d, -d]), ([[1, 1]], [0])],
                                     activation=["identity", "relu"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # no RuntimeWarning from numpy either
        assert exact.count_regions(net, None) == (4, 4) == exact.count_regions(net, None, tiles=2)
        assert exact.regions(net, None).n_activation == 4


def test_the_whole_plane_frame_on_a_pool_whose_worker_dies_sending_its_result_does_not_hang(tmp_path):
    """Review of the frame on an executor: its two passes used ``executor.map``, which waits for ever when a
    worker is killed while it writes its result (the pool's manager thread waits for the rest), where the
    tiles end such a pool; the frame now waits as the tiles do (exact.pool_ending.completed_watched)."""
    run = _run_pool_script(tmp_path,
                           "    from exact._certified import plane_frame\n"
                           "    pool = process_pool(1)\n"
                           "    start = time.monotonic()\n"
                           "    try:\n"
                           "        plane_frame._on_each(pool, half_a_result_then_die, [False])\n"
                           "    except Exception as exc:\n"
                           "        print(type(exc).__name__, time.monotonic() - start < 15, flush=True)\n")
    assert run.stdout.split() == ["BrokenProcessPool", "True"], run.stdout + run.stderr


def test_an_undecided_frame_on_a_cluster_is_not_logged_as_a_failed_task():
    """Review of the frame on an executor: an Undecided raised in a dask worker (an expected hand-over to
    the untiled count) was logged by the cluster as four "Compute Failed" tracebacks; it now comes back
    as a value and is raised in the caller."""
    from exact._certified import plane_frame

    def undecided(_):
        raise exact.errors.Undecided("too close to call")

    out = plane_frame._undecided_as_value(undecided, 0)
    assert isinstance(out, exact.errors.Undecided) and str(out) == "too close to call"
    with pytest.raises(exact.errors.Undecided, match="too close to call"):
        plane_frame._on_each(None, undecided, [0])


def test_far_tiles_of_the_whole_plane_are_cut_too():
    """Review of tile_parts: each cut balanced only the tile's part inside the crowded square and stretched
    the rest, so an outer tile's far part never shrank (2-64-64-64-1 in 2 tiles with 6 MB: a tile of 159
    cells 5e5 wide after 12 cuts, refused); and crowded_core read an identity first layer's x = 0, y = 0,
    not the lines where the cells crowd (refused at 1 MB where quarters passed). The square now grows 4
    times a level, and crowded_core folds breakpoint-free layers into the first one with breakpoints."""
    net = exact.as_exact_net(numeric.seeded_mlp([2, 64, 64, 64, 1], seed=0))
    assert exact.count_regions(net, None, tiles=2, max_memory="6MB") == (20550, 20550)
    rng = np.random.default_rng(5)
    ident = exact.ExactNet.from_layers([([[1, 0], [0, 1]], [0, 0]), (rng.normal(size=(24, 2)), 1000 + rng.normal(size=24) * 10),
                                        (rng.normal(size=(24, 24)), rng.normal(size=24) * 10), (np.ones((1, 24)), [0])],
                                       activation=["identity", "relu", "relu"])
    whole = exact.count_regions(ident, None, max_regions=None)
    assert exact.count_regions(ident, None, tiles=2, max_memory="700kB", max_regions=None) == whole


def test_the_whole_plane_frame_stops_at_its_first_failed_job():
    """Third review: the frame's passes waited for all four jobs before raising the first one's error, and
    cancelled nothing (a thread pool of one ran three more 1 s jobs first); the first failure now stops the
    pass and the jobs not started are cancelled."""
    import concurrent.futures as cf
    import time

    from exact._certified import plane_frame

    ran = []

    def side(i):
        if i == 0:
            raise exact.TooManyRegionsError("side 0: too many cells")
        time.sleep(0.3)
        ran.append(i)

    with cf.ThreadPoolExecutor(1) as pool:
        with pytest.raises(exact.TooManyRegionsError, match="side 0"):
            plane_frame._on_each(pool, side, [0, 1, 2, 3])
    assert len(ran) <= 1, ran   # at most the job already started when job 0 failed (it ran all three)


def test_a_ctrl_c_while_the_frame_submits_cancels_the_jobs_already_submitted():
    """Third review: the frame submitted its jobs outside its try/finally, so a Ctrl-C on the third submit
    left the first two queued on the user's own executor (one ran after the interrupt)."""
    import concurrent.futures as cf
    import os
    import signal
    import time

    from exact._certified import plane_frame

    ran = []

    def side(i):
        time.sleep(0.3)
        ran.append(i)

    class CtrlCOnThirdSubmit(cf.ThreadPoolExecutor):
        made: list = []

        def submit(self, fn, /, *args, **kwargs):
            if len(self.made) == 2:
                os.kill(os.getpid(), signal.SIGINT)
            self.made.append(super().submit(fn, *args, **kwargs))
            return self.made[-1]

    pool = CtrlCOnThirdSubmit(1)
    with pytest.raises(KeyboardInterrupt):
        plane_frame._on_each(pool, side, [0, 1, 2, 3])
    pool.shutdown(wait=True)
    assert len(ran) <= 1 and all(f.cancelled() for f in pool.made[1:]), (ran, pool.made)


def test_a_safetensors_of_numbered_layers_beside_others_is_refused_naming_two_orders(tmp_path):
    """Review, session 13: a rule read a .safetensors of fc1, fc2, fc3 and out (equal hidden widths, fc2
    and fc3 chaining either way round) in the numbers' order; it also read stem, up2, up1, head, a
    decoder numbered downwards, as stem, up1, up2, head: silently another network, where it was refused
    before.  Nothing in the file says which way the numbers run, so both are refused again, the message
    now naming two of the orders that chain; the order of a dict in memory is the caller's."""
    import torch
    from test_formats import write_safetensors

    torch.manual_seed(3)
    for names in (("fc1", "fc2", "fc3", "out"), ("stem", "up2", "up1", "head")):
        layers = [torch.nn.Linear(2, 4), torch.nn.Linear(4, 4), torch.nn.Linear(4, 4), torch.nn.Linear(4, 1)]
        state = {f"{n}.{k}": v.detach().double() for n, lin in zip(names, layers) for k, v in lin.state_dict().items()}
        path = write_safetensors(tmp_path / f"{names[1]}.safetensors", state)
        with pytest.raises(exact.SpecFileError, match=r"their shapes chain in more than one order \(two of them: "
                                                       r"\w+, \w+, \w+, \w+; \w+, \w+, \w+, \w+\): rename them"):
            exact.load_spec(path)
        assert exact.as_exact_net(state).widths == (2, 4, 4, 4, 1)           # a dict: read in its order


def test_a_layer_name_with_a_superscript_digit_is_read_not_a_traceback():
    """Review, session 13: natural_key took '²' for a number (str.isdigit) and int('²') raised a bare
    ValueError; only decimal digits are numbers now."""
    got = exact.as_exact_net({"fc1².weight": np.ones((3, 2)), "out.weight": np.ones((1, 3))})
    assert got.widths == (2, 3, 1)


def test_cli_refusal_after_reading_a_state_dict_says_what_was_read(tmp_path, capsys):
    """New-user trial, session 13: a state_dict registering head (16 -> 2) before stem (2 -> 16) and mid
    chains as stored, so it was read as a 16-D net and refused for its size ("use a net with fewer
    inputs"), without a word on the layer order read (printed only on success).  A refusal after a
    state_dict was read now says what it was read as; other refusals are one line, as before."""
    import torch

    from exact.cli import main

    class Registered(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.head, self.stem, self.mid = torch.nn.Linear(16, 2), torch.nn.Linear(2, 16), torch.nn.Linear(16, 16)

    torch.save(Registered().state_dict(), tmp_path / "order.pt")
    assert main(["regions", str(tmp_path / "order.pt"), "--window", "3"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("exactnet regions: refused: the 16-2-16-16 net needs") and err[1] == (
        "  (the state_dict was read as head.weight, stem.weight, mid.weight, in this order: as stored (the "
        "names are not ordered by numbers))")
    exact.save_json(exact.as_exact_net(numeric.seeded_mlp([2, 8, 8, 1], seed=0)), tmp_path / "n.json")
    assert main(["regions", str(tmp_path / "n.json"), "--max-regions", "3"]) == 1
    assert capsys.readouterr().err.strip().splitlines()[1:] == []
    # check reads inside the call that refuses (review of this fix): it says so too
    torch.save(torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1)).state_dict(),
               tmp_path / "sd3.pt")
    assert main(["check", str(tmp_path / "sd3.pt"), "--window", "2"]) == 2
    assert capsys.readouterr().err.splitlines()[1] == (
        "  (the state_dict was read as 0.weight, 2.weight, in this order: as stored, the order of their names' "
        "numbers too)")


def test_an_interrupted_sheet_leaves_no_empty_folder(tmp_path, monkeypatch):
    """New-user trial, session 13: `timeout -s INT 3 exactnet sheet --out sheetint` left an empty folder
    sheetint/.  A folder write_sheet made and wrote nothing into is removed when the run stops; a folder
    that was there before, or holds files, stays."""
    from exact import sheet

    def interrupted(say):
        raise KeyboardInterrupt

    monkeypatch.setattr(sheet, "_lse_softmax_section", interrupted)
    for out in (tmp_path / "new", tmp_path / "a" / "b"):
        with pytest.raises(KeyboardInterrupt):
            sheet.write_sheet(str(out), quick=True)
        assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == []     # nor its parent a/, made for it
    (tmp_path / "old").mkdir()
    with pytest.raises(KeyboardInterrupt):
        sheet.write_sheet(str(tmp_path / "old"), quick=True)
    assert (tmp_path / "old").is_dir()
    monkeypatch.setattr(sheet, "_lse_softmax_section", lambda say: (_ for _ in ()).throw(RuntimeError("x")))
    monkeypatch.setattr(sheet.os, "makedirs", lambda p, exist_ok: os.mkdir(p) or open(f"{p}/x.png", "w").close())
    with pytest.raises(RuntimeError):
        sheet.write_sheet(str(tmp_path / "full"), quick=True)
    assert (tmp_path / "full" / "x.png").exists()


def test_whole_plane_level_sets_go_on_past_the_certified_box():
    """Review, session 13: in the whole plane a level set was cut at the certified box, which holds the
    cells' vertices but not the set's: |x| - 1 = 5 (the lines x = +-6; box 2) came back empty with
    ends_beyond_box 0, relu(x) + relu(y) = 4 touched the box at its corner and came back as an isolated
    point, and the decision boundary of relu(x) against 5 (the line x = 5) was empty.  An unbounded cell
    is now cut by its own edges, and the set drawn in a box (LevelSet.box) doubled until it holds every
    end and bend."""
    r = exact.regions([([[1, 0], [-1, 0]], [0, 0]), ([[1, 1]], [-1])], window=None)
    ls = r.level_set(5)
    assert r.box == 2 and ls.box == 8 and ls.ends_beyond_box == 4 and ls.length == 32
    assert ls.segments == (((-6, -8), (-6, 8)), ((6, -8), (6, 8)))
    r = exact.regions([([[1, 0], [0, 1]], [0, 0]), ([[1, 1]], [0])], window=None)     # relu(x) + relu(y)
    ls = r.level_set(4 * r.box)
    assert ls.points == () and len(ls.segments) == 3 and ls.ends_beyond_box == 2
    assert {(0, 4 * r.box), (4 * r.box, 0)} in [set(seg) for seg in ls.segments]    # the diagonal, whole
    db = exact.regions([([[1, 0]], [0]), ([[1], [0]], [0, 5])], window=None).decision_boundary()
    assert [(p[0], q[0]) for p, q in db.segments] == [(5, 5)] and db.ends_beyond_box == 2


def test_a_bend_of_a_level_set_on_the_certified_box_is_not_an_end_beyond_it():
    """Review, session 13: a level set bending exactly on the certified box's side had both branches
    counted in ends_beyond_box (8 ends, 4 right): the set does not go on there.  Its box is now doubled
    past every bend, and the plane's set is the set of the window of that box."""
    net = [([[-2, 1], [-2, 1], [-1, 2]], [-1, -1, 2]), ([[-2, 1, 2], [-1, 2, 1], [0, 2, 1], [-1, 1, 2]],
                                                         [-1, 2, 0, 2]), ([[2, -2, 0, 0]], [-1])]
    act = {"name": "leaky_relu", "params": [-0.5]}
    r = exact.regions(net, window=None, activation=act)
    ls = r.level_set(-8)
    assert r.box == 4 and (-4, -3) in {p for s in ls.segments for p in s}     # a bend on the box's side
    assert ls.box == 8 and ls.ends_beyond_box == 4
    assert ls.segments == exact.regions(net, window=8, activation=act).level_set(-8).segments


def test_a_decision_boundary_point_on_an_area_tie_is_kept():
    """Review, session 13: f0 = f1 = 0 and f2 = -|x| - |y|: at the origin f2 is maximal with them, and
    f0 - f2 is not identically zero on a cell there, so the origin is on the decision boundary (its
    docstring's definition); it was dropped as lying in the flat pieces where f0 and f1 tie on an area,
    which are part of a level set but no part of a boundary."""
    eye = [[1, 0], [-1, 0], [0, 1], [0, -1]]
    net = [(eye, [0, 0, 0, 0]), ([[0, 0, 0, 0], [0, 0, 0, 0], [-1, -1, -1, -1]], [0, 0, 0])]
    db = exact.regions(net, window=1).decision_boundary()
    assert db.points == ((0, 0),) and db.segments == () and len(db.flat_pieces) == 4
    two = exact.regions([(eye, [0, 0, 0, 0]), ([[0, 0, 0, 0], [-1, -1, -1, -1]], [0, 0])], window=1)
    assert two.decision_boundary().points == ((0, 0),)


def test_level_sets_beyond_the_float_range_write_valid_json_and_refuse_shapely(tmp_path, capsys):
    """Review, session 13: a level set longer than the float range wrote "length": Infinity, which is no
    JSON (node's JSON.parse refuses the file; jq reads 1.8e308), and to_shapely() raised a bare
    OverflowError.  The length is now null there and to_shapely() an InputError; a huge level reads
    as short exact text in the repr, as the command line writes it."""
    from exact.cli import main

    r = exact.regions([([[1, 0], [-1, 0]], [0, 0]), ([[1, 1]], [-1])], window=10**400)
    ls = r.level_set(0)
    assert ls.length == math.inf and ls.as_dict()["length"] is None
    with pytest.raises(InputError, match="beyond the float range"):
        ls.to_shapely()
    assert repr(r.level_set(Fraction(10**400))).startswith("LevelSet(level set, level=1e+400, output=0")
    exact.save_json(exact.as_exact_net([([[1, 0], [-1, 0]], [0, 0]), ([[1, 1]], [-1])]), tmp_path / "abs.json")
    assert main(["regions", str(tmp_path / "abs.json"), "--window", "1e400", "--level-set", "0", "--json"]) == 0
    data = json.loads(capsys.readouterr().out, parse_constant=lambda c: pytest.fail(f"not JSON: {c}"))
    assert data["level_sets"][0]["length"] is None


def test_decimal_levels_and_segment_ends_are_read_exactly_as_windows_are():
    """Review, session 13: Decimal("2.5") was read exactly as a window, but refused as a level c and as
    a segment's end (whose message called the coordinate a "weight").  Both now read a Decimal exactly;
    Decimal weights are still refused, the message naming what is refused."""
    from decimal import Decimal

    net = [([[1, 0], [-1, 0]], [0, 0]), ([[1, 1]], [-1])]            # |x| - 1
    r = exact.regions(net, window=Decimal("2.5"))
    assert r.level_set(Decimal("0.5")).segments == r.level_set(Fraction(1, 2)).segments != ()
    got = exact.count_on_segment(net, [Decimal("-0.1"), 0], [1, 1])
    assert got.breakpoints[0] == exact.count_on_segment(net, [Fraction(-1, 10), 0], [1, 1]).breakpoints[0]
    with pytest.raises(InputError, match="level c"):
        r.level_set(Decimal("NaN"))
    with pytest.raises(InputTypeError, match=r"Decimal weights are refused \(the exact value, or the nearest"):
        exact.as_exact_net([([[Decimal("0.1"), 0]], [0]), ([[1]], [0])])


def test_a_script_without_the_main_guard_gets_one_line_per_worker_not_its_tracebacks(tmp_path):
    """New-user trial, session 13: count_many(..., jobs=2) at a script's top level, without the
    `if __name__ == "__main__":` guard, printed about 176 lines: each starting worker runs the script
    again, starts a pool of its own and fails with multiprocessing's traceback; the useful hint came last.
    A worker that starts a pool while it is starting now says what to do in one line and exits."""
    import subprocess
    import sys

    script = tmp_path / "noguard.py"
    script.write_text("import exact\nnets = [[([[1.0, 0.0]], [0.0]), ([[1.0]], [0.0])]] * 4\n"
                      "print(exact.count_many(nets, window=3, jobs=2))\n")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, env=env,
                          cwd=tmp_path)
    lines = done.stderr.splitlines()
    assert done.returncode != 0 and "a worker process, starting, ran the script's top level" in lines[0]
    assert len(lines) < 40 and "count_many was not called under" in done.stderr


def test_a_conv_state_dict_is_refused_saying_to_pass_the_module():
    """New-user trial, session 13: a conv net's state_dict was refused with "0.weight has shape (4, 1, 2),
    not 2-D (out, in)", not saying what to do; the module itself is read (convolutions folded)."""
    import torch

    m = torch.nn.Sequential(torch.nn.Unflatten(1, (1, 2)), torch.nn.Conv1d(1, 4, 2), torch.nn.ReLU(),
                            torch.nn.Flatten(), torch.nn.Linear(4, 1))
    with pytest.raises(InputError, match=r"not 2-D \(out, in\); a convolution's weight\? .*pass the torch module"):
        exact.as_exact_net(m.state_dict())
    assert exact.as_exact_net(m).widths == (2, 4, 1)
    with pytest.raises(InputError, match=r"not 2-D \(out, in\)$"):            # a 1-D weight: no such advice
        exact.as_exact_net({"a.weight": torch.ones(3)})


def test_count_many_lines_say_how_a_state_dict_was_read(tmp_path, capsys):
    """New-user trial, session 13: `exactnet count-many res_sd.pt` wrote its counts with no word of what a
    state_dict cannot show (a residual model's state_dict is counted as a plain chain, a LeakyReLU one as
    ReLU), where `exactnet regions` prints layers_read, layer_order, activation and assumed.  Each line
    of a state_dict now has them too; other files' lines are unchanged."""
    import torch

    from exact.cli import main

    torch.manual_seed(0)
    m = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.LeakyReLU(0.1), torch.nn.Linear(8, 1))
    torch.save(m.state_dict(), tmp_path / "a.pt")
    exact.save_json(exact.as_exact_net(m), tmp_path / "b.json")
    for jobs in ("1", "2"):
        out = tmp_path / f"c{jobs}.jsonl"
        assert main(["count-many", str(tmp_path / "a.pt"), str(tmp_path / "b.json"), "--jsonl", str(out), "-q",
                     "--jobs", jobs]) == 0
        lines = {json.loads(t)["file"].rsplit("/", 1)[-1]: json.loads(t) for t in out.read_text().splitlines()}
        assert lines["a.pt"]["activation"] == "relu (assumed: the state_dict names none)"
        assert lines["a.pt"]["layers_read"] == ["0.weight", "2.weight"]
        assert "skip connections" in lines["a.pt"]["assumed"]
        assert "layer_order" in lines["a.pt"] and "activation" not in lines["b.json"]


def test_tiled_regions_memory_refusal_counts_cell_pieces_as_such():
    """Review, session 13: the tiled regions() refusal said it "would gather more than 92 cells" for a net of
    81 cells: it counts the pieces the tiles return (a cell cut by seams once per tile).  It says so now."""
    net = exact.as_exact_net(numeric.seeded_mlp([2, 5, 5, 5, 5, 1], seed=0))
    per_cell = 3300 + 8 * 20 + 400                                          # exact.layer_split.cell_bytes
    assert exact.regions(net, 10, max_memory=81 * per_cell).n_activation == 81
    with pytest.raises(exact.ResourceLimitError, match=r"would gather \d+ cell pieces here \(a cell cut by seams"):
        exact.regions(net, 10, tiles=3, max_memory=81 * per_cell)


def test_a_0d_array_level_is_its_exact_value():
    """Review, session 13: r.level_set(np.array(Fraction(1, 10))) (an object array, or a Decimal's) was read
    through float(), as 3602879701896397/2^55; a 0-d array or tensor is now read as its one value."""
    from decimal import Decimal

    r = exact.regions([([[1, 0], [-1, 0]], [0, 0]), ([[1, 1]], [-1])], window=2)
    want = r.level_set(Fraction(1, 10))
    for c in (np.array(Fraction(1, 10)), np.array(Decimal("0.1"))):
        assert r.level_set(c).level == Fraction(1, 10) and r.level_set(c).segments == want.segments
    assert r.level_set(np.float32(0.5)).level == Fraction(1, 2)


def test_exact_region_sizes_are_written_without_loss_where_the_json_says_exact(capsys):
    """d-D review, session 13: summary() and --stats --json said "exact": true and wrote the smallest,
    median and largest size as rounded floats (1.0833333333333333 for 13/12).  They are written as
    exact_json does now: the float where one equals the value, else "p/q".  Also: the 1-D window message
    read "2 numbers (lo_1, hi_1, ..., lo_1, hi_1)"."""
    from exact.analysis_text import analysis_json

    net = [([[1, 0, 0], [0, 1, -1], [1, 1, 1]], [0, 0, -1]), ([[1, -1, 1], [0, 0, 0]], [0, 2]), ([[1, 1]], [0])]
    r = exact.regions(net, window=2)
    s = r.summary()
    assert s["exact"] is True and s["smallest"] == "13/12" == str(exact.region_sizes(r).smallest)
    sizes = analysis_json(r)["region_sizes"]
    assert sizes["exact"] is True and sizes["smallest"] == "13/12"
    with pytest.raises(InputError, match=r"or 2 numbers \(lo_1, hi_1\), for this 1-D network"):
        exact.count_regions([([[1]], [0]), ([[1]], [0])], [(0, 1), (0, 1)])


@pytest.mark.parametrize("extra", [[], ["--segments", "-"]])
def test_cli_decision_boundary_of_two_outputs_in_text_mode(tmp_path, capsys, extra):
    """New-user trial, session 13: `exactnet regions two_out.pt --decision-boundary` (a 2-class classifier)
    ended in "internal error (TypeError ...)" unless --json was given: the text summary wrote the level of
    every curve, and a decision boundary of two or more outputs has none (level None)."""
    import torch

    from exact.cli import main

    torch.manual_seed(0)
    m = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    torch.save(m.state_dict(), tmp_path / "two_out.pt")
    assert main(["regions", str(tmp_path / "two_out.pt"), "--decision-boundary", *extra]) == 0
    out = capsys.readouterr().out
    n = len(exact.regions(m).decision_boundary().segments)
    assert n > 0 and (f"decision boundary: {n} segments" in out or json.loads(out.splitlines()[0])[0]["segments"])


def test_a_masked_level_is_refused_and_odd_weights_without_ndim_are_refused_cleanly():
    """Review of this session's fixes: reading a 0-d level through .item() dropped a mask (a masked level
    was read as 1/2, np.ma.masked as 0), and the conv hint asked a weight for .ndim, which an array-like
    with .shape and .dtype need not have (AttributeError)."""
    r = exact.regions([([[1, 0], [-1, 0]], [0, 0]), ([[1, 1]], [-1])], window=2)
    for c in (np.ma.masked_array(0.5, mask=True), np.ma.masked):
        with pytest.raises(InputError, match="level c is masked"):
            r.level_set(c)
    assert r.level_set(np.ma.masked_array(0.5, mask=False)).level == Fraction(1, 2)

    class Arr:  # shape and dtype, no ndim
        def __init__(self, a):
            self._a, self.shape, self.dtype = a, a.shape, a.dtype

        def __array__(self, dtype=None, copy=None):
            return self._a

    with pytest.raises(InputError, match=r"has shape \(3, 2, 2\), not 2-D \(out, in\); a convolution's"):
        exact.as_exact_net({"a.weight": Arr(np.ones((3, 2, 2))), "b.weight": np.ones((1, 3))})


def test_the_sheet_no_longer_calls_pixel_sampling_a_lower_bound_and_sampling_refuses_the_plane(tmp_path):
    """Teacher trial, session 13: the sheet said pixel sampling "finds only a lower bound on the number of
    activation regions", while its own table shows pixels off (a pixel centre near a boundary can show
    another pattern, even one no region has: no bound, as the README says); grid_patterns(window=None)
    said "window must be a number, got None" where the README lists window=None among its words."""
    from exact import sheet

    section = sheet._cross_check_section(numeric.seeded_mlp([2, 20, 1], seed=0),
                                         numeric.seeded_mlp([2, 5, 5, 5, 5, 1], seed=0), 10, lambda m: None)
    text = "\n".join(section.lines)
    assert "lower bound" not in text and "so the sampled count is no bound on the exact one" in text
    net = numeric.seeded_mlp([2, 4, 1], seed=0)
    with pytest.raises(TypeError, match=r"window=None, the whole plane, cannot be sampled on a grid"):
        numeric.grid_patterns(net, window=None, res=10)


def test_softmax_at_lam_0_is_nan_where_an_infinite_entry_has_no_limit():
    # softmax(x; 0) was uniform even beside an infinite entry, where the limits from λ > 0 and
    # λ < 0 differ: the slice has no value at λ = 0 (torch.softmax(0 * x) gives NaN too).  A slice of
    # equal infinite entries is uniform on both sides, so at 0 as well.
    import torch

    inf = math.inf
    x = np.array([[1.0, inf], [-inf, 1.0], [inf, -inf], [inf, inf], [-inf, -inf], [1.0, 2.0]])
    above, below = numeric.softmax(x, lam=1e-300, axis=1), numeric.softmax(x, lam=-1e-300, axis=1)
    has_limit = (above == below).all(axis=1)
    assert has_limit.tolist() == [False, False, False, True, True, True]
    for lam in (0.0, -0.0, 0):
        got = numeric.softmax(x, lam=lam, axis=1)
        assert np.isnan(got[~has_limit]).all()
        assert got[has_limit].tolist() == [[0.5, 0.5]] * 3 == above[has_limit].tolist()
        assert np.isnan(numeric.log_softmax(x.astype(np.float32), lam=lam, axis=1)[~has_limit]).all()
    t = torch.tensor(x, requires_grad=True)
    (numeric.softmax(t, lam=0.0, axis=1) * torch.tensor([1.0, 2.0], dtype=torch.float64)).sum().backward()
    assert torch.isnan(t.grad[torch.from_numpy(~has_limit)]).all()  # no value, no gradient
    assert t.grad[torch.from_numpy(has_limit)].tolist() == [[0.0, 0.0]] * 3  # constant in x


def test_a_training_checkpoint_in_memory_is_read_as_its_file_is(tmp_path):
    # fresh-clone trial: torch.load("ckpt.pt") passed to regions() was refused ("entry 'epoch' is not a
    # Linear layer's ..."), while the same checkpoint given as its path was read from 'model_state_dict'
    import torch

    from numeric.models import seeded_mlp

    m = seeded_mlp([2, 5, 5, 1], seed=1)
    ckpt = {"epoch": 3, "model_state_dict": m.state_dict(),
            "optimizer_state_dict": {"state": {}, "param_groups": [{"lr": 0.1}]}}
    torch.save(ckpt, tmp_path / "ckpt.pt")
    want = exact.count_regions(m, window=3)
    assert exact.count_regions(ckpt, window=3) == exact.count_regions(str(tmp_path / "ckpt.pt"), window=3) == want
    assert exact.as_exact_net(ckpt) == exact.as_exact_net(m)
    with pytest.raises(InputError, match=r"several state_dicts, 'model' and 'ema': pass the one to count, "
                                         r"e.g. checkpoint\['model'\]"):
        exact.count_regions({"model": m.state_dict(), "ema": m.state_dict()}, window=3)


def test_save_regions_html_into_a_missing_folder_is_an_input_error(tmp_path):
    # fresh-clone trial: a raw FileNotFoundError, where write_geojson says "cannot write" for the same mistake
    pytest.importorskip("plotly")
    r = exact.regions([([[1.0, 0.0]], [0.0]), ([[1.0]], [0.0])], window=1)
    for bad, why in ((tmp_path / "nodir" / "v.html", "No such file or directory"), (tmp_path, "Is a directory")):
        with pytest.raises(InputError, match=f"save_regions_html: cannot write '{re.escape(str(bad))}': {why}"):
            exact.save_regions_html(r, bad)
    exact.save_regions_html(r, tmp_path / "v.html")
    assert "data-cells-expected=\"2\"" in (tmp_path / "v.html").read_text(encoding="utf-8")


def test_a_2d_only_method_of_d_dimensional_regions_says_to_take_a_plane():
    # fresh-clone trial: RegionsND.level_set / decision_boundary / to_geojson were bare AttributeErrors
    net = [([[1, 0, 0], [0, 1, 1]], [0, 0]), ([[1, -1]], [0])]
    r = exact.regions(net, window=1)
    for name in ("level_set", "decision_boundary", "to_geojson", "write_geojson"):
        with pytest.raises(AttributeError, match=rf"RegionsND has no {name}: .* 3-D input take a plane .*plane="):
            getattr(r, name)
    assert not hasattr(r, "boundaries") and not hasattr(r, "no_such_thing")   # 2-D detection unchanged
    s = exact.regions(net, window=1, plane=([0, 0, 0], [1, 0, 0], [0, 1, 0]))   # what the message says works
    assert s.level_set(0).kind == "level set"


def test_a_model_of_the_wrong_input_width_is_a_plain_value_error_in_sampling():
    # fresh-clone trial: grid_patterns of a 3-D model raised numeric.call_log._WidthError, a private type
    from numeric.models import seeded_mlp

    with pytest.raises(ValueError, match=r"takes 3-D inputs .*2-D points of the plane") as info:
        numeric.grid_patterns(seeded_mlp([3, 4, 1], seed=0), window=2, res=10)
    assert type(info.value) is ValueError and info.value.__cause__ is None


def test_the_exact_twin_says_lam_must_not_be_nan_rather_than_finite():
    # fresh-clone trial: lam=nan was refused as "must be finite", yet lam=±inf is taken (the limits)
    import sympy as sp

    for lam in (math.nan, np.float32("nan"), sp.nan):
        with pytest.raises(InputError, match=r"lam must not be NaN \(±inf and finite values are taken\)"):
            exact.logsumexp([1, 2, 3], lam=lam)
    assert exact.logsumexp([1, 2, 3], lam=np.float64("inf")) == 3 == exact.logsumexp([1, 2, 3], lam=sp.oo)


def test_a_state_dict_names_its_layer_by_an_ordinal_that_no_count_can_misread(tmp_path):
    # fresh-clone trial (session 14): a .pt said "weight 0.weight (layer 1) contains inf" for the first layer,
    # a JSON spec of the same net "weight of layer 0" (layers[0] of its list); an earlier trial had asked for
    # the count from 1. "(affine layer 1 of 2)" cannot be read either way
    import torch

    from numeric.models import seeded_mlp

    sd = seeded_mlp([2, 3, 1], seed=0).state_dict()
    sd["fc1.weight"][0, 1] = math.inf
    torch.save(sd, tmp_path / "inf.pt")
    layers = [(sd[f"fc{k}.weight"].tolist(), sd[f"fc{k}.bias"].tolist()) for k in (0, 1)]
    with pytest.raises(InputError, match=r"weight of layer 1 contains inf at neuron 0, input 1"):
        exact.as_exact_net(layers)
    with pytest.raises(InputError, match=r"weight fc1\.weight \(affine layer 2 of 2\) contains inf at neuron 0, "
                                         r"input 1"):
        exact.as_exact_net(str(tmp_path / "inf.pt"))


def test_dir_of_numeric_lists_its_lazy_names():
    # fresh-clone trial: dir(numeric) lacked 17 names of numeric.__all__ (grid_patterns, plot_*, MLPShallow),
    # loaded on first use: tab completion in a notebook hid them
    import subprocess
    import sys

    code = "import numeric; print(sorted(set(numeric.__all__) - set(dir(numeric))))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_plot_model_images_draws_the_output_its_message_asks_for():
    # fresh-clone trial: a two-output model was refused with "pass output=0..1", an argument
    # plot_model_images did not have
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import torch

    from numeric.models import seeded_mlp

    m = seeded_mlp([2, 4, 2], seed=0)
    with pytest.raises(ValueError, match=r"the model has 2 outputs; an image needs a scalar output: pass "
                                         r"output=0\.\.1"):
        numeric.plot_model_images(m, bounds=(1.0,), res=8)
    (im,) = numeric.plot_model_images(m, bounds=(2.0,), res=8, output=1)
    centres = (np.arange(8) + 0.5) / 8 * 4 - 2          # pixel centres of [-2, 2], x1 along the columns
    x1, x2 = np.meshgrid(centres, centres)
    with torch.no_grad():
        want = m(torch.tensor(np.stack([x1.ravel(), x2.ravel()], 1), dtype=torch.float32))[:, 1].double().numpy()
    assert np.allclose(im.get_array(), want.reshape(8, 8), rtol=1e-6, atol=1e-6)
    assert im.axes.get_title().endswith("output 1")
    with pytest.raises(ValueError, match=r"output must be in 0\.\.1, got 2"):
        numeric.plot_model_images(m, bounds=(1.0,), res=8, output=2)
    plt.close("all")


def test_a_level_that_is_not_a_number_is_said_once():
    # fresh-clone trial: "level c must be a real number, got 'abc' (expected a real number, got str 'abc')"
    r = exact.regions([([[1.0, 0.0]], [0.0]), ([[1.0]], [0.0])], window=1)
    for c, shown in (("abc", "str 'abc'"), (None, "NoneType None"), ([1], "list [1]")):
        with pytest.raises(InputTypeError, match=f"^level c must be a real number, got {re.escape(shown)}$"):
            r.level_set(c)


@pytest.mark.parametrize("transform", ["vmap", "grad", "jacrev"])
def test_numeric_under_torch_func_transforms_says_what_works_instead(transform):
    # fresh-clone trial: torch.func.vmap/grad gave torch's raw "must override the setup_context staticmethod"
    import torch

    f = {"vmap": lambda: torch.func.vmap(lambda r: numeric.logsumexp(r, lam=1.0))(torch.randn(3, 4)),
         "grad": lambda: torch.func.grad(lambda r: numeric.logsumexp(r, lam=1.0))(torch.randn(4)),
         "jacrev": lambda: torch.func.jacrev(lambda r: numeric.softmax(r, lam=2.0))(torch.randn(4))}[transform]
    with pytest.raises(TypeError, match=r"^numeric\.(logsumexp|softmax) does not run under torch\.func "
                                        r"transforms .* torch\.autograd"):
        f()
    x = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64, requires_grad=True)   # what the message offers
    (g,) = torch.autograd.grad(numeric.logsumexp(x, lam=2.0), x)
    assert torch.allclose(g, torch.softmax(2.0 * x, 0), rtol=1e-14, atol=0)   # ∇lse = softmax


def test_a_forward_that_normalises_its_input_and_squeezes_its_output_is_read():
    # fresh-clone trial: (x - 0.5) / 2.0, out * 2 + 1, -out and out.squeeze(-1) in forward were refused
    # ("node 'sub' ... is not supported"); they are exact affine steps (tests/test_scalar_ops.py has each)
    import torch

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            torch.manual_seed(0)
            self.fc1, self.fc2 = torch.nn.Linear(2, 6), torch.nn.Linear(6, 1)

        def forward(self, x):
            return (2 * self.fc2(torch.relu(self.fc1((x - 0.5) / 2.0))) + 1).squeeze(-1)

    net = exact.as_exact_net(Net())
    m = Net()
    W1 = [[Fraction(w) / 2 for w in row] for row in m.fc1.weight.tolist()]
    b1 = [b - sum(Fraction(w) for w in row) / 4 for row, b in zip(m.fc1.weight.tolist(), map(Fraction, m.fc1.bias.tolist()))]
    W2 = [[2 * Fraction(w) for w in row] for row in m.fc2.weight.tolist()]
    b2 = [2 * Fraction(b) + 1 for b in m.fc2.bias.tolist()]
    folded = exact.as_exact_net([(W1, b1), (W2, b2)])
    assert net.weights == folded.weights and net.biases == folded.biases
    assert exact.count_regions(Net(), window=4) == exact.count_regions(folded, window=4)


def test_an_infinite_window_of_a_residual_net_says_the_whole_plane_is_refused():
    # fresh-clone trial: window=inf gave "window must be a finite number, got inf" for a residual net, where a
    # plain MLP's message points to the whole plane; for a residual net that is refused, and now it says why
    import torch

    class Res(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.g, self.out = torch.nn.Linear(2, 4), torch.nn.Linear(4, 4), torch.nn.Linear(4, 1)

        def forward(self, x):
            h = torch.relu(self.a(x))
            return self.out(h + torch.relu(self.g(h)))

    for w in (math.inf, None, "plane"):
        with pytest.raises(InputError, match=r"Res has skip connections .* the whole plane \(window=None\) has no "
                                             r"bound for them\. Give a window"):
            exact.count_regions(Res(), window=w)


def test_a_level_beyond_the_float_range_is_drawn_with_its_value_in_the_legend(tmp_path):
    # review: plot(level_set=10**400) raised OverflowError (the CLI: "internal error"), float(level) in the
    # legend; a level of 1e-400 was labelled "f_0 = 0"
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from exact.cli import main

    K = 10**500    # f = K (relu(x) - relu(y)) reaches every level below inside the window
    r = exact.regions([([[1, 0], [0, 1]], [0, 0]), ([[K, -K]], [0])], window=2)
    for level, label in ((10**400, "1e+400"), (-(10**400), "-1e+400"), (Fraction(1, 10**400), "1e-400")):
        ax = Figure().add_subplot()
        r.plot(ax, level_set=level)
        assert [t.get_text() for t in ax.get_legend().get_texts()][-1] == f"$f_{{0}} = {label}$"
    two = exact.regions([([[1, 0], [0, 1]], [0, 0]), ([[1, -1], [0, 1]], [0, 0])], window=2)   # no level
    ax = Figure().add_subplot()
    two.plot(ax, decision_boundary=True)   # the first version of this fix read the level of a boundary
    assert "decision boundary" in [t.get_text() for t in ax.get_legend().get_texts()]
    spec = tmp_path / "abs.json"
    spec.write_text('{"layers": [{"weight": [[1, 0], [0, 1]], "bias": [0, 0]}, {"weight": [[1, -1]], "bias": [0]}]}')
    assert main(["regions", str(spec), "--window", "2", "--level-set", "1e400", "--plot", str(tmp_path / "p.png"),
                 "-q"]) == 0
    assert (tmp_path / "p.png").stat().st_size > 0


def test_geojson_beyond_the_float_range_is_refused_before_anything_is_written(tmp_path, capsys):
    # review: `--geojson -` with --window 1e400 wrote '{"type": "FeatureCollection", "features": [' to standard
    # output and then failed (rc 2): truncated JSON in a pipe; now the frame is checked before any work
    from exact.cli import main

    spec = tmp_path / "abs.json"
    spec.write_text('{"layers": [{"weight": [[1, 0], [0, 1]], "bias": [0, 0]}, {"weight": [[1, -1]], "bias": [0]}]}')
    assert main(["regions", str(spec), "--window", "1e400", "--geojson", "-", "-q"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "GeoJSON export: --window 1e+400 reaches 1e+400, beyond the float range" in err
    big = exact.regions(str(spec), window=10**400)
    with pytest.raises(InputError, match=r"GeoJSON export: window=1e\+400 reaches 1e\+400, beyond the float"):
        big.to_geojson()
    edge = exact.regions(str(spec), window=2**1023)   # the largest power of two: every vertex a float
    g = edge.to_geojson()
    assert max(abs(x) for f in g["features"] for x, _ in f["geometry"]["coordinates"][0]) == 2.0**1023


def test_numpy_integer_tiles_are_taken_and_tile_cells_without_tiles_is_refused():
    # review: tiles=np.int64(2) was refused ("must be ... integers") though numpy integers are taken for
    # output= and windows; tile_cells=5 without tiles= was silently ignored
    net = [([[1, 0], [0, 1], [1, 1]], [0, 0, Fraction(-1, 2)]), ([[1, 1, 1]], [0])]
    want = exact.count_regions(net, 2)
    for tiles in (np.int64(2), (np.int32(2), 1), np.array(3), (np.uint8(1), np.int16(2))):
        assert exact.count_regions(net, 2, tiles=tiles) == want
        assert exact.regions(net, 2, tiles=tiles).n_activation == want.activation
    for bad in (np.float64(2.0), np.True_, 2.0):
        with pytest.raises(InputTypeError, match=r"tiles must be a positive integer .* of integers"):
            exact.count_regions(net, 2, tiles=bad)
    with pytest.raises(InputError, match=r"tile_cells=5 sizes the tiles' jobs: give tiles= too"):
        exact.count_regions(net, 2, tile_cells=5)


def test_decimal_and_masked_points_and_windows_are_refused_as_such():
    # review: locate((Decimal('0.5'), 0)) was an InputError "expected a real number, got Decimal"; plane= said
    # "Decimal a point's coordinates are refused"; masked entries read as None ("got None")
    from decimal import Decimal

    net = exact.as_exact_net([([[1, 0], [0, 1]], [0, 0]), ([[1, -1]], [0])])
    r = exact.regions(net, 1)
    why = r"Decimal coordinates are refused \(the exact value, or the nearest float\?\): pass Fraction\(d\)"
    with pytest.raises(InputTypeError, match=r"^point\[0\] is Decimal\('0\.5'\); " + why):
        r.locate((Decimal("0.5"), 0))
    with pytest.raises(InputTypeError, match=r"^plane\[1\]\[0\] is Decimal\('1'\); " + why):
        exact.regions(net, 2, plane=[[0, 0], [Decimal("1"), 0], [0, 1]])
    with pytest.raises(InputTypeError, match=r"^point\[0\] is Decimal\('0\.5'\); " + why):
        net.evaluate((Decimal("0.5"), 0))
    masked = r"is a masked array with masked entries, which have no value; pass arr\.filled\(value\)"
    with pytest.raises(InputError, match="^point " + masked):
        r.locate(np.ma.masked_array([0.5, -0.5], mask=[0, 1]))
    for w in (np.ma.masked_array([0, 1, 0, 1], mask=[0, 0, 0, 1]), np.ma.masked_array(2.0, mask=True)):
        with pytest.raises(InputError, match="^window " + masked):
            exact.regions(net, w)
    assert r.locate(np.ma.masked_array([0.5, -0.5], mask=[0, 0])).pattern == (1, 0)   # nothing masked: read
    with pytest.raises(InputTypeError, match=r"point \('a', 0\): expected a real number, got str 'a'"):
        r.locate(("a", 0))


def test_a_checkpoint_with_a_scalar_tensor_or_a_layers_count_is_still_read_as_a_checkpoint(tmp_path):
    # review: {"epoch", "model_state_dict", "loss": tensor(0.1)} (or a numpy step count) was taken for a
    # state_dict ("entry 'epoch' is not a Linear layer's ..."), a hyperparameter "layers": 3 for a spec object,
    # and a disagreeing activation in memory raised SpecFileError
    import torch

    from numeric.models import seeded_mlp

    m = seeded_mlp([2, 5, 1], seed=0)
    sd, want = m.state_dict(), exact.count_regions(m, window=3)
    for ckpt in ({"epoch": 1, "model_state_dict": sd, "loss": torch.tensor(0.1)},
                 {"epoch": 1, "model": sd, "step": np.int64(5), "lr": np.float64(0.1)},
                 {"epoch": 1, "model": sd, "layers": 3}):
        assert exact.count_regions(ckpt, window=3) == want
        if "step" not in ckpt:   # numpy values are pickled code: a file of them is refused (weights_only)
            torch.save(ckpt, tmp_path / "c.pt")
            assert exact.count_regions(str(tmp_path / "c.pt"), window=3) == want
    with pytest.raises(InputError, match=r"its 'activation' entry 'abs' disagrees") as info:
        exact.count_regions({"activation": "abs", "model_state_dict": {**sd, "activation": "relu"}}, window=3)
    assert type(info.value) is InputError   # in memory: no spec file


def test_a_whole_plane_level_set_summary_writes_its_box_and_length_short(tmp_path, capsys):
    # review: `--window plane --level-set 1e400` printed "length inf inside the box [-1171828...(401 digits)]^2"
    from exact.cli import main

    spec = tmp_path / "abs.json"
    spec.write_text('{"layers": [{"weight": [[1, 0], [0, 1]], "bias": [0, 0]}, {"weight": [[1, -1]], "bias": [0]}]}')
    assert main(["regions", str(spec), "--window", "plane", "--level-set", "1e400", "-q"]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    r = exact.regions(str(spec), window=None)
    k = Fraction(r.level_set(10**400).box).numerator.bit_length() - 1
    assert Fraction(r.level_set(10**400).box) == 2**k   # a power of two: written 2^k, exactly
    assert line.endswith(f"length beyond the float range inside the box [-B, B]^2 with B = 2^{k} "
                         "(2 ends go on beyond it)") and len(line) < 200
    assert main(["regions", str(spec), "--window", "plane", "--level-set", "1", "-q"]) == 0
    assert "length 3.41421 inside the box [-2, 2]^2 (2 ends go on beyond it)" in capsys.readouterr().out


def test_the_limit_to_minus_infinity_checks_its_softmax_claim():
    # teacher trial: "λ → −∞ turns ... softmax into the (uniform over ties) arg min" was concluded with no
    # step deriving or checking it (the steps covered lse only); now a chain rewrites softmax(σ; −μ) as
    # softmax(−σ; μ), checked, citing 2(e) Ties
    import sympy as sp

    from exact.errors import VerificationError
    from exact.symbolic.limits import limit_minus_infinity

    d = limit_minus_infinity()
    last = d.steps[-1]
    assert "softmax}_k" in last.why and "2(e) Ties" in last.method and "τ_j = −σ_j" in last.method
    assert "softmax" in d.statement and r"\arg\min" in d.statement
    wrong = last.expr.replace(lambda e: isinstance(e, sp.exp), lambda e: sp.exp(-e.args[0]))   # the sign lost
    with pytest.raises(VerificationError, match="step 3"):
        d.replaced(step=len(d.steps) - 1, expr=wrong).verify()


def test_a_picture_title_says_one_linear_region_in_the_singular():
    # teacher trial: an affine net's plot was titled "2-4-3: 4 activation / 1 linear regions"
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from exact.html_view import view_data

    r = exact.regions([([[1, 0], [-1, 0]], [0, 0]), ([[1, -1]], [0])], window=1)   # relu(x) - relu(-x) = x
    ax = Figure().add_subplot()
    r.plot(ax)
    assert ax.get_title().startswith("2-2-1: 2 activation / 1 linear region\n")
    assert view_data(r)["title"].startswith("2-2-1: 2 activation / 1 linear region, ")
    r3 = exact.regions([([[1, 0, 0], [-1, 0, 0]], [0, 0]), ([[1, -1]], [0])], window=1)
    ax3 = Figure().add_subplot(projection="3d")
    r3.plot(ax3)
    assert ax3.get_title().startswith("3-2-1: 2 activation / 1 linear region\n")


def test_whole_plane_area_lines_say_they_are_of_the_bounded_cells(tmp_path, capsys):
    # teacher trial: `--window plane` printed "largest area: 0.5" where 6 of 7 cells are unbounded
    from exact.cli import main

    spec = tmp_path / "tri.json"   # x = 0, y = 0, x + y = 1: one bounded triangle of area 1/2
    spec.write_text('{"layers": [{"weight": [[1, 0], [0, 1], [1, 1]], "bias": [0, 0, -1]}, '
                    '{"weight": [[1, 1, 0]], "bias": [0]}]}')
    assert main(["regions", str(spec), "--window", "plane", "-q"]) == 0
    out = capsys.readouterr().out
    assert "unbounded cells: 6" in out and "smallest bounded area: 0.5" in out and "largest bounded area: 0.5" in out
    assert main(["regions", str(spec), "--window", "2", "-q"]) == 0   # in a window every cell is bounded
    out = capsys.readouterr().out
    assert "largest area: 4.0" in out and "bounded area" not in out


def test_html_with_a_level_set_says_the_page_draws_the_regions_only(tmp_path, capsys):
    # teacher trial: --html with --level-set/--decision-boundary dropped the curves from the page silently
    pytest.importorskip("plotly")
    from exact.cli import main

    spec = tmp_path / "net.json"
    exact.save_json([([[1, 0], [0, 1]], [0, 0]), ([[1, -1], [0, 1]], [0, 0])], spec)
    args = ["regions", str(spec), "--window", "2", "--html", str(tmp_path / "v.html")]
    assert main(args + ["--level-set", "0", "--decision-boundary"]) == 0
    assert "note: --html draws the regions only; level sets and decision boundaries are drawn by --plot" in (
        capsys.readouterr().err)
    assert main(args) == 0 and "note:" not in capsys.readouterr().err
    assert main(args + ["--level-set", "0", "-q"]) == 0 and capsys.readouterr().err == ""


def test_code_in_the_latex_proofs_uses_the_typewriter_fonts_own_glyphs():
    # teacher trial: `p[k] > 0` became \texttt{p[k] \textgreater{} 0}, whose ">" pdflatex takes from the math
    # font ("Font shape OML/cmtt/m/n undefined"); tests/test_latex.py now fails the compile on that warning
    from exact.symbolic.render import tex_text

    assert tex_text("`p[k] > 0` and a < b") == r"\texttt{p[k] \char62{} 0} and a \textless{} b"
    assert "textgreater" not in tex_text("`{a|b}\\c ~ ^ <`")


def test_indexing_one_output_is_refused_with_where_to_choose_it():
    # teacher trial: out[:, 0] in forward was refused as "operation 'getitem' is not supported", no more
    import torch

    class Pick(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.o = torch.nn.Linear(2, 3), torch.nn.Linear(3, 2)

        def forward(self, x):
            return self.o(torch.relu(self.a(x)))[:, 0]

    with pytest.raises(exact.UnsupportedNetworkError, match=r"operation 'getitem' is not supported; .* to pick "
                                                              r"one output \(out\[:, k\]\), read the model without"):
        exact.count_regions(Pick(), window=2)


def test_alpha_of_torch_add_scales_the_second_operand_even_when_it_is_the_computed_value():
    # self-review: torch.add(2.0, x, alpha=3) = 2 + 3x was read as x + 6 (alpha applied to the constant);
    # the forward check refused the module ("does not reproduce its forward") instead of reading it
    import torch

    class Add(torch.nn.Module):
        def __init__(self):
            super().__init__()
            torch.manual_seed(0)
            self.a, self.o = torch.nn.Linear(2, 3), torch.nn.Linear(3, 1)

        def forward(self, x):
            return self.o(torch.relu(torch.add(2.0, self.a(x), alpha=3)))

    m = Add()
    W, b = m.a.weight.tolist(), m.a.bias.tolist()
    folded = exact.as_exact_net([([[3 * Fraction(w) for w in row] for row in W], [3 * Fraction(v) + 2 for v in b]),
                                 (m.o.weight.tolist(), m.o.bias.tolist())])
    got = exact.as_exact_net(m)
    assert got.weights == folded.weights and got.biases == folded.biases


@pytest.mark.parametrize("spelling", ["x.clamp(min=0)", "torch.clamp(x, min=0)", "x.clamp_min(0)", "x.clip(-1, 2)",
                                      "torch.clamp(x, min=-1, max=2)"])
def test_clamp_is_read_as_the_relu_or_hardtanh_it_is(spelling):
    # teacher trial: x.clamp(min=0), a student's ReLU, was refused ("operation 'clamp' is not supported")
    import torch

    class Net(torch.nn.Module):
        def __init__(self, how):
            super().__init__()
            torch.manual_seed(4)
            self.a, self.o, self.how = torch.nn.Linear(2, 5), torch.nn.Linear(5, 1), how

        def forward(self, x):
            h = self.a(x)
            return self.o({"x.clamp(min=0)": lambda: h.clamp(min=0), "torch.clamp(x, min=0)": lambda: torch.clamp(h, min=0),
                           "x.clamp_min(0)": lambda: h.clamp_min(0), "x.clip(-1, 2)": lambda: h.clip(-1, 2),
                           "torch.clamp(x, min=-1, max=2)": lambda: torch.clamp(h, min=-1, max=2),
                           "relu": lambda: torch.relu(h),
                           "hardtanh": lambda: torch.nn.functional.hardtanh(h, -1.0, 2.0)}[self.how]())

    want = Net("relu" if "-1" not in spelling else "hardtanh")
    assert exact.as_exact_net(Net(spelling)) == exact.as_exact_net(want)
    assert exact.count_regions(Net(spelling), window=3) == exact.count_regions(want, window=3)


def test_a_clamp_on_one_side_only_is_refused_saying_how_to_write_it():
    import torch

    class Half(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.o = torch.nn.Linear(2, 5), torch.nn.Linear(5, 1)

        def forward(self, x):
            return self.o(self.a(x).clamp(max=1))

    with pytest.raises(exact.UnsupportedNetworkError, match=r"clamps with min=None, max=1: read are clamp\(min=0\), "
                                                              r"a ReLU, .* write min\(x, b\) as b - relu\(b - x\)"):
        exact.count_regions(Half(), window=2)


def test_torch_rsub_is_read_and_the_geojson_limit_is_said_with_its_digits():
    # final review: torch.rsub(x, 2.0) was refused ("operation 'rsub' is not supported"); the GeoJSON refusal said
    # "reaches 1.80e+308, beyond the float range (about 1.8e+308)", which read as a contradiction
    import torch

    class R(torch.nn.Module):
        def __init__(self):
            super().__init__()
            torch.manual_seed(2)
            self.a, self.o = torch.nn.Linear(2, 3), torch.nn.Linear(3, 1)

        def forward(self, x):
            return self.o(torch.relu(torch.rsub(self.a(x), 0.5, alpha=2)))   # 0.5 - 2 a(x)

    m = R()
    folded = exact.as_exact_net([([[-2 * Fraction(w) for w in row] for row in m.a.weight.tolist()],
                                  [Fraction(1, 2) - 2 * Fraction(b) for b in m.a.bias.tolist()]),
                                 (m.o.weight.tolist(), m.o.bias.tolist())])
    assert exact.as_exact_net(m) == folded
    r = exact.regions([([[1, 0]], [0]), ([[1]], [0])], window=2**1024 - 2**970)
    with pytest.raises(InputError, match=r"beyond the float range of its numbers \(a coordinate of 2\^1024 - "
                                         r"2\^970, about 1\.797693e\+308, or more rounds to infinity\)"):
        r.to_geojson()
    assert exact.regions([([[1, 0]], [0]), ([[1]], [0])], window=2**1024 - 2**970 - 1).to_geojson()["features"]


def test_a_hidden_in_place_write_is_refused_naming_its_own_out_of_place_form():
    # final review: h.add_(1.0) read again afterwards was refused with the advice "(torch.relu(x), inplace=False)"
    import torch

    class W(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b, self.c = torch.nn.Linear(2, 3), torch.nn.Linear(3, 1), torch.nn.Linear(3, 1)

        def forward(self, x):
            h = torch.relu(self.a(x))
            g = h.add_(1.0)   # h is g now, though the graph's h is the value before the write
            return self.b(h) + self.c(g)

    with pytest.raises(InputError, match=r"writes in place into .* use x\.add\(\.\.\.\) instead of x\.add_\(\.\.\.\)$"):
        exact.count_regions(W(), window=2)


def test_a_ctrl_c_while_the_command_starts_its_fork_server_is_raised_not_lost(tmp_path):
    """Session 15: the command line started its fork server with SIGINT ignored (so that the server, still
    importing, prints no traceback), and a Ctrl-C in those milliseconds was lost: 1 of 30 Ctrl-Cs sent 0.1 -
    0.35 s into `exactnet count 2-100-100-100-100-1 --tiles 3 --jobs 2` let the count run to its end.  SIGINT
    is now blocked instead: the server inherits the block (checked in /proc), and this process raises the
    Ctrl-C once the server has started."""
    import subprocess
    import sys

    script = tmp_path / "start.py"
    script.write_text(
        "import os, signal\n"
        "from multiprocessing import forkserver\n"
        "from exact.worker_threads import start_fork_server_deaf_to_ctrl_c\n"
        "start = forkserver.ensure_running\n"
        "def ctrl_c_meanwhile():\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    start()\n"
        "forkserver.ensure_running = ctrl_c_meanwhile\n"
        "try:\n"
        "    start_fork_server_deaf_to_ctrl_c()\n"
        "    print('lost', flush=True)\n"
        "except KeyboardInterrupt:\n"
        "    print('raised', flush=True)\n"
        "pid = forkserver._forkserver._forkserver_pid\n"
        "blocked = next(l for l in open(f'/proc/{pid}/status') if l.startswith('SigBlk:')).split()[1]\n"
        "print(bool(int(blocked, 16) >> (signal.SIGINT - 1) & 1), flush=True)\n")
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert (run.stdout, run.stderr) == ("raised\nTrue\n", "")


class _LosesEachJobFirst(concurrent.futures.Executor):
    """Runs each job here; the first ``lose`` runs of each job fail as dask's executor fails when the worker
    holding the result is killed at the wrong moment (a TypeError raised inside distributed)."""

    def __init__(self, lose: int):
        self.lose, self.runs = lose, collections.Counter()

    def submit(self, fn, /, *args, **kwargs):
        future = concurrent.futures.Future()
        key = repr(args[0].tile)
        self.runs[key] += 1
        if self.runs[key] <= self.lose:
            future.set_exception(TypeError("cannot unpack non-iterable TileSummary object"))
        else:
            future.set_result(fn(*args, **kwargs))
        return future


def test_a_tile_the_executor_lost_is_run_again_once_not_reported_as_a_crash():
    """Clean-clone CI, session 15: test_a_dask_worker_killed_mid_tiled_run_costs_nothing_but_time failed once.
    The killed worker held a finished tile; dask's executor read the task's status after its result, found it
    being computed again, and failed the future with "TypeError: cannot unpack non-iterable TileSummary
    object", which ended the tiled count.  A job whose failure may be its executor's is now run once more
    (the answer is exact: a second run costs only time); a second loss, and refusals, are raised."""
    net = exact.as_exact_net(numeric.seeded_mlp([2, 8, 8, 1], seed=0))
    ref = exact.count_regions(net, window=4)
    lossy = _LosesEachJobFirst(1)
    assert exact.count_regions(net, window=4, tiles=2, executor=lossy) == ref
    assert sorted(set(lossy.runs.values())) == [2]  # each tile: lost once, then run
    assert exact.regions(net, window=4, tiles=2, executor=_LosesEachJobFirst(1)).n_linear == ref.linear
    with pytest.raises(TypeError, match="cannot unpack"):  # lost twice: raised
        exact.count_regions(net, window=4, tiles=2, executor=_LosesEachJobFirst(2))
    refusing = _LosesEachJobFirst(0)
    with pytest.raises(exact.TooManyRegionsError):  # a refusal is the same on every run: not run again
        exact.count_regions(net, window=4, tiles=2, executor=refusing, max_regions=2, tile_cells=None)
    assert set(refusing.runs.values()) == {1}


class _LosesEachChunkFirst(concurrent.futures.Executor):
    """Runs each submitted call here; the first ``lose`` calls fail as a lost dask job does."""

    def __init__(self, lose: int):
        self.lose, self.calls = lose, 0

    def submit(self, fn, /, *args, **kwargs):
        future = concurrent.futures.Future()
        self.calls += 1
        if self.calls <= self.lose:
            future.set_exception(TypeError("cannot unpack non-iterable tuple object"))
        else:
            future.set_result(fn(*args, **kwargs))
        return future


def test_count_many_runs_a_chunk_its_executor_lost_again_instead_of_failing_its_nets():
    """Session 15, with the tiled fix: count_many reported every net of a chunk as failed when the chunk's future
    failed, also when the executor (a dask worker killed as it held the result) and not the nets failed.  Such
    a chunk is now run once more; lost twice, its nets are reported failed, with the executor's error."""
    nets = [numeric.seeded_mlp([2, 4, 1], seed=s) for s in range(3)]
    ref = [exact.count_regions(n) for n in nets]
    lossy = _LosesEachChunkFirst(1)
    assert exact.count_many(nets, executor=lossy) == ref
    assert lossy.calls >= 2
    failing = exact.count_many(nets[:1], executor=_LosesEachChunkFirst(2), on_error="return")
    assert (failing[0].error, failing[0].message) == ("TypeError", "cannot unpack non-iterable tuple object")

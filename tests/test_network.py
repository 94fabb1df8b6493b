"""The exact network model, its validation and its readers (torch modules, spec files)."""

import json
from fractions import Fraction

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from exact import ExactNet, as_exact_net, get_activation, load_spec, parameter_count, save_json
from exact.activations import piecewise_linear
from exact.errors import (
    InputError,
    InputTypeError,
    SpecFileError,
    UnsupportedActivationError,
    UnsupportedNetworkError,
)
from exact.torch_reading import from_torch


def test_sheet_parameter_count_is_81():
    # 20 neurons x (2 weights + 1 bias) + 20 output weights + 1 output bias
    assert parameter_count([2, 20, 1]) == 2 * 20 + 20 + 20 * 1 + 1 == 81
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(2, 20), nn.ReLU(), nn.Linear(20, 1))
    assert sum(p.numel() for p in m.parameters()) == 81


@pytest.mark.parametrize("widths", [[2, 5, 5, 5, 5, 1], [3, 7, 2], [1, 1], [4, 16, 8, 3]])
def test_parameter_count_matches_torch(widths):
    mods = []
    for a, b in zip(widths[:-1], widths[1:]):
        mods += [nn.Linear(a, b), nn.ReLU()]
    m = nn.Sequential(*mods[:-1])
    assert parameter_count(widths) == sum(p.numel() for p in m.parameters())


def test_parameter_count_rejects_bad_widths():
    with pytest.raises(InputError, match=r"widths\[1\] must be a positive integer, got 0"):
        parameter_count([2, 0, 1])
    with pytest.raises(InputError, match="at least an input and an output"):
        parameter_count([2])


def test_weights_taken_at_exact_binary_value():
    net = ExactNet.from_layers([([[np.float32(0.1), 0.1]], [Fraction(1, 3)]), ([[1]], [0])])
    w32, w64 = net.weights[0][0]
    assert w32 == Fraction(float(np.float32(0.1))) and w64 == Fraction(0.1)
    assert w32 != w64 and net.biases[0][0] == Fraction(1, 3)


@pytest.mark.parametrize(
    "layers, match",
    [
        ([([[1.0, float("nan")]], [0.0]), ([[1.0]], [0.0])], r"weight of layer 0 contains nan at neuron 0, input 1"),
        ([([[1.0, 2.0]], [0.0]), ([[float("inf")]], [0.0])], r"weight of layer 1 contains inf at neuron 0"),
        ([([[1.0, 2.0], [1.0, 1.0]], [0.0]), ([[1.0, 1.0]], [0.0])], r"layer 0: weight has 2 rows .* bias has 1"),
        ([([[1.0, 2.0]], [0.0]), ([[1.0, 1.0]], [0.0])], r"layer 1 expects 2 inputs but layer 0 has 1 neuron"),
        ([], r"layers is empty"),
        ([([[]], []), ([[1.0]], [0.0])], r"has no columns"),
        ([([[1.0, 2.0], [3.0]], [0.0, 0.0]), ([[1.0, 1.0]], [0.0])], r"ragged"),
    ],
)
def test_invalid_layers_name_the_problem(layers, match):
    with pytest.raises(InputError, match=match):
        ExactNet.from_layers(layers)


@pytest.mark.parametrize(
    "W, match",
    [
        (np.array([[1 + 1j, 0]]), "complex dtype"),
        (np.array([[True, False]]), "bool dtype"),
        (np.array([["a", "b"]]), "dtype <U1"),
        (torch.tensor([[1.0, 2.0]], dtype=torch.complex64), "complex dtype"),
    ],
)
def test_bad_dtypes_are_type_errors(W, match):
    with pytest.raises(InputTypeError, match=match):
        ExactNet.from_layers([(W, [0.0]), ([[1.0]], [0.0])])


def test_torch_half_precision_is_read_exactly():
    W = torch.tensor([[0.1, 0.3]], dtype=torch.bfloat16)
    net = ExactNet.from_layers([(W, torch.zeros(1, dtype=torch.float16)), ([[1.0]], [0.0])])
    assert net.weights[0][0][0] == Fraction(float(W[0, 0].float()))


def _all_array_net(dtype=np.float32, nan_at=None):
    rng = np.random.default_rng(3)
    layers = [(rng.normal(size=(4, 2)).astype(dtype), rng.normal(size=4).astype(dtype)),
              (rng.normal(size=(1, 4)).astype(dtype), rng.normal(size=1).astype(dtype))]
    if nan_at is not None:
        layers[nan_at[0]][0][nan_at[1], nan_at[2]] = np.nan
    return layers


def test_float_arrays_kept_and_fractions_made_on_demand_are_exact():
    layers = _all_array_net()
    lazy = ExactNet.from_layers(layers)
    assert lazy.float_layers() is not None and lazy.widths == (2, 4, 1)
    # the same net through the general path: lists of Fractions at the floats' exact values
    eager = ExactNet.from_layers([([[Fraction(float(v)) for v in r] for r in W], [Fraction(float(v)) for v in b])
                                  for W, b in layers])
    assert eager.float_layers() is None
    assert lazy.weights == eager.weights and lazy.biases == eager.biases
    assert lazy == eager and hash(lazy) == hash(eager)
    # a float32 value is not the decimal it prints as
    assert lazy.weights[0][0][0] == Fraction(float(layers[0][0][0, 0]))
    assert lazy.weights[0][0][0] != Fraction(str(layers[0][0][0, 0]))


def test_float_path_copies_and_freezes_the_arrays():
    layers = _all_array_net(np.float64)
    net = ExactNet.from_layers(layers)
    before = net.weights[0][0][0]
    layers[0][0][0, 0] += 1.0  # the caller's array changes; the net does not
    assert net.float_layers()[0][0][0, 0] == float(before)
    with pytest.raises(ValueError):
        net.float_layers()[0][0][0, 0] = 5.0
    with pytest.raises(AttributeError, match="immutable"):
        net.activations = ()


def test_float_path_round_trips_through_pickle():
    import pickle

    net = ExactNet.from_layers(_all_array_net())
    back = pickle.loads(pickle.dumps(net))
    assert back == net and back.float_layers() is not None
    eager = ExactNet(net.weights, net.biases, net.activations)
    assert pickle.loads(pickle.dumps(eager)) == eager


def test_nan_in_float_arrays_named_like_lists():
    with pytest.raises(InputError, match=r"weight of layer 1 contains nan at neuron 0, input 2"):
        ExactNet.from_layers(_all_array_net(nan_at=(1, 0, 2)))


def test_constructor_checks_activation_count():
    net = ExactNet.from_layers(_all_array_net())
    with pytest.raises(InputError, match="2 layers need 1 activation, got 0"):
        ExactNet(net.weights, net.biases, ())


class SheetShallow(nn.Module):
    """The sheet's class: activation as a function call inside forward."""

    def __init__(self):
        super().__init__()
        self.fc0 = nn.Linear(2, 20)
        self.fc1 = nn.Linear(20, 1)

    def forward(self, x):
        return self.fc1(torch.relu(self.fc0(x)))


class AbsAct(nn.Module):
    def forward(self, x):
        return x.abs()


def test_custom_module_read_in_forward_order():
    torch.manual_seed(0)
    m = SheetShallow()
    net = from_torch(m)
    assert net.widths == (2, 20, 1) and net.activations[0].name == "relu"
    assert net.weights[0][3][1] == Fraction(float(m.fc0.weight.detach()[3, 1]))


def test_forward_order_not_registration_order():
    class Reversed(nn.Module):
        def __init__(self):
            super().__init__()
            self.out = nn.Linear(3, 1)  # registered first, used last
            self.inp = nn.Linear(2, 3)

        def forward(self, x):
            return self.out(torch.nn.functional.leaky_relu(self.inp(x), 0.25))

    net = from_torch(Reversed())
    assert net.widths == (2, 3, 1)
    assert net.activations[0].slopes[0] == Fraction(1, 4)


@pytest.mark.parametrize(
    "act, name", [(nn.ReLU(), "relu"), (AbsAct(), "abs"), (nn.LeakyReLU(0.5), "leaky_relu"),
                  (nn.Hardtanh(-2.0, 3.0), "hardtanh")]
)
def test_supported_activation_modules(act, name):
    m = nn.Sequential(nn.Linear(2, 3), act, nn.Linear(3, 1))
    assert from_torch(m).activations[0].name == name


@pytest.mark.parametrize("act, error", [(nn.Sigmoid(), UnsupportedActivationError),
                                         (nn.Tanh(), UnsupportedActivationError),
                                         (nn.GELU(), UnsupportedActivationError),
                                         (nn.Softplus(), UnsupportedActivationError),
                                         (nn.BatchNorm1d(3), UnsupportedNetworkError)])  # training mode
def test_unsupported_activations_rejected(act, error):
    m = nn.Sequential(nn.Linear(2, 3), act, nn.Linear(3, 1))
    with pytest.raises(UnsupportedNetworkError, match="not a supported piecewise-linear") as info:
        from_torch(m)
    assert info.type is error


def test_training_dropout_rejected_eval_dropout_ignored():
    m = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Dropout(0.5), nn.Linear(3, 1))
    with pytest.raises(UnsupportedNetworkError, match="Dropout in training mode"):
        from_torch(m)
    assert from_torch(m.eval()).widths == (2, 3, 1)


def test_functional_sigmoid_rejected():
    class Sig(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(2, 2)
            self.b = nn.Linear(2, 1)

        def forward(self, x):
            return self.b(torch.sigmoid(self.a(x)))

    with pytest.raises(UnsupportedActivationError, match="'sigmoid'"):
        from_torch(Sig())


def test_activation_names_rejected():
    with pytest.raises(UnsupportedActivationError, match="'tanh' is not piecewise linear"):
        ExactNet.from_layers([([[1.0, 1.0]], [0.0]), ([[1.0]], [0.0])], activation="tanh")


def _spec_dict():
    return {"layers": [{"weight": [[1.0, -2.0], [0.5, 0.25]], "bias": [0.0, 1.0]},
                       {"weight": [[1.0, 1.0]], "bias": [0.0]}],
            "activation": {"name": "leaky_relu", "params": [0.125]}}


def test_json_spec_roundtrip(tmp_path):
    p = tmp_path / "n.json"
    p.write_text(json.dumps(_spec_dict()))
    net = load_spec(p)
    assert net.widths == (2, 2, 1) and net.activations[0].slopes[0] == Fraction(1, 8)
    q = tmp_path / "m.json"
    save_json(net, q)
    assert load_spec(q) == net


def test_npz_spec(tmp_path):
    p = tmp_path / "n.npz"
    np.savez(p, W0=np.eye(2, dtype=np.float32), b0=np.zeros(2, np.float32),
             W1=np.ones((1, 2)), b1=np.zeros(1))
    assert load_spec(p).widths == (2, 2, 1)


def test_pt_state_dict_spec(tmp_path):
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))
    p = tmp_path / "n.pt"
    torch.save(m.state_dict(), p)
    assert load_spec(p) == from_torch(m)


def test_pt_with_pickled_object_refused(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("this must never run",))

    p = tmp_path / "evil.pt"
    torch.save({"x": Evil()}, p)
    with pytest.raises(SpecFileError, match="weights_only=True"):
        load_spec(p)


@pytest.mark.parametrize(
    "content, suffix, match",
    [
        ("{not json", ".json", "is not valid JSON"),
        ('{"layers": 3}', ".json", "needs an object with a 'layers' list"),
        ('{"layers": [{"weight": [[1, 2]]}]}', ".json", r"layers\[0\] needs 'weight' and 'bias'"),
        ("hello", ".txt", "unknown suffix '.txt'"),
        ("garbage", ".npz", "is not an .npz archive"),
    ],
)
def test_invalid_spec_files(tmp_path, content, suffix, match):
    p = tmp_path / ("bad" + suffix)
    p.write_text(content)
    with pytest.raises(SpecFileError, match=match):
        load_spec(p)


def test_missing_spec_file(tmp_path):
    with pytest.raises(SpecFileError, match="does not exist"):
        as_exact_net(str(tmp_path / "nope.json"))


def test_exact_evaluation_matches_torch_float64():
    torch.manual_seed(1)
    m = nn.Sequential(nn.Linear(2, 6), nn.ReLU(), nn.Linear(6, 6), nn.ReLU(), nn.Linear(6, 1)).double()
    net = from_torch(m)
    for x in ([0.3, -0.7], [2.0, 5.0], [-1.5, 0.25]):
        exact_val = net.evaluate(x)[0]
        torch_val = m(torch.tensor([x], dtype=torch.float64)).item()
        assert abs(float(exact_val) - torch_val) <= 1e-12 * max(1.0, abs(torch_val))


def test_plain_sequential_read_directly_agrees_with_tracing():
    torch.manual_seed(1)
    inner = nn.Sequential(nn.Linear(2, 4), nn.LeakyReLU(0.125), nn.Sequential(nn.Linear(4, 3), nn.ReLU()),
                          nn.Identity(), nn.Linear(3, 1))

    class Wrapped(nn.Module):  # a custom forward: read through torch.fx
        def __init__(self):
            super().__init__()
            self.body = inner

        def forward(self, x):
            return self.body(x)

    direct, traced = from_torch(inner), from_torch(Wrapped())
    assert direct == traced
    assert direct.widths == (2, 4, 3, 1)
    assert [a.name for a in direct.activations] == ["leaky_relu", "relu"]


def test_sequential_subclass_read_directly_unless_forward_is_overridden():
    from numeric.models import MLPDeep, seeded_mlp

    class Reversed(nn.Sequential):
        def forward(self, x):  # not the chain: must be traced, and tracing sees the real order
            return self[2](self[1](self[0](x)))

    torch.manual_seed(0)
    plain = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 1))
    assert as_exact_net(seeded_mlp([2, 4, 3, 1])) == as_exact_net(plain)  # same seed, same order
    assert isinstance(seeded_mlp([2, 4, 3, 1]), MLPDeep)
    torch.manual_seed(0)
    r = Reversed(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1), nn.Linear(1, 1))
    assert as_exact_net(r).widths == (2, 4, 1)  # the unused last Linear is not read


def test_forward_hooks_refused():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))
    m[0].register_forward_hook(lambda mod, inp, out: 2 * out)
    with pytest.raises(InputError, match="module '0' has forward hooks"):
        as_exact_net(m)


# --- save -> load round trip (issue 13, item 4) -------------------------------------------

_values = st.one_of(
    st.integers(-10**30, 10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.fractions(max_denominator=10**12),
    st.integers(-3, 3).map(lambda k: k * 2**20000 + 1),                    # beyond float, 6000 digits
    st.integers(1, 9).map(lambda k: Fraction(3**k, 2**1100)),                # dyadic but not a float
    st.integers(1, 9).map(lambda k: Fraction(-(10**5000) - k, 7)),           # long decimals
)
_activations = st.one_of(
    st.sampled_from([get_activation(n) for n in ("relu", "abs", "identity")]),
    _values.map(lambda s: get_activation("leaky_relu", s)),
    st.tuples(_values, _values).filter(lambda t: t[0] != t[1])
      .map(lambda t: get_activation("hardtanh", min(t), max(t))),
    st.just(piecewise_linear("wiggle", [-1, Fraction(1, 3)], [1, -2, Fraction(1, 7)],
                             [0, -3, -3 - Fraction(2, 3) - Fraction(1, 21)])),
)


@st.composite
def _nets(draw):
    widths = draw(st.lists(st.integers(1, 3), min_size=2, max_size=4))
    layers = [([[draw(_values) for _ in range(a)] for _ in range(b)], [draw(_values) for _ in range(b)])
              for a, b in zip(widths[:-1], widths[1:])]
    acts = [draw(_activations) for _ in widths[2:]]
    return ExactNet.from_layers(layers, activation=acts)


@settings(max_examples=60, deadline=None)
@given(_nets())
def test_save_then_load_gives_the_same_net(net):
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = f"{d}/net.json"
        save_json(net, path)
        back = load_spec(path)
    assert back == net and hash(back) == hash(net)
    assert back.activations == net.activations


def test_round_trip_of_float_arrays_keeps_the_binary_values(tmp_path):
    layers = _all_array_net(np.float32)
    net = ExactNet.from_layers(layers, activation="leaky_relu")
    save_json(net, tmp_path / "n.json")
    back = load_spec(tmp_path / "n.json")
    assert back == net and back.weights[0][0][0] == Fraction(float(layers[0][0][0, 0]))


def test_round_trip_would_fail_with_decimal_text(tmp_path, monkeypatch):
    # made to fail on purpose: the round-trip check can fail -- an encoder that writes every
    # value through float() loses 1/3
    from exact import loading

    net = ExactNet.from_layers([([[Fraction(1, 3)]], [0]), ([[1]], [0])])
    monkeypatch.setattr(loading, "_encode", lambda v: float(v))
    save_json(net, tmp_path / "n.json")
    assert load_spec(tmp_path / "n.json") != net


# --- activations of .pt and .npz specs -----------------------------------------------------

def test_pt_activation_entry(tmp_path):
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(2, 4), nn.LeakyReLU(0.25), nn.Linear(4, 3), nn.Hardtanh(-1.0, 2.0), nn.Linear(3, 1))
    p = tmp_path / "n.pt"
    torch.save({**m.state_dict(), "activation": [{"name": "leaky_relu", "params": [0.25]},
                                                 {"name": "hardtanh", "params": [-1, 2]}]}, p)
    assert load_spec(p) == from_torch(m)
    torch.save({**m.state_dict(), "activation": "abs"}, p)
    assert [a.name for a in load_spec(p).activations] == ["abs", "abs"]
    torch.save(m.state_dict(), p)  # no entry: ReLU, as documented
    assert [a.name for a in load_spec(p).activations] == ["relu", "relu"]


def test_npz_activation_name_or_json(tmp_path):
    p = tmp_path / "n.npz"
    arrays = dict(W0=np.eye(2), b0=np.zeros(2), W1=np.ones((1, 2)), b1=np.zeros(1))
    np.savez(p, **arrays, activation=np.array("abs"))
    assert load_spec(p).activations[0].name == "abs"
    np.savez(p, **arrays, activation=np.array('{"name": "leaky_relu", "params": ["1/3"]}'))
    assert load_spec(p).activations[0].slopes[0] == Fraction(1, 3)
    np.savez(p, **arrays, activation=np.array('{"name": "leaky_relu", "params": [0.5'))
    with pytest.raises(SpecFileError, match="'activation' is not valid JSON"):
        load_spec(p)


def test_integer_layers_are_made_once_and_equal_a_fresh_computation():
    import numeric

    net = as_exact_net(numeric.seeded_mlp([2, 8, 8, 1], seed=3))
    first = net.integer_layers()
    assert net.integer_layers() is first                       # cached on the immutable net
    fresh = ExactNet(net.weights, net.biases, net.activations)  # built from the Fractions, no cache yet
    assert fresh.integer_layers() == first
    for L, W, b in zip(first, net.weights, net.biases):        # and each is W * scale, exactly
        assert all(Fraction(wi, L.scale) == w for ri, r in zip(L.Wi, W) for wi, w in zip(ri, r))
        assert all(Fraction(bi, L.scale) == v for bi, v in zip(L.bi, b))


_FLOATS = st.floats(allow_nan=False, allow_infinity=False, width=64)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.data())
def test_integer_layers_of_floats_equal_the_fraction_route(rows, cols, data):
    """Float-read nets scale to integers from the floats' binary form; the Fraction route is the reference."""
    W = np.array(data.draw(st.lists(st.lists(_FLOATS, min_size=cols, max_size=cols), min_size=rows,
                                    max_size=rows)))
    b = np.array(data.draw(st.lists(_FLOATS, min_size=rows, max_size=rows)))
    net = ExactNet.from_layers([(W, b), (np.ones((1, rows)), np.zeros(1))])
    fresh = ExactNet(net.weights, net.biases, net.activations)   # no floats kept: Fractions scaled
    assert net.float_layers() is not None and fresh.float_layers() is None
    assert net.integer_layers() == fresh.integer_layers()


_rational = st.fractions(min_value=-4, max_value=4, max_denominator=12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 3), min_size=1, max_size=3), st.sampled_from(
    [("relu", None), ("leaky_relu", Fraction(1, 3)), ("hardtanh", None), ("abs", None)]),
    st.data())
def test_affine_on_pattern_equals_exact_evaluation_at_points(hidden, act, data):
    """The integer composition of affine_on_pattern gives the net's exact value at points of the cell."""
    from exact.network import affine_on_pattern

    widths = [2, *hidden, data.draw(st.integers(1, 2))]
    layers = [([[data.draw(_rational) for _ in range(a)] for _ in range(b)], [data.draw(_rational) for _ in range(b)])
              for a, b in zip(widths, widths[1:])]
    name, param = act
    net = ExactNet.from_layers(layers, activation=get_activation(name, param) if param else name)
    for _ in range(3):
        x = (data.draw(_rational), data.draw(_rational))
        f = affine_on_pattern(net, net.pattern_at(x))
        value = tuple(g0 * x[0] + g1 * x[1] + o for (g0, g1), o in zip(f.gradient, f.offset))
        assert value == net.evaluate(x)

"""State_dicts in memory, safetensors files and the architecture given alongside a state_dict
(exact/loading.py, exact/state_dicts.py, exact/safetensors_file.py, exact/spec_values.py).

The oracles: the same network read from the torch module itself (from_torch), torch's own
conversions of float16/bfloat16/float32 to float64, and a safetensors writer written here
from the format's description (header length, JSON header, raw little-endian data).
"""

import json
import os
import struct
import subprocess
import sys
from collections import OrderedDict
from fractions import Fraction

import numpy as np
import pytest
import torch
from torch import nn

import exact
from exact import ExactNet
from exact.errors import InputError, InputTypeError, SpecFileError, UnsupportedActivationError
from exact.safetensors_file import read_safetensors

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_CODES = {torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
          torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8"}


def write_safetensors(path, tensors, metadata=None, order=None):
    """A safetensors file as the format describes it; the data in ``order`` (default: by name)."""
    header, chunks, offset = {}, [], 0
    for name in order or sorted(tensors):
        t = tensors[name].contiguous()
        raw = t.view(torch.uint8).numpy().tobytes() if t.numel() else b""
        header[name] = {"dtype": _CODES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    if metadata is not None:
        header["__metadata__"] = metadata
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)  # the reference writer pads the header to 8 bytes
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))
    return path


def _mlp(act=nn.ReLU, widths=(2, 5, 4, 1), seed=0):
    torch.manual_seed(seed)
    mods = []
    for a, b in zip(widths[:-1], widths[1:]):
        mods += [nn.Linear(a, b), act()]
    return nn.Sequential(*mods[:-1])


# --- state_dicts in memory ----------------------------------------------------------------------

def test_a_state_dict_in_memory_is_the_network_of_its_module():
    m = _mlp()
    state = m.state_dict()
    assert isinstance(state, OrderedDict)
    assert exact.as_exact_net(state) == exact.from_torch(m)
    assert exact.count_regions(state, window=3.0) == exact.count_regions(m, window=3.0)
    assert exact.as_exact_net(dict(state)) == exact.from_torch(m)
    arrays = {k: v.numpy() for k, v in state.items()}  # numpy arrays too
    assert exact.as_exact_net(arrays) == exact.from_torch(m)


@pytest.mark.parametrize("activation, module_act", [
    ("leaky_relu", lambda: nn.LeakyReLU(0.01)),
    ({"name": "leaky_relu", "params": [0.25]}, lambda: nn.LeakyReLU(0.25)),
    (exact.get_activation("hardtanh", -1, 2), lambda: nn.Hardtanh(-1, 2)),
    (["abs", {"name": "hardtanh", "params": ["-1/2", 1]}], None),
])
def test_the_activation_given_alongside_a_state_dict_is_used(activation, module_act):
    m = _mlp(nn.Tanh)  # what the state_dict was saved from does not matter: it holds no activation
    net = exact.as_exact_net(m.state_dict(), activation=activation)
    if module_act is not None:
        assert net == exact.from_torch(_mlp(module_act))
    else:
        assert net.activations == (exact.get_activation("abs"), exact.get_activation("hardtanh", Fraction(-1, 2), 1))
    arch = {**m.state_dict(), "activation": activation if not isinstance(activation, exact.Activation) else "relu",
            "widths": [2, 5, 4, 1]}
    if not isinstance(activation, exact.Activation):  # an architecture dict beside the tensors
        assert exact.as_exact_net(arch) == net


def test_architecture_that_disagrees_is_an_error_naming_it():
    state = _mlp().state_dict()
    with pytest.raises(InputError, match=r"net \(a state_dict\): widths=\[2, 4, 1\] was given, but the network read "
                                         r"has widths \[2, 5, 4, 1\]"):
        exact.as_exact_net(state, widths=[2, 4, 1])
    with pytest.raises(InputError, match=r"its 'widths' entry: widths=\[2, 5, 1\] was given"):
        exact.as_exact_net({**state, "widths": [2, 5, 1]})
    with pytest.raises(InputError, match=r"its 'activation' entry says 'abs', but activation='relu' was given"):
        exact.as_exact_net({**state, "activation": "abs"}, activation="relu")
    with pytest.raises(InputError, match=r"Sequential: activation='abs' was given, but the network has relu"):
        exact.as_exact_net(_mlp(), activation="abs")  # a module says its own: it must agree
    assert exact.as_exact_net(_mlp(), activation="relu", widths=(2, 5, 4, 1)).widths == (2, 5, 4, 1)
    with pytest.raises(InputError, match=r"net: activation='abs' was given, but the network has relu"):
        exact.as_exact_net(exact.from_torch(_mlp()), activation="abs")
    with pytest.raises(InputTypeError, match="widths must be a list of layer widths"):
        exact.as_exact_net(state, widths="2-5-1")


BAD_STATES = [
    ("a BatchNorm entry", {"0.weight": torch.eye(2), "1.running_mean": torch.zeros(2)},
     r"entry '1.running_mean' is not a Linear layer's '<name>.weight' or '<name>.bias'"),
    ("a misspelt activation key", {"0.weight": torch.eye(2), "activaton": "abs"},
     r"entry 'activaton' \(did you mean 'activation'\?\) is not a Linear layer's"),
    ("a list for a tensor", {"0.weight": [[1.0, 2.0]]}, r"entry '0.weight' is a list, not a tensor or numpy array"),
    ("a bias without weight", {"0.weight": torch.eye(2), "1.bias": torch.zeros(1)},
     r"entry '1.bias' has no matching weight"),
    ("no weights", {"activation": "relu"}, r"has no '<layer>.weight' entries"),
    ("a 3-D weight", {"0.weight": torch.ones(2, 2, 2)}, r"0.weight has shape \(2, 2, 2\), not 2-D"),
    ("a bias of the wrong length", {"0.weight": torch.ones(3, 2), "0.bias": torch.zeros(2)},
     r"0.bias has shape \(2,\), but 0.weight has 3 rows"),
    ("shapes that do not chain", {"a.weight": torch.ones(3, 2), "b.weight": torch.ones(1, 4)},
     r"'b.weight' has shape \(1, 4\): it reads 4 inputs, but 'a.weight' gives 3 outputs; the layers do not chain "
     r"in this order \(a, b\)"),
    ("NaN weights", {"0.weight": torch.tensor([[float("nan"), 1.0]])},
     r"weight 0.weight \(affine layer 1 of 1\) contains nan at neuron 0, input 0"),
]


@pytest.mark.parametrize("name, state, match", BAD_STATES, ids=[b[0] for b in BAD_STATES])
def test_bad_state_dicts_are_input_errors_naming_the_entry(name, state, match):
    with pytest.raises(InputError, match=r"net \(a state_dict\)|weight of layer") as info:
        exact.as_exact_net(state)
    assert info.match(match)


def test_a_json_spec_object_in_memory_reads_as_the_file_would():
    spec = {"layers": [{"weight": [[1, "1/3"]], "bias": [0]}, {"weight": [[2]], "bias": [1]}], "activation": "abs"}
    net = exact.as_exact_net(spec)
    assert net.weights[0][0][1] == Fraction(1, 3) and net.activations[0].name == "abs"
    with pytest.raises(SpecFileError, match=r"net: unknown key 'layer' \(did you mean 'layers'\?\)"):
        exact.as_exact_net({"layers": [], "layer": []})


def test_unsupported_activation_names_are_refused():
    with pytest.raises(UnsupportedActivationError, match="'tanh' is not piecewise linear"):
        exact.as_exact_net(_mlp().state_dict(), activation="tanh")


# --- safetensors ---------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [torch.float64, torch.float32, torch.float16, torch.bfloat16])
def test_safetensors_floats_are_read_exactly(tmp_path, dtype):
    g = torch.Generator().manual_seed(0)
    t = (torch.randn(7, 5, generator=g, dtype=torch.float64) * 10.0 ** torch.randint(-6, 6, (7, 5), generator=g))
    t = t.to(dtype)
    special = torch.tensor([0.0, -0.0, 2.0**-14, 65504.0 if dtype == torch.float16 else 1e30], dtype=dtype)
    p = write_safetensors(tmp_path / "t.safetensors", {"w": t, "s": special})
    tensors, meta = read_safetensors(p)
    assert meta == {}
    assert np.array_equal(tensors["w"], t.double().numpy()) and tensors["w"].shape == (7, 5)
    assert [Fraction(v) for v in tensors["s"]] == [Fraction(v) for v in special.double().tolist()]


@pytest.mark.parametrize("dtype", [torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8])
def test_safetensors_integers_are_read_exactly_as_the_same_pt_file(tmp_path, dtype):
    """Integer weights: the safetensors reader (ours) against torch.load of the same tensors in a .pt."""
    m = _mlp(widths=(2, 6, 5, 1), seed=3)
    top = {torch.int8: 127, torch.uint8: 255, torch.int16: 2**15 - 1}.get(dtype, 2**31 - 1)
    state = {k: (v * 40).round().clamp(0 if dtype == torch.uint8 else -top, top).to(dtype)
             for k, v in m.state_dict().items()}
    if dtype == torch.int64:
        state["0.weight"][0, 0] = 2**62 + 1  # a float64 would round it
    pt = tmp_path / "n.pt"
    torch.save(state, pt)
    net = exact.load_spec(write_safetensors(tmp_path / "n.safetensors", state))
    assert net == exact.load_spec(pt)
    assert net.weights[0][0][0] == (2**62 + 1 if dtype == torch.int64 else int(state["0.weight"][0, 0]))
    tensors, _ = read_safetensors(tmp_path / "n.safetensors")
    assert tensors["0.weight"].dtype == np.dtype(str(dtype).removeprefix("torch."))


def test_safetensors_state_dict_in_natural_layer_order_with_metadata(tmp_path):
    torch.manual_seed(0)
    m = nn.Sequential(*[nn.Sequential(nn.Linear(2, 2), nn.LeakyReLU(0.5)) if i < 11 else nn.Linear(2, 1)
                        for i in range(12)])  # layers '0.0' ... '10.0', then '11': '10' sorts before '2' as text
    state = {k: v for k, v in m.state_dict().items()}
    p = write_safetensors(tmp_path / "n.safetensors", state,
                          metadata={"activation": '{"name": "leaky_relu", "params": [0.5]}', "widths": "[2" +
                                    ", 2" * 11 + ", 1]", "format": "pt"})
    net = exact.load_spec(p)
    assert net == exact.from_torch(m)
    assert exact.as_exact_net(str(p)) == net
    with pytest.raises(InputError, match=r"its 'activation' entry says"):
        exact.as_exact_net(p, activation="relu")


def test_safetensors_without_activation_takes_the_argument(tmp_path):
    m = _mlp(lambda: nn.LeakyReLU(0.25))
    p = write_safetensors(tmp_path / "n.safetensors", {k: v.to(torch.bfloat16) for k, v in m.state_dict().items()})
    net = exact.as_exact_net(p, activation={"name": "leaky_relu", "params": [0.25]})
    ref = ExactNet.from_layers([(m[i].weight.to(torch.bfloat16), m[i].bias.to(torch.bfloat16)) for i in (0, 2, 4)],
                               activation=exact.get_activation("leaky_relu", 0.25))
    assert net == ref
    assert exact.load_spec(p).activations[0].name == "relu"  # the default


def _header_file(tmp_path, header, data=b"", length=None):
    text = json.dumps(header).encode() if not isinstance(header, bytes) else header
    p = tmp_path / "bad.safetensors"
    p.write_bytes(struct.pack("<Q", len(text) if length is None else length) + text + data)
    return p


def _raw_file(tmp_path, data):
    p = tmp_path / "bad.safetensors"
    p.write_bytes(data)
    return p


_W = {"dtype": "F32", "shape": [1, 2], "data_offsets": [0, 8]}
BAD_FILES = [
    ("shorter than the length", lambda t: _raw_file(t, b"\x01\x02"), SpecFileError,
     r"is truncated: 2 bytes, fewer than the 8"),
    ("header longer than the file", lambda t: _header_file(t, {"0.weight": _W}, length=10**6), SpecFileError,
     r"is truncated: its header length is 1,000,000 bytes but the file has only"),
    ("absurd header length", lambda t: _header_file(t, {}, length=2**63), SpecFileError,
     r"is not a safetensors file"),
    ("header not JSON", lambda t: _header_file(t, b"{nope"), SpecFileError, r"its header is not valid JSON"),
    ("header not UTF-8", lambda t: _header_file(t, b"\xff\xfe"), SpecFileError, r"its header is not UTF-8"),
    ("header a list", lambda t: _header_file(t, [1, 2]), SpecFileError, r"its header is a JSON list"),
    ("entry with a missing key", lambda t: _header_file(t, {"0.weight": {"dtype": "F32", "shape": [1]}}),
     SpecFileError, r"tensor '0.weight' must be an object with keys 'dtype', 'shape', 'data_offsets'"),
    ("bool dtype", lambda t: _header_file(t, {"0.weight": {**_W, "dtype": "BOOL", "data_offsets": [0, 2]}},
                                          b"\0" * 2), SpecFileError,
     r"tensor '0.weight' has dtype 'BOOL', not a number; exactnet reads F64, F32, F16, BF16 and the integers"),
    ("complex dtype", lambda t: _header_file(t, {"0.weight": {**_W, "dtype": "C64", "data_offsets": [0, 16]}},
                                             b"\0" * 16), SpecFileError,
     r"tensor '0.weight' has dtype 'C64', not a dtype exactnet reads \(complex, or an 8-bit float\)"),
    ("unknown dtype", lambda t: _header_file(t, {"0.weight": {**_W, "dtype": "F128"}}, b"\0" * 8), SpecFileError,
     r"has dtype 'F128', a dtype unknown to safetensors"),
    ("offsets that do not match the shape", lambda t: _header_file(t, {"0.weight": {**_W, "data_offsets": [0, 4]}},
                                                                  b"\0" * 4), SpecFileError,
     r"data_offsets \[0, 4\] hold 4 bytes, but shape \[1, 2\] of F32 needs 8"),
    ("truncated data", lambda t: _header_file(t, {"0.weight": _W}, b"\0" * 5), SpecFileError,
     r"is truncated: its tensors need 8 bytes of data, the file has 5"),
    ("a gap", lambda t: _header_file(t, {"0.weight": {**_W, "data_offsets": [4, 12]}}, b"\0" * 12), SpecFileError,
     r"tensor '0.weight' \(data_offsets \[4, 12\]\) leaves a gap of 4 bytes before it"),
    ("overlapping tensors", lambda t: _header_file(t, {"0.weight": _W, "0.bias": {"dtype": "F32", "shape": [1],
                                                                                "data_offsets": [4, 8]}}, b"\0" * 8),
     SpecFileError, r"overlaps the tensor before it"),
    ("trailing bytes", lambda t: _header_file(t, {"0.weight": _W}, b"\0" * 9), SpecFileError,
     r"1 byte after the last tensor belongs to none"),
    ("metadata not strings", lambda t: _header_file(t, {"__metadata__": {"activation": 3}}), SpecFileError,
     r"its __metadata__ must be an object of strings"),
    ("misspelt metadata key", lambda t: write_safetensors(t / "m.safetensors", {"0.weight": torch.eye(2)},
                                                          {"activaton": "abs"}),
     SpecFileError, r"__metadata__ has the key 'activaton' \(did you mean 'activation'\?\)"),
    ("layers that do not chain", lambda t: write_safetensors(t / "c.safetensors", {"a.weight": torch.ones(3, 2),
                                                                                  "b.weight": torch.ones(1, 4)}),
     SpecFileError, r"'b.weight' has shape \(1, 4\): it reads 4 inputs, but 'a.weight' gives 3 outputs"),
    ("NaN weights", lambda t: write_safetensors(t / "n.safetensors", {"0.weight": torch.tensor([[float("nan")]])}),
     InputError, r"weight 0.weight \(affine layer 1 of 1\) contains nan"),
]


@pytest.mark.parametrize("name, make, error, match", BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_safetensors_files_are_errors_naming_the_file(tmp_path, name, make, error, match):
    p = make(tmp_path)
    with pytest.raises(error, match=match) as info:
        exact.load_spec(p)
    assert "safetensors" in str(info.value) or error is InputError


def test_the_command_line_reads_safetensors_and_refuses_a_bad_one(tmp_path):
    good = write_safetensors(tmp_path / "n.safetensors", _mlp().state_dict())
    bad = _header_file(tmp_path, {"0.weight": _W}, b"\0" * 5)
    env = dict(os.environ, PYTHONPATH=ROOT)
    code = ("import sys; from exact.cli import main; "
            f"sys.argv = ['exactnet', 'regions', {str(good)!r}, '--window', '2', '--count-only']; sys.exit(main())")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 0, res.stderr
    assert str(exact.count_regions(_mlp(), window=2.0).activation) in res.stdout
    code = code.replace(str(good), str(bad))
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 2 and "Traceback" not in res.stderr and "is truncated" in res.stderr


# --- spec files take the architecture too ---------------------------------------------------------

def test_spec_files_take_the_activation_they_do_not_name(tmp_path):
    p = tmp_path / "n.json"
    p.write_text(json.dumps({"layers": [{"weight": [[1, 0]], "bias": [0]}, {"weight": [[1]], "bias": [0]}]}))
    assert exact.load_spec(p, activation="abs").activations[0].name == "abs"
    assert exact.as_exact_net(p, activation="abs", widths=[2, 1, 1]).activations[0].name == "abs"
    with pytest.raises(InputError, match=r"widths=\[2, 2, 1\] was given, but the network read has widths \[2, 1, 1\]"):
        exact.load_spec(p, widths=[2, 2, 1])
    p.write_text(json.dumps({"layers": [{"weight": [[1, 0]], "bias": [0]}, {"weight": [[1]], "bias": [0]}],
                             "activation": "relu"}))
    with pytest.raises(SpecFileError, match=r"its 'activation' entry says 'relu', but activation='abs' was given"):
        exact.load_spec(p, activation="abs")
    q = tmp_path / "n.pt"
    torch.save(_mlp().state_dict(), q)
    assert exact.load_spec(q, activation="abs").activations[0].name == "abs"


def test_a_number_past_the_float_range_is_measured_against_the_largest_float(tmp_path):
    # fourth fresh-clone trial: "1.8e308 is beyond the float64 range (about 1.8e308)" read as a contradiction
    p = tmp_path / "big.json"
    p.write_text('{"layers": [{"weight": [[1.8e308, 0]], "bias": [0]}, {"weight": [[1]], "bias": [0]}]}')
    with pytest.raises(exact.errors.SpecFileError, match=r"whose largest value is 1\.7976931348623157e308"):
        exact.load_spec(p)


# --- the order of a state_dict's layers -----------------------------------------------------------

class _RunsAsRegistered(nn.Module):
    """Layers named against their order: l2 (2 -> 4) runs first, then l1 (4 -> 1)."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(3)
        self.l2, self.l1 = nn.Linear(2, 4), nn.Linear(4, 1)

    def forward(self, x):
        return self.l1(torch.relu(self.l2(x)))


def test_a_stored_order_that_chains_is_read_when_the_names_numbers_do_not(tmp_path):
    from exact.state_dicts import recorded_readings

    m = _RunsAsRegistered()
    torch.save(m.state_dict(), tmp_path / "n.pt")
    st = write_safetensors(tmp_path / "n.safetensors", m.state_dict())
    hows = []
    for net in (m.state_dict(), tmp_path / "n.pt", st):
        with recorded_readings() as notes:
            assert exact.as_exact_net(net) == exact.from_torch(m)
        assert notes[0]["layers_read"] == ["l2.weight", "l1.weight"]
        hows.append(notes[0]["layer_order"])
    assert hows == ["as stored (by their names' numbers, l1, l2, they do not chain)"] * 2 + [
        "the one order in which their shapes chain"]


def test_the_one_order_that_chains_is_read_and_two_that_chain_are_refused():
    state = OrderedDict([("fc1.weight", torch.ones(3, 2)), ("fc3.weight", torch.ones(4, 3)),
                         ("fc2.weight", torch.ones(3, 3)), ("fc4.weight", torch.ones(1, 4))])
    with pytest.raises(InputError, match=r"fc1, fc3, fc2, fc4 \(as stored\) and fc1, fc2, fc3, fc4 .* both chain"):
        exact.as_exact_net({**state, "fc3.weight": torch.ones(3, 3), "fc2.weight": torch.ones(3, 3),
                            "fc4.weight": torch.ones(1, 3)})
    assert exact.as_exact_net(state).widths == (2, 3, 3, 4, 1)  # only the numbered order chains
    with pytest.raises(InputError, match=r"do not chain in this order \(fc1, fc3, fc2, fc4\); nor by their names' "
                                         r"numbers \(fc1, fc2, fc3, fc4\)"):
        exact.as_exact_net({**state, "fc2.weight": torch.ones(5, 3)})
    square = OrderedDict((k, torch.eye(3)) for k in ("fc1.weight", "fc3.weight", "fc2.weight"))
    with pytest.raises(InputError, match=r"fc1, fc3, fc2 \(as stored\) and fc1, fc2, fc3 .* both chain"):
        exact.as_exact_net(square, widths=[3, 3, 3, 3])  # the widths are the same either way


def _read_three_ways(m, tmp_path):
    """The module's state_dict read as a dict, from a .pt and from a .safetensors file, with their notes."""
    from exact.state_dicts import recorded_readings

    torch.save(m.state_dict(), tmp_path / "m.pt")
    got = []
    for net in (m.state_dict(), tmp_path / "m.pt", write_safetensors(tmp_path / "m.safetensors", m.state_dict())):
        with recorded_readings() as notes:
            got.append((exact.as_exact_net(net), notes[0]["layer_order"]))
    return got


class _Blocks(nn.Module):
    """block1.fc1, block1.fc2, block2.fc1, block2.fc2, square in the middle: numbers order the names."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(4)
        self.block1 = nn.ModuleDict({"fc1": nn.Linear(2, 3), "fc2": nn.Linear(3, 3)})
        self.block2 = nn.ModuleDict({"fc1": nn.Linear(3, 3), "fc2": nn.Linear(3, 1)})

    def forward(self, x):
        x = torch.relu(self.block1["fc2"](torch.relu(self.block1["fc1"](x))))
        return self.block2["fc2"](torch.relu(self.block2["fc1"](x)))


@pytest.mark.parametrize("make", ["sequential", "nested", "blocks"])
def test_names_that_numbers_order_are_read_by_their_numbers_everywhere(tmp_path, make):
    """Square hidden layers, so every order chains: nn.Sequential's 0 ... 12, a Sequential of blocks
    (0.0 ... 10.0, then 11: no one pattern, but any two names first differ in a number) and block1.fc2
    names are read by their numbers, from a dict, a .pt and a .safetensors file alike."""
    torch.manual_seed(2)
    if make == "sequential":
        m = nn.Sequential(nn.Linear(2, 3), *[x for _ in range(5) for x in (nn.ReLU(), nn.Linear(3, 3))], nn.ReLU(),
                          nn.Linear(3, 1))
    elif make == "nested":
        m = nn.Sequential(*[nn.Sequential(nn.Linear(2, 2), nn.ReLU()) for _ in range(11)], nn.Linear(2, 1))
    else:
        m = _Blocks()
    m = m.double()
    for net, how in _read_three_ways(m, tmp_path):
        assert net == exact.from_torch(m)
        assert how in ("as stored, the order of their names' numbers too",
                       "by their names' numbers (a .safetensors file keeps no other order)")


def test_the_search_for_a_safetensors_order_refuses_at_its_limits(tmp_path, monkeypatch):
    """Unnumbered names whose shapes chain in one order only are read in it; past the search's limits (201
    layers; its steps) they are refused, not read in their names' order."""
    from exact import layer_order

    letters = "abcdefghijklmnopqrstuvwxyz"
    names = [f"l{letters[i // 26]}{letters[i % 26]}" for i in range(201)]  # in alphabetical order, all 2 x 2
    deep = write_safetensors(tmp_path / "deep.safetensors", {n + ".weight": torch.eye(2) for n in names})
    with pytest.raises(SpecFileError, match=r"are not numbered and their shapes were not searched \(201 layers\)"):
        exact.load_spec(deep)
    assert exact.as_exact_net({n + ".weight": torch.eye(2) for n in names}).widths == (2,) * 202  # as stored
    rng = np.random.default_rng(7)
    three = {n + ".weight": torch.tensor(rng.normal(size=s)) for n, s in
             [("z_in", (4, 2)), ("b_mid", (3, 4)), ("a_out", (1, 3))]}
    p = write_safetensors(tmp_path / "three.safetensors", three)
    want = exact.as_exact_net({k: three[k] for k in ("z_in.weight", "b_mid.weight", "a_out.weight")})
    assert exact.load_spec(p) == want
    monkeypatch.setattr(layer_order, "ORDER_STEPS", 3)
    with pytest.raises(SpecFileError, match=r"\(a_out, b_mid, z_in\) are not numbered and their shapes were "
                                            r"searched for 3 steps, without an answer: rename them"):
        exact.load_spec(p)

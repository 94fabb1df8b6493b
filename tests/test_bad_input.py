"""Every bad input is a clear error from exact.errors, naming the argument and the value (issue 13, item 5).

One table of spec-file cases runs three ways: in process (``load_spec``), through the
command line in process (``exact.cli.main``) and, one case per reading path, as a program
(``exactnet regions FILE`` under ``PYTHONWARNINGS=error``); the command line must exit
with 2 and never print a traceback.  A second table holds the
Python API's cases.  The regressions of issue 13 follow, each with its exact value.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import warnings
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
import torch
from torch import nn

import exact
from exact import ExactNet, get_activation, load_spec, save_json
from exact.activations import piecewise_linear
from exact.cli import main
from exact.errors import (
    InputError,
    InputTypeError,
    SpecFileError,
    UnsupportedActivationError,
)

GOOD_LAYERS = [{"weight": [[1, 0], [0, 1]], "bias": [0, 0]}, {"weight": [[1, 1]], "bias": [0]}]


def _json(text_or_obj):
    def make(tmp_path):
        p = tmp_path / "net.json"
        p.write_text(text_or_obj if isinstance(text_or_obj, str) else json.dumps(text_or_obj))
        return p
    return make


def _with(**changes):
    spec = {"layers": json.loads(json.dumps(GOOD_LAYERS))}
    spec.update(changes)
    return spec


def _layer0(**changes):
    layers = json.loads(json.dumps(GOOD_LAYERS))
    layers[0].update(changes)
    return {"layers": layers}


def _pt(state):
    def make(tmp_path):
        p = tmp_path / "net.pt"
        torch.save(state, p)
        return p
    return make


def _npz(**arrays):
    def make(tmp_path):
        p = tmp_path / "net.npz"
        np.savez(p, **arrays)
        return p
    return make


def _dir(tmp_path):
    (tmp_path / "net.json").mkdir()
    return tmp_path / "net.json"


def _fifo(tmp_path):
    os.mkfifo(tmp_path / "net.json")
    return tmp_path / "net.json"


def _broken_link(tmp_path):
    os.symlink(tmp_path / "gone.json", tmp_path / "net.json")
    return tmp_path / "net.json"


class _Evil:
    def __reduce__(self):
        return (print, ("this must never run",))


_EYE, _Z = np.eye(2), np.zeros(2)

# (id, make(tmp_path) -> path, error class, message fragment)
FILE_CASES = [
    ("deeply nested JSON", _json('{"layers": ' + "[" * 100_000 + "]" * 100_000 + "}"), SpecFileError,
     "is nested too deeply to read"),
    ("5000-digit JSON integer", _json('{"layers": [{"weight": [[' + "9" * 5000 + ", 1]], \"bias\": [0]}]}"),
     SpecFileError, "a number has 5000 digits, more than 4000; write long integers as hexadecimal"),
    ("5000-digit decimal string", _json(_layer0(weight=[["1" * 5000, 1], [0, 1]])), SpecFileError,
     "layers[0].weight[0][0] has 5000 decimal digits"),
    ("misspelled top-level key", _json(_with(activaton="abs")), SpecFileError,
     "unknown key 'activaton' (did you mean 'activation'?); allowed keys: 'layers', 'activation'"),
    ("misspelled layer key", _json(_layer0(biass=[1, 1])), SpecFileError,
     "layers[0]: unknown key 'biass' (did you mean 'bias'?); allowed keys: 'weight', 'bias'"),
    ("misspelled 'layers'", _json({"layer": GOOD_LAYERS}), SpecFileError,
     "unknown key 'layer' (did you mean 'layers'?)"),
    ("misspelled 'weight'", _json({"layers": [{"wieght": [[1, 1]], "bias": [0]}]}), SpecFileError,
     "layers[0]: unknown key 'wieght' (did you mean 'weight'?)"),
    ("a duplicated key", _json('{"layers": [], "layers": ' + json.dumps(GOOD_LAYERS) + "}"), SpecFileError,
     "key 'layers' appears twice in one object; JSON keeps only the last"),
    ("a layer without bias", _json({"layers": [{"weight": [[1, 1]]}]}), SpecFileError,
     "layers[0] needs 'weight' and 'bias'"),
    ("misspelled activation key", _json(_with(activation={"name": "leaky_relu", "param": [0.5]})), SpecFileError,
     "activation: unknown key 'param' (did you mean 'params'?); allowed keys: 'name', 'params'"),
    ("string weight in JSON", _json(_layer0(weight=[["1.5", 0], [0, 1]])), SpecFileError,
     "layers[0].weight[0][0] is the string '1.5'; a weight is a number or an exact rational string"),
    ("zero denominator", _json(_layer0(bias=["1/0", 0])), SpecFileError, "layers[0].bias[0] is '1/0': a zero denominator"),
    ("boolean weight", _json(_layer0(bias=[True, 0])), SpecFileError, "layers[0].bias[0] is the boolean True"),
    ("weight nested too deep", _json(_layer0(weight=[[[1], 0], [0, 1]])), SpecFileError,
     "layers[0].weight[0][0] is a list; a weight is a number"),
    ("NaN in JSON", _json('{"layers": [{"weight": [[NaN, 1]], "bias": [0]}]}'), InputError,
     "weight of layer 0 contains nan at neuron 0, input 0"),
    ("activation=5 in JSON", _json(_with(activation=5)), SpecFileError,
     "activation must be a name, an object {'name', 'params'} or a list of them, got an int 5"),
    ("activation list of the wrong length", _json(_with(activation=["relu", "abs"])), SpecFileError,
     "'activation' lists 2 activations for 1 hidden layer"),
    ("a misspelt activation", _json(_with(activation="rleu")), UnsupportedActivationError,
     "unknown activation 'rleu' (did you mean 'relu'?)"),
    ("parameters for relu", _json(_with(activation={"name": "relu", "params": [0.5]})), InputError,
     "activation 'relu' takes at most 0 parameters, got 1"),
    ("not UTF-8", lambda t: (t / "net.json").write_bytes(b'{"layers": "\xff"}') and t / "net.json", SpecFileError,
     "is not UTF-8 text"),
    ("a directory", _dir, SpecFileError, "net.json' is a directory, not a regular file"),
    ("a FIFO", _fifo, SpecFileError, "net.json' is a FIFO (named pipe), not a regular file"),
    ("a broken symbolic link", _broken_link, SpecFileError, "net.json' is a broken symbolic link"),
    ("a missing file", lambda t: t / "net.json", SpecFileError, "net.json' does not exist"),
    ("an unknown suffix", lambda t: (t / "net.txt").write_text("{}") and t / "net.txt", SpecFileError,
     "unknown suffix '.txt'"),
    (".pt whose weights are lists", _pt({"0.weight": [[1.0, 2.0]], "0.bias": [0.0]}), SpecFileError,
     "entry '0.weight' is a list, not a tensor"),
    (".pt with a pickled object", _pt({"x": _Evil()}), SpecFileError,
     "is not a state_dict of tensors readable with weights_only=True (Unsupported global: GLOBAL print"),
    (".pt holding a whole module", _pt(nn.Linear(2, 1)), SpecFileError, "save model.state_dict() instead"),
    (".pt with a BatchNorm entry", _pt({"0.weight": torch.eye(2), "1.running_mean": torch.zeros(2)}), SpecFileError,
     "entry '1.running_mean' is not a Linear layer's '<name>.weight' or '<name>.bias'"),
    (".pt with meta tensors", _pt({"0.weight": torch.empty(3, 2, device="meta"), "0.bias": torch.empty(3, device="meta")}),
     InputError, "weight of layer 0 is a meta tensor: it has shape (3, 2) but no values"),
    (".pt with an unsupported activation", _pt({"0.weight": torch.eye(2), "1.weight": torch.ones(1, 2),
                                                 "activation": "tanh"}),
     UnsupportedActivationError, "activation 'tanh' is not piecewise linear"),
    (".npz missing a middle layer", _npz(W0=_EYE, b0=_Z, W2=np.ones((1, 2)), b2=np.zeros(1)), SpecFileError,
     "has layers up to 2 but no W1: arrays must be numbered W0, b0, W1, b1, ... without gaps"),
    (".npz missing a bias", _npz(W0=_EYE, b0=_Z, W1=np.ones((1, 2))), SpecFileError, "but no b1"),
    (".npz with an unknown array", _npz(W0=_EYE, b0=_Z, w1=np.ones((1, 2))), SpecFileError,
     "unknown array 'w1'; allowed: W0, b0, W1, b1, ... and 'activation'"),
    (".npz with an object array", lambda t: _npz_object(t), SpecFileError,
     "holds object arrays (pickled data), which exactnet never loads"),
]


def _npz_object(tmp_path):
    p = tmp_path / "net.npz"
    np.savez(p, W0=np.array([[1, "a"]], dtype=object), b0=np.zeros(1))
    return p


@pytest.mark.parametrize("name, make, error, fragment", FILE_CASES, ids=[c[0] for c in FILE_CASES])
def test_bad_spec_files_in_process(name, make, error, fragment, tmp_path):
    path = make(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow RuntimeWarning may escape
        with pytest.raises(error, match=re.escape(fragment)) as info:
            load_spec(path)
        with pytest.raises(error, match=re.escape(fragment)):
            exact.as_exact_net(str(path))
    assert "weights_only=False" not in str(info.value)


@pytest.mark.parametrize("name, make, error, fragment", FILE_CASES, ids=[c[0] for c in FILE_CASES])
def test_bad_spec_files_through_the_cli(name, make, error, fragment, tmp_path, capsys):
    path = make(tmp_path)
    assert main(["regions", str(path), "-q"]) == 2
    out = capsys.readouterr()
    assert "exactnet regions: error: " in out.err and fragment in out.err
    assert "Traceback" not in out.err + out.out


def _program():
    found = shutil.which("exactnet")
    return [found] if found else [sys.executable, "-m", "exactnet"]


# Each program run costs a fresh interpreter (0.3 s, 1 s with torch): one case per reading
# path goes through it; exact.cli.main above runs every case through the same code.
AS_A_PROGRAM = ["deeply nested JSON", "5000-digit JSON integer", "misspelled top-level key", "a directory",
                "a FIFO", "a missing file", ".pt whose weights are lists", ".npz missing a middle layer"]


PROGRAM_CASES = [c for c in FILE_CASES if c[0] in AS_A_PROGRAM]


@pytest.mark.parametrize("name, make, error, fragment", PROGRAM_CASES, ids=[c[0] for c in PROGRAM_CASES])
def test_bad_spec_files_as_a_program(name, make, error, fragment, tmp_path):
    path = make(tmp_path)
    env = {**os.environ, "PYTHONWARNINGS": "error"}  # python -W error
    run = subprocess.run(_program() + ["regions", str(path)], capture_output=True, text=True, env=env,
                         timeout=120)
    assert run.returncode == 2, run.stderr
    assert fragment in run.stderr and "Traceback" not in run.stderr + run.stdout


# --- the Python API ----------------------------------------------------------------------

def _layers(w00):
    return [([[w00, 1.0]], [0.0]), ([[1.0]], [0.0])]


def _nested(depth):
    v = 1.0
    for _ in range(depth):
        v = [v]
    return v


# (id, call, error class, message fragment)
API_CASES = [
    ("string weight", lambda: ExactNet.from_layers(_layers("1.5")), InputTypeError,
     "weight of layer 0[0, 0] is the string '1.5'; weights are numbers, not text"),
    ("bytes weight", lambda: ExactNet.from_layers(_layers(b"1")), InputTypeError, "is the string b'1'"),
    ("Decimal weight", lambda: ExactNet.from_layers(_layers(Decimal("0.1"))), InputTypeError,
     "weight of layer 0[0, 0] is Decimal('0.1'); Decimal weights are refused"),
    ("numpy string array", lambda: ExactNet.from_layers([(np.array([["1", "2"]]), [0.0]), ([[1.0]], [0.0])]),
     InputTypeError, "weight of layer 0 has dtype <U1"),
    ("deeply nested list", lambda: ExactNet.from_layers([(_nested(100_000), [0.0]), ([[1.0]], [0.0])]),
     InputError, "weight of layer 0[0, 0] is a sequence, not a number"),
    ("3-D weight array", lambda: ExactNet.from_layers([(np.zeros((2, 2, 2)), [0.0, 0.0]), ([[1.0, 1.0]], [0.0])]),
     InputError, "weight of layer 0 must be a non-empty 2-D array, got an array of shape (2, 2, 2)"),
    ("2-D bias tensor", lambda: ExactNet.from_layers([(torch.eye(2), torch.zeros(2, 1)), ([[1.0, 1.0]], [0.0])]),
     InputError, "bias of layer 0 must be a 1-D array, got an array of shape (2, 1)"),
    ("activation=5", lambda: ExactNet.from_layers(_layers(1.0), activation=5), InputTypeError,
     "activation must be a name such as 'relu', an Activation, or a list of them (one per hidden layer), got an int 5"),
    ("activation=[5]", lambda: ExactNet.from_layers(_layers(1.0), activation=[5]), InputTypeError,
     "activation[0] must be a name such as 'relu' or an Activation, got an int 5"),
    ("as_exact_net activation=5", lambda: exact.as_exact_net(_layers(1.0), activation=5), InputTypeError,
     "got an int 5"),
    ("get_activation(5)", lambda: get_activation(5), InputTypeError,
     "activation name must be a string such as 'relu', got int 5"),
    ("leaky_relu with two slopes", lambda: get_activation("leaky_relu", 0.1, 0.2), InputError,
     "activation 'leaky_relu' takes at most 1 parameter, got 2"),
    ("discontinuous activation", lambda: piecewise_linear("step", [0], [0, 0], [0, 1]), InputError,
     "activation 'step': pieces 0 and 1 do not meet at breakpoint 0 (0 vs 1)"),
    ("meta tensor weights", lambda: ExactNet.from_layers([(torch.empty(2, 2, device="meta"), torch.zeros(2)),
                                                          ([[1.0, 1.0]], [0.0])]),
     InputError, "weight of layer 0 is a meta tensor: it has shape (2, 2) but no values"),
    ("meta torch module", lambda: exact.from_torch(nn.Sequential(nn.Linear(2, 2, device="meta"))), InputError,
     "parameter '0.weight' of Sequential is a meta tensor"),
    ("load_spec(5)", lambda: load_spec(5), InputTypeError, "path must be a file name (str or os.PathLike), got an int 5"),
    ("save_json of a path", lambda: save_json("net.json", "x.json"), InputTypeError,
     "got the path 'net.json'; load it first with load_spec"),
    ("save_json of a non-network", lambda: save_json(5, "x.json"), InputTypeError, "5"),
]


def test_save_json_takes_what_as_exact_net_takes(tmp_path):
    """Regression (new-user trial): save_json(torch module) raised 'net must be an ExactNet'."""
    import torch

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    for net in (model, _layers(1.0)):
        save_json(net, tmp_path / "n.json")
        assert load_spec(tmp_path / "n.json") == exact.as_exact_net(net)


@pytest.mark.parametrize("name, call, error, fragment", API_CASES, ids=[c[0] for c in API_CASES])
def test_bad_api_input(name, call, error, fragment):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(error, match=re.escape(fragment)):
            call()


def test_every_case_raises_from_the_exact_family():
    assert len(PROGRAM_CASES) == len(AS_A_PROGRAM)
    classes = {c[2] for c in FILE_CASES + API_CASES}
    assert all(issubclass(c, exact.ExactnetError) for c in classes)


def test_the_table_check_fails_on_a_wrong_fragment(tmp_path):
    # made to fail on purpose: a fragment the message lacks is caught, so the table is no tautology
    name, make, error, fragment = FILE_CASES[0]
    with pytest.raises(AssertionError, match="Regex pattern did not match"):
        test_bad_spec_files_in_process(name, make, error, fragment + " and more", tmp_path)


# --- regressions (issue 13) ----------------------------------------------------------------

def test_regression_npz_missing_middle_layer_was_read_as_a_shorter_net(tmp_path):
    # before: widths (2, 2) -- W2 silently ignored
    np.savez(tmp_path / "n.npz", W0=_EYE, b0=_Z, W2=np.ones((1, 2)), b2=np.zeros(1))
    with pytest.raises(SpecFileError, match="no W1"):
        load_spec(tmp_path / "n.npz")


def test_regression_misspelled_json_key_was_ignored(tmp_path):
    # before: "activaton": "abs" ignored, the net read as ReLU
    (tmp_path / "n.json").write_text(json.dumps(_with(activaton="abs")))
    with pytest.raises(SpecFileError, match="unknown key 'activaton'"):
        load_spec(tmp_path / "n.json")


def test_regression_string_and_decimal_weights_went_through_float():
    # before: "1.5" and Decimal("0.1") accepted (the latter as the float 0.1000000000000000055...)
    with pytest.raises(InputTypeError, match="is the string '1.5'"):
        ExactNet.from_layers(_layers("1.5"))
    with pytest.raises(InputTypeError, match=r"is Decimal\('0.1'\)"):
        ExactNet.from_layers(_layers(Decimal("0.1")))


def test_regression_non_dyadic_fraction_survives_save_and_load(tmp_path):
    # before: written as "-1/3" and refused on load
    net = ExactNet.from_layers([([[Fraction(-1, 3), 1]], [Fraction(2, 7)]), ([[1]], [0])])
    save_json(net, tmp_path / "n.json")
    back = load_spec(tmp_path / "n.json")
    assert back.weights[0][0][0] == Fraction(-1, 3) and back.biases[0][0] == Fraction(2, 7)
    assert back == net and hash(back) == hash(net)


def test_regression_directories_and_fifos_were_reported_missing(tmp_path):
    with pytest.raises(SpecFileError, match="is a directory, not a regular file"):
        load_spec(_dir(tmp_path))
    os.mkfifo(tmp_path / "p.json")
    with pytest.raises(SpecFileError, match=r"is a FIFO \(named pipe\)"):
        load_spec(tmp_path / "p.json")


def test_regression_pt_lists_raised_attribute_error(tmp_path):
    torch.save({"0.weight": [[1.0, 2.0]], "0.bias": [0.0]}, tmp_path / "n.pt")
    with pytest.raises(SpecFileError, match="entry '0.weight' is a list, not a tensor"):
        load_spec(tmp_path / "n.pt")


def test_regression_pt_refusal_repeated_torch_advice(tmp_path):
    torch.save({"x": _Evil()}, tmp_path / "n.pt")
    with pytest.raises(SpecFileError, match="never runs pickled code") as info:
        load_spec(tmp_path / "n.pt")
    assert "weights_only=False" not in str(info.value) and "\x1b[" not in str(info.value)


def test_regression_activation_5_raised_a_bare_type_error():
    # before: TypeError: 'int' object is not iterable
    with pytest.raises(InputTypeError, match="got an int 5"):
        ExactNet.from_layers(_layers(1.0), activation=5)


def test_regression_meta_tensors_raised_not_implemented_error():
    with pytest.raises(InputError, match="is a meta tensor"):
        exact.from_torch(nn.Sequential(nn.Linear(2, 3, device="meta"), nn.ReLU(), nn.Linear(3, 1, device="meta")))


def test_regression_json_integer_limit_raised_value_error(tmp_path):
    (tmp_path / "n.json").write_text('{"layers": [{"weight": [[' + "9" * 5000 + ", 1]], \"bias\": [0]}]}")
    with pytest.raises(SpecFileError, match="a number has 5000 digits"):
        load_spec(tmp_path / "n.json")


def test_regression_deep_json_raised_recursion_error(tmp_path):
    (tmp_path / "n.json").write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(SpecFileError, match="nested too deeply"):
        load_spec(tmp_path / "n.json")


def test_messages_elsewhere_count_one_thing_in_the_singular():
    """'1 output(s)' and '1 coordinates' read grammatically in the plotting messages too (exact.wording)."""
    import matplotlib

    matplotlib.use("Agg")
    reg = exact.regions([([[1, 0], [0, 1]], [0, 0]), ([[1, 1]], [0])], window=1)
    with pytest.raises(InputError, match=r"the network has 1 output$"):
        reg.plot(color="output", output=1)
    with pytest.raises(InputError, match=r"mark_points\[0\] has 1 coordinate; give 2"):
        reg.plot(mark_points=[[0.5]])

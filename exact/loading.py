"""Read networks from spec files (JSON, ``.npz``, ``.pt``) and torch modules; write JSON specs.

Spec file formats
-----------------
JSON
    ``{"layers": [{"weight": [[...]], "bias": [...]}, ...], "activation": "relu"}``;
    the last layer is the output layer.  No other keys are allowed (a misspelled key is
    an error naming it).  A number is read as Python reads JSON: integers exactly,
    decimals as the nearest float64 (whose exact binary value is the weight).  A string
    ``"p/q"`` or ``"p"`` (``p``, ``q`` decimal or ``0x`` hexadecimal integers, ``p`` with
    an optional sign) is an exact rational; no other strings are weights.
``.npz``
    Arrays ``W0, b0, W1, b1, ...`` numbered without gaps, and optionally ``activation``:
    a 0-d string array holding a name or the JSON form of an ``activation`` entry.
``.pt``
    A torch ``state_dict`` of ``Linear`` layers (tensors ``<name>.weight`` and
    ``<name>.bias`` in order), loaded with ``weights_only=True``: pickled code never runs.
    An optional entry ``"activation"`` (a string, dict or list, as in JSON) gives the
    activations: ``torch.save({**model.state_dict(), "activation": "abs"}, path)``.

The ``activation`` entry of every format is a name (``"relu"``, ``"abs"``,
``"identity"``, ``"leaky_relu"``, ``"hardtanh"``), an object ``{"name": ..., "params":
[...]}`` (``leaky_relu``: the negative slope; ``hardtanh``: min and max), or a list of
these, one per hidden layer; default ``"relu"``.

Examples
--------
>>> import json, tempfile, os
>>> spec = {"layers": [{"weight": [[1, 0], [0, 1]], "bias": [0, 0]},
...                    {"weight": [["1/3", 1]], "bias": [0]}]}
>>> path = os.path.join(tempfile.mkdtemp(), "net.json")
>>> with open(path, "w") as f:
...     json.dump(spec, f)
>>> load_spec(path).weights[1][0][0]
Fraction(1, 3)
"""

from __future__ import annotations

import difflib
import json
import os
import re
import stat
from fractions import Fraction
from typing import Any

from .activations import Activation, get_activation, piecewise_linear
from .errors import InputError, InputTypeError, SpecFileError
from .network import ExactNet
from .torch_reading import from_torch

__all__ = ["as_exact_net", "from_torch", "load_spec", "save_json"]

MAX_DECIMAL_DIGITS = 4000
"""Longest decimal integer a spec may hold (Python reads at most 4300 digits from text by
default); longer integers are written in hexadecimal, which has no limit."""

_EXACT = re.compile(r"([+-]?)(0[xX][0-9a-fA-F]+|[0-9]+)(?:/(0[xX][0-9a-fA-F]+|[0-9]+))?")
_NPZ_KEY = re.compile(r"([Wb])(0|[1-9][0-9]*)")


def load_spec(path: str | os.PathLike) -> ExactNet:
    """Load a network from a JSON, ``.npz`` or ``.pt`` spec file.

    Parameters
    ----------
    path : str or os.PathLike
        The file; its suffix (``.json``, ``.npz``, ``.pt`` or ``.pth``, any case) chooses
        the format described in this module's docstring.

    Returns
    -------
    ExactNet
        The network, with weights at their exact (binary or written) values.

    Raises
    ------
    SpecFileError
        A missing file, a folder, a FIFO or other non-regular file, an unknown suffix,
        unreadable or malformed content (too deeply nested or too long numbers, unknown
        keys, a gap in the numbered ``.npz`` layers, non-tensor ``.pt`` entries, pickled
        objects).
    InputError
        Content that reads but describes an invalid network (NaN, shape mismatch...).
    InputTypeError
        ``path`` not a path.
    UnsupportedActivationError
        A spec naming an activation that is not piecewise linear.

    Examples
    --------
    >>> import json, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "net.json")
    >>> with open(path, "w") as f:
    ...     json.dump({"layers": [{"weight": [[1, 0]], "bias": [0]}, {"weight": [[1]], "bias": [0]}],
    ...                "activation": {"name": "leaky_relu", "params": [0.5]}}, f)
    >>> load_spec(path).activations[0].describe()
    'leaky_relu(0.5)'
    >>> load_spec(path + ".txt")
    Traceback (most recent call last):
    ...
    exact.errors.SpecFileError: spec file '....json.txt' does not exist
    """
    if not isinstance(path, (str, os.PathLike)):
        raise InputTypeError(f"path must be a file name (str or os.PathLike), got {type(path).__name__} "
                             f"{path!r}"[:160])
    p = os.fspath(path)
    _check_regular_file(p)
    suffix = os.path.splitext(p)[1].lower()
    if suffix == ".json":
        return _load_json(p)
    if suffix == ".npz":
        return _load_npz(p)
    if suffix in (".pt", ".pth"):
        return _load_pt(p)
    raise SpecFileError(f"spec file {p!r}: unknown suffix {suffix!r}; use .json, .npz or .pt")


def _check_regular_file(p: str) -> None:
    """Refuse a path that is not a regular file, saying what it is."""
    try:
        st = os.stat(p)
    except FileNotFoundError:
        if os.path.islink(p):
            target = os.readlink(p)
            raise SpecFileError(f"spec file {p!r} is a broken symbolic link (to {target!r})") from None
        raise SpecFileError(f"spec file {p!r} does not exist") from None
    except OSError as exc:
        raise SpecFileError(f"spec file {p!r} cannot be read: {exc.strerror or exc}") from None
    kinds = [(stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
             (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
             (stat.S_ISBLK, "a block device")]
    for test, what in kinds:
        if test(st.st_mode):
            raise SpecFileError(f"spec file {p!r} is {what}, not a regular file")
    if not stat.S_ISREG(st.st_mode):
        raise SpecFileError(f"spec file {p!r} is not a regular file")


def _did_you_mean(key: str, allowed: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(key, allowed, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _check_keys(obj: dict, allowed: tuple[str, ...], where: str) -> None:
    """Refuse keys outside ``allowed``, naming the key and the allowed ones."""
    for key in obj:
        if key not in allowed:
            raise SpecFileError(f"{where}: unknown key {key!r}{_did_you_mean(str(key), allowed)}; "
                                f"allowed keys: {', '.join(map(repr, allowed))}")


# ---------------------------------------------------------------------------------------
# values and activations, shared by the formats
# ---------------------------------------------------------------------------------------

def _exact_string(text: str, where: str) -> Fraction:
    """Read ``"p"`` or ``"p/q"`` (decimal or ``0x`` hexadecimal integers) exactly."""
    m = _EXACT.fullmatch(text)
    if m is None:
        raise SpecFileError(f"{where} is the string {text[:60]!r}; a weight is a number or an exact "
                            "rational string such as '-1/3' or '0x1f/0x3'")
    sign, num, den = m.groups()

    def integer(digits: str) -> int:
        if digits[:2].lower() == "0x":
            return int(digits, 16)
        if len(digits) > MAX_DECIMAL_DIGITS:
            raise SpecFileError(f"{where} has {len(digits)} decimal digits, more than {MAX_DECIMAL_DIGITS}; "
                                "write long integers in hexadecimal ('0x...')")
        return int(digits)

    q = integer(den) if den else 1
    if q == 0:
        raise SpecFileError(f"{where} is {text!r}: a zero denominator")
    value = Fraction(integer(num), q)
    return -value if sign == "-" else value


def _spec_value(v: Any, where: str) -> Any:
    """One weight, bias or activation parameter of a spec: a number or an exact string."""
    if isinstance(v, str):
        return _exact_string(v, where)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        kind = "a list" if isinstance(v, list) else f"{type(v).__name__} {v!r}"[:80]
        raise SpecFileError(f"{where} is {kind}; a weight is a number or an exact rational string 'p/q'")
    return v


def _spec_matrix(obj: Any, where: str) -> list[list[Any]]:
    """Read a list of rows of values (ExactNet.from_layers checks the rows' lengths)."""
    if not isinstance(obj, list) or not all(isinstance(r, list) for r in obj):
        raise SpecFileError(f"{where} must be a list of rows (lists of numbers)")
    return [[_spec_value(v, f"{where}[{i}][{j}]") for j, v in enumerate(r)] for i, r in enumerate(obj)]


def _spec_vector(obj: Any, where: str) -> list[Any]:
    if not isinstance(obj, list):
        raise SpecFileError(f"{where} must be a list of numbers")
    return [_spec_value(v, f"{where}[{i}]") for i, v in enumerate(obj)]


def _activation_from_spec(obj: Any, where: str) -> Activation | list[Activation]:
    """Read an ``activation`` entry: a name, an object, or a list of them (one per hidden layer)."""
    if isinstance(obj, list):
        return [_one_activation(a, f"{where}[{i}]") for i, a in enumerate(obj)]
    return _one_activation(obj, where)


def _one_activation(obj: Any, where: str) -> Activation:
    if isinstance(obj, str):
        return get_activation(obj)
    if not isinstance(obj, dict):
        raise SpecFileError(f"{where} must be a name, an object {{'name', 'params'}} or a list of them, "
                            f"got {type(obj).__name__} {obj!r}"[:200])
    if "breakpoints" in obj:  # the general form save_json writes for a custom Activation
        _check_keys(obj, ("name", "breakpoints", "slopes", "intercepts"), where)
        parts = [_spec_vector(obj.get(k), f"{where}.{k}") for k in ("breakpoints", "slopes", "intercepts")]
        return piecewise_linear(obj.get("name"), *parts)
    _check_keys(obj, ("name", "params"), where)
    if "name" not in obj:
        raise SpecFileError(f"{where} has no 'name'")
    params = obj.get("params", [])
    if not isinstance(params, list):
        raise SpecFileError(f"{where}.params must be a list, got {params!r}"[:200])
    values = [_spec_value(v, f"{where}.params[{i}]") for i, v in enumerate(params)]
    return get_activation(obj["name"], *values)


def _check_activation_count(act: Any, n_layers: int, where: str) -> None:
    if isinstance(act, list) and len(act) != n_layers - 1:
        raise SpecFileError(f"{where}: 'activation' lists {len(act)} activations for "
                            f"{n_layers - 1} hidden layers")


# ---------------------------------------------------------------------------------------
# the three formats
# ---------------------------------------------------------------------------------------

def _load_json(p: str) -> ExactNet:
    """Read a JSON spec ``{"layers": [{"weight", "bias"}, ...], "activation": ...}``."""
    where = f"spec file {p!r}"

    def parse_int(text: str) -> int:
        if len(text.lstrip("-")) > MAX_DECIMAL_DIGITS:
            raise SpecFileError(f"{where}: a number has {len(text.lstrip('-'))} digits, more than "
                                f"{MAX_DECIMAL_DIGITS}; write long integers as hexadecimal strings ('0x...')")
        return int(text)

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in pairs:
            if k in out:
                raise SpecFileError(f"{where}: key {k!r} appears twice in one object; JSON keeps only "
                                    "the last, so the other would be ignored")
            out[k] = v
        return out

    try:
        with open(p, encoding="utf-8") as f:
            data = json.load(f, parse_int=parse_int, object_pairs_hook=no_duplicates)
    except SpecFileError:
        raise
    except RecursionError:
        raise SpecFileError(f"{where} is nested too deeply to read; a spec needs 3 levels of lists") from None
    except UnicodeDecodeError as exc:
        raise SpecFileError(f"{where} is not UTF-8 text: {exc.reason} at byte {exc.start}") from None
    except ValueError as exc:  # json.JSONDecodeError, and int/float conversions
        raise SpecFileError(f"{where} is not valid JSON: {exc}") from None
    except OSError as exc:
        raise SpecFileError(f"{where} cannot be read: {exc.strerror or exc}") from None
    if isinstance(data, dict):
        _check_keys(data, ("layers", "activation"), where)
    if not isinstance(data, dict) or not isinstance(data.get("layers"), list):
        raise SpecFileError(f"{where} needs an object with a 'layers' list")
    layers = []
    for i, layer in enumerate(data["layers"]):
        if isinstance(layer, dict):
            _check_keys(layer, ("weight", "bias"), f"{where}: layers[{i}]")
        if not isinstance(layer, dict) or "weight" not in layer or "bias" not in layer:
            raise SpecFileError(f"{where}: layers[{i}] needs 'weight' and 'bias'")
        layers.append((_spec_matrix(layer["weight"], f"{where}: layers[{i}].weight"),
                       _spec_vector(layer["bias"], f"{where}: layers[{i}].bias")))
    act = _activation_from_spec(data.get("activation", "relu"), f"{where}: activation")
    _check_activation_count(act, len(layers), where)
    return ExactNet.from_layers(layers, activation=act)


def _load_npz(p: str) -> ExactNet:
    """Read arrays ``W0, b0, W1, b1, ...`` (and optionally ``activation``) from an ``.npz``."""
    import numpy as np

    where = f"spec file {p!r}"
    try:
        with np.load(p, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except Exception as exc:  # numpy raises several types for corrupt archives and object arrays
        raise SpecFileError(f"{where} is not a readable .npz archive of numeric arrays: {exc}") from None
    found: dict[str, set[int]] = {"W": set(), "b": set()}
    for key in arrays:
        m = _NPZ_KEY.fullmatch(key)
        if m is None and key != "activation":
            raise SpecFileError(f"{where}: unknown array {key!r}{_did_you_mean(key, ('activation',))}; "
                                "allowed: W0, b0, W1, b1, ... and 'activation'")
        if m is not None:
            found[m.group(1)].add(int(m.group(2)))
    n = max(found["W"] | found["b"], default=-1) + 1
    if n == 0:
        raise SpecFileError(f"{where} has no arrays W0, b0, ...; found {sorted(arrays)}")
    for kind in ("W", "b"):
        missing = [f"{kind}{i}" for i in range(n) if i not in found[kind]]
        if missing:
            raise SpecFileError(f"{where} has layers up to {n - 1} but no {', '.join(missing)}: "
                                "arrays must be numbered W0, b0, W1, b1, ... without gaps")
    act: Any = "relu"
    if "activation" in arrays:
        a = arrays["activation"]
        if a.dtype.kind != "U" or a.ndim != 0:
            raise SpecFileError(f"{where}: 'activation' must be a 0-d string array, got dtype {a.dtype} "
                                f"shape {a.shape}")
        text = str(a)
        if text.lstrip().startswith(("{", "[")):
            try:
                text = json.loads(text)
            except (ValueError, RecursionError) as exc:
                raise SpecFileError(f"{where}: 'activation' is not valid JSON: {exc}") from None
        act = _activation_from_spec(text, f"{where}: activation")
        _check_activation_count(act, n, where)
    return ExactNet.from_layers([(arrays[f"W{i}"], arrays[f"b{i}"]) for i in range(n)], activation=act)


def _torch_reason(exc: Exception) -> str:
    """Give torch's reason for refusing a file, without its advice to retry with ``weights_only=False``."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
    if "WeightsUnpickler error:" in text:
        text = text.split("WeightsUnpickler error:", 1)[1]
        text = re.split(r"\.\s|\n\n", text.strip(), maxsplit=1)[0]
    else:
        text = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    if "weights_only" in text:  # a sentence of advice, not a reason
        text = type(exc).__name__
    return text.strip()[:200]


def _load_pt(p: str) -> ExactNet:
    """Read a state_dict of Linear layers with ``weights_only=True`` (and an optional ``activation``)."""
    import torch

    where = f"spec file {p!r}"
    try:
        state = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:  # unpickling refusals and corrupt files
        raise SpecFileError(
            f"{where} is not a state_dict of tensors readable with weights_only=True ({_torch_reason(exc)}); "
            "exactnet never runs pickled code: save model.state_dict() instead of the model"
        ) from None
    if not isinstance(state, dict):
        raise SpecFileError(f"{where} holds {type(state).__name__}, not a state_dict")
    for key, v in state.items():
        if key == "activation":
            continue
        if not (isinstance(key, str) and key.endswith((".weight", ".bias"))):
            raise SpecFileError(f"{where}: entry {key!r}{_did_you_mean(str(key), ('activation',))} is not "
                                "a Linear layer's '<name>.weight' or '<name>.bias' (nor 'activation')")
        if not isinstance(v, torch.Tensor):
            raise SpecFileError(f"{where}: entry {key!r} is a {type(v).__name__}, not a tensor")
    names = [k[: -len(".weight")] for k in state if isinstance(k, str) and k.endswith(".weight")]
    for key in state:
        if key.endswith(".bias") and key[: -len(".bias")] not in names:
            raise SpecFileError(f"{where}: entry {key!r} has no matching weight")
    if not names:
        raise SpecFileError(f"{where} has no '<layer>.weight' entries")
    layers = []
    for n in names:
        W = state[n + ".weight"]
        if W.dim() != 2:
            raise SpecFileError(f"{where}: {n}.weight has shape {tuple(W.shape)}, not 2-D")
        b = state.get(n + ".bias")
        layers.append((W, b if b is not None else torch.zeros(W.shape[0], dtype=W.dtype)))
    act = _activation_from_spec(state.get("activation", "relu"), f"{where}: activation")
    _check_activation_count(act, len(layers), where)
    return ExactNet.from_layers(layers, activation=act)


# ---------------------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------------------

def _encode(v: Fraction) -> int | float | str:
    """Write an exact value so that :func:`load_spec` reads it back unchanged."""
    def integer(n: int) -> str:
        return str(n) if n.bit_length() <= 3 * MAX_DECIMAL_DIGITS else hex(n)

    if v.denominator == 1:
        return v.numerator if v.numerator.bit_length() <= 3 * MAX_DECIMAL_DIGITS else integer(v.numerator)
    dyadic = v.denominator & (v.denominator - 1) == 0
    if dyadic and max(v.numerator.bit_length(), v.denominator.bit_length()) < 1100:
        try:
            f = float(v)
        except OverflowError:
            f = None
        if f is not None and Fraction(f) == v:
            return f  # JSON writes the shortest repr, which reads back as the same float
    return f"{integer(v.numerator)}/{integer(v.denominator)}"


def _encode_activation(a: Activation) -> str | dict:
    """Write an activation as a name, ``{"name", "params"}``, or its pieces if it is custom."""
    params: list[Any] = {"leaky_relu": [a.slopes[0]] if a.slopes else [],
                         "hardtanh": list(a.breakpoints)}.get(a.name, [])
    try:
        if get_activation(a.name, *params) == a:
            return {"name": a.name, "params": [_encode(v) for v in params]} if params else a.name
    except InputError:
        pass
    return {"name": a.name, **{k: [_encode(v) for v in getattr(a, k)]
                               for k in ("breakpoints", "slopes", "intercepts")}}


def save_json(net: Any, path: str | os.PathLike) -> None:
    """Write a network as a JSON spec that :func:`load_spec` reads back exactly.

    Parameters
    ----------
    net : ExactNet, torch.nn.Module or list of (W, b)
        The network; anything :func:`as_exact_net` reads (a torch module is read, and
        checked, as :func:`from_torch` does).
    path : str or os.PathLike
        The file to write (overwritten).

    Returns
    -------
    None

    Raises
    ------
    InputTypeError, InputError
        ``net`` is not a network :func:`as_exact_net` can read.

    Notes
    -----
    A weight equal to a float is written as that JSON number (its shortest repr, which
    reads back as the same float); an integer as a JSON integer (in hexadecimal string form
    ``"0x..."`` beyond about 3600 digits, which Python could not read back from decimal);
    any other rational as the exact string ``"p/q"``.  The activation is one entry when
    all hidden layers share it, else a list, one per hidden layer.  Cost ``O(parameters)``.

    Examples
    --------
    >>> import tempfile, os
    >>> net = ExactNet.from_layers([([[0.5, Fraction(-1, 3)]], [0.25]), ([[2]], [0])],
    ...                            activation="abs")
    >>> path = os.path.join(tempfile.mkdtemp(), "n.json")
    >>> save_json(net, path)
    >>> print(open(path).read())
    {"layers": [{"weight": [[0.5, "-1/3"]], "bias": [0.25]}, {"weight": [[2]], "bias": [0]}],
     "activation": "abs"}
    >>> load_spec(path) == net
    True
    """
    if isinstance(net, (str, bytes, os.PathLike)):
        raise InputTypeError(f"net must be a network (ExactNet, torch module, list of (W, b)), got the "
                             f"path {net!r}; load it first with load_spec")
    net = as_exact_net(net)
    data: dict[str, Any] = {"layers": [
        {"weight": [[_encode(v) for v in r] for r in W], "bias": [_encode(v) for v in b]}
        for W, b in zip(net.weights, net.biases)
    ]}
    acts = [_encode_activation(a) for a in net.activations]
    if acts:
        data["activation"] = acts[0] if all(a == acts[0] for a in acts) else acts
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f)


def as_exact_net(net: Any, activation: str | None = None) -> ExactNet:
    """Coerce any accepted network description into an :class:`ExactNet`.

    Parameters
    ----------
    net : ExactNet, torch.nn.Module, sequence of (W, b), str or os.PathLike
        An :class:`ExactNet` (returned as is), a torch module (read by
        :func:`from_torch`), a path to a JSON, ``.npz`` or ``.pt`` spec file (read by
        :func:`load_spec`), or ``[(W0, b0), (W1, b1), ...]`` with ``W`` of shape
        ``(out, in)`` and ``b`` of shape ``(out,)`` (read by :meth:`ExactNet.from_layers`).
    activation : str, optional
        Activation of every hidden layer for a list of pairs (default ``"relu"``);
        ignored for the other kinds, which say their own.

    Returns
    -------
    ExactNet

    Raises
    ------
    InputError
        A malformed network (see :meth:`ExactNet.from_layers`, :func:`from_torch`);
        :class:`SpecFileError` for a path that cannot be read.
    InputTypeError
        Weights of a non-real dtype, or ``net`` of no accepted kind.
    UnsupportedActivationError
        An activation that is not piecewise linear.

    Examples
    --------
    >>> as_exact_net([([[1.0, 2.0]], [0.5]), ([[1.0]], [0.0])]).widths
    (2, 1, 1)
    >>> as_exact_net([([[1.0, 2.0]], [0.5]), ([[1.0]], [0.0])], activation="abs").activations[0].name
    'abs'
    """
    if isinstance(net, ExactNet):
        return net
    if isinstance(net, (str, os.PathLike)):
        return load_spec(net)
    if type(net).__module__.startswith("torch") or hasattr(net, "named_modules"):
        return from_torch(net)
    return ExactNet.from_layers(net, activation=activation or "relu")

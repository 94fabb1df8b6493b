"""Read networks from spec files (JSON, ``.npz``, ``.pt``, ``.safetensors``), state_dicts and torch modules.

Also writes JSON specs (:func:`save_json`).

Spec file formats
-----------------
JSON
    ``{"layers": [{"weight": [[...]], "bias": [...]}, ...], "activation": "relu"}``;
    the last layer is the output layer.  No other keys are allowed (a misspelled key is
    an error naming it).  A number is read as Python reads JSON: integers exactly,
    decimals as the nearest float64 (whose exact binary value is the weight; a decimal
    beyond the float64 range, such as ``1e400``, or nonzero but so small that its nearest
    float64 is 0, such as ``1e-400``, is an error that says how to write it exactly).  A string
    ``"p/q"`` or ``"p"`` (``p``, ``q`` decimal or ``0x`` hexadecimal integers, ``p`` with
    an optional sign) is an exact rational; no other strings are weights.
``.npz``
    Arrays ``W0, b0, W1, b1, ...`` numbered without gaps, and optionally ``activation``:
    a 0-d string array holding a name or the JSON form of an ``activation`` entry.
``.pt``
    A torch ``state_dict`` of ``Linear`` layers (tensors ``<name>.weight`` and
    ``<name>.bias`` in order), loaded with ``weights_only=True``: pickled code never runs.
    An optional entry ``"activation"`` (a string, dict or list, as in JSON) gives the
    activations: ``torch.save({**model.state_dict(), "activation": "abs"}, path)``; an
    optional entry ``"widths"`` the widths the layers must have.  A state_dict in memory
    (given to :func:`as_exact_net`) is read the same way (:mod:`exact.state_dicts`).  A
    training checkpoint ``{"epoch": 3, "model_state_dict": sd, "optimizer_state_dict":
    ...}``, in a file or in memory, is read from its one entry that is a dict of tensors, when
    the checkpoint has no tensor of its own (several such entries are refused, naming them:
    :func:`exact.state_dicts.checkpoint_entry`).
``.safetensors``
    The same tensors in a safetensors file, read directly (:mod:`exact.safetensors_file`;
    F64, F32, F16, BF16 and the integers I8 ... I64, U8 ... U64, exactly).  Names that
    their numbers order (``net.0`` ... ``net.10``) are taken in that order (``2`` before
    ``10``); other names (``input_layer``, ``hidden``; ``encoder.0``, ``decoder.0``), or
    numbers whose order does not chain, in the one order in which the weights' shapes (and
    ``"widths"``, if given) chain: none or several such orders are refused.  Its
    ``__metadata__`` may hold ``"activation"`` (a name or JSON) and ``"widths"`` (JSON).

The ``activation`` entry of every format is a name (``"relu"``, ``"abs"``,
``"identity"``, ``"leaky_relu"``, ``"hardtanh"``), an object ``{"name": ..., "params":
[...]}`` (``leaky_relu``: the negative slope; ``hardtanh``: min and max), or a list of
these, one per hidden layer; default ``"relu"``, or the ``activation`` argument of
:func:`load_spec` and :func:`as_exact_net` for a spec that names none (one that names its
own must agree with the argument).

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

import json
import os
import re
import stat
import zipfile
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from .activations import Activation, get_activation
from .array_input import refuse_sparse
from .errors import InputError, InputTypeError, ResidualModuleError, SpecFileError
from .layer_order import natural_key
from .network import ExactNet
from .safetensors_file import read_safetensors
from .spec_values import MAX_DECIMAL_DIGITS, check_keys, did_you_mean, json_float, spec_matrix, spec_vector
from .state_dicts import (
    check_architecture,
    checkpoint_entry,
    from_state_dict,
    given_activation,
    resolve_activation,
)
from .wording import type_phrase

__all__ = ["as_exact_net", "load_spec", "save_json"]

_NPZ_KEY = re.compile(r"([Wb])(0|[1-9][0-9]*)")


def load_spec(path: str | os.PathLike, *, activation: Any = None, widths: Sequence[int] | None = None
              ) -> ExactNet:
    """Load a network from a JSON, ``.npz``, ``.pt`` or ``.safetensors`` spec file.

    Parameters
    ----------
    path : str or os.PathLike
        The file; its suffix (``.json``, ``.npz``, ``.pt`` or ``.pth``, ``.safetensors``,
        any case) chooses the format described in this module's docstring.
    activation : str, Activation, dict or list, optional
        The activations, for a file that does not name them (a file that does must agree);
        default ReLU.  As the ``activation`` entry of a spec, or :class:`Activation` objects.
    widths : sequence of int, optional
        The widths the network must have (``[in, hidden..., out]``).

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
        Content that reads but describes an invalid network (NaN, shape mismatch...), or
        disagrees with ``activation`` or ``widths``.
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
        raise InputTypeError(f"path must be a file name (str or os.PathLike), got {type_phrase(path)} "
                             f"{path!r}"[:160])
    p = os.fspath(path)
    _check_regular_file(p)
    suffix = os.path.splitext(p)[1].lower()
    try:
        if suffix in (".pt", ".pth"):
            return _load_pt(p, activation, widths)
        if suffix == ".safetensors":
            return _load_safetensors(p, activation, widths)
        if suffix == ".json":
            net = _load_json(p, activation)
        elif suffix == ".npz":
            net = _load_npz(p, activation)
        else:
            raise SpecFileError(f"spec file {p!r}: unknown suffix {suffix!r}; use .json, .npz, .pt or "
                                ".safetensors")
    except (InputError, InputTypeError) as exc:  # a bad weight, shape, ...: say which file holds it
        if str(exc).startswith("spec file") or isinstance(exc, ResidualModuleError):
            raise
        raise type(exc)(f"spec file {p!r}: {exc}") from None
    return check_architecture(net, widths=widths, where=f"spec file {p!r}")


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


# ---------------------------------------------------------------------------------------
# the three formats
# ---------------------------------------------------------------------------------------

def _load_json(p: str, activation: Any) -> ExactNet:
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

    _refuse_binary_json(p, where)
    try:
        with open(p, encoding="utf-8-sig") as f:  # a byte-order mark (as Windows editors write) is skipped
            data = json.load(f, parse_int=parse_int, parse_float=json_float, object_pairs_hook=no_duplicates)
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
    return _from_spec_object(data, where, activation)


def _refuse_binary_json(p: str, where: str) -> None:
    """Refuse a torch file or an ``.npz`` named ``.json``, saying what it looks like and how to rename it."""
    head = _head(p)
    if head[:1] == b"\x80":  # a pickle: what torch.save wrote before zip archives
        raise SpecFileError(f"{where} is not JSON text: it starts {head!r}, as a torch file (a pickle) does; "
                            "if torch.save wrote it, rename it to .pt")
    if not _zip_head(p):
        return
    try:
        with zipfile.ZipFile(p) as z:
            names = z.namelist()
    except (zipfile.BadZipFile, OSError):
        names = []
    if names and all(n.endswith(".npy") for n in names):
        raise SpecFileError(f"{where} is not JSON text but a zip archive of .npy arrays, as np.savez writes: "
                            "rename it to .npz")
    raise SpecFileError(f"{where} is not JSON text but a zip archive, as torch.save writes: if it is a torch "
                        "state_dict, rename it to .pt")


def _from_spec_object(data: Any, where: str, activation: Any) -> ExactNet:
    """Read the object of a JSON spec (from a file, or given in memory)."""
    if isinstance(data, dict):
        check_keys(data, ("layers", "activation"), where)
    if not isinstance(data, dict) or not isinstance(data.get("layers"), list):
        raise SpecFileError(f"{where} needs an object with a 'layers' list")
    layers = []
    for i, layer in enumerate(data["layers"]):
        if isinstance(layer, dict):
            check_keys(layer, ("weight", "bias"), f"{where}: layers[{i}]")
        if not isinstance(layer, dict) or "weight" not in layer or "bias" not in layer:
            raise SpecFileError(f"{where}: layers[{i}] needs 'weight' and 'bias'")
        layers.append((spec_matrix(layer["weight"], f"{where}: layers[{i}].weight"),
                       spec_vector(layer["bias"], f"{where}: layers[{i}].bias")))
    act = resolve_activation(data.get("activation"), activation, len(layers), where)
    return ExactNet.from_layers(layers, activation=act)


def _load_npz(p: str, activation: Any) -> ExactNet:
    """Read arrays ``W0, b0, W1, b1, ...`` (and optionally ``activation``) from an ``.npz``."""
    import numpy as np

    where = f"spec file {p!r}"
    if not _zip_head(p):
        raise SpecFileError(f"{where} is not an .npz archive (not a zip file: it starts {_head(p)!r})")
    try:
        with np.load(p, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except ValueError as exc:  # object arrays: numpy's advice is to unpickle, which exactnet never does
        if "pickle" not in str(exc):
            raise SpecFileError(f"{where} is not a readable .npz archive of numeric arrays: {exc}") from None
        raise SpecFileError(f"{where} holds object arrays (pickled data), which exactnet never loads: save "
                            "numeric arrays W0, b0, W1, b1, ... (np.savez)") from None
    except Exception as exc:  # numpy raises several types for corrupt archives
        raise SpecFileError(f"{where} is not a readable .npz archive of numeric arrays: {exc}") from None
    for key, a in arrays.items():
        if a.dtype.kind == "f" and a.dtype.itemsize > 8:
            raise SpecFileError(f"{where}: array {key!r} has dtype {a.dtype}, which exactnet does not read "
                                "from a file: save a.astype(np.float64) if rounding each value to the "
                                "nearest float64 is what you want, or keep the exact values in a JSON spec "
                                '(strings "p/q"; exact.save_json writes one)')
    found: dict[str, set[int]] = {"W": set(), "b": set()}
    for key in arrays:
        m = _NPZ_KEY.fullmatch(key)
        if m is None and key != "activation":
            raise SpecFileError(f"{where}: unknown array {key!r}{did_you_mean(key, ('activation',))}; "
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
    text: Any = None
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
    act = resolve_activation(text, activation, n, where)
    return ExactNet.from_layers([(arrays[f"W{i}"], arrays[f"b{i}"]) for i in range(n)], activation=act)


def _head(p: str) -> bytes:
    """Return a file's first 8 bytes (empty if it cannot be read: the loader says why)."""
    try:
        with open(p, "rb") as f:
            return f.read(8)
    except OSError:
        return b""


def _zip_head(p: str) -> bool:
    """Tell whether a file starts as a zip archive does (a local file header or an empty archive)."""
    return _head(p)[:4] in (b"PK\x03\x04", b"PK\x05\x06")


def _torch_reason(exc: Exception) -> tuple[str, bool]:
    """Give torch's reason for refusing a file (whole sentences), and whether it is a pickled class.

    Without torch's advice to retry with ``weights_only=False``; a reason longer than 600
    characters ends at its last full sentence within them.
    """
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
    pickled = "WeightsUnpickler error:" in text
    if pickled:
        text = text.split("WeightsUnpickler error:", 1)[1]
        text = re.split(r"\.\s|\n\n", text.strip(), maxsplit=1)[0]
    else:
        text = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    if "weights_only" in text:  # a sentence of advice, not a reason
        text = type(exc).__name__
    text = text.strip()
    if len(text) > 600:
        cut = text.rfind(". ", 0, 600)
        text = text[: cut + 1] if cut > 0 else text[:600] + " ..."
    return text, pickled


def _load_pt(p: str, activation: Any, widths: Any) -> ExactNet:
    """Read a state_dict of Linear layers with ``weights_only=True`` (and optional architecture entries)."""
    import torch

    where = f"spec file {p!r}"
    if not (_zip_head(p) or _head(p)[:1] == b"\x80"):  # torch.save writes a zip; old files a pickle
        raise SpecFileError(f"{where} is not a torch file (neither a zip archive nor a pickle: it starts "
                            f"{_head(p)!r}); save one with torch.save(model.state_dict(), path)")
    try:
        state = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:  # unpickling refusals and corrupt files
        reason, pickled = _torch_reason(exc)
        if not pickled:  # a truncated or corrupt file: no advice about what was saved
            raise SpecFileError(f"{where} could not be read as a torch checkpoint: it may be truncated or "
                                f"corrupt (torch: {reason})") from None
        raise SpecFileError(
            f"{where} is not a state_dict of tensors readable with weights_only=True ({reason}); "
            "exactnet never runs pickled code: save model.state_dict() instead of the model"
        ) from None
    if not isinstance(state, dict):
        raise SpecFileError(f"{where} holds {type_phrase(state)}, not a state_dict")
    state, where = checkpoint_entry(state, where)
    for key, v in state.items():
        if key not in ("activation", "widths") and not isinstance(v, torch.Tensor):
            raise SpecFileError(f"{where}: entry {key!r} is {type_phrase(v)}, not a tensor")
    refuse_sparse(state, where, SpecFileError)
    return from_state_dict(state, where, activation=activation, widths=widths, in_file=True)


def _load_safetensors(p: str, activation: Any, widths: Any) -> ExactNet:
    """Read a ``.safetensors`` state_dict; its layers ordered as :mod:`exact.state_dicts` says."""
    where = f"spec file {p!r}"
    tensors, meta = read_safetensors(p)
    state: dict[str, Any] = {}
    for key, text in meta.items():
        if key in ("activation", "widths"):
            try:
                state[key] = json.loads(text) if text.lstrip().startswith(("{", "[")) else text
            except (ValueError, RecursionError) as exc:
                raise SpecFileError(f"{where}: __metadata__ {key!r} is not valid JSON: {exc}") from None
        elif did_you_mean(key, ("activation", "widths")):
            hint = did_you_mean(key, ("activation", "widths"))
            raise SpecFileError(f"{where}: __metadata__ has the key {key!r}{hint}; "
                                "exactnet reads 'activation' and 'widths' (other metadata is ignored)")
    order = sorted(tensors, key=lambda k: (natural_key(k.rsplit(".", 1)[0]), k))  # 'fc1' before 'fc1b'
    state.update((k, tensors[k]) for k in order)
    return from_state_dict(state, where, activation=activation, widths=widths, in_file=True, by_shapes=True)


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


def as_exact_net(net: Any, activation: Any = None, *, widths: Sequence[int] | None = None,
                 input_shape: Sequence[int] | None = None) -> ExactNet:
    """Coerce any accepted network description into an :class:`ExactNet`.

    Parameters
    ----------
    net : ExactNet, torch.nn.Module, state_dict, dict, sequence of (W, b), str or os.PathLike
        An :class:`ExactNet`; a torch module (read by :func:`from_torch`); a path to a
        JSON, ``.npz``, ``.pt`` or ``.safetensors`` spec file (read by :func:`load_spec`);
        a ``state_dict`` (a mapping of ``<layer>.weight``/``<layer>.bias`` tensors or
        arrays, in order, as ``model.state_dict()`` gives it, optionally with
        ``"activation"`` and ``"widths"`` entries); the object of a JSON spec
        (``{"layers": [...], ...}``); or ``[(W0, b0), (W1, b1), ...]`` with ``W`` of shape
        ``(out, in)`` and ``b`` of shape ``(out,)`` (read by :meth:`ExactNet.from_layers`).
    activation : str, Activation, dict or list, optional
        The hidden activation(s), one for all or one per hidden layer (a name, an
        :class:`Activation`, or a spec object such as ``{"name": "leaky_relu", "params":
        [0.1]}``).  For pairs, state_dicts and spec files that do not name their own it
        is used (default ``"relu"``); for anything that names its own (a torch module, an
        :class:`ExactNet`, a spec with an ``activation`` entry) it must agree, or an error
        says so.
    widths : sequence of int, optional
        The widths ``[in, hidden..., out]`` the network must have; checked for every kind.
    input_shape : sequence of int, optional
        For a torch module: the shape of one input sample (see :func:`from_torch`).

    Returns
    -------
    ExactNet

    Raises
    ------
    InputError
        A malformed network (see :meth:`ExactNet.from_layers`, :func:`from_torch`,
        :func:`~exact.state_dicts.from_state_dict`), one that disagrees with
        ``activation`` or ``widths``, ``input_shape`` for what is no torch module;
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
    >>> import torch
    >>> model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1))
    >>> state = model.state_dict()
    >>> as_exact_net(state, activation={"name": "leaky_relu", "params": [0.1]}).activations[0].describe()
    'leaky_relu(0.1)'
    """
    is_module = type(net).__module__.startswith("torch") or hasattr(net, "named_modules")
    if input_shape is not None and not is_module:
        raise InputError(f"input_shape is for torch modules (the shape of one input sample); net is "
                         f"{type_phrase(net)}")
    if isinstance(net, ExactNet):
        return check_architecture(net, activation, widths)
    if isinstance(net, (str, os.PathLike)):
        return load_spec(net, activation=activation, widths=widths)
    if isinstance(net, Mapping):
        return _from_mapping(net, activation, widths)
    from .residual_nets import ResidualNet  # the readers of objects, imported when an object is given
    from .torch_reading import from_torch

    if isinstance(net, ResidualNet):
        raise ResidualModuleError(f"{net!r} has skip connections x + g(x): it is analysed exactly in a "
                                  "bounded window; give it to exact.regions / count_regions with a window, "
                                  "or lower it: net.lower(lo, hi) or exact.lower_on_window(net, window)")
    if is_module:
        return check_architecture(from_torch(net, input_shape=input_shape), activation, widths,
                                  where=type(net).__name__)
    act = given_activation(activation)
    return check_architecture(ExactNet.from_layers(net, activation=act if act is not None else "relu"),
                              widths=widths)


def _from_mapping(net: Mapping, activation: Any, widths: Sequence[int] | None) -> ExactNet:
    """Read a spec object (``{"layers": ...}``), a state_dict, or a training checkpoint holding one."""
    if isinstance(net.get("layers"), (list, tuple)):  # not a checkpoint's hyperparameter "layers": 3
        return check_architecture(_from_spec_object(dict(net), "net", activation), widths=widths)
    state, where = checkpoint_entry(net, "net (a state_dict)", in_file=False)  # as a .pt file is read
    refuse_sparse(state, where)
    return from_state_dict(state, where, activation=activation, widths=widths)

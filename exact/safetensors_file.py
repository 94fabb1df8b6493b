"""Read a ``.safetensors`` file directly: its header, its tensors (exactly), its metadata.

The format (https://huggingface.co/docs/safetensors): 8 bytes, a little-endian unsigned
integer ``N``; ``N`` bytes of UTF-8 JSON, an object mapping each tensor's name to
``{"dtype", "shape", "data_offsets": [begin, end]}`` (offsets into the data that
follows, which the tensors cover without gaps or overlaps) and an optional
``"__metadata__"`` object of strings; then the raw little-endian data, row-major.
Floats of dtypes ``F64``, ``F32``, ``F16`` and ``BF16`` are read and converted to
float64, which holds each of them exactly; integers (``I8`` to ``I64``, ``U8`` to
``U64``) keep their numpy integer dtype, so that every value is exact (a float64 would
round ``2**53 + 1``), as integer ``.npz`` and ``.pt`` weights are read.  ``BOOL``, the
8-bit floats and complex dtypes are refused.  No ``safetensors`` package is needed;
nothing in the file is executed.

The file keeps names, not the order a module registered or runs its layers in: the
header's order is its writer's (the reference writer sorts the tensors by dtype, then by
name), so a state_dict read from it is ordered by its names' numbers, or else by the one
order in which its shapes chain (:mod:`exact.state_dicts`).

Examples
--------
>>> import json, os, struct, tempfile
>>> header = json.dumps({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}).encode()
>>> path = os.path.join(tempfile.mkdtemp(), "t.safetensors")
>>> with open(path, "wb") as f:
...     _ = f.write(struct.pack("<Q", len(header)) + header + struct.pack("<2f", 0.5, -3.0))
>>> tensors, meta = read_safetensors(path)
>>> tensors["w"].tolist(), meta
([0.5, -3.0], {})
"""

from __future__ import annotations

import json
import math
import os
import struct
from typing import Any

import numpy as np

from .errors import ResourceLimitError, SpecFileError
from .wording import counted, with_article

__all__ = ["DTYPES", "MAX_HEADER_BYTES", "MAX_TENSOR_VALUES", "read_safetensors"]

DTYPES = {"F64": np.dtype("<f8"), "F32": np.dtype("<f4"), "F16": np.dtype("<f2"), "BF16": np.dtype("<u2"),
          "I64": np.dtype("<i8"), "I32": np.dtype("<i4"), "I16": np.dtype("<i2"), "I8": np.dtype("i1"),
          "U64": np.dtype("<u8"), "U32": np.dtype("<u4"), "U16": np.dtype("<u2"), "U8": np.dtype("u1")}
"""The dtypes read (BF16 as its raw 16 bits, the upper half of a float32; integers as they are)."""

_FLOATS = ("F64", "F32", "F16", "BF16")

_SIZES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U64": 8, "U32": 4,
          "U16": 2, "U8": 1, "BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1, "C64": 8}

MAX_HEADER_BYTES = 100_000_000
"""Longest header read (the limit of the reference implementation)."""

MAX_TENSOR_VALUES = 20_000_000
"""Most values (summed over the tensors) read from one file."""


def read_safetensors(path: str | os.PathLike) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    r"""Read every tensor of a ``.safetensors`` file exactly, and its metadata.

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    tensors : dict of str to ndarray
        Each tensor with its exact values, in the order of the header: float64 for the
        float dtypes, the native numpy integer dtype (``int8`` ... ``uint64``) for integers.
    metadata : dict of str to str
        The ``__metadata__`` object (empty if there is none).

    Raises
    ------
    SpecFileError
        A file shorter than its header says (truncated), a header that is not a JSON
        object of tensor entries, an entry with unknown keys or a dtype other than F64,
        F32, F16, BF16 and the integers I8 ... I64, U8 ... U64, offsets that do not match
        the shape or overlap, leave gaps or
        go past the end, metadata that is not strings.
    ResourceLimitError
        More than :data:`MAX_TENSOR_VALUES` values (checked before reading them).

    Notes
    -----
    Cost: one read of the header and of each tensor's bytes, ``O(file size)``.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "short.safetensors")
    >>> with open(path, "wb") as f:
    ...     _ = f.write(b"\x10\x00")
    >>> read_safetensors(path)
    Traceback (most recent call last):
    ...
    exact.errors.SpecFileError: spec file '...short.safetensors' is truncated: 2 bytes, fewer than the 8 ...
    """
    p = os.fspath(path)
    where = f"spec file {p!r}"
    try:
        with open(p, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            header, data_start = _header(f, size, where)
            entries, meta = _entries(header, size - data_start, where)
            tensors = {}
            for name, (dtype, shape, begin, end) in entries.items():
                f.seek(data_start + begin)
                raw = f.read(end - begin)
                if len(raw) != end - begin:
                    raise SpecFileError(f"{where} is truncated: tensor {name!r} ends past the end of the "
                                        "file")
                tensors[name] = _exact_array(raw, dtype).reshape(shape)
    except OSError as exc:
        raise SpecFileError(f"{where} cannot be read: {exc.strerror or exc}") from None
    return tensors, meta


def _header(f: Any, size: int, where: str) -> tuple[dict, int]:
    """Read the length prefix and the JSON header; return the header and where the data starts."""
    if size < 8:
        raise SpecFileError(f"{where} is truncated: {counted(size, 'byte')}, fewer than the 8 of a "
                            "safetensors header length")
    (n,) = struct.unpack("<Q", f.read(8))
    if n > MAX_HEADER_BYTES:
        raise SpecFileError(f"{where}: its header length is {n:,} bytes, more than {MAX_HEADER_BYTES:,}; "
                            "it is not a safetensors file")
    if 8 + n > size:
        raise SpecFileError(f"{where} is truncated: its header length is {n:,} bytes but the file has only "
                            f"{size - 8:,} after the length")
    text = f.read(n)
    try:
        header = json.loads(text.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise SpecFileError(f"{where}: its header is not UTF-8 ({exc.reason} at byte {exc.start})") from None
    except (ValueError, RecursionError) as exc:
        raise SpecFileError(f"{where}: its header is not valid JSON ({exc})") from None
    if not isinstance(header, dict):
        raise SpecFileError(f"{where}: its header is {with_article('JSON ' + type(header).__name__)}, not an "
                            "object of tensors")
    return header, 8 + n


def _entries(header: dict, data_size: int, where: str) -> tuple[dict[str, tuple], dict[str, str]]:
    """Check every header entry; return ``name -> (dtype, shape, begin, end)`` and the metadata."""
    meta = header.get("__metadata__", {})
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        raise SpecFileError(f"{where}: its __metadata__ must be an object of strings, got {meta!r}"[:200])
    entries, total = {}, 0
    for name, e in header.items():
        if name == "__metadata__":
            continue
        at = f"{where}: tensor {name!r}"
        if not isinstance(e, dict) or set(e) != {"dtype", "shape", "data_offsets"}:
            raise SpecFileError(f"{at} must be an object with keys 'dtype', 'shape', 'data_offsets', "
                                f"got {e!r}"[:200])
        dtype, shape, offsets = e["dtype"], e["shape"], e["data_offsets"]
        if dtype not in DTYPES:
            known = ("a dtype unknown to safetensors" if dtype not in _SIZES
                     else "not a number" if dtype == "BOOL"
                     else "not a dtype exactnet reads (complex, or an 8-bit float)")
            raise SpecFileError(f"{at} has dtype {dtype!r}, {known}; exactnet reads F64, F32, F16, BF16 and "
                                "the integers I8 ... I64, U8 ... U64")
        if not isinstance(shape, list) or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0
                                                  for s in shape):
            raise SpecFileError(f"{at} has shape {shape!r}; a shape is a list of non-negative integers"[:200])
        if (not isinstance(offsets, list) or len(offsets) != 2
                or not all(isinstance(o, int) and not isinstance(o, bool) for o in offsets)
                or not 0 <= offsets[0] <= offsets[1]):
            raise SpecFileError(f"{at} has data_offsets {offsets!r}; expected [begin, end] with "
                                "0 <= begin <= end"[:200])
        n = math.prod(shape)
        if offsets[1] - offsets[0] != n * _SIZES[dtype]:
            held = counted(offsets[1] - offsets[0], "byte")
            raise SpecFileError(f"{at}: data_offsets {offsets} hold {held}, "
                                f"but shape {shape} of {dtype} needs {n * _SIZES[dtype]}")
        total += n
        entries[name] = (dtype, tuple(shape), offsets[0], offsets[1])
    if total > MAX_TENSOR_VALUES:
        raise ResourceLimitError(f"{where} holds {total:,} values, more than the {MAX_TENSOR_VALUES:,} "
                                 "exactnet "
                                 "reads from one file")
    _check_coverage(entries, data_size, where)
    return entries, meta


def _check_coverage(entries: dict[str, tuple], data_size: int, where: str) -> None:
    """Check that the tensors cover the data exactly: each begins where the previous one ends."""
    end = 0
    for name, (_, _, b, e) in sorted(entries.items(), key=lambda kv: (kv[1][2], kv[1][3])):
        if b != end:
            what = ("overlaps the tensor before it" if b < end
                    else f"leaves a gap of {counted(b - end, 'byte')} before it")
            raise SpecFileError(f"{where}: tensor {name!r} (data_offsets [{b}, {e}]) {what}")
        end = e
    if end > data_size:
        raise SpecFileError(f"{where} is truncated: its tensors need {counted(end, 'byte', fmt=',')} of "
                            f"data, the file has {data_size:,}")
    if end < data_size:
        verb = "belongs" if data_size - end == 1 else "belong"
        raise SpecFileError(f"{where}: {counted(data_size - end, 'byte', fmt=',')} after the last tensor "
                            f"{verb} to none")


def _exact_array(raw: bytes, dtype: str) -> np.ndarray:
    """Raw little-endian values, exactly.

    Floats become float64 (which holds every F16, BF16, F32 value), integers keep their
    dtype (in native byte order, writable).
    """
    a = np.frombuffer(raw, dtype=DTYPES[dtype])
    if dtype == "BF16":
        return (a.astype(np.uint32) << 16).view(np.float32).astype(np.float64)
    if dtype not in _FLOATS:
        return a.astype(a.dtype.newbyteorder("="))
    return a.astype(np.float64)

"""GeoJSON of exact regions: one Polygon feature per cell, written in blocks at array speed.

A one-hidden-layer result keeps every cell's pattern and map as arrays
(:class:`exact.face_maps.LazyFaceMaps`); the features read them a block of cells at a
time, so that no per-cell tuple or Fraction is made and kept.  Deeper results carry
each cell's pattern and map already, or (built from certified cells,
:mod:`exact.certified_regions`) make each cell's exact polygon and map a block of cells
at a time as the features are written: the maps are written exactly and the
coordinates and areas are the floats of the exact values, so a GeoJSON costs the exact
objects of every cell.

Examples
--------
>>> from exact import regions
>>> g = regions([([[1.0, 0.0]], [0.0]), ([[1.0]], [0.0])], window=1.0).to_geojson()
>>> [f["properties"]["pattern"] for f in g["features"]], g["features"][1]["properties"]["gradient"]
([[0], [1]], [['1', '0']])
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from itertools import chain
from typing import IO, Any, Protocol

import numpy as np

from ._certified.budget import format_bytes
from ._progress import progress_bar
from .errors import InputTypeError, ResourceLimitError
from .gc_pause import gc_paused
from .json_numbers import area_json, float_ring

Cell = Any  # exact.cells.Cell, which imports this module


class MapSource(Protocol):
    """Where cells' patterns and exact maps are read from as arrays and text.

    :class:`exact.face_maps.LazyFaceMaps` (one hidden layer) and
    :class:`exact.certified_regions.CertifiedCells` (deep nets) are such sources.
    """

    def pieces(self, cells: np.ndarray) -> np.ndarray:
        """Return the piece of every neuron in the given cells, shape ``(len(cells), neurons)``."""

    def map_texts(self, cells: Sequence[int]) -> list[tuple[list[list[str]], list[str]]]:
        """Return the given cells' exact output maps as text: gradient rows and offsets."""

__all__ = ["check_collection_memory", "feature_collection", "feature_collection_bytes",
           "write_feature_collection"]

BLOCK = 4096
"""Cells whose features are made at once (patterns read from the arrays, maps written as text)."""

FEATURE_BYTES = 2200
"""Bytes of one feature's dict besides its pattern's entries (measured with tracemalloc on
one-hidden-layer, deep, whole-plane and polygon-window results: 1.9-2.0 kB; rounded up)."""


def feature_collection(cells: Sequence[Cell], face_maps: MapSource | None = None) -> dict:
    """Return the GeoJSON FeatureCollection of ``cells``.

    Parameters
    ----------
    cells : sequence of Cell
        The cells of a :class:`~exact.cells.Regions`, in order.
    face_maps : MapSource, optional
        The arrays the cells' patterns and maps come from (one hidden layer:
        :class:`~exact.face_maps.LazyFaceMaps`; deep nets:
        :class:`~exact.certified_regions.CertifiedCells`): cell ``k`` is their cell
        ``cells[k].index``.

    Returns
    -------
    dict
        ``{"type": "FeatureCollection", "features": [...]}``; each feature's properties:
        ``index``, ``pattern``, ``linear_region``, ``bounded``, ``area`` (the exact area as
        :func:`~exact.json_numbers.json_number`; ``None`` for an unbounded cell of the whole
        plane, whose polygon is its part in the certified box), ``gradient`` and ``offset``
        (the exact output map as strings ``"p/q"``).

    Raises
    ------
    InputError
        A vertex coordinate beyond the float range.

    Examples
    --------
    >>> from exact import regions
    >>> r = regions([([[1.0, 1.0]], [-1.0]), ([[2.0]], [0.5])], window=1.0)
    >>> feature_collection(r.cells)["features"][1]["properties"]["offset"]
    ['-3/2']
    """
    with gc_paused():  # a million small lists and dicts, no cycles
        feats = [f for block, _ in _feature_blocks(cells, face_maps) for f in block]
    return {"type": "FeatureCollection", "features": feats}


def write_feature_collection(cells: Sequence[Cell], face_maps: MapSource | None,
                             file: str | os.PathLike | IO[str], progress: bool = False) -> None:
    """Write the GeoJSON FeatureCollection of ``cells`` to a file, a block of features at a time.

    The text is the one ``json.dump(feature_collection(cells, face_maps), f)`` writes,
    byte for byte, but only one block of :data:`BLOCK` features is held at a time.

    Parameters
    ----------
    cells, face_maps
        As for :func:`feature_collection`.
    file : str, path-like or text file object
        A path (written as UTF-8 to ``path.part``, which then replaces ``path``: a failed
        or interrupted write leaves no partial file) or an open text file (anything
        with ``write(str)``).
    progress : bool, default False
        Show a progress bar (on stderr) on long writes.

    Raises
    ------
    InputTypeError
        ``file`` is neither a path nor has a ``write`` method.
    InputError
        A vertex coordinate beyond the float range.

    Examples
    --------
    >>> import io, json
    >>> from exact import regions
    >>> r = regions([([[1.0, 1.0]], [-1.0]), ([[2.0]], [0.5])], window=1.0)
    >>> f = io.StringIO(); write_feature_collection(r.cells, None, f)
    >>> f.getvalue() == json.dumps(feature_collection(r.cells))
    True
    """
    if isinstance(file, (str, os.PathLike)):  # written beside it, then moved: never left half written
        part = f"{os.fspath(file)}.part"
        try:
            with open(part, "w", encoding="utf-8") as f:
                write_feature_collection(cells, face_maps, f, progress)
            os.replace(part, file)
        finally:
            if os.path.exists(part):
                os.remove(part)
        return
    if not callable(getattr(file, "write", None)):
        raise InputTypeError("write_geojson: file must be a path or a text file object, got "
                             f"{type(file).__name__}")
    bar = progress_bar(progress, len(cells), "GeoJSON", unit="cell")
    try:
        with gc_paused():  # one pause for the whole write; each block is freed by reference counts
            file.write('{"type": "FeatureCollection", "features": [')
            sep = ""
            for feats, patterns in _feature_blocks(cells, face_maps, as_text=True):
                text = json.dumps(feats)[1:-1]  # "f1, f2, ...", as json.dump separates a list
                if patterns is not None:  # the patterns' text, made from the arrays
                    parts = text.split(_MARK_JSON)
                    text = "".join(chain.from_iterable(zip(parts, patterns))) + parts[-1]
                file.write(sep)
                file.write(text)
                sep = ", "
                bar.update(len(feats))
            file.write("]}")
    finally:
        bar.close()


def feature_collection_bytes(n_cells: int, pattern_length: int) -> int:
    """Estimate the memory of :func:`feature_collection`'s dict, in bytes.

    Parameters
    ----------
    n_cells : int
        Features.
    pattern_length : int
        Hidden neurons (entries of each feature's ``pattern`` list).

    Returns
    -------
    int
        ``n_cells * (8 * pattern_length + FEATURE_BYTES)``: a pointer per pattern entry
        (small ints are shared) plus the rest of a feature, measured (:data:`FEATURE_BYTES`).

    Examples
    --------
    >>> feature_collection_bytes(466_031, 1000) / 1e9     # 2-1000-1 in the window 10: GB
    4.7535162
    """
    return n_cells * (8 * pattern_length + FEATURE_BYTES)


def check_collection_memory(n_cells: int, pattern_length: int, free: int | None) -> None:
    """Refuse a FeatureCollection dict over half the memory still available.

    Parameters
    ----------
    n_cells, pattern_length : int
        As for :func:`feature_collection_bytes`.
    free : int or None
        Bytes still available (:func:`exact.validation.available_memory`); ``None``:
        unknown, nothing is checked.

    Raises
    ------
    ResourceLimitError
        When :func:`feature_collection_bytes` is over half of ``free``.

    Examples
    --------
    >>> check_collection_memory(2, 1, 10**9)     # a few kB: fine
    """
    need = feature_collection_bytes(n_cells, pattern_length)
    if free is not None and 2 * need > free:
        raise ResourceLimitError(
            f"to_geojson() would build a dict of about {format_bytes(need)} for its {n_cells:,} cells "
            f"({pattern_length:,} pattern entries each), more than half the {format_bytes(free)} of memory "
            "available; write it to a file a block at a time with write_geojson(path) instead"
        )


def _feature_blocks(cells: Sequence[Cell], face_maps: MapSource | None,
                    as_text: bool = False) -> Iterator[tuple[list[dict[str, Any]], list[str] | None]]:
    """Yield the features of ``cells``, a list of :data:`BLOCK` at a time.

    With ``as_text``, the patterns of cells read from arrays come as their JSON text (the
    second item), each feature's ``pattern`` being :data:`_MARK` in its place.
    """
    for start in range(0, len(cells), BLOCK):
        block = cells[start:start + BLOCK]
        texts = None
        if face_maps is None:
            patterns = [list(c.pattern) for c in block]
            maps = [([[str(g) for g in row] for row in c.affine.gradient], [str(o) for o in c.affine.offset])
                    for c in block]
        else:
            idx = [c.index for c in block]
            pieces = face_maps.pieces(np.asarray(idx, dtype=np.intp))
            texts = _pattern_texts(pieces) if as_text else None
            patterns = [_MARK] * len(block) if texts is not None else pieces.tolist()
            maps = face_maps.map_texts(idx)
        yield [_feature(c, p, g, o) for c, p, (g, o) in zip(block, patterns, maps)], texts


_MARK = "\x00pattern"
"""Stands for a pattern in a feature while its text is made from the arrays (no JSON value has a NUL)."""
_MARK_JSON = json.dumps(_MARK)


def _pattern_texts(pieces: np.ndarray) -> list[str] | None:
    """Return each row's ``json.dumps`` (``"[0, 1, 1]"``) made as one byte array; None past one digit."""
    k, n = pieces.shape
    if n == 0 or not k or pieces.min() < 0 or pieces.max() > 9:
        return None
    buf = np.empty((k, n, 3), dtype=np.uint8)  # per row ", d0, d1, ..., dn": 3 n bytes
    buf[:, :, 0] = ord(",")
    buf[:, :, 1] = ord(" ")
    buf[:, :, 2] = pieces + ord("0")
    text = buf.tobytes().decode("ascii")
    step = 3 * n
    return [f"[{text[i + 2:i + step]}]" for i in range(0, k * step, step)]  # without the leading ", "


def _feature(c: Cell, pattern: list, gradient: list, offset: list) -> dict[str, Any]:
    """One cell's Feature."""
    verts = c.verts
    return {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [float_ring(verts)]},
        "properties": {
            "index": c.index,
            "pattern": pattern,
            "linear_region": c.linear_region,
            "bounded": c.bounded,
            "area": area_json(verts) if c.bounded else None,  # an unbounded cell has no area
            "gradient": gradient,
            "offset": offset,
        },
    }

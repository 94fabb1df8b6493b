"""GeoJSON of exact regions: one Polygon feature per cell, written in blocks at array speed.

A one-hidden-layer result keeps every cell's pattern and map as arrays
(:class:`exact.face_maps.LazyFaceMaps`); the features read them a block of cells at a
time, so that no per-cell tuple or Fraction is made and kept.  Deeper results carry
each cell's pattern and map already, or (built from certified cells,
:mod:`exact.certified_regions`) make each cell's exact polygon and map a block of cells
at a time as the features are written: the maps are written exactly and the
coordinates and areas are the floats of the exact values, so a GeoJSON costs the exact
objects of every cell.

A feature's ``pattern`` is a string with one digit per hidden neuron, in network order,
layer after layer: the neuron's piece (ReLU: ``"0"`` off, ``"1"`` on), so ``"11101"`` is
the pattern ``(1, 1, 1, 0, 1)``.  A string, not a list: GIS tools read scalar properties,
and a 1000-neuron pattern as a list was most of a large file.

:func:`write_feature_collection` writes each block's text directly (no feature dicts),
from each distinct vertex's float text made once: the same bytes ``json.dump`` writes of
:func:`feature_collection`.  A one-hidden-layer result's rings are read from its face
arrays (:class:`~exact.face_tables.LineFaces`: every vertex's correctly rounded floats at
once); the dict is made with the collector's full collections held
(:func:`~exact.gc_pause.full_collections_held`).

Examples
--------
>>> from exact import regions
>>> g = regions([([[1.0, 0.0]], [0.0]), ([[1.0]], [0.0])], window=1.0).to_geojson()
>>> [f["properties"]["pattern"] for f in g["features"]], g["features"][1]["properties"]["gradient"]
(['0', '1'], [['1', '0']])
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable, Iterator, Sequence
from itertools import compress
from typing import IO, Any, NamedTuple, Protocol

import numpy as np

from ._certified.budget import format_bytes
from ._progress import progress_bar
from .activations import Activation
from .area_floats import double_vertices, rounded_ring_areas
from .errors import InputError, InputTypeError, ResourceLimitError, UnsupportedActivationError
from .gc_pause import full_collections_held, gc_paused
from .json_numbers import area_jsons, float_ring, fraction_text
from .predicates import Point

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

__all__ = ["check_collection_memory", "check_pattern_digits", "feature_collection",
           "feature_collection_bytes", "pattern_strings", "write_feature_collection"]

BLOCK = 4096
"""Cells whose features are made at once (patterns read from the arrays, maps written as text)."""

FEATURE_BYTES = 2200
"""Bytes of one feature's dict besides its pattern's characters (measured with tracemalloc on
one-hidden-layer, deep, whole-plane and polygon-window results: 1.9-2.0 kB; rounded up)."""


def pattern_strings(pieces: np.ndarray) -> list[str]:
    """Write activation patterns as GeoJSON writes them: one digit per neuron.

    Parameters
    ----------
    pieces : ndarray of int, shape (cells, neurons)
        The piece of every neuron in each cell, in network order.

    Returns
    -------
    list of str
        Per cell, its pieces as decimal digits (``[1, 1, 0]`` is ``"110"``).

    Raises
    ------
    UnsupportedActivationError
        A piece index of 10 or more (an activation with more than ten pieces has no
        one-digit pattern).

    Examples
    --------
    >>> pattern_strings(np.array([[1, 1, 0], [2, 0, 1]]))
    ['110', '201']
    """
    k, n = pieces.shape
    if not k or not n:
        return [""] * k
    if pieces.min() < 0 or pieces.max() > 9:
        cell, neuron = np.argwhere((pieces < 0) | (pieces > 9))[0].tolist()
        raise UnsupportedActivationError(
            f"GeoJSON export: neuron {neuron} of cell {cell} is on piece {int(pieces[cell, neuron])}; "
            "GeoJSON patterns write one digit per neuron, so activations of more than 10 pieces are "
            "not supported")
    digits = (pieces.view(np.uint8) if pieces.dtype.itemsize == 1 else pieces.astype(np.uint8)) + ord("0")
    text = str(np.ascontiguousarray(digits).data, "ascii")  # decoded from the array's buffer: no copy
    return [text[i:i + n] for i in range(0, k * n, n)]


def check_pattern_digits(activations: Sequence[Activation]) -> None:
    """Refuse activations whose piece index needs more than one digit in a GeoJSON pattern.

    Parameters
    ----------
    activations : sequence of Activation
        The hidden layers' activations.

    Raises
    ------
    UnsupportedActivationError
        An activation of more than 10 pieces (9 breakpoints); every named activation of
        exactnet has at most 3.

    Examples
    --------
    >>> from exact.activations import get_activation
    >>> check_pattern_digits([get_activation("relu"), get_activation("hardtanh")])
    """
    for layer, act in enumerate(activations):
        if len(act.breakpoints) > 9:
            raise UnsupportedActivationError(
                f"GeoJSON export: activation {act.name!r} of hidden layer {layer} has "
                f"{len(act.breakpoints) + 1} pieces; GeoJSON patterns write one digit per neuron, so at most "
                "10 pieces are supported")


def feature_collection(cells: Sequence[Cell], face_maps: MapSource | None = None,
                       activations: Sequence[Activation] = ()) -> dict:
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
    activations : sequence of Activation, optional
        The net's hidden activations, checked before anything is made (one digit per
        neuron: at most 10 pieces each).

    Returns
    -------
    dict
        ``{"type": "FeatureCollection", "features": [...]}``; each feature's properties:
        ``index``, ``pattern`` (:func:`pattern_strings`: one digit per hidden neuron),
        ``linear_region``, ``bounded``, ``area`` (the exact area as
        :func:`~exact.json_numbers.json_number`; ``None`` for an unbounded cell of the whole
        plane, whose polygon is its part in the certified box), ``gradient`` and ``offset``
        (the exact output map as strings ``"p/q"``).

    Raises
    ------
    InputError
        A vertex coordinate beyond the float range.
    UnsupportedActivationError
        A neuron on piece 10 or more (see :func:`pattern_strings`).

    Examples
    --------
    >>> from exact import regions
    >>> r = regions([([[1.0, 1.0]], [-1.0]), ([[2.0]], [0.5])], window=1.0)
    >>> feature_collection(r.cells)["features"][1]["properties"]["offset"]
    ['-3/2']
    """
    check_pattern_digits(activations)
    feats: list[dict[str, Any]] = []
    with full_collections_held():  # millions of lists and dicts that outlive the call (gc_pause's note)
        for b in _feature_blocks(cells, face_maps):
            feats.extend(_block_features(b))
    return {"type": "FeatureCollection", "features": feats}


def write_feature_collection(cells: Sequence[Cell], face_maps: MapSource | None,
                             file: str | os.PathLike | IO[str], progress: bool = False,
                             activations: Sequence[Activation] = ()) -> None:
    """Write the GeoJSON FeatureCollection of ``cells`` to a file, a block of features at a time.

    The text is the one ``json.dump(feature_collection(cells, face_maps), f)`` writes,
    byte for byte, but only one block of :data:`BLOCK` features is held at a time, and
    it is written as text directly (no feature dicts).

    Parameters
    ----------
    cells, face_maps, activations
        As for :func:`feature_collection`.
    file : str, path-like or text file object
        A path (a regular file is written as UTF-8 to a temporary file of its own beside
        it, which then replaces it: a failed or interrupted write leaves no partial file,
        and a symbolic link keeps pointing at it; a device such as ``/dev/null`` is written
        in place) or an open text file (anything with ``write(str)``).
    progress : bool, default False
        Show a progress bar (on stderr) on long writes.

    Raises
    ------
    InputTypeError
        ``file`` is neither a path nor has a ``write`` method.
    InputError
        A vertex coordinate beyond the float range; a path that cannot be written (a missing
        folder, no permission).
    UnsupportedActivationError
        A neuron on piece 10 or more (see :func:`pattern_strings`).

    Examples
    --------
    >>> import io, json
    >>> from exact import regions
    >>> r = regions([([[1.0, 1.0]], [-1.0]), ([[2.0]], [0.5])], window=1.0)
    >>> f = io.StringIO(); write_feature_collection(r.cells, None, f)
    >>> f.getvalue() == json.dumps(feature_collection(r.cells))
    True
    """
    check_pattern_digits(activations)
    if isinstance(file, (str, os.PathLike)):
        _write_to_path(os.fspath(file), lambda f: write_feature_collection(cells, face_maps, f, progress))
        return
    if not callable(getattr(file, "write", None)):
        raise InputTypeError("write_geojson: file must be a path or a text file object, got "
                             f"{type(file).__name__}")
    try:
        file.write("")  # a binary file refuses text: say so before any work
    except TypeError:
        raise InputTypeError(f"write_geojson: file must take text (open it with 'w', not 'wb'), got "
                             f"{type(file).__name__}") from None
    bar = progress_bar(progress, len(cells), "GeoJSON", unit="cell")
    try:
        with gc_paused():  # one pause for the whole write; each block is freed by reference counts
            file.write('{"type": "FeatureCollection", "features": [')
            sep = ""
            for b in _feature_blocks(cells, face_maps):
                file.write(sep)
                file.write(", ".join(_block_texts(b)))  # as json.dump separates a list
                sep = ", "
                bar.update(len(b.index))
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
        Hidden neurons (characters of each feature's ``pattern`` string).

    Returns
    -------
    int
        ``n_cells * (pattern_length + FEATURE_BYTES)``: a byte per pattern character plus
        the rest of a feature, measured (:data:`FEATURE_BYTES`).

    Examples
    --------
    >>> feature_collection_bytes(466_031, 1000) / 1e9     # 2-1000-1 in the window 10: GB
    1.4912992
    """
    return n_cells * (pattern_length + FEATURE_BYTES)



def _write_to_path(path: str, write: Callable[[IO[str]], None]) -> None:
    """Write a file through ``write(f)``: a regular file (or a new one) never half written, a device in place.

    A regular file is written to a temporary file of its own beside it (a unique name: two
    writers of one path never share it), which then replaces it; through a symbolic link,
    the file it points at is the one replaced, and the link stays.  A device or a pipe
    (``/dev/null``) is written in place: replacing it would put a plain file in its stead.
    """
    if not path:
        raise InputError("write_geojson: give a file's path, got ''")
    if os.path.isdir(path):
        raise InputError(f"write_geojson: {path!r} is a folder; give a file's path, such as "
                         f"{os.path.join(path, 'regions.geojson')!r}")
    real = os.path.realpath(path)
    in_place = os.path.exists(real) and not os.path.isfile(real)
    part = real if in_place else f"{real}.{os.getpid()}.{secrets.token_hex(4)}.part"
    try:
        out = open(part, "w" if in_place else "x", encoding="utf-8")  # noqa: SIM115 (closed by the with below)
    except OSError as e:  # named by the path given, not by its temporary name
        raise InputError(f"write_geojson: cannot write {path!r}: {e.strerror}") from None
    try:
        with out as f:
            write(f)
        if not in_place:
            os.replace(part, real)
    finally:
        if not in_place and os.path.exists(part):
            os.remove(part)

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
            f"({pattern_length:,}-neuron patterns), more than half the {format_bytes(free)} of memory "
            "available; write it to a file a block at a time with write_geojson(path) instead"
        )


class _Block(NamedTuple):
    """The columns of a block of features: per cell, each property, and the closed ring by vertex numbers."""

    index: list[int]
    patterns: list[str]
    linear: list[int]
    bounded: list[bool]
    areas: list[float | str | None]
    maps: list[tuple[list[list[str]], list[str]]]
    first: list[int]  # cell k's closed ring is vid[first[k]:first[k + 1]] (first has one more entry)
    vid: list[int]
    x: list[float]  # each distinct vertex of the block once: its coordinates' floats
    y: list[float]


def _feature_blocks(cells: Sequence[Cell], face_maps: MapSource | None) -> Iterator[_Block]:
    """Yield the features of ``cells`` as columns, :data:`BLOCK` cells at a time."""
    faces = getattr(face_maps, "faces", None)  # one hidden layer: the face arrays (LineFaces)
    if faces is not None and len(cells):
        xa, ya = faces.rounded_vertices()  # every vertex's floats at array speed (its exact one made too)
        coords = faces.all_vertices()  # exact, made once (the cells' polygons share them)
        doubles = double_vertices(coords)  # for the areas' floats (rounded_ring_areas)
    for start in range(0, len(cells), BLOCK):
        block = cells[start:start + BLOCK]
        idx = [c.index for c in block]
        bounded = [c.bounded for c in block]
        if face_maps is None:
            width = len(block[0].pattern) if block else 0
            pieces = np.array([c.pattern for c in block], dtype=np.int64).reshape(len(block), width)
            maps = [([[fraction_text(g) for g in row] for row in c.affine.gradient],
                     [fraction_text(o) for o in c.affine.offset]) for c in block]
        else:
            pieces = face_maps.pieces(np.asarray(idx, dtype=np.intp))
            maps = face_maps.map_texts(idx)
        if faces is not None:
            fidx = np.asarray(idx, dtype=np.int64)
            first, vid, x, y = _face_rings(faces, fidx, coords, xa, ya)
            areas = _face_areas(faces, fidx, bounded, coords, doubles)
        else:
            first, vid, x, y, polys = _cell_rings(block)
            areas = area_jsons(compress(polys, bounded))
            if not all(bounded):  # unbounded: no area
                it = iter(areas)
                areas = [next(it) if b else None for b in bounded]
        linear = [c.linear_region for c in block]
        yield _Block(idx, pattern_strings(pieces), linear, bounded, areas, maps, first, vid, x, y)


def _cell_rings(block: Sequence[Cell]) -> tuple[list[int], list[int], list[float], list[float], list]:
    """Return the cells' closed rings by distinct vertex (``first``, ``vid``), their floats, the polygons."""
    polys = [c.verts for c in block]
    flat = [v for p in polys for v in p + p[:1]]
    distinct = {id(v): v for v in flat}  # cells share their vertices' tuples: each float made once
    number = {key: k for k, key in enumerate(distinct)}
    vid = [number[key] for key in map(id, flat)]
    first = np.cumsum([0] + [len(p) + 1 for p in polys]).tolist()
    xy = float_ring(list(distinct.values()))[:-1] if flat else []
    return first, vid, [p[0] for p in xy], [p[1] for p in xy], polys


def _face_areas(faces: Any, idx: np.ndarray, bounded: list[bool], coords: list[Point],
                doubles: tuple[np.ndarray, ...]) -> list[float | str | None]:
    """Return the faces' areas as :func:`~exact.json_numbers.area_jsons` writes them (None: unbounded).

    The float of each area where :func:`~exact.area_floats.rounded_ring_areas` proves it
    from the vertices' ``doubles`` (the same float); the others exactly.
    """
    lo = faces.start[idx]
    n = faces.start[idx + 1] - lo
    ends = np.cumsum(n)
    pos = np.arange(int(ends[-1]) if len(ends) else 0) + np.repeat(lo - ends + n, n)
    ring = faces.origin[faces.half[pos]]
    first = np.concatenate([[0], ends])
    got = rounded_ring_areas(doubles, ring, first)
    todo = np.flatnonzero(np.isnan(got) & np.asarray(bounded, dtype=bool)).tolist()
    areas: list[float | str | None] = got.tolist()
    if todo:
        polys = [[coords[v] for v in ring[first[k]:first[k + 1]].tolist()] for k in todo]
        for k, a in zip(todo, area_jsons(polys)):
            areas[k] = a
    if not all(bounded):  # unbounded: no area
        areas = [a if b else None for a, b in zip(areas, bounded)]
    return areas


def _face_rings(faces: Any, idx: np.ndarray, coords: list[Point], xa: np.ndarray, ya: np.ndarray
                ) -> tuple[list[int], list[int], list[float], list[float]]:
    """Return :func:`_cell_rings`'s rings from the face arrays of a :class:`~exact.face_tables.LineFaces`.

    ``coords`` are its exact vertices and ``xa, ya`` their correctly rounded floats
    (:meth:`~exact.face_tables.LineFaces.rounded_vertices`).
    """
    lo = faces.start[idx]
    n = faces.start[idx + 1] - lo
    ends = np.cumsum(n + 1)  # each ring closed: its first vertex again
    pos = np.arange(int(ends[-1]) if len(ends) else 0) + np.repeat(lo - (ends - n - 1), n + 1)
    pos[ends - 1] = lo
    gv = faces.origin[faces.half[pos]]
    u, inv = np.unique(gv, return_inverse=True)
    first = [0, *ends.tolist()]
    x, y = xa[u], ya[u]
    if not (np.isfinite(x).all() and np.isfinite(y).all()):  # a coordinate beyond the float range
        float_ring([coords[v] for v in u.tolist()])  # raises InputError naming it
    return first, inv.tolist(), x.tolist(), y.tolist()


def _block_features(b: _Block) -> list[dict[str, Any]]:
    """Make the block's features as dicts."""
    x, y = b.x, b.y
    pts = list(map(list, zip(map(x.__getitem__, b.vid), map(y.__getitem__, b.vid))))  # a new [x, y] each
    first = b.first
    rings = [pts[lo:hi] for lo, hi in zip(first[:-1], first[1:])]
    return [{"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
             "properties": {"index": i, "pattern": pattern, "linear_region": lr, "bounded": bd,
                            "area": area, "gradient": g, "offset": o}}
            for ring, i, pattern, lr, bd, area, (g, o) in zip(rings, b.index, b.patterns, b.linear, b.bounded,
                                                                b.areas, b.maps)]


_FEATURE = ('{"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[%s]]}, "properties": '
            '{"index": %d, "pattern": "%s", "linear_region": %d, "bounded": %s, "area": %s, "gradient": %s, '
            '"offset": %s}}')
"""One feature's ``json.dumps`` text (the pattern's digits and the maps' ``p/q`` need no escapes)."""


def _block_texts(b: _Block) -> list[str]:
    """Write the block's features as the text ``json.dumps`` gives of each, without making them."""
    vt = [f"[{x!r}, {y!r}]" for x, y in zip(b.x, b.y)]  # json.dumps writes a float as repr does
    occ = list(map(vt.__getitem__, b.vid))
    first = b.first
    rings = [", ".join(occ[lo:hi]) for lo, hi in zip(first[:-1], first[1:])]
    areas = [repr(a) if a.__class__ is float else "null" if a is None else json.dumps(a) for a in b.areas]
    if {len(o) for _, o in b.maps} <= {1}:  # one output (the same for every cell): no call
        maps = [(f'[["{g0}", "{g1}"]]', f'["{c}"]') for ((g0, g1),), (c,) in b.maps]
    else:
        maps = [(json.dumps(g), json.dumps(o)) for g, o in b.maps]
    return [_FEATURE % (ring, i, pattern, lr, "true" if bd else "false", area, g, o)
            for ring, i, pattern, lr, bd, area, (g, o) in zip(rings, b.index, b.patterns, b.linear, b.bounded,
                                                               areas, maps)]

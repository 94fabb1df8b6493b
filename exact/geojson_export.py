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

from collections.abc import Iterator, Sequence
from typing import Any, Protocol

import numpy as np

from .gc_pause import gc_paused
from .json_numbers import float_ring, json_number

Cell = Any  # exact.cells.Cell, which imports this module


class MapSource(Protocol):
    """Where cells' patterns and exact maps are read from as arrays and text.

    :class:`exact.face_maps.LazyFaceMaps` (one hidden layer) and
    :class:`exact.certified_regions.CertifiedCells` (deep nets) are such sources.
    """

    def pieces(self, cells: np.ndarray) -> np.ndarray:
        """Return the piece of every neuron in the given cells, shape ``(len(cells), neurons)``."""

    def map_text(self, i: int) -> tuple[list[list[str]], list[str]]:
        """Return cell ``i``'s exact output map as text: gradient rows and offsets."""

__all__ = ["feature_collection"]

BLOCK = 4096
"""Cells whose patterns are read from the arrays at once (a block of ``BLOCK x neurons`` bytes)."""


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
        :func:`~exact.json_numbers.json_number`), ``gradient`` and ``offset`` (the exact
        output map as strings ``"p/q"``).

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
        feats = [_feature(c, pattern, grad, off) for c, pattern, (grad, off) in _rows(cells, face_maps)]
    return {"type": "FeatureCollection", "features": feats}


def _rows(cells: Sequence[Cell], face_maps: MapSource | None) -> Iterator[tuple[Cell, list, tuple]]:
    """Yield each cell with its pattern and map as JSON values, from the arrays a block at a time."""
    for start in range(0, len(cells), BLOCK):
        block = cells[start:start + BLOCK]
        if face_maps is None:
            for c in block:
                a = c.affine
                yield (c, list(c.pattern), ([[str(g) for g in row] for row in a.gradient],
                                            [str(o) for o in a.offset]))
            continue
        pieces = face_maps.pieces(np.fromiter((c.index for c in block), dtype=np.intp, count=len(block)))
        for c, pattern in zip(block, pieces.tolist()):
            yield c, pattern, face_maps.map_text(c.index)


def _feature(c: Cell, pattern: list, gradient: list, offset: list) -> dict[str, Any]:
    """One cell's Feature."""
    return {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [float_ring(c.verts)]},
        "properties": {
            "index": c.index,
            "pattern": pattern,
            "linear_region": c.linear_region,
            "bounded": c.bounded,
            "area": json_number(c.exact_area),
            "gradient": gradient,
            "offset": offset,
        },
    }

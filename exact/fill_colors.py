"""Fill colours of cells, the same for every picture of a result (2-D plot, 3-D plot, HTML view).

``color="index"`` colours each cell by its linear region, ``"pattern"`` by
:func:`pattern_hash` of its activation pattern (the same colour in every
process and training checkpoint), ``"output"`` by one output's exact value at the cell's
exact interior point, scaled between the smallest and largest of these values.  The values
are exact (:class:`~fractions.Fraction`); only the colours are floats.

Examples
--------
>>> from exact import regions
>>> r = regions([([[1, 0], [-1, 0]], [0, 0]), ([[1, 1]], [-1])], window=2)     # |x| - 1
>>> cell_values(r, 0)                  # |x| - 1 at the vertex centroids (1, 0) and (-1, 0)
[Fraction(0, 1), Fraction(0, 1)]
>>> [rgba_hex(c) for c in cell_colors(r, "index")]          # two linear regions
['#1f77b4', '#aec7e8']
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from .errors import InputError
from .level_sets import output_maps
from .wording import counted

__all__ = ["COLOR_MODES", "cell_colors", "cell_values", "pattern_hash", "rgba_hex"]

COLOR_MODES = ("index", "pattern", "output")
"""The ``color=`` choices of the pictures (:func:`exact.plotting.plot_regions`, 3-D, HTML)."""


def pattern_hash(pattern: Sequence[int]) -> int:
    """Return a 64-bit hash of an activation pattern, the same in every process and version.

    Parameters
    ----------
    pattern : sequence of int
        Piece index of each hidden neuron (:attr:`exact.Cell.pattern`).

    Returns
    -------
    int
        The first 8 bytes of BLAKE2b of the comma-joined pieces, big-endian (Python's
        ``hash()`` is not used: it may change between versions).

    Examples
    --------
    >>> pattern_hash((1, 0, 1))
    16126767369553314433
    """
    text = ",".join(str(int(q)) for q in pattern).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


RGBA = tuple[float, float, float, float]


def cell_values(reg: Any, output: int = 0) -> list[Fraction]:
    """Return one output's exact value at each cell's exact interior point.

    Parameters
    ----------
    reg : Regions or RegionsND
        Exact cells (each with ``interior_point()`` and ``affine``).
    output : int
        Which output of the network.

    Returns
    -------
    list of Fraction
        One per cell, in cell order.

    Raises
    ------
    InputError
        ``output`` out of range.

    Examples
    --------
    >>> from exact import regions
    >>> r = regions([([[1, 0, 0]], [0]), ([[2], [-1]], [0, 1])], window=1)     # 3-D input
    >>> sorted(cell_values(r, 0)), sorted(cell_values(r, 1))
    ([Fraction(0, 1), Fraction(1, 1)], [Fraction(1, 2), Fraction(1, 1)])
    """
    n_out = reg.net.widths[-1]
    if isinstance(output, bool) or not isinstance(output, int) or not 0 <= output < n_out:
        raise InputError(f"output={output!r} is out of range: the network has {counted(n_out, 'output')}")
    if hasattr(reg, "face_maps"):  # the plane's cells: every map at once (exact.level_sets.output_maps)
        out = []
        for c, rows in zip(reg.cells, output_maps(reg)):
            (x, y), (a, b, o) = c.interior_point(), rows[output]
            out.append(a * x + b * y + o)
        return out
    return [c.affine(c.interior_point())[output] for c in reg.cells]


def cell_colors(reg: Any, color: str = "index", *, cmap: str | None = None, output: int = 0,
                values: Sequence[Fraction] | None = None) -> list[RGBA]:
    """Return each cell's fill colour (RGBA floats), as the 2-D plot colours them.

    Parameters
    ----------
    reg : Regions or RegionsND
        Exact cells.
    color : {"index", "pattern", "output"}
        By linear region (``tab20``), by the hash of the activation pattern (its bits make
        the hue, saturation and value; with ``cmap``, entry ``hash mod N``), or by output
        ``output`` at the interior point (``viridis``, from the smallest to the largest
        value).
    cmap : str, optional
        A matplotlib colormap name instead of the default.
    output : int
        The output of ``color="output"``.
    values : sequence of Fraction, optional
        :func:`cell_values` already computed (``color="output"``).

    Returns
    -------
    list of (float, float, float, float)
        One per cell.

    Raises
    ------
    InputError
        An unknown ``color`` or ``cmap``, ``output`` out of range.

    Examples
    --------
    >>> from exact import regions
    >>> r = regions([([[1, 0], [0, 1]], [0, 0]), ([[1, 1]], [0])], window=1)
    >>> [rgba_hex(c) for c in cell_colors(r, "output")]      # outputs 0, 1/2, 1/2, 1 at the centroids
    ['#440154', '#21918c', '#21918c', '#fde725']
    """
    import matplotlib
    from matplotlib.colors import hsv_to_rgb

    if color not in COLOR_MODES:
        raise InputError(f"color must be one of {', '.join(map(repr, COLOR_MODES))}, got {color!r}")
    name = cmap or {"index": "tab20", "output": "viridis"}.get(color, "tab20")
    if name not in matplotlib.colormaps:
        raise InputError(f"cmap must be a matplotlib colormap name, got {cmap!r}")
    colormap = matplotlib.colormaps[name]
    if color == "output":
        vals = cell_values(reg, output) if values is None else list(values)
        lo, hi = (min(vals), max(vals)) if vals else (Fraction(0), Fraction(0))
        return [colormap(float((v - lo) / (hi - lo)) if hi > lo else 0.5) for v in vals]
    if color == "index":
        return [colormap(c.linear_region % colormap.N) for c in reg.cells]
    hs = [pattern_hash(c.pattern) for c in reg.cells]
    if cmap is not None:
        return [colormap(h % colormap.N) for h in hs]
    return [(*(float(v) for v in hsv_to_rgb(((h >> 40) / 2**24, 0.35 + 0.5 * ((h >> 20) & 0xFFFFF) / 2**20,
                                              0.7 + 0.3 * (h & 0xFFFFF) / 2**20))), 1.0) for h in hs]


def rgba_hex(rgba: Sequence[float]) -> str:
    """Write a colour as ``#rrggbb`` (the alpha is dropped).

    Parameters
    ----------
    rgba : sequence of float
        Red, green, blue (and alpha) in ``[0, 1]``.

    Returns
    -------
    str

    Examples
    --------
    >>> rgba_hex((1.0, 0.5, 0.0, 1.0))
    '#ff8000'
    """
    return "#" + "".join(f"{min(255, max(0, round(255 * float(v)))):02x}" for v in rgba[:3])

"""How much memory a job of the ``d``-dimensional engine certainly takes, known before it starts.

The engine (:mod:`exact.nd.layer_cells`) starts from the box's ``2^d`` corners, each an
exact point with its tight set, and cuts the box by the first hyperplane of the first
layer that crosses it; that cut pairs the corners on its two sides
(:func:`~exact.nd.polytope.pair_table_bytes`).  Both are made before any cell exists,
and both are counted here exactly from the net and the box, so a job is refused before
the memory is allocated when this part alone passes ``max_memory``.  It is a lower
bound: the cells made afterwards (for ``d`` hyperplanes through the box, about ``4^d``
vertices in all) are not counted, and the guard of
:func:`~exact.nd.layer_cells.enumerate_cells_nd` watches them while they are made.

Examples
--------
>>> from fractions import Fraction
>>> from exact.network import ExactNet
>>> net = ExactNet.from_layers([([[1, 1, 1], [1, 0, 0]], [0, 0]), ([[1, 1]], [0])])
>>> corner_sides((1, 1, 1, 0), [Fraction(-1)] * 3, [Fraction(1)] * 3)   # x + y + z > 0, < 0
(4, 4)
>>> first_cut_bytes(net, [Fraction(-1)] * 3, [Fraction(1)] * 3)       # 8 corners, 16 pairs: no table
(704, 4, 4)
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from fractions import Fraction

from .._certified.budget import format_bytes
from ..errors import ResourceLimitError
from ..network import ExactNet
from .breakpoint_planes import breakpoint_rows
from .polytope import Polytope, Row, box, pair_table_bytes

__all__ = ["ANY_MEMORY", "box_corner_bytes", "check_box_fits", "check_job_memory", "corner_sides",
           "first_cut_bytes", "fitting_box", "size_text"]

ANY_MEMORY = 10**16
"""Bytes beyond the memory of any computer (10 PB): a job this big is refused whatever ``max_memory``."""

_COUNT_UP_TO_D = 40
"""The corners on each side of a hyperplane are counted up to this ``d`` (two halves of ``2^(d/2)`` sums)."""


def box_corner_bytes(d: int) -> int:
    """Return the bytes the ``2^d`` corners of a ``d``-dimensional box certainly take.

    Each corner is a tuple of ``d + 1`` integers (``40 + 8 (d + 1)`` bytes in CPython
    3.11, its small coordinates not counted), one slot in the list of vertices and one in
    the list of tight sets (8 bytes each), and from ``d = 5`` on its tight set, an integer
    of ``2 d`` bits past the cached small ones (28 bytes at least).

    Parameters
    ----------
    d : int
        The input width, ``d >= 1``.

    Returns
    -------
    int
        Bytes, exactly ``2^d`` times the bytes of one corner: a lower bound.

    Examples
    --------
    >>> box_corner_bytes(3), box_corner_bytes(20)
    (704, 264241152)
    >>> box_corner_bytes(784) == 2**784 * (40 + 8 * 785 + 16 + 28)
    True
    """
    return (40 + 8 * (d + 1) + 16 + (28 if d >= 5 else 0)) << d


def size_text(n: int) -> str:
    """Write a number of bytes for people, however large (``format_bytes`` up to 1 PB, then a power of ten).

    Parameters
    ----------
    n : int
        Bytes, ``n >= 0``.

    Returns
    -------
    str

    Examples
    --------
    >>> size_text(4398046511104), size_text(2**784 * 6364)
    ('4.4 TB', '6.5e+239 bytes')
    """
    if n < 10**15:
        return format_bytes(n)
    e = math.log10(n)
    k = math.floor(e)
    mant = 10 ** (e - k)
    if round(mant, 1) >= 10:
        mant, k = mant / 10, k + 1
    return f"{mant:.2g}e+{k} bytes"


def check_box_fits(d: int, max_memory: int | None) -> None:
    """Refuse a box whose ``2^d`` corners alone would exceed the memory budget, or any memory.

    Parameters
    ----------
    d : int
        The input width.
    max_memory : int or None
        The budget in bytes; ``None`` for no limit (the corners beyond :data:`ANY_MEMORY`
        are refused even then).

    Raises
    ------
    ResourceLimitError
        When the box's corners alone (:func:`box_corner_bytes`) would take more.

    Examples
    --------
    >>> check_box_fits(3, 10**6)
    >>> check_box_fits(40, 10**9)
    Traceback (most recent call last):
    ...
    exact.errors.ResourceLimitError: the 40-D box alone has 2^40 corners, at least 453 TB, more ...
    >>> check_box_fits(100, None)
    Traceback (most recent call last):
    ...
    exact.errors.ResourceLimitError: the 100-D box alone has 2^100 corners, at least 1.1e+33 bytes: ...
    """
    need = box_corner_bytes(d)
    if need > ANY_MEMORY:
        raise ResourceLimitError(
            f"the {d}-D box alone has 2^{d} corners, at least {size_text(need)}: more than any computer's "
            f"memory, whatever max_memory; the exact engine of a {d}-D input keeps every corner of its box, "
            "so it is meant for about 8 inputs or fewer: use a net with fewer inputs")
    if max_memory is not None and need > max_memory:
        raise ResourceLimitError(f"the {d}-D box alone has 2^{d} corners, at least {size_text(need)}, "
                                 f"more than max_memory={format_bytes(max_memory)}; raise max_memory "
                                 "(None for no limit) or use a net with fewer inputs")


def _half_sums(vals: Sequence[tuple[int, int]]) -> list[int]:
    """Every sum choosing one of each pair: the row's part on each corner of a face."""
    sums = [0]
    for a, b in vals:
        sums = [s + a for s in sums] + [s + b for s in sums]
    return sums


def corner_sides(row: Row, lo: Sequence[Fraction], hi: Sequence[Fraction]) -> tuple[int, int]:
    """Count the corners of the box ``prod [lo_i, hi_i]`` strictly above and strictly below a hyperplane.

    Parameters
    ----------
    row : Row
        ``(a_1, ..., a_d, c)``: the affine function ``a . x + c``.
    lo, hi : sequence of Fraction, shape (d,)
        The box.

    Returns
    -------
    n_pos, n_neg : int
        The corners where ``a . x + c > 0`` and ``< 0``, exactly.

    Notes
    -----
    Meet in the middle, exact integers: the sums over the first ``d / 2`` axes against
    the sorted sums over the others, ``O(2^(d/2) d)`` operations.

    Examples
    --------
    >>> corner_sides((1, 1, -1), [Fraction(0)] * 2, [Fraction(1)] * 2)     # x + y = 1 on the unit square
    (1, 1)
    """
    d = len(lo)
    den = math.lcm(*(v.denominator for v in (*lo, *hi)))
    vals = [(a * (u.numerator * den // u.denominator), a * (v.numerator * den // v.denominator))
            for a, u, v in zip(row[:-1], lo, hi)]
    left, right = _half_sums(vals[: d // 2]), sorted(_half_sums(vals[d // 2:]))
    c, n = row[-1] * den, len(right)
    pos = sum(n - bisect_right(right, -c - s) for s in left)
    neg = sum(bisect_left(right, -c - s) for s in left)
    return pos, neg


def first_cut_bytes(net: ExactNet, lo: Sequence[Fraction], hi: Sequence[Fraction]) -> tuple[int, int, int]:
    """Return the bytes the engine certainly holds at once when it first cuts the box, and that cut's sides.

    Parameters
    ----------
    net : ExactNet
        The network, input width ``d = len(lo)``.
    lo, hi : sequence of Fraction, shape (d,)
        The box.

    Returns
    -------
    bytes : int
        :func:`box_corner_bytes` plus the pair table of the first cut
        (:func:`~exact.nd.polytope.pair_table_bytes`): a lower bound of the peak.
    n_pos, n_neg : int
        The corners strictly on each side of the first hyperplane of the first layer
        that crosses the box (the first the engine cuts, in the order of the neurons
        and breakpoints), ``0, 0`` when none does or ``d`` is above 40 (not counted).

    Examples
    --------
    >>> net = ExactNet.from_layers([([[1, 0, 0], [0, 1, 0]], [5, 0]), ([[1, 1]], [0])])
    >>> first_cut_bytes(net, [Fraction(-1)] * 3, [Fraction(1)] * 3)[1:]   # x = -5 misses; y = 0 cuts
    (4, 4)
    """
    d = len(lo)
    need = box_corner_bytes(d)
    if d > _COUNT_UP_TO_D or net.n_hidden_layers == 0:
        return need, 0, 0
    layer, act = net.integer_layers()[0], net.activations[0]
    for z, b in zip(layer.Wi, layer.bi):
        for row in breakpoint_rows(z, b, layer.scale, act):
            pos, neg = corner_sides(row, lo, hi)
            if pos and neg:
                return need + pair_table_bytes(pos, neg, 2 * d), pos, neg
    return need, 0, 0


def check_job_memory(net: ExactNet, lo: Sequence[Fraction], hi: Sequence[Fraction],
                     max_memory: int | None) -> None:
    """Refuse, before anything is made, a job whose box and first cut alone exceed the memory budget.

    Parameters
    ----------
    net : ExactNet
        The network.
    lo, hi : sequence of Fraction, shape (d,)
        The box.
    max_memory : int or None
        The budget in bytes; ``None`` for no limit.

    Raises
    ------
    ResourceLimitError
        The box's corners alone (:func:`check_box_fits`), or with the first cut
        (:func:`first_cut_bytes`), would take more than ``max_memory``; the message names
        the net, the bytes and what to do.

    Examples
    --------
    >>> from exact.network import ExactNet
    >>> net = ExactNet.from_layers([([[1] * 16, [1] + [0] * 15], [100, 0]), ([[1, 1]], [0])])
    >>> lo, hi = [Fraction(-1)] * 16, [Fraction(1)] * 16      # the first plane misses, x_1 = 0 cuts
    >>> check_job_memory(net, lo, hi, 10**11)
    >>> check_job_memory(net, lo, hi, 10**10)
    Traceback (most recent call last):
    ...
    exact.errors.ResourceLimitError: the 16-2-1 net needs at least 17.2 GB before its first cell is made: ...
    """
    d = len(lo)
    check_box_fits(d, max_memory)
    if max_memory is None:
        return
    need, pos, neg = first_cut_bytes(net, lo, hi)
    if need > max_memory:
        widths = "-".join(map(str, net.widths))
        raise ResourceLimitError(
            f"the {widths} net needs at least {size_text(need)} before its first cell is made: the {d}-D "
            f"box's 2^{d} corners ({size_text(box_corner_bytes(d))}) and the {pos:,} x {neg:,} pairs of "
            "corners that its first hyperplane's cut compares, more than "
            f"max_memory={format_bytes(max_memory)}; the exact engine of a d-D input is meant for about 8 "
            "inputs or fewer: use a net with fewer inputs, or raise max_memory (None for no limit)")


def fitting_box(net: ExactNet, lo: Sequence[Fraction], hi: Sequence[Fraction], max_memory: int | None
                ) -> Polytope:
    """Build the box ``prod [lo_i, hi_i]`` for ``net`` once :func:`check_job_memory` lets it.

    Parameters
    ----------
    net : ExactNet
        The network to be cut in it.
    lo, hi : sequence of Fraction, shape (d,)
        The box.
    max_memory : int or None
        The budget in bytes.

    Returns
    -------
    Polytope
        :func:`~exact.nd.polytope.box`.

    Raises
    ------
    ResourceLimitError
        As :func:`check_job_memory`.

    Examples
    --------
    >>> from exact.network import ExactNet
    >>> net = ExactNet.from_layers([([[1, 0]], [0]), ([[1]], [0])])
    >>> len(fitting_box(net, [Fraction(-1)] * 2, [Fraction(1)] * 2, 10**6).verts)
    4
    """
    check_job_memory(net, lo, hi, max_memory)
    return box(list(lo), list(hi))

"""Float filters never decide on an inf or NaN from an overflow (audit of every filter, issue of commit b5cdb0a).

A comparison with NaN is False, so a filter is sound only when its *deciding* branch is the
comparison that must be True (``|v| > err``), never a negation (``not |v| <= err``).  Each
case here reaches an overflow with natural inputs and checks the answer against an
independent reference: the exact engine (tests/engines.py) or exact point evaluation.
"""

from __future__ import annotations

import warnings
from fractions import Fraction

import numpy as np
from engines import exact_engine_regions

import exact


def _ray_overflow_net() -> exact.ExactNet:
    """Two first-layer lines with coefficients ~1e150 and a second-layer line ~1e305.

    The second layer's line ``2x + y = -40.9`` cuts the ray along ``x + y = -0.3`` near
    ``(-41, 41)``, far outside the first box tried (half-width 2).  Its derivative along
    that ray, ``S r^2 (-2 + 1)``, is a difference of two products beyond the float range:
    ``-inf + inf = NaN`` in floats.
    """
    r, S = 1e150, 2e155
    return exact.ExactNet.from_layers([([[r, r], [r, 2 * r]], [0.3 * r, 0.0]),
                                       ([[3 * S, -S]], [S * r * 40.0]),
                                       ([[1.0]], [0.0])])


def test_whole_plane_box_never_takes_a_nan_derivative_as_leaving_freely():
    """``rays_leave_freely`` took a NaN derivative (an overflow) as "the constraint never cuts the ray"
    and certified a box of half-width 2 that misses two of the plane's six cells."""
    net = _ray_overflow_net()
    want = exact_engine_regions(net, window=1000)  # every vertex lies within 50
    assert (want.n_activation, want.n_linear) == (6, 5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = exact.regions(net, window=None)
    assert (got.n_activation, got.n_linear) == (6, 5)
    pats = {tuple(net.pattern_at((Fraction(-41), Fraction(45)))), tuple(net.pattern_at((Fraction(0), Fraction(1))))}
    assert pats <= {c.pattern for c in got.cells}


def test_rays_leave_freely_is_undecided_on_a_nan_derivative():
    """The certificate itself: on the box of half-width 2 it must not answer "all rays leave freely"."""
    from exact._certified.plane import rays_leave_freely
    from exact._certified.subdivision import batched_cells
    from exact.errors import Undecided

    net = _ray_overflow_net()
    cells = batched_cells(net, Fraction(2))
    try:
        ok, _ = rays_leave_freely(net, cells)
    except Undecided:
        return
    assert not ok


def _chord_overflow_net() -> exact.ExactNet:
    """Lines ``x = 0``, ``y = 0`` (coefficients 1e100) and, where both are active, ``x + y = 5e199``.

    In the window ``[-1e200, 1e200]^2`` every value at a vertex is finite, but the second
    layer's chord meets the edge ``x = 0`` by Cramer's rule with ``N_y = -5e399``: the
    certified table stores that endpoint as ``y = inf`` with an infinite bound.
    """
    return exact.ExactNet.from_layers([([[1e100, 0.0], [0.0, 1e100]], [0.0, 0.0]),
                                       ([[1.0, 1.0]], [-5e299]), ([[1.0]], [0.0])])


def test_locate_keeps_a_cell_whose_float_vertex_overflowed():
    """``Regions.locate`` filtered cells by float boxes ``x - err``; ``inf - inf`` made them NaN, and
    a comparison with NaN dropped the very cell holding the point (it returned None)."""
    net, h = _chord_overflow_net(), Fraction(1e200)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the NaN boxes also leaked a RuntimeWarning
        reg = exact.regions(net, window=1e200)
        assert reg.certified is not None  # the float engine made the cells (else nothing to test)
        for p in [(h / 10, h / 10), (h * 9 / 10, h * 9 / 10), (-h / 2, h / 2), (h / 2, -h / 2)]:
            cell = reg.locate(p)
            assert cell is not None and cell.pattern == tuple(net.pattern_at(p))
    ref = exact_engine_regions(net, window=1e200)
    assert (reg.n_activation, reg.n_linear) == (ref.n_activation, ref.n_linear) == (7, 4)


def test_certified_boxes_are_never_nan():
    net = _chord_overflow_net()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        boxes = exact.regions(net, window=1e200).certified.bbox()
    assert not any(np.isnan(b).any() for b in boxes)
    assert any(np.isinf(b).any() for b in boxes)  # the cell with the overflowed endpoint: the plane


def test_seam_brackets_of_an_overflowed_edge_end_keep_the_edge():
    """A tile's border edge whose end overflowed (``inf`` with an infinite bound) must stay a candidate
    of the seam filters: ``inf - inf`` is NaN, and a NaN bracket fails every ``>=`` / ``<=`` test."""
    from types import SimpleNamespace

    from exact.tiled_counts import _brackets, _touching

    inf = np.inf
    s = SimpleNamespace(edge_lo=np.array([0.0, inf]), edge_hi=np.array([1.0, inf]), edge_err=np.array([0.0, inf]))
    t = SimpleNamespace(edge_lo=np.array([0.5]), edge_hi=np.array([2.0]), edge_err=np.array([0.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lo, hi = _brackets(s, np.array([0, 1]))
        assert not np.isnan(lo).any() and not np.isnan(hi).any()
        assert lo[1] == -inf and hi[1] == inf and lo[0] <= 0.0 and hi[0] >= 1.0
        a, b = _touching(s, np.array([0, 1]), t, np.array([0]))
    assert sorted(a.tolist()) == [0, 1] and b.tolist() == [0, 0]  # the overflowed edge may touch: kept

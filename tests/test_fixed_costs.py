"""The fixed costs taken out of small counts (issue 15): each shortcut against the exact engine.

* the last layer's chords are found once: :func:`~exact._certified.last_layer.count_last_layer`
  finds them, and when neighbours may merge the split that follows takes the same ones
  (:meth:`~exact._certified.subdivision.Subdivision.layer_chords`);
* the whole-plane certificate finds exactly parallel first-layer neurons by a dictionary of
  reduced integer directions (:func:`~exact._certified.float_net.parallel_reps`), not by
  ``k^2`` Fraction products over every layer's weights;
* what depends on no weight is made once: an activation's floats, the forward check's
  random draws;
* the plain-Python path for tiny deep nets (:mod:`exact._certified.small_cells`) cuts a cell
  without rotating its lists, reads the box test's decided pieces from arrays and finds
  neighbours by integer pattern keys: checked here against the exact engine on random tiny
  nets with ties on purpose, and its cut against exact rational geometry.
"""

from fractions import Fraction

import numpy as np
import pytest
import torch
from catalogue import seeded_torch
from engines import exact_engine_regions
from hypothesis import given, settings
from hypothesis import strategies as st

import exact._certified.small_cells as small_cells
import exact._certified.subdivision as subdivision
import exact.forward_check as forward_check
import exact.validation as validation
from exact import ExactNet, count_regions, from_torch
from exact._certified.chords import crossing_pairs, find_chords
from exact._certified.float_net import act_floats, parallel_reps
from exact._certified.last_layer import batched_counts, count_last_layer
from exact._certified.plane import batched_plane_cells
from exact._certified.subdivision import Subdivision
from exact.activations import get_activation, piecewise_linear
from exact.errors import InputError, ResourceLimitError, Undecided
from exact.forward_check import _test_points
from exact.predicates import (
    line_from_fractions,
    point_from_xy,
    point_to_fractions,
    side,
    split_polygon,
    unoriented_key,
)
from exact.validation import available_memory, check_window

# nets whose last layer may merge neighbours, so the count defers to splitting it
_CANCEL = [([[1, 0], [0, 1]], [0, 0]), ([[1, 0.5], [1, -0.25]], [0.3, 0.7]), ([[1, -1]], [0])]
_SILENT = [([[1, 0], [0, 1]], [0, 0.1]), ([[1, 2], [2, -1]], [0.3, -0.2]), ([[1, 0]], [0])]
# degenerate: exactly parallel lines (one anti-parallel), zero rows (a constant neuron on, one off),
# a second-layer neuron with no input weight, a last-layer neuron without output weight
_DEGENERATE = [([[1, 0], [-2, 0], [0, 0], [0, 1], [0, 0]], [0, 1, 1, -0.5, -1]),
               ([[1, -1, 0.5, 2, 1], [0, 0, 0, 0, 0], [0.5, 1, 1, -1, 0], [1, 1, 1, 1, 1]], [0.1, 2, -0.3, -1]),
               ([[1, 1, 0, -1]], [0])]
# near tie: three last-layer lines leaving a triangle of area 2**-80 (decided in floats), and a
# fourth line whose neuron has no output weight
_NEAR = [([[1, 0], [0, 1]], [5, 5]),
         ([[1, 0], [0, 1], [1, 2], [1, -1]], [-5.25, -5.25 + 2.0**-40, -15.75, 0.125]),
         ([[1, 1, 1, 0]], [0])]


def _seeded(widths, seed):
    return from_torch(seeded_torch(widths, seed))


@pytest.mark.parametrize("net, half", [
    (_seeded([2, 5, 5, 5, 5, 1], 0), Fraction(10)),
    (ExactNet.from_layers(_CANCEL), Fraction(3)),
    (ExactNet.from_layers(_SILENT), Fraction(3)),
    (ExactNet.from_layers(_DEGENERATE), Fraction(2)),
    (ExactNet.from_layers(_NEAR), Fraction(1)),
], ids=["seeded-2-5x4", "cancel", "silent", "degenerate", "near-tie"])
def test_last_layer_chords_are_found_once(net, half, monkeypatch):
    r = exact_engine_regions(net, window=half)
    assert r.n_linear < r.n_activation  # neighbours merge: the count defers to the split
    calls = []
    real = subdivision.find_chords
    monkeypatch.setattr(subdivision, "find_chords", lambda *a: calls.append(1) or real(*a))
    assert batched_counts(net, half) == (r.n_activation, r.n_linear)
    assert len(calls) == net.n_hidden_layers  # the split took the count's chords: none found twice
    # and the count really deferred, with those chords
    st_ = Subdivision(net, half)
    for _ in range(net.n_hidden_layers - 1):
        st_.split_layer(None, False)
    assert count_last_layer(st_) is None
    piece, ch, pairs = st_.layer_chords()
    assert st_.layer_chords()[1] is ch and ch.n > 0
    st_.split_layer(None, False)
    assert len(st_.cells()) == r.n_activation


def test_layer_chords_belong_to_their_layer():
    net = _seeded([2, 6, 6, 6, 1], 3)
    st_ = Subdivision(net, Fraction(4))
    st_.split_layer(None, False)
    first = st_.layer_chords()[1]
    st_.split_layer(None, False)
    piece, second, pairs = st_.layer_chords()  # a new layer: its own chords, not the last layer's
    layer, fresh_piece, rows, cols = st_.begin_layer()
    fresh = find_chords(st_, layer, fresh_piece, rows, cols)
    assert second is not first and second.n == fresh.n > 0
    assert np.array_equal(second.cell, fresh.cell) and np.array_equal(second.k, fresh.k)
    assert np.array_equal(piece, fresh_piece)
    assert [p.tolist() for p in pairs] == [p.tolist() for p in crossing_pairs(fresh)]
    r = exact_engine_regions(net, window=Fraction(4))
    assert batched_counts(net, Fraction(4)) == (r.n_activation, r.n_linear)


def _reps_by_products(rows):
    """The definition: the first j exactly parallel to row i and nonzero, else i (O(k^2) Fractions)."""
    F = [[Fraction(a), Fraction(b)] for a, b in rows]
    nz = [a != 0 or b != 0 for a, b in F]
    return [next(j for j in range(len(F)) if F[i][0] * F[j][1] == F[i][1] * F[j][0] and nz[j] or j == i)
            for i in range(len(F))]


_ENTRY = st.sampled_from([0.0, 1.0, -1.0, 2.0, -0.5, 3.0, 0.1, -0.3, 1e-300, 2.0**600, 5e-324,
                          Fraction(1, 3), Fraction(-2, 3)])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_ENTRY, _ENTRY), min_size=1, max_size=9))
def test_parallel_reps_is_the_cross_product_test(rows):
    assert parallel_reps(rows) == _reps_by_products(rows)


def test_parallel_reps_named_cases():
    # duplicate, scaled, anti-parallel, zero rows before and after the first nonzero one
    rows = [[0.0, 0.0], [1.0, 3.0], [-2.0, -6.0], [0.0, 0.0], [3.0, 1.0], [Fraction(1, 3), 1], [0.5, 1.5]]
    assert parallel_reps(rows) == [0, 1, 1, 1, 4, 1, 1] == _reps_by_products(rows)
    assert parallel_reps([[0, 0], [0, 0]]) == [0, 1] == _reps_by_products([[0, 0], [0, 0]])


@pytest.mark.parametrize("layers", [
    # first layer: three exactly parallel lines (one anti-parallel) and another direction
    [([[1, 0.5], [-2, -1], [2, 1], [0.25, -1]], [0, 1, -3, 0.3]),
     ([[1, -1, 0.5, 2], [0.5, 1, 1, -1]], [0.1, -0.3]), ([[1, 1]], [0])],
    # the same with Fraction weights (no float arrays: the reps come from the exact Fractions)
    [([[Fraction(1, 3), Fraction(1, 6)], [-2, -1], [2, 1], [0.25, -1]], [0, 1, -3, Fraction(3, 10)]),
     ([[1, -1, 0.5, 2], [0.5, 1, 1, -1]], [0.1, -0.3]), ([[1, 1]], [0])],
], ids=["float", "fraction"])
def test_whole_plane_certificate_with_parallel_first_layer(layers):
    net = ExactNet.from_layers(layers)
    r = exact_engine_regions(net, window=None)
    _, cells = batched_plane_cells(net, max_regions=None, progress=False)  # the certified path decides
    assert (len(cells), cells.linear_count()) == (r.n_activation, r.n_linear)
    assert count_regions(net, window=None) == (r.n_activation, r.n_linear)


def test_whole_plane_certificate_makes_no_fractions(monkeypatch):
    # a net read from floats: the certificate's parallel test works on the float layer itself
    net = _seeded([2, 8, 8, 8, 1], 0)
    r = exact_engine_regions(net, window=None)
    fresh = _seeded([2, 8, 8, 8, 1], 0)
    real, seen = ExactNet.weights, []
    monkeypatch.setattr(ExactNet, "weights", property(lambda self: seen.append(1) or real.fget(self)))
    _, cells = batched_plane_cells(fresh, max_regions=None, progress=False, start=Fraction(2**20))
    assert seen == []  # no Fraction of any layer was made
    assert (len(cells), cells.linear_count()) == (r.n_activation, r.n_linear)


def test_activation_floats_are_cached_read_only():
    a, b = get_activation("hardtanh", -1, 2), get_activation("hardtanh", -1, 2)
    fa, fb = act_floats(a), act_floats(b)
    assert fa is fb  # equal activations: made once
    assert fa[0] == ((-1.0, 0.0), (2.0, 0.0)) and fa[1].tolist() == [0.0, 1.0, 0.0]
    with pytest.raises(ValueError, match="read-only"):
        fa[1][0] = 5.0
    third = act_floats(get_activation("leaky_relu", Fraction(1, 3)))  # not a float: a rounding bound
    assert third[1][0] == 1 / 3 and third[3][1] > 0


@pytest.mark.parametrize("per, seed, far", [(8, 0, 30), (64, 0, 30), (13, 7, 30), (8, 1, 1e40)])
def test_forward_check_points_are_the_generators_uniform_points(per, seed, far):
    rng = np.random.default_rng(5)
    W0, b0 = rng.standard_normal((4, 2)), rng.standard_normal(4) * far  # (1e40: R capped at 2^100)
    with np.errstate(all="ignore"):
        norms = np.abs(W0).sum(axis=1)
        R = float(np.clip(np.max(np.abs(b0) / norms, initial=1.0), 2.0**-8, 2.0**100))
    gen = np.random.default_rng(seed)
    old = np.concatenate([gen.uniform(-s, s, size=(per, 2)) for s in (2.0**-8, 1.0, 2.0**8, R, 4 * R)])
    assert np.array_equal(_test_points(W0, b0, per, seed), old.astype(np.float32).astype(np.float64))


def test_forward_check_still_refuses_a_misread():
    m = seeded_torch([2, 5, 5, 1], 0)
    m.forward = lambda x: torch.nn.Sequential.forward(m, x) * 2  # an instance-level override
    with pytest.raises(InputError, match="does not reproduce its forward"):
        count_regions(m, window=1)


@pytest.mark.skipif(not __import__("sys").platform.startswith("linux"), reason="/proc/meminfo")
def test_available_memory_reads_mem_available():
    with open("/proc/meminfo", encoding="ascii") as f:
        kb = next(int(line.split()[1]) for line in f if line.startswith("MemAvailable:"))
    got = available_memory()
    assert got is not None and 0 < got <= 1.2 * kb * 1024  # the machine is shared: it moves a little


# --- the plain-Python path for tiny deep nets against the exact engine --------------------------------------

_TINY_GRID = [-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0]
_TINY_ACTS = ["relu", "relu", "abs", ("hardtanh", -1, 1), ("leaky_relu", 0.25)]


def _tiny_case(seed):
    """A 2-k-...-1 net (2 or 3 hidden layers of 2-4 neurons) with one kind of degeneracy, its window."""
    rng = np.random.default_rng(seed)
    widths = [2, *rng.integers(2, 5, size=2 + seed % 2).tolist(), 1]
    layers = [(rng.normal(size=(k, d)), rng.normal(size=k)) for d, k in zip(widths[:-1], widths[1:])]
    half = float(rng.choice([1.0, 2.0, 4.0]))
    (W, b), kind = layers[0], seed % 6
    if kind == 0:  # parallel first-layer lines: a multiple of another row, another offset
        W[1], b[1] = W[0] * rng.choice([-2.0, 0.5, 1.0]), b[0] + rng.choice([-1.0, 0.5])
    elif kind == 1:  # three concurrent lines (two at the first layer; their point on a third)
        W[:2], b[:2] = rng.choice(_TINY_GRID[4:], size=(2, 2)) * [[1, 1], [1, -1]], 0.0
        layers[1][1][0] = -float(layers[1][0][0] @ np.maximum(0.0, b[: len(layers[1][0][0])]))
    elif kind == 2:  # output weights of zero: neurons the output does not see, regions that merge
        layers[-1][0][0, : max(1, widths[-2] - 1)] = 0.0
    elif kind == 3:  # a line through a corner of the window, and one along its side
        W[0], b[0] = rng.choice(_TINY_GRID[4:], size=2), 0.0
        b[0] = -float(W[0] @ [half, half])
        W[1], b[1] = [1.0, 0.0], -half
    elif kind == 4:  # weights on a small grid: lines through vertices of other lines, ties
        layers = [(rng.choice(_TINY_GRID, size=W.shape), rng.choice(_TINY_GRID, size=len(b)))
                  for W, b in layers]
    act = _TINY_ACTS[seed % len(_TINY_ACTS)]
    return ExactNet.from_layers(layers, activation=get_activation(*act) if isinstance(act, tuple) else act), half


def _small_or_none(net, half):
    try:
        return small_cells.small_counts(net, check_window(half), max_cells=10**4)
    except Undecided:
        return None


_TINY_SEEDS = range(60)


@pytest.mark.parametrize("seed", _TINY_SEEDS)
def test_small_path_counts_random_tiny_nets_as_the_exact_engine(seed):
    net, half = _tiny_case(seed)
    ref = exact_engine_regions(net, window=half)
    got = _small_or_none(net, half)
    assert got is None or got == (ref.n_activation, ref.n_linear)
    assert count_regions(net, window=half) == (ref.n_activation, ref.n_linear)


def test_small_path_random_tiny_nets_reach_every_branch():
    # the comparisons above mean something only if the path decides most of them, merges linear
    # regions in some, and hands some ties over
    got, merged = [], 0
    for seed in _TINY_SEEDS:
        net, half = _tiny_case(seed)
        got.append(_small_or_none(net, half))
        merged += got[-1] is not None and got[-1][1] < got[-1][0]
    decided = sum(g is not None for g in got)
    assert 30 <= decided <= 50 and merged >= 10


_SQUARE = ([(1.0, 1.0), (-1.0, 1.0), (-1.0, -1.0), (1.0, -1.0)],  # counter-clockwise, edge i from i to i + 1
           [(0.0, 1.0, -1.0), (1.0, 0.0, 1.0), (0.0, 1.0, 1.0), (1.0, 0.0, -1.0)])
_PENTAGON = ([(1.0, 0.5), (0.0, 1.0), (-1.0, 0.5), (-1.0, -1.0), (1.0, -1.0)],
             [(0.5, 1.0, -1.0), (-0.5, 1.0, -1.0), (1.0, 0.0, 1.0), (0.0, 1.0, 1.0), (1.0, 0.0, -1.0)])


def _float_cell(pts, lines):
    u = 2.0**-53
    edges = [(a, b, c, u, u, u, -1, -1, abs(a), abs(b), abs(c)) for a, b, c in lines]
    return small_cells._Cell([x for x, _ in pts], [y for _, y in pts], [0.0] * len(pts), edges, bytearray([0]))


def _matches(piece, verts, edges):
    """The float piece is the exact polygon: the same edge lines in the same cyclic order, and each
    float vertex within its certified error of the exact vertex (in Fractions)."""
    mine = [unoriented_key(line_from_fractions(*ln[:3])) for ln in piece.lines]
    theirs = [unoriented_key(e) for e in edges]
    n = len(theirs)
    if len(mine) != n:
        return False
    for r in (i for i in range(n) if theirs[i:] + theirs[:i] == mine):
        exact = [point_to_fractions(v) for v in verts[r:] + verts[:r]]
        if all(abs(Fraction(x) - X) <= Fraction(e) and abs(Fraction(y) - Y) <= Fraction(e)
               for x, y, e, (X, Y) in zip(piece.xs, piece.ys, piece.es, exact)):
            return True
    return False


def test_cut_pieces_are_split_polygons_pieces():
    # cuts of a square and a pentagon on a small grid: the float pieces must be split_polygon's
    # pieces (edge lines, cyclically, and vertices within their bounds); a vertex on a cut is a tie
    rng = np.random.default_rng(7)
    grid = [-2.0, -1.0, -0.5, -0.25, 0.25, 0.5, 1.0, 2.0]
    seen = {"above": 0, "below": 0, "cut": 0, "tie": 0, "vertex 0 above": 0, "vertex 0 below": 0}
    for pts, lines in (_SQUARE, _PENTAGON):
        verts = [point_from_xy(x, y) for x, y in pts]
        edges = [line_from_fractions(*ln) for ln in lines]
        for _ in range(150):
            a, b, c = float(rng.choice(grid)), float(rng.choice(grid)), float(rng.integers(-16, 17)) / 8
            cut = (a, b, c, 0.0, 0.0, 0.0, 0, 0, abs(a), abs(b), abs(c))
            exact_line = line_from_fractions(a, b, c)
            where, pos, neg = split_polygon(verts, edges, exact_line)
            cell = _float_cell(pts, lines)
            if any(side(exact_line, v) == 0 for v in verts):
                seen["tie"] += 1
                with pytest.raises(Undecided, match="too close to a line"):
                    small_cells._split(cell, cut)
                continue
            got = small_cells._split(cell, cut)
            seen[{1: "above", -1: "below", 2: "cut"}[where]] += 1
            if where != 2:
                assert len(got) == 1 and list(got[0].pattern) == [1 if where == 1 else 0]
                continue
            seen["vertex 0 above" if side(exact_line, verts[0]) > 0 else "vertex 0 below"] += 1  # both ways round
            assert [list(p.pattern) for p in got] == [[1], [0]]
            for piece, (pv, pe) in zip(got, (pos, neg)):
                assert _matches(piece, pv, pe)
    assert min(seen.values()) >= 5, seen  # every case met: each side, cuts either way round, ties


def test_box_sides_claims_hold_exactly_and_nan_is_undecided():
    # each line the box decides is on that side at every vertex, exactly; a NaN map decides nothing
    rng = np.random.default_rng(3)
    cells = [_float_cell(*_SQUARE), _float_cell(*_PENTAGON)] * 20
    bps = np.array([-1.0, 0.5])  # two lines per neuron (pieces 0, 1, 2)
    E = np.full((4, 2, 3), 2.0**-50)
    M = rng.normal(size=(len(cells), 4, 3)) * rng.choice([0.1, 1.0, 10.0], size=(len(cells), 4, 1))
    M[0, 3] = np.nan
    above, todo = small_cells._box_sides(M, cells, bps, E)
    assert 3 * 2 + 1 in todo[0] and 3 * 2 in todo[0] and above[0][3] == 0
    decided = 0
    for cell, maps, ups, open_lines in zip(cells, M, above, todo):
        for j in range(4):
            positive = 0
            for q, beta in enumerate(bps):
                if j * 2 + q in open_lines:
                    continue
                decided += 1
                a, b, c = (Fraction(v) for v in maps[j])
                values = [a * Fraction(x) + b * Fraction(y) + c - Fraction(beta) for x, y in zip(cell.xs, cell.ys)]
                assert all(v > 0 for v in values) or all(v < 0 for v in values)  # one side, exactly
                positive += values[0] > 0
            assert ups[j] == positive  # the pieces counted are the lines the cell is above
    assert 100 <= decided < 40 * 8 - 10  # most decided, some not


# --- the small path's second speed-up: no box test twice, cells cut in place, byte patterns ------------


def test_small_path_tests_an_uncut_cells_undecided_lines_at_its_vertices_as_the_exact_engine(monkeypatch):
    # every layer's box tests in arrays (_FEW_TESTS = 0): a line the box leaves undecided on a cell
    # not yet cut goes straight to the cell's vertices; the counts stay the exact engine's
    monkeypatch.setattr(small_cells, "_FEW_TESTS", 0)
    direct, real, inside = [0], small_cells._split_at_vertices, [False]
    real_split = small_cells._split

    def vertices(cell, line):
        direct[0] += not inside[0]
        return real(cell, line)

    def split(cell, line):
        inside[0] = True
        try:
            return real_split(cell, line)
        finally:
            inside[0] = False

    monkeypatch.setattr(small_cells, "_split_at_vertices", vertices)
    monkeypatch.setattr(small_cells, "_split", split)
    decided = 0
    for seed in range(0, 60, 2):
        net, half = _tiny_case(seed)
        got = _small_or_none(net, half)
        if got is not None:
            ref = exact_engine_regions(net, window=half)
            assert got == (ref.n_activation, ref.n_linear), seed
            decided += 1
    assert decided >= 15 and direct[0] >= 50, (decided, direct)


def test_cut_finds_the_two_sign_changes_of_every_run():
    # every run of positive vertices around a pentagon (each start, each length): the positive piece
    # keeps exactly the edges with a positive end, the negative piece those with a negative end
    pts, lines = _PENTAGON
    n = len(pts)
    cut = (1.0, 1.0, 0.1, 0.0, 0.0, 0.0, 0, 0, 1.0, 1.0, 0.1)  # parallel to no edge
    for start in range(n):
        for run in range(1, n):
            signs = [(i - start) % n < run for i in range(n)]
            cell = _float_cell(pts, lines)
            edges = list(cell.lines)
            pos, neg = small_cells._cut(cell, signs, cut, 0)
            for piece, keep in ((pos, True), (neg, False)):
                mine = sorted(edges.index(e) for e in piece.lines if e is not cut)
                assert mine == [i for i in range(n) if keep in (signs[i], signs[(i + 1) % n])], (signs, keep)
                assert piece.lines[-1] is cut and len(piece.xs) == len(piece.lines)
            assert list(pos.pattern) == [1] and list(neg.pattern) == [0] and neg is cell and neg.box is None


def test_cut_refuses_signs_of_no_convex_cell():
    cut = (1.0, 1.0, 0.1, 0.0, 0.0, 0.0, 0, 0, 1.0, 1.0, 0.1)
    with pytest.raises(Undecided, match="more than two runs"):
        small_cells._cut(_float_cell(*_SQUARE), [True, False, True, False], cut, 0)


def test_small_path_hands_over_pieces_past_a_byte():
    # a pattern keeps a piece per byte: an activation of 255 breakpoints is handed over at once
    n = 255
    slopes = [1 + q % 2 for q in range(n + 1)]
    icepts = [Fraction(0)]
    for q in range(n):  # continuous at each breakpoint q
        icepts.append(slopes[q] * q + icepts[q] - slopes[q + 1] * q)
    act = piecewise_linear("zigzag", range(n), slopes, icepts)
    net = ExactNet.from_layers([([[1.0, 0.5]], [0.0]), ([[1.0]], [0.0]), ([[1.0]], [0.0])], activation=act)
    with pytest.raises(Undecided, match="too many pieces"):
        small_cells.small_counts(net, Fraction(1))


def test_auto_memory_budget_is_read_at_most_once_a_second(monkeypatch):
    reads = []
    monkeypatch.setattr(validation, "available_memory", lambda: reads.append(1) or 8000)
    assert validation.check_max_memory("auto") == 4000 and len(reads) == 1  # a new reader: asked
    assert validation.check_max_memory("auto") == 4000 and len(reads) == 1  # within the second: kept
    validation._recent_read[1] -= 1.5  # a second and a half later: read again
    assert validation.check_max_memory("auto") == 4000 and len(reads) == 2
    monkeypatch.setattr(validation, "available_memory", lambda: 1000)  # another reader: asked at once
    assert validation.check_max_memory("auto") == 500
    net = from_torch(seeded_torch([2, 5, 5, 5, 5, 1], 0))
    with pytest.raises(ResourceLimitError):  # the small budget still refuses (and the small path steps aside)
        count_regions(net, window=10)


@pytest.mark.parametrize("act", [get_activation("relu"), get_activation("hardtanh", -3, 2),
                                 get_activation("leaky_relu", Fraction(-5, 2)), get_activation("abs")])
def test_forward_check_activation_floats_by_identity(act):
    # the misread check's scale uses each activation's largest |slope| and |intercept|, found by identity
    got = forward_check._act_floats(act)
    assert got is forward_check._act_floats(act)
    assert got[3] == float(max(abs(v) for v in act.slopes)) and got[4] == float(max(abs(v) for v in act.intercepts))
    twin = type(act)(act.name, act.breakpoints, act.slopes, act.intercepts)  # equal, not the same object
    assert twin is not act and forward_check._act_floats(twin)[3:] == got[3:]
    assert [a.tolist() for a in got[:3]] == [[float(v) for v in vals]
                                             for vals in (act.breakpoints, act.slopes, act.intercepts)]


def test_intersection_vertices_are_within_their_bound_of_the_exact_crossing():
    # the Cramer vertex of two float lines (exact as given, then with error bounds that hold) is
    # within its bound of the exact crossing, in Fractions; only near-parallel pairs are handed over
    rng = np.random.default_rng(11)
    decided = 0
    for _ in range(3000):
        a1, b1, c1, a2, b2, c2 = (rng.normal(size=6) * 2.0 ** rng.integers(-30, 30, size=6)).tolist()
        if rng.random() < 0.3:  # nearly parallel: the second line a tiny turn of the first
            a2, b2 = a1 * (1 + rng.normal() * 2.0**-40), b1
        A1, B1, C1, A2, B2, C2 = (Fraction(v) for v in (a1, b1, c1, a2, b2, c2))
        D = A1 * B2 - A2 * B1
        lines = [(a, b, c, 0.0, 0.0, 0.0, 0, 0, abs(a), abs(b), abs(c)) for a, b, c in ((a1, b1, c1), (a2, b2, c2))]
        try:
            x, y, e = small_cells._intersect(*lines)
        except Undecided:
            assert D == 0 or abs(D) < 2.0**-30 * (abs(A1 * B2) + abs(A2 * B1)), (a1, b1, a2, b2)
            continue
        X, Y = (B1 * C2 - B2 * C1) / D, (C1 * A2 - C2 * A1) / D
        assert abs(Fraction(x) - X) <= Fraction(e) and abs(Fraction(y) - Y) <= Fraction(e)
        decided += 1
    assert decided >= 1500

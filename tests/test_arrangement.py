"""Arrangement counts: the engine, the fast counter and the plain formula agree with
hand-derived values on the degenerate catalogue, and with each other on random input."""

from fractions import Fraction

import numpy as np
import pytest
from catalogue import LINE_CASES, shallow_layers
from hypothesis import given, settings
from hypothesis import strategies as st

from exact import count_regions, max_regions_formula, regions
from exact.line_count import arrangement_faces, arrangement_faces_reference
from exact.predicates import line_from_fractions


@pytest.mark.parametrize("name", sorted(LINE_CASES))
def test_catalogue_whole_plane(name):
    case = LINE_CASES[name]
    layers = shallow_layers(case["neurons"])
    assert count_regions(layers, window=None).activation == case["plane"]
    assert regions(layers, window=None).n_activation == case["plane"]


@pytest.mark.parametrize("name", sorted(LINE_CASES))
def test_catalogue_windows(name):
    case = LINE_CASES[name]
    layers = shallow_layers(case["neurons"])
    for half, expected in case["window"].items():
        assert count_regions(layers, window=Fraction(half)).activation == expected, half
        r = regions(layers, window=Fraction(half))
        assert r.n_activation == expected, half
        assert sum(c.exact_area for c in r.cells) == (2 * Fraction(half)) ** 2


def test_near_concurrent_tiny_region_is_counted_with_its_exact_area():
    r = regions(shallow_layers(LINE_CASES["near_concurrent_1e-12"]["neurons"]), window=1.0)
    smallest = min(c.exact_area for c in r.cells)
    assert 0 < smallest < Fraction(1, 10**20)
    # triangle between x=1/3, y=1/3, x+y=(2-e)/3 with e = the float value of 2 - (2 - 1e-12)
    e = Fraction(2) - Fraction(-2.0 + 1e-12) * -1
    assert smallest == (e / 3) ** 2 / 2


@pytest.mark.parametrize("half", [1e-3, 1e-1, 1.0, 10.0, 1e3, 1e6, 1e10])
def test_windows_across_scales_agree_with_reference(half):
    rng = np.random.default_rng(7)
    W = rng.normal(size=(12, 2)).astype(np.float32)
    b = (rng.normal(size=12) * 1e-3).astype(np.float32)  # lines crowd near the origin
    layers = [(W, b), (np.ones((1, 12), np.float32), np.zeros(1, np.float32))]
    lines = [line_from_fractions(*W[i], b[i]) for i in range(12)]
    ref = arrangement_faces_reference(lines, Fraction(half))
    assert count_regions(layers, window=half).activation == ref
    assert regions(layers, window=half).n_activation == ref


def test_general_position_reaches_the_maximum():
    rng = np.random.default_rng(0)
    for n in (1, 2, 5, 17, 40):
        W, b = rng.normal(size=(n, 2)), rng.normal(size=n)
        layers = [(W, b), (np.ones((1, n)), np.zeros(1))]
        assert count_regions(layers, window=None).activation == max_regions_formula(n) == n * (n + 1) // 2 + 1


def test_fast_counter_handles_many_ties():
    # integer grid lines and diagonals: many exactly concurrent triples and quadruples
    lines = [(1, 0, -k) for k in range(-5, 6)] + [(0, 1, -k) for k in range(-5, 6)]
    lines += [(1, 1, -k) for k in range(-10, 11)] + [(1, -1, -k) for k in range(-10, 11)]
    for half in (None, Fraction(3), Fraction(7, 2), Fraction(100)):
        assert arrangement_faces(lines, half) == arrangement_faces_reference(lines, half)


small_int = st.integers(min_value=-6, max_value=6)
frac = st.fractions(min_value=-3, max_value=3, max_denominator=7)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(small_int, small_int, frac), min_size=1, max_size=9),
       st.one_of(st.none(), st.fractions(min_value=Fraction(1, 4), max_value=4, max_denominator=5)))
def test_hypothesis_fractions_formula_counter_engine_agree(neurons, half):
    # small integer weights and rational offsets: parallels, duplicates, concurrency abound
    lines = [line_from_fractions(a, b, c) for a, b, c in neurons if (a, b) != (0, 0)]
    ref = arrangement_faces_reference(lines, half)
    assert arrangement_faces(lines, half) == ref
    layers = shallow_layers([(Fraction(a), Fraction(b), c) for a, b, c in neurons])
    assert regions(layers, window=half if half is not None else None).n_activation == ref


def test_formula_independent_of_code_on_a_pencil_plus_one():
    # k lines through a point plus one line in general position: 2k + (k + 1) = 3k + 1
    for k in range(1, 7):
        lines = [(1, j, 0) for j in range(k)] + [(0, 1, -5)]  # y = 5 meets each x + j y = 0 once
        assert arrangement_faces(lines) == 2 * k + (k + 1) == 3 * k + 1


def test_near_parallel_crossing_pair_is_counted_exactly():
    # two lines through (0, 0) whose floats are both (1, 1, 0): their determinant is -1,
    # so they cross; the float filter cannot see it and must hand the pair to exact work
    k = 2**60
    lines = [(k + 1, k, 0), (k, k - 1, 0), (0, 1, -1)]
    assert arrangement_faces(lines) == arrangement_faces_reference(lines) == 7
    assert arrangement_faces(lines, Fraction(2**70)) == 7


def _planted_lines(rng, n):
    """``n`` random integer lines, plus pencils of three through rational points near and far, and
    near-concurrent triples (one line moved by about 1e-12 of its offset)."""
    lines = [tuple(int(v) for v in rng.integers(-10**6, 10**6, size=3)) for _ in range(n)]
    for scale in (1, 10**3, 10**9):
        for _ in range(4):
            px, py, q = (int(v) for v in (*rng.integers(-10**4, 10**4, size=2) * scale, rng.integers(1, 97)))
            for _ in range(3):  # a x + b y + c = 0 through (px / q, py / q): c = -(a px + b py) / q, scaled by q
                a, b = (int(v) for v in rng.integers(-1000, 1000, size=2))
                lines.append((a * q, b * q, -(a * px + b * py)))
            lines.append((lines[-1][0], lines[-1][1], lines[-1][2] + max(1, abs(lines[-1][2]) // 10**12)))
    return lines


def test_sorted_values_filter_and_its_fallback_agree_with_the_reference(monkeypatch):
    # the whole-plane counter first sorts positions alone (crossing_filter._all_apart) and keeps the
    # interval sort for rows it cannot certify: both paths must run here and give the exact count
    import exact.crossing_filter as cf

    seen = []
    real = cf._all_apart

    def spy(t, et, keep):
        out = real(t, et, keep)
        seen.extend(out.tolist())
        return out

    monkeypatch.setattr(cf, "_all_apart", spy)
    rng = np.random.default_rng(3)
    for n in (30, 120):
        lines = _planted_lines(rng, n)
        assert arrangement_faces(lines) == arrangement_faces_reference(lines)
        assert arrangement_faces(lines, Fraction(10**5)) == arrangement_faces_reference(lines, Fraction(10**5))
    assert True in seen and False in seen

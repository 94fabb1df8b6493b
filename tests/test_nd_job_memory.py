"""The up-front memory of the d-D engine (exact/nd/job_memory.py): exact counts, sound lower bounds, fast refusals."""

import itertools
import random
import re
import time
import tracemalloc
from fractions import Fraction as F

import numpy as np
import pytest

import exact.nd.layer_cells as layer_cells
from exact import count_regions
from exact.errors import ResourceLimitError
from exact.loading import as_exact_net
from exact.nd import count_regions_nd, regions_nd
from exact.nd.job_memory import (
    box_corner_bytes,
    check_box_fits,
    check_job_memory,
    corner_sides,
    first_cut_bytes,
    size_text,
)
from exact.nd.layer_cells import enumerate_cells_nd
from exact.nd.polytope import box, pair_table_bytes, row_sign


def _layers(widths, seed=0):
    """A net of these widths with float weights (as torch's default init scales them), for as_exact_net."""
    rng = np.random.default_rng(seed)
    out = []
    for n_in, n_out in zip(widths, widths[1:]):
        bound = 1 / np.sqrt(n_in)
        out.append((rng.uniform(-bound, bound, (n_out, n_in)).tolist(), rng.uniform(-bound, bound, n_out).tolist()))
    return out


def test_corner_sides_counts_the_corners_as_enumerating_them_does():
    rng = random.Random(3)
    for _ in range(60):
        d = rng.randint(1, 7)
        row = tuple(rng.randint(-4, 4) for _ in range(d + 1))
        lo = [F(rng.randint(-6, 2), rng.randint(1, 3)) for _ in range(d)]
        hi = [a + F(rng.randint(1, 5), rng.randint(1, 4)) for a in lo]
        signs = [row_sign(row, p) for p in box(lo, hi).verts]
        assert corner_sides(row, lo, hi) == (signs.count(1), signs.count(-1)), (row, lo, hi)
    assert corner_sides((1, 1, 1, 0), [F(-1)] * 3, [F(1)] * 3) == (4, 4)     # odd sums: no corner on it
    assert corner_sides((1, 1, 0, 0), [F(-1)] * 3, [F(1)] * 3) == (2, 2)     # x + y = 0 holds 4 corners


def test_box_corner_bytes_is_below_what_the_box_takes():
    for d, half in ((3, F(10)), (8, F(1, 3)), (11, F(10))):
        tracemalloc.start()
        b = box([-half] * d, [half] * d)
        held = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        assert len(b.verts) == 2**d
        assert box_corner_bytes(d) <= held < 4 * box_corner_bytes(d), (d, held)


def test_first_cut_bytes_is_below_the_memory_traced_through_the_first_cut(monkeypatch):
    """The bound counts the box and the first cut's pair table; the engine really holds them (traced)."""
    real_split, seen = layer_cells.split, []

    def first_split(poly, row):
        side, above, below = real_split(poly, row)
        if side == 2:   # the first cut: its sides are the counted ones, and the peak is reached
            seen.append((len(poly.verts), sum(row_sign(row, p) > 0 for p in poly.verts),
                         sum(row_sign(row, p) < 0 for p in poly.verts), tracemalloc.get_traced_memory()[1]))
            raise KeyboardInterrupt
        return side, above, below

    monkeypatch.setattr(layer_cells, "split", first_split)
    for d in (8, 9):
        net = as_exact_net(_layers([d, d, 1], seed=d))
        lo, hi = [F(-10)] * d, [F(10)] * d
        need, pos, neg = first_cut_bytes(net, lo, hi)
        assert pair_table_bytes(pos, neg, 2 * d) > 0 and need > box_corner_bytes(d)
        seen.clear()
        tracemalloc.start()
        try:
            with pytest.raises(KeyboardInterrupt):
                enumerate_cells_nd(net, box(lo, hi))
        finally:
            tracemalloc.stop()
        n_verts, p, n, peak = seen[0]
        assert (n_verts, {p, n}) == (2**d, {pos, neg})
        assert need <= peak, (d, need, peak)


def test_a_20_input_net_is_refused_at_once_with_its_size():
    """B1: 20-20-1 ran 16-18 s into a MemoryError at 1.9 GB; its box and first cut alone need terabytes."""
    net = _layers([20, 20, 1])
    start = time.perf_counter()
    with pytest.raises(ResourceLimitError, match=r"the 20-20-1 net needs at least [\d.]+ TB .* 2\^20 corners") as e:
        count_regions_nd(net, window=10, max_memory="2GB")
    assert time.perf_counter() - start < 2
    assert "max_memory=2 GB" in str(e.value)
    with pytest.raises(ResourceLimitError, match=r"20-20-1 net needs at least"):
        regions_nd(net, window=10, max_memory="2GB")
    with pytest.raises(ResourceLimitError, match=r"20-20-1 net needs at least"):
        count_regions(net, window=10, max_memory="2GB")
    with pytest.raises(ResourceLimitError, match=r"20-20-1 net needs at least"):
        count_regions_nd(net, window=None, max_memory="2GB")     # the whole space's cube too


@pytest.mark.parametrize("widths, digits", [([100, 2, 1], "1.1e+33"), ([784, 16, 1], "6.5e+239")])
def test_a_box_beyond_any_memory_says_its_power_and_not_to_raise_max_memory(widths, digits):
    """C3: 2^100 corners were "about 9.26e+10 TB" (the size was taken at 2^64) and raising max_memory was advised."""
    d = widths[0]
    net = _layers(widths)
    for mem in ("2GB", None):
        start = time.perf_counter()
        with pytest.raises(ResourceLimitError, match=rf"the {d}-D box alone has 2\^{d} corners, at least "
                                                     rf"{re.escape(digits)} bytes: more than any computer") as e:
            count_regions_nd(net, window=1, max_memory=mem)
        assert time.perf_counter() - start < 2
        assert "raise max_memory" not in str(e.value)
    assert box_corner_bytes(d) == (2**d) * (40 + 8 * (d + 1) + 44)


def test_the_box_check_and_its_advice_follow_the_budget():
    check_box_fits(16, 10**9)
    with pytest.raises(ResourceLimitError, match=r"2\^30 corners, at least 356 GB, more than max_memory=1 GB; "
                                                 r"raise max_memory"):
        check_box_fits(30, 10**9)
    check_box_fits(30, None)
    with pytest.raises(ResourceLimitError, match="any computer"):
        check_box_fits(46, None)
    assert size_text(999 * 10**12) == "999 TB" and size_text(10**16) == "1e+16 bytes"
    assert size_text(2**100 * 3) == "3.8e+30 bytes"


def test_small_jobs_pass_the_check_with_room():
    """The bound never refuses a job that fits: 3- to 12-D nets stay far below a small budget."""
    for widths in ([3, 50, 1], [5, 20, 1], [8, 8, 1], [12, 12, 1]):
        d = widths[0]
        net = as_exact_net(_layers(widths))
        need, _, _ = first_cut_bytes(net, [F(-10)] * d, [F(10)] * d)
        assert need < 10**8
        check_job_memory(net, [F(-10)] * d, [F(10)] * d, 10**8)
    assert count_regions_nd(_layers([4, 6, 1]), window=10, max_memory="64MB").activation > 1


def test_a_net_whose_planes_miss_the_box_has_no_first_cut():
    net = as_exact_net([([[1, 0, 0], [0, 1, 1]], [50, -70]), ([[1, 1]], [0])])
    assert first_cut_bytes(net, [F(-1)] * 3, [F(1)] * 3) == (box_corner_bytes(3), 0, 0)
    d = 12   # the first neuron misses; the second (x_1 = 0) cuts: 2^11 x 2^11 pairs
    net = as_exact_net([([[0] * d, [1] + [0] * (d - 1)], [1, 0]), ([[1, 1]], [0])])
    assert first_cut_bytes(net, [F(-1)] * d, [F(1)] * d) == (box_corner_bytes(d) + 16 * 4**11, 2**11, 2**11)


def test_running_out_of_memory_is_a_refusal_that_says_how_far_it_got(monkeypatch):
    def no_memory(poly, row):
        raise MemoryError

    monkeypatch.setattr(layer_cells, "split", no_memory)
    with pytest.raises(ResourceLimitError, match=r"ran out of memory making the exact cells of the 3-4-1 net "
                                                 r"\(cells so far: none; .* the box had 8 corners\)"):
        count_regions_nd(_layers([3, 4, 1]), window=10)


def test_cli_refuses_the_trial_s_nets_with_their_sizes(capsys):
    from exact.cli import main

    for argv, words in ((["count", "784-16-1"], "2^784 corners, at least 6.5e+239 bytes: more than any computer"),
                        (["count", "20-20-1", "--max-memory", "2GB"], "20-20-1 net needs at least")):
        assert main(argv + ["-q"]) == 1
        err = capsys.readouterr().err
        assert words in err, err


def test_pair_table_bytes_follows_the_pair_test_s_switch():
    assert [pair_table_bytes(p, n, 8) for p, n in itertools.product((31, 32), (32,))] == [0, 16 * 1024]
    assert pair_table_bytes(2**10, 2**10, 65) == 0

"""Cutting crowded tiles stops at a budget (exact.tile_jobs.tile_budget); cutting for memory at a larger one.

A crowd along a line (six lines 2^-200 apart) is in every tile the line crosses: cutting
doubles the crowded tiles and thins none.  The net: the lines x = k 2^-200 (k = 0..5) and
y = 0, and a second layer that never flips in [-1, 1]^2, so 7 strips times 2 = 14 cells,
each its own map (derived by hand).
"""

import logging
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction

import exact
import numeric
from exact import tile_jobs, tiled_counts
from exact.errors import ResourceLimitError, TooManyRegionsError
from exact.tile_grid import Tile
from exact.tile_jobs import Crowded, TileJob, tile_budget, within_limits

E = Fraction(1, 2**200)
BUNDLE = exact.ExactNet.from_layers([([[1, 0]] * 6 + [[0, 1]], [-k * E for k in range(6)] + [0]),
                                     ([[1] * 7], [100]), ([[1]], [0])])
UNIT = Tile(Fraction(0), Fraction(1), Fraction(0), Fraction(1))


def spy_on_tiles(monkeypatch):
    """Record the tiles each tile job ran on and the tiles that were finished (not crowded)."""
    runs, done, real = [], [], tiled_counts.count_tile

    def spy(job):
        runs.append(job.tile)
        if len(runs) > 2000:
            raise RuntimeError("tiles are cut without end")
        out = real(job)
        if not isinstance(out, Crowded):
            done.append(out.tile)
        return out

    monkeypatch.setattr(tiled_counts, "count_tile", spy)
    return runs, done


def test_the_budget_is_sixteen_tiles_per_first_tile_and_at_least_64():
    assert [tile_budget(n) for n in (1, 4, 5, 100)] == [64, 64, 80, 1600]


def test_crowded_tiles_say_whether_memory_or_cells_crowd_them():
    job = TileJob(BUNDLE, UNIT, (False,) * 4, tile_cells=5)

    def over_memory(cap):
        raise ResourceLimitError("too big")

    def over_cells(cap):
        raise TooManyRegionsError("too many")

    assert within_limits(job, over_memory) == Crowded(UNIT, "too big", memory=True)
    assert within_limits(job, over_cells) == Crowded(UNIT, "too many", memory=False)


def test_a_crowd_along_a_line_stops_at_the_budget_on_an_executor(monkeypatch):
    runs, done = spy_on_tiles(monkeypatch)
    with ThreadPoolExecutor(2) as pool:
        assert tuple(exact.count_regions(BUNDLE, window=1, tiles=2, tile_cells=5, executor=pool)) == (14, 14)
    assert len(done) == len(set(done)) <= tile_budget(4) and len(runs) < 3 * tile_budget(4)


def test_a_wider_first_grid_gets_a_wider_budget(monkeypatch):
    runs, done = spy_on_tiles(monkeypatch)
    assert tuple(exact.count_regions(BUNDLE, window=1, tiles=(8, 1), tile_cells=5)) == (14, 14)
    assert 64 < len(done) <= tile_budget(8)                  # cut past 64: the budget is 16 per first tile


def test_cutting_for_memory_goes_on_past_the_budget(monkeypatch, caplog):
    monkeypatch.setattr(tiled_counts, "tile_budget", lambda first: 1)     # no cut for tile_cells at all
    spy_on_tiles(monkeypatch)
    net = exact.as_exact_net(numeric.seeded_mlp([2, 32, 32, 1], seed=0))
    want = exact.count_regions(net)
    with caplog.at_level(logging.INFO, logger="exact.counting"):
        assert exact.count_regions(net, tiles=1, max_memory=150_000) == want
    assert any("cut into four" in m for m in caplog.messages)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="exact.counting"):
        assert exact.count_regions(net, tiles=1, tile_cells=150) == want
    assert any("computed whole" in m for m in caplog.messages)
    assert not any("cut into four" in m for m in caplog.messages)
    assert tile_jobs.MAX_DEPTH == 12

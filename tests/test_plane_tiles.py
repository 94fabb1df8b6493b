"""The whole plane in tiles: count_regions / regions with window=None and tiles=.

The box is certified from a thin frame along its sides (exact._certified.plane_frame) before
any tile runs; the tiles then compute that box.  Checked here: the frame's verdict is the
whole box's (rays_leave_freely on all the box's cells) on random nets; tiled counts and cells
equal the untiled whole-plane run (serial and on a process pool) and the exact engine; and
nets built to break a frame: a strip whose far side is outside the box and whose one line
leaves through two different rectangles of the frame, lines through the box's corners and
through the frame's seams on the box's sides.
"""

import json
import logging
from fractions import Fraction

import numpy as np
import pytest
from test_many_nets import dask_cluster, needs_dask, process_pool  # noqa: F401 - the same module-scoped pools
from test_tiles import canon

import exact
import numeric
from exact import _api, tile_balance
from exact._api import exact_regions
from exact._certified import plane_frame
from exact._certified.plane import rays_leave_freely
from exact._certified.plane_frame import FRAME_DEPTH, certified_plane_box, frame_certificate
from exact._certified.subdivision import batched_cells
from exact.cli import main
from exact.errors import TooManyRegionsError, Undecided
from exact.line_count import initial_box
from exact.network import ExactNet

# x > 0 is one cell with the one line x = 0 (leaving through the top and the bottom rectangles of
# the frame) until x = 1000, where relu(h - 1000) switches on: a strip whose far side lies far
# outside the first boxes.  Cells x < 0, 0 < x < 1000, x > 1000; the first two share the map 0.
STRIP = [([[1, 0]], [0]), ([[1]], [-1000]), ([[1]], [0])]
# x - y = 0 passes through the corners (h, h) and (-h, -h) of every box; x + y = 0 through the others
DIAGONALS = [([[1, -1], [1, 1], [1, 0]], [0, 0, -1]), ([[1, 1, 1], [1, -1, 0]], [-1, 2]), ([[1, 1]], [0])]


@pytest.fixture
def tiled_runs(monkeypatch):
    """Record the boxes the tiled engines were given (a run that fell back to untiled records none)."""
    runs = []

    def spy_on(engine):
        def spy(net, box, *args, **kwargs):
            runs.append((box, kwargs.get("plane")))
            return engine(net, box, *args, **kwargs)
        return spy

    for name in ("count_in_tiles", "regions_in_tiles"):
        monkeypatch.setattr(_api, name, spy_on(getattr(_api, name)))
    return runs


def _random_net(rng):
    widths = [2] + [int(rng.integers(1, 7)) for _ in range(int(rng.integers(2, 4)))] + [1]
    act = ["relu", "leaky_relu", "hardtanh", "abs"][int(rng.integers(0, 4))]
    layers = [(rng.normal(size=(b, a)), rng.normal(size=b) * rng.choice([1, 5])) for a, b in
              zip(widths[:-1], widths[1:])]
    return ExactNet.from_layers(layers, activation=act)


def _verdict(certify, *args):
    try:
        return certify(*args)
    except Undecided:
        return None


def _whole_box(net, half):
    return rays_leave_freely(net, batched_cells(net, half))


def test_the_frame_judges_a_box_as_its_whole_set_of_cells_does():
    rng = np.random.default_rng(7)
    seen = {True: 0, False: 0}
    for _ in range(60):
        net = _random_net(rng)
        for half in (initial_box(net), initial_box(net) * 4, initial_box(net) * 256):
            whole = _verdict(_whole_box, net, half)
            frame = _verdict(frame_certificate, net, half)
            if whole is None or frame is None:
                continue
            assert frame[0] == whole[0], (net, half, whole, frame)
            if not whole[0]:  # where to grow: the farthest cut, computed from other floats
                assert abs(frame[1] - whole[1]) <= whole[1] * Fraction(1, 10**9), (net, half, whole, frame)
            seen[whole[0]] += 1
    assert seen[True] >= 40 and seen[False] >= 10, seen   # both verdicts were compared


@pytest.mark.parametrize("name, widths, act, seed", [
    ("relu", [2, 16, 16, 1], "relu", 0),
    ("deep relu", [2, 5, 5, 5, 5, 1], "relu", 0),
    ("abs", [2, 12, 12, 1], "abs", 1),
    ("hardtanh", [2, 12, 12, 1], "hardtanh", 2),
    ("leaky_relu", [2, 12, 12, 12, 1], "leaky_relu", 3),
])
@pytest.mark.parametrize("tiles", [2, (3, 2)])
def test_whole_plane_counts_in_tiles_equal_the_untiled_count(name, widths, act, seed, tiles, tiled_runs):
    net = exact.as_exact_net(numeric.seeded_mlp(widths, seed=seed, activation=act))
    assert exact.count_regions(net, None, tiles=tiles) == exact.count_regions(net, None)
    assert len(tiled_runs) == 1 and tiled_runs[0][0] >= initial_box(net)   # the box, not the plane


def test_whole_plane_regions_in_tiles_are_the_untiled_cells(tiled_runs):
    net = exact.as_exact_net(numeric.seeded_mlp([2, 8, 8, 1], seed=4))
    tiled, whole = exact.regions(net, None, tiles=3), exact.regions(net, None)
    assert tiled_runs == [(whole.box, True)]
    assert tiled.window is None and tiled.box == whole.box
    assert canon(tiled) == canon(whole)
    assert sorted(c.bounded for c in tiled) == sorted(c.bounded for c in whole)
    assert sum(not c.bounded for c in tiled) > 0


def test_a_strip_behind_the_box_grows_it_though_its_line_leaves_through_two_rectangles(tiled_runs):
    net = ExactNet.from_layers(STRIP)
    assert initial_box(net) < 1000 < certified_plane_box(net)
    ok, extent = frame_certificate(net, initial_box(net))
    assert not ok and extent == 2000                    # twice the far side's distance, as the whole box
    assert exact.count_regions(net, None, tiles=2) == (3, 2) == exact.count_regions(net, None)
    r = exact.regions(net, None, tiles=2)
    assert (r.n_activation, r.n_linear) == (3, 2)
    assert [plane for _, plane in tiled_runs] == [True, True] and min(box for box, _ in tiled_runs) > 1000


def test_lines_through_the_box_corners_and_the_frame_seams():
    net = ExactNet.from_layers(DIAGONALS)
    expected = exact_regions(net, None, max_regions=None, progress=False)
    got = exact.count_regions(net, None, tiles=2)
    assert got == (expected.n_activation, expected.n_linear) == exact.count_regions(net, None)
    # y = (1 - 1/FRAME_DEPTH) x passes through the frame's seams on the sides of [-16, 16]^2
    d = 1 - Fraction(1, FRAME_DEPTH)
    seam = ExactNet.from_layers([([[float(-d), 1], [1, 1]], [0, 0]), ([[1, 1], [1, -1]], [-1, 0]), ([[1, 1]], [0])])
    for half in (Fraction(16), Fraction(4), Fraction(1)):  # floats see the ties: both undecided, or equal
        assert _verdict(frame_certificate, seam, half) in (None, _verdict(_whole_box, seam, half))
    assert exact.count_regions(seam, None, tiles=2) == exact.count_regions(seam, None)


@pytest.mark.parametrize("where", ["process_pool", pytest.param("dask", marks=needs_dask)])
def test_whole_plane_tiles_and_their_frame_on_an_executor(where, request, monkeypatch):
    executor = (request.getfixturevalue("process_pool") if where == "process_pool"
                else request.getfixturevalue("dask_cluster")[1].get_executor())
    net = exact.as_exact_net(numeric.seeded_mlp([2, 16, 16, 16, 1], seed=5))
    for half in (initial_box(net), initial_box(net) * 256):
        assert frame_certificate(net, half, executor=executor) == frame_certificate(net, half)
    ran = []
    monkeypatch.setattr(plane_frame, "frame_certificate",
                        lambda *a, _run=plane_frame.frame_certificate, **k: ran.append(k["executor"]) or _run(*a, **k))
    assert exact.count_regions(net, None, tiles=2, executor=executor) == exact.count_regions(net, None)
    assert ran and all(e is executor for e in ran)     # the frame ran there too


def test_an_undecided_frame_counts_untiled(monkeypatch, caplog, tiled_runs):
    net = exact.as_exact_net(numeric.seeded_mlp([2, 8, 8, 1], seed=6))

    def undecided(*args, **kwargs):
        raise Undecided("a test too close to call")

    monkeypatch.setattr(plane_frame, "certified_plane_box", undecided)
    with caplog.at_level(logging.INFO, logger="exact.counting"):
        assert exact.count_regions(net, None, tiles=2) == exact.count_regions(net, None)
    assert "could not certify a whole-plane box from its frame (a test too close to call)" in caplog.text
    assert tiled_runs == []


def test_cli_counts_the_whole_plane_in_tiles(tmp_path, capsys):
    spec = tmp_path / "net.json"
    exact.save_json(numeric.seeded_mlp([2, 8, 8, 1], seed=3), spec)
    out = []
    for argv in (["count", "2-8-8-1", "--seed", "3"], ["regions", str(spec), "--count-only"]):
        for extra in ([], ["--tiles", "2", "--jobs", "2"]):
            assert main([*argv, "--window", "plane", "--json", *extra]) == 0
            got = json.loads(capsys.readouterr().out)
            out.append((got["activation_regions"], got["linear_regions"]))
    assert len(set(out)) == 1, out


@pytest.mark.parametrize("plane, most", [(True, 0.5), (False, 0.9)])
def test_whole_plane_seams_are_balanced_where_the_cells_crowd(plane, most):
    # the certified box is 2^19 wide, the cells crowd within a few units of the origin: seams
    # balanced over the whole box (plane=False, as for a window) leave nearly every cell in one tile
    net = exact.as_exact_net(numeric.seeded_mlp([2, 32, 32, 32, 1], seed=0))
    half = certified_plane_box(net, start=initial_box(net) * 256)
    core = tile_balance.crowded_core(net, half) if plane else None
    tiles = tile_balance.tiles_for(net, (-half, half, -half, half), 2, 2, core=core)
    cells = [exact.count_regions(net, window=(t.x0, t.x1, t.y0, t.y1)).activation for t in tiles]
    share = max(cells) / sum(cells)
    assert (share < most) if plane else (share > most), cells


def test_a_box_beyond_the_float_range_is_undecided_not_a_crash():
    with pytest.raises(Undecided, match="beyond the float range"):
        frame_certificate(ExactNet.from_layers(DIAGONALS), Fraction(2) ** 1100)


def test_a_refusal_from_the_frame_says_it_is_the_frame():
    # new-user trial: "more than 100 cells in hidden layer 3 (it would have 114)" for a net of 20 550
    net = exact.as_exact_net(numeric.seeded_mlp([2, 32, 32, 32, 1], seed=0))
    assert exact.count_regions(net, None).activation == 5355
    with pytest.raises(TooManyRegionsError, match=r"^the frame along the sides of the whole-plane box \[-\d+, "):
        exact.count_regions(net, None, tiles=2, max_regions=40)   # the frame holds 45 to 62 cells a side


def test_crowded_core_reads_at_most_2000_lines(monkeypatch):
    # its comment promised 2000, but every len // 2000-th line read up to 3999 (8 M crossings)
    seen = []
    real = np.triu_indices
    monkeypatch.setattr(np, "triu_indices", lambda n, k=0: seen.append(n) or real(n, k))
    net = exact.as_exact_net(numeric.seeded_mlp([2, 3999, 2, 1], seed=0))
    assert tile_balance.crowded_core(net, Fraction(2**30)) <= 2**30
    assert seen and max(seen) <= 2000, seen

"""Bounded memory (issue 13, item 2): wide first layers, chunks, and refusals before allocating.

A wide first layer used to make the deep paths take ~n^3 memory: every (face, chord) and
(cell, neuron) pair got its own array entries, so 2-500-2-1 needed 12.7 GB and 2-1000-2-1
died with a raw MemoryError at 17.7 GB.  Now the pairs go in chunks (``blocks.BLOCK``),
face patterns spread across chord segments, and every layer is estimated and refused over
``max_regions`` / ``max_memory`` before it is built.

Checked to fail on purpose (by hand, then put back):

* the 2 GB test: with the per-face patterns computed the old way (every face against every
  chord of its cell, all at once) the child dies with MemoryError; that stays a test
  (:func:`test_the_2gb_limit_catches_all_pairs_patterns`).  With ``BLOCK = 2**62`` alone
  2-500-2-1 still fits (VmPeak 1.7 GB): the n^3 arrays are gone, not just chunked;
* the refusal tests: with ``Budget.check`` made a no-op they fail (the job runs and
  allocates, or ``pytest.raises`` sees nothing);
* the tiny-chunk tests: with ``chunks`` dropping its last slice, find_chords misses
  chords and the counts differ from the exact engine.
"""

import re
import subprocess
import sys
import textwrap
import time
import tracemalloc
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from catalogue import LINE_CASES, seeded_torch, shallow_layers
from engines import exact_engine_regions

import exact
import exact._certified.blocks as blocks
import exact.layer_split
from exact import from_torch, regions
from exact._api import exact_regions
from exact._certified.budget import Budget, format_bytes
from exact._certified.last_layer import batched_counts
from exact._certified.plane import batched_plane_cells
from exact._certified.subdivision import Subdivision, batched_cells
from exact.errors import InputError, InputTypeError, ResourceLimitError, TooManyRegionsError
from exact.layer_split import cell_bytes, enumerate_cells
from exact.square_window import square
from exact.validation import available_memory, check_max_memory

ROOT = Path(__file__).resolve().parent.parent

# the child: a 2 GB address-space limit, then the count.  Address space, not RSS: numpy and
# exact alone reserve ~140 MB of it, torch ~630 MB (measured with VmSize); the count of
# 2-500-2-1 peaks at ~0.9 GB of VmPeak with torch imported, so torch may stay in the child.
CHILD = textwrap.dedent("""
    import resource, sys
    sys.path.insert(0, {root!r})
    resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
    import numeric, exact
    {patch}
    net = numeric.seeded_mlp([2, 500, 2, 1], seed=0)
    print("COUNTS", tuple(exact.count_regions(net, window=10, max_memory=None)))
""")

# the faces' patterns as they were computed before issue 13: every face against every chord
# of its cell at once, (faces x chords) arrays -- n^3 on a wide first layer
ALL_PAIRS = textwrap.dedent("""
    import numpy as np
    import exact._certified.chord_faces as cf
    from exact._certified.pieces import _chords_below
    def all_pairs(layer, ch, piece, arr, faces):
        first = np.searchsorted(ch.cell, faces.cell, side="left")
        L = np.searchsorted(ch.cell, faces.cell, side="right") - first
        f, x = _chords_below(layer, ch, arr, faces, np.arange(len(faces.cell)), first, L)
        out = piece[faces.cell]
        np.add.at(out, (f, ch.k[x]), 1)
        return out
    cf.face_pieces = all_pairs
""")


def _run_child(patch: str = "", limit: int = 2 * 10**9) -> subprocess.CompletedProcess:
    code = CHILD.format(root=str(ROOT), limit=limit, patch=patch)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS semantics checked on Linux")
def test_count_2_500_2_1_fits_in_2gb_of_address_space():
    # 12.7 GB before issue 13; (117918, 63235) is also what regions() finds polygon by polygon
    res = _run_child()
    assert res.returncode == 0, res.stderr[-2000:]
    assert "COUNTS (117918, 63235)" in res.stdout


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS semantics checked on Linux")
def test_the_2gb_limit_catches_all_pairs_patterns():
    # the negative control of the test above: the limit is tight enough to see n^3 arrays
    res = _run_child(ALL_PAIRS)
    assert res.returncode != 0
    assert "MemoryError" in res.stderr


def _peak_during(f):
    tracemalloc.start()
    try:
        f()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def test_2_3000_1_1_is_refused_before_allocating():
    # asked numpy for 93 GiB at once; now its 4.2 million cells are counted (1 + L + I) first
    net = from_torch(seeded_torch([2, 3000, 1, 1], 0))
    t = time.perf_counter()
    with pytest.raises(TooManyRegionsError, match=r"more than max_regions=2000000 cells in hidden layer 1 "
                                                  r"\(it would have 4,\d{3},\d{3}\)"):
        exact.count_regions(net, window=10)
    assert time.perf_counter() - t < 20
    with pytest.raises(ResourceLimitError, match=r"hidden layer 1 would need about \d+(\.\d+)? GB for its "
                                                 r"4,\d{3},\d{3} cells, more than max_memory=1 GB; raise max_memory"):
        exact.count_regions(net, window=10, max_regions=None, max_memory="1GB")


def test_a_job_over_max_memory_is_refused_before_allocating():
    net = from_torch(seeded_torch([2, 300, 2, 1], 0))
    msg = r"hidden layer 1 would need about .* for its 42,\d{3} cells, more than max_memory=1 MB"
    with pytest.raises(ResourceLimitError, match=msg):
        exact.count_regions(net, window=10, max_memory=10**6)
    peak = _peak_during(lambda: pytest.raises(ResourceLimitError, batched_counts, net, Fraction(10),
                                              max_memory=10**6))
    st = Subdivision(net, Fraction(10))
    st.split_layer(None, False)
    assert peak < st.held_bytes() / 4  # refused long before the cells were there


def test_regions_is_refused_from_the_count_before_enumerating(monkeypatch):
    net = from_torch(seeded_torch([2, 24, 24, 24, 24, 1], 0))  # 3061 cells
    need = 3061 * cell_bytes(96, 1)  # what regions() would take, about 4.5 kB per cell
    seen = []
    real = Budget.check
    monkeypatch.setattr(Budget, "check", lambda self, c, nbytes, where: seen.append(nbytes) or real(self, c, nbytes,
                                                                                                     where))
    batched_counts(net, Fraction(10))
    count_need = max(seen)  # what the certified count is estimated to take
    assert count_need < need
    budget = (count_need + need) // 2  # enough to count, not enough for the polygons
    with pytest.raises(ResourceLimitError, match=rf"regions\(\) would need about {format_bytes(need)} for its "
                                                 rf"3,061 cells .* max_memory={format_bytes(budget)}; raise"):
        regions(net, window=10, max_memory=budget)
    peak = _peak_during(lambda: pytest.raises(ResourceLimitError, regions, net, window=10, max_memory=budget))
    assert peak < need / 2  # the certified count decided, before any exact cell was made
    with pytest.raises(ResourceLimitError, match=r"regions\(\) would need more than max_memory=1 MB: even "
                                                 r"counting its cells does \(hidden layer \d would need"):
        regions(net, window=10, max_memory="1MB")
    with pytest.raises(TooManyRegionsError, match=r"more than max_regions=3000 cells in hidden layer 4 \(it "
                                                  r"has 3,061\)"):
        regions(net, window=10, max_regions=3000)
    with pytest.raises(ResourceLimitError, match=r"regions\(\) would need about 7 MB for its 4,667 cells"):
        regions(seeded_torch([2, 100, 1], 0), window=10, max_memory="5MB")  # one hidden layer


def test_the_exact_enumeration_stops_at_max_memory():
    # when the floats cannot count first, the depth-first enumeration checks as it goes
    net = from_torch(seeded_torch([2, 32, 32, 32, 1], 0))
    budget = 2048 * cell_bytes(96, 1)
    with pytest.raises(ResourceLimitError, match=r"the exact cells would need more than max_memory=.* "
                                                 r"\(more than 3,072 cells so far"):
        exact_regions(net, Fraction(10), max_regions=None, progress=False, max_memory=budget, precount=False)


@pytest.mark.parametrize("widths, plane", [([2, 30, 30, 30, 1], False), ([2, 100, 5, 1], False),
                                           ([2, 12, 12, 12, 12, 1], False), ([2, 8, 8, 8, 1], True)])
def test_layer_estimate_bounds_the_measured_peak(widths, plane, monkeypatch):
    # Subdivision.split_bytes against tracemalloc, layer by layer: an upper bound, not 5x off.
    # Small chunks, so that the allowance for the chunks' temporaries is small too.
    monkeypatch.setattr(blocks, "BLOCK", 1024)
    seen = []
    monkeypatch.setattr(Budget, "check", lambda self, cells, nbytes, where: seen.append(nbytes))
    net = from_torch(seeded_torch(widths, 1))
    st = Subdivision(net, Fraction(10 if not plane else 1000))
    for _ in range(net.n_hidden_layers):
        held = st.held_bytes()
        peak = _peak_during(lambda: st.split_layer(None, False))  # traces the new allocations only
        new = seen[-1] - held
        assert peak <= new, (peak, new)
        assert new <= 5 * peak + 10**6, (new, peak)


CHUNK_TEMPORARIES = 4 * 2**20


@pytest.mark.parametrize("widths, window", [([2, 16, 16, 16, 1], 10), ([2, 40, 8, 1], 10), ([2, 8, 8, 8, 1], None)])
def test_cell_bytes_bounds_regions_memory(widths, window):
    # regions() of a deep net makes its exact objects lazily (issue 15): cell_bytes, the guard's
    # estimate, bounds the regions with every exact polygon, map and boundary made, and is not loose
    net = exact.as_exact_net(seeded_torch(widths, 0))
    r = []

    def everything():
        r.append(regions(net, window=window))
        for c in r[0]:
            c.verts, c.affine  # noqa: B018
        r[0].boundaries  # noqa: B018

    lazy = _peak_during(lambda: regions(net, window=window))
    peak = _peak_during(everything)
    n, bound = r[0].n_activation, cell_bytes(sum(widths[1:-1]), 1)
    # a block of cells is made exact at a time (array products over shared prefixes): its
    # temporaries are a few MB whatever the net's size, which a per-cell bound need not cover
    assert lazy / n <= bound and (peak - CHUNK_TEMPORARIES) / n <= bound <= 2 * peak / n


@pytest.fixture
def tiny_chunks(monkeypatch):
    """Chunks of 7 pairs, so that every chunked loop runs over many chunks and boundaries."""
    monkeypatch.setattr(blocks, "BLOCK", 7)


@pytest.mark.parametrize("widths, seed, act", [([2, 6, 6, 6, 1], 0, "relu"), ([2, 8, 8, 1], 1, "hardtanh"),
                                               ([2, 5, 7, 4, 3], 2, "abs"), ([2, 20, 3, 1], 3, "leaky_relu"),
                                               ([2, 3, 3, 3, 3, 1], 5, "relu")])
def test_counts_unchanged_with_tiny_chunks(tiny_chunks, widths, seed, act):
    net = _with_activation(from_torch(seeded_torch(widths, seed)), act)
    r = exact_engine_regions(net, 3)  # the exact engine: regions() itself is built from batched_cells
    assert batched_counts(net, Fraction(3)) == (r.n_activation, r.n_linear)
    cells = batched_cells(net, Fraction(3))
    assert (len(cells), cells.linear_count()) == (r.n_activation, r.n_linear)
    assert sorted(map(tuple, cells.patterns.tolist())) == sorted(c.pattern for c in r.cells)
    rounds = batched_cells(net, Fraction(3), method="rounds")
    assert len(rounds) == r.n_activation


def test_plane_counts_unchanged_with_tiny_chunks(tiny_chunks):
    net = from_torch(seeded_torch([2, 5, 5, 5, 5, 1], 0))
    _, cells = batched_plane_cells(net, max_regions=None, progress=False)
    assert (len(cells), cells.linear_count()) == (117, 113)  # README: the whole plane of 2-5-5-5-5-1


def _with_activation(net, act):
    one = exact.ExactNet.from_layers([([[1, 0]], [0]), ([[1]], [0])], activation=act).activations[0]
    return exact.ExactNet(net.weights, net.biases, (one,) * net.n_hidden_layers)


def _cells_key(raw):
    return sorted((c.pattern, frozenset(c.verts), c.out, c.out_den) for c in raw)


@pytest.mark.parametrize("name", sorted(LINE_CASES))
@pytest.mark.parametrize("act", ["relu", "hardtanh", "abs"])
def test_traced_first_layer_equals_the_cut_one(name, act, monkeypatch):
    # the first hidden layer of regions() in a square is traced as an arrangement (from
    # 20 lines on): traced from 0 lines on against cut line by line (never traced)
    neurons = LINE_CASES[name]["neurons"]
    W, b = shallow_layers(neurons)[0]
    layers = [(W, b), ([[1] * len(neurons), [1, -1] * (len(neurons) // 2) + [0] * (len(neurons) % 2)], [0, 1]),
              ([[1, 2]], [0])]
    net = exact.ExactNet.from_layers(layers, activation=act)
    for half in LINE_CASES[name]["window"]:
        sq = square(Fraction(half).numerator, Fraction(half).denominator)
        monkeypatch.setattr(exact.layer_split, "_TRACE_FROM", 0)
        traced = _cells_key(enumerate_cells(net, *sq))
        monkeypatch.setattr(exact.layer_split, "_TRACE_FROM", 10**9)
        assert traced == _cells_key(enumerate_cells(net, *sq))


def test_chunks_cover_every_item_once():
    for sizes in ([3, 3, 3, 3, 3], [10, 1, 1], [0, 0, 0], [1] * 100, [5]):
        for budget in (1, 2, 6, 1000):
            parts = blocks.chunks(np.array(sizes), budget)
            assert [i for lo, hi in parts for i in range(lo, hi)] == list(range(len(sizes)))
            assert all(sum(sizes[lo:hi]) <= budget + max(sizes) for lo, hi in parts)
    assert blocks.chunks(np.zeros(0, int), 5) == []


@pytest.mark.parametrize("value, expected", [("2GB", 2 * 10**9), ("1.5 GiB", 3 * 2**29), ("500M", 5 * 10**8),
                                             (10**9, 10**9), (2e9, 2 * 10**9), (None, None)])
def test_max_memory_values(value, expected):
    assert check_max_memory(value) == expected


@pytest.mark.parametrize("bad, error", [(0, InputError), (-5, InputError), (2.5, InputError),
                                        (float("nan"), InputError), ("lots", InputError), ("3 parsecs", InputError),
                                        (True, InputTypeError), ([1], InputTypeError)])
def test_max_memory_is_checked_the_same_way_everywhere(bad, error):
    msg = re.escape(f", got {bad!r}")
    for f in (exact.count_regions, exact.regions):
        with pytest.raises(error, match=msg):
            f([([[1.0, 0.0]], [0.0]), ([[1.0]], [0.0])], window=1, max_memory=bad)


def test_default_max_memory_is_half_the_available_memory():
    avail = available_memory()
    auto = check_max_memory("auto")
    if avail is None:
        assert auto is None
    else:
        assert abs(auto - avail // 2) < 0.2 * avail  # the machine is shared: it moves a little


def test_format_bytes():
    assert [format_bytes(n) for n in (512, 2048, 3.2e6, 1.5e9, 2e12)] == [
        "512 bytes", "2.05 kB", "3.2 MB", "1.5 GB", "2 TB"]


def test_exact_whole_plane_path_has_the_running_memory_guard():
    """The exact whole-plane enumeration (the fallback when floats cannot decide) stops at
    max_memory instead of running unguarded (it did before: issue 13's last gap)."""
    from fractions import Fraction

    from exact.errors import ResourceLimitError
    from exact.loading import as_exact_net
    from exact.whole_plane import whole_plane_cells
    from numeric import seeded_mlp

    net = as_exact_net(seeded_mlp([2, 100, 2, 1], seed=0))
    half, cells = whole_plane_cells(net, max_regions=None, progress=False, start=Fraction(64))
    assert len(cells) == 5194  # the guard looks every 1024 cells
    with pytest.raises(ResourceLimitError, match="max_memory"):
        whole_plane_cells(net, max_regions=None, progress=False, start=Fraction(64), max_memory=500_000)

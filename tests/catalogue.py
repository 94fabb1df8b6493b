"""Named test cases, each with expected values derived by hand (not by the code under test).

A line case is a list of neurons ``(w1, w2, b)`` of a shallow 2->n->1 ReLU net (output
weights all 1 unless stated); ``plane`` is the whole-plane activation-region count and
``window`` maps a half-width ``B`` to the count in ``[-B, B]^2``.
"""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np

f32 = np.float32

LINE_CASES = {
    # x = 1/3, y = 1/3, x + y = 2/3 meet exactly at the non-dyadic point (1/3, 1/3):
    # 3 lines, one triple point -> 1 + 3 + (3 - 1) = 6
    "concurrent_non_dyadic": dict(
        neurons=[(3, 0, -1), (0, 3, -1), (3, 3, -2)], plane=6, window={1: 6, F(1, 4): 1}
    ),
    # the same with Fractions given directly
    "concurrent_fractions": dict(
        neurons=[(F(1), F(0), F(-1, 3)), (F(0), F(1), F(-1, 3)), (F(1), F(1), F(-2, 3))],
        plane=6,
        window={1: 6},
    ),
    # third line moved by 1e-12: a tiny triangle of area ~1e-25 appears: 1 + 3 + 3 = 7
    "near_concurrent_1e-12": dict(
        neurons=[(3.0, 0.0, -1.0), (0.0, 3.0, -1.0), (3.0, 3.0, -2.0 + 1e-12)],
        plane=7,
        window={1: 7},
    ),
    # float32 x = 0.1f, y = 0.2f, x + y = 0.3f: 0.1f + 0.2f != 0.3f exactly -> 7
    "float32_point1_point2_point3": dict(
        neurons=[(f32(1), f32(0), -f32(0.1)), (f32(0), f32(1), -f32(0.2)), (f32(1), f32(1), -f32(0.3))],
        plane=7,
        window={1: 7},
    ),
    # in float64 too, 0.1 + 0.2 != 0.3
    "float64_point1_point2_point3": dict(
        neurons=[(1.0, 0.0, -0.1), (0.0, 1.0, -0.2), (1.0, 1.0, -0.3)], plane=7, window={1: 7}
    ),
    # but x = 0.5, y = 0.25, x + y = 0.75 are exactly concurrent in binary -> 6
    "dyadic_concurrent": dict(
        neurons=[(1.0, 0.0, -0.5), (0.0, 1.0, -0.25), (1.0, 1.0, -0.75)], plane=6, window={1: 6}
    ),
    # 3 vertical + 2 horizontal parallel lines: (3 + 1) * (2 + 1) = 12
    "parallel_families": dict(
        neurons=[(1, 0, -1), (1, 0, 0), (1, 0, 1), (0, 1, 0), (0, 1, -2)],
        plane=12,
        window={3: 12, F(3, 2): 8, F(1, 2): 4},
    ),
    # one line given 4 times: itself, scaled by 2.5, negated, scaled by -2**-10 -> 2
    "duplicates_scaled_negated": dict(
        neurons=[(1.0, 2.0, 3.0), (2.5, 5.0, 7.5), (-1.0, -2.0, -3.0), (-(2**-10), -2 * 2**-10, -3 * 2**-10)],
        plane=2,
        window={10: 2, 1: 1},
    ),
    # w = 0 neurons draw no line; one real line remains -> 2
    "zero_weights": dict(neurons=[(0.0, 0.0, 1.0), (0.0, 0.0, -1.0), (1.0, 0.0, 0.0)], plane=2, window={1: 2}),
    # 4 distinct lines through the origin: 2 * 4 = 8 sectors
    "pencil_through_origin": dict(
        neurons=[(1, 0, 0), (0, 1, 0), (1, 1, 0), (1, -1, 0)], plane=8, window={F(1, 1000): 8}
    ),
    # a line along the window edge x = 1 does not cut the window [-1, 1]^2
    "line_on_window_edge": dict(neurons=[(1, 0, -1), (0, 1, 0)], plane=4, window={1: 2, 2: 4}),
    # two lines crossing exactly on the window's boundary (1, 0): no interior crossing
    "crossing_on_boundary": dict(neurons=[(1, 1, -1), (1, -1, -1)], plane=4, window={1: 3, 2: 4}),
}


def shallow_layers(neurons, out=None):
    """The (W, b) layers of the 2->n->1 net of a line case (keeps the numeric types)."""
    W = [[w1, w2] for w1, w2, _ in neurons]
    b = [bb for _, _, bb in neurons]
    v = out if out is not None else [1] * len(neurons)
    return [(W, b), ([v], [0])]


def seeded_torch(widths, seed=0):
    """torch.manual_seed(seed), nn.Linear layers created in order, ReLU between."""
    import torch
    from torch import nn

    torch.manual_seed(seed)
    mods = []
    for a, b in zip(widths[:-2], widths[1:-1]):
        mods += [nn.Linear(a, b), nn.ReLU()]
    mods.append(nn.Linear(widths[-2], widths[-1]))
    return nn.Sequential(*mods)


def scaled_random_nets(seed, count, max_hidden=5):
    """``count`` random ``(layers, activation, half)``: rows scaled from 1e-6 to 1e6, some
    weights rounded through float32, 2 to ``max_hidden`` hidden layers of width 2 to 5,
    windows of half-width 0.01 to 1000 (stress cases for the certified float paths)."""
    rng = np.random.default_rng(seed)
    for _ in range(count):
        widths = [2] + [int(rng.integers(2, 6)) for _ in range(int(rng.integers(2, max_hidden + 1)))] + [1]
        layers = []
        for a, b in zip(widths[:-1], widths[1:]):
            scale = 10.0 ** rng.uniform(-6, 6, size=(b, 1))
            W = rng.standard_normal((b, a)) * scale
            if rng.random() < 0.3:
                W = W.astype(np.float32).astype(np.float64)
            layers.append((W, rng.standard_normal(b) * scale[:, 0] * rng.uniform(0, 3)))
        act = str(rng.choice(["relu", "abs", "hardtanh", "leaky_relu"]))
        yield layers, act, F(float(10.0 ** rng.uniform(-2, 3)))


# the benchmark nets in [-10, 10]^2 (counts measured by an independent exact method)
BENCHMARK_NETS = {
    "2-20-1": ([2, 20, 1], 197, 197),
    "2-100-1": ([2, 100, 1], 4667, 4667),
    "2-5-5-5-5-1": ([2, 5, 5, 5, 5, 1], 81, 77),
    "2-32-32-32-1": ([2, 32, 32, 32, 1], 4705, None),
}

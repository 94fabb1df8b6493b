"""Regions of a 3-D input network on a 2-D slice: the plane through three points.

Run: python examples/slice_of_3d_net.py [out.png]
"""

import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch
from torch import nn

import exact

torch.manual_seed(1)
model = nn.Sequential(nn.Linear(3, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 1))

# the plane x = x0 + u (x1 - x0) + v (x2 - x0), here the tilted plane through three points
x0, x1, x2 = [0.0, 0.0, 0.5], [1.0, 0.0, 0.0], [0.0, 1.0, 1.0]
r = exact.regions(model, window=2.0, plane=(x0, x1, x2))
print(f"slice: {r.n_activation} activation regions, {r.n_linear} linear regions in (u, v) in [-2, 2]^2")

fig, ax = plt.subplots(figsize=(6, 6))
r.plot(ax=ax)
ax.set_xlabel("u")
ax.set_ylabel("v")
out = sys.argv[1] if len(sys.argv) > 1 else "slice.png"
fig.savefig(out, dpi=120)
print("wrote", out)

"""Regions of a small net during training, counted for every checkpoint and drawn with stable colours.

color="pattern" colours a cell by a hash of its activation pattern: a region that survives a
training step keeps its colour. Run: python examples/regions_during_training.py [out.png]
"""

import copy
import sys

import matplotlib.pyplot as plt
import torch
from torch import nn

import exact

torch.manual_seed(0)
X = torch.rand(512, 2) * 4 - 2
y = torch.sin(2 * X[:, :1]) * torch.cos(2 * X[:, 1:])  # a wavy target on [-2, 2]^2
net = nn.Sequential(nn.Linear(2, 12), nn.ReLU(), nn.Linear(12, 12), nn.ReLU(), nn.Linear(12, 1))
opt, checkpoints = torch.optim.Adam(net.parameters(), lr=0.01), {}
for step in range(401):
    if step % 50 == 0:
        checkpoints[step] = copy.deepcopy(net)
    opt.zero_grad()
    nn.functional.mse_loss(net(X), y).backward()
    opt.step()
counts = exact.count_many(list(checkpoints.values()), window=2)  # jobs=2 needs a __main__ guard
for step, c in zip(checkpoints, counts):
    print(f"step {step:3d}: {c.activation:4d} activation regions, {c.linear:4d} linear regions")
shown = [0, 200, 400]
fig, axes = plt.subplots(1, 3, figsize=(14, 4.8), layout="constrained")
for ax, step in zip(axes, shown):
    r = exact.regions(checkpoints[step], window=2)
    r.plot(ax=ax, color="pattern", legend=step == shown[-1])
    ax.set_title(f"step {step}: {r.n_activation} regions")
a, b = ({c.pattern for c in exact.regions(checkpoints[s], window=2)} for s in shown[1:])
print(f"steps {shown[1]} -> {shown[2]}: {len(a & b)} activation patterns (and their colours) kept")
out = sys.argv[1] if len(sys.argv) > 1 else "regions_during_training.png"
fig.savefig(out, dpi=110, bbox_inches="tight")
print("wrote", out)

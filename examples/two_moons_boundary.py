"""The exact decision boundary of a classifier trained on two moons: segments with rational endpoints.

Run: python examples/two_moons_boundary.py [out.png]
"""

import sys

import matplotlib.pyplot as plt
import torch
from torch import nn

import exact

g = torch.Generator().manual_seed(0)  # two interleaved half circles, with noise (no download)
t, upper = torch.rand(400, generator=g) * torch.pi, torch.rand(400, generator=g) < 0.5
X = torch.stack([torch.where(upper, torch.cos(t), 1 - torch.cos(t)),
                 torch.where(upper, torch.sin(t), 0.5 - torch.sin(t))], 1)
X = X + 0.1 * torch.randn(400, 2, generator=g)
y = upper.long()
torch.manual_seed(0)
net = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 2))
opt = torch.optim.Adam(net.parameters(), lr=0.02)
for _ in range(300):  # full batch: a second on a CPU
    opt.zero_grad()
    nn.functional.cross_entropy(net(X), y).backward()
    opt.step()
print(f"training accuracy {(net(X).argmax(1) == y).float().mean():.2f}")
r = exact.regions(net, window=(-1.5, 2.5, -1.0, 1.5))
db = r.decision_boundary()
ends = [p for seg in db.segments for p in seg]
assert all(len(set(r.net.evaluate(p))) == 1 for p in ends)  # f_0 = f_1 exactly at every endpoint
print(f"{r.n_activation} activation regions, {r.n_linear} linear regions; "
      f"decision boundary: {len(db.segments)} exact segments, {len(ends)} endpoints checked")
fig, ax = plt.subplots(figsize=(7, 5))
r.plot(ax=ax, color="output", decision_boundary=True)
ax.scatter(X[:, 0], X[:, 1], c=y, s=6, cmap="coolwarm", edgecolors="none")
out = sys.argv[1] if len(sys.argv) > 1 else "two_moons_boundary.png"
fig.savefig(out, dpi=120, bbox_inches="tight")
print("wrote", out)

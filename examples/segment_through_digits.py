"""Exact pieces of a digit classifier along the straight path from one 8x8 image to another.

count_on_segment works in any input width (here 64 pixels), with exact rational breakpoints t;
dense float sampling finds at most as many pieces. Needs scikit-learn (pip install -e ".[examples]").
"""

import sys

import matplotlib.pyplot as plt
import torch
from sklearn.datasets import load_digits  # ships with scikit-learn: no download
from torch import nn

import exact

X, y = load_digits(return_X_y=True)
X, y = torch.tensor(X / 16, dtype=torch.float64), torch.tensor(y)
torch.manual_seed(0)
net = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10)).double()
opt = torch.optim.Adam(net.parameters(), lr=0.01)
for _ in range(100):  # full batch: a second or two on a CPU
    opt.zero_grad()
    nn.functional.cross_entropy(net(X), y).backward()
    opt.step()
print(f"training accuracy {(net(X).argmax(1) == y).float().mean():.2f}")
a, b = X[int((y == 3).nonzero()[0])], X[int((y == 8).nonzero()[0])]  # the first 3 and the first 8
s = exact.count_on_segment(net, a, b)
print(f"3 -> 8: {s.activation} activation pieces, {s.linear} linear pieces (exact)")
t = torch.linspace(0, 1, 100_001, dtype=torch.float64)[:, None]
with torch.no_grad():  # the hidden ReLUs' on/off pattern at each sample: a lower bound of the pieces
    h1 = net[0](a + t * (b - a))
    pats = torch.cat([h1 > 0, net[2](net[1](h1)) > 0], 1)
print(f"100 001 float samples see {int((pats[1:] != pats[:-1]).any(1).sum()) + 1} of them")
fig, ax = plt.subplots(figsize=(8, 3), layout="constrained")
ax.plot(t[:, 0], net(a + t * (b - a)).detach())
ax.vlines([float(v) for v in s.breakpoints.activation], *ax.get_ylim(), colors="0.7", linewidths=0.5)
ax.set(xlabel="t  (image = 3 + t (8 - 3))", ylabel="logits", title="exact breakpoints in grey")
out = sys.argv[1] if len(sys.argv) > 1 else "segment_through_digits.png"
fig.savefig(out, dpi=120)
print("wrote", out)

"""A small conv net on scikit-learn's 8x8 digits, sliced exactly through three digit images.

Conv2d, BatchNorm2d (folded as torch computes it), AvgPool2d, Flatten: exact maps of the 64 pixels.
Needs scikit-learn (pip install -e ".[examples]"). Run: python examples/conv_digits.py [out.png]
"""

import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch
from sklearn.datasets import load_digits  # ships with scikit-learn: no download
from torch import nn

import exact

X, y = load_digits(return_X_y=True)
X, y = torch.tensor(X / 16, dtype=torch.float32), torch.tensor(y)  # 1797 images of 64 pixels
torch.manual_seed(0)
net = nn.Sequential(nn.Unflatten(1, (1, 8, 8)), nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3), nn.ReLU(),  # 108 ReLUs
                    nn.AvgPool2d(2), nn.Flatten(), nn.Linear(27, 16), nn.ReLU(), nn.Linear(16, 10))
opt = torch.optim.Adam(net.parameters(), lr=0.02)
for _ in range(60):  # full-batch training: a few seconds on a CPU
    opt.zero_grad()
    nn.functional.cross_entropy(net(X), y).backward()
    opt.step()
net.eval()
print(f"training accuracy {(net(X).argmax(1) == y).float().mean():.2f}")
digits = [int((y == d).nonzero()[0]) for d in (0, 1, 2)]  # the first 0, 1 and 2: at (0,0), (1,0), (0,1)
r = exact.regions(net, plane=[X[i] for i in digits], window=1.5)
print(f"plane through digits 0, 1, 2: {r.n_activation} activation regions, {r.n_linear} linear regions")
fig, ax = plt.subplots(figsize=(6, 6))
r.plot(ax=ax, color="output", mark_points=True)  # the three digits at (0, 0), (1, 0), (0, 1)
out = sys.argv[1] if len(sys.argv) > 1 else "conv_digits.png"
fig.savefig(out, dpi=120, bbox_inches="tight")  # the legend sits below the axes
print("wrote", out)

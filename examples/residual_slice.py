"""A residual MLP (5-D input, two blocks x + g(x)) sliced exactly through three data points.

Run: python examples/residual_slice.py [out.png]
"""
import sys

import matplotlib

matplotlib.use("Agg")
import torch
from torch import nn

import exact


class ResMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.inp, self.out = nn.Linear(5, 6), nn.Linear(6, 1)
        self.blocks = nn.ModuleList(nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 6)) for _ in "ab")

    def forward(self, x):
        x = self.inp(x)
        for block in self.blocks:
            x = x + block(x)  # the skip connection
        return self.out(x)


torch.manual_seed(0)
X, model = torch.randn(256, 5), ResMLP()
y, opt = (X[:, :1] * X[:, 1:2]).sign(), torch.optim.Adam(model.parameters(), lr=0.01)
for _ in range(100):
    opt.zero_grad()
    nn.functional.mse_loss(model(X), y).backward()
    opt.step()
r = exact.regions(model, window=1.5, plane=(X[0], X[1], X[2]))  # the slice through three data points
print(f"residual slice: {r.n_activation} activation regions, {r.n_linear} linear regions")
print("segment from point 0 to point 1:", exact.count_on_segment(model, X[0], X[1]).activation, "pieces")
out = sys.argv[1] if len(sys.argv) > 1 else "residual_slice.png"
r.plot(mark_points=True)[0].axes.figure.savefig(out, dpi=120)

"""Exact activation and linear regions of your own torch model, drawn and counted.

Run: python examples/exact_regions_of_your_model.py [out.png]
"""

import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch
from torch import nn

import exact

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 1))

r = exact.regions(model, window=3.0)  # weights taken at their exact float32 values
print(f"{r.n_activation} activation regions, {r.n_linear} linear regions in [-3, 3]^2")
smallest = min(c.exact_area for c in r.cells)  # an exact Fraction
print(f"smallest region area: {float(smallest):.6g} (exactly {smallest.numerator} / {smallest.denominator})")
cell = r.locate((0.5, -1.0))
print("pattern at (0.5, -1):", cell.pattern, " output map:", cell.affine)
print("whole plane:", exact.count_regions(model, window=None))

fig, ax = plt.subplots(figsize=(6, 6))
r.plot(ax=ax)
out = sys.argv[1] if len(sys.argv) > 1 else "regions.png"
fig.savefig(out, dpi=120)
print("wrote", out)

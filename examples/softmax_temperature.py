"""Softmax and lse at several inverse temperatures, numerically stable even at λ = 1e306.

Run: python examples/softmax_temperature.py [out.png]
"""

import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import numeric

sigma = np.array([1.0, 2.0, 3.0])
for lam in (0.0, 1.0, 10.0, 1e306, np.inf, -np.inf):
    p = numeric.softmax(sigma, lam=lam)
    # lse_lambda = (1/lambda) log sum exp(lambda sigma) is undefined at lambda = 0 (its limit
    # there is +inf or -inf from either side, as `exactnet prove` shows); softmax is uniform
    lse = f"{float(numeric.logsumexp(sigma, lam=lam)):.6f}" if lam != 0 else "undefined"
    # 6 significant digits (scientific notation when an entry is small), not 5 decimals, which would
    # show 2.06e-09 as 0 and 0.999955 as 0.99995 (at 1e306 the small entries, exp(-1e306), are 0.0 in floats)
    print(f"lambda={lam:>8g}  softmax={np.array2string(p, precision=6)}  lse={lse}")

fig = plt.figure(figsize=(13, 8), layout="constrained")
numeric.plot_softmax_images(lams=(1, 10, 100), axes=fig.subplots(2, 3).ravel())
out = sys.argv[1] if len(sys.argv) > 1 else "softmax.png"
fig.savefig(out, dpi=100)
print("wrote", out)

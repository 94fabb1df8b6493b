"""exactnet's numeric side: stable float lse/softmax, torch models, grid sampling, plots.

``numeric`` never imports ``exact``: it is the independent float twin that the exact
results are cross-checked against.

Examples
--------
>>> import numeric
>>> numeric.seeded_mlp([2, 20, 1]).fc0.weight.shape
torch.Size([20, 2])
"""

from .models import Abs, MLPDeep, MLPShallow, layers_of, make_activation, seeded_mlp

__all__ = ["Abs", "MLPDeep", "MLPShallow", "layers_of", "make_activation", "seeded_mlp"]

__version__ = "0.1.0"

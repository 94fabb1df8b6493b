"""exactnet's numeric side: stable float lse/softmax, torch models, grid sampling, plots.

``numeric`` never imports ``exact``: it is the independent float twin that the exact
results are cross-checked against.  torch and matplotlib load only when a function
that needs them is first used.

Examples
--------
>>> import numpy as np, numeric
>>> float(numeric.logsumexp(np.array([1000.0, 1.0]), lam=1e306))
1000.0
>>> numeric.seeded_mlp([2, 20, 1]).fc0.weight.shape
torch.Size([20, 2])
"""

from importlib import import_module

from .stable_lse import log_softmax, logsumexp, softmax

_LAZY = {
    "Abs": "models", "MLPDeep": "models", "MLPShallow": "models", "layers_of": "models",
    "make_activation": "models", "seeded_mlp": "models",
    "DEFAULT_WINDOW": "sampling",
    "GridPatterns": "sampling", "evaluate_grid": "sampling", "grid_patterns": "sampling",
    "grid_points": "sampling", "pixel_centres": "sampling", "hidden_preactivations": "sampling",
    "plot_lse_contours": "plots", "plot_softmax_images": "plots", "plot_model_images": "plots",
    "plot_pattern_image": "plots",
}

__all__ = ["log_softmax", "logsumexp", "softmax", *sorted(_LAZY)]

__version__ = "0.1.0"


def __getattr__(name):
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'numeric' has no attribute {name!r}")


def __dir__() -> list[str]:
    """Return the names loaded so far and the lazy public ones (what tab completion offers)."""
    return sorted(set(globals()) | set(__all__))

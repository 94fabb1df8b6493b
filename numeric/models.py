"""Torch MLPs of the exercise sheet: shallow (2->n->1) and deep, any widths.

Layers are created in forward order, so ``torch.manual_seed(s)`` followed by a model
constructor gives the same weights as ``nn.Sequential`` of the same ``nn.Linear``
layers created in that order.

Examples
--------
>>> m = seeded_mlp([2, 20, 1], seed=0)
>>> sum(p.numel() for p in m.parameters())
81
>>> [tuple(W.shape) for W, b in layers_of(m)]
[(20, 2), (1, 20)]
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

__all__ = ["Abs", "MLPShallow", "MLPDeep", "make_activation", "seeded_mlp", "layers_of"]


class Abs(nn.Module):
    """The absolute value as an activation module (torch has none).

    Examples
    --------
    >>> Abs()(torch.tensor([-2.0, 3.0]))
    tensor([2., 3.])
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return ``|x|`` elementwise.

        Parameters
        ----------
        x : torch.Tensor
            Any shape.

        Returns
        -------
        torch.Tensor
            The same shape and dtype.
        """
        return x.abs()


def make_activation(name: str, *params: float) -> nn.Module:
    """Build a torch activation module by name: relu, abs, leaky_relu(slope), hardtanh(min, max).

    Parameters
    ----------
    name : str
        ``"relu"``, ``"abs"``, ``"leaky_relu"`` or ``"hardtanh"`` (any case).
    *params : float
        Passed to the module: the negative slope of leaky_relu (default 0.01), the
        ``min_val, max_val`` of hardtanh (default -1, 1); relu and abs take none.

    Returns
    -------
    torch.nn.Module
        A fresh module (one per position in a network).

    Raises
    ------
    ValueError
        For any other name.

    Examples
    --------
    >>> make_activation("leaky_relu", 0.1)
    LeakyReLU(negative_slope=0.1)
    >>> make_activation("gelu")
    Traceback (most recent call last):
    ...
    ValueError: activation must be one of relu, abs, leaky_relu, hardtanh; got 'gelu'
    """
    key = str(name).lower()
    if key == "relu":
        return nn.ReLU()
    if key == "abs":
        return Abs()
    if key == "leaky_relu":
        return nn.LeakyReLU(*params) if params else nn.LeakyReLU()
    if key == "hardtanh":
        return nn.Hardtanh(*params)
    raise ValueError(f"activation must be one of relu, abs, leaky_relu, hardtanh; got {name!r}")


class MLPShallow(nn.Sequential):
    """``input -> hidden -> output`` with one activation (the sheet's shallow net).

    An ``nn.Sequential`` (``fc0``, ``act``, ``fc1``), so :func:`exact.as_exact_net` reads it
    child by child instead of tracing ``forward``.

    Parameters
    ----------
    input_size, hidden_size, output_size : int
        The three widths, each a positive integer.
    activation : str
        relu (default), abs, leaky_relu or hardtanh (see :func:`make_activation`).

    Raises
    ------
    ValueError
        If a width is not a positive integer, or for an unknown activation.

    Examples
    --------
    >>> MLPShallow(2, 3, 1)
    MLPShallow(
      (fc0): Linear(in_features=2, out_features=3, bias=True)
      (act): ReLU()
      (fc1): Linear(in_features=3, out_features=1, bias=True)
    )
    """

    def __init__(self, input_size: int, hidden_size: int, output_size: int, activation: str = "relu"):
        for name, v in (("input_size", input_size), ("hidden_size", hidden_size),
                        ("output_size", output_size)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        fc0 = nn.Linear(input_size, hidden_size)
        fc1 = nn.Linear(hidden_size, output_size)
        super().__init__(OrderedDict([("fc0", fc0), ("act", make_activation(activation)), ("fc1", fc1)]))


class MLPDeep(nn.Sequential):
    """``input -> hidden_1 -> ... -> hidden_k -> output`` (the sheet's deep net: 4 x 5).

    An ``nn.Sequential`` of ``Linear, activation, ..., Linear`` (layers created in forward
    order); :attr:`layers` lists the ``Linear`` layers.

    Parameters
    ----------
    input_size : int
        Width of the input, a positive integer.
    hidden_sizes : int or sequence of int
        Width of each hidden layer; an int means ``n_hidden`` layers of that width.
    output_size : int
        Width of the output, a positive integer.
    n_hidden : int, default 4
        Number of hidden layers when ``hidden_sizes`` is an int.
    activation : str
        relu (default), abs, leaky_relu or hardtanh (see :func:`make_activation`).

    Raises
    ------
    ValueError
        If a width is not a positive integer, or for an unknown activation.

    Examples
    --------
    >>> m = MLPDeep(2, [4, 3], 1)
    >>> [l.out_features for l in m.layers], type(m[1]).__name__
    ([4, 3, 1], 'ReLU')
    """

    def __init__(self, input_size: int, hidden_sizes: int | Sequence[int], output_size: int,
                 n_hidden: int = 4, activation: str = "relu"):
        hs = [hidden_sizes] * n_hidden if isinstance(hidden_sizes, int) else list(hidden_sizes)
        widths = [input_size, *hs, output_size]
        for i, v in enumerate(widths):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"width {i} must be a positive integer, got {v!r} in {widths}")
        mods: list[nn.Module] = []
        for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
            if i:
                mods.append(make_activation(activation))  # one module per position
            mods.append(nn.Linear(a, b))
        super().__init__(*mods)

    @property
    def layers(self) -> list[nn.Linear]:
        """The ``Linear`` layers in forward order (the last is the output layer)."""
        return [m for m in self if isinstance(m, nn.Linear)]


def seeded_mlp(widths: Sequence[int], seed: int = 0, activation: str = "relu") -> nn.Module:
    """Build the benchmark nets: ``torch.manual_seed(seed)``, default init, layers in order.

    Parameters
    ----------
    widths : sequence of int
        ``[input, hidden_1, ..., hidden_k, output]``, at least three widths.
    seed : int, default 0
        Passed to ``torch.manual_seed`` (this resets torch's global generator).
    activation : str, default "relu"
        See :func:`make_activation`.

    Returns
    -------
    MLPShallow or MLPDeep
        :class:`MLPShallow` for three widths, :class:`MLPDeep` otherwise, in torch's default
        dtype (float32).

    Raises
    ------
    ValueError
        For fewer than three widths, a width that is not a positive integer, a seed outside
        ``[-2**63, 2**64 - 1]`` or an unknown activation.
    TypeError
        If ``seed`` is not an integer, or ``widths`` not a sequence.

    Examples
    --------
    >>> seeded_mlp([2, 5, 5, 5, 5, 1]).layers[0].weight.shape
    torch.Size([5, 2])
    >>> bool((seeded_mlp([2, 3, 1], seed=1).fc0.weight == seeded_mlp([2, 3, 1], seed=1).fc0.weight).all())
    True
    >>> seeded_mlp([2, 1])
    Traceback (most recent call last):
    ...
    ValueError: widths needs input, at least one hidden and output width, got [2, 1]
    """
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an integer, got {type(seed).__name__} {seed!r}")
    if not -2**63 <= int(seed) <= 2**64 - 1:
        raise ValueError(f"seed must be in [-2**63, 2**64 - 1] (torch.manual_seed's range), got {seed!r}")
    if isinstance(widths, (str, bytes)) or not isinstance(widths, Sequence) and not hasattr(widths, "tolist"):
        raise TypeError(f"widths must be a sequence of integers, got {type(widths).__name__} {widths!r}")
    ws = list(widths)
    for i, v in enumerate(ws):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"widths[{i}] must be a positive integer, got {v!r} in {ws}")
    ws = [int(v) for v in ws]
    if len(ws) < 3:
        raise ValueError(f"widths needs input, at least one hidden and output width, got {ws}")
    torch.manual_seed(int(seed))
    if len(ws) == 3:
        return MLPShallow(ws[0], ws[1], ws[2], activation=activation)
    return MLPDeep(ws[0], ws[1:-1], ws[-1], activation=activation)


def layers_of(model: nn.Module) -> list[tuple[np.ndarray, np.ndarray]]:
    """Return the ``nn.Linear`` layers of a model, in registration order, as numpy ``(W, b)``.

    The arrays keep the parameters' dtype (float32 for default models), so their exact
    binary values reach the exact engine unchanged.

    Parameters
    ----------
    model : torch.nn.Module
        Any module; its ``Linear`` submodules are collected with ``model.modules()``.

    Returns
    -------
    list of (numpy.ndarray, numpy.ndarray)
        Per layer ``W`` of shape ``(out, in)`` and ``b`` of shape ``(out,)`` (zeros for a
        layer without bias), copies detached from the model.

    Raises
    ------
    ValueError
        If the model has no ``nn.Linear`` layer.

    Examples
    --------
    >>> W, b = layers_of(seeded_mlp([2, 3, 1]))[0]
    >>> W.shape, b.shape, W.dtype
    ((3, 2), (3,), dtype('float32'))
    >>> layers_of(nn.ReLU())
    Traceback (most recent call last):
    ...
    ValueError: ReLU has no nn.Linear layers
    """
    out = []
    for m in model.modules():
        if isinstance(m, nn.Linear):
            W = m.weight.detach().cpu().numpy().copy()
            b = (m.bias.detach().cpu().numpy().copy() if m.bias is not None
                 else np.zeros(W.shape[0], dtype=W.dtype))
            out.append((W, b))
    if not out:
        raise ValueError(f"{type(model).__name__} has no nn.Linear layers")
    return out

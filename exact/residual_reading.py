"""Read torch modules with skip connections ``x + g(x)`` exactly; lower them on a window, box or segment.

:func:`read_residual` reads a module into a :class:`~exact.residual_nets.ResidualNet`
(the ops of :func:`exact.torch_reading.module_ops`, each run of affine ops composed
exactly, each skip connection a :class:`~exact.residual_nets.Block`) and checks it
against the module's own forward.  :func:`lower_on_window` and :func:`lower_on_segment`
give the plain :class:`~exact.network.ExactNet` equal to it on the domain of a job
(:meth:`~exact.residual_nets.ResidualNet.lower`); :func:`exact.regions`,
:func:`exact.count_regions` and :func:`exact.count_on_segment` use them for such modules.
The whole plane (or space) is refused: the lowering needs a bounded domain.

Examples
--------
>>> import torch
>>> class Res(torch.nn.Module):
...     def __init__(self):
...         super().__init__()
...         self.fc1, self.fc2, self.out = torch.nn.Linear(2, 4), torch.nn.Linear(4, 2), torch.nn.Linear(2, 1)
...     def forward(self, x):
...         x = x + self.fc2(torch.relu(self.fc1(x)))
...         return self.out(x)
>>> _ = torch.manual_seed(0)
>>> lower_on_window(Res(), 3).widths              # 4 own neurons, 2 carrying x
(2, 6, 1)
>>> lower_on_window(Res(), None)
Traceback (most recent call last):
...
exact.errors.InputError: Res has skip connections x + g(x): they are analysed exactly in a bounded window, ...
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .array_input import to_vector
from .errors import InputError
from .float_rounding import round_or_inf
from .forward_check import compare_forward
from .graph_ops import Op
from .module_wrappers import deparametrized_copy
from .nd.box_window import check_box
from .network import ExactNet
from .residual_nets import AffineStage, Block, Lowering, ResidualNet
from .scalar_ops import shape_ahead
from .sparse_affine import SparseAffine
from .state_dicts import check_architecture
from .torch_reading import module_ops
from .windows import ConvexWindow, convex_window
from .wording import counted

__all__ = ["lower_on_segment", "lower_on_window", "lowering_on_window", "read_residual"]

_WHOLE_PLANE = ("{name} has skip connections x + g(x): they are analysed exactly in a bounded window, "
                "where extra neurons carry x past g's hidden layers without ever bending "
                "(exact.residual_nets); the whole {where} (window=None) has no bound for them. Give a "
                "window: a half-width B{box}")


def read_residual(module: Any, input_shape: Sequence[int] | None = None) -> ResidualNet:
    """Read a torch module with skip connections ``x + g(x)`` into an exact :class:`ResidualNet`.

    Parameters
    ----------
    module : torch.nn.Module
        Affine layers, activations and skip connections ``v + g(v)`` (``g`` a chain of
        supported ops read from ``v``, with 0, 1 or more activations, possibly holding
        skip connections itself); everything :func:`exact.from_torch` reads.
    input_shape : sequence of int, optional
        As in :func:`exact.from_torch`.

    Returns
    -------
    ResidualNet
        On the flattened input; checked against the module's own forward as
        :func:`exact.forward_check.check_forward` checks a plain net (float64, 320 points at
        five scales, more on smaller scales where the rounding bound overflows, tolerance the
        rounding bound of both computations).  A parametrized module is read, and checked, as
        its plain copy (:func:`exact.module_wrappers.deparametrized_copy`); the module is not
        changed.

    Raises
    ------
    UnsupportedActivationError
        An operation that is not supported; a join of two values that is no skip
        connection (named by its fx node).
    InputError
        As :func:`exact.from_torch`; a skip connection adding values of different shapes;
        an output of several axes; a forward that disagrees with the network read, or that
        cannot be checked (:func:`exact.forward_check.compare_forward`).

    Examples
    --------
    >>> import torch.nn as nn
    >>> read_residual(nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)))
    ResidualNet(input_dim=2, output_dim=1, stages=3)
    """
    source = deparametrized_copy(module)  # parametrized: read and checked on a plain copy; module untouched
    ops, shape, _ = module_ops(source, input_shape)
    first: list[tuple[int, ...] | None] = [shape]
    stages, _, out = _stages(ops, shape, first)
    name = type(module).__name__
    if first[0] is None or not _has_affine(stages):
        raise InputError(f"{name} has no affine layers (Linear, Conv, ...) before its output")
    if len(out) != 1:
        raise InputError(f"the output of {name} has shape {out} per sample; a network's output must be one "
                         "vector per sample: end it with nn.Flatten()")
    net = ResidualNet(stages, math.prod(first[0]))
    compare_forward(source, _float_forward(net, name), _first_layer(net), input_shape=first[0], name=name)
    return net


def _float_forward(net: ResidualNet, name: str) -> Callable[[np.ndarray], tuple[np.ndarray, np.ndarray, int]]:
    """Return ``net.float_forward``, refusing (not raising OverflowError) a weight beyond float64's range."""
    def forward(X: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
        try:
            return net.float_forward(X)
        except OverflowError:  # a weight (of affine layers composed exactly) that no float64 holds
            raise InputError(f"could not check the reading of {name} against its forward: a weight of the "
                             "network read (its runs of affine layers composed exactly) exceeds the float64 "
                             "range, so no point can be compared in float64 within a rounding bound; scale "
                             "the weights down") from None
    return forward


def _has_affine(stages: Sequence[Any]) -> bool:
    """Tell whether ``stages`` hold an affine stage, inside skip blocks too."""
    return any(isinstance(s, AffineStage) or (isinstance(s, Block) and _has_affine(s.body)) for s in stages)


def _stages(ops: list[Op], shape: tuple[int, ...] | None, first: list
            ) -> tuple[list, tuple[int, ...] | None, tuple[int, ...] | None]:
    """Read the stages of ``ops`` on ``shape``: (stages, shape read, shape out); sets ``first[0]``."""
    stages: list = []
    run: list[Any] = []
    start = shape
    for i, op in enumerate(ops):
        if op.kind in ("act", "residual") and run:
            stages.append(_composed(run))
            run = []
        if op.kind == "act":
            stages.append(op.value)
        elif op.kind == "residual":
            body, seen, out = _stages(op.value, shape, first)
            if shape is None:  # the skip starts at the input, whose shape g's first layer tells
                shape = start = seen  # (None still for x + x on a flat input of unknown length)
            if out != shape:
                raise InputError(f"{op.label} adds values of shapes {shape} and {out} per sample; a skip "
                                 "connection x + g(x) needs g to keep x's shape (no broadcasting)")
            stages.append(Block(tuple(body)))
        else:
            if shape is None and op.first_shape is None and op.kind == "affine":
                shape = start = shape_ahead(ops, i)  # a scaling of the input: the first layer's shape
                first[0] = first[0] or shape
            if shape is None and op.first_shape is None and op.kind == "affine":
                raise InputError(f"{op.label} needs the shape of the network's input sample: begin the "
                                 "network with nn.Unflatten(1, (C, H, W)), or lower it yourself with "
                                 "exact.lower_on_window(net, window, input_shape=(C, H, W))")
            if shape is None and op.first_shape is not None:
                shape = op.first_shape
                start = start or shape
                first[0] = first[0] or shape
            if op.kind == "affine":
                part, shape = op.value(shape)
                run.append(SparseAffine.from_dense(*part) if isinstance(part, tuple) else part)
            elif shape is not None:
                shape = op.value(shape)
    if run:
        stages.append(_composed(run))
    return stages, start, shape


def _composed(run: list[SparseAffine]) -> AffineStage:
    """One stage from a run of affine maps, composed exactly; the parts' bounds kept for the forward check."""
    total = run[0]
    for f in run[1:]:
        total = f.compose(total, what="a run of affine layers")
    return AffineStage(total, tuple((f.abs_bound, f.fan_in()) for f in run))


def _first_layer(net: ResidualNet) -> tuple[np.ndarray, np.ndarray]:
    """Return the float weights and biases of the first stage if it is affine, else empty arrays."""
    first = net.stages[0] if net.stages and isinstance(net.stages[0], AffineStage) else None
    if first is None:
        return np.zeros((0, net.input_dim)), np.zeros(0)
    f = first.map
    W = np.zeros(f.shape)
    W[f.rows, f.cols] = [round_or_inf(int(v), int(f.den)) for v in f.nums.tolist()]
    return W, np.array([round_or_inf(int(v), int(f.den)) for v in f.bias.tolist()])  # huge: +-inf


def lower_on_window(net: Any, window: Any, *, plane: Sequence[Any] | None = None, activation: Any = None,
                    input_shape: Sequence[int] | None = None) -> ExactNet:
    """Lower a residual network to the plain :class:`ExactNet` equal to it on a window, exactly.

    Parameters
    ----------
    net : torch.nn.Module or ResidualNet
        A network with skip connections (:func:`read_residual`).
    window : float, Fraction, (xmin, xmax, ymin, ymax), sequence of (x, y), or a box
        For 2-D input (or with ``plane``): a window as :func:`exact.regions` takes it; the
        lowering holds on its bounding box.  Other input widths: a box as
        :func:`exact.nd.check_box` reads it.  ``None`` (the whole plane) is refused.
    plane : (x0, x1, x2), optional
        Restrict to the plane through three points first (the window is then in ``(u, v)``).
    activation : str or list, optional
        If given, the activation(s) the net must have (checked, as :func:`exact.as_exact_net`).
    input_shape : sequence of int, optional
        As in :func:`exact.from_torch`.

    Returns
    -------
    ExactNet
        Each hidden layer inside a skip block: its own neurons, then the pass-through
        neurons (constant pattern bits in the window; :mod:`exact.residual_nets`).

    Raises
    ------
    InputError
        ``window=None``; a bad window, box or plane; a module that cannot be read
        (:func:`read_residual`); ``activation`` that disagrees.

    Examples
    --------
    >>> import torch.nn as nn
    >>> lower_on_window(nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 1)), 1,
    ...                 plane=([0, 0, 0], [1, 0, 0], [0, 1, 0])).widths
    (2, 2, 1)
    """
    return lowering_on_window(net, window, plane=plane, activation=activation, input_shape=input_shape).net


def lowering_on_window(net: Any, window: Any, *, plane: Sequence[Any] | None = None, activation: Any = None,
                       input_shape: Sequence[int] | None = None) -> Lowering:
    """Lower as :func:`lower_on_window` does, and say which hidden neurons are the net's own.

    Parameters
    ----------
    net, window, plane, activation, input_shape
        As in :func:`lower_on_window`.

    Returns
    -------
    Lowering
        ``net``: the plain net; ``own``: per hidden neuron of it, False for a pass-through
        neuron (:class:`exact.regions` keeps it as ``Regions.own``).

    Raises
    ------
    InputError
        As :func:`lower_on_window`.

    Examples
    --------
    >>> import torch
    >>> class Skip(torch.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.a, self.b = torch.nn.Linear(2, 3), torch.nn.Linear(3, 2)
    ...     def forward(self, x):
    ...         return x + self.b(torch.relu(self.a(x)))
    >>> lowering_on_window(Skip(), 2).own          # three own neurons, two carrying x
    (True, True, True, False, False)
    """
    rnet = net if isinstance(net, ResidualNet) else read_residual(net, input_shape)
    dim = 2 if plane is not None else rnet.input_dim
    name = type(net).__name__
    infinite = isinstance(window, (int, float)) and not isinstance(window, bool) and math.isinf(window)
    if window is None or infinite or (isinstance(window, str) and window.strip().lower() in ("plane", "none",
                                                                                               "inf")):
        where = "plane" if dim == 2 else "space"
        box = (", a rectangle (xmin, xmax, ymin, ymax) or a convex polygon" if dim == 2
               else f", or one (lo, hi) per axis of the {dim}-D box")
        raise InputError(_WHOLE_PLANE.format(name=name, where=where, box=box))
    if plane is not None:
        if isinstance(plane, (str, bytes, dict)) or not hasattr(plane, "__len__") or len(plane) != 3:
            raise InputError(f"plane must be three points (x0, x1, x2), got {plane!r:.100}")
    lo, hi = _window_box(window, dim)
    low = rnet.lower(lo, hi, plane=plane)
    return Lowering(check_architecture(low.net, activation, where=name), low.own)


def _window_box(window: Any, dim: int) -> tuple[tuple, tuple]:
    """Return the bounding box of a window (2-D: also a convex polygon) or of a box (any width)."""
    if dim == 2 and isinstance(window, ConvexWindow):
        x0, x1, y0, y1 = window.bounds
        return (x0, y0), (x1, y1)
    items = np.asarray(window, dtype=object) if isinstance(window, (list, tuple, np.ndarray)) else None
    if dim == 2 and items is not None and items.ndim == 2 and len(items) >= 3:  # the vertices of a polygon
        return _window_box(convex_window(window), 2)
    return check_box(window, dim)


def lower_on_segment(net: Any, a: Sequence[Any], b: Sequence[Any], *, activation: Any = None) -> ExactNet:
    """Lower a residual network to the plain :class:`ExactNet` equal to it on the segment from ``a`` to ``b``.

    The lowering holds on the segment's bounding box.

    Parameters
    ----------
    net : torch.nn.Module or ResidualNet
        A network with skip connections (:func:`read_residual`).
    a, b : sequence of real, shape (input width,)
        The end points.
    activation : str or list, optional
        As in :func:`lower_on_window`.

    Returns
    -------
    ExactNet

    Raises
    ------
    InputError
        Bad points (as :func:`exact.count_on_segment`), a module that cannot be read.

    Examples
    --------
    >>> import torch.nn as nn
    >>> m = nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 1))
    >>> lower_on_segment(m, [0, 0, 0], [1, 2, 3]).widths
    (3, 2, 1)
    """
    rnet = net if isinstance(net, ResidualNet) else read_residual(net)
    pa, pb = to_vector(a, "a"), to_vector(b, "b")
    if len(pa) != rnet.input_dim or len(pb) != rnet.input_dim:
        raise InputError(f"a and b must have {counted(rnet.input_dim, 'coordinate')} (the network's input), "
                         f"got {len(pa)} and {len(pb)}")
    lo = tuple(min(p, q) for p, q in zip(pa, pb))
    hi = tuple(max(p, q) for p, q in zip(pa, pb))
    return check_architecture(rnet.lower(lo, hi).net, activation, where=type(net).__name__)


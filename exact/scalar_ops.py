"""Elementwise steps of a traced forward with a constant number, read as exact affine maps.

A forward often scales, shifts or squeezes its values besides its layers: an input
normalised as ``(x - 0.5) / 2``, an output ``2 * out + 1`` or ``-out``, a regression head's
``out.squeeze(-1)``.  Each such fx node becomes an affine :class:`~exact.graph_ops.Op`
``x -> a x + b`` on every entry (``a``, ``b`` the exact rationals of the constants, floats at
their binary value: ``x / 3.0`` is ``x`` times exactly ``1/3``), composed with its neighbours
exactly like any layer; ``squeeze`` of a per-sample axis of length 1 is a reshape.  A constant
is taken as Python holds it (a float64): a float32 forward rounds ``0.1`` to float32 as it
rounds every product, and the float64 forward that checks the reading uses it as read.  A step
that is not affine in the computed value (``c / x``, ``x * y``, ``x // c``) is not read here
and is refused by :func:`exact.torch_ops.node_op`.

Examples
--------
>>> import torch, exact
>>> class Net(torch.nn.Module):
...     def __init__(self):
...         super().__init__()
...         self.fc1, self.fc2 = torch.nn.Linear(2, 3), torch.nn.Linear(3, 1)
...     def forward(self, x):
...         return (2 * self.fc2(torch.relu(self.fc1((x - 0.5) / 4))) + 1).squeeze(-1)
>>> _ = torch.manual_seed(0)
>>> net = Net()
>>> exact.count_regions(net, window=10) == exact.count_regions(exact.as_exact_net(net), window=10)
True
"""

from __future__ import annotations

import functools
import math
import numbers
import operator
from fractions import Fraction
from typing import Any

from .errors import InputError, UnsupportedNetworkError
from .graph_ops import Op, is_node, node_label
from .sparse_affine import SparseAffine

__all__ = ["scalar_node_op", "shape_ahead"]

_KINDS = {"mul": "mul", "mul_": "mul", "div": "div", "div_": "div", "true_divide": "div",
          "true_divide_": "div", "neg": "neg", "neg_": "neg", "negative": "neg", "add": "add", "add_": "add",
          "sub": "sub", "sub_": "sub", "subtract": "sub", "rsub": "rsub", "squeeze": "squeeze"}
"""Method names (``x.mul(c)``) and, with the functions of :func:`_function_kinds`, what each computes."""


@functools.cache
def _function_kinds() -> dict[Any, str]:
    import torch

    return {operator.mul: "mul", operator.imul: "mul", torch.mul: "mul", torch.multiply: "mul",
            operator.truediv: "div", operator.itruediv: "div", torch.div: "div", torch.true_divide: "div",
            torch.divide: "div", operator.neg: "neg", torch.neg: "neg", torch.negative: "neg",
            operator.add: "add", operator.iadd: "add", torch.add: "add", operator.sub: "sub",
            operator.isub: "sub", torch.sub: "sub", torch.subtract: "sub", torch.rsub: "rsub",
            torch.squeeze: "squeeze"}


def scalar_node_op(node: Any) -> tuple[Op, Any] | None:
    """Read a node that scales, shifts or squeezes one computed value by constants.

    Parameters
    ----------
    node : torch.fx.Node

    Returns
    -------
    (Op, torch.fx.Node) or None
        The step (an elementwise affine op, or a reshape for ``squeeze``) and the node it
        reads; None for any other node (left to :func:`exact.torch_ops.node_op`).

    Raises
    ------
    InputError
        A division by zero, a non-finite constant, ``squeeze`` of the batch axis or of all axes.
    UnsupportedNetworkError
        A division with ``rounding_mode`` (floor or trunc: not affine).
    """
    if node.op == "call_method":
        kind = _KINDS.get(node.target) if isinstance(node.target, str) else None
    elif node.op == "call_function":
        try:
            kind = _function_kinds().get(node.target)
        except TypeError:  # an unhashable target
            kind = None
    else:
        kind = None
    if kind is None:
        return None
    label = node_label(node)
    if kind == "squeeze":
        return _squeeze(node, label)
    args, kwargs = list(node.args), dict(node.kwargs)
    for key in ("input", "other"):  # torch.mul(input=x, other=2.0)
        if key in kwargs:
            args.append(kwargs.pop(key))
    alpha = kwargs.pop("alpha", 1)
    rounding = kwargs.pop("rounding_mode", None)
    tensors = [a for a in args if is_node(a)]
    if kwargs or len(tensors) != 1 or len(args) != (1 if kind == "neg" else 2):
        _refuse_tensor_constant(tensors, kind, label)
        return None  # two computed values (a skip connection, a product), or arguments not read here
    x = tensors[0]
    if kind == "neg":
        return _elementwise(label, Fraction(-1), Fraction(0)), x
    c = _number(args[1] if args[0] is x else args[0], label)
    if kind in ("add", "sub"):  # input ± alpha * other: alpha scales the second operand, x or c
        sign, a = (1 if kind == "add" else -1), _number(alpha, label)
        return (_elementwise(label, Fraction(1), sign * a * c) if args[0] is x
                else _elementwise(label, sign * a, c)), x
    if kind == "rsub":  # other - alpha * input
        a = _number(alpha, label)
        return (_elementwise(label, -a, c) if args[0] is x else _elementwise(label, Fraction(1), -a * c)), x
    if kind == "mul":
        return _elementwise(label, c, Fraction(0)), x
    if kind == "div":
        if rounding is not None:
            raise UnsupportedNetworkError(f"{label} divides with rounding_mode={rounding!r}: a rounded "
                                          "quotient is not affine in x")
        if args[0] is not x:
            raise UnsupportedNetworkError(f"{label} divides the constant {args[0]!r} by a computed value: "
                                          "c / x is not affine in x (x / c is read)")
        if c == 0:
            raise InputError(f"{label} divides by 0")
        return _elementwise(label, 1 / c, Fraction(0)), x
    raise AssertionError(kind)  # every kind is handled above


def shape_ahead(ops: list[Op], i: int) -> tuple[int, ...] | None:
    """Return the per-sample shape an elementwise step at the input takes: what the next op reads.

    An elementwise step (and an activation) keeps the shape, so before anything fixes the
    shape it works on what the first op after it that implies one reads: its
    ``first_shape`` (a Linear's ``(in_features,)``, an Unflatten's or a view's input
    length), looking into a skip connection's branch, which reads the same value.

    Parameters
    ----------
    ops : list of Op
    i : int
        The index of the step.

    Returns
    -------
    tuple of int or None
        None when ``ops[i]`` is not an elementwise step or nothing after it tells a shape
        (a convolution, which needs ``input_shape``).
    """
    if not getattr(ops[i], "elementwise", False):
        return None
    return _first_shape(ops[i + 1:])


def _first_shape(ops: list[Op]) -> tuple[int, ...] | None:
    """Return the ``first_shape`` of the first op that implies one, past shape-keeping steps (None: conv)."""
    for op in ops:
        if op.first_shape is not None:
            return op.first_shape
        if op.kind == "residual":  # x + g(x): g reads x
            return _first_shape(op.value)
        if op.kind == "affine" and not op.elementwise:  # a convolution: the shape must be told
            return None
    return None


def _refuse_tensor_constant(tensors: list, kind: str, label: str) -> None:
    """Refuse a step by a tensor the module holds (a buffer, ``torch.tensor(2.0)``): say to write a number."""
    import torch

    const = [a for a in tensors
             if a.op == "get_attr" or (a.op == "call_function" and a.target is torch.tensor)]
    if len(tensors) == 2 and len(const) == 1:
        verb = {"mul": "multiplies by", "div": "divides by", "add": "adds", "sub": "subtracts",
                "rsub": "subtracts from", "neg": "negates"}[kind]
        raise UnsupportedNetworkError(f"{label} {verb} the tensor {const[0].name!r}, a constant of the "
                                      "module: only a Python number is read as a constant (x * 2.0); write "
                                      "its value as a number in forward")


def _number(v: Any, label: str) -> Fraction:
    """Return the exact value of a constant number (a float at its binary value)."""
    if isinstance(v, bool) or not isinstance(v, numbers.Real) or is_node(v):
        raise InputError(f"{label}: its constant must be a real number, got {v!r}"[:200])
    if isinstance(v, float) and not math.isfinite(v):
        raise InputError(f"{label}: its constant is {v!r}; the network's numbers must be finite")
    return Fraction(v)


def _elementwise(label: str, scale: Fraction, shift: Fraction) -> Op:
    """Return the op ``x -> scale x + shift`` on every entry, of any per-sample shape."""
    def build(shape: tuple[int, ...]) -> tuple[SparseAffine, tuple[int, ...]]:
        n = math.prod(shape)
        return SparseAffine.from_fractions(range(n), range(n), [scale] * n, [shift] * n, (n, n)), shape

    return Op("affine", label, build, None, elementwise=True)


def _squeeze(node: Any, label: str) -> tuple[Op, Any] | None:
    """``x.squeeze(d)`` of a per-sample axis of length 1 (``d`` not the batch axis)."""
    args = list(node.args) + [node.kwargs[k] for k in ("input", "dim") if k in node.kwargs]
    if set(node.kwargs) - {"input", "dim"} or not args or not is_node(args[0]):
        return None
    dims = tuple(args[1]) if len(args) == 2 and isinstance(args[1], (tuple, list)) else tuple(args[1:])
    if len(args) != 2 or not dims or any(isinstance(d, bool) or not isinstance(d, int) for d in dims):
        raise InputError(f"{label} squeezes every axis of length 1, the batch axis too when one sample is "
                         "given: name the axis, e.g. squeeze(-1)")
    if 0 in dims:
        raise InputError(f"{label} squeezes the batch axis (0): the network must keep one row per sample")

    def shape_of(shape: tuple[int, ...]) -> tuple[int, ...]:
        ks = {d - 1 if d > 0 else len(shape) + d: d for d in dims}
        for k, d in ks.items():
            if not 0 <= k < len(shape):
                raise InputError(f"{label} squeezes axis {d}, which per-sample shape {shape} does not have")
        # as torch: an axis longer than 1 stays; one output value stays a vector of one
        return tuple(n for k, n in enumerate(shape) if not (k in ks and n == 1)) or (1,)

    return Op("reshape", label, shape_of), args[0]

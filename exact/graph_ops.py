"""The reader's operations on torch fx graphs: the :class:`Op` of a layer or step, and how nodes are named.

:mod:`exact.torch_ops` (layers, activations, reshapes) and :mod:`exact.scalar_ops` (steps
with a constant number) turn modules and fx nodes into :class:`Op` values, which
:mod:`exact.torch_reading` and :mod:`exact.residual_reading` compose into a network.

Examples
--------
>>> op = Op("reshape", "module 'flat'", lambda shape: (3,), None)
>>> op.kind, op.elementwise
('reshape', False)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Op", "is_node", "node_label"]


@dataclass(frozen=True)
class Op:
    """One operation of the chain read from a torch module.

    Attributes
    ----------
    kind : str
        ``"affine"``, ``"reshape"`` or ``"act"``.
    label : str
        Names the module or fx node in messages.
    value : callable or Activation
        ``"affine"``: ``shape -> (map, out_shape)`` with ``map`` a
        :class:`~exact.sparse_affine.SparseAffine` or a dense float pair ``(W, b)``;
        ``"reshape"``: ``shape -> out_shape``; ``"act"``: the :class:`Activation`.
        Shapes are per sample (without the batch axis).
    first_shape : tuple of int or None
        The per-sample input shape this operation implies when nothing before it fixes one
        (a Linear: ``(in_features,)``); None if it needs to be told (a convolution) or, for
        a reshape, if it leaves a flat input as it is.
    elementwise : bool
        An affine op on each entry alone, of any shape (:mod:`exact.scalar_ops`): before
        the first layer it takes that layer's input shape.
    """

    kind: str
    label: str
    value: Any
    first_shape: tuple[int, ...] | None = None
    elementwise: bool = False


def node_label(node: Any) -> str:
    """Name a node for messages: ``node 'relu' (call_function relu)``.

    Parameters
    ----------
    node : torch.fx.Node

    Returns
    -------
    str
    """
    target = node.target if isinstance(node.target, str) else getattr(node.target, "__name__", node.target)
    return f"node {node.name!r} ({node.op} {target})"


def is_node(v: Any) -> bool:
    """Tell whether ``v`` is a ``torch.fx.Node`` (a value computed in forward).

    Parameters
    ----------
    v : object

    Returns
    -------
    bool
    """
    from torch.fx import Node

    return isinstance(v, Node)

"""Recognise the batch size in a traced ``view``/``reshape``: ``x.size(0)`` or ``x.shape[0]`` of the input.

A reshape keeps each sample's values together only if its first size is ``-1`` or the batch
size.  The batch size of the network's input is the batch size of every value the reader
reads from it: each operation it accepts (layers, activations, flatten from axis 1, a
reshape keeping the batch, a skip connection ``x + g(x)``) keeps axis 0.  So
``out.view(x.size(0), -1)`` with ``x`` the input of ``forward``, or any value computed from
it on the way to ``out``, is a batch-keeping reshape.  A value used only for its size
(``x.t().size(0)``, ``x.view(-1).shape[0]``) is not on that way and is refused.

:func:`is_batch_size` tells; :func:`batch_size_message` words the refusal of anything else.
Neither imports torch at module level.

Examples
--------
>>> import torch, torch.fx as fx
>>> class Net(torch.nn.Module):
...     def __init__(self):
...         super().__init__()
...         self.fc = torch.nn.Linear(4, 4)
...     def forward(self, x):
...         out = torch.relu(self.fc(x))
...         return out.view(x.size(0), -1)
>>> g = fx.symbolic_trace(Net()).graph
>>> view = [n for n in g.nodes if n.target == "view"][0]
>>> is_batch_size(view.args[1], view.args[0])
True
"""

from __future__ import annotations

import operator
from typing import Any

__all__ = ["batch_size_message", "is_batch_size"]


def _is_node(v: Any) -> bool:
    from torch.fx import Node

    return isinstance(v, Node)


def _measured(v: Any) -> Any:
    """Return ``y`` if ``v`` is ``y.size(0)``, ``y.size()[0]``, ``y.shape[0]``, else None."""
    if not _is_node(v):
        return None
    if v.op == "call_method" and v.target == "size":
        args, kwargs = tuple(v.args), dict(v.kwargs)
        if len(args) == 2 and not kwargs:
            dim = args[1]  # y.size(0)
        elif len(args) == 1 and set(kwargs) == {"dim"}:
            dim = kwargs["dim"]  # y.size(dim=0)
        else:
            return None
        return args[0] if dim == 0 and not isinstance(dim, bool) and _is_node(args[0]) else None
    if not (v.op == "call_function" and v.target is operator.getitem and not v.kwargs and len(v.args) == 2):
        return None
    whole, index = v.args
    if index != 0 or isinstance(index, bool) or not _is_node(whole):
        return None
    if whole.op == "call_method" and whole.target == "size" and len(whole.args) == 1 and not whole.kwargs:
        return whole.args[0] if _is_node(whole.args[0]) else None  # y.size()[0]
    if whole.op == "call_function" and whole.target is getattr and tuple(whole.args[1:]) == ("shape",):
        return whole.args[0] if _is_node(whole.args[0]) else None  # y.shape[0]
    return None


def _is_size_node(n: Any) -> bool:
    """Tell whether ``n`` reads a size (not a tensor): ``y.size(...)``, ``getattr(y, ...)``, ``v[...]``."""
    return ((n.op == "call_method" and n.target == "size")
            or (n.op == "call_function" and (n.target is getattr or n.target is operator.getitem)))


def _data_ancestors(node: Any) -> set[Any]:
    """Nodes ``node`` is computed from as a tensor, itself included: not through a size it reads."""
    seen, todo = {node}, [node]
    while todo:
        n = todo.pop()
        if _is_size_node(n):
            continue
        for a in n.all_input_nodes:
            if a not in seen:
                seen.add(a)
                todo.append(a)
    return seen


def is_batch_size(v: Any, x: Any) -> bool:
    """Tell whether ``v`` is the batch size of the fx value ``x`` in a traced forward.

    Parameters
    ----------
    v : torch.fx.Node or object
        The first size given to ``x.view(...)`` / ``x.reshape(...)``.
    x : torch.fx.Node
        The value reshaped.

    Returns
    -------
    bool
        True if ``v`` is ``y.size(0)``, ``y.size(dim=0)``, ``y.size()[0]`` or ``y.shape[0]``
        with ``y`` either ``x`` itself or a value ``x`` is computed from (as a tensor, not
        through a size) that is itself computed from an input of ``forward`` (a placeholder;
        a placeholder included).  Weights (``get_attr``) and values used only for their
        size do not count.

    Notes
    -----
    Safe because every operation the reader accepts keeps the batch on axis 0; an
    operation that does not is refused by the reader whatever this returns, and the
    reading is checked against the module's forward in any case.  Cost ``O(nodes)``.

    Examples
    --------
    >>> import torch, torch.fx as fx
    >>> class Net(torch.nn.Module):
    ...     def forward(self, x):
    ...         out = torch.relu(x.view(-1, 2, 2))
    ...         return out.view(x.size(0), -1), out.view(x.t().size(0), -1)
    >>> views = [n for n in fx.symbolic_trace(Net()).graph.nodes if n.target == "view"]
    >>> [is_batch_size(n.args[1], n.args[0]) for n in views[1:]]
    [True, False]
    """
    y = _measured(v)
    if y is None or not _is_node(x):
        return False
    if y is x:
        return True
    return y in _data_ancestors(x) and any(n.op == "placeholder" for n in _data_ancestors(y))


def batch_size_message(label: str, batch: Any) -> str:
    """Word the refusal of a reshape whose first size is not ``-1`` nor the batch size.

    Parameters
    ----------
    label : str
        Names the reshape (``node 'view_1' (call_method view)``).
    batch : object
        Its first size: an int, or the fx node computing it.

    Returns
    -------
    str
        Says what was refused, what is accepted and what to write instead.

    Examples
    --------
    >>> batch_size_message("node 'view' (call_method view)", 8)[:80]
    "node 'view' (call_method view): its first size is 8, not the batch size: a resha"
    """
    if _is_node(batch):
        target = getattr(batch.target, "__name__", batch.target)
        got = f"the value of node {batch.name!r} ({batch.op} {target})"
    else:
        got = repr(batch)[:60]
    return (f"{label}: its first size is {got}, not the batch size: a reshape must keep each sample's "
            "values together, so its first size must be -1, or x.size(0) / x.shape[0] with x the input of "
            "forward or a value computed from it; write out.flatten(1) or out.view(-1, k) instead")

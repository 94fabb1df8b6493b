"""The order in which a state_dict's layers run: as registered, by their names' numbers, or by their shapes.

A state_dict does not say in which order its layers run: a dict keeps the order the module
registered them in (``__init__``), which need not be the order ``forward`` runs them.
Names ordered by their numbers (any two first differ in a number: ``net.2`` and
``net.10``, ``block1.fc2`` and ``block2.fc1``, ``10.0`` and ``11``) give a second order,
their numbers' (``2`` before ``10``); of the two, the one in which the weights' shapes
chain is read, and both chaining is refused (:func:`stored_order`).  Other names (``fc1``
and ``fc1b``, ``encoder.0`` and ``decoder.0``) are read as stored.

A ``.safetensors`` file keeps no registration order (its writer sorts the names): names
ordered by their numbers are read so, others in the one order in which the shapes chain
(:func:`chain_order`); several such orders are refused, naming two of them.  (``fc1``,
``fc2``, ``fc3`` beside ``out`` with equal widths are refused: nothing in the file says the
numbers run upwards, and a decoder's ``up2, up1`` run downwards.)

Each function takes the layers' names and ``table``: their weights' shapes and the widths
wanted (or None), or None when a shape is bad (named by the caller).  It returns the order,
how it was found (the command line prints it) and advice for a message when the layers do
not chain, or raises :class:`~exact.errors.InputError` when the order is ambiguous.

Examples
--------
>>> shapes = {"in": (4, 2), "hidden": (3, 4), "out": (1, 3)}
>>> chain_order(["hidden", "in", "out"], (shapes, None))[:2]
(['in', 'hidden', 'out'], 'the one order in which their shapes chain')
"""

from __future__ import annotations

import re
from typing import Any

from .errors import InputError

__all__ = ["ORDER_LAYERS", "ORDER_STEPS", "chain_order", "natural_key", "ordered_by_numbers", "stored_order"]

ORDER_STEPS, ORDER_LAYERS = 10_000, 200
"""The most steps spent looking for the order in which a state_dict's layers chain, and the most layers."""

Table = tuple[dict, Any] | None
"""Each layer's weight shape ``(out, in)`` and the widths wanted (or None); None for a bad shape."""


def natural_key(name: str) -> list[Any]:
    """Return the sort key putting ``'2'`` before ``'10'`` and ``'fc2'`` before ``'fc10'``.

    Parameters
    ----------
    name : str

    Returns
    -------
    list
        The name's runs of digits as numbers, the rest as text.

    Examples
    --------
    >>> sorted(["fc10", "fc2", "out"], key=natural_key)
    ['fc2', 'fc10', 'out']
    """
    return [(0, int(t), "") if t.isdecimal() else (1, 0, t) for t in re.split(r"(\d+)", name) if t]


def ordered_by_numbers(names: list[str]) -> bool:
    """Tell whether numbers order the names: any two first differ in a number (net.2, net.10; 10.0, 11).

    Parameters
    ----------
    names : list of str

    Returns
    -------
    bool

    Examples
    --------
    >>> ordered_by_numbers(["net.0", "net.10", "net.2"]), ordered_by_numbers(["fc1", "fc1b", "fc2"])
    (True, False)
    """
    keys = sorted(natural_key(n) for n in names)
    for a, b in zip(keys, keys[1:]):
        i = _first_difference(a, b)
        if i is None or a[i][0] or b[i][0]:  # one name starts the other (fc1, fc1b), or a word differs
            return False
    return any(c.isdecimal() for c in names[0])


def stored_order(names: list[str], table: Table) -> tuple[list[str], str, str]:
    """Return the layers as stored or in their names' numbers' order, how, and advice for a message.

    The mapping's order is the module's registration order, not necessarily the order its
    forward runs; numbered names give a second order.  When they differ, the one that
    chains is read.

    Parameters
    ----------
    names : list of str
        The layers, as stored.
    table : tuple or None
        Their shapes and the widths wanted (see the module's note).

    Returns
    -------
    (list of str, str, str)

    Raises
    ------
    InputError
        When both orders chain.

    Examples
    --------
    >>> stored_order(["fc1", "fc3", "fc2"], ({"fc1": (3, 2), "fc2": (4, 3), "fc3": (1, 4)}, None))[:2]
    (['fc1', 'fc2', 'fc3'], "by their names' numbers (as stored, fc1, fc3, fc2, they do not chain)")
    """
    if not ordered_by_numbers(names):
        return names, "as stored (the names are not ordered by numbers)", ""
    numbered = sorted(names, key=natural_key)
    if numbered == names:
        return names, "as stored, the order of their names' numbers too", ""
    if table is None:
        return names, "as stored", ""  # a bad shape: named by the caller
    stored_ok, numbered_ok = _chains(*table, names), _chains(*table, numbered)
    if stored_ok and numbered_ok:
        raise InputError(f"its layers {', '.join(names)} (as stored) and {', '.join(numbered)} (by their "
                         "names' numbers) both chain; exactnet cannot tell which order the network runs (a "
                         "state_dict keeps the order the module registered its layers in, not the order "
                         "forward runs them): pass the torch module itself, or the weights as a list of "
                         "(W, b) in the order they run")
    if numbered_ok:
        return numbered, f"by their names' numbers (as stored, {', '.join(names)}, they do not chain)", ""
    if stored_ok:
        return names, f"as stored (by their names' numbers, {', '.join(numbered)}, they do not chain)", ""
    return names, "as stored", f"; nor by their names' numbers ({', '.join(numbered)})"


def chain_order(names: list[str], table: Table) -> tuple[list[str], str, str]:
    """Return names ordered by their numbers if their shapes chain, else the one order that chains.

    Other names (``input_layer``, ``hidden``; ``encoder.0``, ``decoder.0``; ``fc1``, ``fc2``
    beside ``out``) say nothing of the layers' order.

    Parameters
    ----------
    names : list of str
        The layers, in the order of their names.
    table : tuple or None
        Their shapes and the widths wanted (see the module's note).

    Returns
    -------
    (list of str, str, str)

    Raises
    ------
    InputError
        When the shapes (and widths) chain in several orders (two of them named), or the
        search stops at its limits (:data:`ORDER_LAYERS` layers, :data:`ORDER_STEPS` steps).

    Examples
    --------
    >>> square = {"fc1": (4, 2), "fc2": (4, 4), "fc3": (4, 4), "out": (1, 4)}   # fc2, fc3 chain either way
    >>> chain_order(["fc1", "fc2", "fc3", "out"], (square, None))
    Traceback (most recent call last):
    ...
    exact.errors.InputError: the layers' names (fc1, fc2, fc3, out) are not ordered by their numbers ...
    """
    if table is None:
        return names, "by their names' numbers", ""  # a bad shape: named by the caller
    shapes, want = table
    numbered = ordered_by_numbers(names)
    if numbered and _chains(shapes, want, names):  # 'net.0' ... 'net.10', 'block1.fc2': as saved
        return names, "by their names' numbers (a .safetensors file keeps no other order)", ""
    found, searched = _orders_that_chain(shapes, want, names)
    if len(found) == 1 and searched:
        return found[0], "the one order in which their shapes chain", ""
    if not found and searched:
        return names, "by their names' numbers", "; nor in any other order"
    listed = ", ".join(names)
    digits = any(c.isdecimal() for c in listed)
    what = (f"the layers ({listed}) do not chain in their names' numbers' order, but" if numbered else
            f"the layers' names ({listed}) are not numbered and" if not digits else
            f"the layers' names ({listed}) are not ordered by their numbers alone, and")
    two = "; ".join(", ".join(o) for o in found)
    how = (f"chain in more than one order (two of them: {two})" if len(found) > 1
           else f"were not searched ({len(names)} layers)" if len(names) > ORDER_LAYERS
           else f"were searched for {ORDER_STEPS} steps, without an answer")
    raise InputError(f"{what} their shapes {how}: rename them to sort in layer order ('0', '1', ..., or "
                     "'fc1', 'fc2', ...), or give exact.as_exact_net a dict of the tensors in layer order")


def _first_difference(a: list, b: list) -> int | None:
    """Return the first position where two natural keys differ (None: one starts the other)."""
    return next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), None)


def _fits(shapes: dict, want: Any, i: int, n: str, prev: str | None) -> bool:
    """Tell whether layer ``n``, taken ``i``-th after ``prev``, chains (and has the widths wanted)."""
    out, inp = shapes[n]
    chains = prev is None or inp == shapes[prev][0]
    return chains and (want is None or (out, inp) == (want[i + 1], want[i]))


def _chains(shapes: dict, want: Any, order: list[str]) -> bool:
    """Tell whether the layers chain in this order."""
    return all(_fits(shapes, want, i, n, order[i - 1] if i else None) for i, n in enumerate(order))


def _orders_that_chain(shapes: dict, want: Any, names: list[str]) -> tuple[list[list[str]], bool]:
    """Return up to two orders in which the layers chain, and whether the search was complete."""
    if len(names) > ORDER_LAYERS:
        return [], False
    found: list[list[str]] = []
    steps = [0]

    def walk(path: list[str], used: set[str]) -> None:
        steps[0] += 1
        if len(found) > 1 or steps[0] > ORDER_STEPS:
            return
        if len(path) == len(names):
            found.append(list(path))
        for n in names:
            if n not in used and _fits(shapes, want, len(path), n, path[-1] if path else None):
                walk(path + [n], used | {n})

    walk([], set())
    return found, len(found) > 1 or steps[0] <= ORDER_STEPS

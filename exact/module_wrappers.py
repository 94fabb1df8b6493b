"""Torch modules that wrap or rewrite another: say how to read them, or read a plain copy.

torch.compile, TorchScript and ``DataParallel`` wrap a Python module whose forward the
reader cannot trace through the wrapper; :func:`refuse_wrapper` names the wrapper and the
attribute holding the module.  A pruned module recomputes its weight in a forward
pre-hook; :func:`hook_advice` says how to make the pruning permanent.  A parametrized
module (``weight_norm``, ``spectral_norm``) computes its weights in forward, and in
training mode ``spectral_norm`` updates its buffers each time it does;
:func:`deparametrized_copy` gives a copy whose parametrizations are replaced by the values
they compute, so the module is read (and checked) without being run or changed.

Examples
--------
>>> import torch.nn as nn
>>> m = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
>>> deparametrized_copy(m) is m                 # nothing parametrized: the module itself
True
"""

from __future__ import annotations

import copy
from typing import Any

from .errors import InputError, UnsupportedNetworkError

__all__ = ["deparametrized_copy", "hook_advice", "refuse_wrapper"]


def refuse_wrapper(module: Any) -> None:
    """Refuse a torch.compile, TorchScript or DataParallel wrapper, naming the module inside it.

    Parameters
    ----------
    module : torch.nn.Module

    Returns
    -------
    None

    Raises
    ------
    UnsupportedNetworkError
        ``module`` or a submodule is an ``OptimizedModule`` (torch.compile: read its
        ``._orig_mod``), a ``ScriptModule`` (torch.jit.script or trace: read the Python
        module it was made from), or a ``DataParallel``/``DistributedDataParallel`` (read
        its ``.module``).

    Examples
    --------
    >>> import torch.nn as nn
    >>> refuse_wrapper(nn.Linear(2, 1))
    >>> refuse_wrapper(nn.DataParallel(nn.Linear(2, 1)))
    Traceback (most recent call last):
    ...
    exact.errors.UnsupportedNetworkError: net is a DataParallel wrapper, which ...
    """
    import torch

    parallel = (torch.nn.DataParallel, torch.nn.parallel.DistributedDataParallel)
    for path, m in module.named_modules():
        what, name = (f"module {path!r} of net" if path else "net"), type(m).__name__
        if name == "OptimizedModule" and hasattr(m, "_orig_mod"):
            raise UnsupportedNetworkError(
                f"{what} is an {name} (made by torch.compile), whose compiled forward cannot be read; read "
                "the module it compiles instead: its ._orig_mod")
        if isinstance(m, torch.jit.ScriptModule):
            raise UnsupportedNetworkError(
                f"{what} is a TorchScript module ({name}, made by torch.jit.script or torch.jit.trace), "
                "whose compiled code cannot be read; read the Python nn.Module it was made from")
        if isinstance(m, parallel):
            raise UnsupportedNetworkError(
                f"{what} is a {name} wrapper, which splits each batch over devices; read the module it wraps "
                "instead: its .module")


def hook_advice(module: Any) -> str:
    """Say how to remove a module's forward pre-hooks when they are torch's pruning.

    Parameters
    ----------
    module : torch.nn.Module

    Returns
    -------
    str
        A sentence naming the pruned tensors and ``torch.nn.utils.prune.remove``, or ``""``.

    Examples
    --------
    >>> import torch.nn as nn, torch.nn.utils.prune as prune
    >>> m = prune.l1_unstructured(nn.Linear(2, 3), "weight", amount=0.5)
    >>> hook_advice(m)
    "it is pruned (torch.nn.utils.prune recomputes 'weight' from 'weight_orig' * 'weight_mask' ..."
    """
    import torch.nn.utils.prune as prune

    hooks = module._forward_pre_hooks.values()
    names = [h._tensor_name for h in hooks if isinstance(h, prune.BasePruningMethod)]
    if not names:
        return ""
    calls = ", ".join(f"torch.nn.utils.prune.remove(module, {n!r})" for n in names)
    return (f"it is pruned (torch.nn.utils.prune recomputes {names[0]!r} from {names[0] + '_orig'!r} * "
            f"{names[0] + '_mask'!r} in a forward pre-hook): make the pruning permanent with {calls}")


def deparametrized_copy(module: Any) -> Any:
    """Return a copy of ``module`` whose parametrizations are replaced by the values they compute.

    Parameters
    ----------
    module : object
        A torch module (anything else is returned as it is).

    Returns
    -------
    torch.nn.Module
        ``module`` itself if nothing in it is parametrized; else a deep copy in which
        each parametrized tensor is a plain parameter holding the value the module's next
        forward computes (as ``torch.nn.utils.parametrize.remove_parametrizations(...,
        leave_parametrized=True)`` would leave it, computed once, in the module's dtype and
        mode).  The module is not run and not changed (in training mode ``spectral_norm``
        advances its power iteration on the copy only).

    Raises
    ------
    InputError
        The module cannot be copied (an attribute that ``copy.deepcopy`` refuses), or a
        parametrization fails (a user's parametrization, or a global hook it runs, raises).

    Examples
    --------
    >>> import torch.nn as nn
    >>> from torch.nn.utils.parametrizations import weight_norm
    >>> m = nn.Sequential(weight_norm(nn.Linear(2, 3)), nn.ReLU(), nn.Linear(3, 1))
    >>> c = deparametrized_copy(m)
    >>> c is m, sorted(dict(c[0].named_parameters())), sorted(dict(m[0].named_parameters()))[0]
    (False, ['bias', 'weight'], 'bias')
    """
    import torch
    import torch.nn as nn
    from torch.nn.utils import parametrize

    if not isinstance(module, nn.Module) or not any(parametrize.is_parametrized(m) for m in module.modules()):
        return module
    try:
        clone = copy.deepcopy(module)
    except Exception as exc:  # a user's attribute: any error
        raise InputError(f"could not copy {type(module).__name__} to read its parametrized weights without "
                         f"changing it ({type(exc).__name__}: {str(exc)[:200]})") from None
    try:
        with torch.no_grad():
            for m in clone.modules():
                if parametrize.is_parametrized(m):
                    _plain_values(m, nn)
    except Exception as exc:  # a user's parametrization or global hook: any error
        raise InputError(f"could not compute the parametrized weights of {type(module).__name__} to read "
                         f"them ({type(exc).__name__}: {str(exc)[:200]})") from None
    return clone


def _plain_values(m: Any, nn: Any) -> None:
    """Replace a parametrized module's parametrized tensors by plain parameters holding their values.

    Not ``remove_parametrizations``: the class torch injects (``ParametrizedLinear``) is
    shared by a module and its deep copies, and removing a parametrization deletes the
    class's property, breaking the user's module.  Here the copy gets its own class back.
    """
    # the parametrizations called as the property torch injects calls them (the copy has no cached value):
    # through the property, an AttributeError raised inside would show as "no attribute 'weight'"
    values = {name: m.parametrizations[name]().detach().clone() for name in list(m.parametrizations.keys())}
    m.__class__ = type(m).__bases__[0]  # parametrize subclasses the module's class once
    del m.parametrizations
    for name, v in values.items():
        m.register_parameter(name, nn.Parameter(v, requires_grad=False))

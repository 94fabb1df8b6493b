"""Check a network read from a torch module against the module's own forward: a misread detector.

:func:`check_forward` runs the module on a float64 copy of its parameters at a few
hundred points at several scales and compares the outputs with the float64 forward of
the network read; a difference beyond the rounding bound of the two float computations
means the reader missed something the forward does, and the reading is refused.  It
decides nothing about regions: every region decision stays exact.

Examples
--------
>>> import torch
>>> from exact.network import ExactNet
>>> m = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
>>> check_forward(m, ExactNet.from_layers([(m[0].weight, m[0].bias), (m[2].weight, m[2].bias)]))
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .activations import Activation
from .errors import InputError
from .float_rounding import round_or_inf
from .network import ExactNet

__all__ = ["check_forward", "dense_bound"]



def check_forward(module: Any, net: ExactNet, points_per_scale: int = 64, seed: int = 0, *,
                  input_shape: Sequence[int] | None = None,
                  layer_parts: Sequence[Sequence[tuple[Callable, int]]] | None = None) -> None:
    """Compare a module's own forward (float64) with the network read from it.

    Parameters
    ----------
    module : torch.nn.Module
        The module; it is run on a float64 copy of its parameters and floating buffers
        (:func:`torch.func.functional_call`), under ``torch.no_grad()``.
    net : ExactNet
        The network read from it.
    points_per_scale : int, optional
        Random points per scale, at most; fewer for nets of over 1500 parameters (at least
        8), so the check costs about ``5 * 10^5`` multiply-adds.
    seed : int, optional
        Seed of the points, so a refusal is reproducible.
    input_shape : sequence of int, optional
        The shape of one sample the module reads (``(C, H, W)``); the network's flat input
        points are reshaped to it (row-major).  Default: flat vectors.
    layer_parts : sequence of sequences of (callable, int), optional
        Per layer of ``net``, the magnitude bound ``s -> |W| s + |b|`` (:func:`dense_bound`)
        and fan-in of each operation the reader composed into it (a Conv, then a
        BatchNorm...), each rounded by the module.  Default: each layer is one operation.

    Returns
    -------
    None

    Raises
    ------
    InputError
        At some point the two outputs differ by more than the rounding bound (in float64, and
        for a parametrized module again in its own precision), or the module's forward
        fails or returns another shape.

    Notes
    -----
    The points are uniform in ``[-s, s]^d`` for ``s`` in ``2^-8, 1, 2^8`` and the distance
    ``R`` of the farthest first-layer hyperplane and ``4R``.  With ``S`` the forward of ``|x|``
    through ``|W|``, ``|b|`` (of each of the ``layer_parts``) and each activation's largest
    slope and intercept, both float computations are within ``gamma_K S`` of the exact value
    (``K`` = the sum of the fan-ins + 2, ``gamma_K ~ K 2^-53``), so the tolerance is
    ``(8 K 2^-53 + 2^-40) S``: a misread (a dropped ReLU, a wrong slope) shows as a relative
    difference far above it.  A parametrized module (``weight_norm``...) computes other
    weights in float64; when its float64 run disagrees, it is run again in its own dtype of
    unit roundoff ``u``, with tolerance ``(8 K u + 2^-40) S``, and only a disagreement there
    too is refused.  Points where ``S`` overflows are skipped.  Cost ``O(points * parameters)``.

    Examples
    --------
    >>> import torch
    >>> from exact.network import ExactNet
    >>> m = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    >>> check_forward(m, ExactNet.from_layers([(m[0].weight, m[0].bias), (m[2].weight, m[2].bias)]))
    >>> check_forward(m, ExactNet.from_layers([(m[0].weight, m[0].bias), (m[2].weight, m[2].bias)],
    ...                                       activation="abs"))
    Traceback (most recent call last):
    ...
    exact.errors.InputError: reading Sequential does not reproduce its forward: ...
    """
    Ws, bs = _float_weights(net)
    layer_parts = layer_parts or [[(dense_bound(W, b), W.shape[1])] for W, b in zip(Ws, bs)]
    n_par = sum(W.size + b.size for W, b in zip(Ws, bs))
    per = int(min(points_per_scale, max(8, 1e5 // max(n_par, 1))))  # a budget for wide nets
    X = _test_points(Ws[0], bs[0], per, seed)
    K = sum(fan_in + 2 for parts in layer_parts for _, fan_in in parts)
    shape = tuple(input_shape) if input_shape is not None else None
    theirs = _module_forward(module, X, net.output_dim, None, shape)
    ours, tol, bad = _compare(Ws, bs, net.activations, X, theirs, K * 2.0**-53, layer_parts)
    dtype = next((p.dtype for p in module.parameters() if p.is_floating_point()), None) if bad.any() else None
    if dtype not in (None, _torch().float64) and _parametrized(module):
        # Weights computed in forward (weight_norm and other parametrizations) come out
        # differently in float64: for them, the module's own precision decides.
        X = _torch().from_numpy(X).to(dtype).double().numpy()
        theirs = _module_forward(module, X, net.output_dim, dtype, shape)
        u = _torch().finfo(dtype).eps / 2
        ours, tol, bad = _compare(Ws, bs, net.activations, X, theirs, K * u, layer_parts)
    if bad.any():
        _refuse(module, X, theirs, ours, tol, bad)


def dense_bound(W: np.ndarray, b: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """Make the magnitude bound ``s -> |W| s + |b|`` of a dense float layer.

    Parameters
    ----------
    W : ndarray, shape (m, n)
    b : ndarray, shape (m,)

    Returns
    -------
    callable
        Maps magnitudes of shape ``(P, n)`` to ``(P, m)``.

    Examples
    --------
    >>> dense_bound(np.array([[1.0, -2.0]]), np.array([-1.0]))(np.array([[1.0, 1.0]]))
    array([[4.]])
    """
    absW, absb = np.abs(W), np.abs(b)
    return lambda s: s @ absW.T + absb


def _refuse(module: Any, X: np.ndarray, theirs: np.ndarray, ours: np.ndarray, tol: np.ndarray,
            bad: np.ndarray) -> None:
    """Raise the misread error at the first point where the two forwards differ."""
    i, j = np.argwhere(bad)[0]
    raise InputError(
        f"reading {type(module).__name__} does not reproduce its forward: at x = {X[i].tolist()} "
        f"output {j} is {float(theirs[i, j])!r} but the network read gives {float(ours[i, j])!r} "
        f"(tolerance {tol[i, j]:.3g}); forward does something the reader does not see. Pass the "
        "layers as (W, b) pairs, or report the module"
    )


def _parametrized(module: Any) -> bool:
    """Tell whether any submodule computes a weight from others (``torch.nn.utils.parametrize``)."""
    from torch.nn.utils.parametrize import is_parametrized

    return any(is_parametrized(m) for m in module.modules())


def _torch():
    import torch

    return torch


def _compare(Ws: list[np.ndarray], bs: list[np.ndarray], acts: tuple[Activation, ...], X: np.ndarray,
             theirs: np.ndarray, Ku: float, parts: Sequence[Sequence[tuple[Callable, int]]]
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the read network's outputs at ``X``, the tolerances and where ``theirs`` differs."""
    with np.errstate(all="ignore"):
        ours, scale = _float_forward(Ws, bs, acts, X, parts)
        tol = (8 * Ku + 2.0**-40) * scale + 1e-300
        bad = np.isfinite(scale) & ~(np.abs(ours - theirs) <= tol)  # NaN on either side differs
    return ours, tol, bad


def _float_weights(net: ExactNet) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Return the net's weights as float64 arrays (huge exact values become +-inf)."""
    fl = net.float_layers()
    if fl is not None:
        return list(fl[0]), list(fl[1])
    return ([np.array([[round_or_inf(v) for v in r] for r in W]) for W in net.weights],
            [np.array([round_or_inf(v) for v in b]) for b in net.biases])


def _test_points(W0: np.ndarray, b0: np.ndarray, per: int, seed: int) -> np.ndarray:
    """``per`` points at each scale (rounded to float32, so every dtype sees the same points)."""
    with np.errstate(all="ignore"):
        norms = np.abs(W0).sum(axis=1)
        dist = np.abs(b0[norms > 0]) / norms[norms > 0]
        R = min(max(float(np.max(dist[np.isfinite(dist)], initial=1.0)), 2.0**-8), 2.0**100)  # (a finite max)
    scales = np.repeat([2.0**-8, 1.0, 2.0**8, R, 4 * R], per)[:, None]
    # rng.uniform(-s, s) is -s + (2 s) u, u from the generator's stream: the same numbers
    X = -scales + (2 * scales) * _unit_draws(5 * per, W0.shape[1], seed)
    return X.astype(np.float32).astype(np.float64)


@functools.lru_cache(maxsize=16)
def _unit_draws(n: int, d: int, seed: int) -> np.ndarray:
    """Draw ``n x d`` uniform numbers in ``[0, 1)`` from the seeded generator (cached: no weight in them)."""
    u = np.random.default_rng(seed).random((n, d))
    u.setflags(write=False)
    return u


def _module_forward(module: Any, X: np.ndarray, m: int, dtype: Any, shape: tuple[int, ...] | None
                    ) -> np.ndarray:
    """Run the module's forward at ``X``, in float64 (``dtype`` None) or as it is (in ``dtype``).

    In float64, the module runs on float64 copies of its floating parameters and buffers.
    Each row of ``X`` is reshaped to ``shape`` when given.
    """
    torch = _torch()
    from torch.func import functional_call

    state = {} if dtype is not None else {
        k: (v.detach().cpu().double() if v.is_floating_point() else v)
        for k, v in list(module.named_parameters()) + list(module.named_buffers())}
    threads = torch.get_num_threads()
    try:
        # A few hundred points are a tiny job: on a busy machine, torch's thread pool makes it
        # 100x slower than one thread does.  The setting is restored at once.
        torch.set_num_threads(1)
        with torch.no_grad():
            x = torch.from_numpy(X).to(dtype or torch.float64)
            y = functional_call(module, state, (x.reshape(len(X), *shape) if shape else x,))
    except Exception as exc:  # the user's forward: any error
        raise InputError(f"could not run forward of {type(module).__name__} in {dtype or torch.float64} to "
                         f"check the reading ({type(exc).__name__}: {str(exc)[:200]})") from None
    finally:
        torch.set_num_threads(threads)
    if not isinstance(y, torch.Tensor) or tuple(y.shape) != (len(X), m):
        shape = tuple(y.shape) if isinstance(y, torch.Tensor) else type(y).__name__
        raise InputError(f"forward of {type(module).__name__} returns {shape} for {len(X)} points; the "
                         f"network read gives ({len(X)}, {m})")
    return y.detach().cpu().double().numpy()


def _float_forward(Ws: list[np.ndarray], bs: list[np.ndarray], acts: tuple[Activation, ...],
                   X: np.ndarray, parts: Sequence[Sequence[tuple[Callable, int]]]
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Compute the read network's float64 forward at ``X`` and its scale ``S`` (see :func:`check_forward`)."""
    h, s = X, np.abs(X)
    for W, b, a, layer in zip(Ws, bs, acts, parts):
        z = h @ W.T + b
        for bound, _ in layer:
            s = bound(s)
        bp, slopes, icepts, slope_max, icept_max = _act_floats(a)
        q = np.searchsorted(bp, z, side="left")  # the number of breakpoints strictly below z
        h = slopes[q] * z + icepts[q]
        s = slope_max * s + icept_max
    for bound, _ in parts[-1]:
        s = bound(s)
    return h @ Ws[-1].T + bs[-1], s


_ACTS: list[tuple[Activation, tuple]] = []
"""The floats of the last few activations used, beside them (:func:`_act_floats`)."""


def _act_floats(a: Activation) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float]:
    """Return :func:`_act_arrays` of ``a`` and its largest absolute slope and intercept.

    Found by identity first: an activation is immutable, and hashing one to look it up by
    value hashes each of its Fractions (several microseconds a layer).
    """
    for held, got in _ACTS:
        if held is a:
            return got
    bp, slopes, icepts = _act_arrays(a)
    got = (bp, slopes, icepts, float(np.abs(slopes).max()), float(np.abs(icepts).max()))
    _ACTS[:] = [(a, got), *_ACTS[:7]]  # (the activation is held here, so its identity is not reused)
    return got


@functools.lru_cache(maxsize=64)
def _act_arrays(a: Activation) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return an activation's breakpoints, slopes and intercepts as float64 (cached by value; read-only)."""
    out = tuple(np.array([round_or_inf(v) for v in vals]) for vals in (a.breakpoints, a.slopes, a.intercepts))
    for arr in out:
        arr.setflags(write=False)
    return out

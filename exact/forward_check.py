"""Check a network read from a torch module against the module's own forward: a misread detector.

:func:`check_forward` runs the module on a float64 copy of its parameters at a few
hundred points at several scales and compares the outputs with the float64 forward of
the network read; a difference beyond the rounding bound of the two float computations
means the reader missed something the forward does, and the reading is refused.  It
decides nothing about regions: every region decision stays exact.

A point where the magnitude bound ``S`` of the tolerance exceeds ``2^1000`` (huge weights,
or a deep net) cannot be checked in float64; if there is one, ``points_per_scale`` more
points are checked, on scales ``2^-k`` running geometrically from the largest where ``S``
stays below ``2^1000`` (found by bisection: ``S`` grows with the scale) down 60 binary
orders (never into float64's subnormal range, where rounding errors are absolute), and at
``x = 0``, where only the biases act; if even ``x = 0`` cannot be checked, the reading is
refused, never accepted unchecked.  Where ``2^1000 < S <= 2^1023`` a point is compared if
the module's output there is finite (an honest forward may overflow, and then is not).

:func:`compare_forward` is the comparison itself, for a network read whose float forward
is computed otherwise (the residual reader's).

A parametrized module (``weight_norm``, ``spectral_norm``...) computes its weights in
forward, in its own dtype: it is read, and checked, as a copy whose parametrizations are
replaced by the values they computed (the ``source`` of :func:`check_forward`), so the
check is as strict as for plain weights; a forward that tests the identity of a submodule
(a global hook comparing ``mod is model[2]``) is not seen on the copy.

Limits: the check runs in float64, so it sees what the forward computes, not in which
precision.  A forward that enters ``torch.autocast`` (computing in bfloat16 or float16
while its weights are float32) is refused, as it is seen from inside: every torch call of
the forward is watched for an enabled autocast that the caller did not enable.  Settings
outside the module that lower float32 precision (``torch.set_float32_matmul_precision``,
TF32, oneDNN's bf16 math) are not seen: the network read is the one of the exact weights,
which torch computes up to its own rounding.  The magnitude bound counts every path, also
those an activation switches off there, so where it passes ``2^1023`` a point is not
compared even if both outputs are far smaller: a misread that shows only in such a region
(or only beyond ``2^102``, the largest scale checked) is not seen.  The check guards the
reader against what it cannot read; the regions themselves are decided exactly.

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

__all__ = ["check_forward", "compare_forward", "dense_bound"]



def check_forward(module: Any, net: ExactNet, points_per_scale: int = 64, seed: int = 0, *,
                  input_shape: Sequence[int] | None = None,
                  layer_parts: Sequence[Sequence[tuple[Callable, int]]] | None = None,
                  source: Any = None) -> None:
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
    source : torch.nn.Module, optional
        The module read, if not ``module``: a parametrized module's plain copy
        (:func:`exact.module_wrappers.deparametrized_copy`), whose forward is run.

    Returns
    -------
    None

    Raises
    ------
    InputError
        At some point the two outputs differ by more than the rounding bound; the forward
        fails, returns another shape, or runs under ``torch.autocast`` in a dtype other
        than its weights'; no point can be checked (``S > 2^1000`` even at ``x = 0``).

    Notes
    -----
    The points are uniform in ``[-s, s]^d`` for ``s`` in ``2^-8, 1, 2^8``, ``R`` (the distance
    of the farthest first-layer hyperplane) and ``4R``.  With ``S`` the forward of ``|x|``
    through ``|W|``, ``|b|`` (of each of the ``layer_parts``) and each activation's largest
    slope and intercept, both float computations are within ``gamma_K S`` of the exact value
    (``K`` = the sum of the fan-ins + 2, ``gamma_K ~ K 2^-53``), so the tolerance is
    ``(8 K 2^-53 + 2^-40) S``: a misread (a dropped ReLU, a wrong slope) shows as a relative
    difference far above it.  Points where ``S > 2^1000``, parametrized modules and the
    limits of the check: see :mod:`exact.forward_check`.  Cost ``O(points * parameters)``.

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
    K = sum(fan_in + 2 for parts in layer_parts for _, fan_in in parts)

    def forward(X: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
        return (*_float_forward(Ws, bs, net.activations, X, layer_parts), K)

    compare_forward(module if source is None else source, forward, (Ws[0], bs[0]), points_per_scale=per,
                    seed=seed, input_shape=input_shape, name=type(module).__name__)


def compare_forward(module: Any, forward: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray, int]],
                    first_layer: tuple[np.ndarray, np.ndarray], *, points_per_scale: int = 64, seed: int = 0,
                    input_shape: Sequence[int] | None = None, name: str | None = None) -> None:
    """Run a module's own forward (float64) at points and compare it with the float forward of a net read.

    The common step of :func:`check_forward` and of the residual reader's check
    (:func:`exact.residual_reading.read_residual`).

    Parameters
    ----------
    module : torch.nn.Module
        The module whose forward is run: on float64 copies of its floating parameters and
        buffers, its other buffers cloned (:func:`torch.func.functional_call`, under
        ``torch.no_grad()``), so a forward that writes into them leaves it as it was.  A
        parametrized module is passed as its plain copy
        (:func:`exact.module_wrappers.deparametrized_copy`): else its parametrizations are
        recomputed in float64, and a float32 one is refused.
    forward : callable
        ``X -> (Y, S, K)``: the float64 forward of the network read at the rows of ``X``, its
        magnitude bound ``S`` (same shape as ``Y``) and its number of roundings ``K``, such that
        this forward and the module's are both within ``gamma_K S`` of the exact value of the
        network read (``gamma_K = K u / (1 - K u)``, ``u = 2^-53``), ``S`` nondecreasing in ``|X|``.
    first_layer : (ndarray, ndarray)
        The float weights ``W`` (shape (m, input width)) and biases of the first affine layer,
        for the scales of the points (``R``, the distance of its farthest hyperplane); a
        ``(0, n)`` and a ``(0,)`` array if there is none.
    points_per_scale : int, optional
        Random points per scale.
    seed : int, optional
        Seed of the points.
    input_shape : sequence of int, optional
        The shape of one sample the module reads; each row of ``X`` is reshaped to it.
    name : str, optional
        The module's name in messages (default: its class name).

    Returns
    -------
    None

    Raises
    ------
    InputError
        As :func:`check_forward`.

    Notes
    -----
    The points are those of :func:`check_forward`.  A point is compared where ``S <= 2^1000``
    (and where ``S <= 2^1023`` if the module's output is finite: an honest forward may
    overflow above ``2^1000``), with tolerance ``(8 K 2^-53 + 2^-40) S + 10^-300``: the two
    computations differ by at most ``2 gamma_K S <= 4 K 2^-53 S`` (while ``K 2^-53 <= 1/2``),
    the ``2^-40 S`` covers the rounding of ``S`` itself and the ``10^-300`` underflow, so the
    tolerance bounds both roundings and a sound reading is never refused, while a misread
    shows far above it.
    Where ``S > 2^1000`` (or is NaN) float64 cannot bound the error and the point is not
    compared; if there is one, ``points_per_scale`` more points are compared on scales below
    the largest where ``S`` fits, and at ``x = 0`` (module notes), and if ``S`` overflows even
    at ``x = 0`` the reading is refused: never accepted unchecked.

    Examples
    --------
    >>> import torch
    >>> m = torch.nn.Linear(2, 1)
    >>> W, b = m.weight.detach().double().numpy(), m.bias.detach().double().numpy()
    >>> compare_forward(m, lambda X: (X @ W.T + b, np.abs(X) @ np.abs(W).T + np.abs(b), 4), (W, b))
    >>> compare_forward(m, lambda X: (X @ W.T, np.abs(X) @ np.abs(W).T + np.abs(b), 4), (W, b))
    Traceback (most recent call last):
    ...
    exact.errors.InputError: reading Linear does not reproduce its forward: ...
    """
    name = name or type(module).__name__
    shape = tuple(input_shape) if input_shape is not None else None
    X = _test_points(*first_layer, points_per_scale, seed)
    theirs, ours, tol, bad, unchecked = _run_and_compare(module, forward, shape, name, X)
    X2 = _rescue_points(forward, unchecked, X.shape[1], points_per_scale, seed, name)
    if X2 is not None:
        X, theirs, ours, tol, bad = (np.concatenate(ab) for ab in zip(
            (X, theirs, ours, tol, bad), (X2, *_run_and_compare(module, forward, shape, name, X2)[:4])))
    if bad.any():
        _refuse(name, X, theirs, ours, tol, bad)


_LIMIT = 2.0**1000
"""The largest magnitude bound ``S`` at which a point is always checked (headroom for rounding)."""

_FAR = 2.0**1023
"""Up to this ``S`` a point is checked where the module's output is finite (beyond ``_LIMIT`` an honest
float64 forward may overflow; where it did not, the rounding bound holds)."""

_TOP = 104
"""The rescue's largest scale is ``2^(_TOP - 1)``, above the check's largest (``4R``, ``R <= 2^100``): a kink
far out, where the bound overflows at the check's own scales, is still reached."""

_DEPTH = 60
"""Binary orders of magnitude the rescue points span below the largest scale that fits: their products
stay far from float64's subnormal range, where rounding errors are absolute (the tolerance is relative)."""


def _run_and_compare(module: Any, forward: Callable, shape: tuple[int, ...] | None, name: str, X: np.ndarray
                     ) -> tuple[np.ndarray, ...]:
    """Run the module at ``X``: its outputs, ours, the tolerances, where they differ, which are unchecked."""
    with np.errstate(all="ignore"):
        ours, scale, K = forward(X)
    theirs = _module_forward(module, X, ours.shape[1], shape, name)
    with np.errstate(all="ignore"):
        tol = (8 * K * 2.0**-53 + 2.0**-40) * scale + 1e-300
        checked = (scale <= _LIMIT) | ((scale <= _FAR) & np.isfinite(theirs))  # (NaN S: not checked)
        bad = checked & ~(np.abs(ours - theirs) <= tol)  # NaN on either side differs
    return theirs, ours, tol, bad, ~checked.all(axis=1)


def _rescue_points(forward: Callable, unchecked: np.ndarray, d: int, per: int, seed: int, name: str
                   ) -> np.ndarray | None:
    """Return the rescue points if some point was not compared (:func:`_small_points`), else None.

    None too when no rescue scale fits but some points were compared (those stand); when no
    point at all was compared, the reading is refused: never accepted unchecked.
    """
    if not unchecked.any():
        return None
    try:
        return _small_points(lambda Z: forward(Z)[1], d, per, seed, name)
    except InputError:
        if unchecked.all():
            raise
        return None


def _small_points(scale: Callable[[np.ndarray], np.ndarray], d: int, per: int, seed: int, name: str
                  ) -> np.ndarray:
    """Return ``per`` points on scales ``2^-k`` below the largest where ``S <= 2^1000``, and ``x = 0``.

    ``scale`` maps points to ``S``, which grows with the scale (every bound is monotone, and
    so is rounding), so the largest scale ``2^-h`` (``-103 <= h <= 1075``) is found by
    bisection; the points' scales run geometrically from it down :data:`_DEPTH` binary orders
    (never below ``2^-1000``), and the last point is ``x = 0`` (the biases alone: there an
    added constant shows).  Subnormal points would make the rounding errors absolute, which
    the tolerance does not bound.  InputError if even at ``x = 0`` ``S`` exceeds the limit.
    """
    U = -1.0 + 2.0 * _unit_draws(per, d, seed + 1)

    def fits(k: int) -> bool:
        with np.errstate(all="ignore"):
            return bool(np.all(scale(U * 2.0**-k) <= _LIMIT))

    lo, hi = -_TOP, 1075  # fits(hi) once checked; lo: not known to fit (scales up to 2^(_TOP - 1))
    if not fits(hi):
        raise InputError(
            f"could not check the reading of {name} against its forward: the float64 magnitude bound of the "
            "network (|x| carried through |W| and |b| of every layer) exceeds 2^1000 at every test point, "
            "even at x = 0, so no point can be compared in float64 within a rounding bound (the module's "
            "own float64 forward may overflow there too); scale the weights or biases down, or pass the "
            "layers as (W, b) pairs")
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if fits(mid) else (mid, hi)
    ks = np.rint(np.linspace(hi, min(hi + _DEPTH, 1000), max(per - 1, 1)))[:, None]
    return np.concatenate([U[: len(ks)] * 2.0**-ks, np.zeros((1, d))])


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


def _refuse(name: str, X: np.ndarray, theirs: np.ndarray, ours: np.ndarray, tol: np.ndarray,
            bad: np.ndarray) -> None:
    """Raise the misread error at the first point where the two forwards differ."""
    i, j = np.argwhere(bad)[0]
    raise InputError(
        f"reading {name} does not reproduce its forward: at x = {X[i].tolist()} "
        f"output {j} is {float(theirs[i, j])!r} but the network read gives {float(ours[i, j])!r} "
        f"(tolerance {tol[i, j]:.3g}); forward does something the reader does not see. Pass the "
        "layers as (W, b) pairs, or report the module"
    )


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


def _module_forward(module: Any, X: np.ndarray, m: int, shape: tuple[int, ...] | None, name: str
                    ) -> np.ndarray:
    """Run the module's forward at ``X`` on float64 copies of its floating parameters and buffers.

    Each row of ``X`` is reshaped to ``shape`` when given.  Every torch call of the forward
    is watched for an autocast the forward itself enabled (:class:`_AutocastWatch`).
    """
    torch = _torch()
    from torch.func import functional_call

    state = {k: (v.detach().to("cpu", torch.float64, copy=True) if v.is_floating_point() else v.clone())
             for k, v in (*module.named_parameters(), *module.named_buffers())}  # copies: a forward
    # that writes into its buffers (a counter, a power iteration) must leave the module as it is
    threads = torch.get_num_threads()
    watch = _AutocastWatch()
    try:
        # A few hundred points are a tiny job: on a busy machine, torch's thread pool makes it
        # 100x slower than one thread does.  The setting is restored at once.
        torch.set_num_threads(1)
        with torch.no_grad(), watch:
            x = torch.from_numpy(X.copy())  # a copy: a forward writing into its input must not move X
            y = functional_call(module, state, (x.reshape(len(X), *shape) if shape else x,))
    except Exception as exc:  # the user's forward: any error
        raise InputError(f"could not run forward of {name} in torch.float64 to check the reading "
                         f"({type(exc).__name__}: {str(exc)[:200]})") from None
    finally:
        torch.set_num_threads(threads)
    dtypes = {str(p.dtype) for p in module.parameters() if p.is_floating_point()} if watch.seen else set()
    if dtypes - {watch.seen and watch.seen[1]}:
        func, dtype, device = watch.seen
        raise InputError(
            f"forward of {name} calls {func} under torch.autocast({device!r}, dtype={dtype}) while its "
            f"weights are {', '.join(sorted(dtypes))}: it computes in lower precision than the network of "
            "its weights that is read, and a float64 check cannot see that; remove the autocast from "
            f"forward, or convert the module to the dtype it computes in (module.to({dtype}))")
    if isinstance(y, torch.Tensor) and m == 1 and tuple(y.shape) == (len(X),):  # a squeezed single output
        y = y[:, None]
    if not isinstance(y, torch.Tensor) or tuple(y.shape) != (len(X), m):
        shape = tuple(y.shape) if isinstance(y, torch.Tensor) else type(y).__name__
        raise InputError(f"forward of {name} returns {shape} for {len(X)} points; the "
                         f"network read gives ({len(X)}, {m})")
    return y.detach().cpu().double().numpy()


class _AutocastWatch:
    """A torch function mode noting the first call made under an autocast its caller had not enabled.

    ``seen`` is None, or ``(function name, autocast dtype, device)``.
    """

    def __init__(self) -> None:
        self.seen: tuple[str, str, str] | None = None
        self._mode: Any = None

    def __enter__(self) -> _AutocastWatch:
        from torch.overrides import TorchFunctionMode

        before = _autocasts()
        watch = self
        any_on = _any_autocast_test() if not before else None  # the usual case: none on when reading starts

        class Mode(TorchFunctionMode):
            def __torch_function__(self, func, types, args=(), kwargs=None):  # noqa: ANN001, ANN204
                if watch.seen is None and (any_on is None or any_on()):
                    new = [(dev, dt) for dev, dt in _autocasts() if (dev, dt) not in before]
                    if new:
                        watch.seen = (getattr(func, "__name__", str(func)), new[0][1], new[0][0])
                return func(*args, **(kwargs or {}))

        self._mode = Mode()
        self._mode.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._mode.__exit__(*exc)


def _any_autocast_test() -> Callable[[], bool]:
    """Return a cheap test of whether any autocast (CPU or CUDA) is on (run on every watched call)."""
    torch = _torch()
    try:
        torch.is_autocast_enabled("cpu")
    except TypeError:  # torch < 2.4: per-device functions
        return lambda: torch.is_autocast_cpu_enabled() or torch.is_autocast_enabled()
    return lambda: torch.is_autocast_enabled("cpu") or torch.is_autocast_enabled("cuda")


def _autocasts() -> list[tuple[str, str]]:
    """Return the enabled autocasts as (device, dtype) pairs (CPU and CUDA)."""
    torch = _torch()
    try:
        on = [d for d in ("cpu", "cuda") if torch.is_autocast_enabled(d)]
        return [(d, str(torch.get_autocast_dtype(d))) for d in on]
    except (TypeError, AttributeError):  # torch < 2.4: per-device functions
        pairs = [("cpu", str(torch.get_autocast_cpu_dtype()))] if torch.is_autocast_cpu_enabled() else []
        gpu = [("cuda", str(torch.get_autocast_gpu_dtype()))] if torch.is_autocast_enabled() else []
        return pairs + gpu


def _torch():
    import torch

    return torch


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

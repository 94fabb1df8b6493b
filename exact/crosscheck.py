"""Cross-check grid sampling (the sheet's method) against the exact regions.

For every pixel centre the exact activation pattern is decided by a float64 forward
pass with a rigorous running error bound (filter) and, where the bound cannot decide,
by exact rational evaluation.  The sampled pattern (the torch model in its own dtype,
usually float32) is compared pixel by pixel; a disagreement is *explained* when the
pixel centre lies within the sampled dtype's error bound of a neuron's breakpoint.
A sampled pattern that is no region's pattern is *spurious*: either a pixel centre lies
exactly on a boundary (the exact pattern there is a line's or vertex's) or float error.

Examples
--------
>>> from numeric.models import seeded_mlp
>>> rep = cross_check(seeded_mlp([2, 5, 5, 5, 5, 1]), window=10.0, res=64)
>>> rep.exact_count, rep.sampled_count <= 81, rep.unexplained
(81, True, 0)
"""

from __future__ import annotations

import math
import sys
import warnings
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from ._api import regions
from ._certified.float_net import float_weights
from ._fp import TINY, U32, U
from .errors import InputError, ResidualModuleError, Undecided
from .float_rounding import round_or_inf
from .json_numbers import exact_number_text
from .network import ExactNet
from .validation import DEFAULT_WINDOW, WindowLike, check_window, prepare_net
from .window_texts import window_text
from .windows import ConvexWindow

__all__ = ["CrossCheck", "check_float_weights", "check_sampled_window", "cross_check", "exact_patterns_at",
           "torch_model"]

_MAX_SAMPLED_WINDOW = Fraction(2) ** 510  # 4 B^2 = 2^1022 is the largest power of two whose area fits
_MIN_PIXEL = Fraction(1, 2**511)  # a pixel's area at least 2^-1022, the smallest normal float
_RESOLUTION = Fraction(1, 2**44)  # pixel width / largest coordinate: float centres (2^-52 off) stay in pixels


def _read_for_check(net: Any, plane: Any, window: Any) -> ExactNet:
    """Read the network; a residual module as the plain network equal to it on the window checked."""
    try:
        return prepare_net(net, plane=plane, any_width=True)
    except ResidualModuleError:
        from .residual_reading import lower_on_window

        return lower_on_window(net, window, plane=plane)


def _one_set_of_breakpoints(enet: ExactNet) -> list[tuple[float, ...]]:
    """Return each layer's breakpoints; InputError if they differ (the sampler has one set for all)."""
    bps = [tuple(float(b) for b in act.breakpoints) for act in enet.activations]
    if len(set(bps)) > 1:
        kinds = ", ".join(sorted({a.describe() for a in enet.activations}))
        raise InputError(f"cross_check samples every layer at one set of breakpoints, and this network's "
                         f"activations ({kinds}) have different ones: the sampled patterns would disagree "
                         "with the exact ones where nothing is wrong; its exact counts (exact.count_regions) "
                         "stand without it")
    return bps


def _sampled_model(net: Any, enet: ExactNet, plane: Any):
    """Return the torch model to sample: the user's module, if grid sampling reads it as the chain it is.

    Else (a plane slice, weights given as arrays, or a module that is not a chain of
    ``nn.Linear`` layers and activations, such as a conv or BatchNorm net, which
    :func:`numeric.call_log.check_chain` refuses) a plain MLP of the network read, in the
    module's dtype: the same function within the forward check's rounding bound.
    """
    import torch

    if not isinstance(net, torch.nn.Module) or plane is not None:
        return torch_model(enet)
    from numeric.call_log import check_chain, model_dtype, record_calls

    dtype = model_dtype(net)
    try:
        check_chain(net, record_calls(net, torch.zeros((2, enet.input_dim), dtype=dtype), "cross_check"))
    except ValueError:
        return torch_model(enet, dtype=dtype)
    return net


def torch_model(net: ExactNet, dtype: Any = None):
    """Build a torch ``nn.Sequential`` with the net's weights (float64 unless ``dtype`` given).

    Parameters
    ----------
    net : ExactNet
        The network; its weights are rounded to ``dtype``.
    dtype : torch.dtype, optional
        Parameter dtype, float64 by default.

    Returns
    -------
    torch.nn.Sequential
        ``Linear`` layers and the net's activations, in order.

    Examples
    --------
    >>> net = ExactNet.from_layers([([[1, 0], [0, 1]], [0, 0]), ([[1, 1]], [0])])
    >>> torch_model(net)
    Sequential(
      (0): Linear(in_features=2, out_features=2, bias=True)
      (1): ReLU()
      (2): Linear(in_features=2, out_features=1, bias=True)
    )
    """
    import torch
    from torch import nn

    from numeric.models import make_activation

    dtype = dtype or torch.float64
    mods: list = []
    for l, (W, b) in enumerate(zip(net.weights, net.biases)):
        lin = nn.Linear(len(W[0]), len(W), device="meta").to_empty(device="cpu").to(dtype)  # no random init:
        # the caller's torch random state stays as it was
        with torch.no_grad():
            lin.weight.copy_(torch.tensor([[float(v) for v in r] for r in W], dtype=torch.float64))
            lin.bias.copy_(torch.tensor([float(v) for v in b], dtype=torch.float64))
        mods.append(lin)
        if l < net.n_hidden_layers:
            act = net.activations[l]
            params = ()
            if act.name == "leaky_relu":
                params = (float(act.slopes[0]),)
            elif act.name == "hardtanh":
                params = tuple(float(v) for v in act.breakpoints)
            if act.name != "identity":
                mods.append(make_activation(act.name, *params))
    return nn.Sequential(*mods)


def _float_forward(net: ExactNet, pts: np.ndarray, u: float, input_err: np.ndarray):
    """Float forward pass with a running absolute error bound per pre-activation.

    Returns per hidden layer ``(z, err)`` arrays of shape ``(N, width)``.
    """
    a = pts.astype(np.float64)
    ea = input_err.astype(np.float64)
    try:  # the weights' floats, and bounds on their rounding (absolute: below 2^-1022 it is not relative)
        Ws, bs, EW, Eb = float_weights(net)
    except Undecided:  # a weight beyond the float range, as float() of it raised before
        raise OverflowError("a weight is beyond the float range") from None
    out = []
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow: an infinite or NaN bound, no filter
        for l in range(net.n_hidden_layers):
            W, b = Ws[l], bs[l]
            n = W.shape[1]
            gamma = (n + 2) * u / (1 - (n + 2) * u)
            absW = np.abs(W)
            z = a @ W.T + b
            ez = ea @ absW.T + (gamma + U) * (np.abs(a) @ absW.T + np.abs(b))
            ez = ez + (np.abs(a) + ea) @ EW[l].T + Eb[l]
            ez = ez * (1 + 1e-6) + 1e-300
            act = net.activations[l]
            lip = max(abs(float(sl)) for sl in act.slopes)
            a = float(act.slopes[0]) * z + float(act.intercepts[0])
            for k, bp in enumerate(act.breakpoints):
                a = np.where(z > float(bp), float(act.slopes[k + 1]) * z + float(act.intercepts[k + 1]), a)
            ea = lip * ez + u * np.abs(a) + TINY  # TINY: slope * z's underflow, the next weights magnify it
            out.append((z, ez))
    return out


def exact_patterns_at(net: ExactNet, pts: np.ndarray) -> np.ndarray:
    """Exact activation pattern at each point (float64 points taken at their exact value).

    A float64 pass with an error bound decides most pixels; the undecided ones are
    evaluated with :meth:`ExactNet.pattern_at` in rational arithmetic.

    Examples
    --------
    >>> net = ExactNet.from_layers([([[1.0, 0.0]], [0.0]), ([[1.0]], [0.0])])
    >>> exact_patterns_at(net, np.array([[0.5, 0.0], [0.0, 1.0], [-1e-300, 0.0]])).ravel().tolist()
    [1, 0, 0]
    """
    return _exact_patterns(net, pts)[0]


def _exact_patterns(net: ExactNet, pts: np.ndarray) -> tuple[np.ndarray, int]:
    zs = _float_forward(net, pts, U, np.zeros_like(pts))
    pats = []
    undecided = np.zeros(len(pts), dtype=bool)
    for l, (z, ez) in enumerate(zs):
        bps = [float(b) for b in net.activations[l].breakpoints]
        piece = np.zeros(z.shape, dtype=np.int8)
        for bp in bps:
            piece += (z > bp).astype(np.int8)
            undecided |= ~np.all(np.abs(z - bp) > ez, axis=1)  # NaN (an overflow) is never decided
        pats.append(piece)
    pattern = np.concatenate(pats, axis=1)
    for i in np.nonzero(undecided)[0]:
        x, y = pts[i]
        pattern[i] = net.pattern_at((Fraction(float(x)), Fraction(float(y))))
    return pattern, int(undecided.sum())


@dataclass(repr=False)
class CrossCheck:
    """Exact versus sampled activation patterns on a pixel grid.

    Attributes
    ----------
    window : float or dict
        Half-width ``B`` of the sampled window ``[-B, B]^2``, or the rectangle or polygon
        as :meth:`exact.windows.ConvexWindow.to_json` writes it.
    res : int
        Pixels per side.
    exact_count : int
        Exact activation regions in the window.
    sampled_count : int
        Distinct patterns seen at pixel centres.  Not a bound on ``exact_count``: it
        counts the ``spurious`` patterns too; the regions the grid hit are
        ``exact_count - len(missed)``.
    missed : list of (pattern, area)
        Exact regions no pixel centre fell in, largest first, with exact areas (float).
    spurious : int
        Sampled patterns that are no region's pattern: ``boundary_patterns + float_patterns``.
    disagreements : int
        Pixels whose sampled pattern differs from the exact pattern at the pixel centre.
    unexplained : int
        Disagreements not within the sampler's float error of a boundary (should be 0).
    exact_filtered : int
        Pixels whose exact pattern needed rational arithmetic (float filter undecided).
    boundary_patterns : int
        Spurious patterns that are the exact pattern at some pixel centre: that centre
        lies exactly on a boundary, and the pattern is that of a line or vertex (a
        neuron exactly at its breakpoint), not of a 2-D region.  No float error.
    float_patterns : int
        Spurious patterns that are the exact pattern at no pixel centre: seen only where
        the sampler's float pattern differs from the exact one (its float error).
    """

    window: float | dict
    res: int
    exact_count: int
    sampled_count: int
    missed: list = field(default_factory=list)
    spurious: int = 0
    disagreements: int = 0
    unexplained: int = 0
    exact_filtered: int = 0
    boundary_patterns: int = 0
    float_patterns: int = 0

    def as_dict(self) -> dict:
        """Return the report as a JSON-ready dict (areas as floats)."""
        return {
            "window": self.window,
            "res": self.res,
            "exact_regions": self.exact_count,
            "sampled_regions": self.sampled_count,
            "missed_regions": len(self.missed),
            "missed_area_total": float(sum(a for _, a in self.missed)),
            "largest_missed_area": float(self.missed[0][1]) if self.missed else 0.0,
            "spurious_patterns": self.spurious,
            "boundary_patterns": self.boundary_patterns,
            "float_error_patterns": self.float_patterns,
            "pixel_disagreements": self.disagreements,
            "unexplained_disagreements": self.unexplained,
            "pixels_decided_exactly": self.exact_filtered,
        }

    def __repr__(self) -> str:
        """Show the counts and the first few missed patterns as digit strings (``'0110'``)."""
        shown = ", ".join(repr("".join(str(int(v)) for v in p)) for p, _ in self.missed[:3])
        more = f", … and {len(self.missed) - 3} more" if len(self.missed) > 3 else ""
        return (f"CrossCheck(window={self.window!r}, res={self.res}, exact_count={self.exact_count}, "
                f"sampled_count={self.sampled_count}, missed={len(self.missed)} [{shown}{more}], "
                f"spurious={self.spurious} (boundary {self.boundary_patterns}, float {self.float_patterns}), "
                f"disagreements={self.disagreements}, unexplained={self.unexplained}, "
                f"exact_filtered={self.exact_filtered})")


def cross_check(net: Any, window: WindowLike = DEFAULT_WINDOW, res: int = 400, *, plane=None,
                bound: float | None = None) -> CrossCheck:
    """Compare the sheet's grid sampling with the exact regions of the same net.

    Parameters
    ----------
    net : torch.nn.Module, list of (W, b), ExactNet or path
        A torch module is sampled as it is (its own dtype, float32 by default); other
        inputs are sampled with a float64 torch copy.
    window : float, (xmin, xmax, ymin, ymax) or sequence of (x, y), default 10
        Half-width ``B`` of the window ``[-B, B]^2`` (:data:`exact.DEFAULT_WINDOW`), or a
        rectangle or convex polygon as in :func:`exact.regions`; a polygon is sampled at
        the pixel centres of its bounding box that lie in it.
    res : int, default 400
        Pixels per side (of the bounding box, for a rectangle or polygon).
    plane : (x0, x1, x2), optional
        Study the 2-D slice through three points, as in :func:`exact.regions`.
    bound : float, optional
        Old name of ``window`` (deprecated; a FutureWarning).

    Returns
    -------
    CrossCheck
        Exact and sampled counts, missed regions with their areas, pixel disagreements.

    Raises
    ------
    InputError
        ``window=None`` (sampling cannot cover the plane), or bad input as in
        :func:`exact.regions`.

    Examples
    --------
    >>> cross_check([([[1.0, 0.0]], [0.0]), ([[1.0]], [0.0])], window=1.0, res=4).missed
    []
    """
    if bound is not None:
        warnings.warn("cross_check(bound=...) is now window=...; bound= will be removed", FutureWarning,
                      stacklevel=2)
        window = bound
    B = check_window(window)
    if B is None:
        raise InputError("cross_check needs a finite window (a number > 0): sampling cannot cover the plane")
    poly = isinstance(B, ConvexWindow)
    check_sampled_window(B, res)
    enet = _read_for_check(net, plane, window)
    if enet.input_dim != 2:
        d = enet.input_dim
        slice_ = ", or in Python give cross_check plane=(x0, x1, x2) for a 2-D slice" if d > 2 else ""
        raise InputError(f"cross_check compares exact regions with 2-D pixel sampling, and this network's "
                         f"input is {d}-D: count its {d}-D regions exactly with exact.regions (exactnet "
                         f"regions SPEC){slice_}")
    check_float_weights(enet)
    model = _sampled_model(net, enet, plane)
    bps = _one_set_of_breakpoints(enet)
    reg = regions(enet, window=B)
    exact_set = {c.pattern: c for c in reg.cells}
    pts, pix, sampled = _sample(model, B, res, bps[0] if bps else (0.0,))
    missed = sorted(
        ((p, float(c.exact_area)) for p, c in exact_set.items() if p not in sampled),
        key=lambda t: -t[1],
    )
    u_s = _unit_roundoff(next(model.parameters()).dtype)
    n_exact, n_diff, n_unexplained, at_pixels = _compare_pixels(enet, pts, pix, bps, u_s)
    spurious = sampled - set(exact_set)  # those in at_pixels: the exact pattern of a line or vertex
    return CrossCheck(
        window=B.to_json() if poly else float(B),
        res=res,
        exact_count=reg.n_activation,
        sampled_count=len(sampled),
        missed=missed,
        spurious=len(spurious),
        disagreements=n_diff,
        unexplained=n_unexplained,
        exact_filtered=n_exact,
        boundary_patterns=len(spurious & at_pixels),
        float_patterns=len(spurious - at_pixels),
    )


def check_sampled_window(window: Fraction | ConvexWindow, res: int) -> None:
    """Refuse a window whose ``res x res`` float grid cannot sample it faithfully (one rule, both ends).

    The grid's coordinates and areas are floats: the window must lie in ``[-B, B]^2`` with
    ``B`` at most ``2^510`` (areas up to ``4 B^2`` stay finite); each pixel must be at least
    ``2^-511`` wide (its area at least ``2^-1022``, the smallest normal float: no underflow)
    and at least ``2^-44`` times the window's largest coordinate (pixel centres, rounded to
    floats within ``2^-52`` of it, stay inside their own pixels and off the window's edges).
    Decided exactly on the window's exact bounds.

    Parameters
    ----------
    window : Fraction or ConvexWindow
        A half-width ``B`` or a rectangle or polygon (its bounding box is sampled).
    res : int
        Pixels per side.

    Raises
    ------
    InputError
        A window too large, or pixels too small, saying why and how big.

    Examples
    --------
    >>> check_sampled_window(Fraction(10), 400)
    >>> check_sampled_window(Fraction(1, 10**400), 10)
    Traceback (most recent call last):
    ...
    exact.errors.InputError: cross_check samples a float grid and reports float areas: ... pixels 2e-401 wide
    """
    x0, x1, y0, y1 = window.bounds if isinstance(window, ConvexWindow) else (-window, window, -window, window)
    big = max(abs(x0), abs(x1), abs(y0), abs(y1))
    got = f"got window={window_text(window)} and res={res}"
    if big > _MAX_SAMPLED_WINDOW:
        raise InputError(f"cross_check samples a float grid and reports float areas: the window must lie in "
                         f"[-B, B]^2 with B at most {float(_MAX_SAMPLED_WINDOW):.3g} (areas up to 4 B^2 stay "
                         f"finite); {got}: coordinates up to {_short(big)}")
    pixel = min(x1 - x0, y1 - y0) / res
    if pixel < _MIN_PIXEL or pixel < big * _RESOLUTION:
        raise InputError(f"cross_check samples a float grid and reports float areas: each pixel must be at "
                         f"least {float(_MIN_PIXEL):.3g} wide (areas above the smallest normal float) and at "
                         f"least 2^-44 = {float(_RESOLUTION):.3g} times the largest coordinate (pixel "
                         f"centres rounded to floats stay in their pixels); {got}: coordinates up to "
                         f"{_short(big)}, pixels {_short(pixel)} wide")


def check_float_weights(net: ExactNet) -> None:
    """Refuse a network that has a weight or bias beyond the float range: it cannot be sampled in floats.

    Parameters
    ----------
    net : ExactNet

    Raises
    ------
    InputError
        Naming the first such value: its layer, its place and its exact value.

    Examples
    --------
    >>> check_float_weights(ExactNet.from_layers([([[1, 0]], [0]), ([[1]], [0])]))
    >>> check_float_weights(ExactNet.from_layers([([[1, 0]], [0]), ([[Fraction(10**400)]], [0])]))
    Traceback (most recent call last):
    ...
    exact.errors.InputError: cross_check samples the network in float64, and layer 2's weight [0][0] = ...
    """
    try:
        float_weights(net)
    except Undecided:  # find the first value that overflows, to name it
        pass
    else:
        return
    head = "cross_check samples the network in float64, and"
    for l, (W, b) in enumerate(zip(net.weights, net.biases), start=1):
        named = [(f"weight [{i}][{j}]", v) for i, row in enumerate(W) for j, v in enumerate(row)]
        for where, v in named + [(f"bias [{i}]", v) for i, v in enumerate(b)]:
            if math.isinf(round_or_inf(v)):
                raise InputError(f"{head} layer {l}'s {where} = {exact_number_text(v)} is beyond the float "
                                 "range (about 1.8e308); count its regions exactly with exact.regions, which "
                                 "reads it exactly")
    raise InputError(f"{head} its weights' rounding is beyond the float range; count its regions exactly "
                     "with exact.regions")


def _short(q: Fraction) -> str:
    """Write a positive exact value short: 3 digits of its float, or exact text where the float fails."""
    normal = sys.float_info.min <= q <= sys.float_info.max
    return f"{float(q):.3g}" if normal else exact_number_text(q)


def _sample(model, w: Fraction | ConvexWindow, res: int, bps: tuple[float, ...]
            ) -> tuple[np.ndarray, np.ndarray, set]:
    """Sample the model's patterns in the window: the points, their patterns, the set of patterns."""
    from numeric.sampling import grid_patterns, grid_points

    if isinstance(w, ConvexWindow):
        pts, pix = _sample_window(model, w, res, bps)
        return pts, pix, {tuple(int(v) for v in row) for row in np.unique(pix, axis=0)} if len(pix) else set()
    g = grid_patterns(model, float(w), res, breakpoints=bps)
    return grid_points(float(w), res), g.patterns[g.image.ravel()], g.pattern_set()


def _sample_window(model, w: ConvexWindow, res: int, bps: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Sample a polygon window: the pixel centres of its bounding box that lie in it, and their patterns.

    ``res x res`` pixels over ``[xmin, xmax] x [ymin, ymax]`` (centres ``xmin + (i + 1/2)
    (xmax - xmin) / res``, in floats); which centres are in the window is decided exactly
    (:meth:`~exact.windows.ConvexWindow.contains`).  The patterns are the model's own,
    in its dtype, as :func:`numeric.sampling.grid_patterns` samples them.
    """
    import torch

    from numeric.sampling import hidden_preactivations

    x0, x1, y0, y1 = (float(v) for v in w.bounds)
    xs = x0 + (np.arange(res) + 0.5) * ((x1 - x0) / res)
    ys = y0 + (np.arange(res) + 0.5) * ((y1 - y0) / res)
    X, Y = np.meshgrid(xs, ys, indexing="xy")
    pts = np.stack([X.ravel(), Y.ravel()], axis=1)
    pts = pts[w.contains(pts)]
    parts = []
    for s in range(0, max(len(pts), 1), 1 << 15):  # once at least: no point in it still gives the width
        zs = hidden_preactivations(model, pts[s : s + (1 << 15)])
        parts.append(torch.cat([sum((z > b).to(torch.int8) for b in bps) for z in zs], dim=1).numpy())
    return pts, np.concatenate(parts)


def _unit_roundoff(dtype) -> float:
    """Return the unit roundoff of the sampler's torch dtype (float32, float64, else half)."""
    import torch

    return U32 if dtype == torch.float32 else (U if dtype == torch.float64 else 2.0**-11)


def _compare_pixels(enet: ExactNet, pts: np.ndarray, sampled_pix: np.ndarray, bps: list, u_s: float
                    ) -> tuple[int, int, int, set]:
    """Count pixels decided exactly, pixels whose sampled pattern is wrong, and unexplained ones.

    A wrong pixel is explained when its centre lies within the sampler's float error
    (including the rounding of the input to its dtype) of some neuron's breakpoint.
    Also return the set of exact patterns at the pixel centres.
    """
    n_exact = n_diff = n_unexplained = 0
    at_pixels: set = set()
    for s in range(0, len(pts), 1 << 14):
        p = pts[s : s + (1 << 14)]
        exact_pat, k = _exact_patterns(enet, p)
        n_exact += k
        if len(p):
            at_pixels.update(tuple(int(v) for v in row) for row in np.unique(exact_pat, axis=0))
        diff = np.any(sampled_pix[s : s + len(p)] != exact_pat, axis=1)
        if not diff.any():
            continue
        n_diff += int(diff.sum())
        zs_s = _float_forward(enet, p[diff], u_s, u_s * np.abs(p[diff]))
        near = np.zeros(int(diff.sum()), dtype=bool)
        for (z, ez), bb in zip(zs_s, bps):
            for bp in bb:
                near |= ~np.all(np.abs(z - bp) > 2 * ez, axis=1)  # NaN: an overflow, the sampler's too
        n_unexplained += int((~near).sum())
    return n_exact, n_diff, n_unexplained, at_pixels

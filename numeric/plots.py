"""Figures of the sheet: lse contours, softmax images, model images at several ranges.

Every function takes ``axes=None`` (then makes its own figure) and returns the artists
it drew; none calls ``show()`` or ``savefig()``.  matplotlib is imported lazily.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> artists = plot_lse_contours()
>>> len(artists)
4
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from decimal import Decimal

import numpy as np

from .stable_lse import logsumexp, softmax

__all__ = ["MAX_RES", "plot_lse_contours", "plot_softmax_images", "plot_model_images", "plot_pattern_image",
           "scale_ticks"]


def _axes(axes, n: int, ncols: int, size=(4.2, 4.0)):
    import matplotlib.pyplot as plt

    if axes is None:
        nrows = (n + ncols - 1) // ncols
        fig, axs = plt.subplots(nrows, ncols, figsize=(size[0] * ncols, size[1] * nrows), squeeze=False,
                                layout="constrained")
        axes = axs.ravel()
        for ax in axes[n:]:
            ax.set_visible(False)
    axes = list(np.ravel(axes))
    if len(axes) < n:
        raise ValueError(f"axes: need {n} axes, got {len(axes)}")
    return axes


def _check_numbers(values, name: str, example: str, *, finite_positive: bool = False) -> list:
    """``values`` as a non-empty list of real numbers; each refused with its index and value."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__len__") or getattr(values, "ndim", 1) != 1:
        raise TypeError(f"{name} must be a sequence of numbers such as {example}, got "
                        f"{type(values).__name__} {values!r}"[:200])
    out = list(values)
    if not out:
        raise ValueError(f"{name} must hold at least one number, got {values!r}")
    for i, v in enumerate(out):
        if finite_positive:
            out[i] = _check_bound(v, f"{name}[{i}]")
        elif isinstance(v, bool) or not isinstance(v, (numbers.Real, Decimal)):
            raise TypeError(f"{name}[{i}] must be a real number, got {type(v).__name__} {v!r}"[:200])
        elif v.is_nan() if isinstance(v, Decimal) else v != v:
            raise ValueError(f"{name}[{i}] must not be NaN, got {v!r}")
    return out


def _check_bound(bound, name: str = "bound") -> float:
    """``bound`` as a float, refused unless a finite number > 0 (with its name and value)."""
    if isinstance(bound, bool) or not isinstance(bound, (numbers.Real, Decimal)):
        raise TypeError(f"{name} must be a number, got {type(bound).__name__} {bound!r}"[:200])
    try:
        b = float(bound)
    except (OverflowError, ValueError):  # an int past the float range, a signalling NaN
        b = float("nan")
    if not 0 < b < float("inf"):  # False for NaN too
        raise ValueError(f"{name} must be a finite number > 0 (the half-width of the square shown), "
                         f"got {bound!r}"[:200])
    return b


def _check_count(value, name: str, least: int, most: int, why: str) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}"[:200])
    if not least <= value <= most:
        raise ValueError(f"{name} must be an integer from {least} to {most} ({why}), got {value!r}")


MAX_RES = 4000
"""Largest ``res`` of the sheet's images: ``res**2`` pixels, each computed in float64 several times."""


def _sigma_grid(bound: float, res: int):
    xs = np.linspace(-bound, bound, res)
    S1, S2 = np.meshgrid(xs, xs, indexing="xy")  # S1 varies along columns (x axis)
    return S1, S2, np.stack([S1, S2], axis=-1)


def _label(ax, xl="$\\sigma_1$", yl="$\\sigma_2$"):
    ax.set_xlabel(xl)
    ax.set_ylabel(yl)
    ax.set_aspect("equal")


def plot_lse_contours(
    lams: Sequence[float] = (1, 10, 100), bound: float = 1.0, res: int = 201, levels: int = 15, axes=None
):
    """Draw contours of ``lse((σ1, σ2); λ)`` for each λ, and of ``max(σ1, σ2)`` in the last panel.

    Parameters
    ----------
    lams : sequence of float, default (1, 10, 100)
        The inverse temperatures λ, one panel each.
    bound : float, default 1.0
        The panels show ``[-bound, bound]^2``.
    res : int, default 201
        Grid points per side.
    levels : int, default 15
        At most this many contour levels, shared by all panels: round numbers
        (``matplotlib.ticker.MaxNLocator``) from ``-bound`` to ``bound + log 2``.
    axes : sequence of Axes, optional
        At least ``len(lams) + 1`` axes; by default a new figure with two columns.

    Returns
    -------
    list of QuadContourSet
        One per panel (``len(lams) + 1``).

    Raises
    ------
    TypeError
        ``lams`` not a sequence of real numbers; ``bound``, ``res`` or ``levels`` not a number.
    ValueError
        If ``axes`` holds fewer than ``len(lams) + 1`` axes; ``lams`` empty or holding 0 (where lse
        is undefined); ``bound`` not finite and > 0; ``res`` not in 2..:data:`MAX_RES`;
        ``levels`` not in 1..1000.

    Notes
    -----
    Each level is labelled once, at the point of its contour farthest from both the frame
    and the diagonal ``σ1 = σ2`` (below it); a level whose contour stays within 8 % of the
    panel's width of the frame is left unlabelled, so no label touches the frame.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, axs = plt.subplots(1, 2)
    >>> sets = plot_lse_contours(lams=(10,), res=21, axes=axs)
    >>> [type(a).__name__ for a in sets], [float(v) for v in sets[0].levels[:3]]
    (['QuadContourSet', 'QuadContourSet'], [-1.0, -0.8, -0.6])
    >>> plt.close(fig)
    """
    from matplotlib.ticker import MaxNLocator

    lams = _check_numbers(lams, "lams", "(1, 10, 100)")
    for i, lam in enumerate(lams):
        if lam == 0:
            raise ValueError(f"lams[{i}] is 0, where lse is undefined ((1/λ) log n -> ±inf as λ -> 0±)")
    bound = _check_bound(bound)
    _check_count(res, "res", 2, MAX_RES, "a contour needs a grid of at least 2 x 2 points")
    _check_count(levels, "levels", 1, 1000, "the most contour levels drawn")
    axes = _axes(axes, len(lams) + 1, 2)
    S1, S2, S = _sigma_grid(bound, res)
    lv = MaxNLocator(levels).tick_values(-bound, bound + np.log(2))
    panels = [(logsumexp(S, lam=lam, axis=-1), f"lse contours, $\\lambda = {float(lam):g}$") for lam in lams]
    panels.append((np.maximum(S1, S2), "max$(\\sigma_1, \\sigma_2)$ (the limit $\\lambda \\to \\infty$)"))
    out = []
    for ax, (Z, title) in zip(axes, panels):
        cs = ax.contour(S1, S2, Z, levels=lv, cmap="viridis")
        _label_contours(ax, cs, bound)
        ax.set_title(title)
        _label(ax)
        out.append(cs)
    return out


def _label_contours(ax, cs, bound: float) -> None:
    """Label each level once, away from the frame and from the diagonal (see plot_lse_contours)."""
    margin = 0.08 * 2 * bound
    spots = []
    for segs in cs.allsegs:
        pts = np.concatenate([s for s in segs if len(s)]) if any(len(s) for s in segs) else np.empty((0, 2))
        if not len(pts):
            continue
        frame = bound - np.abs(pts).max(axis=1)
        score = np.minimum(frame - margin, (pts[:, 0] - pts[:, 1]) / np.sqrt(2) - margin)
        if score.max() > 0:
            spots.append(tuple(pts[int(np.argmax(score))]))
    if spots:
        ax.clabel(cs, fontsize=8, fmt=lambda v: f"{round(v, 6):g}", manual=spots, inline_spacing=3)


def plot_softmax_images(lams: Sequence[float] = (1, 10, 100), bound: float = 1.0, res: int = 201, axes=None):
    """Draw images of both softmax components for each λ (row k: component k).

    Parameters
    ----------
    lams : sequence of float, default (1, 10, 100)
        The inverse temperatures λ, one column each.
    bound : float, default 1.0
        The images show ``[-bound, bound]^2``.
    res : int, default 201
        Pixels per side.
    axes : sequence of Axes, optional
        At least ``2 * len(lams)`` axes, filled row by row; by default a new figure.

    Returns
    -------
    list of AxesImage
        ``2 * len(lams)`` images, component 1 for each λ then component 2.

    Raises
    ------
    TypeError
        ``lams`` not a sequence of real numbers; ``bound`` or ``res`` not a number.
    ValueError
        If ``axes`` holds fewer than ``2 * len(lams)`` axes; ``lams`` empty; ``bound`` not
        finite and > 0; ``res`` not in 1..:data:`MAX_RES`.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> len(plot_softmax_images(lams=(1,), res=11))
    2
    >>> plot_softmax_images(lams=(1, 10), axes=[plt.gca()])
    Traceback (most recent call last):
    ...
    ValueError: axes: need 4 axes, got 1
    >>> plt.close("all")
    """
    lams = _check_numbers(lams, "lams", "(1, 10, 100)")
    bound = _check_bound(bound)
    _check_count(res, "res", 1, MAX_RES, "pixels per side")
    n = len(lams)
    axes = _axes(axes, 2 * n, n)
    _, _, S = _sigma_grid(bound, res)
    out = []
    for k in range(2):
        for i, lam in enumerate(lams):
            ax = axes[k * n + i]
            P = softmax(S, lam=lam, axis=-1)[..., k]
            im = ax.imshow(P, origin="lower", extent=(-bound, bound, -bound, bound), vmin=0, vmax=1,
                           cmap="magma")
            ax.set_title(f"softmax component {k + 1}, $\\lambda = {float(lam):g}$")
            _label(ax)
            ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04)  # the axes' own figure, not pyplot's
            out.append(im)
    return out


def plot_model_images(model, bounds: Sequence[float] = (1e0, 1e2, 1e4, 1e6, 1e8, 1e10), res: int = 400,
                      axes=None, lines=None, output: int | None = None):
    """Draw images of a model's output on ``[-B, B]^2`` for each ``B`` (the sheet's zoom series).

    Parameters
    ----------
    model : torch.nn.Module
        A model from R^2 to R (or to R^m with ``output``), evaluated by
        :func:`numeric.sampling.evaluate_grid`.
    bounds : sequence of float, default (1e0, 1e2, ..., 1e10)
        The half-widths ``B``, one panel each.
    res : int, default 400
        Pixels per side.
    axes : sequence of Axes, optional
        At least ``len(bounds)`` axes; by default a new figure with three columns.
    lines : sequence of (w1, w2, b), optional
        Lines ``w1 x1 + w2 x2 + b = 0`` to overlay (e.g. the exact first-layer lines).
    output : int, optional
        The output to draw, for a model with several (a scalar model needs none).

    Returns
    -------
    list of AxesImage
        One per ``B``, with extent ``(-B, B, -B, B)``.

    Raises
    ------
    TypeError
        ``bounds`` not a sequence of numbers.
    ValueError
        If ``axes`` holds fewer than ``len(bounds)`` axes, ``bounds`` is empty or holds a ``B``
        that is not finite and > 0, or (as raised by :func:`~numeric.sampling.evaluate_grid`)
        for a ``res`` it rejects, a model of several outputs without ``output`` or an
        ``output`` out of range.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from numeric.models import seeded_mlp
    >>> ims = plot_model_images(seeded_mlp([2, 3, 1]), bounds=(1.0, 100.0), res=16, lines=[(1, 0, 0.5)])
    >>> [im.get_extent() for im in ims]
    [[-1.0, 1.0, -1.0, 1.0], [-100.0, 100.0, -100.0, 100.0]]
    >>> plt.close("all")
    """
    from .sampling import evaluate_grid

    bounds = _check_numbers(bounds, "bounds", "(1.0, 100.0)", finite_positive=True)
    axes = _axes(axes, len(bounds), 3, size=(5.2, 4.4))
    out = []
    for ax, B in zip(axes, bounds):
        img = evaluate_grid(model, B, res, output=output)
        im = ax.imshow(img, origin="lower", extent=(-B, B, -B, B), cmap="viridis", interpolation="nearest")
        bar = ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04)  # the axes' own figure, not pyplot's
        scale_ticks(bar.ax.yaxis, float(np.nanmax(np.abs(img))), "output")
        if lines is not None:
            _overlay_lines(ax, lines, B)
        which = "" if output is None else f", output {output}"
        ax.set_title(f"range $[-B, B]^2$, $B = {_pow10(B)}${which}")
        _label(ax, "$x_1$", "$x_2$")
        scale_ticks(ax.xaxis, B, "$x_1$")
        scale_ticks(ax.yaxis, B, "$x_2$")
        out.append(im)
    return out


def scale_ticks(axis, extent: float, label: str) -> int:
    r"""Label an axis in units of ``10^k`` when its values reach ``10^4``, never with offset text.

    matplotlib's default shows a ``1e6`` offset on one panel and ``250000`` on the next;
    here every axis of a figure follows one rule: ticks are plain numbers with one number
    of decimals per axis, divided by ``10^k`` (``k = floor(log10(extent))``) when ``k >= 4``
    or ``k <= -4``, and the factor is written into the axis label, e.g. ``output (×10^6)``.

    Parameters
    ----------
    axis : matplotlib.axis.Axis
        ``ax.xaxis``, ``ax.yaxis`` or a colour bar's ``bar.ax.yaxis``.
    extent : float
        The largest absolute value shown on the axis (a window's half-width, an image's
        largest ``|value|``); 0 or not finite means no scaling.
    label : str
        The axis label without the factor.

    Returns
    -------
    int
        The exponent ``k`` used (0 when the ticks are unscaled).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> ax = plt.figure().add_subplot()
    >>> _ = ax.set_xlim(-1e6, 1e6)
    >>> scale_ticks(ax.xaxis, 1e6, "$x_1$"), scale_ticks(ax.yaxis, 250.0, "output")
    (6, 0)
    >>> print(ax.get_xlabel())
    $x_1$ ($\times 10^{6}$)
    >>> ax.figure.canvas.draw()
    >>> [t.get_text() for t in ax.get_xticklabels()][:3], ax.xaxis.get_offset_text().get_visible()
    (['−1.00', '−0.75', '−0.50'], False)
    >>> plt.close("all")
    """
    from matplotlib.ticker import ScalarFormatter

    k = int(np.floor(np.log10(extent))) if np.isfinite(extent) and extent > 0 else 0
    k = 0 if -4 < k < 4 else k
    fmt = ScalarFormatter(useOffset=False)
    if k:
        fmt.set_powerlimits((k, k))     # a fixed order of magnitude: ticks are v / 10^k
        axis.set_label_text(f"{label} ($\\times 10^{{{k}}}$)")
    else:
        fmt.set_scientific(False)
        axis.set_label_text(label)
    axis.set_major_formatter(fmt)
    axis.get_offset_text().set_visible(False)
    return k


def _pow10(B: float) -> str:
    k = np.log10(B)
    return f"10^{{{int(round(k))}}}" if abs(k - round(k)) < 1e-12 else f"{B:g}"


def _overlay_lines(ax, lines, B: float) -> None:
    t = np.array([-2 * B, 2 * B])
    for w1, w2, b in lines:
        w1, w2, b = float(w1), float(w2), float(b)
        n2 = w1 * w1 + w2 * w2
        if n2 == 0:
            continue
        p0 = np.array([-w1 * b / n2, -w2 * b / n2])
        d = np.array([-w2, w1]) / np.sqrt(n2)
        ax.plot(p0[0] + t * d[0] * 2, p0[1] + t * d[1] * 2, color="white", lw=0.6, alpha=0.8)
    ax.set_xlim(-B, B)
    ax.set_ylim(-B, B)


def plot_pattern_image(grid, ax=None):
    """Draw the sampled activation-pattern image of a :class:`~numeric.sampling.GridPatterns`.

    Pattern indices are mapped to colours through a fixed random permutation (seed 0), so
    patterns with close indices get unrelated colours.

    Parameters
    ----------
    grid : GridPatterns
        From :func:`numeric.sampling.grid_patterns`.
    ax : Axes, optional
        By default a new 5 x 5 inch figure.

    Returns
    -------
    AxesImage
        The image, titled with the number of sampled patterns.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from numeric.models import seeded_mlp
    >>> from numeric.sampling import grid_patterns
    >>> im = plot_pattern_image(grid_patterns(seeded_mlp([2, 3, 1]), 10.0, 16))
    >>> im.axes.get_title().split(" (")[0], im.get_array().shape
    ('6 sampled patterns', (16, 16))
    >>> plt.close("all")
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5, 5))
    B = grid.window
    rng = np.random.default_rng(0)
    perm = rng.permutation(max(grid.n_patterns, 1))
    im = ax.imshow(perm[grid.image] if grid.n_patterns else grid.image, origin="lower",
                   extent=(-B, B, -B, B), cmap="tab20", interpolation="nearest")
    ax.set_title(f"{grid.n_patterns} sampled patterns ({grid.res}$\\times${grid.res} pixels)")
    _label(ax, "$x_1$", "$x_2$")
    return im

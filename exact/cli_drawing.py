"""What ``exactnet regions`` can draw (``--plot``, ``--html``, ``--geojson``): refusals first, then the plot.

A picture or a GeoJSON file needs 2-D cells (a 2-D input, or a ``--plane`` slice), the
HTML view 2-D or 3-D ones; matplotlib and a browser draw in floats, so the window must
stay within :data:`~exact.plot_limits.DRAW_LIMIT` (:func:`~exact.plot_limits.check_drawable`).
"""

from __future__ import annotations

from typing import Any

from .errors import InputError
from .plot_limits import check_drawable

__all__ = ["check_drawings", "refuse_drawing_nd", "save_plot"]

_ONE_D = ("a 1-D input's cells are intervals, and three of its points span no plane (so no --plane): see "
          "them with --stats (their sizes), or with exactnet segment SPEC --from LO --to HI (the exact "
          "breakpoints and pieces between LO and HI); drop {named}")


def refuse_drawing_nd(args: Any, d: int) -> None:
    """Refuse what needs 2-D cells for a net of input width ``d != 2`` given without ``--plane``.

    Parameters
    ----------
    args : argparse.Namespace
        The ``regions`` options (``html``, ``plot``, ``geojson``, ``level_set``,
        ``decision_boundary``, ``segments``).
    d : int
        The network's input width.

    Returns
    -------
    None

    Raises
    ------
    InputError
        An option that needs 2-D cells (or, for ``--html``, 2-D or 3-D ones), naming it and
        what works instead.

    Examples
    --------
    >>> import argparse
    >>> args = argparse.Namespace(html=None, plot="p.png", geojson=None, level_set=None,
    ...                           decision_boundary=False, segments=None)
    >>> refuse_drawing_nd(args, 1)
    Traceback (most recent call last):
    ...
    exact.errors.InputError: --plot needs a 2-D input, and this network's input is 1-D: a 1-D input's ...
    >>> refuse_drawing_nd(args, 4)
    Traceback (most recent call last):
    ...
    exact.errors.InputError: --plot needs a 2-D input, and this network's input is 4-D: add --plane ...
    """
    if args.html and d != 3:
        fix = (_ONE_D.format(named="--html") if d == 1 else "add --plane '[[..],[..],[..]]' (three input "
               f"points) for a 2-D slice, or drop --html for the exact {d}-D counts")
        raise InputError(f"--html draws 2-D and 3-D inputs, and this network's input is {d}-D: {fix}")
    options = (("--plot", args.plot), ("--geojson", args.geojson), ("--level-set", args.level_set),
               ("--decision-boundary", args.decision_boundary), ("--segments", args.segments))
    wanted = [o for o, v in options if v]
    if wanted:
        named = " and ".join([", ".join(wanted[:-1]), wanted[-1]] if len(wanted) > 1 else wanted)
        fix = (_ONE_D.format(named=named) if d == 1 else "add --plane '[[..],[..],[..]]' (three input "
               f"points), or drop {named} for the exact {d}-D counts")
        raise InputError(f"{named} {'needs' if len(wanted) == 1 else 'need'} a 2-D input, and this "
                         f"network's input is {d}-D: {fix}")


def check_drawings(reg: Any, args: Any) -> None:
    """Refuse ``--plot`` or ``--html`` of regions whose window a float drawing cannot hold, before any output.

    Parameters
    ----------
    reg : Regions or RegionsND
        The regions to draw.
    args : argparse.Namespace
        The ``regions`` options (``plot``, ``html``).

    Returns
    -------
    None

    Raises
    ------
    InputError
        As :func:`~exact.plot_limits.check_drawable` (the CLI rewords its advice).

    Examples
    --------
    >>> import argparse
    >>> from exact import regions
    >>> check_drawings(regions([([[1, 0]], [0]), ([[1]], [0])], window=1),
    ...                argparse.Namespace(plot="p.png", html=None))
    """
    if args.plot:
        check_drawable(reg, "--plot")
    if args.html:
        check_drawable(reg, "--html", "a browser (plotly.js)")


def save_plot(reg: Any, path: str, args: Any, curves: list) -> None:
    r"""Draw ``--plot``: the regions, the level sets and decision boundary computed, the plane's points.

    Parameters
    ----------
    reg : Regions
        The regions.
    path : str
        The image file (its suffix gives the format).
    args : argparse.Namespace
        The ``regions`` options (``color``, ``output``).
    curves : list of LevelSet
        The level sets and decision boundary to draw.

    Returns
    -------
    None

    Raises
    ------
    InputError
        As :func:`exact.plotting.save_regions_plot`.

    Examples
    --------
    >>> import argparse, io
    >>> from exact import regions
    >>> buf = io.BytesIO()
    >>> r = regions([([[1, 0]], [0]), ([[1]], [0])], window=1)
    >>> save_plot(r, buf, argparse.Namespace(color="index", output=0), [r.decision_boundary()])
    >>> buf.getvalue()[:4]
    b'\x89PNG'
    """
    from .plotting import save_regions_plot

    save_regions_plot(reg, path, format="png" if not isinstance(path, str) else None, color=args.color,
                      output=args.output, level_set=curves or None,
                      mark_points=True if reg.plane is not None else None)

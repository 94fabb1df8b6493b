"""The text of a region analysis: counts, region sizes and per-neuron activity, for the command line.

Examples
--------
>>> import exact
>>> r = exact.regions([([[1, 0], [0, 1], [0, 0]], [0, 0, -1]), ([[1, 1, 1]], [0])], window=1)
>>> print(format_analysis(r))
activation regions: 4, linear regions: 4 (2-D input, window)
sizes (exact area): 4 bounded, 0 unbounded; smallest 1, median 1, largest 1
neurons: 3 hidden; dead: (0, 2); always active: none
neuron       on  off
(0, 0)        2    2
(0, 1)        2    2
(0, 2)        0    4
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from .errors import InputError
from .json_numbers import exact_json, json_number
from .neuron_usage import neuron_activity
from .region_measures import sizes_or_none

__all__ = ["analysis_json", "format_analysis"]


def format_analysis(regions: Any, measure: str = "auto", max_neurons: int = 200, counts: bool = True) -> str:
    """Write the counts, region-size statistics and neuron activity of exact regions as text.

    Parameters
    ----------
    regions : Regions or RegionsND
        Exact regions from :func:`exact.regions`.
    measure : {"auto", "volume", "area", "radius"}, default "auto"
        As in :func:`exact.region_sizes`.
    max_neurons : int, default 200
        Rows of the per-neuron table at most (the rest is summarised in one line).
    counts : bool, default True
        Begin with the two counts (the command line prints them already).

    Returns
    -------
    str
        Several lines, no trailing newline: the counts; sizes (exact, or radii marked as
        float estimates; unbounded cells counted apart); dead and always-active neurons;
        a table of each neuron's on/off counts (per piece for activations with more than
        two pieces).

    Raises
    ------
    InputError, InputTypeError
        As :func:`exact.region_sizes` and :func:`exact.neuron_activity`; a bad
        ``max_neurons``.

    Examples
    --------
    >>> import exact
    >>> r = exact.regions([([[1, 0, 0]], [0]), ([[1]], [0])], window=1)
    >>> for part in format_analysis(r, "radius").splitlines()[1].split("; "):
    ...     print(part)
    sizes (inscribed-ball radius, float estimate): 2 bounded, 0 unbounded
    smallest 0.5, median 0.5, largest 0.5
    """
    if isinstance(max_neurons, bool) or not isinstance(max_neurons, int) or max_neurons < 0:
        raise InputError(f"max_neurons must be a non-negative integer, got {max_neurons!r:.60}")
    s = sizes_or_none(regions, measure)
    a = neuron_activity(regions)
    d = 2 if hasattr(regions, "box") else len(regions.lo)
    where = "whole space" if a.whole_space else "window"
    if s is None:
        sizes = "sizes: inscribed-ball radii need scipy (pip install 'exactnet[analysis]')"
    else:
        what = "inscribed-ball radius, float estimate" if s.measure == "radius" else f"exact {s.measure}"
        stats = ", ".join(f"{k} {_num(getattr(s, k))}" for k in ("smallest", "median", "largest"))
        sizes = f"sizes ({what}): {s.n_bounded} bounded, {len(s.unbounded)} unbounded; {stats}"
    lines = [f"activation regions: {regions.n_activation}, linear regions: {regions.n_linear} "
             f"({d}-D input, {where})", sizes,
             f"neurons: {sum(map(len, a.on))} hidden; dead: {_pairs(a.dead)}; "
             f"always active: {_pairs(a.always_active)}"]
    multi = any(len(n) > 2 for layer in a.pieces for n in layer)
    w = max(5, len(str(a.n_cells)) + 2)   # columns wide enough for the largest count
    lines.append(f"{'neuron':<10}{'on':>{w}}{'off':>{w}}" + ("   pieces" if multi else ""))
    rows = [(l, i) for l in range(len(a.on)) for i in range(len(a.on[l]))]
    for l, i in rows[:max_neurons]:
        extra = "   " + " ".join(map(str, a.pieces[l][i])) if multi else ""
        lines.append(f"{f'({l}, {i})':<10}{a.on[l][i]:>{w}}{a.off[l][i]:>{w}}{extra}")
    if len(rows) > max_neurons:
        lines.append(f"... {len(rows) - max_neurons} more neurons")
    return "\n".join(lines if counts else lines[1:])


def _num(v: Fraction | float | None) -> str:
    if v is None:
        return "-"
    if isinstance(v, Fraction):
        j = json_number(v)
        if v.denominator == 1 and abs(v) < 10**15:
            return str(v)
        return f"{j:.6g}" if isinstance(j, float) else j
    return f"{v:.6g}"


def _pairs(p: tuple[tuple[int, int], ...]) -> str:
    return ", ".join(f"({l}, {i})" for l, i in p) if p else "none"


def analysis_json(regions: Any, measure: str = "auto") -> dict:
    """Return the region analysis as plain JSON-ready values (``exactnet regions --stats --json``).

    Parameters
    ----------
    regions : Regions or RegionsND
        Exact regions from :func:`exact.regions`.
    measure : {"auto", "volume", "area", "radius"}, default "auto"
        As in :func:`exact.region_sizes`.

    Returns
    -------
    dict
        ``region_sizes``: ``measure``, ``exact``, ``bounded``, ``unbounded``, ``smallest``,
        ``median``, ``largest`` (exact values without loss, as :func:`~exact.json_numbers.exact_json`);
        ``neuron_activity``: :meth:`exact.NeuronActivity.to_json`.

    Raises
    ------
    InputError, InputTypeError
        As :func:`format_analysis`.

    Examples
    --------
    >>> import exact
    >>> r = exact.regions([([[1, 0], [0, 1], [0, 0]], [0, 0, -1]), ([[1, 1, 1]], [0])], window=1)
    >>> a = analysis_json(r)
    >>> a["region_sizes"]["largest"], a["neuron_activity"]["dead"]
    (1.0, [[0, 2]])
    """
    s = sizes_or_none(regions, measure)
    if s is None:
        sizes = {"measure": "radius: needs scipy (pip install 'exactnet[analysis]')"}
    else:
        stats = {k: getattr(s, k) for k in ("smallest", "median", "largest")}
        sizes = {"measure": s.measure, "exact": s.exact, "bounded": s.n_bounded,
                 "unbounded": len(s.unbounded),
                 **{k: exact_json(v) if isinstance(v, Fraction) else v for k, v in stats.items()}}
    return {"region_sizes": sizes, "neuron_activity": neuron_activity(regions).to_json()}

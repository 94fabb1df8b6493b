"""Route many points to their cells at once: floats propose, an exact certificate decides.

A float forward pass proposes each point's activation pattern, hence a cell.  The
proposal stands only when the rigorous float filter (:mod:`exact.nd.float_filter`)
shows the point strictly inside every facet of that cell: a point strictly inside a
cell lies in no other closed cell, so the answer is exact.  Every other point (near a
boundary, outside the box, a proposal that fails, numbers beyond the float range) is
located in exact rational arithmetic: its exact pattern first, then, on a boundary,
the first closed cell that holds it.

Examples
--------
>>> from fractions import Fraction
>>> from exact.network import ExactNet
>>> from exact.nd.region_set import RegionsND
>>> net = ExactNet.from_layers([([[1, 1, 1]], [0]), ([[1]], [0])])
>>> r = RegionsND.build(net, [Fraction(-1)] * 3, [Fraction(1)] * 3)
>>> locate_points(r, np.array([[0.5, 0.5, 0.5], [-0.5, 0, 0], [0, 0, 0], [2, 0, 0]])).tolist()
[0, 1, 0, -1]
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from .._float_range import NORMAL_MIN, float_bounds
from ..errors import InputError, InputTypeError
from ..predicates import to_fraction
from .float_filter import bounding_box, point_floats, row_floats, sure_signs
from .polytope import HPoint, contains, point_from_fractions
from .whole_space import pattern_rows

__all__ = ["locate_points"]


def _exact_points(arr: np.ndarray, d: int) -> list[tuple[Fraction, ...]]:
    """Read an ``(m, d)`` array of real numbers exactly, with messages naming the bad entry."""
    if arr.ndim != 2 or arr.shape[1] != d:
        one = " (one point [x], or several [[x1], [x2], ...])" if d == 1 else ""
        raise InputError(f"points must have shape (m, {d}) or ({d},) for this {d}-D network{one}, got shape "
                         f"{arr.shape}")
    out = []
    for i, row in enumerate(arr.tolist()):
        try:
            out.append(tuple(to_fraction(v) for v in row))
        except TypeError as exc:
            raise InputTypeError(f"points[{i}]: {exc}") from None
        except ValueError as exc:
            raise InputError(f"points[{i}]: {exc}") from None
    return out


def _float_patterns(net, X: np.ndarray) -> np.ndarray | None:
    """Activation patterns by a plain float forward pass (proposals only), or None beyond floats."""
    try:
        Ws = [np.array([[float(v) for v in r] for r in W]) for W in net.weights]
        bs = [np.array([float(v) for v in b]) for b in net.biases]
    except OverflowError:
        return None
    a, pats = X, []
    with np.errstate(all="ignore"):
        for W, b, act in zip(Ws, bs, net.activations):
            z = a @ W.T + b
            piece = np.zeros(z.shape, dtype=np.int64)
            for bp in act.breakpoints:
                piece += z > float(bp)
            sl = np.array([float(v) for v in act.slopes])
            ic = np.array([float(v) for v in act.intercepts])
            a = sl[piece] * z + ic[piece]
            pats.append(piece)
    return np.concatenate(pats, axis=1) if pats else np.zeros((len(X), 0), dtype=np.int64)


def _facet_floats(regions: Any, k: int) -> np.ndarray | None:
    """Return rows cutting out cell ``k`` (its whole polyhedron) as floats (cached), or None beyond floats."""
    cache = regions.__dict__.setdefault("_facet_float_cache", {})
    if k not in cache:
        c = regions.cells[k]
        if c.bounded:
            rows = [r for r, f in zip(c.rows, c.facet) if f]
        else:   # an unbounded cell of the whole space: its whole polyhedron, not its clipped part
            rows = pattern_rows(regions.net, c.pattern)
        # no row (a net without hyperplanes, in the whole space): the cell is all of R^d
        cache[k] = row_floats(rows, 1) if rows else np.zeros((0, len(regions.lo) + 1))
    return cache[k]


def _certified(regions: Any, X: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """Cell index of every point the float filter certifies strictly inside its proposed cell, else -2."""
    out = np.full(len(X), -2, dtype=np.int64)
    pats = _float_patterns(regions.net, X)
    if pats is None:
        return out
    if not len(X):
        return out
    uniq, inv = np.unique(pats, axis=0, return_inverse=True)
    inv = inv.reshape(-1)
    P = np.hstack([X, np.ones((len(X), 1))])
    for u, pat in enumerate(uniq.tolist()):
        k = regions.index_of(pat)
        sel = np.nonzero((inv == u) & ok)[0]
        if k is None or not len(sel):
            continue
        rows = _facet_floats(regions, k)
        if rows is None:
            continue
        inside = (sure_signs(rows, P[sel]) == 1).all(axis=0)
        out[sel[inside]] = k
    return out


def _candidates(regions: Any, x: tuple[Fraction, ...]) -> list[int]:
    """Return the cells whose float bounding box may hold ``x`` (a filter: never drops the right cell)."""
    cache = regions.__dict__
    if "_bbox_cache" not in cache:
        d = len(regions.lo)
        boxes = [bounding_box(point_floats(c.verts), d) for c in regions.cells]
        cache["_bbox_cache"] = (np.array([b[0] for b in boxes]), np.array([b[1] for b in boxes]))
    lo, hi = cache["_bbox_cache"]
    br = np.array([float_bounds(v) for v in x])   # lo <= x_i <= hi, infinite beyond floats
    hit = (lo <= br[:, 1]).all(axis=1) & (hi >= br[:, 0]).all(axis=1)
    return np.nonzero(hit)[0].tolist()


def _outside(regions: Any, x: tuple[Fraction, ...], p: HPoint) -> int:
    """Locate a point outside the box: -1 in a window; in the whole space, by the cells' whole polyhedra."""
    if not regions.whole_space:
        return -1
    layers = regions.net.integer_layers()
    k = regions.index_of(regions.net.pattern_at(x))
    if k is not None and contains(pattern_rows(regions.net, regions.cells[k].pattern, layers), p) == 1:
        return k
    for c in regions.cells:   # on a boundary: the first unbounded cell whose polyhedron holds it
        if not c.bounded and contains(pattern_rows(regions.net, c.pattern, layers), p) >= 0:
            return c.index
    raise RuntimeError(f"internal error: no cell holds the point {x}; please report it")


def _exact_cell(regions: Any, x: tuple[Fraction, ...]) -> int:
    """Locate one point in exact arithmetic: the first closed cell holding it (-1 outside a window)."""
    p = point_from_fractions(list(x))
    if any(v < lo or v > hi for v, lo, hi in zip(x, regions.lo, regions.hi)):
        return _outside(regions, x, p)
    k = regions.index_of(regions.net.pattern_at(x))
    if k is not None and regions.cells[k].contains(x) == 1:
        return k
    for k in _candidates(regions, x):
        c = regions.cells[k]
        if contains([r for r, f in zip(c.rows, c.facet) if f], p) >= 0:
            return k
    raise RuntimeError(f"internal error: no cell holds the point {x} of the box; please report it")


def locate_points(regions: Any, points: Any) -> np.ndarray:
    """Return the index of the cell holding each point (-1 outside the box).

    Parameters
    ----------
    regions : RegionsND
    points : array_like, shape (m, d)
        Real coordinates: floats (at their exact value), ints, Fractions.

    Returns
    -------
    ndarray of int64, shape (m,)
        The smallest index of a closed cell holding the point (the only one for a point
        inside a cell); -1 for a point outside the box (a window only: the cells of the
        whole space hold every point).

    Raises
    ------
    InputError
        Wrong shape, NaN or infinite coordinates.
    InputTypeError
        Coordinates that are not real numbers.

    Notes
    -----
    One float forward pass and, per proposed cell, one filtered product of its facet rows
    with its points; exact work only for the points the filter leaves open.

    Examples
    --------
    >>> from exact.network import ExactNet
    >>> from exact.nd.region_set import RegionsND
    >>> r = RegionsND.build(ExactNet.from_layers([([[1]], [0]), ([[1]], [0])]), [Fraction(-1)], [Fraction(1)])
    >>> locate_points(r, [[Fraction(1, 3)], [0], [-1]]).tolist()      # x = 0 is on both cells: the first
    [0, 0, 1]
    """
    d = len(regions.lo)
    arr = points if isinstance(points, np.ndarray) else np.asarray(points, dtype=object)
    if arr.ndim == 1 and arr.size == 0:
        arr = arr.reshape(0, d)
    if arr.dtype.kind == "f" and arr.ndim == 2 and arr.shape[1] == d:
        bad = np.argwhere(~np.isfinite(arr))
        if len(bad):
            i, j = bad[0]
            raise InputError(f"points[{i}, {j}] must be a finite number, got {float(arr[i, j])!r}")
        X = arr.astype(np.float64)  # float16/32/64 widen exactly: these are the exact points
        exact = None
    else:
        exact = _exact_points(arr, d)
        X = np.array([_floats_or_nan(x) for x in exact]).reshape(len(exact), d)
    # subnormal coordinates go to the exact test: the filter's bound assumes the CPU keeps them (a library
    # built with fast-math may flush them to zero), and a row coefficient near 2^1000 would magnify the loss
    normal = ((X == 0) | (np.abs(X) >= NORMAL_MIN)).all(axis=1)
    out = _certified(regions, X, ~np.isnan(X).any(axis=1) & normal)
    for i in np.nonzero(out == -2)[0]:
        x = exact[i] if exact is not None else tuple(Fraction(v) for v in X[i].tolist())
        out[i] = _exact_cell(regions, x)
    return out


def _floats_or_nan(x: tuple[Fraction, ...]) -> list[float]:
    """Round a point to floats (the filter's bound covers the rounding); NaN beyond the float range."""
    P = point_floats([point_from_fractions(list(x))])
    return [float("nan")] * len(x) if P is None else P[0, :-1].tolist()

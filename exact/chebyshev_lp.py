"""The largest ball inside a bounded polytope (its Chebyshev ball), by a float linear program.

A *float statistic*, not an exact value: the radius of the largest ball inside
``{x : a_i . x + c_i >= 0}`` is the optimum of the linear program

    maximise r  subject to  -u_i . z + r <= h_i  for every row i,   r >= 0,

with the unit normals ``u_i = a_i / ||a_i||`` (square roots: the radius is irrational
in general) and ``h_i`` the distance from an exact interior point ``p`` to row ``i``'s
hyperplane; the centre is ``p + z``.  It is solved in float64 by scipy's HiGHS
(``scipy.optimize.linprog``; the ``analysis`` extra).  Only the translation to ``p``
and the scaling are exact; nothing here decides anything about the regions.

References
----------
.. [1] S. Boyd, L. Vandenberghe, *Convex Optimization*, Cambridge, 2004, §8.5.1
   (the Chebyshev centre of a polyhedron).

Examples
--------
>>> rows = [(1, 0, 0), (-1, 0, 1), (0, 1, 0), (0, -1, 2)]      # [0, 1] x [0, 2]
>>> r, centre = chebyshev_ball(rows, (Fraction(1, 2), Fraction(1, 2)))
>>> round(r, 12), round(centre[0], 12)
(0.5, 0.5)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

import numpy as np

from .errors import ExactnetError, InputError

__all__ = ["chebyshev_ball"]

def chebyshev_ball(rows: Sequence[Sequence[int | Fraction]], inside: Sequence[Fraction]
                   ) -> tuple[float, tuple[float, ...]]:
    """Return the radius and a centre of the largest ball inside a bounded polytope (float estimate).

    Parameters
    ----------
    rows : sequence of sequence of int or Fraction, shape (k, d + 1)
        The polytope ``{x : a . x + c >= 0}`` for every row ``(a_1, ..., a_d, c)``, exact;
        it must be bounded and full-dimensional.  Redundant rows are allowed.
    inside : sequence of Fraction, shape (d,)
        An exact point strictly inside (every row ``> 0`` there), e.g. a cell's
        ``interior_point()``; the program is solved around it.

    Returns
    -------
    radius : float
        The inscribed-ball (Chebyshev) radius, a float64 estimate: not exact (it solves
        a float linear program to HiGHS's default tolerances, about ``1e-7`` relative),
        and ``inf`` only if the exact scale overflows a float.
    centre : tuple of float, shape (d,)
        A centre of such a ball (one of many when the largest ball is not unique).

    Raises
    ------
    InputError
        No rows, rows of unequal length, a row with ``a = 0``, ``inside`` of the wrong
        length or not strictly inside, or an unbounded polytope (the program has no
        optimum).
    ExactnetError
        scipy is not installed.

    Examples
    --------
    >>> round(chebyshev_ball([(1, 0, 0), (0, 1, 0), (-1, -1, 1)], (Fraction(1, 3),) * 2)[0], 9)
    0.292893219
    """
    a, h, scale = _unit_rows(rows, inside)
    linprog = _linprog()
    k, d = a.shape
    res = linprog(np.r_[np.zeros(d), -1.0], A_ub=np.c_[-a, np.ones(k)], b_ub=h,
                  bounds=[(None, None)] * d + [(0, None)], method="highs")
    if res.status == 3:
        raise InputError("rows: the polytope is unbounded (its inscribed ball has no largest radius)")
    if res.status != 0:
        raise InputError(f"rows: the linear program of the inscribed ball failed ({res.message})")
    try:
        s = float(scale)
    except OverflowError:
        s = math.inf
    x0 = [float(v) for v in inside]
    if float(res.x[-1]) < float(h.min()):  # a thin cell lost to the LP tolerance: the ball at ``inside``
        return float(h.min()) * s, tuple(x0)
    return float(res.x[-1]) * s, tuple(x + s * float(z) for x, z in zip(x0, res.x[:d]))


def _linprog():
    """Return ``scipy.optimize.linprog``, or say which extra installs it."""
    try:
        from scipy.optimize import linprog
    except ImportError:
        raise ExactnetError("inscribed-ball radii need scipy (its HiGHS linear programs): "
                            'pip install "exactnet[analysis]"') from None
    return linprog


def _unit_rows(rows: Sequence[Sequence[int | Fraction]], inside: Sequence[Fraction]
               ) -> tuple[np.ndarray, np.ndarray, Fraction]:
    """Return the unit normals, the distances from ``inside`` to the hyperplanes over the largest, and it."""
    if len(rows) == 0:
        raise InputError("rows: a polytope needs at least one row, got none")
    d = len(inside)
    x = [Fraction(v) for v in inside]
    normals, slacks = [], []
    for i, row in enumerate(rows):
        if len(row) != d + 1:
            raise InputError(f"rows[{i}] has {len(row)} entries, expected {d + 1} (d = {d} from inside)")
        coef = [Fraction(v) for v in row[:-1]]
        big = max(abs(v) for v in coef)
        if big == 0:
            raise InputError(f"rows[{i}] = {tuple(row)!r:.80} has no normal (a = 0)")
        slack = sum((u * v for u, v in zip(coef, x)), Fraction(row[-1]))
        if slack <= 0:
            raise InputError(f"inside {tuple(inside)!r:.80} is not strictly inside rows[{i}]")
        normals.append([float(v / big) for v in coef])
        slacks.append(slack / big)
    scale = max(slacks)
    a = np.array(normals)
    norms = np.sqrt((a * a).sum(axis=1))
    h = np.array([float(s / scale) for s in slacks]) / norms
    return a / norms[:, None], h, scale

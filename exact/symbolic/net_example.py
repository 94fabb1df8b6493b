r"""A concrete ReLU net's activation and linear regions as a checked fact (bonus 4's example).

The fact ``(N_act(W, b, a), N_lin(W, b, a)) = (7, 4)`` states the numbers of activation and
linear regions in the plane of ``f(x) = a · max(0, W x + b)`` (one hidden layer, 2-D input).
Its check (:func:`region_counts_check`) reads the weights from the fact itself and

* verifies what the text says of the net: each hidden neuron has a line (``w_i != 0``), no
  two lines are parallel, no three meet in a point, and how many output weights are 0;
* counts with exactnet's exact engine: the breakpoint lines and the output's gradient jump
  across each (:func:`exact.line_count.shallow_line_jumps`), and the faces of both
  arrangements (:func:`exact.line_count.arrangement_faces`), which is what
  :func:`exact.count_regions` does for such a net in the plane;
* counts again in sympy, sharing nothing with the engine but the weights: the sign patterns
  of ``W x + b`` at points next to each crossing (at least that many activation regions, as
  each pattern's set is convex), at most ``R_n`` of them (the closed form of the theorem);
  the distinct affine maps on those patterns (at least that many linear regions), at most
  ``R_k`` for the ``k`` neurons of nonzero output weight (the net equals the one without its
  zero-weight neurons, whose lines cut the plane into at most ``R_k`` pieces, each with one
  affine map).

Both counts must equal the fact's right-hand side, so a wrong number or a wrong weight fails.

Examples
--------
>>> W, b, a = sp.Matrix([[1, 0], [0, 1], [1, 1]]), sp.Matrix([0, 0, -1]), sp.Matrix([[1, 1, 0]])
>>> n = sp.Symbol("n", integer=True, positive=True)
>>> check = region_counts_check(n, n * (n + 1) / 2 + 1)
>>> check(counts_of(W, b, a), sp.Matrix([[7, 4]])) is not None
True
>>> check(counts_of(W, b, a), sp.Matrix([[7, 7]])) is None
True
"""

from __future__ import annotations

from fractions import Fraction
from itertools import combinations

import sympy as sp

from ..line_count import arrangement_faces, shallow_line_jumps
from ..network import ExactNet
from .checks import Check

__all__ = ["N_ACT", "N_LIN", "counts_of", "line_equations", "engine_counts", "sympy_counts",
           "region_counts_check"]

#: The number of activation regions in the plane of the net with weights ``(W, b, a)``.
N_ACT = sp.Function("N_act")
#: The number of linear regions in the plane of the net with weights ``(W, b, a)``.
N_LIN = sp.Function("N_lin")


def counts_of(W: sp.Matrix, b: sp.Matrix, a: sp.Matrix) -> sp.Matrix:
    """Return the row ``(N_act(W, b, a), N_lin(W, b, a))``: the lhs of a region-count fact.

    Parameters
    ----------
    W : sympy.Matrix, shape (n, 2)
        Hidden weights (rationals).
    b : sympy.Matrix, shape (n, 1)
        Hidden biases.
    a : sympy.Matrix, shape (1, n)
        Output weights.

    Returns
    -------
    sympy.Matrix, shape (1, 2)

    Examples
    --------
    >>> counts_of(sp.Matrix([[1, 0]]), sp.Matrix([0]), sp.Matrix([[1]])).shape
    (1, 2)
    """
    args = tuple(sp.ImmutableMatrix(m) for m in (W, b, a))
    return sp.Matrix([[N_ACT(*args), N_LIN(*args)]])


def line_equations(W: sp.Matrix, b: sp.Matrix) -> str:
    """Write the neurons' lines ``w_i · x + b_i = 0`` as LaTeX, for the words of a fact about them.

    Parameters
    ----------
    W, b : sympy.Matrix
        As in :func:`counts_of`.

    Returns
    -------
    str
        ``"$x_1 = 0$, $x_2 = 0$, $x_1 + x_2 = 1$"`` style: the constant on the right.

    Examples
    --------
    >>> line_equations(sp.Matrix([[1, 0], [1, -2]]), sp.Matrix([0, -1]))
    '$x_{1} = 0$, $x_{1} - 2 x_{2} = 1$'
    """
    x = sp.symbols("x_1 x_2", real=True)
    return ", ".join(f"${sp.latex(sp.Eq(W[i, 0] * x[0] + W[i, 1] * x[1], -b[i]))}$" for i in range(W.rows))


def _weights(lhs) -> tuple | None:
    """Read ``(W, b, a)`` from a lhs built by :func:`counts_of`; None for any other expression."""
    if not isinstance(lhs, sp.MatrixBase) or lhs.shape != (1, 2):
        return None
    act, lin = lhs
    if getattr(act, "func", None) != N_ACT or getattr(lin, "func", None) != N_LIN or act.args != lin.args:
        return None
    if len(act.args) != 3 or not all(isinstance(m, sp.MatrixBase) for m in act.args):
        return None
    W, b, a = act.args
    n = W.rows
    if n == 0 or W.shape != (n, 2) or b.shape != (n, 1) or a.shape != (1, n):
        return None
    if not all(v.is_Rational for m in (W, b, a) for v in m):
        return None
    return W, b, a


def engine_counts(W: sp.Matrix, b: sp.Matrix, a: sp.Matrix) -> tuple[int, int]:
    """Count the regions in the plane with exactnet's exact engine (as :func:`exact.count_regions` does).

    Parameters
    ----------
    W, b, a : sympy.Matrix
        As in :func:`counts_of`; rational entries.

    Returns
    -------
    (int, int)
        Activation and linear regions.

    Examples
    --------
    >>> engine_counts(sp.Matrix([[1, 0], [0, 1]]), sp.Matrix([0, 0]), sp.Matrix([[1, 0]]))
    (4, 2)
    """
    def frac(v):
        return Fraction(int(v.p), int(v.q))

    net = ExactNet.from_layers([([[frac(v) for v in W.row(i)] for i in range(W.rows)], [frac(v) for v in b]),
                                ([[frac(v) for v in a]], [Fraction(0)])])
    jumps = shallow_line_jumps(net)
    kinks = [line for line, jump in jumps.items() if any(v != 0 for v in jump)]
    return arrangement_faces(list(jumps)), arrangement_faces(kinks)


def _sample_points(W: sp.Matrix, b: sp.Matrix) -> list:
    """Points next to each crossing, one in each of the four angles between its two lines."""
    n, points = W.rows, []
    for i, j in combinations(range(n), 2):
        M = sp.Matrix([W.row(i), W.row(j)])
        if M.det() == 0:
            continue
        P = M.LUsolve(-sp.Matrix([b[i], b[j]]))
        u, v = sp.Matrix([-W[i, 1], W[i, 0]]), sp.Matrix([-W[j, 1], W[j, 0]])
        others = [k for k in range(n) if k not in (i, j)]
        eps = sp.Integer(1)
        for si in (1, -1):
            for sj in (1, -1):
                d = si * u + sj * v
                # shrink until no other line lies between the crossing and the point (or through it)
                while any(sp.sign((W.row(k) * (P + eps * d))[0] + b[k]) != sp.sign((W.row(k) * P)[0] + b[k])
                          for k in others) and eps > sp.Rational(1, 2**40):
                    eps /= 2
                points.append(P + eps * d)
    return points


def sympy_counts(W: sp.Matrix, b: sp.Matrix, a: sp.Matrix, closed: sp.Lambda) -> tuple[int, int, str] | None:
    """Count the regions in sympy from sign patterns at points, bounded above by the closed form.

    Parameters
    ----------
    W, b, a : sympy.Matrix
        As in :func:`counts_of`.
    closed : sympy.Lambda
        ``R``: the maximal number of regions of ``n`` lines, ``R(n)``.

    Returns
    -------
    (int, int, str) or None
        The activation and linear counts and how they were found, or None when the lower
        bounds (from the points) and the upper bounds (from ``closed``) do not meet.

    Examples
    --------
    >>> n = sp.Symbol("n")
    >>> sympy_counts(sp.Matrix([[1, 0], [0, 1]]), sp.Matrix([0, 0]), sp.Matrix([[1, 0]]),
    ...              sp.Lambda(n, n * (n + 1) / 2 + 1))[:2]
    (4, 2)
    """
    x = sp.Matrix(sp.symbols("x_1 x_2", real=True))
    z = [(W.row(i) * x)[0] + b[i] for i in range(W.rows)]
    points = _sample_points(W, b)
    patterns = {tuple(sp.sign(zi.xreplace(dict(zip(x, pt)))) for zi in z) for pt in points}
    patterns = {p for p in patterns if 0 not in p}
    maps = {sp.expand(sum(a[i] * z[i] for i in range(W.rows) if s[i] > 0)) for s in patterns}
    k = sum(1 for v in a if v != 0)
    f = sum(a[i] * sp.Max(0, z[i]) for i in range(W.rows))
    reduced = sum(a[i] * sp.Max(0, z[i]) for i in range(W.rows) if a[i] != 0)
    up_act, up_lin = closed(W.rows), closed(k)
    if len(patterns) != up_act or len(maps) != up_lin or sp.simplify(f - reduced) != 0:
        return None
    n_act, n_lin = len(patterns), len(maps)
    return n_act, n_lin, (
        f"sympy, sharing only the weights: {n_act} distinct sign patterns of Wx + b at {len(points)} points "
        f"next to the crossings, so >= {n_act} activation regions (each pattern's set is convex), and <= "
        f"R({W.rows}) = {up_act}; {n_lin} distinct affine maps on them, so >= {n_lin} linear regions, and <= "
        f"R({k}) = {up_lin}: the net equals the one without its zero-weight neurons (sympy), whose {k} lines "
        f"cut the plane into at most R({k}) pieces, each with one affine map")


def _shape_text(W: sp.Matrix, b: sp.Matrix, a: sp.Matrix) -> str | None:
    """Describe the net after checking that its lines are in general position; None if they are not."""
    n = W.rows
    if any(W.row(i).is_zero_matrix for i in range(n)):
        return None
    if any(sp.Matrix([W.row(i), W.row(j)]).det() == 0 for i, j in combinations(range(n), 2)):
        return None
    Wb = W.row_join(b)
    if any(sp.Matrix([Wb.row(i) for i in t]).det() == 0 for t in combinations(range(n), 3)):
        return None
    zeros = sum(1 for v in a if v == 0)
    return (f"{n} lines, no two parallel (2x2 determinants of W != 0), no three through one point (3x3 "
            f"determinants of [W | b] != 0), {zeros} zero output weight{'s' if zeros != 1 else ''}")


def region_counts_check(var: sp.Symbol, closed_form: sp.Expr, zero_weights: int = 1) -> Check:
    """Check ``(N_act(W, b, a), N_lin(W, b, a)) = (activation, linear)`` by the engine and by sympy.

    Parameters
    ----------
    var : sympy.Symbol
        The number of lines in ``closed_form``.
    closed_form : sympy.Expr
        The maximal number of regions of ``var`` lines (the theorem's ``R_n``).
    zero_weights : int, default 1
        How many output weights the text says are 0; the lines must also be in general
        position.

    Returns
    -------
    callable
        ``check(lhs, rhs) -> str | None``; ``lhs`` as built by :func:`counts_of`, ``rhs`` a
        1×2 matrix of integers.

    Examples
    --------
    >>> n = sp.Symbol("n", integer=True, positive=True)
    >>> W, b = sp.Matrix([[1, 0], [0, 1], [1, 1]]), sp.Matrix([0, 0, 0])   # concurrent lines
    >>> region_counts_check(n, n * (n + 1) / 2 + 1)(counts_of(W, b, sp.Matrix([[1, 1, 0]])),
    ...                                             sp.Matrix([[6, 4]])) is None
    True
    """
    closed = sp.Lambda(var, closed_form)

    def check(lhs, rhs):
        got = _weights(lhs)
        if got is None or not isinstance(rhs, sp.MatrixBase) or rhs.shape != (1, 2):
            return None
        W, b, a = got
        shape = _shape_text(W, b, a)
        if shape is None or sum(1 for v in a if v == 0) != zero_weights:
            return None
        want = tuple(rhs)
        engine = engine_counts(W, b, a)
        independent = sympy_counts(W, b, a, closed)
        if engine != want or independent is None or independent[:2] != want:
            return None
        return (f"the net: {shape}; exactnet's exact engine (gradient jumps across the breakpoint lines, "
                f"faces of both arrangements, as count_regions in the plane): {engine[0]} activation, "
                f"{engine[1]} linear regions; and an independent count in {independent[2]}")

    return check

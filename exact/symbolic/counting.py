r"""Bonus 4 and 3(a) as checked derivations: the maximal number of regions, the number of parameters.

Examples
--------
>>> parameter_count_formula().steps[-1].expr
81
"""

from __future__ import annotations

import sympy as sp

from .checks import Check, equal_check, verify_equal
from .derivation import Derivation
from .net_example import counts_of, line_equations, region_counts_check

__all__ = ["recurrence_check", "relu_switch_check", "max_regions", "parameter_count_formula"]


def recurrence_check(func: sp.Function, var: sp.Symbol, base: tuple, increment: sp.Expr) -> Check:
    """Check ``func(var) = closed form`` for ``func(b0) = v0``, ``func(x) = func(x - 1) + increment(x)``.

    Three routes: induction (the closed form has the base value, and its difference
    ``c(x) - c(x - 1)`` simplifies to the increment), :func:`sympy.rsolve` of the recurrence,
    and iterating the recurrence in integers up to ``b0 + 20``.

    Parameters
    ----------
    func : sympy.Function
        The undefined function (``R``); the link's lhs must be ``func(var)``.
    var : sympy.Symbol
        The integer variable.
    base : (int, int)
        ``(b0, v0)``: the value at the start.
    increment : sympy.Expr
        In terms of ``var``.

    Returns
    -------
    callable
        ``check(lhs, rhs) -> str | None``.

    Examples
    --------
    >>> n, R = sp.Symbol("n", integer=True, positive=True), sp.Function("R")
    >>> recurrence_check(R, n, (0, 1), n)(R(n), n * (n + 1) / 2 + 1) is not None
    True
    >>> recurrence_check(R, n, (0, 1), n)(R(n), n * (n + 1) / 2) is None
    True
    """
    b0, v0 = base

    def check(lhs, rhs):
        if lhs != func(var):
            return None
        c = sp.Lambda(var, rhs)
        if sp.simplify(c(b0) - v0) != 0 or sp.simplify(c(var) - c(var - 1) - increment) != 0:
            return None
        solved = sp.rsolve(func(var) - func(var - 1) - increment, func(var), {func(b0): v0})
        if solved is None or sp.simplify(solved - rhs) != 0:
            return None
        value = v0
        for x in range(b0 + 1, b0 + 21):
            value += increment.subs(var, x)
            if c(x) != value:
                return None
        return (f"induction: the closed form is {v0} at {var} = {b0} and grows by {sp.sstr(increment)} "
                f"(sympy "
                f"simplify); rsolve of the recurrence gives it too; iterating the recurrence agrees up to "
                f"{var} = {b0 + 20}")

    return check


def relu_switch_check(net: sp.Expr, pre: tuple, signs_on: tuple, signs_off: tuple) -> Check:
    """Check ``f_on - f_off = rhs`` where ``f_on``, ``f_off`` must be ``net`` on two activation regions.

    The link's lhs must be the unevaluated difference ``Add(f_on, Mul(-1, f_off))``.  Each piece
    is compared with ``net`` (which holds ``Max(0, z)`` for each preactivation ``z``) after
    every ``z`` is replaced by a fresh symbol of the sign its region gives it, so that each
    ``Max`` resolves (sympy); then ``f_on - f_off = rhs`` is checked as by :func:`.equal_check`.

    Parameters
    ----------
    net : sympy.Expr
        The network, built from ``Max(0, z)`` of the preactivations.
    pre : tuple of sympy.Symbol
        The preactivations ``z``.
    signs_on, signs_off : tuple of {1, -1}
        The sign of each preactivation on the two regions.

    Returns
    -------
    callable
        ``check(lhs, rhs) -> str | None``.

    Examples
    --------
    >>> a, z, c = sp.symbols("a z c", real=True)
    >>> check = relu_switch_check(a * sp.Max(0, z) + c, (z,), (1,), (-1,))
    >>> check(sp.Add(a * z + c, sp.Mul(-1, c, evaluate=False), evaluate=False), a * z) is not None
    True
    >>> check(sp.Add(a * z + 2 * c, sp.Mul(-1, 2 * c, evaluate=False), evaluate=False), a * z) is None
    True
    """
    def on_region(piece, signs):
        rep = {zl: sg * sp.Dummy(f"{zl}", positive=True) for zl, sg in zip(pre, signs)}
        return verify_equal(net.xreplace(rep), piece.xreplace(rep))

    def check(lhs, rhs):
        if not isinstance(lhs, sp.Add) or len(lhs.args) != 2:
            return None
        on, neg = lhs.args
        if not (isinstance(neg, sp.Mul) and len(neg.args) == 2 and neg.args[0] == -1):
            return None
        off = neg.args[1]
        if on_region(on, signs_on) is None or on_region(off, signs_off) is None:
            return None
        diff = equal_check()(on - off, rhs)
        if diff is None:
            return None
        return (f"each piece is the network on its region: every preactivation replaced by a symbol of its "
                f"sign there, each max(0, z) resolves and the network equals the piece (sympy); their "
                f"difference: {diff}")

    return check


def max_regions() -> Derivation:
    r"""Bonus 4: n lines cut the plane into at most n(n+1)/2 + 1 regions.

    Returns
    -------
    Derivation
        The pieces of the n-th line, the recurrence's solution, the binomial form, and the
        change of the output map across a neuron's line (activation vs linear regions).

    References
    ----------
    .. [1] T. Zaslavsky, "Facing up to arrangements: face-count formulas for partitions of
       space by hyperplanes", *Memoirs of the AMS* 1(154), 1975.

    Examples
    --------
    >>> max_regions().steps[1].expr
    n*(n + 1)/2 + 1
    """
    n = sp.Symbol("n", integer=True, positive=True)
    kk = sp.Symbol("k", integer=True, nonnegative=True)
    R, P = sp.Function("R"), sp.Function("P")
    d = Derivation(
        "4 (bonus) Maximal number of regions of n lines",
        r"$n$ lines cut the plane into at most $R_n = \frac{n(n+1)}{2} + 1 = \sum_{i=0}^{2}\binom{n}{i}$ "
        r"regions, with equality exactly in general position (no two lines parallel, no three through one "
        r"point)",
        r"the lines $w_i \cdot x + b_i = 0$ of the $n$ hidden neurons of a $2\to n\to 1$ ReLU net "
        r"($w_i \ne 0$)",
        argument=(
            r"Add the lines one at a time. The $n$-th line $\ell$ meets each of the $n-1$ earlier lines "
            r"(none is parallel to it) in one point, and these points are distinct (no three lines through "
            r"one point), so they cut $\ell$ into $n$ pieces (first fact below with $k = n - 1$). A piece "
            r"meets no earlier line inside it, so it lies in one region of the earlier lines; that region is "
            r"convex, the piece crosses it from boundary to boundary and splits it into two. Two pieces "
            r"never lie in the same region: the region is convex, so it would contain the segment of $\ell$ "
            r"between them, which passes through one of the crossing points, on an earlier line. So $\ell$ "
            r"adds exactly $n$ regions: $R_n = R_{n-1} + n$, $R_0 = 1$. Without general position $\ell$ has "
            r"fewer distinct crossing points, hence fewer pieces, and adds fewer regions."),
    )
    d.fact(P(kk), "=", kk + 1,
           r"$k$ distinct points cut a line into $P_k$ pieces: $P_0 = 1$, and each new point lies inside one "
           r"piece and cuts it in two, $P_k = P_{k-1} + 1$",
           check=recurrence_check(P, kk, (0, 1), sp.Integer(1)))
    d.start(R(n), r"the number of regions of $n$ lines in general position: $R_0 = 1$, $R_n = R_{n-1} + n$ "
            "(the argument above)")
    d.step(n * (n + 1) / 2 + 1, "solve the recurrence", check=recurrence_check(R, n, (0, 1), n))
    i = sp.Symbol("i", integer=True, nonnegative=True)
    d.step(sp.Sum(sp.binomial(n, i), (i, 0, 2)), r"$1 + n + \binom n2$")
    d.fact(sp.Sum(sp.binomial(n, i), (i, 0, 1)), "=", n + 1,
           r"input dimension $d$: $\sum_{i=0}^{d}\binom{n}{i}$ in general position (Zaslavsky); $d = 1$: $n$ "
           r"points cut a line into $n + 1$ intervals", label=r"d = 1:")
    W, b, out = sp.Matrix([[1, 0], [0, 1], [1, 1]]), sp.Matrix([0, 0, -1]), sp.Matrix([[1, 1, 0]])
    counts, zero = sp.Matrix([[7, 4]]), [i + 1 for i, v in enumerate(out) if v == 0]  # words from the numbers
    d.fact(counts_of(W, b, out), "=", counts,
           rf"example: $f(x) = a\cdot\max(0, Wx + b)$ with the lines {line_equations(W, b)} in general "
           rf"position and one zero output weight has $N_{{act}} = {counts[0]}$ activation but "
           rf"$N_{{lin}} = {counts[1]}$ linear regions in the plane: the line of the neuron with "
           rf"$a_{zero[0]} = 0$ separates no two affine pieces (next fact)",
           check=region_counts_check(n, d.steps[1].expr))
    a, z, c = [sp.symbols(f"{v}_i {v}_j {v}_k", real=True) for v in "az"] + [sp.Symbol("c", real=True)]
    net = sum(al * sp.Max(0, zl) for al, zl in zip(a, z)) + c   # f(x) = sum_l a_l ReLU(z_l) + c
    on, off = a[0] * z[0] + a[1] * z[1] + c, a[1] * z[1] + c
    d.fact(sp.Add(on, sp.Mul(-1, off, evaluate=False), evaluate=False), "=", a[0] * z[0],
           r"across the line $z_i = w_i\cdot x + b_i = 0$ of neuron $i$ (away from the other lines) only "
           r"neuron $i$ switches, so the output's affine map changes by $a_i z_i$: by $0$ exactly when the "
           r"output weight $a_i = 0$; checked for $f = \sum_{l\in\{i,j,k\}} a_l\max(0, z_l) + c$ with "
           r"neuron $j$ active and $k$ inactive on both sides",
           check=relu_switch_check(net, z, (1, 1, -1), (-1, 1, -1)),
           label=r"f_{\text{on}} - f_{\text{off}} =")
    return d.conclude(
        r"a $2\to n\to 1$ ReLU net has at most $n(n+1)/2+1$ activation regions, reached exactly when no two "
        r"neuron lines are parallel and no three meet in a point; otherwise the count is $1 + L + \sum_p "
        r"(m_p - 1)$ ($L$ distinct lines, $m_p$ lines through the crossing point $p$). Its linear regions "
        r"are as many exactly when, in addition, every output weight $a_i \ne 0$: a line whose neuron has "
        r"$a_i = 0$ separates no two affine pieces, and its activation regions merge (e.g. 7 activation but "
        r"4 linear regions for 3 lines in general position with one zero output weight: the fact checked "
        r"above).")


def _count_check(widths: list[int], subs: dict | None = None) -> Check:
    """Check the formula at ``widths`` against a count of the entries of symbol matrices of those shapes."""
    def check(lhs, rhs):
        value = sp.sympify(lhs).subs(subs or {}).doit()
        entries = set()
        for layer, (n_in, n_out) in enumerate(zip(widths, widths[1:])):
            entries |= sp.Matrix(n_out, n_in, lambda r, c, L=layer: sp.Symbol(f"W{L}_{r}_{c}")).free_symbols
            entries |= sp.Matrix(n_out, 1, lambda r, c, L=layer: sp.Symbol(f"b{L}_{r}")).free_symbols
        if value != rhs or len(entries) != rhs:
            return None
        shapes = ", ".join(f"{o}x{i} and {o}" for i, o in zip(widths, widths[1:]))
        return (f"the formula evaluates to {rhs} (sympy), and an independent count of the entries of symbol "
                f"matrices of shapes {shapes} gives {len(entries)}")

    return check


def parameter_count_formula() -> Derivation:
    r"""3(a): parameters of a 2→h→1 MLP, and of any widths.

    Returns
    -------
    Derivation
        Weights and biases per layer, evaluated at 2→20→1 and at 2→5→5→5→5→1.

    Examples
    --------
    >>> parameter_count_formula().facts[0].rhs
    111
    """
    din, h, dout = sp.symbols("d h o", integer=True, positive=True)
    d = Derivation(
        "3(a) Number of parameters",
        r"an MLP with widths $n_0, \dots, n_L$ has $\sum_{l=1}^{L}(n_{l-1} + 1)\,n_l$ parameters; "
        r"$2\to20\to1$: 81",
        r"a dense layer $n_{l-1}\to n_l$ has an $n_l\times n_{l-1}$ weight matrix and $n_l$ biases",
    )
    d.start(din * h + h + h * dout + dout,
            r"weights ($h\times d$, $o\times h$) and biases ($h$, $o$) of both layers")
    d.step((din + 1) * h + (h + 1) * dout, "group per layer")
    d.step(sp.Integer(81), r"$d = 2$, $h = 20$, $o = 1$",
           check=_count_check([2, 20, 1], {din: 2, h: 20, dout: 1}))
    deep = [2, 5, 5, 5, 5, 1]
    terms = [sp.Mul(a + 1, b, evaluate=False) for a, b in zip(deep, deep[1:])]
    d.fact(sp.Add(*terms, evaluate=False), "=", sp.Integer(111),
           r"the deep net of 3(d), $2\to5\to5\to5\to5\to1$",
           check=_count_check(deep), label=r"\sum_l (n_{l-1} + 1)\,n_l =")
    return d.conclude("81 parameters for the sheet's 2→20→1 net (40 + 20 + 20 + 1).")
